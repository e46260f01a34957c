//! Built-ins: matrix algebra. Transpose (`flip`), the matrix product `dot` (operator `**`),
//! `inverse`, `det`, `solve`, the factorizations `lu`, `qr` and `cholesky`, `diag`, `eye`,
//! `triu`/`tril`, `repmat`, `corrMatrix`/`covarMatrix`, `shape`, and the label accessors
//! `rowNames`/`colNames`.
//!
//! `matrix(...)` and `concatMatrix` are constructors (construct.rs, vectors.rs). Element-wise
//! arithmetic on matrices is the numeric families' work. Every result here keeps the
//! column-major layout of `value::Matrix`; numeric kernels run in f64 (`linalg`).

pub(crate) mod linalg;

use std::sync::Arc;

use value::{Data, DataType, Dict, Matrix, Table, Value, Vector};

use self::linalg::Dense;
use super::data_util::{count_arg, int_arg, str_arg, vector_from_scalars};
use super::kernels::num::{dispatch_num, f64_out, Num};
use super::kernels::promote::to_f64_nan;
use super::stats::params::bind;
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("transpose", 1, 1, Kind::Other, transpose),
        builtin("flip", 1, 1, Kind::Other, transpose),
        builtin("dot", 2, 2, Kind::Other, dot),
        builtin("inverse", 1, 1, Kind::Other, inverse),
        builtin("inv", 1, 1, Kind::Other, inverse),
        builtin("det", 1, 1, Kind::Other, det),
        builtin("solve", 2, 2, Kind::Other, solve),
        builtin("lu", 1, 2, Kind::Other, lu),
        builtin("qr", 1, 3, Kind::Other, qr),
        builtin("cholesky", 1, 2, Kind::Other, cholesky),
        builtin("diag", 1, 1, Kind::Other, diag),
        builtin("eye", 1, 1, Kind::Other, eye),
        builtin("triu", 1, 2, Kind::Other, triu),
        builtin("tril", 1, 2, Kind::Other, tril),
        builtin("repmat", 3, 3, Kind::Other, repmat),
        builtin("corrMatrix", 1, 1, Kind::Other, corr_matrix),
        builtin("covarMatrix", 1, 1, Kind::Other, covar_matrix),
        builtin("shape", 1, 1, Kind::Other, shape),
        builtin("rowNames", 1, 1, Kind::Other, row_names),
        builtin("colNames", 1, 1, Kind::Other, col_names),
    ]
}

// ---------------------------------------------------------------------------------------------
// Conversions between values and dense f64 matrices.

/// A numeric matrix, vector (one column) or scalar argument as a dense f64 matrix; nulls
/// become `null_as` (NaN propagates them, 0 follows DolphinDB's `det`/`ols`).
pub(crate) fn dense_arg(func: &str, v: &Value, null_as: f64) -> Result<Dense> {
    let (rows, cols, data) = match v {
        Value::Matrix(m) => (m.rows, m.cols, &m.data),
        Value::Vector(x) if !x.is_array() => (x.len(), 1, &**x),
        Value::Scalar(x) => (1, 1, x),
        _ => bail!(
            "The argument of function [{}] must be a numeric matrix or vector",
            func
        ),
    };
    if !is_numeric(data.ty) {
        bail!("The argument of function [{}] must be numeric", func);
    }
    let mut xs = to_f64_nan(data)?;
    if !null_as.is_nan() {
        xs.iter_mut()
            .filter(|x| x.is_nan())
            .for_each(|x| *x = null_as);
    }
    Ok(Dense::from_cols(rows, cols, xs))
}

/// A square numeric matrix argument.
fn square_arg(func: &str, v: &Value, null_as: f64) -> Result<Dense> {
    if !matches!(v, Value::Matrix(_)) {
        bail!("The argument of function [{}] must be a matrix", func);
    }
    let d = dense_arg(func, v, null_as)?;
    if !d.is_square() {
        bail!(
            "The argument of function [{}] must be a square matrix",
            func
        );
    }
    Ok(d)
}

