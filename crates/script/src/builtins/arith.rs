//! Built-ins: arithmetic, math, bitwise and logical operators.
//!
//! Element-wise on scalars, vectors, pairs and matrices, a scalar broadcasting against the
//! other operand. Nulls propagate (`1 + NULL` is null); integer division and modulo by zero
//! give null, and so does `ratio` by zero. Temporal values take integer offsets
//! (`2024.01.31 + 1`), and two values of one temporal type subtract to a count.

use value::{null, Data, DataType, Value, Vector};

use super::kernels::decimal::{self, DecOp};
use super::kernels::form::{align, array_binary, array_unary, rebuild, split_arg};
use super::kernels::num::{dispatch_num, f64_out, Num};
use super::kernels::promote::{cast_cow, cast_num, common_numeric, numeric_view};
use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    let s = Kind::Scalar;
    vec![
        builtin("add", 2, 2, s, add),
        builtin("sub", 2, 2, s, sub),
        builtin("mul", 2, 2, s, mul),
        builtin("div", 2, 2, s, div),
        builtin("ratio", 2, 2, s, ratio),
        builtin("mod", 2, 2, s, modulo),
        builtin("pow", 2, 2, s, pow),
        builtin("neg", 1, 1, s, neg),
        builtin("abs", 1, 1, s, abs),
        builtin("signum", 1, 1, s, signum),
        builtin("floor", 1, 1, s, floor),
        builtin("ceil", 1, 1, s, ceil),
        builtin("round", 1, 2, s, round),
        builtin("sqrt", 1, 1, s, sqrt),
        builtin("cbrt", 1, 1, s, cbrt),
        builtin("square", 1, 1, s, square),
        builtin("reciprocal", 1, 1, s, reciprocal),
        builtin("exp", 1, 1, s, exp),
        builtin("exp2", 1, 1, s, exp2),
        builtin("expm1", 1, 1, s, expm1),
        builtin("log", 1, 1, s, log),
        builtin("log2", 1, 1, s, log2),
        builtin("log10", 1, 1, s, log10),
        builtin("log1p", 1, 1, s, log1p),
        builtin("sin", 1, 1, s, sin),
        builtin("cos", 1, 1, s, cos),
        builtin("tan", 1, 1, s, tan),
        builtin("asin", 1, 1, s, asin),
        builtin("acos", 1, 1, s, acos),
        builtin("atan", 1, 1, s, atan),
        builtin("sinh", 1, 1, s, sinh),
        builtin("cosh", 1, 1, s, cosh),
        builtin("tanh", 1, 1, s, tanh),
        builtin("asinh", 1, 1, s, asinh),
        builtin("acosh", 1, 1, s, acosh),
        builtin("atanh", 1, 1, s, atanh),
        builtin("deg2rad", 1, 1, s, deg2rad),
        builtin("rad2deg", 1, 1, s, rad2deg),
        builtin("clip", 3, 3, s, clip),
        builtin("bitAnd", 2, 2, s, bit_and),
        builtin("bitOr", 2, 2, s, bit_or),
        builtin("bitXor", 2, 2, s, bit_xor),
        builtin("bitNot", 1, 1, s, bit_not),
        builtin("lshift", 2, 2, s, lshift),
        builtin("rshift", 2, 2, s, rshift),
        builtin("and", 2, 2, s, and),
        builtin("or", 2, 2, s, or),
        builtin(OR_OPERATOR, 2, 2, s, or_operator),
        builtin("xor", 2, 2, s, xor),
        builtin("not", 1, 1, s, not),
    ]
}

// ---------------------------------------------------------------------------------------------
// Binary kernels

/// Applies `f` element-wise; either operand may be one element long (broadcast). A null on
/// either side gives `R::NULL` without calling `f`.
fn zip<T: Num, R: Num>(a: &[T], b: &[T], n: usize, f: impl Fn(T, T) -> R) -> Vec<R> {
    let one = |x: T, y: T| {
        if x.is_null() || y.is_null() {
            R::NULL
        } else {
            f(x, y)
        }
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

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Div => "div",
            Op::Mod => "mod",
        }
    }
}

