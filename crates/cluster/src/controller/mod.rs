//! A controller node's metadata service: the controllers' Raft group over the controller state
//! (DFS catalog, node registry, cluster config, users and privileges).
//!
//! With `dfsHAMode=Raft` every controller of `cluster.nodes` is a member; otherwise the group
//! has one member, the controller itself (one code path). Writes go through `propose`, which only
//! the leader accepts: a follower answers `<NotLeader>host:port:alias` (what DolphinDB's followers
//! answer and the official clients follow), and a leader that can't reach a quorum fails within a
//! bounded time with a clear error. Reads (`read`) see the local applied state, which on a
//! follower may lag the leader by a heartbeat.
//!
//! Election timing comes from `raftElectionTick` in DolphinDB's unit (10 ms): a follower that
//! stops hearing from the leader starts an election after about tick x 10 ms (`Timing`).
//! DolphinDB's default is 800 (8 s); porpoise's default is `DEFAULT_ELECTION_TICK` (100: 1 s) so
//! that a failover takes well under 5 s. Set `raftElectionTick` higher on flaky networks.

pub mod cluster_files;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use openraft::error::{ClientWriteError, InitializeError, RaftError};
use openraft::{RaftMetrics, ServerState, SnapshotPolicy};
use tokio::sync::{mpsc, oneshot};
use value::{Value, Vector};

use crate::raft::state::NodeEntry;
use crate::raft::store::{self, Applied};
use crate::raft::{self, Command, ControllerSite, ControllerState, Network, NodeId, Raft, Reply};
use crate::rpc::{self, from_blob, to_blob, CallOptions, Rpc, RpcError};
use crate::{Error, Result};

/// `raftElectionTick` when unset, in DolphinDB's unit of 10 ms.
pub const DEFAULT_ELECTION_TICK: u64 = 100;
/// Milliseconds per `raftElectionTick` unit.
pub const ELECTION_TICK_MS: u64 = 10;
/// Smallest tick accepted (100 ms); smaller values are raised to it.
pub const ELECTION_TICK_MIN: u64 = 10;
/// A snapshot is built after this many applied entries.
pub const SNAPSHOT_EVERY_LOGS: u64 = 1000;
/// Bytes per snapshot chunk sent to a follower.
pub const SNAPSHOT_CHUNK_BYTES: u64 = 1 << 20;
/// Bound on receiving one snapshot chunk.
pub const SNAPSHOT_CHUNK_TIMEOUT_MS: u64 = 10_000;
/// The Raft group's name (DolphinDB's `DFSMaster`).
pub const GROUP_NAME: &str = "DFSMaster";
/// How often the first-start seeding is retried until it is applied.
pub const SEED_RETRY: Duration = Duration::from_millis(200);
/// Pause before asking the controllers again when none admits to leading.
pub const LEADER_SEARCH_PAUSE: Duration = Duration::from_millis(100);

/// Most proposals waiting to be batched; more are refused at once.
pub const PROPOSE_QUEUE_MAX: usize = 4096;
/// Most proposals put in one log entry.
pub const BATCH_MAX: usize = 256;

/// Internal calls a controller serves (besides the Raft messages).
pub const PROPOSE: &str = "__cluster_propose";
pub const LEADER: &str = "__cluster_leader";
/// The leader's users and privileges (a linearizable read; `crate::acl`).
pub const ACL: &str = "__cluster_acl";

/// What starting a controller needs.
#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// This controller's `localSite`.
    pub local: ControllerSite,
    /// `dfsHAMode=Raft`: the group is `peers`.
    pub ha: bool,
    /// The controllers of the cluster (`cluster.nodes` rows with mode controller), including
    /// this one; used only when `ha`.
    pub peers: Vec<ControllerSite>,
    /// Where the Raft file lives (`<home>/<alias>/raft`).
    pub dir: PathBuf,
    /// `raftElectionTick`, in units of 10 ms.
    pub election_tick: u64,
    /// `cluster.nodes` and `cluster.cfg` as read at this start: written to the replicated state
    /// on the cluster's first start only (later starts read them from the state).
    pub seed_nodes: Vec<NodeEntry>,
    pub seed_config: Vec<(String, String)>,
    /// A snapshot is built after this many log entries (`SNAPSHOT_EVERY_LOGS`); half as many
    /// are kept behind it for slow followers.
    pub snapshot_every_logs: u64,
}

