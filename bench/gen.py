"""Deterministic data for the benchmark (seeded numpy), written as Parquet under
bench/data/<scale>/ together with meta.json (the scale's parameters and the query parameters
drawn from the same seed).

Datasets
- cpu: TSBS "cpu-only" devops data: one row per host every 10 s, columns
  timestamp, hostname, usage_user .. usage_guest_nice (10 DOUBLE metrics). Each metric is a
  random walk with N(0, 1) steps clamped to [0, 100], as TSBS generates it.
- quotes (time, sym, bid, ask, bidSize, askSize) and trades (time, sym, price, qty): TAQ-like,
  3000 symbols with Zipf-like activity over 09:30-16:00 of consecutive weekdays. Times are
  millisecond TIMESTAMPs, strictly increasing within a symbol (so "last" and as-of joins have
  one answer), rows in time order.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
SEED = 20240617
METRICS = [
    "usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
    "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice",
]
CPU_INTERVAL_MS = 10_000
CPU_START = np.datetime64("2016-01-01T00:00:00", "ms")
TAQ_START = np.datetime64("2024-01-02", "D")  # a Tuesday
SESSION_OPEN_MS = (9 * 60 + 30) * 60_000
SESSION_MS = 390 * 60_000
SYMBOLS = 3000

# rows: cpu = hosts * days * 8640; quotes/trades per trading day.
SCALES = {
    "small": dict(hosts=40, cpu_days=3, taq_days=1, quotes_per_day=1_000_000,
                  trades_per_day=250_000),
    "medium": dict(hosts=1350, cpu_days=3, taq_days=3, quotes_per_day=8_000_000,
                   trades_per_day=2_000_000),
    "large": dict(hosts=4000, cpu_days=3, taq_days=5, quotes_per_day=16_000_000,
                  trades_per_day=4_000_000),
}
GEN_VERSION = 1


def data_dir(scale):
    return HERE / "data" / scale


def trading_days(n):
    days, d = [], TAQ_START
    while len(days) < n:
        if np.is_busday(d):
            days.append(d)
        d = d + np.timedelta64(1, "D")
    return days


def gen_cpu(p, out, rng):
    hosts = p["hosts"]
    steps_per_day = 86_400_000 // CPU_INTERVAL_MS
    names = pa.array([f"host_{i}" for i in range(hosts)])
    state = rng.uniform(0, 100, size=(hosts, len(METRICS)))
    schema = pa.schema([("timestamp", pa.timestamp("ms")), ("hostname", pa.string())]
                       + [(m, pa.float64()) for m in METRICS])
    writer = pq.ParquetWriter(out, schema, compression="zstd")
    # One row group per 3 hours of data keeps memory bounded at every scale.
    block = 1080
    t0 = CPU_START.astype(np.int64)
    total = p["cpu_days"] * steps_per_day
    for b0 in range(0, total, block):
        n = min(block, total - b0)
        vals = np.empty((n, hosts, len(METRICS)))
        steps = rng.normal(0.0, 1.0, size=(n, hosts, len(METRICS)))
        for i in range(n):
            state = np.clip(state + steps[i], 0.0, 100.0)
            vals[i] = state
        ts = t0 + (b0 + np.arange(n, dtype=np.int64)) * CPU_INTERVAL_MS
        cols = [pa.array(np.repeat(ts, hosts), pa.timestamp("ms")),
                pa.DictionaryArray.from_arrays(
                    pa.array(np.tile(np.arange(hosts, dtype=np.int32), n)), names
                ).cast(pa.string())]
        flat = vals.reshape(n * hosts, len(METRICS))
        cols += [pa.array(flat[:, j]) for j in range(len(METRICS))]
        writer.write_table(pa.Table.from_arrays(cols, schema=schema))
    writer.close()
    return total * hosts


def sym_names():
    return np.array([f"S{i:04d}" for i in range(SYMBOLS)], dtype=object)


def strictly_increasing_per_sym(sym, t):
    """Sort by (sym, t), bump equal times within a symbol by 1 ms, return the rows in time
    order (ties across symbols keep symbol order)."""
    order = np.lexsort((t, sym))
    s, tt = sym[order], t[order].copy()
    # Within a symbol, make t strictly increasing: t'[i] = max(t[i], t'[i-1] + 1). Equivalent
    # to a running max of (t[i] - i) + i inside each group.
    idx = np.arange(len(tt), dtype=np.int64)
    start = np.r_[0, np.flatnonzero(np.diff(s)) + 1]
    grp_start = np.repeat(start, np.diff(np.r_[start, len(s)]))
    key = tt - (idx - grp_start)
    # running max restarted per group: offset groups so a plain cumulative max works
    big = np.int64(1) << 45
    run = np.maximum.accumulate(key + s.astype(np.int64) * big) - s.astype(np.int64) * big
    tt = run + (idx - grp_start)
    back = np.lexsort((s, tt))
    return s[back], tt[back]


def gen_taq(p, qout, tout, rng):
    names = sym_names()
    names_arr = pa.array(list(names))
    weights = 1.0 / np.arange(1, SYMBOLS + 1) ** 0.9
    weights /= weights.sum()
    base = np.round(np.exp(rng.normal(3.5, 0.8, SYMBOLS)), 2) + 1.0
    qschema = pa.schema([("time", pa.timestamp("ms")), ("sym", pa.string()),
                         ("bid", pa.float64()), ("ask", pa.float64()),
                         ("bidSize", pa.int32()), ("askSize", pa.int32())])
    tschema = pa.schema([("time", pa.timestamp("ms")), ("sym", pa.string()),
                         ("price", pa.float64()), ("qty", pa.int32())])
    qw = pq.ParquetWriter(qout, qschema, compression="zstd")
    tw = pq.ParquetWriter(tout, tschema, compression="zstd")
    nq = nt = 0
    mid_level = base.copy()
    for day in trading_days(p["taq_days"]):
        day_ms = day.astype("datetime64[ms]").astype(np.int64) + SESSION_OPEN_MS
        # quotes
        n = p["quotes_per_day"]
        sym = rng.choice(SYMBOLS, size=n, p=weights).astype(np.int32)
        t = rng.integers(0, SESSION_MS, size=n, dtype=np.int64)
        sym, t = strictly_increasing_per_sym(sym, t)
        # mid price: per-symbol multiplicative random walk in time order
        ret = rng.normal(0.0, 2e-4, size=n)
        order = np.lexsort((t, sym))
        r_sorted = ret[order]
        s_sorted = sym[order]
        cum = np.cumsum(r_sorted)
        start = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
        lens = np.diff(np.r_[start, n])
        cum -= np.repeat(cum[start] - r_sorted[start], lens)
        mid_sorted = mid_level[s_sorted] * np.exp(cum)
        last_idx = np.r_[start[1:] - 1, n - 1]
        mid_level[s_sorted[last_idx]] = mid_sorted[last_idx]
        mid = np.empty(n)
        mid[order] = mid_sorted
        half = np.maximum(np.round(mid * rng.uniform(5e-5, 5e-4, n), 2), 0.01)
        bid = np.round(mid - half, 2)
        ask = np.round(mid + half, 2)
        bsz = (rng.integers(1, 50, n) * 100).astype(np.int32)
        asz = (rng.integers(1, 50, n) * 100).astype(np.int32)
        tq = pa.Table.from_arrays([
            pa.array(day_ms + t, pa.timestamp("ms")),
            pa.DictionaryArray.from_arrays(pa.array(sym), names_arr).cast(pa.string()),
            pa.array(bid), pa.array(ask), pa.array(bsz), pa.array(asz)], schema=qschema)
        qw.write_table(tq, row_group_size=1 << 20)
        nq += n
        # trades: near the symbol's level of the day
        n = p["trades_per_day"]
        sym = rng.choice(SYMBOLS, size=n, p=weights).astype(np.int32)
        t = rng.integers(0, SESSION_MS, size=n, dtype=np.int64)
        sym, t = strictly_increasing_per_sym(sym, t)
        price = np.round(mid_level[sym] * np.exp(rng.normal(0.0, 2e-3, n)), 2)
        qty = (rng.integers(1, 100, n) * rng.choice([1, 10, 100], n, p=[.5, .4, .1])).astype(np.int32)
        tt = pa.Table.from_arrays([
            pa.array(day_ms + t, pa.timestamp("ms")),
            pa.DictionaryArray.from_arrays(pa.array(sym), names_arr).cast(pa.string()),
            pa.array(price), pa.array(qty)], schema=tschema)
        tw.write_table(tt, row_group_size=1 << 20)
        nt += n
    qw.close()
    tw.close()
    return nq, nt


def query_params(p, rng):
    """TSBS draws random hosts and windows per query; we draw one set, seeded."""
    hosts = p["hosts"]
    cpu_end = CPU_START + np.timedelta64(p["cpu_days"] * 86_400_000, "ms")

    def window(hours):
        span = np.timedelta64(hours * 3_600_000, "ms")
        slots = int((cpu_end - CPU_START - span) // np.timedelta64(60_000, "ms"))
        t0 = CPU_START + np.timedelta64(int(rng.integers(0, slots + 1)) * 60_000, "ms")
        return [str(t0), str(t0 + span)]

    def pick_hosts(k):
        return [f"host_{i}" for i in sorted(rng.choice(hosts, size=k, replace=False))]

    days = trading_days(p["taq_days"])
    return {
        "single_groupby_1_1_1": {"hosts": pick_hosts(1), "window": window(1)},
        "single_groupby_5_8_1": {"hosts": pick_hosts(8), "window": window(1)},
        "double_groupby": {"window": window(12)},
        "high_cpu_1": {"hosts": pick_hosts(1), "window": window(12)},
        "high_cpu_all": {"window": window(12)},
        "groupby_orderby_limit": {"end": window(0)[0]},
        "point_lookup": {"sym": f"S{int(rng.integers(0, 200)):04d}",
                         "day": str(days[int(rng.integers(0, len(days)))])},
        "cpu_start": str(CPU_START), "cpu_end": str(cpu_end),
        "taq_days": [str(d) for d in days],
    }


def generate(scale, force=False):
    p = SCALES[scale]
    d = data_dir(scale)
    meta_path = d / "meta.json"
    want = {"scale": scale, "params": p, "seed": SEED, "gen_version": GEN_VERSION}
    if meta_path.exists() and not force:
        meta = json.loads(meta_path.read_text())
        if all(meta.get(k) == v for k, v in want.items()):
            return meta
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    rows = {"cpu": gen_cpu(p, d / "cpu.parquet", rng)}
    rows["quotes"], rows["trades"] = gen_taq(p, d / "quotes.parquet", d / "trades.parquet", rng)
    meta = dict(want, rows=rows, queries=query_params(p, rng))
    tmp = meta_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=1))
    os.replace(tmp, meta_path)
    return meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", choices=list(SCALES), default="small")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    meta = generate(a.scale, a.force)
    json.dump(meta["rows"], sys.stdout)
    print()


if __name__ == "__main__":
    main()
