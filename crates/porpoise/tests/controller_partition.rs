//! A minority partition of the controllers: three controllers whose Raft messages to each other
//! go through TCP proxies of this test (`PORPOISE_RAFT_ROUTES`, one proxy per direction), and a
//! data node. The leader is cut off from the other two in both directions while it keeps
//! running and clients still reach it:
//! - the cut-off leader can't commit: a proposal made on it directly fails in bounded time;
//! - the majority elects another leader and commits: writes through the data node resume;
//! - healed, the old leader follows the new one, and every acknowledged write is there.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cluster::raft::state::{password_hash, AclCommand};
use cluster::raft::Command;
use cluster::rpc::{to_blob, CallOptions, Credential, Rpc};
use common::ha::Ha;
use common::*;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A TCP proxy to `target` that can cut every connection and refuse new ones.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    fn start(target: u16) -> Proxy {
        let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std.set_nonblocking(true).unwrap();
        let port = std.local_addr().unwrap().port();
        let listener = TcpListener::from_std(std).unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (c, cs) = (cut.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                if c.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let task = tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    let (mut ri, mut wi) = inbound.into_split();
                    let (mut ro, mut wo) = outbound.into_split();
                    let up = tokio::io::copy(&mut ri, &mut wo);
                    let down = tokio::io::copy(&mut ro, &mut wi);
                    let _ = tokio::join!(up, down);
                });
                cs.lock().unwrap().push(task);
            }
        });
        Proxy {
            port,
            cut,
            conns,
            accept,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for t in self.conns.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    fn heal(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_leader_cannot_commit_while_the_majority_can() {
    // proxies[i][j]: controller i's messages to controller j.
    let proxies: Mutex<Vec<Vec<Option<Proxy>>>> = Mutex::new(Vec::new());
    let ha = Ha::start_routed("partition", 31, 1, |ports, i| {
        let mut all = proxies.lock().unwrap();
        if all.is_empty() {
            for a in 0..3 {
                all.push(
                    (0..3)
                        .map(|b| (a != b).then(|| Proxy::start(ports[b])))
                        .collect(),
                );
            }
        }
        (0..3)
            .filter(|j| *j != i)
            .map(|j| (j, format!("127.0.0.1:{}", all[i][j].as_ref().unwrap().port)))
            .collect()
    });
    let proxies = proxies.into_inner().unwrap();
    ha.wait_ready().await;
    let dn = ha.dn_ports[0];
    let mut c = client(dn).await.unwrap();
    let mut acked = Vec::new();
    for i in 0..5 {
        let name = format!("p{i}");
        c.run_script(&format!("createUser(\"{name}\", \"pw123\")"))
            .await
            .unwrap();
        acked.push(name);
    }

    // Cut the leader off, both directions.
    let old = ha.leader().await.unwrap();
    for i in 0..3 {
        if i != old {
            proxies[old][i].as_ref().unwrap().cut();
            proxies[i][old].as_ref().unwrap().cut();
        }
    }
    let cut_at = Instant::now();

    // The majority elects another leader and commits: writes through the data node resume.
    let deadline = cut_at + Duration::from_secs(60);
    let mut n = 5;
    let resumed = loop {
        let name = format!("p{n}");
        n += 1;
        match c
            .run_script(&format!("createUser(\"{name}\", \"pw123\")"))
            .await
        {
            Ok(_) => {
                acked.push(name);
                break cut_at.elapsed();
            }
            Err(e) => eprintln!("during the partition: {e}"),
        }
        assert!(Instant::now() < deadline, "the majority did not commit");
    };
    eprintln!(
        "partition: the majority committed {} ms after the leader was cut off",
        resumed.as_millis()
    );

    // The cut-off controller can't commit: a proposal made on it directly fails, in bounded
    // time, and is not applied.
    let rpc = Rpc::new(Credential::from_config(None));
    let cmd = Command::Acl(AclCommand::CreateUser {
        name: "minority".into(),
        password_hash: password_hash("minority", "pw123"),
        groups: vec![],
        is_admin: false,
    });
    let started = Instant::now();
    let r = rpc
        .call(
            &format!("127.0.0.1:{}", ha.ctl_ports[old]),
            cluster::controller::PROPOSE,
            vec![to_blob(&cmd).unwrap()],
            CallOptions::once(Duration::from_secs(30)),
        )
        .await;
    let e = r
        .expect_err("the minority committed a proposal")
        .to_string();
    eprintln!(
        "partition: a proposal on the cut-off controller failed after {} ms: {e}",
        started.elapsed().as_millis()
    );
    assert!(
        e.contains("quorum") || e.contains("NotLeader") || e.contains("UnknownLeader"),
        "{e}"
    );

    // Healed: the old leader follows the new one; every acknowledged write is there, the
    // minority's proposal is not.
    for row in &proxies {
        for p in row.iter().flatten() {
            p.heal();
        }
    }
    let new = ha.leader().await.unwrap();
    assert_ne!(old, new, "the old leader still leads");
    ha.wait_follows(
        old,
        new,
        Duration::from_secs(60),
        "the old leader to rejoin",
    )
    .await;
    c.run_script("createUser(\"after\", \"pw123\")")
        .await
        .unwrap();
    acked.push("after".into());
    let users = scalar(dn, "getUserList()").await.unwrap();
    for a in &acked {
        assert!(users.contains(a), "acknowledged {a} missing: {users}");
    }
    assert!(!users.contains("minority"), "{users}");
    drop(ha);
    drop(proxies);
}
