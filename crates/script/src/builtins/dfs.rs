//! Built-ins: DFS databases and tables (`database`, `createPartitionedTable`, `loadTable`,
//! `dropPartition`, `getAllChunks`...), and the DFS side of `tableInsert`, `append!`,
//! `upsert!`, `schema` and `addColumn`, which the table built-ins dispatch here when their
//! first argument is a DFS table or database handle.
//!
//! Everything goes through the node's `Dfs` (`Host::dfs()`); rows are converted to the table's
//! column types here, before anything is written, so a mismatch writes nothing.

use std::sync::Arc;

use value::{Data, DataType, Dict, Table, Value, Vector};

use super::data_util::{str_arg, strings_arg, type_arg};
use super::stats::params::bind;
use super::tables::{column_type_string, insert_rows};
use super::{builtin, Builtin, Env, Kind};
use crate::dfs::{
    as_database_handle, dfs_of, ColumnSpec, CreateTable, DatabaseHandle, DatabaseSpec,
    DfsTableHandle, DfsTableInfo, Engine, PartitionLevel, PartitionSelector, PartitionType,
};
use crate::{bail, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("database", 0, 7, Kind::Other, database),
        builtin("existsDatabase", 1, 1, Kind::Other, exists_database),
        builtin("dropDatabase", 1, 1, Kind::Other, drop_database),
        builtin("getDFSDatabases", 0, 0, Kind::Other, get_dfs_databases),
        builtin(
            "addValuePartitions",
            2,
            3,
            Kind::Other,
            add_value_partitions,
        ),
        builtin(
            "addRangePartitions",
            2,
            4,
            Kind::Other,
            add_range_partitions,
        ),
        builtin(
            "createPartitionedTable",
            4,
            9,
            Kind::Other,
            create_partitioned_table,
        ),
        builtin("createTable", 3, 9, Kind::Other, create_table),
        builtin("createDimensionTable", 3, 9, Kind::Other, create_table),
        builtin("loadTable", 2, 4, Kind::Other, load_table),
        builtin("existsTable", 2, 2, Kind::Other, exists_table),
        builtin("getTables", 1, 1, Kind::Other, get_tables),
        builtin("dropTable", 2, 2, Kind::Other, drop_table),
        builtin("dropPartition", 2, 5, Kind::Other, drop_partition),
        builtin("truncate", 2, 2, Kind::Other, truncate),
        builtin("renameTable", 3, 3, Kind::Other, rename_table),
        builtin("getAllChunks", 0, 0, Kind::Other, get_all_chunks),
        builtin("getTabletsMeta", 0, 4, Kind::Other, get_tablets_meta),
        builtin("getChunksMeta", 0, 2, Kind::Other, get_tablets_meta),
        builtin("sqlDS", 1, 2, Kind::Other, sql_ds),
        builtin("mr", 2, 5, Kind::Other, mr),
        builtin("getChunkPath", 1, 1, Kind::Other, get_chunk_path),
        builtin("flushOLAPCache", 0, 0, Kind::Other, flush_cache),
        builtin("flushTSDBCache", 0, 0, Kind::Other, flush_cache),
    ]
}

/// A database path from a handle or a string.
pub(crate) fn db_path_arg(func: &str, v: &Value) -> Result<String> {
    if let Some(h) = as_database_handle(v) {
        return Ok(h.path.clone());
    }
    match v.as_str() {
        Some(s) => Ok(s.to_string()),
        None => bail!(
            "The database argument of function [{}] must be a database handle or a path",
            func
        ),
    }
}

fn check_dfs_path(path: &str) -> Result<()> {
    if !path.starts_with("dfs://") || path.len() <= "dfs://".len() {
        bail!(
            "The database path [{}] must start with dfs:// and name a database",
            path
        );
    }
    Ok(())
}

/// `database(directory, [partitionType], [partitionScheme], [locations], [engine='OLAP'],
/// [atomic='TRANS'], [chunkGranularity='TABLE'])`.
fn database(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    const NAMES: [&str; 7] = [
        "directory",
        "partitionType",
        "partitionScheme",
        "locations",
        "engine",
        "atomic",
        "chunkGranularity",
    ];
    let p = bind(env, "database", args, &NAMES)?;
    let path = match p.get(0) {
        Some(v) => str_arg("database", v, "directory")?.to_string(),
        None => String::new(),
    };
    let Some(ptype) = p.get(1) else {
        // An existing database.
        if path.is_empty() {
            bail!("The partition type of an in-memory database must be given");
        }
        check_dfs_path(&path)?;
        let dfs = dfs_of(env.host())?;
        let spec = dfs.database(&path)?;
        return Ok(handle(path, spec));
    };
    let Some(ptype) = ptype.as_i64().and_then(PartitionType::from_code) else {
        bail!("Invalid partition type. It must be SEQ, VALUE, RANGE, LIST, COMPO or HASH");
    };
    let Some(scheme) = p.get(2) else {
        bail!("The partition scheme of a new database must be given");
    };
    let text = |i: usize, default: &str| -> Result<String> {
        match p.get(i) {
            Some(v) => Ok(str_arg("database", v, NAMES[i])?.to_ascii_uppercase()),
            None => Ok(default.to_string()),
        }
    };
    let engine = text(4, "OLAP")?;
    let Some(engine) = Engine::parse(&engine) else {
        bail!("The engine must be OLAP or TSDB");
    };
    let atomic = text(5, "TRANS")?;
    if atomic != "TRANS" && atomic != "CHUNK" {
        bail!("The atomic parameter must be TRANS or CHUNK");
    }
    let granularity = text(6, "TABLE")?;
    if granularity != "TABLE" && granularity != "DATABASE" {
        bail!("The chunkGranularity parameter must be TABLE or DATABASE");
    }
    let levels = partition_levels(ptype, scheme)?;
    let spec = DatabaseSpec {
        levels,
        engine,
        atomic,
        chunk_granularity: granularity,
    };
    if path.is_empty() {
        return Ok(handle(path, spec));
    }
    check_dfs_path(&path)?;
    let dfs = dfs_of(env.host())?;
    if dfs.database_exists(&path) {
        let old = dfs.database(&path)?;
        if old.partition_type() != spec.partition_type() || old.levels.len() != spec.levels.len() {
            bail!(
                "It is not allowed to overwrite an existing database [{}] with a different \
                 partition type or scheme",
                path
            );
        }
        return Ok(handle(path, old));
    }
    dfs.create_database(&path, &spec)?;
    let spec = dfs.database(&path)?;
    Ok(handle(path, spec))
}