impl ControllerConfig {
    /// A one-member group with default timing, its Raft file under `dir`.
    pub fn single(local: ControllerSite, dir: PathBuf) -> ControllerConfig {
        ControllerConfig {
            local,
            ha: false,
            peers: Vec::new(),
            dir,
            election_tick: DEFAULT_ELECTION_TICK,
            seed_nodes: Vec::new(),
            seed_config: Vec::new(),
            snapshot_every_logs: SNAPSHOT_EVERY_LOGS,
        }
    }

    /// From DolphinDB's keys (`get` looks a key up in controller.cfg / the command line):
    /// `dfsHAMode`, `raftElectionTick`. `nodes` is `cluster.nodes` (its controller
    /// rows form the group when `dfsHAMode=Raft`), `cluster_cfg` the `cluster.cfg` lines.
    pub fn from_keys(
        local: ControllerSite,
        home: &Path,
        get: &dyn Fn(&str) -> Option<String>,
        nodes: Vec<NodeEntry>,
        cluster_cfg: Vec<(String, String)>,
    ) -> Result<ControllerConfig> {
        let ha = get("dfsHAMode").is_some_and(|m| m.trim().eq_ignore_ascii_case("raft"));
        let election_tick = match get("raftElectionTick") {
            None => DEFAULT_ELECTION_TICK,
            Some(t) => match t.trim().parse::<u64>() {
                Ok(n) => n,
                Err(_) => crate::err!(
                    "Invalid raftElectionTick [{}]: expected a positive integer",
                    t
                ),
            },
        };
        // DolphinDB keeps the Raft files in `<home>/<alias>/raft` whatever `dfsMetaDir` says
        // (helper nodes): the seed's three controllers all set `dfsMetaDir=/data/ddb/server/log`,
        // a path outside their mounted home, which on one host would also be one shared file.
        let dir = home.join(&local.alias).join("raft");
        let peers = nodes
            .iter()
            .filter(|n| n.mode == "controller")
            .map(|n| ControllerSite::new(&n.host, n.port, &n.alias))
            .collect();
        Ok(ControllerConfig {
            local,
            ha,
            peers,
            dir,
            election_tick,
            seed_nodes: nodes,
            seed_config: cluster_cfg,
            snapshot_every_logs: SNAPSHOT_EVERY_LOGS,
        })
    }
}

/// Election timing derived from `raftElectionTick`.
///
/// DolphinDB: a follower that stops hearing from the leader starts an election after a random
/// timeout in [T, 2T], T = tick x 10 ms. openraft 0.9 makes a follower wait the leader lease
/// (= its `election_timeout_max`) plus a random election timeout in [min, max]; with
/// min = T / 3 and max = 2 min, that is [T, 4T/3]: within DolphinDB's range, so a failover takes
/// about T plus one election round trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// T: `raftElectionTick` in milliseconds.
    pub election_timeout_ms: u64,
    /// openraft's election timeout range and heartbeat interval.
    pub election_min_ms: u64,
    pub election_max_ms: u64,
    pub heartbeat_ms: u64,
    /// A leader that has not heard from a quorum for this long stops calling itself leader and
    /// refuses proposals at once (openraft's leader lease).
    pub quorum_lease_ms: u64,
    /// Bound on one `propose` when the leader still believes it has a quorum.
    pub propose_timeout: Duration,
}

impl Timing {
    pub fn from_tick(tick: u64) -> Timing {
        let t = tick.max(ELECTION_TICK_MIN) * ELECTION_TICK_MS;
        let min = t / 3;
        let max = 2 * min;
        // openraft bounds each append by one heartbeat interval: keep it well above a slow
        // fsync while several fit in an election timeout.
        let heartbeat = (min / 3).max(20);
        Timing {
            election_timeout_ms: t,
            election_min_ms: min,
            election_max_ms: max,
            heartbeat_ms: heartbeat,
            quorum_lease_ms: max,
            propose_timeout: Duration::from_millis(t + 2 * heartbeat),
        }
    }
}

