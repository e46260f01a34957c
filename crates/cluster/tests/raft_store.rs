//! openraft's storage test suite against the controllers' redb log store and state machine,
//! plus reopen checks: what was written is what a restart reads.

mod common;

use std::path::PathBuf;

use cluster::raft::state::{AclCommand, Command, ControllerState, NodeEntry, Reply, Response};
use cluster::raft::store::{self, LogStore, StateMachine};
use cluster::raft::TypeConfig;
use common::{create_db, temp_dir};
use openraft::testing::{StoreBuilder, Suite};
use openraft::StorageError;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Builder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, Dir> for Builder {
    async fn build(&self) -> Result<(Dir, LogStore, StateMachine), StorageError<u64>> {
        let dir = temp_dir("suite");
        let (ls, sm) = store::open(&dir).map_err(|e| {
            StorageError::from(openraft::StorageIOError::<u64>::write(
                &std::io::Error::other(e.0),
            ))
        })?;
        Ok((Dir(dir), ls, sm))
    }
}

#[test]
fn openraft_storage_suite_passes() {
    Suite::test_all(Builder).unwrap();
}

fn node(alias: &str, port: u16, mode: &str) -> NodeEntry {
    NodeEntry {
        alias: alias.into(),
        host: "127.0.0.1".into(),
        port,
        mode: mode.into(),
        compute_group: String::new(),
        zone: String::new(),
    }
}

#[test]
fn state_applies_deterministically_and_snapshots_round_trip() {
    let mut s = ControllerState::default();
    assert!(s.acl.check_password("admin", "123456"));
    assert_eq!(
        s.apply(&create_db("dfs://a")),
        Response(Ok(Reply::Meta(cluster::catalog::MetaResponse::Done)))
    );
    // The catalog's own errors come back as the command's answer; the state is unchanged.
    let before = s.clone();
    let r = s.apply(&create_db("dfs://a"));
    assert_eq!(r.0.unwrap_err(), "The database [dfs://a] already exists");
    assert_eq!(s, before);
    // Seeding happens once.
    let seed = Command::Seed {
        nodes: vec![
            node("controller1", 8900, "controller"),
            node("dn1", 8902, "datanode"),
        ],
        config: vec![("maxMemSize".into(), "8".into())],
    };
    assert_eq!(s.apply(&seed).0, Ok(Reply::Done));
    let again = Command::Seed {
        nodes: vec![],
        config: vec![],
    };
    assert_eq!(s.apply(&again).0, Ok(Reply::AlreadySeeded));
    assert_eq!(s.nodes.len(), 2);
    assert_eq!(s.config_value("maxMemSize"), Some("8"));
    // Bad node rows are refused whole.
    let r = s.apply(&Command::SetNodes(vec![node("x", 1, "worker")]));
    assert!(r.0.unwrap_err().contains("Invalid node mode"));
    assert_eq!(s.nodes.len(), 2);
    // Users, groups, privileges.
    let h = cluster::raft::state::password_hash("u1", "pw");
    let acl = |a: AclCommand| Command::Acl(a);
    s.apply(&acl(AclCommand::CreateGroup {
        name: "g1".into(),
        members: vec![],
    }))
    .0
    .unwrap();
    s.apply(&acl(AclCommand::CreateUser {
        name: "u1".into(),
        password_hash: h.clone(),
        groups: vec!["g1".into()],
        is_admin: false,
    }))
    .0
    .unwrap();
    assert!(s.acl.check_password("u1", "pw"));
    assert!(s.acl.groups["g1"].members.contains("u1"));
    let reserved = s.apply(&acl(AclCommand::CreateUser {
        name: "__cluster".into(),
        password_hash: h.clone(),
        groups: vec![],
        is_admin: true,
    }));
    assert!(reserved
        .0
        .unwrap_err()
        .contains("Invalid user or group name"));
    s.apply(&acl(AclCommand::SetAccess {
        principal: "g1".into(),
        privilege: "TABLE_READ".into(),
        objs: vec![],
        access: cluster::raft::state::Access::Allow,
    }))
    .0
    .unwrap();
    assert!(s
        .apply(&acl(AclCommand::SetAccess {
            principal: "u1".into(),
            privilege: "NOT_A_PRIVILEGE".into(),
            objs: vec![],
            access: cluster::raft::state::Access::Deny,
        }))
        .0
        .is_err());
    let wrong_old = s.apply(&acl(AclCommand::ChangePassword {
        name: "u1".into(),
        old_hash: "nope".into(),
        new_hash: "x".into(),
    }));
    assert!(wrong_old.0.is_err());
    assert!(s
        .apply(&acl(AclCommand::DeleteUser {
            name: "admin".into()
        }))
        .0
        .is_err());
    // A batch applies each command on its own, in order.
    let r = s.apply(&Command::Batch(vec![
        create_db("dfs://a"),
        create_db("dfs://b"),
        Command::Noop,
    ]));
    match r.0 {
        Ok(Reply::Batch(rs)) => {
            assert_eq!(rs.len(), 3);
            assert!(rs[0].is_err());
            assert!(rs[1].is_ok() && rs[2].is_ok());
        }
        other => panic!("{other:?}"),
    }
    assert!(s.catalog.databases.contains_key("dfs://b"));
    // A snapshot restores the same state.
    let bytes = s.to_bytes().unwrap();
    assert_eq!(ControllerState::from_bytes(&bytes).unwrap(), s);
}
