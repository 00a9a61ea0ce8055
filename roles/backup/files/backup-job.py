#!/usr/bin/python3
# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one backup job and record it for node_exporter's textfile collector.

  backup-job postgres full|diff [--stanza S]   pgBackRest backup, as the postgres user
  backup-job redis                             BGSAVE, then dump.rdb and the AOF files to S3, then prune
  backup-job redis-fetch DIR [--date D]        the newest (or D's) Redis copy of this host from S3 into DIR
  backup-job wal [--stanza S]                  WAL archiving's state, every minute: queue, drops, last archived

Writes METRICS_DIR/shipshape_backup_<job>.prom: last success time, last duration, last size, failures
(a counter kept across runs), and whether the last run succeeded. Exits non-zero when the job failed,
so the systemd unit fails visibly.
"""

from __future__ import annotations

import argparse
import configparser
import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

METRICS_DIR = Path(os.environ.get("BACKUP_METRICS_DIR", "/var/lib/prometheus/node-exporter"))
REDIS_CONF = Path(os.environ.get("BACKUP_REDIS_CONF", "/etc/shipshape/backup-redis.ini"))


def run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[:4])} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}"
        )
    return done.stdout


def postgres(kind: str, stanza: str) -> int:
    as_postgres = ["runuser", "-u", "postgres", "--", "pgbackrest", f"--stanza={stanza}"]
    run([*as_postgres, f"--type={kind}", "backup"])
    info = json.loads(run([*as_postgres, "--output=json", "info"]))
    backups = info[0].get("backup") or []
    newest = max(backups, key=lambda b: b["timestamp"]["stop"])
    return int(newest["info"]["repository"]["delta"])


WAL_DROPPED = "dropped WAL file '"


def stanza_pgdata(stanza: str, conf: Path = Path("/etc/pgbackrest/pgbackrest.conf")) -> str:
    """The stanza's data directory, as pgBackRest's own configuration names it."""
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(conf) or not parser.has_option(stanza, "pg1-path"):
        raise RuntimeError(f"{conf} has no pg1-path for stanza {stanza}")
    return parser[stanza]["pg1-path"]


def wal_metrics(pgdata: str, stanza: str, logs: Path = Path("/var/log/pgbackrest")) -> list[str]:
    """Metrics of WAL archiving: what waits for S3, what pgBackRest dropped, when it last archived."""
    status = Path(pgdata) / "pg_wal" / "archive_status"
    queue = 0
    for ready in status.glob("*.ready"):
        segment = status.parent / ready.name[: -len(".ready")]
        try:
            queue += segment.stat().st_size
        except OSError:
            pass
    dropped: set[str] = set()
    for log in (logs / f"{stanza}-archive-push-async.log", logs / f"{stanza}-archive-push.log"):
        try:
            text = log.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if WAL_DROPPED in line:
                dropped.add(line.split(WAL_DROPPED, 1)[1].split("'", 1)[0])
    archived, failed = "0", "0"
    try:
        out = run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                "psql",
                "-XAtq",
                "-F",
                " ",
                "-c",
                "SELECT coalesce(extract(epoch FROM last_archived_time)::bigint, 0), failed_count"
                " FROM pg_stat_archiver",
            ]
        ).split()
        archived, failed = out[0], out[1]
    except (RuntimeError, IndexError):
        pass
    label = f'{{stanza="{stanza}"}}'
    return [
        "# HELP shipshape_backup_wal_queue_bytes WAL segments waiting for the repository (pg_wal .ready files).",
        "# TYPE shipshape_backup_wal_queue_bytes gauge",
        f"shipshape_backup_wal_queue_bytes{label} {queue}",
        "# HELP shipshape_backup_wal_dropped_segments WAL segments pgBackRest dropped at the queue limit "
        "(in the current logs): point-in-time recovery has a gap until the next backup.",
        "# TYPE shipshape_backup_wal_dropped_segments gauge",
        f"shipshape_backup_wal_dropped_segments{label} {len(dropped)}",
        "# HELP shipshape_backup_wal_last_archived_timestamp_seconds When PostgreSQL last archived a segment.",
        "# TYPE shipshape_backup_wal_last_archived_timestamp_seconds gauge",
        f"shipshape_backup_wal_last_archived_timestamp_seconds{label} {archived}",
        "# HELP shipshape_backup_wal_archive_failures_total Failed archive_command runs (pg_stat_archiver).",
        "# TYPE shipshape_backup_wal_archive_failures_total counter",
        f"shipshape_backup_wal_archive_failures_total{label} {failed}",
    ]


def write_prom(path: Path, lines: list[str]) -> None:
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=METRICS_DIR, delete=False, prefix=".backup-job-") as tmp:
        tmp.write("\n".join(lines) + "\n")
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)


def redis_settings():
    conf = configparser.ConfigParser(interpolation=None)
    if not conf.read(REDIS_CONF):
        raise RuntimeError(f"cannot read {REDIS_CONF}")
    return conf["redis"], conf["s3"]


def s3_client(s3):
    import boto3  # noqa: PLC0415 - only the Redis jobs need it
    from botocore.config import Config  # noqa: PLC0415

    return boto3.client(
        "s3",
        endpoint_url=s3["endpoint"],
        region_name=s3["region"],
        aws_access_key_id=s3["access_key"],
        aws_secret_access_key=s3["secret_key"],
        verify=s3.get("ca_file") or True,
        config=Config(s3={"addressing_style": s3.get("addressing_style", "path")}, retries={"max_attempts": 2}),
    )


def host_prefix(s3) -> str:
    return f"{s3['prefix'].strip('/')}/{socket.getfqdn()}/"


def copies(client, s3) -> list[str]:
    """Dates (YYYY-MM-DD) of this host's Redis copies in S3, oldest first."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=s3["bucket"], Prefix=host_prefix(s3), Delimiter="/")
    return sorted(
        p["Prefix"].rstrip("/").rsplit("/", 1)[-1] for page in pages for p in page.get("CommonPrefixes") or []
    )


def prune(client, s3) -> None:
    """Delete this host's copies older than the retention (days); the newest is always kept."""
    keep_after = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=int(s3["retention_days"]))
    for day in copies(client, s3)[:-1]:
        if datetime.date.fromisoformat(day) < keep_after:
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=s3["bucket"], Prefix=host_prefix(s3) + day + "/"
            )
            for page in pages:
                for obj in page.get("Contents") or []:
                    client.delete_object(Bucket=s3["bucket"], Key=obj["Key"])


