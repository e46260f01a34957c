//! A node's configuration: DolphinDB's `key=value` files and `-key value` flags, mapped to typed
//! settings. Command-line values override the file. Unknown keys are warned about, never fatal;
//! a known key with a value we cannot read is an error, so a typo in `workerNum` is not silently
//! ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Longest config file we read, so a wrong path (a device, a huge log) fails clearly.
pub const CONFIG_FILE_BYTES_MAX: u64 = 16 << 20;

/// The node's role, from `-mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Single,
    Controller,
    Agent,
    DataNode,
    ComputeNode,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s.to_ascii_lowercase().as_str() {
            "single" => Mode::Single,
            "controller" => Mode::Controller,
            "agent" => Mode::Agent,
            "datanode" => Mode::DataNode,
            "computenode" => Mode::ComputeNode,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Single => "single",
            Mode::Controller => "controller",
            Mode::Agent => "agent",
            Mode::DataNode => "datanode",
            Mode::ComputeNode => "computenode",
        }
    }

    /// `getNodeType()`: 0 data node, 1 agent, 2 controller, 3 single, 4 compute node.
    pub fn node_type(self) -> i32 {
        match self {
            Mode::DataNode => 0,
            Mode::Agent => 1,
            Mode::Controller => 2,
            Mode::Single => 3,
            Mode::ComputeNode => 4,
        }
    }
}

/// `host:port:alias`, as `localSite` writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub host: String,
    pub port: u16,
    pub alias: String,
}

impl Site {
    /// Parses `host:port:alias`. A trailing `,mode` (seen in shipped agent configs) is ignored.
    pub fn parse(s: &str) -> Option<Site> {
        let s = s.split(',').next()?.trim();
        let mut parts = s.split(':');
        let host = parts.next()?.trim().to_string();
        let port = parts.next()?.trim().parse().ok()?;
        let alias = parts.next().unwrap_or("").trim().to_string();
        if host.is_empty() || parts.next().is_some() {
            return None;
        }
        let alias = if alias.is_empty() {
            format!("local{port}")
        } else {
            alias
        };
        Some(Site { host, port, alias })
    }
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.host, self.port, self.alias)
    }
}

/// Typed settings of one node. `raw` keeps every key as given, for `getConfig()` and for the
/// cluster layer, which reads keys this struct does not type.
#[derive(Clone, Debug)]
pub struct Config {
    pub mode: Mode,
    pub home: PathBuf,
    pub local_site: Site,
    pub config_file: Option<PathBuf>,
    pub console: bool,
    /// 0: log to the file, 1: to stdout, 2: both.
    pub stdout_log: u8,
    pub log_file: Option<PathBuf>,
    pub worker_num: usize,
    pub local_executors: usize,
    /// GB; 0 = no limit.
    pub max_mem_size_gb: f64,
    pub max_connections: usize,
    pub web_worker_num: usize,
    /// Guests may only log in (`enableClientAuth`).
    pub enable_client_auth: bool,
    pub raw: BTreeMap<String, String>,
}

/// The standalone default `localSite`.
pub const DEFAULT_PORT: u16 = 8848;

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Single,
            home: PathBuf::from("."),
            local_site: Site {
                host: "localhost".into(),
                port: DEFAULT_PORT,
                alias: format!("local{DEFAULT_PORT}"),
            },
            config_file: None,
            console: false,
            stdout_log: 0,
            log_file: None,
            worker_num: cores(),
            local_executors: cores().saturating_sub(1),
            max_mem_size_gb: 0.0,
            max_connections: 512,
            web_worker_num: 1,
            enable_client_auth: false,
            raw: BTreeMap::new(),
        }
    }
}

impl Config {
    /// A setting by DolphinDB key, as text: the typed value for keys this struct holds (so
    /// defaults show), else the raw value given; None when unset.
    pub fn value(&self, key: &str) -> Option<String> {
        let typed = match key.to_ascii_lowercase().as_str() {
            "mode" => self.mode.name().to_string(),
            "home" => self.home.display().to_string(),
            "localsite" => self.local_site.to_string(),
            "workernum" => self.worker_num.to_string(),
            "localexecutors" => self.local_executors.to_string(),
            "maxmemsize" => self.max_mem_size_gb.to_string(),
            "maxconnections" => self.max_connections.to_string(),
            "webworkernum" => self.web_worker_num.to_string(),
            _ => {
                return self
                    .raw
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v.clone())
            }
        };
        Some(typed)
    }
}

