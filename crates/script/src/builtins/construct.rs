//! Built-ins: constructors of vectors, matrices, pairs, sets, dictionaries and tables, plus
//! sequences (`seq`, `til`, `take`) and random data (`rand`, `norm`).
//!
//! Type arguments follow the type-constant convention documented in `data_util`: `INT` is the
//! INT scalar 4, `INT[]` is 68, `DECIMAL32(2)` is `37 | 2 << 16`. [`type_arg`] reads one, and
//! [`type_constant`] builds one; the interpreter uses the latter for type keywords.
//!
//! Column names come from `Env::arg_names` (`expr as name`, or a variable's name). The
//! internal `__table_named(names, args...)` (likewise `__keyedTable_named`,
//! `__indexedTable_named`, `__streamTable_named`) takes them explicitly instead, as a STRING
//! vector with one entry per argument after it (`""` where no name is known).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use value::{Data, DataType, Dict, Matrix, Set, Storage, Table, TableKind, Value, Vector};

use super::data_util::{self, cast, count_arg, int_arg, strings_arg, vector_arg};
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

#[allow(unused_imports)]
pub(crate) use super::data_util::{
    duration_arg, type_arg, type_constant, Duration, DurationUnit, TYPE_SCALE_SHIFT,
};

/// The largest vector a constructor may allocate in one call (elements).
const VECTOR_LEN_MAX: usize = 1 << 31;

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("array", 1, 4, Kind::Other, array),
        builtin("bigarray", 1, 4, Kind::Other, array),
        builtin("matrix", 1, 64, Kind::Other, matrix),
        builtin("pair", 2, 2, Kind::Other, pair),
        builtin("set", 1, 1, Kind::Other, set),
        builtin("dict", 2, 3, Kind::Other, dict),
        builtin("table", 1, 1024, Kind::Other, table),
        builtin("__table_named", 2, 1025, Kind::Other, table_named),
        builtin("keyedTable", 2, 1025, Kind::Other, keyed_table),
        builtin(
            "__keyedTable_named",
            3,
            1026,
            Kind::Other,
            keyed_table_named,
        ),
        builtin("indexedTable", 2, 1025, Kind::Other, indexed_table),
        builtin(
            "__indexedTable_named",
            3,
            1026,
            Kind::Other,
            indexed_table_named,
        ),
        builtin("streamTable", 1, 1024, Kind::Other, stream_table),
        builtin(
            "__streamTable_named",
            2,
            1025,
            Kind::Other,
            stream_table_named,
        ),
        builtin("seq", 2, 2, Kind::Other, seq),
        builtin("til", 1, 1, Kind::Other, til),
        builtin("take", 2, 2, Kind::Other, take),
        builtin("rand", 1, 2, Kind::Other, rand),
        builtin("norm", 3, 3, Kind::Other, norm),
        builtin("arrayVector", 2, 2, Kind::Other, array_vector_fn),
        builtin(
            "fixedLengthArrayVector",
            1,
            1024,
            Kind::Other,
            fixed_length_array_vector,
        ),
        builtin("enlist", 1, 1, Kind::Other, enlist),
    ]
}

fn check_len(func: &str, n: usize) -> Result<usize> {
    if n > VECTOR_LEN_MAX {
        bail!(
            "The size of the vector requested by [{}] is too large",
            func
        );
    }
    Ok(n)
}

/// `array(dataType|template, [initialSize], [capacity], [defaultValue])`.
fn array(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (ty, scale, is_array, template_len) = match &args[0] {
        Value::Vector(v) => (v.ty, v.scale, v.is_array(), Some(v.len())),
        other => {
            let (t, s, a) = type_arg(other)?;
            (t, s, a, None)
        }
    };
    let size = match args.get(1) {
        Some(v) if !v.is_void() => check_len("array", count_arg("array", v, "initialSize")?)?,
        _ => template_len.unwrap_or(0),
    };
    if is_array {
        let rows = vec![Vector::empty(ty); size];
        return Ok(Value::vector(data_util::array_vector(ty, scale, &rows)?));
    }
    if ty == DataType::Any {
        return Ok(Value::vector(Vector::nulls(DataType::Any, size)));
    }
    match args.get(3) {
        Some(Value::Scalar(d)) if !d.is_null(0) || d.ty != DataType::Void => {
            let d = cast(d, ty, scale)?;
            Ok(Value::vector(data_util::repeat_scalar(&d, size)))
        }
        Some(Value::Scalar(_)) | None => Ok(Value::vector(default_vector(ty, scale, size)?)),
        Some(_) => bail!("The argument defaultValue of function [array] must be a scalar"),
    }
}

