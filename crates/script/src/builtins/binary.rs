//! Built-ins over the bytes of values: `hex(X, [reverse])` (each element's bytes in
//! hexadecimal, most significant first), `crc32(str, [cksum])` (the CRC-32 of each string,
//! as zlib computes it, continuing from `cksum`) and `md5(X)` (each string's MD5 digest as 32
//! lowercase hexadecimal digits).

use value::{Data, DataType, Table, Value, Vector};

use super::data_util::bool_arg;
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("hex", 1, 2, Kind::Scalar, hex),
        builtin("crc32", 1, 2, Kind::Scalar, crc32),
        builtin("md5", 1, 1, Kind::Scalar, md5),
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

/// `md5(X)`: a STRING per string of X.
fn md5(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let digest = |v: &Vector| -> Result<Vector> {
        if !v.ty.is_literal() && v.ty != DataType::Blob {
            bail!("The argument X of function [md5] must be a string");
        }
        let out = (0..v.len())
            .map(|i| {
                if v.is_null(i) {
                    return String::new();
                }
                let d = md5_of(v.str_at(i).unwrap_or("").as_bytes());
                d.iter().map(|b| format!("{:02x}", b)).collect()
            })
            .collect();
        Ok(Vector::from_strings(out))
    };
    match &args[0] {
        Value::Scalar(s) => Ok(Value::Scalar(digest(s)?)),
        Value::Vector(v) => Ok(Value::vector(digest(v)?)),
        _ => bail!("The argument X of function [md5] must be a string scalar or vector"),
    }
}

/// MD5 (RFC 1321).
fn md5_of(input: &[u8]) -> [u8; 16] {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    // K[i] = floor(abs(sin(i + 1)) * 2^32).
    let k: Vec<u32> = (0..64)
        .map(|i| (((i as f64) + 1.0).sin().abs() * 4_294_967_296.0) as u32)
        .collect();
    let mut msg = input.to_vec();
    let bit_len = (input.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    let (mut a0, mut b0, mut c0, mut d0) = (
        0x6745_2301u32,
        0xefcd_ab89u32,
        0x98ba_dcfeu32,
        0x1032_5476u32,
    );
    for chunk in msg.chunks_exact(64) {
        let m: Vec<u32> = chunk
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (i, w) in [a0, b0, c0, d0].iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{crc32_of, md5_of};

    #[test]
    fn md5_agrees_with_rfc_1321() {
        let hex = |d: [u8; 16]| d.iter().map(|b| format!("{:02x}", b)).collect::<String>();
        assert_eq!(hex(md5_of(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(md5_of(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn crc32_agrees_with_zlib() {
        assert_eq!(crc32_of(0, b"hello"), 907_060_870);
        assert_eq!(crc32_of(1, b"aa"), 512_829_590);
    }
}
