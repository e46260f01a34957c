//! Built-ins: connections to other DolphinDB servers (`xdb`, `remoteRun`,
//! `remoteRunWithCompression`, `close`). `xdb` opens a binary-API connection (`Connection`:
//! blocking, every read and write bounded by `IO_TIMEOUT`); the handle keeps it, with its
//! remote session and that session's variables, until `close` or until the handle is dropped.
//!
//! `remoteRun(conn, script)` runs a script; `remoteRun(conn, functionName, args...)` calls a
//! function by name; `remoteRun(conn, func, args...)` with a function value ships it as `rpc`
//! does (a built-in by name, a user function by its source text). `remoteRunWithCompression` is
//! the same call (the transfer is not compressed).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use value::{wire, DataType, Object, Value};

use super::data_util::str_arg;
use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("xdb", 2, 5, Kind::Other, xdb),
        builtin("remoteRun", 2, 1026, Kind::Other, remote_run),
        builtin("remoteRunWithCompression", 2, 1026, Kind::Other, remote_run),
        builtin("close", 1, 1, Kind::Other, close),
    ]
}

/// Bound on connecting to a server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on each read or write of a call (a long query may take this long between bytes).
pub const IO_TIMEOUT: Duration = Duration::from_secs(3600);
/// Largest response object accepted.
pub const RESPONSE_BYTES_MAX: usize = 1 << 30;
/// Longest response header or status line.
const LINE_BYTES_MAX: usize = 64 << 10;

/// A logged-in binary-API connection to another server, with its own session there.
pub struct Connection {
    site: String,
    stream: TcpStream,
    sid: String,
    buf: Vec<u8>,
}

fn io_error(site: &str, e: impl std::fmt::Display) -> Error {
    Error::new(format!("Connection to {site} failed: {e}"))
}

impl Connection {
    /// Connects to `host:port` and logs in when `login` is given.
    pub fn open(host: &str, port: u16, login: Option<(&str, &str)>) -> Result<Connection> {
        let site = format!("{host}:{port}");
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| io_error(&site, e))?
            .next()
            .ok_or_else(|| io_error(&site, "no address"))?;
        let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
            .map_err(|e| Error::new(format!("Couldn't connect to {site}: {e}")))?;
        let _ = stream.set_nodelay(true);
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .and_then(|_| stream.set_write_timeout(Some(IO_TIMEOUT)))
            .map_err(|e| io_error(&site, e))?;
        let mut c = Connection {
            site,
            stream,
            sid: "0".into(),
            buf: Vec::new(),
        };
        let body = match login {
            Some((u, p)) => format!("connect\nlogin\n{u}\n{p}\nfalse"),
            None => "connect\n".to_string(),
        };
        let v = c.request(&body, &[])?;
        let _ = v;
        Ok(c)
    }

    /// Sends one request and reads its answer (the object, or VOID).
    fn request(&mut self, body: &str, args: &[Value]) -> Result<Value> {
        let mut req = format!("API {} {}\n{}", self.sid, body.len(), body).into_bytes();
        for a in args {
            wire::encode(a, &mut req)?;
        }
        self.stream
            .write_all(&req)
            .map_err(|e| io_error(&self.site, e))?;
        let (sid, status, v) = self.response()?;
        if self.sid == "0" {
            self.sid = sid;
        }
        if status != "OK" {
            return Err(Error::new(status));
        }
        Ok(v.unwrap_or_else(Value::void))
    }

    fn read_more(&mut self) -> Result<()> {
        let mut chunk = [0u8; 64 << 10];
        let n = self
            .stream
            .read(&mut chunk)
            .map_err(|e| io_error(&self.site, e))?;
        if n == 0 {
            return Err(io_error(&self.site, "the server closed the connection"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    fn until(&mut self, end: u8) -> Result<Vec<u8>> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == end) {
                let line = self.buf[..i].to_vec();
                self.buf.drain(..=i);
                return Ok(line);
            }
            if self.buf.len() > LINE_BYTES_MAX {
                return Err(io_error(&self.site, "a response line is too long"));
            }
            self.read_more()?;
        }
    }

    /// `(session id, status, object)`; print messages (`MSG`) are skipped.
    fn response(&mut self) -> Result<(String, String, Option<Value>)> {
        let header = loop {
            let line = self.until(b'\n')?;
            if line == b"MSG" {
                self.until(0)?;
                continue;
            }
            break String::from_utf8_lossy(&line).into_owned();
        };
        let parts: Vec<&str> = header.split(' ').collect();
        let bad = || io_error(&self.site, format!("bad response header [{header}]"));
        if parts.len() != 3 {
            return Err(bad());
        }
        let count: usize = parts[1].parse().map_err(|_| bad())?;
        let le = parts[2] != "0";
        let sid = parts[0].to_string();
        let status = String::from_utf8_lossy(&self.until(b'\n')?).into_owned();
        if status != "OK" || count == 0 {
            return Ok((sid, status, None));
        }
        loop {
            match wire::decode_partial(&self.buf, le)? {
                wire::Decoded::Done(v, used) => {
                    self.buf.drain(..used);
                    return Ok((sid, status, Some(v)));
                }
                wire::Decoded::NeedAtLeast(n) => {
                    if n > RESPONSE_BYTES_MAX {
                        return Err(io_error(
                            &self.site,
                            format!("a response of {n} bytes exceeds {RESPONSE_BYTES_MAX}"),
                        ));
                    }
                    while self.buf.len() < n {
                        self.read_more()?;
                    }
                }
            }
        }
    }

    pub fn run_script(&mut self, text: &str) -> Result<Value> {
        self.request(&format!("script\n{text}"), &[])
    }

    pub fn call(&mut self, function: &str, args: Vec<Value>) -> Result<Value> {
        let body = format!("function\n{function}\n{}\n1\n", args.len());
        self.request(&body, &args)
    }
}

