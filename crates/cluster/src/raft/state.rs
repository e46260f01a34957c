//! The controller's replicated state: the DFS catalog (`catalog::State`, applied as it is), the
//! node registry (`cluster.nodes`), the cluster configuration (`cluster.cfg`), and users, groups
//! and privileges. `ControllerState::apply` is deterministic: every controller applies the same
//! commands in the same order and ends in the same state. An invalid command changes nothing
//! and answers an error (which is the proposer's answer, not a failure of the log).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{self, ChunkMeta, Counters, DatabaseMeta, MetaCommand, MetaResponse};

// Users, groups and privileges are script's model (one for standalone and cluster nodes).
pub use script::acl::{
    password_hash, Access, Acl, AclCommand, GroupEntry, Privileges, UserEntry, PRIVILEGES,
    SUPER_ADMIN, SUPER_ADMIN_PASSWORD,
};

/// The node modes of `cluster.nodes`.
pub const NODE_MODES: [&str; 4] = ["controller", "agent", "datanode", "computenode"];

/// One row of `cluster.nodes`: `localSite,mode[,computeGroup[,zone]]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeEntry {
    pub alias: String,
    pub host: String,
    pub port: u16,
    /// controller | agent | datanode | computenode
    pub mode: String,
    #[serde(default)]
    pub compute_group: String,
    #[serde(default)]
    pub zone: String,
}

impl NodeEntry {
    /// `host:port:alias`.
    pub fn site(&self) -> String {
        format!("{}:{}:{}", self.host, self.port, self.alias)
    }
}

impl From<&crate::config::NodeEntry> for NodeEntry {
    fn from(n: &crate::config::NodeEntry) -> NodeEntry {
        NodeEntry {
            alias: n.site.alias.clone(),
            host: n.site.host.clone(),
            port: n.site.port,
            mode: n.mode.name().to_string(),
            compute_group: n.compute_group.clone(),
            zone: n.zone.clone(),
        }
    }
}

/// A Raft log entry's payload: one change to the controller state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// A DFS metadata change (the catalog's own command).
    Meta(MetaCommand),
    /// The first start of the cluster: `cluster.nodes` and `cluster.cfg`. Applied once; a later
    /// seed (another controller's first start, a restart) is ignored.
    Seed {
        nodes: Vec<NodeEntry>,
        config: Vec<(String, String)>,
    },
    /// `addNode`.
    AddNode(NodeEntry),
    /// `removeNode`.
    RemoveNode {
        alias: String,
    },
    /// `saveClusterNodes`: the whole node list.
    SetNodes(Vec<NodeEntry>),
    /// Sets config keys (an existing key keeps its position).
    SetConfig(Vec<(String, String)>),
    /// `saveClusterNodesConfigs`: the whole `cluster.cfg`, in order.
    ReplaceConfig(Vec<(String, String)>),
    RemoveConfig(Vec<String>),
    Acl(AclCommand),
    /// Changes nothing (a leader's read barrier, tests).
    Noop,
    /// Several commands in one log entry, applied in order, each on its own (one may fail and
    /// the others still apply). `Controller::propose` batches concurrent proposals so.
    Batch(Vec<Command>),
}

/// What an applied command answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Done,
    /// The catalog's answer to a `Meta` command.
    Meta(MetaResponse),
    /// A `Seed` after the first: nothing changed.
    AlreadySeeded,
    /// The answers to a `Batch`, in order.
    Batch(Vec<Result<Reply, String>>),
}

/// The state machine's answer to one log entry: the reply, or why the command was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response(pub Result<Reply, String>);

/// The whole controller state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControllerState {
    pub catalog: catalog::State,
    /// `cluster.nodes` by alias.
    pub nodes: BTreeMap<String, NodeEntry>,
    /// `cluster.cfg` lines as (key, value), in order.
    pub config: Vec<(String, String)>,
    pub acl: Acl,
    /// Whether the first start's `Seed` was applied.
    pub seeded: bool,
}

/// The serialized form of `ControllerState` (snapshots).
#[derive(Serialize, Deserialize)]
struct Image {
    databases: BTreeMap<String, DatabaseMeta>,
    chunks: BTreeMap<String, ChunkMeta>,
    counters: Counters,
    nodes: BTreeMap<String, NodeEntry>,
    config: Vec<(String, String)>,
    acl: Acl,
    seeded: bool,
    #[serde(default)]
    txns: BTreeMap<u64, catalog::TxnState>,
}

