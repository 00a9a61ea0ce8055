#!/usr/bin/env python3
"""Run the whole test suite the way CI does, and say where the time went.

Setup first (virtualenv, container engine, the two test images, built side
by side), then a pool of jobs: lint, unit tests and every molecule scenario.
Scenarios are independent (each has its own network, host names and apt
archive directories), so up to ``--jobs`` of them run at once, the longest
first (durations of the last run are kept in $SHIPSHAPE_CACHE/suite-times.json; on a
fresh machine, tests/testbed/suite-times.json holds recorded ones).
Each job writes its whole output to .cache/suite/<job>.log; the console gets
one line per molecule action as it starts and ends, and the log tail of any
job that failed.

At the end: a table of each scenario's actions and wall times, the tests
that failed, and the closing line ``N passed, M failed``, which counts test
cases: every lint tool, every unit test, every testinfra test of every
scenario (from pytest's JUnit XML), and the three Ansible runs that assert
something (check mode, converge, idempotence). A setup step that fails
(virtualenv, engine, image, create, prepare, destroy) counts as one failed
case too. The exit code is non-zero when anything failed.

    suite.py                     # everything
    suite.py base data           # only these scenarios (after setup; lint and unit too)
    suite.py --jobs 1 base       # one at a time
    suite.py --only-scenarios S  # what `make molecule S=...` runs: setup and that scenario

Only the standard library: this runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ("bookworm", "trixie")
LOGS = ROOT / ".cache" / "suite"
SEED_TIMES = Path(__file__).with_name("suite-times.json")
# Molecule actions as they appear in the table, in sequence order.
ACTIONS = ("destroy", "syntax", "create", "prepare", "check", "converge", "idempotence", "verify")
# Ansible runs that are assertions in their own right; the other actions are setup.
GATES = ("check", "converge", "idempotence")
LINTERS = (
    ("yamllint", ["yamllint", "--strict", "."]),
    ("ansible-lint", ["ansible-lint", "--offline"]),
    ("ruff check", ["ruff", "check", "."]),
    ("ruff format", ["ruff", "format", "--check", "."]),
    ("zizmor", ["zizmor", "--persona", "auditor", "--offline", ".", "examples/app"]),
    ("actionlint", ["sh", "-c", "actionlint .github/workflows/*.yml examples/app/.github/workflows/*.yml"]),
    ("antsibull-changelog", ["antsibull-changelog", "lint"]),
)
# Two at a time on 2 cores: the whole suite took 2318 s with two, 4940 s with three (each job's Ansible forks and
# each scenario's hosts already load the machine; a third job made every one 2.5 to 3.8 times slower than alone).
DEFAULT_JOBS = 2
# The site scenario (six hosts) takes about 28 minutes beside one other job on 2 cores; 60 is a hang.
JOB_TIMEOUT = float(os.environ.get("SHIPSHAPE_JOB_TIMEOUT", "3600"))
# Per test, fixtures included: the bad-input harness (a module fixture, charged to its first test) runs for
# up to about 15 minutes under CI load, and a playbook() helper may wait 15 on its own; 30 is a hang.
TEST_TIMEOUT = float(os.environ.get("SHIPSHAPE_TEST_TIMEOUT", "1800"))
# Molecule's action lines: "INFO     [base > converge] Executing" (any level), or with colours "base ➜ converge: ...".
ACTION_LINE = re.compile(
    r"^(?:INFO|WARNING|ERROR|CRITICAL)\s+(?:\[\S+ > |\S+ ➜ )"
    r"(?P<action>[a-z_]+)(?:\]|:) (?P<what>Executing|Executed: .*)$"
)
_print_lock = threading.Lock()


@dataclass
class Case:
    name: str
    ok: bool


@dataclass
class Phase:
    name: str
    ok: bool
    seconds: float
    skipped: bool = False
    cases: list[Case] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)
    log: Path | None = None


def say(text: str) -> None:
    with _print_lock:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def scenarios(root: Path = ROOT) -> list[str]:
    """Molecule scenarios in the repository, in a stable order (shared plumbing excluded)."""
    return sorted(p.parent.name for p in (root / "molecule").glob("*/molecule.yml"))


def junit_cases(path: Path, prefix: str) -> list[Case]:
    """Test cases from pytest's JUnit XML; a missing or unreadable file gives none."""
    try:
        tree = ET.parse(path)  # noqa: S314 - pytest's own report of this run, written here
    except (OSError, ET.ParseError):
        return []
    cases = []
    for tc in tree.iter("testcase"):
        if tc.find("skipped") is not None:
            continue
        ok = tc.find("failure") is None and tc.find("error") is None
        # pytest's classname is the dotted path (molecule.base.tests.test_base): keep the module's own name.
        module = tc.get("classname", "").rsplit(".tests.", 1)[-1]
        cases.append(Case(f"{prefix}{module}::{tc.get('name', '')}", ok))
    return cases


