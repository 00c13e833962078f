"""The proxy's partition map and foreign server, from the shards' admin DSNs: how many
partitions (a power of two), which shard each is (partition k → shard k mod N), each
partition's connect string (the shard's, without credentials), and the user mappings that
carry each kind of caller to the shards."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from doublex.config import API_ROLE, OWNER_ROLE, SERVICE_ROLE
from doublex.shard_map import CLUSTER
from doublex.shards_catalog import ShardError

# The same partitions at READ COMMITTED, for the functions that refuse SERIALIZABLE when
# their caller runs at READ COMMITTED (shards_catalog.CALLERS_ISOLATION).
READ_COMMITTED_CLUSTER = f"{CLUSTER}_read_committed"
ISOLATIONS = {CLUSTER: "serializable", READ_COMMITTED_CLUSTER: "read\\ committed"}

PROXY_LOGIN = "doublex_proxy"


def check_partitions(partitions: int, shards: int) -> None:
    if partitions < shards or partitions & (partitions - 1):
        raise ShardError(
            f"--partitions must be a power of two, at least the number of shards ({shards}); "
            f"got {partitions}"
        )


def default_partitions(shards: int) -> int:
    """The smallest power of two holding every shard twice (room to move tenants)."""
    partitions = 1
    while partitions < 2 * shards:
        partitions *= 2
    return partitions


def partition_map(shards: int, partitions: int) -> list[int]:
    """Which shard each partition is: partition k → shard k mod N."""
    check_partitions(partitions, shards)
    return [k % shards for k in range(partitions)]


def _location(dsn: str) -> dict[str, str]:
    params = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    return params


def partition_locations(
    shard_dsns: Sequence[str], partitions: int, cluster: str = CLUSTER
) -> list[str]:
    """Each partition's connect string: its shard without credentials, at SERIALIZABLE (at
    READ COMMITTED for READ_COMMITTED_CLUSTER)."""
    locations = [_location(dsn) for dsn in shard_dsns]
    strings = []
    for shard in partition_map(len(shard_dsns), partitions):
        where = {
            k: v for k, v in locations[shard].items() if k not in ("user", "password", "options")
        }
        where["options"] = f"-c default_transaction_isolation={ISOLATIONS[cluster]}"
        strings.append(make_conninfo(**where))
    return strings


def cluster_ddl(
    shard_dsns: Sequence[str], partitions: int, admin_user: str
) -> list[sql.Composable]:
    """The foreign servers `doublex_shards` (p0…, each a shard without credentials) and
    `doublex_shards_read_committed` (the same at READ COMMITTED), and on each the user
    mappings: the API role → doublex_proxy, the service → its own shard login, the admin
    running this → the shards' admin login."""
    locations = [_location(dsn) for dsn in shard_dsns]
    users = {loc.get("user", "") for loc in locations}
    if len(users) != 1:
        raise ShardError(
            "every --shard-dsn must name the same admin user (one user mapping serves all); "
            f"got {', '.join(sorted(users))}"
        )
    shard_admin = users.pop() or admin_user
    password = next((loc["password"] for loc in locations if "password" in loc), None)
    statements: list[sql.Composable] = []
    for cluster in ISOLATIONS:
        options = [
            sql.SQL("{} {}").format(sql.Identifier(f"p{partition}"), sql.Literal(location))
            for partition, location in enumerate(
                partition_locations(shard_dsns, partitions, cluster)
            )
        ]
        server = sql.Identifier(cluster)
        statements += [
            sql.SQL("DROP SERVER IF EXISTS {} CASCADE").format(server),
            sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER plproxy OPTIONS ({})").format(
                server, sql.SQL(", ").join(options)
            ),
            sql.SQL("GRANT USAGE ON FOREIGN SERVER {} TO {}, {}, {}").format(
                server,
                sql.Identifier(API_ROLE),
                sql.Identifier(SERVICE_ROLE),
                sql.Identifier(OWNER_ROLE),
            ),
        ]
    mappings: list[tuple[str, str, str | None]] = [
        (API_ROLE, PROXY_LOGIN, None),
        (SERVICE_ROLE, SERVICE_ROLE, None),
    ]
    mappings.append((admin_user, shard_admin, password))
    if admin_user != OWNER_ROLE:
        mappings.append((OWNER_ROLE, shard_admin, password))
    for cluster in ISOLATIONS:
        for local, remote, secret in mappings:
            opts = [sql.SQL("user {}").format(sql.Literal(remote))]
            if secret:
                opts.append(sql.SQL("password {}").format(sql.Literal(secret)))
            statements.append(
                sql.SQL("CREATE USER MAPPING FOR {} SERVER {} OPTIONS ({})").format(
                    sql.Identifier(local), sql.Identifier(cluster), sql.SQL(", ").join(opts)
                )
            )
    return statements
