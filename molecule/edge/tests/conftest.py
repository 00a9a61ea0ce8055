"""Helpers for the edge tests: the web host, the outside client (the ACME host), and curl between them."""

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
import testinfra
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
VARS = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"]["edge"]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
DOMAIN = "www.shipshape.test"
ROOT_PEM = "/tmp/pebble-root.pem"  # noqa: S108 - a path on the test hosts


def host(name):
    return testinfra.get_host(f"docker://{name}")


@pytest.fixture(scope="module")
def web():
    return host("edge-web")


@pytest.fixture(scope="module")
def client():
    """The ACME host doubles as an outside client (not in nginx_admin_cidrs)."""
    return host("edge-acme")


@pytest.fixture(scope="session")
def pebble_root():
    """Pebble makes a new root at every start: fetch it, and trust only it in the checks."""
    acme = host("edge-acme")
    out = acme.run("curl -sSf https://edge-acme:15000/roots/0")
    assert out.rc == 0 and "BEGIN CERTIFICATE" in out.stdout, out.stderr
    for name in ("edge-acme", "edge-web"):
        host(name).run(f"printf '%s' {shlex.quote(out.stdout)} > {ROOT_PEM}")
    local = EPHEMERAL / "pebble-root.pem"
    local.write_text(out.stdout)
    return local


def curl(on, url, *args, resolve_local=False):
    """curl from a test host with pebble's root as the only trust; returns (exit code, status, headers, body)."""
    extra = [f"--resolve {DOMAIN}:443:127.0.0.1", "--resolve shipshape.test:443:127.0.0.1"] if resolve_local else []
    cmd = " ".join(
        ["curl -sS --max-time 10 --cacert", ROOT_PEM, "-D /tmp/headers -o /tmp/body -w '%{http_code}'"]
        + extra
        + [shlex.quote(a) for a in args]
        + [shlex.quote(url)]
    )
    out = on.run(cmd)
    headers = {}
    for line in on.run("cat /tmp/headers").stdout.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    # Printable characters only: a compressed body is binary.
    body = on.run("LC_ALL=C tr -cd '\\11\\12\\15\\40-\\176' < /tmp/body").stdout
    return out.rc, out.stdout.strip(), headers, body


def served_serial(on, name=DOMAIN):
    handshake = f"echo | openssl s_client -connect {name}:443 -servername {name} 2>/dev/null"
    out = on.run(f"{handshake} | openssl x509 -noout -serial -issuer")
    assert out.rc == 0, out.stderr
    return out.stdout


def nginx_master(web):
    return web.run("systemctl show -p MainPID --value nginx").stdout.strip()


def web_address():
    inspect = subprocess.run(["docker", "inspect", "edge-web"], capture_output=True, text=True, check=True)
    networks = json.loads(inspect.stdout)[0]["NetworkSettings"]["Networks"]
    return next(iter(networks.values()))["IPAddress"]
