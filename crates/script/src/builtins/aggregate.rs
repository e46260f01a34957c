//! Built-ins: aggregates (`sum`, `avg`, `count`, `min`, `max`, `std`, `med`, `percentile`,
//! `wavg`, `corr`, ...).
//!
//! An aggregate reduces a vector to a scalar, a matrix to one value per column, and a table
//! to a one-row table. Nulls are skipped; an aggregate over no non-null value is null (of the
//! result type), except `count`, which is 0. Integral sums and products are LONG, float ones
//! DOUBLE; averages, deviations, medians and percentiles are DOUBLE; `min`, `max`, `first`,
//! `last` and `mode` keep the input type.

use std::collections::HashMap;

use value::{null, Data, DataType, Value, Vector};

use super::kernels::form::{align, rebuild, reduce_columns, unsupported_form};
use super::kernels::num::{dispatch_num, Num};
use super::kernels::promote::{cast_cow, common_numeric, numeric_view};
use super::kernels::stats::{
    correlation, count_valid, covariance, distinct_count, kurt, median, numeric, ols_beta,
    parse_interp, percentile_sorted, skewness, valid_f64, valid_pairs, valid_position, variance,
};
use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    let a = Kind::Aggregate;
    vec![
        builtin("sum", 1, 1, a, sum),
        builtin("sum2", 1, 1, a, sum2),
        builtin("sum3", 1, 1, a, sum3),
        builtin("sum4", 1, 1, a, sum4),
        builtin("avg", 1, 1, a, avg),
        builtin("mean", 1, 1, a, avg),
        builtin("count", 1, 1, a, count),
        builtin("min", 1, 2, a, min),
        builtin("max", 1, 2, a, max),
        builtin("std", 1, 1, a, std),
        builtin("stdp", 1, 1, a, stdp),
        builtin("var", 1, 1, a, var),
        builtin("varp", 1, 1, a, varp),
        builtin("med", 1, 1, a, med),
        builtin("percentile", 2, 3, a, percentile),
        builtin("quantile", 2, 3, a, quantile),
        builtin("first", 1, 1, a, first),
        builtin("last", 1, 1, a, last),
        builtin("firstNot", 1, 2, a, first_not),
        builtin("lastNot", 1, 2, a, last_not),
        builtin("prod", 1, 1, a, prod),
        builtin("mode", 1, 1, a, mode),
        builtin("skew", 1, 2, a, skew),
        builtin("kurtosis", 1, 2, a, kurtosis),
        builtin("imax", 1, 1, a, imax),
        builtin("imin", 1, 1, a, imin),
        builtin("imaxLast", 1, 1, a, imax_last),
        builtin("iminLast", 1, 1, a, imin_last),
        builtin("nunique", 1, 2, a, nunique),
        builtin("wavg", 2, 2, a, wavg),
        builtin("wsum", 2, 2, a, wsum),
        builtin("corr", 2, 2, a, corr),
        builtin("covar", 2, 2, a, covar),
        builtin("covarp", 2, 2, a, covarp),
        builtin("beta", 2, 2, a, beta),
        builtin("atImax", 2, 2, a, at_imax),
        builtin("atImin", 2, 2, a, at_imin),
        builtin("all", 1, 1, a, all),
        builtin("any", 1, 1, a, any),
    ]
}

// ---------------------------------------------------------------------------------------------
// Local helpers

fn not_numeric(name: &str, v: &Vector) -> Error {
    Error::new(format!(
        "The function [{name}] doesn't support the data type {}.",
        v.ty.name()
    ))
}

fn scalar_f64(x: Option<f64>) -> Vector {
    Vector::from_f64(vec![match x {
        Some(v) if !v.is_nan() => v,
        _ => null::F64,
    }])
}

/// Sum of non-null integers (wrapping, as LONG arithmetic does) and their count.
fn sum_int<T: Num>(s: &[T]) -> (i64, usize) {
    let mut acc = 0i64;
    let mut n = 0usize;
    for &x in s {
        if !x.is_null() {
            acc = acc.wrapping_add(x.to_i64());
            n += 1;
        }
    }
    (acc, n)
}

