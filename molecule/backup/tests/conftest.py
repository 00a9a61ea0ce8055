"""Helpers for the backup tests: the database host, the S3 host, playbooks and metrics."""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra
import yaml

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = Path(__file__).resolve().parents[1]
VARS = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"]["all"]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
METRICS = "/var/lib/prometheus/node-exporter"

sys.path.insert(0, str(ROOT / "tests" / "testbed"))
from s3client import s3_client  # noqa: E402


def host(name):
    return testinfra.get_host(f"docker://{name}")


@pytest.fixture(scope="module")
def db():
    return host("backup-db")


@pytest.fixture(scope="module")
def s3_host():
    return host("backup-s3")


@pytest.fixture(scope="module")
def s3(s3_host):
    """An S3 client on the controller, against the test S3 host (TLS with the scenario's CA)."""
    return s3_client(s3_host.interface("eth0").addresses[0], VARS)


def sql(db, statement, database="app"):
    """SQL as the postgres superuser on the database host; returns psql's unaligned output."""
    out = db.run(f"sudo -u postgres psql -d {database} -qXAt -v ON_ERROR_STOP=1 -c {shlex.quote(statement)}")
    assert out.rc == 0, out.stderr
    return out.stdout.strip()


def playbook(name, **extra):
    """Run one of the collection's playbooks against the scenario's inventory."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    cmd = ["ansible-playbook", "-i", inventory, str(ROOT / "playbooks" / name), "-e", json.dumps(extra)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)


def metrics(db, job):
    text = db.run(f"cat {METRICS}/shipshape_backup_{job.replace('-', '_')}.prom").stdout
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("{", 1)[0], line.rsplit(" ", 1)[1]
            out[name.removeprefix("shipshape_backup_")] = float(value)
    return out


def wait_archived(db):
    """Switch WAL and wait until it is in the repository (pgbackrest check does both)."""
    out = db.run("sudo -u postgres pgbackrest --stanza=backup-db check")
    assert out.rc == 0, out.stderr
