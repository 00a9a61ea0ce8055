"""Helpers for the site tests: the fleet's hosts, probes from one host to another, the collection's playbooks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
import traffic
from traffic import playbook  # noqa: F401 (re-exported for the tests)

SCENARIO = Path(__file__).resolve().parents[1]
MOLECULE = yaml.safe_load((SCENARIO / "molecule.yml").read_text())
VARS = MOLECULE["provisioner"]["inventory"]["group_vars"]["all"]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
GROUPS = {p["name"]: set(p["groups"]) for p in MOLECULE["platforms"]}
FLEET = [name for name, groups in GROUPS.items() if "s3" not in groups]
EDGE, APPS, DB, CACHE, OUT = "site-edge", ["site-app1", "site-app2"], "site-db", "site-cache", "site-out"
URL = "https://app.shipshape.test/"
CERT = "/etc/shipshape/tls/app/fullchain.pem"
FLEET_CA, FLEET_CERT = "/etc/ssl/shipshape-fleet/ca.crt", "/etc/ssl/shipshape-fleet/host.crt"


def host(name):
    return testinfra.get_host(f"docker://{name}")


def ip(name):
    return host(name).interface("eth0").addresses[0]


def reachable(src, dst, port, timeout=3):
    """A TCP connection from one test host to another answers (a refused or dropped one does not)."""
    return host(src).run(f"timeout {timeout} bash -c '</dev/tcp/{ip(dst)}/{port}'").rc == 0


@pytest.fixture(scope="session")
def out_trusts_the_edge():
    """The outsider trusts the edge's certificate (nginx's bootstrap certificate: the edge scenario covers ACME)."""
    pem = host(EDGE).file(CERT).content_string
    subprocess.run(
        ["docker", "exec", "-i", OUT, "sh", "-c", f"cat > {CERT.rsplit('/', 1)[-1]}"], input=pem, text=True, check=True
    )
    return f"/{CERT.rsplit('/', 1)[-1]}"


def load(cafile, seconds, rate=60):
    """The load loop on the outsider, through the edge, as any client would come."""
    return traffic.Load(OUT, URL, cafile, seconds, rate)
