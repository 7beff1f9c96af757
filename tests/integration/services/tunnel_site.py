#!/usr/bin/env python3
"""The web service a tunnel test shares: Python's own HTTP server (http.server), so the tunnel carries
requests to a real HTTP/1.1 implementation, not to one written for the test.

  tunnel_site.py PORT_FILE    listens on 127.0.0.1 (a free port, written to PORT_FILE once listening)

  GET  /hello       text, with headers the relay must drop (Set-Cookie, X-Frame-Options) and one it keeps
  GET  /headers     the request as JSON: method, path, headers (names lower-cased)
  POST /echo        the body back (application/octet-stream) and its SHA-256 in X-Body-Sha256
  GET  /bytes?n=N   N bytes of (i % 251)
  GET  /slow?s=N    answers after N seconds
  GET  /ws          a WebSocket (RFC 6455, written here with the standard library) echoing each message
"""
import base64
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
        elif url.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self.websocket_echo()
        elif url.path == "/slow":
            time.sleep(float(query.get("s", ["1"])[0]))
            self.send(200, b"late\n", "text/plain")
        else:
            self.send(404, b"no such page\n", "text/plain")

    def websocket_echo(self):
        self.close_connection = True  # the connection is the WebSocket's, never another request's
        key = self.headers["Sec-WebSocket-Key"].encode()
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        message, message_opcode = b"", 0
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            fin, opcode, length = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = int.from_bytes(self.rfile.read(2), "big")
            elif length == 127:
                length = int.from_bytes(self.rfile.read(8), "big")
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            if opcode == 0x8:  # close: answered with the same code, then the connection ends
                self.wfile.write(bytes([0x88, len(payload)]) + payload)
                self.wfile.flush()
                return
            if opcode in (0x0, 0x1, 0x2):  # a message may come in fragments (opcode 0 continues it)
                message_opcode = opcode or message_opcode
                message += payload
                if not fin:
                    continue
                size = bytes([len(message)]) if len(message) < 126 else bytes([126]) + len(message).to_bytes(2, "big")
                self.wfile.write(bytes([0x80 | message_opcode]) + size + message)
                self.wfile.flush()
                message = b""

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
