#!/usr/bin/env python3
"""Slow and stuck HTTP clients for the service's limits tests.
  slow_client.py PORT trickle SECONDS   request headers sent a few bytes at a time over SECONDS
  slow_client.py PORT stall             half the headers, then nothing
  slow_client.py PORT stallbody         headers announcing 100 bytes, 10 sent, then nothing
  slow_client.py PORT hold N [BIND]     N idle connections held open (from BIND), until killed
Prints what the server answered (its status line), or "closed" when it closed
the connection without an answer, and the seconds it took."""
import socket
import sys
import time

port, mode = int(sys.argv[1]), sys.argv[2]


def conn(bind="127.0.0.1"):
    s = socket.socket()
    s.bind((bind, 0))
    s.connect(("127.0.0.1", port))
    return s


def answer(s, t0):
    s.settimeout(30)
    try:
        data = s.recv(4096)
    except (ConnectionResetError, socket.timeout):
        data = b""
    line = data.split(b"\r\n")[0].decode() if data else "closed"
    print("%s %.1f" % (line, time.time() - t0))


req = b"GET /v1/stats HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 60 + b"\r\n\r\n"
t0 = time.time()
if mode == "trickle":
    s = conn()
    secs = float(sys.argv[3])
    step = secs / len(req)
    try:
        for i in range(len(req)):
            s.sendall(req[i:i + 1])
            time.sleep(step)
    except (BrokenPipeError, ConnectionResetError):
        pass
    answer(s, t0)
elif mode == "stall":
    s = conn()
    s.sendall(req[:20])
    answer(s, t0)
elif mode == "stallbody":
    s = conn()
    s.sendall(b"POST /v1/records HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
              b"Content-Type: application/x-ndjson\r\n\r\n{\"id\":\"x:")
    answer(s, t0)
elif mode == "hold":
    socks = [conn(sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1") for _ in range(int(sys.argv[3]))]
    print("holding", flush=True)
    time.sleep(120)
