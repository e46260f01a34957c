//! Built-ins: comparisons (`eq`, `ne`, `lt`, `le`, `gt`, `ge`, `between`, `eqObj`,
//! `eqFloat`).
//!
//! Element-wise with the broadcasting of arithmetic. A null compares as the minimum value of
//! its type (DolphinDB's default `nullAsMinValueForComparison=true`, and always for `==`/`!=`),
//! so `NULL == NULL` is true and `00i < 1` is true. Numbers compare across types by value,
//! strings and symbols by their text, temporals of different types at the finer unit.

use std::cmp::Ordering;

use value::{null, Data, DataType, Value, Vector};

use super::kernels::form::{align, array_binary, rebuild, split, split_arg};
use super::kernels::num::{dispatch_num, Num};
use super::kernels::promote::{cast_num, numeric_view, to_f64_nan};
use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    let s = Kind::Scalar;
    vec![
        builtin("eq", 2, 2, s, eq),
        builtin("ne", 2, 2, s, ne),
        builtin("lt", 2, 2, s, lt),
        builtin("le", 2, 2, s, le),
        builtin("gt", 2, 2, s, gt),
        builtin("ge", 2, 2, s, ge),
        builtin("between", 2, 2, s, between),
        builtin("eqObj", 2, 3, Kind::Other, eq_obj),
        builtin("eqFloat", 2, 3, s, eq_float),
    ]
}

/// The common representation two operands are compared in.
enum Domain {
    Int(Vec<i64>, Vec<i64>),
    Float(Vec<f64>, Vec<f64>),
    Wide(Vec<i128>, Vec<i128>),
    Text,
    Bytes,
}

fn incomparable(name: &str, a: &Vector, b: &Vector) -> Error {
    Error::new(format!(
        "The function [{name}] can't compare {} with {}.",
        a.ty.name(),
        b.ty.name()
    ))
}

/// Raw counts as i64, nulls as i64::MIN.
fn raw_i64(v: &Vector) -> Result<Vec<i64>> {
    let long = cast_num(v, DataType::Long)?;
    match long.data {
        Data::I64(x) => Ok(x),
        _ => Err(Error::new("internal: expected LONG")),
    }
}

/// Nanoseconds per unit, and whether the type counts from the epoch (dates) or midnight.
fn temporal_unit(ty: DataType) -> Option<(i64, bool)> {
    Some(match ty {
        DataType::Date => (86_400_000_000_000, true),
        DataType::DateHour => (3_600_000_000_000, true),
        DataType::DateTime => (1_000_000_000, true),
        DataType::Timestamp => (1_000_000, true),
        DataType::NanoTimestamp => (1, true),
        DataType::Minute => (60_000_000_000, false),
        DataType::Second => (1_000_000_000, false),
        DataType::Time => (1_000_000, false),
        DataType::NanoTime => (1, false),
        _ => return None,
    })
}

fn to_nanos(v: &Vector, unit: i64) -> Result<Vec<i64>> {
    let mut raw = raw_i64(v)?;
    for x in raw.iter_mut() {
        if *x != null::I64 {
            *x = x.saturating_mul(unit);
        }
    }
    Ok(raw)
}

fn is_integral_like(t: DataType) -> bool {
    matches!(numeric_view(t), Some(v) if v.is_integral() || v == DataType::Void)
}

