//! Built-ins for a cluster's nodes, answered by the controllers (crates/cluster, helper nodes):
//! `getClusterPerf`, `getDataNodes`, `getComputeNodes`, `startDataNode`, `stopDataNode`,
//! `startComputeNode`, `stopComputeNode`. They forward to `Host::node_function`; a node without
//! the cluster service (a standalone node) says where they can run. `getConfig(key)` reads the
//! node's effective configuration (on a data node: cluster.cfg, its own file and flags).
//! `rpc(alias, func, args...)` calls a built-in on another node of the cluster (the official
//! clients' high-availability connect runs `rpc(getControllerAlias(), getClusterPerf)`).

use value::Value;

use crate::interp::{as_function, Callable};

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

/// `rpc(nodeAlias, func, args...)`: runs `func(args...)` on the node `nodeAlias` and returns
/// its result; on this node itself it is a plain call. `func` is a built-in or a partial
/// application of one (its fixed arguments travel with the call).
fn rpc(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let alias = args[0]
        .as_str()
        .ok_or_else(|| Error::new("The first argument of rpc must be a node alias"))?
        .to_string();
    let f = &args[1];
    let rest = &args[2..];
    if alias == env.host().node_alias() {
        return env.call(f, rest);
    }
    if env.host().user() == "guest" {
        return Err(Error::new("<NoPrivilege>Login is required to call rpc"));
    }
    let (name, call_args) = remote_call(f, rest)?;
    let mut fwd = Vec::with_capacity(call_args.len() + 2);
    fwd.push(Value::string(alias));
    fwd.push(Value::string(name));
    fwd.extend(call_args);
    forward(env, "rpc", &fwd)
}

/// The built-in's name and its full argument list (a partial application's fixed arguments
/// with the call's arguments in its empty slots, the rest after them).
fn remote_call(f: &Value, rest: &[Value]) -> Result<(String, Vec<Value>)> {
    let fv = as_function(f)
        .ok_or_else(|| Error::new("The second argument of rpc must be a function"))?;
    match &fv.callable {
        Callable::Builtin(b) => Ok((b.name.to_string(), rest.to_vec())),
        Callable::Partial(inner, slots) => {
            let (name, _) = remote_call(&Value::Object(inner.clone()), &[])?;
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
            Ok((name, out))
        }
        _ => Err(Error::new(format!(
            "rpc can call built-in functions only; {} is not one",
            fv.name()
        ))),
    }
}
