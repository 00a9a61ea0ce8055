"""The edge seen from outside: certificates from a real ACME server, TLS graded by sslyze, headers, proxying."""

import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DOMAIN, ROOT_PEM, VARS, curl, nginx_master, served_serial, web_address

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "testbed"))
from preflight import first_failure, run_cases

ROOT = Path(__file__).resolve().parents[3]
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=()",
}


@pytest.mark.parametrize("name", ["shipshape.test", DOMAIN])
def test_every_name_is_served_a_certificate_issued_by_the_acme_server(client, pebble_root, name):
    rc, status, _, _ = curl(client, f"https://{name}/")
    assert (rc, status) == (0, "200")
    assert "Pebble Intermediate" in served_serial(client, name)


def test_certificate_was_validated_over_http01_through_the_webroot(client):
    log = client.run("journalctl -u pebble --no-pager").stdout
    assert f"Attempting to validate w/ HTTP: http://{DOMAIN}:80/.well-known/acme-challenge/" in log
    assert "set VALID by completed challenge" in log


def test_sslyze_finds_the_endpoint_compliant_with_mozilla_intermediate(pebble_root):
    sslyze = ROOT / ".venv-sslyze" / "bin" / "sslyze"
    run = subprocess.run(
        [
            str(sslyze),
            "--mozilla_config=intermediate",
            f"--certinfo_ca_file={pebble_root}",
            f"{DOMAIN}{{{web_address()}}}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert f"{DOMAIN}:443: OK - Compliant." in run.stdout


def test_old_tls_versions_are_refused(client):
    for flag in ("-tls1", "-tls1_1"):
        out = client.run(f"echo | openssl s_client -connect {DOMAIN}:443 -servername {DOMAIN} {flag} 2>&1")
        assert out.rc != 0, f"{flag} was accepted"


def test_http_redirects_permanently_to_https(client):
    rc, status, headers, _ = curl(client, f"http://{DOMAIN}/shop/cart?item=42")
    assert (rc, status) == (0, "301")
    assert headers["location"] == f"https://{DOMAIN}/shop/cart?item=42"


def test_acme_challenge_path_is_served_over_http(client, web):
    web.run("install -d /var/lib/shipshape/acme/.well-known/acme-challenge")
    web.run("echo probe-token > /var/lib/shipshape/acme/.well-known/acme-challenge/probe")
    rc, status, _, body = curl(client, f"http://{DOMAIN}/.well-known/acme-challenge/probe")
    assert (rc, status, body.strip()) == (0, "200", "probe-token")


def test_http2_is_negotiated(client, pebble_root):
    out = client.run(f"curl -sS -o /dev/null --cacert {ROOT_PEM} --http2 -w '%{{http_version}}' https://{DOMAIN}/")
    assert out.stdout == "2", out.stderr


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/static/app.3f2a9c1d.css"])
def test_security_headers_are_present_everywhere(client, pebble_root, path):
    _, status, headers, _ = curl(client, f"https://{DOMAIN}{path}")
    assert status in {"200", "404"}
    for name, expected in SECURITY_HEADERS.items():
        assert expected in headers.get(name, ""), f"{name} on {path}: {headers.get(name)!r}"
    assert headers["server"] == "nginx", "server_tokens off hides the version"


def test_the_app_sees_the_client_through_forwarded_headers(client, pebble_root):
    _, status, _, body = curl(client, f"https://{DOMAIN}/echo-headers")
    seen = {k.lower(): v for k, v in json.loads(body).items()}
    assert status == "200"
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-for"] == seen["x-real-ip"] == client.interface("eth0").addresses[0]
    assert seen["x-forwarded-host"] == DOMAIN and seen["host"] == DOMAIN
    assert len(seen["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("sent", "kept"), [("order-42.retry_1", True), ("has space", False), ("x" * 65, False), ("semi;colon", False)]
)
def test_a_plain_request_id_from_the_client_is_passed_on_and_returned(client, pebble_root, sent, kept):
    _, status, headers, body = curl(client, f"https://{DOMAIN}/echo-headers", "-H", f"X-Request-ID: {sent}")
    seen = json.loads(body)
    seen = {k.lower(): v for k, v in seen.items()}
    assert status == "200"
    assert seen["x-request-id"] == headers["x-request-id"], "the app and the client get the same id"
    if kept:
        assert seen["x-request-id"] == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", seen["x-request-id"]), seen["x-request-id"]


def test_websocket_echo_works_through_nginx(client, pebble_root):
    script = f"""
import asyncio, ssl, aiohttp
async def main():
    ctx = ssl.create_default_context(cafile="{ROOT_PEM}")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect("wss://{DOMAIN}/ws", ssl=ctx) as ws:
            for text in ("hello", "shipshape " * 100):
                await ws.send_str(text)
                reply = await ws.receive_str(timeout=5)
                assert reply == text, reply
            print("echo ok")
asyncio.run(main())
"""
    out = client.run(f"python3 -c {shlex.quote(script)}")
    assert out.stdout.strip() == "echo ok", out.stderr


@pytest.mark.parametrize(("accept", "expected"), [("br", "br"), ("gzip", "gzip"), ("br, gzip", "br"), ("identity", "")])
def test_compression_follows_accept_encoding(client, pebble_root, accept, expected):
    _, status, headers, _ = curl(client, f"https://{DOMAIN}/", "-H", f"Accept-Encoding: {accept}")
    assert status == "200"
    assert headers.get("content-encoding", "") == expected
    assert "Accept-Encoding" in headers.get("vary", "")


def test_health_is_public_and_detailed_health_only_for_admin_networks(client, web, pebble_root):
    assert curl(client, f"https://{DOMAIN}/health")[1] == "200"
    assert curl(client, f"https://{DOMAIN}/health/detailed")[1] == "403"
    _, status, _, body = curl(web, f"https://{DOMAIN}/health/detailed", resolve_local=True)
    assert (status, json.loads(body)["detail"]) == ("200", "for admins")


def test_fingerprinted_static_assets_are_immutable_and_others_are_not(client, pebble_root):
    _, status, headers, body = curl(client, f"https://{DOMAIN}/static/app.3f2a9c1d.css")
    assert status == "200" and "color: #123456" in body
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    _, status, headers, _ = curl(client, f"https://{DOMAIN}/static/plain.css")
    assert status == "200"
    assert "immutable" not in headers["cache-control"]
    assert curl(client, f"https://{DOMAIN}/static/missing.3f2a9c1d.css")[1] == "404"


def test_rate_limited_path_answers_429_beyond_the_burst(client, pebble_root):
    def statuses(path):
        one = f"curl -s -o /dev/null -w '%{{http_code}}\\n' --cacert {ROOT_PEM} https://{DOMAIN}{path}"
        return client.run(f"for i in $(seq 20); do {one}; done").stdout.split()

    codes = statuses("/login")
    assert codes.count("200") >= VARS["nginx_limit_req_burst"]
    assert codes.count("429") > 0, codes
    # Other paths are not limited.
    assert set(statuses("/")) == {"200"}


def test_stub_status_answers_on_the_loopback_only(web, client):
    assert "Active connections" in web.run("curl -sS http://127.0.0.1:8081/stub_status").stdout
    assert client.run("curl -sS --max-time 5 http://edge-web:8081/stub_status").rc == 7  # connection refused


def test_unknown_names_get_no_answer(client):
    assert client.run("curl -sS --max-time 5 -H 'Host: other.example' http://edge-web/").rc == 52  # empty reply
    out = client.run(
        "curl -sS --max-time 5 -k --resolve other.example:443:$(getent hosts edge-web | cut -d' ' -f1) https://other.example/"
    )
    assert out.rc == 35, out.stderr  # handshake rejected


def test_access_log_is_json(web, client, pebble_root):
    curl(client, f"https://{DOMAIN}/?log-probe=1")
    line = web.run("grep -F 'log-probe=1' /var/log/nginx/access.log | tail -n 1").stdout
    entry = json.loads(line)
    assert entry["status"] == 200 and entry["uri"] == "/?log-probe=1" and entry["tls"] in {"TLSv1.2", "TLSv1.3"}
    assert entry["remote_addr"] == client.interface("eth0").addresses[0]


def test_renewal_timer_is_the_distributions_and_its_service_runs(web):
    assert web.service("certbot.timer").is_enabled and web.service("certbot.timer").is_running
    out = web.run("systemctl start certbot.service")
    assert out.rc == 0, web.run("journalctl -u certbot --no-pager | tail -n 20").stdout
    assert web.run("systemctl show -p Result --value certbot.service").stdout.strip() == "success"


def test_forced_renewal_is_served_without_restarting_nginx(web, client, pebble_root):
    before, master = served_serial(client), nginx_master(web)
    out = web.run("certbot renew --force-renewal --no-random-sleep-on-renew")
    assert out.rc == 0, out.stderr
    deadline = time.monotonic() + 20
    while served_serial(client) == before and time.monotonic() < deadline:
        time.sleep(0.5)
    after = served_serial(client)
    assert after != before, "nginx still serves the old certificate"
    assert "Pebble Intermediate" in after
    assert nginx_master(web) == master, "nginx was restarted, not reloaded"
    assert curl(client, f"https://{DOMAIN}/")[1] == "200"


def apply_nginx(tmp_path, **changes):
    """Run the nginx role on the web host with the scenario's variables and some changes; returns the JSON results."""
    return run_cases(tmp_path, "edge-web", ["nginx"], {"change": changes}, common=VARS, expect_failure=None)


def test_config_nginx_rejects_is_put_back_and_nothing_reloads(web, client, pebble_root, tmp_path):
    site = VARS["nginx_sites"][0]
    before, master = web.file("/etc/nginx/shipshape/sites/shop.conf").content_string, nginx_master(web)
    # Passes preflight (a host name is a valid upstream) but nginx -t cannot resolve it.
    results = apply_nginx(tmp_path, nginx_sites=[{**site, "upstreams": ["no-such-host.invalid:8080"]}])
    failed = [
        (task["task"]["name"].split(" : ", 1)[-1], task["hosts"]["change"].get("msg", ""))
        for play in results["plays"]
        for task in play["tasks"]
        if task["hosts"].get("change", {}).get("failed")
    ]
    assert [name for name, _ in failed] == [
        "Check the whole configuration (nginx -t)",
        "Stop here, naming what nginx rejected",
    ]
    assert "host not found in upstream" in failed[-1][1]
    assert web.file("/etc/nginx/shipshape/sites/shop.conf").content_string == before
    assert web.run("nginx -t").rc == 0
    assert nginx_master(web) == master
    assert curl(client, f"https://{DOMAIN}/")[1] == "200"


def test_config_change_reloads_without_restart(web, client, pebble_root, tmp_path):
    master = nginx_master(web)
    results = apply_nginx(tmp_path, nginx_hsts_max_age=31536000)
    assert results["stats"]["change"]["failures"] == 0, first_failure(results, "change")
    assert "max-age=31536000;" in curl(client, f"https://{DOMAIN}/")[2]["strict-transport-security"]
    assert nginx_master(web) == master, "nginx was restarted, not reloaded"
    assert apply_nginx(tmp_path)["stats"]["change"]["failures"] == 0
    assert "max-age=63072000;" in curl(client, f"https://{DOMAIN}/")[2]["strict-transport-security"]
