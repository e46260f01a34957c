//! Sliding-window kernels: one column and its `Frames` in, one column out. Each kernel
//! slides in O(n) (running sums, a monotonic deque, a two-stack product) or O(n log n) (an
//! order-statistics tree), never O(n * window); readiness (warm-up, `minPeriods`) comes from
//! the frames.

use value::{null, DataType, Vector};

use super::frames::Frames;
use super::num::{dispatch_num, valid_mask, Num};
use super::promote::{numeric_view, to_f64_nan};
use super::stats::numeric;
use super::window::{Moments, MonoDeque, PairMoments, RankTree};
use crate::{Error, Result};

pub fn nan_to_null(x: f64) -> f64 {
    if x.is_nan() {
        null::F64
    } else {
        x
    }
}

/// Slides an invertible accumulator over values in float space (NaN = null).
pub fn slide<A>(
    x: &[f64],
    fr: &Frames,
    mut acc: A,
    add: impl Fn(&mut A, f64),
    remove: impl Fn(&mut A, f64),
    out: impl Fn(&A) -> Option<f64>,
) -> Vec<f64> {
    let mut lo = 0usize;
    let mut valid = 0usize;
    let mut res = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if !x[i].is_nan() {
            add(&mut acc, x[i]);
            valid += 1;
        }
        while lo < fr.starts[i] {
            if !x[lo].is_nan() {
                remove(&mut acc, x[lo]);
                valid -= 1;
            }
            lo += 1;
        }
        let r = if fr.ready(i, valid) { out(&acc) } else { None };
        res.push(nan_to_null(r.unwrap_or(f64::NAN)));
    }
    res
}

pub fn floats(name: &str, v: &Vector) -> Result<Vec<f64>> {
    to_f64_nan(numeric(name, v)?.as_ref())
}

/// Moving sum in the input's accumulator type: LONG for integers, DOUBLE for floats.
pub fn k_sum(name: &str, v: &Vector, fr: &Frames) -> Result<Vector> {
    let v = numeric(name, v)?;
    dispatch_num!(&v.data, T, s => Ok(if T::IS_FLOAT {
        let x: Vec<f64> = s.iter().map(|&e| if e.is_null() { f64::NAN } else { e.to_f64() }).collect();
        Vector::from_f64(slide(&x, fr, 0f64, |a, e| *a += e, |a, e| *a -= e, |a| Some(*a)))
    } else {
        let mut lo = 0usize;
        let mut valid = 0usize;
        let mut acc = 0i64;
        let out = (0..s.len()).map(|i| {
            if !s[i].is_null() {
                acc = acc.wrapping_add(s[i].to_i64());
                valid += 1;
            }
            while lo < fr.starts[i] {
                if !s[lo].is_null() {
                    acc = acc.wrapping_sub(s[lo].to_i64());
                    valid -= 1;
                }
                lo += 1;
            }
            if fr.ready(i, valid) { acc } else { null::I64 }
        }).collect();
        Vector::from_i64(DataType::Long, out)
    }), _ => Err(not_numeric(name, &v)))
}

pub fn k_moments(
    name: &str,
    v: &Vector,
    fr: &Frames,
    out: impl Fn(&Moments) -> Option<f64>,
) -> Result<Vector> {
    let x = floats(name, v)?;
    Ok(Vector::from_f64(slide(
        &x,
        fr,
        Moments::default(),
        |m, e| m.add(e),
        |m, e| m.remove(e),
        out,
    )))
}

pub fn k_sum2(name: &str, v: &Vector, fr: &Frames) -> Result<Vector> {
    let x = floats(name, v)?;
    Ok(Vector::from_f64(slide(
        &x,
        fr,
        0f64,
        |a, e| *a += e * e,
        |a, e| *a -= e * e,
        |a| Some(*a),
    )))
}

pub fn k_order(
    name: &str,
    v: &Vector,
    fr: &Frames,
    stat: impl Fn(&RankTree) -> Option<f64>,
) -> Result<Vector> {
    let x = floats(name, v)?;
    let tree = RankTree::new(&x);
    Ok(Vector::from_f64(slide(
        &x,
        fr,
        tree,
        |t, e| t.insert(e),
        |t, e| t.remove(e),
        stat,
    )))
}

pub fn k_count(v: &Vector, fr: &Frames) -> Vector {
    let valid = valid_mask(v);
    let mut lo = 0usize;
    let mut n = 0usize;
    let out = (0..valid.len())
        .map(|i| {
            n += valid[i] as usize;
            while lo < fr.starts[i] {
                n -= valid[lo] as usize;
                lo += 1;
            }
            if fr.ready(i, n) {
                n as i32
            } else {
                null::I32
            }
        })
        .collect();
    Vector::from_i32(DataType::Int, out)
}

