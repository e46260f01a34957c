//! Helpers shared by the data built-in families (construct, convert, strings, temporal,
//! vectors, tables, session): argument checks, type constants, durations, conversion.
//!
//! Two script-level conventions live here because several parts of the crate rely on them:
//!
//! * **Type constants** (`INT`, `DOUBLE[]`, `DECIMAL32(2)`) evaluate to INT scalars whose value
//!   is `code | (scale << 16)`, where `code` is the wire type code (`64 + t` for an array
//!   vector type). So `INT` is 4, `INT[]` is 68, `DECIMAL32(2)` is `37 | 2 << 16`, and `type(x)`
//!   of any value is a valid type constant. Built-ins read a type argument with [`type_arg`],
//!   which also accepts a type name string (`"INT"`, `"DECIMAL64(3)"`, `"DOUBLE[]"`) and the
//!   conversion function values (`array(int, 3)`).
//! * **Durations** (`3s`, `1M`, `2d`) are DURATION scalars (type 36, I64 storage) whose raw value
//!   is `(unit << 32) | (count as u32)`: the wire's i32 count then i32 unit, read as one
//!   little-endian i64. See [`Duration`].

use std::sync::Arc;

use value::{null, Data, DataType, Vector};
use value::{Key, Table, Value};

use crate::{bail, Result};

/// The bit position of the decimal scale inside a type constant's INT value.
pub(crate) const TYPE_SCALE_SHIFT: u32 = 16;

/// The INT value of a type constant (see the module doc). The interpreter spells type keywords
/// itself; the builtins' tests build them with this.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn type_constant(ty: DataType, scale: u8, array: bool) -> Value {
    let code = ty.code() as i32 + if array { 64 } else { 0 };
    Value::int(code | ((scale as i32) << TYPE_SCALE_SHIFT))
}

/// Reads a type argument: a type constant, a type name string, or a conversion function value.
/// Returns the element type, its decimal scale and whether it names an array vector type.
pub(crate) fn type_arg(v: &Value) -> Result<(DataType, u8, bool)> {
    match v {
        Value::Scalar(s) if s.ty.is_literal() => parse_type_name(s.str_at(0).unwrap_or("")),
        Value::Scalar(s) if s.ty.is_integral() => {
            let Some(raw) = s.i64_at(0) else {
                bail!("Invalid data type: null");
            };
            let code = (raw & 0xFFFF) as u16;
            let scale = ((raw >> TYPE_SCALE_SHIFT) & 0xFF) as u8;
            let (array, code) = if (64..128).contains(&code) {
                (true, code - 64)
            } else {
                (false, code)
            };
            match DataType::from_code(code as u8).filter(|_| code < 64) {
                Some(t) => Ok((t, scale, array)),
                None => bail!("Invalid data type: {}", raw),
            }
        }
        Value::Object(o) => parse_type_name(&o.describe()),
        _ => bail!("The data type argument must be a type constant such as INT or DOUBLE"),
    }
}

/// Parses `INT`, `int`, `DOUBLE[]`, `DECIMAL32(2)`, `DECIMAL32(2)[]`.
fn parse_type_name(text: &str) -> Result<(DataType, u8, bool)> {
    let t = text.trim();
    let (t, array) = match t.strip_suffix("[]") {
        Some(rest) => (rest.trim(), true),
        None => (t, false),
    };
    let (name, scale) = match t.find('(') {
        Some(p) if t.ends_with(')') => {
            let digits = t[p + 1..t.len() - 1].trim();
            match digits.parse::<u8>() {
                Ok(s) => (&t[..p], s),
                Err(_) => bail!("Invalid data type: {}", text),
            }
        }
        _ => (t, 0),
    };
    let ty = match name.to_ascii_uppercase().as_str() {
        "DICT" => DataType::Dictionary,
        "DATETIME" | "DATETIMES" => DataType::DateTime,
        "BOOLEAN" => DataType::Bool,
        "INTEGER" => DataType::Int,
        _ => match DataType::from_name(name) {
            Some(t) => t,
            None => bail!("Invalid data type: {}", text),
        },
    };
    Ok((ty, scale, array))
}

