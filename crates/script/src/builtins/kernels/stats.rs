//! Statistics over plain f64 slices and the numeric views the aggregate, cumulative and
//! moving families share: moments, median, percentiles with DolphinDB's interpolation modes,
//! covariance and correlation over valid pairs, null-aware positions and counts.

use std::collections::HashSet;

use value::{Data, DataType, Value, Vector};

use super::num::{dispatch_num, Num};
use super::promote::{cast_cow, numeric_view, to_f64_nan};
use crate::{Error, Result};

fn not_numeric(name: &str, v: &Vector) -> Error {
    Error::new(format!(
        "The function [{name}] doesn't support the data type {}.",
        v.ty.name()
    ))
}

/// A numeric view of `v` for kernels: decimals as DOUBLE; other non-numeric types fail.
pub fn numeric<'a>(name: &str, v: &'a Vector) -> Result<std::borrow::Cow<'a, Vector>> {
    match numeric_view(v.ty) {
        Some(DataType::Void) => Ok(std::borrow::Cow::Owned(Vector::nulls(
            DataType::Double,
            v.len(),
        ))),
        Some(t) if v.ty.is_decimal() => cast_cow(v, t),
        Some(_) => Ok(std::borrow::Cow::Borrowed(v)),
        None => Err(not_numeric(name, v)),
    }
}

/// Non-null values as f64.
pub fn valid_f64(name: &str, v: &Vector) -> Result<Vec<f64>> {
    let v = numeric(name, v)?;
    Ok(to_f64_nan(&v)?
        .into_iter()
        .filter(|x| !x.is_nan())
        .collect())
}

