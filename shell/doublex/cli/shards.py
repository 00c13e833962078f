"""`doublex shards`: a PL/Proxy database in front of N shards (README, "Sharding")."""

from __future__ import annotations

import click
import psycopg

from doublex import config, localdb, shards, tenant_move, tenant_settle
from doublex import migrate as migrations
from doublex.cli.common import local_cluster
from doublex.cli.root import main

LOCAL_PROXY_DATABASE = "doublex_proxy"


def local_shard(index: int) -> localdb.LocalCluster:
    """Shard `index` of the development layout: `.doublex/shard<index>/`, on the local
    cluster's port + 1 + index."""
    settings = config.load()
    return localdb.LocalCluster(
        root=config.project_root() / ".doublex" / f"shard{index}",
        port=settings.local_port + 1 + index,
        bindir=localdb.find_bindir(settings.pg_bindir),
    )


def local_proxy_dsn() -> str:
    """The proxy database on the project-local cluster (started when it is not running)."""
    cluster = local_cluster()
    cluster.start()
    cluster.ensure_database(LOCAL_PROXY_DATABASE)
    return cluster.dsn(LOCAL_PROXY_DATABASE)


@main.group("shards")
def shards_group() -> None:
    """Tenants spread over shards behind a PL/Proxy database."""


@shards_group.command("init")
@click.option(
    "--shard-dsn",
    "shard_dsns",
    multiple=True,
    help="Admin DSN of a shard, in partition-map order (repeat; default DOUBLEX_SHARD_DSNS).",
)
@click.option(
    "--local",
    "local",
    type=click.IntRange(1, 16),
    default=None,
    help="Start this many local shard clusters under .doublex/shardK (development).",
)
@click.option(
    "--proxy-dsn",
    default=None,
    help="Admin DSN of the proxy database (default DOUBLEX_PROXY_DSN, else the database "
    f"{LOCAL_PROXY_DATABASE} of the local cluster).",
)
@click.option(
    "--partitions",
    type=int,
    default=None,
    help="Partitions of the map, a power of two ≥ the shards (default: twice the shards).",
)
def shards_init(
    shard_dsns: tuple[str, ...], local: int | None, proxy_dsn: str | None, partitions: int | None
) -> None:
    """Migrate every shard and (re)build the proxy from the first shard's catalog."""
    settings = config.load()
    dsns = list(shard_dsns or settings.shard_dsns)
    try:
        if local is not None:
            if dsns:
                raise click.UsageError("give --local or --shard-dsn, not both")
            for index in range(local):
                cluster = local_shard(index)
                cluster.start()
                cluster.ensure_database()
                dsns.append(cluster.dsn())
        if not dsns:
            raise click.UsageError("give --shard-dsn (or DOUBLEX_SHARD_DSNS) or --local N")
        for dsn in dsns:
            migrations.apply(dsn)
        proxy = proxy_dsn or settings.proxy_dsn or local_proxy_dsn()
        count = shards.generate(proxy, dsns, partitions)
    except (localdb.ClusterError, shards.ShardError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"proxy ready: {count} ledger functions over {len(dsns)} shard(s)", err=True)
    click.echo(f"DOUBLEX_PROXY_DSN='{proxy}'")
    click.echo(f"DOUBLEX_SHARD_DSNS='{';'.join(dsns)}'")


@shards_group.command("sync")
def shards_sync() -> None:
    """Record in the proxy the tenants and key ids made directly on a shard."""
    proxy, dsns = _configured()
    try:
        shards.sync_directory(proxy, dsns, shards.partition_count(proxy))
    except shards.ShardError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("directory synced")


@shards_group.command("status")
def shards_status() -> None:
    """Each partition's shard, and each shard's migrations and tenants."""
    proxy, dsns = _configured()
    partitions = shards.partition_count(proxy)
    for partition, shard in enumerate(shards.partition_map(len(dsns), partitions)):
        click.echo(f"partition {partition} → shard {shard}")
    for index, dsn in enumerate(dsns):
        try:
            with psycopg.connect(dsn) as conn:
                row = conn.execute(
                    "SELECT cardinality(h.migrations), (SELECT count(*) FROM ledger_private.tenant)"
                    " FROM ledger.health() AS h"
                ).fetchone()
        except psycopg.Error as exc:
            click.echo(f"shard {index}: unreachable ({exc})")
            continue
        assert row is not None
        click.echo(f"shard {index}: {row[0]} migrations, {row[1]} tenants")
    with psycopg.connect(proxy) as conn:
        moved = conn.execute(
            "SELECT tenant, partition, fenced_at IS NOT NULL FROM ledger_proxy.tenant"
            " WHERE partition IS NOT NULL OR fenced_at IS NOT NULL ORDER BY tenant"
        ).fetchall()
    shard_of = shards.partition_map(len(dsns), partitions)
    for tenant, partition, fenced in moved:
        where = "moving (writes fenced)" if fenced else f"on shard {shard_of[partition]}"
        click.echo(f"tenant {tenant}: {where} (pinned to partition {partition})")


@shards_group.command("move")
@click.argument("tenant")
@click.option("--to", "to", type=int, required=True, help="The shard to move the tenant to.")
def shards_move(tenant: str, to: int) -> None:
    """Move TENANT's books to shard --to; its writes are refused (503) for the switch only."""
    proxy, dsns = _configured()
    try:
        report = tenant_move.move_tenant(
            proxy, dsns, tenant, to, progress=lambda phase: click.echo(phase, err=True)
        )
    except shards.ShardError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"tenant {tenant}: shard {report.source} → shard {report.target}, "
        f"{report.total_rows} rows; bulk copy {report.bulk_seconds:.2f} s, catch-up "
        f"{report.catch_up_seconds:.2f} s, writes fenced {report.fenced_seconds:.2f} s, "
        f"source cleared in {report.delete_seconds:.2f} s"
    )


@shards_group.command("settle")
@click.argument("tenant")
def shards_settle(tenant: str) -> None:
    """After a killed move: TENANT's books only where the directory routes it, unfenced."""
    proxy, dsns = _configured()
    try:
        report = tenant_settle.settle_tenant(proxy, dsns, tenant)
    except shards.ShardError as exc:
        raise click.ClickException(str(exc)) from exc
    cleared = ", ".join(f"shard {index}" for index in report.cleared) or "no other shard"
    fence = "fence lifted" if report.fence_lifted else "it was not fenced"
    click.echo(f"tenant {tenant}: on shard {report.home}; rows deleted from {cleared}; {fence}")


def _configured() -> tuple[str, list[str]]:
    settings = config.load()
    if not settings.proxy_dsn or not settings.shard_dsns:
        raise click.ClickException(
            "set DOUBLEX_PROXY_DSN and DOUBLEX_SHARD_DSNS (as `doublex shards init` prints them)"
        )
    return settings.proxy_dsn, list(settings.shard_dsns)
