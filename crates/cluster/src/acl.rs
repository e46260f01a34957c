//! Users and privileges on a cluster node: the controllers' replicated state (`Command::Acl`),
//! reached the same way from every node (controller, data node, compute node, agent).
//!
//! - A change (`createUser`, `grant`...) is proposed to the leader with
//!   `controller::propose_remote`, which follows `<NotLeader>` answers: it is applied once a
//!   quorum has it, and the node's copy is refreshed right after.
//! - A login reads the leader's committed state (`__cluster_acl`, a linearizable read on the
//!   leader), so a user created or a password changed through any node logs in on any other
//!   at once. When no controller answers, a login falls back to the last copy the node read.
//! - Privilege checks (DFS reads and writes, administrator-only functions) use a copy at most
//!   `ACL_CACHE_TTL` old: a `grant` or `revoke` made elsewhere takes effect on this node within
//!   that time; one made through this node at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use script::acl::{Acl, AclCommand, AclStore};

use crate::controller::{self, read_acl_remote};
use crate::raft::{Command, ControllerSite, Reply};
use crate::rpc::{block_on, Rpc};

/// How old a node's copy of the users and privileges may be for a privilege check.
pub const ACL_CACHE_TTL: Duration = Duration::from_secs(1);
/// Bound on committing one change.
pub const ACL_PROPOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on reading the leader's users and privileges.
pub const ACL_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A cluster node's `AclStore`.
pub struct ClusterAcl {
    rpc: Arc<Rpc>,
    controllers: Vec<ControllerSite>,
    handle: tokio::runtime::Handle,
    cache: Mutex<Option<(Instant, Arc<Acl>)>>,
}

impl ClusterAcl {
    /// Must be called inside the tokio runtime the node's calls run on.
    pub fn new(rpc: Arc<Rpc>, controllers: Vec<ControllerSite>) -> Arc<ClusterAcl> {
        Arc::new(ClusterAcl {
            rpc,
            controllers,
            handle: tokio::runtime::Handle::current(),
            cache: Mutex::new(None),
        })
    }

    fn cached(&self) -> Option<(Instant, Arc<Acl>)> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn fetch(&self) -> Result<Arc<Acl>, String> {
        let read = read_acl_remote(&self.rpc, &self.controllers, ACL_READ_TIMEOUT);
        let acl = Arc::new(block_on(&self.handle, read)?.map_err(|e| e.0)?);
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), acl.clone()));
        Ok(acl)
    }
}

impl AclStore for ClusterAcl {
    fn apply(&self, cmd: AclCommand) -> Result<(), String> {
        let cmd = Command::Acl(cmd);
        let propose =
            controller::propose_remote(&self.rpc, &self.controllers, &cmd, ACL_PROPOSE_TIMEOUT);
        match block_on(&self.handle, propose)?.map_err(|e| e.0)? {
            Reply::Done => {}
            other => return Err(format!("Unexpected answer to a user change: {other:?}")),
        }
        // The change is committed: the next check must see it.
        if self.fetch().is_err() {
            self.cache.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
        Ok(())
    }

    fn snapshot(&self, fresh: bool) -> Result<Arc<Acl>, String> {
        let cached = self.cached();
        if !fresh {
            if let Some((at, acl)) = &cached {
                if at.elapsed() < ACL_CACHE_TTL {
                    return Ok(acl.clone());
                }
            }
        }
        match self.fetch() {
            Ok(acl) => Ok(acl),
            Err(e) => match cached {
                Some((_, acl)) => {
                    tracing::warn!("using the last known users and privileges: {e}");
                    Ok(acl)
                }
                None => Err(e),
            },
        }
    }
}
