"""Sharding by tenant with PL/Proxy (README, "Sharding"): two shards on two servers and a
proxy database generated from a shard's catalog (support.sharding).

The proxy's `ledger` schema is the shard's (a new API function cannot be forgotten); tenants
spread over both shards and each lives on one; the wall between tenants holds through the
proxy for every tenant-scoped function, and the proxy login is nothing without a key; a
shard's errors (DX codes with field, detail and hint, 40001) reach the caller as the shard
raised them; `doublex migrate` with the proxy configured migrates every shard.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import psycopg
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from doublex import shards, shards_catalog, shards_cluster
from doublex.api.routes import OPERATIONS
from doublex.cli import main
from doublex.config import API_ROLE, SERVICE_ROLE, as_role
from support import dates
from support.cluster import TestCluster
from support.events import sequence_all
from support.http import UNKNOWN_KEY, admin_connection, create_key
from support.serving import doublex_serve
from support.sharding import PARTITIONS, Sharded
from support.tenants import create_tenants

TENANTS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]

SIGNATURES = """
SELECT p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
       p.proretset,
       ARRAY(SELECT a.grantee::regrole::text FROM aclexplode(p.proacl) AS a
              WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner ORDER BY 1),
       obj_description(p.oid, 'pg_proc')
  FROM pg_proc AS p WHERE p.pronamespace = 'ledger'::regnamespace ORDER BY 1, 2
"""
TYPES = """
SELECT t.typname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_type AS t JOIN pg_attribute AS a ON a.attrelid = t.typrelid AND a.attnum > 0
 WHERE t.typnamespace = 'ledger'::regnamespace AND t.typtype = 'c' ORDER BY 1, 2
"""


def rows(dsn: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        conn.execute("SET search_path = pg_catalog")
        return conn.execute(query).fetchall()  # type: ignore[arg-type]


def test_the_proxy_has_every_function_of_a_shard_with_its_signature_and_grants(
    sharded: Sharded,
) -> None:
    shard = rows(sharded.shard_dsns[0], SIGNATURES)
    assert len(shard) > 70
    assert rows(sharded.proxy_dsn, SIGNATURES) == shard
    assert rows(sharded.proxy_dsn, TYPES) == rows(sharded.shard_dsns[0], TYPES)


def test_every_function_crosses_the_proxy_in_a_way_it_names(sharded: Sharded) -> None:
    """Routed by tenant (a `tenant` argument or the caller's key), or one of the named ways;
    the named ones are functions the shard has."""
    catalog = shards_catalog.read_catalog(sharded.shard_dsns[0])
    names = {f.name for f in catalog.functions}
    assert set(shards_catalog.CROSSING) <= names
    for function in catalog.functions:
        if function.crossing == "tenant" and function.tenant_position is None:
            # Routed by the caller alone: a key's own settings.
            assert function.name == "key_rate", function.name


def test_tenants_spread_over_both_shards_and_each_lives_on_one(sharded: Sharded) -> None:
    create_tenants(sharded.proxy_dsn, *TENANTS)
    homes = {tenant: sharded.shard_index(tenant) for tenant in TENANTS}
    assert set(homes.values()) == {0, 1}
    for index, dsn in enumerate(sharded.shard_dsns):
        held = {t for (t,) in rows(dsn, "SELECT tenant FROM ledger_private.tenant")}
        assert held - {"default"} == {t for t, home in homes.items() if home == index}
    with psycopg.connect(sharded.proxy_dsn) as conn:
        listed = [r[0] for r in conn.execute("SELECT name FROM ledger.list_tenants()")]
    assert listed == sorted([*TENANTS, "default"])


def service(dsn: str) -> psycopg.Connection[tuple[Any, ...]]:
    conn = psycopg.connect(as_role(dsn, SERVICE_ROLE))
    conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    return conn


def call(
    conn: psycopg.Connection[tuple[Any, ...]], key: str | None, query: str, *args: Any
) -> tuple[Any, ...]:
    """One transaction as the service makes it: as doublex_api with `key`; the answer's
    rows, or the error's (sqlstate, message, detail, hint, column)."""
    try:
        with conn.transaction():
            conn.execute(
                "SELECT set_config('role', %s, true), set_config('doublex.api_key', %s, true)",
                [API_ROLE, key or ""],
            )
            return ("ok", conn.execute(query, args).fetchall())  # type: ignore[arg-type]
    except psycopg.Error as exc:
        diag = exc.diag
        return (
            diag.sqlstate,
            unnamed(diag.message_primary),
            unnamed(diag.message_detail),
            unnamed(diag.message_hint),
            diag.column_name,
        )


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|dxk_[0-9a-f]{12}")


def unnamed(text: str | None) -> str | None:
    """Without the ids and clock times a database made (they differ between two)."""
    return None if text is None else TIMESTAMP.sub("<ts>", UUID.sub("<uuid>", text))


def setup_books(admin_dsn: str, *tenants: str) -> dict[str, str]:
    """Two accounts in each tenant; answers a key of each (every capability)."""
    create_tenants(admin_dsn, *tenants)
    with admin_connection(admin_dsn) as conn:
        for tenant in tenants:
            for code, kind in (("CASH", "asset"), ("SALES", "income")):
                conn.execute(
                    "SELECT ledger.create_account(%s, %s, 'EUR', %s, tenant => %s)",
                    (code, f"{tenant} {code}", kind, tenant),
                )
    return {tenant: create_key(admin_dsn, tenant)["token"] for tenant in tenants}


LEGS = json.dumps(
    [
        {"account": "CASH", "side": "debit", "amount": "5.00", "ccy": "EUR"},
        {"account": "SALES", "side": "credit", "amount": "5.00", "ccy": "EUR"},
    ]
)
UNBALANCED = json.dumps(
    [
        {"account": "CASH", "side": "debit", "amount": "5.00", "ccy": "EUR"},
        {"account": "SALES", "side": "credit", "amount": "4.00", "ccy": "EUR"},
    ]
)
# Calls whose error a shard raises (code, message, detail, hint, field), asked of a tenant.
FAILING = [
    ("SELECT * FROM ledger.get_balance('NOPE')",),
    ("SELECT * FROM ledger.post_journal('k', %s)", UNBALANCED),
    ("SELECT * FROM ledger.post_journal('k', '[{\"account\": 1}]')",),
    ("SELECT * FROM ledger.get_balance('CASH', tenant => 'default')",),
    ("SELECT * FROM ledger.create_account('CASH', 'again', 'EUR')",),
    ("SELECT * FROM ledger.get_journal('00000000-0000-7000-8000-000000000000')",),
    ("SELECT * FROM ledger.list_journals(page_size => 0)",),
    ("SELECT * FROM ledger.create_api_key('x', ARRAY['nope'])",),
]


def test_a_shards_errors_reach_the_caller_as_the_shard_raised_them(
    sharded: Sharded, admin_dsn: str
) -> None:
    """The same calls, direct on a single database and through the proxy (to a tenant on
    either shard): the same SQLSTATE, message, detail, hint and field."""
    direct_keys = setup_books(admin_dsn, "alpha", "charlie")
    proxy_keys = setup_books(sharded.proxy_dsn, "alpha", "charlie")
    assert {sharded.shard_index("alpha"), sharded.shard_index("charlie")} == {0, 1}
    with service(admin_dsn) as direct, service(sharded.proxy_dsn) as proxy:
        for tenant in ("alpha", "charlie"):
            for query, *args in FAILING:
                expected = call(direct, direct_keys[tenant], query, *args)
                assert expected[0].startswith("DX"), (query, expected)
                got = call(proxy, proxy_keys[tenant], query, *args)
                assert got == expected, (tenant, query)
            # and what succeeds answers the same
            for query, *args in [
                ("SELECT status FROM ledger.post_journal('ok-1', %s)", LEGS),
                ("SELECT status FROM ledger.post_journal('ok-1', %s)", LEGS),
                ("SELECT balance FROM ledger.get_balance('CASH')",),
                ("SELECT count(*) FROM ledger.list_journals()",),
            ]:
                assert call(proxy, proxy_keys[tenant], query, *args) == call(
                    direct, direct_keys[tenant], query, *args
                )


def test_a_serialization_failure_on_a_shard_reaches_the_caller_as_40001(
    sharded: Sharded,
) -> None:
    """A shard's 40001 crosses with its SQLSTATE, so the service's retry loop retries it."""
    keys = setup_books(sharded.proxy_dsn, "alpha")
    shard = sharded.shard_of("alpha")
    outcome: list[tuple[Any, ...]] = []
    with admin_connection(shard) as holder:
        holder.execute(
            "UPDATE ledger_private.account SET name = 'held'"
            " WHERE tenant = 'alpha' AND code = 'CASH'"
        )

        def through_proxy() -> None:
            with service(sharded.proxy_dsn) as conn:
                outcome.append(
                    call(
                        conn,
                        keys["alpha"],
                        "SELECT code FROM ledger.set_account_status('CASH', 'frozen')",
                    )
                )

        worker = threading.Thread(target=through_proxy)
        worker.start()
        with psycopg.connect(shard, autocommit=True) as monitor:
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                waiting = monitor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()"
                ).fetchone()
                if waiting and waiting[0]:
                    break
                time.sleep(0.02)
        holder.commit()
        worker.join(timeout=30)
    assert outcome and outcome[0][0] == "40001", outcome
    # a retry (what the service does) succeeds
    with service(sharded.proxy_dsn) as conn:
        again = call(
            conn, keys["alpha"], "SELECT status FROM ledger.set_account_status('CASH', 'frozen')"
        )
    assert again == ("ok", [("frozen",)])


