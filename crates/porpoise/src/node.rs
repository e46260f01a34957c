//! A node process: read the settings (`launch`), start the listener, then run what the mode
//! needs beside it:
//! - `single`: the node's DFS;
//! - `controller`: the controllers' Raft group (crates/cluster `controller`), membership and the
//!   cluster functions (`membership::service`), heartbeats to the leader;
//! - `agent`: the supervisor of the host's data and compute nodes (`cluster::agent`);
//! - `datanode` / `computenode`: heartbeats to the leader (a data node also opens its DFS).
//!
//! The server runs `-script dolphindb.dos` (or `init=`) before serving. SIGTERM or SIGINT stops the node cleanly: a data node stops heartbeating first, an
//! agent stops its nodes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use cluster::agent::{Agent, AgentConfig};
use cluster::config::{
    parse_nodes, parse_sites, ClusterCfg, NodeEntry, NodeMode, CLUSTER_FILE_BYTES_MAX,
};
use cluster::controller::{Controller, ControllerConfig};
use cluster::membership::perf::{NodeLoad, Sampler};
use cluster::membership::sender::Sender;
use cluster::membership::service::{ClusterService, ServiceSettings};
use cluster::membership::{now_ms, state_entry, Heartbeat, CLUSTER_PERF};
use cluster::raft::ControllerSite;
use cluster::rpc::{CallOptions, Credential, Rpc};
use server::{Config, Mode};
use value::Value;

use crate::{launch, logging};

/// `key=value` pairs in file order.
type KeyValues = Vec<(String, String)>;

/// DolphinDB's licence file, beside the server binary.
const LICENCE_FILE: &str = "dolphindb.lic";

/// Bound on one `rpc(alias, func, ...)` call to another node.
const RPC_CALL_TIMEOUT: Duration = Duration::from_secs(3600);

/// Where a node of the cluster listens (`host:port`), by alias.
type Directory = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Bound on waiting for the leader's `getClusterPerf` from a data node.
const PERF_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs a node with DolphinDB's flags; returns when it has stopped.
pub fn run(args: &[String]) -> ExitCode {
    let loaded = match launch::load(args) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("porpoise: {e}");
            return ExitCode::from(2);
        }
    };
    let config = loaded.config;
    if let Err(e) = prepare_home(&config) {
        eprintln!("porpoise: {e}");
        return ExitCode::from(2);
    }
    if let Err(e) = logging::init(&config) {
        eprintln!("porpoise: {e}");
        return ExitCode::from(2);
    }
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("io")
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("failed to start the I/O runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run_mode(config));
    // Connections still open after the grace period are dropped, not waited for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

fn prepare_home(config: &Config) -> Result<(), String> {
    std::fs::create_dir_all(&config.home).map_err(|e| {
        format!(
            "Failed to create the home directory {}: {e}",
            config.home.display()
        )
    })
}

/// Logs and prints a start-up failure.
fn fail(msg: String) -> ExitCode {
    tracing::error!("{msg}");
    eprintln!("porpoise: {msg}");
    ExitCode::FAILURE
}

async fn run_mode(config: Config) -> ExitCode {
    let site = config.local_site.clone();
    tracing::info!(
        "starting porpoise {} as {site} (mode {})",
        env!("CARGO_PKG_VERSION"),
        config.mode.name()
    );
    // DolphinDB reads its licence from `dolphindb.lic` in the working directory (its compose
    // projects mount one there); porpoise needs none, so the file is only acknowledged.
    if Path::new(LICENCE_FILE).exists() {
        tracing::info!("{LICENCE_FILE} found: porpoise needs no licence, the file is ignored");
    }
    match config.mode {
        Mode::Single => run_single(config).await,
        Mode::Controller => run_controller(config).await,
        Mode::Agent => run_agent(config).await,
        Mode::DataNode | Mode::ComputeNode => run_worker(config).await,
    }
}

async fn listen(config: Config) -> Result<server::Server, ExitCode> {
    let port = config.local_site.port;
    server::Server::start(config, server::script_engine())
        .await
        .map_err(|e| {
            fail(format!(
                "Failed to bind the socket on port {port}: {e}. Shutting down the server."
            ))
        })
}

/// The cluster credential's registry and pool for a cluster node.
fn cluster_rpc(config: &Config) -> Arc<Rpc> {
    let secret = config.value(cluster::rpc::SECRET_KEY);
    Rpc::new(Credential::from_config(secret.as_deref()))
}

async fn run_single(config: Config) -> ExitCode {
    let dfs = match open_dfs(&config) {
        Ok(d) => d,
        Err(e) => return fail(format!("failed to open the DFS: {e}")),
    };
    let server = match listen(config).await {
        Ok(s) => s,
        Err(c) => return c,
    };
    let _ = server.node().dfs.set(dfs.clone());
    if let Err(e) = use_local_users(server.node()) {
        server.shutdown().await;
        return fail(e);
    }
    wait_for_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    if let Err(e) = dfs.flush() {
        tracing::warn!("flushing the DFS cache engine failed: {e}");
    }
    ExitCode::SUCCESS
}

/// A standalone node keeps its users and privileges in `<home>/<alias>/sysmgmt/acl.json`.
fn use_local_users(node: &server::Node) -> Result<(), String> {
    let file = node
        .config
        .home
        .join(node.alias())
        .join("sysmgmt")
        .join("acl.json");
    let store = script::acl::LocalAcl::open(file)?;
    node.users.set_store(Arc::new(store));
    Ok(())
}

/// A cluster node's users and privileges are the controllers' replicated ones (`cluster::acl`).
fn use_cluster_users(node: &server::Node, rpc: &Arc<Rpc>, controllers: Vec<ControllerSite>) {
    node.users
        .set_store(cluster::acl::ClusterAcl::new(rpc.clone(), controllers));
}

/// Reads a cluster file that must parse when it exists; None when it does not exist.
fn read_cluster_file(path: &Path) -> Result<Option<String>, String> {
    if !path.is_file() {
        return Ok(None);
    }
    let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > CLUSTER_FILE_BYTES_MAX);
    if too_big {
        return Err(format!(
            "The file [{}] is larger than {CLUSTER_FILE_BYTES_MAX} bytes",
            path.display()
        ));
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|e| format!("Failed to read [{}]: {e}", path.display()))
}

