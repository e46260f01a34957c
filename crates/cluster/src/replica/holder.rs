//! A data node's replicas: the calls entry nodes make (prepare, commit, abort, read) and the
//! background round that keeps the node's chunks in step with the catalog:
//! 1. transactions in doubt (prepared, no commit or abort heard: the coordinator or this node
//!    went down): committed at the CID the catalog recorded, aborted when the catalog aborted
//!    them, and aborted through the catalog (which then refuses their commit) when still not
//!    committed after `IN_DOUBT_TIMEOUT`;
//! 2. recovery: a replica behind the chunk's version (its node was down during writes) asks an
//!    up-to-date live replica, tablet by tablet, for the rows committed after its own last
//!    commit (`DELTA`), or copies the tablet whole when the histories diverged (a Replace
//!    since, another row count); then it reports the version (`SetReplicaVersion`);
//! 3. garbage: tablets the catalog no longer lists here (dropped tables, partitions, databases).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use script::sql::map_task::MapTask;
use script::sql::pushdown::RowFilter;
use value::{Table, Value};

use crate::catalog::{ChunkMeta, TxnState};
use crate::rpc::{from_blob, Rpc};
use crate::store::{Store, Write, WriteKind};
use crate::{err, Error, Result};

use super::link::{Link, Snapshot};
use super::{
    ColumnWire, DeltaRequest, PrepareHead, ReadRequest, ABORT, CATCH_UP_WAIT, COMMIT, DELTA,
    IN_DOUBT_TIMEOUT, MAP, PREPARE, READ, READ_WHERE, ROUND_INTERVAL,
};

