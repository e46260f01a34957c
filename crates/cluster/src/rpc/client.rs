//! The client side of internal calls: a pool of logged-in binary-API connections per peer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use value::{wire, Value};

use super::{
    CallOptions, Credential, RpcError, CONNECT_TIMEOUT, IDEMPOTENT_RETRIES, IDLE_PER_PEER_MAX,
    RESPONSE_BYTES_MAX, RETRY_PAUSE,
};

/// Longest header or status line accepted in a response.
const LINE_BYTES_MAX: usize = 64 << 10;
/// Bytes read from the socket at a time.
const READ_CHUNK_BYTES: usize = 64 << 10;

/// One logged-in connection.
struct Conn {
    stream: TcpStream,
    sid: String,
    buf: Vec<u8>,
}

/// A failure inside one attempt.
struct Failure {
    error: RpcError,
}

fn fail(error: RpcError) -> Failure {
    Failure { error }
}

impl Conn {
    async fn read_more(&mut self) -> Result<(), RpcError> {
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK_BYTES, 0);
        let n = self.stream.read(&mut self.buf[old..]).await;
        let n = match n {
            Ok(n) => n,
            Err(e) => {
                self.buf.truncate(old);
                return Err(RpcError::Io(e.to_string()));
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            return Err(RpcError::Io("the peer closed the connection".into()));
        }
        Ok(())
    }

    /// Reads up to (not including) `end`, consuming it.
    async fn until(&mut self, end: u8) -> Result<Vec<u8>, RpcError> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == end) {
                let line = self.buf[..i].to_vec();
                self.buf.drain(..=i);
                return Ok(line);
            }
            if self.buf.len() > LINE_BYTES_MAX {
                return Err(RpcError::Protocol("a response line is too long".into()));
            }
            self.read_more().await?;
        }
    }

    /// Reads one response: `(sid, status, object)`; MSG blocks are skipped.
    async fn response(&mut self) -> Result<(String, String, Option<Value>), RpcError> {
        let header = loop {
            let line = self.until(b'\n').await?;
            if line == b"MSG" {
                self.until(0).await?;
                continue;
            }
            break String::from_utf8_lossy(&line).into_owned();
        };
        let parts: Vec<&str> = header.split(' ').collect();
        if parts.len() != 3 {
            return Err(RpcError::Protocol(format!(
                "bad response header [{header}]"
            )));
        }
        let count: usize = parts[1]
            .parse()
            .map_err(|_| RpcError::Protocol(format!("bad response header [{header}]")))?;
        let le = parts[2] != "0";
        let status = String::from_utf8_lossy(&self.until(b'\n').await?).into_owned();
        if status != "OK" {
            return Ok((parts[0].to_string(), status, None));
        }
        if count == 0 {
            return Ok((parts[0].to_string(), status, None));
        }
        if count != 1 {
            return Err(RpcError::Protocol(format!(
                "{count} objects in one response"
            )));
        }
        loop {
            match wire::decode_partial(&self.buf, le) {
                Ok(wire::Decoded::Done(v, used)) => {
                    self.buf.drain(..used);
                    return Ok((parts[0].to_string(), status, Some(v)));
                }
                Ok(wire::Decoded::NeedAtLeast(n)) => {
                    if n > RESPONSE_BYTES_MAX {
                        return Err(RpcError::Protocol(format!(
                            "a response object of {n} bytes exceeds {RESPONSE_BYTES_MAX}"
                        )));
                    }
                    while self.buf.len() < n {
                        self.read_more().await?;
                    }
                }
                Err(e) => return Err(RpcError::Protocol(e.message)),
            }
        }
    }

    /// The connection back if it is still open (no end of stream, no stray bytes). Asks the
    /// socket itself: tokio's cached readiness may not have seen a close yet.
    fn if_open(self) -> Option<Conn> {
        let Conn { stream, sid, buf } = self;
        let std = stream.into_std().ok()?;
        let mut probe = [0u8; 1];
        let open =
            matches!(std.peek(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        if !open {
            return None;
        }
        let stream = TcpStream::from_std(std).ok()?;
        Some(Conn { stream, sid, buf })
    }
}

async fn connect(addr: &str, cred: &Credential, deadline: Instant) -> Result<Conn, RpcError> {
    let left = deadline.saturating_duration_since(Instant::now());
    let limit = left.min(CONNECT_TIMEOUT);
    let stream = match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(RpcError::Unreachable(format!("{addr}: {e}"))),
        Err(_) => {
            return Err(RpcError::Unreachable(format!(
                "{addr}: no connection within {} ms",
                limit.as_millis()
            )))
        }
    };
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        stream,
        sid: "0".into(),
        buf: Vec::new(),
    };
    let body = format!("connect\nlogin\n{}\n{}\nfalse", cred.user(), cred.token());
    let req = format!("API 0 {}\n{}", body.len(), body);
    let login = async {
        conn.stream
            .write_all(req.as_bytes())
            .await
            .map_err(|e| RpcError::Unreachable(format!("{addr}: {e}")))?;
        conn.response().await
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let (sid, status, _) = match tokio::time::timeout(left, login).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Err(RpcError::Unreachable(format!("{addr}: login failed: {e}"))),
        Err(_) => return Err(RpcError::Unreachable(format!("{addr}: login timed out"))),
    };
    if status != "OK" {
        return Err(RpcError::Unreachable(format!(
            "{addr} refused the cluster login: {status}"
        )));
    }
    conn.sid = sid;
    Ok(conn)
}

