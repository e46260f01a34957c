//! `ChunkStore`: one node's tablets. Writes go redo log -> cache engine -> segments; scans
//! read segments and cached rows at a snapshot commit id.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

use crate::chunk::{ChunkId, TabletWrite, WriteKind};
use crate::column_cache::ColumnCache;
use crate::error::{Error, ErrorKind, Result};
use crate::manifest::{sync_dir, Manifest, MANIFEST_FILE};
use crate::redo_log::{self, Record, RedoLog};
use crate::rows::conform_write;
use crate::scan::TabletScan;
use crate::schema::{check_name, ColumnDef, Engine, TableSchema};
use crate::tablet::{CacheBatch, SegmentFile, Tablet};

pub(crate) const CHUNKS_DIR: &str = "CHUNKS";
pub(crate) const REDO_DIR: &str = "REDO";
const DROP_PREFIX: &str = ".drop-";

/// Settings of a store, from DolphinDB's configuration keys.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// `dataSync`: fsync the redo log before acknowledging a commit.
    pub data_sync: bool,
    /// `OLAPCacheEngineSize` / `chunkCacheEngineMemSize`, in bytes: flush OLAP tablets when
    /// their cached rows exceed it.
    pub olap_cache_bytes: u64,
    /// `TSDBCacheEngineSize`, in bytes.
    pub tsdb_cache_bytes: u64,
    /// The decoded-column cache's share of `maxMemSize`, in bytes.
    pub column_cache_bytes: u64,
    /// A redo file is rotated past this size.
    pub redo_file_bytes: u64,
    /// Run the background flusher and compactor.
    pub background: bool,
    /// How often the background thread looks for work.
    pub maintenance_interval_ms: u64,
    /// Compaction merges at least this many adjacent small segments.
    pub compaction_min_segments: usize,
    /// A segment with fewer rows is small.
    pub small_segment_rows: u64,
    /// Segments hidden by a Replace are deleted this long after it (older snapshots may
    /// still want them) and only when no scan at an older snapshot is running.
    pub gc_grace_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            data_sync: true,
            olap_cache_bytes: 1 << 30,
            tsdb_cache_bytes: 1 << 30,
            column_cache_bytes: 1 << 30,
            redo_file_bytes: 64 << 20,
            background: true,
            maintenance_interval_ms: 1000,
            compaction_min_segments: 4,
            small_segment_rows: 1 << 20,
            gc_grace_ms: 60_000,
        }
    }
}

/// What `tablet_info` reports.
#[derive(Clone, Debug)]
pub struct TabletInfo {
    pub schema: TableSchema,
    /// Rows visible at the newest commit.
    pub rows: u64,
    /// Bytes of its segment files.
    pub disk_bytes: u64,
    pub segments: usize,
    /// Rows and bytes in the cache engine, not yet flushed.
    pub cached_rows: u64,
    pub cached_bytes: u64,
    /// Committed transactions that touched the tablet.
    pub version: u64,
    pub last_cid: u64,
}

/// One chunk, for `getAllChunks`-style listings.
#[derive(Clone, Debug)]
pub struct ChunkMeta {
    pub chunk: ChunkId,
    pub tables: Vec<String>,
    /// The largest version of its tablets.
    pub version: u64,
    pub last_cid: u64,
    pub rows: u64,
    pub disk_bytes: u64,
}

/// Store-wide figures (memory, files).
#[derive(Clone, Debug)]
pub struct StoreStats {
    pub olap_cache_bytes: u64,
    pub tsdb_cache_bytes: u64,
    pub column_cache_bytes: u64,
    pub redo_files: usize,
}

pub(crate) type TabletKey = (ChunkId, String);

struct PreparedTxn {
    data_lsn: u64,
    writes: Vec<TabletWrite>,
}

/// LSNs applied (or finished without effect): every LSN <= `upto` is.
#[derive(Default)]
struct Applied {
    upto: u64,
    done: BTreeSet<u64>,
}

