"""The whole site on a split fleet, seen from outside: who may reach what, a fleet deploy under load, backups in S3."""

import json
import os
import re
import shlex
import subprocess
import time
import uuid
from datetime import UTC, datetime

import pytest
from alertsink import posts, wait_for
from conftest import (
    APPS,
    CACHE,
    DB,
    EDGE,
    EPHEMERAL,
    FLEET,
    FLEET_CA,
    FLEET_CERT,
    OUT,
    SCENARIO,
    URL,
    VARS,
    host,
    ip,
    load,
    playbook,
    reachable,
)
from s3client import s3_client

testinfra_hosts = [OUT]  # the tests below pick their hosts themselves
# The stack's own ports and the exporters' (the node exporter on every host; the cache host is also the
# monitoring host: its log receiver too), closed to a host in no group.
STACK_PORTS = {
    EDGE: [9100, 9113, 3903],
    DB: [5432, 6432, 9100, 9187],
    CACHE: [6379, 9100, 9121, 2514],
    "site-app1": [8001, 8002, 9100],
    "site-app2": [8001, 8002, 9100],
}
MONITORING = CACHE
# What a deploy that went wrong would fire: the app down on a host, a scrape target down, 5xx, the site's probe.
DEPLOY_ALERTS = {
    "ShipshapeAppDown",
    "ShipshapeTargetDown",
    "ShipshapeApp5xxRatioHigh",
    "ShipshapeHttp5xxRatioHigh",
    "ShipshapeProbeFailed",
}


def live(name):
    return json.loads(host(name).file("/var/lib/shipshape/app/live.json").content_string)


def upstream_servers():
    text = host(EDGE).file("/etc/nginx/shipshape/upstreams/app.conf").content_string
    return sorted(re.findall(r"^server (\S+);", text, re.M))


def other_image(name):
    """v1 or v2, whichever the host is not running now (so that deploying it changes something)."""
    running = host(name).run(f"docker inspect -f '{{{{.Image}}}}' app-{live(name)['slot']}").stdout.strip()
    for tag in ("shipshape-app:v1", "shipshape-app:v2"):
        if host(name).run(f"docker image inspect -f '{{{{.Id}}}}' {tag}").stdout.strip() != running:
            return tag
    raise AssertionError(f"{name} runs neither v1 nor v2")


@pytest.fixture(scope="module")
def web_listeners():
    """Something on 80 and 443 of the hosts that are not the edge, so that a closed port is the firewall's doing."""
    others = [name for name in FLEET if name != EDGE]
    for name in others:
        for port in (80, 443):
            host(name).run(f"systemd-run --unit=listen-{port} python3 -m http.server {port} >/dev/null 2>&1 || true")
    time.sleep(1)
    yield
    for name in others:
        for port in (80, 443):
            host(name).run(f"systemctl stop listen-{port}")


def test_the_post_quantum_option_offers_only_hybrid_key_exchange_and_ssh_audit_warns_of_nothing():
    """site-edge (Debian 12) has ssh_crypto_policy post-quantum; the site logs in to it over SSH all along."""
    run = subprocess.run(
        ["ssh-audit", "-j", "-p", "2241", "127.0.0.1"], capture_output=True, text=True, timeout=120, check=False
    )
    report = json.loads(run.stdout)
    kex = [k["algorithm"] for k in report["kex"] if not k["algorithm"].startswith(("kex-strict", "ext-info"))]
    assert kex == ["sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com"], kex
    notes = [
        n
        for section in ("kex", "key", "enc", "mac")
        for a in report[section]
        for n in a.get("notes", {}).get("warn", [])
    ]
    assert notes == [] and run.returncode == 0, notes


@pytest.mark.parametrize("name", FLEET)
def test_an_outsider_sees_only_ssh_and_the_edge_web_ports(name, web_listeners):
    assert reachable(OUT, name, 22), f"22 must be open on {name}"
    for port in (80, 443):
        assert reachable(OUT, name, port) == (name == EDGE), f"{port} must be open on the edge only ({name})"
    for port in STACK_PORTS.get(name, []):
        assert not reachable(OUT, name, port), f"{port} on {name} must be closed to a host in no group"