pub(crate) fn is_numeric(ty: DataType) -> bool {
    ty == DataType::Void || ty.is_decimal() || super::kernels::promote::num_rank(ty).is_some()
}

/// A DOUBLE matrix value (NaN as null).
pub(crate) fn dense_value(d: Dense) -> Value {
    let data = Vector::from_f64(d.data.into_iter().map(f64_out).collect());
    Value::Matrix(Arc::new(Matrix::new(data, d.rows, d.cols)))
}

fn matrix_value(data: Vector, rows: usize, cols: usize) -> Value {
    Value::Matrix(Arc::new(Matrix::new(data, rows, cols)))
}

// ---------------------------------------------------------------------------------------------
// transpose / flip

/// `transpose(X)`: a matrix's transpose; a tuple of equal-length vectors regrouped by
/// position; a table as an ordered dictionary of its columns; a dictionary of columns as a
/// table; an array vector of equal-length rows with rows and columns exchanged.
fn transpose(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Matrix(m) => Ok(Value::Matrix(Arc::new(transpose_matrix(m)))),
        Value::Vector(v) => match &v.data {
            Data::Any(items) => transpose_tuple(items),
            Data::Array(a) => transpose_array(v, a),
            _ => bail!("The argument of function [transpose] must be a tuple, matrix, table, dictionary or array vector"),
        },
        Value::Table(t) => Ok(table_to_dict(t)),
        Value::Dict(d) => dict_to_table(d),
        _ => bail!("The argument of function [transpose] must be a tuple, matrix, table, dictionary or array vector"),
    }
}

pub(crate) fn transpose_matrix(m: &Matrix) -> Matrix {
    let (r, c) = (m.rows, m.cols);
    let mut idx = Vec::with_capacity(r * c);
    for i in 0..r {
        for j in 0..c {
            idx.push((j * r + i) as i64);
        }
    }
    Matrix {
        data: m.data.take(&idx),
        rows: c,
        cols: r,
        row_labels: m.col_labels.clone(),
        col_labels: m.row_labels.clone(),
    }
}

fn transpose_tuple(items: &[Value]) -> Result<Value> {
    let mut cols: Vec<&Vector> = Vec::with_capacity(items.len());
    for it in items {
        match it {
            Value::Vector(v) | Value::Pair(v) => cols.push(v),
            _ => bail!(
                "The argument of function [transpose] must be a tuple of equal-length vectors"
            ),
        }
    }
    let n = cols.first().map_or(0, |c| c.len());
    if cols.iter().any(|c| c.len() != n) {
        bail!("The argument of function [transpose] must be a tuple of equal-length vectors");
    }
    let rows: Vec<Value> = (0..n)
        .map(|i| {
            let cells: Vec<Value> = cols.iter().map(|c| c.get(i)).collect();
            Value::vector(vector_from_scalars(&cells))
        })
        .collect();
    Ok(Value::tuple(rows))
}

fn transpose_array(v: &Vector, a: &value::ArrayData) -> Result<Value> {
    let rows = a.rows();
    let width = if rows == 0 { 0 } else { a.row_range(0).len() };
    if (0..rows).any(|i| a.row_range(i).len() != width) {
        bail!(
            "The rows of the array vector passed to function [transpose] must have the same length"
        );
    }
    let mut idx = Vec::with_capacity(rows * width);
    for j in 0..width {
        for i in 0..rows {
            idx.push((a.row_range(i).start + j) as i64);
        }
    }
    let values = a.values.take(&idx);
    let offsets = (0..=width).map(|k| (k * rows) as u32).collect();
    Ok(Value::vector(Vector {
        ty: v.ty,
        scale: v.scale,
        data: Data::Array(value::ArrayData {
            offsets,
            values: Box::new(values),
        }),
    }))
}

