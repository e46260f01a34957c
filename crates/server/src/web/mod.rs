//! The web console: static pages from `web/` (embedded, `assets`) and a small JSON API under
//! `/api/` on the node's one port (contract: docs/web.md). A browser logs in once and gets an
//! HttpOnly cookie naming a server session (`sessions`); its scripts run on the worker pool in
//! that session's engine, as a binary-API connection's do. Every answer of the API is JSON,
//! errors included (`{"ok":false,"error":...}`), never an empty page.
//!
//! A controller that follows in the Raft group sends browsers to the leader: pages with a
//! redirect, API calls with status 421 and the leader's URL.

pub mod assets;
pub mod json;
pub mod sessions;

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value as Json};
use tokio::sync::oneshot;
use value::{Value, Vector};

use crate::config::Mode;
use crate::node::{now_ms, JobInfo, Node, SessionState, GUEST};
use sessions::{Lookup, COOKIE as SESSION_COOKIE};

pub type Resp = Response<Full<Bytes>>;

/// Largest request body the API reads (a script).
pub const BODY_BYTES_MAX: usize = 4 << 20;
/// Longest wait for a request body.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a script sent to another node of the cluster may run.
pub const REMOTE_RUN_TIMEOUT: Duration = Duration::from_secs(600);
/// The internal call that runs a console script on another node (`serve_remote_runs`).
pub const REMOTE_RUN: &str = "__cluster_web_run";
/// Job priority of console scripts (the binary API's default).
const WEB_PRIORITY: u8 = 4;
/// Bound on the leader lookup of a controller.
const LEADER_LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

pub const LOGIN_REQUIRED: &str = "Login is required. Please log in.";
pub const SESSION_GONE: &str =
    "Your session has expired or you have logged out. Please log in again.";

/// An API failure: HTTP status and message (`extra` adds fields, e.g. the leader's URL).
pub struct ApiError {
    status: StatusCode,
    message: String,
    extra: Option<(&'static str, Json)>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            extra: None,
        }
    }

    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn login(message: &str) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: message.into(),
            extra: Some(("login", Json::Bool(true))),
        }
    }
}

fn json_response(status: StatusCode, body: &Json) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn error_response(e: ApiError) -> Resp {
    let mut body = json!({"ok": false, "error": e.message});
    if let Some((k, v)) = e.extra {
        body[k] = v;
    }
    json_response(e.status, &body)
}

/// Whether the web console needs a login before anything (`webLoginRequired`).
fn login_required(node: &Node) -> bool {
    node.config
        .value("webLoginRequired")
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1"))
        || node.config.enable_client_auth
}

/// On a controller that follows: the leader's `http://host:port`. None on the leader, on other
/// nodes, and while no leader is known (the page then serves and says so).
pub async fn leader_elsewhere(node: &Node) -> Option<String> {
    if node.config.mode != Mode::Controller {
        return None;
    }
    let rpc = node.rpc.get()?;
    let ask = rpc.dispatch(cluster::rpc::CLUSTER_USER, "__cluster_leader", Vec::new());
    let site = tokio::time::timeout(LEADER_LOOKUP_TIMEOUT, ask)
        .await
        .ok()?
        .ok()?;
    let site = site.as_str()?.to_string();
    // host:port:alias
    let mut parts = site.rsplitn(2, ':');
    let alias = parts.next()?;
    let addr = parts.next()?;
    if alias.is_empty() || addr.is_empty() || alias == node.alias() {
        return None;
    }
    Some(format!("http://{addr}"))
}

/// A page (GET of `/` or an asset): the embedded file, or a redirect to the leader.
pub async fn page(node: &Arc<Node>, path: &str) -> Option<Resp> {
    let asset = assets::find(path)?;
    if let Some(leader) = leader_elsewhere(node).await {
        let mut resp = Response::new(Full::new(Bytes::from(format!(
            "This controller is not the leader; the cluster manager is at {leader}/\n"
        ))));
        *resp.status_mut() = StatusCode::FOUND;
        if let Ok(v) = HeaderValue::from_str(&format!("{leader}{path}")) {
            resp.headers_mut().insert(LOCATION, v);
        }
        return Some(resp);
    }
    let mut resp = Response::new(Full::new(Bytes::from_static(asset.body)));
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(resp)
}

