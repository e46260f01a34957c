//! Built-ins: calendar and clock functions. Field extraction (`year`, `dayOfWeek`, `hour`,
//! ...), period boundaries (`monthBegin`, `yearEnd`, ...), arithmetic (`temporalAdd`, `bar`,
//! `dailyAlignedBar`), text (`temporalParse`, `temporalFormat`) and the clock (`now`,
//! `today`). Conversions between temporal types (`date`, `month`, `minute`, `second`, ...) are
//! in `convert`.
//!
//! Every function loops over the raw values (`value::temporal` documents the encodings) and
//! keeps nulls null. `now()` and `today()` use UTC.

use value::temporal::{self as tm, NS_PER_DAY};
use value::{null, Data, DataType, Storage, Value, Vector};

use super::data_util::{self, duration_arg, int_arg, str_arg, vector_arg, Duration, DurationUnit};
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

mod bars;
use bars::{bar, daily_aligned_bar};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("year", 1, 1, Kind::Scalar, year),
        builtin("monthOfYear", 1, 1, Kind::Scalar, month_of_year),
        builtin("quarterOfYear", 1, 1, Kind::Scalar, quarter_of_year),
        builtin("dayOfMonth", 1, 1, Kind::Scalar, day_of_month),
        builtin("dayOfYear", 1, 1, Kind::Scalar, day_of_year),
        builtin("dayOfWeek", 1, 1, Kind::Scalar, day_of_week),
        builtin("weekday", 1, 2, Kind::Scalar, weekday),
        builtin("weekOfYear", 1, 1, Kind::Scalar, week_of_year),
        builtin("hour", 1, 1, Kind::Scalar, hour),
        builtin("hourOfDay", 1, 1, Kind::Scalar, hour),
        builtin("minuteOfHour", 1, 1, Kind::Scalar, minute_of_hour),
        builtin("secondOfMinute", 1, 1, Kind::Scalar, second_of_minute),
        builtin("millisecond", 1, 1, Kind::Scalar, millisecond),
        builtin("microsecond", 1, 1, Kind::Scalar, microsecond),
        builtin("nanosecond", 1, 1, Kind::Scalar, nanosecond),
        builtin("isLeapYear", 1, 1, Kind::Scalar, is_leap_year),
        builtin("daysInMonth", 1, 1, Kind::Scalar, days_in_month),
        builtin("isMonthStart", 1, 1, Kind::Scalar, is_month_start),
        builtin("isMonthEnd", 1, 1, Kind::Scalar, is_month_end),
        builtin("monthBegin", 1, 1, Kind::Scalar, month_begin),
        builtin("monthEnd", 1, 1, Kind::Scalar, month_end),
        builtin("quarterBegin", 1, 1, Kind::Scalar, quarter_begin),
        builtin("quarterEnd", 1, 1, Kind::Scalar, quarter_end),
        builtin("yearBegin", 1, 1, Kind::Scalar, year_begin),
        builtin("yearEnd", 1, 1, Kind::Scalar, year_end),
        builtin("weekBegin", 1, 2, Kind::Scalar, week_begin),
        builtin("today", 0, 0, Kind::Other, today),
        builtin("now", 0, 1, Kind::Other, now),
        builtin("temporalAdd", 2, 3, Kind::Scalar, temporal_add),
        builtin("bar", 2, 2, Kind::Scalar, bar),
        builtin("dailyAlignedBar", 3, 5, Kind::Scalar, daily_aligned_bar),
        builtin("temporalParse", 2, 2, Kind::Scalar, temporal_parse),
        builtin("datetimeParse", 2, 2, Kind::Scalar, temporal_parse),
        builtin("temporalFormat", 2, 2, Kind::Scalar, temporal_format),
        builtin("datetimeFormat", 2, 2, Kind::Scalar, temporal_format),
    ]
}

/// The raw values of a temporal vector as i64, with `None` for nulls.
pub(super) fn raws(v: &Vector) -> Vec<Option<i64>> {
    match &v.data {
        Data::I32(x) => x
            .iter()
            .map(|&r| (r != null::I32).then_some(r as i64))
            .collect(),
        Data::I64(x) => x.iter().map(|&r| (r != null::I64).then_some(r)).collect(),
        _ => vec![None; v.len()],
    }
}

