"""The app seen from outside: zero failed requests while it deploys, rollback of a broken version, shutdown."""

import json
import time

from conftest import CERT, URL, VARS, Load, deploy, inspect, live_container


def get(app_host, path, *args):
    """GET through nginx with TLS (the bootstrap certificate is the only trust): (status, headers, body)."""
    url = URL.rstrip("/") + path
    out = app_host.run(f"curl -sS -i --max-time 10 --cacert {CERT} -w '\\n%{{http_code}}' {' '.join(args)} {url}")
    head, _, rest = out.stdout.partition("\r\n\r\n")
    body, _, status = rest.rpartition("\n")
    lines = [line.split(":", 1) for line in head.splitlines()[1:] if ":" in line]
    return status, {k.strip().lower(): v.strip() for k, v in lines}, body


def test_v1_serves_through_nginx_with_its_database_and_redis(app_host):
    for path in ("/", "/health", "/health/db", "/health/redis"):
        status, headers, _ = get(app_host, path)
        assert (status, headers.get("x-app-version")) == ("200", "v1"), path


def test_container_runs_hardened_and_publishes_nothing(app_host):
    name, state = live_container(app_host)
    info = inspect(app_host, name)
    assert info["Config"]["User"] == "10001:10001"
    assert info["HostConfig"]["ReadonlyRootfs"] is True
    assert info["HostConfig"]["Memory"] == 512 * 1024 * 1024
    assert info["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert info["Config"]["StopSignal"] == "SIGTERM" and info["Config"]["StopTimeout"] == VARS["app_stop_grace"]
    assert info["HostConfig"]["PortBindings"] in ({}, None)
    # It listens on the loopback only: from another address on the host, its port refuses.
    address = app_host.interface("eth0").addresses[0]
    assert app_host.run(f"curl -sS --max-time 5 http://{address}:{state['port']}/health").rc == 7
    assert app_host.run(f"curl -sS --max-time 5 http://127.0.0.1:{state['port']}/health").rc == 0


def test_env_file_holds_the_secrets_for_root_only(app_host):
    env = app_host.file("/etc/shipshape/app/.env.production")
    assert (env.mode, env.user) == (0o600, "root")
    assert f"JWT_SECRET={VARS['app_jwt_secret']}" in env.content_string
    assert "DATABASE_URL=postgresql://app:" in env.content_string and ":6432/app" in env.content_string
    # The app role's URL carries no migration credentials.
    assert VARS["postgres_migration_password"] not in env.content_string
    local = "--resolve app.shipshape.test:443:127.0.0.1"  # the loopback is nginx's admin network
    assert get(app_host, "/health/detailed")[0] == "403", "nginx refuses a non-admin address"
    assert get(app_host, "/health/detailed", local)[0] == "401", "the app wants its token"
    status, _, body = get(app_host, "/health/detailed", local, f"-H 'X-Admin-Token: {VARS['app_admin_token']}'")
    assert status == "200" and json.loads(body)["database"] == "ok"


def test_deploying_v2_under_load_fails_no_request(app_host):
    # As long as the deploy takes (beside other scenarios it may take longer than alone), then 5 s of v2.
    load = Load(seconds=300)
    time.sleep(3)
    run = deploy("shipshape-app:v2")
    result = load.stop(after=5)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert result["rate"] >= 50 and result["seconds"] >= 20
    assert result["failed"] == 0 and result["server_errors"] == 0 and result["other"] == 0, result
    assert set(result["versions"]) == {"v1", "v2"} and result["last_version"] == "v2", result
    assert result["versions"]["v1"]["last"] <= result["versions"]["v2"]["last"]
    for secret in (VARS["app_jwt_secret"], VARS["app_session_secret"], VARS["postgres_app_password"]):
        assert secret not in run.stdout + run.stderr
    assert get(app_host, "/")[1]["x-app-version"] == "v2"


# Wall time of a deploy that changes nothing, on this host under the load of the moment: the yardstick for how
# promptly a broken version must be given up (the suite runs scenarios side by side, so absolute times vary).
NOOP_DEPLOY = {}


def test_deploying_the_same_version_again_changes_nothing(app_host):
    before = live_container(app_host)
    started = time.monotonic()
    run = deploy("shipshape-app:v2")
    NOOP_DEPLOY["seconds"] = time.monotonic() - started
    assert run.returncode == 0, run.stdout[-3000:]
    assert "app-host                   : ok=" in run.stdout and "changed=0" in run.stdout.split("PLAY RECAP")[-1]
    assert live_container(app_host) == before


def test_a_broken_version_is_rolled_back_while_v2_keeps_serving(app_host):
    before = live_container(app_host)
    load = Load(seconds=30)
    time.sleep(2)
    started = time.monotonic()
    run = deploy("shipshape-app:broken")
    took = time.monotonic() - started
    result = load.result()
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert "shipshape-app:broken did not become healthy" in output
    assert "cannot reach the payment service" in output, "the failure names the new version's last log lines"
    # Given up once its health checks time out, not later: no longer than a no-op deploy, the health timeout, the
    # grace period of the container it removes, and a margin (60 s: the suite's load changes between the yardstick
    # and this deploy; a deploy that waited for something else would take minutes).
    budget = NOOP_DEPLOY.get("seconds", 60) + VARS["app_health_timeout"] + VARS["app_stop_grace"] + 60
    assert took < budget, f"the broken deploy took {took:.0f} s, more than {budget:.0f} s"
    assert result["failed"] == 0 and result["server_errors"] == 0, result
    assert set(result["versions"]) == {"v2"}
    assert live_container(app_host) == before
    names = app_host.run("docker ps -a --format '{{.Names}}'").stdout.split()
    assert names == [before[0]], names


def test_sigterm_lets_an_in_flight_request_finish(app_host):
    probe = "sigterm-probe"
    app_host.run(f"docker rm -f {probe}")
    started = app_host.run(
        f"docker run -d --name {probe} --network host -e PORT=8099 -e SHUTDOWN_GRACE=20 shipshape-app:v2"
    )
    assert started.rc == 0, started.stderr
    for _ in range(40):
        if app_host.run("curl -s http://127.0.0.1:8099/health").rc == 0:
            break
        time.sleep(0.25)
    slow = "curl -s -o /root/slow.body -w %{http_code} http://127.0.0.1:8099/slow?seconds=4"
    app_host.run(f"sh -c '{slow} > /root/slow.status 2>&1 &'")
    time.sleep(1)
    stopped = app_host.run(f"docker stop -t 30 {probe}")
    assert stopped.rc == 0
    time.sleep(0.5)
    assert app_host.file("/root/slow.status").content_string == "200"
    assert json.loads(app_host.file("/root/slow.body").content_string)["slept"] == 4.0
    info = inspect(app_host, probe)
    assert info["State"]["ExitCode"] == 0
    logs = app_host.run(f"docker logs {probe}").stdout
    assert "stopped: pools closed" in logs
    app_host.run(f"docker rm -f {probe}")


def test_killed_container_is_back_and_healthy_within_30_seconds(app_host):
    name, _ = live_container(app_host)
    # From outside Docker, as the kernel's OOM killer or a crash would (docker kill counts as a manual stop).
    pid = inspect(app_host, name)["State"]["Pid"]
    assert app_host.run(f"kill -KILL {pid}").rc == 0
    killed = time.monotonic()
    while time.monotonic() - killed < 30:
        if get(app_host, "/health/db")[0] == "200":
            break
        time.sleep(0.5)
    assert get(app_host, "/health/db")[0] == "200"
    assert time.monotonic() - killed < 30
    assert inspect(app_host, name)["RestartCount"] >= 1


def test_example_compose_file_is_valid(app_host):
    out = app_host.run("docker-compose -f /srv/example-app/docker-compose.yml config -q")
    assert out.rc == 0, out.stderr


def test_image_is_multi_stage_slim_and_non_root(app_host):
    info = json.loads(app_host.run("docker image inspect shipshape-app:v1").stdout)[0]
    assert info["Config"]["User"] == "10001:10001"
    assert info["Config"]["Healthcheck"]["Test"][0] == "CMD"
    assert info["Config"]["Cmd"] == ["python3", "/app/app.pyc"], "only the compiled app ships, not the source"
