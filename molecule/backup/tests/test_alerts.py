"""Broken WAL archiving seen by the monitoring host (the S3 host here): the alert reaches its sink and resolves."""

import sys
import threading
from pathlib import Path

from conftest import sql, wait_archived

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from alertsink import fires_and_resolves


def test_wal_archiving_failing_fires_within_a_minute_and_resolves(db, s3_host):
    """S3 stopped, then PostgreSQL switches WAL: archive-push fails, ShipshapeWalArchivingFailing fires.

    Three segments at most, under the scenario's queue limit (four): a dropped queue would rightly keep the alert
    firing until the next backup. PostgreSQL learns of the failure only when pgBackRest's asynchronous push gives
    up on S3: the scenario sets backup_archive_push_timeout to 15 s (pgBackRest's default, 60 s, took 55 to 65 s).
    """
    sql(db, "CREATE TABLE IF NOT EXISTS wal_probe (n int)")
    stop = threading.Event()

    def writes():
        for _ in range(3):
            sql(db, "INSERT INTO wal_probe SELECT generate_series(1, 100)")
            sql(db, "SELECT pg_switch_wal()")
            if stop.wait(15):
                return

    def fault():
        s3_host.check_output("systemctl stop weed-s3")
        threading.Thread(target=writes, daemon=True).start()

    def fix():
        stop.set()
        s3_host.check_output("systemctl start weed-s3")

    took = fires_and_resolves(
        s3_host, "ShipshapeWalArchivingFailing", (fault, fix), labels={"host": "backup-db"}, timeout=60
    )
    print(f"WAL archiving failure alerted {took:.0f} s after S3 stopped")
    wait_archived(db)
