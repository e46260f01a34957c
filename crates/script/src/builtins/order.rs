//! Built-ins: order, shift and fill (`prev`, `next`, `move`, `deltas`, `ratios`,
//! `percentChange`, `rank`, `denseRank`, `isort`, `sort`, `sortBy!`, `reverse`, `distinct`,
//! `iif`, `ffill`, `bfill`, `lfill`, `nullFill`).
//!
//! Most of these pick elements by index (`Vector::take`), so they work for every type; an
//! out-of-range or -1 index gives null. Sorting orders nulls first when ascending (null is the
//! minimum, as in comparisons). Functions ending in `!` return the new value; the interpreter
//! assigns it back to the variable.

use std::cmp::Ordering;
use std::collections::HashSet;

use value::{convert, null, Data, DataType, Table, Value, Vector};

use super::arith::{ratio_values, sub_values};
use super::kernels::form::{align, map_columns, rebuild, split, split_arg, unsupported_form};
use super::kernels::num::{dispatch_num, valid_mask, Num};
use super::kernels::promote::{common_numeric, to_f64_nan};
use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    let (w, s, o) = (Kind::Window, Kind::Scalar, Kind::Other);
    vec![
        builtin("prev", 1, 1, w, prev),
        builtin("next", 1, 1, w, next),
        builtin("move", 2, 2, w, move_),
        builtin("deltas", 1, 2, w, deltas),
        builtin("ratios", 1, 1, w, ratios),
        builtin("percentChange", 1, 2, w, percent_change),
        builtin("rank", 1, 6, w, rank),
        builtin("denseRank", 1, 4, w, dense_rank),
        builtin("isort", 1, 2, o, isort),
        builtin("isort!", 3, 3, o, isort_into),
        builtin("sort", 1, 2, o, sort),
        builtin("sort!", 1, 2, o, sort),
        builtin("sortBy!", 2, 3, o, sort_by),
        builtin("reverse", 1, 1, o, reverse),
        builtin("distinct", 1, 1, o, distinct),
        builtin("iif", 3, 3, s, iif),
        builtin("ffill", 1, 2, w, ffill),
        builtin("ffill!", 1, 2, w, ffill),
        builtin("bfill", 1, 2, w, bfill),
        builtin("bfill!", 1, 2, w, bfill),
        builtin("lfill", 1, 1, w, lfill),
        builtin("lfill!", 1, 1, w, lfill),
        builtin("nullFill", 2, 2, s, null_fill),
        builtin("nullFill!", 2, 2, s, null_fill),
    ]
}

// ---------------------------------------------------------------------------------------------
// Shifts

/// Element i becomes element `i - steps` (null where that is out of range).
fn shifted(v: &Vector, steps: i64) -> Vector {
    let n = v.len() as i64;
    let idx: Vec<i64> = (0..n)
        .map(|i| {
            let j = i - steps;
            if (0..n).contains(&j) {
                j
            } else {
                -1
            }
        })
        .collect();
    v.take(&idx)
}

fn steps_arg(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Scalar(s) if s.ty.is_integral() => s
            .i64_at(0)
            .ok_or_else(|| Error::new(format!("The steps of [{name}] must not be null."))),
        _ => Err(Error::new(format!(
            "The steps of [{name}] must be an integer."
        ))),
    }
}

fn prev(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("prev", &args[0], |v| Ok(shifted(v, 1)))
}

fn next(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("next", &args[0], |v| Ok(shifted(v, -1)))
}

/// `move(X, k)`: a positive k shifts right like `prev`, a negative one left like `next`.
fn move_(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let k = steps_arg("move", &args[1])?;
    map_columns("move", &args[0], |v| Ok(shifted(v, k)))
}

/// `deltas(X, [n=1])`: `X - move(X, n)`.
fn deltas(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let k = match args.get(1) {
        Some(v) => steps_arg("deltas", v)?,
        None => 1,
    };
    map_columns("deltas", &args[0], |v| {
        let r = sub_values(&Value::vector(v.clone()), &Value::vector(shifted(v, k)))?;
        payload(r)
    })
}

/// `ratios(X)`: `X \ prev(X)` as DOUBLE.
fn ratios(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("ratios", &args[0], |v| {
        let r = ratio_values(&Value::vector(v.clone()), &Value::vector(shifted(v, 1)))?;
        payload(r)
    })
}