def test_postgresql_and_pgbouncer_answer_the_app_hosts_only():
    for port in (5432, 6432):
        for app in APPS:
            assert reachable(app, DB, port), f"{app} must reach {port} on the db host"
        assert not reachable(EDGE, DB, port), f"the edge must not reach {port} on the db host"
        assert not reachable(CACHE, DB, port)


def test_postgresql_wants_tls_from_the_app_hosts():
    """pg_hba lets the app hosts in over TLS only (hostssl), never in plain text."""
    hba = host(DB).run("cat /etc/postgresql/*/main/pg_hba.conf").stdout
    for app in APPS:
        rules = [line.split() for line in hba.splitlines() if f"{ip(app)}/32" in line]
        assert rules and all(r[0] == "hostssl" for r in rules), (app, rules)
    assert f"{ip(EDGE)}/32" not in hba


def redis_over(src, tls=True):
    """What Redis answers a client on src that logs in as the app and pings, over TLS (checked against the fleet CA)
    or in plain text; a refused handshake or a closed connection gives the error's name."""
    login = f"AUTH app {VARS['redis_app_password']}"
    code = f"""
import socket, ssl
s = socket.create_connection(("{ip(CACHE)}", 6379), timeout=5)
try:
    if {tls}:
        ctx = ssl.create_default_context(cafile="{FLEET_CA}")
        s = ctx.wrap_socket(s, server_hostname="{ip(CACHE)}")
    s.sendall(b"{login}\\r\\nPING\\r\\n")
    data = b""
    while data.count(b"\\r\\n") < 2:
        chunk = s.recv(100)
        if not chunk:
            break
        data += chunk
    print(data.decode().replace("\\r\\n", " ").strip() or "closed")
except Exception as exc:
    print(type(exc).__name__)
"""
    return host(src).run(f"python3 -c {shlex.quote(code)}").stdout.strip()


def fingerprint(name):
    return host(name).run(f"openssl x509 -in {FLEET_CERT} -noout -fingerprint -sha256").stdout.strip()


def test_redis_answers_the_app_hosts_only_and_over_tls():
    for app in APPS:
        assert redis_over(app) == "+OK +PONG", f"{app} must reach Redis over TLS"
        # The plaintext port is off: a plain client gets no answer.
        assert "PONG" not in redis_over(app, tls=False)
    assert not reachable(EDGE, CACHE, 6379)
    assert not reachable(DB, CACHE, 6379)


def test_every_host_has_a_certificate_of_the_fleet_ca_kept_on_the_controller():
    ca = EPHEMERAL / "fleet-ca" / "ca.crt"
    assert (EPHEMERAL / "fleet-ca" / "ca.key").stat().st_mode & 0o077 == 0, "the CA key is its owner's only"
    for name in FLEET:
        pem = host(name).file(FLEET_CERT).content_string
        verify = subprocess.run(
            ["openssl", "verify", "-CAfile", str(ca)], check=False, input=pem, capture_output=True, text=True
        )
        assert verify.returncode == 0, (name, verify.stdout, verify.stderr)
        key = host(name).file(FLEET_CERT.replace(".crt", ".key"))
        assert (key.user, key.group, key.mode) == ("root", "shipshape-tls", 0o640), name
    assert host(CACHE).file(FLEET_CA).content_string == ca.read_text()


def test_the_app_ports_answer_the_edge_only_over_mutual_tls():
    tls = f"--cacert {FLEET_CA} --cert {FLEET_CERT} --key {FLEET_CERT.replace('.crt', '.key')}"
    for app in APPS:
        port = live(app)["port"]
        url = f"https://{ip(app)}:{port}/health"
        out = host(EDGE).run(f"curl -sS --max-time 5 -o /dev/null -w '%{{http_code}}' {tls} {url}")
        assert out.stdout == "200", (app, out.stdout, out.stderr)
        # Without the edge's fleet certificate the listener refuses; plain HTTP gets nothing either.
        assert host(EDGE).run(f"curl -sS --max-time 5 -o /dev/null --cacert {FLEET_CA} {url}").rc != 0
        out = host(EDGE).run(f"curl -sS --max-time 5 -o /dev/null -w '%{{http_code}}' http://{ip(app)}:{port}/health")
        assert out.stdout != "200", (app, "plain HTTP must not reach the app")
        assert not reachable(OUT, app, port)
        assert not reachable(DB, app, port)


