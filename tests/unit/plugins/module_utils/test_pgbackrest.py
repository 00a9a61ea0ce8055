import json
from pathlib import Path

import pytest

from ansible_collections.shipshape.server.plugins.module_utils import pgbackrest as pgb

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

CONF = """
[global]
repo1-type=s3
repo1-s3-endpoint=s3.example.net
repo1-storage-port=8334
repo1-s3-bucket=backups
repo1-s3-region=eu-central-1
repo1-s3-key=AKIA
repo1-s3-key-secret=sekrit
repo1-s3-uri-style=path
repo1-path=/pgbackrest
repo1-storage-ca-file=/etc/pgbackrest/s3-ca.crt

[main]
pg1-path=/var/lib/postgresql/15/main
repo1-path=/per-stanza
"""


def info():
    return pgb.parse_info((FIXTURES / "pgbackrest-info.json").read_text(), "main")


@pytest.mark.parametrize(
    ("value", "expected"), [(90, 90), ("90", 90), ("90s", 90), ("30m", 1800), ("26h", 93600), ("8d", 691200)]
)
def test_seconds(value, expected):
    assert pgb.seconds(value) == expected


@pytest.mark.parametrize("value", ["", "soon", "1y", "-5m", True])
def test_seconds_rejects(value):
    with pytest.raises(ValueError, match="duration"):
        pgb.seconds(value)


def test_stanza_section_overrides_global():
    options = pgb.read_config(CONF, "main")
    assert options["repo1-path"] == "/per-stanza"
    assert options["pg1-path"] == "/var/lib/postgresql/15/main"


def test_s3_settings_from_config():
    s3 = pgb.s3_settings(pgb.read_config(CONF, "main"))
    assert s3["endpoint"] == "https://s3.example.net:8334"
    assert s3["bucket"] == "backups" and s3["region"] == "eu-central-1"
    assert s3["path"] == "per-stanza" and s3["path_style"] is True
    assert s3["ca_file"] == "/etc/pgbackrest/s3-ca.crt"


def test_s3_settings_refuse_a_posix_repository():
    with pytest.raises(pgb.BackupProblem, match="not an S3 repository"):
        pgb.s3_settings({"repo1-type": "posix"})


def test_parse_info_finds_the_stanza_and_its_newest_backup():
    stanza = info()
    pgb.stanza_status(stanza)
    newest = pgb.newest_backup(stanza)
    assert newest["label"] == max(b["label"] for b in stanza["backup"])


def test_info_of_a_stanza_in_error_fails_even_though_pgbackrest_exited_0():
    broken = json.loads((FIXTURES / "pgbackrest-info.json").read_text())
    broken[0]["status"] = {"code": 1, "message": "missing stanza path"}
    with pytest.raises(pgb.BackupProblem, match=r"stanza main: status 1 \(missing stanza path\)"):
        pgb.stanza_status(pgb.parse_info(json.dumps(broken), "main"))


def test_unknown_stanza_and_garbage_are_problems():
    with pytest.raises(pgb.BackupProblem, match="stanza other"):
        pgb.parse_info((FIXTURES / "pgbackrest-info.json").read_text(), "other")
    with pytest.raises(pgb.BackupProblem, match="JSON"):
        pgb.parse_info("ERROR: [055]", "main")


def test_no_valid_backup_is_a_problem():
    stanza = info()
    for backup in stanza["backup"]:
        backup["error"] = True
    with pytest.raises(pgb.BackupProblem, match="no valid backup"):
        pgb.newest_backup(stanza)


def test_age_names_the_backup():
    newest = pgb.newest_backup(info())
    stop = newest["timestamp"]["stop"]
    assert pgb.check_age(newest, stop + 60, 3600) == 60
    with pytest.raises(pgb.BackupProblem, match=newest["label"]):
        pgb.check_age(newest, stop + 7200, 3600)


def test_archive_id_of_the_backup():
    stanza = info()
    assert pgb.archive_id(stanza, pgb.newest_backup(stanza)) == stanza["archive"][0]["id"]