fn sum_float<T: Num>(s: &[T]) -> (f64, usize) {
    let mut acc = 0f64;
    let mut n = 0usize;
    for &x in s {
        if !x.is_null() {
            acc += x.to_f64();
            n += 1;
        }
    }
    (acc, n)
}

// ---------------------------------------------------------------------------------------------
// sum, avg, count, prod, sum2..4

fn sum_vec(v: &Vector) -> Result<Vector> {
    if v.ty.is_decimal() {
        // DECIMAL sums stay exact, one width up (DECIMAL32 -> DECIMAL64).
        let total = super::kernels::decimal::sum(v)?;
        let ty = super::kernels::decimal::sum_type(v.ty);
        return super::kernels::decimal::pack(ty, v.scale, vec![total.unwrap_or(i128::MIN)]);
    }
    let v = numeric("sum", v)?;
    dispatch_num!(&v.data, T, s => Ok(if T::IS_FLOAT {
        let (acc, n) = sum_float(s);
        scalar_f64((n > 0).then_some(acc))
    } else {
        let (acc, n) = sum_int(s);
        Vector::from_i64(DataType::Long, vec![if n > 0 { acc } else { null::I64 }])
    }), _ => Err(not_numeric("sum", &v)))
}

fn sum(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    reduce_columns("sum", &args[0], sum_vec)
}

fn power_sum(name: &'static str, x: &Value, k: i32) -> Result<Value> {
    reduce_columns(name, x, |v| {
        let x = valid_f64(name, v)?;
        Ok(scalar_f64(
            (!x.is_empty()).then(|| x.iter().map(|e| e.powi(k)).sum()),
        ))
    })
}

fn sum2(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    power_sum("sum2", &args[0], 2)
}
fn sum3(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    power_sum("sum3", &args[0], 3)
}
fn sum4(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    power_sum("sum4", &args[0], 4)
}

fn avg_vec(v: &Vector) -> Result<Vector> {
    let v = numeric("avg", v)?;
    dispatch_num!(&v.data, T, s => Ok(if T::IS_FLOAT {
        let (acc, n) = sum_float(s);
        scalar_f64((n > 0).then(|| acc / n as f64))
    } else {
        let mut acc = 0i128;
        let mut n = 0usize;
        for &x in s {
            if !x.is_null() {
                acc += x.to_i64() as i128;
                n += 1;
            }
        }
        scalar_f64((n > 0).then(|| acc as f64 / n as f64))
    }), _ => Err(not_numeric("avg", &v)))
}

fn avg(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    reduce_columns("avg", &args[0], avg_vec)
}

fn count(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Table(t) => Ok(Value::int(t.rows() as i32)),
        Value::Set(s) => Ok(Value::int(s.len() as i32)),
        Value::Dict(d) => Ok(Value::int(d.len() as i32)),
        x => reduce_columns("count", x, |v| {
            Ok(Vector::from_i32(DataType::Int, vec![count_valid(v) as i32]))
        }),
    }
}

fn prod(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    reduce_columns("prod", &args[0], |v| {
        let v = numeric("prod", v)?;
        dispatch_num!(&v.data, T, s => {
            let mut n = 0usize;
            Ok(if T::IS_FLOAT {
                let mut acc = 1f64;
                for &x in s.iter().filter(|x| !x.is_null()) {
                    acc *= x.to_f64();
                    n += 1;
                }
                scalar_f64((n > 0).then_some(acc))
            } else {
                let mut acc = 1i64;
                for &x in s.iter().filter(|x| !x.is_null()) {
                    acc = acc.wrapping_mul(x.to_i64());
                    n += 1;
                }
                Vector::from_i64(DataType::Long, vec![if n > 0 { acc } else { null::I64 }])
            })
        }, _ => Err(not_numeric("prod", &v)))
    })
}

// ---------------------------------------------------------------------------------------------
// min, max