/// cluster.nodes and cluster.cfg as a controller reads them at start (used on the cluster's
/// first start only; later the Raft state has them).
fn controller_files(config: &Config) -> Result<(Vec<NodeEntry>, KeyValues), String> {
    let nodes_path = PathBuf::from(
        config
            .value("nodesFile")
            .unwrap_or_else(|| "cluster.nodes".into()),
    );
    let nodes = match read_cluster_file(&nodes_path)? {
        Some(text) => {
            let (nodes, warnings) = parse_nodes(&text, &nodes_path.display().to_string())?;
            for w in warnings {
                tracing::warn!("{w}");
            }
            nodes
        }
        None => {
            tracing::warn!(
                "the nodes file [{}] does not exist: the cluster has only its controllers until one is configured",
                nodes_path.display()
            );
            Vec::new()
        }
    };
    let cfg_path = PathBuf::from(
        config
            .value("clusterConfig")
            .unwrap_or_else(|| "cluster.cfg".into()),
    );
    let pairs = if cfg_path.is_file() {
        let mut warnings = Vec::new();
        let pairs = server::config::read_file(&cfg_path, &mut warnings)?;
        for w in warnings {
            tracing::warn!("{w}");
        }
        // Refuse what DolphinDB refuses (<ALIAS> under an alias qualifier) before seeding.
        ClusterCfg::from_pairs(&pairs).map_err(|e| {
            format!(
                "Failed to load the cluster config file [{}]: {e}",
                cfg_path.display()
            )
        })?;
        pairs
    } else {
        Vec::new()
    };
    Ok((nodes, pairs))
}

