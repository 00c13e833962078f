"""The request body of a webhook endpoint (doublex.api.bodies: what every body is)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from doublex.api.bodies import Body
from doublex.api.fields import Documented
from doublex.api.limits import Limit


class WebhookCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/doublex",
                    "types": ["journal.posted", "hold.created"],
                }
            ],
        }
    )

    url: Annotated[
        str,
        Documented.text(
            "webhook_url_length",
            "Where events are POSTed: http or https, a host, no credentials",
            "https://hooks.example.com/doublex",
        ),
    ]
    # The type names are the ledger's (DX059 for another, or an empty list).
    types: list[str] | None = Field(
        None, description="The event types to receive (GET /api/events names them); left out: all"
    )
    secret: Annotated[
        str | None,
        Documented(
            minLength=Limit("webhook_secret_length_min"),
            maxLength=Limit("webhook_secret_length_max"),
            description="The signing secret, printable ASCII without spaces; left out: one "
            "is made (whsec_ and 64 hex digits). Answered once, at creation",
        ),
    ] = None
