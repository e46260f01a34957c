//! Built-ins: users, groups and privileges (`createUser`, `grant`, `getUserAccess`...). They
//! work on the node's `AclStore` (`Host::acl`): a standalone node's own, or on a cluster node
//! the controllers' replicated one, so the same script behaves the same on any node.
//!
//! Who may call what (DolphinDB's rules): user and group management, `grant`/`deny`/`revoke`,
//! `getUserList`, `getGroupList` and another user's `getUserAccess` need an administrator;
//! `changePwd` and one's own `getUserAccess` need a login. A guest gets
//! `<NotAuthenticated>Not login yet.`, a user who is not an administrator
//! `<NoPrivilege>Only administrators can execute function <name>.`

use std::sync::Arc;

use value::{DataType, Table, Value, Vector};

use super::data_util::{bool_arg, str_arg, strings_arg};
use super::{builtin, Builtin, Env, Kind};
use crate::acl::{
    is_superuser, password_hash, Access, Acl, AclCommand, AclStore, GUEST, PRIVILEGES, SUPER_ADMIN,
};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("createUser", 2, 5, Kind::Other, create_user),
        builtin("deleteUser", 1, 1, Kind::Other, delete_user),
        builtin("changePwd", 2, 2, Kind::Other, change_pwd),
        builtin("resetPwd", 2, 2, Kind::Other, reset_pwd),
        builtin("createGroup", 1, 2, Kind::Other, create_group),
        builtin("deleteGroup", 1, 1, Kind::Other, delete_group),
        builtin("addGroupMember", 2, 2, Kind::Other, add_group_member),
        builtin("deleteGroupMember", 2, 2, Kind::Other, delete_group_member),
        builtin("grant", 2, 3, Kind::Other, grant),
        builtin("deny", 2, 3, Kind::Other, deny),
        builtin("revoke", 2, 3, Kind::Other, revoke),
        builtin("getUserAccess", 0, 2, Kind::Other, get_user_access),
        builtin("getGroupAccess", 1, 1, Kind::Other, get_group_access),
        builtin("getUserList", 0, 0, Kind::Other, get_user_list),
        builtin("getGroupList", 0, 0, Kind::Other, get_group_list),
        builtin("getUsersByGroupId", 1, 1, Kind::Other, users_by_group),
        builtin("getGroupsByUserId", 1, 1, Kind::Other, groups_by_user),
    ]
}

/// The privilege constant `name` (`TABLE_READ`...): its index in `PRIVILEGES`.
pub fn privilege_constant(name: &str) -> Option<Value> {
    PRIVILEGES
        .iter()
        .position(|p| *p == name)
        .map(|i| Value::int(i as i32))
}

/// The error for a call that needs a login.
pub fn not_logged_in() -> Error {
    Error::new("<NotAuthenticated>Not login yet.")
}

/// The error for a call that needs an administrator.
pub fn only_admins(func: &str) -> Error {
    Error::new(format!(
        "<NoPrivilege>Only administrators can execute function {func}."
    ))
}

fn store(env: &mut dyn Env) -> Result<Arc<dyn AclStore>> {
    env.host()
        .acl()
        .ok_or_else(|| Error::new("This node keeps no users"))
}

/// Fails unless the session's user is an administrator (a guest: not logged in).
pub fn require_admin(env: &mut dyn Env, func: &str) -> Result<()> {
    let user = env.host().user();
    if user == GUEST {
        return Err(not_logged_in());
    }
    if is_superuser(&user) {
        return Ok(());
    }
    let acl = store(env)?.snapshot(false).map_err(Error::new)?;
    if acl.is_admin(&user) {
        Ok(())
    } else {
        Err(only_admins(func))
    }
}

fn apply(env: &mut dyn Env, cmd: AclCommand) -> Result<Value> {
    store(env)?.apply(cmd).map_err(Error::new)?;
    Ok(Value::void())
}

fn admin_apply(env: &mut dyn Env, func: &str, cmd: AclCommand) -> Result<Value> {
    require_admin(env, func)?;
    apply(env, cmd)
}

/// An optional string-or-vector argument (absent or NULL: none).
fn names(func: &str, v: Option<&Value>, what: &str) -> Result<Vec<String>> {
    match v {
        None => Ok(Vec::new()),
        Some(v) if v.is_null() => Ok(Vec::new()),
        Some(v) => strings_arg(func, v, what),
    }
}