fn handle(path: String, spec: DatabaseSpec) -> Value {
    Value::Object(Arc::new(DatabaseHandle { path, spec }))
}

/// Checks the shape of a scheme and splits a COMPO scheme into its levels.
fn partition_levels(ptype: PartitionType, scheme: &Value) -> Result<Vec<PartitionLevel>> {
    let vector = |v: &Value| -> Result<()> {
        match v {
            Value::Vector(x) | Value::Pair(x) if x.ty != DataType::Any && !x.is_array() => Ok(()),
            _ => bail!(
                "The partition scheme of a {} domain must be a vector",
                ptype.name()
            ),
        }
    };
    match ptype {
        PartitionType::Seq => {
            bail!("A DFS database doesn't support the sequential (SEQ) partition type")
        }
        PartitionType::Value => vector(scheme)?,
        PartitionType::Range => {
            vector(scheme)?;
            if scheme.len() < 2 {
                bail!("The partition scheme of a RANGE domain must have at least 2 elements");
            }
        }
        PartitionType::List => {
            if !matches!(scheme, Value::Vector(v) if v.ty == DataType::Any) {
                bail!("The partition scheme of a LIST domain must be a tuple");
            }
        }
        PartitionType::Hash => {
            let ok = match scheme {
                Value::Vector(v) if v.len() == 2 => {
                    let n = v.get(1).as_i64().unwrap_or(0);
                    type_arg(&v.get(0)).is_ok() && n > 0
                }
                _ => false,
            };
            if !ok {
                bail!(
                    "The partition scheme of a HASH domain must be a tuple of a data type and \
                     the number of partitions"
                );
            }
        }
        PartitionType::Compo => {
            let items: Vec<Value> = match scheme {
                Value::Vector(v) => (0..v.len()).map(|i| v.get(i)).collect(),
                _ => Vec::new(),
            };
            if !(2..=3).contains(&items.len()) {
                bail!("A COMPO domain must have 2 or 3 levels, each a database handle");
            }
            let mut levels = Vec::new();
            for it in &items {
                let Some(h) = as_database_handle(it) else {
                    bail!("Each level of a COMPO domain must be a database handle");
                };
                if h.spec.levels.len() != 1 {
                    bail!("A COMPO domain can't nest another COMPO domain");
                }
                levels.push(h.spec.levels[0].clone());
            }
            return Ok(levels);
        }
    }
    Ok(vec![PartitionLevel {
        ptype,
        scheme: scheme.clone(),
    }])
}

fn exists_database(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let path = str_arg("existsDatabase", &args[0], "dbUrl")?;
    Ok(Value::bool(match env.host().dfs() {
        Some(d) => d.database_exists(path),
        None => false,
    }))
}

fn drop_database(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let path = db_path_arg("dropDatabase", &args[0])?;
    dfs_of(env.host())?.drop_database(&path)?;
    Ok(Value::void())
}

fn get_dfs_databases(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    let names = match env.host().dfs() {
        Some(d) => d.databases(),
        None => Vec::new(),
    };
    Ok(Value::vector(Vector::from_strings(names)))
}

/// The COMPO level (0-based) of the given type, for `add*Partitions`.
fn level_arg(
    func: &str,
    spec: &DatabaseSpec,
    level: Option<&Value>,
    want: PartitionType,
) -> Result<usize> {
    let level = match level {
        Some(v) if !v.is_void() => match v.as_i64() {
            Some(l) if l >= 0 => l as usize,
            _ => bail!(
                "The level argument of function [{}] must be a non-negative integer",
                func
            ),
        },
        _ => match spec.levels.iter().position(|l| l.ptype == want) {
            Some(l) => l,
            None => 0,
        },
    };
    match spec.levels.get(level) {
        Some(l) if l.ptype == want => Ok(level),
        _ => bail!(
            "The partition type of the database (level {}) must be {} for function [{}]",
            level,
            want.name(),
            func
        ),
    }
}

