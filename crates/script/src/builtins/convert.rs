//! Built-ins: type conversion (`int`, `date`, `string`, `decimal32`, `cast`/`$`, ...), type and
//! form introspection (`type`, `typestr`, `form`), null tests (`isNull`, `isValid`, `isVoid`)
//! and character encodings (`fromUTF8`, `toUTF8`).
//!
//! The conversion rules themselves are `value::convert::cast`; this module maps DolphinDB's
//! function names onto it. A conversion function without arguments makes a null scalar of its
//! type (`int()` is `00i`).
//!
//! `fromUTF8(str, encoding)` gives a STRING when the encoded bytes are still valid UTF-8 (for
//! ASCII text), and a BLOB otherwise: a STRING here must hold UTF-8, and a BLOB carries the
//! same bytes to clients (`blob(fromUTF8(s, "gbk"))` is the GBK bytes either way).

use value::{Data, DataType, Matrix, Table, Value, Vector};

use super::data_util::{self, cast, int_arg, str_arg, type_arg, vector_arg, Duration};
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

/// Declares a conversion built-in: `name(X)` casts X to `ty` keeping its form.
macro_rules! conversions {
    ($($fname:ident => $name:literal, $ty:ident;)*) => {
        $(
            fn $fname(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
                convert_to($name, args.first(), DataType::$ty, 0)
            }
        )*
        fn conversion_builtins() -> Vec<Builtin> {
            vec![$(builtin($name, 0, 1, Kind::Scalar, $fname),)*]
        }
    };
}

conversions! {
    to_bool => "bool", Bool;
    to_char => "char", Char;
    to_short => "short", Short;
    to_int => "int", Int;
    to_long => "long", Long;
    to_float => "float", Float;
    to_double => "double", Double;
    to_symbol => "symbol", Symbol;
    to_blob => "blob", Blob;
    to_date => "date", Date;
    to_month => "month", Month;
    to_time => "time", Time;
    to_minute => "minute", Minute;
    to_second => "second", Second;
    to_datetime => "datetime", DateTime;
    to_timestamp => "timestamp", Timestamp;
    to_nanotime => "nanotime", NanoTime;
    to_nanotimestamp => "nanotimestamp", NanoTimestamp;
    to_datehour => "datehour", DateHour;
    to_uuid => "uuid", Uuid;
    to_ipaddr => "ipaddr", IpAddr;
    to_int128 => "int128", Int128;
}

pub fn functions() -> Vec<Builtin> {
    let mut out = conversion_builtins();
    out.extend([
        builtin("string", 0, 1, Kind::Scalar, to_string),
        builtin("decimal32", 2, 2, Kind::Scalar, to_decimal32),
        builtin("decimal64", 2, 2, Kind::Scalar, to_decimal64),
        builtin("decimal128", 2, 2, Kind::Scalar, to_decimal128),
        builtin("duration", 1, 1, Kind::Scalar, to_duration),
        builtin("cast", 2, 2, Kind::Scalar, cast_fn),
        builtin("type", 1, 1, Kind::Other, type_fn),
        builtin("typestr", 1, 1, Kind::Other, typestr),
        builtin("form", 1, 1, Kind::Other, form),
        builtin("isNull", 1, 1, Kind::Scalar, is_null),
        builtin("isValid", 1, 1, Kind::Scalar, is_valid),
        builtin("isVoid", 1, 1, Kind::Scalar, is_void),
        builtin("fromUTF8", 2, 2, Kind::Scalar, from_utf8),
        builtin("toUTF8", 2, 2, Kind::Scalar, to_utf8),
    ]);
    out
}

/// `name(X)`: X converted to `ty`; without X, a null of `ty`.
fn convert_to(name: &str, x: Option<&Value>, ty: DataType, scale: u8) -> Result<Value> {
    let Some(x) = x else {
        let mut v = Vector::nulls(ty, 1);
        v.scale = scale;
        return Ok(Value::Scalar(v));
    };
    match x {
        Value::Table(_) | Value::Object(_) => {
            bail!(
                "The argument of function [{}] can't be a {}",
                name,
                x.form().name()
            )
        }
        _ => data_util::cast_value(x, ty, scale),
    }
}