/// `percentChange(X, [n=1])`: `X \ move(X, n) - 1`.
fn percent_change(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let k = match args.get(1) {
        Some(v) => steps_arg("percentChange", v)?,
        None => 1,
    };
    map_columns("percentChange", &args[0], |v| {
        let r = ratio_values(&Value::vector(v.clone()), &Value::vector(shifted(v, k)))?;
        let mut out = payload(r)?;
        if let Data::F64(x) = &mut out.data {
            for e in x.iter_mut() {
                if *e != null::F64 {
                    *e -= 1.0;
                }
            }
        }
        Ok(out)
    })
}

fn payload(v: Value) -> Result<Vector> {
    match v {
        Value::Scalar(x) => Ok(x),
        Value::Vector(x) | Value::Pair(x) => Ok(x.as_ref().clone()),
        _ => Err(Error::new("internal: expected a vector")),
    }
}

// ---------------------------------------------------------------------------------------------
// Ordering

/// Compares two elements of one vector; nulls order first (they are the minimum).
fn element_order(v: &Vector) -> Result<Box<dyn Fn(usize, usize) -> Ordering + '_>> {
    if v.ty.is_decimal() {
        let x = to_f64_nan(v)?;
        return Ok(Box::new(move |i, j| nan_first(x[i], x[j])));
    }
    let f: Box<dyn Fn(usize, usize) -> Ordering + '_> = dispatch_num!(&v.data, T, s => {
        if T::IS_FLOAT {
            Box::new(move |i, j| {
                let (a, b) = (s[i], s[j]);
                match (a.is_null(), b.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    _ => a.to_f64().total_cmp(&b.to_f64()),
                }
            })
        } else {
            Box::new(move |i, j| s[i].partial_cmp(&s[j]).unwrap_or(Ordering::Equal))
        }
    }, _ => match &v.data {
        Data::Void(_) => Box::new(|_, _| Ordering::Equal),
        Data::Str(s) => Box::new(move |i, j| s[i].cmp(&s[j])),
        Data::Sym(s) => Box::new(move |i, j| s.get(i).cmp(s.get(j))),
        Data::I128(s) => Box::new(move |i, j| s[i].cmp(&s[j])),
        _ => {
            return Err(Error::new(format!(
                "Can't sort a vector of type {}.",
                v.ty.name()
            )))
        }
    });
    Ok(f)
}

fn nan_first(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => a.total_cmp(&b),
    }
}

/// A stable permutation sorting `keys` lexicographically (each ascending or descending).
fn sort_perm(keys: &[&Vector], ascending: &[bool]) -> Result<Vec<usize>> {
    let n = keys.first().map(|k| k.len()).unwrap_or(0);
    if keys.iter().any(|k| k.len() != n) {
        return Err(Error::new("All sort keys must have the same length."));
    }
    let cmps = keys
        .iter()
        .map(|k| element_order(k))
        .collect::<Result<Vec<_>>>()?;
    let mut perm: Vec<usize> = (0..n).collect();
    perm.sort_by(|&i, &j| {
        for (c, &asc) in cmps.iter().zip(ascending) {
            let o = c(i, j);
            let o = if asc { o } else { o.reverse() };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    Ok(perm)
}

fn bool_arg(name: &str, v: Option<&Value>, default: bool) -> Result<bool> {
    match v {
        None => Ok(default),
        Some(v) if v.is_null() => Ok(default),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| Error::new(format!("The function [{name}] expects a boolean flag."))),
    }
}

/// The vectors of a sort key: one vector, or a tuple of equal-length vectors.
fn key_vectors<'a>(name: &str, x: &'a Value) -> Result<Vec<&'a Vector>> {
    match x {
        Value::Vector(v) => match &v.data {
            Data::Any(items) => items
                .iter()
                .map(|it| match it {
                    Value::Vector(k) => Ok(k.as_ref()),
                    _ => Err(Error::new(format!(
                        "The tuple argument of [{name}] must hold vectors."
                    ))),
                })
                .collect(),
            _ => Ok(vec![v.as_ref()]),
        },
        Value::Scalar(v) => Ok(vec![v]),
        Value::Pair(v) => Ok(vec![v.as_ref()]),
        _ => Err(unsupported_form(name, x)),
    }
}

