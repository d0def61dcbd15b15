"""Scenarios about what publishers send: mixed and bad messages, duplicates."""
import pika
import random
import signal
import time

from harness import wait_until


def mixed_stream(suite, s):
    n = suite.messages
    consumer = s.consumer()
    channel = suite.broker.channel()
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
    dead = suite.broker.depth(f"{s.queue}.dead")
    return ok and dead == 1 and consumer.alive(), text + f" non-hellos={n // 4 + len(bad) - hellos_in_bad - 1} dead-lettered={dead} consumer alive={consumer.alive()}"


def publisher_duplicates(suite, s):
    n = suite.messages
    s.consumer()
    s.publish(n)
    s.settle(n)
    s.publish(n // 5, prefix=s.id_prefix)
    wait_until(60, lambda: suite.broker.depth(s.queue) == 0, step=0.2)
    time.sleep(1)
    ok, text = s.figures(n)
    return ok, text + f" republished={n // 5}"