/// `string(X)`: every element as text. Objects that can't be converted element-wise (tables,
/// nested tuples, functions) give the text the console shows for them.
fn to_string(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let Some(x) = args.first() else {
        return Ok(Value::string(""));
    };
    if let Value::Vector(v) = x {
        if let Data::Any(items) = &v.data {
            let texts = items
                .iter()
                .map(|it| match it {
                    Value::Scalar(s) => value::display::element_string(s, 0),
                    other => value::display::to_display(other),
                })
                .collect();
            return Ok(Value::vector(Vector::from_strings(texts)));
        }
    }
    match x {
        Value::Table(_) | Value::Object(_) => Ok(Value::string(value::display::to_display(x))),
        _ => match data_util::cast_value(x, DataType::String, 0) {
            Ok(v) => Ok(v),
            Err(_) => Ok(Value::string(value::display::to_display(x))),
        },
    }
}

fn decimal(name: &str, ty: DataType, args: &[Value]) -> Result<Value> {
    let scale = int_arg(name, &args[1], "scale")?;
    let max = value::convert::max_scale(ty).unwrap_or(0) as i64;
    if !(0..=max).contains(&scale) {
        bail!(
            "Scale out of bound (valid range: [0, {}], but get: {})",
            max,
            scale
        );
    }
    convert_to(name, args.first(), ty, scale as u8)
}

fn to_decimal32(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    decimal("decimal32", DataType::Decimal32, args)
}

fn to_decimal64(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    decimal("decimal64", DataType::Decimal64, args)
}

fn to_decimal128(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    decimal("decimal128", DataType::Decimal128, args)
}

/// `duration(X)`: a DURATION from text such as `"3s"` or `"2M"`.
fn to_duration(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if let Value::Scalar(s) = &args[0] {
        if s.ty == DataType::Duration {
            return Ok(args[0].clone());
        }
    }
    let text = str_arg("duration", &args[0], "X")?;
    match Duration::parse(text) {
        Some(d) => Ok(d.value()),
        None => bail!("Invalid duration: {}", text),
    }
}

/// `cast(X, type)`, the `$` operator. A `rows:cols` pair instead of a type reshapes a vector
/// into a matrix.
fn cast_fn(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let x = &args[0];
    if let Value::Pair(dim) = &args[1] {
        let data = match x {
            Value::Vector(v) => (**v).clone(),
            Value::Matrix(m) => m.data.clone(),
            _ => bail!("Only a vector or matrix can be reshaped"),
        };
        let n = data.len() as i64;
        let (r, c) = match (dim.i64_at(0), dim.i64_at(1)) {
            (Some(r), Some(c)) => (r, c),
            (Some(r), None) if r > 0 => (r, n / r),
            (None, Some(c)) if c > 0 => (n / c, c),
            _ => bail!("Invalid matrix dimension"),
        };
        if r < 0 || c < 0 || r * c != n {
            bail!("The dimension of the matrix doesn't match the size of the vector");
        }
        return Ok(Value::Matrix(std::sync::Arc::new(Matrix::new(
            data, r as usize, c as usize,
        ))));
    }
    let (ty, scale, is_array) = type_arg(&args[1])?;
    if is_array {
        return match x {
            Value::Vector(v) if v.is_array() => Ok(Value::vector(cast(v, ty, scale)?)),
            Value::Vector(v) if v.ty == DataType::Any => {
                let rows: Vec<Vector> = match &v.data {
                    Data::Any(items) => items
                        .iter()
                        .map(|it| vector_arg("cast", it, "X").cloned())
                        .collect::<Result<_>>()?,
                    _ => Vec::new(),
                };
                Ok(Value::vector(data_util::array_vector(ty, scale, &rows)?))
            }
            _ => bail!("Can't convert {} to {}[]", x.data_type().name(), ty.name()),
        };
    }
    convert_to("cast", Some(x), ty, scale)
}

/// `type(X)`: the type id (`64 + t` for an array vector; a decimal's id without its scale).
fn type_fn(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::int(args[0].type_code() as i32))
}

/// The `typestr` text of a value.
pub(crate) fn typestr_of(v: &Value) -> String {
    let name = |t: DataType| t.name();
    match v {
        Value::Scalar(s) => name(s.ty).to_string(),
        Value::Object(o) => name(o.data_type()).to_string(),
        Value::Vector(x) => match &x.data {
            Data::Any(_) => "ANY VECTOR".to_string(),
            Data::Array(_) => format!("FAST {}[] VECTOR", name(x.ty)),
            Data::Str(_) | Data::Blob(_) => format!("{} VECTOR", name(x.ty)),
            _ => format!("FAST {} VECTOR", name(x.ty)),
        },
        Value::Pair(x) => format!("{} PAIR", name(x.ty)),
        Value::Matrix(m) => format!("FAST {} MATRIX", name(m.data.ty)),
        Value::Set(s) => format!("{} SET", name(s.keys.ty)),
        Value::Dict(d) => format!("{}->{} DICTIONARY", name(d.keys.ty), name(d.values.ty)),
        Value::Table(_) => "IN-MEMORY TABLE".to_string(),
    }
}

