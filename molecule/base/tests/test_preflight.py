"""Bad input fails in preflight, names the variable, and leaves the host untouched."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import assert_failed_in_preflight, preflight_task_names, run_cases

testinfra_hosts = ["base-deb13"]

CASES = {
    "no-key": ({"base_admin_user": "ops", "base_admin_ssh_keys": []}, "base_admin_ssh_keys"),
    "not-a-key": ({"base_admin_user": "ops", "base_admin_ssh_keys": ["hunter2"]}, "base_admin_ssh_keys"),
    "root-as-admin": ({"base_admin_user": "root"}, "base_admin_user"),
    "bad-timezone": ({"base_timezone": "Mars/Olympus"}, "base_timezone"),
    "bad-reboot-time": ({"base_unattended_reboot_time": "25:00"}, "base_unattended_reboot_time"),
    "bad-journal-cap": ({"base_journald_system_max_use": "lots"}, "base_journald_system_max_use"),
    "bad-type": ({"base_host_runs_containers": "perhaps"}, "base_host_runs_containers"),
    "world-writable-umask": ({"base_login_umask": "020"}, "base_login_umask"),
    "umask-with-a-newline": ({"base_login_umask": "027\nTMOUT=0"}, "base_login_umask"),
    "shell-timeout-of-a-second": ({"base_shell_timeout": 1}, "base_shell_timeout"),
    "no-forwarding-on-docker-host": (
        {"base_host_runs_containers": True, "base_sysctl_extra": {"net.ipv4.ip_forward": 0}},
        "net.ipv4.ip_forward",
    ),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_cases(tmp_path_factory.mktemp("preflight"), "base-deb13", ["base"], {k: v[0] for k, v in CASES.items()})


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_in_preflight_naming_the_variable(results, case):
    assert_failed_in_preflight(results, case, CASES[case][1], preflight_task_names("base"))
