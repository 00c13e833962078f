"""The scalar types of the REST models: what Python parses, and what it only documents.

Python parses types and nothing more: a JSON type, the syntax of a date, a UUID, a decimal
string or a whole number, and the SQL parameter type a value must fit. Every limit (lengths,
ranges, counts, patterns of codes and keys, enum words) is the ledger's: SQL checks it and
answers with its DX code (sql/errors.md), so a limit changes in one place and REST, CLI and
SQL refuse alike. Such limits still belong in /api/openapi.json, for clients and for
Schemathesis: `Documented` puts JSON Schema keywords in the document without checking them,
and a number that is one of the ledger's limits is named, never written (`limits.Limit`):
the served document takes it from ledger.api_limits().
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, PlainValidator, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from doublex.api.limits import Limit, Text
from doublex.jsonio import ExponentNumber


class Documented:
    """JSON Schema keywords for the document only. The ledger enforces them (SQL owns every
    limit and answers with its DX code); Python does not check them a second time."""

    def __init__(self, **keywords: Any) -> None:
        self.keywords = keywords

    @classmethod
    def text(cls, limit: str, description: str, example: str) -> Documented:
        """A text at most the ledger's `limit` long (its DX code beyond), with an example."""
        return cls(maxLength=Limit(limit), description=description, examples=[example])

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        document = handler(schema)
        document.update(self.keywords)
        return document


class Parsed:
    """A value that travels as JSON text and is parsed into a Python type (date, Decimal, …).

    `parse` raises ValueError with the message the problem document gives; `schema` is what
    the OpenAPI document says the text is; `wrong_type` is the message for a value that is
    not a JSON string at all."""

    def __init__(
        self,
        parse: Callable[[str], Any],
        schema: dict[str, Any],
        wrong_type: str = "must be a string",
    ) -> None:
        self.parse = parse
        self.schema = schema
        self.wrong_type = wrong_type

    def _validate(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise PydanticCustomError("type", self.wrong_type)
        try:
            return self.parse(value)
        except ValueError as exc:
            raise PydanticCustomError("syntax", "{reason}", {"reason": str(exc)}) from None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self._validate)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return dict(self.schema)


class _Nullable:
    """Annotation: null is accepted (and means the same as leaving the field out)."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [handler(schema), {"type": "null"}]}


Nullable = _Nullable()


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
SIGNED_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
WHOLE_NUMBER = re.compile(r"-?[0-9]+")  # int() also takes " 5", "5_0", non-ASCII digits
INT32 = (-(2**31), 2**31 - 1)


def parse_date(value: str) -> date:
    """YYYY-MM-DD only (RFC 3339 full-date), a real date; "" and "20260101" are not."""
    if ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def parse_timestamp(value: str) -> datetime:
    """An RFC 3339 date-time with its offset ("2027-01-01T00:00:00Z"), a real instant."""
    if RFC3339.fullmatch(value):
        try:
            return datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            pass
    raise ValueError(f"{value[:40]!r} is not a date-time with an offset (RFC 3339)")


def parse_decimal(value: str) -> Decimal:
    """Digits with an optional fraction ("12.50"); how many, and whether it is positive, are
    the ledger's to judge (DX003, DX004, DX030)."""
    if not DECIMAL.fullmatch(value):
        raise ValueError(DECIMAL_WORDING)
    return Decimal(value)


def parse_signed_decimal(value: str) -> Decimal:
    """Digits with an optional sign and fraction ("-500.00"): a balance limit or a
    monitor's threshold; its magnitude is the ledger's to judge (DX063)."""
    if not SIGNED_DECIMAL.fullmatch(value):
        raise ValueError(SIGNED_DECIMAL_WORDING)
    return Decimal(value)


def parse_int64(value: str) -> int:
    """A whole number that fits the SQL `bigint` parameter it is sent to (a cursor)."""
    digits = value.removeprefix("-")
    if len(digits) > 19 or not WHOLE_NUMBER.fullmatch(value) or not -(2**63) <= int(value) < 2**63:
        raise ValueError(f"{value[:25]!r} is not a whole number (64-bit)")
    return int(value)


def parse_int32(value: str) -> int:
    """A whole number that fits the SQL `integer` parameter it is sent to; its range is the
    ledger's (a page size out of 1 to api_limit('page_size') is DX019)."""
    # At most 10 digits before int(): a longer one is out of range anyway, and int() of
    # thousands of digits is slow and refused with Python's own wording.
    digits = value.removeprefix("-")
    if (
        len(digits) > 10
        or not WHOLE_NUMBER.fullmatch(value)
        or not INT32[0] <= int(value) <= INT32[1]
    ):
        raise ValueError(f"{value[:20]!r} is not a whole number (32-bit)")
    return int(value)