/// What a leader that has not heard from a quorum lately answers at once: the request was not
/// taken (so another controller, which may lead a majority, can be asked).
pub const NOT_ACCEPTED_NO_QUORUM: &str =
    "The controller has not heard from a quorum of the Raft group lately: the request was not accepted";

/// Why a proposal was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposeError {
    /// This controller is not the leader; the leader's `host:port:alias` when known.
    NotLeader(Option<String>),
    /// No quorum answered in time: the command was not committed (it is applied later only if
    /// a quorum comes back while the leader still holds it).
    NoQuorum { waited_ms: u64 },
    /// The state machine refused the command (its message, e.g. a catalog error).
    Refused(String),
    /// The Raft group of this controller stopped.
    Stopped(String),
}

impl std::fmt::Display for ProposeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProposeError::NotLeader(Some(site)) => write!(f, "<NotLeader>{site}"),
            ProposeError::NotLeader(None) => {
                f.write_str("<UnknownLeader>leader is temporarily unavailable")
            }
            ProposeError::NoQuorum { waited_ms: 0 } => f.write_str(NOT_ACCEPTED_NO_QUORUM),
            ProposeError::NoQuorum { waited_ms } => write!(
                f,
                "The controller Raft group has no quorum: the request was not committed within {waited_ms} ms"
            ),
            ProposeError::Refused(m) => f.write_str(m),
            ProposeError::Stopped(m) => write!(f, "The controller's Raft group stopped: {m}"),
        }
    }
}

impl std::error::Error for ProposeError {}

impl From<ProposeError> for Error {
    fn from(e: ProposeError) -> Self {
        Error(e.to_string())
    }
}

/// A running controller.
pub struct Controller {
    local: ControllerSite,
    id: NodeId,
    members: BTreeMap<NodeId, ControllerSite>,
    raft: Raft,
    applied: Arc<RwLock<Applied>>,
    rpc: Arc<Rpc>,
    timing: Timing,
    stopped: Mutex<bool>,
    /// Proposals for the batcher; None once shut down.
    queue: Mutex<Option<mpsc::Sender<Pending>>>,
}

type Answer = std::result::Result<Reply, ProposeError>;

/// A proposal waiting for the batcher.
struct Pending {
    cmd: Command,
    tx: oneshot::Sender<Answer>,
}

/// Puts concurrent proposals into one log entry: one write is in flight at a time, and the
/// proposals that arrive meanwhile go together in the next (`Command::Batch`). openraft 0.9
/// appends (and syncs) one client write at a time, so this is what shares a sync among many
/// proposals.
async fn batcher(raft: Raft, timing: Timing, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let (mut cmds, txs): (Vec<Command>, Vec<oneshot::Sender<Answer>>) =
            batch.into_iter().map(|p| (p.cmd, p.tx)).unzip();
        let single = cmds.len() == 1;
        let cmd = match cmds.pop() {
            Some(c) if single => c,
            Some(c) => {
                cmds.push(c);
                Command::Batch(cmds)
            }
            None => continue,
        };
        let started = Instant::now();
        let answer =
            match tokio::time::timeout(timing.propose_timeout, raft.client_write(cmd)).await {
                Err(_) => Err(ProposeError::NoQuorum {
                    waited_ms: started.elapsed().as_millis() as u64,
                }),
                Ok(Ok(resp)) => Ok(resp.data.0),
                Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f)))) => {
                    Err(ProposeError::NotLeader(f.leader_node.map(|n| n.site())))
                }
                Ok(Err(RaftError::APIError(e))) => Err(ProposeError::Refused(e.to_string())),
                Ok(Err(RaftError::Fatal(f))) => Err(ProposeError::Stopped(f.to_string())),
            };
        match answer {
            Ok(r) if single => {
                if let Some(tx) = txs.into_iter().next() {
                    let _ = tx.send(r.map_err(ProposeError::Refused));
                }
            }
            Ok(Ok(Reply::Batch(rs))) if rs.len() == txs.len() => {
                for (tx, r) in txs.into_iter().zip(rs) {
                    let _ = tx.send(r.map_err(ProposeError::Refused));
                }
            }
            Ok(other) => {
                let e = ProposeError::Refused(format!("Unexpected answer to a batch: {other:?}"));
                for tx in txs {
                    let _ = tx.send(Err(e.clone()));
                }
            }
            Err(e) => {
                for tx in txs {
                    let _ = tx.send(Err(e.clone()));
                }
            }
        }
    }
}

