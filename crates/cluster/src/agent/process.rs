//! Child processes of an agent: spawning a node as `porpoise -mode datanode ...`, signalling it,
//! and recognising a node that an earlier run of the agent left running (Linux: /proc).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// A node process the agent watches.
pub enum Proc {
    /// Started by this agent.
    Child(tokio::process::Child),
    /// Left running by an earlier run of the agent: watched through its pid.
    Adopted(u32),
}

impl Proc {
    pub fn pid(&self) -> u32 {
        match self {
            Proc::Child(c) => c.id().unwrap_or(0),
            Proc::Adopted(p) => *p,
        }
    }

    /// None while it runs, else how it ended.
    pub fn exited(&mut self, alias: &str) -> Option<String> {
        match self {
            Proc::Child(c) => match c.try_wait() {
                Ok(None) => None,
                Ok(Some(status)) => Some(describe(status)),
                Err(e) => Some(format!("lost track of the process: {e}")),
            },
            Proc::Adopted(pid) => (!is_node_process(*pid, alias)).then(|| "exited".to_string()),
        }
    }

    /// Asks the node to shut down cleanly (SIGTERM).
    pub fn terminate(&self) {
        signal(self.pid(), libc::SIGTERM);
    }

    /// Kills the node (SIGKILL).
    pub fn kill(&mut self) {
        match self {
            Proc::Child(c) => {
                let _ = c.start_kill();
            }
            Proc::Adopted(pid) => signal(*pid, libc::SIGKILL),
        }
    }
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "exited".to_string(),
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    if pid == 0 || pid > i32::MAX as u32 {
        return;
    }
    // SAFETY: kill has no memory-safety preconditions; pid is a positive process id.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// What starting one node needs.
#[derive(Clone, Debug)]
pub struct Launch {
    pub exe: PathBuf,
    pub args: Vec<String>,
    /// Where the node's stderr goes (its log file), appended.
    pub stderr_log: PathBuf,
}

/// Starts a node process.
pub fn spawn(l: &Launch) -> std::io::Result<Proc> {
    if let Some(dir) = l.stderr_log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let err = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&l.stderr_log)?;
    let child = tokio::process::Command::new(&l.exe)
        .args(&l.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(err))
        // Its own process group: a Ctrl-C meant for the agent's terminal is not a crash of
        // the node; the agent stops its nodes itself when it stops.
        .process_group(0)
        .kill_on_drop(false)
        .spawn()?;
    Ok(Proc::Child(child))
}

/// Whether `pid` is alive and is the porpoise node `alias` (its command line names it). Always
/// false where /proc does not exist.
pub fn is_node_process(pid: u32, alias: &str) -> bool {
    if pid == 0 {
        return false;
    }
    let dir = Path::new("/proc").join(pid.to_string());
    let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
        return false;
    };
    // A zombie has exited.
    let state = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next());
    if state == Some("Z") {
        return false;
    }
    let Ok(cmdline) = std::fs::read(dir.join("cmdline")) else {
        return false;
    };
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    args.windows(2).any(|w| {
        w[0] == b"-localSite"
            && std::str::from_utf8(w[1])
                .ok()
                .and_then(|s| s.split(',').next())
                .and_then(|s| s.rsplit(':').next())
                == Some(alias)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_not_a_node_and_pid_zero_is_nothing() {
        assert!(!is_node_process(std::process::id(), "P1-node1"));
        assert!(!is_node_process(0, "x"));
    }

    #[tokio::test]
    async fn spawn_terminate_and_see_the_exit() {
        let dir = std::env::temp_dir().join(format!("porpoise-proc-{}", std::process::id()));
        let l = Launch {
            exe: PathBuf::from("/bin/sleep"),
            args: vec!["30".into()],
            stderr_log: dir.join("x.log"),
        };
        let mut p = spawn(&l).unwrap();
        assert!(p.exited("x").is_none());
        p.terminate();
        let mut ended = None;
        for _ in 0..100 {
            if let Some(e) = p.exited("x") {
                ended = Some(e);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(ended.as_deref(), Some("killed by signal 15"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
