//! The catalog state machine: commands apply deterministically, invalid ones change nothing,
//! and every applied command is durable (reopening the file gives the same state).

mod common;

use cluster::catalog::{Catalog, ColumnMeta, MetaCommand, MetaResponse, NewChunk, State, TxnState};
use common::{create_db_meta, create_table, fresh_dir};

fn nc(path: &str, id: &str) -> NewChunk {
    NewChunk {
        path: path.into(),
        id: id.into(),
        keys: vec![0],
        replicas: Vec::new(),
    }
}

fn script() -> Vec<MetaCommand> {
    vec![
        create_db_meta("dfs://a"),
        create_table("dfs://a", "pt", 4),
        MetaCommand::CreateChunks {
            db: "dfs://a".into(),
            chunks: vec![nc("/1", "c1"), nc("/2", "c2")],
        },
        MetaCommand::Commit {
            tid: 1,
            cid: 1,
            tablets: vec![("c1".into(), "t1".into()), ("c2".into(), "t1".into())],
        },
        MetaCommand::Commit {
            tid: 2,
            cid: 3,
            tablets: vec![("c1".into(), "t1".into())],
        },
        MetaCommand::SetScheme {
            db: "dfs://a".into(),
            level: 0,
            scheme: vec![9],
        },
        MetaCommand::RenameTable {
            db: "dfs://a".into(),
            old: "pt".into(),
            new: "pt2".into(),
        },
        MetaCommand::AddColumns {
            db: "dfs://a".into(),
            table: "pt2".into(),
            columns: vec![ColumnMeta {
                name: "x".into(),
                ty: 16,
                scale: 0,
                array: false,
                compress: "lz4".into(),
            }],
        },
        create_db_meta("dfs://b"),
    ]
}

#[test]
fn apply_is_deterministic_and_counts_versions() {
    let mut a = State::default();
    let mut b = State::default();
    for c in script() {
        a.apply(&c).unwrap();
        b.apply(&c).unwrap();
    }
    assert_eq!(a, b);
    assert_eq!(a.counters.last_cid, 3);
    assert_eq!(a.chunks["c1"].version, 2);
    assert_eq!(a.chunks["c1"].tablets["t1"].last_cid, 3);
    assert_eq!(a.chunks["c2"].version, 1);
    let t = &a.databases["dfs://a"].tables["pt2"];
    assert_eq!(t.id, "t1");
    assert_eq!(t.columns.len(), 2);
}

#[test]
fn invalid_commands_change_nothing() {
    let mut s = State::default();
    for c in script() {
        s.apply(&c).unwrap();
    }
    let before = s.clone();
    assert!(s.apply(&create_db_meta("dfs://a")).is_err());
    assert!(s.apply(&create_table("dfs://a", "PT2", 4)).is_err());
    assert!(s
        .apply(&MetaCommand::Commit {
            tid: 9,
            cid: 3,
            tablets: vec![]
        })
        .is_err());
    assert!(s
        .apply(&MetaCommand::Commit {
            tid: 9,
            cid: 4,
            tablets: vec![("nope".into(), "t1".into())]
        })
        .is_err());
    assert!(s
        .apply(&MetaCommand::CreateChunks {
            db: "dfs://a".into(),
            chunks: vec![nc("/3", "c3"), nc("/1", "c4")]
        })
        .is_err());
    assert!(s
        .apply(&MetaCommand::DropTable {
            db: "dfs://a".into(),
            name: "nope".into()
        })
        .is_err());
    assert!(s
        .apply(&MetaCommand::DropDatabase {
            path: "dfs://zz".into()
        })
        .is_err());
    assert_eq!(s, before);
}

#[test]
fn drops_report_removed_tablets() {
    let mut s = State::default();
    for c in script() {
        s.apply(&c).unwrap();
    }
    let r = s
        .apply(&MetaCommand::DropTablets {
            db: "dfs://a".into(),
            table: Some("pt2".into()),
            partitions: vec!["/2".into()],
        })
        .unwrap();
    assert_eq!(r, MetaResponse::Removed(vec![("c2".into(), "t1".into())]));
    let r = s
        .apply(&MetaCommand::DropDatabase {
            path: "dfs://a".into(),
        })
        .unwrap();
    assert_eq!(r, MetaResponse::Removed(vec![("c1".into(), "t1".into())]));
    assert!(s.chunks.is_empty());
    assert_eq!(s.databases.len(), 1);
}

