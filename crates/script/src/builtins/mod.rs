//! The built-in function library, one module per family, and the registry that finds a
//! function by name.
//!
//! A built-in is a plain `fn(&mut dyn Env, &[Value]) -> Result<Value>`. It works on whole
//! vectors (DESIGN.md §3): resolve the type once, then run a tight loop over a typed slice.
//! Functions whose name ends in `!` are pure here too: they return the new value, and the
//! interpreter writes it back to the variable named by the first argument. When that variable
//! is a shared object, the interpreter runs the built-in on the object's current value under
//! the object's update lock (`Host::update_shared`), so a built-in never sees a stale copy.

use std::collections::HashMap;
use std::sync::OnceLock;

use value::{Table, Value};

use crate::Result;

pub mod acl;
pub mod aggregate;
pub mod arith;
pub mod binary;
pub mod cluster;
pub mod compare;
pub mod construct;
pub mod controller;
pub mod convert;
pub mod cumulative;
mod data_util;
pub mod dfs;
pub mod higher_order;
pub mod inplace;
pub mod joins;
mod kernels;
pub mod matrix;
pub mod moving;
pub mod order;
pub mod remote;
pub mod rowwise;
pub mod session;
pub mod signature;
pub mod stats;
pub mod streaming;
pub mod strings;
pub mod system;
pub mod tables;
pub mod temporal;
pub mod vectors;

/// How a function behaves over a vector, which SQL needs to plan `group by` / `context by`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Element-wise or scalar-valued: `add`, `abs`, `string`, `iif`.
    Scalar,
    /// Reduces a vector to one value: `sum`, `avg`, `first`, `wavg`.
    Aggregate,
    /// Maps a vector to a vector of the same length, order-dependent: `cumsum`, `mavg`,
    /// `prev`, `rank`.
    Window,
    /// Anything else (constructors, table functions, session functions).
    Other,
}

/// One built-in function.
#[derive(Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    pub min_args: usize,
    pub max_args: usize,
    pub kind: Kind,
    pub f: fn(&mut dyn Env, &[Value]) -> Result<Value>,
}

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Builtin({})", self.name)
    }
}

/// Shorthand to declare a built-in in a family's table.
pub const fn builtin(
    name: &'static str,
    min_args: usize,
    max_args: usize,
    kind: Kind,
    f: fn(&mut dyn Env, &[Value]) -> Result<Value>,
) -> Builtin {
    Builtin {
        name,
        min_args,
        max_args,
        kind,
        f,
    }
}

/// What a built-in may ask of the interpreter that runs it.
pub trait Env {
    /// Calls a function value (built-in, user function, lambda, partial application).
    fn call(&mut self, f: &Value, args: &[Value]) -> Result<Value>;
    /// Sends text to the client as a `print` MSG block (or stdout in the console).
    fn print(&mut self, text: &str);
    /// A variable by name: local, then session, then shared.
    fn get_var(&self, name: &str) -> Option<Value>;
    /// Assigns a session variable, or replaces a shared object when `name` is shared.
    fn set_var(&mut self, name: &str, v: Value) -> Result<()>;
    /// Changes a variable in place: runs `f` on its current value and stores what `f` left.
    /// For a shared object this is atomic (`Host::update_shared`). Ok(false): no such
    /// variable. Built-ins that write back an object by name (`tableInsert`) use this, not
    /// `get_var` then `set_var`, so that concurrent sessions do not lose each other's writes.
    fn update_var(
        &mut self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> Result<()>,
    ) -> Result<bool> {
        let Some(mut v) = self.get_var(name) else {
            return Ok(false);
        };
        f(&mut v)?;
        self.set_var(name, v)?;
        Ok(true)
    }
    /// Node and session services.
    fn host(&self) -> &dyn Host;
    /// How the current built-in's arguments were written: for each argument, the alias after
    /// `as` (`1..3 as a`), else the variable name (`table(x, y)`), else None. `table` and
    /// similar functions name their columns with it. Empty when the call did not come from
    /// script text (e.g. `env.call`).
    fn arg_names(&self) -> Vec<Option<String>> {
        Vec::new()
    }
    /// The keyword of each argument written `name = value` that the interpreter could not
    /// place itself (the built-in has no entry in `signature`), by position; the built-in
    /// places them (`stats::params::bind`). Empty when every argument is positional.
    fn arg_keywords(&self) -> Vec<Option<String>> {
        Vec::new()
    }
    /// For an in-place function (name ending in `!`) whose result is not the updated object
    /// (`pop!` returns the removed element): the new value of the object it was given first.
    /// The interpreter writes this back to that variable instead of the result.
    fn set_in_place(&mut self, _updated: Value) {}
    /// The names of the session's variables (`objs`), in no particular order.
    fn var_names(&self) -> Vec<String> {
        Vec::new()
    }
    /// The user-defined functions of the session as `(name, parameter names, required
    /// parameter count)` (`defs`).
    fn user_functions(&self) -> Vec<(String, Vec<String>, usize)> {
        Vec::new()
    }
}

