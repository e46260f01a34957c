//! Least squares: `ols`, `wls` and `residual`.
//!
//! X is a vector (one factor), a tuple of vectors, a table (its columns) or a matrix (its
//! columns when it has as many rows as Y, else its rows). Nulls in X and Y count as 0, as
//! DolphinDB documents. The coefficients solve the normal equations with the pseudo-inverse
//! of X'WX (DolphinDB's default `usePinv=true`), so a singular design still gives an answer.

use value::{DataType, Dict, Table, Value, Vector};

use super::super::matrix::linalg::{pinv_symmetric, Dense};
use super::super::{builtin, Builtin, Env, Kind};
use super::dist::{f_cdf, t_cdf};
use super::params::bind;
use super::{double_vector, numeric_values};
use crate::{bail, Result};

pub(super) fn functions() -> Vec<Builtin> {
    vec![
        builtin("ols", 2, 6, Kind::Other, ols),
        builtin("wls", 3, 7, Kind::Other, wls),
        builtin("residual", 3, 4, Kind::Other, residual),
    ]
}

/// Y as a vector with nulls as 0.
fn response(func: &str, y: &Value) -> Result<Vec<f64>> {
    match y {
        Value::Vector(v) => Ok(zero_nulls(numeric_values(func, v)?)),
        _ => bail!(
            "The argument Y of function [{}] must be a numeric vector",
            func
        ),
    }
}

fn zero_nulls(mut xs: Vec<f64>) -> Vec<f64> {
    xs.iter_mut().filter(|x| x.is_nan()).for_each(|x| *x = 0.0);
    xs
}

/// The factors of X (each of length n, nulls as 0) and their names.
fn factors(func: &str, x: &Value, n: usize) -> Result<(Vec<Vec<f64>>, Vec<String>)> {
    let beta_names = |k: usize| (1..=k).map(|i| format!("beta{i}")).collect::<Vec<_>>();
    let cols: Vec<Vec<f64>> = match x {
        Value::Vector(v) => match &v.data {
            value::Data::Any(items) => items
                .iter()
                .map(|it| match it {
                    Value::Vector(c) => Ok(zero_nulls(numeric_values(func, c)?)),
                    _ => bail!(
                        "The argument X of function [{}] must be a tuple of numeric vectors",
                        func
                    ),
                })
                .collect::<Result<_>>()?,
            _ => vec![zero_nulls(numeric_values(func, v)?)],
        },
        Value::Table(t) => {
            let cols = t
                .columns
                .iter()
                .map(|c| Ok(zero_nulls(numeric_values(func, c)?)))
                .collect::<Result<Vec<_>>>()?;
            check_lengths(func, &cols, n)?;
            return Ok((cols, t.names.clone()));
        }
        Value::Matrix(m) => {
            let xs = zero_nulls(numeric_values(func, &m.data)?);
            if m.rows == n {
                xs.chunks(m.rows.max(1))
                    .take(m.cols)
                    .map(|c| c.to_vec())
                    .collect()
            } else if m.cols == n {
                (0..m.rows)
                    .map(|i| (0..m.cols).map(|j| xs[j * m.rows + i]).collect())
                    .collect()
            } else {
                bail!(
                    "The dimensions of X don't match the length of Y in function [{}]",
                    func
                );
            }
        }
        _ => bail!(
            "The argument X of function [{}] must be a vector, tuple, matrix or table",
            func
        ),
    };
    check_lengths(func, &cols, n)?;
    let k = cols.len();
    Ok((cols, beta_names(k)))
}

fn check_lengths(func: &str, cols: &[Vec<f64>], n: usize) -> Result<()> {
    if cols.iter().any(|c| c.len() != n) {
        bail!(
            "The length of each factor in X must equal the length of Y ({}) in function [{}]",
            n,
            func
        );
    }
    Ok(())
}

