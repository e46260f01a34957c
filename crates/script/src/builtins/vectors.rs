//! Built-ins: vector operations. Size, slicing (`head`, `tail`, `subarray`, `cut`), joining
//! (`join`/`<-`, `append!`, `concatMatrix`), membership and search (`in`, `find`, `binsrch`,
//! `asof`), set algebra, in-place removal (`removeHead!`, `erase!`, `clear!`) and reshaping.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use value::hash::FxBuild;
use value::{null, Data, DataType, Dict, Key, Matrix, Set, Table, Value, Vector};

use super::data_util::{
    self, array_vector, bool_arg, cast, count_arg, int_arg, keys_of, vector_arg,
};
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("size", 1, 1, Kind::Aggregate, size),
        builtin("cut", 2, 2, Kind::Other, cut),
        builtin("flatten", 1, 1, Kind::Other, flatten),
        builtin("in", 2, 2, Kind::Scalar, in_),
        builtin("find", 2, 2, Kind::Scalar, find),
        builtin("at", 1, 2, Kind::Other, at),
        builtin("join", 2, 2, Kind::Other, join),
        builtin("append!", 2, 2, Kind::Other, append),
        builtin("push!", 2, 2, Kind::Other, append),
        builtin("concatMatrix", 1, 2, Kind::Other, concat_matrix),
        builtin("head", 1, 2, Kind::Other, head),
        builtin("tail", 1, 2, Kind::Other, tail),
        builtin("subarray", 2, 2, Kind::Other, subarray),
        builtin("removeHead!", 2, 2, Kind::Other, remove_head),
        builtin("removeTail!", 2, 2, Kind::Other, remove_tail),
        builtin("erase!", 2, 2, Kind::Other, erase),
        builtin("clear!", 1, 1, Kind::Other, clear),
        builtin("reshape", 1, 2, Kind::Other, reshape),
        builtin("shuffle", 1, 1, Kind::Other, shuffle),
        builtin("union", 2, 2, Kind::Other, union),
        builtin("intersection", 2, 2, Kind::Other, intersection),
        builtin("difference", 2, 2, Kind::Other, difference),
        builtin("isDuplicated", 1, 2, Kind::Window, is_duplicated),
        builtin("binsrch", 2, 2, Kind::Scalar, binsrch),
        builtin("asof", 2, 2, Kind::Scalar, asof),
        builtin("groups", 1, 2, Kind::Other, groups),
        builtin("hasNull", 1, 1, Kind::Aggregate, has_null),
        builtin("countNanInf", 1, 2, Kind::Aggregate, count_nan_inf),
    ]
}

/// `size(X)`: elements of a vector (all cells of a matrix), rows of a table, entries of a set
/// or dictionary; 1 for a scalar.
fn size(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::int(args[0].len() as i32))
}

/// Types whose values can be converted into each other by `append!`: numbers and temporals
/// (by value), or text and binary.
fn append_compatible(target: DataType, src: DataType) -> bool {
    let num = |t: DataType| t.is_numeric() || t.is_temporal();
    let text = |t: DataType| {
        t.is_literal()
            || matches!(
                t,
                DataType::Blob | DataType::Uuid | DataType::IpAddr | DataType::Int128
            )
    };
    src == DataType::Void
        || target == src
        || (num(target) && num(src))
        || (text(target) && text(src))
        || src == DataType::Any
}

/// Appends `new` to the typed (non-ANY) vector `obj`, converting `new` to `obj`'s type.
pub(crate) fn append_vector(obj: &Vector, new: &Value) -> Result<Vector> {
    if obj.is_array() {
        return append_rows(obj, new);
    }
    if obj.ty == DataType::Void && obj.is_empty() {
        return Ok(vector_arg("append!", new, "newData")?.clone());
    }
    let src: &Vector = match new {
        Value::Scalar(v) => v,
        Value::Vector(v) | Value::Pair(v) => v,
        Value::Set(s) => &s.keys,
        _ => bail!(
            "Incompatible type. Expected: {}, Actual: {}",
            obj.ty.name(),
            new.form().name()
        ),
    };
    if src.is_array() || !append_compatible(obj.ty, src.ty) {
        bail!(
            "Incompatible type. Expected: {}, Actual: {}{}",
            obj.ty.name(),
            src.ty.name(),
            if src.is_array() { "[]" } else { "" }
        );
    }
    let conv = cast(src, obj.ty, obj.scale)?;
    if obj.is_empty() {
        // Into an empty vector (a table's first rows): the converted values are the result.
        return Ok(conv);
    }
    let mut out = obj.clone();
    if !out.extend(&conv) {
        bail!(
            "Failed to append data of type {} to {}",
            src.ty.name(),
            obj.ty.name()
        );
    }
    Ok(out)
}

/// Appends rows to an array vector: a tuple adds one row per element, a vector or scalar adds
/// one row, an array vector adds its rows.
fn append_rows(obj: &Vector, new: &Value) -> Result<Vector> {
    let rows: Vec<Vector> = match new {
        Value::Vector(v) => match &v.data {
            Data::Any(items) => items
                .iter()
                .map(|it| vector_arg("append!", it, "newData").cloned())
                .collect::<Result<_>>()?,
            Data::Array(_) => (0..v.len())
                .map(|i| match v.get(i) {
                    Value::Vector(r) => (*r).clone(),
                    _ => Vector::empty(v.ty),
                })
                .collect(),
            _ => vec![(**v).clone()],
        },
        Value::Scalar(s) => vec![s.clone()],
        _ => bail!("Incompatible type for appending to an array vector"),
    };
    for r in &rows {
        if r.is_array() || !append_compatible(obj.ty, r.ty) {
            bail!(
                "Incompatible type. Expected: {}[], Actual: {}",
                obj.ty.name(),
                r.ty.name()
            );
        }
    }
    let add = array_vector(obj.ty, obj.scale, &rows)?;
    let mut out = obj.clone();
    if !out.extend(&add) {
        bail!("Failed to append to the array vector");
    }
    Ok(out)
}

