//! Built-ins: cumulative window functions (`cumsum`, `cumprod`, `cummax`, `cumavg`,
//! `cumstd`, `cummed`, `cumpercentile`, `cumfirstNot`, `cumnunique`, `cumcorr`, ...).
//!
//! The window of element i is elements 0..=i. Nulls are skipped: at a null the previous result
//! carries on, and before the first non-null value the result is null (`cumcount` gives 0).
//! A matrix or table is processed column by column. Integral `cumsum`/`cumprod` give LONG,
//! float ones DOUBLE; `cummax`/`cummin` keep the type; statistics are DOUBLE.

use std::collections::HashSet;

use value::{null, Data, DataType, Value, Vector};

use super::kernels::form::{map_column_pairs, map_columns};
use super::kernels::num::{dispatch_num, valid_mask, Num};
use super::kernels::promote::to_f64_nan;
use super::kernels::stats::{numeric, parse_interp, percentile_by};
use super::kernels::window::{Moments, PairMoments, RankTree};
use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    let w = Kind::Window;
    vec![
        builtin("cumsum", 1, 1, w, cumsum),
        builtin("cumsum2", 1, 1, w, cumsum2),
        builtin("cumsum3", 1, 1, w, cumsum3),
        builtin("cumsum4", 1, 1, w, cumsum4),
        builtin("cumprod", 1, 1, w, cumprod),
        builtin("cummax", 1, 1, w, cummax),
        builtin("cummin", 1, 1, w, cummin),
        builtin("cumavg", 1, 1, w, cumavg),
        builtin("cumcount", 1, 1, w, cumcount),
        builtin("cumstd", 1, 1, w, cumstd),
        builtin("cumstdp", 1, 1, w, cumstdp),
        builtin("cumvar", 1, 1, w, cumvar),
        builtin("cumvarp", 1, 1, w, cumvarp),
        builtin("cummed", 1, 1, w, cummed),
        builtin("cumpercentile", 2, 3, w, cumpercentile),
        builtin("cumfirstNot", 1, 1, w, cumfirst_not),
        builtin("cumlastNot", 1, 1, w, cumlast_not),
        builtin("cumnunique", 1, 2, w, cumnunique),
        builtin("cumPositiveStreak", 1, 1, w, cum_positive_streak),
        builtin("cumwsum", 2, 2, w, cumwsum),
        builtin("cumwavg", 2, 2, w, cumwavg),
        builtin("cumcorr", 2, 2, w, cumcorr),
        builtin("cumcovar", 2, 2, w, cumcovar),
        builtin("cumbeta", 2, 2, w, cumbeta),
    ]
}

fn not_numeric(name: &str, v: &Vector) -> Error {
    Error::new(format!(
        "The function [{name}] doesn't support the data type {}.",
        v.ty.name()
    ))
}

fn f64_or_null(x: Option<f64>) -> f64 {
    match x {
        Some(v) if !v.is_nan() => v,
        _ => null::F64,
    }
}