/// The design matrix: a column of ones first when `intercept`, then the factors.
fn design(cols: Vec<Vec<f64>>, n: usize, intercept: bool) -> Dense {
    let p = cols.len() + intercept as usize;
    let mut data = Vec::with_capacity(n * p);
    if intercept {
        data.extend(std::iter::repeat_n(1.0, n));
    }
    for c in cols {
        data.extend(c);
    }
    Dense::from_cols(n, p, data)
}

/// A fitted model and the statistics `mode` 1 and 2 report.
struct Fit {
    beta: Vec<f64>,
    /// (X'WX)⁺, for the coefficients' standard errors.
    xtx_inv: Dense,
    residuals: Vec<f64>,
    n: usize,
    weights: Option<Vec<f64>>,
}

fn fit(x: &Dense, y: &[f64], w: Option<&[f64]>) -> Fit {
    let (n, p) = (x.rows, x.cols);
    let wt = |i: usize| w.map_or(1.0, |w| w[i]);
    let mut xtx = Dense::zeros(p, p);
    let mut xty = Vec::with_capacity(p);
    for a in 0..p {
        let ca = x.col(a);
        for b in a..p {
            let cb = x.col(b);
            let s: f64 = (0..n).map(|i| wt(i) * ca[i] * cb[i]).sum();
            xtx.set(a, b, s);
            xtx.set(b, a, s);
        }
        xty.push((0..n).map(|i| wt(i) * ca[i] * y[i]).sum::<f64>());
    }
    let xtx_inv = pinv_symmetric(&xtx);
    let beta: Vec<f64> = (0..p)
        .map(|a| (0..p).map(|b| xtx_inv.at(a, b) * xty[b]).sum())
        .collect();
    let residuals = (0..n)
        .map(|i| y[i] - (0..p).map(|a| x.at(i, a) * beta[a]).sum::<f64>())
        .collect();
    Fit {
        beta,
        xtx_inv,
        residuals,
        n,
        weights: w.map(|w| w.to_vec()),
    }
}

fn ols(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = ["Y", "X", "intercept", "mode", "method", "usePinv"];
    let p = bind(env, "ols", args, &names)?;
    regress(
        "ols",
        p.req(0)?,
        p.req(1)?,
        None,
        p.flag(2, true)?,
        p.number(3, 0.0)?,
    )
}

fn wls(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = ["Y", "X", "W", "intercept", "mode", "method", "usePinv"];
    let p = bind(env, "wls", args, &names)?;
    regress(
        "wls",
        p.req(0)?,
        p.req(1)?,
        Some(p.req(2)?),
        p.flag(3, true)?,
        p.number(4, 0.0)?,
    )
}

fn regress(
    func: &str,
    yv: &Value,
    xv: &Value,
    wv: Option<&Value>,
    intercept: bool,
    mode: f64,
) -> Result<Value> {
    let y = response(func, yv)?;
    let n = y.len();
    let (cols, mut names) = factors(func, xv, n)?;
    let w = match wv {
        Some(Value::Vector(v)) => {
            let w = zero_nulls(numeric_values(func, v)?);
            if w.len() != n {
                bail!(
                    "The length of W must equal the length of Y in function [{}]",
                    func
                );
            }
            Some(w)
        }
        Some(_) => bail!(
            "The argument W of function [{}] must be a numeric vector",
            func
        ),
        None => None,
    };
    let x = design(cols, n, intercept);
    if n <= x.cols && mode != 0.0 {
        bail!("The number of observations must be greater than the number of coefficients in function [{}]", func);
    }
    let f = fit(&x, &y, w.as_deref());
    if intercept {
        names.insert(0, "intercept".to_string());
    }
    match mode as i64 {
        0 => Ok(Value::vector(double_vector(f.beta))),
        1 => Ok(coefficient_table(&f, names)),
        2 => Ok(full_report(&f, &y, names, intercept)),
        _ => bail!("The argument mode of function [{}] must be 0, 1 or 2", func),
    }
}

/// Residual degrees of freedom and mean squared error.
fn mse(f: &Fit) -> (f64, f64) {
    let df = f.n as f64 - f.beta.len() as f64;
    let sse: f64 = f
        .residuals
        .iter()
        .enumerate()
        .map(|(i, e)| f.weights.as_ref().map_or(1.0, |w| w[i]) * e * e)
        .sum();
    (df, sse / df)
}

