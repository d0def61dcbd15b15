"""Scenarios with hostile hellos among normal ones: each publishes a background stream of hellos,
slips in the hostile ones and checks exact counts, the dead-letter queue and a quiet log."""
import time

from harness import wait_until

# Hostile messages slipped into each stream.
HOSTILE = 20


def background_hellos(suite, s, *consumer_arguments):
    n = suite.messages
    consumer = s.consumer(*consumer_arguments)
    return n, consumer, s.publish(n, rate=max(n // 4, 200), background=True)


def long_ids(suite, s):
    n, consumer, publisher = background_hellos(suite, s)
    s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-long-{i}-".ljust(250 + i % 6, "x")) for i in range(HOSTILE)])
    publisher.wait()
    expected = n + HOSTILE
    return s.hostile_figures(consumer, expected, expected, expected)


def bogus_direct_reply_to(suite, s):
    n, consumer, publisher = background_hellos(suite, s)
    half = HOSTILE // 2
    # RabbitMQ 3.10 drops the publishing connection over the first kind (541
    # INTERNAL_ERROR); the second is merely unroutable, so its reply is dropped.
    dropping = [s.hostile_hello(f"{s.id_prefix}-direct-{i}", reply_to=f"amq.rabbitmq.reply-to.g2gDZA{i}.x") for i in range(half)]
    unroutable = [s.hostile_hello(f"{s.id_prefix}-plain-{i}", reply_to=f"amq.rabbitmq.reply-to.bogus{i}") for i in range(half)]
    s.publish_hostile([m for pair in zip(dropping, unroutable) for m in pair])
    publisher.wait()
    reconnects = consumer.log_text().count("consuming") - 1
    return s.hostile_figures(consumer, n + HOSTILE, n, n, dead=half, reason="reply_closed_channel",
                             extra=f" reconnects={reconnects}", one_copy_each=False)


def empty_ids(suite, s):
    n, consumer, publisher = background_hellos(suite, s)
    s.publish_hostile([s.hostile_hello("") for _ in range(HOSTILE)])
    publisher.wait()
    expected = n + HOSTILE
    return s.hostile_figures(consumer, expected, expected, expected)


def invalid_utf8_ids(suite, s):
    n, consumer, publisher = background_hellos(suite, s)
    # pika sends bytes as they are (a str would go as UTF-8).
    ids = [bytes([0xFF, 0xFE, i]) + s.id_prefix.encode() for i in range(HOSTILE)]
    s.publish_hostile([s.hostile_hello(i) for i in ids], spread=0)
    publisher.wait()
    expected = n + HOSTILE
    return s.hostile_figures(consumer, expected, expected, expected)


def reply_to_inbound_queue(suite, s):
    n, consumer, publisher = background_hellos(suite, s)
    s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-loop-{i}", reply_to=s.queue) for i in range(HOSTILE)])
    publisher.wait()
    expected = n + HOSTILE
    return s.hostile_figures(consumer, expected, expected, expected)


def refusing_requester(suite, s):
    requester = f"{s.queue}-full"
    channel = suite.broker.channel()
    channel.queue_declare(requester, arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    channel.connection.close()
    n, consumer, publisher = background_hellos(suite, s)
    started = time.monotonic()
    s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-refused-{i}", reply_to=requester) for i in range(HOSTILE)])
    publisher.wait()
    wait_until(120, lambda: s.counts()[1] >= n, step=0.1)
    drained = time.monotonic() - started
    ok, text = s.hostile_figures(consumer, n + HOSTILE, n, n, dead=HOSTILE, reason="reply_refused",
                                 extra=f" normal hellos done in {drained:.1f} s")
    channel = suite.broker.channel()
    channel.queue_delete(requester)
    channel.connection.close()
    return ok, text


def huge_bodies(suite, s):
    n, consumer, publisher = background_hellos(suite, s)
    size = suite.huge_megabytes << 20
    s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-huge-{i}", body=b"\xab" * size) for i in range(suite.huge_count)], spread=0)
    publisher.wait()
    ok, text = s.hostile_figures(consumer, n, n, n, dead=suite.huge_count, reason="too_large")
    peak = consumer.peak_rss_mb()
    return ok and peak < 64, text + f" {suite.huge_count}x{suite.huge_megabytes} MiB, consumer peak RSS={peak:.1f} MB (limit 64)"


def duplicates_in_a_batch(suite, s):
    # One channel, so that the copies share a batch: over two, the broker deals them out to
    # both lanes, each of which answers (with the same reply id; counting stays exact, as
    # scenario 7 shows with the default channels).
    n, consumer, publisher = background_hellos(suite, s, "--amqp-channels", "1")
    s.publish_hostile([s.hostile_hello(f"{s.id_prefix}-dup-{i}") for i in range(HOSTILE) for _ in range(3)], spread=0)
    publisher.wait()
    expected = n + HOSTILE
    return s.hostile_figures(consumer, expected, expected, expected)