def test_the_edge_upstream_lists_every_app_host_live_slot():
    assert upstream_servers() == sorted(f"{ip(app)}:{live(app)['port']}" for app in APPS)


def test_the_app_serves_through_the_edge_with_its_database_and_redis(out_trusts_the_edge):
    for path in ("/", "/health", "/health/db", "/health/redis"):
        out = host(OUT).run(f"curl -sS -o /dev/null -w '%{{http_code}}' --cacert {out_trusts_the_edge} {URL}{path[1:]}")
        assert out.stdout == "200", (path, out.stdout, out.stderr)


def test_behind_cloudflare_a_listed_range_is_logged_with_the_client_address_it_forwards(out_trusts_the_edge):
    """The outsider stands in for Cloudflare (nginx_cloudflare_ranges): its CF-Connecting-IP is the client."""
    probe = f"cf-{uuid.uuid4().hex}"
    curl = (
        f"curl -sS -o /dev/null -w '%{{http_code}}' --cacert {out_trusts_the_edge} -H 'CF-Connecting-IP: 198.51.100.77'"
    )
    # Any logged path (nginx does not log the health path).
    assert host(OUT).run(f"{curl} '{URL}?{probe}'").stdout == "200"
    lines = [
        json.loads(line)
        for line in host(EDGE).file("/var/log/nginx/access.log").content_string.splitlines()
        if probe in line
    ]
    assert [entry["remote_addr"] for entry in lines] == ["198.51.100.77"], lines


def test_behind_cloudflare_anything_else_is_refused_at_the_firewall_and_at_nginx():
    for port in (80, 443):
        assert not reachable(DB, EDGE, port), f"{port} on the edge must be closed to a host outside Cloudflare's ranges"
    # Past the firewall (the edge's own address, over the loopback), nginx closes the connection unanswered, even when
    # the request claims to come through Cloudflare.
    edge = ip(EDGE)
    out = host(EDGE).run(
        f"curl -sk -o /dev/null -w '%{{http_code}}' -H 'CF-Connecting-IP: 198.51.100.77'"
        f" --resolve app.shipshape.test:443:{edge} {URL}health"
    )
    assert out.stdout == "000" and out.rc != 0, (out.stdout, out.rc)


def test_deploying_v2_over_the_fleet_under_load_fails_no_request(out_trusts_the_edge):
    sink = host(MONITORING)
    traffic = load(out_trusts_the_edge, seconds=600)
    time.sleep(3)
    began = datetime.now(UTC)
    run = playbook("deploy.yml", app_image="shipshape-app:v2")
    result = traffic.stop(after=5)
    # Alertmanager's group_wait and group_interval are 1 s here, evaluation 1 s, app and 5xx alerts 5 s: anything the
    # deploy broke would have reached the sink by now.
    time.sleep(15)
    ended = datetime.now(UTC)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert result["rate"] >= 50 and result["seconds"] >= 20, result
    assert result["failed"] == 0 and result["server_errors"] == 0 and result["other"] == 0, result
    assert result["last_version"] == "v2", result
    for app in APPS:
        assert live(app)["image"] == "shipshape-app:v2", app
    assert upstream_servers() == sorted(f"{ip(app)}:{live(app)['port']}" for app in APPS)
    for secret in (VARS["app_jwt_secret"], VARS["postgres_app_password"], VARS["redis_app_password"]):
        assert secret not in run.stdout + run.stderr
    # The deploy silenced the alerts a deploy may cause on the monitoring host, and lifted the silence after.
    silences = json.loads(host(MONITORING).check_output("amtool silence query --expired -o json"))
    mine = [x for x in silences if x["comment"] == "deploy of shipshape-app:v2"]
    assert mine and mine[-1]["createdBy"] == "shipshape.server.deploy", silences
    active = json.loads(host(MONITORING).check_output("amtool silence query -o json"))
    assert not [x for x in active if x["createdBy"] == "shipshape.server.deploy"], active
    # The sink hears Alertmanager (the watchdog reaches it), and no alert a deploy can cause began during the deploy
    # and reached it. (One firing before, such as the probe of a Cloudflare-only site from a host outside Cloudflare,
    # began earlier; the test bed's clock and unit alerts have nothing to do with a deploy and may begin any time.)
    heard = posts(sink)
    assert any(post["path"] == "/watchdog" for post in heard), heard[-3:]
    during = [
        (alert["labels"]["alertname"], alert["labels"].get("host"), alert["startsAt"])
        for post in heard
        if post["path"] == "/alerts"
        for alert in post["payload"].get("alerts", [])
        if alert["labels"]["alertname"] in DEPLOY_ALERTS
        and began <= datetime.fromisoformat(alert["startsAt"].replace("Z", "+00:00")) <= ended
    ]
    assert not during, during


