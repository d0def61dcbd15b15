"""The consumer's part of scripts/bench: draining a backlog of hellos end to end, interleaved
with the broker's own ceiling for the same work (the `ceiling` program: the consumer's own
pipeline counting nothing) and the same without confirms for scale; and the consumer's memory
with huge hellos among the normal ones."""
import os
import re
import subprocess
import sys
import time
import uuid

import pika
import redis

from harness import Service, rss_kib


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


class ConsumerBench:
    """One run's consumer measurements, against the run's broker and Redis."""

    def __init__(self, options, hellos, redis_port, link=None, admin_url=None, redis_link=None):
        self.options = options
        self.hellos = hellos
        # How `publish` and `consumer` reach the broker and Redis: by default the run's single
        # node and Redis; a cluster's node list, queue type and Sentinels otherwise.
        self.link = link or ["--amqp-url", options.amqp_url]
        self.admin_url = admin_url or options.amqp_url
        self.redis_link = redis_link or ["--redis-url", f"redis://127.0.0.1:{redis_port}/0"]
        # One kept-open connection: polling a counter every few milliseconds while the
        # consumer drains must not cost a process start each time.
        self.redis = redis.Redis(port=redis_port)
        self.redis_port = redis_port
        # Huge hellos among the normal ones (the broker's limit is 128 MiB): they are
        # dead-lettered unread, so the consumer's peak must stay where it is without them.
        self.huge_count, self.huge_mib = (5, 100) if options.quick else (20, 100)

    def count(self, key):
        return int(self.redis.get(key) or 0)

    def publish(self, queue, count=None, *flags):
        subprocess.run([os.path.join(self.options.bin, "publish"), *self.link, "--queue", queue,
                        "--count", str(count or self.hellos), *flags], check=True, stdout=subprocess.DEVNULL)

    def start_consumer(self, queue, *flags, tls=False):
        link = self.link if not tls else [
            "--amqp-url", self.options.amqps_url, "--amqp-tls-ca-file", f"{self.options.tls_dir}/ca.pem",
            "--amqp-tls-cert-file", f"{self.options.tls_dir}/client.pem", "--amqp-tls-key-file", f"{self.options.tls_dir}/client.key"]
        return Service([os.path.join(self.options.bin, "consumer"), *link,
                        *self.redis_link, "--amqp-queue", queue,
                        "--redis-received-key", f"{queue}:received", "--redis-sent-key", f"{queue}:sent",
                        "--amqp-reply-queue", f"{queue}-sent", "--amqp-reply-exchange", f"{queue}-x",
                        "--consumer-metrics-port", "0", *flags])

    def ceiling(self, prefetch, *flags):
        """The `ceiling` program's rate draining a backlog, in msg/s."""
        queue = f"ceiling-{uuid.uuid4().hex[:6]}"
        self.publish(queue)
        out = subprocess.run([os.path.join(self.options.bin, "ceiling"), "--amqp-url", self.options.amqp_url, "--queue", queue,
                              "--count", str(self.hellos), "--prefetch", str(prefetch), *flags],
                             check=True, capture_output=True, text=True).stdout
        delete_queues(self.options.amqp_url, [queue, f"{queue}-ceiling-replies"], [f"{queue}-ceiling-x"])
        return float(re.search(r"\((\d+) msg/s\)", out).group(1))

    def consumer(self, prefetch, *flags, tls=False):
        """The consumer's rate draining a backlog, in msg/s, and its peak RSS meanwhile (KiB);
        with `tls`, its broker link is amqps://."""
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        self.publish(queue)
        launched = time.monotonic()
        service = self.start_consumer(queue, "--amqp-prefetch", str(prefetch), *flags, tls=tls)
        # The clock starts at the first counted hello, as `ceiling`'s starts at its first
        # delivery: both rates are the draining rate, without connecting and declaring.
        while self.count(f"{queue}:received") == 0 and time.monotonic() - launched < 60:
            time.sleep(0.002)
        started = time.monotonic()
        peak = 0
        while self.count(f"{queue}:sent") < self.hellos and time.monotonic() - started < 300:
            peak = max(peak, rss_kib(service.pid))
            time.sleep(0.005)
        rate = self.hellos / (time.monotonic() - started)
        service.stop()
        delete_queues(self.admin_url, [queue, f"{queue}-sent", f"{queue}.dead"], [f"{queue}-x"])
        return rate, peak

    def reference(self, prefetch, count):
        """The pika reference consumer's rate draining `count` hellos, in msg/s, clocked as the
        consumer is: from its first counted hello to the last reply counted."""
        queue = f"reference-{uuid.uuid4().hex[:6]}"
        self.publish(queue, count)
        launched = time.monotonic()
        service = Service([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_consumer.py"),
                           "--amqp-url", self.options.amqp_url, "--queue", queue, "--redis-port", str(self.redis_port),
                           "--received-key", f"{queue}:received", "--sent-key", f"{queue}:sent",
                           "--reply-exchange", f"{queue}-x", "--prefetch", str(prefetch)])
        while self.count(f"{queue}:received") == 0 and time.monotonic() - launched < 60:
            time.sleep(0.002)
        started = time.monotonic()
        while self.count(f"{queue}:sent") < count and time.monotonic() - started < 600:
            time.sleep(0.005)
        rate = count / (time.monotonic() - started)
        service.stop()
        delete_queues(self.options.amqp_url, [queue, f"{queue}-replies"], [f"{queue}-x"])
        return rate

    def hostile_drain(self):
        """The consumer's peak RSS (VmHWM, KiB) draining hellos with huge ones among them;
        with how many it answered, how many it should have, and how many were dead-lettered."""
        queue = f"bench-huge-{uuid.uuid4().hex[:6]}"
        connection = pika.BlockingConnection(pika.URLParameters(self.options.amqp_url))
        channel = connection.channel()
        channel.queue_declare(queue, durable=True)
        huge = b"\xab" * (self.huge_mib << 20)
        for index in range(self.huge_count):
            self.publish(queue, self.hellos // self.huge_count, "--id-prefix", f"{queue}-{index}")
            channel.basic_publish("", queue, huge, pika.BasicProperties(headers={"type": "hello"}, message_id=f"{queue}-huge-{index}"))
        connection.close()
        del huge
        service = self.start_consumer(queue)
        started = time.monotonic()
        expected = self.hellos // self.huge_count * self.huge_count
        while self.count(f"{queue}:sent") < expected and time.monotonic() - started < 600:
            time.sleep(0.05)
        peak = rss_kib(service.pid, "VmHWM")
        counted = self.count(f"{queue}:sent")
        service.stop()
        connection = pika.BlockingConnection(pika.URLParameters(self.options.amqp_url))
        dead = connection.channel().queue_declare(f"{queue}.dead", passive=True).method.message_count
        connection.close()
        delete_queues(self.options.amqp_url, [queue, f"{queue}-sent", f"{queue}.dead"], [f"{queue}-x"])
        return peak, counted, expected, dead