def molecule_steps(lines: list[tuple[float, str]]) -> tuple[dict[str, float], dict[str, bool]]:
    """Seconds and outcome of each molecule action, from timestamped lines of its output.

    The first destroy (before create) is reported as "destroy", the last one as "teardown". An action
    molecule skips (a missing playbook, such as cleanup) is not a failure.
    """
    seconds: dict[str, float] = {}
    outcome: dict[str, bool] = {}
    started: dict[str, float] = {}
    for stamp, line in lines:
        m = ACTION_LINE.search(line)
        if not m:
            continue
        action = m["action"]
        if action == "destroy" and "destroy" in seconds:
            action = "teardown"
        if m["what"] == "Executing":
            started[action] = stamp
        elif action in started:
            seconds[action] = stamp - started.pop(action)
            outcome[action] = "Failed" not in m["what"]
    for action, stamp in started.items():  # began and never ended: it failed
        seconds[action] = lines[-1][0] - stamp if lines else 0.0
        outcome[action] = False
    return seconds, outcome


def scenario_cases(name: str, outcome: dict[str, bool], tests: list[Case], returncode: int) -> list[Case]:
    """The cases one scenario contributes: its gates, its tests, and any setup step that failed."""
    cases = [Case(f"molecule {name}: {gate}", outcome[gate]) for gate in GATES if gate in outcome]
    cases += tests
    for action, ok in outcome.items():
        if not ok and action not in GATES and action != "verify":
            cases.append(Case(f"molecule {name}: {action}", False))
    if outcome.get("verify") is False and all(c.ok for c in tests):
        cases.append(Case(f"molecule {name}: verify", False))  # pytest failed without a failing test (collection)
    if returncode != 0 and all(c.ok for c in cases):
        cases.append(Case(f"molecule {name}", False))
    return cases


def summary(phases: list[Phase]) -> str:
    """The table of phases (with each scenario's actions), the failed cases, and the closing line CI reads."""
    width = max([len(p.name) for p in phases] + [5])
    cols = [a for a in (*ACTIONS, "teardown") if any(a in p.steps for p in phases)]
    head = f"{'phase':<{width}}  result  seconds  cases" + "".join(f"  {a[:11]:>11}" for a in cols)
    lines = [head]
    for p in phases:
        result = "skip" if p.skipped else ("pass" if p.ok else "FAIL")
        row = f"{p.name:<{width}}  {result:<6}  {p.seconds:7.1f}  {len(p.cases):5d}"
        row += "".join(f"  {p.steps[a]:11.1f}" if a in p.steps else f"  {'':>11}" for a in cols)
        lines.append(row.rstrip())
    cases = [c for p in phases for c in p.cases]
    # A phase that failed without saying which case (a crash) still counts as a failure.
    cases += [Case(p.name, False) for p in phases if not p.ok and all(c.ok for c in p.cases)]
    failed = [c for c in cases if not c.ok]
    if failed:
        lines.append("")
        lines.append("failed:")
        lines += [f"  {c.name}" for c in failed]
    lines.append(f"{len(cases) - len(failed)} passed, {len(failed)} failed")
    return "\n".join(lines)


def execute(name: str, cmd: list[str], env: dict[str, str], log: Path) -> tuple[int, list[tuple[float, str]]]:
    """Run cmd with its output to log; timestamped lines are returned for the parsers.

    A job that runs past JOB_TIMEOUT is killed with its whole process group (a hung test must not
    take CI past its limit); the next run's first destroy removes whatever hosts it left.
    """
    lines: list[tuple[float, str]] = []
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        timer = threading.Timer(JOB_TIMEOUT, _kill_group, (proc, name, out))
        timer.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            now = time.monotonic()
            out.write(line)
            out.flush()
            m = ACTION_LINE.search(line.rstrip())
            if m:
                what = "start" if m["what"] == "Executing" else m["what"].removeprefix("Executed: ").lower()
                say(f"{name}: {m['action']} {what}")
            lines.append((now, line.rstrip("\n")))
        rc = proc.wait()
        timer.cancel()
        return rc, lines


