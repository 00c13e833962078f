"""Event payloads built when read (migrations/0027): the sequencer keeps only the journal's or
the hold's id of a journal or hold event, and its readers (ledger.list_events, which the SSE
stream pages through, and ledger.claim_webhook_events) build the payload from the append-only
rows. With real transactions: what a reader gets later, after the mutable parts of an account
changed, is exactly the payload the earlier sequencer completed and stored at sequencing time
(ledger_private.event_of_journals for journals, ledger_private.event_payload on each queued
event, both computed here just before the sequencer runs); rolling 0027 back stores those
payloads in the log again."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.rows import dict_row

from doublex import migrate
from support.events import read_events, sequence_all
from support.http import admin_connection
from test_events import open_accounts, pair, post

MIGRATION = "0027_events_payload_on_read"
BUILT = ("journal.posted", "journal.reversed", "hold.created", "hold.captured", "hold.voided",
         "hold.expired")  # fmt: skip

Key = tuple[str, str]  # (type, journal or hold id)


def write_journals_and_holds(admin_dsn: str) -> None:
    """A posting with memo, ref and metadata, its reversal, and a hold of each outcome."""
    open_accounts(admin_dsn, "CASH", "SALES", "WALLET")
    with admin_connection(admin_dsn) as conn:
        conn.execute(
            "SELECT ledger.post_journal(%s, %s::jsonb, memo => 'm', ref => 'r', metadata => %s)",
            ("p1", pair("CASH", "SALES", "12.50"), json.dumps({"order": 7})),
        )
        post(conn, "p2", "SALES", "CASH")
    with admin_connection(admin_dsn) as conn:
        conn.execute(
            "SELECT ledger.reverse_journal((SELECT journal_id FROM ledger_private.journal"
            " WHERE idempotency_key = 'p2'), 'rev-p2')"
        )
    with admin_connection(admin_dsn) as conn:
        for key in ("h1", "h2"):
            conn.execute(
                "SELECT ledger.create_hold(%s, %s::jsonb, memo => 'auth')",
                (key, pair("WALLET", "CASH", "3.00")),
            )
        conn.execute(
            "SELECT ledger.create_hold('h3', %s::jsonb, expires_at => clock_timestamp())",
            (pair("WALLET", "CASH", "1.00"),),
        )
    with admin_connection(admin_dsn) as conn:
        conn.execute(
            "SELECT ledger.capture_hold((SELECT hold_id FROM ledger_private.hold"
            " WHERE idempotency_key = 'h1'), 'c1')"
        )
        conn.execute(
            "SELECT ledger.void_hold((SELECT hold_id FROM ledger_private.hold"
            " WHERE idempotency_key = 'h2'), 'v1')"
        )
    with admin_connection(admin_dsn) as conn:
        assert conn.execute("SELECT ledger.expire_holds()").fetchone() == (1,)


# What the earlier sequencer stored, computed as it computed it, from what is waiting to be
# sequenced: every journal's payload (event_of_journals) and every queued hold event
# completed by event_payload.
STORED_BEFORE = """
SELECT CASE j.kind WHEN 'reversal' THEN 'journal.reversed' ELSE 'journal.posted' END,
       p.journal_id::text, p.payload
  FROM ledger_private.event_of_journals(ARRAY(SELECT journal_id FROM ledger_private.journal)) AS p
  JOIN ledger_private.journal AS j ON j.journal_id = p.journal_id
UNION ALL
SELECT e.ev_type, e.ev_data::jsonb ->> 'hold_id',
       ledger_private.event_payload(e.ev_extra2, e.ev_type, e.ev_data::jsonb)
  FROM pgq.event_template AS e
 WHERE e.ev_type LIKE 'hold.%'
