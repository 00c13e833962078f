"""The bulk paths: FX rates imported from a CSV file, bank statement lines through COPY.

Each function here returns the work one transaction does (for `Runner.run`); the Ledger's
`import_fx_rates` and `import_statement` run it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import AsyncConnection

from doublex import errors
from doublex.db.queries import QUERIES
from doublex.db.runner import Row, Work

IMPORT_CHUNK = 500  # rates sent per pipelined batch (and per progress step)
COPY_CHUNK = 5000  # statement lines per progress step

# A staged statement line: line_no, date, ref, amount, ccy, description, id, extra fields.
StatementRow = tuple[
    int, str | None, str | None, str | None, str | None, str | None, str | None, int
]


def rate_params(
    base: str, quote: str, rate: Decimal, valid_on: date, source: str | None, tenant: str | None
) -> dict[str, Any]:
    """The parameters of QUERIES["upsert_fx_rate"]."""
    return {
        "base": base,
        "quote": quote,
        "rate": rate,
        "valid_on": valid_on,
        "source": source,
        "tenant": tenant,
    }


@dataclass(frozen=True)
class RateLine:
    """One rate of an import, with the line of the file it came from."""

    line: int
    base: str
    quote: str
    rate: Decimal
    valid_on: date
    source: str | None = None

    def params(self, tenant: str | None) -> dict[str, Any]:
        return rate_params(self.base, self.quote, self.rate, self.valid_on, self.source, tenant)


@dataclass(frozen=True)
class LineProblem:
    """A line of an import the ledger refused: its number, the DX code and the message."""

    line: int
    code: str
    message: str


def fx_rates(
    lines: Sequence[RateLine], tenant: str | None, progress: Callable[[int], None] | None
) -> Work[list[LineProblem]]:
    """Upsert every rate, all or nothing: the lines the ledger refused (every one of them,
    and then nothing is written), or an empty list when every rate was written."""

    async def work(conn: AsyncConnection[Row]) -> list[LineProblem]:
        problems: list[LineProblem] = []
        async with conn.transaction() as everything:
            for start in range(0, len(lines), IMPORT_CHUNK):
                chunk = lines[start : start + IMPORT_CHUNK]
                if not problems:
                    try:
                        async with conn.transaction(), conn.cursor() as cursor:
                            await cursor.executemany(
                                QUERIES["upsert_fx_rate"], [line.params(tenant) for line in chunk]
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

    return work


def _refusal(exc: psycopg.Error) -> errors.RuleViolation | None:
    """The DX rejection this error is, or None (a retryable or unexpected error)."""
    mapped = errors.from_database(exc)
    return mapped if isinstance(mapped, errors.RuleViolation) else None


async def _line_problems(
    conn: AsyncConnection[Row], chunk: Sequence[RateLine], tenant: str | None
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


def statement(
    rows: Sequence[StatementRow],
    params: dict[str, Any],
    progress: Callable[[int], None] | None,
) -> Work[Row]:
    """COPY the lines into this transaction's staging table, then let
    ledger.import_statement validate and ingest them (`params`: its arguments), all or
    nothing. `progress` is told how many more lines were sent (a retry sends them again)."""

    async def work(conn: AsyncConnection[Row]) -> Row:
        await conn.execute(QUERIES["stage_statement"], {"tenant": params["tenant"]})
        async with conn.cursor().copy(QUERIES["copy_statement"]) as copy:
            for start in range(0, len(rows), COPY_CHUNK):
                chunk = rows[start : start + COPY_CHUNK]
                for row in chunk:
                    await copy.write_row(row)
                if progress is not None:
                    progress(len(chunk))
        cursor = await conn.execute(QUERIES["import_statement"], params)
        result = await cursor.fetchone()
        assert result is not None
        return result

    return work
