"""Shared by the e2e tests that need a whole cluster: free ports and a `porpoise playground`
started on them, waited for until it prints `ready`, and stopped with SIGTERM."""

import random
import signal
import socket
import subprocess
import threading
from contextlib import contextmanager

READY_TIMEOUT_S = 120
STOP_TIMEOUT_S = 60


def port_free(p):
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", p))
            return True
        except OSError:
            return False


def listening(p):
    try:
        socket.create_connection(("127.0.0.1", p), timeout=1).close()
        return True
    except OSError:
        return False


def free_offset(ports):
    """A port offset under which every one of `ports` is free."""
    for _ in range(200):
        off = random.randrange(1000, 50000)
        if all(p + off < 65000 and port_free(p + off) for p in ports):
            return off
    raise RuntimeError("no free ports")


@contextmanager
def playground(bin_path, directory, off, quick=False):
    """Runs `porpoise playground` until the block ends; yields the lines it printed so far
    (the list keeps growing). The playground must exit 0 on SIGTERM."""
    args = [bin_path, "playground"] + (["--quick"] if quick else [])
    args += ["--dir", str(directory), "--port-offset", str(off)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    ready = threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if "ready" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(READY_TIMEOUT_S):
        proc.kill()
        raise RuntimeError("the playground did not get ready:\n" + "".join(lines))
    yield lines
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_TIMEOUT_S) == 0
