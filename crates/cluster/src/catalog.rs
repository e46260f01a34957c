//! The DFS metadata: databases, tables, partitions -> chunks, chunk and tablet versions, and the
//! TID/CID counters, as a deterministic state machine persisted with redb.
//!
//! `State::apply` is pure: it validates a command against the state, changes the state only
//! when the command is valid, and reports which entities it touched. `Catalog` wraps it with
//! redb: every applied command's touched entities are written in one redb transaction, durable
//! before `apply` returns. The cluster later puts the same `MetaCommand`s through a Raft log.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use redb::{Database as Redb, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

/// Longest database path or table name the catalog accepts.
pub const NAME_BYTES_MAX: usize = 1024;

/// Catalog errors: DolphinDB's wording for what users see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(pub String);

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CatalogError {}

pub type Result<T> = std::result::Result<T, CatalogError>;

macro_rules! fail {
    ($($arg:tt)*) => { return Err(CatalogError(format!($($arg)*))) };
}

/// One column of a table. `ty` is DolphinDB's type code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMeta {
    pub name: String,
    pub ty: u8,
    #[serde(default)]
    pub scale: u8,
    #[serde(default)]
    pub array: bool,
    #[serde(default)]
    pub compress: String,
}

/// One partition level: DolphinDB's partition type code and the current scheme, as the wire
/// encoding of the scheme value (VALUE levels grow as partitions are added).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelMeta {
    pub ptype: i32,
    pub scheme: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMeta {
    pub name: String,
    /// Stable id: the tablet name in the chunk store, unchanged by `renameTable`.
    pub id: String,
    pub columns: Vec<ColumnMeta>,
    /// Empty for a dimension table.
    pub partition_columns: Vec<String>,
    #[serde(default)]
    pub sort_columns: Vec<String>,
    #[serde(default)]
    pub keep_duplicates: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseMeta {
    pub path: String,
    pub levels: Vec<LevelMeta>,
    pub engine: String,
    pub atomic: String,
    pub chunk_granularity: String,
    pub tables: BTreeMap<String, TableMeta>,
    /// Partition path (`/20220101/Key3`, `/` for a dimension table's only partition) -> chunk.
    pub partitions: BTreeMap<String, String>,
}

/// A tablet's committed state: its version (+1 per commit) and the last CID that wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabletMeta {
    pub version: u32,
    pub last_cid: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkMeta {
    pub id: String,
    pub db: String,
    /// The partition path.
    pub partition: String,
    /// The partition: one index per level (empty for a dimension table's chunk).
    #[serde(default)]
    pub keys: Vec<u32>,
    /// +1 per committed transaction touching the chunk.
    pub version: u32,
    /// Table id -> tablet.
    pub tablets: BTreeMap<String, TabletMeta>,
    /// The data nodes holding the chunk, in placement order (empty on a single node).
    #[serde(default)]
    pub replicas: Vec<ReplicaMeta>,
}

/// One replica of a chunk: the data node (alias) and the chunk version it last reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaMeta {
    pub node: String,
    pub version: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub last_tid: u64,
    pub last_cid: u64,
    pub last_table_id: u64,
}

/// A chunk for a new partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewChunk {
    pub path: String,
    pub id: String,
    pub keys: Vec<u32>,
    /// The data nodes to hold it (`placement`); empty on a single node.
    #[serde(default)]
    pub replicas: Vec<String>,
}

