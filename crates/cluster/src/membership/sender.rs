//! The node side of heartbeats: find the leading controller and tell it, every
//! `HEARTBEAT_INTERVAL`, that this node is alive and how loaded it is.
//!
//! The leader is found by asking the known controllers in turn; a follower answers
//! `<NotLeader>host:port:alias` and the next heartbeat goes there. The leader's reply names every
//! controller, so a node started with only `controllerSite` learns the whole group.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::{Heartbeat, HeartbeatReply, HEARTBEAT, HEARTBEAT_CALL_TIMEOUT, HEARTBEAT_INTERVAL};
use crate::raft::ControllerSite;
use crate::rpc::{from_blob, to_blob, CallOptions, Rpc, RpcError};

/// Most controllers a node keeps track of.
pub const CONTROLLERS_MAX: usize = 64;

type MakeHeartbeat = Arc<dyn Fn() -> Heartbeat + Send + Sync>;
type OnReply = Arc<dyn Fn(&HeartbeatReply) + Send + Sync>;

/// What the sender knows of the controllers.
#[derive(Clone, Debug, Default)]
pub struct LeaderView {
    pub controllers: Vec<ControllerSite>,
    /// The leader the last heartbeat reached.
    pub leader: Option<ControllerSite>,
}

/// A running heartbeat loop.
pub struct Sender {
    view: Arc<Mutex<LeaderView>>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Sender {
    /// Starts heartbeating to the leader among `controllers`. `make` builds each heartbeat;
    /// `on_reply` sees each answer of the leader.
    pub fn spawn(
        rpc: Arc<Rpc>,
        controllers: Vec<ControllerSite>,
        make: MakeHeartbeat,
        on_reply: OnReply,
    ) -> Sender {
        let view = Arc::new(Mutex::new(LeaderView {
            controllers,
            leader: None,
        }));
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(rpc, view.clone(), make, on_reply, stop_rx));
        Sender {
            view,
            stop,
            task: Mutex::new(Some(task)),
        }
    }

    pub fn view(&self) -> LeaderView {
        self.view.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The leader the last heartbeat reached.
    pub fn leader(&self) -> Option<ControllerSite> {
        self.view().leader
    }

    /// Stops heartbeating (a node that shuts down stops heartbeating first).
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = task {
            let _ = t.await;
        }
    }
}

async fn run(
    rpc: Arc<Rpc>,
    view: Arc<Mutex<LeaderView>>,
    make: MakeHeartbeat,
    on_reply: OnReply,
    mut stop: watch::Receiver<bool>,
) {
    // The controller to try next, and the next index in turn when there is none.
    let mut target: Option<ControllerSite> = None;
    let mut turn = 0usize;
    let mut failures = 0u32;
    loop {
        let controllers = view
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .controllers
            .clone();
        if !controllers.is_empty() {
            let to = target.clone().unwrap_or_else(|| {
                let c = controllers[turn % controllers.len()].clone();
                turn = turn.wrapping_add(1);
                c
            });
            match beat(&rpc, &to, &make).await {
                Ok(reply) => {
                    failures = 0;
                    let leader = ControllerSite::parse(&reply.leader).unwrap_or(to.clone());
                    let mut known: Vec<ControllerSite> = reply
                        .controllers
                        .iter()
                        .filter_map(|s| ControllerSite::parse(s))
                        .take(CONTROLLERS_MAX)
                        .collect();
                    {
                        let mut v = view.lock().unwrap_or_else(|e| e.into_inner());
                        if known.is_empty() {
                            known = v.controllers.clone();
                        }
                        v.controllers = known;
                        v.leader = Some(leader.clone());
                    }
                    target = Some(leader);
                    on_reply(&reply);
                }
                Err(Redirect(Some(leader))) => {
                    target = Some(leader);
                    continue; // go to the leader at once
                }
                Err(Redirect(None)) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 || failures.is_multiple_of(20) {
                        tracing::info!("HeartBeatSender: no leader at {} yet", to.alias);
                    }
                    view.lock().unwrap_or_else(|e| e.into_inner()).leader = None;
                    target = None;
                }
            }
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(HEARTBEAT_INTERVAL) => {}
        }
    }
}

/// Where to go after a failed heartbeat: the leader a follower named, or None (ask the next).
struct Redirect(Option<ControllerSite>);

async fn beat(
    rpc: &Rpc,
    to: &ControllerSite,
    make: &MakeHeartbeat,
) -> Result<HeartbeatReply, Redirect> {
    let hb = make();
    let arg = to_blob(&hb).map_err(|_| Redirect(None))?;
    let opts = CallOptions::idempotent(HEARTBEAT_CALL_TIMEOUT);
    match rpc.call(&to.addr(), HEARTBEAT, vec![arg], opts).await {
        Ok(v) => from_blob(Some(&v)).map_err(|e| {
            tracing::warn!("HeartBeatSender: bad reply from {}: {e}", to.alias);
            Redirect(None)
        }),
        Err(RpcError::Remote(msg)) => {
            if let Some(site) = msg.strip_prefix("<NotLeader>") {
                let leader = ControllerSite::parse(site).filter(|l| l.alias != to.alias);
                if leader.is_some() {
                    return Err(Redirect(leader));
                }
            } else if msg.starts_with("Can't recognize function name") {
                // The controller is starting: its membership service is not registered yet.
                tracing::debug!("HeartBeatSender: {} is not ready yet", to.alias);
            } else if !msg.starts_with("<UnknownLeader>") {
                tracing::warn!("HeartBeatSender: {} refused the heartbeat: {msg}", to.alias);
            }
            Err(Redirect(None))
        }
        Err(e) => {
            tracing::debug!("HeartBeatSender exception: {} {e}", to.alias);
            Err(Redirect(None))
        }
    }
}
