"""The benchmark driver: generates the data, runs every engine (each in its own process, one
after the other), cross-checks the answers, and writes bench/results/<scale>.md, .csv, .png.

    python bench/harness.py --scale small

Exit status 1 when an engine errs on a query or returns an answer different from the
reference's (floats within the query's relative tolerance).
"""

import argparse
import csv
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import common  # noqa: E402
import gen  # noqa: E402

ENGINES = ["porpoise", "duckdb", "chdb", "polars"]
PEERS = ENGINES[1:]
REFERENCE_ORDER = ["duckdb", "chdb", "polars", "porpoise"]
LOAD_AT_START = "?"


def machine():
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {"cores": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kb / 1048576, 1),
            "loadavg": Path("/proc/loadavg").read_text().split()[0],
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version()}


def median_ms(xs):
    return statistics.median(xs) * 1000 if xs else None


def fmt_ms(x):
    if x is None:
        return "-"
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}"


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def check_answers(work, names, results):
    """{(engine, query): message} for every error or mismatch against the reference."""
    import pandas as pd
    problems = {}
    for e in ENGINES:
        for qn, msg in results.get(e, {}).get("errors", {}).items():
            problems[(e, qn)] = f"error: {msg}"
    from queries import build
    meta = json.loads((HERE / "data" / results["_scale"] / "meta.json").read_text())
    tol = {q["name"]: q["tol"] for q in build(meta)}
    for qn in names:
        got = {}
        for e in ENGINES:
            p = work / "answers" / e / f"{qn}.parquet"
            if e in results and (e, qn) not in problems and p.exists():
                got[e] = pd.read_parquet(p)
        ref_name = next((e for e in REFERENCE_ORDER if e in got), None)
        if ref_name is None:
            continue
        for e, df in got.items():
            if e == ref_name:
                continue
            msg = common.compare(got[ref_name], df, tol[qn])
            if msg:
                problems[(e, qn)] = f"answer differs from {ref_name}'s: {msg}"
    return problems


