//! Controller faults under continuous metadata writes (three controllers, one data node):
//! a client creates users in a loop through the data node (each `createUser` is a Raft
//! proposal forwarded to the leader) while the test
//! 1. SIGKILLs the leader: writes resume under a new leader (the gap is printed, not asserted);
//! 2. kills two of the three controllers: every write fails with a clear error in bounded time
//!    instead of hanging;
//! 3. restarts them: writes resume;
//!
//! and a history check at the end: every acknowledged user is present exactly once; a write
//! that failed may or may not have been applied (its fate was ambiguous to the client).
//!
//! A minority partition is in controller_partition.rs.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::ha::Ha;
use common::*;
use dolphindb::client::Client;

/// Bound on one write, faults included: it must come back, with an answer or an error.
const WRITE_BOUND: Duration = Duration::from_secs(30);
/// Bound on the cluster coming back after a fault.
const RECOVERY_BOUND: Duration = Duration::from_secs(60);

#[derive(Default)]
struct History {
    next: usize,
    acked: Vec<String>,
    failed: Vec<(String, String)>,
}

impl History {
    /// One `createUser` through `port`: Ok(()) when acknowledged.
    async fn write(&mut self, c: &mut Client) -> Result<(), String> {
        let name = format!("w{}", self.next);
        self.next += 1;
        let started = Instant::now();
        let r = tokio::time::timeout(
            WRITE_BOUND,
            c.run_script(&format!("createUser(\"{name}\", \"pw123\")")),
        )
        .await;
        let r = match r {
            Err(_) => panic!("createUser({name}) hung for {WRITE_BOUND:?}"),
            Ok(r) => r.map(|_| ()).map_err(|e| e.to_string()),
        };
        match &r {
            Ok(()) => self.acked.push(name),
            Err(e) => {
                eprintln!(
                    "createUser({name}) failed after {} ms: {e}",
                    started.elapsed().as_millis()
                );
                self.failed.push((name, e.clone()));
            }
        }
        r
    }
}

/// The cluster of these tests, ready: its data node's port, a client of it, an empty history.
async fn start(tag: &str, salt: u32) -> (Ha, u16, Client, History) {
    let ha = Ha::start(tag, salt, 1);
    ha.wait_ready().await;
    let dn = ha.dn_ports[0];
    let c = client(dn).await.unwrap();
    (ha, dn, c, History::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_faults_keep_acknowledged_writes() {
    let (mut ha, dn, mut c, mut h) = start("faults", 23).await;

    // 1. SIGKILL the leader during continuous writes.
    for _ in 0..20 {
        h.write(&mut c).await.unwrap();
    }
    let leader = ha.leader().await.unwrap();
    let last_before = Instant::now();
    ha.kill_controller(leader);
    let deadline = Instant::now() + RECOVERY_BOUND;
    let mut resumed: Option<Instant> = None;
    let mut after = 0;
    while after < 20 {
        assert!(
            Instant::now() < deadline,
            "writes did not resume after the leader died"
        );
        if h.write(&mut c).await.is_ok() {
            resumed.get_or_insert_with(Instant::now);
            after += 1;
        }
    }
    let gap = resumed.unwrap().duration_since(last_before);
    eprintln!(
        "controller failover: the first write after SIGKILL of the leader was acknowledged {} ms after the kill (target < 5000 ms)",
        gap.as_millis()
    );
    let new_leader = ha.leader().await.unwrap();
    assert_ne!(new_leader, leader);

    // The killed controller rejoins.
    ha.start_controller(leader);
    ha.wait_follows(
        leader,
        new_leader,
        RECOVERY_BOUND,
        "the killed controller to rejoin",
    )
    .await;
    h.write(&mut c).await.unwrap();

    // 2. Lose the quorum: kill the leader and one follower. Writes fail fast and clearly.
    let survivor = (0..3).find(|i| *i != new_leader).unwrap();
    for i in 0..3 {
        if i != survivor {
            ha.kill_controller(i);
        }
    }
    for _ in 0..3 {
        let started = Instant::now();
        let e = h.write(&mut c).await.unwrap_err();
        eprintln!(
            "without a quorum a write failed after {} ms: {e}",
            started.elapsed().as_millis()
        );
        assert!(
            e.contains("quorum") || e.contains("No controller accepted"),
            "a clear error: {e}"
        );
    }

    // 3. Restart them: writes resume.
    for i in 0..3 {
        if i != survivor {
            ha.start_controller(i);
        }
    }
    let restarted = Instant::now();
    let deadline = restarted + RECOVERY_BOUND;
    while h.write(&mut c).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "writes did not resume with the quorum back"
        );
    }
    eprintln!(
        "quorum back: writes resumed {} ms after the controllers were restarted",
        restarted.elapsed().as_millis()
    );
    for _ in 0..10 {
        h.write(&mut c).await.unwrap();
    }

    // History: every acknowledged user is present, exactly once, on the data node and on
    // every controller; nothing that was never written is.
    let attempted: BTreeSet<String> = h
        .acked
        .iter()
        .cloned()
        .chain(h.failed.iter().map(|(n, _)| n.clone()))
        .collect();
    for port in std::iter::once(dn).chain(ha.ctl_ports.clone()) {
        let users = column_of_vector(&scalar(port, "getUserList()").await.unwrap());
        let unique: BTreeSet<&String> = users.iter().collect();
        assert_eq!(unique.len(), users.len(), "a user listed twice on {port}");
        for a in &h.acked {
            assert!(users.contains(a), "acknowledged {a} missing on {port}");
        }
        for u in &users {
            assert!(attempted.contains(u), "{u} was never written");
        }
    }
    let failed_present = {
        let users = column_of_vector(&scalar(dn, "getUserList()").await.unwrap());
        h.failed.iter().filter(|(n, _)| users.contains(n)).count()
    };
    eprintln!(
        "history: {} writes acknowledged (all present once), {} failed ({} of them applied anyway)",
        h.acked.len(),
        h.failed.len(),
        failed_present
    );
}

