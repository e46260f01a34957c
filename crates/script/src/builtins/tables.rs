//! Built-ins: tables and dictionaries. Keys and values, `schema`, column management
//! (`rename!`, `addColumn`, `dropColumns!`, `reorderColumns!`, `replaceColumn!`) and inserts
//! (`tableInsert`, `append!` on tables, `upsert!`) with DolphinDB's column conversions.
//!
//! `tableInsert` changes a table in place in DolphinDB but returns a row count. Here it inserts
//! into the variable (or shared table) named by a string first argument, or else into the
//! variable the table is named after (a table assigned to `t` is named `t`), through
//! `Env::update_var`: the rows go into that variable's current value, under a shared table's
//! update lock, never into a copy read earlier.

use std::sync::Arc;

use value::{Data, DataType, Dict, Table, TableKind, Value, Vector};

use super::data_util::{self, cast, str_arg, strings_arg, type_arg, vector_arg};
use super::vectors::append_vector;
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("keys", 1, 1, Kind::Other, keys),
        builtin("values", 1, 1, Kind::Other, values),
        builtin("schema", 1, 1, Kind::Other, schema),
        builtin("columnNames", 1, 1, Kind::Other, column_names),
        builtin("rows", 1, 1, Kind::Aggregate, rows),
        builtin("cols", 1, 1, Kind::Aggregate, cols),
        builtin("rename!", 2, 3, Kind::Other, rename),
        builtin("addColumn", 3, 3, Kind::Other, add_column),
        builtin("dropColumns!", 2, 2, Kind::Other, drop_columns),
        builtin("reorderColumns!", 2, 2, Kind::Other, reorder_columns),
        builtin("replaceColumn!", 3, 3, Kind::Other, replace_column),
        builtin("tableInsert", 2, 1025, Kind::Other, table_insert),
        builtin("upsert!", 2, 4, Kind::Other, upsert),
    ]
}

/// `keys(X)`: dictionary keys, table column names, set members.
fn keys(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Dict(d) => Ok(Value::vector(d.keys.clone())),
        Value::Table(t) => Ok(Value::vector(Vector::from_strings(t.names.clone()))),
        Value::Set(s) => Ok(Value::vector(s.keys.clone())),
        _ => bail!("The argument of function [keys] must be a dictionary, set or table"),
    }
}

/// `values(X)`: dictionary values; a table's columns as a tuple.
fn values(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Dict(d) => Ok(Value::vector(d.values.clone())),
        Value::Table(t) => Ok(Value::tuple(
            t.columns.iter().map(|c| Value::Vector(c.clone())).collect(),
        )),
        _ => bail!("The argument of function [values] must be a dictionary or table"),
    }
}

/// The type name `schema` shows for a column: `INT`, `DECIMAL32(2)`, `DOUBLE[]`.
pub(crate) fn column_type_string(c: &Vector) -> String {
    let base = if c.ty.is_decimal() {
        format!("{}({})", c.ty.name(), c.scale)
    } else {
        c.ty.name().to_string()
    };
    if c.is_array() {
        format!("{}[]", base)
    } else {
        base
    }
}