fn arith_kernel<T: Num>(op: Op, a: &[T], b: &[T], n: usize) -> Vec<T> {
    if T::IS_FLOAT {
        match op {
            Op::Add => zip(a, b, n, |x, y| T::from_f64(x.to_f64() + y.to_f64())),
            Op::Sub => zip(a, b, n, |x, y| T::from_f64(x.to_f64() - y.to_f64())),
            Op::Mul => zip(a, b, n, |x, y| T::from_f64(x.to_f64() * y.to_f64())),
            Op::Div => zip(a, b, n, |x, y| {
                let d = y.to_f64();
                if d == 0.0 {
                    T::NULL
                } else {
                    T::from_f64(x.to_f64() / d)
                }
            }),
            Op::Mod => zip(a, b, n, |x, y| {
                let (x, y) = (x.to_f64(), y.to_f64());
                if y == 0.0 {
                    T::NULL
                } else {
                    T::from_f64(x - y * (x / y).floor())
                }
            }),
        }
    } else {
        match op {
            Op::Add => zip(a, b, n, |x, y| {
                T::from_i64(x.to_i64().wrapping_add(y.to_i64()))
            }),
            Op::Sub => zip(a, b, n, |x, y| {
                T::from_i64(x.to_i64().wrapping_sub(y.to_i64()))
            }),
            Op::Mul => zip(a, b, n, |x, y| {
                T::from_i64(x.to_i64().wrapping_mul(y.to_i64()))
            }),
            Op::Div => zip(a, b, n, |x, y| match floor_div(x.to_i64(), y.to_i64()) {
                Some(q) => T::from_i64(q),
                None => T::NULL,
            }),
            Op::Mod => zip(a, b, n, |x, y| match floor_mod(x.to_i64(), y.to_i64()) {
                Some(r) => T::from_i64(r),
                None => T::NULL,
            }),
        }
    }
}

/// Integer division rounded toward negative infinity (`-7/5` is -2); None when `y` is 0.
fn floor_div(x: i64, y: i64) -> Option<i64> {
    if y == 0 {
        return None;
    }
    let q = x.wrapping_div(y);
    if (x % y != 0) && ((x < 0) != (y < 0)) {
        Some(q - 1)
    } else {
        Some(q)
    }
}

/// The modulo that pairs with `floor_div`: `x == div(x,y)*y + mod(x,y)`, sign of `y`.
fn floor_mod(x: i64, y: i64) -> Option<i64> {
    if y == 0 {
        return None;
    }
    let r = x.wrapping_rem(y);
    if r != 0 && ((r < 0) != (y < 0)) {
        Some(r + y)
    } else {
        Some(r)
    }
}

/// Runs a same-type kernel over two vectors already cast to `ty`.
fn same_type(
    a: &Vector,
    b: &Vector,
    ty: DataType,
    k: impl FnOnce(&Data, &Data) -> Option<Data>,
) -> Result<Vector> {
    let a = cast_cow(a, ty)?;
    let b = cast_cow(b, ty)?;
    match k(&a.data, &b.data) {
        Some(d) => Ok(Vector::new(ty, d)),
        None => Err(Error::new(format!("Unsupported type {}", ty.name()))),
    }
}

/// `op` over two numeric vectors in their common type.
fn numeric_arith(op: Op, a: &Vector, b: &Vector, n: usize) -> Result<Vector> {
    let ty = common_numeric(a.ty, b.ty).ok_or_else(|| incompatible(op.name(), a, b))?;
    same_type(a, b, ty, |x, y| {
        dispatch_num!(x, T, s => {
            let t = T::slice(y)?;
            Some(T::into_data(arith_kernel(op, s, t, n)))
        }, _ => None)
    })
}

fn incompatible(name: &str, a: &Vector, b: &Vector) -> Error {
    Error::new(format!(
        "The function [{name}] doesn't support arguments of type {} and {}.",
        a.ty.name(),
        b.ty.name()
    ))
}

fn arith(op: Op, x: &Value, y: &Value) -> Result<Value> {
    if let Some(r) = array_binary(op.name(), x, y, |a, b| arith(op, a, b)) {
        return r;
    }
    let al = align(op.name(), x, y)?;
    let (a, b, n) = (&al.a, &al.b, al.len);
    let out = if decimal::applies(a.ty, b.ty) {
        let dop = match op {
            Op::Add => DecOp::Add,
            Op::Sub => DecOp::Sub,
            Op::Mul => DecOp::Mul,
            Op::Div => DecOp::Div,
            Op::Mod => DecOp::Mod,
        };
        decimal::arith(dop, a, b, n)?
    } else if a.ty.is_temporal() || b.ty.is_temporal() {
        temporal_arith(op, a, b, n)?
    } else if op == Op::Add && a.ty.is_literal() && b.ty.is_literal() {
        concat(a, b, n)
    } else {
        numeric_arith(op, a, b, n)?
    };
    Ok(rebuild(&al.form, out))
}

/// `x - y` with DolphinDB's operator rules (used by `deltas`).
pub(crate) fn sub_values(x: &Value, y: &Value) -> Result<Value> {
    arith(Op::Sub, x, y)
}

/// `x \ y` as DOUBLE (used by `ratios` and `percentChange`).
pub(crate) fn ratio_values(x: &Value, y: &Value) -> Result<Value> {
    float_binary("ratio", x, y, &|a, b| {
        if b == 0.0 {
            f64::NAN
        } else {
            a / b
        }
    })
}

