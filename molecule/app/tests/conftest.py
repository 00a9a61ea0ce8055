"""Helpers for the app tests: the host, deploys through playbooks/deploy.yml, and the load loop on the host."""

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
HOST = "app-host"
URL = "https://app.shipshape.test/"
CERT = "/etc/shipshape/tls/app/fullchain.pem"


@pytest.fixture(scope="module")
def app_host():
    return testinfra.get_host(f"docker://{HOST}")


def deploy(image, **extra):
    """Run the collection's deploy playbook against the scenario's inventory."""
    return playbook("deploy.yml", app_image=image, **extra)


def Load(seconds, rate=60):
    return traffic.Load(HOST, URL, CERT, seconds, rate)


def live_container(app_host):
    state = json.loads(app_host.file("/var/lib/shipshape/app/live.json").content_string)
    return f"app-{state['slot']}", state


def inspect(app_host, name):
    out = app_host.run(f"docker inspect {name}")
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout)[0]
