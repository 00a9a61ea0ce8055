#!/usr/bin/env python3
"""A bounded load loop for the test bed: RATE requests/s for SECONDS against one URL, then a JSON summary.

Runs on a test host (stdlib only). Workers keep their connection alive the way a client pool does (urllib3,
browsers): before reusing a connection they check the server has not closed it (an nginx reload closes idle
keep-alive connections), and a GET sent on a reused connection that the server closed before answering is sent
once more on a new one (counted as "retried"). Every request is counted: 2xx, 5xx, other statuses, and failures
(no response even so).
The summary also says which app versions answered (X-App-Version), when each was first and last seen (epoch
seconds), and latency percentiles.
  load.py https://app.example.test/ --rate 60 --seconds 30 --cafile cert.pem --connect 127.0.0.1
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import select
import socket
import ssl
import threading
import time
import urllib.parse


def connect(args, url, context):
    port = url.port or (443 if url.scheme == "https" else 80)
    if not context:
        return http.client.HTTPConnection(args.connect or url.hostname, port, timeout=10)
    conn = http.client.HTTPSConnection(args.connect or url.hostname, port, timeout=10, context=context)
    if args.connect:  # connect to one address, verify the name from the URL (SNI)
        raw = socket.create_connection((args.connect, port), timeout=10)
        conn.sock = context.wrap_socket(raw, server_hostname=url.hostname)
    return conn


def closed_by_server(conn) -> bool:
    """True when an idle kept-alive connection has been closed by the server (readable means EOF here)."""
    if conn.sock is None:
        return True
    readable, _, _ = select.select([conn.sock], [], [], 0)
    return bool(readable)


def get(conn, url):
    conn.request("GET", url.path or "/", headers={"Host": url.hostname})
    response = conn.getresponse()
    response.read()
    return response


def worker(args, url, offset, results, lock):
    interval = args.workers / args.rate
    deadline = args.start + args.seconds
    context = ssl.create_default_context(cafile=args.cafile) if url.scheme == "https" else None
    conn = None
    n = 0
    while True:
        due = args.start + offset + n * interval
        if due >= deadline or (args.stop_file and os.path.exists(args.stop_file)):
            break
        time.sleep(max(0.0, due - time.time()))
        n += 1
        started, retried = time.time(), False
        try:
            if conn is not None and closed_by_server(conn):
                conn.close()
                conn = None
            reused = conn is not None
            conn = conn or connect(args, url, context)
            try:
                response = get(conn, url)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not reused:
                    raise
                conn.close()
                conn, retried = connect(args, url, context), True
                response = get(conn, url)
            record = (started, response.status, response.getheader("X-App-Version", ""), time.time() - started, retried)
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            record = (started, f"failed: {exc.__class__.__name__}", "", time.time() - started, retried)
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            results.append(record)


def summarize(results, args):
    results.sort()
    seconds = round(min(args.seconds, time.time() - args.start), 1)
    latencies = sorted(r[3] for r in results)
    statuses = [r[1] for r in results]
    versions = {}
    for started, _status, version, _, _ in results:
        if version:
            first, last, count = versions.get(version, (started, started, 0))
            versions[version] = (min(first, started), max(last, started), count + 1)

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 2) if latencies else None

    return {
        "requests": len(results),
        "seconds": seconds,
        "rate": round(len(results) / max(seconds, 0.1), 1),
        "ok": sum(1 for s in statuses if isinstance(s, int) and 200 <= s < 300),
        "server_errors": sum(1 for s in statuses if isinstance(s, int) and s >= 500),
        "other": sum(1 for s in statuses if isinstance(s, int) and not 200 <= s < 300 and s < 500),
        "failed": sum(1 for s in statuses if isinstance(s, str)),
        "failures": sorted({s for s in statuses if isinstance(s, str)}),
        "retried": sum(1 for r in results if r[4]),
        "versions": {v: {"first": f, "last": la, "count": c} for v, (f, la, c) in versions.items()},
        "last_version": results[-1][2] if results else "",
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=60.0, help="requests per second in all")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--cafile", default=None, help="trust only this certificate (HTTPS)")
    parser.add_argument("--connect", default="", help="connect to this address instead of resolving the URL's host")
    parser.add_argument("--stop-file", default="", help="stop early once this file exists (the end of a deploy)")
    parser.add_argument("--raw", default="", help="also write every request (start, status, version, seconds) here")
    args = parser.parse_args()
    args.start = time.time() + 0.2
    url = urllib.parse.urlsplit(args.url)
    results, lock = [], threading.Lock()
    spacing = args.workers / args.rate / args.workers
    threads = [
        threading.Thread(target=worker, args=(args, url, i * spacing, results, lock), daemon=True)
        for i in range(args.workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if args.raw:
        with open(args.raw, "w", encoding="utf-8") as raw:
            json.dump([r[:4] for r in sorted(results)], raw)
    print(json.dumps(summarize(results, args)))


if __name__ == "__main__":
    main()
