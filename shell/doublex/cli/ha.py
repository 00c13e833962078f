"""`doublex ha`: a local pg_auto_failover formation (a monitor, a primary and a synchronous
standby) for development and tests (doublex.ha; README, "High availability")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from doublex import config, ha, localdb
from doublex import migrate as migrations
from doublex.cli.output import emit_rows, json_option
from doublex.cli.root import main

F = TypeVar("F", bound=Callable[..., Any])

STATE_COLUMNS = [
    ("nodename", "name"),
    ("node_id", "node"),
    ("address", "host:port"),
    ("reported_tli", "tli"),
    ("reported_lsn", "lsn"),
    ("current_group_state", "state"),
    ("assigned_group_state", "assigned"),
    ("healthy", "healthy"),
]


def _dir_option(function: F) -> F:
    return click.option(
        "--dir",
        "folder",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the formation lives (default: .doublex/ha of the checkout).",
    )(function)


def _formation(folder: Path | None, port_base: int | None = None) -> ha.LocalFormation:
    settings = config.load()
    root = folder if folder is not None else config.project_root() / ".doublex" / "ha"
    try:
        return ha.formation_at(root.resolve(), port_base, settings.pg_bindir)
    except (ha.FormationError, localdb.ClusterError) as exc:
        raise click.ClickException(str(exc)) from exc


@main.group("ha")
def ha_group() -> None:
    """A local pg_auto_failover formation: monitor, primary, synchronous standby."""


@ha_group.command("init")
@_dir_option
@click.option(
    "--port-base",
    type=click.IntRange(1024, 65533),
    default=None,
    help=f"The monitor's port; the nodes take the next two (default {ha.DEFAULT_PORT_BASE}).",
)
def ha_init(folder: Path | None, port_base: int | None) -> None:
    """Create the formation (or start its keepers), create and migrate the DoubleX
    database on the primary, and print the multi-host URI."""
    formation = _formation(folder, port_base)
    try:
        if formation.create():
            click.echo(f"created a formation in {formation.home}", err=True)
        else:
            formation.start()
        uri = formation.uri()
    except (ha.FormationError, localdb.ClusterError) as exc:
        raise click.ClickException(str(exc)) from exc
    report = migrations.apply(uri)
    click.echo(f"{len(report.applied)} migration(s) applied on the primary", err=True)
    click.echo(uri)


@ha_group.command("stop")
@_dir_option
def ha_stop(folder: Path | None) -> None:
    """Stop every keeper and its PostgreSQL (the data nodes, then the monitor)."""
    try:
        _formation(folder).stop()
    except ha.FormationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("stopped")


@ha_group.command("status")
@_dir_option
@json_option
def ha_status(folder: Path | None, as_json: bool) -> None:
    """The data nodes as the monitor sees them."""
    try:
        states = _formation(folder).states()
    except ha.FormationError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = [
        state
        | {"address": f"{state['nodehost']}:{state['nodeport']}", "healthy": state["health"] == 1}
        for state in states
    ]
    emit_rows(rows, STATE_COLUMNS, as_json, empty="no data node registered")


@ha_group.command("uri")
@_dir_option
@click.option(
    "--user", default=localdb.SUPERUSER, show_default=True, help="The role to connect as."
)
def ha_uri(folder: Path | None, user: str) -> None:
    """The multi-host URI (target_session_attrs=read-write): DOUBLEX_DSN, or with
    --user doublex_service, DOUBLEX_SERVICE_DSN."""
    try:
        click.echo(_formation(folder).uri(user))
    except ha.FormationError as exc:
        raise click.ClickException(str(exc)) from exc


@ha_group.command("failover")
@_dir_option
def ha_failover(folder: Path | None) -> None:
    """Promote the standby (`pg_autoctl perform failover`) and wait until it is done."""
    formation = _formation(folder)
    try:
        formation.failover()
        click.echo(f"primary: {formation.primary().name}")
    except ha.FormationError as exc:
        raise click.ClickException(str(exc)) from exc
