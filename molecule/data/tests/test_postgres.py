"""PostgreSQL and PgBouncer, judged from the app host, an outsider, and the server's own views."""

import importlib.util
import re
import shlex
import time
from pathlib import Path

import pytest
from conftest import DB_HOSTS, OUTSIDER, USERS, host, psql, superuser

pytestmark = pytest.mark.parametrize("db", DB_HOSTS)


WRONG = "not-the-password-at-all-000"


def ok(result):
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def refused(result, *wording):
    assert result.rc != 0, f"expected a refusal, got: {result.stdout}"
    text = result.stderr + result.stdout
    assert any(w in text for w in wording), text
    return text


@pytest.fixture
def items(app_host, db):
    """A table the migration role creates now, after converge (directly, over TLS, as migrations do)."""
    ok(psql(app_host, db, "migrate", "DROP TABLE IF EXISTS items", port=5432))
    ok(psql(app_host, db, "migrate", "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)", port=5432))
    return "items"


def test_app_role_has_dml_on_a_table_created_after_converge(app_host, db, items):
    # The id comes back from the server, not from this test.
    new_id = int(ok(psql(app_host, db, "app", "INSERT INTO items (name) VALUES ('one') RETURNING id")))
    assert ok(psql(app_host, db, "app", f"UPDATE items SET name = 'uno' WHERE id = {new_id} RETURNING name")) == "uno"  # noqa: S608 - an int
    assert ok(psql(app_host, db, "app", "SELECT name FROM items")) == "uno"
    assert ok(psql(app_host, db, "readonly", "SELECT count(*) FROM items")) == "1"
    assert ok(psql(app_host, db, "app", f"DELETE FROM items WHERE id = {new_id} RETURNING id")) == str(new_id)  # noqa: S608


def test_objects_the_migrations_create_belong_to_the_owner_role(db, items):
    assert ok(superuser(db, "SELECT tableowner FROM pg_tables WHERE tablename = 'items'", port=5432)) == "app_owner"


@pytest.mark.parametrize(
    ("sql", "wording"),
    [
        ("CREATE TABLE intruder (id int)", "permission denied for schema app"),
        ("CREATE TABLE public.intruder (id int)", "permission denied for schema public"),
        ("DROP TABLE items", "must be owner of table items"),
        ("TRUNCATE items", "permission denied for table items"),
        ("CREATE ROLE intruder", "permission denied to create role"),
        ("CREATE DATABASE intruder", "permission denied to create database"),
        ("ALTER SYSTEM SET work_mem = '1GB'", "must be superuser"),
    ],
)
def test_app_role_cannot_change_the_schema_or_the_server(app_host, db, items, sql, wording):
    refused(psql(app_host, db, "app", sql), wording, "permission denied to set parameter")


def test_readonly_role_cannot_write(app_host, db, items):
    refused(
        psql(app_host, db, "readonly", "INSERT INTO items (name) VALUES ('x')"),
        "read-only transaction",
        "permission denied",
    )


def test_migration_role_cannot_create_outside_its_schema(app_host, db):
    refused(
        psql(app_host, db, "migrate", "CREATE TABLE public.stray (id int)", port=5432),
        "permission denied for schema public",
    )


