"""The workloads: each query once per engine, with the same semantics.

A query is a dict: name, group (tsbs | market), cols (the canonical result columns, which
every engine returns under these names), keys (the columns the answers are sorted by before
they are compared; each engine may return rows in any order unless `ordered`), and one text
(or, for polars, a function of the frames) per engine. Parameters (hosts, windows, the
symbol) come from meta.json, drawn by gen.py from the seed.

TSBS cpu-only definitions followed (github.com/timescale/tsbs, cmd/tsbs_generate_queries/uses/devops):
- single-groupby-M-H-T: max of M metrics per minute for H random hosts over a random T-hour window;
- double-groupby-N: mean of N metrics per (hour, host) over a random 12 h window;
- high-cpu-1/all: every reading with usage_user > 90 for one host / all hosts, random 12 h window;
- lastpoint: the last reading of every host;
- groupby-orderby-limit: max(usage_user) per minute, the 5 last minutes before a random end.

Each engine uses its idiomatic form: lastpoint is `context by ... csort ... limit -1` in
DolphinDB, TSBS's ClickHouse form (rows at each host's max timestamp) in SQL, a window max in
polars. ClickHouse's Arrow output turns DateTime into UInt32 seconds, so chdb's time buckets are
cast back to DateTime64(3).
"""

from datetime import datetime

METRICS = [
    "usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
    "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice",
]
CPU = 'loadTable("dfs://bench_tsbs", "cpu")'
QUOTES = 'loadTable("dfs://bench_taq", "quotes")'
TRADES = 'loadTable("dfs://bench_taq", "trades")'


