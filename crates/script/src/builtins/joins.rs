//! Built-ins: table joins (`ej`, `sej`, `lj`, `lsj`, `fj`, `aj`, `cj`, `wj`, `pwj`).
//!
//! Equi joins hash the key columns of both tables together into dense ids (no per-row
//! allocation), then list each left row's matches in right-table order. Output columns: the
//! left table's, then the right table's (without its key columns, except for `fj` and the
//! as-of column of `aj`); a right column whose name is already taken is renamed
//! `<right table name>_<column>`. The SQL join syntax (`inner join ... on`) uses the same
//! kernels through `join`.

use std::collections::HashMap;
use std::sync::Arc;

use value::{DataType, Table, Value, Vector};

use super::data_util::Duration;
use super::{builtin, Builtin, Env, Kind};
use crate::ast::{Expr, FuncDef, Param, Stmt, StmtKind};
use crate::interp::{as_code, Callable, FunctionValue};
use crate::sql::keys::{group_ids, sort_permutation};
use crate::{bail, Error, Result};

pub fn functions() -> Vec<Builtin> {
    let o = Kind::Other;
    vec![
        builtin("ej", 3, 6, o, |e, a| dfs_sides(e, a, ej)),
        builtin("equiJoin", 3, 6, o, |e, a| dfs_sides(e, a, ej)),
        builtin("sej", 3, 6, o, |e, a| dfs_sides(e, a, sej)),
        builtin("lj", 3, 6, o, |e, a| dfs_sides(e, a, lj)),
        builtin("leftJoin", 3, 6, o, |e, a| dfs_sides(e, a, lj)),
        builtin("lsj", 3, 6, o, |e, a| dfs_sides(e, a, lsj)),
        builtin("fj", 3, 6, o, |e, a| dfs_sides(e, a, fj)),
        builtin("fullJoin", 3, 6, o, |e, a| dfs_sides(e, a, fj)),
        builtin("aj", 3, 4, o, |e, a| dfs_sides(e, a, aj)),
        builtin("cj", 2, 2, o, |e, a| dfs_sides(e, a, cj)),
        builtin("crossJoin", 2, 2, o, |e, a| dfs_sides(e, a, cj)),
        builtin("wj", 5, 6, o, |e, a| dfs_sides(e, a, wj)),
        builtin("pwj", 5, 6, o, |e, a| dfs_sides(e, a, pwj)),
    ]
}

/// A join whose left or right table is a DFS table (a `loadTable` handle) reads its rows,
/// partition after partition, then joins in memory (helper dfs).
fn dfs_sides(
    env: &mut dyn Env,
    args: &[Value],
    f: fn(&mut dyn Env, &[Value]) -> Result<Value>,
) -> Result<Value> {
    if !args
        .iter()
        .take(2)
        .any(|a| crate::dfs::as_table_handle(a).is_some())
    {
        return f(env, args);
    }
    let mut owned = args.to_vec();
    for a in owned.iter_mut().take(2) {
        *a = crate::sql::dfs::materialize(env.host(), a)?;
    }
    f(env, &owned)
}

/// How unmatched rows are kept.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum JoinType {
    /// Matching pairs only.
    Inner,
    /// Every left row; all matches, or nulls.
    Left,
    /// Every left row; its first match, or nulls.
    LeftSemi,
    /// Left join plus the right rows nothing matched.
    Full,
}

/// A join's result with where its rows came from.
pub struct Joined {
    pub table: Table,
    /// The left row of each result row (-1: none).
    pub left_rows: Vec<i64>,
    /// Each right column that is in the result: (its name in the right table, its name in the
    /// result).
    pub right_names: Vec<(String, String)>,
}

/// What an equi join needs.
pub struct JoinSpec<'a> {
    pub left: &'a Table,
    pub right: &'a Table,
    pub left_keys: Vec<String>,
    pub right_keys: Vec<String>,
    pub kind: JoinType,
    /// Prefix for renamed right columns (the right table's name or alias).
    pub prefix: String,
    /// Left rows allowed to match (the others are unmatched).
    pub left_mask: Option<Vec<bool>>,
    /// Right rows allowed to match (the others are ignored).
    pub right_mask: Option<Vec<bool>>,
}