/// `append!(obj, newData)` (alias `push!`): returns the grown object.
fn append(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if let Some(h) = crate::dfs::as_table_handle(&args[0]) {
        super::dfs::insert(env, h, &args[1..2])?; // helper dfs
        return Ok(args[0].clone());
    }
    let new = &args[1];
    // A shared or session table given by name: `append!{'t'}` as a stream handler.
    if let Some(name) = super::data_util::object_name(&args[0]) {
        // Appended to the table's current value (under a shared table's update lock).
        let mut append = |t: &value::Table| super::tables::append_table(t, new);
        if let Some(out) = super::tables::change_table_var(env, &name, &mut append)? {
            return Ok(out);
        }
    }
    match &args[0] {
        Value::Vector(v) => match &v.data {
            Data::Any(items) => {
                let mut items = items.clone();
                match new {
                    Value::Vector(n) => match &n.data {
                        Data::Any(more) => items.extend(more.iter().cloned()),
                        _ => items.push(new.clone()),
                    },
                    other => items.push(other.clone()),
                }
                Ok(Value::tuple(items))
            }
            _ => Ok(Value::vector(append_vector(v, new)?)),
        },
        Value::Set(s) => {
            let mut s2 = (**s).clone();
            let add = vector_arg("append!", new, "newData")?;
            let add = cast(add, s.keys.ty, s.keys.scale)?;
            s2.insert_all(&add);
            Ok(Value::set(s2))
        }
        Value::Matrix(m) => {
            let add = vector_arg("append!", new, "newData")?;
            if m.rows == 0 || add.len() % m.rows != 0 {
                bail!("The size of the new data must be a multiple of the number of rows");
            }
            let add = cast(add, m.data.ty, m.data.scale)?;
            let mut data = m.data.clone();
            data.extend(&add);
            let cols = m.cols + add.len() / m.rows;
            Ok(Value::Matrix(Arc::new(Matrix::new(data, m.rows, cols))))
        }
        Value::Table(t) => Ok(Value::table(super::tables::append_table(t, new)?)),
        Value::Scalar(_) => bail!("append! can't be applied to a scalar"),
        _ => bail!("The object of function [append!] must be a vector, matrix, table or set"),
    }
}

/// The type a joined vector has: the common type of its two halves.
fn join_type(a: &Vector, b: &Vector) -> Option<(DataType, u8)> {
    let (x, y) = (a.ty, b.ty);
    if x == DataType::Void {
        return Some((y, b.scale));
    }
    if y == DataType::Void || x == y {
        return Some((x, a.scale.max(b.scale)));
    }
    if x.is_numeric() && y.is_numeric() {
        if x.is_floating() || y.is_floating() {
            return Some((DataType::Double, 0));
        }
        if x.is_decimal() || y.is_decimal() {
            return Some(if x.is_decimal() {
                (x, a.scale)
            } else {
                (y, b.scale)
            });
        }
        return Some((x.max(y), 0));
    }
    if x.is_literal() && y.is_literal() {
        return Some((x, 0));
    }
    if x.is_temporal() && (y.is_integral() || y.is_temporal()) {
        return Some((x, 0));
    }
    None
}

/// `join(X, Y)`, the `<-` operator: concatenates vectors, appends to tuples, joins matrix
/// columns and table columns.
fn join(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (x, y) = (&args[0], &args[1]);
    match (x, y) {
        (Value::Table(a), Value::Table(b)) => {
            let mut t = (**a).clone();
            if a.rows() != b.rows() && a.cols() > 0 {
                bail!("The tables to join must have the same number of rows");
            }
            t.names.extend(b.names.iter().cloned());
            t.columns.extend(b.columns.iter().cloned());
            t.name = String::new();
            Ok(Value::table(t))
        }
        (Value::Matrix(a), _) => {
            let b = match y {
                Value::Matrix(b) => (**b).clone(),
                Value::Vector(v) => Matrix::new((**v).clone(), v.len(), 1),
                _ => bail!("A matrix can only be joined with a matrix or a vector"),
            };
            if a.rows != b.rows {
                bail!("The matrices to join must have the same number of rows");
            }
            let (ty, scale) =
                join_type(&a.data, &b.data).ok_or_else(|| incompatible(a.data.ty, b.data.ty))?;
            let mut data = cast(&a.data, ty, scale)?;
            data.extend(&cast(&b.data, ty, scale)?);
            Ok(Value::Matrix(Arc::new(Matrix::new(
                data,
                a.rows,
                a.cols + b.cols,
            ))))
        }
        _ => {
            let a = vector_arg("join", x, "X")?;
            let b = vector_arg("join", y, "Y")?;
            if a.ty == DataType::Any || b.ty == DataType::Any {
                let mut items = tuple_items(x);
                items.extend(tuple_items(y));
                return Ok(Value::tuple(items));
            }
            if a.is_array() || b.is_array() {
                let mut out = a.clone();
                if !a.is_array() || !b.is_array() || !out.extend(&cast(b, a.ty, a.scale)?) {
                    bail!("An array vector can only be joined with an array vector");
                }
                return Ok(Value::vector(out));
            }
            let (ty, scale) = join_type(a, b).ok_or_else(|| incompatible(a.ty, b.ty))?;
            let mut out = cast(a, ty, scale)?;
            if !out.extend(&cast(b, ty, scale)?) {
                return Err(incompatible(a.ty, b.ty));
            }
            Ok(Value::vector(out))
        }
    }
}