/// A duration's unit, numbered as on the wire.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum DurationUnit {
    Ns = 0,
    Us = 1,
    Ms = 2,
    Second = 3,
    Minute = 4,
    Hour = 5,
    Day = 6,
    Week = 7,
    Month = 8,
    Year = 9,
    BDay = 10,
}

impl DurationUnit {
    const ALL: [DurationUnit; 11] = [
        DurationUnit::Ns,
        DurationUnit::Us,
        DurationUnit::Ms,
        DurationUnit::Second,
        DurationUnit::Minute,
        DurationUnit::Hour,
        DurationUnit::Day,
        DurationUnit::Week,
        DurationUnit::Month,
        DurationUnit::Year,
        DurationUnit::BDay,
    ];

    /// The literal suffix: `1ns 1us 1ms 1s 1m 1H 1d 1w 1M 1y 1B`.
    pub(crate) fn suffix(self) -> &'static str {
        use DurationUnit::*;
        match self {
            Ns => "ns",
            Us => "us",
            Ms => "ms",
            Second => "s",
            Minute => "m",
            Hour => "H",
            Day => "d",
            Week => "w",
            Month => "M",
            Year => "y",
            BDay => "B",
        }
    }

    fn from_suffix(s: &str) -> Option<DurationUnit> {
        use DurationUnit::*;
        Some(match s {
            "ns" => Ns,
            "us" => Us,
            "ms" => Ms,
            "s" => Second,
            "m" => Minute,
            "h" | "H" => Hour,
            "d" => Day,
            "w" => Week,
            "M" => Month,
            "y" => Year,
            "B" => BDay,
            _ => return None,
        })
    }

    /// Nanoseconds in one unit, for the fixed-length units (None for month, year, business day).
    pub(crate) fn nanos(self) -> Option<i64> {
        use DurationUnit::*;
        Some(match self {
            Ns => 1,
            Us => 1_000,
            Ms => 1_000_000,
            Second => 1_000_000_000,
            Minute => 60_000_000_000,
            Hour => 3_600_000_000_000,
            Day => 86_400_000_000_000,
            Week => 604_800_000_000_000,
            _ => return None,
        })
    }
}

/// A DURATION value: a count of a calendar or clock unit.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Duration {
    pub count: i32,
    pub unit: DurationUnit,
}

impl Duration {
    pub(crate) fn to_raw(self) -> i64 {
        ((self.unit as i64) << 32) | (self.count as u32 as i64)
    }

    pub(crate) fn from_raw(raw: i64) -> Option<Duration> {
        if raw == null::I64 {
            return None;
        }
        let unit = DurationUnit::ALL.get((raw >> 32) as usize).copied()?;
        Some(Duration {
            count: raw as u32 as i32,
            unit,
        })
    }

    /// Parses a duration literal such as `3s`, `-2d`, `100ms`, `1M`.
    pub(crate) fn parse(text: &str) -> Option<Duration> {
        let t = text.trim();
        let digits_end = t
            .char_indices()
            .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
            .map(|(i, _)| i)?;
        let count: i32 = t[..digits_end].parse().ok()?;
        let unit = DurationUnit::from_suffix(&t[digits_end..])?;
        Some(Duration { count, unit })
    }

    pub(crate) fn value(self) -> Value {
        Value::i64_of(DataType::Duration, self.to_raw())
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.count, self.unit.suffix())
    }
}

/// Reads a duration argument: a DURATION scalar or a string such as `"3s"`.
pub(crate) fn duration_arg(func: &str, v: &Value) -> Result<Duration> {
    if let Value::Scalar(s) = v {
        if s.ty == DataType::Duration {
            if let Data::I64(raw) = &s.data {
                if let Some(d) = Duration::from_raw(raw[0]) {
                    return Ok(d);
                }
            }
        }
        if let Some(text) = s.str_at(0) {
            if let Some(d) = Duration::parse(text) {
                return Ok(d);
            }
        }
    }
    bail!(
        "The argument of function [{}] must be a DURATION such as 1s or 3d",
        func
    )
}