def test_next_segment_rolls_over_the_log():
    assert pgb.next_segment("000000010000000000000001") == "000000010000000000000002"
    assert pgb.next_segment("0000000100000000000000FF") == "000000010000000100000000"


def test_wal_range_includes_both_ends():
    assert pgb.wal_range("0000000100000000000000FE", "000000010000000100000001") == [
        "0000000100000000000000FE",
        "0000000100000000000000FF",
        "000000010000000100000000",
        "000000010000000100000001",
    ]


def test_segments_in_repository_keys():
    keys = [
        "pgbackrest/archive/main/15-1/0000000100000000/000000010000000000000003-0123abcd.zst",
        "pgbackrest/archive/main/15-1/0000000100000000/000000010000000000000004-4567ef01.zst",
        "pgbackrest/archive/main/15-1/0000000100000000/000000010000000000000004.00000028.backup",
        "pgbackrest/archive/main/15-1/archive.info",
    ]
    assert pgb.segments_in(keys) == {"000000010000000000000003", "000000010000000000000004"}


def test_missing_wal_names_the_gap():
    backup = {"archive": {"start": "000000010000000000000003", "stop": "000000010000000000000003"}}
    present = {"000000010000000000000003", "000000010000000000000005"}
    assert pgb.missing_wal(backup, "000000010000000000000005", present) == ["000000010000000000000004"]
    assert pgb.missing_wal(backup, "000000010000000000000003", present) == []


def test_missing_wal_after_a_timeline_switch_checks_the_backup_own_wal():
    backup = {"archive": {"start": "000000010000000000000003", "stop": "000000010000000000000004"}}
    assert pgb.missing_wal(backup, "000000020000000000000009", {"000000010000000000000003"}) == [
        "000000010000000000000004"
    ]


def test_backup_files_problem():
    label = "20261128-101500F"
    base = f"pgbackrest/backup/main/{label}/"
    assert pgb.backup_files_problem(label, [base + "backup.manifest", base + "pg_data/PG_VERSION.zst"]) is None
    assert "backup.manifest is missing" in pgb.backup_files_problem(label, [base + "pg_data/PG_VERSION.zst"])
    assert "no pg_data" in pgb.backup_files_problem(label, [base + "backup.manifest"])


VERIFY_MISSING = """2026-11-28 08:44:12.705 P02   INFO: file missing '20261128-084317F/pg_data/base/16384/3455.zst'
2026-11-28 08:44:13.463 P00   INFO: stanza: main
        status: error
          backup: 20261128-084317F, status: invalid, total files checked: 1264, total valid files: 1263
            missing: 1
2026-11-28 08:44:13.464 P00   INFO: verify command end: completed successfully (4926ms)
"""
VERIFY_OK = """2026-11-28 08:43:55.128 P00   INFO: verify command begin 2.45: --set=20261128-084317F --stanza=main
2026-11-28 08:43:59.051 P00   INFO: verify command end: completed successfully (3926ms)
"""


def test_verify_report_with_a_missing_file_names_backup_and_file():
    problem = pgb.verify_problem("20261128-084317F", 0, VERIFY_MISSING)
    assert problem.startswith("backup 20261128-084317F: pgbackrest verify found the backup invalid")
    assert "missing: 1" in problem and "pg_data/base/16384/3455.zst" in problem


def test_clean_verify_report_is_no_problem():
    assert pgb.verify_problem("20261128-084317F", 0, VERIFY_OK) is None


def test_verify_failing_outright_is_a_problem():
    assert "ERROR" in pgb.verify_problem("L", 1, "P00  ERROR: [039]: HTTP request failed\n")


def test_space_problem_wants_the_backup_size_and_a_margin():
    assert pgb.space_problem("L", 1000 * 2**20, 1200 * 2**20, "/var/lib/postgresql") is None
    problem = pgb.space_problem("L", 1000 * 2**20, 1050 * 2**20, "/var/lib/postgresql")
    assert "backup L" in problem and "1100 MiB" in problem and "1050 MiB free" in problem