pub(crate) struct Inner {
    pub root: PathBuf,
    pub cfg: StoreConfig,
    log: RedoLog,
    /// The redo record buffer kept between writes (see `RecordBuffer`).
    record_buffer: redo_log::RecordBuffer,
    pub tablets: RwLock<BTreeMap<TabletKey, Arc<Tablet>>>,
    prepared: Mutex<HashMap<u64, PreparedTxn>>,
    applied: Mutex<Applied>,
    pub olap_cache: AtomicU64,
    pub tsdb_cache: AtomicU64,
    pub columns: ColumnCache,
    pins: Mutex<BTreeMap<u64, usize>>,
    max_cid: AtomicU64,
    next_uid: AtomicU64,
    wake: Mutex<bool>,
    wake_cv: Condvar,
    space: Mutex<()>,
    space_cv: Condvar,
    stop: AtomicBool,
    pub flush_error: Mutex<Option<Error>>,
}

/// One node's chunk store, rooted at `<home>/<alias>/storage`.
///
/// Directory layout: `CHUNKS/<chunkId>/<table>/{manifest, seg-<n>.parquet}` and
/// `REDO/redo-<first lsn>.log`. Dropping the store flushes the cache engine (clean shutdown).
pub struct ChunkStore {
    inner: Arc<Inner>,
    worker: Option<JoinHandle<()>>,
}

impl ChunkStore {
    /// Opens (or creates) the store at `root`: loads manifests, removes files no manifest
    /// names (half-written segments), replays the redo log into the cache engine.
    pub fn open(root: &Path, cfg: StoreConfig) -> Result<ChunkStore> {
        let chunks_dir = root.join(CHUNKS_DIR);
        let redo_dir = root.join(REDO_DIR);
        for d in [root, &chunks_dir, &redo_dir] {
            fs::create_dir_all(d).map_err(|e| Error::io(d.display(), e))?;
        }
        let mut next_uid = 1u64;
        let mut tablets = load_tablets(&chunks_dir, &mut next_uid)?;
        let records = redo_log::replay(&redo_dir)?;
        let flushed_max = tablets
            .values()
            .map(|t| t.state.lock().manifest.flushed_lsn)
            .max()
            .unwrap_or(0);
        let replay_max = records.last().map(|(l, _)| *l).unwrap_or(0);
        let next_lsn = flushed_max.max(replay_max) + 1;
        let log = RedoLog::open(&redo_dir, next_lsn, cfg.data_sync, cfg.redo_file_bytes)?;
        let inner = Arc::new(Inner {
            root: root.to_path_buf(),
            columns: ColumnCache::new(cfg.column_cache_bytes),
            cfg,
            log,
            record_buffer: redo_log::RecordBuffer::default(),
            tablets: RwLock::new(BTreeMap::new()),
            prepared: Mutex::new(HashMap::new()),
            applied: Mutex::new(Applied {
                upto: next_lsn - 1,
                done: BTreeSet::new(),
            }),
            olap_cache: AtomicU64::new(0),
            tsdb_cache: AtomicU64::new(0),
            pins: Mutex::new(BTreeMap::new()),
            max_cid: AtomicU64::new(0),
            // `load_tablets` handed out ids up to `next_uid` itself: new ones start after it.
            next_uid: AtomicU64::new(next_uid + 1),
            wake: Mutex::new(false),
            wake_cv: Condvar::new(),
            space: Mutex::new(()),
            space_cv: Condvar::new(),
            stop: AtomicBool::new(false),
            flush_error: Mutex::new(None),
        });
        let max_cid = tablets
            .values()
            .map(|t| t.state.lock().last_cid)
            .max()
            .unwrap_or(0);
        inner.max_cid.store(max_cid, Ordering::Release);
        std::mem::swap(&mut *inner.tablets.write(), &mut tablets);
        for (lsn, rec) in records {
            inner.replay_record(lsn, rec)?;
        }
        let worker = if inner.cfg.background {
            let bg = inner.clone();
            Some(
                std::thread::Builder::new()
                    .name("storage-maintenance".into())
                    .spawn(move || crate::maintenance::background(bg))
                    .map_err(|e| Error::io("starting the maintenance thread", e))?,
            )
        } else {
            None
        };
        Ok(ChunkStore { inner, worker })
    }

