"""The bad-input suite: plausible operator mistakes, each run through playbooks/site.yml.

Every case is one inventory alias of a test host, in all five purposes (an all-in-one host), carrying a good
inventory (GOOD) plus its one mistake. One `ansible-playbook site.yml` runs them all; the preflight reports every
host's mistakes and stops every host. For each case the harness reads the failed result's own message (not the
assertion text, which always names the variable) and the host's changed count.

Used by the perimeter scenario against a fresh host and a converged one; by hand:
  python tests/testbed/badinput.py HOST [HOST...]   (docker containers; prints a line per case)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PREFLIGHT_PLAY = "Preflight"
GATE_TASK = "Stop every host when the preflight failed on any host"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@laptop"

# A good all-in-one inventory: every role's preflight accepts it (the control alias proves it).
GOOD = {
    "base_admin_user": "ops",
    "base_admin_ssh_keys": [KEY],
    "base_ntp_servers": ["127.0.0.1"],
    "firewall_admin_cidrs": ["203.0.113.0/28"],
    "postgres_migration_password": "mig-Q3v8Rk2pX7sLw9Tn4Yc6Hb1D",
    "postgres_app_password": "app-Z5m2Wq8Jr4Kx7Np1Vt9Lc3Gs",
    "postgres_readonly_password": "ro-H6t1Bn9Fd3Mz8Qw2Ry5Pk7Ja",
    "postgres_memory_mb": 1024,
    "redis_app_password": "rds-app-T4k9Wm2Qz7Hx5Nc8Rv1Lp3",
    "redis_admin_password": "rds-adm-J7p2Xv9Lq4Bn6Tk1Zm8Wc5",
    "redis_maxmemory": "128mb",
    "shipshape_acme": False,
    "backup_s3_endpoint": "s3.example.com",
    "backup_s3_bucket": "shipshape-backups",
    "backup_s3_access_key": "shipshape-backup",
    "backup_s3_secret_key": "s3-secret-W8q3Zr6Tn1Vx4Kp9Lm2Hc7Bd",
    "backup_cipher_passphrase": "cipher-N4x8Qv2Lk7Tz5Wm1Rc9Hp3Bj6Yd0Fs",
    "app_image": "registry.example.com/shop:1.4.2",
    "app_jwt_secret": "jwt-T7q2Lw9Zk4Xv8Nc1Rm5Hp3Bd6Yf0Gs2J",
    "app_session_secret": "ses-M3x8Qr1Vz6Kp9Wt4Lc7Hn2Bf5Jd0Ys8G",
    "app_admin_token": "adm-R9k4Tz7Wq2Xm5Lv8Nc1Hp6Bd3Jf0Gs4Y",
    "nginx_sites": [{"name": "shop", "server_names": ["shop.example.com"], "websocket_paths": ["/ws"]}],
}

SITE = GOOD["nginx_sites"][0]

# case: (the mistake, the variable the message must name)
CASES: dict[str, tuple[dict, str]] = {
    # Type confusion: a string where a boolean belongs is truthy in a template; YAML's `on` is True.
    "string-false-grants-nopasswd-sudo": ({"base_admin_sudo_nopasswd": "false"}, "base_admin_sudo_nopasswd"),
    "string-false-enables-tcp-forwarding": ({"ssh_allow_tcp_forwarding": "false"}, "ssh_allow_tcp_forwarding"),
    "string-no-turns-reboots-on": ({"base_unattended_reboot": "no"}, "base_unattended_reboot"),
    "string-off-for-ipv6": ({"firewall_ipv6": "off"}, "firewall_ipv6"),
    "string-true-for-remote-postgres": ({"postgres_remote_access": "true"}, "postgres_remote_access"),
    "capitalised-string-bool": ({"app_read_only": "True"}, "app_read_only"),
    "yaml-on-for-the-docker-guard": ({"firewall_docker": True}, "firewall_docker"),
    "word-for-a-port": ({"ssh_port": "twenty-two"}, "ssh_port"),
    "fraction-for-a-port": ({"postgres_port": 5432.5}, "postgres_port"),
    "dict-for-a-list": ({"nginx_sites": {"name": "shop"}}, "nginx_sites"),
    "choices-typo": ({"fail2ban_sshd_mode": "agressive"}, "fail2ban_sshd_mode"),
    "unknown-runtime": ({"app_runtime": "podman"}, "app_runtime"),
    "unknown-eviction-policy": ({"redis_maxmemory_policy": "lru"}, "redis_maxmemory_policy"),
    # Smuggling: a newline, a quote or a separator carries a second directive into the destination.
    "newline-in-an-ssh-user": ({"ssh_users": ["ops\nroot"]}, "ssh_users"),
    "newline-in-the-admin-user": ({"base_admin_user": "ops\nroot"}, "base_admin_user"),
    "trailing-newline-in-the-timezone": ({"base_timezone": "Etc/UTC\n"}, "base_timezone"),
    "apt-source-line-in-the-mirror": (
        {"base_apt_mirror": "http://deb.debian.org/debian\ndeb http://203.0.113.9/evil stable main"},
        "base_apt_mirror",
    ),
    "header-in-the-unattended-mail": (
        {"base_unattended_mail": "root@localhost\nBcc: x@example.com"},
        "base_unattended_mail",
    ),
    "sql-in-the-app-user": ({"postgres_app_user": 'app"; DROP ROLE postgres; --'}, "postgres_app_user"),
    "newline-in-the-database-name": ({"postgres_database": "app\n"}, "postgres_database"),
    "separator-in-the-schema": ({"postgres_schema": "app;drop"}, "postgres_schema"),
    "setting-in-the-statement-timeout": (
        {"postgres_app_statement_timeout": "30s\nlisten_addresses = '*'"},
        "postgres_app_statement_timeout",
    ),
    "quote-in-the-slow-query-threshold": ({"postgres_log_min_duration": "500ms'"}, "postgres_log_min_duration"),
    "setting-in-a-postgres-setting": (
        {"postgres_settings": {"work_mem": "4MB\nlisten_addresses = '*'"}},
        "postgres_settings",
    ),
    "unknown-postgres-setting-name": ({"postgres_settings": {"work mem": "4MB"}}, "postgres_settings"),
    "acl-rules-in-the-redis-user": ({"redis_app_user": "app on nopass ~* +@all"}, "redis_app_user"),
    "second-user-in-the-redis-acl": ({"redis_app_acl": "+@all\nuser default on nopass ~* +@all"}, "redis_app_acl"),
    "directive-in-redis-maxmemory": ({"redis_maxmemory": "128mb\nrequirepass x"}, "redis_maxmemory"),
    "repository-in-the-s3-region": ({"backup_s3_region": "eu-central-1\nrepo1-type=posix"}, "backup_s3_region"),
    "newline-in-the-repository-path": ({"backup_s3_path": "/pgbackrest\n"}, "backup_s3_path"),
    "section-in-the-stanza": ({"backup_stanza": "db1\n[global]"}, "backup_stanza"),
    "unit-line-in-a-schedule": (
        {"backup_full_schedule": "Sun *-*-* 01:30:00\nExecStartPre=/bin/sh"},
        "backup_full_schedule",
    ),
    "parent-dir-in-the-redis-prefix": ({"backup_redis_prefix": "redis/../other"}, "backup_redis_prefix"),
    "env-line-in-the-image": ({"app_image": "shop:1.0\nDATABASE_URL=postgres://x"}, "app_image"),
    "env-line-in-an-app-env-value": ({"app_env": {"FEATURE": "on\nDATABASE_URL=postgres://x"}}, "app_env"),
    "space-in-an-app-env-name": ({"app_env": {"BAD NAME": "x"}}, "app_env"),
    "header-in-the-smtp-sender": ({"app_smtp_from": "shop@example.com\nBcc: x@example.com"}, "app_smtp_from"),
    "directive-in-a-server-name": (
        {"nginx_sites": [SITE | {"server_names": ["shop.example.com; include /etc/shadow"]}]},
        "nginx_sites",
    ),
    "quote-in-the-csp": (
        {"nginx_content_security_policy": "default-src 'self'\"; add_header X y"},
        "nginx_content_security_policy",
    ),
    "semicolon-in-the-body-size": ({"nginx_client_max_body_size": "10m;"}, "nginx_client_max_body_size"),
    "newline-in-the-rate-limit": ({"nginx_limit_req_rate": "10r/s\n"}, "nginx_limit_req_rate"),
    "static-root-of-slash": ({"nginx_sites": [SITE | {"static_root": "/"}]}, "nginx_sites"),
    "static-root-with-dot-dot": ({"nginx_sites": [SITE | {"static_root": "/srv/shop/../../etc"}]}, "nginx_sites"),
    "relative-tls-dir": ({"nginx_tls_dir": "etc/nginx/tls"}, "nginx_tls_dir"),
    "jail-setting-in-the-bantime": ({"fail2ban_bantime": "1h\nignoreip = 0.0.0.0/0"}, "fail2ban_bantime"),
    "directive-in-an-ssh-group": ({"ssh_allow_groups": ["sshusers\nAllowUsers root"]}, "ssh_allow_groups"),
    "dot-dot-in-the-secrets-dir": (
        {"app_generate_secrets": True, "app_secrets_dir": "/etc/../root/secrets"},
        "app_secrets_dir",
    ),
    # Addresses and networks are different things.
    "wildcard-postgres-listen-address": ({"postgres_listen_address": "0.0.0.0"}, "postgres_listen_address"),  # noqa: S104
    "network-as-the-redis-listen-address": ({"redis_listen_address": "10.0.0.5/24"}, "redis_listen_address"),
    "everything-as-the-app-listen-address": ({"app_listen_address": "0.0.0.0/0"}, "app_listen_address"),
    "whole-internet-as-admin-network": ({"firewall_admin_cidrs": ["0.0.0.0/0"]}, "firewall_admin_cidrs"),
    "whole-internet-never-banned": ({"fail2ban_ignore_cidrs": ["0.0.0.0/0"]}, "fail2ban_ignore_cidrs"),
    "whole-ipv6-internet-as-nginx-admins": ({"nginx_admin_cidrs": ["::/0"]}, "nginx_admin_cidrs"),
    "host-bits-in-an-ssh-source-network": ({"firewall_ssh_sources": ["203.0.113.5/24"]}, "firewall_ssh_sources"),
    # Weak and awkward secrets.
    "repeated-word-password": ({"postgres_app_password": "secret-secret-secret-secret"}, "postgres_app_password"),
    "keyboard-walk-password": ({"redis_app_password": "qwertyuiopasdfghjkl1234567"}, "redis_app_password"),
    "one-letter-jwt-secret": ({"app_jwt_secret": "a" * 40}, "app_jwt_secret"),
    "dictionary-passphrase": (
        {"backup_cipher_passphrase": "Password1Password1Password1Password1"},
        "backup_cipher_passphrase",
    ),
    "placeholder-admin-token": ({"app_admin_token": "changeme-changeme-changeme-changeme"}, "app_admin_token"),
    "short-redis-admin-password": ({"redis_admin_password": "Zq7#kP2m"}, "redis_admin_password"),
    # Plans that lock the operator out.
    "nobody-may-log-in-over-ssh": ({"ssh_users": []}, "ssh_users"),
    "no-key-for-the-admin": ({"base_admin_ssh_keys": []}, "base_admin_ssh_keys"),
    "rule-removing-the-ssh-port": ({"firewall_rules": [{"port": "22", "state": "absent"}]}, "firewall_rules"),
    "denying-the-ssh-port": (
        {"firewall_rules": [{"port": "22", "rule": "deny", "from_cidr": "0.0.0.0/0"}]},
        "firewall_rules",
    ),
    "firewall-and-sshd-on-different-ports": ({"firewall_ssh_port": 2222}, "firewall_ssh_port"),
    # Ports two roles would both take on one host.
    "pgbouncer-on-the-postgres-port": ({"postgres_pgbouncer_port": 5432}, "postgres_pgbouncer_port"),
    "blue-and-green-on-one-port": ({"app_blue_port": 8080, "app_green_port": 8080}, "app_green_port"),
    "redis-on-the-postgres-port": ({"redis_port": 5432}, "redis_port"),
    "app-slot-on-the-pgbouncer-port": ({"app_blue_port": 6432}, "app_blue_port"),
    "nginx-status-on-the-https-port": ({"nginx_status_port": 443}, "nginx_status_port"),
    # Values out of range.
    "port-beyond-65535": ({"ssh_port": 70000}, "ssh_port"),
    "no-retries-before-a-ban": ({"fail2ban_maxretry": 0}, "fail2ban_maxretry"),
    "no-postgres-connections": ({"postgres_max_connections": 0}, "postgres_max_connections"),
    "negative-hsts-age": ({"nginx_hsts_max_age": -1}, "nginx_hsts_max_age"),
    "renewal-window-longer-than-the-certificate": ({"fleet_tls_days": 20}, "fleet_tls_days"),
    "no-backup-retention": ({"backup_retention_days": 0}, "backup_retention_days"),
    # Groups that are empty or missing.
    "db-purpose-on-a-missing-group": ({"shipshape_groups": {"db": "databases"}}, "shipshape_groups"),
}


PURPOSES = ("edge", "app", "db", "cache", "monitoring")
# The purposes a case's host serves, by its variable's role (baseline roles need none): each alias gets only the
# roles its mistake is about, so the run stays short. Collisions between roles name their purposes themselves.
BY_PREFIX = {"postgres_": ["db"], "redis_": ["cache"], "backup_": ["db", "cache"], "nginx_": ["edge"], "app_": ["app"]}
PURPOSES_OF = {
    "redis-on-the-postgres-port": ["db", "cache"],
    "app-slot-on-the-pgbouncer-port": ["app", "db"],
    "db-purpose-on-a-missing-group": list(PURPOSES),
}


def purposes(case: str, variable: str) -> list[str]:
    if case in PURPOSES_OF:
        return PURPOSES_OF[case]
    return next((p for prefix, p in BY_PREFIX.items() if variable.startswith(prefix)), [])


def inventory(targets: dict[str, str], ca_dir: str, cases: dict[str, tuple[dict, str]]) -> dict:
    """targets maps an alias prefix to a docker container; every case gets one alias per target, plus a control
    (every purpose, no mistake) that only the preflight's last task may stop."""
    hosts, members = {}, {p: {} for p in PURPOSES}
    for prefix, container in targets.items():
        conn = {"ansible_host": container, "ansible_connection": "community.docker.docker", "ansible_user": "root"}
        hosts[f"{prefix}-control"] = conn
        for p in PURPOSES:
            members[p][f"{prefix}-control"] = {}
        for case, (bad, variable) in cases.items():
            hosts[f"{prefix}-{case}"] = conn | bad
            for p in purposes(case, variable):
                members[p][f"{prefix}-{case}"] = {}
    group_vars = GOOD | {"fleet_tls_ca_dir": ca_dir}
    return {"all": {"vars": group_vars, "hosts": hosts, "children": {p: {"hosts": members[p]} for p in PURPOSES}}}