fn read_lock<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

impl Controller {
    /// Opens the Raft file, joins (or forms) the group, and registers the controller's internal
    /// calls and script functions on `rpc`. Returns at once: the first election happens in
    /// the background (`wait_for_leader` waits for it).
    pub async fn start(cfg: ControllerConfig, rpc: Arc<Rpc>) -> Result<Arc<Controller>> {
        let mut members: BTreeMap<NodeId, ControllerSite> = BTreeMap::new();
        let sites: Vec<ControllerSite> = if cfg.ha {
            let mut p = cfg.peers.clone();
            if !p.iter().any(|s| s.alias == cfg.local.alias) {
                p.push(cfg.local.clone());
            }
            p
        } else {
            vec![cfg.local.clone()]
        };
        for s in sites {
            let id = s.id();
            if let Some(other) = members.get(&id) {
                if other.alias == s.alias {
                    crate::err!("The controller alias [{}] appears twice", s.alias);
                }
                crate::err!(
                    "The controller aliases [{}] and [{}] collide; rename one",
                    other.alias,
                    s.alias
                );
            }
            members.insert(id, s);
        }
        if cfg.ha && members.len() < 3 {
            tracing::warn!(
                "dfsHAMode=Raft with {} controller(s): at least 3 are needed to survive the loss of one",
                members.len()
            );
        }
        let timing = Timing::from_tick(cfg.election_tick);
        let raft_config = openraft::Config {
            cluster_name: GROUP_NAME.to_string(),
            election_timeout_min: timing.election_min_ms,
            election_timeout_max: timing.election_max_ms,
            heartbeat_interval: timing.heartbeat_ms,
            install_snapshot_timeout: SNAPSHOT_CHUNK_TIMEOUT_MS,
            snapshot_policy: SnapshotPolicy::LogsSinceLast(cfg.snapshot_every_logs.max(2)),
            max_in_snapshot_log_to_keep: cfg.snapshot_every_logs.max(2) / 2,
            snapshot_max_chunk_size: SNAPSHOT_CHUNK_BYTES,
            ..Default::default()
        }
        .validate()
        .map_err(|e| Error(format!("Invalid Raft configuration: {e}")))?;
        let (log_store, sm) = store::open(&cfg.dir)?;
        let applied = sm.applied();
        let id = cfg.local.id();
        let raft = Raft::new(
            id,
            Arc::new(raft_config),
            Network::new(rpc.clone()),
            log_store,
            sm,
        )
        .await
        .map_err(|e| Error(format!("Failed to start the controller Raft group: {e}")))?;
        raft::register_handlers(&rpc, &raft);
        let initialized = raft
            .is_initialized()
            .await
            .map_err(|e| Error(format!("Failed to start the controller Raft group: {e}")))?;
        if !initialized {
            // Every member initializes with the same membership on its first start: safe.
            match raft.initialize(members.clone()).await {
                Ok(()) => {}
                Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
                Err(e) => {
                    raft::unregister_handlers(&rpc);
                    let _ = raft.shutdown().await;
                    crate::err!("Failed to initialize the controller Raft group: {}", e);
                }
            }
        } else {
            let stored: BTreeSet<NodeId> = read_lock(&applied)
                .last_membership
                .membership()
                .voter_ids()
                .collect();
            let configured: BTreeSet<NodeId> = members.keys().copied().collect();
            if !stored.is_empty() && stored != configured {
                tracing::warn!(
                    "the controllers in the configuration differ from the Raft group's stored membership; the stored one is used"
                );
            }
        }
        tracing::info!(
            "{} ElectionTick is set to {} ({} ms); <Raft> Group {} initialized with {} member(s)",
            GROUP_NAME,
            cfg.election_tick,
            timing.election_timeout_ms,
            GROUP_NAME,
            members.len()
        );
        let (queue, rx) = mpsc::channel(PROPOSE_QUEUE_MAX);
        tokio::spawn(batcher(raft.clone(), timing, rx));
        let c = Arc::new(Controller {
            local: cfg.local.clone(),
            id,
            members,
            raft,
            applied,
            rpc: rpc.clone(),
            timing,
            stopped: Mutex::new(false),
            queue: Mutex::new(Some(queue)),
        });
        register_services(&c);
        if !cfg.seed_nodes.is_empty() || !cfg.seed_config.is_empty() {
            tokio::spawn(seed(
                Arc::downgrade(&c),
                Command::Seed {
                    nodes: cfg.seed_nodes,
                    config: cfg.seed_config,
                },
            ));
        }
        Ok(c)
    }