    /// Writes one committed transaction durably (one redo record holding every tablet write,
    /// fsynced when `data_sync`) and makes it visible at `cid`: all tablets or none.
    pub fn commit(&self, tid: u64, cid: u64, writes: Vec<TabletWrite>) -> Result<()> {
        let writes = self.inner.check_writes(writes)?;
        if writes.is_empty() {
            return Ok(());
        }
        let rec = Record::Commit { tid, cid, writes };
        let mut payload = self.inner.record_buffer.take();
        redo_log::encode_into(&rec, &mut payload)?;
        let Record::Commit { writes, .. } = rec else {
            unreachable!("built above")
        };
        self.inner.wait_for_cache_space()?;
        let logged = self.inner.log_durably(&payload);
        self.inner.record_buffer.give(payload);
        let lsn = logged?;
        self.inner.apply(lsn, lsn, cid, &writes);
        self.inner.mark_done(lsn);
        self.inner.after_write();
        Ok(())
    }

    /// Two-phase commit, phase one: the writes are durable in the redo log but not visible.
    pub fn prepare(&self, tid: u64, writes: Vec<TabletWrite>) -> Result<()> {
        let writes = self.inner.check_writes(writes)?;
        if self.inner.prepared.lock().contains_key(&tid) {
            return Err(Error::invalid(format!(
                "Transaction {tid} is already prepared"
            )));
        }
        let rec = Record::Prepare { tid, writes };
        let mut payload = self.inner.record_buffer.take();
        redo_log::encode_into(&rec, &mut payload)?;
        let Record::Prepare { writes, .. } = rec else {
            unreachable!("built above")
        };
        self.inner.wait_for_cache_space()?;
        let logged = self.inner.log_durably(&payload);
        self.inner.record_buffer.give(payload);
        let lsn = logged?;
        self.inner.prepared.lock().insert(
            tid,
            PreparedTxn {
                data_lsn: lsn,
                writes,
            },
        );
        self.inner.mark_done(lsn);
        Ok(())
    }

    /// Two-phase commit, phase two: makes a prepared transaction visible at `cid`.
    pub fn commit_prepared(&self, tid: u64, cid: u64) -> Result<()> {
        if !self.inner.prepared.lock().contains_key(&tid) {
            return Err(Error::invalid(format!(
                "Transaction {tid} is not prepared on this node"
            )));
        }
        let payload = redo_log::encode(&Record::CommitPrepared { tid, cid })?;
        let lsn = self.inner.log_durably(&payload)?;
        let txn = self.inner.prepared.lock().remove(&tid);
        if let Some(txn) = txn {
            self.inner.apply(lsn, txn.data_lsn, cid, &txn.writes);
        }
        self.inner.mark_done(lsn);
        self.inner.after_write();
        Ok(())
    }

    /// Forgets a prepared transaction (no-op when it is unknown).
    pub fn abort(&self, tid: u64) -> Result<()> {
        if !self.inner.prepared.lock().contains_key(&tid) {
            return Ok(());
        }
        let payload = redo_log::encode(&Record::Abort { tid })?;
        let lsn = self.inner.log_durably(&payload)?;
        self.inner.prepared.lock().remove(&tid);
        self.inner.mark_done(lsn);
        Ok(())
    }

