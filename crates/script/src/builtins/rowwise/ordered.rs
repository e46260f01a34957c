//! Order-dependent row functions over a matrix or an array vector: ranks (`rowRank`,
//! `rowDenseRank`), running accumulations (`rowCumsum`, ...), `rowAt`, and shifts
//! (`rowMove`, `rowPrev`, `rowNext`). Results keep the shape of X.

use super::*;
use crate::builtins::stats::params::bind;

// ---------------------------------------------------------------------------------------------
// Ranks.

/// A matrix or array vector whose rows are ranked; the result keeps its shape.
fn rank_rows(func: &str, x: &Value) -> Result<Rows<f64>> {
    match x {
        Value::Matrix(_) => float_rows(func, std::slice::from_ref(x)),
        Value::Vector(v) if v.is_array() => float_rows(func, std::slice::from_ref(x)),
        _ => bail!(
            "The argument X of function [{}] must be a matrix or an array vector",
            func
        ),
    }
}

/// Puts per-row results back into X's shape: a matrix (row-major results transposed into
/// column-major cells) or an array vector.
fn reshape_like(x: &Value, rows: Vec<Vec<f64>>, ty: DataType) -> Value {
    let convert = |xs: Vec<f64>| -> Vector {
        if ty == DataType::Int {
            Vector::from_i32(
                DataType::Int,
                xs.into_iter()
                    .map(|v| if v.is_nan() { null::I32 } else { v as i32 })
                    .collect(),
            )
        } else {
            Vector::from_f64(xs.into_iter().map(f64_out).collect())
        }
    };
    match x {
        Value::Matrix(m) => {
            let mut cells = vec![f64::NAN; m.rows * m.cols];
            for (i, row) in rows.into_iter().enumerate() {
                for (j, v) in row.into_iter().enumerate() {
                    cells[j * m.rows + i] = v;
                }
            }
            let mut out = (**m).clone();
            out.data = convert(cells);
            Value::Matrix(Arc::new(out))
        }
        _ => {
            let mut offsets = Vec::with_capacity(rows.len() + 1);
            offsets.push(0u32);
            let mut flat = Vec::new();
            for row in rows {
                flat.extend(row);
                offsets.push(flat.len() as u32);
            }
            let values = convert(flat);
            Value::vector(Vector::new(
                values.ty,
                Data::Array(ArrayData {
                    offsets,
                    values: Box::new(values),
                }),
            ))
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Ties {
    Min,
    Max,
    Average,
    First,
}

struct RankOpts {
    ascending: bool,
    group_num: Option<i64>,
    ignore_na: bool,
    ties: Ties,
    percent: bool,
}

/// `rowRank(X, [ascending=true], [groupNum], [ignoreNA=true], [tiesMethod='min'],
/// [percent=false])`: each element's rank (from 0) within its row, as `rank` computes it.
pub(super) fn row_rank(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let f = "rowRank";
    let names = [
        "X",
        "ascending",
        "groupNum",
        "ignoreNA",
        "tiesMethod",
        "percent",
        "precision",
    ];
    let p = bind(env, f, args, &names)?;
    let x = p.req(0)?;
    let group_num = match p.get(2) {
        Some(v) => {
            let g = int_arg(f, v, "groupNum")?;
            if g <= 0 {
                bail!("The argument groupNum of function [rowRank] must be a positive integer");
            }
            Some(g)
        }
        None => None,
    };
    let ties = match p.get(4) {
        Some(v) => match str_arg(f, v, "tiesMethod")? {
            "min" => Ties::Min,
            "max" => Ties::Max,
            "average" => Ties::Average,
            "first" => Ties::First,
            _ => bail!("The argument tiesMethod of function [rowRank] must be 'min', 'max', 'average' or 'first'"),
        },
        None => Ties::Min,
    };
    if p.get(6).is_some() {
        bail!("The function [rowRank] does not support precision yet");
    }
    let opts = RankOpts {
        ascending: p.flag(1, true)?,
        group_num,
        ignore_na: p.flag(3, true)?,
        ties,
        percent: p.flag(5, false)?,
    };
    let r = rank_rows(f, x)?;
    let mut out = Vec::with_capacity(r.n);
    r.each_row(|_, row| out.push(rank_row(row, &opts)));
    let float = opts.percent || (opts.ties == Ties::Average && opts.group_num.is_none());
    let ty = if float {
        DataType::Double
    } else {
        DataType::Int
    };
    Ok(reshape_like(x, out, ty))
}

/// The sort order of a row's elements: nulls first (smallest) or dropped.
fn order(row: &[f64], ascending: bool, ignore_na: bool) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..row.len())
        .filter(|&i| !(ignore_na && row[i].is_nan()))
        .collect();
    let key = |x: f64| if x.is_nan() { f64::NEG_INFINITY } else { x };
    idx.sort_by(|&a, &b| {
        let (x, y) = (key(row[a]), key(row[b]));
        let o = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
        if ascending {
            o
        } else {
            o.reverse()
        }
    });
    idx
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn rank_row(row: &[f64], o: &RankOpts) -> Vec<f64> {
    let idx = order(row, o.ascending, o.ignore_na);
    let n = idx.len();
    let mut ranks = vec![f64::NAN; row.len()];
    let mut k = 0;
    while k < n {
        let mut e = k + 1;
        while e < n && same(row[idx[e]], row[idx[k]]) {
            e += 1;
        }
        for (p, &i) in idx[k..e].iter().enumerate() {
            ranks[i] = match o.ties {
                Ties::Min => k as f64,
                Ties::Max => (e - 1) as f64,
                Ties::Average => (k + e - 1) as f64 / 2.0,
                Ties::First => (k + p) as f64,
            };
        }
        k = e;
    }
    for r in ranks.iter_mut().filter(|r| !r.is_nan()) {
        if let Some(g) = o.group_num {
            *r = (*r * g as f64 / n as f64).floor();
        } else if o.percent {
            *r = (*r + 1.0) / n as f64;
        }
    }
    ranks
}

/// `rowDenseRank(X, [ascending=true], [ignoreNA=true], [percent=false])`: ranks from 0 with
/// no gaps after ties.
pub(super) fn row_dense_rank(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let f = "rowDenseRank";
    let names = ["X", "ascending", "ignoreNA", "percent"];
    let p = bind(env, f, args, &names)?;
    let x = p.req(0)?;
    let ascending = p.flag(1, true)?;
    let ignore_na = p.flag(2, true)?;
    let percent = p.flag(3, false)?;
    let r = rank_rows(f, x)?;
    let mut out = Vec::with_capacity(r.n);
    r.each_row(|_, row| {
        let idx = order(row, ascending, ignore_na);
        let mut ranks = vec![f64::NAN; row.len()];
        let mut dense = 0.0;
        for (k, &i) in idx.iter().enumerate() {
            if k > 0 && !same(row[i], row[idx[k - 1]]) {
                dense += 1.0;
            }
            ranks[i] = dense;
        }
        if percent {
            let distinct = if idx.is_empty() { 1.0 } else { dense + 1.0 };
            for r in ranks.iter_mut().filter(|r| !r.is_nan()) {
                *r = (*r + 1.0) / distinct;
            }
        }
        out.push(ranks);
    });
    let ty = if percent {
        DataType::Double
    } else {
        DataType::Int
    };
    Ok(reshape_like(x, out, ty))
}

// ---------------------------------------------------------------------------------------------
// Cumulative row functions, rowAt, rowMove.

pub(super) fn row_cumsum(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cumulative("rowCumsum", &args[0], |a, x| a + x)
}
pub(super) fn row_cumprod(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cumulative("rowCumprod", &args[0], |a, x| a * x)
}
pub(super) fn row_cummax(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cumulative("rowCummax", &args[0], f64::max)
}
pub(super) fn row_cummin(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cumulative("rowCummin", &args[0], f64::min)
}

/// A running accumulation along each row (nulls keep the running value; leading nulls stay
/// null), as DOUBLE.
fn cumulative(func: &str, x: &Value, op: fn(f64, f64) -> f64) -> Result<Value> {
    let r = rank_rows(func, x)?;
    let mut out = Vec::with_capacity(r.n);
    r.each_row(|_, row| {
        let mut acc = f64::NAN;
        out.push(
            row.iter()
                .map(|&v| {
                    if !v.is_nan() {
                        acc = if acc.is_nan() { v } else { op(acc, v) };
                    }
                    acc
                })
                .collect(),
        );
    });
    Ok(reshape_like(x, out, DataType::Double))
}

/// `rowAt(X, Y)`: the element of each row of X at the column index Y[i] (null when out of
/// range or null).
pub(super) fn row_at(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let idx: Vec<i64> = match &args[1] {
        Value::Vector(v) if !v.is_array() => to_i64(v)?,
        Value::Scalar(v) => to_i64(v)?,
        _ => bail!("The argument Y of function [rowAt] must be an integral vector"),
    };
    let cells: Vec<i64> = match &args[0] {
        Value::Matrix(m) => {
            if idx.len() != m.rows && idx.len() != 1 {
                bail!("The length of Y must equal the number of rows of X in function [rowAt]");
            }
            (0..m.rows)
                .map(|i| {
                    let j = idx[if idx.len() == 1 { 0 } else { i }];
                    if j < 0 || j as usize >= m.cols {
                        -1
                    } else {
                        (j as usize * m.rows + i) as i64
                    }
                })
                .collect()
        }
        Value::Vector(v) => match &v.data {
            Data::Array(a) => {
                if idx.len() != a.rows() && idx.len() != 1 {
                    bail!("The length of Y must equal the number of rows of X in function [rowAt]");
                }
                let picked: Vec<i64> = (0..a.rows())
                    .map(|i| {
                        let j = idx[if idx.len() == 1 { 0 } else { i }];
                        let r = a.row_range(i);
                        if j < 0 || j as usize >= r.len() {
                            -1
                        } else {
                            (r.start + j as usize) as i64
                        }
                    })
                    .collect();
                return Ok(Value::vector(a.values.take(&picked)));
            }
            _ => bail!("The argument X of function [rowAt] must be a matrix or an array vector"),
        },
        _ => bail!("The argument X of function [rowAt] must be a matrix or an array vector"),
    };
    let Value::Matrix(m) = &args[0] else {
        bail!("The argument X of function [rowAt] must be a matrix or an array vector");
    };
    Ok(Value::vector(m.data.take(&cells)))
}

pub(super) fn row_move(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let steps = int_arg("rowMove", &args[1], "steps")?;
    shift("rowMove", &args[0], steps)
}
pub(super) fn row_prev(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    shift("rowPrev", &args[0], 1)
}
pub(super) fn row_next(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    shift("rowNext", &args[0], -1)
}

/// Shifts every row right by `steps` (left when negative), filling with nulls; the type is
/// kept.
fn shift(func: &str, x: &Value, steps: i64) -> Result<Value> {
    let src = |pos: usize, len: usize| -> Option<usize> {
        let p = pos as i64 - steps;
        (p >= 0 && (p as usize) < len).then_some(p as usize)
    };
    match x {
        Value::Matrix(m) => {
            let mut idx = vec![-1i64; m.rows * m.cols];
            for j in 0..m.cols {
                for i in 0..m.rows {
                    if let Some(s) = src(j, m.cols) {
                        idx[j * m.rows + i] = (s * m.rows + i) as i64;
                    }
                }
            }
            let mut out = (**m).clone();
            out.data = m.data.take(&idx);
            Ok(Value::Matrix(Arc::new(out)))
        }
        Value::Vector(v) => match &v.data {
            Data::Array(a) => {
                let mut idx = Vec::with_capacity(a.values.len());
                for i in 0..a.rows() {
                    let r = a.row_range(i);
                    for p in 0..r.len() {
                        idx.push(src(p, r.len()).map_or(-1, |s| (r.start + s) as i64));
                    }
                }
                Ok(Value::vector(Vector {
                    ty: v.ty,
                    scale: v.scale,
                    data: Data::Array(ArrayData {
                        offsets: a.offsets.clone(),
                        values: Box::new(a.values.take(&idx)),
                    }),
                }))
            }
            _ => bail!(
                "The argument X of function [{}] must be a matrix or an array vector",
                func
            ),
        },
        _ => bail!(
            "The argument X of function [{}] must be a matrix or an array vector",
            func
        ),
    }
}
