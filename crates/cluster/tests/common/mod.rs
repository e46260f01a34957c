//! Helpers shared by the cluster tests: directories, ports, catalog commands.

#![allow(dead_code)]

use std::path::PathBuf;

use cluster::catalog::{LevelMeta, MetaCommand};
use cluster::raft::state::Command;

/// A path for one test's files, unique within this run (`tag` says whose; not created).
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "porpoise-{}-{}-{}-{}",
        tag,
        std::process::id(),
        nanos,
        n
    ))
}

/// `temp_dir`, created.
pub fn fresh_dir(tag: &str) -> PathBuf {
    let p = temp_dir(tag);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `create_db_meta` as a Raft command.
pub fn create_db(path: &str) -> Command {
    Command::Meta(create_db_meta(path))
}

/// A one-level VALUE database `path` (OLAP, TRANS, TABLE granularity).
pub fn create_db_meta(path: &str) -> MetaCommand {
    MetaCommand::CreateDatabase {
        path: path.into(),
        levels: vec![LevelMeta {
            ptype: 1,
            scheme: vec![1, 2, 3],
        }],
        engine: "OLAP".into(),
        atomic: "TRANS".into(),
        chunk_granularity: "TABLE".into(),
    }
}
