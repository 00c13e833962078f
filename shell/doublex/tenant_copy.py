"""How a tenant's rows travel between shards for `doublex shards move`
(doublex.tenant_move): which tables, at which snapshot, with which ids.

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
own, given in the source's order (a webhook's cursor and what refers to them follow);
event positions and audit ids each above every one the source had issued when their row
was copied (Copier._above): a client paging `list_events` or `list_audit` with the
source's cursor misses nothing after the move and sees the moved rows once more (events
keep their event_id).
Journals and legs get txid 1 and the tenant's balance checkpoints start again from zero
(txids are the source's transaction ids: the target's roll-up and event sequencer count its
own; every copied leg counts in the balance until the next roll-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
# Values the target gives instead of the source's (module docstring, "Ids"), by table.
REPLACED = {
    "journal": {"txid": "1"},
    "leg": {"txid": "1"},
    "balance_checkpoint": {"debits": "0", "credits": "0"},
    "balance_watermark": {"below_txid": "0"},
}
# Append-only tables large enough to deserve an index for the difference (txid: the
# inserting transaction's id, stamped by their BEFORE INSERT trigger).
BY_TXID = frozenset({"journal", "leg"})


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


# Of those, the ids clients page by (list_events' position, list_audit's id): the target's
# are kept above the source's (Copier._above).
CURSORS = frozenset({"event", "audit_log"})


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
            issued = self._issued_ids()
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
        self._above(issued)
        for table in self.tables:
            self._apply(table)
        self.target.commit()
        return xmin, staged

    def _issued_ids(self) -> dict[str, int]:
        """The last id the source issued (by sequence) of each table clients page by:
        everything this pass's snapshot sees has an id up to it."""
        issued = {}
        for table in self.tables:
            if table.name in CURSORS and table.serial:
                row = self.source.execute(
                    "SELECT s.seq::text, pg_sequence_last_value(s.seq)"
                    "  FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) AS s",
                    [f"ledger_private.{table.name}", table.serial],
                ).fetchone()
                if row is not None and row[1] is not None:
                    issued[row[0]] = int(row[1])
        return issued

    def _above(self, issued: dict[str, int]) -> None:
        """The target's sequences past the source's: every id the target gives the tenant
        from here on is above any id the source issued by this pass, so a client's cursor
        of the source (`list_events`' position, `list_audit`'s id) misses nothing on the
        target; it sees the moved rows once more, under new numbers."""
        for sequence, last in issued.items():
            self.target.execute(
                "SELECT setval(%s::regclass,"
                " greatest(coalesce(pg_sequence_last_value(%s::regclass), 0), %s))",
                [sequence, sequence, last],
            )

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
        if (replaced := REPLACED.get(table.name, {}).get(column)) is not None:
            return sql.SQL(replaced), none
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
