"""Redis: acknowledged writes survive kill -9, the app user is fenced in, the default user is off."""

import hashlib
import time

import pytest
from conftest import DB_HOSTS, SOCKET, TLS, VARS, host, redis

pytestmark = pytest.mark.parametrize("db", DB_HOSTS)


WRONG = "not-the-password-at-all-000"


def main_pid(server):
    return int(host(server).run("systemctl show -P MainPID redis-server").stdout.strip())


def test_acknowledged_writes_survive_kill_9(db):
    server = host(db)
    redis(server, "127.0.0.1", "--scan", "--pattern", "durability:*", user="admin")
    server.run(
        "REDISCLI_AUTH=%s redis-cli -s %s --user admin --no-auth-warning EVAL %s 0",
        VARS["redis_admin_password"],
        SOCKET,
        "for _, k in ipairs(redis.call('KEYS', 'durability:*')) do redis.call('DEL', k) end",
    )
    writes = server.run(
        "seq 1 1000 | sed 's/.*/SET durability:& value-&/'"
        " | REDISCLI_AUTH=%s redis-cli -s %s --user app --no-auth-warning",
        VARS["redis_app_password"],
        SOCKET,
    )
    assert writes.rc == 0 and writes.stdout.split().count("OK") == 1000, writes.stdout[-500:]
    time.sleep(2)
    before = main_pid(db)
    assert server.run("kill -9 %s", str(before)).rc == 0
    # systemd (Restart=always) brings it back; Ansible plays no part.
    for _ in range(60):
        time.sleep(0.5)
        pid = main_pid(db)
        if pid not in (0, before) and redis(server, "127.0.0.1", "PING", user="admin").stdout.strip() == "PONG":
            break
    else:
        pytest.fail("redis-server did not come back within 30 s")
    keys = redis(server, "127.0.0.1", "--scan", "--pattern", "durability:*", user="admin").stdout.split()
    assert len(keys) == 1000
    assert redis(server, "127.0.0.1", "GET", "durability:777").stdout.strip() == "value-777"


@pytest.mark.parametrize(
    "command",
    [["FLUSHALL"], ["FLUSHDB"], ["CONFIG", "GET", "maxmemory"], ["KEYS", "*"], ["DEBUG", "SLEEP", "0"], ["SHUTDOWN"]],
)
def test_app_user_gets_noperm_for_dangerous_commands(app_host, db, command):
    out = redis(app_host, db, *command).stdout
    # DEBUG is also switched off for everyone (enable-debug-command no).
    assert "NOPERM" in out or "DEBUG command not allowed" in out, out


def test_app_user_works_from_the_app_host(app_host, db):
    assert redis(app_host, db, "SET", "from-app", "hello").stdout.strip() == "OK"
    assert redis(app_host, db, "GET", "from-app").stdout.strip() == "hello"


def test_remote_clients_get_tls_only(app_host, db):
    """The plaintext port is off: a client without TLS gets no answer, not even a refusal to log in."""
    run = redis(app_host, db, "PING")
    assert run.stdout.strip() == "PONG", run.stdout + run.stderr
    plain = app_host.run(
        "REDISCLI_AUTH=%s redis-cli -h %s --user app --no-auth-warning PING", VARS["redis_app_password"], db
    )
    assert "PONG" not in plain.stdout and "NOAUTH" not in plain.stdout, plain.stdout + plain.stderr


def test_default_user_cannot_log_in(app_host, db):
    anonymous = app_host.run(f"redis-cli -h %s {TLS} PING", db).stdout
    assert "NOAUTH" in anonymous, anonymous
    run = app_host.run(f"redis-cli -h %s {TLS} --no-auth-warning --user default --pass anything PING", db)
    as_default = run.stdout + run.stderr
    assert "WRONGPASS" in as_default or "AUTH failed" in as_default, as_default


def test_a_wrong_password_fails(app_host, db):
    run = redis(app_host, db, "PING", password=WRONG)
    out = run.stdout + run.stderr
    assert "WRONGPASS" in out or "AUTH failed" in out, out


def test_durability_and_limits_are_in_force(db):
    server = host(db)

    def get(name):
        return redis(server, "127.0.0.1", "CONFIG", "GET", name, user="admin").stdout.splitlines()[1]

    assert get("appendonly") == "yes"
    assert get("appendfsync") == "everysec"
    assert get("aof-use-rdb-preamble") == "yes"
    assert get("save") == "3600 1 300 100 60 10000"
    if db == "data-deb13":
        assert get("maxmemory") == str(256 * 1024**2)
        assert get("maxmemory-policy") == "allkeys-lru"
    else:
        mem_kb = int(server.run("awk '/^MemTotal/ {print $2}' /proc/meminfo").stdout)
        assert get("maxmemory") == str(mem_kb // 1024 // 4 * 1024**2)
        assert get("maxmemory-policy") == "noeviction"


def test_passwords_are_stored_hashed(db):
    acl = host(db).run("cat /etc/redis/users.acl").stdout
    # The metrics exporter's password is derived from the admin password (the redis role's default).
    monitor = hashlib.sha256(f"{VARS['redis_admin_password']}:monitor".encode()).hexdigest()
    for secret in (VARS["redis_app_password"], VARS["redis_admin_password"], monitor):
        assert secret not in acl
    assert acl.count(" #") == 3, acl  # app, admin and monitor, each as a SHA-256