fn column_index(t: &Table, name: &str, side: &str) -> Result<usize> {
    t.column_index(name).ok_or_else(|| {
        Error::new(format!(
            "The column [{}] doesn't exist in the {} table.",
            name, side
        ))
    })
}

/// The key columns of both tables stacked (right converted to the left's types), so one
/// grouping gives ids that agree across the tables: `(left ids, right ids)`.
fn key_ids(
    left: &Table,
    right: &Table,
    lk: &[usize],
    rk: &[usize],
) -> Result<(Vec<u32>, Vec<u32>)> {
    let nl = left.rows();
    let mut stacked: Vec<Vector> = Vec::with_capacity(lk.len());
    for (&l, &r) in lk.iter().zip(rk) {
        let lc = &left.columns[l];
        let rc = &right.columns[r];
        let mut all = (**lc).clone();
        let rc = if rc.ty == lc.ty && rc.scale == lc.scale {
            (**rc).clone()
        } else if lc.ty.is_literal() && rc.ty.is_literal() {
            value::convert::cast(rc, lc.ty, 0)?
        } else {
            value::convert::cast(rc, lc.ty, lc.scale).map_err(|_| {
                Error::new(format!(
                    "The matching columns [{}] and [{}] have incompatible types.",
                    left.names[l], right.names[r]
                ))
            })?
        };
        if !all.extend(&rc) {
            bail!(
                "The matching columns [{}] and [{}] have incompatible types.",
                left.names[l],
                right.names[r]
            );
        }
        stacked.push(all);
    }
    let refs: Vec<&Vector> = stacked.iter().collect();
    let g = group_ids(&refs, nl + right.rows());
    let mut ids = g.ids;
    let right_ids = ids.split_off(nl);
    Ok((ids, right_ids))
}

/// Right rows of each id, in right-table order (CSR: `offsets[id]..offsets[id+1]`).
fn rows_by_id(ids: &[u32], n_ids: usize, mask: Option<&[bool]>) -> (Vec<usize>, Vec<u32>) {
    let ok = |r: usize| mask.map(|m| m[r]).unwrap_or(true);
    let mut offsets = vec![0usize; n_ids + 1];
    for (r, &g) in ids.iter().enumerate() {
        if ok(r) {
            offsets[g as usize + 1] += 1;
        }
    }
    for g in 0..n_ids {
        offsets[g + 1] += offsets[g];
    }
    let mut next = offsets.clone();
    let mut rows = vec![0u32; offsets[n_ids]];
    for (r, &g) in ids.iter().enumerate() {
        if ok(r) {
            rows[next[g as usize]] = r as u32;
            next[g as usize] += 1;
        }
    }
    (offsets, rows)
}

/// Assembles the result: left columns, then the chosen right columns (renamed on clashes).
fn assemble(
    left: &Table,
    right: &Table,
    lrows: &[i64],
    rrows: &[i64],
    right_cols: &[usize],
    prefix: &str,
) -> (Table, Vec<(String, String)>) {
    let mut names: Vec<String> = left.names.clone();
    let mut cols: Vec<Vector> = left.columns.iter().map(|c| c.take(lrows)).collect();
    let mut right_names = Vec::with_capacity(right_cols.len());
    for &c in right_cols {
        let orig = &right.names[c];
        let mut name = orig.clone();
        if names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            name = format!("{}_{}", prefix, orig);
        }
        let mut k = 1;
        while names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            name = format!("{}_{}_{}", prefix, orig, k);
            k += 1;
        }
        right_names.push((orig.clone(), name.clone()));
        names.push(name);
        cols.push(right.columns[c].take(rrows));
    }
    (Table::new(names, cols), right_names)
}

