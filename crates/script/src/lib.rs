//! DolphinDB's script language: lexer, parser, interpreter, built-in library and SQL over
//! in-memory tables.

pub mod acl;
pub mod ast;
pub mod builtins;
pub mod dfs;
mod error;
pub mod interp;
pub mod lexer;
pub mod literal;
pub mod parser;
pub mod resolve;
pub mod session;
pub mod sql;

pub use builtins::{Builtin, Env, Host, Kind};
pub use error::{Error, Result};
pub use session::{LocalHost, Session};
pub use sql::dfs::CLIENT_TABLE_BYTES_MAX;
