//! Users and privileges on a cluster (three controllers, two data nodes, through the official
//! client): a user created through data node 1 logs in on data node 2; a user who is not an
//! administrator can't stop nodes or create users, on a controller or a data node, directly or
//! through `rpc`; a grant made through one node takes effect on another; a password changed on
//! one node is the password everywhere. Also `rpc` and `pnodeRun` with a user-defined function,
//! and `xdb`/`remoteRun`.

mod common;

use std::time::{Duration, Instant};

use common::ha::Ha;
use common::*;
use dolphindb::client::Client;

/// Polls `script` on `c` until `ok` accepts its outcome, up to 30 s.
async fn until(
    c: &mut Client,
    script: &str,
    what: &str,
    ok: impl Fn(&Result<String, String>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = text(c, script).await;
        if ok(&r) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: last outcome {r:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_privileges_hold_on_every_node() {
    let ha = Ha::start("users", 11, 2);
    ha.wait_ready().await;
    let (dn1, dn2) = (ha.dn_ports[0], ha.dn_ports[1]);
    let ctl = ha.ctl_ports[ha.leader().await.unwrap()];

    // Created through data node 1, the user logs in on data node 2 and on a controller.
    run(
        dn1,
        r#"createUser("alice", "pw123"); createGroup("readers", "alice")"#,
    )
    .await
    .unwrap();
    let mut a2 = login(dn2, "alice", "pw123").await.unwrap();
    assert_eq!(
        text(&mut a2, "getCurrentSessionAndUser()[1]")
            .await
            .unwrap(),
        "alice"
    );
    assert!(login(ctl, "alice", "pw123").await.is_ok());
    assert!(login(dn2, "alice", "wrong").await.is_err());

    // Not an administrator: no stopping nodes, no creating users, not even through rpc.
    let only_admins =
        |f: &str| format!("<NoPrivilege>Only administrators can execute function {f}.");
    let mut actl = login(ctl, "alice", "pw123").await.unwrap();
    let e = text(&mut actl, r#"stopDataNode("dn1")"#).await.unwrap_err();
    assert!(e.contains(&only_admins("stopDataNode")), "{e}");
    let e = text(&mut a2, r#"createUser("mallory", "pw123")"#)
        .await
        .unwrap_err();
    assert!(e.contains(&only_admins("createUser")), "{e}");
    let e = text(&mut a2, r#"rpc("ctl1", stopDataNode, "dn1")"#)
        .await
        .unwrap_err();
    assert!(e.contains(&only_admins("stopDataNode")), "{e}");
    assert_eq!(
        text(&mut a2, "getUserList()")
            .await
            .unwrap_err()
            .contains("getUserList"),
        true
    );
    // The administrator may, through rpc too (it runs as admin on the controller).
    assert_eq!(
        scalar(dn2, "rpc(getControllerAlias(), getDataNodes)")
            .await
            .unwrap(),
        "[dn1, dn2]"
    );

    // DFS privileges: a table on data node 1, read by alice once a grant made through data
    // node 2 reaches data node 1, refused again after a revoke made through a controller.
    run(dn1, &small_table_script("dfs://users_acl"))
        .await
        .unwrap();
    let q = r#"exec sum(v) from loadTable("dfs://users_acl", "pt")"#;
    let mut a1 = login(dn1, "alice", "pw123").await.unwrap();
    let e = text(&mut a1, q).await.unwrap_err();
    assert!(
        e.contains("<NoPrivilege>Not granted to read table dfs://users_acl/pt"),
        "{e}"
    );
    let e = text(
        &mut a1,
        r#"loadTable("dfs://users_acl", "pt").append!(table(1 as id, 1 as v))"#,
    )
    .await
    .unwrap_err();
    assert!(
        e.contains("<NoPrivilege>Not granted to write data to table dfs://users_acl/pt"),
        "{e}"
    );
    run(dn2, r#"grant("readers", DB_READ, "dfs://users_acl")"#)
        .await
        .unwrap();
    until(&mut a1, q, "the grant reaches data node 1", |r| {
        r.as_deref() == Ok("15")
    })
    .await;
    run(ctl, r#"revoke("readers", DB_READ, "dfs://users_acl")"#)
        .await
        .unwrap();
    until(&mut a1, q, "the revoke reaches data node 1", |r| {
        r.as_ref().is_err_and(|e| e.contains("Not granted to read"))
    })
    .await;

    // A password changed on data node 2 is the password on data node 1.
    text(&mut a2, r#"changePwd("pw123", "pw456")"#)
        .await
        .unwrap();
    assert!(login(dn1, "alice", "pw123").await.is_err());
    assert!(login(dn1, "alice", "pw456").await.is_ok());

    // rpc and pnodeRun ship user-defined functions; they run as the caller.
    assert_eq!(
        scalar(
            dn1,
            r#"def twice(x): x * 2
                    rpc("dn2", twice, 21)"#
        )
        .await
        .unwrap(),
        "42"
    );
    let t = run(dn1, "pnodeRun(def(): getNodeAlias())")
        .await
        .unwrap()
        .unwrap();
    let mut nodes = column(&t, "value");
    nodes.sort();
    assert_eq!(nodes, ["dn1", "dn2"]);
    let t = run(dn2, "pnodeRun(def(): table(getNodeAlias() as a, 1 as b))")
        .await
        .unwrap()
        .unwrap();
    let (mut a, mut n) = (column(&t, "a"), column(&t, "node"));
    a.sort();
    n.sort();
    assert_eq!(
        (a, n),
        (
            vec!["dn1".to_string(), "dn2".into()],
            vec!["dn1".to_string(), "dn2".into()]
        )
    );
    // A failure on one node is the call's error.
    let e = run(dn1, r#"pnodeRun(def(): loadTable("dfs://nope", "t"))"#)
        .await
        .unwrap_err();
    assert!(e.contains("dfs://nope"), "{e}");
    let e = text(
        &mut a1,
        r#"rpc("dn2", def(): getCurrentSessionAndUser()[1])"#,
    )
    .await
    .unwrap();
    assert_eq!(e, "alice");

    // xdb/remoteRun: a session of its own on the other node, as the user it logs in as.
    let script = format!(
        r#"conn = xdb("127.0.0.1", {dn2}, "alice", "pw456")
           remoteRun(conn, "x = 20")
           a = remoteRun(conn, "x + 1")
           b = remoteRun(conn, "add", 1, 2)
           c = remoteRunWithCompression(conn, def(v): v * 3, 5)
           d = remoteRun(conn, "getCurrentSessionAndUser()[1]")
           close(conn)
           [string(a), string(b), string(c), d]"#
    );
    assert_eq!(text(&mut a1, &script).await.unwrap(), "[21, 3, 15, alice]");
    let e = text(
        &mut a1,
        &format!(r#"xdb("127.0.0.1", {dn2}, "alice", "pw123")"#),
    )
    .await
    .unwrap_err();
    assert!(e.contains("The user name or password is incorrect"), "{e}");
}