    /// Prepared transactions awaiting commit or abort (after a restart: in doubt).
    pub fn prepared_transactions(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.inner.prepared.lock().keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Rows of a tablet visible at snapshot `cid`, the named columns only (resolved against
    /// the tablet's newest schema), as a stream of batches. An unknown column is an error.
    pub fn scan(
        &self,
        chunk: &ChunkId,
        table: &str,
        cid: u64,
        columns: &[String],
    ) -> Result<TabletScan> {
        let Some(t) = self.inner.tablet(chunk, table) else {
            return Err(Error::invalid(format!(
                "The tablet {table} of chunk {chunk} does not exist"
            )));
        };
        let schema = t.state.lock().schema.clone();
        let defs = columns
            .iter()
            .map(|n| match schema.column_index(n) {
                Some(i) => Ok(schema.columns[i].clone()),
                None => Err(Error::invalid(format!("Unrecognized column name {n}"))),
            })
            .collect::<Result<Vec<_>>>()?;
        TabletScan::start(&self.inner, Some(t), cid, defs)
    }

    /// Like `scan`, with the caller's column definitions (the catalog's schema): a column a
    /// segment lacks (added later) reads as nulls, one stored in another type is converted.
    /// An unknown tablet scans as empty.
    pub fn scan_columns(
        &self,
        chunk: &ChunkId,
        table: &str,
        cid: u64,
        columns: &[ColumnDef],
    ) -> Result<TabletScan> {
        let t = self.inner.tablet(chunk, table);
        TabletScan::start(&self.inner, t, cid, columns.to_vec())
    }

    /// What a replica of this tablet lacks when it holds the tablet's commits up to `after`
    /// (`rows_at_after` rows visible then): the rows committed in `(after, cid]`, as stored,
    /// so that adding them to its rows gives this tablet at `cid` (incremental recovery).
    /// None when the histories diverged and only a whole copy will do: a Replace (update,
    /// delete, truncate, a re-created tablet) falls in `(after, cid]`, data up to `after` was
    /// garbage collected, this store saw a different row count at `after`, or it lacks the
    /// tablet.
    pub fn scan_since(
        &self,
        chunk: &ChunkId,
        table: &str,
        after: u64,
        rows_at_after: u64,
        cid: u64,
        columns: &[ColumnDef],
    ) -> Result<Option<TabletScan>> {
        let Some(t) = self.inner.tablet(chunk, table) else {
            return Ok(None);
        };
        let (segments, cached) = {
            let s = t.state.lock();
            if after > cid || after < s.manifest.gc_cid || s.replace_floor(cid) > after {
                return Ok(None);
            }
            let floor = s.replace_floor(after);
            let segments: Vec<Arc<SegmentFile>> = s
                .segments
                .iter()
                .filter(|x| x.meta.max_cid >= floor && x.meta.min_cid <= after)
                .cloned()
                .collect();
            let cached: u64 = s
                .cache
                .iter()
                .filter(|b| b.cid >= floor && b.cid <= after)
                .map(|b| b.rows.rows() as u64)
                .sum();
            (segments, (cached, floor))
        };
        let (mut rows, floor) = cached;
        for seg in &segments {
            rows += rows_in_range(seg, floor, after)?;
        }
        if rows != rows_at_after {
            return Ok(None);
        }
        TabletScan::start_range(&self.inner, Some(t), Some(after), cid, columns.to_vec()).map(Some)
    }

    pub fn tablet_info(&self, chunk: &ChunkId, table: &str) -> Option<TabletInfo> {
        let t = self.inner.tablet(chunk, table)?;
        let s = t.state.lock();
        Some(TabletInfo {
            schema: s.schema.clone(),
            rows: s.visible_rows(),
            disk_bytes: s.segments.iter().map(|x| x.meta.bytes).sum(),
            segments: s.segments.len(),
            cached_rows: s.cache.iter().map(|b| b.rows.rows() as u64).sum(),
            cached_bytes: s.cache_bytes,
            version: s.version,
            last_cid: s.last_cid,
        })
    }

    /// Removes a tablet and its files (durably: a redo record first, so that replay does not
    /// bring its cached rows back).
    pub fn drop_tablet(&self, chunk: &ChunkId, table: &str, cid: u64) -> Result<()> {
        let payload = redo_log::encode(&Record::Drop {
            chunk: chunk.clone(),
            table: table.to_string(),
            cid,
        })?;
        let lsn = self.inner.log_durably(&payload)?;
        let r = self.inner.drop_tablet(chunk, table, lsn);
        self.inner.mark_done(lsn);
        r
    }

    /// Every chunk with at least one tablet.
    pub fn chunks(&self) -> Vec<ChunkMeta> {
        let tablets = self.inner.tablets.read();
        let mut out: Vec<ChunkMeta> = Vec::new();
        for ((chunk, table), t) in tablets.iter() {
            let s = t.state.lock();
            if out.last().map(|m| &m.chunk) != Some(chunk) {
                out.push(ChunkMeta {
                    chunk: chunk.clone(),
                    tables: Vec::new(),
                    version: 0,
                    last_cid: 0,
                    rows: 0,
                    disk_bytes: 0,
                });
            }
            if let Some(m) = out.last_mut() {
                m.tables.push(table.clone());
                m.version = m.version.max(s.version);
                m.last_cid = m.last_cid.max(s.last_cid);
                m.rows += s.visible_rows();
                m.disk_bytes += s.segments.iter().map(|x| x.meta.bytes).sum::<u64>();
            }
        }
        out
    }

    /// The largest commit id this store has seen.
    pub fn last_cid(&self) -> u64 {
        self.inner.max_cid.load(Ordering::Acquire)
    }

    /// Flushes the cache engine to segments (DolphinDB's `flushOLAPCache`/`flushTSDBCache`)
    /// and deletes redo files that are no longer needed.
    pub fn flush_all(&self) -> Result<()> {
        crate::maintenance::flush_all(&self.inner)
    }

    /// Merges small segments of every tablet now (`triggerTSDBCompaction`) and garbage
    /// collects segments hidden by Replace writes whose grace time passed.
    pub fn compact_all(&self) -> Result<()> {
        crate::maintenance::compact_all(&self.inner)
    }

    pub fn stats(&self) -> StoreStats {
        StoreStats {
            olap_cache_bytes: self.inner.olap_cache.load(Ordering::Relaxed),
            tsdb_cache_bytes: self.inner.tsdb_cache.load(Ordering::Relaxed),
            column_cache_bytes: self.inner.columns.bytes(),
            redo_files: self.inner.log.file_count(),
        }
    }

    /// Clean shutdown: stops the background thread and flushes the cache engine.
    pub fn close(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        self.inner.stop.store(true, Ordering::Release);
        {
            let mut w = self.inner.wake.lock();
            *w = true;
            self.inner.wake_cv.notify_all();
        }
        if let Some(h) = self.worker.take() {
            let _ = h.join();
        }
        self.flush_all()
    }
}

impl Drop for ChunkStore {
    fn drop(&mut self) {
        if !self.inner.stop.load(Ordering::Acquire) {
            let _ = self.shutdown();
        }
    }
}

/// Loads every tablet under `CHUNKS/`, removing dropped tablets' leftovers, tablet
/// directories without a manifest (a first flush that never finished) and unnamed files.
fn load_tablets(chunks_dir: &Path, next_uid: &mut u64) -> Result<BTreeMap<TabletKey, Arc<Tablet>>> {
    let mut out = BTreeMap::new();
    for chunk_ent in read_dir(chunks_dir)? {
        let chunk_path = chunk_ent.path();
        let name = chunk_ent.file_name().to_string_lossy().into_owned();
        let Ok(chunk) = ChunkId::new(name) else {
            continue;
        };
        if !chunk_path.is_dir() {
            continue;
        }
        for ent in read_dir(&chunk_path)? {
            let path = ent.path();
            let table = ent.file_name().to_string_lossy().into_owned();
            if table.starts_with(DROP_PREFIX) || !path.is_dir() {
                remove_any(&path)?;
                continue;
            }
            let Some(manifest) = Manifest::load(&path)? else {
                remove_any(&path)?;
                continue;
            };
            sweep_orphans(&path, &manifest)?;
            let segments = manifest
                .segments
                .iter()
                .map(|m| {
                    *next_uid += 1;
                    Arc::new(SegmentFile::new(*next_uid, path.join(&m.file), m.clone()))
                })
                .collect();
            let t = Tablet::new(chunk.clone(), table.clone(), path, manifest, segments);
            out.insert((chunk.clone(), table), Arc::new(t));
        }
    }
    Ok(out)
}

fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    let rd = fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))?;
    rd.map(|e| e.map_err(|e| Error::io(dir.display(), e)))
        .collect()
}