pub struct Holder {
    store: Arc<dyn Store>,
    /// Orders the background round's drops and copies with commits (a tablet committed again
    /// must not be dropped by a round that read an older catalog).
    lock: Mutex<()>,
    /// When each transaction was first found in doubt.
    in_doubt: Mutex<HashMap<u64, Instant>>,
    /// How long a transaction may stay pending in doubt before this replica aborts it.
    in_doubt_timeout: Mutex<Duration>,
    /// What recoveries transferred.
    recovery: Mutex<RecoveryStats>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Holder {
    pub fn new(store: Arc<dyn Store>) -> Holder {
        Holder {
            store,
            lock: Mutex::new(()),
            in_doubt: Mutex::new(HashMap::new()),
            in_doubt_timeout: Mutex::new(IN_DOUBT_TIMEOUT),
            recovery: Mutex::new(RecoveryStats::default()),
        }
    }

    /// Sets how long a transaction may stay pending in doubt (`IN_DOUBT_TIMEOUT`; tests).
    pub fn set_in_doubt_timeout(&self, t: Duration) {
        *lock(&self.in_doubt_timeout) = t;
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn prepare(&self, tid: u64, writes: Vec<Write>) -> Result<()> {
        let _g = lock(&self.lock);
        self.store.prepare(tid, writes)
    }

    pub fn commit(&self, tid: u64, cid: u64) -> Result<()> {
        let _g = lock(&self.lock);
        self.store.commit_prepared(tid, cid)
    }

    pub fn abort(&self, tid: u64) -> Result<()> {
        let _g = lock(&self.lock);
        self.store.abort(tid)
    }

    /// A tablet's rows at the request's snapshot, once this replica has applied the tablet's
    /// commits up to `expect_cid` (waiting up to `CATCH_UP_WAIT` for a commit on its way, that
    /// is while it holds prepared transactions; else it answers at once that it is behind).
    pub fn read(&self, req: &ReadRequest) -> Result<Table> {
        self.caught_up(req)?;
        let specs: Vec<_> = req.columns.iter().map(ColumnWire::spec).collect();
        self.store.scan(&req.chunk, &req.table, req.cid, &specs)
    }

    /// What a stale replica lacks of a tablet (`DeltaRequest`), once this replica is caught
    /// up as for a read; None when the histories diverged.
    pub fn delta(&self, req: &DeltaRequest) -> Result<Option<Table>> {
        let r = &req.read;
        self.caught_up(r)?;
        let specs: Vec<_> = r.columns.iter().map(ColumnWire::spec).collect();
        self.store.scan_since(
            &r.chunk,
            &r.table,
            req.after,
            req.rows_at_after,
            r.cid,
            &specs,
        )
    }

    /// Waits (as `read` says) until this replica applied the tablet's commits up to
    /// `req.expect_cid`.
    fn caught_up(&self, req: &ReadRequest) -> Result<()> {
        let deadline = Instant::now() + CATCH_UP_WAIT;
        loop {
            let have = self
                .store
                .tablet_last_cid(&req.chunk, &req.table)
                .unwrap_or(0);
            if have >= req.expect_cid {
                break;
            }
            // A commit on its way has a prepared transaction here; without one, none is coming.
            if Instant::now() >= deadline || self.store.prepared().is_empty() {
                err!(
                    "<ChunkInRecovery>The replica of chunk {} is behind (commit {} of {})",
                    req.chunk,
                    have,
                    req.expect_cid
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(())
    }
}

/// Serves the replica calls on `rpc`.
pub fn register(rpc: &Rpc, holder: &Arc<Holder>) {
    let h = Arc::downgrade(holder);
    rpc.register_blocking(PREPARE, move |args| {
        let h = running(&h)?;
        let head: PrepareHead = from_blob(args.first())?;
        if args.len() != head.writes.len() + 1 {
            return Err("A prepare needs one table per write".into());
        }
        let mut writes = Vec::with_capacity(head.writes.len());
        for (w, rows) in head.writes.into_iter().zip(&args[1..]) {
            let Value::Table(t) = rows else {
                return Err("A prepare's rows must be tables".into());
            };
            writes.push(w.write((**t).clone()));
        }
        h.prepare(head.tid, writes).map_err(|e| e.0)?;
        Ok(Value::bool(true))
    });
    let h = Arc::downgrade(holder);
    rpc.register_blocking(COMMIT, move |args| {
        let h = running(&h)?;
        let (Some(tid), Some(cid)) = (
            args.first().and_then(Value::as_i64),
            args.get(1).and_then(Value::as_i64),
        ) else {
            return Err("A commit needs a TID and a CID".into());
        };
        h.commit(tid as u64, cid as u64).map_err(|e| e.0)?;
        Ok(Value::bool(true))
    });
    let h = Arc::downgrade(holder);
    rpc.register_blocking(ABORT, move |args| {
        let h = running(&h)?;
        let Some(tid) = args.first().and_then(Value::as_i64) else {
            return Err("An abort needs a TID".into());
        };
        h.abort(tid as u64).map_err(|e| e.0)?;
        Ok(Value::bool(true))
    });
    let h = Arc::downgrade(holder);
    rpc.register_blocking(READ, move |args| {
        let h = running(&h)?;
        let req: ReadRequest = from_blob(args.first())?;
        let t = h.read(&req).map_err(|e| e.0)?;
        Ok(Value::table(t))
    });
    let h = Arc::downgrade(holder);
    rpc.register_blocking(READ_WHERE, move |args| {
        let h = running(&h)?;
        let req: ReadRequest = from_blob(args.first())?;
        let filter = RowFilter {
            conds: from_blob(args.get(1))?,
            constants: args.iter().skip(2).cloned().collect(),
        };
        let t = h.read(&req).map_err(|e| e.0)?;
        // The reader applies its `where` clause again: unfiltered rows are still a right answer.
        match filter.apply(t.clone()) {
            Ok(kept) => Ok(Value::table(kept)),
            Err(e) => {
                tracing::debug!("a pushed-down filter on chunk {} failed: {e}", req.chunk);
                Ok(Value::table(t))
            }
        }
    });
    let h = Arc::downgrade(holder);
    rpc.register_blocking(MAP, move |args| {
        let h = running(&h)?;
        let req: ReadRequest = from_blob(args.first())?;
        // A task this version can't read (a newer entry node's) is answered like one it
        // can't run: the entry node reads the rows instead.
        let mut task: MapTask = match from_blob(args.get(1)) {
            Ok(t) => t,
            Err(e) => {
                return Ok(Value::string(format!(
                    "the map step is unreadable here: {e}"
                )))
            }
        };
        task.constants = args.iter().skip(2).cloned().collect();
        let t = h.read(&req).map_err(|e| e.0)?;
        // The entry node maps the rows itself when the task can't run here, so an error it
        // reports is the one a local query gives.
        Ok(match task.run(t) {
            Ok(Some(partials)) => Value::table(partials),
            Ok(None) => Value::string("no partial states for these types"),
            Err(e) => Value::string(format!("the map step failed: {e}")),
        })
    });
    let h = Arc::downgrade(holder);
    rpc.register_blocking(DELTA, move |args| {
        let h = running(&h)?;
        let req: DeltaRequest = from_blob(args.first())?;
        match h.delta(&req).map_err(|e| e.0)? {
            Some(t) => Ok(Value::table(t)),
            // Diverged: the caller copies the tablet whole.
            None => Ok(Value::bool(false)),
        }
    });
}

fn running(h: &Weak<Holder>) -> std::result::Result<Arc<Holder>, String> {
    h.upgrade()
        .ok_or_else(|| "The data node is shutting down".to_string())
}

/// Runs the background round every `ROUND_INTERVAL` until the link or the holder is dropped,
/// or `stop` says so.
pub fn spawn_rounds(
    link: &Arc<Link>,
    holder: &Arc<Holder>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let (l, h) = (Arc::downgrade(link), Arc::downgrade(holder));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(ROUND_INTERVAL) => {}
            }
            let (Some(link), Some(holder)) = (l.upgrade(), h.upgrade()) else {
                return;
            };
            let r = tokio::task::spawn_blocking(move || round(&link, &holder)).await;
            match r {
                Ok(Err(e)) => tracing::debug!("replica round: {e}"),
                Err(e) => tracing::warn!("replica round failed: {e}"),
                Ok(Ok(())) => {}
            }
        }
    })
}

/// One background round (see the module doc).
pub fn round(link: &Link, h: &Holder) -> Result<()> {
    let snap = link.snapshot()?;
    let state = &snap.state;
    let prepared = h.store.prepared();
    let outcomes = if prepared.is_empty() {
        Default::default()
    } else {
        link.outcomes(&prepared)?
    };
    {
        let mut seen = lock(&h.in_doubt);
        seen.retain(|t, _| prepared.contains(t));
        for &tid in &prepared {
            match outcomes.get(&tid) {
                Some(TxnState::Committed(cid)) => {
                    tracing::info!("transaction {tid} in doubt: committed at {cid}");
                    if let Err(e) = h.commit(tid, *cid) {
                        tracing::warn!("committing transaction {tid} in doubt failed: {e}");
                    }
                }
                Some(TxnState::Aborted) => {
                    tracing::info!("transaction {tid} in doubt: aborted");
                    h.abort(tid)?;
                }
                // Not committed or aborted yet (or, committed long ago and forgotten: the
                // catalog keeps the last `TXNS_KEPT` finished ones).
                None | Some(TxnState::Pending) => {
                    let since = *seen.entry(tid).or_insert_with(Instant::now);
                    if since.elapsed() >= *lock(&h.in_doubt_timeout) {
                        match link.abort_in_doubt(tid) {
                            Ok(()) => {
                                tracing::warn!("transaction {tid} in doubt for too long: aborted");
                                h.abort(tid)?;
                            }
                            Err(e) => tracing::warn!("can't abort transaction {tid}: {e}"),
                        }
                    }
                }
            }
        }
    }
    if !h.store.prepared().is_empty() {
        // Recovery and garbage wait until nothing is in doubt here.
        return Ok(());
    }
    for c in state.chunks.values() {
        let behind = c
            .replicas
            .iter()
            .any(|r| r.node == link.alias() && r.version < c.version);
        if behind {
            if let Err(e) = recover(link, h, &snap, c) {
                tracing::warn!("recovery of chunk {} failed: {e}", c.id);
            }
        }
    }
    collect_garbage(link.alias(), h, &snap);
    Ok(())
}

/// What recoveries on this node transferred (since it started): for logs, tests and bench.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecoveryStats {
    /// Tablets brought up to date from only the rows they lacked.
    pub incremental: u64,
    /// Tablets copied whole (no local copy, or the histories diverged).
    pub whole: u64,
    pub rows: u64,
    /// Bytes of the transferred tables in the wire encoding.
    pub bytes: u64,
}

