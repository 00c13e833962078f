"""Hypothesis over random principals and requests against `doublex serve` (service DSN only):
nothing of tenant B is ever returned to a key of tenant A, and nothing A sends changes B.

Tenant B holds accounts (some with codes A also uses), journals with a recognisable memo, a
rate, keys, a close; every request names one of B's objects or lists A's own. A's keys hold
random sets of capabilities; whatever the answer (200, 401, 403, 404, 422), no byte of B's
data is in it, and B's books, keys and audit log are the same afterwards.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.http import CAPABILITIES, admin_connection, bearer, create_key
from support.serving import doublex_serve
from support.sharding import Sharded
from support.tenants import create_tenants

A = "default"
SHARED = ["1001-CASH", "4001-SALES"]  # both tenants have these codes
B_ONLY = ["7001-BRAVO-ONLY", "7002-BRAVO-ONLY"]
B_MEMO = "bravo-secret-memo"


@dataclass
class World:
    base: str
    admin_dsn: str
    b: str  # tenant B's name
    b_journals: list[str]
    b_keys: list[str]  # key ids
    snapshot_dsn: str  # the database that holds B (its shard, behind the proxy)
    a_keys: dict[frozenset[str], str] = field(default_factory=dict)

    def key_of_a(self, capabilities: frozenset[str]) -> str:
        if capabilities not in self.a_keys:
            self.a_keys[capabilities] = create_key(self.admin_dsn, A, sorted(capabilities))["token"]
        return self.a_keys[capabilities]

    def secrets(self, sent: str) -> list[str]:
        """What only B knows: its memo, its accounts' names, and its journal and key ids the
        request did not name itself (an error message may quote what the client sent)."""
        ids = [i for i in self.b_journals + self.b_keys if i not in sent]
        return [B_MEMO, f"{self.b} ", *ids]


def call(base: str, method: str, path: str, body: Any, key: str) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **bearer(key)}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def snapshot(admin_dsn: str, b: str) -> Any:
    """Everything of tenant B that a request could change."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        return [
            conn.execute(query, (b,)).fetchall()
            for query in (
                "SELECT code, status FROM ledger_private.account WHERE tenant = %s ORDER BY code",
                "SELECT count(*) FROM ledger_private.journal WHERE tenant = %s",
                "SELECT key_id, revoked_at FROM ledger_private.api_key WHERE tenant = %s"
                " ORDER BY key_id",
                "SELECT base, quote, valid_on, rate FROM ledger_private.fx_rate WHERE tenant = %s"
                " ORDER BY 1, 2, 3",
                "SELECT count(*) FROM ledger_private.audit_log WHERE tenant = %s",
            )
        ]


@pytest.fixture(params=["direct", "proxy-other-shard", "proxy-same-shard"])
def world(
    request: pytest.FixtureRequest, admin_dsn: str, service_dsn: str, tmp_path: Path
) -> Iterator[World]:
    """One database; or two shards behind the PL/Proxy database (README, "Sharding"), with
    B on the shard A is not on (the proxy's routing is the wall) or on A's (the shard's)."""
    B = "charlie" if request.param == "proxy-same-shard" else "bravo"
    snapshot_dsn = admin_dsn
    if request.param != "direct":
        sharded: Sharded = request.getfixturevalue("sharded")
        admin_dsn, service_dsn = sharded.proxy_dsn, sharded.proxy_service_dsn
        assert (sharded.shard_index(B) != sharded.shard_index(A)) == (
            request.param == "proxy-other-shard"
        )
        snapshot_dsn = sharded.shard_of(B)
    create_tenants(admin_dsn, B)
    b_journals: list[str] = []
    with admin_connection(admin_dsn) as conn:
        for tenant, codes in ((A, SHARED), (B, SHARED + B_ONLY)):
            for code in codes:
                kind = "income" if code.startswith("4") else "asset"
                conn.execute(
                    "SELECT ledger.create_account(code => %s, name => %s, ccy => 'EUR',"
                    " type => %s, tenant => %s)",
                    (code, f"{tenant} {code}", kind, tenant),
                )
        conn.commit()
        for number, (debit, credit) in enumerate(
            [(B_ONLY[0], "4001-SALES"), (SHARED[0], B_ONLY[1])]
        ):
            row = conn.execute(
                "SELECT journal_id FROM ledger.post_journal(idempotency_key => %s, legs => %s,"
                " memo => %s, tenant => %s)",
                (
                    f"b-{number}",
                    json.dumps(
                        [
                            {"account": debit, "side": "debit", "amount": "9.99", "ccy": "EUR"},
                            {"account": credit, "side": "credit", "amount": "9.99", "ccy": "EUR"},
                        ]
                    ),
                    B_MEMO,
                    B,
                ),
            ).fetchone()
            assert row is not None
            b_journals.append(str(row[0]))
            conn.commit()
        conn.execute(
            "SELECT ledger.upsert_fx_rate('USD', 'JPY', 150, '2020-01-01', %s, %s)", (B, B)
        )
    b_keys = [create_key(admin_dsn, B)["key_id"] for _ in range(2)]
    log = tmp_path / "serve.log"
    with doublex_serve(service_dsn, log, LOG_LEVEL="WARNING", DOUBLEX_POOL_MAX="4") as base:
        yield World(base, admin_dsn, B, b_journals, b_keys, snapshot_dsn)
    assert "Traceback" not in log.read_text()