def _kill_group(proc: subprocess.Popen, name: str, out) -> None:
    say(f"{name}: still running after {JOB_TIMEOUT:.0f} s, killed")
    out.write(f"\n!!! suite: killed after {JOB_TIMEOUT:.0f} s\n")
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tail(log: Path, count: int = 120) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-count:])
    except OSError:
        return ""


def finish(phase: Phase) -> Phase:
    say(f"{phase.name}: {'pass' if phase.ok else 'FAIL'} in {phase.seconds:.1f} s ({len(phase.cases)} cases)")
    if not phase.ok and phase.log:
        with _print_lock:
            print(f"----- last lines of {phase.log.relative_to(ROOT)}\n{tail(phase.log)}\n-----", flush=True)
    return phase


def setup_step(name: str, cmd: list[str], env: dict[str, str]) -> Phase:
    say(f"{name}: start")
    log = LOGS / f"{name.replace(' ', '-')}.log"
    start = time.monotonic()
    rc, _ = execute(name, cmd, env, log)
    phase = Phase(name, rc == 0, time.monotonic() - start, log=log)
    if rc != 0:
        phase.cases = [Case(name, False)]
    return finish(phase)


SANITY_TEST = re.compile(r'^Running sanity test "(?P<test>[^"]+)"')
SANITY_FAILED = re.compile(r"^FATAL: The \d+ sanity test\(s\) listed below")


def sanity_cases(lines: list[str], rc: int) -> list[Case]:
    """One case per sanity test ansible-test ran; the ones it lists as failed fail. A failure with no test listed
    (the build, the bootstrap) is one failed case."""
    tests = [m["test"] for line in lines if (m := SANITY_TEST.match(line))]
    failed: set[str] = set()
    for i, line in enumerate(lines):
        if SANITY_FAILED.match(line):
            failed = {t.strip() for t in lines[i + 1 :] if t.strip() in tests}
    cases = [Case(f"sanity: {t}", t not in failed) for t in tests]
    if rc != 0 and all(c.ok for c in cases):
        cases.append(Case("sanity", False))
    return cases


def sanity(env: dict[str, str]) -> Phase:
    """ansible-test sanity on the built tarball (tests/testbed/sanity.py), one case per sanity test."""
    say("sanity: start")
    log = LOGS / "sanity.log"
    start = time.monotonic()
    rc, lines = execute("sanity", ["python", "tests/testbed/sanity.py"], env, log)
    phase = Phase("sanity", rc == 0, time.monotonic() - start, log=log)
    phase.cases = sanity_cases([line for _, line in lines], rc)
    return finish(phase)


def lint(env: dict[str, str]) -> Phase:
    say("lint: start")
    start = time.monotonic()
    phase = Phase("lint", True, 0, log=LOGS / "lint.log")
    LOGS.mkdir(parents=True, exist_ok=True)
    with phase.log.open("w") as out:
        for tool, cmd in LINTERS:
            run = subprocess.run(
                cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
            )
            out.write(f"$ {' '.join(cmd)}\n{run.stdout}{run.stderr}\n")
            phase.cases.append(Case(f"lint: {tool}", run.returncode == 0))
    phase.ok = all(c.ok for c in phase.cases)
    phase.seconds = time.monotonic() - start
    return finish(phase)


def unit_coverage() -> list[str]:
    """The unit tests' coverage options, from the Makefile (one place for the threshold)."""
    found = re.search(r"^UNIT_COVERAGE := (.+)$", (ROOT / "Makefile").read_text(), re.M)
    return found.group(1).split() if found else []


def pytest_job(name: str, path: str, env: dict[str, str], extra: list[str] | None = None) -> Phase:
    """pytest on a directory of tests, one case per test (from its JUnit XML); no XML at all is one failed case."""
    say(f"{name}: start")
    xml, log = LOGS / f"{name}.xml", LOGS / f"{name}.log"
    xml.unlink(missing_ok=True)
    start = time.monotonic()
    rc, _ = execute(name, ["pytest", "-q", path, f"--junitxml={xml}", *(extra or [])], env, log)
    cases = junit_cases(xml, f"{name}: ") or [Case(name, False)]
    if rc != 0 and all(c.ok for c in cases):
        # Every test passed and pytest still failed: a threshold (the unit tests' coverage) was not met.
        cases.append(Case(f"{name}: pytest's exit status (a threshold, such as coverage)", False))
    return finish(Phase(name, rc == 0, time.monotonic() - start, cases=cases, log=log))


