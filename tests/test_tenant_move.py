"""`doublex shards move` (doublex.tenant_move; README, "Sharding"): a tenant's books move
to another shard while another tenant posts through the proxy, answer the same through the
proxy before and after, leave nothing on the source; its writes get DX067 while fenced; a
copy that does not verify leaves the tenant where it was.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from doublex import tenant_move
from doublex.cli import main
from doublex.config import API_ROLE, SERVICE_ROLE, as_role
from support.dates import iso
from support.http import admin_connection, create_key
from support.serving import doublex_serve
from support.sharding import Sharded
from support.tenants import create_tenants

NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]


def legs(amount: str) -> str:
    return json.dumps(
        [
            {"account": "CASH", "side": "debit", "amount": amount, "ccy": "EUR"},
            {"account": "SALES", "side": "credit", "amount": amount, "ccy": "EUR"},
        ]
    )


def seed(admin_dsn: str, tenant: str) -> str:
    """Books touching most of a tenant's tables: accounts, journals before and after a
    closed (sealed) day, a hold, a rate, a monitor, a webhook; answers a key."""
    create_tenants(admin_dsn, tenant)
    closed = iso("2026-12-02")
    with admin_connection(admin_dsn) as conn:
        for code, kind in (("CASH", "asset"), ("SALES", "income")):
            conn.execute(
                "SELECT ledger.create_account(%s, %s, 'EUR', %s, tenant => %s)",
                (code, code, kind, tenant),
            )
    with admin_connection(admin_dsn) as conn:
        for n in range(5):
            conn.execute(
                "SELECT ledger.post_journal(%s, %s, %s::date, tenant => %s)",
                (f"old-{n}", legs(f"{n + 1}.00"), closed, tenant),
            )
    with admin_connection(admin_dsn) as conn:
        conn.execute("SELECT ledger.eod_close(%s::date, tenant => %s)", (closed, tenant))
    with admin_connection(admin_dsn) as conn:
        for n in range(3):
            conn.execute(
                "SELECT ledger.post_journal(%s, %s, tenant => %s)",
                (f"new-{n}", legs("2.50"), tenant),
            )
        conn.execute(
            "SELECT ledger.create_hold('h-1', %s, now() + interval '1 day', tenant => %s)",
            (legs("1.25"), tenant),
        )
        conn.execute(
            "SELECT ledger.upsert_fx_rate('USD', 'EUR', 0.9, %s::date, tenant => %s)",
            (closed, tenant),
        )
        conn.execute(
            "SELECT ledger.create_monitor(account => 'CASH', field => 'posted',"
            " condition => '>', threshold => 1000, tenant => %s)",
            (tenant,),
        )
        conn.execute(
            "SELECT ledger.create_webhook('https://hooks.example.com/x', tenant => %s)",
            (tenant,),
        )
    return str(create_key(admin_dsn, tenant)["token"])


def seed_recon(shard_dsn: str, tenant: str) -> None:
    """A bank statement of CASH imported and reconciled on the tenant's shard (staging is
    a session's temporary table: on the shard itself)."""
    closed = iso("2026-12-02")
    with admin_connection(shard_dsn) as conn:
        conn.execute("SELECT ledger.stage_statement(tenant => %s)", (tenant,))
        for n in range(1, 4):
            conn.execute(
                "INSERT INTO pg_temp.doublex_statement_staging"
                " (line_no, line_date, ref, amount, ccy, description, bank_id)"
                " VALUES (%s, %s, %s, %s, 'EUR', 'line', %s)",
                (str(n), closed, f"r{n}", f"{n}.00", f"b{n}"),
            )
        conn.execute("SELECT ledger.import_statement('CASH', 'bank.csv', tenant => %s)", (tenant,))
    with admin_connection(shard_dsn) as conn:
        conn.execute("SELECT ledger.recon_run('CASH', %s::date, tenant => %s)", (closed, tenant))