/// An equi join (inner, left, left semi or full).
pub fn join(spec: &JoinSpec) -> Result<Joined> {
    let (left, right) = (spec.left, spec.right);
    if spec.left_keys.len() != spec.right_keys.len() || spec.left_keys.is_empty() {
        bail!("The left and right tables must have the same number of matching columns.");
    }
    let lk = spec
        .left_keys
        .iter()
        .map(|k| column_index(left, k, "left"))
        .collect::<Result<Vec<_>>>()?;
    let rk = spec
        .right_keys
        .iter()
        .map(|k| column_index(right, k, "right"))
        .collect::<Result<Vec<_>>>()?;
    let (lids, rids) = key_ids(left, right, &lk, &rk)?;
    let n_ids = lids
        .iter()
        .chain(&rids)
        .map(|&g| g as usize + 1)
        .max()
        .unwrap_or(0);
    let (off, members) = rows_by_id(&rids, n_ids, spec.right_mask.as_deref());
    let lok = |r: usize| spec.left_mask.as_ref().map(|m| m[r]).unwrap_or(true);
    let mut lrows: Vec<i64> = Vec::with_capacity(left.rows());
    let mut rrows: Vec<i64> = Vec::with_capacity(left.rows());
    let mut matched = vec![false; right.rows()];
    for (l, &g) in lids.iter().enumerate() {
        let m = if lok(l) {
            &members[off[g as usize]..off[g as usize + 1]]
        } else {
            &[][..]
        };
        match spec.kind {
            JoinType::Inner => {
                for &r in m {
                    lrows.push(l as i64);
                    rrows.push(r as i64);
                }
            }
            JoinType::LeftSemi => {
                lrows.push(l as i64);
                rrows.push(m.first().map(|&r| r as i64).unwrap_or(-1));
            }
            JoinType::Left | JoinType::Full => {
                if m.is_empty() {
                    lrows.push(l as i64);
                    rrows.push(-1);
                }
                for &r in m {
                    lrows.push(l as i64);
                    rrows.push(r as i64);
                    matched[r as usize] = true;
                }
            }
        }
    }
    if spec.kind == JoinType::Full {
        for (r, &m) in matched.iter().enumerate() {
            if !m {
                lrows.push(-1);
                rrows.push(r as i64);
            }
        }
    }
    let right_cols: Vec<usize> = (0..right.cols())
        .filter(|c| spec.kind == JoinType::Full || !rk.contains(c))
        .collect();
    let (table, right_names) = assemble(left, right, &lrows, &rrows, &right_cols, &spec.prefix);
    Ok(Joined {
        table,
        left_rows: lrows,
        right_names,
    })
}

/// The cross join: every left row with every right row.
pub fn cross(left: &Table, right: &Table, prefix: &str) -> Joined {
    let (nl, nr) = (left.rows() as i64, right.rows() as i64);
    let mut lrows = Vec::with_capacity((nl * nr) as usize);
    let mut rrows = Vec::with_capacity((nl * nr) as usize);
    for l in 0..nl {
        for r in 0..nr {
            lrows.push(l);
            rrows.push(r);
        }
    }
    let cols: Vec<usize> = (0..right.cols()).collect();
    let (table, right_names) = assemble(left, right, &lrows, &rrows, &cols, prefix);
    Joined {
        table,
        left_rows: lrows,
        right_names,
    }
}

// ---------------------------------------------------------------------------------------------
// Arguments

fn table_arg<'a>(func: &str, v: &'a Value, which: &str) -> Result<&'a Arc<Table>> {
    match v {
        Value::Table(t) => Ok(t),
        _ => bail!(
            "The {} argument of function [{}] must be a table.",
            which,
            func
        ),
    }
}

fn names_arg(func: &str, v: &Value) -> Result<Vec<String>> {
    let Some(vec) = v.as_vector() else {
        bail!(
            "The matching columns of function [{}] must be a STRING scalar or vector.",
            func
        );
    };
    if !vec.ty.is_literal() {
        bail!(
            "The matching columns of function [{}] must be a STRING scalar or vector.",
            func
        );
    }
    Ok((0..vec.len())
        .map(|i| vec.str_at(i).unwrap_or("").to_string())
        .collect())
}

/// The name used to rename clashing right columns: the alias or variable the right table
/// was given by, else the table's own name.
fn right_prefix(env: &dyn Env, right: &Table) -> String {
    if let Some(Some(n)) = env.arg_names().get(1) {
        return n.clone();
    }
    if !right.name.is_empty() {
        return right.name.clone();
    }
    "rhs".to_string()
}

fn filter_arg(func: &str, v: Option<&Value>, rows: usize) -> Result<Option<Vec<bool>>> {
    let Some(v) = v else {
        return Ok(None);
    };
    if v.is_void() {
        return Ok(None);
    }
    let Some(vec) = v.as_vector() else {
        bail!(
            "The filter of function [{}] must be a logical condition.",
            func
        );
    };
    let at = |i: usize| vec.i64_at(i).map(|x| x != 0).unwrap_or(false);
    match v {
        Value::Scalar(_) => Ok(Some(vec![at(0); rows])),
        _ if vec.len() == rows => Ok(Some((0..rows).map(at).collect())),
        _ => bail!(
            "The filter of function [{}] must have one value per row of its table.",
            func
        ),
    }
}

