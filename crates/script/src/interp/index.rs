//! Reading with `x[i]`, `x[a:b]`, `m[i, j]`, `t[`col]`, `d[key]`, `t.col`, `d.key`.

use std::sync::Arc;

use value::{DataType, Matrix, Table, Value, Vector};

use super::stmt::table_row;
use super::Interpreter;
use crate::ast::{BinOp, Expr};
use crate::{Error, Result};

/// One evaluated index: a value, or a range `a:b` whose ends may be open.
#[derive(Clone, Debug)]
pub(crate) enum Idx {
    Val(Value),
    Range(Option<i64>, Option<i64>),
}

impl Interpreter<'_> {
    pub(crate) fn eval_index(&mut self, obj: &Expr, idx: &[Expr]) -> Result<Value> {
        let v = self.eval(obj)?;
        let idx = self.eval_indices(idx)?;
        index_value(&v, &idx)
    }

    pub(crate) fn eval_indices(&mut self, idx: &[Expr]) -> Result<Vec<Idx>> {
        let mut out = Vec::with_capacity(idx.len());
        for e in idx {
            if let Expr::Binary(BinOp::Pair, lo, hi) = e {
                let lo = self.eval(lo)?;
                let hi = self.eval(hi)?;
                if let (Value::Scalar(_), Value::Scalar(_)) = (&lo, &hi) {
                    out.push(Idx::Range(lo.as_i64(), hi.as_i64()));
                    continue;
                }
                let p = self.call_builtin_name("pair", vec![lo, hi])?;
                out.push(Idx::Val(p));
                continue;
            }
            out.push(Idx::Val(self.eval(e)?));
        }
        Ok(out)
    }
}

/// `v[idx...]`.
pub(crate) fn index_value(v: &Value, idx: &[Idx]) -> Result<Value> {
    match idx {
        [] => Ok(v.clone()),
        [i] => index1(v, i),
        [i, j] => index2(v, i, j),
        _ => Err(Error::new("Too many indices")),
    }
}

/// The positions a range or pair selects in a sequence of `n` items.
fn range_positions(lo: Option<i64>, hi: Option<i64>, n: usize) -> Vec<i64> {
    let lo = lo.unwrap_or(0);
    let hi = hi.unwrap_or(n as i64);
    if lo <= hi {
        (lo..hi).collect()
    } else {
        // `x[3:1]` walks backwards from 2 down to 1, as DolphinDB's reversed ranges do.
        ((hi..lo).rev()).collect()
    }
}

/// Positions selected by an index value over `n` items: an integer, an integer vector, a BOOL
/// mask or a pair. None for a non-positional index (e.g. a column name).
pub(crate) fn positions(i: &Idx, n: usize) -> Option<Vec<i64>> {
    match i {
        Idx::Range(lo, hi) => Some(range_positions(*lo, *hi, n)),
        Idx::Val(Value::Pair(p)) => Some(range_positions(p.i64_at(0), p.i64_at(1), n)),
        Idx::Val(Value::Scalar(s)) if s.ty.is_integral() && s.ty != DataType::Bool => {
            Some(vec![s.i64_at(0).unwrap_or(-1)])
        }
        Idx::Val(Value::Scalar(s)) if s.ty == DataType::Void => Some(vec![-1]),
        Idx::Val(Value::Vector(x)) if x.ty == DataType::Bool => Some(
            (0..x.len().min(n))
                .filter(|&k| x.i64_at(k) == Some(1))
                .map(|k| k as i64)
                .collect(),
        ),
        Idx::Val(Value::Vector(x)) if x.ty.is_integral() || x.ty == DataType::Void => {
            Some((0..x.len()).map(|k| x.i64_at(k).unwrap_or(-1)).collect())
        }
        _ => None,
    }
}

fn is_scalar_index(i: &Idx) -> bool {
    matches!(i, Idx::Val(Value::Scalar(_)))
}

fn index1(v: &Value, i: &Idx) -> Result<Value> {
    match v {
        Value::Vector(x) | Value::Pair(x) => index_vector(x, i),
        Value::Table(t) => index_table(t, i),
        Value::Dict(d) => match i {
            Idx::Val(Value::Scalar(k)) => Ok(dict_get(d, k)),
            Idx::Val(Value::Vector(ks)) => {
                let items: Vec<Value> = (0..ks.len())
                    .map(|j| dict_get(d, &ks.slice(j, j + 1)))
                    .collect();
                Ok(super::eval::make_vector(items))
            }
            _ => Err(Error::new("Invalid dictionary key")),
        },
        Value::Matrix(m) => match positions(i, m.cols) {
            Some(p) if is_scalar_index(i) => {
                let j = p[0];
                if j < 0 || j as usize >= m.cols {
                    return Ok(Value::vector(Vector::nulls(m.data.ty, m.rows)));
                }
                Ok(Value::vector(m.column(j as usize)))
            }
            Some(p) => Ok(sub_matrix(m, &(0..m.rows as i64).collect::<Vec<_>>(), &p)),
            None => Err(Error::new("Invalid matrix index")),
        },
        Value::Scalar(_) | Value::Object(_) | Value::Set(_) => {
            Err(Error::new("The object can't be indexed"))
        }
    }
}

