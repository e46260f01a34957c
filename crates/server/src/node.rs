//! The node's state shared by every connection: users, sessions, running jobs, shared objects
//! and counters, plus `SessionHost`, the `script::Host` a session's engine talks to.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use script::acl::{AclStore, LocalAcl};
use script::Host;
use value::{Data, DataType, Table, Value, Vector};

use crate::config::Config;
use crate::engine::{Engine, EngineFactory};
use crate::pool::WorkerPool;
use crate::shared::SharedObjects;
use crate::streaming::{stream_table, topic, Streaming};

/// The user of a session that has not logged in.
pub const GUEST: &str = script::acl::GUEST;
/// DolphinDB's wording for a failed login.
pub const BAD_LOGIN: &str = script::acl::BAD_LOGIN;
/// Most sessions (connections) a node holds at once, beyond `maxConnections`' own check.
pub const SESSIONS_MAX: usize = 65_536;
/// Longest job description kept for `getConsoleJobs()`.
pub const JOB_DESC_CHARS_MAX: usize = 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The node's users and privileges (`script::acl`): a standalone node's own store until the
/// binary sets another (a file under the home directory, or the controllers' replicated state
/// on a cluster node). Every login and privilege check goes through it.
pub struct Users {
    store: RwLock<Arc<dyn AclStore>>,
}

impl Default for Users {
    fn default() -> Self {
        Users {
            store: RwLock::new(Arc::new(LocalAcl::in_memory())),
        }
    }
}

impl Users {
    /// Whether a login is valid (against the latest committed users on a cluster).
    pub fn check(&self, user: &str, password: &str) -> bool {
        // Names starting with `__` are no user's (the cluster credential is checked apart): no
        // need to ask the controllers, which may be the ones connecting.
        if user.starts_with("__") {
            return false;
        }
        match self.store().snapshot(true) {
            Ok(acl) => acl.check_password(user, password),
            Err(e) => {
                tracing::warn!("a login for {user} could not be checked: {e}");
                false
            }
        }
    }

    pub fn store(&self) -> Arc<dyn AclStore> {
        self.store.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the store (at start, before serving).
    pub fn set_store(&self, store: Arc<dyn AclStore>) {
        *self.store.write().unwrap_or_else(|e| e.into_inner()) = store;
    }
}

/// One client session: its user, its peer, and its engine (created on the first job).
pub struct SessionState {
    pub id: i64,
    pub remote: SocketAddr,
    user: RwLock<String>,
    /// Locked for the whole of a job: one job per session at a time.
    pub engine: Mutex<Option<Box<dyn Engine>>>,
}

impl SessionState {
    pub fn new(id: i64, remote: SocketAddr, user: &str) -> SessionState {
        SessionState {
            id,
            remote,
            user: RwLock::new(user.to_string()),
            engine: Mutex::new(None),
        }
    }

