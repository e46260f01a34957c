//! Proves commit/scan semantics: snapshots at older CIDs do not see newer commits, Replace
//! hides older rows from later snapshots only, TSDB sorting and keepDuplicates, compaction
//! keeps results identical, redo replay, torn redo tails, two-phase commit and drop.
mod common;

use std::fs::OpenOptions;
use std::io::Write;

use common::*;
use storage::{ColumnDef, KeepDuplicates, TableSchema, TabletWrite};
use value::{DataType, Table, Vector};

fn append(c: &storage::ChunkId, rows: Table) -> TabletWrite {
    TabletWrite::append(c.clone(), "t", small_schema(), rows)
}

#[test]
fn snapshots_see_only_their_commits_in_cache_and_segments() {
    let dir = TempDir::new("snap");
    let store = open(&dir);
    let c = chunk(1);
    store
        .commit(1, 10, vec![append(&c, small_rows(0..3))])
        .unwrap();
    store
        .commit(2, 20, vec![append(&c, small_rows(3..5))])
        .unwrap();
    for flushed in [false, true] {
        assert_eq!(
            ids(&store, &c, "t", 9),
            Vec::<i32>::new(),
            "flushed={flushed}"
        );
        assert_eq!(ids(&store, &c, "t", 10), [0, 1, 2]);
        assert_eq!(ids(&store, &c, "t", 15), [0, 1, 2]);
        assert_eq!(ids(&store, &c, "t", 20), [0, 1, 2, 3, 4]);
        store.flush_all().unwrap();
    }
    let info = store.tablet_info(&c, "t").unwrap();
    assert_eq!((info.rows, info.version, info.last_cid), (5, 2, 20));
}

#[test]
fn replace_hides_older_rows_from_later_snapshots() {
    let dir = TempDir::new("replace");
    let store = open(&dir);
    let c = chunk(1);
    store
        .commit(1, 10, vec![append(&c, small_rows(0..3))])
        .unwrap();
    store.flush_all().unwrap();
    store
        .commit(2, 20, vec![append(&c, small_rows(3..5))])
        .unwrap();
    let replace = TabletWrite::replace(c.clone(), "t", small_schema(), small_rows(100..102));
    store.commit(3, 30, vec![replace]).unwrap();
    store
        .commit(4, 40, vec![append(&c, small_rows(7..8))])
        .unwrap();
    let check = |when: &str| {
        assert_eq!(ids(&store, &c, "t", 20), [0, 1, 2, 3, 4], "{when}");
        assert_eq!(ids(&store, &c, "t", 30), [100, 101], "{when}");
        assert_eq!(ids(&store, &c, "t", 40), [100, 101, 7], "{when}");
    };
    check("cached");
    store.flush_all().unwrap();
    check("flushed");
    drop(store);
    let store = open(&dir);
    assert_eq!(ids(&store, &c, "t", 40), [100, 101, 7]);
    assert_eq!(store.tablet_info(&c, "t").unwrap().rows, 3);
    // Garbage collection (grace 0, no scans) drops the hidden segment; old snapshots are
    // then refused rather than answered wrongly.
    store.compact_all().unwrap();
    assert_eq!(ids(&store, &c, "t", 40), [100, 101, 7]);
    let err = store.scan(&c, "t", 20, &["id".to_string()]).err().unwrap();
    assert_eq!(err.kind, storage::ErrorKind::SnapshotTooOld);
}

fn tsdb_schema(keep: KeepDuplicates) -> TableSchema {
    TableSchema::tsdb(
        vec![
            ColumnDef::new("sym", DataType::Symbol),
            ColumnDef::new("ts", DataType::Timestamp),
            ColumnDef::new("id", DataType::Int),
        ],
        &["sym", "ts"],
        keep,
    )
}

fn tsdb_rows(rows: &[(&str, i64, i32)]) -> Table {
    let syms: Vec<&str> = rows.iter().map(|r| r.0).collect();
    Table::new(
        vec!["sym".into(), "ts".into(), "id".into()],
        vec![
            Vector::from_symbols(&syms),
            Vector::from_i64(DataType::Timestamp, rows.iter().map(|r| r.1).collect()),
            Vector::from_i32(DataType::Int, rows.iter().map(|r| r.2).collect()),
        ],
    )
}

