//! The seed's cluster files (ddb_high_3cluster, copied unchanged into tests/fixtures, and the
//! quick project quoted in reference/cluster.md) parse as DolphinDB reads them.

use std::path::PathBuf;

use cluster::config::{parse_nodes, ClusterCfg, NodeMode};

fn fixture(project: &str, file: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(project)
        .join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn cluster_cfg(project: &str) -> ClusterCfg {
    let text = fixture(project, "cluster.cfg");
    let lines: Vec<&str> = text.lines().collect();
    ClusterCfg::from_lines(&lines).unwrap()
}

#[test]
fn ha_nodes_file_lists_three_of_each() {
    let (nodes, warnings) = parse_nodes(
        &fixture("ddb_high_3cluster", "cluster.nodes"),
        "cluster.nodes",
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let count = |m| nodes.iter().filter(|n| n.mode == m).count();
    assert_eq!(count(NodeMode::Controller), 3);
    assert_eq!(count(NodeMode::Agent), 3);
    assert_eq!(count(NodeMode::DataNode), 3);
    let p2 = nodes.iter().find(|n| n.site.alias == "P2-node1").unwrap();
    assert_eq!((p2.site.host.as_str(), p2.site.port), ("10.5.0.6", 8811));
    assert_eq!(nodes[0].site.to_string(), "10.5.0.5:8901:controller1");
}

#[test]
fn ha_cluster_cfg_gives_each_data_node_its_settings() {
    let c = cluster_cfg("ddb_high_3cluster");
    for alias in ["P1-node1", "P2-node1", "P3-node1"] {
        let pairs = c.for_node(alias, "");
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("publicName"), Some("127.0.0.1"), "{alias}");
        assert_eq!(get("workerNum"), Some("8"));
        assert_eq!(get("maxMemSize"), Some("8"));
        assert_eq!(
            get("streamingRaftGroups"),
            Some("2:P1-node1:P2-node1:P3-node1")
        );
        assert_eq!(get("newValuePartitionPolicy"), Some("add"));
        assert_eq!(pairs.len(), 15, "{pairs:?}");
    }
    // A node no qualifier names gets only the unqualified keys.
    assert!(c.value_for("datanode9", "", "publicName").is_none());
}

#[test]
fn quick_project_comments_are_not_settings() {
    let c = cluster_cfg("ddb_cluster_quick");
    assert_eq!(c.entries.len(), 8);
    assert!(c.value_for("P1-node1", "", "publicName").is_none());
    assert_eq!(
        c.value_for("P1-node1", "", "maxConnections").as_deref(),
        Some("32")
    );
    let (nodes, _) = parse_nodes(
        &fixture("ddb_cluster_quick", "cluster.nodes"),
        "cluster.nodes",
    )
    .unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[1].mode, NodeMode::DataNode);
}
