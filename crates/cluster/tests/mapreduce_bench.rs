//! Timing of TAQ-like queries over a DFS table: the map/reduce over partitions against the
//! path it replaced (read the needed columns of every pruned partition on the scan threads,
//! then run the query over those rows in memory). Not run by default:
//!
//! `TAQ_ROWS=5000000 cargo test -p cluster --test mapreduce_bench -- --ignored --nocapture`
//!
//! Prints one line per query with both times and checks that both give the same result.

mod common;

use std::sync::Arc;
use std::time::Instant;

use cluster::dfs::{DfsConfig, LocalDfs};
use common::fresh_dir;
use script::dfs::{ColumnPredicate, Dfs, PredicateOp};
use script::{LocalHost, Session};
use value::{DataType, Table, Value, Vector};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const DAYS: usize = 20;
const SYMBOLS: usize = 500;

/// One day of quotes: date, time, sym, bid, ask, bidSize, askSize.
fn day(rng: &mut Rng, date: i32, rows: usize, syms: &[String]) -> Table {
    let mut time: Vec<i32> = (0..rows)
        .map(|_| 34_200_000 + rng.below(23_400_000) as i32)
        .collect();
    time.sort_unstable();
    let sym: Vec<&str> = (0..rows)
        .map(|_| syms[rng.below(SYMBOLS as u64) as usize].as_str())
        .collect();
    let bid: Vec<f64> = (0..rows)
        .map(|_| 10.0 + rng.below(100_000) as f64 / 100.0)
        .collect();
    let ask: Vec<f64> = bid
        .iter()
        .map(|b| b + 0.01 * (1 + rng.below(10)) as f64)
        .collect();
    let size = |rng: &mut Rng| -> Vec<i32> {
        (0..rows)
            .map(|_| 100 * (1 + rng.below(50) as i32))
            .collect()
    };
    let bid_size = size(rng);
    let ask_size = size(rng);
    Table::new(
        ["date", "time", "sym", "bid", "ask", "bidSize", "askSize"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        vec![
            Vector::from_i32(DataType::Date, vec![date; rows]),
            Vector::from_i32(DataType::Time, time),
            Vector::from_symbols(&sym),
            Vector::from_f64(bid),
            Vector::from_f64(ask),
            Vector::from_i32(DataType::Int, bid_size),
            Vector::from_i32(DataType::Int, ask_size),
        ],
    )
}

fn date(text: &str) -> Value {
    Value::i32_of(
        DataType::Date,
        value::temporal::parse(text, DataType::Date).unwrap() as i32,
    )
}

fn on_date(op: PredicateOp) -> Vec<ColumnPredicate> {
    vec![ColumnPredicate {
        column: "date".into(),
        op,
    }]
}

fn none() -> Vec<ColumnPredicate> {
    Vec::new()
}

/// A query: name, text with `{T}` for the table, the columns it reads, the pruning its
/// `where` gives.
type Query = (
    &'static str,
    &'static str,
    &'static [&'static str],
    fn() -> Vec<ColumnPredicate>,
);

const QUERIES: &[Query] = &[
    (
        "avg/sum by sym",
        "select avg(bid) as avgBid, sum(bidSize) as vol from {T} group by sym",
        &["sym", "bid", "bidSize"],
        none,
    ),
    (
        "one day, mid and spread by sym",
        "select avg((bid + ask) / 2) as mid, max(ask - bid) as spread from {T} \
         where date = 2022.01.05 group by sym",
        &["date", "sym", "bid", "ask"],
        || on_date(PredicateOp::Eq(date("2022.01.05"))),
    ),
    (
        "last quote per symbol",
        "select last(time) as time, last(bid) as bid, last(ask) as ask from {T} group by sym",
        &["time", "sym", "bid", "ask"],
        none,
    ),
    (
        "count and std by date (partition key)",
        "select count(*) as n, std(bid) as sd from {T} where date between \
         2022.01.05 : 2022.01.14 group by date",
        &["date", "bid"],
        || on_date(PredicateOp::Between(date("2022.01.05"), date("2022.01.14"))),
    ),
    (
        "vwap by sym, 5 days",
        "select wavg(bid, bidSize) as vwap from {T} where date >= 2022.01.16 group by sym",
        &["date", "sym", "bid", "bidSize"],
        || on_date(PredicateOp::Ge(date("2022.01.16"))),
    ),
    (
        "total volume",
        "select sum(bidSize) + sum(askSize) as vol, count(*) as n from {T}",
        &["bidSize", "askSize"],
        none,
    ),
    (
        "first 10 quotes of a symbol",
        "select top 10 * from {T} where sym = `S7",
        &["date", "time", "sym", "bid", "ask", "bidSize", "askSize"],
        none,
    ),
    (
        "widest spreads",
        "select date, time, sym, ask - bid as spread from {T} where ask - bid > 0.095 \
         order by spread desc, time limit 5",
        &["date", "time", "sym", "bid", "ask"],
        none,
    ),
];

