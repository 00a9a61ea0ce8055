"""Bad edge input fails in preflight, names the variable, and changes nothing."""

import sys
from pathlib import Path

from conftest import VARS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import preflight_tests

ROLES = ["nginx", "certbot"]
SITE = VARS["nginx_sites"][0]
PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory"

CASES = {
    "invalid-domain": ({"nginx_sites": [{**SITE, "server_names": ["shop_1.example.com"]}]}, "nginx_sites"),
    "wildcard-domain": ({"nginx_sites": [{**SITE, "server_names": ["*.shipshape.test"]}]}, "nginx_sites"),
    "same-name-twice": (
        {
            "nginx_sites": [
                SITE,
                {**SITE, "name": "blog", "server_names": ["blog.shipshape.test", "WWW.shipshape.test"]},
            ]
        },
        "nginx_sites",
    ),
    "production-without-email": ({"certbot_server": PRODUCTION, "certbot_email": ""}, "certbot_email"),
    "ports-collide": ({"nginx_status_port": 443}, "nginx_status_port"),
    "preload-too-short": ({"nginx_hsts_preload": True, "nginx_hsts_max_age": 86400}, "nginx_hsts_max_age"),
    "bad-upstream": ({"nginx_sites": [{**SITE, "upstreams": ["http://127.0.0.1:8080"]}]}, "upstreams"),
    "quote-in-csp": ({"nginx_content_security_policy": "default-src 'self'\"; evil"}, "nginx_content_security_policy"),
}


results, test_bad_input_fails_in_preflight_naming_the_variable = preflight_tests("edge-web", ROLES, CASES, common=VARS)
