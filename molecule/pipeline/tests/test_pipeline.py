"""The reference app's pipeline, its own workflow files run step by step by act on the runner host: the CI
workflow lints, tests with a coverage threshold and builds; the deploy workflow builds, pushes to the private
registry and deploys that digest with shipshape.server under load, changes nothing the second time, and fails
clearly on a wrong registry password while the old version keeps serving."""

import json
import re

import pytest
from conftest import CI, ROOT, VARS, act, live, load, sh

FIGURES = {}
CA = f"/etc/docker/certs.d/{CI}:5000/ca.crt"  # the scenario CA, as the runner's Docker trusts it


def test_the_ci_workflow_lints_tests_with_coverage_and_builds_the_image(repo):
    run = act("pull_request", "ci.yml", secrets={}, variables={})
    assert run.rc == 0, run.out[-6000:]
    steps = run.steps()
    for step in ("Lint", "Tests with coverage (the image's build stage)", "Build the production image", "Clean up"):
        assert steps.get(step, "").startswith("Success"), (step, steps)
    coverage = re.search(r"^.*TOTAL\s.*\s(\d+)%\s*$", run.out, re.M)
    assert coverage and int(coverage.group(1)) >= 90, run.out[-4000:]
    FIGURES["ci"] = steps


def test_the_coverage_threshold_fails_the_ci_workflow(repo):
    run = act("pull_request", "ci.yml", secrets={}, variables={}, env={"COVERAGE_MIN": "100"})
    assert run.rc != 0
    steps = run.steps()
    assert steps["Tests with coverage (the image's build stage)"].startswith("Failure"), steps
    assert "Build the production image" not in steps, steps
    assert steps["Clean up"].startswith("Success"), steps
    assert re.search(r"Coverage failure: total of \d+ is less than fail-under=100", run.out), run.out[-3000:]


def test_the_deploy_workflow_builds_pushes_and_deploys_the_digest_under_load(
    repo, web, deploy_settings, runner_trusts_the_edge
):
    variables, secrets = deploy_settings
    traffic = load(runner_trusts_the_edge, seconds=900, rate=60)
    run = act("push", "deploy.yml", secrets=secrets, variables=variables)
    result = traffic.stop(after=3)
    assert run.rc == 0, run.out[-8000:]
    steps = run.steps()
    for step in ("Build", "Push", "Deploy (check mode, then for real)", "Clean up"):
        assert steps.get(step, "").startswith("Success"), (step, steps)
    FIGURES["deploy"] = steps
    # What runs is exactly what was pushed, by digest, and answers as this commit's version.
    pushed = re.search(r"pushed (\S+@sha256:[0-9a-f]{64})", run.out)
    assert pushed, run.out[-4000:]
    assert live(web)["image"] == pushed.group(1)
    assert result["rate"] >= 50 and result["seconds"] >= 20, result
    assert result["failed"] == 0 and result["server_errors"] == 0 and result["other"] == 0, result
    assert result["last_version"] == f"git-{repo[:12]}", result
    # The check-mode run came first, then the real one; no secret reached the log.
    recaps = run.recaps()
    assert len(recaps) == 2 and recaps[1]["pipe-web"] > 0, recaps
    for secret in secrets.values():
        for line in secret.strip().splitlines():
            assert line not in run.out
    # The registry holds the tag, behind its password.
    tags = sh(
        CI,
        f'curl -sf -u "$U:$P" --cacert {CA} https://{CI}:5000/v2/shop/app/tags/list',
        env={"U": VARS["registry_user"], "P": VARS["registry_password"]},
    )
    assert f"git-{repo[:12]}" in json.loads(tags.stdout)["tags"]
    anonymous = sh(CI, f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {CA} https://{CI}:5000/v2/_catalog")
    assert anonymous.stdout == "401", anonymous


def test_a_second_run_of_the_same_commit_changes_nothing(repo, web, deploy_settings):
    variables, secrets = deploy_settings
    before = live(web)
    run = act("push", "deploy.yml", secrets=secrets, variables=variables)
    assert run.rc == 0, run.out[-6000:]
    recaps = run.recaps()
    assert recaps and all(r["pipe-web"] == 0 for r in recaps), (recaps, run.out[-4000:])
    assert live(web) == before
    FIGURES["again"] = run.steps()


def test_a_wrong_registry_password_fails_the_run_clearly_and_the_old_version_keeps_serving(
    repo, web, deploy_settings, runner_trusts_the_edge
):
    variables, secrets = deploy_settings
    before = live(web)
    run = act(
        "push", "deploy.yml", secrets={**secrets, "REGISTRY_PASSWORD": "not-the-password-1234"}, variables=variables
    )
    assert run.rc != 0
    steps = run.steps()
    assert steps["Push"].startswith("Failure") and "Deploy (check mode, then for real)" not in steps, steps
    assert steps["Clean up"].startswith("Success"), steps
    # (act masks the user name too: it is a secret of the environment.)
    assert f"the registry {CI}:5000 refused the login of ***" in run.out, run.out[-3000:]
    assert "not-the-password-1234" not in run.out
    assert live(web) == before
    version = sh(CI, f"curl -sf --cacert {runner_trusts_the_edge} https://app.shipshape.test/")
    assert json.loads(version.stdout)["version"] == f"git-{repo[:12]}"


@pytest.fixture(scope="module", autouse=True)
def durations():
    """The pipeline's figures (act's time for each step), kept beside the suite's logs: .cache/suite/pipeline.txt."""
    yield
    out = ROOT / ".cache" / "suite" / "pipeline.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"{name}: {json.dumps(steps)}\n" for name, steps in FIGURES.items()))
