//! `cluster.nodes`: a CSV whose header names the columns (`localSite,mode`, optionally
//! `computeGroup` and `zone`), one node per row: `10.5.0.4:8711:P1-node1,datanode`.

use std::collections::HashSet;

use super::{NodeMode, Site, NODES_MAX};

/// The header DolphinDB writes.
pub const NODES_HEADER: &str = "localSite,mode";

/// One row of cluster.nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEntry {
    pub site: Site,
    pub mode: NodeMode,
    /// Empty when the node is in no compute group.
    pub compute_group: String,
    /// Empty when zones are not used.
    pub zone: String,
}

#[derive(Clone, Copy)]
enum Column {
    Site,
    Mode,
    ComputeGroup,
    Zone,
    Other,
}

fn column(name: &str) -> Column {
    match name.trim().to_ascii_lowercase().as_str() {
        "localsite" => Column::Site,
        "mode" => Column::Mode,
        "computegroup" => Column::ComputeGroup,
        "zone" => Column::Zone,
        _ => Column::Other,
    }
}

/// Parses the text of cluster.nodes. `name` is the file name, for messages. Blank lines
/// (including a blank first line, which DolphinDB itself refuses) and `#` lines are skipped;
/// a file without a header is read as `localSite,mode`. Returns the nodes and warnings.
pub fn parse_nodes(text: &str, name: &str) -> Result<(Vec<NodeEntry>, Vec<String>), String> {
    let mut warnings = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .peekable();
    let mut columns = vec![Column::Site, Column::Mode];
    if let Some((_, first)) = lines.peek() {
        if first.to_ascii_lowercase().starts_with("localsite") {
            columns = first.split(',').map(column).collect();
            lines.next();
        } else {
            warnings.push(format!(
                "The nodes file [{name}] has no header line; reading it as {NODES_HEADER}"
            ));
        }
    }
    let mut nodes: Vec<NodeEntry> = Vec::new();
    let mut aliases = HashSet::new();
    let mut addrs = HashSet::new();
    for (n, line) in lines {
        let entry = parse_row(line, &columns)
            .map_err(|e| format!("Failed to load the nodes file [{name}]: line {n}: {e}"))?;
        if !aliases.insert(entry.site.alias.clone()) {
            return Err(format!(
                "Failed to load the nodes file [{name}]: line {n}: the alias {} is used twice",
                entry.site.alias
            ));
        }
        if !addrs.insert(entry.site.addr()) {
            return Err(format!(
                "Failed to load the nodes file [{name}]: line {n}: the site {} is used twice",
                entry.site.addr()
            ));
        }
        if nodes.len() >= NODES_MAX {
            return Err(format!(
                "Failed to load the nodes file [{name}]: more than {NODES_MAX} nodes"
            ));
        }
        nodes.push(entry);
    }
    if nodes.is_empty() {
        return Err(format!(
            "Failed to load the nodes file [{name}] with error: The input file is empty."
        ));
    }
    Ok((nodes, warnings))
}

fn parse_row(line: &str, columns: &[Column]) -> Result<NodeEntry, String> {
    let mut site = None;
    let mut mode = None;
    let mut entry_group = String::new();
    let mut entry_zone = String::new();
    for (i, field) in line.split(',').enumerate() {
        let field = field.trim();
        match columns.get(i).copied().unwrap_or(Column::Other) {
            Column::Site => {
                site =
                    Some(Site::parse(field).ok_or_else(|| {
                        format!("invalid site [{field}], expected host:port:alias")
                    })?)
            }
            Column::Mode => {
                mode = Some(NodeMode::parse(field).ok_or_else(|| {
                    format!(
                    "invalid mode [{field}], expected controller, agent, datanode or computenode"
                )
                })?)
            }
            Column::ComputeGroup => entry_group = field.to_string(),
            Column::Zone => entry_zone = field.to_string(),
            Column::Other => {}
        }
    }
    let site = site.ok_or("the localSite column is missing")?;
    let mode = mode.ok_or("the mode column is missing")?;
    if !entry_group.is_empty() && mode != NodeMode::ComputeNode {
        return Err(format!(
            "{} is a {mode}: only compute nodes belong to a compute group",
            site.alias
        ));
    }
    if !entry_group.is_empty() && !site.alias.starts_with(&entry_group) {
        return Err(format!(
            "the alias {} of a node in compute group {entry_group} must start with the group name",
            site.alias
        ));
    }
    Ok(NodeEntry {
        site,
        mode,
        compute_group: entry_group,
        zone: entry_zone,
    })
}

/// The text of cluster.nodes for `nodes`, with the columns they need.
pub fn format_nodes(nodes: &[NodeEntry]) -> String {
    let groups = nodes.iter().any(|n| !n.compute_group.is_empty());
    let zones = nodes.iter().any(|n| !n.zone.is_empty());
    let mut out = String::from(NODES_HEADER);
    if groups || zones {
        out.push_str(",computeGroup");
    }
    if zones {
        out.push_str(",zone");
    }
    out.push('\n');
    for n in nodes {
        out.push_str(&format!("{},{}", n.site, n.mode));
        if groups || zones {
            out.push_str(&format!(",{}", n.compute_group));
        }
        if zones {
            out.push_str(&format!(",{}", n.zone));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_columns_groups_and_zones() {
        let text = "localSite,mode,computeGroup,zone\n\
                    10.0.0.80:8901:P1-agent,agent,,\n\
                    10.0.0.80:8902:P1-dn,datanode,,east\n\
                    192.168.1.243:23793:orca1,computenode,orca,east\n";
        let (nodes, w) = parse_nodes(text, "cluster.nodes").unwrap();
        assert!(w.is_empty());
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[2].compute_group, "orca");
        assert_eq!(nodes[1].zone, "east");
        let again = parse_nodes(&format_nodes(&nodes), "x").unwrap().0;
        assert_eq!(again, nodes);
    }

    #[test]
    fn blank_first_line_comments_and_no_header() {
        let (nodes, w) =
            parse_nodes("\n\n# agents\n127.0.0.1:8710:a,agent\n", "cluster.nodes").unwrap();
        assert_eq!(nodes[0].site.alias, "a");
        assert_eq!(w.len(), 1, "{w:?}");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = parse_nodes("localSite,mode\n", "c.nodes").unwrap_err();
        assert!(e.contains("The input file is empty"), "{e}");
        let e =
            parse_nodes("localSite,mode\nh:1:a,agent\nh:2:a,datanode\n", "c.nodes").unwrap_err();
        assert!(e.contains("line 3") && e.contains("twice"), "{e}");
        let e = parse_nodes("localSite,mode\nh:1:a,boss\n", "c.nodes").unwrap_err();
        assert!(e.contains("invalid mode"), "{e}");
        let e = parse_nodes("localSite,mode\nh:1:a,agent\nh:1:b,datanode\n", "c").unwrap_err();
        assert!(e.contains("site h:1"), "{e}");
        let e = parse_nodes(
            "localSite,mode,computeGroup\nh:1:x1,computenode,orca\n",
            "c",
        )
        .unwrap_err();
        assert!(e.contains("must start with the group name"), "{e}");
    }
}
