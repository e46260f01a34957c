//! Built-ins: moving-window functions over element counts (`mavg(X, 3)`), over an indexed
//! matrix's time labels (`mavg(m, 1w)`), and over a time column (`tmavg(T, X, 3s)`).
//!
//! Windows and readiness come from `kernels::frames`: a count window without `minPeriods`
//! gives null for its first `window - 1` elements and then a result over the window's
//! non-null values; with `minPeriods`, a window needs that many non-null values; a time window
//! `(t - window, t]` needs one. Every kernel slides in O(n) (running sums, a monotonic deque,
//! a two-stack product) or O(n log n) (an order-statistics tree for medians and
//! percentiles), never O(n * window).

use std::sync::Arc;

use value::{null, DataType, Matrix, Table, Value, Vector};

use super::kernels::form::{split, split_arg, unsupported_form};
use super::kernels::frames::{time_column, time_span, window_int, Frames};
use super::kernels::promote::{numeric_view, to_f64_nan};
use super::kernels::rolling::{
    floats, k_count, k_extreme, k_moments, k_order, k_pairs, k_pick, k_prod, k_sum, k_sum2,
    nan_to_null,
};
use super::kernels::stats::{numeric, parse_interp, percentile_by, Interp};
use super::kernels::window::{Moments, PairMoments, RankTree};
use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    let w = Kind::Window;
    vec![
        builtin("msum", 2, 3, w, msum),
        builtin("msum2", 2, 3, w, msum2),
        builtin("mavg", 2, 3, w, mavg),
        builtin("mcount", 2, 3, w, mcount),
        builtin("mmax", 2, 3, w, mmax),
        builtin("mmin", 2, 3, w, mmin),
        builtin("mimax", 2, 3, w, mimax),
        builtin("mimin", 2, 3, w, mimin),
        builtin("mstd", 2, 3, w, mstd),
        builtin("mstdp", 2, 3, w, mstdp),
        builtin("mvar", 2, 3, w, mvar),
        builtin("mvarp", 2, 3, w, mvarp),
        builtin("mskew", 2, 4, w, mskew),
        builtin("mkurtosis", 2, 4, w, mkurtosis),
        builtin("mmed", 2, 3, w, mmed),
        builtin("mpercentile", 3, 5, w, mpercentile),
        builtin("mprod", 2, 3, w, mprod),
        builtin("mfirst", 2, 3, w, mfirst),
        builtin("mlast", 2, 3, w, mlast),
        builtin("mfirstNot", 2, 3, w, mfirst_not),
        builtin("mlastNot", 2, 3, w, mlast_not),
        builtin("mrank", 3, 7, w, mrank),
        builtin("mcorr", 3, 4, w, mcorr),
        builtin("mcovar", 3, 4, w, mcovar),
        builtin("mbeta", 3, 4, w, mbeta),
        builtin("mwavg", 3, 4, w, mwavg),
        builtin("mwsum", 3, 4, w, mwsum),
        builtin("tmsum", 3, 3, w, tmsum),
        builtin("tmsum2", 3, 3, w, tmsum2),
        builtin("tmavg", 3, 3, w, tmavg),
        builtin("tmcount", 3, 3, w, tmcount),
        builtin("tmmax", 3, 3, w, tmmax),
        builtin("tmmin", 3, 3, w, tmmin),
        builtin("tmstd", 3, 3, w, tmstd),
        builtin("tmstdp", 3, 3, w, tmstdp),
        builtin("tmvar", 3, 3, w, tmvar),
        builtin("tmvarp", 3, 3, w, tmvarp),
        builtin("tmskew", 3, 4, w, tmskew),
        builtin("tmkurtosis", 3, 4, w, tmkurtosis),
        builtin("tmmed", 3, 3, w, tmmed),
        builtin("tmpercentile", 4, 5, w, tmpercentile),
        builtin("tmprod", 3, 3, w, tmprod),
        builtin("tmfirst", 3, 3, w, tmfirst),
        builtin("tmlast", 3, 3, w, tmlast),
        builtin("tmcorr", 4, 4, w, tmcorr),
        builtin("tmcovar", 4, 4, w, tmcovar),
        builtin("tmbeta", 4, 4, w, tmbeta),
        builtin("tmwavg", 4, 4, w, tmwavg),
        builtin("tmwsum", 4, 4, w, tmwsum),
    ]
}

