//! DolphinDB's type conversion rules (`cast`, `$`, `int()`, `date()`, `decimal32()`...) and the
//! arithmetic type promotion (`common_type`).
//!
//! Conversions are element-wise and keep nulls null. Decisions (from DolphinDB's "Data Type
//! Conversion" documentation and the official clients' tests):
//! - a float to an integer rounds half away from zero (`int(3.5)` is 4); out of range is null
//!   (`int(2147483648)` is null);
//! - a string to an integer reads the leading integer digits (`int("10.9")` is 10, `short("120.9c")`
//!   is 120); no digits gives null;
//! - a string to a float parses the number, `nan`/`inf` included (they are values, not nulls);
//! - a string to a DECIMAL rounds half away from zero at the target scale (DolphinDB 2.00.10+);
//!   `"nan"` and invalid text give null; a mantissa too large for the width is an error;
//! - a float to a DECIMAL goes through the float's shortest decimal text, so 0.145 is 0.15 at
//!   scale 2 (not 0.14 from the binary value);
//! - integers become temporal values by raw value (`date(15504)` is 2012.06.13), temporal values
//!   convert by `temporal::convert_temporal`, and a temporal value to a number gives its raw value;
//! - UUID / IPADDR / INT128 keep the 128-bit value whose big-endian hex is the text's digits.

use std::borrow::Cow;

use crate::display::element_string;
use crate::temporal;
use crate::types::{null, Category, DataType, Storage};
use crate::value::{Dict, Matrix, Set, Value};
use crate::vector::{null_i128, ArrayData, Data, SymbolVec, Vector};
use crate::{Error, Result};

/// The largest scale each DECIMAL width accepts.
pub fn max_scale(ty: DataType) -> Option<u8> {
    match ty {
        DataType::Decimal32 => Some(9),
        DataType::Decimal64 => Some(18),
        DataType::Decimal128 => Some(38),
        _ => None,
    }
}

/// Checks a DECIMAL scale against its width's limit.
pub fn check_scale(ty: DataType, scale: u8) -> Result<()> {
    match max_scale(ty) {
        Some(max) if scale > max => Err(Error::new(format!(
            "Scale out of bound (valid range: [0, {max}], but get: {scale})"
        ))),
        _ => Ok(()),
    }
}

fn cannot(from: DataType, to: DataType) -> Error {
    Error::new(format!("Can't convert {} to {}", from.name(), to.name()))
}

fn overflow() -> Error {
    Error::new("Decimal math overflow")
}

/// Converts every element of `v` to `ty` (`scale` is used for DECIMAL targets only).
pub fn cast(v: &Vector, ty: DataType, scale: u8) -> Result<Vector> {
    check_scale(ty, scale)?;
    let scale = if ty.is_decimal() { scale } else { 0 };
    if v.ty == ty && v.scale == scale {
        return Ok(v.clone());
    }
    if ty == DataType::Any {
        let items = (0..v.len()).map(|i| v.get(i)).collect();
        return Ok(Vector::from_values(items));
    }
    if let Data::Array(a) = &v.data {
        let values = cast(&a.values, ty, scale)?;
        return Ok(Vector {
            ty,
            scale,
            data: Data::Array(ArrayData {
                offsets: a.offsets.clone(),
                values: Box::new(values),
            }),
        });
    }
    if let Data::Any(items) = &v.data {
        return cast_items(items, ty, scale);
    }
    if v.ty == DataType::Void {
        let mut out = Vector::nulls(ty, v.len());
        out.scale = scale;
        return Ok(out);
    }
    let mut out = match ty.storage() {
        Storage::Str => Vector::from_strings(texts(v)),
        // Interned straight from the strings: no copy of every cell first.
        Storage::Sym => Vector::new(
            DataType::Symbol,
            Data::Sym(match &v.data {
                Data::Str(s) => SymbolVec::from_strings(s),
                _ => SymbolVec::from_strings(&texts(v)),
            }),
        ),
        Storage::Blob => Vector::new(DataType::Blob, Data::Blob(blobs(v)?)),
        Storage::Void | Storage::Any => return Err(cannot(v.ty, ty)),
        _ => cast_fixed(v, ty, scale)?,
    };
    out.scale = scale;
    Ok(out)
}

