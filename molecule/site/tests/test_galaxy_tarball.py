"""The collection as Galaxy ships it, run against the fleet: built, installed into an empty collections path, and
`ansible-playbook shipshape.server.site` run from there. (A file of its own, named to run first, while the fleet
is as converge left it.)"""

import json
import os
import re

import galaxy
from conftest import FLEET, OUT


def changed_tasks(output: str) -> dict[str, list[str]]:
    """Per host, the tasks (and handlers) that reported a change, from the default callback's output."""
    found: dict[str, list[str]] = {}
    task = ""
    for line in output.splitlines():
        if header := re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+$", line):
            task = header.group(1)
        elif hit := re.match(r"^changed: \[([^\]]+)\]", line):
            found.setdefault(hit.group(1).split(" ")[0], []).append(task)
    return found


def test_the_site_run_from_the_galaxy_tarball_alone_converges_the_fleet(tmp_path):
    """The site runs from the tarball alone, over every host, and finds every host unchanged."""
    where = tmp_path / "collections"
    where.mkdir()
    env = galaxy.install(galaxy.build(tmp_path), where)
    found = galaxy.run(["ansible-galaxy", "collection", "list", "shipshape.server", "--format", "json"], env, tmp_path)
    assert list(json.loads(found.stdout)) == [str(where / "ansible_collections")], found.stdout
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    run = galaxy.run(["ansible-playbook", "-i", inventory, "shipshape.server.site"], env, tmp_path, timeout=1200)
    recap = {h: int(c) for h, c in re.findall(r"^(site-\S+)\s+:\s+ok=\d+\s+changed=(\d+)", run.stdout, re.M)}
    assert sorted(recap) == sorted([*FLEET, OUT]), run.stdout[-3000:]
    assert all(changed == 0 for changed in recap.values()), (recap, changed_tasks(run.stdout))
    print(f"site from the tarball: changed per host {recap}")
