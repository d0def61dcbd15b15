#!/usr/bin/env python3
"""A third-party reference for scripts/bench: the consumer's work written the way a Python
service would, with pika (the library RabbitMQ's own tutorials use) and redis-py. For each
hello: INCR the received counter, publish the reply on a confirmed channel, INCR the sent
counter once the broker confirmed it, acknowledge the delivery.

Configured at its best within that model: a prefetch window, the deliveries taken a window at
a time, the INCRs of a window sent in one Redis pipeline, one acknowledgement (`multiple`) per
window. pika's blocking connection waits for each publish's confirm, which is its own limit.
Runs until stopped; scripts/bench measures it by the counters it moves.
"""
import argparse

import pika
import redis


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--received-key", required=True)
    parser.add_argument("--sent-key", required=True)
    parser.add_argument("--reply-exchange", required=True)
    parser.add_argument("--prefetch", type=int, default=100)
    options = parser.parse_args()

    counters = redis.Redis(port=options.redis_port)
    connection = pika.BlockingConnection(pika.URLParameters(options.amqp_url))
    deliveries = connection.channel()
    deliveries.basic_qos(prefetch_count=options.prefetch)
    deliveries.queue_declare(options.queue, durable=True)
    replies = connection.channel()
    replies.confirm_delivery()
    replies.exchange_declare(options.reply_exchange, "direct", durable=True)
    replies.queue_declare(options.queue + "-replies", durable=True)
    replies.queue_bind(options.queue + "-replies", options.reply_exchange, "reply")

    window = []
    for method, properties, _ in deliveries.consume(options.queue, inactivity_timeout=0.01):
        if method is not None:
            window.append((method, properties))
            if len(window) < options.prefetch:
                continue
        if not window:
            continue
        hellos = [(m, p) for m, p in window if p.type == "hello" or (p.headers or {}).get("type") == "hello"]
        pipeline = counters.pipeline(transaction=False)
        for _ in hellos:
            pipeline.incr(options.received_key)
        pipeline.execute()
        confirmed = 0
        for _, hello in hellos:
            reply = pika.BasicProperties(delivery_mode=2, correlation_id=hello.message_id, message_id=f"reply-{hello.message_id}",
                                         type="reply", app_id="reference")
            replies.basic_publish(options.reply_exchange, "reply", "И тебе привет!".encode(), reply)  # returns once confirmed
            confirmed += 1
        pipeline = counters.pipeline(transaction=False)
        for _ in range(confirmed):
            pipeline.incr(options.sent_key)
        pipeline.execute()
        deliveries.basic_ack(window[-1][0].delivery_tag, multiple=True)
        window = []


if __name__ == "__main__":
    main()
