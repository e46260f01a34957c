//! Data forms as the numeric families see them: a typed vector plus the shape to rebuild
//! (scalar, vector, pair, matrix), and the broadcasting rules of binary operators.

use std::borrow::Cow;
use std::sync::Arc;

use value::{ArrayData, Data, Dict, Matrix, Table, Value, Vector};

use crate::{Error, Result};

/// The shape of an argument whose payload is one typed vector.
#[derive(Clone, Debug)]
pub enum Form {
    Scalar,
    Vector,
    Pair,
    Matrix(MatrixShape),
}

#[derive(Clone, Debug)]
pub struct MatrixShape {
    pub rows: usize,
    pub cols: usize,
    pub row_labels: Option<Vector>,
    pub col_labels: Option<Vector>,
}

impl Form {
    /// Which form wins in a binary operation: matrix > pair > vector > scalar.
    fn rank(&self) -> u8 {
        match self {
            Form::Scalar => 0,
            Form::Vector => 1,
            Form::Pair => 2,
            Form::Matrix(_) => 3,
        }
    }

    pub fn is_scalar(&self) -> bool {
        matches!(self, Form::Scalar)
    }
}

/// The form and payload of a scalar, vector, pair or matrix; None for other forms.
pub fn split(v: &Value) -> Option<(Form, &Vector)> {
    match v {
        Value::Scalar(x) => Some((Form::Scalar, x)),
        Value::Vector(x) => Some((Form::Vector, x)),
        Value::Pair(x) => Some((Form::Pair, x)),
        Value::Matrix(m) => Some((
            Form::Matrix(MatrixShape {
                rows: m.rows,
                cols: m.cols,
                row_labels: m.row_labels.clone(),
                col_labels: m.col_labels.clone(),
            }),
            &m.data,
        )),
        _ => None,
    }
}

/// Like `split`, with DolphinDB's error for an unsupported form.
pub fn split_arg<'a>(name: &str, v: &'a Value) -> Result<(Form, &'a Vector)> {
    split(v).ok_or_else(|| unsupported_form(name, v))
}

pub fn unsupported_form(name: &str, v: &Value) -> Error {
    Error::new(format!(
        "The function [{name}] doesn't support a {} argument.",
        v.form().name().to_lowercase()
    ))
}

/// Wraps `data` back into `form`.
pub fn rebuild(form: &Form, data: Vector) -> Value {
    match form {
        Form::Scalar => Value::Scalar(data),
        Form::Vector => Value::vector(data),
        Form::Pair => Value::pair(data),
        Form::Matrix(s) => Value::Matrix(Arc::new(Matrix {
            data,
            rows: s.rows,
            cols: s.cols,
            row_labels: s.row_labels.clone(),
            col_labels: s.col_labels.clone(),
        })),
    }
}

/// Two operands of an element-wise operation, checked and aligned: both payloads are either
/// `len` long or one element long (a broadcast scalar).
pub struct Aligned<'a> {
    pub form: Form,
    pub a: Cow<'a, Vector>,
    pub b: Cow<'a, Vector>,
    pub len: usize,
}

