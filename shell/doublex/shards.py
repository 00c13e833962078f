"""Sharding by tenant with PL/Proxy: what `doublex shards` and `doublex migrate` run.

`generate` (re)builds the proxy database from the first shard: its `ledger` schema forwards
every function of a shard's to the shard that holds the caller's tenant
(doublex.shards_ddl, from doublex.shards_catalog), over the partition map of
doublex.shards_cluster, and its directory (`ledger_proxy`) learns the tenants and key ids
each shard holds (`sync_directory`). PL/Proxy maps a tenant's `hashtext`, or the partition
it is pinned to, onto a power-of-two partition list (`p0`, `p1`, … of the foreign server
`doublex_shards`), each partition a shard's connect string. The proxy's directory only
decides where a call goes, never what it may do (ARCHITECTURE.md, "Sharding").

Generating DDL is tooling, not a rule of the ledger: nothing here decides what a caller may
do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from doublex import migrate, shard_map
from doublex.shard_map import DIRECTORY_SCHEMA

# ShardError and partition_map are also this module's (the CLI and tenant_move use them here).
from doublex.shards_catalog import ShardError as ShardError
from doublex.shards_catalog import read_catalog
from doublex.shards_cluster import (
    check_partitions,
    cluster_ddl,
    default_partitions,
    partition_locations,
)
from doublex.shards_cluster import partition_map as partition_map
from doublex.shards_ddl import ROLES, proxy_ddl, proxy_sql


def generate(proxy_dsn: str, shard_dsns: Sequence[str], partitions: int | None = None) -> int:
    """(Re)build the proxy from the first shard's catalog; the number of ledger functions."""
    if not shard_dsns:
        raise ShardError("no shards: give at least one --shard-dsn")
    partitions = partitions or default_partitions(len(shard_dsns))
    check_partitions(partitions, len(shard_dsns))
    catalog = read_catalog(shard_dsns[0])
    with psycopg.connect(proxy_dsn, autocommit=True) as conn:
        admin = conn.info.user
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS plproxy")
            conn.execute(ROLES)
            conn.execute(proxy_sql().encode())
            # Tenants whose books the new map would look for elsewhere stay where they are.
            try:
                shard_map.keep_tenants_home(conn, partition_locations(shard_dsns, partitions))
            except shard_map.MapError as exc:
                raise ShardError(str(exc)) from exc
            for statement in cluster_ddl(shard_dsns, partitions, admin):
                conn.execute(statement.as_string(conn))
            conn.execute(proxy_ddl(catalog).encode())
    spread_account_ids(shard_dsns)
    sync_directory(proxy_dsn, shard_dsns, partitions)
    return len(catalog.functions)


ACCOUNT_ID_SPAN = 1 << 48  # account ids of shard k start at k·2^48


def spread_account_ids(shard_dsns: Sequence[str]) -> None:
    """Shard k numbers its new accounts from k·2^48: a moved tenant keeps its account ids
    (the end-of-day seals hash them), so they must not be another shard's."""
    for index, dsn in enumerate(shard_dsns[1:], 1):
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute(
                "SELECT pg_get_serial_sequence('ledger_private.account', 'account_id')"
            ).fetchone()
            assert row is not None
            sequence = sql.SQL(row[0])
            conn.execute(
                sql.SQL("SELECT setval(%(s)s, %(f)s, false) FROM {} WHERE last_value < %(f)s")
                .format(sequence)
                .as_string(conn),
                {"s": row[0], "f": index * ACCOUNT_ID_SPAN},
            )


def partition_of(tenant: str, partitions: int, conn: psycopg.Connection[tuple[Any, ...]]) -> int:
    """The partition a tenant's hash maps to (what PL/Proxy computes for it)."""
    row = conn.execute("SELECT hashtext(%s) & %s", [tenant, partitions - 1]).fetchone()
    assert row is not None
    return int(row[0])


def sync_directory(proxy_dsn: str, shard_dsns: Sequence[str], partitions: int) -> None:
    """Record in the proxy every tenant and key id that lives on the shard its partition
    maps to (the tenants a shard holds only as a copy, e.g. `default` on every shard, are
    not its own)."""
    shard_of = partition_map(len(shard_dsns), partitions)
    with psycopg.connect(proxy_dsn, autocommit=True) as proxy:
        pinned: dict[str, int] = dict(
            proxy.execute(
                f"SELECT tenant, partition FROM {DIRECTORY_SCHEMA}.tenant"
                " WHERE partition IS NOT NULL"
            ).fetchall()
        )
        for index, dsn in enumerate(shard_dsns):
            with psycopg.connect(dsn, autocommit=True) as shard:
                tenants = [t for (t,) in shard.execute("SELECT tenant FROM ledger_private.tenant")]
                keys = shard.execute("SELECT key_id, tenant FROM ledger_private.api_key").fetchall()
            home = {
                t: shard_of[pinned[t] if t in pinned else partition_of(t, partitions, proxy)]
                for t in tenants
            }
            own = {t for t in tenants if home[t] == index}
            for tenant in own:
                proxy.execute(f"SELECT {DIRECTORY_SCHEMA}.remember_tenant(%s)", [tenant])
            for key_id, tenant in keys:
                if tenant in own:
                    proxy.execute(
                        f"SELECT {DIRECTORY_SCHEMA}.remember_key(%s, %s)", [key_id, tenant]
                    )


def partition_count(proxy_dsn: str) -> int:
    """How many partitions the proxy's foreign server lists."""
    with psycopg.connect(proxy_dsn) as conn:
        locations = shard_map.current_locations(conn)
    if not locations:
        raise ShardError("the proxy has no partition map: run `doublex shards init` first")
    return len(locations)


def migrate_all(proxy_dsn: str, shard_dsns: Iterable[str]) -> list[migrate.MigrationReport]:
    """`doublex migrate` with the proxy configured: every shard, then the proxy again."""
    dsns = list(shard_dsns)
    reports = [migrate.apply(dsn) for dsn in dsns]
    generate(proxy_dsn, dsns, partition_count(proxy_dsn))
    return reports