fn remove_any(path: &Path) -> Result<()> {
    let r = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    r.map_err(|e| Error::io(path.display(), e))
}

/// Removes files of a tablet directory that its manifest does not name.
fn sweep_orphans(dir: &Path, m: &Manifest) -> Result<()> {
    let keep: BTreeSet<&str> = m.segments.iter().map(|s| s.file.as_str()).collect();
    for ent in read_dir(dir)? {
        let name = ent.file_name().to_string_lossy().into_owned();
        if name != MANIFEST_FILE && !keep.contains(name.as_str()) {
            remove_any(&ent.path())?;
        }
    }
    Ok(())
}

impl Inner {
    pub fn tablet(&self, chunk: &ChunkId, table: &str) -> Option<Arc<Tablet>> {
        self.tablets
            .read()
            .get(&(chunk.clone(), table.to_string()))
            .cloned()
    }

    fn tablet_or_create(&self, chunk: &ChunkId, table: &str, schema: &TableSchema) -> Arc<Tablet> {
        if let Some(t) = self.tablet(chunk, table) {
            return t;
        }
        let mut map = self.tablets.write();
        map.entry((chunk.clone(), table.to_string()))
            .or_insert_with(|| {
                let dir = self.root.join(CHUNKS_DIR).join(chunk.as_str()).join(table);
                Arc::new(Tablet::new(
                    chunk.clone(),
                    table.to_string(),
                    dir,
                    Manifest::new(schema.clone()),
                    Vec::new(),
                ))
            })
            .clone()
    }