fn add_partitions(
    env: &mut dyn Env,
    args: &[Value],
    func: &str,
    want: PartitionType,
) -> Result<Value> {
    let path = db_path_arg(func, &args[0])?;
    let dfs = dfs_of(env.host())?;
    let spec = dfs.database(&path)?;
    let level = level_arg(func, &spec, args.get(2), want)?;
    let values = match &args[1] {
        Value::Scalar(s) => s.clone(),
        Value::Vector(v) | Value::Pair(v) => (**v).clone(),
        _ => bail!(
            "The new partitions of function [{}] must be a scalar or vector",
            func
        ),
    };
    let n = dfs.add_partitions(&path, &values, level)?;
    Ok(Value::int(n as i32))
}

fn add_value_partitions(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    add_partitions(env, args, "addValuePartitions", PartitionType::Value)
}

fn add_range_partitions(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    add_partitions(env, args, "addRangePartitions", PartitionType::Range)
}

/// The columns of a schema table (`createPartitionedTable`'s `table` argument).
fn column_specs(func: &str, t: &Value, compress: Option<&Value>) -> Result<Vec<ColumnSpec>> {
    let Value::Table(t) = t else {
        bail!("The table argument of function [{}] must be a table", func);
    };
    let mut cols: Vec<ColumnSpec> = t
        .names
        .iter()
        .zip(&t.columns)
        .map(|(n, c)| ColumnSpec {
            name: n.clone(),
            ty: c.ty,
            scale: c.scale,
            array: c.is_array(),
            compress: "lz4".to_string(),
        })
        .collect();
    if let Some(c) = compress {
        let Value::Dict(d) = c else {
            bail!("compressMethods must be a dictionary from column names to methods");
        };
        for i in 0..d.len() {
            let (Some(name), Some(method)) = (
                d.keys.get(i).as_str().map(str::to_string),
                d.values.get(i).as_str().map(str::to_ascii_lowercase),
            ) else {
                bail!("compressMethods must be a dictionary from column names to methods");
            };
            if !matches!(method.as_str(), "lz4" | "delta" | "zstd") {
                bail!(
                    "The compression method {} is not supported. Use lz4, delta or zstd",
                    method
                );
            }
            match cols.iter_mut().find(|c| c.name.eq_ignore_ascii_case(&name)) {
                Some(c) => c.compress = method,
                None => bail!(
                    "The column [{}] in compressMethods doesn't exist in the table",
                    name
                ),
            }
        }
    }
    Ok(cols)
}

/// `createPartitionedTable(dbHandle, table, tableName, partitionColumns, [compressMethods],
/// [sortColumns], [keepDuplicates=ALL])`.
fn create_partitioned_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    const NAMES: [&str; 9] = [
        "dbHandle",
        "table",
        "tableName",
        "partitionColumns",
        "compressMethods",
        "sortColumns",
        "keepDuplicates",
        "sortKeyMappingFunction",
        "softDelete",
    ];
    let p = bind(env, "createPartitionedTable", args, &NAMES)?;
    let parts = strings_arg("createPartitionedTable", p.req(3)?, "partitionColumns")?;
    if parts.is_empty() {
        bail!("The partitionColumns of function [createPartitionedTable] can't be empty");
    }
    create(env, &p, "createPartitionedTable", parts, [4, 5, 6])
}

/// `createTable` / `createDimensionTable(dbHandle, table, tableName, [compressMethods],
/// [sortColumns], [keepDuplicates])`: an unpartitioned table.
fn create_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    const NAMES: [&str; 9] = [
        "dbHandle",
        "table",
        "tableName",
        "compressMethods",
        "sortColumns",
        "keepDuplicates",
        "primaryKey",
        "sortKeyMappingFunction",
        "softDelete",
    ];
    let p = bind(env, "createTable", args, &NAMES)?;
    create(env, &p, "createTable", Vec::new(), [3, 4, 5])
}

fn create(
    env: &mut dyn Env,
    p: &super::stats::params::Params,
    func: &str,
    partition_columns: Vec<String>,
    [compress, sort, keep]: [usize; 3],
) -> Result<Value> {
    let Some(db) = p.get(0).and_then(as_database_handle) else {
        bail!(
            "The first argument of function [{}] must be a database handle",
            func
        );
    };
    if db.path.is_empty() {
        bail!("Function [{}] needs a DFS database handle", func);
    }
    let name = str_arg(func, p.req(2)?, "tableName")?.to_string();
    let columns = column_specs(func, p.req(1)?, p.get(compress))?;
    let sort_columns = match p.get(sort) {
        Some(v) => strings_arg(func, v, "sortColumns")?,
        None => Vec::new(),
    };
    let keep_duplicates = match p.get(keep) {
        Some(v) => str_arg(func, v, "keepDuplicates")?.to_ascii_uppercase(),
        None => "ALL".to_string(),
    };
    if !matches!(keep_duplicates.as_str(), "ALL" | "LAST" | "FIRST") {
        bail!("keepDuplicates must be ALL, LAST or FIRST");
    }
    if db.spec.engine == Engine::Tsdb && sort_columns.is_empty() {
        bail!("sortColumns must be specified for a table in a TSDB database");
    }
    if db.spec.engine == Engine::Olap && !sort_columns.is_empty() {
        bail!("sortColumns is only supported for tables in a TSDB database");
    }
    for c in partition_columns.iter().chain(&sort_columns) {
        if !columns.iter().any(|s| s.name.eq_ignore_ascii_case(c)) {
            bail!("The column [{}] doesn't exist in the table", c);
        }
    }
    check_array_columns(&columns, db.spec.engine, &partition_columns, &sort_columns)?;
    if !partition_columns.is_empty() && partition_columns.len() != db.spec.levels.len() {
        bail!(
            "The number of partitioning columns ({}) must match the number of partition levels \
             of the database ({})",
            partition_columns.len(),
            db.spec.levels.len()
        );
    }
    let dfs = dfs_of(env.host())?;
    dfs.create_table(&CreateTable {
        db: db.path.clone(),
        name: name.clone(),
        columns,
        partition_columns,
        sort_columns,
        keep_duplicates,
    })?;
    Ok(DfsTableHandle::value(&db.path, &name))
}