fn node_load(node: &Arc<server::Node>) -> Arc<dyn Fn() -> NodeLoad + Send + Sync> {
    let weak = Arc::downgrade(node);
    Arc::new(move || {
        let Some(node) = weak.upgrade() else {
            return NodeLoad::default();
        };
        let c = &node.config;
        let (queued, running) = node.pool.load();
        NodeLoad {
            max_connections: c.max_connections.min(i32::MAX as usize) as i32,
            max_mem_size_gb: c.max_mem_size_gb,
            worker_num: c.worker_num.min(i32::MAX as usize) as i32,
            executor_num: c.local_executors.min(i32::MAX as usize) as i32,
            connections: node
                .metrics
                .connections_open
                .load(std::sync::atomic::Ordering::Relaxed)
                .clamp(0, i32::MAX as i64) as i32,
            running_jobs: running.min(i32::MAX as usize) as i32,
            queued_jobs: queued.min(i32::MAX as usize) as i32,
            public_name: c.value("publicName").unwrap_or_default(),
        }
    })
}

/// Heartbeats of this node to the leader among `controllers`.
fn heartbeats(
    node: &Arc<server::Node>,
    rpc: &Arc<Rpc>,
    mode: NodeMode,
    controllers: Vec<ControllerSite>,
) -> Sender {
    let site = node.config.local_site.to_string();
    let load = node_load(node);
    let sampler = Sampler::new(node.config.home.clone());
    let started_ms = now_ms();
    let make = Arc::new(move || Heartbeat {
        site: site.clone(),
        mode: mode.name().to_string(),
        started_ms,
        perf: sampler.sample(&load()),
        children: Vec::new(),
    });
    Sender::spawn(rpc.clone(), controllers, make, Arc::new(|_| {}))
}

async fn run_controller(config: Config) -> ExitCode {
    let (nodes, cluster_cfg) = match controller_files(&config) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let settings = {
        let get = |k: &str| config.value(k);
        match ServiceSettings::from_keys(&get) {
            Ok(s) => s,
            Err(e) => return fail(e.0),
        }
    };
    let rpc = cluster_rpc(&config);
    let home = config.home.clone();
    let server = match listen(config).await {
        Ok(s) => s,
        Err(c) => return c,
    };
    let node = server.node().clone();
    let _ = node.rpc.set(rpc.clone());
    server::web::serve_remote_runs(&node);
    let site = &node.config.local_site;
    let local = ControllerSite::new(&site.host, site.port, &site.alias);
    let ccfg = {
        let get = |k: &str| node.config.value(k);
        let rows = nodes.iter().map(state_entry).collect();
        match ControllerConfig::from_keys(local, &home, &get, rows, cluster_cfg) {
            Ok(c) => c,
            Err(e) => return fail(e.0),
        }
    };
    let controller = match Controller::start(ccfg, rpc.clone()).await {
        Ok(c) => c,
        Err(e) => return fail(e.0),
    };
    use_cluster_users(&node, &rpc, controller.members());
    let service = ClusterService::start(controller.clone(), rpc.clone(), settings);
    {
        // The replicated DFS's calls (catalog for nodes, placement, chunk status).
        let cfg = node.config.clone();
        let own = Arc::new(move |k: &str| cfg.value(k));
        cluster::replica::leader::serve(&service, &rpc, own);
    }
    let directory: Directory = {
        let (svc, ctl) = (Arc::downgrade(&service), Arc::downgrade(&controller));
        Arc::new(move |alias: &str| {
            let from_members = ctl.upgrade().and_then(|c| {
                c.members()
                    .into_iter()
                    .find(|m| m.alias == alias)
                    .map(|m| m.addr())
            });
            from_members.or_else(|| {
                let nodes = svc.upgrade()?.nodes();
                nodes
                    .into_iter()
                    .find(|n| n.site.alias == alias)
                    .map(|n| n.site.addr())
            })
        })
    };
    register_rpc(&node, &rpc, directory);
    let sender = heartbeats(&node, &rpc, NodeMode::Controller, controller.members());
    wait_for_signal().await;
    tracing::info!("shutting down");
    sender.stop().await;
    service.shutdown();
    controller.shutdown().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// The controllers an agent or a node reports to: `sites` (its controller entries), else
/// `controllerSite`, else the controllers of `-nodesFile`.
fn controllers_of(config: &Config) -> Result<Vec<ControllerSite>, String> {
    let mut out = Vec::new();
    if let Some(sites) = config.value("sites") {
        for (site, mode) in parse_sites(&sites)? {
            if mode == NodeMode::Controller {
                out.push(ControllerSite::new(&site.host, site.port, &site.alias));
            }
        }
    }
    if out.is_empty() {
        if let Some(c) = config.value("controllerSite") {
            let s = cluster::config::Site::parse(&c).ok_or_else(|| {
                format!("Invalid value [{c}] for configuration parameter controllerSite")
            })?;
            out.push(ControllerSite::new(&s.host, s.port, &s.alias));
        }
    }
    if out.is_empty() {
        if let Some(path) = config.value("nodesFile") {
            if let Ok(Some(text)) = read_cluster_file(Path::new(&path)) {
                if let Ok((nodes, _)) = parse_nodes(&text, &path) {
                    out.extend(
                        nodes
                            .iter()
                            .filter(|n| n.mode == NodeMode::Controller)
                            .map(|n| ControllerSite::new(&n.site.host, n.site.port, &n.site.alias)),
                    );
                }
            }
        }
    }
    Ok(out)
}

async fn run_agent(config: Config) -> ExitCode {
    let controllers = match controllers_of(&config) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => {
            return fail("An agent needs controllerSite (or sites) to find its controller".into())
        }
        Err(e) => return fail(e),
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            return fail(format!(
                "Cannot find the porpoise binary to start nodes with: {e}"
            ))
        }
    };
    let log_dir = config
        .log_file
        .as_ref()
        .and_then(|f| f.parent().map(Path::to_path_buf))
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| config.home.clone());
    let rpc = cluster_rpc(&config);
    let script_arg = config.value("script").or_else(|| config.value("init"));
    let server = match listen(config).await {
        Ok(s) => s,
        Err(c) => return c,
    };
    let node = server.node().clone();
    let _ = node.rpc.set(rpc.clone());
    use_cluster_users(&node, &rpc, controllers.clone());
    server::web::serve_remote_runs(&node);
    let site = &node.config.local_site;
    let acfg = AgentConfig {
        site: cluster::config::Site {
            host: site.host.clone(),
            port: site.port,
            alias: site.alias.clone(),
        },
        home: node.config.home.clone(),
        log_dir,
        exe,
        controllers,
        script: script_arg,
    };
    let agent = Agent::start(acfg, rpc.clone(), node_load(&node));
    let directory: Directory = {
        let a = Arc::downgrade(&agent);
        Arc::new(move |alias: &str| {
            let agent = a.upgrade()?;
            let view = agent.leader_view();
            controller_addr(&view.controllers, alias)
                .or_else(|| node_addr_in_file(&agent.nodes_file(), alias))
        })
    };
    register_rpc(&node, &rpc, directory);
    wait_for_signal().await;
    tracing::info!("shutting down");
    agent.shutdown().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}