def tenant_functions(dsn: str) -> list[tuple[str, list[str], int]]:
    """Every ledger function doublex_api may execute that takes a tenant: its name, argument
    types and the tenant's position."""
    found = []
    for function in shards_catalog.read_catalog(dsn).functions:
        position = function.tenant_position
        if position is not None and API_ROLE in function.grantees:
            found.append((function.name, list(function.input_types), position))
    return found


def null_call(name: str, types: list[str], position: int) -> sql.Composed:
    """The function called with NULLs, the argument at `position` (1-based; 0: none) a
    parameter."""
    args = [
        sql.SQL("%s") if n == position else sql.SQL("NULL::{}").format(sql.SQL(kind))
        for n, kind in enumerate(types, 1)
    ]
    return sql.SQL("SELECT * FROM ledger.{}({})").format(
        sql.Identifier(name), sql.SQL(", ").join(args)
    )


def test_the_wall_between_tenants_holds_through_the_proxy_for_every_function(
    sharded: Sharded,
) -> None:
    """Every tenant-scoped function, called with NULL arguments but its tenant: a key of
    one tenant naming another (on the same shard or the other one) → DX042; no key, an
    unknown key or a forged secret → DX040. Nothing is written (each call rolls back or
    fails)."""
    keys = setup_books(sharded.proxy_dsn, "alpha", "bravo", "charlie", "delta")
    homes = {t: sharded.shard_index(t) for t in keys}
    same = next(t for t in keys if t != "alpha" and homes[t] == homes["alpha"])
    other = next(t for t in keys if homes[t] != homes["alpha"])
    forged = keys["alpha"].split(".")[0] + "." + "0" * 64
    functions = tenant_functions(sharded.shard_dsns[0])
    assert len(functions) > 50
    with service(sharded.proxy_dsn) as conn:
        for name, types, position in functions:
            query = null_call(name, types, position)
            for target in (same, other):
                got = call(conn, keys["alpha"], query.as_string(conn), target)
                assert got[0] in ("DX042", "DX066"), (name, target, got)
            for key in (None, UNKNOWN_KEY, forged, "not a key"):
                got = call(conn, key, query.as_string(conn), "alpha")
                assert got[0] in ("DX040", "DX066"), (name, key, got)