/// `n` default elements of `ty`: zero for numeric and temporal types, null for literal and
/// binary types.
pub(crate) fn default_vector(ty: DataType, scale: u8, n: usize) -> Result<Vector> {
    let data = match ty.storage() {
        Storage::I8 => Data::I8(vec![0; n]),
        Storage::I16 => Data::I16(vec![0; n]),
        Storage::I32 => Data::I32(vec![0; n]),
        Storage::I64 => Data::I64(vec![0; n]),
        Storage::I128 if ty.is_decimal() => Data::I128(vec![0; n]),
        Storage::F32 => Data::F32(vec![0.0; n]),
        Storage::F64 => Data::F64(vec![0.0; n]),
        Storage::Void | Storage::I128 | Storage::Str | Storage::Sym | Storage::Blob => {
            return Ok(Vector::nulls(ty, n))
        }
        Storage::Any => {
            if ty == DataType::Any {
                return Ok(Vector::nulls(ty, n));
            }
            bail!("Can't create a vector of type {}", ty.name())
        }
    };
    Ok(Vector { ty, scale, data })
}

/// `matrix(dataType, rows, cols, [capacity], [defaultValue])` or `matrix(X1, [X2], ...)`.
fn matrix(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if args.len() >= 3 && args[..3].iter().all(|a| matches!(a, Value::Scalar(_))) {
        let (ty, scale, _) = type_arg(&args[0])?;
        let rows = count_arg("matrix", &args[1], "rows")?;
        let cols = count_arg("matrix", &args[2], "columns")?;
        let n = check_len("matrix", rows.saturating_mul(cols))?;
        let data = match args.get(4) {
            Some(Value::Scalar(d)) => data_util::repeat_scalar(&cast(d, ty, scale)?, n),
            _ => default_vector(ty, scale, n)?,
        };
        return Ok(Value::Matrix(Arc::new(Matrix::new(data, rows, cols))));
    }
    let mut columns: Vec<Vector> = Vec::new();
    for a in args {
        match a {
            Value::Matrix(m) => (0..m.cols).for_each(|j| columns.push(m.column(j))),
            Value::Vector(v) => match &v.data {
                Data::Any(items) => {
                    for it in items {
                        columns.push(vector_arg("matrix", it, "X")?.clone());
                    }
                }
                _ => columns.push((**v).clone()),
            },
            Value::Scalar(v) => columns.push(v.clone()),
            _ => bail!("The arguments of function [matrix] must be vectors or matrices"),
        }
    }
    let rows = columns.first().map(|c| c.len()).unwrap_or(0);
    if columns.iter().any(|c| c.len() != rows) {
        bail!("The columns of a matrix must have the same length");
    }
    let (ty, scale) = common_of(&columns);
    let mut data = Vector::with_capacity(ty, rows * columns.len());
    data.scale = scale;
    for c in &columns {
        let c = cast(c, ty, scale)?;
        if !data.extend(&c) {
            bail!("Incompatible column types in function [matrix]");
        }
    }
    let cols = columns.len();
    Ok(Value::Matrix(Arc::new(Matrix::new(data, rows, cols))))
}

/// The type several vectors are stored as together: the first's, widened to DOUBLE when a
/// later one is floating and the first is integral.
fn common_of(columns: &[Vector]) -> (DataType, u8) {
    let Some(first) = columns.first() else {
        return (DataType::Double, 0);
    };
    let mut ty = first.ty;
    if ty == DataType::Void {
        if let Some(c) = columns.iter().find(|c| c.ty != DataType::Void) {
            ty = c.ty;
        }
    }
    if ty.is_integral() && columns.iter().any(|c| c.ty.is_floating()) {
        ty = DataType::Double;
    }
    (ty, first.scale)
}

/// `pair(a, b)`, the `:` operator.
fn pair(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (Value::Scalar(a), Value::Scalar(b)) = (&args[0], &args[1]) else {
        bail!("The arguments of function [pair] must be scalars");
    };
    let (ty, scale) = if a.ty == DataType::Void {
        (b.ty, b.scale)
    } else if b.ty == DataType::Void || a.ty == b.ty {
        (a.ty, a.scale)
    } else if (a.ty.is_integral() && b.ty.is_floating())
        || (a.ty.is_floating() && b.ty.is_integral())
    {
        (DataType::Double, 0)
    } else if a.ty.is_integral() && b.ty.is_integral() {
        (a.ty.max(b.ty), 0)
    } else if a.ty.is_literal() && b.ty.is_literal() {
        (DataType::String, 0)
    } else {
        (a.ty, a.scale)
    };
    let mut out = cast(a, ty, scale)?;
    if !out.extend(&cast(b, ty, scale)?) {
        bail!("The two elements of a pair must have compatible types");
    }
    Ok(Value::pair(out))
}

