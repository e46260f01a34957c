//! Probability distributions: the special functions behind them (log-gamma, regularized
//! incomplete gamma and beta), the CDFs and quantiles of the normal, Student t, chi-square,
//! F, exponential and uniform distributions, and the `cdf*`/`inv*` built-ins over them.
//!
//! Quantiles without a closed form are found by bisection on the CDF, which is monotone; the
//! iteration count is bounded by `BISECT_STEPS_MAX`.

use super::super::kernels::num::f64_out;
use super::super::kernels::promote::to_f64_nan;
use super::super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};
use value::{Value, Vector};

/// Iterations of the continued fractions and series before they stop converging.
const SERIES_STEPS_MAX: usize = 500;
/// Bisection steps: enough to pin a double down to its last bit on any bracket.
const BISECT_STEPS_MAX: usize = 2000;

pub(super) fn functions() -> Vec<Builtin> {
    vec![
        builtin("cdfNormal", 3, 3, Kind::Scalar, cdf_normal),
        builtin("invNormal", 3, 3, Kind::Scalar, inv_normal),
        builtin("cdfStudent", 2, 2, Kind::Scalar, cdf_student),
        builtin("invStudent", 2, 2, Kind::Scalar, inv_student),
        builtin("cdfChiSquare", 2, 2, Kind::Scalar, cdf_chi_square),
        builtin("invChiSquare", 2, 2, Kind::Scalar, inv_chi_square),
        builtin("cdfF", 3, 3, Kind::Scalar, cdf_f),
        builtin("invF", 3, 3, Kind::Scalar, inv_f),
        builtin("cdfExp", 2, 2, Kind::Scalar, cdf_exp),
        builtin("invExp", 2, 2, Kind::Scalar, inv_exp),
        builtin("cdfUniform", 3, 3, Kind::Scalar, cdf_uniform),
        builtin("invUniform", 3, 3, Kind::Scalar, inv_uniform),
    ]
}

// ---------------------------------------------------------------------------------------------
// Special functions.

/// ln Γ(x) for x > 0 (Lanczos, g = 7).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized lower incomplete gamma P(a, x).
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x.is_nan() || a <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x < a + 1.0 {
        gamma_series(a, x)
    } else {
        1.0 - gamma_cf(a, x)
    }
}

/// The regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), accurate in the tail.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x.is_nan() || a <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x < a + 1.0 {
        1.0 - gamma_series(a, x)
    } else {
        gamma_cf(a, x)
    }
}

fn gamma_series(a: f64, x: f64) -> f64 {
    let mut ap = a;
    let mut sum = 1.0 / a;
    let mut del = sum;
    for _ in 0..SERIES_STEPS_MAX {
        ap += 1.0;
        del *= x / ap;
        sum += del;
        if del.abs() < sum.abs() * 1e-17 {
            break;
        }
    }
    sum * (-x + a * x.ln() - ln_gamma(a)).exp()
}

/// Q(a, x) by Lentz's continued fraction.
fn gamma_cf(a: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..SERIES_STEPS_MAX {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x + a * x.ln() - ln_gamma(a)).exp() * h
}

/// The regularized incomplete beta I_x(a, b).
pub fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x.is_nan() || a <= 0.0 || b <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..SERIES_STEPS_MAX {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

// ---------------------------------------------------------------------------------------------
// Distributions.

/// Φ(z), the standard normal CDF, accurate in both tails.
pub fn norm_cdf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let h = 0.5 * gamma_q(0.5, z * z / 2.0);
    if z < 0.0 {
        h
    } else {
        1.0 - h
    }
}

/// Φ⁻¹(p): a rational first guess (Abramowitz & Stegun 26.2.23) polished by Newton steps.
pub fn norm_inv(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    let q = p.min(1.0 - p);
    let t = (-2.0 * q.ln()).sqrt();
    let mut x = -(t
        - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
            / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t));
    for _ in 0..50 {
        let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        if pdf == 0.0 {
            break;
        }
        let step = (norm_cdf(x) - q) / pdf;
        x -= step;
        if step.abs() <= 1e-15 * x.abs().max(1.0) {
            break;
        }
    }
    if p > 0.5 {
        -x
    } else {
        x
    }
}

