"""What the Python parts of the scripts share: ports and waiting, the processes under test, a
private Redis, the broker, and small HTTP and /proc readings. Redis is read with redis-py and
the broker with pika."""
import http.client
import os
import signal
import socket
import subprocess
import time

import pika
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = os.path.join(ROOT, "scripts", "lib", "services.sh")


def free_port():
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    """Whether something accepts connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(port, seconds=10, step=0.02):
    """Waits until the port accepts connections, looking every `step` seconds; False after
    `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(port):
            return True
        time.sleep(step)
    return False


def wait_until(seconds, condition, step=0.05):
    """Whether `condition` (errors count as false) holds within `seconds`, looking every
    `step` seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:
            pass
        time.sleep(step)
    try:
        return bool(condition())
    except Exception:
        return False


class RedisServer:
    """A private redis-server with its append-only file fsynced on every write."""

    def __init__(self, work):
        self.port = free_port()
        self.dir = os.path.join(work, f"redis-{self.port}")
        os.makedirs(self.dir, exist_ok=True)
        self.process = None
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.dir, "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if not wait_until(10, lambda: port_open(self.port)):
            raise RuntimeError("redis-server did not start")

    def kill(self, sig=signal.SIGKILL):
        self.process.send_signal(sig)
        self.process.wait()

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def get(self, key):
        """The integer at `key`, 0 when absent or while Redis does not answer."""
        try:
            value = redis.Redis(port=self.port, socket_timeout=5).get(key)
        except redis.RedisError:
            return 0
        return int(value) if value and value.lstrip(b"-").isdigit() else 0

    def stop(self):
        if self.process and self.process.poll() is None:
            self.thaw()
            self.kill()


class Broker:
    """The private RabbitMQ node: rabbitmqctl for queue depths, pika for messages."""

    def __init__(self, port, directory):
        self.port = port
        self.directory = directory

    @property
    def url(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def ctl(self, *arguments):
        command = f"source '{SERVICES}' && rabbitmqctl_for '{self.directory}' '{self.port}' " + " ".join(arguments)
        return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120).stdout

    def channel(self):
        parameters = pika.ConnectionParameters("127.0.0.1", self.port, heartbeat=0, blocked_connection_timeout=30)
        return pika.BlockingConnection(parameters).channel()

    def depth(self, queue):
        """Ready plus unacknowledged messages of `queue`."""
        for line in self.ctl("list_queues", "-q", "name", "messages_ready", "messages_unacknowledged").splitlines():
            fields = line.split("\t")
            if fields[0] == queue:
                return int(fields[1]) + int(fields[2])
        return 0

    def reply_ids(self, queue):
        """Drains `queue`; returns (messages, distinct message ids)."""
        channel = self.channel()
        total, ids = 0, set()
        while True:
            method, properties, _ = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            total += 1
            ids.add(properties.message_id)
        channel.connection.close()
        return total, len(ids)


class Process:
    """A built binary, started without the caller's BIGGOAL_* settings, its standard error in
    `log`."""

    def __init__(self, executable, arguments, log):
        self.log = log
        self.process = subprocess.Popen([executable] + arguments, stdout=subprocess.DEVNULL,
                                        stderr=open(log, "a"), start_new_session=True,
                                        env={k: v for k, v in os.environ.items() if not k.startswith("BIGGOAL_")})

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def alive(self):
        return self.process.poll() is None

    def peak_rss_mb(self):
        """The process's peak resident set (VmHWM), in MB."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


def http_get(port, path):
    """(status, None) of a GET, or (0, the error) when the server does not answer."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, None
    except OSError as error:
        return 0, error


def rss_kib(pid, field="VmRSS"):
    """A process's resident set now (VmRSS), or its peak so far (VmHWM), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User plus system CPU time the process has used so far, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Service:
    """A built binary or other server, run quietly until `stop()` (SIGTERM, then SIGKILL)."""

    def __init__(self, command):
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True,
                                        env={k: v for k, v in os.environ.items() if not k.startswith("BIGGOAL_")})

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