fn extreme<T: Num>(s: &[T], want_max: bool) -> T {
    let mut best = T::NULL;
    for &x in s {
        if x.is_null() {
            continue;
        }
        if best.is_null() || (want_max && x > best) || (!want_max && x < best) {
            best = x;
        }
    }
    best
}

fn extreme_vec(name: &str, v: &Vector, want_max: bool) -> Result<Vector> {
    let pick_text = |it: &mut dyn Iterator<Item = &str>| -> String {
        let mut best: Option<&str> = None;
        for s in it.filter(|s| !s.is_empty()) {
            best = match best {
                Some(b) if (want_max && s <= b) || (!want_max && s >= b) => Some(b),
                _ => Some(s),
            };
        }
        best.unwrap_or("").to_string()
    };
    let data = dispatch_num!(&v.data, T, s => T::into_data(vec![extreme(s, want_max)]), _ => {
        match &v.data {
            Data::Void(_) => Data::Void(1),
            Data::I128(s) if v.ty == DataType::Decimal128 => {
                let valid = s.iter().copied().filter(|x| *x != null::DECIMAL128);
                let best = if want_max { valid.max() } else { valid.min() };
                Data::I128(vec![best.unwrap_or(null::DECIMAL128)])
            }
            Data::Str(s) => Data::Str(vec![pick_text(&mut s.iter().map(|x| x.as_str()))]),
            Data::Sym(s) => {
                let best = pick_text(&mut s.iter());
                return Ok(Vector::from_symbols(&[best]));
            }
            _ => return Err(not_numeric(name, v)),
        }
    });
    Ok(Vector {
        ty: v.ty,
        scale: v.scale,
        data,
    })
}

/// Element-wise `max(X, Y)` / `min(X, Y)`: a null side is ignored.
fn extreme_pairwise(name: &str, x: &Value, y: &Value, want_max: bool) -> Result<Value> {
    let al = align(name, x, y)?;
    let ty = if al.a.ty == al.b.ty {
        al.a.ty
    } else {
        common_numeric(al.a.ty, al.b.ty).ok_or_else(|| not_numeric(name, &al.b))?
    };
    let a = cast_cow(&al.a, ty)?;
    let b = cast_cow(&al.b, ty)?;
    let n = al.len;
    let data = dispatch_num!(&a.data, T, s => {
        let t = T::slice(&b.data).ok_or_else(|| not_numeric(name, &b))?;
        let out: Vec<T> = (0..n).map(|i| {
            let u = s[if s.len() == n { i } else { 0 }];
            let v = t[if t.len() == n { i } else { 0 }];
            if u.is_null() {
                v
            } else if v.is_null() {
                u
            } else if (want_max && v > u) || (!want_max && v < u) {
                v
            } else {
                u
            }
        }).collect();
        T::into_data(out)
    }, _ => return Err(not_numeric(name, &a)));
    Ok(rebuild(&al.form, Vector::new(ty, data)))
}

fn max(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if args.len() == 2 {
        return extreme_pairwise("max", &args[0], &args[1], true);
    }
    reduce_columns("max", &args[0], |v| extreme_vec("max", v, true))
}

fn min(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if args.len() == 2 {
        return extreme_pairwise("min", &args[0], &args[1], false);
    }
    reduce_columns("min", &args[0], |v| extreme_vec("min", v, false))
}

// ---------------------------------------------------------------------------------------------
// Dispersion and shape

fn dispersion(name: &'static str, x: &Value, sample: bool, root: bool) -> Result<Value> {
    reduce_columns(name, x, |v| {
        let x = valid_f64(name, v)?;
        let r = variance(&x, sample).map(|s| if root { s.sqrt() } else { s });
        Ok(scalar_f64(r))
    })
}

fn std(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    dispersion("std", &args[0], true, true)
}
fn stdp(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    dispersion("stdp", &args[0], false, true)
}
fn var(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    dispersion("var", &args[0], true, false)
}
fn varp(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    dispersion("varp", &args[0], false, false)
}

