"""The `doublex` admin command line (click). Commands stay thin: they call doublex.db,
doublex.localdb or doublex.migrate and print the result."""

from __future__ import annotations

import sys

import click

from doublex import config, localdb
from doublex import migrate as migrations
from doublex.db import Ledger, RetryPolicy


def _local_cluster() -> localdb.LocalCluster:
    settings = config.load()
    return localdb.project_cluster(config.project_root(), settings.local_port, settings.pg_bindir)


def admin_dsn() -> str:
    """DOUBLEX_DSN, or the project-local cluster (started when it is not running)."""
    settings = config.load()
    if settings.dsn:
        return settings.dsn
    cluster = _local_cluster()
    cluster.start()
    cluster.ensure_database()
    return cluster.dsn()


def app_dsn() -> str:
    """DOUBLEX_APP_DSN, or the admin DSN with the application role as user."""
    settings = config.load()
    return settings.app_dsn or config.as_app_role(admin_dsn())


def open_ledger() -> Ledger:
    """A Ledger on the app DSN, sized and retrying as configured."""
    settings = config.load()
    return Ledger(
        app_dsn(),
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        retry=RetryPolicy(max_attempts=settings.max_retries),
        pool_timeout=settings.pool_timeout,
    )


@click.group()
@click.version_option(package_name="doublex")
def main() -> None:
    """DoubleX: a Postgres-native double-entry ledger."""


# -- doublex db ------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The project-local PostgreSQL under .doublex/ (ignored when DOUBLEX_DSN is set)."""


@db.command("start")
def db_start() -> None:
    """Start the local cluster (idempotent) and print its DSN."""
    cluster = _local_cluster()
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
    cluster = _local_cluster()
    try:
        cluster.stop()
    except localdb.ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("stopped")


@db.command("status")
def db_status() -> None:
    """Show whether the local cluster runs, where, and its DSN (exit 3 when stopped)."""
    cluster = _local_cluster()
    for line in cluster.status_lines():
        click.echo(line)
    if not cluster.is_running():
        sys.exit(3)


@db.command("url")
def db_url() -> None:
    """Print the DSN every command uses (DOUBLEX_DSN when set)."""
    settings = config.load()
    click.echo(settings.dsn or _local_cluster().url())


# -- doublex migrate -------------------------------------------------------------------------


@main.command("migrate")
@click.option("--rollback", is_flag=True, help="Revert the latest applied migration.")
@click.option(
    "--all", "rollback_all", is_flag=True, help="With --rollback: revert every migration."
)
def migrate_command(rollback: bool, rollback_all: bool) -> None:
    """Apply pending migrations and re-apply procedures/ (or roll back)."""
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
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes sharing the port (SO_REUSEPORT), each with its own pool.",
)
@click.option("--reuse-port", is_flag=True, hidden=True, help="Bind with SO_REUSEPORT.")
def serve_command(host: str, port: int, workers: int, reuse_port: bool) -> None:
    """Serve the REST API (MIGRATE_ON_START=true applies migrations first)."""
    from doublex import serve

    dsn = admin_dsn()
    serve.run(config.load(), dsn, app_dsn(), host, port, workers=workers, reuse_port=reuse_port)


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
@click.option("--tenant", default="default", show_default=True)
def maintain(tenant: str) -> None:
    """Fold settled legs into the balance checkpoints (ledger.roll_up_balances)."""
    import asyncio

    from doublex import errors

    async def roll_up() -> dict[str, object]:
        async with open_ledger() as ledger:
            return await ledger.roll_up_balances(tenant)

    try:
        result = asyncio.run(roll_up())
    except errors.LedgerError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    click.echo(
        f"tenant {result['tenant']}: folded {result['legs_folded']} leg(s) into "
        f"{result['accounts_updated']} account checkpoint(s); watermark {result['below_txid']}"
    )


if __name__ == "__main__":  # `python -m doublex.cli`, as the workers of `serve --workers` run
    main()