    pub fn new_uid(&self) -> u64 {
        self.next_uid.fetch_add(1, Ordering::Relaxed)
    }

    /// Validates names and schemas and converts every table to its schema.
    fn check_writes(&self, writes: Vec<TabletWrite>) -> Result<Vec<TabletWrite>> {
        writes
            .into_iter()
            .map(|mut w| {
                check_name(&w.table, "table")?;
                w.schema.validate()?;
                w.rows = conform_write(&w.rows, &w.schema)?;
                Ok(w)
            })
            .collect()
    }

    /// Appends a record and waits for its fsync. The LSN is finished (without effect) when
    /// the fsync fails.
    fn log_durably(&self, payload: &[u8]) -> Result<u64> {
        let lsn = self.log.append(payload)?;
        if let Err(e) = self.log.sync(lsn) {
            self.mark_done(lsn);
            return Err(e);
        }
        Ok(lsn)
    }

    /// Puts a committed transaction's rows into the cache engine.
    fn apply(&self, lsn: u64, data_lsn: u64, cid: u64, writes: &[TabletWrite]) {
        let mut touched: Vec<Arc<Tablet>> = Vec::new();
        for w in writes {
            let rows = Arc::new(w.rows.clone());
            let bytes = CacheBatch::table_bytes(&rows);
            let batch = CacheBatch {
                lsn,
                data_lsn,
                cid,
                replace: w.kind == WriteKind::Replace,
                schema: Arc::new(w.schema.clone()),
                rows,
                bytes,
            };
            loop {
                let t = self.tablet_or_create(&w.chunk, &w.table, &w.schema);
                let first = !touched.iter().any(|x| Arc::ptr_eq(x, &t));
                {
                    let mut s = t.state.lock();
                    if !s.dropped {
                        s.push(batch.clone());
                        if batch.replace {
                            s.replace_times.push((cid, Instant::now()));
                        }
                        s.schema = w.schema.clone();
                        s.last_cid = s.last_cid.max(cid);
                        if first {
                            s.version += 1;
                        }
                        drop(s);
                        if first {
                            touched.push(t);
                        }
                        break;
                    }
                }
                // Dropped under us: remove it from the map so that the next lookup creates.
                let key = (w.chunk.clone(), w.table.clone());
                let mut map = self.tablets.write();
                if map.get(&key).is_some_and(|x| Arc::ptr_eq(x, &t)) {
                    map.remove(&key);
                }
            }
            self.cache_counter(w.schema.engine)
                .fetch_add(bytes, Ordering::AcqRel);
        }
        self.max_cid.fetch_max(cid, Ordering::AcqRel);
    }

    pub fn cache_counter(&self, engine: Engine) -> &AtomicU64 {
        match engine {
            Engine::Olap => &self.olap_cache,
            Engine::Tsdb => &self.tsdb_cache,
        }
    }

