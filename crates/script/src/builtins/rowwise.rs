//! Built-ins: row-based functions (`rowSum`, `rowAvg`, `rowMax`, `rowRank`, `rowWavg`,
//! `rowCumsum`, ...). Where the column functions reduce each column, these work across the
//! columns of each row.
//!
//! The arguments of a unary row function are one matrix or array vector, or any mix of
//! scalars (broadcast), vectors, tuples of vectors and tables, whose columns line up row by
//! row. They are normalized once into `Rows<T>` of one element type (`f64` with NaN as null,
//! or `i64` with `i64::MIN` as null when the result stays integral), and each function is a
//! fold over it: for columns the loop runs column by column over contiguous slices, for an
//! array vector row by row.

use std::borrow::Cow;
use std::sync::Arc;

use value::{null, ArrayData, Data, DataType, Value, Vector};

use super::data_util::{int_arg, str_arg};
use super::kernels::num::{dispatch_num, f64_out, Num};
use super::kernels::promote::{common_numeric, num_rank, to_f64_nan};
use super::kernels::window;
use super::stats::params::bind;
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

/// Most arguments a variadic row function takes.
const ROW_ARGS_MAX: usize = 1024;

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("rowSum", 1, ROW_ARGS_MAX, Kind::Scalar, row_sum),
        builtin("rowSum2", 1, ROW_ARGS_MAX, Kind::Scalar, row_sum2),
        builtin("rowAvg", 1, ROW_ARGS_MAX, Kind::Scalar, row_avg),
        builtin("rowCount", 1, ROW_ARGS_MAX, Kind::Scalar, row_count),
        builtin("rowSize", 1, ROW_ARGS_MAX, Kind::Scalar, row_size),
        builtin("rowMax", 1, ROW_ARGS_MAX, Kind::Scalar, row_max),
        builtin("rowMin", 1, ROW_ARGS_MAX, Kind::Scalar, row_min),
        builtin("rowProd", 1, ROW_ARGS_MAX, Kind::Scalar, row_prod),
        builtin("rowStd", 1, ROW_ARGS_MAX, Kind::Scalar, row_std),
        builtin("rowStdp", 1, ROW_ARGS_MAX, Kind::Scalar, row_stdp),
        builtin("rowVar", 1, ROW_ARGS_MAX, Kind::Scalar, row_var),
        builtin("rowVarp", 1, ROW_ARGS_MAX, Kind::Scalar, row_varp),
        builtin("rowAnd", 1, ROW_ARGS_MAX, Kind::Scalar, row_and),
        builtin("rowOr", 1, ROW_ARGS_MAX, Kind::Scalar, row_or),
        builtin("rowXor", 1, ROW_ARGS_MAX, Kind::Scalar, row_xor),
        builtin("rowSkew", 1, 2, Kind::Scalar, row_skew),
        builtin("rowKurtosis", 1, 2, Kind::Scalar, row_kurtosis),
        builtin("rowImax", 1, ROW_ARGS_MAX, Kind::Scalar, row_imax),
        builtin("rowImin", 1, ROW_ARGS_MAX, Kind::Scalar, row_imin),
        builtin("rowRank", 1, 6, Kind::Other, ordered::row_rank),
        builtin("rowDenseRank", 1, 4, Kind::Other, ordered::row_dense_rank),
        builtin("rowWsum", 2, 2, Kind::Scalar, row_wsum),
        builtin("rowWavg", 2, 2, Kind::Scalar, row_wavg),
        builtin("rowDot", 2, 2, Kind::Scalar, row_dot),
        builtin("rowCorr", 2, 2, Kind::Scalar, row_corr),
        builtin("rowCovar", 2, 2, Kind::Scalar, row_covar),
        builtin("rowBeta", 2, 2, Kind::Scalar, row_beta),
        builtin("rowEuclidean", 2, 2, Kind::Scalar, row_euclidean),
        builtin("rowTanimoto", 2, 2, Kind::Scalar, row_tanimoto),
        builtin("rowCumsum", 1, 1, Kind::Other, ordered::row_cumsum),
        builtin("rowCumprod", 1, 1, Kind::Other, ordered::row_cumprod),
        builtin("rowCummax", 1, 1, Kind::Other, ordered::row_cummax),
        builtin("rowCummin", 1, 1, Kind::Other, ordered::row_cummin),
        builtin("rowAt", 2, 2, Kind::Other, ordered::row_at),
        builtin("rowMove", 2, 2, Kind::Other, ordered::row_move),
        builtin("rowPrev", 1, 1, Kind::Other, ordered::row_prev),
        builtin("rowNext", 1, 1, Kind::Other, ordered::row_next),
    ]
}

