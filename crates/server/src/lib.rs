//! A porpoise node: one TCP port that speaks DolphinDB's binary API and HTTP, sessions and
//! their engines, jobs on a worker pool, users, shared objects and metrics.
//!
//! `Server::start` binds the port and serves; `Server::shutdown` stops it cleanly. The binary
//! (`crates/porpoise`) only reads flags and files (`config`) and wires logging.

pub mod api;
pub mod config;
pub mod engine;
pub mod http;
pub mod node;
pub mod pool;
pub mod protocol;
pub mod server;
pub mod shared;
pub mod streaming;
pub mod web;
pub mod websocket;

pub use config::{Config, Loaded, Mode, Site};
pub use engine::{script_engine, Engine, EngineFactory};
pub use node::Node;
pub use server::Server;
