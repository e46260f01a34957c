//! Built-ins: statistics. Standardizing and robust spread (`zscore`, `mad`), binning
//! (`bucket`, `bucketCount`, `cutPoints`, `digitize`), `winsorize`, `hashBucket`, random
//! draws (`randNormal`, `randUniform`), and in submodules: regression (`ols`, `wls`,
//! `residual`), exponentially weighted moments (`ewmMean`, `ewmVar`, ...), distributions
//! (`cdfNormal`, `invStudent`, ...) and hypothesis tests (`tTest`, `fTest`, `zTest`).
//!
//! Numeric work is in f64 with NaN standing for null inside a kernel; results turn NaN back
//! into DolphinDB's DOUBLE null.

mod dist;
mod ewm;
mod hypothesis;
pub(crate) mod params;
mod regression;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use value::{null, Data, DataType, Table, Value, Vector};

use super::data_util::{count_arg, str_arg};
use super::kernels::num::f64_out;
use super::kernels::promote::to_f64_nan;
use super::matrix::is_numeric;
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};
use params::bind;

/// The most values one call of `randNormal`/`randUniform` draws.
const RANDOM_COUNT_MAX: usize = 1 << 28;

pub fn functions() -> Vec<Builtin> {
    let mut v = vec![
        builtin("zscore", 1, 1, Kind::Window, zscore),
        builtin("mad", 1, 2, Kind::Aggregate, mad),
        builtin("bucket", 3, 4, Kind::Scalar, bucket),
        builtin("bucketCount", 3, 4, Kind::Other, bucket_count),
        builtin("cutPoints", 2, 3, Kind::Other, cut_points),
        builtin("digitize", 2, 3, Kind::Scalar, digitize),
        builtin("winsorize", 2, 4, Kind::Window, winsorize),
        builtin("winsorize!", 2, 4, Kind::Window, winsorize),
        builtin("hashBucket", 2, 2, Kind::Scalar, hash_bucket),
        builtin("randNormal", 3, 3, Kind::Other, rand_normal),
        builtin("randUniform", 3, 3, Kind::Other, rand_uniform),
    ];
    v.extend(dist::functions());
    v.extend(ewm::functions());
    v.extend(hypothesis::functions());
    v.extend(regression::functions());
    v
}

// ---------------------------------------------------------------------------------------------
// Column-wise application over vectors, matrices and tables.

/// A numeric vector's values as f64 (NaN for null), or an error naming `func`.
pub(crate) fn numeric_values(func: &str, v: &Vector) -> Result<Vec<f64>> {
    if v.is_array() || !is_numeric(v.ty) {
        bail!("The argument of function [{}] must be numeric", func);
    }
    to_f64_nan(v)
}

pub(crate) fn double_vector(xs: Vec<f64>) -> Vector {
    Vector::from_f64(xs.into_iter().map(f64_out).collect())
}

/// Applies a vector-to-vector kernel to a vector, each column of a matrix, or each numeric
/// column of a table (other columns are kept), giving DOUBLE columns.
pub(crate) fn per_column(
    func: &str,
    x: &Value,
    mut f: impl FnMut(&[f64]) -> Vec<f64>,
) -> Result<Value> {
    match x {
        Value::Vector(v) => Ok(Value::vector(double_vector(f(&numeric_values(func, v)?)))),
        Value::Matrix(m) => {
            let xs = numeric_values(func, &m.data)?;
            let mut out = Vec::with_capacity(xs.len());
            for c in xs.chunks(m.rows.max(1)).take(m.cols) {
                out.extend(f(c));
            }
            let mut r = (**m).clone();
            r.data = double_vector(out);
            Ok(Value::Matrix(Arc::new(r)))
        }
        Value::Table(t) => {
            let mut out = (**t).clone();
            for c in out.columns.iter_mut() {
                if c.is_array() || !is_numeric(c.ty) || c.ty == DataType::Void {
                    continue;
                }
                *c = Arc::new(double_vector(f(&to_f64_nan(c)?)));
            }
            Ok(Value::table(out))
        }
        _ => bail!(
            "The argument of function [{}] must be a vector, matrix or table",
            func
        ),
    }
}

