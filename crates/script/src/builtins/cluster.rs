//! Built-ins for a cluster's nodes, answered by the controllers (crates/cluster, helper nodes):
//! `getClusterPerf`, `getDataNodes`, `getComputeNodes`, `startDataNode`, `stopDataNode`,
//! `startComputeNode`, `stopComputeNode`. They forward to `Host::node_function`; a node without
//! the cluster service (a standalone node) says where they can run. `getConfig(key)` reads the
//! node's effective configuration (on a data node: cluster.cfg, its own file and flags).
//! `rpc(alias, func, args...)` calls a built-in on another node of the cluster (the official
//! clients' high-availability connect runs `rpc(getControllerAlias(), getClusterPerf)`).

use value::{Dict, Table, Value, Vector};

use crate::interp::{as_function, Callable};

use super::data_util::strings_arg;
use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("getClusterPerf", 0, 1, Kind::Other, get_cluster_perf),
        builtin("getDataNodes", 0, 0, Kind::Other, get_data_nodes),
        builtin("getComputeNodes", 0, 0, Kind::Other, get_compute_nodes),
        builtin("startDataNode", 1, 1, Kind::Other, start_data_node),
        builtin("stopDataNode", 1, 1, Kind::Other, stop_data_node),
        builtin("startComputeNode", 1, 1, Kind::Other, start_compute_node),
        builtin("stopComputeNode", 1, 1, Kind::Other, stop_compute_node),
        builtin("getConfig", 1, 1, Kind::Other, get_config),
        builtin("rpc", 2, RPC_ARGS_MAX + 2, Kind::Other, rpc),
        builtin("pnodeRun", 1, 3, Kind::Other, pnode_run),
    ]
}

/// Most arguments `rpc` passes on.
pub const RPC_ARGS_MAX: usize = 1024;

fn forward(env: &mut dyn Env, name: &str, args: &[Value]) -> Result<Value> {
    match env.host().node_function(name, args) {
        Some(r) => r,
        None => Err(Error::new(format!(
            "{name} can only be called on a controller of a cluster"
        ))),
    }
}

fn get_cluster_perf(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward(env, "getClusterPerf", args)
}

fn get_data_nodes(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward(env, "getDataNodes", args)
}

fn get_compute_nodes(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward(env, "getComputeNodes", args)
}

/// Starting and stopping nodes needs an administrator (DolphinDB: the web console's start and
/// stop buttons ask for an administrator's login).
fn forward_logged_in(env: &mut dyn Env, name: &str, args: &[Value]) -> Result<Value> {
    super::acl::require_admin(env, name)?;
    forward(env, name, args)
}

fn start_data_node(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward_logged_in(env, "startDataNode", args)
}

fn stop_data_node(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward_logged_in(env, "stopDataNode", args)
}

fn start_compute_node(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward_logged_in(env, "startComputeNode", args)
}

fn stop_compute_node(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward_logged_in(env, "stopComputeNode", args)
}

/// `getConfig(key)`: the value of a configuration parameter as a string (empty when unset).
fn get_config(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let key = args
        .first()
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::new("The argument of getConfig must be a string"))?;
    Ok(Value::string(env.host().config(key).unwrap_or_default()))
}

/// `rpc(nodeAlias, func, args...)`: runs `func(args...)` on the node `nodeAlias` as the current
/// user (the other node checks that user's privileges) and returns its result; on this node
/// itself it is a plain call. `func` is a built-in, a user-defined function (named or a lambda,
/// shipped as its source text: it may call built-ins, not other functions of this session, and
/// a lambda may not capture local variables), or a partial application of one (its fixed
/// arguments travel with the call).
fn rpc(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let alias = args[0]
        .as_str()
        .ok_or_else(|| Error::new("The first argument of rpc must be a node alias"))?
        .to_string();
    if alias == env.host().node_alias() {
        return env.call(&args[1], &args[2..]);
    }
    call_remote(env, Value::string(alias), &args[1], &args[2..])
}

/// The name a shipped lambda gets on the other node.
const SHIPPED_LAMBDA: &str = "__rpcLambda";

/// A call to run on another node: a script that defines the function first (empty for a
/// built-in), the expression that names it, and the full argument list.
pub(crate) struct RemoteCall {
    pub(crate) setup: String,
    pub(crate) func: String,
    pub(crate) args: Vec<Value>,
}

/// `alias`: one node's alias (a STRING scalar) or several (a STRING vector: the nodes are
/// called at once and the answer is an ANY vector of their results, in order).
fn call_remote(env: &mut dyn Env, alias: Value, f: &Value, rest: &[Value]) -> Result<Value> {
    let user = env.host().user();
    if user == crate::acl::GUEST {
        return Err(super::acl::not_logged_in());
    }
    let call = remote_call(f, rest)?;
    let mut fwd = Vec::with_capacity(call.args.len() + 4);
    fwd.push(alias);
    fwd.push(Value::string(user));
    fwd.push(Value::string(call.setup));
    fwd.push(Value::string(call.func));
    fwd.extend(call.args);
    forward(env, "rpc", &fwd)
}

