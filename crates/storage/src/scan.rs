//! Scans: a tablet's rows visible at a snapshot commit id, streamed as batches of at most one
//! segment row group (or one cached write), so memory stays bounded however big the tablet.
//!
//! Visibility at snapshot `c`: let `R` be the newest Replace with commit id <= `c` (0 if
//! none). A row is visible when `R <= row cid <= c`. A segment whose commit ids all fall in
//! that range is read without looking at its `__cid` column.

use std::collections::VecDeque;
use std::sync::Arc;

use value::{Table, Vector};

use crate::error::{Error, ErrorKind, Result};
use crate::rows::{concat, conform_column, nulls, project, tsdb_order};
use crate::schema::{ColumnDef, Engine, KeepDuplicates, TableSchema};
use crate::segment::SegmentReader;
use crate::store::Inner;
use crate::tablet::{SegmentFile, Tablet};

enum Source {
    /// A segment; `filter` when some of its rows are outside the visible range.
    Segment { seg: Arc<SegmentFile>, filter: bool },
    /// A cached write, wholly visible.
    Cache(Arc<Table>),
    /// Rows already arranged (the deduplicated result of a TSDB scan).
    Ready(Table),
}

/// A running scan: an iterator of `Result<Table>` batches with the requested columns.
pub struct TabletScan {
    inner: Arc<Inner>,
    cid: u64,
    lo: u64,
    defs: Vec<ColumnDef>,
    sources: VecDeque<Source>,
    open: Option<(Arc<SegmentFile>, bool, SegmentReader, usize)>,
}

impl TabletScan {
    pub(crate) fn start(
        inner: &Arc<Inner>,
        tablet: Option<Arc<Tablet>>,
        cid: u64,
        defs: Vec<ColumnDef>,
    ) -> Result<TabletScan> {
        TabletScan::start_range(inner, tablet, None, cid, defs)
    }

    /// `after` Some: only the rows committed after it (up to `cid`), as stored (no TSDB
    /// deduplication: the reader adds them to the rows it has up to `after` and deduplicates
    /// when it scans). The caller has checked that no Replace falls in `(after, cid]`.
    pub(crate) fn start_range(
        inner: &Arc<Inner>,
        tablet: Option<Arc<Tablet>>,
        after: Option<u64>,
        cid: u64,
        defs: Vec<ColumnDef>,
    ) -> Result<TabletScan> {
        inner.pin(cid);
        let mut scan = TabletScan {
            inner: inner.clone(),
            cid,
            lo: 0,
            defs,
            sources: VecDeque::new(),
            open: None,
        };
        let Some(t) = tablet else {
            return Ok(scan);
        };
        let schema = {
            let s = t.state.lock();
            if cid < s.manifest.gc_cid {
                return Err(Error::new(
                    ErrorKind::SnapshotTooOld,
                    format!(
                        "The snapshot {cid} of {}/{} is older than its garbage collection",
                        t.chunk, t.table
                    ),
                ));
            }
            let lo = match after {
                Some(a) => a + 1,
                None => s.replace_floor(cid),
            };
            scan.lo = lo;
            for seg in &s.segments {
                let m = &seg.meta;
                if m.max_cid < lo || m.min_cid > cid {
                    continue;
                }
                let filter = m.min_cid < lo || m.max_cid > cid;
                scan.sources.push_back(Source::Segment {
                    seg: seg.clone(),
                    filter,
                });
            }
            for b in &s.cache {
                if b.cid >= lo && b.cid <= cid && b.rows.rows() > 0 {
                    scan.sources.push_back(Source::Cache(b.rows.clone()));
                }
            }
            s.schema.clone()
        };
        let dedup = after.is_none()
            && schema.engine == Engine::Tsdb
            && schema.keep_duplicates != KeepDuplicates::All
            && scan.sources.len() > 1;
        if dedup {
            scan.deduplicate(&schema)?;
        }
        Ok(scan)
    }

    /// TSDB with keepDuplicates FIRST/LAST over several sources: reads them all (sort columns
    /// included), applies the policy across them, and serves the result.
    fn deduplicate(&mut self, schema: &TableSchema) -> Result<()> {
        let wanted = std::mem::take(&mut self.defs);
        let mut all = wanted.clone();
        for name in &schema.sort_columns {
            if !all.iter().any(|d| d.name.eq_ignore_ascii_case(name)) {
                if let Some(i) = schema.column_index(name) {
                    all.push(schema.columns[i].clone());
                }
            }
        }
        self.defs = all.clone();
        let mut parts = Vec::new();
        for batch in self.by_ref() {
            let b = batch?;
            parts.push(b.columns);
        }
        let columns = concat(&all, &parts);
        let sort_idx: Vec<usize> = schema
            .sort_columns
            .iter()
            .filter_map(|n| all.iter().position(|d| d.name.eq_ignore_ascii_case(n)))
            .collect();
        let order = tsdb_order(&columns, &sort_idx, schema.keep_duplicates);
        let out: Vec<Vector> = columns[..wanted.len()]
            .iter()
            .map(|c| c.take(&order))
            .collect();
        self.defs = wanted;
        let t = Table::new(self.defs.iter().map(|d| d.name.clone()).collect(), out);
        self.sources.push_back(Source::Ready(t));
        Ok(())
    }