/// A change to the metadata. Serializable: the Raft log entry of the controller later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetaCommand {
    CreateDatabase {
        path: String,
        levels: Vec<LevelMeta>,
        engine: String,
        atomic: String,
        chunk_granularity: String,
    },
    DropDatabase {
        path: String,
    },
    /// Replaces one level's scheme (new VALUE partitions, `addRangePartitions`).
    SetScheme {
        db: String,
        level: usize,
        scheme: Vec<u8>,
    },
    /// Creates a table; its id is assigned from the counters.
    CreateTable {
        db: String,
        table: TableMeta,
    },
    DropTable {
        db: String,
        name: String,
    },
    RenameTable {
        db: String,
        old: String,
        new: String,
    },
    AddColumns {
        db: String,
        table: String,
        columns: Vec<ColumnMeta>,
    },
    /// Registers chunks for new partitions, before any data is written to them (the intent).
    CreateChunks {
        db: String,
        chunks: Vec<NewChunk>,
    },
    /// Records a committed transaction: the tablets it wrote (chunk id, table id).
    Commit {
        tid: u64,
        cid: u64,
        tablets: Vec<(String, String)>,
    },
    /// A replica's chunk version (what the data node holds after a commit, or after recovery).
    SetReplicaVersion {
        chunk: String,
        node: String,
        version: u32,
    },
    /// Forgets tablets (truncate, dropPartition): of one table (by name), or of every table
    /// when `table` is None; `partitions` empty means every partition.
    DropTablets {
        db: String,
        table: Option<String>,
        partitions: Vec<String>,
    },
    /// `SetScheme` only when the level's scheme is still `expect` (writers on different nodes
    /// adding VALUE partitions at once: the loser re-reads and retries).
    SetSchemeIf {
        db: String,
        level: usize,
        expect: Vec<u8>,
        scheme: Vec<u8>,
    },
    /// Cluster: starts a transaction; answers its TID (`MetaResponse::Tid`). Optional: entry
    /// nodes pick random TIDs themselves, saving a Raft round per write.
    BeginTxn,
    /// Cluster: commits a begun transaction at the next CID (`MetaResponse::Cid`): tablet
    /// versions +1 as `Commit`, and the replicas that prepared it (chunk id, data nodes) are
    /// recorded at the chunk's new version. Refused when the transaction was aborted, or when a
    /// tablet of `expect` (chunk id, table id, version; 0 = not written yet, `TABLET_EXISTS` =
    /// any version) is not at that version any more: another node's transaction changed it
    /// (or truncated it) since this one read it.
    CommitTxn {
        tid: u64,
        tablets: Vec<(String, String)>,
        replicas: Vec<(String, Vec<String>)>,
        #[serde(default)]
        expect: Vec<(String, String, u32)>,
    },
    /// Cluster: aborts a begun transaction (its coordinator gave up, or a replica holding it
    /// in doubt resolved it). Refused when it committed.
    AbortTxn {
        tid: u64,
    },
    /// Cluster (`dfsRecoveryWaitTime`): the replica on `from` (down too long) is replaced by
    /// one on `to`, at version 0: `to` recovers it from an up-to-date replica.
    MoveReplica {
        chunk: String,
        from: String,
        to: String,
    },
}

/// `CommitTxn::expect`'s version for "the tablet exists, at any version" (an append).
pub const TABLET_EXISTS: u32 = u32::MAX;

/// A cluster transaction's outcome, as replicas in doubt ask for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnState {
    Pending,
    Committed(u64),
    Aborted,
}

/// Finished transactions the state remembers (for replicas in doubt); older ones are
/// forgotten, and a replica still in doubt about one of those aborts it.
pub const TXNS_KEPT: usize = 65_536;

/// What an applied command answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetaResponse {
    Done,
    /// The id given to a new table.
    TableId(String),
    /// Tablets the command removed from the metadata (chunk id, table id): their data is now
    /// garbage for the store to drop.
    Removed(Vec<(String, String)>),
    /// `BeginTxn`'s transaction id.
    Tid(u64),
    /// `CommitTxn`'s commit id.
    Cid(u64),
}

/// An entity `apply` touched, to persist.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Dirty {
    Database(String),
    Chunk(String),
    Counters,
}

/// The whole metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub databases: BTreeMap<String, DatabaseMeta>,
    pub chunks: BTreeMap<String, ChunkMeta>,
    pub counters: Counters,
    /// Cluster transactions by TID (pending, and the last `TXNS_KEPT` finished ones). Not
    /// used (and not persisted) by a single node's catalog; not sent with the catalog to data
    /// nodes either (the controller's snapshot keeps them; replicas ask for the ones they hold
    /// in doubt, `replica::TXNS`).
    #[serde(skip)]
    pub txns: BTreeMap<u64, TxnState>,
}