/// Converts a value keeping its form: a scalar stays a scalar, a matrix keeps its shape and
/// labels, a set converts its keys and a dictionary its values.
pub fn cast_value(v: &Value, ty: DataType, scale: u8) -> Result<Value> {
    Ok(match v {
        Value::Scalar(x) => Value::Scalar(cast(x, ty, scale)?),
        Value::Vector(x) => Value::vector(cast(x, ty, scale)?),
        Value::Pair(x) => Value::pair(cast(x, ty, scale)?),
        Value::Matrix(m) => {
            let mut out = Matrix::new(cast(&m.data, ty, scale)?, m.rows, m.cols);
            out.row_labels = m.row_labels.clone();
            out.col_labels = m.col_labels.clone();
            Value::Matrix(std::sync::Arc::new(out))
        }
        Value::Set(s) => Value::set(Set::from_vector(&cast(&s.keys, ty, scale)?)),
        Value::Dict(d) => {
            let mut out = Dict::from_vectors(d.keys.clone(), cast(&d.values, ty, scale)?);
            out.ordered = d.ordered;
            Value::dict(out)
        }
        Value::Table(_) | Value::Object(_) => {
            return Err(Error::new(format!(
                "Can't convert a {} to {}",
                v.form().name(),
                ty.name()
            )))
        }
    })
}

/// The type both operands of an arithmetic operator convert to (DolphinDB's promotion):
/// logical and integral types widen to at least INT (`1c+1c` is INT), then LONG; FLOAT with any
/// integer is FLOAT... except with LONG, DOUBLE wins over everything numeric; a temporal type
/// with an integer keeps the temporal type (`2012.06.13+1` is DATE); DECIMAL with an integer
/// stays DECIMAL (the wider width), with a float becomes DOUBLE; STRING/SYMBOL give STRING.
/// Anything else returns the left type (the operator decides whether it is an error).
pub fn common_type(a: DataType, b: DataType) -> DataType {
    use DataType::*;
    if a == b {
        return match a {
            Bool | Char | Short => Int,
            Symbol => String,
            _ => a,
        };
    }
    let (ca, cb) = (a.category(), b.category());
    let int_like = |c: Category| matches!(c, Category::Logical | Category::Integral);
    match (ca, cb) {
        (Category::Nothing, _) => common_type(b, b),
        (_, Category::Nothing) => common_type(a, a),
        _ if int_like(ca) && int_like(cb) => {
            if a == Long || b == Long {
                Long
            } else {
                Int
            }
        }
        (Category::Floating, _) | (_, Category::Floating) => {
            // FLOAT survives only beside FLOAT or a narrow integer.
            let narrow = |t: DataType| t == Float || (int_like(t.category()) && t != Long);
            if narrow(a) && narrow(b) {
                Float
            } else {
                Double
            }
        }
        (Category::Temporal, c) if int_like(c) => a,
        (c, Category::Temporal) if int_like(c) => b,
        (Category::Denary, Category::Denary) => a.max(b),
        (Category::Denary, c) if int_like(c) => a,
        (c, Category::Denary) if int_like(c) => b,
        (Category::Literal, Category::Literal) => String,
        _ => a,
    }
}

/// Elements of an ANY vector (each a scalar) converted into one typed vector.
fn cast_items(items: &[Value], ty: DataType, scale: u8) -> Result<Vector> {
    let mut out = Vector::with_capacity(ty, items.len());
    out.scale = scale;
    for item in items {
        let one = match item {
            Value::Scalar(x) => cast(x, ty, scale)?,
            _ => {
                return Err(Error::new(format!(
                    "Can't convert a {} element to {}",
                    item.form().name(),
                    ty.name()
                )))
            }
        };
        if !out.extend(&one) {
            return Err(cannot(DataType::Any, ty));
        }
    }
    Ok(out)
}

/// `string(x)` of every element (null gives "").
fn texts(v: &Vector) -> Vec<String> {
    match &v.data {
        Data::Str(s) => s.clone(),
        Data::Sym(s) => s.iter().map(str::to_string).collect(),
        _ => (0..v.len()).map(|i| element_string(v, i)).collect(),
    }
}

fn blobs(v: &Vector) -> Result<Vec<Vec<u8>>> {
    match &v.data {
        Data::Blob(b) => Ok(b.clone()),
        Data::Str(s) => Ok(s.iter().map(|x| x.as_bytes().to_vec()).collect()),
        Data::Sym(s) => Ok(s.iter().map(|x| x.as_bytes().to_vec()).collect()),
        _ => Err(cannot(v.ty, DataType::Blob)),
    }
}

/// Text elements of a STRING, SYMBOL or BLOB vector.
fn text_at(v: &Vector, i: usize) -> Cow<'_, str> {
    match &v.data {
        Data::Str(s) => Cow::Borrowed(s[i].as_str()),
        Data::Sym(s) => Cow::Borrowed(s.get(i)),
        Data::Blob(b) => String::from_utf8_lossy(&b[i]),
        _ => Cow::Borrowed(""),
    }
}