/// Window extremes with a monotonic deque; `index` gives the position within the window
/// (`mimax`) instead of the value.
pub fn k_extreme(
    name: &str,
    v: &Vector,
    fr: &Frames,
    want_max: bool,
    index: bool,
) -> Result<Vector> {
    if v.ty.is_decimal() || !(numeric_view(v.ty).is_some() || v.ty.is_temporal()) {
        return Err(not_numeric(name, v));
    }
    dispatch_num!(&v.data, T, s => {
        let mut dq = MonoDeque::new(want_max);
        let mut lo = 0usize;
        let mut valid = 0usize;
        let mut vals: Vec<T> = Vec::with_capacity(if index { 0 } else { s.len() });
        let mut idx: Vec<i32> = Vec::with_capacity(if index { s.len() } else { 0 });
        for i in 0..s.len() {
            if !s[i].is_null() {
                dq.push(i, s[i], |j| s[j]);
                valid += 1;
            }
            while lo < fr.starts[i] {
                valid -= !s[lo].is_null() as usize;
                lo += 1;
            }
            dq.expire(lo);
            let best = dq.best().filter(|_| fr.ready(i, valid));
            if index {
                idx.push(best.map(|b| (b - lo) as i32).unwrap_or(null::I32));
            } else {
                vals.push(best.map(|b| s[b]).unwrap_or(T::NULL));
            }
        }
        Ok(if index {
            Vector::from_i32(DataType::Int, idx)
        } else {
            Vector::new(v.ty, T::into_data(vals))
        })
    }, _ => Err(not_numeric(name, v)))
}

/// Window product with a two-stack queue: exact, amortized O(1) per element.
pub fn k_prod(name: &str, v: &Vector, fr: &Frames) -> Result<Vector> {
    let x = floats(name, v)?;
    let mut front: Vec<f64> = Vec::new(); // suffix products of the older half
    let mut back_prod = 1f64;
    let mut back: Vec<f64> = Vec::new();
    let mut lo = 0usize;
    let mut valid = 0usize;
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let e = if x[i].is_nan() { 1.0 } else { x[i] };
        valid += !x[i].is_nan() as usize;
        back.push(e);
        back_prod *= e;
        while lo < fr.starts[i] {
            if front.is_empty() {
                let mut acc = 1f64;
                for &b in back.iter().rev() {
                    acc *= b;
                    front.push(acc);
                }
                back.clear();
                back_prod = 1.0;
            }
            front.pop();
            valid -= !x[lo].is_nan() as usize;
            lo += 1;
        }
        let p = front.last().copied().unwrap_or(1.0) * back_prod;
        out.push(if fr.ready(i, valid) {
            nan_to_null(p)
        } else {
            null::F64
        });
    }
    Ok(Vector::from_f64(out))
}

/// The window's first or last element, or its first or last non-null one, for any type.
pub fn k_pick(v: &Vector, fr: &Frames, last: bool, skip_null: bool) -> Vector {
    let valid = valid_mask(v);
    let n = valid.len();
    let mut prefix = vec![0usize; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + valid[i] as usize;
    }
    let mut next_valid = vec![usize::MAX; n + 1];
    for i in (0..n).rev() {
        next_valid[i] = if valid[i] { i } else { next_valid[i + 1] };
    }
    let mut prev_valid = vec![usize::MAX; n];
    let mut seen = usize::MAX;
    for i in 0..n {
        if valid[i] {
            seen = i;
        }
        prev_valid[i] = seen;
    }
    let idx: Vec<i64> = (0..n)
        .map(|i| {
            let start = fr.starts[i];
            if !fr.ready(i, prefix[i + 1] - prefix[start]) {
                return -1;
            }
            let p = match (last, skip_null) {
                (false, false) => start,
                (true, false) => i,
                (false, true) => next_valid[start],
                (true, true) => prev_valid[i],
            };
            if p == usize::MAX || p < start || p > i {
                -1
            } else {
                p as i64
            }
        })
        .collect();
    v.take(&idx)
}

/// Pairwise sliding statistics over (x, y) where both are non-null.
pub fn k_pairs(
    name: &str,
    xv: &Vector,
    yv: &Vector,
    fr: &Frames,
    out: impl Fn(&PairMoments) -> Option<f64>,
) -> Result<Vector> {
    let x = floats(name, xv)?;
    let y = floats(name, yv)?;
    if x.len() != y.len() {
        return Err(Error::new(format!(
            "The arguments of [{name}] must have the same length."
        )));
    }
    let ok = |i: usize| !x[i].is_nan() && !y[i].is_nan();
    let mut m = PairMoments::default();
    let mut lo = 0usize;
    let res = (0..x.len())
        .map(|i| {
            if ok(i) {
                m.add(x[i], y[i]);
            }
            while lo < fr.starts[i] {
                if ok(lo) {
                    m.remove(x[lo], y[lo]);
                }
                lo += 1;
            }
            let r = if fr.ready(i, m.n) { out(&m) } else { None };
            nan_to_null(r.unwrap_or(f64::NAN))
        })
        .collect();
    Ok(Vector::from_f64(res))
}

pub fn not_numeric(name: &str, v: &Vector) -> Error {
    Error::new(format!(
        "The function [{name}] doesn't support the data type {}.",
        v.ty.name()
    ))
}
