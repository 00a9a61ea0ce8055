"""The workflows' promises that no linter checks: least permissions, pinned actions, serialised deploys that are
never cancelled, a protected environment, --check before the real run, cleanup that always runs, and logic kept
in scripts (so that the pipeline runs outside GitHub, as the pipeline scenario runs it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "app"
WORKFLOWS = sorted([*ROOT.glob(".github/workflows/*.yml"), *APP.glob(".github/workflows/*.yml")])


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True)  # PyYAML reads the `on:` key as a boolean
    return workflow


def steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job["steps"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_workflow_grants_nothing_by_default_and_reads_only_per_job(path):
    workflow = load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert job["permissions"] == {"contents": "read"}, name
        assert job.get("timeout-minutes"), name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_action_is_pinned_by_sha_and_checkout_keeps_no_credentials(path):
    for step in steps(load(path)):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if step["uses"].startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_run_steps_are_one_command_with_no_expression_inside(path):
    """Logic lives in scripts; values reach them through env, never spliced into the shell (template injection)."""
    for step in steps(load(path)):
        if "run" in step:
            assert "${{" not in step["run"] and "\n" not in step["run"].strip(), step["run"]


def test_the_app_deploy_runs_on_main_one_at_a_time_never_cancelled_in_a_protected_environment():
    workflow = load(APP / ".github" / "workflows" / "deploy.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "production"
    names = [s["run"] for s in job["steps"] if "run" in s]
    assert names == ["ci/tools.sh deploy", "ci/build.sh", "ci/push.sh", "ci/deploy.sh", "ci/cleanup.sh"]
    assert job["steps"][-1]["if"] == "always()"
    # Secrets only reach the steps that need them.
    for step in job["steps"]:
        secret = [v for v in step.get("env", {}).values() if "secrets." in v]
        assert not secret or step["run"] in ("ci/push.sh", "ci/deploy.sh"), step


def test_the_app_ci_runs_on_pull_requests_and_cleans_up_always():
    workflow = load(APP / ".github" / "workflows" / "ci.yml")
    assert "pull_request" in workflow["on"]
    (job,) = workflow["jobs"].values()
    assert [s["run"] for s in job["steps"] if "run" in s] == [
        "ci/tools.sh lint",
        "ci/lint.sh",
        "ci/test.sh",
        "ci/build.sh",
        "ci/cleanup.sh",
    ]
    assert job["steps"][-1]["if"] == "always()"
    assert "secrets." not in (APP / ".github" / "workflows" / "ci.yml").read_text()


def test_the_deploy_script_checks_before_the_real_run_and_never_scans_host_keys():
    script = (APP / "ci" / "deploy.sh").read_text()
    runs = [line.strip() for line in script.splitlines() if line.strip().startswith("ansible-playbook")]
    assert len(runs) == 2 and runs[0].endswith("--check") and "--check" not in runs[1], runs
    assert "ssh-keyscan" not in script and "StrictHostKeyChecking=yes" in script
    assert "set -x" not in script and "set -x" not in (APP / "ci" / "common.sh").read_text()