// ---------------------------------------------------------------------------------------------
// Argument handling: forms, windows, minPeriods

fn min_periods_arg(name: &str, v: Option<&Value>) -> Result<Option<usize>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => match window_int(v) {
            Some(p) if p > 0 => Ok(Some(p as usize)),
            _ => Err(Error::new(format!(
                "The minPeriods argument of [{name}] must be a positive integer."
            ))),
        },
    }
}

fn count_window(name: &str, window: &Value) -> Result<usize> {
    match window_int(window) {
        Some(w) if w > 0 => Ok(w as usize),
        Some(_) => Err(Error::new(format!(
            "The window of [{name}] must be positive."
        ))),
        None => Err(Error::new(format!(
            "The window of [{name}] must be a positive integer, or a DURATION for an indexed \
             series or matrix."
        ))),
    }
}

/// Applies a one-column kernel to X in DolphinDB's forms: a vector (or scalar/pair), each
/// column of a matrix, each numeric column of a table. A DURATION window slides over the
/// temporal row labels of a matrix (an indexed series or matrix).
fn moving_apply(
    name: &str,
    x: &Value,
    window: &Value,
    min_periods: Option<usize>,
    kernel: impl Fn(&Vector, &Frames) -> Result<Vector>,
) -> Result<Value> {
    match x {
        Value::Matrix(m) => {
            let frames = match window_int(window) {
                Some(_) => Frames::count(m.rows, count_window(name, window)?, min_periods),
                None => {
                    let labels = m
                        .row_labels
                        .as_ref()
                        .filter(|l| l.ty.is_temporal())
                        .ok_or_else(|| {
                            Error::new(format!(
                                "A DURATION window of [{name}] needs an indexed series or matrix."
                            ))
                        })?;
                    let t = time_column(name, labels)?;
                    let span = time_span(name, labels.ty, window)?;
                    Frames::time(&t, labels.ty, span, min_periods)?
                }
            };
            let mut out: Option<Vector> = None;
            for j in 0..m.cols {
                let r = kernel(&m.column(j), &frames)?;
                match &mut out {
                    None => out = Some(r),
                    Some(acc) => {
                        acc.extend(&r);
                    }
                }
            }
            Ok(Value::Matrix(Arc::new(Matrix {
                data: out.unwrap_or_else(|| Vector::empty(DataType::Double)),
                rows: m.rows,
                cols: m.cols,
                row_labels: m.row_labels.clone(),
                col_labels: m.col_labels.clone(),
            })))
        }
        Value::Table(t) => {
            let w = count_window(name, window)?;
            let frames = Frames::count(t.rows(), w, min_periods);
            let mut cols = Vec::with_capacity(t.cols());
            for c in &t.columns {
                if numeric_view(c.ty).is_some() {
                    cols.push(kernel(c, &frames)?);
                } else {
                    cols.push(c.as_ref().clone());
                }
            }
            let mut out = Table::new(t.names.clone(), cols);
            out.name = t.name.clone();
            Ok(Value::table(out))
        }
        _ => {
            let (form, v) = split(x).ok_or_else(|| unsupported_form(name, x))?;
            let w = count_window(name, window)?;
            let frames = Frames::count(v.len(), w, min_periods);
            Ok(super::kernels::form::rebuild(&form, kernel(v, &frames)?))
        }
    }
}

/// Two-column kernels (`mcorr(X, Y, window)`): vectors, or matrices column by column.
fn moving_apply2(
    name: &str,
    x: &Value,
    y: &Value,
    window: &Value,
    min_periods: Option<usize>,
    kernel: impl Fn(&Vector, &Vector, &Frames) -> Result<Vector>,
) -> Result<Value> {
    let w = count_window(name, window)?;
    super::kernels::form::map_column_pairs(name, x, y, |a, b| {
        kernel(a, b, &Frames::count(a.len(), w, min_periods))
    })
}

