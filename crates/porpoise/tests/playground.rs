//! `porpoise playground` end to end: it writes the seed-like cfg files, starts every process,
//! prints a line containing `ready`, serves through the official client, and stops everything on
//! SIGTERM. The HA layout's three controllers agree on `getActiveMaster()`, and a second run on
//! the same directory brings the same cluster back.

mod common;

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use common::*;

/// Starts the playground and returns it with its stdout lines as they come.
fn playground(dir: &std::path::Path, quick: bool, off: u16) -> (Proc, mpsc::Receiver<String>) {
    let off_s = off.to_string();
    let dir_s = dir.display().to_string();
    let mut args = vec!["playground", "--dir", &dir_s, "--port-offset", &off_s];
    if quick {
        args.push("--quick");
    }
    let mut p = Proc::spawn("playground", dir.parent().unwrap(), &args);
    let out = p.child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (p, rx)
}

fn wait_ready(rx: &mpsc::Receiver<String>, t: Duration) -> String {
    let deadline = std::time::Instant::now() + t;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("ready") => return line,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!("no ready line; output so far:\n{}", seen.join("\n"));
}

fn stop(mut p: Proc, ports: &[u16]) {
    p.signal(libc::SIGTERM);
    let status = p
        .wait_exit(Duration::from_secs(60))
        .expect("the playground stops");
    assert!(status.success(), "{status}");
    for port in ports {
        assert!(
            !listening(*port),
            "port {port} still open after the playground stopped"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_playground_is_ready_and_stops_on_sigterm() {
    let off = free_offset(&[8900, 8710, 8711], 2);
    let root = temp_dir("pg-quick");
    let dir = root.join("playground");
    let (p, rx) = playground(&dir, true, off);
    let line = wait_ready(&rx, Duration::from_secs(120));
    let (ctl, data) = (8900 + off, 8711 + off);
    assert!(line.contains(&format!("http://127.0.0.1:{ctl}")), "{line}");
    assert!(
        line.contains(&format!("127.0.0.1:{data}")) && line.contains("admin"),
        "{line}"
    );
    // Real cfg files with the seed's names.
    for f in [
        "controller.cfg",
        "agent1.cfg",
        "cluster.nodes",
        "cluster.cfg",
    ] {
        assert!(dir.join("cfg").join(f).is_file(), "{f}");
    }
    let state = cluster_state(ctl).await.unwrap();
    assert!(state.iter().all(|(_, up)| *up), "{state:?}");
    assert_eq!(scalar(data, "getNodeAlias()").await.unwrap(), "P1-node1");
    stop(p, &[ctl, 8710 + off, data]);
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_playground_controllers_agree_on_the_leader() {
    let bases = [8901, 8902, 8903, 8710, 8711, 8810, 8811, 8910, 8911];
    let off = free_offset(&bases, 3);
    let root = temp_dir("pg-ha");
    let dir = root.join("playground");
    let (p, rx) = playground(&dir, false, off);
    let line = wait_ready(&rx, Duration::from_secs(150));
    eprintln!("{line}");
    let controllers = [8901 + off, 8902 + off, 8903 + off];
    let mut leaders = Vec::new();
    for port in controllers {
        leaders.push(scalar(port, "getActiveMaster()").await.unwrap());
    }
    assert!(leaders.iter().all(|l| l == &leaders[0]), "{leaders:?}");
    assert!(line.contains(&leaders[0]), "{line}");
    // Every controller (followers ask the leader) shows the nine nodes up, one leader.
    for port in controllers {
        let t = run(port, "getClusterPerf(true)").await.unwrap().unwrap();
        assert_eq!(column(&t, "name").len(), 9);
        assert!(column(&t, "state").iter().all(|s| s == "true"));
        let leads = column(&t, "isLeader");
        assert_eq!(
            leads.iter().filter(|s| *s == "true").count(),
            1,
            "{leads:?}"
        );
    }
    let ports: Vec<u16> = bases.iter().map(|b| b + off).collect();
    stop(p, &ports);

    // Run again on the same directory: the controllers restore their Raft state, the agents
    // start the data nodes that were running by themselves.
    let (p, rx) = playground(&dir, false, off);
    wait_ready(&rx, Duration::from_secs(150));
    for a in ["agent1", "agent2", "agent3"] {
        let log = std::fs::read_to_string(dir.join(format!("cluster/agent/log/{a}.log"))).unwrap();
        assert!(
            log.contains("was running when the agent stopped"),
            "{a}: {log}"
        );
    }
    let l = scalar(controllers[0], "getActiveMaster()").await.unwrap();
    assert!(l.starts_with("controller"));
    stop(p, &ports);
    let _ = std::fs::remove_dir_all(&root);
}
