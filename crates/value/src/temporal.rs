//! Temporal values: civil date arithmetic, DolphinDB's temporal text forms (parse and format),
//! and conversions between temporal types.
//!
//! Raw encodings (what the buffers hold):
//! - DATE: days since 1970.01.01; MONTH: `year * 12 + month - 1`;
//! - DATEHOUR / DATEMINUTE / DATETIME / TIMESTAMP / NANOTIMESTAMP: hours / minutes / seconds /
//!   milliseconds / nanoseconds since 1970.01.01T00:00:00;
//! - MINUTE / SECOND / TIME / NANOTIME: minutes / seconds / milliseconds / nanoseconds since
//!   midnight.
//!
//! Every function here takes non-null raw values; callers check the null sentinel first.

use crate::types::{null, DataType};

pub const NS_PER_SECOND: i64 = 1_000_000_000;
pub const NS_PER_DAY: i64 = 86_400 * NS_PER_SECOND;
pub const SECONDS_PER_DAY: i64 = 86_400;
pub const MS_PER_DAY: i64 = 86_400_000;

/// The civil date (year, month 1-12, day 1-31) of `days` since 1970.01.01 (proleptic
/// Gregorian calendar; negative days are before 1970).
pub fn days_to_ymd(days: i32) -> (i32, u32, u32) {
    // Shift the epoch to 0000.03.01 so leap days fall at the end of a 400-year era.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..365, from March 1st
    let mp = (5 * doy + 2) / 153; // 0..11, March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year as i32, month, day)
}

/// Days since 1970.01.01 of a civil date. `month` is 1-12 and `day` 1-31; the date is not
/// validated (see `valid_ymd`).
pub fn ymd_to_days(year: i32, month: u32, day: u32) -> i32 {
    let y = year as i64 - if month <= 2 { 1 } else { 0 };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = month as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

pub fn valid_ymd(year: i32, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// MONTH raw value of a year and month (1-12).
pub fn month_raw(year: i32, month: u32) -> i32 {
    year * 12 + month as i32 - 1
}

/// (year, month 1-12) of a MONTH raw value.
pub fn month_to_ym(raw: i32) -> (i32, u32) {
    (raw.div_euclid(12), raw.rem_euclid(12) as u32 + 1)
}

/// What a temporal type holds: a calendar month, a date with a time of day in some unit, or
/// only a time of day in some unit.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Shape {
    Month,
    /// A date plus time: `ns` nanoseconds per raw unit (a DATE's unit is a whole day).
    Stamp {
        ns: i64,
    },
    /// A time of day: `ns` nanoseconds per raw unit.
    Clock {
        ns: i64,
    },
}

fn shape(ty: DataType) -> Option<Shape> {
    use DataType::*;
    Some(match ty {
        Month => Shape::Month,
        Date => Shape::Stamp { ns: NS_PER_DAY },
        DateHour => Shape::Stamp {
            ns: 3600 * NS_PER_SECOND,
        },
        DateMinute => Shape::Stamp {
            ns: 60 * NS_PER_SECOND,
        },
        DateTime => Shape::Stamp { ns: NS_PER_SECOND },
        Timestamp => Shape::Stamp { ns: 1_000_000 },
        NanoTimestamp => Shape::Stamp { ns: 1 },
        Minute => Shape::Clock {
            ns: 60 * NS_PER_SECOND,
        },
        Second => Shape::Clock { ns: NS_PER_SECOND },
        Time => Shape::Clock { ns: 1_000_000 },
        NanoTime => Shape::Clock { ns: 1 },
        _ => return None,
    })
}

/// Raw units per day of a date-bearing or time-of-day type (1 for DATE).
pub fn units_per_day(ty: DataType) -> Option<i64> {
    match shape(ty)? {
        Shape::Month => None,
        Shape::Stamp { ns } | Shape::Clock { ns } => Some(NS_PER_DAY / ns),
    }
}

/// True when the type carries a date (DATE, MONTH, DATETIME, TIMESTAMP, ...).
pub fn has_date(ty: DataType) -> bool {
    matches!(shape(ty), Some(Shape::Month | Shape::Stamp { .. }))
}

/// True when the type carries a time of day (TIME, DATETIME, NANOTIMESTAMP, ...; not DATE).
pub fn has_time(ty: DataType) -> bool {
    match shape(ty) {
        Some(Shape::Clock { .. }) => true,
        Some(Shape::Stamp { ns }) => ns < NS_PER_DAY,
        _ => false,
    }
}

/// A decomposed temporal value: days since the epoch (if it has a date) and nanoseconds since
/// midnight (0 when it has no time).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Civil {
    days: Option<i64>,
    tod_ns: i64,
}