fn table_to_dict(t: &Table) -> Value {
    let keys = Vector::from_strings(t.names.clone());
    let values: Vec<Value> = t.columns.iter().map(|c| Value::Vector(c.clone())).collect();
    let mut d = Dict::from_vectors(keys, Vector::from_values(values));
    d.ordered = true;
    Value::dict(d)
}

fn dict_to_table(d: &Dict) -> Result<Value> {
    if !d.keys.ty.is_literal() {
        bail!("The keys of the dictionary passed to function [transpose] must be strings");
    }
    let mut names = Vec::with_capacity(d.len());
    let mut cols: Vec<Vector> = Vec::with_capacity(d.len());
    for i in 0..d.len() {
        names.push(d.keys.str_at(i).unwrap_or("").to_string());
        cols.push(match d.values.get(i) {
            Value::Scalar(s) => s,
            Value::Vector(v) | Value::Pair(v) if !v.is_array() => (*v).clone(),
            _ => bail!("The values of the dictionary passed to function [transpose] must be scalars or vectors"),
        });
    }
    let n = cols.iter().map(|c| c.len()).max().unwrap_or(0);
    if cols.iter().any(|c| c.len() != n) {
        bail!(
            "The values of the dictionary passed to function [transpose] must have the same length"
        );
    }
    Ok(Value::table(Table::new(names, cols)))
}

// ---------------------------------------------------------------------------------------------
// dot

/// `dot(X, Y)` / `X ** Y`: the matrix product; the inner product of two equal-length
/// vectors; element-wise scaling of a vector by a scalar. A vector against a matrix is read
/// as a column (on the right) or a row (on the left), whichever fits.
fn dot(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (x, y) = (&args[0], &args[1]);
    let x_mat = matches!(x, Value::Matrix(_));
    let y_mat = matches!(y, Value::Matrix(_));
    let x_scalar = matches!(x, Value::Scalar(_));
    let y_scalar = matches!(y, Value::Scalar(_));
    if (x_mat && y_scalar) || (x_scalar && y_mat) {
        bail!("Use * rather than ** for scalar and matrix multiplication.");
    }
    let a = dense_arg("dot", x, f64::NAN)?;
    let b = dense_arg("dot", y, f64::NAN)?;
    if !x_mat && !y_mat {
        return vector_dot(&a.data, &b.data, x_scalar, y_scalar);
    }
    let a = if !x_mat && a.rows == b.rows {
        Dense::from_cols(1, a.rows, a.data)
    } else {
        a
    };
    let b = if !y_mat && a.cols != b.rows && b.rows == a.rows {
        Dense::from_cols(1, b.rows, b.data)
    } else {
        b
    };
    if a.cols != b.rows {
        bail!(
            "The number of columns of the first matrix ({}) must equal the number of rows of the second ({}) in function [dot].",
            a.cols,
            b.rows
        );
    }
    let mut out = a.mul(&b);
    for v in out.data.iter_mut() {
        *v = f64_out(*v);
    }
    let mut m = Matrix::new(Vector::from_f64(out.data), out.rows, out.cols);
    if let (Value::Matrix(xm), true) = (x, x_mat) {
        m.row_labels = xm.row_labels.clone();
    }
    if let (Value::Matrix(ym), true) = (y, y_mat) {
        m.col_labels = ym.col_labels.clone();
    }
    Ok(Value::Matrix(Arc::new(m)))
}

fn vector_dot(a: &[f64], b: &[f64], a_scalar: bool, b_scalar: bool) -> Result<Value> {
    if a_scalar != b_scalar {
        let (s, v) = if a_scalar { (a[0], b) } else { (b[0], a) };
        let out = v.iter().map(|x| f64_out(x * s)).collect();
        return Ok(Value::vector(Vector::from_f64(out)));
    }
    if a.len() != b.len() {
        bail!(
            "The two vectors of function [dot] must have the same length: {} vs {}.",
            a.len(),
            b.len()
        );
    }
    let s: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    Ok(Value::double(f64_out(s)))
}