/// Conversion to a fixed-width type (numbers, temporal, decimal, 128-bit).
fn cast_fixed(v: &Vector, ty: DataType, scale: u8) -> Result<Vector> {
    match v.ty.storage() {
        Storage::Str | Storage::Sym | Storage::Blob => from_text(v, ty, scale),
        Storage::I128 if !v.ty.is_decimal() => {
            if ty.storage() == Storage::I128 && !ty.is_decimal() {
                Ok(Vector::new(ty, v.data.clone()))
            } else {
                Err(cannot(v.ty, ty))
            }
        }
        _ => {
            let num = to_num(v).ok_or_else(|| cannot(v.ty, ty))?;
            from_num(num, v.ty, ty, scale)
        }
    }
}

/// Numbers widened to one of three forms; nulls are `i64::MIN`, `null::F64` and `i128::MIN`.
enum Num {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Dec(Vec<i128>, u8),
}

const NI: i64 = i64::MIN;
const ND: i128 = i128::MIN;

fn widen<T: Copy + PartialEq>(x: &[T], nul: T, f: impl Fn(T) -> i64) -> Vec<i64> {
    x.iter()
        .map(|&e| if e == nul { NI } else { f(e) })
        .collect()
}

fn to_num(v: &Vector) -> Option<Num> {
    let dec = v.ty.is_decimal();
    Some(match &v.data {
        Data::I8(x) => Num::Int(widen(x, null::I8, |e| e as i64)),
        Data::I16(x) => Num::Int(widen(x, null::I16, |e| e as i64)),
        Data::I32(x) if dec => Num::Dec(
            x.iter()
                .map(|&e| if e == null::I32 { ND } else { e as i128 })
                .collect(),
            v.scale,
        ),
        Data::I32(x) => Num::Int(widen(x, null::I32, |e| e as i64)),
        Data::I64(x) if dec => Num::Dec(
            x.iter()
                .map(|&e| if e == null::I64 { ND } else { e as i128 })
                .collect(),
            v.scale,
        ),
        Data::I64(x) => Num::Int(x.clone()),
        Data::I128(x) if dec => Num::Dec(x.clone(), v.scale),
        Data::F32(x) => Num::Float(
            x.iter()
                .map(|&e| if e == null::F32 { null::F64 } else { e as f64 })
                .collect(),
        ),
        Data::F64(x) => Num::Float(x.clone()),
        _ => return None,
    })
}

/// Element-wise values of the target, as `Option<i64>` / `Option<f64>` / `Option<i128>`, are
/// collected into the target's storage by `build_*`.
fn from_num(num: Num, from: DataType, ty: DataType, scale: u8) -> Result<Vector> {
    match ty.category() {
        Category::Floating => Ok(build_float(ty, num_to_f64(&num))),
        Category::Denary => build_decimal(ty, scale, num_to_decimal(&num, scale)?),
        Category::Logical => Ok(build_int(ty, num_to_bool(&num))),
        Category::Integral => Ok(build_int(ty, num_to_i64(&num))),
        Category::Temporal if from.is_temporal() => {
            let Num::Int(raw) = num else {
                return Err(cannot(from, ty));
            };
            let mut out = Vec::with_capacity(raw.len());
            for r in raw {
                if r == NI {
                    out.push(None);
                } else {
                    let x =
                        temporal::convert_temporal(r, from, ty).ok_or_else(|| cannot(from, ty))?;
                    out.push(Some(x));
                }
            }
            Ok(build_int(ty, out))
        }
        Category::Temporal => Ok(build_int(ty, num_to_i64(&num))),
        _ => Err(cannot(from, ty)),
    }
}

fn num_to_f64(num: &Num) -> Vec<Option<f64>> {
    match num {
        Num::Int(x) => x.iter().map(|&e| (e != NI).then_some(e as f64)).collect(),
        Num::Float(x) => x.iter().map(|&e| (e != null::F64).then_some(e)).collect(),
        Num::Dec(x, s) => {
            let div = 10f64.powi(*s as i32);
            x.iter()
                .map(|&e| (e != ND).then_some(e as f64 / div))
                .collect()
        }
    }
}

fn num_to_bool(num: &Num) -> Vec<Option<i64>> {
    match num {
        Num::Int(x) => x
            .iter()
            .map(|&e| (e != NI).then_some((e != 0) as i64))
            .collect(),
        Num::Float(x) => x
            .iter()
            .map(|&e| (e != null::F64).then_some((e != 0.0) as i64))
            .collect(),
        Num::Dec(x, _) => x
            .iter()
            .map(|&e| (e != ND).then_some((e != 0) as i64))
            .collect(),
    }
}

/// Float to integer: round half away from zero; NaN, infinities and out-of-range are null.
pub fn round_f64_to_i64(f: f64) -> Option<i64> {
    let r = f.round();
    if r.is_finite() && (-9.223_372_036_854_775e18..9.223_372_036_854_775e18).contains(&r) {
        Some(r as i64)
    } else {
        None
    }
}

