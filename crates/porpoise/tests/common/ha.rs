//! A small HA cluster started directly (no agents): three controllers (`dfsHAMode=Raft`) and
//! data nodes, each a process of its own on loopback ports chosen per test, with the files a
//! real deployment has (cluster.nodes, cluster.cfg).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::{free_offset, run, temp_dir, wait_for, Proc};

pub const UP: Duration = Duration::from_secs(90);
const CONTROLLER_BASE: u16 = 9301;
const DATA_NODE_BASE: u16 = 9311;

pub struct Ha {
    pub dir: PathBuf,
    pub ctl_ports: Vec<u16>,
    pub dn_ports: Vec<u16>,
    pub controllers: Vec<Option<Proc>>,
    pub datanodes: Vec<Option<Proc>>,
    /// Per controller: `PORPOISE_RAFT_ROUTES` (empty: none).
    routes: Vec<String>,
}

impl Ha {
    /// Writes the files and starts every process; `wait_ready` waits for them.
    pub fn start(tag: &str, salt: u32, data_nodes: usize) -> Ha {
        Ha::start_routed(tag, salt, data_nodes, |_, _| Vec::new())
    }

    /// `start` with controller `i`'s Raft messages to controller `j` sent where
    /// `routes(ctl_ports, i)` says (`(j, "host:port")` pairs; `cluster::raft::ROUTES_ENV`).
    pub fn start_routed(
        tag: &str,
        salt: u32,
        data_nodes: usize,
        routes: impl Fn(&[u16], usize) -> Vec<(usize, String)>,
    ) -> Ha {
        let bases: Vec<u16> = (0..3)
            .map(|i| CONTROLLER_BASE + i)
            .chain((0..data_nodes as u16).map(|i| DATA_NODE_BASE + i))
            .collect();
        let off = free_offset(&bases, salt);
        let dir = temp_dir(tag);
        let ctl_ports: Vec<u16> = (0..3).map(|i| CONTROLLER_BASE + i + off).collect();
        let dn_ports: Vec<u16> = (0..data_nodes as u16)
            .map(|i| DATA_NODE_BASE + i + off)
            .collect();
        let mut nodes = String::from("localSite,mode\n");
        for (i, p) in ctl_ports.iter().enumerate() {
            nodes.push_str(&format!("127.0.0.1:{p}:ctl{},controller\n", i + 1));
        }
        for (i, p) in dn_ports.iter().enumerate() {
            nodes.push_str(&format!("127.0.0.1:{p}:dn{},datanode\n", i + 1));
        }
        std::fs::write(dir.join("cluster.nodes"), nodes).unwrap();
        std::fs::write(
            dir.join("cluster.cfg"),
            "workerNum=2\nlocalExecutors=1\nmaxMemSize=2\ndfsReplicationFactor=1\ndfsReplicaReliabilityLevel=0\ndataSync=0\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("log")).unwrap();
        let mut ha = Ha {
            dir,
            ctl_ports,
            dn_ports,
            controllers: vec![None, None, None],
            datanodes: Vec::new(),
            routes: Vec::new(),
        };
        ha.routes = (0..3)
            .map(|i| {
                routes(&ha.ctl_ports, i)
                    .into_iter()
                    .map(|(j, addr)| format!("ctl{}={addr}", j + 1))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        for i in 0..3 {
            ha.start_controller(i);
        }
        for i in 0..data_nodes {
            let p = ha.data_node(i);
            ha.datanodes.push(Some(p));
        }
        ha
    }

    fn path(&self, f: &str) -> String {
        self.dir.join(f).display().to_string()
    }

    /// Starts controller `i` (0-based) again, or for the first time.
    pub fn start_controller(&mut self, i: usize) {
        let routes = self.routes[i].clone();
        let env: Vec<(&str, &str)> = if routes.is_empty() {
            Vec::new()
        } else {
            vec![("PORPOISE_RAFT_ROUTES", routes.as_str())]
        };
        let more = [
            ("-dfsHAMode", "Raft"),
            ("-workerNum", "2"),
            ("-localExecutors", "1"),
            ("-dataSync", "0"),
        ]
        .map(|(k, v)| (k, v.to_string()));
        let alias = format!("ctl{}", i + 1);
        let p = self.spawn(&alias, "controller", self.ctl_ports[i], &more, &env);
        self.controllers[i] = Some(p);
    }

    fn data_node(&self, i: usize) -> Proc {
        let sites: Vec<String> = self
            .ctl_ports
            .iter()
            .enumerate()
            .map(|(j, p)| format!("127.0.0.1:{p}:ctl{}:controller", j + 1))
            .collect();
        let alias = format!("dn{}", i + 1);
        let more = [("-sites", sites.join(","))];
        self.spawn(&alias, "datanode", self.dn_ports[i], &more, &[])
    }

    /// Starts node `alias` on `port` with the cluster's files (home, its log, cluster.nodes,
    /// cluster.cfg) and the flags in `more`.
    fn spawn(
        &self,
        alias: &str,
        mode: &str,
        port: u16,
        more: &[(&'static str, String)],
        env: &[(&str, &str)],
    ) -> Proc {
        let mut flags = vec![
            ("-home", self.path("home")),
            ("-localSite", format!("127.0.0.1:{port}:{alias}")),
            ("-logFile", self.path(&format!("log/{alias}.log"))),
            ("-nodesFile", self.path("cluster.nodes")),
            ("-clusterConfig", self.path("cluster.cfg")),
        ];
        flags.extend_from_slice(more);
        let flags: Vec<(&str, &str)> = flags.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Proc::node_env(alias, &self.dir, mode, &flags, env)
    }

    /// SIGKILLs controller `i` and waits for it to be gone.
    pub fn kill_controller(&mut self, i: usize) {
        if let Some(mut p) = self.controllers[i].take() {
            p.signal(libc::SIGKILL);
            p.wait_exit(Duration::from_secs(10));
        }
    }

    /// The leading controller (0-based) as the live controllers name it.
    pub async fn leader(&self) -> Option<usize> {
        for (i, p) in self.ctl_ports.iter().enumerate() {
            if self.controllers[i].is_none() {
                continue;
            }
            if let Ok(Some(v)) = run(*p, "getActiveMaster()").await {
                let name = v.to_string();
                if let Some(n) = name
                    .strip_prefix("ctl")
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    return Some(n - 1);
                }
            }
        }
        None
    }

    /// Waits until controller `i` names controller `leader` the leader (one that was killed or
    /// cut off has rejoined), up to `t`; panics with `what` on timeout.
    pub async fn wait_follows(&self, i: usize, leader: usize, t: Duration, what: &str) {
        let port = self.ctl_ports[i];
        let want = format!("ctl{}", leader + 1);
        wait_for(what, t, || async {
            let l = run(port, "getActiveMaster()").await.ok().flatten();
            l.is_some_and(|l| l.to_string() == want)
        })
        .await;
    }

    /// Waits until a controller leads, the cluster's files are in its state (the first start's
    /// seeding) and every data node answers and knows the leader.
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + UP;
        while self.leader().await.is_none() {
            assert!(Instant::now() < deadline, "no controller leads");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let want = self.dn_ports.len();
        loop {
            let l = self.leader().await.map(|l| self.ctl_ports[l]);
            let n = match l {
                Some(p) => run(p, "size(getDataNodes())").await.ok().flatten(),
                None => None,
            };
            if n.is_some_and(|n| n.to_string() == want.to_string()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster files are not seeded"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for (i, p) in self.dn_ports.iter().enumerate() {
            while run(*p, "getClusterPerf()").await.is_err() {
                assert!(Instant::now() < deadline, "data node dn{} is not up", i + 1);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

impl Drop for Ha {
    fn drop(&mut self) {
        self.datanodes.clear();
        self.controllers.clear();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