// ---------------------------------------------------------------------------------------------
// m-functions

macro_rules! moving_fn {
    ($fname:ident, $name:expr, |$v:ident, $fr:ident| $body:expr) => {
        fn $fname(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
            let mp = min_periods_arg($name, args.get(2))?;
            moving_apply($name, &args[0], &args[1], mp, |$v, $fr| $body)
        }
    };
}

moving_fn!(msum, "msum", |v, fr| k_sum("msum", v, fr));
moving_fn!(msum2, "msum2", |v, fr| k_sum2("msum2", v, fr));
moving_fn!(mmax, "mmax", |v, fr| k_extreme("mmax", v, fr, true, false));
moving_fn!(mmin, "mmin", |v, fr| k_extreme("mmin", v, fr, false, false));
moving_fn!(mimax, "mimax", |v, fr| k_extreme(
    "mimax", v, fr, true, true
));
moving_fn!(mimin, "mimin", |v, fr| k_extreme(
    "mimin", v, fr, false, true
));
moving_fn!(mstd, "mstd", |v, fr| k_moments("mstd", v, fr, |m| m
    .var(true)
    .map(f64::sqrt)));
moving_fn!(mstdp, "mstdp", |v, fr| k_moments("mstdp", v, fr, |m| m
    .var(false)
    .map(f64::sqrt)));
moving_fn!(mvar, "mvar", |v, fr| k_moments("mvar", v, fr, |m| m
    .var(true)));
moving_fn!(mvarp, "mvarp", |v, fr| k_moments("mvarp", v, fr, |m| m
    .var(false)));
moving_fn!(mmed, "mmed", |v, fr| k_order(
    "mmed",
    v,
    fr,
    RankTree::median
));
moving_fn!(mprod, "mprod", |v, fr| k_prod("mprod", v, fr));
moving_fn!(mfirst, "mfirst", |v, fr| Ok(k_pick(v, fr, false, false)));
moving_fn!(mlast, "mlast", |v, fr| Ok(k_pick(v, fr, true, false)));
moving_fn!(mfirst_not, "mfirstNot", |v, fr| Ok(k_pick(
    v, fr, false, true
)));
moving_fn!(mlast_not, "mlastNot", |v, fr| Ok(k_pick(v, fr, true, true)));

/// `mavg(X, window)`, or `mavg(X, weights)`: a weighted average over the last
/// `size(weights)` elements (nulls skipped, weights of the remaining values renormalized).
fn mavg(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if let Value::Vector(weights) = &args[1] {
        let w = to_f64_nan(numeric("mavg", weights)?.as_ref())?;
        return moving_apply(
            "mavg",
            &args[0],
            &Value::long(w.len() as i64),
            None,
            |v, _| weighted_avg(&floats("mavg", v)?, &w),
        );
    }
    let mp = min_periods_arg("mavg", args.get(2))?;
    moving_apply("mavg", &args[0], &args[1], mp, |v, fr| {
        k_moments("mavg", v, fr, Moments::mean)
    })
}

fn weighted_avg(x: &[f64], w: &[f64]) -> Result<Vector> {
    let k = w.len();
    let out = (0..x.len())
        .map(|i| {
            if k == 0 || i + 1 < k {
                return null::F64;
            }
            let (mut num, mut den) = (0f64, 0f64);
            for (j, &wt) in w.iter().enumerate() {
                let e = x[i + 1 - k + j];
                if !e.is_nan() && !wt.is_nan() {
                    num += e * wt;
                    den += wt;
                }
            }
            if den == 0.0 {
                null::F64
            } else {
                num / den
            }
        })
        .collect();
    Ok(Vector::from_f64(out))
}

/// `mcount` differs from the other m-functions: `minPeriods` defaults to 1, so the first
/// elements count what they have.
fn mcount(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let mp = min_periods_arg("mcount", args.get(2))?.unwrap_or(1);
    moving_apply("mcount", &args[0], &args[1], Some(mp), |v, fr| {
        Ok(k_count(v, fr))
    })
}

