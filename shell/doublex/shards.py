"""Sharding by tenant with PL/Proxy: the proxy database's DDL, generated from a shard.

A proxy database holds no ledger data. Its `ledger` schema has every function of a shard's
`ledger` schema with the same name, arguments, defaults, result and grants, read from the
shard's catalog (so a function added to `procedures/` reaches the proxy at the next
`doublex migrate`). Each forwards the call to the shard that holds the caller's tenant:

    ledger.post_journal(…)                       (LANGUAGE sql, on the proxy)
      → ledger_remote.post_journal(key, actor, …) (LANGUAGE plproxy)
          CLUSTER 'doublex_shards'; RUN ON ledger_proxy.route(tenant);
          SELECT … set_config('doublex.api_key', key, true) …, ledger.post_journal(…)

`ledger_proxy.route` derives the tenant from the caller as `ledger_private.authorize` does on
a shard (the API key's tenant through the proxy's directory of key ids; an admin's `tenant`
argument; the service login's housekeeping) and answers `hashtext(tenant)`, or the partition
a tenant is pinned to. PL/Proxy maps it onto a power-of-two partition list (`p0`, `p1`, … of
the foreign server `doublex_shards`), each partition a shard's connect string. The caller's
key travels with the call and the shard verifies it itself; the proxy's directory only
decides where a call goes, never what it may do (ARCHITECTURE.md, "Sharding").

Functions that are not tenant-scoped either run on every shard (their rows combined), run
on partition 0 (answers every shard gives alike), are answered by the proxy's directory
(`list_tenants`), or are refused with DX066 (`CROSSING` below; README, "Sharding").

Generating DDL is tooling, not a rule of the ledger: nothing here decides what a caller may
do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from doublex import migrate, shard_map
from doublex.config import API_ROLE, OWNER_ROLE, SERVICE_ROLE, project_root
from doublex.shard_map import CLUSTER, DIRECTORY_SCHEMA

PROXY_LOGIN = "doublex_proxy"
# The proxy's own objects: its directory and routing (DIRECTORY_SCHEMA, kept across
# regenerations) and the PL/Proxy functions (re-created with `ledger` every time).
REMOTE_SCHEMA = "ledger_remote"

# How a function that is not routed by the caller's tenant crosses the proxy.
ALL = "all"  # on every shard; the rows combined (set-returning, service-wide work)
FIRST = "first"  # on partition 0: every shard answers alike (limits, pure functions)
DIRECTORY = "directory"  # answered by the proxy from its directory
REFUSED = "refused"  # DX066: no meaningful combination; run it against each shard
WEBHOOK_WORKER = "a webhook's events live on its tenant's shard: run the delivery worker per shard"
LIVE_PAGE = "the live page serves one database: point it at a shard"
SQL_LOGINS = "an SQL login is a role of one shard's cluster: bind, unbind and list it there"
GAUGES = "monitoring gauges: point postgres_exporter at each shard"
CROSSING: dict[str, tuple[str, str]] = {
    "api_limits": (FIRST, "the limits are procedures/private/api_limit.sql on every shard"),
    "client_idempotency_key": (FIRST, "a pure function of its arguments"),
    "health": (FIRST, "partition 0's shard; `doublex shards status` asks every shard"),
    "webhook_endpoints": (ALL, "every shard's endpoints"),
    "sweep_expired_holds": (ALL, "every shard's tenants"),
    "list_tenants": (DIRECTORY, "the tenants of the proxy's directory, each from its shard"),
    "sequence_events": (REFUSED, "each shard sequences its own events: run it on each shard"),
    "claim_webhook_events": (REFUSED, WEBHOOK_WORKER),
    "record_webhook_deliveries": (REFUSED, WEBHOOK_WORKER),
    "create_demo_tenant": (REFUSED, LIVE_PAGE),
    "prune_demo_tenants": (REFUSED, LIVE_PAGE),
    "bind_sql_login": (REFUSED, SQL_LOGINS),
    "unbind_sql_login": (REFUSED, SQL_LOGINS),
    "list_sql_logins": (REFUSED, SQL_LOGINS),
    **{
        f"monitor_{gauge}": (REFUSED, GAUGES)
        for gauge in (
            "days_since_close",
            "fx_clearing",
            "journals_today",
            "recon_exceptions",
            "unbalanced_journals",
        )
    },
}
# After these succeed on the shard, the proxy records what routes later calls.
REMEMBERS = {
    "create_tenant": "PERFORM ledger_proxy.remember_tenant(v_tenant);",
    "create_api_key": "PERFORM ledger_proxy.remember_key(v_result.key_id, v_tenant);",
}


class ShardError(RuntimeError):
    """The shards or the proxy could not be set up as asked."""


@dataclass(frozen=True)
class ApiFunction:
    """One function of a shard's `ledger` schema, as its catalog describes it."""

    name: str
    arguments: str  # with names and defaults (pg_get_function_arguments)
    identity: str  # the types that identify it (pg_get_function_identity_arguments)
    input_types: tuple[str, ...]
    input_names: tuple[str, ...]
    result: str  # pg_get_function_result
    returns_set: bool
    grantees: tuple[str, ...]
    comment: str | None
    writes: bool = True  # VOLATILE: fenced while its tenant moves (STABLE reads are not)

    @property
    def tenant_position(self) -> int | None:
        """1-based position of the `tenant text` argument, if it has one."""
        for position, (name, kind) in enumerate(
            zip(self.input_names, self.input_types, strict=True), 1
        ):
            if name == "tenant" and kind == "text":
                return position
        return None

    @property
    def crossing(self) -> str:
        return CROSSING.get(self.name, ("tenant", ""))[0]