def test_a_version_that_fails_on_the_second_host_fails_no_request_and_says_who_runs_what(out_trusts_the_edge):
    """v3 is good on the first app host and never healthy on the second (each host has its own v3)."""
    first, second = APPS
    assert host(first).run(f"docker tag {other_image(first)} shipshape-app:v3").rc == 0
    assert host(second).run("docker tag shipshape-app:broken shipshape-app:v3").rc == 0
    before = live(second)["image"]
    traffic = load(out_trusts_the_edge, seconds=600)
    time.sleep(3)
    run = playbook("deploy.yml", app_image="shipshape-app:v3")
    result = traffic.stop(after=3)
    assert run.returncode != 0
    assert result["failed"] == 0 and result["server_errors"] == 0 and result["other"] == 0, result
    assert live(first)["image"] == "shipshape-app:v3" and live(second)["image"] == before
    message = run.stdout + run.stderr
    assert "did not become healthy" in message
    assert f"{first} shipshape-app:v3" in message and f"{second} {before}" in message, message[-3000:]
    assert upstream_servers() == sorted(f"{ip(app)}:{live(app)['port']}" for app in APPS)


@pytest.fixture(scope="module")
def s3():
    return s3_client(ip(OUT), VARS)


def keys(s3, prefix):
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=VARS["backup_s3_bucket"], Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_postgresql_and_redis_backups_of_the_db_and_cache_hosts_land_in_s3(s3):
    run = playbook("backup.yml", backup_type="full")
    assert run.returncode == 0, run.stdout[-4000:]
    assert any("/backup/site-db/" in k and k.endswith("F/backup.manifest") for k in keys(s3, "pgbackrest/")), keys(
        s3, ""
    )
    assert any(k.endswith(".rdb") or ".rdb" in k for k in keys(s3, "redis/")), keys(s3, "")
    # Redis runs on the cache host only: the db host has no Redis job, the cache host no pgBackRest.
    assert host(DB).run("systemctl cat shipshape-backup-redis.service").rc != 0
    assert host(CACHE).run("command -v pgbackrest").rc != 0


def test_a_certificate_near_its_end_is_reissued_and_redis_serves_the_new_one(out_trusts_the_edge):
    before = fingerprint(CACHE)
    # A renewal window longer than the certificate has left: the run must reissue it.
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO / "renew.yml")]
    cmd += ["-e", json.dumps({"fleet_tls_days": 400, "fleet_tls_renew_days": 366})]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert fingerprint(CACHE) != before
    served = (
        host(APPS[0])
        .run(
            f"echo | openssl s_client -connect {ip(CACHE)}:6379 -CAfile {FLEET_CA} 2>/dev/null"
            " | openssl x509 -noout -fingerprint -sha256"
        )
        .stdout.strip()
    )
    assert served == fingerprint(CACHE), "Redis must serve the reissued certificate"
    assert redis_over(APPS[0]) == "+OK +PONG"
    out = host(OUT).run(f"curl -sS -o /dev/null -w '%{{http_code}}' --cacert {out_trusts_the_edge} {URL}health/redis")
    assert out.stdout == "200", out.stdout + out.stderr


