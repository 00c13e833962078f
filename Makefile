# DoubleX — the two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help deps deps-run venv run migrate rollback makemigration schema test test-sql test-py test-coalesce-off test-future test-ha bars lint fmt observe dashboard db-start db-stop bench-sql bench-growth bench-compare bench-cost bench-events bench-webhooks bench-api bench-auth bench-recon bench-statement bench-holds bench-eod bench-slowloris bench-hostile bench-proxy bench-failover clean bench-move

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

deps: ## Install missing system packages (PostgreSQL, pgTAP, pg_prove, Prometheus, postgres_exporter, Chromium and chromedriver, PgBouncer) as root, or say what to install
	@shell/scripts/bootstrap-system.sh

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "DoubleX needs Python 3.11+; found $$($(PYTHON) --version)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); \
		else echo "python3 -m venv failed: install python3-venv (sudo apt-get install python3-venv)"; exit 1; fi; }
	@$(BIN)/pip install -q --upgrade pip
	@$(BIN)/pip install -q -e '.[dev]'
	@touch $@

venv: $(STAMP) ## Create .venv with DoubleX (editable) and its dev tools

HOST ?= 127.0.0.1
PORT ?= 8000

deps-run: ## Only what serving needs: the PostgreSQL server (as root, or say what to install)
	@shell/scripts/bootstrap-system.sh --run

run: deps-run venv ## Start the local PostgreSQL, migrate it, make the dev key (first start), serve the API on $(HOST):$(PORT)
	@$(BIN)/doublex db start >/dev/null
	@$(BIN)/doublex migrate
	@$(BIN)/doublex keys dev
	@echo "database: $$($(BIN)/doublex db url)  (SQL callers: user doublex_app)"
	@echo "API:      http://$(HOST):$(PORT)/api/docs  (requests send: Authorization: Bearer \$$DOUBLEX_KEY)"
	@$(BIN)/doublex serve --host $(HOST) --port $(PORT)

observe: deps venv ## run + Prometheus (http://127.0.0.1:9090) and postgres_exporter on 127.0.0.1 (ARGS=--no-serve …)
	@$(BIN)/doublex db start >/dev/null
	@$(BIN)/doublex migrate
	@$(BIN)/doublex observe --host $(HOST) --port $(PORT) $(ARGS)

dashboard: venv ## Regenerate grafana/dashboards/ledger-slo.json from grafana/ledger_slo.py
	@$(BIN)/python grafana/ledger_slo.py --write

migrate: venv ## Apply pending migrations and re-apply procedures/
	@$(BIN)/doublex migrate

rollback: venv ## Revert the latest migration
	@$(BIN)/doublex migrate --rollback

makemigration: ## New numbered migration and its rollback: make makemigration m="add holds"
	@test -n "$(m)" || { echo 'usage: make makemigration m="what it does"'; exit 1; }
	@$(PYTHON) shell/scripts/makemigration.py "$(m)"

schema: venv ## Regenerate sql/schema.sql from a freshly migrated throwaway database
	@$(BIN)/doublex schema dump --output sql/schema.sql

db-start: venv ## Start the local PostgreSQL
	@$(BIN)/doublex db start

db-stop: venv ## Stop the local PostgreSQL
	@$(BIN)/doublex db stop

test: deps venv ## Run every test: pgTAP through pg_prove, then pytest (with coverage ≥ 90%)
	@$(MAKE) --no-print-directory test-sql
	@$(MAKE) --no-print-directory test-py

test-sql: ## pgTAP suites (pgtap/*.sql) through pg_prove on a throwaway cluster
	@$(BIN)/python tests/run_pgtap.py

test-py: ## pytest against throwaway clusters, with line coverage of shell/doublex
	@$(BIN)/pytest --cov=doublex --cov-report=term --cov-fail-under=90
	@$(MAKE) --no-print-directory test-coalesce-off

test-coalesce-off: ## the REST API tests again with request coalescing off (DOUBLEX_COALESCE=off)
	@DOUBLEX_COALESCE=off $(BIN)/pytest -q -p no:cacheprovider tests/test_api.py tests/test_api_observability.py tests/test_api_holds.py

test-ha: deps venv ## Failover under load on a local pg_auto_failover formation (also part of test-py): 0 lost, 0 duplicates, the unavailability window
	@$(BIN)/pytest tests/test_ha.py -q -s -p no:cacheprovider

bars: venv ## The access bars, route by route: 2xx without a key (health and docs only), cross-tenant reads and writes (0)
	@$(BIN)/pytest tests/test_api_bars.py tests/test_tenant_isolation_properties.py -q -s

# The suites that post, close, reconcile or set rates on dated days, as if run 400 days from
# now: faketime moves the clock of the throwaway clusters and of pytest (the machine's stays).
FUTURE_PY = tests/test_api.py tests/test_fx_api.py tests/test_fx_cli.py tests/test_recon_api.py \
	tests/test_recon_cli.py tests/test_recon_concurrency.py tests/test_recon_properties.py \
	tests/test_posting_core_equivalence.py tests/test_api_observability.py tests/test_fixed_dates.py
test-future: venv ## pgTAP and the dated pytest files 400 days from now (needs faketime: apt-get install faketime)
	@command -v faketime >/dev/null || { echo "faketime not found: apt-get install faketime (as root)"; exit 1; }
	@faketime -f '+$(or $(DAYS),400)d' $(BIN)/python tests/run_pgtap.py
	@faketime -f '+$(or $(DAYS),400)d' $(BIN)/pytest -q -p no:cacheprovider $(FUTURE_PY)

