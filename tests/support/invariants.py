"""The ledger's invariants, checked from the tables after every concurrent or property test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg


def assert_ledger_invariants(admin_dsn: str) -> None:
    """Σ debits = Σ credits per currency (overall and per journal); every balance equals the
    sum of its legs; at most one journal per idempotency key; no forbidden negative."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        unbalanced = conn.execute("""
            SELECT ccy, sum(amount) FILTER (WHERE side = 'debit') AS d,
                   sum(amount) FILTER (WHERE side = 'credit') AS c
              FROM ledger_private.leg GROUP BY ccy
            HAVING sum(amount) FILTER (WHERE side = 'debit')
                   IS DISTINCT FROM sum(amount) FILTER (WHERE side = 'credit')
        """).fetchall()
        assert unbalanced == [], f"unbalanced currencies: {unbalanced}"

        unbalanced_journals = conn.execute("""
            SELECT journal_id, ccy FROM ledger_private.leg GROUP BY journal_id, ccy
            HAVING sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) <> 0
        """).fetchall()
        assert unbalanced_journals == [], f"unbalanced journals: {unbalanced_journals[:5]}"

        per_key = conn.execute("""
            SELECT tenant, idempotency_key, count(*) FROM ledger_private.journal
             GROUP BY tenant, idempotency_key HAVING count(*) > 1
        """).fetchall()
        assert per_key == [], f"keys with several journals: {per_key[:5]}"

        accounts: list[Any] = conn.execute("""
            SELECT a.code, a.tenant, a.normal_side, a.allow_negative,
                   coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0) AS d,
                   coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0) AS c
              FROM ledger_private.account a LEFT JOIN ledger_private.leg l USING (account_id)
             GROUP BY a.account_id
        """).fetchall()
        for code, tenant, normal_side, allow_negative, debits, credits in accounts:
            expected = debits - credits if normal_side == "debit" else credits - debits
            row = conn.execute(
                "SELECT balance, debits, credits FROM ledger.get_balance(%s, NULL, %s)",
                (code, tenant),
            ).fetchone()
            assert row is not None
            assert (row[0], row[1], row[2]) == (expected, debits, credits), (
                f"{tenant}/{code}: get_balance {row} but legs say {expected} ({debits}/{credits})"
            )
            if not allow_negative:
                assert expected >= Decimal(0), f"{tenant}/{code} is negative: {expected}"
