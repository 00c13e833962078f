"""The request body of a balance monitor (doublex.api.bodies: what every body is)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from doublex.api.bodies import ACCOUNT_TYPES, Body, passed_on
from doublex.api.fields import Code, Documented, SignedDecimalText


class MonitorCreate(Body):
    """A balance monitor. Which values are valid is the ledger's (DX063, naming the field):
    they pass as they came."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account": "1000-CASH",
                    "field": "available",
                    "condition": "<",
                    "threshold": "100.00",
                },
                {
                    "account_type": "liability",
                    "field": "posted",
                    "condition": ">=",
                    "threshold": "1000000",
                },
            ]
        }
    )

    account: Code | None = Field(None, description="One account; or give account_type")
    account_type: Annotated[str, Documented(enum=ACCOUNT_TYPES)] | None = Field(
        None, description="Every account of this type, present and future; or give account"
    )
    field: (
        Annotated[
            str,
            Documented(
                enum=["available", "posted"],
                description="available: posted minus pending holds that reduce it; on the "
                "account's normal side",
            ),
        ]
        | None
    ) = passed_on()
    condition: Annotated[str, Documented(enum=["<", "<=", ">", ">="])] | None = passed_on()
    threshold: SignedDecimalText | None = passed_on()
