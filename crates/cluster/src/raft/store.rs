//! The Raft log store and the state machine, persisted with redb in one file
//! (`<dir>/raft.redb`).
//!
//! - Log entries, the vote and the committed/purged log ids are written durably (fsync) before
//!   the calls return; entries are JSON.
//! - The state machine (`ControllerState`) lives in memory. What makes it durable is the log plus
//!   snapshots: every snapshot (built every `SNAPSHOT_EVERY_LOGS` entries, or installed from the
//!   leader) is written to redb before it is used, logs are purged only up to a snapshot, and the
//!   committed log id is saved. On open, the state is the last snapshot; openraft then re-applies
//!   the committed entries after it.

use std::fmt::Debug;
use std::io::Cursor;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage, RaftStateMachine, Snapshot};
use openraft::{
    Entry, EntryPayload, LogId, OptionalSend, RaftLogReader, RaftSnapshotBuilder, SnapshotMeta,
    StorageError, StorageIOError, StoredMembership, Vote,
};
use redb::{Database, ReadableTable, TableDefinition};

use super::state::{ControllerState, Reply, Response};
use super::{ControllerSite, NodeId, TypeConfig};

const LOGS: TableDefinition<u64, &[u8]> = TableDefinition::new("raft_log");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("raft_meta");
const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("raft_snapshot");
const VOTE_KEY: &str = "vote";
const COMMITTED_KEY: &str = "committed";
const PURGED_KEY: &str = "last_purged";
const SNAPSHOT_META_KEY: &str = "meta";
const SNAPSHOT_DATA_KEY: &str = "data";
/// The file under the Raft directory.
pub const FILE_NAME: &str = "raft.redb";

type StorageResult<T> = Result<T, StorageError<NodeId>>;

fn read_err<E: std::fmt::Display>(e: E) -> StorageError<NodeId> {
    StorageIOError::read(&std::io::Error::other(e.to_string())).into()
}

fn write_err<E: std::fmt::Display>(e: E) -> StorageError<NodeId> {
    StorageIOError::write(&std::io::Error::other(e.to_string())).into()
}

fn to_json<T: serde::Serialize>(x: &T) -> StorageResult<Vec<u8>> {
    serde_json::to_vec(x).map_err(write_err)
}

fn from_json<T: serde::de::DeserializeOwned>(b: &[u8]) -> StorageResult<T> {
    serde_json::from_slice(b).map_err(read_err)
}

/// Opens (or creates) the Raft file and returns its log store and state machine.
pub fn open(dir: &Path) -> crate::Result<(LogStore, StateMachine)> {
    std::fs::create_dir_all(dir).map_err(|e| {
        crate::Error(format!(
            "Failed to create the Raft directory {}: {e}",
            dir.display()
        ))
    })?;
    let path = dir.join(FILE_NAME);
    let db = Database::create(&path).map_err(|e| {
        crate::Error(format!(
            "Failed to open the Raft file {}: {e}",
            path.display()
        ))
    })?;
    let db = Arc::new(db);
    init_tables(&db).map_err(|e| crate::Error(format!("Failed to open the Raft file: {e}")))?;
    let sm = StateMachine::open(db.clone())
        .map_err(|e| crate::Error(format!("Failed to load the Raft snapshot: {e}")))?;
    Ok((LogStore { db }, sm))
}

fn init_tables(db: &Database) -> StorageResult<()> {
    let tx = db.begin_write().map_err(write_err)?;
    tx.open_table(LOGS).map_err(write_err)?;
    tx.open_table(META).map_err(write_err)?;
    tx.open_table(SNAPSHOT).map_err(write_err)?;
    tx.commit().map_err(write_err)
}

fn get_meta<T: serde::de::DeserializeOwned>(db: &Database, key: &str) -> StorageResult<Option<T>> {
    let tx = db.begin_read().map_err(read_err)?;
    let t = tx.open_table(META).map_err(read_err)?;
    match t.get(key).map_err(read_err)? {
        Some(v) => Ok(Some(from_json(v.value())?)),
        None => Ok(None),
    }
}

fn put_meta<T: serde::Serialize>(db: &Database, key: &str, x: &T) -> StorageResult<()> {
    let bytes = to_json(x)?;
    let tx = db.begin_write().map_err(write_err)?;
    {
        let mut t = tx.open_table(META).map_err(write_err)?;
        t.insert(key, bytes.as_slice()).map_err(write_err)?;
    }
    tx.commit().map_err(write_err)
}

/// The Raft log and vote.
pub struct LogStore {
    db: Arc<Database>,
}

