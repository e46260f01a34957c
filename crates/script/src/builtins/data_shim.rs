//! A stand-in for `value::convert` until that module lands: numeric, raw-temporal and text
//! conversions only. Calls go through `data_util::cast`, so swapping it out is one line.

use value::{null, null_i128, ArrayData, Data, DataType, Storage, SymbolVec, Value, Vector};

use crate::{bail, Result};

pub(crate) fn cast_value(v: &Value, ty: DataType, scale: u8) -> Result<Value> {
    Ok(match v {
        Value::Scalar(s) => Value::Scalar(cast(s, ty, scale)?),
        Value::Vector(s) => Value::vector(cast(s, ty, scale)?),
        Value::Pair(s) => Value::pair(cast(s, ty, scale)?),
        Value::Matrix(m) => {
            let mut m2 = (**m).clone();
            m2.data = cast(&m.data, ty, scale)?;
            Value::Matrix(std::sync::Arc::new(m2))
        }
        _ => bail!("Can't convert {} to {}", v.form().name(), ty.name()),
    })
}

pub(crate) fn cast(v: &Vector, ty: DataType, scale: u8) -> Result<Vector> {
    let n = v.len();
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
    if ty == DataType::Any {
        return Ok(Vector::from_values((0..n).map(|i| v.get(i)).collect()));
    }
    if let Data::Void(_) = v.data {
        let mut out = Vector::nulls(ty, n);
        out.scale = scale;
        return Ok(out);
    }
    if let Data::Any(items) = &v.data {
        let mut out = Vector::with_capacity(ty, n);
        out.scale = scale;
        for it in items {
            match it {
                Value::Scalar(s) => {
                    let c = cast(s, ty, scale)?;
                    out.extend(&c);
                }
                _ => bail!(
                    "Can't convert a tuple with non-scalar elements to {}",
                    ty.name()
                ),
            }
        }
        return Ok(out);
    }
    let data = match ty.storage() {
        Storage::Str | Storage::Sym | Storage::Blob => {
            let texts: Vec<String> = (0..n).map(|i| text_at(v, i)).collect();
            match ty.storage() {
                Storage::Str => Data::Str(texts),
                Storage::Sym => Data::Sym(SymbolVec::from_strings(&texts)),
                _ => Data::Blob(texts.into_iter().map(|s| s.into_bytes()).collect()),
            }
        }
        Storage::F32 | Storage::F64 => {
            let xs: Vec<Option<f64>> = (0..n).map(|i| num_at(v, i)).collect();
            if ty.storage() == Storage::F32 {
                Data::F32(
                    xs.iter()
                        .map(|x| x.map(|x| x as f32).unwrap_or(null::F32))
                        .collect(),
                )
            } else {
                Data::F64(xs.iter().map(|x| x.unwrap_or(null::F64)).collect())
            }
        }
        Storage::I8 | Storage::I16 | Storage::I32 | Storage::I64 => {
            let mul = if ty.is_decimal() {
                10f64.powi(scale as i32)
            } else {
                1.0
            };
            let xs: Vec<Option<i64>> = (0..n)
                .map(|i| {
                    if v.ty.is_floating() || v.ty.is_decimal() || v.ty.is_literal() || mul != 1.0 {
                        num_at(v, i).map(|x| (x * mul).round() as i64)
                    } else if ty == DataType::Bool {
                        v.i64_at(i).map(|x| (x != 0) as i64)
                    } else {
                        v.i64_at(i)
                    }
                })
                .collect();
            let xs = xs.iter();
            match ty.storage() {
                Storage::I8 if ty == DataType::Bool => Data::I8(
                    xs.map(|x| x.map(|x| (x != 0) as i8).unwrap_or(null::I8))
                        .collect(),
                ),
                Storage::I8 => Data::I8(
                    xs.map(|x| {
                        fit(*x, i8::MIN as i64, i8::MAX as i64)
                            .map(|x| x as i8)
                            .unwrap_or(null::I8)
                    })
                    .collect(),
                ),
                Storage::I16 => Data::I16(
                    xs.map(|x| {
                        fit(*x, i16::MIN as i64, i16::MAX as i64)
                            .map(|x| x as i16)
                            .unwrap_or(null::I16)
                    })
                    .collect(),
                ),
                Storage::I32 => Data::I32(
                    xs.map(|x| {
                        fit(*x, i32::MIN as i64, i32::MAX as i64)
                            .map(|x| x as i32)
                            .unwrap_or(null::I32)
                    })
                    .collect(),
                ),
                _ => Data::I64(xs.map(|x| x.unwrap_or(null::I64)).collect()),
            }
        }
        Storage::I128 => match &v.data {
            Data::I128(x) => Data::I128(x.clone()),
            _ if ty.is_decimal() => {
                let mul = 10f64.powi(scale as i32);
                Data::I128(
                    (0..n)
                        .map(|i| {
                            num_at(v, i)
                                .map(|x| (x * mul).round() as i128)
                                .unwrap_or(null_i128(ty))
                        })
                        .collect(),
                )
            }
            _ => bail!("Can't convert {} to {}", v.ty.name(), ty.name()),
        },
        _ => bail!("Can't convert {} to {}", v.ty.name(), ty.name()),
    };
    Ok(Vector { ty, scale, data })
}

fn fit(x: Option<i64>, lo: i64, hi: i64) -> Option<i64> {
    x.filter(|x| *x > lo && *x <= hi)
}

fn num_at(v: &Vector, i: usize) -> Option<f64> {
    match v.str_at(i) {
        Some(s) => s.trim().parse::<f64>().ok(),
        None => match &v.data {
            Data::Blob(b) => std::str::from_utf8(&b[i]).ok()?.trim().parse().ok(),
            _ => v.f64_at(i),
        },
    }
}

pub(crate) fn element_string(v: &Vector, i: usize) -> String {
    text_at(v, i)
}

fn text_at(v: &Vector, i: usize) -> String {
    if let Some(s) = v.str_at(i) {
        return s.to_string();
    }
    if v.is_null(i) {
        return String::new();
    }
    match &v.data {
        Data::Blob(b) => String::from_utf8_lossy(&b[i]).into_owned(),
        Data::F32(x) => format!("{}", x[i]),
        Data::F64(x) => format!("{}", x[i]),
        _ if v.ty.is_decimal() => format!("{}", v.f64_at(i).unwrap_or(0.0)),
        _ => match v.i64_at(i) {
            Some(x) => x.to_string(),
            None => String::new(),
        },
    }
}