fn coefficient_table(f: &Fit, names: Vec<String>) -> Value {
    let (df, mse) = mse(f);
    let se: Vec<f64> = (0..f.beta.len())
        .map(|a| (mse * f.xtx_inv.at(a, a)).max(0.0).sqrt())
        .collect();
    let t: Vec<f64> = f.beta.iter().zip(&se).map(|(b, s)| b / s).collect();
    let pv: Vec<f64> = t.iter().map(|t| 2.0 * (1.0 - t_cdf(t.abs(), df))).collect();
    Value::table(Table::new(
        vec![
            "factor".into(),
            "beta".into(),
            "stdError".into(),
            "tstat".into(),
            "pvalue".into(),
        ],
        vec![
            Vector::from_strings(names),
            double_vector(f.beta.clone()),
            double_vector(se),
            double_vector(t),
            double_vector(pv),
        ],
    ))
}

/// mode 2: ANOVA, RegressionStat, Coefficient and Residual.
fn full_report(f: &Fit, y: &[f64], names: Vec<String>, intercept: bool) -> Value {
    let w = |i: usize| f.weights.as_ref().map_or(1.0, |w| w[i]);
    let (df_e, mse) = mse(f);
    let sse = mse * df_e;
    let sum_w: f64 = (0..f.n).map(w).sum();
    let mean = (0..f.n).map(|i| w(i) * y[i]).sum::<f64>() / sum_w;
    let sst: f64 = if intercept {
        (0..f.n).map(|i| w(i) * (y[i] - mean).powi(2)).sum()
    } else {
        (0..f.n).map(|i| w(i) * y[i] * y[i]).sum()
    };
    let ssr = sst - sse;
    let df_r = (f.beta.len() - intercept as usize) as f64;
    let df_t = df_r + df_e;
    let msr = ssr / df_r;
    let fval = msr / mse;
    let sig = 1.0 - f_cdf(fval, df_r, df_e);
    let anova = Table::new(
        vec![
            "Breakdown".into(),
            "DF".into(),
            "SS".into(),
            "MS".into(),
            "F".into(),
            "Significance".into(),
        ],
        vec![
            Vector::from_strings(vec!["Regression".into(), "Residual".into(), "Total".into()]),
            Vector::from_i32(DataType::Int, vec![df_r as i32, df_e as i32, df_t as i32]),
            double_vector(vec![ssr, sse, sst]),
            double_vector(vec![msr, mse, f64::NAN]),
            double_vector(vec![fval, f64::NAN, f64::NAN]),
            double_vector(vec![sig, f64::NAN, f64::NAN]),
        ],
    );
    let r2 = ssr / sst;
    let adj = 1.0 - (1.0 - r2) * df_t / df_e;
    let stat = Table::new(
        vec!["item".into(), "statistics".into()],
        vec![
            Vector::from_strings(vec![
                "R2".into(),
                "AdjustedR2".into(),
                "StdError".into(),
                "Observations".into(),
            ]),
            double_vector(vec![r2, adj, mse.sqrt(), f.n as f64]),
        ],
    );
    let keys = Vector::from_strings(vec![
        "ANOVA".into(),
        "RegressionStat".into(),
        "Coefficient".into(),
        "Residual".into(),
    ]);
    let vals = Vector::from_values(vec![
        Value::table(anova),
        Value::table(stat),
        coefficient_table(f, names),
        Value::vector(double_vector(f.residuals.clone())),
    ]);
    Value::dict(Dict::from_vectors(keys, vals))
}

