//! The controller's side of the replicated DFS: the catalog for data and compute nodes, chunk
//! placement on live data nodes, and `getClusterChunksStatus`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use value::{DataType, Table, Value, Vector};

use crate::catalog::{MetaCommand, State};
use crate::membership::service::ClusterService;
use crate::placement::{self, Policy, Reliability};
use crate::raft::state::{Command, ControllerState, Reply};
use crate::rpc::{from_blob, to_blob, Rpc};

use super::{CreateChunks, MetaReply, CHUNKS_STATUS, CREATE_CHUNKS, META, TXNS};

fn running(s: &Weak<ClusterService>) -> std::result::Result<Arc<ClusterService>, String> {
    s.upgrade()
        .ok_or_else(|| "The controller is not running".to_string())
}

fn check_leader(s: &ClusterService) -> std::result::Result<(), String> {
    let c = s.controller();
    if c.is_leader() {
        Ok(())
    } else {
        Err(c.not_leader().to_string())
    }
}

/// Data nodes the leader hears from. A leader elected less than a heartbeat timeout ago also
/// counts the nodes it hasn't heard from yet (their heartbeats are on the way to it): a write
/// then tries them, and one that is really down can't be reached and takes no part.
fn live_data_nodes(s: &ClusterService, state: &ControllerState) -> BTreeSet<String> {
    let now = Instant::now();
    let m = s.membership();
    let new_leader = s.leading_for().is_none_or(|d| d < m.timeout());
    state
        .nodes
        .values()
        .filter(|n| n.mode == "datanode")
        .filter(|n| m.is_up(&n.alias, now) || (new_leader && m.silent_for(&n.alias, now).is_none()))
        .map(|n| n.alias.clone())
        .collect()
}

fn data_sites(state: &ControllerState) -> BTreeMap<String, String> {
    state
        .nodes
        .values()
        .filter(|n| n.mode == "datanode")
        .map(|n| (n.alias.clone(), format!("{}:{}", n.host, n.port)))
        .collect()
}

/// Registers the calls on the controller's `rpc`. `own` reads the controller's own settings
/// (`dfsReplicationFactor`, `dfsReplicaReliabilityLevel` in controller.cfg; cluster.cfg's when
/// it has none).
pub fn serve(
    service: &Arc<ClusterService>,
    rpc: &Rpc,
    own: Arc<dyn Fn(&str) -> Option<String> + Send + Sync>,
) {
    let w = Arc::downgrade(service);
    rpc.register(META, move |args| {
        let w = w.clone();
        async move {
            let s = running(&w)?;
            check_leader(&s)?;
            let known: u64 = from_blob(args.first())?;
            let ctl = s.controller();
            // The index first: the state read after it is at least as new.
            let index = ctl.applied_index();
            let (state, live, sites) = ctl.read(|st| {
                let state = (index != known).then(|| st.catalog.clone());
                (state, live_data_nodes(&s, st), data_sites(st))
            });
            to_blob(&MetaReply {
                index,
                state,
                live,
                sites,
            })
        }
    });
    let w = Arc::downgrade(service);
    rpc.register(TXNS, move |args| {
        let w = w.clone();
        async move {
            let s = running(&w)?;
            check_leader(&s)?;
            let tids: Vec<u64> = from_blob(args.first())?;
            let out: BTreeMap<u64, crate::catalog::TxnState> = s.controller().read(|st| {
                tids.iter()
                    .filter_map(|t| st.catalog.txns.get(t).map(|x| (*t, *x)))
                    .collect()
            });
            to_blob(&out)
        }
    });
    tokio::spawn(re_replicate(Arc::downgrade(service), own.clone()));
    let w = Arc::downgrade(service);
    rpc.register(CREATE_CHUNKS, move |args| {
        let (w, own) = (w.clone(), own.clone());
        async move {
            let s = running(&w)?;
            check_leader(&s)?;
            let mut req: CreateChunks = from_blob(args.first())?;
            let ctl = s.controller();
            let placed = ctl.read(|st| {
                let policy = Policy::from_config(|k| {
                    own(k).or_else(|| st.config_value(k).map(String::from))
                })?;
                let live = live_data_nodes(&s, st);
                let ids: Vec<String> = req.chunks.iter().map(|c| c.id.clone()).collect();
                placement::place_new_chunks(st, Some(&live), policy, &ids)
            });
            let placed = placed.map_err(|e| format!("<DataNodeNotAvail>{}", e.0))?;
            for (c, r) in req.chunks.iter_mut().zip(placed) {
                c.replicas = r;
            }
            let reply = ctl
                .propose(Command::Meta(MetaCommand::CreateChunks {
                    db: req.db,
                    chunks: req.chunks,
                }))
                .await
                .map_err(|e| e.to_string())?;
            match reply {
                Reply::Meta(m) => to_blob(&m),
                other => Err(format!("Unexpected answer: {other:?}")),
            }
        }
    });
    let w = Arc::downgrade(service);
    rpc.register(CHUNKS_STATUS, move |_| {
        let w = w.clone();
        async move {
            let s = running(&w)?;
            check_leader(&s)?;
            Ok(Value::table(
                s.controller().read(|st| chunks_status(&st.catalog)),
            ))
        }
    });
    let w = Arc::downgrade(service);
    rpc.register_function("getClusterChunksStatus", move |_| {
        let s = running(&w)?;
        Ok(Value::table(
            s.controller().read(|st| chunks_status(&st.catalog)),
        ))
    });
}

