//! Type promotion and numeric conversion for the numeric families.
//!
//! A local stand-in for `value::convert::{common_type, cast}` until that lands: it covers the
//! numeric ladder BOOL < CHAR < SHORT < INT < LONG < FLOAT < DOUBLE, VOID (null of any type),
//! and DECIMAL read as DOUBLE.

use std::borrow::Cow;

use value::{null, Data, DataType, Vector};

use super::num::{dispatch_num, Num};
use crate::{Error, Result};

/// Position on the numeric ladder; None for non-numeric types and decimals.
pub fn num_rank(t: DataType) -> Option<u8> {
    Some(match t {
        DataType::Bool => 0,
        DataType::Char => 1,
        DataType::Short => 2,
        DataType::Int => 3,
        DataType::Long => 4,
        DataType::Float => 5,
        DataType::Double => 6,
        _ => return None,
    })
}

/// The type two numeric operands are computed in: `value::convert::common_type` (small
/// integers widen to INT, INT with FLOAT stays FLOAT, LONG with FLOAT gives DOUBLE), with
/// decimals read as DOUBLE and VOID taking the other side's type. None if either side is not
/// numeric.
pub fn common_numeric(a: DataType, b: DataType) -> Option<DataType> {
    let a = numeric_view(a)?;
    let b = numeric_view(b)?;
    Some(match value::convert::common_type(a, b) {
        DataType::Void => DataType::Double,
        t => t,
    })
}

/// How a numeric type takes part in arithmetic: decimals as DOUBLE; None if not numeric.
pub fn numeric_view(t: DataType) -> Option<DataType> {
    if t.is_decimal() {
        Some(DataType::Double)
    } else if t == DataType::Void || num_rank(t).is_some() {
        Some(t)
    } else {
        None
    }
}

/// `cast_num` without a copy when the vector already has type `ty`.
pub fn cast_cow(v: &Vector, ty: DataType) -> Result<Cow<'_, Vector>> {
    if v.ty == ty && v.scale == 0 {
        Ok(Cow::Borrowed(v))
    } else {
        cast_num(v, ty).map(Cow::Owned)
    }
}

/// Converts a numeric, VOID or DECIMAL vector to the numeric type `ty` (nulls stay null).
/// Temporal vectors convert from their raw counts, as DolphinDB does for `long(date)`.
pub fn cast_num(v: &Vector, ty: DataType) -> Result<Vector> {
    if v.ty == ty && v.scale == 0 {
        return Ok(v.clone());
    }
    if matches!(v.data, Data::Void(_)) {
        return Ok(Vector::nulls(ty, v.len()));
    }
    if v.ty.is_decimal() {
        let f = decimal_to_f64(v)
            .into_iter()
            .map(super::num::f64_out)
            .collect();
        let as_double = Vector::from_f64(f);
        return cast_num(&as_double, ty);
    }
    let data = dispatch_num!(&v.data, T, s => convert_to(s, ty)?, _ => {
        return Err(Error::new(format!(
            "Can't convert {} to {}", v.ty.name(), ty.name()
        )))
    });
    Ok(Vector::new(ty, data))
}

fn convert_to<T: Num>(s: &[T], ty: DataType) -> Result<Data> {
    Ok(match ty.storage() {
        value::Storage::I8 if ty == DataType::Bool => Data::I8(
            s.iter()
                .map(|&x| {
                    if x.is_null() {
                        null::I8
                    } else {
                        (x.to_f64() != 0.0) as i8
                    }
                })
                .collect(),
        ),
        value::Storage::I8 => Data::I8(convert::<T, i8>(s)),
        value::Storage::I16 => Data::I16(convert::<T, i16>(s)),
        value::Storage::I32 => Data::I32(convert::<T, i32>(s)),
        value::Storage::I64 => Data::I64(convert::<T, i64>(s)),
        value::Storage::F32 => Data::F32(convert::<T, f32>(s)),
        value::Storage::F64 => Data::F64(convert::<T, f64>(s)),
        _ => return Err(Error::new(format!("Can't convert to {}", ty.name()))),
    })
}

/// Element-wise conversion between numeric element types; nulls map to nulls.
pub fn convert<T: Num, U: Num>(s: &[T]) -> Vec<U> {
    if T::IS_FLOAT || U::IS_FLOAT {
        s.iter()
            .map(|&x| {
                if x.is_null() {
                    U::NULL
                } else {
                    U::from_f64(x.to_f64())
                }
            })
            .collect()
    } else {
        s.iter()
            .map(|&x| {
                if x.is_null() {
                    U::NULL
                } else {
                    U::from_i64(x.to_i64())
                }
            })
            .collect()
    }
}

/// A DECIMAL vector's values as f64, nulls as NaN.
fn decimal_to_f64(v: &Vector) -> Vec<f64> {
    (0..v.len())
        .map(|i| v.f64_at(i).unwrap_or(f64::NAN))
        .collect()
}

/// The vector's values as f64 with nulls as NaN, for kernels that work in float space
/// (`avg`, `std`, `corr`, percentiles). Temporal values give their raw counts.
pub fn to_f64_nan(v: &Vector) -> Result<Vec<f64>> {
    if let Data::Void(n) = v.data {
        return Ok(vec![f64::NAN; n]);
    }
    if v.ty.is_decimal() {
        return Ok(decimal_to_f64(v));
    }
    dispatch_num!(&v.data, T, s => Ok(s
    .iter()
    .map(|&x| if x.is_null() { f64::NAN } else { x.to_f64() })
    .collect()), _ => Err(Error::new(format!(
        "The argument must be numeric, not {}.", v.ty.name()
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_numeric_follows_the_ladder() {
        use DataType::*;
        assert_eq!(common_numeric(Int, Double), Some(Double));
        assert_eq!(common_numeric(Char, Short), Some(Int));
        assert_eq!(common_numeric(Int, Float), Some(Float));
        assert_eq!(common_numeric(Long, Float), Some(Double));
        assert_eq!(common_numeric(Bool, Bool), Some(Int));
        assert_eq!(common_numeric(Void, Long), Some(Long));
        assert_eq!(common_numeric(Int, String), None);
        assert_eq!(common_numeric(Int, Date), None);
    }

    #[test]
    fn cast_keeps_nulls() {
        let v = Vector::from_i32(DataType::Int, vec![1, null::I32, -3]);
        let d = cast_num(&v, DataType::Double).unwrap();
        match d.data {
            Data::F64(x) => assert_eq!(x, vec![1.0, null::F64, -3.0]),
            _ => panic!(),
        }
        let b = cast_num(&v, DataType::Bool).unwrap();
        assert!(matches!(b.data, Data::I8(ref x) if x == &vec![1, null::I8, 1]));
    }
}
