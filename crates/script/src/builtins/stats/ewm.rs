//! Exponentially weighted moments: `ewmMean`, `ewmVar`, `ewmStd`, `ewmCov`, `ewmCorr`.
//!
//! The recurrences are pandas' (`ewma`, `ewmcov`), which DolphinDB follows: the decay is
//! given by exactly one of com, span, halfLife or alpha; `adjust` divides by the decaying
//! sum of weights; `ignoreNA` decides whether a null still ages the older weights.

use value::Value;

use super::super::{builtin, Builtin, Env, Kind};
use super::params::{bind, Params};
use super::{double_vector, numeric_values, per_column};
use crate::{bail, Result};

pub(super) fn functions() -> Vec<Builtin> {
    vec![
        builtin("ewmMean", 1, 9, Kind::Window, ewm_mean),
        builtin("ewmVar", 1, 9, Kind::Window, ewm_var),
        builtin("ewmStd", 1, 9, Kind::Window, ewm_std),
        builtin("ewmCov", 1, 10, Kind::Window, ewm_cov),
        builtin("ewmCorr", 1, 10, Kind::Window, ewm_corr),
    ]
}

const DECAY: [&str; 8] = [
    "com",
    "span",
    "halfLife",
    "alpha",
    "minPeriods",
    "adjust",
    "ignoreNA",
    "bias",
];

/// The decay settings of one call.
#[derive(Clone, Copy)]
struct Decay {
    alpha: f64,
    min_periods: usize,
    adjust: bool,
    ignore_na: bool,
    bias: bool,
}

/// Reads com/span/halfLife/alpha/minPeriods/adjust/ignoreNA starting at slot `first`, and
/// bias from `bias_slot` when the function has one.
fn decay(func: &str, p: &Params<'_>, first: usize, bias_slot: Option<usize>) -> Result<Decay> {
    let com = p.opt_number(first)?;
    let span = p.opt_number(first + 1)?;
    let half_life = p.opt_number(first + 2)?;
    let alpha = p.opt_number(first + 3)?;
    let given = [com, span, half_life, alpha]
        .iter()
        .filter(|x| x.is_some())
        .count();
    if given != 1 {
        bail!(
            "Exactly one of com, span, halfLife and alpha must be specified for function [{}]",
            func
        );
    }
    let alpha = match (com, span, half_life, alpha) {
        (Some(c), ..) if c >= 0.0 => 1.0 / (1.0 + c),
        (_, Some(s), ..) if s >= 1.0 => 2.0 / (s + 1.0),
        (_, _, Some(h), _) if h > 0.0 => 1.0 - (0.5f64.ln() / h).exp(),
        (_, _, _, Some(a)) if a > 0.0 && a <= 1.0 => a,
        _ => bail!("The decay argument of function [{}] is out of range: com >= 0, span >= 1, halfLife > 0, 0 < alpha <= 1", func),
    };
    let min_periods = p.number(first + 4, 0.0)?;
    if min_periods < 0.0 {
        bail!(
            "The argument minPeriods of function [{}] must be non-negative",
            func
        );
    }
    Ok(Decay {
        alpha,
        min_periods: (min_periods as usize).max(1),
        adjust: p.flag(first + 5, true)?,
        ignore_na: p.flag(first + 6, false)?,
        bias: match bias_slot {
            Some(i) => p.flag(i, false)?,
            None => false,
        },
    })
}

fn ewm_mean(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = [
        "X",
        "com",
        "span",
        "halfLife",
        "alpha",
        "minPeriods",
        "adjust",
        "ignoreNA",
        "times",
    ];
    let p = bind(env, "ewmMean", args, &names)?;
    if p.get(8).is_some() {
        bail!("The function [ewmMean] does not support times yet");
    }
    let d = decay("ewmMean", &p, 1, None)?;
    per_column("ewmMean", p.req(0)?, |xs| mean(xs, d))
}

fn ewm_var(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    unary_cov(env, "ewmVar", args, false)
}

fn ewm_std(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    unary_cov(env, "ewmStd", args, true)
}

fn unary_cov(env: &mut dyn Env, func: &str, args: &[Value], root: bool) -> Result<Value> {
    let mut names = vec!["X"];
    names.extend(DECAY);
    let p = bind(env, func, args, &names)?;
    let d = decay(func, &p, 1, Some(8))?;
    per_column(func, p.req(0)?, |xs| {
        let v = cov(xs, xs, d);
        if root {
            v.into_iter().map(f64::sqrt).collect()
        } else {
            v
        }
    })
}

