//! DFS conformance: runs every case of `tests/scripts/dfs/*.dos` in a fresh session whose
//! host has a fresh `LocalDfs` (catalog and chunks in a temporary directory), and compares the
//! output with DolphinDB's, as `crates/script/tests/conformance.rs` does for the other files
//! (`tests/dos_runner.rs` has the format).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cluster::dfs::{DfsConfig, LocalDfs};
use cluster::store::MemStore;
use script::{LocalHost, Session};

#[path = "../../../tests/dos_runner.rs"]
mod dos_runner;

fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let p = std::env::temp_dir().join(format!("porpoise-{}-{}-{}", tag, std::process::id(), n));
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// A session over a fresh DFS in its own directory.
fn dfs_session() -> Result<(Session, Option<PathBuf>), String> {
    let dir = temp_dir("dfs-case");
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