/// Array vector columns (DolphinDB's array vector docs): only TSDB tables hold them, their
/// cells are logical, integral (not INT128), floating, DECIMAL or temporal, and they cannot
/// be partitioning or sort columns.
fn check_array_columns(
    columns: &[ColumnSpec],
    engine: Engine,
    partition_columns: &[String],
    sort_columns: &[String],
) -> Result<()> {
    for c in columns.iter().filter(|c| c.array) {
        if engine != Engine::Tsdb {
            bail!(
                "The OLAP engine doesn't support array vectors: column [{}] is {}[]. Use the \
                 TSDB engine",
                c.name,
                c.ty.name()
            );
        }
        let cell_ok = matches!(
            c.ty.category(),
            value::Category::Logical
                | value::Category::Integral
                | value::Category::Floating
                | value::Category::Temporal
                | value::Category::Denary
        ) && !matches!(c.ty, DataType::Int128 | DataType::Decimal128);
        if !cell_ok {
            bail!(
                "An array vector column can't hold {} values: column [{}]",
                c.ty.name(),
                c.name
            );
        }
        if partition_columns
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&c.name))
        {
            bail!(
                "The array vector column [{}] can't be a partitioning column",
                c.name
            );
        }
        if sort_columns.iter().any(|p| p.eq_ignore_ascii_case(&c.name)) {
            bail!(
                "The array vector column [{}] can't be a sort column",
                c.name
            );
        }
    }
    Ok(())
}

/// `loadTable(database, tableName)`: a handle; the data stays where it is.
fn load_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let path = db_path_arg("loadTable", &args[0])?;
    let name = str_arg("loadTable", &args[1], "tableName")?;
    check_dfs_path(&path)?;
    let dfs = dfs_of(env.host())?;
    dfs.table(&path, name)?;
    Ok(DfsTableHandle::value(&path, name))
}

fn exists_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let path = db_path_arg("existsTable", &args[0])?;
    let name = str_arg("existsTable", &args[1], "tableName")?;
    Ok(Value::bool(match env.host().dfs() {
        Some(d) => d.table_exists(&path, name),
        None => false,
    }))
}

fn get_tables(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let path = db_path_arg("getTables", &args[0])?;
    let names = dfs_of(env.host())?.tables(&path)?;
    Ok(Value::vector(Vector::from_strings(names)))
}

fn drop_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let path = db_path_arg("dropTable", &args[0])?;
    let name = str_arg("dropTable", &args[1], "tableName")?;
    dfs_of(env.host())?.drop_table(&path, name)?;
    Ok(Value::void())
}

/// `dropPartition(dbHandle, partitionPaths, [tableName], [forceDelete], [deleteSchema])`:
/// paths (`"/20220101/Key3"`, a string or string vector) or partition-column values.
fn drop_partition(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let path = db_path_arg("dropPartition", &args[0])?;
    let table = match args.get(2) {
        Some(v) if !v.is_void() => Some(str_arg("dropPartition", v, "tableName")?.to_string()),
        _ => None,
    };
    let which = partition_selector(&args[1])?;
    dfs_of(env.host())?.drop_partitions(&path, table.as_deref(), &which)?;
    Ok(Value::void())
}

fn partition_selector(v: &Value) -> Result<PartitionSelector> {
    let is_path = |s: &str| s.starts_with('/');
    match v {
        Value::Scalar(s) if s.ty.is_literal() => {
            let text = s.str_at(0).unwrap_or("");
            if is_path(text) {
                return Ok(PartitionSelector::Paths(vec![text.to_string()]));
            }
            Ok(PartitionSelector::Values(vec![v.clone()]))
        }
        Value::Vector(x) if x.ty.is_literal() => {
            let items: Vec<String> = (0..x.len())
                .map(|i| x.str_at(i).unwrap_or("").to_string())
                .collect();
            if items.iter().all(|s| is_path(s)) {
                return Ok(PartitionSelector::Paths(items));
            }
            Ok(PartitionSelector::Values(vec![v.clone()]))
        }
        Value::Vector(x) if x.ty == DataType::Any => match &x.data {
            Data::Any(items) => Ok(PartitionSelector::Values(items.clone())),
            _ => Ok(PartitionSelector::Values(vec![v.clone()])),
        },
        Value::Scalar(_) | Value::Vector(_) | Value::Pair(_) => {
            Ok(PartitionSelector::Values(vec![v.clone()]))
        }
        _ => bail!("partitionPaths must be a path, a vector of paths, or partition values"),
    }
}

