//! One binary-API connection: read a request, run it as a job on the worker pool, write the
//! response, repeat. A script error answers with an error line and the connection goes on; a
//! request that cannot be framed answers with an error line and the connection closes.

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};
use value::{wire, Value};

use crate::node::{now_ms, JobInfo, Node, SessionState, BAD_LOGIN};
use crate::protocol::{
    flags, parse_body, parse_header, Command, Header, Options, Response, HEADER_LINE_BYTES_MAX,
    OBJECTS_BYTES_MAX,
};
use crate::streaming::{
    messages_for, schema_message, stream_table, topic, PublishRequest, Subscription,
};

/// Longest wait for the next bytes once a request has started.
pub const FRAME_READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest wait for a response to be taken by the client.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(300);
/// Bytes read from the socket at a time.
const READ_CHUNK_BYTES: usize = 64 << 10;

/// Why a connection stops.
enum Stop {
    /// The client closed, or we are shutting down: nothing to say.
    Quiet,
    /// The request could not be framed: say why, then close.
    Malformed(String),
}

struct Conn {
    stream: TcpStream,
    /// Bytes received and not yet consumed, from `start`.
    buf: Vec<u8>,
    start: usize,
}

impl Conn {
    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > READ_CHUNK_BYTES && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// Reads more bytes; false on end of stream.
    async fn fill(&mut self, timeout: Option<Duration>) -> Result<bool, Stop> {
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK_BYTES, 0);
        let read = self.stream.read(&mut self.buf[old..]);
        let n = match timeout {
            Some(t) => match tokio::time::timeout(t, read).await {
                Ok(r) => r,
                Err(_) => {
                    self.buf.truncate(old);
                    return Err(Stop::Malformed(
                        "Timed out waiting for the rest of the request".into(),
                    ));
                }
            },
            None => read.await,
        };
        let n = n.unwrap_or(0);
        self.buf.truncate(old + n);
        Ok(n > 0)
    }

    /// The next header line without its LF; None when the client closed between requests.
    async fn header_line(&mut self, shutdown: &mut watch::Receiver<bool>) -> Result<Vec<u8>, Stop> {
        loop {
            if let Some(i) = self.pending().iter().position(|&b| b == b'\n') {
                let line = self.pending()[..i].to_vec();
                self.consume(i + 1);
                return Ok(line);
            }
            if self.pending().len() >= HEADER_LINE_BYTES_MAX {
                return Err(Stop::Malformed(format!(
                    "The request header is longer than {HEADER_LINE_BYTES_MAX} bytes"
                )));
            }
            let idle = self.pending().is_empty();
            let more = if idle {
                // Between requests a connection may stay idle as long as it likes.
                tokio::select! {
                    r = self.fill(None) => r?,
                    _ = shutdown.changed() => return Err(Stop::Quiet),
                }
            } else {
                self.fill(Some(FRAME_READ_TIMEOUT)).await?
            };
            if !more {
                return Err(if idle {
                    Stop::Quiet
                } else {
                    Stop::Malformed("The connection closed in the middle of a request".into())
                });
            }
        }
    }

    async fn exact(&mut self, n: usize) -> Result<Vec<u8>, Stop> {
        while self.pending().len() < n {
            if !self.fill(Some(FRAME_READ_TIMEOUT)).await? {
                return Err(Stop::Malformed(
                    "The connection closed in the middle of a request".into(),
                ));
            }
        }
        let b = self.pending()[..n].to_vec();
        self.consume(n);
        Ok(b)
    }

    /// `count` serialized objects, in the given byte order.
    async fn objects(&mut self, count: usize, le: bool) -> Result<Vec<Value>, Stop> {
        let mut out = Vec::with_capacity(count);
        let mut total = 0usize;
        // Walks the object's framing as bytes arrive, so that it is decoded once, when all
        // of it is in, rather than from its first byte again after every read.
        let mut extent = wire::Extent::new(le);
        while out.len() < count {
            let decoded = match extent.advance(self.pending()) {
                wire::Reach::NeedAtLeast(need) => Ok(wire::Decoded::NeedAtLeast(need)),
                wire::Reach::Ends(_) | wire::Reach::Unknown => {
                    wire::decode_partial(self.pending(), le)
                }
            };
            match decoded {
                Ok(wire::Decoded::Done(v, used)) => {
                    total += used;
                    self.consume(used);
                    out.push(v);
                    extent = wire::Extent::new(le);
                }
                Ok(wire::Decoded::NeedAtLeast(need)) => {
                    if total.saturating_add(need) > OBJECTS_BYTES_MAX {
                        return Err(Stop::Malformed(format!(
                            "The objects of one request exceed {OBJECTS_BYTES_MAX} bytes"
                        )));
                    }
                    while self.pending().len() < need {
                        if !self.fill(Some(FRAME_READ_TIMEOUT)).await? {
                            return Err(Stop::Malformed(
                                "The connection closed in the middle of a request".into(),
                            ));
                        }
                    }
                }
                Err(e) => {
                    return Err(Stop::Malformed(format!(
                        "Failed to deserialize the request's objects: {}",
                        e.message
                    )))
                }
            }
        }
        Ok(out)
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.stream.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Stop::Quiet),
        }
    }
}

