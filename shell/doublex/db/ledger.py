"""The catalogue of SQL API calls: one `Ledger` method per ledger function.

Each method names its query (doublex.db.queries), how it runs (a `Mode` of the runner) and
its parameters; the work is `_one` (the call's one row) or `_all` (its rows). Calls that
need more than one statement in a transaction say so here in a few lines; the bulk paths are
in doublex.db.bulk. Metrics and spans are added by `instrument.instrumented`, never here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from doublex.config import API_ROLE, APP_ROLE
from doublex.db import bulk
from doublex.db.instrument import instrumented
from doublex.db.queries import QUERIES
from doublex.db.runner import FOLD, LOOKUP, READ, ROLL_UP, SCRAPE, SERVICE, WRITE, Mode, Row, Runner

DEFAULT = "default"  # the tenant of a single-book ledger
# The role settings of doublex_app (cluster-wide, migrations 0001 and 0013), which a new SQL
# login copies: name and value of each.
APP_ROLE_SETTINGS = (
    "SELECT split_part(c.setting, '=', 1) AS name,"
    " substr(c.setting, strpos(c.setting, '=') + 1) AS value"
    " FROM pg_catalog.pg_db_role_setting AS r, unnest(r.setconfig) AS c (setting)"
    " WHERE r.setrole = %s::regrole AND r.setdatabase = 0"
)
# `tenant=None` (every method's default): the caller's own tenant, which the database takes
# from the credential (an API key, a SQL login); an admin names the tenant it acts on.


@instrumented
class Ledger(Runner):
    """The pool and the transaction runner, plus one method per SQL API call."""

    _page_legs: int | None = None

    async def __aenter__(self) -> Ledger:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _one(self, query: str, mode: Mode, /, **params: Any) -> Row:
        """The one row the call returns."""
        rows = await self._all(query, mode, **params)
        assert rows, f"{query} returned no row"
        return rows[0]

    async def _all(self, query: str, mode: Mode, /, **params: Any) -> list[Row]:
        """Every row the call returns."""
        (rows,) = await self.statements([(QUERIES[query], params)], **mode.options)
        return rows

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
        tenant: str | None = None,
        *,
        client_id: str | None = None,
    ) -> Row:
        """With `client_id` (the earlier, per-client API), the ledger key is client_id:key,
        made and checked by ledger.client_idempotency_key."""
        return await self._one(
            "post_journal" if client_id is None else "post_client_journal", WRITE,
            idempotency_key=idempotency_key, client_id=client_id, legs=Jsonb(legs),
            effective_date=effective_date, memo=memo, ref=ref,
            metadata=Jsonb(metadata if metadata is not None else {}), tenant=tenant,
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

        # Not pipelined: the progress notices come while the close runs.
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

    # -- tenants, API keys, SQL logins, audit ------------------------------------------------

    async def create_tenant(self, tenant: str) -> Row:
        """A new book (owner only: the CLI's admin DSN)."""
        return await self._one("create_tenant", WRITE, tenant=tenant)

    async def list_tenants(self) -> list[Row]:
        return await self._all("list_tenants", READ)

    async def get_tenant(self, tenant: str | None = None) -> Row:
        return await self._one("get_tenant", READ, tenant=tenant)

    async def create_api_key(
        self,
        name: str,
        capabilities: Sequence[str],
        expires_at: datetime | None = None,
        tenant: str | None = None,
        *,
        requests_per_second: int | None = None,
        burst: int | None = None,
    ) -> Row:
        """A new key; its token is in this answer only (the ledger keeps a hash). Rate and
        burst: None for the ledger's defaults."""
        return await self._one(
            "create_api_key", WRITE, name=name, capabilities=list(capabilities),
            expires_at=expires_at, requests_per_second=requests_per_second, burst=burst,
            tenant=tenant,
        )  # fmt: skip

    async def list_api_keys(self, tenant: str | None = None) -> list[Row]:
        return await self._all("list_api_keys", READ, tenant=tenant)

    async def revoke_api_key(self, key_id: str, tenant: str | None = None) -> Row:
        return await self._one("revoke_api_key", WRITE, key_id=key_id, tenant=tenant)

    async def set_api_key_rate(
        self,
        key_id: str,
        requests_per_second: int | None = None,
        burst: int | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "set_api_key_rate", WRITE, key_id=key_id, requests_per_second=requests_per_second,
            burst=burst, tenant=tenant,
        )  # fmt: skip

    async def key_rate(self) -> Row:
        """The rate limit of the request's own key (DX040 when it is not a valid key)."""
        return await self._one("key_rate", LOOKUP)

    async def create_sql_login(
        self, login: str, password: str, capabilities: Sequence[str], tenant: str
    ) -> Row:
        """A new LOGIN role, member of doublex_api, bound to `tenant` with `capabilities`, in
        one transaction (owner only: creating roles needs the admin DSN). The password is
        sent as its SCRAM-SHA-256 verifier, made by libpq as psql's \\password does: the
        statement (server log, pg_stat_activity) never holds the password itself. The login
        gets doublex_app's role settings (migration 0013's time limits among them), so a
        careless login does not hold a transaction, and with it every tenant's roll-up
        horizon, open for ever (they are defaults: a hostile login can SET them back)."""
        params = {"login": login, "capabilities": list(capabilities), "tenant": tenant}

        async def work(conn: AsyncConnection[Row]) -> Row:
            verifier = conn.pgconn.encrypt_password(
                password.encode(), login.encode(), b"scram-sha-256"
            )
            await conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                    sql.Identifier(login), sql.Literal(verifier.decode()), sql.Identifier(API_ROLE)
                )
            )
            settings = await (await conn.execute(APP_ROLE_SETTINGS, [APP_ROLE])).fetchall()
            for setting in settings:
                await conn.execute(
                    sql.SQL("ALTER ROLE {} SET {} = {}").format(
                        sql.Identifier(login),
                        sql.Identifier(setting["name"]),
                        sql.Literal(setting["value"]),
                    )
                )
            row = await (await conn.execute(QUERIES["bind_sql_login"], params)).fetchone()
            assert row is not None
            return row

        return await self.run(work)

    async def list_sql_logins(self, tenant: str | None = None) -> list[Row]:
        return await self._all("list_sql_logins", READ, tenant=tenant)

    async def unbind_sql_login(self, login: str) -> bool:
        """Whether the login was bound (its next call is refused either way)."""
        row = await self._one("unbind_sql_login", WRITE, login=login)
        return bool(row["unbind_sql_login"])

    async def list_audit(
        self, after_id: int | None = None, page_size: int = 100, tenant: str | None = None
    ) -> list[Row]:
        return await self._all(
            "list_audit", READ, after_id=after_id, page_size=page_size, tenant=tenant
        )

    # -- the live page's demo tenants, the trial balance ----------------------------------------

    async def create_demo_tenant(self, client_address: str) -> Row:
        """A demo tenant for a visitor's address (the service's own login, no key; the ledger
        bounds it per address and hour, DX048)."""
        return await self._one("create_demo_tenant", SERVICE, client_address=client_address)

    async def prune_demo_tenants(self, older_than: timedelta) -> int:
        """Archive the demo tenants older than `older_than`: how many were."""
        row = await self._one("prune_demo_tenants", SERVICE, older_than=older_than)
        return int(row["prune_demo_tenants"])

    async def trial_balance(
        self,
        as_of: date | None = None,
        after_code: str | None = None,
        page_size: int = 100,
        tenant: str | None = None,
    ) -> tuple[list[Row], list[Row]]:
        """A page of the trial balance and the totals per currency, in one snapshot."""
        page = {"as_of": as_of, "after_code": after_code, "page_size": page_size, "tenant": tenant}
        totals = {"as_of": as_of, "tenant": tenant}
        lines, sums = await self.statements(
            [(QUERIES["trial_balance"], page), (QUERIES["trial_balance_totals"], totals)],
            **READ.options,
        )
        return lines, sums

    # -- holds and limits (issue #17) ----------------------------------------------------------

    async def create_hold(
        self,
        idempotency_key: str,
        legs: Sequence[Mapping[str, Any]] | Any,
        expires_at: datetime | None = None,
        memo: str | None = None,
        ref: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "create_hold", WRITE, idempotency_key=idempotency_key, legs=Jsonb(legs),
            expires_at=expires_at, memo=memo, ref=ref,
            metadata=Jsonb(metadata if metadata is not None else {}), tenant=tenant,
        )  # fmt: skip

    async def capture_hold(
        self,
        hold_id: UUID | str,
        idempotency_key: str,
        amounts: Sequence[str] | None = None,
        effective_date: date | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "capture_hold", WRITE, hold_id=hold_id, idempotency_key=idempotency_key,
            amounts=None if amounts is None else Jsonb(list(amounts)),
            effective_date=effective_date, tenant=tenant,
        )  # fmt: skip

    async def void_hold(
        self, hold_id: UUID | str, idempotency_key: str, tenant: str | None = None
    ) -> Row:
        return await self._one(
            "void_hold", WRITE, hold_id=hold_id, idempotency_key=idempotency_key, tenant=tenant
        )

    async def get_hold(self, hold_id: UUID | str, tenant: str | None = None) -> Row:
        return await self._one("get_hold", READ, hold_id=hold_id, tenant=tenant)

    async def list_holds(
        self,
        account: str | None = None,
        status: str | None = None,
        after_id: UUID | str | None = None,
        page_size: int = 100,
        tenant: str | None = None,
    ) -> list[Row]:
        return await self._all(
            "list_holds", READ, account=account, status=status, after_id=after_id,
            page_size=page_size, tenant=tenant,
        )  # fmt: skip

    async def expire_holds(self, tenant: str | None = None) -> int:
        row = await self._one("expire_holds", WRITE, tenant=tenant)
        return int(row["expire_holds"])

    async def set_account_limits(
        self,
        code: str,
        min_balance: Decimal | None = None,
        max_balance: Decimal | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "set_account_limits", WRITE, code=code, min_balance=min_balance,
            max_balance=max_balance, tenant=tenant,
        )  # fmt: skip

    async def get_available_balance(self, account: str, tenant: str | None = None) -> Row:
        return await self._one("get_available_balance", READ, account=account, tenant=tenant)