    pub fn user(&self) -> String {
        self.user.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_user(&self, user: &str) {
        *self.user.write().unwrap_or_else(|e| e.into_inner()) = user.to_string();
    }

    pub fn is_guest(&self) -> bool {
        self.user() == GUEST
    }
}

/// A job that is running now, as `getConsoleJobs()` shows it.
#[derive(Clone, Debug)]
pub struct JobInfo {
    pub root_job_id: String,
    pub session_id: i64,
    pub user: String,
    pub job_type: &'static str,
    pub desc: String,
    pub priority: u8,
    pub parallelism: u32,
    /// Milliseconds since the epoch.
    pub receive_time_ms: i64,
    pub remote: SocketAddr,
}

/// Counters for `/metrics`.
#[derive(Default)]
pub struct Metrics {
    pub connections_total: AtomicU64,
    pub connections_open: AtomicI64,
    pub jobs_total: AtomicU64,
    pub jobs_failed_total: AtomicU64,
    pub bad_requests_total: AtomicU64,
}

pub struct Node {
    pub config: Config,
    pub users: Users,
    pub metrics: Metrics,
    pub pool: WorkerPool,
    pub streaming: Streaming,
    pub started: Instant,
    engine_factory: EngineFactory,
    sessions: Mutex<HashMap<i64, Arc<SessionState>>>,
    jobs: Mutex<HashMap<u64, JobInfo>>,
    shared: SharedObjects,
    next_session: AtomicI64,
    next_job: AtomicU64,
    me: Weak<Node>,
    /// The node's DFS (helper dfs): set once at start by the binary.
    pub dfs: std::sync::OnceLock<Arc<dyn script::dfs::Dfs>>,
    /// Cluster-internal calls (`__cluster_*`) and node functions of cluster nodes (helper raft):
    /// set once at start by the binary on a cluster node; see `cluster::rpc`.
    pub rpc: std::sync::OnceLock<Arc<cluster::rpc::Rpc>>,
    /// Logged-in browsers of the web console (`web`).
    pub web_sessions: crate::web::sessions::WebSessions,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Node {
    pub fn new(config: Config, engine_factory: EngineFactory) -> std::io::Result<Arc<Node>> {
        let pool = WorkerPool::new(config.worker_num)?;
        // Session ids are decimal digits; start from the clock so ids differ across restarts.
        let first = 1_000_000_000 + (now_ms() / 1000 % 1_000_000) * 1000;
        Ok(Arc::new_cyclic(|me| Node {
            config,
            users: Users::default(),
            metrics: Metrics::default(),
            pool,
            streaming: Streaming::default(),
            started: Instant::now(),
            engine_factory,
            sessions: Mutex::new(HashMap::new()),
            jobs: Mutex::new(HashMap::new()),
            shared: SharedObjects::default(),
            next_session: AtomicI64::new(first),
            next_job: AtomicU64::new(1),
            me: me.clone(),
            dfs: std::sync::OnceLock::new(),
            rpc: std::sync::OnceLock::new(),
            web_sessions: Default::default(),
        }))
    }

    pub fn alias(&self) -> &str {
        &self.config.local_site.alias
    }

    /// Opens a guest session for a new connection.
    pub fn open_session(&self, remote: SocketAddr) -> Result<Arc<SessionState>, String> {
        let mut sessions = lock(&self.sessions);
        if sessions.len() >= SESSIONS_MAX {
            return Err(format!("The node already has {SESSIONS_MAX} sessions"));
        }
        let id = self.next_session.fetch_add(1, Ordering::Relaxed);
        let s = Arc::new(SessionState::new(id, remote, GUEST));
        sessions.insert(id, s.clone());
        Ok(s)
    }

    pub fn close_session(&self, id: i64) {
        lock(&self.sessions).remove(&id);
    }

    pub fn session_count(&self) -> usize {
        lock(&self.sessions).len()
    }

    /// A fresh engine for `session`, wired to this node.
    pub fn new_engine(&self, session: &Arc<SessionState>) -> Box<dyn Engine> {
        let host = Arc::new(SessionHost {
            node: self.me.clone(),
            session: Arc::downgrade(session),
            session_id: session.id,
        });
        (self.engine_factory)(host)
    }

    /// Runs `func(args...)` as `user` in a session of its own, on the calling thread: a call
    /// another node of the cluster makes for one of its users (`rpc`, `pnodeRun`), so this
    /// node checks that user's privileges. `setup` runs first (it defines a user function
    /// shipped as its source text). Print output goes to the log.
    pub fn call_as(
        &self,
        user: &str,
        setup: &str,
        func: &str,
        args: Vec<Value>,
    ) -> Result<Value, String> {
        let local: SocketAddr = ([127, 0, 0, 1], 0).into();
        let session = self.open_session(local)?;
        session.set_user(user);
        let mut engine = self.new_engine(&session);
        let mut print = |s: &str| tracing::info!("{s}");
        let run = || -> Result<Value, String> {
            if !setup.is_empty() {
                engine.run_script(setup, &mut print)?;
            }
            Ok(engine
                .run_function(func, args, &mut print)?
                .unwrap_or_else(Value::void))
        };
        let result = run();
        drop(engine);
        self.close_session(session.id);
        result
    }

    /// Runs a script as the administrator in a session of its own (the `init`/`-script` and
    /// `startup` scripts), on the calling thread. Print output goes to the log.
    pub fn run_system_script(&self, text: &str) -> Result<(), String> {
        let local: SocketAddr = ([127, 0, 0, 1], 0).into();
        let session = self.open_session(local)?;
        session.set_user("admin");
        let mut engine = self.new_engine(&session);
        let mut print = |s: &str| tracing::info!("{s}");
        let result = engine.run_script(text, &mut print).map(|_| ());
        drop(engine);
        self.close_session(session.id);
        result
    }

    /// Records a running job; the returned guard removes it when dropped.
    pub fn start_job(&self, mut info: JobInfo) -> JobGuard<'_> {
        let id = self.next_job.fetch_add(1, Ordering::Relaxed);
        if info.root_job_id.is_empty() {
            info.root_job_id = job_uuid(id);
        }
        if info.desc.chars().count() > JOB_DESC_CHARS_MAX {
            info.desc = info.desc.chars().take(JOB_DESC_CHARS_MAX).collect();
        }
        lock(&self.jobs).insert(id, info);
        self.metrics.jobs_total.fetch_add(1, Ordering::Relaxed);
        JobGuard { node: self, id }
    }

