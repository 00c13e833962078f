"""The `doublex` command group every command module attaches to."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="doublex")
def main() -> None:
    """DoubleX: a Postgres-native double-entry ledger."""
