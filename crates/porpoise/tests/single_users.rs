//! Users on a standalone node: kept in `<home>/<alias>/sysmgmt/acl.json` across a restart, and
//! checked on the node's DFS through the official client.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dolphindb::client::ClientBuilder;

fn single(dir: &std::path::Path, port: u16) -> Proc {
    let home = dir.join("home").display().to_string();
    let log = dir.join("node.log").display().to_string();
    let site = format!("127.0.0.1:{port}:local{port}");
    Proc::spawn(
        "single",
        dir,
        &[
            "-mode",
            "single",
            "-home",
            &home,
            "-localSite",
            &site,
            "-console",
            "0",
            "-logFile",
            &log,
        ],
    )
}

async fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while run(port, "1").await.is_err() {
        assert!(Instant::now() < deadline, "the node did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_survive_a_restart_and_guard_the_dfs() {
    let port = 9361 + free_offset(&[9361], 41);
    let dir = temp_dir("single-users");
    let mut node = single(&dir, port);
    wait_listening(port).await;
    run(
        port,
        r#"createUser("bob", "pw123")
           db = database("dfs://single_acl", VALUE, 1 2 3)
           t = table(1 2 3 as id, 4 5 6 as v)
           db.createPartitionedTable(t, `pt, `id).append!(t)
           size(t)"#,
    )
    .await
    .unwrap();

    node.signal(libc::SIGTERM);
    assert!(
        node.wait_exit(Duration::from_secs(30)).is_some(),
        "the node stops"
    );
    let _node = single(&dir, port);
    wait_listening(port).await;

    let mut b = ClientBuilder::new(format!("127.0.0.1:{port}"));
    b.with_auth(("bob", "pw123"));
    let mut bob = b.connect().await.expect("bob logs in after the restart");
    let e = bob
        .run_script(r#"exec sum(v) from loadTable("dfs://single_acl", "pt")"#)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("<NoPrivilege>Not granted to read table dfs://single_acl/pt"),
        "{e}"
    );
    run(port, r#"grant("bob", TABLE_READ, "dfs://single_acl/pt")"#)
        .await
        .unwrap();
    let v = bob
        .run_script(r#"exec sum(v) from loadTable("dfs://single_acl", "pt")"#)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.to_string(), "15");
    let _ = std::fs::remove_dir_all(&dir);
}
