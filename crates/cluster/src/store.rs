//! What `LocalDfs` needs of a node's chunk store, and `MemStore`, an in-memory one for tests
//! and nodes without a data directory. The storage crate's `ChunkStore` implements it too.

use std::collections::BTreeMap;
use std::sync::Mutex;

use script::dfs::ColumnSpec;
use value::{Table, Vector};

use crate::{err, Result};

/// How a write changes a tablet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WriteKind {
    Append,
    /// The tablet's full new content (update, delete, upsert).
    Replace,
}

/// A tablet's schema as the catalog gives it with every write.
#[derive(Clone, Debug)]
pub struct TabletSchema {
    pub columns: Vec<ColumnSpec>,
    pub tsdb: bool,
    pub sort_columns: Vec<String>,
    pub keep_duplicates: String,
}

/// One tablet's part of a transaction.
#[derive(Clone, Debug)]
pub struct Write {
    pub kind: WriteKind,
    pub chunk: String,
    /// The table id (stable across renames).
    pub table: String,
    pub schema: TabletSchema,
    pub rows: Table,
}

/// A tablet the store holds.
#[derive(Clone, Debug)]
pub struct StoredTablet {
    pub chunk: String,
    pub table: String,
    pub last_cid: u64,
    pub rows: u64,
    pub disk_bytes: u64,
}

pub trait Store: Send + Sync {
    /// Writes one transaction durably and makes it visible at `cid`: all writes or none.
    fn commit(&self, tid: u64, cid: u64, writes: Vec<Write>) -> Result<()>;
    /// A tablet's rows at snapshot `cid`, the given columns (missing ones read as nulls);
    /// an unknown tablet reads as empty.
    fn scan(&self, chunk: &str, table: &str, cid: u64, columns: &[ColumnSpec]) -> Result<Table>;
    fn drop_tablet(&self, chunk: &str, table: &str, cid: u64) -> Result<()>;
    fn tablets(&self) -> Vec<StoredTablet>;
    /// The largest CID the store has committed.
    fn last_cid(&self) -> u64;
    /// Writes cached rows to segments (clean shutdown); the redo log covers a crash anyway.
    fn flush(&self) -> Result<()> {
        Ok(())
    }
    /// Two-phase commit (a cluster's replicas), phase one: durable, not visible.
    fn prepare(&self, _tid: u64, _writes: Vec<Write>) -> Result<()> {
        err!("This store can't prepare transactions")
    }
    /// Phase two: makes a prepared transaction visible at `cid`.
    fn commit_prepared(&self, tid: u64, _cid: u64) -> Result<()> {
        err!("Transaction {} is not prepared on this node", tid)
    }
    /// Forgets a prepared transaction (no-op when unknown).
    fn abort(&self, _tid: u64) -> Result<()> {
        Ok(())
    }
    /// Prepared transactions not yet committed or aborted (in doubt after a restart).
    fn prepared(&self) -> Vec<u64> {
        Vec::new()
    }
    /// A replica's recovery: the rows of a tablet committed in `(after, cid]`, when adding
    /// them to a replica holding the tablet's commits up to `after` (`rows_at_after` rows)
    /// gives this store's tablet at `cid`; None when only a whole copy will do (the
    /// histories diverged, or this store can't tell).
    fn scan_since(
        &self,
        _chunk: &str,
        _table: &str,
        _after: u64,
        _rows_at_after: u64,
        _cid: u64,
        _columns: &[ColumnSpec],
    ) -> Result<Option<Table>> {
        Ok(None)
    }
    /// A tablet's last CID and its rows visible then; None when the store doesn't hold it.
    fn tablet_state(&self, chunk: &str, table: &str) -> Option<(u64, u64)> {
        self.tablets()
            .into_iter()
            .find(|t| t.chunk == chunk && t.table == table)
            .map(|t| (t.last_cid, t.rows))
    }
    /// The last CID that wrote a tablet; None when the store doesn't hold it.
    fn tablet_last_cid(&self, chunk: &str, table: &str) -> Option<u64> {
        self.tablets()
            .into_iter()
            .find(|t| t.chunk == chunk && t.table == table)
            .map(|t| t.last_cid)
    }
}

/// Rows of one commit to a tablet.
struct Version {
    cid: u64,
    kind: WriteKind,
    rows: Table,
}

