//! The binary API over WebSocket on the node's one port, as the JavaScript client speaks it
//! (reference: `protocol.md` §11): each binary message is one complete request, `print` output
//! comes back as separate `MSG\n<text>\0` messages, and the reply is one message.
//! A WebSocket is one session. Streaming over WebSocket (sub-protocol `streaming`) is refused.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::api::{handle, parse_request, Reply};
use crate::node::{now_ms, Node};
use crate::protocol::{Command, Response as Framing, BODY_BYTES_MAX, OBJECTS_BYTES_MAX};

/// Largest WebSocket message (one request) we accept.
pub const MESSAGE_BYTES_MAX: usize = BODY_BYTES_MAX + OBJECTS_BYTES_MAX;

/// Whether `req` asks to become a WebSocket.
pub fn is_upgrade<B>(req: &Request<B>) -> bool {
    let has = |name, token: &str| {
        req.headers().get_all(name).iter().any(|v| {
            v.to_str()
                .map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
                .unwrap_or(false)
        })
    };
    has(UPGRADE, "websocket") && has(CONNECTION, "upgrade")
}

/// Answers the handshake and serves the socket once hyper hands it over.
pub fn upgrade(
    node: Arc<Node>,
    mut req: Request<Incoming>,
    remote: SocketAddr,
    shutdown: watch::Receiver<bool>,
) -> Response<Full<Bytes>> {
    let plain = |status: StatusCode, text: &str| {
        let mut r = Response::new(Full::new(Bytes::from(text.to_string())));
        *r.status_mut() = status;
        r
    };
    let Some(key) = req.headers().get(SEC_WEBSOCKET_KEY) else {
        return plain(StatusCode::BAD_REQUEST, "Missing Sec-WebSocket-Key\n");
    };
    let accept = derive_accept_key(key.as_bytes());
    let protocols: Vec<String> = req
        .headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(',').map(|p| p.trim().to_string()))
        .filter(|p| !p.is_empty())
        .collect();
    if !protocols.is_empty() {
        return plain(
            StatusCode::NOT_IMPLEMENTED,
            "Only DolphinDB script sessions are served over WebSocket; \
             streaming, python and q sessions are not supported\n",
        );
    }
    tokio::spawn(async move {
        match hyper::upgrade::on(&mut req).await {
            Ok(upgraded) => serve(node, TokioIo::new(upgraded), remote, shutdown).await,
            Err(e) => tracing::debug!(%remote, "websocket upgrade failed: {e}"),
        }
    });
    let mut resp = plain(StatusCode::SWITCHING_PROTOCOLS, "");
    let h = resp.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(SEC_WEBSOCKET_ACCEPT, v);
    }
    resp
}

async fn serve<S>(node: Arc<Node>, io: S, remote: SocketAddr, mut shutdown: watch::Receiver<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(MESSAGE_BYTES_MAX);
    config.max_frame_size = Some(MESSAGE_BYTES_MAX);
    let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let session = match node.open_session(remote) {
        Ok(s) => s,
        Err(e) => {
            let mut body = Vec::new();
            Framing::error(&mut body, "0", &e);
            let _ = ws.send(Message::Binary(body.into())).await;
            return;
        }
    };
    let sid = session.id.to_string();
    loop {
        let msg = tokio::select! {
            _ = shutdown.changed() => break,
            m = ws.next() => m,
        };
        let bytes: Vec<u8> = match msg {
            Some(Ok(Message::Binary(b))) => b.to_vec(),
            Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            _ => break, // closed, or a protocol error
        };
        let received = now_ms();
        let reply = match parse_request(&bytes) {
            Err(e) => Some(error_reply(&sid, &e)),
            Ok((_, Command::Function { name, .. }, _)) if name == "publishTable" => Some(
                error_reply(&sid, "Streaming is not supported over this WebSocket"),
            ),
            Ok((header, command, args)) => {
                handle(&node, &session, &sid, header, command, args, received).await
            }
        };
        let Some(reply) = reply else { continue };
        if send_reply(&mut ws, reply).await.is_err() {
            break;
        }
    }
    let _ = ws.close(None).await;
    node.close_session(session.id);
}

fn error_reply(sid: &str, message: &str) -> Reply {
    let mut body = Vec::new();
    Framing::error(&mut body, sid, message);
    Reply {
        messages: Vec::new(),
        body,
    }
}

async fn send_reply<S>(
    ws: &mut WebSocketStream<S>,
    reply: Reply,
) -> Result<(), tokio_tungstenite::tungstenite::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    for m in &reply.messages {
        let mut out = Vec::new();
        Framing::messages(&mut out, std::slice::from_ref(m));
        ws.send(Message::Binary(out.into())).await?;
    }
    ws.send(Message::Binary(reply.body.into())).await
}
