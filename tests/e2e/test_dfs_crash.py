"""Crash consistency of DFS writes through the official Python client (issue 3).

A writer appends numbered batches to a DFS table; each batch has rows in every partition of
the table, so it is one transaction over several partitions. Meanwhile another session flushes
the cache engine now and then, and the `porpoise` process is killed with SIGKILL at a random
moment. After each restart:

- every acknowledged batch (its append returned) is there exactly once, whole;
- a batch whose append did not return (in doubt) is there whole or not at all;
- no other batch is there.

Then writing goes on with new batch numbers, for several rounds. The short version (a few
rounds) runs by default; `PORPOISE_CRASH_ROUNDS=n` runs n rounds.

A second test fills a tiny tmpfs (needs root and `mount`; skipped otherwise): appends fail with
an error once the disk is full, the server stays up and answers, and every acknowledged batch
is still there, also after a restart.

The binary is $PORPOISE_BIN, or target/debug/porpoise at the repository root."""

import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import dolphindb as ddb
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("PORPOISE_BIN", str(ROOT / "target" / "debug" / "porpoise"))
START_TIMEOUT_S = 60
ROUNDS = int(os.environ.get("PORPOISE_CRASH_ROUNDS", "4"))
PARTS = 4          # RANGE partitions of `part`
ROWS_PER_PART = 50  # rows of one batch in each partition
DB = "dfs://crash"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(home, port, extra=()):
    log = home / "porpoise.log"
    proc = subprocess.Popen(
        [BIN, "-mode", "single", "-home", str(home), "-console", "0",
         "-localSite", f"127.0.0.1:{port}:crash{port}", "-logFile", str(log),
         "-dataSync", "1", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.time() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"porpoise did not start: {proc.stderr.read()!r}")
            time.sleep(0.05)


def session(port):
    s = ddb.session()
    assert s.connect("127.0.0.1", port, "admin", "123456")
    return s


def batch_frame(b):
    n = PARTS * ROWS_PER_PART
    seq = np.arange(n, dtype=np.int32)
    return pd.DataFrame({
        "batch": np.full(n, b, dtype=np.int32),
        "seq": seq,
        "part": (seq % PARTS).astype(np.int32),
        "v": (seq.astype(np.float64) + b * 0.5),
    })


def create(s):
    s.run(f"""
        db = database("{DB}", RANGE, 0..{PARTS})
        t = table(1:0, `batch`seq`part`v, [INT, INT, INT, DOUBLE])
        db.createPartitionedTable(t, `pt, `part)
    """)


def batches_present(s):
    """batch -> (rows, distinct seq, partitions touched, sum of v)."""
    got = s.run(f"""
        select count(*) as n, nunique(seq) as u, nunique(part) as p, sum(v) as v
        from loadTable("{DB}", `pt) group by batch
    """)
    return {int(b): (int(n), int(u), int(p), float(v))
            for b, n, u, p, v in zip(got["batch"], got["n"], got["u"], got["p"], got["v"])}


def whole(b):
    n = PARTS * ROWS_PER_PART
    return (n, n, PARTS, float(batch_frame(b)["v"].sum()))


def check(s, acked, in_doubt, attempted_max):
    present = batches_present(s)
    for b in acked:
        assert present.get(b) == whole(b), f"acknowledged batch {b}: {present.get(b)}"
    for b, stats in present.items():
        assert stats == whole(b), f"batch {b} is partial or repeated: {stats}"
        assert b in acked or b in in_doubt, f"batch {b} was never acknowledged nor in doubt"
        assert b <= attempted_max
    return present


def test_kill9_during_appends(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    proc = start(home, port)
    create(session(port))
    acked, in_doubt = set(), set()
    next_batch = 1
    rng = random.Random(int(os.environ.get("PORPOISE_CRASH_SEED", "11")))
    try:
        for _round in range(ROUNDS):
            stop = threading.Event()
            state = {"next": next_batch, "doubt": None, "error": None}

            def writer():
                try:
                    s = session(port)
                except Exception as e:  # the server may already be gone
                    state["error"] = e
                    return
                while not stop.is_set():
                    b = state["next"]
                    state["doubt"] = b
                    try:
                        s.run(f"tableInsert{{loadTable('{DB}', `pt)}}", batch_frame(b))
                    except Exception as e:
                        state["error"] = e
                        return
                    acked.add(b)
                    state["doubt"] = None
                    state["next"] = b + 1

            def flusher():
                try:
                    s = session(port)
                    while not stop.is_set():
                        time.sleep(rng.uniform(0.05, 0.3))
                        s.run("flushOLAPCache()")
                except Exception:
                    return

            threads = [threading.Thread(target=writer), threading.Thread(target=flusher)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            if state["doubt"] is not None:
                in_doubt.add(state["doubt"])
            next_batch = state["next"] + 1
            proc = start(home, port)
            present = check(session(port), acked, in_doubt, next_batch)
            assert len(acked) > 0
            # A batch in doubt that made it is settled; one that did not is gone for good.
            in_doubt = {b for b in in_doubt if b in present}
            acked |= in_doubt
            in_doubt = set()
        # Still writable after the last restart.
        s = session(port)
        s.run(f"tableInsert{{loadTable('{DB}', `pt)}}", batch_frame(next_batch))
        acked.add(next_batch)
        check(s, acked, set(), next_batch)
        print(f"{ROUNDS} kills, {len(acked)} batches acknowledged and found whole")
    finally:
        proc.kill()
        proc.wait()


def can_mount_tmpfs(where):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
                       capture_output=True)
    return r.returncode == 0


def test_full_disk_fails_writes_without_corruption(tmp_path):
    home = tmp_path / "tiny"
    if not can_mount_tmpfs(home):
        pytest.skip("a tmpfs can't be mounted here (needs root and mount): full-disk test skipped")
    proc = None
    try:
        port = free_port()
        proc = start(home, port)
        s = session(port)
        create(s)
        acked = set()
        error = None
        for b in range(1, 10_000):
            frame = batch_frame(b)
            frame = pd.concat([frame] * 20, ignore_index=True)
            frame["seq"] = np.arange(len(frame), dtype=np.int32)
            frame["part"] = (frame["seq"] % PARTS).astype(np.int32)
            try:
                s.run(f"tableInsert{{loadTable('{DB}', `pt)}}", frame)
            except Exception as e:
                error = str(e)
                break
            acked.add(b)
            if b % 5 == 0:
                try:
                    s.run("flushOLAPCache()")
                except Exception as e:
                    error = str(e)
                    break
        assert error is not None, "the disk never filled up"
        assert acked, "nothing was written before the disk filled up"
        # The server is still up and answers, with every acknowledged batch whole.
        assert proc.poll() is None, "the server died when the disk filled up"
        s = session(port)
        rows = PARTS * ROWS_PER_PART * 20
        present = s.run(f"select count(*) as n from loadTable('{DB}', `pt) group by batch")
        counts = dict(zip(present["batch"].astype(int), present["n"].astype(int)))
        for b in acked:
            assert counts.get(b) == rows, f"batch {b}: {counts.get(b)}"
        assert all(n == rows for n in counts.values())
        # After a restart on the full disk, the same.
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc = start(home, port)
        s = session(port)
        present = s.run(f"select count(*) as n from loadTable('{DB}', `pt) group by batch")
        counts = dict(zip(present["batch"].astype(int), present["n"].astype(int)))
        for b in acked:
            assert counts.get(b) == rows, f"after restart, batch {b}: {counts.get(b)}"
        assert all(n == rows for n in counts.values())
        print(f"disk full after {len(acked)} batches: {error}")
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        subprocess.run(["umount", str(home)], capture_output=True)
