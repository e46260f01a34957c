//! Built-ins: what the session knows about itself: `syntax(f)`, `defs([pattern])` (the
//! functions), `objs([shared])` (the variables) and `getRequiredAPIVersion()`, which API
//! clients call after connecting.

use value::{DataType, Table, Value, Vector};

use super::data_util::{bool_arg, str_arg};
use super::signature::{signature, syntax as builtin_syntax};
use super::{builtin, registry, Builtin, Env, Kind};
use crate::interp::{as_function, Callable};
use crate::{bail, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("syntax", 1, 1, Kind::Other, syntax),
        builtin("defs", 0, 1, Kind::Other, defs),
        builtin("objs", 0, 1, Kind::Other, objs),
        builtin(
            "getRequiredAPIVersion",
            0,
            0,
            Kind::Other,
            required_api_version,
        ),
    ]
}

/// `syntax(X)`: `name(p1, p2, [optional])` for a built-in or user-defined function.
fn syntax(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let Some(f) = as_function(&args[0]) else {
        bail!("The argument of function [syntax] must be a function");
    };
    let text = match &f.callable {
        Callable::Builtin(b) => builtin_syntax(b.name).unwrap_or_else(|| fallback_syntax(b)),
        Callable::User(def, _) => {
            let required = required_count(def.params.iter().map(|p| p.default.is_none()));
            let params: Vec<String> = def.params.iter().map(|p| p.name.clone()).collect();
            format!("{}({})", f.name(), param_list(&params, required))
        }
        _ => bail!("The function [syntax] needs a named function"),
    };
    Ok(Value::string(text))
}

/// Parameters `X1..Xn` for a built-in with no documented syntax.
fn fallback_syntax(b: &Builtin) -> String {
    format!("{}({})", b.name, fallback_params(b))
}

fn fallback_params(b: &Builtin) -> String {
    let shown = b.max_args.min(b.min_args.max(1)).max(b.min_args);
    let names: Vec<String> = (1..=shown).map(|i| format!("X{}", i)).collect();
    param_list(&names, b.min_args)
}

/// The leading parameters before the last required one count as required.
fn required_count(required: impl Iterator<Item = bool>) -> usize {
    let flags: Vec<bool> = required.collect();
    flags.iter().rposition(|r| *r).map_or(0, |i| i + 1)
}