/// `set(X)`.
fn set(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Vector(v) | Value::Pair(v) if !v.is_array() && v.ty != DataType::Any => {
            Ok(Value::set(Set::from_vector(v)))
        }
        Value::Scalar(v) if v.ty != DataType::Void => Ok(Value::set(Set::from_vector(v))),
        Value::Set(s) => Ok(Value::Set(s.clone())),
        _ => bail!("The argument of function [set] must be a vector of a basic type"),
    }
}

/// `dict(keyObj, valueObj, [ordered])` or `dict(keyType, valueType, [ordered])`.
fn dict(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let ordered = match args.get(2) {
        Some(v) => data_util::bool_arg("dict", v, "ordered")?,
        None => false,
    };
    let mut d = match (&args[0], &args[1]) {
        (Value::Scalar(_), Value::Scalar(_)) => {
            let (kt, ks, _) = type_arg(&args[0])?;
            let (vt, vs, va) = type_arg(&args[1])?;
            let mut d = Dict::new(kt, if va { DataType::Any } else { vt });
            d.keys.scale = ks;
            d.values.scale = vs;
            d
        }
        (k, v) => {
            let keys = vector_arg("dict", k, "keyObj")?;
            let values = vector_arg("dict", v, "valueObj")?;
            if keys.is_array() || keys.ty == DataType::Any {
                bail!("The key of a dictionary must be a vector of a basic type");
            }
            if keys.len() != values.len() {
                bail!("The keys and values of a dictionary must have the same length");
            }
            Dict::from_vectors(keys.clone(), values.clone())
        }
    };
    d.ordered = ordered;
    Ok(Value::dict(d))
}

/// Splits `args` into table columns. `names[i]` is the name given to `args[i]` ("" if none).
pub(crate) fn columns_of(args: &[Value], names: &[String]) -> Result<(Vec<String>, Vec<Vector>)> {
    let mut out_names = Vec::new();
    let mut cols: Vec<Vector> = Vec::new();
    let mut scalar_at: Vec<usize> = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let given = names.get(i).map(|s| s.as_str()).unwrap_or("");
        match a {
            Value::Vector(v) => match &v.data {
                Data::Any(items) if tuple_is_columns(items) => {
                    for (j, it) in items.iter().enumerate() {
                        out_names.push(sub_name(given, j, cols.len()));
                        cols.push(vector_arg("table", it, "X")?.clone());
                    }
                }
                _ => {
                    out_names.push(default_name(given, cols.len()));
                    cols.push((**v).clone());
                }
            },
            Value::Matrix(m) => {
                for j in 0..m.cols {
                    let label = m
                        .col_labels
                        .as_ref()
                        .map(|l| super::data_util::element_text(l, j));
                    out_names.push(match label {
                        Some(l) if !l.is_empty() => l,
                        _ => sub_name(given, j, cols.len()),
                    });
                    cols.push(m.column(j));
                }
            }
            Value::Table(t) => {
                for (n, c) in t.names.iter().zip(&t.columns) {
                    out_names.push(n.clone());
                    cols.push((**c).clone());
                }
            }
            Value::Scalar(v) => {
                out_names.push(default_name(given, cols.len()));
                scalar_at.push(cols.len());
                cols.push(v.clone());
            }
            Value::Pair(v) => {
                out_names.push(default_name(given, cols.len()));
                cols.push((**v).clone());
            }
            _ => bail!("The arguments of function [table] must be vectors, matrices or tuples"),
        }
    }
    let rows = cols
        .iter()
        .enumerate()
        .filter(|(i, _)| !scalar_at.contains(i))
        .map(|(_, c)| c.len())
        .max()
        .unwrap_or(1);
    for i in scalar_at {
        cols[i] = data_util::repeat_scalar(&cols[i], rows);
    }
    if cols.iter().any(|c| c.len() != rows) {
        bail!("The length of all columns of a table must be the same");
    }
    Ok((out_names, cols))
}

/// A tuple whose elements are equal-length vectors is a list of columns; otherwise it is one
/// ANY column (a columnar tuple).
fn tuple_is_columns(items: &[Value]) -> bool {
    let mut len = None;
    for it in items {
        match it {
            Value::Vector(v) if len.is_none() || len == Some(v.len()) => len = Some(v.len()),
            _ => return false,
        }
    }
    !items.is_empty()
}

