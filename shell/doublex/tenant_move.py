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

Which tables: every ledger_private table with a `tenant` column, and every table that
hangs off one by a foreign key (monitor_state, webhook_delivery): read from the catalog, so
a new table is moved without a line here, or refused (`plan`) if it is neither. A table
whose rows a trigger keeps append-only (refuse_history_change) is copied by difference
(the rows a later transaction inserted); any other is copied whole at each pass (the
tenant's few settings, keys, accounts, open hold legs, checkpoints). The copy runs as the
owner with `session_replication_role = replica`: the append-only, closed-day and event
triggers do not fire on rows that are history already (an admin operation, like a restore).

Ids: account ids are kept (the seals hash them; `doublex.shards.spread_account_ids` numbers
each shard's accounts from its own range); the other serial ids (event positions, audit
ids, reconciliation runs, statement imports and lines, webhook deliveries) are the target's
own, given in the source's order (a webhook's cursor and what refers to them follow).
Journals and legs get txid 1 and the tenant's balance checkpoints start again from zero
(txids are the source's transaction ids: the target's roll-up and event sequencer count its
own; every copied leg counts in the balance until the next roll-up).

Tooling, not a rule of the ledger: what a caller may do is decided by the shards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from doublex import shards

# Tables that belong to no tenant (the same on every shard).
GLOBAL_TABLES = frozenset({"currency", "schema_state"})
# The serial ids a move keeps: the end-of-day seals hash them.
KEPT_IDS = frozenset({("account", "account_id")})
# Columns holding another table's serial id (not declared as foreign keys).
ID_REFERENCES = {
    ("webhook", "cursor"): "event",
    ("webhook_delivery", "position"): "event",
    ("recon_outcome", "run_id"): "recon_run",
    ("recon_outcome", "line_id"): "statement_line",
    ("statement_line", "import_id"): "statement_import",
}
# Values the target gives instead of the source's (module docstring, "Ids").
REPLACED = {
    ("journal", "txid"): "1",
    ("leg", "txid"): "1",
    ("balance_checkpoint", "debits"): "0",
    ("balance_checkpoint", "credits"): "0",
    ("balance_watermark", "below_txid"): "0",
}
# Append-only tables large enough to deserve an index for the difference (txid: the
# inserting transaction's id, stamped by their BEFORE INSERT trigger).
BY_TXID = frozenset({"journal", "leg"})
# Tables bound to one cluster's roles: a tenant with rows there is refused.
REFUSED_TABLES = {"sql_login": "the tenant has SQL logins bound: unbind them first"}

# How long the source's write fence waits for the tenant's writes in flight (a statement
# of the service ends within its 30 s statement_timeout) before the move gives up.
FENCE_WAIT = "60s"
# Tables the bulk pass filled with more rows than this are vacuumed on the target before
# the fence: their counts under it are then index-only scans.
BIG = 10_000

Progress = Callable[[str], None]


