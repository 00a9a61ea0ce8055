"""The site's preflight checks every role's argument spec on a fresh host, before anything is touched."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import EPHEMERAL, playbook

ROOT = Path(__file__).resolve().parents[3]
FRESH = "site-fresh"
ARGSPEC_TASK = "Check the argument specs of the roles this host gets"


@pytest.fixture(scope="module")
def fresh_host():
    """A host nothing has converged: the test bed's image, on the fleet's network."""
    subprocess.run(["docker", "rm", "-f", FRESH], capture_output=True, check=False)
    image = "shipshape/testbed:debian12"
    cmd = ["docker", "run", "-d", "--name", FRESH, "--network", "shipshape-site", image, "sleep", "600"]
    subprocess.run(cmd, check=True, capture_output=True)
    yield FRESH
    subprocess.run(["docker", "rm", "-f", FRESH], capture_output=True, check=False)


CASES = {
    "choices-typo": {"fail2ban_sshd_mode": "agressive"},
    "string-false": {"base_apt_install_recommends": "false"},
}


def test_a_choices_typo_and_a_string_boolean_are_refused_before_anything_changes(fresh_host):
    hosts = {
        case: {
            "ansible_host": fresh_host,
            "ansible_connection": "community.docker.docker",
            "ansible_user": "root",
            **bad,
        }
        for case, bad in CASES.items()
    }
    groups = {g: {"hosts": {case: {} for case in CASES}} for g in ("edge", "app", "db", "cache", "monitoring")}
    inventory = EPHEMERAL / "fresh.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts, "children": groups}}))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    run = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks" / "site.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode != 0
    report = json.loads(run.stdout)
    failed = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for name, result in task["hosts"].items():
                if result.get("failed"):
                    failed[name] = (task["task"]["name"], result.get("msg", ""))
    assert set(failed) == set(CASES), failed
    for case, bad in CASES.items():
        task, msg = failed[case]
        assert task == ARGSPEC_TASK, (case, task, msg)
        assert next(iter(bad)) in msg, (case, msg)
    for case in CASES:
        assert report["stats"][case]["changed"] == 0, report["stats"][case]
    # Nothing was installed on the host.
    ufw = subprocess.run(["docker", "exec", fresh_host, "dpkg", "-s", "ufw"], capture_output=True, check=False)
    assert ufw.returncode != 0


def inventory_hosts(inventory):
    out = subprocess.run(
        ["ansible-inventory", "-i", str(inventory), "--list"], capture_output=True, text=True, check=True, timeout=60
    )
    return sorted(json.loads(out.stdout)["_meta"]["hostvars"])


@pytest.mark.parametrize("example", ["example-single", "example-split"])
def test_the_example_inventories_pass_the_site_preflight(fresh_host, example):
    """Every role's argument spec and preflight accept the example, its vault filled in (each host stands on one
    fresh test host: the preflight only reads)."""
    inventory = ROOT / "inventories" / example
    names = [
        line.split(":")[0] for line in (inventory / "README.md").read_text().splitlines() if line.startswith("vault_")
    ]
    assert len(names) >= 10
    secrets = EPHEMERAL / f"{example}-vault.json"
    secrets.write_text(json.dumps({n: f"{n.replace('_', '-')}-Q7w2Lk9Zx4Rv8Tn1Hc6Bm3Jd" for n in names}))
    onto = {
        h: {"ansible_host": fresh_host, "ansible_connection": "community.docker.docker", "ansible_user": "root"}
        for h in inventory_hosts(inventory)
    }
    override = EPHEMERAL / f"{example}-onto-test-host.yml"
    override.write_text(yaml.safe_dump({"all": {"hosts": onto}}))
    run = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            str(inventory),
            "-i",
            str(override),
            str(ROOT / "playbooks" / "preflight.yml"),
            "-e",
            f"@{secrets}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "changed=0" in run.stdout and "changed=1" not in run.stdout


def test_the_cloud_example_derives_the_five_groups_from_host_tags():
    out = subprocess.run(
        ["ansible-inventory", "-i", str(ROOT / "inventories" / "example-cloud"), "--graph"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    graph = out.stdout
    groups = {}
    current = None
    for line in graph.splitlines():
        name = line.strip(" |-")
        if name.startswith("@"):
            current = name[1:].rstrip(":")
            groups[current] = []
        elif current:
            groups[current].append(name)
    assert groups["edge"] == ["i-0a1edge"] and sorted(groups["app"]) == ["i-0b2app", "i-0c3app"]
    assert groups["db"] == ["i-0d4data"] and groups["cache"] == ["i-0d4data"] and groups["monitoring"] == ["i-0e5mon"]
    assert "i-0f6bastion" in groups["ungrouped"]
    assert "WARNING" not in out.stderr, out.stderr


LOCKOUTS = {
    # sshd and the firewall would move away from the port this run is connected to.
    "ssh-port-the-controller-does-not-use": ({"ssh_port": 2222}, "ssh_port"),
    # SSH open to a network the controller is not in (and not an admin network).
    "ssh-sources-without-the-controller": (
        {"firewall_ssh_sources": ["10.99.0.0/16"], "firewall_admin_cidrs": ["10.98.0.0/16"]},
        "firewall_ssh_sources",
    ),
}


@pytest.mark.parametrize("case", LOCKOUTS)
def test_a_plan_that_would_cut_the_controllers_own_connection_is_refused_with_nothing_changed(case):
    """Seen over SSH as in production: the preflight compares the plan with the connection it came in on."""
    bad, names = LOCKOUTS[case]
    run = playbook("preflight.yml", **bad)
    assert run.returncode != 0, run.stdout[-3000:]
    out = run.stdout + run.stderr
    assert "lock itself out" in out or "stop listening where this run logs in" in out, out[-3000:]
    assert names in out, out[-3000:]
    recap = [line for line in run.stdout.splitlines() if " changed=" in line]
    assert recap and all(" changed=0 " in line for line in recap), recap


def test_a_deploy_with_a_silence_amtool_would_refuse_stops_before_any_app_host_is_touched():
    """A deploy that could not silence its own alerts would page during a healthy deploy: the duration is checked
    before the first app host is deployed, and the message names the variable."""
    run = playbook("deploy.yml", shipshape_deploy_silence="forever")
    assert run.returncode != 0, run.stdout[-3000:]
    out = run.stdout + run.stderr
    assert "shipshape_deploy_silence is a duration" in out, out[-3000:]
    assert "Deploy, one app host at a time" not in run.stdout, run.stdout[-3000:]
    recap = [line for line in run.stdout.splitlines() if " changed=" in line]
    assert recap and all(" changed=0 " in line for line in recap), recap
