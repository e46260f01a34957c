//! `porpoise playground [--quick] [--dir DIR] [--port-offset N]`: a whole cluster on 127.0.0.1
//! in one command, laid out as the seed's compose projects are:
//! - default: the HA project `ddb_high_3cluster`: controllers 8901-8903 (`dfsHAMode=Raft`),
//!   agents 8710/8810/8910, data nodes P1-node1 8711, P2-node1 8811, P3-node1 8911
//!   (`dfsReplicationFactor=2`);
//! - `--quick`: the project `ddb_cluster_quick`: controller `master` 8900, agent `P1-agent` 8710,
//!   data node `P1-node1` 8711.
//!
//! The cfg files are written under `DIR/cfg` (only when missing, so they can be edited), state and
//! logs under `DIR/cluster/...`; controllers and agents are started with the compose projects'
//! command lines, then the data nodes through the leader (`startDataNode`), as the tutorial does
//! from the web console. Once every node is up it prints a line with `ready` and how to connect.
//! Ctrl-C (or SIGTERM) stops the agents (which stop their data nodes), then the controllers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cluster::rpc::{CallOptions, Credential, Rpc};
use value::{Data, Value, Vector};

/// Longest wait for the whole cluster to come up.
pub const READY_TIMEOUT: Duration = Duration::from_secs(180);
/// How often the playground looks at the cluster while it starts.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// Bound on one call to a controller.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause before asking again to start data nodes that are still down.
const START_RETRY: Duration = Duration::from_secs(15);
/// How long agents and then controllers get to stop before they are killed.
const STOP_GRACE: Duration = Duration::from_secs(25);

/// The command line of `porpoise playground`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub quick: bool,
    pub dir: PathBuf,
    /// Added to every port (to run two playgrounds side by side, or in tests).
    pub port_offset: u16,
}

const USAGE: &str = "usage: porpoise playground [--quick] [--dir DIR] [--port-offset N]";

pub fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        quick: false,
        dir: PathBuf::from("playground"),
        port_offset: 0,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--dir" => o.dir = PathBuf::from(it.next().ok_or(USAGE)?),
            "--port-offset" => {
                o.port_offset = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n: &u16| *n <= 50_000)
                    .ok_or("--port-offset takes a number up to 50000")?
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok(o)
}

/// One process the playground starts.
#[derive(Clone, Debug)]
pub struct Proc {
    pub name: String,
    pub args: Vec<String>,
}

/// A node of the layout.
#[derive(Clone, Debug)]
pub struct LayoutNode {
    pub alias: String,
    pub port: u16,
    pub mode: &'static str,
}

/// What the playground writes and starts.
#[derive(Clone, Debug)]
pub struct Layout {
    /// `(path under DIR, contents)`.
    pub files: Vec<(String, String)>,
    /// Directories to create under DIR.
    pub dirs: Vec<String>,
    pub controllers: Vec<Proc>,
    pub agents: Vec<Proc>,
    pub nodes: Vec<LayoutNode>,
}

impl Layout {
    fn of_mode(&self, mode: &str) -> Vec<&LayoutNode> {
        self.nodes.iter().filter(|n| n.mode == mode).collect()
    }
}

const HOST: &str = "127.0.0.1";

fn controller_proc(name: &str, cfg: &str, home: &str, log: &str) -> Proc {
    let args = format!(
        "-console 0 -mode controller -home {home}/data -script dolphindb.dos -config cfg/{cfg} \
         -logFile {home}/log/{log} -nodesFile cfg/cluster.nodes -clusterConfig cfg/cluster.cfg"
    );
    Proc {
        name: name.to_string(),
        args: args.split_whitespace().map(String::from).collect(),
    }
}

fn agent_proc(name: &str, cfg: &str, home: &str, log: &str) -> Proc {
    let args = format!(
        "-console 0 -mode agent -home {home}/data -script dolphindb.dos -config cfg/{cfg} \
         -logFile {home}/log/{log}"
    );
    Proc {
        name: name.to_string(),
        args: args.split_whitespace().map(String::from).collect(),
    }
}