fn biased_arg(name: &str, v: Option<&Value>) -> Result<bool> {
    match v {
        None => Ok(true),
        Some(v) if v.is_null() => Ok(true),
        Some(v) => v.as_bool().ok_or_else(|| {
            Error::new(format!(
                "The argument biased of [{name}] must be a boolean."
            ))
        }),
    }
}

/// `mskew(X, window, [biased=true], [minPeriods])`.
fn mskew(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let biased = biased_arg("mskew", args.get(2))?;
    let mp = min_periods_arg("mskew", args.get(3))?;
    moving_apply("mskew", &args[0], &args[1], mp, |v, fr| {
        k_moments("mskew", v, fr, |m| m.skew(biased))
    })
}

fn mkurtosis(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let biased = biased_arg("mkurtosis", args.get(2))?;
    let mp = min_periods_arg("mkurtosis", args.get(3))?;
    moving_apply("mkurtosis", &args[0], &args[1], mp, |v, fr| {
        k_moments("mkurtosis", v, fr, |m| m.kurtosis(biased))
    })
}

fn percent(name: &str, v: &Value) -> Result<f64> {
    v.as_f64()
        .filter(|p| (0.0..=100.0).contains(p))
        .ok_or_else(|| {
            Error::new(format!(
                "The percent argument of [{name}] must be in [0, 100]."
            ))
        })
}

fn percentile_stat(p: f64, how: Interp) -> impl Fn(&RankTree) -> Option<f64> {
    move |t| percentile_by(t.len(), p, how, |i| t.kth(i))
}

/// `mpercentile(X, percent, window, [interpolation='linear'], [minPeriods])`.
fn mpercentile(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = percent("mpercentile", &args[1])?;
    let how = parse_interp(args.get(3).filter(|v| !v.is_null()))?;
    let mp = min_periods_arg("mpercentile", args.get(4))?;
    moving_apply("mpercentile", &args[0], &args[2], mp, |v, fr| {
        k_order("mpercentile", v, fr, percentile_stat(p, how))
    })
}

/// `mrank(X, ascending, window, [ignoreNA=true], [tiesMethod='min'], [percent=false],
/// [minPeriods])`: the rank (from 0) of each element within its window.
fn mrank(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let flag = |i: usize, default: bool| -> Result<bool> {
        match args.get(i) {
            None => Ok(default),
            Some(v) if v.is_null() => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| Error::new("The flags of [mrank] must be booleans.")),
        }
    };
    let ascending = flag(1, true)?;
    let ignore_na = flag(3, true)?;
    let ties = match args.get(4).filter(|v| !v.is_null()).map(|v| v.as_str()) {
        None | Some(Some("min")) => 0,
        Some(Some("max")) | Some(Some("first")) => 1,
        Some(Some("average")) => 2,
        _ => {
            return Err(Error::new(
                "tiesMethod must be 'min', 'max', 'average' or 'first'.",
            ))
        }
    };
    let percent = flag(5, false)?;
    let mp = min_periods_arg("mrank", args.get(6))?;
    moving_apply("mrank", &args[0], &args[2], mp, |v, fr| {
        let mut x = floats("mrank", v)?;
        // minPeriods counts non-null values even when nulls take part in the ranking.
        let valid: Vec<bool> = x.iter().map(|e| !e.is_nan()).collect();
        if !ignore_na {
            for e in x.iter_mut().filter(|e| e.is_nan()) {
                *e = f64::NEG_INFINITY;
            }
        }
        let mut tree = RankTree::new(&x);
        let mut lo = 0usize;
        let mut valid_in_window = 0usize;
        let mut out = Vec::with_capacity(x.len());
        for i in 0..x.len() {
            if !x[i].is_nan() {
                tree.insert(x[i]);
            }
            valid_in_window += valid[i] as usize;
            while lo < fr.starts[i] {
                if !x[lo].is_nan() {
                    tree.remove(x[lo]);
                }
                valid_in_window -= valid[lo] as usize;
                lo += 1;
            }
            let n = tree.len();
            if x[i].is_nan() || !fr.ready(i, valid_in_window) {
                out.push(f64::NAN);
                continue;
            }
            let (below, equal) = tree.rank_of(x[i]);
            let first = if ascending { below } else { n - below - equal };
            let r = match ties {
                0 => first as f64,
                1 => (first + equal - 1) as f64,
                _ => first as f64 + (equal - 1) as f64 / 2.0,
            };
            out.push(if percent { (r + 1.0) / n as f64 } else { r });
        }
        Ok(if percent || ties == 2 {
            Vector::from_f64(out.into_iter().map(nan_to_null).collect())
        } else {
            Vector::from_i32(
                DataType::Int,
                out.into_iter()
                    .map(|r| if r.is_nan() { null::I32 } else { r as i32 })
                    .collect(),
            )
        })
    })
}

