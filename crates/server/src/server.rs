//! The listener: one TCP port per node. The first bytes of a connection decide its protocol:
//! `API `/`API2` is the binary API, an HTTP method is HTTP; anything else gets an error line.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::Config;
use crate::engine::EngineFactory;
use crate::node::Node;

/// Longest wait for a new connection's first bytes.
pub const SNIFF_TIMEOUT: Duration = Duration::from_secs(30);
/// Bytes enough to tell the protocols apart (`OPTIONS ` is the longest method we know).
const SNIFF_BYTES: usize = 8;
/// How long shutdown waits, in all, for running jobs and open requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

const HTTP_METHODS: [&str; 7] = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"];

#[derive(Debug, PartialEq, Eq)]
enum Protocol {
    Api,
    Http,
    Unknown,
    /// Need more bytes to tell.
    Undecided,
}

fn sniff(b: &[u8]) -> Protocol {
    if b.starts_with(b"API ") || b.starts_with(b"API2 ") {
        return Protocol::Api;
    }
    let word_end = b.iter().position(|&c| c == b' ');
    if let Some(end) = word_end {
        let word = &b[..end];
        if HTTP_METHODS.iter().any(|m| m.as_bytes() == word) {
            return Protocol::Http;
        }
        return Protocol::Unknown;
    }
    let could_be = |p: &[u8]| p.starts_with(b) || b.starts_with(p);
    let candidates = HTTP_METHODS
        .iter()
        .map(|m| m.as_bytes())
        .chain([&b"API"[..], b"API2"]);
    if b.len() < SNIFF_BYTES && candidates.into_iter().any(could_be) {
        Protocol::Undecided
    } else {
        Protocol::Unknown
    }
}

/// A running node. Call `shutdown` to stop it cleanly; dropping it closes the listener and
/// every idle connection at once.
pub struct Server {
    node: Arc<Node>,
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Binds `0.0.0.0:<localSite port>` (port 0 picks a free one) and starts serving.
    pub async fn start(mut config: Config, engine: EngineFactory) -> std::io::Result<Server> {
        let port = config.local_site.port;
        let listener = TcpListener::bind(("0.0.0.0", port)).await?;
        let local_addr = listener.local_addr()?;
        // The node advertises the port it really has (stream topics carry it).
        config.local_site.port = local_addr.port();
        let node = Node::new(config, engine)?;
        run_startup_scripts(&node).await;
        let (stop, stop_rx) = watch::channel(false);
        let accept_task = tokio::spawn(accept_loop(node.clone(), listener, stop_rx));
        tracing::info!(node = node.alias(), %local_addr, "listening");
        Ok(Server {
            node,
            local_addr,
            stop,
            accept_task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// Stops accepting, closes idle connections, lets running jobs finish (up to
    /// `SHUTDOWN_GRACE`), then stops the workers.
    pub async fn shutdown(self) {
        let deadline = std::time::Instant::now() + SHUTDOWN_GRACE;
        let _ = self.stop.send(true);
        let _ = self.accept_task.await;
        let node = self.node.clone();
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let finished = tokio::task::spawn_blocking(move || node.pool.shutdown(left))
            .await
            .unwrap_or(false);
        if !finished {
            tracing::warn!("jobs still running at shutdown were abandoned");
        }
        tracing::info!(node = self.node.alias(), "stopped");
    }
}

/// The `init` script (`-script`, default `dolphindb.dos` when present) and then the `startup`
/// script, each relative to the working directory, as DolphinDB runs them before serving.
/// A failing script is logged, not fatal.
async fn run_startup_scripts(node: &Arc<Node>) {
    let init = node
        .config
        .value("init")
        .or_else(|| node.config.value("script"))
        .or_else(|| Some("dolphindb.dos".to_string()).filter(|p| Path::new(p).is_file()));
    let startup = node.config.value("startup");
    for path in [init, startup].into_iter().flatten() {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("Failed to read the script file [{path}]: {e}");
                continue;
            }
        };
        tracing::info!("Executing the system script: {path}");
        let n = node.clone();
        let done = tokio::task::spawn_blocking(move || n.run_system_script(&text)).await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("The script [{path}] failed: {e}"),
            Err(_) => tracing::warn!("The script [{path}] stopped unexpectedly"),
        }
    }
}

async fn accept_loop(node: Arc<Node>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let open = node.metrics.connections_open.load(Ordering::Relaxed);
                    if open >= node.config.max_connections as i64 {
                        tracing::warn!(%remote, "refused: maxConnections reached");
                        drop(stream);
                        continue;
                    }
                    node.metrics.connections_total.fetch_add(1, Ordering::Relaxed);
                    node.metrics.connections_open.fetch_add(1, Ordering::Relaxed);
                    let node = node.clone();
                    let stop = stop.clone();
                    conns.spawn(async move {
                        connection(node.clone(), stream, remote, stop).await;
                        node.metrics.connections_open.fetch_sub(1, Ordering::Relaxed);
                    });
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    // Connections see the stop signal between requests; give busy ones the grace period.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

async fn connection(
    node: Arc<Node>,
    mut stream: TcpStream,
    remote: SocketAddr,
    stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let mut prefix = Vec::with_capacity(SNIFF_BYTES);
    let protocol = loop {
        match sniff(&prefix) {
            Protocol::Undecided => {}
            p => break p,
        }
        let mut chunk = [0u8; SNIFF_BYTES];
        let room = SNIFF_BYTES - prefix.len();
        let read = tokio::time::timeout(SNIFF_TIMEOUT, stream.read(&mut chunk[..room])).await;
        match read {
            Ok(Ok(n)) if n > 0 => prefix.extend_from_slice(&chunk[..n]),
            _ => return, // closed, failed or silent: nothing to answer
        }
    };
    match protocol {
        Protocol::Api => crate::api::serve(node, stream, prefix, remote, stop).await,
        Protocol::Http => crate::http::serve(node, stream, prefix, remote, stop).await,
        _ => {
            node.metrics
                .bad_requests_total
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%remote, "closing connection: unrecognized protocol");
            let _ = stream
                .write_all(b"0 0 1\nUnrecognized request: expected API, API2 or HTTP\n")
                .await;
            let _ = stream.shutdown().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bytes_pick_the_protocol() {
        assert_eq!(sniff(b"API 0 8"), Protocol::Api);
        assert_eq!(sniff(b"API2 1 2"), Protocol::Api);
        assert_eq!(sniff(b"GET / HT"), Protocol::Http);
        assert_eq!(sniff(b"POST /a"), Protocol::Http);
        assert_eq!(sniff(b""), Protocol::Undecided);
        assert_eq!(sniff(b"AP"), Protocol::Undecided);
        assert_eq!(sniff(b"API2"), Protocol::Undecided);
        assert_eq!(sniff(b"GE"), Protocol::Undecided);
        assert_eq!(sniff(b"\x16\x03\x01"), Protocol::Unknown);
        assert_eq!(sniff(b"HELLO wo"), Protocol::Unknown);
        assert_eq!(sniff(b"APIXXXXX"), Protocol::Unknown);
    }
}