/// One ascending flag per key: a scalar applies to every key.
fn directions(name: &str, v: Option<&Value>, keys: usize) -> Result<Vec<bool>> {
    match v {
        None => Ok(vec![true; keys]),
        Some(Value::Scalar(_)) => Ok(vec![bool_arg(name, v, true)?; keys]),
        Some(Value::Vector(d)) if d.len() == keys => (0..keys)
            .map(|i| {
                d.i64_at(i)
                    .map(|x| x != 0)
                    .ok_or_else(|| Error::new(format!("Bad sort direction for [{name}].")))
            })
            .collect(),
        Some(_) => Err(Error::new(format!(
            "The sort directions of [{name}] must be a boolean or one per key."
        ))),
    }
}

/// `isort(X, [ascending=true])`: the permutation that sorts X (a vector or a tuple of keys).
fn isort(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let keys = key_vectors("isort", &args[0])?;
    let dirs = directions("isort", args.get(1), keys.len())?;
    let perm = sort_perm(&keys, &dirs)?;
    let out = perm.into_iter().map(|i| i as i32).collect();
    Ok(Value::vector(Vector::from_i32(DataType::Int, out)))
}

/// `isort!(X, ascending, indices)`: `indices[isort(X, ascending)]`.
fn isort_into(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let perm = isort(env, &args[..2])?;
    let (form, y) = split_arg("isort!", &args[2])?;
    let idx: Vec<i64> = match perm.as_vector().map(|v| &v.data) {
        Some(Data::I32(p)) => p.iter().map(|&i| i as i64).collect(),
        _ => return Err(Error::new("internal: isort gave no indices")),
    };
    if idx.len() != y.len() {
        return Err(Error::new(
            "The indices of [isort!] must be as long as the sort keys.",
        ));
    }
    Ok(rebuild(&form, y.take(&idx)))
}

/// `sort(X, [ascending=true])`: a sorted vector, or a matrix whose cells are sorted in
/// column-major order.
fn sort(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let asc = bool_arg("sort", args.get(1), true)?;
    let sorted = |v: &Vector| -> Result<Vector> {
        let perm = sort_perm(&[v], &[asc])?;
        let idx: Vec<i64> = perm.into_iter().map(|i| i as i64).collect();
        Ok(v.take(&idx))
    };
    match &args[0] {
        Value::Vector(v) if !matches!(v.data, Data::Any(_)) => Ok(Value::vector(sorted(v)?)),
        Value::Matrix(_) => {
            let (form, v) = split_arg("sort", &args[0])?;
            Ok(rebuild(&form, sorted(v)?))
        }
        Value::Scalar(_) => Ok(args[0].clone()),
        x => Err(unsupported_form("sort", x)),
    }
}

/// `sortBy!(table, sortColumns, [sortDirections])`: the table's rows in sorted order.
fn sort_by(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let Value::Table(t) = &args[0] else {
        return Err(Error::new(
            "The first argument of [sortBy!] must be a table.",
        ));
    };
    let names: Vec<String> = match split(&args[1]) {
        Some((_, v)) if v.ty.is_literal() => (0..v.len())
            .map(|i| v.str_at(i).unwrap_or("").to_string())
            .collect(),
        _ => {
            return Err(Error::new(
                "The sort columns of [sortBy!] must be column names.",
            ))
        }
    };
    let mut keys = Vec::with_capacity(names.len());
    for n in &names {
        let c = t
            .column(n)
            .ok_or_else(|| Error::new(format!("Unrecognized column name {n}")))?;
        keys.push(c.as_ref());
    }
    let dirs = directions("sortBy!", args.get(2), keys.len())?;
    let perm = sort_perm(&keys, &dirs)?;
    let idx: Vec<i64> = perm.into_iter().map(|i| i as i64).collect();
    let cols = t.columns.iter().map(|c| c.take(&idx)).collect();
    let mut out = Table::new(t.names.clone(), cols);
    out.name = t.name.clone();
    out.kind = t.kind.clone();
    Ok(Value::table(out))
}