fn domain(name: &str, a: &Vector, b: &Vector) -> Result<Domain> {
    let (ta, tb) = (a.ty, b.ty);
    if ta.is_literal() && tb.is_literal() {
        return Ok(Domain::Text);
    }
    if ta == DataType::Blob || tb == DataType::Blob {
        let ok = |t: DataType| t == DataType::Blob || t == DataType::Void || t.is_literal();
        if ok(ta) && ok(tb) {
            return Ok(Domain::Bytes);
        }
        return Err(incomparable(name, a, b));
    }
    if ta == tb && a.scale == b.scale && ta.storage() == value::Storage::I128 {
        // UUID, IPADDR, INT128 and DECIMAL128 of one scale compare by their raw 128 bits.
        return Ok(Domain::Wide(wide(a), wide(b)));
    }
    if ta.is_temporal() || tb.is_temporal() {
        if ta == tb || is_integral_like(ta) || is_integral_like(tb) {
            return Ok(Domain::Int(raw_i64(a)?, raw_i64(b)?));
        }
        return match (temporal_unit(ta), temporal_unit(tb)) {
            (Some((ua, da)), Some((ub, db))) if da == db => {
                Ok(Domain::Int(to_nanos(a, ua)?, to_nanos(b, ub)?))
            }
            _ => Err(incomparable(name, a, b)),
        };
    }
    if let (Some(va), Some(vb)) = (numeric_view(ta), numeric_view(tb)) {
        if (va.is_integral() || va == DataType::Void) && (vb.is_integral() || vb == DataType::Void)
        {
            return Ok(Domain::Int(raw_i64(a)?, raw_i64(b)?));
        }
        return Ok(Domain::Float(float_min_null(a)?, float_min_null(b)?));
    }
    if ta.storage() == value::Storage::I128 && (ta == tb || tb == DataType::Void) {
        return Ok(Domain::Wide(wide(a), wide(b)));
    }
    if tb.storage() == value::Storage::I128 && ta == DataType::Void {
        return Ok(Domain::Wide(wide(a), wide(b)));
    }
    if (ta == DataType::Void && tb.is_literal()) || (tb == DataType::Void && ta.is_literal()) {
        return Ok(Domain::Text);
    }
    Err(incomparable(name, a, b))
}

/// Values as f64 with nulls as the DOUBLE null sentinel, which orders below every number.
fn float_min_null(v: &Vector) -> Result<Vec<f64>> {
    let mut x = to_f64_nan(v)?;
    for e in x.iter_mut() {
        if e.is_nan() {
            *e = null::F64;
        }
    }
    Ok(x)
}

fn wide(v: &Vector) -> Vec<i128> {
    match &v.data {
        Data::I128(x) => x.clone(),
        _ => vec![0; v.len()],
    }
}

fn same_type_cmp<T: Num>(a: &[T], b: &[T], n: usize, pred: &impl Fn(Ordering) -> bool) -> Vec<i8> {
    let one = |x: T, y: T| match x.partial_cmp(&y) {
        Some(o) => pred(o) as i8,
        None => 0,
    };
    if a.len() == n && b.len() == n {
        a.iter().zip(b).map(|(&x, &y)| one(x, y)).collect()
    } else if a.len() == n {
        let y = b[0];
        a.iter().map(|&x| one(x, y)).collect()
    } else {
        let x = a[0];
        b.iter().map(|&y| one(x, y)).collect()
    }
}

fn bytes(v: &Vector, n: usize, i: usize) -> &[u8] {
    let j = if v.len() == n { i } else { 0 };
    match &v.data {
        Data::Blob(b) => &b[j],
        Data::Str(s) => s[j].as_bytes(),
        Data::Sym(s) => s.get(j).as_bytes(),
        _ => &[],
    }
}

fn text(v: &Vector, n: usize, i: usize) -> &str {
    let j = if v.len() == n { i } else { 0 };
    v.str_at(j).unwrap_or("")
}

#[inline(always)]
fn at<T: Copy>(s: &[T], n: usize, i: usize) -> T {
    s[if s.len() == n { i } else { 0 }]
}

/// Orders element pairs of two aligned operands and maps each ordering through `pred`.
fn compare_with(
    name: &str,
    a: &Vector,
    b: &Vector,
    n: usize,
    pred: impl Fn(Ordering) -> bool,
) -> Result<Vec<i8>> {
    if a.ty == b.ty && a.scale == b.scale {
        // Same type: compare the raw slices; sentinels already order nulls first.
        let fast = dispatch_num!(&a.data, T, s => T::slice(&b.data)
            .map(|t| same_type_cmp(s, t, n, &pred)), _ => None);
        if let Some(out) = fast {
            return Ok(out);
        }
    }
    let out = match domain(name, a, b)? {
        Domain::Int(p, q) => (0..n)
            .map(|i| pred(at(&p, n, i).cmp(&at(&q, n, i))) as i8)
            .collect(),
        Domain::Float(p, q) => (0..n)
            .map(|i| match at(&p, n, i).partial_cmp(&at(&q, n, i)) {
                Some(o) => pred(o) as i8,
                None => 0,
            })
            .collect(),
        Domain::Wide(p, q) => (0..n)
            .map(|i| pred(at(&p, n, i).cmp(&at(&q, n, i))) as i8)
            .collect(),
        Domain::Bytes => (0..n)
            .map(|i| pred(bytes(a, n, i).cmp(bytes(b, n, i))) as i8)
            .collect(),
        Domain::Text => (0..n)
            .map(|i| pred(text(a, n, i).cmp(text(b, n, i))) as i8)
            .collect(),
    };
    Ok(out)
}