class MoveError(shards.ShardError):
    """The move was refused or its verification failed; the tenant is where it was."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]  # the columns a row is inserted with (not the generated ones)
    append_only: bool
    serial: str | None  # its own serial id column, when it has one
    parent: tuple[str, str] | None = None  # (column, table): hangs off a tenant's table

    def where(self, tenant: sql.Composable) -> sql.Composable:
        """The tenant's rows (the parent's key for a table without a tenant column)."""
        if self.parent is None:
            return sql.SQL("tenant = {}").format(tenant)
        column, table = self.parent
        return sql.SQL("{col} IN (SELECT {col} FROM ledger_private.{t} WHERE tenant = {v})").format(
            col=sql.Identifier(column), t=sql.Identifier(table), v=tenant
        )


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


CATALOG = """
SELECT c.relname,
       ARRAY(SELECT a.attname::text FROM pg_attribute AS a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                AND a.attgenerated = '' ORDER BY a.attnum),
       EXISTS (SELECT FROM pg_attribute AS a WHERE a.attrelid = c.oid AND a.attname = 'tenant'
                 AND NOT a.attisdropped),
       EXISTS (SELECT FROM pg_trigger AS t WHERE t.tgrelid = c.oid
                 AND t.tgfoid = 'ledger_private.refuse_history_change'::regproc
                 AND t.tgtype & 16 <> 0),
       (SELECT a.attname::text FROM pg_attribute AS a
         WHERE a.attrelid = c.oid AND a.attidentity <> '' AND NOT a.attisdropped),
       (SELECT ARRAY[a.attname::text, p.relname::text]
          FROM pg_constraint AS f
          JOIN pg_class AS p ON p.oid = f.confrelid
          JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = f.conkey[1]
         WHERE f.conrelid = c.oid AND f.contype = 'f' AND cardinality(f.conkey) = 1
           AND EXISTS (SELECT FROM pg_attribute AS pa WHERE pa.attrelid = p.oid
                         AND pa.attname = 'tenant')
         ORDER BY f.conname LIMIT 1)
  FROM pg_class AS c
 WHERE c.relnamespace = 'ledger_private'::regnamespace AND c.relkind IN ('r', 'p')
 ORDER BY c.relname
"""


def plan(conn: psycopg.Connection[Any]) -> list[Table]:
    """Every table a tenant has rows in, from the catalog; a table that is neither a
    tenant's, nor hangs off one, nor global is refused (a move would leave it behind)."""
    tables = []
    for name, columns, has_tenant, append_only, serial, parent in conn.execute(CATALOG):
        if name in GLOBAL_TABLES:
            continue
        if not has_tenant and parent is None:
            raise MoveError(
                f"table ledger_private.{name} has no tenant column and hangs off no tenant's "
                "table: doublex.tenant_move does not know how to move it"
            )
        if serial is not None and (name, serial) not in KEPT_IDS and name not in IDENTITIES:
            raise MoveError(f"ledger_private.{name}.{serial}: a serial id the move does not map")
        tables.append(
            Table(
                name=name,
                columns=tuple(columns),
                append_only=bool(append_only),
                serial=serial,
                parent=None if has_tenant else (parent[0], parent[1]),
            )
        )
    # Parents before the tables that hang off them (a child's rows are found by its
    # parent's rows on the source, and its ids follow the parent's on the target).
    return sorted(tables, key=lambda t: (t.parent is not None, t.name not in IDENTITIES))


# The serial ids given anew on the target, with a map old → new kept for the move.
IDENTITIES = (
    "event",
    "audit_log",
    "recon_run",
    "statement_import",
    "statement_line",
    "webhook_delivery",
)


def _ident(*parts: str) -> sql.Identifier:
    return sql.Identifier(*parts)