#[test]
fn persists_and_reopens() {
    let dir = fresh_dir("catalog");
    let file = dir.join("catalog.redb");
    let expected = {
        let mut cat = Catalog::open(&file).unwrap();
        for c in script() {
            cat.apply(&c).unwrap();
        }
        cat.apply(&MetaCommand::DropTable {
            db: "dfs://a".into(),
            name: "pt2".into(),
        })
        .unwrap();
        cat.apply(&create_table("dfs://a", "again", 4)).unwrap();
        assert!(cat.apply(&create_db_meta("dfs://b")).is_err());
        cat.state().clone()
    };
    let cat = Catalog::open(&file).unwrap();
    assert_eq!(cat.state(), &expected);
    assert_eq!(cat.state().databases["dfs://a"].tables["again"].id, "t2");
    drop(cat);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn chunks_record_replicas_and_their_versions() {
    let mut s = State::default();
    for c in script() {
        s.apply(&c).unwrap();
    }
    let mut c5 = nc("/5", "c5");
    c5.replicas = vec!["dn1".into(), "dn2".into()];
    s.apply(&MetaCommand::CreateChunks {
        db: "dfs://a".into(),
        chunks: vec![c5],
    })
    .unwrap();
    let r = &s.chunks["c5"].replicas;
    assert_eq!(r.len(), 2);
    assert_eq!((r[0].node.as_str(), r[0].version), ("dn1", 0));
    assert_eq!(r[1].node, "dn2");
    s.apply(&MetaCommand::Commit {
        tid: 5,
        cid: 5,
        tablets: vec![("c5".into(), "t1".into())],
    })
    .unwrap();
    // dn1 acknowledged the commit; dn2 missed it and stays behind.
    s.apply(&MetaCommand::SetReplicaVersion {
        chunk: "c5".into(),
        node: "dn1".into(),
        version: 1,
    })
    .unwrap();
    assert_eq!(s.chunks["c5"].replicas[0].version, 1);
    assert_eq!(s.chunks["c5"].replicas[1].version, 0);

    let before = s.clone();
    let bad = [
        MetaCommand::SetReplicaVersion {
            chunk: "c5".into(),
            node: "dn1".into(),
            version: 2,
        },
        MetaCommand::SetReplicaVersion {
            chunk: "c5".into(),
            node: "dn9".into(),
            version: 1,
        },
        MetaCommand::SetReplicaVersion {
            chunk: "nope".into(),
            node: "dn1".into(),
            version: 0,
        },
        MetaCommand::CreateChunks {
            db: "dfs://a".into(),
            chunks: vec![NewChunk {
                replicas: vec!["dn1".into(), "dn1".into()],
                ..nc("/6", "c6")
            }],
        },
    ];
    for c in &bad {
        assert!(s.apply(c).is_err(), "{c:?}");
    }
    assert_eq!(s, before);
}

/// The cluster's transactions: BeginTxn gives increasing TIDs, CommitTxn the next CID with the
/// tablets' versions and the prepared replicas at the chunk's new version (the others stay
/// behind), AbortTxn fences a later commit, a committed one can't be aborted, and the outcome
/// stays readable for replicas in doubt.
#[test]
fn cluster_transactions_commit_abort_and_fence() {
    let mut s = State::default();
    s.apply(&create_db_meta("dfs://t")).unwrap();
    s.apply(&create_table("dfs://t", "pt", 4)).unwrap();
    let mut c = nc("/1", "c1");
    c.replicas = vec!["dn1".into(), "dn2".into()];
    s.apply(&MetaCommand::CreateChunks {
        db: "dfs://t".into(),
        chunks: vec![c],
    })
    .unwrap();
    let tid = |s: &mut State| match s.apply(&MetaCommand::BeginTxn).unwrap() {
        MetaResponse::Tid(t) => t,
        r => panic!("{r:?}"),
    };
    let t1 = tid(&mut s);
    let t2 = tid(&mut s);
    assert!(t2 > t1);
    assert_eq!(s.txns.get(&t1), Some(&TxnState::Pending));
    // dn2 was down: only dn1 prepared.
    let r = s
        .apply(&MetaCommand::CommitTxn {
            tid: t1,
            tablets: vec![("c1".into(), "t1".into())],
            replicas: vec![("c1".into(), vec!["dn1".into()])],
            expect: vec![],
        })
        .unwrap();
    let MetaResponse::Cid(cid) = r else {
        panic!("{r:?}")
    };
    assert_eq!(cid, s.counters.last_cid);
    assert_eq!(s.txns.get(&t1), Some(&TxnState::Committed(cid)));
    let ch = &s.chunks["c1"];
    assert_eq!(ch.version, 1);
    assert_eq!(ch.tablets["t1"].last_cid, cid);
    let versions: Vec<(String, u32)> = ch
        .replicas
        .iter()
        .map(|r| (r.node.clone(), r.version))
        .collect();
    assert_eq!(versions, [("dn1".to_string(), 1), ("dn2".to_string(), 0)]);
    // Committed: no second commit, no abort.
    let before = s.clone();
    for cmd in [
        MetaCommand::CommitTxn {
            tid: t1,
            tablets: vec![("c1".into(), "t1".into())],
            replicas: vec![],
            expect: vec![],
        },
        MetaCommand::AbortTxn { tid: t1 },
    ] {
        assert!(s.apply(&cmd).is_err(), "{cmd:?}");
    }
    assert_eq!(s, before);
    // Aborted (a replica in doubt gave up on it): its coordinator's commit is refused.
    s.apply(&MetaCommand::AbortTxn { tid: t2 }).unwrap();
    assert_eq!(s.txns.get(&t2), Some(&TxnState::Aborted));
    let e = s
        .apply(&MetaCommand::CommitTxn {
            tid: t2,
            tablets: vec![("c1".into(), "t1".into())],
            replicas: vec![("c1".into(), vec!["dn1".into()])],
            expect: vec![],
        })
        .unwrap_err();
    assert!(e.0.contains("was aborted"), "{e}");
    // A replica the chunk doesn't have is refused, and nothing changes.
    let t3 = tid(&mut s);
    let before = s.clone();
    let e = s
        .apply(&MetaCommand::CommitTxn {
            tid: t3,
            tablets: vec![("c1".into(), "t1".into())],
            replicas: vec![("c1".into(), vec!["dn9".into()])],
            expect: vec![],
        })
        .unwrap_err();
    assert!(e.0.contains("no replica on dn9"), "{e}");
    assert_eq!(s, before);
}

/// SetSchemeIf: applies only over the scheme the writer read (two nodes adding VALUE
/// partitions at once: the second re-reads).
#[test]
fn set_scheme_if_compares_the_current_scheme() {
    let mut s = State::default();
    s.apply(&create_db_meta("dfs://t")).unwrap();
    let set = |expect: Vec<u8>, scheme: Vec<u8>| MetaCommand::SetSchemeIf {
        db: "dfs://t".into(),
        level: 0,
        expect,
        scheme,
    };
    s.apply(&set(vec![1, 2, 3], vec![1, 2, 3, 4])).unwrap();
    let e = s.apply(&set(vec![1, 2, 3], vec![1, 2, 3, 5])).unwrap_err();
    assert!(e.0.contains("changed by another writer"), "{e}");
    assert_eq!(s.databases["dfs://t"].levels[0].scheme, vec![1, 2, 3, 4]);
}

/// CommitTxn's expectations: a tablet created by another transaction since (expected absent),
/// changed since (expected at a version), or truncated since (expected to exist) refuses the
/// commit and changes nothing.
#[test]
fn commit_txn_refuses_when_another_transaction_changed_a_tablet() {
    use cluster::catalog::TABLET_EXISTS;
    let mut s = State::default();
    s.apply(&create_db_meta("dfs://t")).unwrap();
    s.apply(&create_table("dfs://t", "pt", 4)).unwrap();
    let mut c = nc("/1", "c1");
    c.replicas = vec!["dn1".into()];
    s.apply(&MetaCommand::CreateChunks {
        db: "dfs://t".into(),
        chunks: vec![c],
    })
    .unwrap();
    let begin = |s: &mut State| match s.apply(&MetaCommand::BeginTxn).unwrap() {
        MetaResponse::Tid(t) => t,
        r => panic!("{r:?}"),
    };
    let commit = |tid, expect: Vec<(String, String, u32)>| MetaCommand::CommitTxn {
        tid,
        tablets: vec![("c1".into(), "t1".into())],
        replicas: vec![("c1".into(), vec!["dn1".into()])],
        expect,
    };
    let tab = |v| vec![("c1".to_string(), "t1".to_string(), v)];
    // Two nodes create the tablet at once: the first wins, the second is refused.
    let (a, b) = (begin(&mut s), begin(&mut s));
    s.apply(&commit(a, tab(0))).unwrap();
    let before = s.clone();
    let e = s.apply(&commit(b, tab(0))).unwrap_err();
    assert!(e.0.contains("was changed by another transaction"), "{e}");
    assert_eq!(s, before);
    // Appends need it to exist; a replace needs the version it read.
    let c = begin(&mut s);
    s.apply(&commit(c, tab(TABLET_EXISTS))).unwrap();
    let d = begin(&mut s);
    assert!(s.apply(&commit(d, tab(1))).is_err(), "version 2 now");
    s.apply(&commit(d, tab(2))).unwrap();
    s.apply(&MetaCommand::DropTablets {
        db: "dfs://t".into(),
        table: Some("pt".into()),
        partitions: vec![],
    })
    .unwrap();
    let e = begin(&mut s);
    assert!(
        s.apply(&commit(e, tab(TABLET_EXISTS))).is_err(),
        "truncated"
    );
}
