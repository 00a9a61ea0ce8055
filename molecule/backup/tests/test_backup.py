"""Backups that prove themselves: real PostgreSQL, real pgBackRest, a real S3 server.

The tests run in file order: they build on each other's backups.
"""

import json
import time

import pytest
from conftest import metrics, playbook, sql, wait_archived

TABLE = "CREATE TABLE IF NOT EXISTS ledger (id serial PRIMARY KEY, phase int NOT NULL, note text)"
CHECKSUM = "SELECT count(*) || ':' || coalesce(md5(string_agg(id || '/' || phase || '/' || note, ',' ORDER BY id)), '')"


def insert(db, phase, rows=10):
    rows_sql = f"SELECT {int(phase)}, md5(random()::text) FROM generate_series(1, {int(rows)})"  # noqa: S608
    sql(db, f"INSERT INTO ledger (phase, note) {rows_sql}")


def assert_postgres_takes_writes(db, phase):
    """PostgreSQL still commits: one more row is there after an insert."""
    rows = int(sql(db, "SELECT count(*) FROM ledger"))
    insert(db, phase, rows=1)
    assert sql(db, "SELECT count(*) FROM ledger") == str(rows + 1)


def start_unit(db, unit):
    # A hung job fails its test in minutes, not at the suite's per-test limit.
    return db.run(f"timeout 600 systemctl start {unit}")


def test_full_backup_unit_succeeds_and_records_metrics(db):
    sql(db, TABLE)
    insert(db, 1)
    before = time.time()
    run = start_unit(db, "shipshape-backup-postgres@full.service")
    assert run.rc == 0, run.stderr
    m = metrics(db, "postgres-full")
    assert m["last_run_success"] == 1
    assert m["last_success_timestamp_seconds"] >= int(before)
    assert m["last_size_bytes"] > 0 and m["last_duration_seconds"] > 0


def test_point_in_time_restore_keeps_exactly_the_rows_committed_before_t(db):
    insert(db, 2)
    time.sleep(1.5)
    target = sql(db, "SELECT now()")
    time.sleep(1.5)
    insert(db, 3)
    wait_archived(db)
    assert sql(db, "SELECT count(*) FROM ledger WHERE phase = 3") == "10"
    run = playbook("restore.yml", restore_confirm="backup-db", restore_target_time=target)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert sql(db, "SELECT phase, count(*) FROM ledger GROUP BY phase ORDER BY phase") == "1|10\n2|10"


