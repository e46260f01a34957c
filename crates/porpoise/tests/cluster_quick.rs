//! A quick cluster (controller + agent + data node, cfg files written like the seed's quick
//! project, launched with its command lines) on loopback, driven through the official Rust
//! client: getClusterPerf shows every node, stopDataNode/startDataNode go through the agent, a
//! data node killed with -9 is restarted by its agent, and the agent's data node comes back by
//! itself after the whole cluster is stopped and started again.

mod common;

use std::time::Duration;

use common::layout::Layout;
use common::*;

const UP: Duration = Duration::from_secs(60);

struct Ports {
    controller: u16,
    agent: u16,
    data: u16,
    compute: u16,
}

fn write_cfg(l: &Layout, p: &Ports) {
    // As the quick project's controller.cfg: no mode= line (-mode says it), a comment; plus a
    // short heartbeat timeout and crash restarts for this test.
    l.write(
        "controller.cfg",
        format!(
            "localSite=127.0.0.1:{}:master\nlocalExecutors=2\nmaxConnections=16\nmaxMemSize=5\n\
             webWorkerNum=2\nworkerNum=2\ndfsReplicationFactor=1\ndfsReplicaReliabilityLevel=0\n\
             #publicName=127.0.0.1\ndataSync=1\nchunkCacheEngineMemSize=8\nlanCluster=0\n\
             perfMonitoring=1\ndfsChunkNodeHeartBeatTimeout=2\ndatanodeRestartInterval=1\n",
            p.controller
        ),
    );
    // The agent's localSite ends in ",agent" and workNum is the seed's typo.
    l.write(
        "agent.cfg",
        format!(
            "mode=agent\nlocalSite=127.0.0.1:{}:P1-agent,agent\ncontrollerSite=127.0.0.1:{}:master\n\
             workNum=2\nlocalExecutors=2\nmaxMemSize=5\ndataSync=1\nlanCluster=0\n",
            p.agent, p.controller
        ),
    );
    // A blank first line, which DolphinDB refuses and porpoise accepts.
    l.write(
        "cluster.nodes",
        format!(
            "\nlocalSite,mode\n127.0.0.1:{}:P1-agent,agent\n127.0.0.1:{}:P1-node1,datanode\n\
             127.0.0.1:{}:P1-cn1,computenode\n",
            p.agent, p.data, p.compute
        ),
    );
    l.write(
        "cluster.cfg",
        "maxConnections=32\nmaxMemSize=5\nworkerNum=2\nlocalExecutors=2\nwebWorkerNum=2\n\
         #P1-%.publicName=127.0.0.1\nP1-%.maxConnections=64\nvolumes=/tmp/<ALIAS>-unused\n\
         dataSync=1\nlanCluster=0\n",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_cluster_start_stop_crash_and_full_restart() {
    let off = free_offset(&[8900, 8710, 8711, 8712], 1);
    let p = Ports {
        controller: 8900 + off,
        agent: 8710 + off,
        data: 8711 + off,
        compute: 8712 + off,
    };
    let layout = Layout::new(temp_dir("quick"), "", true);
    let dir = layout.dir.clone();
    write_cfg(&layout, &p);
    std::fs::write(dir.join("dolphindb.dos"), "x = 1\n").unwrap();
    let _reaper = Reaper(vec![layout.home()]);
    let mut ctl = layout.controller("controller");
    let mut agt = layout.agent("agent");

    // The controller and the agent come up; the data node waits for startDataNode.
    wait_for("the agent up", UP, || is_up(p.controller, "P1-agent")).await;
    let state = cluster_state(p.controller).await.unwrap();
    let names: Vec<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["master", "P1-agent", "P1-node1", "P1-cn1"],
        "{state:?}"
    );
    assert_eq!(scalar(p.controller, "getNodeType()").await.unwrap(), "2");

    // startDataNode through the agent; the node takes cluster.cfg entries for its alias.
    run(p.controller, "startDataNode(\"P1-node1\")")
        .await
        .unwrap();
    wait_for("P1-node1 up", UP, || is_up(p.controller, "P1-node1")).await;
    let alias = scalar(p.data, "getNodeAlias()").await.unwrap();
    assert_eq!(alias, "P1-node1");
    assert_eq!(scalar(p.data, "getNodeType()").await.unwrap(), "0");
    let config = |key: &str| format!("getConfig(\"{key}\")");
    let maxc = scalar(p.data, &config("maxConnections")).await.unwrap();
    assert_eq!(maxc, "64", "the P1-% entry wins over the unqualified one");
    let volumes = scalar(p.data, &config("volumes")).await.unwrap();
    assert_eq!(
        volumes, "/tmp/P1-node1-unused",
        "<ALIAS> is the node's alias"
    );
    let agent_log = std::fs::read_to_string(dir.join("log/agent.log")).unwrap();
    assert!(
        agent_log.contains("Unknown configuration parameter [workNum]"),
        "{agent_log}"
    );
    assert_eq!(scalar(p.data, "1+1").await.unwrap(), "2");
    let t = run(p.controller, "getClusterPerf()")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(column(&t, "name"), ["P1-agent", "P1-node1", "P1-cn1"]);
    assert_eq!(column(&t, "mode"), ["1", "0", "4"]);
    let agent_site = format!("127.0.0.1:{}:P1-agent", p.agent);
    assert_eq!(column(&t, "agentSite")[1], agent_site);
    assert_eq!(
        scalar(p.controller, "getDataNodes()").await.unwrap(),
        "[P1-node1]"
    );

    // A guest may look, not stop nodes.
    let mut guest = dolphindb::client::ClientBuilder::new(format!("127.0.0.1:{}", p.controller))
        .connect()
        .await
        .unwrap();
    let e = guest
        .run_script("stopDataNode(\"P1-node1\")")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("<NotAuthenticated>Not login yet."), "{e}");
    assert!(guest.run_script("getClusterPerf()").await.is_ok());

    // A compute node, through the same agent.
    run(p.controller, "startComputeNode(\"P1-cn1\")")
        .await
        .unwrap();
    wait_for("P1-cn1 up", UP, || is_up(p.controller, "P1-cn1")).await;
    assert_eq!(scalar(p.compute, "getNodeType()").await.unwrap(), "4");
    assert_eq!(
        scalar(p.controller, "getComputeNodes()").await.unwrap(),
        "[P1-cn1]"
    );
    run(p.controller, "stopComputeNode(\"P1-cn1\")")
        .await
        .unwrap();
    wait_for("P1-cn1 port closed", UP, || async { !listening(p.compute) }).await;

    // stopDataNode: the agent stops the process; the controller sees it down.
    run(p.controller, "stopDataNode([\"P1-node1\"])")
        .await
        .unwrap();
    wait_for("P1-node1 port closed", UP, || async { !listening(p.data) }).await;
    wait_for("P1-node1 down", UP, || is_down(p.controller, "P1-node1")).await;
    // A user stop is not a crash: the node stays down.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!listening(p.data));
    // By host:port, as DolphinDB's documentation writes it.
    let by_site = format!("startDataNode([\"127.0.0.1:{}\"])", p.data);
    run(p.controller, &by_site).await.unwrap();
    wait_for("P1-node1 up again", UP, || is_up(p.controller, "P1-node1")).await;
    let err = run(p.controller, "startDataNode(\"nope\")")
        .await
        .unwrap_err();
    assert!(err.contains("nope"), "{err}");

    // kill -9: the agent restarts it after datanodeRestartInterval.
    let home = layout.home();
    let pid = agent_pid(&home, "P1-agent", "P1-node1");
    assert!(pid > 0);
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
    wait_for("a new P1-node1 process", UP, || async {
        let now = agent_pid(&home, "P1-agent", "P1-node1");
        now != 0 && now != pid
    })
    .await;
    wait_for("P1-node1 up after the crash", UP, || async {
        listening(p.data) && run(p.data, "1").await.is_ok()
    })
    .await;
    let log = std::fs::read_to_string(dir.join("log/agent.log")).unwrap();
    assert!(log.contains("killed by signal 9"), "{log}");

    // Full stop: the agent stops its node; then everything comes back by itself.
    agt.signal(libc::SIGTERM);
    assert!(
        agt.wait_exit(Duration::from_secs(30)).is_some(),
        "the agent stops"
    );
    assert!(!listening(p.data), "the agent stopped its data node");
    ctl.signal(libc::SIGTERM);
    assert!(
        ctl.wait_exit(Duration::from_secs(30)).is_some(),
        "the controller stops"
    );
    drop((ctl, agt));
    let _ctl = layout.controller("controller");
    let _agt = layout.agent("agent");
    wait_for("P1-node1 back after a full stop", UP, || {
        is_up(p.controller, "P1-node1")
    })
    .await;
    // A user-stopped node stays stopped across the restart.
    assert!(!listening(p.compute));

    // The alias is the identity: P1-node1 started by hand on another address rejoins as itself.
    run(p.controller, "stopDataNode(\"P1-node1\")")
        .await
        .unwrap();
    // The process has exited (and released its files) once the agent records no pid.
    wait_for("P1-node1 exited", UP, || async {
        agent_pid(&home, "P1-agent", "P1-node1") == 0
    })
    .await;
    let site = format!("127.0.0.2:{}:P1-node1", p.data);
    let controller_site = format!("127.0.0.1:{}:master", p.controller);
    let _moved = Proc::node(
        "moved",
        &dir,
        "datanode",
        &[
            ("-home", "data"),
            ("-localSite", &site),
            ("-logFile", "log/moved.log"),
            ("-clusterConfig", "config/cluster.cfg"),
            ("-controllerSite", &controller_site),
        ],
    );
    wait_for("P1-node1 registered on 127.0.0.2", UP, || async {
        let Ok(Some(t)) = run(p.controller, "getClusterPerf()").await else {
            return false;
        };
        let names = column(&t, "name");
        let hosts = column(&t, "host");
        let states = column(&t, "state");
        (0..names.len())
            .any(|i| names[i] == "P1-node1" && hosts[i] == "127.0.0.2" && states[i] == "true")
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}
