//! Script conformance: runs every case of `tests/scripts/**/*.dos` (but `dfs/`, which
//! `crates/cluster/tests/dfs_conformance.rs` runs with a DFS) in a fresh session and compares
//! what it prints and returns with DolphinDB's console output written in the file
//! (`tests/dos_runner.rs` has the format).

use std::path::Path;
use std::sync::Arc;

use script::{LocalHost, Session};

#[path = "../../../tests/dos_runner.rs"]
mod dos_runner;

#[test]
fn conformance() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scripts");
    dos_runner::run_all("conformance", &root, &["dfs"], &|| {
        Ok((Session::new(Arc::new(LocalHost::new())), None))
    });
}
