//! The script engine as the server sees it: one per session, created on the session's first job.
//! The real engine is `script::Session`; tests may plug in a small fake.

use std::sync::Arc;

use script::Host;
use value::Value;

/// What a session's engine does for the server. Errors are DolphinDB's message text.
pub trait Engine: Send {
    /// Runs a script. `Ok(None)`: the last statement has no value (0 objects on the wire).
    fn run_script(
        &mut self,
        text: &str,
        out: &mut dyn FnMut(&str),
    ) -> Result<Option<Value>, String>;
    /// Calls the function that the expression `func` yields (`f`, `f{0}`, `tableInsert{'t'}`).
    fn run_function(
        &mut self,
        func: &str,
        args: Vec<Value>,
        out: &mut dyn FnMut(&str),
    ) -> Result<Option<Value>, String>;
    /// Binds an uploaded object to a session variable.
    fn set_variable(&mut self, name: &str, v: Value) -> Result<(), String>;
    /// Drops every session variable (request flag 16, `clearMemory`).
    fn clear_variables(&mut self);
}

/// Makes the engine of a new session, given that session's host services.
pub type EngineFactory = Arc<dyn Fn(Arc<dyn Host>) -> Box<dyn Engine> + Send + Sync>;

/// DolphinDB's script language. Until `script::Session` is available, every request answers
/// with an error naming the missing engine.
pub fn script_engine() -> EngineFactory {
    Arc::new(|_host| Box::new(Unavailable))
}

struct Unavailable;

const UNAVAILABLE: &str = "The script engine is not available in this build";

impl Engine for Unavailable {
    fn run_script(&mut self, _: &str, _: &mut dyn FnMut(&str)) -> Result<Option<Value>, String> {
        Err(UNAVAILABLE.into())
    }

    fn run_function(
        &mut self,
        _: &str,
        _: Vec<Value>,
        _: &mut dyn FnMut(&str),
    ) -> Result<Option<Value>, String> {
        Err(UNAVAILABLE.into())
    }

    fn set_variable(&mut self, _: &str, _: Value) -> Result<(), String> {
        Err(UNAVAILABLE.into())
    }

    fn clear_variables(&mut self) {}
}
