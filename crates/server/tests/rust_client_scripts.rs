// Proves the node with the real script engine through the official Rust client: the session
// introspection the client's own suite relies on (getConsoleJobs with each request's options,
// the peer address), user functions called by `function` requests, and table naming.

mod common;

use common::*;
use dolphindb::types::{Bool, ConstantImpl, DolphinString, Int, IntVector, StringVector};
use dolphindb::BehaviorOptions;
use server::{script_engine, Server};

async fn start() -> (Server, String) {
    start_node(2, &[], script_engine()).await
}

const MY_JOB: &str = "from getConsoleJobs() where sessionId=getCurrentSessionAndUser()[0]";

#[tokio::test(flavor = "multi_thread")]
async fn console_jobs_report_each_requests_priority_and_parallelism() {
    let (server, addr) = start().await;
    // Builder-level options apply to every request; 9 runs as 8.
    for (priority, want) in [(0, 0), (4, 4), (9, 8)] {
        let mut o = BehaviorOptions::default();
        o.with_priority(priority);
        let mut c = client_with(&addr, Some(o)).await;
        let v = c
            .run_script(&format!("exec priority {MY_JOB}"))
            .await
            .unwrap();
        assert_eq!(v.unwrap(), IntVector::from_raw(&[want]).into());
    }
    // Per-request options on a `function` request to a user function.
    let mut c = client(&addr).await;
    c.run_script(&format!(
        "def get_parallelism(){{ return exec parallelism {MY_JOB} }}"
    ))
    .await
    .unwrap();
    for parallelism in [1, 10, 64] {
        let mut o = BehaviorOptions::default();
        o.with_parallelism(parallelism);
        let v = c
            .run_function_with_option("get_parallelism", &[], &o)
            .await
            .unwrap();
        assert_eq!(v.unwrap(), IntVector::from_raw(&[parallelism]).into());
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn console_jobs_know_the_peer_address() {
    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    let v = c
        .run_script(&format!(
            "exec string(remoteIp)+\":\"+string(remotePort) {MY_JOB}"
        ))
        .await
        .unwrap()
        .unwrap();
    let mut want = StringVector::new();
    want.push(DolphinString::new(c.local_addr().to_string()));
    assert_eq!(v, want.into());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn user_functions_are_called_with_partial_application() {
    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    c.run_script("def f(a, b) { return a + b }").await.unwrap();
    let v = c.run_function("f{1}", &[Int::new(2).into()]).await.unwrap();
    assert_eq!(v.unwrap(), Int::new(3).into());
    c.run_script("def g() { throw \"error\" }").await.unwrap();
    assert!(c.run_function("g", &[]).await.is_err());
    let t = c.run_script("x=table(1..3 as a);x").await.unwrap().unwrap();
    let ConstantImpl::Table(t) = t else {
        panic!("{t:?}")
    };
    assert_eq!(t.name(), "x");
    let b = c.run_script("true").await.unwrap().unwrap();
    assert_eq!(b, Bool::new(true).into());
    server.shutdown().await;
}

/// Reverse-mode streaming: backlog from an offset, new rows as they are inserted, the
/// subscription listed by getStreamingStat, and stopPublishTable ending the stream.
#[tokio::test(flavor = "multi_thread")]
async fn stream_subscribers_get_backlog_then_new_rows_until_stopped() {
    use dolphindb::stream_client::{request::Request, subscriber::SubscriberBuilder};
    use futures::StreamExt;

    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    c.run_script(
        "share streamTable(10:0,`data`time,[INT,DATE]) as `st;
         insert into st values(0i..4i,1970.01.01d..1970.01.05d);",
    )
    .await
    .unwrap();
    let mut req = Request::new("st".into(), "rust".into());
    req.with_auth(("admin".to_string(), "123456".to_string()));
    req.with_offset(2);
    let mut sub = SubscriberBuilder::new()
        .subscribe(addr.clone(), req)
        .await
        .unwrap();
    c.run_script("insert into st values(5i,1970.01.06d)")
        .await
        .unwrap();
    let mut offsets = Vec::new();
    for _ in 0..4 {
        let msg = sub.next().await.unwrap();
        let want = format!("{addr}:local8848/st/rust");
        assert!(msg.topic().starts_with(&want), "{}", msg.topic());
        offsets.push(msg.offset());
    }
    assert_eq!(offsets, vec![2, 3, 4, 5]);
    let stat = c
        .run_script("rows(select * from getStreamingStat().pubTables where tableName=`st)")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stat, Int::new(1).into());
    c.run_script(
        "for (s in select * from getStreamingStat().pubTables where tableName=`st) {
            p = s.subscriber.split(\":\");
            stopPublishTable(p[0], int(p[1]), s.tableName, s.actions)
         }
         insert into st values(6i,1970.01.07d)",
    )
    .await
    .unwrap();
    assert!(
        sub.next().await.is_none(),
        "the stream ends after stopPublishTable"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn guests_and_missing_tables_cannot_subscribe() {
    use dolphindb::stream_client::{request::Request, subscriber::SubscriberBuilder};

    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    c.run_script("share streamTable(10:0,`data,[INT]) as `gst")
        .await
        .unwrap();
    let req = Request::new("gst".into(), "rust".into());
    assert!(SubscriberBuilder::new()
        .subscribe(addr.clone(), req)
        .await
        .is_err());
    let mut req = Request::new("nosuch".into(), "rust".into());
    req.with_auth(("admin".to_string(), "123456".to_string()));
    assert!(SubscriberBuilder::new()
        .subscribe(addr.clone(), req)
        .await
        .is_err());
    server.shutdown().await;
}

/// Many sessions appending to one shared table at once: every row arrives exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_appends_to_a_shared_table_are_all_kept() {
    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    c.run_script("share table(1000:0, `k`i, [INT,INT]) as `race")
        .await
        .unwrap();
    let sessions = 6;
    let each = 40;
    let tasks: Vec<_> = (0..sessions)
        .map(|k| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let mut c = client(&addr).await;
                for i in 0..each {
                    let script = if i % 2 == 0 {
                        format!("insert into race values({k}i, {i}i)")
                    } else {
                        format!("tableInsert(race, table([{k}i] as k, [{i}i] as i))")
                    };
                    c.run_script(&script).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let rows = c.run_script("rows(race)").await.unwrap().unwrap();
    assert_eq!(rows, Int::new(sessions * each).into());
    let distinct = c
        .run_script("rows(select count(*) from race group by k, i)")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(distinct, Int::new(sessions * each).into(), "no row twice");
    server.shutdown().await;
}