/// Checks the sizes of two operands and picks the result form. A scalar broadcasts; a vector
/// against a matrix with as many rows applies to every column, as DolphinDB does.
pub fn align<'a>(name: &str, x: &'a Value, y: &'a Value) -> Result<Aligned<'a>> {
    let (fa, a) = split_arg(name, x)?;
    let (fb, b) = split_arg(name, y)?;
    let form = if fa.rank() >= fb.rank() {
        fa.clone()
    } else {
        fb.clone()
    };
    if fa.is_scalar() && fb.is_scalar() {
        return Ok(Aligned {
            form,
            a: Cow::Borrowed(a),
            b: Cow::Borrowed(b),
            len: 1,
        });
    }
    if fa.is_scalar() {
        return Ok(Aligned {
            form,
            a: Cow::Borrowed(a),
            b: Cow::Borrowed(b),
            len: b.len(),
        });
    }
    if fb.is_scalar() {
        return Ok(Aligned {
            form,
            a: Cow::Borrowed(a),
            b: Cow::Borrowed(b),
            len: a.len(),
        });
    }
    let (a, b) = match (&fa, &fb) {
        (Form::Matrix(m), Form::Matrix(n)) if m.rows != n.rows || m.cols != n.cols => {
            return Err(Error::new(format!(
                "The function [{name}] expects two matrices of the same dimensions: \
                 {}x{} vs {}x{}.",
                m.rows, m.cols, n.rows, n.cols
            )))
        }
        (Form::Matrix(m), Form::Vector) if b.len() == m.rows && m.cols != 1 => {
            (Cow::Borrowed(a), Cow::Owned(tile(b, m.cols)))
        }
        (Form::Vector, Form::Matrix(m)) if a.len() == m.rows && m.cols != 1 => {
            (Cow::Owned(tile(a, m.cols)), Cow::Borrowed(b))
        }
        _ => (Cow::Borrowed(a), Cow::Borrowed(b)),
    };
    if a.len() != b.len() {
        return Err(Error::new(format!(
            "The length of the vector {} does not match the length of the vector {} \
             in function [{name}].",
            a.len(),
            b.len()
        )));
    }
    let len = a.len();
    Ok(Aligned { form, a, b, len })
}

/// `v` repeated `times` times (a vector applied to each column of a matrix).
fn tile(v: &Vector, times: usize) -> Vector {
    let n = v.len() as i64;
    let idx: Vec<i64> = (0..times as i64 * n).map(|i| i % n.max(1)).collect();
    v.take(&idx)
}

/// Element-wise operations on array vectors: the operation runs on the flattened cells and the
/// rows are rebuilt. The other operand may be a scalar, an array vector with the same row
/// lengths, or a vector with one value per row (repeated across that row). None when neither
/// operand is an array vector.
pub fn array_binary(
    name: &str,
    x: &Value,
    y: &Value,
    f: impl Fn(&Value, &Value) -> Result<Value>,
) -> Option<Result<Value>> {
    if matches!(x, Value::Dict(_)) || matches!(y, Value::Dict(_)) {
        return Some(dict_binary(name, x, y, &f));
    }
    let arr = |v: &Value| match v {
        Value::Vector(a) => match &a.data {
            Data::Array(d) => Some(d.clone()),
            _ => None,
        },
        _ => None,
    };
    let (ax, ay) = (arr(x), arr(y));
    let shape = ax.clone().or_else(|| ay.clone())?;
    let cells = |v: &Value, own: &Option<ArrayData>| -> Result<Value> {
        if let Some(d) = own {
            if d.offsets != shape.offsets {
                return Err(Error::new(format!(
                    "The array vectors of [{name}] have different row lengths."
                )));
            }
            return Ok(Value::vector(d.values.as_ref().clone()));
        }
        match v {
            Value::Scalar(_) => Ok(v.clone()),
            Value::Vector(p) if p.len() == shape.rows() => {
                let idx: Vec<i64> = (0..shape.rows())
                    .flat_map(|r| std::iter::repeat_n(r as i64, shape.row_range(r).len()))
                    .collect();
                Ok(Value::vector(p.take(&idx)))
            }
            _ => Err(Error::new(format!(
                "The function [{name}] needs a scalar, an array vector of the same shape, or one \
                 value per row beside an array vector."
            ))),
        }
    };
    let run = || -> Result<Value> {
        let r = f(&cells(x, &ax)?, &cells(y, &ay)?)?;
        let values = match r {
            Value::Vector(v) => v.as_ref().clone(),
            Value::Scalar(v) => v,
            _ => return Err(Error::new(format!("internal: [{name}] gave no vector"))),
        };
        Ok(Value::vector(Vector {
            ty: values.ty,
            scale: values.scale,
            data: Data::Array(ArrayData {
                offsets: shape.offsets.clone(),
                values: Box::new(values),
            }),
        }))
    };
    Some(run())
}

