"""Run bad-input cases against a role's preflight in one ansible-playbook call.

Each case becomes an inventory alias of the same test host carrying its own
bad variables; the JSON callback tells which task failed for which alias, so
a test can assert that the failure came from preflight (or the argument spec
check before it), named the variable, and changed nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ARGSPEC_TASK_PREFIX = "Validating arguments against arg spec"


def preflight_task_names(*roles: str) -> set[str]:
    names: set[str] = set()
    for role in roles:
        names |= {t["name"] for t in yaml.safe_load((ROOT / "roles" / role / "tasks" / "preflight.yml").read_text())}
    return names


def run_cases(  # noqa: PLR0913 - a test harness entry point; keywords after *, so calls stay readable
    tmp: Path,
    target: str,
    roles: list[str],
    cases: dict[str, dict],
    *,
    common: dict | None = None,
    preflight_only: bool = False,
    expect_failure: bool | None = True,
) -> dict:
    """Apply roles (or only their preflight task files, as site.yml's first play does) to one alias per case.

    The run must fail (expect_failure=True, the default), or succeed (False), or either (None).
    """
    hosts = {
        case: {"ansible_host": target, "ansible_connection": "community.docker.docker", **(common or {}), **bad}
        for case, bad in cases.items()
    }
    (tmp / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    if preflight_only:
        tasks = [
            {
                "name": f"Preflight {r}",
                "ansible.builtin.include_role": {"name": f"shipshape.server.{r}", "tasks_from": "preflight"},
            }
            for r in roles
        ]
        play = [{"name": "Preflight", "hosts": "all", "tasks": tasks}]
    else:
        play = [{"name": "Preflight", "hosts": "all", "roles": [f"shipshape.server.{r}" for r in roles]}]
    (tmp / "play.yml").write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_FORKS=str(len(cases)))
    run = subprocess.run(
        ["ansible-playbook", "-i", str(tmp / "inventory.yml"), str(tmp / "play.yml")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    if expect_failure is not None:
        assert (run.returncode != 0) == expect_failure, run.stdout[-3000:] + run.stderr[-2000:]
    return json.loads(run.stdout)


def first_failure(results: dict, alias: str) -> tuple[str | None, str | None]:
    """Name (without the role prefix) and result of the first task that failed for alias."""
    for play in results["plays"]:
        for task in play["tasks"]:
            res = task["hosts"].get(alias)
            if res and res.get("failed"):
                return task["task"]["name"].split(" : ", 1)[-1], json.dumps(res)
    return None, None


def assert_failed_in_preflight(results: dict, alias: str, variable: str, preflight: set[str]) -> None:
    task, detail = first_failure(results, alias)
    assert task is not None, f"{alias}: nothing failed"
    assert task in preflight or task.startswith(ARGSPEC_TASK_PREFIX), f"{alias} failed late, in '{task}': {detail}"
    assert variable in detail, detail
    changed = [
        (task["task"]["name"], res.get("item"))
        for play in results["plays"]
        for task in play["tasks"]
        for name, res in task["hosts"].items()
        if name == alias and res.get("changed")
    ]
    assert results["stats"][alias]["changed"] == 0, f"{alias} changed the host before failing: {changed}"


def preflight_tests(target: str, roles: list[str], cases: dict[str, tuple[dict, str]], common: dict | None = None):
    """A module-scoped fixture and a parametrized test for a scenario's bad-input cases.

    cases maps a case name to (bad variables, the variable the failure must name). Each role's preflight
    runs as site.yml's preflight play runs it. Use in a test module:
        results, test_bad_input_fails_in_preflight = preflight_tests("host", ["role"], CASES, common=GOOD)
    """
    import pytest  # noqa: PLC0415 - only test modules call this

    @pytest.fixture(scope="module")
    def results(tmp_path_factory):
        bad = {name: case[0] for name, case in cases.items()}
        return run_cases(tmp_path_factory.mktemp("preflight"), target, roles, bad, common=common, preflight_only=True)

    @pytest.mark.parametrize("case", cases)
    def test_bad_input_fails_in_preflight(results, case):
        assert_failed_in_preflight(results, case, cases[case][1], preflight_task_names(*roles))

    return results, test_bad_input_fails_in_preflight
