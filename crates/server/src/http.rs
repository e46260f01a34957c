//! HTTP on the node's one port: the web console at `/` (pages and the JSON API under `/api/`,
//! `web`), a plain status page at `/status`, Prometheus text at `/metrics`, and the WebSocket
//! upgrade that carries the binary API (`websocket.rs`).
//! The connection arrives already accepted, with the sniffed bytes to be replayed first.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::node::Node;
use crate::websocket;

/// Longest wait for a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Most bytes of request headers hyper will buffer.
pub const HEADER_BYTES_MAX: usize = 64 << 10;

/// A stream that first yields `prefix`, then reads from `inner`.
pub struct Replay {
    prefix: Vec<u8>,
    pos: usize,
    inner: TcpStream,
}

impl Replay {
    pub fn new(prefix: Vec<u8>, inner: TcpStream) -> Replay {
        Replay {
            prefix,
            pos: 0,
            inner,
        }
    }
}

impl AsyncRead for Replay {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos < self.prefix.len() {
            let n = (self.prefix.len() - self.pos).min(buf.remaining());
            let start = self.pos;
            buf.put_slice(&self.prefix[start..start + n]);
            self.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves HTTP/1 on one accepted connection, including WebSocket upgrades.
pub async fn serve(
    node: Arc<Node>,
    stream: TcpStream,
    prefix: Vec<u8>,
    remote: SocketAddr,
    shutdown: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Replay::new(prefix, stream));
    let service = hyper::service::service_fn(move |req| {
        let node = node.clone();
        let shutdown = shutdown.clone();
        async move {
            if websocket::is_upgrade(&req) {
                return Ok::<_, Infallible>(websocket::upgrade(node, req, remote, shutdown));
            }
            Ok::<_, Infallible>(route(&node, req, remote).await)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(HEADER_BYTES_MAX)
        .serve_connection(io, service)
        .with_upgrades();
    if let Err(e) = conn.await {
        tracing::debug!("http connection ended: {e}");
    }
}

async fn route(
    node: &Arc<Node>,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    if path.starts_with("/api/") {
        return crate::web::api(node, req, remote).await;
    }
    if req.method() == Method::GET || req.method() == Method::HEAD {
        if let Some(resp) = crate::web::page(node, &path).await {
            return resp;
        }
    }
    let (status, ctype, body) = match (req.method(), path.as_str()) {
        (&Method::GET, "/metrics") => (
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            metrics_text(node),
        ),
        (&Method::GET, "/status") => (
            StatusCode::OK,
            "text/html; charset=utf-8",
            status_page(node),
        ),
        (&Method::GET, _) | (&Method::HEAD, _) => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "Not found\n".to_string(),
        ),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "Method not allowed\n".to_string(),
        ),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    if let Ok(v) = ctype.parse() {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    resp
}

/// Prometheus text exposition of the node's counters.
pub fn metrics_text(node: &Node) -> String {
    let m = &node.metrics;
    let (queued, running) = node.pool.load();
    let alias = node.alias().replace(['\\', '"', '\n'], "_");
    let rows: [(&str, &str, &str, String); 8] = [
        (
            "porpoise_uptime_seconds",
            "gauge",
            "Seconds since the node started.",
            format!("{:.3}", node.started.elapsed().as_secs_f64()),
        ),
        (
            "porpoise_sessions",
            "gauge",
            "Open client sessions.",
            node.session_count().to_string(),
        ),
        (
            "porpoise_connections_total",
            "counter",
            "Connections accepted.",
            m.connections_total.load(Ordering::Relaxed).to_string(),
        ),
        (
            "porpoise_jobs_total",
            "counter",
            "Jobs (requests) started.",
            m.jobs_total.load(Ordering::Relaxed).to_string(),
        ),
        (
            "porpoise_jobs_failed_total",
            "counter",
            "Jobs that ended with an error.",
            m.jobs_failed_total.load(Ordering::Relaxed).to_string(),
        ),
        (
            "porpoise_jobs_running",
            "gauge",
            "Jobs running on a worker now.",
            running.to_string(),
        ),
        (
            "porpoise_jobs_queued",
            "gauge",
            "Jobs waiting for a worker.",
            queued.to_string(),
        ),
        (
            "porpoise_bad_requests_total",
            "counter",
            "Requests that could not be framed.",
            m.bad_requests_total.load(Ordering::Relaxed).to_string(),
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, value) in rows {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{node=\"{alias}\"}} {value}\n"
        ));
    }
    out
}

fn status_page(node: &Node) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let (queued, running) = node.pool.load();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>porpoise {alias}</title>\
         </head><body><h1>porpoise</h1><table>\
         <tr><th>node</th><td>{alias}</td></tr>\
         <tr><th>mode</th><td>{mode}</td></tr>\
         <tr><th>site</th><td>{site}</td></tr>\
         <tr><th>uptime</th><td>{up} s</td></tr>\
         <tr><th>sessions</th><td>{sessions}</td></tr>\
         <tr><th>jobs running</th><td>{running}</td></tr>\
         <tr><th>jobs queued</th><td>{queued}</td></tr>\
         </table><p><a href=\"/metrics\">metrics</a></p></body></html>\n",
        alias = esc(node.alias()),
        mode = node.config.mode.name(),
        site = esc(&node.config.local_site.to_string()),
        up = node.started.elapsed().as_secs(),
        sessions = node.session_count(),
    )
}
