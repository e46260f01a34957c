//! Built-ins over the bytes of values: `hex(X, [reverse])` (each element's bytes in
//! hexadecimal, most significant first) and `crc32(str, [cksum])` (the CRC-32 of each string,
//! as zlib computes it, continuing from `cksum`).

use value::{Data, DataType, Table, Value, Vector};

use super::data_util::bool_arg;
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("hex", 1, 2, Kind::Scalar, hex),
        builtin("crc32", 1, 2, Kind::Scalar, crc32),
    ]
}

/// `hex(X, [reverse=false])`: one string per element; `reverse` gives the bytes in memory
/// (little-endian) order.
fn hex(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let reverse = match args.get(1).filter(|v| !v.is_void()) {
        Some(v) => bool_arg("hex", v, "reverse")?,
        None => false,
    };
    let (v, scalar) = match &args[0] {
        Value::Scalar(s) => (s, true),
        Value::Vector(v) => (&**v, false),
        _ => bail!("The argument X of function [hex] must be a scalar or a vector"),
    };
    let bytes: Vec<Vec<u8>> = element_bytes(v)?;
    let out: Vec<String> = bytes
        .into_iter()
        .map(|mut b| {
            if reverse {
                b.reverse();
            }
            b.iter().map(|x| format!("{:02x}", x)).collect()
        })
        .collect();
    let out = Vector::from_strings(out);
    Ok(if scalar {
        Value::Scalar(out)
    } else {
        Value::vector(out)
    })
}

/// The big-endian bytes of each element.
fn element_bytes(v: &Vector) -> Result<Vec<Vec<u8>>> {
    Ok(match &v.data {
        Data::I8(x) => x.iter().map(|e| e.to_be_bytes().to_vec()).collect(),
        Data::I16(x) => x.iter().map(|e| e.to_be_bytes().to_vec()).collect(),
        Data::I32(x) => x.iter().map(|e| e.to_be_bytes().to_vec()).collect(),
        Data::I64(x) => x.iter().map(|e| e.to_be_bytes().to_vec()).collect(),
        Data::I128(x) => x.iter().map(|e| e.to_be_bytes().to_vec()).collect(),
        Data::F32(x) => x
            .iter()
            .map(|e| e.to_bits().to_be_bytes().to_vec())
            .collect(),
        Data::F64(x) => x
            .iter()
            .map(|e| e.to_bits().to_be_bytes().to_vec())
            .collect(),
        _ => bail!(
            "The argument X of function [hex] must be integral, floating or binary, not {}",
            v.ty.name()
        ),
    })
}

/// `crc32(str, [cksum=0])`: an INT per string (a table: per cell, row by row as columns).
fn crc32(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let seeds: Vec<u32> = match args.get(1).filter(|v| !v.is_void()) {
        None => vec![0],
        Some(v) => match v.as_vector() {
            Some(s) if s.ty.is_integral() => (0..s.len())
                .map(|i| s.i64_at(i).unwrap_or(0) as u32)
                .collect(),
            _ => bail!("The argument cksum of function [crc32] must be an integer"),
        },
    };
    let seed = |i: usize| seeds.get(i).or(seeds.first()).copied().unwrap_or(0);
    let hash = |v: &Vector| -> Result<Vector> {
        if !v.ty.is_literal() {
            bail!("The argument str of function [crc32] must be a string");
        }
        let out = (0..v.len())
            .map(|i| crc32_of(seed(i), v.str_at(i).unwrap_or("").as_bytes()) as i32)
            .collect();
        Ok(Vector::from_i32(DataType::Int, out))
    };
    match &args[0] {
        Value::Scalar(s) => Ok(Value::Scalar(hash(s)?)),
        Value::Vector(v) => Ok(Value::vector(hash(v)?)),
        Value::Table(t) => {
            let cols = t
                .columns
                .iter()
                .map(|c| hash(c))
                .collect::<Result<Vec<_>>>()?;
            Ok(Value::table(Table::new(t.names.clone(), cols)))
        }
        _ => bail!("The argument str of function [crc32] must be a string scalar, vector or table"),
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) continuing from `crc`.
fn crc32_of(crc: u32, bytes: &[u8]) -> u32 {
    let mut c = !crc;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            let mask = (c & 1).wrapping_neg();
            c = (c >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::crc32_of;

    #[test]
    fn crc32_agrees_with_zlib() {
        assert_eq!(crc32_of(0, b"hello"), 907_060_870);
        assert_eq!(crc32_of(1, b"aa"), 512_829_590);
    }
}