fn decompose(raw: i64, ty: DataType) -> Option<Civil> {
    Some(match shape(ty)? {
        Shape::Month => {
            let (y, m) = month_to_ym(i32::try_from(raw).ok()?);
            Civil {
                days: Some(ymd_to_days(y, m, 1) as i64),
                tod_ns: 0,
            }
        }
        Shape::Stamp { ns } => {
            let per_day = NS_PER_DAY / ns;
            Civil {
                days: Some(raw.div_euclid(per_day)),
                tod_ns: raw.rem_euclid(per_day) * ns,
            }
        }
        Shape::Clock { ns } => Civil {
            days: None,
            tod_ns: raw.rem_euclid(NS_PER_DAY / ns) * ns,
        },
    })
}

/// Builds the raw value of `ty`; None when `ty` needs a date that `c` lacks. Values outside the
/// type's range become the type's null sentinel.
fn compose(c: Civil, ty: DataType) -> Option<i64> {
    let raw = match shape(ty)? {
        Shape::Month => {
            let days = i32::try_from(c.days?).ok();
            match days {
                Some(d) => {
                    let (y, m, _) = days_to_ymd(d);
                    month_raw(y, m) as i64
                }
                None => return Some(null_raw(ty)),
            }
        }
        Shape::Stamp { ns } => {
            let per_day = NS_PER_DAY / ns;
            match c
                .days?
                .checked_mul(per_day)
                .and_then(|v| v.checked_add(c.tod_ns / ns))
            {
                Some(v) => v,
                None => return Some(null_raw(ty)),
            }
        }
        Shape::Clock { ns } => c.tod_ns / ns,
    };
    Some(fit(raw, ty))
}

/// The null sentinel of a temporal type, widened to i64.
pub fn null_raw(ty: DataType) -> i64 {
    match ty.storage() {
        crate::Storage::I32 => null::I32 as i64,
        _ => null::I64,
    }
}

/// `raw` if it fits the type's storage (and is not the sentinel), else the null sentinel.
fn fit(raw: i64, ty: DataType) -> i64 {
    match ty.storage() {
        crate::Storage::I32 if raw <= i32::MIN as i64 || raw > i32::MAX as i64 => null_raw(ty),
        _ => raw,
    }
}

/// Converts a non-null raw value between temporal types, as DolphinDB's `date()`, `month()`,
/// `timestamp()`... do: a date-bearing value truncates (floor, also before 1970) to a coarser
/// type and extends with midnight to a finer one; a time of day converts between time units.
/// None when DolphinDB disallows the conversion: a time of day to a date-bearing type, and a
/// DATE or MONTH to a time of day. A result outside the target's range is its null sentinel.
pub fn convert_temporal(raw: i64, from: DataType, to: DataType) -> Option<i64> {
    if from == to {
        return shape(from).map(|_| raw);
    }
    let c = decompose(raw, from)?;
    if !has_time(from) && matches!(shape(to)?, Shape::Clock { .. }) {
        return None;
    }
    compose(c, to)
}

/// The parts of a temporal text.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Parts {
    /// (year, month, day); day is None for a month-only text (`2022.05M`).
    date: Option<(i32, u32, Option<u32>)>,
    /// (hour, minute, second, nanosecond) and how many of the fields were written
    /// (1 = hour only, 2 = hh:mm, 3 = hh:mm:ss) plus fraction digits.
    time: Option<TimeParts>,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct TimeParts {
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    fields: u8,
    frac_digits: u8,
    minute_suffix: bool,
}

