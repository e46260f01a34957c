//! Write-path figures for a TAQ-like table (time, sym, bid, ask, bidSize, askSize):
//! rows/s committing 1M-row batches with dataSync on and off, flush time, bytes on disk
//! against raw bytes, and scan rows/s.
//!
//! `cargo run -p storage --example taq -- [rows_per_batch] [batches] [dir]`

use std::path::PathBuf;
use std::time::Instant;

use storage::{ChunkId, ChunkStore, StoreConfig, TabletWrite};
use value::Table;

#[path = "../tests/common/taq.rs"]
mod taq_data;
use taq_data::{quotes, schema, RAW_ROW_BYTES};

fn run(dir: &PathBuf, data_sync: bool, rows: usize, batches: usize) {
    let _ = std::fs::remove_dir_all(dir);
    let cfg = StoreConfig {
        data_sync,
        background: false,
        olap_cache_bytes: 4 << 30,
        ..StoreConfig::default()
    };
    let store = ChunkStore::open(dir, cfg).expect("open");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let tables: Vec<Table> = (0..batches)
        .map(|b| quotes(rows, 1_700_000_000_000 + (b * rows * 2) as i64, &mut seed))
        .collect();
    let chunk = ChunkId::new("taq").expect("id");
    let start = Instant::now();
    for (b, t) in tables.into_iter().enumerate() {
        let w = TabletWrite::append(chunk.clone(), "quotes", schema(), t);
        store
            .commit(b as u64 + 1, b as u64 + 1, vec![w])
            .expect("commit");
    }
    let commit_s = start.elapsed().as_secs_f64();
    let total = (rows * batches) as f64;
    let f0 = Instant::now();
    store.flush_all().expect("flush");
    let flush_s = f0.elapsed().as_secs_f64();
    let info = store.tablet_info(&chunk, "quotes").expect("info");
    let raw = RAW_ROW_BYTES * (rows * batches) as u64;
    let s0 = Instant::now();
    let names: Vec<String> = schema().columns.iter().map(|c| c.name.clone()).collect();
    let mut scanned = 0;
    for b in store
        .scan(&chunk, "quotes", u64::MAX, &names)
        .expect("scan")
    {
        scanned += b.expect("batch").rows();
    }
    let scan_s = s0.elapsed().as_secs_f64();
    println!(
        "dataSync={}: commit {:.0} rows/s ({} x {} rows in {:.2}s); flush {:.0} rows/s ({:.2}s); \
         disk {} bytes for {} raw bytes ({:.1}%); scan {:.0} rows/s ({} rows)",
        data_sync as u8,
        total / commit_s,
        batches,
        rows,
        commit_s,
        total / flush_s,
        flush_s,
        info.disk_bytes,
        raw,
        100.0 * info.disk_bytes as f64 / raw as f64,
        scanned as f64 / scan_s,
        scanned
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let batches = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let dir = PathBuf::from(
        args.get(3)
            .cloned()
            .unwrap_or_else(|| "/tmp/porpoise-taq".to_string()),
    );
    for sync in [true, false] {
        run(&dir, sync, rows, batches);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
