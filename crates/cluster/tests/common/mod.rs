//! Helpers shared by the Raft tests (raft_cluster.rs, raft_store.rs).

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
        "porpoise-raft-{}-{}-{}-{}",
        tag,
        std::process::id(),
        nanos,
        n
    ))
}

/// A one-level VALUE database `path` (OLAP, TRANS, TABLE granularity).
pub fn create_db(path: &str) -> Command {
    Command::Meta(MetaCommand::CreateDatabase {
        path: path.into(),
        levels: vec![LevelMeta {
            ptype: 1,
            scheme: vec![1, 2, 3],
        }],
        engine: "OLAP".into(),
        atomic: "TRANS".into(),
        chunk_granularity: "TABLE".into(),
    })
}
