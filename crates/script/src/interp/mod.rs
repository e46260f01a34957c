//! The tree-walking interpreter. Every operator is a call of a whole-vector built-in, so the
//! cost of walking the tree is per vector operation, not per element (DESIGN.md §3).
//!
//! Scopes: a user function sees its parameters and locals (and, for a lambda written inside a
//! function, the enclosing locals it captured), then shared objects, never session variables,
//! as in DolphinDB. Top-level code sees session variables, then shared objects. SQL pushes
//! column scopes, which are searched first.

mod assign;
mod eval;
pub mod func;
mod index;
pub mod items;
mod stmt;

use std::collections::HashMap;
use std::sync::Arc;

use value::{Table, Value};

use crate::ast::FuncDef;
use crate::builtins::{Env, Host};
use crate::{Error, Result};

pub use eval::constant;
pub use func::{as_code, as_function, Callable, CodeValue, FunctionValue};

/// Deepest nesting of user-function calls.
pub const CALL_DEPTH_MAX: u32 = 512;

/// Session state that outlives one script: variables and user-defined functions.
#[derive(Default, Debug, Clone)]
pub struct SessionState {
    pub vars: HashMap<String, Value>,
    pub funcs: HashMap<String, Arc<FuncDef>>,
}

/// Names visible to SQL expressions: a table's columns (case-insensitive) or named values.
pub enum Scope {
    Table(Arc<Table>),
    Values(HashMap<String, Value>),
}

impl Scope {
    fn get(&self, name: &str) -> Option<Value> {
        match self {
            Scope::Table(t) => t.column(name).map(|c| Value::Vector(c.clone())),
            Scope::Values(m) => m.get(name).cloned(),
        }
    }
}

/// A user function's frame.
struct Frame {
    locals: HashMap<String, Value>,
    captured: Arc<HashMap<String, Value>>,
    /// `mutable` parameters given a shared object: parameter name -> shared name. They read
    /// and change the shared object itself, as DolphinDB passes objects by reference.
    aliases: HashMap<String, String>,
}

/// Control flow out of a statement.
pub(crate) enum Flow {
    /// The statement finished; an expression statement carries its value.
    Normal(Option<Value>),
    Break,
    Continue,
    Return(Value),
}

pub struct Interpreter<'a> {
    pub state: &'a mut SessionState,
    host: Arc<dyn Host>,
    out: &'a mut dyn FnMut(&str),
    frames: Vec<Frame>,
    scopes: Vec<Scope>,
    /// Line of the statement being run, for error messages.
    line: u32,
    /// How the current built-in call's arguments were written (`Env::arg_names`).
    arg_names: Vec<Option<String>>,
    /// Keywords of the current built-in call that the interpreter left to the built-in
    /// (`Env::arg_keywords`).
    arg_keywords: Vec<Option<String>>,
    /// What the running in-place built-in gave through `Env::set_in_place`.
    in_place: Option<Value>,
    /// What the last finished built-in call gave through `Env::set_in_place`.
    in_place_done: Option<Value>,
}

