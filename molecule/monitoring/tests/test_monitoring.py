"""Monitoring seen from outside: what listens where, who may scrape, and real faults that reach the sink."""

import hashlib
import subprocess
import time

import pytest
import testinfra
from alertsink import fires_and_resolves
from conftest import DATA, MON, VARS, address, alert_events, api, posts, value, wait_for

EXPORTERS = {"node": 9100, "postgres": 9187, "redis": 9121, "nginx": 9113, "mtail": 3903}


def test_every_target_is_scraped_and_up():
    def all_up():
        targets = api("9090/api/v1/targets?state=active")["data"]["activeTargets"]
        seen = {(t["labels"]["job"], t["labels"]["host"]): t["health"] for t in targets}
        return seen if seen and all(h == "up" for h in seen.values()) else None

    seen = wait_for(all_up, 60)
    assert seen, api("9090/api/v1/targets?state=active")["data"]["activeTargets"]
    assert set(seen) == {
        ("prometheus", MON),
        ("alertmanager", MON),
        ("node", MON),
        ("node", DATA),
        ("postgres", DATA),
        ("redis", DATA),
        ("nginx", DATA),
        ("mtail", DATA),
        ("probe", DATA),
    }


def test_exporters_report_the_daemons_through_least_privilege_logins():
    """pg_up and redis_up are 1: the pg_monitor role and the monitor ACL user log in; the metrics are real."""
    assert wait_for(lambda: value("pg_up") == "1", 30)
    assert wait_for(lambda: value("redis_up") == "1", 30)
    assert float(value("pg_settings_max_connections")) > 0
    assert float(value("redis_memory_max_bytes")) == 128 * 1024 * 1024


def test_the_redis_monitor_user_cannot_read_or_write_keys(data):

    password = hashlib.sha256(f"{VARS['redis_admin_password']}:monitor".encode()).hexdigest()
    auth = f"REDISCLI_AUTH={password} redis-cli -s /run/redis/redis-server.sock --user monitor --no-auth-warning"
    assert data.check_output(f"{auth} PING") == "PONG"
    assert "NOPERM" in data.run(f"{auth} GET anything").stdout
    assert "NOPERM" in data.run(f"{auth} SET anything 1").stdout
    assert "NOPERM" in data.run(f"{auth} FLUSHALL").stdout


def test_exporters_listen_on_the_private_address_only(data):
    private = address(DATA)
    for port in EXPORTERS.values():
        sockets = data.socket.get_listening_sockets()
        assert f"tcp://{private}:{port}" in sockets, (port, sockets)
        assert f"tcp://0.0.0.0:{port}" not in sockets and f"tcp://:::{port}" not in sockets


def test_exporter_ports_answer_the_monitoring_host_only(mon, data):
    for port in EXPORTERS.values():
        assert mon.run(f"curl -sf --max-time 5 -o /dev/null http://{address(DATA)}:{port}/metrics").rc == 0, port
    # The monitoring host's own node exporter, from a host outside the monitoring group: the firewall drops it.
    refused = data.run(f"curl -sf --max-time 3 -o /dev/null http://{address(MON)}:9100/metrics")
    assert refused.rc != 0


def test_the_web_uis_are_on_loopback_only(mon, data):
    sockets = mon.socket.get_listening_sockets()
    for port in (9090, 9093, 9115):
        assert f"tcp://127.0.0.1:{port}" in sockets, (port, sockets)
    assert not [s for s in sockets if s.endswith(":9094")], "Alertmanager's cluster gossip is off"
    assert data.run(f"curl -sf --max-time 3 http://{address(MON)}:9090/-/healthy").rc != 0


def test_the_watchdog_reaches_its_dead_mans_switch_only():
    assert wait_for(lambda: [p for p in posts() if p["path"] == "/watchdog"], 60)
    assert not alert_events("ShipshapeWatchdog"), "the watchdog is not sent to the alert receivers"


def fault_fires_and_resolves(host, stop, start, alert, labels):
    """Stop something for real; the alert reaches the sink firing within 60 s, and resolved within 60 s of the fix."""
    fires_and_resolves(
        testinfra.get_host(f"docker://{MON}"),
        alert,
        (lambda: host.check_output(stop), lambda: host.check_output(start)),
        labels=labels,
    )


def test_stopping_postgresql_fires_and_resolves(data):
    fault_fires_and_resolves(
        data, "systemctl stop postgresql", "systemctl start postgresql", "ShipshapePostgresDown", {"host": DATA}
    )


