//! Helpers shared by the cluster tests: directories, ports, catalog commands.

#![allow(dead_code)]

use std::path::PathBuf;

use std::time::Duration;

use cluster::catalog::{ColumnMeta, LevelMeta, MetaCommand, TableMeta};
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
    create_db_scheme(path, vec![1, 2, 3])
}

/// `create_db_meta` with the partition scheme bytes `scheme`.
pub fn create_db_scheme(path: &str, scheme: Vec<u8>) -> MetaCommand {
    MetaCommand::CreateDatabase {
        path: path.into(),
        levels: vec![LevelMeta { ptype: 1, scheme }],
        engine: "OLAP".into(),
        atomic: "TRANS".into(),
        chunk_granularity: "TABLE".into(),
    }
}

/// A table `name` in `db` with one column `id` of type code `ty`, partitioned by it.
pub fn create_table(db: &str, name: &str, ty: u8) -> MetaCommand {
    MetaCommand::CreateTable {
        db: db.into(),
        table: TableMeta {
            name: name.into(),
            id: String::new(),
            columns: vec![ColumnMeta {
                name: "id".into(),
                ty,
                scale: 0,
                array: false,
                compress: "lz4".into(),
            }],
            partition_columns: vec!["id".into()],
            sort_columns: vec![],
            keep_duplicates: "ALL".into(),
        },
    }
}

/// A node listener on `host:port` named `alias` (one worker, the script engine); a port just
/// released may take a moment to be free again, so binding is retried for about 5 s.
pub async fn start_node(host: &str, port: u16, alias: &str) -> server::Server {
    let config = server::Config {
        local_site: server::Site {
            host: host.into(),
            port,
            alias: alias.into(),
        },
        worker_num: 1,
        ..server::Config::default()
    };
    let mut tries = 0;
    loop {
        match server::Server::start(config.clone(), server::script_engine()).await {
            Ok(s) => return s,
            Err(_) if tries < 50 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("bind {port}: {e}"),
        }
    }
}