def json_int32(value: Any) -> int:
    """A JSON whole number that fits the SQL `integer` parameter it is sent to (a key's rate
    and burst); its range is the ledger's (DX046)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("type", "must be a whole number")
    if not INT32[0] <= value <= INT32[1]:
        raise PydanticCustomError("syntax", "is not a whole number (32-bit)")
    return value


def parse_uuid(value: str) -> UUID:
    return UUID(value)


def legacy_amount(value: Any) -> str:
    """The earlier API's signed amount: a decimal string or a JSON number in plain notation,
    as plain digits. An exponent is refused (a syntax, like the string's): `1e-999999999`
    would be a billion digits."""
    if isinstance(value, ExponentNumber):
        raise PydanticCustomError("syntax", "must be a decimal string or a number without exponent")
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")  # 100.0 → "100.0"; 123456789012345678901 stays digits
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    raise PydanticCustomError("syntax", "must be a decimal string or number")


class LegacyAmount:
    """Annotation: `legacy_amount` as the validator, documented as a string or a number."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(legacy_amount)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string", "pattern": Text("^-?" + DIGITS, digits=AMOUNT_DIGITS)},
                {"type": "number"},
            ],
            "description": "Signed: positive debits, negative credits",
        }


PRINTABLE = "^[^\\x00-\\x1f\\x7f]+$"
# A code: a letter or digit, then up to account_code_length - 1 more of these.
CODE_PATTERN = Text(
    "^[A-Za-z0-9][A-Za-z0-9._:-]{{0,{rest}}}$", rest=Limit("account_code_length") - 1
)
CODE_SCHEMA = {"pattern": CODE_PATTERN, "examples": ["1001-CASH"]}
# An amount: up to amount_digits digits before and after the point (str.format template).
AMOUNT_DIGITS = Limit("amount_digits")
DIGITS = "[0-9]{{1,{digits}}}(\\.[0-9]{{1,{digits}}})?$"
AMOUNT_SCHEMA = {
    "type": "string",
    "pattern": Text("^" + DIGITS, digits=AMOUNT_DIGITS),
    "description": "A positive decimal string; never a JSON number",
    "examples": ["4500.00"],
}
MONEY_SCHEMA = {
    "type": "string",
    "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
    "description": "Exact decimal",
}

# Parsed from text (request bodies and query strings alike).
IsoDate = Annotated[date, Parsed(parse_date, {"type": "string", "format": "date"})]
DECIMAL_WORDING = 'must be a decimal string such as "12.50"'
DecimalText = Annotated[Decimal, Parsed(parse_decimal, AMOUNT_SCHEMA, DECIMAL_WORDING)]
SIGNED_DECIMAL_WORDING = 'must be a decimal string such as "-12.50"'
SIGNED_AMOUNT_SCHEMA = AMOUNT_SCHEMA | {
    "pattern": Text("^-?" + DIGITS, digits=AMOUNT_DIGITS),
    "description": "A decimal string, negative allowed; never a JSON number",
}
# A balance on an account's normal side (a limit, a monitor's threshold): signed; its size is
# the ledger's.
SignedDecimalText = Annotated[
    Decimal, Parsed(parse_signed_decimal, SIGNED_AMOUNT_SCHEMA, SIGNED_DECIMAL_WORDING)
]
WholeNumber = Annotated[int, Parsed(parse_int32, {"type": "integer"})]
# A JSON number in a body (not text): whole, 32-bit.
Int32 = Annotated[int, PlainValidator(json_int32), WithJsonSchema({"type": "integer"})]
BigCursor = Annotated[int, Parsed(parse_int64, {"type": "string", "pattern": "^-?[0-9]{1,19}$"})]
Timestamp = Annotated[datetime, Parsed(parse_timestamp, {"type": "string", "format": "date-time"})]
JournalId = Annotated[UUID, Parsed(parse_uuid, {"type": "string", "format": "uuid"})]
HoldId = JournalId

# Strings whose limits the ledger owns (documented, not re-checked here).
Code = Annotated[str, Documented(**CODE_SCHEMA)]
Ccy = Annotated[str, Documented(pattern="^[A-Z]{3}$", description="ISO 4217 code")]
KEY_LENGTH = Limit("idempotency_key_length")
Key = Annotated[str, Documented(minLength=1, maxLength=KEY_LENGTH, pattern=PRINTABLE)]  # DX012
Memo = Annotated[str, Documented(maxLength=Limit("memo_length"))]  # DX019
Ref = Annotated[str, Documented(maxLength=Limit("ref_length"))]  # DX019
Metadata = Annotated[
    dict[str, Any],
    Documented(
        description=Text("Free JSON object (≤ {n} bytes as JSON text)", n=Limit("metadata_bytes"))
    ),
]

# Response values: how the ledger's rows are written as JSON.
Money = Annotated[Decimal, Parsed(Decimal, MONEY_SCHEMA)]
