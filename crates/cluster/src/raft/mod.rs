//! The controllers' Raft group (openraft 0.9): type configuration, the network over
//! `cluster::rpc`, and the log store / state machine (`store`) over the controller state
//! (`state`).
//!
//! Raft messages travel as internal calls (`__cluster_raft_append`, `__cluster_raft_vote`,
//! `__cluster_raft_snapshot`) whose single argument and result are BLOB scalars holding the
//! openraft message as JSON. `Controller` (crate::controller) registers the handlers.

pub mod state;
pub mod store;

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::{Deserialize, Serialize};

use crate::rpc::{from_blob, to_blob, CallOptions, Rpc, RpcError};
pub use state::{Command, ControllerState, Reply, Response};

/// A controller's Raft id: a stable hash of its alias (node identity is the alias).
pub type NodeId = u64;

/// Internal function names of the Raft messages.
pub const RAFT_APPEND: &str = "__cluster_raft_append";
pub const RAFT_VOTE: &str = "__cluster_raft_vote";
pub const RAFT_SNAPSHOT: &str = "__cluster_raft_snapshot";

/// Bound on one Raft message, whatever openraft's own deadline says.
pub const RAFT_RPC_TIMEOUT: Duration = Duration::from_secs(5);

/// A member of the controller group: its `localSite`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ControllerSite {
    pub host: String,
    pub port: u16,
    pub alias: String,
}

impl ControllerSite {
    pub fn new(host: &str, port: u16, alias: &str) -> ControllerSite {
        ControllerSite {
            host: host.to_string(),
            port,
            alias: alias.to_string(),
        }
    }

    /// Parses `host:port:alias`, optionally followed by `:mode` (agent `sites` entries) or
    /// `,mode` (cluster.nodes rows).
    pub fn parse(s: &str) -> Option<ControllerSite> {
        let s = s.split(',').next()?.trim();
        let parts: Vec<&str> = s.split(':').map(str::trim).collect();
        if parts.len() < 3 || parts.len() > 4 || parts[0].is_empty() || parts[2].is_empty() {
            return None;
        }
        let port = parts[1].parse().ok()?;
        Some(ControllerSite::new(parts[0], port, parts[2]))
    }

    /// `host:port:alias`, as `<NotLeader>` and `getActiveMaster` name a controller.
    pub fn site(&self) -> String {
        format!("{}:{}:{}", self.host, self.port, self.alias)
    }

    /// `host:port`, where internal calls go.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The Raft id: FNV-1a of the alias.
    pub fn id(&self) -> NodeId {
        node_id(&self.alias)
    }
}

impl From<&crate::config::Site> for ControllerSite {
    fn from(s: &crate::config::Site) -> ControllerSite {
        ControllerSite::new(&s.host, s.port, &s.alias)
    }
}

