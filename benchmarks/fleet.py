#!/usr/bin/env python3
"""By hand, not in CI: how long the whole site takes on the site scenario's fleet (six hosts, five over SSH).

Prints, each as one line:
  1. with --fresh: the fleet's fresh converge (`molecule destroy/create -s site`, then the timed `molecule converge`);
  2. a no-op re-run of playbooks/site.yml over SSH (pipelining, ControlPersist), of the fleet and of one host
     (the edge, --limit): wall time, tasks run, per host;
  3. a fleet deploy (the other version, v1 <-> v2, one app host at a time) and a no-op deploy: wall time, and the
     time from the command's start to the new version serving on the first host (the edge's upstream switched).
Without --fresh it uses the fleet `molecule converge -s site` left up (MOLECULE_INVENTORY_FILE, or found under
~/.ansible/tmp).
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def inventory() -> str:
    found = os.environ.get("MOLECULE_INVENTORY_FILE") or next(
        iter(sorted(glob.glob(os.path.expanduser("~/.ansible/tmp/molecule.*.site/inventory")))), ""
    )
    if not found:
        sys.exit("fleet: no site scenario inventory; run `molecule converge -s site` first")
    return found


def timed(cmd: list[str], **kw) -> tuple[float, str]:
    start = time.monotonic()
    run = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT, **kw)
    seconds = time.monotonic() - start
    if run.returncode != 0:
        sys.exit(f"fleet: {' '.join(cmd)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}")
    return seconds, run.stdout


def recap(out: str) -> dict[str, dict[str, int]]:
    hosts = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=\d+\s+skipped=(\d+)", line)
        if m:
            hosts[m[1]] = {"ok": int(m[2]), "changed": int(m[3]), "skipped": int(m[4])}
    return hosts


def site(inv: str, limit: str = "") -> None:
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    extra = ["--limit", limit] if limit else []
    seconds, out = timed(["ansible-playbook", "-i", inv, *extra, "playbooks/site.yml"], env=env)
    hosts = recap(out)
    tasks = len(re.findall(r"^TASK \[", out, re.M))
    changed = sum(h["changed"] for h in hosts.values())
    per_host = ", ".join(f"{h} {v['ok']} ok/{v['skipped']} skipped" for h, v in sorted(hosts.items()))
    what = f"one host ({limit})" if limit else f"the fleet ({len(hosts)} hosts)"
    print(f"site no-op re-run over SSH, {what}: {seconds:.1f} s, {tasks} tasks, {changed} changed ({per_host})")


def upstream() -> str:
    return subprocess.run(
        ["docker", "exec", "site-edge", "cat", "/etc/nginx/shipshape/upstreams/app.conf"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def watch_upstream(before: str, start: float, switched: list[float]) -> None:
    while time.monotonic() - start < 600:
        if upstream() not in (before, ""):
            switched.append(time.monotonic() - start)
            return
        time.sleep(0.2)


def deploy(inv: str) -> None:
    state = subprocess.run(
        ["docker", "exec", "site-app1", "cat", "/var/lib/shipshape/app/live.json"],
        capture_output=True,
        text=True,
        check=True,
    )
    current = json.loads(state.stdout)["image"]
    other = "shipshape-app:v1" if current.endswith(":v2") else "shipshape-app:v2"
    base = ["ansible-playbook", "-i", inv, "playbooks/deploy.yml", "-e"]
    # The new version serves on one host once the edge's upstream names that host's new slot: watch the file.
    switched: list[float] = []
    start = time.monotonic()
    watcher = threading.Thread(target=watch_upstream, args=(upstream(), start, switched), daemon=True)
    watcher.start()
    seconds, _ = timed([*base, json.dumps({"app_image": other})])
    print(f"fleet deploy {current} -> {other} (2 app hosts, one at a time, drain included): {seconds:.1f} s")
    if switched:
        print(f"  command start to {other} serving on the first host (edge upstream switched): {switched[0]:.1f} s")
    seconds, _ = timed([*base, json.dumps({"app_image": other})])
    print(f"fleet no-op deploy ({other} again): {seconds:.1f} s")


def main() -> None:
    if "--fresh" in sys.argv[1:]:
        timed(["molecule", "destroy", "-s", "site"])
        timed(["molecule", "create", "-s", "site"])
        seconds, _ = timed(["molecule", "converge", "-s", "site"])
        print(f"fleet fresh converge (6 hosts, playbooks/site.yml): {seconds:.1f} s")
    inv = inventory()
    # The scenario's inventory reads its key and CA from the ephemeral directory beside it.
    os.environ.setdefault("MOLECULE_EPHEMERAL_DIRECTORY", str(Path(inv).parent))
    site(inv)
    # One host: the edge needs no peer's address (with --limit, the others' would come from their facts).
    site(inv, "site-edge")
    deploy(inv)


if __name__ == "__main__":
    main()