fn check_password_text(func: &str, pw: &str) -> Result<()> {
    if pw.is_empty() || pw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::new(format!(
            "The password of function [{func}] can't be empty or contain spaces or control characters"
        )));
    }
    Ok(())
}

/// `createUser(userId, password, [groupIds], [isAdmin=false], [authMode])`.
fn create_user(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let name = str_arg("createUser", &args[0], "userId")?.to_string();
    let pw = str_arg("createUser", &args[1], "password")?;
    check_password_text("createUser", pw)?;
    let groups = names("createUser", args.get(2), "groupIds")?;
    let is_admin = match args.get(3) {
        Some(v) if !v.is_null() => bool_arg("createUser", v, "isAdmin")?,
        _ => false,
    };
    let cmd = AclCommand::CreateUser {
        password_hash: password_hash(&name, pw),
        name,
        groups,
        is_admin,
    };
    admin_apply(env, "createUser", cmd)
}

fn delete_user(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let name = str_arg("deleteUser", &args[0], "userId")?.to_string();
    admin_apply(env, "deleteUser", AclCommand::DeleteUser { name })
}

/// `changePwd(oldPwd, newPwd)`: the logged-in user's own password.
fn change_pwd(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let user = env.host().user();
    if user == GUEST {
        return Err(not_logged_in());
    }
    let old = str_arg("changePwd", &args[0], "oldPwd")?;
    let new = str_arg("changePwd", &args[1], "newPwd")?;
    check_password_text("changePwd", new)?;
    let cmd = AclCommand::ChangePassword {
        old_hash: password_hash(&user, old),
        new_hash: password_hash(&user, new),
        name: user,
    };
    apply(env, cmd)
}

fn reset_pwd(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let name = str_arg("resetPwd", &args[0], "userId")?.to_string();
    let new = str_arg("resetPwd", &args[1], "newPwd")?;
    check_password_text("resetPwd", new)?;
    let cmd = AclCommand::ResetPassword {
        new_hash: password_hash(&name, new),
        name,
    };
    admin_apply(env, "resetPwd", cmd)
}

fn create_group(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let name = str_arg("createGroup", &args[0], "groupId")?.to_string();
    let members = names("createGroup", args.get(1), "userIds")?;
    admin_apply(
        env,
        "createGroup",
        AclCommand::CreateGroup { name, members },
    )
}

fn delete_group(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let name = str_arg("deleteGroup", &args[0], "groupId")?.to_string();
    admin_apply(env, "deleteGroup", AclCommand::DeleteGroup { name })
}

fn add_group_member(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let users = strings_arg("addGroupMember", &args[0], "userIds")?;
    let groups = strings_arg("addGroupMember", &args[1], "groupIds")?;
    admin_apply(
        env,
        "addGroupMember",
        AclCommand::AddGroupMember { users, groups },
    )
}

fn delete_group_member(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let users = strings_arg("deleteGroupMember", &args[0], "userIds")?;
    let groups = strings_arg("deleteGroupMember", &args[1], "groupIds")?;
    admin_apply(
        env,
        "deleteGroupMember",
        AclCommand::DeleteGroupMember { users, groups },
    )
}

/// A privilege argument: a privilege constant (INT) or its name.
fn privilege_arg(func: &str, v: &Value) -> Result<String> {
    if let Some(s) = v.as_str() {
        let up = s.to_ascii_uppercase();
        if PRIVILEGES.contains(&up.as_str()) {
            return Ok(up);
        }
        return Err(Error::new(format!("Invalid privilege type [{s}]")));
    }
    match v.as_i64() {
        Some(i) if i >= 0 && (i as usize) < PRIVILEGES.len() => Ok(PRIVILEGES[i as usize].into()),
        _ => Err(Error::new(format!(
            "The argument accessType of function [{func}] must be a privilege type such as TABLE_READ"
        ))),
    }
}

/// The objects of `grant`/`deny`/`revoke`: names, or a memory limit's number.
fn objs_arg(func: &str, privilege: &str, v: Option<&Value>) -> Result<Vec<String>> {
    let Some(v) = v else { return Ok(Vec::new()) };
    if privilege.ends_with("_MEM_LIMIT") {
        return match v.as_f64() {
            Some(x) if x > 0.0 => Ok(vec![x.to_string()]),
            _ => Err(Error::new(format!(
                "The memory limit of function [{func}] must be a positive number of GB"
            ))),
        };
    }
    names(func, Some(v), "objs")
}

