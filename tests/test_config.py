"""doublex.config is the one reader of the environment, and README's Configuration table
documents every variable it reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from doublex import config

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "shell" / "doublex"
# A variable name as the configuration module spells it: a quoted upper-case name.
NAME = re.compile(r'"((?:DOUBLEX|LOG|OTEL|PROMETHEUS|MIGRATE)_[A-Z_]+)"')


def documented() -> set[str]:
    """The variables named in the first column of README's Configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    table = section.split("\n\n")[1]  # the service's table, before the benchmarks' one
    names: set[str] = set()
    for line in table.splitlines():
        first = line.split("|")[1] if line.startswith("|") else ""
        names.update(re.findall(r"`([A-Z_]+)`", first))
    return names


def test_every_variable_config_reads_is_documented() -> None:
    read = set(NAME.findall((PACKAGE / "config.py").read_text(encoding="utf-8")))
    assert {"DOUBLEX_DSN", "LOG_FORMAT", "OTEL_SERVICE_NAME", "DOUBLEX_PROMTOOL"} <= read
    assert read - documented() == set()


def test_no_other_module_reads_the_environment() -> None:
    readers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if re.search(r"os\.environ(\.get|\[)|os\.getenv|environ\.get", path.read_text("utf-8"))
    )
    assert readers == ["config.py"]


def test_numbers_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOUBLEX_POOL_MAX", "7")
    monkeypatch.setenv("DOUBLEX_POOL_TIMEOUT", "2.5")
    monkeypatch.setenv("DOUBLEX_MAX_RETRIES", "")
    monkeypatch.setenv("DOUBLEX_TENANTS", " a, ,b ")
    settings = config.load()
    assert (settings.pool_max, settings.pool_timeout, settings.max_retries) == (7, 2.5, 20)
    assert settings.tenants == ["a", "b"]
    monkeypatch.setenv("DOUBLEX_POOL_MAX", "7.5")
    with pytest.raises(SystemExit, match=r"DOUBLEX_POOL_MAX must be an integer, got '7\.5'"):
        config.load()
    monkeypatch.setenv("DOUBLEX_POOL_MAX", "7")
    monkeypatch.setenv("DOUBLEX_POOL_TIMEOUT", "soon")
    with pytest.raises(SystemExit, match="DOUBLEX_POOL_TIMEOUT must be a number, got 'soon'"):
        config.load()


def test_observability_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    assert (config.log_format(), config.log_level()) == ("json", "DEBUG")
    assert (config.otlp_endpoint(), config.otel_service_name()) == (None, "doublex")
    monkeypatch.setenv("DOUBLEX_PROMTOOL", "/opt/promtool")
    assert config.binary("DOUBLEX_PROMTOOL") == "/opt/promtool"
    with pytest.raises(KeyError, match="DOUBLEX_NOPE is not one of"):
        config.binary("DOUBLEX_NOPE")


def test_coalescing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOUBLEX_COALESCE", "DOUBLEX_COALESCE_MAX_BATCH", "DOUBLEX_COALESCE_MAX_WAIT_MS"):
        monkeypatch.delenv(name, raising=False)
    assert config.load().coalesce == config.CoalesceSettings(True, 64, 10.0)
    monkeypatch.setenv("DOUBLEX_COALESCE", "OFF")
    monkeypatch.setenv("DOUBLEX_COALESCE_MAX_BATCH", "200")
    monkeypatch.setenv("DOUBLEX_COALESCE_MAX_WAIT_MS", "2.5")
    assert config.coalesce_settings() == config.CoalesceSettings(False, 200, 2.5)
    monkeypatch.setenv("DOUBLEX_COALESCE_MAX_BATCH", "0")
    with pytest.raises(SystemExit, match="DOUBLEX_COALESCE_MAX_BATCH must be at least 1"):
        config.load()
