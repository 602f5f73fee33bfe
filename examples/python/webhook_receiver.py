"""A webhook receiver (stdlib http.server) that accepts only deliveries
signed by CertWatch with your subscriber's signing secret.

    CERTWATCH_WEBHOOK_SECRET=whsec_... python examples/python/webhook_receiver.py --port 9000

Each verified event is printed as one JSON line; anything unsigned, tampered
or replayed (older than five minutes) gets 401.
"""

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import certwatch

MAX_BODY = 1 << 20


def make_server(secret: str, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server on host:port (0: any free port) verifying with `secret`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._reply(413, {"error": "body too large"})
            body = self.rfile.read(length)
            try:
                certwatch.verify_webhook(secret, self.headers, body)
            except certwatch.SignatureError as e:
                return self._reply(401, {"error": str(e)})
            event = json.loads(body)
            print(json.dumps({"verified": True, "webhook_id": self.headers["webhook-id"], "event": event}), flush=True)
            self._reply(200, {"ok": True})

        def _reply(self, status, doc):
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # keep stdout for events
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    secret = os.environ.get("CERTWATCH_WEBHOOK_SECRET")
    if not secret:
        print("set CERTWATCH_WEBHOOK_SECRET to the subscriber's signing secret (whsec_...)", file=sys.stderr)
        return 2
    server = make_server(secret, args.port, args.host)
    print(f"listening on http://{args.host}:{server.server_address[1]}/", file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
