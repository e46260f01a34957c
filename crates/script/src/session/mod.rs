//! A script session: variables and functions that persist across requests, and the entry
//! points the server calls (`run_script`, `run_function`).
//!
//! Each request runs on a thread with a large stack (`STACK_BYTES`), so deep recursion in a
//! script meets the interpreter's depth limit, never the thread's stack end. A thread that was
//! started with such a stack says so once (`declare_big_stack`; the server's workers do) and
//! requests then run on it directly; on any other thread a request runs on a thread spawned
//! for it. `print` output is passed to the caller's callback as it happens.

pub mod shared;

use std::cell::Cell;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use value::{DataType, Table, Value, Vector};

use crate::ast::Expr;
use crate::builtins::Host;
use crate::interp::{Interpreter, SessionState};
use crate::parser::{parse_expression, parse_program};
use crate::{Error, Result};

/// Stack of the thread that runs one request (virtual memory; pages are used on demand).
pub const STACK_BYTES: usize = 256 << 20;

thread_local! {
    /// Whether this thread's stack has `STACK_BYTES` (`declare_big_stack`).
    static BIG_STACK: Cell<bool> = const { Cell::new(false) };
}

/// Declares that the calling thread was spawned with a stack of at least `STACK_BYTES`, so
/// sessions run requests on it directly instead of on a thread of their own. Call it first
/// thing in such a thread (the server's worker pool does); a wrong declaration turns deep
/// recursion into a stack overflow.
pub fn declare_big_stack() {
    BIG_STACK.with(|b| b.set(true));
}

fn on_big_stack() -> bool {
    BIG_STACK.with(|b| b.get())
}

pub struct Session {
    host: Arc<dyn Host>,
    state: SessionState,
}

impl Session {
    pub fn new(host: Arc<dyn Host>) -> Session {
        Session {
            host,
            state: SessionState::default(),
        }
    }

    /// Runs a script; Ok(None) when the last statement has no value.
    pub fn run_script(&mut self, text: &str, out: &mut dyn FnMut(&str)) -> Result<Option<Value>> {
        let host = self.host.clone();
        run_on_big_stack(&mut self.state, out, move |state, print| {
            let mut last = None;
            for part in split_go(text) {
                let prog = {
                    let st: &SessionState = state;
                    let prog = parse_program(part, &|n| Interpreter::is_function_name(st, n))?;
                    let known = SessionNames {
                        state: st,
                        host: &*host,
                    };
                    crate::resolve::check(&prog, &known)?;
                    prog
                };
                let mut interp = Interpreter::new(state, host.clone(), print);
                last = interp.run_program(&prog)?;
            }
            Ok(last)
        })
    }

    /// What a client receives for a result: a DFS table handle becomes the table's rows (as
    /// DolphinDB sends a DFS table), an error past `max_bytes` (`CLIENT_TABLE_BYTES_MAX`).
    pub fn client_value(&self, v: Value, max_bytes: usize) -> Result<Value> {
        crate::sql::dfs::client_value(&*self.host, v, max_bytes)
    }

    /// Runs a `function` request: `func` may be an expression such as `f{0}` or
    /// `tableInsert{'t'}`.
    pub fn run_function(
        &mut self,
        func: &str,
        args: Vec<Value>,
        out: &mut dyn FnMut(&str),
    ) -> Result<Option<Value>> {
        let host = self.host.clone();
        run_on_big_stack(&mut self.state, out, move |state, print| {
            let expr = {
                let st: &SessionState = state;
                parse_expression(func, &|n| Interpreter::is_function_name(st, n))?
            };
            let mut interp = Interpreter::new(state, host, print);
            // `tableInsert{t}` / `append!{t}` given the rows (how clients stream into a table):
            // run as the call written out, so the table grows where it is stored; the partial
            // application would hold a second reference to it and force a copy.
            if let Expr::Partial(callee, fixed) = &expr {
                let appends =
                    matches!(&**callee, Expr::Var(f) if f == "tableInsert" || f == "append!");
                if appends
                    && matches!(fixed.first(), Some(Some(Expr::Var(_))))
                    && fixed.iter().all(Option::is_some)
                {
                    let mut call_args: Vec<Expr> = fixed.iter().flatten().cloned().collect();
                    call_args.extend(args.into_iter().map(Expr::Const));
                    return interp
                        .eval(&Expr::Call(callee.clone(), call_args))
                        .map(Some);
                }
            }
            let f = interp.eval_function(&expr)?;
            interp.call_value(&f, args).map(Some)
        })
    }

    pub fn set_variable(&mut self, name: &str, mut v: Value) {
        if let Value::Table(t) = &mut v {
            Arc::make_mut(t).name = name.to_string();
        }
        self.state.vars.insert(name.to_string(), v);
    }

    pub fn clear_variables(&mut self) {
        self.state.vars.clear();
    }

    /// A session variable, for tests and the server's introspection.
    pub fn variable(&self, name: &str) -> Option<&Value> {
        self.state.vars.get(name)
    }
}