/// A binary operation with a dictionary operand works on its values, per key: the other
/// operand is a scalar, or a dictionary with the same keys. The result keeps the keys.
fn dict_binary(
    name: &str,
    x: &Value,
    y: &Value,
    f: &dyn Fn(&Value, &Value) -> Result<Value>,
) -> Result<Value> {
    let values_of = |d: &Dict| Value::vector(d.values.clone());
    let (keys, ordered, a, b) = match (x, y) {
        (Value::Dict(d), Value::Scalar(_)) => (&d.keys, d.ordered, values_of(d), y.clone()),
        (Value::Scalar(_), Value::Dict(d)) => (&d.keys, d.ordered, x.clone(), values_of(d)),
        (Value::Dict(d), Value::Dict(e)) => {
            let mut idx = Vec::with_capacity(d.len());
            for i in 0..d.len() {
                match e.position(&d.keys.key_at(i)) {
                    Some(p) if e.len() == d.len() => idx.push(p as i64),
                    _ => {
                        return Err(Error::new(format!(
                            "The function [{name}] needs two dictionaries with the same keys."
                        )))
                    }
                }
            }
            let b = Value::vector(e.values.take(&idx));
            (&d.keys, d.ordered, values_of(d), b)
        }
        _ => {
            let other = if matches!(x, Value::Dict(_)) { y } else { x };
            return Err(unsupported_form(name, other));
        }
    };
    let values = match f(&a, &b)? {
        Value::Vector(v) => v.as_ref().clone(),
        Value::Scalar(v) => v,
        _ => return Err(Error::new(format!("internal: [{name}] gave no vector"))),
    };
    let mut out = Dict::from_vectors(keys.clone(), values);
    out.ordered = ordered;
    Ok(Value::dict(out))
}

/// A cell-wise function applied to an array vector's flattened cells, rows kept; None when
/// `x` is not an array vector.
pub fn array_unary(x: &Value, f: impl Fn(&Value) -> Result<Value>) -> Option<Result<Value>> {
    let Value::Vector(a) = x else {
        return None;
    };
    let Data::Array(d) = &a.data else {
        return None;
    };
    let run = || -> Result<Value> {
        let values = match f(&Value::vector(d.values.as_ref().clone()))? {
            Value::Vector(v) => v.as_ref().clone(),
            Value::Scalar(v) => v,
            _ => return Err(Error::new("internal: a cell-wise function gave no vector")),
        };
        Ok(Value::vector(Vector {
            ty: values.ty,
            scale: values.scale,
            data: Data::Array(ArrayData {
                offsets: d.offsets.clone(),
                values: Box::new(values),
            }),
        }))
    };
    Some(run())
}

/// Applies a reduction (vector -> one-element vector) DolphinDB-style: a scalar, vector or
/// pair gives a scalar, a matrix gives one value per column (a vector), a table gives a
/// one-row table.
pub fn reduce_columns(
    name: &str,
    x: &Value,
    f: impl Fn(&Vector) -> Result<Vector>,
) -> Result<Value> {
    match x {
        Value::Scalar(v) => Ok(Value::Scalar(f(v)?)),
        Value::Vector(v) | Value::Pair(v) => Ok(Value::Scalar(f(v)?)),
        Value::Matrix(m) => {
            let mut out: Option<Vector> = None;
            for j in 0..m.cols {
                let r = f(&m.column(j))?;
                match &mut out {
                    None => out = Some(r),
                    Some(acc) => {
                        if !acc.extend(&r) {
                            return Err(Error::new(format!(
                                "The function [{name}] gave mixed types across columns."
                            )));
                        }
                    }
                }
            }
            Ok(Value::vector(
                out.unwrap_or_else(|| Vector::empty(m.data.ty)),
            ))
        }
        Value::Table(t) => {
            let mut cols = Vec::with_capacity(t.cols());
            for c in &t.columns {
                cols.push(f(c)?);
            }
            Ok(Value::table(Table::new(t.names.clone(), cols)))
        }
        _ => Err(unsupported_form(name, x)),
    }
}

