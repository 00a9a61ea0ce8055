"""Logs seen at the central host: they arrive as JSON per host and program, survive an outage, and rotate."""

import json
import time
import uuid

from conftest import DATA, wait_for

CENTRAL = "/var/log/shipshape"


def stored(mon, host, program):
    """The JSON lines stored for a host's program (every line must parse)."""
    text = mon.run(f"cat {CENTRAL}/{host}/{program}.json 2>/dev/null").stdout
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_journal_line_arrives_as_json_with_its_host_and_program(mon, data):
    marker = f"journal-{uuid.uuid4().hex}"
    data.check_output(f"logger -t shipshape-probe {marker}")
    lines = wait_for(lambda: [e for e in stored(mon, DATA, "shipshape-probe") if e["message"] == marker], 30)
    assert lines, f"{marker} did not arrive"
    assert lines[0]["host"] == DATA and lines[0]["program"] == "shipshape-probe"
    assert lines[0]["time"] and lines[0]["received"]


def test_postgresql_and_redis_logs_arrive(mon, data):
    marker = f"marker_{uuid.uuid4().hex}"
    # An error PostgreSQL writes to its own log file (with the statement that failed).
    data.run(f"sudo -u postgres psql -qXAt -c 'SELECT {marker}'")
    assert wait_for(lambda: [e for e in stored(mon, DATA, "postgresql") if marker in e["message"]], 30)
    # Redis logs to the journal: a restart's readiness line.
    before = len(stored(mon, DATA, "redis-server"))
    data.check_output("systemctl restart redis-server")
    assert wait_for(
        lambda: [
            e for e in stored(mon, DATA, "redis-server")[before:] if "Ready to accept connections" in e["message"]
        ],
        30,
    )


def test_an_outage_of_the_central_host_loses_no_request(mon, data):
    """Requests flow through nginx with known request ids while the central rsyslog is stopped for a minute:
    every id reaches the central host's copy of nginx's access log after it restarts (at least once)."""
    run = uuid.uuid4().hex[:8]
    ids = [f"outage-{run}-{i}" for i in range(60)]
    # On the edge itself, over loopback (-k: its certificate is self-signed here).
    curl = "curl -sk -o /dev/null --resolve shop.monitoring.test:443:127.0.0.1"
    # syslog.socket would start rsyslog again at the next local message: stop both.
    mon.check_output("systemctl stop syslog.socket rsyslog")
    try:
        for rid in ids:
            data.run(f"{curl} -H 'X-Request-ID: {rid}' https://shop.monitoring.test/")
            time.sleep(1)
        during = mon.run(f"grep -c outage-{run} {CENTRAL}/{DATA}/nginx-access.json").stdout.strip()
        assert during in ("", "0"), "lines arrived while the central rsyslog was stopped: no outage"
    finally:
        mon.check_output("systemctl start syslog.socket rsyslog")

    def missing():
        lines = stored(mon, DATA, "nginx-access")
        seen = {json.loads(e["message"]).get("request_id") for e in lines if f"outage-{run}" in e["message"]}
        return sorted(set(ids) - seen)

    assert wait_for(lambda: not missing(), 90), f"lost: {missing()}"


def test_forced_rotation_keeps_a_dated_file_new_lines_keep_arriving_and_old_files_go(mon, data):
    probe = f"{CENTRAL}/{DATA}/shipshape-probe.json"
    data.check_output("logger -t shipshape-probe before-rotation")
    assert wait_for(lambda: mon.file(probe).exists, 30)
    # A rotated file from long ago: beyond the retention, logrotate removes it.
    old = f"{probe}-20200101-1577836800.gz"
    mon.check_output(f"echo old | gzip > {old} && touch -d '30 days ago' {old}")
    mon.check_output("logrotate -f /etc/logrotate.d/shipshape-logs")
    dated = mon.run(f"ls {probe}-2*").stdout.split()
    assert [f for f in dated if f != old], "no dated file after rotation"
    assert not mon.file(old).exists, "a file older than the retention was kept"
    marker = f"after-rotation-{uuid.uuid4().hex}"
    data.check_output(f"logger -t shipshape-probe {marker}")
    assert wait_for(lambda: [e for e in stored(mon, DATA, "shipshape-probe") if e["message"] == marker], 30)


def test_the_receiver_listens_on_the_private_address_only(mon):
    sockets = mon.socket.get_listening_sockets()
    assert [s for s in sockets if s.endswith(":2514")] == [f"tcp://{mon.interface('eth0').addresses[0]}:2514"]


def test_only_fleet_certificates_may_send(mon, data):
    """The receiver drops a TLS client without a fleet certificate, and keeps one that has it."""
    fleet = "/etc/ssl/shipshape-fleet"
    client = (
        f"timeout 10 openssl s_client -connect {mon.interface('eth0').addresses[0]}:2514 -CAfile {fleet}/ca.crt "
        "-verify_return_error"
    )
    # The client stays two seconds, so it reads what the receiver says after the handshake.
    anonymous = data.run(f"sleep 2 | {client} 2>&1").stdout
    assert "Verify return code: 0" in anonymous  # the receiver's own certificate is the fleet's
    assert "certificate required" in anonymous or "unexpected eof" in anonymous, anonymous
    member = data.run(f"sleep 2 | {client} -cert {fleet}/host.crt -key {fleet}/host.key 2>&1").stdout
    assert "Verify return code: 0" in member and "error:" not in member, member
