#!/usr/bin/env python3
"""Run the whole test suite the way CI does, phase by phase.

Phases: virtualenv, container engine, test images, lint, unit tests, then
every molecule scenario. Each phase's wall time and result is printed in a
table at the end, followed by the closing line ``N passed, M failed``. The
exit code is non-zero when any phase failed. Only the standard library is
used, because this runs before the virtualenv exists.

    suite.py                 # everything
    suite.py base firewall   # only these molecule scenarios (after setup)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ("bookworm", "trixie")


@dataclass
class Phase:
    name: str
    ok: bool
    seconds: float
    skipped: bool = False


def scenarios(root: Path = ROOT) -> list[str]:
    """Molecule scenarios in the repository, in a stable order (shared plumbing excluded)."""
    return sorted(p.parent.name for p in (root / "molecule").glob("*/molecule.yml"))


def summary(phases: list[Phase]) -> str:
    """The table of phases and the closing line that CI reads."""
    width = max([len(p.name) for p in phases] + [5])
    lines = [f"{'phase':<{width}}  result  seconds"]
    for p in phases:
        result = "skip" if p.skipped else ("pass" if p.ok else "FAIL")
        lines.append(f"{p.name:<{width}}  {result:<6}  {p.seconds:7.1f}")
    passed = sum(1 for p in phases if p.ok)
    failed = len(phases) - passed
    lines.append(f"{passed} passed, {failed} failed")
    return "\n".join(lines)


def run(name: str, cmd: list[str], env: dict[str, str]) -> Phase:
    print(f"\n===== {name}: {' '.join(cmd)}", flush=True)
    start = time.monotonic()
    ok = subprocess.call(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL) == 0
    seconds = time.monotonic() - start
    print(f"===== {name}: {'pass' if ok else 'FAIL'} in {seconds:.1f} s", flush=True)
    return Phase(name, ok, seconds)


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    env.setdefault("PY_COLORS", "0")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    wanted = argv or scenarios()
    unknown = sorted(set(wanted) - set(scenarios()))
    if unknown:
        print(f"suite: no such molecule scenario: {', '.join(unknown)}", file=sys.stderr)
        return 2

    phases = [run("virtualenv", ["make", "-s", "venv"], env)]
    phases.append(run("engine", ["tests/testbed/ensure-engine"], env))
    for suite in IMAGES:
        phases.append(run(f"image {suite}", ["tests/testbed/build-image", suite], env))
    ready = all(p.ok for p in phases)
    phases.append(run("lint", ["make", "-s", "lint"], env) if phases[0].ok else Phase("lint", False, 0, True))
    phases.append(run("unit", ["make", "-s", "unit"], env) if phases[0].ok else Phase("unit", False, 0, True))
    for scenario in wanted:
        name = f"molecule {scenario}"
        phases.append(run(name, ["molecule", "test", "-s", scenario], env) if ready else Phase(name, False, 0, True))

    print("\n" + summary(phases), flush=True)
    return 0 if all(p.ok for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