fn default_name(given: &str, index: usize) -> String {
    if given.is_empty() {
        format!("C{}", index)
    } else {
        given.to_string()
    }
}

fn sub_name(given: &str, j: usize, index: usize) -> String {
    if given.is_empty() {
        format!("C{}", index)
    } else {
        format!("{}_{}", given, j)
    }
}

/// `table(capacity:size, colNames, colTypes)`: an empty or default-filled table.
pub(crate) fn typed_table(func: &str, args: &[Value]) -> Result<Table> {
    let Value::Pair(p) = &args[0] else {
        bail!(
            "The first argument of function [{}] must be capacity:size",
            func
        );
    };
    let size = match p.i64_at(1) {
        Some(n) if n >= 0 => check_len(func, n as usize)?,
        _ => bail!(
            "The size of function [{}] must be a non-negative integer",
            func
        ),
    };
    if args.len() != 3 {
        bail!("Usage: {}(capacity:size, colNames, colTypes)", func);
    }
    let names = strings_arg(func, &args[1], "colNames")?;
    let types: Vec<Value> = match &args[2] {
        Value::Vector(v) | Value::Pair(v) => (0..v.len()).map(|i| v.get(i)).collect(),
        s @ Value::Scalar(_) => vec![s.clone()],
        _ => bail!(
            "The argument colTypes of function [{}] must be a vector",
            func
        ),
    };
    if names.len() != types.len() {
        bail!("The number of column names must match the number of column types");
    }
    let mut cols = Vec::with_capacity(names.len());
    for t in &types {
        let (ty, scale, is_array) = type_arg(t)?;
        cols.push(if is_array {
            let rows = vec![Vector::empty(ty); size];
            data_util::array_vector(ty, scale, &rows)?
        } else {
            default_vector(ty, scale, size)?
        });
    }
    check_names(&names)?;
    Ok(Table::new(names, cols))
}

fn check_names(names: &[String]) -> Result<()> {
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            bail!("A column name can't be empty");
        }
        if names[..i].iter().any(|m| m.eq_ignore_ascii_case(n)) {
            bail!("Duplicate column name: {}", n);
        }
    }
    Ok(())
}

/// A table from `args` (either the typed form or columns), with optional argument names.
fn build_table(func: &str, args: &[Value], names: &[String]) -> Result<Table> {
    if matches!(args.first(), Some(Value::Pair(_))) && args.len() == 3 {
        return typed_table(func, args);
    }
    let (names, cols) = columns_of(args, names)?;
    check_names(&names)?;
    Ok(Table::new(names, cols))
}

fn names_arg(func: &str, v: &Value) -> Result<Vec<String>> {
    strings_arg(func, v, "names")
}

/// The names the interpreter knows for the current call's arguments ("" where none).
fn env_names(env: &dyn Env) -> Vec<String> {
    env.arg_names()
        .into_iter()
        .map(|n| n.unwrap_or_default())
        .collect()
}

fn table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = env_names(env);
    Ok(Value::table(build_table("table", args, &names)?))
}

fn table_named(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = names_arg("table", &args[0])?;
    Ok(Value::table(build_table("table", &args[1..], &names)?))
}

fn stream_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = env_names(env);
    let mut t = build_table("streamTable", args, &names)?;
    t.kind = TableKind::Stream;
    Ok(Value::table(t))
}

fn stream_table_named(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = names_arg("streamTable", &args[0])?;
    let mut t = build_table("streamTable", &args[1..], &names)?;
    t.kind = TableKind::Stream;
    Ok(Value::table(t))
}

/// `keyedTable(keyColumns, ...)` and `indexedTable(keyColumns, ...)`: the key column names
/// first, then a table, columns, or the typed form.
fn keyed(func: &str, args: &[Value], names: &[String], indexed: bool) -> Result<Value> {
    let keys = strings_arg(func, &args[0], "keyColumns")?;
    let rest = &args[1..];
    let t = match rest {
        [Value::Table(t)] => (**t).clone(),
        _ => build_table(func, rest, names)?,
    };
    let mut idx = Vec::with_capacity(keys.len());
    for k in &keys {
        match t.column_index(k) {
            Some(i) => idx.push(i),
            None => bail!("The key column {} doesn't exist in the table", k),
        }
    }
    if idx.is_empty() {
        bail!("A keyed table must have at least one key column");
    }
    let t = dedupe_keys(t, &idx);
    let mut t = t;
    t.kind = if indexed {
        TableKind::Indexed(idx)
    } else {
        TableKind::Keyed(idx)
    };
    Ok(Value::table(t))
}

