"""PM2 seen from outside: a cluster behind nginx that reloads and deploys with zero failed requests."""

import json
import time

from conftest import Load, deploy, pm2, workers


def get(host, path="/health"):
    out = host.run(
        f"curl -sS -i --max-time 10 --cacert /etc/shipshape/tls/node/fullchain.pem https://node.shipshape.test{path}"
    )
    head = out.stdout.split("\r\n\r\n", 1)[0].lower()
    return head.split()[1] if head else "", head


def test_cluster_serves_through_nginx_as_the_app_user(node_host):
    status, head = get(node_host)
    assert status == "200" and "x-app-version: v1" in head
    running = workers(node_host)
    assert len(running) >= 2 and {p["pm2_env"]["exec_mode"] for p in running} == {"cluster_mode"}
    assert {p["pm2_env"]["status"] for p in running} == {"online"}
    users = {node_host.run(f"ps -o user= -p {p['pid']}").stdout.strip() for p in running}
    assert users == {"shop"}


def test_pm2_starts_at_boot_and_rotates_its_logs(node_host):
    assert node_host.service("pm2-shop").is_enabled and node_host.service("pm2-shop").is_running
    modules = [p for p in json.loads(pm2(node_host, "jlist")) if p["name"] == "pm2-logrotate"]
    assert [p["pm2_env"]["status"] for p in modules] == ["online"]


def test_pm2_reload_under_load_fails_no_request(node_host):
    pids = {p["pid"] for p in workers(node_host)}
    load = Load(seconds=25)
    time.sleep(3)
    assert node_host.run("systemctl reload pm2-shop").rc == 0
    result = load.result()
    assert result["rate"] >= 50
    assert result["failed"] == 0 and result["server_errors"] == 0 and result["other"] == 0, result
    assert not pids & {p["pid"] for p in workers(node_host)}, "every worker was replaced"


def test_deploying_v2_under_load_fails_no_request(node_host):
    # As long as the deploy takes (beside other scenarios it may take longer than alone), then 5 s of v2.
    load = Load(seconds=300)
    time.sleep(3)
    run = deploy(app_version="v2")
    result = load.stop(after=5)
    assert run.returncode == 0, run.stdout[-4000:]
    assert result["failed"] == 0 and result["server_errors"] == 0 and result["other"] == 0, result
    assert set(result["versions"]) == {"v1", "v2"} and result["last_version"] == "v2", result
    assert node_host.file("/srv/shop/current").linked_to == "/srv/shop/releases/v2"


def test_a_killed_worker_comes_back(node_host):
    before = workers(node_host)
    node_host.run(f"kill -KILL {before[0]['pid']}")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = workers(node_host)
        if len(now) == len(before) and all(p["pm2_env"]["status"] == "online" and p["pid"] for p in now):
            if before[0]["pid"] not in {p["pid"] for p in now}:
                break
        time.sleep(0.5)
    assert {p["pm2_env"]["status"] for p in workers(node_host)} == {"online"}
    assert before[0]["pid"] not in {p["pid"] for p in workers(node_host)}
    assert get(node_host)[0] == "200"