fn incompatible(a: DataType, b: DataType) -> crate::Error {
    crate::Error::new(format!(
        "Incompatible type. Expected: {}, Actual: {}",
        a.name(),
        b.name()
    ))
}

/// The elements of a value viewed as a tuple: a tuple's items, a vector's elements, a scalar.
fn tuple_items(v: &Value) -> Vec<Value> {
    match v {
        Value::Vector(vec) => match &vec.data {
            Data::Any(items) => items.clone(),
            _ => (0..vec.len()).map(|i| vec.get(i)).collect(),
        },
        other => vec![other.clone()],
    }
}

/// `cut(X, size|cutPositions)`: splits a vector (or table rows) into a tuple of pieces.
fn cut(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let len = match &args[0] {
        Value::Table(t) => t.rows(),
        Value::Vector(v) => v.len(),
        _ => bail!("The argument X of function [cut] must be a vector or a table"),
    };
    let bounds: Vec<(usize, usize)> = match &args[1] {
        Value::Scalar(_) => {
            let step = count_arg("cut", &args[1], "size")?;
            if step == 0 {
                bail!("The size of function [cut] must be positive");
            }
            (0..len)
                .step_by(step)
                .map(|s| (s, (s + step).min(len)))
                .collect()
        }
        Value::Vector(p) if p.ty.is_integral() => {
            let pos: Vec<usize> = (0..p.len())
                .map(|i| p.i64_at(i).unwrap_or(0).clamp(0, len as i64) as usize)
                .collect();
            if pos.windows(2).any(|w| w[0] > w[1]) {
                bail!("The cut positions must be in ascending order");
            }
            (0..pos.len())
                .map(|i| (pos[i], pos.get(i + 1).copied().unwrap_or(len)))
                .collect()
        }
        _ => bail!("The second argument of function [cut] must be an integer or a vector"),
    };
    let pieces = bounds
        .into_iter()
        .map(|(s, e)| match &args[0] {
            Value::Table(t) => {
                let idx: Vec<i64> = (s as i64..e as i64).collect();
                Value::table(data_util::table_take(t, &idx))
            }
            Value::Vector(v) => Value::vector(v.slice(s, e)),
            _ => Value::void(),
        })
        .collect();
    Ok(Value::tuple(pieces))
}

/// `flatten(X)`: a tuple of scalars/vectors, an array vector or a matrix as one vector.
fn flatten(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Matrix(m) => Ok(Value::vector(m.data.clone())),
        Value::Vector(v) => match &v.data {
            Data::Array(a) => Ok(Value::vector((*a.values).clone())),
            Data::Any(items) => {
                let mut flat: Vec<Value> = Vec::new();
                for it in items {
                    match it {
                        Value::Vector(inner) => match &inner.data {
                            Data::Any(more) => flat.extend(more.iter().cloned()),
                            _ => flat.extend((0..inner.len()).map(|i| inner.get(i))),
                        },
                        other => flat.push(other.clone()),
                    }
                }
                Ok(Value::vector(data_util::vector_from_scalars(&flat)))
            }
            _ => Ok(args[0].clone()),
        },
        other => Ok(other.clone()),
    }
}

/// The keys of `y` as a set for membership tests, with `x` converted to a comparable type.
fn membership(x: &Vector, y: &Value) -> Result<(Vec<Key>, HashSet<Key>)> {
    let target: Vector = match y {
        Value::Set(s) => s.keys.clone(),
        Value::Dict(d) => d.keys.clone(),
        Value::Table(t) => match (&t.kind, t.columns.first()) {
            (value::TableKind::Keyed(k) | value::TableKind::Indexed(k), _) if k.len() == 1 => {
                (*t.columns[k[0]]).clone()
            }
            (_, Some(c)) => (**c).clone(),
            _ => Vector::empty(DataType::Int),
        },
        other => vector_arg("in", other, "Y")?.clone(),
    };
    let xk = comparable(x, &target)?;
    let set: HashSet<Key> = comparable(&target, x)?.into_iter().collect();
    Ok((xk, set))
}

/// The keys of `v`, converted so that they compare equal to keys of `other` with the same
/// value (integers against floats compare as floats).
fn comparable(v: &Vector, other: &Vector) -> Result<Vec<Key>> {
    let v = if (v.ty.is_integral() || v.ty.is_temporal()) && other.ty.is_floating() {
        cast(v, DataType::Double, 0)?
    } else if v.ty == DataType::Float {
        cast(v, DataType::Double, 0)?
    } else if v.ty.is_decimal() && !other.ty.is_decimal() {
        cast(v, DataType::Double, 0)?
    } else {
        v.clone()
    };
    Ok(keys_of(&v))
}

/// `in(X, Y)`: whether each element of X is in Y (a vector, set, dictionary keys or table).
fn in_(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = vector_arg("in", &args[0], "X")?;
    let out = match in_fast(x, &args[1]) {
        Some(out) => out,
        None => {
            let (xk, set) = membership(x, &args[1])?;
            xk.iter().map(|k| set.contains(k) as i8).collect()
        }
    };
    Ok(data_util::same_form(
        &args[0],
        Vector::from_i8(DataType::Bool, out),
    ))
}