fn biased_arg(name: &str, args: &[Value]) -> Result<bool> {
    match args.get(1) {
        None => Ok(true),
        Some(v) => v.as_bool().ok_or_else(|| {
            Error::new(format!(
                "The argument biased of [{name}] must be a boolean."
            ))
        }),
    }
}

fn skew(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let biased = biased_arg("skew", args)?;
    reduce_columns("skew", &args[0], |v| {
        Ok(scalar_f64(skewness(&valid_f64("skew", v)?, biased)))
    })
}

fn kurtosis(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let biased = biased_arg("kurtosis", args)?;
    reduce_columns("kurtosis", &args[0], |v| {
        Ok(scalar_f64(kurt(&valid_f64("kurtosis", v)?, biased)))
    })
}

// ---------------------------------------------------------------------------------------------
// Order statistics

fn med(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    reduce_columns("med", &args[0], |v| {
        let mut x = valid_f64("med", v)?;
        Ok(scalar_f64(median(&mut x)))
    })
}

fn percent_arg(name: &str, v: &Value, scale: f64) -> Result<f64> {
    let p = v.as_f64().ok_or_else(|| {
        Error::new(format!(
            "The percent argument of [{name}] must be a number."
        ))
    })? * scale;
    if !(0.0..=100.0).contains(&p) {
        return Err(Error::new(format!(
            "The percent argument of [{name}] must be between 0 and {}.",
            100.0 / scale
        )));
    }
    Ok(p)
}

fn percentile_of(name: &'static str, args: &[Value], scale: f64) -> Result<Value> {
    let p = percent_arg(name, &args[1], scale)?;
    let how = parse_interp(args.get(2))?;
    reduce_columns(name, &args[0], |v| {
        let mut x = valid_f64(name, v)?;
        x.sort_by(f64::total_cmp);
        Ok(scalar_f64(percentile_sorted(&x, p, how)))
    })
}

fn percentile(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    percentile_of("percentile", args, 1.0)
}

/// `quantile(X, q)` is `percentile(X, 100*q)`.
fn quantile(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    percentile_of("quantile", args, 100.0)
}

/// The most frequent non-null value; among equally frequent values, the one seen first.
fn mode_vec(v: &Vector) -> Result<Vector> {
    let best = |counts: HashMap<u64, (u32, u32)>| {
        counts
            .into_values()
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
            .map(|(_, first)| first as i64)
    };
    let pos = dispatch_num!(&v.data, T, s => {
        let mut counts: HashMap<u64, (u32, u32)> = HashMap::new();
        for (i, &x) in s.iter().enumerate() {
            if x.is_null() {
                continue;
            }
            let key = if T::IS_FLOAT { x.to_f64().to_bits() } else { x.to_i64() as u64 };
            counts.entry(key).or_insert((0, i as u32)).0 += 1;
        }
        best(counts)
    }, _ => {
        let mut counts: HashMap<String, (u32, u32)> = HashMap::new();
        for i in 0..v.len() {
            if let Some(s) = v.str_at(i).filter(|s| !s.is_empty()) {
                counts.entry(s.to_string()).or_insert((0, i as u32)).0 += 1;
            } else if v.str_at(i).is_none() && !matches!(v.data, Data::Void(_)) {
                return Err(not_numeric("mode", v));
            }
        }
        counts
            .into_values()
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
            .map(|(_, first)| first as i64)
    });
    Ok(v.take(&[pos.unwrap_or(-1)]))
}

fn mode(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    reduce_columns("mode", &args[0], mode_vec)
}

/// Index of the first (or last) maximum (or minimum), -1 when there is no non-null value.
fn arg_extreme(name: &str, v: &Vector, want_max: bool, last: bool) -> Result<i64> {
    let v = match numeric_view(v.ty) {
        Some(_) => numeric(name, v)?,
        None if v.ty.is_temporal() => std::borrow::Cow::Borrowed(v),
        None => return Err(not_numeric(name, v)),
    };
    Ok(dispatch_num!(&v.data, T, s => {
        let mut best: Option<(usize, T)> = None;
        for (i, &x) in s.iter().enumerate() {
            if x.is_null() {
                continue;
            }
            let better = match best {
                None => true,
                Some((_, b)) => {
                    if want_max {
                        x > b || (last && x == b)
                    } else {
                        x < b || (last && x == b)
                    }
                }
            };
            if better {
                best = Some((i, x));
            }
        }
        best.map(|(i, _)| i as i64).unwrap_or(-1)
    }, _ => -1))
}