/// Checks that `v` is a scalar and reads it as an integer.
pub(crate) fn int_arg(func: &str, v: &Value, what: &str) -> Result<i64> {
    match v {
        Value::Scalar(s) if s.ty.is_integral() || s.ty.is_floating() => match s.i64_at(0) {
            Some(x) => Ok(x),
            None => bail!(
                "The argument {} of function [{}] must not be null",
                what,
                func
            ),
        },
        _ => bail!(
            "The argument {} of function [{}] must be an integer scalar",
            what,
            func
        ),
    }
}

/// Like [`int_arg`], but the value must be non-negative; it is returned as a count.
pub(crate) fn count_arg(func: &str, v: &Value, what: &str) -> Result<usize> {
    let n = int_arg(func, v, what)?;
    if n < 0 {
        bail!(
            "The argument {} of function [{}] must be a non-negative integer",
            what,
            func
        );
    }
    Ok(n as usize)
}

/// A STRING or SYMBOL scalar's text.
pub(crate) fn str_arg<'a>(func: &str, v: &'a Value, what: &str) -> Result<&'a str> {
    match v.as_str() {
        Some(s) => Ok(s),
        None => bail!(
            "The argument {} of function [{}] must be a string scalar",
            what,
            func
        ),
    }
}

/// A BOOL (or integral) scalar as a flag.
pub(crate) fn bool_arg(func: &str, v: &Value, what: &str) -> Result<bool> {
    match v {
        Value::Scalar(s) if s.ty.is_integral() => Ok(s.i64_at(0).unwrap_or(0) != 0),
        _ => bail!(
            "The argument {} of function [{}] must be a boolean scalar",
            what,
            func
        ),
    }
}

/// An object's name given as a STRING or SYMBOL scalar, or as a CHAR scalar: a one-letter
/// name quoted `'t'` is a CHAR literal (`tableInsert{'t'}`). None for anything else.
pub(crate) fn object_name(v: &Value) -> Option<String> {
    let Value::Scalar(s) = v else {
        return None;
    };
    if s.ty.is_literal() {
        return s.str_at(0).map(str::to_string);
    }
    if s.ty == DataType::Char && !s.is_null(0) {
        let c = s.i64_at(0)? as u8;
        return Some((c as char).to_string());
    }
    None
}

/// Like `str_arg` for a name: a STRING, SYMBOL or CHAR scalar.
pub(crate) fn name_arg(func: &str, v: &Value, what: &str) -> Result<String> {
    match object_name(v) {
        Some(s) => Ok(s),
        None => bail!(
            "The argument {} of function [{}] must be a string scalar",
            what,
            func
        ),
    }
}

/// A string scalar or vector as a list of texts (column names, keys).
pub(crate) fn strings_arg(func: &str, v: &Value, what: &str) -> Result<Vec<String>> {
    if let Some(name) = object_name(v) {
        return Ok(vec![name]);
    }
    if let Some(vec) = v.as_vector() {
        if vec.ty.is_literal() {
            return Ok((0..vec.len())
                .map(|i| vec.str_at(i).unwrap_or("").to_string())
                .collect());
        }
        if let Data::Any(items) = &vec.data {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item.as_str() {
                    Some(s) => out.push(s.to_string()),
                    None => bail!(
                        "The argument {} of function [{}] must be a string or string vector",
                        what,
                        func
                    ),
                }
            }
            return Ok(out);
        }
    }
    bail!(
        "The argument {} of function [{}] must be a string or string vector",
        what,
        func
    )
}

/// The vector behind a scalar, vector or pair argument.
pub(crate) fn vector_arg<'a>(func: &str, v: &'a Value, what: &str) -> Result<&'a Vector> {
    match v {
        Value::Scalar(s) => Ok(s),
        Value::Vector(s) | Value::Pair(s) => Ok(s),
        Value::Matrix(m) => Ok(&m.data),
        _ => bail!(
            "The argument {} of function [{}] must be a scalar or a vector",
            what,
            func
        ),
    }
}