fn set_access(
    env: &mut dyn Env,
    func: &str,
    args: &[Value],
    access: Option<Access>,
) -> Result<Value> {
    let principal = str_arg(func, &args[0], "userId|groupId")?.to_string();
    let privilege = privilege_arg(func, &args[1])?;
    let objs = objs_arg(func, &privilege, args.get(2))?;
    let cmd = match access {
        Some(access) => AclCommand::SetAccess {
            principal,
            privilege,
            objs,
            access,
        },
        None => AclCommand::Revoke {
            principal,
            privilege,
            objs,
        },
    };
    admin_apply(env, func, cmd)
}

fn grant(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    set_access(env, "grant", args, Some(Access::Allow))
}

fn deny(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    set_access(env, "deny", args, Some(Access::Deny))
}

fn revoke(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    set_access(env, "revoke", args, None)
}

fn snapshot(env: &mut dyn Env) -> Result<Arc<Acl>> {
    store(env)?.snapshot(false).map_err(Error::new)
}

fn get_user_list(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    require_admin(env, "getUserList")?;
    let acl = snapshot(env)?;
    // DolphinDB lists the users that are not administrators.
    let users = acl
        .users
        .iter()
        .filter(|(_, u)| !u.is_admin)
        .map(|(n, _)| n.clone())
        .collect();
    Ok(Value::vector(Vector::from_strings(users)))
}

fn get_group_list(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    require_admin(env, "getGroupList")?;
    let acl = snapshot(env)?;
    Ok(Value::vector(Vector::from_strings(
        acl.groups.keys().cloned().collect(),
    )))
}

fn users_by_group(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    require_admin(env, "getUsersByGroupId")?;
    let g = str_arg("getUsersByGroupId", &args[0], "groupId")?;
    let acl = snapshot(env)?;
    let Some(group) = acl.groups.get(g) else {
        return Err(Error::new(format!("The group [{g}] doesn't exist")));
    };
    Ok(Value::vector(Vector::from_strings(
        group.members.iter().cloned().collect(),
    )))
}

fn groups_by_user(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    require_admin(env, "getGroupsByUserId")?;
    let u = str_arg("getGroupsByUserId", &args[0], "userId")?;
    let acl = snapshot(env)?;
    let Some(user) = acl.users.get(u) else {
        return Err(Error::new(format!("The user [{u}] doesn't exist")));
    };
    Ok(Value::vector(Vector::from_strings(
        user.groups.iter().cloned().collect(),
    )))
}

/// The privilege columns of `getUserAccess`/`getGroupAccess`, as DolphinDB folds them: the
/// DB_* privileges show under the TABLE_* ones (their objects tell the scope), TABLE_WRITE
/// under insert, update and delete.
const ACCESS_COLUMNS: [(&str, &[&str]); 12] = [
    ("TABLE_READ", &["TABLE_READ", "DB_READ"]),
    (
        "TABLE_INSERT",
        &["TABLE_INSERT", "TABLE_WRITE", "DB_INSERT", "DB_WRITE"],
    ),
    (
        "TABLE_UPDATE",
        &["TABLE_UPDATE", "TABLE_WRITE", "DB_UPDATE", "DB_WRITE"],
    ),
    (
        "TABLE_DELETE",
        &["TABLE_DELETE", "TABLE_WRITE", "DB_DELETE", "DB_WRITE"],
    ),
    ("DBOBJ_CREATE", &["DBOBJ_CREATE"]),
    ("DBOBJ_DELETE", &["DBOBJ_DELETE"]),
    ("VIEW_EXEC", &["VIEW_EXEC"]),
    ("SCRIPT_EXEC", &["SCRIPT_EXEC"]),
    ("TEST_EXEC", &["TEST_EXEC"]),
    ("DB_MANAGE", &["DB_MANAGE"]),
    ("DB_OWNER", &["DB_OWNER"]),
    ("VIEW_OWNER", &["VIEW_OWNER"]),
];

/// One principal's (or, with `final_access`, a user's together with its groups') objects
/// by access for the privileges `privs`.
fn objects_of(acl: &Acl, principals: &[&str], privs: &[&str], access: Access) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in principals {
        let Some(map) = acl.privileges.get(*p) else {
            continue;
        };
        for privilege in privs {
            for (obj, a) in map.get(*privilege).into_iter().flatten() {
                if *a == access && !out.contains(obj) {
                    out.push(obj.clone());
                }
            }
        }
    }
    out
}

