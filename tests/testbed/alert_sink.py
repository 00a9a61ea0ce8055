"""A webhook sink for the monitoring tests: every POST body becomes one JSON line, with its path.

Usage: alert-sink ADDRESS PORT FILE (test hosts only; Alertmanager posts here on loopback).
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    address, port, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {"raw": body.decode(errors="replace")}
            with out.open("a") as f:
                f.write(json.dumps({"path": self.path, "payload": payload}) + "\n")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    ThreadingHTTPServer((address, port), Sink).serve_forever()


if __name__ == "__main__":
    main()
