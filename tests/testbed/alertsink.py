"""Reading the test bed's alert sink (tests/testbed/alert_sink.py) from the tests: what Alertmanager posted."""

from __future__ import annotations

import json
import time

SINK = "/var/lib/alert-sink/posts.jsonl"


def posts(host) -> list[dict]:
    """Everything Alertmanager has posted to the sink on this testinfra host so far."""
    text = host.run(f"cat {SINK} 2>/dev/null").stdout
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def alert_events(host, name: str, since: int = 0) -> list[tuple[str, dict]]:
    """(status, labels) of every alert called name in the posts after the first `since` posts."""
    return [
        (alert["status"], alert["labels"])
        for post in posts(host)[since:]
        if post["path"] == "/alerts"
        for alert in post["payload"].get("alerts", [])
        if alert["labels"].get("alertname") == name
    ]


def wait_for(check, timeout: float, step: float = 1.0):
    """Poll check() until it returns something truthy; that value, or the last falsy one after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def fires_and_resolves(sink, alert: str, fault_and_fix, *, labels: dict | None = None, timeout: float = 60) -> float:
    """Cause a fault (the pair's first callable); the alert must reach the sink firing within timeout seconds, then
    resolved within timeout seconds of the fix (the second, which always runs). Returns the seconds it took to fire."""
    fault, fix = fault_and_fix
    mark = len(posts(sink))
    began = time.monotonic()
    fault()
    try:
        fired = wait_for(lambda: [e for e in alert_events(sink, alert, mark) if e[0] == "firing"], timeout)
        assert fired, f"{alert} did not reach the sink within {timeout} s"
        took = time.monotonic() - began
        assert all(fired[0][1].get(k) == v for k, v in (labels or {}).items()), fired
    finally:
        fix()
    resolved = wait_for(lambda: [e for e in alert_events(sink, alert, mark) if e[0] == "resolved"], timeout)
    assert resolved, f"{alert} did not resolve within {timeout} s of the fix"
    print(f"{alert}: firing after {took:.1f} s")
    return took