@dataclass(frozen=True)
class ShardCatalog:
    types: tuple[tuple[str, str], ...]  # composite type name → its column list
    functions: tuple[ApiFunction, ...]


CATALOG_TYPES = """
SELECT t.typname,
       string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                  ORDER BY a.attnum)
  FROM pg_type AS t
  JOIN pg_class AS c ON c.oid = t.typrelid AND c.relkind = 'c'
  JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE t.typnamespace = 'ledger'::regnamespace
 GROUP BY t.typname
 ORDER BY t.typname
"""

CATALOG_FUNCTIONS = """
SELECT p.proname,
       pg_get_function_arguments(p.oid),
       pg_get_function_identity_arguments(p.oid),
       ARRAY(SELECT format_type(u.t, NULL) FROM unnest(p.proargtypes) WITH ORDINALITY AS u (t, n)
              ORDER BY u.n),
       ARRAY(SELECT coalesce(u.name, '') FROM unnest(p.proargnames, p.proargmodes)
                        WITH ORDINALITY AS u (name, mode, n)
              WHERE coalesce(u.mode, 'i') IN ('i', 'b', 'v') ORDER BY u.n),
       pg_get_function_result(p.oid),
       p.proretset,
       ARRAY(SELECT a.grantee::regrole::text FROM aclexplode(p.proacl) AS a
              WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner AND a.grantee <> 0
              ORDER BY 1),
       obj_description(p.oid, 'pg_proc'),
       p.provolatile = 'v'
  FROM pg_proc AS p
 WHERE p.pronamespace = 'ledger'::regnamespace
 ORDER BY p.proname, p.oid
"""


def read_catalog(shard_dsn: str) -> ShardCatalog:
    """The `ledger` schema's composite types and functions of a migrated shard."""
    with psycopg.connect(shard_dsn, autocommit=True) as conn:
        # Qualified type names everywhere: the proxy's search path is not the shard's.
        conn.execute("SET search_path = pg_catalog")
        types = conn.execute(CATALOG_TYPES).fetchall()
        rows = conn.execute(CATALOG_FUNCTIONS).fetchall()
    functions = []
    for (
        name,
        args,
        identity,
        in_types,
        in_names,
        result,
        returns_set,
        grantees,
        comment,
        writes,
    ) in rows:
        names = list(in_names) or [""] * len(in_types)
        functions.append(
            ApiFunction(
                name=name,
                arguments=args,
                identity=identity,
                input_types=tuple(in_types),
                input_names=tuple(names + [""] * (len(in_types) - len(names))),
                result=result,
                returns_set=returns_set,
                grantees=tuple(grantees),
                comment=comment,
                writes=writes,
            )
        )
    if not functions:
        raise ShardError("the shard has no ledger functions: run `doublex migrate` on it first")
    return ShardCatalog(types=tuple((t, cols) for t, cols in types), functions=tuple(functions))


