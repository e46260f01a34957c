//! Replica placement: which data nodes hold a new chunk's replicas.
//!
//! Pure and deterministic: the same nodes, loads, policy and chunk ids give the same replicas on
//! every controller. The leader computes the placement (it alone knows which data nodes are
//! live) and puts it in `MetaCommand::CreateChunks`; the state machine records it as given.
//!
//! Order of preference for each chunk: fewest replicas already placed on the node, then a
//! per-chunk rotation (a stable hash of chunk id and alias, so equal loads don't always pick the
//! same node), then the alias. `dfsReplicaReliabilityLevel`: 0 takes nodes in that order (replicas
//! may share a host), 1 requires different hosts (placement fails when there are not enough
//! hosts), 2 takes different hosts first and then fills from the remaining nodes.

use std::collections::{BTreeMap, BTreeSet};

use crate::raft::state::ControllerState;
use crate::{err, Result};

/// `dfsReplicationFactor` in a cluster when the configuration doesn't set it.
pub const DEFAULT_REPLICATION_FACTOR: usize = 2;
/// Most replicas a chunk may have.
pub const REPLICATION_FACTOR_MAX: usize = 16;

/// `dfsReplicaReliabilityLevel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reliability {
    /// 0: replicas may share a host.
    SameHostAllowed,
    /// 1: replicas must be on different hosts.
    DifferentHostsRequired,
    /// 2: replicas on different hosts when there are enough hosts.
    DifferentHostsPreferred,
}

/// The placement settings of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub factor: usize,
    pub reliability: Reliability,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            factor: DEFAULT_REPLICATION_FACTOR,
            reliability: Reliability::SameHostAllowed,
        }
    }
}

impl Policy {
    /// Reads `dfsReplicationFactor` and `dfsReplicaReliabilityLevel` through `get` (a controller's
    /// configuration); absent keys take the defaults, invalid values are errors.
    pub fn from_config(get: impl Fn(&str) -> Option<String>) -> Result<Policy> {
        let mut p = Policy::default();
        if let Some(v) = get("dfsReplicationFactor") {
            match v.trim().parse::<usize>() {
                Ok(n) if (1..=REPLICATION_FACTOR_MAX).contains(&n) => p.factor = n,
                _ => err!(
                    "Invalid dfsReplicationFactor [{}]: expected an integer from 1 to {}",
                    v,
                    REPLICATION_FACTOR_MAX
                ),
            }
        }
        if let Some(v) = get("dfsReplicaReliabilityLevel") {
            p.reliability = match v.trim() {
                "0" => Reliability::SameHostAllowed,
                "1" => Reliability::DifferentHostsRequired,
                "2" => Reliability::DifferentHostsPreferred,
                _ => err!(
                    "Invalid dfsReplicaReliabilityLevel [{}]: expected 0, 1 or 2",
                    v
                ),
            };
        }
        Ok(p)
    }
}

/// A data node that may take replicas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub alias: String,
    pub host: String,
}