/// Keeps one row per key: a later duplicate replaces the earlier row in its position.
pub(crate) fn dedupe_keys(t: Table, key_cols: &[usize]) -> Table {
    let rows = t.rows();
    let mut seen: std::collections::HashMap<Vec<value::Key>, usize> =
        std::collections::HashMap::with_capacity(rows);
    let mut keep: Vec<i64> = Vec::with_capacity(rows);
    for r in 0..rows {
        let k: Vec<value::Key> = key_cols.iter().map(|&c| t.columns[c].key_at(r)).collect();
        match seen.get(&k) {
            Some(&pos) => keep[pos] = r as i64,
            None => {
                seen.insert(k, keep.len());
                keep.push(r as i64);
            }
        }
    }
    if keep.len() == rows {
        return t;
    }
    let columns = t.columns.iter().map(|c| Arc::new(c.take(&keep))).collect();
    Table { columns, ..t }
}

fn keyed_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = env_names(env);
    keyed("keyedTable", args, names.get(1..).unwrap_or(&[]), false)
}

fn keyed_table_named(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = names_arg("keyedTable", &args[0])?;
    keyed(
        "keyedTable",
        &args[1..],
        names.get(1..).unwrap_or(&[]),
        false,
    )
}

fn indexed_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = env_names(env);
    keyed("indexedTable", args, names.get(1..).unwrap_or(&[]), true)
}

fn indexed_table_named(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = names_arg("indexedTable", &args[0])?;
    keyed(
        "indexedTable",
        &args[1..],
        names.get(1..).unwrap_or(&[]),
        true,
    )
}

/// `seq(start, end)`, the `..` operator: consecutive integers (or temporal steps) from start to
/// end inclusive, descending when end < start.
fn seq(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (Value::Scalar(a), Value::Scalar(b)) = (&args[0], &args[1]) else {
        bail!("The arguments of function [seq] must be integral scalars");
    };
    let ty = if a.ty == b.ty {
        a.ty
    } else if a.ty.is_integral() && b.ty.is_integral() {
        a.ty.max(b.ty)
    } else if a.ty.is_temporal() && b.ty.is_integral() {
        a.ty
    } else {
        bail!("The arguments of function [seq] must be integers or temporal values of one type")
    };
    if !(ty.is_integral() || ty.is_temporal()) || ty == DataType::Bool {
        bail!("The arguments of function [seq] must be integers or temporal values");
    }
    let (Some(x), Some(y)) = (a.i64_at(0), b.i64_at(0)) else {
        bail!("The arguments of function [seq] must not be null");
    };
    let n = check_len("seq", (x - y).unsigned_abs() as usize + 1)?;
    let step = if y >= x { 1 } else { -1 };
    let raw: Vec<i64> = (0..n as i64).map(|i| x + i * step).collect();
    Ok(Value::vector(from_raw_i64(ty, raw)))
}

/// A vector of `ty` from raw i64 values (which must fit the storage).
pub(crate) fn from_raw_i64(ty: DataType, raw: Vec<i64>) -> Vector {
    let data = match ty.storage() {
        Storage::I8 => Data::I8(raw.into_iter().map(|x| x as i8).collect()),
        Storage::I16 => Data::I16(raw.into_iter().map(|x| x as i16).collect()),
        Storage::I32 => Data::I32(raw.into_iter().map(|x| x as i32).collect()),
        _ => Data::I64(raw),
    };
    Vector::new(ty, data)
}

/// `til(n)`: 0 .. n-1.
fn til(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let n = count_arg("til", &args[0], "n")?;
    let n = check_len("til", n)?;
    let ty = match &args[0] {
        Value::Scalar(v) if v.ty == DataType::Long => DataType::Long,
        Value::Scalar(v) if v.ty == DataType::Short => DataType::Short,
        Value::Scalar(v) if v.ty == DataType::Char => DataType::Char,
        _ => DataType::Int,
    };
    Ok(Value::vector(from_raw_i64(ty, (0..n as i64).collect())))
}

