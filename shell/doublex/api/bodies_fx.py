"""Request bodies of FX: a rate, a conversion (doublex.api.bodies: what every body is)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from doublex.api.bodies import HEADER_NOTE, Body
from doublex.api.fields import Code, DecimalText, Documented, IsoDate, Key, Memo, Nullable, Ref
from doublex.api.limits import Limit, Text


class FxRateSet(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"rate": "1.0852", "valid_on": "2026-11-20", "source": "ECB"}]
        }
    )

    rate: Annotated[
        DecimalText,
        Documented(
            description=Text(
                "1 base = rate quote: positive, ≤ {decimals} decimals",
                decimals=Limit("fx_rate_decimals"),
            )
        ),
    ]
    valid_on: IsoDate
    source: Annotated[str, Documented(minLength=1, maxLength=Limit("fx_source_length"))] | None = (
        None  # DX030
    )


class FxTransfer(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "description": HEADER_NOTE + ". One key covers the whole settlement (both journals).",
            "examples": [
                {
                    "idempotency_key": "fx-7f3a",
                    "from_account": "1001-CASH",
                    "to_account": "1101-USD-CASH",
                    "amount": "100.00",
                }
            ],
        }
    )

    idempotency_key: Key | None = None
    from_account: Code
    to_account: Code
    amount: DecimalText
    fixed_side: Annotated[str, Documented(enum=["source", "destination"]), Nullable] = Field(
        "source",
        description="source (default): amount leaves from_account; "
        "destination: amount arrives on to_account",
    )
    rate: DecimalText | None = Field(
        None, description="1 source ccy = rate destination ccy (override)"
    )
    effective_date: IsoDate | None = None
    memo: Memo | None = None
    ref: Ref | None = None

    def settlement(self, key: str) -> dict[str, Any]:
        """The arguments of Ledger.post_fx_transfer: the fields as they came, the key the one
        the request carries (header or body)."""
        return {**dict(self), "idempotency_key": key}
