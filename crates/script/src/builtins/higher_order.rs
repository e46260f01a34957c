//! Built-ins: higher-order functions (templates) and `print`/`call`.
//!
//! `each(f, X, Y...)` (`:E`), `peach`, `loop`/`ploop`, `eachLeft` (`:L`), `eachRight` (`:R`),
//! `eachPre` (`:P`), `eachPost` (`:O`), `accumulate` (`:A`), `reduce` (`:T`), `cross` (`:C`),
//! `pcross`, `call`, `unifiedCall`. An argument is split into items as DolphinDB does: vector
//! elements, matrix columns, table rows (as dictionaries), dictionary values; a scalar is passed
//! whole to every call. Results are assembled by DolphinDB's default rule: scalars of one type
//! make a vector, vectors of one type and length make a matrix, anything else a tuple.

use std::sync::Arc;

use value::{DataType, Dict, Matrix, Value, Vector};

use super::{builtin, Builtin, Env, Kind};
use crate::interp::items::{item, item_count};
use crate::literal::vector_from_scalars;
use crate::{Error, Result};

/// Most arguments a variadic higher-order function takes.
const ARGS_MAX: usize = 1024;

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("each", 2, ARGS_MAX, Kind::Other, each),
        builtin("peach", 2, ARGS_MAX, Kind::Other, each),
        builtin("loop", 2, ARGS_MAX, Kind::Other, loop_),
        builtin("ploop", 2, ARGS_MAX, Kind::Other, loop_),
        builtin("eachLeft", 3, 4, Kind::Other, each_left),
        builtin("eachRight", 3, 4, Kind::Other, each_right),
        builtin("eachPre", 2, 4, Kind::Other, each_pre),
        builtin("eachPost", 2, 4, Kind::Other, each_post),
        builtin("accumulate", 2, 4, Kind::Other, accumulate),
        builtin("reduce", 2, 4, Kind::Other, reduce),
        builtin("cross", 2, 4, Kind::Other, cross),
        builtin("pcross", 2, 4, Kind::Other, cross),
        builtin("call", 1, ARGS_MAX, Kind::Other, call),
        builtin("unifiedCall", 2, 2, Kind::Other, unified_call),
        builtin("print", 0, ARGS_MAX, Kind::Other, print),
    ]
}

/// The common item count of the non-scalar arguments.
fn common_count(name: &str, args: &[Value]) -> Result<Option<usize>> {
    let mut n = None;
    for a in args {
        if let Some(k) = item_count(a) {
            match n {
                None => n = Some(k),
                Some(m) if m == k => {}
                Some(m) => {
                    return Err(Error::new(format!(
                        "The arguments of [{}] must have the same size: {} vs {}",
                        name, m, k
                    )))
                }
            }
        }
    }
    Ok(n)
}

/// Calls `f` on item `i` of every argument.
fn map_items(env: &mut dyn Env, f: &Value, args: &[Value], n: usize) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let call_args: Vec<Value> = args
            .iter()
            .map(|a| match item_count(a) {
                Some(_) => item(a, i),
                None => a.clone(),
            })
            .collect();
        out.push(env.call(f, &call_args)?);
    }
    Ok(out)
}

fn each(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (f, rest) = (&args[0], &args[1..]);
    let Some(n) = common_count("each", rest)? else {
        return env.call(f, rest);
    };
    let results = map_items(env, f, rest, n)?;
    keyed_like(&rest[0], assemble(results))
}

fn loop_(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (f, rest) = (&args[0], &args[1..]);
    let Some(n) = common_count("loop", rest)? else {
        return Ok(Value::tuple(vec![env.call(f, rest)?]));
    };
    Ok(Value::tuple(map_items(env, f, rest, n)?))
}

fn each_left(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (f, x, y) = (&args[0], &args[1], &args[2]);
    let n = item_count(x).unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let xi = if item_count(x).is_some() {
            item(x, i)
        } else {
            x.clone()
        };
        out.push(env.call(f, &[xi, y.clone()])?);
    }
    keyed_like(x, labelled(assemble(out), x))
}

fn each_right(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (f, x, y) = (&args[0], &args[1], &args[2]);
    let n = item_count(y).unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let yi = if item_count(y).is_some() {
            item(y, i)
        } else {
            y.clone()
        };
        out.push(env.call(f, &[x.clone(), yi])?);
    }
    keyed_like(y, labelled(assemble(out), y))
}

/// `eachPre(f, X, [pre])`: `f(X[i], X[i-1])`; the first item uses `pre`, or is null.
fn each_pre(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (f, x) = (&args[0], &args[1]);
    let n = item_count(x).unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let cur = item(x, i);
        if i == 0 {
            match args.get(2) {
                Some(pre) => out.push(env.call(f, &[cur, pre.clone()])?),
                None => out.push(Value::void()),
            }
        } else {
            out.push(env.call(f, &[cur, item(x, i - 1)])?);
        }
    }
    Ok(assemble(out))
}

/// `eachPost(f, X, [post])`: `f(X[i], X[i+1])`; the last item uses `post`, or is null.
fn each_post(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (f, x) = (&args[0], &args[1]);
    let n = item_count(x).unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let cur = item(x, i);
        if i + 1 == n {
            match args.get(2) {
                Some(post) => out.push(env.call(f, &[cur, post.clone()])?),
                None => out.push(Value::void()),
            }
        } else {
            out.push(env.call(f, &[cur, item(x, i + 1)])?);
        }
    }
    Ok(assemble(out))
}

