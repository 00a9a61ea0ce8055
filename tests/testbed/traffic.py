"""Shared by the scenarios that deploy under load: run a collection playbook, and the load loop on a test host."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def playbook(name: str, inventories=(), limit=None, **extra) -> subprocess.CompletedProcess:
    """Run one of the collection's playbooks against the running scenario's inventory (and more inventories)."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    cmd = ["ansible-playbook", "-i", inventory, *[a for i in inventories for a in ("-i", str(i))]]
    cmd += ["--limit", limit] if limit else []
    cmd += [str(ROOT / "playbooks" / name)]
    cmd += ["-e", json.dumps(extra)] if extra else []
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)


class Load:
    """tests/testbed/load.py (installed as shipshape-load) running on a test host, in the background."""

    STOP_FILE = "/run/shipshape-load.stop"

    def __init__(self, host: str, url: str, cafile: str, seconds: float, rate: float = 60):
        self.host = host
        subprocess.run(["docker", "exec", host, "rm", "-f", self.STOP_FILE], check=True)
        cmd = ["docker", "exec", host, "shipshape-load", url, "--cafile", cafile]
        cmd += ["--rate", str(rate), "--seconds", str(seconds), "--stop-file", self.STOP_FILE]
        self.started = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop(self, after: float = 0) -> dict:
        """End the load after a while (say, once a deploy returned), however long it was meant to run."""
        time.sleep(after)
        subprocess.run(["docker", "exec", self.host, "touch", self.STOP_FILE], check=True)
        return self.result()

    def result(self) -> dict:
        out, err = self.proc.communicate(timeout=600)
        assert self.proc.returncode == 0, err
        return json.loads(out)