async fn run_worker(config: Config) -> ExitCode {
    let mode = match config.mode {
        Mode::ComputeNode => NodeMode::ComputeNode,
        _ => NodeMode::DataNode,
    };
    let controllers = match controllers_of(&config) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if controllers.is_empty() {
        tracing::warn!(
            "no controller configured (sites, controllerSite or nodesFile): this node runs alone"
        );
    }
    let rpc = cluster_rpc(&config);
    // The cluster's DFS: catalog on the controllers, this node's replicas (a data node).
    let dfs = {
        let (cfg, store_cfg) = match dfs_settings(&config) {
            Ok(x) => x,
            Err(e) => return fail(format!("failed to open the DFS: {e}")),
        };
        let alias = config.local_site.alias.clone();
        let dir = config.home.join(&alias).join("storage");
        let store_dir = (mode == NodeMode::DataNode).then_some(dir.as_path());
        let started = std::time::Instant::now();
        match cluster::replica::open_node(
            store_dir,
            cfg,
            store_cfg,
            rpc.clone(),
            controllers.clone(),
            alias,
        ) {
            Ok(d) => {
                tracing::info!(
                    "DFS opened (redo replay took {} ms)",
                    started.elapsed().as_millis()
                );
                d
            }
            Err(e) => return fail(format!("failed to open the DFS: {e}")),
        }
    };
    let server = match listen(config).await {
        Ok(s) => s,
        Err(c) => return c,
    };
    let node = server.node().clone();
    let _ = node.rpc.set(rpc.clone());
    server::web::serve_remote_runs(&node);
    let _ = node.dfs.set(dfs.dfs.clone());
    if !controllers.is_empty() {
        use_cluster_users(&node, &rpc, controllers.clone());
    }
    let sender = Arc::new(heartbeats(&node, &rpc, mode, controllers));
    register_worker_functions(&rpc, &sender);
    let directory: Directory = {
        let s = Arc::downgrade(&sender);
        let nodes_file = node.config.value("nodesFile").map(PathBuf::from);
        Arc::new(move |alias: &str| {
            let view = s.upgrade()?.view();
            controller_addr(&view.controllers, alias)
                .or_else(|| node_addr_in_file(nodes_file.as_deref()?, alias))
        })
    };
    register_rpc(&node, &rpc, directory);
    wait_for_signal().await;
    tracing::info!("shutting down: heartbeats stop first");
    sender.stop().await;
    server.shutdown().await;
    dfs.shutdown().await;
    if let Err(e) = dfs.dfs.flush() {
        tracing::warn!("flushing the DFS cache engine failed: {e}");
    }
    ExitCode::SUCCESS
}

