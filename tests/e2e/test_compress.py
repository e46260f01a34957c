"""Proves the compressed wire format (request flag 64, protocol.md §5.13) with the official
Python client: `session(compress=True)` uploads and tableInsert into a shared and a DFS table,
MultithreadedTableWriter sending LZ4 and delta-of-delta columns, and query results (whole and
paged) that the server answers with LZ4-compressed columns, all equal to what pandas holds.

The binary is $PORPOISE_BIN, or target/debug/porpoise at the repository root."""

import os
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path

import dolphindb as ddb
import dolphindb.settings as keys
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("PORPOISE_BIN", str(ROOT / "target" / "debug" / "porpoise"))
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 20
COLUMNS = ["i", "l", "d", "ts", "dt", "s", "sym"]
TYPES = "[INT, LONG, DOUBLE, TIMESTAMP, DATE, STRING, SYMBOL]"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = tmp_path_factory.mktemp("compresshome")
    port = free_port()
    log = home / "porpoise.log"
    proc = subprocess.Popen(
        [BIN, "-mode", "single", "-home", str(home), "-console", "0",
         "-localSite", f"127.0.0.1:{port}:cmp{port}", "-logFile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.time() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"porpoise did not start: {proc.stderr.read()!r}")
            time.sleep(0.1)
    yield {"port": port, "log": log}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_TIMEOUT_S) == 0


def session(node, compress=True):
    s = ddb.session(compress=compress)
    assert s.connect("127.0.0.1", node["port"], "admin", "123456")
    return s


def frame(n, seed=5):
    """n rows of every column kind the task names, with nulls in each column."""
    rng = np.random.default_rng(seed)
    null = np.arange(n) % 7 == 3
    ts = pd.Timestamp("2022-01-03 09:30:00") + pd.to_timedelta(
        np.cumsum(rng.integers(0, 2000, n)), unit="ms")
    df = pd.DataFrame({
        "i": rng.integers(-1000, 1000, n).astype(np.int32),
        "l": (np.arange(n, dtype=np.int64) * 1000 + 7),
        "d": np.round(rng.uniform(-50, 50, n), 3),
        "ts": ts.floor("ms"),
        "dt": pd.to_datetime("2022-01-03") + pd.to_timedelta(np.arange(n) % 3, unit="D"),
        "s": [f"str{k % 11}" for k in range(n)],
        "sym": rng.choice(["AAPL", "IBM", "MSFT", "GOOG"], n),
    })
    # Nulls: float NaN for numbers (the client maps them to DolphinDB nulls), NaT, None.
    df["i"] = df["i"].astype("float64").where(~null)
    df["l"] = df["l"].astype("float64").where(~null)
    df.loc[null, "d"] = np.nan
    df.loc[null, "ts"] = pd.NaT
    df["s"] = df["s"].where(~null, None)
    df["sym"] = df["sym"].where(~null, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas on the client's type-hint attribute
        df.__DolphinDB_Type__ = {
            "i": keys.DT_INT, "l": keys.DT_LONG, "ts": keys.DT_TIMESTAMP, "dt": keys.DT_DATE,
            "s": keys.DT_STRING, "sym": keys.DT_SYMBOL,
        }
    return df


def check_equal(got, want):
    """The table read back equals the frame: same rows, nulls where the frame had them."""
    got = got.reset_index(drop=True)
    want = want.reset_index(drop=True)
    assert list(got.columns) == COLUMNS
    assert len(got) == len(want)
    for c in ["i", "l", "d"]:
        assert np.allclose(got[c].astype("float64"), want[c], equal_nan=True), c
    for c in ["ts", "dt"]:
        g = pd.to_datetime(got[c])
        w = pd.to_datetime(want[c])
        assert g.isna().equals(w.isna()), c
        assert (g[~g.isna()] == w[~w.isna()]).all(), c
    for c in ["s", "sym"]:
        g = got[c].fillna("").astype(str).tolist()
        w = want[c].fillna("").astype(str).tolist()
        assert g == w, c


def test_upload_and_read_back_compressed(node):
    s = session(node)
    df = frame(70_000)
    s.upload({"up": df})
    types = s.run("exec typeString from schema(up).colDefs")
    assert list(types) == ["INT", "LONG", "DOUBLE", "TIMESTAMP", "DATE", "STRING", "SYMBOL"]
    assert s.run("rows(up)") == len(df)
    assert s.run("sum(isNull(up.i))") == int(df["i"].isna().sum())
    check_equal(s.run("up"), df)
    # A result read without compression is the same table.
    plain = session(node, compress=False)
    plain.upload({"up": df})
    check_equal(plain.run("up"), df)
    plain.close()
    s.close()


def test_table_insert_into_shared_and_dfs_tables(node):
    s = session(node)
    df = frame(30_000, seed=9)
    s.run(f"share table(1:0, `{'`'.join(COLUMNS)}, {TYPES}) as cmpShared")
    assert s.run("tableInsert{cmpShared}", df) == len(df)
    check_equal(s.run("select * from cmpShared"), df)

    db = "dfs://e2e_compress"
    s.run(f"""
        if (existsDatabase("{db}")) {{ dropDatabase("{db}") }}
        db = database("{db}", VALUE, 2022.01.03..2022.01.05)
        t = table(1:0, `{'`'.join(COLUMNS)}, {TYPES})
        db.createPartitionedTable(t, `pt, `dt)
    """)
    n = s.run(f'tableInsert{{loadTable("{db}", "pt")}}', df)
    assert n == len(df)
    got = s.run(f'select * from loadTable("{db}", "pt") order by l')
    want = df.sort_values("l", na_position="first", kind="stable")
    # Rows with a null `l` sort first in DolphinDB too; order them by the other keys.
    nulls = want["l"].isna()
    assert int(nulls.sum()) == int(got["l"].isna().sum())
    check_equal(got[~got["l"].isna()], want[~nulls])
    got = s.run(f'select count(*) as n, sum(i) as si, max(ts) as mt from loadTable("{db}", "pt")')
    assert int(got["n"][0]) == len(df)
    assert int(got["si"][0]) == int(df["i"].sum())
    assert pd.Timestamp(got["mt"][0]) == df["ts"].max()
    s.close()


def test_multithreaded_writer_sends_lz4_and_delta_columns(node):
    s = session(node)
    s.run(f"share table(1:0, `{'`'.join(COLUMNS)}, {TYPES}) as cmpWriter")
    df = frame(5_000, seed=13)
    writer = ddb.MultithreadedTableWriter(
        "127.0.0.1", node["port"], "admin", "123456", "", "cmpWriter",
        batchSize=1000, throttle=0.1,
        compressMethods=["DELTA", "DELTA", "LZ4", "DELTA", "DELTA", "LZ4", "LZ4"],
    )
    for row in df.itertuples(index=False):
        vals = []
        for c, v in zip(COLUMNS, row):
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
                vals.append(None)
            elif c in ("i", "l"):
                vals.append(int(v))
            elif c in ("ts", "dt"):
                vals.append(np.datetime64(v, "ms" if c == "ts" else "D"))
            else:
                vals.append(v)
        res = writer.insert(*vals)
        assert res.succeed(), res.errorInfo
    writer.waitForThreadCompletion()
    status = writer.getStatus()
    assert not status.hasError(), status.errorInfo
    assert status.sentRows == len(df)
    check_equal(s.run("select * from cmpWriter"), df)
    s.close()


def test_query_results_whole_and_paged(node):
    s = session(node)
    plain = session(node, compress=False)
    script = """
        n = 50000
        t = table(int(1..n) as i, long(1..n) * 3 as l, double(1..n) / 8 as d,
                  2022.01.01T00:00:00.000 + (1..n) * 100 as ts, 2022.01.01 + (1..n) % 30 as dt,
                  string(1..n % 17) as s, symbol(string(1..n % 5)) as sym)
        update t set i = NULL, d = NULL, s = "" where l % 9 == 0
        t
    """
    want = plain.run(script)
    got = s.run(script)
    assert want.shape == got.shape == (50_000, 7)
    pd.testing.assert_frame_equal(got, want)
    # Small results and non-tables come back the same too.
    assert s.run("table(1 2 as a)")["a"].tolist() == [1, 2]
    assert s.run("1..5").tolist() == [1, 2, 3, 4, 5]
    assert s.run("`a`b").tolist() == ["a", "b"]
    # Paged with fetchSize: each block is a compressed table.
    reader = s.run(script, fetchSize=8192)
    parts = []
    while reader.hasNext():
        parts.append(reader.read())
    paged = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(paged, want)
    plain.close()
    s.close()