class Copier:
    """One move's connections: the source (reads, one snapshot a pass) and the target (one
    session: its staging tables and id maps live as long as the move)."""

    def __init__(
        self,
        source: psycopg.Connection[Any],
        target: psycopg.Connection[Any],
        tenant: str,
        tables: list[Table],
    ) -> None:
        self.source = source
        self.target = target
        self.tenant = tenant
        self.tables = tables
        self.literal = sql.Literal(tenant)
        target.execute("SET session_replication_role = replica")
        for table in tables:
            target.execute(
                sql.SQL("CREATE TEMP TABLE {} (LIKE ledger_private.{})").format(
                    _ident(f"stage_{table.name}"), _ident(table.name)
                )
            )
        for name in IDENTITIES:
            target.execute(
                sql.SQL(
                    "CREATE TEMP TABLE {} (old bigint PRIMARY KEY, new bigint NOT NULL)"
                ).format(_ident(f"map_{name}"))
            )
        target.commit()

    def copy_pass(self, since_xmin: int | None) -> tuple[int, dict[str, int]]:
        """Copy the tenant's rows (all of them, or for append-only tables those written by
        transactions from `since_xmin` on) at one snapshot of the source; the snapshot's
        xmin and the rows staged per table."""
        staged: dict[str, int] = {}
        with self.source.transaction():
            self.source.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            row = self.source.execute(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
            ).fetchone()
            assert row is not None
            xmin = int(row[0])
            for table in self.tables:
                where = table.where(self.literal)
                if since_xmin is not None and table.append_only:
                    where = sql.SQL("{} AND {}").format(where, _since(table, since_xmin))
                staged[table.name] = self._stage(table, where)
        whole = [t for t in self.tables if since_xmin is None or not t.append_only]
        # What is copied whole goes first, the tables hanging off another before it (their
        # rows are found by the parent's), then every table is filled, parents first.
        for table in reversed(whole):
            self.target.execute(
                sql.SQL("DELETE FROM ledger_private.{} WHERE {}").format(
                    _ident(table.name), table.where(self.literal)
                )
            )
        for table in self.tables:
            self._apply(table)
        self.target.commit()
        return xmin, staged

    def _stage(self, table: Table, where: sql.Composable) -> int:
        out = sql.SQL("COPY (SELECT * FROM ledger_private.{} WHERE {}) TO STDOUT (FORMAT binary)")
        into = sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(_ident(f"stage_{table.name}"))
        with (
            self.source.cursor().copy(out.format(_ident(table.name), where)) as reader,
            self.target.cursor().copy(into) as writer,
        ):
            for chunk in reader:
                writer.write(chunk)
        self.target.execute(sql.SQL("ANALYZE {}").format(_ident(f"stage_{table.name}")))
        row = self.target.execute(
            sql.SQL("SELECT count(*) FROM {}").format(_ident(f"stage_{table.name}"))
        ).fetchone()
        assert row is not None
        return int(row[0])

    def _apply(self, table: Table) -> None:
        stage = _ident(f"stage_{table.name}")
        if table.name in IDENTITIES and table.serial:
            # New ids for the rows not mapped yet, in the source's order.
            self.target.execute(
                sql.SQL(
                    "INSERT INTO {map} (old, new) SELECT o.id, nextval(pg_get_serial_sequence("
                    "{rel}, {col})) FROM (SELECT s.{c} AS id FROM {stage} AS s"
                    " WHERE NOT EXISTS (SELECT FROM {map} AS m WHERE m.old = s.{c})"
                    " ORDER BY s.{c}) AS o"
                ).format(
                    map=_ident(f"map_{table.name}"),
                    rel=sql.Literal(f"ledger_private.{table.name}"),
                    col=sql.Literal(table.serial),
                    c=_ident(table.serial),
                    stage=stage,
                )
            )
        values, joins = zip(*(self._value(table, column) for column in table.columns), strict=True)
        conflict = sql.SQL(" ON CONFLICT DO NOTHING") if table.append_only else sql.SQL("")
        self.target.execute(
            sql.SQL(
                "INSERT INTO ledger_private.{t} ({cols}) OVERRIDING SYSTEM VALUE"
                " SELECT {vals} FROM {stage} AS s{joins}{conflict}"
            ).format(
                t=_ident(table.name),
                cols=sql.SQL(", ").join(_ident(c) for c in table.columns),
                vals=sql.SQL(", ").join(values),
                stage=stage,
                joins=sql.SQL("").join(joins),
                conflict=conflict,
            )
        )
        self.target.execute(sql.SQL("TRUNCATE {}").format(stage))

    def _value(self, table: Table, column: str) -> tuple[sql.Composable, sql.Composable]:
        """The value inserted for `column`, and the join it needs (an id mapped anew)."""
        none = sql.SQL("")
        if (table.name, column) in REPLACED:
            return sql.SQL(REPLACED[(table.name, column)]), none
        mapped = ID_REFERENCES.get((table.name, column))
        if column == table.serial and table.name in IDENTITIES:
            mapped = table.name
        if mapped is None:
            return sql.SQL("s.{}").format(_ident(column)), none
        if column == "cursor":
            # A webhook's cursor: the last of the tenant's events at or before it.
            return sql.SQL(
                "coalesce((SELECT max(m.new) FROM {m} AS m WHERE m.old <= s.{c}), 0)"
            ).format(m=_ident(f"map_{mapped}"), c=_ident(column)), none
        alias = _ident(f"m_{column}")
        return sql.SQL("{}.new").format(alias), sql.SQL(
            " LEFT JOIN {m} AS {a} ON {a}.old = s.{c}"
        ).format(m=_ident(f"map_{mapped}"), a=alias, c=_ident(column))