/// Reads log entries for replication.
#[derive(Clone)]
pub struct LogReader {
    db: Arc<Database>,
}

fn read_entries<RB: RangeBounds<u64>>(
    db: &Database,
    range: RB,
) -> StorageResult<Vec<Entry<TypeConfig>>> {
    let tx = db.begin_read().map_err(read_err)?;
    let t = tx.open_table(LOGS).map_err(read_err)?;
    let mut out = Vec::new();
    for item in t.range(range).map_err(read_err)? {
        let (_, v) = item.map_err(read_err)?;
        out.push(from_json(v.value())?);
    }
    Ok(out)
}

impl RaftLogReader<TypeConfig> for LogReader {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> StorageResult<Vec<Entry<TypeConfig>>> {
        read_entries(&self.db, range)
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> StorageResult<Vec<Entry<TypeConfig>>> {
        read_entries(&self.db, range)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogReader;

    async fn get_log_state(&mut self) -> StorageResult<LogState<TypeConfig>> {
        let purged: Option<LogId<NodeId>> = get_meta(&self.db, PURGED_KEY)?;
        let last = {
            let tx = self.db.begin_read().map_err(read_err)?;
            let t = tx.open_table(LOGS).map_err(read_err)?;
            let last = match t.last().map_err(read_err)? {
                Some((_, v)) => {
                    let e: Entry<TypeConfig> = from_json(v.value())?;
                    Some(e.log_id)
                }
                None => None,
            };
            last
        };
        Ok(LogState {
            last_purged_log_id: purged,
            last_log_id: last.or(purged),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        LogReader {
            db: self.db.clone(),
        }
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> StorageResult<()> {
        put_meta(&self.db, VOTE_KEY, vote)
    }

    async fn read_vote(&mut self) -> StorageResult<Option<Vote<NodeId>>> {
        get_meta(&self.db, VOTE_KEY)
    }

    async fn save_committed(&mut self, committed: Option<LogId<NodeId>>) -> StorageResult<()> {
        // Not synced on its own: it reaches the disk with the next synced write. A committed id
        // that is lost in a crash only means fewer entries are re-applied before the leader
        // tells again what is committed.
        let bytes = to_json(&committed)?;
        let mut tx = self.db.begin_write().map_err(write_err)?;
        tx.set_durability(redb::Durability::None);
        {
            let mut t = tx.open_table(META).map_err(write_err)?;
            t.insert(COMMITTED_KEY, bytes.as_slice())
                .map_err(write_err)?;
        }
        tx.commit().map_err(write_err)
    }

    async fn read_committed(&mut self) -> StorageResult<Option<LogId<NodeId>>> {
        Ok(get_meta::<Option<LogId<NodeId>>>(&self.db, COMMITTED_KEY)?.flatten())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> StorageResult<()>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let tx = self.db.begin_write().map_err(write_err)?;
        {
            let mut t = tx.open_table(LOGS).map_err(write_err)?;
            for e in entries {
                let bytes = to_json(&e)?;
                t.insert(e.log_id.index, bytes.as_slice())
                    .map_err(write_err)?;
            }
        }
        // redb's default durability syncs before commit returns.
        match tx.commit() {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                let msg = e.to_string();
                callback.log_io_completed(Err(std::io::Error::other(msg.clone())));
                Err(write_err(msg))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> StorageResult<()> {
        let tx = self.db.begin_write().map_err(write_err)?;
        {
            let mut t = tx.open_table(LOGS).map_err(write_err)?;
            t.retain_in(log_id.index.., |_, _| false)
                .map_err(write_err)?;
        }
        tx.commit().map_err(write_err)
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> StorageResult<()> {
        let bytes = to_json(&log_id)?;
        let tx = self.db.begin_write().map_err(write_err)?;
        {
            let mut m = tx.open_table(META).map_err(write_err)?;
            m.insert(PURGED_KEY, bytes.as_slice()).map_err(write_err)?;
            let mut t = tx.open_table(LOGS).map_err(write_err)?;
            t.retain_in(..=log_id.index, |_, _| false)
                .map_err(write_err)?;
        }
        tx.commit().map_err(write_err)
    }
}

/// The applied state, shared with the controller for reads.
#[derive(Debug, Default)]
pub struct Applied {
    pub state: ControllerState,
    pub last_applied: Option<LogId<NodeId>>,
    pub last_membership: StoredMembership<NodeId, ControllerSite>,
}

/// The controller state machine.
pub struct StateMachine {
    db: Arc<Database>,
    applied: Arc<RwLock<Applied>>,
    snapshots_built: u64,
}

fn read_applied(a: &RwLock<Applied>) -> RwLockReadGuard<'_, Applied> {
    a.read().unwrap_or_else(|e| e.into_inner())
}

fn stored_snapshot(
    db: &Database,
) -> StorageResult<Option<(SnapshotMeta<NodeId, ControllerSite>, Vec<u8>)>> {
    let tx = db.begin_read().map_err(read_err)?;
    let t = tx.open_table(SNAPSHOT).map_err(read_err)?;
    let meta = t.get(SNAPSHOT_META_KEY).map_err(read_err)?;
    let data = t.get(SNAPSHOT_DATA_KEY).map_err(read_err)?;
    match (meta, data) {
        (Some(m), Some(d)) => Ok(Some((from_json(m.value())?, d.value().to_vec()))),
        _ => Ok(None),
    }
}

fn store_snapshot(
    db: &Database,
    meta: &SnapshotMeta<NodeId, ControllerSite>,
    data: &[u8],
) -> StorageResult<()> {
    let m = to_json(meta)?;
    let tx = db.begin_write().map_err(write_err)?;
    {
        let mut t = tx.open_table(SNAPSHOT).map_err(write_err)?;
        t.insert(SNAPSHOT_META_KEY, m.as_slice())
            .map_err(write_err)?;
        t.insert(SNAPSHOT_DATA_KEY, data).map_err(write_err)?;
    }
    tx.commit().map_err(write_err)
}

impl StateMachine {
    fn open(db: Arc<Database>) -> StorageResult<StateMachine> {
        let mut applied = Applied::default();
        if let Some((meta, data)) = stored_snapshot(&db)? {
            applied.state = ControllerState::from_bytes(&data).map_err(read_err)?;
            applied.last_applied = meta.last_log_id;
            applied.last_membership = meta.last_membership;
        }
        Ok(StateMachine {
            db,
            applied: Arc::new(RwLock::new(applied)),
            snapshots_built: 0,
        })
    }

    /// The applied state, for reads (a follower's may lag the leader's).
    pub fn applied(&self) -> Arc<RwLock<Applied>> {
        self.applied.clone()
    }
}

/// Builds a snapshot from a copy of the state taken when the builder was made.
pub struct SnapshotBuilder {
    db: Arc<Database>,
    data: Result<Vec<u8>, String>,
    last_applied: Option<LogId<NodeId>>,
    last_membership: StoredMembership<NodeId, ControllerSite>,
    seq: u64,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> StorageResult<Snapshot<TypeConfig>> {
        let data = self.data.clone().map_err(write_err)?;
        let snapshot_id = match &self.last_applied {
            Some(l) => format!("{}-{}-{}", l.leader_id.term, l.index, self.seq),
            None => format!("0-0-{}", self.seq),
        };
        let meta = SnapshotMeta {
            last_log_id: self.last_applied,
            last_membership: self.last_membership.clone(),
            snapshot_id,
        };
        store_snapshot(&self.db, &meta, &data)?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(
        &mut self,
    ) -> StorageResult<(
        Option<LogId<NodeId>>,
        StoredMembership<NodeId, ControllerSite>,
    )> {
        let a = read_applied(&self.applied);
        Ok((a.last_applied, a.last_membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> StorageResult<Vec<Response>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut a = self.applied.write().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for e in entries {
            a.last_applied = Some(e.log_id);
            let r = match e.payload {
                EntryPayload::Blank => Response(Ok(Reply::Done)),
                EntryPayload::Normal(cmd) => a.state.apply(&cmd),
                EntryPayload::Membership(m) => {
                    a.last_membership = StoredMembership::new(Some(e.log_id), m);
                    Response(Ok(Reply::Done))
                }
            };
            out.push(r);
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.snapshots_built += 1;
        let a = read_applied(&self.applied);
        SnapshotBuilder {
            db: self.db.clone(),
            data: a.state.to_bytes(),
            last_applied: a.last_applied,
            last_membership: a.last_membership.clone(),
            seq: self.snapshots_built,
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> StorageResult<Box<Cursor<Vec<u8>>>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, ControllerSite>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> StorageResult<()> {
        let data = snapshot.into_inner();
        let state = ControllerState::from_bytes(&data).map_err(read_err)?;
        store_snapshot(&self.db, meta, &data)?;
        let mut a = self.applied.write().unwrap_or_else(|e| e.into_inner());
        a.state = state;
        a.last_applied = meta.last_log_id;
        a.last_membership = meta.last_membership.clone();
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> StorageResult<Option<Snapshot<TypeConfig>>> {
        Ok(stored_snapshot(&self.db)?.map(|(meta, data)| Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}