fn add(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    arith(Op::Add, &args[0], &args[1])
}
fn sub(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    arith(Op::Sub, &args[0], &args[1])
}
fn mul(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    arith(Op::Mul, &args[0], &args[1])
}
fn div(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    arith(Op::Div, &args[0], &args[1])
}
fn modulo(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    arith(Op::Mod, &args[0], &args[1])
}

/// Binary operation computed in DOUBLE whatever the input types (`ratio`, `pow`).
fn float_binary(name: &str, x: &Value, y: &Value, f: &dyn Fn(f64, f64) -> f64) -> Result<Value> {
    if let Some(r) = array_binary(name, x, y, |a, b| float_binary(name, a, b, f)) {
        return r;
    }
    let al = align(name, x, y)?;
    for v in [&al.a, &al.b] {
        if numeric_view(v.ty).is_none() {
            return Err(incompatible(name, &al.a, &al.b));
        }
    }
    let a = cast_cow(&al.a, DataType::Double)?;
    let b = cast_cow(&al.b, DataType::Double)?;
    let (Data::F64(p), Data::F64(q)) = (&a.data, &b.data) else {
        return Err(incompatible(name, &al.a, &al.b));
    };
    let out = zip(p, q, al.len, |u, v| f64_out(f(u, v)));
    Ok(rebuild(&al.form, Vector::from_f64(out)))
}

fn ratio(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    float_binary("ratio", &args[0], &args[1], &|x, y| {
        if y == 0.0 {
            f64::NAN
        } else {
            x / y
        }
    })
}

fn pow(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    float_binary("pow", &args[0], &args[1], &f64::powf)
}

/// String concatenation for `+` on STRING/SYMBOL operands.
fn concat(a: &Vector, b: &Vector, n: usize) -> Vector {
    let at = |v: &Vector, i: usize| {
        let j = if v.len() == n { i } else { 0 };
        v.str_at(j).unwrap_or("").to_string()
    };
    let out = (0..n).map(|i| at(a, i) + &at(b, i)).collect();
    Vector::from_strings(out)
}

// ---------------------------------------------------------------------------------------------
// Temporal arithmetic

/// The period of a time-of-day type, in its unit: arithmetic wraps around midnight.
fn day_period(ty: DataType) -> Option<i64> {
    match ty {
        DataType::Second => Some(86_400),
        DataType::Minute => Some(1_440),
        DataType::Time => Some(86_400_000),
        DataType::NanoTime => Some(86_400_000_000_000),
        _ => None,
    }
}

fn is_offset(ty: DataType) -> bool {
    ty == DataType::Void || matches!(numeric_view(ty), Some(t) if t.is_integral())
}

fn temporal_arith(op: Op, a: &Vector, b: &Vector, n: usize) -> Result<Vector> {
    let (ta, tb) = (a.ty, b.ty);
    // (result type, sign applied to b, whether the result is a count of units)
    let result = match op {
        Op::Add if ta.is_temporal() && is_offset(tb) => ta,
        Op::Add if is_offset(ta) && tb.is_temporal() => tb,
        Op::Sub if ta.is_temporal() && is_offset(tb) => ta,
        Op::Sub if ta.is_temporal() && ta == tb => {
            if ta.storage() == value::Storage::I64 {
                DataType::Long
            } else {
                DataType::Int
            }
        }
        // `*`, `/` and `%` see a temporal value as its raw count (`01:02:03.456 % 1000` is 456).
        Op::Mul | Op::Div | Op::Mod if is_offset(ta) || is_offset(tb) => {
            let raw = |v: &Vector| -> Result<Vector> {
                let mut r = cast_num(v, int_view(v.ty))?;
                if v.ty.is_temporal() {
                    r.ty = int_view(v.ty);
                }
                Ok(r)
            };
            return numeric_arith(op, &raw(a)?, &raw(b)?, n);
        }
        _ => return Err(incompatible(op.name(), a, b)),
    };
    let x = cast_num(a, DataType::Long)?;
    let y = cast_num(b, DataType::Long)?;
    let (Data::I64(p), Data::I64(q)) = (&x.data, &y.data) else {
        return Err(incompatible(op.name(), a, b));
    };
    let period = if result.is_temporal() {
        day_period(result)
    } else {
        None
    };
    let wrap = |v: i64| match period {
        Some(m) => v.rem_euclid(m),
        None => v,
    };
    let raw = match op {
        Op::Add => zip(p, q, n, |u, v| wrap(u.wrapping_add(v))),
        _ => zip(p, q, n, |u, v| wrap(u.wrapping_sub(v))),
    };
    let long = Vector::from_i64(DataType::Long, raw);
    let mut out = cast_num(&long, int_view(result))?;
    out.ty = result;
    Ok(out)
}

