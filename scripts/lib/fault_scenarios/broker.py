"""Scenarios where RabbitMQ misbehaves: restarted, connections closed, the queue or the reply binding taken away."""
import random
import time

from harness import wait_until


def broker_restart(suite, s):
    n = suite.messages
    consumer = s.consumer()
    publisher = s.publish(n, rate=max(n // 6, 200), background=True)
    time.sleep(1.5)
    suite.broker.ctl("stop_app")
    time.sleep(1)
    suite.broker.ctl("start_app")
    publisher.wait()
    if publisher.returncode != 0:
        # The publisher itself lost its connection in the restart: it publishes the whole
        # stream again with the same ids, as a retrying publisher would.
        s.publish(n, prefix=s.id_prefix)
    s.settle(n)
    ok, text = s.figures(n)
    return ok and consumer.alive(), text + f" consumer alive={consumer.alive()}"


def closed_connections(suite, s):
    n = suite.messages
    consumer = s.consumer()
    publisher = s.publish(n, rate=max(n // 8, 200), background=True)
    for _ in range(5):
        time.sleep(random.uniform(0.3, 1.0))
        suite.broker.ctl("close_all_connections", "'fault suite'")
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


def queue_deleted(suite, s):
    n = max(suite.messages // 4, 100)
    consumer = s.consumer()
    s.publish(n)
    s.settle(n)
    channel = suite.broker.channel()
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


def binding_removed(suite, s):
    n = max(suite.messages // 4, 100)
    s.consumer()
    s.publish(n)
    s.settle(n)
    channel = suite.broker.channel()
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