impl Holder {
    pub fn recovery_stats(&self) -> RecoveryStats {
        *lock(&self.recovery)
    }
}

/// Brings a stale replica's tablets up to date from an up-to-date live replica, then reports
/// the chunk's version. Each tablet asks first for only what it lacks (`DELTA`: the rows
/// committed after its own last commit) and is copied whole (`READ`) when the source finds
/// the histories diverged.
fn recover(link: &Link, h: &Holder, snap: &Snapshot, c: &ChunkMeta) -> Result<()> {
    let state = &snap.state;
    let sources: Vec<&str> = c
        .replicas
        .iter()
        .filter(|r| r.node != link.alias() && r.version == c.version && snap.live.contains(&r.node))
        .map(|r| r.node.as_str())
        .collect();
    if sources.is_empty() {
        return Ok(());
    }
    let Some(d) = state.databases.get(&c.db) else {
        return Ok(());
    };
    let mut copies = Vec::new();
    let mut stats = RecoveryStats::default();
    for (table_id, tab) in &c.tablets {
        let Some(t) = d.tables.values().find(|t| &t.id == table_id) else {
            continue;
        };
        let schema = crate::dfs::tablet_schema(d, t);
        let read = ReadRequest {
            chunk: c.id.clone(),
            table: table_id.clone(),
            cid: state.counters.last_cid,
            expect_cid: tab.last_cid,
            columns: schema.columns.iter().map(ColumnWire::of).collect(),
        };
        let mut got = None;
        let mut last = String::new();
        // A replica holding the tablet's commits up to `after` lacks only the later ones.
        if let Some((after, rows_at_after)) = h.store.tablet_state(&c.id, table_id) {
            if after <= tab.last_cid {
                let req = DeltaRequest {
                    read: read.clone(),
                    after,
                    rows_at_after,
                };
                for s in &sources {
                    match link.delta_from(&snap.sites, s, &req) {
                        Ok(Some(t)) => {
                            got = Some((WriteKind::Append, t));
                            break;
                        }
                        // Diverged here: diverged on every up-to-date replica.
                        Ok(None) => break,
                        Err(e) => last = e.0,
                    }
                }
            }
        }
        if got.is_none() {
            for s in &sources {
                match link.copy_from(&snap.sites, s, &read) {
                    Ok(t) => {
                        got = Some((WriteKind::Replace, t));
                        break;
                    }
                    Err(e) => last = e.0,
                }
            }
        }
        let Some((kind, data)) = got else {
            err!("no source replica answered: {}", last);
        };
        match kind {
            WriteKind::Append => stats.incremental += 1,
            WriteKind::Replace => stats.whole += 1,
        }
        stats.rows += data.rows() as u64;
        stats.bytes += wire_bytes(&data);
        copies.push((
            tab.last_cid,
            Write {
                kind,
                chunk: c.id.clone(),
                table: table_id.clone(),
                schema,
                rows: data,
            },
        ));
    }
    {
        let _g = lock(&h.lock);
        // Each tablet at the CID of its last commit, so every snapshot from there on reads it.
        for (cid, w) in copies {
            h.store.commit(0, cid, vec![w])?;
        }
    }
    link.set_replica_version(&c.id, c.version)?;
    {
        let mut total = lock(&h.recovery);
        total.incremental += stats.incremental;
        total.whole += stats.whole;
        total.rows += stats.rows;
        total.bytes += stats.bytes;
    }
    tracing::info!(
        "recovered chunk {} ({}{}) to version {} from {}: {} tablets incrementally, {} whole, \
         {} rows, {} bytes",
        c.id,
        super::link::db_dir(&c.db),
        c.partition,
        c.version,
        sources.join("/"),
        stats.incremental,
        stats.whole,
        stats.rows,
        stats.bytes
    );
    Ok(())
}