def write_report(scale, results, queries, problems, out_dir, wall_s):
    names = [q["name"] for q in queries]
    mach = machine()
    rows = []
    for qn in names:
        row = {"query": qn}
        for e in ENGINES:
            qd = results.get(e, {}).get("queries", {}).get(qn)
            bad = (e, qn) in problems
            row[f"{e}_hot_ms"] = None if (qd is None or bad) else median_ms(qd.get("hot"))
            row[f"{e}_cold_ms"] = None if (qd is None or bad) else median_ms(qd.get("cold"))
            row[f"{e}_rows"] = None if qd is None else qd.get("rows")
        for p in PEERS:
            for kind in ("hot", "cold"):
                a, b = row[f"porpoise_{kind}_ms"], row[f"{p}_{kind}_ms"]
                row[f"ratio_{p}_{kind}"] = a / b if a and b else None
        rows.append(row)

    csv_path = out_dir / f"{scale}.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in r.items()})
        # ingest and resources as extra rows with the same columns
        for metric in ("ingest_rows_per_s", "bytes_on_disk", "peak_rss_kb"):
            r = {k: None for k in rows[0]}
            r["query"] = metric
            for e in ENGINES:
                d = results.get(e, {})
                if metric == "ingest_rows_per_s":
                    ing = d.get("ingest", {})
                    secs = sum(v["seconds"] for v in ing.values())
                    n = sum(v["rows"] for v in ing.values())
                    r[f"{e}_hot_ms"] = round(n / secs) if secs else None
                else:
                    r[f"{e}_hot_ms"] = d.get(metric)
            w.writerow(r)

    L = []
    L.append(f"# porpoise benchmark, scale `{scale}`\n")
    L.append(f"Run {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by "
             f"`bench/run.sh --scale {scale}` ({wall_s/60:.1f} min wall time).\n")
    L.append(f"Machine: {mach['cores']} cores, {mach['cpu']}, {mach['ram_gib']} GiB RAM, "
             f"{mach['os']}, Python {mach['python']}. Every engine runs with 2 threads. "
             f"Load average at the start of the run: {LOAD_AT_START}, at the end: "
             f"{mach['loadavg']} (above 0 means other jobs shared the cores; figures are then "
             f"noisier).\n")
    vers = ", ".join(f"{e} {results[e].get('version', '?')}" for e in ENGINES if e in results)
    L.append(f"Versions: {vers}.\n")
    meta = json.loads((HERE / "data" / scale / "meta.json").read_text())
    r = meta["rows"]
    L.append(f"Data: cpu {r['cpu']:,} rows ({meta['params']['hosts']} hosts x "
             f"{meta['params']['cpu_days']} days at 10 s), quotes {r['quotes']:,} rows, "
             f"trades {r['trades']:,} rows ({gen.SYMBOLS} symbols, {meta['params']['taq_days']} "
             f"trading day(s)); seed {meta['seed']}.\n")
    hot_runs = {len(q.get("hot", [])) for d in results.values() if isinstance(d, dict)
                for q in d.get("queries", {}).values()}
    cold_runs = {len(q.get("cold", [])) for d in results.values() if isinstance(d, dict)
                 for q in d.get("queries", {}).values()}
    dropped = all(results[e].get("cold_dropped_page_cache") for e in ENGINES if e in results)
    L.append(f"Times are medians in milliseconds, including fetching the whole answer "
             f"(porpoise: over the network through the official Python client into pandas; "
             f"duckdb/chdb: an Arrow table; polars: a DataFrame). Hot: {sorted(hot_runs)} runs "
             f"after one warm-up run. Cold: {sorted(cold_runs)} runs, each right after a restart "
             f"(porpoise: server restarted; duckdb/chdb: database closed and reopened; polars: "
             f"lazy scan of its Parquet files){' and an OS page-cache drop' if dropped else ''}. "
             f"Ratio = porpoise / peer (above 1: porpoise is slower).\n")

    hdr = ("| query | " + " | ".join(ENGINES) + " | " +
           " | ".join(f"porpoise/{p}" for p in PEERS) + " |")
    sep = "|" + "---|" * (1 + len(ENGINES) + len(PEERS))
    for kind in ("hot", "cold"):
        L.append(f"\n## {kind.capitalize()} runs (ms)\n")
        L.append(hdr)
        L.append(sep)
        for row in rows:
            cells = []
            for e in ENGINES:
                if (e, row["query"]) in problems:
                    cells.append("ERR" if problems[(e, row["query"])].startswith("error") else "WRONG")
                else:
                    cells.append(fmt_ms(row[f"{e}_{kind}_ms"]))
            cells += [fmt_ratio(row[f"ratio_{p}_{kind}"]) for p in PEERS]
            L.append(f"| {row['query']} | " + " | ".join(cells) + " |")
        gm = {p: geomean([row[f"ratio_{p}_{kind}"] for row in rows]) for p in PEERS}
        L.append("")
        L.append(f"**Geometric mean of porpoise/peer ({kind})**: " + ", ".join(
            f"{p} {fmt_ratio(gm[p])}" for p in PEERS) + "\n")

    L.append("\n## Ingest, storage, memory\n")
    L.append("| | " + " | ".join(ENGINES) + " |")
    L.append("|" + "---|" * (1 + len(ENGINES)))
    for t in ("cpu", "quotes", "trades"):
        cells = []
        for e in ENGINES:
            v = results.get(e, {}).get("ingest", {}).get(t)
            cells.append(f"{v['rows_per_s']:,.0f}" if v and v.get("rows_per_s") else "-")
        L.append(f"| ingest {t} (rows/s) | " + " | ".join(cells) + " |")
    cells = []
    for e in ENGINES:
        b = results.get(e, {}).get("bytes_on_disk")
        cells.append(f"{b / 1048576:,.1f}" if b else "-")
    L.append("| bytes on disk (MiB) | " + " | ".join(cells) + " |")
    cells = []
    for e in ENGINES:
        b = results.get(e, {}).get("peak_rss_kb")
        cells.append(f"{b / 1024:,.0f}" if b else "-")
    L.append("| peak RSS (MiB) | " + " | ".join(cells) + " |")
    L.append("\nIngest: porpoise through the official Python client (`tableInsert{loadTable(...)}` "
             "with 1M-row pandas frames) into DFS tables partitioned COMPO(VALUE date, HASH key), "
             "`dataSync=1`; duckdb `INSERT ... SELECT` from an Arrow table into a table; chdb "
             "`INSERT ... SELECT FROM Python(arrow)` into a MergeTree table (ORDER BY key, time); "
             "polars building an in-memory DataFrame (its bytes on disk: the Parquet files it "
             "writes afterwards for cold runs). Peak RSS: porpoise is the server process's "
             "VmHWM; the in-process engines' figure is their whole Python process (driver and "
             "source batches included).\n")

    notes = [(q["name"], q["note"]) for q in queries if q.get("note")]
    if notes:
        L.append("\n## Notes on queries\n")
        for qn, note in notes:
            L.append(f"- {qn}: {note}.")
        L.append("")
    if problems:
        L.append("\n## Errors and mismatches\n")
        for (e, qn), msg in sorted(problems.items()):
            L.append(f"- {e} / {qn}: {msg[:600]}")
    else:
        L.append("\nAll engines returned the same answers for every query (floats within a "
                 "relative tolerance of 1e-9).\n")
    md_path = out_dir / f"{scale}.md"
    md_path.write_text("\n".join(L) + "\n")
    return md_path, csv_path, rows


