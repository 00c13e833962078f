"""`doublex shards settle` (doublex.tenant_settle) after a `doublex shards move` killed with
SIGKILL: under the fence before the switch (a partial copy on the target, the proxy still
fenced) and after the switch (the source not cleared). Either way the tenant ends on the
shard the directory routes it to, with every row and every acknowledged write, and nowhere
else; settle refuses while a move holds a shard's fence.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from click.testing import CliRunner

from doublex import tenant_move, tenant_settle
from doublex.cli import main
from support.sharding import Sharded
from test_tenant_move import (
    answers,
    call,
    held,
    in_flight,
    journal_keys,
    legs,
    placed,
    seed,
    seed_recon,
    service,
    settled_answers,
)


def killed_move(world: Sharded, tenant: str, to: int, phase: str) -> None:
    """`doublex shards move` as its own process, SIGKILLed half a second after it printed
    `phase` (the test holds it there: see the callers)."""
    env = {
        **os.environ,
        "DOUBLEX_PROXY_DSN": world.proxy_dsn,
        "DOUBLEX_SHARD_DSNS": ";".join(world.shard_dsns),
    }
    mover = subprocess.Popen(
        [sys.executable, "-m", "doublex.cli", "shards", "move", tenant, "--to", str(to)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert mover.stderr is not None
    seen = []
    for line in mover.stderr:
        seen.append(line.strip())
        if line.strip() == phase:
            break
    assert seen and seen[-1] == phase, seen
    time.sleep(0.5)
    assert mover.poll() is None, "the move finished before it could be killed"
    mover.send_signal(signal.SIGKILL)
    mover.wait(timeout=30)


def settle(world: Sharded, tenant: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DOUBLEX_PROXY_DSN", world.proxy_dsn)
    monkeypatch.setenv("DOUBLEX_SHARD_DSNS", ";".join(world.shard_dsns))
    result = CliRunner().invoke(main, ["shards", "settle", tenant])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_move_killed_under_the_fence_is_settled_on_its_source(
    sharded: Sharded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed while its source fence waits for a write in flight: the directory still
    routes to the source, the proxy is fenced, a partial copy lies on the target."""
    mover, _, source, target = placed(sharded)
    key = seed(sharded.proxy_dsn, mover)
    before = held(sharded.shard_dsns[source], mover)
    writer = in_flight(sharded, source, key)
    killed_move(sharded, mover, target, "fenced")
    writer.commit()  # acknowledged on the source while the move was dying
    writer.close()
    assert any(held(sharded.shard_dsns[target], mover).values())
    with service(sharded.proxy_dsn) as conn, pytest.raises(psycopg.Error) as fenced:
        call(conn, key, "SELECT ledger.post_journal('while-fenced', %s)", legs("1.00"))
    assert fenced.value.sqlstate == "DX067"

    # a move still holding a shard's fence: settle changes nothing
    with psycopg.connect(sharded.shard_dsns[target]) as holder:
        tenant_move.fence_shard(holder, mover)
        with pytest.raises(tenant_move.MoveError, match="still ran"):
            tenant_settle.settle_tenant(sharded.proxy_dsn, sharded.shard_dsns, mover)
        tenant_move.lift_shard_fence(holder, mover)
    assert any(held(sharded.shard_dsns[target], mover).values())

    output = settle(sharded, mover, monkeypatch)
    assert f"on shard {source}; rows deleted from shard {target}; fence lifted" in output
    assert set(held(sharded.shard_dsns[target], mover).values()) == {0}
    after = held(sharded.shard_dsns[source], mover)
    assert after["journal"] == before["journal"] + 1
    assert sharded.shard_index(mover) == source
    assert "in-flight" in journal_keys(sharded, key)
    with service(sharded.proxy_dsn) as conn:
        call(conn, key, "SELECT ledger.post_journal('after-settle', %s)", legs("1.00"))
    assert "after-settle" in journal_keys(sharded, key)


def test_a_move_killed_after_the_switch_is_settled_on_its_target(
    sharded: Sharded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed while it clears the source (held by a lock the test takes on the source's
    legs): the directory routes to the target, which verified; the source keeps a copy."""
    mover, _, source, target = placed(sharded)
    key = seed(sharded.proxy_dsn, mover)
    seed_recon(sharded.shard_dsns[source], mover)
    before = settled_answers(sharded, source, key)
    rows = held(sharded.shard_dsns[source], mover)
    with psycopg.connect(sharded.shard_dsns[source]) as blocker:
        blocker.execute("LOCK TABLE ledger_private.leg IN SHARE MODE")
        killed_move(sharded, mover, target, "switched")
        blocker.rollback()
    assert sharded.shard_index(mover) == target
    assert held(sharded.shard_dsns[source], mover) == rows

    output = settle(sharded, mover, monkeypatch)
    assert f"on shard {target}; rows deleted from shard {source}; it was not fenced" in output
    assert set(held(sharded.shard_dsns[source], mover).values()) == {0}
    assert held(sharded.shard_dsns[target], mover) == rows
    assert answers(sharded.proxy_dsn, key) == before
    # settling a settled tenant changes nothing
    output = settle(sharded, mover, monkeypatch)
    assert "rows deleted from no other shard; it was not fenced" in output
