//! The seed's HA compose files (ddb_high_3cluster: three controllers, three agents, three data
//! nodes), unchanged except for addresses (10.5.0.x -> 127.0.0.1, ports shifted) and the
//! absolute /data/ddb paths, launched with the compose entrypoints' command lines from two
//! "container" roots (controllers, agents) as the compose mounts them. Through the official
//! client: the data nodes start, every controller names the same leader, and after kill -9 of
//! the leader another leads and sees every node up again; the killed controller rejoins.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::layout::Layout;
use common::*;

const UP: Duration = Duration::from_secs(90);
const SEED_PORTS: [u16; 9] = [8901, 8902, 8903, 8710, 8810, 8910, 8711, 8811, 8911];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../cluster/tests/fixtures/ddb_high_3cluster")
}

/// The seed file with the addresses of this test.
fn localize(text: &str, off: u16, data_root: &Path) -> String {
    let mut s = text.to_string();
    for ip in [
        "10.5.0.2", "10.5.0.3", "10.5.0.4", "10.5.0.5", "10.5.0.6", "10.5.0.7",
    ] {
        s = s.replace(ip, "127.0.0.1");
    }
    for port in SEED_PORTS {
        s = s.replace(&format!(":{port}:"), &format!(":{}:", port + off));
    }
    s.replace("/data/ddb/", &format!("{}/", data_root.display()))
}

/// A "container" root: `clusterDemo/{config,data,log}` with the seed's files.
fn root(dir: &Path, name: &str, off: u16) -> Layout {
    let r = Layout::new(dir.join(name), "clusterDemo/", true);
    for f in std::fs::read_dir(fixtures()).unwrap() {
        let f = f.unwrap().path();
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.file_name().unwrap().to_str().unwrap();
        r.write(name, &localize(&text, off, &r.dir.join("ddb")));
    }
    r
}

async fn leader_of(port: u16) -> Option<String> {
    scalar(port, "getActiveMaster()").await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_ha_files_run_and_survive_the_leader_dying() {
    let off = free_offset(&SEED_PORTS, 4);
    let dir = temp_dir("ha");
    let croot = root(&dir, "controllers", off);
    let aroot = root(&dir, "agents", off);
    let _reaper = Reaper(vec![aroot.home()]);
    let ctl_ports = [8901 + off, 8902 + off, 8903 + off];
    let mut controllers: Vec<Option<Proc>> = (1..=3)
        .map(|i| Some(croot.controller(&format!("controller{i}"))))
        .collect();
    let mut agents: Vec<Proc> = (1..=3).map(|i| aroot.agent(&format!("agent{i}"))).collect();

    // A leader, the agents up, then the data nodes through the leader.
    let mut leader = String::new();
    wait_for("a leader", UP, || async {
        leader_of(ctl_ports[0]).await.is_some()
    })
    .await;
    wait_for("the agents up", UP, || async {
        let Some(l) = leader_of(ctl_ports[0]).await else {
            return false;
        };
        let port = ctl_ports[l
            .trim_start_matches("controller")
            .parse::<usize>()
            .unwrap_or(1)
            - 1];
        let mut ok = true;
        for a in ["agent1", "agent2", "agent3"] {
            ok &= is_up(port, a).await;
        }
        ok
    })
    .await;
    let start = "startDataNode([\"P1-node1\", \"P2-node1\", \"P3-node1\"])";
    wait_for("startDataNode accepted by the leader", UP, || async {
        for port in ctl_ports {
            if run(port, start).await.is_ok() {
                return true;
            }
        }
        false
    })
    .await;
    for port in ctl_ports {
        let l = leader_of(port).await.unwrap();
        if leader.is_empty() {
            leader = l;
        } else {
            assert_eq!(l, leader, "every controller names the same leader");
        }
    }
    let data_ports = [8711 + off, 8811 + off, 8911 + off];
    for (i, port) in data_ports.iter().enumerate() {
        let alias = format!("P{}-node1", i + 1);
        wait_serving(*port, UP).await;
        let a = scalar(*port, "getNodeAlias()").await.unwrap();
        assert_eq!(a, alias);
        // cluster.cfg's P1-%/P2-%/P3-% entries reach each node.
        let pn = scalar(*port, "getConfig(\"publicName\")").await.unwrap();
        assert_eq!(pn, "127.0.0.1");
    }

    // kill -9 the leader: another leads, and sees every agent and data node up.
    let li: usize = leader.trim_start_matches("controller").parse().unwrap();
    let mut dead = controllers[li - 1].take().unwrap();
    dead.signal(libc::SIGKILL);
    dead.wait_exit(Duration::from_secs(10));
    drop(dead);
    let others: Vec<u16> = (1..=3)
        .filter(|i| *i != li)
        .map(|i| ctl_ports[i - 1])
        .collect();
    wait_for("a new leader", UP, || async {
        leader_of(others[0]).await.is_some_and(|l| l != leader)
    })
    .await;
    let new_leader = leader_of(others[0]).await.unwrap();
    let nl: usize = new_leader.trim_start_matches("controller").parse().unwrap();
    let nl_port = ctl_ports[nl - 1];
    let all = [
        "agent1", "agent2", "agent3", "P1-node1", "P2-node1", "P3-node1",
    ];
    wait_up(nl_port, &all, UP).await;
    let t = run(nl_port, "getClusterPerf(true)").await.unwrap().unwrap();
    let names = column(&t, "name");
    let leads = column(&t, "isLeader");
    let i = names.iter().position(|n| n == &new_leader).unwrap();
    assert_eq!(leads[i], "true");

    // The killed controller comes back and follows the new leader.
    controllers[li - 1] = Some(croot.controller(&format!("controller{li}")));
    let back = ctl_ports[li - 1];
    wait_for("the old leader rejoins", UP, || async {
        leader_of(back).await.as_deref() == Some(new_leader.as_str())
    })
    .await;
    // Agents stop their data nodes when they stop.
    for a in &agents {
        a.signal(libc::SIGTERM);
    }
    for a in agents.iter_mut() {
        assert!(
            a.wait_exit(Duration::from_secs(30)).is_some(),
            "{} stops",
            a.name
        );
    }
    for port in data_ports {
        assert!(
            !listening(port),
            "the data node on {port} stopped with its agent"
        );
    }
    drop(controllers);
    let _ = std::fs::remove_dir_all(&dir);
}