    pub fn local(&self) -> &ControllerSite {
        &self.local
    }

    /// The Raft id of this controller.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The configured members of the group.
    pub fn members(&self) -> Vec<ControllerSite> {
        self.members.values().cloned().collect()
    }

    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// openraft's metrics (state, term, leader, last applied...).
    pub fn metrics(&self) -> RaftMetrics<NodeId, ControllerSite> {
        self.raft.metrics().borrow().clone()
    }

    /// The underlying Raft handle.
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    fn has_quorum(&self, m: &RaftMetrics<NodeId, ControllerSite>) -> bool {
        self.members.len() <= 1
            || m.millis_since_quorum_ack
                .is_some_and(|ms| ms <= self.timing.quorum_lease_ms)
    }

    /// Whether this controller leads and has heard from a quorum within an election timeout.
    pub fn is_leader(&self) -> bool {
        let m = self.metrics();
        m.state == ServerState::Leader && self.has_quorum(&m)
    }

    fn site_of(
        &self,
        id: NodeId,
        m: &RaftMetrics<NodeId, ControllerSite>,
    ) -> Option<ControllerSite> {
        m.membership_config
            .membership()
            .get_node(&id)
            .cloned()
            .or_else(|| self.members.get(&id).cloned())
    }

    /// The leader as this controller knows it. A leader that lost its quorum knows none.
    pub fn leader(&self) -> Option<ControllerSite> {
        let m = self.metrics();
        if m.state == ServerState::Leader {
            return self.has_quorum(&m).then(|| self.local.clone());
        }
        let id = m.current_leader?;
        self.site_of(id, &m)
    }

    /// The leader's `host:port:alias`.
    pub fn leader_site(&self) -> Option<String> {
        self.leader().map(|s| s.site())
    }

    /// The leader's alias (`getActiveMaster`).
    pub fn leader_alias(&self) -> Option<String> {
        self.leader().map(|s| s.alias)
    }