/// Logged-in connections to peers, reused between calls.
pub struct Pool {
    credential: Credential,
    idle: Mutex<HashMap<String, Vec<Conn>>>,
}

impl Pool {
    pub fn new(credential: Credential) -> Pool {
        Pool {
            credential,
            idle: Mutex::new(HashMap::new()),
        }
    }

    fn take(&self, addr: &str) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.get_mut(addr)?;
        while let Some(c) = list.pop() {
            if let Some(c) = c.if_open() {
                return Some(c);
            }
        }
        None
    }

    fn put(&self, addr: &str, c: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.entry(addr.to_string()).or_default();
        if list.len() < IDLE_PER_PEER_MAX {
            list.push(c);
        }
    }

    /// Drops every idle connection to `addr` (e.g. after the peer restarted).
    pub fn forget(&self, addr: &str) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.remove(addr);
    }

    async fn attempt(
        &self,
        addr: &str,
        function: &str,
        args: &[Value],
        deadline: Instant,
    ) -> Result<Value, Failure> {
        let mut conn = match self.take(addr) {
            Some(c) => c,
            None => connect(addr, &self.credential, deadline)
                .await
                .map_err(|e| fail(e))?,
        };
        let mut objects = Vec::new();
        for a in args {
            wire::encode(a, &mut objects).map_err(|e| fail(RpcError::Protocol(e.message)))?;
        }
        let body = format!("function\n{}\n{}\n1\n", function, args.len());
        let mut req = format!("API {} {}\n{}", conn.sid, body.len(), body).into_bytes();
        req.extend_from_slice(&objects);
        let exchange = async {
            conn.stream
                .write_all(&req)
                .await
                .map_err(|e| RpcError::Io(e.to_string()))?;
            conn.response().await
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let result = match tokio::time::timeout(left, exchange).await {
            Ok(r) => r,
            Err(_) => Err(RpcError::Timeout(format!("{function} on {addr}"))),
        };
        match result {
            Ok((_, status, v)) => {
                self.put(addr, conn);
                if status != "OK" {
                    return Err(fail(RpcError::Remote(status)));
                }
                Ok(v.unwrap_or_else(Value::void))
            }
            Err(e) => Err(fail(e)),
        }
    }

    /// Calls `function(args...)` on `addr`; see `Rpc::call`.
    pub async fn call(
        &self,
        addr: &str,
        function: &str,
        args: Vec<Value>,
        opts: CallOptions,
    ) -> Result<Value, RpcError> {
        let deadline = Instant::now() + opts.timeout;
        let mut tries = 0;
        loop {
            let err = match self.attempt(addr, function, &args, deadline).await {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            // Only idempotent calls are retried, and only after a connection failure: a remote
            // error is an answer, and a timed-out call has used its time.
            let retriable =
                opts.idempotent && matches!(err.error, RpcError::Unreachable(_) | RpcError::Io(_));
            tries += 1;
            let time_left = deadline.saturating_duration_since(Instant::now()) > RETRY_PAUSE;
            if !retriable || tries > IDEMPOTENT_RETRIES || !time_left {
                if matches!(err.error, RpcError::Io(_) | RpcError::Unreachable(_)) {
                    self.forget(addr);
                }
                return Err(err.error);
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
}