/// Applies a window function (vector -> vector of the same length) keeping the form: per
/// column for a matrix or a table.
pub fn map_columns(name: &str, x: &Value, f: impl Fn(&Vector) -> Result<Vector>) -> Result<Value> {
    match x {
        Value::Scalar(v) => Ok(Value::Scalar(f(v)?)),
        Value::Vector(v) => Ok(Value::vector(f(v)?)),
        Value::Pair(v) => Ok(Value::pair(f(v)?)),
        Value::Matrix(m) => {
            let mut out: Option<Vector> = None;
            for j in 0..m.cols {
                let r = f(&m.column(j))?;
                match &mut out {
                    None => out = Some(r),
                    Some(acc) => {
                        if !acc.extend(&r) {
                            return Err(Error::new(format!(
                                "The function [{name}] gave mixed types across columns."
                            )));
                        }
                    }
                }
            }
            let data = out.unwrap_or_else(|| Vector::empty(m.data.ty));
            Ok(Value::Matrix(Arc::new(Matrix {
                data,
                rows: m.rows,
                cols: m.cols,
                row_labels: m.row_labels.clone(),
                col_labels: m.col_labels.clone(),
            })))
        }
        Value::Table(t) => {
            let mut cols = Vec::with_capacity(t.cols());
            for c in &t.columns {
                cols.push(f(c)?);
            }
            let mut out = Table::new(t.names.clone(), cols);
            out.name = t.name.clone();
            Ok(Value::table(out))
        }
        _ => Err(unsupported_form(name, x)),
    }
}

/// Applies a two-argument window function: two vectors of one length give a vector; two
/// matrices of one shape give a matrix, column by column.
pub fn map_column_pairs(
    name: &str,
    x: &Value,
    y: &Value,
    f: impl Fn(&Vector, &Vector) -> Result<Vector>,
) -> Result<Value> {
    match (x, y) {
        (Value::Matrix(a), Value::Matrix(b)) => {
            if a.rows != b.rows || a.cols != b.cols {
                return Err(Error::new(format!(
                    "The arguments of [{name}] must have the same dimensions."
                )));
            }
            let mut out: Option<Vector> = None;
            for j in 0..a.cols {
                let r = f(&a.column(j), &b.column(j))?;
                match &mut out {
                    None => out = Some(r),
                    Some(acc) => {
                        acc.extend(&r);
                    }
                }
            }
            let data = out.unwrap_or_else(|| Vector::empty(a.data.ty));
            Ok(Value::Matrix(Arc::new(Matrix {
                data,
                rows: a.rows,
                cols: a.cols,
                row_labels: a.row_labels.clone(),
                col_labels: a.col_labels.clone(),
            })))
        }
        _ => {
            let (fa, a) = split_arg(name, x)?;
            let (_, b) = split_arg(name, y)?;
            if a.len() != b.len() {
                return Err(Error::new(format!(
                    "The arguments of [{name}] must have the same length."
                )));
            }
            Ok(rebuild(&fa, f(a, b)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i32]) -> Value {
        Value::vector(Vector::from_i32(value::DataType::Int, v.to_vec()))
    }

    #[test]
    fn align_broadcasts_scalars_and_rejects_length_mismatch() {
        let (one, v) = (Value::int(1), ints(&[1, 2, 3]));
        let al = align("add", &one, &v).unwrap();
        assert_eq!(al.len, 3);
        assert!(matches!(al.form, Form::Vector));
        let err = align("add", &ints(&[1, 2]), &ints(&[1, 2, 3]))
            .err()
            .unwrap();
        assert!(err.message().contains("does not match"));
    }

    #[test]
    fn vector_against_matrix_applies_per_column() {
        let m = Value::Matrix(Arc::new(Matrix::new(
            Vector::from_i32(value::DataType::Int, vec![1, 2, 3, 4]),
            2,
            2,
        )));
        let v = ints(&[10, 20]);
        let al = align("add", &v, &m).unwrap();
        assert_eq!(al.len, 4);
        assert!(matches!(al.form, Form::Matrix(_)));
        assert_eq!(al.a.len(), 4);
    }
}
