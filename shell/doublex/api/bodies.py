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
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from doublex.api.fields import (
    AMOUNT_DIGITS,
    AMOUNT_SCHEMA,
    CODE_SCHEMA,
    DIGITS,
    KEY_LENGTH,
    PRINTABLE,
    Ccy,
    Code,
    DecimalText,
    Documented,
    Int32,
    IsoDate,
    Key,
    LegacyAmount,
    Memo,
    Metadata,
    Nullable,
    Ref,
    SignedDecimalText,
    Timestamp,
)
from doublex.api.limits import Limit, Text

REF = "#/components/schemas/"
ACCOUNT_TYPES = ["asset", "liability", "equity", "income", "expense"]
HEADER_NOTE = "idempotency_key may come as the Idempotency-Key header instead"
# The earlier API scoped keys per client; the ledger key is `client_id:key`, so that key
# gets what the ledger key leaves (ledger.client_idempotency_key checks both parts).
CLIENT_ID_LENGTH = Limit("client_id_length")
LEGACY_KEY_LENGTH = KEY_LENGTH - CLIENT_ID_LENGTH - 1
NAME_LENGTH = Limit("account_name_length")
LEGS = {"minItems": Limit("legs_min"), "maxItems": Limit("legs_max")}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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


class Transfer(Body):
    model_config = ConfigDict(
        json_schema_extra=legs_body("tx-0c47a2", "1001-CASH", "4001-SALES", "45.00", "invoice 17")
    )

    idempotency_key: Key | None = None
    # Sent to the ledger as it came: it checks the legs (DX001, DX002, …), as in a batch.
    legs: Annotated[Any, Documented(type="array", **LEGS, items={"$ref": REF + "Leg"})] = (
        passed_on()
    )
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

    name: Annotated[
        str,
        Documented(
            maxLength=Limit("api_key_name_length"),
            description="What the key is for",
            examples=["billing"],
        ),
    ]
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


class HoldCreate(Body):
    """A hold: legs reserved, not posted, until captured, voided or expired."""

    model_config = ConfigDict(
        json_schema_extra=legs_body(
            "auth-7f3a", "2001-LOAN", "1001-CASH", "80.00", "card authorisation"
        )
    )

    idempotency_key: Key | None = None
    # Sent to the ledger as it came: it checks the legs as a journal's (DX001, DX002, …).
    legs: Annotated[Any, Documented(type="array", **LEGS, items={"$ref": REF + "Leg"})] = (
        passed_on()
    )
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
        Documented(
            maxLength=Limit("webhook_url_length"),
            description="Where events are POSTed: http or https, a host, no credentials",
            examples=["https://hooks.example.com/doublex"],
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
