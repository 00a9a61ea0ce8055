"""Helpers for the PM2 tests: the host, PM2 as the app user, and the load loop."""

import json
import sys
from pathlib import Path

import pytest
import testinfra
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
import traffic
from traffic import playbook

SCENARIO = Path(__file__).resolve().parents[1]
VARS = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"]["all"]
HOST = "pm2-host"
URL = "https://node.shipshape.test/"
CERT = "/etc/shipshape/tls/node/fullchain.pem"


@pytest.fixture(scope="module")
def node_host():
    return testinfra.get_host(f"docker://{HOST}")


def pm2(host, *args):
    out = host.run("runuser -u shop -- env PM2_HOME=/var/lib/shop-pm2 pm2 " + " ".join(args))
    assert out.rc == 0, out.stderr
    return out.stdout


def workers(host):
    return [p for p in json.loads(pm2(host, "jlist")) if p["name"] == "shop"]


def deploy(**extra):
    return playbook("deploy.yml", **extra)


def Load(seconds, rate=60):
    return traffic.Load(HOST, URL, CERT, seconds, rate)
