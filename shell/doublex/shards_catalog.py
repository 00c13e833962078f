"""A shard's `ledger` schema as the proxy sees it: its composite types and functions, read
from the shard's catalog (`read_catalog`), and how each function crosses the proxy
(`CROSSING`): routed by the caller's tenant unless listed there.

Functions that are not tenant-scoped either run on every shard (their rows combined), run
on partition 0 (answers every shard gives alike), are answered by the proxy's directory
(`list_tenants`), or are refused with DX066 (README, "Sharding"). `ShardError` is the error
of every step of setting up the shards and the proxy (doublex.shards).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

# How a function that is not routed by the caller's tenant crosses the proxy.
ALL = "all"  # on every shard; the rows combined (set-returning, service-wide work)
FIRST = "first"  # on partition 0: every shard answers alike (limits, pure functions)
DIRECTORY = "directory"  # answered by the proxy from its directory
REFUSED = "refused"  # DX066: no meaningful combination; run it against each shard
WEBHOOK_WORKER = "a webhook's events live on its tenant's shard: run the delivery worker per shard"
LIVE_PAGE = "the live page serves one database: point it at a shard"
SQL_LOGINS = "an SQL login is a role of one shard's cluster: bind, unbind and list it there"
GAUGES = "monitoring gauges: point postgres_exporter at each shard"
STAGING = (
    "a bank statement is staged (COPY) in a temporary table of the shard's session, which a"
    " call through the proxy cannot reach: run `doublex recon import` with DOUBLEX_DSN the"
    " tenant's shard (`doublex shards status` names it)"
)
CROSSING: dict[str, tuple[str, str]] = {
    "api_limits": (FIRST, "the limits are procedures/private/api_limit.sql on every shard"),
    "client_idempotency_key": (FIRST, "a pure function of its arguments"),
    "health": (FIRST, "partition 0's shard; `doublex shards status` asks every shard"),
    "webhook_endpoints": (REFUSED, WEBHOOK_WORKER),
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
    "stage_statement": (REFUSED, STAGING),
    "import_statement": (REFUSED, STAGING),
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


# Routed by tenant like the rest, but on the caller's isolation level: a function that
# refuses SERIALIZABLE (DX016) runs on the shard at READ COMMITTED when its caller's
# transaction on the proxy is READ COMMITTED (every other call runs at SERIALIZABLE).
CALLERS_ISOLATION = {"roll_up_balances"}


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