fn num_to_i64(num: &Num) -> Vec<Option<i64>> {
    match num {
        Num::Int(x) => x.iter().map(|&e| (e != NI).then_some(e)).collect(),
        Num::Float(x) => x
            .iter()
            .map(|&e| {
                if e == null::F64 {
                    None
                } else {
                    round_f64_to_i64(e)
                }
            })
            .collect(),
        Num::Dec(x, s) => x
            .iter()
            .map(|&e| {
                if e == ND {
                    return None;
                }
                i64::try_from(div_round(e, pow10(*s)?)).ok()
            })
            .collect(),
    }
}

fn num_to_decimal(num: &Num, scale: u8) -> Result<Vec<Option<i128>>> {
    let mul = pow10(scale).ok_or_else(overflow)?;
    match num {
        Num::Int(x) => x
            .iter()
            .map(|&e| {
                if e == NI {
                    Ok(None)
                } else {
                    (e as i128).checked_mul(mul).map(Some).ok_or_else(overflow)
                }
            })
            .collect(),
        Num::Float(x) => x
            .iter()
            .map(|&e| {
                if e == null::F64 || !e.is_finite() {
                    Ok(None)
                } else {
                    parse_decimal(&format!("{e}"), scale)
                }
            })
            .collect(),
        Num::Dec(x, s) => x
            .iter()
            .map(|&e| {
                if e == ND {
                    Ok(None)
                } else {
                    rescale(e, *s, scale).map(Some).ok_or_else(overflow)
                }
            })
            .collect(),
    }
}

/// 10^n as i128, None past 10^38.
pub fn pow10(n: u8) -> Option<i128> {
    10i128.checked_pow(n as u32)
}

/// `m / d` rounded half away from zero (d > 0).
fn div_round(m: i128, d: i128) -> i128 {
    let q = m / d;
    let r = m % d;
    if r.unsigned_abs() * 2 >= d.unsigned_abs() {
        q + m.signum()
    } else {
        q
    }
}

/// A decimal mantissa moved from scale `from` to scale `to`, rounding half away from zero.
pub fn rescale(m: i128, from: u8, to: u8) -> Option<i128> {
    if to >= from {
        m.checked_mul(pow10(to - from)?)
    } else {
        match pow10(from - to) {
            Some(d) => Some(div_round(m, d)),
            None => Some(0),
        }
    }
}

/// Parses decimal text (`-3.14159`, `1e-3`, `+.5`) to a mantissa at `scale`, rounding half away
/// from zero. Ok(None) for null text (`""`, `nan`) or text that is not a number; Err when the
/// value does not fit in 128 bits.
pub fn parse_decimal(text: &str, scale: u8) -> Result<Option<i128>> {
    let s = text.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("nan") {
        return Ok(None);
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => match body[i + 1..].parse::<i32>() {
            Ok(e) => (&body[..i], e),
            Err(_) => return Ok(None),
        },
        None => (body, 0),
    };
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    let all_digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return Ok(None);
    }
    // The digits as one integer with `frac_len - exp` decimals; keep `scale` of them.
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|c| c - b'0')
        .collect();
    let decimals = frac_part.len() as i64 - exp as i64;
    let keep = digits.len() as i64 - decimals + scale as i64; // digits left of the cut
    let mut m: i128 = 0;
    for (i, &d) in digits.iter().enumerate() {
        if (i as i64) >= keep {
            break;
        }
        m = m
            .checked_mul(10)
            .and_then(|x| x.checked_add(d as i128))
            .ok_or_else(overflow)?;
    }
    // Pad with zeros when the text has fewer decimals than the scale.
    for _ in 0..(keep - digits.len() as i64).max(0) {
        m = m.checked_mul(10).ok_or_else(overflow)?;
    }
    let round_up = keep >= 0 && (keep as usize) < digits.len() && digits[keep as usize] >= 5;
    if round_up {
        m = m.checked_add(1).ok_or_else(overflow)?;
    }
    Ok(Some(if neg { -m } else { m }))
}

fn build_float(ty: DataType, vals: Vec<Option<f64>>) -> Vector {
    if ty == DataType::Float {
        Vector::from_f32(
            vals.into_iter()
                .map(|x| x.map(|f| f as f32).unwrap_or(null::F32))
                .collect(),
        )
    } else {
        Vector::from_f64(vals.into_iter().map(|x| x.unwrap_or(null::F64)).collect())
    }
}

