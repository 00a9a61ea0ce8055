"""The reference app's own tests: its routes, headers, metrics and logs, without PostgreSQL or Redis.

Standard library and aiohttp's test client only, so they run in the image's build stage with Debian's packages:
    python3 -m coverage run --branch --source=app -m unittest discover -s tests -t .
"""

from __future__ import annotations

import io
import json
import logging
import os
import unittest
from unittest import mock

from aiohttp.test_utils import TestClient, TestServer

import app


class AppTestCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "ADMIN_TOKEN")}
        self.env = mock.patch.dict(os.environ, {**env, "ADMIN_TOKEN": "t" * 40}, clear=True)
        self.env.start()
        self.logs = io.StringIO()
        self.handler = logging.StreamHandler(self.logs)
        self.handler.setFormatter(app.JsonLines())
        app.log.addHandler(self.handler)
        app.log.setLevel(logging.INFO)
        self.client = TestClient(TestServer(app.make_app()))
        await self.client.start_server()

    async def asyncTearDown(self) -> None:
        await self.client.close()
        app.log.removeHandler(self.handler)
        self.env.stop()

    def log_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.logs.getvalue().splitlines()]


class Routes(AppTestCase):
    async def test_index_names_the_version_in_body_and_header(self):
        response = await self.client.get("/")
        self.assertEqual(response.status, 200)
        self.assertEqual((await response.json())["version"], app.VERSION)
        self.assertEqual(response.headers["X-App-Version"], app.VERSION)

    async def test_health_is_ok_without_the_backing_services(self):
        response = await self.client.get("/health")
        self.assertEqual(response.status, 200)
        self.assertEqual((await response.json())["status"], "ok")

    async def test_database_and_redis_health_say_not_configured_with_503(self):
        for path, key in (("/health/db", "database"), ("/health/redis", "redis")):
            response = await self.client.get(path)
            self.assertEqual(response.status, 503, path)
            self.assertEqual((await response.json())[key], "not configured", path)

    async def test_detailed_health_needs_the_admin_token(self):
        self.assertEqual((await self.client.get("/health/detailed")).status, 401)
        wrong = await self.client.get("/health/detailed", headers={"X-Admin-Token": "x" * 40})
        self.assertEqual(wrong.status, 401)
        right = await self.client.get("/health/detailed", headers={"X-Admin-Token": "t" * 40})
        body = await right.json()
        self.assertEqual(right.status, 503)
        self.assertEqual((body["database"], body["redis"]), ("not configured", "not configured"))

    async def test_no_admin_token_configured_refuses_everyone(self):
        with mock.patch.dict(os.environ, {"ADMIN_TOKEN": ""}):
            response = await self.client.get("/health/detailed", headers={"X-Admin-Token": ""})
        self.assertEqual(response.status, 401)

    async def test_unknown_path_is_404_with_the_version_header(self):
        response = await self.client.get("/nowhere")
        self.assertEqual(response.status, 404)
        self.assertEqual(response.headers["X-App-Version"], app.VERSION)

    async def test_slow_sleeps_as_asked_and_caps_nothing_below_a_minute(self):
        response = await self.client.get("/slow", params={"seconds": "0.01"})
        self.assertEqual((await response.json())["slept"], 0.01)

    async def test_websocket_echoes_text(self):
        sock = await self.client.ws_connect("/ws")
        await sock.send_str("ping")
        self.assertEqual(await sock.receive_str(), "ping")
        await sock.close()


class Pool:
    """Stands in for asyncpg's pool and Redis's client: answers, or fails as an unreachable server does."""

    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.closed = False

    async def fetchval(self, query: str) -> int:
        if self.fails:
            raise OSError("connection refused")
        return 1

    async def ping(self) -> bool:
        return await self.fetchval("PING") == 1

    async def close(self) -> None:
        self.closed = True


class BackingServices(AppTestCase):
    def use(self, db: Pool, cache: Pool) -> None:
        self.client.server.app["db"], self.client.server.app["redis"] = db, cache

    async def test_healthy_services_give_200_everywhere(self):
        self.use(Pool(False), Pool(False))
        for path in ("/health/db", "/health/redis"):
            self.assertEqual((await self.client.get(path)).status, 200, path)
        detailed = await self.client.get("/health/detailed", headers={"X-Admin-Token": "t" * 40})
        self.assertEqual(detailed.status, 200)
        self.assertEqual((await detailed.json())["database"], "ok")

    async def test_an_unreachable_service_gives_503_naming_the_error(self):
        self.use(Pool(True), Pool(True))
        response = await self.client.get("/health/db")
        self.assertEqual((response.status, (await response.json())["database"]), (503, "error: OSError"))
        response = await self.client.get("/health/redis")
        self.assertEqual((response.status, (await response.json())["redis"]), (503, "error: OSError"))

    async def test_shutdown_closes_both_pools(self):
        db, cache = Pool(False), Pool(False)
        self.use(db, cache)
        await self.client.close()
        self.assertTrue(db.closed and cache.closed)


class Observability(AppTestCase):
    async def test_metrics_count_requests_by_route_and_status(self):
        await self.client.get("/health")
        await self.client.get("/nowhere")
        text = await (await self.client.get("/metrics")).text()
        self.assertRegex(text, r'app_requests_total\{route="/health",status="200"\} [1-9]')
        self.assertRegex(text, r'app_requests_total\{route="unmatched",status="404"\} [1-9]')
        self.assertIn("app_request_duration_seconds_bucket", text)

    async def test_each_request_is_one_json_line_with_the_request_id_it_received(self):
        await self.client.get("/health", headers={"X-Request-ID": "req-42.abc"})
        lines = [line for line in self.log_lines() if line["message"] == "request"]
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(lines[0]["request_id"], "req-42.abc")
        self.assertEqual((lines[0]["path"], lines[0]["status"]), ("/health", 200))
        self.assertEqual(lines[0]["version"], app.VERSION)

    async def test_startup_and_shutdown_are_logged(self):
        await self.client.close()
        messages = [line["message"] for line in self.log_lines()]
        self.assertIn("started", messages)
        self.assertIn("stopped: pools closed", messages)


if __name__ == "__main__":
    unittest.main()
