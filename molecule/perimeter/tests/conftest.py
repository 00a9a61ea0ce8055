"""Helpers shared by the perimeter tests: the controller's view and the client's view."""

import os
import subprocess
from pathlib import Path

import pytest
import testinfra

SCENARIO = Path(__file__).resolve().parents[1]
KEY = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "id_ed25519"
SSH_PORTS = {"perim-deb12": 2222, "perim-deb13": 2223}


def docker_host(name):
    return testinfra.get_host(f"docker://{name}")


@pytest.fixture(scope="module")
def client():
    return docker_host("perim-client")


def target_ip(name):
    return docker_host(name).interface("eth0").addresses[0]


def ssh(port, *args, user="deploy", key=KEY, timeout=20):
    """A real SSH client on the controller, against a port published on 127.0.0.1."""
    opts = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5"]
    cmd = ["ssh", "-p", str(port), *opts, *(["-i", str(key)] if key else []), *args, f"{user}@127.0.0.1", "true"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def reachable(client, ip, port, timeout=3):
    return client.run(f"timeout {timeout} bash -c '</dev/tcp/{ip}/{port}'").rc == 0