/// Collects integer values into the storage of `ty`; values outside its range become null.
fn build_int(ty: DataType, vals: Vec<Option<i64>>) -> Vector {
    fn narrow<T: TryFrom<i64> + Copy + PartialEq>(vals: Vec<Option<i64>>, nul: T) -> Vec<T> {
        vals.into_iter()
            .map(|x| match x.and_then(|v| T::try_from(v).ok()) {
                Some(v) => v,
                None => nul,
            })
            .collect()
    }
    let data = match ty.storage() {
        Storage::I8 => Data::I8(narrow(vals, null::I8)),
        Storage::I16 => Data::I16(narrow(vals, null::I16)),
        Storage::I32 => Data::I32(narrow(vals, null::I32)),
        _ => Data::I64(vals.into_iter().map(|x| x.unwrap_or(null::I64)).collect()),
    };
    Vector::new(ty, data)
}

/// Collects decimal mantissas into the width of `ty`; a mantissa that does not fit is an error.
fn build_decimal(ty: DataType, scale: u8, vals: Vec<Option<i128>>) -> Result<Vector> {
    fn narrow<T: TryFrom<i128> + Copy + PartialEq>(
        vals: Vec<Option<i128>>,
        nul: T,
    ) -> Result<Vec<T>> {
        vals.into_iter()
            .map(|x| match x {
                None => Ok(nul),
                Some(v) => match T::try_from(v) {
                    Ok(t) if t != nul => Ok(t),
                    _ => Err(overflow()),
                },
            })
            .collect()
    }
    let data = match ty {
        DataType::Decimal32 => Data::I32(narrow(vals, null::I32)?),
        DataType::Decimal64 => Data::I64(narrow(vals, null::I64)?),
        _ => Data::I128(narrow(vals, null::DECIMAL128)?),
    };
    Ok(Vector::decimal(ty, scale, data))
}

/// Parses every text element to `ty`.
fn from_text(v: &Vector, ty: DataType, scale: u8) -> Result<Vector> {
    let n = v.len();
    let each = |f: &dyn Fn(&str) -> Option<i64>| -> Vec<Option<i64>> {
        (0..n).map(|i| f(text_at(v, i).trim())).collect()
    };
    Ok(match ty.category() {
        Category::Logical => build_int(ty, each(&parse_bool)),
        Category::Integral => build_int(ty, each(&|s| parse_int_prefix(s, ty))),
        Category::Temporal => build_int(ty, each(&|s| temporal::parse(s, ty))),
        Category::Floating => build_float(
            ty,
            (0..n).map(|i| parse_float(text_at(v, i).trim())).collect(),
        ),
        Category::Denary => {
            let vals = (0..n)
                .map(|i| parse_decimal(&text_at(v, i), scale))
                .collect::<Result<Vec<_>>>()?;
            build_decimal(ty, scale, vals)?
        }
        Category::Binary if ty.storage() == Storage::I128 => {
            let parse: fn(&str) -> Option<i128> = match ty {
                DataType::Uuid => parse_uuid,
                DataType::IpAddr => parse_ip,
                _ => parse_int128,
            };
            let nul = null_i128(ty);
            let vals = (0..n)
                .map(|i| parse(text_at(v, i).trim()).unwrap_or(nul))
                .collect();
            Vector::new(ty, Data::I128(vals))
        }
        _ => return Err(cannot(v.ty, ty)),
    })
}

/// `true`/`false` (any case), else a number: nonzero is true.
pub fn parse_bool(s: &str) -> Option<i64> {
    if s.eq_ignore_ascii_case("true") {
        Some(1)
    } else if s.eq_ignore_ascii_case("false") {
        Some(0)
    } else {
        parse_float(s).map(|f| (f != 0.0) as i64)
    }
}

/// The leading integer of `s` (`"10.9"` is 10, `"120.9c"` is 120); None without digits. A CHAR
/// also accepts one ASCII character (`char("a")` is 97).
pub fn parse_int_prefix(s: &str, ty: DataType) -> Option<i64> {
    let b = s.as_bytes();
    let (neg, start) = match b.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let end = b[start..]
        .iter()
        .position(|c| !c.is_ascii_digit())
        .map_or(b.len(), |p| start + p);
    if end == start {
        if ty == DataType::Char && b.len() == 1 && b[0].is_ascii() {
            return Some(b[0] as i64);
        }
        return None;
    }
    let mag: i64 = s[start..end].parse().ok()?;
    Some(if neg { -mag } else { mag })
}

/// A float from text: the whole text, `nan`/`inf` included, else its longest numeric prefix.
pub fn parse_float(s: &str) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    if let Ok(f) = s.parse::<f64>() {
        return Some(f);
    }
    let b = s.as_bytes();
    let mut end = 0;
    let mut seen_dot = false;
    let mut seen_digit = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'-' | b'+' if i == 0 => {}
            b'.' if !seen_dot => seen_dot = true,
            c if c.is_ascii_digit() => seen_digit = true,
            _ => break,
        }
        end = i + 1;
    }
    if !seen_digit {
        return None;
    }
    s[..end].trim_end_matches('.').parse().ok()
}

