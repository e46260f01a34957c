//! What scripts and SQL need of DolphinDB's distributed file system (docs/dfs.md).
//!
//! This module only speaks values: the `cluster` crate implements [`Dfs`] over its catalog and
//! the storage engine, and the node hands it to sessions through `Host::dfs()`. The handles
//! `database(...)` and `loadTable(...)` return are defined here too, so every built-in and the
//! SQL planner can recognise them.

use std::sync::Arc;

use value::{DataType, Object, Table, Value, Vector};

use crate::{bail, Result};

/// DolphinDB's partition type codes, as `schema(db).partitionType` reports them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PartitionType {
    Seq = 0,
    Value = 1,
    Range = 2,
    List = 3,
    Compo = 4,
    Hash = 5,
}

impl PartitionType {
    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn from_code(code: i64) -> Option<PartitionType> {
        Some(match code {
            0 => PartitionType::Seq,
            1 => PartitionType::Value,
            2 => PartitionType::Range,
            3 => PartitionType::List,
            4 => PartitionType::Compo,
            5 => PartitionType::Hash,
            _ => return None,
        })
    }

    /// `partitionTypeName`.
    pub fn name(self) -> &'static str {
        match self {
            PartitionType::Seq => "SEQ",
            PartitionType::Value => "VALUE",
            PartitionType::Range => "RANGE",
            PartitionType::List => "LIST",
            PartitionType::Compo => "COMPO",
            PartitionType::Hash => "HASH",
        }
    }
}

/// One level of a partition scheme: its type and the scheme as the user gave it (VALUE and
/// RANGE: a vector; LIST: a tuple of vectors; HASH: `[type, buckets]`). For an existing
/// database the scheme is the current one (VALUE partitions added since creation included).
#[derive(Clone, Debug)]
pub struct PartitionLevel {
    pub ptype: PartitionType,
    pub scheme: Value,
}

/// The storage engine of a database.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    #[default]
    Olap,
    Tsdb,
}

impl Engine {
    pub fn parse(text: &str) -> Option<Engine> {
        match text.to_ascii_uppercase().as_str() {
            "OLAP" => Some(Engine::Olap),
            "TSDB" => Some(Engine::Tsdb),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Olap => "OLAP",
            Engine::Tsdb => "TSDB",
        }
    }
}

/// Everything `database(directory, partitionType, partitionScheme, ...)` says about a database.
#[derive(Clone, Debug)]
pub struct DatabaseSpec {
    /// One level, or 2-3 for COMPO.
    pub levels: Vec<PartitionLevel>,
    pub engine: Engine,
    /// `TRANS` or `CHUNK`.
    pub atomic: String,
    /// `TABLE` or `DATABASE`.
    pub chunk_granularity: String,
}

impl DatabaseSpec {
    /// The partition type the database reports: COMPO for several levels.
    pub fn partition_type(&self) -> PartitionType {
        if self.levels.len() > 1 {
            PartitionType::Compo
        } else {
            self.levels
                .first()
                .map(|l| l.ptype)
                .unwrap_or(PartitionType::Value)
        }
    }
}

/// One column of a DFS table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: String,
    pub ty: DataType,
    /// Decimal scale; 0 otherwise.
    pub scale: u8,
    /// Array vector column (`DOUBLE[]`).
    pub array: bool,
    /// `compressMethods`: "lz4" (default) or "delta".
    pub compress: String,
}

impl ColumnSpec {
    /// An empty vector of this column's type.
    pub fn empty_vector(&self) -> Vector {
        let mut v = if self.array {
            Vector::empty_array(self.ty)
        } else {
            Vector::empty(self.ty)
        };
        v.scale = self.scale;
        v
    }
}

/// `createPartitionedTable` / `createTable` / `createDimensionTable`.
#[derive(Clone, Debug)]
pub struct CreateTable {
    pub db: String,
    pub name: String,
    pub columns: Vec<ColumnSpec>,
    /// Empty for a dimension (unpartitioned) table; one per level otherwise.
    pub partition_columns: Vec<String>,
    /// TSDB: the sort columns.
    pub sort_columns: Vec<String>,
    /// TSDB: `ALL`, `LAST` or `FIRST`.
    pub keep_duplicates: String,
}

/// A DFS table's definition as the catalog holds it.
#[derive(Clone, Debug)]
pub struct DfsTableInfo {
    pub db: String,
    pub name: String,
    pub columns: Vec<ColumnSpec>,
    pub partition_columns: Vec<String>,
    pub sort_columns: Vec<String>,
    pub keep_duplicates: String,
    pub database: DatabaseSpec,
}

