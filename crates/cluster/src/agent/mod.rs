//! An agent: one per host, it starts and stops the host's data and compute nodes as child
//! processes of the same binary, when the controller asks (`startDataNode`, `stopDataNode`) or
//! by itself:
//! - a node that crashes is started again after `datanodeRestartInterval` seconds (when it is
//!   above 0, as the controller's configuration says);
//! - the nodes that should be running are written to `<home>/<agent alias>/agent_nodes.json`, so
//!   after a full stop of the cluster (the agent stops its nodes when it stops) the agent starts
//!   them again by itself, and a node that outlived a killed agent is adopted, not started twice.
//!
//! A node is started as
//! `<exe> -mode datanode -home <agent home> -localSite <site> -console 0
//!  -logFile <agent log dir>/<alias>.log -clusterConfig <home>/<agent>/cluster.cfg
//!  -nodesFile <home>/<agent>/cluster.nodes -sites <controllers>` (plus `-script` when the agent
//! has one). The agent writes those two cluster files from what the leader sends it, so a node
//! reads the cluster configuration of the Raft state, not a stale file.
//!
//! The decisions (what to start, stop or kill) are made by `Supervisor::tick`, a plain function
//! of the current state and the clock; the runtime around it only executes them.

pub mod process;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Notify};

use crate::config::{NodeMode, Site};
use crate::membership::perf::{NodeLoad, Sampler};
use crate::membership::sender::Sender;
use crate::membership::{
    now_ms, AgentPlan, ChildState, Heartbeat, HeartbeatReply, PlannedNode, CHILDREN_MAX,
};
use crate::raft::ControllerSite;
use crate::rpc::{from_blob, Rpc};
use process::{is_node_process, spawn, Launch, Proc};

/// Internal call: start nodes (`AgentCommand`).
pub const AGENT_START: &str = "__cluster_agent_start";
/// Internal call: stop nodes (`AgentCommand`).
pub const AGENT_STOP: &str = "__cluster_agent_stop";
/// How often the supervisor looks at its nodes.
pub const SUPERVISE_EVERY: Duration = Duration::from_millis(200);
/// How long a node may take to stop after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(15);
/// The name of the agent's state file under `<home>/<alias>/`.
pub const STATE_FILE: &str = "agent_nodes.json";

/// A start or stop request from the controller: which nodes, and the plan that says how.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentCommand {
    pub aliases: Vec<String>,
    pub plan: AgentPlan,
}

/// What starting an agent needs.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    pub site: Site,
    /// The agent's `-home`; its nodes get the same home and keep their state in
    /// `<home>/<node alias>/`.
    pub home: PathBuf,
    /// Where the nodes' logs go (the directory of the agent's `-logFile`).
    pub log_dir: PathBuf,
    /// The porpoise binary.
    pub exe: PathBuf,
    /// The controllers (`sites`, else `controllerSite`).
    pub controllers: Vec<ControllerSite>,
    /// The agent's `-script`, passed on to its nodes.
    pub script: Option<String>,
}

/// One node the agent runs, as persisted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
struct Saved {
    node: PlannedNode,
    desired: bool,
    stopped: bool,
    pid: u32,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct SavedState {
    nodes: BTreeMap<String, Saved>,
    restart_interval_s: u64,
}

/// One node under supervision.
struct Managed {
    node: PlannedNode,
    desired: bool,
    stopped: bool,
    proc: Option<Proc>,
    /// When it may be started (again).
    start_at: Option<Instant>,
    /// When SIGTERM was sent.
    stopping_since: Option<Instant>,
    restarts: u32,
    last_exit: String,
}

/// The supervisor's state.
pub struct Supervisor {
    cfg: AgentConfig,
    nodes: BTreeMap<String, Managed>,
    restart_interval: Duration,
    dirty: bool,
}

/// What one tick decided for a node.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Start(String),
    Terminate(String),
    Kill(String),
}

impl Supervisor {
    fn new(cfg: AgentConfig) -> Supervisor {
        Supervisor {
            cfg,
            nodes: BTreeMap::new(),
            restart_interval: Duration::ZERO,
            dirty: false,
        }
    }

    fn dir(&self) -> PathBuf {
        self.cfg.home.join(&self.cfg.site.alias)
    }

    fn state_path(&self) -> PathBuf {
        self.dir().join(STATE_FILE)
    }