/// A vector of `ty` from optional raw values (None becomes null).
pub(super) fn from_raws(ty: DataType, xs: Vec<Option<i64>>) -> Vector {
    match ty.storage() {
        Storage::I32 => Vector::from_i32(
            ty,
            xs.into_iter()
                .map(|x| match x {
                    Some(r) if r > i32::MIN as i64 && r <= i32::MAX as i64 => r as i32,
                    _ => null::I32,
                })
                .collect(),
        ),
        Storage::I8 => Vector::from_i8(
            ty,
            xs.into_iter()
                .map(|x| x.map(|r| r as i8).unwrap_or(null::I8))
                .collect(),
        ),
        _ => Vector::from_i64(ty, xs.into_iter().map(|x| x.unwrap_or(null::I64)).collect()),
    }
}

/// The temporal argument of `func`.
pub(super) fn temporal_arg<'a>(func: &str, v: &'a Value) -> Result<&'a Vector> {
    let x = vector_arg(func, v, "X")?;
    if !x.ty.is_temporal() || x.is_array() {
        bail!(
            "The argument of function [{}] must be a temporal value",
            func
        );
    }
    Ok(x)
}

/// Days since 1970.01.01 of a raw value (MONTH gives its first day); None for times of day.
fn days_of(raw: i64, ty: DataType) -> Option<i64> {
    if ty == DataType::Month {
        let (y, m) = tm::month_to_ym(i32::try_from(raw).ok()?);
        return Some(tm::ymd_to_days(y, m, 1) as i64);
    }
    if !tm::has_date(ty) {
        return None;
    }
    let upd = tm::units_per_day(ty)?;
    Some(raw.div_euclid(upd))
}

/// Nanoseconds since midnight of a raw value; None for DATE and MONTH.
pub(super) fn tod_ns_of(raw: i64, ty: DataType) -> Option<i64> {
    if !tm::has_time(ty) {
        return None;
    }
    let upd = tm::units_per_day(ty)?;
    Some(raw.rem_euclid(upd) * (NS_PER_DAY / upd))
}

fn ymd(days: i64) -> Option<(i32, u32, u32)> {
    Some(tm::days_to_ymd(i32::try_from(days).ok()?))
}

/// Maps each element through `f` (given the raw value and type) to a result of `out`.
fn map_raw(
    func: &str,
    args: &[Value],
    out: DataType,
    f: impl Fn(i64, DataType) -> Option<i64>,
) -> Result<Value> {
    let x = temporal_arg(func, &args[0])?;
    let ty = x.ty;
    let res = raws(x)
        .into_iter()
        .map(|r| r.and_then(|r| f(r, ty)))
        .collect();
    Ok(data_util::same_form(&args[0], from_raws(out, res)))
}

/// A date field as INT.
fn date_field(func: &str, args: &[Value], f: impl Fn(i64) -> Option<i64>) -> Result<Value> {
    map_raw(func, args, DataType::Int, |r, ty| f(days_of(r, ty)?))
}

/// A time-of-day field (from nanoseconds since midnight) as INT.
fn time_field(func: &str, args: &[Value], f: impl Fn(i64) -> i64) -> Result<Value> {
    let x = temporal_arg(func, &args[0])?;
    if !tm::has_time(x.ty) {
        bail!(
            "The argument of function [{}] must contain a time of day",
            func
        );
    }
    map_raw(func, args, DataType::Int, |r, ty| tod_ns_of(r, ty).map(&f))
}

fn year(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_field("year", args, |d| ymd(d).map(|(y, _, _)| y as i64))
}

fn month_of_year(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_field("monthOfYear", args, |d| ymd(d).map(|(_, m, _)| m as i64))
}

fn quarter_of_year(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_field("quarterOfYear", args, |d| {
        ymd(d).map(|(_, m, _)| (m as i64 - 1) / 3 + 1)
    })
}

fn day_of_month(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_field("dayOfMonth", args, |d| ymd(d).map(|(_, _, dd)| dd as i64))
}