fn check_node(n: &NodeEntry) -> Result<(), String> {
    if n.alias.is_empty() || n.host.is_empty() || n.port == 0 {
        return Err(format!(
            "Invalid node {}: alias, host and port are required",
            n.site()
        ));
    }
    if !NODE_MODES.contains(&n.mode.as_str()) {
        return Err(format!(
            "Invalid node mode [{}] for {}: expected controller, agent, datanode or computenode",
            n.mode, n.alias
        ));
    }
    Ok(())
}

fn check_nodes(nodes: &[NodeEntry]) -> Result<BTreeMap<String, NodeEntry>, String> {
    let mut m = BTreeMap::new();
    for n in nodes {
        check_node(n)?;
        if m.insert(n.alias.clone(), n.clone()).is_some() {
            return Err(format!("The node alias [{}] appears twice", n.alias));
        }
    }
    Ok(m)
}

impl ControllerState {
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let image = Image {
            databases: self.catalog.databases.clone(),
            chunks: self.catalog.chunks.clone(),
            counters: self.catalog.counters.clone(),
            nodes: self.nodes.clone(),
            config: self.config.clone(),
            acl: self.acl.clone(),
            seeded: self.seeded,
            txns: self.catalog.txns.clone(),
        };
        serde_json::to_vec(&image).map_err(|e| e.to_string())
    }

    pub fn from_bytes(b: &[u8]) -> Result<ControllerState, String> {
        let i: Image = serde_json::from_slice(b).map_err(|e| e.to_string())?;
        Ok(ControllerState {
            catalog: catalog::State {
                databases: i.databases,
                chunks: i.chunks,
                counters: i.counters,
                txns: i.txns,
            },
            nodes: i.nodes,
            config: i.config,
            acl: i.acl,
            seeded: i.seeded,
        })
    }

    /// A config value by key (the last line with that key).
    pub fn config_value(&self, key: &str) -> Option<&str> {
        self.config
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Applies one command; on error the state is unchanged.
    pub fn apply(&mut self, cmd: &Command) -> Response {
        Response(self.apply_inner(cmd))
    }

    fn apply_inner(&mut self, cmd: &Command) -> Result<Reply, String> {
        match cmd {
            Command::Meta(m) => {
                if let MetaCommand::CreateChunks { chunks, .. } = m {
                    for r in chunks.iter().flat_map(|c| &c.replicas) {
                        if self.nodes.get(r).is_none_or(|n| n.mode != "datanode") {
                            return Err(format!("The replica node [{r}] is not a data node"));
                        }
                    }
                }
                if let MetaCommand::MoveReplica { to, .. } = m {
                    if self.nodes.get(to).is_none_or(|n| n.mode != "datanode") {
                        return Err(format!("The replica node [{to}] is not a data node"));
                    }
                }
                self.catalog.apply(m).map(Reply::Meta).map_err(|e| e.0)
            }
            Command::Seed { nodes, config } => {
                if self.seeded {
                    return Ok(Reply::AlreadySeeded);
                }
                self.nodes = check_nodes(nodes)?;
                self.config = config.clone();
                self.seeded = true;
                Ok(Reply::Done)
            }
            Command::AddNode(n) => {
                check_node(n)?;
                if self.nodes.contains_key(&n.alias) {
                    return Err(format!("The node alias [{}] already exists", n.alias));
                }
                self.nodes.insert(n.alias.clone(), n.clone());
                Ok(Reply::Done)
            }
            Command::RemoveNode { alias } => match self.nodes.remove(alias) {
                Some(_) => Ok(Reply::Done),
                None => Err(format!("The node [{alias}] doesn't exist")),
            },
            Command::SetNodes(nodes) => {
                self.nodes = check_nodes(nodes)?;
                Ok(Reply::Done)
            }
            Command::SetConfig(kvs) => {
                for (k, v) in kvs {
                    match self.config.iter_mut().find(|(key, _)| key == k) {
                        Some(slot) => slot.1 = v.clone(),
                        None => self.config.push((k.clone(), v.clone())),
                    }
                }
                Ok(Reply::Done)
            }
            Command::ReplaceConfig(kvs) => {
                self.config = kvs.clone();
                Ok(Reply::Done)
            }
            Command::RemoveConfig(keys) => {
                self.config.retain(|(k, _)| !keys.contains(k));
                Ok(Reply::Done)
            }
            Command::Acl(a) => self.acl.apply(a).map(|()| Reply::Done),
            Command::Noop => Ok(Reply::Done),
            Command::Batch(cmds) => Ok(Reply::Batch(
                cmds.iter().map(|c| self.apply_inner(c)).collect(),
            )),
        }
    }
}
