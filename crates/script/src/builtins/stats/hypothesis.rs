//! Hypothesis tests: `tTest` (one-sample, pooled and Welch two-sample), `zTest` and
//! `fTest`. Each returns a dictionary with a `stat` table holding the p-value and confidence
//! interval under the three alternative hypotheses (not equal, less, greater), then the test's
//! own statistics, in the order DolphinDB prints them.

use value::display::float_string;
use value::{Dict, Table, Value, Vector};

use super::super::{builtin, Builtin, Env, Kind};
use super::dist::{f_cdf, f_inv, norm_cdf, norm_inv, t_cdf, t_inv};
use super::params::bind;
use super::{double_vector, mean_sd, numeric_values};
use crate::{bail, Result};

pub(super) fn functions() -> Vec<Builtin> {
    vec![
        builtin("tTest", 1, 5, Kind::Other, t_test),
        builtin("zTest", 1, 6, Kind::Other, z_test),
        builtin("fTest", 2, 4, Kind::Other, f_test),
    ]
}

fn sample(func: &str, v: &Value, what: &str) -> Result<Vec<f64>> {
    match v {
        Value::Vector(x) => Ok(numeric_values(func, x)?
            .into_iter()
            .filter(|a| !a.is_nan())
            .collect()),
        _ => bail!(
            "The argument {} of function [{}] must be a numeric vector",
            what,
            func
        ),
    }
}

fn conf_level(func: &str, c: f64) -> Result<f64> {
    if c <= 0.0 || c >= 1.0 {
        bail!(
            "The argument confLevel of function [{}] must be between 0 and 1",
            func
        );
    }
    Ok(c)
}

/// The three alternatives: p-values and interval bounds for an estimate `est` with standard
/// error `se`, statistic `stat`, a CDF of the statistic and its quantile function.
struct Alternatives {
    p: [f64; 3],
    lower: [f64; 3],
    upper: [f64; 3],
}

fn alternatives(
    stat: f64,
    est: f64,
    se: f64,
    conf: f64,
    cdf: impl Fn(f64) -> f64,
    inv: impl Fn(f64) -> f64,
) -> Alternatives {
    let c = cdf(stat);
    let two = 2.0 * c.min(1.0 - c);
    let q2 = inv((1.0 + conf) / 2.0);
    let q1 = inv(conf);
    Alternatives {
        p: [two, c, 1.0 - c],
        lower: [est - q2 * se, f64::NEG_INFINITY, est - q1 * se],
        upper: [est + q2 * se, est + q1 * se, f64::INFINITY],
    }
}

fn stat_table(subject: &str, mu: f64, a: &Alternatives) -> Value {
    let m = float_string(mu);
    let hyp = vec![
        format!("{subject} is not equal to {m}"),
        format!("{subject} is less than {m}"),
        format!("{subject} is greater than {m}"),
    ];
    Value::table(Table::new(
        vec![
            "alternativeHypothesis".into(),
            "pValue".into(),
            "lowerBound".into(),
            "upperBound".into(),
        ],
        vec![
            Vector::from_strings(hyp),
            double_vector(a.p.to_vec()),
            Vector::from_f64(a.lower.to_vec()),
            Vector::from_f64(a.upper.to_vec()),
        ],
    ))
}

/// A dictionary with string keys, in insertion order.
fn result_dict(entries: Vec<(&str, Value)>) -> Value {
    let keys = Vector::from_strings(entries.iter().map(|(k, _)| k.to_string()).collect());
    let vals = Vector::from_values(entries.into_iter().map(|(_, v)| v).collect());
    Value::dict(Dict::from_vectors(keys, vals))
}

