#!/usr/bin/env python3
"""The demo site's backend: a tiny HTTP service sshwebd forwards api-calls to (docs/sshweb.md).

    backend.py PORT      listens on 127.0.0.1:PORT until stopped

GET  /api/hello       who the visitor is, from the identity headers sshwebd adds
GET  /api/guestbook   the guestbook, newest first
POST /api/guestbook   {"name": …, "message": …} (JSON) signs it; kept in memory only
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_ENTRIES = 100
entries = []


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def visitor(self):
        tier = self.headers.get("X-SSHWeb-Tier", "unknown")
        fingerprint = self.headers.get("X-SSHWeb-Fingerprint", "")
        return tier, fingerprint

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/api/hello":
            tier, fingerprint = self.visitor()
            who = f"key {fingerprint}" if fingerprint else "no key"
            self.reply(200, f"Hello, {tier} visitor ({who}). This answer came from the site's HTTP backend.")
        elif path == "/api/guestbook":
            if not entries:
                self.reply(200, "The guestbook is empty.")
            else:
                self.reply(200, "\n".join(f"{e['name']} ({e['tier']}): {e['message']}" for e in reversed(entries)))
        else:
            self.reply(404, f"no such endpoint: {path}")

    def do_POST(self):
        if self.path.split("?")[0] != "/api/guestbook":
            self.reply(404, f"no such endpoint: {self.path}")
            return
        length = int(self.headers.get("Content-Length", "0") or 0)
        try:
            fields = json.loads(self.rfile.read(length) or b"{}")
            name = str(fields["name"]).strip()[:80]
            message = str(fields["message"]).strip()[:500]
        except (ValueError, KeyError, TypeError) as e:
            self.reply(400, f"expected JSON with name and message ({e})")
            return
        if not name or not message:
            self.reply(400, "name and message must not be empty")
            return
        tier, _ = self.visitor()
        entries.append({"name": name, "message": message, "tier": tier})
        del entries[:-MAX_ENTRIES]
        self.reply(200, f"Thanks, {name}! Signed as {tier}: \"{message}\" ({len(entries)} in the guestbook).")

    def log_message(self, fmt, *args):
        sys.stderr.write("demo backend: " + (fmt % args) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: backend.py PORT")
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print(f"demo backend: listening on 127.0.0.1:{sys.argv[1]}", file=sys.stderr, flush=True)
    server.serve_forever()