/// What `xdb` returns.
pub struct RemoteHandle {
    site: String,
    conn: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for RemoteHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RemoteHandle({})", self.site)
    }
}

impl Object for RemoteHandle {
    fn data_type(&self) -> DataType {
        DataType::Handle
    }
    fn describe(&self) -> String {
        format!("Conn[{}]", self.site)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn handle<'a>(func: &str, v: &'a Value) -> Result<&'a RemoteHandle> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<RemoteHandle>(),
        _ => None,
    }
    .ok_or_else(|| {
        Error::new(format!(
            "The first argument of {func} must be a connection returned by xdb"
        ))
    })
}

/// Runs `f` on the handle's open connection; a connection that failed is dropped.
fn with_conn(h: &RemoteHandle, f: impl FnOnce(&mut Connection) -> Result<Value>) -> Result<Value> {
    let mut slot = h.conn.lock().unwrap_or_else(|e| e.into_inner());
    let conn = slot
        .as_mut()
        .ok_or_else(|| Error::new("The connection has been closed"))?;
    let r = f(conn);
    if let Err(e) = &r {
        if e.message().starts_with("Connection to ") {
            slot.take();
        }
    }
    r
}

/// `xdb(host, port, [userId], [password], [enableSSL])`.
fn xdb(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let host = str_arg("xdb", &args[0], "host")?.to_string();
    let port = args[1]
        .as_i64()
        .filter(|p| (1..=65535).contains(p))
        .ok_or_else(|| Error::new("The port of function [xdb] must be between 1 and 65535"))?;
    let user = match args.get(2) {
        Some(v) if !v.is_null() => Some(str_arg("xdb", v, "userId")?.to_string()),
        _ => None,
    };
    let password = match args.get(3) {
        Some(v) if !v.is_null() => str_arg("xdb", v, "password")?.to_string(),
        _ => String::new(),
    };
    let login = user.as_deref().map(|u| (u, password.as_str()));
    let _ = env;
    let conn = Connection::open(&host, port as u16, login)?;
    Ok(Value::Object(Arc::new(RemoteHandle {
        site: format!("{host}:{port}"),
        conn: Mutex::new(Some(conn)),
    })))
}

fn remote_run(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let h = handle("remoteRun", &args[0])?;
    let what = &args[1];
    let rest = &args[2..];
    if let Some(text) = what.as_str() {
        return with_conn(h, |c| {
            if rest.is_empty() {
                c.run_script(text)
            } else {
                c.call(text, rest.to_vec())
            }
        });
    }
    let call = super::cluster::remote_call(what, rest)?;
    with_conn(h, |c| {
        if !call.setup.is_empty() {
            c.run_script(&call.setup)?;
        }
        c.call(&call.func, call.args)
    })
}

/// `close(conn)`: closes a connection from `xdb`.
fn close(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let h = handle("close", &args[0])?;
    h.conn.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok(Value::void())
}
