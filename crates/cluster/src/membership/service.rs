//! The controller side of membership: it takes heartbeats (leader only), keeps the live view,
//! answers `getClusterPerf()`, `getDataNodes()`, `getComputeNodes()`, and starts and stops data
//! and compute nodes through their agents (`startDataNode`, `stopDataNode`,
//! `startComputeNode`, `stopComputeNode`). With `datanodeRestartInterval` > 0 the leader also
//! starts nodes that have been down that long (at the cluster's start too), except, with
//! `datanodeRestartLevel=CRASH` (the default), nodes a user stopped.
//!
//! Every controller heartbeats to the leader too (the leader to itself), so the leader knows which
//! controllers are up and shows their counters.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use value::{Data, Value, Vector};

use super::table::{perf_table, PerfRow};
use super::{
    agent_of, nodes_of_agent, registry, state_entry, AgentPlan, Heartbeat, HeartbeatReply,
    Membership, Perf, PlannedNode, CLUSTER_PERF, DEFAULT_HEARTBEAT_TIMEOUT_S, HEARTBEAT,
};
use crate::agent::{AgentCommand, AGENT_START, AGENT_STOP};
use crate::config::{format_nodes, ClusterCfg, NodeEntry, NodeMode, Site};
use crate::controller::{Controller, ProposeError};
use crate::raft::{Command, ControllerSite};
use crate::rpc::{self, from_blob, to_blob, CallOptions, Rpc};
use crate::{Error, Result};

/// How often the leader checks the restart policy.
pub const RESTART_CHECK: Duration = Duration::from_secs(1);
/// Bound on one start/stop request to an agent.
pub const AGENT_CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on asking the leader for its `getClusterPerf` table.
pub const PERF_CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Most nodes one start/stop call names.
pub const TARGETS_MAX: usize = 4096;

/// `datanodeRestartLevel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartLevel {
    /// Restart nodes that went down on their own (not stopped by `stopDataNode`).
    Crash,
    /// Restart any node that is down.
    Offline,
}

impl RestartLevel {
    pub fn name(self) -> &'static str {
        match self {
            RestartLevel::Crash => "CRASH",
            RestartLevel::Offline => "OFFLINE",
        }
    }
}

/// The controller keys membership reads.
#[derive(Clone, Debug)]
pub struct ServiceSettings {
    /// `dfsChunkNodeHeartBeatTimeout`.
    pub heartbeat_timeout: Duration,
    /// `datanodeRestartInterval`, seconds; 0 = off.
    pub restart_interval_s: u64,
    pub restart_level: RestartLevel,
}

impl ServiceSettings {
    pub fn from_keys(get: &dyn Fn(&str) -> Option<String>) -> Result<ServiceSettings> {
        let num = |k: &str, default: u64| -> Result<u64> {
            match get(k) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| *x >= 0.0 && x.is_finite())
                    .map(|x| x as u64)
                    .ok_or_else(|| {
                        Error(format!(
                            "Invalid value [{v}] for configuration parameter {k}"
                        ))
                    }),
            }
        };
        let timeout_s = num("dfsChunkNodeHeartBeatTimeout", DEFAULT_HEARTBEAT_TIMEOUT_S)?.max(1);
        let restart_level = match get("datanodeRestartLevel") {
            None => RestartLevel::Crash,
            Some(v) => match v.trim().to_ascii_uppercase().as_str() {
                "CRASH" => RestartLevel::Crash,
                "OFFLINE" => RestartLevel::Offline,
                _ => {
                    return Err(Error(format!(
                        "Invalid value [{v}] for configuration parameter datanodeRestartLevel: expected CRASH or OFFLINE"
                    )))
                }
            },
        };
        Ok(ServiceSettings {
            heartbeat_timeout: Duration::from_secs(timeout_s),
            restart_interval_s: num("datanodeRestartInterval", 0)?,
            restart_level,
        })
    }
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            heartbeat_timeout: Duration::from_secs(DEFAULT_HEARTBEAT_TIMEOUT_S),
            restart_interval_s: 0,
            restart_level: RestartLevel::Crash,
        }
    }
}

