#!/usr/bin/python3
"""A NOTIFY_SOCKET listener standing in for systemd (PID 1 here is not).

  xlbd_notify_listener.py SOCKET_PATH OUT_FILE
Binds a unix datagram socket and appends every message it receives to
OUT_FILE, one line per message with its time ("1700000000.123 READY=1").
Runs until killed.
"""
import os
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("started pid", flush=True)
with open(out, "a") as f:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        f.write("%.3f %s\n" % (time.time(), msg.replace("\n", " | ")))
        f.flush()
