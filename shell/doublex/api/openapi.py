"""The OpenAPI 3.1 document of the REST service, served at /api/openapi.json.

Schemas say exactly what the service accepts, so that generated clients and Schemathesis
agree with it: amounts are decimal strings, codes and keys have their SQL limits.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from doublex import __version__, jsonio

AMOUNT = {
    "type": "string",
    "pattern": "^[0-9]{1,20}(\\.[0-9]{1,20})?$",
    "description": "A positive decimal string; never a JSON number",
    "examples": ["4500.00"],
}
MONEY = {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "Exact decimal"}
CCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code"}
CODE = {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
    "examples": ["1001-CASH"],
}
KEY = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\x00-\\x1f\\x7f]+$"}
PRINTABLE = "^[^\\x00-\\x1f\\x7f]+$"
DATE = {"type": "string", "format": "date"}
TIMESTAMP = {"type": "string", "format": "date-time"}
UUID_ = {"type": "string", "format": "uuid"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
METADATA = {"type": "object", "description": "Free JSON object (≤ 16 KiB as JSON text)"}
# The ledger trims spaces around a name; what remains is 1 to 200 characters.
ACCOUNT_NAME = {
    "type": "string",
    "pattern": "^ *[^ ]([\\s\\S]{0,198}[^ ])? *$",
    "description": "1 to 200 characters once spaces around it are trimmed",
    "examples": ["Cash at bank"],
}


def optional(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional body field: null is accepted and means the same as leaving it out."""
    return {**schema, "type": [schema["type"], "null"]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def json_response(
    description: str, schema: dict[str, Any], links: dict[str, Any] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if links:
        response["links"] = links
    return response


def link(operation_id: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link: where a value of this response goes in the next request."""
    return {"operationId": operation_id, "parameters": parameters}


JOURNAL_LINKS = {
    "GetJournal": link("getJournal", journal_id="$response.body#/journal_id"),
    "ReverseJournal": link("reverseJournal", journal_id="$response.body#/journal_id"),
}
FX_LINKS = {
    "GetSourceJournal": link("getJournal", journal_id="$response.body#/source_journal_id"),
    "GetDestinationJournal": link(
        "getJournal", journal_id="$response.body#/destination_journal_id"
    ),
}
ACCOUNT_LINKS = {
    "GetAccount": link("getAccount", code="$response.body#/code"),
    "GetBalance": link("getBalance", code="$response.body#/code"),
}


PROBLEM_RESPONSE = {
    "description": "An error, as application/problem+json with a stable code",
    "content": {"application/problem+json": {"schema": ref("Problem")}},
}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "code", "detail", "errors"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "code": {"type": "string", "description": "DX code (sql/errors.md) or shell code"},
            "detail": {"type": "string"},
            "hint": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "version", "database", "migrations"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded", "unavailable"]},
            "version": {"type": "string"},
            "database": {"type": "string"},
            "migrations": {
                "type": ["object", "null"],
                "description": "null when the database cannot be reached",
                "properties": {
                    "applied": {"type": "integer"},
                    "latest": {"type": ["string", "null"]},
                    "pending": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "AccountCreate": {
        "type": "object",
        "required": ["code", "name", "ccy"],
        "properties": {
            "code": CODE,
            "name": ACCOUNT_NAME,
            "ccy": CCY,
            "type": optional(
                {
                    "type": "string",
                    "enum": ["asset", "liability", "equity", "income", "expense", None],
                    "description": "asset when left out",
                }
            ),
            "allow_negative": optional({"type": "boolean", "description": "true when left out"}),
            "metadata": optional({"type": "object", "description": "Free JSON object"}),
        },
        "examples": [{"code": "2001-LOAN", "name": "Loan", "ccy": "EUR", "type": "liability"}],
    },
    "Account": {
        "type": "object",
        "required": ["id", "code", "name", "ccy", "type", "status", "allow_negative", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "ccy": {"type": "string"},
            "type": {"type": "string"},
            "normal_side": {"type": "string", "enum": ["debit", "credit"]},
            "status": {"type": "string", "enum": ["active", "frozen", "closed"]},
            "allow_negative": {"type": "boolean"},
            "metadata": {"type": "object"},
            "created_at": TIMESTAMP,
        },
    },
    "AccountPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref("Account")},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "Balance": {
        "type": "object",
        "required": ["account", "ccy", "balance", "debits", "credits", "as_of", "snapshot_source"],
        "properties": {
            "account": {"type": "string"},
            "ccy": {"type": "string"},
            "balance": MONEY,
            "debits": MONEY,
            "credits": MONEY,
            "as_of": NULLABLE_DATE,
            "snapshot_source": {
                "type": "string",
                "enum": ["live", "snapshot"],
                "description": "snapshot: as of a closed business date, read from its close",
            },
        },
    },
    "BalanceHistoryEntry": {
        "type": "object",
        "required": [
            "account",
            "ccy",
            "business_date",
            "opening_balance",
            "debits",
            "credits",
            "closing_balance",
        ],
        "properties": {
            "account": {"type": "string"},
            "ccy": {"type": "string"},
            "business_date": DATE,
            "opening_balance": MONEY,
            "debits": MONEY,
            "credits": MONEY,
            "closing_balance": MONEY,
        },
    },
    "BalanceHistory": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": ref("BalanceHistoryEntry")}},
    },
    "EodStatus": {
        "type": "object",
        "required": [
            "tenant",
            "time_zone",
            "cutoff",
            "business_date",
            "latest_closed_date",
            "open_dates",
            "next_posting_date",
        ],
        "properties": {
            "tenant": {"type": "string"},
            "time_zone": {"type": "string", "examples": ["UTC"]},
            "cutoff": {"type": "string", "description": "Local time the business day ends"},
            "business_date": DATE,
            "latest_closed_date": NULLABLE_DATE,
            "last_closed_at": {"type": ["string", "null"], "format": "date-time"},
            "last_seal": {"type": ["string", "null"], "description": "Hex SHA-256"},
            "open_dates": {"type": "array", "items": DATE},
            "next_posting_date": DATE,
        },
    },
    "Leg": {
        "type": "object",
        "required": ["account", "side", "amount", "ccy"],
        "additionalProperties": False,
        "properties": {
            "account": CODE,
            "side": {"type": "string", "enum": ["debit", "credit"]},
            "amount": AMOUNT,
            "ccy": CCY,
        },
    },
    "Transfer": {
        "type": "object",
        "required": ["legs"],
        "description": "idempotency_key may come as the Idempotency-Key header instead",
        "properties": {
            "idempotency_key": optional(KEY),
            "legs": {"type": "array", "minItems": 2, "maxItems": 500, "items": ref("Leg")},
            "effective_date": optional(DATE),
            "memo": optional({"type": "string", "maxLength": 1000}),
            "ref": optional({"type": "string", "maxLength": 200}),
            "metadata": optional(METADATA),
        },
        "examples": [
            {
                "idempotency_key": "tx-0c47a2",
                "legs": [
                    {"account": "1001-CASH", "side": "debit", "amount": "45.00", "ccy": "EUR"},
                    {"account": "4001-SALES", "side": "credit", "amount": "45.00", "ccy": "EUR"},
                ],
                "memo": "invoice 17",
            }
        ],
    },
    "LegacyTransfer": {
        "type": "object",
        "required": ["client_id", "entries"],
        "description": "The earlier DoubleX API: a positive amount debits, a negative credits. "
        "The ledger key is client_id:idempotency_key; idempotency_key may come as the "
        "Idempotency-Key header instead.",
        "properties": {
            "client_id": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "pattern": "^[^\\x00-\\x1f\\x7f:]+$",
                "description": "Printable, no colon",
            },
            "idempotency_key": optional(
                {"type": "string", "minLength": 1, "maxLength": 190, "pattern": PRINTABLE}
            ),
            "value_date": optional(DATE),
            "memo": optional({"type": "string", "maxLength": 1000}),
            "entries": {
                "type": "array",
                "minItems": 2,
                "maxItems": 500,
                "items": {
                    "type": "object",
                    "required": ["account_code", "amount", "ccy"],
                    "properties": {
                        "account_code": CODE,
                        "ccy": CCY,
                        "amount": {
                            "anyOf": [
                                {"type": "string", "pattern": "^-?[0-9]{1,20}(\\.[0-9]{1,20})?$"},
                                {"type": "number"},
                            ],
                            "description": "Signed: positive debits, negative credits",
                        },
                    },
                },
            },
        },
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
    },
    "PostingResult": {
        "type": "object",
        "required": ["journal_id", "status", "effective_date", "created_at"],
        "properties": {
            "journal_id": UUID_,
            "status": {"type": "string", "enum": ["posted", "duplicate"]},
            "effective_date": DATE,
            "created_at": TIMESTAMP,
        },
    },
    "BatchRequest": {
        "type": "object",
        "required": ["requests"],
        "properties": {
            "requests": {
                "type": "array",
                "maxItems": 1000,
                "items": {
                    "description": "A Transfer object. Each request is checked on its own: a "
                    "malformed or refused one is rejected in its own result, the others post.",
                },
            }
        },
    },
    "BatchResult": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["position", "status", "journal_id", "error_code", "error_message"],
                    "properties": {
                        "position": {"type": "integer"},
                        "idempotency_key": {"type": ["string", "null"]},
                        "journal_id": {"type": ["string", "null"], "format": "uuid"},
                        "status": {"type": "string", "enum": ["posted", "duplicate", "rejected"]},
                        "effective_date": NULLABLE_DATE,
                        "created_at": {"type": ["string", "null"], "format": "date-time"},
                        "error_code": {"type": ["string", "null"]},
                        "error_field": {"type": ["string", "null"]},
                        "error_message": {"type": ["string", "null"]},
                    },
                },
            }
        },
    },
    "JournalLeg": {
        "type": "object",
        "required": ["leg_no", "account", "side", "amount", "ccy"],
        "properties": {
            "leg_no": {"type": "integer"},
            "account": {"type": "string"},
            "side": {"type": "string", "enum": ["debit", "credit"]},
            "amount": MONEY,
            "ccy": {"type": "string"},
        },
    },
    "Journal": {
        "type": "object",
        "required": ["journal_id", "kind", "effective_date", "created_at", "legs", "cursor"],
        "properties": {
            "journal_id": UUID_,
            "idempotency_key": {"type": "string"},
            "kind": {"type": "string", "enum": ["transfer", "fx", "reversal"]},
            "effective_date": DATE,
            "created_at": TIMESTAMP,
            "memo": {"type": ["string", "null"]},
            "ref": {"type": ["string", "null"]},
            "metadata": {"type": "object"},
            "reverses": {"type": ["string", "null"], "format": "uuid"},
            "reversed_by": {"type": ["string", "null"], "format": "uuid"},
            "legs": {"type": "array", "items": ref("JournalLeg")},
            "cursor": {"type": "string"},
        },
    },
    "JournalPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref("Journal")},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "FxRateSet": {
        "type": "object",
        "required": ["rate", "valid_on"],
        "properties": {
            "rate": {**AMOUNT, "description": "1 base = rate quote: positive, ≤ 12 decimals"},
            "valid_on": DATE,
            "source": optional({"type": "string", "minLength": 1, "maxLength": 200}),
        },
        "examples": [{"rate": "1.0852", "valid_on": "2026-11-20", "source": "ECB"}],
    },
    "FxQuote": {
        "type": "object",
        "required": ["base", "quote", "rate", "valid_on", "direction", "source"],
        "properties": {
            "base": CCY,
            "quote": CCY,
            "rate": MONEY,
            "valid_on": DATE,
            "direction": {
                "type": "string",
                "enum": ["direct", "inverted"],
                "description": "inverted: 1/rate of the stored inverse pair (half-even, 12 dp)",
            },
            "source": {"type": ["string", "null"]},
        },
    },
    "FxTransfer": {
        "type": "object",
        "required": ["from_account", "to_account", "amount"],
        "description": "idempotency_key may come as the Idempotency-Key header instead. One "
        "key covers the whole settlement (both journals).",
        "properties": {
            "idempotency_key": optional(KEY),
            "from_account": CODE,
            "to_account": CODE,
            "amount": AMOUNT,
            "fixed_side": optional(
                {
                    "type": "string",
                    "enum": ["source", "destination", None],
                    "description": "source (default): amount leaves from_account; "
                    "destination: amount arrives on to_account",
                }
            ),
            "rate": optional(
                {**AMOUNT, "description": "1 source ccy = rate destination ccy (override)"}
            ),
            "effective_date": optional(DATE),
            "memo": optional({"type": "string", "maxLength": 1000}),
            "ref": optional({"type": "string", "maxLength": 200}),
        },
        "examples": [
            {
                "idempotency_key": "fx-7f3a",
                "from_account": "1001-CASH",
                "to_account": "1101-USD-CASH",
                "amount": "100.00",
            }
        ],
    },
    "FxSettlement": {
        "type": "object",
        "required": [
            "settlement_id",
            "status",
            "source_amount",
            "destination_amount",
            "rate",
            "residual",
            "source_journal_id",
            "destination_journal_id",
        ],
        "properties": {
            "settlement_id": UUID_,
            "status": {"type": "string", "enum": ["posted", "duplicate"]},
            "idempotency_key": {"type": "string"},
            "from_account": {"type": "string"},
            "to_account": {"type": "string"},
            "source_ccy": {"type": "string"},
            "destination_ccy": {"type": "string"},
            "source_amount": MONEY,
            "destination_amount": MONEY,
            "rate": MONEY,
            "rate_basis": {"type": "string", "enum": ["direct", "inverted", "override"]},
            "rate_valid_on": NULLABLE_DATE,
            "fixed_side": {"type": "string", "enum": ["source", "destination"]},
            "residual": {
                **MONEY,
                "description": "exact minus rounded computed amount, in residual_ccy",
            },
            "residual_ccy": {"type": "string"},
            "source_journal_id": UUID_,
            "destination_journal_id": UUID_,
            "effective_date": DATE,
            "created_at": TIMESTAMP,
        },
    },
    "FxPosition": {
        "type": "object",
        "required": ["as_of", "reporting_ccy", "items"],
        "properties": {
            "as_of": NULLABLE_DATE,
            "reporting_ccy": {"type": "string"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["ccy", "clearing_account", "position", "rate", "value"],
                    "properties": {
                        "ccy": {"type": "string"},
                        "clearing_account": {"type": "string"},
                        "position": {**MONEY, "description": "positive = long"},
                        "reporting_ccy": {"type": "string"},
                        "rate": {"type": ["string", "null"], "pattern": MONEY["pattern"]},
                        "rate_valid_on": NULLABLE_DATE,
                        "value": {"type": ["string", "null"], "pattern": MONEY["pattern"]},
                    },
                },
            },
        },
    },
    "ReconException": {
        "type": "object",
        "required": ["kind", "ref", "delta", "amount", "line"],
        "properties": {
            "kind": {
                "type": "string",
                "enum": ["amount_mismatch", "missing_in_ledger", "missing_in_bank"],
            },
            "ref": {"type": ["string", "null"], "description": "Statement ref, else the journal's"},
            "delta": {**MONEY, "description": "Bank amount minus ledger amount (missing side: 0)"},
            "amount": {**MONEY, "description": "The bank's amount, else the ledger's"},
            "line": {
                "type": ["integer", "null"],
                "description": "Line number in the statement file (null: missing_in_bank)",
            },
        },
    },
    "ReconReport": {
        "type": "object",
        "required": [
            "date",
            "account",
            "ledger_total",
            "bank_total",
            "matched",
            "unmatched",
            "exceptions",
        ],
        "description": "The latest reconciliation run of an account and date. Amounts are "
        "signed as the bank sees them: money into the account is positive.",
        "properties": {
            "date": DATE,
            "account": {"type": "string"},
            "ledger_total": MONEY,
            "bank_total": MONEY,
            "matched": {"type": "integer", "minimum": 0},
            "unmatched": {"type": "integer", "minimum": 0, "description": "Exceptions"},
            "exceptions": {"type": "array", "items": ref("ReconException")},
        },
    },
    "Reversal": {
        "type": "object",
        "description": "idempotency_key may come as the Idempotency-Key header instead",
        "properties": {
            "idempotency_key": optional(KEY),
            "memo": optional({"type": "string", "maxLength": 1000}),
        },
    },
}

IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": KEY,
    "description": "Alternative to the body's idempotency_key",
}
CODE_PATH = {"name": "code", "in": "path", "required": True, "schema": CODE}
JOURNAL_PATH = {"name": "journal_id", "in": "path", "required": True, "schema": UUID_}
LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
}
CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "next_cursor of the previous page",
}

RECON_DATE = {"name": "date", "in": "query", "required": True, "schema": DATE}
RECON_ACCOUNT = {
    "name": "account",
    "in": "query",
    "required": False,
    "schema": CODE,
    "description": "The account. May be left out when exactly one account was reconciled "
    "that date; when several were, the answer is 422 naming them",
}
RECON_REPORT_DESCRIPTION = (
    "The latest run of one account and date. Without `account` the answer is the one account "
    "reconciled that date; when several accounts were reconciled that date it is 422 "
    "(problem document, code `invalid_request`, field `account`) whose detail lists their "
    "codes and asks for `account`. 404 (`DX038`) when no run exists for that date, or for "
    "that account on that date; 404 (`DX020`) for an unknown account."
)
PROBLEM_ONLY = PROBLEM_RESPONSE["content"]


def operation(
    operation_id: str, summary: str, responses: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "responses": {**responses, "default": PROBLEM_RESPONSE},
        **extra,
    }


PATHS: dict[str, Any] = {
    "/api/health": {
        "get": operation(
            "health",
            "Service and database health",
            {
                "200": json_response("Healthy", ref("Health")),
                "503": json_response("The database cannot be reached", ref("Health")),
            },
        )
    },
    "/api/accounts": {
        "post": operation(
            "createAccount",
            "Open an account",
            {"201": json_response("Created", ref("Account"), ACCOUNT_LINKS)},
            requestBody=json_body(ref("AccountCreate")),
        ),
        "get": operation(
            "listAccounts",
            "List accounts by code",
            {"200": json_response("A page", ref("AccountPage"))},
            parameters=[LIMIT, CURSOR],
        ),
    },
    "/api/accounts/{code}": {
        "get": operation(
            "getAccount",
            "One account",
            {"200": json_response("The account", ref("Account"))},
            parameters=[CODE_PATH],
        )
    },
    "/api/accounts/{code}/balance": {
        "get": operation(
            "getBalance",
            "Balance on the account's normal side",
            {"200": json_response("The balance", ref("Balance"))},
            parameters=[
                CODE_PATH,
                {"name": "as_of", "in": "query", "required": False, "schema": DATE},
            ],
        )
    },
    "/api/accounts/{code}/history": {
        "get": operation(
            "getBalanceHistory",
            "Opening, debits, credits and closing per closed business date",
            {"200": json_response("One item per closed date, in order", ref("BalanceHistory"))},
            parameters=[
                CODE_PATH,
                {"name": "from", "in": "query", "required": False, "schema": DATE},
                {"name": "to", "in": "query", "required": False, "schema": DATE},
            ],
        )
    },
    "/api/eod": {
        "get": operation(
            "getEodStatus",
            "Business calendar: business date, latest close, open dates",
            {"200": json_response("The status", ref("EodStatus"))},
        )
    },
    "/api/transfers": {
        "post": operation(
            "postTransfer",
            "Post a balanced journal, idempotently",
            {
                "201": json_response("Posted", ref("PostingResult"), JOURNAL_LINKS),
                "200": json_response(
                    "Duplicate: the original result", ref("PostingResult"), JOURNAL_LINKS
                ),
            },
            parameters=[IDEMPOTENCY_HEADER],
            requestBody=json_body({"anyOf": [ref("Transfer"), ref("LegacyTransfer")]}),
        )
    },
    "/api/transfers/batch": {
        "post": operation(
            "postTransferBatch",
            "Post up to 1000 journals in one transaction",
            {"200": json_response("One result per request, in order", ref("BatchResult"))},
            requestBody=json_body(ref("BatchRequest")),
        )
    },
    "/api/journals": {
        "get": operation(
            "listJournals",
            "Journals by effective date",
            {"200": json_response("A page", ref("JournalPage"))},
            parameters=[
                {"name": "from", "in": "query", "required": False, "schema": DATE},
                {"name": "to", "in": "query", "required": False, "schema": DATE},
                {"name": "account", "in": "query", "required": False, "schema": CODE},
                CURSOR,
                LIMIT,
            ],
        )
    },
    "/api/journals/{journal_id}": {
        "get": operation(
            "getJournal",
            "One journal with its legs",
            {"200": json_response("The journal", ref("Journal"))},
            parameters=[JOURNAL_PATH],
        )
    },
    "/api/journals/{journal_id}/reverse": {
        "post": operation(
            "reverseJournal",
            "Post the mirror journal, once",
            {
                "201": json_response(
                    "Reversed", ref("PostingResult"), {"GetJournal": JOURNAL_LINKS["GetJournal"]}
                ),
                "200": json_response("Duplicate: the original reversal", ref("PostingResult")),
            },
            parameters=[JOURNAL_PATH, IDEMPOTENCY_HEADER],
            requestBody=json_body(ref("Reversal")),
        )
    },
    "/api/fx/rates/{base}/{quote}": {
        "put": operation(
            "putFxRate",
            "Set the rate of a currency pair for a date (insert or replace)",
            {"200": json_response("The stored rate", ref("FxQuote"))},
            parameters=[
                {"name": "base", "in": "path", "required": True, "schema": CCY},
                {"name": "quote", "in": "path", "required": True, "schema": CCY},
            ],
            requestBody=json_body(ref("FxRateSet")),
        )
    },
    "/api/fx/rates": {
        "get": operation(
            "getFxRate",
            "The rate of a pair on a date: direct, or inverted from the stored inverse pair",
            {"200": json_response("The rate", ref("FxQuote"))},
            parameters=[
                {"name": "base", "in": "query", "required": True, "schema": CCY},
                {"name": "quote", "in": "query", "required": True, "schema": CCY},
                {
                    "name": "on",
                    "in": "query",
                    "required": False,
                    "schema": DATE,
                    "description": "The current business date when left out",
                },
            ],
        )
    },
    "/api/fx/transfers": {
        "post": operation(
            "postFxTransfer",
            "Convert between accounts of two currencies (two journals via clearing), idempotently",
            {
                "201": json_response("Settled", ref("FxSettlement"), FX_LINKS),
                "200": json_response(
                    "Duplicate: the original settlement", ref("FxSettlement"), FX_LINKS
                ),
            },
            parameters=[IDEMPOTENCY_HEADER],
            requestBody=json_body(ref("FxTransfer")),
        )
    },
    "/api/fx/position": {
        "get": operation(
            "getFxPosition",
            "Open FX position per currency (clearing balances) in a reporting currency",
            {"200": json_response("The position", ref("FxPosition"))},
            parameters=[
                {"name": "as_of", "in": "query", "required": False, "schema": DATE},
                {
                    "name": "reporting_ccy",
                    "in": "query",
                    "required": False,
                    "schema": {**CCY, "default": "EUR"},
                },
            ],
        )
    },
    "/api/reports/recon": {
        "get": operation(
            "getReconReport",
            "A date's reconciliation of one account: totals, counts, exceptions (404: no run)",
            {
                "200": json_response("The reconciliation", ref("ReconReport")),
                "404": {"description": "No run for that date (DX038)", "content": PROBLEM_ONLY},
                "422": {
                    "description": "Several accounts were reconciled that date and `account` "
                    "was left out (the detail lists them), or a malformed parameter",
                    "content": PROBLEM_ONLY,
                },
            },
            description=RECON_REPORT_DESCRIPTION,
            parameters=[RECON_DATE, RECON_ACCOUNT],
        )
    },
    "/api/reports/recon.html": {
        "get": operation(
            "getReconReportHtml",
            "The reconciliation report of a date as a self-contained HTML page",
            {"200": {"description": "The page", "content": {"text/html": {}}}},
            parameters=[
                RECON_DATE,
                {**RECON_ACCOUNT, "description": "Only this account (default: every account)"},
            ],
        )
    },
    "/api/openapi.json": {
        "get": operation(
            "getOpenApi",
            "This document (OpenAPI 3.1)",
            {"200": {"description": "The document", "content": {"application/json": {}}}},
        )
    },
    "/api/docs": {
        "get": operation(
            "getDocs",
            "This document as a readable page (self-contained HTML)",
            {"200": {"description": "The page", "content": {"text/html": {}}}},
        )
    },
    "/metrics": {
        "get": operation(
            "getMetrics",
            "Prometheus metrics in the text exposition format",
            {"200": {"description": "The metrics", "content": {"text/plain": {}}}},
        )
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "DoubleX ledger API",
        "version": __version__,
        "description": "A double-entry ledger. Amounts are exact decimal strings. Errors are "
        "application/problem+json with a stable code (sql/errors.md).",
    },
    "servers": [{"url": "/"}],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS},
}

_ENCODED = jsonio.dumps(DOCUMENT)


async def serve(request: web.Request) -> web.Response:
    return web.Response(body=_ENCODED, content_type="application/json")