def _since(table: Table, xmin: int) -> sql.Composable:
    """Rows a transaction from `xmin` on may have inserted (a superset of those the last
    snapshot did not see; the copy ignores the ones it has)."""
    if table.name in BY_TXID:
        return sql.SQL("txid >= {}").format(sql.Literal(xmin))
    return sql.SQL("age(xmin) <= age({}::text::xid)").format(sql.Literal(xmin & 0xFFFFFFFF))


# -- verification ----------------------------------------------------------------------------

# By the tenant's accounts (index leg_account_history): it reads the tenant's legs, not the
# shard's.
LEG_SUMS = """
SELECT l.account_id, l.ccy, l.side, count(*), sum(l.amount) FROM ledger_private.leg AS l
 WHERE l.account_id IN (SELECT a.account_id FROM ledger_private.account AS a
                         WHERE a.tenant = %(tenant)s)
   AND l.tenant = %(tenant)s
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
SEALS = "SELECT * FROM ledger.verify_seals(tenant => %s)"
CLOSES = "SELECT business_date, seal FROM ledger_private.day_close WHERE tenant = %s ORDER BY 1"


def counts(conn: psycopg.Connection[Any], tenant: str, tables: Sequence[Table]) -> dict[str, int]:
    result = {}
    for table in tables:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM ledger_private.{} WHERE {}").format(
                _ident(table.name), table.where(sql.Literal(tenant))
            )
        ).fetchone()
        assert row is not None
        result[table.name] = int(row[0])
    conn.commit()
    return result


def _both(
    source: psycopg.Connection[Any],
    target: psycopg.Connection[Any],
    read: Callable[[psycopg.Connection[Any]], Any],
) -> tuple[Any, Any]:
    """`read` on the source and on the target at once (two servers: half the wait)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        theirs, ours = pool.map(read, (source, target))
    return theirs, ours


def seal_differences(
    source: psycopg.Connection[Any], target: psycopg.Connection[Any], tenant: str
) -> list[str]:
    """The closes stored, and every seal recomputed (ledger.verify_seals), as on the source."""

    def read(conn: psycopg.Connection[Any]) -> tuple[Any, Any]:
        closes = conn.execute(CLOSES, [tenant]).fetchall()
        seals = conn.execute(SEALS, [tenant]).fetchall()
        conn.commit()
        return closes, seals

    (closes, seals), (copied, recomputed) = _both(source, target, read)
    problems = []
    if closes != copied:
        problems.append(f"day closes differ: source {closes[-3:]}, target {copied[-3:]}")
    if seals != recomputed:
        problems.append(f"seals recomputed differ: source {seals[:3]}, target {recomputed[:3]}")
    return problems


