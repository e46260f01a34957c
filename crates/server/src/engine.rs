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

/// DolphinDB's script language (`script::Session`).
pub fn script_engine() -> EngineFactory {
    Arc::new(|host| Box::new(ScriptEngine(script::Session::new(host))))
}

struct ScriptEngine(script::Session);

impl ScriptEngine {
    /// A DFS table handle as a result is sent as the table's rows: clients read no handles.
    fn for_client(&self, v: Option<Value>) -> Result<Option<Value>, String> {
        match v {
            Some(v) => self
                .0
                .client_value(v, script::CLIENT_TABLE_BYTES_MAX)
                .map(Some)
                .map_err(|e| e.message()),
            None => Ok(None),
        }
    }
}

impl Engine for ScriptEngine {
    fn run_script(
        &mut self,
        text: &str,
        out: &mut dyn FnMut(&str),
    ) -> Result<Option<Value>, String> {
        let v = self.0.run_script(text, out).map_err(|e| e.message())?;
        self.for_client(v)
    }

    fn run_function(
        &mut self,
        func: &str,
        args: Vec<Value>,
        out: &mut dyn FnMut(&str),
    ) -> Result<Option<Value>, String> {
        let v = self
            .0
            .run_function(func, args, out)
            .map_err(|e| e.message())?;
        self.for_client(v)
    }

    fn set_variable(&mut self, name: &str, v: Value) -> Result<(), String> {
        self.0.set_variable(name, v);
        Ok(())
    }

    fn clear_variables(&mut self) {
        self.0.clear_variables();
    }
}