fn index_result(name: &'static str, x: &Value, want_max: bool, last: bool) -> Result<Value> {
    reduce_columns(name, x, |v| {
        let i = arg_extreme(name, v, want_max, last)?;
        Ok(Vector::from_i32(DataType::Int, vec![i as i32]))
    })
}

fn imax(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    index_result("imax", &args[0], true, false)
}
fn imin(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    index_result("imin", &args[0], false, false)
}
fn imax_last(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    index_result("imaxLast", &args[0], true, true)
}
fn imin_last(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    index_result("iminLast", &args[0], false, true)
}

// ---------------------------------------------------------------------------------------------
// first, last, firstNot, lastNot, nunique

fn first(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    reduce_columns("first", &args[0], |v| Ok(v.take(&[0])))
}

fn last(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    reduce_columns("last", &args[0], |v| Ok(v.take(&[v.len() as i64 - 1])))
}

/// Position of the first (or last) element that differs from the scalar `k`.
fn position_not(v: &Vector, k: &Value, from_end: bool) -> Result<Option<usize>> {
    let (_, kv) = super::kernels::form::split_arg("firstNot", k)?;
    if kv.len() != 1 {
        return Err(Error::new("The value to skip must be a scalar."));
    }
    let n = v.len();
    let order: Box<dyn Iterator<Item = usize>> = if from_end {
        Box::new((0..n).rev())
    } else {
        Box::new(0..n)
    };
    if v.ty.is_literal() {
        let key = kv.str_at(0).unwrap_or("");
        return Ok(order.into_iter().find(|&i| v.str_at(i) != Some(key)));
    }
    let key = cast_cow(kv, v.ty)?;
    Ok(dispatch_num!(&v.data, T, s => {
        let kk = T::slice(&key.data).and_then(|k| k.first().copied()).unwrap_or(T::NULL);
        order.into_iter().find(|&i| s[i] != kk)
    }, _ => None))
}

fn first_last_not(name: &'static str, args: &[Value], from_end: bool) -> Result<Value> {
    reduce_columns(name, &args[0], |v| {
        let pos = match args.get(1) {
            Some(k) if !k.is_null() => position_not(v, k, from_end)?,
            _ => valid_position(v, from_end),
        };
        Ok(v.take(&[pos.map(|p| p as i64).unwrap_or(-1)]))
    })
}

fn first_not(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    first_last_not("firstNot", args, false)
}
fn last_not(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    first_last_not("lastNot", args, true)
}

fn nunique(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let ignore = match args.get(1) {
        Some(v) => v.as_bool().unwrap_or(false),
        None => false,
    };
    match super::kernels::form::split(&args[0]) {
        Some((_, v)) => Ok(Value::int(distinct_count(v, ignore) as i32)),
        None => Err(unsupported_form("nunique", &args[0])),
    }
}

// ---------------------------------------------------------------------------------------------
// Two-argument aggregates

/// Applies a pairwise reduction: two vectors of one length give a scalar; two matrices of one
/// shape give a vector, column by column.
fn reduce_pairs(
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
            Ok(Value::vector(
                out.unwrap_or_else(|| Vector::empty(DataType::Double)),
            ))
        }
        _ => {
            let al = align(name, x, y)?;
            if al.a.len() != al.b.len() {
                return Err(Error::new(format!(
                    "The arguments of [{name}] must have the same length."
                )));
            }
            Ok(Value::Scalar(f(&al.a, &al.b)?))
        }
    }
}

