//! Internal calls over a real node listener: results and remote errors come back as they are,
//! failures are bounded in time, and a pooled connection to a node that restarted is not used.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cluster::rpc::{CallOptions, Credential, Rpc, RpcError};
use common::{free_port, start_node};
use value::Value;

const SECRET: &str = "rpc-test-secret";

async fn node(port: u16) -> (server::Server, Arc<Rpc>) {
    let srv = start_node("127.0.0.1", port, &format!("n{port}")).await;
    let rpc = Rpc::new(Credential::from_secret(SECRET));
    rpc.register("__cluster_sum", |args| async move {
        let mut total = 0;
        for a in &args {
            total += a.as_i64().ok_or("__cluster_sum takes integers")?;
        }
        Ok(Value::long(total))
    });
    rpc.register_blocking("__cluster_fail", |_| Err("<NotLeader>h:1:a".to_string()));
    let _ = srv.node().rpc.set(rpc.clone());
    (srv, rpc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_answer_and_fail_within_their_bounds() {
    let port = free_port();
    let (srv, _) = node(port).await;
    let addr = format!("127.0.0.1:{port}");
    let client = Rpc::new(Credential::from_secret(SECRET));
    let v = client
        .call(
            &addr,
            "__cluster_sum",
            vec![Value::int(2), Value::long(40)],
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(v.as_i64(), Some(42));
    let e = client
        .call(
            &addr,
            "__cluster_sum",
            vec![Value::string("x")],
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e, RpcError::Remote("__cluster_sum takes integers".into()));
    let e = client
        .call(&addr, "__cluster_fail", vec![], CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e, RpcError::Remote("<NotLeader>h:1:a".into()));
    // Ordinary functions run as the cluster user too (DolphinDB's rpc).
    let v = client
        .call(
            &addr,
            "add",
            vec![Value::int(1), Value::int(2)],
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(v.as_i64(), Some(3));

    // The node restarts: the pooled connection is dead and is not used, even for a call that
    // is not retried.
    srv.shutdown().await;
    let (srv, _) = node(port).await;
    let v = client
        .call(
            &addr,
            "__cluster_sum",
            vec![Value::int(1)],
            CallOptions::once(Duration::from_secs(5)),
        )
        .await
        .unwrap();
    assert_eq!(v.as_i64(), Some(1));
    srv.shutdown().await;

    // Nobody listening: unreachable at once.
    let t = Instant::now();
    let e = client
        .call(
            &addr,
            "__cluster_sum",
            vec![],
            CallOptions::idempotent(Duration::from_secs(3)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, RpcError::Unreachable(_)), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());

    // A peer that accepts and never answers: the call's timeout bounds it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let t = Instant::now();
    let e = client
        .call(
            &silent_addr,
            "__cluster_sum",
            vec![],
            CallOptions::once(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
    assert!(
        matches!(e, RpcError::Unreachable(_) | RpcError::Timeout(_)),
        "{e:?}"
    );
    hold.abort();
}