fn equi(env: &mut dyn Env, name: &str, args: &[Value], kind: JoinType) -> Result<Joined> {
    let left = table_arg(name, &args[0], "first")?;
    let right = table_arg(name, &args[1], "second")?;
    let left_keys = names_arg(name, &args[2])?;
    let right_keys = match args.get(3) {
        Some(v) if !v.is_void() => names_arg(name, v)?,
        _ => left_keys.clone(),
    };
    let spec = JoinSpec {
        left,
        right,
        left_keys,
        right_keys,
        kind,
        prefix: right_prefix(env, right),
        left_mask: filter_arg(name, args.get(4), left.rows())?,
        right_mask: filter_arg(name, args.get(5), right.rows())?,
    };
    join(&spec)
}

fn ej(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::table(equi(env, "ej", args, JoinType::Inner)?.table))
}

fn lj(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::table(equi(env, "lj", args, JoinType::Left)?.table))
}

fn lsj(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::table(
        equi(env, "lsj", args, JoinType::LeftSemi)?.table,
    ))
}

fn fj(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::table(equi(env, "fj", args, JoinType::Full)?.table))
}

/// `sej`: the inner join sorted by the matching columns.
fn sej(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let j = equi(env, "sej", args, JoinType::Inner)?;
    let keys = names_arg("sej", &args[2])?;
    let t = j.table;
    let cols = keys
        .iter()
        .map(|k| column_index(&t, k, "left").map(|i| &*t.columns[i]))
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<(&Vector, bool)> = cols.iter().map(|c| (*c, true)).collect();
    let perm: Vec<i64> = sort_permutation(&refs, t.rows())
        .into_iter()
        .map(|i| i as i64)
        .collect();
    let cols: Vec<Vector> = t.columns.iter().map(|c| c.take(&perm)).collect();
    Ok(Value::table(Table::new(t.names.clone(), cols)))
}

fn cj(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let left = table_arg("cj", &args[0], "first")?;
    let right = table_arg("cj", &args[1], "second")?;
    let prefix = right_prefix(env, right);
    Ok(Value::table(cross(left, right, &prefix).table))
}

// ---------------------------------------------------------------------------------------------
// As-of and window joins

/// The last matching column of both tables in one comparable representation.
enum Ordinal {
    Int(Vec<i64>, Vec<i64>),
    Float(Vec<f64>, Vec<f64>),
    Wide(Vec<i128>, Vec<i128>),
    Text(Vec<String>, Vec<String>),
}

fn ordinal(l: &Vector, r: &Vector) -> Result<Ordinal> {
    let r = if r.ty == l.ty {
        r.clone()
    } else {
        value::convert::cast(r, l.ty, l.scale)?
    };
    let ints = |v: &Vector| -> Option<Vec<i64>> {
        Some(match &v.data {
            value::Data::I8(s) => s.iter().map(|&x| x as i64).collect(),
            value::Data::I16(s) => s.iter().map(|&x| x as i64).collect(),
            value::Data::I32(s) => s.iter().map(|&x| x as i64).collect(),
            value::Data::I64(s) => s.clone(),
            _ => return None,
        })
    };
    if let (Some(a), Some(b)) = (ints(l), ints(&r)) {
        return Ok(Ordinal::Int(a, b));
    }
    let floats = |v: &Vector| -> Vec<f64> {
        (0..v.len())
            .map(|i| v.f64_at(i).unwrap_or(f64::MIN))
            .collect()
    };
    match (&l.data, &r.data) {
        (value::Data::I128(a), value::Data::I128(b)) => Ok(Ordinal::Wide(a.clone(), b.clone())),
        _ if l.ty.is_literal() => {
            let text = |v: &Vector| -> Vec<String> {
                (0..v.len())
                    .map(|i| v.str_at(i).unwrap_or("").to_string())
                    .collect()
            };
            Ok(Ordinal::Text(text(l), text(&r)))
        }
        _ if l.ty.is_numeric() => Ok(Ordinal::Float(floats(l), floats(&r))),
        _ => bail!("The last matching column of an asof or window join must be ordered."),
    }
}