/// `in` without a key per row, for the common cases of a `where` clause: SYMBOL X (each
/// distinct symbol of X's base is looked up once, then rows test their code) and integral X
/// against integral Y (a set of i64 with a cheap hash). None: take the general path.
fn in_fast(x: &Vector, y: &Value) -> Option<Vec<i8>> {
    let target: &Vector = match y {
        Value::Vector(v) => v,
        Value::Scalar(v) => v,
        Value::Set(s) => &s.keys,
        _ => return None,
    };
    if x.is_array() || target.is_array() {
        return None;
    }
    match (&x.data, &target.data) {
        (Data::Sym(xs), Data::Sym(_) | Data::Str(_)) => {
            let mut hit = vec![0i8; xs.base.len()];
            for i in 0..target.len() {
                let s = match &target.data {
                    Data::Sym(t) => t.get(i),
                    Data::Str(t) => t[i].as_str(),
                    _ => unreachable!(),
                };
                if let Some(c) = xs.base.find(s) {
                    hit[c as usize] = 1;
                }
            }
            Some(
                xs.codes
                    .iter()
                    .map(|&c| hit.get(c as usize).copied().unwrap_or(0))
                    .collect(),
            )
        }
        (Data::I8(_) | Data::I16(_) | Data::I32(_) | Data::I64(_), _)
            if (x.ty.is_integral() || x.ty.is_temporal())
                && (target.ty.is_integral() || target.ty.is_temporal())
                && matches!(
                    target.data,
                    Data::I8(_) | Data::I16(_) | Data::I32(_) | Data::I64(_)
                ) =>
        {
            let wanted: Vec<i64> = (0..target.len())
                .map(|i| match target.key_at(i) {
                    value::Key::Int(k) => k,
                    _ => i64::MIN,
                })
                .collect();
            // A short list is scanned; a longer one hashed.
            let set: HashSet<i64, FxBuild> = if wanted.len() > 8 {
                wanted.iter().copied().collect()
            } else {
                HashSet::default()
            };
            let test = |k: i64| -> i8 {
                if wanted.len() <= 8 {
                    wanted.contains(&k) as i8
                } else {
                    set.contains(&k) as i8
                }
            };
            Some(match &x.data {
                Data::I8(v) => v.iter().map(|&k| test(k as i64)).collect(),
                Data::I16(v) => v.iter().map(|&k| test(k as i64)).collect(),
                Data::I32(v) => v.iter().map(|&k| test(k as i64)).collect(),
                Data::I64(v) => v.iter().map(|&k| test(k)).collect(),
                _ => unreachable!(),
            })
        }
        _ => None,
    }
}

/// `find(X, Y)`: the first index of each element of Y in X, or -1.
fn find(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = vector_arg("find", &args[0], "X")?;
    let y = vector_arg("find", &args[1], "Y")?;
    let xk = comparable(x, y)?;
    let mut first: HashMap<&Key, i32> = HashMap::with_capacity(xk.len());
    for (i, k) in xk.iter().enumerate().rev() {
        first.insert(k, i as i32);
    }
    let yk = comparable(y, x)?;
    let out: Vec<i32> = yk.iter().map(|k| *first.get(k).unwrap_or(&-1)).collect();
    Ok(data_util::same_form(
        &args[1],
        Vector::from_i32(DataType::Int, out),
    ))
}

/// `at(X)`: indices of true elements; `at(X, index)`: X[index].
fn at(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = vector_arg("at", &args[0], "X")?;
    if args.len() == 1 {
        let idx: Vec<i32> = (0..x.len())
            .filter(|&i| x.i64_at(i).map(|b| b != 0).unwrap_or(false))
            .map(|i| i as i32)
            .collect();
        return Ok(Value::vector(Vector::from_i32(DataType::Int, idx)));
    }
    match &args[1] {
        Value::Pair(p) => {
            let n = x.len() as i64;
            let s = p.i64_at(0).unwrap_or(0).clamp(0, n) as usize;
            let e = p.i64_at(1).unwrap_or(n).clamp(0, n) as usize;
            Ok(Value::vector(x.slice(s.min(e), e)))
        }
        idx => {
            let iv = vector_arg("at", idx, "index")?;
            let ix: Vec<i64> = (0..iv.len()).map(|i| iv.i64_at(i).unwrap_or(-1)).collect();
            Ok(data_util::same_form(idx, x.take(&ix)))
        }
    }
}

/// `concatMatrix(X, [horizontal=true])`: joins a tuple of matrices side by side or stacked.
fn concat_matrix(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let horizontal = match args.get(1) {
        Some(v) => bool_arg("concatMatrix", v, "horizontal")?,
        None => true,
    };
    let items = tuple_items(&args[0]);
    let mats: Vec<Arc<Matrix>> = items
        .iter()
        .map(|m| match m {
            Value::Matrix(m) => Ok(m.clone()),
            _ => bail!("The argument of function [concatMatrix] must be a tuple of matrices"),
        })
        .collect::<Result<_>>()?;
    let Some(first) = mats.first() else {
        bail!("The argument of function [concatMatrix] must not be empty");
    };
    let (ty, scale) = (first.data.ty, first.data.scale);
    if horizontal {
        let mut data = Vector::empty(ty);
        data.scale = scale;
        let mut cols = 0;
        for m in &mats {
            if m.rows != first.rows {
                bail!("The matrices must have the same number of rows");
            }
            data.extend(&cast(&m.data, ty, scale)?);
            cols += m.cols;
        }
        return Ok(Value::Matrix(Arc::new(Matrix::new(data, first.rows, cols))));
    }
    let rows: usize = mats.iter().map(|m| m.rows).sum();
    let mut data = Vector::empty(ty);
    data.scale = scale;
    for j in 0..first.cols {
        for m in &mats {
            if m.cols != first.cols {
                bail!("The matrices must have the same number of columns");
            }
            data.extend(&cast(&m.column(j), ty, scale)?);
        }
    }
    Ok(Value::Matrix(Arc::new(Matrix::new(data, rows, first.cols))))
}

