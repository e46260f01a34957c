//! The cluster layer: DFS metadata (`catalog`, a state machine the controller later runs under
//! Raft) and `dfs::LocalDfs`, script's `Dfs` for one node over the catalog and the chunk store.

pub mod catalog;