def redis_fetch(target: str, day: str | None) -> int:
    s3 = redis_settings()[1]
    client = s3_client(s3)
    dates = copies(client, s3)
    if not dates or (day and day not in dates):
        raise RuntimeError(f"no Redis copy {day or ''} under s3://{s3['bucket']}/{host_prefix(s3)}")
    prefix = host_prefix(s3) + (day or dates[-1]) + "/"
    size = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3["bucket"], Prefix=prefix):
        for obj in page.get("Contents") or []:
            dest = Path(target) / obj["Key"][len(prefix) :]
            dest.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(s3["bucket"], obj["Key"], str(dest))
            size += obj["Size"]
    print(f"fetched {prefix} ({size} bytes) into {target}")
    return size


def bgsave(redis_cli, timeout: float, sleep=time.sleep, clock=time.monotonic) -> None:
    """Start a BGSAVE and wait until that snapshot is on disk.

    redis_cli(*words) returns redis-cli's output. redis-cli exits 0 on an error reply, so replies are read,
    not exit codes: a BGSAVE refused because an AOF rewrite runs is scheduled after it instead (SCHEDULE), one
    already running is waited out and followed by ours (it may predate the latest writes), and any other reply
    fails the job. Completion is counted with rdb_saves (Redis 7), not LASTSAVE, whose one-second resolution
    misses a save that ends in the same second as the one before it; an older Redis, without the counter, has
    its save start at least a second after the last one instead.
    """
    deadline = clock() + timeout

    def persistence() -> dict[str, str]:
        return dict(line.split(":", 1) for line in redis_cli("INFO", "persistence").split() if ":" in line)

    def wait(until) -> dict[str, str]:
        while True:
            fields = persistence()
            if until(fields):
                return fields
            if clock() > deadline:
                raise RuntimeError(f"BGSAVE did not finish within {timeout:.0f} s")
            sleep(0.5)

    def saves(fields: dict[str, str]) -> int:
        return int(fields.get("rdb_saves", fields.get("rdb_last_save_time", "0")))

    while True:
        fields = persistence()
        before = saves(fields)
        if "rdb_saves" not in fields and time.time() < before + 1:
            sleep(1)
        reply = redis_cli("BGSAVE", "SCHEDULE").strip()
        if reply.startswith("Background saving started") or reply.startswith("Background saving scheduled"):
            break
        if "already in progress" not in reply:
            raise RuntimeError(f"BGSAVE refused: {reply[:200]}")
        wait(lambda f: f.get("rdb_bgsave_in_progress") == "0")
    fields = wait(lambda f: saves(f) > before and f.get("rdb_bgsave_in_progress") == "0")
    if fields.get("rdb_last_bgsave_status") != "ok":
        raise RuntimeError(f"BGSAVE failed: rdb_last_bgsave_status={fields.get('rdb_last_bgsave_status')}")