fn day_of_year(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_field("dayOfYear", args, |d| {
        let (y, _, _) = ymd(d)?;
        Some(d - tm::ymd_to_days(y, 1, 1) as i64 + 1)
    })
}

/// `dayOfWeek(X)`: Monday is 0, Sunday 6 (1970.01.01 was a Thursday).
fn day_of_week(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_field("dayOfWeek", args, |d| Some((d + 3).rem_euclid(7)))
}

/// `weekday(X, [startFromSunday=true])`: Sunday 0 .. Saturday 6, or Monday 0 .. Sunday 6.
fn weekday(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let from_sunday = match args.get(1) {
        Some(v) => data_util::bool_arg("weekday", v, "startFromSunday")?,
        None => true,
    };
    let shift = if from_sunday { 4 } else { 3 };
    date_field("weekday", &args[..1], |d| Some((d + shift).rem_euclid(7)))
}

/// `weekOfYear(X)`: the ISO 8601 week number (weeks start on Monday; week 1 holds Jan 4).
fn week_of_year(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_field("weekOfYear", args, |d| {
        let monday_based = (d + 3).rem_euclid(7);
        let thursday = d - monday_based + 3;
        let (y, _, _) = ymd(thursday)?;
        Some((thursday - tm::ymd_to_days(y, 1, 1) as i64) / 7 + 1)
    })
}

fn hour(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_field("hour", args, |ns| ns / 3_600_000_000_000)
}

fn minute_of_hour(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_field("minuteOfHour", args, |ns| ns / 60_000_000_000 % 60)
}

fn second_of_minute(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_field("secondOfMinute", args, |ns| ns / 1_000_000_000 % 60)
}

fn millisecond(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_field("millisecond", args, |ns| ns % 1_000_000_000 / 1_000_000)
}

fn microsecond(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_field("microsecond", args, |ns| ns % 1_000_000_000 / 1_000)
}

fn nanosecond(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    time_field("nanosecond", args, |ns| ns % 1_000_000_000)
}

fn is_leap_year(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_raw("isLeapYear", args, DataType::Bool, |r, ty| {
        let (y, _, _) = ymd(days_of(r, ty)?)?;
        Some(tm::is_leap_year(y) as i64)
    })
}

fn days_in_month(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_field("daysInMonth", args, |d| {
        let (y, m, _) = ymd(d)?;
        Some(tm::days_in_month(y, m) as i64)
    })
}

fn is_month_start(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_raw("isMonthStart", args, DataType::Bool, |r, ty| {
        let (_, _, d) = ymd(days_of(r, ty)?)?;
        Some((d == 1) as i64)
    })
}

fn is_month_end(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_raw("isMonthEnd", args, DataType::Bool, |r, ty| {
        let (y, m, d) = ymd(days_of(r, ty)?)?;
        Some((d == tm::days_in_month(y, m)) as i64)
    })
}

/// A DATE computed from the (year, month, day) of each element.
fn date_boundary(
    func: &str,
    args: &[Value],
    f: impl Fn(i32, u32, u32) -> (i32, u32, u32),
) -> Result<Value> {
    map_raw(func, args, DataType::Date, |r, ty| {
        let (y, m, d) = ymd(days_of(r, ty)?)?;
        let (y2, m2, d2) = f(y, m, d);
        Some(tm::ymd_to_days(y2, m2, d2) as i64)
    })
}

fn month_begin(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_boundary("monthBegin", args, |y, m, _| (y, m, 1))
}

fn month_end(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_boundary("monthEnd", args, |y, m, _| (y, m, tm::days_in_month(y, m)))
}

fn quarter_begin(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_boundary("quarterBegin", args, |y, m, _| (y, (m - 1) / 3 * 3 + 1, 1))
}

fn quarter_end(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_boundary("quarterEnd", args, |y, m, _| {
        let end = (m - 1) / 3 * 3 + 3;
        (y, end, tm::days_in_month(y, end))
    })
}

fn year_begin(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_boundary("yearBegin", args, |y, _, _| (y, 1, 1))
}

fn year_end(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    date_boundary("yearEnd", args, |y, _, _| (y, 12, 31))
}

