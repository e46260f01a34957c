//! One node's storage (DESIGN.md §4, docs/dfs.md): the redo log, the cache engine, Parquet
//! segments with per-tablet manifests, compaction, the decoded-column cache, and DolphinDB's
//! partition schemes.
//!
//! The public surface is `ChunkStore` (commit / two-phase commit / scan at a snapshot CID /
//! drop / listings), the write and schema types it takes, and `partition`.

mod chunk;
mod column_cache;
mod error;
mod maintenance;
mod manifest;
pub mod partition;
mod redo_log;
mod rows;
mod scan;
mod schema;
mod segment;
mod store;
mod tablet;

pub use chunk::{ChunkId, TabletWrite, WriteKind};
pub use error::{Error, ErrorKind, Result};
pub use scan::TabletScan;
pub use schema::{ColumnDef, Compress, Engine, KeepDuplicates, TableSchema};
pub use segment::{ColumnStats, Stat};
pub use store::{ChunkMeta, ChunkStore, StoreConfig, StoreStats, TabletInfo};
