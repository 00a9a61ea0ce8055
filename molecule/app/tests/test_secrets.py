"""No secret of the inventory in the output of a deploy at -vvv, nor in the host's journal."""

import sys
from pathlib import Path

from conftest import HOST, VARS

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from leaks import hits, journal, run_verbose, secrets

SECRETS = secrets(VARS)


def test_a_deploy_at_vvv_and_the_journal_show_no_secret():
    assert {"app_jwt_secret", "postgres_app_password"} <= set(SECRETS), sorted(SECRETS)
    run = run_verbose("deploy.yml")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert hits(run.stdout + run.stderr, SECRETS) == []
    assert hits(journal(HOST), SECRETS) == []
