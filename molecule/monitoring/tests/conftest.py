"""Helpers for the monitoring tests: Prometheus's API and the webhook sink on the monitoring host."""

import json
import sys
import urllib.parse
from pathlib import Path

import pytest
import testinfra
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
import alertsink
from alertsink import wait_for  # noqa: F401 - the tests import it from here

SCENARIO = Path(__file__).resolve().parents[1]
VARS = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"]["all"]
MON, DATA = "mon-prom", "mon-data"


def host(name):
    return testinfra.get_host(f"docker://{name}")


def address(name):
    return host(name).interface("eth0").addresses[0]


def api(path):
    """GET from Prometheus (or Alertmanager, by port) on the monitoring host's loopback; the decoded JSON."""
    out = host(MON).check_output(f"curl -sf --max-time 5 'http://127.0.0.1:{path}'")
    return json.loads(out)


def value(query):
    """The first value of a PromQL query on the monitoring host's Prometheus, or None."""
    result = api(f"9090/api/v1/query?query={urllib.parse.quote(query)}")["data"]["result"]
    return result[0]["value"][1] if result else None


def posts():
    """Everything Alertmanager has posted to the sink so far."""
    return alertsink.posts(host(MON))


def alert_events(name, since=0):
    """(status, labels) of every alert called name in the posts after the first `since` posts."""
    return alertsink.alert_events(host(MON), name, since)


@pytest.fixture(scope="module")
def mon():
    return host(MON)


@pytest.fixture(scope="module")
def data():
    return host(DATA)