/// Wraps `out` in the form of `like`: a scalar stays a scalar, a pair a pair, anything else is
/// a vector. `out` must have one element for a scalar and two for a pair.
pub(crate) fn same_form(like: &Value, out: Vector) -> Value {
    match like {
        Value::Scalar(_) if out.len() == 1 => Value::Scalar(out),
        Value::Pair(_) if out.len() == 2 => Value::pair(out),
        _ => Value::vector(out),
    }
}

/// Converts `v` to `ty` by DolphinDB's rules (element-wise, nulls stay null).
pub(crate) fn cast(v: &Vector, ty: DataType, scale: u8) -> Result<Vector> {
    Ok(value::convert::cast(v, ty, scale)?)
}

/// Converts a whole value, keeping its form.
pub(crate) fn cast_value(v: &Value, ty: DataType, scale: u8) -> Result<Value> {
    Ok(value::convert::cast_value(v, ty, scale)?)
}

/// Raw element `i` of an integral storage as i64, with nulls as `i64::MIN`.
pub(crate) fn raw_i64(v: &Vector, i: usize) -> i64 {
    match &v.data {
        Data::I8(x) if x[i] != null::I8 => x[i] as i64,
        Data::I16(x) if x[i] != null::I16 => x[i] as i64,
        Data::I32(x) if x[i] != null::I32 => x[i] as i64,
        Data::I64(x) => x[i],
        Data::F32(x) if x[i] != null::F32 => x[i] as i64,
        Data::F64(x) if x[i] != null::F64 => x[i] as i64,
        _ => null::I64,
    }
}

/// A vector of `n` copies of the scalar `s` (same type and scale).
pub(crate) fn repeat_scalar(s: &Vector, n: usize) -> Vector {
    let idx = vec![0i64; n];
    s.take(&idx)
}

/// The key of each element, for membership tests across vectors whose types may differ only
/// in width (INT vs LONG): integral keys are widened, strings compared by text.
pub(crate) fn keys_of(v: &Vector) -> Vec<Key> {
    (0..v.len()).map(|i| v.key_at(i)).collect()
}

/// Builds a vector from `values` (scalars of one type, or anything else as a tuple).
pub(crate) fn vector_from_scalars(values: &[Value]) -> Vector {
    let first_ty = values.first().and_then(|v| match v {
        Value::Scalar(s) if !s.is_array() => Some((s.ty, s.scale)),
        _ => None,
    });
    if let Some((ty, scale)) = first_ty {
        let uniform = values
            .iter()
            .all(|v| matches!(v, Value::Scalar(s) if s.ty == ty && s.scale == scale));
        if uniform && ty != DataType::Any {
            let mut out = Vector::with_capacity(ty, values.len());
            out.scale = scale;
            for v in values {
                if let Value::Scalar(s) = v {
                    out.extend(s);
                }
            }
            return out;
        }
    }
    Vector::from_values(values.to_vec())
}

/// An array vector built from `rows` (each a vector of the element type `ty`).
pub(crate) fn array_vector(ty: DataType, scale: u8, rows: &[Vector]) -> Result<Vector> {
    let mut values = Vector::empty(ty);
    values.scale = scale;
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    offsets.push(0u32);
    for r in rows {
        let r = cast(r, ty, scale)?;
        if !values.extend(&r) {
            bail!("Failed to append data to an array vector of {}", ty.name());
        }
        let len = values.len();
        if len > u32::MAX as usize {
            bail!("The array vector is too large");
        }
        offsets.push(len as u32);
    }
    Ok(Vector {
        ty,
        scale,
        data: Data::Array(value::ArrayData {
            offsets,
            values: Box::new(values),
        }),
    })
}

/// The text `string(x)` gives for element `i`.
pub(crate) fn element_text(v: &Vector, i: usize) -> String {
    value::display::element_string(v, i)
}

