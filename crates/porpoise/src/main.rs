//! `porpoise`: a DolphinDB-compatible node. Launch lines are DolphinDB's, e.g.
//! `porpoise -mode single -home /tmp/ddb -localSite 127.0.0.1:8848:local8848 -console 0`.

mod logging;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let loaded = match server::config::load(&args) {
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
    if config.mode != server::Mode::Single {
        tracing::warn!(
            "mode {} runs as a single node in this build",
            config.mode.name()
        );
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
    let code = runtime.block_on(run(config));
    // Connections still open after the grace period are dropped, not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

fn prepare_home(config: &server::Config) -> Result<(), String> {
    std::fs::create_dir_all(&config.home).map_err(|e| {
        format!(
            "Failed to create the home directory {}: {e}",
            config.home.display()
        )
    })
}

async fn run(config: server::Config) -> ExitCode {
    let site = config.local_site.clone();
    tracing::info!("starting porpoise {} as {site}", env!("CARGO_PKG_VERSION"));
    let dfs = match open_dfs(&config) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("failed to open the DFS: {e}");
            eprintln!("porpoise: failed to open the DFS: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match server::Server::start(config, server::script_engine()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("failed to listen on port {}: {e}", site.port);
            eprintln!("porpoise: failed to listen on port {}: {e}", site.port);
            return ExitCode::FAILURE;
        }
    };
    let _ = server.node().dfs.set(dfs.clone());
    wait_for_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    if let Err(e) = dfs.flush() {
        tracing::warn!("flushing the DFS cache engine failed: {e}");
    }
    ExitCode::SUCCESS
}

/// The node's DFS under `<home>/<alias>` (catalog and chunk store); the store replays its redo
/// log on open, which is timed in the log.
fn open_dfs(config: &server::Config) -> Result<std::sync::Arc<cluster::dfs::LocalDfs>, String> {
    use cluster::dfs::{DfsConfig, LocalDfs, NewValuePolicy};
    let dir = config.home.join(&config.local_site.alias);
    let mut cfg = DfsConfig::default();
    if let Some(p) = config.value("newValuePartitionPolicy") {
        cfg.new_value_policy = NewValuePolicy::parse(&p)
            .ok_or_else(|| format!("invalid newValuePartitionPolicy {p}"))?;
    }
    let mut store = storage::StoreConfig::default();
    if let Some(s) = config.value("dataSync") {
        store.data_sync = s.trim() != "0";
    }
    let started = std::time::Instant::now();
    let dfs = LocalDfs::open_dir(&dir, cfg, store).map_err(|e| e.to_string())?;
    tracing::info!(
        "DFS opened at {} (redo replay and reconcile took {} ms)",
        dir.display(),
        started.elapsed().as_millis()
    );
    Ok(std::sync::Arc::new(dfs))
}

async fn wait_for_signal() {
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