/// Serves one binary-API connection. `prefix` holds the bytes read while sniffing.
pub async fn serve(
    node: Arc<Node>,
    stream: TcpStream,
    prefix: Vec<u8>,
    remote: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conn = Conn {
        stream,
        buf: prefix,
        start: 0,
    };
    let session = match node.open_session(remote) {
        Ok(s) => s,
        Err(e) => {
            let mut out = Vec::new();
            Response::error(&mut out, "0", &e);
            let _ = conn.send(&out).await;
            return;
        }
    };
    let sid = session.id.to_string();
    loop {
        match one_request(&node, &session, &sid, &mut conn, &mut shutdown).await {
            Ok(()) => {}
            Err(Stop::Quiet) => break,
            Err(Stop::Malformed(msg)) => {
                node.metrics
                    .bad_requests_total
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%remote, "closing connection: {msg}");
                let mut out = Vec::new();
                Response::error(&mut out, &sid, &msg);
                let _ = conn.send(&out).await;
                let _ = conn.stream.shutdown().await;
                break;
            }
        }
    }
    node.close_session(session.id);
}

async fn one_request(
    node: &Arc<Node>,
    session: &Arc<SessionState>,
    sid: &str,
    conn: &mut Conn,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), Stop> {
    let line = conn.header_line(shutdown).await?;
    let received = now_ms();
    let header = parse_header(&line).map_err(Stop::Malformed)?;
    let body = conn.exact(header.body_len).await?;
    let command = parse_body(&body).map_err(Stop::Malformed)?;
    let args = conn
        .objects(command.object_count(), command.little_endian())
        .await?;
    if matches!(&command, Command::Function { name, .. } if name == "publishTable") {
        return publish(node, session, sid, conn, &args, shutdown).await;
    }
    let api2 = header.api2;
    match handle(node, session, sid, header, command, args, received).await {
        Some(reply) => conn.send(&reply.bytes(api2)).await,
        None => Ok(()), // asynchronous: the client expects no response
    }
}

/// A response: `print` output and the framed status and object.
pub struct Reply {
    pub messages: Vec<String>,
    pub body: Vec<u8>,
}

impl Reply {
    fn error(sid: &str, message: &str) -> Reply {
        let mut body = Vec::new();
        Response::error(&mut body, sid, message);
        Reply {
            messages: Vec::new(),
            body,
        }
    }

    /// The bytes on a TCP connection: MSG blocks (API2 only), then the body.
    pub fn bytes(self, api2: bool) -> Vec<u8> {
        if !api2 || self.messages.is_empty() {
            return self.body;
        }
        let mut out = Vec::new();
        Response::messages(&mut out, &self.messages);
        out.extend_from_slice(&self.body);
        out
    }
}

/// Runs one framed request (not `publishTable`) and returns its reply; None for an
/// asynchronous request, which gets no reply.
pub async fn handle(
    node: &Arc<Node>,
    session: &Arc<SessionState>,
    sid: &str,
    header: Header,
    command: Command,
    args: Vec<Value>,
    received: i64,
) -> Option<Reply> {
    let options = header.options.clone().unwrap_or_default();
    if let Command::Connect { login } = &command {
        let mut body = Vec::new();
        match login {
            Some((user, password))
                if !node.users.check(user, password) && !node.is_cluster_login(user, password) =>
            {
                Response::error(&mut body, sid, BAD_LOGIN)
            }
            Some((user, _)) => {
                session.set_user(user);
                Response::ok_empty(&mut body, sid);
            }
            None => Response::ok_empty(&mut body, sid),
        }
        return Some(Reply {
            messages: Vec::new(),
            body,
        });
    }
    if let Command::Function { name, .. } = &command {
        if cluster::rpc::Rpc::is_internal(name) {
            let mut body = Vec::new();
            match cluster_internal_call(node, session, name, args).await {
                Ok(v) => Response::ok_value(&mut body, sid, &v, 0),
                Err(e) => Response::error(&mut body, sid, &e),
            }
            return Some(Reply {
                messages: Vec::new(),
                body,
            });
        }
    }
    if node.config.enable_client_auth && session.is_guest() && !is_login_call(&command) {
        return Some(Reply::error(
            sid,
            "Login is required for script execution with client authentication enabled.",
        ));
    }
    let job = Job {
        node: node.clone(),
        session: session.clone(),
        sid: sid.to_string(),
        options: options.clone(),
        command,
        args,
        received,
    };
    let (tx, rx) = oneshot::channel();
    let submitted = node.pool.submit(options.priority, move || {
        let _ = tx.send(job.run());
    });
    if let Err(e) = submitted {
        return Some(Reply::error(sid, &e));
    }
    if options.has(flags::ASYNCHRONOUS) {
        return None;
    }
    Some(
        rx.await
            .unwrap_or_else(|_| Reply::error(sid, "The job was cancelled")),
    )
}

