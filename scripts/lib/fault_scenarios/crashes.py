"""Scenarios where the consumer itself dies: killed at random moments, or one of two killed."""
import random
import signal
import time


def consumer_kills(suite, s):
    n = suite.messages
    consumer = s.consumer()
    publisher = s.publish(n, rate=max(n // 8, 200), background=True)
    for _ in range(suite.kills):
        time.sleep(random.uniform(0.1, 8.0 / suite.kills))
        consumer.kill(signal.SIGKILL)
        consumer = s.consumer()
    publisher.wait()
    s.settle(n)
    return s.figures(n)


def two_consumers(suite, s):
    n = suite.messages
    first = s.consumer()
    s.consumer()
    publisher = s.publish(n, rate=max(n // 6, 200), background=True)
    time.sleep(random.uniform(1, 3))
    first.kill(signal.SIGKILL)
    publisher.wait()
    s.settle(n)
    return s.figures(n)