/// `weekBegin(X, [weekday=0])`: the most recent day (on or before X) that is `weekday`
/// (Monday 0 .. Sunday 6).
fn week_begin(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let wd = match args.get(1) {
        Some(v) => int_arg("weekBegin", v, "weekday")?,
        None => 0,
    };
    if !(0..7).contains(&wd) {
        bail!("The weekday of function [weekBegin] must be between 0 and 6");
    }
    map_raw("weekBegin", &args[..1], DataType::Date, |r, ty| {
        let d = days_of(r, ty)?;
        let back = ((d + 3).rem_euclid(7) - wd).rem_euclid(7);
        Some(d - back)
    })
}

/// The current time as nanoseconds since the epoch (UTC).
fn clock_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn today(_env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    Ok(Value::i32_of(
        DataType::Date,
        clock_ns().div_euclid(NS_PER_DAY) as i32,
    ))
}

/// `now([nanoSecond=false])`: a TIMESTAMP, or a NANOTIMESTAMP when asked.
fn now(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let nano = match args.first() {
        Some(v) => data_util::bool_arg("now", v, "nanoSecond")?,
        None => false,
    };
    let ns = clock_ns();
    Ok(if nano {
        Value::i64_of(DataType::NanoTimestamp, ns)
    } else {
        Value::i64_of(DataType::Timestamp, ns.div_euclid(1_000_000))
    })
}

/// Adds `months` calendar months to a day count, clamping the day to the month's end.
fn add_months(days: i64, months: i64) -> Option<i64> {
    let (y, m, d) = ymd(days)?;
    let total = y as i64 * 12 + m as i64 - 1 + months;
    let y2 = i32::try_from(total.div_euclid(12)).ok()?;
    let m2 = total.rem_euclid(12) as u32 + 1;
    let d2 = d.min(tm::days_in_month(y2, m2));
    Some(tm::ymd_to_days(y2, m2, d2) as i64)
}

/// Adds `n` business days (Monday to Friday) to a day count.
fn add_business_days(days: i64, n: i64) -> i64 {
    let mut d = days;
    let step = if n >= 0 { 1 } else { -1 };
    let mut left = n.abs();
    // A weekend start first moves to the nearest business day in the direction of travel.
    while (d + 3).rem_euclid(7) >= 5 {
        d += step;
        if left > 0 {
            left -= 1;
        }
    }
    d += step * (left / 5) * 7;
    left %= 5;
    while left > 0 {
        d += step;
        if (d + 3).rem_euclid(7) < 5 {
            left -= 1;
        }
    }
    d
}

/// `raw` of type `ty` moved by `dur`; None when the result is out of range. Errors when the
/// unit doesn't apply to the type (hours on a DATE, days on a TIME).
fn shift(raw: i64, ty: DataType, dur: Duration) -> Result<Option<i64>> {
    let count = dur.count as i64;
    let calendar = match dur.unit {
        DurationUnit::Month => Some(count),
        DurationUnit::Year => Some(count * 12),
        _ => None,
    };
    if ty == DataType::Month {
        return match calendar {
            Some(m) => Ok(raw.checked_add(m)),
            None => bail!("The duration {} can't be added to a MONTH", dur),
        };
    }
    if let Some(months) = calendar.or(if dur.unit == DurationUnit::BDay {
        Some(0)
    } else {
        None
    }) {
        let Some(upd) = tm::units_per_day(ty).filter(|_| tm::has_date(ty)) else {
            bail!("The duration {} can't be added to a {}", dur, ty.name());
        };
        let days = raw.div_euclid(upd);
        let tod = raw.rem_euclid(upd);
        let new_days = if dur.unit == DurationUnit::BDay {
            Some(add_business_days(days, count))
        } else {
            add_months(days, months)
        };
        return Ok(new_days.and_then(|d| d.checked_mul(upd)?.checked_add(tod)));
    }
    let Some(unit_ns) = dur.unit.nanos() else {
        bail!("Unsupported duration {}", dur);
    };
    let Some(upd) = tm::units_per_day(ty) else {
        bail!("The duration {} can't be added to a {}", dur, ty.name());
    };
    let type_ns = NS_PER_DAY / upd;
    if unit_ns % type_ns != 0 {
        bail!(
            "The unit of the duration {} is finer than the precision of {}",
            dur,
            ty.name()
        );
    }
    let delta = count.checked_mul(unit_ns / type_ns);
    Ok(delta.and_then(|d| {
        let r = raw.checked_add(d)?;
        // Times of day wrap around midnight.
        Some(if tm::has_date(ty) {
            r
        } else {
            r.rem_euclid(upd)
        })
    }))
}