fn typestr(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::string(typestr_of(&args[0])))
}

/// `form(X)`: the data form id (0 scalar, 1 vector, 2 pair, 3 matrix, 4 set, 5 dictionary,
/// 6 table).
fn form(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(Value::int(args[0].form() as i32))
}

/// Per-element null flags of a vector (an ANY element is null when it is a null scalar).
fn null_flags(v: &Vector) -> Vec<i8> {
    match &v.data {
        Data::Any(items) => items.iter().map(|it| it.is_null() as i8).collect(),
        Data::Array(_) => vec![0; v.len()],
        _ => (0..v.len()).map(|i| v.is_null(i) as i8).collect(),
    }
}

fn null_test(func: &str, x: &Value, want_null: bool) -> Result<Value> {
    let flip = |f: Vec<i8>| -> Vec<i8> {
        if want_null {
            f
        } else {
            f.into_iter().map(|b| 1 - b).collect()
        }
    };
    match x {
        Value::Table(t) => {
            let cols = t
                .columns
                .iter()
                .map(|c| Vector::from_i8(DataType::Bool, flip(null_flags(c))))
                .collect();
            Ok(Value::table(Table::new(t.names.clone(), cols)))
        }
        Value::Matrix(m) => {
            let data = Vector::from_i8(DataType::Bool, flip(null_flags(&m.data)));
            let mut out = Matrix::new(data, m.rows, m.cols);
            out.row_labels = m.row_labels.clone();
            out.col_labels = m.col_labels.clone();
            Ok(Value::Matrix(std::sync::Arc::new(out)))
        }
        Value::Dict(d) => {
            let vals = Vector::from_i8(DataType::Bool, flip(null_flags(&d.values)));
            Ok(Value::dict(value::Dict::from_vectors(d.keys.clone(), vals)))
        }
        Value::Object(_) => Ok(Value::bool(!want_null)),
        other => {
            let v = vector_arg(func, other, "X")?;
            let flags = Vector::from_i8(DataType::Bool, flip(null_flags(v)));
            Ok(data_util::same_form(other, flags))
        }
    }
}

/// `isNull(X)`, element-wise.
fn is_null(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    null_test("isNull", &args[0], true)
}

/// `isValid(X)`: not null, element-wise.
fn is_valid(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    null_test("isValid", &args[0], false)
}

/// `isVoid(X)`: whether X (or each element of a tuple) is the VOID value.
fn is_void(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match &args[0] {
        Value::Vector(v) => match &v.data {
            Data::Any(items) => Ok(Value::vector(Vector::from_i8(
                DataType::Bool,
                items.iter().map(|it| it.is_void() as i8).collect(),
            ))),
            Data::Void(n) => Ok(Value::vector(Vector::from_i8(DataType::Bool, vec![1; *n]))),
            _ => Ok(Value::vector(Vector::from_i8(
                DataType::Bool,
                vec![0; v.len()],
            ))),
        },
        other => Ok(Value::bool(other.is_void())),
    }
}

fn encoding_of(func: &str, v: &Value) -> Result<&'static encoding_rs::Encoding> {
    let label = str_arg(func, v, "encoding")?;
    match encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
        Some(e) => Ok(e),
        None => bail!("Unsupported encoding: {}", label),
    }
}

/// `fromUTF8(str, encoding)`: re-encodes UTF-8 text (see the module doc for the result type).
fn from_utf8(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let enc = encoding_of("fromUTF8", &args[1])?;
    let v = vector_arg("fromUTF8", &args[0], "str")?;
    if !v.ty.is_literal() && v.ty != DataType::Blob {
        bail!("The argument str of function [fromUTF8] must be a string");
    }
    let texts = literal_texts(v);
    let encoded: Vec<Vec<u8>> = texts.iter().map(|s| enc.encode(s).0.into_owned()).collect();
    let out = match encoded
        .iter()
        .map(|b| String::from_utf8(b.clone()).ok())
        .collect::<Option<Vec<String>>>()
    {
        Some(strings) => Vector::from_strings(strings),
        None => Vector::new(DataType::Blob, Data::Blob(encoded)),
    };
    Ok(data_util::same_form(&args[0], out))
}