/// Splits one complete request (a WebSocket message) into header, command and objects.
pub fn parse_request(bytes: &[u8]) -> Result<(Header, Command, Vec<Value>), String> {
    let nl = bytes
        .iter()
        .take(HEADER_LINE_BYTES_MAX)
        .position(|&b| b == b'\n')
        .ok_or("The request has no header line")?;
    let header = parse_header(&bytes[..nl])?;
    let body_end = (nl + 1)
        .checked_add(header.body_len)
        .filter(|&e| e <= bytes.len())
        .ok_or("The request is shorter than its header says")?;
    let command = parse_body(&bytes[nl + 1..body_end])?;
    let mut pos = body_end;
    let mut args = Vec::with_capacity(command.object_count());
    for _ in 0..command.object_count() {
        match wire::decode(&bytes[pos..], command.little_endian()) {
            Ok(Some((v, used))) => {
                args.push(v);
                pos += used;
            }
            Ok(None) => return Err("The request's objects are incomplete".into()),
            Err(e) => {
                return Err(format!(
                    "Failed to deserialize the request's objects: {}",
                    e.message
                ))
            }
        }
    }
    Ok((header, command, args))
}

/// `publishTable` on a reverse-mode connection: answer, then push the stream table's rows on
/// this connection until the subscription stops or the client goes away. The connection
/// serves no more requests after that.
async fn publish(
    node: &Arc<Node>,
    session: &Arc<SessionState>,
    sid: &str,
    conn: &mut Conn,
    args: &[Value],
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), Stop> {
    let refuse = |msg: &str| {
        let mut out = Vec::new();
        Response::error(&mut out, sid, msg);
        out
    };
    if session.is_guest() {
        let out = refuse("Login is required to subscribe to a stream table.");
        return conn.send(&out).await;
    }
    let subscribed = PublishRequest::parse(args).and_then(|req| {
        let t = stream_table(node.shared(&req.table), &req.table)?;
        let topic = topic(&node.config.local_site, &req.table, &req.action);
        let sub = node.streaming.subscribe(&req, &t, topic)?;
        Ok((sub, t))
    });
    let (sub, table) = match subscribed {
        Ok(x) => x,
        Err(e) => return conn.send(&refuse(&e)).await,
    };
    tracing::info!(table = %sub.table, subscriber = %sub.subscriber, "subscription started");
    let result = push(node, sid, conn, &sub, &table, shutdown).await;
    node.streaming.remove(sub.id);
    tracing::info!(table = %sub.table, subscriber = %sub.subscriber, "subscription ended");
    result?;
    Err(Stop::Quiet)
}

async fn push(
    node: &Arc<Node>,
    sid: &str,
    conn: &mut Conn,
    sub: &Arc<Subscription>,
    table: &value::Table,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), Stop> {
    let mut out = Vec::new();
    let names = Value::vector(value::Vector::from_strings(table.names.clone()));
    Response::ok_value(&mut out, sid, &names, 0);
    if let Err(e) = schema_message(sub, table, &mut out) {
        tracing::warn!("stream schema message failed: {}", e.message);
    }
    conn.send(&out).await?;
    let mut scratch = [0u8; 1024];
    loop {
        if sub.is_closed() {
            return Ok(());
        }
        let t = match node.shared(&sub.table) {
            Some(Value::Table(t)) => t,
            _ => return Ok(()), // the table was dropped
        };
        let rows = t.rows();
        let next = sub.next_row.load(Ordering::SeqCst).max(0) as usize;
        if rows > next {
            let mut out = Vec::new();
            if let Err(e) = messages_for(sub, &t, next, rows, &mut out) {
                tracing::warn!(table = %sub.table, "stream message failed: {}", e.message);
                return Ok(());
            }
            conn.send(&out).await?;
            sub.next_row.store(rows as i64, Ordering::SeqCst);
            continue;
        }
        if rows < next {
            sub.next_row.store(rows as i64, Ordering::SeqCst);
        }
        tokio::select! {
            biased;
            _ = shutdown.changed() => return Ok(()),
            _ = sub.wake.notified() => {}
            r = conn.stream.read(&mut scratch) => match r {
                Ok(n) if n > 0 => {} // subscribers send nothing more; ignore stray bytes
                _ => return Ok(()),
            },
        }
    }
}