/// Runs `step` over the values of `v` as f64 (NaN for null) and collects DOUBLE results.
fn scan_f64(name: &str, v: &Vector, mut step: impl FnMut(f64) -> Option<f64>) -> Result<Vector> {
    let v = numeric(name, v)?;
    let x = to_f64_nan(&v)?;
    Ok(Vector::from_f64(
        x.into_iter().map(|e| f64_or_null(step(e))).collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Sums and products

fn cumsum_vec(v: &Vector) -> Result<Vector> {
    if v.ty.is_decimal() {
        return super::kernels::decimal::cumsum(v);
    }
    let v = numeric("cumsum", v)?;
    dispatch_num!(&v.data, T, s => Ok(if T::IS_FLOAT {
        let mut acc = 0f64;
        let mut seen = false;
        Vector::from_f64(s.iter().map(|&x| {
            if !x.is_null() {
                acc += x.to_f64();
                seen = true;
            }
            if seen { acc } else { null::F64 }
        }).collect())
    } else {
        let mut acc = 0i64;
        let mut seen = false;
        Vector::from_i64(DataType::Long, s.iter().map(|&x| {
            if !x.is_null() {
                acc = acc.wrapping_add(x.to_i64());
                seen = true;
            }
            if seen { acc } else { null::I64 }
        }).collect())
    }), _ => Err(not_numeric("cumsum", &v)))
}

fn cumsum(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cumsum", &args[0], cumsum_vec)
}

fn cum_power(name: &'static str, x: &Value, k: i32) -> Result<Value> {
    map_columns(name, x, |v| {
        let mut acc = 0f64;
        let mut seen = false;
        scan_f64(name, v, |e| {
            if !e.is_nan() {
                acc += e.powi(k);
                seen = true;
            }
            seen.then_some(acc)
        })
    })
}

fn cumsum2(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_power("cumsum2", &args[0], 2)
}
fn cumsum3(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_power("cumsum3", &args[0], 3)
}
fn cumsum4(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_power("cumsum4", &args[0], 4)
}

fn cumprod_vec(v: &Vector) -> Result<Vector> {
    let v = numeric("cumprod", v)?;
    dispatch_num!(&v.data, T, s => Ok(if T::IS_FLOAT {
        let mut acc = 1f64;
        let mut seen = false;
        Vector::from_f64(s.iter().map(|&x| {
            if !x.is_null() {
                acc *= x.to_f64();
                seen = true;
            }
            if seen { acc } else { null::F64 }
        }).collect())
    } else {
        let mut acc = 1i64;
        let mut seen = false;
        Vector::from_i64(DataType::Long, s.iter().map(|&x| {
            if !x.is_null() {
                acc = acc.wrapping_mul(x.to_i64());
                seen = true;
            }
            if seen { acc } else { null::I64 }
        }).collect())
    }), _ => Err(not_numeric("cumprod", &v)))
}

fn cumprod(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cumprod", &args[0], cumprod_vec)
}

/// Consecutive positive values accumulate; a value that is not positive (or null) resets to 0.
fn cum_positive_streak(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cumPositiveStreak", &args[0], |v| {
        let v = numeric("cumPositiveStreak", v)?;
        dispatch_num!(&v.data, T, s => {
            let mut acc = T::from_i64(0);
            let out: Vec<T> = s.iter().map(|&x| {
                if !x.is_null() && x.to_f64() > 0.0 {
                    acc = if T::IS_FLOAT {
                        T::from_f64(acc.to_f64() + x.to_f64())
                    } else {
                        T::from_i64(acc.to_i64().wrapping_add(x.to_i64()))
                    };
                } else {
                    acc = T::from_i64(0);
                }
                acc
            }).collect();
            Ok(Vector::new(v.ty, T::into_data(out)))
        }, _ => Err(not_numeric("cumPositiveStreak", &v)))
    })
}

// ---------------------------------------------------------------------------------------------
// Extremes, counts, first/last

fn cum_extreme<T: Num>(s: &[T], want_max: bool) -> Vec<T> {
    let mut best = T::NULL;
    s.iter()
        .map(|&x| {
            if !x.is_null() && (best.is_null() || (want_max && x > best) || (!want_max && x < best))
            {
                best = x;
            }
            best
        })
        .collect()
}

fn cum_extreme_vec(name: &str, v: &Vector, want_max: bool) -> Result<Vector> {
    if v.ty.is_decimal() {
        return Err(not_numeric(name, v));
    }
    let data = dispatch_num!(&v.data, T, s => T::into_data(cum_extreme(s, want_max)),
    _ => match &v.data {
        Data::Void(n) => Data::Void(*n),
        _ => return Err(not_numeric(name, v)),
    });
    Ok(Vector::new(v.ty, data))
}

fn cummax(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cummax", &args[0], |v| cum_extreme_vec("cummax", v, true))
}
fn cummin(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cummin", &args[0], |v| cum_extreme_vec("cummin", v, false))
}

fn cumcount(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cumcount", &args[0], |v| {
        let mut n = 0i32;
        let out = valid_mask(v)
            .into_iter()
            .map(|ok| {
                n += ok as i32;
                n
            })
            .collect();
        Ok(Vector::from_i32(DataType::Int, out))
    })
}