    /// Waits until some controller leads (as this one sees it), up to `timeout`.
    pub async fn wait_for_leader(&self, timeout: Duration) -> Option<ControllerSite> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.leader() {
                return Some(l);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The error a follower answers for a request that needs the leader.
    pub fn not_leader(&self) -> ProposeError {
        ProposeError::NotLeader(self.leader_site())
    }

    /// Commits `cmd` through the group and applies it. Fails at once on a follower
    /// (`<NotLeader>host:port:alias`), and within about `Timing::propose_timeout` when there is
    /// no quorum; never hangs. Concurrent proposals share log entries (`Command::Batch`); each
    /// gets its own answer.
    pub async fn propose(&self, cmd: Command) -> std::result::Result<Reply, ProposeError> {
        if *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(ProposeError::Stopped("the controller was shut down".into()));
        }
        let m = self.metrics();
        if m.state != ServerState::Leader {
            return Err(ProposeError::NotLeader(
                m.current_leader
                    .and_then(|id| self.site_of(id, &m))
                    .map(|s| s.site()),
            ));
        }
        if self.members.len() > 1 {
            if let Some(ms) = m.millis_since_quorum_ack {
                if ms > self.timing.quorum_lease_ms {
                    return Err(ProposeError::NoQuorum { waited_ms: 0 });
                }
            }
        }
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| ProposeError::Stopped("the controller was shut down".into()))?;
        let (tx, rx) = oneshot::channel();
        let started = Instant::now();
        if let Err(e) = queue.try_send(Pending { cmd, tx }) {
            return Err(match e {
                mpsc::error::TrySendError::Full(_) => ProposeError::Refused(format!(
                    "The controller has {PROPOSE_QUEUE_MAX} proposals waiting; try again later"
                )),
                mpsc::error::TrySendError::Closed(_) => {
                    ProposeError::Stopped("the controller was shut down".into())
                }
            });
        }
        // The batcher bounds each write by the propose timeout; a proposal may also wait for
        // the write ahead of it.
        let bound = self.timing.propose_timeout * 2 + Duration::from_millis(100);
        match tokio::time::timeout(bound, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(ProposeError::Stopped("the controller was shut down".into())),
            Err(_) => Err(ProposeError::NoQuorum {
                waited_ms: started.elapsed().as_millis() as u64,
            }),
        }
    }

    /// Reads the applied state (a follower's may lag the leader's by a heartbeat).
    pub fn read<R>(&self, f: impl FnOnce(&ControllerState) -> R) -> R {
        f(&read_lock(&self.applied).state)
    }

    /// Reads the state on the leader after confirming, with a quorum, that it still leads and
    /// has applied everything committed before the call (a linearizable read). Fails like
    /// `propose`: `<NotLeader>...` on a follower, no quorum within the propose timeout.
    pub async fn read_leader<R>(
        &self,
        f: impl FnOnce(&ControllerState) -> R,
    ) -> std::result::Result<R, ProposeError> {
        let m = self.metrics();
        if m.state != ServerState::Leader {
            return Err(ProposeError::NotLeader(
                m.current_leader
                    .and_then(|id| self.site_of(id, &m))
                    .map(|s| s.site()),
            ));
        }
        let started = Instant::now();
        match tokio::time::timeout(self.timing.propose_timeout, self.raft.ensure_linearizable())
            .await
        {
            Err(_) => Err(ProposeError::NoQuorum {
                waited_ms: started.elapsed().as_millis() as u64,
            }),
            Ok(Ok(_)) => Ok(self.read(f)),
            Ok(Err(RaftError::APIError(e))) => match e {
                openraft::error::CheckIsLeaderError::ForwardToLeader(fw) => {
                    Err(ProposeError::NotLeader(fw.leader_node.map(|n| n.site())))
                }
                openraft::error::CheckIsLeaderError::QuorumNotEnough(_) => {
                    Err(ProposeError::NoQuorum {
                        waited_ms: started.elapsed().as_millis() as u64,
                    })
                }
            },
            Ok(Err(RaftError::Fatal(f))) => Err(ProposeError::Stopped(f.to_string())),
        }
    }

    /// The index of the last applied log entry (0 before any).
    pub fn applied_index(&self) -> u64 {
        read_lock(&self.applied)
            .last_applied
            .map(|l| l.index)
            .unwrap_or(0)
    }

    /// Stops the Raft group and removes the controller's calls from `rpc`. Idempotent.
    pub async fn shutdown(&self) {
        {
            let mut s = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
            if *s {
                return;
            }
            *s = true;
        }
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).take();
        unregister_services(&self.rpc);
        raft::unregister_handlers(&self.rpc);
        if let Err(e) = self.raft.shutdown().await {
            tracing::warn!("the controller Raft group did not stop cleanly: {e}");
        }
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        // The handlers hold the Raft handle: without them nothing keeps the group reachable.
        raft::unregister_handlers(&self.rpc);
        unregister_services(&self.rpc);
    }
}

