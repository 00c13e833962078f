"""Request bodies, declared once: `parse` validates them, `document` publishes them.

pydantic (v2) over msgspec: its JSON Schema output targets OpenAPI 3.1 / JSON Schema 2020-12
directly, so /api/openapi.json is generated from these classes rather than written beside
them; its validation errors carry the location of the offending field, which a problem
document must name (`entries[1].amount`); and its strict mode refuses type coercion — "5" is
not 5, 1 is not true, 12 is not a key — so a value of the wrong JSON type never reaches SQL
as something else.

The models check JSON types and syntax only (see `fields`). Limits are documented and left to
the ledger, which answers with its DX code; legs and batch requests are not even typed here:
the ledger validates each one (DX001 to DX009, DX024), in a batch within its own result.

This module holds what every body shares (`Body`, a leg, a balance condition); each area's
bodies are in `bodies_ledger` (accounts, transfers, journals), `bodies_holds`, `bodies_fx`,
`bodies_access` (API keys), `bodies_webhooks` and `bodies_monitors`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from doublex.api.fields import AMOUNT_DIGITS, AMOUNT_SCHEMA, DIGITS, Ccy, Code, Documented, Nullable
from doublex.api.limits import Limit, Text

REF = "#/components/schemas/"
ACCOUNT_TYPES = ["asset", "liability", "equity", "income", "expense"]
HEADER_NOTE = "idempotency_key may come as the Idempotency-Key header instead"
LEGS = {"minItems": Limit("legs_min"), "maxItems": Limit("legs_max")}


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def passed_on() -> Any:
    """A field the ledger checks, presence included (DX001, DX024): Python lets it through as
    it came (None when absent) and the document lists it as required, without a default."""
    return Field(None, json_schema_extra=_no_default)


class Body(BaseModel):
    """A JSON object body. Strict types; unknown fields are ignored; null means absent."""

    model_config = ConfigDict(strict=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {name: value for name, value in data.items() if value is not None}
        return data


class Leg(Body):
    """One leg of a transfer. Documented here, validated by the ledger (DX001 to DX008)."""

    model_config = ConfigDict(extra="forbid")

    account: Code
    side: Annotated[str, Documented(enum=["debit", "credit"])]
    amount: Annotated[str, Documented(**AMOUNT_SCHEMA)]
    ccy: Ccy


def legs_body(key: str, debit: str, credit: str, amount: str, memo: str) -> dict[str, Any]:
    """The model config of a body of two legs (a transfer, a hold): required legs, the
    header note, and this example."""
    pair = [
        {"account": account, "side": side, "amount": amount, "ccy": "EUR"}
        for account, side in ((debit, "debit"), (credit, "credit"))
    ]
    example = {"idempotency_key": key, "legs": pair, "memo": memo}
    return {"required": ["legs"], "description": HEADER_NOTE, "examples": [example]}


class BalanceCondition(Body):
    """A balance condition of a request: refuse it whole unless, right after it, the
    account's available (or posted) balance compares so with the amount. Documented here,
    validated by the ledger (DX056; a false one is DX057). The one model every request that
    takes conditions refers to (`Conditions`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"account": "2001-WALLET", "field": "available", "op": ">=", "amount": "0.00"}
            ]
        },
    )

    account: Code
    field: Annotated[str, Documented(enum=["available", "posted"])] = Field(
        "available", description="available when left out"
    )
    op: Annotated[str, Documented(enum=[">=", "<=", "="])]
    amount: Annotated[
        str,
        Documented(
            type="string",
            pattern=Text("^-?" + DIGITS, digits=AMOUNT_DIGITS),
            description="A decimal string, negative allowed; never a JSON number",
            examples=["100.00", "-500"],
        ),
    ]


# A request's balance conditions, sent to the ledger as they came (it checks them, DX056).
Conditions = Annotated[
    Any,
    Documented(
        type="array",
        maxItems=Limit("conditions_max"),
        items={"$ref": REF + "BalanceCondition"},
        description="Balance conditions that must hold right after this request, or it is "
        "refused whole (DX057)",
    ),
    Nullable,
]


# A request's legs (a transfer's, a hold's): Leg objects, sent to the ledger as they came.
Legs = Annotated[Any, Documented(type="array", **LEGS, items={"$ref": REF + "Leg"})]
