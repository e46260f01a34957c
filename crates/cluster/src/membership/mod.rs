//! Who is up: heartbeats from agents, data and compute nodes (and follower controllers) to the
//! leading controller, the leader's live view of them (`Membership`), and `getClusterPerf()`.
//!
//! A node sends a heartbeat every `HEARTBEAT_INTERVAL` as an internal call (`HEARTBEAT`, TCP over
//! the binary-API port; `lanCluster=1` asks for UDP in DolphinDB, which porpoise does not need:
//! heartbeats always travel over TCP). The heartbeat carries the node's identity (its alias;
//! the host it reports replaces the registered one, so a node that moves rejoins as itself) and
//! its performance counters. The leader marks a node down when it has not heard from it for
//! `dfsChunkNodeHeartBeatTimeout` seconds (8 by default). The live view is not replicated: a new
//! leader starts with every node down and learns the truth within one heartbeat interval.
//!
//! - `perf`: counters a node measures about itself (`Perf`), cpu and memory from /proc.
//! - `sender`: the node side, which finds the leader (through `<NotLeader>` answers) and keeps
//!   heartbeating.
//! - `table`: the `getClusterPerf()` table.
//! - `service`: the controller side: heartbeat handling, the cluster functions (`getClusterPerf`,
//!   `startDataNode`...), and the restart policy (`datanodeRestartInterval`).

pub mod perf;
pub mod sender;
pub mod service;
pub mod table;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::{NodeEntry, NodeMode, Site};
pub use perf::Perf;

/// Internal call: a heartbeat (`Heartbeat` in a BLOB) answered with a `HeartbeatReply`.
pub const HEARTBEAT: &str = "__cluster_heartbeat";
/// Internal call: the leader's `getClusterPerf(includeMaster)` table.
pub const CLUSTER_PERF: &str = "__cluster_cluster_perf";
/// How often a node heartbeats (DolphinDB's agents log about every 500 ms).
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_millis(500);
/// `dfsChunkNodeHeartBeatTimeout` when unset, in seconds.
pub const DEFAULT_HEARTBEAT_TIMEOUT_S: u64 = 8;
/// Bound on one heartbeat call.
pub const HEARTBEAT_CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// Most children one agent reports.
pub const CHILDREN_MAX: usize = 1024;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What an agent says about one node it runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChildState {
    pub alias: String,
    /// The process is alive.
    pub running: bool,
    /// The agent wants it running (started and not stopped since).
    pub desired: bool,
    /// A user stopped it (`stopDataNode`); cleared by the next start.
    pub stopped: bool,
    pub pid: u32,
    /// Restarts after crashes since the agent started.
    pub restarts: u32,
    /// How the last run ended, when it did.
    pub last_exit: String,
}

/// One heartbeat.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Heartbeat {
    /// `host:port:alias` as the node runs now.
    pub site: String,
    /// controller | agent | datanode | computenode
    pub mode: String,
    /// When the node's process started (ms since the epoch).
    pub started_ms: i64,
    pub perf: Perf,
    /// An agent's nodes.
    pub children: Vec<ChildState>,
}

/// A node an agent runs, as the controller tells it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlannedNode {
    /// `host:port:alias`.
    pub site: String,
    pub mode: String,
    pub compute_group: String,
}

/// What an agent needs to start its nodes: which nodes, the cluster files they read, and the
/// restart policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentPlan {
    pub nodes: Vec<PlannedNode>,
    /// cluster.cfg lines.
    pub cluster_cfg: Vec<String>,
    /// cluster.nodes text.
    pub nodes_file: String,
    /// The controllers as `host:port:alias`.
    pub controllers: Vec<String>,
    /// `datanodeRestartInterval` in seconds; 0: crashed nodes are not restarted.
    pub restart_interval_s: u64,
    /// `datanodeRestartLevel`: CRASH or OFFLINE.
    pub restart_level: String,
}

/// The leader's answer to a heartbeat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeartbeatReply {
    /// The leader, `host:port:alias`.
    pub leader: String,
    /// Every controller, `host:port:alias`.
    pub controllers: Vec<String>,
    /// For an agent: its nodes and how to run them.
    pub agent: Option<AgentPlan>,
}

