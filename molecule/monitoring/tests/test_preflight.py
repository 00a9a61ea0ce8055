"""Bad monitoring input fails in preflight, names the variable, and changes nothing."""

import sys
from pathlib import Path

from conftest import VARS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import preflight_tests

ROLES = ["exporters", "monitoring"]
GOOD = {k: v for k, v in VARS.items() if k.startswith(("monitoring_", "redis_", "postgres_"))}

CASES = {
    # A newline would add a flag to the daemon's ARGS line (here: the admin API).
    "newline-in-retention": ({"monitoring_retention": "15d\n--web.enable-admin-api"}, "monitoring_retention"),
    "flag-in-retention": ({"monitoring_retention": "15d --web.enable-admin-api"}, "monitoring_retention"),
    "wildcard-ui": ({"monitoring_listen_address": "0.0.0.0"}, "monitoring_listen_address"),  # noqa: S104
    "same-ui-ports": ({"monitoring_alertmanager_port": 9090}, "monitoring_alertmanager_port"),
    "bad-for": ({"monitoring_alert_redis_down_for": "five minutes"}, "monitoring_alert_redis_down_for"),
    "ratio-above-one": ({"monitoring_alert_http_5xx_ratio": 5}, "monitoring_alert_http_5xx_ratio"),
    "webhook-not-a-url": ({"monitoring_webhooks": [{"url": "file:///etc/shadow"}]}, "monitoring_webhooks"),
    "unknown-webhook-kind": (
        {"monitoring_webhooks": [{"url": "https://x.test/", "kind": "pager"}]},
        "monitoring_webhooks",
    ),
    "email-without-smtp": ({"monitoring_email_to": ["ops@example.test"]}, "monitoring_smtp_host"),
    "exporter-on-wildcard": ({"exporters_listen_address": "0.0.0.0"}, "exporters_listen_address"),  # noqa: S104
    "exporters-share-a-port": ({"exporters_redis_port": 9100}, "exporters_redis_port"),
    "monitor-user-is-admin": ({"redis_monitor_user": "admin"}, "redis_monitor_user"),
}


results, test_bad_input_fails_in_preflight_naming_the_variable = preflight_tests(
    "mon-data", ["redis", *ROLES], CASES, common=GOOD
)
