//! A data or compute node's way to the cluster's DFS: the leader's catalog (cached by Raft log
//! index: a node asks with the index it has and gets the state only when it changed),
//! proposals, the two-phase commit of a write, and reads from replicas.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use script::dfs::ColumnSpec;
use script::dfs::Mapped;
use script::sql::map_task::MapTask;
use script::sql::pushdown::RowFilter;
use value::{Table, Value};

use crate::catalog::{ChunkMeta, MetaCommand, MetaResponse, State};
use crate::controller::{LEADER_SEARCH_PAUSE, PROPOSE};
use crate::raft::state::{Command, Reply};
use crate::raft::ControllerSite;
use crate::rpc::{from_blob, to_blob, CallOptions, Rpc, RpcError};
use crate::store::{Write, WriteKind};
use crate::{err, Error, Result};

use super::{
    ColumnWire, CreateChunks, Holder, MetaReply, PrepareHead, ReadRequest, WriteHead, ABORT,
    COMMIT, COMMIT_TIMEOUT, CREATE_CHUNKS, MAP, META, META_TIMEOUT, PREPARE, PREPARE_TIMEOUT, READ,
    READ_TIMEOUT, READ_WHERE,
};

thread_local! {
    /// The catalog of the DFS operation running on this thread (`Link::pinned`): None when no
    /// operation is pinned, Some(None) before its first read.
    static PINNED: std::cell::RefCell<Option<Option<Snapshot>>> =
        const { std::cell::RefCell::new(None) };
}

/// The catalog as of a Raft log index, with the leader's view of the data nodes.
#[derive(Clone)]
pub struct Snapshot {
    pub index: u64,
    pub state: Arc<State>,
    pub live: Arc<BTreeSet<String>>,
    pub sites: Arc<BTreeMap<String, String>>,
}

