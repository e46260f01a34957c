//! `cluster.cfg`: the settings of every data and compute node, one `key=value` per line. A key
//! may be qualified by what comes before its first `.`:
//! - an alias: `datanode1.volumes=/data/dn1`;
//! - a pattern where `%` matches any run of characters and `?` exactly one:
//!   `P1-%.publicName=127.0.0.1`, `DFSnode?.maxMemSize=16`;
//! - a compute group name: `orca.maxMemSize=8`.
//!
//! Unqualified keys apply to every node, and `<ALIAS>` in their value (or in a pattern-qualified
//! value) becomes the node's alias: `volumes=/VOL1/<ALIAS>`. DolphinDB refuses `<ALIAS>` under
//! a plain alias qualifier, and so do we. When several entries set one key for a node, the most
//! specific wins: an exact alias, then the pattern with the most literal characters, then the
//! compute group, then the unqualified entry; among equals, the later line.

/// The macro that stands for the node's alias in a value.
pub const ALIAS_MACRO: &str = "<ALIAS>";
/// Most entries one cluster.cfg may hold.
pub const ENTRIES_MAX: usize = 65_536;

/// One `[qualifier.]key=value` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfgEntry {
    /// Empty when the key applies to every node.
    pub qualifier: String,
    pub key: String,
    pub value: String,
}

impl CfgEntry {
    /// The line as written in cluster.cfg.
    pub fn line(&self) -> String {
        if self.qualifier.is_empty() {
            format!("{}={}", self.key, self.value)
        } else {
            format!("{}.{}={}", self.qualifier, self.key, self.value)
        }
    }

    fn is_pattern(&self) -> bool {
        self.qualifier.contains(['%', '?'])
    }
}

/// The entries of a cluster.cfg, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterCfg {
    pub entries: Vec<CfgEntry>,
}

/// How well an entry matches a node; larger is more specific.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Specificity {
    Everyone,
    Group,
    Pattern(usize),
    Alias,
}

impl ClusterCfg {
    /// Builds the entries from `key=value` pairs as the config reader returns them.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<ClusterCfg, String> {
        if pairs.len() > ENTRIES_MAX {
            return Err(format!("cluster.cfg has more than {ENTRIES_MAX} entries"));
        }
        let mut entries = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            let (qualifier, key) = match k.split_once('.') {
                Some((q, key)) => (q.trim(), key.trim()),
                None => ("", k.trim()),
            };
            if key.is_empty() {
                return Err(format!("Invalid cluster configuration line [{k}={v}]"));
            }
            let entry = CfgEntry {
                qualifier: qualifier.to_string(),
                key: key.to_string(),
                value: v.trim().to_string(),
            };
            if !entry.qualifier.is_empty() && !entry.is_pattern() && v.contains(ALIAS_MACRO) {
                return Err(format!(
                    "The macro {ALIAS_MACRO} can't be used with a node-qualified parameter: [{}]",
                    entry.line()
                ));
            }
            entries.push(entry);
        }
        Ok(ClusterCfg { entries })
    }

    /// Parses `key=value` lines (as `saveClusterNodesConfigs` receives them); blank and `#`
    /// lines are skipped.
    pub fn from_lines<S: AsRef<str>>(lines: &[S]) -> Result<ClusterCfg, String> {
        let mut pairs = Vec::new();
        for line in lines {
            let line = line.as_ref().trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => pairs.push((k.to_string(), v.to_string())),
                _ => return Err(format!("Invalid cluster configuration line [{line}]")),
            }
        }
        ClusterCfg::from_pairs(&pairs)
    }

    /// The lines of the file, in order.
    pub fn lines(&self) -> Vec<String> {
        self.entries.iter().map(CfgEntry::line).collect()
    }

    fn specificity(e: &CfgEntry, alias: &str, group: &str) -> Option<Specificity> {
        if e.qualifier.is_empty() {
            return Some(Specificity::Everyone);
        }
        if e.is_pattern() {
            let literal = e.qualifier.chars().filter(|c| *c != '%').count();
            return wildcard_match(&e.qualifier, alias).then_some(Specificity::Pattern(literal));
        }
        if e.qualifier == alias {
            return Some(Specificity::Alias);
        }
        (!group.is_empty() && e.qualifier == group).then_some(Specificity::Group)
    }

    /// The settings that apply to the node `alias` (in compute group `group`, or ""), with
    /// `<ALIAS>` expanded: one pair per key, keys in order of first appearance.
    pub fn for_node(&self, alias: &str, group: &str) -> Vec<(String, String)> {
        // (key, winning specificity, value); keys compare without case, as DolphinDB's do.
        let mut out: Vec<(String, Specificity, String)> = Vec::new();
        for e in &self.entries {
            let Some(s) = Self::specificity(e, alias, group) else {
                continue;
            };
            let value = e.value.replace(ALIAS_MACRO, alias);
            match out
                .iter_mut()
                .find(|(k, _, _)| k.eq_ignore_ascii_case(&e.key))
            {
                Some(slot) if s >= slot.1 => {
                    slot.1 = s;
                    slot.2 = value;
                }
                Some(_) => {}
                None => out.push((e.key.clone(), s, value)),
            }
        }
        out.into_iter().map(|(k, _, v)| (k, v)).collect()
    }

    /// The value of `key` for the node `alias`, if any entry sets it.
    pub fn value_for(&self, alias: &str, group: &str, key: &str) -> Option<String> {
        self.for_node(alias, group)
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }
}

