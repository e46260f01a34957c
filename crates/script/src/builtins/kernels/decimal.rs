//! DECIMAL arithmetic on raw mantissas, with DolphinDB's rules (DECIMAL tutorial, "算术运算规则"):
//! the wider decimal type wins (DECIMAL32 < DECIMAL64 < DECIMAL128), an integer operand counts
//! as a decimal of scale 0, addition and subtraction keep the larger scale, multiplication adds
//! the scales, division keeps the dividend's scale (truncating), and a result that does not fit
//! the type is the error "Decimal math overflow".

use value::{null, Data, DataType, Vector};

use crate::{Error, Result};

/// Null marker for mantissas widened to i128 (every decimal null maps to it).
const NULL: i128 = i128::MIN;

fn rank(t: DataType) -> u8 {
    match t {
        DataType::Decimal32 => 1,
        DataType::Decimal64 => 2,
        DataType::Decimal128 => 3,
        _ => 0,
    }
}

/// True when `a op b` is decimal arithmetic: a decimal with a decimal or an integer.
pub fn applies(a: DataType, b: DataType) -> bool {
    let int_like = |t: DataType| t.is_integral() || t == DataType::Void;
    (a.is_decimal() && (b.is_decimal() || int_like(b))) || (b.is_decimal() && int_like(a))
}

/// Mantissas as i128 (nulls as `NULL`) and the scale; integers have scale 0.
pub fn mantissas(v: &Vector) -> Result<(Vec<i128>, u8)> {
    let widen_i64 = |x: i64, nul: bool| if nul { NULL } else { x as i128 };
    let out: Vec<i128> = match &v.data {
        Data::Void(n) => vec![NULL; *n],
        Data::I8(x) => x
            .iter()
            .map(|&e| widen_i64(e as i64, e == null::I8))
            .collect(),
        Data::I16(x) => x
            .iter()
            .map(|&e| widen_i64(e as i64, e == null::I16))
            .collect(),
        Data::I32(x) => x
            .iter()
            .map(|&e| widen_i64(e as i64, e == null::I32))
            .collect(),
        Data::I64(x) => x.iter().map(|&e| widen_i64(e, e == null::I64)).collect(),
        Data::I128(x) if v.ty == DataType::Decimal128 => x.clone(),
        _ => {
            return Err(Error::new(format!(
                "Can't use {} in DECIMAL arithmetic.",
                v.ty.name()
            )))
        }
    };
    let scale = if v.ty.is_decimal() { v.scale } else { 0 };
    Ok((out, scale))
}

fn overflow() -> Error {
    Error::new("Decimal math overflow")
}

fn pow10(k: u8) -> Result<i128> {
    10i128.checked_pow(k as u32).ok_or_else(overflow)
}

/// Packs mantissas into a vector of `ty`, failing on values the type can't hold.
pub fn pack(ty: DataType, scale: u8, vals: Vec<i128>) -> Result<Vector> {
    let max = value::convert::max_scale(ty).unwrap_or(38);
    if scale > max {
        return Err(Error::new("Scale is out of bounds"));
    }
    let data = match ty {
        DataType::Decimal32 => Data::I32(
            vals.into_iter()
                .map(|x| {
                    if x == NULL {
                        Ok(null::I32)
                    } else if x > i32::MIN as i128 && x <= i32::MAX as i128 {
                        Ok(x as i32)
                    } else {
                        Err(overflow())
                    }
                })
                .collect::<Result<_>>()?,
        ),
        DataType::Decimal64 => Data::I64(
            vals.into_iter()
                .map(|x| {
                    if x == NULL {
                        Ok(null::I64)
                    } else if x > i64::MIN as i128 && x <= i64::MAX as i128 {
                        Ok(x as i64)
                    } else {
                        Err(overflow())
                    }
                })
                .collect::<Result<_>>()?,
        ),
        _ => Data::I128(
            vals.into_iter()
                .map(|x| if x == NULL { null::DECIMAL128 } else { x })
                .collect(),
        ),
    };
    Ok(Vector::decimal(ty, scale, data))
}

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum DecOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// `a op b` for aligned operands (each `n` long or one element long).
pub fn arith(op: DecOp, a: &Vector, b: &Vector, n: usize) -> Result<Vector> {
    let ty = if rank(a.ty) >= rank(b.ty) { a.ty } else { b.ty };
    let (x, sa) = mantissas(a)?;
    let (y, sb) = mantissas(b)?;
    let scale = match op {
        DecOp::Add | DecOp::Sub | DecOp::Mod => sa.max(sb),
        DecOp::Mul => sa.checked_add(sb).ok_or_else(overflow)?,
        DecOp::Div => sa,
    };
    let (fa, fb) = match op {
        DecOp::Add | DecOp::Sub | DecOp::Mod => (pow10(scale - sa)?, pow10(scale - sb)?),
        DecOp::Mul => (1, 1),
        DecOp::Div => (pow10(sb)?, 1),
    };
    let at = |v: &[i128], i: usize| v[if v.len() == n { i } else { 0 }];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (p, q) = (at(&x, i), at(&y, i));
        if p == NULL || q == NULL {
            out.push(NULL);
            continue;
        }
        let p = p.checked_mul(fa).ok_or_else(overflow)?;
        let q = q.checked_mul(fb).ok_or_else(overflow)?;
        let r = match op {
            DecOp::Add => p.checked_add(q),
            DecOp::Sub => p.checked_sub(q),
            DecOp::Mul => p.checked_mul(q),
            DecOp::Div if q == 0 => Some(NULL),
            DecOp::Div => p.checked_div(q),
            DecOp::Mod if q == 0 => Some(NULL),
            DecOp::Mod => {
                let r = p % q;
                Some(if r != 0 && ((r < 0) != (q < 0)) {
                    r + q
                } else {
                    r
                })
            }
        };
        out.push(r.ok_or_else(overflow)?);
    }
    pack(ty, scale, out)
}