    /// The column definitions of the batches.
    pub fn columns(&self) -> &[ColumnDef] {
        &self.defs
    }

    /// Reads the whole scan into one table (for small tablets and tests).
    pub fn collect_table(self) -> Result<Table> {
        let defs = self.defs.clone();
        let mut parts = Vec::new();
        for b in self {
            parts.push(b?.columns);
        }
        // One batch (a partition written once, a cached column set) is the table as is:
        // sharing its columns saves copying them.
        if let [one] = parts.as_slice() {
            let conformed = one.len() == defs.len()
                && one
                    .iter()
                    .zip(&defs)
                    .all(|(c, d)| c.ty == d.ty && c.scale == d.scale);
            if conformed {
                return Ok(Table {
                    name: String::new(),
                    names: defs.iter().map(|d| d.name.clone()).collect(),
                    columns: one.clone(),
                    kind: value::TableKind::Basic,
                });
            }
        }
        Ok(Table::new(
            defs.iter().map(|d| d.name.clone()).collect(),
            concat(&defs, &parts),
        ))
    }

    fn table(&self, columns: Vec<Arc<Vector>>) -> Table {
        Table {
            name: String::new(),
            names: self.defs.iter().map(|d| d.name.clone()).collect(),
            columns,
            kind: value::TableKind::Basic,
        }
    }

    /// The next row group of the open segment, None when it is exhausted.
    fn next_row_group(&mut self) -> Option<Result<Table>> {
        let (seg, filter, reader, rg) = self.open.as_mut()?;
        if *rg >= reader.row_groups() {
            self.open = None;
            return None;
        }
        let g = *rg;
        *rg += 1;
        let (seg, filter) = (seg.clone(), *filter);
        Some(self.read_row_group(&seg, filter, g))
    }

    fn read_row_group(&self, seg: &Arc<SegmentFile>, filter: bool, rg: usize) -> Result<Table> {
        let Some((_, _, reader, _)) = &self.open else {
            return Err(Error::invalid("no open segment"));
        };
        let n = reader.row_group_rows(rg);
        let mut cols = Vec::with_capacity(self.defs.len());
        for d in &self.defs {
            let j = reader
                .defs()
                .iter()
                .position(|x| x.name.eq_ignore_ascii_case(&d.name));
            let v = match j {
                Some(j) => {
                    let key = (seg.uid, rg as u32, j as u32);
                    let v = match self.inner.columns.get(&key) {
                        Some(v) => v,
                        None => {
                            let v = Arc::new(reader.read_column(rg, j)?);
                            self.inner.columns.insert(key, v.clone());
                            v
                        }
                    };
                    conform_column(&v, d)?
                }
                None => Arc::new(nulls(d, n)),
            };
            cols.push(v);
        }
        if filter {
            let cids = reader.read_cids(rg)?;
            let (lo, hi) = (self.lo as i64, self.cid as i64);
            let keep: Vec<i64> = cids
                .iter()
                .enumerate()
                .filter(|(_, c)| **c >= lo && **c <= hi)
                .map(|(i, _)| i as i64)
                .collect();
            if keep.len() != n {
                cols = cols.iter().map(|c| Arc::new(c.take(&keep))).collect();
            }
        }
        Ok(self.table(cols))
    }
}

impl Iterator for TabletScan {
    type Item = Result<Table>;

    fn next(&mut self) -> Option<Result<Table>> {
        loop {
            if let Some(r) = self.next_row_group() {
                match r {
                    Ok(t) if t.rows() == 0 => continue,
                    other => return Some(other),
                }
            }
            match self.sources.pop_front()? {
                Source::Segment { seg, filter } => match SegmentReader::open(&seg.path) {
                    Ok(r) => self.open = Some((seg, filter, r, 0)),
                    Err(e) => return Some(Err(e)),
                },
                Source::Cache(t) => {
                    return Some(project(&t, &self.defs).map(|cols| self.table(cols)))
                }
                Source::Ready(t) => return Some(Ok(t)),
            }
        }
    }
}

impl Drop for TabletScan {
    fn drop(&mut self) {
        self.inner.unpin(self.cid);
    }
}