/// The HA layout (seed `ddb_high_3cluster`, every IP replaced by 127.0.0.1).
pub fn ha_layout(offset: u16) -> Layout {
    let p = |port: u16| port + offset;
    let controllers: Vec<(String, u16)> = (1..=3)
        .map(|i| (format!("controller{i}"), p(8900 + i)))
        .collect();
    let agents: Vec<(String, u16)> = [8710, 8810, 8910]
        .iter()
        .enumerate()
        .map(|(i, port)| (format!("agent{}", i + 1), p(*port)))
        .collect();
    let data: Vec<(String, u16)> = [8711, 8811, 8911]
        .iter()
        .enumerate()
        .map(|(i, port)| (format!("P{}-node1", i + 1), p(*port)))
        .collect();
    let ctl_sites: Vec<String> = controllers
        .iter()
        .map(|(a, port)| format!("{HOST}:{port}:{a}:controller"))
        .collect();
    let mut files = Vec::new();
    for (alias, port) in &controllers {
        files.push((
            format!("cfg/{alias}.cfg"),
            format!(
                "mode=controller\nlocalSite={HOST}:{port}:{alias}\nlocalExecutors=8\n\
                 maxConnections=3000\nmaxMemSize=4\nworkerNum=7\ndfsReplicationFactor=2\n\
                 # one host runs every node here: replicas may share it (the seed's 1 needs three hosts)\n\
                 dfsReplicaReliabilityLevel=0\ndfsHAMode=Raft\nlanCluster=0\ndataSync=1\n\
                 maxPubConnections=220\n"
            ),
        ));
    }
    for (alias, port) in &agents {
        let (c1, c1port) = &controllers[0];
        files.push((
            format!("cfg/{alias}.cfg"),
            format!(
                "mode=agent\nlocalSite={HOST}:{port}:{alias}\ncontrollerSite={HOST}:{c1port}:{c1}\n\
                 workerNum=4\nlocalExecutors=3\nmaxMemSize=6\nlanCluster=0\n\
                 sites={HOST}:{port}:{alias}:agent,{}\n",
                ctl_sites.join(",")
            ),
        ));
    }
    let mut nodes_file = String::from("localSite,mode\n");
    for (a, port) in &controllers {
        nodes_file.push_str(&format!("{HOST}:{port}:{a},controller\n"));
    }
    for (a, port) in &agents {
        nodes_file.push_str(&format!("{HOST}:{port}:{a},agent\n"));
    }
    for (a, port) in &data {
        nodes_file.push_str(&format!("{HOST}:{port}:{a},datanode\n"));
    }
    files.push(("cfg/cluster.nodes".into(), nodes_file));
    files.push((
        "cfg/cluster.cfg".into(),
        "maxConnections=512\nmaxMemSize=8\nremoteExecutors=2\nworkerNum=8\nlocalExecutors=7\n\
         P1-%.publicName=127.0.0.1\nP2-%.publicName=127.0.0.1\nP3-%.publicName=127.0.0.1\n\
         lanCluster=0\nmaxPubConnections=64\nsubExecutors=2\ndataSync=1\n\
         chunkCacheEngineMemSize=8\nnewValuePartitionPolicy=add\n"
            .into(),
    ));
    let mut nodes: Vec<LayoutNode> = Vec::new();
    for (list, mode) in [
        (&controllers, "controller"),
        (&agents, "agent"),
        (&data, "datanode"),
    ] {
        nodes.extend(list.iter().map(|(a, port)| LayoutNode {
            alias: a.clone(),
            port: *port,
            mode,
        }));
    }
    Layout {
        files,
        dirs: [
            "cluster/controller/data",
            "cluster/controller/log",
            "cluster/agent/data",
            "cluster/agent/log",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        controllers: controllers
            .iter()
            .map(|(a, _)| {
                controller_proc(
                    a,
                    &format!("{a}.cfg"),
                    "cluster/controller",
                    &format!("{a}.log"),
                )
            })
            .collect(),
        agents: agents
            .iter()
            .map(|(a, _)| agent_proc(a, &format!("{a}.cfg"), "cluster/agent", &format!("{a}.log")))
            .collect(),
        nodes,
    }
}

/// The quick layout (seed `ddb_cluster_quick`).
pub fn quick_layout(offset: u16) -> Layout {
    let (c, a, d) = (8900 + offset, 8710 + offset, 8711 + offset);
    let files = vec![
        (
            "cfg/controller.cfg".to_string(),
            format!(
                "localSite={HOST}:{c}:master\nlocalExecutors=2\nmaxConnections=16\nmaxMemSize=5\n\
                 webWorkerNum=2\nworkerNum=2\ndfsReplicationFactor=1\ndfsReplicaReliabilityLevel=0\n\
                 #publicName=127.0.0.1\ndataSync=1\nchunkCacheEngineMemSize=8\nlanCluster=0\n\
                 perfMonitoring=1\n"
            ),
        ),
        (
            "cfg/agent1.cfg".to_string(),
            format!(
                "mode=agent\nlocalSite={HOST}:{a}:P1-agent,agent\ncontrollerSite={HOST}:{c}:master\n\
                 workerNum=2\nlocalExecutors=2\nmaxMemSize=5\ndataSync=1\nchunkCacheEngineMemSize=8\n\
                 lanCluster=0\n"
            ),
        ),
        (
            "cfg/cluster.nodes".to_string(),
            format!("localSite,mode\n{HOST}:{a}:P1-agent,agent\n{HOST}:{d}:P1-node1,datanode\n"),
        ),
        (
            "cfg/cluster.cfg".to_string(),
            "maxConnections=32\nmaxMemSize=5\nworkerNum=2\nlocalExecutors=2\nwebWorkerNum=2\n\
             #P1-%.publicName=127.0.0.1\n# P2-%.publicName=127.0.0.1\n# P3-%.publicName=127.0.0.1\n\
             dataSync=1\nchunkCacheEngineMemSize=8\nlanCluster=0\n"
                .to_string(),
        ),
    ];
    // The quick project's controller has no mode= line: `-mode controller` says it.
    Layout {
        files,
        dirs: [
            "cluster/controller/data",
            "cluster/controller/log",
            "cluster/server1/data",
            "cluster/server1/log",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        controllers: vec![controller_proc(
            "master",
            "controller.cfg",
            "cluster/controller",
            "controller.log",
        )],
        agents: vec![agent_proc(
            "P1-agent",
            "agent1.cfg",
            "cluster/server1",
            "agent.log",
        )],
        nodes: vec![
            LayoutNode {
                alias: "master".into(),
                port: c,
                mode: "controller",
            },
            LayoutNode {
                alias: "P1-agent".into(),
                port: a,
                mode: "agent",
            },
            LayoutNode {
                alias: "P1-node1".into(),
                port: d,
                mode: "datanode",
            },
        ],
    }
}

/// The `-script dolphindb.dos` every node of the playground runs at start.
const SYSTEM_SCRIPT: &str = "// The system script: every node of the playground runs it at start \
                             (-script dolphindb.dos).\n";

/// Writes the layout's directories and the cfg files that do not exist yet. A marker file
/// records which layout the directory holds, so another one is refused.
fn prepare(dir: &Path, layout: &Layout, marker: &str) -> Result<(), String> {
    let mk = |p: &Path| {
        std::fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))
    };
    mk(dir)?;
    let marker_path = dir.join("playground.txt");
    match std::fs::read_to_string(&marker_path) {
        Ok(m) if m.trim() != marker => {
            return Err(format!(
                "{} holds another playground ({}); use another --dir or delete it",
                dir.display(),
                m.trim()
            ))
        }
        Ok(_) => {}
        Err(_) => std::fs::write(&marker_path, format!("{marker}\n"))
            .map_err(|e| format!("cannot write {}: {e}", marker_path.display()))?,
    }
    for d in &layout.dirs {
        mk(&dir.join(d))?;
    }
    let script = dir.join("dolphindb.dos");
    if !script.exists() {
        std::fs::write(&script, SYSTEM_SCRIPT)
            .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    }
    for (path, text) in &layout.files {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            mk(parent)?;
        }
        if !p.exists() {
            std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        }
    }
    Ok(())
}

