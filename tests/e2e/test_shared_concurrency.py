"""Proves through the official Python client that shared objects stay exact under concurrent
sessions: 6 connections append identical and distinct rows to one shared table and one stream
table (tableInsert{t}, append!{t}, t.append!, insert into) many rounds at once; the final rows
are exactly those expected as a multiset, and a subscriber receives every row once.

The binary is $PORPOISE_BIN, or target/debug/porpoise at the repository root."""

import threading
import time
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from test_python_client import session, start_node, stop_node

SESSIONS = 6
ROUNDS = 20
WAIT_S = 60


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    proc, port, log = start_node(tmp_path_factory.mktemp("home"))
    yield {"port": port, "log": log, "proc": proc}
    stop_node(proc, log)


def key(n):
    """Even sessions all write key 0: their rows are identical to each other's."""
    return 0 if n % 2 == 0 else n


def row(k, i):
    return pd.DataFrame({"k": np.array([k], dtype=np.int32), "i": np.array([i], dtype=np.int32)})


def one_round(s, k, i):
    """Three rows into each table, each by another path: (k, i*10 + path)."""
    s.run("tableInsert{py_race}", row(k, i * 10))
    s.run("append!{py_race}", row(k, i * 10 + 1))
    s.run(f"py_race.append!(table({k} as k, {i * 10 + 2} as i))")
    s.run("tableInsert{py_stream}", row(k, i * 10))
    s.run("append!{py_stream}", row(k, i * 10 + 1))
    s.run(f"insert into py_stream values({k}, {i * 10 + 2})")


def expected():
    return Counter((key(n), i * 10 + p) for n in range(SESSIONS)
                   for i in range(ROUNDS) for p in range(3))


def rows_of(s, table):
    t = s.run(f"select k, i from {table}")
    return Counter(zip(t["k"].tolist(), t["i"].tolist()))


def test_concurrent_sessions_keep_every_row_and_subscribers_get_each_once(node):
    s = session(node)
    s.run("share table(100:0, `k`i, [INT,INT]) as py_race\n"
          "share streamTable(100:0, `k`i, [INT,INT]) as py_stream")
    got = []
    s.enableStreaming()
    s.subscribe("127.0.0.1", node["port"], got.append, "py_stream", "race", offset=0,
                userName="admin", password="123456")
    errors = []

    def writer(n):
        try:
            w = session(node)
            for i in range(ROUNDS):
                one_round(w, key(n), i)
            w.close()
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    want = expected()
    assert rows_of(s, "py_race") == want
    assert rows_of(s, "py_stream") == want
    total = sum(want.values())
    deadline = time.time() + WAIT_S
    while len(got) < total and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # anything sent twice would arrive by now
    assert len(got) == total
    assert Counter((int(r[0]), int(r[1])) for r in got) == want
    s.unsubscribe("127.0.0.1", node["port"], "py_stream", "race")
    s.close()