    pub fn mark_done(&self, lsn: u64) {
        let mut a = self.applied.lock();
        a.done.insert(lsn);
        loop {
            let next = a.upto + 1;
            if !a.done.remove(&next) {
                break;
            }
            a.upto = next;
        }
    }

    /// Every LSN up to the returned one is applied to the cache engine.
    pub fn applied_upto(&self) -> u64 {
        self.applied.lock().upto
    }

    /// The smallest LSN the redo log must still hold.
    pub fn redo_needed_lsn(&self) -> u64 {
        let mut needed = self.applied_upto() + 1;
        for t in self.tablets.read().values() {
            let s = t.state.lock();
            if let Some(m) = s.cache.iter().map(|b| b.data_lsn).min() {
                needed = needed.min(m);
            }
        }
        if let Some(m) = self.prepared.lock().values().map(|p| p.data_lsn).min() {
            needed = needed.min(m);
        }
        needed
    }

    pub fn truncate_redo(&self) -> Result<()> {
        self.log.truncate_before(self.redo_needed_lsn())
    }

    pub fn over_limit(&self, engine: Engine, factor: u64) -> bool {
        let limit = match engine {
            Engine::Olap => self.cfg.olap_cache_bytes,
            Engine::Tsdb => self.cfg.tsdb_cache_bytes,
        };
        self.cache_counter(engine).load(Ordering::Acquire) > limit.saturating_mul(factor)
    }

    fn after_write(&self) {
        if self.over_limit(Engine::Olap, 1) || self.over_limit(Engine::Tsdb, 1) {
            self.wake_maintenance();
        }
    }

    pub fn wake_maintenance(&self) {
        let mut w = self.wake.lock();
        *w = true;
        self.wake_cv.notify_all();
    }

