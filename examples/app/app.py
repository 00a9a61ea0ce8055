#!/usr/bin/env python3
"""shipshape reference app: the web app the collection's tests deploy.

Endpoints: / (JSON with the version), /health (the process), /health/db (PostgreSQL through PgBouncer),
/health/redis, /health/detailed (needs the X-Admin-Token header), /metrics (Prometheus), /ws (WebSocket echo),
/slow?seconds=N (a long request, for graceful-shutdown checks). Every response carries X-App-Version.

On SIGTERM it stops accepting connections, lets in-flight requests finish (up to SHUTDOWN_GRACE seconds), closes its
PostgreSQL and Redis pools and exits 0. Logs are JSON lines on stdout.
Settings come from the environment (.env.production on a server): HOST, PORT, APP_VERSION, DATABASE_URL,
REDIS_URL, ADMIN_TOKEN, SHUTDOWN_GRACE.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import sys
import time

import asyncpg
import redis.asyncio as aioredis
from aiohttp import WSMsgType, web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

VERSION = os.environ.get("APP_VERSION", "dev")
STARTED = time.time()
REQUESTS = Counter("app_requests_total", "HTTP requests", ["route", "status"])
LATENCY = Histogram("app_request_duration_seconds", "HTTP request duration", ["route"])
log = logging.getLogger("app")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
            "version": VERSION,
        }
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry)


@web.middleware
async def observe(request: web.Request, handler):
    started = time.monotonic()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if not response.prepared:
            response.headers["X-App-Version"] = VERSION
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers["X-App-Version"] = VERSION
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource else "unmatched"
        took = time.monotonic() - started
        REQUESTS.labels(route, str(status)).inc()
        LATENCY.labels(route).observe(took)
        fields = {"method": request.method, "path": request.path, "status": status, "ms": round(took * 1000, 1)}
        fields["request_id"] = request.headers.get("X-Request-ID", "")
        log.info("request", extra={"fields": fields})


async def index(request: web.Request) -> web.Response:
    return web.json_response({"app": "shipshape-reference", "version": VERSION})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": VERSION})


async def check_db(app: web.Application) -> str:
    if app["db"] is None:
        return "not configured"
    try:
        await asyncio.wait_for(app["db"].fetchval("SELECT 1"), timeout=2)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


async def check_redis(app: web.Application) -> str:
    if app["redis"] is None:
        return "not configured"
    try:
        await asyncio.wait_for(app["redis"].ping(), timeout=2)
    except (TimeoutError, OSError, aioredis.RedisError) as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


async def health_db(request: web.Request) -> web.Response:
    state = await check_db(request.app)
    return web.json_response({"database": state}, status=200 if state == "ok" else 503)


async def health_redis(request: web.Request) -> web.Response:
    state = await check_redis(request.app)
    return web.json_response({"redis": state}, status=200 if state == "ok" else 503)


async def health_detailed(request: web.Request) -> web.Response:
    token = os.environ.get("ADMIN_TOKEN", "")
    given = request.headers.get("X-Admin-Token", "")
    if not token or not hmac.compare_digest(token.encode(), given.encode()):
        return web.json_response({"error": "admin token required"}, status=401)
    db, cache = await check_db(request.app), await check_redis(request.app)
    body = {"version": VERSION, "uptime_seconds": round(time.time() - STARTED), "database": db, "redis": cache}
    return web.json_response(body, status=200 if db == cache == "ok" else 503)


async def metrics(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


async def slow(request: web.Request) -> web.Response:
    seconds = min(float(request.query.get("seconds", "5")), 60.0)
    await asyncio.sleep(seconds)
    return web.json_response({"slept": seconds, "version": VERSION})


async def websocket(request: web.Request) -> web.WebSocketResponse:
    sock = web.WebSocketResponse(heartbeat=30)
    await sock.prepare(request)
    async for message in sock:
        if message.type == WSMsgType.TEXT:
            await sock.send_str(message.data)
    return sock


async def open_pools(app: web.Application) -> None:
    url = os.environ.get("DATABASE_URL", "")
    # PgBouncer in transaction mode: no prepared-statement cache across transactions.
    app["db"] = await asyncpg.create_pool(url, min_size=1, max_size=5, statement_cache_size=0) if url else None
    app["redis"] = aioredis.from_url(os.environ["REDIS_URL"]) if os.environ.get("REDIS_URL") else None
    log.info("started", extra={"fields": {"port": int(os.environ.get("PORT", "8000"))}})


async def announce_shutdown(app: web.Application) -> None:
    log.info("SIGTERM: no new connections; finishing in-flight requests")


async def close_pools(app: web.Application) -> None:
    if app["db"] is not None:
        await app["db"].close()
    if app["redis"] is not None:
        await app["redis"].close()
    log.info("stopped: pools closed")


def make_app() -> web.Application:
    app = web.Application(middlewares=[observe])
    app.add_routes(
        [
            web.get("/", index),
            web.get("/health", health),
            web.get("/health/db", health_db),
            web.get("/health/redis", health_redis),
            web.get("/health/detailed", health_detailed),
            web.get("/metrics", metrics),
            web.get("/slow", slow),
            web.get("/ws", websocket),
        ]
    )
    app.on_startup.append(open_pools)
    app.on_shutdown.append(announce_shutdown)
    app.on_cleanup.append(close_pools)
    return app


def main() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    web.run_app(
        make_app(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        shutdown_timeout=float(os.environ.get("SHUTDOWN_GRACE", "25")),
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