/// The integer type with the same storage as `ty` (INT for DATE, LONG for TIMESTAMP).
fn int_view(ty: DataType) -> DataType {
    match ty.storage() {
        value::Storage::I64 => DataType::Long,
        _ => DataType::Int,
    }
}

// ---------------------------------------------------------------------------------------------
// Unary kernels

fn map<T: Num, R: Num>(s: &[T], f: impl Fn(T) -> R) -> Vec<R> {
    s.iter()
        .map(|&x| if x.is_null() { R::NULL } else { f(x) })
        .collect()
}

fn require_numeric<'a>(
    name: &str,
    x: &'a Value,
) -> Result<(super::kernels::form::Form, &'a Vector)> {
    let (form, v) = split_arg(name, x)?;
    if numeric_view(v.ty).is_none() {
        return Err(Error::new(format!(
            "The function [{name}] doesn't support the data type {}.",
            v.ty.name()
        )));
    }
    Ok((form, v))
}

/// A math function computed in DOUBLE; NaN results become null.
fn unary_f64(name: &str, x: &Value, f: &dyn Fn(f64) -> f64) -> Result<Value> {
    if let Some(r) = array_unary(x, |c| unary_f64(name, c, f)) {
        return r;
    }
    let (form, v) = require_numeric(name, x)?;
    let v = if v.ty.is_decimal() || matches!(v.data, Data::Void(_)) {
        cast_num(v, DataType::Double)?
    } else {
        v.clone()
    };
    let out = dispatch_num!(&v.data, T, s => map(s, |x: T| f64_out(f(x.to_f64()))),
        _ => return Err(Error::new(format!("The function [{name}] expects numeric input."))));
    Ok(rebuild(&form, Vector::from_f64(out)))
}

macro_rules! float_fn {
    ($fname:ident, $name:expr, $f:expr) => {
        fn $fname(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
            unary_f64($name, &args[0], &$f)
        }
    };
}

float_fn!(sqrt, "sqrt", f64::sqrt);
float_fn!(cbrt, "cbrt", f64::cbrt);
float_fn!(square, "square", |x| x * x);
float_fn!(reciprocal, "reciprocal", |x| if x == 0.0 {
    f64::NAN
} else {
    1.0 / x
});
float_fn!(exp, "exp", f64::exp);
float_fn!(exp2, "exp2", f64::exp2);
float_fn!(expm1, "expm1", f64::exp_m1);
float_fn!(log, "log", f64::ln);
float_fn!(log2, "log2", f64::log2);
float_fn!(log10, "log10", f64::log10);
float_fn!(log1p, "log1p", f64::ln_1p);
float_fn!(sin, "sin", f64::sin);
float_fn!(cos, "cos", f64::cos);
float_fn!(tan, "tan", f64::tan);
float_fn!(asin, "asin", f64::asin);
float_fn!(acos, "acos", f64::acos);
float_fn!(atan, "atan", f64::atan);
float_fn!(sinh, "sinh", f64::sinh);
float_fn!(cosh, "cosh", f64::cosh);
float_fn!(tanh, "tanh", f64::tanh);
float_fn!(asinh, "asinh", f64::asinh);
float_fn!(acosh, "acosh", f64::acosh);
float_fn!(atanh, "atanh", f64::atanh);
float_fn!(deg2rad, "deg2rad", f64::to_radians);
float_fn!(rad2deg, "rad2deg", f64::to_degrees);

/// A function that keeps the element type (`neg`, `abs`); BOOL and VOID compute as INT,
/// decimals as DOUBLE.
fn unary_same(name: &str, x: &Value, fi: fn(i64) -> i64, ff: fn(f64) -> f64) -> Result<Value> {
    if let Some(r) = array_unary(x, |c| unary_same(name, c, fi, ff)) {
        return r;
    }
    let (form, v) = require_numeric(name, x)?;
    if v.ty.is_decimal() {
        let abs = fi(2) == 2;
        return Ok(rebuild(&form, decimal::unary(v, abs)?));
    }
    let ty = match v.ty {
        DataType::Bool | DataType::Void => DataType::Int,
        t if t.is_decimal() => DataType::Double,
        t => t,
    };
    let v = cast_num(v, ty)?;
    let data = dispatch_num!(&v.data, T, s => T::into_data(if T::IS_FLOAT {
        map(s, |x: T| T::from_f64(ff(x.to_f64())))
    } else {
        map(s, |x: T| T::from_i64(fi(x.to_i64())))
    }), _ => return Err(Error::new(format!("The function [{name}] expects numeric input."))));
    Ok(rebuild(&form, Vector::new(ty, data)))
}

fn neg(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    unary_same("neg", &args[0], i64::wrapping_neg, |x| -x)
}

fn abs(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    unary_same("abs", &args[0], i64::wrapping_abs, f64::abs)
}