/// The Raft id of the controller with this alias (FNV-1a, 64 bits).
pub fn node_id(alias: &str) -> NodeId {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in alias.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

openraft::declare_raft_types!(
    /// The controllers' Raft types.
    pub TypeConfig:
        D = Command,
        R = Response,
        NodeId = NodeId,
        Node = ControllerSite,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

pub type Raft = openraft::Raft<TypeConfig>;

/// Fault injection for tests, not a DolphinDB setting: `alias=host:port,...` sends this
/// controller's Raft messages for the peer `alias` to another address (a test's TCP proxy), so
/// a test can cut one controller off from the others in both directions while clients still
/// reach it (crates/porpoise/tests/controller_partition.rs). Unset, every peer is reached at
/// its address in the group's membership.
pub const ROUTES_ENV: &str = "PORPOISE_RAFT_ROUTES";

/// Makes a `Peer` per target controller.
pub struct Network {
    rpc: Arc<Rpc>,
    routes: HashMap<String, String>,
}

impl Network {
    pub fn new(rpc: Arc<Rpc>) -> Network {
        let routes: HashMap<String, String> = std::env::var(ROUTES_ENV)
            .unwrap_or_default()
            .split(',')
            .filter_map(|r| {
                let (alias, addr) = r.trim().split_once('=')?;
                Some((alias.to_string(), addr.to_string()))
            })
            .collect();
        if !routes.is_empty() {
            tracing::warn!(
                "{ROUTES_ENV} is set: Raft messages to {routes:?} go through those addresses"
            );
        }
        Network { rpc, routes }
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Peer;

    async fn new_client(&mut self, target: NodeId, node: &ControllerSite) -> Peer {
        Peer {
            rpc: self.rpc.clone(),
            target,
            addr: self
                .routes
                .get(&node.alias)
                .cloned()
                .unwrap_or_else(|| node.addr()),
        }
    }
}

/// Sends Raft messages to one controller.
pub struct Peer {
    rpc: Arc<Rpc>,
    target: NodeId,
    addr: String,
}

impl Peer {
    async fn send<Req, Resp, E>(
        &self,
        function: &str,
        req: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<NodeId, ControllerSite, RaftError<NodeId, E>>>
    where
        Req: Serialize,
        Resp: serde::de::DeserializeOwned,
        E: std::error::Error + serde::de::DeserializeOwned,
    {
        let arg = to_blob(req)
            .map_err(|e| RPCError::Network(NetworkError::new(&RpcError::Protocol(e))))?;
        let timeout = option.hard_ttl().min(RAFT_RPC_TIMEOUT);
        // Raft messages are idempotent: a duplicate is answered from the log's state.
        let got = self
            .rpc
            .call(
                &self.addr,
                function,
                vec![arg],
                CallOptions::idempotent(timeout),
            )
            .await;
        let v = match got {
            Ok(v) => v,
            Err(e @ (RpcError::Timeout(_) | RpcError::Io(_))) => {
                return Err(RPCError::Network(NetworkError::new(&e)))
            }
            // Not reachable, not (yet) a controller, or not understood: back off.
            Err(e) => return Err(RPCError::Unreachable(Unreachable::new(&e))),
        };
        let r: Result<Resp, RaftError<NodeId, E>> = from_blob(Some(&v))
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&RpcError::Protocol(e))))?;
        r.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, ControllerSite, RaftError<NodeId>>>
    {
        self.send(RAFT_APPEND, &rpc, &option).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, ControllerSite, RaftError<NodeId, InstallSnapshotError>>,
    > {
        self.send(RAFT_SNAPSHOT, &rpc, &option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, ControllerSite, RaftError<NodeId>>> {
        self.send(RAFT_VOTE, &rpc, &option).await
    }
}

/// Registers the handlers of the Raft messages on `rpc`, served by `raft`.
pub fn register_handlers(rpc: &Rpc, raft: &Raft) {
    let r = raft.clone();
    rpc.register(RAFT_APPEND, move |args| {
        let r = r.clone();
        async move {
            let req: AppendEntriesRequest<TypeConfig> = from_blob(args.first())?;
            to_blob(&r.append_entries(req).await)
        }
    });
    let r = raft.clone();
    rpc.register(RAFT_VOTE, move |args| {
        let r = r.clone();
        async move {
            let req: VoteRequest<NodeId> = from_blob(args.first())?;
            to_blob(&r.vote(req).await)
        }
    });
    let r = raft.clone();
    rpc.register(RAFT_SNAPSHOT, move |args| {
        let r = r.clone();
        async move {
            let req: InstallSnapshotRequest<TypeConfig> = from_blob(args.first())?;
            to_blob(&r.install_snapshot(req).await)
        }
    });
}

/// Removes the Raft handlers (the controller stopped).
pub fn unregister_handlers(rpc: &Rpc) {
    for n in [RAFT_APPEND, RAFT_VOTE, RAFT_SNAPSHOT] {
        rpc.unregister(n);
    }
}
