#!/usr/bin/env python3
"""By hand, not in CI: backup and restore of a ~1 GB database, and what a crash loses.

Runs against the backup scenario's hosts (`molecule converge -s backup`, left up):
  1. pgbench -i -s 70 (about 1 GB), then a full backup through the role's systemd unit: backup time;
  2. a writer commits one row every 50 ms; the database host "crashes" (PostgreSQL killed -9, data directory
     removed); restore.yml restores the latest state: restore time, and the rows committed before the crash
     that the restore lacks (WAL not yet archived: at most archive_timeout's worth);
  3. what archive_timeout costs on a lightly written database: one commit a second for BENCH_TRAFFIC_SECONDS
     (120) with archive_timeout 60 and then 10, the segments archived and the bytes the archive grew in S3.

Environment: BENCH_HOST (backup-db), BENCH_SCALE (70), BENCH_WRITE_SECONDS (90, longer than archive_timeout).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = os.environ.get("BENCH_HOST", "backup-db")
SCALE = int(os.environ.get("BENCH_SCALE", "70"))
WRITE_SECONDS = int(os.environ.get("BENCH_WRITE_SECONDS", "90"))
TRAFFIC_SECONDS = int(os.environ.get("BENCH_TRAFFIC_SECONDS", "120"))


def sh(command: str, check: bool = True) -> str:
    run = subprocess.run(["docker", "exec", HOST, "bash", "-c", command], capture_output=True, text=True, check=False)
    if check and run.returncode != 0:
        sys.exit(f"backup: `{command}` failed on {HOST}:\n{run.stderr[-2000:]}")
    return run.stdout.strip()


def sql(statement: str) -> str:
    return sh(f"sudo -u postgres psql -d app -qXAt -v ON_ERROR_STOP=1 -c {shlex.quote(statement)}")


def timed(label: str, fn) -> float:
    started = time.monotonic()
    fn()
    took = time.monotonic() - started
    print(f"  {label:<44} {took:7.1f} s")
    return took


def restore() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "hosts.yml"
        host = {HOST: {"ansible_connection": "community.docker.docker"}}
        inventory.write_text(json.dumps({"all": {"children": {"db": {"hosts": host}}}}))
        run = subprocess.run(
            [
                "ansible-playbook",
                "-i",
                str(inventory),
                str(ROOT / "playbooks" / "restore.yml"),
                "-e",
                f"restore_confirm={HOST}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            sys.exit(f"backup: restore.yml failed:\n{run.stdout[-3000:]}")


def archive_bytes(stanza: str) -> int:
    """Bytes under the stanza's WAL archive in the repository (pgBackRest's own listing)."""
    listing = sh(f"sudo -u postgres pgbackrest --stanza={stanza} repo-ls --recurse --output=json archive/{stanza}")
    return sum(entry.get("size", 0) for entry in json.loads(listing).values() if entry.get("type") == "file")


def wal_traffic(stanza: str, timeout: int) -> tuple[int, int]:
    """Segments archived and archive bytes added by one commit a second for TRAFFIC_SECONDS."""
    sql(f"ALTER SYSTEM SET archive_timeout = {int(timeout)}")
    sql("SELECT pg_reload_conf()")
    sh(f"sudo -u postgres pgbackrest --stanza={stanza} check")
    count = "SELECT archived_count FROM pg_stat_archiver"
    segments, size = int(sql(count)), archive_bytes(stanza)
    sql("CREATE TABLE IF NOT EXISTS trickle (at timestamptz DEFAULT now())")
    insert = 'sudo -u postgres psql -d app -qXAt -c "INSERT INTO trickle DEFAULT VALUES"'
    sh(f"end=$((SECONDS+{TRAFFIC_SECONDS})); while [ $SECONDS -lt $end ]; do {insert}; sleep 1; done")
    time.sleep(5)
    return int(sql(count)) - segments, archive_bytes(stanza) - size


def main() -> None:
    if subprocess.run(["docker", "inspect", HOST], capture_output=True, check=False).returncode != 0:
        sys.exit(f"backup: no host {HOST}; run 'molecule converge -s backup' first")
    version = sh("pg_lsclusters --no-header | awk '{print $1; exit}'")
    print(f"host {HOST}: PostgreSQL {version}, pgbench scale {SCALE}")
    timed(f"pgbench -i -s {SCALE}", lambda: sh(f"sudo -u postgres pgbench -i -q -s {SCALE} app"))
    size = sql("SELECT pg_size_pretty(pg_database_size('app'))")
    print(f"  database size                                {size:>9}")
    timed("full backup (systemd unit, to S3)", lambda: sh("systemctl start shipshape-backup-postgres@full.service"))

    sql("CREATE TABLE IF NOT EXISTS ticks (id bigint PRIMARY KEY, at timestamptz DEFAULT now())")
    sql("TRUNCATE ticks")
    print(f"\n  writer: one committed row every 50 ms for {WRITE_SECONDS} s, then the crash")
    insert = 'sudo -u postgres psql -d app -qXAt -c "INSERT INTO ticks (id) VALUES ($i)" >/dev/null'
    loop = f"end=$((SECONDS+{WRITE_SECONDS})); i=0; while [ $SECONDS -lt $end ]; do i=$((i+1));"
    writer = f"{loop} {insert} && echo $i $(date +%s.%N); sleep 0.05; done"
    last_line = sh(writer).splitlines()[-1].split()
    last_committed, crash_at = int(last_line[0]), float(last_line[1])
    sh(
        f"pkill -9 -f 'postgres -D /var/lib/postgresql/{version}/main'; rm -rf /var/lib/postgresql/{version}/main",
        check=False,
    )
    timed("restore.yml (latest) after losing the data", restore)
    # The table itself is lost when its creation never reached the archive.
    newest = "SELECT coalesce(max(id), 0) || ' ' || coalesce(extract(epoch FROM max(at)), 0) FROM ticks"
    restored, restored_at = sql(newest).split() if sql("SELECT to_regclass('ticks')") else ("0", "0")
    seconds_lost = crash_at - float(restored_at) if restored != "0" else float(WRITE_SECONDS)
    restored = int(restored)
    print(f"  last commit before the crash                 {last_committed:9d}")
    print(f"  newest row after the restore                 {restored:9d}")
    print(f"  committed rows lost                          {last_committed - restored:9d}")
    print(f"  seconds of commits lost                      {seconds_lost:9.1f}   (bounded by archive_timeout)")

    stanza = sh("sed -n 's/^\\[\\([^]]*\\)\\]$/\\1/p' /etc/pgbackrest/pgbackrest.conf | grep -vx global")
    configured = sql("SHOW archive_timeout")
    print(f"\n  WAL traffic of one commit a second for {TRAFFIC_SECONDS} s (stanza {stanza}):")
    for timeout in (60, 10):
        segments, grown = wal_traffic(stanza, timeout)
        print(
            f"  archive_timeout {timeout:>2} s: {segments:4d} segments archived, archive grew {grown / 1024:9.1f} KiB"
        )
    sql(f"ALTER SYSTEM SET archive_timeout = '{configured}'")
    sql("SELECT pg_reload_conf()")


if __name__ == "__main__":
    main()