#[test]
fn tsdb_sorts_by_sort_columns_and_applies_keep_duplicates() {
    let dir = TempDir::new("tsdb");
    let store = open(&dir);
    let batch1 = [("B", 2, 1), ("A", 5, 2), ("B", 1, 3), ("A", 5, 4)];
    let batch2 = [("A", 5, 5), ("C", 0, 6)];
    let expect = [
        (KeepDuplicates::All, vec![2, 4, 5, 3, 1, 6]),
        (KeepDuplicates::First, vec![2, 3, 1, 6]),
        (KeepDuplicates::Last, vec![5, 3, 1, 6]),
    ];
    for (n, (keep, want)) in expect.into_iter().enumerate() {
        let c = chunk(n as u32);
        let w = |rows: &[(&str, i64, i32)]| {
            TabletWrite::append(c.clone(), "t", tsdb_schema(keep), tsdb_rows(rows))
        };
        store.commit(1, 1, vec![w(&batch1)]).unwrap();
        store.flush_all().unwrap();
        store.commit(2, 2, vec![w(&batch2)]).unwrap();
        // Across a segment and the cache engine.
        let got = ids(&store, &c, "t", 2);
        if keep == KeepDuplicates::All {
            // ALL keeps both sources' rows; each source is sorted.
            assert_eq!(got, [2, 4, 3, 1, 5, 6], "{keep:?}");
        } else {
            assert_eq!(got, want, "{keep:?}");
        }
        store.flush_all().unwrap();
        store.compact_all().unwrap();
        let info = store.tablet_info(&c, "t").unwrap();
        assert_eq!(
            info.segments, 2,
            "two segments stay below the compaction threshold"
        );
    }
}

#[test]
fn compaction_keeps_results_identical() {
    let dir = TempDir::new("compact");
    let store = open(&dir);
    let c = chunk(1);
    let tsdb = chunk(2);
    for i in 0..10 {
        store
            .commit(
                i,
                10 + i,
                vec![append(&c, small_rows(i as i32 * 10..i as i32 * 10 + 10))],
            )
            .unwrap();
        let rows = tsdb_rows(&[("X", 100 - i as i64, i as i32), ("X", 50, 100 + i as i32)]);
        let w = TabletWrite::append(tsdb.clone(), "t", tsdb_schema(KeepDuplicates::Last), rows);
        store.commit(100 + i, 10 + i, vec![w]).unwrap();
        store.flush_all().unwrap();
    }
    let cols: Vec<String> = vec!["id".into(), "val".into(), "sym".into()];
    let before: Vec<Vec<i32>> = (9..=19).map(|cid| ids(&store, &c, "t", cid)).collect();
    let tsdb_before: Vec<Vec<i32>> = (9..=19).map(|cid| ids(&store, &tsdb, "t", cid)).collect();
    let full = store
        .scan(&c, "t", 19, &cols)
        .unwrap()
        .collect_table()
        .unwrap();
    assert_eq!(store.tablet_info(&c, "t").unwrap().segments, 10);
    store.compact_all().unwrap();
    assert_eq!(store.tablet_info(&c, "t").unwrap().segments, 1);
    assert_eq!(store.tablet_info(&tsdb, "t").unwrap().segments, 1);
    let after: Vec<Vec<i32>> = (9..=19).map(|cid| ids(&store, &c, "t", cid)).collect();
    assert_eq!(
        before, after,
        "every snapshot reads the same rows after compaction"
    );
    let full2 = store
        .scan(&c, "t", 19, &cols)
        .unwrap()
        .collect_table()
        .unwrap();
    for (a, b) in full.columns.iter().zip(&full2.columns) {
        for i in 0..a.len() {
            assert_eq!(a.key_at(i), b.key_at(i));
        }
    }
    // The newest TSDB snapshot is identical; deduplication happened across segments.
    let tsdb_after = ids(&store, &tsdb, "t", 19);
    assert_eq!(tsdb_before.last().unwrap(), &tsdb_after);
    assert_eq!(tsdb_after.len(), 11);
    drop(store);
    let store = open(&dir);
    assert_eq!(ids(&store, &c, "t", 19), *before.last().unwrap());
}