/// The part of `len` items that `head`/`tail` keep for `n`.
fn head_range(len: usize, n: i64, from_end: bool) -> (usize, usize) {
    let k = (n.unsigned_abs() as usize).min(len);
    match (from_end, n >= 0) {
        (false, true) => (0, k),
        (false, false) => (0, len - k),
        (true, true) => (len - k, len),
        (true, false) => (k, len),
    }
}

fn head_tail(args: &[Value], from_end: bool) -> Result<Value> {
    let func = if from_end { "tail" } else { "head" };
    let n = match args.get(1) {
        Some(v) => Some(int_arg(func, v, "n")?),
        None => None,
    };
    match &args[0] {
        Value::Vector(v) | Value::Pair(v) => {
            let (s, e) = head_range(v.len(), n.unwrap_or(1), from_end);
            if n.is_none() {
                if v.is_empty() {
                    return Ok(Value::null(v.ty));
                }
                return Ok(v.get(s));
            }
            Ok(Value::vector(v.slice(s, e)))
        }
        Value::Matrix(m) => {
            let (s, e) = head_range(m.cols, n.unwrap_or(1), from_end);
            if n.is_none() {
                if m.cols == 0 {
                    return Ok(Value::vector(Vector::empty(m.data.ty)));
                }
                return Ok(Value::vector(m.column(s)));
            }
            let data = m.data.slice(s * m.rows, e * m.rows);
            Ok(Value::Matrix(Arc::new(Matrix::new(data, m.rows, e - s))))
        }
        Value::Table(t) => {
            let (s, e) = head_range(t.rows(), n.unwrap_or(1), from_end);
            if n.is_none() && s < e {
                return Ok(super::tables::row_dict(t, s));
            }
            let idx: Vec<i64> = (s as i64..e as i64).collect();
            Ok(Value::table(data_util::table_take(t, &idx)))
        }
        Value::Scalar(_) => Ok(args[0].clone()),
        _ => bail!(
            "The argument of function [{}] must be a vector, matrix or table",
            func
        ),
    }
}

fn head(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    head_tail(args, false)
}

fn tail(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    head_tail(args, true)
}

/// `subarray(X, start:end)`.
fn subarray(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = vector_arg("subarray", &args[0], "X")?;
    let Value::Pair(p) = &args[1] else {
        bail!("The second argument of function [subarray] must be a pair start:end");
    };
    let n = x.len() as i64;
    let s = p.i64_at(0).unwrap_or(0);
    let e = p.i64_at(1).unwrap_or(n);
    if s < 0 || e > n || s > e {
        bail!("The range of function [subarray] is out of bounds");
    }
    Ok(Value::vector(x.slice(s as usize, e as usize)))
}

fn remove_ends(args: &[Value], from_end: bool) -> Result<Value> {
    let func = if from_end {
        "removeTail!"
    } else {
        "removeHead!"
    };
    let n = count_arg(func, &args[1], "n")?;
    match &args[0] {
        Value::Vector(v) => {
            let k = n.min(v.len());
            let (s, e) = if from_end {
                (0, v.len() - k)
            } else {
                (k, v.len())
            };
            Ok(Value::vector(v.slice(s, e)))
        }
        Value::Table(t) => {
            let k = n.min(t.rows());
            let (s, e) = if from_end {
                (0, t.rows() - k)
            } else {
                (k, t.rows())
            };
            let idx: Vec<i64> = (s as i64..e as i64).collect();
            Ok(Value::table(data_util::table_take(t, &idx)))
        }
        _ => bail!("The first argument of function [{}] must be a vector", func),
    }
}

fn remove_head(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    remove_ends(args, false)
}

fn remove_tail(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    remove_ends(args, true)
}

/// `erase!(obj, key)`: removes keys from a set or dictionary.
fn erase(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let keys = vector_arg("erase!", &args[1], "key")?;
    match &args[0] {
        Value::Set(s) => {
            let gone: HashSet<Key> = comparable(keys, &s.keys)?.into_iter().collect();
            let keep: Vec<i64> = (0..s.keys.len())
                .filter(|&i| !gone.contains(&s.keys.key_at(i)))
                .map(|i| i as i64)
                .collect();
            Ok(Value::set(Set::from_vector(&s.keys.take(&keep))))
        }
        Value::Dict(d) => {
            let gone: HashSet<Key> = comparable(keys, &d.keys)?.into_iter().collect();
            let keep: Vec<i64> = (0..d.keys.len())
                .filter(|&i| !gone.contains(&d.keys.key_at(i)))
                .map(|i| i as i64)
                .collect();
            let mut out = Dict::from_vectors(d.keys.take(&keep), d.values.take(&keep));
            out.ordered = d.ordered;
            Ok(Value::dict(out))
        }
        _ => bail!("The first argument of function [erase!] must be a set or a dictionary"),
    }
}