fn pair_fn(
    name: &'static str,
    args: &[Value],
    swap: bool,
    out: fn(&PairMoments) -> Option<f64>,
) -> Result<Value> {
    let mp = min_periods_arg(name, args.get(3))?;
    let (x, y) = if swap {
        (&args[1], &args[0])
    } else {
        (&args[0], &args[1])
    };
    moving_apply2(name, x, y, &args[2], mp, |a, b, fr| {
        k_pairs(name, a, b, fr, out)
    })
}

fn mcorr(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_fn("mcorr", args, false, PairMoments::corr)
}
fn mcovar(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_fn("mcovar", args, false, |m| m.covar(true))
}
/// `mbeta(Y, X, window)`: slope of Y on X.
fn mbeta(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_fn("mbeta", args, true, PairMoments::beta)
}
/// `mwavg(X, Y, window)`: Y are the weights.
fn mwavg(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_fn("mwavg", args, false, |m| {
        (m.sy != 0.0).then(|| m.sxy / m.sy)
    })
}
fn mwsum(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pair_fn("mwsum", args, false, |m| Some(m.sxy))
}

// ---------------------------------------------------------------------------------------------
// tm-functions: windows over a time column

fn time_frames(name: &str, t: &Value, window: &Value, n: usize) -> Result<Frames> {
    let (_, tv) = split_arg(name, t)?;
    if tv.len() != n {
        return Err(Error::new(format!(
            "The time column and the data of [{name}] must have the same length."
        )));
    }
    let raw = time_column(name, tv)?;
    let span = time_span(name, tv.ty, window)?;
    Frames::time(&raw, tv.ty, span, None)
}

fn time_apply(
    name: &str,
    t: &Value,
    x: &Value,
    window: &Value,
    kernel: impl Fn(&Vector, &Frames) -> Result<Vector>,
) -> Result<Value> {
    let (form, v) = split_arg(name, x)?;
    if matches!(form, super::kernels::form::Form::Matrix(_)) {
        return Err(unsupported_form(name, x));
    }
    let frames = time_frames(name, t, window, v.len())?;
    Ok(super::kernels::form::rebuild(&form, kernel(v, &frames)?))
}

fn time_apply2(
    name: &str,
    args: &[Value],
    swap: bool,
    out: fn(&PairMoments) -> Option<f64>,
) -> Result<Value> {
    let (fx, x) = split_arg(name, &args[1])?;
    let (_, y) = split_arg(name, &args[2])?;
    let frames = time_frames(name, &args[0], &args[3], x.len())?;
    let r = if swap {
        k_pairs(name, y, x, &frames, out)?
    } else {
        k_pairs(name, x, y, &frames, out)?
    };
    Ok(super::kernels::form::rebuild(&fx, r))
}

macro_rules! time_fn {
    ($fname:ident, $name:expr, |$v:ident, $fr:ident| $body:expr) => {
        fn $fname(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
            time_apply($name, &args[0], &args[1], &args[2], |$v, $fr| $body)
        }
    };
}

