"""Bad backup input fails in preflight, names the variable, and changes nothing."""

import sys
from pathlib import Path

from conftest import VARS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import preflight_tests

ROLES = ["backup"]
# The aliases are in no inventory group: they back up PostgreSQL because they say so.
GOOD = {**{k: v for k, v in VARS.items() if k.startswith(("backup_", "redis_admin"))}, "backup_postgres": True}

CASES = {
    "weak-passphrase": ({"backup_cipher_passphrase": "short-passphrase"}, "backup_cipher_passphrase"),
    "placeholder-passphrase": ({"backup_cipher_passphrase": "changeme" * 5}, "backup_cipher_passphrase"),
    "ip-endpoint": ({"backup_s3_endpoint": "10.1.2.3"}, "backup_s3_endpoint"),
    "bad-bucket": ({"backup_s3_bucket": "Not_A_Bucket"}, "backup_s3_bucket"),
    "no-secret-key": ({"backup_s3_secret_key": ""}, "backup_s3_secret_key"),
    "archive-timeout-too-long": ({"backup_archive_timeout": 600}, "backup_archive_timeout"),
    "archive-push-timeout-too-short": ({"backup_archive_push_timeout": 1}, "backup_archive_push_timeout"),
    "unreadable-schedule": ({"backup_diff_schedule": "every other tuesday"}, "backup_diff_schedule"),
    "redis-without-password": ({"backup_redis": True, "backup_redis_password": ""}, "backup_redis_password"),
    "stanza-with-a-newline": ({"backup_stanza": "db1\n[global]"}, "backup_stanza"),
    "stanza-with-a-path": ({"backup_stanza": "../other"}, "backup_stanza"),
    "wal-queue-without-a-unit": ({"backup_wal_queue_max": "1024"}, "backup_wal_queue_max"),
    "wal-queue-too-small": ({"backup_wal_queue_max": "16MiB"}, "backup_wal_queue_max"),
    "nothing-to-back-up": ({"backup_postgres": False, "backup_redis": False}, "backup_postgres"),
}


results, test_bad_input_fails_in_preflight_naming_the_variable = preflight_tests("backup-db", ROLES, CASES, common=GOOD)