/// `schema(t)`: a dictionary whose `colDefs` entry is a table of column definitions.
fn schema(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    // DFS handles (helper dfs).
    if let Some(h) = crate::dfs::as_table_handle(&args[0]) {
        return super::dfs::schema_of_table(env, h);
    }
    if let Some(h) = crate::dfs::as_database_handle(&args[0]) {
        return super::dfs::schema_of_database(env, h);
    }
    let Value::Table(t) = &args[0] else {
        bail!("The argument of function [schema] must be a table");
    };
    let n = t.cols();
    let type_strings: Vec<String> = t.columns.iter().map(|c| column_type_string(c)).collect();
    let type_ints: Vec<i32> = t.columns.iter().map(|c| c.type_code() as i32).collect();
    let extra: Vec<i32> = t
        .columns
        .iter()
        .map(|c| {
            if c.ty.is_decimal() {
                c.scale as i32
            } else {
                i32::MIN
            }
        })
        .collect();
    let col_defs = Table::new(
        vec![
            "name".into(),
            "typeString".into(),
            "typeInt".into(),
            "extra".into(),
            "comment".into(),
        ],
        vec![
            Vector::from_strings(t.names.clone()),
            Vector::from_strings(type_strings),
            Vector::from_i32(DataType::Int, type_ints),
            Vector::from_i32(DataType::Int, extra),
            Vector::from_strings(vec![String::new(); n]),
        ],
    );
    let mut keys = vec!["colDefs".to_string()];
    let mut vals = vec![Value::table(col_defs)];
    if let TableKind::Keyed(k) | TableKind::Indexed(k) = &t.kind {
        keys.push("keyColumns".into());
        vals.push(Value::vector(Vector::from_strings(
            k.iter().map(|&i| t.names[i].clone()).collect(),
        )));
    }
    Ok(Value::dict(Dict::from_vectors(
        Vector::from_strings(keys),
        Vector::from_values(vals),
    )))
}

/// `columnNames(t)`.
fn column_names(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Table(t) => Ok(Value::vector(Vector::from_strings(t.names.clone()))),
        Value::Matrix(m) => Ok(match &m.col_labels {
            Some(l) => Value::vector(l.clone()),
            None => Value::void(),
        }),
        _ => bail!("The argument of function [columnNames] must be a table"),
    }
}

/// `rows(X)`.
fn rows(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::int(match &args[0] {
        Value::Table(t) => t.rows(),
        Value::Matrix(m) => m.rows,
        other => other.len(),
    } as i32))
}

/// `cols(X)`.
fn cols(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::int(match &args[0] {
        Value::Table(t) => t.cols(),
        Value::Matrix(m) => m.cols,
        _ => 1,
    } as i32))
}

/// Row `i` of a table as a dictionary from column name to value.
pub(crate) fn row_dict(t: &Table, i: usize) -> Value {
    let vals: Vec<Value> = t.columns.iter().map(|c| c.get(i)).collect();
    let mut d = Dict::from_vectors(
        Vector::from_strings(t.names.clone()),
        Vector::from_values(vals),
    );
    d.ordered = true;
    Value::dict(d)
}

fn column_index(t: &Table, name: &str) -> Result<usize> {
    match t.column_index(name) {
        Some(i) => Ok(i),
        None => bail!("The column [{}] doesn't exist in the table", name),
    }
}

/// `rename!(t, [oldNames], newNames)`; on a matrix `rename!(m, [rowLabels], colLabels)`.
fn rename(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Table(t) => {
            let mut t2 = (**t).clone();
            if args.len() == 2 {
                let new = strings_arg("rename!", &args[1], "newNames")?;
                if new.len() > t.cols() {
                    bail!("The number of new column names exceeds the number of columns");
                }
                t2.names[..new.len()].clone_from_slice(&new);
            } else {
                let old = strings_arg("rename!", &args[1], "oldNames")?;
                let new = strings_arg("rename!", &args[2], "newNames")?;
                if old.len() != new.len() {
                    bail!("The old and new column names must have the same length");
                }
                for (o, n) in old.iter().zip(new) {
                    let i = column_index(t, o)?;
                    t2.names[i] = n;
                }
            }
            Ok(Value::table(t2))
        }
        Value::Matrix(m) => {
            let mut m2 = (**m).clone();
            let (rows, cols) = if args.len() == 3 {
                (Some(&args[1]), &args[2])
            } else {
                (None, &args[1])
            };
            if let Some(r) = rows {
                let r = vector_arg("rename!", r, "rowLabels")?;
                if r.len() != m.rows {
                    bail!("The row labels must have as many elements as the matrix has rows");
                }
                m2.row_labels = Some(r.clone());
            }
            let c = vector_arg("rename!", cols, "colLabels")?;
            if c.len() != m.cols {
                bail!("The column labels must have as many elements as the matrix has columns");
            }
            m2.col_labels = Some(c.clone());
            Ok(Value::Matrix(Arc::new(m2)))
        }
        _ => bail!("The first argument of function [rename!] must be a table or matrix"),
    }
}