/// -1, 0 or 1 as INT.
fn signum(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (form, v) = require_numeric("signum", &args[0])?;
    let v = numeric_payload(v)?;
    let out = dispatch_num!(&v.data, T, s => map(s, |x: T| {
        let f = x.to_f64();
        if f > 0.0 { 1i32 } else if f < 0.0 { -1 } else { 0 }
    }), _ => vec![null::I32; v.len()]);
    Ok(rebuild(&form, Vector::from_i32(DataType::Int, out)))
}

/// The vector itself, or as DOUBLE for decimals and as INT for VOID.
fn numeric_payload(v: &Vector) -> Result<Vector> {
    match v.ty {
        DataType::Void => cast_num(v, DataType::Int),
        t if t.is_decimal() => cast_num(v, DataType::Double),
        _ => Ok(v.clone()),
    }
}

/// Rounds floats to INT with `f`; integers pass through unchanged.
fn to_integer(name: &str, x: &Value, f: fn(f64) -> f64) -> Result<Value> {
    let (form, v) = require_numeric(name, x)?;
    let v = numeric_payload(v)?;
    if !v.ty.is_floating() {
        return Ok(rebuild(&form, v));
    }
    let out = dispatch_num!(&v.data, T, s => map(s, |x: T| i32::from_f64(f(x.to_f64()))),
        _ => vec![null::I32; v.len()]);
    Ok(rebuild(&form, Vector::from_i32(DataType::Int, out)))
}

fn floor(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    to_integer("floor", &args[0], f64::floor)
}

fn ceil(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    to_integer("ceil", &args[0], f64::ceil)
}

/// `round(X)` rounds half away from zero to INT; `round(X, digits)` keeps DOUBLE with
/// `digits` decimal places (negative digits round to tens, hundreds...).
fn round(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if args.len() == 1 || args[1].is_null() {
        return to_integer("round", &args[0], f64::round);
    }
    let digits = args[1]
        .as_i64()
        .ok_or_else(|| Error::new("The second argument of [round] must be an integer."))?;
    let scale = 10f64.powi(digits.clamp(-30, 30) as i32);
    unary_f64("round", &args[0], &move |x| (x * scale).round() / scale)
}

/// `clip(X, Y, Z)`: X limited to [Y, Z]; a null bound does not limit.
fn clip(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let lo = align("clip", &args[0], &args[1])?;
    let hi = align("clip", &args[0], &args[2])?;
    if lo.len != hi.len {
        return Err(Error::new(
            "The arguments of [clip] have different lengths.",
        ));
    }
    let mut ty =
        common_numeric(lo.a.ty, lo.b.ty).ok_or_else(|| incompatible("clip", &lo.a, &lo.b))?;
    ty = common_numeric(ty, hi.b.ty).ok_or_else(|| incompatible("clip", &hi.a, &hi.b))?;
    let x = cast_num(&lo.a, ty)?;
    let l = cast_num(&lo.b, ty)?;
    let h = cast_num(&hi.b, ty)?;
    let n = lo.len;
    // A null scalar bound means no limit; a null element of a vector bound gives null there.
    let (lo_scalar, hi_scalar) = (lo.b.len() == 1, hi.b.len() == 1);
    let data = dispatch_num!(&x.data, T, s => {
        let (Some(lv), Some(hv)) = (T::slice(&l.data), T::slice(&h.data)) else {
            return Err(incompatible("clip", &lo.a, &lo.b));
        };
        let out: Vec<T> = (0..n).map(|i| {
            let v = s[if s.len() == n { i } else { 0 }];
            let a = lv[if lv.len() == n { i } else { 0 }];
            let b = hv[if hv.len() == n { i } else { 0 }];
            if v.is_null() || (a.is_null() && !lo_scalar) || (b.is_null() && !hi_scalar) {
                T::NULL
            } else if !a.is_null() && !b.is_null() && a > b {
                b
            } else if !a.is_null() && v < a {
                a
            } else if !b.is_null() && v > b {
                b
            } else {
                v
            }
        }).collect();
        T::into_data(out)
    }, _ => return Err(incompatible("clip", &lo.a, &lo.b)));
    let form = if hi.form.is_scalar() {
        lo.form
    } else {
        hi.form
    };
    Ok(rebuild(&form, Vector::new(ty, data)))
}

// ---------------------------------------------------------------------------------------------
// Bitwise

fn integral_common(name: &str, a: &Vector, b: &Vector) -> Result<DataType> {
    match common_numeric(a.ty, b.ty) {
        Some(t) if t.is_integral() && !a.ty.is_decimal() && !b.ty.is_decimal() => Ok(t),
        _ => Err(incompatible(name, a, b)),
    }
}

