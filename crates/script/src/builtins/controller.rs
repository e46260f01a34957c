//! Built-ins answered by a cluster's controllers: `getActiveMaster`, `getControllerAlias`,
//! `getClusterDFSDatabases`, `getClusterChunksStatus`, and the configuration functions of the
//! web console (`getClusterNodesCfg`, `saveClusterNodes`, `loadClusterNodesConfigs`,
//! `saveClusterNodesConfigs`; crates/cluster/src/controller/cluster_files.rs). The controller
//! state lives in crates/cluster, so these forward to
//! `Host::node_function` (helper raft); a node without a controller service answers what a
//! standalone node can.

use value::{Value, Vector};

use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("getActiveMaster", 0, 0, Kind::Other, get_active_master),
        builtin(
            "getControllerAlias",
            0,
            0,
            Kind::Other,
            get_controller_alias,
        ),
        builtin(
            "getClusterDFSDatabases",
            0,
            1,
            Kind::Other,
            get_cluster_dfs_databases,
        ),
        builtin("getClusterNodesCfg", 0, 0, Kind::Other, |env, args| {
            on_controller(env, "getClusterNodesCfg", args, false)
        }),
        builtin("saveClusterNodes", 1, 1, Kind::Other, |env, args| {
            on_controller(env, "saveClusterNodes", args, true)
        }),
        builtin("loadClusterNodesConfigs", 0, 0, Kind::Other, |env, args| {
            on_controller(env, "loadClusterNodesConfigs", args, false)
        }),
        builtin("saveClusterNodesConfigs", 1, 1, Kind::Other, |env, args| {
            on_controller(env, "saveClusterNodesConfigs", args, true)
        }),
        builtin(
            "getClusterChunksStatus",
            0,
            0,
            Kind::Other,
            get_cluster_chunks_status,
        ),
    ]
}

/// A controller function; `change`: it changes the cluster, so only administrators may call it.
fn on_controller(env: &mut dyn Env, name: &str, args: &[Value], change: bool) -> Result<Value> {
    if change {
        super::acl::require_admin(env, name)?;
    }
    match env.host().node_function(name, args) {
        Some(r) => r,
        None => Err(Error::new(format!(
            "{name} can only be called on a controller"
        ))),
    }
}

/// The chunks of the cluster and the state of their replicas (the controller's catalog).
fn get_cluster_chunks_status(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match env.host().node_function("getClusterChunksStatus", args) {
        Some(r) => r,
        None => Err(Error::new(
            "getClusterChunksStatus can only be called on a node of a cluster",
        )),
    }
}

fn get_active_master(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match env.host().node_function("getActiveMaster", args) {
        Some(r) => r,
        None => Err(Error::new(
            "getActiveMaster can only be called on a controller",
        )),
    }
}

fn get_controller_alias(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match env.host().node_function("getControllerAlias", args) {
        Some(r) => r,
        // A standalone node has no controller.
        None => Ok(Value::string("")),
    }
}

fn get_cluster_dfs_databases(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    if let Some(r) = env.host().node_function("getClusterDFSDatabases", args) {
        return r;
    }
    let names = match env.host().dfs() {
        Some(d) => d.databases(),
        None => Vec::new(),
    };
    Ok(Value::vector(Vector::from_strings(names)))
}