#[test]
fn redo_replay_restores_unflushed_commits_once() {
    let dir = TempDir::new("replay");
    let c1 = chunk(1);
    let c2 = chunk(2);
    {
        let store = open(&dir);
        store
            .commit(1, 1, vec![append(&c1, small_rows(0..2))])
            .unwrap();
        store.flush_all().unwrap();
        store
            .commit(
                2,
                2,
                vec![
                    append(&c1, small_rows(2..4)),
                    append(&c2, small_rows(10..12)),
                ],
            )
            .unwrap();
        std::mem::forget(store); // no flush: as after kill -9
    }
    {
        let store = open(&dir);
        assert_eq!(ids(&store, &c1, "t", 2), [0, 1, 2, 3]);
        assert_eq!(ids(&store, &c2, "t", 2), [10, 11]);
        assert_eq!(store.last_cid(), 2);
        std::mem::forget(store); // replayed rows are still only in the log
    }
    let store = open(&dir);
    assert_eq!(ids(&store, &c1, "t", 2), [0, 1, 2, 3]);
    store.flush_all().unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(ids(&store, &c1, "t", 2), [0, 1, 2, 3]);
    assert_eq!(ids(&store, &c2, "t", 2), [10, 11]);
    assert_eq!(
        store.stats().redo_files,
        1,
        "flushed redo files are deleted"
    );
}

#[test]
fn torn_redo_tail_is_ignored() {
    let dir = TempDir::new("torn");
    let c = chunk(1);
    {
        let store = open(&dir);
        store
            .commit(1, 1, vec![append(&c, small_rows(0..2))])
            .unwrap();
        store
            .commit(2, 2, vec![append(&c, small_rows(2..4))])
            .unwrap();
        std::mem::forget(store);
    }
    // Cut the last record in half, as a crash in the middle of its write would.
    let redo = dir.0.join("REDO");
    let mut files: Vec<_> = std::fs::read_dir(&redo)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let last = files
        .iter()
        .rev()
        .find(|p| std::fs::metadata(p).unwrap().len() > 8)
        .unwrap();
    let len = std::fs::metadata(last).unwrap().len();
    let f = OpenOptions::new().write(true).open(last).unwrap();
    f.set_len(len - 20).unwrap();
    {
        let store = open(&dir);
        assert_eq!(ids(&store, &c, "t", 2), [0, 1]);
        // New commits after the cut are durable and readable.
        store
            .commit(3, 3, vec![append(&c, small_rows(5..6))])
            .unwrap();
        std::mem::forget(store);
    }
    // Garbage after the last frame (a torn header) is ignored too.
    let mut files: Vec<_> = std::fs::read_dir(&redo)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut f = OpenOptions::new()
        .append(true)
        .open(files.last().unwrap())
        .unwrap();
    f.write_all(&[7, 0, 0]).unwrap();
    let store = open(&dir);
    assert_eq!(ids(&store, &c, "t", 3), [0, 1, 5]);
}

#[test]
fn two_phase_commit_and_abort() {
    let dir = TempDir::new("2pc");
    let c = chunk(1);
    {
        let store = open(&dir);
        store
            .prepare(7, vec![append(&c, small_rows(0..2))])
            .unwrap();
        store
            .prepare(8, vec![append(&c, small_rows(5..6))])
            .unwrap();
        store
            .prepare(9, vec![append(&c, small_rows(8..9))])
            .unwrap();
        assert!(
            store.tablet_info(&c, "t").is_none(),
            "prepared rows are invisible"
        );
        store.commit_prepared(7, 3).unwrap();
        store.abort(8).unwrap();
        assert_eq!(ids(&store, &c, "t", 3), [0, 1]);
        std::mem::forget(store);
    }
    let store = open(&dir);
    assert_eq!(ids(&store, &c, "t", 3), [0, 1]);
    assert_eq!(
        store.prepared_transactions(),
        [9],
        "9 is in doubt after the restart"
    );
    store.commit_prepared(9, 4).unwrap();
    assert_eq!(ids(&store, &c, "t", 4), [0, 1, 8]);
    assert!(store.commit_prepared(8, 5).is_err());
}