    pub fn running_jobs(&self) -> Vec<JobInfo> {
        let mut v: Vec<JobInfo> = lock(&self.jobs).values().cloned().collect();
        v.sort_by_key(|j| j.receive_time_ms);
        v
    }

    /// `getConsoleJobs()`: every job running on this node.
    pub fn console_jobs(&self) -> Table {
        let jobs = self.running_jobs();
        let strs =
            |f: &dyn Fn(&JobInfo) -> String| Vector::from_strings(jobs.iter().map(f).collect());
        let ints = |f: &dyn Fn(&JobInfo) -> i32| {
            Vector::from_i32(DataType::Int, jobs.iter().map(f).collect())
        };
        let names = [
            "node",
            "userID",
            "rootJobId",
            "jobType",
            "desc",
            "priority",
            "parallelism",
            "receiveTime",
            "sessionId",
            "remoteIP",
            "remotePort",
        ];
        let cols = vec![
            strs(&|_| self.alias().to_string()),
            strs(&|j| j.user.clone()),
            strs(&|j| j.root_job_id.clone()),
            strs(&|j| j.job_type.to_string()),
            strs(&|j| j.desc.clone()),
            ints(&|j| j.priority as i32),
            ints(&|j| j.parallelism.min(i32::MAX as u32) as i32),
            Vector::from_i64(
                DataType::Timestamp,
                jobs.iter().map(|j| j.receive_time_ms).collect(),
            ),
            Vector::from_i64(DataType::Long, jobs.iter().map(|j| j.session_id).collect()),
            Vector::new(
                DataType::IpAddr,
                Data::I128(jobs.iter().map(|j| ip_value(j.remote.ip())).collect()),
            ),
            ints(&|j| j.remote.port() as i32),
        ];
        Table::new(names.iter().map(|s| s.to_string()).collect(), cols)
    }

    pub fn share(&self, name: &str, v: Value) -> Result<(), String> {
        self.shared.share(name, v)?;
        self.streaming.notify(name);
        Ok(())
    }

    /// A snapshot of a shared object.
    pub fn shared(&self, name: &str) -> Option<Value> {
        self.shared.get(name)
    }

    /// Replaces a shared object (plain assignment).
    pub fn set_shared(&self, name: &str, v: Value) -> Result<(), String> {
        self.shared.set(name, v)?;
        // Subscribers of a stream table send the rows that are new.
        self.streaming.notify(name);
        Ok(())
    }

    /// Changes a shared object in place, atomically (`Host::update_shared`). Subscribers are
    /// woken after the object's lock is released: they read the published value.
    pub fn update_shared(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> script::Result<()>,
    ) -> script::Result<bool> {
        let found = self.shared.update(name, f)?;
        if found {
            self.streaming.notify(name);
        }
        Ok(found)
    }

    /// `update_shared` changing the stored value itself (`Host::update_shared_in_place`).
    pub fn update_shared_in_place(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> script::Result<()>,
    ) -> script::Result<bool> {
        let found = self.shared.update_in_place(name, f)?;
        if found {
            self.streaming.notify(name);
        }
        Ok(found)
    }

    pub fn unshare(&self, name: &str) -> bool {
        let removed = self.shared.remove(name);
        if removed {
            self.streaming.close_table(name);
        }
        removed
    }

    /// Whether a `connect` login is the cluster credential (`cluster::rpc`): only internal
    /// connections of a cluster node log in so; a script's `login` never does.
    pub fn is_cluster_login(&self, user: &str, password: &str) -> bool {
        self.rpc
            .get()
            .is_some_and(|r| r.is_cluster_login(user, password))
    }