/// The row indices `take` gathers for `n` (scalar: cyclic; vector: repeat counts).
fn take_indices(len: usize, n: &Value) -> Result<Vec<i64>> {
    match n {
        Value::Scalar(_) => {
            let k = int_arg("take", n, "n")?;
            let count = check_len("take", k.unsigned_abs() as usize)?;
            if len == 0 {
                if count == 0 {
                    return Ok(Vec::new());
                }
                bail!("take: can't take elements from an empty object");
            }
            let len = len as i64;
            Ok(if k >= 0 {
                (0..count as i64).map(|i| i % len).collect()
            } else {
                let start = len - count as i64;
                (0..count as i64)
                    .map(|i| (start + i).rem_euclid(len))
                    .collect()
            })
        }
        Value::Vector(v) if v.ty.is_integral() => {
            if v.len() != len {
                bail!("take: the length of n must equal the size of X");
            }
            let mut idx = Vec::new();
            for i in 0..len {
                let c = v.i64_at(i).unwrap_or(0).max(0) as usize;
                check_len("take", idx.len() + c)?;
                idx.extend(std::iter::repeat_n(i as i64, c));
            }
            Ok(idx)
        }
        _ => bail!("The argument n of function [take] must be an integer or integer vector"),
    }
}

/// `take(X, n)`.
fn take(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Scalar(s) => {
            let n = count_arg("take", &args[1], "n")?;
            Ok(Value::vector(data_util::repeat_scalar(
                s,
                check_len("take", n)?,
            )))
        }
        Value::Vector(v) | Value::Pair(v) => {
            let idx = take_indices(v.len(), &args[1])?;
            Ok(Value::vector(v.take(&idx)))
        }
        Value::Matrix(m) => {
            let idx = take_indices(m.rows, &args[1])?;
            let cols: Vec<Vector> = (0..m.cols).map(|j| m.column(j).take(&idx)).collect();
            let mut data = Vector::with_capacity(m.data.ty, idx.len() * m.cols);
            data.scale = m.data.scale;
            for c in &cols {
                data.extend(c);
            }
            let mut out = Matrix::new(data, idx.len(), m.cols);
            out.col_labels = m.col_labels.clone();
            Ok(Value::Matrix(Arc::new(out)))
        }
        Value::Table(t) => {
            let idx = take_indices(t.rows(), &args[1])?;
            Ok(Value::table(data_util::table_take(t, &idx)))
        }
        _ => bail!("The argument X of function [take] must be a scalar, vector, matrix or table"),
    }
}

/// A process-wide xorshift64* generator, seeded from the clock on first use.
fn next_random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        x = t | 1;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    STATE.store(x, Ordering::Relaxed);
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// A uniform double in [0, 1).
fn next_unit() -> f64 {
    (next_random() >> 11) as f64 / (1u64 << 53) as f64
}

/// How many values `rand`/`norm` make: a count, or rows:cols for a matrix.
fn shape_arg(func: &str, v: &Value) -> Result<(usize, Option<(usize, usize)>)> {
    match v {
        Value::Pair(p) => {
            let (Some(r), Some(c)) = (p.i64_at(0), p.i64_at(1)) else {
                bail!("The shape of function [{}] must be rows:columns", func);
            };
            if r < 0 || c < 0 {
                bail!("The shape of function [{}] must be non-negative", func);
            }
            let n = check_len(func, (r as usize).saturating_mul(c as usize))?;
            Ok((n, Some((r as usize, c as usize))))
        }
        _ => Ok((check_len(func, count_arg(func, v, "count")?)?, None)),
    }
}

fn shaped(data: Vector, shape: Option<(usize, usize)>) -> Value {
    match shape {
        Some((r, c)) => Value::Matrix(Arc::new(Matrix::new(data, r, c))),
        None => Value::vector(data),
    }
}

/// `rand(X, count)`: uniform numbers in [0, X), or a sample (with replacement) of X.
fn rand(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (n, shape) = match args.get(1) {
        Some(c) => shape_arg("rand", c)?,
        None => (1, None),
    };
    let out = match &args[0] {
        Value::Scalar(s) if s.ty.is_floating() => {
            let hi = s.f64_at(0).unwrap_or(0.0);
            let xs: Vec<f64> = (0..n).map(|_| next_unit() * hi).collect();
            cast(&Vector::from_f64(xs), s.ty, 0)?
        }
        Value::Scalar(s) if s.ty.is_integral() || s.ty.is_temporal() => {
            let hi = match s.i64_at(0) {
                Some(h) if h > 0 => h as u64,
                _ => bail!("The argument X of function [rand] must be positive"),
            };
            let raw: Vec<i64> = (0..n).map(|_| (next_random() % hi) as i64).collect();
            from_raw_i64(s.ty, raw)
        }
        Value::Vector(v) | Value::Pair(v) => {
            if v.is_empty() {
                bail!("The argument X of function [rand] must not be empty");
            }
            let len = v.len() as u64;
            let idx: Vec<i64> = (0..n).map(|_| (next_random() % len) as i64).collect();
            v.take(&idx)
        }
        _ => bail!("The argument X of function [rand] must be a number or a vector"),
    };
    if args.len() == 1 {
        return Ok(Value::Scalar(out));
    }
    Ok(shaped(out, shape))
}

