//! A data node's transactions in doubt (prepared, no commit or abort heard: its coordinator or
//! the node itself went down) are resolved with the controller's catalog by the background
//! round: committed at the CID the catalog recorded, aborted when the catalog aborted them, and
//! aborted through the catalog when they stay without outcome too long (begun, or unknown to
//! the catalog as an entry node's own TIDs are; a later commit is refused).
//! One controller behind a real node listener; the replica's store in memory.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cluster::catalog::{MetaCommand, MetaResponse, NewChunk, TxnState};
use cluster::controller::{Controller, ControllerConfig};
use cluster::membership::service::{ClusterService, ServiceSettings};
use cluster::raft::state::{Command, NodeEntry, Reply};
use cluster::raft::ControllerSite;
use cluster::replica::{holder, leader, Holder, Link};
use cluster::rpc::{Credential, Rpc};
use cluster::store::{MemStore, Store, TabletSchema, Write, WriteKind};
use common::{create_db_scheme, create_table, free_port, temp_dir};
use script::dfs::ColumnSpec;
use value::{DataType, Table, Vector};

const SECRET: &str = "replica-in-doubt-test";

async fn propose(ctl: &Controller, cmd: MetaCommand) -> MetaResponse {
    match ctl.propose(Command::Meta(cmd)).await.unwrap() {
        Reply::Meta(m) => m,
        r => panic!("{r:?}"),
    }
}

fn write(rows: Vec<i64>) -> Write {
    let columns = vec![ColumnSpec {
        name: "id".into(),
        ty: DataType::Long,
        scale: 0,
        array: false,
        compress: "lz4".into(),
    }];
    Write {
        kind: WriteKind::Append,
        chunk: "c1".into(),
        table: "t1".into(),
        schema: TabletSchema {
            columns,
            tsdb: false,
            sort_columns: vec![],
            keep_duplicates: "ALL".into(),
        },
        rows: Table::new(
            vec!["id".into()],
            vec![Vector::from_i64(DataType::Long, rows)],
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_doubt_transactions_resolve_with_the_catalog() {
    let port = free_port();
    let site = ControllerSite::new("127.0.0.1", port, "master");
    let config = server::Config {
        local_site: server::Site {
            host: site.host.clone(),
            port,
            alias: site.alias.clone(),
        },
        worker_num: 1,
        ..server::Config::default()
    };
    let srv = server::Server::start(config, server::script_engine())
        .await
        .unwrap();
    let rpc = Rpc::new(Credential::from_secret(SECRET));
    let _ = srv.node().rpc.set(rpc.clone());
    let dir = temp_dir("indoubt");
    let mut cfg = ControllerConfig::single(site.clone(), dir.clone());
    cfg.seed_nodes = vec![NodeEntry {
        alias: "dn1".into(),
        host: "127.0.0.1".into(),
        port: 1,
        mode: "datanode".into(),
        ..NodeEntry::default()
    }];
    let ctl = Controller::start(cfg, rpc.clone()).await.unwrap();
    ctl.wait_for_leader(Duration::from_secs(10)).await.unwrap();
    for _ in 0..100 {
        if ctl.read(|s| s.seeded) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let svc = ClusterService::start(ctl.clone(), rpc.clone(), ServiceSettings::default());
    leader::serve(&svc, &rpc, Arc::new(|_: &str| None));

    propose(&ctl, create_db_scheme("dfs://d", vec![])).await;
    propose(&ctl, create_table("dfs://d", "pt", DataType::Long.code())).await;
    propose(
        &ctl,
        MetaCommand::CreateChunks {
            db: "dfs://d".into(),
            chunks: vec![NewChunk {
                path: "/1".into(),
                id: "c1".into(),
                keys: vec![0],
                replicas: vec!["dn1".into()],
            }],
        },
    )
    .await;
    let mut tids = Vec::new();
    for _ in 0..3 {
        match propose(&ctl, MetaCommand::BeginTxn).await {
            MetaResponse::Tid(t) => tids.push(t),
            r => panic!("{r:?}"),
        }
    }
    let (t1, t2, t3) = (tids[0], tids[1], tids[2]);

    // The replica prepared all three; then nothing more reached it.
    let store = Arc::new(MemStore::default());
    let h = Arc::new(Holder::new(store.clone()));
    h.prepare(t1, vec![write(vec![1, 2, 3])]).unwrap();
    h.prepare(t2, vec![write(vec![20])]).unwrap();
    h.prepare(t3, vec![write(vec![30])]).unwrap();
    // An entry node picks its TIDs itself: one the catalog has never heard of.
    let t4 = t3 + 1_000_000;
    h.prepare(t4, vec![write(vec![40])]).unwrap();
    // The coordinator committed t1 and aborted t2, and died before telling the replica.
    let cid = match propose(
        &ctl,
        MetaCommand::CommitTxn {
            tid: t1,
            tablets: vec![("c1".into(), "t1".into())],
            replicas: vec![("c1".into(), vec!["dn1".into()])],
            expect: vec![],
        },
    )
    .await
    {
        MetaResponse::Cid(c) => c,
        r => panic!("{r:?}"),
    };
    propose(&ctl, MetaCommand::AbortTxn { tid: t2 }).await;

    let link = Arc::new(Link::new(
        Rpc::new(Credential::from_secret(SECRET)),
        vec![site.clone()],
        tokio::runtime::Handle::current(),
        "dn1".into(),
        Some(h.clone()),
    ));
    let round = {
        let (link, h) = (link.clone(), h.clone());
        move || {
            let (link, h) = (link.clone(), h.clone());
            tokio::task::spawn_blocking(move || holder::round(&link, &h))
        }
    };
    round().await.unwrap().unwrap();
    assert_eq!(
        store.prepared(),
        vec![t3, t4],
        "t1 committed, t2 aborted, t3 and t4 without outcome"
    );
    let cols = write(vec![]).schema.columns;
    let rows = store.scan("c1", "t1", cid, &cols).unwrap();
    assert_eq!(rows.rows(), 3);

    // t3 stays pending past the timeout: the replica aborts it through the catalog.
    h.set_in_doubt_timeout(Duration::ZERO);
    round().await.unwrap().unwrap();
    assert!(store.prepared().is_empty());
    for t in [t3, t4] {
        assert_eq!(
            ctl.read(|s| s.catalog.txns.get(&t).copied()),
            Some(TxnState::Aborted)
        );
    }
    let e = ctl
        .propose(Command::Meta(MetaCommand::CommitTxn {
            tid: t3,
            tablets: vec![("c1".into(), "t1".into())],
            replicas: vec![("c1".into(), vec!["dn1".into()])],
            expect: vec![],
        }))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("was aborted"), "{e}");
    assert_eq!(store.scan("c1", "t1", u64::MAX, &cols).unwrap().rows(), 3);

    svc.shutdown();
    ctl.shutdown().await;
    srv.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
