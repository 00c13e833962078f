"""Operating commands: the local PostgreSQL, migrations, serving, schema dump, maintenance."""

from __future__ import annotations

import sys

import click

from doublex import config, localdb
from doublex import migrate as migrations
from doublex.cli.common import (
    admin_dsn,
    listen_options,
    local_cluster,
    service_dsn,
    tenant_option,
    with_ledger,
)
from doublex.cli.root import main

# -- doublex db ------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The project-local PostgreSQL under .doublex/ (ignored when DOUBLEX_DSN is set)."""


@db.command("start")
def db_start() -> None:
    """Start the local cluster (idempotent) and print its DSN."""
    cluster = local_cluster()
    try:
        created = cluster.init()
        if created:
            click.echo(f"initialised a new cluster in {cluster.data_dir}", err=True)
        cluster.start()
        cluster.ensure_database()
    except localdb.ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(cluster.url())


@db.command("stop")
def db_stop() -> None:
    """Stop the local cluster."""
    cluster = local_cluster()
    try:
        cluster.stop()
    except localdb.ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("stopped")


@db.command("status")
def db_status() -> None:
    """Show whether the local cluster runs, where, and its DSN (exit 3 when stopped)."""
    cluster = local_cluster()
    for line in cluster.status_lines():
        click.echo(line)
    if not cluster.is_running():
        sys.exit(3)


@db.command("url")
def db_url() -> None:
    """Print the DSN every command uses (DOUBLEX_DSN when set)."""
    settings = config.load()
    click.echo(settings.dsn or local_cluster().url())


# -- doublex migrate -------------------------------------------------------------------------


@main.command("migrate")
@click.option("--rollback", is_flag=True, help="Revert the latest applied migration.")
@click.option(
    "--all", "rollback_all", is_flag=True, help="With --rollback: revert every migration."
)
def migrate_command(rollback: bool, rollback_all: bool) -> None:
    """Apply pending migrations and re-apply procedures/ (or roll back). With
    DOUBLEX_PROXY_DSN and DOUBLEX_SHARD_DSNS: every shard, then the proxy is regenerated."""
    settings = config.load()
    if settings.proxy_dsn and settings.shard_dsns and not rollback:
        from doublex import shards

        for index, shard_report in enumerate(
            shards.migrate_all(settings.proxy_dsn, settings.shard_dsns)
        ):
            click.echo(f"shard {index}: {len(shard_report.applied)} migration(s) applied")
        click.echo("proxy regenerated from shard 0's catalog")
        return
    dsn = admin_dsn()
    if rollback:
        report = migrations.rollback(dsn, count=0 if rollback_all else 1)
        for name in report.rolled_back:
            click.echo(f"rolled back {name}")
        if not report.rolled_back:
            click.echo("nothing to roll back")
        return
    report = migrations.apply(dsn)
    for name in report.applied:
        click.echo(f"applied {name}")
    click.echo(
        f"{len(report.applied)} migration(s) applied; procedures re-applied; database is current"
    )


# -- doublex serve ---------------------------------------------------------------------------


@main.command("serve")
@listen_options()
# Not a ledger rule: how many processes this command starts (checked here only).
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes sharing the port (SO_REUSEPORT), each with its own pool.",
)
@click.option("--reuse-port", is_flag=True, hidden=True, help="Bind with SO_REUSEPORT.")
def serve_command(host: str, port: int, workers: int, reuse_port: bool) -> None:
    """Serve the REST API as the service role (DOUBLEX_SERVICE_DSN). MIGRATE_ON_START=true
    applies migrations first with the admin DSN, then drops that connection."""
    from doublex import serve

    settings = config.load()
    migrate_dsn = admin_dsn() if settings.migrate_on_start else None
    serve.run(
        settings,
        service_dsn(),
        host,
        port,
        admin_dsn=migrate_dsn,
        workers=workers,
        reuse_port=reuse_port,
    )


# -- doublex schema --------------------------------------------------------------------------


@main.group()
def schema() -> None:
    """The generated schema file (sql/schema.sql)."""


@schema.command("dump")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write here instead of standard output.",
)
def schema_dump(output: str | None) -> None:
    """Dump the schema of a freshly migrated scratch database, normalised."""
    from doublex import schema as schema_module

    text = schema_module.dump_fresh(admin_dsn(), config.load().pg_bindir)
    if output is None:
        click.echo(text, nl=False)
        return
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"wrote {output}", err=True)


# -- doublex maintain ------------------------------------------------------------------------


@main.command("maintain")
@tenant_option
def maintain(tenant: str) -> None:
    """Fold settled legs into the balance checkpoints (ledger.roll_up_balances) and mark the
    holds past their expiry as expired (ledger.expire_holds)."""
    result = with_ledger(lambda ledger: ledger.roll_up_balances(tenant))
    click.echo(
        f"tenant {result['tenant']}: folded {result['legs_folded']} leg(s) into "
        f"{result['accounts_updated']} account checkpoint(s); watermark {result['below_txid']}"
    )
    expired = with_ledger(lambda ledger: ledger.expire_holds(tenant))
    click.echo(f"tenant {tenant}: {expired} hold(s) marked expired")
