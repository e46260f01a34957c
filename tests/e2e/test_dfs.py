"""Proves DFS databases and tables work through the official Python client against the
`porpoise` binary: every partition type on both engines, writes through tableInsert{loadTable},
TableAppender and PartitionedTableAppender, query results equal to pandas computing the same,
data back after a restart, and a compression report for a TAQ-like table.

The binary is $PORPOISE_BIN, or target/debug/porpoise at the repository root."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import dolphindb as ddb
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("PORPOISE_BIN", str(ROOT / "target" / "debug" / "porpoise"))
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(home, port):
    log = home / "porpoise.log"
    proc = subprocess.Popen(
        [BIN, "-mode", "single", "-home", str(home), "-console", "0",
         "-localSite", f"127.0.0.1:{port}:dfs{port}", "-logFile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.time() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return {"port": port, "log": log, "proc": proc, "home": home}
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"porpoise did not start: {proc.stderr.read()!r}")
            time.sleep(0.1)


def stop(node):
    node["proc"].send_signal(signal.SIGTERM)
    assert node["proc"].wait(timeout=STOP_TIMEOUT_S) == 0


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = tmp_path_factory.mktemp("dfshome")
    n = start(home, free_port())
    yield n
    stop(n)


def session(node):
    s = ddb.session()
    assert s.connect("127.0.0.1", node["port"], "admin", "123456")
    return s


def trades(n, seed=7):
    rng = np.random.default_rng(seed)
    days = pd.to_datetime(["2022-01-03", "2022-01-04", "2022-01-05"])
    return pd.DataFrame({
        "date": rng.choice(days, n),
        "sym": rng.choice(["AAPL", "IBM", "MSFT", "GOOG", "C"], n),
        "id": rng.integers(0, 100, n).astype(np.int32),
        "price": np.round(rng.uniform(10, 200, n), 2),
        "qty": rng.integers(1, 1000, n).astype(np.int64),
    })


SCHEMES = {
    "VALUE": ("VALUE", "2022.01.03..2022.01.05", "date"),
    "RANGE": ("RANGE", "0 25 50 75 100", "id"),
    "HASH": ("HASH", "[SYMBOL, 4]", "sym"),
    "LIST": ("LIST", "[`AAPL`IBM, `MSFT`GOOG`C]", "sym"),
}


def create(s, db, ptype, scheme, col, engine):
    sort = ", sortColumns=`sym`date" if engine == "TSDB" else ""
    s.run(f"""
        if (existsDatabase("{db}")) {{ dropDatabase("{db}") }}
        db = database("{db}", {ptype}, {scheme}, engine="{engine}")
        t = table(1:0, `date`sym`id`price`qty, [DATE, SYMBOL, INT, DOUBLE, LONG])
        db.createPartitionedTable(t, `pt, `{col}{sort})
    """)


def check_queries(s, db, df):
    pt = f'loadTable("{db}", "pt")'
    got = s.run(f"select count(*) as n from {pt}")
    assert int(got["n"][0]) == len(df)
    got = s.run(f"select sum(qty) as q, avg(price) as p from {pt} group by sym order by sym")
    want = df.groupby("sym").agg(q=("qty", "sum"), p=("price", "mean")).reset_index()
    assert list(got["sym"]) == list(want["sym"])
    assert list(got["q"]) == list(want["q"])
    assert np.allclose(got["p"], want["p"])
    got = s.run(f"select sum(qty) as q from {pt} where date = 2022.01.04")
    assert int(got["q"][0]) == int(df[df["date"] == "2022-01-04"]["qty"].sum())
    got = s.run(f"select max(price) as m from {pt} where id between 10 : 60, sym in `IBM`C")
    sub = df[(df["id"] >= 10) & (df["id"] <= 60) & df["sym"].isin(["IBM", "C"])]
    assert np.isclose(got["m"][0], sub["price"].max())


@pytest.mark.parametrize("engine", ["OLAP", "TSDB"])
@pytest.mark.parametrize("kind", list(SCHEMES))
def test_partition_types_and_engines(node, kind, engine):
    s = session(node)
    db = f"dfs://e2e_{kind}_{engine}"
    create(s, db, *SCHEMES[kind], engine)
    df = trades(2000)
    n = s.run(f'tableInsert{{loadTable("{db}", "pt")}}', df)
    assert n == len(df)
    check_queries(s, db, df)
    s.close()


def test_compo_and_appenders(node):
    s = session(node)
    db = "dfs://e2e_compo"
    s.run(f"""
        if (existsDatabase("{db}")) {{ dropDatabase("{db}") }}
        d1 = database(, VALUE, 2022.01.03..2022.01.05)
        d2 = database(, HASH, [SYMBOL, 3])
        db = database("{db}", COMPO, [d1, d2])
        t = table(1:0, `date`sym`id`price`qty, [DATE, SYMBOL, INT, DOUBLE, LONG])
        db.createPartitionedTable(t, `pt, `date`sym)
    """)
    df = trades(3000, seed=11)
    app = ddb.TableAppender(dbPath=db, tableName="pt", ddbSession=s)
    assert app.append(df.iloc[:1000]) == 1000
    pool = ddb.DBConnectionPool("127.0.0.1", node["port"], 2, "admin", "123456")
    papp = ddb.PartitionedTableAppender(db, "pt", "date", pool)
    assert papp.append(df.iloc[1000:]) == 2000
    pool.shutDown()
    check_queries(s, db, df)
    s.close()


def test_update_delete_upsert(node):
    s = session(node)
    db = "dfs://e2e_dml"
    create(s, db, "VALUE", "2022.01.03..2022.01.05", "date", "OLAP")
    df = trades(500, seed=3)
    s.run(f'tableInsert{{loadTable("{db}", "pt")}}', df)
    s.run(f'pt = loadTable("{db}", "pt"); update pt set qty = qty * 2 where sym = `IBM')
    s.run('delete from pt where price < 50')
    want = df.copy()
    want.loc[want["sym"] == "IBM", "qty"] *= 2
    want = want[want["price"] >= 50]
    got = s.run("select sum(qty) as q, count(*) as n from pt")
    assert int(got["q"][0]) == int(want["qty"].sum())
    assert int(got["n"][0]) == len(want)
    s.close()


def test_errors(node):
    s = session(node)
    with pytest.raises(RuntimeError, match="does not exist"):
        s.run('loadTable("dfs://e2e_VALUE_OLAP", "nosuchtable")')
    create(s, "dfs://e2e_err", "VALUE", "1..3", "id", "OLAP")
    with pytest.raises(RuntimeError):
        s.run('loadTable("dfs://e2e_err", "pt").append!(table(1 2 as id))')
    assert s.run('exec count(*) from loadTable("dfs://e2e_err", "pt")') == 0
    s.close()


def test_restart_keeps_data_and_compression_report(tmp_path):
    home = tmp_path / "restart"
    home.mkdir()
    n = start(home, free_port())
    s = session(n)
    db = "dfs://taq"
    s.run(f"""
        db = database("{db}", VALUE, 2022.01.03..2022.01.05)
        t = table(1:0, `date`time`sym`bid`ofr`bidsiz`ofrsiz, [DATE, TIME, SYMBOL, DOUBLE, DOUBLE, INT, INT])
        db.createPartitionedTable(t, `quotes, `date, {{time: "delta"}})
    """)
    rows = 300_000
    rng = np.random.default_rng(1)
    base = np.sort(rng.integers(34_200_000, 57_600_000, rows))
    mid = np.round(100 + np.cumsum(rng.normal(0, 0.01, rows)), 2)
    df = pd.DataFrame({
        "date": pd.to_datetime("2022-01-03") + pd.to_timedelta(rng.integers(0, 3, rows), unit="D"),
        "time": pd.to_datetime("1970-01-01") + pd.to_timedelta(base, unit="ms"),
        "sym": rng.choice(["AAPL", "IBM", "MSFT", "GOOG", "C", "JPM", "XOM", "GE"], rows),
        "bid": mid - 0.01,
        "ofr": mid + 0.01,
        "bidsiz": rng.integers(1, 50, rows).astype(np.int32) * 100,
        "ofrsiz": rng.integers(1, 50, rows).astype(np.int32) * 100,
    })
    s.run("quotesIn = table(1:0, `date`time`sym`bid`ofr`bidsiz`ofrsiz, "
          "[DATE, TIME, SYMBOL, DOUBLE, DOUBLE, INT, INT])")
    ddb.TableAppender(tableName="quotesIn", ddbSession=s).append(df)
    s.run(f'loadTable("{db}", "quotes").append!(quotesIn)')
    want = s.run(f'select count(*) as n, sum(bid) as b from loadTable("{db}", "quotes")')
    s.close()
    stop(n)
    raw_bytes = rows * (4 + 4 + 4 + 8 + 8 + 4 + 4)
    disk = sum(p.stat().st_size for p in (home / f"dfs{n['port']}" / "storage").rglob("*")
               if p.is_file() and p.suffix == ".parquet")
    print(f"\nTAQ-like quotes: {rows} rows, raw {raw_bytes} bytes, on disk {disk} bytes "
          f"(ratio {raw_bytes / max(disk, 1):.2f})")
    n2 = start(home, n["port"])
    s = session(n2)
    got = s.run(f'select count(*) as n, sum(bid) as b from loadTable("{db}", "quotes")')
    assert int(got["n"][0]) == rows == int(want["n"][0])
    assert np.isclose(got["b"][0], want["b"][0])
    s.close()
    stop(n2)
    assert "redo replay" in n2["log"].read_text()


def test_loadtable_result_is_the_tables_rows(node):
    """A script whose value is a DFS table handle sends the table's rows (a TABLE form), as
    DolphinDB does, not an object the client cannot read."""
    s = session(node)
    db = "dfs://e2e_handle"
    create(s, db, "VALUE", "2022.01.03..2022.01.05", "date", "OLAP")
    df = trades(300, seed=5)
    s.run(f'tableInsert{{loadTable("{db}", "pt")}}', df)
    got = s.run(f'loadTable("{db}", "pt")')
    assert isinstance(got, pd.DataFrame)
    assert list(got.columns) == list(df.columns)
    key = ["date", "sym", "id", "price", "qty"]
    got = got.sort_values(key).reset_index(drop=True)
    want = df.sort_values(key).reset_index(drop=True)
    assert len(got) == len(want)
    assert (got["qty"].to_numpy() == want["qty"].to_numpy()).all()
    assert np.allclose(got["price"].to_numpy(), want["price"].to_numpy())
    assert (got["sym"].to_numpy() == want["sym"].to_numpy()).all()
    # `append!` returns the table it appended to: its rows, too.
    more = s.run(f'loadTable("{db}", "pt").append!(table(2022.01.04 as date, `IBM as sym, '
                 f'7 as id, 1.5 as price, 3l as qty))')
    assert len(more) == len(df) + 1
    s.close()


def test_array_vector_columns_survive_a_restart(tmp_path):
    home = tmp_path / "arrays"
    home.mkdir()
    n = start(home, free_port())
    s = session(n)
    db = "dfs://e2e_arrays"
    s.run(f"""
        db = database("{db}", VALUE, 1..3, engine="TSDB")
        t = table(1:0, `id`ts`bids`qty, [INT, TIMESTAMP, DOUBLE[], INT[]])
        db.createPartitionedTable(t, `pt, `id, sortColumns=`ts)
    """)
    rows = 500
    rng = np.random.default_rng(11)
    sizes = rng.integers(0, 6, rows)
    df = pd.DataFrame({
        "id": rng.integers(1, 4, rows).astype(np.int32),
        "ts": pd.to_datetime("2024-01-02") + pd.to_timedelta(np.arange(rows), unit="ms"),
        "bids": [np.round(rng.uniform(1, 100, k), 2) for k in sizes],
        "qty": [rng.integers(1, 1000, k).astype(np.int32) for k in sizes],
    })
    # A pandas column of numpy arrays, appended through a function request.
    assert s.run(f'tableInsert{{loadTable("{db}", "pt")}}', df) == rows

    def check(s):
        got = s.run(f'select id, ts, bids, qty, rowSum(bids) as sb, rowSum(qty) as sq '
                    f'from loadTable("{db}", "pt") order by ts')
        assert len(got) == rows
        # The client uploads an empty numpy array as a row holding one null.
        def cells(a, cast):
            return [None if pd.isna(x) else cast(x) for x in a] or [None]

        for g, w in zip(got["bids"], df["bids"]):
            assert cells(g, float) == cells(w, float)
        for g, w in zip(got["qty"], df["qty"]):
            assert cells(g, int) == cells(w, int)
        want_sq = [int(q.sum()) for q in df["qty"]]
        got_sq = [0 if pd.isna(x) else int(x) for x in got["sq"]]
        assert got_sq == want_sq
        # where on an array column's row sum, pushed to every partition
        n_big = s.run(f'exec count(*) from loadTable("{db}", "pt") where rowSum(qty) > 2000')
        assert n_big == sum(1 for q in df["qty"] if q.sum() > 2000)
        # the handle itself as the result: the rows, array columns included
        whole = s.run(f'loadTable("{db}", "pt")')
        assert len(whole) == rows and list(whole.columns) == ["id", "ts", "bids", "qty"]

    check(s)
    s.close()
    stop(n)
    n2 = start(home, n["port"])
    s = session(n2)
    check(s)
    s.run("flushTSDBCache()")
    check(s)
    s.close()
    stop(n2)


def test_array_vector_columns_through_the_appenders(node):
    s = session(node)
    db = "dfs://e2e_array_appenders"
    s.run(f"""
        db = database("{db}", VALUE, 1..3, engine="TSDB")
        t = table(1:0, `id`ts`v, [INT, TIMESTAMP, DOUBLE[]])
        db.createPartitionedTable(t, `pt, `id, sortColumns=`ts)
    """)
    df = pd.DataFrame({
        "id": np.array([1, 2, 3], dtype=np.int32),
        "ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        "v": [np.array([1.5, 2.5]), np.array([3.0]), np.array([4.0, 5.0, 6.0])],
    })
    assert ddb.TableAppender(db_path=db, table_name="pt", conn=s).append(df) == 3
    pool = ddb.DBConnectionPool("127.0.0.1", node["port"], 1, "admin", "123456")
    appender = ddb.PartitionedTableAppender(db_path=db, table_name="pt", partition_col="id",
                                            pool=pool)
    assert appender.append(df) == 3
    got = s.run(f'select id, rowSum(v) as s, v from loadTable("{db}", "pt") order by id, ts')
    assert list(got["id"]) == [1, 1, 2, 2, 3, 3]
    assert list(got["s"]) == [4.0, 4.0, 3.0, 3.0, 15.0, 15.0]
    assert [list(x) for x in got["v"]] == [[1.5, 2.5]] * 2 + [[3.0]] * 2 + [[4.0, 5.0, 6.0]] * 2
    pool.shutDown()
    s.close()