/// The Student t CDF with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    let tail = 0.5 * beta_inc(df / 2.0, 0.5, df / (df + t * t));
    if t > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

pub fn t_inv(p: f64, df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    bisect(p, f64::NEG_INFINITY, f64::INFINITY, |x| t_cdf(x, df))
}

pub fn chi2_cdf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    gamma_p(df / 2.0, x.max(0.0) / 2.0)
}

pub fn chi2_inv(p: f64, df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    bisect(p, 0.0, f64::INFINITY, |x| chi2_cdf(x, df))
}

pub fn f_cdf(x: f64, d1: f64, d2: f64) -> f64 {
    if x.is_nan() || d1.is_nan() || d2.is_nan() || d1 <= 0.0 || d2 <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x.is_infinite() {
        return 1.0;
    }
    beta_inc(d1 / 2.0, d2 / 2.0, d1 * x / (d1 * x + d2))
}

pub fn f_inv(p: f64, d1: f64, d2: f64) -> f64 {
    if d1.is_nan() || d2.is_nan() || d1 <= 0.0 || d2 <= 0.0 {
        return f64::NAN;
    }
    bisect(p, 0.0, f64::INFINITY, |x| f_cdf(x, d1, d2))
}

/// The x in [lo, hi] with cdf(x) = p, for a non-decreasing cdf; infinite bounds are
/// narrowed by doubling first.
fn bisect(p: f64, lo: f64, hi: f64, cdf: impl Fn(f64) -> f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return lo;
    }
    if p == 1.0 {
        return hi;
    }
    let (mut a, mut b) = (lo, hi);
    if a.is_infinite() {
        a = -1.0;
        while cdf(a) > p && a > -1e300 {
            a *= 2.0;
        }
    }
    if b.is_infinite() {
        b = 1.0;
        while cdf(b) < p && b < 1e300 {
            b *= 2.0;
        }
    }
    for _ in 0..BISECT_STEPS_MAX {
        let m = 0.5 * (a + b);
        if m <= a || m >= b {
            break;
        }
        if cdf(m) < p {
            a = m;
        } else {
            b = m;
        }
    }
    0.5 * (a + b)
}

// ---------------------------------------------------------------------------------------------
// Built-ins: a few scalar parameters, then X (scalar or vector); the result has X's form.

fn param(func: &str, v: &Value, what: &str) -> Result<f64> {
    match v.as_f64() {
        Some(x) => Ok(x),
        None => bail!(
            "The argument {} of function [{}] must be a numeric scalar",
            what,
            func
        ),
    }
}

/// Applies `f` to every element of X (nulls stay null) and keeps X's form.
fn map_x(func: &str, x: &Value, f: impl Fn(f64) -> f64) -> Result<Value> {
    let v = match x {
        Value::Scalar(v) => v,
        Value::Vector(v) | Value::Pair(v) if !v.is_array() => &**v,
        _ => bail!(
            "The argument X of function [{}] must be a numeric scalar or vector",
            func
        ),
    };
    if !super::super::matrix::is_numeric(v.ty) {
        bail!("The argument X of function [{}] must be numeric", func);
    }
    let out: Vec<f64> = to_f64_nan(v)?
        .into_iter()
        .map(|a| if a.is_nan() { f64::NAN } else { f(a) })
        .map(f64_out)
        .collect();
    let out = Vector::from_f64(out);
    Ok(match x {
        Value::Scalar(_) => Value::Scalar(out),
        Value::Pair(_) => Value::pair(out),
        _ => Value::vector(out),
    })
}

fn cdf_normal(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let mean = param("cdfNormal", &args[0], "mean")?;
    let sd = param("cdfNormal", &args[1], "stdev")?;
    if sd <= 0.0 {
        bail!("The argument stdev of function [cdfNormal] must be positive");
    }
    map_x("cdfNormal", &args[2], |x| norm_cdf((x - mean) / sd))
}

