//! Every registered built-in is exercised by at least one conformance case: the test reads the
//! script part of every `#case` in `tests/scripts/**/*.dos` and fails, listing them, when a
//! registered name never occurs there as a whole identifier.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Families whose cases live with the parts that own them, or that need a running node:
/// DFS functions are tested by crates/cluster (helper dfs) and streaming functions by
/// crates/server (helper server), so the whole of those families is exempt.
fn exempt_families() -> Vec<script::Builtin> {
    let mut v = script::builtins::dfs::functions();
    v.extend(script::builtins::streaming::functions());
    // Controller functions need a running cluster: tested by crates/cluster (helper raft).
    v.extend(script::builtins::controller::functions());
    // Cluster node functions need a running cluster: tested by crates/porpoise (helper nodes).
    v.extend(script::builtins::cluster::functions());
    v
}

fn dos_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            dos_files(&p, out);
        } else if p.extension().and_then(|e| e.to_str()) == Some("dos") {
            out.push(p);
        }
    }
}

/// The identifiers (with a trailing `!` kept) in the script part of every case.
fn identifiers_in_cases(text: &str, out: &mut HashSet<String>) {
    let mut in_script = false;
    for line in text.lines() {
        if line.starts_with("#case") {
            in_script = true;
            continue;
        }
        if matches!(line.trim_end(), "#expect" | "#error") {
            in_script = false;
            continue;
        }
        if !in_script {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_alphabetic() || chars[i] == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if chars.get(i) == Some(&'!') {
                    out.insert(format!("{}!", word));
                }
                out.insert(word);
            } else {
                i += 1;
            }
        }
    }
}

#[test]
fn every_builtin_has_a_conformance_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scripts");
    let mut files = Vec::new();
    dos_files(&root, &mut files);
    let mut seen = HashSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        identifiers_in_cases(&text, &mut seen);
    }
    if std::env::var("COVERAGE_LIST").is_ok() {
        let mut all: Vec<&str> = script::builtins::registry().keys().copied().collect();
        all.sort_unstable();
        println!("registered: {}", all.join(" "));
    }
    let allowed: HashSet<&str> = exempt_families().iter().map(|b| b.name).collect();
    let mut missing: Vec<&str> = script::builtins::registry()
        .keys()
        .copied()
        // `__table_named` and friends are the interpreter's internal entry points.
        .filter(|n| !n.starts_with("__"))
        .filter(|n| !seen.contains(*n) && !allowed.contains(n))
        .collect();
    missing.sort_unstable();
    println!(
        "{} built-ins registered, {} without a conformance case",
        script::builtins::registry().len(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "{} built-in(s) have no conformance case:\n{}",
        missing.len(),
        missing.join(" ")
    );
}