/// `addColumn(t, colNames, colTypes)`: adds null columns.
fn add_column(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if let Some(h) = crate::dfs::as_table_handle(&args[0]) {
        return super::dfs::add_column(env, h, args); // helper dfs
    }
    let Value::Table(t) = &args[0] else {
        bail!("The first argument of function [addColumn] must be a table");
    };
    let names = strings_arg("addColumn", &args[1], "colNames")?;
    let types: Vec<Value> = match &args[2] {
        Value::Vector(v) => (0..v.len()).map(|i| v.get(i)).collect(),
        s => vec![s.clone()],
    };
    if names.len() != types.len() {
        bail!("The number of column names must match the number of column types");
    }
    let add = |t: &Table| -> Result<Table> {
        let mut t2 = t.clone();
        let n = t.rows();
        for (name, ty) in names.iter().zip(&types) {
            if t2.column_index(name).is_some() {
                bail!("The column [{}] already exists", name);
            }
            let (ty, scale, is_array) = type_arg(ty)?;
            let col = if is_array {
                data_util::array_vector(ty, scale, &vec![Vector::empty(ty); n])?
            } else {
                let mut c = Vector::nulls(ty, n);
                c.scale = scale;
                c
            };
            t2.names.push(name.clone());
            t2.columns.push(Arc::new(col));
        }
        Ok(t2)
    };
    if let Some(out) = change_table_var(env, &t.name, &mut |cur| add(cur))? {
        return Ok(out);
    }
    Ok(Value::table(add(t)?))
}

/// Changes the table held by variable `name` (a table's name is the variable it was assigned
/// to) through `Env::update_var`: `change` gets the variable's current value, under a shared
/// table's update lock. None when no variable of that name holds a table.
pub(crate) fn change_table_var(
    env: &mut dyn Env,
    name: &str,
    change: &mut dyn FnMut(&Table) -> Result<Table>,
) -> Result<Option<Value>> {
    if name.is_empty() || !matches!(env.get_var(name), Some(Value::Table(_))) {
        return Ok(None);
    }
    let mut out = None;
    env.update_var(name, &mut |cur| {
        let Value::Table(t) = &*cur else {
            bail!("Can't find the table [{}]", name);
        };
        *cur = Value::table(change(t)?);
        out = Some(cur.clone());
        Ok(())
    })?;
    Ok(out)
}

/// `dropColumns!(t, colNames)`.
fn drop_columns(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let Value::Table(t) = &args[0] else {
        bail!("The first argument of function [dropColumns!] must be a table");
    };
    let names = strings_arg("dropColumns!", &args[1], "colNames")?;
    let mut drop = Vec::new();
    for n in &names {
        drop.push(column_index(t, n)?);
    }
    if let TableKind::Keyed(k) | TableKind::Indexed(k) = &t.kind {
        if k.iter().any(|i| drop.contains(i)) {
            bail!("Can't drop a key column of a keyed table");
        }
    }
    let keep: Vec<usize> = (0..t.cols()).filter(|i| !drop.contains(i)).collect();
    Ok(Value::table(select_columns(t, &keep)))
}