// ---------------------------------------------------------------------------------------------
// inverse, det, solve, lu, qr, cholesky

fn inverse(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let a = square_arg("inverse", &args[0], f64::NAN)?;
    match linalg::inverse(&a) {
        Some(inv) => Ok(dense_value(inv)),
        None => bail!("The matrix is singular and can't be inverted."),
    }
}

/// `det(X)`: the determinant; null cells count as 0, as DolphinDB documents.
fn det(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let a = square_arg("det", &args[0], 0.0)?;
    Ok(Value::double(f64_out(linalg::lu(&a).det())))
}

/// `solve(X, Y)`: x with X ** x = Y for a square, non-singular X.
fn solve(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let a = square_arg("solve", &args[0], f64::NAN)?;
    let b = dense_arg("solve", &args[1], f64::NAN)?;
    if b.rows != a.rows {
        bail!(
            "The length of Y ({}) must equal the number of rows of X ({}) in function [solve].",
            b.rows,
            a.rows
        );
    }
    let f = linalg::lu(&a);
    if f.singular {
        bail!("The matrix is singular and the equations can't be solved.");
    }
    let x = f.solve(&b);
    match &args[1] {
        Value::Matrix(_) => Ok(dense_value(x)),
        _ => Ok(Value::vector(Vector::from_f64(
            x.data.into_iter().map(f64_out).collect(),
        ))),
    }
}

/// `lu(X, [permute=false])`: `(P, L, U)` with X = P ** L ** U, or `(P ** L, U)`.
fn lu(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = bind(env, "lu", args, &["X", "permute"])?;
    let x = p.req(0)?;
    if !matches!(x, Value::Matrix(_)) {
        bail!("The argument X of function [lu] must be a matrix");
    }
    let a = dense_arg("lu", x, f64::NAN)?;
    let permute = p.flag(1, false)?;
    let f = linalg::lu(&a);
    let (p, l, u) = (f.permutation(), f.lower(), f.upper());
    if permute {
        return Ok(Value::tuple(vec![dense_value(p.mul(&l)), dense_value(u)]));
    }
    Ok(Value::tuple(vec![
        dense_value(p),
        dense_value(l),
        dense_value(u),
    ]))
}

/// `qr(X, [mode='full'], [pivoting=false])`: Householder QR as LAPACK computes it. `mode` is
/// 'full' (Q m×m, R m×n), 'economic' (Q m×k, R k×n), 'r' (R of 'full') or 'raw' (the packed
/// reflectors h, their factors tau, and R).
fn qr(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = bind(env, "qr", args, &["X", "mode", "pivoting"])?;
    let x = p.req(0)?;
    if !matches!(x, Value::Matrix(_)) {
        bail!("The argument X of function [qr] must be a matrix");
    }
    let a = dense_arg("qr", x, f64::NAN)?;
    let mode = match p.get(1) {
        Some(v) => str_arg("qr", v, "mode")?.to_ascii_lowercase(),
        None => "full".to_string(),
    };
    if p.flag(2, false)? {
        bail!("The function [qr] does not support pivoting=true yet.");
    }
    let (m, k) = (a.rows, a.rows.min(a.cols));
    let f = linalg::qr(&a);
    match mode.as_str() {
        "full" => Ok(Value::tuple(vec![dense_value(f.q(m)), dense_value(f.r(m))])),
        "economic" => Ok(Value::tuple(vec![dense_value(f.q(k)), dense_value(f.r(k))])),
        "r" => Ok(dense_value(f.r(m))),
        "raw" => {
            let tau = Vector::from_f64(f.tau.iter().copied().map(f64_out).collect());
            let r = f.r(m);
            Ok(Value::tuple(vec![
                dense_value(f.h),
                Value::vector(tau),
                dense_value(r),
            ]))
        }
        _ => bail!("The mode of function [qr] must be 'full', 'economic', 'r' or 'raw'"),
    }
}

