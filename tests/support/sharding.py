"""Two shards and a PL/Proxy database in front of them, for the sharding tests.

Shard 0 is a fresh database of the session's cluster, shard 1 one of a second cluster (two
PostgreSQL servers, as production has), the proxy a third, empty database of the session's
cluster made by `doublex.shards.generate` from shard 0's catalog, with 4 partitions
(partitions 0 and 2 → shard 0, 1 and 3 → shard 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from doublex import shards
from doublex.config import SERVICE_ROLE, as_role
from support.cluster import TestCluster

PARTITIONS = 4


@dataclass(frozen=True)
class Sharded:
    shard_dsns: list[str]  # admin DSNs, in partition-map order
    proxy_dsn: str  # admin DSN of the proxy

    @property
    def proxy_service_dsn(self) -> str:
        return as_role(self.proxy_dsn, SERVICE_ROLE)

    def shard_index(self, tenant: str) -> int:
        """Which shard holds `tenant`, as the proxy routes it."""
        with psycopg.connect(self.proxy_dsn) as conn:
            row = conn.execute("SELECT ledger_proxy.route(%s)", [tenant]).fetchone()
        assert row is not None
        return shards.partition_map(len(self.shard_dsns), PARTITIONS)[
            int(row[0]) & (PARTITIONS - 1)
        ]

    def shard_of(self, tenant: str) -> str:
        """The admin DSN of the shard that holds `tenant`."""
        return self.shard_dsns[self.shard_index(tenant)]


@contextmanager
def sharded_databases(first: TestCluster, second: TestCluster) -> Iterator[Sharded]:
    """Fresh shards (copies of each cluster's migrated template) and a proxy over them."""
    shard0 = first.create_database()
    shard1 = second.create_database()
    proxy = first.create_database(template="template0")
    try:
        world = Sharded(
            shard_dsns=[first.admin_dsn(shard0), second.admin_dsn(shard1)],
            proxy_dsn=first.admin_dsn(proxy),
        )
        shards.generate(world.proxy_dsn, world.shard_dsns, PARTITIONS)
        yield world
    finally:
        first.drop_database(proxy)
        first.drop_database(shard0)
        second.drop_database(shard1)
