#!/usr/bin/env python3
"""The scenarios of scripts/faults.

Each scenario gets queue, exchange, counter and dedupe names of its own, publishes hellos with
unique ids through the `publish` binary, breaks something while the `consumer` binary works,
and ends by checking received_hello, sent_hello, the inbound queue depth and the number of
distinct reply ids. It prints one line with its figures; the exit code is the number of
scenarios that failed.
"""
import argparse
import os
import signal
import subprocess
import sys
import time
import uuid

import pika

from fault_scenarios import broker, crashes, hostile, redis_faults, streams
from harness import Broker, Process, RedisServer, free_port, port_open, wait_until


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
        self.redis = RedisServer(options.work)
        self.broker = Broker(options.amqp_port, options.rabbitmq_dir)
        self.failures = 0

    def report(self, number, title, ok, text, started):
        status = "PASS" if ok else "FAIL"
        if not ok:
            self.failures += 1
        print(f"{status} {self.LABEL + str(number):>2}. {title}: {text} [{time.monotonic() - started:.1f} s]", flush=True)

    SCENARIOS = [
        (1, "consumer SIGKILLed at random moments, restarted each time", crashes.consumer_kills),
        (2, "RabbitMQ restarted mid-stream", broker.broker_restart),
        (3, "Redis restarted mid-stream (append-only)", redis_faults.redis_restart),
        (4, "Redis frozen 5 s (SIGSTOP) mid-stream", redis_faults.redis_freeze),
        (5, "two consumers, one SIGKILLed mid-stream", crashes.two_consumers),
        (6, "hellos, non-hellos and bad messages, one consumer kill", streams.mixed_stream),
        (7, "publisher-side duplicates (same message_id again)", streams.publisher_duplicates),
        (8, "Redis SIGKILLed three times (appendfsync always)", redis_faults.redis_kills),
        (9, "rabbitmqctl close_all_connections five times", broker.closed_connections),
        (10, "inbound queue deleted under the consumer", broker.queue_deleted),
        (11, "reply binding removed for a while", broker.binding_removed),
        (12, "hellos with 250-byte message ids among them", hostile.long_ids),
        (13, "hellos whose direct reply-to names drop the connection or route nowhere", hostile.bogus_direct_reply_to),
        (14, "hellos with an empty message_id", hostile.empty_ids),
        (15, "hellos whose message ids are not UTF-8", hostile.invalid_utf8_ids),
        (16, "hellos whose reply_to is the inbound queue", hostile.reply_to_inbound_queue),
        (17, "hellos whose requester queue refuses every reply", hostile.refusing_requester),
        (18, "huge hellos", hostile.huge_bodies),
        (19, "the same hello three times in one batch", hostile.duplicates_in_a_batch),
    ]

    # What a suite of another kind (the cluster one) changes of the run below.
    LABEL = ""

    def scenario(self, number):
        return Scenario(self, number)

    def title(self, number, title):
        return title if number != 1 else f"consumer SIGKILLed {self.kills}x during {self.messages} hellos"

    def tidy(self):
        """Puts what a scenario broke back in place before the next one."""

    def run(self, only):
        for number, title, method in self.SCENARIOS:
            if only and number not in only:
                continue
            started = time.monotonic()
            scenario = self.scenario(number)
            try:
                ok, text = method(self, scenario)
            except Exception as error:  # a broken scenario is a failed one, with its reason
                ok, text = False, f"error: {error!r}"
            finally:
                scenario.close()
                self.tidy()
            self.report(number, self.title(number, title), ok, text, started)
        self.redis.stop()
        return self.failures


def suite_arguments(description):
    """The options every fault suite takes: binaries, work folder, size, a selection."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--ci", action="store_true", help="the smaller size scripts/test runs")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--only", help="comma-separated scenario numbers")
    return parser


def run_suite(options, suite, banner, label):
    """Runs the selected scenarios of `suite`, prints the tally and exits with its verdict."""
    only = {int(x) for x in options.only.split(",")} if options.only else set()
    print(banner, flush=True)
    failures = suite.run(only)
    total = len(only) if only else len(suite.SCENARIOS)
    print(f"{label}: {total - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


def main():
    parser = suite_arguments(__doc__)
    parser.add_argument("--amqp-port", type=int, required=True)
    parser.add_argument("--rabbitmq-dir", required=True)
    parser.add_argument("--kills", type=int)
    options = parser.parse_args()
    options.messages = options.messages or (2000 if options.ci else 20000)
    options.kills = options.kills or (3 if options.ci else 10)
    run_suite(options, Suite(options), f"fault suite: {options.messages} hellos per scenario, {options.kills} consumer kills", "faults")


if __name__ == "__main__":
    main()