/// Who is calling: a live web session, nobody, or a session that is gone.
enum Caller {
    User(Arc<SessionState>, String),
    Guest,
    Gone,
}

/// A session to run in: the caller's, or a guest session of its own closed when dropped.
struct RunSession<'a> {
    node: &'a Node,
    session: Arc<SessionState>,
    temporary: bool,
}

impl<'a> RunSession<'a> {
    /// A temporary session of the same user: for the pages' own queries, which need none of
    /// the console's variables and must not wait while the console runs a long script.
    fn scratch(self, remote: SocketAddr) -> Result<RunSession<'a>, ApiError> {
        if self.temporary {
            return Ok(self);
        }
        let session = self
            .node
            .open_session(remote)
            .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e))?;
        session.set_user(&self.session.user());
        Ok(RunSession {
            node: self.node,
            session,
            temporary: true,
        })
    }
}

impl Drop for RunSession<'_> {
    fn drop(&mut self) {
        if self.temporary {
            self.node.close_session(self.session.id);
        }
    }
}

/// What a script (or function) gave: its value and its `print` output.
pub struct Ran {
    pub value: Option<Value>,
    pub output: Vec<String>,
}

/// Serves `/api/...`.
pub async fn api(node: &Arc<Node>, req: Request<Incoming>, remote: SocketAddr) -> Resp {
    for id in node.web_sessions.sweep(sessions::IDLE_DEFAULT) {
        node.close_session(id);
    }
    match api_inner(node, req, remote).await {
        Ok(resp) => resp,
        Err(e) => error_response(e),
    }
}

async fn api_inner(
    node: &Arc<Node>,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Result<Resp, ApiError> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let token = req
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| sessions::token_of(h).map(str::to_string));
    let caller = match &token {
        None => Caller::Guest,
        Some(t) => match node.web_sessions.get(t, sessions::IDLE_DEFAULT) {
            Lookup::Live(s) => Caller::User(s, t.clone()),
            Lookup::Gone => Caller::Gone,
        },
    };
    if path != "/api/whoami" {
        if let Some(leader) = leader_elsewhere(node).await {
            return Err(ApiError {
                status: StatusCode::MISDIRECTED_REQUEST,
                message: format!("This controller is not the leader; use {leader}/"),
                extra: Some(("leader", Json::String(format!("{leader}/")))),
            });
        }
    }
    let is_get = method == Method::GET || method == Method::HEAD;
    let is_post = method == Method::POST;
    match path.as_str() {
        "/api/whoami" if is_get => whoami(node, &caller).await,
        "/api/login" if is_post => {
            let body = read_json(req).await?;
            login(node, &caller, body, remote).await
        }
        "/api/logout" if is_post => Ok(logout(node, &caller, token.as_deref())),
        "/api/run" if is_post => {
            let body = read_json(req).await?;
            let script = body
                .get("script")
                .and_then(Json::as_str)
                .ok_or_else(|| ApiError::bad("The request must carry a \"script\" string"))?;
            if script.trim().is_empty() {
                return Err(ApiError::bad("The script is empty"));
            }
            let target = body.get("node").and_then(Json::as_str).unwrap_or("");
            let fresh = body.get("fresh").and_then(Json::as_bool).unwrap_or(false);
            let mut rs = session_for(node, &caller, false, remote)?;
            if fresh {
                rs = rs.scratch(remote)?;
            }
            let ran = if target.is_empty() || target == node.alias() {
                run(node, &rs.session, Work::Script(script.to_string())).await
            } else {
                run_remote(node, &rs.session.user(), target, script).await
            };
            Ok(ran_response(ran))
        }
        "/api/cluster" if is_get => {
            // A session of its own: the refresh never waits for the console's script.
            let rs = session_for(node, &caller, false, remote)?.scratch(remote)?;
            let f = Work::Function("getClusterPerf".into(), vec![Value::bool(true)]);
            Ok(ran_response(run(node, &rs.session, f).await))
        }
        "/api/nodes/start" | "/api/nodes/stop" if is_post => {
            let body = read_json(req).await?;
            let names: Vec<String> = body
                .get("nodes")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .filter(|v: &Vec<String>| !v.is_empty())
                .ok_or_else(|| {
                    ApiError::bad("The request must carry \"nodes\": a list of node aliases")
                })?;
            let rs = session_for(node, &caller, true, remote)?;
            // startDataNode/stopDataNode take data and compute nodes alike.
            let f = if path.ends_with("start") {
                "startDataNode"
            } else {
                "stopDataNode"
            };
            let arg = Value::vector(Vector::from_strings(names));
            Ok(ran_response(
                run(node, &rs.session, Work::Function(f.into(), vec![arg])).await,
            ))
        }
        p if p.starts_with("/api/")
            && matches!(
                p,
                "/api/whoami"
                    | "/api/login"
                    | "/api/logout"
                    | "/api/run"
                    | "/api/cluster"
                    | "/api/nodes/start"
                    | "/api/nodes/stop"
            ) =>
        {
            Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{p} does not accept {method}"),
            ))
        }
        p => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("Unknown API path {p}"),
        )),
    }
}

