"""Bad app input fails in preflight, names the variable, and changes nothing."""

import sys
from pathlib import Path

from conftest import VARS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import preflight_tests

CASES = {
    "short-jwt-secret": ({"app_jwt_secret": "too-short-secret"}, "app_jwt_secret"),
    "placeholder-session-secret": ({"app_session_secret": "changeme" * 5}, "app_session_secret"),
    "missing-admin-token": ({"app_admin_token": ""}, "app_admin_token"),
    "same-ports": ({"app_green_port": 8001}, "app_green_port"),
    "port-taken-by-pgbouncer": ({"app_blue_port": 6432}, "app_blue_port"),
    "unknown-runtime": ({"app_runtime": "kubernetes"}, "app_runtime"),
    "bad-image": ({"app_image": "Shipshape App:v1"}, "app_image"),
    "registry-with-a-path": ({"app_registry": "../../etc/docker"}, "app_registry"),
    "registry-ca-a-key": ({"app_registry_ca_pem": "-----BEGIN PRIVATE KEY-----\nx\n"}, "app_registry_ca_pem"),
    "site-with-own-upstreams": (
        {"nginx_sites": [{**VARS["nginx_sites"][0], "upstreams": ["127.0.0.1:9000"]}]},
        "app_nginx_site",
    ),
}

results, test_bad_input_fails_in_preflight_naming_the_variable = preflight_tests(
    "app-host", ["app"], CASES, common=VARS
)
