//! Internal calls between nodes, over the SAME binary-API port that clients use (DESIGN.md §1:
//! one port per node).
//!
//! A node calls a function on another node the way DolphinDB's `rpc` does: it opens a binary-API
//! connection, logs in with the cluster credential (`connect` with inline login), and sends a
//! `function` request whose arguments are `value::Value`s. Internal functions have names that
//! start with `__cluster_` (`INTERNAL_PREFIX`); the server's dispatch hands those to the node's
//! `Rpc` registry instead of the script engine, and refuses every caller that did not log in with
//! the cluster credential.
//!
//! The cluster credential: the user `__cluster` (`CLUSTER_USER`) with a token derived from the
//! config key `clusterSecret` (`Credential::from_secret`; SHA-256 of a fixed label and the
//! secret). Every node of a cluster must have the same `clusterSecret` (put it in controller.cfg,
//! agent.cfg and cluster.cfg); when it is unset, `DEFAULT_CLUSTER_SECRET` is used, which keeps
//! ordinary users out of internal functions but not someone who knows this default. The user is
//! not in the user store: a script's `login("__cluster", ...)` is refused, only the `connect`
//! handshake accepts it, and `createUser` refuses names starting with `__`.
//!
//! One `Rpc` per node holds the registry (server side) and the connection pool (client side).

mod client;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use value::{Data, DataType, Value, Vector};

pub use client::Pool;

/// Names of internal functions start with this.
pub const INTERNAL_PREFIX: &str = "__cluster_";
/// The cluster-internal user.
pub const CLUSTER_USER: &str = "__cluster";
/// The secret used when `clusterSecret` is not configured.
pub const DEFAULT_CLUSTER_SECRET: &str = "porpoise-default-cluster-secret";
/// The config key that holds the cluster secret.
pub const SECRET_KEY: &str = "clusterSecret";

/// Longest wait to open a TCP connection to a peer (loopback refuses at once; this bounds a
/// blackholed address).
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
/// Default bound on one whole call: connect, login, request, response.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Extra attempts for idempotent calls after a connection failure.
pub const IDEMPOTENT_RETRIES: usize = 2;
/// Pause between two attempts of an idempotent call.
pub const RETRY_PAUSE: Duration = Duration::from_millis(50);
/// Idle connections kept per peer.
pub const IDLE_PER_PEER_MAX: usize = 8;
/// Largest response object accepted from a peer.
pub const RESPONSE_BYTES_MAX: usize = 1 << 30;

fn lock_read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn lock_write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// The cluster credential: `CLUSTER_USER` and a token derived from the cluster secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    token: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(..)")
    }
}

impl Credential {
    /// The credential of a cluster whose `clusterSecret` is `secret`.
    pub fn from_secret(secret: &str) -> Credential {
        let mut h = Sha256::new();
        h.update(b"porpoise cluster credential v1\0");
        h.update(secret.as_bytes());
        let token = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Credential { token }
    }

    /// From the config value of `clusterSecret` (None or empty: the default secret).
    pub fn from_config(secret: Option<&str>) -> Credential {
        match secret.map(str::trim) {
            Some(s) if !s.is_empty() => Credential::from_secret(s),
            _ => Credential::from_secret(DEFAULT_CLUSTER_SECRET),
        }
    }

    pub fn user(&self) -> &str {
        CLUSTER_USER
    }

    /// The password sent at login.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether a login is this credential (constant time in the token).
    pub fn matches(&self, user: &str, password: &str) -> bool {
        if user != CLUSTER_USER || password.len() != self.token.len() {
            return false;
        }
        let diff = password
            .bytes()
            .zip(self.token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }
}

/// Why a call to another node failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RpcError {
    /// No connection: refused, unreachable, connect timeout, or the login was refused. Nothing
    /// was sent.
    Unreachable(String),
    /// The call did not finish within its timeout; it may or may not have run.
    Timeout(String),
    /// The connection failed in the middle of the call; it may or may not have run.
    Io(String),
    /// The remote node answered with an error (its status line, e.g. `<NotLeader>h:p:alias`).
    Remote(String),
    /// The answer could not be understood.
    Protocol(String),
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcError::Unreachable(m) => write!(f, "unreachable: {m}"),
            RpcError::Timeout(m) => write!(f, "timed out: {m}"),
            RpcError::Io(m) => write!(f, "connection failed: {m}"),
            RpcError::Remote(m) => f.write_str(m),
            RpcError::Protocol(m) => write!(f, "bad response: {m}"),
        }
    }
}