time_fn!(tmsum, "tmsum", |v, fr| k_sum("tmsum", v, fr));
time_fn!(tmsum2, "tmsum2", |v, fr| k_sum2("tmsum2", v, fr));
time_fn!(tmavg, "tmavg", |v, fr| k_moments(
    "tmavg",
    v,
    fr,
    Moments::mean
));
time_fn!(tmcount, "tmcount", |v, fr| Ok(k_count(v, fr)));
time_fn!(tmmax, "tmmax", |v, fr| k_extreme(
    "tmmax", v, fr, true, false
));
time_fn!(tmmin, "tmmin", |v, fr| k_extreme(
    "tmmin", v, fr, false, false
));
time_fn!(tmstd, "tmstd", |v, fr| k_moments("tmstd", v, fr, |m| m
    .var(true)
    .map(f64::sqrt)));
time_fn!(tmstdp, "tmstdp", |v, fr| k_moments("tmstdp", v, fr, |m| m
    .var(false)
    .map(f64::sqrt)));
time_fn!(tmvar, "tmvar", |v, fr| k_moments("tmvar", v, fr, |m| m
    .var(true)));
time_fn!(tmvarp, "tmvarp", |v, fr| k_moments("tmvarp", v, fr, |m| m
    .var(false)));
time_fn!(tmmed, "tmmed", |v, fr| k_order(
    "tmmed",
    v,
    fr,
    RankTree::median
));
time_fn!(tmprod, "tmprod", |v, fr| k_prod("tmprod", v, fr));
time_fn!(tmfirst, "tmfirst", |v, fr| Ok(k_pick(v, fr, false, false)));
time_fn!(tmlast, "tmlast", |v, fr| Ok(k_pick(v, fr, true, false)));

fn tmskew(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let biased = biased_arg("tmskew", args.get(3))?;
    time_apply("tmskew", &args[0], &args[1], &args[2], |v, fr| {
        k_moments("tmskew", v, fr, |m| m.skew(biased))
    })
}

fn tmkurtosis(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let biased = biased_arg("tmkurtosis", args.get(3))?;
    time_apply("tmkurtosis", &args[0], &args[1], &args[2], |v, fr| {
        k_moments("tmkurtosis", v, fr, |m| m.kurtosis(biased))
    })
}

/// `tmpercentile(T, X, percent, window, [interpolation='linear'])`.
fn tmpercentile(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = percent("tmpercentile", &args[2])?;
    let how = parse_interp(args.get(4).filter(|v| !v.is_null()))?;
    time_apply("tmpercentile", &args[0], &args[1], &args[3], |v, fr| {
        k_order("tmpercentile", v, fr, percentile_stat(p, how))
    })
}

fn tmcorr(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_apply2("tmcorr", args, false, PairMoments::corr)
}
fn tmcovar(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_apply2("tmcovar", args, false, |m| m.covar(true))
}
/// `tmbeta(T, Y, X, window)`: slope of Y on X.
fn tmbeta(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_apply2("tmbeta", args, true, PairMoments::beta)
}
fn tmwavg(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_apply2("tmwavg", args, false, |m| {
        (m.sy != 0.0).then(|| m.sxy / m.sy)
    })
}
fn tmwsum(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_apply2("tmwsum", args, false, |m| Some(m.sxy))
}

#[cfg(test)]
mod tests {
    use super::super::kernels::test_env::*;
    use super::*;

    #[test]
    fn msum_and_mavg_follow_the_docs() {
        // DolphinDB docs (m-functions): msum(2 1 3 7 6 5 4 9 8 10, 3)
        let x = ints(&[2, 1, 3, 7, 6, 5, 4, 9, 8, 10]);
        let r = run("msum", &[x, Value::int(3)]);
        assert_eq!(as_i64(&r), vec![NL, NL, 6, 11, 16, 18, 15, 18, 21, 27]);
        // mavg(X, 4) and mavg(Y, 4) with a null, and mavg(Y, weights)
        let x = ints(&[7, 4, 6, 0, -5, 32, 9, 8]);
        let r = run("mavg", &[x, Value::int(4)]);
        assert_close(&as_f64(&r), &[ND, ND, ND, 4.25, 1.25, 8.25, 9.0, 11.0]);
        let y = ints(&[7, 4, 6, NI, -5, 32, 9, 8]);
        let r = as_f64(&run("mavg", &[y.clone(), Value::int(4)]));
        assert_close(&r[3..], &[17.0 / 3.0, 5.0 / 3.0, 11.0, 12.0, 11.0]);
        let r = as_f64(&run("mavg", &[y, ints(&[2, 3, 5])]));
        assert_close(&r, &[ND, ND, 5.6, 5.2, -13.0 / 7.0, 18.125, 13.1, 13.1]);
    }

