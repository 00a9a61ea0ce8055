#!/usr/bin/python
# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove that pgBackRest backups exist, are fresh, have their WAL, and restore."""

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_verify
short_description: Prove that pgBackRest backups are fresh, complete in S3, and restore
description:
  - Reads C(pgbackrest info --output=json) (whose exit code is 0 even when a stanza is in error) and fails unless the
    stanza is healthy and its newest backup is younger than O(max_age).
  - Lists the S3 repository with boto3 (endpoint, bucket and credentials from C(pgbackrest.conf)) and fails when the
    newest backup's manifest or data files, or any WAL segment from its start to the newest archived one, is missing.
  - Runs C(pgbackrest verify) on the newest backup, which reads every file back and checks its checksum.
  - With O(drill=true), restores the newest backup into a scratch data directory, starts it on a spare port with
    archiving off and no TCP listener, runs O(drill_checks), then stops and removes it. The drill refuses to start
    when the scratch directory's file system has less free space than the backup's size and 10%.
  - Run it as the user pgBackRest runs as (C(become_user=postgres)).
version_added: 0.1.0
author: Shipshape developers (@shipshape)
options:
  stanza:
    description: The pgBackRest stanza.
    type: str
    default: main
  config:
    description: pgBackRest's configuration file.
    type: path
    default: /etc/pgbackrest/pgbackrest.conf
  repo:
    description: The repository number to check (C(repo1), C(repo2), ...).
    type: int
    default: 1
  max_age:
    description: The newest backup must be younger than this (seconds, or C(90m), C(26h), C(8d)).
    type: str
    default: 26h
  check_s3:
    description: List the S3 repository to check that the backup's files and WAL exist.
    type: bool
    default: true
  check_contents:
    description: Run C(pgbackrest verify) on the newest backup.
    type: bool
    default: true
  drill:
    description:
      - Restore the newest backup into a scratch directory and run O(drill_checks) against it.
      - Skipped in check mode.
    type: bool
    default: false
  drill_path:
    description: Scratch data directory for the drill (removed before and after).
    type: path
    default: /var/lib/postgresql/shipshape-drill
  drill_port:
    description: Port of the scratch server (on a socket in O(drill_path) only; it opens no TCP port).
    type: int
    default: 5499
  drill_checks:
    description:
      - SQL checks for the drill, each with C(name), C(sql), C(expected) (compared with psql's unaligned output)
        and an optional C(database) (default C(postgres)).
    type: list
    elements: dict
    default: []
  drill_timeout:
    description: Seconds the scratch server may take to start.
    type: int
    default: 300
requirements: [boto3 (on the host, for O(check_s3)), pgbackrest]
notes:
  - Supports check mode (everything but the drill).
"""

EXAMPLES = r"""
- name: Prove last night's backup
  shipshape.server.backup_verify:
    stanza: main
    max_age: 26h
    drill: true
    drill_checks:
      - {name: orders exist, database: app, sql: "SELECT count(*) > 0 FROM app.orders", expected: "t"}
  become: true
  become_user: postgres
"""

RETURN = r"""
backup:
  description: The newest backup that was checked.
  returned: when the stanza has a backup
  type: dict
  sample: {label: 20261128-101500F, type: full, stop: 1795860915, age: 3600}
wal_segments_checked:
  description: How many WAL segments were found in S3 from the backup's start to the newest archived one.
  returned: when O(check_s3)
  type: int
checks:
  description: Every check that ran, with C(name), C(ok) and C(detail).
  returned: always
  type: list
  elements: dict
drill:
  description: The drill's restored label and the results of O(drill_checks) (C(name), C(ok), C(got), C(expected)).
  returned: when O(drill)
  type: dict
"""

import json
import os
import shutil
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.shipshape.server.plugins.module_utils import pgbackrest as pgb

try:
    import boto3
    from botocore.config import Config

    HAS_BOTO3 = True
except ImportError:
    HAS_BOTO3 = False


class Verifier:
    def __init__(self, module: AnsibleModule):
        self.module = module
        self.p = module.params
        self.checks: list[dict] = []

    def fail(self, problem: str, **extra):
        self.checks.append({"name": "failed", "ok": False, "detail": problem})
        self.module.fail_json(msg=problem, checks=self.checks, **extra)

    def ok(self, name: str, detail: str = ""):
        self.checks.append({"name": name, "ok": True, "detail": detail})

    def pgbackrest(self, *args: str) -> tuple[int, str, str]:
        cmd = [
            "pgbackrest",
            f"--config={self.p['config']}",
            f"--stanza={self.p['stanza']}",
            f"--repo={self.p['repo']}",
            *args,
        ]
        return self.module.run_command(cmd)

    def info(self) -> dict:
        rc, out, err = self.pgbackrest("--output=json", "info")
        if rc != 0:
            raise pgb.BackupProblem(f"stanza {self.p['stanza']}: pgbackrest info failed: {err.strip() or out.strip()}")
        return pgb.parse_info(out, self.p["stanza"])

    def s3_keys(self, settings: dict, prefix: str) -> list[str]:
        client = boto3.client(
            "s3",
            endpoint_url=settings["endpoint"],
            region_name=settings["region"],
            aws_access_key_id=settings["access_key"],
            aws_secret_access_key=settings["secret_key"],
            verify=settings["ca_file"] or True,
            config=Config(s3={"addressing_style": "path" if settings["path_style"] else "virtual"}),
        )
        keys: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings["bucket"], Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents") or [])
        return keys

    def check_s3(self, info: dict, backup: dict) -> int:
        with open(self.p["config"], encoding="utf-8") as handle:
            settings = pgb.s3_settings(pgb.read_config(handle.read(), self.p["stanza"]), self.p["repo"])
        root = f"{settings['path']}/" if settings["path"] else ""
        stanza, label = self.p["stanza"], backup["label"]
        problem = pgb.backup_files_problem(label, self.s3_keys(settings, f"{root}backup/{stanza}/{label}/"))
        if problem:
            raise pgb.BackupProblem(problem)
        self.ok("backup files in S3", f"{label}: manifest and data files present")
        archive = pgb.archive_id(info, backup)
        present = pgb.segments_in(self.s3_keys(settings, f"{root}archive/{stanza}/{archive}/"))
        missing = pgb.missing_wal(backup, pgb.archive_max(info, archive), present)
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise pgb.BackupProblem(
                f"backup {label}: WAL archive not continuous, {len(missing)} segment(s) missing: {shown}"
            )
        self.ok("WAL continuous", f"{label}: {len(present)} segments present from {backup['archive']['start']}")
        return len(present)

    def check_contents(self, backup: dict) -> None:
        # Like info, verify exits 0 even when it finds missing or corrupt files: read its report.
        rc, out, err = self.pgbackrest(f"--set={backup['label']}", "--log-level-console=info", "verify")
        problem = pgb.verify_problem(backup["label"], rc, out + err)
        if problem:
            raise pgb.BackupProblem(problem)
        self.ok("contents verified", f"{backup['label']}: pgbackrest verify read every file back")

    def drill(self, info: dict, backup: dict) -> dict:
        path, port = self.p["drill_path"], self.p["drill_port"]
        version = next((d["version"] for d in info.get("db") or [] if d.get("id") == backup["database"]["id"]), None)
        pg_ctl = f"/usr/lib/postgresql/{version}/bin/pg_ctl"
        label = backup["label"]
        shutil.rmtree(path, ignore_errors=True)
        parent = os.path.dirname(path.rstrip("/")) or "/"
        problem = pgb.space_problem(label, int(backup["info"]["size"]), shutil.disk_usage(parent).free, parent)
        if problem:
            raise pgb.BackupProblem(problem)
        os.makedirs(path, mode=0o700)
        try:
            rc, out, err = self.pgbackrest(
                f"--pg1-path={path}",
                f"--set={label}",
                "--type=immediate",
                "--target-action=promote",
                "--archive-mode=off",
                "restore",
            )
            if rc != 0:
                raise pgb.BackupProblem(f"backup {label}: drill restore failed: {(err or out).strip()[-500:]}")
            # Debian keeps postgresql.conf and pg_hba.conf in /etc: the scratch server gets minimal ones.
            with open(os.path.join(path, "postgresql.conf"), "w", encoding="utf-8") as conf:
                conf.write(
                    f"port = {port}\nlisten_addresses = ''\nunix_socket_directories = '{path}'\n"
                    # hot_standby off: recovery then skips the "settings at least the primary's" checks.
                    "archive_mode = off\nhot_standby = off\nshared_buffers = 128MB\n"
                )
            with open(os.path.join(path, "pg_hba.conf"), "w", encoding="utf-8") as hba:
                hba.write("local all all peer\n")
            open(os.path.join(path, "pg_ident.conf"), "w", encoding="utf-8").close()
            rc, out, err = self.module.run_command(
                [
                    pg_ctl,
                    "-D",
                    path,
                    "-l",
                    os.path.join(path, "drill.log"),
                    "-w",
                    "-t",
                    str(self.p["drill_timeout"]),
                    "start",
                ]
            )
            if rc != 0:
                raise pgb.BackupProblem(f"backup {label}: drill server did not start: {self.tail(path)}")
            self.wait_ready(path, port, label)
            results = [self.run_check(path, port, check) for check in self.p["drill_checks"]]
            failed = [r for r in results if not r["ok"]]
            if failed:
                first = failed[0]
                got, expected = first["got"], first["expected"]
                raise pgb.BackupProblem(
                    f"backup {label}: drill check '{first['name']}' returned {got!r}, expected {expected!r}"
                )
            self.ok("drill", f"{label}: restored, started, {len(results)} check(s) passed")
            return {"label": label, "checks": results}
        finally:
            if os.path.exists(os.path.join(path, "postmaster.pid")):
                self.module.run_command([pg_ctl, "-D", path, "-m", "immediate", "-w", "stop"])
            shutil.rmtree(path, ignore_errors=True)

    def wait_ready(self, path: str, port: int, label: str) -> None:
        """pg_ctl returns while WAL still replays (no hot standby): wait for promotion."""
        deadline = time.monotonic() + self.p["drill_timeout"]
        while self.module.run_command(["pg_isready", "-q", "-h", path, "-p", str(port)])[0] != 0:
            if time.monotonic() > deadline:
                raise pgb.BackupProblem(f"backup {label}: drill server did not finish recovery: {self.tail(path)}")
            time.sleep(1)

    def run_check(self, path: str, port: int, check: dict) -> dict:
        sql, expected = check.get("sql"), str(check.get("expected", ""))
        db = check.get("database") or "postgres"
        rc, out, err = self.module.run_command(["psql", "-h", path, "-p", str(port), "-d", db, "-XAtq", "-c", sql])
        got = out.strip() if rc == 0 else f"ERROR: {err.strip()}"
        return {"name": check.get("name") or sql, "ok": rc == 0 and got == expected, "got": got, "expected": expected}

    @staticmethod
    def tail(path: str) -> str:
        try:
            with open(os.path.join(path, "drill.log"), encoding="utf-8") as log:
                return " | ".join(log.read().splitlines()[-5:])
        except OSError:
            return "(no log)"

    def run(self):
        p = self.p
        try:
            max_age = pgb.seconds(p["max_age"])
        except ValueError as exc:
            self.module.fail_json(msg=f"max_age: {exc}")
        if p["check_s3"] and not HAS_BOTO3:
            self.module.fail_json(msg=missing_required_lib("boto3"))
        result: dict = {"changed": False}
        try:
            info = self.info()
            pgb.stanza_status(info)
            self.ok("stanza status", f"stanza {p['stanza']}: ok")
            backup = pgb.newest_backup(info)
            age = pgb.check_age(backup, time.time(), max_age)
            result["backup"] = {
                "label": backup["label"],
                "type": backup["type"],
                "stop": backup["timestamp"]["stop"],
                "age": age,
            }
            self.ok("age", f"{backup['label']}: {age} s old")
            if p["check_s3"]:
                result["wal_segments_checked"] = self.check_s3(info, backup)
            if p["check_contents"]:
                self.check_contents(backup)
            if p["drill"] and not self.module.check_mode:
                result["drill"] = self.drill(info, backup)
        except pgb.BackupProblem as exc:
            self.fail(str(exc), **result)
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
            self.fail(f"stanza {p['stanza']}: {type(exc).__name__}: {exc}", **result)
        except Exception as exc:  # noqa: BLE001 - boto3/botocore errors name the S3 problem; report them as results
            self.fail(f"stanza {p['stanza']}: S3: {exc}", **result)
        result["checks"] = self.checks
        self.module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec={
            "stanza": {"type": "str", "default": "main"},
            "config": {"type": "path", "default": "/etc/pgbackrest/pgbackrest.conf"},
            "repo": {"type": "int", "default": 1},
            "max_age": {"type": "str", "default": "26h"},
            "check_s3": {"type": "bool", "default": True},
            "check_contents": {"type": "bool", "default": True},
            "drill": {"type": "bool", "default": False},
            "drill_path": {"type": "path", "default": "/var/lib/postgresql/shipshape-drill"},
            "drill_port": {"type": "int", "default": 5499},
            "drill_checks": {"type": "list", "elements": "dict", "default": []},
            "drill_timeout": {"type": "int", "default": 300},
        },
        supports_check_mode=True,
    )
    Verifier(module).run()


if __name__ == "__main__":
    main()
