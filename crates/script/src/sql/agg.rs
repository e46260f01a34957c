//! Per-group aggregate kernels: one pass over a column and the rows' group ids, for the
//! common aggregates. Anything else (other functions, other types) goes through the generic
//! path in `grouped.rs`, which slices each group and calls the built-in.
//!
//! Results match the built-ins exactly (types and null rules): integral sums are LONG, float
//! sums, averages and deviations DOUBLE, `count` INT, `min`/`max`/`first`/`last` keep the
//! column's type, and a group without a non-null value gives null (0 for `count`).
//!
//! Distributed execution (DESIGN.md §3): a partition computes partial states (`partial`) and
//! the entry node merges them (`combine`). `count`, `sum`, `min`, `max` merge as themselves
//! (counts add up), `avg` ships `sum` and `count`, `std`/`var` ship count, mean and the sum of
//! squared deviations, `first`/`last` ship the partition's value (partitions are merged in
//! table order, so the first partial of a group is its first row's).

use value::{null, Data, DataType, Vector};

/// The aggregates with a one-pass kernel.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Fast {
    Count,
    Size,
    Sum,
    Sum2,
    Avg,
    Min,
    Max,
    First,
    Last,
    Std,
    Var,
    Stdp,
    Varp,
    Wsum,
    Wavg,
}

impl Fast {
    /// The kernel for built-in `name` called with `nargs` arguments.
    pub fn of(name: &str, nargs: usize) -> Option<Fast> {
        Some(match (name, nargs) {
            ("count", 1) => Fast::Count,
            ("size", 1) => Fast::Size,
            ("sum", 1) => Fast::Sum,
            ("sum2", 1) => Fast::Sum2,
            ("avg" | "mean", 1) => Fast::Avg,
            ("min", 1) => Fast::Min,
            ("max", 1) => Fast::Max,
            ("first", 1) => Fast::First,
            ("last", 1) => Fast::Last,
            ("std", 1) => Fast::Std,
            ("var", 1) => Fast::Var,
            ("stdp", 1) => Fast::Stdp,
            ("varp", 1) => Fast::Varp,
            ("wsum", 2) => Fast::Wsum,
            ("wavg", 2) => Fast::Wavg,
            _ => return None,
        })
    }
}

/// Is `ty` a plain numeric type the kernels treat as numbers (decimals and temporal types go
/// through the built-ins, which define their own conversions)?
fn plain_numeric(ty: DataType) -> bool {
    matches!(
        ty,
        DataType::Bool
            | DataType::Char
            | DataType::Short
            | DataType::Int
            | DataType::Long
            | DataType::Float
            | DataType::Double
    )
}

/// A numeric element read as f64 or i64 inside a kernel.
trait Elem: Copy {
    fn is_null(self) -> bool;
    fn f(self) -> f64;
    fn i(self) -> i64;
}

