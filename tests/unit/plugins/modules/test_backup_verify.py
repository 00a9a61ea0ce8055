"""backup_verify decides from pgbackrest's JSON and the S3 listing; both are faked here (botocore's Stubber)."""

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.shipshape.server.plugins.modules import backup_verify

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
INFO = json.loads((FIXTURES / "pgbackrest-info.json").read_text())
STANZA = INFO[0]
NEWEST = max(STANZA["backup"], key=lambda b: b["timestamp"]["stop"])
CONF = """[global]
repo1-type=s3
repo1-s3-endpoint=backup-s3
repo1-storage-port=8334
repo1-s3-bucket=shipshape-backups
repo1-s3-key=k
repo1-s3-key-secret=s
repo1-s3-uri-style=path
repo1-path=/pgbackrest
[main]
pg1-path=/var/lib/postgresql/15/main
"""


class Done(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed, self.result = failed, result


class FakeModule:
    def __init__(self, tmp_path, verify_rc=0, **params):
        conf = tmp_path / "pgbackrest.conf"
        conf.write_text(CONF)
        self.params = {
            "stanza": "main",
            "config": str(conf),
            "repo": 1,
            "max_age": "100000d",
            "check_s3": True,
            "check_contents": True,
            "drill": False,
            "drill_path": str(tmp_path / "drill"),
            "drill_port": 5499,
            "drill_checks": [],
            "drill_timeout": 30,
            **params,
        }
        self.check_mode = False
        self.commands = []
        self.verify_rc = verify_rc

    def run_command(self, cmd):
        self.commands.append(cmd)
        if cmd[-1] == "info":
            return 0, json.dumps(INFO), ""
        if cmd[-1] == "verify":
            return (
                self.verify_rc,
                "",
                "" if self.verify_rc == 0 else "P00  ERROR: [028]: backup file invalid: pg_data/base/1/1259",
            )
        raise AssertionError(f"unexpected command {cmd}")

    def fail_json(self, **result):
        raise Done(True, result)

    def exit_json(self, **result):
        raise Done(False, result)


def listing(keys):
    return {"Contents": [{"Key": k, "Size": 1} for k in keys], "IsTruncated": False, "KeyCount": len(keys)}


def complete_repository():
    backup = [
        f"pgbackrest/backup/main/{NEWEST['label']}/backup.manifest",
        f"pgbackrest/backup/main/{NEWEST['label']}/pg_data/PG_VERSION.zst",
    ]
    archive_id = STANZA["archive"][0]["id"]
    segments = backup_verify.pgb.wal_range(NEWEST["archive"]["start"], STANZA["archive"][0]["max"])
    wal = [f"pgbackrest/archive/main/{archive_id}/{s[:16]}/{s}-abc.zst" for s in segments]
    return backup, wal


def run(module, monkeypatch, backup_keys, wal_keys):
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")  # noqa: S106
    stub = Stubber(client)
    stub.add_response("list_objects_v2", listing(backup_keys))
    stub.add_response("list_objects_v2", listing(wal_keys))
    stub.activate()
    monkeypatch.setattr(backup_verify.boto3, "client", lambda *a, **kw: client)
    with pytest.raises(Done) as done:
        backup_verify.Verifier(module).run()
    return done.value


def test_a_complete_fresh_backup_passes(tmp_path, monkeypatch):
    done = run(FakeModule(tmp_path), monkeypatch, *complete_repository())
    assert not done.failed, done.result
    assert done.result["backup"]["label"] == NEWEST["label"]
    assert [c["name"] for c in done.result["checks"]] == [
        "stanza status",
        "age",
        "backup files in S3",
        "WAL continuous",
        "contents verified",
    ]


def test_a_deleted_manifest_fails_naming_the_backup(tmp_path, monkeypatch):
    backup, wal = complete_repository()
    done = run(FakeModule(tmp_path), monkeypatch, backup[1:], wal)
    assert done.failed and NEWEST["label"] in done.result["msg"] and "backup.manifest" in done.result["msg"]


def test_a_gap_in_the_wal_fails_naming_the_segment(tmp_path, monkeypatch):
    backup, wal = complete_repository()
    done = run(FakeModule(tmp_path), monkeypatch, backup, wal[1:])
    assert done.failed and "not continuous" in done.result["msg"] and NEWEST["label"] in done.result["msg"]


def test_corrupt_contents_fail_naming_the_backup(tmp_path, monkeypatch):
    done = run(FakeModule(tmp_path, verify_rc=1), monkeypatch, *complete_repository())
    assert done.failed and NEWEST["label"] in done.result["msg"] and "backup file invalid" in done.result["msg"]


def test_a_stale_backup_fails(tmp_path, monkeypatch):
    done = run(FakeModule(tmp_path, max_age="1m"), monkeypatch, *complete_repository())
    assert done.failed and "old" in done.result["msg"] and NEWEST["label"] in done.result["msg"]


def test_check_mode_skips_the_drill(tmp_path, monkeypatch):
    module = FakeModule(tmp_path, drill=True)
    module.check_mode = True
    done = run(module, monkeypatch, *complete_repository())
    assert not done.failed and "drill" not in done.result
    assert not any("restore" in c for c in module.commands)


def test_the_drill_refuses_to_start_without_room_for_the_restore(tmp_path, monkeypatch):
    module = FakeModule(tmp_path, drill=True)
    free = int(NEWEST["info"]["size"] * 1.05)
    monkeypatch.setattr(backup_verify.shutil, "disk_usage", lambda path: type("U", (), {"free": free})())
    done = run(module, monkeypatch, *complete_repository())
    assert done.failed and "the drill needs" in done.result["msg"] and NEWEST["label"] in done.result["msg"]
    assert not any("restore" in c for c in module.commands), module.commands
    assert not (tmp_path / "drill").exists()
