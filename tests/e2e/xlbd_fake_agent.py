#!/usr/bin/python3
"""A misbehaving metrics endpoint for xlbd's bad-input test.

  xlbd_fake_agent.py MODE PORT
    garbage  HTTP 200 with a body that is not Prometheus text
    huge     HTTP 200 with a 10 MB body (valid lines, far too many bytes)
    hang     accepts connections and never answers
Runs until killed (the test stops it by PID).
"""
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

mode, port = sys.argv[1], int(sys.argv[2])

if mode == "hang":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(128)
    print("started pid", flush=True)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # never read, never answered, never closed
        if len(held) > 1000:
            held.pop(0).close()

BODY = {
    "garbage": b"\x00\x01 this is {not prometheus text\n}}}\n" * 50,
    "huge": b"xlb_fake_metric{i=\"0123456789\"} 1\n" * (10 * 1024 * 1024 // 34),
}[mode]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        try:
            self.wfile.write(BODY)
        except OSError:
            pass

    def log_message(self, *args):
        pass


srv = ThreadingHTTPServer(("0.0.0.0", port), Handler)
print("started pid", flush=True)
srv.serve_forever()
