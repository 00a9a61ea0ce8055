"""The perimeter seen from outside: an SSH auditor, an SSH client, and another host on the network."""

import json
import os
import re
import subprocess
import time

import pytest
import yaml
from conftest import SSH_PORTS, docker_host, reachable, ssh, target_ip

TARGETS = list(SSH_PORTS)
testinfra_hosts = ["perim-client"]  # the tests below pick their hosts themselves


@pytest.fixture(scope="module", autouse=True)
def listeners():
    """Something listening on the web ports, the group-only port and one that must stay closed."""
    for name in TARGETS:
        host = docker_host(name)
        for port in (80, 443, 8080, 9100):
            host.run(f"systemd-run --unit=listen-{port} python3 -m http.server {port} >/dev/null 2>&1 || true")
    time.sleep(1)
    yield
    for name in TARGETS:
        for port in (80, 443, 8080, 9100):
            docker_host(name).run(f"systemctl stop listen-{port}")


# ssh-audit's built-in hardened policy for each host's OS: the default (ssh_crypto_policy hardened) passes it.
POLICIES = {"perim-deb12": "Hardened Debian 12 (version 3)", "perim-deb13": "Hardened Debian 13 (version 1)"}
QUANTUM = "quantum attacks"  # ssh-audit: "does not provide protection against post-quantum attacks"