def requests(world: World) -> st.SearchStrategy[tuple[str, str, Any]]:
    """A request about one of B's objects, or one listing A's own."""
    code = st.sampled_from(SHARED + B_ONLY)
    journal = st.sampled_from(world.b_journals)
    key_id = st.sampled_from(world.b_keys)
    legs = st.tuples(code, code).map(
        lambda pair: [
            {"account": pair[0], "side": "debit", "amount": "1.00", "ccy": "EUR"},
            {"account": pair[1], "side": "credit", "amount": "1.00", "ccy": "EUR"},
        ]
    )
    return st.one_of(
        code.map(lambda c: ("GET", f"/api/accounts/{c}", None)),
        code.map(lambda c: ("GET", f"/api/accounts/{c}/balance", None)),
        code.map(lambda c: ("GET", f"/api/accounts/{c}/history", None)),
        code.map(lambda c: ("GET", f"/api/journals?account={c}", None)),
        journal.map(lambda j: ("GET", f"/api/journals/{j}", None)),
        journal.map(lambda j: ("POST", f"/api/journals/{j}/reverse", {"idempotency_key": "r"})),
        key_id.map(lambda k: ("DELETE", f"/api/keys/{k}", None)),
        legs.map(lambda body: ("POST", "/api/transfers", {"idempotency_key": "b-0", "legs": body})),
        legs.map(
            lambda body: (
                "POST",
                "/api/transfers/batch",
                {"requests": [{"idempotency_key": "b-1", "legs": body}]},
            )
        ),
        st.sampled_from(
            [
                ("GET", "/api/accounts", None),
                ("GET", "/api/journals", None),
                ("GET", "/api/keys", None),
                ("GET", "/api/audit", None),
                ("GET", "/api/tenant", None),
                ("GET", "/api/eod", None),
                ("GET", "/api/fx/position?reporting_ccy=JPY", None),
                ("GET", "/api/fx/rates?base=USD&quote=JPY&on=2020-01-01", None),
                ("GET", "/api/reports/recon?date=2020-01-01", None),
                ("PUT", "/api/fx/rates/USD/JPY", {"rate": "151", "valid_on": "2020-01-02"}),
                ("POST", "/api/accounts", {"code": "7001-BRAVO-ONLY", "name": "x", "ccy": "EUR"}),
            ]
        ),
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_nothing_of_another_tenant_is_ever_returned(world: World, data: st.DataObject) -> None:
    before = snapshot(world.snapshot_dsn, world.b)
    capabilities = frozenset(data.draw(st.sets(st.sampled_from(CAPABILITIES), min_size=1)))
    method, path, body = data.draw(requests(world))
    status, text = call(world.base, method, path, body, world.key_of_a(capabilities))
    assert status < 500, text
    for secret in world.secrets(path + json.dumps(body)):
        assert secret not in text, (method, path, status, secret)
    # Whatever A did (a POST /api/accounts of a B-only code opens A's own account), B's
    # books, keys, rates and audit log are the same.
    assert snapshot(world.snapshot_dsn, world.b) == before, (method, path, status)
    if status < 300 and "/" in path.removeprefix("/api/"):
        # A 2xx about one object: it is A's own (B's journals and keys are never found).
        assert not any(i in path for i in world.b_journals + world.b_keys), (method, path)