"""


def stored_before(admin_dsn: str) -> dict[Key, Any]:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        rows = conn.execute(STORED_BEFORE).fetchall()
    return {(kind, subject): payload for kind, subject, payload in rows}


def key_of(event_type: str, payload: dict[str, Any]) -> Key:
    return (event_type, payload["journal_id" if event_type.startswith("journal.") else "hold_id"])


def test_payloads_read_later_are_those_the_sequencer_stored_before(admin_dsn: str) -> None:
    with admin_connection(admin_dsn) as conn:
        conn.execute("SELECT ledger.create_webhook('http://127.0.0.1:9/hook')")
    write_journals_and_holds(admin_dsn)
    expected = stored_before(admin_dsn)
    sequence_all(admin_dsn)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        lean = conn.execute(
            "SELECT type, count(*) FROM ledger_private.event WHERE payload IS NULL"
            " GROUP BY type ORDER BY type"
        ).fetchall()
    # The mutable parts of an account change afterwards; its code never can (DX017).
    with admin_connection(admin_dsn) as conn:
        conn.execute("SELECT ledger.set_account_limits('CASH', min_balance => -1000000)")
        conn.execute("SELECT ledger.set_account_status('CASH', 'frozen')")
    # Stored without a payload: 3 postings (p1, p2, h1's capture), 1 reversal, 3 holds, 3 ends.
    assert dict(lean) == {
        "journal.posted": 3, "journal.reversed": 1, "hold.created": 3,
        "hold.captured": 1, "hold.voided": 1, "hold.expired": 1,
    }  # fmt: skip
    events = [e for e in read_events(admin_dsn) if e["type"] in BUILT]
    assert sorted(key_of(e["type"], e["payload"]) for e in events) == sorted(expected)
    for event in events:
        assert event["payload"] == expected[key_of(event["type"], event["payload"])]
    p1 = next(e["payload"] for e in events if e["payload"].get("idempotency_key") == "p1")
    header = (p1["memo"], p1["ref"], p1["metadata"], p1["kind"])
    assert header == ("m", "r", {"order": 7}, "transfer")
    assert p1["legs"] == [
        {"leg_no": 1, "account": "CASH", "side": "debit", "amount": "12.50", "ccy": "EUR"},
        {"leg_no": 2, "account": "SALES", "side": "credit", "amount": "12.50", "ccy": "EUR"},
    ]
    # The webhook worker's claim carries the same payloads in the bodies it signs.
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        hook = conn.execute("SELECT webhook_id FROM ledger_private.webhook").fetchone()
        assert hook is not None
        bodies = [
            json.loads(row[0])
            for row in conn.execute(
                "SELECT body FROM ledger.claim_webhook_events(%s, 100)", (hook[0],)
            ).fetchall()
        ]
    claimed = [b for b in bodies if b["type"] in BUILT]
    assert [b["event_id"] for b in claimed] == [str(e["event_id"]) for e in events]
    assert [b["payload"] for b in claimed] == [e["payload"] for e in events]


def test_rolling_back_stores_the_payloads_the_readers_got(admin_dsn: str) -> None:
    write_journals_and_holds(admin_dsn)
    sequence_all(admin_dsn)
    read = [(e["position"], e["payload"]) for e in read_events(admin_dsn)]
    assert any(e[1].get("legs") for e in read)
    applied = migrate.known()  # the test database is migrated to the newest
    rolled = migrate.rollback(admin_dsn, count=len(applied) - applied.index(MIGRATION))
    assert rolled.rolled_back[-1] == MIGRATION
    with psycopg.connect(admin_dsn, autocommit=True, row_factory=dict_row) as conn:
        stored = conn.execute("SELECT position, payload FROM ledger_private.event ORDER BY 1")
        assert [(r["position"], r["payload"]) for r in stored.fetchall()] == read
        nullable = conn.execute(
            "SELECT attnotnull FROM pg_attribute"
            " WHERE attrelid = 'ledger_private.event'::regclass AND attname = 'payload'"
        ).fetchone()
        assert nullable == {"attnotnull": True}