fn check_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > NAME_BYTES_MAX {
        fail!("Invalid {} name '{}'", what, name);
    }
    Ok(())
}

impl State {
    fn db(&self, path: &str) -> Result<&DatabaseMeta> {
        match self.databases.get(path) {
            Some(d) => Ok(d),
            None => fail!("The database [{}] doesn't exist", path),
        }
    }

    fn db_mut(&mut self, path: &str) -> Result<&mut DatabaseMeta> {
        match self.databases.get_mut(path) {
            Some(d) => Ok(d),
            None => fail!("The database [{}] doesn't exist", path),
        }
    }

    /// Applies one command. On error the state is unchanged.
    pub fn apply(&mut self, cmd: &MetaCommand) -> Result<MetaResponse> {
        self.apply_tracked(cmd).map(|(r, _)| r)
    }

    fn apply_tracked(&mut self, cmd: &MetaCommand) -> Result<(MetaResponse, BTreeSet<Dirty>)> {
        let mut dirty = BTreeSet::new();
        let resp = match cmd {
            MetaCommand::CreateDatabase {
                path,
                levels,
                engine,
                atomic,
                chunk_granularity,
            } => {
                check_name("database", path)?;
                if self.databases.contains_key(path) {
                    fail!("The database [{}] already exists", path);
                }
                if levels.is_empty() || levels.len() > 3 {
                    fail!("A database has 1 to 3 partition levels");
                }
                self.databases.insert(
                    path.clone(),
                    DatabaseMeta {
                        path: path.clone(),
                        levels: levels.clone(),
                        engine: engine.clone(),
                        atomic: atomic.clone(),
                        chunk_granularity: chunk_granularity.clone(),
                        tables: BTreeMap::new(),
                        partitions: BTreeMap::new(),
                    },
                );
                dirty.insert(Dirty::Database(path.clone()));
                MetaResponse::Done
            }
            MetaCommand::DropDatabase { path } => {
                let db = self.db(path)?;
                let mut removed = Vec::new();
                let chunk_ids: Vec<String> = db.partitions.values().cloned().collect();
                for c in &chunk_ids {
                    if let Some(chunk) = self.chunks.remove(c) {
                        removed.extend(chunk.tablets.keys().map(|t| (c.clone(), t.clone())));
                    }
                    dirty.insert(Dirty::Chunk(c.clone()));
                }
                self.databases.remove(path);
                dirty.insert(Dirty::Database(path.clone()));
                MetaResponse::Removed(removed)
            }
            MetaCommand::SetScheme { db, level, scheme } => {
                let d = self.db_mut(db)?;
                match d.levels.get_mut(*level) {
                    Some(l) => l.scheme = scheme.clone(),
                    None => fail!("The database [{}] has no partition level {}", db, level),
                }
                dirty.insert(Dirty::Database(db.clone()));
                MetaResponse::Done
            }
            MetaCommand::CreateTable { db, table } => {
                check_name("table", &table.name)?;
                let d = self.db(db)?;
                if d.tables.keys().any(|n| n.eq_ignore_ascii_case(&table.name)) {
                    fail!(
                        "The table [{}] already exists in the database [{}]",
                        table.name,
                        db
                    );
                }
                if !table.partition_columns.is_empty()
                    && table.partition_columns.len() != d.levels.len()
                {
                    fail!("The number of partitioning columns must match the partition levels");
                }
                let id = format!("t{}", self.counters.last_table_id + 1);
                self.counters.last_table_id += 1;
                let mut t = table.clone();
                t.id = id.clone();
                self.db_mut(db)?.tables.insert(t.name.clone(), t);
                dirty.insert(Dirty::Database(db.clone()));
                dirty.insert(Dirty::Counters);
                MetaResponse::TableId(id)
            }
            MetaCommand::DropTable { db, name } => {
                let id = self.table_id(db, name)?;
                let removed = self.remove_tablets(db, &[id], &[], &mut dirty)?;
                if let Some(d) = self.databases.get_mut(db) {
                    d.tables.remove(name);
                }
                dirty.insert(Dirty::Database(db.clone()));
                MetaResponse::Removed(removed)
            }
            MetaCommand::RenameTable { db, old, new } => {
                check_name("table", new)?;
                let d = self.db(db)?;
                if !d.tables.contains_key(old) {
                    fail!("The table [{}] doesn't exist in the database [{}]", old, db);
                }
                if d.tables
                    .keys()
                    .any(|n| n != old && n.eq_ignore_ascii_case(new))
                {
                    fail!(
                        "The table [{}] already exists in the database [{}]",
                        new,
                        db
                    );
                }
                let d = self.db_mut(db)?;
                if let Some(mut t) = d.tables.remove(old) {
                    t.name = new.clone();
                    d.tables.insert(new.clone(), t);
                }
                dirty.insert(Dirty::Database(db.clone()));
                MetaResponse::Done
            }
            MetaCommand::AddColumns { db, table, columns } => {
                let d = self.db(db)?;
                let Some(t) = d.tables.get(table) else {
                    fail!(
                        "The table [{}] doesn't exist in the database [{}]",
                        table,
                        db
                    );
                };
                for (i, c) in columns.iter().enumerate() {
                    check_name("column", &c.name)?;
                    let dup = t.columns.iter().chain(&columns[..i]);
                    if dup
                        .into_iter()
                        .any(|o| o.name.eq_ignore_ascii_case(&c.name))
                    {
                        fail!("The column [{}] already exists", c.name);
                    }
                }
                if let Some(t) = self.db_mut(db)?.tables.get_mut(table) {
                    t.columns.extend(columns.iter().cloned());
                }
                dirty.insert(Dirty::Database(db.clone()));
                MetaResponse::Done
            }
            MetaCommand::CreateChunks { db, chunks } => {
                let d = self.db(db)?;
                for NewChunk {
                    path, id, replicas, ..
                } in chunks
                {
                    for (i, r) in replicas.iter().enumerate() {
                        if r.is_empty() || replicas[..i].contains(r) {
                            fail!("Invalid replicas {:?} for the chunk {}", replicas, id);
                        }
                    }
                    if d.partitions.contains_key(path) {
                        fail!("The partition [{}] of [{}] already has a chunk", path, db);
                    }
                    if self.chunks.contains_key(id) {
                        fail!("The chunk id {} is already used", id);
                    }
                }
                for NewChunk {
                    path,
                    id,
                    keys,
                    replicas,
                } in chunks
                {
                    self.chunks.insert(
                        id.clone(),
                        ChunkMeta {
                            id: id.clone(),
                            db: db.clone(),
                            partition: path.clone(),
                            keys: keys.clone(),
                            version: 0,
                            tablets: BTreeMap::new(),
                            replicas: replicas
                                .iter()
                                .map(|r| ReplicaMeta {
                                    node: r.clone(),
                                    version: 0,
                                })
                                .collect(),
                        },
                    );
                    dirty.insert(Dirty::Chunk(id.clone()));
                }
                let d = self.db_mut(db)?;
                for NewChunk { path, id, .. } in chunks {
                    d.partitions.insert(path.clone(), id.clone());
                }
                dirty.insert(Dirty::Database(db.clone()));
                MetaResponse::Done
            }
            MetaCommand::Commit { tid, cid, tablets } => {
                if *cid <= self.counters.last_cid {
                    fail!(
                        "The commit id {} is not past the last one ({})",
                        cid,
                        self.counters.last_cid
                    );
                }
                for (c, _) in tablets {
                    if !self.chunks.contains_key(c) {
                        fail!("The chunk {} doesn't exist", c);
                    }
                }
                let mut bumped = BTreeSet::new();
                for (c, t) in tablets {
                    let Some(chunk) = self.chunks.get_mut(c) else {
                        continue;
                    };
                    if bumped.insert(c.clone()) {
                        chunk.version += 1;
                    }
                    let tab = chunk.tablets.entry(t.clone()).or_insert(TabletMeta {
                        version: 0,
                        last_cid: 0,
                    });
                    tab.version += 1;
                    tab.last_cid = *cid;
                    dirty.insert(Dirty::Chunk(c.clone()));
                }
                self.counters.last_cid = *cid;
                self.counters.last_tid = self.counters.last_tid.max(*tid);
                dirty.insert(Dirty::Counters);
                MetaResponse::Done
            }
            MetaCommand::SetReplicaVersion {
                chunk,
                node,
                version,
            } => {
                let Some(c) = self.chunks.get_mut(chunk) else {
                    fail!("The chunk {} doesn't exist", chunk);
                };
                if *version > c.version {
                    fail!(
                        "The replica version {} of the chunk {} is past the chunk version {}",
                        version,
                        chunk,
                        c.version
                    );
                }
                let Some(r) = c.replicas.iter_mut().find(|r| &r.node == node) else {
                    fail!("The chunk {} has no replica on {}", chunk, node);
                };
                r.version = *version;
                dirty.insert(Dirty::Chunk(chunk.clone()));
                MetaResponse::Done
            }
            MetaCommand::DropTablets {
                db,
                table,
                partitions,
            } => {
                let ids: Vec<String> = match table {
                    Some(name) => vec![self.table_id(db, name)?],
                    None => self.db(db)?.tables.values().map(|t| t.id.clone()).collect(),
                };
                let removed = self.remove_tablets(db, &ids, partitions, &mut dirty)?;
                MetaResponse::Removed(removed)
            }
            MetaCommand::SetSchemeIf {
                db,
                level,
                expect,
                scheme,
            } => {
                let d = self.db_mut(db)?;
                match d.levels.get_mut(*level) {
                    Some(l) if &l.scheme == expect => l.scheme = scheme.clone(),
                    Some(_) => fail!(
                        "The partition scheme of [{}] was changed by another writer",
                        db
                    ),
                    None => fail!("The database [{}] has no partition level {}", db, level),
                }
                dirty.insert(Dirty::Database(db.clone()));
                MetaResponse::Done
            }
            MetaCommand::BeginTxn => {
                let tid = self.counters.last_tid + 1;
                self.counters.last_tid = tid;
                self.txns.insert(tid, TxnState::Pending);
                dirty.insert(Dirty::Counters);
                MetaResponse::Tid(tid)
            }
            MetaCommand::CommitTxn {
                tid,
                tablets,
                replicas,
                expect,
            } => {
                match self.txns.get(tid) {
                    // An entry node picks its TIDs itself (`replica::link::new_tid`), so an
                    // unknown one is a transaction being committed for the first time.
                    None | Some(TxnState::Pending) => {}
                    Some(TxnState::Committed(_)) => {
                        fail!("The transaction {} already committed", tid)
                    }
                    Some(TxnState::Aborted) => fail!("The transaction {} was aborted", tid),
                }
                for (c, t, v) in expect {
                    let now = self
                        .chunks
                        .get(c)
                        .and_then(|m| m.tablets.get(t))
                        .map(|x| x.version)
                        .unwrap_or(0);
                    let moved = if *v == TABLET_EXISTS {
                        now == 0
                    } else {
                        now != *v
                    };
                    if moved {
                        let path = self
                            .chunks
                            .get(c)
                            .map(|m| m.partition.clone())
                            .unwrap_or_default();
                        fail!(
                            "<ChunkInTransaction>The partition [{}] was changed by another transaction; nothing was written",
                            path
                        );
                    }
                }
                for (c, nodes) in replicas {
                    let Some(chunk) = self.chunks.get(c) else {
                        fail!("The chunk {} doesn't exist", c);
                    };
                    if let Some(n) = nodes
                        .iter()
                        .find(|n| !chunk.replicas.iter().any(|r| &r.node == *n))
                    {
                        fail!("The chunk {} has no replica on {}", c, n);
                    }
                }
                let cid = self.counters.last_cid + 1;
                let (resp, d) = self.apply_tracked(&MetaCommand::Commit {
                    tid: *tid,
                    cid,
                    tablets: tablets.clone(),
                })?;
                let _ = resp;
                dirty.extend(d);
                for (c, nodes) in replicas {
                    if let Some(chunk) = self.chunks.get_mut(c) {
                        let v = chunk.version;
                        for r in chunk
                            .replicas
                            .iter_mut()
                            .filter(|r| nodes.contains(&r.node))
                        {
                            r.version = v;
                        }
                        dirty.insert(Dirty::Chunk(c.clone()));
                    }
                }
                self.txns.insert(*tid, TxnState::Committed(cid));
                self.forget_txns();
                MetaResponse::Cid(cid)
            }
            MetaCommand::MoveReplica { chunk, from, to } => {
                let Some(c) = self.chunks.get_mut(chunk) else {
                    fail!("The chunk {} doesn't exist", chunk);
                };
                if to.is_empty() || c.replicas.iter().any(|r| &r.node == to) {
                    fail!("The chunk {} already has a replica on {}", chunk, to);
                }
                let Some(r) = c.replicas.iter_mut().find(|r| &r.node == from) else {
                    fail!("The chunk {} has no replica on {}", chunk, from);
                };
                r.node = to.clone();
                r.version = 0;
                dirty.insert(Dirty::Chunk(chunk.clone()));
                MetaResponse::Done
            }
            MetaCommand::AbortTxn { tid } => {
                match self.txns.get(tid) {
                    Some(TxnState::Committed(_)) => {
                        fail!("The transaction {} already committed", tid)
                    }
                    _ => {
                        self.txns.insert(*tid, TxnState::Aborted);
                    }
                }
                self.forget_txns();
                MetaResponse::Done
            }
        };
        Ok((resp, dirty))
    }

