#!/usr/bin/python3
"""The edge scenario's upstream: a page, health endpoints, a header echo and a WebSocket echo (aiohttp)."""

from aiohttp import WSMsgType, web

PAGE = "<!doctype html><title>shipshape</title>" + "<p>shipshape edge test page</p>\n" * 80


async def index(request):
    return web.Response(text=PAGE, content_type="text/html")


async def health(request):
    return web.json_response({"status": "ok"})


async def detailed(request):
    return web.json_response({"status": "ok", "detail": "for admins"})


async def login(request):
    return web.Response(text="login form")


async def echo_headers(request):
    return web.json_response(dict(request.headers))


async def websocket(request):
    sock = web.WebSocketResponse()
    await sock.prepare(request)
    async for message in sock:
        if message.type == WSMsgType.TEXT:
            await sock.send_str(message.data)
    return sock


app = web.Application()
app.add_routes(
    [
        web.get("/", index),
        web.get("/health", health),
        web.get("/health/detailed", detailed),
        web.get("/login", login),
        web.get("/echo-headers", echo_headers),
        web.get("/ws", websocket),
    ]
)
web.run_app(app, host="127.0.0.1", port=8080, access_log=None, print=None)
