//! `cluster.nodes` and `cluster.cfg` as script functions of the controller, with DolphinDB's
//! names (the web console's configuration page uses them): `getClusterNodesCfg()`,
//! `saveClusterNodes(lines)`, `loadClusterNodesConfigs()`, `saveClusterNodesConfigs(lines)`. Saving validates every line
//! (as the files are validated at start) and persists through Raft (`Command::SetNodes`,
//! `Command::ReplaceConfig`); on a follower it fails with `<NotLeader>`.

use std::sync::{Arc, Weak};

use value::{DataType, Value, Vector};

use super::Controller;
use crate::config::{parse_nodes, ClusterCfg, NODES_HEADER};
use crate::raft::state::NodeEntry;
use crate::raft::Command;
use crate::rpc::{self, Rpc};

pub const FUNCTIONS: [&str; 4] = [
    "getClusterNodesCfg",
    "saveClusterNodes",
    "loadClusterNodesConfigs",
    "saveClusterNodesConfigs",
];

fn running(c: &Weak<Controller>) -> Result<Arc<Controller>, String> {
    c.upgrade()
        .ok_or_else(|| "The controller is not running".to_string())
}

/// The string elements of a STRING scalar or vector.
fn lines_arg(fname: &str, v: Option<&Value>) -> Result<Vec<String>, String> {
    let bad = || format!("The argument of {fname} must be a string vector");
    match v.ok_or_else(bad)? {
        Value::Scalar(s) if matches!(s.ty, DataType::String | DataType::Symbol) => {
            Ok(vec![value::display::element_string(s, 0)])
        }
        Value::Vector(x) if matches!(x.ty, DataType::String | DataType::Symbol) => Ok((0..x.len())
            .map(|i| value::display::element_string(x, i))
            .collect()),
        _ => Err(bad()),
    }
}

/// One `cluster.nodes` row: `host:port:alias,mode[,computeGroup[,zone]]`.
fn node_line(n: &NodeEntry) -> String {
    let mut s = format!("{},{}", n.site(), n.mode);
    if !n.compute_group.is_empty() || !n.zone.is_empty() {
        s.push_str(&format!(",{}", n.compute_group));
    }
    if !n.zone.is_empty() {
        s.push_str(&format!(",{}", n.zone));
    }
    s
}

/// Parses and checks a new `cluster.nodes`: the rows (a header line is optional), and the
/// controllers of the running Raft group must all stay (they can't be removed by editing).
pub fn parse_node_lines(lines: &[String], members: &[String]) -> Result<Vec<NodeEntry>, String> {
    let has_header = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.to_ascii_lowercase().starts_with("localsite"));
    let mut text = String::new();
    if !has_header {
        text.push_str(NODES_HEADER);
        text.push_str(",computeGroup,zone\n");
    }
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    let (nodes, _) = parse_nodes(&text, "cluster.nodes")?;
    let nodes: Vec<NodeEntry> = nodes.iter().map(NodeEntry::from).collect();
    for m in members {
        if !nodes
            .iter()
            .any(|n| &n.alias == m && n.mode == "controller")
        {
            return Err(format!(
                "The controller {m} is a member of the Raft group and must stay in cluster.nodes"
            ));
        }
    }
    Ok(nodes)
}

pub fn register(c: &Arc<Controller>) {
    let rpc: &Rpc = &c.rpc;
    let handle = tokio::runtime::Handle::current();
    let w = Arc::downgrade(c);
    rpc.register_function("getClusterNodesCfg", move |_| {
        let ctl = running(&w)?;
        let lines = ctl.read(|s| s.nodes.values().map(node_line).collect::<Vec<_>>());
        Ok(Value::vector(Vector::from_strings(lines)))
    });
    let w = Arc::downgrade(c);
    rpc.register_function("loadClusterNodesConfigs", move |_| {
        let ctl = running(&w)?;
        let lines = ctl.read(|s| {
            s.config
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        });
        Ok(Value::vector(Vector::from_strings(lines)))
    });
    let (w, h) = (Arc::downgrade(c), handle.clone());
    rpc.register_function("saveClusterNodes", move |args| {
        let ctl = running(&w)?;
        let lines = lines_arg("saveClusterNodes", args.first())?;
        // Raft members listed in cluster.nodes must stay (the quick layout lists none).
        let members: Vec<String> = ctl
            .members()
            .into_iter()
            .map(|m| m.alias)
            .filter(|a| ctl.read(|s| s.nodes.contains_key(a)))
            .collect();
        let nodes = parse_node_lines(&lines, &members)?;
        rpc::block_on(&h, ctl.propose(Command::SetNodes(nodes)))?.map_err(|e| e.to_string())?;
        Ok(Value::void())
    });
    let (w, h) = (Arc::downgrade(c), handle);
    rpc.register_function("saveClusterNodesConfigs", move |args| {
        let ctl = running(&w)?;
        let lines = lines_arg("saveClusterNodesConfigs", args.first())?;
        let cfg = ClusterCfg::from_lines(&lines)?;
        let pairs = cfg
            .entries
            .iter()
            .map(|e| {
                let key = if e.qualifier.is_empty() {
                    e.key.clone()
                } else {
                    format!("{}.{}", e.qualifier, e.key)
                };
                (key, e.value.clone())
            })
            .collect();
        rpc::block_on(&h, ctl.propose(Command::ReplaceConfig(pairs)))?
            .map_err(|e| e.to_string())?;
        Ok(Value::void())
    });
}

pub fn unregister(rpc: &Rpc) {
    for f in FUNCTIONS {
        rpc.unregister_function(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn node_lines_are_validated() {
        let members = vec!["master".to_string()];
        let ok = parse_node_lines(
            &lines(&[
                "127.0.0.1:8900:master,controller",
                "127.0.0.1:8710:P1-agent,agent",
                "127.0.0.1:8711:P1-node1,datanode",
            ]),
            &members,
        )
        .unwrap();
        assert_eq!(ok.len(), 3);
        assert_eq!(node_line(&ok[2]), "127.0.0.1:8711:P1-node1,datanode");
        let bad_mode = parse_node_lines(
            &lines(&["127.0.0.1:8900:master,controller", "127.0.0.1:1:x,dancer"]),
            &members,
        );
        assert!(bad_mode.unwrap_err().contains("invalid mode [dancer]"));
        let twice = parse_node_lines(
            &lines(&[
                "127.0.0.1:8900:master,controller",
                "127.0.0.1:8901:master,agent",
            ]),
            &members,
        );
        assert!(twice.unwrap_err().contains("used twice"));
        let no_ctl = parse_node_lines(&lines(&["127.0.0.1:8710:P1-agent,agent"]), &members);
        assert!(no_ctl.unwrap_err().contains("must stay"));
        // A header line is accepted too.
        let with_header = parse_node_lines(
            &lines(&["localSite,mode", "127.0.0.1:8900:master,controller"]),
            &members,
        );
        assert_eq!(with_header.unwrap().len(), 1);
    }

    #[test]
    fn string_arguments() {
        let v = Value::vector(Vector::from_strings(lines(&["a=1", "b=2"])));
        assert_eq!(lines_arg("f", Some(&v)).unwrap(), lines(&["a=1", "b=2"]));
        assert!(lines_arg("f", Some(&Value::int(1))).is_err());
        assert!(lines_arg("f", None).is_err());
    }
}