fn reverse(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (form, v) = split_arg("reverse", &args[0])?;
    if matches!(form, super::kernels::form::Form::Matrix(_)) {
        return Err(unsupported_form("reverse", &args[0]));
    }
    let n = v.len() as i64;
    let idx: Vec<i64> = (0..n).rev().collect();
    Ok(rebuild(&form, v.take(&idx)))
}

/// Distinct elements in order of first appearance (DolphinDB 3.00.4 and later).
fn distinct(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (_, v) = split_arg("distinct", &args[0])?;
    let keep: Vec<i64> = dispatch_num!(&v.data, T, s => {
        let mut seen: HashSet<u64> = HashSet::new();
        (0..s.len())
            .filter(|&i| {
                let k = if T::IS_FLOAT { s[i].to_f64().to_bits() } else { s[i].to_i64() as u64 };
                seen.insert(k)
            })
            .map(|i| i as i64)
            .collect()
    }, _ => {
        let mut seen = HashSet::new();
        (0..v.len()).filter(|&i| seen.insert(v.key_at(i))).map(|i| i as i64).collect()
    });
    Ok(Value::vector(v.take(&keep)))
}

// ---------------------------------------------------------------------------------------------
// Ranks

#[derive(Copy, Clone, PartialEq, Eq)]
enum Ties {
    Min,
    Max,
    Average,
    First,
}

fn ties_arg(v: Option<&Value>) -> Result<Ties> {
    Ok(match v.filter(|v| !v.is_null()).map(|v| v.as_str()) {
        None => Ties::Min,
        Some(Some("min")) => Ties::Min,
        Some(Some("max")) => Ties::Max,
        Some(Some("average")) => Ties::Average,
        Some(Some("first")) => Ties::First,
        _ => {
            return Err(Error::new(
                "tiesMethod must be 'min', 'max', 'average' or 'first'.",
            ))
        }
    })
}

struct RankSpec {
    ascending: bool,
    group_num: Option<usize>,
    ignore_na: bool,
    ties: Ties,
    percent: bool,
}

/// Ranks of one column: the sorted position (from 0) of each element, ties resolved per
/// `spec`, optionally bucketed into `groupNum` groups or scaled to a fraction.
fn rank_vec(v: &Vector, spec: &RankSpec) -> Result<Vector> {
    let n = v.len();
    let valid = valid_mask(v);
    let cmp = element_order(v)?;
    let mut order: Vec<usize> = (0..n).filter(|&i| valid[i] || !spec.ignore_na).collect();
    order.sort_by(|&i, &j| {
        let o = cmp(i, j);
        if spec.ascending {
            o
        } else {
            o.reverse()
        }
    });
    let m = order.len();
    let mut ranks = vec![f64::NAN; n];
    let mut p = 0usize;
    while p < m {
        let mut q = p + 1;
        while q < m && cmp(order[p], order[q]) == Ordering::Equal {
            q += 1;
        }
        for (k, &i) in order[p..q].iter().enumerate() {
            let pos = match spec.ties {
                Ties::Min => p as f64,
                Ties::Max => (q - 1) as f64,
                Ties::Average => (p + q - 1) as f64 / 2.0,
                Ties::First => (p + k) as f64,
            };
            ranks[i] = match spec.group_num {
                Some(g) => group_of(p + if spec.ties == Ties::First { k } else { 0 }, m, g) as f64,
                None => pos,
            };
        }
        p = q;
    }
    if spec.percent && spec.group_num.is_none() {
        let out = ranks
            .iter()
            .map(|r| {
                if r.is_nan() {
                    null::F64
                } else {
                    (r + 1.0) / m as f64
                }
            })
            .collect();
        return Ok(Vector::from_f64(out));
    }
    if spec.ties == Ties::Average && spec.group_num.is_none() {
        let out = ranks
            .iter()
            .map(|r| if r.is_nan() { null::F64 } else { *r })
            .collect();
        return Ok(Vector::from_f64(out));
    }
    let out = ranks
        .iter()
        .map(|r| if r.is_nan() { null::I32 } else { *r as i32 })
        .collect();
    Ok(Vector::from_i32(DataType::Int, out))
}