/// `residual(Y, X, params, [intercept=true])`: Y minus the fitted values X ** params.
fn residual(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let p = bind(env, "residual", args, &["Y", "X", "params", "intercept"])?;
    let y = response("residual", p.req(0)?)?;
    let n = y.len();
    let (cols, _) = factors("residual", p.req(1)?, n)?;
    let intercept = p.flag(3, true)?;
    let params = match p.req(2)? {
        Value::Vector(v) => numeric_values("residual", v)?,
        _ => bail!("The argument params of function [residual] must be a numeric vector"),
    };
    let x = design(cols, n, intercept);
    if params.len() != x.cols {
        bail!(
            "The number of params ({}) must equal the number of coefficients ({}) in function [residual]",
            params.len(),
            x.cols
        );
    }
    let out = (0..n)
        .map(|i| y[i] - (0..x.cols).map(|a| x.at(i, a) * params[a]).sum::<f64>())
        .collect();
    Ok(Value::vector(double_vector(out)))
}

#[cfg(test)]
mod tests {
    use super::super::super::kernels::test_env::*;
    use super::*;

    fn x1() -> Value {
        ints(&[1, 3, 5, 7, 11, 16, 23])
    }
    fn x2() -> Value {
        ints(&[2, 8, 11, 34, 56, 54, 100])
    }
    fn y() -> Value {
        doubles(&[0.1, 4.2, 5.6, 8.8, 22.1, 35.6, 77.2])
    }

    #[test]
    fn residuals_match_the_docs() {
        // DolphinDB docs (residual): params = ols(y, x1); residual(y, x1, params).
        let params = run("ols", &[y(), x1()]);
        let r = run("residual", &[y(), x1(), params]);
        assert_close(
            &as_f64(&r),
            &[
                6.634188034188036,
                3.976923076923078,
                -1.380341880341881,
                -4.937606837606838,
                -5.152136752136756,
                -8.545299145299146,
                9.404273504273504,
            ],
        );
        let tuple = Value::tuple(vec![x1(), x2()]);
        let p1 = run("ols", &[y(), tuple.clone(), Value::bool(false)]);
        let r = run("residual", &[y(), tuple, p1, Value::bool(false)]);
        assert!((as_f64(&r)[0] + 1.941530853763632).abs() < 1e-9);
        // A matrix whose rows are the observations.
        let m = Value::Matrix(std::sync::Arc::new(value::Matrix::new(
            Vector::from_i32(
                DataType::Int,
                vec![1, 4, 8, 2, 3, 1, 4, 2, 3, 8, 1, 5, 1, 1, 5],
            ),
            5,
            3,
        )));
        let y5 = ints(&[1, 2, 3, 4, 5]);
        let p = run("ols", &[y5.clone(), m.clone()]);
        let r = run("residual", &[y5, m, p]);
        assert!((as_f64(&r)[0] + 0.474770642201834).abs() < 1e-9);
    }

    #[test]
    fn exact_fit_and_reports() {
        let x = ints(&[1, 2, 3, 4]);
        let y = doubles(&[3.0, 5.0, 7.0, 9.0]);
        assert_close(&as_f64(&run("ols", &[y.clone(), x.clone()])), &[1.0, 2.0]);
        let t = run(
            "ols",
            &[y.clone(), x.clone(), Value::bool(true), Value::int(1)],
        );
        let Value::Table(t) = t else { panic!() };
        assert_eq!(t.names[0], "factor");
        assert_eq!(t.columns[0].str_at(1), Some("beta1"));
        let d = run(
            "ols",
            &[
                doubles(&[3.0, 5.0, 7.5, 9.0]),
                x.clone(),
                Value::bool(true),
                Value::int(2),
            ],
        );
        let Value::Dict(d) = d else { panic!() };
        assert!(matches!(d.get_str("ANOVA"), Some(Value::Table(_))));
        let Some(Value::Table(s)) = d.get_str("RegressionStat") else {
            panic!()
        };
        let r2 = s.columns[1].f64_at(0).unwrap();
        assert!(r2 > 0.99 && r2 < 1.0);
        // Weights of 1 give the ols answer.
        let w = doubles(&[1.0, 1.0, 1.0, 1.0]);
        assert_close(&as_f64(&run("wls", &[y, x, w])), &[1.0, 2.0]);
    }
}
