"""What every command needs: the DSNs, a Ledger, and one way to run a ledger call.

Commands act with the admin DSN (DOUBLEX_DSN or the local cluster) on `--tenant`, and record
the operating system user as the actor of what they change (`doublex.actor`, per
transaction). Only `doublex serve` uses the service DSN.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import click

from doublex import config, errors, localdb
from doublex.cli.output import Column, emit_record, json_option
from doublex.db import Ledger, RetryPolicy

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

tenant_option = click.option(
    "--tenant", default="default", show_default=True, help="The book to work in."
)
DATE = click.DateTime(formats=["%Y-%m-%d"])


def book_options(command: F) -> F:
    """`--tenant` and `--json`: the options of a command that reads or changes one book."""
    return tenant_option(json_option(command))


def iso_date(value: datetime | None) -> date | None:
    """click.DateTime gives a datetime; the ledger wants the date."""
    return value.date() if value is not None else None


def listen_options(host_help: str | None = None, port_help: str | None = None) -> Callable[[F], F]:
    """`--host` and `--port` of the service (serve, observe)."""

    def apply(function: F) -> F:
        function = click.option(
            "--port", default=8000, show_default=True, type=int, help=port_help
        )(function)
        return click.option("--host", default="127.0.0.1", show_default=True, help=host_help)(
            function
        )

    return apply


def local_cluster() -> localdb.LocalCluster:
    settings = config.load()
    return localdb.project_cluster(config.project_root(), settings.local_port, settings.pg_bindir)


def admin_dsn() -> str:
    """DOUBLEX_DSN, or the project-local cluster (started when it is not running)."""
    settings = config.load()
    if settings.dsn:
        return settings.dsn
    cluster = local_cluster()
    cluster.start()
    cluster.ensure_database()
    return cluster.dsn()


def service_dsn() -> str:
    """DOUBLEX_SERVICE_DSN (then the admin DSN is never read), or the admin DSN with the
    service role as user."""
    settings = config.load()
    return settings.service_dsn or config.as_service_role(admin_dsn())


def actor() -> str:
    """Who runs the command: the operating system user (audit rows say admin:<user>)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return "unknown"


def open_ledger() -> Ledger:
    """A Ledger on the admin DSN, naming the OS user as actor, sized and retrying as
    configured."""
    settings = config.load()
    return Ledger(
        admin_dsn(),
        min_size=min(settings.pool_min, 1),
        max_size=settings.pool_max,
        retry=RetryPolicy(max_attempts=settings.max_retries),
        pool_timeout=settings.pool_timeout,
        actor=actor(),
    )


def with_ledger(call: Callable[[Ledger], Awaitable[T]]) -> T:
    """Run one ledger call on a short-lived pool; a DX error becomes `error DXnnn: …`, exit 1."""

    async def run() -> T:
        async with open_ledger() as ledger:
            return await call(ledger)

    try:
        return asyncio.run(run())
    except errors.LedgerError as exc:
        raise LedgerFailure(exc) from exc


def keyed_write(
    key: str | None,
    call: Callable[[Ledger, str], Awaitable[Mapping[str, Any]]],
    as_json: bool,
    fields: Sequence[Column],
) -> None:
    """Run a write under its idempotency key (a new random one when none is given) and print
    its result with the key, so that the same write can be sent again."""
    idempotency_key = key or f"cli-{uuid.uuid4()}"
    result = with_ledger(lambda ledger: call(ledger, idempotency_key))
    emit_record({**result, "idempotency_key": idempotency_key}, as_json, fields=fields)


class LedgerFailure(click.ClickException):
    """A rejected call: the DX code and message on stderr, exit status 1. Under `--json`
    the same facts go to stdout as one JSON object, so scripts never parse prose."""

    def __init__(self, error: errors.LedgerError) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error
        context = click.get_current_context(silent=True)
        self.as_json = bool(context is not None and context.params.get("as_json"))

    def format_message(self) -> str:
        return self.message

    def details(self) -> dict[str, str | None]:
        return {
            "code": self.error.code,
            "name": self.error.name,
            "message": self.error.message,
            "field": self.error.field,
            "detail": self.error.detail,
            "hint": self.error.hint,
        }

    def show(self, file: object = None) -> None:
        if self.as_json:
            click.echo(json.dumps({"error": self.details()}, ensure_ascii=False))
            return
        click.echo(f"error {self.message}", err=True)
        for label in ("field", "detail", "hint"):
            if text := self.details()[label]:
                click.echo(f"  {label}: {text}", err=True)


# A page's size: any SQL integer (the ledger answers DX019 outside 1 to its page_size limit).
limit_option = click.option(
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(-(2**31), 2**31 - 1),
    help="Page size.",
)
cursor_option = click.option(
    "--cursor", default=None, help="Continue after this cursor (the next page)."
)


def page_options(command: F) -> F:
    """`--cursor` and `--limit`: the options of a command that lists a page at a time."""
    return cursor_option(limit_option(command))