WEBHOOK_STATE = """
SELECT e.event_id, d.event_id
  FROM ledger_private.webhook AS w
  JOIN ledger_private.event AS e ON e.position = w.cursor
  JOIN ledger_private.webhook_delivery AS d ON d.webhook_id = w.webhook_id
  JOIN ledger_private.event AS f ON f.position = d.position AND f.event_id = d.event_id
 WHERE w.tenant = %s
"""


def deliver_third_event(shard_dsn: str, tenant: str) -> tuple[Any, ...]:
    """The tenant's webhook delivered up to its third event, as the worker records it."""
    with psycopg.connect(shard_dsn) as conn:
        conn.execute(
            "WITH e AS (SELECT position, event_id FROM ledger_private.event WHERE tenant = %(t)s"
            "            ORDER BY position OFFSET 2 LIMIT 1),"
            " w AS (UPDATE ledger_private.webhook SET cursor = (SELECT position FROM e)"
            "        WHERE tenant = %(t)s RETURNING webhook_id)"
            " INSERT INTO ledger_private.webhook_delivery"
            "  (webhook_id, position, event_id, attempt, outcome, status, duration_ms)"
            " SELECT w.webhook_id, e.position, e.event_id, 1, 'delivered', 200, 5 FROM w, e",
            {"t": tenant},
        )
    return delivered_event(shard_dsn, tenant)


def delivered_event(shard_dsn: str, tenant: str) -> tuple[Any, ...]:
    """The events the webhook's cursor and its delivery name (by position, as event ids)."""
    with psycopg.connect(shard_dsn) as conn:
        row = conn.execute(WEBHOOK_STATE, [tenant]).fetchone()
    assert row is not None and row[0] == row[1]
    return tuple(row)


def call(conn: psycopg.Connection[Any], key: str, query: str, *args: Any) -> list[Any]:
    with conn.transaction():
        conn.execute(
            "SELECT set_config('role', %s, true), set_config('doublex.api_key', %s, true)",
            [API_ROLE, key],
        )
        return conn.execute(query, args).fetchall()