fn inv_normal(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let mean = param("invNormal", &args[0], "mean")?;
    let sd = param("invNormal", &args[1], "stdev")?;
    if sd <= 0.0 {
        bail!("The argument stdev of function [invNormal] must be positive");
    }
    map_x("invNormal", &args[2], |p| mean + sd * norm_inv(p))
}

fn cdf_student(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let df = param("cdfStudent", &args[0], "df")?;
    map_x("cdfStudent", &args[1], |x| t_cdf(x, df))
}

fn inv_student(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let df = param("invStudent", &args[0], "df")?;
    map_x("invStudent", &args[1], |p| t_inv(p, df))
}

fn cdf_chi_square(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let df = param("cdfChiSquare", &args[0], "df")?;
    map_x("cdfChiSquare", &args[1], |x| chi2_cdf(x, df))
}

fn inv_chi_square(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let df = param("invChiSquare", &args[0], "df")?;
    map_x("invChiSquare", &args[1], |p| chi2_inv(p, df))
}

fn cdf_f(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let d1 = param("cdfF", &args[0], "numeratorDF")?;
    let d2 = param("cdfF", &args[1], "denominatorDF")?;
    map_x("cdfF", &args[2], |x| f_cdf(x, d1, d2))
}

fn inv_f(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let d1 = param("invF", &args[0], "numeratorDF")?;
    let d2 = param("invF", &args[1], "denominatorDF")?;
    map_x("invF", &args[2], |p| f_inv(p, d1, d2))
}

fn cdf_exp(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let mean = param("cdfExp", &args[0], "mean")?;
    map_x("cdfExp", &args[1], |x| {
        if x <= 0.0 {
            0.0
        } else {
            1.0 - (-x / mean).exp()
        }
    })
}

fn inv_exp(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let mean = param("invExp", &args[0], "mean")?;
    map_x("invExp", &args[1], |p| {
        if (0.0..=1.0).contains(&p) {
            -mean * (1.0 - p).ln()
        } else {
            f64::NAN
        }
    })
}

fn cdf_uniform(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let lo = param("cdfUniform", &args[0], "lower")?;
    let hi = param("cdfUniform", &args[1], "upper")?;
    map_x("cdfUniform", &args[2], |x| {
        ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
    })
}

fn inv_uniform(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let lo = param("invUniform", &args[0], "lower")?;
    let hi = param("invUniform", &args[1], "upper")?;
    map_x("invUniform", &args[2], |p| {
        if (0.0..=1.0).contains(&p) {
            lo + p * (hi - lo)
        } else {
            f64::NAN
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn special_functions() {
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-13
        ));
        assert!(close(gamma_p(1.0, 2.0), 1.0 - (-2f64).exp(), 1e-13));
        assert!(close(beta_inc(2.0, 3.0, 0.4), 0.5248, 1e-12));
    }

    #[test]
    fn normal() {
        // DolphinDB docs: cdfNormal(0,1,-2.33) = 0.009903, cdfNormal(10,20,-30) = 0.02275.
        assert!(close(norm_cdf(-2.33), 0.009903, 1e-4));
        assert!(close(norm_cdf(-2.0), 0.022750131948179, 1e-12));
        assert!(close(norm_inv(0.975), 1.959963984540054, 1e-12));
        assert!(close(norm_inv(1e-10), -6.361340902404056, 1e-10));
        assert!(close(norm_inv(0.5), 0.0, 1e-15));
    }

    #[test]
    fn student_chi2_f() {
        assert!(close(t_cdf(2.0, 5.0), 0.949030260585071, 1e-12));
        assert!(close(t_inv(0.975, 19.0), 2.093024054408263, 1e-10));
        assert!(close(chi2_cdf(3.84, 1.0), 0.949956, 1e-5));
        assert!(close(chi2_inv(0.95, 2.0), 5.991464547107979, 1e-10));
        assert!(close(f_cdf(3.0, 4.0, 10.0), 0.927677, 1e-5));
        assert!(close(f_inv(f_cdf(3.0, 4.0, 10.0), 4.0, 10.0), 3.0, 1e-10));
    }
}