/// Applies a vector-to-number kernel: a vector gives a scalar, a matrix a vector (one per
/// column), a table a one-row table.
fn per_column_agg(func: &str, x: &Value, f: impl Fn(&[f64]) -> f64) -> Result<Value> {
    match x {
        Value::Vector(v) | Value::Pair(v) => {
            Ok(Value::double(f64_out(f(&numeric_values(func, v)?))))
        }
        Value::Scalar(v) => Ok(Value::double(f64_out(f(&numeric_values(func, v)?)))),
        Value::Matrix(m) => {
            let xs = numeric_values(func, &m.data)?;
            let out = (0..m.cols)
                .map(|j| f(&xs[j * m.rows..(j + 1) * m.rows]))
                .collect();
            Ok(Value::vector(double_vector(out)))
        }
        Value::Table(t) => {
            let cols = t
                .columns
                .iter()
                .map(|c| Ok(double_vector(vec![f(&numeric_values(func, c)?)])))
                .collect::<Result<Vec<_>>>()?;
            Ok(Value::table(Table::new(t.names.clone(), cols)))
        }
        _ => bail!(
            "The argument of function [{}] must be a vector, matrix or table",
            func
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// zscore, mad

/// `zscore(X)`: (x - mean) / std with the sample standard deviation; nulls stay null.
fn zscore(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    per_column("zscore", &args[0], |xs| {
        let (n, mean, sd) = mean_sd(xs);
        if n < 2 {
            return vec![f64::NAN; xs.len()];
        }
        xs.iter().map(|x| (x - mean) / sd).collect()
    })
}

/// Count, mean and sample standard deviation of the non-null values.
pub(crate) fn mean_sd(xs: &[f64]) -> (usize, f64, f64) {
    let (mut n, mut mean, mut m2) = (0usize, 0.0, 0.0);
    for &x in xs.iter().filter(|x| !x.is_nan()) {
        n += 1;
        let d = x - mean;
        mean += d / n as f64;
        m2 += d * (x - mean);
    }
    let sd = if n > 1 {
        (m2 / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    (n, if n > 0 { mean } else { f64::NAN }, sd)
}

/// `mad(X, [useMedian=false])`: mean(abs(X - mean(X))) or med(abs(X - med(X))).
fn mad(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let use_median = match args.get(1) {
        Some(v) if !v.is_void() => v.as_bool().unwrap_or(false),
        _ => false,
    };
    per_column_agg("mad", &args[0], |xs| {
        let vals: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
        if vals.is_empty() {
            return f64::NAN;
        }
        if use_median {
            let m = median(vals.clone());
            median(vals.iter().map(|x| (x - m).abs()).collect())
        } else {
            let m = vals.iter().sum::<f64>() / vals.len() as f64;
            vals.iter().map(|x| (x - m).abs()).sum::<f64>() / vals.len() as f64
        }
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

// ---------------------------------------------------------------------------------------------
// bucket, bucketCount, cutPoints, digitize

/// The buckets of `bucket`/`bucketCount`: lower bound, width, count, and whether the two
/// out-of-range buckets are included.
struct Buckets {
    lo: f64,
    hi: f64,
    width: f64,
    num: i64,
    outbound: bool,
}

fn buckets(func: &str, args: &[Value]) -> Result<Buckets> {
    let Value::Pair(range) = &args[1] else {
        bail!(
            "The argument dataRange of function [{}] must be a pair",
            func
        );
    };
    let num = match args[2].as_i64() {
        Some(n) if n > 0 => n,
        _ => bail!(
            "The argument bucketNum of function [{}] must be a positive integer",
            func
        ),
    };
    let (Some(lo), Some(hi)) = (range.f64_at(0), range.f64_at(1)) else {
        bail!(
            "The argument dataRange of function [{}] must not contain null",
            func
        );
    };
    if hi <= lo {
        bail!(
            "The upper bound of dataRange must be greater than the lower bound in function [{}]",
            func
        );
    }
    if !range.ty.is_floating() && !range.ty.is_decimal() {
        let span = hi as i64 - lo as i64;
        if span % num != 0 {
            bail!("dataRange must be the mutltiplier of bucketNum.");
        }
    }
    let outbound = match args.get(3) {
        Some(v) if !v.is_void() => v.as_bool().unwrap_or(false),
        _ => false,
    };
    Ok(Buckets {
        lo,
        hi,
        width: (hi - lo) / num as f64,
        num,
        outbound,
    })
}

impl Buckets {
    /// The bucket index of x, or None when x is null or out of range without outbound.
    fn index(&self, x: f64) -> Option<i64> {
        if x.is_nan() {
            return None;
        }
        let shift = self.outbound as i64;
        if x < self.lo {
            return self.outbound.then_some(0);
        }
        if x >= self.hi {
            return self.outbound.then_some(self.num + 1);
        }
        let k = (((x - self.lo) / self.width).floor() as i64).min(self.num - 1);
        Some(k + shift)
    }
}

fn bucket_input<'a>(func: &str, v: &'a Value) -> Result<&'a Vector> {
    let x: &Vector = match v {
        Value::Vector(x) => x,
        Value::Scalar(x) => x,
        _ => bail!(
            "The argument vector of function [{}] must be a vector",
            func
        ),
    };
    match v {
        _ if !x.is_array() => {
            if !is_numeric(x.ty) && !x.ty.is_temporal() {
                bail!(
                    "The argument vector of function [{}] must be numeric or temporal",
                    func
                );
            }
            Ok(x)
        }
        _ => bail!(
            "The argument vector of function [{}] must be a vector",
            func
        ),
    }
}

/// Values as f64 for binning: numbers by value, temporals by their raw counts.
fn raw_f64(v: &Vector) -> Vec<f64> {
    (0..v.len())
        .map(|i| v.f64_at(i).unwrap_or(f64::NAN))
        .collect()
}

/// `bucket(vector, dataRange, bucketNum, [includeOutbound=false])`: the bucket of each
/// element (INT; null outside the range unless includeOutbound).
fn bucket(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = bucket_input("bucket", &args[0])?;
    let b = buckets("bucket", args)?;
    let out: Vec<i32> = raw_f64(x)
        .into_iter()
        .map(|v| b.index(v).map_or(null::I32, |k| k as i32))
        .collect();
    let out = Vector::from_i32(DataType::Int, out);
    Ok(match &args[0] {
        Value::Scalar(_) => Value::Scalar(out),
        _ => Value::vector(out),
    })
}

/// `bucketCount(...)`: how many elements fall in each bucket.
fn bucket_count(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = bucket_input("bucketCount", &args[0])?;
    let b = buckets("bucketCount", args)?;
    let n = (b.num + 2 * b.outbound as i64) as usize;
    let mut counts = vec![0i32; n];
    for v in raw_f64(x) {
        if let Some(k) = b.index(v) {
            counts[k as usize] += 1;
        }
    }
    Ok(Value::vector(Vector::from_i32(DataType::Int, counts)))
}

/// `cutPoints(X, binNum, [freq])`: binNum+1 boundaries that split X's sorted values into
/// buckets of (nearly) equal counts; the last boundary is one above the maximum so every
/// bucket is [lower, upper). Equal values never straddle a boundary.
fn cut_points(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let Value::Vector(x) = &args[0] else {
        bail!("The argument X of function [cutPoints] must be a vector");
    };
    let bins = count_arg("cutPoints", &args[1], "binNum")?;
    if bins == 0 {
        bail!("The argument binNum of function [cutPoints] must be positive");
    }
    if !is_numeric(x.ty) && !x.ty.is_temporal() {
        bail!("The argument X of function [cutPoints] must be numeric or temporal");
    }
    let vals = raw_f64(x);
    // Distinct values in ascending order with their frequencies.
    let mut pairs: Vec<(f64, f64, usize)> = match args.get(2) {
        Some(f) if !f.is_void() => {
            let fv = match f {
                Value::Vector(v) => numeric_values("cutPoints", v)?,
                _ => bail!("The argument freq of function [cutPoints] must be a vector"),
            };
            if fv.len() != vals.len() {
                bail!("The arguments X and freq of function [cutPoints] must have the same length");
            }
            let mut p = Vec::with_capacity(vals.len());
            for (i, (&v, &w)) in vals.iter().zip(&fv).enumerate() {
                if !v.is_nan() && !w.is_nan() {
                    p.push((v, w, i));
                }
            }
            if p.windows(2).any(|w| w[1].0 <= w[0].0) {
                bail!("The elements of X must be unique and sorted in ascending order when freq is given in function [cutPoints]");
            }
            p
        }
        _ => {
            let mut idx: Vec<usize> = (0..vals.len()).filter(|&i| !vals[i].is_nan()).collect();
            idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
            let mut p: Vec<(f64, f64, usize)> = Vec::new();
            for i in idx {
                match p.last_mut() {
                    Some(last) if last.0 == vals[i] => last.1 += 1.0,
                    _ => p.push((vals[i], 1.0, i)),
                }
            }
            p
        }
    };
    if pairs.len() < bins {
        bail!("The number of distinct values of X must be at least binNum in function [cutPoints]");
    }
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    // Positions (in `pairs`) where a bucket starts: the first value whose count of smaller
    // values reaches k/binNum of the total.
    let mut pos: Vec<usize> = vec![0];
    let mut before = 0.0;
    for (j, p) in pairs.iter().enumerate() {
        if j > 0 && pos.len() < bins && before >= total * pos.len() as f64 / bins as f64 {
            pos.push(j);
        }
        before += p.1;
    }
    // Heavy ties at the top can leave too few starts: take the largest unused values.
    for j in (1..pairs.len()).rev() {
        if pos.len() >= bins {
            break;
        }
        if !pos.contains(&j) {
            pos.push(j);
        }
    }
    pos.sort_unstable();
    let picks: Vec<i64> = pos.iter().map(|&j| pairs[j].2 as i64).collect();
    let last = pairs.pop().map(|p| p.2).unwrap_or(0);
    let mut out = x.take(&picks);
    out.extend(&add_one(&x.take(&[last as i64]))?);
    Ok(Value::vector(out))
}

/// `v + 1` in v's own type (a temporal moves by one of its units, a decimal by 1).
fn add_one(v: &Vector) -> Result<Vector> {
    if v.ty.is_decimal() {
        let one = 10i128.pow(v.scale as u32);
        let data = match &v.data {
            Data::I32(x) => Data::I32(x.iter().map(|a| a.wrapping_add(one as i32)).collect()),
            Data::I64(x) => Data::I64(x.iter().map(|a| a.wrapping_add(one as i64)).collect()),
            Data::I128(x) => Data::I128(x.iter().map(|a| a.wrapping_add(one)).collect()),
            _ => bail!("The argument X of function [cutPoints] must be numeric or temporal"),
        };
        return Ok(Vector::decimal(v.ty, v.scale, data));
    }
    let data = match &v.data {
        Data::I8(x) => Data::I8(x.iter().map(|a| a.wrapping_add(1)).collect()),
        Data::I16(x) => Data::I16(x.iter().map(|a| a.wrapping_add(1)).collect()),
        Data::I32(x) => Data::I32(x.iter().map(|a| a.wrapping_add(1)).collect()),
        Data::I64(x) => Data::I64(x.iter().map(|a| a.wrapping_add(1)).collect()),
        Data::F32(x) => Data::F32(x.iter().map(|a| a + 1.0).collect()),
        Data::F64(x) => Data::F64(x.iter().map(|a| a + 1.0).collect()),
        _ => bail!("The argument X of function [cutPoints] must be numeric or temporal"),
    };
    Ok(Vector::decimal(v.ty, v.scale, data))
}

/// `digitize(x, bins, [right=false])`: numpy.digitize. For increasing bins the index i with
/// bins[i-1] <= x < bins[i] (right: bins[i-1] < x <= bins[i]); decreasing bins mirror it.
fn digitize(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = bind(env, "digitize", args, &["x", "bins", "right"])?;
    let x = p.req(0)?;
    let bins = match p.req(1)? {
        Value::Vector(v) => numeric_values("digitize", v)?,
        _ => bail!("The argument bins of function [digitize] must be a numeric vector"),
    };
    let right = p.flag(2, false)?;
    let increasing = bins.windows(2).all(|w| w[0] <= w[1]);
    let decreasing = bins.windows(2).all(|w| w[0] >= w[1]);
    if !increasing && !decreasing {
        bail!("The argument bins of function [digitize] must be monotonically increasing or decreasing");
    }
    let index = |v: f64| -> i32 {
        if v.is_nan() {
            return null::I32;
        }
        let k = if increasing {
            if right {
                bins.partition_point(|&b| b < v)
            } else {
                bins.partition_point(|&b| b <= v)
            }
        } else if right {
            bins.len() - bins.iter().rev().take_while(|&&b| b < v).count()
        } else {
            bins.len() - bins.iter().rev().take_while(|&&b| b <= v).count()
        };
        k as i32
    };
    let xv = match x {
        Value::Scalar(v) => v,
        Value::Vector(v) => &**v,
        _ => bail!("The argument x of function [digitize] must be a numeric scalar or vector"),
    };
    let out: Vec<i32> = numeric_values("digitize", xv)?
        .into_iter()
        .map(index)
        .collect();
    let out = Vector::from_i32(DataType::Int, out);
    Ok(match x {
        Value::Scalar(_) => Value::Scalar(out),
        _ => Value::vector(out),
    })
}

// ---------------------------------------------------------------------------------------------
// winsorize

#[derive(Clone, Copy, PartialEq)]
enum NanPolicy {
    Upper,
    Lower,
    Raise,
    Omit,
}

/// `winsorize(X, limit, [inclusive=true], [nanPolicy='upper'])`, as
/// scipy.stats.mstats.winsorize: the (n*limit[0]) smallest values become the next smallest,
/// the (n*limit[1]) largest the next largest. The type of X is kept.
fn winsorize(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let f = "winsorize";
    let p = bind(env, f, args, &["X", "limit", "inclusive", "nanPolicy"])?;
    let Value::Vector(x) = p.req(0)? else {
        bail!("The argument X of function [winsorize] must be a vector");
    };
    let limits = pair_arg(f, p.req(1)?, "limit")?;
    if limits.iter().any(|l| !(0.0..=1.0).contains(l)) {
        bail!("The argument limit of function [winsorize] must be between 0 and 1");
    }
    let inclusive = match p.get(2) {
        Some(v) => {
            let b = pair_arg(f, v, "inclusive")?;
            [b[0] != 0.0, b[1] != 0.0]
        }
        None => [true, true],
    };
    let policy = match p.get(3) {
        Some(v) => match str_arg(f, v, "nanPolicy")? {
            "upper" => NanPolicy::Upper,
            "lower" => NanPolicy::Lower,
            "raise" => NanPolicy::Raise,
            "omit" => NanPolicy::Omit,
            _ => bail!("The argument nanPolicy of function [winsorize] must be 'upper', 'lower', 'raise' or 'omit'"),
        },
        None => NanPolicy::Upper,
    };
    let vals = numeric_values(f, x)?;
    let nan_count = vals.iter().filter(|v| v.is_nan()).count();
    if policy == NanPolicy::Raise && nan_count > 0 {
        bail!("The input of function [winsorize] contains null values");
    }
    let n = vals.len();
    let key = |v: f64| match (v.is_nan(), policy) {
        (true, NanPolicy::Lower) => f64::NEG_INFINITY,
        (true, _) => f64::INFINITY,
        _ => v,
    };
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| key(vals[a]).total_cmp(&key(vals[b])));
    let count = |limit: f64, incl: bool| -> usize {
        let c = limit * n as f64;
        (if incl { c.floor() } else { round_half_even(c) }) as usize
    };
    let mut src: Vec<i64> = (0..n as i64).collect();
    if n > 0 && limits[0] > 0.0 {
        let mut low = count(limits[0], inclusive[0]).min(n - 1);
        if policy == NanPolicy::Omit && nan_count > 0 {
            low = low.min((n - nan_count).saturating_sub(1));
        }
        for &i in &idx[..low] {
            src[i] = idx[low] as i64;
        }
    }
    if n > 0 && limits[1] > 0.0 {
        let up = n.saturating_sub(count(limits[1], inclusive[1])).max(1);
        let end = if policy == NanPolicy::Omit && nan_count > 0 {
            n - nan_count
        } else {
            n
        };
        for &i in idx.get(up..end).unwrap_or(&[]) {
            src[i] = idx[up - 1] as i64;
        }
    }
    Ok(Value::vector(x.take(&src)))
}

/// numpy.round: halves go to the even neighbour.
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

/// A scalar (used for both sides) or a two-element vector, as f64.
fn pair_arg(func: &str, v: &Value, what: &str) -> Result<[f64; 2]> {
    match v {
        Value::Scalar(s) => match s.f64_at(0) {
            Some(x) => Ok([x, x]),
            None => bail!(
                "The argument {} of function [{}] must not be null",
                what,
                func
            ),
        },
        Value::Vector(s) | Value::Pair(s) if s.len() == 2 => match (s.f64_at(0), s.f64_at(1)) {
            (Some(a), Some(b)) => Ok([a, b]),
            _ => bail!(
                "The argument {} of function [{}] must not be null",
                what,
                func
            ),
        },
        _ => bail!(
            "The argument {} of function [{}] must be a scalar or a vector of 2 elements",
            what,
            func
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// hashBucket

/// `hashBucket(X, buckets)`: the bucket of each element under DolphinDB's HASH partitioning:
/// integral and temporal values by their value modulo `buckets`, strings by MurmurHash2
/// (32-bit, seed 0) of their bytes modulo `buckets`.
fn hash_bucket(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let b = match args[1].as_i64() {
        Some(b) if b > 0 && b <= i32::MAX as i64 => b,
        _ => bail!("The argument buckets of function [hashBucket] must be a positive integer"),
    };
    let v = match &args[0] {
        Value::Scalar(v) => v,
        Value::Vector(v) if !v.is_array() => &**v,
        _ => bail!("The argument X of function [hashBucket] must be a scalar or a vector"),
    };
    let n = v.len();
    let out: Vec<i32> = match &v.data {
        Data::Str(_) | Data::Sym(_) => (0..n)
            .map(|i| {
                let s = v.str_at(i).unwrap_or("");
                (murmur2(s.as_bytes()) as u64 % b as u64) as i32
            })
            .collect(),
        Data::Blob(x) => x
            .iter()
            .map(|s| (murmur2(s) as u64 % b as u64) as i32)
            .collect(),
        Data::I128(x) => x
            .iter()
            .map(|s| (murmur2(&s.to_le_bytes()) as u64 % b as u64) as i32)
            .collect(),
        Data::I8(_) | Data::I16(_) | Data::I32(_) | Data::I64(_) => (0..n)
            .map(|i| match v.i64_at(i) {
                Some(x) => x.rem_euclid(b) as i32,
                None => null::I32,
            })
            .collect(),
        _ => bail!("The argument X of function [hashBucket] must be an integral, temporal or literal value"),
    };
    let out = Vector::from_i32(DataType::Int, out);
    Ok(match &args[0] {
        Value::Scalar(_) => Value::Scalar(out),
        _ => Value::vector(out),
    })
}

/// DolphinDB's string hash (`hashBucket`, HASH partitions).
pub(crate) use value::hash::murmur2;

// ---------------------------------------------------------------------------------------------
// Random draws.

/// A process-wide xorshift64* generator seeded from the clock.
fn next_random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x2545_f491_4f6c_dd1d)
            | 1;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    STATE.store(x, Ordering::Relaxed);
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// A uniform draw in [0, 1).
fn next_unit() -> f64 {
    (next_random() >> 11) as f64 / (1u64 << 53) as f64
}

fn random_count(func: &str, v: &Value) -> Result<usize> {
    let n = count_arg(func, v, "count")?;
    if n == 0 || n > RANDOM_COUNT_MAX {
        bail!(
            "The argument count of function [{}] must be a positive integer no greater than {}",
            func,
            RANDOM_COUNT_MAX
        );
    }
    Ok(n)
}

fn scalar_f64(func: &str, v: &Value, what: &str) -> Result<f64> {
    match v.as_f64() {
        Some(x) => Ok(x),
        None => bail!(
            "The argument {} of function [{}] must be a numeric scalar",
            what,
            func
        ),
    }
}

/// `randNormal(mean, stdev, count)`: normal draws (Box-Muller).
fn rand_normal(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let mean = scalar_f64("randNormal", &args[0], "mean")?;
    let sd = scalar_f64("randNormal", &args[1], "stdev")?;
    if sd < 0.0 {
        bail!("The argument stdev of function [randNormal] must be non-negative");
    }
    let n = random_count("randNormal", &args[2])?;
    let xs = (0..n)
        .map(|_| {
            let u1 = next_unit().max(f64::MIN_POSITIVE);
            let u2 = next_unit();
            mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
        .collect();
    Ok(Value::vector(Vector::from_f64(xs)))
}

/// `randUniform(lower, upper, count)`: uniform draws in [lower, upper).
fn rand_uniform(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let lo = scalar_f64("randUniform", &args[0], "lower")?;
    let hi = scalar_f64("randUniform", &args[1], "upper")?;
    if hi < lo {
        bail!("The argument upper of function [randUniform] must not be less than lower");
    }
    let n = random_count("randUniform", &args[2])?;
    let xs = (0..n).map(|_| lo + (hi - lo) * next_unit()).collect();
    Ok(Value::vector(Vector::from_f64(xs)))
}

#[cfg(test)]
mod tests;
