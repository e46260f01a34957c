//! The `.dos` conformance runner shared by `crates/script/tests/conformance.rs` (the engine)
//! and `crates/cluster/tests/dfs_conformance.rs` (`tests/scripts/dfs`, which needs a DFS).
//!
//! Format: `#case <name>` starts a case; its script runs until `#expect` (then the expected
//! output, as DolphinDB's console prints it) or `#error` (then a line the error message must
//! contain). `DOS_FILTER=text` runs only the cases whose `file:case` contains `text`.

use std::path::{Path, PathBuf};

use script::Session;

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

fn dos_files(dir: &Path, skip: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| skip.contains(&n))
            {
                continue;
            }
            dos_files(&p, skip, out);
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

fn run_case(case: &Case, session: &mut Session) -> Result<(), String> {
    let mut printed: Vec<String> = Vec::new();
    let result = session.run_script(&case.script, &mut |t| printed.push(t.to_string()));
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

/// Runs every case of the `.dos` files under `root` (but in directories named in `skip`), each
/// in the fresh session `session` gives (with a directory to remove after the case, if any),
/// and fails naming every case whose output or error differs. `what` names the suite.
pub fn run_all(
    what: &str,
    root: &Path,
    skip: &[&str],
    session: &dyn Fn() -> Result<(Session, Option<PathBuf>), String>,
) {
    let mut files = Vec::new();
    dos_files(root, skip, &mut files);
    let filter = std::env::var("DOS_FILTER").unwrap_or_default();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut report = String::new();
    for path in files {
        let rel = path
            .strip_prefix(root)
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
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let (mut s, dir) = session()?;
                let r = run_case(&case, &mut s);
                drop(s);
                if let Some(dir) = dir {
                    std::fs::remove_dir_all(dir).ok();
                }
                r
            }))
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
    eprintln!("{what}: {} passed, {} failed", passed, failed);
    println!("{what}: {} passed, {} failed", passed, failed);
    assert_eq!(failed, 0, "{} {what} case(s) failed", failed);
}