/// `temporalAdd(obj, duration, [unit])`: `temporalAdd(x, 2d)` or `temporalAdd(x, 2, "d")`.
fn temporal_add(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let dur = match args.get(2) {
        Some(u) => {
            let n = int_arg("temporalAdd", &args[1], "duration")?;
            let unit = str_arg("temporalAdd", u, "unit")?;
            match Duration::parse(&format!("{}{}", n, unit)) {
                Some(d) => d,
                None => bail!("Invalid unit of function [temporalAdd]: {}", unit),
            }
        }
        None => duration_arg("temporalAdd", &args[1])?,
    };
    let x = temporal_arg("temporalAdd", &args[0])?;
    let ty = x.ty;
    let mut out = Vec::with_capacity(x.len());
    for r in raws(x) {
        out.push(match r {
            Some(r) => shift(r, ty, dur)?,
            None => None,
        });
    }
    Ok(data_util::same_form(&args[0], from_raws(ty, out)))
}

/// One piece of a temporal format: a run of a pattern letter, or literal text.
#[derive(Debug, PartialEq)]
enum Token {
    Field(char, usize),
    Literal(String),
}

const FORMAT_LETTERS: &str = "yMdHhmsaSn";

fn tokenize(format: &str) -> Result<Vec<Token>> {
    let mut out: Vec<Token> = Vec::new();
    for c in format.chars() {
        if FORMAT_LETTERS.contains(c) {
            match out.last_mut() {
                Some(Token::Field(l, n)) if *l == c => *n += 1,
                _ => out.push(Token::Field(c, 1)),
            }
        } else {
            match out.last_mut() {
                Some(Token::Literal(s)) => s.push(c),
                _ => out.push(Token::Literal(c.to_string())),
            }
        }
    }
    for t in &out {
        match t {
            Token::Field('S', n) if *n != 3 => bail!(
                "Invalid temporal format: '{}'. Millisecond (S) must have three digits.",
                format
            ),
            Token::Field('n', n) if *n != 6 && *n != 9 => bail!(
                "Invalid temporal format: '{}'. Nanosecond (n) must have six or nine digits.",
                format
            ),
            _ => {}
        }
    }
    Ok(out)
}

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Formats one non-null raw value.
fn format_one(raw: i64, ty: DataType, tokens: &[Token]) -> String {
    let date = days_of(raw, ty).and_then(ymd);
    let tod = tod_ns_of(raw, ty).unwrap_or(0);
    let (y, mo, d) = date.unwrap_or((1970, 1, 1));
    let h = tod / 3_600_000_000_000;
    let mi = tod / 60_000_000_000 % 60;
    let s = tod / 1_000_000_000 % 60;
    let frac = tod % 1_000_000_000;
    let mut out = String::new();
    for t in tokens {
        match t {
            Token::Literal(l) => out.push_str(l),
            Token::Field(c, n) => {
                let n = *n;
                let num = |v: i64, width: usize| format!("{:0width$}", v, width = width);
                out.push_str(&match c {
                    'y' if n == 2 => num((y as i64).rem_euclid(100), 2),
                    'y' => num(y as i64, n.max(1)),
                    'M' if n >= 3 => MONTH_NAMES[(mo as usize - 1) % 12].to_string(),
                    'M' => num(mo as i64, n),
                    'd' => num(d as i64, n),
                    'H' => num(h, n),
                    'h' => num(h % 12, n),
                    'm' => num(mi, n),
                    's' => num(s, n),
                    'a' => if h < 12 { "AM" } else { "PM" }.to_string(),
                    'S' => num(frac / 1_000_000, 3),
                    'n' if n == 6 => num(frac / 1_000, 6),
                    'n' => num(frac, 9),
                    _ => String::new(),
                });
            }
        }
    }
    out
}