/// Proposes the first start's `cluster.nodes`/`cluster.cfg` once this controller leads, until
/// the state has been seeded (by this controller or another).
async fn seed(c: Weak<Controller>, cmd: Command) {
    loop {
        let Some(ctl) = c.upgrade() else { return };
        if *ctl.stopped.lock().unwrap_or_else(|e| e.into_inner()) || ctl.read(|s| s.seeded) {
            return;
        }
        if ctl.metrics().state == ServerState::Leader {
            match ctl.propose(cmd.clone()).await {
                Ok(_) => return,
                Err(ProposeError::Refused(e)) => {
                    tracing::error!("the cluster configuration was refused: {e}");
                    return;
                }
                Err(_) => {}
            }
        }
        drop(ctl);
        tokio::time::sleep(SEED_RETRY).await;
    }
}

const SCRIPT_FUNCTIONS: [&str; 3] = [
    "getActiveMaster",
    "getControllerAlias",
    "getClusterDFSDatabases",
];

fn unregister_services(rpc: &Rpc) {
    rpc.unregister(PROPOSE);
    rpc.unregister(LEADER);
    rpc.unregister(ACL);
    for f in SCRIPT_FUNCTIONS {
        rpc.unregister_function(f);
    }
    cluster_files::unregister(rpc);
}

fn running(c: &Weak<Controller>) -> std::result::Result<Arc<Controller>, String> {
    c.upgrade()
        .ok_or_else(|| "The controller is not running".to_string())
}

fn register_services(c: &Arc<Controller>) {
    cluster_files::register(c);
    let rpc = &c.rpc;
    let w = Arc::downgrade(c);
    rpc.register(PROPOSE, move |args| {
        let w = w.clone();
        async move {
            let ctl = running(&w)?;
            let cmd: Command = from_blob(args.first())?;
            let reply = ctl.propose(cmd).await.map_err(|e| e.to_string())?;
            to_blob(&reply)
        }
    });
    let w = Arc::downgrade(c);
    rpc.register(ACL, move |_| {
        let w = w.clone();
        async move {
            let ctl = running(&w)?;
            let acl = ctl
                .read_leader(|s| s.acl.clone())
                .await
                .map_err(|e| e.to_string())?;
            to_blob(&acl)
        }
    });
    let w = Arc::downgrade(c);
    rpc.register(LEADER, move |_| {
        let w = w.clone();
        async move {
            let ctl = running(&w)?;
            Ok(Value::string(ctl.leader_site().unwrap_or_default()))
        }
    });
    let w = Arc::downgrade(c);
    rpc.register_function("getActiveMaster", move |_| {
        let ctl = running(&w)?;
        ctl.leader_alias()
            .map(Value::string)
            .ok_or_else(|| ProposeError::NotLeader(None).to_string())
    });
    let w = Arc::downgrade(c);
    rpc.register_function("getControllerAlias", move |_| {
        let ctl = running(&w)?;
        Ok(Value::string(
            ctl.leader_alias()
                .unwrap_or_else(|| ctl.local.alias.clone()),
        ))
    });
    let w = Arc::downgrade(c);
    rpc.register_function("getClusterDFSDatabases", move |_| {
        let ctl = running(&w)?;
        let dbs = ctl.read(|s| s.catalog.databases.keys().cloned().collect::<Vec<_>>());
        Ok(Value::vector(Vector::from_strings(dbs)))
    });
}