/// Whether `text` matches `pattern`, where `%` matches any run of characters (possibly none)
/// and `?` exactly one. Case-sensitive, as aliases are.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Greedy with one backtrack point: linear for patterns without nested stars.
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || (p[i] != '%' && p[i] == t[j])) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '%' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '%')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(lines: &[&str]) -> ClusterCfg {
        ClusterCfg::from_lines(lines).unwrap()
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("P1-%", "P1-node1"));
        assert!(wildcard_match("P1-%", "P1-"));
        assert!(!wildcard_match("P1-%", "P2-node1"));
        assert!(wildcard_match("%8821", "node8821"));
        assert!(wildcard_match("DFSnode?", "DFSnode3"));
        assert!(!wildcard_match("DFSnode?", "DFSnode"));
        assert!(!wildcard_match("DFSnode?", "DFSnode12"));
        assert!(wildcard_match("%-datanode", "a-b-datanode"));
        assert!(wildcard_match("P%-node1", "P3-node1"));
        assert!(wildcard_match("%", ""));
        assert!(wildcard_match("a%b%c", "aXXbYYbc"));
        assert!(!wildcard_match("p1-%", "P1-node1"));
    }

    #[test]
    fn most_specific_entry_wins_whatever_the_order() {
        let c = cfg(&[
            "dn1.maxMemSize=4",
            "maxMemSize=8",
            "dn%.maxMemSize=16",
            "dn?.maxMemSize=12",
            "workerNum=2",
            "orca.workerNum=6",
        ]);
        assert_eq!(c.value_for("dn1", "", "maxMemSize").as_deref(), Some("4"));
        assert_eq!(c.value_for("dn2", "", "maxMemSize").as_deref(), Some("12"));
        assert_eq!(c.value_for("dn12", "", "maxMemSize").as_deref(), Some("16"));
        assert_eq!(c.value_for("cn1", "", "maxMemSize").as_deref(), Some("8"));
        assert_eq!(
            c.value_for("orca1", "orca", "workerNum").as_deref(),
            Some("6")
        );
        assert_eq!(c.value_for("dn1", "", "WORKERNUM").as_deref(), Some("2"));
        // Among equals the later line wins.
        let c = cfg(&["workerNum=2", "workerNum=3"]);
        assert_eq!(c.value_for("x", "", "workerNum").as_deref(), Some("3"));
    }

    #[test]
    fn alias_macro() {
        let c = cfg(&[
            "volumes=/VOL1/<ALIAS>,/VOL2/<ALIAS>",
            "P1-%.persistenceDir=/p/<ALIAS>",
        ]);
        assert_eq!(
            c.for_node("P1-node1", ""),
            vec![
                (
                    "volumes".to_string(),
                    "/VOL1/P1-node1,/VOL2/P1-node1".to_string()
                ),
                ("persistenceDir".to_string(), "/p/P1-node1".to_string()),
            ]
        );
        let e = ClusterCfg::from_lines(&["nodeA.volumes=/DFSRoot/<ALIAS>"]).unwrap_err();
        assert!(e.contains("<ALIAS>"), "{e}");
    }

    #[test]
    fn lines_round_trip_and_values_keep_dots() {
        let lines = [
            "maxMemSize=8",
            "P1-%.publicName=127.0.0.1",
            "volumes=/a/b.c",
        ];
        let c = cfg(&lines);
        assert_eq!(c.lines(), lines);
        assert_eq!(c.entries[1].qualifier, "P1-%");
        assert_eq!(c.value_for("x", "", "volumes").as_deref(), Some("/a/b.c"));
        assert!(ClusterCfg::from_lines(&["no equals sign"]).is_err());
    }
}