fn truncate(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let path = db_path_arg("truncate", &args[0])?;
    let name = str_arg("truncate", &args[1], "tableName")?;
    dfs_of(env.host())?.truncate(&path, name)?;
    Ok(Value::void())
}

fn rename_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let path = db_path_arg("renameTable", &args[0])?;
    let old = str_arg("renameTable", &args[1], "tableName")?;
    let new = str_arg("renameTable", &args[2], "newTableName")?;
    dfs_of(env.host())?.rename_table(&path, old, new)?;
    Ok(Value::void())
}

fn get_all_chunks(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    Ok(Value::table(dfs_of(env.host())?.chunks()?))
}

fn get_tablets_meta(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    // getTabletsMeta([chunkPath], [tableName], [diskUsage], [top]): the chunk path's database
    // part selects the database.
    let db = match args.first() {
        Some(v) if !v.is_void() => {
            let p = str_arg("getTabletsMeta", v, "chunkPath")?;
            let p = p.trim_end_matches('%').trim_end_matches('/');
            let name = p.trim_start_matches('/').split('/').next().unwrap_or("");
            if name.is_empty() {
                String::new()
            } else {
                format!("dfs://{}", name)
            }
        }
        _ => String::new(),
    };
    Ok(Value::table(dfs_of(env.host())?.tablets(&db)?))
}

// --- the DFS side of table built-ins (called from tables.rs / vectors.rs) ---

/// Converts new rows to the table's schema: by position, with the same conversions as
/// `tableInsert` on an in-memory table. Errors before anything is written.
fn rows_for(info: &DfsTableInfo, data: &[Value]) -> Result<Table> {
    // A table whose columns already have the schema's types (what the clients' appenders
    // send): its columns as they are, matched by position as below, without a copy.
    if let [Value::Table(t)] = data {
        let same = t.cols() == info.columns.len()
            && t.columns.iter().zip(&info.columns).all(|(c, spec)| {
                c.ty == spec.ty
                    && c.is_array() == spec.array
                    && (c.scale == spec.scale || !spec.ty.is_decimal())
                    && c.len() == t.rows()
            });
        if same {
            return Ok(Table {
                name: info.name.clone(),
                names: info.columns.iter().map(|c| c.name.clone()).collect(),
                columns: t.columns.clone(),
                kind: value::TableKind::Basic,
            });
        }
    }
    let empty = info.empty_table();
    let (mut t, _) = insert_rows(&empty, data)?;
    t.name = info.name.clone();
    Ok(t)
}

/// `tableInsert(dfsTable, data...)` / `append!(dfsTable, data)`: the number of rows written.
pub(crate) fn insert(env: &mut dyn Env, h: &DfsTableHandle, data: &[Value]) -> Result<usize> {
    let dfs = dfs_of(env.host())?;
    let info = dfs.table(&h.db, &h.table)?;
    let rows = rows_for(&info, data)?;
    if rows.rows() == 0 {
        return Ok(0);
    }
    dfs.append(&h.db, &h.table, &rows)
}

/// `upsert!(dfsTable, newData, [ignoreNull], [keyColNames])`.
pub(crate) fn upsert(env: &mut dyn Env, h: &DfsTableHandle, args: &[Value]) -> Result<Value> {
    let dfs = dfs_of(env.host())?;
    let info = dfs.table(&h.db, &h.table)?;
    const NAMES: [&str; 4] = ["obj", "newData", "ignoreNull", "keyColNames"];
    let p = bind(env, "upsert!", args, &NAMES)?;
    let rows = rows_for(&info, std::slice::from_ref(p.req(1)?))?;
    let ignore_null = p.flag(2, false)?;
    let keys = match p.get(3) {
        Some(v) => strings_arg("upsert!", v, "keyColNames")?,
        _ if info.database.engine == Engine::Tsdb => info.sort_columns.clone(),
        _ => bail!("The keyColNames of function [upsert!] must be given for an OLAP table"),
    };
    for k in &keys {
        if info.column(k).is_none() {
            bail!("The column [{}] doesn't exist in the table", k);
        }
    }
    if rows.rows() > 0 {
        dfs.upsert(&h.db, &h.table, &rows, &keys, ignore_null)?;
    }
    Ok(args[0].clone())
}

/// `addColumn(dfsTable, colNames, colTypes)`.
pub(crate) fn add_column(env: &mut dyn Env, h: &DfsTableHandle, args: &[Value]) -> Result<Value> {
    let names = strings_arg("addColumn", &args[1], "colNames")?;
    let types: Vec<Value> = match &args[2] {
        Value::Vector(v) => (0..v.len()).map(|i| v.get(i)).collect(),
        s => vec![s.clone()],
    };
    if names.len() != types.len() {
        bail!("The number of column names must match the number of column types");
    }
    let mut cols = Vec::with_capacity(names.len());
    for (n, t) in names.iter().zip(&types) {
        let (ty, scale, array) = type_arg(t)?;
        cols.push(ColumnSpec {
            name: n.clone(),
            ty,
            scale,
            array,
            compress: "lz4".to_string(),
        });
    }
    let dfs = dfs_of(env.host())?;
    let engine = dfs.database(&h.db)?.engine;
    check_array_columns(&cols, engine, &[], &[])?;
    dfs.add_columns(&h.db, &h.table, &cols)?;
    Ok(args[0].clone())
}

