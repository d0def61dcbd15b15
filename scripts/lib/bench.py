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
import statistics
import sys
import time
import uuid

import redis

from bench_consumer import ConsumerBench
from bench_http import exact_posts, wrk
from harness import ROOT, Service, free_port, rss_kib, wait_for_port

# The consumer's default prefetch, and a larger one for a backlog.
PREFETCHES = (100, 1000)

def summary(values, fmt="{:.0f}"):
    return fmt.format(statistics.median(values)) + " (" + fmt.format(min(values)) + "–" + fmt.format(max(values)) + ")"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--nginx-port", type=int, required=True)
    parser.add_argument("--amqps-url", required=True, help="the same broker's TLS listener")
    parser.add_argument("--tls-dir", required=True, help="the run's throw-away certificates")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default=os.path.join(ROOT, "BENCHMARKS.md"))
    options = parser.parse_args()
    rounds = 1 if options.quick else 5
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
    # The same api with a bearer token required, for what checking it costs.
    token = uuid.uuid4().hex
    token_port = free_port()
    token_api = Service([os.path.join(options.bin, "api"), "--http-port", str(token_port), "--redis-url", redis_url,
                         "--http-event-loops", "1", "--redis-received-key", key + "-token", "--http-auth-tokens", token])
    wait_for_port(port)
    wait_for_port(token_port)
    nginx_url = f"http://127.0.0.1:{options.nginx_port}/ping"
    api_url = f"http://127.0.0.1:{port}"
    rows = {}

    def measure(name, url, connections, method="GET", headers=(), pid=None):
        rows.setdefault(name, []).append(wrk(url, connections, seconds, method, headers, pid))

    peak_rss = 0
    for _ in range(rounds):
        measure("nginx /ping, 64 connections", nginx_url, 64)
        measure("api /ping, 64 connections", api_url + "/ping", 64)
        measure("nginx /ping, 64 connections", nginx_url, 64)
        measure("api POST /receive, 64 connections", api_url + "/receive", 64, "POST", pid=api.pid)
        measure("api POST /receive with a bearer token, 64 connections", f"http://127.0.0.1:{token_port}/receive", 64, "POST",
                [f"Authorization: Bearer {token}"], token_api.pid)
        for connections in (64, 256):
            if connections != 64:
                measure(f"api POST /receive, {connections} connections", api_url + "/receive", connections, "POST")
            peak_rss = max(peak_rss, rss_kib(api.pid))
            measure(f"api GET /api/v1/receive/messages/hello, {connections} connections",
                    api_url + "/api/v1/receive/messages/hello", connections)
            peak_rss = max(peak_rss, rss_kib(api.pid))

    # Exactness: a bounded, pipelined run whose every answer is read.
    counters = redis.Redis(port=options.redis_port)
    before = int(counters.get(key) or 0)
    answered = exact_posts(port, 64, 500)
    counted = int(counters.get(key) or 0) - before
    api.stop()
    token_api.stop()

    consumers = ConsumerBench(options, hellos, options.redis_port)
    hostile_peak, hostile_counted, hostile_expected, hostile_dead = consumers.hostile_drain()

    drains = {}  # (prefetch, what) -> rates
    consumer_rss = 0
    for _ in range(rounds):
        for prefetch in PREFETCHES:
            drains.setdefault((prefetch, "reply"), []).append(consumers.ceiling(prefetch))
            drains.setdefault((prefetch, "unconfirmed"), []).append(consumers.ceiling(prefetch, "--unconfirmed"))
            rate, peak = consumers.consumer(prefetch)
            drains.setdefault((prefetch, "consumer"), []).append(rate)
            consumer_rss = max(consumer_rss, peak)
        # The same drain with the consumer's broker link over TLS (Redis stays plain).
        drains.setdefault((PREFETCHES[0], "consumer over amqps"), []).append(consumers.consumer(PREFETCHES[0], tls=True)[0])

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
        f"| `consumer` peak RSS (VmHWM) draining {hostile_expected} hellos with {consumers.huge_count} × {consumers.huge_mib} MiB hellos "
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
    plain = [r[0] for r in rows["api POST /receive, 64 connections"]]
    tokened = [r[0] for r in rows["api POST /receive with a bearer token, 64 connections"]]
    plain_cpu = [r[4] for r in rows["api POST /receive, 64 connections"]]
    tokened_cpu = [r[4] for r in rows["api POST /receive with a bearer token, 64 connections"]]
    cpu_cost = statistics.median(tokened_cpu) / statistics.median(plain_cpu) - 1
    over_tls = drains[(PREFETCHES[0], "consumer over amqps")]
    over_plain = drains[(PREFETCHES[0], "consumer")]
    lines += [
        "",
        "What the security features cost, measured in the same rounds:",
        "",
        "| figure | without | with | cost |",
        "|---|---|---|---|",
        f"| `POST /receive` with `Authorization: Bearer` checked (64 connections), req/s | {summary(plain)} | {summary(tokened)} | "
        f"{1 - statistics.median(tokened) / statistics.median(plain):+.1%} |",
        f"| the same, `api` CPU per request | {summary(plain_cpu, '{:.2f}')} µs | {summary(tokened_cpu, '{:.2f}')} µs | "
        f"{cpu_cost:+.1%} (target: under 3 %) |",
        f"| `consumer` drain at prefetch {PREFETCHES[0]}, broker link `amqp://` vs `amqps://`, msg/s | {summary(over_plain)} | "
        f"{summary(over_tls)} | {1 - statistics.median(over_tls) / statistics.median(over_plain):+.1%} |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    with open(options.output, "w") as f:
        f.write(text)
    sys.exit(0 if answered == counted and hostile_counted == hostile_expected and hostile_dead == consumers.huge_count else 1)


if __name__ == "__main__":
    main()