/// `clear!(obj)`: empties a vector, set, dictionary or table, keeping its type.
fn clear(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(match &args[0] {
        Value::Vector(v) => Value::vector(v.slice(0, 0)),
        Value::Set(s) => {
            let mut e = Set::new(s.keys.ty);
            e.keys.scale = s.keys.scale;
            Value::set(e)
        }
        Value::Dict(d) => {
            let mut e = Dict::from_vectors(d.keys.slice(0, 0), d.values.slice(0, 0));
            e.ordered = d.ordered;
            Value::dict(e)
        }
        Value::Table(t) => Value::table(data_util::table_take(t, &[])),
        _ => bail!("The argument of function [clear!] must be a vector, set, dictionary or table"),
    })
}

/// `reshape(obj, [dim])`: a vector to a rows:cols matrix, or a matrix back to a vector.
fn reshape(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let data = match &args[0] {
        Value::Matrix(m) => m.data.clone(),
        Value::Vector(v) => (**v).clone(),
        _ => bail!("The first argument of function [reshape] must be a vector or matrix"),
    };
    let Some(dim) = args.get(1) else {
        return Ok(Value::vector(data));
    };
    let Value::Pair(p) = dim else {
        bail!("The dimension of function [reshape] must be a pair rows:columns");
    };
    let n = data.len() as i64;
    let (r, c) = match (p.i64_at(0), p.i64_at(1)) {
        (Some(r), Some(c)) => (r, c),
        (Some(r), None) if r > 0 => (r, n / r),
        (None, Some(c)) if c > 0 => (n / c, c),
        _ => bail!("Invalid dimension for function [reshape]"),
    };
    if r < 0 || c < 0 || r * c != n {
        bail!("The dimension of function [reshape] doesn't match the size of the object");
    }
    Ok(Value::Matrix(Arc::new(Matrix::new(
        data, r as usize, c as usize,
    ))))
}

/// `shuffle(X)`: a random permutation.
fn shuffle(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = vector_arg("shuffle", &args[0], "X")?;
    let n = x.len();
    let ranks = super::construct::functions()
        .into_iter()
        .find(|b| b.name == "rand")
        .map(|b| (b.f)(env, &[Value::long(i64::MAX), Value::int(n as i32)]))
        .transpose()?;
    let mut idx: Vec<i64> = (0..n as i64).collect();
    if let Some(r) = ranks.as_ref().and_then(|r| r.as_vector()) {
        for i in (1..n).rev() {
            let j = (data_util::raw_i64(r, i).unsigned_abs() % (i as u64 + 1)) as usize;
            idx.swap(i, j);
        }
    }
    Ok(data_util::same_form(&args[0], x.take(&idx)))
}

fn set_keys<'a>(func: &str, v: &'a Value) -> Result<std::borrow::Cow<'a, Vector>> {
    match v {
        Value::Set(s) => Ok(std::borrow::Cow::Borrowed(&s.keys)),
        Value::Vector(v) => Ok(std::borrow::Cow::Borrowed(v.as_ref())),
        Value::Scalar(v) => Ok(std::borrow::Cow::Borrowed(v)),
        _ => bail!("The arguments of function [{}] must be sets", func),
    }
}

/// `union(X, Y)` of two sets.
fn union(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let a = set_keys("union", &args[0])?;
    let b = set_keys("union", &args[1])?;
    let mut s = Set::from_vector(&a);
    s.insert_all(&cast(&b, a.ty, a.scale)?);
    Ok(Value::set(s))
}

fn filter_set(func: &str, args: &[Value], keep_common: bool) -> Result<Value> {
    let a = set_keys(func, &args[0])?;
    let b = set_keys(func, &args[1])?;
    let other: HashSet<Key> = comparable(&b, &a)?.into_iter().collect();
    let ak = comparable(&a, &b)?;
    let keep: Vec<i64> = (0..a.len())
        .filter(|&i| other.contains(&ak[i]) == keep_common)
        .map(|i| i as i64)
        .collect();
    Ok(Value::set(Set::from_vector(&a.take(&keep))))
}

/// `intersection(X, Y)` of two sets.
fn intersection(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    filter_set("intersection", args, true)
}

/// `difference(X, Y)`: elements of set X not in Y.
fn difference(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    filter_set("difference", args, false)
}

/// `isDuplicated(X, [keep=FIRST])`: marks duplicates; keep FIRST (0) leaves the first
/// occurrence unmarked, LAST (1) the last, NONE (2) marks every duplicated value.
fn is_duplicated(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = vector_arg("isDuplicated", &args[0], "X")?;
    // keep: FIRST (0), LAST (1) or NONE (2); the constants FIRST and LAST are strings here.
    let keep = match args.get(1).filter(|v| !v.is_void()) {
        Some(v) => match v.as_str() {
            Some("FIRST") => 0,
            Some("LAST") => 1,
            Some("NONE") => 2,
            _ => int_arg("isDuplicated", v, "keep")?,
        },
        None => 0,
    };
    let keys = keys_of(x);
    let mut count: HashMap<&Key, usize> = HashMap::with_capacity(keys.len());
    for k in &keys {
        *count.entry(k).or_insert(0) += 1;
    }
    let mut out = vec![0i8; keys.len()];
    let mut seen: HashSet<&Key> = HashSet::with_capacity(keys.len());
    match keep {
        0 => {
            for (i, k) in keys.iter().enumerate() {
                out[i] = !seen.insert(k) as i8;
            }
        }
        1 => {
            for (i, k) in keys.iter().enumerate().rev() {
                out[i] = !seen.insert(k) as i8;
            }
        }
        _ => {
            for (i, k) in keys.iter().enumerate() {
                out[i] = (count[k] > 1) as i8;
            }
        }
    }
    Ok(Value::vector(Vector::from_i8(DataType::Bool, out)))
}