fn comparison(name: &str, x: &Value, y: &Value, pred: fn(Ordering) -> bool) -> Result<Value> {
    if let (Value::Set(a), Value::Set(b)) = (x, y) {
        // Two sets compare as wholes: equal when they hold the same keys.
        let same =
            a.len() == b.len() && (0..a.keys.len()).all(|i| b.contains_key(&a.keys.key_at(i)));
        return match name {
            "eq" => Ok(Value::bool(same)),
            "ne" => Ok(Value::bool(!same)),
            _ => Err(Error::new(format!(
                "The function [{name}] doesn't support sets."
            ))),
        };
    }
    if let Some(r) = array_binary(name, x, y, |a, b| comparison(name, a, b, pred)) {
        return r;
    }
    let al = align(name, x, y)?;
    let out = compare_with(name, &al.a, &al.b, al.len, pred)?;
    Ok(rebuild(&al.form, Vector::from_i8(DataType::Bool, out)))
}

fn eq(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    comparison("eq", &args[0], &args[1], |o| o == Ordering::Equal)
}
fn ne(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    comparison("ne", &args[0], &args[1], |o| o != Ordering::Equal)
}
fn lt(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    comparison("lt", &args[0], &args[1], |o| o == Ordering::Less)
}
fn le(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    comparison("le", &args[0], &args[1], |o| o != Ordering::Greater)
}
fn gt(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    comparison("gt", &args[0], &args[1], |o| o == Ordering::Greater)
}
fn ge(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    comparison("ge", &args[0], &args[1], |o| o != Ordering::Less)
}

/// `between(X, a:b)`: `a <= X <= b`, bounds included.
fn between(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let range = match &args[1] {
        Value::Pair(p) => p.clone(),
        Value::Vector(v) if v.len() == 2 => v.clone(),
        _ => {
            return Err(Error::new(
                "The second argument of [between] must be a pair.",
            ))
        }
    };
    let (form, x) = split_arg("between", &args[0])?;
    let n = x.len();
    let lo = range.slice(0, 1);
    let hi = range.slice(1, 2);
    let ge = compare_with("between", x, &lo, n, |o| o != Ordering::Less)?;
    let le = compare_with("between", x, &hi, n, |o| o != Ordering::Greater)?;
    let out = ge.iter().zip(&le).map(|(a, b)| a & b).collect();
    Ok(rebuild(&form, Vector::from_i8(DataType::Bool, out)))
}

/// `eqObj(a, b, [precision])`: same form, same type, same values (floats within
/// `10^-precision` when a precision is given).
fn eq_obj(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let precision = match args.get(2) {
        Some(p) if !p.is_null() => Some(
            p.as_i64()
                .filter(|d| *d >= 0)
                .ok_or_else(|| Error::new("precision must be a non-negative integer"))?,
        ),
        _ => None,
    };
    let (x, y) = (&args[0], &args[1]);
    if x.form() != y.form() {
        return Ok(Value::bool(false));
    }
    let (Some((fa, a)), Some((_, b))) = (split(x), split(y)) else {
        return Err(Error::new(
            "The function [eqObj] only accepts a scalar, pair, vector or matrix.",
        ));
    };
    if a.ty != b.ty || a.len() != b.len() || a.is_array() != b.is_array() {
        return Ok(Value::bool(false));
    }
    if let (Some(fm), Some((super::kernels::form::Form::Matrix(gm), _))) =
        (matrix_dims(&fa), split(y))
    {
        if fm != (gm.rows, gm.cols) {
            return Ok(Value::bool(false));
        }
    }
    let tol = precision.map(|d| 10f64.powi(-(d.min(300) as i32)));
    let same = same_values(a, b, tol)?;
    Ok(Value::bool(same))
}