#[test]
#[ignore]
fn taq_queries_before_and_after() {
    let rows: usize = std::env::var("TAQ_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000_000);
    let dir = fresh_dir("mrbench");
    let cfg = storage::StoreConfig {
        data_sync: false,
        ..storage::StoreConfig::default()
    };
    let dfs = Arc::new(LocalDfs::open_dir(&dir, DfsConfig::default(), cfg).unwrap());
    let mut s = Session::new(Arc::new(LocalHost::with_dfs(dfs.clone())));
    let run = |s: &mut Session, text: &str| s.run_script(text, &mut |_| {}).unwrap();
    let syms: Vec<String> = (0..SYMBOLS).map(|i| format!("S{i}")).collect();
    let d0 = value::temporal::parse("2022.01.03", DataType::Date).unwrap() as i32;
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let started = Instant::now();
    for d in 0..DAYS {
        let t = day(&mut rng, d0 + d as i32, rows / DAYS, &syms);
        s.set_variable("t", Value::table(t));
        if d == 0 {
            run(
                &mut s,
                "db = database(\"dfs://taq\", VALUE, 2022.01.03 + 0..19)\n\
                 quotes = db.createPartitionedTable(t, `quotes, `date)",
            );
        }
        run(&mut s, "quotes.append!(t)");
    }
    dfs.flush_cache().unwrap();
    println!(
        "{rows} rows in {DAYS} partitions written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Warm the column cache the same way for both paths.
    run(&mut s, "select count(*), sum(bid), sum(ask), sum(bidSize), sum(askSize), last(time), last(sym), last(date) from quotes");
    for (name, q, cols, preds) in QUERIES {
        // Best of three: the machine is shared.
        let mut t_after = std::time::Duration::MAX;
        let mut after = None;
        for _ in 0..3 {
            let t0 = Instant::now();
            after = run(&mut s, &q.replace("{T}", "quotes"));
            t_after = t_after.min(t0.elapsed());
        }
        let mut t_before = std::time::Duration::MAX;
        let mut before = None;
        for _ in 0..3 {
            // Before: every pruned partition's columns read on the scan threads, then the query
            // over those rows in memory.
            let t0 = Instant::now();
            let all: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
            let plan = dfs.plan_scan("dfs://taq", "quotes", &preds()).unwrap();
            let n = plan.partitions.len();
            let threads = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(n);
            let parts: Vec<Table> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|k| {
                        let (dfs, plan, all) = (&dfs, &plan, &all);
                        scope.spawn(move || {
                            (k..n)
                                .step_by(threads)
                                .map(|i| (i, dfs.read_partition(plan, i, all).unwrap()))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                let mut got: Vec<(usize, Table)> = handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap())
                    .collect();
                got.sort_by_key(|(i, _)| *i);
                got.into_iter().map(|(_, t)| t).collect()
            });
            let mut mem = parts[0].clone();
            for p in &parts[1..] {
                for (c, pc) in mem.columns.iter_mut().zip(&p.columns) {
                    assert!(Arc::make_mut(c).extend(pc));
                }
            }
            s.set_variable("mem", Value::table(mem));
            before = run(&mut s, &q.replace("{T}", "mem"));
            t_before = t_before.min(t0.elapsed());
            s.set_variable("mem", Value::void());
        }
        let same = match (&after, &before) {
            (Some(Value::Table(a)), Some(Value::Table(b))) => {
                a.names == b.names
                    && a.rows() == b.rows()
                    && a.columns.iter().zip(&b.columns).all(|(x, y)| {
                        (0..x.len()).all(|i| match (x.f64_at(i), y.f64_at(i)) {
                            (Some(p), Some(q)) => (p - q).abs() <= 1e-9 * p.abs().max(1.0),
                            _ => {
                                value::display::element_string(x, i)
                                    == value::display::element_string(y, i)
                            }
                        })
                    })
            }
            _ => false,
        };
        println!(
            "{name:40} before {:8.1} ms   after {:8.1} ms   {:5.1}x   rows {}{}",
            t_before.as_secs_f64() * 1e3,
            t_after.as_secs_f64() * 1e3,
            t_before.as_secs_f64() / t_after.as_secs_f64().max(1e-9),
            match &after {
                Some(Value::Table(t)) => t.rows(),
                _ => 0,
            },
            if same { "" } else { "   RESULTS DIFFER" }
        );
        assert!(same, "{name}: results differ");
    }
    drop(s);
    std::fs::remove_dir_all(&dir).ok();
}
