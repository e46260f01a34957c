//! Built-ins: `bar` (values rounded down to a multiple of an interval) and `dailyAlignedBar`
//! (bars aligned to the daily sessions of a market).

use value::temporal::{self as tm, NS_PER_DAY};
use value::{null, DataType, Value, Vector};

use super::super::data_util::{self, duration_arg, int_arg, vector_arg};
use super::super::Env;
use super::{from_raws, raws, temporal_arg, tod_ns_of};
use crate::{bail, Result};

/// The bar interval in raw units of `ty`: an integer, or a duration of fixed length.
fn interval_units(func: &str, v: &Value, ty: DataType) -> Result<i64> {
    if let Value::Scalar(s) = v {
        if s.ty == DataType::Duration || s.ty.is_literal() {
            let d = duration_arg(func, v)?;
            let Some(unit_ns) = d.unit.nanos() else {
                bail!(
                    "The interval of function [{}] must be a fixed-length duration",
                    func
                );
            };
            let Some(upd) = tm::units_per_day(ty) else {
                bail!(
                    "A duration interval needs a temporal X in function [{}]",
                    func
                );
            };
            let type_ns = NS_PER_DAY / upd;
            if unit_ns % type_ns != 0 {
                bail!(
                    "The interval of function [{}] is finer than X's precision",
                    func
                );
            }
            return Ok(d.count as i64 * (unit_ns / type_ns));
        }
    }
    int_arg(func, v, "interval")
}

/// `bar(X, interval)`: X rounded down to a multiple of interval.
pub(super) fn bar(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = vector_arg("bar", &args[0], "X")?;
    if x.ty.is_floating() || x.ty.is_decimal() {
        let step = match args[1].as_f64() {
            Some(s) if s > 0.0 => s,
            _ => bail!("The interval of function [bar] must be positive"),
        };
        let out: Vec<f64> = (0..x.len())
            .map(|i| match x.f64_at(i) {
                Some(f) => (f / step).floor() * step,
                None => null::F64,
            })
            .collect();
        let v = data_util::cast(&Vector::from_f64(out), x.ty, x.scale)?;
        return Ok(data_util::same_form(&args[0], v));
    }
    if !(x.ty.is_integral() || x.ty.is_temporal()) || x.ty == DataType::Bool {
        bail!("The argument X of function [bar] must be numeric or temporal");
    }
    let step = interval_units("bar", &args[1], x.ty)?;
    if step <= 0 {
        bail!("The interval of function [bar] must be positive");
    }
    let widened = data_util::cast(x, widest(x.ty), 0)?;
    let out: Vec<Option<i64>> = (0..x.len())
        .map(|i| {
            let r = data_util::raw_i64(&widened, i);
            (r != null::I64).then(|| r - r.rem_euclid(step))
        })
        .collect();
    Ok(data_util::same_form(&args[0], from_raws(x.ty, out)))
}

/// A type whose raw values i64 can hold for the loop (integers widen to LONG).
fn widest(ty: DataType) -> DataType {
    if ty.is_temporal() {
        ty
    } else {
        DataType::Long
    }
}

/// `dailyAlignedBar(X, timeOffset, n, [timeEnd], [mergeSessionEnd])`: bars of length n
/// aligned to the start of the trading session (of `timeOffset`) each time falls in.
pub(super) fn daily_aligned_bar(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = temporal_arg("dailyAlignedBar", &args[0])?;
    let ty = x.ty;
    let Some(upd) = tm::units_per_day(ty).filter(|_| tm::has_time(ty)) else {
        bail!("The argument X of function [dailyAlignedBar] must contain a time of day");
    };
    let type_ns = NS_PER_DAY / upd;
    // Session starts (and ends) as times of day in X's units, increasing.
    let session_times = |v: &Value, what: &str| -> Result<Vec<i64>> {
        let t = temporal_arg("dailyAlignedBar", v)?;
        raws(t)
            .into_iter()
            .map(|r| match r {
                Some(r) => Ok(tod_ns_of(r, t.ty).unwrap_or(0) / type_ns),
                None => bail!(
                    "The {} of function [dailyAlignedBar] must not be null",
                    what
                ),
            })
            .collect()
    };
    let starts = session_times(&args[1], "timeOffset")?;
    if starts.is_empty() {
        bail!("The timeOffset of function [dailyAlignedBar] must not be empty");
    }
    let ends = match args.get(3).filter(|v| !v.is_void()) {
        Some(v) => Some(session_times(v, "timeEnd")?),
        None => None,
    };
    let merge_end = match args.get(4).filter(|v| !v.is_void()) {
        Some(v) => data_util::bool_arg("dailyAlignedBar", v, "mergeSessionEnd")?,
        None => false,
    };
    let step = interval_units("dailyAlignedBar", &args[2], ty)?;
    if step <= 0 {
        bail!("The interval of function [dailyAlignedBar] must be positive");
    }
    let out = raws(x)
        .into_iter()
        .map(|r| {
            r.map(|r| {
                let (mut day, mut tod) = (r.div_euclid(upd), r.rem_euclid(upd));
                // Before the first session of a day: the overnight end of the last session.
                let k = match starts.iter().rposition(|&s| s <= tod) {
                    Some(k) => k,
                    None => {
                        day -= 1;
                        tod += upd;
                        starts.len() - 1
                    }
                };
                let off = starts[k];
                let mut bucket = (tod - off).div_euclid(step);
                let at_end = ends
                    .as_ref()
                    .and_then(|e| e.get(k))
                    .is_some_and(|&e| tod == e || tod == e + upd);
                if merge_end && at_end && (tod - off).rem_euclid(step) == 0 && bucket > 0 {
                    bucket -= 1;
                }
                day * upd + off + bucket * step
            })
        })
        .collect();
    Ok(data_util::same_form(&args[0], from_raws(ty, out)))
}
