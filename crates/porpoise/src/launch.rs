//! A node's effective settings: its flags, its own file (`-config`), and, for a data or compute
//! node, the cluster.cfg entries that match its alias (`-clusterConfig`).
//!
//! Order (later wins): cluster.cfg (most specific entry per key), the node's file, the flags.
//! `dolphindb.cfg` in the working directory is read only by a standalone node without
//! `-config`, as DolphinDB does; a node started by an agent must not pick up the standalone
//! file that sits beside the binary.

use std::path::PathBuf;

use cluster::config::{parse_nodes, ClusterCfg, CLUSTER_FILE_BYTES_MAX};
use server::config::{from_pairs, parse_flags, read_file, Loaded, Mode};

/// The standalone config file read when no `-config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "dolphindb.cfg";

fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// Reads the command line (without the program name) and the files it names.
pub fn load(args: &[String]) -> Result<Loaded, String> {
    let flags = parse_flags(args)?;
    let mut warnings = Vec::new();
    let flag_mode = last(&flags, "mode").and_then(Mode::parse);
    let file = match last(&flags, "config") {
        Some(f) => Some(PathBuf::from(f)),
        None => {
            let p = PathBuf::from(DEFAULT_CONFIG_FILE);
            let standalone = matches!(flag_mode, None | Some(Mode::Single));
            (standalone && p.is_file()).then_some(p)
        }
    };
    let file_pairs = match &file {
        Some(path) => read_file(path, &mut warnings)?,
        None => Vec::new(),
    };
    let mut own = file_pairs;
    own.extend(flags);
    // Mode and alias decide which cluster.cfg entries apply.
    let first = from_pairs(&own, &mut Vec::new())?;
    let mut pairs = Vec::new();
    if matches!(first.mode, Mode::DataNode | Mode::ComputeNode) {
        pairs = cluster_pairs(&own, &first.local_site.alias, &mut warnings)?;
    }
    pairs.extend(own);
    let mut config = from_pairs(&pairs, &mut warnings)?;
    config.config_file = file;
    Ok(Loaded { config, warnings })
}

/// The cluster.cfg settings of the node `alias` (`-clusterConfig`, default `cluster.cfg`
/// when it exists), with its compute group from `-nodesFile`.
fn cluster_pairs(
    own: &[(String, String)],
    alias: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<(String, String)>, String> {
    let path = match last(own, "clusterConfig") {
        Some(p) => PathBuf::from(p),
        None => {
            let p = PathBuf::from("cluster.cfg");
            if !p.is_file() {
                return Ok(Vec::new());
            }
            p
        }
    };
    let mut file_warnings = Vec::new();
    let raw = read_file(&path, &mut file_warnings)?;
    warnings.extend(file_warnings);
    let cfg = ClusterCfg::from_pairs(&raw).map_err(|e| {
        format!(
            "Failed to load the cluster config file [{}]: {e}",
            path.display()
        )
    })?;
    let group = compute_group(own, alias);
    Ok(cfg.for_node(alias, &group))
}

fn compute_group(own: &[(String, String)], alias: &str) -> String {
    if let Some(g) = last(own, "computeGroup") {
        return g.to_string();
    }
    let Some(path) = last(own, "nodesFile") else {
        return String::new();
    };
    let too_big = std::fs::metadata(path).map_or(true, |m| m.len() > CLUSTER_FILE_BYTES_MAX);
    if too_big {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap_or_default();
    match parse_nodes(&text, path) {
        Ok((nodes, _)) => nodes
            .into_iter()
            .find(|n| n.site.alias == alias)
            .map(|n| n.compute_group)
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}