#[test]
fn drop_tablet_removes_it_durably() {
    let dir = TempDir::new("drop");
    let c = chunk(1);
    {
        let store = open(&dir);
        store
            .commit(1, 1, vec![append(&c, small_rows(0..2))])
            .unwrap();
        store.flush_all().unwrap();
        store
            .commit(2, 2, vec![append(&c, small_rows(2..3))])
            .unwrap();
        store.drop_tablet(&c, "t", 3).unwrap();
        assert!(store.tablet_info(&c, "t").is_none());
        assert!(store.chunks().is_empty());
        std::mem::forget(store);
    }
    let store = open(&dir);
    assert!(
        store.tablet_info(&c, "t").is_none(),
        "replay does not bring it back"
    );
    assert!(!dir.0.join("CHUNKS").join(c.as_str()).exists());
    // The same tablet can be created again.
    store
        .commit(4, 4, vec![append(&c, small_rows(9..10))])
        .unwrap();
    assert_eq!(ids(&store, &c, "t", 4), [9]);
    assert_eq!(store.chunks().len(), 1);
}

#[test]
fn schema_growth_reads_nulls_for_new_columns() {
    let dir = TempDir::new("schema");
    let store = open(&dir);
    let c = chunk(1);
    store
        .commit(1, 1, vec![append(&c, small_rows(0..2))])
        .unwrap();
    store.flush_all().unwrap();
    let mut wide = small_schema();
    wide.columns.push(ColumnDef::new("extra", DataType::Long));
    let mut rows = small_rows(2..3);
    rows.names.push("extra".into());
    rows.columns.push(std::sync::Arc::new(Vector::from_i64(
        DataType::Long,
        vec![42],
    )));
    store
        .commit(
            2,
            2,
            vec![TabletWrite::append(c.clone(), "t", wide.clone(), rows)],
        )
        .unwrap();
    let t = store
        .scan(&c, "t", 2, &["extra".to_string()])
        .unwrap()
        .collect_table()
        .unwrap();
    let x: Vec<Option<i64>> = (0..3).map(|i| t.columns[0].i64_at(i)).collect();
    assert_eq!(x, [None, None, Some(42)]);
    // A wrong column count is refused before anything is written.
    let bad = TabletWrite::append(c.clone(), "t", wide, small_rows(0..1));
    assert!(store.commit(3, 3, vec![bad]).is_err());
    assert_eq!(store.tablet_info(&c, "t").unwrap().version, 2);
}

#[test]
fn a_failed_flush_keeps_rows_and_state_valid() {
    let dir = TempDir::new("flushfail");
    let c = chunk(1);
    {
        let store = open(&dir);
        store
            .commit(1, 1, vec![append(&c, small_rows(0..3))])
            .unwrap();
        // A file where the chunk directory must go: the flush fails with an I/O error.
        let obstacle = dir.0.join("CHUNKS").join(c.as_str());
        std::fs::write(&obstacle, b"x").unwrap();
        let err = store.flush_all().unwrap_err();
        assert_eq!(err.kind, storage::ErrorKind::Io, "{err}");
        assert_eq!(
            ids(&store, &c, "t", 1),
            [0, 1, 2],
            "rows stay in the cache engine"
        );
        std::fs::remove_file(&obstacle).unwrap();
        store.flush_all().unwrap();
        assert_eq!(store.tablet_info(&c, "t").unwrap().segments, 1);
        store
            .commit(2, 2, vec![append(&c, small_rows(3..4))])
            .unwrap();
        std::mem::forget(store);
    }
    let store = open(&dir);
    assert_eq!(ids(&store, &c, "t", 2), [0, 1, 2, 3]);
}