/// `cholesky(X, [lower=true])`: L with X = L ** L' (or the upper factor L' when lower=false).
fn cholesky(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = bind(env, "cholesky", args, &["X", "lower"])?;
    let a = square_arg("cholesky", p.req(0)?, f64::NAN)?;
    let lower = p.flag(1, true)?;
    // The upper variant reads X's upper triangle, which is the lower triangle of X'.
    let src = if lower { a } else { a.transpose() };
    match linalg::cholesky_lower(&src) {
        Some(l) if lower => Ok(dense_value(l)),
        Some(l) => Ok(dense_value(l.transpose())),
        None => {
            bail!("The matrix passed to function [cholesky] must be symmetric positive definite.")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// diag, eye, triu, tril, repmat

/// `diag(X)`: a vector becomes the diagonal of a square matrix (same type, zeros elsewhere);
/// a square matrix gives its diagonal as a vector.
fn diag(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Matrix(m) => {
            if m.rows != m.cols {
                bail!("The argument of function [diag] must be a vector or a square matrix");
            }
            let idx: Vec<i64> = (0..m.rows).map(|i| (i * m.rows + i) as i64).collect();
            Ok(Value::vector(m.data.take(&idx)))
        }
        Value::Vector(v) | Value::Pair(v) if !v.is_array() => diag_matrix(v),
        Value::Scalar(v) => diag_matrix(v),
        _ => bail!("The argument of function [diag] must be a vector or a square matrix"),
    }
}

fn diag_matrix(v: &Vector) -> Result<Value> {
    let n = v.len();
    let cells = n
        .checked_mul(n)
        .filter(|c| *c <= MATRIX_CELLS_MAX)
        .ok_or_else(|| crate::Error::new("The matrix is too large"))?;
    let data = dispatch_num!(&v.data, T, s => {
        let mut out = vec![T::from_i64(0); cells];
        for (i, x) in s.iter().enumerate() {
            out[i * n + i] = *x;
        }
        T::into_data(out)
    }, _ => bail!("The argument of function [diag] must be numeric"));
    Ok(matrix_value(Vector::new(v.ty, data), n, n))
}

/// The most cells a matrix built here may have (about 2 GiB of doubles).
const MATRIX_CELLS_MAX: usize = 1 << 28;

/// `eye(n)`: the n×n identity matrix (DOUBLE).
fn eye(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let n = count_arg("eye", &args[0], "n")?;
    if n == 0 || n.saturating_mul(n) > MATRIX_CELLS_MAX {
        bail!("The argument of function [eye] must be a positive integer");
    }
    Ok(dense_value(Dense::identity(n)))
}

fn triu(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    triangle("triu", args, |i, j, k| j - i >= k)
}

fn tril(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    triangle("tril", args, |i, j, k| j - i <= k)
}

/// Zeroes the cells (i, j) for which `keep(i, j, k)` is false; the type is kept.
fn triangle(func: &str, args: &[Value], keep: fn(i64, i64, i64) -> bool) -> Result<Value> {
    let Value::Matrix(m) = &args[0] else {
        bail!("The argument X of function [{}] must be a matrix", func);
    };
    let k = match args.get(1) {
        Some(v) => int_arg(func, v, "k")?,
        None => 0,
    };
    let rows = m.rows;
    let data = dispatch_num!(&m.data.data, T, s => {
        let mut out = s.to_vec();
        for (c, x) in out.iter_mut().enumerate() {
            let (i, j) = ((c % rows.max(1)) as i64, (c / rows.max(1)) as i64);
            if !keep(i, j, k) {
                *x = T::from_i64(0);
            }
        }
        T::into_data(out)
    }, _ => bail!("The argument X of function [{}] must be a numeric matrix", func));
    let mut out = (**m).clone();
    out.data = Vector::decimal(m.data.ty, m.data.scale, data);
    Ok(Value::Matrix(Arc::new(out)))
}

/// `repmat(X, rowRep, colRep)`: X tiled rowRep times down and colRep times across.
fn repmat(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let Value::Matrix(m) = &args[0] else {
        bail!("The argument X of function [repmat] must be a matrix");
    };
    let rr = count_arg("repmat", &args[1], "rowRep")?;
    let cr = count_arg("repmat", &args[2], "colRep")?;
    if rr == 0 || cr == 0 {
        bail!("The arguments rowRep and colRep of function [repmat] must be positive integers");
    }
    let (rows, cols) = (m.rows * rr, m.cols * cr);
    if rows.saturating_mul(cols) > MATRIX_CELLS_MAX {
        bail!("The matrix is too large");
    }
    let mut idx = Vec::with_capacity(rows * cols);
    for j in 0..cols {
        let src = (j % m.cols) * m.rows;
        for i in 0..rows {
            idx.push((src + i % m.rows) as i64);
        }
    }
    Ok(matrix_value(m.data.take(&idx), rows, cols))
}

// ---------------------------------------------------------------------------------------------
// corrMatrix, covarMatrix

fn corr_matrix(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pairwise_matrix("corrMatrix", &args[0], true)
}

fn covar_matrix(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pairwise_matrix("covarMatrix", &args[0], false)
}

/// The correlation (or sample covariance) of every pair of columns, each pair over the rows
/// where both are non-null.
fn pairwise_matrix(func: &str, x: &Value, corr: bool) -> Result<Value> {
    let Value::Matrix(src) = x else {
        bail!(
            "The argument of function [{}] must be a numeric matrix",
            func
        );
    };
    let a = dense_arg(func, x, f64::NAN)?;
    let n = a.cols;
    let mut out = Dense::zeros(n, n);
    for p in 0..n {
        for q in p..n {
            let v = pair_stat(a.col(p), a.col(q), corr);
            out.set(p, q, v);
            out.set(q, p, v);
        }
    }
    let data = Vector::from_f64(out.data.into_iter().map(f64_out).collect());
    let mut m = Matrix::new(data, n, n);
    m.row_labels = src.col_labels.clone();
    m.col_labels = src.col_labels.clone();
    Ok(Value::Matrix(Arc::new(m)))
}

/// Pearson correlation or sample covariance over the pairs where both values are present.
pub(crate) fn pair_stat(x: &[f64], y: &[f64], corr: bool) -> f64 {
    let (mut n, mut sx, mut sy) = (0usize, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        if !a.is_nan() && !b.is_nan() {
            n += 1;
            sx += a;
            sy += b;
        }
    }
    if n < 2 {
        return f64::NAN;
    }
    let (mx, my) = (sx / n as f64, sy / n as f64);
    let (mut cxy, mut cxx, mut cyy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        if !a.is_nan() && !b.is_nan() {
            let (dx, dy) = (a - mx, b - my);
            cxy += dx * dy;
            cxx += dx * dx;
            cyy += dy * dy;
        }
    }
    if corr {
        cxy / (cxx * cyy).sqrt()
    } else {
        cxy / (n - 1) as f64
    }
}

// ---------------------------------------------------------------------------------------------
// shape, rowNames, colNames

/// `shape(X)`: rows:columns as an INT pair (a vector is n:1, a scalar 1:1).
fn shape(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (r, c) = match &args[0] {
        Value::Matrix(m) => (m.rows, m.cols),
        Value::Table(t) => (t.rows(), t.cols()),
        Value::Vector(v) | Value::Pair(v) => (v.len(), 1),
        Value::Scalar(_) => (1, 1),
        Value::Dict(d) => (d.len(), 1),
        Value::Set(s) => (s.len(), 1),
        Value::Object(_) => (1, 1),
    };
    Ok(Value::pair(Vector::from_i32(
        DataType::Int,
        vec![r as i32, c as i32],
    )))
}

fn row_names(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Matrix(m) => Ok(m.row_labels.clone().map_or_else(Value::void, Value::vector)),
        _ => bail!("The argument of function [rowNames] must be a matrix"),
    }
}

fn col_names(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Matrix(m) => Ok(m.col_labels.clone().map_or_else(Value::void, Value::vector)),
        Value::Table(t) => Ok(Value::vector(Vector::from_strings(t.names.clone()))),
        _ => bail!("The argument of function [colNames] must be a matrix"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::kernels::test_env::*;
    use super::*;

    fn mat(rows: usize, cols: usize, v: &[i32]) -> Value {
        matrix_value(Vector::from_i32(DataType::Int, v.to_vec()), rows, cols)
    }

    fn shape_of(v: &Value) -> (usize, usize) {
        match v {
            Value::Matrix(m) => (m.rows, m.cols),
            _ => panic!("not a matrix: {v:?}"),
        }
    }

    #[test]
    fn transpose_matrix_keeps_type() {
        // DolphinDB docs: transpose(1..6$3:2) is the 2x3 matrix [1 2 3; 4 5 6].
        let t = run("transpose", &[mat(3, 2, &[1, 2, 3, 4, 5, 6])]);
        assert_eq!(shape_of(&t), (2, 3));
        assert_eq!(as_i32(&t), vec![1, 4, 2, 5, 3, 6]);
        let f = run("flip", &[t]);
        assert_eq!(as_i32(&f), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn transpose_tuple_and_table() {
        let tup = Value::tuple(vec![ints(&[1, 2, 3]), ints(&[4, 5, 6])]);
        let Value::Vector(t) = run("transpose", &[tup]) else {
            panic!()
        };
        assert_eq!(t.len(), 3);
        assert_eq!(as_i32(&t.get(1)), vec![2, 5]);
        let tb = Value::table(Table::new(
            vec!["a".into()],
            vec![Vector::from_i32(DataType::Int, vec![1, 2])],
        ));
        let Value::Dict(d) = run("transpose", &[tb]) else {
            panic!()
        };
        assert!(d.ordered);
        let back = run("transpose", &[Value::Dict(d)]);
        assert!(matches!(back, Value::Table(t) if t.rows() == 2));
    }

    #[test]
    fn dot_follows_the_docs() {
        let x = mat(2, 3, &[1, 2, 3, 4, 5, 6]);
        let y = mat(3, 2, &[6, 5, 4, 3, 2, 1]);
        assert_eq!(
            as_f64(&run("dot", &[x.clone(), y.clone()])),
            vec![41., 56., 14., 20.]
        );
        let yx = run("dot", &[y, x.clone()]);
        assert_eq!(shape_of(&yx), (3, 3));
        assert_eq!(as_f64(&yx)[..3], [12., 9., 6.]);
        // Matrix times vector: the vector is a column.
        let xv = run("dot", &[x.clone(), ints(&[1, 2, 3])]);
        assert_eq!((shape_of(&xv), as_f64(&xv)), ((2, 1), vec![22., 28.]));
        // Vector times matrix: the vector is a row.
        let vx = run("dot", &[ints(&[1, 2]), x.clone()]);
        assert_eq!((shape_of(&vx), as_f64(&vx)), ((1, 3), vec![5., 11., 17.]));
        assert_eq!(
            run("dot", &[ints(&[1, 2, 3]), ints(&[4, 5, 6])]).as_f64(),
            Some(32.0)
        );
        assert_eq!(
            as_f64(&run("dot", &[ints(&[1, 2, 3]), Value::int(2)])),
            vec![2., 4., 6.]
        );
        assert_eq!(
            run_err("dot", &[x, Value::int(2)]),
            "Use * rather than ** for scalar and matrix multiplication."
        );
    }

    #[test]
    fn inverse_det_solve() {
        let x = mat(2, 2, &[1, 2, 3, 4]);
        assert_close(
            &as_f64(&run("inverse", &[x.clone()])),
            &[-2., 1., 1.5, -0.5],
        );
        assert_eq!(run("det", &[x]).as_f64(), Some(-2.0));
        // Nulls count as 0 in det (DolphinDB tutorial: 42).
        let m = mat(3, 3, &[1, 2, 3, 6, 5, 4, 8, 7, NI]);
        assert_close(&[run("det", &[m]).as_f64().unwrap()], &[42.0]);
        assert!(run_err("inverse", &[mat(2, 2, &[1, 2, 2, 4])]).contains("singular"));
        let a = mat(3, 3, &[1, 0, 2, 1, 2, 5, 1, 5, -1]);
        let x = run("solve", &[a, ints(&[6, -4, 27])]);
        assert_close(&as_f64(&x), &[5., 3., -2.]);
    }

    #[test]
    fn factorizations_return_tuples() {
        let m = mat(4, 4, &[2, 5, 7, 5, 5, 2, 5, 4, 8, 2, 6, 4, 7, 8, 6, 8]);
        let Value::Vector(t) = run("lu", &[m.clone()]) else {
            panic!()
        };
        assert_eq!(t.len(), 3);
        let Value::Vector(t) = run("lu", &[m.clone(), Value::bool(true)]) else {
            panic!()
        };
        assert_eq!(t.len(), 2);
        let Value::Vector(t) = run("qr", &[m.clone(), Value::string("economic")]) else {
            panic!()
        };
        assert_eq!(t.len(), 2);
        assert_eq!(shape_of(&run("qr", &[m, Value::string("r")])), (4, 4));
        let c = mat(3, 3, &[1, 0, 1, 0, 2, 0, 1, 0, 3]);
        let l = run("cholesky", &[c.clone()]);
        assert_close(&as_f64(&l)[..3], &[1., 0., 1.]);
        let u = run("cholesky", &[c, Value::bool(false)]);
        assert_close(&as_f64(&u)[..3], &[1., 0., 0.]);
    }

    #[test]
    fn diag_eye_triangles_repmat() {
        let d = run("diag", &[ints(&[1, 2, 3])]);
        assert_eq!(as_i32(&d), vec![1, 0, 0, 0, 2, 0, 0, 0, 3]);
        assert_eq!(as_i32(&run("diag", &[d])), vec![1, 2, 3]);
        assert_eq!(as_f64(&run("eye", &[Value::int(2)])), vec![1., 0., 0., 1.]);
        let m = mat(3, 3, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(
            as_i32(&run("triu", &[m.clone()])),
            vec![1, 0, 0, 4, 5, 0, 7, 8, 9]
        );
        assert_eq!(
            as_i32(&run("triu", &[m.clone(), Value::int(1)])),
            vec![0, 0, 0, 4, 0, 0, 7, 8, 0]
        );
        assert_eq!(
            as_i32(&run("triu", &[m.clone(), Value::int(-1)])),
            vec![1, 2, 0, 4, 5, 6, 7, 8, 9]
        );
        assert_eq!(as_i32(&run("tril", &[m])), vec![1, 2, 3, 0, 5, 6, 0, 0, 9]);
        let r = run(
            "repmat",
            &[mat(3, 2, &[1, 2, 3, 4, 5, 6]), Value::int(2), Value::int(3)],
        );
        assert_eq!(shape_of(&r), (6, 6));
        assert_eq!(as_i32(&r)[..12], [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    }

    #[test]
    fn corr_covar_and_shape() {
        let m = mat(3, 2, &[1, 2, 3, 2, 4, 7]);
        let c = as_f64(&run("covarMatrix", &[m.clone()]));
        assert_close(&c, &[1.0, 2.5, 2.5, 6.333333333333333]);
        let r = as_f64(&run("corrMatrix", &[m.clone()]));
        assert_close(&[r[0], r[3]], &[1.0, 1.0]);
        let s = run("shape", &[m]);
        assert!(matches!(&s, Value::Pair(_)));
        assert_eq!(as_i32(&s), vec![3, 2]);
        assert_eq!(as_i32(&run("shape", &[ints(&[1, 2, 3])])), vec![3, 1]);
    }
}