fn bitwise(name: &str, x: &Value, y: &Value, f: fn(i64, i64) -> i64) -> Result<Value> {
    let al = align(name, x, y)?;
    let ty = integral_common(name, &al.a, &al.b)?;
    let n = al.len;
    let out = same_type(&al.a, &al.b, ty, |p, q| {
        dispatch_num!(p, T, s => {
            let t = T::slice(q)?;
            Some(T::into_data(zip(s, t, n, |u, v| T::from_i64(f(u.to_i64(), v.to_i64())))))
        }, _ => None)
    })?;
    Ok(rebuild(&al.form, out))
}

fn bit_and(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    bitwise("bitAnd", &args[0], &args[1], |a, b| a & b)
}
fn bit_or(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    bitwise("bitOr", &args[0], &args[1], |a, b| a | b)
}
fn bit_xor(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    bitwise("bitXor", &args[0], &args[1], |a, b| a ^ b)
}

fn bit_not(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (form, v) = require_numeric("bitNot", &args[0])?;
    if !v.ty.is_integral() {
        return Err(Error::new(format!(
            "The function [bitNot] doesn't support the data type {}.",
            v.ty.name()
        )));
    }
    let data = dispatch_num!(&v.data, T, s => T::into_data(map(s, |x: T| T::from_i64(!x.to_i64()))),
        _ => return Err(Error::new("The function [bitNot] expects integers.")));
    Ok(rebuild(&form, Vector::new(v.ty, data)))
}

/// Shifts keep the type of X; the shift count comes from Y.
fn shift(name: &str, x: &Value, y: &Value, left: bool) -> Result<Value> {
    let al = align(name, x, y)?;
    if !al.a.ty.is_integral() || !al.b.ty.is_integral() {
        return Err(incompatible(name, &al.a, &al.b));
    }
    let ty = al.a.ty;
    let counts = cast_num(&al.b, DataType::Long)?;
    let Data::I64(c) = &counts.data else {
        return Err(incompatible(name, &al.a, &al.b));
    };
    let n = al.len;
    let data = dispatch_num!(&al.a.data, T, s => {
        let out: Vec<T> = (0..n).map(|i| {
            let v = s[if s.len() == n { i } else { 0 }];
            let k = c[if c.len() == n { i } else { 0 }];
            if v.is_null() || k == null::I64 {
                T::NULL
            } else {
                let k = (k.clamp(0, 63)) as u32;
                let v = v.to_i64();
                T::from_i64(if left { v.wrapping_shl(k) } else { v >> k })
            }
        }).collect();
        T::into_data(out)
    }, _ => return Err(incompatible(name, &al.a, &al.b)));
    Ok(rebuild(&al.form, Vector::new(ty, data)))
}

fn lshift(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    shift("lshift", &args[0], &args[1], true)
}
fn rshift(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    shift("rshift", &args[0], &args[1], false)
}

// ---------------------------------------------------------------------------------------------
// Logical

/// Element truth values: 1, 0, or BOOL null.
fn truth(name: &str, v: &Vector) -> Result<Vec<i8>> {
    let v = numeric_payload(v)?;
    dispatch_num!(&v.data, T, s => Ok(map(s, |x: T| (x.to_f64() != 0.0) as i8)),
    _ => Err(Error::new(format!(
        "The function [{name}] doesn't support the data type {}.", v.ty.name()
    ))))
}

fn logical(name: &str, x: &Value, y: &Value, f: fn(i8, i8) -> i8) -> Result<Value> {
    let al = align(name, x, y)?;
    let a = truth(name, &al.a)?;
    let b = truth(name, &al.b)?;
    let n = al.len;
    let out: Vec<i8> = (0..n)
        .map(|i| {
            let u = a[if a.len() == n { i } else { 0 }];
            let v = b[if b.len() == n { i } else { 0 }];
            f(u, v)
        })
        .collect();
    Ok(rebuild(&al.form, Vector::from_i8(DataType::Bool, out)))
}

/// `and`: null if either side is null.
fn and(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    logical("and", &args[0], &args[1], |a, b| {
        if a == null::I8 || b == null::I8 {
            null::I8
        } else {
            a & b
        }
    })
}

/// `or`: a null side is ignored (DolphinDB's default `logicOrIgnoreNull=true`); null only
/// when both sides are null.
fn or(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    logical("or", &args[0], &args[1], |a, b| {
        match (a == null::I8, b == null::I8) {
            (true, true) => null::I8,
            (true, false) => b,
            (false, true) => a,
            (false, false) => a | b,
        }
    })
}

/// The built-in behind the `||` operator (the function `or` and the keyword `or` ignore a
/// null side instead).
pub const OR_OPERATOR: &str = "__orOperator";

