//! A minimal `Env` for unit tests of the numeric families: no interpreter, one session.

use std::collections::HashMap;

use value::{DataType, Table, Value, Vector};

use crate::builtins::{lookup, Env, Host};
use crate::{Error, Result};

#[derive(Default)]
pub struct TestEnv {
    pub printed: Vec<String>,
    vars: HashMap<String, Value>,
    host: TestHost,
}

#[derive(Default)]
struct TestHost;

impl Host for TestHost {
    fn node_alias(&self) -> String {
        "local".into()
    }
    fn node_type(&self) -> i32 {
        3
    }
    fn session_id(&self) -> i64 {
        1
    }
    fn user(&self) -> String {
        "guest".into()
    }
    fn console_jobs(&self) -> Table {
        Table::default()
    }
    fn login(&self, _user: &str, _password: &str) -> Result<()> {
        Err(Error::new("no users in the test host"))
    }
    fn logout(&self) {}
    fn share(&self, _name: &str, _v: Value) -> Result<()> {
        Err(Error::new("no sharing in the test host"))
    }
    fn shared(&self, _name: &str) -> Option<Value> {
        None
    }
    fn set_shared(&self, _name: &str, _v: Value) -> Result<()> {
        Err(Error::new("no sharing in the test host"))
    }
    fn unshare(&self, _name: &str) -> bool {
        false
    }
}

impl Env for TestEnv {
    fn call(&mut self, f: &Value, args: &[Value]) -> Result<Value> {
        match f.as_str() {
            Some(name) => call(self, name, args),
            None => Err(Error::new("TestEnv calls built-ins by name only")),
        }
    }
    fn print(&mut self, text: &str) {
        self.printed.push(text.to_string());
    }
    fn get_var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }
    fn set_var(&mut self, name: &str, v: Value) -> Result<()> {
        self.vars.insert(name.to_string(), v);
        Ok(())
    }
    fn host(&self) -> &dyn Host {
        &self.host
    }
}

/// Calls a registered built-in by name, checking its argument count.
pub fn call(env: &mut TestEnv, name: &str, args: &[Value]) -> Result<Value> {
    let b =
        lookup(name).ok_or_else(|| Error::new(format!("Can't recognize function name {name}")))?;
    if args.len() < b.min_args || args.len() > b.max_args {
        return Err(Error::new(format!("bad argument count for {name}")));
    }
    (b.f)(env, args)
}

/// Calls a built-in in a fresh environment and unwraps the result.
pub fn run(name: &str, args: &[Value]) -> Value {
    let mut env = TestEnv::default();
    match call(&mut env, name, args) {
        Ok(v) => v,
        Err(e) => panic!("{name} failed: {}", e.message()),
    }
}

/// Calls a built-in and returns its error message (panics if it succeeded).
pub fn run_err(name: &str, args: &[Value]) -> String {
    let mut env = TestEnv::default();
    match call(&mut env, name, args) {
        Ok(v) => panic!("{name} unexpectedly succeeded: {v:?}"),
        Err(e) => e.message(),
    }
}

pub const NI: i32 = i32::MIN;
pub const NL: i64 = i64::MIN;
pub const ND: f64 = -f64::MAX;

pub fn ints(v: &[i32]) -> Value {
    Value::vector(Vector::from_i32(DataType::Int, v.to_vec()))
}
pub fn doubles(v: &[f64]) -> Value {
    Value::vector(Vector::from_f64(v.to_vec()))
}
pub fn bools(v: &[i8]) -> Value {
    Value::vector(Vector::from_i8(DataType::Bool, v.to_vec()))
}
pub fn strs(v: &[&str]) -> Value {
    Value::vector(Vector::from_strings(
        v.iter().map(|s| s.to_string()).collect(),
    ))
}
pub fn typed_i32(ty: DataType, v: &[i32]) -> Value {
    Value::vector(Vector::from_i32(ty, v.to_vec()))
}

/// The payload of a result as i32s (panics on another storage).
pub fn as_i32(v: &Value) -> Vec<i32> {
    match &v.as_vector().expect("vector").data {
        value::Data::I32(x) => x.clone(),
        d => panic!("expected I32, got {d:?}"),
    }
}
pub fn as_i64(v: &Value) -> Vec<i64> {
    match &v.as_vector().expect("vector").data {
        value::Data::I64(x) => x.clone(),
        d => panic!("expected I64, got {d:?}"),
    }
}
pub fn as_i8(v: &Value) -> Vec<i8> {
    match &v.as_vector().expect("vector").data {
        value::Data::I8(x) => x.clone(),
        d => panic!("expected I8, got {d:?}"),
    }
}
pub fn as_f64(v: &Value) -> Vec<f64> {
    match &v.as_vector().expect("vector").data {
        value::Data::F64(x) => x.clone(),
        d => panic!("expected F64, got {d:?}"),
    }
}

/// Compares float results with a tolerance, nulls by identity.
pub fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "length: got {got:?}, want {want:?}");
    for (g, w) in got.iter().zip(want) {
        let ok = if *w == ND || *g == ND {
            g == w
        } else {
            (g - w).abs() <= 1e-9 * w.abs().max(1.0)
        };
        assert!(ok, "got {got:?}, want {want:?}");
    }
}