fn pairwise(
    name: &'static str,
    args: &[Value],
    f: fn(&[f64], &[f64]) -> Option<f64>,
) -> Result<Value> {
    reduce_pairs(name, &args[0], &args[1], |a, b| {
        let (x, y) = valid_pairs(name, a, b)?;
        Ok(scalar_f64(f(&x, &y)))
    })
}

fn wavg(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pairwise("wavg", args, |x, w| {
        let sw: f64 = w.iter().sum();
        if x.is_empty() || sw == 0.0 {
            None
        } else {
            Some(x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw)
        }
    })
}

fn wsum(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pairwise("wsum", args, |x, w| {
        (!x.is_empty()).then(|| x.iter().zip(w).map(|(a, b)| a * b).sum())
    })
}

fn corr(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pairwise("corr", args, correlation)
}

fn covar(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pairwise("covar", args, |x, y| covariance(x, y, true))
}

fn covarp(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pairwise("covarp", args, |x, y| covariance(x, y, false))
}

fn beta(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pairwise("beta", args, ols_beta)
}

fn at_extreme(name: &'static str, args: &[Value], want_max: bool) -> Result<Value> {
    reduce_pairs(name, &args[0], &args[1], |loc, val| {
        let i = arg_extreme(name, loc, want_max, false)?;
        Ok(val.take(&[i]))
    })
}

fn at_imax(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    at_extreme("atImax", args, true)
}
fn at_imin(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    at_extreme("atImin", args, false)
}

// ---------------------------------------------------------------------------------------------
// all, any

/// Whether every (`want_all`) or some non-null element is true (non-zero); a matrix counts
/// as a whole. Nulls are ignored, so `all` of nothing is true and `any` of nothing false.
fn truth_of(name: &str, x: &Value, want_all: bool) -> Result<Value> {
    let (_, v) = super::kernels::form::split_arg(name, x)?;
    let v = numeric(name, v)?;
    let hit = dispatch_num!(&v.data, T, s => {
        let mut valid = s.iter().filter(|e| !e.is_null());
        if want_all {
            valid.all(|e| e.to_f64() != 0.0)
        } else {
            valid.any(|e| e.to_f64() != 0.0)
        }
    }, _ => return Err(not_numeric(name, &v)));
    Ok(Value::bool(hit))
}

fn all(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    truth_of("all", &args[0], true)
}

fn any(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    truth_of("any", &args[0], false)
}

#[cfg(test)]
mod tests {
    use super::super::kernels::test_env::*;
    use super::*;
    use std::sync::Arc;
    use value::Matrix;

    fn matrix_i32(cols: &[&[i32]]) -> Value {
        let rows = cols[0].len();
        let data: Vec<i32> = cols.iter().flat_map(|c| c.iter().copied()).collect();
        Value::Matrix(Arc::new(Matrix::new(
            Vector::from_i32(DataType::Int, data),
            rows,
            cols.len(),
        )))
    }

    #[test]
    fn sum_skips_nulls_and_is_long() {
        // DolphinDB docs: sum(1 2 3 NULL 4) = 10; sum(matrix(1 2 3, 4 5 6)) = [6,15]
        let r = run("sum", &[ints(&[1, 2, 3, NI, 4])]);
        assert_eq!(r.data_type(), DataType::Long);
        assert_eq!(r.as_i64(), Some(10));
        let r = run("sum", &[matrix_i32(&[&[1, 2, 3], &[4, 5, 6]])]);
        assert_eq!(as_i64(&r), vec![6, 15]);
        assert!(run("sum", &[ints(&[NI, NI])]).is_null());
        assert_eq!(run("sum", &[doubles(&[1.5, 2.0])]).as_f64(), Some(3.5));
        run_err("sum", &[strs(&["a"])]);
    }