/// `X || Y`: true where either side is true, else null where either side is null (DolphinDB:
/// `false || 00i` is null, `x==1 || NULL` is true).
fn or_operator(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    logical("or", &args[0], &args[1], |a, b| {
        if a == 1 || b == 1 {
            1
        } else if a == null::I8 || b == null::I8 {
            null::I8
        } else {
            0
        }
    })
}

fn xor(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    logical("xor", &args[0], &args[1], |a, b| {
        if a == null::I8 || b == null::I8 {
            null::I8
        } else {
            a ^ b
        }
    })
}

fn not(_: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (form, v) = split_arg("not", &args[0])?;
    let t = truth("not", v)?;
    let out = t
        .into_iter()
        .map(|x| if x == null::I8 { x } else { 1 - x })
        .collect();
    Ok(rebuild(&form, Vector::from_i8(DataType::Bool, out)))
}

#[cfg(test)]
mod tests {
    use super::super::kernels::test_env::*;
    use super::*;

    #[test]
    fn add_broadcasts_and_propagates_nulls() {
        let r = run("add", &[ints(&[1, NI, 3]), Value::int(10)]);
        assert_eq!(as_i32(&r), vec![11, NI, 13]);
        let r = run("add", &[Value::int(1), Value::double(1.5)]);
        assert_eq!(r.as_f64(), Some(2.5));
        assert!(matches!(r, Value::Scalar(_)));
        let r = run("add", &[Value::int(1), Value::void()]);
        assert!(r.is_null());
        assert_eq!(r.data_type(), DataType::Int);
    }

    #[test]
    fn add_rejects_different_lengths() {
        let e = run_err("add", &[ints(&[1, 2]), ints(&[1, 2, 3])]);
        assert!(e.contains("does not match"), "{e}");
    }

    #[test]
    fn div_is_floor_division_on_integers() {
        // DolphinDB docs: 9/2 = 4, -7/5 = -2, x=-1 2 6; x/-5 = [0,-1,-2]
        assert_eq!(
            run("div", &[Value::int(9), Value::int(2)]).as_i64(),
            Some(4)
        );
        assert_eq!(
            run("div", &[Value::int(-7), Value::int(5)]).as_i64(),
            Some(-2)
        );
        let r = run("div", &[ints(&[-1, 2, 6]), Value::int(-5)]);
        assert_eq!(as_i32(&r), vec![0, -1, -2]);
        assert!(run("div", &[Value::int(1), Value::int(0)]).is_null());
        assert_eq!(
            run("div", &[Value::double(9.0), Value::int(2)]).as_f64(),
            Some(4.5)
        );
    }

    #[test]
    fn mod_pairs_with_div() {
        for (x, y) in [(7, 3), (-7, 3), (7, -3), (-7, -3)] {
            let d = run("div", &[Value::int(x), Value::int(y)])
                .as_i64()
                .unwrap();
            let m = run("mod", &[Value::int(x), Value::int(y)])
                .as_i64()
                .unwrap();
            assert_eq!(d * y as i64 + m, x as i64);
        }
        assert!(run("mod", &[Value::int(5), Value::int(0)]).is_null());
    }

    #[test]
    fn ratio_is_always_double() {
        // DolphinDB docs: -7\5 = -1.4; x\-5 = [0.2,-0.4,-0.6]
        assert_eq!(
            run("ratio", &[Value::int(-7), Value::int(5)]).as_f64(),
            Some(-1.4)
        );
        let r = run("ratio", &[ints(&[-1, 2, 3]), Value::int(-5)]);
        assert_close(&as_f64(&r), &[0.2, -0.4, -0.6]);
        assert!(run("ratio", &[Value::int(1), Value::int(0)]).is_null());
    }

    #[test]
    fn temporal_arithmetic() {
        let d = Value::i32_of(DataType::Date, 19000);
        let r = run("add", &[d.clone(), Value::int(5)]);
        assert_eq!(r.data_type(), DataType::Date);
        assert_eq!(r.as_i64(), Some(19005));
        let r = run("sub", &[d.clone(), Value::i32_of(DataType::Date, 18990)]);
        assert_eq!(r.data_type(), DataType::Int);
        assert_eq!(r.as_i64(), Some(10));
        let t = Value::i64_of(DataType::Timestamp, 5000);
        let r = run(
            "sub",
            &[t.clone(), Value::i64_of(DataType::Timestamp, 1000)],
        );
        assert_eq!(r.data_type(), DataType::Long);
        // SECOND wraps around midnight.
        let s = Value::i32_of(DataType::Second, 86_399);
        assert_eq!(run("add", &[s, Value::int(2)]).as_i64(), Some(1));
        let e = run_err("add", &[d.clone(), d]);
        assert!(e.contains("add"));
    }