def service(dsn: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(as_role(dsn, SERVICE_ROLE))
    conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    return conn


ANSWERS = [
    "SELECT balance, available FROM ledger.get_balance('CASH')",
    "SELECT balance FROM ledger.get_balance('SALES')",
    "SELECT journal_id, effective_date, memo FROM ledger.list_journals(page_size => 1000)",
    "SELECT kind, journal_id, amount, balance FROM ledger.account_statement('CASH',"
    " current_date - 30, current_date + 1)",
    "SELECT * FROM ledger.verify_seals()",
    "SELECT * FROM ledger.trial_balance()",
    "SELECT hold_id, status FROM ledger.list_holds()",
    "SELECT event_id, type FROM ledger.list_events(page_size => 1000)",
    "SELECT latest_closed_date, last_seal, open_dates FROM ledger.eod_status()",
    "SELECT * FROM ledger.recon_summaries(current_date - 2)",
    "SELECT kind, line, ref, bank_amount, journal_id, leg_no, amount, delta"
    " FROM ledger.recon_items(current_date - 2)",
]


def answers(proxy_dsn: str, key: str) -> list[list[Any]]:
    with service(proxy_dsn) as conn:
        return [call(conn, key, query) for query in ANSWERS]


def settled_answers(world: Sharded, source: int, key: str) -> list[list[Any]]:
    """The answers once the source's sequencer has made the events of what was seeded
    (the move runs it too)."""
    with psycopg.connect(world.shard_dsns[source], autocommit=True) as conn:
        conn.execute("SELECT ledger.sequence_events()")
    return answers(world.proxy_dsn, key)


def placed(world: Sharded) -> tuple[str, str, int, int]:
    """A tenant to move and another on the same shard; the source and target shards."""
    homes: dict[int, list[str]] = {0: [], 1: []}
    for name in NAMES:
        homes[world.shard_index(name)].append(name)
    source = 0 if len(homes[0]) >= 2 else 1
    return homes[source][0], homes[source][1], source, 1 - source


def held(dsn: str, tenant: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return tenant_move.counts(conn, tenant, tenant_move.plan(conn))


def rest(base: str, method: str, path: str, key: str, body: Any = None) -> tuple[int, Any, Any]:
    """Status, body and Retry-After of one request."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers["Retry-After"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers["Retry-After"]


SERVE = {
    "LOG_LEVEL": "WARNING",
    "DOUBLEX_DEMO": "off",
    "DOUBLEX_WEBHOOKS": "off",
    "DOUBLEX_EVENTS_SECONDS": "0",
    "DOUBLEX_POOL_MAX": "2",
}


def test_a_tenant_moves_while_another_posts_and_answers_the_same(
    sharded: Sharded, tmp_path: Path
) -> None:
    mover, other, source, target = placed(sharded)
    create_tenants(sharded.proxy_dsn, mover, other)
    key = seed(sharded.proxy_dsn, mover)
    seed_recon(sharded.shard_dsns[source], mover)
    other_key = seed(sharded.proxy_dsn, other)
    before = settled_answers(sharded, source, key)
    delivered = deliver_third_event(sharded.shard_dsns[source], mover)
    on_source = held(sharded.shard_dsns[source], mover)
    assert sum(1 for n in on_source.values() if n) >= 20, on_source
    for table in ("statement_import", "statement_line", "recon_run", "recon_outcome"):
        assert on_source[table] > 0, table
    with psycopg.connect(sharded.shard_dsns[source]) as conn:
        cursor = conn.execute(  # a consumer that read every event of the tenant so far
            "SELECT max(position), count(*) FROM ledger_private.event WHERE tenant = %s", [mover]
        ).fetchone()
    assert cursor is not None and cursor[1] > 0

    stop = threading.Event()
    outcomes: dict[str, int] = {"ok": 0, "failed": 0}
    failures: list[str] = []

    def post_other() -> None:
        with service(sharded.proxy_dsn) as conn:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    call(
                        conn,
                        other_key,
                        "SELECT ledger.post_journal(%s, %s)",
                        f"o-{n}",
                        legs("1.00"),
                    )
                    outcomes["ok"] += 1
                except psycopg.Error as exc:
                    outcomes["failed"] += 1
                    failures.append(f"{exc.sqlstate}: {exc}")

    fenced_answers: list[Any] = []
    served: list[Any] = []

    def during(phase: str) -> None:
        if phase != "fenced":
            return
        # through the REST service: the write a retryable 503, the read answered
        transfer = {"idempotency_key": "rest-during", "legs": json.loads(legs("3.00"))}
        served.append(rest(base, "POST", "/api/transfers", key, transfer))
        served.append(rest(base, "GET", "/api/accounts/CASH/balance", key))
        with service(sharded.proxy_dsn) as conn:
            with pytest.raises(psycopg.Error) as refused:
                call(conn, key, "SELECT ledger.post_journal('during', %s)", legs("9.00"))
            fenced_answers.append(refused.value.sqlstate)
            # reads keep answering from the source
            fenced_answers.append(call(conn, key, ANSWERS[0])[0])

    worker = threading.Thread(target=post_other)
    with doublex_serve(sharded.proxy_service_dsn, tmp_path / "proxy.log", **SERVE) as base:
        worker.start()
        try:
            report = tenant_move.move_tenant(
                sharded.proxy_dsn, sharded.shard_dsns, mover, target, progress=during
            )
        finally:
            stop.set()
            worker.join()
    status, problem, retry_after = served[0]
    assert (status, problem["code"], retry_after) == (503, "DX067", "1"), problem
    assert problem["type"].endswith("tenant_moving")
    assert served[1][0] == 200 and served[1][1]["balance"] == str(before[0][0][0])
    assert outcomes["failed"] == 0, failures[:3]
    assert outcomes["ok"] > 0
    assert fenced_answers[0] == "DX067"
    assert fenced_answers[1] == before[0][0]
    assert report.source == source and report.target == target
    assert report.rows == on_source
    assert report.fenced_seconds < 2.0
    assert sharded.shard_index(mover) == target
    assert sharded.shard_index(other) == source
    # the same answers through the proxy; nothing of it left on the source
    assert answers(sharded.proxy_dsn, key) == before
    assert set(held(sharded.shard_dsns[source], mover).values()) == {0}
    assert held(sharded.shard_dsns[target], mover) == on_source
    # its cursor of the source misses nothing: the moved events come once more, numbered above
    with service(sharded.proxy_dsn) as conn:
        again = call(
            conn, key, "SELECT count(*) FROM ledger.list_events(%s, page_size => 1000)", cursor[0]
        )
    assert again == [(cursor[1],)]
    # the webhook's cursor and its delivery follow the event they named
    assert delivered_event(sharded.shard_dsns[target], mover) == delivered
    # it posts on its new shard, its balance and events carry on
    with service(sharded.proxy_dsn) as conn:
        call(conn, key, "SELECT ledger.post_journal('after', %s)", legs("10.00"))
        assert call(conn, key, "SELECT count(*) FROM ledger.verify_seals()") == [(0,)]
    assert held(sharded.shard_dsns[target], mover)["leg"] == on_source["leg"] + 2


@pytest.mark.parametrize(
    ("phase", "day"),
    [("caught up", iso("2026-12-02")), ("fenced", iso("2026-12-04"))],
    ids=["a-sealed-day-before-the-fence", "an-open-day-under-the-fence"],
)
def test_a_copy_that_does_not_verify_leaves_the_tenant_where_it_was(
    sharded: Sharded, phase: str, day: str
) -> None:
    """A leg changed on the target: of a closed day before the fence (its seal recomputed
    differs), or of today under the fence (Σ legs differ)."""
    mover, _, source, target = placed(sharded)
    key = seed(sharded.proxy_dsn, mover)
    seed_recon(sharded.shard_dsns[source], mover)
    before = settled_answers(sharded, source, key)

    def tamper(now: str) -> None:
        if now == phase:
            with psycopg.connect(sharded.shard_dsns[target]) as conn:
                conn.execute("SET session_replication_role = replica")
                changed = conn.execute(
                    "UPDATE ledger_private.leg SET amount = amount + 1"
                    " WHERE tenant = %s AND leg_no = 1 AND effective_date = %s::date",
                    (mover, day),
                )
                assert changed.rowcount > 0

    with pytest.raises(tenant_move.MoveError, match="differ"):
        tenant_move.move_tenant(
            sharded.proxy_dsn, sharded.shard_dsns, mover, target, progress=tamper
        )
    assert sharded.shard_index(mover) == source
    assert set(held(sharded.shard_dsns[target], mover).values()) == {0}
    assert answers(sharded.proxy_dsn, key) == before
    with service(sharded.proxy_dsn) as conn:  # not fenced
        call(conn, key, "SELECT ledger.post_journal('still-here', %s)", legs("1.00"))


def test_every_table_of_a_tenant_is_moved_or_the_move_is_refused(sharded: Sharded) -> None:
    """The tables come from the catalog: each with a tenant column or hanging off one; a
    table that is neither, or a serial id nobody maps, refuses the move."""
    dsn = sharded.shard_dsns[0]
    with psycopg.connect(dsn) as conn:
        planned = {t.name for t in tenant_move.plan(conn)}
        with_tenant = {
            name
            for (name,) in conn.execute(
                "SELECT c.relname FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid"
                " WHERE c.relnamespace = 'ledger_private'::regnamespace AND c.relkind = 'r'"
                "   AND a.attname = 'tenant'"
            )
        }
        assert with_tenant <= planned
        assert {"monitor_state", "webhook_delivery"} <= planned
        conn.execute("CREATE TABLE ledger_private.zz_unplaced (x int)")
        with pytest.raises(tenant_move.MoveError, match="zz_unplaced"):
            tenant_move.plan(conn)
        conn.rollback()


def test_the_cli_moves_a_tenant_and_status_shows_it(
    sharded: Sharded, monkeypatch: pytest.MonkeyPatch
) -> None:
    mover, _, source, target = placed(sharded)
    seed(sharded.proxy_dsn, mover)
    monkeypatch.setenv("DOUBLEX_PROXY_DSN", sharded.proxy_dsn)
    monkeypatch.setenv("DOUBLEX_SHARD_DSNS", ";".join(sharded.shard_dsns))
    runner = CliRunner()
    refused = runner.invoke(main, ["shards", "move", mover, "--to", str(source)])
    assert refused.exit_code != 0 and "already" in refused.output
    refused = runner.invoke(main, ["shards", "move", "default", "--to", str(target)])
    assert refused.exit_code != 0 and "every shard" in refused.output
    moved = runner.invoke(main, ["shards", "move", mover, "--to", str(target)])
    assert moved.exit_code == 0, moved.output
    assert f"shard {source} → shard {target}" in moved.output
    status = runner.invoke(main, ["shards", "status"])
    assert f"tenant {mover}: on shard {target}" in status.output


def in_flight(world: Sharded, shard: int, key: str) -> psycopg.Connection[Any]:
    """A posting of the tenant on the shard, its transaction left open."""
    conn = service(world.shard_dsns[shard])
    conn.execute(
        "SELECT set_config('role', %s, true), set_config('doublex.api_key', %s, true)",
        [API_ROLE, key],
    )
    conn.execute("SELECT ledger.post_journal('in-flight', %s)", [legs("7.00")])
    return conn


def journal_keys(world: Sharded, key: str) -> set[str]:
    with service(world.proxy_dsn) as conn:
        rows = call(
            conn, key, "SELECT idempotency_key FROM ledger.list_journals(page_size => 1000)"
        )
    return {row[0] for row in rows}


def test_the_source_waits_for_writes_that_got_in_and_refuses_later_ones(sharded: Sharded) -> None:
    """The race the proxy's fence alone leaves open: calls that reach the source shard
    past the proxy's fence (routed just before it, or a SQL caller of the shard). One
    entered before the move's fence and commits a second later: the move waits for it
    and takes it along. One that starts under the fence is refused (DX067), so nothing
    the source acknowledges is left behind."""
    mover, _, source, target = placed(sharded)
    key = seed(sharded.proxy_dsn, mover)
    source_dsn = sharded.shard_dsns[source]
    late: list[str] = []
    timers: list[threading.Timer] = []

    def refused_late_write() -> None:
        with service(source_dsn) as conn:
            try:
                call(conn, key, "SELECT ledger.post_journal('late', %s)", legs("4.00"))
                late.append("committed")
            except psycopg.Error as exc:
                late.append(str(exc.sqlstate))

    def during(phase: str) -> None:
        if phase != "fenced":
            return
        inflight = in_flight(sharded, source, key)

        def commit() -> None:
            inflight.commit()
            inflight.close()

        timers.extend([threading.Timer(1.0, commit), threading.Timer(0.3, refused_late_write)])
        for timer in timers:
            timer.start()

    report = tenant_move.move_tenant(
        sharded.proxy_dsn, sharded.shard_dsns, mover, target, progress=during
    )
    for timer in timers:
        timer.join()
    assert late == ["DX067"]
    assert report.final_copy_seconds >= 0.6  # it waited for the write in flight
    assert sharded.shard_index(mover) == target
    keys = journal_keys(sharded, key)
    assert "in-flight" in keys and "late" not in keys
    assert set(held(source_dsn, mover).values()) == {0}
