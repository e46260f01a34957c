//! Proves that concurrent committers and readers work while the background thread flushes
//! and compacts: a reader's snapshot (the contiguous prefix of returned commits, as a
//! catalog would hand out) sees exactly the commits at or below it, in both tablets a
//! transaction writes.
mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use storage::{ChunkStore, StoreConfig, TabletWrite};

#[derive(Default)]
struct Cids {
    next: u64,
    done: BTreeSet<u64>,
    prefix: u64,
}

#[test]
fn concurrent_writers_and_snapshot_readers() {
    let dir = TempDir::new("concurrency");
    let cfg = StoreConfig {
        olap_cache_bytes: 16 << 10,
        maintenance_interval_ms: 2,
        compaction_min_segments: 2,
        gc_grace_ms: 0,
        ..StoreConfig::default()
    };
    let store = Arc::new(ChunkStore::open(&dir.0, cfg).unwrap());
    let cids = Arc::new(Mutex::new(Cids::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let (a, b) = (chunk(1), chunk(2));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (store, cids, a, b) = (store.clone(), cids.clone(), a.clone(), b.clone());
            std::thread::spawn(move || {
                for _ in 0..60 {
                    let cid = {
                        let mut c = cids.lock().unwrap();
                        c.next += 1;
                        c.next
                    };
                    let rows = small_rows(cid as i32..cid as i32 + 1);
                    let w = vec![
                        TabletWrite::append(a.clone(), "t", small_schema(), rows.clone()),
                        TabletWrite::append(b.clone(), "t", small_schema(), rows),
                    ];
                    store.commit(cid, cid, w).unwrap();
                    let mut guard = cids.lock().unwrap();
                    let c = &mut *guard;
                    c.done.insert(cid);
                    while c.done.remove(&(c.prefix + 1)) {
                        c.prefix += 1;
                    }
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, cids, stop, a, b) = (
                store.clone(),
                cids.clone(),
                stop.clone(),
                a.clone(),
                b.clone(),
            );
            std::thread::spawn(move || {
                let mut checks = 0;
                while !stop.load(Ordering::Acquire) {
                    let snap = cids.lock().unwrap().prefix;
                    if snap == 0 {
                        continue;
                    }
                    let want: Vec<i32> = (1..=snap as i32).collect();
                    for c in [&a, &b] {
                        let mut got = ids(&store, c, "t", snap);
                        got.sort_unstable();
                        assert_eq!(got, want, "snapshot {snap}");
                    }
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Release);
    let checks: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(checks > 0);
    let mut got = ids(&store, &a, "t", 240);
    got.sort_unstable();
    assert_eq!(got, (1..=240).collect::<Vec<i32>>());
    let info = store.tablet_info(&a, "t").unwrap();
    println!("{checks} snapshot checks; tablet a: {info:?}");
    drop(store);
    let store = open(&dir);
    let mut got = ids(&store, &b, "t", 240);
    got.sort_unstable();
    assert_eq!(got, (1..=240).collect::<Vec<i32>>());
}
