"""The "Ledger SLO" Grafana dashboard, as code (Grafana Foundation SDK, Grafana 11.6 schema).

    make dashboard        # writes grafana/dashboards/ledger-slo.json

tests/test_observability_files.py fails when the committed JSON drifts from this file, and
tests/test_observability_e2e.py evaluates every panel's PromQL against a real Prometheus.
Grafana variables in the queries: $__rate_interval, $__range and $datname (the ledger
database, from postgres_exporter's pg_stat_database).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import (
    Dashboard,
    DashboardCursorSync,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    VariableOption,
    VariableRefresh,
)

OUTPUT = Path(__file__).resolve().parent / "dashboards" / "ledger-slo.json"
UID = "doublex-ledger-slo"
# The data source provisioned in grafana/provisioning/datasources/prometheus.yml.
DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")

# Bucket bound of the latency objective: "100.0" from prometheus_client, "100" once
# Prometheus 3 normalises it. PromQL string: the backslash is escaped.
LE_100 = r'le=~"100(\\.0)?"'
API = 'route!="/metrics"'


def query(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    return (
        prometheus.Dataquery()
        .expr(expr)
        .legend_format(legend or "__auto")
        .ref_id(ref)
        .datasource(DATASOURCE)
    )


def thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def series(
    title: str, unit: str, *queries: tuple[str, str], description: str = "", width: int = 8
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .height(8)
        .span(width)
    )
    for index, (expr, legend) in enumerate(queries):
        panel = panel.with_target(query(expr, legend, chr(ord("A") + index)))
    return panel


def single(
    title: str,
    unit: str,
    expr: str,
    steps: list[tuple[float | None, str]],
    description: str = "",
    width: int = 6,
) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .height(6)
        .span(width)
        .thresholds(thresholds(*steps))
        .with_target(query(expr))
    )


def quantiles(histogram: str) -> list[tuple[str, str]]:
    return [
        (
            f"histogram_quantile({q}, sum by (le) (rate({histogram}_bucket[$__rate_interval])))",
            f"p{int(q * 100)}",
        )
        for q in (0.5, 0.95, 0.99)
    ]


def service_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    board = board.with_row(dashboard.Row("Transfers and service"))
    committed = 'ledger_tx_total{status=~"posted|duplicate"}'
    panels = [
        series(
            "Transfers per second by status",
            "ops",
            ("sum by (status) (rate(ledger_tx_total[$__rate_interval]))", "{{status}}"),
            description="Postings answered posted, duplicate (idempotent replay) or rejected.",
        ),
        series(
            "post_journal latency",
            "ms",
            *quantiles("ledger_posting_latency_ms"),
            description="Time to post a journal, retries included.",
        ),
        series(
            "Serialization retries per 100 commits",
            "short",
            (
                "100 * (sum(rate(ledger_serialization_retries_total[$__rate_interval]))"
                " or vector(0))"
                f" / sum(rate({committed}[$__rate_interval]))",
                "retries per 100 commits",
            ),
            description="Retries after 40001/40P01 per posted or duplicate answer; alert > 1.",
        ),
        series(
            "Reconciliation mismatches by kind",
            "short",
            (
                "sum by (kind) (increase(ledger_recon_mismatches_total[$__rate_interval]))",
                "{{kind}}",
            ),
            description="Mismatches found by reconciliation runs.",
        ),
        series(
            "HTTP error ratio",
            "percentunit",
            (
                f'(sum(rate(http_requests_total{{{API},status=~"5.."}}[$__rate_interval]))'
                " or vector(0))"
                f" / sum(rate(http_requests_total{{{API}}}[$__rate_interval]))",
                "5xx (server)",
            ),
            (
                f'(sum(rate(http_requests_total{{{API},status=~"4.."}}[$__rate_interval]))'
                " or vector(0))"
                f" / sum(rate(http_requests_total{{{API}}}[$__rate_interval]))",
                "4xx (rejected requests)",
            ),
            description="Share of API requests (not /metrics) answered 5xx and 4xx.",
        ),
        series(
            "get_balance latency",
            "ms",
            *quantiles("ledger_get_balance_latency_ms"),
            description="Time to read a balance.",
        ),
        series(
            "Connection pool saturation",
            "percentunit",
            (
                "sum(db_pool_size - db_pool_available) / sum(db_pool_max)",
                "connections in use / max",
            ),
            description="Share of the pool's maximum connections busy.",
            width=12,
        ),
        series(
            "Requests waiting for a connection",
            "short",
            ("sum(db_pool_waiting)", "waiting"),
            description="Requests queued on the pool; 503 after DOUBLEX_POOL_TIMEOUT.",
            width=12,
        ),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board


def per_operation(histogram: str) -> list[tuple[str, str]]:
    """p95 and mean of a histogram labelled by coalesced operation, one series each."""
    rate = "(rate({}[$__rate_interval]))"
    return [
        (
            "histogram_quantile(0.95, sum by (le, operation) "
            + rate.format(f"{histogram}_bucket")
            + ")",
            "p95 {{operation}}",
        ),
        (
            "sum by (operation) "
            + rate.format(f"{histogram}_sum")
            + " / sum by (operation) "
            + rate.format(f"{histogram}_count"),
            "mean {{operation}}",
        ),
    ]


def coalescing_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    board = board.with_row(dashboard.Row("Request coalescing"))
    panels = [
        series(
            "Coalesced batch size by operation",
            "short",
            *per_operation("ledger_coalesce_batch_size"),
            description="Requests per transaction of the request coalescer, per operation "
            "(transfers, reversals, holds, captures); 1: a request that went alone.",
            width=12,
        ),
        series(
            "Coalescing wait by operation",
            "ms",
            *per_operation("ledger_coalesce_wait_ms"),
            description="How long a request waited for its batch to start, per operation; "
            "bounded by DOUBLEX_COALESCE_MAX_WAIT_MS.",
            width=12,
        ),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board


def database_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    board = board.with_row(dashboard.Row("Database (postgres_exporter)"))
    db = 'datname="$datname"'
    panels: list[timeseries.Panel | stat.Panel] = [
        series(
            "Commits and rollbacks per second",
            "ops",
            (f"sum(rate(pg_stat_database_xact_commit{{{db}}}[$__rate_interval]))", "commits"),
            (f"sum(rate(pg_stat_database_xact_rollback{{{db}}}[$__rate_interval]))", "rollbacks"),
        ),
        series(
            "Lock waits and deadlocks",
            "short",
            ("sum(ledger_lock_waiting_sessions)", "sessions waiting for a lock"),
            (
                f"sum(increase(pg_stat_database_deadlocks{{{db}}}[$__rate_interval]))",
                "deadlocks",
            ),
        ),
        series(
            "Connections",
            "short",
            (f"sum by (state) (pg_stat_activity_count{{{db}}})", "{{state}}"),
            ("max(pg_settings_max_connections)", "max_connections"),
        ),
        single(
            "Unbalanced journals (last 15 min)",
            "short",
            "max(ledger_unbalanced_journals)",
            [(None, "green"), (1, "red")],
            description="Journals whose legs do not balance per currency. Must be 0.",
        ),
        single(
            "Days since the latest close",
            "short",
            "max by (tenant) (ledger_days_since_close)",
            [(None, "green"), (2, "red")],
            description="1 = yesterday is closed; LedgerEndOfDayNotClosed after the deadline.",
        ),
        single(
            "Open reconciliation exceptions",
            "short",
            "sum by (kind) (ledger_recon_open_exceptions)",
            [(None, "green"), (1, "orange")],
        ),
        single(
            "Journals today",
            "short",
            "sum by (tenant) (ledger_journals_today)",
            [(None, "blue")],
            description="Journals effective on the current business date (UTC), per tenant.",
        ),
        series(
            "Journals per business day",
            "short",
            ("sum by (tenant) (ledger_journals_today)", "{{tenant}}"),
            width=12,
        ),
        series(
            "FX clearing position by currency",
            "short",
            ("sum by (ccy) (ledger_fx_clearing_position)", "{{ccy}}"),
            description="Balance of the FX clearing accounts; drifts away from 0 mean residuals.",
            width=12,
        ),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board


def slo_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    board = board.with_row(dashboard.Row("SLO"))
    errors = f'(sum(increase(http_requests_total{{{API},status=~"5.."}}[$__range])) or vector(0))'
    panels: list[timeseries.Panel | stat.Panel] = [
        single(
            "Availability (objective 99.9%)",
            "percentunit",
            f"1 - {errors} / sum(increase(http_requests_total{{{API}}}[$__range]))",
            [(None, "red"), (0.999, "green")],
            description="API requests (not /metrics) answered without a 5xx, over the range.",
            width=12,
        ),
        single(
            "Postings within 100 ms (objective 99%)",
            "percentunit",
            f"sum(increase(ledger_posting_latency_ms_bucket{{{LE_100}}}[$__range]))"
            " / sum(increase(ledger_posting_latency_ms_count[$__range]))",
            [(None, "red"), (0.99, "green")],
            width=12,
        ),
        series(
            "Availability error-budget burn rate",
            "short",
            ("ledger:availability_burn_rate:5m", "5m"),
            ("ledger:availability_burn_rate:1h", "1h"),
            ("ledger:availability_burn_rate:6h", "6h"),
            description="1 = spending the budget exactly; alerts at 14.4 (1h+5m) and 6 (6h+30m).",
            width=12,
        ),
        series(
            "Posting latency error-budget burn rate",
            "short",
            ("ledger:posting_latency_burn_rate:5m", "5m"),
            ("ledger:posting_latency_burn_rate:1h", "1h"),
            ("ledger:posting_latency_burn_rate:6h", "6h"),
            description="1 = spending the budget exactly; alerts at 14.4 (1h+5m) and 6 (6h+30m).",
            width=12,
        ),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board


def webhooks_row(board: dashboard.Dashboard) -> dashboard.Dashboard:
    board = board.with_row(dashboard.Row("Webhooks"))
    panels: list[timeseries.Panel | stat.Panel] = [
        series(
            "Webhook deliveries by outcome",
            "reqps",
            ("sum by (outcome) (rate(webhook_deliveries_total[$__rate_interval]))", "{{outcome}}"),
            description="Attempts per second: delivered (2xx), failed (retried with backoff), "
            "dead_letter (given up after 24 h of failures).",
            width=12,
        ),
        series(
            "Webhook delivery lag",
            "s",
            ("max(webhook_delivery_lag_seconds)", "oldest undelivered"),
            description="Age of the oldest event some live endpoint has not received; alert "
            "LedgerWebhookLagHigh above 300 s for 10 min.",
            width=6,
        ),
        single(
            "Webhook dead letters",
            "short",
            "sum(increase(webhook_dead_letters_total[$__range]))",
            [(None, "green"), (1, "red")],
            description="Events given up over the range (alert LedgerWebhookDeadLetters); "
            "replay them from GET /api/webhooks/{id}/deliveries?outcome=dead_letter.",
            width=6,
        ),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return board


def build() -> dict[str, object]:
    datname = (
        dashboard.QueryVariable("datname")
        .label("Database")
        .datasource(DATASOURCE)
        .query("label_values(pg_stat_database_xact_commit, datname)")
        .regex("^(?!template[01]$).*")
        .current(VariableOption(selected=True, text="doublex", value="doublex"))
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
    )
    board = (
        dashboard.Dashboard("Ledger SLO")
        .uid(UID)
        .description("DoubleX: transfers, latency, retries, reconciliation, database, SLOs")
        .tags(["doublex", "ledger", "slo"])
        .timezone("utc")
        .refresh("30s")
        .time("now-6h", "now")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .with_variable(datname)
    )
    board = webhooks_row(database_row(coalescing_row(service_row(slo_row(board)))))
    document: dict[str, object] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    # Stable panel ids in reading order: Grafana needs them unique.
    panels = document["panels"]
    assert isinstance(panels, list)
    for number, panel in enumerate(panels, start=1):
        panel["id"] = number
    # Written in the schema's normal form (typed panel options and field configs filled
    # in), so that loading the file into the Grafana models gives back exactly the file.
    register_default_plugins()
    normal: dict[str, object] = json.loads(
        json.dumps(Dashboard.from_json(document), cls=JSONEncoder)
    )
    return normal


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        OUTPUT.write_text(render())
    else:
        sys.stdout.write(render())
