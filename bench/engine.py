"""Runs one engine through the whole workload in its own process and writes
work/<scale>/<engine>.json (timings, bytes on disk, peak RSS) and the answers
(work/<scale>/answers/<engine>/<query>.parquet, canonicalized).

    python bench/engine.py --engine porpoise|duckdb|chdb|polars --scale small

Every engine gets 2 threads: porpoise `-workerNum 2 -localExecutors 2`, duckdb
`SET threads = 2`, chdb `max_threads = 2`, polars POLARS_MAX_THREADS=2.
"""

import os

THREADS = 2
os.environ["POLARS_MAX_THREADS"] = str(THREADS)

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import common  # noqa: E402
import queries as Q  # noqa: E402

DATASETS = {"tsbs": ["cpu"], "taq": ["quotes", "trades"]}


def vm_hwm_kb(pid="self"):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def du_bytes(path, skip=()):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            if f in skip:
                continue
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def drop_caches():
    """Drops the OS page cache when we may (root); returns whether it did."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------------
class Porpoise:
    name = "porpoise"
    BIN = os.environ.get("PORPOISE_BIN", str(ROOT / "target" / "release" / "porpoise"))
    START_TIMEOUT_S = 60
    STOP_TIMEOUT_S = 120

    def __init__(self, work):
        import dolphindb as ddb
        self.ddb = ddb
        self.home = work / "porpoise"
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        self.proc = None
        self.hwm_kb = 0
        self.start()

    def start(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        cmd = [self.BIN, "-mode", "single", "-home", str(self.home), "-console", "0",
               "-localSite", f"127.0.0.1:{self.port}:bench", "-stdoutLog", "0",
               "-logFile", str(self.home / "porpoise.log"), "-workerNum", str(THREADS),
               "-localExecutors", str(THREADS), "-dataSync", "1"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + self.START_TIMEOUT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.proc.kill()
                    raise RuntimeError(f"porpoise did not start: {self.proc.stderr.read()!r}")
                time.sleep(0.05)
        self.s = self.ddb.session()
        if not self.s.connect("127.0.0.1", self.port, "admin", "123456"):
            raise RuntimeError("cannot connect to porpoise")

    def stop(self):
        self.hwm_kb = max(self.hwm_kb, vm_hwm_kb(self.proc.pid))
        try:
            self.s.close()
        except Exception:
            pass
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=self.STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("porpoise did not stop within the timeout")

    def restart(self):
        self.stop()
        drop = drop_caches() if common.DROP_CACHES else False
        self.start()
        return drop

    def create(self, db):
        if db == "tsbs":
            self.s.run("""
                if (existsDatabase("dfs://bench_tsbs")) { dropDatabase("dfs://bench_tsbs") }
                dbDate = database("", VALUE, 2016.01.01..2016.01.03)
                dbHost = database("", HASH, [SYMBOL, 8])
                db = database("dfs://bench_tsbs", COMPO, [dbDate, dbHost])
                t = table(1:0, `timestamp`hostname`usage_user`usage_system`usage_idle`usage_nice`usage_iowait`usage_irq`usage_softirq`usage_steal`usage_guest`usage_guest_nice,
                          [TIMESTAMP, SYMBOL, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE])
                db.createPartitionedTable(t, `cpu, `timestamp`hostname)
            """)
        else:
            self.s.run("""
                if (existsDatabase("dfs://bench_taq")) { dropDatabase("dfs://bench_taq") }
                dbDate = database("", VALUE, 2024.01.02..2024.01.02)
                dbSym = database("", HASH, [SYMBOL, 16])
                db = database("dfs://bench_taq", COMPO, [dbDate, dbSym])
                q = table(1:0, `time`sym`bid`ask`bidSize`askSize, [TIMESTAMP, SYMBOL, DOUBLE, DOUBLE, INT, INT])
                db.createPartitionedTable(q, `quotes, `time`sym)
                t = table(1:0, `time`sym`price`qty, [TIMESTAMP, SYMBOL, DOUBLE, INT])
                db.createPartitionedTable(t, `trades, `time`sym)
            """)

    def insert(self, db, table, batch):
        df = batch.to_pandas()
        t0 = time.perf_counter()
        self.s.run(f'tableInsert{{loadTable("dfs://bench_{db}", "{table}")}}', df)
        return time.perf_counter() - t0

    def ingest_done(self):
        pass

    def query(self, q):
        return self.s.run(q["porpoise"])

    def to_pandas(self, r):
        return r

    def bytes_on_disk(self):
        # A clean shutdown flushes the cache engine into segments and deletes the redo log,
        # so the figure is the data at rest.
        self.stop()
        n = du_bytes(self.home / "bench")
        self.start()
        return n

    def peak_rss_kb(self):
        return max(self.hwm_kb, vm_hwm_kb(self.proc.pid))

    def close(self):
        self.stop()

    def version(self):
        try:
            return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"


# ---------------------------------------------------------------------------------------
DUCK_DDL = {
    "cpu": "CREATE TABLE cpu (timestamp TIMESTAMP, hostname VARCHAR, "
           + ", ".join(f"{m} DOUBLE" for m in Q.METRICS) + ")",
    "quotes": "CREATE TABLE quotes (time TIMESTAMP, sym VARCHAR, bid DOUBLE, ask DOUBLE, "
              "bidSize INTEGER, askSize INTEGER)",
    "trades": "CREATE TABLE trades (time TIMESTAMP, sym VARCHAR, price DOUBLE, qty INTEGER)",
}


class DuckDB:
    name = "duckdb"

    def __init__(self, work):
        import duckdb
        self.duckdb = duckdb
        self.dir = work / "duckdb"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.path = self.dir / "bench.duckdb"
        self.open()

    def open(self):
        self.con = self.duckdb.connect(str(self.path))
        self.con.execute(f"SET threads = {THREADS}")

    def restart(self):
        self.con.close()
        drop = drop_caches() if common.DROP_CACHES else False
        self.open()
        return drop

    def create(self, db):
        for t in DATASETS[db]:
            self.con.execute(DUCK_DDL[t])

    def insert(self, db, table, batch):
        t0 = time.perf_counter()
        self.con.register("batch_view", batch)
        self.con.execute(f"INSERT INTO {table} SELECT * FROM batch_view")
        self.con.unregister("batch_view")
        return time.perf_counter() - t0

    def ingest_done(self):
        pass

    def query(self, q):
        return self.con.sql(q["duckdb"]).to_arrow_table()

    def to_pandas(self, r):
        return r.to_pandas()

    def bytes_on_disk(self):
        self.con.execute("CHECKPOINT")
        return du_bytes(self.dir)

    def peak_rss_kb(self):
        return vm_hwm_kb()

    def close(self):
        self.con.close()

    def version(self):
        return self.duckdb.__version__


# ---------------------------------------------------------------------------------------
CH_DDL = {
    "cpu": "CREATE TABLE cpu (timestamp DateTime64(3, 'UTC'), hostname LowCardinality(String), "
           + ", ".join(f"{m} Float64" for m in Q.METRICS)
           + ") ENGINE = MergeTree PARTITION BY toDate(timestamp) ORDER BY (hostname, timestamp)",
    "quotes": "CREATE TABLE quotes (time DateTime64(3, 'UTC'), sym LowCardinality(String), "
              "bid Float64, ask Float64, bidSize Int32, askSize Int32) "
              "ENGINE = MergeTree PARTITION BY toDate(time) ORDER BY (sym, time)",
    "trades": "CREATE TABLE trades (time DateTime64(3, 'UTC'), sym LowCardinality(String), "
              "price Float64, qty Int32) "
              "ENGINE = MergeTree PARTITION BY toDate(time) ORDER BY (sym, time)",
}


class Chdb:
    name = "chdb"

    def __init__(self, work):
        import chdb
        from chdb import session
        self.chdb = chdb
        self.session_mod = session
        self.dir = work / "chdb"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.open()

    def open(self):
        self.s = self.session_mod.Session(str(self.dir))

    def restart(self):
        self.s.close()
        drop = drop_caches() if common.DROP_CACHES else False
        self.open()
        return drop

    def create(self, db):
        self.s.query("CREATE DATABASE IF NOT EXISTS bench")
        for t in DATASETS[db]:
            self.s.query(CH_DDL[t].replace(f"CREATE TABLE {t} ", f"CREATE TABLE bench.{t} "))

    def insert(self, db, table, batch):
        t0 = time.perf_counter()
        self.s.query(f"INSERT INTO bench.{table} SELECT * FROM Python(batch) "
                     f"SETTINGS max_threads = {THREADS}, max_insert_threads = {THREADS}")
        return time.perf_counter() - t0

    def ingest_done(self):
        pass

    def query(self, q):
        extra = f", {q['chdb_settings']}" if q.get("chdb_settings") else ""
        text = q["chdb"].replace(" FROM cpu", " FROM bench.cpu") \
            .replace(" FROM quotes", " FROM bench.quotes") \
            .replace(" FROM trades", " FROM bench.trades") \
            .replace(" JOIN quotes", " JOIN bench.quotes")
        return self.s.query(f"{text} SETTINGS max_threads = {THREADS}{extra}", "ArrowTable")

    def to_pandas(self, r):
        return r.to_pandas()

    def bytes_on_disk(self):
        r = self.s.query("SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = 'bench'",
                         "CSV")
        return int(str(r).strip() or 0)

    def peak_rss_kb(self):
        return vm_hwm_kb()

    def close(self):
        self.s.close()

    def version(self):
        return self.chdb.__version__


# ---------------------------------------------------------------------------------------
class Polars:
    """An in-memory frame: ingest is building the DataFrame from the Arrow batches. Its
    persisted form (for bytes on disk and cold runs) is a Parquet file per table written after
    ingest; cold runs scan those files lazily."""
    name = "polars"

    def __init__(self, work):
        import polars as pl
        self.pl = pl
        self.dir = work / "polars"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.parts = {}
        self.frames = {}
        self.cold = False

    def restart(self):
        drop = drop_caches() if common.DROP_CACHES else False
        self.cold = True
        return drop

    def create(self, db):
        for t in DATASETS[db]:
            self.parts[t] = []

    def insert(self, db, table, batch):
        t0 = time.perf_counter()
        self.parts[table].append(self.pl.from_arrow(batch))
        return time.perf_counter() - t0

    def ingest_done(self):
        t0 = time.perf_counter()
        for t, parts in self.parts.items():
            self.frames[t] = self.pl.concat(parts, rechunk=True)
        self.parts = {}
        took = time.perf_counter() - t0
        for t, f in self.frames.items():
            f.write_parquet(self.dir / f"{t}.parquet")
        return took

    def query(self, q):
        if self.cold:
            lf = {t: self.pl.scan_parquet(self.dir / f"{t}.parquet") for t in self.frames}
        else:
            lf = {t: f.lazy() for t, f in self.frames.items()}
        return q["polars"](lf).collect()

    def to_pandas(self, r):
        return r.to_pandas()

    def bytes_on_disk(self):
        return du_bytes(self.dir)

    def peak_rss_kb(self):
        return vm_hwm_kb()

    def close(self):
        pass

    def version(self):
        return self.pl.__version__


ENGINES = {"porpoise": Porpoise, "duckdb": DuckDB, "chdb": Chdb, "polars": Polars}


def timed(f):
    t0 = time.perf_counter()
    r = f()
    return time.perf_counter() - t0, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=list(ENGINES), required=True)
    ap.add_argument("--scale", default="small")
    ap.add_argument("--hot-runs", type=int, default=5)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--batch-rows", type=int, default=1_000_000)
    ap.add_argument("--query-budget-s", type=float, default=120.0,
                    help="a query whose first run takes longer runs only once more, hot and cold")
    ap.add_argument("--only", default="", help="comma-separated query names (debugging)")
    ap.add_argument("--no-drop-caches", action="store_true")
    a = ap.parse_args()
    common.DROP_CACHES = not a.no_drop_caches

    data = HERE / "data" / a.scale
    work = HERE / "work" / a.scale
    meta = json.loads((data / "meta.json").read_text())
    answers = work / "answers" / a.engine
    shutil.rmtree(answers, ignore_errors=True)
    answers.mkdir(parents=True)
    qs = Q.build(meta)
    if a.only:
        keep = set(a.only.split(","))
        qs = [q for q in qs if q["name"] in keep]

    out = {"engine": a.engine, "scale": a.scale, "ingest": {}, "queries": {}, "errors": {}}
    eng = ENGINES[a.engine](work)
    out["version"] = eng.version()

    # ingest ----------------------------------------------------------------------------
    for db, tables in DATASETS.items():
        eng.create(db)
        for t in tables:
            pf = pq.ParquetFile(data / f"{t}.parquet")
            secs, rows = 0.0, 0
            for rb in pf.iter_batches(batch_size=a.batch_rows):
                batch = pa.Table.from_batches([rb])
                secs += eng.insert(db, t, batch)
                rows += batch.num_rows
            out["ingest"][t] = {"rows": rows, "seconds": secs}
    extra = eng.ingest_done() or 0.0
    if extra:
        # building the final frames counts toward ingest, spread by rows
        total = sum(v["rows"] for v in out["ingest"].values())
        for v in out["ingest"].values():
            v["seconds"] += extra * v["rows"] / total
    for v in out["ingest"].values():
        v["rows_per_s"] = v["rows"] / v["seconds"] if v["seconds"] > 0 else None
        print(f"[{a.engine}] ingest {v['rows']} rows in {v['seconds']:.2f}s", file=sys.stderr)

    # hot -------------------------------------------------------------------------------
    for q in qs:
        name = q["name"]
        try:
            first, r = timed(lambda: eng.query(q))
            df = common.canonical(eng.to_pandas(r), q)
            df.to_parquet(answers / f"{name}.parquet")
            runs = a.hot_runs if first <= a.query_budget_s else 1
            times = [timed(lambda: eng.query(q))[0] for _ in range(runs)]
            out["queries"][name] = {"hot": times, "first": first, "rows": len(df)}
            print(f"[{a.engine}] {name}: first {first*1000:.1f} ms, hot median "
                  f"{statistics.median(times)*1000:.1f} ms, {len(df)} rows", file=sys.stderr)
        except Exception as e:  # an engine's failure is reported, not fatal for the others
            out["errors"][name] = f"{type(e).__name__}: {e}"
            print(f"[{a.engine}] {name}: ERROR {e}", file=sys.stderr)
            traceback.print_exc()

    # cold ------------------------------------------------------------------------------
    dropped = []
    for q in qs:
        name = q["name"]
        if name in out["errors"]:
            continue
        runs = a.cold_runs if out["queries"][name]["first"] <= a.query_budget_s else 1
        times = []
        for _ in range(runs):
            dropped.append(eng.restart())
            times.append(timed(lambda: eng.query(q))[0])
        out["queries"][name]["cold"] = times
        print(f"[{a.engine}] {name}: cold median {statistics.median(times)*1000:.1f} ms",
              file=sys.stderr)
    out["cold_dropped_page_cache"] = bool(dropped) and all(dropped)
    out["bytes_on_disk"] = eng.bytes_on_disk()
    out["peak_rss_kb"] = eng.peak_rss_kb()
    eng.close()
    if a.engine == "porpoise":
        out["peak_rss_kb"] = max(out["peak_rss_kb"], eng.hwm_kb)
    (work / f"{a.engine}.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
