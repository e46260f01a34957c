//! The replicated DFS of a cluster (issue 5): metadata in the controllers' Raft state, chunks on
//! `dfsReplicationFactor` data nodes, writes by two-phase commit, reads from any live replica.
//!
//! - `link`: a data or compute node's side. `LocalDfs` (crate::dfs) keeps partitioning rows,
//!   planning scans and the map/reduce, and hands metadata reads and changes, transactions and
//!   partition reads to `Link`.
//! - `holder`: a data node's replicas: prepare/commit/abort/read calls from entry nodes, and a
//!   background round that resolves transactions in doubt, recovers stale replicas from an
//!   up-to-date one, and drops tablets the catalog no longer lists.
//! - `leader`: the controller's calls: the catalog for nodes (`__cluster_dfs_meta`), chunk
//!   placement on live data nodes, `getClusterChunksStatus`.
//!
//! The contract (docs/controller.md, "Replicated DFS"): a write picks a random TID, prepares
//! its rows on every up-to-date replica of each chunk it touches whose
//! node is live, commits through Raft (`CommitTxn`: the next CID, tablet versions, and the
//! replicas that prepared recorded at the chunk's new version), then tells the replicas to
//! commit. A live replica that can't prepare aborts the write; a replica whose node is down
//! takes no part and is left behind in version, to be recovered when it is back.

pub mod holder;
pub mod leader;
pub mod link;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use script::dfs::ColumnSpec;
use serde::{Deserialize, Serialize};
use value::DataType;

use crate::catalog::{NewChunk, State};
use crate::store::{TabletSchema, Write, WriteKind};

pub use holder::Holder;
pub use link::Link;

/// The catalog for a node: `MetaReply` for the index the node already has.
pub const META: &str = "__cluster_dfs_meta";
/// Chunks for new partitions, placed by the leader on live data nodes.
pub const CREATE_CHUNKS: &str = "__cluster_dfs_create_chunks";
/// The catalog's outcome of the transactions a replica holds in doubt.
pub const TXNS: &str = "__cluster_dfs_txns";
/// `getClusterChunksStatus` on the leader.
pub const CHUNKS_STATUS: &str = "__cluster_dfs_chunks_status";
/// Replica calls on a data node.
pub const PREPARE: &str = "__cluster_dfs_chunk_prepare";
pub const COMMIT: &str = "__cluster_dfs_chunk_commit";
pub const ABORT: &str = "__cluster_dfs_chunk_abort";
pub const READ: &str = "__cluster_dfs_chunk_read";
/// `READ` with `where` conditions the replica applies first: (request, conditions, the
/// conditions' constants...). Only the rows that can match cross the network.
pub const READ_WHERE: &str = "__cluster_dfs_chunk_read_where";
/// The map step of a partial-aggregate query over a tablet (`script::sql::map_task`):
/// (request, task, the task's constants...). Answers the partial states as a table, or a
/// string saying why the task can't run there (the entry node then reads the rows).
pub const MAP: &str = "__cluster_dfs_chunk_map";
/// What a stale replica lacks of a tablet (incremental recovery).
pub const DELTA: &str = "__cluster_dfs_chunk_delta";

/// Bound on a metadata call to the leader (catalog, placement, a proposal).
pub const META_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on preparing one replica's rows.
pub const PREPARE_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound on a replica's commit or abort.
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on reading one tablet from a replica.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a replica waits for a commit the catalog already has (its commit call still on the
/// way) before answering that it is behind.
pub const CATCH_UP_WAIT: Duration = Duration::from_secs(3);
/// The data node's background round (transactions in doubt, recovery, garbage).
pub const ROUND_INTERVAL: Duration = Duration::from_secs(1);
/// A transaction still pending in the catalog this long after a replica found it in doubt is
/// aborted by that replica (its coordinator is gone).
pub const IN_DOUBT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the leader answers to `META`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MetaReply {
    /// The Raft log index the state is at.
    pub index: u64,
    /// The catalog; None when the caller already has `index`.
    pub state: Option<State>,
    /// Data nodes the leader hears from.
    pub live: BTreeSet<String>,
    /// `host:port` of every data node, by alias.
    pub sites: BTreeMap<String, String>,
}

/// `CREATE_CHUNKS`'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CreateChunks {
    pub db: String,
    pub chunks: Vec<NewChunk>,
}

/// A column definition on the wire.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ColumnWire {
    pub name: String,
    pub ty: u8,
    pub scale: u8,
    pub array: bool,
    pub compress: String,
}

impl ColumnWire {
    pub fn of(c: &ColumnSpec) -> ColumnWire {
        ColumnWire {
            name: c.name.clone(),
            ty: c.ty.code(),
            scale: c.scale,
            array: c.array,
            compress: c.compress.clone(),
        }
    }

    pub fn spec(&self) -> ColumnSpec {
        ColumnSpec {
            name: self.name.clone(),
            ty: DataType::from_code(self.ty).unwrap_or(DataType::Int),
            scale: self.scale,
            array: self.array,
            compress: self.compress.clone(),
        }
    }
}

/// One tablet write of a prepare, without its rows (they follow as table arguments).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WriteHead {
    pub replace: bool,
    pub chunk: String,
    pub table: String,
    pub columns: Vec<ColumnWire>,
    pub tsdb: bool,
    pub sort_columns: Vec<String>,
    pub keep_duplicates: String,
}

impl WriteHead {
    pub fn of(w: &Write) -> WriteHead {
        WriteHead {
            replace: w.kind == WriteKind::Replace,
            chunk: w.chunk.clone(),
            table: w.table.clone(),
            columns: w.schema.columns.iter().map(ColumnWire::of).collect(),
            tsdb: w.schema.tsdb,
            sort_columns: w.schema.sort_columns.clone(),
            keep_duplicates: w.schema.keep_duplicates.clone(),
        }
    }