/// Formats a temporal value with a `temporalFormat` pattern (used by `format` too).
pub(crate) fn temporal_format_value(_env: &mut dyn Env, x: &Value, pattern: &str) -> Result<Value> {
    let v = temporal_arg("temporalFormat", x)?;
    let tokens = tokenize(pattern)?;
    let out = raws(v)
        .into_iter()
        .map(|r| r.map(|r| format_one(r, v.ty, &tokens)).unwrap_or_default())
        .collect();
    Ok(data_util::same_form(x, Vector::from_strings(out)))
}

/// `temporalFormat(X, format)` (alias `datetimeFormat`).
fn temporal_format(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let pattern = str_arg("temporalFormat", &args[1], "format")?.to_string();
    temporal_format_value(env, &args[0], &pattern)
}

/// The type `temporalParse` produces for a format: decided by the finest field present.
fn parse_type(tokens: &[Token]) -> DataType {
    let has = |c: char| {
        tokens
            .iter()
            .any(|t| matches!(t, Token::Field(l, _) if *l == c))
    };
    let nanos = tokens.iter().any(|t| matches!(t, Token::Field('n', _)));
    let date = has('y') || has('M') || has('d');
    let time = has('H') || has('h') || has('m') || has('s');
    match (date, time) {
        (true, false) if !has('d') => DataType::Month,
        (true, false) => DataType::Date,
        (true, true) if nanos => DataType::NanoTimestamp,
        (true, true) if has('S') => DataType::Timestamp,
        (true, true) if !has('m') && !has('s') => DataType::DateHour,
        (true, true) => DataType::DateTime,
        (false, _) if nanos => DataType::NanoTime,
        (false, _) if has('S') => DataType::Time,
        (false, _) if has('s') => DataType::Second,
        _ => DataType::Minute,
    }
}

/// Parsed fields of one text.
#[derive(Default)]
struct Fields {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
    pm: Option<bool>,
}

/// Reads up to `max` digits (at least one) from `s`.
fn digits(s: &str, max: usize) -> Option<(i64, usize)> {
    let n = s
        .bytes()
        .take(max)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n == 0 {
        return None;
    }
    Some((s[..n].parse().ok()?, n))
}

fn parse_fields(text: &str, tokens: &[Token]) -> Option<Fields> {
    let mut f = Fields::default();
    let mut rest = text;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Literal(l) => rest = rest.strip_prefix(l.as_str())?,
            Token::Field(c, n) => {
                let fixed = matches!(tokens.get(i + 1), Some(Token::Field(..)));
                let max = if fixed { *n } else { n.max(&9).to_owned() };
                let max = if *c == 'y' && !fixed { 4 } else { max };
                match c {
                    'M' if *n >= 3 => {
                        let name = rest.get(..3)?.to_ascii_uppercase();
                        let m = MONTH_NAMES.iter().position(|x| *x == name)?;
                        f.month = Some(m as u32 + 1);
                        rest = &rest[3..];
                    }
                    'a' => {
                        let marker = rest.get(..2)?.to_ascii_uppercase();
                        f.pm = Some(match marker.as_str() {
                            "AM" => false,
                            "PM" => true,
                            _ => return None,
                        });
                        rest = &rest[2..];
                    }
                    _ => {
                        let (v, used) = digits(rest, max)?;
                        rest = &rest[used..];
                        match c {
                            'y' if used <= 2 => {
                                f.year = Some(if v < 40 { 2000 + v } else { 1900 + v })
                            }
                            'y' => f.year = Some(v),
                            'M' => f.month = Some(v as u32),
                            'd' => f.day = Some(v as u32),
                            'H' | 'h' => f.hour = v,
                            'm' => f.minute = v,
                            's' => f.second = v,
                            'S' => f.nanos = v * 1_000_000,
                            'n' if used <= 6 => f.nanos = v * 1_000,
                            'n' => f.nanos = v,
                            _ => return None,
                        }
                    }
                }
            }
        }
    }
    if !rest.is_empty() {
        return None;
    }
    if let Some(pm) = f.pm {
        if f.hour > 12 {
            return None;
        }
        f.hour = f.hour % 12 + if pm { 12 } else { 0 };
    }
    Some(f)
}

