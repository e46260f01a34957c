"""The client side of deploy/test-compose.sh: a DFS workload through the official Python client
(`pip install dolphindb pandas`) against a data node of a compose cluster.

    compose-client.py write PORT FIRST N   create dfs://compose_test if missing, append rows
                                           FIRST..FIRST+N-1, check they read back
    compose-client.py check PORT N         the table holds exactly rows 0..N-1, values intact
    compose-client.py leader PORT          print the alias of the controllers' leader (as the data node knows it)
    compose-client.py master PORT          print the leader's alias, asking the controller on PORT
    compose-client.py start PORT ALIAS...  startDataNode on the leader (PORT), as the web console does
    compose-client.py complete PORT        every chunk of the table is COMPLETE with two replicas
    compose-client.py online PORT N        the leader sees exactly N nodes online (getClusterPerf(true))

Every call retries until it succeeds or DEADLINE_S passes: right after `up`, a failover or an
upgrade, the data node may not yet reach a leader. Exit status 0 on success, 1 with the last
error otherwise."""

import sys
import time

import dolphindb as ddb
import numpy as np
import pandas as pd

HOST = "127.0.0.1"
DB = "dfs://compose_test"
DEADLINE_S = 120
RETRY_EVERY_S = 2
DAYS = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])


def rows(first, n):
    """Rows first..first+n-1; every value is a function of the row id."""
    ids = np.arange(first, first + n, dtype=np.int64)
    return pd.DataFrame({
        "date": DAYS[ids % len(DAYS)],
        "id": ids,
        "sym": np.array(["AAPL", "IBM", "MSFT"])[ids % 3],
        "price": ids * 0.5,
    })


def session(port):
    s = ddb.session()
    s.connect(HOST, port, "admin", "123456")
    return s


def create(s):
    s.run(f"""
        if (!existsDatabase("{DB}")) {{
            db = database("{DB}", VALUE, 2024.01.02..2024.01.05)
            schema = table(1:0, `date`id`sym`price, [DATE, LONG, SYMBOL, DOUBLE])
            db.createPartitionedTable(schema, `trades, `date)
        }}""")


def count_and_sum(s):
    r = s.run(f'select count(*) as n, sum(id) as ids, sum(price) as p '
              f'from loadTable("{DB}", "trades")')
    return int(r["n"][0]), int(r["ids"][0] if r["n"][0] else 0), float(r["p"][0] if r["n"][0] else 0)


def expect(n):
    ids = n * (n - 1) // 2
    return n, ids, ids * 0.5


def write(port, first, n):
    s = session(port)
    create(s)
    before, _, _ = count_and_sum(s)
    if before < first + n:
        if before != first:
            raise AssertionError(f"table holds {before} rows, expected {first} before the write")
        s.run(f'tableInsert{{loadTable("{DB}", "trades")}}', rows(first, n))
    got = count_and_sum(s)
    if got != expect(first + n):
        raise AssertionError(f"after the write: (rows, sum id, sum price) = {got}, "
                             f"expected {expect(first + n)}")
    print(f"wrote rows {first}..{first + n - 1} through port {port}: {got[0]} rows")


def check(port, n):
    s = session(port)
    got = count_and_sum(s)
    if got != expect(n):
        raise AssertionError(f"(rows, sum id, sum price) = {got}, expected {expect(n)}")
    sample = s.run(f'select * from loadTable("{DB}", "trades") where id in [0, {n - 1}] order by id')
    want = rows(0, 1).iloc[0], rows(n - 1, 1).iloc[0]
    for got_row, want_row in zip(sample.itertuples(), want):
        if (got_row.id, got_row.sym, got_row.price) != (want_row.id, want_row.sym, want_row.price):
            raise AssertionError(f"row {want_row.id} reads back as {got_row}")
    print(f"port {port}: {n} rows intact")


def leader(port):
    print(session(port).run("getControllerAlias()"))


def master(port):
    alias = session(port).run("getActiveMaster()")
    if not alias:
        raise RuntimeError("no leader yet")
    print(alias)


def start(port, *aliases):
    s = session(port)
    s.run("startDataNode", list(aliases))
    print(f"startDataNode {' '.join(aliases)} on port {port}")


def complete(port):
    st = session(port).run("select file, state, replicaCount from "
                           "rpc(getControllerAlias(), getClusterChunksStatus)")
    mine = st[st["file"].str.contains("compose_test")]
    bad = mine[(mine["state"] != "COMPLETE") | (mine["replicaCount"] != 2)]
    if len(mine) == 0 or len(bad) > 0:
        raise AssertionError(f"chunks not complete: {bad.to_dict('records') or 'none listed'}")
    print(f"{len(mine)} chunks COMPLETE with 2 replicas")


def online(port, n):
    perf = session(port).run("select name, state from getClusterPerf(true)")
    up = sorted(perf[perf["state"] == 1]["name"])
    if len(up) != n:
        raise AssertionError(f"{len(up)} nodes online, expected {n}: {up}")
    print(f"{n} nodes online: {' '.join(up)}")


def main(argv):
    cmd, port = argv[0], int(argv[1])
    rest = argv[2:] if cmd == "start" else [int(a) for a in argv[2:]]
    action = {"write": write, "check": check, "leader": leader, "online": online,
              "master": master, "start": start, "complete": complete}[cmd]
    deadline = time.monotonic() + DEADLINE_S
    while True:
        try:
            action(port, *rest)
            return 0
        except Exception as e:  # connection refused, no leader yet, a failover in progress
            if time.monotonic() > deadline:
                print(f"{cmd} {argv[1:]} failed for {DEADLINE_S} s; last error: {e}", file=sys.stderr)
                return 1
            time.sleep(RETRY_EVERY_S)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
