"""Bad monitoring input fails in preflight, names the variable, and changes nothing."""

import sys
from pathlib import Path

from conftest import VARS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import preflight_tests

ROLES = ["exporters", "monitoring", "logs"]
GOOD = {k: v for k, v in VARS.items() if k.startswith(("monitoring_", "redis_", "postgres_", "logs_"))}

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
    "mtail-on-node-port": ({"exporters_mtail_port": 9100}, "exporters_mtail_port"),
    # The central log directory is removed by rotation: never a system directory.
    "logs-in-var-log": ({"logs_dir": "/var/log"}, "logs_dir"),
    "quote-in-log-path": ({"logs_files": [{"path": '/var/log/x"; module(load="omprog")', "tag": "x"}]}, "logs_files"),
    "no-retention": ({"logs_retention_days": 0}, "logs_retention_days"),
    "queue-size-not-a-size": ({"logs_queue_max_disk": "lots"}, "logs_queue_max_disk"),
}


results, test_bad_input_fails_in_preflight_naming_the_variable = preflight_tests(
    "mon-data", ["redis", *ROLES], CASES, common=GOOD
)
