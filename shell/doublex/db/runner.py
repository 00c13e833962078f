"""The pool and the one transaction runner every database call goes through.

`Runner.run`: SERIALIZABLE (reads: SERIALIZABLE READ ONLY DEFERRABLE), retried on
40001/40P01 — also when raised by COMMIT — on a fresh transaction with bounded exponential
backoff and full jitter. A broken connection during COMMIT is never retried: the outcome is
unknown, and the caller replays with its idempotency key. Errors leave as
`doublex.errors.LedgerError`.

A broken connection means the server restarted or failed over (README, "High
availability"): every idle connection of the pool went with it, so the runner has the pool
check them all at once (`discard_broken`) rather than fail one request on each. New ones
are opened with the DSN, whose multi-host form (`target_session_attrs=read-write`) reaches
whichever node is the primary now.

`Runner.statements` (every call of the Ledger): the whole transaction as one
simple-protocol script, `BEGIN …; who acts; the calls; COMMIT`, its parameters bound
client-side by psycopg (`ClientCursor.mogrify`, the driver's own quoting): one write and one
read per transaction. The rows are read once the COMMIT answered (a serialization failure at
COMMIT is the script's error, retried like any other); an error stops the script, and the
aborted transaction is rolled back before the connection goes back to the pool. Sent as
separate statements, even pipelined, each one is a `send()` of its own: py-spy put 37% of
the service's CPU there, and `bench/transaction_shapes.py` measures 0.15 ms of client CPU
per posting this way against 0.56 pipelined (bench/results/transaction-shapes.md).

Who runs the call (tenancy, ARCHITECTURE.md "How a request flows"): every transaction starts
with one `set_config(…, true)` statement (`AS_ROLE` or `AS_SELF`) that says who acts in it.
Its settings are transaction-local, so nothing of one call survives into the next on the
pooled session, and it is sent for every transaction, so no call can run with an earlier
one's principal:

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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncClientCursor, AsyncConnection, IsolationLevel, sql
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from doublex import errors
from doublex.db import instrument
from doublex.db.principal import PRINCIPAL

T = TypeVar("T")
Row = dict[str, Any]
Work = Callable[[AsyncConnection[Row]], Awaitable[T]]
Statement = str | sql.Composed

# Who acts in a transaction: its first statement, transaction-local settings only.
AS_ROLE = "SELECT set_config('role', %(role)s, true), set_config('doublex.api_key', %(key)s, true)"
AS_SELF = (
    "SELECT set_config('doublex.api_key', '', true), set_config('doublex.actor', %(actor)s, true)"
)


# How long the pool keeps trying to open one connection before it gives the attempt up
# (a new request then starts a fresh one). Its delays double from 1 s: under psycopg-pool's
# default of 5 minutes, a database away for 30 s (a failover) would be retried only ~30 s
# later; with 5 s the next attempt after a failover is at most a few seconds away.
RECONNECT_SECONDS = 5.0


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
    housekeeping: bool = False

    @property
    def options(self) -> dict[str, Any]:
        return {
            "read_only": self.read_only,
            "isolation": self.isolation,
            "housekeeping": self.housekeeping,
        }


WRITE = Mode()  # SERIALIZABLE, retried
READ = Mode(read_only=True)  # SERIALIZABLE READ ONLY DEFERRABLE: never fails, never retried
FOLD = Mode(isolation=IsolationLevel.READ_COMMITTED)  # closes (see their SQL)
# The service's housekeeping (no key, its own role): the roll-up, and the scrape that never waits.
ROLL_UP = Mode(isolation=IsolationLevel.READ_COMMITTED, housekeeping=True)
SCRAPE = Mode(read_only=True, isolation=IsolationLevel.READ_COMMITTED, housekeeping=True)
# A read of the request's own key (its rate limit): one row, no snapshot to wait for.
LOOKUP = Mode(read_only=True, isolation=IsolationLevel.READ_COMMITTED)
# The service's own writes (no key): the live page's demo tenants. SERIALIZABLE, retried.
SERVICE = Mode(housekeeping=True)


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
            reconnect_timeout=RECONNECT_SECONDS,
        )
        self._checking: asyncio.Task[None] | None = None

    async def open(self, wait: bool = True, wait_seconds: float = 10) -> None:
        try:
            await self.pool.open(wait=wait, timeout=wait_seconds)
        except Exception as exc:  # PoolTimeout when no connection succeeds in time
            raise errors.from_database(exc) from exc

    async def close(self) -> None:
        if self._checking is not None:
            self._checking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checking
        await self.pool.close()

    def _connection_broke(self) -> None:
        """A connection broke: have the pool check its idle ones (one check at a time)."""
        if self._checking is None or self._checking.done():
            self._checking = asyncio.create_task(self.pool.check())

    async def discard_broken(self) -> None:
        """Wait for the check a broken connection started, if any: the pool then holds
        working connections only."""
        if self._checking is not None:
            await self._checking

    async def run(
        self,
        work: Work[T],
        *,
        read_only: bool = False,
        isolation: IsolationLevel = IsolationLevel.SERIALIZABLE,
        housekeeping: bool = False,
    ) -> T:
        """Run `work` in one transaction, retrying serialization failures and deadlocks.
        Who acts is said in the transaction's first statement, a round trip of its own (the
        Ledger's calls use `statements`, which sends it with the call). `housekeeping=True`:
        the service's own maintenance (no key, its own role)."""
        who = self._who(housekeeping)
        return await self._retrying(
            lambda: self._attempt(work, who, read_only=read_only, isolation=isolation)
        )

    async def statements(
        self,
        calls: Sequence[tuple[Statement, Mapping[str, Any]]],
        *,
        read_only: bool = False,
        isolation: IsolationLevel = IsolationLevel.SERIALIZABLE,
        housekeeping: bool = False,
    ) -> list[list[Row]]:
        """Run `calls` (statement, parameters) in one transaction sent as one script: BEGIN,
        who acts, the calls and COMMIT in one write, and their rows read once the COMMIT
        succeeded (a failed COMMIT, e.g. a serialization failure, drops them). Retried like
        `run`. Every row of every call, in order."""
        who = self._who(housekeeping)
        return await self._retrying(
            lambda: self._scripted(calls, who, read_only=read_only, isolation=isolation)
        )

    async def _retrying(self, attempt_once: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await attempt_once()
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

    @contextlib.asynccontextmanager
    async def _connection(
        self, *, read_only: bool, isolation: IsolationLevel
    ) -> AsyncIterator[AsyncConnection[Row]]:
        async with self.pool.connection() as conn:
            await conn.set_isolation_level(isolation)
            await conn.set_read_only(read_only)
            # DEFERRABLE read-only serializable transactions wait for a safe snapshot and
            # then can neither fail nor make others fail.
            await conn.set_deferrable(read_only and isolation == IsolationLevel.SERIALIZABLE)
            yield conn

    async def _attempt(
        self,
        work: Work[T],
        who: tuple[str, dict[str, str]],
        *,
        read_only: bool,
        isolation: IsolationLevel,
    ) -> T:
        async with self._connection(read_only=read_only, isolation=isolation) as conn:
            committing = False
            try:
                async with conn.transaction():
                    await conn.execute(*who)
                    result = await work(conn)
                    committing = True  # leaving the block sends COMMIT
            except psycopg.OperationalError as exc:
                if not conn.broken:
                    raise
                self._connection_broke()
                if committing:
                    raise _outcome_unknown(exc) from exc
                # Lost before COMMIT (a stale pooled connection, a restarted server): the
                # server rolled the transaction back, so a fresh connection may try again.
                raise _ConnectionLost from exc
            return result

    async def _scripted(
        self,
        calls: Sequence[tuple[Statement, Mapping[str, Any]]],
        who: tuple[str, dict[str, str]],
        *,
        read_only: bool,
        isolation: IsolationLevel,
    ) -> list[list[Row]]:
        async with self.pool.connection() as conn:
            cursor = AsyncClientCursor(conn)
            # Bound first: a value psycopg cannot send (a NUL in a text) fails here, with
            # the connection untouched.
            statements = [_begin(read_only, isolation), cursor.mogrify(*who)]
            statements += [cursor.mogrify(query, params) for query, params in calls]
            # The script says BEGIN and COMMIT itself: psycopg must not open a transaction.
            await conn.set_autocommit(True)
            try:
                try:
                    await cursor.execute(";\n".join([*statements, "COMMIT"]))
                    # The results in order: BEGIN, who acts, each call, COMMIT.
                    rows: list[list[Row]] = []
                    cursor.nextset()
                    for _ in calls:
                        cursor.nextset()
                        rows.append(await cursor.fetchall())
                    return rows
                finally:
                    # Back to the pool as it came: no transaction, autocommit off. A script
                    # still running (cancelled by a deadline) leaves the connection ACTIVE,
                    # and the pool discards it.
                    if not conn.broken:
                        if conn.info.transaction_status in (
                            TransactionStatus.INTRANS,
                            TransactionStatus.INERROR,
                        ):
                            await conn.execute("ROLLBACK")
                        if conn.info.transaction_status == TransactionStatus.IDLE:
                            await conn.set_autocommit(False)
            except psycopg.OperationalError as exc:
                if not conn.broken:
                    raise
                self._connection_broke()
                if read_only:  # nothing to lose: a fresh connection may try again
                    raise _ConnectionLost from exc
                # The COMMIT went with the call: it may have committed. Never send it again
                # on another connection; the caller replays with its idempotency key.
                raise _outcome_unknown(exc) from exc


def _begin(read_only: bool, isolation: IsolationLevel) -> str:
    """The script's BEGIN: the isolation asked for; reads READ ONLY, and DEFERRABLE when
    SERIALIZABLE (they wait for a safe snapshot and then can neither fail nor make others
    fail)."""
    words = ["BEGIN ISOLATION LEVEL", isolation.name.replace("_", " ")]
    if read_only:
        words.append("READ ONLY")
        if isolation == IsolationLevel.SERIALIZABLE:
            words.append("DEFERRABLE")
    return " ".join(words)


def _outcome_unknown(exc: BaseException) -> errors.OutcomeUnknown:
    return errors.OutcomeUnknown(
        "the database connection was lost during COMMIT; the outcome is unknown",
        hint="Replay the request with the same idempotency key.",
    )
