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


def test_the_label_names_the_backup_not_the_scrape_job(job, tmp_path):
    job.write_metrics("postgres-diff", True, 1.0, 1)
    samples = [
        line for line in (tmp_path / "shipshape_backup_postgres_diff.prom").read_text().splitlines() if line[0] != "#"
    ]
    assert samples and all('{backup="postgres-diff"} ' in line for line in samples)


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


class FakeRedis:
    """redis-cli as the backup job sees it: replies as text, error replies included (redis-cli exits 0 on them)."""

    def __init__(self, replies, saves_after=1, counter=True):
        self.replies = list(replies)  # what BGSAVE SCHEDULE answers, in turn
        self.saves = 5
        self.in_progress = False
        self.polls_left = 0
        self.saves_after = saves_after
        self.counter = counter
        self.calls = []

    def __call__(self, *words):
        self.calls.append(" ".join(words))
        if words[0] == "BGSAVE":
            reply = self.replies.pop(0)
            if reply.startswith("Background saving"):
                self.in_progress, self.polls_left = True, self.saves_after
            return reply + "\n"
        if self.in_progress:
            if self.polls_left == 0:
                self.in_progress, self.saves = False, self.saves + 1
            self.polls_left -= 1
        fields = {"rdb_bgsave_in_progress": int(self.in_progress), "rdb_last_bgsave_status": "ok"}
        fields |= {"rdb_saves": self.saves} if self.counter else {"rdb_last_save_time": 0}
        return "# Persistence\r\n" + "".join(f"{k}:{v}\r\n" for k, v in fields.items())


def fake_clock():
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    return sleep, lambda: now[0]


def test_bgsave_waits_for_its_own_snapshot_by_the_save_counter(job):
    redis = FakeRedis(["Background saving started"], saves_after=3)
    sleep, clock = fake_clock()
    job.bgsave(redis, 60, sleep=sleep, clock=clock)
    assert redis.saves == 6 and not redis.in_progress


def test_bgsave_when_an_aof_rewrite_runs_is_scheduled_not_refused(job):
    redis = FakeRedis(["Background saving scheduled"])
    sleep, clock = fake_clock()
    job.bgsave(redis, 60, sleep=sleep, clock=clock)
    assert "BGSAVE SCHEDULE" in redis.calls and redis.saves == 6


def test_an_error_reply_fails_the_job_at_once_instead_of_waiting_for_a_save_that_never_comes(job):
    redis = FakeRedis(["ERR Another child process is active (AOF?): can't BGSAVE right now."])
    sleep, clock = fake_clock()
    with pytest.raises(RuntimeError, match="BGSAVE refused: ERR Another child"):
        job.bgsave(redis, 60, sleep=sleep, clock=clock)
    assert clock() == 0


def test_a_save_already_running_is_waited_out_then_followed_by_ours(job):
    redis = FakeRedis(["ERR Background save already in progress", "Background saving started"])
    redis.in_progress, redis.polls_left = True, 2  # someone else's save
    sleep, clock = fake_clock()
    job.bgsave(redis, 60, sleep=sleep, clock=clock)
    assert [c for c in redis.calls if c.startswith("BGSAVE")] == ["BGSAVE SCHEDULE"] * 2
    assert redis.saves == 7


def test_a_save_that_never_ends_fails_after_the_timeout(job):
    redis = FakeRedis(["Background saving started"], saves_after=10**9)
    sleep, clock = fake_clock()
    with pytest.raises(RuntimeError, match="did not finish within 30 s"):
        job.bgsave(redis, 30, sleep=sleep, clock=clock)
    assert 30 < clock() <= 31
