"""The pool and the one transaction runner every database call goes through.

`Runner.run`: SERIALIZABLE (reads: SERIALIZABLE READ ONLY DEFERRABLE), retried on
40001/40P01 — also when raised by COMMIT — on a fresh transaction with bounded exponential
backoff and full jitter. A broken connection during COMMIT is never retried: the outcome is
unknown, and the caller replays with its idempotency key. Errors leave as
`doublex.errors.LedgerError`.

A write that is one SQL API call runs as one statement in autocommit (`WRITE`): PostgreSQL
makes it its own transaction, at the SERIALIZABLE default every pooled session gets, and
reports a serialization failure at its implicit commit as the statement's error. One round
trip instead of three (BEGIN, the call, COMMIT).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection, IsolationLevel
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from doublex import errors
from doublex.db import instrument

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


@dataclass(frozen=True)
class Mode:
    """How `Runner.run` runs a piece of work: `run(work, **mode.options)`."""

    read_only: bool = False
    isolation: IsolationLevel = IsolationLevel.SERIALIZABLE
    statement: bool = False

    @property
    def options(self) -> dict[str, Any]:
        return {
            "read_only": self.read_only,
            "isolation": self.isolation,
            "statement": self.statement,
        }


WRITE = Mode(statement=True)  # one SQL API call in autocommit, at SERIALIZABLE
READ = Mode(read_only=True)  # SERIALIZABLE READ ONLY DEFERRABLE: never fails, never retried
FOLD = Mode(isolation=IsolationLevel.READ_COMMITTED)  # roll-ups and closes (see their SQL)
SCRAPE = Mode(read_only=True, isolation=IsolationLevel.READ_COMMITTED)  # never waits


async def _serializable_by_default(conn: AsyncConnection[Row]) -> None:
    """Every pooled session writes at SERIALIZABLE, whatever its role's defaults say (the
    autocommit statements of `Runner.run` take the session default)."""
    await conn.set_autocommit(True)
    await conn.execute("SET default_transaction_isolation TO 'serializable'")
    await conn.set_autocommit(False)


class _ConnectionLost(Exception):
    """The connection broke before COMMIT was sent: nothing was committed."""


class Runner:
    """The connection pool and the transaction runner."""

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
                instrument.finished(retries=attempt - 1)
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
                instrument.retrying(sqlstate)
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