/// `tTest(X, [Y], [mu=0.0], [confLevel=0.95], [equalVar=false])`.
fn t_test(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let f = "tTest";
    let p = bind(env, f, args, &["X", "Y", "mu", "confLevel", "equalVar"])?;
    let x = sample(f, p.req(0)?, "X")?;
    let mu = p.number(2, 0.0)?;
    let conf = conf_level(f, p.number(3, 0.95)?)?;
    let equal_var = p.flag(4, false)?;
    let (n1, m1, s1) = mean_sd(&x);
    let (est, se, df, subject, method) = match p.get(1) {
        None => {
            if n1 < 2 {
                bail!("The sample of function [tTest] must have at least 2 values");
            }
            let se = s1 / (n1 as f64).sqrt();
            (m1, se, (n1 - 1) as f64, "true mean", "One sample t-test")
        }
        Some(yv) => {
            let y = sample(f, yv, "Y")?;
            let (n2, m2, s2) = mean_sd(&y);
            if n1 < 2 || n2 < 2 {
                bail!("Each sample of function [tTest] must have at least 2 values");
            }
            let (a, b) = (n1 as f64, n2 as f64);
            if equal_var {
                let df = a + b - 2.0;
                let sp2 = ((a - 1.0) * s1 * s1 + (b - 1.0) * s2 * s2) / df;
                let se = (sp2 * (1.0 / a + 1.0 / b)).sqrt();
                (m1 - m2, se, df, "difference of mean", "Two sample t-test")
            } else {
                let (v1, v2) = (s1 * s1 / a, s2 * s2 / b);
                let se = (v1 + v2).sqrt();
                let df = (v1 + v2).powi(2) / (v1 * v1 / (a - 1.0) + v2 * v2 / (b - 1.0));
                (
                    m1 - m2,
                    se,
                    df,
                    "difference of mean",
                    "Welch two sample t-test",
                )
            }
        }
    };
    let t = (est - mu) / se;
    let alt = alternatives(t, est, se, conf, |z| t_cdf(z, df), |q| t_inv(q, df));
    Ok(result_dict(vec![
        ("stat", stat_table(subject, mu, &alt)),
        ("df", Value::double(df)),
        ("confLevel", Value::double(conf)),
        ("method", Value::string(method)),
        ("tValue", Value::double(t)),
    ]))
}

/// `zTest(X, [Y], [mu=0.0], [sigmaX=1.0], [sigmaY=1.0], [confLevel=0.95])`.
fn z_test(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let f = "zTest";
    let p = bind(
        env,
        f,
        args,
        &["X", "Y", "mu", "sigmaX", "sigmaY", "confLevel"],
    )?;
    let x = sample(f, p.req(0)?, "X")?;
    let mu = p.number(2, 0.0)?;
    let sx = p.number(3, 1.0)?;
    let sy = p.number(4, 1.0)?;
    let conf = conf_level(f, p.number(5, 0.95)?)?;
    let (n1, m1, _) = mean_sd(&x);
    if n1 == 0 {
        bail!("The sample of function [zTest] must not be empty");
    }
    let (est, se, subject, method) = match p.get(1) {
        None => (
            m1,
            sx / (n1 as f64).sqrt(),
            "true mean",
            "One sample z-test",
        ),
        Some(yv) => {
            let y = sample(f, yv, "Y")?;
            let (n2, m2, _) = mean_sd(&y);
            if n2 == 0 {
                bail!("The sample Y of function [zTest] must not be empty");
            }
            let se = (sx * sx / n1 as f64 + sy * sy / n2 as f64).sqrt();
            (m1 - m2, se, "difference of mean", "Two sample z-test")
        }
    };
    let z = (est - mu) / se;
    let alt = alternatives(z, est, se, conf, norm_cdf, norm_inv);
    Ok(result_dict(vec![
        ("stat", stat_table(subject, mu, &alt)),
        ("confLevel", Value::double(conf)),
        ("method", Value::string(method)),
        ("zValue", Value::double(z)),
    ]))
}