/// The decimal type a sum of `ty` accumulates into: one width up, as INT sums into LONG.
pub fn sum_type(ty: DataType) -> DataType {
    match ty {
        DataType::Decimal32 => DataType::Decimal64,
        _ => DataType::Decimal128,
    }
}

/// Sum of the non-null mantissas (None when there are none).
pub fn sum(v: &Vector) -> Result<Option<i128>> {
    let (x, _) = mantissas(v)?;
    let mut acc: Option<i128> = None;
    for e in x.into_iter().filter(|e| *e != NULL) {
        acc = Some(acc.unwrap_or(0).checked_add(e).ok_or_else(overflow)?);
    }
    Ok(acc)
}

/// Running sums (null before the first value, carried over nulls).
pub fn cumsum(v: &Vector) -> Result<Vector> {
    let (x, scale) = mantissas(v)?;
    let mut acc: Option<i128> = None;
    let mut out = Vec::with_capacity(x.len());
    for e in x {
        if e != NULL {
            acc = Some(acc.unwrap_or(0).checked_add(e).ok_or_else(overflow)?);
        }
        out.push(acc.unwrap_or(NULL));
    }
    pack(sum_type(v.ty), scale, out)
}

/// Negation or absolute value, keeping type and scale.
pub fn unary(v: &Vector, abs: bool) -> Result<Vector> {
    let (x, scale) = mantissas(v)?;
    let out = x
        .into_iter()
        .map(|e| {
            if e == NULL {
                NULL
            } else if abs {
                e.abs()
            } else {
                -e
            }
        })
        .collect();
    pack(v.ty, scale, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d32(raw: Vec<i32>, scale: u8) -> Vector {
        Vector::decimal(DataType::Decimal32, scale, Data::I32(raw))
    }
    fn d64(raw: Vec<i64>, scale: u8) -> Vector {
        Vector::decimal(DataType::Decimal64, scale, Data::I64(raw))
    }

    #[test]
    fn scales_follow_the_tutorial_rules() {
        // decimal32(1.23, 3) + decimal32(2.45, 2) = 3.680 (DECIMAL32, scale 3)
        let r = arith(DecOp::Add, &d32(vec![1230], 3), &d32(vec![245], 2), 1).unwrap();
        assert_eq!((r.ty, r.scale), (DataType::Decimal32, 3));
        assert!(matches!(r.data, Data::I32(ref v) if v == &vec![3680]));
        // decimal64(1.23, 3) * decimal32(2.45, 2) = 3.01350 (DECIMAL64, scale 5)
        let r = arith(DecOp::Mul, &d64(vec![1230], 3), &d32(vec![245], 2), 1).unwrap();
        assert_eq!((r.ty, r.scale), (DataType::Decimal64, 5));
        assert!(matches!(r.data, Data::I64(ref v) if v == &vec![301350]));
        // decimal64(1.23, 3) / decimal32(2.45, 2) = 0.502 (scale of the dividend)
        let r = arith(DecOp::Div, &d64(vec![1230], 3), &d32(vec![245], 2), 1).unwrap();
        assert!(matches!(r.data, Data::I64(ref v) if v == &vec![502]));
    }

    #[test]
    fn integers_join_at_scale_zero_and_overflow_fails() {
        let six = Vector::from_i32(DataType::Int, vec![6]);
        // decimal32(10, 2) * 6 keeps scale 2
        let r = arith(DecOp::Mul, &d32(vec![1000], 2), &six, 1).unwrap();
        assert_eq!(r.scale, 2);
        // 6 * decimal32(4.2, 8) overflows DECIMAL32
        let e = arith(DecOp::Mul, &six, &d32(vec![420_000_000], 8), 1).unwrap_err();
        assert_eq!(e.message(), "Decimal math overflow");
        let r = arith(DecOp::Add, &d32(vec![null::I32], 2), &six, 1).unwrap();
        assert!(matches!(r.data, Data::I32(ref v) if v == &vec![null::I32]));
    }
}
