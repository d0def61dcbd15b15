#!/usr/bin/env python3
"""The scenarios of scripts/faults.

Each scenario gets queue, exchange, counter and dedupe names of its own, publishes hellos with
unique ids through the `publish` binary, breaks something while the `consumer` binary works,
and ends by checking received_hello, sent_hello, the inbound queue depth and the number of
distinct reply ids. It prints one line with its figures; the exit code is the number of
scenarios that failed.
"""
import argparse
import http.client
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pika

from harness import free_port, port_open

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = os.path.join(ROOT, "scripts", "lib", "services.sh")




def wait_until(seconds, condition, step=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:
            pass
        time.sleep(step)
    try:
        return bool(condition())
    except Exception:
        return False


class Redis:
    """A private redis-server with its append-only file fsynced on every write."""

    def __init__(self, work):
        self.port = free_port()
        self.dir = os.path.join(work, f"redis-{self.port}")
        os.makedirs(self.dir, exist_ok=True)
        self.process = None
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.dir, "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if not wait_until(10, lambda: port_open(self.port)):
            raise RuntimeError("redis-server did not start")

    def kill(self, sig=signal.SIGKILL):
        self.process.send_signal(sig)
        self.process.wait()

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def get(self, key):
        out = subprocess.run(["redis-cli", "-p", str(self.port), "GET", key], capture_output=True, text=True, timeout=5)
        value = out.stdout.strip()
        return int(value) if value.lstrip("-").isdigit() else 0

    def stop(self):
        if self.process and self.process.poll() is None:
            self.thaw()
            self.kill()


class Broker:
    def __init__(self, port, directory):
        self.port = port
        self.directory = directory

    @property
    def url(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def ctl(self, *arguments):
        command = f"source '{SERVICES}' && rabbitmqctl_for '{self.directory}' '{self.port}' " + " ".join(arguments)
        return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120).stdout

    def channel(self):
        parameters = pika.ConnectionParameters("127.0.0.1", self.port, heartbeat=0, blocked_connection_timeout=30)
        return pika.BlockingConnection(parameters).channel()

    def depth(self, queue):
        """Ready plus unacknowledged messages of `queue`."""
        for line in self.ctl("list_queues", "-q", "name", "messages_ready", "messages_unacknowledged").splitlines():
            fields = line.split("\t")
            if fields[0] == queue:
                return int(fields[1]) + int(fields[2])
        return 0

    def reply_ids(self, queue):
        """Drains `queue`; returns (messages, distinct message ids)."""
        channel = self.channel()
        total, ids = 0, set()
        while True:
            method, properties, _ = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            total += 1
            ids.add(properties.message_id)
        channel.connection.close()
        return total, len(ids)


class Process:
    def __init__(self, executable, arguments, log):
        self.log = log
        self.process = subprocess.Popen([executable] + arguments, stdout=subprocess.DEVNULL,
                                        stderr=open(log, "a"), start_new_session=True,
                                        env={k: v for k, v in os.environ.items() if not k.startswith("BIGGOAL_")})

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def alive(self):
        return self.process.poll() is None

    def peak_rss_mb(self):
        """The process's peak resident set (VmHWM), in MB."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


class Scenario:
    """One scenario's names, services and checks."""

    def __init__(self, suite, number):
        self.suite = suite
        tag = f"f{number}-{uuid.uuid4().hex[:6]}"
        self.queue = f"{tag}-in"
        self.reply_exchange = f"{tag}-Meow"
        self.reply_queue = f"{tag}-sent"
        self.received_key = f"{tag}:received"
        self.sent_key = f"{tag}:sent"
        self.dedupe_prefix = f"{tag}:dedupe:"
        self.id_prefix = tag
        self.consumers = []

    def consumer(self, *extra):
        log = os.path.join(self.suite.work, f"{self.queue}-consumer.log")
        consumer = Process(os.path.join(self.suite.bin, "consumer"), [
            "--amqp-url", self.suite.broker.url, "--redis-url", self.suite.redis.url,
            "--amqp-queue", self.queue, "--amqp-reply-exchange", self.reply_exchange,
            "--amqp-reply-queue", self.reply_queue, "--redis-received-key", self.received_key,
            "--redis-sent-key", self.sent_key, "--redis-dedupe-prefix", self.dedupe_prefix,
            "--amqp-heartbeat-seconds", "10", "--consumer-metrics-port", "0", *extra,
        ], log)
        self.consumers.append(consumer)
        wait_until(15, lambda: "consuming" in consumer.log_text())
        return consumer

    def api(self):
        port = free_port()
        api = Process(os.path.join(self.suite.bin, "api"), [
            "--http-port", str(port), "--redis-url", self.suite.redis.url, "--redis-timeout-ms", "500",
            "--redis-received-key", self.received_key, "--redis-sent-key", self.sent_key,
        ], os.path.join(self.suite.work, f"{self.queue}-api.log"))
        api.port = port
        wait_until(10, lambda: port_open(port))
        return api

    def publish(self, count, *, type="hello", rate=None, prefix=None, background=False):
        arguments = [os.path.join(self.suite.bin, "publish"), "--amqp-url", self.suite.broker.url, "--queue", self.queue,
                     "--count", str(count), "--type", type, "--id-prefix", prefix or self.id_prefix]
        if rate:
            arguments += ["--rate", str(rate)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIGGOAL_")}
        if background:
            return subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL, env=env)
        return None

    def counts(self):
        return self.suite.redis.get(self.received_key), self.suite.redis.get(self.sent_key)

    @property
    def dead_letter_queue(self):
        return f"{self.queue}.dead"

    def publish_hostile(self, messages, spread=2.0):
        """Publishes (properties, body) pairs straight through pika, spread over `spread`
        seconds so they land among the normal hellos a background publisher is sending."""
        channel = self.suite.broker.channel()
        channel.queue_declare(self.queue, durable=True)
        for properties, body in messages:
            channel.basic_publish("", self.queue, body, properties)
            time.sleep(spread / max(len(messages), 1))
        channel.connection.close()

    def hostile_hello(self, message_id=None, reply_to=None, body=b"hi"):
        return (pika.BasicProperties(headers={"type": "hello"}, message_id=message_id, reply_to=reply_to, delivery_mode=2), body)

    def dead_letters(self):
        """Drains the dead-letter queue; returns the reasons of what it held."""
        channel = self.suite.broker.channel()
        reasons = []
        while True:
            method, properties, _ = channel.basic_get(self.dead_letter_queue, auto_ack=True)
            if method is None:
                break
            reasons.append((properties.headers or {}).get("x-biggoal-reason"))
        channel.connection.close()
        return reasons

    def hostile_figures(self, consumer, received, sent, replies, dead=0, reason=None, extra="", one_copy_each=True):
        """The checks every hostile-input scenario shares: exact counts, one reply per
        answered id, an empty inbound queue, what went to the dead-letter queue and why, one
        consumer process that never restarted, and a short log."""
        wait_until(180, lambda: self.counts() == (received, sent) and self.suite.broker.depth(self.queue) == 0, step=0.2)
        time.sleep(0.5)
        got_received, got_sent = self.counts()
        depth = self.suite.broker.depth(self.queue)
        total, distinct = self.suite.broker.reply_ids(self.reply_queue)
        reasons = self.dead_letters()
        log = consumer.log_text()
        lines = log.count("\n")
        # A reply whose confirm a dropped connection took with it is sent again, with the
        # same id: where connections drop, copies are allowed, distinct ids are not.
        copies_ok = total == replies if one_copy_each else total >= replies
        ok = (got_received == received and got_sent == sent and depth == 0 and copies_ok and distinct == replies
              and len(reasons) == dead and all(r == reason for r in reasons) and consumer.alive() and lines < 200)
        text = (f"received={got_received}/{received} sent={got_sent}/{sent} queue={depth} replies={total} distinct={distinct}/{replies}"
                f" dead-lettered={len(reasons)}/{dead}{' (' + reason + ')' if reason and reasons else ''}"
                f" consumer alive={consumer.alive()} log lines={lines}{extra}")
        return ok, text

    def settle(self, expected, seconds=180):
        """Waits until both counters reach `expected` and the queue is empty."""
        wait_until(seconds, lambda: self.counts() == (expected, expected) and self.suite.broker.depth(self.queue) == 0, step=0.2)
        time.sleep(0.5)

    def figures(self, expected, replies=True):
        received, sent = self.counts()
        depth = self.suite.broker.depth(self.queue)
        total, distinct = self.suite.broker.reply_ids(self.reply_queue) if replies else (sent, sent)
        ok = received == expected and sent == expected and depth == 0 and distinct == expected
        text = f"received={received} sent={sent} queue={depth} replies={total} distinct={distinct} (expected {expected})"
        return ok, text

    def close(self):
        for consumer in self.consumers:
            consumer.kill(signal.SIGTERM)


class Suite:
    def __init__(self, options):
        self.bin = options.bin
        self.work = options.work
        self.messages = options.messages
        self.kills = options.kills
        # Scenario 18: the 20 x 100 MiB at full size; 3 x 16 MiB at CI size.
        self.huge_count, self.huge_megabytes = (3, 16) if options.ci else (20, 100)
        self.redis = Redis(options.work)
        self.broker = Broker(options.amqp_port, options.rabbitmq_dir)
        self.failures = 0

    def report(self, number, title, ok, text, started):
        status = "PASS" if ok else "FAIL"
        if not ok:
            self.failures += 1
        print(f"{status} {number:>2}. {title}: {text} [{time.monotonic() - started:.1f} s]", flush=True)

    # 1
    def consumer_kills(self, s):
        n = self.messages
        consumer = s.consumer()
        publisher = s.publish(n, rate=max(n // 8, 200), background=True)
        for _ in range(self.kills):
            time.sleep(random.uniform(0.1, 8.0 / self.kills))
            consumer.kill(signal.SIGKILL)
            consumer = s.consumer()
        publisher.wait()
        s.settle(n)
        return s.figures(n)

    # 2
    def broker_restart(self, s):
        n = self.messages
        consumer = s.consumer()
        publisher = s.publish(n, rate=max(n // 6, 200), background=True)
        time.sleep(1.5)
        self.broker.ctl("stop_app")
        time.sleep(1)
        self.broker.ctl("start_app")
        publisher.wait()
        if publisher.returncode != 0:
            # The publisher itself lost its connection in the restart: it publishes the whole
            # stream again with the same ids, as a retrying publisher would.
            s.publish(n, prefix=s.id_prefix)
        s.settle(n)
        ok, text = s.figures(n)
        return ok and consumer.alive(), text + f" consumer alive={consumer.alive()}"

    # 3
    def redis_restart(self, s):
        n = self.messages
        s.consumer()
        publisher = s.publish(n, rate=max(n // 6, 200), background=True)
        time.sleep(1.5)
        self.redis.kill(signal.SIGTERM)
        time.sleep(0.5)
        self.redis.start()
        publisher.wait()
        s.settle(n)
        return s.figures(n)

    # 4
    def redis_freeze(self, s):
        n = self.messages
        s.consumer()
        api = s.api()
        publisher = s.publish(n, rate=max(n // 8, 200), background=True)
        time.sleep(1)
        self.redis.freeze()
        frozen_at = time.monotonic()
        worst_ping, counter_statuses = 0.0, set()
        while time.monotonic() - frozen_at < 5:
            started = time.monotonic()
            status, _ = http_get(api.port, "/ping")
            worst_ping = max(worst_ping, time.monotonic() - started)
            counter_statuses.add(http_get(api.port, "/api/v1/receive/messages/hello")[0])
            time.sleep(0.05)
        self.redis.thaw()
        thawed_at = time.monotonic()
        recovered = wait_until(2, lambda: http_get(api.port, "/api/v1/receive/messages/hello")[0] == 200, step=0.02)
        recovery = time.monotonic() - thawed_at
        publisher.wait()
        s.settle(n)
        ok, text = s.figures(n)
        during = 503 in counter_statuses
        api.kill(signal.SIGTERM)
        ok = ok and worst_ping < 0.1 and recovered and during
        return ok, text + f" ping worst={worst_ping * 1000:.1f} ms counters during freeze={sorted(counter_statuses)} back in {recovery:.2f} s"

    # 5
    def two_consumers(self, s):
        n = self.messages
        first = s.consumer()
        s.consumer()
        publisher = s.publish(n, rate=max(n // 6, 200), background=True)
        time.sleep(random.uniform(1, 3))
        first.kill(signal.SIGKILL)
        publisher.wait()
        s.settle(n)
        return s.figures(n)

    # 6
    def mixed_stream(self, s):
        n = self.messages
        consumer = s.consumer()
        channel = self.broker.channel()
        bad = [
            (pika.BasicProperties(headers={"type": "hello"}, message_id=f"{s.id_prefix}-bad-empty", delivery_mode=2), b""),
            (pika.BasicProperties(headers={"type": "hello"}, message_id=f"{s.id_prefix}-bad-big", delivery_mode=2), b"\xab" * (10 * 1024 * 1024)),
            (pika.BasicProperties(headers={"type": "hello"}, message_id=f"{s.id_prefix}-bad-binary", delivery_mode=2), bytes(range(256))),
            (pika.BasicProperties(headers={"type": 7, "nested": {"a": [1, "two", {"deep": None}]}}, delivery_mode=2), b"not a hello"),
            (pika.BasicProperties(headers={"type": ["hello"]}, delivery_mode=2), b"type header of another kind"),
            (pika.BasicProperties(content_type="application/octet-stream"), b"\xff\xfe\x00"),
        ]
        # Three of the bad ones are hellos; the 10 MiB one is past amqp.maxMessageBytes and
        # goes to the dead-letter queue unread.
        hellos_in_bad = 2
        publisher = s.publish(n, rate=max(n // 6, 200), background=True)
        s.publish(n // 4, type="goodbye", prefix=f"{s.id_prefix}-other")
        for properties, body in bad:
            channel.basic_publish("", s.queue, body, properties)
        channel.connection.close()
        time.sleep(random.uniform(0.5, 2))
        consumer.kill(signal.SIGKILL)
        consumer = s.consumer()
        publisher.wait()
        expected = n + hellos_in_bad
        s.settle(expected)
        ok, text = s.figures(expected)
        dead = self.broker.depth(f"{s.queue}.dead")
        return ok and dead == 1 and consumer.alive(), text + f" non-hellos={n // 4 + len(bad) - hellos_in_bad - 1} dead-lettered={dead} consumer alive={consumer.alive()}"

    # 7
    def publisher_duplicates(self, s):
        n = self.messages
        s.consumer()
        s.publish(n)
        s.settle(n)
        s.publish(n // 5, prefix=s.id_prefix)
        wait_until(60, lambda: self.broker.depth(s.queue) == 0, step=0.2)
        time.sleep(1)
        ok, text = s.figures(n)
        return ok, text + f" republished={n // 5}"

    # 8
    def redis_kills(self, s):
        n = self.messages
        s.consumer()
        api = s.api()
        s.publish(n)
        acked_while_down, api_200_while_down = 0, 0
        for _ in range(3):
            time.sleep(random.uniform(0.2, 1.0))
            self.redis.kill(signal.SIGKILL)
            before = self.broker.depth(s.queue)
            for _ in range(10):
                if http_get(api.port, "/api/v1/receive/messages/hello")[0] == 200:
                    api_200_while_down += 1
                time.sleep(0.05)
            after = self.broker.depth(s.queue)
            acked_while_down += max(0, before - after)
            self.redis.start()
        s.settle(n)
        ok, text = s.figures(n)
        api.kill(signal.SIGTERM)
        ok = ok and acked_while_down == 0 and api_200_while_down == 0
        return ok, text + f" acked while down={acked_while_down} api 200 while down={api_200_while_down}"

    # 9
    def closed_connections(self, s):
        n = self.messages
        consumer = s.consumer()
        publisher = s.publish(n, rate=max(n // 8, 200), background=True)
        for _ in range(5):
            time.sleep(random.uniform(0.3, 1.0))
            self.broker.ctl("close_all_connections", "'fault suite'")
            wait_until(10, lambda: consumer.log_text().count("consuming") >= 2)
        publisher.wait()
        if publisher.returncode != 0:
            s.publish(n, prefix=s.id_prefix)
        s.settle(n)
        ok, text = s.figures(n)
        log = consumer.log_text()
        reconnects = log.count("consuming") - 1
        stale = log.count("PRECONDITION_FAILED")
        return ok and reconnects >= 5 and stale == 0, text + f" reconnects={reconnects} PRECONDITION_FAILED={stale}"

    # 10
    def queue_deleted(self, s):
        n = max(self.messages // 4, 100)
        consumer = s.consumer()
        s.publish(n)
        s.settle(n)
        channel = self.broker.channel()
        deleted_at = time.monotonic()
        channel.queue_delete(s.queue)
        channel.connection.close()
        noticed = wait_until(5, lambda: "cancelled the subscription" in consumer.log_text(), step=0.02)
        notice = time.monotonic() - deleted_at
        redeclared = wait_until(30, lambda: consumer.log_text().count("consuming") >= 2)
        s.publish(n, prefix=f"{s.id_prefix}-after")
        s.settle(2 * n)
        received, sent = s.counts()
        ok = noticed and notice < 1.0 and redeclared and received == sent == 2 * n and consumer.alive()
        return ok, f"noticed in {notice:.2f} s, redeclared={redeclared}, received={received} sent={sent} (expected {2 * n})"

    # 11
    def binding_removed(self, s):
        n = max(self.messages // 4, 100)
        s.consumer()
        s.publish(n)
        s.settle(n)
        channel = self.broker.channel()
        channel.queue_unbind(s.reply_queue, s.reply_exchange, "meow1")
        s.publish(n, prefix=f"{s.id_prefix}-unbound")
        time.sleep(2)
        sent_while_unbound = s.counts()[1] - n
        channel.queue_bind(s.reply_queue, s.reply_exchange, "meow1")
        channel.connection.close()
        s.settle(2 * n)
        ok, text = s.figures(2 * n)
        return ok and sent_while_unbound == 0, text + f" counted while unbound={sent_while_unbound}"


    # 12 and on: hostile messages among normal hellos. Each scenario publishes the suite's
    # size of normal hellos in the background and its hostile messages in between.
    HOSTILE = 20

    def background_hellos(self, s, *consumer_arguments):
        n = self.messages
        consumer = s.consumer(*consumer_arguments)
        return n, consumer, s.publish(n, rate=max(n // 4, 200), background=True)

    # 12
    def long_ids(self, s):
        n, consumer, publisher = self.background_hellos(s)
        s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-long-{i}-".ljust(250 + i % 6, "x")) for i in range(self.HOSTILE)])
        publisher.wait()
        expected = n + self.HOSTILE
        return s.hostile_figures(consumer, expected, expected, expected)

    # 13
    def bogus_direct_reply_to(self, s):
        n, consumer, publisher = self.background_hellos(s)
        half = self.HOSTILE // 2
        # RabbitMQ 3.10 drops the publishing connection over the first kind (541
        # INTERNAL_ERROR); the second is merely unroutable, so its reply is dropped.
        dropping = [s.hostile_hello(f"{s.id_prefix}-direct-{i}", reply_to=f"amq.rabbitmq.reply-to.g2gDZA{i}.x") for i in range(half)]
        unroutable = [s.hostile_hello(f"{s.id_prefix}-plain-{i}", reply_to=f"amq.rabbitmq.reply-to.bogus{i}") for i in range(half)]
        s.publish_hostile([m for pair in zip(dropping, unroutable) for m in pair])
        publisher.wait()
        reconnects = consumer.log_text().count("consuming") - 1
        return s.hostile_figures(consumer, n + self.HOSTILE, n, n, dead=half, reason="reply_closed_channel",
                                 extra=f" reconnects={reconnects}", one_copy_each=False)

    # 14
    def empty_ids(self, s):
        n, consumer, publisher = self.background_hellos(s)
        s.publish_hostile([s.hostile_hello("") for _ in range(self.HOSTILE)])
        publisher.wait()
        expected = n + self.HOSTILE
        return s.hostile_figures(consumer, expected, expected, expected)

    # 15
    def invalid_utf8_ids(self, s):
        n, consumer, publisher = self.background_hellos(s)
        # pika sends bytes as they are (a str would go as UTF-8).
        ids = [bytes([0xFF, 0xFE, i]) + s.id_prefix.encode() for i in range(self.HOSTILE)]
        s.publish_hostile([s.hostile_hello(i) for i in ids], spread=0)
        publisher.wait()
        expected = n + self.HOSTILE
        return s.hostile_figures(consumer, expected, expected, expected)

    # 16
    def reply_to_inbound_queue(self, s):
        n, consumer, publisher = self.background_hellos(s)
        s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-loop-{i}", reply_to=s.queue) for i in range(self.HOSTILE)])
        publisher.wait()
        expected = n + self.HOSTILE
        return s.hostile_figures(consumer, expected, expected, expected)

    # 17
    def refusing_requester(self, s):
        requester = f"{s.queue}-full"
        channel = self.broker.channel()
        channel.queue_declare(requester, arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
        channel.connection.close()
        n, consumer, publisher = self.background_hellos(s)
        started = time.monotonic()
        s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-refused-{i}", reply_to=requester) for i in range(self.HOSTILE)])
        publisher.wait()
        wait_until(120, lambda: s.counts()[1] >= n, step=0.1)
        drained = time.monotonic() - started
        ok, text = s.hostile_figures(consumer, n + self.HOSTILE, n, n, dead=self.HOSTILE, reason="reply_refused",
                                     extra=f" normal hellos done in {drained:.1f} s")
        channel = self.broker.channel()
        channel.queue_delete(requester)
        channel.connection.close()
        return ok, text

    # 18
    def huge_bodies(self, s):
        n, consumer, publisher = self.background_hellos(s)
        size = self.huge_megabytes << 20
        s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-huge-{i}", body=b"\xab" * size) for i in range(self.huge_count)], spread=0)
        publisher.wait()
        ok, text = s.hostile_figures(consumer, n, n, n, dead=self.huge_count, reason="too_large")
        peak = consumer.peak_rss_mb()
        return ok and peak < 64, text + f" {self.huge_count}x{self.huge_megabytes} MiB, consumer peak RSS={peak:.1f} MB (limit 64)"

    # 19
    def duplicates_in_a_batch(self, s):
        n, consumer, publisher = self.background_hellos(s)
        s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-dup-{i}") for i in range(self.HOSTILE) for _ in range(3)], spread=0)
        publisher.wait()
        expected = n + self.HOSTILE
        return s.hostile_figures(consumer, expected, expected, expected)

    SCENARIOS = [
        (1, "consumer SIGKILLed at random moments, restarted each time", "consumer_kills"),
        (2, "RabbitMQ restarted mid-stream", "broker_restart"),
        (3, "Redis restarted mid-stream (append-only)", "redis_restart"),
        (4, "Redis frozen 5 s (SIGSTOP) mid-stream", "redis_freeze"),
        (5, "two consumers, one SIGKILLed mid-stream", "two_consumers"),
        (6, "hellos, non-hellos and bad messages, one consumer kill", "mixed_stream"),
        (7, "publisher-side duplicates (same message_id again)", "publisher_duplicates"),
        (8, "Redis SIGKILLed three times (appendfsync always)", "redis_kills"),
        (9, "rabbitmqctl close_all_connections five times", "closed_connections"),
        (10, "inbound queue deleted under the consumer", "queue_deleted"),
        (11, "reply binding removed for a while", "binding_removed"),
        (12, "hellos with 250-byte message ids among them", "long_ids"),
        (13, "hellos whose direct reply-to names drop the connection or route nowhere", "bogus_direct_reply_to"),
        (14, "hellos with an empty message_id", "empty_ids"),
        (15, "hellos whose message ids are not UTF-8", "invalid_utf8_ids"),
        (16, "hellos whose reply_to is the inbound queue", "reply_to_inbound_queue"),
        (17, "hellos whose requester queue refuses every reply", "refusing_requester"),
        (18, "huge hellos", "huge_bodies"),
        (19, "the same hello three times in one batch", "duplicates_in_a_batch"),
    ]

    def run(self, only):
        for number, title, method in self.SCENARIOS:
            if only and number not in only:
                continue
            started = time.monotonic()
            scenario = Scenario(self, number)
            try:
                ok, text = getattr(self, method)(scenario)
            except Exception as error:  # a broken scenario is a failed one, with its reason
                ok, text = False, f"error: {error!r}"
            finally:
                scenario.close()
            self.report(number, title if number != 1 else f"consumer SIGKILLed {self.kills}x during {self.messages} hellos", ok, text, started)
        self.redis.stop()
        return self.failures


def http_get(port, path):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, None
    except OSError as error:
        return 0, error


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--amqp-port", type=int, required=True)
    parser.add_argument("--rabbitmq-dir", required=True)
    parser.add_argument("--ci", action="store_true", help="the smaller size scripts/test runs")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--kills", type=int)
    parser.add_argument("--only", help="comma-separated scenario numbers")
    options = parser.parse_args()
    options.messages = options.messages or (2000 if options.ci else 20000)
    options.kills = options.kills or (3 if options.ci else 10)
    only = {int(x) for x in options.only.split(",")} if options.only else set()
    print(f"fault suite: {options.messages} hellos per scenario, {options.kills} consumer kills", flush=True)
    failures = Suite(options).run(only)
    total = len(only) if only else len(Suite.SCENARIOS)
    print(f"faults: {total - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
