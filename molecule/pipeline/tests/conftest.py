"""Helpers for the pipeline tests: the reference app's repository on the runner, and its workflows run by act."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import testinfra
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
import galaxy
import traffic

SCENARIO = Path(__file__).resolve().parents[1]
ROOT = SCENARIO.parents[1]
APP = ROOT / "examples" / "app"
VARS = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"]["all"]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
WEB, CI = "pipe-web", "pipe-ci"
URL = "https://app.shipshape.test/"
CERT = "/etc/shipshape/tls/app/fullchain.pem"
REPO = "/srv/app"  # the app's repository on the runner
WORKFLOWS = "/srv/workflows"  # the workflows as act runs them (GitHub's actions replaced by local steps)
TARBALL = "/srv/shipshape-server.tar.gz"
# What the test bed substitutes, as a runner's environment: Docker Hub's Debian by the test bed's image, and Galaxy
# by the collection's tarball built from this checkout.
# LOCAL_REPOSITORY is where the runner finds the repository (GitHub's checkout fetches it from GitHub).
RUNNER_ENV = {"BASE_IMAGE": "shipshape/testbed:debian12", "COLLECTION_SOURCE": TARBALL, "LOCAL_REPOSITORY": REPO}
# The local equivalent of each action the workflows use. actions/checkout: what it does, from the local repository
# (an empty workspace, or the last run's: init, fetch the commit, check it out, remove anything else).
LOCAL_ACTIONS = {
    "actions/checkout": 'git init -q "$GITHUB_WORKSPACE" && cd "$GITHUB_WORKSPACE" && '
    'git fetch -q --depth 1 "$LOCAL_REPOSITORY" "$GITHUB_SHA" && git checkout -q --force FETCH_HEAD && '
    "git clean -qffdx"
}


def host(name):
    return testinfra.get_host(f"docker://{name}")


def sh(name: str, script: str, *, env: dict | None = None, stdin: str | None = None, timeout: float = 1800):
    """A shell script on a test host (environment passed by name: nothing secret on a command line)."""
    cmd = ["docker", "exec", "-i", *[a for k in (env or {}) for a in ("-e", k)], name, "bash", "-c", script]
    return subprocess.run(
        cmd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def local_workflow(name: str) -> dict:
    """The workflow file as written, with each GitHub action replaced by its local equivalent (the `run:` steps,
    their order, environment and conditions untouched). Any other action is a failure: logic belongs in ci/."""
    workflow = yaml.safe_load((APP / ".github" / "workflows" / name).read_text())
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                action = step.pop("uses").split("@")[0]
                assert action in LOCAL_ACTIONS, f"{name}: {action} has no local equivalent"
                step.pop("with", None)
                step["run"] = LOCAL_ACTIONS[action]
    # PyYAML reads `on:` as True; act wants the key back.
    workflow["on"] = workflow.pop(True)
    return workflow


@dataclass
class Run:
    rc: int
    out: str

    def steps(self) -> dict[str, str]:
        """Each step's outcome and act's duration for it: {'Build': 'Success 1m2.3s', ...}."""
        found = re.findall(r"(Success|Failure) - Main (.+?) \[([^\]]+)\]", self.out)
        return {name: f"{outcome} {took}" for outcome, name, took in found}

    def recaps(self) -> list[dict[str, int]]:
        """`changed=` of each host in each PLAY RECAP, in order."""
        blocks = self.out.split("PLAY RECAP")[1:]
        return [
            {h: int(c) for h, c in re.findall(r"(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", b.split("\n\n")[0])}
            for b in blocks
        ]


def act(event: str, workflow: str, *, secrets: dict, variables: dict, env: dict | None = None) -> Run:
    """Run a workflow of the app's repository with act on the runner host (steps on the host, as a self-hosted
    runner would). Secrets reach act through the environment, by name."""
    text = yaml.safe_dump(local_workflow(workflow), sort_keys=False)
    sh(CI, f"mkdir -p {WORKFLOWS} && cat > {WORKFLOWS}/{workflow}", stdin=text).check_returncode()
    cmd = f"cd {REPO} && act {event} -W {WORKFLOWS}/{workflow} -P ubuntu-24.04=-self-hosted --no-cache-server"
    cmd += "".join(f" --var {k}={json.dumps(v)}" for k, v in variables.items())
    cmd += "".join(f" -s {k}" for k in secrets)
    cmd += "".join(f" --env {k}={json.dumps(v)}" for k, v in {**RUNNER_ENV, **(env or {})}.items())
    done = sh(CI, cmd + " 2>&1", env=secrets, timeout=1800)
    return Run(done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="session")
def web():
    return host(WEB)


@pytest.fixture(scope="session")
def repo(tmp_path_factory):
    """The reference app's repository on the runner, one commit, with the deploy inventory of the test fleet; the
    collection's tarball beside it. Returns the commit."""
    tarball = galaxy.build(tmp_path_factory.mktemp("build"))
    subprocess.run(["docker", "cp", str(tarball), f"{CI}:{TARBALL}"], check=True)
    sh(CI, f"rm -rf {REPO} && mkdir -p {REPO}").check_returncode()
    subprocess.run(["docker", "cp", f"{APP}/.", f"{CI}:{REPO}"], check=True)
    skip = ("ansible_", "app_image", "registry_", "pipeline_")
    inventory = {
        "all": {
            "vars": {k: v for k, v in VARS.items() if not k.startswith(skip)}
            | {"app_registry_ca_pem": (EPHEMERAL / "registry-ca.crt").read_text()},
            "children": {
                group: {"hosts": {WEB: {"ansible_host": WEB, "ansible_user": "deploy", "ansible_become": True}}}
                for group in ("edge", "app", "db", "cache")
            },
        }
    }
    sh(CI, f"mkdir -p {REPO}/deploy && cat > {REPO}/deploy/inventory.yml", stdin=yaml.safe_dump(inventory))
    commit = sh(
        CI,
        f"cd {REPO} && git init -q -b main && git add -A && git -c user.name=shipshape "
        "-c user.email=ci@shipshape.test commit -qm 'The reference app' && git rev-parse HEAD",
    )
    commit.check_returncode()
    return commit.stdout.strip()


@pytest.fixture(scope="session")
def deploy_settings():
    """What the repository's `production` environment holds: variables (the host key pinned) and secrets."""
    known = host(WEB).file("/etc/ssh/ssh_host_ed25519_key.pub").content_string.split()[:2]
    variables = {
        "IMAGE": VARS["pipeline_image"],
        "DEPLOY_INVENTORY": "deploy/inventory.yml",
        "SSH_KNOWN_HOSTS": f"{WEB} {' '.join(known)}",
    }
    secrets = {
        "REGISTRY_USERNAME": VARS["registry_user"],
        "REGISTRY_PASSWORD": VARS["registry_password"],
        "DEPLOY_SSH_KEY": (EPHEMERAL / "id_ed25519").read_text(),
        "ANSIBLE_VAULT_PASSWORD": "vault-N3q8Wz5Kt2Xm7Rb4Lc9Hv1Pd",
    }
    return variables, secrets


@pytest.fixture(scope="session")
def runner_trusts_the_edge():
    pem = host(WEB).file(CERT).content_string
    sh(CI, "cat > /srv/edge.pem", stdin=pem).check_returncode()
    return "/srv/edge.pem"


def load(cafile, seconds, rate=60):
    """The load loop on the runner host, through the edge, as any client would come."""
    return traffic.Load(CI, URL, cafile, seconds, rate)


def live(web) -> dict:
    return json.loads(web.file("/var/lib/shipshape/app/live.json").content_string)