async fn read_json(req: Request<Incoming>) -> Result<Json, ApiError> {
    let body = Limited::new(req.into_body(), BODY_BYTES_MAX);
    let bytes = match tokio::time::timeout(BODY_READ_TIMEOUT, body.collect()).await {
        Err(_) => return Err(ApiError::bad("Timed out reading the request body")),
        Ok(Err(e)) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("The request body is larger than {BODY_BYTES_MAX} bytes"),
                ));
            }
            return Err(ApiError::bad(format!(
                "Failed to read the request body: {e}"
            )));
        }
        Ok(Ok(c)) => c.to_bytes(),
    };
    let v: Json = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad(format!("The request body is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(ApiError::bad("The request body must be a JSON object"));
    }
    Ok(v)
}

/// The session a request runs in. `action`: starting/stopping nodes and the like always need a
/// login; other requests need one when `webLoginRequired` (or `enableClientAuth`) is set.
fn session_for<'a>(
    node: &'a Node,
    caller: &Caller,
    action: bool,
    remote: SocketAddr,
) -> Result<RunSession<'a>, ApiError> {
    match caller {
        Caller::User(s, _) => Ok(RunSession {
            node,
            session: s.clone(),
            temporary: false,
        }),
        Caller::Gone => Err(ApiError::login(SESSION_GONE)),
        Caller::Guest if action || login_required(node) => Err(ApiError::login(LOGIN_REQUIRED)),
        Caller::Guest => {
            let session = node
                .open_session(remote)
                .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e))?;
            Ok(RunSession {
                node,
                session,
                temporary: true,
            })
        }
    }
}

async fn whoami(node: &Arc<Node>, caller: &Caller) -> Result<Resp, ApiError> {
    let user = match caller {
        Caller::User(s, _) => s.user(),
        _ => GUEST.to_string(),
    };
    let leader = leader_elsewhere(node).await;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "ok": true,
            "user": user,
            "loggedIn": matches!(caller, Caller::User(..)),
            "sessionExpired": matches!(caller, Caller::Gone),
            "node": node.alias(),
            "mode": node.config.mode.name(),
            "loginRequired": login_required(node),
            "leader": leader,
        }),
    ))
}

