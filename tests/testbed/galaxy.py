"""The collection as Galaxy ships it, for the tests: its tarball built from this checkout, and installed into an
empty collections path with an environment in which that copy is the only shipshape.server (its dependencies are
the collections bundled in the `ansible` package, as on a controller that installed Ansible from PyPI)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(command, env: dict[str, str] | None = None, cwd=None, timeout: int = 600):
    """One command, its output captured as text (the helper every galaxy test uses); a failure is an assertion that
    shows the command and the tails of its output."""
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-4000:]}\n{done.stderr[-3000:]}"
    return done


def build(out: Path) -> Path:
    """`ansible-galaxy collection build` of the checkout into `out`; the tarball's path."""
    run(["ansible-galaxy", "collection", "build", "--output-path", out, ROOT], timeout=300)
    (tarball,) = Path(out).glob("shipshape-server-*.tar.gz")
    return tarball


def install(tarball: Path, where: Path) -> dict[str, str]:
    """Install the tarball into `where`; an environment whose only copy of the collection is that one (no other
    collections path, and a HOME of its own so that ~/.ansible adds none)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_COLLECTIONS_PATH")}
    env |= {"ANSIBLE_COLLECTIONS_PATH": str(where)}
    # In that environment, or ansible-galaxy finds the checkout's copy and installs nothing.
    run(["ansible-galaxy", "collection", "install", "--no-deps", "-p", where, tarball], env, cwd=where, timeout=300)
    assert (where / "ansible_collections" / "shipshape" / "server" / "MANIFEST.json").is_file()
    return env
