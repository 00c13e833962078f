"""Database access: the pool, the one transaction runner, and every query the shell runs.

Everything that talks to PostgreSQL goes through `Ledger.run`: SERIALIZABLE (reports
SERIALIZABLE READ ONLY DEFERRABLE), retried on 40001/40P01 — also when raised by COMMIT —
on a fresh transaction with bounded exponential backoff and full jitter. A broken
connection during COMMIT is never retried: the outcome is unknown, and the caller replays
with its idempotency key. Errors leave as `doublex.errors.LedgerError`.

A write that is one SQL API call runs as one statement in autocommit: PostgreSQL makes it
its own transaction, at the SERIALIZABLE default every pooled session gets, and reports a
serialization failure at its implicit commit as the statement's error. One round trip
instead of three (BEGIN, the call, COMMIT).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from opentelemetry import trace
from psycopg import AsyncConnection, IsolationLevel
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from doublex import errors, metrics
from doublex.tracing import tracer

T = TypeVar("T")
Row = dict[str, Any]
Work = Callable[[AsyncConnection[Row]], Awaitable[T]]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter: sleep U(0, min(cap, base·2^n))."""

    max_attempts: int = 20
    base_delay: float = 0.002
    max_delay: float = 0.25

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


# Every statement the shell sends, named. Functions are called with named arguments so a
# reader sees which value goes where, and new optional parameters never shift positions.
QUERIES: Mapping[str, str] = {
    "create_account": """
        SELECT * FROM ledger.create_account(
            code => %(code)s, name => %(name)s, ccy => %(ccy)s, type => %(type)s,
            allow_negative => %(allow_negative)s, metadata => %(metadata)s, tenant => %(tenant)s)
    """,
    "get_account": "SELECT * FROM ledger.get_account(code => %(code)s, tenant => %(tenant)s)",
    "list_accounts": """
        SELECT * FROM ledger.list_accounts(
            after_code => %(after_code)s, page_size => %(page_size)s, tenant => %(tenant)s)
    """,
    "set_account_status": """
        SELECT * FROM ledger.set_account_status(
            code => %(code)s, status => %(status)s, tenant => %(tenant)s)
    """,
    "post_journal": """
        SELECT * FROM ledger.post_journal(
            idempotency_key => %(idempotency_key)s, legs => %(legs)s,
            effective_date => %(effective_date)s, memo => %(memo)s, ref => %(ref)s,
            metadata => %(metadata)s, tenant => %(tenant)s)
    """,
    "reverse_journal": """
        SELECT * FROM ledger.reverse_journal(
            journal_id => %(journal_id)s, idempotency_key => %(idempotency_key)s,
            memo => %(memo)s, tenant => %(tenant)s)
    """,
    "get_balance": """
        SELECT * FROM ledger.get_balance(
            account => %(account)s, as_of => %(as_of)s, tenant => %(tenant)s)
    """,
    "get_journal": """
        SELECT * FROM ledger.get_journal(journal_id => %(journal_id)s, tenant => %(tenant)s)
    """,
    "list_journals": """
        SELECT * FROM ledger.list_journals(
            from_date => %(from_date)s, to_date => %(to_date)s, account => %(account)s,
            after_cursor => %(after_cursor)s, page_size => %(page_size)s, tenant => %(tenant)s)
    """,
    "roll_up_balances": "SELECT * FROM ledger.roll_up_balances(tenant => %(tenant)s)",
    "post_journals": """
        SELECT * FROM ledger.post_journals(requests => %(requests)s, tenant => %(tenant)s)
    """,
    "health": "SELECT * FROM ledger.health()",
    "upsert_fx_rate": """
        SELECT * FROM ledger.upsert_fx_rate(
            base => %(base)s, quote => %(quote)s, rate => %(rate)s, valid_on => %(valid_on)s,
            source => %(source)s, tenant => %(tenant)s)
    """,
    "fx_rate": """
        SELECT * FROM ledger.fx_rate(
            base => %(base)s, quote => %(quote)s, on_date => %(on)s, tenant => %(tenant)s)
    """,
    "post_fx_transfer": """
        SELECT * FROM ledger.post_fx_transfer(
            idempotency_key => %(idempotency_key)s, from_account => %(from_account)s,
            to_account => %(to_account)s, amount => %(amount)s, fixed_side => %(fixed_side)s,
            rate => %(rate)s, effective_date => %(effective_date)s, memo => %(memo)s,
            ref => %(ref)s, tenant => %(tenant)s)
    """,
    "fx_position": """
        SELECT * FROM ledger.fx_position(
            as_of => %(as_of)s, reporting_ccy => %(reporting_ccy)s, tenant => %(tenant)s)
    """,
    "stage_statement": "SELECT ledger.stage_statement(tenant => %(tenant)s) AS staging",
    "copy_statement": """
        COPY pg_temp.doublex_statement_staging
             (line_no, line_date, ref, amount, ccy, description, bank_id, extra_fields)
        FROM STDIN
    """,
    "import_statement": """
        SELECT * FROM ledger.import_statement(
            account => %(account)s, file_name => %(file_name)s, date_format => %(date_format)s,
            tenant => %(tenant)s)
    """,
    "recon_run": """
        SELECT * FROM ledger.recon_run(
            account => %(account)s, business_date => %(business_date)s,
            tolerance => %(tolerance)s, tenant => %(tenant)s)
    """,
    "recon_summaries": """
        SELECT * FROM ledger.recon_summaries(
            business_date => %(business_date)s, account => %(account)s, tenant => %(tenant)s)
    """,
    "recon_items": """
        SELECT * FROM ledger.recon_items(
            business_date => %(business_date)s, account => %(account)s, tenant => %(tenant)s)
    """,
    "recon_mismatch_totals": "SELECT * FROM ledger.recon_mismatch_totals(tenant => %(tenant)s)",
    "business_date": """
        SELECT ledger.business_date(at => %(at)s, tenant => %(tenant)s) AS business_date
    """,
    "set_ledger_settings": """
        SELECT * FROM ledger.set_ledger_settings(
            time_zone => %(time_zone)s, cutoff => %(cutoff)s, tenant => %(tenant)s)
    """,
    "eod_close": """
        SELECT * FROM ledger.eod_close(business_date => %(business_date)s, tenant => %(tenant)s)
    """,
    "eod_status": "SELECT * FROM ledger.eod_status(tenant => %(tenant)s)",
    "verify_seals": "SELECT * FROM ledger.verify_seals(tenant => %(tenant)s)",
    "balance_history": """
        SELECT * FROM ledger.balance_history(
            account => %(account)s, from_date => %(from_date)s, to_date => %(to_date)s,
            tenant => %(tenant)s)
    """,
}

