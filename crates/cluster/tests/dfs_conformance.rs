//! DFS conformance: runs every case of `tests/scripts/dfs/*.dos` in a fresh session whose
//! host has a fresh `LocalDfs` (catalog and chunks in a temporary directory), and compares the
//! output with DolphinDB's, as `crates/script/tests/conformance.rs` does for the other files
//! (`tests/dos_runner.rs` has the format).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cluster::dfs::{DfsConfig, LocalDfs};
use cluster::store::MemStore;
use common::fresh_dir;
use script::{LocalHost, Session};

#[path = "../../../tests/dos_runner.rs"]
mod dos_runner;

/// A session over a fresh DFS in its own directory.
fn dfs_session() -> Result<(Session, Option<PathBuf>), String> {
    let dir = fresh_dir("dfs-case");
    // The real chunk store (no background threads); DFS_MEMSTORE=1 uses the in-memory one.
    let dfs = if std::env::var("DFS_MEMSTORE").is_ok() {
        LocalDfs::open(
            &dir.join("catalog.redb"),
            Arc::new(MemStore::default()),
            DfsConfig::default(),
        )
    } else {
        let cfg = storage::StoreConfig {
            background: false,
            data_sync: false,
            ..storage::StoreConfig::default()
        };
        LocalDfs::open_dir(&dir, DfsConfig::default(), cfg)
    }
    .map_err(|e| e.to_string())?;
    let session = Session::new(Arc::new(LocalHost::with_dfs(Arc::new(dfs))));
    Ok((session, Some(dir)))
}

#[test]
fn dfs_conformance() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scripts/dfs");
    dos_runner::run_all("dfs conformance", &root, &[], &dfs_session);
}