/// The raw value of parsed fields as `ty`.
fn fields_raw(f: &Fields, ty: DataType) -> Option<i64> {
    if f.hour > 23 || f.minute > 59 || f.second > 59 {
        return None;
    }
    let tod_ns = ((f.hour * 60 + f.minute) * 60 + f.second) * 1_000_000_000 + f.nanos;
    if ty == DataType::Month {
        let m = f.month?;
        if !(1..=12).contains(&m) {
            return None;
        }
        return Some(tm::month_raw(i32::try_from(f.year?).ok()?, m) as i64);
    }
    let upd = tm::units_per_day(ty)?;
    let unit_ns = NS_PER_DAY / upd;
    if !tm::has_date(ty) {
        return Some(tod_ns / unit_ns);
    }
    let (y, m, d) = (i32::try_from(f.year?).ok()?, f.month?, f.day.unwrap_or(1));
    if !tm::valid_ymd(y, m, d) {
        return None;
    }
    let days = tm::ymd_to_days(y, m, d) as i64;
    Some(days * upd + tod_ns / unit_ns)
}

/// `temporalParse(X, format)` (alias `datetimeParse`): text to the temporal type the format
/// describes; text that doesn't match gives null.
fn temporal_parse(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let pattern = str_arg("temporalParse", &args[1], "format")?;
    let tokens = tokenize(pattern)?;
    let ty = parse_type(&tokens);
    let x = vector_arg("temporalParse", &args[0], "X")?;
    if !x.ty.is_literal() {
        bail!("The argument X of function [temporalParse] must be a string");
    }
    let out = (0..x.len())
        .map(|i| {
            let text = x.str_at(i).unwrap_or("");
            parse_fields(text, &tokens).and_then(|f| fields_raw(&f, ty))
        })
        .collect();
    Ok(data_util::same_form(&args[0], from_raws(ty, out)))
}

#[cfg(test)]
mod tests {
    use super::super::data_util::test_env::*;
    use super::*;

    fn date(s: &str) -> Value {
        Value::i32_of(DataType::Date, tm::parse(s, DataType::Date).unwrap() as i32)
    }

    fn ts(s: &str) -> Value {
        Value::i64_of(
            DataType::Timestamp,
            tm::parse(s, DataType::Timestamp).unwrap(),
        )
    }

    fn fmt(v: &Value) -> String {
        let Value::Scalar(s) = v else { panic!() };
        tm::format(s.ty, data_util::raw_i64(s, 0))
    }

    #[test]
    fn fields() {
        let d = date("2012.12.05");
        assert_eq!(call("year", &[d.clone()]).unwrap().as_i64(), Some(2012));
        assert_eq!(
            call("monthOfYear", &[d.clone()]).unwrap().as_i64(),
            Some(12)
        );
        assert_eq!(call("dayOfWeek", &[d.clone()]).unwrap().as_i64(), Some(2));
        assert_eq!(call("weekday", &[d.clone()]).unwrap().as_i64(), Some(3));
        assert_eq!(
            call("dayOfYear", &[date("2012.03.01")]).unwrap().as_i64(),
            Some(61)
        );
        assert_eq!(
            call("weekOfYear", &[date("2012.01.01")]).unwrap().as_i64(),
            Some(52)
        );
        assert_eq!(call("quarterOfYear", &[d]).unwrap().as_i64(), Some(4));
        let t = ts("2012.06.13T13:30:10.008");
        assert_eq!(call("hour", &[t.clone()]).unwrap().as_i64(), Some(13));
        assert_eq!(
            call("minuteOfHour", &[t.clone()]).unwrap().as_i64(),
            Some(30)
        );
        assert_eq!(call("millisecond", &[t.clone()]).unwrap().as_i64(), Some(8));
        assert!(call("hour", &[date("2012.06.13")]).is_err());
        let n = call("year", &[Value::null(DataType::Date)]).unwrap();
        assert!(n.is_null());
    }