def plot(scale, rows, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 1, figsize=(14, 9), sharex=True)
    n = len(rows)
    width = 0.2
    colors = {"porpoise": "#1f77b4", "duckdb": "#ff7f0e", "chdb": "#2ca02c", "polars": "#9467bd"}
    for ax, kind in zip(axes, ("hot", "cold")):
        for i, e in enumerate(ENGINES):
            xs, ys = [], []
            for j, r in enumerate(rows):
                v = r[f"{e}_{kind}_ms"]
                if v:
                    xs.append(j + (i - 1.5) * width)
                    ys.append(v)
            ax.bar(xs, ys, width, label=e, color=colors[e])
        ax.set_yscale("log")
        ax.set_ylabel(f"{kind}: median ms (log)")
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(ncol=4, fontsize=9)
    axes[1].set_xticks(range(n))
    axes[1].set_xticklabels([r["query"] for r in rows], rotation=35, ha="right")
    fig.suptitle(f"porpoise vs duckdb, chdb, polars (scale {scale}, 2 threads each)")
    fig.tight_layout()
    path = out_dir / f"{scale}.png"
    fig.savefig(path, dpi=80)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", choices=list(gen.SCALES), default="small")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--hot-runs", type=int, default=5)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--no-drop-caches", action="store_true")
    ap.add_argument("--report-only", action="store_true",
                    help="rebuild the report from the last run's files")
    a = ap.parse_args()
    started = time.time()
    global LOAD_AT_START
    LOAD_AT_START = Path("/proc/loadavg").read_text().split()[0]
    print(f"== data ({a.scale})", flush=True)
    meta = gen.generate(a.scale)
    print(f"   rows: {meta['rows']}", flush=True)
    work = HERE / "work" / a.scale
    work.mkdir(parents=True, exist_ok=True)
    engines = [e for e in a.engines.split(",") if e]
    if not a.report_only:
        for e in engines:
            print(f"== {e}", flush=True)
            cmd = [sys.executable, str(HERE / "engine.py"), "--engine", e, "--scale", a.scale,
                   "--hot-runs", str(a.hot_runs), "--cold-runs", str(a.cold_runs)]
            if a.no_drop_caches:
                cmd.append("--no-drop-caches")
            (work / f"{e}.json").unlink(missing_ok=True)
            rc = subprocess.run(cmd).returncode
            if rc != 0:
                print(f"   {e} exited with {rc}", flush=True)
    run_info = work / "run.json"
    if a.report_only and run_info.exists():
        info = json.loads(run_info.read_text())
        started, LOAD_AT_START = time.time() - info["wall_s"], info["load_at_start"]
    else:
        run_info.write_text(json.dumps({"wall_s": time.time() - started,
                                        "load_at_start": LOAD_AT_START}))
    results = {"_scale": a.scale}
    for e in ENGINES:
        p = work / f"{e}.json"
        if p.exists():
            results[e] = json.loads(p.read_text())
    from queries import build
    names = [q["name"] for q in build(meta)]
    problems = check_answers(work, names, results)
    for e in engines:
        if e not in results:
            problems[(e, "*")] = "error: the engine's run did not finish"
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    md, csvp, rows = write_report(a.scale, {k: v for k, v in results.items() if k != "_scale"},
                                  build(meta), problems, out_dir, time.time() - started)
    png = plot(a.scale, rows, out_dir)
    print(md.read_text())
    print(f"wrote {md.relative_to(ROOT)}, {csvp.relative_to(ROOT)}, {png.relative_to(ROOT)}")
    if problems:
        print(f"FAILED: {len(problems)} errors or mismatches (see the report)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
