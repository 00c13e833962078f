"""`doublex` imports a command's module only when that command runs (doublex.cli.root):
COMMAND_MODULES names every command with the module that adds it, `doublex --help` still
lists them all, and a statement runs, in a fresh interpreter, without the REST service's
aiohttp, Prometheus or OpenTelemetry, or the modules of other commands."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from datetime import timedelta

from click.testing import CliRunner

from doublex.cli import main
from doublex.cli.root import COMMAND_MODULES
from doublex.db import Ledger
from support.statements import seed

SERVICE_ONLY = ("aiohttp", "prometheus_client", "opentelemetry")


def test_every_command_is_named_with_its_module() -> None:
    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"doublex.cli.{module}")
    added = {
        name: command.callback.__module__
        for name, command in main.commands.items()
        if command.callback is not None
    }
    assert added == {name: f"doublex.cli.{module}" for name, module in COMMAND_MODULES.items()}


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == sorted(COMMAND_MODULES)
    assert all(len(line.split()) > 1 for line in listed)  # each with its short help


def test_a_group_has_the_subcommands_other_modules_add() -> None:
    """`doublex accounts limits` (added by the holds module) in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-m", "doublex.cli", "accounts", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "limits" in done.stdout.split("Commands:", 1)[1], done.stdout


def imported_by(args: list[str], env: dict[str, str]) -> list[str]:
    """The modules a fresh interpreter holds after `doublex ARGS` ran (and succeeded)."""
    script = (
        "import json, sys\n"
        "from doublex.cli import main\n"
        "main(sys.argv[1:], standalone_mode=False)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, check=True
    )
    names: list[str] = json.loads(done.stdout.splitlines()[-1])
    return names


async def test_a_statement_loads_only_what_it_uses(ledger: Ledger, admin_dsn: str) -> None:
    today = await seed(ledger)
    env = os.environ | {"DOUBLEX_DSN": admin_dsn}
    period = ["--from", str(today - timedelta(days=60)), "--to", str(today)]
    for output_format in ("table", "csv"):
        args = ["statement", "CASH", *period, "--format", output_format, "--output", os.devnull]
        modules = imported_by(args, env)
        assert "doublex.cli.statement" in modules and "psycopg" in modules
        assert [name for name in modules if name.split(".")[0] in SERVICE_ONLY] == []
        assert [name for name in modules if name.startswith("doublex.api")] == []
        commands = {name for name in modules if name.startswith("doublex.cli.")}
        assert commands <= {"doublex.cli.root", "doublex.cli.common", "doublex.cli.output",
                            "doublex.cli.statement"}  # fmt: skip
