//! DolphinDB's cluster files, exactly as DolphinDB reads them:
//! - `cluster.nodes`: who is in the cluster (`nodes`), a CSV with the header
//!   `localSite,mode[,computeGroup][,zone]`;
//! - `cluster.cfg`: settings of data and compute nodes, each key optionally qualified by an
//!   alias, a wildcard pattern (`P1-%.publicName`) or a compute group (`cluster_cfg`);
//! - `sites` and `controllerSite` in `agent.cfg` (`Site`, `parse_sites`).
//!
//! `controller.cfg` and `agent.cfg` are ordinary node files (`key=value`), read by the server's
//! config reader; this module only adds what is particular to a cluster. A node's effective
//! settings are `ClusterCfg::for_node` (the cluster.cfg entries that match its alias, the most
//! specific winning) followed by its own file and flags.

mod cluster_cfg;
mod nodes;

pub use cluster_cfg::{wildcard_match, CfgEntry, ClusterCfg};
pub use nodes::{format_nodes, parse_nodes, NodeEntry, NODES_HEADER};

/// Longest cluster file read (cluster.nodes, cluster.cfg), so a wrong path fails clearly.
pub const CLUSTER_FILE_BYTES_MAX: u64 = 16 << 20;
/// Most nodes one cluster.nodes may list.
pub const NODES_MAX: usize = 4096;

/// A node's role in the cluster, as cluster.nodes and `sites` write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeMode {
    Controller,
    Agent,
    DataNode,
    ComputeNode,
}

impl NodeMode {
    pub fn parse(s: &str) -> Option<NodeMode> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "controller" => NodeMode::Controller,
            "agent" => NodeMode::Agent,
            "datanode" => NodeMode::DataNode,
            "computenode" => NodeMode::ComputeNode,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            NodeMode::Controller => "controller",
            NodeMode::Agent => "agent",
            NodeMode::DataNode => "datanode",
            NodeMode::ComputeNode => "computenode",
        }
    }

    /// `getNodeType()` and `getClusterPerf().mode`: 0 data node, 1 agent, 2 controller,
    /// 4 compute node (3 is a standalone node, never in a cluster).
    pub fn node_type(self) -> i32 {
        match self {
            NodeMode::DataNode => 0,
            NodeMode::Agent => 1,
            NodeMode::Controller => 2,
            NodeMode::ComputeNode => 4,
        }
    }

    /// Data and compute nodes are the ones agents start and cluster.cfg configures.
    pub fn is_worker(self) -> bool {
        matches!(self, NodeMode::DataNode | NodeMode::ComputeNode)
    }
}

impl std::fmt::Display for NodeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `host:port:alias`, a node's identity and address. The alias is the identity: a node that
/// comes back on another host is the same node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    pub host: String,
    pub port: u16,
    pub alias: String,
}

impl Site {
    /// Parses `host:port:alias`. Anything after a comma is ignored: shipped agent configs write
    /// `localSite=10.5.0.2:8710:P1-agent,agent`.
    pub fn parse(s: &str) -> Option<Site> {
        let s = s.split(',').next()?.trim();
        let mut parts = s.split(':');
        let host = parts.next()?.trim().to_string();
        let port: u16 = parts.next()?.trim().parse().ok()?;
        let alias = parts.next()?.trim().to_string();
        if host.is_empty() || alias.is_empty() || port == 0 || parts.next().is_some() {
            return None;
        }
        Some(Site { host, port, alias })
    }

    /// `host:port`, what a client connects to.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.host, self.port, self.alias)
    }
}

/// Parses `sites` from agent.cfg: comma-separated `host:port:alias:mode`, this agent first,
/// then every controller.
pub fn parse_sites(text: &str) -> Result<Vec<(Site, NodeMode)>, String> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let bad = || format!("Invalid site [{item}] in sites: expected host:port:alias:mode");
        let (site, mode) = item.rsplit_once(':').ok_or_else(bad)?;
        let site = Site::parse(site).ok_or_else(bad)?;
        let mode = NodeMode::parse(mode).ok_or_else(bad)?;
        out.push((site, mode));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_from_the_seed_agent_cfg() {
        let s = parse_sites(
            "10.5.0.4:8710:agent1:agent,10.5.0.5:8901:controller1:controller,\
             10.5.0.2:8902:controller2:controller,10.5.0.3:8903:controller3:controller",
        )
        .unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].1, NodeMode::Agent);
        assert_eq!(s[0].0.to_string(), "10.5.0.4:8710:agent1");
        assert_eq!(s[3].0.alias, "controller3");
        assert!(s[1..].iter().all(|(_, m)| *m == NodeMode::Controller));
        assert!(parse_sites("10.5.0.4:8710:agent1").is_err());
        assert!(parse_sites("10.5.0.4:8710:agent1:boss").is_err());
        assert!(parse_sites("").unwrap().is_empty());
    }

    #[test]
    fn site_with_trailing_mode_and_bad_sites() {
        let s = Site::parse("10.5.0.2:8710:P1-agent,agent").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.alias.as_str()),
            ("10.5.0.2", 8710, "P1-agent")
        );
        assert_eq!(s.addr(), "10.5.0.2:8710");
        assert!(Site::parse("10.5.0.2:8710").is_none());
        assert!(Site::parse("10.5.0.2:x:a").is_none());
        assert!(Site::parse(":1:a").is_none());
        assert!(Site::parse("h:1:a:b").is_none());
        assert_eq!(NodeMode::parse("DataNode"), Some(NodeMode::DataNode));
        assert_eq!(NodeMode::ComputeNode.node_type(), 4);
    }
}