/// Left ids and right rows per id (in right order), over the matching columns but the last.
fn exact_groups(
    left: &Table,
    right: &Table,
    lk: &[usize],
    rk: &[usize],
) -> Result<(Vec<u32>, Vec<usize>, Vec<u32>)> {
    let n = lk.len() - 1;
    let (lids, rids) = if n == 0 {
        (vec![0u32; left.rows()], vec![0u32; right.rows()])
    } else {
        key_ids(left, right, &lk[..n], &rk[..n])?
    };
    let n_ids = lids
        .iter()
        .chain(&rids)
        .map(|&g| g as usize + 1)
        .max()
        .unwrap_or(1);
    let (off, rows) = rows_by_id(&rids, n_ids, None);
    Ok((lids, off, rows))
}

fn keys_of(
    name: &str,
    args: &[Value],
    key_arg: usize,
    left: &Table,
    right: &Table,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let lnames = names_arg(name, &args[key_arg])?;
    let rnames = match args.get(key_arg + 1) {
        Some(v) if !v.is_void() => names_arg(name, v)?,
        _ => lnames.clone(),
    };
    if lnames.len() != rnames.len() || lnames.is_empty() {
        bail!("The left and right tables must have the same number of matching columns.");
    }
    let lk = lnames
        .iter()
        .map(|k| column_index(left, k, "left"))
        .collect::<Result<Vec<_>>>()?;
    let rk = rnames
        .iter()
        .map(|k| column_index(right, k, "right"))
        .collect::<Result<Vec<_>>>()?;
    Ok((lk, rk))
}

/// In `rows` (sorted by `key`), the count of rows whose key is below (or at, with
/// `inclusive`) `x`.
fn bound<T: PartialOrd>(rows: &[u32], key: &[T], x: &T, inclusive: bool) -> usize {
    rows.partition_point(|&r| {
        let k = &key[r as usize];
        if inclusive {
            k <= x
        } else {
            k < x
        }
    })
}

fn aj(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let left = table_arg("aj", &args[0], "first")?;
    let right = table_arg("aj", &args[1], "second")?;
    let (lk, rk) = keys_of("aj", args, 2, left, right)?;
    let (lids, off, members) = exact_groups(left, right, &lk, &rk)?;
    let last = lk.len() - 1;
    let ord = ordinal(&left.columns[lk[last]], &right.columns[rk[last]])?;
    let mut rrows = Vec::with_capacity(left.rows());
    for (l, &g) in lids.iter().enumerate() {
        let rows = &members[off[g as usize]..off[g as usize + 1]];
        let k = match &ord {
            Ordinal::Int(a, b) => bound(rows, b, &a[l], true),
            Ordinal::Float(a, b) => bound(rows, b, &a[l], true),
            Ordinal::Wide(a, b) => bound(rows, b, &a[l], true),
            Ordinal::Text(a, b) => bound(rows, b, &a[l], true),
        };
        rrows.push(if k > 0 { rows[k - 1] as i64 } else { -1 });
    }
    let lrows: Vec<i64> = (0..left.rows() as i64).collect();
    let right_cols: Vec<usize> = (0..right.cols())
        .filter(|c| !rk[..last].contains(c))
        .collect();
    let prefix = right_prefix(env, right);
    let (t, _) = assemble(left, right, &lrows, &rrows, &right_cols, &prefix);
    Ok(Value::table(t))
}

fn wj(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    window_join(env, "wj", args, false)
}

fn pwj(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    window_join(env, "pwj", args, true)
}

/// One aggregate of a window join: its result name and a function of the right columns
/// it reads.
struct WindowAgg {
    name: String,
    columns: Vec<usize>,
    func: Value,
    /// A one-pass kernel for a plain aggregate of columns (`avg(bid)`), when there is one.
    fast: Option<(WindowFast, Vec<usize>)>,
}

/// Window aggregates computed directly over the window's rows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum WindowFast {
    Avg,
    Sum,
    Count,
    Min,
    Max,
    First,
    Last,
    Wavg,
}

