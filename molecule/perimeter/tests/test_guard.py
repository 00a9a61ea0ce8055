"""The lock-out guard: a config that refuses the operator is rolled back by the host itself."""

import os
import subprocess
import time

import yaml
from conftest import SCENARIO, docker_host, ssh

testinfra_hosts = ["perim-deb12"]


def test_a_config_that_locks_the_operator_out_is_rolled_back(tmp_path):
    host = docker_host("perim-deb12")
    before = host.file("/etc/ssh/sshd_config").content_string
    play = [{"name": "Lock myself out", "hosts": "perim-deb12", "roles": ["shipshape.server.ssh"]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    # sshd accepts this key exchange, but the operator's client no longer offers it.
    run = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            str(tmp_path / "play.yml"),
            "-e",
            '{"ssh_kex_algorithms": ["diffie-hellman-group14-sha1"], "ssh_lockout_guard_seconds": 15}',
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=SCENARIO,
    )
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    assert "ssh_lockout_guard_seconds" in out, out
    deadline = time.time() + 60
    while ssh(2222).returncode != 0 and time.time() < deadline:
        time.sleep(2)
    assert ssh(2222).returncode == 0, host.run("journalctl -u shipshape-ssh-rollback -n 20 --no-pager").stdout
    assert host.file("/etc/ssh/sshd_config").content_string == before
