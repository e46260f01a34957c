//! Background work on tablets: flushing the cache engine to segments, compacting small
//! segments, garbage collecting segments hidden by Replace writes, and deleting redo files
//! that every tablet has flushed.

use std::fs;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use value::Vector;

use crate::error::{Error, Result};
use crate::manifest::{sync_dir, Manifest, SegmentMeta};
use crate::rows::{concat, nulls, project, tsdb_arrange};
use crate::schema::{ColumnDef, Engine, TableSchema};
use crate::segment::{self, SegmentReader};
use crate::store::{Inner, CHUNKS_DIR};
use crate::tablet::{CacheBatch, SegmentFile, Tablet};

/// Most segments one compaction merges (bounds its memory with `small_segment_rows`).
const COMPACTION_SEGMENTS_MAX: usize = 16;

/// The maintenance thread: flush when the cache engine is over its size, then compact,
/// collect garbage and truncate the redo log; sleeps between rounds.
pub(crate) fn background(inner: Arc<Inner>) {
    let interval = Duration::from_millis(inner.cfg.maintenance_interval_ms.max(1));
    loop {
        if inner.wait_for_work(interval) {
            return;
        }
        let mut result = Ok(());
        for engine in [Engine::Olap, Engine::Tsdb] {
            if inner.over_limit(engine, 1) {
                result = result.and(flush_engine(&inner, engine));
            }
        }
        *inner.flush_error.lock() = result.err();
        inner.notify_space();
        let _ = compact_all(&inner);
        let _ = inner.truncate_redo();
    }
}

fn tablets(inner: &Inner) -> Vec<Arc<Tablet>> {
    inner.tablets.read().values().cloned().collect()
}

/// Flushes the tablets of one engine, largest cache first, until under half its size.
fn flush_engine(inner: &Inner, engine: Engine) -> Result<()> {
    let mut ts: Vec<(u64, Arc<Tablet>)> = tablets(inner)
        .into_iter()
        .filter_map(|t| {
            let s = t.state.lock();
            (s.schema.engine == engine && s.cache_bytes > 0).then(|| (s.cache_bytes, t.clone()))
        })
        .collect();
    ts.sort_by_key(|(b, _)| std::cmp::Reverse(*b));
    let limit = match engine {
        Engine::Olap => inner.cfg.olap_cache_bytes,
        Engine::Tsdb => inner.cfg.tsdb_cache_bytes,
    };
    for (_, t) in ts {
        flush_tablet(inner, &t)?;
        inner.notify_space();
        if inner.cache_counter(engine).load(Ordering::Acquire) <= limit / 2 {
            break;
        }
    }
    inner.truncate_redo()
}

pub(crate) fn flush_all(inner: &Inner) -> Result<()> {
    let mut first_err = None;
    for t in tablets(inner) {
        if let Err(e) = flush_tablet(inner, &t) {
            first_err.get_or_insert(e);
        }
    }
    inner.notify_space();
    match first_err {
        Some(e) => Err(e),
        None => inner.truncate_redo(),
    }
}

pub(crate) fn compact_all(inner: &Inner) -> Result<()> {
    for t in tablets(inner) {
        while compact_tablet(inner, &t)? {}
        collect_garbage(inner, &t)?;
    }
    Ok(())
}

/// Creates the tablet directory (and makes its entry durable) on the first flush.
fn ensure_dir(inner: &Inner, t: &Tablet) -> Result<()> {
    if t.dir.exists() {
        return Ok(());
    }
    fs::create_dir_all(&t.dir).map_err(|e| Error::io(t.dir.display(), e))?;
    let chunks = inner.root.join(CHUNKS_DIR);
    sync_dir(&chunks)?;
    if let Some(p) = t.dir.parent() {
        sync_dir(p)?;
    }
    Ok(())
}

/// Writes one segment of `columns`/`cids` as the manifest's next file.
fn write_segment(
    t: &Tablet,
    m: &mut Manifest,
    schema: &TableSchema,
    mut columns: Vec<Vector>,
    mut cids: Vec<i64>,
    created: &mut Vec<std::path::PathBuf>,
) -> Result<SegmentMeta> {
    tsdb_arrange(schema, &mut columns, &mut cids)?;
    let file = format!("seg-{}.parquet", m.next_segment);
    m.next_segment += 1;
    let path = t.dir.join(&file);
    created.push(path.clone());
    let refs: Vec<&Vector> = columns.iter().collect();
    let written = segment::write(&path, &schema.columns, &refs, &cids)?;
    Ok(SegmentMeta {
        file,
        rows: cids.len() as u64,
        bytes: written.bytes,
        min_cid: cids.iter().copied().min().unwrap_or(0).max(0) as u64,
        max_cid: cids.iter().copied().max().unwrap_or(0).max(0) as u64,
        stats: written.stats,
        columns: schema.columns.iter().map(|c| c.name.clone()).collect(),
    })
}