/// The table with only the columns `keep`, in that order (key column indices remapped).
fn select_columns(t: &Table, keep: &[usize]) -> Table {
    let remap = |k: &Vec<usize>| -> Vec<usize> {
        k.iter()
            .filter_map(|i| keep.iter().position(|j| j == i))
            .collect()
    };
    let kind = match &t.kind {
        TableKind::Keyed(k) => TableKind::Keyed(remap(k)),
        TableKind::Indexed(k) => TableKind::Indexed(remap(k)),
        other => other.clone(),
    };
    Table {
        name: t.name.clone(),
        names: keep.iter().map(|&i| t.names[i].clone()).collect(),
        columns: keep.iter().map(|&i| t.columns[i].clone()).collect(),
        kind,
    }
}

/// `reorderColumns!(t, colNames)`: the named columns first, in that order, then the rest.
fn reorder_columns(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let Value::Table(t) = &args[0] else {
        bail!("The first argument of function [reorderColumns!] must be a table");
    };
    let names = strings_arg("reorderColumns!", &args[1], "colNames")?;
    let mut order = Vec::with_capacity(t.cols());
    for n in &names {
        let i = column_index(t, n)?;
        if !order.contains(&i) {
            order.push(i);
        }
    }
    order.extend(
        (0..t.cols())
            .filter(|i| !order.contains(i))
            .collect::<Vec<_>>(),
    );
    Ok(Value::table(select_columns(t, &order)))
}

/// `replaceColumn!(t, colName, newCol)`.
fn replace_column(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let Value::Table(t) = &args[0] else {
        bail!("The first argument of function [replaceColumn!] must be a table");
    };
    let name = str_arg("replaceColumn!", &args[1], "colName")?;
    let i = column_index(t, name)?;
    let col = match &args[2] {
        Value::Vector(v) => (**v).clone(),
        Value::Scalar(s) => data_util::repeat_scalar(s, t.rows()),
        _ => bail!("The new column of function [replaceColumn!] must be a vector"),
    };
    if col.len() != t.rows() {
        bail!("The new column must have the same length as the table");
    }
    let mut t2 = (**t).clone();
    t2.columns[i] = Arc::new(col);
    Ok(Value::table(t2))
}

/// The new rows given to an insert: a table, a tuple of columns, or one value per column.
fn insert_columns(t: &Table, data: &[Value]) -> Result<Vec<Value>> {
    let cols: Vec<Value> = match data {
        [Value::Table(n)] => n.columns.iter().map(|c| Value::Vector(c.clone())).collect(),
        [Value::Vector(v)] if v.ty == DataType::Any && t.cols() != 1 => match &v.data {
            Data::Any(items) => items.clone(),
            _ => Vec::new(),
        },
        [Value::Dict(d)] => {
            let mut out = Vec::with_capacity(t.cols());
            for name in &t.names {
                match d.get_str(name) {
                    Some(v) => out.push(v),
                    None => bail!("The dictionary has no value for column [{}]", name),
                }
            }
            out
        }
        _ => data.to_vec(),
    };
    if cols.len() != t.cols() {
        bail!(
            "The number of columns of the table to insert must be the same as that of the \
             original table ({} vs {})",
            cols.len(),
            t.cols()
        );
    }
    Ok(cols)
}

/// Appends one column's new values, converting them to the column's type.
fn append_column(col: &Vector, new: &Value) -> Result<Vector> {
    if let Data::Any(items) = &col.data {
        let mut items = items.clone();
        match new {
            Value::Vector(v) => match &v.data {
                Data::Any(more) => items.extend(more.iter().cloned()),
                _ => items.extend((0..v.len()).map(|i| v.get(i))),
            },
            other => items.push(other.clone()),
        }
        return Ok(Vector::from_values(items));
    }
    append_vector(col, new)
}