def scenario(name: str, env: dict[str, str]) -> Phase:
    say(f"molecule {name}: start")
    xml = LOGS / f"molecule-{name}.xml"
    xml.unlink(missing_ok=True)
    # A hung test fails on its own after TEST_TIMEOUT with a traceback (pytest-timeout), so the scenario's
    # other tests still run and the report names it, instead of the whole job being killed without a word.
    addopts = f"{env.get('PYTEST_ADDOPTS', '')} --junitxml={xml} --timeout={TEST_TIMEOUT:.0f} --durations=15".strip()
    job_env = dict(env, PYTEST_ADDOPTS=addopts)
    start = time.monotonic()
    log = LOGS / f"molecule-{name}.log"
    rc, lines = execute(f"molecule {name}", ["molecule", "test", "-s", name], job_env, log)
    steps, outcome = molecule_steps(lines)
    tests = junit_cases(xml, f"molecule {name}: ")
    phase = Phase(f"molecule {name}", rc == 0, time.monotonic() - start, steps=steps, log=log)
    phase.cases = scenario_cases(name, outcome, tests, rc)
    return finish(phase)


def load_times(path: Path) -> dict[str, float]:
    try:
        return {k: float(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def save_times(path: Path, phases: list[Phase]) -> None:
    times = load_times(path)
    times.update({p.name: round(p.seconds, 1) for p in phases if not p.skipped})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")


def longest_first(names: list[str], times: dict[str, float]) -> list[str]:
    """Longest-processing-time-first order: what minimises the wall time of a pool, near enough."""
    return sorted(names, key=lambda n: (-times.get(f"molecule {n}", 300.0), n))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("SHIPSHAPE_JOBS", DEFAULT_JOBS)))
    parser.add_argument("--only-scenarios", action="store_true", help="no lint or unit tests")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    env.setdefault("PY_COLORS", "0")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env.setdefault("NO_COLOR", "1")
    cache = Path(env.get("SHIPSHAPE_CACHE") or Path.home() / ".cache" / "shipshape")
    times_file = cache / "suite-times.json"
    # Durations of the last run on this machine, over the ones recorded in the repository (a fresh machine).
    times = {**load_times(SEED_TIMES), **load_times(times_file)}
    wanted = args.scenarios or scenarios()
    unknown = sorted(set(wanted) - set(scenarios()))
    if unknown:
        print(f"suite: no such molecule scenario: {', '.join(unknown)}", file=sys.stderr)
        return 2

    begin = time.monotonic()
    phases = [setup_step("virtualenv", ["make", "-s", "venv"], env)]
    phases.append(setup_step("engine", ["tests/testbed/ensure-engine"], env))
    with ThreadPoolExecutor(len(IMAGES)) as pool:
        phases += list(pool.map(lambda s: setup_step(f"image {s}", ["tests/testbed/build-image", s], env), IMAGES))
    ready = all(p.ok for p in phases)

    jobs = [(f"molecule {s}", lambda s=s: scenario(s, env)) for s in longest_first(wanted, times)]
    if not args.only_scenarios:
        jobs += [("lint", lambda: lint(env)), ("unit", lambda: pytest_job("unit", "tests/unit", env, unit_coverage()))]
        # The Galaxy tarball built, installed elsewhere and documented from there.
        jobs.append(("package", lambda: pytest_job("package", "tests/package", env)))
        jobs.append(("sanity", lambda: sanity(env)))
    if not phases[0].ok:
        results = [Phase(n, False, 0, skipped=True) for n, _ in jobs]
    elif not ready:
        results = [fn() if not n.startswith("molecule") else Phase(n, False, 0, skipped=True) for n, fn in jobs]
    else:
        say(f"running {len(jobs)} jobs, {max(1, args.jobs)} at a time")
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            results = list(pool.map(lambda job: job[1](), jobs))
    first = ["lint", "unit", "package", "sanity"]
    order = {n: i for i, n in enumerate(first + [f"molecule {s}" for s in sorted(wanted)])}
    phases += sorted(results, key=lambda p: order.get(p.name, 99))
    save_times(times_file, phases)

    print(f"\nwall time {time.monotonic() - begin:.1f} s with up to {args.jobs} jobs at a time\n", flush=True)
    print(summary(phases), flush=True)
    return 0 if all(p.ok for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
