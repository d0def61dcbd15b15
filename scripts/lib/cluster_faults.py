#!/usr/bin/env python3
"""The cluster scenarios of scripts/faults --cluster.

The `consumer` and `publish` binaries against a three-node RabbitMQ cluster (quorum queues,
`amqp.urls`) started by scripts/cluster; nodes are SIGKILLed or restarted mid-stream, and each
scenario ends with the suite's usual checks: both counters exact, the inbound queue empty,
distinct reply ids = hellos. One line per scenario; the exit code is the number that failed.
"""
import os
import signal
import subprocess
import time

from faults import Scenario, Suite, run_suite, suite_arguments
from harness import Broker, RedisServer, wait_until

SERVICES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "services.sh")


class Node:
    """One RabbitMQ node of the cluster scripts/cluster started."""

    def __init__(self, directory, port):
        self.port = port
        self.directory = os.path.join(directory, f"rabbit-{port}")
        self.name = f"biggoal-{port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{port}/%2F"

    def broker(self):
        return Broker(self.port, self.directory)

    def running(self):
        result = subprocess.run(["bash", "-c", f"source '{SERVICES}' && rabbitmqctl_for '{self.directory}' {self.port} ping"],
                                capture_output=True, text=True, timeout=60)
        return result.returncode == 0

    def kill(self):
        """SIGKILL of the node's Erlang VM, as a crash or a power cut would end it."""
        with open(os.path.join(self.directory, "rabbitmq.pid")) as f:
            os.kill(int(f.read().strip()), signal.SIGKILL)
        wait_until(30, lambda: not self.running(), step=0.2)

    def start(self):
        """Starts the node again; it rejoins the cluster it belongs to."""
        subprocess.run(["bash", "-c", f"source '{SERVICES}' && start_rabbitmq '{self.directory}' {self.port}"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)

    def restart_app(self):
        """A rolling restart's step: the node stops its RabbitMQ application and starts it."""
        for command in ("stop_app", "start_app"):
            subprocess.run(["bash", "-c", f"source '{SERVICES}' && rabbitmqctl_for '{self.directory}' {self.port} {command}"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)


class ClusterBroker:
    """The suite's view of the broker: any running node answers for the cluster."""

    def __init__(self, nodes):
        self.nodes = nodes

    def live(self):
        for node in self.nodes:
            if node.running():
                return node.broker()
        raise RuntimeError("no cluster node is running")

    @property
    def url(self):
        return self.live().url

    def depth(self, queue):
        return self.live().depth(queue)

    def reply_ids(self, queue):
        return self.live().reply_ids(queue)

    def channel(self):
        return self.live().channel()

    def ctl(self, *arguments):
        return self.live().ctl(*arguments)

    def leader(self, queue):
        """The node holding `queue`'s quorum leader."""
        for line in self.ctl("list_queues", "-q", "name", "leader").splitlines():
            fields = line.split("\t")
            if fields[0] == queue:
                return next(node for node in self.nodes if node.name == fields[1])
        raise RuntimeError(f"no leader found for {queue}")


class ClusterScenario(Scenario):
    """A scenario whose consumer uses the cluster's nodes and quorum queues."""

    def urls(self, first):
        order = self.suite.nodes[first:] + self.suite.nodes[:first]
        return ",".join(node.url for node in order)

    def consumer(self, *extra, node=0):
        return super().consumer("--amqp-urls", self.urls(node), "--amqp-url-order", "ordered", "--amqp-queue-type", "quorum", *extra)


def run_publisher(s, n, node, rate):
    """Publishes `n` hellos through `node` first in the background; a publisher that lost its
    connection publishes the whole stream again with the same ids, as a retrying one would."""
    arguments = [os.path.join(s.suite.bin, "publish"), "--amqp-urls", s.urls(node), "--amqp-url-order", "ordered",
                 "--amqp-queue-type", "quorum", "--queue", s.queue, "--count", str(n), "--id-prefix", s.id_prefix, "--rate", str(rate)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIGGOAL_")}
    return arguments, env, subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def finish_publishing(publisher):
    arguments, env, process = publisher
    process.wait()
    if process.returncode != 0:
        subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL, env=env)


def node_killed_under_consumers(suite, s, consumer_nodes):
    """Consumers start on `consumer_nodes`, the publisher on the last node; node 0 is
    SIGKILLed 1.5 s into the stream and started again once the stream is counted."""
    n = suite.messages
    consumers = [s.consumer(node=node) for node in consumer_nodes]
    publisher = run_publisher(s, n, node=2, rate=max(n // 6, 200))
    time.sleep(1.5)
    suite.nodes[0].kill()
    finish_publishing(publisher)
    s.settle(n)
    suite.nodes[0].start()
    ok, text = s.figures(n)
    alive = all(consumer.alive() for consumer in consumers)
    reconnects = sum(consumer.log_text().count("consuming") - 1 for consumer in consumers)
    return ok and alive, text + f" consumers alive={alive} reconnects={reconnects}"


def consumer_node_killed(suite, s):
    return node_killed_under_consumers(suite, s, [0])


def leader_node_killed(suite, s):
    n = suite.messages
    # The queue exists before the consumer, so its leader is known; the consumer is then put
    # on another node, the publisher on the third.
    finish_publishing(run_publisher(s, 0, node=0, rate=100))
    leader = suite.broker.leader(s.queue)
    others = [index for index, node in enumerate(suite.nodes) if node is not leader]
    consumer = s.consumer(node=others[0])
    publisher = run_publisher(s, n, node=others[1], rate=max(n // 6, 200))
    time.sleep(1.5)
    leader.kill()
    finish_publishing(publisher)
    s.settle(n)
    leader.start()
    ok, text = s.figures(n)
    return ok and consumer.alive(), text + f" leader was {leader.name} consumer alive={consumer.alive()}"


def rolling_restart(suite, s):
    n = suite.messages
    consumer = s.consumer(node=0)
    publisher = run_publisher(s, n, node=1, rate=max(n // 12, 100))
    for node in suite.nodes:
        time.sleep(1)
        node.restart_app()
        wait_until(60, node.running, step=0.5)
    finish_publishing(publisher)
    s.settle(n)
    ok, text = s.figures(n)
    return ok and consumer.alive(), text + f" consumer alive={consumer.alive()} sessions={consumer.log_text().count('consuming')}"


def two_consumers_node_killed(suite, s):
    return node_killed_under_consumers(suite, s, [0, 1])


class ClusterSuite(Suite):
    SCENARIOS = [
        (1, "the consumer's RabbitMQ node SIGKILLed mid-stream (quorum queues)", consumer_node_killed),
        (2, "the node holding the inbound queue's quorum leader SIGKILLed mid-stream", leader_node_killed),
        (3, "rolling restart of all three nodes during the stream", rolling_restart),
        (6, "two consumers on different nodes, one node SIGKILLed", two_consumers_node_killed),
    ]

    def __init__(self, options):
        self.bin = options.bin
        self.work = options.work
        self.messages = options.messages
        self.nodes = [Node(options.cluster_dir, int(port)) for port in options.rabbit_ports.split()]
        self.broker = ClusterBroker(self.nodes)
        self.redis = RedisServer(options.work)
        self.failures = 0

    LABEL = "C"

    def scenario(self, number):
        return ClusterScenario(self, 100 + number)

    def title(self, number, title):
        return title

    def tidy(self):
        for node in self.nodes:
            if not node.running():
                node.start()


def main():
    parser = suite_arguments(__doc__)
    parser.add_argument("--cluster-dir", required=True)
    parser.add_argument("--rabbit-ports", required=True)
    options = parser.parse_args()
    options.messages = options.messages or (2000 if options.ci else 20000)
    run_suite(options, ClusterSuite(options), f"cluster fault suite: {options.messages} hellos per scenario, 3 RabbitMQ nodes, "
              "quorum queues", "cluster faults")


if __name__ == "__main__":
    main()
