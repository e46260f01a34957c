//! The controller's replicated state: the DFS catalog (`catalog::State`, applied as it is), the
//! node registry (`cluster.nodes`), the cluster configuration (`cluster.cfg`), and users, groups
//! and privileges. `ControllerState::apply` is deterministic: every controller applies the same
//! commands in the same order and ends in the same state. An invalid command changes nothing
//! and answers an error (which is the proposer's answer, not a failure of the log).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{self, ChunkMeta, Counters, DatabaseMeta, MetaCommand, MetaResponse};

/// The node modes of `cluster.nodes`.
pub const NODE_MODES: [&str; 4] = ["controller", "agent", "datanode", "computenode"];

/// DolphinDB's privilege types (`grant`/`deny`/`revoke` `accessType`).
pub const PRIVILEGES: [&str; 21] = [
    "TABLE_READ",
    "TABLE_WRITE",
    "TABLE_INSERT",
    "TABLE_UPDATE",
    "TABLE_DELETE",
    "DB_READ",
    "DB_WRITE",
    "DB_INSERT",
    "DB_UPDATE",
    "DB_DELETE",
    "DBOBJ_CREATE",
    "DBOBJ_DELETE",
    "DB_OWNER",
    "DB_MANAGE",
    "VIEW_EXEC",
    "VIEW_OWNER",
    "SCRIPT_EXEC",
    "TEST_EXEC",
    "QUERY_RESULT_MEM_LIMIT",
    "TASK_GROUP_MEM_LIMIT",
    "COMPUTE_GROUP_EXEC",
];

/// The super administrator, created with the state; it can't be deleted.
pub const SUPER_ADMIN: &str = "admin";
/// Its password until changed.
pub const SUPER_ADMIN_PASSWORD: &str = "123456";

