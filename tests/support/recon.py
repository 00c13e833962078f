"""Helpers for the reconciliation tests: books with a bank account, postings, statements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

BANK = "1001-BANK"
SALES = "4001-SALES"


def open_books(app_dsn: str, bank: str = BANK, ccy: str = "EUR") -> None:
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        conn.execute("SELECT ledger.create_account(%s, 'Bank account', %s)", (bank, ccy))
        conn.execute(
            "SELECT ledger.create_account(%s, 'Sales', %s, 'income')", (f"{bank}-SALES", ccy)
        )


def post_bank(
    conn: psycopg.Connection[Any],
    key: str,
    amount: Decimal,
    ref: str | None,
    day: date,
    bank: str = BANK,
    ccy: str = "EUR",
) -> UUID:
    """A journal moving `amount` as the bank sees it: positive debits the bank account."""
    bank_side, other_side = ("debit", "credit") if amount > 0 else ("credit", "debit")
    legs = [
        {"account": bank, "side": bank_side, "amount": str(abs(amount)), "ccy": ccy},
        {"account": f"{bank}-SALES", "side": other_side, "amount": str(abs(amount)), "ccy": ccy},
    ]
    row = conn.execute(
        "SELECT journal_id FROM ledger.post_journal(%s, %s, %s, ref => %s)",
        (key, Jsonb(legs), day, ref),
    ).fetchone()
    assert row is not None
    journal_id: UUID = row[0]
    return journal_id