/// FNV-1a over the chunk id and the alias: stable across runs, builds and machines.
fn rotation(chunk: &str, alias: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in chunk.bytes().chain([0u8]).chain(alias.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Places one chunk: `policy.factor` distinct aliases from `nodes`, given the replicas each node
/// already holds (`load`, by alias; absent = 0). `load` is not changed.
pub fn place(
    nodes: &[Candidate],
    load: &BTreeMap<String, usize>,
    policy: Policy,
    chunk: &str,
) -> Result<Vec<String>> {
    let mut uniq: BTreeMap<&str, &Candidate> = BTreeMap::new();
    for n in nodes {
        uniq.entry(n.alias.as_str()).or_insert(n);
    }
    if policy.factor == 0 {
        err!("dfsReplicationFactor must be at least 1");
    }
    if uniq.len() < policy.factor {
        err!(
            "Not enough live data nodes to place the chunk {}: {} available, dfsReplicationFactor is {}",
            chunk,
            uniq.len(),
            policy.factor
        );
    }
    let mut order: Vec<&Candidate> = uniq.into_values().collect();
    order.sort_by_key(|n| {
        (
            load.get(&n.alias).copied().unwrap_or(0),
            rotation(chunk, &n.alias),
            n.alias.clone(),
        )
    });
    if policy.reliability == Reliability::SameHostAllowed {
        return Ok(order
            .iter()
            .take(policy.factor)
            .map(|n| n.alias.clone())
            .collect());
    }
    let mut picked: Vec<&Candidate> = Vec::with_capacity(policy.factor);
    let mut hosts: BTreeSet<&str> = BTreeSet::new();
    for n in &order {
        if picked.len() == policy.factor {
            break;
        }
        if hosts.insert(n.host.as_str()) {
            picked.push(n);
        }
    }
    if picked.len() < policy.factor {
        if policy.reliability == Reliability::DifferentHostsRequired {
            err!(
                "Not enough hosts to place the chunk {} with dfsReplicaReliabilityLevel=1: {} host(s) with live data nodes, dfsReplicationFactor is {}",
                chunk,
                hosts.len(),
                policy.factor
            );
        }
        for n in &order {
            if picked.len() == policy.factor {
                break;
            }
            if !picked.iter().any(|p| p.alias == n.alias) {
                picked.push(n);
            }
        }
    }
    Ok(picked.into_iter().map(|n| n.alias.clone()).collect())
}

/// Places several new chunks in order, each seeing the replicas placed before it.
pub fn place_all(
    nodes: &[Candidate],
    load: &mut BTreeMap<String, usize>,
    policy: Policy,
    chunks: &[String],
) -> Result<Vec<Vec<String>>> {
    let mut out = Vec::with_capacity(chunks.len());
    for c in chunks {
        let r = place(nodes, load, policy, c)?;
        for a in &r {
            *load.entry(a.clone()).or_insert(0) += 1;
        }
        out.push(r);
    }
    Ok(out)
}

/// The data nodes of the registry that may take replicas: mode `datanode`, and live when `live`
/// is given (aliases of the nodes membership reports alive).
pub fn candidates(state: &ControllerState, live: Option<&BTreeSet<String>>) -> Vec<Candidate> {
    state
        .nodes
        .values()
        .filter(|n| n.mode == "datanode")
        .filter(|n| live.is_none_or(|l| l.contains(&n.alias)))
        .map(|n| Candidate {
            alias: n.alias.clone(),
            host: n.host.clone(),
        })
        .collect()
}

/// Replicas per data node over every chunk of the catalog.
pub fn loads(state: &ControllerState) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in state.catalog.chunks.values() {
        for r in &c.replicas {
            *m.entry(r.node.clone()).or_insert(0) += 1;
        }
    }
    m
}

/// Places new chunks against the controller state: candidates from the registry (live ones when
/// `live` is given), balanced against the replicas already in the catalog.
pub fn place_new_chunks(
    state: &ControllerState,
    live: Option<&BTreeSet<String>>,
    policy: Policy,
    chunks: &[String],
) -> Result<Vec<Vec<String>>> {
    let nodes = candidates(state, live);
    let mut load = loads(state);
    place_all(&nodes, &mut load, policy, chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ChunkMeta, LevelMeta, MetaCommand, NewChunk, ReplicaMeta};
    use crate::raft::state::{Command, NodeEntry};

    fn cand(alias: &str, host: &str) -> Candidate {
        Candidate {
            alias: alias.into(),
            host: host.into(),
        }
    }

    fn pol(factor: usize, level: u8) -> Policy {
        Policy::from_config(|k| match k {
            "dfsReplicationFactor" => Some(factor.to_string()),
            "dfsReplicaReliabilityLevel" => Some(level.to_string()),
            _ => None,
        })
        .unwrap()
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn policy_from_config() {
        assert_eq!(Policy::from_config(|_| None).unwrap(), Policy::default());
        assert_eq!(pol(3, 1).factor, 3);
        assert_eq!(pol(3, 1).reliability, Reliability::DifferentHostsRequired);
        assert_eq!(pol(1, 2).reliability, Reliability::DifferentHostsPreferred);
        let bad = |k: &'static str, v: &'static str| {
            Policy::from_config(move |key| (key == k).then(|| v.to_string())).unwrap_err()
        };
        assert!(bad("dfsReplicationFactor", "0")
            .0
            .contains("dfsReplicationFactor"));
        assert!(bad("dfsReplicationFactor", "x")
            .0
            .contains("dfsReplicationFactor"));
        assert!(bad("dfsReplicaReliabilityLevel", "3")
            .0
            .contains("dfsReplicaReliabilityLevel"));
    }

    #[test]
    fn distinct_nodes_deterministic_and_balanced() {
        let nodes = vec![cand("dn1", "h1"), cand("dn2", "h1"), cand("dn3", "h1")];
        let mut load = BTreeMap::new();
        let a = place_all(&nodes, &mut load, pol(2, 0), &ids(30)).unwrap();
        let mut load2 = BTreeMap::new();
        let b = place_all(&nodes, &mut load2, pol(2, 0), &ids(30)).unwrap();
        assert_eq!(a, b);
        assert_eq!(load, load2);
        for r in &a {
            assert_eq!(r.len(), 2);
            assert_ne!(r[0], r[1]);
        }
        // 60 replicas over 3 nodes: every node holds 20.
        assert!(load.values().all(|&n| n == 20), "{load:?}");
        // The input order of the nodes doesn't matter.
        let rev: Vec<Candidate> = nodes.iter().rev().cloned().collect();
        let mut load3 = BTreeMap::new();
        assert_eq!(place_all(&rev, &mut load3, pol(2, 0), &ids(30)).unwrap(), a);
    }

    #[test]
    fn least_loaded_first() {
        let nodes = vec![cand("dn1", "h1"), cand("dn2", "h2"), cand("dn3", "h3")];
        let load: BTreeMap<String, usize> = [("dn1".to_string(), 5), ("dn2".to_string(), 1)]
            .into_iter()
            .collect();
        let mut r = place(&nodes, &load, pol(2, 0), "c").unwrap();
        r.sort();
        assert_eq!(r, vec!["dn2", "dn3"]);
    }

    #[test]
    fn too_few_nodes() {
        let nodes = vec![cand("dn1", "h1")];
        let e = place(&nodes, &BTreeMap::new(), pol(2, 0), "c").unwrap_err();
        assert!(e.0.contains("Not enough live data nodes"), "{e}");
        // A repeated alias counts once.
        let nodes = vec![cand("dn1", "h1"), cand("dn1", "h1")];
        assert!(place(&nodes, &BTreeMap::new(), pol(2, 0), "c").is_err());
        assert_eq!(
            place(&nodes, &BTreeMap::new(), pol(1, 0), "c").unwrap(),
            vec!["dn1"]
        );
    }

    #[test]
    fn level_one_requires_different_hosts() {
        let nodes = vec![cand("a1", "h1"), cand("a2", "h1"), cand("b1", "h2")];
        for c in ids(20) {
            let r = place(&nodes, &BTreeMap::new(), pol(2, 1), &c).unwrap();
            assert!(r.contains(&"b1".to_string()), "{r:?}");
        }
        let e = place(&nodes, &BTreeMap::new(), pol(3, 1), "c").unwrap_err();
        assert!(e.0.contains("dfsReplicaReliabilityLevel=1"), "{e}");
    }

    #[test]
    fn level_two_prefers_different_hosts() {
        let nodes = vec![cand("a1", "h1"), cand("a2", "h1"), cand("b1", "h2")];
        for c in ids(20) {
            let r = place(&nodes, &BTreeMap::new(), pol(2, 2), &c).unwrap();
            assert!(r.contains(&"b1".to_string()), "{r:?}");
            let r = place(&nodes, &BTreeMap::new(), pol(3, 2), &c).unwrap();
            assert_eq!(r.len(), 3);
            assert_eq!(r[..2].iter().filter(|a| a.as_str() == "b1").count(), 1);
        }
        // Level 0 may put both replicas on h1 when those nodes are less loaded.
        let load: BTreeMap<String, usize> = [("b1".to_string(), 9)].into_iter().collect();
        let mut r = place(&nodes, &load, pol(2, 0), "c").unwrap();
        r.sort();
        assert_eq!(r, vec!["a1", "a2"]);
        let r = place(&nodes, &load, pol(2, 2), "c").unwrap();
        assert!(r.contains(&"b1".to_string()));
    }

    #[test]
    fn from_controller_state() {
        let mut st = ControllerState::default();
        let node = |alias: &str, host: &str, mode: &str| NodeEntry {
            alias: alias.into(),
            host: host.into(),
            port: 8900,
            mode: mode.into(),
            ..NodeEntry::default()
        };
        for n in [
            node("ctl", "h0", "controller"),
            node("agent1", "h1", "agent"),
            node("dn1", "h1", "datanode"),
            node("dn2", "h2", "datanode"),
            node("dn3", "h3", "datanode"),
            node("cn1", "h1", "computenode"),
        ] {
            st.nodes.insert(n.alias.clone(), n);
        }
        st.catalog.chunks.insert(
            "old".into(),
            ChunkMeta {
                id: "old".into(),
                db: "dfs://x".into(),
                partition: "/1".into(),
                keys: vec![0],
                version: 0,
                tablets: BTreeMap::new(),
                replicas: vec![
                    ReplicaMeta {
                        node: "dn1".into(),
                        version: 0,
                    },
                    ReplicaMeta {
                        node: "dn2".into(),
                        version: 0,
                    },
                ],
            },
        );
        assert_eq!(loads(&st).get("dn1"), Some(&1));
        let all = candidates(&st, None);
        assert_eq!(
            all.iter().map(|c| c.alias.as_str()).collect::<Vec<_>>(),
            vec!["dn1", "dn2", "dn3"]
        );
        // The next chunk goes to the empty dn3 first.
        let r = place_new_chunks(&st, None, pol(2, 1), &["new".into()]).unwrap();
        assert!(r[0].contains(&"dn3".to_string()), "{r:?}");
        // Only live nodes take replicas.
        let live: BTreeSet<String> = ["dn1".to_string(), "dn2".to_string()].into();
        let r = place_new_chunks(&st, Some(&live), pol(2, 1), &["new".into()]).unwrap();
        let mut r0 = r[0].clone();
        r0.sort();
        assert_eq!(r0, vec!["dn1", "dn2"]);
        assert!(place_new_chunks(&st, Some(&live), pol(3, 0), &["new".into()]).is_err());

        // The state machine records the placement, and refuses replicas that are not data nodes.
        let create_db = Command::Meta(MetaCommand::CreateDatabase {
            path: "dfs://y".into(),
            levels: vec![LevelMeta {
                ptype: 1,
                scheme: vec![],
            }],
            engine: "OLAP".into(),
            atomic: "TRANS".into(),
            chunk_granularity: "TABLE".into(),
        });
        assert!(st.apply(&create_db).0.is_ok());
        let chunk = |replicas: Vec<String>| {
            Command::Meta(MetaCommand::CreateChunks {
                db: "dfs://y".into(),
                chunks: vec![NewChunk {
                    path: "/1".into(),
                    id: "new".into(),
                    keys: vec![0],
                    replicas,
                }],
            })
        };
        let e = st
            .apply(&chunk(vec!["dn1".into(), "cn1".into()]))
            .0
            .unwrap_err();
        assert!(e.contains("cn1"), "{e}");
        assert!(st.apply(&chunk(vec!["dn9".into()])).0.is_err());
        assert!(!st.catalog.chunks.contains_key("new"));
        assert!(st.apply(&chunk(r[0].clone())).0.is_ok());
        assert_eq!(st.catalog.chunks["new"].replicas.len(), 2);
        assert_eq!(loads(&st).get("dn2"), Some(&2));
    }
}