    /// Waits (bounded) while the cache engine holds more than twice its size; reports the
    /// flusher's error when it cannot make room (a full disk).
    fn wait_for_cache_space(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if !self.over_limit(Engine::Olap, 2) && !self.over_limit(Engine::Tsdb, 2) {
                return Ok(());
            }
            if let Some(e) = self.flush_error.lock().clone() {
                return Err(e);
            }
            if !self.cfg.background {
                // No flusher thread: flush in the caller.
                return crate::maintenance::flush_all(self);
            }
            self.wake_maintenance();
            let mut g = self.space.lock();
            self.space_cv.wait_for(&mut g, Duration::from_millis(100));
            if Instant::now() > deadline {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    "The cache engine is full and cannot be flushed in time",
                ));
            }
        }
    }

    pub fn notify_space(&self) {
        let _g = self.space.lock();
        self.space_cv.notify_all();
    }

    /// Waits up to `timeout` for a wake-up; true when stopping.
    pub fn wait_for_work(&self, timeout: Duration) -> bool {
        let mut w = self.wake.lock();
        if !*w {
            self.wake_cv.wait_for(&mut w, timeout);
        }
        *w = false;
        self.stop.load(Ordering::Acquire)
    }

    pub fn pin(&self, cid: u64) {
        *self.pins.lock().entry(cid).or_insert(0) += 1;
    }

    pub fn unpin(&self, cid: u64) {
        let mut p = self.pins.lock();
        if let Some(n) = p.get_mut(&cid) {
            *n -= 1;
            if *n == 0 {
                p.remove(&cid);
            }
        }
    }

    /// The oldest snapshot a running scan uses, or the newest commit id.
    pub fn oldest_snapshot(&self) -> u64 {
        let newest = self.max_cid.load(Ordering::Acquire);
        self.pins
            .lock()
            .keys()
            .next()
            .copied()
            .unwrap_or(newest)
            .min(newest)
    }

    fn drop_tablet(&self, chunk: &ChunkId, table: &str, lsn: u64) -> Result<()> {
        let t = self
            .tablets
            .write()
            .remove(&(chunk.clone(), table.to_string()));
        let dir = match &t {
            Some(t) => {
                let _m = t.maintenance.lock();
                let mut s = t.state.lock();
                s.dropped = true;
                self.cache_counter(s.schema.engine)
                    .fetch_sub(s.cache_bytes, Ordering::AcqRel);
                s.cache.clear();
                s.cache_bytes = 0;
                for seg in &s.segments {
                    seg.mark_obsolete();
                }
                t.dir.clone()
            }
            None => self.root.join(CHUNKS_DIR).join(chunk.as_str()).join(table),
        };
        remove_tablet_dir(&dir, table, lsn)
    }

    fn replay_record(&self, lsn: u64, rec: Record) -> Result<()> {
        match rec {
            Record::Commit { cid, writes, .. } => self.replay_apply(lsn, lsn, cid, writes),
            Record::Prepare { tid, writes } => {
                self.prepared.lock().insert(
                    tid,
                    PreparedTxn {
                        data_lsn: lsn,
                        writes,
                    },
                );
            }
            Record::CommitPrepared { tid, cid } => {
                let txn = self.prepared.lock().remove(&tid);
                if let Some(txn) = txn {
                    self.replay_apply(lsn, txn.data_lsn, cid, txn.writes);
                }
            }
            Record::Abort { tid } => {
                self.prepared.lock().remove(&tid);
            }
            Record::Drop { chunk, table, .. } => {
                let t = self.tablets.write().remove(&(chunk.clone(), table.clone()));
                let dir = self.root.join(CHUNKS_DIR).join(chunk.as_str()).join(&table);
                let flushed = t
                    .as_ref()
                    .map(|t| t.state.lock().manifest.flushed_lsn)
                    .unwrap_or(0);
                match t {
                    // Its directory was made after the drop (flushed past it): keep it.
                    Some(t) if flushed >= lsn => {
                        self.tablets.write().insert((chunk, table), t);
                    }
                    _ => remove_tablet_dir(&dir, &table, lsn)?,
                }
            }
        }
        Ok(())
    }

    /// Applies the writes a replayed record made to tablets that had not flushed them.
    fn replay_apply(&self, lsn: u64, data_lsn: u64, cid: u64, writes: Vec<TabletWrite>) {
        let fresh: Vec<TabletWrite> = writes
            .into_iter()
            .filter(|w| match self.tablet(&w.chunk, &w.table) {
                Some(t) => t.state.lock().manifest.flushed_lsn < lsn,
                None => true,
            })
            .collect();
        if !fresh.is_empty() {
            self.apply(lsn, data_lsn, cid, &fresh);
        }
        self.max_cid.fetch_max(cid, Ordering::AcqRel);
    }
}

/// Rows of a segment with a commit id in `[lo, hi]`: from its stats when all or none are,
/// else counted from its `__cid` column.
fn rows_in_range(seg: &SegmentFile, lo: u64, hi: u64) -> Result<u64> {
    let m = &seg.meta;
    if m.max_cid < lo || m.min_cid > hi {
        return Ok(0);
    }
    if m.min_cid >= lo && m.max_cid <= hi {
        return Ok(m.rows);
    }
    let r = crate::segment::SegmentReader::open(&seg.path)?;
    let (lo, hi) = (lo as i64, hi as i64);
    let mut n = 0;
    for rg in 0..r.row_groups() {
        n += r
            .read_cids(rg)?
            .iter()
            .filter(|c| **c >= lo && **c <= hi)
            .count() as u64;
    }
    Ok(n)
}

/// Renames a tablet directory aside, makes that durable, then deletes it.
fn remove_tablet_dir(dir: &Path, table: &str, lsn: u64) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let Some(chunk_dir) = dir.parent() else {
        return Ok(());
    };
    let trash = chunk_dir.join(format!("{DROP_PREFIX}{table}-{lsn}"));
    fs::rename(dir, &trash).map_err(|e| Error::io(dir.display(), e))?;
    sync_dir(chunk_dir)?;
    // A failure here leaves only the renamed directory, which the next open removes.
    let _ = fs::remove_dir_all(&trash);
    if read_dir(chunk_dir).map(|v| v.is_empty()).unwrap_or(false) {
        let _ = fs::remove_dir(chunk_dir);
        if let Some(p) = chunk_dir.parent() {
            let _ = sync_dir(p);
        }
    }
    Ok(())
}