fn controller_addr(controllers: &[ControllerSite], alias: &str) -> Option<String> {
    controllers
        .iter()
        .find(|c| c.alias == alias)
        .map(ControllerSite::addr)
}

/// The address of `alias` in a cluster.nodes file.
fn node_addr_in_file(path: &Path, alias: &str) -> Option<String> {
    let text = read_cluster_file(path).ok()??;
    let (nodes, _) = parse_nodes(&text, &path.display().to_string()).ok()?;
    nodes
        .into_iter()
        .find(|n| n.site.alias == alias)
        .map(|n| n.site.addr())
}

/// `rpc(alias, func, args...)` toward another node: the script built-in forwards here with the
/// caller's user, the function (a script defining it and the expression naming it) and its
/// arguments; the other node runs it as that user (`CALL_AS`). Registers that call too.
fn register_rpc(node: &Arc<server::Node>, rpc: &Arc<Rpc>, directory: Directory) {
    let handle = tokio::runtime::Handle::current();
    let r = Arc::downgrade(rpc);
    rpc.register_function("rpc", move |args| {
        let rpc = r.upgrade().ok_or("The node is shutting down")?;
        // One alias, or several (pnodeRun): those are called at once, results in order.
        let (aliases, one) = match args.first() {
            Some(Value::Vector(v)) => (
                (0..v.len())
                    .map(|i| v.str_at(i).unwrap_or("").to_string())
                    .collect::<Vec<_>>(),
                false,
            ),
            Some(v) => match v.as_str() {
                Some(a) => (vec![a.to_string()], true),
                None => return Err("rpc expects a node alias and a function".into()),
            },
            None => return Err("rpc expects a node alias and a function".into()),
        };
        let mut calls = Vec::with_capacity(aliases.len());
        for alias in &aliases {
            let addr = directory(alias)
                .ok_or_else(|| format!("The node [{alias}] is not a member of the cluster"))?;
            let (rpc, alias, call_args) = (rpc.clone(), alias.clone(), args[1..].to_vec());
            calls.push(async move {
                rpc.call(
                    &addr,
                    CALL_AS,
                    call_args,
                    CallOptions::once(RPC_CALL_TIMEOUT),
                )
                .await
                .map_err(|e| match e {
                    cluster::rpc::RpcError::Remote(m) => m,
                    e => format!("rpc to {alias} failed: {e}"),
                })
            });
        }
        let all = async move {
            let tasks: Vec<_> = calls.into_iter().map(tokio::spawn).collect();
            let mut out = Vec::with_capacity(tasks.len());
            for t in tasks {
                out.push(t.await.map_err(|e| format!("rpc failed: {e}"))??);
            }
            Ok::<Vec<Value>, String>(out)
        };
        let mut results = cluster::rpc::block_on(&handle, all)??;
        if one {
            return Ok(results.pop().unwrap_or_else(Value::void));
        }
        Ok(Value::vector(value::Vector::from_values(results)))
    });
    let n = Arc::downgrade(node);
    rpc.register_blocking(CALL_AS, move |args| {
        let node = n.upgrade().ok_or("The node is shutting down")?;
        let text = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or("");
        let (user, setup, func) = (text(0), text(1), text(2));
        if user.is_empty() || func.is_empty() {
            return Err("An rpc call needs a user and a function".into());
        }
        node.call_as(user, setup, func, args[3.min(args.len())..].to_vec())
    });
}