def ddb_ts(s):
    """'2016-01-02T15:09:00.000' -> DolphinDB TIMESTAMP literal."""
    d = datetime.fromisoformat(s)
    return d.strftime("%Y.%m.%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}"


def sql_ts(s):
    return datetime.fromisoformat(s).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def ch_ts(s):
    return f"toDateTime64('{sql_ts(s)}', 3, 'UTC')"


def duck_ts(s):
    return f"TIMESTAMP '{sql_ts(s)}'"


def py_ts(s):
    return datetime.fromisoformat(s)


def build(meta):
    """The list of queries for one scale's parameters."""
    import polars as pl  # imported here so the POLARS_MAX_THREADS of the caller applies

    P = meta["queries"]
    out = []

    def q(name, group, cols, keys, porpoise, duckdb, chdb, polars, ordered=False, tol=1e-9):
        out.append(dict(name=name, group=group, cols=cols, keys=keys, ordered=ordered, tol=tol,
                        porpoise=porpoise, duckdb=duckdb, chdb=chdb, polars=polars))

    def in_list_ddb(xs):
        return "[" + ",".join(f'"{x}"' for x in xs) + "]"

    def in_list_sql(xs):
        return "(" + ",".join(f"'{x}'" for x in xs) + ")"

    # --- TSBS -----------------------------------------------------------------------------
    def single_groupby(name, metrics, p):
        h, (t0, t1) = p["hosts"], p["window"]
        ddb_aggs = ", ".join(f"max({m}) as max_{m}" for m in metrics)
        sql_aggs = ", ".join(f"max({m}) AS max_{m}" for m in metrics)
        host_ddb = f'hostname = "{h[0]}"' if len(h) == 1 else f"hostname in {in_list_ddb(h)}"
        host_sql = f"hostname = '{h[0]}'" if len(h) == 1 else f"hostname IN {in_list_sql(h)}"

        def pol(f):
            return (f["cpu"].filter(pl.col("hostname").is_in(h),
                                    pl.col("timestamp") >= py_ts(t0), pl.col("timestamp") < py_ts(t1))
                    .group_by(pl.col("timestamp").dt.truncate("1m").alias("minute"))
                    .agg([pl.col(m).max().alias(f"max_{m}") for m in metrics]).sort("minute"))

        q(name, "tsbs", ["minute"] + [f"max_{m}" for m in metrics], ["minute"],
          f"select {ddb_aggs} from {CPU} where {host_ddb}, timestamp >= {ddb_ts(t0)}, "
          f"timestamp < {ddb_ts(t1)} group by bar(timestamp, 1m) as minute order by minute",
          f"SELECT date_trunc('minute', timestamp) AS minute, {sql_aggs} FROM cpu "
          f"WHERE {host_sql} AND timestamp >= {duck_ts(t0)} AND timestamp < {duck_ts(t1)} "
          f"GROUP BY minute ORDER BY minute",
          f"SELECT toDateTime64(toStartOfMinute(timestamp), 3, 'UTC') AS minute, {sql_aggs} FROM cpu "
          f"WHERE {host_sql} AND timestamp >= {ch_ts(t0)} AND timestamp < {ch_ts(t1)} "
          f"GROUP BY minute ORDER BY minute",
          pol, ordered=True)

    single_groupby("single-groupby-1-1-1", METRICS[:1], P["single_groupby_1_1_1"])
    single_groupby("single-groupby-5-8-1", METRICS[:5], P["single_groupby_5_8_1"])

    def double_groupby(name, metrics):
        t0, t1 = P["double_groupby"]["window"]
        ddb_aggs = ", ".join(f"avg({m}) as mean_{m}" for m in metrics)
        sql_aggs = ", ".join(f"avg({m}) AS mean_{m}" for m in metrics)

        def pol(f):
            return (f["cpu"].filter(pl.col("timestamp") >= py_ts(t0), pl.col("timestamp") < py_ts(t1))
                    .group_by(pl.col("timestamp").dt.truncate("1h").alias("hour"), "hostname")
                    .agg([pl.col(m).mean().alias(f"mean_{m}") for m in metrics])
                    .sort("hour", "hostname"))

        q(name, "tsbs", ["hour", "hostname"] + [f"mean_{m}" for m in metrics], ["hour", "hostname"],
          f"select {ddb_aggs} from {CPU} where timestamp >= {ddb_ts(t0)}, timestamp < {ddb_ts(t1)} "
          f"group by bar(timestamp, 1H) as hour, hostname order by hour, hostname",
          f"SELECT date_trunc('hour', timestamp) AS hour, hostname, {sql_aggs} FROM cpu "
          f"WHERE timestamp >= {duck_ts(t0)} AND timestamp < {duck_ts(t1)} "
          f"GROUP BY hour, hostname ORDER BY hour, hostname",
          f"SELECT toDateTime64(toStartOfHour(timestamp), 3, 'UTC') AS hour, hostname, {sql_aggs} FROM cpu "
          f"WHERE timestamp >= {ch_ts(t0)} AND timestamp < {ch_ts(t1)} "
          f"GROUP BY hour, hostname ORDER BY hour, hostname",
          pol, ordered=True)

    double_groupby("double-groupby-1", METRICS[:1])
    double_groupby("double-groupby-all", METRICS)

    all_cols = ["timestamp", "hostname"] + METRICS
    star_sql = ", ".join(all_cols)

    def high_cpu(name, p):
        t0, t1 = p["window"]
        h = p.get("hosts")
        host_ddb = f', hostname = "{h[0]}"' if h else ""
        host_sql = f" AND hostname = '{h[0]}'" if h else ""

        def pol(f):
            c = [pl.col("usage_user") > 90.0, pl.col("timestamp") >= py_ts(t0),
                 pl.col("timestamp") < py_ts(t1)]
            if h:
                c.append(pl.col("hostname") == h[0])
            return f["cpu"].filter(*c)

        q(name, "tsbs", all_cols, ["hostname", "timestamp"],
          f"select * from {CPU} where usage_user > 90.0{host_ddb}, timestamp >= {ddb_ts(t0)}, "
          f"timestamp < {ddb_ts(t1)}",
          f"SELECT {star_sql} FROM cpu WHERE usage_user > 90.0{host_sql} "
          f"AND timestamp >= {duck_ts(t0)} AND timestamp < {duck_ts(t1)}",
          f"SELECT {star_sql} FROM cpu WHERE usage_user > 90.0{host_sql} "
          f"AND timestamp >= {ch_ts(t0)} AND timestamp < {ch_ts(t1)}",
          pol)

    high_cpu("high-cpu-1", P["high_cpu_1"])
    high_cpu("high-cpu-all", P["high_cpu_all"])

    q("lastpoint", "tsbs", all_cols, ["hostname"],
      f"select * from {CPU} context by hostname csort timestamp limit -1",
      # TSBS's ClickHouse form: the rows at each host's latest timestamp
      f"SELECT {star_sql} FROM cpu WHERE (hostname, timestamp) IN "
      f"(SELECT (hostname, max(timestamp)) FROM cpu GROUP BY hostname)",
      f"SELECT {star_sql} FROM cpu WHERE (hostname, timestamp) IN "
      f"(SELECT hostname, max(timestamp) FROM cpu GROUP BY hostname)",
      lambda f: f["cpu"].filter(pl.col("timestamp") == pl.col("timestamp").max().over("hostname")))

    end = P["groupby_orderby_limit"]["end"]
    q("groupby-orderby-limit", "tsbs", ["minute", "max_usage_user"], ["minute"],
      f"select top 5 max(usage_user) as max_usage_user from {CPU} where timestamp < {ddb_ts(end)} "
      f"group by bar(timestamp, 1m) as minute order by minute desc",
      f"SELECT date_trunc('minute', timestamp) AS minute, max(usage_user) AS max_usage_user "
      f"FROM cpu WHERE timestamp < {duck_ts(end)} GROUP BY minute ORDER BY minute DESC LIMIT 5",
      f"SELECT toDateTime64(toStartOfMinute(timestamp), 3, 'UTC') AS minute, max(usage_user) AS max_usage_user "
      f"FROM cpu WHERE timestamp < {ch_ts(end)} GROUP BY minute ORDER BY minute DESC LIMIT 5",
      lambda f: (f["cpu"].filter(pl.col("timestamp") < py_ts(end))
                 .group_by(pl.col("timestamp").dt.truncate("1m").alias("minute"))
                 .agg(pl.col("usage_user").max().alias("max_usage_user"))
                 .sort("minute", descending=True).head(5)),
      ordered=True)

    # --- market ---------------------------------------------------------------------------
    q("vwap-1min", "market", ["sym", "minute", "vwap"], ["sym", "minute"],
      f"select wavg(price, qty) as vwap from {TRADES} group by sym, bar(time, 1m) as minute",
      "SELECT sym, date_trunc('minute', time) AS minute, sum(price * qty) / sum(qty) AS vwap "
      "FROM trades GROUP BY sym, minute",
      "SELECT sym, toDateTime64(toStartOfMinute(time), 3, 'UTC') AS minute, sum(price * qty) / sum(qty) AS vwap "
      "FROM trades GROUP BY sym, minute",
      lambda f: (f["trades"].group_by("sym", pl.col("time").dt.truncate("1m").alias("minute"))
                 .agg(((pl.col("price") * pl.col("qty")).sum() / pl.col("qty").sum()).alias("vwap"))))

    q("spread-by-hour", "market", ["sym", "hr", "spread"], ["sym", "hr"],
      f"select avg(ask - bid) as spread from {QUOTES} group by sym, hour(time) as hr",
      "SELECT sym, hour(time) AS hr, avg(ask - bid) AS spread FROM quotes GROUP BY sym, hr",
      "SELECT sym, toHour(time) AS hr, avg(ask - bid) AS spread FROM quotes GROUP BY sym, hr",
      lambda f: (f["quotes"].group_by("sym", pl.col("time").dt.hour().alias("hr"))
                 .agg((pl.col("ask") - pl.col("bid")).mean().alias("spread"))))

    q("last-quote", "market", ["sym", "lastTime", "bid", "ask", "bidSize", "askSize"], ["sym"],
      f"select last(time) as lastTime, last(bid) as bid, last(ask) as ask, last(bidSize) as bidSize, "
      f"last(askSize) as askSize from {QUOTES} group by sym",
      "SELECT sym, max(time) AS lastTime, arg_max(bid, time) AS bid, arg_max(ask, time) AS ask, "
      "arg_max(bidSize, time) AS bidSize, arg_max(askSize, time) AS askSize FROM quotes GROUP BY sym",
      "SELECT sym, max(time) AS lastTime, argMax(bid, time) AS bid, argMax(ask, time) AS ask, "
      "argMax(bidSize, time) AS bidSize, argMax(askSize, time) AS askSize FROM quotes GROUP BY sym",
      lambda f: (f["quotes"].group_by("sym").agg(
          pl.col("time").last().alias("lastTime"), pl.col("bid").last(), pl.col("ask").last(),
          pl.col("bidSize").last(), pl.col("askSize").last())))

    q("mavg-20", "market", ["sym", "time", "ma20"], ["sym", "time"],
      f"select sym, time, mavg(price, 20) as ma20 from {TRADES} context by sym",
      "SELECT sym, time, CASE WHEN count(price) OVER w = 20 THEN avg(price) OVER w END AS ma20 "
      "FROM trades WINDOW w AS (PARTITION BY sym ORDER BY time ROWS BETWEEN 19 PRECEDING AND CURRENT ROW)",
      "SELECT sym, time, if(count(price) OVER w = 20, avg(price) OVER w, NULL) AS ma20 "
      "FROM trades WINDOW w AS (PARTITION BY sym ORDER BY time ROWS BETWEEN 19 PRECEDING AND CURRENT ROW)",
      lambda f: f["trades"].select("sym", "time",
                                   pl.col("price").rolling_mean(20).over("sym").alias("ma20")))

    q("asof-join", "market", ["time", "sym", "price", "qty", "bid", "ask"], ["sym", "time"],
      # DolphinDB joins partitioned tables with aj only when the matching columns other than
      # the last include every partitioning column (here the date of `time` is one), so the
      # script joins in-memory copies, as a DolphinDB user would.
      f"t = select time, sym, price, qty from {TRADES}; q = select time, sym, bid, ask from {QUOTES}; "
      f"select time, sym, price, qty, bid, ask from aj(t, q, `sym`time)",
      "SELECT t.time, t.sym, t.price, t.qty, q.bid, q.ask FROM trades t "
      "ASOF LEFT JOIN quotes q ON t.sym = q.sym AND t.time >= q.time",
      "SELECT t.time AS time, t.sym AS sym, t.price AS price, t.qty AS qty, q.bid AS bid, q.ask AS ask "
      "FROM trades t ASOF LEFT JOIN quotes q ON t.sym = q.sym AND t.time >= q.time",
      lambda f: (f["trades"].join_asof(f["quotes"].select("time", "sym", "bid", "ask"),
                                       on="time", by="sym", strategy="backward",
                                       check_sortedness=False)
                 .select("time", "sym", "price", "qty", "bid", "ask")),
      # ClickHouse needs join_use_nulls for SQL NULLs on unmatched rows
    )
    out[-1]["chdb_settings"] = "join_use_nulls = 1"
    out[-1]["note"] = ("porpoise's script selects both tables into memory and joins them with "
                       "`aj` (DolphinDB refuses `aj` on these partitioned tables, whose "
                       "partitioning column `time` is the as-of column; porpoise accepts "
                       "the direct form, which DolphinDB would not)")

    q("top10-notional", "market", ["sym", "notional"], ["sym"],
      f"select top 10 sum(price * qty) as notional from {TRADES} group by sym order by notional desc",
      "SELECT sym, sum(price * qty) AS notional FROM trades GROUP BY sym ORDER BY notional DESC LIMIT 10",
      "SELECT sym, sum(price * qty) AS notional FROM trades GROUP BY sym ORDER BY notional DESC LIMIT 10",
      lambda f: (f["trades"].group_by("sym").agg((pl.col("price") * pl.col("qty")).sum().alias("notional"))
                 .sort("notional", descending=True).head(10)))

    p = P["point_lookup"]
    d0 = p["day"] + "T00:00:00.000"
    d1 = p["day"] + "T23:59:59.999"
    qcols = ["time", "sym", "bid", "ask", "bidSize", "askSize"]
    q("point-lookup", "market", qcols, ["time"],
      f'select * from {QUOTES} where sym = "{p["sym"]}", time >= {ddb_ts(d0)}, time <= {ddb_ts(d1)}',
      f"SELECT {', '.join(qcols)} FROM quotes WHERE sym = '{p['sym']}' "
      f"AND time >= {duck_ts(d0)} AND time <= {duck_ts(d1)}",
      f"SELECT {', '.join(qcols)} FROM quotes WHERE sym = '{p['sym']}' "
      f"AND time >= {ch_ts(d0)} AND time <= {ch_ts(d1)}",
      lambda f: f["quotes"].filter(pl.col("sym") == p["sym"], pl.col("time") >= py_ts(d0),
                                   pl.col("time") <= py_ts(d1)))
    return out