impl std::error::Error for RpcError {}

impl From<RpcError> for crate::Error {
    fn from(e: RpcError) -> Self {
        crate::Error(e.to_string())
    }
}

/// How a call is made.
#[derive(Clone, Copy, Debug)]
pub struct CallOptions {
    /// Bound on the whole call, retries included.
    pub timeout: Duration,
    /// Whether the call may run twice: only then is it retried after a connection failure.
    pub idempotent: bool,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions {
            timeout: CALL_TIMEOUT,
            idempotent: false,
        }
    }
}

impl CallOptions {
    pub fn idempotent(timeout: Duration) -> CallOptions {
        CallOptions {
            timeout,
            idempotent: true,
        }
    }

    pub fn once(timeout: Duration) -> CallOptions {
        CallOptions {
            timeout,
            idempotent: false,
        }
    }
}

/// What an internal handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Value, String>> + Send>>;
type Handler = Arc<dyn Fn(Vec<Value>) -> HandlerFuture + Send + Sync>;
type ScriptFunction = Arc<dyn Fn(&[Value]) -> Result<Value, String> + Send + Sync>;

/// A node's internal-call registry and connection pool.
pub struct Rpc {
    credential: Credential,
    internal: RwLock<HashMap<String, Handler>>,
    functions: RwLock<HashMap<String, ScriptFunction>>,
    pool: Pool,
}

