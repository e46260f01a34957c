//! `dfsRecoveryWaitTime`: which replicas the leader rebuilds elsewhere when a data node stays
//! down, and the catalog's `MoveReplica`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use cluster::catalog::{MetaCommand, NewChunk};
use cluster::placement::Policy;
use cluster::raft::state::{Command, ControllerState, NodeEntry};
use cluster::replica::leader::{moves, recovery_wait};
use common::create_db_scheme;

fn node(alias: &str, host: &str) -> NodeEntry {
    NodeEntry {
        alias: alias.into(),
        host: host.into(),
        port: 1,
        mode: "datanode".into(),
        ..NodeEntry::default()
    }
}

fn meta(s: &mut ControllerState, m: MetaCommand) {
    s.apply(&Command::Meta(m)).0.unwrap();
}

fn state() -> ControllerState {
    let mut s = ControllerState::default();
    s.apply(&Command::Seed {
        nodes: vec![
            node("dn1", "h1"),
            node("dn2", "h2"),
            node("dn3", "h3"),
            node("dn4", "h3"),
        ],
        config: vec![],
    })
    .0
    .unwrap();
    meta(&mut s, create_db_scheme("dfs://d", vec![]));
    let chunk = |p: &str, id: &str, r: [&str; 2]| NewChunk {
        path: p.into(),
        id: id.into(),
        keys: vec![0],
        replicas: r.iter().map(|x| x.to_string()).collect(),
    };
    meta(
        &mut s,
        MetaCommand::CreateChunks {
            db: "dfs://d".into(),
            chunks: vec![
                chunk("/1", "c1", ["dn1", "dn2"]),
                chunk("/2", "c2", ["dn2", "dn3"]),
                chunk("/3", "c3", ["dn2", "dn4"]),
            ],
        },
    );
    s
}

fn pol(level: &str) -> Policy {
    Policy::from_config(|k| (k == "dfsReplicaReliabilityLevel").then(|| level.to_string())).unwrap()
}

#[test]
fn replicas_of_a_node_down_too_long_move_to_live_nodes() {
    let mut s = state();
    // c3's only other replica (dn4) is behind: nothing to copy from, it stays.
    meta(&mut s, MetaCommand::BeginTxn);
    meta(
        &mut s,
        MetaCommand::CommitTxn {
            tid: 1,
            tablets: vec![("c3".into(), "t1".into())],
            replicas: vec![("c3".into(), vec!["dn2".into()])],
            expect: vec![],
        },
    );
    let live: BTreeSet<String> = ["dn1", "dn3", "dn4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let wait = Duration::from_secs(60);
    let down = |secs| BTreeMap::from([("dn2".to_string(), Duration::from_secs(secs))]);
    assert!(moves(&s, &live, &down(59), wait, pol("0")).is_empty());
    let m = moves(&s, &live, &down(60), wait, pol("0"));
    // Least loaded live node without the chunk, then by alias: dn3 and dn4 hold one each, dn3
    // takes c1; c2 (on dn3 already): dn1 and dn4 hold one each, dn1 takes it.
    assert_eq!(
        m,
        [
            ("c1".to_string(), "dn2".to_string(), "dn3".to_string()),
            ("c2".to_string(), "dn2".to_string(), "dn1".to_string()),
        ]
    );
    // Level 1: c2's other replica is on h3, so dn4 (h3) can't take it; dn1 (h1) can.
    let m = moves(&s, &live, &down(61), wait, pol("1"));
    assert!(m.iter().all(|(c, _, to)| c != "c2" || to == "dn1"), "{m:?}");
    // The catalog moves the replica; the new one starts at version 0 (it recovers).
    for (chunk, from, to) in moves(&s, &live, &down(60), wait, pol("0")) {
        meta(&mut s, MetaCommand::MoveReplica { chunk, from, to });
    }
    let c1 = &s.catalog.chunks["c1"];
    let r: Vec<(&str, u32)> = c1
        .replicas
        .iter()
        .map(|r| (r.node.as_str(), r.version))
        .collect();
    assert_eq!(r, [("dn1", 0), ("dn3", 0)]);
    // Refused: a node that already holds it, a replica that isn't there, a non-data node.
    for (from, to) in [("dn1", "dn3"), ("dn2", "dn4"), ("dn1", "nobody")] {
        let cmd = Command::Meta(MetaCommand::MoveReplica {
            chunk: "c1".into(),
            from: from.into(),
            to: to.into(),
        });
        assert!(s.apply(&cmd).0.is_err(), "{from} -> {to}");
    }
}

#[test]
fn recovery_wait_follows_dolphindb() {
    assert_eq!(recovery_wait(None), None);
    assert_eq!(recovery_wait(Some("0")), None);
    assert_eq!(recovery_wait(Some("1000")), Some(Duration::from_secs(60)));
    assert_eq!(recovery_wait(Some("90000")), Some(Duration::from_secs(90)));
    assert_eq!(recovery_wait(Some("x")), None);
}