    #[test]
    fn mcount_and_min_periods() {
        // DolphinDB docs: mcount(7 4 5 8 9, 3) = [1,2,3,3,3]; minPeriods=2 -> [,2,3,3,3]
        let x = ints(&[7, 4, 5, 8, 9]);
        assert_eq!(
            as_i32(&run("mcount", &[x.clone(), Value::int(3)])),
            vec![1, 2, 3, 3, 3]
        );
        let r = run("mcount", &[x, Value::int(3), Value::int(2)]);
        assert_eq!(as_i32(&r), vec![NI, 2, 3, 3, 3]);
        // mcount(1 2 3 NULL 5, 3) = [1,2,3,2,2]; minPeriods=3 -> [,,3,,]
        let x1 = ints(&[1, 2, 3, NI, 5]);
        assert_eq!(
            as_i32(&run("mcount", &[x1.clone(), Value::int(3)])),
            vec![1, 2, 3, 2, 2]
        );
        let r = run("mcount", &[x1, Value::int(3), Value::int(3)]);
        assert_eq!(as_i32(&r), vec![NI, NI, 3, NI, NI]);
    }

    #[test]
    fn mimax_reports_position_in_window() {
        // DolphinDB docs: mimax(1.2 2 NULL 6 -1 6, 3) = [,,1,2,1,0]; with minPeriods 1 [0,1,1,2,1,0]
        let x = doubles(&[1.2, 2.0, ND, 6.0, -1.0, 6.0]);
        let r = run("mimax", &[x.clone(), Value::int(3)]);
        assert_eq!(as_i32(&r), vec![NI, NI, 1, 2, 1, 0]);
        let r = run("mimax", &[x, Value::int(3), Value::int(1)]);
        assert_eq!(as_i32(&r), vec![0, 1, 1, 2, 1, 0]);
    }

    #[test]
    fn extremes_medians_products() {
        let x = ints(&[3, 1, NI, 4, 1, 5]);
        assert_eq!(
            as_i32(&run("mmax", &[x.clone(), Value::int(2)])),
            vec![NI, 3, 1, 4, 4, 5]
        );
        assert_eq!(
            as_i32(&run("mmin", &[x.clone(), Value::int(2)])),
            vec![NI, 1, 1, 4, 1, 1]
        );
        let r = as_f64(&run("mmed", &[x.clone(), Value::int(3)]));
        assert_eq!(r, vec![ND, ND, 2.0, 2.5, 2.5, 4.0]);
        let r = as_f64(&run("mprod", &[x, Value::int(3)]));
        assert_eq!(r, vec![ND, ND, 3.0, 4.0, 4.0, 20.0]);
        let x = doubles(&[1.0, 2.0, 4.0, 8.0]);
        let r = as_f64(&run("mstd", &[x, Value::int(3)]));
        assert_close(&r[2..], &[1.5275252316519468, 3.0550504633038935]);
    }

    #[test]
    fn first_last_in_window() {
        let x = ints(&[2, 1, 3, NI, 6, 5, 4]);
        let r = run("mfirst", &[x.clone(), Value::int(3)]);
        assert_eq!(as_i32(&r), vec![NI, NI, 2, 1, 3, NI, 6]);
        let r = run("mlast", &[x.clone(), Value::int(3)]);
        assert_eq!(as_i32(&r), vec![NI, NI, 3, NI, 6, 5, 4]);
        let r = run("mfirstNot", &[x.clone(), Value::int(3)]);
        assert_eq!(as_i32(&r), vec![NI, NI, 2, 1, 3, 6, 6]);
        let r = run("mlastNot", &[x, Value::int(3)]);
        assert_eq!(as_i32(&r), vec![NI, NI, 3, 3, 6, 5, 4]);
    }