fn dict(entries: Vec<(&str, Value)>) -> Value {
    let (k, v): (Vec<String>, Vec<Value>) =
        entries.into_iter().map(|(k, v)| (k.to_string(), v)).unzip();
    Value::dict(Dict::from_vectors(
        Vector::from_strings(k),
        Vector::from_values(v),
    ))
}

/// What `partitionSchema` shows for one level: the scheme vector, LIST's tuple, HASH's bucket
/// count.
fn scheme_display(l: &PartitionLevel) -> Value {
    match (l.ptype, &l.scheme) {
        (PartitionType::Hash, Value::Vector(v)) if v.len() == 2 => v.get(1),
        (_, s) => s.clone(),
    }
}

/// The type of a level's partitioning column: the scheme's element type, HASH's given type.
fn scheme_type(l: &PartitionLevel) -> i32 {
    match (l.ptype, &l.scheme) {
        (PartitionType::Hash, Value::Vector(v)) if v.len() == 2 => {
            type_arg(&v.get(0)).map(|t| t.0.code() as i32).unwrap_or(0)
        }
        (PartitionType::List, Value::Vector(v)) => match v.len() {
            0 => 0,
            _ => v.get(0).data_type().code() as i32,
        },
        (_, s) => s.data_type().code() as i32,
    }
}

/// Per-level values: a scalar for one level, a vector (or tuple) for COMPO.
fn per_level(spec: &DatabaseSpec, f: impl Fn(&PartitionLevel) -> Value) -> Value {
    let items: Vec<Value> = spec.levels.iter().map(f).collect();
    if items.len() == 1 {
        return items.into_iter().next().unwrap_or_else(Value::void);
    }
    let v = super::data_util::vector_from_scalars(&items);
    Value::vector(v)
}

fn db_entries(path: &str, spec: &DatabaseSpec) -> Vec<(&'static str, Value)> {
    let schemes: Vec<Value> = spec.levels.iter().map(scheme_display).collect();
    let scheme = if schemes.len() == 1 {
        schemes.into_iter().next().unwrap_or_else(Value::void)
    } else {
        Value::tuple(schemes)
    };
    vec![
        ("databaseDir", Value::string(path)),
        ("partitionSchema", scheme),
        ("partitionSites", Value::void()),
        (
            "partitionType",
            per_level(spec, |l| Value::int(l.ptype.code())),
        ),
        (
            "partitionTypeName",
            per_level(spec, |l| Value::string(l.ptype.name())),
        ),
        (
            "partitionColumnType",
            per_level(spec, |l| Value::int(scheme_type(l))),
        ),
        ("atomic", Value::string(spec.atomic.clone())),
        (
            "chunkGranularity",
            Value::string(spec.chunk_granularity.clone()),
        ),
        ("engineType", Value::string(spec.engine.name())),
    ]
}

/// `schema(dbHandle)`: a DFS database's current definition (VALUE partitions added since the
/// handle was made included).
pub(crate) fn schema_of_database(env: &mut dyn Env, h: &DatabaseHandle) -> Result<Value> {
    if h.path.is_empty() {
        return Ok(dict(db_entries(&h.path, &h.spec)));
    }
    let spec = dfs_of(env.host())?.database(&h.path)?;
    Ok(dict(db_entries(&h.path, &spec)))
}

