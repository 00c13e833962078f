"""Request bodies of API keys: create one, change its rate limit (doublex.api.bodies)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from doublex.api.bodies import Body
from doublex.api.fields import Documented, Int32, Timestamp
from doublex.api.limits import Limit, Text

# A key's rate limit (DX046 outside its bounds; left out: the ledger's default).
KeyRate = Annotated[
    Int32,
    Documented(
        minimum=1,
        maximum=Limit("key_rate_max"),
        description=Text(
            "Requests per second the key may make, per service worker (left out: {n})",
            n=Limit("key_rate_default"),
        ),
    ),
]
KeyBurst = Annotated[
    Int32,
    Documented(
        minimum=1,
        maximum=Limit("key_burst_max"),
        description="Requests the key may make at once after a pause (left out: twice the rate)",
    ),
]


class ApiKeyCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "billing", "capabilities": ["read", "post"]}],
        }
    )

    name: Annotated[str, Documented.text("api_key_name_length", "What the key is for", "billing")]
    # The capability words are the ledger's (DX044 for another word, or none).
    capabilities: Annotated[
        list[str],
        Documented(items={"type": "string", "enum": ["read", "post", "operate", "admin", "audit"]}),
    ]
    expires_at: Timestamp | None = Field(None, description="Never expires when left out")
    requests_per_second: KeyRate | None = None
    burst: KeyBurst | None = None


class ApiKeyRate(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"requests_per_second": 50, "burst": 100}]}
    )

    requests_per_second: KeyRate | None = None
    burst: KeyBurst | None = None
