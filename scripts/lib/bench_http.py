"""The HTTP part of scripts/bench: wrk runs and an exact count of pipelined POSTs."""
import os
import re
import socket
import subprocess

from harness import ROOT, cpu_seconds


def wrk(url, connections, seconds, method="GET", headers=(), pid=None):
    """Runs wrk -t1; returns (requests/s, p50 ms, p99 ms, non-2xx, CPU µs per request of
    process `pid`, or None)."""
    script = os.path.join(ROOT, "scripts", "lib", "post.lua") if method == "POST" else None
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for header in headers:
        command[1:1] = ["-H", header]
    if script:
        command[1:1] = ["-s", script]
    cpu_before = cpu_seconds(pid) if pid else None
    out = subprocess.run(command, capture_output=True, text=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    cpu_per_request = (cpu_seconds(pid) - cpu_before) * 1e6 / max(requests, 1) if pid else None
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = latency(re.search(r"50%\s+([\d.]+)(us|ms|s)", out))
    p99 = latency(re.search(r"99%\s+([\d.]+)(us|ms|s)", out))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p50, p99, int(errors.group(1)) if errors else 0, cpu_per_request


def latency(match):
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def exact_posts(port, connections, per_connection):
    """Sends a bounded number of POST /receive on keep-alive connections, pipelined, and
    returns how many 2xx answers came back."""
    request = b"POST /receive HTTP/1.1\r\nHost: bench\r\nContent-Length: 0\r\n\r\n"
    sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
    for s in sockets:
        s.sendall(request * per_connection)
    ok = 0
    for s in sockets:
        buffer = b""
        answers = 0
        while answers < per_connection:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            buffer += chunk
            while True:
                head_end = buffer.find(b"\r\n\r\n")
                if head_end < 0:
                    break
                head = buffer[:head_end]
                length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
                if len(buffer) < head_end + 4 + length:
                    break
                if head.startswith(b"HTTP/1.1 2"):
                    ok += 1
                answers += 1
                buffer = buffer[head_end + 4 + length:]
        s.close()
    return ok