/// What the leader knows of a node from its last heartbeat.
#[derive(Clone, Debug)]
pub struct Live {
    pub site: Site,
    pub mode: NodeMode,
    pub last: Instant,
    pub last_ms: i64,
    pub started_ms: i64,
    pub perf: Perf,
    pub children: Vec<ChildState>,
}

/// The leader's live view of the cluster, by alias.
pub struct Membership {
    live: Mutex<HashMap<String, Live>>,
    timeout: Mutex<Duration>,
}

impl Membership {
    pub fn new(timeout: Duration) -> Membership {
        Membership {
            live: Mutex::new(HashMap::new()),
            timeout: Mutex::new(timeout),
        }
    }

    /// `dfsChunkNodeHeartBeatTimeout`.
    pub fn timeout(&self) -> Duration {
        *lock(&self.timeout)
    }

    pub fn set_timeout(&self, t: Duration) {
        *lock(&self.timeout) = t;
    }

    /// Records a heartbeat received at `now`.
    pub fn record(&self, site: Site, mode: NodeMode, hb: Heartbeat, now: Instant) {
        let mut children = hb.children;
        children.truncate(CHILDREN_MAX);
        let live = Live {
            site: site.clone(),
            mode,
            last: now,
            last_ms: now_ms(),
            started_ms: hb.started_ms,
            perf: hb.perf,
            children,
        };
        lock(&self.live).insert(site.alias, live);
    }

    /// The last heartbeat of `alias`, if any.
    pub fn get(&self, alias: &str) -> Option<Live> {
        lock(&self.live).get(alias).cloned()
    }

    /// Whether `alias` heartbeated within the timeout before `now`.
    pub fn is_up(&self, alias: &str, now: Instant) -> bool {
        let t = self.timeout();
        lock(&self.live)
            .get(alias)
            .is_some_and(|l| now.saturating_duration_since(l.last) <= t)
    }

    /// How long `alias` has been silent (None: never heard of since this controller led).
    pub fn silent_for(&self, alias: &str, now: Instant) -> Option<Duration> {
        lock(&self.live)
            .get(alias)
            .map(|l| now.saturating_duration_since(l.last))
    }

    /// Forgets every node (this controller stopped leading).
    pub fn clear(&self) {
        lock(&self.live).clear();
    }
}

/// The agent that runs the data or compute node `worker`: an agent on the same host, the one
/// with the largest port not above the node's (so `agent1` 8710 runs `P1-node1` 8711 and
/// `agent2` 8810 runs `P2-node1` 8811 when all share one host), else the lowest-port one; when no
/// agent shares the host and the cluster has exactly one agent, that one.
pub fn agent_of<'a>(nodes: &'a [NodeEntry], worker: &NodeEntry) -> Option<&'a NodeEntry> {
    let agents: Vec<&NodeEntry> = nodes.iter().filter(|n| n.mode == NodeMode::Agent).collect();
    let same_host: Vec<&NodeEntry> = agents
        .iter()
        .copied()
        .filter(|a| same_host(&a.site.host, &worker.site.host))
        .collect();
    if same_host.is_empty() {
        return (agents.len() == 1).then(|| agents[0]);
    }
    same_host
        .iter()
        .copied()
        .filter(|a| a.site.port <= worker.site.port)
        .max_by_key(|a| a.site.port)
        .or_else(|| same_host.iter().copied().min_by_key(|a| a.site.port))
}

fn is_loopback(h: &str) -> bool {
    h == "localhost" || h.starts_with("127.") || h == "::1"
}

fn same_host(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (is_loopback(a) && is_loopback(b))
}

/// The nodes `agent` runs.
pub fn nodes_of_agent<'a>(nodes: &'a [NodeEntry], agent: &str) -> Vec<&'a NodeEntry> {
    nodes
        .iter()
        .filter(|n| n.mode.is_worker())
        .filter(|n| agent_of(nodes, n).is_some_and(|a| a.site.alias == agent))
        .collect()
}

