"""The collection as Galaxy ships it, for the tests: its tarball built from this checkout, and installed into an
empty collections path with an environment in which that copy is the only shipshape.server (its dependencies are
the collections bundled in the `ansible` package, as on a controller that installed Ansible from PyPI)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build(out: Path) -> Path:
    """`ansible-galaxy collection build` of the checkout into `out`; the tarball's path."""
    done = subprocess.run(
        ["ansible-galaxy", "collection", "build", "--output-path", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (tarball,) = Path(out).glob("shipshape-server-*.tar.gz")
    return tarball


def install(tarball: Path, where: Path) -> dict[str, str]:
    """Install the tarball into `where`; an environment whose only copy of the collection is that one (no other
    collections path, and a HOME of its own so that ~/.ansible adds none)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_COLLECTIONS_PATH")}
    env |= {"ANSIBLE_COLLECTIONS_PATH": str(where)}
    # In that environment, or ansible-galaxy finds the checkout's copy and installs nothing.
    done = subprocess.run(
        ["ansible-galaxy", "collection", "install", "--no-deps", "-p", str(where), str(tarball)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=where,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (where / "ansible_collections" / "shipshape" / "server" / "MANIFEST.json").is_file()
    return env