// ---------------------------------------------------------------------------------------------
// Normalizing the arguments.

/// The raw arguments of a row function: aligned columns or one array vector.
enum Input<'a> {
    /// Columns of equal length `n`; a one-element column is a broadcast scalar.
    Columns {
        cols: Vec<Cow<'a, Vector>>,
        n: usize,
        all_scalar: bool,
    },
    Ragged(&'a Vector, &'a ArrayData),
}

fn input<'a>(func: &str, args: &'a [Value]) -> Result<Input<'a>> {
    if let [Value::Vector(v)] = args {
        if let Data::Array(a) = &v.data {
            return Ok(Input::Ragged(v, a));
        }
    }
    let mut cols: Vec<Cow<'a, Vector>> = Vec::new();
    let mut scalar = Vec::new();
    for a in args {
        match a {
            Value::Scalar(s) => {
                cols.push(Cow::Borrowed(s));
                scalar.push(true);
            }
            Value::Vector(v) | Value::Pair(v) => match &v.data {
                Data::Any(items) => {
                    for it in items {
                        match it {
                            Value::Vector(c) | Value::Pair(c) if !c.is_array() => {
                                cols.push(Cow::Borrowed(&**c));
                                scalar.push(false);
                            }
                            Value::Scalar(c) => {
                                cols.push(Cow::Borrowed(c));
                                scalar.push(true);
                            }
                            _ => bail!("The arguments of function [{}] must be scalars, vectors, tuples, matrices or tables", func),
                        }
                    }
                }
                Data::Array(_) => {
                    bail!("An array vector must be the only argument of function [{}]", func)
                }
                _ => {
                    cols.push(Cow::Borrowed(&**v));
                    scalar.push(false);
                }
            },
            Value::Matrix(m) => {
                if args.len() != 1 {
                    bail!("The function [{}] doesn't support a matrix mixed with other arguments", func);
                }
                return Ok(Input::Columns {
                    cols: (0..m.cols).map(|j| Cow::Owned(m.column(j))).collect(),
                    n: m.rows,
                    all_scalar: false,
                });
            }
            Value::Table(t) => {
                for c in &t.columns {
                    cols.push(Cow::Borrowed(&**c));
                    scalar.push(false);
                }
            }
            _ => bail!(
                "The arguments of function [{}] must be scalars, vectors, tuples, matrices or tables",
                func
            ),
        }
    }
    let n = cols
        .iter()
        .zip(&scalar)
        .filter(|(_, s)| !**s)
        .map(|(c, _)| c.len())
        .max();
    let all_scalar = n.is_none();
    let n = n.unwrap_or(1);
    for (c, s) in cols.iter().zip(&scalar) {
        if !*s && c.len() != n {
            bail!(
                "The arguments of function [{}] must have the same number of rows: {} vs {}.",
                func,
                c.len(),
                n
            );
        }
    }
    Ok(Input::Columns {
        cols,
        n,
        all_scalar,
    })
}

/// Rows of one element type: aligned column slices or a ragged array.
struct Rows<T> {
    n: usize,
    /// True when every argument was a scalar: the result is a scalar.
    scalar: bool,
    shape: Shape<T>,
}

enum Shape<T> {
    /// Columns of length n, or of length 1 (broadcast).
    Cols(Vec<Vec<T>>),
    /// Row i is `values[offsets[i]..offsets[i+1]]`.
    Ragged(Vec<u32>, Vec<T>),
}

/// An element of a row kernel: f64 (NaN is null) or i64 (`i64::MIN` is null).
trait Elem: Copy + PartialOrd + Default {
    fn absent(self) -> bool;
}

impl Elem for f64 {
    #[inline(always)]
    fn absent(self) -> bool {
        self.is_nan()
    }
}

