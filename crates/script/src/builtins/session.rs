//! Built-ins: node and session introspection (`version`, `getNodeAlias`, `getConsoleJobs`,
//! `getCurrentSessionAndUser`, ...), authentication (`login`, `logout`) and shared objects
//! (`share` as a function, `undef`). Everything goes through `Host`, which the server
//! implements and the conformance runner fakes.
//!
//! `undef(name, [objType])` takes the object type as a string (`"VAR"`, `"SHARED"`, `"DEF"`)
//! or as the INT constants `VAR` = 0, `SHARED` = 1, `DEF` = 2.

use value::{DataType, Dict, Table, Value, Vector};

use super::data_util::{name_arg, str_arg, strings_arg};
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

/// What `version()` reports: a DolphinDB server version the official clients accept.
pub const SERVER_VERSION: &str = "3.00.3 2025.05.15";

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("version", 0, 0, Kind::Other, version),
        builtin("getNodeAlias", 0, 0, Kind::Other, get_node_alias),
        builtin("getNodeType", 0, 0, Kind::Other, get_node_type),
        builtin("getConsoleJobs", 0, 0, Kind::Other, get_console_jobs),
        builtin(
            "getCurrentSessionAndUser",
            0,
            0,
            Kind::Other,
            current_session_and_user,
        ),
        builtin(
            "getSessionMemoryStat",
            0,
            0,
            Kind::Other,
            session_memory_stat,
        ),
        builtin("getMemoryStat", 0, 0, Kind::Other, memory_stat),
        builtin("isNodeInitialized", 0, 1, Kind::Other, is_node_initialized),
        builtin("login", 2, 3, Kind::Other, login),
        builtin("logout", 0, 2, Kind::Other, logout),
        builtin("share", 2, 2, Kind::Other, share),
        builtin("undef", 1, 2, Kind::Other, undef),
    ]
}

fn version(_env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    Ok(Value::string(SERVER_VERSION))
}

fn get_node_alias(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    Ok(Value::string(env.host().node_alias()))
}

fn get_node_type(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    Ok(Value::int(env.host().node_type()))
}

fn get_console_jobs(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    Ok(Value::table(env.host().console_jobs()))
}

/// `getCurrentSessionAndUser()`: `(sessionId, userId)`.
fn current_session_and_user(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    let host = env.host();
    Ok(Value::tuple(vec![
        Value::long(host.session_id()),
        Value::string(host.user()),
    ]))
}

/// `getSessionMemoryStat()`: one row for the current session.
fn session_memory_stat(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    let host = env.host();
    Ok(Value::table(Table::new(
        vec!["userId".into(), "sessionId".into(), "memSize".into()],
        vec![
            Vector::from_strings(vec![host.user()]),
            Vector::from_i64(DataType::Long, vec![host.session_id()]),
            Vector::from_i64(DataType::Long, vec![0]),
        ],
    )))
}

/// `getMemoryStat()`: allocated and free bytes of the node's memory pool.
fn memory_stat(_env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    Ok(Value::dict(Dict::from_vectors(
        Vector::from_strings(vec!["freeBytes".into(), "allocatedBytes".into()]),
        Vector::from_i64(DataType::Long, vec![0, 0]),
    )))
}

fn is_node_initialized(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    match args.first() {
        Some(Value::Vector(v)) => Ok(Value::vector(Vector::from_i8(
            DataType::Bool,
            vec![1; v.len()],
        ))),
        _ => Ok(Value::bool(true)),
    }
}

/// `login(userId, password, [enableEncryption])`.
fn login(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let user = str_arg("login", &args[0], "userId")?;
    let password = str_arg("login", &args[1], "password")?;
    env.host().login(user, password)?;
    Ok(Value::void())
}

fn logout(env: &mut dyn Env, _args: &[Value]) -> Result<Value> {
    env.host().logout();
    Ok(Value::void())
}

/// `share(obj, sharedName)`: publishes a table (or other object) under a name.
fn share(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let name = name_arg("share", &args[1], "sharedName")?;
    let mut obj = args[0].clone();
    if let Value::Table(t) = &obj {
        let mut t2 = (**t).clone();
        t2.name = name.to_string();
        obj = Value::table(t2);
    }
    env.host().share(&name, obj)?;
    Ok(Value::void())
}

/// `undef(obj, [objType=VAR])`: removes shared objects; variables are set to NULL.
fn undef(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let kind = match args.get(1) {
        None => "VAR".to_string(),
        Some(v) => match (v.as_str(), v.as_i64()) {
            (Some(s), _) => s.to_ascii_uppercase(),
            (None, Some(0)) => "VAR".into(),
            (None, Some(1)) => "SHARED".into(),
            (None, Some(2)) => "DEF".into(),
            _ => bail!("The object type of function [undef] must be VAR, SHARED or DEF"),
        },
    };
    let names = strings_arg("undef", &args[0], "obj")?;
    for name in &names {
        match kind.as_str() {
            "SHARED" => {
                if !env.host().unshare(name) {
                    bail!("The shared object [{}] doesn't exist", name);
                }
            }
            "VAR" => {
                if env.get_var(name).is_some() {
                    env.set_var(name, Value::void())?;
                }
            }
            "DEF" => {}
            _ => bail!("The object type of function [undef] must be VAR, SHARED or DEF"),
        }
    }
    Ok(Value::void())
}

#[cfg(test)]
mod tests {
    use super::super::data_util::test_env::*;
    use super::*;

    #[test]
    fn session_facts() {
        let v = call("getCurrentSessionAndUser", &[]).unwrap();
        let Value::Vector(items) = &v else { panic!() };
        assert_eq!(items.get(0).as_i64(), Some(42));
        assert_eq!(items.get(0).data_type(), DataType::Long);
        assert_eq!(items.get(1).as_str(), Some("guest"));
        assert_eq!(call("getNodeType", &[]).unwrap().as_i64(), Some(3));
        assert!(call("version", &[]).unwrap().as_str().is_some());
    }

    #[test]
    fn login_and_share() {
        let mut env = TestEnv::default();
        assert!(call_in(
            &mut env,
            "login",
            &[Value::string("admin"), Value::string("x")]
        )
        .is_err());
        call_in(
            &mut env,
            "login",
            &[Value::string("admin"), Value::string("123456")],
        )
        .unwrap();
        let who = call_in(&mut env, "getCurrentSessionAndUser", &[]).unwrap();
        assert_eq!(
            who.as_vector().map(|v| v.get(1).as_str().map(String::from)),
            Some(Some("admin".into()))
        );
        let t = Value::table(Table::new(
            vec!["a".into()],
            vec![Vector::from_i32(DataType::Int, vec![1])],
        ));
        call_in(&mut env, "share", &[t, Value::string("st")]).unwrap();
        let Some(Value::Table(st)) = env.get_var("st") else {
            panic!()
        };
        assert_eq!(st.name, "st");
        call_in(
            &mut env,
            "undef",
            &[Value::string("st"), Value::string("SHARED")],
        )
        .unwrap();
        assert!(env.get_var("st").is_none());
        assert!(call_in(&mut env, "undef", &[Value::string("st"), Value::int(1)]).is_err());
    }
}