/// An in-memory store: nothing survives the process.
#[derive(Default)]
pub struct MemStore {
    tablets: Mutex<BTreeMap<(String, String), Vec<Version>>>,
    last_cid: Mutex<u64>,
    prepared: Mutex<BTreeMap<u64, Vec<Write>>>,
}

/// An empty tablet with the given columns.
pub fn empty_tablet(columns: &[ColumnSpec]) -> Table {
    select(&Table::default(), columns)
}

fn select(rows: &Table, columns: &[ColumnSpec]) -> Table {
    let n = rows.rows();
    let cols = columns
        .iter()
        .map(|c| match rows.column(&c.name) {
            Some(v) => (**v).clone(),
            None => {
                let mut v = if c.array {
                    // n empty rows.
                    let mut e = c.empty_vector();
                    if let value::Data::Array(a) = &mut e.data {
                        a.offsets = vec![0; n + 1];
                    }
                    e
                } else {
                    Vector::nulls(c.ty, n)
                };
                v.scale = c.scale;
                v
            }
        })
        .collect();
    Table::new(columns.iter().map(|c| c.name.clone()).collect(), cols)
}

impl Store for MemStore {
    fn commit(&self, _tid: u64, cid: u64, writes: Vec<Write>) -> Result<()> {
        let mut m = match self.tablets.lock() {
            Ok(m) => m,
            Err(_) => err!("The chunk store is unavailable"),
        };
        for w in writes {
            m.entry((w.chunk, w.table)).or_default().push(Version {
                cid,
                kind: w.kind,
                rows: w.rows,
            });
        }
        if let Ok(mut c) = self.last_cid.lock() {
            *c = (*c).max(cid);
        }
        Ok(())
    }

    fn scan(&self, chunk: &str, table: &str, cid: u64, columns: &[ColumnSpec]) -> Result<Table> {
        let m = match self.tablets.lock() {
            Ok(m) => m,
            Err(_) => err!("The chunk store is unavailable"),
        };
        let mut out = select(&Table::default(), columns);
        let Some(versions) = m.get(&(chunk.to_string(), table.to_string())) else {
            return Ok(out);
        };
        let visible: Vec<&Version> = versions.iter().filter(|v| v.cid <= cid).collect();
        let start = visible
            .iter()
            .rposition(|v| v.kind == WriteKind::Replace)
            .unwrap_or(0);
        for v in &visible[start..] {
            let part = select(&v.rows, columns);
            for (o, p) in out.columns.iter_mut().zip(&part.columns) {
                if !std::sync::Arc::make_mut(o).extend(p) {
                    err!("The stored rows of tablet {} don't match its schema", table);
                }
            }
        }
        Ok(out)
    }

    fn drop_tablet(&self, chunk: &str, table: &str, _cid: u64) -> Result<()> {
        if let Ok(mut m) = self.tablets.lock() {
            m.remove(&(chunk.to_string(), table.to_string()));
        }
        Ok(())
    }

    fn tablets(&self) -> Vec<StoredTablet> {
        let Ok(m) = self.tablets.lock() else {
            return Vec::new();
        };
        m.iter()
            .map(|((c, t), vs)| StoredTablet {
                chunk: c.clone(),
                table: t.clone(),
                last_cid: vs.iter().map(|v| v.cid).max().unwrap_or(0),
                rows: vs.iter().map(|v| v.rows.rows() as u64).sum(),
                disk_bytes: 0,
            })
            .collect()
    }

    fn last_cid(&self) -> u64 {
        self.last_cid.lock().map(|c| *c).unwrap_or(0)
    }

    fn prepare(&self, tid: u64, writes: Vec<Write>) -> Result<()> {
        let Ok(mut p) = self.prepared.lock() else {
            err!("The chunk store is unavailable");
        };
        if p.contains_key(&tid) {
            err!("Transaction {} is already prepared", tid);
        }
        p.insert(tid, writes);
        Ok(())
    }

    fn commit_prepared(&self, tid: u64, cid: u64) -> Result<()> {
        let w = self.prepared.lock().ok().and_then(|mut p| p.remove(&tid));
        match w {
            Some(w) => self.commit(tid, cid, w),
            None => err!("Transaction {} is not prepared on this node", tid),
        }
    }

    fn abort(&self, tid: u64) -> Result<()> {
        if let Ok(mut p) = self.prepared.lock() {
            p.remove(&tid);
        }
        Ok(())
    }

    fn prepared(&self) -> Vec<u64> {
        self.prepared
            .lock()
            .map(|p| p.keys().copied().collect())
            .unwrap_or_default()
    }
}
