// Proves through the official Rust client that shared objects stay exact under concurrent
// sessions: 6 connections append identical and distinct rows to one shared table and one
// shared stream table by several in-place paths (`append!`, `t.append!`, `tableInsert`,
// `insert into`, `update`), many rounds at once; the final rows are exactly those expected as
// a multiset, and a subscriber receives every stream row once, in order.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use dolphindb::client::Client;
use dolphindb::stream_client::{request::Request, subscriber::SubscriberBuilder};
use dolphindb::types::{Constant, ConstantImpl};
use futures::StreamExt;
use server::script_engine;

const SESSIONS: i32 = 6;
const ROUNDS: i32 = 25;
/// Rows each session appends to each table per round.
const PATHS: i32 = 4;
const STREAM_WAIT: Duration = Duration::from_secs(60);

/// Even sessions all write key 0, so their rows are identical to each other's.
fn key(session: i32) -> i32 {
    if session % 2 == 0 {
        0
    } else {
        session
    }
}

/// One round of one session: PATHS rows into each table, a delete of a row it added itself,
/// and a counter update.
fn round_script(k: i32, i: i32) -> String {
    let v = |p: i32| i * 10 + p;
    let mut s = String::new();
    for t in ["race", "stream"] {
        s += &format!(
            "append!({t}, table({k} as k, {} as i))\n\
             {t}.append!(table({k} as k, {} as i))\n\
             tableInsert({t}, {k}, {})\n\
             insert into {t} values({k}, {})\n",
            v(0),
            v(1),
            v(2),
            v(3)
        );
    }
    s += &format!(
        "insert into race values({k}, -1)\n\
         delete from race where k = {k} and i = -1\n\
         update counter set n = n + 1\n"
    );
    s
}

fn expected() -> HashMap<(String, String), usize> {
    let mut want = HashMap::new();
    for id in 0..SESSIONS {
        for i in 0..ROUNDS {
            for p in 0..PATHS {
                let row = (key(id).to_string(), (i * 10 + p).to_string());
                *want.entry(row).or_default() += 1;
            }
        }
    }
    want
}

fn strings(c: ConstantImpl) -> Vec<String> {
    (0..c.len())
        .map(|i| c.get(i).map(|x| x.to_string()).unwrap_or_default())
        .collect()
}

/// The value of `script` (run through `c`), one string per element.
async fn exec(c: &mut Client, script: &str) -> Vec<String> {
    strings(c.run_script(script).await.unwrap().unwrap())
}

async fn rows_of(c: &mut Client, table: &str) -> HashMap<(String, String), usize> {
    let k = exec(c, &format!("exec k from {table}")).await;
    let i = exec(c, &format!("exec i from {table}")).await;
    let mut got = HashMap::new();
    for row in k.into_iter().zip(i) {
        *got.entry(row).or_default() += 1;
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sessions_keep_every_row_of_shared_and_stream_tables() {
    let (server, addr) = start_node(4, &[], script_engine()).await;
    let mut c = client(&addr).await;
    c.run_script(
        "share table(100:0, `k`i, [INT,INT]) as race
         share streamTable(100:0, `k`i, [INT,INT]) as stream
         share table(0 as n) as counter",
    )
    .await
    .unwrap();
    let mut req = Request::new("stream".into(), "race".into());
    req.with_auth(("admin".to_string(), "123456".to_string()));
    req.with_offset(0);
    let mut sub = SubscriberBuilder::new()
        .subscribe(addr.clone(), req)
        .await
        .unwrap();
    let writers: Vec<_> = (0..SESSIONS)
        .map(|id| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let mut c = client(&addr).await;
                for i in 0..ROUNDS {
                    c.run_script(&round_script(key(id), i)).await.unwrap();
                }
            })
        })
        .collect();
    let total = (SESSIONS * ROUNDS * PATHS) as usize;
    let mut offsets = Vec::with_capacity(total);
    let mut streamed: HashMap<(String, String), usize> = HashMap::new();
    while offsets.len() < total {
        let msg = tokio::time::timeout(STREAM_WAIT, sub.next())
            .await
            .expect("the subscriber waited too long for a row")
            .expect("the stream ended early");
        offsets.push(msg.offset());
        let dolphindb::types::VectorImpl::Any(row) = msg.msg() else {
            panic!("a stream row is an ANY vector: {:?}", msg.msg())
        };
        let cell = |j: usize| row[j].get().to_string();
        *streamed.entry((cell(0), cell(1))).or_default() += 1;
    }
    for w in writers {
        w.await.unwrap();
    }
    let want = expected();
    assert_eq!(
        offsets,
        (0..total as i64).collect::<Vec<_>>(),
        "each row once, in order"
    );
    assert_eq!(streamed, want);
    assert_eq!(rows_of(&mut c, "race").await, want);
    assert_eq!(rows_of(&mut c, "stream").await, want);
    assert_eq!(
        exec(&mut c, "exec n from counter").await,
        vec![(SESSIONS * ROUNDS).to_string()]
    );
    // Nothing more arrives: no row was sent twice.
    let extra = tokio::time::timeout(Duration::from_millis(300), sub.next()).await;
    assert!(extra.is_err(), "an extra stream message arrived");
    server.shutdown().await;
}
