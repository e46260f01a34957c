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

/// Every DFS database for an administrator; for another user, those it holds a DB_* or
/// TABLE_* privilege on (DolphinDB's rule).
fn get_cluster_dfs_databases(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let names = match env.host().node_function("getClusterDFSDatabases", args) {
        Some(r) => r?,
        None => Value::vector(Vector::from_strings(match env.host().dfs() {
            Some(d) => d.databases(),
            None => Vec::new(),
        })),
    };
    let user = env.host().user();
    if crate::acl::is_superuser(&user) {
        return Ok(names);
    }
    let acl = match env.host().acl() {
        Some(store) => store.snapshot(false).map_err(Error::new)?,
        None => return Ok(names),
    };
    if acl.is_admin(&user) {
        return Ok(names);
    }
    let Some(v) = names.as_vector() else {
        return Ok(names);
    };
    let visible: Vec<String> = (0..v.len())
        .filter_map(|i| v.str_at(i).map(str::to_string))
        .filter(|db| {
            let tables = format!("{db}/");
            let mut objs: Vec<&str> = vec![db.as_str()];
            let owned: Vec<String> = acl
                .privileges
                .values()
                .flat_map(|m| m.values())
                .flat_map(|o| o.keys())
                .filter(|o| o.starts_with(&tables))
                .cloned()
                .collect();
            objs.extend(owned.iter().map(String::as_str));
            acl.allowed(&user, &DB_VISIBLE, &objs)
        })
        .collect();
    Ok(Value::vector(Vector::from_strings(visible)))
}

/// The privileges that make a database show in `getClusterDFSDatabases`.
const DB_VISIBLE: [&str; 14] = [
    "DB_READ",
    "DB_WRITE",
    "DB_INSERT",
    "DB_UPDATE",
    "DB_DELETE",
    "DB_OWNER",
    "DB_MANAGE",
    "DBOBJ_CREATE",
    "DBOBJ_DELETE",
    "TABLE_READ",
    "TABLE_WRITE",
    "TABLE_INSERT",
    "TABLE_UPDATE",
    "TABLE_DELETE",
];