/// The internal call that runs a function for a user of another node: `(user, setup script,
/// function expression, args...)`.
const CALL_AS: &str = "__cluster_call_as";

/// Cluster functions a data or compute node answers by asking the leader.
fn register_worker_functions(rpc: &Arc<Rpc>, sender: &Arc<Sender>) {
    let handle = tokio::runtime::Handle::current();
    let (r, s) = (Arc::downgrade(rpc), Arc::downgrade(sender));
    rpc.register_function("getClusterPerf", move |args| {
        let (Some(rpc), Some(sender)) = (r.upgrade(), s.upgrade()) else {
            return Err("The node is shutting down".into());
        };
        let leader = sender
            .leader()
            .ok_or("<UnknownLeader>leader is temporarily unavailable")?;
        let include = args.first().and_then(Value::as_bool).unwrap_or(false);
        let addr = leader.addr();
        let call = rpc.call(
            &addr,
            CLUSTER_PERF,
            vec![Value::bool(include)],
            CallOptions::idempotent(PERF_CALL_TIMEOUT),
        );
        cluster::rpc::block_on(&handle, call)?.map_err(|e| e.to_string())
    });
    // getDataNodes/getComputeNodes: the leader's answer (pnodeRun's default nodes).
    for name in ["getDataNodes", "getComputeNodes"] {
        let handle = tokio::runtime::Handle::current();
        let (r, s) = (Arc::downgrade(rpc), Arc::downgrade(sender));
        rpc.register_function(name, move |_| {
            let (Some(rpc), Some(sender)) = (r.upgrade(), s.upgrade()) else {
                return Err("The node is shutting down".into());
            };
            let leader = sender
                .leader()
                .ok_or("<UnknownLeader>leader is temporarily unavailable")?;
            let addr = leader.addr();
            let call = rpc.call(
                &addr,
                name,
                vec![],
                CallOptions::idempotent(PERF_CALL_TIMEOUT),
            );
            cluster::rpc::block_on(&handle, call)?.map_err(|e| e.to_string())
        });
    }
    let s = Arc::downgrade(sender);
    rpc.register_function("getControllerAlias", move |_| {
        let sender = s.upgrade().ok_or("The node is shutting down")?;
        let view = sender.view();
        let alias = view
            .leader
            .or_else(|| view.controllers.first().cloned())
            .map(|c| c.alias)
            .unwrap_or_default();
        Ok(Value::string(alias))
    });
}

/// The DFS settings of a node's config.
fn dfs_settings(
    config: &Config,
) -> Result<(cluster::dfs::DfsConfig, storage::StoreConfig), String> {
    use cluster::dfs::{DfsConfig, NewValuePolicy};
    let mut cfg = DfsConfig::default();
    if let Some(p) = config.value("newValuePartitionPolicy") {
        cfg.new_value_policy = NewValuePolicy::parse(&p)
            .ok_or_else(|| format!("invalid newValuePartitionPolicy {p}"))?;
    }
    let mut store = storage::StoreConfig::default();
    if let Some(s) = config.value("dataSync") {
        store.data_sync = s.trim() != "0";
    }
    Ok((cfg, store))
}

/// The node's DFS under `<home>/<alias>` (catalog and chunk store); the store replays its redo
/// log on open, which is timed in the log.
fn open_dfs(config: &Config) -> Result<std::sync::Arc<cluster::dfs::LocalDfs>, String> {
    use cluster::dfs::LocalDfs;
    let dir = config.home.join(&config.local_site.alias);
    let (cfg, store) = dfs_settings(config)?;
    let started = std::time::Instant::now();
    let dfs = LocalDfs::open_dir(&dir, cfg, store).map_err(|e| e.to_string())?;
    tracing::info!(
        "DFS opened at {} (redo replay and reconcile took {} ms)",
        dir.display(),
        started.elapsed().as_millis()
    );
    Ok(std::sync::Arc::new(dfs))
}

pub async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        _ => {
            // Without signal handlers, Ctrl-C still ends the process the default way.
            std::future::pending::<()>().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