def test_disaster_restore_of_the_latest_state_matches_the_original(db):
    insert(db, 4)
    original = sql(db, CHECKSUM + " FROM ledger")
    wait_archived(db)
    # The disaster: the cluster's data directory is gone.
    assert db.run("systemctl stop postgresql@15-main && rm -rf /var/lib/postgresql/15/main").rc == 0
    run = playbook(
        "restore.yml",
        restore_confirm="backup-db",
        restore_checks=[{"name": "ledger", "database": "app", "sql": "SELECT count(*) FROM ledger", "expected": 30}],
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert sql(db, CHECKSUM + " FROM ledger") == original


def test_a_restore_that_fails_its_checks_puts_the_previous_cluster_back_and_serves_it(db):
    target = sql(db, "SELECT now()")
    time.sleep(1.5)
    sql(db, "CREATE TABLE marker (note text)")
    sql(db, "INSERT INTO marker VALUES ('written after the target')")
    wait_archived(db)
    before = sql(db, CHECKSUM + " FROM ledger")
    # The restored cluster (before the marker) fails a check that only the current one passes.
    check = {"name": "marker", "database": "app", "sql": "SELECT count(*) FROM pg_tables WHERE tablename = 'marker'"}
    run = playbook(
        "restore.yml", restore_confirm="backup-db", restore_target_time=target, restore_checks=[check | {"expected": 1}]
    )
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    assert "The previous cluster is back and PostgreSQL runs on it" in out, out[-3000:]
    assert sql(db, "SELECT note FROM marker") == "written after the target"
    assert sql(db, CHECKSUM + " FROM ledger") == before
    assert not db.file("/var/lib/postgresql/15/main.before-restore").exists
    sql(db, "DROP TABLE marker")


@pytest.fixture
def fresh_full_backup(db):
    assert start_unit(db, "shipshape-backup-postgres@full.service").rc == 0
    return db.run("sudo -u postgres pgbackrest --stanza=backup-db --output=json info").stdout


def test_backup_verify_drills_then_names_the_backup_missing_a_file(db, s3, fresh_full_backup):
    checks = [{"name": "ledger rows", "database": "app", "sql": "SELECT count(*) FROM ledger", "expected": "30"}]
    run = playbook("verify_backups.yml", verify_checks=checks, verify_max_age="1h")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert "restored, started, 1 check(s) passed" in run.stdout

    label = max(json.loads(fresh_full_backup)[0]["backup"], key=lambda b: b["timestamp"]["stop"])["label"]
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(
            Bucket="shipshape-backups", Prefix=f"pgbackrest/backup/backup-db/{label}/pg_data/base/"
        )["Contents"]
    ]
    victim = keys[len(keys) // 2]
    body = s3.get_object(Bucket="shipshape-backups", Key=victim)["Body"].read()
    s3.delete_object(Bucket="shipshape-backups", Key=victim)
    try:
        run = playbook("verify_backups.yml", verify_drill=False, verify_max_age="1h")
        assert run.returncode != 0
        assert f"backup {label}" in run.stdout + run.stderr, run.stderr[-3000:]
    finally:
        s3.put_object(Bucket="shipshape-backups", Key=victim, Body=body)


def test_s3_unreachable_fails_the_unit_counts_the_failure_and_postgres_keeps_serving(db, s3_host):
    failures = (
        metrics(db, "postgres-diff").get("failures_total", 0)
        if db.file("/var/lib/prometheus/node-exporter/shipshape_backup_postgres_diff.prom").exists
        else 0
    )
    assert s3_host.run("systemctl stop weed-s3").rc == 0
    try:
        run = start_unit(db, "shipshape-backup-postgres@diff.service")
        assert run.rc != 0
        assert "failed" in db.run("systemctl is-failed shipshape-backup-postgres@diff.service").stdout
        m = metrics(db, "postgres-diff")
        assert m["failures_total"] == failures + 1 and m["last_run_success"] == 0
        assert_postgres_takes_writes(db, 5)
    finally:
        assert s3_host.run("systemctl start weed-s3").rc == 0
        time.sleep(2)


def test_redis_snapshot_restores_onto_a_fresh_redis(db):
    admin = "REDISCLI_AUTH=rds-adm-J7p2Xv9Lq4Bn6Tk1Zm8Wc5 redis-cli --user admin --no-auth-warning"
    db.run(f"seq 1 200 | sed 's/.*/SET snap:& value-&/' | {admin} >/dev/null")
    run = start_unit(db, "shipshape-backup-redis.service")
    assert run.rc == 0, run.stderr
    assert metrics(db, "redis")["last_run_success"] == 1
    # A fresh Redis: no data at all.
    assert db.run("systemctl stop redis-server && rm -rf /var/lib/redis/dump.rdb /var/lib/redis/appendonlydir").rc == 0
    assert db.run("systemctl start redis-server").rc == 0
    assert db.run(f"{admin} DBSIZE").stdout.strip() == "0"
    postgres_started = sql(db, "SELECT pg_postmaster_start_time()")
    ledger = sql(db, CHECKSUM + " FROM ledger")
    # Asking for Redis alone restores Redis alone: PostgreSQL is neither stopped nor restored.
    run = playbook("restore.yml", restore_confirm="backup-db", restore_redis=True)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert sql(db, "SELECT pg_postmaster_start_time()") == postgres_started
    assert sql(db, CHECKSUM + " FROM ledger") == ledger
    for _ in range(30):
        if db.run(f"{admin} PING").stdout.strip() == "PONG":
            break
        time.sleep(1)
    assert db.run(f"{admin} --scan --pattern 'snap:*' | wc -l").stdout.strip() == "200"
    assert db.run(f"{admin} GET snap:123").stdout.strip() == "value-123"


def test_a_failed_redis_restore_puts_the_previous_data_back_and_redis_serves_it(db):
    admin = "REDISCLI_AUTH=rds-adm-J7p2Xv9Lq4Bn6Tk1Zm8Wc5 redis-cli --user admin --no-auth-warning"
    assert db.run(f"{admin} SET only:here kept").rc == 0
    assert db.run(f"{admin} BGSAVE").rc == 0
    time.sleep(2)
    # No copy of that day in S3: the fetch fails after Redis was stopped and its files moved aside.
    run = playbook("restore.yml", restore_confirm="backup-db", restore_redis=True, restore_redis_date="2001-01-01")
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    assert "The previous files are back and Redis runs on them" in out, out[-3000:]
    for _ in range(30):
        if db.run(f"{admin} PING").stdout.strip() == "PONG":
            break
        time.sleep(1)
    assert db.run(f"{admin} GET only:here").stdout.strip() == "kept"
    assert not db.file("/var/lib/redis/before-restore").exists


def wal_ready(db):
    out = db.run("ls /var/lib/postgresql/15/main/pg_wal/archive_status/ | grep -c '[.]ready$' || true").stdout
    return int(out.strip() or 0)


def test_with_s3_down_under_writes_pg_wal_stays_under_the_queue_limit_and_postgres_keeps_serving(db, s3_host):
    """S3 down for ten minutes under writes; backup_wal_queue_max is 64MiB here (four segments).

    Past the limit pgBackRest drops the queue, and says so in the metrics. The queue may overshoot by what
    PostgreSQL writes while pgBackRest waits on S3 (its I/O timeout), so what must hold is: it is dropped, it never
    grows past what it reached before the first drop however long S3 stays down, it falls back under the limit,
    and PostgreSQL keeps serving throughout.
    """
    segment = 16 * 2**20
    limit = 64 * 2**20
    assert s3_host.run("systemctl stop weed-s3").rc == 0
    stopped = time.monotonic()
    try:
        most = 0
        dropped = 0
        while time.monotonic() - stopped < 240 and not dropped:
            for _ in range(3):
                insert(db, 6, rows=100)
                sql(db, "SELECT pg_switch_wal()")
            most = max(most, wal_ready(db))
            assert db.run("systemctl start shipshape-backup-wal.service").rc == 0
            dropped = metrics(db, "wal")["wal_dropped_segments"]
            time.sleep(2)
        assert dropped > 0, f"pgBackRest never dropped the queue (it reached {most} segments)"
        # The rest of the ten minutes: a segment every few seconds, S3 still down.
        later = 0
        while time.monotonic() - stopped < 600:
            insert(db, 6, rows=100)
            sql(db, "SELECT pg_switch_wal()")
            later = max(later, wal_ready(db))
            time.sleep(4)
        assert later <= max(most, limit // segment), f"the queue grew to {later} segments (first drop at {most})"
        assert metrics(db, "wal")["wal_dropped_segments"] >= dropped
        settled = time.monotonic() + 120
        while wal_ready(db) * segment > limit and time.monotonic() < settled:
            time.sleep(3)
        assert wal_ready(db) * segment <= limit, (wal_ready(db), most, later)
        assert db.run("systemctl start shipshape-backup-wal.service").rc == 0
        assert metrics(db, "wal")["wal_queue_bytes"] <= limit + segment
        assert_postgres_takes_writes(db, 7)
    finally:
        assert s3_host.run("systemctl start weed-s3").rc == 0
        time.sleep(2)
    # Archiving resumes once S3 is back.
    wait_archived(db)
