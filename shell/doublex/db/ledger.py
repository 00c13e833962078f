"""The catalogue of SQL API calls: one `Ledger` method per ledger function.

Each method names its query (doublex.db.queries), how it runs (a `Mode` of the runner) and
its parameters; the work is `_one` (the call's one row) or `_all` (its rows), from
doublex.db.calls. The calls about access (tenants, keys, logins, audit, demo tenants),
about holds and limits, account statements, the event log, webhooks and balance
monitors are mixins in doublex.db.ledger_access, doublex.db.ledger_holds,
doublex.db.ledger_statement, doublex.db.ledger_events, doublex.db.ledger_webhooks and
doublex.db.ledger_monitors.
Calls that need more than one statement in a transaction say so in a few lines; the bulk
paths are in doublex.db.bulk. Metrics and spans are added by `instrument.instrumented`, never here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from doublex.db import bulk
from doublex.db.calls import conditions_json
from doublex.db.instrument import instrumented
from doublex.db.ledger_access import AccessCalls
from doublex.db.ledger_events import EventsCalls
from doublex.db.ledger_holds import HoldsCalls
from doublex.db.ledger_monitors import MonitorsCalls
from doublex.db.ledger_statement import StatementCalls
from doublex.db.ledger_webhooks import WebhooksCalls
from doublex.db.queries import QUERIES
from doublex.db.runner import FOLD, READ, ROLL_UP, SCRAPE, WRITE, Row

DEFAULT = "default"  # the tenant of a single-book ledger
# `tenant=None` (every method's default): the caller's own tenant, which the database takes
# from the credential (an API key, a SQL login); an admin names the tenant it acts on.


@instrumented
class Ledger(AccessCalls, HoldsCalls, StatementCalls, EventsCalls, WebhooksCalls, MonitorsCalls):
    """The pool and the transaction runner, plus one method per SQL API call (those about
    access, holds, statements, events, webhooks and monitors in their own modules)."""

    _page_legs: int | None = None

    async def __aenter__(self) -> Ledger:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- accounts and journals ---------------------------------------------------------------

    async def create_account(
        self,
        code: str,
        name: str,
        ccy: str,
        type: str = "asset",
        allow_negative: bool = True,
        metadata: Mapping[str, Any] | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "create_account", WRITE, code=code, name=name, ccy=ccy, type=type,
            allow_negative=allow_negative, metadata=Jsonb(metadata or {}), tenant=tenant,
        )  # fmt: skip

    async def get_account(self, code: str, tenant: str | None = None) -> Row:
        return await self._one("get_account", READ, code=code, tenant=tenant)

    async def list_accounts(
        self, after_code: str | None = None, page_size: int = 100, tenant: str | None = None
    ) -> list[Row]:
        return await self._all(
            "list_accounts", READ, after_code=after_code, page_size=page_size, tenant=tenant
        )

    async def set_account_status(self, code: str, status: str, tenant: str | None = None) -> Row:
        return await self._one("set_account_status", WRITE, code=code, status=status, tenant=tenant)

    async def post_journal(
        self,
        idempotency_key: str,
        legs: Sequence[Mapping[str, Any]] | Any,
        effective_date: date | None = None,
        memo: str | None = None,
        ref: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        conditions: Sequence[Mapping[str, Any]] | Any | None = None,
        tenant: str | None = None,
        *,
        client_id: str | None = None,
    ) -> Row:
        """With `client_id` (the earlier, per-client API), the ledger key is client_id:key,
        made and checked by ledger.client_idempotency_key. `conditions`: balance conditions
        ({account, field, op, amount}) the ledger checks after the posting (DX056/DX057)."""
        return await self._one(
            "post_journal" if client_id is None else "post_client_journal", WRITE,
            idempotency_key=idempotency_key, client_id=client_id, legs=Jsonb(legs),
            effective_date=effective_date, memo=memo, ref=ref,
            metadata=Jsonb(metadata if metadata is not None else {}),
            conditions=conditions_json(conditions), tenant=tenant,
        )  # fmt: skip

    async def reverse_journal(
        self,
        journal_id: UUID | str,
        idempotency_key: str,
        memo: str | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "reverse_journal", WRITE, journal_id=journal_id, idempotency_key=idempotency_key,
            memo=memo, tenant=tenant,
        )  # fmt: skip

    async def get_balance(
        self, account: str, as_of: date | None = None, tenant: str | None = None
    ) -> Row:
        return await self._one("get_balance", READ, account=account, as_of=as_of, tenant=tenant)

    async def get_journal(self, journal_id: UUID | str, tenant: str | None = None) -> Row:
        return await self._one("get_journal", READ, journal_id=journal_id, tenant=tenant)

    async def list_journals(
        self,
        from_date: date | None = None,
        to_date: date | None = None,
        account: str | None = None,
        after_cursor: str | None = None,
        page_size: int = 100,
        tenant: str | None = None,
    ) -> list[Row]:
        return await self._all(
            "list_journals", READ, from_date=from_date, to_date=to_date, account=account,
            after_cursor=after_cursor, page_size=page_size, tenant=tenant,
        )  # fmt: skip

    async def roll_up_balances(self, tenant: str | None = None) -> Row:
        """Fold settled legs into the balance checkpoints (READ COMMITTED by design). The
        service runs it as housekeeping (no key) for each of its tenants."""
        return await self._one("roll_up_balances", ROLL_UP, tenant=tenant)

    async def post_journals(self, requests: Any, tenant: str | None = None) -> list[Row]:
        """Up to api_limit('batch_requests') journal requests in one transaction; one result
        per request."""
        return await self._all("post_journals", WRITE, requests=Jsonb(requests), tenant=tenant)

    async def post_coalesced(
        self, function: str, requests: Sequence[Mapping[str, Any]]
    ) -> list[Row]:
        """A set-based call (post_journals, reverse_journals, create_holds, capture_holds) for
        the request coalescer (doublex.db.coalesce): the caller's own tenant; recorded by the
        coalescer, request by request, not as a batch call."""
        return await self._all(function, WRITE, requests=Jsonb(requests), tenant=None)

    async def health(self) -> Row:
        return await self._one("health", READ)

    async def api_limits(self) -> dict[str, int]:
        """Every size and count limit of the SQL API: name → value (ledger.api_limits)."""
        return {row["name"]: row["value"] for row in await self._all("api_limits", READ)}

    async def journal_page_continues(self, rows: Sequence[Row], page_size: int) -> bool:
        """Whether a list_journals page may have a next one: it is full, or the ledger
        stopped it early because its legs reached api_limit('page_legs') (read once)."""
        if not rows or len(rows) >= page_size:
            return bool(rows)
        if self._page_legs is None:
            self._page_legs = (await self.api_limits())["page_legs"]
        return sum(len(row["legs"]) for row in rows) >= self._page_legs

    # -- FX --------------------------------------------------------------------------------

    async def upsert_fx_rate(
        self,
        base: str,
        quote: str,
        rate: Decimal,
        valid_on: date,
        source: str | None = None,
        tenant: str | None = None,
    ) -> Row:
        params = bulk.rate_params(base, quote, rate, valid_on, source, tenant)
        return await self._one("upsert_fx_rate", WRITE, **params)

    async def fx_rate(
        self, base: str, quote: str, on: date | None = None, tenant: str | None = None
    ) -> Row:
        return await self._one("fx_rate", READ, base=base, quote=quote, on=on, tenant=tenant)

    async def import_fx_rates(
        self,
        lines: Sequence[bulk.RateLine],
        tenant: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[bulk.LineProblem]:
        """Upsert every rate in one transaction, all or nothing. Returns the lines the ledger
        refused (line number, DX code, message), every one of them, and then writes nothing;
        an empty list means every rate was written. `progress(n)` reports n more lines done."""
        return await self.run(bulk.fx_rates(lines, tenant, progress))

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
        tenant: str | None = None,
    ) -> Row:
        """One FX settlement (two journals), measured as a posting (operation post_fx_transfer)."""
        return await self._one(
            "post_fx_transfer", WRITE, idempotency_key=idempotency_key,
            from_account=from_account, to_account=to_account, amount=amount,
            fixed_side=fixed_side, rate=rate, effective_date=effective_date, memo=memo, ref=ref,
            tenant=tenant,
        )  # fmt: skip

    async def fx_position(
        self, as_of: date | None = None, reporting_ccy: str = "EUR", tenant: str | None = None
    ) -> list[Row]:
        return await self._all(
            "fx_position", READ, as_of=as_of, reporting_ccy=reporting_ccy, tenant=tenant
        )

    # -- reconciliation ----------------------------------------------------------------------

    async def import_statement(
        self,
        account: str,
        rows: Sequence[bulk.StatementRow],
        file_name: str | None = None,
        date_format: str | None = None,
        tenant: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Row:
        """COPY the lines into this transaction's staging table, then let
        ledger.import_statement validate and ingest them, all or nothing. `progress` is
        told how many more lines were sent (a retry sends them again)."""
        params = {
            "account": account,
            "file_name": file_name,
            "date_format": date_format,
            "tenant": tenant,
        }
        return await self.run(bulk.statement(rows, params, progress))

    async def recon_run(
        self,
        account: str,
        business_date: date,
        tolerance: Decimal = Decimal("0.01"),
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "recon_run", WRITE, account=account, business_date=business_date, tolerance=tolerance,
            tenant=tenant,
        )  # fmt: skip

    async def recon_report(
        self, business_date: date, account: str | None = None, tenant: str | None = None
    ) -> tuple[list[Row], list[Row]]:
        """The current reconciliation of a date: summaries and every item (page after page),
        from one snapshot. For reports written whole (the CLI's files, the HTML page)."""
        params = {"business_date": business_date, "account": account, "tenant": tenant}

        async def work(conn: AsyncConnection[Row]) -> tuple[list[Row], list[Row]]:
            summaries = await (await conn.execute(QUERIES["recon_summaries"], params)).fetchall()
            items: list[Row] = []
            after: str | None = None
            while True:
                page_params = params | {"after_cursor": after}
                page = await (
                    await conn.execute(QUERIES["recon_items_after"], page_params)
                ).fetchall()
                if not page:
                    return summaries, items
                items += page
                after = page[-1]["cursor"]

        return await self.run(work, **READ.options)

    async def recon_exceptions(
        self,
        business_date: date,
        account: str | None = None,
        after_cursor: str | None = None,
        page_size: int = 100,
        tenant: str | None = None,
    ) -> tuple[list[Row], list[Row]]:
        """The summaries and one page of exceptions of a date's reconciliation (one snapshot)."""
        params = {"business_date": business_date, "account": account, "tenant": tenant}
        page_params = params | {
            "exceptions_only": True, "after_cursor": after_cursor, "page_size": page_size,
        }  # fmt: skip

        async def work(conn: AsyncConnection[Row]) -> tuple[list[Row], list[Row]]:
            summaries = await (await conn.execute(QUERIES["recon_summaries"], params)).fetchall()
            items = await (await conn.execute(QUERIES["recon_items"], page_params)).fetchall()
            return summaries, items

        return await self.run(work, **READ.options)

    async def recon_mismatch_totals(self, tenants: Sequence[str]) -> dict[str, int]:
        """Exceptions of every reconciliation run so far, by kind, summed over `tenants` (the
        service's housekeeping: no key)."""

        calls = [(QUERIES["recon_mismatch_totals"], {"tenant": tenant}) for tenant in tenants]
        totals: dict[str, int] = {}
        # READ COMMITTED: a scrape must never wait for a safe snapshot (DEFERRABLE).
        for rows in await self.statements(calls, **SCRAPE.options):
            for row in rows:
                totals[row["kind"]] = totals.get(row["kind"], 0) + int(row["total"])
        return totals

    # -- end of day ----------------------------------------------------------------------------

    async def business_date(self, at: datetime | None = None, tenant: str | None = None) -> date:
        row = await self._one("business_date", READ, at=at, tenant=tenant)
        business_date: date = row["business_date"]
        return business_date

    async def set_ledger_settings(
        self,
        time_zone: str | None = None,
        cutoff: time_of_day | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "set_ledger_settings", WRITE, time_zone=time_zone, cutoff=cutoff, tenant=tenant
        )

    async def eod_close(
        self,
        business_date: date,
        tenant: str | None = None,
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

        params = {"business_date": business_date, "tenant": tenant}

        async def work(conn: AsyncConnection[Row]) -> Row:
            conn.add_notice_handler(notice)
            try:
                row = await (await conn.execute(QUERIES["eod_close"], params)).fetchone()
            finally:
                conn.remove_notice_handler(notice)
            assert row is not None
            return row

        # Not one script: the progress notices come while the close runs.
        return await self.run(work, **FOLD.options)

    async def eod_status(self, tenant: str | None = None) -> Row:
        return await self._one("eod_status", READ, tenant=tenant)

    async def verify_seals(self, tenant: str | None = None) -> list[Row]:
        return await self._all("verify_seals", READ, tenant=tenant)

    async def balance_history(
        self,
        account: str,
        from_date: date | None = None,
        to_date: date | None = None,
        tenant: str | None = None,
    ) -> list[Row]:
        return await self._all(
            "balance_history", READ, account=account, from_date=from_date, to_date=to_date,
            tenant=tenant,
        )  # fmt: skip