/// Proposes `cmd` from any node: asks the controllers in turn (the last known leader first),
/// follows `<NotLeader>` answers, and gives up after `timeout`. The command is sent once per
/// controller that could be leading; an ambiguous failure (timeout, broken connection after
/// sending) is returned, not retried, since the command may have been applied.
pub async fn propose_remote(
    rpc: &Rpc,
    controllers: &[ControllerSite],
    cmd: &Command,
    timeout: Duration,
) -> Result<Reply> {
    if controllers.is_empty() {
        crate::err!("No controller is configured");
    }
    let arg = to_blob(cmd).map_err(Error)?;
    let deadline = Instant::now() + timeout;
    let mut next: Option<String> = None;
    let mut turn = 0usize;
    // The last answer of each controller: together they say why nothing was accepted.
    let mut answers: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            crate::err!(
                "No controller accepted the request within {} ms (no leader with a quorum of the {} controllers): {}",
                timeout.as_millis(),
                controllers.len(),
                describe(&answers)
            );
        }
        let addr = match next.take() {
            Some(a) => a,
            None => {
                let s = &controllers[turn % controllers.len()];
                turn += 1;
                if turn % controllers.len() == 0 {
                    tokio::time::sleep(LEADER_SEARCH_PAUSE.min(left)).await;
                }
                s.addr()
            }
        };
        let answer = rpc
            .call(&addr, PROPOSE, vec![arg.clone()], CallOptions::once(left))
            .await;
        let last_error = &mut *answers.entry(addr).or_default();
        match answer {
            Ok(v) => return from_blob(Some(&v)).map_err(Error),
            Err(RpcError::Remote(msg)) => {
                if let Some(site) = msg.strip_prefix("<NotLeader>") {
                    if let Some(s) = ControllerSite::parse(site) {
                        next = Some(s.addr());
                    }
                    *last_error = msg;
                } else if msg.starts_with("<UnknownLeader>")
                    || msg.starts_with("Can't recognize function name")
                    || msg.starts_with(NOT_ACCEPTED_NO_QUORUM)
                {
                    // Not taken: ask the others (a stale leader cut off from a majority
                    // refuses so while the majority elects another).
                    *last_error = msg;
                } else {
                    return Err(Error(msg));
                }
            }
            Err(e @ RpcError::Unreachable(_)) => *last_error = e.to_string(),
            Err(e @ RpcError::Timeout(_)) => {
                // The time is up while a controller held the request: it may still commit.
                *last_error = e.to_string();
                crate::err!(
                    "No controller confirmed the request within {} ms (no leader with a quorum of the {} controllers answered in time; it may still be applied): {}",
                    timeout.as_millis(),
                    controllers.len(),
                    describe(&answers)
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads the leader's users and privileges from any node: asks the controllers in turn (following
/// `<NotLeader>` answers) until one that leads answers, up to `timeout`. A read may be retried.
pub async fn read_acl_remote(
    rpc: &Rpc,
    controllers: &[ControllerSite],
    timeout: Duration,
) -> Result<script::acl::Acl> {
    if controllers.is_empty() {
        crate::err!("No controller is configured");
    }
    let deadline = Instant::now() + timeout;
    let mut next: Option<String> = None;
    let mut turn = 0usize;
    let mut last_error = String::from("no controller answered");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            crate::err!(
                "No controller answered with the users within {} ms: {}",
                timeout.as_millis(),
                last_error
            );
        }
        let addr = match next.take() {
            Some(a) => a,
            None => {
                let s = &controllers[turn % controllers.len()];
                turn += 1;
                if turn % controllers.len() == 0 {
                    tokio::time::sleep(LEADER_SEARCH_PAUSE.min(left)).await;
                }
                s.addr()
            }
        };
        match rpc.call(&addr, ACL, vec![], CallOptions::once(left)).await {
            Ok(v) => return from_blob(Some(&v)).map_err(Error),
            Err(RpcError::Remote(msg)) => {
                if let Some(site) = msg.strip_prefix("<NotLeader>") {
                    if let Some(s) = ControllerSite::parse(site) {
                        next = Some(s.addr());
                    }
                }
                last_error = msg;
            }
            Err(e) => last_error = e.to_string(),
        }
    }
}

/// `addr: answer; addr: answer` for an error message.
fn describe(answers: &BTreeMap<String, String>) -> String {
    if answers.is_empty() {
        return "no controller answered".into();
    }
    answers
        .iter()
        .map(|(a, e)| format!("{a}: {e}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Asks the controllers who leads; the first answer wins.
pub async fn find_leader(
    rpc: &Rpc,
    controllers: &[ControllerSite],
    timeout: Duration,
) -> Option<ControllerSite> {
    for c in controllers {
        let got = rpc
            .call(&c.addr(), LEADER, vec![], CallOptions::idempotent(timeout))
            .await;
        if let Ok(v) = got {
            if let Some(s) = v.as_str().and_then(ControllerSite::parse) {
                return Some(s);
            }
        }
    }
    None
}

/// The `rpc` module's `block_on`, for script functions that propose.
pub use rpc::block_on;