/// How `f(rest...)` travels (a partial application's fixed arguments with the call's
/// arguments in its empty slots, the rest after them).
pub(crate) fn remote_call(f: &Value, rest: &[Value]) -> Result<RemoteCall> {
    let fv = as_function(f)
        .ok_or_else(|| Error::new("The second argument of rpc must be a function"))?;
    match &fv.callable {
        Callable::Builtin(b) => Ok(RemoteCall {
            setup: String::new(),
            func: b.name.to_string(),
            args: rest.to_vec(),
        }),
        Callable::User(def, captured) => {
            if !captured.is_empty() {
                return Err(Error::new(
                    "rpc can't ship a lambda that uses local variables of its function",
                ));
            }
            let source = def.source.trim();
            let (setup, func) = if def.name.is_empty() {
                (
                    format!("{SHIPPED_LAMBDA} = {source}"),
                    SHIPPED_LAMBDA.to_string(),
                )
            } else {
                (source.to_string(), def.name.clone())
            };
            Ok(RemoteCall {
                setup,
                func,
                args: rest.to_vec(),
            })
        }
        Callable::Partial(inner, slots) => {
            let inner = remote_call(&Value::Object(inner.clone()), &[])?;
            let mut given = rest.iter().cloned();
            let mut out: Vec<Value> = slots
                .iter()
                .map(|s| {
                    s.clone()
                        .or_else(|| given.next())
                        .unwrap_or_else(Value::void)
                })
                .collect();
            out.extend(given);
            Ok(RemoteCall { args: out, ..inner })
        }
        _ => Err(Error::new(format!(
            "rpc can't ship the function {}",
            fv.name()
        ))),
    }
}

/// `pnodeRun(func, [nodes], [addNodeAlias=true])`: runs `func()` on each node (by default every
/// data and compute node of the cluster; on a standalone node, this node) and merges the
/// results: tables are stacked (with a `node` column when `addNodeAlias`), scalars become a
/// table of `node` and `value`, anything else a dictionary from node to result. The other
/// nodes are called at once.
fn pnode_run(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let f = &args[0];
    let nodes = match args.get(1) {
        Some(v) if !v.is_null() => strings_arg("pnodeRun", v, "nodes")?,
        _ => cluster_nodes(env),
    };
    let add_alias = match args.get(2) {
        Some(v) if !v.is_null() => v.as_bool().unwrap_or(true),
        _ => true,
    };
    let me = env.host().node_alias();
    // The other nodes are called at once (one `rpc` with several aliases), this one here.
    let remote: Vec<String> = nodes.iter().filter(|n| **n != me).cloned().collect();
    let mut answers = if remote.is_empty() {
        Vec::new()
    } else {
        let v = call_remote(
            env,
            Value::vector(Vector::from_strings(remote.clone())),
            f,
            &[],
        )?;
        match v {
            Value::Vector(v) if v.len() == remote.len() => (0..v.len()).map(|i| v.get(i)).collect(),
            other => {
                return Err(Error::new(format!(
                    "Unexpected answer of the nodes: {other:?}"
                )))
            }
        }
    }
    .into_iter();
    let mut results = Vec::with_capacity(nodes.len());
    for n in nodes {
        let v = if n == me {
            env.call(f, &[])?
        } else {
            answers.next().unwrap_or_else(Value::void)
        };
        results.push((n, v));
    }
    merge_results(results, add_alias)
}

/// The data and compute nodes of the cluster; this node alone when it is not in one.
fn cluster_nodes(env: &mut dyn Env) -> Vec<String> {
    let mut out = Vec::new();
    for f in ["getDataNodes", "getComputeNodes"] {
        if let Some(Ok(v)) = env.host().node_function(f, &[]) {
            out.extend(strings_arg("pnodeRun", &v, "nodes").unwrap_or_default());
        }
    }
    if out.is_empty() {
        out.push(env.host().node_alias());
    }
    out
}

fn merge_results(results: Vec<(String, Value)>, add_alias: bool) -> Result<Value> {
    let nodes: Vec<String> = results.iter().map(|(n, _)| n.clone()).collect();
    if !results.is_empty() && results.iter().all(|(_, v)| matches!(v, Value::Table(_))) {
        let mut merged: Option<Table> = None;
        let mut labels = Vec::new();
        for (n, v) in &results {
            let Value::Table(t) = v else { continue };
            labels.extend(std::iter::repeat_n(n.clone(), t.rows()));
            merged = Some(match merged {
                None => (**t).clone(),
                Some(m) => super::tables::append_table(&m, v)?,
            });
        }
        let mut t = merged.unwrap_or_default();
        if add_alias {
            t.names.push("node".into());
            t.columns
                .push(std::sync::Arc::new(Vector::from_strings(labels)));
        }
        return Ok(Value::table(t));
    }
    if results.iter().all(|(_, v)| matches!(v, Value::Scalar(_))) {
        let values: Vec<Value> = results.into_iter().map(|(_, v)| v).collect();
        let col = crate::literal::vector_from_scalars(&values)
            .unwrap_or_else(|| Vector::from_values(values.clone()));
        return Ok(Value::table(Table::new(
            vec!["node".into(), "value".into()],
            vec![Vector::from_strings(nodes), col],
        )));
    }
    let values: Vec<Value> = results.into_iter().map(|(_, v)| v).collect();
    Ok(Value::dict(Dict::from_vectors(
        Vector::from_strings(nodes),
        Vector::from_values(values),
    )))
}