/// `schema(dfsTable)`: the database's entries, the column definitions and the partitioning
/// columns.
pub(crate) fn schema_of_table(env: &mut dyn Env, h: &DfsTableHandle) -> Result<Value> {
    let info = dfs_of(env.host())?.table(&h.db, &h.table)?;
    let mut entries = db_entries(&info.db, &info.database);
    entries.retain(|(k, _)| *k != "databaseDir");
    let n = info.columns.len();
    let empty: Vec<Vector> = info.columns.iter().map(|c| c.empty_vector()).collect();
    let col_defs = Table::new(
        vec![
            "name".into(),
            "typeString".into(),
            "typeInt".into(),
            "extra".into(),
            "comment".into(),
        ],
        vec![
            Vector::from_strings(info.columns.iter().map(|c| c.name.clone()).collect()),
            Vector::from_strings(empty.iter().map(column_type_string).collect()),
            Vector::from_i32(
                DataType::Int,
                empty.iter().map(|c| c.type_code() as i32).collect(),
            ),
            Vector::from_i32(
                DataType::Int,
                info.columns
                    .iter()
                    .map(|c| {
                        if c.ty.is_decimal() {
                            c.scale as i32
                        } else {
                            i32::MIN
                        }
                    })
                    .collect(),
            ),
            Vector::from_strings(vec![String::new(); n]),
        ],
    );
    let compress = Table::new(
        vec!["name".into(), "compressMethods".into()],
        vec![
            Vector::from_strings(info.columns.iter().map(|c| c.name.clone()).collect()),
            Vector::from_strings(info.columns.iter().map(|c| c.compress.clone()).collect()),
        ],
    );
    entries.push(("colDefs", Value::table(col_defs)));
    entries.push(("compressMethods", Value::table(compress)));
    entries.push((
        "keepDuplicates",
        Value::string(info.keep_duplicates.clone()),
    ));
    entries.push(("chunkPath", Value::string("")));
    entries.push(("dbUrl", Value::string(info.db.clone())));
    entries.push(("tableName", Value::string(info.name.clone())));
    if !info.sort_columns.is_empty() {
        entries.push((
            "sortColumns",
            Value::vector(Vector::from_strings(info.sort_columns.clone())),
        ));
    }
    if info.is_dimension() {
        entries.push(("partitionColumnIndex", Value::int(-1)));
    } else {
        let idx: Vec<i32> = info
            .partition_columns
            .iter()
            .map(|p| {
                info.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(p))
                    .map(|i| i as i32)
                    .unwrap_or(-1)
            })
            .collect();
        let names = info.partition_columns.clone();
        if idx.len() == 1 {
            entries.push(("partitionColumnIndex", Value::int(idx[0])));
            entries.push(("partitionColumnName", Value::string(names[0].clone())));
        } else {
            entries.push((
                "partitionColumnIndex",
                Value::vector(Vector::from_i32(DataType::Int, idx)),
            ));
            entries.push((
                "partitionColumnName",
                Value::vector(Vector::from_strings(names)),
            ));
        }
    }
    Ok(dict(entries))
}

// --- sqlDS and mr ---

/// A data source: one partition of a DFS table with the query to run over it, or a whole
/// query over an in-memory source (`plan` None).
#[derive(Debug)]
pub struct DataSource {
    pub stmt: crate::ast::SelectStmt,
    pub plan: Option<Arc<crate::dfs::ScanPlan>>,
    pub part: usize,
}