/// The result of reading flags and files: the config plus warnings to log once logging is up.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// DolphinDB keys we accept without a warning even where this node does not use them yet.
const KNOWN_KEYS: &[&str] = &[
    "mode",
    "home",
    "localSite",
    "config",
    "console",
    "stdoutLog",
    "logFile",
    "workerNum",
    "localExecutors",
    "maxMemSize",
    "maxConnections",
    "webWorkerNum",
    "enableClientAuth",
    "clusterConfig",
    "nodesFile",
    "script",
    "init",
    "startup",
    "run",
    "controllerSite",
    "sites",
    "dfsReplicationFactor",
    "dfsReplicaReliabilityLevel",
    "dfsRecoveryWaitTime",
    "dfsHAMode",
    "raftElectionTick",
    "clusterSecret",
    "dfsMetaDir",
    "dataSync",
    "dfsChunkNodeHeartBeatTimeout",
    "lanCluster",
    "datanodeRestartInterval",
    "dfsRecoveryConcurrency",
    "webLoginRequired",
    "perfMonitoring",
    "maxBatchJobWorker",
    "maxDynamicWorker",
    "maxConnectionPerSite",
    "warningMemSize",
    "reservedMemSize",
    "remoteExecutors",
    "urgentWorkerNum",
    "volumes",
    "allowVolumeCreation",
    "chunkMetaDir",
    "diskIOConcurrencyLevel",
    "OLAPCacheEngineSize",
    "chunkCacheEngineMemSize",
    "TSDBCacheEngineSize",
    "redoLogDir",
    "TSDBRedoLogDir",
    "redoLogPurgeInterval",
    "redoLogPurgeLimit",
    "newValuePartitionPolicy",
    "enableChunkGranularityConfig",
    "maxPartitionNumPerQuery",
    "persistenceDir",
    "maxPubConnections",
    "subPort",
    "subExecutors",
    "streamingHAMode",
    "streamingRaftGroups",
    "streamingHADir",
    "recoveryWorkers",
    "dfsSyncRecoveryChunkRowSize",
    "enableDfsRecoverRedo",
    "recoverLogDir",
    "logLevel",
    "maxLogSize",
    "jobLogFile",
    "batchJobDir",
    "tcpNoDelay",
    "tcpUserTimeout",
    "webRoot",
    "computeGroup",
    "regularArrayMemoryLimit",
    "publicName",
    "PublicName",
    "enableHTTPS",
    "preloadModules",
    "moduleDir",
    "pluginDir",
    "tzdb",
    "dfsMetaLogFilename",
    "enableDFS",
    "clusterReplicationSlaveNum",
    "clusterReplicationMasterCtl",
    "metricsToken",
    "strictPermissionMode",
    "enableLocalDatabase",
    "computeNodeCachingDelay",
    "computeNodeCachingQueryThreshold",
    "enableComputeNodePrefetchData",
    "remoteHost",
    "remotePort",
    "uid",
    "pwd",
    "dfsRecoveryWaitTime",
    "memLimitOfQueryResult",
    "memLimitOfTaskGroupResult",
    "memLimitOfTempResult",
    "memLimitOfAllTempResults",
    "enableMultiThreadMerge",
    "enableNullSafeJoin",
    "maxBlockSizeForReservedMemory",
    "TSDBVectorIndexCacheSize",
    "jobParallelismHardLimit",
    "enableConcurrentDimensionalTableWrite",
];

fn is_known(key: &str) -> bool {
    KNOWN_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// Reads the command line (without the program name) and the config file it names, or
/// `dolphindb.cfg` in the working directory when present.
pub fn load(args: &[String]) -> Result<Loaded, String> {
    let flags = parse_flags(args)?;
    let mut warnings = Vec::new();
    let file = flags
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case("config"))
        .map(|(_, v)| PathBuf::from(v))
        .or_else(|| {
            let p = PathBuf::from("dolphindb.cfg");
            p.is_file().then_some(p)
        });
    let mut pairs = Vec::new();
    if let Some(path) = &file {
        pairs = read_file(path, &mut warnings)?;
    }
    pairs.extend(flags);
    let mut config = from_pairs(&pairs, &mut warnings)?;
    config.config_file = file;
    Ok(Loaded { config, warnings })
}