/// Mean and the sum of squared deviations of non-null values (two passes, for accuracy).
pub fn moments2(x: &[f64]) -> Option<(f64, f64, usize)> {
    let n = x.len();
    if n == 0 {
        return None;
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let ss = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
    Some((mean, ss, n))
}

pub fn variance(x: &[f64], sample: bool) -> Option<f64> {
    let (_, ss, n) = moments2(x)?;
    let d = if sample { n as f64 - 1.0 } else { n as f64 };
    if d <= 0.0 {
        None
    } else {
        Some(ss / d)
    }
}

/// The median of non-null values (they are reordered).
pub fn median(x: &mut [f64]) -> Option<f64> {
    let n = x.len();
    if n == 0 {
        return None;
    }
    let cmp = |a: &f64, b: &f64| a.total_cmp(b);
    let (_, hi, _) = x.select_nth_unstable_by(n / 2, cmp);
    let hi = *hi;
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = x[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((lo + hi) / 2.0)
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Interp {
    Linear,
    Lower,
    Higher,
    Nearest,
    Midpoint,
}

pub fn parse_interp(v: Option<&Value>) -> Result<Interp> {
    let Some(v) = v else {
        return Ok(Interp::Linear);
    };
    Ok(match v.as_str() {
        Some("linear") => Interp::Linear,
        Some("lower") => Interp::Lower,
        Some("higher") => Interp::Higher,
        Some("nearest") => Interp::Nearest,
        Some("midpoint") => Interp::Midpoint,
        _ => {
            return Err(Error::new(
                "interpolation must be 'linear', 'lower', 'higher', 'nearest' or 'midpoint'.",
            ))
        }
    })
}

/// The `p`-th percentile (0..100) of values already sorted ascending.
pub fn percentile_sorted(sorted: &[f64], p: f64, how: Interp) -> Option<f64> {
    percentile_by(sorted.len(), p, how, |i| sorted[i])
}

/// The `p`-th percentile (0..100) of `n` ordered values, `get(i)` being the i-th smallest.
pub fn percentile_by(n: usize, p: f64, how: Interp, get: impl Fn(usize) -> f64) -> Option<f64> {
    if n == 0 || !(0.0..=100.0).contains(&p) {
        return None;
    }
    let pos = p / 100.0 * (n - 1) as f64;
    let i = (pos.floor() as usize).min(n - 1);
    let j = (i + 1).min(n - 1);
    let frac = pos - i as f64;
    let lo = get(i);
    let hi = if frac > 0.0 { get(j) } else { lo };
    Some(match how {
        Interp::Linear => lo + (hi - lo) * frac,
        Interp::Lower => lo,
        Interp::Higher => hi,
        Interp::Nearest => {
            if frac > 0.5 {
                hi
            } else {
                lo
            }
        }
        Interp::Midpoint => (lo + hi) / 2.0,
    })
}

/// Position of the first (or last) non-null element.
pub fn valid_position(v: &Vector, from_end: bool) -> Option<usize> {
    let n = v.len();
    let pos = |ok: &dyn Fn(usize) -> bool| {
        if from_end {
            (0..n).rev().find(|&i| ok(i))
        } else {
            (0..n).find(|&i| ok(i))
        }
    };
    dispatch_num!(&v.data, T, s => pos(&|i| !s[i].is_null()), _ => match &v.data {
        Data::Void(_) => None,
        Data::Str(s) => pos(&|i| !s[i].is_empty()),
        _ => pos(&|i| !v.is_null(i)),
    })
}

/// Number of non-null elements.
pub fn count_valid(v: &Vector) -> usize {
    dispatch_num!(&v.data, T, s => s.iter().filter(|x| !x.is_null()).count(), _ => match &v.data {
        Data::Void(_) => 0,
        Data::Str(s) => s.iter().filter(|x| !x.is_empty()).count(),
        _ => (0..v.len()).filter(|&i| !v.is_null(i)).count(),
    })
}

/// Number of distinct values; null counts as a value unless `ignoreNull`.
pub fn distinct_count(v: &Vector, ignore_null: bool) -> usize {
    dispatch_num!(&v.data, T, s => {
        let mut seen: HashSet<u64> = HashSet::new();
        for &x in s {
            if ignore_null && x.is_null() {
                continue;
            }
            seen.insert(if T::IS_FLOAT { x.to_f64().to_bits() } else { x.to_i64() as u64 });
        }
        seen.len()
    }, _ => {
        let mut seen = HashSet::new();
        for i in 0..v.len() {
            if ignore_null && v.is_null(i) {
                continue;
            }
            seen.insert(v.key_at(i));
        }
        seen.len()
    })
}

/// The (x, y) pairs where both sides are non-null.
pub fn valid_pairs(name: &str, a: &Vector, b: &Vector) -> Result<(Vec<f64>, Vec<f64>)> {
    let x = to_f64_nan(numeric(name, a)?.as_ref())?;
    let y = to_f64_nan(numeric(name, b)?.as_ref())?;
    let mut p = Vec::with_capacity(x.len());
    let mut q = Vec::with_capacity(x.len());
    for (u, v) in x.into_iter().zip(y) {
        if !u.is_nan() && !v.is_nan() {
            p.push(u);
            q.push(v);
        }
    }
    Ok((p, q))
}

pub fn covariance(x: &[f64], y: &[f64], sample: bool) -> Option<f64> {
    let n = x.len();
    let d = if sample { n as f64 - 1.0 } else { n as f64 };
    if n == 0 || d <= 0.0 {
        return None;
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let s: f64 = x.iter().zip(y).map(|(u, v)| (u - mx) * (v - my)).sum();
    Some(s / d)
}

pub fn correlation(x: &[f64], y: &[f64]) -> Option<f64> {
    let c = covariance(x, y, true)?;
    let vx = variance(x, true)?;
    let vy = variance(y, true)?;
    let d = (vx * vy).sqrt();
    if d == 0.0 {
        None
    } else {
        Some(c / d)
    }
}

/// `beta(Y, X)`: the OLS slope of Y on X, `cov(X, Y) / var(X)`.
pub fn ols_beta(y: &[f64], x: &[f64]) -> Option<f64> {
    let c = covariance(x, y, true)?;
    let v = variance(x, true)?;
    if v == 0.0 {
        None
    } else {
        Some(c / v)
    }
}

/// Skewness: biased `m3 / m2^1.5`; unbiased `g1 * sqrt(n(n-1)) / (n-2)`.
pub fn skewness(x: &[f64], biased: bool) -> Option<f64> {
    let (mean, ss, n) = moments2(x)?;
    let nf = n as f64;
    let m2 = ss / nf;
    let m3 = x.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / nf;
    if m2 == 0.0 {
        return None;
    }
    let g1 = m3 / m2.powf(1.5);
    if biased {
        Some(g1)
    } else if n < 3 {
        None
    } else {
        Some(g1 * (nf * (nf - 1.0)).sqrt() / (nf - 2.0))
    }
}

/// Kurtosis (not excess): biased `m4 / m2^2`; unbiased is the sample excess kurtosis plus 3.
pub fn kurt(x: &[f64], biased: bool) -> Option<f64> {
    let (mean, ss, n) = moments2(x)?;
    let nf = n as f64;
    let m2 = ss / nf;
    let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / nf;
    if m2 == 0.0 {
        return None;
    }
    let g2 = m4 / (m2 * m2);
    if biased {
        return Some(g2);
    }
    if n < 4 {
        return None;
    }
    let excess = ((nf + 1.0) * g2 - 3.0 * (nf - 1.0)) * (nf - 1.0) / ((nf - 2.0) * (nf - 3.0));
    Some(excess + 3.0)
}