# -- the proxy's DDL -------------------------------------------------------------------------

ROLES = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
        CREATE ROLE {OWNER_ROLE} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{API_ROLE}') THEN
        CREATE ROLE {API_ROLE} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SERVICE_ROLE}') THEN
        CREATE ROLE {SERVICE_ROLE} LOGIN NOINHERIT;
        ALTER ROLE {SERVICE_ROLE} SET statement_timeout = '30s';
        ALTER ROLE {SERVICE_ROLE} SET lock_timeout = '5s';
        ALTER ROLE {SERVICE_ROLE} SET idle_in_transaction_session_timeout = '60s';
        ALTER ROLE {SERVICE_ROLE} SET default_transaction_isolation = 'serializable';
        ALTER ROLE {SERVICE_ROLE} SET search_path = ledger;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'doublex_monitor') THEN
        CREATE ROLE doublex_monitor NOLOGIN;
    END IF;
END
$$;
GRANT {API_ROLE} TO {SERVICE_ROLE};
"""

# The proxy's own functions and directory (proxy/*.sql, one function a file), in the order
# they are applied: the directory first (kept across regenerations), then what uses it.
PROXY_FILES = (
    "directory.sql",
    "caller_tenant.sql",
    "route.sql",
    "route_read.sql",
    "route_caller.sql",
    "route_caller_read.sql",
    "forwarded_principal.sql",
    "reraise.sql",
    "refuse.sql",
    "remember_key.sql",
    "remember_tenant.sql",
)


def proxy_sql() -> str:
    """proxy/*.sql, in PROXY_FILES order."""
    folder = project_root() / "proxy"
    return "\n\n".join((folder / name).read_text(encoding="utf-8") for name in PROXY_FILES)


def _positional(count: int, offset: int = 0) -> str:
    return ", ".join(f"${n + offset}" for n in range(1, count + 1))


def _grants(
    function: ApiFunction, schema: str, signature: str, name: str | None = None
) -> list[str]:
    target = f"{schema}.{name or function.name}({signature})"
    lines = [f"REVOKE ALL ON FUNCTION {target} FROM PUBLIC;"]
    lines += [f"GRANT EXECUTE ON FUNCTION {target} TO {grantee};" for grantee in function.grantees]
    return lines


# The handler of every forwarding function: the shard's error, unwrapped (reraise).
RERAISE = """        DECLARE
            v_state text; v_message text; v_detail text; v_hint text; v_column text;
        BEGIN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT, v_column = COLUMN_NAME;
            PERFORM ledger_proxy.reraise(v_state, v_message, v_detail, v_hint, v_column);
        END;"""


def _returns(function: ApiFunction) -> str:
    if function.returns_set and not function.result.startswith(("SETOF ", "TABLE(")):
        return f"SETOF {function.result}"
    return function.result


def remote_query(function: ApiFunction) -> str:
    """The statement a shard runs: the caller's key and actor set (transaction-locally)
    before the shard's own function runs with the caller's arguments. With arguments, the
    setting is folded into the first one (`CASE WHEN set_config(…) … THEN $3 ELSE $3 END`:
    an argument is evaluated before the function's body, whose first act is authorize);
    without, a fenced subquery sets them and the call runs for its row (one more join to
    plan, for the few functions without arguments)."""
    key = "pg_catalog.set_config('doublex.api_key', $1, true)"
    actor = "pg_catalog.set_config('doublex.actor', $2, true)"
    name = f"ledger.{function.name}"
    if not function.input_types:
        return (
            f"SELECT dx_r.* FROM (SELECT {key} AS dx_k, {actor} AS dx_a OFFSET 0) AS dx_f"
            f" CROSS JOIN LATERAL (SELECT * FROM {name}()"
            " WHERE dx_f.dx_k IS NOT NULL AND dx_f.dx_a IS NOT NULL) AS dx_r"
        )
    args = [f"${n + 2}::{kind}" for n, kind in enumerate(function.input_types, 1)]
    args[0] = f"CASE WHEN {key} IS NULL OR {actor} IS NULL THEN {args[0]} ELSE {args[0]} END"
    return f"SELECT * FROM {name}({', '.join(args)})"


def remote_functions(function: ApiFunction) -> list[str]:
    """`ledger_remote.<name>_shard`, the PL/Proxy function that runs `function` on its shard
    as the caller's key, and `ledger_remote.<name>`, which calls it and gives back a shard's
    error as the shard raised it (reraise). Their arguments are unnamed: `$1` the key, `$2`
    the actor, then the shard function's own."""
    kind = function.crossing
    if kind in (REFUSED, DIRECTORY):
        return []
    if kind == ALL:
        run = "RUN ON ALL;"
    elif kind == FIRST:
        run = "RUN ON 0;"
    else:
        # PL/Proxy's RUN ON passes arguments only: a function without a tenant argument
        # routes by the caller alone. A write is fenced while its tenant moves; a read not.
        position = function.tenant_position
        read = "" if function.writes else "_read"
        run = (
            f"RUN ON ledger_proxy.route{read}(${position + 2});"
            if position
            else f"RUN ON ledger_proxy.route_caller{read}();"
        )
    signature = ", ".join(["text", "text", *function.input_types])
    count = len(function.input_types)
    query = remote_query(function)
    returns = _returns(function)
    shard = f"{REMOTE_SCHEMA}.{function.name}_shard"
    forward = f"{shard}({_positional(count + 2)})"
    if function.returns_set:
        declare, call = "", f"RETURN QUERY SELECT * FROM {forward};"
    else:
        declare = f"DECLARE\n    v_result {function.result};\n"
        call = f"SELECT * INTO v_result FROM {forward};\n        RETURN v_result;"
    return [
        f"CREATE FUNCTION {shard}({signature})\nRETURNS {returns}\nLANGUAGE plproxy\nAS $$\n"
        f"    CLUSTER '{CLUSTER}';\n    {run}\n    {query};\n$$;",
        *_grants(function, REMOTE_SCHEMA, signature, f"{function.name}_shard"),
        f"CREATE FUNCTION {REMOTE_SCHEMA}.{function.name}({signature})\nRETURNS {returns}\n"
        f"LANGUAGE plpgsql\nAS $$\n{declare}BEGIN\n    BEGIN\n        {call}\n"
        f"    EXCEPTION WHEN OTHERS THEN\n{RERAISE}\n    END;\nEND\n$$;",
        *_grants(function, REMOTE_SCHEMA, signature),
    ]


def api_function(function: ApiFunction) -> list[str]:
    """The proxy's `ledger.<name>`: the shard's signature, forwarding to ledger_remote."""
    kind = function.crossing
    head = (
        f"CREATE FUNCTION ledger.{function.name}({function.arguments})\nRETURNS {function.result}"
    )
    count = len(function.input_types)
    forward = (
        f"{REMOTE_SCHEMA}.{function.name}(ledger_proxy.forwarded_key(), "
        f"ledger_proxy.forwarded_actor(){', ' if count else ''}{_positional(count)})"
    )
    if kind == REFUSED:
        reason = CROSSING[function.name][1].replace("'", "''")
        body = (
            f"{head}\nLANGUAGE plpgsql\nAS $$\nBEGIN\n"
            f"    PERFORM ledger_proxy.refuse('{function.name}', '{reason}');\nEND\n$$;"
        )
    elif kind == DIRECTORY:
        body = (
            f"{head}\nLANGUAGE sql STABLE\nAS $$\n"
            "    SELECT t.* FROM ledger_proxy.tenant AS d\n"
            "     CROSS JOIN LATERAL ledger.get_tenant(d.tenant) AS t\n"
            "     ORDER BY d.tenant\n$$;"
        )
    elif function.name in REMEMBERS:
        position = function.tenant_position
        tenant = f"${position}" if position else "NULL"
        body = (
            f"{head}\nLANGUAGE plpgsql\nAS $$\nDECLARE\n"
            f"    v_tenant text := ledger_proxy.caller_tenant({tenant});\n"
            f"    v_result {function.result};\nBEGIN\n"
            f"    SELECT * INTO STRICT v_result FROM {forward};\n"
            f"    {REMEMBERS[function.name]}\n    RETURN v_result;\nEND\n$$;"
        )
    elif function.returns_set:
        # A SQL function: called in FROM, it is inlined into the caller's query.
        body = f"{head}\nLANGUAGE sql\nAS $$ SELECT * FROM {forward} $$;"
    else:
        # PL/pgSQL: its call is a cached plan (a SQL function returning one row is planned
        # anew at every call).
        body = (
            f"{head}\nLANGUAGE plpgsql\nAS $$\nDECLARE\n    v_result {function.result};\nBEGIN\n"
            f"    SELECT * INTO v_result FROM {forward};\n    RETURN v_result;\nEND\n$$;"
        )
    lines = [body, *_grants(function, "ledger", function.identity)]
    if function.comment is not None:
        lines.append(
            f"COMMENT ON FUNCTION ledger.{function.name}({function.identity}) IS "
            + sql.quote(function.comment)
            + ";"
        )
    return lines


def proxy_ddl(catalog: ShardCatalog) -> str:
    """Everything the proxy's `ledger` and `ledger_remote` schemas hold, from scratch."""
    parts = [
        f"DROP SCHEMA IF EXISTS ledger CASCADE;\nDROP SCHEMA IF EXISTS {REMOTE_SCHEMA} CASCADE;",
        f"CREATE SCHEMA ledger AUTHORIZATION {OWNER_ROLE};",
        f"CREATE SCHEMA {REMOTE_SCHEMA} AUTHORIZATION {OWNER_ROLE};",
        f"GRANT USAGE ON SCHEMA ledger, {REMOTE_SCHEMA}"
        f" TO {API_ROLE}, {SERVICE_ROLE}, doublex_monitor;",
    ]
    parts += [f"CREATE TYPE ledger.{name} AS ({columns});" for name, columns in catalog.types]
    for function in catalog.functions:
        parts += remote_functions(function)
        parts += api_function(function)
    return "\n\n".join(parts) + "\n"


# -- the cluster: partitions and user mappings -----------------------------------------------


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


def partition_locations(shard_dsns: Sequence[str], partitions: int) -> list[str]:
    """Each partition's connect string: its shard without credentials, at SERIALIZABLE."""
    locations = [_location(dsn) for dsn in shard_dsns]
    strings = []
    for shard in partition_map(len(shard_dsns), partitions):
        where = {
            k: v for k, v in locations[shard].items() if k not in ("user", "password", "options")
        }
        where["options"] = "-c default_transaction_isolation=serializable"
        strings.append(make_conninfo(**where))
    return strings


def cluster_ddl(
    shard_dsns: Sequence[str], partitions: int, admin_user: str
) -> list[sql.Composable]:
    """The foreign server `doublex_shards` (p0…, each a shard without credentials) and the
    user mappings: the API role → doublex_proxy, the service → its own shard login, the
    admin running this → the shards' admin login."""
    locations = [_location(dsn) for dsn in shard_dsns]
    users = {loc.get("user", "") for loc in locations}
    if len(users) != 1:
        raise ShardError(
            "every --shard-dsn must name the same admin user (one user mapping serves all); "
            f"got {', '.join(sorted(users))}"
        )
    shard_admin = users.pop() or admin_user
    password = next((loc["password"] for loc in locations if "password" in loc), None)
    options = [
        sql.SQL("{} {}").format(sql.Identifier(f"p{partition}"), sql.Literal(location))
        for partition, location in enumerate(partition_locations(shard_dsns, partitions))
    ]
    server = sql.Identifier(CLUSTER)
    statements: list[sql.Composable] = [
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
    for local, remote, secret in mappings:
        opts = [sql.SQL("user {}").format(sql.Literal(remote))]
        if secret:
            opts.append(sql.SQL("password {}").format(sql.Literal(secret)))
        statements.append(
            sql.SQL("CREATE USER MAPPING FOR {} SERVER {} OPTIONS ({})").format(
                sql.Identifier(local), server, sql.SQL(", ").join(opts)
            )
        )
    return statements


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
