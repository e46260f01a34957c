//! Helpers for the multi-process tests: the porpoise binary, free loopback ports, processes
//! that are killed with their children when a test fails, and the official Rust client.
//! `layout` starts clusters from cfg files, `ha` a Raft cluster without agents.

#![allow(dead_code)]

pub mod ha;
pub mod layout;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dolphindb::client::{Client, ClientBuilder};
use dolphindb::types::{ConstantImpl, VectorImpl};

/// The porpoise binary: this build's, or `PORPOISE_TEST_BIN` (figures of another build).
pub fn exe() -> PathBuf {
    std::env::var_os("PORPOISE_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_porpoise")))
}

/// A fresh directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let p = std::env::temp_dir().join(format!("porpoise-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn port_free(p: u32) -> bool {
    p < 65_000 && std::net::TcpListener::bind(("0.0.0.0", p as u16)).is_ok()
}

/// An offset such that every `base + offset` is a free port; tests pass different `salt`s so
/// parallel tests start their search in different places.
pub fn free_offset(bases: &[u16], salt: u32) -> u16 {
    let start = (std::process::id()
        .wrapping_mul(7919)
        .wrapping_add(salt * 1543))
        % 40_000;
    for i in 0..400u32 {
        let off = (start + i * 97) % 50_000;
        if bases.iter().all(|b| port_free(*b as u32 + off)) {
            return off as u16;
        }
    }
    panic!("no free ports");
}

/// A process of the test, in its own process group: dropping it kills the group (an agent and
/// the nodes it started).
pub struct Proc {
    pub name: String,
    pub child: Child,
}

impl Proc {
    pub fn spawn(name: &str, cwd: &Path, args: &[&str]) -> Proc {
        Proc::spawn_env(name, cwd, args, &[])
    }

    /// A porpoise node: `-console 0 -mode <mode>` and `flags`, each a `-name value` pair.
    pub fn node(name: &str, cwd: &Path, mode: &str, flags: &[(&str, &str)]) -> Proc {
        Proc::node_env(name, cwd, mode, flags, &[])
    }