impl<'a> Interpreter<'a> {
    pub fn new(
        state: &'a mut SessionState,
        host: Arc<dyn Host>,
        out: &'a mut dyn FnMut(&str),
    ) -> Interpreter<'a> {
        Interpreter {
            state,
            host,
            out,
            frames: Vec::new(),
            scopes: Vec::new(),
            line: 1,
            arg_names: Vec::new(),
            arg_keywords: Vec::new(),
            in_place: None,
            in_place_done: None,
        }
    }

    pub fn host_arc(&self) -> Arc<dyn Host> {
        self.host.clone()
    }

    /// Runs `f` with a SQL scope pushed: names resolve to its columns first.
    pub fn with_scope<T>(
        &mut self,
        scope: Scope,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        self.scopes.push(scope);
        let r = f(self);
        self.scopes.pop();
        r
    }

    /// Is `name` a function the parser should treat as one (user-defined or built-in)?
    pub fn is_function_name(state: &SessionState, name: &str) -> bool {
        state.funcs.contains_key(name) || crate::builtins::lookup(name).is_some()
    }

    /// A variable: SQL columns, then locals (or session variables at top level), then shared.
    pub fn lookup_var(&self, name: &str) -> Option<Value> {
        for s in self.scopes.iter().rev() {
            if let Some(v) = s.get(name) {
                return Some(v);
            }
        }
        self.lookup_plain_var(name)
    }

    /// A variable, ignoring SQL column scopes.
    pub fn lookup_plain_var(&self, name: &str) -> Option<Value> {
        match self.frames.last() {
            Some(f) => {
                if let Some(shared) = f.aliases.get(name) {
                    return self.host.shared(shared);
                }
                if let Some(v) = f.locals.get(name).or_else(|| f.captured.get(name)) {
                    return Some(v.clone());
                }
            }
            None => {
                if let Some(v) = self.state.vars.get(name) {
                    return Some(v.clone());
                }
            }
        }
        self.host.shared(name)
    }

    /// The shared object that `name` denotes here, when no local or session variable shadows
    /// it (or `name` is a `mutable` parameter given a shared object).
    pub(crate) fn shared_target(&self, name: &str) -> Option<String> {
        let local = match self.frames.last() {
            Some(f) => {
                if let Some(shared) = f.aliases.get(name) {
                    return Some(shared.clone());
                }
                f.locals.contains_key(name) || f.captured.contains_key(name)
            }
            None => self.state.vars.contains_key(name),
        };
        (!local && self.host.is_shared(name)).then(|| name.to_string())
    }

    /// Assigns a variable in the current scope (local in a function, else session). A shared
    /// object of that name that is not shadowed is replaced instead.
    pub fn assign_var(&mut self, name: &str, mut v: Value) -> Result<()> {
        if let Some(shared) = self.shared_target(name) {
            return self.host.set_shared(&shared, v);
        }
        if let Value::Table(t) = &mut v {
            if t.name != name {
                Arc::make_mut(t).name = name.to_string();
            }
        }
        match self.frames.last_mut() {
            Some(f) => {
                f.locals.insert(name.to_string(), v);
            }
            None => {
                self.state.vars.insert(name.to_string(), v);
            }
        }
        Ok(())
    }

    /// Changes variable `name` in place: `f` gets its current value and returns the new one
    /// and a result. For a shared object `f` runs under the object's update lock
    /// (`Host::update_shared`), so concurrent sessions never compute from a stale copy;
    /// otherwise the new value is assigned as `assign_var` does. Ok(None): no such variable.
    pub fn modify_var<T>(
        &mut self,
        name: &str,
        mut f: impl FnMut(&mut Self, Value) -> Result<(Value, T)>,
    ) -> Result<Option<T>> {
        if let Some(shared) = self.shared_target(name) {
            let host = self.host.clone();
            let mut out = None;
            host.update_shared(&shared, &mut |cur| {
                let (new, r) = f(self, cur.clone())?;
                *cur = new;
                out = Some(r);
                Ok(())
            })?;
            return Ok(out);
        }
        let Some(cur) = self.lookup_plain_var(name) else {
            return Ok(None);
        };
        let (new, r) = f(self, cur)?;
        self.assign_var(name, new)?;
        Ok(Some(r))
    }

    /// Changes variable `name` where it is stored: `f` gets the stored value itself, so an
    /// object no other value refers to changes without a copy (`append!` on a table). A
    /// shared object changes under its update lock. Ok(false): no such variable here (nor a
    /// captured one: those change by assignment, `modify_var`).
    pub(crate) fn change_var_in_place(
        &mut self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> Result<()>,
    ) -> Result<bool> {
        if let Some(shared) = self.shared_target(name) {
            let host = self.host.clone();
            return host.update_shared_in_place(&shared, f);
        }
        let slot = match self.frames.last_mut() {
            Some(fr) => fr.locals.get_mut(name),
            None => self.state.vars.get_mut(name),
        };
        match slot {
            Some(v) => f(v).map(|_| true),
            None => Ok(false),
        }
    }

    /// Removes a variable from the current scope; false when there was none.
    pub fn remove_var(&mut self, name: &str) -> bool {
        match self.frames.last_mut() {
            Some(f) => f.locals.remove(name).is_some(),
            None => self.state.vars.remove(name).is_some(),
        }
    }

    pub(crate) fn syntax_error(&self, msg: &str) -> Error {
        Error::new(format!("Syntax Error: [line #{}] {}", self.line, msg))
    }

    fn emit(&mut self, text: &str) {
        (self.out)(text);
    }
}

impl Env for Interpreter<'_> {
    fn call(&mut self, f: &Value, args: &[Value]) -> Result<Value> {
        self.call_value(f, args.to_vec())
    }

    fn print(&mut self, text: &str) {
        self.emit(text);
    }

    fn get_var(&self, name: &str) -> Option<Value> {
        self.lookup_var(name)
    }

    fn set_var(&mut self, name: &str, v: Value) -> Result<()> {
        self.assign_var(name, v)
    }

    fn update_var(
        &mut self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> Result<()>,
    ) -> Result<bool> {
        let done = self.modify_var(name, |_, mut v| {
            f(&mut v)?;
            Ok((v, ()))
        })?;
        Ok(done.is_some())
    }

    fn host(&self) -> &dyn Host {
        &*self.host
    }

    fn arg_names(&self) -> Vec<Option<String>> {
        self.arg_names.clone()
    }

    fn arg_keywords(&self) -> Vec<Option<String>> {
        self.arg_keywords.clone()
    }

    fn set_in_place(&mut self, updated: Value) {
        self.in_place = Some(updated);
    }

    fn var_names(&self) -> Vec<String> {
        match self.frames.last() {
            Some(f) => f.locals.keys().cloned().collect(),
            None => self.state.vars.keys().cloned().collect(),
        }
    }

    fn user_functions(&self) -> Vec<(String, Vec<String>, usize)> {
        self.state
            .funcs
            .iter()
            .map(|(name, def)| {
                let params: Vec<String> = def.params.iter().map(|p| p.name.clone()).collect();
                let required = def
                    .params
                    .iter()
                    .rposition(|p| p.default.is_none())
                    .map_or(0, |i| i + 1);
                (name.clone(), params, required)
            })
            .collect()
    }
}
