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
# The consumer's default `amqp.channels`; the ceiling it is held against drains over as many.
CHANNELS = 1
# Channel counts of the ceiling's own table: does the broker do more over more channels?
CEILING_CHANNELS = (1, 2, 4)

def summary(values, fmt="{:.0f}"):
    return fmt.format(statistics.median(values)) + " (" + fmt.format(min(values)) + "–" + fmt.format(max(values)) + ")"


def ratio(values, reference):
    return statistics.median(values) / statistics.median(reference)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="the build scripts/run makes and the container ships (runtime linked in)")
    parser.add_argument("--shared-bin", required=True, help="plain swift build -c release (the runtime's shared libraries)")
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--nginx-port", type=int, required=True, help="nginx with one worker")
    parser.add_argument("--nginx-auto-port", type=int, required=True, help="nginx with worker_processes auto")
    parser.add_argument("--amqps-url", required=True, help="the same broker's TLS listener")
    parser.add_argument("--tls-dir", required=True, help="the run's throw-away certificates")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default=os.path.join(ROOT, "BENCHMARKS.md"))
    options = parser.parse_args()
    rounds = 1 if options.quick else 5
    seconds = 3 if options.quick else 5
    hellos = 20000 if options.quick else 100000
    reference_hellos = hellos // 5
    redis_url = f"redis://127.0.0.1:{options.redis_port}/0"

    def start_api(binary, *arguments):
        port = free_port()
        service = Service([os.path.join(binary, "api"), "--http-port", str(port), "--redis-url", redis_url, *arguments])
        wait_for_port(port)
        return service, f"http://127.0.0.1:{port}", port

    # Start-up: exec to the first /ping answer, for the build users run and plain swift build's.
    startups = {"run": [], "shared": []}
    for _ in range(5):
        for build, binary in (("run", options.bin), ("shared", options.shared_bin)):
            port = free_port()
            started = time.monotonic()
            api = Service([os.path.join(binary, "api"), "--http-port", str(port), "--redis-url", redis_url])
            wait_for_port(port, step=0.001)
            startups[build].append((time.monotonic() - started) * 1000)
            api.stop()

    key = f"bench-{uuid.uuid4().hex[:6]}"
    # Two set-ups, each against its own nginx: one event loop against one worker (wrk has
    # the other core), and the defaults (a loop per core) against worker_processes auto.
    setups = {
        "one": start_api(options.bin, "--http-event-loops", "1", "--redis-received-key", key),
        "defaults": start_api(options.bin, "--redis-received-key", key),
    }
    nginx = {"one": f"http://127.0.0.1:{options.nginx_port}/ping", "defaults": f"http://127.0.0.1:{options.nginx_auto_port}/ping"}
    shared_api, shared_url, _ = start_api(options.shared_bin, "--http-event-loops", "1", "--redis-received-key", key + "-shared")
    # The same api with a bearer token required, for what checking it costs.
    token = uuid.uuid4().hex
    token_api, token_url, _ = start_api(options.bin, "--http-event-loops", "1", "--redis-received-key", key + "-token",
                                        "--http-auth-tokens", token)
    rows = {}  # (setup, name, connections) -> [wrk results]

    def measure(setup, name, connections, url, method="GET", headers=(), pid=None):
        rows.setdefault((setup, name, connections), []).append(wrk(url, connections, seconds, method, headers, pid))

    peak_rss = {"one": 0, "defaults": 0, "shared": 0}
    for _ in range(rounds):
        for setup, (api, api_url, _) in setups.items():
            for connections in (64, 256):
                measure(setup, "nginx /ping", connections, nginx[setup])
                measure(setup, "api /ping", connections, api_url + "/ping")
                measure(setup, "api POST /receive", connections, api_url + "/receive", "POST", pid=api.pid)
                peak_rss[setup] = max(peak_rss[setup], rss_kib(api.pid))
                measure(setup, "api GET /api/v1/receive/messages/hello", connections, api_url + "/api/v1/receive/messages/hello")
                peak_rss[setup] = max(peak_rss[setup], rss_kib(api.pid))
        measure("shared", "api /ping (shared Swift runtime)", 64, shared_url + "/ping")
        measure("shared", "api POST /receive (shared Swift runtime)", 256, shared_url + "/receive", "POST")
        peak_rss["shared"] = max(peak_rss["shared"], rss_kib(shared_api.pid))
        measure("one", "api POST /receive with a bearer token", 64, token_url + "/receive", "POST",
                [f"Authorization: Bearer {token}"], token_api.pid)

    # Exactness: a bounded, pipelined run whose every answer is read.
    counters = redis.Redis(port=options.redis_port)
    exact_api, _, exact_port = setups["defaults"]
    before = int(counters.get(key) or 0)
    answered = exact_posts(exact_port, 256, 200)
    counted = int(counters.get(key) or 0) - before
    for api, _, _ in setups.values():
        api.stop()
    shared_api.stop()
    token_api.stop()

    consumers = ConsumerBench(options, hellos, options.redis_port)
    hostile_peak, hostile_counted, hostile_expected, hostile_dead = consumers.hostile_drain()

    drains = {}  # (prefetch, what) -> rates
    consumer_rss = 0
    for _ in range(rounds):
        for prefetch in PREFETCHES:
            over = ("--channels", str(CHANNELS))
            drains.setdefault((prefetch, "reply"), []).append(consumers.ceiling(prefetch, *over))
            drains.setdefault((prefetch, "unconfirmed"), []).append(consumers.ceiling(prefetch, "--unconfirmed", *over))
            rate, peak = consumers.consumer(prefetch, "--amqp-channels", str(CHANNELS))
            drains.setdefault((prefetch, "consumer"), []).append(rate)
            consumer_rss = max(consumer_rss, peak)
            drains.setdefault((prefetch, "reference"), []).append(consumers.reference(prefetch, reference_hellos))
        # Whether the broker does more of the work over more channels: the ceiling over each
        # count (each channel its own consuming and publishing connection), the consumer over one.
        for channels in CEILING_CHANNELS:
            if channels != CHANNELS:
                drains.setdefault((PREFETCHES[0], f"ceiling x{channels}"), []).append(
                    consumers.ceiling(PREFETCHES[0], "--channels", str(channels)))
        for channels in CEILING_CHANNELS[:2]:
            if channels != CHANNELS:
                drains.setdefault((PREFETCHES[0], f"consumer x{channels}"), []).append(
                    consumers.consumer(PREFETCHES[0], "--amqp-channels", str(channels))[0])
        # The same drain with the consumer's broker link over TLS (Redis stays plain).
        drains.setdefault((PREFETCHES[0], "consumer over amqps"), []).append(consumers.consumer(PREFETCHES[0], tls=True)[0])

    def results(setup, name, connections):
        return rows[(setup, name, connections)]

    def rates(setup, name, connections):
        return [r[0] for r in results(setup, name, connections)]

    def p99s(setup, name, connections):
        return [r[2] for r in results(setup, name, connections)]

    lines = [
        "# Benchmarks",
        "",
        f"Measured by `scripts/bench{' --quick' if options.quick else ''}` on {datetime.date.today()}: "
        f"{os.cpu_count()} cores, {platform.platform()}, loopback, `wrk -t1`, {seconds} s per run, "
        f"{rounds} interleaved round(s); medians with min–max. `api` is the build `scripts/run` makes and the "
        "container ships (release, the Swift runtime linked in) unless marked shared (plain `swift build -c release`, "
        "the runtime's shared libraries, as `swift run -c release` gets); Redis runs with "
        "append-only persistence (`appendfsync everysec`), as `scripts/run` and the compose file start it; nginx "
        "answers `/ping` from memory with `keepalive_requests 1000000`, so it never closes a benchmark connection. "
        "Each ratio is to nginx's `/ping` at the same connection count in the same set-up.",
    ]
    for setup, title in (("one", "One event loop against nginx with one worker (wrk has the other core)"),
                         ("defaults", "Defaults (an event loop per core) against nginx with `worker_processes auto`")):
        lines += ["", f"### {title}", "",
                  "| work | connections | req/s | ratio to nginx /ping | p50 ms | p99 ms | non-2xx |",
                  "|---|---|---|---|---|---|---|"]
        for name in ("nginx /ping", "api /ping", "api POST /receive", "api GET /api/v1/receive/messages/hello"):
            for connections in (64, 256):
                found = results(setup, name, connections)
                lines.append(f"| {name} | {connections} | {summary(rates(setup, name, connections))} | "
                             f"{ratio(rates(setup, name, connections), rates(setup, 'nginx /ping', connections)):.2f} | "
                             f"{summary([r[1] for r in found], '{:.2f}')} | {summary([r[2] for r in found], '{:.2f}')} | "
                             f"{sum(r[3] for r in found)} |")
    shared_ping = rates("shared", "api /ping (shared Swift runtime)", 64)
    shared_post = rates("shared", "api POST /receive (shared Swift runtime)", 256)
    lines += [
        "",
        "### Plain `swift build -c release` (the Swift runtime's shared libraries), one event loop",
        "",
        "| work | connections | req/s | ratio to nginx /ping (one worker) |",
        "|---|---|---|---|",
        f"| api /ping | 64 | {summary(shared_ping)} | {ratio(shared_ping, rates('one', 'nginx /ping', 64)):.2f} |",
        f"| api POST /receive | 256 | {summary(shared_post)} | {ratio(shared_post, rates('one', 'nginx /ping', 256)):.2f} |",
        "",
        "| other figure | value |",
        "|---|---|",
        f"| `api` peak RSS under load, up to 256 connections: defaults / one loop / shared runtime | "
        f"{peak_rss['defaults'] / 1024:.1f} / {peak_rss['one'] / 1024:.1f} / {peak_rss['shared'] / 1024:.1f} MB |",
        f"| `api` start-up, exec to first `/ping` answer: scripts/run's build / shared runtime | "
        f"{summary(startups['run'], '{:.1f}')} / {summary(startups['shared'], '{:.1f}')} ms |",
        f"| exactness: POST /receive answered 2xx vs counted in Redis (256 connections, pipelined) | {answered} answered, {counted} counted |",
        f"| `consumer` peak RSS while draining | {consumer_rss / 1024:.1f} MB |",
        f"| `consumer` peak RSS (VmHWM) draining {hostile_expected} hellos with {consumers.huge_count} × {consumers.huge_mib} MiB hellos "
        f"among them | {hostile_peak / 1024:.1f} MB (target: under 64 MB); {hostile_counted} answered, "
        f"{hostile_dead} dead-lettered unread |",
        "",
        f"Draining a backlog of {hellos} hellos, msg/s. `consumer` (over its default {CHANNELS} channel{'s' if CHANNELS > 1 else ''}): counted once, "
        "replied, confirmed, counted, acknowledged. `ceiling`: the broker's own rate for the same work minus Redis over as "
        "many channels — the consumer's pipeline with a counter store that counts nothing, the consumer's full reply "
        "through a direct exchange; and, for "
        "scale, the same reply without publisher confirms (which the consumer cannot do without losing replies). "
        f"`pika reference`: the same work written with pika and redis-py (`scripts/lib/reference_consumer.py`), "
        f"draining {reference_hellos} hellos.",
        "",
        "| prefetch | `consumer` | `ceiling` | `ceiling`, unconfirmed | `pika reference` | `consumer` ÷ `ceiling` | `consumer` ÷ `pika reference` |",
        "|---|---|---|---|---|---|---|",
    ]
    for prefetch in PREFETCHES:
        ran, reply, unconfirmed, reference = (drains[(prefetch, what)] for what in ("consumer", "reply", "unconfirmed", "reference"))
        lines.append(f"| {prefetch} | {summary(ran)} | {summary(reply)} | {summary(unconfirmed)} | {summary(reference)} | "
                     f"{ratio(ran, reply):.2f} | {ratio(ran, reference):.1f} |")

    # The ceiling and the consumer per channel count, at the first prefetch.
    def ceiling_over(channels):
        return drains[(PREFETCHES[0], "reply" if channels == CHANNELS else f"ceiling x{channels}")]

    def consumer_over(channels):
        return drains[(PREFETCHES[0], "consumer" if channels == CHANNELS else f"consumer x{channels}")]

    lines += [
        "",
        f"Per channel count, prefetch {PREFETCHES[0]} shared out between the channels, msg/s: `ceiling --channels N` runs N "
        "of its pipelines at once on the same queue, each on its own thread with its own consuming and publishing "
        "connection, so the broker gets the work over N channel processes; `consumer --amqp-channels N` does the same "
        "with N lanes, each with its own Redis connection too.",
        "",
        "| channels | `ceiling` | ÷ one channel | `consumer` | ÷ one channel |",
        "|---|---|---|---|---|",
    ]
    for channels in CEILING_CHANNELS:
        ceiling_rates = ceiling_over(channels)
        row = f"| {channels} | {summary(ceiling_rates)} | {ratio(ceiling_rates, ceiling_over(1)):.2f} |"
        if (PREFETCHES[0], "consumer" if channels == CHANNELS else f"consumer x{channels}") in drains:
            row += f" {summary(consumer_over(channels))} | {ratio(consumer_over(channels), consumer_over(1)):.2f} |"
        else:
            row += " | |"
        lines.append(row)

    # The targets of issue #15, each with what this run measured.
    def target(name, goal, measured, met):
        return f"| {name} | {goal} | {measured} | {'met' if met else 'not met'} |"

    targets = ["", "### Targets", "", "| figure | target | measured | |", "|---|---|---|---|"]
    for setup, label in (("one", "one loop vs one worker"), ("defaults", "defaults vs workers auto")):
        value = ratio(rates(setup, "api /ping", 64), rates(setup, "nginx /ping", 64))
        targets.append(target(f"`/ping` ÷ nginx, {label}, 64 connections", "≥ 1.0", f"{value:.2f}", value >= 1.0))
    for setup, label in (("one", "one loop"), ("defaults", "defaults")):
        p99 = statistics.median(p99s(setup, "api /ping", 64))
        targets.append(target(f"`/ping` p99, {label}, 64 connections", "≤ 1 ms", f"{p99:.2f} ms", p99 <= 1))
    for setup, label in (("one", "one loop vs one worker"), ("defaults", "defaults vs workers auto")):
        for name in ("api POST /receive", "api GET /api/v1/receive/messages/hello"):
            for connections in (64, 256):
                value = ratio(rates(setup, name, connections), rates(setup, "nginx /ping", connections))
                p99 = statistics.median(p99s(setup, name, connections))
                targets.append(target(f"{name.removeprefix('api ')} ÷ nginx /ping, {label}, {connections} connections",
                                      "≥ 0.8", f"{value:.2f}", value >= 0.8))
                targets.append(target(f"{name.removeprefix('api ')} p99, {label}, {connections} connections",
                                      "≤ 2 ms", f"{p99:.2f} ms", p99 <= 2))
    targets.append(target("every 2xx counted once", "answered = counted", f"{answered} / {counted}", answered == counted))
    for setup, label in (("defaults", "defaults"), ("one", "one loop")):
        mb = peak_rss[setup] / 1024
        targets.append(target(f"`api` peak RSS at 256 connections, {label} (build users run)", "≤ 14 MB", f"{mb:.1f} MB", mb <= 14))
    targets.append(target("`consumer` peak RSS while draining", "≤ 20 MB", f"{consumer_rss / 1024:.1f} MB", consumer_rss / 1024 <= 20))
    for prefetch in PREFETCHES:
        value = ratio(drains[(prefetch, "consumer")], drains[(prefetch, "reply")])
        targets.append(target(f"`consumer` ÷ `ceiling`, prefetch {prefetch}", "≥ 0.95", f"{value:.2f}", value >= 0.95))
        value = ratio(drains[(prefetch, "consumer")], drains[(prefetch, "reference")])
        targets.append(target(f"`consumer` ÷ pika reference, prefetch {prefetch}", "≥ 1.5", f"{value:.1f}", value >= 1.5))
    startup = statistics.median(startups["run"])
    targets.append(target("start-up to first `/ping`, build users run", "≤ 10 ms", f"{startup:.1f} ms", startup <= 10))
    lines += targets

    plain = rates("one", "api POST /receive", 64)
    tokened = rates("one", "api POST /receive with a bearer token", 64)
    plain_cpu = [r[4] for r in results("one", "api POST /receive", 64)]
    tokened_cpu = [r[4] for r in results("one", "api POST /receive with a bearer token", 64)]
    cpu_cost = statistics.median(tokened_cpu) / statistics.median(plain_cpu) - 1
    over_tls = drains[(PREFETCHES[0], "consumer over amqps")]
    over_plain = drains[(PREFETCHES[0], "consumer")]
    lines += [
        "",
        "What the security features cost, measured in the same rounds:",
        "",
        "| figure | without | with | cost |",
        "|---|---|---|---|",
        f"| `POST /receive` with `Authorization: Bearer` checked (one loop, 64 connections), req/s | {summary(plain)} | {summary(tokened)} | "
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