impl Rpc {
    pub fn new(credential: Credential) -> Arc<Rpc> {
        Arc::new(Rpc {
            pool: Pool::new(credential.clone()),
            credential,
            internal: RwLock::new(HashMap::new()),
            functions: RwLock::new(HashMap::new()),
        })
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// Whether `name` is an internal function name (reserved prefix).
    pub fn is_internal(name: &str) -> bool {
        name.starts_with(INTERNAL_PREFIX)
    }

    /// Whether a login is the cluster credential (the server's `connect` accepts it).
    pub fn is_cluster_login(&self, user: &str, password: &str) -> bool {
        self.credential.matches(user, password)
    }

    /// Registers an async internal function. `name` must start with `INTERNAL_PREFIX`; a name
    /// registered twice is replaced.
    pub fn register<F, Fut>(&self, name: &str, f: F)
    where
        F: Fn(Vec<Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, String>> + Send + 'static,
    {
        debug_assert!(
            Rpc::is_internal(name),
            "internal names start with {INTERNAL_PREFIX}"
        );
        let h: Handler = Arc::new(move |args| Box::pin(f(args)));
        lock_write(&self.internal).insert(name.to_string(), h);
    }

    /// Registers a blocking internal function; it runs on tokio's blocking threads.
    pub fn register_blocking<F>(&self, name: &str, f: F)
    where
        F: Fn(Vec<Value>) -> Result<Value, String> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        self.register(name, move |args| {
            let f = f.clone();
            async move {
                tokio::task::spawn_blocking(move || f(args))
                    .await
                    .unwrap_or_else(|e| Err(format!("The internal call failed: {e}")))
            }
        });
    }

    pub fn unregister(&self, name: &str) {
        lock_write(&self.internal).remove(name);
    }

    /// Registers a function that scripts on this node reach through `Host::node_function`
    /// (e.g. `getActiveMaster` on a controller). It runs on a worker thread and may block.
    pub fn register_function<F>(&self, name: &str, f: F)
    where
        F: Fn(&[Value]) -> Result<Value, String> + Send + Sync + 'static,
    {
        lock_write(&self.functions).insert(name.to_string(), Arc::new(f));
    }

    pub fn unregister_function(&self, name: &str) {
        lock_write(&self.functions).remove(name);
    }

    /// A script-visible function registered with `register_function`; None when there is none.
    pub fn node_function(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let f = lock_read(&self.functions).get(name).cloned()?;
        Some(f(args))
    }

    /// Serves an internal call that arrived on a session whose user is `caller`. Ordinary users
    /// get DolphinDB's no-privilege error; unknown names get the unknown-function error.
    pub async fn dispatch(
        &self,
        caller: &str,
        name: &str,
        args: Vec<Value>,
    ) -> Result<Value, String> {
        if caller != CLUSTER_USER {
            return Err(format!(
                "<NoPrivilege>Not granted to call the internal function {name}"
            ));
        }
        let h = lock_read(&self.internal).get(name).cloned();
        match h {
            Some(h) => h(args).await,
            None => Err(format!("Can't recognize function name {name}")),
        }
    }

    /// Calls `function` on the node at `addr` (`host:port`).
    pub async fn call(
        &self,
        addr: &str,
        function: &str,
        args: Vec<Value>,
        opts: CallOptions,
    ) -> Result<Value, RpcError> {
        self.pool.call(addr, function, args, opts).await
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// Runs a future to completion from synchronous code (a script function on a worker thread).
/// Errors when there is no runtime to run it on.
pub fn block_on<F: Future>(handle: &tokio::runtime::Handle, f: F) -> Result<F::Output, String> {
    match tokio::runtime::Handle::try_current() {
        Err(_) => Ok(handle.block_on(f)),
        Ok(h) => match h.runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => {
                Ok(tokio::task::block_in_place(|| handle.block_on(f)))
            }
            _ => Err("This call can't wait on a single-threaded runtime".to_string()),
        },
    }
}

/// A BLOB scalar: how internal calls carry serialized payloads.
pub fn blob(bytes: Vec<u8>) -> Value {
    Value::Scalar(Vector::new(DataType::Blob, Data::Blob(vec![bytes])))
}

/// The bytes of a BLOB (or STRING) scalar.
pub fn blob_bytes(v: &Value) -> Option<&[u8]> {
    match v {
        Value::Scalar(s) => match &s.data {
            Data::Blob(b) => b.first().map(|x| x.as_slice()),
            Data::Str(x) => x.first().map(|x| x.as_bytes()),
            _ => None,
        },
        _ => None,
    }
}

/// A serde value as a BLOB scalar (JSON).
pub fn to_blob<T: serde::Serialize>(x: &T) -> Result<Value, String> {
    serde_json::to_vec(x)
        .map(blob)
        .map_err(|e| format!("Failed to serialize an internal message: {e}"))
}

/// The serde value in a BLOB scalar argument.
pub fn from_blob<T: serde::de::DeserializeOwned>(v: Option<&Value>) -> Result<T, String> {
    let bytes = v
        .and_then(blob_bytes)
        .ok_or("An internal call expects a BLOB argument")?;
    serde_json::from_slice(bytes).map_err(|e| format!("Failed to read an internal message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_matches_only_its_own_token() {
        let c = Credential::from_config(Some("s3cret"));
        assert!(c.matches(CLUSTER_USER, c.token()));
        assert!(!c.matches("admin", c.token()));
        assert!(!c.matches(CLUSTER_USER, "s3cret"));
        assert!(!c.matches(CLUSTER_USER, Credential::from_config(None).token()));
        assert_eq!(
            Credential::from_config(Some(" ")),
            Credential::from_config(None)
        );
        assert_eq!(c.token().len(), 64);
    }

    #[tokio::test]
    async fn dispatch_refuses_ordinary_users_and_unknown_names() {
        let rpc = Rpc::new(Credential::from_config(None));
        rpc.register("__cluster_echo", |args| async move {
            Ok(Value::int(args.len() as i32))
        });
        let e = rpc
            .dispatch("admin", "__cluster_echo", vec![])
            .await
            .unwrap_err();
        assert!(e.starts_with("<NoPrivilege>"), "{e}");
        let v = rpc
            .dispatch(CLUSTER_USER, "__cluster_echo", vec![Value::int(1)])
            .await
            .unwrap();
        assert_eq!(v.as_i64(), Some(1));
        let e = rpc
            .dispatch(CLUSTER_USER, "__cluster_nope", vec![])
            .await
            .unwrap_err();
        assert_eq!(e, "Can't recognize function name __cluster_nope");
    }

    #[test]
    fn blobs_round_trip_json() {
        let v = to_blob(&vec![1u64, 2, 3]).unwrap();
        let back: Vec<u64> = from_blob(Some(&v)).unwrap();
        assert_eq!(back, vec![1, 2, 3]);
        assert!(from_blob::<Vec<u64>>(Some(&Value::int(1))).is_err());
    }
}
