#!/usr/bin/env python3
"""By hand, not in CI: the data tier of the `make demo` sandbox, measured.

Prints three comparisons, each on the same host:
  1. pgbench with a new connection per transaction (-C, select-only) through PgBouncer vs directly;
  2. pgbench TPS (TPC-B-like) with the postgres role's tuning vs Debian's stock settings;
  3. redis-benchmark SET/GET with AOF everysec vs AOF off.

Needs `make demo` first. Environment: BENCH_HOST (sandbox), BENCH_SCALE (50),
BENCH_SECONDS (20), BENCH_CLIENTS (8).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = os.environ.get("BENCH_HOST", "sandbox")
SCALE = int(os.environ.get("BENCH_SCALE", "50"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECRETS = ROOT / ".cache" / "sandbox"


def secret(name: str) -> str:
    return (SECRETS / name).read_text().split()[0]


def sh(command: str, *, env: dict[str, str] | None = None) -> str:
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
    run = subprocess.run(
        ["docker", "exec", HOST, "bash", "-c", f"{'export ' + exports + ';' if exports else ''} {command}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        sys.exit(f"data-tier: `{command}` failed on {HOST}:\n{run.stderr[-2000:]}")
    return run.stdout + run.stderr


def pgbench(args: str, user: str, password: str, port: int) -> float:
    out = sh(f"pgbench -h 127.0.0.1 -p {port} -U {user} {args} app", env={"PGPASSWORD": password})
    return float(re.findall(r"tps = ([0-9.]+)", out)[-1])


def redis_bench(password: str) -> dict[str, float]:
    out = sh(
        # redis-benchmark reads no REDISCLI_AUTH: the password goes on its command line (sandbox only).
        'redis-benchmark -h 127.0.0.1 --user admin -a "$REDISCLI_AUTH" -t set,get -n 200000 -c 50 -q 2>/dev/null',
        env={"REDISCLI_AUTH": password},
    ).replace("\r", "\n")
    found = re.findall(r"^\s*(SET|GET): ([0-9.]+) requests per second", out, re.MULTILINE)
    return {name: float(rps) for name, rps in found}


def redis_config(password: str, *args: str) -> None:
    command = "redis-cli --user admin --no-auth-warning " + " ".join(shlex.quote(a) for a in args)
    sh(command, env={"REDISCLI_AUTH": password})


def restart_postgres(version: str) -> None:
    sh(f"systemctl restart postgresql@{version}-main && until pg_isready -q; do sleep 0.2; done")


def main() -> None:
    if subprocess.run(["docker", "inspect", HOST], capture_output=True, check=False).returncode != 0:
        sys.exit(f"data-tier: no host {HOST}; run 'make demo' first")
    app, migrate, admin = secret("postgres_app"), secret("postgres_migration"), secret("redis_admin")
    version = sh("pg_lsclusters -h | awk '{print $1; exit}'").strip()
    conf = f"/etc/postgresql/{version}/main/conf.d/50-shipshape.conf"
    print(f"host {HOST}: PostgreSQL {version}, pgbench scale {SCALE}, {CLIENTS} clients, {SECONDS} s per run")

    # The tables belong to the owner role: pgbench -i runs as the migration role.
    started = time.monotonic()
    sh(f"pgbench -i -q -s {SCALE} -h 127.0.0.1 -p 5432 -U app_migrate app", env={"PGPASSWORD": migrate})
    print(f"  pgbench -i -s {SCALE}: {time.monotonic() - started:.0f} s")

    run = f"-c {CLIENTS} -j 2 -T {SECONDS}"
    print("\n1. new connection per transaction (pgbench -C -S)")
    direct = pgbench(f"-C -S {run}", "app", app, 5432)
    pooled = pgbench(f"-C -S {run}", "app", app, 6432)
    print(f"  direct to PostgreSQL :5432  {direct:9.0f} tps")
    print(f"  through PgBouncer   :6432  {pooled:9.0f} tps   ({pooled / direct:.1f}x)")

    print("\n2. TPC-B-like, role's tuning vs Debian's stock settings (direct, persistent connections)")
    tuned = pgbench(run, "app", app, 5432)
    sh(f"mv {conf} /root/50-shipshape.conf.bench")
    try:
        restart_postgres(version)
        stock = pgbench(run, "app", app, 5432)
    finally:
        sh(f"mv /root/50-shipshape.conf.bench {conf}")
        restart_postgres(version)
    print(f"  Debian stock settings      {stock:9.0f} tps")
    print(f"  shipshape tuning           {tuned:9.0f} tps   ({tuned / stock:.2f}x)")

    print("\n3. redis-benchmark -t set,get -n 200000 -c 50")
    everysec = redis_bench(admin)
    redis_config(admin, "CONFIG", "SET", "appendonly", "no")
    try:
        off = redis_bench(admin)
    finally:
        redis_config(admin, "CONFIG", "SET", "appendonly", "yes")
    for op in ("SET", "GET"):
        print(f"  {op}  AOF everysec {everysec.get(op, 0):9.0f} rps   AOF off {off.get(op, 0):9.0f} rps")


if __name__ == "__main__":
    main()
