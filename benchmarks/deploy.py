#!/usr/bin/env python3
"""By hand, not in CI: how long a blue/green deploy takes, and what it does to latency.

Runs against the app scenario's host (`molecule converge -s app`, left up), through nginx with TLS, with the
test bed's load loop (tests/testbed/load.py) on the host at BENCH_RATE requests/s:
  1. steady state: BENCH_SECONDS of load, no deploy: p50, p99;
  2. a deploy of the other version (v1 <-> v2) through playbooks/deploy.yml under the same load: the deploy's
     duration (command start to end), command start to the first response from the new version, failed and
     5xx responses, and p50/p99 of the requests sent while the deploy ran.

Environment: BENCH_HOST (app-host), BENCH_RATE (60), BENCH_SECONDS (20), MOLECULE_INVENTORY_FILE (from
`molecule converge -s app`, or found under ~/.ansible/tmp).
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = os.environ.get("BENCH_HOST", "app-host")
RATE = int(os.environ.get("BENCH_RATE", "60"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
URL = "https://app.shipshape.test/"
CERT = "/etc/shipshape/tls/app/fullchain.pem"
RAW = "/root/bench-load.json"


def inventory() -> str:
    found = os.environ.get("MOLECULE_INVENTORY_FILE") or next(
        iter(sorted(glob.glob(os.path.expanduser("~/.ansible/tmp/molecule.*.app/inventory")))), ""
    )
    if not found:
        sys.exit("deploy: no app scenario inventory; run `molecule converge -s app` first")
    return found


def load(seconds: int) -> subprocess.Popen:
    cmd = ["docker", "exec", HOST, "shipshape-load", URL, "--cafile", CERT, "--rate", str(RATE)]
    cmd += ["--seconds", str(seconds), "--raw", RAW]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> tuple[dict, list]:
    out, err = proc.communicate(timeout=900)
    if proc.returncode != 0:
        sys.exit(f"deploy: the load loop failed:\n{err[-2000:]}")
    raw = subprocess.run(["docker", "exec", HOST, "cat", RAW], capture_output=True, text=True, check=True).stdout
    return json.loads(out), json.loads(raw)


def percentiles(records: list) -> tuple[float, float]:
    latencies = sorted(r[3] for r in records)
    if not latencies:
        return float("nan"), float("nan")

    def pick(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    return pick(0.50), pick(0.99)


def live_image() -> str:
    out = subprocess.run(
        ["docker", "exec", HOST, "cat", "/var/lib/shipshape/app/live.json"], capture_output=True, text=True, check=False
    )
    return json.loads(out.stdout)["image"] if out.returncode == 0 else ""


def main() -> None:
    inv = inventory()
    print(f"{HOST}: {RATE} requests/s through nginx (TLS), {SECONDS} s steady, then a deploy under the same load")
    steady, records = finish(load(SECONDS))
    p50, p99 = percentiles(records)
    print(
        f"  steady state        {steady['requests']:5d} requests  failed {steady['failed']}"
        f"  5xx {steady['server_errors']}"
        f"  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
    )

    current = live_image()
    target = "shipshape-app:v1" if current.endswith(":v2") else "shipshape-app:v2"
    version = target.rsplit(":", 1)[1]
    proc = load(SECONDS + 60)
    time.sleep(3)
    started = time.time()
    run = subprocess.run(
        ["ansible-playbook", "-i", inv, str(ROOT / "playbooks" / "deploy.yml"), "-e", f"app_image={target}"],
        capture_output=True,
        text=True,
        check=False,
        # The scenario's variables name files in molecule's ephemeral directory (the image archive).
        env=dict(os.environ, MOLECULE_EPHEMERAL_DIRECTORY=str(Path(inv).parent)),
    )
    ended = time.time()
    if run.returncode != 0:
        sys.exit(f"deploy: the deploy failed:\n{run.stdout[-3000:]}")
    during, records = finish(proc)
    window = [r for r in records if started <= r[0] <= ended]
    first_new = min((r[0] for r in records if r[2] == version), default=float("nan"))
    p50, p99 = percentiles(window)
    failed = sum(1 for r in window if isinstance(r[1], str))
    errors = sum(1 for r in window if isinstance(r[1], int) and r[1] >= 500)
    print(f"  deploy {current} -> {target}")
    print(f"    command start to end                  {ended - started:6.1f} s")
    print(f"    command start to first {version} response     {first_new - started:6.1f} s")
    print(
        f"    during the deploy   {len(window):5d} requests  failed {failed}  5xx {errors}"
        f"  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
    )
    print(
        f"    whole load run: failed {during['failed']}, 5xx {during['server_errors']}, "
        f"retried on a closed keep-alive connection {during['retried']}"
    )


if __name__ == "__main__":
    main()