    /// Drops the oldest finished transactions past `TXNS_KEPT`.
    fn forget_txns(&mut self) {
        if self.txns.len() <= TXNS_KEPT {
            return;
        }
        let finished = self
            .txns
            .values()
            .filter(|t| **t != TxnState::Pending)
            .count();
        if finished <= TXNS_KEPT {
            return;
        }
        let mut extra = finished - TXNS_KEPT;
        let old: Vec<u64> = self
            .txns
            .iter()
            .filter(|(_, t)| **t != TxnState::Pending)
            .map(|(k, _)| *k)
            .take_while(|_| {
                let go = extra > 0;
                extra = extra.saturating_sub(1);
                go
            })
            .collect();
        for k in old {
            self.txns.remove(&k);
        }
    }

    fn table_id(&self, db: &str, name: &str) -> Result<String> {
        match self.db(db)?.tables.get(name) {
            Some(t) => Ok(t.id.clone()),
            None => fail!(
                "The table [{}] doesn't exist in the database [{}]",
                name,
                db
            ),
        }
    }

    /// Removes the tablets of `table_ids` in `partitions` (every partition when empty).
    fn remove_tablets(
        &mut self,
        db: &str,
        table_ids: &[String],
        partitions: &[String],
        dirty: &mut BTreeSet<Dirty>,
    ) -> Result<Vec<(String, String)>> {
        let d = self.db(db)?;
        let chunk_ids: Vec<String> = if partitions.is_empty() {
            d.partitions.values().cloned().collect()
        } else {
            partitions
                .iter()
                .filter_map(|p| d.partitions.get(p).cloned())
                .collect()
        };
        let mut removed = Vec::new();
        for c in chunk_ids {
            let Some(chunk) = self.chunks.get_mut(&c) else {
                continue;
            };
            for t in table_ids {
                if chunk.tablets.remove(t).is_some() {
                    removed.push((c.clone(), t.clone()));
                    dirty.insert(Dirty::Chunk(c.clone()));
                }
            }
        }
        Ok(removed)
    }
}