/// Inserts rows into `t` (keyed tables update rows whose key exists); returns the new table
/// and the number of rows given.
pub(crate) fn insert_rows(t: &Table, data: &[Value]) -> Result<(Table, usize)> {
    let cols = insert_columns(t, data)?;
    let before = t.rows();
    let mut new_cols = Vec::with_capacity(cols.len());
    for (c, n) in t.columns.iter().zip(&cols) {
        new_cols.push(append_column(c, n)?);
    }
    let after = new_cols.first().map(|c| c.len()).unwrap_or(0);
    if new_cols.iter().any(|c| c.len() != after) {
        bail!("The columns to insert must have the same length");
    }
    let mut out = Table {
        name: t.name.clone(),
        names: t.names.clone(),
        columns: new_cols.into_iter().map(Arc::new).collect(),
        kind: t.kind.clone(),
    };
    if let TableKind::Keyed(k) | TableKind::Indexed(k) = &t.kind {
        out = super::construct::dedupe_keys(out, k);
    }
    Ok((out, after - before))
}

/// Whether `append_in_place` can take rows for `t`: a plain or stream table (keyed and
/// indexed ones replace rows by key) of typed, non-array columns.
pub(crate) fn appends_in_place(t: &Table) -> bool {
    matches!(t.kind, TableKind::Basic | TableKind::Stream)
        && t.columns
            .iter()
            .all(|c| !c.is_array() && !matches!(c.data, Data::Any(_) | Data::Void(_)))
}

/// `append!(t, data)` / `tableInsert(t, data...)` into `t` itself: each column grows where it is (copied only when
/// another value shares it), so a loop of appends costs the rows appended, not the table's
/// size each time. Every new column is converted and checked first: an error leaves `t` as
/// it was. Returns the number of rows appended.
pub(crate) fn append_in_place(t: &mut Table, data: &[Value]) -> Result<usize> {
    let cols = insert_columns(t, data)?;
    let mut converted = Vec::with_capacity(cols.len());
    for (c, n) in t.columns.iter().zip(&cols) {
        let conv = append_column(&c.take(&[]), n)?;
        if conv.ty != c.ty {
            bail!(
                "Failed to append data of type {} to {}",
                conv.ty.name(),
                c.ty.name()
            );
        }
        converted.push(conv);
    }
    let added = converted.first().map_or(0, |c| c.len());
    if converted.iter().any(|c| c.len() != added) {
        bail!("The columns to insert must have the same length");
    }
    for (c, conv) in t.columns.iter_mut().zip(&converted) {
        if !Arc::make_mut(c).extend(conv) {
            bail!("Failed to append data of type {}", conv.ty.name());
        }
    }
    Ok(added)
}

/// `append!` on a table.
pub(crate) fn append_table(t: &Table, new: &Value) -> Result<Table> {
    match new {
        Value::Table(_) | Value::Vector(_) | Value::Dict(_) => {
            Ok(insert_rows(t, std::slice::from_ref(new))?.0)
        }
        _ => bail!("The data appended to a table must be a table"),
    }
}

/// `tableInsert(table|tableName, data...)`: returns the number of rows inserted.
fn table_insert(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if let Some(h) = crate::dfs::as_table_handle(&args[0]) {
        let n = super::dfs::insert(env, h, &args[1..])?; // helper dfs
        return Ok(Value::int(n as i32));
    }
    let mut inserted = 0;
    let mut insert = |t: &Table| -> Result<Table> {
        let (out, n) = insert_rows(t, &args[1..])?;
        inserted = n;
        Ok(out)
    };
    if let Some(name) = data_util::object_name(&args[0]) {
        if change_table_var(env, &name, &mut insert)?.is_none() {
            bail!("Can't find the table [{}]", name);
        }
        return Ok(Value::int(inserted as i32));
    }
    let Value::Table(t) = &args[0] else {
        bail!("The first argument of function [tableInsert] must be a table or a table name");
    };
    // The variable the table came from, when known, gets the rows; else only this copy.
    if change_table_var(env, &t.name, &mut insert)?.is_none() {
        insert(t)?;
    }
    Ok(Value::int(inserted as i32))
}