/// `toUTF8(str, encoding)`: decodes text in `encoding` (a STRING or BLOB) to UTF-8.
fn to_utf8(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let enc = encoding_of("toUTF8", &args[1])?;
    let v = vector_arg("toUTF8", &args[0], "str")?;
    let out: Vec<String> = match &v.data {
        Data::Blob(b) => b
            .iter()
            .map(|bytes| enc.decode_without_bom_handling(bytes).0.into_owned())
            .collect(),
        _ if v.ty.is_literal() => literal_texts(v),
        _ => bail!("The argument str of function [toUTF8] must be a string"),
    };
    Ok(data_util::same_form(&args[0], Vector::from_strings(out)))
}

fn literal_texts(v: &Vector) -> Vec<String> {
    match &v.data {
        Data::Blob(b) => b
            .iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect(),
        _ => (0..v.len())
            .map(|i| v.str_at(i).unwrap_or("").to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::data_util::test_env::*;
    use super::super::data_util::type_constant;
    use super::*;

    #[test]
    fn conversions_and_defaults() {
        let v = call("int", &[]).unwrap();
        assert!(v.is_null() && v.data_type() == DataType::Int);
        assert_eq!(
            call("int", &[Value::string("10.9")]).unwrap().as_i64(),
            Some(10)
        );
        assert_eq!(
            call("bool", &[Value::string("true")]).unwrap().as_bool(),
            Some(true)
        );
        let m = call("month", &[Value::int(0)]).unwrap();
        assert_eq!(m.data_type(), DataType::Month);
        let d = call(
            "decimal32",
            &[Value::string("3.141592653589"), Value::int(8)],
        )
        .unwrap();
        assert_eq!(
            d.as_vector().map(|v| (v.ty, v.scale)),
            Some((DataType::Decimal32, 8))
        );
        assert!(call("decimal32", &[Value::int(1), Value::int(10)]).is_err());
        let d = call("decimal32", &[Value::void(), Value::int(2)]).unwrap();
        assert!(d.is_null());
        let h = call("datehour", &[Value::string("2022.05.20T13")]).unwrap();
        assert_eq!(h.data_type(), DataType::DateHour);
        assert!(!h.is_null());
        let s = call("symbol", &[strs(&["a", "b"])]).unwrap();
        assert_eq!(typestr_of(&s), "FAST SYMBOL VECTOR");
    }

    #[test]
    fn cast_and_reshape() {
        let v = call(
            "cast",
            &[ints(&[1, 2]), type_constant(DataType::Double, 0, false)],
        )
        .unwrap();
        assert_eq!(v.data_type(), DataType::Double);
        let m = call(
            "cast",
            &[
                ints(&[1, 2, 3, 4]),
                call("pair", &[Value::int(2), Value::int(2)]).unwrap(),
            ],
        )
        .unwrap();
        assert!(matches!(m, Value::Matrix(_)));
        let d = call(
            "cast",
            &[
                Value::vector(Vector::empty(DataType::Void)),
                type_constant(DataType::Decimal32, 0, false),
            ],
        )
        .unwrap();
        assert_eq!(typestr_of(&d), "FAST DECIMAL32 VECTOR");
    }

    #[test]
    fn introspection() {
        assert_eq!(typestr_of(&ints(&[1])), "FAST INT VECTOR");
        assert_eq!(typestr_of(&strs(&["a"])), "STRING VECTOR");
        assert_eq!(typestr_of(&Value::tuple(vec![])), "ANY VECTOR");
        let d = call("decimal64", &[Value::int(1), Value::int(2)]).unwrap();
        assert_eq!(typestr_of(&d), "DECIMAL64");
        assert_eq!(call("type", &[d]).unwrap().as_i64(), Some(38));
        assert_eq!(call("form", &[ints(&[1])]).unwrap().as_i64(), Some(1));
        let n = call("isNull", &[ints(&[1, i32::MIN])]).unwrap();
        assert_eq!(as_i64s(&n), vec![0, 1]);
        assert_eq!(
            call("isVoid", &[Value::void()]).unwrap().as_bool(),
            Some(true)
        );
    }

    #[test]
    fn gbk_round_trip() {
        let b = call(
            "fromUTF8",
            &[Value::string("abc中文"), Value::string("gbk")],
        )
        .unwrap();
        let Value::Scalar(v) = &b else { panic!() };
        let Data::Blob(bytes) = &v.data else {
            panic!("expected BLOB")
        };
        assert_eq!(bytes[0], vec![b'a', b'b', b'c', 0xD6, 0xD0, 0xCE, 0xC4]);
        let s = call("toUTF8", &[b, Value::string("gbk")]).unwrap();
        assert_eq!(s.as_str(), Some("abc中文"));
        let a = call("fromUTF8", &[Value::string("abc"), Value::string("gbk")]).unwrap();
        assert_eq!(a.as_str(), Some("abc"));
    }
}