def redis() -> int:
    r, s3 = redis_settings()
    cli = ["redis-cli", "-s", r["socket"], "--user", r["user"], "--no-auth-warning"]
    auth = {"REDISCLI_AUTH": r["password"]}
    bgsave(lambda *words: run([*cli, *words], auth), float(r.get("timeout", "3600")))
    data = Path(r["dir"])
    files = [data / "dump.rdb", *sorted((data / "appendonlydir").glob("*"))]
    client = s3_client(s3)
    prefix = host_prefix(s3) + datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    size = 0
    for path in files:
        sub = "appendonlydir/" if path.parent.name == "appendonlydir" else ""
        client.upload_file(str(path), s3["bucket"], f"{prefix}/{sub}{path.name}")
        size += path.stat().st_size
    prune(client, s3)
    return size


def read_counter(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + "{"):
                return int(float(line.rsplit(" ", 1)[1]))
    except (OSError, ValueError):
        pass
    return 0


def previous(path: Path, name: str) -> str | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + "{"):
                return line.rsplit(" ", 1)[1]
    except OSError:
        pass
    return None


def write_metrics(job: str, ok: bool, duration: float, size: int | None) -> None:
    path = METRICS_DIR / f"shipshape_backup_{job.replace('-', '_')}.prom"
    # Not "job": Prometheus keeps that label for its scrape job and would rename this one exported_job.
    label = f'{{backup="{job}"}}'
    failures = read_counter(path, "shipshape_backup_failures_total") + (0 if ok else 1)
    last_success = str(int(time.time())) if ok else previous(path, "shipshape_backup_last_success_timestamp_seconds")
    last_size = str(size) if ok and size is not None else previous(path, "shipshape_backup_last_size_bytes")
    lines = [
        "# HELP shipshape_backup_last_success_timestamp_seconds When the job last succeeded.",
        "# TYPE shipshape_backup_last_success_timestamp_seconds gauge",
        f"shipshape_backup_last_success_timestamp_seconds{label} {last_success or 0}",
        "# HELP shipshape_backup_last_duration_seconds How long the last run took.",
        "# TYPE shipshape_backup_last_duration_seconds gauge",
        f"shipshape_backup_last_duration_seconds{label} {duration:.1f}",
        "# HELP shipshape_backup_last_size_bytes Bytes the last successful run stored.",
        "# TYPE shipshape_backup_last_size_bytes gauge",
        f"shipshape_backup_last_size_bytes{label} {last_size or 0}",
        "# HELP shipshape_backup_failures_total Failed runs.",
        "# TYPE shipshape_backup_failures_total counter",
        f"shipshape_backup_failures_total{label} {failures}",
        "# HELP shipshape_backup_last_run_success Whether the last run succeeded.",
        "# TYPE shipshape_backup_last_run_success gauge",
        f"shipshape_backup_last_run_success{label} {1 if ok else 0}",
    ]
    write_prom(path, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["postgres", "redis", "redis-fetch", "wal"])
    parser.add_argument(
        "arg",
        nargs="?",
        default="diff",
        help="full|diff|incr for postgres; the target directory for redis-fetch",
    )
    parser.add_argument("--stanza", default="main")
    parser.add_argument("--date", help="redis-fetch: the copy of this day (YYYY-MM-DD) instead of the newest")
    args = parser.parse_args()
    if args.kind == "redis-fetch":
        redis_fetch(args.arg, args.date)
        return 0
    if args.kind == "wal":
        write_prom(METRICS_DIR / "shipshape_backup_wal.prom", wal_metrics(stanza_pgdata(args.stanza), args.stanza))
        return 0
    args.type = args.arg
    if args.kind == "postgres" and args.type not in ("full", "diff", "incr"):
        parser.error("postgres backups are full, diff or incr")
    job = f"postgres-{args.type}" if args.kind == "postgres" else "redis"
    started = time.monotonic()
    try:
        size = postgres(args.type, args.stanza) if args.kind == "postgres" else redis()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, then reported by the exit status
        write_metrics(job, False, time.monotonic() - started, None)
        print(f"backup-job {job}: FAILED: {exc}", file=sys.stderr)
        return 1
    write_metrics(job, True, time.monotonic() - started, size)
    print(f"backup-job {job}: ok, {size} bytes in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
