"""`doublex tenants|keys|sql-login|audit` end to end: click's CliRunner with the admin DSN
(DOUBLEX_DSN) on the test's own database; the OS user is the actor."""

from __future__ import annotations

import getpass
import json
import stat
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from test_cli_ledger import as_json, run


@pytest.fixture
def cli(admin_dsn: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    monkeypatch.setenv("DOUBLEX_HOME", str(tmp_path))
    monkeypatch.delenv("DOUBLEX_SERVICE_DSN", raising=False)
    return CliRunner()


def test_tenants_create_list_show(cli: CliRunner) -> None:
    created = as_json(cli, "tenants", "create", "acme")
    assert created["name"] == "acme"
    assert created["created_by"] == f"admin:{getpass.getuser()}"
    assert {t["name"] for t in as_json(cli, "tenants", "list")} == {"default", "acme"}
    shown = as_json(cli, "tenants", "show", "acme")
    assert (shown["accounts"], shown["active_keys"]) == (0, 0)
    # Again: nothing changes, its row again (a setup script may run twice).
    assert as_json(cli, "tenants", "create", "acme")["created_at"] == created["created_at"]
    assert run(cli, "tenants", "create", "no spaces", code=1).stderr.startswith("error DX019:")
    assert run(cli, "tenants", "show", "nope", code=1).stderr.startswith("error DX043:")
    table = run(cli, "tenants", "list").stdout
    assert table.splitlines()[0].split()[:2] == ["tenant", "created"]


def test_keys_create_with_a_rate_and_change_it(cli: CliRunner) -> None:
    key = as_json(cli, "keys", "create", "--cap", "read", "--rate", "3", "--burst", "4")
    assert (key["requests_per_second"], key["burst"]) == (3, 4)
    changed = as_json(cli, "keys", "rate", key["key_id"], "--rate", "5")
    assert (changed["requests_per_second"], changed["burst"]) == (5, 10)  # burst: twice
    assert run(cli, "keys", "rate", key["key_id"], "--burst", "0", code=1).stderr.startswith(
        "error DX046:"
    )
    assert run(cli, "keys", "rate", "dxk_000000000000", code=1).stderr.startswith("error DX045:")
    listed = [k for k in as_json(cli, "keys", "list") if k["key_id"] == key["key_id"]]
    assert [(k["requests_per_second"], k["burst"]) for k in listed] == [(5, 10)]
    table = run(cli, "keys", "list").stdout
    assert "rate/s" in table.splitlines()[0]
    actions = [(a["action"], a["object"]) for a in as_json(cli, "audit", "list")]
    assert ("set_api_key_rate", key["key_id"]) in actions


def test_keys_create_list_revoke(cli: CliRunner, service_dsn: str) -> None:
    run(cli, "tenants", "create", "acme")
    made = run(cli, "keys", "create", "--tenant", "acme", "--cap", "read,post", "--name", "billing")
    token = next(line.split()[1] for line in made.stdout.splitlines() if line.startswith("token"))
    assert "shown this once" in made.stderr
    key_id = token.partition(".")[0]
    listed = as_json(cli, "keys", "list", "--tenant", "acme")
    assert [(k["key_id"], k["name"], k["capabilities"]) for k in listed] == [
        (key_id, "billing", ["read", "post"])
    ]
    assert token not in json.dumps(listed)
    assert as_json(cli, "keys", "list") == []  # tenant default has none
    # The key works for its tenant through the service role...
    with psycopg.connect(service_dsn, autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute(
            "SELECT set_config('role', 'doublex_api', true),"
            " set_config('doublex.api_key', %s, true)",
            (token,),
        )
        row = conn.execute("SELECT name FROM ledger.get_tenant()").fetchone()
        conn.execute("COMMIT")
    assert row == ("acme",)
    # ...until it is revoked.
    revoked = as_json(cli, "keys", "revoke", key_id, "--tenant", "acme")
    assert revoked["revoked_by"] == f"admin:{getpass.getuser()}"
    assert run(cli, "keys", "revoke", key_id, code=1).stderr.startswith("error DX045:")
    bad = run(cli, "keys", "create", "--cap", "read,fly", code=1)
    assert bad.stderr.startswith("error DX044:")
    expiring = as_json(cli, "keys", "create", "--cap", "audit", "--expires", "2099-01-01")
    assert expiring["expires_at"].startswith("2099-01-01")
    actions = [
        (e["action"], e["object"]) for e in as_json(cli, "audit", "list", "--tenant", "acme")
    ]
    assert ("create_api_key", key_id) in actions and ("revoke_api_key", key_id) in actions
    assert run(cli, "audit", "list", "--tenant", "acme").stdout.splitlines()[0].split()[:3] == [
        "id",
        "at",
        "actor",
    ]


def test_sql_login_create_list_revoke(cli: CliRunner, pg_cluster: Any, database: str) -> None:
    # Roles are the cluster's: a name of this test's own database.
    login = f"rep_{database}"
    run(cli, "tenants", "create", "acme")
    made = as_json(cli, "sql-login", "create", login, "--tenant", "acme", "--cap", "read")
    assert (made["login"], made["tenant"], made["capabilities"]) == (
        login,
        "acme",
        ["read"],
    )
    assert len(made["password"]) >= 24
    logins = {row["login"]: row["tenant"] for row in as_json(cli, "sql-login", "list")}
    assert logins == {"doublex_app": "default", login: "acme"}
    assert [r["login"] for r in as_json(cli, "sql-login", "list", "--tenant", "acme")] == [login]
    dsn = pg_cluster.cluster.dsn(database, user=login)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT name FROM ledger.get_tenant()").fetchone() == ("acme",)
        with pytest.raises(psycopg.Error) as refused:
            conn.execute("SELECT * FROM ledger.get_tenant('default')")
        assert refused.value.sqlstate == "DX042"
    # The same name again: the role exists, nothing is bound twice (one transaction).
    assert run(cli, "sql-login", "create", login, "--cap", "read", code=1).exit_code == 1
    assert as_json(cli, "sql-login", "revoke", login) == {
        "login": login,
        "unbound": True,
    }
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as locked_out:
            conn.execute("SELECT name FROM ledger.get_tenant()")
        assert locked_out.value.sqlstate == "DX040"
    with psycopg.connect(pg_cluster.admin_dsn(database), autocommit=True) as conn:
        conn.execute(f"DROP ROLE {login}")


def test_dev_key_is_made_once_and_kept_private(cli: CliRunner, tmp_path: Path) -> None:
    first = run(cli, "keys", "dev").stdout
    path = tmp_path / ".doublex" / "dev-key"
    token = path.read_text().strip()
    assert f"export DOUBLEX_KEY={token}" in first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = run(cli, "keys", "dev").stdout
    assert token not in again and f"export DOUBLEX_KEY=$(cat {path})" in again
    (key,) = as_json(cli, "keys", "list")
    assert (key["key_id"], key["name"]) == (token.partition(".")[0], "development")
    assert key["capabilities"] == ["read", "post", "operate", "admin", "audit"]
    # Revoked (or a fresh database): the next start makes a new one.
    run(cli, "keys", "revoke", key["key_id"])
    third = run(cli, "keys", "dev").stdout
    assert path.read_text().strip() != token and "export DOUBLEX_KEY=dxk_" in third


def test_sql_login_password_never_travels_in_clear(
    cli: CliRunner, pg_cluster: Any, database: str
) -> None:
    """The new login's password is hashed (SCRAM) before it leaves the CLI, as psql's
    \\password does: CREATE ROLE … PASSWORD 'plain' would put it in the server log of anyone
    logging DDL (log_statement = ddl) and in pg_stat_activity (doublex_monitor reads it)."""
    login = f"hashed_{database}"
    with psycopg.connect(pg_cluster.admin_dsn(database), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {database} SET log_statement = 'ddl'")
    log = pg_cluster.cluster.log_file
    logged_before = log.stat().st_size
    made = as_json(cli, "sql-login", "create", login, "--cap", "read")
    try:
        with log.open("rb") as handle:
            handle.seek(logged_before)
            logged = handle.read().decode(errors="replace")
        assert f"CREATE ROLE {login}" in logged or f'CREATE ROLE "{login}"' in logged
        assert made["password"] not in logged
        with psycopg.connect(pg_cluster.admin_dsn(database), autocommit=True) as conn:
            row = conn.execute(
                "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (login,)
            ).fetchone()
        assert row is not None and row[0].startswith("SCRAM-SHA-256$4096:")
    finally:
        with psycopg.connect(pg_cluster.admin_dsn(database), autocommit=True) as conn:
            conn.execute(f"DROP ROLE {login}")


def test_sql_login_gets_the_time_limits_of_doublex_app(
    cli: CliRunner, pg_cluster: Any, database: str
) -> None:
    """A login made by `sql-login create` has doublex_app's role settings (migration 0013's
    time limits, SERIALIZABLE, search_path): without them a tenant's reporting login could
    sit in `BEGIN; SELECT pg_current_xact_id();` for ever, holding back the horizon of every
    tenant's balance roll-up (roll_up_balances folds only below the oldest running
    transaction) and the vacuum's."""
    login = f"limited_{database}"
    as_json(cli, "sql-login", "create", login, "--cap", "read")
    try:
        settings = ", ".join(
            f"current_setting('{name}')"
            for name in (
                "statement_timeout",
                "lock_timeout",
                "idle_in_transaction_session_timeout",
                "default_transaction_isolation",
            )
        )
        answers = []
        for user in ("doublex_app", login):
            with psycopg.connect(pg_cluster.cluster.dsn(database, user=user)) as conn:
                answers.append(conn.execute(f"SELECT {settings}").fetchone())
        assert answers[1] == answers[0]
        assert answers[1] == ("1min", "10s", "30s", "serializable")
    finally:
        with psycopg.connect(pg_cluster.admin_dsn(database), autocommit=True) as conn:
            conn.execute(f"DROP ROLE {login}")