impl WindowFast {
    fn of(name: &str, nargs: usize) -> Option<WindowFast> {
        Some(match (name, nargs) {
            ("avg" | "mean", 1) => WindowFast::Avg,
            ("sum", 1) => WindowFast::Sum,
            ("count", 1) => WindowFast::Count,
            ("min", 1) => WindowFast::Min,
            ("max", 1) => WindowFast::Max,
            ("first", 1) => WindowFast::First,
            ("last", 1) => WindowFast::Last,
            ("wavg", 2) => WindowFast::Wavg,
            _ => return None,
        })
    }
}

/// The kernel and argument columns of `f(col, ...)` over right-table columns.
fn window_fast(env: &dyn Env, e: &Expr, right: &Table) -> Option<(WindowFast, Vec<usize>)> {
    let Expr::Call(f, args) = e else {
        return None;
    };
    let Expr::Var(fname) = &**f else {
        return None;
    };
    if env.get_var(fname).is_some() {
        return None;
    }
    let kind = WindowFast::of(fname, args.len())?;
    let cols = args
        .iter()
        .map(|a| match a {
            Expr::Var(n) => right.column_index(n),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let plain = |c: usize| {
        matches!(
            right.columns[c].ty,
            DataType::Bool
                | DataType::Char
                | DataType::Short
                | DataType::Int
                | DataType::Long
                | DataType::Float
                | DataType::Double
        ) && !right.columns[c].is_array()
    };
    match kind {
        WindowFast::First | WindowFast::Last => {}
        WindowFast::Sum
            if !matches!(
                right.columns[cols[0]].ty,
                DataType::Float | DataType::Double
            ) =>
        {
            return None
        }
        _ if !cols.iter().all(|&c| plain(c)) => return None,
        _ => {}
    }
    Some((kind, cols))
}

/// A numeric column as f64 with NaN for nulls.
fn f64_nan(v: &Vector) -> Vec<f64> {
    (0..v.len())
        .map(|i| v.f64_at(i).unwrap_or(f64::NAN))
        .collect()
}

/// Runs a window kernel over every window (`windows[i]` are right rows, in right order).
fn window_kernel(kind: WindowFast, cols: &[usize], right: &Table, windows: &[&[u32]]) -> Vector {
    let out_f64 = |vals: Vec<f64>| {
        Vector::from_f64(
            vals.into_iter()
                .map(|x| if x.is_nan() { value::null::F64 } else { x })
                .collect(),
        )
    };
    let col = &right.columns[cols[0]];
    match kind {
        WindowFast::First | WindowFast::Last => {
            let idx: Vec<i64> = windows
                .iter()
                .map(|w| {
                    let r = if kind == WindowFast::First {
                        w.first()
                    } else {
                        w.last()
                    };
                    r.map(|&r| r as i64).unwrap_or(-1)
                })
                .collect();
            col.take(&idx)
        }
        WindowFast::Count => {
            let x = f64_nan(col);
            Vector::from_i32(
                DataType::Int,
                windows
                    .iter()
                    .map(|w| w.iter().filter(|&&r| !x[r as usize].is_nan()).count() as i32)
                    .collect(),
            )
        }
        WindowFast::Sum | WindowFast::Avg => {
            let x = f64_nan(col);
            out_f64(
                windows
                    .iter()
                    .map(|w| {
                        let (mut s, mut n) = (0.0, 0usize);
                        for &r in w.iter() {
                            let v = x[r as usize];
                            if !v.is_nan() {
                                s += v;
                                n += 1;
                            }
                        }
                        match (n, kind) {
                            (0, _) => f64::NAN,
                            (_, WindowFast::Avg) => s / n as f64,
                            _ => s,
                        }
                    })
                    .collect(),
            )
        }
        WindowFast::Min | WindowFast::Max => {
            let x = f64_nan(col);
            let max = kind == WindowFast::Max;
            let idx: Vec<i64> = windows
                .iter()
                .map(|w| {
                    let mut best: Option<u32> = None;
                    for &r in w.iter() {
                        let v = x[r as usize];
                        if v.is_nan() {
                            continue;
                        }
                        best = match best {
                            Some(b)
                                if (max && v <= x[b as usize]) || (!max && v >= x[b as usize]) =>
                            {
                                Some(b)
                            }
                            _ => Some(r),
                        };
                    }
                    best.map(|b| b as i64).unwrap_or(-1)
                })
                .collect();
            col.take(&idx)
        }
        WindowFast::Wavg => {
            let x = f64_nan(col);
            let w8 = f64_nan(&right.columns[cols[1]]);
            out_f64(
                windows
                    .iter()
                    .map(|w| {
                        let (mut xw, mut ws) = (0.0, 0.0);
                        let mut n = 0;
                        for &r in w.iter() {
                            let (a, b) = (x[r as usize], w8[r as usize]);
                            if !a.is_nan() && !b.is_nan() {
                                xw += a * b;
                                ws += b;
                                n += 1;
                            }
                        }
                        if n == 0 {
                            f64::NAN
                        } else {
                            xw / ws
                        }
                    })
                    .collect(),
            )
        }
    }
}

/// The aggregate expressions of `aggs` (metacode, a vector of them, or a tuple of metacode).
fn agg_exprs(aggs: &Value) -> Result<Vec<Expr>> {
    let mut out = Vec::new();
    let mut push_code = |v: &Value| -> Result<()> {
        match as_code(v) {
            Some(Expr::Vector(items)) | Some(Expr::Tuple(items)) => {
                out.extend(items.iter().cloned())
            }
            Some(e) => out.push(e.clone()),
            None => bail!("The aggregates of a window join must be metacode such as <avg(price)>."),
        }
        Ok(())
    };
    match aggs {
        Value::Vector(v) if matches!(v.data, value::Data::Any(_)) => {
            for i in 0..v.len() {
                push_code(&v.get(i))?;
            }
        }
        other => push_code(other)?,
    }
    Ok(out)
}

/// Builds `(cols...) -> expr` over the right columns the expression names.
fn window_agg(env: &dyn Env, e: &Expr, right: &Table) -> WindowAgg {
    let (e, name) = match e {
        Expr::Alias(inner, n) => ((**inner).clone(), n.clone()),
        e => (e.clone(), crate::sql::names::expr_name(e)),
    };
    let fast = window_fast(env, &e, right);
    let mut seen = std::collections::HashSet::new();
    crate::sql::expr::names_in(&e, &mut seen);
    let columns: Vec<usize> = (0..right.cols())
        .filter(|&c| seen.contains(&right.names[c].to_ascii_lowercase()))
        .collect();
    let params = columns
        .iter()
        .map(|&c| Param {
            name: right.names[c].clone(),
            mutable: false,
            default: None,
        })
        .collect();
    let def = FuncDef {
        name: String::new(),
        params,
        body: vec![Stmt {
            line: 1,
            kind: StmtKind::Return(Some(e.clone())),
        }],
        is_expr: true,
        source: e.to_string(),
    };
    WindowAgg {
        name,
        columns,
        func: FunctionValue::value(Callable::User(Arc::new(def), Arc::new(HashMap::new()))),
        fast,
    }
}

/// The window bounds in the units of the last matching column.
fn window_bounds(name: &str, w: &Value, ty: DataType) -> Result<(i64, i64)> {
    let Value::Pair(p) = w else {
        bail!(
            "The window of function [{}] must be a pair such as -5:0 or -5s:0s.",
            name
        );
    };
    let unit_nanos: Option<i64> = match ty {
        DataType::Date => Some(86_400_000_000_000),
        DataType::Minute | DataType::DateMinute => Some(60_000_000_000),
        DataType::Second | DataType::DateTime => Some(1_000_000_000),
        DataType::Time | DataType::Timestamp => Some(1_000_000),
        DataType::NanoTime | DataType::NanoTimestamp => Some(1),
        DataType::DateHour => Some(3_600_000_000_000),
        _ => None,
    };
    let mut ends = [0i64; 2];
    for (i, end) in ends.iter_mut().enumerate() {
        if p.ty == DataType::Duration {
            let raw = p.i64_at(i).unwrap_or(0);
            let d = Duration::from_raw(raw).ok_or_else(|| {
                Error::new(format!("The window of function [{}] is invalid.", name))
            })?;
            let (Some(un), Some(dn)) = (unit_nanos, d.unit.nanos()) else {
                bail!(
                    "The window of function [{}] doesn't match the type of the matching column.",
                    name
                );
            };
            *end = d.count as i64 * dn / un;
        } else {
            *end = p.i64_at(i).ok_or_else(|| {
                Error::new(format!(
                    "The window of function [{}] must be integers.",
                    name
                ))
            })?;
        }
    }
    Ok((ends[0], ends[1]))
}

fn window_join(env: &mut dyn Env, name: &str, args: &[Value], prevailing: bool) -> Result<Value> {
    let left = table_arg(name, &args[0], "first")?;
    let right = table_arg(name, &args[1], "second")?;
    let (lk, rk) = keys_of(name, args, 4, left, right)?;
    let last = lk.len() - 1;
    let (lids, off, members) = exact_groups(left, right, &lk, &rk)?;
    let lcol = &left.columns[lk[last]];
    let rcol = &right.columns[rk[last]];
    let (w1, w2) = window_bounds(name, &args[2], lcol.ty)?;
    let rcol = if rcol.ty == lcol.ty {
        (**rcol).clone()
    } else {
        value::convert::cast(rcol, lcol.ty, lcol.scale)?
    };
    let to_i64 = |v: &Vector| -> Result<Vec<i64>> {
        (0..v.len())
            .map(|i| match v.i64_at(i) {
                Some(x) => Ok(x),
                None if v.is_null(i) => Ok(i64::MIN),
                None => bail!(
                    "The last matching column of function [{}] must be temporal or integral.",
                    name
                ),
            })
            .collect()
    };
    let (lt, rt) = (to_i64(lcol)?, to_i64(&rcol)?);
    let aggs: Vec<WindowAgg> = agg_exprs(&args[3])?
        .iter()
        .map(|e| window_agg(&*env, e, right))
        .collect();
    let special = w1 == 0 && w2 == 0;
    let mut prev_in_group: HashMap<u32, i64> = HashMap::new();
    // Each left row's window: a range of `members` (right rows of its group, in order).
    let mut windows: Vec<(usize, usize)> = Vec::with_capacity(left.rows());
    for (l, &g) in lids.iter().enumerate() {
        let base = off[g as usize];
        let rows = &members[base..off[g as usize + 1]];
        let t = lt[l];
        let (mut lo, hi) = if special {
            let start = prev_in_group.insert(g, t).unwrap_or(i64::MIN);
            (bound(rows, &rt, &start, false), bound(rows, &rt, &t, false))
        } else {
            let (a, b) = (t.saturating_add(w1), t.saturating_add(w2));
            (bound(rows, &rt, &a, false), bound(rows, &rt, &b, true))
        };
        if prevailing && !special {
            let a = t.saturating_add(w1);
            let exact = lo < rows.len() && rt[rows[lo] as usize] == a;
            if exact {
                // Only the last of the rows at the left edge.
                while lo + 1 < hi && rt[rows[lo + 1] as usize] == a {
                    lo += 1;
                }
            } else {
                // The last row before the edge prevails.
                lo = lo.saturating_sub(1);
            }
        }
        windows.push((base + lo, base + hi.max(lo)));
    }
    let slices: Vec<&[u32]> = windows.iter().map(|&(a, b)| &members[a..b]).collect();
    let mut results: Vec<Vec<Value>> = Vec::with_capacity(aggs.len());
    let mut fast_cols: Vec<Option<Vector>> = Vec::with_capacity(aggs.len());
    for agg in &aggs {
        if let Some((kind, cols)) = &agg.fast {
            fast_cols.push(Some(window_kernel(*kind, cols, right, &slices)));
            results.push(Vec::new());
            continue;
        }
        let mut vals = Vec::with_capacity(slices.len());
        for w in &slices {
            let idx: Vec<i64> = w.iter().map(|&r| r as i64).collect();
            let cols: Vec<Value> = agg
                .columns
                .iter()
                .map(|&c| Value::vector(right.columns[c].take(&idx)))
                .collect();
            vals.push(env.call(&agg.func, &cols)?);
        }
        fast_cols.push(None);
        results.push(vals);
    }
    let mut names = left.names.clone();
    let mut cols: Vec<Vector> = left.columns.iter().map(|c| (**c).clone()).collect();
    for ((agg, vals), fast) in aggs.iter().zip(results).zip(fast_cols) {
        if let Some(col) = fast {
            names.push(agg.name.clone());
            cols.push(col);
            continue;
        }
        let col = if vals.iter().all(|v| matches!(v, Value::Scalar(_))) {
            crate::literal::vector_from_scalars(&vals).unwrap_or_else(|| Vector::from_values(vals))
        } else {
            Vector::from_values(vals)
        };
        names.push(agg.name.clone());
        cols.push(col);
    }
    Ok(Value::table(Table::new(names, cols)))
}