/// Parses a DolphinDB temporal text into the raw value of `ty`: the literal forms
/// (`2022.05.20`, `2022.05M`, `13:50m`, `13:50:59.123`, `2022.05.20T13:50:59.123456789`,
/// `2022.05.20T13`...), plus the string forms conversion functions accept: `-` or `/` as date
/// separator, `20220520`, a space instead of `T`, `13:50` for a MINUTE. Fractions with fewer
/// digits scale (`.1` is 100 ms). A text with a date and a time converts to a date-only or
/// time-only type by truncation; a date alone gives midnight for a date-time type. None when
/// the text is not a valid temporal of that type.
pub fn parse(text: &str, ty: DataType) -> Option<i64> {
    let p = parse_parts(text.trim())?;
    let civil = Civil {
        days: p
            .date
            .map(|(y, m, d)| ymd_to_days(y, m, d.unwrap_or(1)) as i64),
        tod_ns: p.time.map(|t| tod_nanos(&t)).unwrap_or(0),
    };
    match shape(ty)? {
        Shape::Clock { .. } if p.time.is_none() => None,
        Shape::Stamp { .. } | Shape::Month if p.date.is_none() => None,
        _ => compose(civil, ty),
    }
}

/// Infers the type of a temporal literal token as the script lexer sees it and returns its raw
/// value: `2022.05.20` DATE, `2022.05M` MONTH, `13:50m` MINUTE, `13:50:59` SECOND,
/// `13:50:59.123` TIME (1-3 fraction digits), `13:50:59.123456789` NANOTIME (4-9 digits),
/// `2022.05.20T13:50:59` DATETIME, with a fraction TIMESTAMP or NANOTIMESTAMP,
/// `2022.05.20T13` DATEHOUR. `separator` may be `T` or a space. None for anything else.
pub fn parse_literal(text: &str) -> Option<(DataType, i64)> {
    let b = text.as_bytes();
    // Literals use `.` between date fields and 2-digit fields; reject the string-only forms.
    if text.contains('-') || text.contains('/') {
        return None;
    }
    let p = parse_parts(text)?;
    let ty = match (p.date, p.time) {
        (Some((_, _, None)), None) => {
            if !text.ends_with('M') {
                return None;
            }
            DataType::Month
        }
        (Some(_), None) => {
            if b.len() != 10 {
                return None;
            }
            DataType::Date
        }
        (None, Some(t)) => match (t.fields, t.frac_digits, t.minute_suffix) {
            (2, 0, true) => DataType::Minute,
            (3, 0, _) => DataType::Second,
            (3, 1..=3, _) => DataType::Time,
            (3, _, _) => DataType::NanoTime,
            _ => return None,
        },
        (Some((_, _, Some(_))), Some(t)) => match (t.fields, t.frac_digits, t.minute_suffix) {
            (1, _, _) => DataType::DateHour,
            (2, 0, true) => DataType::DateMinute,
            (3, 0, _) => DataType::DateTime,
            (3, 1..=3, _) => DataType::Timestamp,
            (3, _, _) => DataType::NanoTimestamp,
            _ => return None,
        },
        _ => return None,
    };
    parse(text, ty).map(|raw| (ty, raw))
}

fn tod_nanos(t: &TimeParts) -> i64 {
    (t.hour as i64 * 3600 + t.minute as i64 * 60 + t.second as i64) * NS_PER_SECOND + t.nanos as i64
}

fn parse_parts(s: &str) -> Option<Parts> {
    if s.is_empty() {
        return None;
    }
    // Split date and time at `T` or a space; a text with ':' and no date is a time.
    let (date_txt, time_txt) = match s.find(['T', ' ']) {
        Some(i) => (Some(&s[..i]), Some(s[i + 1..].trim_start())),
        None if s.contains(':') => (None, Some(s)),
        None => (Some(s), None),
    };
    let date = match date_txt {
        Some(d) => Some(parse_date(d)?),
        None => None,
    };
    let time = match time_txt {
        Some(t) => Some(parse_time(t, date.is_some())?),
        None => None,
    };
    if matches!(date, Some((_, _, None))) && time.is_some() {
        return None;
    }
    Some(Parts { date, time })
}

