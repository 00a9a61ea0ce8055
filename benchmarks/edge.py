#!/usr/bin/env python3
"""By hand, not in CI: what nginx with TLS costs in front of the app, measured with wrk.

Runs against the edge scenario's hosts (`molecule converge -s edge`, left up). wrk (Debian's) runs on the web
host itself, so every case shares the same two cores with the load generator:
  1. the upstream directly (plain HTTP on 127.0.0.1:8080);
  2. the same page through nginx: TLS 1.3, HTTP/1.1 keep-alive, proxied with upstream keep-alive;
  3. a static file served by nginx from disk over TLS (no upstream).
Prints requests/s and latency percentiles (p50, p99) for each.

URLs name port 443 because the test hosts lack /etc/services (wrk resolves the scheme as a service).
Environment: BENCH_HOST (edge-web), BENCH_SECONDS (15), BENCH_CONNECTIONS (32), BENCH_THREADS (2).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

HOST = os.environ.get("BENCH_HOST", "edge-web")
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
DOMAIN = "www.shipshape.test"
CASES = [
    ("upstream directly (HTTP)", "http://127.0.0.1:8080/"),
    ("through nginx (TLS, proxied)", f"https://{DOMAIN}:443/"),
    ("nginx static file (TLS)", f"https://{DOMAIN}:443/static/app.3f2a9c1d.css"),
]
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str) -> dict[str, float]:
    cmd = ["docker", "exec", HOST, "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        sys.exit(f"edge: wrk failed against {url}:\n{run.stderr[-2000:]}")
    out = run.stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))}
    for pct in ("50", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([0-9.]+)(us|ms|s)\s*$", out, re.M).groups()
        figures[f"p{pct}"] = float(value) * UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non2xx"] = int(errors.group(1)) if errors else 0
    return figures


def main() -> None:
    print(f"wrk on {HOST}: {THREADS} threads, {CONNECTIONS} connections, {SECONDS} s per case")
    print(f"  {'case':<32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    results = {}
    for label, url in CASES:
        results[label] = figures = wrk(url)
        print(f"  {label:<32} {figures['rps']:9.0f} {figures['p50']:8.2f} {figures['p99']:8.2f} {figures['non2xx']:8d}")
    direct, proxied = results[CASES[0][0]], results[CASES[1][0]]
    print(
        f"  nginx + TLS in front: {proxied['rps'] / direct['rps']:.2f}x the direct throughput, "
        f"p99 {proxied['p99'] - direct['p99']:+.2f} ms"
    )


if __name__ == "__main__":
    main()