/// A node-to-node call (`__cluster_*`, helper raft): served by the node's `cluster::rpc`
/// registry on the connection's task, outside the worker pool; only sessions logged in with
/// the cluster credential may make it.
async fn cluster_internal_call(
    node: &Arc<Node>,
    session: &Arc<SessionState>,
    name: &str,
    args: Vec<Value>,
) -> Result<Value, String> {
    match node.rpc.get() {
        Some(rpc) => rpc.dispatch(&session.user(), name, args).await,
        None if session.user() == cluster::rpc::CLUSTER_USER => {
            Err(format!("Can't recognize function name {name}"))
        }
        None => Err(format!(
            "<NoPrivilege>Not granted to call the internal function {name}"
        )),
    }
}

fn is_login_call(c: &Command) -> bool {
    match c {
        Command::Function { name, .. } => {
            matches!(
                name.as_str(),
                "login"
                    | "scramClientFirst"
                    | "scramClientFinal"
                    | "getDynamicPublicKey"
                    | "authenticateByTicket"
            )
        }
        _ => false,
    }
}

/// One request, run on a worker thread.
struct Job {
    node: Arc<Node>,
    session: Arc<SessionState>,
    sid: String,
    options: Options,
    command: Command,
    args: Vec<Value>,
    received: i64,
}

impl Job {
    fn desc(&self) -> String {
        match &self.command {
            Command::Script(s) => s.clone(),
            Command::Function { name, .. } => name.clone(),
            Command::Variable { names, .. } => names.join(","),
            Command::Connect { .. } => "connect".into(),
        }
    }

    /// Runs the job and returns its reply.
    fn run(self) -> Reply {
        let _running = self.node.start_job(JobInfo {
            root_job_id: self.options.root_job_id.clone(),
            session_id: self.session.id,
            user: self.session.user(),
            job_type: self.command.job_type(),
            desc: self.desc(),
            priority: self.options.priority,
            parallelism: self.options.parallelism,
            receive_time_ms: self.received,
            remote: self.session.remote,
        });
        let mut messages = Vec::new();
        let result = {
            let mut slot = self
                .session
                .engine
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let engine = slot.get_or_insert_with(|| self.node.new_engine(&self.session));
            let mut print = |s: &str| messages.push(s.to_string());
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let r = execute(engine.as_mut(), &self.command, self.args, &mut print);
                if self.options.has(flags::CLEAR_MEMORY) {
                    engine.clear_variables();
                }
                r
            }));
            match outcome {
                Ok(r) => r,
                Err(_) => {
                    // A panicking engine may be inconsistent: the session starts afresh.
                    *slot = None;
                    tracing::error!(session = self.session.id, "the script engine panicked");
                    Err("Internal error: the script engine failed on this request".into())
                }
            }
        };
        let mut body = Vec::new();
        match result {
            Ok(None) => Response::ok_empty(&mut body, &self.sid),
            Ok(Some(v)) => Response::ok_value_with(
                &mut body,
                &self.sid,
                &v,
                self.options.fetch_size,
                self.options.has(flags::COMPRESS),
            ),
            Err(e) => {
                self.node
                    .metrics
                    .jobs_failed_total
                    .fetch_add(1, Ordering::Relaxed);
                Response::error(&mut body, &self.sid, &e)
            }
        }
        Reply { messages, body }
    }
}

fn execute(
    engine: &mut dyn crate::engine::Engine,
    command: &Command,
    args: Vec<Value>,
    print: &mut dyn FnMut(&str),
) -> Result<Option<Value>, String> {
    match command {
        Command::Script(text) => engine.run_script(text, print),
        Command::Function { name, .. } => engine.run_function(name, args, print),
        Command::Variable { names, .. } => {
            for (name, v) in names.iter().zip(args) {
                engine.set_variable(name, v)?;
            }
            Ok(None)
        }
        Command::Connect { .. } => Ok(None),
    }
}
