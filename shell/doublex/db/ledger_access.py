"""The catalogue's calls about who may call: tenants, API keys, SQL logins, the audit log,
and the live page's demo tenants and the trial balance (a mixin of `doublex.db.Ledger`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from psycopg import AsyncConnection, sql

from doublex.config import API_ROLE, APP_ROLE
from doublex.db.calls import Calls
from doublex.db.queries import QUERIES
from doublex.db.runner import LOOKUP, READ, SERVICE, WRITE, Row

# The role settings of doublex_app (cluster-wide, migrations 0001 and 0013), which a new SQL
# login copies: name and value of each.
APP_ROLE_SETTINGS = (
    "SELECT split_part(c.setting, '=', 1) AS name,"
    " substr(c.setting, strpos(c.setting, '=') + 1) AS value"
    " FROM pg_catalog.pg_db_role_setting AS r, unnest(r.setconfig) AS c (setting)"
    " WHERE r.setrole = %s::regrole AND r.setdatabase = 0"
)


class AccessCalls(Calls):
    """Tenants, keys, logins, audit; demo tenants and the trial balance."""

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