/// `getClusterChunksStatus()`: one row per chunk, DolphinDB's columns. `state` is COMPLETE
/// when every replica has the chunk's version, RECOVERING otherwise. `replicas` lists
/// `alias:version:corrupted:inResolution:timestamp:volumeID` per replica (the last three are
/// not tracked: false, 0, 0).
pub fn chunks_status(cat: &State) -> Table {
    let n = cat.chunks.len();
    let mut ids = Vec::with_capacity(n);
    let mut files = Vec::with_capacity(n);
    let mut versions = Vec::with_capacity(n);
    let mut chains = Vec::with_capacity(n);
    let mut states = Vec::with_capacity(n);
    let mut replicas = Vec::with_capacity(n);
    let mut counts = Vec::with_capacity(n);
    for c in cat.chunks.values() {
        ids.push(c.id.clone());
        files.push(format!("{}{}", super::link::db_dir(&c.db), c.partition));
        versions.push(c.version as i32);
        let last_cid = c.tablets.values().map(|t| t.last_cid).max().unwrap_or(0);
        chains.push(format!("{}:0:{} ->", last_cid, c.version));
        let complete = c.replicas.iter().all(|r| r.version == c.version);
        states.push(if complete { "COMPLETE" } else { "RECOVERING" }.to_string());
        replicas.push(
            c.replicas
                .iter()
                .map(|r| format!("{}:{}:0:false:0:0", r.node, r.version))
                .collect::<Vec<_>>()
                .join(","),
        );
        counts.push(c.replicas.len() as i32);
    }
    Table::new(
        [
            "chunkId",
            "file",
            "size",
            "version",
            "vcLength",
            "versionChain",
            "state",
            "replicas",
            "replicaCount",
            "lastUpdated",
            "permission",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        vec![
            Vector::from_strings(ids),
            Vector::from_strings(files),
            Vector::from_i64(DataType::Long, vec![0; n]),
            Vector::from_i32(DataType::Int, versions),
            Vector::from_i32(DataType::Int, vec![1; n]),
            Vector::from_strings(chains),
            Vector::from_strings(states),
            Vector::from_strings(replicas),
            Vector::from_i32(DataType::Int, counts),
            Vector::nulls(DataType::Timestamp, n),
            Vector::from_strings(vec!["READ_WRITE".to_string(); n]),
        ],
    )
}

/// Shortest `dfsRecoveryWaitTime` DolphinDB accepts (smaller non-zero values are raised to it).
pub const RECOVERY_WAIT_MIN_MS: u64 = 60_000;

/// `dfsRecoveryWaitTime` (ms): None when 0 or unset (no re-replication, DolphinDB's default);
/// values below `RECOVERY_WAIT_MIN_MS` are raised to it.
pub fn recovery_wait(v: Option<&str>) -> Option<Duration> {
    let ms: u64 = v?.trim().parse().ok()?;
    (ms > 0).then(|| Duration::from_millis(ms.max(RECOVERY_WAIT_MIN_MS)))
}

/// Replicas to rebuild elsewhere: (chunk, from, to) for each chunk with a replica on a data node
/// down for at least `wait` (`down_for`), when an up-to-date replica is live to copy from and a
/// live data node without the chunk can take it (least loaded first; on another host than the
/// remaining replicas when `dfsReplicaReliabilityLevel` asks for it). One replica per chunk.
pub fn moves(
    state: &ControllerState,
    live: &BTreeSet<String>,
    down_for: &BTreeMap<String, Duration>,
    wait: Duration,
    policy: Policy,
) -> Vec<(String, String, String)> {
    let gone = |n: &str| down_for.get(n).is_some_and(|d| *d >= wait);
    let mut load = placement::loads(state);
    let nodes = placement::candidates(state, Some(live));
    let host = |alias: &str| {
        state
            .nodes
            .get(alias)
            .map(|n| n.host.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for c in state.catalog.chunks.values() {
        let Some(from) = c.replicas.iter().find(|r| gone(&r.node)) else {
            continue;
        };
        let has_source = c
            .replicas
            .iter()
            .any(|r| r.version == c.version && live.contains(&r.node));
        if !has_source {
            continue;
        }
        let used: BTreeSet<String> = c
            .replicas
            .iter()
            .filter(|r| r.node != from.node)
            .map(|r| host(&r.node))
            .collect();
        let mut free: Vec<&placement::Candidate> = nodes
            .iter()
            .filter(|n| !c.replicas.iter().any(|r| r.node == n.alias))
            .collect();
        if policy.reliability != Reliability::SameHostAllowed {
            let other: Vec<&placement::Candidate> = free
                .iter()
                .copied()
                .filter(|n| !used.contains(&n.host))
                .collect();
            if !other.is_empty() || policy.reliability == Reliability::DifferentHostsRequired {
                free = other;
            }
        }
        let Some(to) = free
            .iter()
            .min_by_key(|n| (load.get(&n.alias).copied().unwrap_or(0), n.alias.clone()))
        else {
            continue;
        };
        *load.entry(to.alias.clone()).or_insert(0) += 1;
        out.push((c.id.clone(), from.node.clone(), to.alias.clone()));
    }
    out
}

/// The leader's `dfsRecoveryWaitTime` loop: every second, data nodes down for longer have their
/// replicas rebuilt on other live data nodes (`MoveReplica`; the new holder copies the chunk).
async fn re_replicate(
    w: Weak<ClusterService>,
    own: Arc<dyn Fn(&str) -> Option<String> + Send + Sync>,
) {
    let mut down_since: BTreeMap<String, Instant> = BTreeMap::new();
    loop {
        tokio::time::sleep(super::ROUND_INTERVAL).await;
        let Some(s) = w.upgrade() else { return };
        let ctl = s.controller().clone();
        if !ctl.is_leader() {
            down_since.clear();
            continue;
        }
        let now = Instant::now();
        let planned = ctl.read(|st| {
            let key = "dfsRecoveryWaitTime";
            let wait = recovery_wait(own(key).as_deref().or(st.config_value(key)))?;
            let live = live_data_nodes(&s, st);
            for n in st.nodes.values().filter(|n| n.mode == "datanode") {
                if live.contains(&n.alias) {
                    down_since.remove(&n.alias);
                } else {
                    down_since.entry(n.alias.clone()).or_insert(now);
                }
            }
            let down_for = down_since
                .iter()
                .map(|(a, t)| (a.clone(), now.saturating_duration_since(*t)))
                .collect();
            let policy =
                Policy::from_config(|k| own(k).or_else(|| st.config_value(k).map(String::from)))
                    .ok()?;
            Some(moves(st, &live, &down_for, wait, policy))
        });
        drop(s);
        for (chunk, from, to) in planned.unwrap_or_default() {
            let cmd = Command::Meta(MetaCommand::MoveReplica {
                chunk: chunk.clone(),
                from: from.clone(),
                to: to.clone(),
            });
            match ctl.propose(cmd).await {
                Ok(_) => tracing::info!(
                    "dfsRecoveryWaitTime: the replica of chunk {chunk} on {from} (down) is rebuilt on {to}"
                ),
                Err(e) => tracing::warn!("moving the replica of chunk {chunk} to {to} failed: {e}"),
            }
        }
    }
}