impl value::Object for DataSource {
    fn data_type(&self) -> DataType {
        DataType::DataSource
    }
    fn describe(&self) -> String {
        match &self.plan {
            Some(p) => format!(
                "DataSource<{} {}>",
                p.db,
                p.partitions
                    .get(self.part)
                    .map(|x| x.path.as_str())
                    .unwrap_or("")
            ),
            None => "DataSource<select>".to_string(),
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `sqlDS(<select ...>)`: one data source per partition of the DFS table the query reads.
fn sql_ds(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    use crate::ast::{Expr, FromClause};
    let Some(Expr::Select(s)) = crate::interp::as_code(&args[0]) else {
        bail!("The argument of function [sqlDS] must be the metacode of a select statement");
    };
    let s = (**s).clone();
    let handle = match &s.from {
        Some(FromClause::Table(e, _)) => match e {
            Expr::Var(n) => env
                .get_var(n)
                .and_then(|v| crate::dfs::as_table_handle(&v).cloned()),
            Expr::Call(f, a)
                if matches!(&**f, Expr::Var(n) if n == "loadTable") && a.len() == 2 =>
            {
                let db = match &a[0] {
                    Expr::Const(v) => v.as_str().map(str::to_string),
                    Expr::Var(n) => env.get_var(n).and_then(|v| db_path_arg("sqlDS", &v).ok()),
                    _ => None,
                };
                let t = match &a[1] {
                    Expr::Const(v) => v.as_str().map(str::to_string),
                    _ => None,
                };
                db.zip(t)
                    .map(|(db, table)| crate::dfs::DfsTableHandle { db, table })
            }
            _ => None,
        },
        _ => None,
    };
    let Some(h) = handle else {
        let ds = DataSource {
            stmt: s,
            plan: None,
            part: 0,
        };
        return Ok(Value::tuple(vec![Value::Object(Arc::new(ds))]));
    };
    // Pruned by the `where` conditions on partitioning columns, as a query is.
    let dfs = dfs_of(env.host())?;
    let columns: Vec<String> = dfs
        .table(&h.db, &h.table)?
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let preds = {
        let mut eval = |e: &Expr| -> Option<Value> {
            match e {
                Expr::Const(v) => Some(v.clone()),
                Expr::Var(n) => env.get_var(n),
                e => eval_detached(env, e).ok(),
            }
        };
        crate::sql::dfs::predicates_with(&mut eval, &s.where_, &columns)
    };
    let plan = Arc::new(dfs.plan_scan(&h.db, &h.table, &preds)?);
    let items = (0..plan.partitions.len())
        .map(|part| {
            Value::Object(Arc::new(DataSource {
                stmt: s.clone(),
                plan: Some(plan.clone()),
                part,
            }))
        })
        .collect();
    Ok(Value::tuple(items))
}

/// Evaluates an expression as a function of no parameters that captured the variables the
/// expression mentions.
fn eval_detached(env: &mut dyn Env, e: &crate::ast::Expr) -> Result<Value> {
    use crate::ast::{FuncDef, Stmt, StmtKind};
    use crate::interp::{Callable, FunctionValue};
    let mut names = std::collections::HashSet::new();
    names_in_expr(e, &mut names);
    let captured = names
        .into_iter()
        .filter_map(|n| env.get_var(&n).map(|v| (n, v)))
        .collect();
    let def = FuncDef {
        name: String::new(),
        params: Vec::new(),
        body: vec![Stmt {
            line: 1,
            kind: StmtKind::Return(Some(e.clone())),
        }],
        is_expr: true,
        source: String::new(),
    };
    let f = FunctionValue::value(Callable::User(Arc::new(def), Arc::new(captured)));
    env.call(&f, &[])
}

/// Every name an expression mentions, inside its subqueries too.
fn names_in_expr(e: &crate::ast::Expr, out: &mut std::collections::HashSet<String>) {
    use crate::ast::{Expr, FromClause, SelectStmt};
    fn from(f: &FromClause, out: &mut std::collections::HashSet<String>) {
        match f {
            FromClause::Table(e, _) => names_in_expr(e, out),
            FromClause::Join {
                left, right, on, ..
            } => {
                from(left, out);
                from(right, out);
                if let Some(on) = on {
                    names_in_expr(on, out);
                }
            }
        }
    }
    fn select(s: &SelectStmt, out: &mut std::collections::HashSet<String>) {
        for it in s.items.iter().chain(&s.group).chain(&s.cgroup) {
            names_in_expr(&it.expr, out);
        }
        for e in s.where_.iter().chain(&s.having).chain(s.top.iter()) {
            names_in_expr(e, out);
        }
        for o in s.order.iter().chain(&s.csort) {
            names_in_expr(&o.expr, out);
        }
        if let Some((a, b)) = &s.limit {
            names_in_expr(b, out);
            if let Some(a) = a {
                names_in_expr(a, out);
            }
        }
        if let Some(f) = &s.from {
            from(f, out);
        }
    }
    crate::sql::expr::visit(e, &mut |x| {
        match x {
            Expr::Var(n) => {
                out.insert(n.clone());
            }
            Expr::Select(s) => select(s, out),
            _ => {}
        }
        true
    });
}

/// `flushOLAPCache()` / `flushTSDBCache()`.
fn flush_cache(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    dfs_of(env.host())?.flush_cache()?;
    Ok(Value::void())
}

/// `getChunkPath(ds)`: the DFS path of each data source's partition (`/valuedb/3`).
fn get_chunk_path(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let sources: Vec<Value> = match &args[0] {
        Value::Vector(v) if v.ty == DataType::Any => (0..v.len()).map(|i| v.get(i)).collect(),
        v => vec![v.clone()],
    };
    let mut out = Vec::with_capacity(sources.len());
    for s in &sources {
        let ds = match s {
            Value::Object(o) => o.as_any().downcast_ref::<DataSource>(),
            _ => None,
        };
        let Some(ds) = ds else {
            bail!("The argument of function [getChunkPath] must be data sources");
        };
        let Some(plan) = &ds.plan else {
            bail!("The data source doesn't read a DFS table");
        };
        let part = plan
            .partitions
            .get(ds.part)
            .map(|p| p.path.as_str())
            .unwrap_or("");
        out.push(format!("/{}{}", plan.db.trim_start_matches("dfs://"), part));
    }
    Ok(Value::vector(Vector::from_strings(out)))
}

/// Runs a data source's query: over its partition's rows, or as written.
fn run_data_source(env: &mut dyn Env, ds: &DataSource) -> Result<Value> {
    use crate::ast::{Expr, FromClause};
    let mut stmt = ds.stmt.clone();
    if let Some(plan) = &ds.plan {
        let rows = dfs_of(env.host())?.read_partition(plan, ds.part, &[])?;
        let alias = match &stmt.from {
            Some(FromClause::Table(Expr::Var(n), None)) => Some(n.clone()),
            Some(FromClause::Table(_, a)) => a.clone(),
            _ => None,
        };
        stmt.from = Some(FromClause::Table(Expr::Const(Value::table(rows)), alias));
    }
    eval_detached(env, &Expr::Select(Box::new(stmt)))
}

/// `mr(ds, mapFunc, [reduceFunc], [finalFunc], [parallel])`.
fn mr(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let sources: Vec<Value> = match &args[0] {
        Value::Vector(v) if v.ty == DataType::Any => (0..v.len()).map(|i| v.get(i)).collect(),
        v => vec![v.clone()],
    };
    let mut mapped = Vec::with_capacity(sources.len());
    for s in &sources {
        let data = match s {
            Value::Object(o) => match o.as_any().downcast_ref::<DataSource>() {
                Some(ds) => run_data_source(env, ds)?,
                None => s.clone(),
            },
            other => other.clone(),
        };
        mapped.push(env.call(&args[1], &[data])?);
    }
    let reduce = args.get(2).filter(|v| !v.is_void());
    let out = match reduce {
        Some(r) => {
            let mut it = mapped.into_iter();
            let Some(mut acc) = it.next() else {
                bail!("mr got no data sources");
            };
            for x in it {
                acc = env.call(r, &[acc, x])?;
            }
            acc
        }
        None => Value::tuple(mapped),
    };
    match args.get(3).filter(|v| !v.is_void()) {
        Some(f) => env.call(f, &[out]),
        None => Ok(out),
    }
}
