#!/usr/bin/env python3
"""ansible-test sanity, the gate of Galaxy and Automation Hub, on what this checkout ships.

Like Galaxy and Automation Hub, it tests the built collection: the tarball from `ansible-galaxy collection build`
(galaxy.yml's build_ignore leaves out the test bed, the molecule scenarios and the benchmarks), unpacked at
.../ansible_collections/shipshape/server in a temporary directory. Its ignore file, tests/sanity/ignore-2.19.txt,
is shipped, as Automation Hub expects. Each sanity test gets a virtualenv, which ansible-test bootstraps with a
get-pip script from ci-files.testing.ansible.com; where that host is unreachable (this test bed), a stand-in in
ansible-test's own cache installs the same pip from its wheel on PyPI.

    sanity.py [ansible-test sanity options, such as --test pylint]
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import galaxy

ROOT = galaxy.ROOT
CACHE = Path.home() / ".ansible" / "test" / "cache"
PIP_VERSION = "24.2"  # ansible-test's own pin (ansible_test/_internal/python_requirements.py, get_venv_packages)

STAND_IN = '''"""Stand-in for get-pip.py: pip, run from its wheel, installs what ansible-test asks for."""
import runpy
import sys
import tarfile
import tempfile
from pathlib import Path

wheel = next(Path(__file__).parent.glob("pip-{version}-*.whl"))
sys.path.insert(0, str(wheel))
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.argv = ["pip", "install", "--no-cache-dir", *args]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
'''


def bootstrap() -> None:
    """The stand-in bootstrap script and pip's wheel in ansible-test's cache, unless a real script is there."""
    script = CACHE / f"get_pip_{PIP_VERSION.replace('.', '_')}.py"
    if script.exists():
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    if not list(CACHE.glob(f"pip-{PIP_VERSION}-*.whl")):
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(CACHE), f"pip=={PIP_VERSION}"],
            check=True,
        )
    script.write_text(STAND_IN.replace("{version}", PIP_VERSION))


def unpack_build(to: Path) -> None:
    """Build the collection's tarball and unpack it at `to`."""
    with tempfile.TemporaryDirectory(prefix="shipshape-build-") as out:
        to.mkdir(parents=True)
        with tarfile.open(galaxy.build(Path(out))) as tar:
            tar.extractall(to, filter="data")


def main() -> int:
    bootstrap()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = ["ansible-test", "sanity", "--python", python, "--local", "--color", "no", *sys.argv[1:]]
    with tempfile.TemporaryDirectory(prefix="shipshape-sanity-") as top:
        where = Path(top) / "ansible_collections" / "shipshape" / "server"
        unpack_build(where)
        return subprocess.run(command, cwd=where, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