/// Runs the playground until Ctrl-C or SIGTERM.
pub fn main(args: &[String]) -> ExitCode {
    let opts = match parse_options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("porpoise playground: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(opts));
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

struct Running {
    name: String,
    child: Child,
    exited: bool,
}

fn spawn_all(exe: &Path, dir: &Path, procs: &[Proc], out: &mut Vec<Running>) -> Result<(), String> {
    for p in procs {
        let mut cmd = Command::new(exe);
        cmd.args(&p.args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        detach(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", p.name))?;
        out.push(Running {
            name: p.name.clone(),
            child,
            exited: false,
        });
    }
    Ok(())
}

/// Children get their own process group (a terminal's Ctrl-C reaches only the playground, which
/// stops them in order) and, on Linux, SIGTERM when the playground dies.
fn detach(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
}

fn signal(c: &Child, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(c.id()) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// SIGTERM to every process, then wait up to `grace`, then SIGKILL.
async fn stop_group(procs: &mut [Running], grace: Duration) {
    for p in procs.iter_mut().filter(|p| !p.exited) {
        signal(&p.child, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    loop {
        let mut left = 0;
        for p in procs.iter_mut().filter(|p| !p.exited) {
            match p.child.try_wait() {
                Ok(Some(_)) | Err(_) => p.exited = true,
                Ok(None) => left += 1,
            }
        }
        if left == 0 {
            return;
        }
        if Instant::now() >= deadline {
            for p in procs.iter_mut().filter(|p| !p.exited) {
                eprintln!("{} did not stop in time: killing it", p.name);
                let _ = p.child.kill();
                let _ = p.child.wait();
                p.exited = true;
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What `getClusterPerf(true)` says: alias -> (mode, up, isLeader).
#[derive(Debug, Default)]
struct Status {
    up: std::collections::HashMap<String, bool>,
    leader: Option<String>,
}

fn column<'a>(t: &'a value::Table, name: &str) -> Option<&'a Data> {
    t.column(name).map(|c| &c.data)
}

fn status_of(v: &Value) -> Option<Status> {
    let Value::Table(t) = v else { return None };
    let (Some(Data::Str(names)), Some(Data::I8(state)), Some(Data::I8(leader))) =
        (column(t, "name"), column(t, "state"), column(t, "isLeader"))
    else {
        return None;
    };
    let mut s = Status::default();
    for i in 0..names.len().min(state.len()).min(leader.len()) {
        s.up.insert(names[i].clone(), state[i] == 1);
        if leader[i] == 1 {
            s.leader = Some(names[i].clone());
        }
    }
    Some(s)
}

async fn cluster_status(rpc: &Rpc, layout: &Layout) -> Option<Status> {
    for c in layout.of_mode("controller") {
        let addr = format!("{HOST}:{}", c.port);
        let got = rpc
            .call(
                &addr,
                "getClusterPerf",
                vec![Value::bool(true)],
                CallOptions::idempotent(CALL_TIMEOUT),
            )
            .await;
        if let Ok(v) = got {
            if let Some(s) = status_of(&v) {
                return Some(s);
            }
        }
    }
    None
}

fn progress(layout: &Layout, s: &Option<Status>) -> String {
    let Some(s) = s else {
        return "waiting for the controllers...".to_string();
    };
    let count = |mode: &str| {
        let all = layout.of_mode(mode);
        let up = all
            .iter()
            .filter(|n| s.up.get(&n.alias) == Some(&true))
            .count();
        format!("{up}/{}", all.len())
    };
    format!(
        "controllers {} up (leader {}), agents {}, data nodes {}",
        count("controller"),
        s.leader.as_deref().unwrap_or("not elected yet"),
        count("agent"),
        count("datanode")
    )
}

fn all_up(layout: &Layout, s: &Option<Status>) -> bool {
    let Some(s) = s else { return false };
    s.leader.is_some()
        && layout
            .nodes
            .iter()
            .all(|n| s.up.get(&n.alias) == Some(&true))
}

/// Asks the leader to start the data nodes that are down, once every agent is up.
async fn start_data_nodes(rpc: &Rpc, layout: &Layout, s: &Status) -> Result<bool, String> {
    let agents_up = layout
        .of_mode("agent")
        .iter()
        .all(|a| s.up.get(&a.alias) == Some(&true));
    let down: Vec<String> = layout
        .of_mode("datanode")
        .iter()
        .filter(|n| s.up.get(&n.alias) != Some(&true))
        .map(|n| n.alias.clone())
        .collect();
    let Some(leader) = s.leader.as_ref() else {
        return Ok(false);
    };
    if !agents_up || down.is_empty() {
        return Ok(false);
    }
    let Some(l) = layout.nodes.iter().find(|n| &n.alias == leader) else {
        return Ok(false);
    };
    let arg = Value::vector(Vector::from_strings(down.clone()));
    rpc.call(
        &format!("{HOST}:{}", l.port),
        "startDataNode",
        vec![arg],
        CallOptions::once(CALL_TIMEOUT * 3),
    )
    .await
    .map_err(|e| e.to_string())?;
    println!(
        "starting data nodes {} (startDataNode on {leader})",
        down.join(", ")
    );
    Ok(true)
}

fn ready_line(layout: &Layout, s: &Option<Status>, dir: &Path) -> String {
    let leader = s
        .as_ref()
        .and_then(|s| s.leader.clone())
        .unwrap_or_default();
    let leader_port = layout
        .nodes
        .iter()
        .find(|n| n.alias == leader)
        .map(|n| n.port)
        .unwrap_or(0);
    let ctl_ports: Vec<String> = layout
        .of_mode("controller")
        .iter()
        .map(|n| n.port.to_string())
        .collect();
    let data: Vec<String> = layout
        .of_mode("datanode")
        .iter()
        .map(|n| format!("{} {HOST}:{}", n.alias, n.port))
        .collect();
    format!(
        "porpoise playground ready: web console http://{HOST}:{leader_port} (leader {leader}; \
         controllers on ports {}), data nodes {}, user admin password 123456; \
         config and logs under {}. Ctrl-C stops the cluster.",
        ctl_ports.join(", "),
        data.join(", "),
        dir.display()
    )
}

async fn run(opts: Options) -> ExitCode {
    let layout = if opts.quick {
        quick_layout(opts.port_offset)
    } else {
        ha_layout(opts.port_offset)
    };
    let marker = format!(
        "{} port-offset={}",
        if opts.quick { "quick" } else { "ha" },
        opts.port_offset
    );
    if let Err(e) = prepare(&opts.dir, &layout, &marker) {
        eprintln!("porpoise playground: {e}");
        return ExitCode::FAILURE;
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("porpoise playground: cannot find the porpoise binary: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dir = opts.dir.canonicalize().unwrap_or(opts.dir.clone());
    println!(
        "porpoise playground: starting {} controller(s), {} agent(s), {} data node(s) under {}",
        layout.controllers.len(),
        layout.agents.len(),
        layout.of_mode("datanode").len(),
        dir.display()
    );
    let mut controllers = Vec::new();
    let mut agents = Vec::new();
    let started = spawn_all(&exe, &dir, &layout.controllers, &mut controllers)
        .and_then(|()| spawn_all(&exe, &dir, &layout.agents, &mut agents));
    let code = match started {
        Err(e) => {
            eprintln!("porpoise playground: {e}");
            ExitCode::FAILURE
        }
        Ok(()) => supervise(&layout, &dir, &mut controllers, &mut agents).await,
    };
    println!("porpoise playground: stopping agents and their data nodes...");
    stop_group(&mut agents, STOP_GRACE).await;
    println!("porpoise playground: stopping controllers...");
    stop_group(&mut controllers, STOP_GRACE).await;
    println!("porpoise playground: stopped");
    code
}

/// Waits for the cluster, prints `ready`, then waits for a stop signal.
async fn supervise(
    layout: &Layout,
    dir: &Path,
    controllers: &mut [Running],
    agents: &mut [Running],
) -> ExitCode {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        _ => {
            eprintln!("porpoise playground: cannot handle signals");
            return ExitCode::FAILURE;
        }
    };
    let rpc: Arc<Rpc> = Rpc::new(Credential::from_config(None));
    let began = Instant::now();
    let mut ready = false;
    let mut last_progress = String::new();
    let mut last_start: Option<Instant> = None;
    loop {
        for p in controllers.iter_mut().chain(agents.iter_mut()) {
            if p.exited {
                continue;
            }
            if let Ok(Some(st)) = p.child.try_wait() {
                p.exited = true;
                eprintln!(
                    "porpoise playground: {} exited ({st}); see its log under {}",
                    p.name,
                    dir.join("cluster").display()
                );
                if !ready {
                    return ExitCode::FAILURE;
                }
            }
        }
        if !ready {
            let status = cluster_status(&rpc, layout).await;
            let line = progress(layout, &status);
            if line != last_progress {
                println!("porpoise playground: {line}");
                last_progress = line;
            }
            if all_up(layout, &status) {
                println!("{}", ready_line(layout, &status, dir));
                ready = true;
            } else if let Some(s) = &status {
                let due = last_start.is_none_or(|t| t.elapsed() >= START_RETRY);
                if due {
                    match start_data_nodes(&rpc, layout, s).await {
                        Ok(true) => last_start = Some(Instant::now()),
                        Ok(false) => {}
                        Err(e) => {
                            eprintln!("porpoise playground: startDataNode failed: {e}");
                            last_start = Some(Instant::now());
                        }
                    }
                }
            }
            if !ready && began.elapsed() > READY_TIMEOUT {
                eprintln!(
                    "porpoise playground: the cluster did not come up within {} s ({last_progress}); see the logs under {}",
                    READY_TIMEOUT.as_secs(),
                    dir.join("cluster").display()
                );
                return ExitCode::FAILURE;
            }
        }
        tokio::select! {
            _ = term.recv() => return ExitCode::SUCCESS,
            _ = int.recv() => return ExitCode::SUCCESS,
            _ = tokio::time::sleep(POLL_EVERY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let a = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = parse_options(&a("--quick --dir /tmp/x --port-offset 5")).unwrap();
        assert_eq!(
            o,
            Options {
                quick: true,
                dir: PathBuf::from("/tmp/x"),
                port_offset: 5
            }
        );
        assert_eq!(parse_options(&[]).unwrap().dir, PathBuf::from("playground"));
        assert!(parse_options(&a("--bogus")).is_err());
        assert!(parse_options(&a("--port-offset x")).is_err());
    }

    #[test]
    fn layouts_follow_the_seed() {
        let ha = ha_layout(0);
        let ports: Vec<u16> = ha.nodes.iter().map(|n| n.port).collect();
        assert_eq!(
            ports,
            [8901, 8902, 8903, 8710, 8810, 8910, 8711, 8811, 8911]
        );
        let line = ha.controllers[0].args.join(" ");
        assert_eq!(
            line,
            "-console 0 -mode controller -home cluster/controller/data -script dolphindb.dos \
             -config cfg/controller1.cfg -logFile cluster/controller/log/controller1.log \
             -nodesFile cfg/cluster.nodes -clusterConfig cfg/cluster.cfg"
        );
        let cfg = &ha
            .files
            .iter()
            .find(|(p, _)| p == "cfg/controller2.cfg")
            .unwrap()
            .1;
        assert!(cfg.contains("localSite=127.0.0.1:8902:controller2\n"));
        assert!(cfg.contains("dfsHAMode=Raft\n") && cfg.contains("dfsReplicationFactor=2\n"));
        let quick = quick_layout(100);
        assert_eq!(quick.nodes[0].port, 9000);
        let ctl = &quick.files[0].1;
        assert!(
            !ctl.contains("mode="),
            "the quick controller.cfg has no mode line"
        );
    }
}