fn hex_u128(s: &str) -> Option<u128> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(s, 16).ok()
}

/// `5d212a78-cc48-e3b1-4235-b4d91473ee87`: the 32 hex digits read big-endian.
pub fn parse_uuid(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    (hex.len() == 32).then_some(())?;
    hex_u128(&hex).map(|u| u as i128)
}

/// 32 hex digits, big-endian.
pub fn parse_int128(s: &str) -> Option<i128> {
    (s.len() == 32).then_some(())?;
    hex_u128(s).map(|u| u as i128)
}

/// IPv4 `192.168.1.13` (the low 32 bits) or IPv6 (`2001:db8::1`, the 128-bit big-endian value).
pub fn parse_ip(s: &str) -> Option<i128> {
    if s.contains(':') {
        return s
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|a| u128::from(a) as i128);
    }
    s.parse::<std::net::Ipv4Addr>()
        .ok()
        .map(|a| u32::from(a) as i128)
}

#[cfg(test)]
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;
    use DataType::*;

    fn strs(v: &[&str]) -> Vector {
        Vector::from_strings(v.iter().map(|s| s.to_string()).collect())
    }

    fn dec(v: &Vector) -> Vec<i128> {
        match &v.data {
            Data::I32(x) => x.iter().map(|&e| e as i128).collect(),
            Data::I64(x) => x.iter().map(|&e| e as i128).collect(),
            Data::I128(x) => x.clone(),
            _ => panic!("not a decimal"),
        }
    }

    fn ints(v: &Vector) -> Vec<i64> {
        (0..v.len()).map(|i| v.i64_at(i).unwrap_or(NI)).collect()
    }

    #[test]
    fn decimal_from_string_rounds_half_away_from_zero() {
        // The official Rust client's tests pin these mantissas.
        let one = |s: &str, ty, scale| dec(&cast(&strs(&[s]), ty, scale).unwrap())[0];
        assert_eq!(one("3.141592653589", Decimal32, 8), 314159265);
        assert_eq!(one("-0.14159265358", Decimal32, 9), -141592654);
        assert_eq!(
            one("3.14159265358979323846", Decimal64, 17),
            314159265358979324
        );
        assert_eq!(
            one("-0.14159265358979323846", Decimal64, 18),
            -141592653589793238
        );
        assert_eq!(
            one("3.14159265358979323846264338327950288", Decimal128, 28),
            31415926535897932384626433833
        );
        let v = cast(&strs(&["3.14", "3.14159", ""]), Decimal32, 3).unwrap();
        assert_eq!(dec(&v), vec![3140, 3142, null::I32 as i128]);
        let nan = cast(&strs(&["nan"]), Decimal32, 9).unwrap();
        assert!(nan.is_null(0));
        // DolphinDB docs: symbol(["1.341", "4.5677"])$DECIMAL32(2) is [1.34,4.57] since 2.00.10.
        assert_eq!(
            dec(&cast(&strs(&["1.341", "4.5677"]), Decimal32, 2).unwrap()),
            vec![134, 457]
        );
        assert_eq!(one("12", Decimal32, 2), 1200);
        assert_eq!(one("1e-3", Decimal64, 4), 10);
        assert_eq!(one("-0.005", Decimal32, 2), -1);
        assert!(cast(&strs(&["100000000000"]), Decimal32, 2).is_err());
        assert!(cast(&strs(&["1"]), Decimal32, 10).is_err());
    }

    #[test]
    fn decimal_from_numbers_and_rescale() {
        // DolphinDB docs: decimal32(142, 2) is 142.00, decimal32(1\7, 6) is 0.142857.
        let v = cast(&Vector::from_i32(Int, vec![142]), Decimal32, 2).unwrap();
        assert_eq!((dec(&v)[0], v.scale), (14200, 2));
        let v = cast(&Vector::from_f64(vec![1.0 / 7.0]), Decimal32, 6).unwrap();
        assert_eq!(dec(&v), vec![142857]);
        let v = cast(
            &Vector::from_f64(vec![0.145, -2.5, null::F64]),
            Decimal64,
            2,
        )
        .unwrap();
        assert_eq!(dec(&v), vec![15, -250, null::I64 as i128]);
        // Rescale: decimal32("3.141592653589",8) stored at scale 2 is 3.14.
        let d8 = Vector::decimal(Decimal32, 8, Data::I32(vec![314159265]));
        assert_eq!(dec(&cast(&d8, Decimal32, 2).unwrap()), vec![314]);
        assert_eq!(dec(&cast(&d8, Decimal128, 10).unwrap()), vec![31415926500]);
        let back = cast(&d8, Double, 0).unwrap();
        assert!((back.f64_at(0).unwrap_or(0.0) - 3.14159265).abs() < 1e-12);
        assert_eq!(ints(&cast(&d8, Int, 0).unwrap()), vec![3]);
    }

    #[test]
    fn numbers() {
        // DolphinDB docs: integer functions round floats; out of range is null.
        let f = Vector::from_f64(vec![3.5, -3.5, 3.4, f64::NAN, null::F64, 1e20]);
        assert_eq!(ints(&cast(&f, Int, 0).unwrap()), vec![4, -4, 3, NI, NI, NI]);
        let l = Vector::from_i64(Long, vec![2147483647, 2147483648, -5]);
        assert_eq!(ints(&cast(&l, Int, 0).unwrap()), vec![2147483647, NI, -5]);
        assert_eq!(ints(&cast(&l, Short, 0).unwrap()), vec![NI, NI, -5]);
        let b = cast(&Vector::from_f64(vec![100.2, 0.0]), Bool, 0).unwrap();
        assert_eq!(ints(&b), vec![1, 0]);
        let d = cast(&Vector::from_i32(Int, vec![1, null::I32]), Double, 0).unwrap();
        assert_eq!(d.f64_at(0), Some(1.0));
        assert!(d.is_null(1));
    }

    #[test]
    fn strings_to_numbers() {
        // DolphinDB docs: int(`10.9) is 10, short(`120.9c) is 120, bool(`true) is true.
        let v = strs(&["10.9", "120.9c", "abc", "", "-7"]);
        assert_eq!(ints(&cast(&v, Int, 0).unwrap()), vec![10, 120, NI, NI, -7]);
        let b = strs(&["true", "FALSE", "0", "2", ""]);
        assert_eq!(ints(&cast(&b, Bool, 0).unwrap()), vec![1, 0, 0, 1, NI]);
        let f = cast(&strs(&["10.9", "nan", "inf", "x", "1.5x"]), Double, 0).unwrap();
        let Data::F64(x) = &f.data else { panic!() };
        assert_eq!(x[0], 10.9);
        assert!(x[1].is_nan());
        assert_eq!(x[2], f64::INFINITY);
        assert_eq!(x[3], null::F64);
        assert_eq!(x[4], 1.5);
        assert_eq!(ints(&cast(&strs(&["a"]), Char, 0).unwrap()), vec![97]);
    }

    #[test]
    fn temporal_conversions() {
        let d = cast(&Vector::from_i32(Int, vec![15504, null::I32]), Date, 0).unwrap();
        assert_eq!((d.ty, ints(&d)), (Date, vec![15504, NI]));
        let ts = Vector::from_i64(Timestamp, vec![-1, 1339594210008]);
        assert_eq!(ints(&cast(&ts, Date, 0).unwrap()), vec![-1, 15504]);
        assert_eq!(ints(&cast(&ts, Long, 0).unwrap()), vec![-1, 1339594210008]);
        let t = Vector::from_i32(Time, vec![1000]);
        assert!(cast(&t, Date, 0).is_err());
        let s = cast(
            &strs(&["2012.06.13", "2012-06-13", "20120613", "bad"]),
            Date,
            0,
        )
        .unwrap();
        assert_eq!(ints(&s), vec![15504, 15504, 15504, NI]);
        let dh = cast(&strs(&["2022.05.20T13"]), DateHour, 0).unwrap();
        assert_eq!(element_string(&dh, 0), "2022.05.20T13");
    }

    #[test]
    fn to_string_and_symbol() {
        let v = Vector::from_i32(Date, vec![15504, null::I32]);
        let s = cast(&v, String, 0).unwrap();
        assert_eq!(s.str_at(0), Some("2012.06.13"));
        assert_eq!(s.str_at(1), Some(""));
        let sym = cast(&s, Symbol, 0).unwrap();
        assert_eq!((sym.ty, sym.str_at(0)), (Symbol, Some("2012.06.13")));
        let back = cast(&sym, String, 0).unwrap();
        assert_eq!(back.str_at(1), Some(""));
        let blob = cast(&strs(&["ab"]), Blob, 0).unwrap();
        assert!(matches!(&blob.data, Data::Blob(b) if b[0] == b"ab"));
        assert_eq!(cast(&blob, String, 0).unwrap().str_at(0), Some("ab"));
    }

    #[test]
    fn binary_types_round_trip_through_text() {
        let cases = [
            (Uuid, "5d212a78-cc48-e3b1-4235-b4d91473ee87"),
            (IpAddr, "192.168.1.13"),
            (IpAddr, "2001:db8::1"),
            (Int128, "e1671797c52e15f763380b45e841ec32"),
        ];
        for (ty, text) in cases {
            let v = cast(&strs(&[text]), ty, 0).unwrap();
            assert!(!v.is_null(0), "{text}");
            assert_eq!(element_string(&v, 0), text);
        }
        let ip = cast(&strs(&["192.168.1.13"]), IpAddr, 0).unwrap();
        assert!(matches!(&ip.data, Data::I128(x) if x[0] == 0xC0A8010D));
        let bad = cast(&strs(&["nope", ""]), Uuid, 0).unwrap();
        assert!(bad.is_null(0) && bad.is_null(1));
    }

    #[test]
    fn forms_and_any() {
        let v = Value::vector(Vector::from_i32(Int, vec![1, 2]));
        let any = cast_value(&v, Any, 0).unwrap();
        assert_eq!(any.data_type(), Any);
        let back = cast_value(&any, Long, 0).unwrap();
        assert_eq!((back.data_type(), back.len()), (Long, 2));
        let s = cast_value(&Value::int(3), Double, 0).unwrap();
        assert_eq!((s.form(), s.as_f64()), (crate::DataForm::Scalar, Some(3.0)));
        let nul = cast_value(&Value::void(), Int, 0).unwrap();
        assert!(nul.is_null() && nul.data_type() == Int);
        let arr = Vector {
            ty: Int,
            scale: 0,
            data: Data::Array(ArrayData {
                offsets: vec![0, 2, 3],
                values: Box::new(Vector::from_i32(Int, vec![1, 2, 3])),
            }),
        };
        let arr_d = cast(&arr, Double, 0).unwrap();
        assert!(arr_d.is_array() && arr_d.ty == Double && arr_d.len() == 2);
    }

    /// One vector per storage with nulls and extreme values.
    fn samples() -> Vec<Vector> {
        let mut out = Vec::new();
        for ty in DataType::ALL.iter().copied().chain([Decimal128]) {
            let v = match ty.storage() {
                Storage::I8 => Vector::from_i8(ty, vec![i8::MIN, i8::MAX, -1, 0, 1]),
                Storage::I16 => Vector::from_i16(vec![i16::MIN, i16::MAX, -1, 0]),
                Storage::I32 => Vector::from_i32(ty, vec![i32::MIN, i32::MAX, i32::MIN + 1, -1, 0]),
                Storage::I64 => Vector::from_i64(ty, vec![i64::MIN, i64::MAX, i64::MIN + 1, -1]),
                Storage::I128 => Vector::new(ty, Data::I128(vec![i128::MIN, i128::MAX, 0, -1])),
                Storage::F32 => Vector::from_f32(vec![null::F32, f32::MAX, f32::NAN, -0.5]),
                Storage::F64 => Vector::from_f64(vec![null::F64, f64::MAX, f64::NAN, 1e300]),
                Storage::Str => strs(&[
                    "",
                    "-9e999",
                    "1e-400",
                    "2022.13.40",
                    "x\u{e9}",
                    "99999999999999999999999",
                ]),
                Storage::Sym => Vector::new(ty, Data::Sym(SymbolVec::from_strings(&["", "1.5"]))),
                Storage::Blob => Vector::new(ty, Data::Blob(vec![vec![0xff, 0xfe], vec![]])),
                Storage::Void => Vector::nulls(ty, 2),
                Storage::Any => Vector::from_values(vec![Value::int(1), Value::void()]),
            };
            out.push(Vector {
                scale: if ty.is_decimal() { 3 } else { 0 },
                ..v
            });
        }
        out
    }

    #[test]
    fn every_type_to_every_type_never_panics() {
        for v in samples() {
            for to in DataType::ALL.iter().copied().chain([Decimal128]) {
                for scale in [0u8, 2, 9] {
                    if let Ok(out) = cast(&v, to, scale) {
                        assert_eq!(out.len(), v.len(), "{:?} -> {to:?}", v.ty);
                        for i in 0..out.len() {
                            let _ = element_string(&out, i);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn promotion() {
        assert_eq!(common_type(Int, Long), Long);
        assert_eq!(common_type(Int, Double), Double);
        assert_eq!(common_type(Char, Char), Int);
        assert_eq!(common_type(Bool, Short), Int);
        assert_eq!(common_type(Float, Int), Float);
        assert_eq!(common_type(Float, Long), Double);
        assert_eq!(common_type(Float, Double), Double);
        assert_eq!(common_type(Date, Int), Date);
        assert_eq!(common_type(Long, Timestamp), Timestamp);
        assert_eq!(common_type(Decimal32, Int), Decimal32);
        assert_eq!(common_type(Decimal32, Decimal64), Decimal64);
        assert_eq!(common_type(Decimal64, Double), Double);
        assert_eq!(common_type(Symbol, String), String);
        assert_eq!(common_type(Void, Int), Int);
    }
}
