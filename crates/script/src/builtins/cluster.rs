//! Built-ins for a cluster's nodes, answered by the controllers (crates/cluster, helper nodes):
//! `getClusterPerf`, `getDataNodes`, `getComputeNodes`, `startDataNode`, `stopDataNode`,
//! `startComputeNode`, `stopComputeNode`. They forward to `Host::node_function`; a node without
//! the cluster service (a standalone node) says where they can run. `getConfig(key)` reads the
//! node's effective configuration (on a data node: cluster.cfg, its own file and flags).

use value::Value;

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
    ]
}

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

/// Starting and stopping nodes needs a logged-in user.
fn forward_logged_in(env: &mut dyn Env, name: &str, args: &[Value]) -> Result<Value> {
    if env.host().user() == "guest" {
        return Err(Error::new(format!(
            "<NoPrivilege>Login is required to call {name}"
        )));
    }
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