impl DfsTableInfo {
    /// A table with the schema and no rows.
    pub fn empty_table(&self) -> Table {
        let mut t = Table::new(
            self.columns.iter().map(|c| c.name.clone()).collect(),
            self.columns.iter().map(|c| c.empty_vector()).collect(),
        );
        t.name = self.name.clone();
        t
    }

    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name).or_else(|| {
            self.columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
        })
    }

    pub fn is_dimension(&self) -> bool {
        self.partition_columns.is_empty()
    }
}

/// A condition on one column that partition pruning understands.
#[derive(Clone, Debug)]
pub enum PredicateOp {
    Eq(Value),
    In(Vector),
    /// Inclusive at both ends, as `between` is.
    Between(Value, Value),
    Lt(Value),
    Le(Value),
    Gt(Value),
    Ge(Value),
}

/// `column <op> constant`, extracted from a `where` clause; the conditions of one scan are
/// and-ed.
#[derive(Clone, Debug)]
pub struct ColumnPredicate {
    pub column: String,
    pub op: PredicateOp,
}

/// One partition a scan reads.
#[derive(Clone, Debug)]
pub struct PartitionRef {
    /// DolphinDB's partition path, e.g. `/20220101/Key3`.
    pub path: String,
    /// The chunk id (UUID text).
    pub chunk: String,
    /// The chunk's version when the plan was made; a rewrite checks it is unchanged.
    pub version: u32,
}

/// The partitions of a table that a query reads, all at one snapshot.
#[derive(Clone, Debug)]
pub struct ScanPlan {
    pub db: String,
    pub table: String,
    /// The snapshot: the latest committed CID when the plan was made.
    pub cid: u64,
    /// The table's stable id in the store (unchanged by renames).
    pub table_id: String,
    pub partitions: Vec<PartitionRef>,
    pub info: DfsTableInfo,
}

/// What names partitions in `dropPartition`: their paths, or values of the partition
/// column(s) (one vector per level, or one for the first level).
#[derive(Clone, Debug)]
pub enum PartitionSelector {
    Paths(Vec<String>),
    Values(Vec<Value>),
}

/// The distributed file system as scripts see it. Every write is one transaction: all of it is
/// visible, or none.
pub trait Dfs: Send + Sync {
    // --- databases ---
    fn create_database(&self, path: &str, spec: &DatabaseSpec) -> Result<()>;
    /// The definition of an existing database.
    fn database(&self, path: &str) -> Result<DatabaseSpec>;
    fn database_exists(&self, path: &str) -> bool;
    fn drop_database(&self, path: &str) -> Result<()>;
    /// Every DFS database path (`getDFSDatabases`).
    fn databases(&self) -> Vec<String>;
    /// `addValuePartitions` (level = the COMPO level holding VALUE) / `addRangePartitions`.
    /// Returns how many partitions were added.
    fn add_partitions(&self, path: &str, values: &Vector, level: usize) -> Result<usize>;

    // --- tables ---
    fn create_table(&self, req: &CreateTable) -> Result<()>;
    fn table(&self, db: &str, name: &str) -> Result<DfsTableInfo>;
    fn table_exists(&self, db: &str, name: &str) -> bool;
    fn tables(&self, db: &str) -> Result<Vec<String>>;
    fn drop_table(&self, db: &str, name: &str) -> Result<()>;
    fn rename_table(&self, db: &str, old: &str, new: &str) -> Result<()>;
    fn add_columns(&self, db: &str, name: &str, columns: &[ColumnSpec]) -> Result<()>;
    /// Removes every row of a table (`truncate`).
    fn truncate(&self, db: &str, name: &str) -> Result<()>;
    /// `dropPartition`: removes the rows of the selected partitions, of one table or of every
    /// table of the database.
    fn drop_partitions(
        &self,
        db: &str,
        table: Option<&str>,
        which: &PartitionSelector,
    ) -> Result<usize>;