/// The running results of `f(acc, X[i])`, starting from `init` or `X[0]`.
fn running(env: &mut dyn Env, args: &[Value]) -> Result<Vec<Value>> {
    let (f, x) = (&args[0], &args[1]);
    let n = item_count(x).unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    let mut acc: Option<Value> = args.get(2).cloned();
    for i in 0..n {
        let xi = if item_count(x).is_some() {
            item(x, i)
        } else {
            x.clone()
        };
        let next = match acc.take() {
            None => xi,
            Some(a) => env.call(f, &[a, xi])?,
        };
        out.push(next.clone());
        acc = Some(next);
    }
    Ok(out)
}

fn accumulate(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    Ok(assemble(running(env, args)?))
}

fn reduce(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let mut all = running(env, args)?;
    match all.pop() {
        Some(v) => Ok(v),
        None => Ok(args.get(2).cloned().unwrap_or_else(Value::void)),
    }
}

/// `cross(f, X, [Y])`: `f(X[i], Y[j])` for every pair, as a matrix with X down the rows.
fn cross(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let f = &args[0];
    let x = &args[1];
    let y = args.get(2).unwrap_or(x);
    let (nx, ny) = (item_count(x).unwrap_or(1), item_count(y).unwrap_or(1));
    let mut cells = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        for i in 0..nx {
            cells.push(env.call(f, &[item(x, i), item(y, j)])?);
        }
    }
    if cells.iter().all(|c| matches!(c, Value::Scalar(_))) {
        if let Some(data) = vector_from_scalars(&cells) {
            if data.ty != DataType::Void && data.len() == nx * ny {
                let mut m = Matrix::new(data, nx, ny);
                m.row_labels = labels(x);
                m.col_labels = labels(y);
                return Ok(Value::Matrix(Arc::new(m)));
            }
        }
    }
    Ok(Value::tuple(cells))
}

fn labels(v: &Value) -> Option<Vector> {
    match v {
        Value::Vector(x) | Value::Pair(x) if x.ty != DataType::Any => Some((**x).clone()),
        _ => None,
    }
}

fn call(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    env.call(&args[0], &args[1..])
}

fn unified_call(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let items: Vec<Value> = match &args[1] {
        Value::Vector(x) | Value::Pair(x) => (0..x.len()).map(|i| x.get(i)).collect(),
        other => vec![other.clone()],
    };
    env.call(&args[0], &items)
}

fn print(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    for a in args {
        let text = value::display::to_display(a);
        env.print(&text);
    }
    Ok(Value::void())
}

/// DolphinDB's default assembly: scalars of one type make a vector (VOID nulls join any
/// type), vectors of one type and length make a matrix, anything else a tuple.
pub fn assemble(results: Vec<Value>) -> Value {
    if results.is_empty() {
        return Value::tuple(results);
    }
    if results.iter().all(|r| matches!(r, Value::Scalar(_))) {
        let mut ty = None;
        let mut same = true;
        for r in &results {
            let t = r.data_type();
            if t == DataType::Void {
                continue;
            }
            match ty {
                None => ty = Some(t),
                Some(u) if u == t => {}
                Some(_) => same = false,
            }
        }
        if same {
            if let Some(v) = vector_from_scalars(&results) {
                return Value::vector(v);
            }
        }
        return Value::tuple(results);
    }
    if let Some(m) = as_matrix(&results) {
        return m;
    }
    Value::tuple(results)
}

fn as_matrix(results: &[Value]) -> Option<Value> {
    let first = match &results[0] {
        Value::Vector(x) if x.ty != DataType::Any && !x.is_array() => x.clone(),
        _ => return None,
    };
    let rows = first.len();
    let mut data = Vector::with_capacity(first.ty, rows * results.len());
    data.scale = first.scale;
    for r in results {
        match r {
            Value::Vector(x) if x.ty == first.ty && x.len() == rows && !x.is_array() => {
                if !data.extend(x) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(Value::Matrix(Arc::new(Matrix::new(
        data,
        rows,
        results.len(),
    ))))
}

/// eachLeft/eachRight: a matrix result has the iterated items as column labels.
fn labelled(result: Value, items: &Value) -> Value {
    match result {
        Value::Matrix(mut m) if labels(items).is_some() => {
            Arc::make_mut(&mut m).col_labels = labels(items);
            Value::Matrix(m)
        }
        other => other,
    }
}

/// Over a dictionary, `each` keeps the keys: the result is a dictionary.
fn keyed_like(arg: &Value, result: Value) -> Result<Value> {
    let Value::Dict(d) = arg else {
        return Ok(result);
    };
    let values = match result {
        Value::Vector(v) => (*v).clone(),
        other => Vector::from_values(vec![other]),
    };
    if values.len() != d.len() {
        return Ok(Value::vector(values));
    }
    let mut out = Dict::from_vectors(d.keys.clone(), values);
    out.ordered = d.ordered;
    Ok(Value::dict(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_by_the_default_rule() {
        let v = assemble(vec![Value::int(1), Value::void(), Value::int(3)]);
        assert!(matches!(&v, Value::Vector(x) if x.ty == DataType::Int && x.is_null(1)));
        let t = assemble(vec![Value::int(1), Value::double(2.0)]);
        assert!(matches!(&t, Value::Vector(x) if x.ty == DataType::Any));
        let m = assemble(vec![
            Value::vector(Vector::from_i32(DataType::Int, vec![1, 2])),
            Value::vector(Vector::from_i32(DataType::Int, vec![3, 4])),
        ]);
        assert!(matches!(&m, Value::Matrix(x) if x.rows == 2 && x.cols == 2));
    }
}