# A staged statement line: line_no, date, ref, amount, ccy, description, id, extra fields.
StatementRow = tuple[
    int, str | None, str | None, str | None, str | None, str | None, str | None, int
]


async def _serializable_by_default(conn: AsyncConnection[Row]) -> None:
    """Every pooled session writes at SERIALIZABLE, whatever its role's defaults say (the
    autocommit statements of `Ledger.run` take the session default)."""
    await conn.set_autocommit(True)
    await conn.execute("SET default_transaction_isolation TO 'serializable'")
    await conn.set_autocommit(False)


class _ConnectionLost(Exception):
    """The connection broke before COMMIT was sent: nothing was committed."""


class Ledger:
    """The pool and the transaction runner, plus one method per SQL API call."""

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[str], None] | None = None,
        pool_timeout: float = 30.0,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._on_retry = on_retry
        self.pool: AsyncConnectionPool[AsyncConnection[Row]] = AsyncConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={"row_factory": dict_row, "autocommit": False},
            connection_class=AsyncConnection[Row],
            name="doublex",
            timeout=pool_timeout,
            configure=_serializable_by_default,
        )

    async def open(self, wait: bool = True, wait_seconds: float = 10) -> None:
        try:
            await self.pool.open(wait=wait, timeout=wait_seconds)
        except Exception as exc:  # PoolTimeout when no connection succeeds in time
            raise errors.from_database(exc) from exc

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> Ledger:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the transaction runner --------------------------------------------------------------

    async def run(
        self,
        work: Work[T],
        *,
        read_only: bool = False,
        isolation: IsolationLevel = IsolationLevel.SERIALIZABLE,
        statement: bool = False,
    ) -> T:
        """Run `work` in one transaction, retrying serialization failures and deadlocks.
        `statement=True`: `work` sends one statement, run in autocommit (a serializable write)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                if statement and not read_only and isolation == IsolationLevel.SERIALIZABLE:
                    result = await self._statement(work)
                else:
                    result = await self._attempt(work, read_only=read_only, isolation=isolation)
                trace.get_current_span().set_attribute("doublex.retries", attempt - 1)
                return result
            except errors.LedgerError:
                raise
            except _ConnectionLost as lost:
                if attempt >= self.retry.max_attempts:
                    raise errors.DatabaseUnavailable("the database connection was lost") from lost
                continue
            except Exception as exc:
                if not errors.is_retryable(exc):
                    raise errors.from_database(exc) from exc
                if attempt >= self.retry.max_attempts:
                    raise errors.RetriesExhausted(
                        f"gave up after {attempt} attempts on serialization conflicts",
                        hint="Retry the request later with the same idempotency key.",
                    ) from exc
                # Counted only when another attempt follows: the metric and the callback
                # report retries, and a request that gives up is not retried.
                sqlstate = getattr(exc, "sqlstate", None) or "40001"
                metrics.SERIALIZATION_RETRIES.labels(sqlstate=sqlstate).inc()
                if self._on_retry is not None:
                    self._on_retry(sqlstate)
                await asyncio.sleep(self.retry.delay(attempt))

    async def _attempt(self, work: Work[T], *, read_only: bool, isolation: IsolationLevel) -> T:
        async with self.pool.connection() as conn:
            await conn.set_isolation_level(isolation)
            await conn.set_read_only(read_only)
            # DEFERRABLE read-only serializable transactions wait for a safe snapshot and
            # then can neither fail nor make others fail.
            await conn.set_deferrable(read_only and isolation == IsolationLevel.SERIALIZABLE)
            committing = False
            try:
                async with conn.transaction():
                    result = await work(conn)
                    committing = True  # leaving the block sends COMMIT
            except psycopg.OperationalError as exc:
                if not conn.broken:
                    raise
                if committing:
                    # Lost during COMMIT: the transaction may have committed. Never send that
                    # COMMIT again on another connection; the caller replays with its key.
                    raise errors.OutcomeUnknown(
                        "the database connection was lost during COMMIT; the outcome is unknown",
                        hint="Replay the request with the same idempotency key.",
                    ) from exc
                # Lost before COMMIT (a stale pooled connection, a restarted server): the
                # server rolled the transaction back, so a fresh connection may try again.
                raise _ConnectionLost from exc
            return result

    async def _statement(self, work: Work[T]) -> T:
        async with self.pool.connection() as conn:
            await conn.set_autocommit(True)
            try:
                return await work(conn)
            except psycopg.OperationalError as exc:
                if conn.broken:
                    # The statement may have committed: never send it again on another
                    # connection; the caller replays with its idempotency key.
                    raise errors.OutcomeUnknown(
                        "the database connection was lost during the call; the outcome is unknown",
                        hint="Replay the request with the same idempotency key.",
                    ) from exc
                raise
            finally:
                if not conn.broken:
                    await conn.set_autocommit(False)

    async def _fetch_one(
        self, query: str, params: Mapping[str, Any], *, read_only: bool = False
    ) -> Row:
        async def work(conn: AsyncConnection[Row]) -> Row:
            cursor = await conn.execute(QUERIES[query], params)
            row = await cursor.fetchone()
            assert row is not None, f"{query} returned no row"
            return row

        return await self.run(work, read_only=read_only, statement=not read_only)

    async def _fetch_all(
        self, query: str, params: Mapping[str, Any], *, read_only: bool = True
    ) -> list[Row]:
        async def work(conn: AsyncConnection[Row]) -> list[Row]:
            cursor = await conn.execute(QUERIES[query], params)
            return await cursor.fetchall()

        return await self.run(work, read_only=read_only, statement=not read_only)

    # -- the SQL API -------------------------------------------------------------------------

    async def create_account(
        self,
        code: str,
        name: str,
        ccy: str,
        type: str = "asset",
        allow_negative: bool = True,
        metadata: Mapping[str, Any] | None = None,
        tenant: str = "default",
    ) -> Row:
        return await self._fetch_one(
            "create_account",
            {
                "code": code,
                "name": name,
                "ccy": ccy,
                "type": type,
                "allow_negative": allow_negative,
                "metadata": Jsonb(metadata or {}),
                "tenant": tenant,
            },
        )

    async def get_account(self, code: str, tenant: str = "default") -> Row:
        return await self._fetch_one(
            "get_account", {"code": code, "tenant": tenant}, read_only=True
        )

    async def list_accounts(
        self, after_code: str | None = None, page_size: int = 100, tenant: str = "default"
    ) -> list[Row]:
        return await self._fetch_all(
            "list_accounts", {"after_code": after_code, "page_size": page_size, "tenant": tenant}
        )

    async def set_account_status(self, code: str, status: str, tenant: str = "default") -> Row:
        return await self._fetch_one(
            "set_account_status", {"code": code, "status": status, "tenant": tenant}
        )

    async def post_journal(
        self,
        idempotency_key: str,
        legs: Sequence[Mapping[str, Any]] | Any,
        effective_date: date | None = None,
        memo: str | None = None,
        ref: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tenant: str = "default",
    ) -> Row:
        params = {
            "idempotency_key": idempotency_key,
            "legs": Jsonb(legs),
            "effective_date": effective_date,
            "memo": memo,
            "ref": ref,
            "metadata": Jsonb(metadata if metadata is not None else {}),
            "tenant": tenant,
        }
        return await self._posting("post_journal", params, tenant)

    async def reverse_journal(
        self,
        journal_id: UUID | str,
        idempotency_key: str,
        memo: str | None = None,
        tenant: str = "default",
    ) -> Row:
        params = {
            "journal_id": journal_id,
            "idempotency_key": idempotency_key,
            "memo": memo,
            "tenant": tenant,
        }
        return await self._posting("reverse_journal", params, tenant)

    async def get_balance(
        self, account: str, as_of: date | None = None, tenant: str = "default"
    ) -> Row:
        started = time.perf_counter()
        with tracer.start_as_current_span(
            "get_balance", attributes={"doublex.tenant": tenant, "doublex.account": account}
        ) as span:
            try:
                params = {"account": account, "as_of": as_of, "tenant": tenant}
                balance = await self._fetch_one("get_balance", params, read_only=True)
                span.set_attribute("doublex.status", "ok")
                span.set_attribute("doublex.snapshot_source", balance["snapshot_source"])
                return balance
            except errors.LedgerError as exc:
                span.set_attribute("doublex.status", exc.name)
                raise
            finally:
                metrics.GET_BALANCE_LATENCY.observe((time.perf_counter() - started) * 1000)

    async def get_journal(self, journal_id: UUID | str, tenant: str = "default") -> Row:
        return await self._fetch_one(
            "get_journal", {"journal_id": journal_id, "tenant": tenant}, read_only=True
        )

    async def list_journals(
        self,
        from_date: date | None = None,
        to_date: date | None = None,
        account: str | None = None,
        after_cursor: str | None = None,
        page_size: int = 100,
        tenant: str = "default",
    ) -> list[Row]:
        return await self._fetch_all(
            "list_journals",
            {
                "from_date": from_date,
                "to_date": to_date,
                "account": account,
                "after_cursor": after_cursor,
                "page_size": page_size,
                "tenant": tenant,
            },
        )

    async def roll_up_balances(self, tenant: str = "default") -> Row:
        """Fold settled legs into the balance checkpoints (READ COMMITTED by design)."""

        async def work(conn: AsyncConnection[Row]) -> Row:
            cursor = await conn.execute(QUERIES["roll_up_balances"], {"tenant": tenant})
            row = await cursor.fetchone()
            assert row is not None
            return row

        return await self.run(work, isolation=IsolationLevel.READ_COMMITTED)

    async def post_journals(self, requests: Any, tenant: str = "default") -> list[Row]:
        """Up to 1000 journal requests in one transaction; one result per request."""
        params = {"requests": Jsonb(requests), "tenant": tenant}
        started = time.perf_counter()
        with tracer.start_as_current_span("post_journals", attributes={"doublex.tenant": tenant}):
            try:
                results = await self._fetch_all("post_journals", params, read_only=False)
            finally:
                metrics.POSTING_LATENCY.observe((time.perf_counter() - started) * 1000)
        for result in results:
            metrics.TRANSACTIONS.labels(status=result["status"]).inc()
        return results

    async def health(self) -> Row:
        return await self._fetch_one("health", {}, read_only=True)

    # -- FX --------------------------------------------------------------------------------

    async def upsert_fx_rate(
        self,
        base: str,
        quote: str,
        rate: Decimal,
        valid_on: date,
        source: str | None = None,
        tenant: str = "default",
    ) -> Row:
        return await self._fetch_one(
            "upsert_fx_rate", _rate_params(base, quote, rate, valid_on, source, tenant)
        )

    async def fx_rate(
        self, base: str, quote: str, on: date | None = None, tenant: str = "default"
    ) -> Row:
        params = {"base": base, "quote": quote, "on": on, "tenant": tenant}
        return await self._fetch_one("fx_rate", params, read_only=True)

    async def import_fx_rates(
        self,
        lines: Sequence[RateLine],
        tenant: str = "default",
        progress: Callable[[int], None] | None = None,
    ) -> list[LineProblem]:
        """Upsert every rate in one transaction, all or nothing. Returns the lines the ledger
        refused (line number, DX code, message), every one of them, and then writes nothing;
        an empty list means every rate was written. `progress(n)` reports n more lines done."""

        async def work(conn: AsyncConnection[Row]) -> list[LineProblem]:
            problems: list[LineProblem] = []
            async with conn.transaction() as everything:
                for start in range(0, len(lines), IMPORT_CHUNK):
                    chunk = lines[start : start + IMPORT_CHUNK]
                    if not problems:
                        try:
                            async with conn.transaction(), conn.cursor() as cursor:
                                await cursor.executemany(
                                    QUERIES["upsert_fx_rate"],
                                    [line.params(tenant) for line in chunk],
                                )
                        except psycopg.Error as exc:
                            if _refusal(exc) is None:
                                raise
                            problems.extend(await _line_problems(conn, chunk, tenant))
                    else:
                        # Nothing will be written: only find the remaining bad lines.
                        problems.extend(await _line_problems(conn, chunk, tenant))
                    if progress is not None:
                        progress(len(chunk))
                if problems:
                    raise psycopg.Rollback(everything)
            return problems

        return await self.run(work)

    async def post_fx_transfer(
        self,
        idempotency_key: str,
        from_account: str,
        to_account: str,
        amount: Decimal,
        fixed_side: str = "source",
        rate: Decimal | None = None,
        effective_date: date | None = None,
        memo: str | None = None,
        ref: str | None = None,
        tenant: str = "default",
    ) -> Row:
        """One FX settlement (two journals), measured as a posting (operation post_fx_transfer)."""
        params = {
            "idempotency_key": idempotency_key,
            "from_account": from_account,
            "to_account": to_account,
            "amount": amount,
            "fixed_side": fixed_side,
            "rate": rate,
            "effective_date": effective_date,
            "memo": memo,
            "ref": ref,
            "tenant": tenant,
        }
        return await self._posting("post_fx_transfer", params, tenant)

    async def fx_position(
        self, as_of: date | None = None, reporting_ccy: str = "EUR", tenant: str = "default"
    ) -> list[Row]:
        params = {"as_of": as_of, "reporting_ccy": reporting_ccy, "tenant": tenant}
        return await self._fetch_all("fx_position", params)

    # -- reconciliation ----------------------------------------------------------------------

    async def import_statement(
        self,
        account: str,
        rows: Sequence[StatementRow],
        file_name: str | None = None,
        date_format: str | None = None,
        tenant: str = "default",
        progress: Callable[[int], None] | None = None,
    ) -> Row:
        """COPY the lines into this transaction's staging table, then let
        ledger.import_statement validate and ingest them, all or nothing. `progress` is
        told how many more lines were sent (a retry sends them again)."""

        async def work(conn: AsyncConnection[Row]) -> Row:
            await conn.execute(QUERIES["stage_statement"], {"tenant": tenant})
            async with conn.cursor().copy(QUERIES["copy_statement"]) as copy:
                for start in range(0, len(rows), 5000):
                    chunk = rows[start : start + 5000]
                    for row in chunk:
                        await copy.write_row(row)
                    if progress is not None:
                        progress(len(chunk))
            params = {
                "account": account,
                "file_name": file_name,
                "date_format": date_format,
                "tenant": tenant,
            }
            cursor = await conn.execute(QUERIES["import_statement"], params)
            result = await cursor.fetchone()
            assert result is not None
            return result

        return await self.run(work)

    async def recon_run(
        self,
        account: str,
        business_date: date,
        tolerance: Decimal = Decimal("0.01"),
        tenant: str = "default",
    ) -> Row:
        params = {
            "account": account,
            "business_date": business_date,
            "tolerance": tolerance,
            "tenant": tenant,
        }
        return await self._fetch_one("recon_run", params)

    async def recon_report(
        self, business_date: date, account: str | None = None, tenant: str = "default"
    ) -> tuple[list[Row], list[Row]]:
        """The current reconciliation of a date: summaries and items, from one snapshot."""
        params = {"business_date": business_date, "account": account, "tenant": tenant}

        async def work(conn: AsyncConnection[Row]) -> tuple[list[Row], list[Row]]:
            summaries = await (await conn.execute(QUERIES["recon_summaries"], params)).fetchall()
            items = await (await conn.execute(QUERIES["recon_items"], params)).fetchall()
            return summaries, items

        return await self.run(work, read_only=True)

    async def recon_mismatch_totals(self, tenants: Sequence[str]) -> dict[str, int]:
        """Exceptions of every reconciliation run so far, by kind, summed over `tenants`."""

        async def work(conn: AsyncConnection[Row]) -> dict[str, int]:
            totals: dict[str, int] = {}
            for tenant in tenants:
                cursor = await conn.execute(QUERIES["recon_mismatch_totals"], {"tenant": tenant})
                for row in await cursor.fetchall():
                    totals[row["kind"]] = totals.get(row["kind"], 0) + int(row["total"])
            return totals

        # READ COMMITTED: a scrape must never wait for a safe snapshot (DEFERRABLE).
        return await self.run(work, read_only=True, isolation=IsolationLevel.READ_COMMITTED)

    # -- end of day ----------------------------------------------------------------------------

    async def business_date(self, at: datetime | None = None, tenant: str = "default") -> date:
        row = await self._fetch_one("business_date", {"at": at, "tenant": tenant}, read_only=True)
        business_date: date = row["business_date"]
        return business_date

    async def set_ledger_settings(
        self,
        time_zone: str | None = None,
        cutoff: time_of_day | None = None,
        tenant: str = "default",
    ) -> Row:
        return await self._fetch_one(
            "set_ledger_settings", {"time_zone": time_zone, "cutoff": cutoff, "tenant": tenant}
        )

    async def eod_close(
        self,
        business_date: date,
        tenant: str = "default",
        on_progress: Callable[[Row], None] | None = None,
    ) -> Row:
        """Close a business date at READ COMMITTED (see procedures/eod_close.sql: every
        statement then reads after the close's fence, and no posting of a later date
        conflicts with it). `on_progress` receives the close's progress notices as they
        come, in steps ({business_date, phase, done, total}: 'fenced', then 'read',
        'snapshots', 'sealed' per date)."""

        def notice(diag: psycopg.errors.Diagnostic) -> None:
            if on_progress is None or not (diag.message_primary or "").startswith("eod_close:"):
                return
            try:
                progress = json.loads(diag.message_detail or "{}")
            except ValueError:
                return
            on_progress(progress)

        async def work(conn: AsyncConnection[Row]) -> Row:
            conn.add_notice_handler(notice)
            try:
                cursor = await conn.execute(
                    QUERIES["eod_close"], {"business_date": business_date, "tenant": tenant}
                )
                row = await cursor.fetchone()
            finally:
                conn.remove_notice_handler(notice)
            assert row is not None
            return row

        with tracer.start_as_current_span(
            "eod_close", attributes={"doublex.tenant": tenant, "doublex.date": str(business_date)}
        ):
            return await self.run(work, isolation=IsolationLevel.READ_COMMITTED)

    async def eod_status(self, tenant: str = "default") -> Row:
        return await self._fetch_one("eod_status", {"tenant": tenant}, read_only=True)

    async def verify_seals(self, tenant: str = "default") -> list[Row]:
        return await self._fetch_all("verify_seals", {"tenant": tenant})

    async def balance_history(
        self,
        account: str,
        from_date: date | None = None,
        to_date: date | None = None,
        tenant: str = "default",
    ) -> list[Row]:
        return await self._fetch_all(
            "balance_history",
            {"account": account, "from_date": from_date, "to_date": to_date, "tenant": tenant},
        )

    async def _posting(self, query: str, params: Mapping[str, Any], tenant: str) -> Row:
        """One posting, measured: latency, the outcome counter and the post_journal span."""
        started = time.perf_counter()
        with tracer.start_as_current_span(
            "post_journal", attributes={"doublex.tenant": tenant, "doublex.operation": query}
        ) as span:
            try:
                result = await self._fetch_one(query, params)
            except errors.RuleViolation:
                metrics.TRANSACTIONS.labels(status="rejected").inc()
                span.set_attribute("doublex.status", "rejected")
                raise
            finally:
                metrics.POSTING_LATENCY.observe((time.perf_counter() - started) * 1000)
            metrics.TRANSACTIONS.labels(status=result["status"]).inc()
            span.set_attribute("doublex.status", result["status"])
            for id_field in ("journal_id", "settlement_id"):  # an FX settlement has the latter
                if id_field in result:
                    span.set_attribute(f"doublex.{id_field}", str(result[id_field]))
            return result


# -- FX rate imports ---------------------------------------------------------------------------

IMPORT_CHUNK = 500  # rates sent per pipelined batch (and per progress step)


@dataclass(frozen=True)
class RateLine:
    """One rate of an import, with the line of the file it came from."""

    line: int
    base: str
    quote: str
    rate: Decimal
    valid_on: date
    source: str | None = None

    def params(self, tenant: str) -> dict[str, Any]:
        return _rate_params(self.base, self.quote, self.rate, self.valid_on, self.source, tenant)


@dataclass(frozen=True)
class LineProblem:
    """A line of an import the ledger refused: its number, the DX code and the message."""

    line: int
    code: str
    message: str


def _rate_params(
    base: str, quote: str, rate: Decimal, valid_on: date, source: str | None, tenant: str
) -> dict[str, Any]:
    return {
        "base": base,
        "quote": quote,
        "rate": rate,
        "valid_on": valid_on,
        "source": source,
        "tenant": tenant,
    }


def _refusal(exc: psycopg.Error) -> errors.RuleViolation | None:
    """The DX rejection this error is, or None (a retryable or unexpected error)."""
    mapped = errors.from_database(exc)
    return mapped if isinstance(mapped, errors.RuleViolation) else None


async def _line_problems(
    conn: AsyncConnection[Row], chunk: Sequence[RateLine], tenant: str
) -> list[LineProblem]:
    """Each line of `chunk` on its own savepoint: the ones the ledger refuses, and why."""
    problems: list[LineProblem] = []
    for line in chunk:
        try:
            async with conn.transaction():
                await conn.execute(QUERIES["upsert_fx_rate"], line.params(tenant))
        except psycopg.Error as exc:
            refusal = _refusal(exc)
            if refusal is None:
                raise
            problems.append(LineProblem(line.line, refusal.code, refusal.message))
    return problems
