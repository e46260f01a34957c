//! Built-ins that update their first argument in place: `pop!(X)` (removes and returns the
//! last element; the shortened vector goes back through `Env::set_in_place`) and
//! `dictUpdate!(dictionary, function, keys, parameters, [initFunc])`.

use std::sync::Arc;

use value::{Data, Dict, Value};

use super::data_util::cast;
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("pop!", 1, 1, Kind::Other, pop),
        builtin("dictUpdate!", 4, 5, Kind::Other, dict_update),
    ]
}

/// `pop!(X)`: the last element of vector `X`, which loses it. An empty vector gives NULL.
fn pop(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let Value::Vector(v) = &args[0] else {
        bail!("The argument X of function [pop!] must be a vector");
    };
    let n = v.len();
    if n == 0 {
        return Ok(Value::void());
    }
    let last = v.get(n - 1);
    env.set_in_place(Value::vector(v.slice(0, n - 1)));
    Ok(last)
}

/// `dictUpdate!(dictionary, function, keys, parameters, [initFunc])`: for each key, the
/// value becomes `function(value, parameter)`; a key not in the dictionary gets
/// `initFunc(parameter)`, or the parameter itself.
fn dict_update(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let f = "dictUpdate!";
    let Value::Dict(d) = &args[0] else {
        bail!(
            "The argument dictionary of function [{}] must be a dictionary",
            f
        );
    };
    let keys = items(&args[2]);
    let params = items(&args[3]);
    if keys.len() != params.len() {
        bail!(
            "The keys and parameters of function [{}] must have the same length",
            f
        );
    }
    let init = args.get(4).filter(|v| !v.is_void());
    let mut d: Dict = (**d).clone();
    for (k, p) in keys.into_iter().zip(params) {
        let Value::Scalar(k) = k else {
            bail!("A dictionary key must be a scalar");
        };
        let k = cast(&k, d.keys.ty, d.keys.scale)?;
        let current = d.position(&k.key_at(0)).map(|i| d.values.get(i));
        let new = match (current, init) {
            (Some(cur), _) => env.call(&args[1], &[cur, p])?,
            (None, Some(init)) => env.call(init, &[p])?,
            (None, None) => p,
        };
        let new = match (&d.values.data, new) {
            (Data::Any(_), v) => v,
            (_, Value::Scalar(s)) => Value::Scalar(cast(&s, d.values.ty, d.values.scale)?),
            _ => bail!("The value doesn't match the dictionary's value type"),
        };
        if !d.insert(&k, new) {
            bail!("The value doesn't match the dictionary's value type");
        }
    }
    Ok(Value::Dict(Arc::new(d)))
}

/// The elements of a scalar (one) or a vector/tuple (each).
fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Vector(x) | Value::Pair(x) => (0..x.len()).map(|i| x.get(i)).collect(),
        other => vec![other.clone()],
    }
}
