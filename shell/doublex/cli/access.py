"""Who may do what: tenants, API keys, SQL logins, and the audit log of who did it.

doublex tenants create acme
doublex keys create --tenant acme --cap read,post --name billing --expires 2027-01-01
doublex keys create --tenant acme --cap post --rate 20 --burst 50
doublex keys rate dxk_0123456789ab --tenant acme --rate 50 --burst 100
doublex keys list --tenant acme;  doublex keys revoke dxk_0123456789ab --tenant acme
doublex sql-login create reporting --tenant acme --cap read
doublex audit list --tenant acme
doublex keys dev            # the development key of `default` (make run)

Every command runs with the admin DSN; the OS user is recorded as the actor.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from doublex import config
from doublex.cli.common import book_options, limit_option, tenant_option, with_ledger
from doublex.cli.output import Column, emit_record, emit_rows, json_option
from doublex.cli.root import main
from doublex.db import Ledger

CAPABILITIES = ("read", "post", "operate", "admin", "audit")
TENANT_FIELDS: list[Column] = [
    ("name", "tenant"),
    ("created_at", "created"),
    ("created_by", "by"),
    ("accounts", "accounts"),
    ("active_keys", "active keys"),
]
KEY_FIELDS: list[Column] = [
    ("key_id", "key id"),
    ("name", "name"),
    ("capabilities", "capabilities"),
    ("expires_at", "expires"),
    ("created_at", "created"),
    ("created_by", "by"),
    ("requests_per_second", "rate/s"),
    ("burst", "burst"),
    ("revoked_at", "revoked"),
]
LOGIN_FIELDS: list[Column] = [
    ("login", "login"),
    ("tenant", "tenant"),
    ("capabilities", "capabilities"),
    ("bound_at", "bound"),
    ("bound_by", "by"),
]
AUDIT_COLUMNS: list[Column] = [
    ("audit_id", "id"),
    ("at", "at"),
    ("actor", "actor"),
    ("action", "action"),
    ("object", "object"),
    ("details", "details"),
]
DEV_KEY_NAME = "development"
# Where `make run` keeps the development key of `default` (mode 0600).
DEV_KEY_FILE = Path(".doublex") / "dev-key"


def capability_list(
    context: click.Context | None, parameter: click.Parameter | None, value: str
) -> list[str]:
    """`read,post` → ["read", "post"]: the words are the ledger's to judge (DX044)."""
    return [word.strip() for word in value.split(",") if word.strip()]


# A key's rate limit: whole numbers, the ledger's to judge (DX046); left out, its defaults.
rate_option = click.option(
    "--rate",
    "requests_per_second",
    type=int,
    default=None,
    help="Requests per second the key may make (per service worker); default: the ledger's.",
)
burst_option = click.option(
    "--burst",
    type=int,
    default=None,
    help="Requests it may make at once after a pause; default: twice the rate.",
)
cap_option = click.option(
    "--cap",
    "capabilities",
    required=True,
    callback=capability_list,
    help=f"Comma-separated capabilities: {', '.join(CAPABILITIES)}.",
)

# -- doublex tenants -----------------------------------------------------------------------


@main.group()
def tenants() -> None:
    """Tenants: separate books, each with its own accounts, keys and logins."""


@tenants.command("create")
@click.argument("name")
@json_option
def tenants_create(name: str, as_json: bool) -> None:
    """Create tenant NAME."""
    emit_record(
        with_ledger(lambda ledger: ledger.create_tenant(name)), as_json, fields=TENANT_FIELDS[:3]
    )


@tenants.command("list")
@json_option
def tenants_list(as_json: bool) -> None:
    """Every tenant."""
    rows = with_ledger(lambda ledger: ledger.list_tenants())
    emit_rows(rows, TENANT_FIELDS, as_json, empty="no tenants")


@tenants.command("show")
@click.argument("name")
@json_option
def tenants_show(name: str, as_json: bool) -> None:
    """One tenant: created when and by whom, its accounts and active keys."""
    emit_record(with_ledger(lambda ledger: ledger.get_tenant(name)), as_json, fields=TENANT_FIELDS)


# -- doublex keys --------------------------------------------------------------------------


@main.group()
def keys() -> None:
    """API keys of the REST service (Authorization: Bearer <key>)."""


@keys.command("create")
@tenant_option
@cap_option
@click.option("--name", default="cli", show_default=True, help="What the key is for.")
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="When it stops working (a date means its midnight UTC).",
)
@rate_option
@burst_option
@json_option
def keys_create(
    tenant: str,
    capabilities: list[str],
    name: str,
    expires: datetime | None,
    requests_per_second: int | None,
    burst: int | None,
    as_json: bool,
) -> None:
    """Create a key; its token is printed this once (the ledger keeps only a hash)."""
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    created = with_ledger(
        lambda ledger: ledger.create_api_key(
            name,
            capabilities,
            expires,
            tenant,
            requests_per_second=requests_per_second,
            burst=burst,
        )
    )
    emit_record(created, as_json, fields=[("token", "token"), *KEY_FIELDS[:-1]])
    if not as_json:
        click.echo(
            "\nThe token is shown this once. Use it as: Authorization: Bearer <token>", err=True
        )


