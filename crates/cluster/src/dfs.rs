//! `LocalDfs`: script's `Dfs` for one node, over the catalog and one chunk store.
//!
//! A write locates each row's partition (creating VALUE partitions per
//! `newValuePartitionPolicy`), registers chunks for new partitions in the catalog (the intent),
//! then, under the commit lock, takes the next TID and CID, commits every tablet in one store
//! transaction (the commit point: its redo record), and records the commit in the catalog.
//! On open, `reconcile` adopts store commits the catalog missed (a crash between the two) and
//! drops store tablets the catalog no longer knows (drops whose store part did not run).
//! A query's snapshot is the catalog's last CID, taken once per scan plan.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use script::dfs::{
    ColumnPredicate, ColumnSpec, CreateTable, DatabaseSpec, Dfs, DfsTableInfo, Engine, Mapped,
    PartitionLevel, PartitionRef, PartitionSelector, PartitionType, PredicateOp, ScanPlan,
};
use script::sql::map_task::MapTask;
use script::sql::pushdown::RowFilter;
use script::{Env, Host, LocalHost};
use storage::partition::{Level, Predicate};
use value::{DataType, Table, Value, Vector};

use crate::catalog::{
    Catalog, ColumnMeta, DatabaseMeta, LevelMeta, MetaCommand, MetaResponse, NewChunk, TableMeta,
};
use crate::store::{Store, TabletSchema, Write, WriteKind};
use crate::{err, Error, Result};

/// `newValuePartitionPolicy`: what a write does with values no VALUE partition holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NewValuePolicy {
    Add,
    Skip,
    Fail,
}

impl NewValuePolicy {
    pub fn parse(text: &str) -> Option<NewValuePolicy> {
        match text.to_ascii_lowercase().as_str() {
            "add" => Some(NewValuePolicy::Add),
            "skip" => Some(NewValuePolicy::Skip),
            "fail" => Some(NewValuePolicy::Fail),
            _ => None,
        }
    }
}

/// How often a write retries after a writer on another node changed the same metadata.
const RACE_RETRIES: usize = 8;

#[derive(Clone, Debug)]
pub struct DfsConfig {
    pub new_value_policy: NewValuePolicy,
}

impl Default for DfsConfig {
    fn default() -> Self {
        DfsConfig {
            new_value_policy: NewValuePolicy::Add,
        }
    }
}

/// Where a node's DFS metadata lives.
enum Meta {
    /// A single node: its own catalog (redb).
    Local(Mutex<Catalog>),
    /// A cluster node: the controllers' Raft state, through the leader (`replica::Link`).
    Cluster(Arc<crate::replica::Link>),
}

/// Script's `Dfs` over a metadata backend (`Meta`) and this node's chunk store. On a single
/// node both are local; on a cluster's data or compute node the metadata is the controllers'
/// and transactions and reads go to the chunks' replicas (`replica::Link`), while partitioning
/// rows, planning scans and the map/reduce stay here.
pub struct LocalDfs {
    meta: Meta,
    store: Arc<dyn Store>,
    /// Serializes writers from TID/CID assignment to the catalog's commit record, so CIDs
    /// become visible in order.
    commit: Mutex<()>,
    cfg: DfsConfig,
}

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| Error("The DFS metadata is unavailable".into()))
}

fn wire(v: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    value::wire::encode(v, &mut out).map_err(|e| Error(e.message))?;
    Ok(out)
}

fn unwire(bytes: &[u8]) -> Result<Value> {
    match value::wire::decode(bytes, true) {
        Ok(Some((v, _))) => Ok(v),
        _ => err!("The stored partition scheme can't be decoded"),
    }
}

fn spec_of(d: &DatabaseMeta) -> Result<DatabaseSpec> {
    let mut levels = Vec::with_capacity(d.levels.len());
    for l in &d.levels {
        let Some(ptype) = PartitionType::from_code(l.ptype as i64) else {
            err!("Unknown partition type {}", l.ptype);
        };
        levels.push(PartitionLevel {
            ptype,
            scheme: unwire(&l.scheme)?,
        });
    }
    Ok(DatabaseSpec {
        levels,
        engine: Engine::parse(&d.engine).unwrap_or_default(),
        atomic: d.atomic.clone(),
        chunk_granularity: d.chunk_granularity.clone(),
    })
}

fn column_meta(c: &ColumnSpec) -> ColumnMeta {
    ColumnMeta {
        name: c.name.clone(),
        ty: c.ty.code(),
        scale: c.scale,
        array: c.array,
        compress: c.compress.clone(),
    }
}

fn column_spec(c: &ColumnMeta) -> ColumnSpec {
    ColumnSpec {
        name: c.name.clone(),
        ty: DataType::from_code(c.ty).unwrap_or(DataType::Int),
        scale: c.scale,
        array: c.array,
        compress: c.compress.clone(),
    }
}

fn info_of(d: &DatabaseMeta, t: &TableMeta) -> Result<DfsTableInfo> {
    Ok(DfsTableInfo {
        db: d.path.clone(),
        name: t.name.clone(),
        columns: t.columns.iter().map(column_spec).collect(),
        partition_columns: t.partition_columns.clone(),
        sort_columns: t.sort_columns.clone(),
        keep_duplicates: t.keep_duplicates.clone(),
        database: spec_of(d)?,
    })
}

pub(crate) fn tablet_schema(d: &DatabaseMeta, t: &TableMeta) -> TabletSchema {
    TabletSchema {
        columns: t.columns.iter().map(column_spec).collect(),
        tsdb: d.engine.eq_ignore_ascii_case("TSDB"),
        sort_columns: t.sort_columns.clone(),
        keep_duplicates: t.keep_duplicates.clone(),
    }
}

fn new_chunk_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `/name` for `dfs://name`: how DolphinDB's chunk paths start.
fn db_dir(path: &str) -> String {
    format!("/{}", path.trim_start_matches("dfs://"))
}

fn take_rows(t: &Table, idx: &[i64]) -> Table {
    let mut out = Table::new(
        t.names.clone(),
        t.columns.iter().map(|c| c.take(idx)).collect(),
    );
    out.name = t.name.clone();
    out
}

/// The partition path of a dimension table's only chunk.
fn dimension_path(t: &TableMeta) -> String {
    format!("/{}", t.id)
}

