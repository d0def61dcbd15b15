"""Scenarios where Redis misbehaves: restarted, frozen, killed."""
import random
import signal
import time

from harness import http_get, wait_until


def redis_restart(suite, s):
    n = suite.messages
    s.consumer()
    publisher = s.publish(n, rate=max(n // 6, 200), background=True)
    time.sleep(1.5)
    suite.redis.kill(signal.SIGTERM)
    time.sleep(0.5)
    suite.redis.start()
    publisher.wait()
    s.settle(n)
    return s.figures(n)


def redis_freeze(suite, s):
    n = suite.messages
    s.consumer()
    api = s.api()
    publisher = s.publish(n, rate=max(n // 8, 200), background=True)
    time.sleep(1)
    suite.redis.freeze()
    frozen_at = time.monotonic()
    worst_ping, counter_statuses = 0.0, set()
    while time.monotonic() - frozen_at < 5:
        started = time.monotonic()
        status, _ = http_get(api.port, "/ping")
        worst_ping = max(worst_ping, time.monotonic() - started)
        counter_statuses.add(http_get(api.port, "/api/v1/receive/messages/hello")[0])
        time.sleep(0.05)
    suite.redis.thaw()
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


def redis_kills(suite, s):
    n = suite.messages
    s.consumer()
    api = s.api()
    s.publish(n)
    acked_while_down, api_200_while_down = 0, 0
    for _ in range(3):
        time.sleep(random.uniform(0.2, 1.0))
        suite.redis.kill(signal.SIGKILL)
        before = suite.broker.depth(s.queue)
        for _ in range(10):
            if http_get(api.port, "/api/v1/receive/messages/hello")[0] == 200:
                api_200_while_down += 1
            time.sleep(0.05)
        after = suite.broker.depth(s.queue)
        acked_while_down += max(0, before - after)
        suite.redis.start()
    s.settle(n)
    ok, text = s.figures(n)
    api.kill(signal.SIGTERM)
    ok = ok and acked_while_down == 0 and api_200_while_down == 0
    return ok, text + f" acked while down={acked_while_down} api 200 while down={api_200_while_down}"
