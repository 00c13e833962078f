"""Tenants for tests (#14): created by the owner, reached by the app login through a key.

doublex_app is bound to tenant `default`; a test that works in another tenant creates it as
the owner (ledger.create_tenant) and acts in it as the REST service does: with a key of that
tenant in doublex.api_key.
"""

from __future__ import annotations

from typing import Any

import psycopg

from support.http import FAST_BURST, FAST_RATE

CAPABILITIES = ["read", "post", "operate", "admin", "audit"]


def create_tenants(admin_dsn: str, *names: str) -> None:
    """Create the tenants (ledger.create_tenant: the owner's, SERIALIZABLE like every write)."""
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for name in names:
            conn.execute("SELECT ledger.create_tenant(%s)", (name,))


def tenant_key(admin_dsn: str, tenant: str, capabilities: list[str] | None = None) -> str:
    """Create the tenant (if missing) and a key of it; answer the key's token."""
    create_tenants(admin_dsn, tenant)
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        row = conn.execute(
            "SELECT token FROM ledger.create_api_key('test', %s, tenant => %s,"
            f" requests_per_second => {FAST_RATE}, burst => {FAST_BURST})",
            (capabilities or CAPABILITIES, tenant),
        ).fetchone()
    assert row is not None
    return str(row[0])


def use_key(conn: psycopg.Connection[Any], token: str) -> None:
    """Act as the key's principal for the rest of the session (the service sets it per
    transaction instead)."""
    with conn.transaction():
        conn.execute("SELECT set_config('doublex.api_key', %s, false)", (token,))
