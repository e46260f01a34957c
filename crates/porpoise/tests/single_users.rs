//! Users on a standalone node: kept in `<home>/<alias>/sysmgmt/acl.json` across a restart, and
//! checked on the node's DFS through the official client.

mod common;

use std::time::Duration;

use common::*;

const UP: Duration = Duration::from_secs(60);
const Q: &str = r#"exec sum(v) from loadTable("dfs://single_acl", "pt")"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_survive_a_restart_and_guard_the_dfs() {
    let port = 9361 + free_offset(&[9361], 41);
    let dir = temp_dir("single-users");
    let mut node = single_node(&dir, "local", port, &[]);
    wait_serving(port, UP).await;
    let script = format!(
        "createUser(\"bob\", \"pw123\")\n{}",
        small_table_script("dfs://single_acl")
    );
    run(port, &script).await.unwrap();

    node.signal(libc::SIGTERM);
    assert!(
        node.wait_exit(Duration::from_secs(30)).is_some(),
        "the node stops"
    );
    let _node = single_node(&dir, "local", port, &[]);
    wait_serving(port, UP).await;

    let mut bob = login(port, "bob", "pw123")
        .await
        .expect("bob logs in after the restart");
    let e = text(&mut bob, Q).await.unwrap_err();
    assert!(
        e.contains("<NoPrivilege>Not granted to read table dfs://single_acl/pt"),
        "{e}"
    );
    run(port, r#"grant("bob", TABLE_READ, "dfs://single_acl/pt")"#)
        .await
        .unwrap();
    assert_eq!(text(&mut bob, Q).await.unwrap(), "15");
    let _ = std::fs::remove_dir_all(&dir);
}