/// Element i is the first (or latest) non-null value among 0..=i.
fn cum_pick(v: &Vector, latest: bool) -> Vector {
    let mut pos = -1i64;
    let idx: Vec<i64> = valid_mask(v)
        .into_iter()
        .enumerate()
        .map(|(i, ok)| {
            if ok && (latest || pos < 0) {
                pos = i as i64;
            }
            pos
        })
        .collect();
    v.take(&idx)
}

fn cumfirst_not(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cumfirstNot", &args[0], |v| Ok(cum_pick(v, false)))
}
fn cumlast_not(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cumlastNot", &args[0], |v| Ok(cum_pick(v, true)))
}

/// Running count of distinct values; null is a value unless `ignoreNull`.
fn cumnunique(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let ignore = args.get(1).and_then(|v| v.as_bool()).unwrap_or(false);
    map_columns("cumnunique", &args[0], |v| {
        let out: Vec<i32> = dispatch_num!(&v.data, T, s => {
            let mut seen: HashSet<u64> = HashSet::new();
            s.iter().map(|&x| {
                if !(ignore && x.is_null()) {
                    seen.insert(if T::IS_FLOAT { x.to_f64().to_bits() } else { x.to_i64() as u64 });
                }
                seen.len() as i32
            }).collect()
        }, _ => {
            let mut seen = HashSet::new();
            (0..v.len()).map(|i| {
                if !(ignore && v.is_null(i)) {
                    seen.insert(v.key_at(i));
                }
                seen.len() as i32
            }).collect()
        });
        Ok(Vector::from_i32(DataType::Int, out))
    })
}

// ---------------------------------------------------------------------------------------------
// Statistics

fn cumavg(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cumavg", &args[0], |v| {
        let mut m = Moments::default();
        scan_f64("cumavg", v, |e| {
            if !e.is_nan() {
                m.add(e);
            }
            m.mean()
        })
    })
}

fn cum_dispersion(name: &'static str, x: &Value, sample: bool, root: bool) -> Result<Value> {
    map_columns(name, x, |v| {
        let mut m = Moments::default();
        scan_f64(name, v, |e| {
            if !e.is_nan() {
                m.add(e);
            }
            m.var(sample).map(|s| if root { s.sqrt() } else { s })
        })
    })
}

fn cumstd(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_dispersion("cumstd", &args[0], true, true)
}
fn cumstdp(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_dispersion("cumstdp", &args[0], false, true)
}
fn cumvar(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_dispersion("cumvar", &args[0], true, false)
}
fn cumvarp(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_dispersion("cumvarp", &args[0], false, false)
}

/// Order statistics over a growing window, O(n log n) with a rank tree.
fn cum_order(name: &str, v: &Vector, stat: impl Fn(&RankTree) -> Option<f64>) -> Result<Vector> {
    let v = numeric(name, v)?;
    let x = to_f64_nan(&v)?;
    let mut tree = RankTree::new(&x);
    Ok(Vector::from_f64(
        x.iter()
            .map(|&e| {
                if !e.is_nan() {
                    tree.insert(e);
                }
                f64_or_null(stat(&tree))
            })
            .collect(),
    ))
}

fn cummed(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_columns("cummed", &args[0], |v| {
        cum_order("cummed", v, RankTree::median)
    })
}