/// The rows `idx` of `t` (out-of-range indices give null rows), keeping names and kind.
pub(crate) fn table_take(t: &Table, idx: &[i64]) -> Table {
    let columns = t.columns.iter().map(|c| Arc::new(c.take(idx))).collect();
    Table {
        name: t.name.clone(),
        names: t.names.clone(),
        columns,
        kind: t.kind.clone(),
    }
}

#[cfg(test)]
pub(crate) mod test_env {
    //! A minimal `Env` and `Host` for unit tests: variables in a map, no function calls.

    use std::collections::HashMap;
    use std::sync::Mutex;

    use value::{Table, Value, Vector};

    use crate::builtins::{Env, Host};
    use crate::{Error, Result};

    #[derive(Default)]
    pub(crate) struct TestHost {
        shared: Mutex<HashMap<String, Value>>,
        user: Mutex<String>,
    }

    impl Host for TestHost {
        fn node_alias(&self) -> String {
            "local8848".into()
        }
        fn node_type(&self) -> i32 {
            3
        }
        fn session_id(&self) -> i64 {
            42
        }
        fn user(&self) -> String {
            let u = self.user.lock().map(|u| u.clone()).unwrap_or_default();
            if u.is_empty() {
                "guest".into()
            } else {
                u
            }
        }
        fn console_jobs(&self) -> Table {
            Table::new(
                vec!["sessionId".into()],
                vec![Vector::from_i64(value::DataType::Long, vec![42])],
            )
        }
        fn login(&self, user: &str, password: &str) -> Result<()> {
            if user == "admin" && password == "123456" {
                if let Ok(mut u) = self.user.lock() {
                    *u = user.to_string();
                }
                Ok(())
            } else {
                Err(Error::new("The user name or password is incorrect."))
            }
        }
        fn logout(&self) {
            if let Ok(mut u) = self.user.lock() {
                u.clear();
            }
        }
        fn share(&self, name: &str, v: Value) -> Result<()> {
            let mut m = self.shared.lock().map_err(|_| Error::new("lock"))?;
            m.insert(name.to_string(), v);
            Ok(())
        }
        fn shared(&self, name: &str) -> Option<Value> {
            self.shared.lock().ok()?.get(name).cloned()
        }
        fn set_shared(&self, name: &str, v: Value) -> Result<()> {
            self.share(name, v)
        }
        fn unshare(&self, name: &str) -> bool {
            match self.shared.lock() {
                Ok(mut m) => m.remove(name).is_some(),
                Err(_) => false,
            }
        }
    }

    #[derive(Default)]
    pub(crate) struct TestEnv {
        pub vars: HashMap<String, Value>,
        pub printed: Vec<String>,
        pub host: TestHost,
    }

    impl Env for TestEnv {
        fn call(&mut self, _f: &Value, _args: &[Value]) -> Result<Value> {
            Err(Error::new("function calls are not supported in unit tests"))
        }
        fn print(&mut self, text: &str) {
            self.printed.push(text.to_string());
        }
        fn get_var(&self, name: &str) -> Option<Value> {
            self.vars
                .get(name)
                .cloned()
                .or_else(|| self.host.shared(name))
        }
        fn set_var(&mut self, name: &str, v: Value) -> Result<()> {
            if self.host.shared(name).is_some() {
                return self.host.set_shared(name, v);
            }
            self.vars.insert(name.to_string(), v);
            Ok(())
        }
        fn host(&self) -> &dyn Host {
            &self.host
        }
    }

    /// Calls the built-in `name` with `args` in a fresh environment.
    pub(crate) fn call(name: &str, args: &[Value]) -> Result<Value> {
        let mut env = TestEnv::default();
        call_in(&mut env, name, args)
    }