def run(targets: dict[str, str], workdir: Path, cases: dict[str, tuple[dict, str]] = CASES) -> dict:
    """One site.yml run over every alias; returns the JSON callback's report."""
    inv = workdir / "badinput.yml"
    inv.write_text(yaml.safe_dump(inventory(targets, str(workdir / "fleet-ca"), cases)))
    env = dict(
        os.environ,
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_FORKS="8",
    )
    done = subprocess.run(
        # Niced, and few forks: the suite runs this beside scenarios whose tests time deploys against a
        # yardstick; fifty busy forks at normal priority starved them.
        ["nice", "-n", "15", "ansible-playbook", "-i", str(inv), str(ROOT / "playbooks" / "site.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=1500,
        check=False,
    )
    assert done.returncode != 0, "site.yml succeeded with bad input:\n" + done.stdout[-3000:]
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(done.stdout[-3000:] + done.stderr[-3000:]) from exc


def outcome(report: dict, alias: str) -> tuple[str | None, str | None, str, int]:
    """(play, task, message) of the alias's first failure, and how many changes it reported."""
    for play in report["plays"]:
        for task in play["tasks"]:
            res = task["hosts"].get(alias)
            if res and res.get("failed"):
                # A loop's own message is generic ("One or more items failed"): its failed items' messages count.
                items = [r for r in res.get("results") or [] if isinstance(r, dict) and r.get("failed")]
                message = " | ".join(str(r.get("msg", "")) for r in items) if items else res.get("msg", "")
                if not isinstance(message, str):
                    message = json.dumps(message)
                return play["play"]["name"], task["task"]["name"], message, report["stats"][alias]["changed"]
    return None, None, "", report["stats"].get(alias, {}).get("changed", 0)


def problems(report: dict, alias: str, variable: str) -> list[str]:
    play, task, message, changed = outcome(report, alias)
    found = []
    if play != PREFLIGHT_PLAY or task == GATE_TASK:
        found.append(f"not refused by its own preflight (first failure: {play!r} / {task!r})")
    elif variable not in message:
        found.append(f"the message of {task!r} does not name {variable}: {message[:300]!r}")
    if changed:
        found.append(f"{changed} change(s) before the refusal")
    return found


def main(argv: list[str]) -> int:
    targets = {f"t{i}": host for i, host in enumerate(argv)}
    only = [word for word in os.environ.get("BADINPUT_ONLY", "").split(",") if word]
    cases = {k: v for k, v in CASES.items() if not only or any(word in k for word in only)}
    with tempfile.TemporaryDirectory() as tmp:
        report = run(targets, Path(tmp), cases)
    if os.environ.get("BADINPUT_REPORT"):
        Path(os.environ["BADINPUT_REPORT"]).write_text(json.dumps(report))
    bad = 0
    for prefix in targets:
        control = outcome(report, f"{prefix}-control")
        print(f"{prefix}-control: {control[1]!r} {control[2][:120]!r}")
        for case, (_, variable) in cases.items():
            found = problems(report, f"{prefix}-{case}", variable)
            bad += bool(found)
            task, message = outcome(report, f"{prefix}-{case}")[1:3]
            detail = "; ".join(found) if found else f"{task}: {message[:150]!r}"
            print(f"{'FAIL' if found else 'ok  '} {prefix}-{case}: {detail}")
    print(f"{len(cases) * len(targets) - bad} refused as they should be, {bad} not")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
