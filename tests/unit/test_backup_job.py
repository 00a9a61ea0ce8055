"""The backup job's metrics: a failure counter that survives runs, a success time that survives failures."""

import importlib.util
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "roles" / "backup" / "files" / "backup-job.py"


@pytest.fixture
def job(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("backup_job", SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "METRICS_DIR", tmp_path)
    return module


def read(tmp_path, job="postgres-full"):
    text = (tmp_path / f"shipshape_backup_{job.replace('-', '_')}.prom").read_text()
    return {
        line.split("{", 1)[0].removeprefix("shipshape_backup_"): float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_success_records_time_duration_and_size(job, tmp_path):
    job.write_metrics("postgres-full", True, 12.34, 4096)
    m = read(tmp_path)
    assert m["last_run_success"] == 1 and m["failures_total"] == 0
    assert m["last_size_bytes"] == 4096 and m["last_duration_seconds"] == 12.3
    assert m["last_success_timestamp_seconds"] > 1_700_000_000


def test_failures_count_up_and_keep_the_last_success(job, tmp_path):
    job.write_metrics("postgres-full", True, 1.0, 10)
    success = read(tmp_path)["last_success_timestamp_seconds"]
    job.write_metrics("postgres-full", False, 2.0, None)
    job.write_metrics("postgres-full", False, 3.0, None)
    m = read(tmp_path)
    assert m["failures_total"] == 2 and m["last_run_success"] == 0
    assert m["last_success_timestamp_seconds"] == success and m["last_size_bytes"] == 10


def test_a_job_that_never_succeeded_reports_zero(job, tmp_path):
    job.write_metrics("redis", False, 0.5, None)
    m = read(tmp_path, "redis")
    assert m["last_success_timestamp_seconds"] == 0 and m["failures_total"] == 1


def test_no_temporary_files_are_left_for_the_collector(job, tmp_path):
    job.write_metrics("redis", True, 0.5, 1)
    assert [p.name for p in tmp_path.iterdir()] == ["shipshape_backup_redis.prom"]


def test_wal_metrics_count_the_queue_and_each_dropped_segment_once(job, tmp_path, monkeypatch):
    status = tmp_path / "pgdata" / "pg_wal" / "archive_status"
    status.mkdir(parents=True)
    for name, size in (("000000010000000000000003", 100), ("000000010000000000000004", 50)):
        (status.parent / name).write_bytes(b"x" * size)
        (status / f"{name}.ready").touch()
    (status.parent / "000000010000000000000002").write_bytes(b"x" * 70)
    (status / "000000010000000000000002.done").touch()
    logs = tmp_path / "logs"
    logs.mkdir()
    drop = "P00   WARN: dropped WAL file '00000001000000000000000{}' because archive queue exceeded 64MB"
    # The async process and the archive-push command both log a drop: counted once.
    (logs / "db1-archive-push-async.log").write_text(f"{drop.format(1)}\n{drop.format(2)}\nINFO: pushed\n")
    (logs / "db1-archive-push.log").write_text(f"{drop.format(2)}\n")
    monkeypatch.setattr(job, "run", lambda cmd: "1764000000 3\n")
    lines = job.wal_metrics(str(tmp_path / "pgdata"), "db1", logs)
    values = {
        line.split("{", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines if line and not line.startswith("#")
    }
    assert values["shipshape_backup_wal_queue_bytes"] == 150
    assert values["shipshape_backup_wal_dropped_segments"] == 2
    assert values["shipshape_backup_wal_last_archived_timestamp_seconds"] == 1764000000
    assert values["shipshape_backup_wal_archive_failures_total"] == 3
    assert all('{stanza="db1"}' in line for line in lines if not line.startswith("#"))


def test_the_wal_job_reads_the_data_directory_from_pgbackrests_own_config(job, tmp_path):
    conf = tmp_path / "pgbackrest.conf"
    conf.write_text("[global]\nrepo1-type=s3\n\n[db1]\npg1-path=/var/lib/postgresql/15/main\n")
    assert job.stanza_pgdata("db1", conf) == "/var/lib/postgresql/15/main"
    with pytest.raises(RuntimeError, match="no pg1-path for stanza other"):
        job.stanza_pgdata("other", conf)
