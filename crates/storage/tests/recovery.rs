//! Incremental recovery of a stale replica (`ChunkStore::scan_since`): a replica holding a
//! tablet's commits up to some CID gets only the rows committed after it, and adding them
//! gives the up-to-date replica's content; when the histories diverged (a Replace since, a
//! different row count) the answer is None and the caller copies the tablet whole.
mod common;

use std::time::Instant;

use common::*;
use storage::{ChunkStore, ColumnDef, StoreConfig, TabletWrite};
use value::{Table, Value};

fn append(c: &storage::ChunkId, rows: Table) -> TabletWrite {
    TabletWrite::append(c.clone(), "t", small_schema(), rows)
}

fn defs() -> Vec<ColumnDef> {
    small_schema().columns
}

fn wire_bytes(t: &Table) -> usize {
    let mut out = Vec::new();
    value::wire::encode(&Value::table(t.clone()), &mut out).unwrap();
    out.len()
}

fn compacting(dir: &TempDir) -> ChunkStore {
    let cfg = StoreConfig {
        compaction_min_segments: 2,
        ..quiet()
    };
    ChunkStore::open(&dir.0, cfg).unwrap()
}

#[test]
fn a_stale_replica_gets_only_the_rows_it_lacks() {
    const N: i32 = 200_000;
    let (hd, sd) = (TempDir::new("rec-holder"), TempDir::new("rec-stale"));
    let (holder, stale) = (compacting(&hd), open(&sd));
    let c = chunk(1);
    for s in [&holder, &stale] {
        s.commit(1, 10, vec![append(&c, small_rows(0..N))]).unwrap();
        s.flush_all().unwrap();
    }
    // The stale replica's node was down for two small appends; the holder then merged its
    // segments, so one segment holds rows from before and after the stale replica's state.
    holder
        .commit(2, 20, vec![append(&c, small_rows(N..N + 5))])
        .unwrap();
    holder.flush_all().unwrap();
    holder
        .commit(3, 30, vec![append(&c, small_rows(N + 5..N + 10))])
        .unwrap();
    holder.flush_all().unwrap();
    holder.compact_all().unwrap();
    assert_eq!(holder.tablet_info(&c, "t").unwrap().segments, 1);

    let mine = stale.tablet_info(&c, "t").unwrap();
    assert_eq!((mine.last_cid, mine.rows), (10, N as u64));
    let t0 = Instant::now();
    let delta = holder
        .scan_since(&c, "t", mine.last_cid, mine.rows, 30, &defs())
        .unwrap()
        .expect("the histories agree")
        .collect_table()
        .unwrap();
    let delta_time = t0.elapsed();
    let t0 = Instant::now();
    let whole = holder
        .scan_columns(&c, "t", 30, &defs())
        .unwrap()
        .collect_table()
        .unwrap();
    let whole_time = t0.elapsed();
    assert_eq!(delta.rows(), 10, "only the missing rows");
    eprintln!(
        "recovery of 1 tablet ({N} rows, missed 10): incremental {} rows {} bytes {:?}, \
         whole {} rows {} bytes {:?}",
        delta.rows(),
        wire_bytes(&delta),
        delta_time,
        whole.rows(),
        wire_bytes(&whole),
        whole_time
    );

    stale.commit(0, 30, vec![append(&c, delta)]).unwrap();
    let want: Vec<i32> = (0..N + 10).collect();
    assert_eq!(ids(&holder, &c, "t", 30), want);
    assert_eq!(ids(&stale, &c, "t", 30), want);
    let a = stale
        .scan_columns(&c, "t", 30, &defs())
        .unwrap()
        .collect_table()
        .unwrap();
    assert_eq!(a.rows(), whole.rows());
    assert_eq!(
        format!("{:?}", a.columns[1]),
        format!("{:?}", whole.columns[1])
    );

    // Up to date: nothing to send.
    let none = holder
        .scan_since(&c, "t", 30, (N + 10) as u64, 30, &defs())
        .unwrap()
        .unwrap()
        .collect_table()
        .unwrap();
    assert_eq!(none.rows(), 0);
}

#[test]
fn diverged_histories_need_a_whole_copy() {
    let (hd, sd) = (TempDir::new("div-holder"), TempDir::new("div-stale"));
    let (holder, stale) = (open(&hd), open(&sd));
    let c = chunk(2);
    for s in [&holder, &stale] {
        s.commit(1, 10, vec![append(&c, small_rows(0..100))])
            .unwrap();
    }
    holder
        .commit(2, 20, vec![append(&c, small_rows(100..110))])
        .unwrap();
    let mine = stale.tablet_info(&c, "t").unwrap();
    // Another row count at the stale replica's last commit: it missed or kept other commits.
    assert!(holder
        .scan_since(&c, "t", mine.last_cid, mine.rows + 1, 20, &defs())
        .unwrap()
        .is_none());
    // An update or delete since (a Replace) rewrote rows the stale replica holds.
    holder
        .commit(
            3,
            30,
            vec![TabletWrite::replace(
                c.clone(),
                "t",
                small_schema(),
                small_rows(0..50),
            )],
        )
        .unwrap();
    holder.flush_all().unwrap();
    assert!(holder
        .scan_since(&c, "t", mine.last_cid, mine.rows, 30, &defs())
        .unwrap()
        .is_none());
    // A snapshot before that Replace still agrees.
    let d = holder
        .scan_since(&c, "t", mine.last_cid, mine.rows, 20, &defs())
        .unwrap()
        .unwrap()
        .collect_table()
        .unwrap();
    assert_eq!(d.rows(), 10);
    // A tablet the holder lacks.
    assert!(holder
        .scan_since(&c, "nope", 0, 0, 30, &defs())
        .unwrap()
        .is_none());
}
