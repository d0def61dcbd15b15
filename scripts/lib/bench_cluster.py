#!/usr/bin/env python3
"""The cluster part of scripts/bench: the consumer draining a backlog on the three-node cluster
scripts/cluster starts (quorum queues, Redis found through Sentinel, with and without
`redis.minReplicas=1`), interleaved round by round with the same drain on the run's single
node with classic queues. Appends its table to the benchmark page."""
import argparse
import statistics

import redis

from bench import summary
from bench_consumer import ConsumerBench

PREFETCH = 100


def sentinel_master_port(sentinel_ports):
    for port in sentinel_ports:
        try:
            return int(redis.Redis(port=port).execute_command("SENTINEL", "get-master-addr-by-name", "mymaster")[1])
        except redis.RedisError:
            continue
    raise RuntimeError("no Sentinel answered")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--amqp-url", required=True, help="the single node")
    parser.add_argument("--redis-port", type=int, required=True, help="the single node's Redis")
    parser.add_argument("--rabbit-ports", required=True, help="the cluster's nodes")
    parser.add_argument("--sentinel-ports", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", required=True)
    options = parser.parse_args()
    rounds = 1 if options.quick else 5
    hellos = 10000 if options.quick else 50000

    nodes = [f"amqp://guest:guest@127.0.0.1:{port}/%2F" for port in options.rabbit_ports.split()]
    sentinel_ports = [int(port) for port in options.sentinel_ports.split()]
    single = ConsumerBench(options, hellos, options.redis_port)
    cluster_link = ["--amqp-urls", ",".join(nodes), "--amqp-queue-type", "quorum"]
    cluster = ConsumerBench(options, hellos, sentinel_master_port(sentinel_ports), link=cluster_link, admin_url=nodes[0],
                            redis_link=["--redis-sentinels", ",".join(f"127.0.0.1:{port}" for port in sentinel_ports)])

    rates = {}
    for _ in range(rounds):
        rates.setdefault("single", []).append(single.consumer(PREFETCH)[0])
        rates.setdefault("cluster", []).append(cluster.consumer(PREFETCH)[0])
        rates.setdefault("cluster, minReplicas=1", []).append(cluster.consumer(PREFETCH, "--redis-min-replicas", "1")[0])

    base = statistics.median(rates["single"])
    lines = [
        "",
        f"On a cluster: the consumer draining {hellos} hellos at prefetch {PREFETCH}, msg/s, {rounds} interleaved round(s) "
        "in the same run. The cluster is `scripts/cluster`'s, on the same two cores: three RabbitMQ nodes with quorum "
        "queues (every message and reply written on a majority of nodes), a Redis master with a replica under three "
        "Sentinels; the consumer starts at a random node.",
        "",
        "| setup | msg/s | ratio to the single node |",
        "|---|---|---|",
        f"| one node, classic queues, one Redis | {summary(rates['single'])} | 1.00 |",
        f"| three nodes, quorum queues, Redis via Sentinel | {summary(rates['cluster'])} | "
        f"{statistics.median(rates['cluster']) / base:.2f} |",
        f"| the same with `redis.minReplicas=1` (WAIT on every count) | {summary(rates['cluster, minReplicas=1'])} | "
        f"{statistics.median(rates['cluster, minReplicas=1']) / base:.2f} |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    with open(options.output, "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