/// `upsert!(obj, newData, [ignoreNull=false], [keyColNames])`: updates rows whose key exists
/// and appends the rest.
fn upsert(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if let Some(h) = crate::dfs::as_table_handle(&args[0]) {
        return super::dfs::upsert(env, h, args); // helper dfs
    }
    let Value::Table(t) = &args[0] else {
        bail!("The first argument of function [upsert!] must be a table");
    };
    let key_cols: Vec<usize> = match (&t.kind, args.get(3)) {
        (TableKind::Keyed(k) | TableKind::Indexed(k), _) => k.clone(),
        (_, Some(names)) => strings_arg("upsert!", names, "keyColNames")?
            .iter()
            .map(|n| column_index(t, n))
            .collect::<Result<_>>()?,
        _ => bail!("upsert! needs a keyed table or the key column names"),
    };
    let ignore_null = match args.get(2) {
        Some(v) if !v.is_void() => data_util::bool_arg("upsert!", v, "ignoreNull")?,
        _ => false,
    };
    let new = insert_columns(t, &args[1..2])?;
    let mut new_cols = Vec::with_capacity(new.len());
    for (c, n) in t.columns.iter().zip(&new) {
        new_cols.push(append_column(&c.slice(0, 0), n)?);
    }
    let old_rows = t.rows();
    let mut pos: std::collections::HashMap<Vec<value::Key>, usize> =
        std::collections::HashMap::with_capacity(old_rows);
    for r in 0..old_rows {
        pos.insert(
            key_cols.iter().map(|&c| t.columns[c].key_at(r)).collect(),
            r,
        );
    }
    let n_new = new_cols.first().map(|c| c.len()).unwrap_or(0);
    // Row r of the result takes its value from the old table (index < old_rows) or the new
    // data (old_rows + j); ignoreNull keeps old values where the new one is null.
    let mut idx: Vec<Vec<i64>> = vec![(0..old_rows as i64).collect(); new_cols.len()];
    for j in 0..n_new {
        let key: Vec<value::Key> = key_cols.iter().map(|&c| new_cols[c].key_at(j)).collect();
        match pos.get(&key) {
            Some(&r) => {
                for (c, col_idx) in idx.iter_mut().enumerate() {
                    if !(ignore_null && new_cols[c].is_null(j)) {
                        col_idx[r] = (old_rows + j) as i64;
                    }
                }
            }
            None => {
                pos.insert(key, idx[0].len());
                for col_idx in idx.iter_mut() {
                    col_idx.push((old_rows + j) as i64);
                }
            }
        }
    }
    let mut columns = Vec::with_capacity(new_cols.len());
    for (c, (old, add)) in t.columns.iter().zip(&new_cols).enumerate() {
        let mut all = (**old).clone();
        if !all.extend(&cast(add, old.ty, old.scale)?) {
            bail!("Failed to upsert column {}", t.names[c]);
        }
        columns.push(Arc::new(all.take(&idx[c])));
    }
    Ok(Value::table(Table {
        columns,
        ..(**t).clone()
    }))
}

#[cfg(test)]
mod tests {
    use super::super::data_util::test_env::*;
    use super::super::data_util::type_constant;
    use super::*;

