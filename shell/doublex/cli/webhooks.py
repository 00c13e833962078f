"""Webhook endpoints: create, list, delete, read their history, replay, and run the
delivery worker by hand.

doublex webhooks create https://hooks.example.com/doublex --types journal.posted,hold.created
doublex webhooks list
doublex webhooks history dxw_3f9a0c61b2d4 --outcome dead_letter
doublex webhooks replay dxw_3f9a0c61b2d4 --from 1041
doublex webhooks delete dxw_3f9a0c61b2d4
doublex webhooks deliver --once              # deliver what is due, then stop
doublex webhooks deliver                     # deliver until Ctrl-C (what `serve` does)
"""

from __future__ import annotations

import contextlib

import click

from doublex import config, webhooks
from doublex.cli.common import book_options, with_ledger
from doublex.cli.output import Column, emit_record, emit_rows
from doublex.cli.root import main

HOOK_FIELDS: list[Column] = [
    ("webhook_id", "webhook id"),
    ("url", "url"),
    ("types", "types"),
    ("created_at", "created"),
    ("cursor", "cursor"),
    ("attempts", "attempts"),
    ("next_attempt_at", "next attempt"),
    ("last_error", "last error"),
]
DELIVERY_FIELDS: list[Column] = [
    ("delivery_id", "id"),
    ("attempted_at", "at"),
    ("position", "position"),
    ("event_id", "event id"),
    ("attempt", "attempt"),
    ("outcome", "outcome"),
    ("status", "status"),
    ("duration_ms", "ms"),
    ("error", "error"),
]


@main.group("webhooks")
def webhooks_group() -> None:
    """Webhook endpoints: the tenant's events POSTed to a URL, signed, at least once."""


@webhooks_group.command("create")
@click.argument("url")
@click.option("--types", default=None, help="Comma-separated event types (default: every type).")
@click.option("--secret", default=None, help="The signing secret (default: one is made).")
@book_options
def create(url: str, types: str | None, secret: str | None, tenant: str, as_json: bool) -> None:
    """Create an endpoint; its signing secret is printed this once."""
    wanted = None if types is None else types.split(",")
    created = with_ledger(lambda ledger: ledger.create_webhook(url, wanted, secret, tenant))
    emit_record(created, as_json, fields=[("secret", "secret"), *HOOK_FIELDS[:4]])
    if not as_json:
        click.echo("\nThe secret is shown this once: verify DoubleX-Signature with it.", err=True)


@webhooks_group.command("list")
@book_options
def list_(tenant: str, as_json: bool) -> None:
    """The tenant's live endpoints and their delivery state (never their secrets)."""
    rows = with_ledger(lambda ledger: ledger.list_webhooks(tenant))
    emit_rows(rows, HOOK_FIELDS, as_json, empty="no webhooks")


@webhooks_group.command("delete")
@click.argument("webhook_id")
@book_options
def delete(webhook_id: str, tenant: str, as_json: bool) -> None:
    """Delete WEBHOOK_ID: nothing more is delivered to it (its history stays)."""
    deleted = with_ledger(lambda ledger: ledger.delete_webhook(webhook_id, tenant))
    emit_record(deleted, as_json, fields=[*HOOK_FIELDS[:2], ("deleted_at", "deleted")])


@webhooks_group.command("history")
@click.argument("webhook_id")
@click.option("--outcome", type=click.Choice(["delivered", "failed", "dead_letter"]), default=None)
@click.option("--limit", default=100, show_default=True, type=int, help="Attempts shown.")
@book_options
def history(webhook_id: str, outcome: str | None, limit: int, tenant: str, as_json: bool) -> None:
    """WEBHOOK_ID's delivery attempts and dead letters, newest first."""
    rows = with_ledger(
        lambda ledger: ledger.list_webhook_deliveries(webhook_id, outcome, None, limit, tenant)
    )
    emit_rows(rows, DELIVERY_FIELDS, as_json, empty="no deliveries")


@webhooks_group.command("replay")
@click.argument("webhook_id")
@click.option("--from", "from_position", required=True, type=int, help="The first position.")
@book_options
def replay(webhook_id: str, from_position: int, tenant: str, as_json: bool) -> None:
    """Deliver WEBHOOK_ID's events again from a position of the event log on."""
    replayed = with_ledger(lambda ledger: ledger.replay_webhook(webhook_id, from_position, tenant))
    emit_record(replayed, as_json, fields=HOOK_FIELDS)


@webhooks_group.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
def deliver(once: bool) -> None:
    """Run the delivery worker (the DOUBLEX_WEBHOOK_* settings): `doublex serve` runs it in
    the background; run this where no service runs, or to deliver by hand. Events are
    sequenced by `doublex events pump` (or the service)."""
    settings = config.load().webhooks
    with contextlib.suppress(KeyboardInterrupt):
        with_ledger(lambda ledger: webhooks.deliver(ledger, settings, once=once))