impl Elem for i64 {
    #[inline(always)]
    fn absent(self) -> bool {
        self == null::I64
    }
}

impl<T: Elem> Rows<T> {
    /// Folds every row from `init` with `step`, skipping nothing (steps see nulls).
    fn fold<A: Clone>(&self, init: A, mut step: impl FnMut(&mut A, T)) -> Vec<A> {
        match &self.shape {
            Shape::Cols(cols) => {
                let mut acc = vec![init; self.n];
                for c in cols {
                    if c.len() == self.n {
                        for (a, &x) in acc.iter_mut().zip(c) {
                            step(a, x);
                        }
                    } else if let Some(&x) = c.first() {
                        for a in acc.iter_mut() {
                            step(a, x);
                        }
                    }
                }
                acc
            }
            Shape::Ragged(off, vals) => (0..self.n)
                .map(|i| {
                    let mut a = init.clone();
                    for &x in &vals[off[i] as usize..off[i + 1] as usize] {
                        step(&mut a, x);
                    }
                    a
                })
                .collect(),
        }
    }

    /// Calls `f` with each row's elements, gathered into a scratch buffer for columns.
    fn each_row(&self, mut f: impl FnMut(usize, &[T])) {
        match &self.shape {
            Shape::Cols(cols) => {
                let mut row = Vec::with_capacity(cols.len());
                for i in 0..self.n {
                    row.clear();
                    row.extend(
                        cols.iter()
                            .map(|c| if c.len() == self.n { c[i] } else { c[0] }),
                    );
                    f(i, &row);
                }
            }
            Shape::Ragged(off, vals) => {
                for i in 0..self.n {
                    f(i, &vals[off[i] as usize..off[i + 1] as usize]);
                }
            }
        }
    }
}

/// How a function wants its elements.
#[derive(Copy, Clone, PartialEq)]
enum Want {
    /// Always f64.
    Float,
    /// i64 when every column is integral (or all of one temporal type), else f64.
    Exact,
}