    #[test]
    fn math_functions_return_double_and_keep_nulls() {
        let r = run("square", &[ints(&[2, 4, NI, 6])]);
        assert_eq!(as_f64(&r), vec![4.0, 16.0, ND, 36.0]);
        let r = run("pow", &[Value::int(3), Value::int(4)]);
        assert_eq!(r.data_type(), DataType::Double);
        assert_eq!(r.as_f64(), Some(81.0));
        assert!(run("sqrt", &[Value::double(-1.0)]).is_null());
    }

    #[test]
    fn rounding() {
        let r = run("floor", &[doubles(&[2.1, 2.9, -2.1])]);
        assert_eq!(as_i32(&r), vec![2, 2, -3]);
        let r = run("ceil", &[doubles(&[2.1, 2.9, -2.1])]);
        assert_eq!(as_i32(&r), vec![3, 3, -2]);
        let r = run("round", &[doubles(&[2.1, 2.9, -2.1, 2.5])]);
        assert_eq!(as_i32(&r), vec![2, 3, -2, 3]);
        let r = run("round", &[Value::double(3.14159), Value::int(2)]);
        assert_eq!(r.as_f64(), Some(3.14));
    }

    #[test]
    fn neg_abs_signum() {
        assert_eq!(as_i32(&run("neg", &[ints(&[1, NI, -3])])), vec![-1, NI, 3]);
        assert_eq!(as_f64(&run("abs", &[doubles(&[-1.5, ND])])), vec![1.5, ND]);
        assert_eq!(
            as_i32(&run("signum", &[doubles(&[-2.5, 0.0, 3.0, ND])])),
            vec![-1, 0, 1, NI]
        );
    }

    #[test]
    fn logical_null_rules() {
        let n = Value::null(DataType::Bool);
        assert!(run("and", &[Value::bool(true), n.clone()]).is_null());
        assert!(run("xor", &[Value::bool(true), n.clone()]).is_null());
        assert_eq!(
            run("or", &[n.clone(), Value::bool(true)]).as_bool(),
            Some(true)
        );
        assert_eq!(
            run("or", &[n.clone(), Value::bool(false)]).as_bool(),
            Some(false)
        );
        assert!(run("or", &[n.clone(), n.clone()]).is_null());
        assert_eq!(
            as_i8(&run("not", &[ints(&[0, 3, NI])])),
            vec![1, 0, i8::MIN]
        );
    }

    #[test]
    fn bitwise() {
        assert_eq!(
            run("bitAnd", &[Value::int(12), Value::int(10)]).as_i64(),
            Some(8)
        );
        assert_eq!(
            run("bitOr", &[Value::int(12), Value::int(10)]).as_i64(),
            Some(14)
        );
        assert_eq!(
            run("bitXor", &[Value::int(12), Value::int(10)]).as_i64(),
            Some(6)
        );
        assert_eq!(
            run("lshift", &[Value::int(1), Value::int(4)]).as_i64(),
            Some(16)
        );
        assert_eq!(
            run("rshift", &[Value::int(-16), Value::int(2)]).as_i64(),
            Some(-4)
        );
        assert_eq!(run("bitNot", &[Value::int(0)]).as_i64(), Some(-1));
        run_err("bitAnd", &[Value::double(1.0), Value::int(1)]);
    }

    #[test]
    fn clip_limits_both_ways() {
        let r = run(
            "clip",
            &[ints(&[1, 5, 9, NI]), Value::int(2), Value::int(8)],
        );
        assert_eq!(as_i32(&r), vec![2, 5, 8, NI]);
    }

    #[test]
    fn array_vectors_compute_cell_by_cell() {
        let av = Value::vector(Vector::new(
            DataType::Int,
            Data::Array(value::ArrayData {
                offsets: vec![0, 2, 3],
                values: Box::new(Vector::from_i32(DataType::Int, vec![1, 2, 3])),
            }),
        ));
        let r = run("mul", &[av.clone(), Value::int(10)]);
        let Some(Data::Array(a)) = r.as_vector().map(|v| &v.data) else {
            panic!()
        };
        assert!(matches!(&a.values.data, Data::I32(v) if v == &vec![10, 20, 30]));
        let r = run("add", &[av.clone(), ints(&[100, 200])]);
        let Some(Data::Array(a)) = r.as_vector().map(|v| &v.data) else {
            panic!()
        };
        assert!(matches!(&a.values.data, Data::I32(v) if v == &vec![101, 102, 203]));
        let r = run("add", &[av.clone(), av]);
        let Some(Data::Array(a)) = r.as_vector().map(|v| &v.data) else {
            panic!()
        };
        assert!(matches!(&a.values.data, Data::I32(v) if v == &vec![2, 4, 6]));
    }

    #[test]
    fn string_concat() {
        let r = run("add", &[Value::string("ab"), strs(&["c", "d"])]);
        assert_eq!(r.as_vector().unwrap().str_at(1), Some("abd"));
    }
}
