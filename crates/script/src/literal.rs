//! Building one typed vector from scalars, as space-separated literals (`1 2.5 NULL`) and
//! vector literals (`[1, 2, 3]`) do: one common type when the scalars agree (numbers promote to
//! the widest, VOID nulls take the common type), otherwise None (the caller makes a tuple).

use value::{Data, DataType, Value, Vector};

/// Rank of a numeric type for promotion: BOOL < CHAR < SHORT < INT < LONG < FLOAT < DOUBLE.
fn numeric_rank(t: DataType) -> Option<u8> {
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

/// The type that holds every scalar in `items`, or None when they cannot share a vector.
pub fn common_scalar_type(items: &[Value]) -> Option<DataType> {
    let mut ty: Option<DataType> = None;
    for v in items {
        let t = match v {
            Value::Scalar(s) => s.ty,
            _ => return None,
        };
        if t == DataType::Void {
            continue;
        }
        ty = Some(match ty {
            None => t,
            Some(cur) if cur == t => cur,
            Some(cur) => match (numeric_rank(cur), numeric_rank(t)) {
                (Some(a), Some(b)) if a >= b => cur,
                (Some(_), Some(_)) => t,
                _ if cur.is_literal() && t.is_literal() => DataType::String,
                _ => return None,
            },
        });
    }
    Some(ty.unwrap_or(DataType::Void))
}

/// A vector of the scalars in `items`, or None when they have no common type.
pub fn vector_from_scalars(items: &[Value]) -> Option<Vector> {
    let ty = common_scalar_type(items)?;
    let scale = items
        .iter()
        .find_map(|v| match v {
            Value::Scalar(s) if s.ty == ty => Some(s.scale),
            _ => None,
        })
        .unwrap_or(0);
    let mut out = Vector::with_capacity(ty, items.len());
    out.scale = scale;
    for v in items {
        let Value::Scalar(s) = v else { return None };
        let conv = convert_scalar(s, ty)?;
        if !out.extend(&conv) {
            return None;
        }
    }
    Some(out)
}

/// Converts a one-element vector to `ty` for the promotions vector literals need.
pub fn convert_scalar(s: &Vector, ty: DataType) -> Option<Vector> {
    if s.ty == ty {
        return Some(s.clone());
    }
    if s.ty == DataType::Void || s.is_null(0) {
        return Some(Vector::nulls(ty, 1));
    }
    if ty == DataType::String {
        return s
            .str_at(0)
            .map(|x| Vector::from_strings(vec![x.to_string()]));
    }
    if ty == DataType::Symbol {
        return s.str_at(0).map(|x| Vector::from_symbols(&[x]));
    }
    let (i, f) = (s.i64_at(0)?, s.f64_at(0)?);
    let data = match ty {
        DataType::Bool => Data::I8(vec![(i != 0) as i8]),
        DataType::Char => Data::I8(vec![i as i8]),
        DataType::Short => Data::I16(vec![i as i16]),
        DataType::Int => Data::I32(vec![i as i32]),
        DataType::Long => Data::I64(vec![i]),
        DataType::Float => Data::F32(vec![f as f32]),
        DataType::Double => Data::F64(vec![f]),
        _ => return None,
    };
    Some(Vector::new(ty, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotes_numbers_and_nulls() {
        let v = vector_from_scalars(&[Value::int(1), Value::double(2.5), Value::void()]).unwrap();
        assert_eq!(v.ty, DataType::Double);
        assert_eq!(v.len(), 3);
        assert!(v.is_null(2));
        let v = vector_from_scalars(&[Value::int(1), Value::long(2)]).unwrap();
        assert_eq!(v.ty, DataType::Long);
        assert!(vector_from_scalars(&[Value::int(1), Value::string("a")]).is_none());
        let v = vector_from_scalars(&[Value::void(), Value::void()]).unwrap();
        assert_eq!(v.ty, DataType::Void);
    }
}