    pub fn write(self, rows: value::Table) -> Write {
        Write {
            kind: if self.replace {
                WriteKind::Replace
            } else {
                WriteKind::Append
            },
            chunk: self.chunk,
            table: self.table,
            schema: TabletSchema {
                columns: self.columns.iter().map(ColumnWire::spec).collect(),
                tsdb: self.tsdb,
                sort_columns: self.sort_columns,
                keep_duplicates: self.keep_duplicates,
            },
            rows,
        }
    }
}

/// `PREPARE`'s first argument; the rows of each write follow, one table each.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrepareHead {
    pub tid: u64,
    pub writes: Vec<WriteHead>,
}

/// `READ`'s argument: a tablet at snapshot `cid`, from a replica that has applied the tablet's
/// commits up to `expect_cid`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReadRequest {
    pub chunk: String,
    pub table: String,
    pub cid: u64,
    pub expect_cid: u64,
    pub columns: Vec<ColumnWire>,
}

/// `DELTA`'s argument: what a stale replica holding the tablet's commits up to `after`
/// (`rows_at_after` rows visible then) lacks of the tablet at `read.cid`. The answer is the
/// rows committed in `(after, read.cid]`, or false when the histories diverged (a Replace
/// since `after`, or another row count at `after`) and only a whole copy (`READ`) will do.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeltaRequest {
    pub read: ReadRequest,
    pub after: u64,
    pub rows_at_after: u64,
}

/// A cluster node's DFS, opened by `open_node`.
pub struct NodeDfs {
    pub dfs: std::sync::Arc<crate::dfs::LocalDfs>,
    pub link: std::sync::Arc<Link>,
    /// This node's replicas (a data node).
    pub holder: Option<std::sync::Arc<Holder>>,
    stop: tokio::sync::watch::Sender<bool>,
    rounds: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl NodeDfs {
    /// Stops the background round (waiting up to 2 s for one in progress) and ends calls to
    /// the leader; then the store can be flushed.
    pub async fn shutdown(&self) {
        self.link.close();
        let _ = self.stop.send(true);
        let rounds = self.rounds.lock().ok().and_then(|mut r| r.take());
        if let Some(r) = rounds {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), r).await;
        }
    }
}

/// Opens a data node's (`store_dir` Some: its chunk store, replaying the redo log) or a compute
/// node's (None: stores nothing) DFS, serves the replica calls on `rpc`, starts the data node's
/// background round, and forwards `getClusterChunksStatus` to the leader. Runs inside the
/// tokio runtime.
pub fn open_node(
    store_dir: Option<&std::path::Path>,
    cfg: crate::dfs::DfsConfig,
    store_cfg: storage::StoreConfig,
    rpc: std::sync::Arc<crate::rpc::Rpc>,
    controllers: Vec<crate::raft::ControllerSite>,
    alias: String,
) -> crate::Result<NodeDfs> {
    use std::sync::Arc;
    let holder = match store_dir {
        Some(dir) => {
            set_aside_local_dfs(dir)?;
            let store = storage::ChunkStore::open(dir, store_cfg)?;
            let h = Arc::new(Holder::new(Arc::new(store)));
            holder::register(&rpc, &h);
            Some(h)
        }
        None => None,
    };
    let handle = tokio::runtime::Handle::current();
    let link = Arc::new(Link::new(
        rpc.clone(),
        controllers,
        handle.clone(),
        alias,
        holder.clone(),
    ));
    let store: Arc<dyn crate::store::Store> = match &holder {
        Some(h) => h.store().clone(),
        None => Arc::new(crate::store::MemStore::default()),
    };
    let dfs = Arc::new(crate::dfs::LocalDfs::cluster(link.clone(), store, cfg));
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let rounds = holder
        .as_ref()
        .map(|h| holder::spawn_rounds(&link, h, stop_rx));
    let l = Arc::downgrade(&link);
    rpc.register_function("getClusterChunksStatus", move |_| {
        let link = l.upgrade().ok_or("The node is shutting down")?;
        let call = link.leader_call(CHUNKS_STATUS, vec![], META_TIMEOUT, true);
        crate::rpc::block_on(&handle, call)?.map_err(|e| e.0)
    });
    Ok(NodeDfs {
        dfs,
        link,
        holder,
        stop,
        rounds: std::sync::Mutex::new(rounds),
    })
}

/// A data node that ran with a DFS of its own (its catalog in `<alias>/dfsMeta`, before the
/// cluster's catalog): that data is in no cluster catalog, and the background round would drop
/// it. It is moved aside to `<alias>/local-dfs-<unix seconds>/` instead, with a warning.
fn set_aside_local_dfs(store_dir: &std::path::Path) -> crate::Result<()> {
    let Some(home) = store_dir.parent() else {
        return Ok(());
    };
    let meta = home.join("dfsMeta");
    if !meta.join("catalog.redb").is_file() {
        return Ok(());
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let aside = home.join(format!("local-dfs-{secs}"));
    let io = |e: std::io::Error| {
        crate::Error(format!(
            "Can't move the node's own DFS aside to {}: {e}",
            aside.display()
        ))
    };
    std::fs::create_dir_all(&aside).map_err(io)?;
    std::fs::rename(&meta, aside.join("dfsMeta")).map_err(io)?;
    if store_dir.exists() {
        std::fs::rename(store_dir, aside.join("storage")).map_err(io)?;
    }
    tracing::warn!(
        "this data node had a DFS of its own (not the cluster's); moved it to {}",
        aside.display()
    );
    Ok(())
}