fn remove_files(paths: &[std::path::PathBuf]) {
    for p in paths {
        let _ = fs::remove_file(p);
    }
}

/// Moves a tablet's cached rows whose redo LSN is applied into new segments (one per run of
/// writes between Replace writes), then replaces the manifest. On error nothing changes.
pub(crate) fn flush_tablet(inner: &Inner, t: &Tablet) -> Result<()> {
    let _m = t.maintenance.lock();
    let upto = inner.applied_upto();
    let (batches, manifest) = {
        let s = t.state.lock();
        if s.dropped {
            return Ok(());
        }
        let b: Vec<CacheBatch> = s.cache.iter().filter(|b| b.lsn <= upto).cloned().collect();
        (b, s.manifest.clone())
    };
    if batches.is_empty() {
        return Ok(());
    }
    let schema = batches
        .iter()
        .max_by_key(|b| b.lsn)
        .map(|b| TableSchema::clone(&b.schema))
        .unwrap_or_else(|| manifest.schema.clone());
    let mut m = Manifest::clone(&manifest);
    let mut created = Vec::new();
    let result = (|| -> Result<Vec<SegmentMeta>> {
        ensure_dir(inner, t)?;
        let mut metas = Vec::new();
        // Runs of batches split before each Replace.
        let mut start = 0;
        while start < batches.len() {
            let mut end = start + 1;
            while end < batches.len() && !batches[end].replace {
                end += 1;
            }
            let run = &batches[start..end];
            let rows: usize = run.iter().map(|b| b.rows.rows()).sum();
            if rows > 0 {
                let parts = run
                    .iter()
                    .map(|b| project(&b.rows, &schema.columns))
                    .collect::<Result<Vec<_>>>()?;
                let columns = concat(&schema.columns, &parts);
                let mut cids = Vec::with_capacity(rows);
                for b in run {
                    cids.extend(std::iter::repeat_n(b.cid as i64, b.rows.rows()));
                }
                metas.push(write_segment(
                    t,
                    &mut m,
                    &schema,
                    columns,
                    cids,
                    &mut created,
                )?);
            }
            start = end;
        }
        Ok(metas)
    })();
    let metas = match result {
        Ok(x) => x,
        Err(e) => {
            remove_files(&created);
            return Err(e);
        }
    };
    let mut lsns: Vec<u64> = batches.iter().map(|b| b.lsn).collect();
    lsns.sort_unstable();
    lsns.dedup();
    m.replaces
        .extend(batches.iter().filter(|b| b.replace).map(|b| b.cid));
    m.replaces.sort_unstable();
    m.replaces.dedup();
    m.flushed_lsn = m.flushed_lsn.max(upto);
    m.version += lsns.len() as u64;
    m.last_cid = m
        .last_cid
        .max(batches.iter().map(|b| b.cid).max().unwrap_or(0));
    m.schema = schema;
    m.seq += 1;
    m.segments.extend(metas.iter().cloned());
    if let Err(e) = m.store(&t.dir) {
        remove_files(&created);
        return Err(e);
    }
    let mut s = t.state.lock();
    let before = s.cache_bytes;
    s.cache.retain(|b| b.lsn > upto);
    s.cache_bytes = s.cache.iter().map(|b| b.bytes).sum();
    let freed = before - s.cache_bytes;
    for meta in metas {
        let path = t.dir.join(&meta.file);
        s.segments
            .push(Arc::new(SegmentFile::new(inner.new_uid(), path, meta)));
    }
    s.manifest = Arc::new(m);
    inner
        .cache_counter(s.schema.engine)
        .fetch_sub(freed, Ordering::AcqRel);
    Ok(())
}

/// Reads every row and commit id of a segment, as `defs`.
pub(crate) fn read_segment(
    seg: &SegmentFile,
    defs: &[ColumnDef],
) -> Result<(Vec<Vector>, Vec<i64>)> {
    let r = SegmentReader::open(&seg.path)?;
    let mut parts = Vec::new();
    let mut cids = Vec::new();
    for rg in 0..r.row_groups() {
        let n = r.row_group_rows(rg);
        let mut cols = Vec::with_capacity(defs.len());
        for d in defs {
            let v = match r
                .defs()
                .iter()
                .position(|x| x.name.eq_ignore_ascii_case(&d.name))
            {
                Some(j) => crate::rows::conform_column(&Arc::new(r.read_column(rg, j)?), d)?,
                None => Arc::new(nulls(d, n)),
            };
            cols.push(v);
        }
        parts.push(cols);
        cids.extend(r.read_cids(rg)?);
    }
    Ok((concat(defs, &parts), cids))
}

