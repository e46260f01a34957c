//! Proves that every acknowledged write survives `kill -9` and that no partial transaction is
//! ever visible: the test binary re-runs itself as a writer child (sled style) that commits
//! numbered batches spanning three tablets and prints each acknowledged number; the parent
//! SIGKILLs it at random moments, reopens the store and checks every batch. Rounds:
//! `STORAGE_CRASH_ROUNDS` (default 3); `STORAGE_CRASH_DATASYNC=0` runs without fsync.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use storage::{ChunkStore, ColumnDef, KeepDuplicates, StoreConfig, TableSchema, TabletWrite};
use value::{DataType, Table, Vector};

const WRITER_ENV: &str = "STORAGE_CRASH_WRITER";
const START_ENV: &str = "STORAGE_CRASH_START";
const ROWS_PER_TABLET: usize = 50;
const TABLETS: u32 = 3;
/// A writer stops by itself after this many batches (it is normally killed long before).
const BATCHES_MAX: u64 = 1_000_000;

fn schema(n: u32) -> TableSchema {
    let cols = vec![
        ColumnDef::new("id", DataType::Int),
        ColumnDef::new("k", DataType::Int),
        ColumnDef::new("s", DataType::String),
    ];
    if n == 2 {
        TableSchema::tsdb(cols, &["k", "id"], KeepDuplicates::All)
    } else {
        TableSchema::olap(cols)
    }
}

fn batch(b: u64) -> Table {
    Table::new(
        vec!["id".into(), "k".into(), "s".into()],
        vec![
            Vector::from_i32(DataType::Int, vec![b as i32; ROWS_PER_TABLET]),
            Vector::from_i32(DataType::Int, (0..ROWS_PER_TABLET as i32).collect()),
            Vector::from_strings((0..ROWS_PER_TABLET).map(|k| format!("b{b}k{k}")).collect()),
        ],
    )
}

fn config() -> StoreConfig {
    StoreConfig {
        data_sync: std::env::var("STORAGE_CRASH_DATASYNC").map_or(true, |v| v != "0"),
        // Small caches and fast maintenance: flushes and compactions race with the kill.
        olap_cache_bytes: 64 << 10,
        tsdb_cache_bytes: 64 << 10,
        maintenance_interval_ms: 5,
        compaction_min_segments: 2,
        small_segment_rows: 4000,
        redo_file_bytes: 256 << 10,
        gc_grace_ms: 0,
        ..StoreConfig::default()
    }
}

fn writer(dir: &str) {
    let store = ChunkStore::open(std::path::Path::new(dir), config()).unwrap();
    let start: u64 = std::env::var(START_ENV).unwrap().parse().unwrap();
    for b in start..start + BATCHES_MAX {
        let writes = (0..TABLETS)
            .map(|n| TabletWrite::append(chunk(n), "t", schema(n), batch(b)))
            .collect();
        store.commit(b, b, writes).unwrap();
        println!("ack {b}");
    }
}

/// Batch number -> rows per tablet, for every tablet.
fn contents(store: &ChunkStore) -> Vec<BTreeMap<i32, usize>> {
    (0..TABLETS)
        .map(|n| {
            let mut m = BTreeMap::new();
            if store.tablet_info(&chunk(n), "t").is_none() {
                return m;
            }
            for b in store
                .scan(&chunk(n), "t", u64::MAX, &["id".into()])
                .unwrap()
            {
                let b = b.unwrap();
                for i in 0..b.rows() {
                    *m.entry(b.columns[0].i64_at(i).unwrap() as i32).or_insert(0) += 1;
                }
            }
            m
        })
        .collect()
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn crash_kill9_keeps_every_acknowledged_batch() {
    if let Ok(dir) = std::env::var(WRITER_ENV) {
        writer(&dir);
        return;
    }
    let rounds: u32 = std::env::var("STORAGE_CRASH_ROUNDS").map_or(3, |v| v.parse().unwrap());
    let dir = TempDir::new("crash");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let mut acked: BTreeSet<u64> = BTreeSet::new();
    let mut next = 1u64;
    for round in 0..rounds {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "crash_kill9_keeps_every_acknowledged_batch",
                "--exact",
                "--nocapture",
            ])
            .env(WRITER_ENV, &dir.0)
            .env(START_ENV, next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("ack ") {
                    let _ = tx.send(n.parse::<u64>().unwrap());
                }
            }
        });
        // Wait for the first acknowledgement, then kill at a random moment.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("writer acknowledged nothing");
        acked.insert(first);
        let delay = Duration::from_millis(20 + rng.below(400));
        let until = Instant::now() + delay;
        while Instant::now() < until {
            if let Ok(b) = rx.recv_timeout(Duration::from_millis(1)) {
                acked.insert(b);
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        acked.extend(rx.try_iter());

        let store = ChunkStore::open(
            &dir.0,
            StoreConfig {
                background: false,
                ..config()
            },
        )
        .unwrap();
        let seen = contents(&store);
        let mut present: BTreeSet<i32> = BTreeSet::new();
        for m in &seen {
            present.extend(m.keys().copied());
        }
        for b in &present {
            for (n, m) in seen.iter().enumerate() {
                assert_eq!(
                    m.get(b).copied().unwrap_or(0),
                    ROWS_PER_TABLET,
                    "round {round}: batch {b} in tablet {n} is partial or duplicated"
                );
            }
        }
        for b in &acked {
            assert!(
                present.contains(&(*b as i32)),
                "round {round}: acknowledged batch {b} lost"
            );
        }
        let max = present.iter().max().copied().unwrap_or(0) as u64;
        println!(
            "round {round}: {} batches acknowledged so far, {} present, killed after {delay:?}",
            acked.len(),
            present.len()
        );
        next = max.max(acked.iter().max().copied().unwrap_or(0)) + 1;
        if round % 2 == 0 {
            drop(store); // clean close: flush
        } else {
            std::mem::forget(store); // leave everything in the redo log
        }
    }
}