    #[test]
    fn avg_count_prod() {
        assert_eq!(run("avg", &[ints(&[1, 2, NI, NI, 3])]).as_f64(), Some(2.0));
        let r = run("count", &[ints(&[1, 2, NI, 3, 4, NI, 5, 6])]);
        assert_eq!(r.as_i64(), Some(6));
        assert_eq!(r.data_type(), DataType::Int);
        // DolphinDB docs: prod(1 2 NULL 3) = 6; prod(matrix(1 2 3, 4 5 6)) = [6,120]
        assert_eq!(run("prod", &[ints(&[1, 2, NI, 3])]).as_i64(), Some(6));
        let r = run("prod", &[matrix_i32(&[&[1, 2, 3], &[4, 5, 6]])]);
        assert_eq!(as_i64(&r), vec![6, 120]);
    }

    #[test]
    fn min_max_keep_type() {
        let r = run("max", &[ints(&[3, NI, 7, 1])]);
        assert_eq!(r.data_type(), DataType::Int);
        assert_eq!(r.as_i64(), Some(7));
        assert_eq!(run("min", &[ints(&[3, NI, 7, 1])]).as_i64(), Some(1));
        assert!(run("max", &[ints(&[NI])]).is_null());
        let r = run("max", &[strs(&["b", "", "c", "a"])]);
        assert_eq!(r.as_str(), Some("c"));
        let r = run("max", &[ints(&[1, 5, NI]), Value::int(3)]);
        assert_eq!(as_i32(&r), vec![3, 5, 3]);
    }

