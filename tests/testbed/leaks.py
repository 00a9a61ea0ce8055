"""Secrets that must never show: runs at -vvv and every host's journal, grepped for each secret of the inventory.

A secret is an inventory value whose name says so (password, secret, passphrase, token); its value is looked
for verbatim and URL-encoded, since URLs carry passwords that way.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"(password|secret|passphrase|token)", re.IGNORECASE)


def secrets(variables: dict) -> dict[str, str]:
    """name -> value for every secret-named string of at least 12 characters."""
    return {k: v for k, v in variables.items() if SECRET_NAME.search(k) and isinstance(v, str) and len(v) >= 12}


def hits(text: str, found: dict[str, str]) -> list[str]:
    """The names of the secrets that appear in text (verbatim or URL-encoded)."""
    return sorted(name for name, value in found.items() if value in text or quote(value, safe="") in text)


def run_verbose(playbook: str, **extra) -> subprocess.CompletedProcess:
    """A playbook (of the collection, or a path) at -vvv against the running scenario's inventory."""
    path = playbook if playbook.startswith("/") else str(ROOT / "playbooks" / playbook)
    cmd = ["ansible-playbook", "-vvv", "-i", os.environ["MOLECULE_INVENTORY_FILE"], path]
    cmd += ["-e", json.dumps(extra)] if extra else []
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1200, check=False)


def journal(container: str) -> str:
    done = subprocess.run(
        ["docker", "exec", container, "journalctl", "--no-pager", "-o", "cat"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout
