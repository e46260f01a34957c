//! Where each sliding window starts, for count windows (`mavg(X, 3)`), time windows over a
//! time column (`tmavg(T, X, 3s)`) and indexed matrices (`mavg(m, 1w)`), plus the rule that
//! decides whether a window has enough values for a result.

use value::{null, temporal, Data, DataType, Value, Vector};

use super::super::data_util::{duration_arg, DurationUnit};
use super::promote::cast_num;
use crate::{Error, Result};

/// The windows of a whole column: element i's window is `starts[i]..=i`.
#[derive(Clone, Debug)]
pub struct Frames {
    pub starts: Vec<usize>,
    /// Positions before this one give null (a count window without `minPeriods`).
    pub warmup: usize,
    /// The fewest non-null values a window needs to give a result.
    pub min_valid: usize,
}

impl Frames {
    /// `window` elements back; without `min_periods` the first `window - 1` results are null
    /// (DolphinDB's m-functions), with it a window needs `min_periods` non-null values.
    pub fn count(n: usize, window: usize, min_periods: Option<usize>) -> Frames {
        let w = window.max(1);
        Frames {
            starts: (0..n).map(|i| (i + 1).saturating_sub(w)).collect(),
            warmup: if min_periods.is_some() { 0 } else { w - 1 },
            min_valid: min_periods.unwrap_or(1).max(1),
        }
    }

    /// Windows `(t[i] - span, t[i]]` over a non-decreasing time column.
    pub fn time(t: &[i64], ty: DataType, span: Span, min_periods: Option<usize>) -> Result<Frames> {
        if let Some(i) = (1..t.len()).find(|&i| t[i] < t[i - 1]) {
            return Err(Error::new(format!(
                "The time column must be non-decreasing (element {i} is smaller than its predecessor)."
            )));
        }
        if t.contains(&null::I64) {
            return Err(Error::new("The time column must not contain null values."));
        }
        let mut starts = Vec::with_capacity(t.len());
        let mut j = 0usize;
        for (i, &ti) in t.iter().enumerate() {
            let lower = span.lower_bound(ti, ty);
            while j < i && t[j] <= lower {
                j += 1;
            }
            starts.push(j);
        }
        Ok(Frames {
            starts,
            warmup: 0,
            min_valid: min_periods.unwrap_or(1).max(1),
        })
    }

    pub fn ready(&self, i: usize, valid: usize) -> bool {
        i >= self.warmup && valid >= self.min_valid
    }
}

/// A window length in the units of a time column, or in calendar months.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Span {
    Units(i64),
    Months(i64),
}

impl Span {
    /// The exclusive lower bound of the window ending at `t` (raw value of type `ty`).
    fn lower_bound(self, t: i64, ty: DataType) -> i64 {
        match self {
            Span::Units(w) => t.saturating_sub(w),
            Span::Months(k) => shift_months(t, ty, -k),
        }
    }
}

/// `t` moved by `k` calendar months, keeping the time of day; the day is clamped to the
/// month's length (2024.03.31 minus one month is 2024.02.29).
fn shift_months(t: i64, ty: DataType, k: i64) -> i64 {
    if ty == DataType::Month {
        return t + k;
    }
    let per_day = temporal::units_per_day(ty).unwrap_or(1);
    let days = t.div_euclid(per_day);
    let rem = t.rem_euclid(per_day);
    let (y, m, d) = temporal::days_to_ymd(days as i32);
    let total = y as i64 * 12 + (m as i64 - 1) + k;
    let (ny, nm) = (
        total.div_euclid(12) as i32,
        (total.rem_euclid(12) + 1) as u32,
    );
    let nd = d.min(temporal::days_in_month(ny, nm));
    temporal::ymd_to_days(ny, nm, nd) as i64 * per_day + rem
}

/// Nanoseconds in one raw unit of a temporal type (None for MONTH and non-temporal types).
fn unit_nanos(ty: DataType) -> Option<i64> {
    temporal::units_per_day(ty).map(|u| 86_400_000_000_000 / u)
}

/// Reads a window given as a positive integer (in the time column's unit) or a DURATION.
pub fn time_span(func: &str, ty: DataType, window: &Value) -> Result<Span> {
    if let Some(w) = window_int(window) {
        if w <= 0 {
            return Err(Error::new(format!(
                "The window of [{func}] must be positive."
            )));
        }
        return Ok(Span::Units(w));
    }
    let d = duration_arg(func, window)?;
    if d.count <= 0 {
        return Err(Error::new(format!(
            "The window of [{func}] must be positive."
        )));
    }
    let count = d.count as i64;
    let months = match d.unit {
        DurationUnit::Month => Some(count),
        DurationUnit::Year => Some(count * 12),
        _ => None,
    };
    if let Some(k) = months {
        return if ty == DataType::Month {
            Ok(Span::Units(k))
        } else if temporal::has_date(ty) {
            Ok(Span::Months(k))
        } else {
            Err(Error::new(format!(
                "The window {d} of [{func}] doesn't apply to a {} time column.",
                ty.name()
            )))
        };
    }
    let (Some(ns), Some(unit)) = (d.unit.nanos(), unit_nanos(ty)) else {
        return Err(Error::new(format!(
            "The window {d} of [{func}] doesn't apply to a {} time column.",
            ty.name()
        )));
    };
    let w = count.saturating_mul(ns) / unit;
    if w <= 0 {
        return Err(Error::new(format!(
            "The window {d} of [{func}] is finer than the {} time column.",
            ty.name()
        )));
    }
    Ok(Span::Units(w))
}

/// An integral scalar window, or None.
pub fn window_int(v: &Value) -> Option<i64> {
    match v {
        Value::Scalar(s) if s.ty.is_integral() => s.i64_at(0),
        _ => None,
    }
}

/// A time column's raw values as i64 (temporal or integral).
pub fn time_column(func: &str, t: &Vector) -> Result<Vec<i64>> {
    if !(t.ty.is_temporal() || t.ty.is_integral()) {
        return Err(Error::new(format!(
            "The time column of [{func}] must be temporal or integral, not {}.",
            t.ty.name()
        )));
    }
    match cast_num(t, DataType::Long)?.data {
        Data::I64(x) => Ok(x),
        _ => Err(Error::new("internal: expected LONG")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_frames() {
        let f = Frames::count(4, 3, None);
        assert_eq!(f.starts, vec![0, 0, 0, 1]);
        assert!(!f.ready(1, 2) && f.ready(2, 1));
        let f = Frames::count(4, 3, Some(2));
        assert!(!f.ready(0, 1) && f.ready(1, 2));
    }

    #[test]
    fn time_frames_are_left_open() {
        // DolphinDB docs (tm-functions): T = 1 1 3 5 8 15 15 20, window 3.
        let t = [1, 1, 3, 5, 8, 15, 15, 20];
        let f = Frames::time(&t, DataType::Int, Span::Units(3), None).unwrap();
        assert_eq!(f.starts, vec![0, 0, 0, 2, 4, 5, 5, 7]);
        assert!(Frames::time(&[2, 1], DataType::Int, Span::Units(3), None).is_err());
    }

    #[test]
    fn month_spans_clamp_days() {
        let d = temporal::ymd_to_days(2024, 3, 31) as i64;
        let back = shift_months(d, DataType::Date, -1);
        assert_eq!(back, temporal::ymd_to_days(2024, 2, 29) as i64);
        let dur = Value::string("1w");
        assert_eq!(
            time_span("f", DataType::Date, &dur).unwrap(),
            Span::Units(7)
        );
        let dur = Value::string("4H");
        assert_eq!(
            time_span("f", DataType::DateHour, &dur).unwrap(),
            Span::Units(4)
        );
        assert_eq!(
            time_span("f", DataType::Timestamp, &Value::string("3s")).unwrap(),
            Span::Units(3000)
        );
    }
}