const DATABASES: TableDefinition<&str, &[u8]> = TableDefinition::new("databases");
const CHUNKS: TableDefinition<&str, &[u8]> = TableDefinition::new("chunks");
const COUNTERS: TableDefinition<&str, &[u8]> = TableDefinition::new("counters");
const COUNTERS_KEY: &str = "counters";

fn io<E: std::fmt::Display>(e: E) -> CatalogError {
    CatalogError(format!("The DFS catalog can't be read or written: {}", e))
}

/// The state machine with its redb file.
pub struct Catalog {
    db: Redb,
    state: State,
}

impl Catalog {
    /// Opens (or creates) the catalog file and loads the state.
    pub fn open(path: &Path) -> Result<Catalog> {
        let db = Redb::create(path).map_err(io)?;
        let state = load(&db)?;
        Ok(Catalog { db, state })
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Applies a command and makes it durable before returning.
    pub fn apply(&mut self, cmd: &MetaCommand) -> Result<MetaResponse> {
        let (resp, dirty) = self.state.apply_tracked(cmd)?;
        if let Err(e) = self.persist(&dirty) {
            // Memory must not run ahead of disk: go back to what is durable.
            self.state = load(&self.db)?;
            return Err(e);
        }
        Ok(resp)
    }

    fn persist(&self, dirty: &BTreeSet<Dirty>) -> Result<()> {
        let tx = self.db.begin_write().map_err(io)?;
        {
            let mut dbs = tx.open_table(DATABASES).map_err(io)?;
            let mut chunks = tx.open_table(CHUNKS).map_err(io)?;
            let mut counters = tx.open_table(COUNTERS).map_err(io)?;
            for d in dirty {
                match d {
                    Dirty::Database(p) => match self.state.databases.get(p) {
                        Some(m) => {
                            let bytes = serde_json::to_vec(m).map_err(io)?;
                            dbs.insert(p.as_str(), bytes.as_slice()).map_err(io)?;
                        }
                        None => {
                            dbs.remove(p.as_str()).map_err(io)?;
                        }
                    },
                    Dirty::Chunk(c) => match self.state.chunks.get(c) {
                        Some(m) => {
                            let bytes = serde_json::to_vec(m).map_err(io)?;
                            chunks.insert(c.as_str(), bytes.as_slice()).map_err(io)?;
                        }
                        None => {
                            chunks.remove(c.as_str()).map_err(io)?;
                        }
                    },
                    Dirty::Counters => {
                        let bytes = serde_json::to_vec(&self.state.counters).map_err(io)?;
                        counters
                            .insert(COUNTERS_KEY, bytes.as_slice())
                            .map_err(io)?;
                    }
                }
            }
        }
        tx.commit().map_err(io)
    }
}

fn load(db: &Redb) -> Result<State> {
    let mut state = State::default();
    let tx = db.begin_write().map_err(io)?;
    {
        // Opening in a write transaction creates the tables on first use.
        let dbs = tx.open_table(DATABASES).map_err(io)?;
        for item in dbs.iter().map_err(io)? {
            let (k, v) = item.map_err(io)?;
            let m: DatabaseMeta = serde_json::from_slice(v.value()).map_err(io)?;
            state.databases.insert(k.value().to_string(), m);
        }
        let chunks = tx.open_table(CHUNKS).map_err(io)?;
        for item in chunks.iter().map_err(io)? {
            let (k, v) = item.map_err(io)?;
            let m: ChunkMeta = serde_json::from_slice(v.value()).map_err(io)?;
            state.chunks.insert(k.value().to_string(), m);
        }
        let counters = tx.open_table(COUNTERS).map_err(io)?;
        let stored = counters.get(COUNTERS_KEY).map_err(io)?;
        if let Some(v) = stored {
            state.counters = serde_json::from_slice(v.value()).map_err(io)?;
        }
    }
    tx.commit().map_err(io)?;
    Ok(state)
}