/// The group of sorted position `p` when `m` elements split into `g` groups, the first
/// `m % g` groups holding one more element.
fn group_of(p: usize, m: usize, g: usize) -> usize {
    let size = m / g;
    let extra = m % g;
    let big = extra * (size + 1);
    if p < big {
        p / (size + 1)
    } else {
        extra + (p - big).checked_div(size).unwrap_or(0)
    }
}

/// `rank(X, [ascending=true], [groupNum], [ignoreNA=true], [tiesMethod='min'], [percent=false])`.
fn rank(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let group_num = match args.get(2).filter(|v| !v.is_null()) {
        None => None,
        Some(v) => match v.as_i64() {
            Some(g) if g > 0 => Some(g as usize),
            _ => return Err(Error::new("groupNum must be a positive integer.")),
        },
    };
    let spec = RankSpec {
        ascending: bool_arg("rank", args.get(1), true)?,
        group_num,
        ignore_na: bool_arg("rank", args.get(3), true)?,
        ties: ties_arg(args.get(4))?,
        percent: bool_arg("rank", args.get(5), false)?,
    };
    map_columns("rank", &args[0], |v| rank_vec(v, &spec))
}

/// `denseRank(X, [ascending=true], [ignoreNA=true], [percent=false])`: equal values share a
/// rank and ranks have no gaps.
fn dense_rank(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let ascending = bool_arg("denseRank", args.get(1), true)?;
    let ignore_na = bool_arg("denseRank", args.get(2), true)?;
    let percent = bool_arg("denseRank", args.get(3), false)?;
    map_columns("denseRank", &args[0], |v| {
        let n = v.len();
        let valid = valid_mask(v);
        let cmp = element_order(v)?;
        let mut order: Vec<usize> = (0..n).filter(|&i| valid[i] || !ignore_na).collect();
        order.sort_by(|&i, &j| if ascending { cmp(i, j) } else { cmp(j, i) });
        let mut ranks = vec![-1i64; n];
        let mut r = -1i64;
        for k in 0..order.len() {
            if k == 0 || cmp(order[k - 1], order[k]) != Ordering::Equal {
                r += 1;
            }
            ranks[order[k]] = r;
        }
        let distinct = (r + 1) as f64;
        Ok(if percent {
            Vector::from_f64(
                ranks
                    .iter()
                    .map(|&x| {
                        if x < 0 {
                            null::F64
                        } else {
                            (x + 1) as f64 / distinct
                        }
                    })
                    .collect(),
            )
        } else {
            Vector::from_i32(
                DataType::Int,
                ranks
                    .iter()
                    .map(|&x| if x < 0 { null::I32 } else { x as i32 })
                    .collect(),
            )
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Conditional selection and null filling

/// The type two branches are brought to: the same type, the common numeric type, or STRING.
fn branch_type(a: &Vector, b: &Vector) -> Result<DataType> {
    if a.ty == b.ty {
        return Ok(a.ty);
    }
    if a.ty == DataType::Void {
        return Ok(b.ty);
    }
    if b.ty == DataType::Void {
        return Ok(a.ty);
    }
    if let Some(t) = common_numeric(a.ty, b.ty) {
        return Ok(t);
    }
    if a.ty.is_literal() && b.ty.is_literal() {
        return Ok(DataType::String);
    }
    Err(Error::new(format!(
        "The true and false results of [iif] have incompatible types {} and {}.",
        a.ty.name(),
        b.ty.name()
    )))
}

/// `iif(cond, trueResult, falseResult)`: element-wise choice; a null condition gives null.
fn iif(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let ab = align("iif", &args[1], &args[2])?;
    let ty = branch_type(&ab.a, &ab.b)?;
    let scale = ab.a.scale.max(ab.b.scale);
    let a = convert::cast(&ab.a, ty, scale)?;
    let b = convert::cast(&ab.b, ty, scale)?;
    let (cform, cond) = split_arg("iif", &args[0])?;
    let truth: Vec<i8> = dispatch_num!(&cond.data, T, s => s
    .iter()
    .map(|&x| if x.is_null() { -1 } else { (x.to_f64() != 0.0) as i8 })
    .collect(), _ => match &cond.data {
        Data::Void(n) => vec![-1; *n],
        _ => return Err(Error::new("The condition of [iif] must be boolean.")),
    });
    let n = if cform.is_scalar() {
        ab.len
    } else {
        truth.len()
    };
    if !cform.is_scalar() && !ab.form.is_scalar() && ab.len != n {
        return Err(Error::new(format!(
            "The length of the condition ({n}) does not match the results ({}) in [iif].",
            ab.len
        )));
    }
    let (la, lb) = (a.len(), b.len());
    let pick = |len: usize, i: usize| if len == n { i } else { 0 };
    let idx: Vec<i64> = (0..n)
        .map(|i| match truth[pick(truth.len(), i)] {
            1 => pick(la, i) as i64,
            0 => (la + pick(lb, i)) as i64,
            _ => -1,
        })
        .collect();
    let mut both = a;
    if !both.extend(&b) {
        return Err(Error::new("The results of [iif] can't be combined."));
    }
    let form = if !cform.is_scalar() { cform } else { ab.form };
    Ok(rebuild(&form, both.take(&idx)))
}

/// Fills nulls from the nearest non-null element before (`forward`) or after it, at most
/// `limit` positions away.
fn fill_direction(v: &Vector, forward: bool, limit: Option<usize>) -> Vector {
    let valid = valid_mask(v);
    let n = valid.len();
    let mut idx: Vec<i64> = (0..n as i64).collect();
    let mut last: Option<usize> = None;
    let order: Box<dyn Iterator<Item = usize>> = if forward {
        Box::new(0..n)
    } else {
        Box::new((0..n).rev())
    };
    for i in order {
        if valid[i] {
            last = Some(i);
        } else if let Some(src) = last {
            if limit.is_none_or(|l| i.abs_diff(src) <= l) {
                idx[i] = src as i64;
            }
        }
    }
    v.take(&idx)
}

fn limit_arg(name: &str, v: Option<&Value>) -> Result<Option<usize>> {
    match v.filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(l) if l > 0 => Ok(Some(l as usize)),
            _ => Err(Error::new(format!(
                "The limit of [{name}] must be a positive integer."
            ))),
        },
    }
}

fn ffill(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let limit = limit_arg("ffill", args.get(1))?;
    map_columns("ffill", &args[0], |v| Ok(fill_direction(v, true, limit)))
}

fn bfill(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let limit = limit_arg("bfill", args.get(1))?;
    map_columns("bfill", &args[0], |v| Ok(fill_direction(v, false, limit)))
}

/// Linear interpolation of nulls between two non-null values; leading and trailing nulls
/// stay. Integer columns round the interpolated values.
fn lfill_vec(v: &Vector) -> Result<Vector> {
    if !(v.ty.is_numeric() || v.ty.is_temporal()) || v.ty.is_decimal() {
        return Ok(v.clone());
    }
    let x = to_f64_nan(v)?;
    let n = x.len();
    let mut filled = x.clone();
    let mut last: Option<usize> = None;
    for i in 0..n {
        if x[i].is_nan() {
            continue;
        }
        if let Some(p) = last {
            for (k, slot) in filled.iter_mut().enumerate().take(i).skip(p + 1) {
                let f = (k - p) as f64 / (i - p) as f64;
                *slot = x[p] + (x[i] - x[p]) * f;
            }
        }
        last = Some(i);
    }
    let data = dispatch_num!(&v.data, T, s => {
        let out: Vec<T> = (0..n).map(|i| {
            if !s[i].is_null() || filled[i].is_nan() {
                s[i]
            } else if T::IS_FLOAT {
                T::from_f64(filled[i])
            } else {
                T::from_f64(filled[i].round())
            }
        }).collect();
        T::into_data(out)
    }, _ => return Ok(v.clone()));
    Ok(Vector::new(v.ty, data))
}

fn lfill(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("lfill", &args[0], lfill_vec)
}

/// `nullFill(X, Y)`: nulls of X replaced by Y (a scalar, or a vector as long as X) converted
/// to X's type.
fn null_fill(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let y = &args[1];
    map_columns("nullFill", &args[0], |v| {
        let (_, fill) = split_arg("nullFill", y)?;
        let n = v.len();
        if fill.len() != 1 && fill.len() != n {
            return Err(Error::new(format!(
                "The fill value of [nullFill] must be a scalar or a vector of length {n}."
            )));
        }
        let fill = convert::cast(fill, v.ty, v.scale)?;
        let valid = valid_mask(v);
        let idx: Vec<i64> = (0..n)
            .map(|i| {
                if valid[i] {
                    i as i64
                } else {
                    (n + if fill.len() == n { i } else { 0 }) as i64
                }
            })
            .collect();
        let mut both = v.clone();
        if !both.extend(&fill) {
            return Err(Error::new(
                "The fill value of [nullFill] has an incompatible type.",
            ));
        }
        Ok(both.take(&idx))
    })
}

#[cfg(test)]
mod tests {
    use super::super::kernels::test_env::*;
    use super::*;

    #[test]
    fn shifts() {
        let x = ints(&[1, 2, 3]);
        assert_eq!(as_i32(&run("prev", &[x.clone()])), vec![NI, 1, 2]);
        assert_eq!(as_i32(&run("next", &[x.clone()])), vec![2, 3, NI]);
        assert_eq!(
            as_i32(&run("move", &[x.clone(), Value::int(-2)])),
            vec![3, NI, NI]
        );
        assert_eq!(
            as_i32(&run("deltas", &[ints(&[1, 4, NI, 10])])),
            vec![NI, 3, NI, NI]
        );
        // DolphinDB docs: ratios(3 12 0 -5 32) = [,4,0,,-6.4]
        let r = run("ratios", &[ints(&[3, 12, 0, -5, 32])]);
        assert_close(&as_f64(&r), &[ND, 4.0, 0.0, ND, -6.4]);
        let r = run("percentChange", &[doubles(&[1.0, 1.5, 3.0])]);
        assert_close(&as_f64(&r), &[ND, 0.5, 1.0]);
    }

    #[test]
    fn rank_follows_the_docs() {
        let x = ints(&[45, 16, 32, 21]);
        assert_eq!(as_i32(&run("rank", &[x.clone()])), vec![3, 0, 2, 1]);
        assert_eq!(
            as_i32(&run("rank", &[x, Value::bool(false)])),
            vec![0, 3, 1, 2]
        );
        assert_eq!(
            as_i32(&run("rank", &[ints(&[9, 1, 6, 1, 3, 3])])),
            vec![5, 0, 4, 0, 2, 2]
        );
        let x = ints(&[9, 5, 4, 8, 1, 3, 6, 2, 7]);
        let g =
            |asc: bool, n: i32| as_i32(&run("rank", &[x.clone(), Value::bool(asc), Value::int(n)]));
        assert_eq!(g(true, 3), vec![2, 1, 1, 2, 0, 0, 1, 0, 2]);
        assert_eq!(g(true, 6), vec![5, 2, 1, 4, 0, 1, 2, 0, 3]);
        assert_eq!(g(false, 3), vec![0, 1, 1, 0, 2, 2, 1, 2, 0]);
        let nul = Value::void();
        let t = |m: &str| {
            run(
                "rank",
                &[
                    ints(&[1, 2, 2, 3]),
                    Value::bool(true),
                    nul.clone(),
                    Value::bool(true),
                    Value::string(m),
                ],
            )
        };
        assert_eq!(as_i32(&t("min")), vec![0, 1, 1, 3]);
        assert_eq!(as_f64(&t("average")), vec![0.0, 1.5, 1.5, 3.0]);
        assert_eq!(as_i32(&t("max")), vec![0, 2, 2, 3]);
        assert_eq!(as_i32(&t("first")), vec![0, 1, 2, 3]);
        assert_eq!(as_i32(&run("rank", &[ints(&[3, NI, 1])])), vec![1, NI, 0]);
        let r = run("denseRank", &[ints(&[5, 5, 1, 9, NI])]);
        assert_eq!(as_i32(&r), vec![1, 1, 0, 2, NI]);
    }

    #[test]
    fn sorting() {
        // DolphinDB docs: isort!(3 1 NULL 2, false, 5 7 8 3) = [5,3,7,8]
        let r = run(
            "isort!",
            &[
                ints(&[3, 1, NI, 2]),
                Value::bool(false),
                ints(&[5, 7, 8, 3]),
            ],
        );
        assert_eq!(as_i32(&r), vec![5, 3, 7, 8]);
        let keys = Value::tuple(vec![ints(&[2, 2, 1, 1]), ints(&[2, 1, 1, 2])]);
        assert_eq!(as_i32(&run("isort", &[keys.clone()])), vec![2, 3, 1, 0]);
        assert_eq!(
            as_i32(&run("isort", &[keys, bools(&[0, 0])])),
            vec![0, 1, 3, 2]
        );
        let r = run("isort", &[ints(&[3, NI, 1, 2])]);
        assert_eq!(as_i32(&r), vec![1, 2, 3, 0]);
        let r = run("sort", &[ints(&[3, NI, 1, 2]), Value::bool(false)]);
        assert_eq!(as_i32(&r), vec![3, 2, 1, NI]);
        let r = run("sort", &[strs(&["b", "a", "c"])]);
        assert_eq!(r.as_vector().unwrap().str_at(0), Some("a"));
        let t = Value::table(Table::new(
            vec!["k".into(), "v".into()],
            vec![
                Vector::from_i32(DataType::Int, vec![2, 1, 2, 1]),
                Vector::from_i32(DataType::Int, vec![1, 2, 3, 4]),
            ],
        ));
        let r = run("sortBy!", &[t, strs(&["k", "v"]), bools(&[1, 0])]);
        let Value::Table(t) = r else { panic!() };
        assert!(matches!(&t.columns[1].data, Data::I32(v) if v == &vec![4, 2, 3, 1]));
    }

    #[test]
    fn distinct_keeps_first_occurrence_order() {
        // DolphinDB docs (3.00.4+): distinct(4 5 5 2 3) = [4,5,2,3]
        assert_eq!(
            as_i32(&run("distinct", &[ints(&[4, 5, 5, 2, 3])])),
            vec![4, 5, 2, 3]
        );
        assert_eq!(as_i32(&run("reverse", &[ints(&[1, 2, 3])])), vec![3, 2, 1]);
    }

    #[test]
    fn iif_selects_elementwise() {
        // DolphinDB docs: iif(true true true false false false, 1..6, 6..1) = [1,2,3,3,2,1]
        let c = bools(&[1, 1, 1, 0, 0, 0]);
        let r = run(
            "iif",
            &[c, ints(&[1, 2, 3, 4, 5, 6]), ints(&[6, 5, 4, 3, 2, 1])],
        );
        assert_eq!(as_i32(&r), vec![1, 2, 3, 3, 2, 1]);
        let c = bools(&[0, 0, 1, 0, 0, 0]);
        let r = run("iif", &[c, Value::int(1), Value::int(2)]);
        assert_eq!(as_i32(&r), vec![2, 2, 1, 2, 2, 2]);
        let r = run(
            "iif",
            &[bools(&[1, i8::MIN]), Value::int(1), Value::double(2.5)],
        );
        assert_eq!(as_f64(&r), vec![1.0, ND]);
    }

    #[test]
    fn fills_follow_the_docs() {
        let x = ints(&[1, 2, 3, NI, NI, NI, 4, 5, 6]);
        assert_eq!(
            as_i32(&run("ffill", &[x.clone()])),
            vec![1, 2, 3, 3, 3, 3, 4, 5, 6]
        );
        assert_eq!(
            as_i32(&run("ffill", &[x.clone(), Value::int(1)])),
            vec![1, 2, 3, 3, NI, NI, 4, 5, 6]
        );
        assert_eq!(
            as_i32(&run("bfill", &[x.clone()])),
            vec![1, 2, 3, 4, 4, 4, 4, 5, 6]
        );
        assert_eq!(
            as_i32(&run("bfill", &[x.clone(), Value::int(2)])),
            vec![1, 2, 3, NI, 4, 4, 4, 5, 6]
        );
        let y = doubles(&[3.2, 5.2, ND, 7.4, ND]);
        assert_close(&as_f64(&run("lfill", &[y])), &[3.2, 5.2, 6.3, 7.4, ND]);
        let r = run("lfill", &[ints(&[NI, 8, NI, NI, 11])]);
        assert_eq!(as_i32(&r), vec![NI, 8, 9, 10, 11]);
        let r = run("nullFill", &[ints(&[1, NI, 3]), Value::double(9.0)]);
        assert_eq!(as_i32(&r), vec![1, 9, 3]);
    }
}
