#!/usr/bin/env python3
"""The web service a tunnel test shares: Python's own HTTP server (http.server), so the tunnel carries
requests to a real HTTP/1.1 implementation, not to one written for the test.

  tunnel_site.py PORT_FILE    listens on 127.0.0.1 (a free port, written to PORT_FILE once listening)

  GET  /hello       text, with headers the relay must drop (Set-Cookie, X-Frame-Options) and one it keeps
  GET  /headers     the request as JSON: method, path, headers (names lower-cased)
  POST /echo        the body back (application/octet-stream) and its SHA-256 in X-Body-Sha256
  GET  /bytes?n=N   N bytes of (i % 251)
  GET  /slow?s=N    answers after N seconds
"""
import hashlib
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("tunnel_site: " + (fmt % args) + "\n")

    def send(self, status, body, content_type, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/hello":
            self.send(200, b"hello through the tunnel\n", "text/plain; charset=utf-8",
                      [("Set-Cookie", "session=stolen"), ("X-Frame-Options", "DENY"), ("X-Site", "kept")])
        elif url.path == "/headers":
            seen = {name.lower(): value for name, value in self.headers.items()}
            body = json.dumps({"method": self.command, "path": self.path, "headers": seen}).encode()
            self.send(200, body, "application/json")
        elif url.path == "/bytes":
            n = int(query.get("n", ["0"])[0])
            pattern = bytes(i % 251 for i in range(251))
            body = (pattern * (n // 251 + 1))[:n]
            self.send(200, body, "application/octet-stream")
        elif url.path == "/slow":
            time.sleep(float(query.get("s", ["1"])[0]))
            self.send(200, b"late\n", "text/plain")
        else:
            self.send(404, b"no such page\n", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if urlsplit(self.path).path != "/echo":
            return self.send(404, b"no such page\n", "text/plain")
        self.send(200, body, "application/octet-stream", [("X-Body-Sha256", hashlib.sha256(body).hexdigest())])


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
