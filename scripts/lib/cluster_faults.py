#!/usr/bin/env python3
"""The cluster scenarios of scripts/faults --cluster.

The `consumer`, `api` and `publish` binaries against what scripts/cluster starts: a three-node
RabbitMQ cluster (quorum queues, `amqp.urls`) and a Redis master with a replica under three
Sentinels (`redis.sentinels`). Nodes are SIGKILLed or restarted mid-stream, and each scenario
ends with the suite's usual checks: both counters exact, the inbound queue empty, distinct
reply ids = hellos. One line per scenario; the exit code is the number that failed.
"""
import http.client
import os
import signal
import subprocess
import threading
import time
import uuid

import redis

from faults import Scenario, Suite, run_suite, suite_arguments
from harness import Broker, Process, free_port, port_open, wait_until

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


class SentinelRedis:
    """The Redis master and replica scripts/cluster started, as their Sentinels see them."""

    def __init__(self, directory, ports, sentinel_ports):
        self.directory = directory
        self.ports = ports
        self.sentinel_ports = sentinel_ports
        # The programs find the master through the Sentinels; the URL gives only the database.
        self.url = "redis://127.0.0.1:6379/0"
        self.sentinels = ",".join(f"127.0.0.1:{port}" for port in sentinel_ports)

    def master_port(self):
        for port in self.sentinel_ports:
            try:
                answer = redis.Redis(port=port, socket_timeout=2).execute_command("SENTINEL", "get-master-addr-by-name", "mymaster")
                return int(answer[1])
            except (redis.RedisError, TypeError):
                continue
        raise RuntimeError("no Sentinel answered")

    def client(self):
        return redis.Redis(port=self.master_port(), socket_timeout=5)

    def get(self, key):
        """The integer at `key` on the current master, 0 when absent or while none answers."""
        try:
            value = self.client().get(key)
        except (redis.RedisError, RuntimeError):
            return 0
        return int(value) if value and value.lstrip(b"-").isdigit() else 0

    def running(self, port):
        return port_open(port)

    def kill_master(self):
        """SIGKILLs the master; returns its port once a Sentinel has named another one."""
        port = self.master_port()
        with open(os.path.join(self.directory, f"redis-{port}.pid")) as f:
            os.kill(int(f.read().strip()), signal.SIGKILL)
        if not wait_until(30, lambda: self.master_port() != port, step=0.1):
            raise RuntimeError("no Sentinel promoted the replica")
        return port

    def start(self, port):
        """Starts a killed server again with its data; the Sentinels make it a replica."""
        directory = os.path.join(self.directory, f"redis-{port}")
        subprocess.run(["bash", "-c", f"source '{SERVICES}' && start_redis '{directory}' {port} --appendonly yes"
                        f" && echo $REDIS_PID > '{self.directory}/redis-{port}.pid'"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def replicated(self):
        """Whether the master has a replica that holds everything it wrote."""
        try:
            master = self.client()
            master.set("biggoal-faults:replication-check", "1")
            return master.execute_command("WAIT", "1", "200") >= 1
        except (redis.RedisError, RuntimeError):
            return False

    def stop(self):
        """scripts/cluster down stops the servers."""

    def tidy(self):
        for port in self.ports:
            if not self.running(port):
                self.start(port)
        if not wait_until(60, self.replicated, step=0.5):
            raise RuntimeError("the Redis replica did not come back in sync")


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
        return super().consumer("--amqp-urls", self.urls(node), "--amqp-url-order", "ordered", "--amqp-queue-type", "quorum",
                                "--redis-sentinels", self.suite.redis.sentinels, *extra)

    def api(self, *extra):
        port = free_port()
        api = Process(os.path.join(self.suite.bin, "api"), [
            "--http-port", str(port), "--redis-sentinels", self.suite.redis.sentinels, "--redis-timeout-ms", "500",
            "--redis-received-key", self.received_key, "--redis-sent-key", self.sent_key,
            "--redis-dedupe-prefix", self.dedupe_prefix, *extra,
        ], os.path.join(self.suite.work, f"{self.queue}-api-{port}.log"))
        api.port = port
        wait_until(10, lambda: port_open(port))
        self.consumers.append(api)
        return api


def run_publisher(s, n, node, rate):
    """Publishes `n` hellos in the background, starting on `node`; `publish` moves to another
    node by itself when its node goes."""
    arguments = [os.path.join(s.suite.bin, "publish"), "--amqp-urls", s.urls(node), "--amqp-url-order", "ordered",
                 "--amqp-queue-type", "quorum", "--queue", s.queue, "--count", str(n), "--id-prefix", s.id_prefix, "--rate", str(rate)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIGGOAL_")}
    log = open(os.path.join(s.suite.work, f"{s.queue}-publish.log"), "a")
    return arguments, env, subprocess.Popen(arguments, stdout=log, stderr=log, env=env)


def finish_publishing(publisher):
    """Waits for the publisher; raises when it did not get every hello confirmed."""
    arguments, _, process = publisher
    process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"publish exited {process.returncode}: {' '.join(arguments)}")


def publisher_failovers(s):
    """How many times `publish` moved to another node in this scenario."""
    try:
        with open(os.path.join(s.suite.work, f"{s.queue}-publish.log")) as f:
            return f.read().count("unconfirmed messages go again through")
    except OSError:
        return 0


def node_killed_under_consumers(suite, s, consumer_nodes):
    """Consumers start on `consumer_nodes`, the publisher on node 0, which is SIGKILLed 1.5 s
    into the stream and started again once the stream is counted."""
    n = suite.messages
    consumers = [s.consumer(node=node) for node in consumer_nodes]
    publisher = run_publisher(s, n, node=0, rate=max(n // 6, 200))
    time.sleep(1.5)
    suite.nodes[0].kill()
    finish_publishing(publisher)
    s.settle(n)
    suite.nodes[0].start()
    ok, text = s.figures(n)
    alive = all(consumer.alive() for consumer in consumers)
    reconnects = sum(consumer.log_text().count("consuming") - 1 for consumer in consumers)
    return ok and alive, text + f" consumers alive={alive} reconnects={reconnects} publish failovers={publisher_failovers(s)}"


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
    return ok and consumer.alive(), text + f" leader was {leader.name} consumer alive={consumer.alive()} publish failovers={publisher_failovers(s)}"


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
    return ok and consumer.alive(), (text + f" consumer alive={consumer.alive()} sessions={consumer.log_text().count('consuming')}"
                                     f" publish failovers={publisher_failovers(s)}")


def two_consumers_node_killed(suite, s):
    return node_killed_under_consumers(suite, s, [0, 1])


def redis_master_killed_under_consumer(suite, s, min_replicas):
    """The Redis master is SIGKILLed 1.5 s into the stream; a Sentinel promotes the replica and
    the old master comes back as its replica, as a restarted server would. Returns the
    figures once the queue is drained."""
    n = suite.messages
    consumer = s.consumer("--redis-min-replicas", str(min_replicas))
    publisher = run_publisher(s, n, node=1, rate=max(n // 6, 200))
    time.sleep(1.5)
    old = suite.redis.kill_master()
    suite.redis.start(old)
    finish_publishing(publisher)
    return consumer, old


def settled(s, seconds=180):
    """Waits until the inbound queue is empty and the counters stopped moving for 2 s."""
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        now = (s.counts(), s.suite.broker.depth(s.queue))
        if now == last and now[1] == 0:
            return
        last = now
        time.sleep(2)


def redis_master_killed_exact(suite, s):
    consumer, old = redis_master_killed_under_consumer(suite, s, min_replicas=1)
    s.settle(suite.messages)
    ok, text = s.figures(suite.messages)
    return ok and consumer.alive(), text + f" master was :{old}, now :{suite.redis.master_port()} consumer alive={consumer.alive()}"


def redis_master_killed_measured(suite, s):
    """With redis.minReplicas=0 the counts the master took in its last moments may be lost:
    measured, not hidden. Passes when the stream drained and nothing was counted twice."""
    n = suite.messages
    consumer, old = redis_master_killed_under_consumer(suite, s, min_replicas=0)
    settled(s)
    received, sent = s.counts()
    depth = suite.broker.depth(s.queue)
    total, distinct = suite.broker.reply_ids(s.reply_queue)
    ok = depth == 0 and distinct == n and received <= n and sent <= received and consumer.alive()
    return ok, (f"received={received} sent={sent} queue={depth} replies={total} distinct={distinct} (published {n}):"
                f" lost received={n - received} sent={n - sent} master was :{old} consumer alive={consumer.alive()}")


def idempotent_posts_across_failover(suite, s):
    """Two api instances (redis.minReplicas=1) take POST /receive from eight clients, each
    request with a key of its own and retried, same key, until it gets a 200, the stream
    paced over about six seconds; the master is SIGKILLed under them 1.5 s in. The counter
    must equal the number of distinct keys."""
    n = suite.messages
    apis = [s.api("--redis-min-replicas", "1"), s.api("--redis-min-replicas", "1")]
    keys_per_client = n // 8
    retries = [0] * 8
    started = time.time()

    def client(index):
        port = apis[index % 2].port
        connection = None
        for sent in range(keys_per_client):
            due = started + 6.0 * sent / keys_per_client
            if due > time.time():
                time.sleep(due - time.time())
            key = uuid.uuid4().hex
            while True:
                try:
                    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    connection.request("POST", "/receive", headers={"Idempotency-Key": key, "Content-Length": "0"})
                    response = connection.getresponse()
                    response.read()
                    if response.status == 200:
                        break
                except (OSError, http.client.HTTPException):
                    connection = None
                retries[index] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    old = suite.redis.kill_master()
    suite.redis.start(old)
    for thread in threads:
        thread.join()
    expected = keys_per_client * 8
    received = s.counts()[0]
    alive = all(api.alive() for api in apis)
    return received == expected and alive, (f"received={received} (distinct keys {expected}) retries={sum(retries)}"
                                             f" master was :{old}, now :{suite.redis.master_port()} apis alive={alive}")


class ClusterSuite(Suite):
    SCENARIOS = [
        (1, "the consumer's RabbitMQ node SIGKILLed mid-stream (quorum queues)", consumer_node_killed),
        (2, "the node holding the inbound queue's quorum leader SIGKILLed mid-stream", leader_node_killed),
        (3, "rolling restart of all three nodes during the stream", rolling_restart),
        (4, "the Redis master SIGKILLed mid-stream, redis.minReplicas=1", redis_master_killed_exact),
        (5, "two apis, POST /receive with Idempotency-Key retried until 200, across a Redis failover", idempotent_posts_across_failover),
        (6, "two consumers on different nodes, one node SIGKILLed", two_consumers_node_killed),
        (7, "the Redis master SIGKILLed mid-stream, redis.minReplicas=0: counts lost, measured", redis_master_killed_measured),
    ]

    def __init__(self, options):
        self.bin = options.bin
        self.work = options.work
        self.messages = options.messages
        self.nodes = [Node(options.cluster_dir, int(port)) for port in options.rabbit_ports.split()]
        self.broker = ClusterBroker(self.nodes)
        self.redis = SentinelRedis(options.cluster_dir, [int(port) for port in options.redis_ports.split()],
                                   [int(port) for port in options.sentinel_ports.split()])
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
        self.redis.tidy()


def main():
    parser = suite_arguments(__doc__)
    parser.add_argument("--cluster-dir", required=True)
    parser.add_argument("--rabbit-ports", required=True)
    parser.add_argument("--redis-ports", required=True, help="the Redis master's and replica's ports")
    parser.add_argument("--sentinel-ports", required=True)
    options = parser.parse_args()
    options.messages = options.messages or (2000 if options.ci else 20000)
    run_suite(options, ClusterSuite(options), f"cluster fault suite: {options.messages} hellos per scenario, 3 RabbitMQ nodes, "
              "quorum queues, Redis under 3 Sentinels", "cluster faults")


if __name__ == "__main__":
    main()