fn cumpercentile(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = args[1]
        .as_f64()
        .filter(|p| (0.0..=100.0).contains(p))
        .ok_or_else(|| {
            Error::new("The percent argument of [cumpercentile] must be in [0, 100].")
        })?;
    let how = parse_interp(args.get(2))?;
    map_columns("cumpercentile", &args[0], |v| {
        cum_order("cumpercentile", v, |t| {
            percentile_by(t.len(), p, how, |i| t.kth(i))
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Two-argument

fn cum_pairs(
    name: &'static str,
    args: &[Value],
    stat: fn(&PairMoments, f64) -> Option<f64>,
) -> Result<Value> {
    map_column_pairs(name, &args[0], &args[1], |a, b| {
        let x = to_f64_nan(numeric(name, a)?.as_ref())?;
        let y = to_f64_nan(numeric(name, b)?.as_ref())?;
        let mut m = PairMoments::default();
        let mut wsum = 0f64;
        let out = x
            .iter()
            .zip(&y)
            .map(|(&u, &w)| {
                if !u.is_nan() && !w.is_nan() {
                    m.add(u, w);
                    wsum += u * w;
                }
                f64_or_null(stat(&m, wsum))
            })
            .collect();
        Ok(Vector::from_f64(out))
    })
}

fn cumwsum(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_pairs("cumwsum", args, |m, ws| (m.n > 0).then_some(ws))
}

fn cumwavg(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_pairs("cumwavg", args, |m, ws| {
        (m.n > 0 && m.sy != 0.0).then(|| ws / m.sy)
    })
}

fn cumcorr(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_pairs("cumcorr", args, |m, _| m.corr())
}

fn cumcovar(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    cum_pairs("cumcovar", args, |m, _| m.covar(true))
}

/// `cumbeta(Y, X)`: slope of Y on X; the pair moments hold (y, x) so swap roles.
fn cumbeta(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let swapped = [args[1].clone(), args[0].clone()];
    cum_pairs("cumbeta", &swapped, |m, _| m.beta())
}

#[cfg(test)]
mod tests {
    use super::super::kernels::test_env::*;
    use super::*;

    #[test]
    fn cumsum_carries_over_nulls() {
        // DolphinDB docs: cumsum(1 1 2 3 4 5 NULL 8 9 1 3)
        let r = run("cumsum", &[ints(&[1, 1, 2, 3, 4, 5, NI, 8, 9, 1, 3])]);
        assert_eq!(r.data_type(), DataType::Long);
        assert_eq!(as_i64(&r), vec![1, 2, 4, 7, 11, 16, 16, 24, 33, 34, 37]);
        let r = run("cumsum", &[ints(&[NI, 2])]);
        assert_eq!(as_i64(&r), vec![NL, 2]);
        assert_eq!(
            as_f64(&run("cumsum", &[doubles(&[0.5, ND, 1.0])])),
            vec![0.5, 0.5, 1.5]
        );
    }

    #[test]
    fn cumprod_and_powers() {
        assert_eq!(as_i64(&run("cumprod", &[ints(&[2, 3, 4])])), vec![2, 6, 24]);
        // DolphinDB docs: cumsum3([2,3,4]) = [8,35,99]
        assert_eq!(
            as_f64(&run("cumsum3", &[ints(&[2, 3, 4])])),
            vec![8.0, 35.0, 99.0]
        );
    }

    #[test]
    fn cumavg_cumcount_cumstd() {
        // DolphinDB docs: cumavg([2,3,NULL,4]) = [2,2.5,2.5,3]
        let r = run("cumavg", &[ints(&[2, 3, NI, 4])]);
        assert_eq!(as_f64(&r), vec![2.0, 2.5, 2.5, 3.0]);
        // cumcount([1,2,NULL,3,4,NULL,5,6]) = [1,2,2,3,4,4,5,6]
        let r = run("cumcount", &[ints(&[1, 2, NI, 3, 4, NI, 5, 6])]);
        assert_eq!(as_i32(&r), vec![1, 2, 2, 3, 4, 4, 5, 6]);
        // cumstd([1,2,4,NULL,8]) = [,0.707107,1.527525,1.527525,3.095696]
        let r = run("cumstd", &[ints(&[1, 2, 4, NI, 8])]);
        let got = as_f64(&r);
        assert_eq!(got[0], ND);
        let want = [
            0.7071067811865476,
            1.5275252316519468,
            1.5275252316519468,
            3.0956959368344,
        ];
        assert_close(&got[1..], &want);
        // cumstdp([1,2,4,NULL,8]) = [0, 0.5, 1.247219128924647, 1.247219128924647, 2.680951323690902]
        let r = run("cumstdp", &[ints(&[1, 2, 4, NI, 8])]);
        assert_close(
            &as_f64(&r),
            &[
                0.0,
                0.5,
                1.247219128924647,
                1.247219128924647,
                2.680951323690902,
            ],
        );
    }

    #[test]
    fn cummax_keeps_type() {
        let r = run("cummax", &[ints(&[NI, 3, 1, NI, 5])]);
        assert_eq!(as_i32(&r), vec![NI, 3, 3, 3, 5]);
        let r = run("cummin", &[ints(&[4, 3, 5])]);
        assert_eq!(as_i32(&r), vec![4, 3, 3]);
    }

    #[test]
    fn cum_first_last_nunique() {
        let r = run("cumfirstNot", &[ints(&[NI, 2, 3])]);
        assert_eq!(as_i32(&r), vec![NI, 2, 2]);
        let r = run("cumlastNot", &[ints(&[1, NI, 3])]);
        assert_eq!(as_i32(&r), vec![1, 1, 3]);
        // DolphinDB docs: cumnunique([NULL,1,2,-6,0,1,2]) = [1,2,3,4,5,5,5]; ignoreNull -> [0,1,...]
        let v = ints(&[NI, 1, 2, -6, 0, 1, 2]);
        assert_eq!(
            as_i32(&run("cumnunique", &[v.clone()])),
            vec![1, 2, 3, 4, 5, 5, 5]
        );
        let r = run("cumnunique", &[v, Value::bool(true)]);
        assert_eq!(as_i32(&r), vec![0, 1, 2, 3, 4, 4, 4]);
    }

    #[test]
    fn cum_order_statistics() {
        let a = ints(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        // DolphinDB docs: cumpercentile(1..10, 25) and its 'lower'/'higher'/'midpoint' forms.
        let r = run("cumpercentile", &[a.clone(), Value::int(25)]);
        assert_close(
            &as_f64(&r),
            &[1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.25],
        );
        let r = run(
            "cumpercentile",
            &[a.clone(), Value::int(25), Value::string("higher")],
        );
        assert_eq!(
            as_f64(&r),
            vec![1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0, 4.0]
        );
        let r = run(
            "cumpercentile",
            &[a.clone(), Value::int(25), Value::string("nearest")],
        );
        assert_eq!(
            as_f64(&r),
            vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0]
        );
        let r = run(
            "cumpercentile",
            &[a.clone(), Value::int(25), Value::string("midpoint")],
        );
        assert_eq!(
            as_f64(&r),
            vec![1.0, 1.5, 1.5, 1.5, 2.0, 2.5, 2.5, 2.5, 3.0, 3.5]
        );
        let r = run("cummed", &[ints(&[5, NI, 1, 3])]);
        assert_eq!(as_f64(&r), vec![5.0, 5.0, 3.0, 3.0]);
    }

    #[test]
    fn cum_weighted() {
        // DolphinDB docs: cumwsum(2.2 1.1 3.3, 4 5 6) = [8.8,14.3,34.1]; cumwsum(1 NULL 1, 1 1 1) = [1,1,2]
        let r = run("cumwsum", &[doubles(&[2.2, 1.1, 3.3]), ints(&[4, 5, 6])]);
        assert_close(&as_f64(&r), &[8.8, 14.3, 34.1]);
        let r = run("cumwsum", &[ints(&[1, NI, 1]), ints(&[1, 1, 1])]);
        assert_eq!(as_f64(&r), vec![1.0, 1.0, 2.0]);
        let r = run(
            "cumbeta",
            &[doubles(&[2.0, 4.0, 6.0]), doubles(&[1.0, 2.0, 3.0])],
        );
        assert_close(&as_f64(&r)[1..], &[2.0, 2.0]);
    }
}