/// `norm(mean, std, count)`: normally distributed doubles (Box-Muller).
fn norm(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (Some(mean), Some(std)) = (args[0].as_f64(), args[1].as_f64()) else {
        bail!("The arguments mean and std of function [norm] must be numbers");
    };
    let (n, shape) = shape_arg("norm", &args[2])?;
    let xs: Vec<f64> = (0..n)
        .map(|_| {
            let u1 = next_unit().max(f64::MIN_POSITIVE);
            let u2 = next_unit();
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            mean + std * z
        })
        .collect();
    Ok(shaped(Vector::from_f64(xs), shape))
}

/// `arrayVector(index, value)`: an array vector whose row i ends (exclusive) at index[i].
fn array_vector_fn(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let index = vector_arg("arrayVector", &args[0], "index")?;
    let values = vector_arg("arrayVector", &args[1], "value")?;
    if !index.ty.is_integral() || values.is_array() || values.ty == DataType::Any {
        bail!(
            "Usage: arrayVector(index, value). index must be an integer vector and value a vector"
        );
    }
    let mut rows = Vec::with_capacity(index.len());
    let mut start = 0usize;
    for i in 0..index.len() {
        let end = match index.i64_at(i) {
            Some(e) if e >= start as i64 && e as usize <= values.len() => e as usize,
            _ => bail!("The index of function [arrayVector] must be increasing and within the size of value"),
        };
        rows.push(values.slice(start, end));
        start = end;
    }
    if start != values.len() {
        bail!("The last element of index must equal the size of value");
    }
    Ok(Value::vector(data_util::array_vector(
        values.ty,
        values.scale,
        &rows,
    )?))
}

/// `fixedLengthArrayVector(args...)`: row i holds element i of each argument (vectors, or the
/// columns of matrices and tables).
fn fixed_length_array_vector(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (_, cols) = columns_of(args, &[])?;
    let Some(first) = cols.first() else {
        bail!("The function [fixedLengthArrayVector] needs at least one vector");
    };
    let (ty, scale) = common_of(&cols);
    let cols: Vec<Vector> = cols
        .iter()
        .map(|c| cast(c, ty, scale))
        .collect::<Result<_>>()?;
    let rows: Vec<Vector> = (0..first.len())
        .map(|i| {
            let idx = vec![i as i64];
            let mut row = Vector::with_capacity(ty, cols.len());
            row.scale = scale;
            for c in &cols {
                row.extend(&c.take(&idx));
            }
            row
        })
        .collect();
    Ok(Value::vector(data_util::array_vector(ty, scale, &rows)?))
}

/// `enlist(X)`: a scalar becomes a one-element vector; anything else a one-element tuple.
fn enlist(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Scalar(s) => Ok(Value::vector(s.clone())),
        other => Ok(Value::tuple(vec![other.clone()])),
    }
}

#[cfg(test)]
mod tests {
    use super::super::data_util::test_env::*;
    use super::*;

    fn ty(t: DataType) -> Value {
        type_constant(t, 0, false)
    }

    #[test]
    fn array_defaults_and_template() {
        let v = call(
            "array",
            &[
                ty(DataType::Int),
                Value::int(3),
                Value::int(10),
                Value::int(1),
            ],
        )
        .unwrap();
        assert_eq!(as_i64s(&v), vec![1, 1, 1]);
        let v = call("array", &[ty(DataType::Double), Value::int(2)]).unwrap();
        assert_eq!(as_f64s(&v), vec![0.0, 0.0]);
        let v = call("array", &[ty(DataType::String), Value::int(2)]).unwrap();
        assert_eq!(as_strs(&v), vec!["", ""]);
        let v = call("array", &[ints(&[5, 6, 7])]).unwrap();
        assert_eq!(as_i64s(&v), vec![0, 0, 0]);
        let v = call(
            "array",
            &[type_constant(DataType::Int, 0, true), Value::int(0)],
        )
        .unwrap();
        assert_eq!(v.type_code(), 68);
        let v = call("array", &[type_constant(DataType::Decimal32, 2, false)]).unwrap();
        assert_eq!(
            v.as_vector().map(|v| (v.ty, v.scale)),
            Some((DataType::Decimal32, 2))
        );
        assert!(call("array", &[ty(DataType::Int), Value::int(-1)]).is_err());
    }