def test_the_proxy_login_is_nothing_without_a_key(sharded: Sharded) -> None:
    """On a shard, doublex_proxy reads no table and every API function refuses it without a
    key; through the proxy a caller cannot reach the shard as another principal by calling
    the PL/Proxy functions directly or by planting a key in the directory."""
    keys = setup_books(sharded.proxy_dsn, "alpha", "charlie")
    shard = sharded.shard_of("charlie")
    with psycopg.connect(as_role(shard, shards_cluster.PROXY_LOGIN), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM ledger_private.account")
        with pytest.raises(psycopg.Error) as refused:
            conn.execute("SELECT * FROM ledger.get_tenant('charlie')")
        assert refused.value.sqlstate == "DX040"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM ledger.create_tenant('mallory')")
    with service(sharded.proxy_dsn) as conn:
        # The PL/Proxy function itself, with no key: the shard refuses the proxy login.
        got = call(
            conn,
            keys["alpha"],
            "SELECT * FROM ledger_remote.get_tenant_shard('', 'mallory', 'charlie')",
        )
        assert got[0] == "DX040", got
        # With alpha's key sent towards charlie's shard: the shard does not know it.
        got = call(
            conn,
            keys["alpha"],
            "SELECT * FROM ledger_remote.get_tenant(%s, 'mallory', 'charlie')",
            keys["alpha"],
        )
        assert got[0] in ("DX040", "DX042"), got
        # A key id already known keeps its tenant: charlie's key cannot be redirected.
        charlie_id = keys["charlie"].split(".")[0]
        assert (
            call(conn, keys["alpha"], "SELECT ledger_proxy.remember_key(%s, 'alpha')", charlie_id)[
                0
            ]
            == "ok"
        )
        got = call(conn, keys["charlie"], "SELECT name FROM ledger.get_tenant()")
        assert got == ("ok", [("charlie",)])
        # The directory and the mappings are not the caller's to read.
        for query in (
            "SELECT * FROM ledger_proxy.api_key",
            "SELECT * FROM ledger_proxy.tenant",
        ):
            assert call(conn, keys["alpha"], query)[0] == "42501"


def test_functions_without_a_combination_are_refused_with_dx066(sharded: Sharded) -> None:
    with psycopg.connect(sharded.proxy_dsn, autocommit=True) as conn:
        for query in ("SELECT ledger.sequence_events()", "SELECT * FROM ledger.list_sql_logins()"):
            with pytest.raises(psycopg.Error) as refused:
                conn.execute(query)  # type: ignore[arg-type]
            assert refused.value.sqlstate == "DX066"
            assert refused.value.diag.column_name == "function"


@pytest.fixture
def proxy_env(sharded: Sharded, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sharded]:
    monkeypatch.setenv("DOUBLEX_DSN", sharded.proxy_dsn)
    monkeypatch.setenv("DOUBLEX_PROXY_DSN", sharded.proxy_dsn)
    monkeypatch.setenv("DOUBLEX_SHARD_DSNS", ";".join(sharded.shard_dsns))
    yield sharded


def test_the_cli_works_through_the_proxy_and_migrate_migrates_every_shard(
    proxy_env: Sharded,
) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    for tenant in ("alpha", "bravo"):
        run("tenants", "create", tenant)
        run("accounts", "create", "CASH", "Cash", "--ccy", "EUR", "--tenant", tenant)
        run(
            "accounts",
            "create",
            "SALES",
            "Sales",
            "--ccy",
            "EUR",
            "--type",
            "income",
            "--tenant",
            tenant,
        )
        run(
            "post",
            "--tenant",
            tenant,
            "--key",
            "cli-1",
            "--memo",
            f"memo-{tenant}",
            "--leg",
            "CASH:debit:12.50:EUR",
            "--leg",
            "SALES:credit:12.50:EUR",
        )
        assert "12.50" in run("balance", "CASH", "--tenant", tenant)
        assert f"memo-{tenant}" in run("journals", "list", "--tenant", tenant)
    assert "alpha" in run("tenants", "list") and "bravo" in run("tenants", "list")
    out = run("migrate")
    assert "shard 0" in out and "shard 1" in out and "proxy regenerated" in out
    assert "partition 3 → shard 1" in run("shards", "status")
    # the proxy still routes after the regeneration
    assert "12.50" in run("balance", "CASH", "--tenant", "bravo")


SECRET = re.compile(r"\.[0-9a-f]{64}\b")  # a key's secret, after its id
# a webhook's id (dxw_…), an id cut short on a page (01a24484-3b5a…)
PREFIXED = re.compile(r"\bdx[a-z]_[0-9a-f]{12}\b|\b[0-9a-f]{8}-[0-9a-f]{4}…")


def normalized(value: Any) -> Any:
    """An answer without what differs between two databases: ids, key ids, clock times, and
    the order of a page's items that were made in the same millisecond (ordered by id)."""
    if isinstance(value, dict):
        # a database-wide counter (accounts, the audit log) counts other tenants' rows too
        answer = {
            k: "<n>" if (k == "id" or k.endswith("_id")) and isinstance(v, int) else normalized(v)
            for k, v in value.items()
        }
        if isinstance(answer.get("items"), list):
            answer["items"].sort(key=lambda item: json.dumps(item, sort_keys=True))
        return answer
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, str):
        return TIMESTAMP.sub(
            "<ts>", UUID.sub("<id>", PREFIXED.sub("<id>", SECRET.sub(".<secret>", value)))
        )
    return value