    #[test]
    fn boundaries() {
        let d = date("2012.02.15");
        assert_eq!(fmt(&call("monthEnd", &[d.clone()]).unwrap()), "2012.02.29");
        assert_eq!(
            fmt(&call("monthBegin", &[d.clone()]).unwrap()),
            "2012.02.01"
        );
        assert_eq!(fmt(&call("yearEnd", &[d.clone()]).unwrap()), "2012.12.31");
        assert_eq!(
            fmt(&call("quarterEnd", &[d.clone()]).unwrap()),
            "2012.03.31"
        );
        assert_eq!(fmt(&call("weekBegin", &[d.clone()]).unwrap()), "2012.02.13");
        assert_eq!(
            call("isLeapYear", &[d.clone()]).unwrap().as_bool(),
            Some(true)
        );
        assert_eq!(call("daysInMonth", &[d]).unwrap().as_i64(), Some(29));
    }

    #[test]
    fn arithmetic() {
        let d = date("2017.01.31");
        let one_month = Duration::parse("1M").unwrap().value();
        assert_eq!(
            fmt(&call("temporalAdd", &[d.clone(), one_month]).unwrap()),
            "2017.02.28"
        );
        let r = call(
            "temporalAdd",
            &[d.clone(), Value::int(2), Value::string("d")],
        )
        .unwrap();
        assert_eq!(fmt(&r), "2017.02.02");
        assert!(call("temporalAdd", &[d, Value::int(2), Value::string("H")]).is_err());
        let fri = date("2017.01.20");
        let r = call("temporalAdd", &[fri, Value::int(1), Value::string("B")]).unwrap();
        assert_eq!(fmt(&r), "2017.01.23");
        let t = ts("2012.06.13T13:37:10.008");
        let b = call("bar", &[t, Duration::parse("5m").unwrap().value()]).unwrap();
        assert_eq!(fmt(&b), "2012.06.13T13:35:00.000");
        let b = call("bar", &[ints(&[1, 7, 12]), Value::int(5)]).unwrap();
        assert_eq!(as_i64s(&b), vec![0, 5, 10]);
    }

    #[test]
    fn parse_and_format() {
        let v = call(
            "temporalParse",
            &[Value::string("14-02-2018"), Value::string("dd-MM-yyyy")],
        )
        .unwrap();
        assert_eq!(fmt(&v), "2018.02.14");
        let v = call(
            "temporalParse",
            &[Value::string("14-02-2018"), Value::string("dd/MM/yyyy")],
        )
        .unwrap();
        assert!(v.is_null() && v.data_type() == DataType::Date);
        let v = call(
            "temporalParse",
            &[
                Value::string("2018/2/6 02:33:01 PM"),
                Value::string("y/M/d h:m:s a"),
            ],
        )
        .unwrap();
        assert_eq!(fmt(&v), "2018.02.06T14:33:01");
        let v = call(
            "temporalParse",
            &[Value::string("02-FEB-2018"), Value::string("d-MMM-y")],
        )
        .unwrap();
        assert_eq!(fmt(&v), "2018.02.02");
        let v = call(
            "temporalParse",
            &[Value::string("13:30:10.001"), Value::string("H:m:s.SSS")],
        )
        .unwrap();
        assert_eq!(fmt(&v), "13:30:10.001");
        assert!(call(
            "temporalParse",
            &[Value::string("13:30:10.001"), Value::string("H:m:s.S")]
        )
        .is_err());
        let v = call(
            "temporalParse",
            &[Value::string("20180214"), Value::string("yyyyMMdd")],
        )
        .unwrap();
        assert_eq!(fmt(&v), "2018.02.14");
        let f = |v: Value, p: &str| call("temporalFormat", &[v, Value::string(p)]).unwrap();
        assert_eq!(
            f(date("2018.02.14"), "dd-MM-yyyy").as_str(),
            Some("14-02-2018")
        );
        assert_eq!(
            f(date("2018.02.14"), "dd-MMM-yy").as_str(),
            Some("14-FEB-18")
        );
        assert_eq!(
            f(ts("2018.02.06T13:30:10.001"), "y-M-d-H-m-s-SSS").as_str(),
            Some("2018-2-6-13-30-10-001")
        );
        let sec = Value::i32_of(DataType::Second, 14 * 3600 + 19 * 60 + 6);
        assert_eq!(f(sec, "hhmmssaa").as_str(), Some("021906PM"));
    }
}