/// `[a, b, c]` (a STRING vector as the client prints it) as its elements.
fn column_of_vector(s: &str) -> Vec<String> {
    let inner = s.trim().trim_start_matches('[').trim_end_matches(']');
    if inner.trim().is_empty() {
        return Vec::new();
    }
    inner
        .split(", ")
        .map(|x| x.trim_matches('"').to_string())
        .collect()
}

/// xorshift64*: a seeded random sequence, printed so a run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Random controller faults under writes, on demand: `cargo test -p porpoise --test
/// controller_faults -- --ignored`, `FAULT_SEED=n` repeats a run, `FAULT_ROUNDS=n` (default 10).
/// Each round writes a few users, then kills the leader, a follower, or two controllers
/// (restarting them after a random pause), and waits for writes to resume; the history check
/// runs at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn random_controller_faults_keep_acknowledged_writes() {
    let seed: u64 = std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
        | 1;
    let rounds: usize = std::env::var("FAULT_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    eprintln!("random controller faults: FAULT_SEED={seed} FAULT_ROUNDS={rounds}");
    let mut rng = Rng(seed);
    let (mut ha, dn, mut c, mut h) = start("random-faults", 29).await;
    for round in 0..rounds {
        for _ in 0..1 + rng.next(10) {
            let _ = h.write(&mut c).await;
        }
        let leader = ha.leader().await;
        let victims: Vec<usize> = match (rng.next(3), leader) {
            (0, Some(l)) => vec![l],
            (1, Some(l)) => vec![(l + 1 + rng.next(2) as usize) % 3],
            (_, _) => {
                let keep = rng.next(3) as usize;
                (0..3).filter(|i| *i != keep).collect()
            }
        };
        eprintln!("round {round}: leader {leader:?}, killing {victims:?}");
        for v in &victims {
            ha.kill_controller(*v);
        }
        for _ in 0..rng.next(4) {
            let _ = h.write(&mut c).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.next(2000))).await;
        for v in &victims {
            ha.start_controller(*v);
        }
        let deadline = Instant::now() + RECOVERY_BOUND;
        while h.write(&mut c).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "round {round}: writes did not resume (FAULT_SEED={seed})"
            );
        }
    }
    let users = column_of_vector(&scalar(dn, "getUserList()").await.unwrap());
    let unique: BTreeSet<&String> = users.iter().collect();
    assert_eq!(
        unique.len(),
        users.len(),
        "a user listed twice (FAULT_SEED={seed})"
    );
    for a in &h.acked {
        assert!(
            users.contains(a),
            "acknowledged {a} missing (FAULT_SEED={seed})"
        );
    }
    eprintln!(
        "random controller faults (FAULT_SEED={seed}): {} acknowledged, all present once; {} failed",
        h.acked.len(),
        h.failed.len()
    );
}