fn access_table(acl: &Acl, rows: &[(String, Vec<String>, bool, Vec<String>)]) -> Table {
    let mut names: Vec<String> = vec!["userId".into(), "groups".into(), "isAdmin".into()];
    let mut cols: Vec<Vector> = vec![
        Vector::from_strings(rows.iter().map(|r| r.0.clone()).collect()),
        Vector::from_strings(rows.iter().map(|r| r.1.join(",")).collect()),
        Vector::from_i8(DataType::Bool, rows.iter().map(|r| r.2 as i8).collect()),
    ];
    names.push("MAX_JOB_PRIORITY".into());
    cols.push(Vector::from_i32(DataType::Int, vec![8; rows.len()]));
    names.push("MAX_PARALLELISM".into());
    cols.push(Vector::from_i32(DataType::Int, vec![64; rows.len()]));
    for limit in ["QUERY_RESULT_MEM_LIMIT", "TASK_GROUP_MEM_LIMIT"] {
        names.push(limit.into());
        cols.push(Vector::from_f64(
            rows.iter()
                .map(|r| {
                    let ps: Vec<&str> = r.3.iter().map(String::as_str).collect();
                    objects_of(acl, &ps, &[limit], Access::Allow)
                        .first()
                        .and_then(|x| x.parse().ok())
                        .unwrap_or(-f64::MAX)
                })
                .collect(),
        ));
    }
    for (col, privs) in ACCESS_COLUMNS {
        let mut state = Vec::new();
        let mut allowed = Vec::new();
        let mut denied = Vec::new();
        for r in rows {
            let ps: Vec<&str> = r.3.iter().map(String::as_str).collect();
            let a = objects_of(acl, &ps, privs, Access::Allow);
            let d = objects_of(acl, &ps, privs, Access::Deny);
            let super_admin = r.0 == SUPER_ADMIN && r.3.len() == 1;
            state.push(
                if super_admin {
                    "allow"
                } else if !d.is_empty() {
                    "deny"
                } else if !a.is_empty() {
                    "allow"
                } else {
                    "none"
                }
                .to_string(),
            );
            allowed.push(a.join(","));
            denied.push(d.join(","));
        }
        names.push(col.into());
        cols.push(Vector::from_strings(state));
        if !matches!(
            col,
            "SCRIPT_EXEC" | "TEST_EXEC" | "DB_MANAGE" | "DB_OWNER" | "VIEW_OWNER"
        ) {
            names.push(format!("{col}_allowed"));
            cols.push(Vector::from_strings(allowed));
            names.push(format!("{col}_denied"));
            cols.push(Vector::from_strings(denied));
        }
    }
    Table::new(names, cols)
}

/// `getUserAccess([userIds], [finalAccess=false])`: without users, the current user's.
fn get_user_access(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let me = env.host().user();
    if me == GUEST {
        return Err(not_logged_in());
    }
    let users = names("getUserAccess", args.first(), "userIds")?;
    let final_access = match args.get(1) {
        Some(v) if !v.is_null() => bool_arg("getUserAccess", v, "finalAccess")?,
        _ => false,
    };
    let users = if users.is_empty() {
        vec![me.clone()]
    } else {
        users
    };
    if users.iter().any(|u| *u != me) {
        require_admin(env, "getUserAccess")?;
    }
    let acl = snapshot(env)?;
    let mut rows = Vec::new();
    for u in users {
        let Some(entry) = acl.users.get(&u) else {
            return Err(Error::new(format!("The user [{u}] doesn't exist")));
        };
        let groups: Vec<String> = entry.groups.iter().cloned().collect();
        let mut principals = vec![u.clone()];
        if final_access {
            principals.extend(groups.iter().cloned());
        }
        rows.push((u, groups, entry.is_admin, principals));
    }
    Ok(Value::table(access_table(&acl, &rows)))
}

/// `getGroupAccess(groupIds)`: the groups' privileges (the `userId` column holds the group).
fn get_group_access(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    require_admin(env, "getGroupAccess")?;
    let groups = strings_arg("getGroupAccess", &args[0], "groupIds")?;
    let acl = snapshot(env)?;
    let mut rows = Vec::new();
    for g in groups {
        let Some(entry) = acl.groups.get(&g) else {
            return Err(Error::new(format!("The group [{g}] doesn't exist")));
        };
        let members: Vec<String> = entry.members.iter().cloned().collect();
        rows.push((g.clone(), members, false, vec![g]));
    }
    let mut t = access_table(&acl, &rows);
    if let Some(n) = t.names.first_mut() {
        *n = "groupName".into();
    }
    if let Some(n) = t.names.get_mut(1) {
        *n = "users".into();
    }
    Ok(Value::table(t))
}