    /// Functions the node provides to scripts (`Host::node_function`).
    pub fn node_function(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        if let Some(r) = self.rpc.get().and_then(|r| r.node_function(name, args)) {
            return Some(r); // cluster functions (helper raft)
        }
        Some(match name {
            "getSubscriptionTopic" => self.subscription_topic(args),
            "stopPublishTable" => self.streaming.stop(args),
            "getStreamingStat" => Ok(self.streaming.stat()),
            "setStreamTableFilterColumn" => self.streaming.set_filter_column(args),
            _ => return None,
        })
    }

    /// `getSubscriptionTopic(table, [action])`: `(topic, column names)`.
    fn subscription_topic(&self, args: &[Value]) -> Result<Value, String> {
        let table = args
            .first()
            .and_then(|v| v.as_str())
            .ok_or("The table argument of getSubscriptionTopic must be a string")?;
        let action = args.get(1).and_then(|v| v.as_str()).unwrap_or("");
        let t = stream_table(self.shared(table), table)?;
        Ok(Value::tuple(vec![
            Value::string(topic(&self.config.local_site, table, action)),
            Value::vector(Vector::from_strings(t.names.clone())),
        ]))
    }
}

/// An IP address as IPADDR holds it: IPv4 in the low 32 bits, IPv6 as its 128 bits.
pub fn ip_value(ip: IpAddr) -> i128 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4) as i128,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u32::from(v4) as i128,
            None => u128::from(v6) as i128,
        },
    }
}

/// A root job id in UUID text form, unique per node run.
fn job_uuid(n: u64) -> String {
    let t = now_ms() as u64;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (t >> 16) as u32,
        (t & 0xffff) as u16,
        0x4000 | ((n >> 48) & 0x0fff) as u16,
        0x8000 | ((n >> 36) & 0x0fff) as u16,
        n & 0xffff_ffff_ffff
    )
}

pub struct JobGuard<'a> {
    node: &'a Node,
    id: u64,
}

impl Drop for JobGuard<'_> {
    fn drop(&mut self) {
        lock(&self.node.jobs).remove(&self.id);
    }
}

/// The services a session's engine may ask of the node (`script::Host`).
pub struct SessionHost {
    node: Weak<Node>,
    session: Weak<SessionState>,
    session_id: i64,
}

impl SessionHost {
    fn node(&self) -> script::Result<Arc<Node>> {
        self.node
            .upgrade()
            .ok_or_else(|| script::Error::new("The node is shutting down"))
    }
}

impl Host for SessionHost {
    fn node_alias(&self) -> String {
        self.node
            .upgrade()
            .map(|n| n.alias().to_string())
            .unwrap_or_default()
    }

    fn node_type(&self) -> i32 {
        self.node
            .upgrade()
            .map(|n| n.config.mode.node_type())
            .unwrap_or(3)
    }

    fn session_id(&self) -> i64 {
        self.session_id
    }

    fn user(&self) -> String {
        self.session
            .upgrade()
            .map(|s| s.user())
            .unwrap_or_else(|| GUEST.to_string())
    }

    fn console_jobs(&self) -> Table {
        self.node
            .upgrade()
            .map(|n| n.console_jobs())
            .unwrap_or_default()
    }

    fn login(&self, user: &str, password: &str) -> script::Result<()> {
        let node = self.node()?;
        let acl = node
            .users
            .store()
            .snapshot(true)
            .map_err(script::Error::new)?;
        if !acl.check_password(user, password) {
            return Err(script::Error::new(BAD_LOGIN));
        }
        if let Some(s) = self.session.upgrade() {
            s.set_user(user);
        }
        Ok(())
    }

    fn logout(&self) {
        if let Some(s) = self.session.upgrade() {
            s.set_user(GUEST);
        }
    }

    fn share(&self, name: &str, v: Value) -> script::Result<()> {
        self.node()?.share(name, v).map_err(script::Error::new)
    }

    fn shared(&self, name: &str) -> Option<Value> {
        self.node.upgrade()?.shared(name)
    }

    fn shared_names(&self) -> Vec<String> {
        self.node
            .upgrade()
            .map(|n| n.shared.names())
            .unwrap_or_default()
    }