/// `fTest(X, Y, [ratio=1.0], [confLevel=0.95])`: the F test that var(X)/var(Y) = ratio.
fn f_test(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let f = "fTest";
    let p = bind(env, f, args, &["X", "Y", "ratio", "confLevel"])?;
    let x = sample(f, p.req(0)?, "X")?;
    let y = sample(f, p.req(1)?, "Y")?;
    let ratio = p.number(2, 1.0)?;
    if ratio <= 0.0 {
        bail!("The argument ratio of function [fTest] must be positive");
    }
    let conf = conf_level(f, p.number(3, 0.95)?)?;
    let (n1, _, s1) = mean_sd(&x);
    let (n2, _, s2) = mean_sd(&y);
    if n1 < 2 || n2 < 2 {
        bail!("Each sample of function [fTest] must have at least 2 values");
    }
    let (d1, d2) = ((n1 - 1) as f64, (n2 - 1) as f64);
    let est = s1 * s1 / (s2 * s2);
    let stat = est / ratio;
    let c = f_cdf(stat, d1, d2);
    let q = |level: f64| f_inv(level, d1, d2);
    let alt = Alternatives {
        p: [2.0 * c.min(1.0 - c), c, 1.0 - c],
        lower: [est / q((1.0 + conf) / 2.0), 0.0, est / q(conf)],
        upper: [
            est / q((1.0 - conf) / 2.0),
            est / q(1.0 - conf),
            f64::INFINITY,
        ],
    };
    Ok(result_dict(vec![
        ("stat", stat_table("ratio of variances", ratio, &alt)),
        ("numeratorDf", Value::double(d1)),
        ("denominatorDf", Value::double(d2)),
        ("confLevel", Value::double(conf)),
        ("method", Value::string("F test to compare two variances")),
        ("fValue", Value::double(stat)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::super::super::kernels::test_env::*;
    use super::*;
    use value::DataType;

    fn entry(d: &Value, key: &str) -> Value {
        match d {
            Value::Dict(d) => d.get_str(key).expect("key"),
            _ => panic!("not a dict"),
        }
    }

    #[test]
    fn one_sample_t_test() {
        // R: t.test(c(1,2,3,4,5), mu=2): t = 1.414214, df = 4, p = 0.2302, CI 1.036757..4.963243.
        let r = run(
            "tTest",
            &[ints(&[1, 2, 3, 4, 5]), Value::void(), Value::double(2.0)],
        );
        assert!((entry(&r, "tValue").as_f64().unwrap() - 1.414214).abs() < 1e-6);
        assert_eq!(entry(&r, "df").as_f64(), Some(4.0));
        let Value::Table(t) = entry(&r, "stat") else {
            panic!()
        };
        let pv = as_f64(&Value::Vector(t.columns[1].clone()));
        assert!((pv[0] - 0.2302).abs() < 1e-4);
        let lo = as_f64(&Value::Vector(t.columns[2].clone()));
        assert!((lo[0] - 1.036757).abs() < 1e-6);
        assert_eq!(t.columns[0].str_at(0), Some("true mean is not equal to 2"));
    }

    #[test]
    fn two_sample_tests() {
        let x = doubles(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let y = doubles(&[2.0, 4.0, 6.0, 8.0, 10.0]);
        // R: t.test(x, y, var.equal=TRUE): t = -1.897367, df = 8.
        let r = run(
            "tTest",
            &[
                x.clone(),
                y.clone(),
                Value::double(0.0),
                Value::double(0.95),
                Value::bool(true),
            ],
        );
        assert!((entry(&r, "tValue").as_f64().unwrap() + 1.897367).abs() < 1e-6);
        // Welch: df = 5.882353.
        let r = run("tTest", &[x.clone(), y.clone()]);
        assert!((entry(&r, "df").as_f64().unwrap() - 5.882353).abs() < 1e-6);
        // R: var.test(x, y): F = 0.25, p = 0.2080.
        let r = run("fTest", &[x, y]);
        assert!((entry(&r, "fValue").as_f64().unwrap() - 0.25).abs() < 1e-12);
        let Value::Table(t) = entry(&r, "stat") else {
            panic!()
        };
        let pv = as_f64(&Value::Vector(t.columns[1].clone()));
        assert!((pv[0] - 0.2080).abs() < 1e-4);
    }

    #[test]
    fn z_test_one_sample() {
        let r = run(
            "zTest",
            &[doubles(&[1.0, 2.0, 3.0]), Value::void(), Value::double(1.0)],
        );
        let z = entry(&r, "zValue").as_f64().unwrap();
        assert!((z - 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(DataType::String, entry(&r, "method").data_type());
    }
}