/// `-key value` pairs, in order.
pub fn parse_flags(args: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let key = match a.strip_prefix('-') {
            Some(k) if !k.is_empty() => k.trim_start_matches('-'),
            _ => {
                return Err(format!(
                    "Unexpected argument [{a}]; options look like -key value"
                ))
            }
        };
        match it.next() {
            Some(v) => out.push((key.to_string(), v.clone())),
            None => return Err(format!("The option -{key} needs a value")),
        }
    }
    Ok(out)
}

/// Reads a `key=value` file: `#` starts a comment line, blank lines are skipped.
pub fn read_file(path: &Path, warnings: &mut Vec<String>) -> Result<Vec<(String, String)>, String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("Failed to load the config file [{}]: {e}", path.display()))?;
    if meta.len() > CONFIG_FILE_BYTES_MAX {
        return Err(format!(
            "The config file [{}] is larger than {CONFIG_FILE_BYTES_MAX} bytes",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("Failed to load the config file [{}]: {e}", path.display()))?;
    Ok(parse_text(&text, &path.display().to_string(), warnings))
}

/// Parses the text of a config file.
pub fn parse_text(text: &str, name: &str, warnings: &mut Vec<String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.push((k.trim().to_string(), v.trim().to_string()))
            }
            _ => warnings.push(format!(
                "Ignored line {} of {name}: expected key=value, got [{line}]",
                n + 1
            )),
        }
    }
    out
}