/// Node and session facts and services that the server provides to scripts. The conformance
/// runner uses `LocalHost`, a node with one session and no network.
pub trait Host: Send + Sync {
    /// `getNodeAlias()`.
    fn node_alias(&self) -> String;
    /// `getNodeType()`: 0 data node, 1 agent, 2 controller, 3 single, 4 compute node.
    fn node_type(&self) -> i32;
    /// The current session id.
    fn session_id(&self) -> i64;
    /// The logged-in user of the current session ("guest" when none).
    fn user(&self) -> String;
    /// `getConsoleJobs()`: running jobs of this node, including the current one.
    fn console_jobs(&self) -> Table;
    /// Checks a password and switches the current session to that user (`login`).
    fn login(&self, user: &str, password: &str) -> Result<()>;
    /// Switches the current session back to guest (`logout`).
    fn logout(&self);
    /// Publishes `v` as a shared object named `name` (`share`).
    fn share(&self, name: &str, v: Value) -> Result<()>;
    /// A shared object by name.
    fn shared(&self, name: &str) -> Option<Value>;
    /// The names of the shared objects (`objs(true)`); empty when the host can't list them.
    fn shared_names(&self) -> Vec<String> {
        Vec::new()
    }
    /// Replaces a shared object (plain assignment `t = v` to a shared name).
    fn set_shared(&self, name: &str, v: Value) -> Result<()>;
    /// Changes a shared object in place, atomically: runs `f` on its current value while
    /// holding that object's update lock and publishes what `f` left (nothing when `f` fails).
    /// Concurrent updates of one object are serialized; readers (`shared`) are not blocked and
    /// see the value before or after. Ok(false): no such object. Every in-place write to a
    /// shared name (`append!`, `tableInsert`, `insert into`, `update`, `delete`, `t[`c] = v`)
    /// goes through here. This default is for hosts with one session: it is not atomic.
    fn update_shared(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> Result<()>,
    ) -> Result<bool> {
        let Some(mut v) = self.shared(name) else {
            return Ok(false);
        };
        f(&mut v)?;
        self.set_shared(name, v)?;
        Ok(true)
    }
    /// `update_shared` where `f` changes the stored value itself (readers wait meanwhile), so
    /// a table nothing else refers to grows without a copy. `f` must leave the value as it was
    /// when it fails, and must not read shared objects.
    fn update_shared_in_place(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> Result<()>,
    ) -> Result<bool> {
        self.update_shared(name, f)
    }
    /// Whether a shared object `name` exists.
    fn is_shared(&self, name: &str) -> bool {
        self.shared(name).is_some()
    }
    /// Removes a shared object (`undef(name, SHARED)`); false when it did not exist.
    fn unshare(&self, name: &str) -> bool;
    /// The node's distributed file system (helper dfs): None on a node without one.
    fn dfs(&self) -> Option<std::sync::Arc<dyn crate::dfs::Dfs>> {
        None
    }
    /// A node configuration value by DolphinDB key (`localExecutors`, `workerNum`...), as
    /// text; None when unset.
    fn config(&self, _key: &str) -> Option<String> {
        None
    }
    /// A function the node itself provides (streaming: `getSubscriptionTopic`,
    /// `stopPublishTable`, `getStreamingStat`, `setStreamTableFilterColumn`); see
    /// `streaming.rs`. `None`: this host has no such function.
    fn node_function(&self, name: &str, args: &[Value]) -> Option<Result<Value>> {
        let _ = (name, args);
        None
    }
    /// The node's users and privileges (`createUser`, `grant`, `login`...); None on a host
    /// without users.
    fn acl(&self) -> Option<std::sync::Arc<dyn crate::acl::AclStore>> {
        None
    }
}

/// An object's name given as a STRING, SYMBOL or CHAR scalar (`'t'` is a CHAR).
pub fn object_name(v: &Value) -> Option<String> {
    data_util::object_name(v)
}

/// Every built-in, by name. Names are case-sensitive as in DolphinDB.
pub fn registry() -> &'static HashMap<&'static str, Builtin> {
    static REGISTRY: OnceLock<HashMap<&'static str, Builtin>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        // A slice, not an array: adding a family needs no count.
        let families: &[fn() -> Vec<Builtin>] = &[
            acl::functions,
            aggregate::functions,
            arith::functions,
            binary::functions,
            cluster::functions,
            compare::functions,
            construct::functions,
            controller::functions,
            convert::functions,
            cumulative::functions,
            dfs::functions,
            higher_order::functions,
            inplace::functions,
            joins::functions,
            matrix::functions,
            moving::functions,
            order::functions,
            remote::functions,
            rowwise::functions,
            session::functions,
            stats::functions,
            streaming::functions,
            strings::functions,
            system::functions,
            tables::functions,
            temporal::functions,
            vectors::functions,
        ];
        let mut map = HashMap::new();
        for family in families {
            for b in family() {
                map.insert(b.name, b);
            }
        }
        map
    })
}

/// Looks up a built-in by name.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    registry().get(name)
}
