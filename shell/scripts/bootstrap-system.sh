#!/usr/bin/env bash
# Installs the system packages DoubleX needs when they are missing:
#   PostgreSQL server binaries, pgTAP (for that server version) and pg_prove;
#   Prometheus (prometheus, promtool) and prometheus-postgres-exporter for the
#   observability tests and `make observe`; Chromium (headless, renders the reconciliation
#   report in the end-to-end test) and chromedriver (the live page's Selenium test); PgBouncer (the pooling tests and the pooled route of
#   `make bench-sql`); PgQ (postgresql-NN-pgq3, the event log's transactional queue, and its
#   optional ticker daemon pgqd); PL/Proxy (`doublex shards`); pg_auto_failover and
#   pg_autoctl (`doublex ha`); DejaVu fonts (the statement PDF); with --lint also plpgsql_check. With --run only the
#   PostgreSQL server and PgQ: serving the API needs nothing else (`make run`).
# As root on Debian/Ubuntu it uses apt-get; otherwise it prints exactly what to install.
set -euo pipefail

want_lint=0
want_tools=1
[[ "${1:-}" == "--lint" ]] && want_lint=1
[[ "${1:-}" == "--run" ]] && want_tools=0

pg_bindir() {
    if [[ -n "${DOUBLEX_PG_BINDIR:-}" ]]; then echo "$DOUBLEX_PG_BINDIR"; return; fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -n 1 || true)
    if [[ -n "$newest" && -x "$newest/initdb" ]]; then echo "$newest"; return; fi
    command -v initdb >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v initdb)")"
}

missing=()
bindir=$(pg_bindir || true)
if [[ -z "$bindir" ]]; then
    missing+=(postgresql)
    version=""
else
    version=$("$bindir/pg_config" --version 2>/dev/null | sed -E 's/[^0-9]*([0-9]+).*/\1/' || true)
    [[ -z "$version" ]] && version=$(basename "$(dirname "$bindir")")
    sharedir=$("$bindir/pg_config" --sharedir 2>/dev/null || echo "/usr/share/postgresql/$version")
    [[ $want_tools == 0 || -f "$sharedir/extension/pgtap.control" ]] || missing+=("postgresql-$version-pgtap")
    # The event log (migration 0021) queues every change through PgQ; serving needs it too.
    [[ -f "$sharedir/extension/pgq.control" ]] || missing+=("postgresql-$version-pgq3")
    # Sharding by tenant (doublex shards): PL/Proxy on the proxy database.
    [[ $want_tools == 0 || -f "$sharedir/extension/plproxy.control" ]] || missing+=("postgresql-$version-plproxy")
    # High availability (doublex ha): pg_auto_failover's extension and its pg_autoctl.
    [[ $want_tools == 0 || -f "$sharedir/extension/pgautofailover.control" ]] || missing+=("postgresql-$version-auto-failover")
    if [[ $want_lint == 1 ]]; then
        [[ -f "$sharedir/extension/plpgsql_check.control" ]] || missing+=("postgresql-$version-plpgsql-check")
    fi
fi
if [[ $want_tools == 1 ]]; then
    command -v pg_prove >/dev/null 2>&1 || missing+=(libtap-parser-sourcehandler-pgtap-perl)
    # Observability: promtool and prometheus come in one package; the exporter in its own.
    command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
    command -v prometheus-postgres-exporter >/dev/null 2>&1 || missing+=(prometheus-postgres-exporter)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    # Drives Chromium in the live page's browser test (tests/test_demo_page.py).
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    # The pooler many SQL clients are deployed behind (README, "Connection pooling").
    command -v pgbouncer >/dev/null 2>&1 || [[ -x /usr/sbin/pgbouncer ]] || missing+=(pgbouncer)
    # PgQ's ticker daemon: optional (the sequencer ticks itself), for deployments that run it.
    command -v pgqd >/dev/null 2>&1 || missing+=(pgqd)
    # DejaVu Sans: the statement PDF prints Latin, Greek and Cyrillic names as written.
    [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ]] || missing+=(fonts-dejavu-core)
    command -v pg_autoctl >/dev/null 2>&1 || missing+=(pg-auto-failover-cli)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # A server installed just now: pgTAP must match its version.
    if [[ " ${missing[*]} " == *" postgresql "* ]]; then
        exec "$0" "$@"
    fi
    exit 0
fi

cat >&2 <<MSG
DoubleX needs these system packages, which are missing: ${missing[*]}
Install them as root, e.g.:
    sudo apt-get update && sudo apt-get install -y ${missing[*]}
(postgresql-NN-pgtap must match the PostgreSQL server version NN.)
Or point DOUBLEX_PG_BINDIR at a folder holding initdb and pg_ctl.
MSG
exit 1
