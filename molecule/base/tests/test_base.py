"""Behaviour of a host converged with shipshape.server.base, seen from outside the role."""

import uuid

import pytest


def test_unattended_upgrades_dry_run_names_the_security_origin(host):
    run = host.run("unattended-upgrade --dry-run -d")
    assert run.rc == 0, run.stderr
    out = run.stdout + run.stderr
    assert "Allowed origins are:" in out
    allowed = next(line for line in out.splitlines() if "Allowed origins are:" in line)
    origins = allowed.split("are:", 1)[1].split(", ")
    assert any("-security" in o for o in origins), allowed
    # Only security updates are installed unattended: the stock point-release origin is gone.
    assert all("label=Debian-Security" in o for o in origins), allowed


def test_apt_timers_are_scheduled(host):
    for timer in ("apt-daily.timer", "apt-daily-upgrade.timer"):
        assert host.service(timer).is_enabled
    conf = host.run("apt-config dump APT::Periodic::Unattended-Upgrade").stdout
    assert '"1"' in conf, conf


def test_security_suite_is_an_apt_source(host):
    codename = host.system_info.codename
    policy = host.run("apt-cache policy").stdout
    assert f"n={codename}-security" in policy, policy
    # The classic list no longer configures a suite twice.
    assert "configured multiple times" not in host.run("apt-get -q update 2>&1 || true").stdout


def test_journal_survives_a_journald_restart_on_disk(host):
    token = uuid.uuid4().hex
    host.run_test(f"echo {token} | systemd-cat -t shipshape-verify")
    host.run_test("journalctl --sync")
    host.run_test("systemctl restart systemd-journald")
    # Read the persistent files only: a volatile journal in /run would not count.
    found = host.run(f"journalctl -D /var/log/journal -t shipshape-verify --no-pager -o cat --grep {token}")
    assert token in found.stdout, host.run("journalctl -u systemd-journald --no-pager -n 30").stdout


def test_journal_is_capped(host):
    cfg = host.run("systemd-analyze cat-config systemd/journald.conf").stdout
    assert "SystemMaxUse=1G" in cfg
    assert "Storage=persistent" in cfg


def test_time_sync_is_active(host):
    assert host.service("systemd-timesyncd").is_running, host.run(
        "journalctl -u systemd-timesyncd --no-pager -n 30"
    ).stdout
    assert host.run("timedatectl show -p NTP --value").stdout.strip() == "yes"
    servers = host.run("timedatectl show-timesync -p SystemNTPServers --value").stdout.strip()
    assert servers == "127.0.0.1"


def test_timezone(host):
    expected = "Europe/Berlin" if host.backend.host == "base-deb12" else "Etc/UTC"
    assert host.run("timedatectl show -p Timezone --value").stdout.strip() == expected


def test_admin_user_can_sudo_and_logs_in_by_key_only(host):
    run = host.run("su - deploy -c 'sudo -n id -u'")
    assert run.rc == 0 and run.stdout.strip() == "0", run.stderr
    assert host.user("deploy").password.startswith("!"), "the admin's password must be locked"
    keys = host.file("/home/deploy/.ssh/authorized_keys")
    assert keys.mode == 0o600 and keys.user == "deploy"
    assert keys.content_string.startswith("ssh-ed25519 ")


def test_another_user_cannot_sudo(host):
    host.run("id mallory || useradd -m mallory")
    run = host.run("su - mallory -c 'sudo -n true'")
    assert run.rc != 0
    assert "password is required" in run.stderr or "not in the sudoers" in run.stderr, run.stderr


@pytest.mark.parametrize(
    ("key", "deb12", "deb13"),
    [
        ("net.ipv4.ip_forward", "1", "0"),  # deb12 runs containers: forwarding stays on
        ("net.ipv4.tcp_syncookies", "1", "1"),
        ("kernel.kptr_restrict", "2", "2"),
        ("net.ipv4.conf.all.accept_redirects", "0", "0"),
    ],
)
def test_sysctl_set_that_systemd_applies(host, key, deb12, deb13):
    # /proc/sys is read-only in a container, so read what systemd-sysctl
    # would apply at boot: the merged configuration, last value wins.
    merged = host.run("/usr/lib/systemd/systemd-sysctl --cat-config").stdout
    values = [line.split("=", 1)[1].strip() for line in merged.splitlines() if line.split("=", 1)[0].strip() == key]
    assert values, f"{key} is not configured"
    assert values[-1] == (deb12 if host.backend.host == "base-deb12" else deb13)


def test_an_interactive_login_gets_the_umask_and_an_idle_timeout_it_cannot_lift(host):
    host.run("id mallory || useradd -m mallory")
    # A login shell, as SSH starts one.
    run = host.run("su - mallory -c 'bash -lic \"umask; echo \\$TMOUT; TMOUT=0\"' 2>&1")
    lines = [line for line in run.stdout.splitlines() if "job control" not in line and "process group" not in line]
    assert lines[:2] == ["0027", "900"], run.stdout
    assert "readonly variable" in run.stdout, run.stdout
    # Other sessions: Debian 12 keeps its 022; Debian 13's PAM applies UMASK itself (pam_umask, with the user's
    # private group given the owner's bits: 007). Either way others can never write.
    umask = int(host.run("su - mallory -c umask").stdout.strip(), 8)
    assert umask & 0o002, oct(umask)


def test_a_new_home_directory_is_not_world_readable(host):
    host.run("userdel -r newcomer >/dev/null 2>&1; useradd -m newcomer")
    # 0750 from UMASK on Debian 12; Debian 13 sets HOME_MODE 0700 itself.
    assert host.file("/home/newcomer").mode & 0o027 == 0, oct(host.file("/home/newcomer").mode)
    host.run("userdel -r newcomer")


def test_only_root_may_run_the_assembler_and_the_package_keeps_it_so(host):
    assembler = host.run("readlink -f /usr/bin/as").stdout.strip()
    assert host.run(f"su - mallory -c '{assembler} --version'").rc != 0
    assert host.run(f"{assembler} --version").rc == 0
    assert host.run(f"dpkg-statoverride --list {assembler}").stdout.split()[:3] == ["root", "root", "750"]


def test_no_core_dump_from_a_login_shell(host):
    assert host.run("su - mallory -c 'ulimit -c'").stdout.strip() == "0"


def test_chkrootkit_scans_daily(host):
    assert host.run("systemctl is-active chkrootkit.timer").stdout.strip() == "active"