    #[test]
    fn tm_functions_follow_the_docs() {
        // DolphinDB docs: tmsum(1 1 3 5 8 15 15 20, 5 2 4 1 2 8 9 10, 3) = [5,7,11,5,2,8,17,10]
        let t = ints(&[1, 1, 3, 5, 8, 15, 15, 20]);
        let x = ints(&[5, 2, 4, 1, 2, 8, 9, 10]);
        let r = run("tmsum", &[t.clone(), x.clone(), Value::int(3)]);
        assert_eq!(r.data_type(), DataType::Long);
        assert_eq!(as_i64(&r), vec![5, 7, 11, 5, 2, 8, 17, 10]);
        // tmsum2 of the same: [25,29,45,17,4,64,145,100]
        let r = run("tmsum2", &[t, x, Value::int(3)]);
        assert_eq!(
            as_f64(&r),
            vec![25.0, 29.0, 45.0, 17.0, 4.0, 64.0, 145.0, 100.0]
        );
        // DATEHOUR index with a 4H and a 1d window.
        let base = 19156 * 24 + 13;
        let idx = typed_i32(
            DataType::DateHour,
            &[
                base,
                base,
                base,
                base,
                base + 1,
                base + 2,
                base + 3,
                base + 4,
                base + 5,
                base + 6,
            ],
        );
        let data = ints(&[1, NI, 3, 4, 5, NI, 3, NI, 5, 3]);
        let r = run("tmsum", &[idx.clone(), data.clone(), Value::string("4H")]);
        assert_eq!(as_i64(&r), vec![1, 1, 4, 8, 13, 13, 16, 8, 8, 11]);
        let r = run("tmsum", &[idx, data, Value::string("1d")]);
        assert_eq!(as_i64(&r), vec![1, 1, 4, 8, 13, 13, 16, 16, 21, 24]);
    }

    #[test]
    fn indexed_matrix_with_duration_window() {
        // DolphinDB docs: msum over dates with window=3d -> [1,3,6,4,9,15,13,15]
        let days = [0, 1, 2, 5, 6, 7, 9, 10].map(|d| 18993 + d);
        let m = Matrix {
            data: Vector::from_i32(DataType::Int, (1..=8).collect()),
            rows: 8,
            cols: 1,
            row_labels: Some(Vector::from_i32(DataType::Date, days.to_vec())),
            col_labels: None,
        };
        let r = run("msum", &[Value::Matrix(Arc::new(m)), Value::string("3d")]);
        assert_eq!(as_i64(&r), vec![1, 3, 6, 4, 9, 15, 13, 15]);
        run_err("msum", &[ints(&[1, 2]), Value::string("3d")]);
    }

    #[test]
    fn mrank_ranks_the_last_element() {
        let x = ints(&[3, 1, 2, 2, NI, 5]);
        let r = run("mrank", &[x.clone(), Value::bool(true), Value::int(3)]);
        assert_eq!(as_i32(&r), vec![NI, NI, 1, 1, NI, 1]);
        let r = run("mrank", &[x, Value::bool(false), Value::int(3)]);
        assert_eq!(as_i32(&r), vec![NI, NI, 1, 0, NI, 0]);
    }

    #[test]
    fn pairs_in_window() {
        let x = doubles(&[1.0, 2.0, 3.0, 4.0]);
        let y = doubles(&[2.0, 4.0, 6.0, 9.0]);
        let r = as_f64(&run("mcorr", &[x.clone(), y.clone(), Value::int(3)]));
        assert_close(&r[..3], &[ND, ND, 1.0]);
        let r = as_f64(&run("mbeta", &[y.clone(), x.clone(), Value::int(3)]));
        assert_close(&r[2..], &[2.0, 2.5]);
        let r = as_f64(&run("mwsum", &[x, y, Value::int(2)]));
        assert_close(&r, &[ND, 10.0, 26.0, 54.0]);
    }
}
