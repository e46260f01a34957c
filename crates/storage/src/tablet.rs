//! A tablet in memory: its manifest and open segment files, plus the cache engine's rows for
//! it (committed, not yet flushed), each tagged with its commit id and redo LSN.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use value::Table;

use crate::chunk::ChunkId;
use crate::column_cache::vector_bytes;
use crate::manifest::{Manifest, SegmentMeta};
use crate::schema::TableSchema;

/// An immutable segment file. When it is marked obsolete (compacted away, garbage collected,
/// dropped), the last holder (the manifest or a scan still reading it) deletes the file.
pub(crate) struct SegmentFile {
    pub uid: u64,
    pub path: PathBuf,
    pub meta: SegmentMeta,
    obsolete: AtomicBool,
}

impl SegmentFile {
    pub fn new(uid: u64, path: PathBuf, meta: SegmentMeta) -> SegmentFile {
        SegmentFile {
            uid,
            path,
            meta,
            obsolete: AtomicBool::new(false),
        }
    }

    pub fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::Release);
    }
}

impl Drop for SegmentFile {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::Acquire) {
            // Already gone when its tablet directory was dropped; a leftover is swept at open.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Rows of one committed write waiting in the cache engine.
#[derive(Clone)]
pub(crate) struct CacheBatch {
    /// LSN of the record that made it visible (the commit).
    pub lsn: u64,
    /// LSN of the record holding the rows (the prepare, for two-phase commits).
    pub data_lsn: u64,
    pub cid: u64,
    pub replace: bool,
    pub schema: Arc<TableSchema>,
    pub rows: Arc<Table>,
    pub bytes: u64,
}

impl CacheBatch {
    pub fn table_bytes(t: &Table) -> u64 {
        t.columns.iter().map(|c| vector_bytes(c)).sum::<u64>() + 64
    }
}

pub(crate) struct TabletState {
    pub manifest: Arc<Manifest>,
    /// Open segment files, in manifest order.
    pub segments: Vec<Arc<SegmentFile>>,
    /// Sorted by (cid, lsn).
    pub cache: Vec<CacheBatch>,
    pub cache_bytes: u64,
    /// The newest write's schema.
    pub schema: TableSchema,
    /// Transactions that touched the tablet, flushed or not.
    pub version: u64,
    pub last_cid: u64,
    pub dropped: bool,
    /// When each Replace was applied in this process (garbage collection waits a grace time).
    pub replace_times: Vec<(u64, Instant)>,
}

impl TabletState {
    /// The newest Replace at or before `cid`, 0 when none.
    pub fn replace_floor(&self, cid: u64) -> u64 {
        let from_manifest = self
            .manifest
            .replaces
            .iter()
            .copied()
            .filter(|r| *r <= cid)
            .max()
            .unwrap_or(0);
        let from_cache = self
            .cache
            .iter()
            .filter(|b| b.replace && b.cid <= cid)
            .map(|b| b.cid)
            .max()
            .unwrap_or(0);
        from_manifest.max(from_cache)
    }

    pub fn push(&mut self, batch: CacheBatch) {
        let key = (batch.cid, batch.lsn);
        let at = self.cache.partition_point(|b| (b.cid, b.lsn) <= key);
        self.cache_bytes += batch.bytes;
        self.cache.insert(at, batch);
    }

    /// Rows visible at the newest commit.
    pub fn visible_rows(&self) -> u64 {
        let floor = self.replace_floor(u64::MAX);
        let seg: u64 = self
            .segments
            .iter()
            .filter(|s| s.meta.min_cid >= floor)
            .map(|s| s.meta.rows)
            .sum();
        let cache: u64 = self
            .cache
            .iter()
            .filter(|b| b.cid >= floor)
            .map(|b| b.rows.rows() as u64)
            .sum();
        seg + cache
    }
}

pub(crate) struct Tablet {
    pub chunk: ChunkId,
    pub table: String,
    pub dir: PathBuf,
    pub state: Mutex<TabletState>,
    /// Serializes flush, compaction, garbage collection and drop of this tablet.
    pub maintenance: Mutex<()>,
}

impl Tablet {
    pub fn new(
        chunk: ChunkId,
        table: String,
        dir: PathBuf,
        manifest: Manifest,
        segments: Vec<Arc<SegmentFile>>,
    ) -> Tablet {
        let state = TabletState {
            schema: manifest.schema.clone(),
            version: manifest.version,
            last_cid: manifest.last_cid,
            manifest: Arc::new(manifest),
            segments,
            cache: Vec::new(),
            cache_bytes: 0,
            dropped: false,
            replace_times: Vec::new(),
        };
        Tablet {
            chunk,
            table,
            dir,
            state: Mutex::new(state),
            maintenance: Mutex::new(()),
        }
    }
}
