"""Request bodies of the ledger's books: accounts (and their limits), transfers (the
earlier API's too), batches and reversals (doublex.api.bodies: what every body is)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from doublex.api.bodies import (
    ACCOUNT_TYPES,
    HEADER_NOTE,
    LEGS,
    Body,
    Conditions,
    Legs,
    legs_body,
    passed_on,
)
from doublex.api.fields import (
    CODE_SCHEMA,
    KEY_LENGTH,
    PRINTABLE,
    Ccy,
    Code,
    Documented,
    IsoDate,
    Key,
    LegacyAmount,
    Memo,
    Metadata,
    Nullable,
    Ref,
    SignedDecimalText,
)
from doublex.api.limits import Limit, Text

# The earlier API scoped keys per client; the ledger key is `client_id:key`, so that key
# gets what the ledger key leaves (ledger.client_idempotency_key checks both parts).
CLIENT_ID_LENGTH = Limit("client_id_length")
LEGACY_KEY_LENGTH = KEY_LENGTH - CLIENT_ID_LENGTH - 1
NAME_LENGTH = Limit("account_name_length")


class AccountCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "2001-LOAN", "name": "Loan", "ccy": "EUR", "type": "liability"}]
        }
    )

    code: Code
    # The ledger trims spaces around a name; what remains is 1 to account_name_length
    # characters (DX018): a first and a last one that are not spaces, and up to n - 2 between.
    name: Annotated[
        str,
        Documented(
            pattern=Text("^ *[^ ]([\\s\\S]{{0,{between}}}[^ ])? *$", between=NAME_LENGTH - 2),
            description=Text(
                "1 to {n} characters once spaces around it are trimmed", n=NAME_LENGTH
            ),
            examples=["Cash at bank"],
        ),
    ]
    ccy: Ccy
    type: Annotated[str, Documented(enum=ACCOUNT_TYPES), Nullable] = Field(
        "asset", description="asset when left out"
    )
    allow_negative: Annotated[bool, Nullable] = Field(True, description="true when left out")
    metadata: Annotated[dict[str, Any], Documented(description="Free JSON object")] | None = None


class Transfer(Body):
    model_config = ConfigDict(
        json_schema_extra=legs_body("tx-0c47a2", "1001-CASH", "4001-SALES", "45.00", "invoice 17")
    )

    idempotency_key: Key | None = None
    # Sent to the ledger as it came: it checks the legs (DX001, DX002, …), as in a batch.
    legs: Legs = passed_on()
    effective_date: IsoDate | None = None
    memo: Memo | None = None
    ref: Ref | None = None
    metadata: Metadata | None = None
    conditions: Conditions = None

    @staticmethod
    def answer(result: dict[str, Any]) -> dict[str, Any]:
        """The ledger's answer as it is."""
        return result

    def journal(self, key: str) -> dict[str, Any]:
        """The arguments of Ledger.post_journal."""
        return {
            "idempotency_key": key,
            "legs": self.legs,
            "effective_date": self.effective_date,
            "memo": self.memo,
            "ref": self.ref,
            "metadata": self.metadata,
            "conditions": self.conditions,
        }


class LegacyEntry(Body):
    model_config = ConfigDict(json_schema_extra={"required": ["account_code", "amount", "ccy"]})

    # Passed on as they came: the ledger checks a leg's account and currency (DX001, DX005).
    account_code: Annotated[Any, Documented(type="string", **CODE_SCHEMA)] = passed_on()
    ccy: Annotated[Any, Documented(type="string", pattern="^[A-Z]{3}$")] = passed_on()
    amount: Annotated[str, LegacyAmount]


class LegacyTransfer(Body):
    """The earlier DoubleX API: signed `entries` (positive = debit, negative = credit).

    Its idempotency keys were scoped per client, so the ledger key is `client_id:key`, and
    the client id is kept in the journal's metadata."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "The earlier DoubleX API: a positive amount debits, a negative "
            "credits. The ledger key is client_id:idempotency_key; idempotency_key may come as "
            "the Idempotency-Key header instead.",
            "examples": [
                {
                    "client_id": "pos-17",
                    "idempotency_key": "sale-0001",
                    "entries": [
                        {"account_code": "1001-CASH", "amount": "12.50", "ccy": "EUR"},
                        {"account_code": "4001-SALES", "amount": "-12.50", "ccy": "EUR"},
                    ],
                }
            ],
        }
    )

    # ledger.client_idempotency_key checks both parts of the key (DX019, DX012).
    client_id: Annotated[
        str,
        Documented(
            minLength=1,
            maxLength=CLIENT_ID_LENGTH,
            pattern="^[^\\x00-\\x1f\\x7f:]+$",
            description="Printable, no colon",
        ),
    ]
    idempotency_key: (
        Annotated[str, Documented(minLength=1, maxLength=LEGACY_KEY_LENGTH, pattern=PRINTABLE)]
        | None
    ) = None
    value_date: IsoDate | None = None
    memo: Memo | None = None
    entries: Annotated[list[LegacyEntry], Documented(**LEGS)]

    @staticmethod
    def answer(result: dict[str, Any]) -> dict[str, Any]:
        """The earlier API's words: a first post is `applied` (a replay stays `duplicate`)."""
        return {**result, "status": "applied"} if result["status"] == "posted" else result

    def journal(self, key: str) -> dict[str, Any]:
        """The arguments of Ledger.post_journal: entries become legs, the key is scoped."""
        legs = [
            {
                "account": entry.account_code,
                "side": "credit" if entry.amount.startswith("-") else "debit",
                "amount": entry.amount.removeprefix("-"),
                "ccy": entry.ccy,
            }
            for entry in self.entries
        ]
        return {
            "client_id": self.client_id,
            "idempotency_key": key,
            "legs": legs,
            "effective_date": self.value_date,
            "memo": self.memo,
            "ref": None,
            "metadata": {"client_id": self.client_id},
        }


class BatchRequest(Body):
    model_config = ConfigDict(json_schema_extra={"required": ["requests"]})

    # Sent to the ledger as it came: it checks the list and each request in its own result.
    requests: Annotated[
        Any,
        Documented(
            type="array",
            maxItems=Limit("batch_requests"),
            items={
                "description": "A Transfer object (its conditions too, checked right after "
                "that request). Each request is checked on its own: a malformed or refused one "
                "is rejected in its own result, the others post.",
            },
        ),
    ] = passed_on()


class Reversal(Body):
    model_config = ConfigDict(json_schema_extra={"description": HEADER_NOTE})

    idempotency_key: Key | None = None
    memo: Memo | None = None


class AccountLimits(BaseModel):
    """Both limits, each named: PUT replaces them, so null (no limit) is said, never implied
    by a field left out (a body of unknown fields changes nothing)."""

    model_config = ConfigDict(
        strict=True,
        extra="ignore",
        json_schema_extra={
            "description": "Both limits are set at once; null is no limit. Balances on the "
            "account's normal side; enforced on the available balance for every writer "
            "(DX010 below min_balance, DX054 above max_balance).",
            "examples": [{"min_balance": "-500.00", "max_balance": None}],
        },
    )

    min_balance: SignedDecimalText | None = Field(
        description="Lowest available balance (-500: a credit line of 500). null: none, or "
        "0 for an account opened with allow_negative false",
    )
    max_balance: SignedDecimalText | None = Field(
        description="Highest balance counting pending increases; null: none"
    )