/// Merges one run of adjacent small segments that are visible at the newest commit.
/// Returns whether it merged anything.
fn compact_tablet(inner: &Inner, t: &Tablet) -> Result<bool> {
    let _m = t.maintenance.lock();
    let (segments, manifest) = {
        let s = t.state.lock();
        if s.dropped {
            return Ok(false);
        }
        (s.segments.clone(), s.manifest.clone())
    };
    let floor = manifest.replaces.last().copied().unwrap_or(0);
    let small =
        |s: &SegmentFile| s.meta.rows < inner.cfg.small_segment_rows && s.meta.min_cid >= floor;
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < segments.len() {
        if !small(&segments[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < segments.len() && small(&segments[j]) && j - i < COMPACTION_SEGMENTS_MAX {
            j += 1;
        }
        if j - i >= inner.cfg.compaction_min_segments.max(2) {
            best = Some((i, j));
            break;
        }
        i = j;
    }
    let Some((lo, hi)) = best else {
        return Ok(false);
    };
    let schema = manifest.schema.clone();
    let mut parts = Vec::new();
    let mut cids = Vec::new();
    for seg in &segments[lo..hi] {
        let (cols, c) = read_segment(seg, &schema.columns)?;
        parts.push(cols.into_iter().map(Arc::new).collect::<Vec<_>>());
        cids.extend(c);
    }
    let columns = concat(&schema.columns, &parts);
    let mut m = Manifest::clone(&manifest);
    let mut created = Vec::new();
    let meta = match write_segment(t, &mut m, &schema, columns, cids, &mut created) {
        Ok(x) => x,
        Err(e) => {
            remove_files(&created);
            return Err(e);
        }
    };
    m.segments.splice(lo..hi, std::iter::once(meta.clone()));
    m.seq += 1;
    if let Err(e) = m.store(&t.dir) {
        remove_files(&created);
        return Err(e);
    }
    let merged = Arc::new(SegmentFile::new(
        inner.new_uid(),
        t.dir.join(&meta.file),
        meta,
    ));
    let mut s = t.state.lock();
    let old: Vec<u64> = segments[lo..hi].iter().map(|x| x.uid).collect();
    let at = s
        .segments
        .iter()
        .position(|x| x.uid == old[0])
        .unwrap_or(s.segments.len());
    s.segments.retain(|x| !old.contains(&x.uid));
    let at = at.min(s.segments.len());
    s.segments.insert(at, merged);
    s.manifest = Arc::new(m);
    for seg in &segments[lo..hi] {
        seg.mark_obsolete();
    }
    Ok(true)
}

/// Deletes segments hidden by the newest Replace once no snapshot can need them.
fn collect_garbage(inner: &Inner, t: &Tablet) -> Result<()> {
    let _m = t.maintenance.lock();
    let (segments, manifest, recent) = {
        let s = t.state.lock();
        let Some(&floor) = s.manifest.replaces.last() else {
            return Ok(());
        };
        let grace = Duration::from_millis(inner.cfg.gc_grace_ms);
        let recent = s
            .replace_times
            .iter()
            .any(|(cid, at)| *cid >= floor && at.elapsed() < grace);
        (s.segments.clone(), s.manifest.clone(), recent)
    };
    let floor = manifest.replaces.last().copied().unwrap_or(0);
    if recent || inner.oldest_snapshot() < floor {
        return Ok(());
    }
    let victims: Vec<&Arc<SegmentFile>> =
        segments.iter().filter(|s| s.meta.max_cid < floor).collect();
    if victims.is_empty() && manifest.gc_cid >= floor {
        return Ok(());
    }
    let mut m = Manifest::clone(&manifest);
    m.segments.retain(|x| x.max_cid >= floor);
    m.gc_cid = m.gc_cid.max(floor);
    m.replaces.retain(|r| *r >= floor);
    m.seq += 1;
    m.store(&t.dir)?;
    let mut s = t.state.lock();
    let ids: Vec<u64> = victims.iter().map(|v| v.uid).collect();
    s.segments.retain(|x| !ids.contains(&x.uid));
    s.manifest = Arc::new(m);
    s.replace_times.retain(|(cid, _)| *cid >= floor);
    for v in victims {
        v.mark_obsolete();
    }
    Ok(())
}
