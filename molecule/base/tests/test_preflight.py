"""Bad input fails in preflight, names the variable, and leaves the host untouched.

All cases run in one ansible-playbook call: each case is an inventory alias of
the same test host carrying its own bad variables, and the JSON callback tells
which task failed for which alias and with what message.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

testinfra_hosts = ["base-deb13"]

ROOT = Path(__file__).resolve().parents[3]
PREFLIGHT_TASKS = {t["name"] for t in yaml.safe_load((ROOT / "roles/base/tasks/preflight.yml").read_text())}
ARGSPEC_TASK_PREFIX = "Validating arguments against arg spec"

CASES = {
    "no-key": ({"base_admin_user": "ops", "base_admin_ssh_keys": []}, "base_admin_ssh_keys"),
    "not-a-key": ({"base_admin_user": "ops", "base_admin_ssh_keys": ["hunter2"]}, "base_admin_ssh_keys"),
    "root-as-admin": ({"base_admin_user": "root"}, "base_admin_user"),
    "bad-timezone": ({"base_timezone": "Mars/Olympus"}, "base_timezone"),
    "bad-reboot-time": ({"base_unattended_reboot_time": "25:00"}, "base_unattended_reboot_time"),
    "bad-journal-cap": ({"base_journald_system_max_use": "lots"}, "base_journald_system_max_use"),
    "bad-type": ({"base_host_runs_containers": "perhaps"}, "base_host_runs_containers"),
    "no-forwarding-on-docker-host": (
        {"base_host_runs_containers": True, "base_sysctl_extra": {"net.ipv4.ip_forward": 0}},
        "net.ipv4.ip_forward",
    ),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("preflight")
    hosts = {
        case: {"ansible_host": "base-deb13", "ansible_connection": "community.docker.docker", **bad}
        for case, (bad, _) in CASES.items()
    }
    (tmp / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    (tmp / "play.yml").write_text(
        yaml.safe_dump([{"name": "Preflight", "hosts": "all", "roles": ["shipshape.server.base"]}])
    )
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_FORKS=str(len(CASES)))
    run = subprocess.run(
        ["ansible-playbook", "-i", str(tmp / "inventory.yml"), str(tmp / "play.yml")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert run.returncode != 0, run.stdout
    return json.loads(run.stdout)


def first_failure(results, alias):
    for play in results["plays"]:
        for task in play["tasks"]:
            res = task["hosts"].get(alias)
            if res and res.get("failed"):
                return task["task"]["name"].removeprefix("shipshape.server.base : "), json.dumps(res)
    return None, None


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_in_preflight_naming_the_variable(results, case):
    _, variable = CASES[case]
    task, detail = first_failure(results, case)
    assert task is not None, f"{case}: nothing failed"
    assert task in PREFLIGHT_TASKS or task.startswith(ARGSPEC_TASK_PREFIX), f"{case} failed late, in '{task}'"
    assert variable in detail, detail
    assert results["stats"][case]["changed"] == 0
