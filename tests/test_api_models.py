"""The request models on their own (no server, no database): Python parses JSON types and
syntax, strictly, names the field of every refusal, and leaves every limit to the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from doublex.api import args, bodies_ledger, parse
from doublex.api.problems import RequestProblem


def refusal(model: type[BaseModel], values: dict[str, Any]) -> tuple[str, str]:
    """(field, detail) of the problem a request with these values gets."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(values)
    found = parse.problem(caught.value.errors()[0], dict(parse.sources(model)))
    assert (found.status, found.code) == (422, "invalid_request")
    assert found.field is not None
    return found.field, found.detail


def account(**fields: Any) -> dict[str, Any]:
    return {"body": {"code": "1001-CASH", "name": "Cash", "ccy": "EUR"} | fields}


def test_strict_types_refuse_coercion() -> None:
    for value in ("true", 1, 0):
        field, detail = refusal(args.CreateAccountArgs, account(allow_negative=value))
        assert (field, detail) == ("allow_negative", "allow_negative: must be true or false")
    for field in ("code", "name", "ccy", "type"):
        assert refusal(args.CreateAccountArgs, account(**{field: 12})) == (
            field,
            f"{field}: must be a string",
        )
    assert refusal(args.CreateAccountArgs, account(metadata=[1])) == (
        "metadata",
        "metadata: must be a JSON object",
    )
    assert refusal(args.CreateAccountArgs, {"body": {"name": "x", "ccy": "EUR"}}) == (
        "code",
        "code: required",
    )


def test_null_means_absent_and_limits_are_not_checked() -> None:
    parsed = args.CreateAccountArgs.model_validate(
        account(type=None, allow_negative=None, metadata=None)
    )
    assert (parsed.body.type, parsed.body.allow_negative, parsed.body.metadata) == (
        "asset",
        True,
        None,
    )
    # Lengths, patterns and enum words are the ledger's (DX018, DX005, DX019): let through.
    long = args.CreateAccountArgs.model_validate(
        account(code="no spaces " * 20, ccy="euro", type="", name="")
    )
    assert (long.body.ccy, long.body.type) == ("euro", "")
    transfer = bodies_ledger.Transfer.model_validate({"memo": "m" * 5000, "legs": "anything"})
    assert (len(transfer.memo or ""), transfer.legs) == (5000, "anything")


def test_amounts_are_decimal_strings_parsed_as_decimal() -> None:
    base = {"body": {"from_account": "A", "to_account": "B"}}
    parsed = args.FxTransferArgs.model_validate({"body": base["body"] | {"amount": "0.10"}})
    assert parsed.body.amount == Decimal("0.10") and isinstance(parsed.body.amount, Decimal)
    # How many digits, and whether it is positive, are the ledger's (DX003, DX004).
    huge = "1" * 30 + "." + "0" * 30
    assert args.FxTransferArgs.model_validate(
        {"body": base["body"] | {"amount": huge}}
    ).body.amount == Decimal(huge)
    for wrong in (1, Decimal("1.5"), "1e3", "-1", "1.", ".5", " 1", "1,5", ""):
        field, detail = refusal(args.FxTransferArgs, {"body": base["body"] | {"amount": wrong}})
        assert (field, detail) == ("amount", 'amount: must be a decimal string such as "12.50"')


def test_dates_uuids_and_whole_numbers() -> None:
    assert args.BalanceArgs.model_validate({"code": "X", "as_of": "2024-02-29"}).as_of == date(
        2024, 2, 29
    )
    for wrong in ("2026-02-30", "20260101", "2026-1-01", "2026-01-01T00:00:00", ""):
        assert refusal(args.BalanceArgs, {"code": "X", "as_of": wrong}) == (
            "as_of",
            f"as_of: {wrong!r} is not a date (YYYY-MM-DD)",
        )
    assert refusal(args.HistoryArgs, {"code": "X", "from": "soon"})[0] == "from"
    # The page size's range is the ledger's (DX019); its type is a whole 32-bit number.
    for value, expected in (("0", 0), ("-5", -5), ("1000000", 1000000), ("2147483647", 2**31 - 1)):
        assert args.Page.model_validate({"limit": value}).limit == expected
    for wrong in ("5_0", " 5", "+5", "2147483648", "1e3", "\u0665", ""):
        assert refusal(args.Page, {"limit": wrong}) == (
            "limit",
            f"limit: {wrong!r} is not a whole number (32-bit)",
        )
    journal = args.JournalPath.model_validate({"journal_id": str(UUID(int=7))})
    assert journal.journal_id == UUID(int=7)
    with pytest.raises(ValidationError) as caught:
        args.JournalPath.model_validate({"journal_id": "not-a-uuid"})
    found = parse.problem(caught.value.errors()[0], dict(parse.sources(args.JournalPath)))
    assert (found.status, found.code, found.field) == (404, "not_found", "journal_id")


def test_the_earlier_api_is_told_apart_and_its_fields_named() -> None:
    entries = [
        {"account_code": "A", "amount": "30.00", "ccy": "EUR"},
        {"account_code": "B", "amount": -30, "ccy": "EUR"},
    ]
    parsed = args.TransferArgs.model_validate({"body": {"client_id": "c", "entries": entries}})
    assert isinstance(parsed.body, bodies_ledger.LegacyTransfer)
    journal = parsed.body.journal("k")
    # The ledger makes (and checks) the scoped key client_id:key: both parts go on as sent.
    assert (journal["client_id"], journal["idempotency_key"]) == ("c", "k")
    assert [(leg["side"], leg["amount"]) for leg in journal["legs"]] == [
        ("debit", "30.00"),
        ("credit", "30"),
    ]
    current = args.TransferArgs.model_validate({"body": {"legs": []}})
    assert isinstance(current.body, bodies_ledger.Transfer)
    wrong = [entries[0], {"account_code": "B", "amount": True, "ccy": "EUR"}]
    assert refusal(args.TransferArgs, {"body": {"client_id": "c", "entries": wrong}}) == (
        "entries[1].amount",
        "entries[1].amount: must be a decimal string or number",
    )
    assert refusal(args.TransferArgs, {"body": {"client_id": "c", "entries": ["x"]}}) == (
        "entries[0]",
        "entries[0]: must be a JSON object",
    )
    assert refusal(args.TransferArgs, {"body": {"legs": [], "memo": 5}}) == (
        "memo",
        "memo: must be a string",
    )
    assert parsed.body.journal("k" * 191)["idempotency_key"] == "k" * 191  # DX012 in SQL


def test_idempotency_key_from_body_or_header() -> None:
    assert parse.idempotency_key("h", None) == "h"
    assert parse.idempotency_key(None, "b") == "b"
    assert parse.idempotency_key("same", "same") == "same"
    assert parse.idempotency_key("", None) == ""  # empty: the ledger's DX012
    for header, body in (("h", "b"), (None, None)):
        with pytest.raises(RequestProblem) as caught:
            parse.idempotency_key(header, body)
        assert caught.value.field == "idempotency_key"