pub struct Link {
    rpc: Arc<Rpc>,
    controllers: Vec<ControllerSite>,
    handle: tokio::runtime::Handle,
    alias: String,
    /// This node's replicas (a data node); None on a compute node.
    local: Option<Arc<Holder>>,
    /// The leader's `host:port` as last seen.
    leader: Mutex<Option<String>>,
    cache: Mutex<Option<Snapshot>>,
    /// Set when the node stops: calls to the leader end at once.
    closing: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// An error from a replica or the leader, as scripts see it.
fn remote(e: RpcError) -> String {
    match e {
        RpcError::Remote(m) => m,
        e => e.to_string(),
    }
}

impl Link {
    pub fn new(
        rpc: Arc<Rpc>,
        controllers: Vec<ControllerSite>,
        handle: tokio::runtime::Handle,
        alias: String,
        local: Option<Arc<Holder>>,
    ) -> Link {
        Link {
            rpc,
            controllers,
            handle,
            alias,
            local,
            leader: Mutex::new(None),
            cache: Mutex::new(None),
            closing: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The node is stopping: calls to the leader fail at once from now on.
    pub fn close(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn alias(&self) -> &str {
        &self.alias
    }

    pub fn rpc(&self) -> &Arc<Rpc> {
        &self.rpc
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> Result<F::Output> {
        crate::rpc::block_on(&self.handle, f).map_err(Error)
    }

    /// Calls `function` on the leader: the last known one first, then the controllers in turn,
    /// following `<NotLeader>`. A call that may have run (timeout, broken connection) is not
    /// sent again unless `idempotent`.
    pub async fn leader_call(
        &self,
        function: &str,
        args: Vec<Value>,
        timeout: Duration,
        idempotent: bool,
    ) -> Result<Value> {
        if self.controllers.is_empty() {
            err!("<ControllerNotAvail>No controller is configured for this node");
        }
        let deadline = Instant::now() + timeout;
        let mut next = lock(&self.leader).clone();
        let mut turn = 0usize;
        let mut last_error = String::from("no controller answered");
        loop {
            if self.closing.load(std::sync::atomic::Ordering::SeqCst) {
                err!("The node is shutting down");
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                err!(
                    "<ControllerNotAvail>No controller leader answered within {} ms: {}",
                    timeout.as_millis(),
                    last_error
                );
            }
            let addr = match next.take() {
                Some(a) => a,
                None => {
                    let s = &self.controllers[turn % self.controllers.len()];
                    turn += 1;
                    if turn > 1 && turn % self.controllers.len() == 1 {
                        tokio::time::sleep(LEADER_SEARCH_PAUSE.min(left)).await;
                    }
                    s.addr()
                }
            };
            let opts = if idempotent {
                CallOptions::idempotent(left)
            } else {
                CallOptions::once(left)
            };
            match self.rpc.call(&addr, function, args.clone(), opts).await {
                Ok(v) => {
                    *lock(&self.leader) = Some(addr);
                    return Ok(v);
                }
                Err(RpcError::Remote(msg)) => {
                    if let Some(site) = msg.strip_prefix("<NotLeader>") {
                        if let Some(s) = ControllerSite::parse(site) {
                            next = Some(s.addr());
                        }
                        last_error = msg;
                    } else if msg.starts_with("<UnknownLeader>")
                        || msg.starts_with("Can't recognize function name")
                        || msg.starts_with("The controller is not running")
                        || msg.starts_with(crate::controller::NOT_ACCEPTED_NO_QUORUM)
                    {
                        // Not taken: a stale leader cut off from the majority refuses so while
                        // the majority elects another; ask the other controllers.
                        last_error = msg;
                    } else {
                        return Err(Error(msg));
                    }
                }
                Err(e @ RpcError::Unreachable(_)) => last_error = e.to_string(),
                Err(e) if idempotent => last_error = e.to_string(),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Runs one DFS operation with its catalog reads pinned: the first read asks the leader,
    /// later ones reuse that answer until the operation changes the catalog itself. An
    /// operation sees one catalog (and writes acknowledged on any node before it began) at the
    /// cost of one round trip instead of one per read.
    pub fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Unpin(bool);
        impl Drop for Unpin {
            fn drop(&mut self) {
                if self.0 {
                    PINNED.with(|p| *p.borrow_mut() = None);
                }
            }
        }
        let outer = PINNED.with(|p| {
            let mut p = p.borrow_mut();
            if p.is_none() {
                *p = Some(None);
                true
            } else {
                false
            }
        });
        let _unpin = Unpin(outer);
        f()
    }

    /// The pinned operation's next read asks the leader again (it changed the catalog).
    fn unpin_read(&self) {
        PINNED.with(|p| {
            if let Some(slot) = p.borrow_mut().as_mut() {
                *slot = None;
            }
        });
    }

    /// The leader's catalog now (one round trip; the state itself only when it changed).
    pub fn snapshot(&self) -> Result<Snapshot> {
        if let Some(Some(s)) = PINNED.with(|p| p.borrow().clone()) {
            return Ok(s);
        }
        let snap = self.fetch()?;
        PINNED.with(|p| {
            if let Some(slot) = p.borrow_mut().as_mut() {
                *slot = Some(snap.clone());
            }
        });
        Ok(snap)
    }

    fn fetch(&self) -> Result<Snapshot> {
        let known = lock(&self.cache).clone();
        let index = known.as_ref().map(|s| s.index).unwrap_or(0);
        let arg = to_blob(&index).map_err(Error)?;
        let v = self.block_on(self.leader_call(META, vec![arg], META_TIMEOUT, true))??;
        let reply: MetaReply = from_blob(Some(&v)).map_err(Error)?;
        let state = match (reply.state, known) {
            (Some(s), _) => Arc::new(s),
            (None, Some(k)) if k.index == reply.index => k.state,
            (None, _) => err!("The controller did not send the DFS metadata"),
        };
        let snap = Snapshot {
            index: reply.index,
            state,
            live: Arc::new(reply.live),
            sites: Arc::new(reply.sites),
        };
        *lock(&self.cache) = Some(snap.clone());
        Ok(snap)
    }

    /// The last catalog fetched (or a fresh one when there is none).
    pub fn cached(&self) -> Result<Snapshot> {
        match lock(&self.cache).clone() {
            Some(s) => Ok(s),
            None => self.snapshot(),
        }
    }

    pub fn state(&self) -> Result<Arc<State>> {
        Ok(self.snapshot()?.state)
    }

    /// Applies a metadata change through the leader. New chunks go to the leader's placement.
    pub fn propose(&self, cmd: &MetaCommand) -> Result<MetaResponse> {
        if let MetaCommand::CreateChunks { db, chunks } = cmd {
            let arg = to_blob(&CreateChunks {
                db: db.clone(),
                chunks: chunks.clone(),
            })
            .map_err(Error)?;
            self.unpin_read();
            let v =
                self.block_on(self.leader_call(CREATE_CHUNKS, vec![arg], META_TIMEOUT, false))??;
            return from_blob(Some(&v)).map_err(Error);
        }
        self.propose_command(Command::Meta(cmd.clone()))
    }

    fn propose_command(&self, cmd: Command) -> Result<MetaResponse> {
        self.unpin_read();
        let arg = to_blob(&cmd).map_err(Error)?;
        let v = self.block_on(self.leader_call(PROPOSE, vec![arg], META_TIMEOUT, false))??;
        match from_blob::<Reply>(Some(&v)).map_err(Error)? {
            Reply::Meta(r) => Ok(r),
            other => err!("Unexpected answer from the controller: {:?}", other),
        }
    }

    /// Calls `function` on the data node `node` (or this node's holder when it is this node).
    async fn replica_call(
        &self,
        sites: &BTreeMap<String, String>,
        node: &str,
        function: &str,
        args: Vec<Value>,
        timeout: Duration,
    ) -> std::result::Result<Value, String> {
        let Some(addr) = sites.get(node) else {
            return Err(format!(
                "<DataNodeNotAvail>The data node [{node}] is not in the cluster"
            ));
        };
        self.rpc
            .call(addr, function, args, CallOptions::once(timeout))
            .await
            .map_err(remote)
    }

    /// Writes one transaction by two-phase commit (see the module doc of `replica`).
    pub fn commit(&self, writes: Vec<Write>) -> Result<()> {
        let snap = self.snapshot()?;
        let state = &snap.state;
        // Which replicas take part: up to date, and live as the leader sees them.
        let mut parts: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut by_node: BTreeMap<String, Vec<Write>> = BTreeMap::new();
        // Tablets this write read or creates, at the version it saw: the commit is refused if
        // another node's transaction changed one meanwhile (`CHANGED`).
        let mut expect = Vec::new();
        for mut w in writes {
            let Some(c) = state.chunks.get(&w.chunk) else {
                err!("The chunk {} doesn't exist", w.chunk);
            };
            match c.tablets.get(&w.table) {
                // A tablet the catalog doesn't list starts from nothing: a Replace, so rows a
                // replica still holds from before a truncate or drop never show; and two
                // nodes creating it at once must not both do so.
                None => {
                    w.kind = WriteKind::Replace;
                    expect.push((w.chunk.clone(), w.table.clone(), 0));
                }
                // Update, delete, upsert: the new content came from this version.
                Some(t) if w.kind == WriteKind::Replace => {
                    expect.push((w.chunk.clone(), w.table.clone(), t.version));
                }
                // An append: the tablet must still be there (not truncated meanwhile; then the
                // retry writes it anew).
                Some(_) => expect.push((
                    w.chunk.clone(),
                    w.table.clone(),
                    crate::catalog::TABLET_EXISTS,
                )),
            }
            let nodes = participants(c, &snap.live);
            if nodes.is_empty() {
                err!(
                    "<DataNodeNotAvail>No live up-to-date replica of the partition [{}{}] (chunk {}); replicas: {}",
                    db_dir(&c.db),
                    c.partition,
                    c.id,
                    describe_replicas(c, &snap.live)
                );
            }
            for n in &nodes {
                by_node.entry(n.clone()).or_default().push(w.clone());
            }
            parts.insert(w.chunk.clone(), nodes);
        }
        let tablets: Vec<(String, String)> = by_node
            .values()
            .flatten()
            .map(|w| (w.chunk.clone(), w.table.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let tid = new_tid();
        // Phase one.
        let prepared = self.block_on(self.prepare_all(tid, by_node, &snap.sites))?;
        let mut ok = Vec::new();
        let mut unreachable = BTreeSet::new();
        let mut failed = None;
        for (node, r) in prepared {
            match r {
                Ok(()) => ok.push(node),
                // Nothing was sent: the node is down though the leader doesn't know yet. It
                // takes no part, as a node the leader knows is down.
                Err(Failure::Unreachable(e)) => {
                    tracing::info!(
                        "replica {node} is unreachable, left out of transaction {tid}: {e}"
                    );
                    unreachable.insert(node);
                }
                Err(Failure::Failed(e)) => {
                    failed.get_or_insert((node, e));
                }
            }
        }
        if failed.is_none() {
            for (chunk, nodes) in parts.iter_mut() {
                nodes.retain(|n| !unreachable.contains(n));
                if nodes.is_empty() {
                    failed = Some((
                        unreachable.iter().cloned().collect::<Vec<_>>().join(","),
                        format!("<DataNodeNotAvail>no replica of chunk {chunk} is reachable"),
                    ));
                    break;
                }
            }
        }
        if let Some((node, e)) = failed {
            self.abort(tid, &ok, &snap.sites);
            err!(
                "The transaction {} was aborted: the replica on data node [{}] could not prepare it: {}",
                tid,
                node,
                e
            );
        }
        // The commit point: the CID through Raft.
        let replicas = parts.into_iter().collect();
        let cid = match self.propose_command(Command::Meta(MetaCommand::CommitTxn {
            tid,
            tablets,
            replicas,
            expect,
        })) {
            Ok(MetaResponse::Cid(c)) => c,
            Ok(other) => err!("Unexpected answer to CommitTxn: {:?}", other),
            // Refused by the catalog: nothing committed.
            Err(e) if e.0.contains("was aborted") || e.0.contains(CHANGED) => {
                self.abort(tid, &ok, &snap.sites);
                return Err(e);
            }
            // Maybe committed: the replicas resolve it with the leader (in doubt).
            Err(e) => err!(
                "The transaction {} is in doubt: the controller did not confirm its commit: {}",
                tid,
                e
            ),
        };
        // Phase two; a replica that misses it resolves the transaction with the leader.
        let _ = self.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for node in ok {
                let args = vec![Value::long(tid as i64), Value::long(cid as i64)];
                let (link_local, me) = (self.local.clone(), node == self.alias);
                let addr = snap.sites.get(&node).cloned();
                let rpc = self.rpc.clone();
                set.spawn(async move {
                    let r = match (me, link_local) {
                        (true, Some(h)) => tokio::task::spawn_blocking(move || h.commit(tid, cid))
                            .await
                            .map_err(|e| e.to_string())
                            .and_then(|r| r.map_err(|e| e.0)),
                        _ => match addr {
                            Some(a) => rpc
                                .call(&a, COMMIT, args, CallOptions::once(COMMIT_TIMEOUT))
                                .await
                                .map(|_| ())
                                .map_err(remote),
                            None => Err("unknown data node".into()),
                        },
                    };
                    if let Err(e) = r {
                        tracing::warn!("replica {node} did not commit transaction {tid}: {e}");
                    }
                });
            }
            while set.join_next().await.is_some() {}
        });
        Ok(())
    }

    async fn prepare_all(
        &self,
        tid: u64,
        by_node: BTreeMap<String, Vec<Write>>,
        sites: &BTreeMap<String, String>,
    ) -> Vec<(String, std::result::Result<(), Failure>)> {
        let mut set = tokio::task::JoinSet::new();
        for (node, writes) in by_node {
            if node == self.alias {
                if let Some(h) = self.local.clone() {
                    set.spawn(async move {
                        let r = tokio::task::spawn_blocking(move || h.prepare(tid, writes))
                            .await
                            .map_err(|e| e.to_string())
                            .and_then(|r| r.map_err(|e| e.0))
                            .map_err(Failure::Failed);
                        (node, r)
                    });
                    continue;
                }
            }
            let head = PrepareHead {
                tid,
                writes: writes.iter().map(WriteHead::of).collect(),
            };
            let mut args = match to_blob(&head) {
                Ok(b) => vec![b],
                Err(e) => {
                    set.spawn(async move { (node, Err(Failure::Failed(e))) });
                    continue;
                }
            };
            args.extend(writes.into_iter().map(|w| Value::table(w.rows)));
            let addr = sites.get(&node).cloned();
            let rpc = self.rpc.clone();
            set.spawn(async move {
                let r = match addr {
                    Some(a) => rpc
                        .call(&a, PREPARE, args, CallOptions::once(PREPARE_TIMEOUT))
                        .await
                        .map(|_| ())
                        .map_err(|e| match e {
                            RpcError::Unreachable(m) => Failure::Unreachable(m),
                            e => Failure::Failed(remote(e)),
                        }),
                    None => Err(Failure::Failed(format!(
                        "The data node [{node}] is not in the cluster"
                    ))),
                };
                (node, r)
            });
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            match r {
                Ok(x) => out.push(x),
                Err(e) => out.push((String::from("?"), Err(Failure::Failed(e.to_string())))),
            }
        }
        out
    }

    /// Aborts a transaction: on the replicas that prepared it, and in the catalog (so a
    /// replica in doubt learns it). Best effort: what fails here is resolved in doubt later.
    fn abort(&self, tid: u64, nodes: &[String], sites: &BTreeMap<String, String>) {
        for node in nodes {
            let r = if *node == self.alias && self.local.is_some() {
                self.local
                    .as_ref()
                    .map(|h| h.abort(tid).map_err(|e| e.0))
                    .unwrap_or(Ok(()))
            } else {
                self.block_on(self.replica_call(
                    sites,
                    node,
                    ABORT,
                    vec![Value::long(tid as i64)],
                    COMMIT_TIMEOUT,
                ))
                .map_err(|e| e.0)
                .and_then(|r| r.map(|_| ()))
            };
            if let Err(e) = r {
                tracing::warn!("replica {node} did not abort transaction {tid}: {e}");
            }
        }
        if let Err(e) = self.propose_command(Command::Meta(MetaCommand::AbortTxn { tid })) {
            tracing::warn!("the controller did not record the abort of transaction {tid}: {e}");
        }
    }

    /// A tablet's rows at snapshot `cid` from a replica holding its latest version: this node
    /// first, then the live ones; the next replica when one fails. A remote replica applies
    /// `filter` first (this node's own replica doesn't: nothing to save, the caller filters).
    pub fn read(
        &self,
        chunk: &str,
        table: &str,
        cid: u64,
        columns: &[ColumnSpec],
        filter: Option<&RowFilter>,
    ) -> Result<Table> {
        match self.read_or_map(chunk, table, cid, columns, filter, None)? {
            Mapped::Rows(t) => Ok(t),
            Mapped::Partials(_) => err!("A plain read gave partial aggregates"),
        }
    }

    /// `read`, where a remote replica runs `task` (the map step of a partial-aggregate query)
    /// over its rows and answers one row per group. This node's own replica, a replica that
    /// can't run the task, and a tablet not written yet give rows.
    pub fn read_or_map(
        &self,
        chunk: &str,
        table: &str,
        cid: u64,
        columns: &[ColumnSpec],
        filter: Option<&RowFilter>,
        task: Option<&MapTask>,
    ) -> Result<Mapped> {
        let mut snap = self.cached()?;
        if !snap.state.chunks.contains_key(chunk) {
            snap = self.snapshot()?;
        }
        let Some(c) = snap.state.chunks.get(chunk) else {
            err!("The chunk {} doesn't exist", chunk);
        };
        let Some(tab) = c.tablets.get(table) else {
            // Not written yet: no rows.
            return Ok(Mapped::Rows(crate::store::empty_tablet(columns)));
        };
        let req = ReadRequest {
            chunk: chunk.to_string(),
            table: table.to_string(),
            cid,
            expect_cid: tab.last_cid.min(cid),
            columns: columns.iter().map(ColumnWire::of).collect(),
        };
        let mut order: Vec<&str> = c
            .replicas
            .iter()
            .filter(|r| r.version == c.version)
            .map(|r| r.node.as_str())
            .collect();
        // This node first, then live nodes, then the others (the leader may not know yet).
        order.sort_by_key(|n| (*n != self.alias, !snap.live.contains(*n)));
        if order.is_empty() {
            err!(
                "<DataNodeNotAvail>No up-to-date replica of the partition [{}{}] (chunk {}); replicas: {}",
                db_dir(&c.db),
                c.partition,
                c.id,
                describe_replicas(c, &snap.live)
            );
        }
        let mut errors = Vec::new();
        for node in order {
            let r = if node == self.alias && self.local.is_some() {
                self.local
                    .as_ref()
                    .map(|h| h.read(&req).map(Mapped::Rows).map_err(|e| e.0))
                    .unwrap_or_else(|| Err("no local replica".into()))
            } else if let Some(task) = task {
                self.map_remote(&snap.sites, node, &req, filter, task)
            } else {
                self.read_remote_where(&snap.sites, node, &req, filter)
                    .map(Mapped::Rows)
            };
            match r {
                Ok(t) => return Ok(t),
                Err(e) => errors.push(format!("{node}: {e}")),
            }
        }
        err!(
            "<DataNodeNotAvail>No replica of the partition [{}{}] could be read: {}",
            db_dir(&c.db),
            c.partition,
            errors.join("; ")
        )
    }

    /// `MAP` on a remote replica; its rows (filtered) when it can't run the task.
    fn map_remote(
        &self,
        sites: &BTreeMap<String, String>,
        node: &str,
        req: &ReadRequest,
        filter: Option<&RowFilter>,
        task: &MapTask,
    ) -> std::result::Result<Mapped, String> {
        let mut args = vec![to_blob(req)?, to_blob(task)?];
        args.extend(task.constants.iter().cloned());
        let answer = self
            .block_on(self.replica_call(sites, node, MAP, args, READ_TIMEOUT))
            .map_err(|e| e.0)?;
        let why = match answer {
            Ok(Value::Table(t)) => return Ok(Mapped::Partials(Arc::unwrap_or_clone(t))),
            Ok(v) => v
                .as_str()
                .unwrap_or("an answer of the wrong form")
                .to_string(),
            // A replica of an older version doesn't know the map step.
            Err(e) if e.contains("Can't recognize function name") => e,
            Err(e) => return Err(e),
        };
        tracing::debug!(
            "replica {node} did not run a map step on chunk {}: {why}",
            req.chunk
        );
        self.read_remote_where(sites, node, req, filter)
            .map(Mapped::Rows)
    }

    fn read_remote(
        &self,
        sites: &BTreeMap<String, String>,
        node: &str,
        req: &ReadRequest,
    ) -> std::result::Result<Table, String> {
        self.read_remote_where(sites, node, req, None)
    }

    /// `READ`, or `READ_WHERE` with a filter.
    fn read_remote_where(
        &self,
        sites: &BTreeMap<String, String>,
        node: &str,
        req: &ReadRequest,
        filter: Option<&RowFilter>,
    ) -> std::result::Result<Table, String> {
        let mut args = vec![to_blob(req)?];
        let call = match filter {
            Some(f) => {
                args.push(to_blob(&f.conds)?);
                args.extend(f.constants.iter().cloned());
                READ_WHERE
            }
            None => READ,
        };
        let answer = self
            .block_on(self.replica_call(sites, node, call, args, READ_TIMEOUT))
            .map_err(|e| e.0)?;
        let v = match answer {
            // A replica of an older version doesn't know filtered reads: read it unfiltered
            // (the entry node applies the whole `where` clause anyway).
            Err(e) if filter.is_some() && e.contains("Can't recognize function name") => {
                return self.read_remote_where(sites, node, req, None);
            }
            other => other?,
        };
        match v {
            Value::Table(t) => Ok((*t).clone()),
            _ => Err("The replica did not answer a table".into()),
        }
    }

    /// Proposes a replica's version (after recovery).
    pub fn set_replica_version(&self, chunk: &str, version: u32) -> Result<()> {
        self.propose_command(Command::Meta(MetaCommand::SetReplicaVersion {
            chunk: chunk.to_string(),
            node: self.alias.clone(),
            version,
        }))
        .map(|_| ())
    }

    /// The catalog's outcome of transactions (those it has one for).
    pub fn outcomes(&self, tids: &[u64]) -> Result<BTreeMap<u64, crate::catalog::TxnState>> {
        let arg = to_blob(&tids).map_err(Error)?;
        let v = self.block_on(self.leader_call(super::TXNS, vec![arg], META_TIMEOUT, true))??;
        from_blob(Some(&v)).map_err(Error)
    }

    /// Proposes an abort of a transaction this node holds in doubt.
    pub fn abort_in_doubt(&self, tid: u64) -> Result<()> {
        self.propose_command(Command::Meta(MetaCommand::AbortTxn { tid }))
            .map(|_| ())
    }

    /// What this stale replica lacks of a tablet, from `node` (incremental recovery): the
    /// rows committed since the request's `after`, or None when only a whole copy will do.
    pub fn delta_from(
        &self,
        sites: &BTreeMap<String, String>,
        node: &str,
        req: &super::DeltaRequest,
    ) -> Result<Option<Table>> {
        let arg = to_blob(req).map_err(Error)?;
        let v = self
            .block_on(self.replica_call(sites, node, super::DELTA, vec![arg], READ_TIMEOUT))?
            .map_err(Error)?;
        match v {
            Value::Table(t) => Ok(Some((*t).clone())),
            _ => Ok(None),
        }
    }

    /// Reads a whole tablet from `node` for recovery.
    pub fn copy_from(
        &self,
        sites: &BTreeMap<String, String>,
        node: &str,
        req: &ReadRequest,
    ) -> Result<Table> {
        self.read_remote(sites, node, req).map_err(Error)
    }
}

/// A transaction id for a write: random (63 bits), picked by the entry node without asking the
/// controller. Two writes drawing the same one fail safely (a replica refuses a second prepare
/// of a TID, the catalog a second commit).
fn new_tid() -> u64 {
    let r = uuid::Uuid::new_v4().as_u64_pair().0 & (i64::MAX as u64);
    r.max(1)
}

/// What a refused commit says when another transaction changed a tablet it read or creates
/// (`MetaCommand::CommitTxn::expect`); an append retries on it.
pub const CHANGED: &str = "was changed by another transaction";

/// Why a replica did not prepare.
enum Failure {
    /// Nothing reached it (refused, no route, connect timeout).
    Unreachable(String),
    /// It answered an error, or the call broke or timed out after sending.
    Failed(String),
}

/// The replicas a write goes to: up to date and live.
fn participants(c: &ChunkMeta, live: &BTreeSet<String>) -> Vec<String> {
    c.replicas
        .iter()
        .filter(|r| r.version == c.version && live.contains(&r.node))
        .map(|r| r.node.clone())
        .collect()
}

fn describe_replicas(c: &ChunkMeta, live: &BTreeSet<String>) -> String {
    let v: Vec<String> = c
        .replicas
        .iter()
        .map(|r| {
            format!(
                "{} (version {} of {}, {})",
                r.node,
                r.version,
                c.version,
                if live.contains(&r.node) { "up" } else { "down" }
            )
        })
        .collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// `/name` for `dfs://name`.
pub(crate) fn db_dir(path: &str) -> String {
    format!("/{}", path.trim_start_matches("dfs://"))
}