    // --- writes ---
    /// Appends rows whose columns already have the table's names and types, in one
    /// transaction. Returns the number of rows written.
    fn append(&self, db: &str, name: &str, rows: &Table) -> Result<usize>;
    /// `upsert!`: rows whose key exists replace that row; the rest are appended.
    fn upsert(
        &self,
        db: &str,
        name: &str,
        rows: &Table,
        key_columns: &[String],
        ignore_null: bool,
    ) -> Result<usize>;
    /// `update` / `delete`: the new full content of some partitions of a plan, in one
    /// transaction. Fails without writing when another write changed one of them since the
    /// plan was made.
    fn replace_partitions(&self, plan: &ScanPlan, parts: Vec<(usize, Table)>) -> Result<()>;

    // --- reads ---
    /// The partitions that may hold rows matching every predicate, at the latest snapshot.
    fn plan_scan(&self, db: &str, name: &str, preds: &[ColumnPredicate]) -> Result<ScanPlan>;
    /// One partition's rows at the plan's snapshot, only `columns` (all when empty).
    fn read_partition(&self, plan: &ScanPlan, part: usize, columns: &[String]) -> Result<Table>;
    /// `read_partition`, keeping at least the rows that pass `filter`: a cluster's replica
    /// applies it before the rows cross the network. The caller still applies its `where`
    /// clause to the answer (this default filters nothing).
    fn read_partition_where(
        &self,
        plan: &ScanPlan,
        part: usize,
        columns: &[String],
        filter: &crate::sql::pushdown::RowFilter,
    ) -> Result<Table> {
        let _ = filter;
        self.read_partition(plan, part, columns)
    }

    /// One partition's map step of a partial-aggregate query: [`Mapped::Partials`] when a
    /// replica ran `task` where the rows are (a cluster's remote replica), else the
    /// partition's rows as `read_partition_where` gives them, for the caller to map.
    fn map_partition(
        &self,
        plan: &ScanPlan,
        part: usize,
        columns: &[String],
        filter: &crate::sql::pushdown::RowFilter,
        task: &crate::sql::map_task::MapTask,
    ) -> Result<Mapped> {
        let _ = task;
        self.read_partition_where(plan, part, columns, filter)
            .map(Mapped::Rows)
    }

    // --- introspection ---
    /// `getAllChunks()`.
    fn chunks(&self) -> Result<Table>;
    /// `getTabletsMeta()`-style: one row per tablet of `db` (every database when empty).
    fn tablets(&self, db: &str) -> Result<Table>;

    // --- maintenance ---
    /// `flushOLAPCache()` / `flushTSDBCache()`: writes the cache engine's rows to segments.
    fn flush_cache(&self) -> Result<()> {
        Ok(())
    }
}

/// A database handle: what `database(...)` returns. An in-memory one (directory "") only
/// carries a scheme, for use as a COMPO level.
#[derive(Clone, Debug)]
pub struct DatabaseHandle {
    pub path: String,
    pub spec: DatabaseSpec,
}

impl Object for DatabaseHandle {
    fn data_type(&self) -> DataType {
        DataType::Handle
    }
    fn describe(&self) -> String {
        format!("DB[{}]", self.path)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A DFS table handle: what `loadTable` and `createPartitionedTable` return. It holds only
/// names; every use asks the catalog, so it never goes stale.
#[derive(Clone, Debug)]
pub struct DfsTableHandle {
    pub db: String,
    pub table: String,
}

impl Object for DfsTableHandle {
    fn data_type(&self) -> DataType {
        DataType::Handle
    }
    fn describe(&self) -> String {
        self.table.clone()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl DfsTableHandle {
    pub fn value(db: &str, table: &str) -> Value {
        Value::Object(Arc::new(DfsTableHandle {
            db: db.to_string(),
            table: table.to_string(),
        }))
    }
}

/// The DFS table handle inside a value, if it is one.
/// What [`Dfs::map_partition`] gives.
pub enum Mapped {
    /// The partition's rows (at least those the filter keeps).
    Rows(Table),
    /// The map step's answer, laid out as `sql::map_task::Partials::into_table` does.
    Partials(Table),
}

pub fn as_table_handle(v: &Value) -> Option<&DfsTableHandle> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<DfsTableHandle>(),
        _ => None,
    }
}

/// The database handle inside a value, if it is one.
pub fn as_database_handle(v: &Value) -> Option<&DatabaseHandle> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<DatabaseHandle>(),
        _ => None,
    }
}

/// The node's DFS, or DolphinDB's error when this node has none.
pub fn dfs_of(host: &dyn crate::Host) -> Result<Arc<dyn Dfs>> {
    match host.dfs() {
        Some(d) => Ok(d),
        None => bail!("The DFS is not enabled on this node"),
    }
}