    #[test]
    fn dispersion() {
        let x = doubles(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(run("stdp", &[x.clone()]).as_f64(), Some(2.0));
        assert_close(&[run("var", &[x.clone()]).as_f64().unwrap()], &[32.0 / 7.0]);
        assert!(run("std", &[ints(&[1])]).is_null());
    }

    #[test]
    fn kurtosis_and_skew() {
        // DolphinDB docs: kurtosis of 1..10 is 1.775757575757576.
        let x = ints(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_close(
            &[run("kurtosis", &[x.clone()]).as_f64().unwrap()],
            &[1.775757575757576],
        );
        assert_close(&[run("skew", &[x]).as_f64().unwrap()], &[0.0]);
        // pandas kurt of [1111, 323, 43, 51] is 2.504252 = kurtosis(x, false) - 3
        let y = ints(&[1111, 323, 43, 51]);
        let k = run("kurtosis", &[y, Value::bool(false)]).as_f64().unwrap();
        assert!((k - 3.0 - 2.504252).abs() < 1e-5, "{k}");
    }

    #[test]
    fn med_and_percentile() {
        assert_eq!(run("med", &[ints(&[1, 2, NI, NI, 3])]).as_f64(), Some(2.0));
        assert_eq!(run("med", &[ints(&[4, 1, 3, 2])]).as_f64(), Some(2.5));
        // DolphinDB docs examples for percentile and quantile.
        let a = ints(&[6, 47, 49, 15, 42, 41, 7, 39, 43, 40, 36]);
        let p = |pct: f64, how: Option<&str>| {
            let mut args = vec![a.clone(), Value::double(pct)];
            if let Some(h) = how {
                args.push(Value::string(h));
            }
            run("percentile", &args).as_f64().unwrap()
        };
        assert_eq!(p(50.0, None), 40.0);
        assert_close(&[p(54.0, None)], &[40.4]);
        assert_eq!(p(25.0, Some("lower")), 15.0);
        assert_eq!(p(75.0, Some("higher")), 43.0);
        assert_eq!(p(5.0, Some("midpoint")), 6.5);
        assert_eq!(p(5.0, Some("nearest")), 6.0);
        let q = run("quantile", &[a.clone(), Value::double(0.25)]).as_f64();
        assert_eq!(q, Some(25.5));
        let q = run(
            "quantile",
            &[a, Value::double(0.75), Value::string("lower")],
        )
        .as_f64();
        assert_eq!(q, Some(42.0));
    }

    #[test]
    fn imax_imin_and_at() {
        // DolphinDB docs: imax(1.2 2 NULL 6 -1 6) = 3; imin(1.2 2 NULL -1 6 -1) = 3
        let x = doubles(&[1.2, 2.0, ND, 6.0, -1.0, 6.0]);
        assert_eq!(run("imax", &[x]).as_i64(), Some(3));
        let y = doubles(&[1.2, 2.0, ND, -1.0, 6.0, -1.0]);
        assert_eq!(run("imin", &[y.clone()]).as_i64(), Some(3));
        assert_eq!(run("iminLast", &[y]).as_i64(), Some(5));
        assert_eq!(run("imax", &[ints(&[])]).as_i64(), Some(-1));
        let r = run("imax", &[matrix_i32(&[&[1, 2, 3], &[6, 5, 4]])]);
        assert_eq!(as_i32(&r), vec![2, 0]);
        // atImax(3 5 1 2, 9 7 5 3) = 7
        let r = run("atImax", &[ints(&[3, 5, 1, 2]), ints(&[9, 7, 5, 3])]);
        assert_eq!(r.as_i64(), Some(7));
    }

    #[test]
    fn first_last_and_not() {
        let x = ints(&[NI, 2, 3, NI]);
        assert!(run("first", &[x.clone()]).is_null());
        assert_eq!(run("firstNot", &[x.clone()]).as_i64(), Some(2));
        assert_eq!(run("lastNot", &[x.clone()]).as_i64(), Some(3));
        assert_eq!(
            run("firstNot", &[ints(&[0, 0, 5]), Value::int(0)]).as_i64(),
            Some(5)
        );
        assert!(run("last", &[x]).is_null());
    }

    #[test]
    fn nunique_and_mode() {
        // DolphinDB docs: nunique([1,3,1,-6,NULL,2,NULL,1]) = 5, with ignoreNull = 4
        let v = ints(&[1, 3, 1, -6, NI, 2, NI, 1]);
        assert_eq!(run("nunique", &[v.clone()]).as_i64(), Some(5));
        assert_eq!(run("nunique", &[v, Value::bool(true)]).as_i64(), Some(4));
        // mode 1 3 3 3 4 5 5 = 3; mode(matrix(1 1 2 2 2 3, 4 4 5 6 6 6)) = [2,6]
        assert_eq!(
            run("mode", &[ints(&[1, 3, 3, 3, 4, 5, 5])]).as_i64(),
            Some(3)
        );
        let r = run(
            "mode",
            &[matrix_i32(&[&[1, 1, 2, 2, 2, 3], &[4, 4, 5, 6, 6, 6]])],
        );
        assert_eq!(as_i32(&r), vec![2, 6]);
    }

    #[test]
    fn all_and_any_ignore_nulls() {
        // DolphinDB docs: all(1 2 3) 1, all(0 1 2) 0, any(0 0 NULL) 0, any(1 0 2) 1
        assert_eq!(run("all", &[ints(&[1, 2, 3])]).as_bool(), Some(true));
        assert_eq!(run("all", &[ints(&[0, 1, 2])]).as_bool(), Some(false));
        assert_eq!(run("any", &[ints(&[0, 0, NI])]).as_bool(), Some(false));
        assert_eq!(run("any", &[ints(&[1, 0, 2])]).as_bool(), Some(true));
        assert_eq!(run("all", &[ints(&[1, NI])]).as_bool(), Some(true));
    }

    #[test]
    fn weighted_and_correlation() {
        let x = doubles(&[1.0, 2.0, 3.0, ND]);
        let w = doubles(&[1.0, 1.0, 2.0, 5.0]);
        assert_eq!(
            run("wavg", &[x.clone(), w.clone()]).as_f64(),
            Some(9.0 / 4.0)
        );
        assert_eq!(run("wsum", &[x.clone(), w]).as_f64(), Some(9.0));
        let y = doubles(&[2.0, 4.0, 6.0, 1.0]);
        assert_close(
            &[run("corr", &[x.clone(), y.clone()]).as_f64().unwrap()],
            &[1.0],
        );
        assert_close(
            &[run("covar", &[x.clone(), y.clone()]).as_f64().unwrap()],
            &[2.0],
        );
        assert_close(&[run("beta", &[y, x]).as_f64().unwrap()], &[2.0]);
        run_err("corr", &[ints(&[1, 2]), ints(&[1, 2, 3])]);
    }
}