/// The common element type of the arguments and whether it is exact-integral.
fn element_type(
    func: &str,
    cols: &[Cow<'_, Vector>],
    temporal_ok: bool,
) -> Result<(DataType, bool)> {
    let mut ty: Option<DataType> = None;
    let mut temporal: Option<DataType> = None;
    for c in cols {
        if c.ty == DataType::Void {
            continue;
        }
        if c.ty.is_temporal() && temporal_ok {
            match temporal {
                Some(t) if t != c.ty => bail!(
                    "The arguments of function [{}] must have the same temporal type",
                    func
                ),
                _ => temporal = Some(c.ty),
            }
            continue;
        }
        let Some(t) = common_numeric(ty.unwrap_or(c.ty), c.ty) else {
            bail!("The arguments of function [{}] must be numeric", func);
        };
        ty = Some(t);
    }
    match (ty, temporal) {
        (Some(_), Some(_)) => bail!(
            "The arguments of function [{}] mix temporal and numeric values",
            func
        ),
        (None, Some(t)) => Ok((t, true)),
        (Some(t), None) => Ok((t, num_rank(t).is_some_and(|r| r <= 4))),
        (None, None) => Ok((DataType::Double, false)),
    }
}

fn to_i64(v: &Vector) -> Result<Vec<i64>> {
    if let Data::Void(n) = v.data {
        return Ok(vec![null::I64; n]);
    }
    Ok(
        dispatch_num!(&v.data, T, s => s.iter().map(|&x| if x.is_null() { null::I64 } else { x.to_i64() }).collect(),
        _ => bail!("The argument must be integral, not {}", v.ty.name())),
    )
}

/// Normalized rows plus their common type; `exact` tells whether `Rows<i64>` was built.
enum Norm {
    F(Rows<f64>, DataType),
    I(Rows<i64>, DataType),
}

fn normalize(func: &str, args: &[Value], want: Want, temporal_ok: bool) -> Result<Norm> {
    let inp = input(func, args)?;
    match inp {
        Input::Columns {
            cols,
            n,
            all_scalar,
        } => {
            let (ty, exact) = element_type(func, &cols, temporal_ok)?;
            if exact && want == Want::Exact {
                let cs = cols.iter().map(|c| to_i64(c)).collect::<Result<_>>()?;
                return Ok(Norm::I(
                    Rows {
                        n,
                        scalar: all_scalar,
                        shape: Shape::Cols(cs),
                    },
                    ty,
                ));
            }
            let cs = cols.iter().map(|c| to_f64_nan(c)).collect::<Result<_>>()?;
            Ok(Norm::F(
                Rows {
                    n,
                    scalar: all_scalar,
                    shape: Shape::Cols(cs),
                },
                ty,
            ))
        }
        Input::Ragged(v, a) => {
            let (ty, exact) = element_type(func, &[Cow::Borrowed(v)], temporal_ok)?;
            let off = a.offsets.clone();
            let n = a.rows();
            if exact && want == Want::Exact {
                let rows = Rows {
                    n,
                    scalar: false,
                    shape: Shape::Ragged(off, to_i64(&a.values)?),
                };
                return Ok(Norm::I(rows, ty));
            }
            let rows = Rows {
                n,
                scalar: false,
                shape: Shape::Ragged(off, to_f64_nan(&a.values)?),
            };
            Ok(Norm::F(rows, ty))
        }
    }
}

fn float_rows(func: &str, args: &[Value]) -> Result<Rows<f64>> {
    match normalize(func, args, Want::Float, false)? {
        Norm::F(r, _) => Ok(r),
        Norm::I(..) => unreachable_norm(),
    }
}

fn unreachable_norm<T>() -> Result<T> {
    bail!("internal error: row normalization")
}

// ---------------------------------------------------------------------------------------------
// Building results.

fn shaped(scalar: bool, v: Vector) -> Value {
    if scalar && v.len() == 1 {
        Value::Scalar(v)
    } else {
        Value::vector(v)
    }
}

fn double_result(scalar: bool, xs: Vec<f64>) -> Value {
    shaped(
        scalar,
        Vector::from_f64(xs.into_iter().map(f64_out).collect()),
    )
}

/// i64 results (null = `i64::MIN`) in the numeric or temporal type `ty`.
fn exact_values(scalar: bool, xs: Vec<i64>, ty: DataType) -> Value {
    let data = match ty.storage() {
        value::Storage::I8 => Data::I8(narrow::<i8>(&xs)),
        value::Storage::I16 => Data::I16(narrow::<i16>(&xs)),
        value::Storage::I32 => Data::I32(narrow::<i32>(&xs)),
        _ => Data::I64(xs),
    };
    shaped(scalar, Vector::new(ty, data))
}

fn narrow<T: Num>(xs: &[i64]) -> Vec<T> {
    xs.iter()
        .map(|&x| {
            if x == null::I64 {
                T::NULL
            } else {
                T::from_i64(x)
            }
        })
        .collect()
}

fn int_result(scalar: bool, xs: Vec<i32>) -> Value {
    shaped(scalar, Vector::from_i32(DataType::Int, xs))
}

// ---------------------------------------------------------------------------------------------
// Unary reductions.

/// rowSum: integral arguments sum exactly (INT, or LONG when a LONG is involved); floats as
/// DOUBLE. Nulls are skipped; an all-null row is null.
fn row_sum(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match normalize("rowSum", args, Want::Exact, false)? {
        Norm::I(r, ty) => {
            let acc = r.fold((0i64, false), |a, x| {
                if x != null::I64 {
                    a.0 = a.0.wrapping_add(x);
                    a.1 = true;
                }
            });
            let out = acc
                .into_iter()
                .map(|(s, any)| if any { s } else { null::I64 })
                .collect();
            Ok(exact_values(r.scalar, out, sum_type(ty)))
        }
        Norm::F(r, _) => {
            let acc = r.fold((0.0, false), |a, x| {
                if !x.is_nan() {
                    a.0 += x;
                    a.1 = true;
                }
            });
            Ok(double_result(
                r.scalar,
                acc.into_iter()
                    .map(|(s, any)| if any { s } else { f64::NAN })
                    .collect(),
            ))
        }
    }
}

/// The type an integral sum is reported in: LONG stays LONG, narrower types give INT.
fn sum_type(ty: DataType) -> DataType {
    if ty == DataType::Long {
        DataType::Long
    } else {
        DataType::Int
    }
}

fn row_prod(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match normalize("rowProd", args, Want::Exact, false)? {
        Norm::I(r, _) => {
            let acc = r.fold((1i64, false), |a, x| {
                if x != null::I64 {
                    a.0 = a.0.wrapping_mul(x);
                    a.1 = true;
                }
            });
            let out = acc
                .into_iter()
                .map(|(s, any)| if any { s } else { null::I64 })
                .collect();
            Ok(exact_values(r.scalar, out, DataType::Long))
        }
        Norm::F(r, _) => {
            let acc = r.fold((1.0, false), |a, x| {
                if !x.is_nan() {
                    a.0 *= x;
                    a.1 = true;
                }
            });
            Ok(double_result(
                r.scalar,
                acc.into_iter()
                    .map(|(s, any)| if any { s } else { f64::NAN })
                    .collect(),
            ))
        }
    }
}

fn row_max(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    extreme("rowMax", args, true)
}

fn row_min(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    extreme("rowMin", args, false)
}

/// rowMax/rowMin: the extreme non-null value, in the arguments' common type.
fn extreme(func: &str, args: &[Value], max: bool) -> Result<Value> {
    fn pick<T: Elem>(r: &Rows<T>, null: T, max: bool) -> Vec<T> {
        r.fold(null, |a, x| {
            if !x.absent() && (a.absent() || if max { x > *a } else { x < *a }) {
                *a = x;
            }
        })
    }
    match normalize(func, args, Want::Exact, true)? {
        Norm::I(r, ty) => Ok(exact_values(r.scalar, pick(&r, null::I64, max), ty)),
        Norm::F(r, ty) => {
            let acc = pick(&r, f64::NAN, max);
            if ty == DataType::Float {
                let v = Vector::from_f32(acc.into_iter().map(<f32 as Num>::from_f64).collect());
                return Ok(shaped(r.scalar, v));
            }
            Ok(double_result(r.scalar, acc))
        }
    }
}

fn row_avg(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let r = float_rows("rowAvg", args)?;
    let m = moments(&r);
    Ok(double_result(
        r.scalar,
        m.iter()
            .map(|m| if m.n == 0 { f64::NAN } else { m.mean })
            .collect(),
    ))
}

fn row_sum2(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let r = float_rows("rowSum2", args)?;
    let acc = r.fold((0.0, false), |a, x| {
        if !x.is_nan() {
            a.0 += x * x;
            a.1 = true;
        }
    });
    Ok(double_result(
        r.scalar,
        acc.into_iter()
            .map(|(s, any)| if any { s } else { f64::NAN })
            .collect(),
    ))
}

fn row_std(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    spread("rowStd", args, true, true)
}
fn row_stdp(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    spread("rowStdp", args, false, true)
}
fn row_var(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    spread("rowVar", args, true, false)
}
fn row_varp(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    spread("rowVarp", args, false, false)
}

/// Running count, mean and sum of squared deviations (Welford), per row.
#[derive(Clone, Copy, Default)]
struct Moments {
    n: usize,
    mean: f64,
    m2: f64,
}

fn moments(r: &Rows<f64>) -> Vec<Moments> {
    r.fold(Moments::default(), |m, x| {
        if !x.is_nan() {
            m.n += 1;
            let d = x - m.mean;
            m.mean += d / m.n as f64;
            m.m2 += d * (x - m.mean);
        }
    })
}

fn spread(func: &str, args: &[Value], sample: bool, root: bool) -> Result<Value> {
    let r = float_rows(func, args)?;
    let out = moments(&r)
        .into_iter()
        .map(|m| {
            let dof = if sample { m.n.saturating_sub(1) } else { m.n };
            if dof == 0 {
                return f64::NAN;
            }
            let v = (m.m2 / dof as f64).max(0.0);
            if root {
                v.sqrt()
            } else {
                v
            }
        })
        .collect();
    Ok(double_result(r.scalar, out))
}

fn row_skew(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    shape_moment(env, "rowSkew", args, |m, biased| m.skew(biased))
}

fn row_kurtosis(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    shape_moment(env, "rowKurtosis", args, |m, biased| m.kurtosis(biased))
}

/// `rowSkew(X, [biased=true])` / `rowKurtosis(X, [biased=true])` over a matrix, table, tuple
/// or array vector, with the moment definitions of `skew`/`kurtosis`.
fn shape_moment(
    env: &mut dyn Env,
    func: &str,
    args: &[Value],
    stat: fn(&window::Moments, bool) -> Option<f64>,
) -> Result<Value> {
    let p = bind(env, func, args, &["X", "biased"])?;
    let biased = p.flag(1, true)?;
    let r = float_rows(func, std::slice::from_ref(p.req(0)?))?;
    let acc = r.fold(window::Moments::default(), |m, x| {
        if !x.is_nan() {
            m.add(x);
        }
    });
    let out = acc
        .iter()
        .map(|m| stat(m, biased).unwrap_or(f64::NAN))
        .collect();
    Ok(double_result(r.scalar, out))
}

fn row_count(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    count("rowCount", args, false)
}

fn row_size(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    count("rowSize", args, true)
}

/// rowCount counts non-null elements, rowSize all elements; both of any type.
fn count(func: &str, args: &[Value], with_nulls: bool) -> Result<Value> {
    let inp = input(func, args)?;
    match inp {
        Input::Columns {
            cols,
            n,
            all_scalar,
        } => {
            let mut acc = vec![0i32; n];
            for c in &cols {
                let broadcast = c.len() != n;
                for (i, a) in acc.iter_mut().enumerate() {
                    let k = if broadcast { 0 } else { i };
                    if with_nulls || !c.is_null(k) {
                        *a += 1;
                    }
                }
            }
            Ok(int_result(all_scalar, acc))
        }
        Input::Ragged(_, a) => {
            let out = (0..a.rows())
                .map(|i| {
                    let r = a.row_range(i);
                    if with_nulls {
                        r.len() as i32
                    } else {
                        r.filter(|&k| !a.values.is_null(k)).count() as i32
                    }
                })
                .collect();
            Ok(int_result(false, out))
        }
    }
}

fn row_and(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    logic("rowAnd", args, true, |a, b| a && b)
}
fn row_or(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    logic("rowOr", args, false, |a, b| a || b)
}
fn row_xor(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    logic("rowXor", args, false, |a, b| a ^ b)
}

/// rowAnd/rowOr/rowXor: BOOL of the non-null elements (a row of only nulls is null).
fn logic(func: &str, args: &[Value], init: bool, op: fn(bool, bool) -> bool) -> Result<Value> {
    let r = float_rows(func, args)?;
    let acc = r.fold((init, false), |a, x| {
        if !x.is_nan() {
            a.0 = op(a.0, x != 0.0);
            a.1 = true;
        }
    });
    let out = acc
        .into_iter()
        .map(|(b, any)| if any { b as i8 } else { null::I8 })
        .collect();
    Ok(shaped(r.scalar, Vector::from_i8(DataType::Bool, out)))
}

fn row_imax(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    index_of("rowImax", args, true)
}
fn row_imin(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    index_of("rowImin", args, false)
}

/// The position of the first maximum (minimum) of each row; null for an all-null row.
fn index_of(func: &str, args: &[Value], max: bool) -> Result<Value> {
    fn run<T: Elem>(r: &Rows<T>, max: bool) -> Vec<i32> {
        let acc = r.fold((T::default(), null::I32, 0i32), |a, x| {
            if !x.absent() {
                let take = a.1 == null::I32 || if max { x > a.0 } else { x < a.0 };
                if take {
                    a.0 = x;
                    a.1 = a.2;
                }
            }
            a.2 += 1;
        });
        acc.into_iter().map(|a| a.1).collect()
    }
    match normalize(func, args, Want::Exact, true)? {
        Norm::I(r, _) => Ok(int_result(r.scalar, run(&r, max))),
        Norm::F(r, _) => Ok(int_result(r.scalar, run(&r, max))),
    }
}

// ---------------------------------------------------------------------------------------------
// Binary row functions.

/// X and Y as rows of equal shape (matrices, vectors, array vectors, or tuples of vectors).
fn pair_rows(func: &str, args: &[Value]) -> Result<(Rows<f64>, Rows<f64>)> {
    let x = float_rows(func, std::slice::from_ref(&args[0]))?;
    let y = float_rows(func, std::slice::from_ref(&args[1]))?;
    let same_shape = x.n == y.n
        && match (&x.shape, &y.shape) {
            (Shape::Cols(a), Shape::Cols(b)) => a.len() == b.len(),
            (Shape::Ragged(a, _), Shape::Ragged(b, _)) => a == b,
            _ => false,
        };
    if !same_shape {
        bail!(
            "The arguments X and Y of function [{}] must have the same shape",
            func
        );
    }
    Ok((x, y))
}

/// Folds (x, y) pairs of each row where both are non-null.
fn fold_pairs<A: Clone>(
    x: &Rows<f64>,
    y: &Rows<f64>,
    init: A,
    mut step: impl FnMut(&mut A, f64, f64),
) -> Vec<A> {
    let mut acc = vec![init; x.n];
    match (&x.shape, &y.shape) {
        (Shape::Cols(a), Shape::Cols(b)) => {
            for (ca, cb) in a.iter().zip(b) {
                for (i, acc_i) in acc.iter_mut().enumerate() {
                    let xa = if ca.len() == x.n { ca[i] } else { ca[0] };
                    let yb = if cb.len() == y.n { cb[i] } else { cb[0] };
                    if !xa.is_nan() && !yb.is_nan() {
                        step(acc_i, xa, yb);
                    }
                }
            }
        }
        (Shape::Ragged(off, va), Shape::Ragged(_, vb)) => {
            for (i, acc_i) in acc.iter_mut().enumerate() {
                for k in off[i] as usize..off[i + 1] as usize {
                    if !va[k].is_nan() && !vb[k].is_nan() {
                        step(acc_i, va[k], vb[k]);
                    }
                }
            }
        }
        _ => {}
    }
    acc
}

/// Sums over the valid pairs of a row: n, Σx, Σy, Σxy, Σx², Σy².
#[derive(Clone, Copy, Default)]
struct Sums {
    n: f64,
    x: f64,
    y: f64,
    xy: f64,
    xx: f64,
    yy: f64,
}

fn pair_sums(func: &str, args: &[Value]) -> Result<(bool, Vec<Sums>)> {
    let (x, y) = pair_rows(func, args)?;
    let s = fold_pairs(&x, &y, Sums::default(), |s, a, b| {
        s.n += 1.0;
        s.x += a;
        s.y += b;
        s.xy += a * b;
        s.xx += a * a;
        s.yy += b * b;
    });
    Ok((x.scalar && y.scalar, s))
}

fn pair_stat(func: &str, args: &[Value], f: fn(&Sums) -> f64) -> Result<Value> {
    let (scalar, sums) = pair_sums(func, args)?;
    Ok(double_result(
        scalar,
        sums.iter()
            .map(|s| if s.n == 0.0 { f64::NAN } else { f(s) })
            .collect(),
    ))
}

fn row_wsum(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_stat("rowWsum", args, |s| s.xy)
}
fn row_wavg(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_stat("rowWavg", args, |s| s.xy / s.y)
}
fn row_dot(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_stat("rowDot", args, |s| s.xy)
}
fn row_corr(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_stat("rowCorr", args, |s| {
        let cov = s.xy - s.x * s.y / s.n;
        let vx = s.xx - s.x * s.x / s.n;
        let vy = s.yy - s.y * s.y / s.n;
        cov / (vx * vy).sqrt()
    })
}
fn row_covar(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_stat("rowCovar", args, |s| (s.xy - s.x * s.y / s.n) / (s.n - 1.0))
}
/// rowBeta(Y, X): the slope of regressing Y on X, cov(X, Y) / var(X).
fn row_beta(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_stat("rowBeta", args, |s| {
        let cov = s.xy - s.x * s.y / s.n;
        let var_x = s.yy - s.y * s.y / s.n;
        cov / var_x
    })
}
fn row_euclidean(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_stat("rowEuclidean", args, |s| {
        (s.xx - 2.0 * s.xy + s.yy).max(0.0).sqrt()
    })
}
fn row_tanimoto(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_stat("rowTanimoto", args, |s| s.xy / (s.xx + s.yy - s.xy))
}

mod ordered;

#[cfg(test)]
mod tests;