/// For each y: the index found in sorted `xs` by `pick` (exact match or last <= y), else -1.
fn sorted_positions<T, F>(xs: &[T], ys: &[T], exact: bool, cmp: F) -> Vec<i32>
where
    F: Fn(&T, &T) -> Ordering,
{
    ys.iter()
        .map(|y| {
            let upper = xs.partition_point(|x| cmp(x, y) != Ordering::Greater);
            if exact {
                let lower = xs.partition_point(|x| cmp(x, y) == Ordering::Less);
                if lower < upper {
                    lower as i32
                } else {
                    -1
                }
            } else {
                upper as i32 - 1
            }
        })
        .collect()
}

fn search(func: &str, args: &[Value], exact: bool) -> Result<Value> {
    let x = vector_arg(func, &args[0], "X")?;
    let y0 = vector_arg(func, &args[1], "Y")?;
    if x.is_array() || x.ty == DataType::Any {
        bail!(
            "The argument X of function [{}] must be a sorted vector",
            func
        );
    }
    let y = cast(y0, x.ty, x.scale)?;
    let out = match (&x.data, &y.data) {
        (Data::I8(a), Data::I8(b)) => sorted_positions(a, b, exact, |p, q| p.cmp(q)),
        (Data::I16(a), Data::I16(b)) => sorted_positions(a, b, exact, |p, q| p.cmp(q)),
        (Data::I32(a), Data::I32(b)) => sorted_positions(a, b, exact, |p, q| p.cmp(q)),
        (Data::I64(a), Data::I64(b)) => sorted_positions(a, b, exact, |p, q| p.cmp(q)),
        (Data::I128(a), Data::I128(b)) => sorted_positions(a, b, exact, |p, q| p.cmp(q)),
        (Data::F32(a), Data::F32(b)) => sorted_positions(a, b, exact, |p, q| p.total_cmp(q)),
        (Data::F64(a), Data::F64(b)) => sorted_positions(a, b, exact, |p, q| p.total_cmp(q)),
        (Data::Str(a), Data::Str(b)) => sorted_positions(a, b, exact, |p, q| p.cmp(q)),
        (Data::Sym(a), Data::Sym(b)) => {
            let a: Vec<&str> = a.iter().collect();
            let b: Vec<&str> = b.iter().collect();
            sorted_positions(&a, &b, exact, |p, q| p.cmp(q))
        }
        (Data::Blob(a), Data::Blob(b)) => sorted_positions(a, b, exact, |p, q| p.cmp(q)),
        _ => bail!(
            "The argument X of function [{}] must be a sorted vector",
            func
        ),
    };
    Ok(data_util::same_form(
        &args[1],
        Vector::from_i32(DataType::Int, out),
    ))
}

/// `binsrch(X, Y)`: the index of each y in the sorted vector X, or -1.
fn binsrch(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    search("binsrch", args, true)
}

/// `asof(X, Y)`: the index of the last element of sorted X that is <= y, or -1.
fn asof(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    search("asof", args, false)
}

/// `groups(X, [mode='dict'])`: each distinct value mapped to the indices where it occurs.
fn groups(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = vector_arg("groups", &args[0], "X")?;
    let mode = match args.get(1) {
        Some(m) => data_util::str_arg("groups", m, "mode")?.to_string(),
        None => "dict".to_string(),
    };
    let keys = keys_of(x);
    let mut first: Vec<i64> = Vec::new();
    let mut members: Vec<Vec<i32>> = Vec::new();
    let mut slot: HashMap<&Key, usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        let s = *slot.entry(k).or_insert_with(|| {
            first.push(i as i64);
            members.push(Vec::new());
            members.len() - 1
        });
        members[s].push(i as i32);
    }
    let distinct = x.take(&first);
    let lists: Vec<Value> = members
        .into_iter()
        .map(|m| Value::vector(Vector::from_i32(DataType::Int, m)))
        .collect();
    match mode.as_str() {
        "dict" => Ok(Value::dict(Dict::from_vectors(
            distinct,
            Vector::from_values(lists),
        ))),
        "table" | "vector" | "tuple" => {
            let rows: Vec<Vector> = lists
                .iter()
                .filter_map(|l| l.as_vector().cloned())
                .collect();
            let av = array_vector(DataType::Int, 0, &rows)?;
            if mode == "table" {
                return Ok(Value::table(Table::new(
                    vec!["key".into(), "index".into()],
                    vec![distinct, av],
                )));
            }
            if mode == "tuple" {
                return Ok(Value::tuple(vec![
                    Value::vector(distinct),
                    Value::tuple(lists),
                ]));
            }
            Ok(Value::tuple(vec![
                Value::vector(distinct),
                Value::vector(av),
            ]))
        }
        _ => bail!("The mode of function [groups] must be 'dict', 'table', 'vector' or 'tuple'"),
    }
}

/// `hasNull(X)`: whether any element is null.
fn has_null(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let any = match &args[0] {
        Value::Table(t) => t.columns.iter().any(|c| (0..c.len()).any(|i| c.is_null(i))),
        v => {
            let x = vector_arg("hasNull", v, "X")?;
            (0..x.len()).any(|i| x.is_null(i))
        }
    };
    Ok(Value::bool(any))
}