def test_stopping_redis_fires_and_resolves(data):
    fault_fires_and_resolves(
        data, "systemctl stop redis-server", "systemctl start redis-server", "ShipshapeRedisDown", {"host": DATA}
    )


def test_a_host_down_inhibits_its_other_alerts(data):
    """With the host's node exporter gone, its Redis alert is held back; the host-down alert is sent."""
    mark = len(posts())
    data.check_output("systemctl stop prometheus-node-exporter")
    try:
        assert wait_for(
            lambda: [
                e for e in alert_events("ShipshapeTargetDown", mark) if e[0] == "firing" and e[1]["job"] == "node"
            ],
            60,
        )
        data.check_output("systemctl stop redis-server")

        def inhibited():
            alerts = api("9093/api/v2/alerts?inhibited=true&silenced=false")
            return [
                a for a in alerts if a["labels"]["alertname"] == "ShipshapeRedisDown" and a["status"]["inhibitedBy"]
            ]

        assert wait_for(inhibited, 60), api("9093/api/v2/alerts")
        time.sleep(3)  # a group_interval and more: a send would have happened
        assert not [e for e in alert_events("ShipshapeRedisDown", mark) if e[0] == "firing"]
    finally:
        data.check_output("systemctl start redis-server prometheus-node-exporter")


@pytest.mark.parametrize("config", ["/etc/prometheus/prometheus.yml", "/etc/prometheus/shipshape-rules.yml"])
def test_configs_on_disk_pass_their_checkers(mon, config):
    kind = "rules" if "rules" in config else "config"
    assert mon.run(f"promtool check {kind} {config}").rc == 0


def test_5xx_through_nginx_fire_and_resolve(mon, data):
    """Requests flow through nginx; the app behind it answers 500 for a while: mtail's counter makes the ratio."""
    curl = "curl -s -o /dev/null --cacert /etc/ssl/shipshape-probe-ca.pem https://shop.monitoring.test/"
    loop = f"while :; do {curl}; sleep 0.1; done"
    traffic = subprocess.Popen(["docker", "exec", MON, "timeout", "300", "sh", "-c", loop])
    try:
        assert wait_for(lambda: value('shipshape_nginx_responses_total{site="shop.monitoring.test",code="200"}'), 60)
        fault_fires_and_resolves(
            data,
            "touch /run/fake-app-fail",
            "rm -f /run/fake-app-fail",
            "ShipshapeHttp5xxRatioHigh",
            {"host": DATA, "site": "shop.monitoring.test"},
        )
    finally:
        traffic.kill()
        mon.run("pkill -f shop.monitoring.test")


def test_a_certificate_near_its_end_fires_and_a_renewed_one_resolves(mon, data):
    """The edge's certificate has 10 days left: the probe sees it; a 60-day one put in its place resolves the alert."""
    fired = wait_for(lambda: [e for e in alert_events("ShipshapeCertificateExpiring") if e[0] == "firing"], 60)
    assert fired and fired[0][1]["host"] == DATA, fired
    left = "probe_ssl_earliest_cert_expiry - time()"
    assert float(value(left)) < 14 * 86400, "the probe sees the 10-day certificate"
    mark = len(posts())
    tls = "/etc/shipshape/tls/shop"
    data.check_output(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 60 -subj /CN=shop.monitoring.test"
        f" -addext subjectAltName=DNS:shop.monitoring.test -keyout {tls}/renewed.key -out {tls}/renewed.pem 2>/dev/null"
        f" && cat {tls}/renewed.key > {tls}/privkey.pem && cat {tls}/renewed.pem > {tls}/fullchain.pem"
        " && nginx -t -q && systemctl reload nginx"
    )
    pem = data.file(f"{tls}/renewed.pem").content_string
    mon.check_output(f"printf %s '{pem}' > /etc/ssl/shipshape-probe-ca.pem")
    mon.check_output("systemctl reload prometheus-blackbox-exporter")
    resolved = wait_for(
        lambda: [e for e in alert_events("ShipshapeCertificateExpiring", mark) if e[0] == "resolved"], 60
    )
    assert resolved, "ShipshapeCertificateExpiring did not resolve within 60 s of the renewal"
    # Resolved because the probe sees the renewed certificate (not because a probe failed during the swap).
    assert wait_for(lambda: (value(left) or 0) and float(value(left)) > 50 * 86400, 60), value(left)