# The monitoring tests run before a site run takes app2 out of the app group (the last test).
def test_the_monitoring_host_scrapes_every_host_and_every_exporter_answers():
    expected = {("node", name) for name in FLEET} | {
        ("postgres", DB),
        ("redis", CACHE),
        ("nginx", EDGE),
        ("mtail", EDGE),
        ("probe", EDGE),
        ("prometheus", MONITORING),
        ("alertmanager", MONITORING),
    }

    def targets():
        out = host(MONITORING).check_output("curl -sf 'http://127.0.0.1:9090/api/v1/targets?state=active'")
        return json.loads(out)["data"]["activeTargets"]

    def healthy():
        active = targets()
        others = {(t["labels"]["job"], t["labels"]["host"]): t["health"] for t in active if t["labels"]["job"] != "app"}
        # The app: both slots of each app host are scraped (over the fleet's mutual TLS); the live one answers.
        app_up = {t["labels"]["host"] for t in active if t["labels"]["job"] == "app" and t["health"] == "up"}
        return set(others) == expected and set(others.values()) == {"up"} and app_up == set(APPS)

    assert wait_for(healthy, 60), targets()


def test_a_request_id_is_returned_and_found_at_the_central_host_in_nginx_and_app_logs(out_trusts_the_edge):
    rid = f"rid-{uuid.uuid4().hex}"
    curl = f"curl -sS -o /dev/null -D - --cacert {out_trusts_the_edge}"
    headers = host(OUT).check_output(f"{curl} -H 'X-Request-ID: {rid}' '{URL}?{rid}'").lower()
    assert f"x-request-id: {rid}" in headers
    # A request id that is not a plain token is replaced by nginx's own (it reaches log files and headers).
    replaced = host(OUT).check_output(f"{curl} -H 'X-Request-ID: a b\\\"c' '{URL}'").lower()
    assert re.search(r"^x-request-id: [0-9a-f]{32}\r?$", replaced, re.M), replaced
    central = host(MONITORING)

    def found():
        nginx = central.run(f"grep -c {rid} /var/log/shipshape/{EDGE}/nginx-access.json").stdout.strip()
        apps = central.run(f"cat /var/log/shipshape/site-app*/app.json | grep -c {rid}").stdout.strip()
        return nginx not in ("", "0") and apps not in ("", "0")

    assert wait_for(found, 60), "the request id did not reach the central host from both nginx and the app"
    line = central.check_output(f"grep -h {rid} /var/log/shipshape/{EDGE}/nginx-access.json | head -1")
    assert json.loads(json.loads(line)["message"])["request_id"] == rid


def test_the_apps_metrics_are_not_public_through_the_edge(out_trusts_the_edge):
    """/metrics answers 404 through nginx; the monitoring host reads it from the app hosts themselves."""
    out = host(OUT).run(f"curl -sS -o /dev/null -w '%{{http_code}}' --cacert {out_trusts_the_edge} {URL}metrics")
    assert out.stdout == "404", out.stdout
    query = "curl -sf http://127.0.0.1:9090/api/v1/query --data-urlencode 'query=sum(app_requests_total)'"
    assert float(json.loads(host(MONITORING).check_output(query))["data"]["result"][0]["value"][1]) > 0


def test_a_host_removed_from_the_app_group_loses_its_access_on_the_next_run():
    """The next site run with app2 out of the app group prunes its rules; app1 keeps its access."""
    first, second = APPS
    extra = EPHEMERAL / "without-app2.yml"
    extra.write_text(json.dumps({"all": {"children": {"app_without_app2": {"hosts": {first: {}}}}}}))
    run = playbook("site.yml", inventories=[extra], shipshape_groups={"app": "app_without_app2"})
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for port in (5432, 6432):
        assert not reachable(second, DB, port), f"{second} left the app group but still reaches {port}"
        assert reachable(first, DB, port)
    assert not reachable(second, CACHE, 6379)
    assert redis_over(first) == "+OK +PONG"
    assert f"{ip(second)}/32" not in host(DB).run("cat /etc/postgresql/*/main/pg_hba.conf").stdout
    assert upstream_servers() == [f"{ip(first)}:{live(first)['port']}"]
