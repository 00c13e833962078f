"""`doublex shards move TENANT --to K`: one tenant's books from its shard to shard K while
every other tenant keeps posting (README, "Sharding"; docs/scaling.md, "Move a tenant").

1. Bulk copy, unfenced: every row of the tenant at one snapshot of the source (COPY out of
   the source, COPY into a staging table of the target, one INSERT … SELECT a table), then a
   catch-up pass of what was written meanwhile.
2. Fence, twice: the proxy's directory marks the tenant, so its writes get DX067 (503,
   Retry-After) from the proxy's routing while its reads keep answering from the source;
   then the source's own write fence (ledger_private.fence_tenant_writes) is raised. That
   one waits for every transaction that entered the tenant's writes on the source (a call
   the proxy routed just before its fence, a SQL caller of the shard) and refuses new ones
   with DX067, so nothing of the tenant commits on the source after the last pass. The
   source's event sequencer is run once, and the last pass copies what was written since
   the catch-up.
3. Verify on the target: rows per table, Σ legs per account, currency and side, and every
   end-of-day seal recomputed (ledger.verify_seals) answer as on the source; else the copy
   is deleted from the target, the fence lifted and the tenant stays where it was.
4. Switch: the directory pins the tenant to partition K (shard K) and lifts the fence in one
   statement; then the tenant's rows are deleted from the source and its fence there is
   lifted (the tenant no longer exists on the source: DX043 for a caller who missed the
   switch).

The copy (which tables, snapshots, ids) is doublex.tenant_copy; the verification
doublex.tenant_checks.

Tooling, not a rule of the ledger: what a caller may do is decided by the shards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from doublex import shards
from doublex.tenant_checks import closed_days, counts, differences, seal_differences
from doublex.tenant_copy import Copier, MoveError, Table, delete_tenant, plan

__all__ = [
    "MoveError",
    "MoveReport",
    "counts",
    "fence_proxy",
    "fence_shard",
    "lift_shard_fence",
    "move_tenant",
    "plan",
]

# Tables bound to one cluster's roles: a tenant with rows there is refused.
REFUSED_TABLES = {"sql_login": "the tenant has SQL logins bound: unbind them first"}
# How long the source's write fence waits for the tenant's writes in flight (a statement
# of the service ends within its 30 s statement_timeout) before the move gives up.
FENCE_WAIT = "60s"
# Tables the bulk pass filled with more rows than this are vacuumed on the target before
# the fence: their counts under it are then index-only scans.
BIG = 10_000

Progress = Callable[[str], None]


@dataclass
class MoveReport:
    tenant: str
    source: int
    target: int
    rows: dict[str, int] = field(default_factory=dict)
    bulk_seconds: float = 0.0
    catch_up_seconds: float = 0.0
    fenced_seconds: float = 0.0
    final_copy_seconds: float = 0.0  # of the fenced window: the wait and the last pass
    verify_seconds: float = 0.0  # of the fenced window: the verification
    seals_seconds: float = 0.0  # before the fence: every seal recomputed on the target
    delete_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def fence_shard(conn: psycopg.Connection[Any], tenant: str, wait: str = FENCE_WAIT) -> None:
    """Raise a shard's write fence of `tenant` for this session: returns once every write
    of the tenant that got in there has ended (module docstring, step 2); MoveError when
    they still run after `wait` (or another session holds the fence: a move runs)."""
    try:
        conn.execute("SELECT set_config('lock_timeout', %s, true)", [wait])
        conn.execute("SELECT ledger_private.fence_tenant_writes(%s, true)", [tenant])
        conn.commit()
    except psycopg.errors.LockNotAvailable as exc:
        conn.rollback()
        raise MoveError(
            f"tenant {tenant}: its writes on a shard (or a move holding its fence there) "
            f"still ran after {wait}; nothing was changed"
        ) from exc


def lift_shard_fence(conn: psycopg.Connection[Any], tenant: str) -> None:
    """Lift it (a session that broke has lost it already)."""
    if conn.closed or conn.broken:
        return
    conn.rollback()
    conn.execute("SELECT ledger_private.fence_tenant_writes(%s, false)", [tenant])
    conn.commit()


def fence_proxy(proxy_dsn: str, tenant: str, on: bool, partition: int | None = None) -> None:
    with psycopg.connect(proxy_dsn, autocommit=True) as proxy:
        if partition is None:
            proxy.execute(
                "UPDATE ledger_proxy.tenant SET fenced_at = CASE WHEN %s THEN now() END"
                " WHERE tenant = %s",
                [on, tenant],
            )
        else:
            proxy.execute(
                "UPDATE ledger_proxy.tenant SET partition = %s, fenced_at = NULL WHERE tenant = %s",
                [partition, tenant],
            )


def move_tenant(
    proxy_dsn: str,
    shard_dsns: Sequence[str],
    tenant: str,
    to: int,
    progress: Progress | None = None,
) -> MoveReport:
    """Move `tenant` to shard `to` (module docstring); the report of what it took."""
    say: Progress = progress or (lambda _phase: None)
    partitions = shards.partition_count(proxy_dsn)
    shard_of = shards.partition_map(len(shard_dsns), partitions)
    if not 0 <= to < len(shard_dsns):
        raise MoveError(f"--to: shard {to} does not exist (shards 0…{len(shard_dsns) - 1})")
    if tenant == "default":
        raise MoveError("tenant: default lives on every shard and does not move")
    with psycopg.connect(proxy_dsn, autocommit=True) as proxy:
        row = proxy.execute(
            "SELECT partition, fenced_at FROM ledger_proxy.tenant WHERE tenant = %s", [tenant]
        ).fetchone()
        if row is None:
            raise MoveError(
                f"tenant: the proxy's directory has no tenant {tenant} (doublex shards sync)"
            )
        partition = row[0] if row[0] is not None else shards.partition_of(tenant, partitions, proxy)
    if row[1] is not None:
        raise MoveError(f"tenant: {tenant} is being moved already (fenced since {row[1]})")
    origin = shard_of[partition]
    if origin == to:
        raise MoveError(f"--to: tenant {tenant} is on shard {to} already")
    report = MoveReport(tenant=tenant, source=origin, target=to)
    with psycopg.connect(shard_dsns[origin]) as source, psycopg.connect(shard_dsns[to]) as target:
        tables = plan(source)
        for name, reason in REFUSED_TABLES.items():
            table = next(t for t in tables if t.name == name)
            if counts(source, tenant, [table])[name]:
                raise MoveError(f"tenant: {tenant}: {reason}")
        if counts(target, tenant, [next(t for t in tables if t.name == "tenant")])["tenant"]:
            raise MoveError(f"--to: shard {to} holds rows of tenant {tenant} already")
        source.commit()
        target.commit()
        copier = Copier(source, target, tenant, tables)
        try:
            started = time.monotonic()
            try:
                xmin, staged = copier.copy_pass(None)
            except psycopg.errors.UniqueViolation as exc:
                raise MoveError(
                    f"tenant {tenant}: a row's key is taken on shard {to} already "
                    f"({exc.diag.message_detail}): shards made before "
                    "doublex.shards.spread_account_ids may number accounts alike"
                ) from exc
            report.bulk_seconds = time.monotonic() - started
            say("copied")
            started = time.monotonic()
            _sequence_events(source)  # the backlog now, not under the fence
            xmin, _ = copier.copy_pass(xmin)
            report.catch_up_seconds = time.monotonic() - started
            say("caught up")
            _vacuum(target, [t for t in tables if t.append_only and staged[t.name] > BIG])
            # Closed days do not change: their seals are recomputed before the fence.
            started = time.monotonic()
            sealed = seal_differences(source, target, tenant)
            if sealed:
                raise MoveError(_stays(tenant, origin, to, sealed))
            report.seals_seconds = time.monotonic() - started
            closes_before = closed_days(target, tenant)
            fence_proxy(proxy_dsn, tenant, True)
            fenced = time.monotonic()
            say("fenced")
            try:
                fence_shard(source, tenant)
                _sequence_events(source)
                copier.copy_pass(xmin)
                report.final_copy_seconds = time.monotonic() - fenced
                problems, report.rows = differences(source, target, tenant, tables)
                if not problems and closed_days(target, tenant) != closes_before:
                    problems = seal_differences(source, target, tenant)  # a day closed since
                report.verify_seconds = time.monotonic() - fenced - report.final_copy_seconds
                if problems:
                    raise MoveError(_stays(tenant, origin, to, problems))
            except BaseException:
                lift_shard_fence(source, tenant)
                fence_proxy(proxy_dsn, tenant, False)
                raise
            fence_proxy(proxy_dsn, tenant, False, partition=to)
            report.fenced_seconds = time.monotonic() - fenced
            say("switched")
        except BaseException:
            target.rollback()
            delete_tenant(target, tenant, tables)
            raise
        started = time.monotonic()
        try:
            delete_tenant(source, tenant, tables)
        finally:
            lift_shard_fence(source, tenant)
        report.delete_seconds = time.monotonic() - started
        say("removed from the source")
    return report


def _stays(tenant: str, origin: int, to: int, problems: list[str]) -> str:
    return f"tenant {tenant} stays on shard {origin}: the copy on shard {to} differs: " + "; ".join(
        problems
    )


def _sequence_events(source: psycopg.Connection[Any]) -> None:
    """The source's event sequencer, once: the tenant's events of what it wrote so far."""
    source.execute("SELECT ledger.sequence_events()")
    source.commit()


def _vacuum(target: psycopg.Connection[Any], tables: Sequence[Table]) -> None:
    """VACUUM (ANALYZE) of the tables the copy filled (their visibility map set, their
    statistics fresh), outside a transaction."""
    target.commit()
    target.autocommit = True
    try:
        for table in tables:
            target.execute(
                sql.SQL("VACUUM (ANALYZE) ledger_private.{}").format(sql.Identifier(table.name))
            )
    finally:
        target.autocommit = False