/// Membership on a controller.
pub struct ClusterService {
    controller: Arc<Controller>,
    rpc: Arc<Rpc>,
    membership: Membership,
    settings: ServiceSettings,
    handle: tokio::runtime::Handle,
    /// When this controller last became leader (None while it follows).
    leading_since: Mutex<Option<Instant>>,
    /// Last automatic start asked per node.
    restart_asked: Mutex<HashMap<String, Instant>>,
    stop: tokio::sync::watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

const FUNCTIONS: [&str; 7] = [
    "getClusterPerf",
    "getDataNodes",
    "getComputeNodes",
    "startDataNode",
    "stopDataNode",
    "startComputeNode",
    "stopComputeNode",
];

impl ClusterService {
    /// Registers the heartbeat call and the cluster functions on `rpc` and starts the restart
    /// policy loop. Must run inside the tokio runtime.
    pub fn start(
        controller: Arc<Controller>,
        rpc: Arc<Rpc>,
        settings: ServiceSettings,
    ) -> Arc<ClusterService> {
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let s = Arc::new(ClusterService {
            controller,
            rpc: rpc.clone(),
            membership: Membership::new(settings.heartbeat_timeout),
            settings,
            handle: tokio::runtime::Handle::current(),
            leading_since: Mutex::new(None),
            restart_asked: Mutex::new(HashMap::new()),
            stop,
        });
        register(&s);
        tokio::spawn(policy_loop(Arc::downgrade(&s), stop_rx));
        s
    }

    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    pub fn controller(&self) -> &Arc<Controller> {
        &self.controller
    }

    /// How long this controller has been taking heartbeats as the leader (None: it follows,
    /// or it has just been elected and its policy loop hasn't noticed yet).
    pub fn leading_for(&self) -> Option<Duration> {
        lock(&self.leading_since).map(|t| t.elapsed())
    }

    /// Stops the policy loop and removes the calls from `rpc`.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
        self.rpc.unregister(HEARTBEAT);
        self.rpc.unregister(CLUSTER_PERF);
        for f in FUNCTIONS {
            self.rpc.unregister_function(f);
        }
    }

    /// The registry (cluster.nodes as the Raft state holds it now).
    pub fn nodes(&self) -> Vec<NodeEntry> {
        self.controller.read(|s| {
            let rows: Vec<_> = s.nodes.values().cloned().collect();
            registry(&rows)
        })
    }

    /// The controllers, by alias.
    fn controllers(&self) -> Vec<ControllerSite> {
        let mut m = self.controller.members();
        m.sort_by(|a, b| a.alias.cmp(&b.alias));
        m
    }

    fn check_leader(&self) -> std::result::Result<(), String> {
        if self.controller.is_leader() {
            Ok(())
        } else {
            Err(self.controller.not_leader().to_string())
        }
    }

    /// Handles one heartbeat (leader only).
    async fn heartbeat(&self, hb: Heartbeat) -> std::result::Result<HeartbeatReply, String> {
        self.check_leader()?;
        let site = Site::parse(&hb.site)
            .ok_or_else(|| format!("Invalid site [{}] in a heartbeat", hb.site))?;
        let mode = NodeMode::parse(&hb.mode)
            .ok_or_else(|| format!("Invalid mode [{}] in a heartbeat", hb.mode))?;
        let nodes = self.nodes();
        let controllers = self.controllers();
        let known = match mode {
            NodeMode::Controller => controllers.iter().any(|c| c.alias == site.alias),
            _ => nodes
                .iter()
                .any(|n| n.site.alias == site.alias && n.mode == mode),
        };
        if !known {
            return Err(format!(
                "The {mode} {} is not a member of the cluster",
                site.alias
            ));
        }
        if mode != NodeMode::Controller {
            self.follow_move(&nodes, &site).await;
        }
        self.membership
            .record(site.clone(), mode, hb, Instant::now());
        let leader = self.controller.local().site();
        Ok(HeartbeatReply {
            leader,
            controllers: controllers.iter().map(|c| c.site()).collect(),
            agent: (mode == NodeMode::Agent)
                .then(|| self.plan_for(&nodes, &site.alias))
                .flatten(),
        })
    }

    /// A node that reports another host or port than registered has moved: the registry
    /// follows it (the alias is its identity).
    async fn follow_move(&self, nodes: &[NodeEntry], site: &Site) {
        let Some(n) = nodes.iter().find(|n| n.site.alias == site.alias) else {
            return;
        };
        if n.site.host == site.host && n.site.port == site.port {
            return;
        }
        let moved: Vec<_> = nodes
            .iter()
            .map(|x| {
                let mut x = x.clone();
                if x.site.alias == site.alias {
                    x.site.host = site.host.clone();
                    x.site.port = site.port;
                }
                state_entry(&x)
            })
            .collect();
        match self.controller.propose(Command::SetNodes(moved)).await {
            Ok(_) => tracing::info!("node {} moved from {} to {}", site.alias, n.site, site),
            Err(e) => tracing::warn!(
                "node {} moved to {site} but the registry was not updated: {e}",
                site.alias
            ),
        }
    }