def test_owner_role_cannot_log_in(db):
    assert ok(superuser(db, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'app_owner'")) == "f"


@pytest.mark.parametrize("port", [5432, 6432])
def test_a_host_outside_the_app_group_is_refused_even_with_the_password(db, port):
    outsider = host(OUTSIDER[db])
    refused(
        psql(outsider, db, "app", "SELECT 1", port=port),
        "no pg_hba.conf entry",
        "login rejected",
        "no authentication method",
    )


@pytest.mark.parametrize("port", [5432, 6432])
def test_a_wrong_password_fails(app_host, db, port):
    refused(
        psql(app_host, db, "app", "SELECT 1", port=port, secret=WRONG),
        "password authentication failed",
        "SASL authentication failed",
    )


@pytest.mark.parametrize("port", [5432, 6432])
def test_remote_connections_need_tls(app_host, db, port):
    refused(
        psql(app_host, db, "app", "SELECT 1", port=port, sslmode="disable"),
        "no encryption",
        "login rejected",
        "no authentication method",
    )
    assert ok(psql(app_host, db, "app", "SELECT 1", port=port)) == "1"


def test_app_connects_through_pgbouncer_in_transaction_mode(app_host, db):
    # Through PgBouncer the server sees a local-socket connection, not the app host.
    assert ok(psql(app_host, db, "app", "SELECT coalesce(host(inet_client_addr()), 'socket')")) == "socket"
    assert (
        ok(psql(app_host, db, "app", "SELECT host(inet_client_addr())", port=5432))
        == host("data-app").interface("eth0").addresses[0]
    )
    pools = ok(superuser(db, "SHOW POOLS", port=6432, dbname="pgbouncer"))
    assert re.search(r"^app\|app\|.*\|transaction", pools, re.MULTILINE), pools


def test_pgbouncer_console_is_for_the_postgres_os_user_only(app_host, db):
    over_tcp = app_host.run(
        f"PGPASSWORD=guess psql 'host={db} port=6432 dbname=pgbouncer user=postgres sslmode=require' -XAtc 'SHOW POOLS'"
    )
    refused(over_tcp, "no authentication method", "login rejected")
    as_nobody = host(db).run(
        "cd / && sudo -u nobody psql -h /var/run/postgresql -p 6432 -U postgres -XAtc 'SHOW POOLS' pgbouncer"
    )
    refused(as_nobody, "unix socket login rejected")


def test_app_role_carries_its_timeouts(app_host, db):
    assert ok(psql(app_host, db, "app", "SHOW statement_timeout")) == "30s"
    assert ok(psql(app_host, db, "app", "SHOW idle_in_transaction_session_timeout")) == "1min"
    refused(psql(app_host, db, "app", "SET statement_timeout = '1s'; SELECT pg_sleep(2)"), "statement timeout")


def test_memory_settings_follow_the_host(db):
    mem_kb = int(host(db).run("awk '/^MemTotal/ {print $2}' /proc/meminfo").stdout)
    expected_mb = (2048 if db == "data-deb13" else mem_kb // 1024) // 4
    got = ok(superuser(db, "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'"))
    assert int(got) == expected_mb
    assert ok(superuser(db, "SELECT count(*) FROM pg_settings WHERE pending_restart")) == "0"


def test_slow_queries_and_connections_are_logged(app_host, db):
    marker = f"slow_marker_{int(time.time())}"
    ok(psql(app_host, db, "app", f"SELECT pg_sleep(0.6), '{marker}'"))
    log = host(db).run("cat /var/log/postgresql/postgresql-*-main.log").stdout
    assert re.search(rf"duration: \d+\.\d+ ms\s+statement: SELECT pg_sleep\(0\.6\), '{marker}'", log), log[-2000:]
    assert "connection authorized: user=app database=app" in log


def controller_verifier(password, context):
    """The verifier the shipshape.server.scram_sha256 filter computes on the controller."""
    path = Path(__file__).resolve().parents[3] / "plugins" / "filter" / "data.py"
    spec = importlib.util.spec_from_file_location("shipshape_data_filters", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.scram_sha256(password, context)


def test_passwords_reach_the_server_only_as_verifiers_computed_on_the_controller(db):
    """The stored verifier is the controller's (a server-side hash has a random salt), and no password is in any
    PostgreSQL log."""
    log = host(db).run("cat /var/log/postgresql/*.log").stdout
    for user, password in USERS.values():
        stored = ok(superuser(db, f"SELECT rolpassword FROM pg_authid WHERE rolname = '{user}'"))  # noqa: S608
        assert stored == controller_verifier(password, f"{db}/{user}"), user
        assert password not in log, user


def test_pg_hba_holds_only_peer_and_scram(db):
    methods = ok(superuser(db, "SELECT DISTINCT auth_method FROM pg_hba_file_rules ORDER BY 1")).split()
    assert methods == ["peer", "scram-sha-256"]


def test_connection_limit_of_the_readonly_role_holds(app_host, db):
    # Ten sessions (the limit) held open for a few seconds; the eleventh is refused.
    conninfo = f"host={db} port=5432 dbname=app user=app_readonly sslmode=require"
    hold = f"psql {shlex.quote(conninfo)} -qXAtc 'SELECT pg_sleep(8)'"
    app_host.run(
        f"export PGPASSWORD={shlex.quote(USERS['readonly'][1])}; ({' & '.join([hold] * 10)}) >/dev/null 2>&1 &"
    )
    # On a loaded machine ten TLS logins take a while: wait until all ten are in, then try the eleventh.
    count = "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app_readonly'"
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and ok(superuser(db, count)) != "10":
        time.sleep(0.2)
    assert ok(superuser(db, count)) == "10"
    refused(psql(app_host, db, "readonly", "SELECT 1", port=5432), "too many connections for role")
    while ok(superuser(db, count)) != "0" and time.monotonic() < deadline + 10:
        time.sleep(0.5)
    assert ok(psql(app_host, db, "readonly", "SELECT 1", port=5432)) == "1"
