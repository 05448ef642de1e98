#!/usr/bin/python3
"""A Prometheus server's /api/v1/query for xlbd's test, standing in for one.

  xlbd_fake_prometheus.py PORT INSTANCE=VALUE...
Answers every instant query with a vector of one sample per INSTANCE (its
"instance" label) and VALUE; counts queries in /count. Runs until killed.
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

port = int(sys.argv[1])
series = [a.split("=", 1) for a in sys.argv[2:]]
queries = []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        u = urlparse(self.path)
        if u.path == "/api/v1/query":
            queries.append(parse_qs(u.query).get("query", [""])[0])
            body = {"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"instance": i, "job": "node"}, "value": [time.time(), v]}
                for i, v in series]}}
        elif u.path == "/count":
            body = {"queries": len(queries), "last": queries[-1] if queries else None}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("started pid", flush=True)
srv.serve_forever()