async fn login(
    node: &Arc<Node>,
    caller: &Caller,
    body: Json,
    remote: SocketAddr,
) -> Result<Resp, ApiError> {
    let user = body.get("user").and_then(Json::as_str).unwrap_or("").trim();
    let password = body.get("password").and_then(Json::as_str).unwrap_or("");
    if user.is_empty() {
        return Err(ApiError::bad("The user name is empty"));
    }
    // The script `login` checks the password as the node's users store (and ACL) does.
    let session = node
        .open_session(remote)
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e))?;
    let args = vec![Value::string(user), Value::string(password)];
    let ran = run(node, &session, Work::Function("login".into(), args)).await;
    if let Err(e) = ran {
        node.close_session(session.id);
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, e));
    }
    let token = match node.web_sessions.insert(session.clone()) {
        Ok(t) => t,
        Err(e) => {
            node.close_session(session.id);
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e));
        }
    };
    // A browser that logs in again ends its previous session.
    if let Caller::User(_, old) = caller {
        if let Some(id) = node.web_sessions.remove(old) {
            node.close_session(id);
        }
    }
    let mut resp = json_response(StatusCode::OK, &json!({"ok": true, "user": session.user()}));
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(resp)
}

fn logout(node: &Node, caller: &Caller, token: Option<&str>) -> Resp {
    if let (Caller::User(..), Some(t)) = (caller, token) {
        if let Some(id) = node.web_sessions.remove(t) {
            node.close_session(id);
        }
    }
    let mut resp = json_response(StatusCode::OK, &json!({"ok": true, "user": GUEST}));
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    resp
}

fn ran_response(ran: Result<Ran, String>) -> Resp {
    match ran {
        Ok(r) => json_response(
            StatusCode::OK,
            &json!({"ok": true, "result": json::result(r.value.as_ref()), "output": r.output}),
        ),
        // A script error is the script's answer, not a failed request: status 200.
        Err(e) => json_response(StatusCode::OK, &json!({"ok": false, "error": e})),
    }
}

/// What to run in a session.
pub enum Work {
    Script(String),
    Function(String, Vec<Value>),
}

/// Runs `work` in `session`'s engine on the worker pool, as a binary-API job does.
pub async fn run(node: &Arc<Node>, session: &Arc<SessionState>, work: Work) -> Result<Ran, String> {
    let (tx, rx) = oneshot::channel();
    let (n, s) = (node.clone(), session.clone());
    node.pool.submit(WEB_PRIORITY, move || {
        let _ = tx.send(run_now(&n, &s, work));
    })?;
    rx.await
        .unwrap_or_else(|_| Err("The job was cancelled".into()))
}

/// `run` on the calling thread.
pub fn run_now(node: &Arc<Node>, session: &Arc<SessionState>, work: Work) -> Result<Ran, String> {
    let desc = match &work {
        Work::Script(s) => s.clone(),
        Work::Function(f, _) => f.clone(),
    };
    let _running = node.start_job(JobInfo {
        root_job_id: String::new(),
        session_id: session.id,
        user: session.user(),
        job_type: "web",
        desc,
        priority: WEB_PRIORITY,
        parallelism: 1,
        receive_time_ms: now_ms(),
        remote: session.remote,
    });
    let mut output = Vec::new();
    let mut slot = session.engine.lock().unwrap_or_else(|e| e.into_inner());
    let engine = slot.get_or_insert_with(|| node.new_engine(session));
    let mut print = |s: &str| output.push(s.to_string());
    let outcome = catch_unwind(AssertUnwindSafe(|| match work {
        Work::Script(text) => engine.run_script(&text, &mut print),
        Work::Function(f, args) => engine.run_function(&f, args, &mut print),
    }));
    let result = match outcome {
        Ok(r) => r,
        Err(_) => {
            *slot = None;
            tracing::error!(session = session.id, "the script engine panicked");
            Err("Internal error: the script engine failed on this request".into())
        }
    };
    if result.is_err() {
        node.metrics
            .jobs_failed_total
            .fetch_add(1, Ordering::Relaxed);
    }
    result.map(|value| Ran { value, output })
}

