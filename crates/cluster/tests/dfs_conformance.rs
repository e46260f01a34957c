//! DFS conformance: runs every case of `tests/scripts/dfs/*.dos` in a fresh session whose
//! host has a fresh `LocalDfs` (catalog in a temporary directory, in-memory chunk store), and
//! compares the output with DolphinDB's, as `crates/script/tests/conformance.rs` does for the
//! other files. `DOS_FILTER=text` runs only the matching cases.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cluster::dfs::{DfsConfig, LocalDfs};
use cluster::store::MemStore;
use script::{LocalHost, Session};

#[derive(Debug)]
enum Expected {
    Output(String),
    Error(String),
}

#[derive(Debug)]
struct Case {
    file: String,
    name: String,
    line: usize,
    script: String,
    expected: Expected,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dos_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            dos_files(&p, out);
        } else if p.extension().and_then(|e| e.to_str()) == Some("dos") {
            out.push(p);
        }
    }
}

/// A case being read: name, line, script lines, kind (Some(true) = #error), expected lines.
type Pending<'a> = (String, usize, Vec<&'a str>, Option<bool>, Vec<&'a str>);

fn parse_cases(file: &str, text: &str) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    let mut current: Option<Pending> = None;
    let finish = |c: Option<Pending>, cases: &mut Vec<Case>| -> Result<(), String> {
        let Some((name, line, script, kind, body)) = c else {
            return Ok(());
        };
        let mut body: Vec<&str> = body;
        while body.last().map(|l| l.trim().is_empty()).unwrap_or(false) {
            body.pop();
        }
        let expected = match kind {
            Some(false) => Expected::Output(body.join("\n")),
            Some(true) => Expected::Error(body.join("\n").trim().to_string()),
            None => {
                return Err(format!(
                    "{}:{}: case '{}' has no #expect or #error",
                    file, line, name
                ))
            }
        };
        cases.push(Case {
            file: file.to_string(),
            name,
            line,
            script: script.join("\n"),
            expected,
        });
        Ok(())
    };
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("#case") {
            finish(current.take(), &mut cases)?;
            current = Some((name.trim().to_string(), i + 1, Vec::new(), None, Vec::new()));
            continue;
        }
        let Some(c) = current.as_mut() else {
            continue;
        };
        if line.trim_end() == "#expect" {
            c.3 = Some(false);
        } else if line.trim_end() == "#error" {
            c.3 = Some(true);
        } else if c.3.is_none() {
            c.2.push(line);
        } else {
            c.4.push(line);
        }
    }
    finish(current.take(), &mut cases)?;
    Ok(cases)
}

/// Trailing whitespace per line and trailing empty lines do not count.
fn normalize(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().map(|l| l.trim_end()).collect();
    while lines.last().map(|l| l.is_empty()).unwrap_or(false) {
        lines.pop();
    }
    lines.join("\n")
}

fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let p = std::env::temp_dir().join(format!("porpoise-{}-{}-{}", tag, std::process::id(), n));
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn run_case(case: &Case) -> Result<(), String> {
    let dir = temp_dir("dfs-case");
    // The real chunk store (no background threads); DFS_MEMSTORE=1 uses the in-memory one.
    let dfs = if std::env::var("DFS_MEMSTORE").is_ok() {
        LocalDfs::open(
            &dir.join("catalog.redb"),
            Arc::new(MemStore::default()),
            DfsConfig::default(),
        )
    } else {
        let cfg = storage::StoreConfig {
            background: false,
            data_sync: false,
            ..storage::StoreConfig::default()
        };
        LocalDfs::open_dir(&dir, DfsConfig::default(), cfg)
    }
    .map_err(|e| e.to_string())?;
    let mut session = Session::new(Arc::new(LocalHost::with_dfs(Arc::new(dfs))));
    let mut printed: Vec<String> = Vec::new();
    let result = session.run_script(&case.script, &mut |t| printed.push(t.to_string()));
    drop(session);
    std::fs::remove_dir_all(&dir).ok();
    match (&case.expected, result) {
        (Expected::Output(want), Ok(value)) => {
            let mut got = printed;
            if let Some(v) = value {
                got.push(value::display::to_display(&v));
            }
            let got = normalize(&got.join("\n"));
            let want = normalize(want);
            if got == want {
                Ok(())
            } else {
                Err(format!("expected:\n{}\nactual:\n{}", want, got))
            }
        }
        (Expected::Output(want), Err(e)) => Err(format!(
            "expected:\n{}\nactual error:\n{}",
            normalize(want),
            e
        )),
        (Expected::Error(want), Err(e)) => {
            if e.message().contains(want.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "expected an error containing:\n{}\nactual error:\n{}",
                    want, e
                ))
            }
        }
        (Expected::Error(want), Ok(v)) => Err(format!(
            "expected an error containing:\n{}\nbut the script succeeded with:\n{}",
            want,
            v.map(|v| value::display::to_display(&v))
                .unwrap_or_default()
        )),
    }
}

#[test]
fn dfs_conformance() {
    let root = repo_root().join("tests/scripts/dfs");
    let mut files = Vec::new();
    dos_files(&root, &mut files);
    let filter = std::env::var("DOS_FILTER").unwrap_or_default();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut report = String::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                failed += 1;
                report.push_str(&format!("{}: can't read: {}\n", rel, e));
                continue;
            }
        };
        let cases = match parse_cases(&rel, &text) {
            Ok(c) => c,
            Err(e) => {
                failed += 1;
                report.push_str(&format!("{}\n", e));
                continue;
            }
        };
        for case in cases {
            let id = format!("{}:{}", case.file, case.name);
            if !filter.is_empty() && !id.contains(&filter) {
                continue;
            }
            let outcome = std::panic::catch_unwind(|| run_case(&case))
                .unwrap_or_else(|_| Err("the interpreter panicked".to_string()));
            match outcome {
                Ok(()) => passed += 1,
                Err(msg) => {
                    failed += 1;
                    report.push_str(&format!("FAIL {} (line {})\n{}\n\n", id, case.line, msg));
                }
            }
        }
    }
    if !report.is_empty() {
        eprintln!("{}", report);
    }
    eprintln!("conformance: {} passed, {} failed", passed, failed);
    println!("conformance: {} passed, {} failed", passed, failed);
    assert_eq!(failed, 0, "{} conformance case(s) failed", failed);
}
