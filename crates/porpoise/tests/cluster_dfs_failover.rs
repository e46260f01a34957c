//! DFS writes across a failover of the controllers' leader: three controllers (Raft), two data
//! nodes; a client appends numbered batches (10 rows each, one transaction) through the data
//! nodes in turn while the leader is killed with SIGKILL. Writes resume under the new leader
//! (the gap is printed), and the history holds: every acknowledged batch is there exactly once
//! and whole, a batch that failed is whole or absent, nothing else is there.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::ha::Ha;
use common::*;

/// Bound on one append as the client sees it (a write never hangs).
const WRITE_BOUND: Duration = Duration::from_secs(30);
const ROWS: i64 = 10;

async fn append(port: u16, batch: i64) -> Result<(), String> {
    let script = format!(
        "t = table(take({batch}, {ROWS}) as batch, 0..{} as i); \
         loadTable('dfs://failover', 'pt').append!(t); 1",
        ROWS - 1
    );
    match tokio::time::timeout(WRITE_BOUND, run(port, &script)).await {
        Ok(r) => r.map(|_| ()),
        Err(_) => panic!("append of batch {batch} hung for {WRITE_BOUND:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dfs_writes_survive_a_leader_failover() {
    let mut ha = Ha::start("dfs-failover", 31, 2);
    ha.wait_ready().await;
    let dn = ha.dn_ports.clone();
    run(
        dn[0],
        "db = database('dfs://failover', HASH, [LONG, 4]); \
         t = table(1:0, `batch`i, [LONG, LONG]); db.createPartitionedTable(t, 'pt', 'batch'); 1",
    )
    .await
    .unwrap();

    let mut acked = Vec::new();
    let mut failed = Vec::new();
    let mut batch = 0i64;
    let write = |b: i64| {
        let port = dn[(b % 2) as usize];
        async move { (b, append(port, b).await) }
    };
    while acked.len() < 20 {
        let (b, r) = write(batch).await;
        batch += 1;
        match r {
            Ok(()) => acked.push(b),
            Err(e) => panic!("batch {b} failed before the failover: {e}"),
        }
    }
    let old = ha.leader().await.expect("a leader");
    ha.kill_controller(old);
    let killed = Instant::now();
    let mut first_after = None;
    let mut after = 0;
    let deadline = killed + Duration::from_secs(60);
    while after < 20 {
        assert!(
            Instant::now() < deadline,
            "writes did not resume: {failed:?}"
        );
        let (b, r) = write(batch).await;
        batch += 1;
        match r {
            Ok(()) => {
                acked.push(b);
                after += 1;
                first_after.get_or_insert_with(|| killed.elapsed());
            }
            Err(e) => failed.push((b, e)),
        }
    }
    let gap = first_after.unwrap();
    println!(
        "DFS writes resumed {} ms after SIGKILL of the leader; {} batches failed meanwhile",
        gap.as_millis(),
        failed.len()
    );
    if let Some((b, e)) = failed.first() {
        println!("first failure (batch {b}): {e}");
    }

    // The history, read through either data node once the transactions in doubt (if any) are
    // resolved by the replicas.
    let check = "select count(*) as n from loadTable('dfs://failover', 'pt') group by batch";
    let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
    let settle = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(t)) = run(dn[1], check).await {
            let ids = column(&t, "batch");
            let ns = column(&t, "n");
            counts = ids
                .iter()
                .zip(&ns)
                .map(|(b, n)| (b.parse().unwrap(), n.parse().unwrap()))
                .collect();
            if acked.iter().all(|b| counts.contains_key(b)) {
                break;
            }
        }
        assert!(
            Instant::now() < settle,
            "acknowledged batches missing: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for b in &acked {
        assert_eq!(counts.get(b), Some(&ROWS), "acknowledged batch {b}");
    }
    for (b, n) in &counts {
        assert!(*b < batch, "batch {b} was never written");
        assert_eq!(*n, ROWS, "batch {b} is not whole");
    }
    let total: i64 = counts.values().sum();
    let other = scalar(
        dn[0],
        "exec count(*) from loadTable('dfs://failover', 'pt')",
    )
    .await
    .unwrap();
    assert_eq!(
        other,
        total.to_string(),
        "both data nodes read the same rows"
    );
}
