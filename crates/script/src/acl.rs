//! Users, groups and privileges (DolphinDB's access control): the model every node shares.
//!
//! `Acl` is the state and `Acl::apply` its only way to change, deterministic, so a cluster's
//! controllers replicate it as a Raft command (crates/cluster `raft::state`) and a standalone
//! node applies it in place (`LocalAcl`). A node reaches its copy through an `AclStore`
//! (`Host::acl`): on a standalone node the local one, on a cluster node one that proposes
//! changes to the controllers' leader and reads the leader's state (crates/cluster `acl`).
//!
//! Rules, as DolphinDB documents them:
//! - only administrators create, delete and change users and groups and grant privileges;
//! - the super administrator `admin` has every privilege and can't be deleted; other
//!   administrators and every new user start with no privilege on data;
//! - a user's privilege is its own state together with its groups': a deny anywhere wins,
//!   else an allow anywhere allows, else none;
//! - `TABLE_*` apply to `*` or `dfs://db/table`, `DB_*` to `*` or `dfs://db` (every table of
//!   it); `TABLE_WRITE`/`DB_WRITE` cover insert, update and delete.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use value::{Table, Vector};

use crate::dfs::{
    ColumnPredicate, ColumnSpec, CreateTable, DatabaseSpec, Dfs, DfsTableInfo, PartitionSelector,
    ScanPlan,
};
use sha2::{Digest, Sha256};

/// DolphinDB's privilege types (`grant`/`deny`/`revoke` `accessType`). A privilege constant
/// (`TABLE_READ`...) is its index here.
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
/// The user of a session that has not logged in.
pub const GUEST: &str = "guest";
/// DolphinDB's wording for a failed login.
pub const BAD_LOGIN: &str = "The user name or password is incorrect.";
/// Longest user or group name (DolphinDB: 30 characters).
pub const NAME_CHARS_MAX: usize = 30;

/// Whether `user` has every privilege: the super administrator, and the cluster's own
/// internal sessions (names starting with `__`, which no user can have: only the cluster
/// credential logs in so, and `rpc`/`pnodeRun` run a user's calls as that user).
pub fn is_superuser(user: &str) -> bool {
    user == SUPER_ADMIN || user.starts_with("__")
}

/// How a password is kept: SHA-256 of a label, the user name and the password, in hex. The
/// proposer hashes; plain passwords never enter the Raft log or a file.
pub fn password_hash(user: &str, password: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"porpoise acl v1\0");
    h.update(user.as_bytes());
    h.update(b"\0");
    h.update(password.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
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

/// Users, groups and privileges.
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

fn check_principal_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok
        || name.chars().count() > NAME_CHARS_MAX
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!(
            "Invalid user or group name [{name}]: it must start with a letter, hold only letters, digits and underscores, and be at most {NAME_CHARS_MAX} characters"
        ));
    }
    Ok(())
}

/// A privilege's objects: `*` when none is given.
fn objects(objs: &[String]) -> Vec<String> {
    if objs.is_empty() {
        vec!["*".to_string()]
    } else {
        objs.to_vec()
    }
}

impl Acl {
    /// Whether `user`/`password` is a valid login.
    pub fn check_password(&self, user: &str, password: &str) -> bool {
        self.users
            .get(user)
            .is_some_and(|u| u.password_hash == password_hash(user, password))
    }

    /// Whether `user` is an administrator.
    pub fn is_admin(&self, user: &str) -> bool {
        is_superuser(user) || self.users.get(user).is_some_and(|u| u.is_admin)
    }

    /// The state `principal` itself has for `privilege` on `obj` (no group, no wildcard).
    pub fn own_state(&self, principal: &str, privilege: &str, obj: &str) -> Option<Access> {
        self.privileges
            .get(principal)?
            .get(privilege)?
            .get(obj)
            .copied()
    }

    /// Whether `user` holds any of `privileges` on any of `objs` (each also through `*`),
    /// through itself or its groups: a deny anywhere wins. The super administrator holds all.
    pub fn allowed(&self, user: &str, privileges: &[&str], objs: &[&str]) -> bool {
        if is_superuser(user) {
            return true;
        }
        let Some(u) = self.users.get(user) else {
            return false;
        };
        let principals = std::iter::once(user).chain(u.groups.iter().map(String::as_str));
        let mut allow = false;
        for p in principals {
            let Some(privs) = self.privileges.get(p) else {
                continue;
            };
            for privilege in privileges {
                let Some(objects) = privs.get(*privilege) else {
                    continue;
                };
                for o in objs.iter().copied().chain(std::iter::once("*")) {
                    match objects.get(o) {
                        Some(Access::Deny) => return false,
                        Some(Access::Allow) => allow = true,
                        None => {}
                    }
                }
            }
        }
        allow
    }