    #[test]
    fn pairs_sets_dicts() {
        let p = call("pair", &[Value::int(1), Value::int(5)]).unwrap();
        assert!(matches!(p, Value::Pair(_)));
        assert_eq!(as_i64s(&p), vec![1, 5]);
        let s = call("set", &[ints(&[1, 2, 2, 3])]).unwrap();
        assert_eq!(s.len(), 3);
        let d = call("dict", &[ints(&[1, 2, 1]), strs(&["a", "b", "c"])]).unwrap();
        let Value::Dict(d) = d else { panic!() };
        assert_eq!(d.len(), 2);
        let d = call("dict", &[ty(DataType::String), ty(DataType::Any)]).unwrap();
        let Value::Dict(d) = d else { panic!() };
        assert_eq!((d.keys.ty, d.values.ty), (DataType::String, DataType::Any));
    }

    #[test]
    fn tables() {
        let t = call(
            "__table_named",
            &[strs(&["a", ""]), ints(&[1, 2]), strs(&["x", "y"])],
        )
        .unwrap();
        let Value::Table(t) = t else { panic!() };
        assert_eq!(t.names, vec!["a", "C1"]);
        assert_eq!(t.rows(), 2);
        let t = call(
            "table",
            &[
                call("pair", &[Value::int(10), Value::int(2)]).unwrap(),
                strs(&["a", "b"]),
                Value::vector(Vector::from_i32(DataType::Int, vec![4, 68])),
            ],
        )
        .unwrap();
        let Value::Table(t) = t else { panic!() };
        assert_eq!(t.rows(), 2);
        assert!(t.columns[1].is_array());
        assert!(call("table", &[ints(&[1, 2]), ints(&[1])]).is_err());
        let k = call(
            "__keyedTable_named",
            &[
                strs(&["", "id", "v"]),
                Value::string("id"),
                ints(&[1, 2, 1]),
                ints(&[7, 8, 9]),
            ],
        )
        .unwrap();
        let Value::Table(k) = k else { panic!() };
        assert_eq!(k.kind, TableKind::Keyed(vec![0]));
        assert_eq!(as_i64s(&Value::Vector(k.columns[1].clone())), vec![9, 8]);
    }

    #[test]
    fn sequences() {
        assert_eq!(
            as_i64s(&call("seq", &[Value::int(1), Value::int(4)]).unwrap()),
            vec![1, 2, 3, 4]
        );
        assert_eq!(
            as_i64s(&call("seq", &[Value::int(3), Value::int(1)]).unwrap()),
            vec![3, 2, 1]
        );
        assert_eq!(
            as_i64s(&call("til", &[Value::int(3)]).unwrap()),
            vec![0, 1, 2]
        );
        assert_eq!(call("til", &[Value::int(0)]).unwrap().len(), 0);
        let t = call("take", &[ints(&[1, 2, 3]), Value::int(-4)]).unwrap();
        assert_eq!(as_i64s(&t), vec![3, 1, 2, 3]);
        let t = call("take", &[ints(&[1, 2, 3]), ints(&[2, 0, 2])]).unwrap();
        assert_eq!(as_i64s(&t), vec![1, 1, 3, 3]);
        let t = call("take", &[Value::int(1), Value::int(0)]).unwrap();
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn array_vectors() {
        let av = call("arrayVector", &[ints(&[2, 3, 4]), ints(&[1, 2, 3, 4])]).unwrap();
        assert_eq!(av.len(), 3);
        assert_eq!(av.type_code(), 68);
        assert!(call("arrayVector", &[ints(&[2, 5]), ints(&[1, 2, 3, 4])]).is_err());
        let f = call("fixedLengthArrayVector", &[ints(&[1, 2]), ints(&[3, 4])]).unwrap();
        let Value::Vector(v) = &f else { panic!() };
        assert_eq!(as_i64s(&v.get(0)), vec![1, 3]);
        assert_eq!(call("enlist", &[Value::int(1)]).unwrap().len(), 1);
    }

    #[test]
    fn random() {
        let r = call("rand", &[Value::int(10), Value::int(100)]).unwrap();
        assert!(as_i64s(&r).iter().all(|x| (0..10).contains(x)));
        let r = call("rand", &[Value::double(1.0), Value::int(100)]).unwrap();
        assert!(as_f64s(&r).iter().all(|x| (0.0..1.0).contains(x)));
        let r = call("rand", &[strs(&["a", "b"]), Value::int(5)]).unwrap();
        assert_eq!(r.len(), 5);
        let n = call(
            "norm",
            &[Value::double(0.0), Value::double(1.0), Value::int(5)],
        )
        .unwrap();
        assert_eq!(n.len(), 5);
    }
}