/// `2022.05.20`, `2022-05-20`, `2022/05/20`, `20220520`, `2022.05M`, `2022.05`, `2022-05`.
fn parse_date(s: &str) -> Option<(i32, u32, Option<u32>)> {
    let (s, month_suffix) = match s.strip_suffix('M') {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    if !month_suffix && s.len() == 8 && s.bytes().all(|c| c.is_ascii_digit()) {
        let y = s[0..4].parse().ok()?;
        let m = s[4..6].parse().ok()?;
        let d = s[6..8].parse().ok()?;
        return valid_ymd(y, m, d).then_some((y, m, Some(d)));
    }
    let sep = s.bytes().find(|c| matches!(c, b'.' | b'-' | b'/'))?;
    let fields: Vec<&str> = s.split(sep as char).collect();
    let num = |f: &str, max_len: usize| -> Option<u32> {
        if f.is_empty() || f.len() > max_len || !f.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        f.parse().ok()
    };
    let year = num(fields[0], 4)? as i32;
    match fields.len() {
        2 => {
            let m = num(fields[1], 2)?;
            (1..=12).contains(&m).then_some((year, m, None))
        }
        3 if !month_suffix => {
            let m = num(fields[1], 2)?;
            let d = num(fields[2], 2)?;
            valid_ymd(year, m, d).then_some((year, m, Some(d)))
        }
        _ => None,
    }
}

/// `13`, `13:50`, `13:50m`, `13:50:59`, `13:50:59.123456789`. A lone hour is accepted only
/// after a date (DATEHOUR).
fn parse_time(s: &str, after_date: bool) -> Option<TimeParts> {
    let (s, minute_suffix) = match s.strip_suffix('m') {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    let (hms, frac) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let fields: Vec<&str> = hms.split(':').collect();
    let num = |f: &str| -> Option<u32> {
        if f.is_empty() || f.len() > 2 || !f.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        f.parse().ok()
    };
    let mut t = TimeParts {
        fields: fields.len() as u8,
        minute_suffix,
        ..TimeParts::default()
    };
    match fields.len() {
        1 if after_date && !minute_suffix && frac.is_none() => t.hour = num(fields[0])?,
        2 if frac.is_none() => {
            t.hour = num(fields[0])?;
            t.minute = num(fields[1])?;
        }
        3 if !minute_suffix => {
            t.hour = num(fields[0])?;
            t.minute = num(fields[1])?;
            t.second = num(fields[2])?;
        }
        _ => return None,
    }
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let digits: u32 = f.parse().ok()?;
        t.nanos = digits * 10u32.pow(9 - f.len() as u32);
        t.frac_digits = f.len() as u8;
    }
    (t.hour < 24 && t.minute < 60 && t.second < 60).then_some(t)
}

/// DolphinDB's text of a non-null temporal raw value: DATE `2022.05.20`, MONTH `2022.05M`,
/// TIME `13:50:59.123`, MINUTE `13:50m`, SECOND `13:50:59`, DATETIME `2022.05.20T13:50:59`,
/// TIMESTAMP `2022.05.20T13:50:59.123`, NANOTIME `13:50:59.123456789`, NANOTIMESTAMP
/// `2022.05.20T13:50:59.123456789`, DATEHOUR `2022.05.20T13`, DATEMINUTE `2022.05.20T13:50m`.
/// Times of day outside 0..24h wrap. Non-temporal types give the number.
pub fn format(ty: DataType, raw: i64) -> String {
    let Some(sh) = shape(ty) else {
        return raw.to_string();
    };
    if sh == Shape::Month {
        return match i32::try_from(raw) {
            Ok(r) => {
                let (y, m) = month_to_ym(r);
                format!("{}.{:02}M", year4(y), m)
            }
            Err(_) => raw.to_string(),
        };
    }
    let Some(c) = decompose(raw, ty) else {
        return raw.to_string();
    };
    let date = c.days.and_then(|d| i32::try_from(d).ok()).map(|d| {
        let (y, m, dd) = days_to_ymd(d);
        format!("{}.{:02}.{:02}", year4(y), m, dd)
    });
    let secs = c.tod_ns / NS_PER_SECOND;
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let nanos = c.tod_ns % NS_PER_SECOND;
    let time = match ty {
        DataType::Date => None,
        DataType::DateHour => Some(format!("{h:02}")),
        DataType::Minute | DataType::DateMinute => Some(format!("{h:02}:{mi:02}m")),
        DataType::Second | DataType::DateTime => Some(format!("{h:02}:{mi:02}:{s:02}")),
        DataType::Time | DataType::Timestamp => {
            Some(format!("{h:02}:{mi:02}:{s:02}.{:03}", nanos / 1_000_000))
        }
        _ => Some(format!("{h:02}:{mi:02}:{s:02}.{nanos:09}")),
    };
    match (date, time) {
        (Some(d), Some(t)) => format!("{d}T{t}"),
        (Some(d), None) => d,
        (None, Some(t)) => t,
        (None, None) => raw.to_string(),
    }
}

/// Years print with at least four digits (`0001.01.01`).
fn year4(y: i32) -> String {
    if y < 0 {
        format!("-{:04}", -(y as i64))
    } else {
        format!("{y:04}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType::*;

    #[test]
    fn civil_round_trip_every_day_from_year_0_to_9999() {
        let lo = ymd_to_days(0, 1, 1);
        let hi = ymd_to_days(9999, 12, 31);
        let mut prev = days_to_ymd(lo - 1);
        for d in lo..=hi {
            let (y, m, dd) = days_to_ymd(d);
            assert!(valid_ymd(y, m, dd), "{d}");
            assert_eq!(ymd_to_days(y, m, dd), d);
            assert!((y, m, dd) > prev);
            prev = (y, m, dd);
        }
    }

    #[test]
    fn civil_known_dates() {
        assert_eq!(days_to_ymd(0), (1970, 1, 1));
        assert_eq!(days_to_ymd(-1), (1969, 12, 31));
        assert_eq!(ymd_to_days(2012, 6, 13), 15504);
        assert_eq!(days_to_ymd(ymd_to_days(2000, 2, 29)), (2000, 2, 29));
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(ymd_to_days(1, 1, 1), -719_162);
        assert_eq!(month_raw(2012, 6), 24149);
        assert_eq!(month_to_ym(24149), (2012, 6));
    }

    #[test]
    fn parse_literal_forms_from_the_docs() {
        // Values from DolphinDB's date/time tutorial (internal representation table).
        assert_eq!(parse("2012.06.13", Date), Some(15504));
        assert_eq!(parse("2012.06M", Month), Some(24149));
        assert_eq!(parse("13:30m", Minute), Some(810));
        assert_eq!(parse("13:30:10", Second), Some(48610));
        assert_eq!(parse("13:30:10.008", Time), Some(48610008));
        assert_eq!(parse("09:00:01.000100001", NanoTime), Some(32401000100001));
        assert_eq!(parse("2012.06.13T13:30:10", DateTime), Some(1339594210));
        assert_eq!(parse("2012.06.13 13:30:10", DateTime), Some(1339594210));
        assert_eq!(
            parse("2012.06.13T13:30:10.008", Timestamp),
            Some(1339594210008)
        );
        assert_eq!(
            parse("2012.06.13T13:30:10.008007006", NanoTimestamp),
            Some(1339594210008007006)
        );
        assert_eq!(parse("2012.06.13T13", DateHour), Some(15504 * 24 + 13));
    }

    #[test]
    fn parse_string_forms() {
        assert_eq!(parse("2012-06-13", Date), Some(15504));
        assert_eq!(parse("20120613", Date), Some(15504));
        assert_eq!(parse("2012/06/13", Date), Some(15504));
        assert_eq!(parse("2012.06", Month), Some(24149));
        assert_eq!(parse("13:30", Minute), Some(810));
        // Fewer fraction digits scale.
        assert_eq!(parse("00:00:01.5", Time), Some(1500));
        assert_eq!(parse("00:00:01.5", NanoTime), Some(1_500_000_000));
        assert_eq!(parse("00:00:01.123", NanoTime), Some(1_123_000_000));
        // A date-time text truncates to a coarser type; a date alone is midnight.
        assert_eq!(parse("2012.06.13T13:30:10.008", Date), Some(15504));
        assert_eq!(parse("2012.06.13T13:30:10.008", Month), Some(24149));
        assert_eq!(parse("2012.06.13T13:30:10.008", Second), Some(48610));
        assert_eq!(parse("2012.06.13", Timestamp), Some(15504 * MS_PER_DAY));
        // Invalid.
        assert_eq!(parse("13:30:10", Date), None);
        assert_eq!(parse("2012.06.13", Time), None);
        assert_eq!(parse("2012.02.30", Date), None);
        assert_eq!(parse("2012.13.01", Date), None);
        assert_eq!(parse("24:00:00", Second), None);
        assert_eq!(parse("12:60", Minute), None);
        assert_eq!(parse("", Date), None);
        assert_eq!(parse("abc", Date), None);
        assert_eq!(parse("2012.06.13", Int), None);
        assert_eq!(parse("00:00:01.1234567891", NanoTime), None);
    }

    #[test]
    fn literal_type_inference() {
        assert_eq!(parse_literal("2012.06.13"), Some((Date, 15504)));
        assert_eq!(parse_literal("2012.06M"), Some((Month, 24149)));
        assert_eq!(parse_literal("13:30m"), Some((Minute, 810)));
        assert_eq!(parse_literal("13:30:10"), Some((Second, 48610)));
        assert_eq!(parse_literal("13:30:10.008"), Some((Time, 48610008)));
        assert_eq!(
            parse_literal("09:00:01.000100001"),
            Some((NanoTime, 32401000100001))
        );
        assert_eq!(
            parse_literal("2012.06.13T13:30:10"),
            Some((DateTime, 1339594210))
        );
        assert_eq!(
            parse_literal("2012.06.13T13:30:10.008"),
            Some((Timestamp, 1339594210008))
        );
        assert_eq!(
            parse_literal("2012.06.13T13:30:10.008007006").map(|x| x.0),
            Some(NanoTimestamp)
        );
        assert_eq!(parse_literal("2012.06.13T13").map(|x| x.0), Some(DateHour));
        assert_eq!(parse_literal("2012.06"), None);
        assert_eq!(parse_literal("2012-06-13"), None);
        assert_eq!(parse_literal("13:30"), None);
        assert_eq!(parse_literal("3.5"), None);
    }

    #[test]
    fn format_every_type() {
        assert_eq!(format(Date, 15504), "2012.06.13");
        assert_eq!(format(Month, 24149), "2012.06M");
        assert_eq!(format(Minute, 810), "13:30m");
        assert_eq!(format(Second, 48610), "13:30:10");
        assert_eq!(format(Time, 48610008), "13:30:10.008");
        assert_eq!(format(NanoTime, 32401000100001), "09:00:01.000100001");
        assert_eq!(format(DateTime, 1339594210), "2012.06.13T13:30:10");
        assert_eq!(format(Timestamp, 1339594210008), "2012.06.13T13:30:10.008");
        assert_eq!(
            format(NanoTimestamp, 1339594210008007006),
            "2012.06.13T13:30:10.008007006"
        );
        assert_eq!(format(DateHour, 15504 * 24 + 13), "2012.06.13T13");
        assert_eq!(format(DateMinute, 15504 * 1440 + 810), "2012.06.13T13:30m");
        // From DolphinDB's datehour doc: datehour(1) is 1970.01.01T01.
        assert_eq!(format(DateHour, 1), "1970.01.01T01");
    }

    #[test]
    fn format_edges() {
        assert_eq!(format(Date, -1), "1969.12.31");
        assert_eq!(format(Date, ymd_to_days(1, 1, 1) as i64), "0001.01.01");
        assert_eq!(format(Date, ymd_to_days(2024, 2, 29) as i64), "2024.02.29");
        assert_eq!(format(Timestamp, -1), "1969.12.31T23:59:59.999");
        assert_eq!(format(NanoTimestamp, -1), "1969.12.31T23:59:59.999999999");
        assert_eq!(format(DateTime, -86401), "1969.12.30T23:59:59");
        assert_eq!(format(Month, 0), "0000.01M");
        // Times of day wrap (DolphinDB: 23:59:59.900+200 is 00:00:00.100).
        assert_eq!(format(Time, 86_400_100), "00:00:00.100");
        assert_eq!(format(Second, -1), "23:59:59");
    }

    #[test]
    fn format_parse_round_trip() {
        let samples = [-1_000_000_007i64, -86_400_001, -1, 0, 1, 1_339_594_210_008];
        for ty in [Timestamp, NanoTimestamp, DateTime, DateHour, Date] {
            for &raw in &samples {
                // Keep every sample inside years 0..9999 for the coarser types.
                let raw = match ty {
                    DateTime => raw / 1000,
                    DateHour => raw / 3_600_000,
                    Date => raw / MS_PER_DAY,
                    _ => raw,
                };
                let txt = format(ty, raw);
                assert_eq!(parse(&txt, ty), Some(raw), "{ty:?} {txt}");
            }
        }
        for raw in [0i64, 810, 1439] {
            assert_eq!(parse(&format(Minute, raw), Minute), Some(raw));
        }
        for raw in [0i64, 86_399_999_999_999, 1] {
            assert_eq!(parse(&format(NanoTime, raw), NanoTime), Some(raw));
        }
    }

    #[test]
    fn extreme_raw_values_do_not_panic() {
        for ty in DataType::ALL.iter().copied().filter(|t| t.is_temporal()) {
            for raw in [
                i64::MIN + 1,
                i64::MAX,
                i32::MIN as i64 + 1,
                i32::MAX as i64,
                -1,
                0,
            ] {
                let _ = format(ty, raw);
                for to in DataType::ALL.iter().copied().filter(|t| t.is_temporal()) {
                    let _ = convert_temporal(raw, ty, to);
                }
            }
        }
    }

    #[test]
    fn conversions() {
        // From DolphinDB's tutorial: month(2016.02.14) = 2016.02M, date(datetime), second(...),
        // timestamp(2012.06.13 13:30:10) = 2012.06.13T13:30:10.000.
        let d = parse("2016.02.14", Date).unwrap_or(0);
        assert_eq!(convert_temporal(d, Date, Month), parse("2016.02M", Month));
        let dt = 1339594210;
        assert_eq!(convert_temporal(dt, DateTime, Date), Some(15504));
        assert_eq!(convert_temporal(dt, DateTime, Second), Some(48610));
        assert_eq!(
            convert_temporal(dt, DateTime, Timestamp),
            Some(1339594210000)
        );
        assert_eq!(
            convert_temporal(2012 * 12, Month, DateHour),
            Some(ymd_to_days(2012, 1, 1) as i64 * 24)
        );
        // Floors before 1970.
        assert_eq!(convert_temporal(-1, Timestamp, Date), Some(-1));
        assert_eq!(convert_temporal(-1, Timestamp, DateTime), Some(-1));
        assert_eq!(convert_temporal(-1, Timestamp, Time), Some(86_399_999));
        assert_eq!(convert_temporal(-1, Timestamp, Month), Some(1969 * 12 + 11));
        assert_eq!(
            convert_temporal(15504, Date, Timestamp),
            Some(15504 * MS_PER_DAY)
        );
        assert_eq!(convert_temporal(810, Minute, Time), Some(48_600_000));
        assert_eq!(convert_temporal(48610008, Time, Minute), Some(810));
        // Disallowed.
        assert_eq!(convert_temporal(810, Minute, Date), None);
        assert_eq!(convert_temporal(810, Time, Timestamp), None);
        assert_eq!(convert_temporal(15504, Date, Time), None);
        assert_eq!(convert_temporal(1, Int, Date), None);
        // Out of range for a 32-bit type becomes null.
        assert_eq!(
            convert_temporal(ymd_to_days(9999, 1, 1) as i64, Date, DateTime),
            Some(null::I32 as i64)
        );
    }
}
