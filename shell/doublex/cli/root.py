"""The `doublex` command group every command module attaches to.

Its commands are imported when one of them runs (or when `doublex --help` lists them), not
when `doublex` starts: a command pays only for the modules it uses (a statement never loads
the REST service's aiohttp, Prometheus or OpenTelemetry). `COMMAND_MODULES` says which
module adds each command; tests/test_cli_lazy.py checks that it names every command.
"""

from __future__ import annotations

import importlib

import click

# Each command of `doublex` → the module of doublex.cli that adds it to `main`.
COMMAND_MODULES = {
    "accounts": "ledger",
    "post": "ledger",
    "balance": "ledger",
    "history": "ledger",
    "report": "ledger",
    "journals": "ledger",
    "statement": "statement",
    "tenants": "access",
    "keys": "access",
    "sql-login": "access",
    "audit": "access",
    "holds": "holds",
    "available": "holds",
    "eod": "eod",
    "fx": "fx",
    "events": "events",
    "webhooks": "webhooks",
    "monitors": "monitors",
    "recon": "recon",
    "demo": "demo",
    "db": "system",
    "migrate": "system",
    "shards": "shards",
    "serve": "system",
    "schema": "system",
    "maintain": "system",
    "observe": "observe",
    "ha": "ha",
}

# A group some of whose subcommands another module adds (`accounts limits`: holds).
SUBCOMMAND_MODULES = {"accounts": ["holds"]}


class LazyGroup(click.Group):
    """A group whose commands are added by their modules when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"doublex.cli.{COMMAND_MODULES[cmd_name]}")
            for module in SUBCOMMAND_MODULES.get(cmd_name, []):
                importlib.import_module(f"doublex.cli.{module}")
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup)
@click.version_option(package_name="doublex")
def main() -> None:
    """DoubleX: a Postgres-native double-entry ledger."""