/// The registry rows of the Raft state as cluster.nodes entries (rows that don't parse are
/// skipped: the state machine checked them when they were written).
pub fn registry(state_nodes: &[crate::raft::state::NodeEntry]) -> Vec<NodeEntry> {
    let mut out: Vec<NodeEntry> = state_nodes
        .iter()
        .filter_map(|n| {
            Some(NodeEntry {
                site: Site {
                    host: n.host.clone(),
                    port: n.port,
                    alias: n.alias.clone(),
                },
                mode: NodeMode::parse(&n.mode)?,
                compute_group: n.compute_group.clone(),
                zone: n.zone.clone(),
            })
        })
        .collect();
    // Controllers, agents, data nodes, compute nodes; by alias within a mode.
    out.sort_by(|a, b| (a.mode, &a.site.alias).cmp(&(b.mode, &b.site.alias)));
    out
}

/// A cluster.nodes entry as the Raft state keeps it.
pub fn state_entry(n: &NodeEntry) -> crate::raft::state::NodeEntry {
    n.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_nodes;

    fn seed_nodes() -> Vec<NodeEntry> {
        let text = "localSite,mode\n10.5.0.5:8901:controller1,controller\n\
                    127.0.0.1:8710:agent1,agent\n127.0.0.1:8810:agent2,agent\n\
                    127.0.0.1:8910:agent3,agent\n127.0.0.1:8711:P1-node1,datanode\n\
                    127.0.0.1:8811:P2-node1,datanode\n127.0.0.1:8911:P3-node1,datanode\n\
                    localhost:8912:P3-cn,computenode\n";
        parse_nodes(text, "cluster.nodes").unwrap().0
    }

    #[test]
    fn each_node_goes_to_the_agent_just_below_it_on_its_host() {
        let nodes = seed_nodes();
        let agent = |alias: &str| {
            let n = nodes.iter().find(|n| n.site.alias == alias).unwrap();
            agent_of(&nodes, n).map(|a| a.site.alias.clone())
        };
        assert_eq!(agent("P1-node1").as_deref(), Some("agent1"));
        assert_eq!(agent("P2-node1").as_deref(), Some("agent2"));
        assert_eq!(agent("P3-node1").as_deref(), Some("agent3"));
        assert_eq!(agent("P3-cn").as_deref(), Some("agent3"));
        let of3: Vec<_> = nodes_of_agent(&nodes, "agent3")
            .iter()
            .map(|n| n.site.alias.clone())
            .collect();
        assert_eq!(of3, ["P3-node1", "P3-cn"]);
        // Different hosts: the agent on the node's host.
        let (multi, _) = parse_nodes(
            "localSite,mode\n10.0.0.81:8904:agent1,agent\n10.0.0.82:8906:agent2,agent\n\
             10.0.0.82:8905:P2-node1,datanode\n10.0.0.9:1:lonely,datanode\n",
            "n",
        )
        .unwrap();
        assert_eq!(agent_of(&multi, &multi[2]).unwrap().site.alias, "agent2");
        assert!(agent_of(&multi, &multi[3]).is_none());
    }

    #[test]
    fn nodes_are_down_after_the_timeout() {
        let m = Membership::new(Duration::from_millis(100));
        let t0 = Instant::now();
        let site = Site::parse("127.0.0.1:8711:P1-node1").unwrap();
        m.record(site, NodeMode::DataNode, Heartbeat::default(), t0);
        assert!(m.is_up("P1-node1", t0 + Duration::from_millis(50)));
        assert!(!m.is_up("P1-node1", t0 + Duration::from_millis(150)));
        assert!(!m.is_up("P2-node1", t0));
        assert_eq!(
            m.silent_for("P1-node1", t0 + Duration::from_millis(30)),
            Some(Duration::from_millis(30))
        );
    }

    #[test]
    fn registry_round_trips_through_the_raft_rows() {
        let nodes = seed_nodes();
        let rows: Vec<_> = nodes.iter().map(state_entry).collect();
        let back = registry(&rows);
        assert_eq!(back.len(), nodes.len());
        assert_eq!(back[0].mode, NodeMode::Controller);
        assert_eq!(back.last().unwrap().mode, NodeMode::ComputeNode);
    }
}
