"""Request bodies of holds: create, capture, void (doublex.api.bodies: what every body is)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from doublex.api.bodies import HEADER_NOTE, Body, Conditions, Legs, legs_body, passed_on
from doublex.api.fields import (
    AMOUNT_SCHEMA,
    Documented,
    IsoDate,
    Key,
    Memo,
    Metadata,
    Nullable,
    Ref,
    Timestamp,
)


class HoldCreate(Body):
    """A hold: legs reserved, not posted, until captured, voided or expired."""

    model_config = ConfigDict(
        json_schema_extra=legs_body(
            "auth-7f3a", "2001-LOAN", "1001-CASH", "80.00", "card authorisation"
        )
    )

    idempotency_key: Key | None = None
    # Sent to the ledger as it came: it checks the legs as a journal's (DX001, DX002, …).
    legs: Legs = passed_on()
    expires_at: Timestamp | None = Field(
        None,
        description="When the hold lapses (in the future, DX055); never when left out. Past "
        "it the hold is released for every balance and can no longer be captured (DX052)",
    )
    memo: Memo | None = None
    ref: Ref | None = None
    metadata: Metadata | None = None
    conditions: Conditions = None

    def hold(self, key: str) -> dict[str, Any]:
        """The arguments of Ledger.create_hold: the key, and every other field as it came."""
        return {"idempotency_key": key} | {
            name: getattr(self, name)
            for name in HoldCreate.model_fields
            if name != "idempotency_key"
        }


class HoldCapture(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "description": HEADER_NOTE,
            "examples": [{"idempotency_key": "cap-7f3a", "amounts": ["60.00", "60.00"]}],
        }
    )

    idempotency_key: Key | None = None
    # Sent to the ledger as it came: it checks them against the hold's legs (DX053).
    amounts: Annotated[
        Any,
        Documented(
            type="array",
            items=AMOUNT_SCHEMA,
            description="One amount per leg of the hold, in its order, each at most what "
            'the leg holds ("0" leaves it out); the journal must balance. The whole hold '
            "when left out (or null); the rest is released",
        ),
        Nullable,
    ] = None
    effective_date: IsoDate | None = Field(
        None, description="The capture journal's date (the business date when left out)"
    )
    conditions: Conditions = None


class HoldVoid(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "description": HEADER_NOTE,
            "examples": [{"idempotency_key": "void-7f3a"}],
        }
    )

    idempotency_key: Key | None = None