macro_rules! elem {
    ($t:ty, $nul:expr) => {
        impl Elem for $t {
            #[inline(always)]
            fn is_null(self) -> bool {
                self == $nul
            }
            #[inline(always)]
            fn f(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn i(self) -> i64 {
                self as i64
            }
        }
    };
}
elem!(i8, null::I8);
elem!(i16, null::I16);
elem!(i32, null::I32);
elem!(i64, null::I64);
elem!(f32, null::F32);
elem!(f64, null::F64);

/// Runs `$body` with `$s` the typed slice of a numeric vector; `None` for other storages.
macro_rules! numeric_slice {
    ($data:expr, $s:ident => $body:expr) => {
        match $data {
            Data::I8($s) => Some($body),
            Data::I16($s) => Some($body),
            Data::I32($s) => Some($body),
            Data::I64($s) => Some($body),
            Data::F32($s) => Some($body),
            Data::F64($s) => Some($body),
            _ => None,
        }
    };
}

fn doubles(v: Vec<f64>) -> Vector {
    Vector::from_f64(
        v.into_iter()
            .map(|x| if x.is_nan() { null::F64 } else { x })
            .collect(),
    )
}

fn count_kernel<T: Elem>(s: &[T], ids: &[u32], n: usize) -> Vec<i32> {
    let mut c = vec![0i32; n];
    for (&x, &g) in s.iter().zip(ids) {
        if !x.is_null() {
            c[g as usize] += 1;
        }
    }
    c
}

fn sum_int<T: Elem>(s: &[T], ids: &[u32], n: usize) -> Vector {
    let mut acc = vec![0i64; n];
    let mut cnt = vec![0u32; n];
    for (&x, &g) in s.iter().zip(ids) {
        if !x.is_null() {
            let g = g as usize;
            acc[g] = acc[g].wrapping_add(x.i());
            cnt[g] += 1;
        }
    }
    let out = acc
        .into_iter()
        .zip(cnt)
        .map(|(a, c)| if c > 0 { a } else { null::I64 })
        .collect();
    Vector::from_i64(DataType::Long, out)
}

/// Sum and count of non-null values per group, in f64 (floats) or i128 (integers, exact).
fn sums<T: Elem>(s: &[T], ids: &[u32], n: usize, float: bool) -> (Vec<f64>, Vec<u32>) {
    let mut cnt = vec![0u32; n];
    if float {
        let mut acc = vec![0f64; n];
        for (&x, &g) in s.iter().zip(ids) {
            if !x.is_null() {
                acc[g as usize] += x.f();
                cnt[g as usize] += 1;
            }
        }
        (acc, cnt)
    } else {
        let mut acc = vec![0i128; n];
        for (&x, &g) in s.iter().zip(ids) {
            if !x.is_null() {
                acc[g as usize] += x.i() as i128;
                cnt[g as usize] += 1;
            }
        }
        (acc.into_iter().map(|a| a as f64).collect(), cnt)
    }
}

fn sum2_kernel<T: Elem>(s: &[T], ids: &[u32], n: usize) -> Vector {
    let mut acc = vec![0f64; n];
    let mut cnt = vec![0u32; n];
    for (&x, &g) in s.iter().zip(ids) {
        if !x.is_null() {
            let v = x.f();
            acc[g as usize] += v * v;
            cnt[g as usize] += 1;
        }
    }
    doubles(
        acc.into_iter()
            .zip(cnt)
            .map(|(a, c)| if c > 0 { a } else { f64::NAN })
            .collect(),
    )
}

/// Sample or population variance per group, two passes as the built-in computes it.
fn var_kernel<T: Elem>(s: &[T], ids: &[u32], n: usize, sample: bool) -> Vec<f64> {
    let (sum, cnt) = sums(s, ids, n, true);
    let mean: Vec<f64> = sum
        .iter()
        .zip(&cnt)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
        .collect();
    let mut ss = vec![0f64; n];
    for (&x, &g) in s.iter().zip(ids) {
        if !x.is_null() {
            let d = x.f() - mean[g as usize];
            ss[g as usize] += d * d;
        }
    }
    ss.into_iter()
        .zip(cnt)
        .map(|(ss, c)| {
            let d = if sample { c as f64 - 1.0 } else { c as f64 };
            if c == 0 || d <= 0.0 {
                f64::NAN
            } else {
                ss / d
            }
        })
        .collect()
}

fn extreme_kernel<T: Elem + PartialOrd>(
    s: &[T],
    ids: &[u32],
    n: usize,
    max: bool,
    nul: T,
) -> Vec<T> {
    let mut best = vec![nul; n];
    for (&x, &g) in s.iter().zip(ids) {
        if x.is_null() {
            continue;
        }
        let b = &mut best[g as usize];
        if b.is_null() || (max && x > *b) || (!max && x < *b) {
            *b = x;
        }
    }
    best
}

fn min_max(v: &Vector, ids: &[u32], n: usize, max: bool) -> Option<Vector> {
    let data = match &v.data {
        Data::I8(s) => Data::I8(extreme_kernel(s, ids, n, max, null::I8)),
        Data::I16(s) => Data::I16(extreme_kernel(s, ids, n, max, null::I16)),
        Data::I32(s) => Data::I32(extreme_kernel(s, ids, n, max, null::I32)),
        Data::I64(s) => Data::I64(extreme_kernel(s, ids, n, max, null::I64)),
        Data::F32(s) => Data::F32(extreme_kernel(s, ids, n, max, null::F32)),
        Data::F64(s) => Data::F64(extreme_kernel(s, ids, n, max, null::F64)),
        _ => return None,
    };
    if v.ty.is_decimal() {
        return None;
    }
    Some(Vector {
        ty: v.ty,
        scale: v.scale,
        data,
    })
}

/// Weighted sums per group over rows where both value and weight are not null.
fn weighted<T: Elem, U: Elem>(
    x: &[T],
    w: &[U],
    ids: &[u32],
    n: usize,
) -> (Vec<f64>, Vec<f64>, Vec<u32>) {
    let mut xw = vec![0f64; n];
    let mut ws = vec![0f64; n];
    let mut cnt = vec![0u32; n];
    for ((&a, &b), &g) in x.iter().zip(w).zip(ids) {
        if !a.is_null() && !b.is_null() {
            let g = g as usize;
            xw[g] += a.f() * b.f();
            ws[g] += b.f();
            cnt[g] += 1;
        }
    }
    (xw, ws, cnt)
}

/// Gathers the first (or last) row of each group.
fn pick(v: &Vector, ids: &[u32], n: usize, last: bool) -> Vector {
    let mut at = vec![-1i64; n];
    for (r, &g) in ids.iter().enumerate() {
        let slot = &mut at[g as usize];
        if last || *slot < 0 {
            *slot = r as i64;
        }
    }
    v.take(&at)
}

/// Runs kernel `f` over `args` (full-length columns) grouped by `ids`; None when the kernel
/// does not handle these argument types (the caller falls back to the built-in).
pub fn run(f: Fast, args: &[&Vector], ids: &[u32], n: usize) -> Option<Vector> {
    let x = *args.first()?;
    if x.len() != ids.len() {
        return None;
    }
    match f {
        Fast::First => return Some(pick(x, ids, n, false)),
        Fast::Last => return Some(pick(x, ids, n, true)),
        Fast::Size => {
            let mut c = vec![0i32; n];
            for &g in ids {
                c[g as usize] += 1;
            }
            return Some(Vector::from_i32(DataType::Int, c));
        }
        Fast::Count => {
            let c = match &x.data {
                Data::Str(s) => {
                    let mut c = vec![0i32; n];
                    for (v, &g) in s.iter().zip(ids) {
                        c[g as usize] += i32::from(!v.is_empty());
                    }
                    c
                }
                Data::Sym(s) => {
                    let mut c = vec![0i32; n];
                    for (&code, &g) in s.codes.iter().zip(ids) {
                        c[g as usize] += i32::from(!s.base.get(code).is_empty());
                    }
                    c
                }
                Data::Void(_) => vec![0; n],
                data => numeric_slice!(data, s => count_kernel(s, ids, n))?,
            };
            return Some(Vector::from_i32(DataType::Int, c));
        }
        Fast::Min | Fast::Max => return min_max(x, ids, n, f == Fast::Max),
        _ => {}
    }
    if !plain_numeric(x.ty) {
        return None;
    }
    let float = matches!(x.ty, DataType::Float | DataType::Double);
    match f {
        Fast::Sum if float => numeric_slice!(&x.data, s => {
            let (acc, cnt) = sums(s, ids, n, true);
            doubles(acc.into_iter().zip(cnt).map(|(a, c)| if c > 0 { a } else { f64::NAN }).collect())
        }),
        Fast::Sum => numeric_slice!(&x.data, s => sum_int(s, ids, n)),
        Fast::Sum2 => numeric_slice!(&x.data, s => sum2_kernel(s, ids, n)),
        Fast::Avg => numeric_slice!(&x.data, s => {
            let (acc, cnt) = sums(s, ids, n, float);
            doubles(acc.into_iter().zip(cnt).map(|(a, c)| if c > 0 { a / c as f64 } else { f64::NAN }).collect())
        }),
        Fast::Var | Fast::Varp | Fast::Std | Fast::Stdp => {
            let sample = matches!(f, Fast::Var | Fast::Std);
            let v = numeric_slice!(&x.data, s => var_kernel(s, ids, n, sample))?;
            let v = if matches!(f, Fast::Std | Fast::Stdp) {
                v.into_iter().map(f64::sqrt).collect()
            } else {
                v
            };
            Some(doubles(v))
        }
        Fast::Wsum | Fast::Wavg => {
            let w = *args.get(1)?;
            if !plain_numeric(w.ty) || w.len() != ids.len() {
                return None;
            }
            let (xw, ws, cnt) = numeric_slice!(&x.data, a => {
                numeric_slice!(&w.data, b => weighted(a, b, ids, n))
            })??;
            let out = (0..n)
                .map(|g| match (f, cnt[g]) {
                    (_, 0) => f64::NAN,
                    (Fast::Wsum, _) => xw[g],
                    _ => xw[g] / ws[g],
                })
                .collect();
            Some(doubles(out))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Map/reduce over partitions: partial states and their merge.

/// Count, mean and sum of squared deviations per group (two passes, as `var_kernel`).
fn moments<T: Elem>(s: &[T], ids: &[u32], n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (sum, cnt) = sums(s, ids, n, true);
    let mean: Vec<f64> = sum
        .iter()
        .zip(&cnt)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
        .collect();
    let mut m2 = vec![0f64; n];
    for (&x, &g) in s.iter().zip(ids) {
        if !x.is_null() {
            let d = x.f() - mean[g as usize];
            m2[g as usize] += d * d;
        }
    }
    (cnt.into_iter().map(|c| c as f64).collect(), mean, m2)
}

/// The evaluated arguments of an aggregate as columns of `rows` rows; None when one is not such
/// a column (a scalar, another length: the kernels don't take it).
pub fn row_columns(vals: &[value::Value], rows: usize) -> Option<Vec<&Vector>> {
    vals.iter()
        .map(|v| match v {
            value::Value::Vector(x) if x.len() == rows => Some(&**x),
            _ => None,
        })
        .collect()
}

/// The partial states of aggregate `f` per group of one partition (the map step), merged by
/// [`combine`] once the partitions' groups are put together. `count(*)` is `Size` without
/// arguments. None when the kernels do not handle these argument types (the caller then
/// computes the aggregate over all rows at once).
///
/// States: `count`/`size` -> count; `sum`, `sum2`, `min`, `max`, `first`, `last`, `wsum` ->
/// themselves; `avg` -> sum and count; `std`/`var`/`stdp`/`varp` -> count, mean and the sum of
/// squared deviations from the mean; `wavg` -> sum of value x weight and sum of weights.
pub fn partial(f: Fast, args: &[&Vector], ids: &[u32], n: usize) -> Option<Vec<Vector>> {
    if f == Fast::Size && args.is_empty() {
        let mut c = vec![0i32; n];
        for &g in ids {
            c[g as usize] += 1;
        }
        return Some(vec![Vector::from_i32(DataType::Int, c)]);
    }
    let x = *args.first()?;
    if x.len() != ids.len() {
        return None;
    }
    match f {
        Fast::Avg => {
            if !plain_numeric(x.ty) {
                return None;
            }
            Some(vec![
                run(Fast::Sum, args, ids, n)?,
                run(Fast::Count, args, ids, n)?,
            ])
        }
        Fast::Std | Fast::Var | Fast::Stdp | Fast::Varp => {
            if !plain_numeric(x.ty) {
                return None;
            }
            let (c, mean, m2) = numeric_slice!(&x.data, s => moments(s, ids, n))?;
            Some(vec![
                Vector::from_f64(c),
                Vector::from_f64(mean),
                Vector::from_f64(m2),
            ])
        }
        Fast::Wavg => {
            let w = *args.get(1)?;
            if !plain_numeric(x.ty) || !plain_numeric(w.ty) || w.len() != ids.len() {
                return None;
            }
            let (xw, ws, cnt) = numeric_slice!(&x.data, a => {
                numeric_slice!(&w.data, b => weighted(a, b, ids, n))
            })??;
            let none = |v: Vec<f64>| -> Vector {
                doubles(
                    v.into_iter()
                        .zip(&cnt)
                        .map(|(x, &c)| if c > 0 { x } else { f64::NAN })
                        .collect(),
                )
            };
            Some(vec![none(xw), none(ws)])
        }
        _ => Some(vec![run(f, args, ids, n)?]),
    }
}

/// [`partial`] for one group holding all `rows` rows (an aggregate without `group by`),
/// computed by the built-ins over whole columns, which need no group ids. None when the
/// states need the kernels (`wavg`) or the built-in fails.
pub fn partial_whole(
    env: &mut dyn crate::builtins::Env,
    f: Fast,
    args: &[&Vector],
    rows: usize,
) -> Option<Vec<Vector>> {
    if rows == 0 {
        return partial(f, args, &[], 0);
    }
    if f == Fast::Size && args.is_empty() {
        return Some(vec![Vector::from_i32(DataType::Int, vec![rows as i32])]);
    }
    let mut call = |name: &str, args: &[&Vector]| -> Option<Vector> {
        let b = crate::builtins::lookup(name)?;
        let vals: Vec<value::Value> = args
            .iter()
            .map(|a| value::Value::vector((*a).clone()))
            .collect();
        match (b.f)(env, &vals).ok()? {
            value::Value::Scalar(x) => Some(x),
            _ => None,
        }
    };
    let name = match f {
        Fast::Count => "count",
        Fast::Size => "size",
        Fast::Sum => "sum",
        Fast::Sum2 => "sum2",
        Fast::Min => "min",
        Fast::Max => "max",
        Fast::First => "first",
        Fast::Last => "last",
        Fast::Wsum => "wsum",
        Fast::Avg => {
            return Some(vec![call("sum", args)?, call("count", args)?]);
        }
        Fast::Std | Fast::Var | Fast::Stdp | Fast::Varp => {
            let c = call("count", args)?.f64_at(0).unwrap_or(0.0);
            let mean = call("avg", args)?.f64_at(0).unwrap_or(0.0);
            let m2 = call("varp", args)?.f64_at(0).unwrap_or(0.0) * c;
            return Some(vec![
                Vector::from_f64(vec![c]),
                Vector::from_f64(vec![mean]),
                Vector::from_f64(vec![m2]),
            ]);
        }
        Fast::Wavg => return None,
    };
    Some(vec![call(name, args)?])
}

/// Per group, the sum of the non-null values of a partial column as f64 and whether there
/// was one.
fn partial_sums(v: &Vector, ids: &[u32], n: usize) -> Option<(Vec<f64>, Vec<u32>)> {
    let float = matches!(v.ty, DataType::Float | DataType::Double);
    numeric_slice!(&v.data, s => sums(s, ids, n, float))
}

/// The reduce step: merges the partial states of [`partial`] (rows of several partitions,
/// regrouped into `n` groups by `ids`) into the aggregate's value per group, with the type
/// the one-pass kernel gives over all rows at once.
pub fn combine(f: Fast, parts: &[&Vector], ids: &[u32], n: usize) -> Option<Vector> {
    let p = *parts.first()?;
    if p.len() != ids.len() {
        return None;
    }
    match f {
        Fast::Count | Fast::Size => {
            let s = run(Fast::Sum, &[p], ids, n)?;
            let Data::I64(v) = &s.data else {
                return None;
            };
            let c = v
                .iter()
                .map(|&x| if x == null::I64 { 0 } else { x as i32 })
                .collect();
            Some(Vector::from_i32(DataType::Int, c))
        }
        Fast::Sum | Fast::Sum2 | Fast::Wsum => run(Fast::Sum, &[p], ids, n),
        Fast::Min | Fast::Max | Fast::First | Fast::Last => run(f, &[p], ids, n),
        Fast::Avg => {
            let c = *parts.get(1)?;
            // Integral sums add up exactly (i128), as the one-pass kernel sums them.
            let sum: Vec<f64> = match &p.data {
                Data::I64(s) => {
                    let mut acc = vec![0i128; n];
                    for (&x, &g) in s.iter().zip(ids) {
                        if x != null::I64 {
                            acc[g as usize] += x as i128;
                        }
                    }
                    acc.into_iter().map(|a| a as f64).collect()
                }
                _ => partial_sums(p, ids, n)?.0,
            };
            let (cnt, _) = partial_sums(c, ids, n)?;
            Some(doubles(
                sum.into_iter()
                    .zip(cnt)
                    .map(|(s, c)| if c > 0.0 { s / c } else { f64::NAN })
                    .collect(),
            ))
        }
        Fast::Std | Fast::Var | Fast::Stdp | Fast::Varp => {
            let (Data::F64(c), Data::F64(mean), Data::F64(m2)) =
                (&p.data, &parts.get(1)?.data, &parts.get(2)?.data)
            else {
                return None;
            };
            // Chan et al.: merge (count, mean, M2) of the parts of each group.
            let mut acc = vec![(0f64, 0f64, 0f64); n];
            for r in 0..ids.len() {
                let (nb, mb, qb) = (c[r], mean[r], m2[r]);
                if nb == 0.0 {
                    continue;
                }
                let a = &mut acc[ids[r] as usize];
                let total = a.0 + nb;
                let delta = mb - a.1;
                a.2 += qb + delta * delta * a.0 * nb / total;
                a.1 += delta * nb / total;
                a.0 = total;
            }
            let sample = matches!(f, Fast::Std | Fast::Var);
            let root = matches!(f, Fast::Std | Fast::Stdp);
            Some(doubles(
                acc.into_iter()
                    .map(|(cnt, _, q)| {
                        let d = if sample { cnt - 1.0 } else { cnt };
                        if cnt == 0.0 || d <= 0.0 {
                            f64::NAN
                        } else if root {
                            (q / d).sqrt()
                        } else {
                            q / d
                        }
                    })
                    .collect(),
            ))
        }
        Fast::Wavg => {
            let (xw, has) = partial_sums(p, ids, n)?;
            let (ws, _) = partial_sums(parts.get(1)?, ids, n)?;
            Some(doubles(
                (0..n)
                    .map(|g| if has[g] > 0 { xw[g] / ws[g] } else { f64::NAN })
                    .collect(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::{lookup, Env, Host};
    use value::{Table, Value};

    struct NoEnv;
    impl Env for NoEnv {
        fn call(&mut self, _: &Value, _: &[Value]) -> crate::Result<Value> {
            Err(crate::Error::new("no calls"))
        }
        fn print(&mut self, _: &str) {}
        fn get_var(&self, _: &str) -> Option<Value> {
            None
        }
        fn set_var(&mut self, _: &str, _: Value) -> crate::Result<()> {
            Ok(())
        }
        fn host(&self) -> &dyn Host {
            unreachable!("aggregates need no host")
        }
    }

    fn builtin(name: &str, args: &[Value]) -> Value {
        let b = lookup(name).expect("registered");
        (b.f)(&mut NoEnv, args).expect("built-in result")
    }

    /// Every kernel gives, per group, exactly what the built-in gives on that group's rows.
    #[test]
    fn kernels_match_builtins() {
        let ids: Vec<u32> = vec![0, 1, 0, 2, 1, 0, 2, 2, 1, 3];
        let n = 4;
        let cols = vec![
            Vector::from_i32(
                DataType::Int,
                vec![3, null::I32, 7, 1, 2, -5, null::I32, 9, 4, null::I32],
            ),
            Vector::from_f64(vec![
                1.5,
                2.25,
                null::F64,
                0.1,
                0.7,
                3.0,
                1e10,
                -2.0,
                0.3,
                null::F64,
            ]),
            Vector::from_i64(DataType::Timestamp, vec![5, 4, 3, 2, 1, 0, 9, 8, 7, 6]),
        ];
        let weights = Vector::from_i32(DataType::Int, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        let names = [
            "count", "size", "sum", "sum2", "avg", "min", "max", "first", "last", "std", "var",
            "stdp", "varp", "wsum", "wavg",
        ];
        for col in &cols {
            for name in names {
                let two = matches!(name, "wsum" | "wavg");
                let f = Fast::of(name, if two { 2 } else { 1 }).expect("fast");
                let args: Vec<&Vector> = if two { vec![col, &weights] } else { vec![col] };
                let Some(got) = run(f, &args, &ids, n) else {
                    continue;
                };
                assert_eq!(got.len(), n);
                for g in 0..n {
                    let rows: Vec<i64> = (0..ids.len())
                        .filter(|&r| ids[r] as usize == g)
                        .map(|r| r as i64)
                        .collect();
                    let mut bargs = vec![Value::vector(col.take(&rows))];
                    if two {
                        bargs.push(Value::vector(weights.take(&rows)));
                    }
                    let want = builtin(name, &bargs);
                    let got_g = Value::Scalar(got.slice(g, g + 1));
                    assert_eq!(
                        format!("{:?}", got_g),
                        format!("{:?}", want),
                        "{name} over {:?} group {g}",
                        col.ty
                    );
                }
            }
        }
        let _ = Table::default();
    }

    /// Partial states of row chunks, merged, give what the kernel gives over all rows.
    #[test]
    fn partials_merge_to_the_one_pass_result() {
        let rows = 200usize;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let keys: Vec<i32> = (0..rows).map(|_| (next() % 7) as i32).collect();
        let ints: Vec<i32> = (0..rows)
            .map(|_| match next() % 10 {
                0 => null::I32,
                v => (next() % 1000) as i32 - 500 + v as i32,
            })
            .collect();
        let dbls: Vec<f64> = (0..rows)
            .map(|_| match next() % 9 {
                0 => null::F64,
                _ => (next() % 100_000) as f64 / 7.0 - 5000.0,
            })
            .collect();
        let cols = [
            Vector::from_i32(DataType::Int, ints.clone()),
            Vector::from_f64(dbls.clone()),
            Vector::from_i32(DataType::Date, ints),
        ];
        let w = Vector::from_i32(DataType::Int, (0..rows).map(|i| (i % 5) as i32).collect());
        let key = Vector::from_i32(DataType::Int, keys.clone());
        let names = [
            "count", "size", "sum", "sum2", "avg", "min", "max", "first", "last", "std", "var",
            "stdp", "varp", "wsum", "wavg",
        ];
        let cuts = [0usize, 13, 13, 90, 150, 200];
        let whole = crate::sql::keys::group_ids(&[&key], rows);
        for col in &cols {
            for name in names {
                let two = matches!(name, "wsum" | "wavg");
                let f = Fast::of(name, if two { 2 } else { 1 }).expect("fast");
                let args: Vec<&Vector> = if two { vec![col, &w] } else { vec![col] };
                let Some(want) = run(f, &args, &whole.ids, whole.n) else {
                    assert!(partial(f, &args, &whole.ids, whole.n).is_none(), "{name}");
                    continue;
                };
                // Map: per chunk, its own group ids and partial states with the group keys.
                let mut pkeys = Vector::empty(DataType::Int);
                let mut pstates: Vec<Vector> = Vec::new();
                for c in cuts.windows(2) {
                    let idx: Vec<i64> = (c[0] as i64..c[1] as i64).collect();
                    let k = key.take(&idx);
                    let g = crate::sql::keys::group_ids(&[&k], idx.len());
                    let sub: Vec<Vector> = args.iter().map(|a| a.take(&idx)).collect();
                    let subr: Vec<&Vector> = sub.iter().collect();
                    let st = partial(f, &subr, &g.ids, g.n).expect("partial");
                    let first: Vec<i64> = g.first.iter().map(|&r| r as i64).collect();
                    assert!(pkeys.extend(&k.take(&first)));
                    if pstates.is_empty() {
                        pstates = st;
                    } else {
                        for (a, b) in pstates.iter_mut().zip(&st) {
                            assert!(a.extend(b));
                        }
                    }
                }
                // Reduce: regroup by key (the whole grouping numbers groups by first
                // appearance, and so does this one: chunks are in row order).
                let g = crate::sql::keys::group_ids(&[&pkeys], pkeys.len());
                assert_eq!(g.n, whole.n);
                let refs: Vec<&Vector> = pstates.iter().collect();
                let got = combine(f, &refs, &g.ids, g.n).expect("combine");
                assert_eq!((got.ty, got.len()), (want.ty, want.len()), "{name}");
                for i in 0..want.len() {
                    match (want.f64_at(i), got.f64_at(i)) {
                        (Some(a), Some(b)) => assert!(
                            (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                            "{name} over {:?}: {a} vs {b}",
                            col.ty
                        ),
                        (a, b) => assert_eq!(a, b, "{name} over {:?} group {i}", col.ty),
                    }
                }
            }
        }
    }
}