@pytest.mark.parametrize("name", TARGETS)
def test_ssh_audit_passes_the_os_hardened_policy(name, capsys):
    run = subprocess.run(
        ["ssh-audit", "-j", "-P", POLICIES[name], "-p", str(SSH_PORTS[name]), "127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(run.stdout)
    print(f"ssh-audit -P '{POLICIES[name]}' {name}: passed={report.get('passed')}, errors={report.get('errors')}")
    assert report["passed"] is True and not report.get("errors"), report
    assert run.returncode == 0


@pytest.mark.parametrize("name", TARGETS)
def test_ssh_audit_finds_no_failure_and_warns_only_of_pre_quantum_key_exchange(name, capsys):
    run = subprocess.run(
        ["ssh-audit", "-j", "-p", str(SSH_PORTS[name]), "127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(run.stdout)
    found = {"fail": [], "warn": []}
    for section in ("kex", "key", "enc", "mac"):
        for alg in report.get(section, []):
            for level, notes in found.items():
                notes.extend(f"{alg['algorithm']}: {note}" for note in alg.get("notes", {}).get(level, []))
    found["fail"].extend(cve.get("name", str(cve)) for cve in report.get("cves", []))
    print(
        f"ssh-audit {name} ({report['banner']['software']}): "
        f"{len(found['fail'])} failures, {len(found['warn'])} warnings, exit code {run.returncode}"
    )
    assert found["fail"] == []
    # Debian 12's hardened policy keeps curve25519 and DH groups for older clients (ssh_crypto_policy
    # post-quantum drops them); anything else ssh-audit warns of is a regression.
    assert [w for w in found["warn"] if QUANTUM not in w] == []
    if name == "perim-deb13":
        assert found["warn"] == []


@pytest.mark.parametrize("name", TARGETS)
def test_key_login_works_and_password_is_not_offered(name):
    ok = ssh(SSH_PORTS[name])
    assert ok.returncode == 0, ok.stderr
    refused = ssh(
        SSH_PORTS[name],
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "PreferredAuthentications=password,keyboard-interactive",
        "-o",
        "BatchMode=yes",
        key=None,
    )
    assert refused.returncode != 0
    assert "Permission denied (publickey)" in refused.stderr, refused.stderr


@pytest.mark.parametrize("name", TARGETS)
def test_root_cannot_log_in_even_with_a_key(name):
    host = docker_host(name)
    host.run("install -d -m 700 /root/.ssh && cp /home/deploy/.ssh/authorized_keys /root/.ssh/authorized_keys")
    try:
        assert ssh(SSH_PORTS[name], user="root").returncode != 0
    finally:
        host.run("rm -f /root/.ssh/authorized_keys")


@pytest.mark.parametrize("name", TARGETS)
def test_only_ssh_web_and_the_group_rule_are_open_to_the_client(client, name):
    ip = target_ip(name)
    for port in (22, 80, 443, 9100):
        assert reachable(client, ip, port), f"{port} should be open on {name}"
    assert not reachable(client, ip, 8080), f"8080 must be closed on {name}"


@pytest.mark.parametrize("name", TARGETS)
def test_effective_sshd_config(name):
    host = docker_host(name)
    effective = host.run("sshd -T -C user=nobody,host=x,addr=203.0.113.9").stdout
    for line in (
        "passwordauthentication no",
        "kbdinteractiveauthentication no",
        "permitrootlogin no",
        "allowtcpforwarding no",
        "x11forwarding no",
        "maxauthtries 3",
    ):
        assert line in effective, line
    weak = host.run("awk '$1 !~ /^#/ && $5 < 3071' /etc/ssh/moduli | wc -l").stdout.strip()
    assert weak == "0"


def test_a_drop_in_cannot_turn_passwords_back_on():
    host = docker_host("perim-deb13")
    host.run(
        "printf 'PasswordAuthentication yes\\n' > /etc/ssh/sshd_config.d/50-cloud-init.conf && systemctl reload ssh"
    )
    try:
        assert "passwordauthentication no" in host.run("sshd -T -C user=deploy,host=x,addr=203.0.113.9").stdout
    finally:
        host.run("rm -f /etc/ssh/sshd_config.d/50-cloud-init.conf && systemctl reload ssh")


@pytest.mark.parametrize("name", TARGETS)
def test_brute_force_is_banned_and_unbanning_restores_access(client, name):
    host = docker_host(name)
    ip = target_ip(name)
    client_ip = client.interface("eth0").addresses[0]
    host.run(f"fail2ban-client set sshd unbanip {client_ip}")
    banned = False
    for _ in range(8):  # bounded: maxretry is 3 in this scenario
        client.run(f"timeout 8 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=3 mallory@{ip} true")
        if client_ip in host.run("fail2ban-client status sshd").stdout:
            banned = True
            break
        time.sleep(1)
    status = host.run("fail2ban-client status sshd").stdout
    assert banned, status + host.run("journalctl -u fail2ban -n 30 --no-pager").stdout
    # fail2ban records the ban, then runs the ufw action: on a loaded machine that takes a moment.
    blocked_by = time.time() + 15
    while reachable(client, ip, 22) and time.time() < blocked_by:
        time.sleep(1)
    assert not reachable(client, ip, 22), "a banned client still reaches SSH 15 s after the ban"
    host.run_test(f"fail2ban-client set sshd unbanip {client_ip}")
    deadline = time.time() + 40  # ufw's SSH rate limit (6 in 30 s) may still hold the client back briefly
    while not reachable(client, ip, 22) and time.time() < deadline:
        time.sleep(3)
    assert reachable(client, ip, 22), "unbanning did not restore access"


@pytest.mark.parametrize("name", TARGETS)
def test_services_are_running(name):
    host = docker_host(name)
    for unit in ("ssh", "fail2ban"):
        assert host.service(unit).is_running, host.run(f"journalctl -u {unit} -n 30 --no-pager").stdout
    # ufw is a oneshot that loads the rules at boot: enabled, and the rules are live.
    assert host.service("ufw").is_enabled
    assert "Status: active" in host.run("ufw status").stdout
    assert "sshd" in host.run("fail2ban-client status").stdout


def test_docker_published_ports_do_not_bypass_the_firewall(client):
    host = docker_host("perim-deb12")
    ip = target_ip("perim-deb12")
    # Both containers serve: the host itself reaches them through Docker.
    for port in (8081, 8082):
        assert (
            host.run(f"python3 -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/')\"").rc
            == 0
        ), host.run("docker ps -a; journalctl -u docker -n 20 --no-pager").stdout
    # From outside, only the published port listed in firewall_docker_published answers.
    assert reachable(client, ip, 8082), host.run("iptables -S DOCKER-USER; iptables -S FORWARD").stdout
    assert not reachable(client, ip, 8081), host.run("iptables -S DOCKER-USER; iptables -S FORWARD").stdout


def test_rules_the_role_does_not_own_are_left_alone(tmp_path):
    host = docker_host("perim-deb13")
    host.run_test("ufw allow 7777/tcp comment 'added by hand'")
    try:
        play = [
            {"name": "Learn the client's address", "hosts": "clients", "gather_facts": True},
            {"name": "Firewall again", "hosts": "perim-deb13", "roles": ["shipshape.server.firewall"]},
        ]
        (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
        run = subprocess.run(
            ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(tmp_path / "play.yml")],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stdout[-3000:]
        assert re.search(r"perim-deb13\s*:\s*ok=\d+\s+changed=0\b", run.stdout), run.stdout[-3000:]
        assert "added by hand" in host.run("ufw status").stdout
    finally:
        host.run("ufw delete allow 7777/tcp")
