//! The cluster layer: DFS metadata (`catalog`, a state machine the controller later runs under
//! Raft) and `dfs::LocalDfs`, script's `Dfs` for one node over the catalog and a chunk store.

pub mod acl;
pub mod agent;
pub mod catalog;
mod chunk_store;
pub mod config;
pub mod controller;
pub mod dfs;
pub mod membership;
pub mod placement;
pub mod raft;
pub mod replica;
pub mod rpc;
pub mod store;

/// The crate's error: DolphinDB's text, passed to scripts unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<catalog::CatalogError> for Error {
    fn from(e: catalog::CatalogError) -> Self {
        Error(e.0)
    }
}

impl From<value::Error> for Error {
    fn from(e: value::Error) -> Self {
        Error(e.message)
    }
}

impl From<storage::Error> for Error {
    fn from(e: storage::Error) -> Self {
        Error(e.message)
    }
}

impl From<Error> for script::Error {
    fn from(e: Error) -> Self {
        script::Error::new(e.0)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

#[macro_export]
#[doc(hidden)]
macro_rules! err {
    ($($arg:tt)*) => { return Err($crate::Error(format!($($arg)*))) };
}