/// Element-by-element identity of two vectors of one type and length (nulls equal nulls;
/// floats within `tol` when given); array vectors compare row by row.
fn same_values(a: &Vector, b: &Vector, tol: Option<f64>) -> Result<bool> {
    if let (Data::Any(x), Data::Any(y)) = (&a.data, &b.data) {
        // Tuples: every element identical, recursively.
        for (p, q) in x.iter().zip(y) {
            if !same_objects(p, q, tol)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let (Data::Array(x), Data::Array(y)) = (&a.data, &b.data) {
        return Ok(x.offsets == y.offsets
            && x.values.ty == y.values.ty
            && same_values(&x.values, &y.values, tol)?);
    }
    if a.ty.is_floating() {
        let p = float_min_null(a)?;
        let q = float_min_null(b)?;
        return Ok(p.iter().zip(&q).all(|(u, v)| match tol {
            _ if *u == null::F64 || *v == null::F64 => u == v,
            Some(t) => (u - v).abs() <= t,
            None => u == v,
        }));
    }
    Ok(
        compare_with("eqObj", a, b, a.len(), |o| o == Ordering::Equal)?
            .iter()
            .all(|e| *e == 1),
    )
}

fn same_objects(p: &Value, q: &Value, tol: Option<f64>) -> Result<bool> {
    if p.form() != q.form() {
        return Ok(false);
    }
    match (split(p), split(q)) {
        (Some((_, a)), Some((_, b))) => {
            if a.ty != b.ty || a.len() != b.len() || a.is_array() != b.is_array() {
                return Ok(false);
            }
            same_values(a, b, tol)
        }
        _ => Err(Error::new(
            "The function [eqObj] only accepts a scalar, pair, vector or matrix.",
        )),
    }
}

fn matrix_dims(f: &super::kernels::form::Form) -> Option<(usize, usize)> {
    match f {
        super::kernels::form::Form::Matrix(m) => Some((m.rows, m.cols)),
        _ => None,
    }
}

/// `eqFloat(X, Y, [precision=9])`: element-wise equality after rounding both sides to
/// `precision` decimal places.
fn eq_float(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let digits = match args.get(2) {
        Some(p) if !p.is_null() => p
            .as_i64()
            .filter(|d| *d >= 0)
            .ok_or_else(|| Error::new("precision must be a non-negative integer"))?,
        _ => 9,
    };
    let al = align("eqFloat", &args[0], &args[1])?;
    let p = float_min_null(&al.a)?;
    let q = float_min_null(&al.b)?;
    let scale = 10f64.powi(digits.min(300) as i32);
    let n = al.len;
    let out = (0..n)
        .map(|i| {
            let (u, v) = (at(&p, n, i), at(&q, n, i));
            if u == null::F64 || v == null::F64 {
                (u == v) as i8
            } else {
                ((u * scale).round() == (v * scale).round()) as i8
            }
        })
        .collect();
    Ok(rebuild(&al.form, Vector::from_i8(DataType::Bool, out)))
}

#[cfg(test)]
mod tests {
    use super::super::kernels::test_env::*;
    use super::*;

    #[test]
    fn nulls_compare_as_minimum() {
        // DolphinDB docs (null handling): 1 < NULL false, 1 > NULL true, NULL == NULL true.
        assert_eq!(
            run("lt", &[Value::int(1), Value::void()]).as_bool(),
            Some(false)
        );
        assert_eq!(
            run("gt", &[Value::int(1), Value::void()]).as_bool(),
            Some(true)
        );
        assert_eq!(
            run("eq", &[Value::void(), Value::void()]).as_bool(),
            Some(true)
        );
        assert_eq!(
            run("ne", &[Value::void(), Value::void()]).as_bool(),
            Some(false)
        );
        let r = run("lt", &[ints(&[NI, 1, 2]), Value::int(1)]);
        assert_eq!(as_i8(&r), vec![1, 0, 0]);
        let r = run("eq", &[doubles(&[ND, 1.0]), ints(&[NI, 1])]);
        assert_eq!(as_i8(&r), vec![1, 1]);
    }

    #[test]
    fn numbers_compare_across_types() {
        assert_eq!(
            run("eq", &[Value::int(2), Value::double(2.0)]).as_bool(),
            Some(true)
        );
        assert_eq!(
            run("lt", &[Value::long(2), Value::double(2.5)]).as_bool(),
            Some(true)
        );
        let r = run("ge", &[ints(&[1, 2, 3]), ints(&[3, 2, 1])]);
        assert_eq!(as_i8(&r), vec![0, 1, 1]);
    }

    #[test]
    fn strings_and_temporals() {
        let r = run("lt", &[strs(&["a", "b", ""]), Value::string("b")]);
        assert_eq!(as_i8(&r), vec![1, 0, 1]);
        let d = Value::i32_of(DataType::Date, 1);
        let ts = Value::i64_of(DataType::Timestamp, 86_400_000);
        assert_eq!(run("eq", &[d.clone(), ts]).as_bool(), Some(true));
        run_err("lt", &[d, Value::string("x")]);
    }

    #[test]
    fn between_includes_bounds() {
        let range = Value::pair(Vector::from_i32(DataType::Int, vec![2, 4]));
        let r = run("between", &[ints(&[1, 2, 3, 4, 5, NI]), range]);
        assert_eq!(as_i8(&r), vec![0, 1, 1, 1, 0, 0]);
    }

    #[test]
    fn eq_obj_checks_type_and_values() {
        // DolphinDB docs: eqObj(2, 2.0) false; eqObj(1.1, 1.2, 0) true; eqObj(1 2 3, 1 2 3) true
        assert_eq!(
            run("eqObj", &[Value::int(2), Value::double(2.0)]).as_bool(),
            Some(false)
        );
        let r = run(
            "eqObj",
            &[Value::double(1.1), Value::double(1.2), Value::int(0)],
        );
        assert_eq!(r.as_bool(), Some(true));
        let r = run("eqObj", &[ints(&[1, 2, 3]), ints(&[1, 2, 3])]);
        assert_eq!(r.as_bool(), Some(true));
        let r = run("eqObj", &[ints(&[1, NI]), ints(&[1, NI])]);
        assert_eq!(r.as_bool(), Some(true));
        let r = run("eqObj", &[ints(&[1, 2]), ints(&[1, 3])]);
        assert_eq!(r.as_bool(), Some(false));
    }

    #[test]
    fn eq_covers_every_type_the_clients_upload() {
        let blob = |v: &[&[u8]]| {
            Value::vector(Vector::new(
                DataType::Blob,
                Data::Blob(v.iter().map(|b| b.to_vec()).collect()),
            ))
        };
        let r = run("eq", &[blob(&[b"ab", b""]), blob(&[b"ab", b""])]);
        assert_eq!(as_i8(&r), vec![1, 1]);
        let dec = |raw: Vec<i128>| {
            Value::vector(Vector::decimal(DataType::Decimal128, 28, Data::I128(raw)))
        };
        let big = 31415926535897932384626433833i128;
        let r = run(
            "eq",
            &[dec(vec![big, i128::MIN]), dec(vec![big, i128::MIN])],
        );
        assert_eq!(as_i8(&r), vec![1, 1]);
        let r = run("eq", &[dec(vec![big]), dec(vec![big + 1])]);
        assert_eq!(as_i8(&r), vec![0]);
        let set = |v: &[i32]| {
            Value::set(value::Set::from_vector(&Vector::from_i32(
                DataType::Int,
                v.to_vec(),
            )))
        };
        assert_eq!(
            run("eq", &[set(&[1, 2, NI]), set(&[NI, 2, 1])]).as_bool(),
            Some(true)
        );
        assert_eq!(
            run("eq", &[set(&[1, 2]), set(&[1, 3])]).as_bool(),
            Some(false)
        );
    }

    #[test]
    fn eq_obj_compares_array_vectors() {
        let av = |offsets: Vec<u32>, vals: Vec<i32>| {
            Value::vector(Vector::new(
                DataType::Int,
                Data::Array(value::ArrayData {
                    offsets,
                    values: Box::new(Vector::from_i32(DataType::Int, vals)),
                }),
            ))
        };
        let a = av(vec![0, 2, 3], vec![1, 2, 3]);
        assert_eq!(run("eqObj", &[a.clone(), a.clone()]).as_bool(), Some(true));
        let b = av(vec![0, 1, 3], vec![1, 2, 3]);
        assert_eq!(run("eqObj", &[a, b]).as_bool(), Some(false));
    }

    #[test]
    fn eq_float_rounds() {
        // DolphinDB docs: eqFloat(0.123456788 0.123456789 0.1234567891, 0.123456789)
        let r = run(
            "eqFloat",
            &[
                doubles(&[0.123456788, 0.123456789, 0.1234567891]),
                Value::double(0.123456789),
            ],
        );
        assert_eq!(as_i8(&r), vec![0, 1, 1]);
    }
}