/// `ewmCov` / `ewmCorr(X, [com], [span], [halfLife], [alpha], [minPeriods], [adjust],
/// [ignoreNA], [other], [bias])`: `other` comes after the decay settings, as in DolphinDB
/// (`ewmCov(X=a, other=b, com=0.5)`).
const PAIR_NAMES: [&str; 10] = [
    "X",
    "com",
    "span",
    "halfLife",
    "alpha",
    "minPeriods",
    "adjust",
    "ignoreNA",
    "other",
    "bias",
];

fn ewm_cov(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = bind(env, "ewmCov", args, &PAIR_NAMES)?;
    let d = decay("ewmCov", &p, 1, Some(9))?;
    binary("ewmCov", p.req(0)?, p.req(8)?, |x, y| cov(x, y, d))
}

fn ewm_corr(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = bind(env, "ewmCorr", args, &PAIR_NAMES)?;
    let d = decay("ewmCorr", &p, 1, None)?;
    binary("ewmCorr", p.req(0)?, p.req(8)?, |x, y| corr(x, y, d))
}

/// X and Y as two equal-length numeric vectors.
fn binary(
    func: &str,
    x: &Value,
    y: &Value,
    f: impl Fn(&[f64], &[f64]) -> Vec<f64>,
) -> Result<Value> {
    let (Value::Vector(a), Value::Vector(b)) = (x, y) else {
        bail!(
            "The arguments X and Y of function [{}] must be vectors",
            func
        );
    };
    let (a, b) = (numeric_values(func, a)?, numeric_values(func, b)?);
    if a.len() != b.len() {
        bail!(
            "The arguments X and Y of function [{}] must have the same length",
            func
        );
    }
    Ok(Value::vector(double_vector(f(&a, &b))))
}

/// pandas' `ewma`.
fn mean(xs: &[f64], d: Decay) -> Vec<f64> {
    let mut out = Vec::with_capacity(xs.len());
    let Some(&first) = xs.first() else {
        return out;
    };
    let old_factor = 1.0 - d.alpha;
    let new_wt = if d.adjust { 1.0 } else { d.alpha };
    let mut weighted = first;
    let mut nobs = usize::from(!first.is_nan());
    let mut old_wt = 1.0;
    out.push(if nobs >= d.min_periods {
        weighted
    } else {
        f64::NAN
    });
    for &cur in &xs[1..] {
        let obs = !cur.is_nan();
        nobs += usize::from(obs);
        if !weighted.is_nan() {
            if obs || !d.ignore_na {
                old_wt *= old_factor;
                if obs {
                    if weighted != cur {
                        weighted = (old_wt * weighted + new_wt * cur) / (old_wt + new_wt);
                    }
                    old_wt = if d.adjust { old_wt + new_wt } else { 1.0 };
                }
            }
        } else if obs {
            weighted = cur;
        }
        out.push(if nobs >= d.min_periods {
            weighted
        } else {
            f64::NAN
        });
    }
    out
}

/// pandas' `ewmcov` (with X = Y it is the variance).
fn cov(xs: &[f64], ys: &[f64], d: Decay) -> Vec<f64> {
    cov_terms(xs, ys, d)
        .into_iter()
        .map(|t| t.value(d.bias))
        .collect()
}

/// The running state of `ewmcov` after one element.
#[derive(Clone, Copy)]
struct CovTerm {
    cov: f64,
    sum_wt: f64,
    sum_wt2: f64,
    ready: bool,
}

impl CovTerm {
    fn value(self, bias: bool) -> f64 {
        if !self.ready {
            return f64::NAN;
        }
        if bias {
            return self.cov;
        }
        let num = self.sum_wt * self.sum_wt;
        let den = num - self.sum_wt2;
        if den > 0.0 {
            num / den * self.cov
        } else {
            f64::NAN
        }
    }
}