    /// Applies one change; on error nothing changed.
    pub fn apply(&mut self, cmd: &AclCommand) -> Result<(), String> {
        match cmd {
            AclCommand::CreateUser {
                name,
                password_hash,
                groups,
                is_admin,
            } => {
                check_principal_name(name)?;
                if self.users.contains_key(name) || self.groups.contains_key(name) {
                    return Err(format!("The user name [{name}] already exists"));
                }
                if let Some(g) = groups.iter().find(|g| !self.groups.contains_key(*g)) {
                    return Err(format!("The group [{g}] doesn't exist"));
                }
                for g in groups {
                    if let Some(ge) = self.groups.get_mut(g) {
                        ge.members.insert(name.clone());
                    }
                }
                self.users.insert(
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
                let Some(u) = self.users.remove(name) else {
                    return Err(format!("The user [{name}] doesn't exist"));
                };
                for g in &u.groups {
                    if let Some(ge) = self.groups.get_mut(g) {
                        ge.members.remove(name);
                    }
                }
                self.privileges.remove(name);
            }
            AclCommand::ChangePassword {
                name,
                old_hash,
                new_hash,
            } => {
                let Some(u) = self.users.get_mut(name) else {
                    return Err(format!("The user [{name}] doesn't exist"));
                };
                if &u.password_hash != old_hash {
                    return Err("The old password is incorrect.".into());
                }
                u.password_hash = new_hash.clone();
            }
            AclCommand::ResetPassword { name, new_hash } => {
                let Some(u) = self.users.get_mut(name) else {
                    return Err(format!("The user [{name}] doesn't exist"));
                };
                u.password_hash = new_hash.clone();
            }
            AclCommand::CreateGroup { name, members } => {
                check_principal_name(name)?;
                if self.groups.contains_key(name) || self.users.contains_key(name) {
                    return Err(format!("The group name [{name}] already exists"));
                }
                if let Some(u) = members.iter().find(|u| !self.users.contains_key(*u)) {
                    return Err(format!("The user [{u}] doesn't exist"));
                }
                for u in members {
                    if let Some(ue) = self.users.get_mut(u) {
                        ue.groups.insert(name.clone());
                    }
                }
                self.groups.insert(
                    name.clone(),
                    GroupEntry {
                        members: members.iter().cloned().collect(),
                    },
                );
            }
            AclCommand::DeleteGroup { name } => {
                let Some(g) = self.groups.remove(name) else {
                    return Err(format!("The group [{name}] doesn't exist"));
                };
                for u in &g.members {
                    if let Some(ue) = self.users.get_mut(u) {
                        ue.groups.remove(name);
                    }
                }
                self.privileges.remove(name);
            }
            AclCommand::AddGroupMember { users, groups }
            | AclCommand::DeleteGroupMember { users, groups } => {
                if let Some(u) = users.iter().find(|u| !self.users.contains_key(*u)) {
                    return Err(format!("The user [{u}] doesn't exist"));
                }
                if let Some(g) = groups.iter().find(|g| !self.groups.contains_key(*g)) {
                    return Err(format!("The group [{g}] doesn't exist"));
                }
                let add = matches!(cmd, AclCommand::AddGroupMember { .. });
                for u in users {
                    for g in groups {
                        if let Some(ge) = self.groups.get_mut(g) {
                            if add {
                                ge.members.insert(u.clone());
                            } else {
                                ge.members.remove(u);
                            }
                        }
                        if let Some(ue) = self.users.get_mut(u) {
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
                self.check_privilege(principal, privilege)?;
                let slot = self
                    .privileges
                    .entry(principal.clone())
                    .or_default()
                    .entry(privilege.clone())
                    .or_default();
                for o in objects(objs) {
                    slot.insert(o, *access);
                }
            }
            AclCommand::Revoke {
                principal,
                privilege,
                objs,
            } => {
                self.check_privilege(principal, privilege)?;
                if let Some(p) = self.privileges.get_mut(principal) {
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
                        self.privileges.remove(principal);
                    }
                }
            }
        }
        Ok(())
    }

    fn check_privilege(&self, principal: &str, privilege: &str) -> Result<(), String> {
        if principal == SUPER_ADMIN {
            return Err("The privileges of the super administrator admin can't be changed".into());
        }
        if !self.users.contains_key(principal) && !self.groups.contains_key(principal) {
            return Err(format!("The user or group [{principal}] doesn't exist"));
        }
        if !PRIVILEGES.contains(&privilege) {
            return Err(format!("Invalid privilege type [{privilege}]"));
        }
        Ok(())
    }
}

/// Where a node keeps its users and privileges.
pub trait AclStore: Send + Sync {
    /// Applies a change (on a cluster: commits it through the controllers' Raft group).
    fn apply(&self, cmd: AclCommand) -> Result<(), String>;
    /// The users and privileges. `fresh`: the latest committed state (a login); otherwise a
    /// copy at most a moment old will do (privilege checks).
    fn snapshot(&self, fresh: bool) -> Result<Arc<Acl>, String>;
}

/// A standalone node's users and privileges: in memory, kept in a file when it has one
/// (rewritten whole, through a temporary file and a rename, on each change).
pub struct LocalAcl {
    acl: Mutex<Arc<Acl>>,
    file: Option<PathBuf>,
}

impl LocalAcl {
    /// Users and privileges that last as long as the process (tests, the conformance runner).
    pub fn in_memory() -> LocalAcl {
        LocalAcl {
            acl: Mutex::new(Arc::new(Acl::default())),
            file: None,
        }
    }

    /// Users and privileges kept in `file` (read now when it exists).
    pub fn open(file: PathBuf) -> Result<LocalAcl, String> {
        let acl = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| format!("Failed to read the users file [{}]: {e}", file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Acl::default(),
            Err(e) => {
                return Err(format!(
                    "Failed to read the users file [{}]: {e}",
                    file.display()
                ))
            }
        };
        Ok(LocalAcl {
            acl: Mutex::new(Arc::new(acl)),
            file: Some(file),
        })
    }

    fn save(&self, acl: &Acl) -> Result<(), String> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let fail = |e: &dyn std::fmt::Display| {
            format!("Failed to save the users file [{}]: {e}", file.display())
        };
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        }
        let bytes = serde_json::to_vec(acl).map_err(|e| fail(&e))?;
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(|e| fail(&e))?;
        std::fs::rename(&tmp, file).map_err(|e| fail(&e))
    }
}

impl AclStore for LocalAcl {
    fn apply(&self, cmd: AclCommand) -> Result<(), String> {
        let mut cur = self.acl.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = (**cur).clone();
        next.apply(&cmd)?;
        self.save(&next)?;
        *cur = Arc::new(next);
        Ok(())
    }

