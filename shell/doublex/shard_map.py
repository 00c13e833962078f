"""The proxy's partition map, and growing it without moving anyone's books.

PL/Proxy routes a call to partition `hash & (partitions - 1)`, and `doublex shards init`
maps partition k to shard k mod N. So a new shard list (a shard added, or another partition
count) would send some existing tenants to a shard that does not hold their books. Before
the new map replaces the old one, `keep_tenants_home` pins every such tenant of the proxy's
directory to a partition that still maps to the shard it lives on (`ledger_proxy.tenant.
partition`, which `ledger_proxy.route` reads before the hash). New tenants hash over every
partition, the new shard's included; a tenant whose shard leaves the list is refused: it
must be moved first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

CLUSTER = "doublex_shards"  # the foreign server PL/Proxy reads the partitions from
DIRECTORY_SCHEMA = "ledger_proxy"
PARTITION_OPTION = r"^p[0-9]+="


class MapError(RuntimeError):
    """A new partition map that would strand a tenant's books."""


def current_locations(conn: psycopg.Connection[tuple[Any, ...]]) -> list[str] | None:
    """The connect string of each partition of the map in place (None: no map yet)."""
    rows = conn.execute(
        "SELECT o FROM pg_foreign_server AS s, unnest(s.srvoptions) AS o"
        " WHERE s.srvname = %s AND o ~ %s",
        [CLUSTER, PARTITION_OPTION],
    ).fetchall()
    if not rows:
        return None
    by_partition = {int(o.split("=", 1)[0][1:]): o.split("=", 1)[1] for (o,) in rows}
    return [by_partition[k] for k in sorted(by_partition)]


def keep_tenants_home(
    conn: psycopg.Connection[tuple[Any, ...]], new_locations: Sequence[str]
) -> list[tuple[str, int]]:
    """Pin each directory tenant the new map would send elsewhere to a partition of its own
    shard; the pins made, as (tenant, partition). Run in the transaction that replaces the
    map, before it does."""
    old_locations = current_locations(conn)
    if old_locations is None:
        return []
    tenants = conn.execute(
        sql.SQL(
            "SELECT t.tenant, coalesce(t.partition, hashtext(t.tenant)) FROM {}.tenant AS t"
            " ORDER BY t.tenant"
        ).format(sql.Identifier(DIRECTORY_SCHEMA))
    ).fetchall()
    pins: list[tuple[str, int]] = []
    for tenant, routed in tenants:
        home = old_locations[routed & (len(old_locations) - 1)]
        if new_locations[routed & (len(new_locations) - 1)] == home:
            continue
        if home not in new_locations:
            raise MapError(
                f"tenant {tenant} lives on the shard at {home}, which the new shard list "
                "leaves out: move the tenant to another shard first"
            )
        pins.append((tenant, new_locations.index(home)))
    for tenant, partition in pins:
        conn.execute(
            sql.SQL("UPDATE {}.tenant SET partition = %s WHERE tenant = %s").format(
                sql.Identifier(DIRECTORY_SCHEMA)
            ),
            [partition, tenant],
        )
    return pins