    fn is_shared(&self, name: &str) -> bool {
        self.node.upgrade().is_some_and(|n| n.shared.contains(name))
    }

    fn set_shared(&self, name: &str, v: Value) -> script::Result<()> {
        self.node()?.set_shared(name, v).map_err(script::Error::new)
    }

    fn update_shared(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> script::Result<()>,
    ) -> script::Result<bool> {
        self.node()?.update_shared(name, f)
    }

    fn update_shared_in_place(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> script::Result<()>,
    ) -> script::Result<bool> {
        self.node()?.update_shared_in_place(name, f)
    }

    fn unshare(&self, name: &str) -> bool {
        self.node.upgrade().is_some_and(|n| n.unshare(name))
    }

    fn config(&self, key: &str) -> Option<String> {
        self.node.upgrade()?.config.value(key)
    }

    fn dfs(&self) -> Option<Arc<dyn script::dfs::Dfs>> {
        let node = self.node.upgrade()?;
        let dfs = node.dfs.get().cloned()?; // helper dfs
                                            // Every use of the DFS is checked against the session user's privileges.
        Some(script::acl::guard_dfs(
            dfs,
            &self.user(),
            node.users.store(),
        ))
    }

    fn acl(&self) -> Option<Arc<dyn AclStore>> {
        Some(self.node.upgrade()?.users.store())
    }

    fn node_function(&self, name: &str, args: &[Value]) -> Option<script::Result<Value>> {
        let node = self.node.upgrade()?;
        node.node_function(name, args)
            .map(|r| r.map_err(script::Error::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::script_engine;

    fn node() -> Arc<Node> {
        let config = Config {
            worker_num: 1,
            ..Config::default()
        };
        Node::new(config, script_engine()).unwrap()
    }

    #[test]
    fn shared_objects_are_safe_under_concurrent_sessions() {
        let n = node();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let n = n.clone();
                std::thread::spawn(move || {
                    for k in 0..200 {
                        let name = format!("t{}", k % 10);
                        let _ = n.share(&name, Value::int(i));
                        let _ = n.shared(&name);
                        let _ = n.set_shared(&name, Value::int(k));
                        if k % 7 == 0 {
                            n.unshare(&name);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        n.share("x", Value::int(1)).unwrap();
        assert!(n
            .share("x", Value::int(2))
            .unwrap_err()
            .contains("already exists"));
        assert_eq!(n.shared("x").and_then(|v| v.as_i64()), Some(1));
    }

    #[test]
    fn console_jobs_show_running_jobs_with_their_options() {
        let n = node();
        let remote: SocketAddr = "127.0.0.1:50123".parse().unwrap();
        let s = n.open_session(remote).unwrap();
        let g = n.start_job(JobInfo {
            root_job_id: String::new(),
            session_id: s.id,
            user: s.user(),
            job_type: "script",
            desc: "getConsoleJobs()".into(),
            priority: 8,
            parallelism: 10,
            receive_time_ms: now_ms(),
            remote,
        });
        let t = n.console_jobs();
        assert_eq!(t.rows(), 1);
        assert_eq!(t.column("remoteIp").unwrap().ty, DataType::IpAddr);
        assert!(matches!(&t.column("priority").unwrap().data, Data::I32(p) if p == &vec![8]));
        assert!(matches!(&t.column("sessionId").unwrap().data, Data::I64(x) if x == &vec![s.id]));
        assert!(
            matches!(&t.column("remoteIP").unwrap().data, Data::I128(x) if x == &vec![0x7f00_0001])
        );
        drop(g);
        assert_eq!(n.console_jobs().rows(), 0);
    }

    #[test]
    fn login_goes_through_the_node_user_store() {
        let n = node();
        let s = n.open_session("127.0.0.1:1".parse().unwrap()).unwrap();
        let host = SessionHost {
            node: Arc::downgrade(&n),
            session: Arc::downgrade(&s),
            session_id: s.id,
        };
        assert_eq!(host.user(), GUEST);
        assert_eq!(
            host.login("admin", "nope").unwrap_err().message(),
            BAD_LOGIN
        );
        host.login("admin", "123456").unwrap();
        assert_eq!(s.user(), "admin");
        host.logout();
        assert!(s.is_guest());
    }
}
