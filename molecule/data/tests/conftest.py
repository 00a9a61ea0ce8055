"""Helpers for the data-tier tests: clients on the app host, the outsider and the database hosts themselves."""

import shlex
from pathlib import Path

import pytest
import testinfra
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
VARS = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"]["all"]
DB_HOSTS = ["data-deb12", "data-deb13"]
# Each database host is the other's outsider: it is not in the app group.
OUTSIDER = {"data-deb12": "data-deb13", "data-deb13": "data-deb12"}
USERS = {
    "app": ("app", VARS["postgres_app_password"]),
    "migrate": ("app_migrate", VARS["postgres_migration_password"]),
    "readonly": ("app_readonly", VARS["postgres_readonly_password"]),
}


def host(name):
    return testinfra.get_host(f"docker://{name}")


# Remote clients reach Redis over TLS only (the fleet CA's certificate); tools on a data host use the socket.
FLEET_CA = "/etc/ssl/shipshape-fleet/ca.crt"
SOCKET = "/run/redis/redis-server.sock"
TLS = f"--tls --cacert {FLEET_CA}"


@pytest.fixture(scope="module")
def app_host():
    """The app host, trusting the fleet CA as the app role's hosts do."""
    client = host("data-app")
    pem = host(DB_HOSTS[0]).file(FLEET_CA).content_string
    client.run(f"mkdir -p /etc/ssl/shipshape-fleet && printf %s {shlex.quote(pem)} > {FLEET_CA}")
    return client


def psql(client, server, who, sql, *, port=6432, secret=None, sslmode="require"):  # noqa: PLR0913 - keywords after *
    """Run SQL as one of the app's roles from a client host; returns the testinfra result."""
    user, known = USERS[who]
    conninfo = f"host={server} port={port} dbname=app user={user} sslmode={sslmode} connect_timeout=5"
    auth = shlex.quote(secret or known)
    return client.run(f"PGPASSWORD={auth} psql {shlex.quote(conninfo)} -qXAt -v ON_ERROR_STOP=1 -c {shlex.quote(sql)}")


def superuser(server, sql, port=5432, dbname="app"):
    """SQL as the postgres superuser on the database host itself (peer over the local socket)."""
    return host(server).run(
        f"sudo -u postgres psql -p {port} -qXAt -v ON_ERROR_STOP=1 -d {dbname} -c {shlex.quote(sql)}"
    )


def redis(client, server, *args, user="app", password=None):
    secret = password or (VARS["redis_admin_password"] if user == "admin" else VARS["redis_app_password"])
    cmd = " ".join(shlex.quote(a) for a in args)
    where = f"-s {SOCKET}" if server == "127.0.0.1" else f"-h {server} {TLS}"
    return client.run(f"REDISCLI_AUTH={shlex.quote(secret)} redis-cli {where} --user {user} --no-auth-warning {cmd}")