    /// Loads the persisted nodes: those that should run are started again (or adopted when
    /// still running).
    fn load(&mut self) {
        let path = self.state_path();
        let saved: SavedState = match std::fs::read(&path) {
            Ok(b) => match serde_json::from_slice(&b) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("ignoring {}: {e}", path.display());
                    return;
                }
            },
            Err(_) => return,
        };
        self.restart_interval = Duration::from_secs(saved.restart_interval_s);
        let now = Instant::now();
        for (alias, s) in saved.nodes {
            let proc = (s.pid != 0 && is_node_process(s.pid, &alias)).then(|| {
                tracing::info!("adopting {alias} (pid {}) left running", s.pid);
                Proc::Adopted(s.pid)
            });
            if s.desired && proc.is_none() {
                tracing::info!("{alias} was running when the agent stopped: starting it");
            }
            self.nodes.insert(
                alias,
                Managed {
                    node: s.node,
                    desired: s.desired,
                    stopped: s.stopped,
                    proc,
                    start_at: s.desired.then_some(now),
                    stopping_since: None,
                    restarts: 0,
                    last_exit: String::new(),
                },
            );
        }
    }

    fn save(&mut self) {
        if !self.dirty {
            return;
        }
        let state = SavedState {
            nodes: self
                .nodes
                .iter()
                .map(|(a, m)| {
                    let saved = Saved {
                        node: m.node.clone(),
                        desired: m.desired,
                        stopped: m.stopped,
                        pid: m.proc.as_ref().map(Proc::pid).unwrap_or(0),
                    };
                    (a.clone(), saved)
                })
                .collect(),
            restart_interval_s: self.restart_interval.as_secs(),
        };
        match serde_json::to_vec_pretty(&state) {
            Ok(bytes) => match write_atomically(&self.state_path(), &bytes) {
                Ok(()) => self.dirty = false,
                Err(e) => tracing::warn!("failed to save the agent state: {e}"),
            },
            Err(e) => tracing::warn!("failed to save the agent state: {e}"),
        }
    }

    /// Takes the leader's plan: the nodes of this agent, the cluster files, the restart policy.
    fn apply_plan(&mut self, plan: &AgentPlan) {
        self.restart_interval = Duration::from_secs(plan.restart_interval_s);
        for n in &plan.nodes {
            let Some(site) = Site::parse(&n.site) else {
                continue;
            };
            match self.nodes.get_mut(&site.alias) {
                Some(m) if m.node != *n => {
                    m.node = n.clone();
                    self.dirty = true;
                }
                Some(_) => {}
                None => {
                    self.nodes.insert(
                        site.alias,
                        Managed {
                            node: n.clone(),
                            desired: false,
                            stopped: false,
                            proc: None,
                            start_at: None,
                            stopping_since: None,
                            restarts: 0,
                            last_exit: String::new(),
                        },
                    );
                    self.dirty = true;
                }
            }
        }
        let dir = self.dir();
        let cfg_text: String = plan.cluster_cfg.iter().map(|l| format!("{l}\n")).collect();
        for (name, text) in [
            ("cluster.cfg", &cfg_text),
            ("cluster.nodes", &plan.nodes_file),
        ] {
            let path = dir.join(name);
            if !text.is_empty() && std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
                if let Err(e) = write_atomically(&path, text.as_bytes()) {
                    tracing::warn!("failed to write {}: {e}", path.display());
                }
            }
        }
        if !plan.controllers.is_empty() {
            let controllers: Vec<ControllerSite> = plan
                .controllers
                .iter()
                .filter_map(|s| ControllerSite::parse(s))
                .collect();
            if !controllers.is_empty() {
                self.cfg.controllers = controllers;
            }
        }
    }

    /// Marks nodes to run (`start`) or to stop.
    fn command(&mut self, aliases: &[String], start: bool) -> Result<(), String> {
        let now = Instant::now();
        for a in aliases {
            let m = self
                .nodes
                .get_mut(a)
                .ok_or_else(|| format!("The agent {} does not run {a}", self.cfg.site.alias))?;
            m.desired = start;
            m.stopped = !start;
            if start {
                m.start_at = Some(now);
            }
            self.dirty = true;
        }
        Ok(())
    }

    /// Looks at every node once: collects exits, then decides what to start, stop or kill.
    fn tick(&mut self, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        let interval = self.restart_interval;
        for (alias, m) in self.nodes.iter_mut() {
            if let Some(p) = m.proc.as_mut() {
                if let Some(how) = p.exited(alias) {
                    let crashed = m.stopping_since.is_none();
                    m.proc = None;
                    m.stopping_since = None;
                    m.last_exit = how.clone();
                    self.dirty = true;
                    if crashed && m.desired {
                        if interval.is_zero() {
                            tracing::warn!(
                                "{alias} {how}; datanodeRestartInterval is 0: not restarting it"
                            );
                            m.desired = false;
                            m.start_at = None;
                        } else {
                            tracing::warn!(
                                "{alias} {how}; restarting it in {} s",
                                interval.as_secs()
                            );
                            m.restarts = m.restarts.saturating_add(1);
                            m.start_at = Some(now + interval);
                        }
                    } else {
                        tracing::info!("{alias} stopped ({how})");
                    }
                }
            }
            match (&m.proc, m.desired) {
                (None, true) if m.start_at.is_some_and(|t| t <= now) => {
                    m.start_at = None;
                    actions.push(Action::Start(alias.clone()));
                }
                (Some(_), false) => match m.stopping_since {
                    None => {
                        m.stopping_since = Some(now);
                        actions.push(Action::Terminate(alias.clone()));
                    }
                    Some(t) if now.saturating_duration_since(t) > STOP_GRACE => {
                        actions.push(Action::Kill(alias.clone()));
                    }
                    Some(_) => {}
                },
                _ => {}
            }
        }
        actions
    }

    /// The command line of a node.
    fn launch(&self, node: &PlannedNode) -> Option<Launch> {
        let site = Site::parse(&node.site)?;
        let dir = self.dir();
        let sites: Vec<String> = self
            .cfg
            .controllers
            .iter()
            .map(|c| format!("{}:controller", c.site()))
            .collect();
        let mut args = vec![
            "-mode".to_string(),
            node.mode.clone(),
            "-home".into(),
            self.cfg.home.display().to_string(),
            "-localSite".into(),
            site.to_string(),
            "-console".into(),
            "0".into(),
            "-logFile".into(),
            self.cfg
                .log_dir
                .join(format!("{}.log", site.alias))
                .display()
                .to_string(),
            "-clusterConfig".into(),
            dir.join("cluster.cfg").display().to_string(),
            "-nodesFile".into(),
            dir.join("cluster.nodes").display().to_string(),
        ];
        if let Some(first) = self.cfg.controllers.first() {
            args.push("-controllerSite".into());
            args.push(first.site());
        }
        if !sites.is_empty() {
            args.push("-sites".into());
            args.push(sites.join(","));
        }
        if let Some(s) = &self.cfg.script {
            args.push("-script".into());
            args.push(s.clone());
        }
        Some(Launch {
            exe: self.cfg.exe.clone(),
            args,
            stderr_log: self.cfg.log_dir.join(format!("{}.log", site.alias)),
        })
    }

    fn execute(&mut self, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Start(alias) => {
                    let Some(m) = self.nodes.get(&alias) else {
                        continue;
                    };
                    let Some(launch) = self.launch(&m.node) else {
                        tracing::warn!("cannot start {alias}: invalid site {}", m.node.site);
                        continue;
                    };
                    let started = spawn(&launch);
                    let interval = self.restart_interval;
                    let Some(m) = self.nodes.get_mut(&alias) else {
                        continue;
                    };
                    match started {
                        Ok(p) => {
                            tracing::info!("started {} {alias} (pid {})", m.node.mode, p.pid());
                            m.proc = Some(p);
                            m.last_exit.clear();
                        }
                        Err(e) => {
                            tracing::warn!("failed to start {alias}: {e}");
                            m.last_exit = format!("failed to start: {e}");
                            m.start_at =
                                Some(Instant::now() + interval.max(Duration::from_secs(5)));
                        }
                    }
                    self.dirty = true;
                }
                Action::Terminate(alias) => {
                    if let Some(p) = self.nodes.get(&alias).and_then(|m| m.proc.as_ref()) {
                        tracing::info!("stopping {alias} (pid {})", p.pid());
                        p.terminate();
                    }
                }
                Action::Kill(alias) => {
                    if let Some(p) = self.nodes.get_mut(&alias).and_then(|m| m.proc.as_mut()) {
                        tracing::warn!("{alias} did not stop in time: killing it");
                        p.kill();
                    }
                }
            }
        }
        self.save();
    }

    fn children(&self) -> Vec<ChildState> {
        self.nodes
            .iter()
            .take(CHILDREN_MAX)
            .map(|(alias, m)| ChildState {
                alias: alias.clone(),
                running: m.proc.is_some(),
                desired: m.desired,
                stopped: m.stopped,
                pid: m.proc.as_ref().map(Proc::pid).unwrap_or(0),
                restarts: m.restarts,
                last_exit: m.last_exit.clone(),
            })
            .collect()
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running agent.
pub struct Agent {
    supervisor: Arc<Mutex<Supervisor>>,
    wake: Arc<Notify>,
    sender: Sender,
    rpc: Arc<Rpc>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Agent {
    /// Starts supervising (restoring the persisted nodes), heartbeating to the leader, and
    /// serving the controller's start/stop calls on `rpc`. `load` reports the server's load
    /// for the heartbeats.
    pub fn start(
        cfg: AgentConfig,
        rpc: Arc<Rpc>,
        load: Arc<dyn Fn() -> NodeLoad + Send + Sync>,
    ) -> Arc<Agent> {
        let site = cfg.site.clone();
        let controllers = cfg.controllers.clone();
        let sampler = Arc::new(Sampler::new(cfg.home.clone()));
        let mut sup = Supervisor::new(cfg);
        sup.load();
        let supervisor = Arc::new(Mutex::new(sup));
        let wake = Arc::new(Notify::new());
        let started_ms = now_ms();
        let make = {
            let supervisor = supervisor.clone();
            let site = site.clone();
            Arc::new(move || Heartbeat {
                site: site.to_string(),
                mode: NodeMode::Agent.name().to_string(),
                started_ms,
                perf: sampler.sample(&load()),
                children: lock(&supervisor).children(),
            })
        };
        let on_reply = {
            let supervisor = supervisor.clone();
            Arc::new(move |r: &HeartbeatReply| {
                if let Some(plan) = &r.agent {
                    lock(&supervisor).apply_plan(plan);
                }
            })
        };
        let sender = Sender::spawn(rpc.clone(), controllers, make, on_reply);
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(supervise(supervisor.clone(), wake.clone(), stop_rx));
        let agent = Arc::new(Agent {
            supervisor,
            wake,
            sender,
            rpc: rpc.clone(),
            stop,
            task: Mutex::new(Some(task)),
        });
        for (name, start) in [(AGENT_START, true), (AGENT_STOP, false)] {
            let w = Arc::downgrade(&agent);
            rpc.register(name, move |args| {
                let w = w.clone();
                async move {
                    let agent = w.upgrade().ok_or("The agent is not running")?;
                    let cmd: AgentCommand = from_blob(args.first())?;
                    agent.command(&cmd, start)?;
                    Ok(value::Value::bool(true))
                }
            });
        }
        agent
    }

    fn command(&self, cmd: &AgentCommand, start: bool) -> Result<(), String> {
        {
            let mut s = lock(&self.supervisor);
            if !cmd.plan.nodes.is_empty() {
                s.apply_plan(&cmd.plan);
            }
            s.command(&cmd.aliases, start)?;
            s.save();
        }
        tracing::info!(
            "{} {}",
            if start { "start" } else { "stop" },
            cmd.aliases.join(",")
        );
        self.wake.notify_one();
        Ok(())
    }

    /// The controllers as the heartbeats know them.
    pub fn leader_view(&self) -> crate::membership::sender::LeaderView {
        self.sender.view()
    }

    /// The cluster.nodes the agent last received (`<home>/<alias>/cluster.nodes`).
    pub fn nodes_file(&self) -> PathBuf {
        lock(&self.supervisor).dir().join("cluster.nodes")
    }

    /// The state of the agent's nodes.
    pub fn children(&self) -> Vec<ChildState> {
        lock(&self.supervisor).children()
    }

    /// Stops heartbeating and supervising, then stops every node (SIGTERM, then SIGKILL after
    /// `STOP_GRACE`). The nodes that were running stay marked to run: the next start of the
    /// agent starts them again.
    pub async fn shutdown(&self) {
        self.rpc.unregister(AGENT_START);
        self.rpc.unregister(AGENT_STOP);
        self.sender.stop().await;
        let _ = self.stop.send(true);
        let task = lock(&self.task).take();
        if let Some(t) = task {
            let _ = t.await;
        }
        let running: Vec<String> = {
            let s = lock(&self.supervisor);
            s.nodes
                .iter()
                .filter(|(_, m)| m.proc.is_some())
                .map(|(a, _)| a.clone())
                .collect()
        };
        for a in &running {
            if let Some(p) = lock(&self.supervisor)
                .nodes
                .get(a)
                .and_then(|m| m.proc.as_ref())
            {
                tracing::info!("stopping {a} (pid {}) with the agent", p.pid());
                p.terminate();
            }
        }
        let deadline = Instant::now() + STOP_GRACE;
        loop {
            let left: Vec<String> = {
                let mut s = lock(&self.supervisor);
                let mut left = Vec::new();
                for (a, m) in s.nodes.iter_mut() {
                    if let Some(p) = m.proc.as_mut() {
                        if p.exited(a).is_some() {
                            m.proc = None;
                        } else {
                            left.push(a.clone());
                        }
                    }
                }
                left
            };
            if left.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                let mut s = lock(&self.supervisor);
                for a in &left {
                    if let Some(p) = s.nodes.get_mut(a).and_then(|m| m.proc.as_mut()) {
                        tracing::warn!("{a} did not stop in time: killing it");
                        p.kill();
                    }
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut s = lock(&self.supervisor);
        for m in s.nodes.values_mut() {
            m.proc = None;
        }
        s.dirty = true;
        s.save();
    }
}

async fn supervise(
    supervisor: Arc<Mutex<Supervisor>>,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        {
            let mut s = lock(&supervisor);
            let actions = s.tick(Instant::now());
            s.execute(actions);
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(SUPERVISE_EVERY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(home: &Path) -> AgentConfig {
        AgentConfig {
            site: Site::parse("127.0.0.1:8710:agent1").unwrap(),
            home: home.to_path_buf(),
            log_dir: home.join("log"),
            exe: PathBuf::from("/bin/sleep"),
            controllers: vec![ControllerSite::new("127.0.0.1", 8900, "master")],
            script: None,
        }
    }

    fn plan() -> AgentPlan {
        AgentPlan {
            nodes: vec![PlannedNode {
                site: "127.0.0.1:8711:P1-node1".into(),
                mode: "datanode".into(),
                compute_group: String::new(),
            }],
            cluster_cfg: vec!["maxMemSize=8".into()],
            nodes_file: "localSite,mode\n127.0.0.1:8711:P1-node1,datanode\n".into(),
            controllers: vec!["127.0.0.1:8900:master".into()],
            restart_interval_s: 2,
            restart_level: "CRASH".into(),
        }
    }

    fn temp(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("porpoise-agent-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    #[test]
    fn plan_writes_cluster_files_and_launch_line_is_dolphindb_like() {
        let home = temp("plan");
        let mut s = Supervisor::new(cfg(&home));
        s.apply_plan(&plan());
        let dir = home.join("agent1");
        assert_eq!(
            std::fs::read_to_string(dir.join("cluster.cfg")).unwrap(),
            "maxMemSize=8\n"
        );
        assert!(std::fs::read_to_string(dir.join("cluster.nodes"))
            .unwrap()
            .contains("P1-node1"));
        let l = s.launch(&plan().nodes[0]).unwrap();
        let line = l.args.join(" ");
        assert!(line.starts_with("-mode datanode -home "), "{line}");
        assert!(
            line.contains("-localSite 127.0.0.1:8711:P1-node1"),
            "{line}"
        );
        assert!(line.contains("P1-node1.log"), "{line}");
        assert!(
            line.contains("-sites 127.0.0.1:8900:master:controller"),
            "{line}"
        );
        let _ = std::fs::remove_dir_all(home);
    }

    #[test]
    fn decisions_start_stop_and_remember() {
        let home = temp("decide");
        let mut s = Supervisor::new(cfg(&home));
        s.apply_plan(&plan());
        let now = Instant::now();
        // Known but never started: nothing to do.
        assert!(s.tick(now).is_empty());
        assert!(s.command(&["nope".into()], true).is_err());
        s.command(&["P1-node1".into()], true).unwrap();
        assert_eq!(
            s.tick(Instant::now()),
            vec![Action::Start("P1-node1".into())]
        );
        s.save();
        // A new supervisor over the same home restores what should run.
        let mut again = Supervisor::new(cfg(&home));
        again.load();
        assert_eq!(
            again.tick(Instant::now()),
            vec![Action::Start("P1-node1".into())]
        );
        assert_eq!(again.restart_interval, Duration::from_secs(2));
        // Stopped by a user: remembered as such.
        again.command(&["P1-node1".into()], false).unwrap();
        let c = again.children();
        assert!(c[0].stopped && !c[0].desired);
        let _ = std::fs::remove_dir_all(home);
    }
}
