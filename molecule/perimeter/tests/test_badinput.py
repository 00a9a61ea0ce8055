"""The bad-input suite (tests/testbed/badinput.py) through site.yml, on a fresh host and on a converged one.

It runs here, beside the site scenario rather than in it: the site scenario is the suite's longest job, and
this scenario's hosts are converged by the baseline and perimeter roles, which most cases are about.

Every case must be refused by the preflight that owns its variable, with a message that names it, before
anything changed; the control alias (no mistake) is stopped only by the preflight's last task, which lists
every host that failed.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from badinput import CASES, GATE_TASK, outcome, problems, run

EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
FRESH = "perim-badinput"
# perim-deb13 is converged by the scenario (base, firewall, ssh, fail2ban).
TARGETS = {"fresh": FRESH, "converged": "perim-deb13"}


def state(container):
    """What a run could change on the host: its packages, its firewall and its sshd configuration."""
    cmd = (
        "dpkg-query -W -f '${Package} ${Version}\\n' | md5sum;"
        " cat /etc/ufw/user.rules /etc/ssh/sshd_config 2>/dev/null | md5sum"
    )
    done = subprocess.run(["docker", "exec", container, "sh", "-c", cmd], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def report():
    subprocess.run(["docker", "rm", "-f", FRESH], capture_output=True, check=False)
    cmd = [
        "docker",
        "run",
        "-d",
        "--name",
        FRESH,
        "--network",
        "shipshape-perimeter",
        "shipshape/testbed:debian12",
        "sleep",
        "3600",
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    before = {name: state(c) for name, c in TARGETS.items()}
    workdir = EPHEMERAL / "badinput"
    workdir.mkdir(exist_ok=True)
    try:
        result = run(TARGETS, workdir)
        after = {name: state(c) for name, c in TARGETS.items()}
        yield result, before, after
    finally:
        subprocess.run(["docker", "rm", "-f", FRESH], capture_output=True, check=False)


def test_the_suite_is_large_enough():
    assert len(CASES) >= 60


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", CASES)
def test_a_bad_value_is_refused_by_its_preflight_naming_the_variable_with_nothing_changed(report, target, case):
    assert problems(report[0], f"{target}-{case}", CASES[case][1]) == []


@pytest.mark.parametrize("target", TARGETS)
def test_a_good_host_beside_them_is_stopped_by_the_preflight_gate_and_told_who_failed(report, target):
    play, task, message, changed = outcome(report[0], f"{target}-control")
    assert (play, task, changed) == ("Preflight", GATE_TASK, 0), (play, task, message)
    assert all(f"{t}-{case}" in message for t in TARGETS for case in CASES), message
    # No later play started: the run ended with the preflight.
    assert [p["play"]["name"] for p in report[0]["plays"]][-1] == "Preflight"


@pytest.mark.parametrize("target", TARGETS)
def test_the_host_itself_is_unchanged(report, target):
    assert report[1][target] == report[2][target]
