"""No secret of the inventory in the output of a converge, a backup and a restore at -vvv, nor in any journal."""

import sys
from pathlib import Path

import pytest
from conftest import VARS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from leaks import hits, journal, run_verbose, secrets

SECRETS = secrets(VARS)
SCENARIO = Path(__file__).resolve().parents[1]


def test_the_inventory_has_secrets_to_look_for():
    assert {"postgres_app_password", "backup_s3_secret_key", "backup_cipher_passphrase", "redis_admin_password"} <= set(
        SECRETS
    )


@pytest.fixture(scope="module")
def runs():
    return {
        "converge": run_verbose(str(SCENARIO / "converge.yml")),
        "backup": run_verbose("backup.yml", backup_type="incr"),
        "restore": run_verbose("restore.yml", restore_confirm="backup-db", restore_redis=True),
    }


@pytest.mark.parametrize("what", ["converge", "backup", "restore"])
def test_a_run_at_vvv_shows_no_secret(runs, what):
    run = runs[what]
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert hits(run.stdout + run.stderr, SECRETS) == []


@pytest.mark.parametrize("container", ["backup-db", "backup-s3"])
def test_no_journal_holds_a_secret(runs, container):
    assert hits(journal(container), SECRETS) == []