    fn typed_table(names: &[&str], types: &[DataType]) -> Value {
        let tv: Vec<i32> = types
            .iter()
            .map(|t| type_constant(*t, 0, false).as_i64().unwrap() as i32)
            .collect();
        call(
            "table",
            &[
                call("pair", &[Value::int(10), Value::int(0)]).unwrap(),
                strs(names),
                Value::vector(Vector::from_i32(DataType::Int, tv)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn schema_col_defs() {
        let t = typed_table(&["a", "b"], &[DataType::Int, DataType::Symbol]);
        let s = call("schema", &[t]).unwrap();
        let Value::Dict(d) = s else { panic!() };
        let Some(Value::Table(defs)) = d.get_str("colDefs") else {
            panic!()
        };
        let ti = defs.column("typeInt").unwrap();
        assert_eq!(as_i64s(&Value::Vector(ti.clone())), vec![4, 17]);
        let ts = defs.column("typeString").unwrap();
        assert_eq!(as_strs(&Value::Vector(ts.clone())), vec!["INT", "SYMBOL"]);
    }

    #[test]
    fn table_insert_by_name_converts() {
        let mut env = TestEnv::default();
        let t = typed_table(&["d", "s"], &[DataType::Date, DataType::Symbol]);
        crate::builtins::Host::share(&env.host, "t", t).unwrap();
        let new = Value::table(Table::new(
            vec!["d".into(), "s".into()],
            vec![
                Vector::from_i32(DataType::Int, vec![20221, 1]),
                Vector::from_strings(vec!["x".into(), "y".into()]),
            ],
        ));
        let n = call_in(&mut env, "tableInsert", &[Value::string("t"), new]).unwrap();
        assert_eq!(n.as_i64(), Some(2));
        assert_eq!(n.data_type(), DataType::Int);
        let Some(Value::Table(t)) = env.get_var("t") else {
            panic!()
        };
        assert_eq!(t.rows(), 2);
        assert_eq!(t.columns[0].ty, DataType::Date);
        assert_eq!(t.columns[1].ty, DataType::Symbol);
        let empty = Value::table(Table::new(
            vec!["d".into(), "s".into()],
            vec![
                Vector::empty(DataType::Int),
                Vector::empty(DataType::String),
            ],
        ));
        let n = call_in(&mut env, "tableInsert", &[Value::string("t"), empty]).unwrap();
        assert_eq!(n.as_i64(), Some(0));
        assert!(call_in(
            &mut env,
            "tableInsert",
            &[Value::string("nope"), ints(&[1])]
        )
        .is_err());
    }

    #[test]
    fn keyed_upsert_and_columns() {
        let k = call(
            "__keyedTable_named",
            &[
                strs(&["", "id", "v"]),
                Value::string("id"),
                ints(&[1, 2]),
                ints(&[10, 20]),
            ],
        )
        .unwrap();
        let k = call(
            "append!",
            &[
                k,
                Value::table(Table::new(
                    vec!["id".into(), "v".into()],
                    vec![
                        Vector::from_i32(DataType::Int, vec![2, 3]),
                        Vector::from_i32(DataType::Int, vec![21, 30]),
                    ],
                )),
            ],
        )
        .unwrap();
        let Value::Table(t) = &k else { panic!() };
        assert_eq!(
            as_i64s(&Value::Vector(t.columns[1].clone())),
            vec![10, 21, 30]
        );
        let plain = call(
            "__table_named",
            &[strs(&["id", "v"]), ints(&[1, 2]), ints(&[1, 2])],
        )
        .unwrap();
        let up = call(
            "upsert!",
            &[
                plain,
                Value::table(Table::new(
                    vec!["id".into(), "v".into()],
                    vec![
                        Vector::from_i32(DataType::Int, vec![2, 5]),
                        Vector::from_i32(DataType::Int, vec![9, 5]),
                    ],
                )),
                Value::bool(false),
                Value::string("id"),
            ],
        )
        .unwrap();
        let Value::Table(t) = &up else { panic!() };
        assert_eq!(as_i64s(&Value::Vector(t.columns[1].clone())), vec![1, 9, 5]);
        let r = call("rename!", &[up.clone(), strs(&["v"]), strs(&["w"])]).unwrap();
        let Value::Table(r) = r else { panic!() };
        assert_eq!(r.names, vec!["id", "w"]);
        let d = call("dropColumns!", &[up.clone(), Value::string("v")]).unwrap();
        assert_eq!(call("cols", &[d]).unwrap().as_i64(), Some(1));
        let o = call("reorderColumns!", &[up, Value::string("v")]).unwrap();
        let Value::Table(o) = o else { panic!() };
        assert_eq!(o.names, vec!["v", "id"]);
    }
}
