"""Helpers for the app tests: the host, deploys through playbooks/deploy.yml, and the load loop on the host."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import testinfra
import yaml

ROOT = Path(__file__).resolve().parents[3]
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
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    cmd = ["ansible-playbook", "-i", inventory, str(ROOT / "playbooks" / "deploy.yml"), "-e", f"app_image={image}"]
    cmd += ["-e", json.dumps(extra)] if extra else []
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)


class Load:
    """The bounded load loop (tests/testbed/load.py) running on the host, through nginx with TLS."""

    def __init__(self, seconds, rate=60, path="/"):
        cmd = ["docker", "exec", HOST, "shipshape-load", URL.rstrip("/") + path, "--cafile", CERT]
        cmd += ["--rate", str(rate), "--seconds", str(seconds)]
        self.started = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def result(self):
        out, err = self.proc.communicate(timeout=600)
        assert self.proc.returncode == 0, err
        return json.loads(out)


def live_container(app_host):
    state = json.loads(app_host.file("/var/lib/shipshape/app/live.json").content_string)
    return f"app-{state['slot']}", state


def inspect(app_host, name):
    out = app_host.run(f"docker inspect {name}")
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout)[0]