/// Runs `job` on a thread with a `STACK_BYTES` stack (this one when it has such a stack, else a
/// new one); its prints reach `out` as they happen.
fn run_on_big_stack<F>(
    state: &mut SessionState,
    out: &mut dyn FnMut(&str),
    job: F,
) -> Result<Option<Value>>
where
    F: FnOnce(&mut SessionState, &mut dyn FnMut(&str)) -> Result<Option<Value>> + Send,
{
    if on_big_stack() {
        return job(state, out);
    }
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("script".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, move || {
                let mut print = |text: &str| {
                    let _ = tx.send(text.to_string());
                };
                job(state, &mut print)
            })
            .map_err(|e| Error::new(format!("Can't start the script thread: {}", e)))?;
        for text in rx {
            out(&text);
        }
        match worker.join() {
            Ok(r) => r,
            Err(_) => Err(Error::new("Internal error while running the script")),
        }
    })
}

/// Splits a script at lines that hold only `go`: each part is parsed after the previous one ran.
pub fn split_go(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let word = line.trim().trim_end_matches(';').trim();
        if word == "go" {
            parts.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    parts.push(&text[start..]);
    parts
}

/// A node with one session and no network: the conformance runner's and unit tests' host.
/// The names a session knows before a script runs, for the resolve pass.
struct SessionNames<'a> {
    state: &'a SessionState,
    host: &'a dyn Host,
}

impl crate::resolve::Known for SessionNames<'_> {
    fn top_level(&self, name: &str) -> bool {
        self.state.vars.contains_key(name) || self.in_function(name)
    }

    fn in_function(&self, name: &str) -> bool {
        Interpreter::is_function_name(self.state, name)
            || crate::interp::constant(name).is_some()
            || self.host.shared(name).is_some()
    }
}

/// Most shared objects a `LocalHost` holds.
pub const LOCAL_SHARED_OBJECTS_MAX: usize = 65_535;

pub struct LocalHost {
    shared: shared::SharedObjects,
    user: Mutex<String>,
    /// A DFS for tests (helper dfs): `LocalHost::with_dfs`.
    dfs: Option<Arc<dyn crate::dfs::Dfs>>,
    /// Users and privileges, in memory.
    acl: Arc<crate::acl::LocalAcl>,
}

impl Default for LocalHost {
    fn default() -> Self {
        LocalHost {
            shared: shared::SharedObjects::new(LOCAL_SHARED_OBJECTS_MAX),
            user: Mutex::new("admin".to_string()),
            dfs: None,
            acl: Arc::new(crate::acl::LocalAcl::in_memory()),
        }
    }
}

impl LocalHost {
    pub fn new() -> LocalHost {
        LocalHost::default()
    }

    /// A local host whose `dfs()` is `dfs` (the DFS conformance runner's).
    pub fn with_dfs(dfs: Arc<dyn crate::dfs::Dfs>) -> LocalHost {
        LocalHost {
            dfs: Some(dfs),
            ..LocalHost::default()
        }
    }
}

impl Host for LocalHost {
    fn node_alias(&self) -> String {
        "local8848".to_string()
    }

    fn node_type(&self) -> i32 {
        3
    }

    fn session_id(&self) -> i64 {
        1
    }

    fn user(&self) -> String {
        self.user
            .lock()
            .map(|u| u.clone())
            .unwrap_or_else(|_| "guest".to_string())
    }

    fn console_jobs(&self) -> Table {
        Table::new(
            vec!["sessionId".into(), "userID".into()],
            vec![
                Vector::from_i64(DataType::Long, vec![1]),
                Vector::from_strings(vec![self.user()]),
            ],
        )
    }

    fn login(&self, user: &str, password: &str) -> Result<()> {
        use crate::acl::AclStore;
        let acl = self.acl.snapshot(true).map_err(Error::new)?;
        if !acl.check_password(user, password) {
            return Err(Error::new(crate::acl::BAD_LOGIN));
        }
        if let Ok(mut u) = self.user.lock() {
            *u = user.to_string();
        }
        Ok(())
    }

    fn logout(&self) {
        if let Ok(mut u) = self.user.lock() {
            *u = "guest".to_string();
        }
    }

    fn share(&self, name: &str, v: Value) -> Result<()> {
        match self.shared.share(name, v) {
            Ok(()) => Ok(()),
            Err(shared::ShareError::Exists) => Err(Error::new(format!(
                "The shared table [{}] already exists.",
                name
            ))),
            Err(shared::ShareError::Full) => Err(Error::new(format!(
                "A node holds at most {LOCAL_SHARED_OBJECTS_MAX} shared objects"
            ))),
        }
    }

    fn shared(&self, name: &str) -> Option<Value> {
        self.shared.get(name)
    }

    fn shared_names(&self) -> Vec<String> {
        self.shared.names()
    }

    fn is_shared(&self, name: &str) -> bool {
        self.shared.contains(name)
    }

    fn set_shared(&self, name: &str, v: Value) -> Result<()> {
        if !self.shared.replace(name, v)? {
            return Err(Error::new(format!(
                "The shared object [{name}] does not exist"
            )));
        }
        Ok(())
    }

    fn update_shared(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> Result<()>,
    ) -> Result<bool> {
        self.shared.update(name, f)
    }

    fn update_shared_in_place(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> Result<()>,
    ) -> Result<bool> {
        self.shared.update_in_place(name, f)
    }

    fn unshare(&self, name: &str) -> bool {
        self.shared.remove(name)
    }

    fn dfs(&self) -> Option<Arc<dyn crate::dfs::Dfs>> {
        let dfs = self.dfs.clone()?;
        Some(crate::acl::guard_dfs(dfs, &self.user(), self.acl.clone()))
    }

    fn acl(&self) -> Option<Arc<dyn crate::acl::AclStore>> {
        Some(self.acl.clone())
    }
}

#[cfg(test)]
mod tests;