/// How a password is kept: SHA-256 of a label, the user name and the password, in hex. The
/// proposer hashes; plain passwords never enter the Raft log.
pub fn password_hash(user: &str, password: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"porpoise acl v1\0");
    h.update(user.as_bytes());
    h.update(b"\0");
    h.update(password.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    Allow,
    Deny,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEntry {
    pub password_hash: String,
    pub is_admin: bool,
    pub groups: BTreeSet<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEntry {
    pub members: BTreeSet<String>,
}

/// Privilege states: principal (user or group) -> privilege -> object (`*`, `dfs://db`,
/// `dfs://db/t`, a view, or a memory limit's value) -> allow/deny. Absent = none.
pub type Privileges = BTreeMap<String, BTreeMap<String, BTreeMap<String, Access>>>;

/// Users, groups and privileges (the state only; enforcing them is another step).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub users: BTreeMap<String, UserEntry>,
    pub groups: BTreeMap<String, GroupEntry>,
    pub privileges: Privileges,
}

impl Default for Acl {
    fn default() -> Self {
        let mut users = BTreeMap::new();
        users.insert(
            SUPER_ADMIN.to_string(),
            UserEntry {
                password_hash: password_hash(SUPER_ADMIN, SUPER_ADMIN_PASSWORD),
                is_admin: true,
                groups: BTreeSet::new(),
            },
        );
        Acl {
            users,
            groups: BTreeMap::new(),
            privileges: BTreeMap::new(),
        }
    }
}

impl Acl {
    /// Whether `user`/`password` is a valid login.
    pub fn check_password(&self, user: &str, password: &str) -> bool {
        self.users
            .get(user)
            .is_some_and(|u| u.password_hash == password_hash(user, password))
    }
}

/// A change to users, groups or privileges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AclCommand {
    CreateUser {
        name: String,
        password_hash: String,
        groups: Vec<String>,
        is_admin: bool,
    },
    DeleteUser {
        name: String,
    },
    /// `changePwd(old, new)` by the user itself: applies only when `old_hash` matches.
    ChangePassword {
        name: String,
        old_hash: String,
        new_hash: String,
    },
    /// `resetPwd(user, new)` by an administrator.
    ResetPassword {
        name: String,
        new_hash: String,
    },
    CreateGroup {
        name: String,
        members: Vec<String>,
    },
    DeleteGroup {
        name: String,
    },
    AddGroupMember {
        users: Vec<String>,
        groups: Vec<String>,
    },
    DeleteGroupMember {
        users: Vec<String>,
        groups: Vec<String>,
    },
    /// `grant` (access Allow) or `deny` (access Deny); `objs` empty means `*`.
    SetAccess {
        principal: String,
        privilege: String,
        objs: Vec<String>,
        access: Access,
    },
    /// `revoke`: `objs` empty removes the privilege on every object.
    Revoke {
        principal: String,
        privilege: String,
        objs: Vec<String>,
    },
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

fn check_principal_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 128 {
        return Err(format!("Invalid user or group name [{name}]"));
    }
    if name.starts_with("__") {
        return Err(format!(
            "Invalid user or group name [{name}]: names starting with __ are reserved"
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(format!("Invalid user or group name [{name}]"));
    }
    Ok(())
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
            Command::Acl(a) => self.apply_acl(a).map(|()| Reply::Done),
            Command::Noop => Ok(Reply::Done),
            Command::Batch(cmds) => Ok(Reply::Batch(
                cmds.iter().map(|c| self.apply_inner(c)).collect(),
            )),
        }
    }

    fn apply_acl(&mut self, cmd: &AclCommand) -> Result<(), String> {
        let acl = &mut self.acl;
        match cmd {
            AclCommand::CreateUser {
                name,
                password_hash,
                groups,
                is_admin,
            } => {
                check_principal_name(name)?;
                if acl.users.contains_key(name) || acl.groups.contains_key(name) {
                    return Err(format!("The user name [{name}] already exists"));
                }
                if let Some(g) = groups.iter().find(|g| !acl.groups.contains_key(*g)) {
                    return Err(format!("The group [{g}] doesn't exist"));
                }
                for g in groups {
                    if let Some(ge) = acl.groups.get_mut(g) {
                        ge.members.insert(name.clone());
                    }
                }
                acl.users.insert(
                    name.clone(),
                    UserEntry {
                        password_hash: password_hash.clone(),
                        is_admin: *is_admin,
                        groups: groups.iter().cloned().collect(),
                    },
                );
            }
            AclCommand::DeleteUser { name } => {
                if name == SUPER_ADMIN {
                    return Err("The super administrator admin can't be deleted".into());
                }
                let Some(u) = acl.users.remove(name) else {
                    return Err(format!("The user [{name}] doesn't exist"));
                };
                for g in &u.groups {
                    if let Some(ge) = acl.groups.get_mut(g) {
                        ge.members.remove(name);
                    }
                }
                acl.privileges.remove(name);
            }
            AclCommand::ChangePassword {
                name,
                old_hash,
                new_hash,
            } => {
                let Some(u) = acl.users.get_mut(name) else {
                    return Err(format!("The user [{name}] doesn't exist"));
                };
                if &u.password_hash != old_hash {
                    return Err("The old password is incorrect.".into());
                }
                u.password_hash = new_hash.clone();
            }
            AclCommand::ResetPassword { name, new_hash } => {
                let Some(u) = acl.users.get_mut(name) else {
                    return Err(format!("The user [{name}] doesn't exist"));
                };
                u.password_hash = new_hash.clone();
            }
            AclCommand::CreateGroup { name, members } => {
                check_principal_name(name)?;
                if acl.groups.contains_key(name) || acl.users.contains_key(name) {
                    return Err(format!("The group name [{name}] already exists"));
                }
                if let Some(u) = members.iter().find(|u| !acl.users.contains_key(*u)) {
                    return Err(format!("The user [{u}] doesn't exist"));
                }
                for u in members {
                    if let Some(ue) = acl.users.get_mut(u) {
                        ue.groups.insert(name.clone());
                    }
                }
                acl.groups.insert(
                    name.clone(),
                    GroupEntry {
                        members: members.iter().cloned().collect(),
                    },
                );
            }
            AclCommand::DeleteGroup { name } => {
                let Some(g) = acl.groups.remove(name) else {
                    return Err(format!("The group [{name}] doesn't exist"));
                };
                for u in &g.members {
                    if let Some(ue) = acl.users.get_mut(u) {
                        ue.groups.remove(name);
                    }
                }
                acl.privileges.remove(name);
            }
            AclCommand::AddGroupMember { users, groups }
            | AclCommand::DeleteGroupMember { users, groups } => {
                if let Some(u) = users.iter().find(|u| !acl.users.contains_key(*u)) {
                    return Err(format!("The user [{u}] doesn't exist"));
                }
                if let Some(g) = groups.iter().find(|g| !acl.groups.contains_key(*g)) {
                    return Err(format!("The group [{g}] doesn't exist"));
                }
                let add = matches!(cmd, AclCommand::AddGroupMember { .. });
                for u in users {
                    for g in groups {
                        if let Some(ge) = acl.groups.get_mut(g) {
                            if add {
                                ge.members.insert(u.clone());
                            } else {
                                ge.members.remove(u);
                            }
                        }
                        if let Some(ue) = acl.users.get_mut(u) {
                            if add {
                                ue.groups.insert(g.clone());
                            } else {
                                ue.groups.remove(g);
                            }
                        }
                    }
                }
            }
            AclCommand::SetAccess {
                principal,
                privilege,
                objs,
                access,
            } => {
                check_privilege(acl, principal, privilege)?;
                let objs = objects(objs);
                let slot = acl
                    .privileges
                    .entry(principal.clone())
                    .or_default()
                    .entry(privilege.clone())
                    .or_default();
                for o in objs {
                    slot.insert(o, *access);
                }
            }
            AclCommand::Revoke {
                principal,
                privilege,
                objs,
            } => {
                check_privilege(acl, principal, privilege)?;
                if let Some(p) = acl.privileges.get_mut(principal) {
                    if objs.is_empty() {
                        p.remove(privilege);
                    } else if let Some(slot) = p.get_mut(privilege) {
                        for o in objs {
                            slot.remove(o);
                        }
                        if slot.is_empty() {
                            p.remove(privilege);
                        }
                    }
                    if p.is_empty() {
                        acl.privileges.remove(principal);
                    }
                }
            }
        }
        Ok(())
    }
}

fn objects(objs: &[String]) -> Vec<String> {
    if objs.is_empty() {
        vec!["*".to_string()]
    } else {
        objs.to_vec()
    }
}

fn check_privilege(acl: &Acl, principal: &str, privilege: &str) -> Result<(), String> {
    if principal == SUPER_ADMIN {
        return Err("The privileges of the super administrator admin can't be changed".into());
    }
    if !acl.users.contains_key(principal) && !acl.groups.contains_key(principal) {
        return Err(format!("The user or group [{principal}] doesn't exist"));
    }
    if !PRIVILEGES.contains(&privilege) {
        return Err(format!("Invalid privilege type [{privilege}]"));
    }
    Ok(())
}