    pub(crate) fn call_in(env: &mut TestEnv, name: &str, args: &[Value]) -> Result<Value> {
        let b = crate::builtins::lookup(name)
            .ok_or_else(|| Error::new(format!("Can't recognize function name {}", name)))?;
        if args.len() < b.min_args || args.len() > b.max_args {
            return Err(Error::new(format!(
                "The function [{}] expects {}~{} argument(s)",
                name, b.min_args, b.max_args
            )));
        }
        (b.f)(env, args)
    }

    pub(crate) fn ints(v: &[i32]) -> Value {
        Value::vector(Vector::from_i32(value::DataType::Int, v.to_vec()))
    }

    pub(crate) fn strs(v: &[&str]) -> Value {
        Value::vector(Vector::from_strings(
            v.iter().map(|s| s.to_string()).collect(),
        ))
    }

    /// The elements of an integral vector or scalar as i64 (nulls as i64::MIN).
    pub(crate) fn as_i64s(v: &Value) -> Vec<i64> {
        let vec = v.as_vector().expect("vector");
        (0..vec.len()).map(|i| super::raw_i64(vec, i)).collect()
    }

    pub(crate) fn as_f64s(v: &Value) -> Vec<f64> {
        let vec = v.as_vector().expect("vector");
        (0..vec.len())
            .map(|i| vec.f64_at(i).unwrap_or(f64::NAN))
            .collect()
    }

    pub(crate) fn as_strs(v: &Value) -> Vec<String> {
        let vec = v.as_vector().expect("vector");
        (0..vec.len())
            .map(|i| vec.str_at(i).unwrap_or("?").to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_constants_round_trip() {
        let v = type_constant(DataType::Decimal32, 2, false);
        assert_eq!(v.as_i64(), Some(37 | (2 << 16)));
        assert_eq!(type_arg(&v).ok(), Some((DataType::Decimal32, 2, false)));
        let v = type_constant(DataType::Int, 0, true);
        assert_eq!(v.as_i64(), Some(68));
        assert_eq!(type_arg(&v).ok(), Some((DataType::Int, 0, true)));
        assert_eq!(
            type_arg(&Value::string("DECIMAL64(3)")).ok(),
            Some((DataType::Decimal64, 3, false))
        );
        assert_eq!(
            type_arg(&Value::string("double[]")).ok(),
            Some((DataType::Double, 0, true))
        );
        assert!(type_arg(&Value::int(33)).is_err());
        assert!(type_arg(&Value::string("NOPE")).is_err());
    }

    #[test]
    fn durations() {
        let d = Duration::parse("3s").expect("3s");
        assert_eq!(d.unit, DurationUnit::Second);
        assert_eq!(Duration::from_raw(d.to_raw()), Some(d));
        let d = Duration::parse("-2M").expect("-2M");
        assert_eq!((d.count, d.unit), (-2, DurationUnit::Month));
        assert_eq!(Duration::from_raw(d.to_raw()), Some(d));
        assert_eq!(d.to_string(), "-2M");
        assert!(Duration::parse("3x").is_none());
        assert!(Duration::parse("s").is_none());
        assert_eq!(
            Duration::parse("100ms").map(|d| d.unit),
            Some(DurationUnit::Ms)
        );
    }
}

#[cfg(test)]
mod registry_tests {
    use crate::builtins::*;

    /// No two families register the same name (the registry would keep only one silently).
    #[test]
    fn data_family_names_are_unique() {
        let mine: Vec<fn() -> Vec<Builtin>> = vec![
            construct::functions,
            convert::functions,
            session::functions,
            strings::functions,
            tables::functions,
            temporal::functions,
            vectors::functions,
        ];
        let others: Vec<fn() -> Vec<Builtin>> = vec![
            aggregate::functions,
            arith::functions,
            compare::functions,
            cumulative::functions,
            matrix::functions,
            moving::functions,
            order::functions,
        ];
        let mut seen = std::collections::HashMap::new();
        for (i, family) in mine.iter().chain(others.iter()).enumerate() {
            for b in family() {
                if let Some(prev) = seen.insert(b.name, i) {
                    panic!(
                        "{} is registered twice (families {} and {})",
                        b.name, prev, i
                    );
                }
            }
        }
    }
}
