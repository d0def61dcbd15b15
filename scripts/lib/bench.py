#!/usr/bin/env python3
"""The measurements of scripts/bench.

Every figure is taken several times, interleaved with the nginx reference measured in the same
run, so machine noise shows in the min–max and cancels in the ratios. The table goes to
standard output and to BENCHMARKS.md.
"""
import argparse
import datetime
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid

import pika

from harness import free_port, wait_for_port

# The consumer's default prefetch, and a larger one for a backlog.
PREFETCHES = (100, 1000)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def delete_queues(url, names, exchanges=()):
    """Drops a run's queues (and exchanges), so that every run meets a broker in the same
    state."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for name in names:
        channel.queue_delete(name)
    for name in exchanges:
        channel.exchange_delete(name)
    connection.close()


def rss_kib(pid, field="VmRSS"):
    """A process's resident set now (VmRSS), or its peak so far (VmHWM), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class RedisCounter:
    """Reads integer keys over one kept-open connection: polling a counter every few
    milliseconds while the consumer drains must not cost a process start each time, which
    would take CPU from what is being measured."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.reader = self.sock.makefile("rb")

    def get(self, key):
        encoded = key.encode()
        self.sock.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(encoded), encoded))
        header = self.reader.readline()
        if not header.startswith(b"$") or header.startswith(b"$-1"):
            return 0
        value = self.reader.readline().strip()
        return int(value) if value.lstrip(b"-").isdigit() else 0


def wrk(url, connections, seconds, method="GET"):
    """Runs wrk -t1; returns (requests/s, p50 ms, p99 ms, non-2xx)."""
    script = os.path.join(ROOT, "scripts", "lib", "post.lua") if method == "POST" else None
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        command[1:1] = ["-s", script]
    out = subprocess.run(command, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = latency(re.search(r"50%\s+([\d.]+)(us|ms|s)", out))
    p99 = latency(re.search(r"99%\s+([\d.]+)(us|ms|s)", out))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p50, p99, int(errors.group(1)) if errors else 0


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


class Service:
    def __init__(self, command):
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True,
                                        env={k: v for k, v in os.environ.items() if not k.startswith("BIGGOAL_")})

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def summary(values, fmt="{:.0f}"):
    return fmt.format(statistics.median(values)) + " (" + fmt.format(min(values)) + "–" + fmt.format(max(values)) + ")"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--nginx-port", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default=os.path.join(ROOT, "BENCHMARKS.md"))
    options = parser.parse_args()
    rounds = 1 if options.quick else 3
    seconds = 3 if options.quick else 8
    hellos = 20000 if options.quick else 100000
    redis_url = f"redis://127.0.0.1:{options.redis_port}/0"

    # Start-up: exec to the first /ping answer.
    startups = []
    for _ in range(5):
        port = free_port()
        started = time.monotonic()
        api = Service([os.path.join(options.bin, "api"), "--http-port", str(port), "--redis-url", redis_url])
        wait_for_port(port, step=0.001)
        startups.append((time.monotonic() - started) * 1000)
        api.stop()

    port = free_port()
    key = f"bench-{uuid.uuid4().hex[:6]}"
    # One event loop, as nginx gets one worker: wrk needs the other core.
    api = Service([os.path.join(options.bin, "api"), "--http-port", str(port), "--redis-url", redis_url,
                   "--http-event-loops", "1", "--redis-received-key", key])
    wait_for_port(port)
    nginx_url = f"http://127.0.0.1:{options.nginx_port}/ping"
    api_url = f"http://127.0.0.1:{port}"
    rows = {}

    def measure(name, url, connections, method="GET"):
        rows.setdefault(name, []).append(wrk(url, connections, seconds, method))

    peak_rss = 0
    for _ in range(rounds):
        measure("nginx /ping, 64 connections", nginx_url, 64)
        measure("api /ping, 64 connections", api_url + "/ping", 64)
        measure("nginx /ping, 64 connections", nginx_url, 64)
        for connections in (64, 256):
            measure(f"api POST /receive, {connections} connections", api_url + "/receive", connections, "POST")
            peak_rss = max(peak_rss, rss_kib(api.pid))
            measure(f"api GET /api/v1/receive/messages/hello, {connections} connections",
                    api_url + "/api/v1/receive/messages/hello", connections)
            peak_rss = max(peak_rss, rss_kib(api.pid))

    # Exactness: a bounded, pipelined run whose every answer is read.
    counters = RedisCounter(options.redis_port)
    before = counters.get(key)
    answered = exact_posts(port, 64, 500)
    counted = counters.get(key) - before
    api.stop()

    # The consumer draining a backlog of hellos, end to end, interleaved with the broker's own
    # ceiling (`ceiling`: the consumer's own pipeline counting nothing) at the same prefetch,
    # and without confirms for scale.
    def publish(queue):
        subprocess.run([os.path.join(options.bin, "publish"), "--amqp-url", options.amqp_url, "--queue", queue,
                        "--count", str(hellos)], check=True, stdout=subprocess.DEVNULL)

    def ceiling(prefetch, *flags):
        queue = f"ceiling-{uuid.uuid4().hex[:6]}"
        publish(queue)
        out = subprocess.run([os.path.join(options.bin, "ceiling"), "--amqp-url", options.amqp_url, "--queue", queue,
                              "--count", str(hellos), "--prefetch", str(prefetch), *flags],
                             check=True, capture_output=True, text=True).stdout
        delete_queues(options.amqp_url, [queue, f"{queue}-ceiling-replies"], [f"{queue}-ceiling-x"])
        return float(re.search(r"\((\d+) msg/s\)", out).group(1))

    def consumer(prefetch):
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        sent_key = f"{queue}:sent"
        publish(queue)
        launched = time.monotonic()
        service = Service([os.path.join(options.bin, "consumer"), "--amqp-url", options.amqp_url, "--redis-url", redis_url,
                           "--amqp-queue", queue, "--amqp-prefetch", str(prefetch),
                           "--redis-received-key", f"{queue}:received", "--redis-sent-key", sent_key,
                           "--amqp-reply-queue", f"{queue}-sent", "--amqp-reply-exchange", f"{queue}-x",
                           "--consumer-metrics-port", "0"])
        # The clock starts at the first counted hello, as `ceiling`'s starts at its first
        # delivery: both rates are the draining rate, without connecting and declaring.
        while counters.get(f"{queue}:received") == 0 and time.monotonic() - launched < 60:
            time.sleep(0.002)
        started = time.monotonic()
        peak = 0
        while counters.get(sent_key) < hellos and time.monotonic() - started < 300:
            peak = max(peak, rss_kib(service.pid))
            time.sleep(0.005)
        rate = hellos / (time.monotonic() - started)
        service.stop()
        delete_queues(options.amqp_url, [queue, f"{queue}-sent"], [f"{queue}-x"])
        return rate, peak

    # Memory against hostile publishers: a backlog of hellos with huge hellos among them
    # (the broker's limit is 128 MiB). They are dead-lettered unread, so the consumer's peak
    # must stay where it is without them.
    huge_count, huge_mib = (5, 100) if options.quick else (20, 100)

    def hostile_drain():
        queue = f"bench-huge-{uuid.uuid4().hex[:6]}"
        sent_key = f"{queue}:sent"
        connection = pika.BlockingConnection(pika.URLParameters(options.amqp_url))
        channel = connection.channel()
        channel.queue_declare(queue, durable=True)
        huge = b"\xab" * (huge_mib << 20)
        for index in range(huge_count):
            subprocess.run([os.path.join(options.bin, "publish"), "--amqp-url", options.amqp_url, "--queue", queue,
                            "--count", str(hellos // huge_count), "--id-prefix", f"{queue}-{index}"],
                           check=True, stdout=subprocess.DEVNULL)
            channel.basic_publish("", queue, huge, pika.BasicProperties(headers={"type": "hello"}, message_id=f"{queue}-huge-{index}"))
        connection.close()
        del huge
        service = Service([os.path.join(options.bin, "consumer"), "--amqp-url", options.amqp_url, "--redis-url", redis_url,
                           "--amqp-queue", queue, "--redis-received-key", f"{queue}:received", "--redis-sent-key", sent_key,
                           "--amqp-reply-queue", f"{queue}-sent", "--amqp-reply-exchange", f"{queue}-x",
                           "--consumer-metrics-port", "0"])
        started = time.monotonic()
        expected = hellos // huge_count * huge_count
        while counters.get(sent_key) < expected and time.monotonic() - started < 600:
            time.sleep(0.05)
        peak = rss_kib(service.pid, "VmHWM")
        counted = counters.get(sent_key)
        service.stop()
        connection = pika.BlockingConnection(pika.URLParameters(options.amqp_url))
        dead = connection.channel().queue_declare(f"{queue}.dead", passive=True).method.message_count
        connection.close()
        delete_queues(options.amqp_url, [queue, f"{queue}-sent", f"{queue}.dead"], [f"{queue}-x"])
        return peak, counted, expected, dead

    hostile_peak, hostile_counted, hostile_expected, hostile_dead = hostile_drain()

    drains = {}  # (prefetch, what) -> rates
    consumer_rss = 0
    for _ in range(rounds):
        for prefetch in PREFETCHES:
            drains.setdefault((prefetch, "reply"), []).append(ceiling(prefetch))
            drains.setdefault((prefetch, "unconfirmed"), []).append(ceiling(prefetch, "--unconfirmed"))
            rate, peak = consumer(prefetch)
            drains.setdefault((prefetch, "consumer"), []).append(rate)
            consumer_rss = max(consumer_rss, peak)

    nginx = [r[0] for r in rows["nginx /ping, 64 connections"]]
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `scripts/bench{' --quick' if options.quick else ''}` on {datetime.date.today()}: "
        f"{os.cpu_count()} cores, {platform.platform()}, loopback, `wrk -t1`, {seconds} s per run, "
        f"{rounds} interleaved round(s); medians with min–max. `api` runs one event loop, as nginx runs one worker "
        f"(wrk needs the other core).",
        "",
        "| work | req/s | ratio to same-run nginx /ping | p50 ms | p99 ms | non-2xx |",
        "|---|---|---|---|---|---|",
    ]
    for name, results in rows.items():
        rates = [r[0] for r in results]
        ratio = statistics.median(rates) / statistics.median(nginx)
        lines.append(f"| {name} | {summary(rates)} | {ratio:.2f} | {summary([r[1] for r in results], '{:.2f}')} | "
                     f"{summary([r[2] for r in results], '{:.2f}')} | {sum(r[3] for r in results)} |")
    lines += [
        "",
        "| other figure | value |",
        "|---|---|",
        f"| `api` peak RSS under load (256 connections) | {peak_rss / 1024:.1f} MB |",
        f"| `api` start-up, exec to first `/ping` answer | {summary(startups, '{:.1f}')} ms |",
        f"| exactness: POST /receive answered 2xx vs counted in Redis | {answered} answered, {counted} counted |",
        f"| `consumer` peak RSS while draining | {consumer_rss / 1024:.1f} MB |",
        f"| `consumer` peak RSS (VmHWM) draining {hostile_expected} hellos with {huge_count} × {huge_mib} MiB hellos "
        f"among them | {hostile_peak / 1024:.1f} MB (target: under 64 MB); {hostile_counted} answered, "
        f"{hostile_dead} dead-lettered unread |",
        "",
        f"Draining a backlog of {hellos} hellos, msg/s. `consumer`: counted once, replied, confirmed, counted, "
        "acknowledged. `ceiling`: the broker's own rate for the same work minus Redis — the consumer's pipeline "
        "with a counter store that counts nothing, the consumer's full reply through a direct exchange; and, for "
        "scale, the same reply without publisher confirms (which the consumer cannot do without losing replies).",
        "",
        "| prefetch | `consumer` | `ceiling` | `ceiling`, unconfirmed | `consumer` ÷ `ceiling` |",
        "|---|---|---|---|---|",
    ]
    for prefetch in PREFETCHES:
        ran, reply, unconfirmed = (drains[(prefetch, what)] for what in ("consumer", "reply", "unconfirmed"))
        lines.append(f"| {prefetch} | {summary(ran)} | {summary(reply)} | {summary(unconfirmed)} | "
                     f"{statistics.median(ran) / statistics.median(reply):.2f} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    with open(options.output, "w") as f:
        f.write(text)
    sys.exit(0 if answered == counted and hostile_counted == hostile_expected and hostile_dead == huge_count else 1)


if __name__ == "__main__":
    main()