fn cov_terms(xs: &[f64], ys: &[f64], d: Decay) -> Vec<CovTerm> {
    let n = xs.len().min(ys.len());
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let old_factor = 1.0 - d.alpha;
    let new_wt = if d.adjust { 1.0 } else { d.alpha };
    let (mut mx, mut my) = (xs[0], ys[0]);
    let first_obs = !mx.is_nan() && !my.is_nan();
    let mut nobs = usize::from(first_obs);
    if !first_obs {
        mx = f64::NAN;
        my = f64::NAN;
    }
    let (mut cov, mut sum_wt, mut sum_wt2, mut old_wt) = (0.0, 1.0, 1.0, 1.0);
    let ready = nobs >= d.min_periods;
    out.push(CovTerm {
        cov: if first_obs { 0.0 } else { f64::NAN },
        sum_wt,
        sum_wt2,
        ready,
    });
    for i in 1..n {
        let (cx, cy) = (xs[i], ys[i]);
        let obs = !cx.is_nan() && !cy.is_nan();
        nobs += usize::from(obs);
        if !mx.is_nan() {
            if obs || !d.ignore_na {
                sum_wt *= old_factor;
                sum_wt2 *= old_factor * old_factor;
                old_wt *= old_factor;
                if obs {
                    let (ox, oy) = (mx, my);
                    if mx != cx {
                        mx = (old_wt * ox + new_wt * cx) / (old_wt + new_wt);
                    }
                    if my != cy {
                        my = (old_wt * oy + new_wt * cy) / (old_wt + new_wt);
                    }
                    cov = (old_wt * (cov + (ox - mx) * (oy - my))
                        + new_wt * ((cx - mx) * (cy - my)))
                        / (old_wt + new_wt);
                    sum_wt += new_wt;
                    sum_wt2 += new_wt * new_wt;
                    old_wt += new_wt;
                    if !d.adjust {
                        sum_wt /= old_wt;
                        sum_wt2 /= old_wt * old_wt;
                        old_wt = 1.0;
                    }
                }
            }
        } else if obs {
            mx = cx;
            my = cy;
        }
        out.push(CovTerm {
            cov: if mx.is_nan() { f64::NAN } else { cov },
            sum_wt,
            sum_wt2,
            ready: nobs >= d.min_periods,
        });
    }
    out
}

/// cov(X, Y) / sqrt(var(X) var(Y)), each with the biased weights (the bias factor cancels).
fn corr(xs: &[f64], ys: &[f64], d: Decay) -> Vec<f64> {
    let d = Decay { bias: true, ..d };
    // The variances use only the pairs where both sides are present (pandas' prep_binary).
    let both = |a: f64, b: f64| if b.is_nan() { f64::NAN } else { a };
    let xs: Vec<f64> = xs.iter().zip(ys).map(|(&a, &b)| both(a, b)).collect();
    let ys: Vec<f64> = ys.iter().zip(&xs).map(|(&b, &a)| both(b, a)).collect();
    let c = cov(&xs, &ys, d);
    let vx = cov(&xs, &xs, d);
    let vy = cov(&ys, &ys, d);
    c.iter()
        .zip(vx.iter().zip(&vy))
        .map(|(c, (a, b))| {
            let den = (a * b).sqrt();
            if den > 0.0 {
                c / den
            } else {
                f64::NAN
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(alpha: f64, ignore_na: bool) -> Decay {
        Decay {
            alpha,
            min_periods: 1,
            adjust: true,
            ignore_na,
            bias: false,
        }
    }

    fn close(got: &[f64], want: &[f64]) {
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g.is_nan() && w.is_nan()) || (g - w).abs() < 1e-6,
                "{got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn ewm_mean_matches_the_docs() {
        // DolphinDB docs: ewmMean([0,1,2,NULL,4], com=0.5).
        let a = [0.0, 1.0, 2.0, f64::NAN, 4.0];
        let alpha = 1.0 / 1.5;
        close(
            &mean(&a, d(alpha, false)),
            &[0.0, 0.75, 1.615385, 1.615385, 3.670213],
        );
        close(
            &mean(&a, d(alpha, true)),
            &[0.0, 0.75, 1.615385, 1.615385, 3.225],
        );
    }

    #[test]
    fn ewm_var_and_corr() {
        // By definition: weights 1/8,1/4,1/2,1, weighted variance times S²/(S²-Σw²).
        let x = [1.0, 2.0, 3.0, 4.0];
        close(
            &cov(&x, &x, d(0.5, false)),
            &[f64::NAN, 0.5, 0.928571, 1.385714],
        );
        close(&corr(&x, &x, d(0.5, false))[1..], &[1.0, 1.0, 1.0]);
    }
}
