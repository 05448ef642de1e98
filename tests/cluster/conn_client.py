#!/usr/bin/python3
"""Persistent HTTP/1.1 connections for the cluster tests.

conn_client.py ADDR PORT N: opens N keep-alive connections to ADDR:PORT,
then for every line "round" on stdin sends one GET on each connection and
prints one JSON line: {"backends": [name or null per connection],
"errors": [text or null per connection]}. A connection that failed (reset,
timeout, closed) stays failed. "quit" or EOF ends it.
"""
import json
import socket
import sys


def get(sock):
    sock.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed by peer")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    length = 0
    name = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
        if k.strip().lower() == b"x-backend":
            name = v.strip().decode()
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    return name


def main():
    addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    socks, errors = [], []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(2.0)
        try:
            s.connect((addr, port))
            errors.append(None)
        except OSError as e:
            errors.append("connect: %s" % e)
        socks.append(s)
    print(json.dumps({"opened": n - sum(e is not None for e in errors)}), flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        names = []
        for i, s in enumerate(socks):
            if errors[i]:
                names.append(None)
                continue
            try:
                names.append(get(s))
            except (OSError, ValueError) as e:
                errors[i] = "%s: %s" % (type(e).__name__, e)
                names.append(None)
        print(json.dumps({"backends": names, "errors": errors}), flush=True)


main()
