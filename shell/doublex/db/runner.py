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

Who runs the call (tenancy, ARCHITECTURE.md "How a request flows"): every transaction starts
with one `set_config(…, true)` statement, sent in the same round trip as the work (pipeline
mode), that says who acts in it. Its settings are transaction-local, so nothing of one call
survives into the next on the pooled session:

- a Runner made for the service (`act_as="doublex_api"`) switches to that role and hands the
  database the request's API key from `PRINCIPAL` (set by the REST auth middleware; `''`
  when none), which the ledger verifies (`ledger_private.authorize`); `housekeeping=True`
  calls (the background roll-up, the /metrics refresh) keep the service's own role and send
  no key;
- a Runner made for the CLI (`actor="os-user"`) names the actor of its audit rows
  (`doublex.actor`); it connects with the admin DSN and acts on the `tenant` argument;
- a plain Runner (SQL login such as `doublex_app`) sends `doublex.api_key = ''`.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from doublex.db.principal import PRINCIPAL

T = TypeVar("T")
Row = dict[str, Any]
Work = Callable[[AsyncConnection[Row]], Awaitable[T]]

# Who acts in a transaction: its first statement, transaction-local settings only.
AS_ROLE = "SELECT set_config('role', %(role)s, true), set_config('doublex.api_key', %(key)s, true)"
AS_SELF = (
    "SELECT set_config('doublex.api_key', '', true), set_config('doublex.actor', %(actor)s, true)"
)


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
    housekeeping: bool = False

    @property
    def options(self) -> dict[str, Any]:
        return {
            "read_only": self.read_only,
            "isolation": self.isolation,
            "statement": self.statement,
            "housekeeping": self.housekeeping,
        }


WRITE = Mode(statement=True)  # one SQL API call in autocommit, at SERIALIZABLE
READ = Mode(read_only=True)  # SERIALIZABLE READ ONLY DEFERRABLE: never fails, never retried
FOLD = Mode(isolation=IsolationLevel.READ_COMMITTED)  # closes (see their SQL)
# The service's housekeeping (no key, its own role): the roll-up, and the scrape that never waits.
ROLL_UP = Mode(isolation=IsolationLevel.READ_COMMITTED, housekeeping=True)
SCRAPE = Mode(read_only=True, isolation=IsolationLevel.READ_COMMITTED, housekeeping=True)


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
        act_as: str | None = None,
        actor: str = "",
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.act_as = act_as
        self.actor = actor
        self.on_retry = on_retry
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
        housekeeping: bool = False,
        pipeline: bool = False,
    ) -> T:
        """Run `work` in one transaction, retrying serialization failures and deadlocks.
        `housekeeping=True`: the service's own maintenance (no key, its own role).
        `pipeline=True` (the Ledger's calls): `work` fetches the result of each statement it
        sends (in pipeline mode a statement runs when its result is fetched, so a work that
        waits on a side effect of an unfetched statement must not ask for it; COPY cannot
        run in it); then who acts goes in the same round trip as the first statement, and
        `statement=True` (one statement) runs in autocommit: a serializable write in one
        round trip. Otherwise who acts is said in a statement of its own."""
        who = self._who(housekeeping)
        attempt = 0
        while True:
            attempt += 1
            try:
                if (
                    statement
                    and pipeline
                    and not read_only
                    and isolation == IsolationLevel.SERIALIZABLE
                ):
                    result = await self._statement(work, who)
                else:
                    result = await self._attempt(
                        work, who, read_only=read_only, isolation=isolation, pipeline=pipeline
                    )
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
                if self.on_retry is not None:
                    self.on_retry(sqlstate)
                await asyncio.sleep(self.retry.delay(attempt))

    def _who(self, housekeeping: bool) -> tuple[str, dict[str, str]]:
        """The first statement of every transaction and its parameters (read once per call:
        every attempt of a call acts for the same principal)."""
        if self.act_as is not None and not housekeeping:
            return AS_ROLE, {"role": self.act_as, "key": PRINCIPAL.get()}
        return AS_SELF, {"actor": self.actor}

    async def _attempt(
        self,
        work: Work[T],
        who: tuple[str, dict[str, str]],
        *,
        read_only: bool,
        isolation: IsolationLevel,
        pipeline: bool,
    ) -> T:
        async with self.pool.connection() as conn:
            await conn.set_isolation_level(isolation)
            await conn.set_read_only(read_only)
            # DEFERRABLE read-only serializable transactions wait for a safe snapshot and
            # then can neither fail nor make others fail.
            await conn.set_deferrable(read_only and isolation == IsolationLevel.SERIALIZABLE)
            committing = False
            try:
                # Pipeline mode: BEGIN, who acts and the work's first statement go in one
                # round trip (a fetch sends the Sync); COMMIT goes when the block ends.
                async with (
                    conn.pipeline() if pipeline else contextlib.nullcontext(),
                    conn.transaction(),
                ):
                    await conn.execute(*who)
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

    async def _statement(self, work: Work[T], who: tuple[str, dict[str, str]]) -> T:
        async with self.pool.connection() as conn:
            await conn.set_autocommit(True)
            try:
                # Autocommit in pipeline mode: the statements up to the Sync (sent by the
                # work's fetch) are one implicit transaction, so who acts is said in it.
                async with conn.pipeline():
                    await conn.execute(*who)
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
