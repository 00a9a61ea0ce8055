"""Bad data-tier input fails in preflight, names the variable, and changes nothing."""

import sys
from pathlib import Path

from conftest import VARS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import preflight_tests

ROLES = ["postgres", "redis"]
GOOD = {k: v for k, v in VARS.items() if k.startswith(("postgres_", "redis_"))}

CASES = {
    "short-pg-password": ({"postgres_app_password": "short-but-not-24"}, "postgres_app_password"),
    "placeholder-pg-password": ({"postgres_migration_password": "changeme" * 4}, "postgres_migration_password"),
    "empty-redis-password": ({"redis_admin_password": ""}, "redis_admin_password"),
    "repeated-word-redis-password": ({"redis_app_password": "secret-secret-secret-secret"}, "redis_app_password"),
    "keyboard-walk-pg-password": (
        {"postgres_readonly_password": "qwertyuiop1234567890asdfgh"},
        "postgres_readonly_password",
    ),
    "maxmemory-above-host": ({"redis_maxmemory": "100000gb"}, "redis_maxmemory"),
    "unknown-eviction": ({"redis_maxmemory_policy": "evict-whatever"}, "redis_maxmemory_policy"),
    "remote-without-app-hosts": (
        {"postgres_remote_access": True, "shipshape_groups": {"app": "nobody"}},
        "postgres_remote_access",
    ),
    "redis-remote-without-app-hosts": (
        {"redis_remote_access": True, "shipshape_groups": {"app": "nobody"}},
        "redis_remote_access",
    ),
    "same-ports": ({"postgres_pgbouncer_port": 5432}, "postgres_pgbouncer_port"),
    "redis-on-pg-port": ({"redis_port": 6432}, "redis_port"),
    "md5-in-hba": (
        {"postgres_hba_extra": [{"contype": "host", "address": "10.0.0.0/8", "method": "md5"}]},
        "postgres_hba_extra",
    ),
    "pool-over-limit": ({"postgres_pgbouncer_pool_size": 60}, "postgres_pgbouncer_pool_size"),
    "password-in-acl": ({"redis_app_acl": "on >hunter2 ~* +@all"}, "redis_app_acl"),
    "bad-schema-name": ({"postgres_schema": "App; DROP"}, "postgres_schema"),
    # An address is one host: a wildcard or a network would let far more than the app hosts in.
    "wildcard-redis-address": ({"redis_listen_address": "0.0.0.0"}, "redis_listen_address"),  # noqa: S104
    "network-as-pg-address": ({"postgres_listen_address": "10.0.0.5/24"}, "postgres_listen_address"),
    "newline-after-pg-address": ({"postgres_listen_address": "10.0.0.5\n"}, "postgres_listen_address"),
}


results, test_bad_input_fails_in_preflight_naming_the_variable = preflight_tests(
    "data-deb13", ROLES, CASES, common=GOOD
)