impl LocalDfs {
    /// Opens the catalog at `catalog_path` over `store` and reconciles the two.
    pub fn open(catalog_path: &Path, store: Arc<dyn Store>, cfg: DfsConfig) -> Result<LocalDfs> {
        let catalog = Catalog::open(catalog_path)?;
        let dfs = LocalDfs {
            meta: Meta::Local(Mutex::new(catalog)),
            store,
            commit: Mutex::new(()),
            cfg,
        };
        dfs.reconcile()?;
        Ok(dfs)
    }

    /// Opens a node's DFS under `dir` (`<home>/<alias>`): the chunk store in `dir/storage`
    /// (replaying its redo log) and the catalog in `dir/dfsMeta/catalog.redb`.
    pub fn open_dir(
        dir: &Path,
        cfg: DfsConfig,
        store_cfg: storage::StoreConfig,
    ) -> Result<LocalDfs> {
        let meta = dir.join("dfsMeta");
        std::fs::create_dir_all(&meta)
            .map_err(|e| Error(format!("Can't create {}: {}", meta.display(), e)))?;
        let store = storage::ChunkStore::open(&dir.join("storage"), store_cfg)?;
        LocalDfs::open(&meta.join("catalog.redb"), Arc::new(store), cfg)
    }

    /// A cluster node's DFS: metadata and transactions through `link`, `store` holding this
    /// node's replicas (an empty `MemStore` on a compute node).
    pub fn cluster(
        link: Arc<crate::replica::Link>,
        store: Arc<dyn Store>,
        cfg: DfsConfig,
    ) -> LocalDfs {
        LocalDfs {
            meta: Meta::Cluster(link),
            store,
            commit: Mutex::new(()),
            cfg,
        }
    }

