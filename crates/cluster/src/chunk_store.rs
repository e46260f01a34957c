//! The storage crate's `ChunkStore` as `LocalDfs`'s store: tablets named by table id, schemas
//! from the catalog with every write and scan.

use script::dfs::ColumnSpec;
use storage::{ChunkId, ChunkStore, ColumnDef, Compress, KeepDuplicates, TableSchema, TabletWrite};
use value::Table;

use crate::store::{Store, StoredTablet, TabletSchema, Write, WriteKind};
use crate::Result;

fn column_def(c: &ColumnSpec) -> ColumnDef {
    ColumnDef {
        name: c.name.clone(),
        ty: c.ty,
        scale: c.scale,
        compress: Compress::parse(&c.compress).unwrap_or_default(),
        array: c.array,
    }
}

fn table_schema(s: &TabletSchema) -> TableSchema {
    let columns = s.columns.iter().map(column_def).collect();
    if s.tsdb {
        TableSchema {
            columns,
            engine: storage::Engine::Tsdb,
            sort_columns: s.sort_columns.clone(),
            keep_duplicates: KeepDuplicates::parse(&s.keep_duplicates).unwrap_or_default(),
        }
    } else {
        TableSchema::olap(columns)
    }
}

fn tablet_writes(writes: Vec<Write>) -> Result<Vec<TabletWrite>> {
    let mut out = Vec::with_capacity(writes.len());
    for w in writes {
        let chunk = ChunkId::new(w.chunk)?;
        let schema = table_schema(&w.schema);
        out.push(match w.kind {
            WriteKind::Append => TabletWrite::append(chunk, &w.table, schema, w.rows),
            WriteKind::Replace => TabletWrite::replace(chunk, &w.table, schema, w.rows),
        });
    }
    Ok(out)
}

impl Store for ChunkStore {
    fn commit(&self, tid: u64, cid: u64, writes: Vec<Write>) -> Result<()> {
        Ok(ChunkStore::commit(self, tid, cid, tablet_writes(writes)?)?)
    }

    fn prepare(&self, tid: u64, writes: Vec<Write>) -> Result<()> {
        Ok(ChunkStore::prepare(self, tid, tablet_writes(writes)?)?)
    }

    fn commit_prepared(&self, tid: u64, cid: u64) -> Result<()> {
        Ok(ChunkStore::commit_prepared(self, tid, cid)?)
    }

    fn abort(&self, tid: u64) -> Result<()> {
        Ok(ChunkStore::abort(self, tid)?)
    }

    fn prepared(&self) -> Vec<u64> {
        self.prepared_transactions()
    }

    fn tablet_last_cid(&self, chunk: &str, table: &str) -> Option<u64> {
        let chunk = ChunkId::new(chunk.to_string()).ok()?;
        self.tablet_info(&chunk, table).map(|i| i.last_cid)
    }

    fn scan(&self, chunk: &str, table: &str, cid: u64, columns: &[ColumnSpec]) -> Result<Table> {
        let chunk = ChunkId::new(chunk)?;
        let defs: Vec<ColumnDef> = columns.iter().map(column_def).collect();
        Ok(self
            .scan_columns(&chunk, table, cid, &defs)?
            .collect_table()?)
    }

    fn scan_since(
        &self,
        chunk: &str,
        table: &str,
        after: u64,
        rows_at_after: u64,
        cid: u64,
        columns: &[ColumnSpec],
    ) -> Result<Option<Table>> {
        let chunk = ChunkId::new(chunk)?;
        let defs: Vec<ColumnDef> = columns.iter().map(column_def).collect();
        match ChunkStore::scan_since(self, &chunk, table, after, rows_at_after, cid, &defs)? {
            Some(scan) => Ok(Some(scan.collect_table()?)),
            None => Ok(None),
        }
    }

    fn tablet_state(&self, chunk: &str, table: &str) -> Option<(u64, u64)> {
        let chunk = ChunkId::new(chunk.to_string()).ok()?;
        self.tablet_info(&chunk, table)
            .map(|i| (i.last_cid, i.rows))
    }

    fn drop_tablet(&self, chunk: &str, table: &str, cid: u64) -> Result<()> {
        let chunk = ChunkId::new(chunk)?;
        Ok(ChunkStore::drop_tablet(self, &chunk, table, cid)?)
    }

    fn tablets(&self) -> Vec<StoredTablet> {
        let mut out = Vec::new();
        for m in self.chunks() {
            for t in &m.tables {
                let info = self.tablet_info(&m.chunk, t);
                out.push(StoredTablet {
                    chunk: m.chunk.as_str().to_string(),
                    table: t.clone(),
                    last_cid: info.as_ref().map(|i| i.last_cid).unwrap_or(0),
                    rows: info.as_ref().map(|i| i.rows).unwrap_or(0),
                    disk_bytes: info.as_ref().map(|i| i.disk_bytes).unwrap_or(0),
                });
            }
        }
        out
    }

    fn last_cid(&self) -> u64 {
        ChunkStore::last_cid(self)
    }

    fn flush(&self) -> Result<()> {
        Ok(self.flush_all()?)
    }
}