fn index_vector(x: &Arc<Vector>, i: &Idx) -> Result<Value> {
    let Some(p) = positions(i, x.len()) else {
        return Err(Error::new(
            "The index of a vector must be an integer, a pair or a vector",
        ));
    };
    if is_scalar_index(i) {
        let k = p[0];
        if k < 0 || k as usize >= x.len() {
            return Ok(null_of(x));
        }
        return Ok(x.get(k as usize));
    }
    Ok(Value::vector(x.take(&p)))
}

/// A null scalar of a vector's element type (VOID for a tuple).
fn null_of(x: &Vector) -> Value {
    if x.ty == DataType::Any {
        return Value::void();
    }
    let mut n = Vector::nulls(x.ty, 1);
    n.scale = x.scale;
    Value::Scalar(n)
}

fn index_table(t: &Arc<Table>, i: &Idx) -> Result<Value> {
    if let Idx::Val(v) = i {
        if let Some(name) = v.as_str() {
            return column(t, name);
        }
        if let Value::Vector(names) = v {
            if names.ty.is_literal() {
                let mut cols = Vec::new();
                let mut out_names = Vec::new();
                for k in 0..names.len() {
                    let n = names.str_at(k).unwrap_or("");
                    let Some(ci) = t.column_index(n) else {
                        return Err(Error::new(format!("Unrecognized column name {}", n)));
                    };
                    out_names.push(t.names[ci].clone());
                    cols.push((*t.columns[ci]).clone());
                }
                return Ok(Value::table(Table::new(out_names, cols)));
            }
        }
    }
    let Some(p) = positions(i, t.rows()) else {
        return Err(Error::new("Invalid table index"));
    };
    if is_scalar_index(i) {
        let k = p[0];
        if k < 0 || k as usize >= t.rows() {
            return Err(Error::new("The row index is out of range"));
        }
        return Ok(table_row(t, k as usize));
    }
    let cols = t.columns.iter().map(|c| c.take(&p)).collect();
    Ok(Value::table(Table::new(t.names.clone(), cols)))
}

fn column(t: &Table, name: &str) -> Result<Value> {
    match t.column(name) {
        Some(c) => Ok(Value::Vector(c.clone())),
        None => Err(Error::new(format!("Unrecognized column name {}", name))),
    }
}

fn dict_get(d: &value::Dict, key: &Vector) -> Value {
    match d.position(&key.key_at(0)) {
        Some(p) => d.values.get(p),
        None => null_of(&d.values),
    }
}

fn index2(v: &Value, i: &Idx, j: &Idx) -> Result<Value> {
    match v {
        Value::Matrix(m) => {
            let (Some(rows), Some(cols)) = (positions(i, m.rows), positions(j, m.cols)) else {
                return Err(Error::new("Invalid matrix index"));
            };
            if is_scalar_index(i) && is_scalar_index(j) {
                let (r, c) = (rows[0], cols[0]);
                if r < 0 || c < 0 || r as usize >= m.rows || c as usize >= m.cols {
                    return Ok(null_of(&m.data));
                }
                return Ok(m.data.get(c as usize * m.rows + r as usize));
            }
            Ok(sub_matrix(m, &rows, &cols))
        }
        Value::Table(t) => {
            // t[rows, cols]: rows first, then columns.
            let sub = index_table(t, i)?;
            match sub {
                Value::Table(s) => index_table(&s, j),
                other => Ok(other),
            }
        }
        _ => Err(Error::new("The object can't be indexed by two indices")),
    }
}

fn sub_matrix(m: &Matrix, rows: &[i64], cols: &[i64]) -> Value {
    let mut cells = Vec::with_capacity(rows.len() * cols.len());
    for &c in cols {
        for &r in rows {
            let ok = r >= 0 && c >= 0 && (r as usize) < m.rows && (c as usize) < m.cols;
            cells.push(if ok { c * m.rows as i64 + r } else { -1 });
        }
    }
    let data = m.data.take(&cells);
    Value::Matrix(Arc::new(Matrix::new(data, rows.len(), cols.len())))
}

/// `t.col` and `d.key`.
pub(crate) fn member(v: &Value, name: &str) -> Result<Value> {
    match v {
        Value::Table(t) => column(t, name),
        Value::Dict(d) => {
            if let Some(v) = d.get_str(name) {
                return Ok(v);
            }
            match d.position(&value::Key::Str(name.to_string())) {
                Some(p) => Ok(d.values.get(p)),
                None => Ok(null_of(&d.values)),
            }
        }
        _ => Err(Error::new(format!(
            "Can't access member [{}] of an object that is not a table or dictionary",
            name
        ))),
    }
}