    /// Runs one `Dfs` operation; on a cluster its catalog reads share one round trip to the
    /// leader (`Link::pinned`).
    fn op<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.meta {
            Meta::Local(_) => f(),
            Meta::Cluster(l) => l.pinned(f),
        }
    }

    /// Reads the metadata (on a cluster node: the leader's current state).
    fn read<R>(&self, f: impl FnOnce(&crate::catalog::State) -> R) -> Result<R> {
        match &self.meta {
            Meta::Local(c) => Ok(f(lock(c)?.state())),
            Meta::Cluster(l) => Ok(f(&*l.state()?)),
        }
    }

    /// This node's alias on a cluster (None on a single node).
    fn cluster_alias(&self) -> Option<&str> {
        match &self.meta {
            Meta::Local(_) => None,
            Meta::Cluster(l) => Some(l.alias()),
        }
    }

    /// A tablet's rows at snapshot `cid`: from the local store, or on a cluster from a replica.
    fn scan_tablet(
        &self,
        chunk: &str,
        table: &str,
        cid: u64,
        columns: &[ColumnSpec],
    ) -> Result<Table> {
        match &self.meta {
            Meta::Local(_) => self.store.scan(chunk, table, cid, columns),
            Meta::Cluster(l) => l.read(chunk, table, cid, columns, None),
        }
    }

    /// One partition's needed columns (every column when empty), filtered at a remote replica
    /// by `filter`, or mapped there by `task` (see `Dfs::map_partition`).
    fn map_partition_with(
        &self,
        plan: &ScanPlan,
        part: usize,
        columns: &[String],
        filter: &RowFilter,
        task: Option<&MapTask>,
    ) -> SResult<Mapped> {
        let Some(p) = plan.partitions.get(part) else {
            return Err(script::Error::new("No such partition in the plan"));
        };
        let specs: Vec<ColumnSpec> = if columns.is_empty() {
            plan.info.columns.clone()
        } else {
            columns
                .iter()
                .map(|c| match plan.info.column(c) {
                    Some(s) => Ok(s.clone()),
                    None => Err(script::Error::new(format!(
                        "Unrecognized column name {}",
                        c
                    ))),
                })
                .collect::<SResult<_>>()?
        };
        let filter = (!filter.is_empty()).then_some(filter);
        let mapped = match &self.meta {
            Meta::Local(_) => self
                .store
                .scan(&p.chunk, &plan.table_id, plan.cid, &specs)
                .map(Mapped::Rows),
            Meta::Cluster(l) => {
                l.read_or_map(&p.chunk, &plan.table_id, plan.cid, &specs, filter, task)
            }
        };
        Ok(match mapped.map_err(script_err)? {
            Mapped::Rows(mut t) => {
                t.name = plan.table.clone();
                Mapped::Rows(t)
            }
            m => m,
        })
    }

    /// Whether this node holds a replica of `c` (every chunk on a single node): `getAllChunks`
    /// and `getTabletsMeta` list a node's own chunks, as DolphinDB's do.
    fn holds(&self, c: &crate::catalog::ChunkMeta) -> bool {
        match self.cluster_alias() {
            None => true,
            Some(a) => c.replicas.iter().any(|r| r.node == a),
        }
    }

    /// Flushes the store's cache engine (clean shutdown).
    pub fn flush(&self) -> Result<()> {
        self.store.flush()
    }

    /// Makes the catalog and the store agree after a crash (see the module doc).
    fn reconcile(&self) -> Result<()> {
        let Meta::Local(catalog) = &self.meta else {
            return Ok(());
        };
        let _w = lock(&self.commit)?;
        let mut cat = lock(catalog)?;
        let last = cat.state().counters.last_cid;
        let stored = self.store.tablets();
        let mut adopt = Vec::new();
        let mut garbage = Vec::new();
        for t in &stored {
            let state = cat.state();
            let known_table = state.chunks.get(&t.chunk).and_then(|c| {
                let d = state.databases.get(&c.db)?;
                d.tables.values().find(|x| x.id == t.table).map(|_| c)
            });
            match known_table {
                Some(_) if t.last_cid > last => adopt.push((t.chunk.clone(), t.table.clone())),
                Some(c) if c.tablets.contains_key(&t.table) => {}
                _ => garbage.push((t.chunk.clone(), t.table.clone())),
            }
        }
        let store_last = self.store.last_cid();
        if store_last > last {
            let tid = cat.state().counters.last_tid + 1;
            cat.apply(&MetaCommand::Commit {
                tid,
                cid: store_last,
                tablets: adopt,
            })?;
        }
        let cid = cat.state().counters.last_cid;
        drop(cat);
        for (c, t) in garbage {
            self.store.drop_tablet(&c, &t, cid)?;
        }
        Ok(())
    }

    fn apply(&self, cmd: &MetaCommand) -> Result<MetaResponse> {
        match &self.meta {
            Meta::Local(c) => Ok(lock(c)?.apply(cmd)?),
            Meta::Cluster(l) => l.propose(cmd),
        }
    }

    fn db_meta(&self, path: &str) -> Result<DatabaseMeta> {
        match self.read(|s| s.databases.get(path).cloned())? {
            Some(d) => Ok(d),
            None => err!("The database [{}] doesn't exist", path),
        }
    }

    fn table_meta(&self, db: &str, name: &str) -> Result<(DatabaseMeta, TableMeta)> {
        let d = self.db_meta(db)?;
        let t = d
            .tables
            .get(name)
            .or_else(|| {
                d.tables
                    .values()
                    .find(|t| t.name.eq_ignore_ascii_case(name))
            })
            .cloned();
        match t {
            Some(t) => Ok((d, t)),
            None => err!(
                "getFileBlocksMeta on path '{}/{}.tbl' failed, reason: path does not exist",
                db_dir(db),
                name
            ),
        }
    }

    /// Drops removed tablets' data from the store.
    fn collect(&self, resp: MetaResponse) -> Result<usize> {
        let MetaResponse::Removed(list) = resp else {
            return Ok(0);
        };
        if let Meta::Cluster(_) = &self.meta {
            // Replicas drop what the catalog no longer lists in the background (`replica`);
            // a tablet written again starts with a Replace, so leftovers never show.
            return Ok(list.len());
        }
        let cid = self.read(|s| s.counters.last_cid)?;
        for (c, t) in &list {
            self.store.drop_tablet(c, t, cid)?;
        }
        Ok(list.len())
    }

    /// Writes `writes` as one transaction and records it. Caller holds the commit lock.
    fn commit_writes(&self, writes: Vec<Write>) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        if let Meta::Cluster(l) = &self.meta {
            return l.commit(writes);
        }
        let (tid, cid) = self.read(|s| {
            let c = &s.counters;
            (c.last_tid + 1, c.last_cid.max(self.store.last_cid()) + 1)
        })?;
        let tablets = writes
            .iter()
            .map(|w| (w.chunk.clone(), w.table.clone()))
            .collect();
        self.store.commit(tid, cid, writes)?;
        self.apply(&MetaCommand::Commit { tid, cid, tablets })?;
        Ok(())
    }

    /// Groups rows by partition: (partition keys, row positions). Adds VALUE partitions per
    /// the policy. Caller holds the commit lock.
    fn locate(
        &self,
        d: &DatabaseMeta,
        t: &TableMeta,
        rows: &Table,
    ) -> Result<(Scheme, BTreeMap<Vec<u32>, Vec<i64>>)> {
        if t.partition_columns.is_empty() {
            let all = (0..rows.rows() as i64).collect();
            return Ok((
                Scheme { levels: Vec::new() },
                BTreeMap::from([(Vec::new(), all)]),
            ));
        }
        let mut spec = spec_of(d)?;
        let cols: Vec<&Vector> = t
            .partition_columns
            .iter()
            .map(|c| match rows.column(c) {
                Some(v) => Ok(&**v),
                None => err!("The partitioning column [{}] is missing", c),
            })
            .collect::<Result<_>>()?;
        let mut scheme = Scheme::new(&spec.levels)?;
        // New VALUE partitions.
        let mut changed = false;
        for (li, level) in scheme.levels.iter().enumerate() {
            if level.partition_type() != storage::partition::PartitionType::Value {
                continue;
            }
            let fresh = new_values(level, cols[li])?;
            if fresh.is_empty() || self.cfg.new_value_policy == NewValuePolicy::Skip {
                continue;
            }
            if self.cfg.new_value_policy == NewValuePolicy::Fail {
                err!(
                    "Some of the data being written is not defined in the partitioning scheme \
                     of the target database."
                );
            }
            let Some(old) = spec.levels[li].scheme.as_vector().cloned() else {
                err!("The VALUE scheme of {} is not a vector", d.path);
            };
            let mut all = old;
            if !all.extend(&value::convert::cast(&fresh, all.ty, all.scale)?) {
                err!("Can't add the new partitions to {}", d.path);
            }
            let v = Value::vector(all);
            self.apply(&MetaCommand::SetSchemeIf {
                db: d.path.clone(),
                level: li,
                expect: d.levels[li].scheme.clone(),
                scheme: wire(&v)?,
            })?;
            spec.levels[li].scheme = v;
            changed = true;
        }
        if changed {
            scheme = Scheme::new(&spec.levels)?;
        }
        let located: Vec<Vec<Option<usize>>> = scheme
            .levels
            .iter()
            .zip(&cols)
            .map(|(l, c)| locate(l, c))
            .collect::<Result<_>>()?;
        Ok((scheme, group_rows(&located, rows.rows())))
    }

    /// `locate` on the table's current metadata; again when a writer on another node changed
    /// the partition scheme meanwhile.
    fn locate_current(
        &self,
        db: &str,
        name: &str,
        rows: &Table,
    ) -> Result<(
        DatabaseMeta,
        TableMeta,
        Scheme,
        BTreeMap<Vec<u32>, Vec<i64>>,
    )> {
        let mut attempt = 0;
        loop {
            let (d, t) = self.table_meta(db, name)?;
            match self.locate(&d, &t, rows) {
                Ok((s, g)) => return Ok((d, t, s, g)),
                Err(e) if e.0.contains("changed by another writer") && attempt < RACE_RETRIES => {
                    attempt += 1
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `chunks_for`, again when a writer on another node created one of the chunks meanwhile.
    fn chunks_for_current(
        &self,
        d: &DatabaseMeta,
        t: &TableMeta,
        scheme: &Scheme,
        keys: &[&Vec<u32>],
    ) -> Result<Vec<String>> {
        let mut attempt = 0;
        loop {
            match self.chunks_for(d, t, scheme, keys) {
                Err(e) if e.0.contains("already has a chunk") && attempt < RACE_RETRIES => {
                    attempt += 1
                }
                r => return r,
            }
        }
    }

    /// The chunk of each partition key, creating chunks for new partitions first.
    fn chunks_for(
        &self,
        d: &DatabaseMeta,
        t: &TableMeta,
        scheme: &Scheme,
        keys: &[&Vec<u32>],
    ) -> Result<Vec<String>> {
        let path_of = |k: &Vec<u32>| -> String {
            if t.partition_columns.is_empty() {
                dimension_path(t)
            } else {
                scheme.path(k)
            }
        };
        let d = self.db_meta(&d.path)?;
        let mut new = Vec::new();
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let p = path_of(k);
            match d.partitions.get(&p) {
                Some(c) => out.push(c.clone()),
                None => {
                    let id = new_chunk_id();
                    out.push(id.clone());
                    new.push(NewChunk {
                        path: p,
                        id,
                        keys: (*k).clone(),
                        replicas: Vec::new(),
                    });
                }
            }
        }
        if !new.is_empty() {
            self.apply(&MetaCommand::CreateChunks {
                db: d.path.clone(),
                chunks: new,
            })?;
        }
        Ok(out)
    }

    fn tablet_version(&self, chunk: &str, table_id: &str) -> u32 {
        self.read(|s| {
            s.chunks
                .get(chunk)
                .and_then(|m| m.tablets.get(table_id))
                .map(|t| t.version)
        })
        .ok()
        .flatten()
        .unwrap_or(0)
    }

    fn paths_of(&self, d: &DatabaseMeta, which: &PartitionSelector) -> Result<Vec<String>> {
        match which {
            PartitionSelector::Paths(p) => Ok(p
                .iter()
                .map(|s| {
                    let s = s.trim_end_matches('/');
                    let s = s.strip_prefix(&db_dir(&d.path)).unwrap_or(s);
                    if s.starts_with('/') {
                        s.to_string()
                    } else {
                        format!("/{}", s)
                    }
                })
                .collect()),
            PartitionSelector::Values(levels) => {
                let spec = spec_of(d)?;
                let scheme = Scheme::new(&spec.levels)?;
                let mut allowed = Vec::new();
                for (li, v) in levels.iter().enumerate() {
                    let Some(level) = scheme.levels.get(li) else {
                        err!("dropPartition got values for more levels than the database has");
                    };
                    let col = match v {
                        Value::Scalar(x) => x.clone(),
                        Value::Vector(x) | Value::Pair(x) => (**x).clone(),
                        _ => err!("Partition values must be scalars or vectors"),
                    };
                    let ks: HashSet<usize> = locate(level, &col)?.into_iter().flatten().collect();
                    allowed.push(Some(ks));
                }
                while allowed.len() < scheme.levels.len() {
                    allowed.push(None);
                }
                self.read(|state| {
                    d.partitions
                        .iter()
                        .filter(|(_, c)| {
                            state
                                .chunks
                                .get(*c)
                                .map(|m| !m.keys.is_empty() && scheme.matches(&m.keys, &allowed))
                                .unwrap_or(false)
                        })
                        .map(|(p, _)| p.clone())
                        .collect()
                })
            }
        }
    }
}

fn script_err(e: Error) -> script::Error {
    script::Error::new(e.0)
}

type SResult<T> = script::Result<T>;

impl Dfs for LocalDfs {
    fn create_database(&self, path: &str, spec: &DatabaseSpec) -> SResult<()> {
        Scheme::new(&spec.levels).map_err(script_err)?;
        let levels = spec
            .levels
            .iter()
            .map(|l| {
                Ok(LevelMeta {
                    ptype: l.ptype.code(),
                    scheme: wire(&l.scheme)?,
                })
            })
            .collect::<Result<Vec<_>>>()
            .map_err(script_err)?;
        self.apply(&MetaCommand::CreateDatabase {
            path: path.to_string(),
            levels,
            engine: spec.engine.name().to_string(),
            atomic: spec.atomic.clone(),
            chunk_granularity: spec.chunk_granularity.clone(),
        })
        .map_err(script_err)?;
        Ok(())
    }

    fn database(&self, path: &str) -> SResult<DatabaseSpec> {
        let d = self.db_meta(path).map_err(script_err)?;
        spec_of(&d).map_err(script_err)
    }

    fn database_exists(&self, path: &str) -> bool {
        self.read(|s| s.databases.contains_key(path))
            .unwrap_or(false)
    }

    fn drop_database(&self, path: &str) -> SResult<()> {
        let _w = lock(&self.commit).map_err(script_err)?;
        let r = self
            .apply(&MetaCommand::DropDatabase {
                path: path.to_string(),
            })
            .map_err(script_err)?;
        self.collect(r).map_err(script_err)?;
        Ok(())
    }

    fn databases(&self) -> Vec<String> {
        self.read(|s| s.databases.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn add_partitions(&self, path: &str, values: &Vector, level: usize) -> SResult<usize> {
        self.op(|| {
            let _w = lock(&self.commit).map_err(script_err)?;
            let d = self.db_meta(path).map_err(script_err)?;
            let spec = spec_of(&d).map_err(script_err)?;
            let Some(l) = spec.levels.get(level) else {
                return Err(script::Error::new("The partition level doesn't exist"));
            };
            let Some(old) = l.scheme.as_vector() else {
                return Err(script::Error::new("The partition scheme is not a vector"));
            };
            let conv = value::convert::cast(values, old.ty, old.scale)?;
            let scheme = Scheme::new(std::slice::from_ref(l)).map_err(script_err)?;
            let add = match l.ptype {
                PartitionType::Value => new_values(&scheme.levels[0], &conv).map_err(script_err)?,
                PartitionType::Range => {
                    // New boundaries past the last one extend the range.
                    let last = old.len() - 1;
                    let idx: Vec<i64> = (0..conv.len())
                        .filter(|&i| {
                            let (a, b) = (old.i64_at(last), conv.i64_at(i));
                            match (old.str_at(last), conv.str_at(i)) {
                                (Some(x), Some(y)) => y > x,
                                _ => matches!((a, b), (Some(a), Some(b)) if b > a),
                            }
                        })
                        .map(|i| i as i64)
                        .collect();
                    conv.take(&idx)
                }
                _ => {
                    return Err(script::Error::new(
                        "Only VALUE and RANGE domains can add partitions",
                    ))
                }
            };
            let n = add.len();
            if n == 0 {
                return Ok(0);
            }
            let mut all = old.clone();
            all.extend(&add);
            let scheme_bytes = wire(&Value::vector(all)).map_err(script_err)?;
            self.apply(&MetaCommand::SetScheme {
                db: path.to_string(),
                level,
                scheme: scheme_bytes,
            })
            .map_err(script_err)?;
            Ok(n)
        })
    }

    fn create_table(&self, req: &CreateTable) -> SResult<()> {
        self.op(|| {
            let d = self.db_meta(&req.db).map_err(script_err)?;
            if d.tables.keys().any(|n| n.eq_ignore_ascii_case(&req.name)) {
                return Err(script::Error::new(format!(
                    "The table [{}] already exists in the database [{}]",
                    req.name, req.db
                )));
            }
            for c in &req.columns {
                if matches!(c.ty.storage(), value::Storage::Any | value::Storage::Void) {
                    return Err(script::Error::new(format!(
                        "The column [{}] has type {}, which a DFS table can't store",
                        c.name,
                        c.ty.name()
                    )));
                }
            }
            self.apply(&MetaCommand::CreateTable {
                db: req.db.clone(),
                table: TableMeta {
                    name: req.name.clone(),
                    id: String::new(),
                    columns: req.columns.iter().map(column_meta).collect(),
                    partition_columns: req.partition_columns.clone(),
                    sort_columns: req.sort_columns.clone(),
                    keep_duplicates: req.keep_duplicates.clone(),
                },
            })
            .map_err(script_err)?;
            Ok(())
        })
    }

    fn table(&self, db: &str, name: &str) -> SResult<DfsTableInfo> {
        let (d, t) = self.table_meta(db, name).map_err(script_err)?;
        info_of(&d, &t).map_err(script_err)
    }

    fn table_exists(&self, db: &str, name: &str) -> bool {
        self.table_meta(db, name).is_ok()
    }

    fn tables(&self, db: &str) -> SResult<Vec<String>> {
        let d = self.db_meta(db).map_err(script_err)?;
        Ok(d.tables.keys().cloned().collect())
    }

    fn drop_table(&self, db: &str, name: &str) -> SResult<()> {
        let _w = lock(&self.commit).map_err(script_err)?;
        let (_, t) = self.table_meta(db, name).map_err(script_err)?;
        let r = self
            .apply(&MetaCommand::DropTable {
                db: db.to_string(),
                name: t.name,
            })
            .map_err(script_err)?;
        self.collect(r).map_err(script_err)?;
        Ok(())
    }

    fn rename_table(&self, db: &str, old: &str, new: &str) -> SResult<()> {
        let (_, t) = self.table_meta(db, old).map_err(script_err)?;
        self.apply(&MetaCommand::RenameTable {
            db: db.to_string(),
            old: t.name,
            new: new.to_string(),
        })
        .map_err(script_err)?;
        Ok(())
    }

    fn add_columns(&self, db: &str, name: &str, columns: &[ColumnSpec]) -> SResult<()> {
        let (_, t) = self.table_meta(db, name).map_err(script_err)?;
        self.apply(&MetaCommand::AddColumns {
            db: db.to_string(),
            table: t.name,
            columns: columns.iter().map(column_meta).collect(),
        })
        .map_err(script_err)?;
        Ok(())
    }

    fn truncate(&self, db: &str, name: &str) -> SResult<()> {
        let _w = lock(&self.commit).map_err(script_err)?;
        let (_, t) = self.table_meta(db, name).map_err(script_err)?;
        let r = self
            .apply(&MetaCommand::DropTablets {
                db: db.to_string(),
                table: Some(t.name),
                partitions: Vec::new(),
            })
            .map_err(script_err)?;
        self.collect(r).map_err(script_err)?;
        Ok(())
    }

    fn drop_partitions(
        &self,
        db: &str,
        table: Option<&str>,
        which: &PartitionSelector,
    ) -> SResult<usize> {
        let _w = lock(&self.commit).map_err(script_err)?;
        let d = self.db_meta(db).map_err(script_err)?;
        let table = match table {
            Some(n) => Some(self.table_meta(db, n).map_err(script_err)?.1.name),
            None => None,
        };
        let paths = self.paths_of(&d, which).map_err(script_err)?;
        if paths.is_empty() {
            return Ok(0);
        }
        let r = self
            .apply(&MetaCommand::DropTablets {
                db: db.to_string(),
                table,
                partitions: paths,
            })
            .map_err(script_err)?;
        self.collect(r).map_err(script_err)
    }

    fn append(&self, db: &str, name: &str, rows: &Table) -> SResult<usize> {
        self.retry_changed(|| self.append_once(db, name, rows))
    }

    fn upsert(
        &self,
        db: &str,
        name: &str,
        rows: &Table,
        key_columns: &[String],
        ignore_null: bool,
    ) -> SResult<usize> {
        self.retry_changed(|| self.upsert_once(db, name, rows, key_columns, ignore_null))
    }

    fn replace_partitions(&self, plan: &ScanPlan, parts: Vec<(usize, Table)>) -> SResult<()> {
        self.op(|| {
            let _w = lock(&self.commit).map_err(script_err)?;
            let (d, t) = self.table_meta(&plan.db, &plan.table).map_err(script_err)?;
            if t.id != plan.table_id {
                return Err(script::Error::new(
                    "The table was dropped or replaced while the statement ran",
                ));
            }
            let schema = tablet_schema(&d, &t);
            let mut writes = Vec::with_capacity(parts.len());
            for (i, rows) in parts {
                let Some(p) = plan.partitions.get(i) else {
                    return Err(script::Error::new("No such partition in the plan"));
                };
                if self.tablet_version(&p.chunk, &t.id) != p.version {
                    return Err(script::Error::new(format!(
                    "The partition [{}] was changed by another transaction; nothing was written",
                    p.path
                )));
                }
                writes.push(Write {
                    kind: WriteKind::Replace,
                    chunk: p.chunk.clone(),
                    table: t.id.clone(),
                    schema: schema.clone(),
                    rows,
                });
            }
            self.commit_writes(writes).map_err(script_err)
        })
    }

    fn plan_scan(&self, db: &str, name: &str, preds: &[ColumnPredicate]) -> SResult<ScanPlan> {
        self.op(|| {
            let (d, t) = self.table_meta(db, name).map_err(script_err)?;
            let info = info_of(&d, &t).map_err(script_err)?;
            let scheme = Scheme::new(&info.database.levels).map_err(script_err)?;
            let allowed = if t.partition_columns.is_empty() {
                Vec::new()
            } else {
                scheme.allowed(&t.partition_columns, preds)
            };
            self.read(|state| {
                let mut partitions = Vec::new();
                for (path, chunk) in &d.partitions {
                    let Some(m) = state.chunks.get(chunk) else {
                        continue;
                    };
                    let Some(tab) = m.tablets.get(&t.id) else {
                        continue;
                    };
                    if !t.partition_columns.is_empty() && !scheme.matches(&m.keys, &allowed) {
                        continue;
                    }
                    partitions.push((
                        m.keys.clone(),
                        PartitionRef {
                            path: path.clone(),
                            chunk: chunk.clone(),
                            version: tab.version,
                        },
                    ));
                }
                // Partition order: by scheme position, as DolphinDB lists them.
                partitions.sort_by(|a, b| a.0.cmp(&b.0));
                ScanPlan {
                    db: db.to_string(),
                    table: t.name.clone(),
                    cid: state.counters.last_cid,
                    table_id: t.id.clone(),
                    partitions: partitions.into_iter().map(|p| p.1).collect(),
                    info,
                }
            })
            .map_err(script_err)
        })
    }

    fn read_partition(&self, plan: &ScanPlan, part: usize, columns: &[String]) -> SResult<Table> {
        self.read_partition_where(plan, part, columns, &RowFilter::default())
    }

    fn read_partition_where(
        &self,
        plan: &ScanPlan,
        part: usize,
        columns: &[String],
        filter: &RowFilter,
    ) -> SResult<Table> {
        match self.map_partition_with(plan, part, columns, filter, None)? {
            Mapped::Rows(t) => Ok(t),
            Mapped::Partials(_) => Err(script::Error::new("A read gave partial aggregates")),
        }
    }

    fn map_partition(
        &self,
        plan: &ScanPlan,
        part: usize,
        columns: &[String],
        filter: &RowFilter,
        task: &MapTask,
    ) -> SResult<Mapped> {
        self.map_partition_with(plan, part, columns, filter, Some(task))
    }

    fn flush_cache(&self) -> SResult<()> {
        self.store.flush().map_err(script_err)
    }

    fn chunks(&self) -> SResult<Table> {
        let stats: HashMap<(String, String), (u64, u64)> = self
            .store
            .tablets()
            .into_iter()
            .map(|t| ((t.chunk, t.table), (t.rows, t.disk_bytes)))
            .collect();
        let state = self.read(|s| s.clone()).map_err(script_err)?;
        let mut ids = Vec::new();
        let mut paths = Vec::new();
        let mut versions = Vec::new();
        let mut rows = Vec::new();
        let mut bytes = Vec::new();
        for c in state.chunks.values().filter(|c| self.holds(c)) {
            ids.push(c.id.clone());
            paths.push(format!("{}{}", db_dir(&c.db), c.partition));
            versions.push(c.version as i64);
            let (r, b) = c.tablets.keys().fold((0, 0), |(r, b), t| {
                let (x, y) = stats
                    .get(&(c.id.clone(), t.clone()))
                    .copied()
                    .unwrap_or((0, 0));
                (r + x, b + y)
            });
            rows.push(r as i64);
            bytes.push(b as i64);
        }
        let n = ids.len();
        Ok(Table::new(
            vec![
                "chunkId".into(),
                "dfsPath".into(),
                "chunkType".into(),
                "version".into(),
                "rowNum".into(),
                "diskUsage".into(),
            ],
            vec![
                Vector::from_strings(ids),
                Vector::from_strings(paths),
                Vector::from_strings(vec!["TABLET".to_string(); n]),
                Vector::from_i64(DataType::Long, versions),
                Vector::from_i64(DataType::Long, rows),
                Vector::from_i64(DataType::Long, bytes),
            ],
        ))
    }

    fn tablets(&self, db: &str) -> SResult<Table> {
        let stats: HashMap<(String, String), (u64, u64)> = self
            .store
            .tablets()
            .into_iter()
            .map(|t| ((t.chunk, t.table), (t.rows, t.disk_bytes)))
            .collect();
        let state = self.read(|s| s.clone()).map_err(script_err)?;
        let (mut ids, mut paths, mut names, mut versions, mut cids, mut rows, mut bytes) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for c in state.chunks.values().filter(|c| self.holds(c)) {
            if !db.is_empty() && c.db != db {
                continue;
            }
            let Some(d) = state.databases.get(&c.db) else {
                continue;
            };
            for (tid, tab) in &c.tablets {
                let name = d
                    .tables
                    .values()
                    .find(|t| &t.id == tid)
                    .map(|t| t.name.clone())
                    .unwrap_or_default();
                let (r, b) = stats
                    .get(&(c.id.clone(), tid.clone()))
                    .copied()
                    .unwrap_or((0, 0));
                ids.push(c.id.clone());
                paths.push(format!("{}{}", db_dir(&c.db), c.partition));
                names.push(name);
                versions.push(tab.version as i64);
                cids.push(tab.last_cid as i64);
                rows.push(r as i64);
                bytes.push(b as i64);
            }
        }
        Ok(Table::new(
            vec![
                "chunkId".into(),
                "path".into(),
                "tableName".into(),
                "version".into(),
                "cid".into(),
                "rowNum".into(),
                "diskUsage".into(),
            ],
            vec![
                Vector::from_strings(ids),
                Vector::from_strings(paths),
                Vector::from_strings(names),
                Vector::from_i64(DataType::Long, versions),
                Vector::from_i64(DataType::Long, cids),
                Vector::from_i64(DataType::Long, rows),
                Vector::from_i64(DataType::Long, bytes),
            ],
        ))
    }
}

/// Writes on a cluster that race with another node's: retried on a fresh catalog.
impl LocalDfs {
    /// Runs a write again (up to `RACE_RETRIES` times) when its commit was refused because
    /// another node's transaction created or changed a tablet it writes meanwhile.
    fn retry_changed<R>(&self, mut f: impl FnMut() -> SResult<R>) -> SResult<R> {
        let mut attempt = 0;
        loop {
            match f() {
                Err(e)
                    if attempt < RACE_RETRIES
                        && matches!(self.meta, Meta::Cluster(_))
                        && e.message().contains(crate::replica::link::CHANGED) =>
                {
                    tracing::info!(
                        "a write raced another node's and runs again: {}",
                        e.message()
                    );
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    /// The chunks `rows` go to (chunks created for new partitions) and each one's row positions,
    /// with the table and its tablet schema. Caller holds the commit lock.
    fn route(
        &self,
        db: &str,
        name: &str,
        rows: &Table,
    ) -> Result<(TableMeta, TabletSchema, Vec<(String, Vec<i64>)>)> {
        let (d, t, scheme, groups) = self.locate_current(db, name, rows)?;
        let keys: Vec<&Vec<u32>> = groups.keys().collect();
        let chunks = self.chunks_for_current(&d, &t, &scheme, &keys)?;
        let schema = tablet_schema(&d, &t);
        let routed = chunks.into_iter().zip(groups.into_values()).collect();
        Ok((t, schema, routed))
    }

    fn append_once(&self, db: &str, name: &str, rows: &Table) -> SResult<usize> {
        self.op(|| {
            let _w = lock(&self.commit).map_err(script_err)?;
            let (t, schema, routed) = self.route(db, name, rows).map_err(script_err)?;
            let mut written = 0;
            let mut writes = Vec::with_capacity(routed.len());
            for (chunk, idx) in routed {
                written += idx.len();
                let part = if idx.len() == rows.rows() {
                    rows.clone()
                } else {
                    take_rows(rows, &idx)
                };
                writes.push(Write {
                    kind: WriteKind::Append,
                    chunk,
                    table: t.id.clone(),
                    schema: schema.clone(),
                    rows: part,
                });
            }
            self.commit_writes(writes).map_err(script_err)?;
            Ok(written)
        })
    }

    fn upsert_once(
        &self,
        db: &str,
        name: &str,
        rows: &Table,
        key_columns: &[String],
        ignore_null: bool,
    ) -> SResult<usize> {
        self.op(|| {
            let _w = lock(&self.commit).map_err(script_err)?;
            let (t, schema, routed) = self.route(db, name, rows).map_err(script_err)?;
            let cid = self.read(|s| s.counters.last_cid).map_err(script_err)?;
            let upsert = script::builtins::lookup("upsert!")
                .ok_or_else(|| script::Error::new("upsert! is not available"))?;
            let key_names = Value::vector(Vector::from_strings(key_columns.to_vec()));
            let mut written = 0;
            let mut writes = Vec::with_capacity(routed.len());
            for (chunk, idx) in routed {
                written += idx.len();
                let new = take_rows(rows, &idx);
                let old = self
                    .scan_tablet(&chunk, &t.id, cid, &schema.columns)
                    .map_err(script_err)?;
                let mut env = QuietEnv::default();
                let merged = (upsert.f)(
                    &mut env,
                    &[
                        Value::table(old),
                        Value::table(new),
                        Value::bool(ignore_null),
                        key_names.clone(),
                    ],
                )?;
                let Value::Table(merged) = merged else {
                    return Err(script::Error::new("upsert! did not return a table"));
                };
                writes.push(Write {
                    kind: WriteKind::Replace,
                    chunk,
                    table: t.id.clone(),
                    schema: schema.clone(),
                    rows: (*merged).clone(),
                });
            }
            self.commit_writes(writes).map_err(script_err)?;
            Ok(written)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Partition schemes: `storage::partition` over the levels as scripts give them.

/// A database's partition levels, as `storage::partition` places rows, names partitions and
/// prunes them.
struct Scheme {
    levels: Vec<Level>,
}

/// A scheme value as a vector (VALUE, RANGE, one LIST element, HASH's `[type, buckets]`).
fn scheme_vector(v: &Value) -> Result<Vector> {
    match v {
        Value::Vector(x) | Value::Pair(x) => Ok((**x).clone()),
        Value::Scalar(x) => Ok(x.clone()),
        _ => err!("A partition scheme must be a vector"),
    }
}

fn level_of(l: &PartitionLevel) -> Result<Level> {
    Ok(match l.ptype {
        PartitionType::Value => Level::value(scheme_vector(&l.scheme)?)?,
        PartitionType::Range => Level::range(scheme_vector(&l.scheme)?)?,
        PartitionType::Hash => {
            let v = scheme_vector(&l.scheme)?;
            let code = v.get(0).as_i64().unwrap_or(0);
            let ty = DataType::from_code((code & 0xFF) as u8).unwrap_or(DataType::Int);
            let buckets = v.get(1).as_i64().unwrap_or(0).max(1) as usize;
            Level::hash(ty, buckets)?
        }
        PartitionType::List => {
            let Value::Vector(items) = &l.scheme else {
                err!("The partition scheme of a LIST domain must be a tuple");
            };
            let mut lists: Vec<Vector> = Vec::with_capacity(items.len());
            for i in 0..items.len() {
                let v = scheme_vector(&items.get(i))?;
                let v = match lists.first() {
                    Some(f) if f.ty != v.ty => match comparable(&v, f.ty) {
                        Some(v) => v,
                        None => err!("The lists of a LIST domain must have one type"),
                    },
                    _ => v,
                };
                lists.push(v);
            }
            Level::list(lists)?
        }
        PartitionType::Seq | PartitionType::Compo => {
            err!("Unsupported partition level {}", l.ptype.name())
        }
    })
}

impl Scheme {
    fn new(levels: &[PartitionLevel]) -> Result<Scheme> {
        Ok(Scheme {
            levels: levels.iter().map(level_of).collect::<Result<_>>()?,
        })
    }

    /// DolphinDB's path of a partition: `/20170807/Key3`.
    fn path(&self, keys: &[u32]) -> String {
        let mut p = String::new();
        for (l, k) in self.levels.iter().zip(keys) {
            p.push('/');
            p.push_str(&l.name(*k as usize));
        }
        p
    }

    /// Whether a partition is among the allowed ones of every level (None = any).
    fn matches(&self, keys: &[u32], allowed: &[Option<HashSet<usize>>]) -> bool {
        keys.iter().zip(allowed).all(|(k, a)| {
            a.as_ref()
                .map(|s| s.contains(&(*k as usize)))
                .unwrap_or(true)
        })
    }

    /// Per level (partitioned by `columns`, one per level), the partitions that may hold rows
    /// meeting every predicate; None when the predicates do not narrow the level.
    fn allowed(
        &self,
        columns: &[String],
        preds: &[ColumnPredicate],
    ) -> Vec<Option<HashSet<usize>>> {
        self.levels
            .iter()
            .zip(columns)
            .map(|(l, c)| {
                let mut out: Option<HashSet<usize>> = None;
                for p in preds.iter().filter(|p| p.column.eq_ignore_ascii_case(c)) {
                    let Some(pred) = predicate_of(&p.op, l.data_type()) else {
                        continue;
                    };
                    let Ok(keep) = l.prune(&pred) else {
                        continue;
                    };
                    let keep: HashSet<usize> = keep.into_iter().collect();
                    out = Some(match out {
                        Some(o) => o.intersection(&keep).copied().collect(),
                        None => keep,
                    });
                }
                out
            })
            .collect()
    }
}

/// `x` as `ty` when comparing it with values of `ty` keeps its meaning: same type, text and
/// text, integers and integers, dates (or times of day) and dates of another unit, which
/// convert by flooring. None otherwise (a DOUBLE constant against an INT scheme, ...).
fn comparable(x: &Vector, ty: DataType) -> Option<Vector> {
    use DataType::*;
    if x.ty == ty {
        return Some(x.clone());
    }
    let dated = |t: DataType| {
        matches!(
            t,
            Date | Month | DateTime | DateHour | Timestamp | NanoTimestamp
        )
    };
    let clock = |t: DataType| matches!(t, Time | Minute | Second | NanoTime);
    let integral = |t: DataType| t.is_integral() && !t.is_temporal();
    let both = |f: &dyn Fn(DataType) -> bool| f(x.ty) && f(ty);
    if both(&|t: DataType| t.is_literal()) {
        return Some(x.clone());
    }
    if both(&integral) || both(&dated) || both(&clock) || x.ty == Void {
        return value::convert::cast(x, ty, 0).ok();
    }
    None
}

fn constant(v: &Value, ty: DataType) -> Option<Vector> {
    let x = match v {
        Value::Scalar(x) => x.clone(),
        Value::Vector(x) | Value::Pair(x) => (**x).clone(),
        _ => return None,
    };
    comparable(&x, ty)
}

/// A `where` condition as a pruning predicate on a level of type `ty` (strict bounds are
/// kept inclusive: pruning only has to keep every partition that may match).
fn predicate_of(op: &PredicateOp, ty: DataType) -> Option<Predicate> {
    Some(match op {
        PredicateOp::Eq(v) => Predicate::In(constant(v, ty)?),
        PredicateOp::In(v) => Predicate::In(comparable(v, ty)?),
        PredicateOp::Between(a, b) => Predicate::Range {
            lo: Some(constant(a, ty)?),
            hi: Some(constant(b, ty)?),
        },
        PredicateOp::Lt(v) | PredicateOp::Le(v) => Predicate::Range {
            lo: None,
            hi: Some(constant(v, ty)?),
        },
        PredicateOp::Gt(v) | PredicateOp::Ge(v) => Predicate::Range {
            lo: Some(constant(v, ty)?),
            hi: None,
        },
    })
}

/// The partition of each row of a partitioning column on one level.
fn locate(level: &Level, col: &Vector) -> Result<Vec<Option<usize>>> {
    level.locate(col).map_err(|_| {
        Error(format!(
            "The partitioning column of type {} doesn't match the partition scheme of type {}",
            col.ty.name(),
            level.data_type().name()
        ))
    })
}

/// Values of a partitioning column that no VALUE partition holds yet.
fn new_values(level: &Level, col: &Vector) -> Result<Vector> {
    level.new_values(col).map_err(|_| {
        Error(format!(
            "The partitioning column of type {} doesn't match the partition scheme of type {}",
            col.ty.name(),
            level.data_type().name()
        ))
    })
}

/// Rows by partition, from each level's partition of every row: (the partition's index at
/// each level, its rows in order). A row out of every partition of a level is not written
/// (RANGE/LIST, VALUE with the skip policy). One number per row stands for its partitions, and
/// a run of rows in one partition costs one lookup.
fn group_rows(located: &[Vec<Option<usize>>], rows: usize) -> BTreeMap<Vec<u32>, Vec<i64>> {
    // Each level's partition index (below PARTITIONS_MAX) has its own bits of the number.
    const BITS: u32 = storage::partition::PARTITIONS_MAX.trailing_zeros() + 1;
    const _: () = assert!(BITS * storage::partition::LEVELS_MAX as u32 <= 64);
    let mut index: HashMap<u64, usize, value::hash::FxBuild> = HashMap::default();
    let mut groups: Vec<(Vec<u32>, Vec<i64>)> = Vec::new();
    let mut last: Option<(u64, usize)> = None;
    'rows: for r in 0..rows {
        let mut code = 0u64;
        for l in located {
            match l[r] {
                Some(k) => code = (code << BITS) | k as u64,
                None => continue 'rows,
            }
        }
        let g = match last {
            Some((c, g)) if c == code => g,
            _ => {
                let g = *index.entry(code).or_insert_with(|| {
                    let key = located
                        .iter()
                        .filter_map(|l| l[r])
                        .map(|k| k as u32)
                        .collect();
                    groups.push((key, Vec::new()));
                    groups.len() - 1
                });
                last = Some((code, g));
                g
            }
        };
        groups[g].1.push(r as i64);
    }
    groups.into_iter().collect()
}

/// An environment for calling pure built-ins from Rust.
#[derive(Default)]
struct QuietEnv {
    host: LocalHost,
}

impl Env for QuietEnv {
    fn call(&mut self, f: &Value, args: &[Value]) -> script::Result<Value> {
        match f {
            Value::Object(o) => match script::builtins::lookup(&o.describe()) {
                Some(b) => (b.f)(self, args),
                None => Err(script::Error::new("Can't call a function here")),
            },
            _ => Err(script::Error::new("Can't call a function here")),
        }
    }
    fn print(&mut self, _text: &str) {}
    fn get_var(&self, _name: &str) -> Option<Value> {
        None
    }
    fn set_var(&mut self, _name: &str, _v: Value) -> script::Result<()> {
        Ok(())
    }
    fn host(&self) -> &dyn Host {
        &self.host
    }
}