    /// `node` with environment variables set for the process.
    pub fn node_env(
        name: &str,
        cwd: &Path,
        mode: &str,
        flags: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> Proc {
        let mut args = vec!["-console", "0", "-mode", mode];
        for (k, v) in flags {
            args.extend([*k, *v]);
        }
        Proc::spawn_env(name, cwd, &args, env)
    }

    /// `spawn` with environment variables set for the process.
    pub fn spawn_env(name: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Proc {
        use std::os::unix::process::CommandExt;
        let child = Command::new(exe())
            .args(args)
            .envs(env.iter().copied())
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        Proc {
            name: name.to_string(),
            child,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(self.pid(), sig);
        }
    }

    /// Waits for the process to exit, up to `t`.
    pub fn wait_exit(&mut self, t: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + t;
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill has no memory-safety preconditions; the group is the child's own.
            unsafe {
                libc::kill(-self.pid(), libc::SIGKILL);
            }
            let _ = self.child.wait();
        } else {
            // The leader is gone; its group may still hold started nodes.
            unsafe {
                libc::kill(-self.pid(), libc::SIGKILL);
            }
        }
    }
}

/// Whether something listens on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// A standalone node `alias` on `port` (home `dir/data`, log `dir/<alias>.log`) with `flags`
/// added; `wait_serving` waits for it.
pub fn single_node(dir: &Path, alias: &str, port: u16, flags: &[(&str, &str)]) -> Proc {
    let site = format!("127.0.0.1:{port}:{alias}");
    let log = format!("{alias}.log");
    let mut all = vec![
        ("-home", "data"),
        ("-localSite", site.as_str()),
        ("-logFile", log.as_str()),
    ];
    all.extend_from_slice(flags);
    Proc::node(alias, dir, "single", &all)
}

/// A script that creates the database `db` (VALUE 1 2 3) and in it the table `pt` with the
/// rows id 1 2 3, v 4 5 6 (sum(v) is 15).
pub fn small_table_script(db: &str) -> String {
    format!(
        r#"db = database("{db}", VALUE, 1 2 3)
           t = table(1 2 3 as id, 4 5 6 as v)
           db.createPartitionedTable(t, `pt, `id).append!(t)
           size(t)"#
    )
}

/// The official client, logged in as `user`.
pub async fn login(port: u16, user: &str, password: &str) -> Result<Client, String> {
    let mut b = ClientBuilder::new(format!("127.0.0.1:{port}"));
    b.with_auth((user, password));
    b.connect().await.map_err(|e| e.to_string())
}

/// The official client, logged in as admin.
pub async fn client(port: u16) -> Result<Client, String> {
    login(port, "admin", "123456").await
}

/// Runs a script through the official client on `port`.
pub async fn run(port: u16, script: &str) -> Result<Option<ConstantImpl>, String> {
    let mut c = client(port).await?;
    c.run_script(script).await.map_err(|e| e.to_string())
}

/// `run`'s value as text; a script without a value is an error.
pub async fn scalar(port: u16, script: &str) -> Result<String, String> {
    run(port, script)
        .await?
        .map(|v| v.to_string())
        .ok_or_else(|| "no result".to_string())
}

/// Runs `script` on `c`, its value as text (empty when it has none).
pub async fn text(c: &mut Client, script: &str) -> Result<String, String> {
    c.run_script(script)
        .await
        .map(|v| v.map(|v| v.to_string()).unwrap_or_default())
        .map_err(|e| e.to_string())
}

/// A column of a table as text, one element per row.
pub fn column(t: &ConstantImpl, name: &str) -> Vec<String> {
    let ConstantImpl::Table(t) = t else {
        panic!("not a table: {t}")
    };
    let v: &VectorImpl = t
        .get_columns_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let s = v.to_string();
    let inner = s.trim_start_matches('[').trim_end_matches(']');
    if inner.is_empty() {
        return Vec::new();
    }
    inner.split(", ").map(String::from).collect()
}

/// `getClusterPerf(true)` on `port`: alias -> up.
pub async fn cluster_state(port: u16) -> Result<Vec<(String, bool)>, String> {
    let t = run(port, "getClusterPerf(true)")
        .await?
        .ok_or("getClusterPerf returned nothing")?;
    let names = column(&t, "name");
    let states = column(&t, "state");
    Ok(names
        .into_iter()
        .zip(states)
        .map(|(n, s)| (n, s == "true" || s == "1"))
        .collect())
}

pub async fn is_up(port: u16, alias: &str) -> bool {
    cluster_state(port)
        .await
        .map(|s| s.iter().any(|(n, up)| n == alias && *up))
        .unwrap_or(false)
}

pub async fn is_down(port: u16, alias: &str) -> bool {
    cluster_state(port)
        .await
        .map(|s| s.iter().any(|(n, up)| n == alias && !*up))
        .unwrap_or(false)
}

/// Polls `f` until it is true or `t` passes; panics with `what` on timeout.
pub async fn wait_for<F, Fut>(what: &str, t: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + t;
    loop {
        if f().await {
            return;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {:?} waiting for {what}", t);
        }
        // Short: a node that starts in a few hundred ms (single_users) is seen at once.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the controller on `port` sees each of `aliases` up.
pub async fn wait_up(port: u16, aliases: &[&str], t: Duration) {
    for alias in aliases {
        wait_for(&format!("{alias} up on {port}"), t, || is_up(port, alias)).await;
    }
}

/// Waits until the node on `port` runs scripts.
pub async fn wait_serving(port: u16, t: Duration) {
    wait_for(&format!("a node serving on {port}"), t, || async move {
        run(port, "1").await.is_ok()
    })
    .await;
}

/// The pid the agent records for `alias` (its state file under `home/<agent>/`).
pub fn agent_pid(home: &Path, agent: &str, alias: &str) -> u32 {
    let text =
        std::fs::read_to_string(home.join(agent).join("agent_nodes.json")).unwrap_or_default();
    let Some(i) = text.find(&format!("\"{alias}\"")) else {
        return 0;
    };
    let rest = &text[i..];
    rest.find("\"pid\":")
        .map(|j| leading_number(&rest[j + 6..]))
        .unwrap_or(0)
}

/// The number `s` starts with (after white space), 0 when there is none.
fn leading_number<T: std::str::FromStr + Default>(s: &str) -> T {
    s.trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

/// On drop, kills the nodes the agents under `homes` recorded (they run in process groups of
/// their own, so killing an agent does not stop them): no stray node outlives a failed test.
pub struct Reaper(pub Vec<PathBuf>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for home in &self.0 {
            let Ok(dirs) = std::fs::read_dir(home) else {
                continue;
            };
            for d in dirs.flatten() {
                let text =
                    std::fs::read_to_string(d.path().join("agent_nodes.json")).unwrap_or_default();
                for part in text.split("\"pid\":").skip(1) {
                    let pid: i32 = leading_number(part);
                    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                    if pid > 0 && cmdline.windows(10).any(|w| w == b"-localSite") {
                        // SAFETY: kill has no memory-safety preconditions.
                        unsafe {
                            libc::kill(pid, libc::SIGKILL);
                        }
                    }
                }
            }
        }
    }
}
