"""Bad PM2 input fails in preflight, names the variable, and changes nothing."""

import sys
from pathlib import Path

from conftest import VARS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import preflight_tests

CASES = {
    "missing-source": ({"app_pm2_source": "/nonexistent/app"}, "app_pm2_source"),
    "bad-version": ({"app_version": "v 2"}, "app_version"),
    "bad-instances": ({"app_pm2_instances": "lots"}, "app_pm2_instances"),
}

results, test_bad_input_fails_in_preflight_naming_the_variable = preflight_tests(
    "pm2-host", ["app"], CASES, common=VARS
)
