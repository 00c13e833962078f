"""Prometheus configuration and rules, checked by promtool: `check config` (the compose
configuration and the one `doublex observe` generates), `check rules`, and the rule unit
tests, which must show every alert both firing and staying quiet."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from doublex import observe

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS = ROOT / "prometheus"
RULES = PROMETHEUS / "rules" / "ledger.rules.yml"
RULE_TESTS = PROMETHEUS / "tests" / "ledger.rules.test.yml"


def promtool(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [observe.find_binary("DOUBLEX_PROMTOOL", "promtool"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_compose_prometheus_config_is_valid() -> None:
    out = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert "SUCCESS" in out


def test_generated_prometheus_config_is_valid(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text(observe.prometheus_config("127.0.0.1:8000", "127.0.0.1:9187", 1.0))
    out = promtool("check", "config", str(config))
    assert "1 rule files found" in out
    jobs = [job["job_name"] for job in load(config)["scrape_configs"]]
    compose_jobs = [
        job["job_name"] for job in load(PROMETHEUS / "prometheus.yml")["scrape_configs"]
    ]
    assert jobs == compose_jobs == [observe.SERVICE_JOB, observe.DATABASE_JOB]


def test_rules_are_valid() -> None:
    assert "SUCCESS" in promtool("check", "rules", str(RULES))


def test_rule_unit_tests_pass() -> None:
    assert "SUCCESS" in promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)


def alerts() -> set[str]:
    return {
        rule["alert"]
        for group in load(RULES)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def test_every_alert_is_tested_firing_and_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in load(RULE_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    expected = alerts()
    assert {
        "LedgerAvailabilityBudgetBurnFast",
        "LedgerAvailabilityBudgetBurnSlow",
        "LedgerLatencyBudgetBurnFast",
        "LedgerLatencyBudgetBurnSlow",
        "LedgerPostingLatencyP95High",
        "LedgerSerializationRetriesHigh",
        "LedgerUnbalancedJournal",
        "LedgerEndOfDayNotClosed",
        "LedgerReconExceptionsOpen",
        "LedgerDatabaseDown",
    } <= expected
    assert expected - firing == set(), "alerts never tested firing"
    assert expected - quiet == set(), "alerts never tested quiet"


def test_every_alert_has_severity_and_text() -> None:
    for group in load(RULES)["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
                assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_a_broken_rule_is_caught(tmp_path: Path) -> None:
    """The checks above would notice a mistake: promtool refuses a bad expression."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum(rate(x[5m])\n"
    )
    done = subprocess.run(
        [observe.find_binary("DOUBLEX_PROMTOOL", "promtool"), "check", "rules", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
