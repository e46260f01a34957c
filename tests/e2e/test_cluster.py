"""Proves that the official Python client (`dolphindb` on PyPI) works against a porpoise HA
cluster started by `porpoise playground`: getClusterPerf as a DataFrame with DolphinDB's
columns, a high-availability connection (the client asks rpc(getControllerAlias(),
getClusterPerf) for the data nodes and picks one), rpc between nodes, the replicated DFS
(a database created through one data node, rows written through another, read back whole from
the third, every chunk on two data nodes), and a clean stop.

The binary is $PORPOISE_BIN, or target/debug/porpoise at the repository root."""

import os
from pathlib import Path

import dolphindb as ddb
import pytest

from playground import free_offset, listening, playground

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("PORPOISE_BIN", str(ROOT / "target" / "debug" / "porpoise"))
SEED_PORTS = [8901, 8902, 8903, 8710, 8711, 8810, 8811, 8910, 8911]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    off = free_offset(SEED_PORTS)
    with playground(BIN, root / "playground", off) as lines:
        yield {"off": off, "lines": lines}
    for p in SEED_PORTS:
        assert not listening(p + off), f"port {p + off} still open"


def session(port):
    s = ddb.session()
    s.connect("127.0.0.1", port, "admin", "123456")
    return s


def test_cluster_perf_is_a_dataframe_with_dolphindb_columns(cluster):
    s = session(8901 + cluster["off"])
    df = s.run("getClusterPerf(true)")
    for col in ["host", "port", "site", "mode", "state", "agentSite", "name", "memoryUsed",
                "cpuUsage", "runningJobs", "queuedJobs", "diskFreeSpace", "isLeader"]:
        assert col in df.columns, col
    assert sorted(df["name"]) == sorted(
        ["controller1", "controller2", "controller3", "agent1", "agent2", "agent3",
         "P1-node1", "P2-node1", "P3-node1"])
    assert df["state"].all()
    assert df["isLeader"].sum() == 1
    data = df[df["mode"] == 0]
    assert sorted(data["agentSite"].str.split(":").str[-1]) == ["agent1", "agent2", "agent3"]


def test_high_availability_connect_picks_a_data_node(cluster):
    off = cluster["off"]
    sites = [f"127.0.0.1:{p + off}" for p in (8711, 8811, 8911)]
    s = ddb.session()
    assert s.connect("127.0.0.1", 8711 + off, "admin", "123456",
                     highAvailability=True, highAvailabilitySites=sites)
    assert s.run("getNodeAlias()") in ("P1-node1", "P2-node1", "P3-node1")
    assert s.run("1 + 1") == 2


def test_rpc_between_nodes(cluster):
    off = cluster["off"]
    s = session(8711 + off)
    leader = s.run("getControllerAlias()")
    assert leader in ("controller1", "controller2", "controller3")
    assert s.run(f'rpc("{leader}", getNodeAlias)') == leader
    ctl = session(8901 + off)
    assert ctl.run('rpc("P2-node1", getNodeAlias)') == "P2-node1"
    assert ctl.run('rpc("P2-node1", add, 1, 2)') == 3


def test_dfs_is_shared_and_replicated_across_data_nodes(cluster):
    import numpy as np
    import pandas as pd
    off = cluster["off"]
    a, b, c = (session(p + off) for p in (8711, 8811, 8911))
    a.run("db = database('dfs://e2e_repl', HASH, [INT, 4]); "
          "t = table(1:0, `id`v, [INT, DOUBLE]); db.createPartitionedTable(t, 'pt', 'id')")
    assert c.run("existsTable('dfs://e2e_repl', 'pt')")
    df = pd.DataFrame({"id": np.arange(1000, dtype=np.int32), "v": np.arange(1000) * 0.5})
    b.run("tableInsert{loadTable('dfs://e2e_repl', 'pt')}", df)
    writer = ddb.MultithreadedTableWriter("127.0.0.1", 8911 + off, "admin", "123456",
                                          "dfs://e2e_repl", "pt", threadCount=2,
                                          partitionCol="id")
    for i in range(1000, 1200):
        writer.insert(np.int32(i), i * 0.5)
    writer.waitForThreadCompletion()
    assert not writer.getStatus().hasError(), writer.getStatus()
    for s in (a, b, c):
        r = s.run("select count(*) as n, sum(v) as total from loadTable('dfs://e2e_repl', 'pt')")
        assert r["n"][0] == 1200
        assert r["total"][0] == sum(i * 0.5 for i in range(1200))
    status = a.run("select * from getClusterChunksStatus() where file like '/e2e_repl/%'")
    assert len(status) == 4
    assert (status["state"] == "COMPLETE").all()
    assert (status["replicaCount"] == 2).all()
    assert "dfs://e2e_repl" in list(c.run("getClusterDFSDatabases()"))


def test_web_manager_on_a_follower_redirects_to_the_leader(cluster):
    """The cluster manager lives on the Raft leader: a follower's page redirects there, and
    its JSON API answers 421 with the leader's URL (docs/web.md)."""
    import json
    import urllib.error
    import urllib.request

    off = cluster["off"]
    leader = session(8901 + off).run("getControllerAlias()")
    ports = {"controller1": 8901 + off, "controller2": 8902 + off, "controller3": 8903 + off}
    want = f"http://127.0.0.1:{ports[leader]}/"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    for alias, port in ports.items():
        try:
            resp = opener.open(f"http://127.0.0.1:{port}/", timeout=10)
            status, location = resp.status, None
        except urllib.error.HTTPError as e:
            status, location = e.code, e.headers.get("Location")
        if alias == leader:
            assert status == 200
            continue
        assert (status, location) == (302, want)
        try:
            opener.open(f"http://127.0.0.1:{port}/api/cluster", timeout=10)
            raise AssertionError("a follower served /api/cluster")
        except urllib.error.HTTPError as e:
            assert e.code == 421
            assert json.loads(e.read())["leader"] == want