def differences(
    source: psycopg.Connection[Any],
    target: psycopg.Connection[Any],
    tenant: str,
    tables: Sequence[Table],
) -> tuple[list[str], dict[str, int]]:
    """What the target answers otherwise than the source: rows per table, Σ legs (count and
    amount) per account, currency and side, and the closes stored; the target's rows."""

    def read(conn: psycopg.Connection[Any]) -> tuple[Any, Any, Any]:
        rows = counts(conn, tenant, [t for t in tables if t.name != "leg"])
        sums = conn.execute(LEG_SUMS, {"tenant": tenant}).fetchall()
        closes = conn.execute(CLOSES, [tenant]).fetchall()
        conn.commit()
        return rows, sums, closes

    (theirs, sums, closes), (ours, copied, stored) = _both(source, target, read)
    problems = [
        f"{name}: {theirs[name]} rows on the source, {ours[name]} on the target"
        for name in theirs
        if theirs[name] != ours[name]
    ]
    if sums != copied:
        problems.append(f"Σ legs differ: source {len(sums)} groups, target {len(copied)}")
    if closes != stored:
        problems.append(f"day closes differ: source {closes[-3:]}, target {stored[-3:]}")
    ours["leg"] = sum(int(group[3]) for group in copied)
    return problems, {t.name: ours[t.name] for t in tables}


def delete_tenant(conn: psycopg.Connection[Any], tenant: str, tables: Sequence[Table]) -> None:
    """Every row of the tenant (the tables that hang off another first), in one
    transaction, with the history triggers off (an admin operation)."""
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for table in sorted(tables, key=lambda t: t.parent is None):
            conn.execute(
                sql.SQL("DELETE FROM ledger_private.{} WHERE {}").format(
                    _ident(table.name), table.where(sql.Literal(tenant))
                )
            )


# -- the move --------------------------------------------------------------------------------


def _fence_source(source: psycopg.Connection[Any], tenant: str) -> None:
    """Raise the source's write fence of `tenant` for this session: returns once every
    write of the tenant that got in has ended (module docstring, step 2)."""
    try:
        source.execute("SELECT set_config('lock_timeout', %s, true)", [FENCE_WAIT])
        source.execute("SELECT ledger_private.fence_tenant_writes(%s, true)", [tenant])
        source.commit()
    except psycopg.errors.LockNotAvailable as exc:
        source.rollback()
        raise MoveError(
            f"tenant {tenant}: its writes on the source still ran after {FENCE_WAIT}; "
            "it stays where it was"
        ) from exc


def _lift_source_fence(source: psycopg.Connection[Any], tenant: str) -> None:
    """Lift it (a session that broke has lost it already)."""
    if source.closed or source.broken:
        return
    source.rollback()
    source.execute("SELECT ledger_private.fence_tenant_writes(%s, false)", [tenant])
    source.commit()


def _fence(proxy_dsn: str, tenant: str, on: bool, partition: int | None = None) -> None:
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
            closes_before = _closed(target, tenant)
            _fence(proxy_dsn, tenant, True)
            fenced = time.monotonic()
            say("fenced")
            try:
                _fence_source(source, tenant)
                _sequence_events(source)
                copier.copy_pass(xmin)
                report.final_copy_seconds = time.monotonic() - fenced
                problems, report.rows = differences(source, target, tenant, tables)
                if not problems and _closed(target, tenant) != closes_before:
                    problems = seal_differences(source, target, tenant)  # a day closed since
                report.verify_seconds = time.monotonic() - fenced - report.final_copy_seconds
                if problems:
                    raise MoveError(_stays(tenant, origin, to, problems))
            except BaseException:
                _lift_source_fence(source, tenant)
                _fence(proxy_dsn, tenant, False)
                raise
            _fence(proxy_dsn, tenant, False, partition=to)
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
            _lift_source_fence(source, tenant)
        report.delete_seconds = time.monotonic() - started
        say("removed from the source")
    return report


def _stays(tenant: str, origin: int, to: int, problems: list[str]) -> str:
    return f"tenant {tenant} stays on shard {origin}: the copy on shard {to} differs: " + "; ".join(
        problems
    )


def _closed(conn: psycopg.Connection[Any], tenant: str) -> list[Any]:
    closes = conn.execute(CLOSES, [tenant]).fetchall()
    conn.commit()
    return closes


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
            target.execute(sql.SQL("VACUUM (ANALYZE) ledger_private.{}").format(_ident(table.name)))
    finally:
        target.autocommit = False
