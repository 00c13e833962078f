"""`doublex shards settle TENANT`: after a move that was killed (README, "Sharding";
docs/scaling.md, "Move a tenant"), leave the tenant's books on the shard the proxy's
directory routes it to and nowhere else, and lift the proxy's fence.

A move switches the directory only after the target verified, so the shard the directory
names holds every row of the tenant, whatever the moment of the kill: before the switch it
is the source (a partial copy may lie on the target), after it the target (the source's
rows were not deleted yet). Any other shard's rows of the tenant are deleted there, under
that shard's write fence of the tenant (ledger_private.fence_tenant_writes), which also
tells a move that is still running: its fence is held, and nothing is changed. A move in
its copy phase holds no fence yet; settling under it makes its verification fail and
leaves the tenant home.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg

from doublex import shards
from doublex.tenant_copy import delete_tenant
from doublex.tenant_move import (
    MoveError,
    counts,
    fence_proxy,
    fence_shard,
    lift_shard_fence,
    plan,
)

# A running move holds its fence for seconds: settle does not queue behind it.
FENCE_PROBE = "1s"


@dataclass
class SettleReport:
    tenant: str
    home: int
    cleared: list[int] = field(default_factory=list)  # shards whose rows were deleted
    fence_lifted: bool = False  # the proxy's fence was still up


def settle_tenant(proxy_dsn: str, shard_dsns: Sequence[str], tenant: str) -> SettleReport:
    """The tenant's rows on its routed shard only, its fences lifted (module docstring)."""
    if tenant == "default":
        raise MoveError("tenant: default lives on every shard and never moves")
    partitions = shards.partition_count(proxy_dsn)
    shard_of = shards.partition_map(len(shard_dsns), partitions)
    with psycopg.connect(proxy_dsn, autocommit=True) as proxy:
        row = proxy.execute(
            "SELECT partition, fenced_at FROM ledger_proxy.tenant WHERE tenant = %s", [tenant]
        ).fetchone()
        if row is None:
            raise MoveError(f"tenant: the proxy's directory has no tenant {tenant}")
        partition = row[0] if row[0] is not None else shards.partition_of(tenant, partitions, proxy)
    report = SettleReport(tenant=tenant, home=shard_of[partition])
    connections = [psycopg.connect(dsn) for dsn in shard_dsns]
    try:
        fenced: list[psycopg.Connection[tuple[object, ...]]] = []
        try:
            for conn in connections:  # every fence first: no move may be running
                fence_shard(conn, tenant, FENCE_PROBE)
                fenced.append(conn)
            for index, conn in enumerate(connections):
                if index == report.home:
                    continue
                tables = plan(conn)
                if any(counts(conn, tenant, tables).values()):
                    delete_tenant(conn, tenant, tables)
                    report.cleared.append(index)
        finally:
            for conn in fenced:
                lift_shard_fence(conn, tenant)
    finally:
        for conn in connections:
            conn.close()
    if row[1] is not None:
        fence_proxy(proxy_dsn, tenant, False)
        report.fence_lifted = True
    return report
