"""Helpers for the PM2 tests: the host, PM2 as the app user, and the load loop."""

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
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    cmd = ["ansible-playbook", "-i", inventory, str(ROOT / "playbooks" / "deploy.yml"), "-e", json.dumps(extra)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)


class Load:
    def __init__(self, seconds, rate=60):
        cmd = ["docker", "exec", HOST, "shipshape-load", URL, "--cafile", CERT, "--rate", str(rate)]
        cmd += ["--seconds", str(seconds)]
        self.started = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def result(self):
        out, err = self.proc.communicate(timeout=600)
        assert self.proc.returncode == 0, err
        return json.loads(out)