/// Builds typed settings from pairs (later pairs override earlier ones).
pub fn from_pairs(
    pairs: &[(String, String)],
    warnings: &mut Vec<String>,
) -> Result<Config, String> {
    let mut raw: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in pairs {
        // `alias.key` in cluster.cfg qualifies a key for one node; the key decides.
        let name = key.rsplit('.').next().unwrap_or(key);
        if !is_known(name) {
            warnings.push(format!(
                "Unknown configuration parameter [{key}] is ignored"
            ));
        }
        // Keys are case-insensitive: a later spelling replaces an earlier one.
        raw.retain(|k, _| !k.eq_ignore_ascii_case(key));
        raw.insert(key.clone(), value.clone());
    }
    let get = |k: &str| -> Option<&String> {
        raw.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    };
    let invalid = |k: &str, v: &str| format!("Invalid value [{v}] for configuration parameter {k}");
    let mut typed = Config::default();
    if let Some(v) = get("mode") {
        typed.mode = Mode::parse(v).ok_or_else(|| invalid("mode", v))?;
    }
    if let Some(v) = get("home") {
        typed.home = PathBuf::from(v);
    }
    if let Some(v) = get("localSite") {
        typed.local_site = Site::parse(v).ok_or_else(|| invalid("localSite", v))?;
    }
    if let Some(v) = get("console") {
        typed.console = parse_bool(v).ok_or_else(|| invalid("console", v))?;
    }
    if let Some(v) = get("stdoutLog") {
        typed.stdout_log = v
            .parse()
            .ok()
            .filter(|x| *x <= 2)
            .ok_or_else(|| invalid("stdoutLog", v))?;
    }
    if let Some(v) = get("logFile") {
        typed.log_file = Some(PathBuf::from(v));
    }
    let count = |k: &str, min: usize| -> Result<Option<usize>, String> {
        match get(k) {
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|x| *x >= min)
                .map(Some)
                .ok_or_else(|| invalid(k, v)),
            None => Ok(None),
        }
    };
    if let Some(n) = count("workerNum", 1)? {
        typed.worker_num = n;
    }
    if let Some(n) = count("localExecutors", 0)? {
        typed.local_executors = n;
    }
    if let Some(n) = count("maxConnections", 1)? {
        typed.max_connections = n;
    }
    if let Some(n) = count("webWorkerNum", 1)? {
        typed.web_worker_num = n;
    }
    if let Some(v) = get("maxMemSize") {
        typed.max_mem_size_gb = v
            .parse::<f64>()
            .ok()
            .filter(|x| *x >= 0.0)
            .ok_or_else(|| invalid("maxMemSize", v))?;
    }
    if let Some(v) = get("enableClientAuth") {
        typed.enable_client_auth = parse_bool(v).ok_or_else(|| invalid("enableClientAuth", v))?;
    }
    typed.raw = raw;
    Ok(typed)
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn launch_line_from_the_seed_parses() {
        let a = args(
            "-mode single -home /tmp/ddb -localSite 127.0.0.1:8848:local8848 -console 0 \
             -stdoutLog 1 -workerNum 3",
        );
        let pairs = parse_flags(&a).unwrap();
        let mut w = Vec::new();
        let c = from_pairs(&pairs, &mut w).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.mode, Mode::Single);
        assert_eq!(c.home, PathBuf::from("/tmp/ddb"));
        assert_eq!(c.local_site.port, 8848);
        assert_eq!(c.local_site.alias, "local8848");
        assert_eq!(c.worker_num, 3);
        assert_eq!(c.stdout_log, 1);
        assert!(!c.console);
    }

    #[test]
    fn file_with_comments_and_blank_first_line() {
        let text = "\n# standalone\nlocalSite=localhost:8900:local8900\nmode=single\n\
                    maxMemSize=32\nmaxConnections=512\nworkerNum=4\nlocalExecutors=3\n\
                    dataSync=1\nchunkCacheEngineMemSize=2\nnewValuePartitionPolicy=add\n\
                    maxPubConnections=64\nsubExecutors=4\nsubPort=8849\nlanCluster=0\n\
                    fancyNewKey=1\nnot a pair\n";
        let mut w = Vec::new();
        let pairs = parse_text(text, "dolphindb.cfg", &mut w);
        let c = from_pairs(&pairs, &mut w).unwrap();
        assert_eq!(c.local_site.port, 8900);
        assert_eq!(c.max_mem_size_gb, 32.0);
        assert_eq!(c.local_executors, 3);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("not a pair"));
        assert!(w[1].contains("fancyNewKey"));
        // The seed's agent.cfg misspells workerNum: warned about, not fatal, not applied.
        let mut w = Vec::new();
        let c = from_pairs(&parse_text("workNum=4\n", "agent1.cfg", &mut w), &mut w).unwrap();
        assert!(w.len() == 1 && w[0].contains("workNum"), "{w:?}");
        assert_eq!(c.worker_num, Config::default().worker_num);
    }

    #[test]
    fn command_line_overrides_file_and_bad_values_are_errors() {
        let mut w = Vec::new();
        let mut pairs = parse_text("workerNum=4\n", "f", &mut w);
        pairs.extend(parse_flags(&args("-workerNum 2")).unwrap());
        assert_eq!(from_pairs(&pairs, &mut w).unwrap().worker_num, 2);
        let bad = parse_flags(&args("-workerNum abc")).unwrap();
        let e = from_pairs(&bad, &mut w).unwrap_err();
        assert!(e.contains("workerNum"), "{e}");
        assert!(parse_flags(&args("-mode")).is_err());
        assert!(parse_flags(&args("single")).is_err());
    }

    #[test]
    fn sites_parse() {
        let s = Site::parse("10.5.0.4:8904:agent1,agent").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.alias.as_str()),
            ("10.5.0.4", 8904, "agent1")
        );
        assert_eq!(Site::parse("localhost:9000").unwrap().alias, "local9000");
        assert!(Site::parse("localhost").is_none());
        assert!(Site::parse("h:notaport:a").is_none());
        assert_eq!(Config::default().local_site.port, DEFAULT_PORT);
        let mut w = Vec::new();
        let c = from_pairs(
            &parse_flags(&args("-workerNum 3 -dataSync 1")).unwrap(),
            &mut w,
        )
        .unwrap();
        assert_eq!(c.value("WORKERNUM").as_deref(), Some("3"));
        assert_eq!(c.value("dataSync").as_deref(), Some("1"));
        assert_eq!(
            c.value("localSite").as_deref(),
            Some("localhost:8848:local8848")
        );
        assert!(c.value("volumes").is_none());
    }
}