/// `countNanInf(X, [includeNull=false])`: how many elements are NaN or infinite (and null).
fn count_nan_inf(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = vector_arg("countNanInf", &args[0], "X")?;
    let include_null = match args.get(1) {
        Some(v) => bool_arg("countNanInf", v, "includeNull")?,
        None => false,
    };
    let n = match &x.data {
        Data::F64(v) => v
            .iter()
            .filter(|f| !f.is_finite() || (include_null && **f == null::F64))
            .count(),
        Data::F32(v) => v
            .iter()
            .filter(|f| !f.is_finite() || (include_null && **f == null::F32))
            .count(),
        _ if include_null => (0..x.len()).filter(|&i| x.is_null(i)).count(),
        _ => 0,
    };
    Ok(Value::int(n as i32))
}

#[cfg(test)]
mod tests {
    use super::super::data_util::test_env::*;
    use super::*;

    fn bools(v: &Value) -> Vec<i64> {
        as_i64s(v)
    }

    #[test]
    fn append_converts() {
        let x = call("append!", &[ints(&[1, 2]), Value::double(7.2)]).unwrap();
        assert_eq!(as_i64s(&x), vec![1, 2, 7]);
        let e = call("append!", &[ints(&[1]), Value::string("XOM")]).unwrap_err();
        assert_eq!(
            e.message(),
            "Incompatible type. Expected: INT, Actual: STRING"
        );
        let d = Value::vector(Vector::from_f64(vec![1.0]));
        let x = call("append!", &[d, Value::null(DataType::Float)]).unwrap();
        assert_eq!(x.as_vector().map(|v| v.is_null(1)), Some(true));
        let tup = Value::tuple(vec![Value::int(1)]);
        let x = call("append!", &[tup.clone(), ints(&[2, 3])]).unwrap();
        assert_eq!(x.len(), 2);
        let x = call(
            "append!",
            &[tup, Value::tuple(vec![Value::int(2), Value::int(3)])],
        )
        .unwrap();
        assert_eq!(x.len(), 3);
    }

    #[test]
    fn append_array_vector() {
        let av = call(
            "array",
            &[super::super::data_util::type_constant(
                DataType::Int,
                0,
                true,
            )],
        )
        .unwrap();
        let rows = Value::tuple(vec![ints(&[1, 2, 3]), ints(&[4])]);
        let x = call("append!", &[av, rows]).unwrap();
        assert_eq!(x.len(), 2);
        assert_eq!(x.type_code(), 68);
    }

    #[test]
    fn join_and_membership() {
        let j = call("join", &[ints(&[1, 2]), Value::double(2.5)]).unwrap();
        assert_eq!(as_f64s(&j), vec![1.0, 2.0, 2.5]);
        let b = Value::vector(Vector::from_i8(DataType::Bool, vec![1]));
        let j = call("join", &[b.clone(), b]).unwrap();
        assert_eq!(j.data_type(), DataType::Bool);
        let i = call("in", &[ints(&[1, 5]), ints(&[5, 6])]).unwrap();
        assert_eq!(bools(&i), vec![0, 1]);
        let i = call(
            "in",
            &[Value::int(2), Value::vector(Vector::from_f64(vec![2.0]))],
        )
        .unwrap();
        assert_eq!(i.as_bool(), Some(true));
        let f = call("find", &[ints(&[3, 4, 3]), ints(&[3, 9])]).unwrap();
        assert_eq!(as_i64s(&f), vec![0, -1]);
    }

    #[test]
    fn slices() {
        let v = ints(&[1, 2, 3, 4, 5]);
        assert_eq!(call("tail", &[v.clone()]).unwrap().as_i64(), Some(5));
        assert_eq!(
            as_i64s(&call("tail", &[v.clone(), Value::int(2)]).unwrap()),
            vec![4, 5]
        );
        assert_eq!(
            as_i64s(&call("head", &[v.clone(), Value::int(-2)]).unwrap()),
            vec![1, 2, 3]
        );
        let c = call("cut", &[v.clone(), Value::int(2)]).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(
            as_i64s(&call("removeHead!", &[v.clone(), Value::int(2)]).unwrap()),
            vec![3, 4, 5]
        );
        let b = call("binsrch", &[v.clone(), ints(&[3, 9])]).unwrap();
        assert_eq!(as_i64s(&b), vec![2, -1]);
        let a = call("asof", &[ints(&[1, 3, 5]), ints(&[0, 4, 9])]).unwrap();
        assert_eq!(as_i64s(&a), vec![-1, 1, 2]);
    }

    #[test]
    fn sets_and_dups() {
        let s = call(
            "union",
            &[
                call("set", &[ints(&[1, 2])]).unwrap(),
                call("set", &[ints(&[2, 3])]).unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(s.len(), 3);
        let s = call(
            "intersection",
            &[
                call("set", &[ints(&[1, 2])]).unwrap(),
                call("set", &[ints(&[2, 3])]).unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(s.len(), 1);
        let d = call("isDuplicated", &[ints(&[1, 2, 1, 1])]).unwrap();
        assert_eq!(as_i64s(&d), vec![0, 0, 1, 1]);
        let d = call("isDuplicated", &[ints(&[1, 2, 1]), Value::int(2)]).unwrap();
        assert_eq!(as_i64s(&d), vec![1, 0, 1]);
        let g = call("groups", &[ints(&[5, 6, 5])]).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(
            call("hasNull", &[ints(&[1, i32::MIN])]).unwrap().as_bool(),
            Some(true)
        );
    }
}
