"""Small helpers shared by the Python parts of the scripts: ports and waiting."""
import socket
import time


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
