//! Helpers shared by the node tests: a node on a free loopback port, and the official Rust
//! client logged in to it as admin.

#![allow(dead_code)]

use dolphindb::client::{Client, ClientBuilder};
use dolphindb::BehaviorOptions;
use server::{Config, EngineFactory, Server};

/// A node on a free loopback port with `workers` workers, the cfg entries `raw` and `engine`;
/// with its address, `127.0.0.1:<port>`.
pub async fn start_node(
    workers: usize,
    raw: &[(&str, &str)],
    engine: EngineFactory,
) -> (Server, String) {
    let mut config = Config::default();
    config.local_site.port = 0;
    config.local_site.host = "127.0.0.1".into();
    config.worker_num = workers;
    for (k, v) in raw {
        config.raw.insert(k.to_string(), v.to_string());
    }
    let server = Server::start(config, engine).await.unwrap();
    let addr = format!("127.0.0.1:{}", server.local_addr().port());
    (server, addr)
}

/// The official client on `addr`, logged in as admin, with the request options `option`.
pub async fn client_with(addr: &str, option: Option<BehaviorOptions>) -> Client {
    let mut b = ClientBuilder::new(addr.to_string());
    b.with_auth(("admin", "123456"));
    if let Some(o) = option {
        b.with_option(o);
    }
    b.connect().await.unwrap()
}

/// The official client on `addr`, logged in as admin.
pub async fn client(addr: &str) -> Client {
    client_with(addr, None).await
}
