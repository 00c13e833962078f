"""The proxy's DDL, generated from a shard's catalog (doublex.shards_catalog).

A proxy database holds no ledger data. Its `ledger` schema has every function of a shard's
`ledger` schema with the same name, arguments, defaults, result and grants (so a function
added to `procedures/` reaches the proxy at the next `doublex migrate`). Each forwards the
call to the shard that holds the caller's tenant:

    ledger.post_journal(…)                       (LANGUAGE sql, on the proxy)
      → ledger_remote.post_journal(key, actor, …) (LANGUAGE plproxy)
          CLUSTER 'doublex_shards'; RUN ON ledger_proxy.route(tenant);
          SELECT … set_config('doublex.api_key', key, true) …, ledger.post_journal(…)

`ledger_proxy.route` (proxy/*.sql, applied from here: `proxy_sql`) derives the tenant from
the caller as `ledger_private.authorize` does on a shard and answers the partition to run
on; the caller's key travels with the call and the shard verifies it itself
(ARCHITECTURE.md, "Sharding").
"""

from __future__ import annotations

from psycopg import sql

from doublex.config import API_ROLE, OWNER_ROLE, SERVICE_ROLE, project_root
from doublex.shard_map import CLUSTER
from doublex.shards_catalog import (
    ALL,
    CALLERS_ISOLATION,
    CROSSING,
    DIRECTORY,
    FIRST,
    REFUSED,
    ApiFunction,
    ShardCatalog,
)

# The proxy's own objects: its directory and routing (`ledger_proxy`, kept across
# regenerations) and the PL/Proxy functions (re-created with `ledger` every time).
REMOTE_SCHEMA = "ledger_remote"
# After these succeed on the shard, the proxy records what routes later calls.
REMEMBERS = {
    "create_tenant": "PERFORM ledger_proxy.remember_tenant(v_tenant);",
    "create_api_key": "PERFORM ledger_proxy.remember_key(v_result.key_id, v_tenant);",
}

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
    "isolation_cluster.sql",
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
    cluster = (
        "ledger_proxy.isolation_cluster()" if function.name in CALLERS_ISOLATION else f"'{CLUSTER}'"
    )
    forward = f"{shard}({_positional(count + 2)})"
    if function.returns_set:
        declare, call = "", f"RETURN QUERY SELECT * FROM {forward};"
    else:
        declare = f"DECLARE\n    v_result {function.result};\n"
        call = f"SELECT * INTO v_result FROM {forward};\n        RETURN v_result;"
    return [
        f"CREATE FUNCTION {shard}({signature})\nRETURNS {returns}\nLANGUAGE plproxy\nAS $$\n"
        f"    CLUSTER {cluster};\n    {run}\n    {query};\n$$;",
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