/// The `host:port` of a cluster node, from the leader's `getClusterPerf`.
fn address_of(node: &Node, alias: &str) -> Result<String, String> {
    let perf = node
        .node_function("getClusterPerf", &[Value::bool(true)])
        .ok_or("This node is not part of a cluster")??;
    let Value::Table(t) = perf else {
        return Err("getClusterPerf did not return a table".into());
    };
    let col = |n: &str| {
        t.column(n)
            .ok_or(format!("getClusterPerf has no column {n}"))
    };
    let (names, hosts, ports) = (col("name")?, col("host")?, col("port")?);
    for i in 0..t.rows() {
        if value::display::element_string(names, i) == alias {
            return Ok(format!(
                "{}:{}",
                value::display::element_string(hosts, i),
                value::display::element_string(ports, i)
            ));
        }
    }
    Err(format!("The node [{alias}] is not a member of the cluster"))
}

/// Runs a console script on another node of the cluster as `user` (`REMOTE_RUN`).
async fn run_remote(
    node: &Arc<Node>,
    user: &str,
    alias: &str,
    script: &str,
) -> Result<Ran, String> {
    let rpc = node
        .rpc
        .get()
        .cloned()
        .ok_or("This node is not part of a cluster")?;
    let n = node.clone();
    let a = alias.to_string();
    let addr = tokio::task::spawn_blocking(move || address_of(&n, &a))
        .await
        .map_err(|_| "The node lookup failed".to_string())??;
    let args = vec![Value::string(user), Value::string(script)];
    let got = rpc
        .call(
            &addr,
            REMOTE_RUN,
            args,
            cluster::rpc::CallOptions::once(REMOTE_RUN_TIMEOUT),
        )
        .await
        .map_err(|e| match e {
            cluster::rpc::RpcError::Remote(m) => m,
            e => format!("The node [{alias}] did not answer: {e}"),
        })?;
    // (value, output): a tuple of the value (or NULL) and the print lines.
    let items = match &got {
        Value::Vector(v) if v.ty == value::DataType::Any && v.len() == 2 => {
            let get = |i: usize| match &v.data {
                value::Data::Any(x) => x[i].clone(),
                _ => Value::void(),
            };
            (get(0), get(1))
        }
        _ => return Err(format!("The node [{alias}] answered in an unexpected form")),
    };
    let value = match items.0 {
        Value::Scalar(s) if s.ty == value::DataType::Void => None,
        v => Some(v),
    };
    let output = match &items.1 {
        Value::Vector(v) => (0..v.len())
            .map(|i| value::display::element_string(v.as_ref(), i))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Ran { value, output })
}

/// Serves `REMOTE_RUN` on this node: `(user, script)` from a node of the same cluster (the
/// caller logged in with the cluster credential, which scripts can't use) runs in a session of
/// its own as that user. Called by the binary once the node's `rpc` is set.
pub fn serve_remote_runs(node: &Arc<Node>) {
    let Some(rpc) = node.rpc.get() else { return };
    let w = Arc::downgrade(node);
    rpc.register_blocking(REMOTE_RUN, move |args| {
        let node = w.upgrade().ok_or("The node is shutting down")?;
        let (Some(user), Some(script)) = (
            args.first().and_then(Value::as_str),
            args.get(1).and_then(Value::as_str),
        ) else {
            return Err(format!("{REMOTE_RUN} expects a user and a script"));
        };
        let local: SocketAddr = ([127, 0, 0, 1], 0).into();
        let session = node.open_session(local)?;
        session.set_user(user);
        let ran = run_now(&node, &session, Work::Script(script.to_string()));
        node.close_session(session.id);
        let ran = ran?;
        Ok(Value::tuple(vec![
            ran.value.unwrap_or_else(Value::void),
            Value::vector(Vector::from_strings(ran.output)),
        ]))
    });
}