lint: venv ## ruff, mypy, squawk on migrations, plpgsql_check on every function
	@shell/scripts/bootstrap-system.sh --lint
	@$(BIN)/ruff check shell tests bench migrations grafana
	@$(BIN)/ruff format --check shell tests bench migrations grafana
	@$(BIN)/mypy
	@$(BIN)/squawk --config=.squawk.toml $(filter-out %.rollback.sql,$(wildcard migrations/[0-9]*.sql))
	@$(BIN)/squawk --config=.squawk.toml --exclude=ban-drop-table,ban-drop-type,ban-drop-function,ban-drop-schema,ban-drop-sequence $(wildcard migrations/*.rollback.sql)
	@$(BIN)/python tests/run_plpgsql_check.py

fmt: venv ## Format Python code
	@$(BIN)/ruff check --fix shell tests bench migrations grafana
	@$(BIN)/ruff format shell tests bench migrations grafana

bench-sql: deps venv ## pgbench suite, direct and through PgBouncer, report in bench/results/ (ARGS="--duration 5")
	@$(BIN)/python bench/run_sql_bench.py $(ARGS)

bench-holds: deps venv ## hot post_journal and hold + capture at 16 clients in one run: the #17 bars, report bench/results/sql-holds.md (ARGS=...)
	@$(BIN)/python bench/run_sql_bench.py --via=direct --clients=16 --scenarios=hot,hold --journals=200000 --report-name=sql-holds $(ARGS)

bench-growth: deps venv ## uniform@16 at the default seed vs after growing to 5M journals (ARGS=...)
	@$(BIN)/python bench/run_sql_bench.py --growth $(ARGS)

bench-compare: deps venv ## SQL benchmark of HEAD against an earlier revision, alternating, one run (BASE=HEAD~1 ARGS=...)
	@$(BIN)/python bench/compare_revisions.py --base $(or $(BASE),HEAD~1) $(ARGS)

bench-cost: deps venv ## What one hot posting writes and runs: WAL records/bytes/FPIs by relation, buffers, function calls, warm and cold; --floor adds hot/floor/INSERT rounds; BASE=rev: against that revision, alternating (posting-vs-base.md) (ARGS=...)
	@$(BIN)/python bench/posting_cost.py $(if $(BASE),--base $(BASE)) $(ARGS)

bench-events: deps venv ## Hot posting with events on (triggers, sequencer beside) against off (triggers disabled), alternating, one database: the #18 bar (ARGS=...)
	@$(BIN)/python bench/events_overhead.py $(ARGS)

bench-webhooks: deps venv ## Webhook delivery lag at 500 postings/s: a healthy endpoint alone, beside one refusing, beside one hanging (ARGS=...)
	@$(BIN)/python bench/run_webhook_bench.py $(ARGS)

bench-auth: deps venv ## What authentication costs: the service with auth on and off, 32 clients, alternating rounds (ARGS=...)
	@$(BIN)/python bench/auth_overhead.py $(ARGS)

bench-proxy: deps venv ## Posting through the PL/Proxy database against direct to the same shard, alternating rounds: the #20 bar (ARGS=...)
	@$(BIN)/python bench/proxy_overhead.py $(ARGS)

bench-move: deps venv ## doublex shards move of a tenant with 1M legs while it and a neighbour post: copy time, refused-writes window (ARGS="--legs 200000")
	@$(BIN)/python bench/tenant_move.py $(ARGS)

bench-recon: deps venv ## Reconciliation: import and match 100,000 statement lines against 100,000 legs (ARGS=...)
	@$(BIN)/python bench/run_recon_bench.py $(ARGS)
bench-statement: deps venv ## doublex statement of 100,000 legs over a year: table, CSV (bar <= 2 s), PDF (ARGS="--legs 20000")
	@$(BIN)/python bench/run_statement_bench.py $(ARGS)
bench-eod: deps venv ## eod_close over 100,000 accounts with activity, report in bench/results/ (ARGS="--accounts 20000")
	@$(BIN)/python bench/run_eod_bench.py $(ARGS)

bench-slowloris: deps venv ## A normal client's posting p95 while 1,000 slow connections dribble headers (ARGS="--seconds 10")
	@$(BIN)/python bench/run_slowloris_bench.py $(ARGS)

bench-failover: deps venv ## The primary SIGKILLed under load a few times, and commit latency with the sync standby: bench/results/failover.md (ARGS="--runs 5")
	@nice -n 19 $(BIN)/python bench/failover.py $(ARGS)

bench-hostile: deps venv ## The hostile-input corpus against doublex serve: slowest answer, memory growth (ARGS="--rounds 5")
	@$(BIN)/python bench/run_hostile_bench.py $(ARGS)

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml $(STAMP)
	@$(BIN)/pip install -q -e '.[dev,bench]'
	@touch $@

bench-api: deps venv $(BENCH_STAMP) ## Locust against a freshly served instance, 1 and 2 workers × 8 and 32 users (ARGS=...)
	@$(BIN)/python bench/run_api_bench.py $(ARGS)

clean: ## Stop the local cluster and remove .venv and .doublex
	-@$(BIN)/doublex db stop 2>/dev/null
	rm -rf $(VENV) .doublex .pytest_cache .mypy_cache .ruff_cache .coverage
