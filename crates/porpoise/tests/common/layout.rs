//! Clusters started from cfg files, in a directory laid out as the seed's projects are:
//! `<prefix>config/` (controller.cfg, agent.cfg, cluster.nodes, cluster.cfg), the home
//! `<prefix>data` and the logs in `<prefix>log/`; and `Cluster`, one controller with data and
//! compute nodes started directly (no agent) from such a directory.

use std::path::PathBuf;
use std::time::Duration;

use crate::common::{free_offset, temp_dir, wait_up, Proc};

/// A directory with the seed's layout, and the command lines that start its processes.
pub struct Layout {
    pub dir: PathBuf,
    /// Where `config/`, `data` and `log/` are below `dir`: "" or e.g. "clusterDemo/".
    prefix: &'static str,
    /// Whether the controllers and agents get `-script dolphindb.dos`.
    script: bool,
}

impl Layout {
    pub fn new(dir: PathBuf, prefix: &'static str, script: bool) -> Layout {
        Layout {
            dir,
            prefix,
            script,
        }
    }

    /// A path below `dir`, as the processes (which run in `dir`) are given it.
    fn rel(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// The nodes' home.
    pub fn home(&self) -> PathBuf {
        self.dir.join(self.rel("data"))
    }

    /// Writes `config/<file>`.
    pub fn write(&self, file: &str, text: impl AsRef<[u8]>) {
        let cfg = self.dir.join(self.rel("config"));
        std::fs::create_dir_all(&cfg).unwrap();
        std::fs::write(cfg.join(file), text).unwrap();
    }

    /// `-home`, `-script` (when the layout has one), `-config config/<name>.cfg` and
    /// `-logFile log/<name>.log`, then `more`.
    fn flags(&self, name: &str, more: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
        let mut f = vec![("-home", self.rel("data"))];
        if self.script {
            f.push(("-script", "dolphindb.dos".into()));
        }
        f.push(("-config", self.rel(&format!("config/{name}.cfg"))));
        f.push(("-logFile", self.rel(&format!("log/{name}.log"))));
        f.extend(more.iter().map(|(k, v)| (*k, v.clone())));
        f
    }

    fn spawn(&self, name: &str, mode: &str, flags: &[(&'static str, String)]) -> Proc {
        let flags: Vec<(&str, &str)> = flags.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Proc::node(name, &self.dir, mode, &flags)
    }

    /// The controller configured by `config/<name>.cfg`.
    pub fn controller(&self, name: &str) -> Proc {
        let flags = self.flags(
            name,
            &[
                ("-nodesFile", self.rel("config/cluster.nodes")),
                ("-clusterConfig", self.rel("config/cluster.cfg")),
            ],
        );
        self.spawn(name, "controller", &flags)
    }

    /// The agent configured by `config/<name>.cfg`.
    pub fn agent(&self, name: &str) -> Proc {
        self.spawn(name, "agent", &self.flags(name, &[]))
    }

    /// A data or compute node (`mode`) started directly, on `port`, under the controller
    /// `master` on `controller`.
    pub fn node(&self, mode: &str, alias: &str, port: u16, controller: u16) -> Proc {
        let flags = [
            ("-home", self.rel("data")),
            ("-localSite", format!("127.0.0.1:{port}:{alias}")),
            ("-logFile", self.rel(&format!("log/{alias}.log"))),
            ("-clusterConfig", self.rel("config/cluster.cfg")),
            ("-nodesFile", self.rel("config/cluster.nodes")),
            ("-controllerSite", format!("127.0.0.1:{controller}:master")),
        ];
        self.spawn(alias, mode, &flags)
    }
}

const CONTROLLER_BASE: u16 = 8900;
/// Data nodes take the ports from here on, the compute nodes the ones after them.
const NODE_BASE: u16 = 8711;

/// One controller (`master`), data nodes dn1.. and compute nodes cn1.., each a process of its
/// own started directly; the directory goes when the cluster is dropped, unless a test failed
/// or `PORPOISE_KEEP` is set.
pub struct Cluster {
    pub layout: Layout,
    pub controller: u16,
    pub data: Vec<u16>,
    pub compute: Vec<u16>,
    /// Data node `i` as `start_data_node(i)` started it, None while it is down.
    pub data_nodes: Vec<Option<Proc>>,
    procs: Vec<Proc>,
}

impl Cluster {
    /// Writes the cfg files (`controller_cfg`'s lines in controller.cfg after its localSite,
    /// `cluster_cfg` as cluster.cfg) and starts every process; `wait_up` waits for them.
    /// Tests running at once pass different `salt`s.
    pub fn start(
        tag: &str,
        salt: u32,
        data: usize,
        compute: usize,
        controller_cfg: &str,
        cluster_cfg: &str,
    ) -> Cluster {
        let nodes = (data + compute) as u16;
        let bases: Vec<u16> = std::iter::once(CONTROLLER_BASE)
            .chain((0..nodes).map(|i| NODE_BASE + i))
            .collect();
        let off = free_offset(&bases, salt);
        let ports: Vec<u16> = (0..nodes).map(|i| NODE_BASE + i + off).collect();
        let layout = Layout::new(temp_dir(tag), "", false);
        let controller = CONTROLLER_BASE + off;
        layout.write(
            "controller.cfg",
            &format!("mode=controller\nlocalSite=127.0.0.1:{controller}:master\n{controller_cfg}"),
        );
        let mut list = String::from("localSite,mode\n");
        for (i, port) in ports[..data].iter().enumerate() {
            list.push_str(&format!("127.0.0.1:{port}:dn{},datanode\n", i + 1));
        }
        for (i, port) in ports[data..].iter().enumerate() {
            list.push_str(&format!("127.0.0.1:{port}:cn{},computenode\n", i + 1));
        }
        layout.write("cluster.nodes", &list);
        layout.write("cluster.cfg", cluster_cfg);
        let mut c = Cluster {
            procs: vec![layout.controller("controller")],
            layout,
            controller,
            data: ports[..data].to_vec(),
            compute: ports[data..].to_vec(),
            data_nodes: (0..data).map(|_| None).collect(),
        };
        for i in 0..data {
            c.start_data_node(i);
        }
        for (i, port) in c.compute.iter().enumerate() {
            let p = c
                .layout
                .node("computenode", &format!("cn{}", i + 1), *port, controller);
            c.procs.push(p);
        }
        c
    }

    /// Starts data node `i` (0-based: dn1 is 0), again or for the first time.
    pub fn start_data_node(&mut self, i: usize) {
        let alias = format!("dn{}", i + 1);
        let p = self
            .layout
            .node("datanode", &alias, self.data[i], self.controller);
        self.data_nodes[i] = Some(p);
    }

    /// SIGKILLs data node `i` and waits for it to exit.
    pub fn kill_data_node(&mut self, i: usize) {
        let mut p = self.data_nodes[i].take().expect("the data node runs");
        p.signal(libc::SIGKILL);
        p.wait_exit(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("dn{} exits", i + 1));
    }

    /// Waits until the controller sees every node up.
    pub async fn wait_up(&self, t: Duration) {
        let aliases: Vec<String> = (1..=self.data.len())
            .map(|i| format!("dn{i}"))
            .chain((1..=self.compute.len()).map(|i| format!("cn{i}")))
            .collect();
        let aliases: Vec<&str> = aliases.iter().map(String::as_str).collect();
        wait_up(self.controller, &aliases, t).await;
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.data_nodes.clear();
        self.procs.clear();
        if !std::thread::panicking() && std::env::var_os("PORPOISE_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.layout.dir);
        }
    }
}