/// A table's size in the wire encoding (what a transfer of it costs).
fn wire_bytes(t: &Table) -> u64 {
    let mut out = Vec::new();
    let _ = value::wire::encode(&Value::table(t.clone()), &mut out);
    out.len() as u64
}

/// Drops local tablets the catalog doesn't list on this node.
fn collect_garbage(alias: &str, h: &Holder, snap: &Snapshot) {
    let state = &snap.state;
    let last = state.counters.last_cid;
    let _g = lock(&h.lock);
    if !h.store.prepared().is_empty() {
        return;
    }
    for t in h.store.tablets() {
        let keep = state.chunks.get(&t.chunk).is_some_and(|c| {
            c.tablets.contains_key(&t.table) && c.replicas.iter().any(|r| r.node == alias)
        });
        // A tablet committed after this catalog was read is newer than it knows.
        if keep || t.last_cid > last {
            continue;
        }
        match h.store.drop_tablet(&t.chunk, &t.table, last) {
            Ok(()) => tracing::info!(
                "dropped tablet {} of chunk {}: not in the catalog",
                t.table,
                t.chunk
            ),
            Err(e) => tracing::warn!(
                "dropping tablet {} of chunk {} failed: {e}",
                t.table,
                t.chunk
            ),
        }
    }
}

impl From<String> for Error {
    fn from(s: String) -> Error {
        Error(s)
    }
}