    /// What the agent `alias` runs, with the cluster files; None before the cluster's
    /// configuration is in the Raft state.
    fn plan_for(&self, nodes: &[NodeEntry], alias: &str) -> Option<AgentPlan> {
        let (seeded, config) = self.controller.read(|s| (s.seeded, s.config.clone()));
        if !seeded {
            return None;
        }
        let cluster_cfg = match ClusterCfg::from_pairs(&config) {
            Ok(c) => c.lines(),
            Err(e) => {
                tracing::warn!("the cluster configuration is invalid: {e}");
                config.iter().map(|(k, v)| format!("{k}={v}")).collect()
            }
        };
        Some(AgentPlan {
            nodes: nodes_of_agent(nodes, alias)
                .into_iter()
                .map(|n| PlannedNode {
                    site: n.site.to_string(),
                    mode: n.mode.name().to_string(),
                    compute_group: n.compute_group.clone(),
                })
                .collect(),
            cluster_cfg,
            nodes_file: format_nodes(nodes),
            controllers: self.controllers().iter().map(|c| c.site()).collect(),
            restart_interval_s: self.settings.restart_interval_s,
            restart_level: self.settings.restart_level.name().to_string(),
        })
    }

    /// The leader's `getClusterPerf` rows.
    fn rows(&self, include_controllers: bool) -> Vec<PerfRow> {
        let now = Instant::now();
        let nodes = self.nodes();
        let leader = self.controller.leader_alias();
        let mut rows = Vec::new();
        let perf_of = |alias: &str| self.membership.get(alias).map(|l| (l.site, l.perf));
        if include_controllers {
            for c in self.controllers() {
                let up = self.membership.is_up(&c.alias, now)
                    || c.alias == self.controller.local().alias;
                let (site, perf) = perf_of(&c.alias).unwrap_or_else(|| {
                    (
                        Site {
                            host: c.host.clone(),
                            port: c.port,
                            alias: c.alias.clone(),
                        },
                        Perf::default(),
                    )
                });
                let entry = nodes
                    .iter()
                    .find(|n| n.site.alias == c.alias)
                    .cloned()
                    .unwrap_or(NodeEntry {
                        site: site.clone(),
                        mode: NodeMode::Controller,
                        compute_group: String::new(),
                        zone: String::new(),
                    });
                rows.push(PerfRow {
                    node: NodeEntry { site, ..entry },
                    agent_site: String::new(),
                    up,
                    is_leader: up.then(|| leader.as_deref() == Some(c.alias.as_str())),
                    perf,
                });
            }
        }
        for n in nodes.iter().filter(|n| n.mode != NodeMode::Controller) {
            let up = self.membership.is_up(&n.site.alias, now);
            let (site, perf) =
                perf_of(&n.site.alias).unwrap_or_else(|| (n.site.clone(), Perf::default()));
            let agent_site = if n.mode.is_worker() {
                agent_of(&nodes, n)
                    .map(|a| a.site.to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            rows.push(PerfRow {
                node: NodeEntry { site, ..n.clone() },
                agent_site,
                up,
                is_leader: None,
                perf,
            });
        }
        rows
    }

    /// `getClusterPerf([includeMaster=false])`: the leader's table, asked of the leader when
    /// this controller follows.
    fn cluster_perf(&self, args: &[Value]) -> std::result::Result<Value, String> {
        let include = match args.first() {
            None => false,
            Some(v) => v
                .as_bool()
                .ok_or("The argument of getClusterPerf must be a boolean")?,
        };
        if self.controller.is_leader() {
            return Ok(Value::table(perf_table(&self.rows(include))));
        }
        let Some(leader) = self.controller.leader() else {
            return Err(ProposeError::NotLeader(None).to_string());
        };
        let addr = leader.addr();
        let call = self.rpc.call(
            &addr,
            CLUSTER_PERF,
            vec![Value::bool(include)],
            CallOptions::idempotent(PERF_CALL_TIMEOUT),
        );
        rpc::block_on(&self.handle, call)?.map_err(|e| e.to_string())
    }

    /// The aliases of the data (or compute) nodes.
    fn aliases_of(&self, mode: NodeMode) -> Value {
        let names: Vec<String> = self
            .nodes()
            .into_iter()
            .filter(|n| n.mode == mode)
            .map(|n| n.site.alias)
            .collect();
        Value::vector(Vector::from_strings(names))
    }

    /// Resolves `startDataNode`'s argument: aliases or `host:port` strings.
    fn targets(&self, fname: &str, args: &[Value]) -> std::result::Result<Vec<NodeEntry>, String> {
        let names = strings(args.first()).ok_or_else(|| {
            format!("The argument of {fname} must be a string or a vector of strings")
        })?;
        if names.len() > TARGETS_MAX {
            return Err(format!("{fname} accepts at most {TARGETS_MAX} nodes"));
        }
        let nodes = self.nodes();
        let mut out: Vec<NodeEntry> = Vec::new();
        for name in names {
            let name = name.trim();
            let found = nodes
                .iter()
                .find(|n| n.mode.is_worker() && (n.site.alias == name || n.site.addr() == name));
            match found {
                Some(n) if !out.iter().any(|o| o.site.alias == n.site.alias) => out.push(n.clone()),
                Some(_) => {}
                None => {
                    return Err(format!(
                        "{name} is not a data node or compute node of the cluster"
                    ))
                }
            }
        }
        Ok(out)
    }

    /// Asks each target's agent to start (or stop) it.
    async fn command_agents(
        &self,
        targets: &[NodeEntry],
        start: bool,
    ) -> std::result::Result<(), String> {
        let nodes = self.nodes();
        let mut by_agent: BTreeMap<String, (NodeEntry, Vec<String>)> = BTreeMap::new();
        for t in targets {
            let agent = agent_of(&nodes, t).ok_or_else(|| {
                format!(
                    "No agent runs {}: add an agent on {}",
                    t.site.alias, t.site.host
                )
            })?;
            by_agent
                .entry(agent.site.alias.clone())
                .or_insert_with(|| (agent.clone(), Vec::new()))
                .1
                .push(t.site.alias.clone());
        }
        let mut failures = Vec::new();
        for (alias, (agent, aliases)) in by_agent {
            let Some(plan) = self.plan_for(&nodes, &alias) else {
                return Err("The cluster configuration is not loaded yet; try again".into());
            };
            // Where the agent really is: its last heartbeat, else the registry.
            let addr = self
                .membership
                .get(&alias)
                .map(|l| l.site.addr())
                .unwrap_or_else(|| agent.site.addr());
            let cmd = AgentCommand {
                aliases: aliases.clone(),
                plan,
            };
            let arg = to_blob(&cmd)?;
            let name = if start { AGENT_START } else { AGENT_STOP };
            let r = self
                .rpc
                .call(
                    &addr,
                    name,
                    vec![arg],
                    CallOptions::idempotent(AGENT_CALL_TIMEOUT),
                )
                .await;
            if let Err(e) = r {
                failures.push(format!(
                    "the agent {alias} could not {} {}: {e}",
                    if start { "start" } else { "stop" },
                    aliases.join(",")
                ));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "Failed to {} nodes: {}",
                if start { "start" } else { "stop" },
                failures.join("; ")
            ))
        }
    }

    fn start_stop(
        &self,
        fname: &str,
        args: &[Value],
        start: bool,
    ) -> std::result::Result<Value, String> {
        self.check_leader()?;
        let targets = self.targets(fname, args)?;
        if targets.is_empty() {
            return Ok(Value::void());
        }
        tracing::info!(
            "{fname}: {}",
            targets
                .iter()
                .map(|t| t.site.alias.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        rpc::block_on(&self.handle, self.command_agents(&targets, start))??;
        Ok(Value::void())
    }

    /// One round of the restart policy (leader only).
    async fn enforce_restart_policy(&self) {
        let interval = Duration::from_secs(self.settings.restart_interval_s);
        if interval.is_zero() {
            return;
        }
        let now = Instant::now();
        let since = match *lock(&self.leading_since) {
            Some(t) => t,
            None => return,
        };
        let nodes = self.nodes();
        let mut due = Vec::new();
        for n in nodes.iter().filter(|n| n.mode.is_worker()) {
            let alias = &n.site.alias;
            if self.membership.is_up(alias, now) {
                continue;
            }
            // Down since its last heartbeat, or (never heard of) since we lead, with a grace
            // of one heartbeat timeout at the start so running nodes can report first.
            let down_for = match self.membership.silent_for(alias, now) {
                Some(d) => d,
                None => now
                    .saturating_duration_since(since)
                    .saturating_sub(self.membership.timeout()),
            };
            let first_start = self.membership.silent_for(alias, now).is_none();
            if !first_start && down_for < interval {
                continue;
            }
            if first_start && now.saturating_duration_since(since) < self.membership.timeout() {
                continue;
            }
            let Some(agent) = agent_of(&nodes, n) else {
                continue;
            };
            let agent_up = self.membership.is_up(&agent.site.alias, now);
            if !agent_up {
                continue;
            }
            let stopped_by_user = self
                .membership
                .get(&agent.site.alias)
                .and_then(|l| l.children.into_iter().find(|c| &c.alias == alias))
                .is_some_and(|c| c.stopped);
            if stopped_by_user && self.settings.restart_level == RestartLevel::Crash {
                continue;
            }
            let mut asked = lock(&self.restart_asked);
            if asked.get(alias).is_some_and(|t| {
                now.saturating_duration_since(*t) < interval.max(Duration::from_secs(5))
            }) {
                continue;
            }
            asked.insert(alias.clone(), now);
            due.push(n.clone());
        }
        if due.is_empty() {
            return;
        }
        tracing::info!(
            "datanodeRestartInterval: starting {}",
            due.iter()
                .map(|n| n.site.alias.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        if let Err(e) = self.command_agents(&due, true).await {
            tracing::warn!("{e}");
        }
    }
}

/// The strings of a STRING/SYMBOL scalar or vector (or a tuple of strings).
fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    let vec: &Vector = match v? {
        Value::Scalar(s) => s,
        Value::Vector(s) => s,
        _ => return None,
    };
    match &vec.data {
        Data::Str(x) => Some(x.clone()),
        Data::Sym(_) | Data::Any(_) => (0..vec.len())
            .map(|i| vec.get(i).as_str().map(String::from))
            .collect(),
        _ => None,
    }
}

async fn policy_loop(s: Weak<ClusterService>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        {
            let Some(svc) = s.upgrade() else { return };
            let leading = svc.controller.is_leader();
            let was = lock(&svc.leading_since).is_some();
            if leading && !was {
                *lock(&svc.leading_since) = Some(Instant::now());
                tracing::info!("this controller leads: taking heartbeats");
            } else if !leading && was {
                *lock(&svc.leading_since) = None;
                svc.membership.clear();
                lock(&svc.restart_asked).clear();
            }
            if leading {
                svc.enforce_restart_policy().await;
            }
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(RESTART_CHECK) => {}
        }
    }
}

fn running(s: &Weak<ClusterService>) -> std::result::Result<Arc<ClusterService>, String> {
    s.upgrade()
        .ok_or_else(|| "The controller is not running".to_string())
}

fn register(s: &Arc<ClusterService>) {
    let rpc = &s.rpc;
    let w = Arc::downgrade(s);
    rpc.register(HEARTBEAT, move |args| {
        let w = w.clone();
        async move {
            let svc = running(&w)?;
            let hb: Heartbeat = from_blob(args.first())?;
            let reply = svc.heartbeat(hb).await?;
            to_blob(&reply)
        }
    });
    let w = Arc::downgrade(s);
    rpc.register(CLUSTER_PERF, move |args| {
        let w = w.clone();
        async move {
            let svc = running(&w)?;
            svc.check_leader()?;
            let include = args.first().and_then(|v| v.as_bool()).unwrap_or(false);
            Ok(Value::table(perf_table(&svc.rows(include))))
        }
    });
    let w = Arc::downgrade(s);
    rpc.register_function("getClusterPerf", move |args| {
        running(&w)?.cluster_perf(args)
    });
    let w = Arc::downgrade(s);
    rpc.register_function("getDataNodes", move |_| {
        Ok(running(&w)?.aliases_of(NodeMode::DataNode))
    });
    let w = Arc::downgrade(s);
    rpc.register_function("getComputeNodes", move |_| {
        Ok(running(&w)?.aliases_of(NodeMode::ComputeNode))
    });
    for (name, start) in [
        ("startDataNode", true),
        ("stopDataNode", false),
        ("startComputeNode", true),
        ("stopComputeNode", false),
    ] {
        let w = Arc::downgrade(s);
        rpc.register_function(name, move |args| running(&w)?.start_stop(name, args, start));
    }
}
