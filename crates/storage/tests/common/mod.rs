//! Helpers shared by the storage tests (included with `mod common;`).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use storage::{ChunkId, ChunkStore, ColumnDef, StoreConfig, TableSchema};
use value::{DataType, Table, Vector};

/// A fresh directory under the target dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let base = std::env::var_os("CARGO_TARGET_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let p = base.join(format!(
            "storage-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A config without background threads: tests flush and compact explicitly.
pub fn quiet() -> StoreConfig {
    StoreConfig {
        background: false,
        gc_grace_ms: 0,
        ..StoreConfig::default()
    }
}

pub fn open(dir: &TempDir) -> ChunkStore {
    ChunkStore::open(&dir.0, quiet()).unwrap()
}

pub fn chunk(n: u32) -> ChunkId {
    ChunkId::new(format!("c{n:04}")).unwrap()
}

/// (id INT, val DOUBLE, sym SYMBOL)
pub fn small_schema() -> TableSchema {
    TableSchema::olap(vec![
        ColumnDef::new("id", DataType::Int),
        ColumnDef::new("val", DataType::Double),
        ColumnDef::new("sym", DataType::Symbol),
    ])
}

pub fn small_rows(ids: std::ops::Range<i32>) -> Table {
    let n = ids.len();
    let syms: Vec<String> = ids.clone().map(|i| format!("S{}", i % 7)).collect();
    Table::new(
        vec!["id".into(), "val".into(), "sym".into()],
        vec![
            Vector::from_i32(DataType::Int, ids.clone().collect()),
            Vector::from_f64(ids.map(|i| i as f64 * 0.5).collect()),
            Vector::from_symbols(&syms),
        ],
    )
    .tap(n)
}

trait Tap {
    fn tap(self, n: usize) -> Self;
}
impl Tap for Table {
    fn tap(self, n: usize) -> Self {
        assert_eq!(self.rows(), n);
        self
    }
}

pub fn names(schema: &TableSchema) -> Vec<String> {
    schema.columns.iter().map(|c| c.name.clone()).collect()
}

/// The ids (INT column `id`) visible in a tablet at `cid`.
pub fn ids(store: &ChunkStore, c: &ChunkId, table: &str, cid: u64) -> Vec<i32> {
    let t = store
        .scan(c, table, cid, &["id".to_string()])
        .unwrap()
        .collect_table()
        .unwrap();
    match &t.columns[0].data {
        value::Data::I32(v) => v.clone(),
        other => panic!("id column is {other:?}"),
    }
}

pub mod taq;