    fn snapshot(&self, _fresh: bool) -> Result<Arc<Acl>, String> {
        Ok(self.acl.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

/// A DFS as one user may use it: every read, write and schema change first checks the user's
/// privileges (`Acl::allowed`), with DolphinDB's `<NoPrivilege>` errors. Catalog lookups
/// (`database`, `tables`, `schema`) are not checked. The super administrator's DFS is not
/// wrapped at all (`guard_dfs`). Ownership (`DB_OWNER` on a database one created) is not
/// tracked: `DB_OWNER` works as a grant on `*` or a `dfs://prefix*` pattern.
pub struct GuardedDfs {
    inner: Arc<dyn Dfs>,
    user: String,
    store: Arc<dyn AclStore>,
}

/// `dfs` as `user` may use it.
pub fn guard_dfs(inner: Arc<dyn Dfs>, user: &str, store: Arc<dyn AclStore>) -> Arc<dyn Dfs> {
    if is_superuser(user) {
        return inner;
    }
    Arc::new(GuardedDfs {
        inner,
        user: user.to_string(),
        store,
    })
}

const READ: &[&str] = &["TABLE_READ", "DB_READ"];
const INSERT: &[&str] = &["TABLE_WRITE", "TABLE_INSERT", "DB_WRITE", "DB_INSERT"];
const UPDATE: &[&str] = &["TABLE_WRITE", "TABLE_UPDATE", "DB_WRITE", "DB_UPDATE"];
const DELETE: &[&str] = &["TABLE_WRITE", "TABLE_DELETE", "DB_WRITE", "DB_DELETE"];
const UPDATE_OR_DELETE: &[&str] = &[
    "TABLE_WRITE",
    "TABLE_UPDATE",
    "TABLE_DELETE",
    "DB_WRITE",
    "DB_UPDATE",
    "DB_DELETE",
];

fn no_privilege(what: String) -> crate::Error {
    crate::Error::new(format!("<NoPrivilege>Not granted to {what}"))
}

impl GuardedDfs {
    fn acl(&self) -> crate::Result<Arc<Acl>> {
        self.store.snapshot(false).map_err(crate::Error::new)
    }

    fn table_check(&self, privs: &[&str], db: &str, table: &str) -> crate::Result<bool> {
        let t = format!("{db}/{table}");
        Ok(self.acl()?.allowed(&self.user, privs, &[&t, db]))
    }

    fn read(&self, db: &str, table: &str) -> crate::Result<()> {
        if self.table_check(READ, db, table)? {
            Ok(())
        } else {
            Err(no_privilege(format!("read table {db}/{table}")))
        }
    }

    fn write(&self, privs: &[&str], db: &str, table: &str) -> crate::Result<()> {
        if self.table_check(privs, db, table)? {
            Ok(())
        } else {
            Err(no_privilege(format!("write data to table {db}/{table}")))
        }
    }

    /// Creating or dropping databases: DB_MANAGE, or DB_OWNER on `*` or a matching
    /// `dfs://prefix*` pattern.
    fn manage(&self, path: &str) -> crate::Result<()> {
        let acl = self.acl()?;
        // The `dfs://prefix*` patterns of any principal that match `path` count as objects.
        let patterns: Vec<&str> = acl
            .privileges
            .values()
            .filter_map(|m| m.get("DB_OWNER"))
            .flat_map(|objs| objs.keys())
            .filter(|o| {
                o.len() > 1
                    && o.strip_suffix('*')
                        .is_some_and(|prefix| path.starts_with(prefix))
            })
            .map(String::as_str)
            .collect();
        let mut objs = vec![path];
        objs.extend(patterns);
        if acl.allowed(&self.user, &["DB_MANAGE", "DB_OWNER"], &objs) {
            Ok(())
        } else {
            Err(no_privilege("create or delete databases".into()))
        }
    }

    fn dbobj(&self, privilege: &str, db: &str, what: &str) -> crate::Result<()> {
        if self
            .acl()?
            .allowed(&self.user, &[privilege, "DB_MANAGE"], &[db])
        {
            Ok(())
        } else {
            Err(no_privilege(format!("{what} tables in database {db}")))
        }
    }
}

impl Dfs for GuardedDfs {
    fn create_database(&self, path: &str, spec: &DatabaseSpec) -> crate::Result<()> {
        self.manage(path)?;
        self.inner.create_database(path, spec)
    }
    fn database(&self, path: &str) -> crate::Result<DatabaseSpec> {
        self.inner.database(path)
    }
    fn database_exists(&self, path: &str) -> bool {
        self.inner.database_exists(path)
    }
    fn drop_database(&self, path: &str) -> crate::Result<()> {
        self.manage(path)?;
        self.inner.drop_database(path)
    }
    fn databases(&self) -> Vec<String> {
        self.inner.databases()
    }
    fn add_partitions(&self, path: &str, values: &Vector, level: usize) -> crate::Result<usize> {
        self.dbobj("DBOBJ_CREATE", path, "change the partitions of")?;
        self.inner.add_partitions(path, values, level)
    }
    fn create_table(&self, req: &CreateTable) -> crate::Result<()> {
        self.dbobj("DBOBJ_CREATE", &req.db, "create")?;
        self.inner.create_table(req)
    }
    fn table(&self, db: &str, name: &str) -> crate::Result<DfsTableInfo> {
        self.inner.table(db, name)
    }
    fn table_exists(&self, db: &str, name: &str) -> bool {
        self.inner.table_exists(db, name)
    }
    fn tables(&self, db: &str) -> crate::Result<Vec<String>> {
        self.inner.tables(db)
    }
    fn drop_table(&self, db: &str, name: &str) -> crate::Result<()> {
        self.dbobj("DBOBJ_DELETE", db, "delete")?;
        self.inner.drop_table(db, name)
    }
    fn rename_table(&self, db: &str, old: &str, new: &str) -> crate::Result<()> {
        self.dbobj("DBOBJ_CREATE", db, "rename")?;
        self.inner.rename_table(db, old, new)
    }
    fn add_columns(&self, db: &str, name: &str, columns: &[ColumnSpec]) -> crate::Result<()> {
        self.dbobj("DBOBJ_CREATE", db, "alter")?;
        self.inner.add_columns(db, name, columns)
    }
    fn truncate(&self, db: &str, name: &str) -> crate::Result<()> {
        self.write(DELETE, db, name)?;
        self.inner.truncate(db, name)
    }
    fn drop_partitions(
        &self,
        db: &str,
        table: Option<&str>,
        which: &PartitionSelector,
    ) -> crate::Result<usize> {
        match table {
            Some(t) => self.write(DELETE, db, t)?,
            None => self.dbobj("DBOBJ_DELETE", db, "delete partitions of")?,
        }
        self.inner.drop_partitions(db, table, which)
    }
    fn append(&self, db: &str, name: &str, rows: &Table) -> crate::Result<usize> {
        self.write(INSERT, db, name)?;
        self.inner.append(db, name, rows)
    }
    fn upsert(
        &self,
        db: &str,
        name: &str,
        rows: &Table,
        key_columns: &[String],
        ignore_null: bool,
    ) -> crate::Result<usize> {
        self.write(UPDATE, db, name)?;
        self.inner.upsert(db, name, rows, key_columns, ignore_null)
    }
    fn replace_partitions(&self, plan: &ScanPlan, parts: Vec<(usize, Table)>) -> crate::Result<()> {
        self.write(UPDATE_OR_DELETE, &plan.db, &plan.table)?;
        self.inner.replace_partitions(plan, parts)
    }
    fn plan_scan(
        &self,
        db: &str,
        name: &str,
        preds: &[ColumnPredicate],
    ) -> crate::Result<ScanPlan> {
        self.read(db, name)?;
        self.inner.plan_scan(db, name, preds)
    }
    fn read_partition(
        &self,
        plan: &ScanPlan,
        part: usize,
        columns: &[String],
    ) -> crate::Result<Table> {
        // The plan was checked when it was made.
        self.inner.read_partition(plan, part, columns)
    }
    fn read_partition_where(
        &self,
        plan: &ScanPlan,
        part: usize,
        columns: &[String],
        filter: &crate::sql::pushdown::RowFilter,
    ) -> crate::Result<Table> {
        self.inner.read_partition_where(plan, part, columns, filter)
    }
    // The plan was checked when it was made (`plan_scan`), as for the reads above.
    fn map_partition(
        &self,
        plan: &ScanPlan,
        part: usize,
        columns: &[String],
        filter: &crate::sql::pushdown::RowFilter,
        task: &crate::sql::map_task::MapTask,
    ) -> crate::Result<crate::dfs::Mapped> {
        self.inner.map_partition(plan, part, columns, filter, task)
    }
    fn chunks(&self) -> crate::Result<Table> {
        self.inner.chunks()
    }
    fn tablets(&self, db: &str) -> crate::Result<Table> {
        self.inner.tablets(db)
    }
    fn flush_cache(&self) -> crate::Result<()> {
        self.inner.flush_cache()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> AclCommand {
        AclCommand::CreateUser {
            name: name.into(),
            password_hash: password_hash(name, "pw"),
            groups: vec![],
            is_admin: false,
        }
    }

    fn set(p: &str, privilege: &str, obj: &str, access: Access) -> AclCommand {
        AclCommand::SetAccess {
            principal: p.into(),
            privilege: privilege.into(),
            objs: vec![obj.into()],
            access,
        }
    }

    #[test]
    fn deny_anywhere_wins_and_groups_grant() {
        let mut acl = Acl::default();
        acl.apply(&user("u1")).unwrap();
        acl.apply(&AclCommand::CreateGroup {
            name: "g".into(),
            members: vec!["u1".into()],
        })
        .unwrap();
        let read = ["TABLE_READ", "DB_READ"];
        let objs = ["dfs://db/t", "dfs://db"];
        assert!(!acl.allowed("u1", &read, &objs));
        acl.apply(&set("g", "DB_READ", "dfs://db", Access::Allow))
            .unwrap();
        assert!(acl.allowed("u1", &read, &objs));
        assert!(!acl.allowed("u1", &read, &["dfs://other/t", "dfs://other"]));
        acl.apply(&set("u1", "TABLE_READ", "dfs://db/t", Access::Deny))
            .unwrap();
        assert!(!acl.allowed("u1", &read, &objs));
        assert!(acl.allowed("admin", &read, &objs));
        assert!(check_principal_name("1abc").is_err());
        assert!(acl.apply(&user("u1")).is_err());
    }

    #[test]
    fn local_store_survives_a_reopen() {
        let dir = std::env::temp_dir().join(format!("porpoise-acl-{}", std::process::id()));
        let file = dir.join("acl.json");
        let s = LocalAcl::open(file.clone()).unwrap();
        s.apply(user("kept")).unwrap();
        let again = LocalAcl::open(file).unwrap();
        assert!(again.snapshot(true).unwrap().check_password("kept", "pw"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