fn param_list(names: &[String], required: usize) -> String {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if i < required {
                n.clone()
            } else {
                format!("[{}]", n)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `defs([X])`: every function as a table (name, isCommand, userDefined, minParamCount,
/// maxParamCount, syntax), sorted by name; `X` filters names with `%` and `?` wildcards.
fn defs(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let pattern = match args.first().filter(|v| !v.is_void()) {
        Some(v) => Some(str_arg("defs", v, "X")?.to_string()),
        None => None,
    };
    let mut rows: Vec<DefRow> = Vec::new();
    for b in registry().values().filter(|b| !b.name.starts_with("__")) {
        let params = match signature(b.name) {
            Some(s) => format!("({})", s.text),
            None => format!("({})", fallback_params(b)),
        };
        rows.push((b.name.to_string(), false, b.min_args, b.max_args, params));
    }
    for (name, params, required) in env.user_functions() {
        let text = format!("({})", param_list(&params, required));
        rows.retain(|r| r.0 != name);
        rows.push((name, true, required, params.len(), text));
    }
    if let Some(p) = &pattern {
        rows.retain(|r| wildcard_match(p.as_bytes(), r.0.as_bytes()));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let int_col =
        |f: &dyn Fn(&DefRow) -> i32| Vector::from_i32(DataType::Int, rows.iter().map(f).collect());
    let columns = vec![
        Vector::from_strings(rows.iter().map(|r| r.0.clone()).collect()),
        int_col(&|_| 0),
        int_col(&|r| r.1 as i32),
        int_col(&|r| r.2 as i32),
        int_col(&|r| r.3.min(i32::MAX as usize) as i32),
        Vector::from_strings(rows.iter().map(|r| r.4.clone()).collect()),
    ];
    let names = [
        "name",
        "isCommand",
        "userDefined",
        "minParamCount",
        "maxParamCount",
        "syntax",
    ];
    Ok(Value::table(Table::new(
        names.iter().map(|n| n.to_string()).collect(),
        columns,
    )))
}

/// One row of `defs`: name, userDefined, minParamCount, maxParamCount, syntax.
type DefRow = (String, bool, usize, usize, String);

/// SQL-style wildcards: `%` any run of characters, `?` exactly one.
fn wildcard_match(p: &[u8], s: &[u8]) -> bool {
    // Iterative matcher with backtracking to the last `%`.
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'%' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'%' {
        pi += 1;
    }
    pi == p.len()
}

/// `objs([shared=false])`: the session's variables (and with `shared`, the shared objects
/// this session can see) as a table: name, type, form, rows, columns, bytes, shared, extra.
fn objs(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let with_shared = match args.first().filter(|v| !v.is_void()) {
        Some(v) => bool_arg("objs", v, "shared")?,
        None => false,
    };
    let mut names = env.var_names();
    names.sort();
    let mut rows: Vec<(String, Value, bool)> = Vec::new();
    for n in names {
        if let Some(v) = env.get_var(&n) {
            if as_function(&v).is_none() {
                rows.push((n, v, false));
            }
        }
    }
    if with_shared {
        let mut shared = env.host().shared_names();
        shared.sort();
        for n in shared {
            if rows.iter().any(|r| r.0 == n) {
                continue;
            }
            if let Some(v) = env.host().shared(&n) {
                rows.push((n, v, true));
            }
        }
    }
    let mut cols: [Vec<String>; 3] = Default::default();
    let (mut nrows, mut ncols, mut bytes, mut shared) = (vec![], vec![], vec![], vec![]);
    for (name, v, is_shared) in &rows {
        cols[0].push(name.clone());
        cols[1].push(object_type(v));
        cols[2].push(v.form().name().to_string());
        let (r, c) = shape(v);
        nrows.push(r);
        ncols.push(c);
        bytes.push(mem_size(v));
        shared.push(*is_shared as i8);
    }
    let [name_col, type_col, form_col] = cols;
    let n = rows.len();
    Ok(Value::table(Table::new(
        [
            "name", "type", "form", "rows", "columns", "bytes", "shared", "extra",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        vec![
            Vector::from_strings(name_col),
            Vector::from_strings(type_col),
            Vector::from_strings(form_col),
            Vector::from_i64(DataType::Long, nrows),
            Vector::from_i64(DataType::Long, ncols),
            Vector::from_i64(DataType::Long, bytes),
            Vector::from_i8(DataType::Bool, shared),
            Vector::from_strings(vec![String::new(); n]),
        ],
    )))
}

/// The `type` column of `objs`: the element type, `BASIC` for an in-memory table.
fn object_type(v: &Value) -> String {
    match v {
        Value::Table(_) => "BASIC".to_string(),
        Value::Dict(d) => d.values.ty.name().to_string(),
        Value::Set(s) => s.keys.ty.name().to_string(),
        Value::Matrix(m) => m.data.ty.name().to_string(),
        other => other.data_type().name().to_string(),
    }
}

/// Rows and columns as `objs` reports them.
fn shape(v: &Value) -> (i64, i64) {
    match v {
        Value::Table(t) => (t.rows() as i64, t.cols() as i64),
        Value::Matrix(m) => (m.rows as i64, m.cols as i64),
        Value::Scalar(_) => (1, 1),
        other => (other.len() as i64, 1),
    }
}

/// An estimate of the memory an object holds, in bytes.
fn mem_size(v: &Value) -> i64 {
    fn vector_bytes(v: &Vector) -> i64 {
        match v.ty {
            DataType::String | DataType::Blob => (0..v.len())
                .map(|i| v.str_at(i).map_or(0, |s| s.len() as i64 + 1))
                .sum(),
            ty => ty.wire_width().unwrap_or(8) as i64 * v.len() as i64,
        }
    }
    match v {
        Value::Scalar(s) => vector_bytes(s).max(16),
        Value::Vector(x) | Value::Pair(x) => vector_bytes(x),
        Value::Matrix(m) => vector_bytes(&m.data),
        Value::Set(s) => vector_bytes(&s.keys),
        Value::Dict(d) => vector_bytes(&d.keys) + vector_bytes(&d.values),
        Value::Table(t) => t.columns.iter().map(|c| vector_bytes(c)).sum(),
        Value::Object(_) => 0,
    }
}

/// `getRequiredAPIVersion()`: `(version, message)`; 0 means any client API version will do.
fn required_api_version(_env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    Ok(Value::tuple(vec![Value::int(0), Value::string("")]))
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards_match_like_sql() {
        assert!(wildcard_match(b"bit%", b"bitAnd"));
        assert!(wildcard_match(b"%sin", b"asin"));
        assert!(wildcard_match(b"%sin", b"sin"));
        assert!(wildcard_match(b"?sin", b"asin"));
        assert!(!wildcard_match(b"?sin", b"sin"));
        assert!(!wildcard_match(b"%sin", b"sinh"));
        assert!(wildcard_match(b"%", b""));
    }
}