@keys.command("list")
@book_options
def keys_list(tenant: str, as_json: bool) -> None:
    """The tenant's keys (never their secrets)."""
    emit_rows(
        with_ledger(lambda ledger: ledger.list_api_keys(tenant)),
        KEY_FIELDS,
        as_json,
        empty="no keys",
    )


@keys.command("revoke")
@click.argument("key_id")
@book_options
def keys_revoke(key_id: str, tenant: str, as_json: bool) -> None:
    """Revoke KEY_ID: refused from its next transaction on."""
    emit_record(
        with_ledger(lambda ledger: ledger.revoke_api_key(key_id, tenant)),
        as_json,
        fields=KEY_FIELDS,
    )


@keys.command("rate")
@click.argument("key_id")
@tenant_option
@rate_option
@burst_option
@json_option
def keys_rate(
    key_id: str, tenant: str, requests_per_second: int | None, burst: int | None, as_json: bool
) -> None:
    """Change KEY_ID's rate limit (left out: the ledger's defaults); the service applies it
    within DOUBLEX_KEY_RATE_SECONDS."""
    emit_record(
        with_ledger(
            lambda ledger: ledger.set_api_key_rate(key_id, requests_per_second, burst, tenant)
        ),
        as_json,
        fields=KEY_FIELDS,
    )


@keys.command("dev")
def keys_dev() -> None:
    """The development key of tenant `default` (every capability), kept in .doublex/dev-key
    (mode 0600): created and printed on first use, or when the database no longer has it."""
    path = config.project_root() / DEV_KEY_FILE
    token = path.read_text().strip() if path.exists() else ""

    async def ensure(ledger: Ledger) -> str | None:
        if token:
            key_id = token.partition(".")[0]
            for key in await ledger.list_api_keys("default"):
                if key["key_id"] == key_id and key.get("revoked_at") is None:
                    return None
        created = await ledger.create_api_key(DEV_KEY_NAME, CAPABILITIES, None, "default")
        return str(created["token"])

    new = with_ledger(ensure)
    export = f"export DOUBLEX_KEY=$(cat {path})"
    if new is None:
        click.echo(f"dev key:  {path}   ({export})")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(new + "\n")
    os.chmod(path, 0o600)
    click.echo(f"dev key of tenant default (shown once, kept in {path}, mode 0600):")
    click.echo(f"  export DOUBLEX_KEY={new}")


# -- doublex sql-login -----------------------------------------------------------------------


@main.group("sql-login")
def sql_login() -> None:
    """SQL logins: PostgreSQL roles that call the ledger's functions directly, bound to a
    tenant and capabilities."""


@sql_login.command("create")
@click.argument("name")
@tenant_option
@cap_option
@json_option
def sql_login_create(name: str, tenant: str, capabilities: list[str], as_json: bool) -> None:
    """Create LOGIN role NAME (member of doublex_api) with a random password, printed once,
    and bind it to the tenant in the same transaction."""
    password = secrets.token_urlsafe(24)
    bound = with_ledger(
        lambda ledger: ledger.create_sql_login(name, password, capabilities, tenant)
    )
    record: dict[str, Any] = {**bound, "password": password}
    emit_record(record, as_json, fields=[*LOGIN_FIELDS[:3], ("password", "password")])
    if not as_json:
        click.echo("\nThe password is shown this once.", err=True)


@sql_login.command("list")
@click.option("--tenant", default=None, help="Only this tenant's logins (default: all).")
@json_option
def sql_login_list(tenant: str | None, as_json: bool) -> None:
    """The SQL logins bound to tenants."""
    rows = with_ledger(lambda ledger: ledger.list_sql_logins(tenant))
    emit_rows(rows, LOGIN_FIELDS, as_json, empty="no SQL logins")


@sql_login.command("revoke")
@click.argument("name")
@json_option
def sql_login_revoke(name: str, as_json: bool) -> None:
    """Unbind login NAME: its next call is refused (the role itself stays; DROP ROLE it when
    it owns nothing)."""
    unbound = with_ledger(lambda ledger: ledger.unbind_sql_login(name))
    emit_record(
        {"login": name, "unbound": unbound},
        as_json,
        fields=[("login", "login"), ("unbound", "unbound")],
    )


# -- doublex audit -------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Who did what."""


@audit.command("list")
@tenant_option
@click.option("--after", type=int, default=None, help="Entries after this id (the next page).")
@limit_option
@json_option
def audit_list(tenant: str, after: int | None, limit: int, as_json: bool) -> None:
    """The tenant's audit log, oldest first."""
    rows = with_ledger(lambda ledger: ledger.list_audit(after, limit, tenant))
    emit_rows(rows, AUDIT_COLUMNS, as_json, empty="no audit entries")