def rest(base: str, method: str, path: str, body: Any, key: str) -> tuple[int, str, Any]:
    """One request: its status, content type and answer (JSON decoded, else the text)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, kind, raw = response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        status, kind, raw = error.code, error.headers["Content-Type"], error.read()
    kind = (kind or "").split(";")[0]
    return status, kind, json.loads(raw or b"null") if kind.endswith("json") else raw.decode()


TODAY, A_MONTH_AGO = dates.iso("2026-12-04"), dates.iso("2026-11-04")
# The operations of the route table the scenario does not compare with a single database,
# and why; each is asked through the proxy all the same (test below).
NOT_COMPARED = {
    # per-process and per-database gauges and counters (each shard's own recon counter and
    # pool); through the proxy it answers the same metric families (asserted below)
    ("GET", "/metrics"),
}


def exercised_template(method: str, path: str) -> tuple[str, str]:
    """The (method, path template) of OPERATIONS a concrete request was routed to."""
    bare = path.split("?")[0]
    for op in OPERATIONS:
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(op.path))
        if op.method == method and re.fullmatch(pattern, bare):
            return (op.method, op.path)
    raise AssertionError(f"{method} {path} matches no route")


def events_unordered(answer: Any) -> Any:
    """An event page or stream as a set: the events one transaction made (a batch of
    transfers) are sequenced in no defined order, so which of them has which position
    differs between two databases; the positions compared as a set, the events without."""
    if isinstance(answer, dict):
        items = answer["items"]
        return {
            **answer,
            "positions": sorted(item["position"] for item in items),
            "items": [{k: v for k, v in item.items() if k != "position"} for item in items],
        }
    events = [
        [json.loads(line[6:]) if line.startswith("data: ") else line for line in block.split("\n")]
        for block in answer.replace("\r\n", "\n").split("\n\n")
        if block.strip()
    ]
    return events_unordered(
        {"items": [line for event in events for line in event if isinstance(line, dict)]}
    ) | {"lines": sorted(line for event in events for line in event if isinstance(line, str))}


def rest_scenario(
    base: str, key: str, sequence: Callable[[], object], reconcile: Callable[[], object]
) -> list[tuple[str, int, str, Any]]:
    """Every operation of the route table, in one tenant: accounts and limits, transfers (a
    replay, a refusal), a batch, balances, journals, a reversal, holds (capture, void), a
    statement, FX (a rate, a transfer, the position), the recon report (JSON and HTML),
    keys (create, rate, revoke), monitors, webhooks (with a replay and its deliveries), the
    event log and its stream (after `sequence` ran the shards' sequencers, and the recon
    report after `reconcile` imported a bank statement and matched it), the tenant,
    reports, health, readiness and the documents."""
    answers: list[tuple[str, int, str, Any]] = []
    made: dict[str, str] = {}

    def go(method: str, path: str, body: Any = None) -> Any:
        status, kind, answer = rest(base, method, path.format(**made), body, key)
        shown = events_unordered(answer) if path.startswith("/api/events") else answer
        answers.append((f"{method} {path}", status, kind, normalized(shown)))
        return answer

    legs = [
        {"account": "CASH", "side": "debit", "amount": "45.00", "ccy": "EUR"},
        {"account": "SALES", "side": "credit", "amount": "45.00", "ccy": "EUR"},
    ]
    go("POST", "/api/accounts", {"code": "CASH", "name": "Cash", "ccy": "EUR"})
    go("POST", "/api/accounts", {"code": "SALES", "name": "Sales", "ccy": "EUR", "type": "income"})
    go("POST", "/api/accounts", {"code": "CASH", "name": "Cash", "ccy": "EUR"})
    go("POST", "/api/accounts", {"code": "USD", "name": "Dollars", "ccy": "USD"})
    go("PUT", "/api/accounts/CASH/limits", {"min_balance": "-1000.00", "max_balance": None})
    go("PUT", "/api/accounts/CASH/limits", {"min_balance": "x", "max_balance": None})
    made["journal"] = go("POST", "/api/transfers", {"idempotency_key": "t-1", "legs": legs})[
        "journal_id"
    ]
    go("POST", "/api/transfers", {"idempotency_key": "t-1", "legs": legs})
    go("POST", "/api/transfers", {"idempotency_key": "t-1", "legs": legs[:1] * 2})
    go(
        "POST",
        "/api/transfers",
        {"idempotency_key": "t-2", "legs": [legs[0], {**legs[1], "amount": "1"}]},
    )
    go(
        "POST",
        "/api/transfers/batch",
        {"requests": [{"idempotency_key": f"b-{n}", "legs": legs} for n in range(3)]},
    )
    go("GET", "/api/accounts/CASH/balance")
    go("GET", "/api/accounts/NOPE/balance")
    go("GET", "/api/accounts")
    go("GET", "/api/accounts/CASH")
    go("GET", "/api/journals")
    go("GET", "/api/journals/{journal}")
    go("POST", "/api/journals/{journal}/reverse", {"idempotency_key": "r-1"})
    go("GET", "/api/accounts/CASH/history")
    made["hold"] = go("POST", "/api/holds", {"idempotency_key": "h-1", "legs": legs})["hold_id"]
    go("GET", "/api/holds/{hold}")
    go("POST", "/api/holds/{hold}/capture", {"idempotency_key": "c-1"})
    made["hold2"] = go("POST", "/api/holds", {"idempotency_key": "h-2", "legs": legs})["hold_id"]
    go("POST", "/api/holds/{hold2}/void", {"idempotency_key": "v-1"})
    go("GET", "/api/holds")
    go("GET", f"/api/accounts/CASH/statement?from={A_MONTH_AGO}&to={TODAY}")
    go("GET", f"/api/accounts/CASH/statement?from={TODAY}&to={A_MONTH_AGO}")
    go("PUT", "/api/fx/rates/EUR/USD", {"rate": "1.10", "valid_on": TODAY, "source": "test"})
    go("GET", f"/api/fx/rates?base=EUR&quote=USD&on={TODAY}")
    go("GET", "/api/fx/rates?base=EUR&quote=JPY")
    fx = {"from_account": "CASH", "to_account": "USD", "amount": "10.00"}
    go("POST", "/api/fx/transfers", {"idempotency_key": "fx-1", **fx})
    go("POST", "/api/fx/transfers", {"idempotency_key": "fx-1", **fx})
    go("GET", "/api/fx/position?reporting_ccy=EUR")
    reconcile()
    go("GET", f"/api/reports/recon?date={TODAY}")
    go("GET", f"/api/reports/recon?date={TODAY}&account=NOPE")
    go("GET", f"/api/reports/recon.html?date={TODAY}&account=CASH")
    made["key"] = go("POST", "/api/keys", {"name": "second", "capabilities": ["read"]})["key_id"]
    go("GET", "/api/keys")
    go("PATCH", "/api/keys/{key}", {"requests_per_second": 5, "burst": 7})
    go("DELETE", "/api/keys/{key}")
    go("DELETE", "/api/keys/{key}")
    watch = {"account": "CASH", "field": "posted", "condition": ">", "threshold": "1"}
    made["monitor"] = go("POST", "/api/monitors", watch)["monitor_id"]
    go("GET", "/api/monitors")
    go("DELETE", "/api/monitors/{monitor}")
    hook = {"url": "https://example.com/hook", "types": ["journal.posted"], "secret": "s" * 32}
    made["webhook"] = go("POST", "/api/webhooks", hook)["webhook_id"]
    go("GET", "/api/webhooks")
    sequence()
    go("GET", "/api/events?limit=50")
    go("GET", "/api/events?after=2&types=journal.reversed,fx.settled")
    go("GET", "/api/events/stream?types=journal.posted")
    go("POST", "/api/webhooks/{webhook}/replay?from=1")
    go("GET", "/api/webhooks/{webhook}/deliveries")
    go("DELETE", "/api/webhooks/{webhook}")
    go("GET", "/api/tenant")
    go("GET", "/api/eod")
    go("GET", "/api/reports/balances")
    go("GET", "/api/audit")
    for path in ("/api/health", "/health", "/ready", "/api/openapi.json", "/api/docs"):
        go("GET", path)
    return answers


def reconcile_with_cli(tmp: Path, tenant: str, shard: str, dsn: str) -> Callable[[], object]:
    """`doublex recon import` of a bank statement for CASH (on the tenant's `shard`: it is
    staged in the session of the database it runs on), then `doublex recon run` on `dsn`."""

    def reconcile() -> None:
        bank = tmp / f"bank-{tenant}.csv"
        bank.write_text(f"date,ref,amount,ccy\n{TODAY},A,45.00,EUR\n{TODAY},B,3.00,EUR\n")
        for args, on in (
            (["recon", "import", str(bank), "--account", "CASH"], shard),
            (["recon", "run", "--date", TODAY, "--account", "CASH"], dsn),
        ):
            result = CliRunner().invoke(main, [*args, "--tenant", tenant], env={"DOUBLEX_DSN": on})
            assert result.exit_code == 0, result.output

    return reconcile


def sequence_shards(*dsns: str) -> Callable[[], object]:
    return lambda: [sequence_all(dsn) for dsn in dsns]


def test_the_rest_service_answers_through_the_proxy_as_on_one_database(
    sharded: Sharded, pg_cluster: TestCluster, tmp_path: Path
) -> None:
    """`doublex serve` on the proxy's service DSN, unchanged: for tenants on either shard,
    every operation of the route table (but /metrics, asked apart) answers what it answers
    on a single database: status, content type and body. Each tenant's single database
    holds it alone, as its shard does (event positions and a new webhook's cursor count
    the whole database's events)."""
    env = {
        "LOG_LEVEL": "WARNING",
        "DOUBLEX_DEMO": "off",
        "DOUBLEX_WEBHOOKS": "off",
        "DOUBLEX_EVENTS_SECONDS": "0",
        "DOUBLEX_POOL_MAX": "4",
        "DOUBLEX_SSE_MAX_SECONDS": "1",
        "DOUBLEX_SSE_POLL_SECONDS": "0.1",
    }
    tenants = ("alpha", "charlie")
    create_tenants(sharded.proxy_dsn, *tenants)
    assert {sharded.shard_index(t) for t in tenants} == {0, 1}
    exercised: set[tuple[str, str]] = set()
    singles = [pg_cluster.create_database() for _ in tenants]
    (tmp_path / "single").mkdir()
    (tmp_path / "proxy").mkdir()
    try:
        with doublex_serve(sharded.proxy_service_dsn, tmp_path / "proxy.log", **env) as proxy:
            for tenant, single in zip(tenants, singles, strict=True):
                admin = pg_cluster.admin_dsn(single)
                create_tenants(admin, tenant)
                with doublex_serve(
                    pg_cluster.cluster.dsn(single, user=SERVICE_ROLE),
                    tmp_path / f"{tenant}.log",
                    **env,
                ) as direct:
                    expected = rest_scenario(
                        direct,
                        create_key(admin, tenant)["token"],
                        sequence_shards(admin),
                        reconcile_with_cli(tmp_path / "single", tenant, admin, admin),
                    )
                    direct_metrics = rest(direct, "GET", "/metrics", None, "")
                got = rest_scenario(
                    proxy,
                    create_key(sharded.proxy_dsn, tenant)["token"],
                    sequence_shards(*sharded.shard_dsns),
                    reconcile_with_cli(
                        tmp_path / "proxy", tenant, sharded.shard_of(tenant), sharded.proxy_dsn
                    ),
                )
                assert [a[:2] for a in got] == [a[:2] for a in expected]
                for answer, reference in zip(got, expected, strict=True):
                    assert answer == reference, answer[0]
                # the scenario reached the books: an FX transfer, a stream that sent events
                assert any(a[1] == 201 for a in got if a[0] == "POST /api/fx/transfers")
                reports = [a for a in got if "/recon" in a[0] and "NOPE" not in a[0]]
                assert len(reports) == 2 and all(a[1] == 200 for a in reports), reports
                stream = next(a for a in got if a[0].startswith("GET /api/events/stream"))
                assert stream[1:3] == (200, "text/event-stream"), stream
                assert "event: journal.posted" in stream[3]["lines"], stream
                exercised |= {exercised_template(*a[0].split(" ", 1)) for a in got}
            # /metrics: the same metric families as a single database's service, and the
            # postings the proxy's service made
            families = []
            for status, kind, metrics in (direct_metrics, rest(proxy, "GET", "/metrics", None, "")):
                assert (status, kind) == (200, "text/plain"), (status, kind)
                assert 'ledger_tx_total{status="posted"}' in metrics
                families.append({line for line in metrics.splitlines() if line.startswith("# ")})
            assert families[0] == families[1]
    finally:
        for single in singles:
            pg_cluster.drop_database(single)
    every = {(op.method, op.path) for op in OPERATIONS}
    assert exercised == every - NOT_COMPARED, sorted(every - NOT_COMPARED - exercised)
    for log in ("proxy.log", *(f"{t}.log" for t in tenants)):
        assert "Traceback" not in (tmp_path / log).read_text()


SPREAD = ["alpha", "charlie", "delta", "echo"]
ACCOUNTS = ["CASH", "SALES", "NOPE"]
AMOUNTS = ["1.00", "2.50", "0", "-1", "1.001", "100", "abc"]


def operation(tenant: str) -> st.SearchStrategy[tuple[str, str, tuple[Any, ...]]]:
    post = st.tuples(
        st.integers(0, 5),
        st.sampled_from(ACCOUNTS),
        st.sampled_from(ACCOUNTS),
        st.sampled_from(AMOUNTS),
    ).map(
        lambda p: (
            tenant,
            "SELECT status FROM ledger.post_journal(%s, %s)",
            (
                f"k-{p[0]}",
                json.dumps(
                    [
                        {"account": p[1], "side": "debit", "amount": p[3], "ccy": "EUR"},
                        {"account": p[2], "side": "credit", "amount": p[3], "ccy": "EUR"},
                    ]
                ),
            ),
        )
    )
    balance = st.sampled_from(ACCOUNTS).map(
        lambda code: (
            tenant,
            "SELECT balance, debits, credits FROM ledger.get_balance(%s)",
            (code,),
        )
    )
    journals = st.just(
        (tenant, "SELECT count(*), sum(cardinality(legs)) FROM ledger.list_journals()", ())
    )
    foreign = st.sampled_from(SPREAD).map(
        lambda other: (
            tenant,
            "SELECT balance FROM ledger.get_balance('CASH', tenant => %s)",
            (other,),
        )
    )
    return st.one_of(post, balance, journals, foreign)


@pytest.fixture
def twins(
    sharded: Sharded, admin_dsn: str
) -> Iterator[tuple[Any, Any, dict[str, str], dict[str, str]]]:
    """The same tenants, books and keys on one database and behind the proxy."""
    direct_keys = setup_books(admin_dsn, *SPREAD)
    proxy_keys = setup_books(sharded.proxy_dsn, *SPREAD)
    assert {sharded.shard_index(t) for t in SPREAD} == {0, 1}
    with service(admin_dsn) as direct, service(sharded.proxy_dsn) as proxy:
        yield direct, proxy, direct_keys, proxy_keys


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_requests_of_random_tenants_answer_as_on_one_database(
    twins: tuple[Any, Any, dict[str, str], dict[str, str]], data: st.DataObject
) -> None:
    """Hypothesis: the same sequence of requests (postings, replays, refusals, balances,
    journal lists, another tenant's balance) by keys of random tenants spread over both
    shards answers the same through the proxy as on a single database (the books of both
    stay equal, since every example continues them)."""
    direct, proxy, direct_keys, proxy_keys = twins
    steps = data.draw(st.lists(st.sampled_from(SPREAD).flatmap(operation), min_size=1, max_size=6))
    for tenant, query, args in steps:
        expected = call(direct, direct_keys[tenant], query, *args)
        got = call(proxy, proxy_keys[tenant], query, *args)
        assert got == expected, (tenant, query, args)


CAPABILITY_SETS = [["read"], ["post"], ["operate"], ["admin"], ["audit"], ["read", "post"]]


def test_the_access_matrix_through_the_proxy_is_a_single_databases(
    sharded: Sharded, admin_dsn: str
) -> None:
    """Every function doublex_api may execute, called with NULL arguments (its tenant NULL:
    the key's own) by keys holding each capability: through the proxy the same SQLSTATE as
    on a single database (DX041 where the capability is missing, the same refusal or answer
    otherwise): the capability checks of pgtap/17_access_matrix.sql hold through it."""
    create_tenants(admin_dsn, "alpha")
    create_tenants(sharded.proxy_dsn, "alpha")
    functions = [
        (f.name, list(f.input_types), f.tenant_position)
        for f in shards_catalog.read_catalog(admin_dsn).functions
        if API_ROLE in f.grantees
    ]
    assert len(functions) > 50
    refused = {
        name: crossing == shards_catalog.REFUSED
        for name, (crossing, _) in shards_catalog.CROSSING.items()
    }
    assert {n for n, _, _ in functions if refused.get(n)} == {"stage_statement", "import_statement"}
    seen: set[str] = set()
    with service(admin_dsn) as direct, service(sharded.proxy_dsn) as proxy:
        for capabilities in CAPABILITY_SETS:
            direct_key = create_key(admin_dsn, "alpha", capabilities)["token"]
            proxy_key = create_key(sharded.proxy_dsn, "alpha", capabilities)["token"]
            for name, types, position in functions:
                query = null_call(name, types, position or 0)
                params = (None,) if position else ()
                expected = call(direct, direct_key, query.as_string(direct), *params)[0]
                got = call(proxy, proxy_key, query.as_string(proxy), *params)[0]
                if refused.get(name):
                    # staged in the session of the database it runs on: refused (README)
                    assert got == "DX066", (name, capabilities)
                    continue
                assert got == expected, (name, capabilities)
                seen.add(expected)
    # the matrix has both sides: refusals for a missing capability, and answers
    assert {"DX041", "ok"} <= seen, seen


def test_shards_init_builds_the_proxy_and_sync_records_what_a_shard_made(
    proxy_env: Sharded,
) -> None:
    """`doublex shards init --shard-dsn … --proxy-dsn …` (again, over an existing proxy: the
    directory is kept); a tenant and key made directly on a shard are routed only after
    `doublex shards sync`; bad partition counts and mixed options are refused clearly."""
    runner = CliRunner()
    args = ["shards", "init", "--proxy-dsn", proxy_env.proxy_dsn, "--partitions", "4"]
    for dsn in proxy_env.shard_dsns:
        args += ["--shard-dsn", dsn]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"DOUBLEX_PROXY_DSN='{proxy_env.proxy_dsn}'" in result.output
    home = proxy_env.shard_of("hotel")
    create_tenants(home, "hotel")
    token = create_key(home, "hotel")["token"]
    with service(proxy_env.proxy_dsn) as conn:
        query = "SELECT name FROM ledger.get_tenant()"
        before = call(conn, token, query)
        result = runner.invoke(main, ["shards", "sync"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert call(conn, token, query) == ("ok", [("hotel",)])
    # unknown to the proxy, the key went to partition 0's shard, which refused it or
    # (being hotel's) answered
    assert before[0] == "DX040" or proxy_env.shard_index("hotel") == 0, before
    for bad, message in (
        (["--partitions", "3"], "power of two"),
        (["--local", "2"], "not both"),
    ):
        result = runner.invoke(main, [*args, *bad])
        assert result.exit_code != 0 and message in result.output, result.output


def test_a_new_shard_list_keeps_every_tenant_on_the_shard_that_holds_it(
    sharded: Sharded, pg_cluster: TestCluster
) -> None:
    """A third shard joins (4 partitions: k mod 3 instead of k mod 2, so partitions 2 and 3
    change shard): the tenants those partitions held are pinned to a partition of their own
    shard and keep answering through the proxy; a list that leaves out a shard holding a
    tenant is refused before anything changes."""
    tokens = setup_books(sharded.proxy_dsn, *TENANTS)
    before = {t: sharded.shard_index(t) for t in TENANTS}
    old = shards_cluster.partition_locations(sharded.shard_dsns, PARTITIONS)
    with psycopg.connect(sharded.proxy_dsn) as conn:
        routed = {t: shards.partition_of(t, PARTITIONS, conn) for t in TENANTS}
    moving = {t for t, p in routed.items() if p >= 2}  # the partitions k mod 3 re-maps
    assert moving and moving != set(TENANTS), routed
    third = pg_cluster.create_database()
    try:
        grown = [*sharded.shard_dsns, pg_cluster.admin_dsn(third)]
        shards.generate(sharded.proxy_dsn, grown, PARTITIONS)
        new = shards_cluster.partition_locations(grown, PARTITIONS)
        pinned = dict(rows(sharded.proxy_dsn, "SELECT tenant, partition FROM ledger_proxy.tenant"))
        for tenant in TENANTS:
            # the tenant's partition, pinned or hashed, maps to the connect string it had
            partition = pinned[tenant] if pinned[tenant] is not None else routed[tenant]
            assert new[partition] == old[routed[tenant]], tenant
            assert (pinned[tenant] is not None) == (tenant in moving), tenant
        with service(sharded.proxy_dsn) as conn:
            for tenant, token in tokens.items():
                got = call(conn, token, "SELECT name FROM ledger.get_tenant()")
                assert got == ("ok", [(tenant,)]), (tenant, before[tenant], got)
        with pytest.raises(shards.ShardError, match="leaves out"):
            shards.generate(sharded.proxy_dsn, grown[1:], PARTITIONS)
        assert shards.partition_count(sharded.proxy_dsn) == PARTITIONS
        with service(sharded.proxy_dsn) as conn:  # the refused list changed nothing
            assert all(call(conn, token, "SELECT 1")[0] == "ok" for token in tokens.values())
    finally:
        shards.generate(sharded.proxy_dsn, sharded.shard_dsns, PARTITIONS)
        pg_cluster.drop_database(third)


# Every leaf command of `doublex` that is not run through the proxy below, and why.
LOCAL_ONLY = {
    # the local development cluster, high availability, the service and its observers,
    # the schema of a scratch database, the sharding commands themselves (tested above)
    **dict.fromkeys(
        [
            "db start",
            "db status",
            "db stop",
            "db url",
            "ha failover",
            "ha init",
            "ha status",
            "ha stop",
            "ha uri",
            "observe",
            "serve",
            "schema dump",
            "shards init",
            "shards move",
            "shards settle",
            "shards status",
            "shards sync",
        ],
        "local: acts on a cluster, a process or the shard map, not on a tenant's books",
    ),
    "migrate": "migrates every shard and regenerates the proxy (test above)",
    "keys dev": "local: a development key of the local cluster",
}
# Per shard by design: refused through the proxy with DX066 and a message naming the way.
PER_SHARD = {
    "events pump": ["events", "pump", "--once"],
    "webhooks deliver": ["webhooks", "deliver", "--once"],
    "sql-login create": ["sql-login", "create", "reader", "--cap", "read"],
    "sql-login list": ["sql-login", "list"],
    "sql-login revoke": ["sql-login", "revoke", "reader"],
    "demo prune": ["demo", "prune"],  # the live page serves one database
}
# database-wide counters: ids, and the roll-up's watermark (a position in the whole log)
OUTPUT_IDS = re.compile(r'"(\w+_)?id": ?\d+|watermark \d+')


def leaf_commands() -> set[str]:
    """Every leaf of the `doublex` click tree ("fx rate set"), its lazy groups loaded."""
    found: set[str] = set()

    def walk(command: click.Command | None, path: list[str], ctx: click.Context) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name], ctx)
        elif command is not None:
            found.add(" ".join(path))

    walk(main, [], click.Context(main))
    return found


def cli_scenario(
    dsn: str, tenant: str, tmp: Path, shard: str | None = None
) -> list[tuple[str, int, str]]:
    """Every ledger command of `doublex`, with DOUBLEX_DSN = `dsn`, in one tenant: each
    command's exit code and output (ids and clock times blanked). `recon import` stages the
    file in the session of the database it runs on: through a proxy it is refused (DX066,
    naming the way) and run with DOUBLEX_DSN the tenant's `shard` instead."""
    runner = CliRunner()
    answers: list[tuple[str, int, str]] = []
    t = ["--tenant", tenant]

    def run(*args: str, on: str = dsn) -> str:
        result = runner.invoke(main, list(args), env={"DOUBLEX_DSN": on})
        assert "Traceback" not in result.output, (args, result.output)
        shown = OUTPUT_IDS.sub('"id": <n>', normalized(result.output.replace(str(tmp), "<tmp>")))
        answers.append(
            (normalized(" ".join(args).replace(str(tmp), "<tmp>")), result.exit_code, shown)
        )
        return result.output

    def made(*args: str, field: str) -> str:
        return str(json.loads(run(*args, "--json"))[field])

    today, earlier = TODAY, A_MONTH_AGO
    run("tenants", "create", tenant, "--json")
    run("tenants", "show", tenant, "--json")
    run("accounts", "create", "CASH", "Cash", "--ccy", "EUR", *t, "--json")
    run("accounts", "create", "SALES", "Sales", "--ccy", "EUR", "--type", "income", *t)
    run("accounts", "create", "USD", "Dollars", "--ccy", "USD", *t, "--json")
    run("accounts", "create", "CASH", "Cash", "--ccy", "EUR", *t)
    run("accounts", "list", *t, "--json")
    run("accounts", "limits", "CASH", "--min=-1000.00", *t, "--json")
    run("accounts", "limits", "CASH", "--min", "x", *t)
    legs = ["--leg", "CASH:debit:12.50:EUR", "--leg", "SALES:credit:12.50:EUR"]
    for key in ("cli-1", "cli-1", "cli-2"):
        run("post", *legs, "--key", key, "--memo", f"memo-{key}", *t, "--json")
    run("post", "--leg", "CASH:debit:1:EUR", "--leg", "SALES:credit:2:EUR", *t)
    run("accounts", "show", "CASH", *t, "--json")
    run("balance", "CASH", *t, "--json")
    run("balance", "NOPE", *t)
    run("available", "CASH", *t, "--json")
    run("journals", "list", *t, "--json")
    run("history", "CASH", "--from", earlier, "--to", today, *t, "--json")
    hold = made("holds", "create", *legs, "--key", "h-1", *t, field="hold_id")
    run("holds", "show", hold, *t, "--json")
    run("holds", "capture", hold, "--key", "c-1", *t, "--json")
    hold = made("holds", "create", *legs, "--key", "h-2", *t, field="hold_id")
    run("holds", "void", hold, "--key", "v-1", *t, "--json")
    run("holds", "list", *t, "--json")
    run("holds", "expire", *t)
    run("maintain", *t)
    run("fx", "rate", "set", "EUR", "USD", "1.10", "--on", today, *t, "--json")
    run("fx", "rate", "get", "EUR", "USD", "--on", today, *t, "--json")
    rates = tmp / "rates.csv"
    rates.write_text(f"base,quote,rate,valid_on\nEUR,JPY,160,{today}\nEUR,GBP,0.85,{today}\n")
    run("fx", "rates", "import", str(rates), *t, "--json")
    run("fx", "transfer", "CASH", "USD", "5.00", "--key", "fx-1", *t, "--json")
    run("fx", "position", *t, "--json")
    run("statement", "CASH", "--from", earlier, "--to", today, *t)
    run("statement", "CASH", "--from", earlier, "--to", today, "--format", "csv", *t)
    pdf = tmp / f"{tenant}.pdf"
    run("statement", "CASH", "--from", earlier, "--to", today, "--format", "pdf",
        "--output", str(pdf), *t)  # fmt: skip
    assert pdf.read_bytes().startswith(b"%PDF"), pdf
    bank = tmp / "bank.csv"
    bank.write_text(f"date,ref,amount,ccy\n{today},A,12.50,EUR\n{today},B,3.00,EUR\n")
    recon_import = ["recon", "import", str(bank), "--account", "CASH", *t]
    if shard is not None:
        refused = runner.invoke(main, recon_import, env={"DOUBLEX_DSN": dsn})
        assert refused.exit_code == 1 and "Traceback" not in refused.output, refused.output
        assert "DX066" in refused.output and "doublex shards status" in refused.output
    run(*recon_import, "--json", on=shard or dsn)
    run("recon", "run", "--date", today, "--account", "CASH", *t, "--json")
    run("recon", "exceptions", "--date", today, *t, "--json")
    out = tmp / f"recon-{tenant}"
    run("recon", "report", "--date", today, "--account", "CASH", "--out", str(out), *t)
    run("report", "balances", *t, "--json")
    run("eod", "settings", *t, "--json")
    run("eod", "status", *t, "--json")
    run("eod", "close", "--date", earlier, *t, "--json")
    run("eod", "verify", *t, "--json")
    key = made("keys", "create", *t, "--cap", "read", "--name", "second", field="key_id")
    run("keys", "list", *t, "--json")
    run("keys", "rate", key, "--rate", "5", "--burst", "7", *t, "--json")
    run("keys", "revoke", key, *t, "--json")
    monitor = made("monitors", "create", "--account", "CASH", "--field", "posted",
                   "--condition", ">", "--threshold", "1", *t, field="monitor_id")  # fmt: skip
    run("monitors", "list", *t, "--json")
    run("monitors", "delete", monitor, *t, "--json")
    hook = made("webhooks", "create", "https://example.com/hook", "--secret", "s" * 32, *t,
                field="webhook_id")  # fmt: skip
    run("webhooks", "list", *t, "--json")
    run("webhooks", "replay", hook, "--from", "1", *t, "--json")
    run("webhooks", "history", hook, *t, "--json")
    run("webhooks", "delete", hook, *t, "--json")
    run("events", "tail", "--types", "journal.posted", *t, "--json")
    run("audit", "list", *t, "--json")
    return answers


def test_every_cli_command_works_through_the_proxy_as_on_one_database(
    sharded: Sharded, pg_cluster: TestCluster, tmp_path: Path
) -> None:
    """Every ledger command of `doublex`, DOUBLEX_DSN the proxy's (README, "Sharding"),
    answers as with DOUBLEX_DSN a single database holding the tenant alone, for tenants on
    both shards; the per-shard commands are refused with DX066 and a message, never a
    traceback; and every leaf of the click tree is one or the other, or local."""
    tenants = ("alpha", "charlie")
    assert {sharded.shard_index(t) for t in tenants} == {0, 1}
    exercised: set[str] = set()
    for tenant in tenants:
        single = pg_cluster.create_database()
        try:
            (tmp_path / "single").mkdir(exist_ok=True)
            (tmp_path / "proxy").mkdir(exist_ok=True)
            expected = cli_scenario(pg_cluster.admin_dsn(single), tenant, tmp_path / "single")
        finally:
            pg_cluster.drop_database(single)
        got = cli_scenario(
            sharded.proxy_dsn, tenant, tmp_path / "proxy", shard=sharded.shard_of(tenant)
        )
        assert [a[:2] for a in got] == [a[:2] for a in expected]
        for answer, reference in zip(got, expected, strict=True):
            assert answer == reference, answer[0]
        for command in {a[0] for a in got}:
            words = command.split()
            exercised |= {" ".join(words[:n]) for n in (1, 2, 3)}
    assert '"balance":"25.00"' in next(a[2] for a in got if a[0].startswith("balance CASH"))
    runner = CliRunner()
    # every shard's tenants (a single database holds one of them only)
    listed = runner.invoke(
        main, ["tenants", "list", "--json"], env={"DOUBLEX_DSN": sharded.proxy_dsn}
    )
    assert [t["name"] for t in json.loads(listed.output)] == [*tenants, "default"]
    exercised.add("tenants list")
    for args in PER_SHARD.values():
        result = runner.invoke(main, args, env={"DOUBLEX_DSN": sharded.proxy_dsn})
        assert result.exit_code != 0, (args, result.output)
        assert "DX066" in result.output and "Traceback" not in result.output, result.output
        assert "doublex shards status" in result.output, result.output
    leaves = leaf_commands()
    assert leaves - set(LOCAL_ONLY) - set(PER_SHARD) == leaves & exercised, sorted(
        leaves - set(LOCAL_ONLY) - set(PER_SHARD) - exercised
    )
    assert set(LOCAL_ONLY) | set(PER_SHARD) <= leaves
