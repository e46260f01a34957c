//! The `getClusterPerf([includeMaster])` table: one row per node, with DolphinDB's columns in
//! DolphinDB's order (the web console reads them by name).

use value::{DataType, Table, Vector};

use super::Perf;
use crate::config::{NodeEntry, NodeMode};

/// One row: the node, what the leader knows of it, and its last counters.
#[derive(Clone, Debug)]
pub struct PerfRow {
    pub node: NodeEntry,
    /// `host:port:alias` of the node's agent ("" for agents and controllers).
    pub agent_site: String,
    pub up: bool,
    /// Controllers only: whether it leads (None when it is down).
    pub is_leader: Option<bool>,
    pub perf: Perf,
}

/// The column names, in order.
pub const COLUMNS: [&str; 43] = [
    "computeGroup",
    "host",
    "port",
    "site",
    "mode",
    "state",
    "agentSite",
    "maxConnections",
    "maxMemSize",
    "workerNum",
    "executorNum",
    "connectionNum",
    "name",
    "memoryUsed",
    "memoryAlloc",
    "cpuUsage",
    "avgLoad",
    "medLast10QueryTime",
    "maxLast10QueryTime",
    "medLast100QueryTime",
    "maxLast100QueryTime",
    "maxRunningQueryTime",
    "runningJobs",
    "queuedJobs",
    "runningTasks",
    "queuedTasks",
    "jobLoad",
    "diskCapacity",
    "diskFreeSpace",
    "diskFreeSpaceRatio",
    "diskWriteRate",
    "diskReadRate",
    "lastMinuteWriteVolume",
    "lastMinuteReadVolume",
    "networkSendRate",
    "networkRecvRate",
    "lastMinuteNetworkSend",
    "lastMinuteNetworkRecv",
    "publicName",
    "lastMsgLatency",
    "cumMsgLatency",
    "isLeader",
    "zone",
];

const BOOL_NULL: i8 = i8::MIN;

/// Builds the table. Counters of a node that is down are zero.
pub fn perf_table(rows: &[PerfRow]) -> Table {
    let zero = Perf::default();
    let perf = |r: &PerfRow| if r.up { r.perf.clone() } else { zero.clone() };
    let perfs: Vec<Perf> = rows.iter().map(perf).collect();
    let strs = |f: &dyn Fn(usize) -> String| Vector::from_strings((0..rows.len()).map(f).collect());
    let ints = |f: &dyn Fn(usize) -> i32| {
        Vector::from_i32(DataType::Int, (0..rows.len()).map(f).collect())
    };
    let longs = |f: &dyn Fn(usize) -> i64| {
        Vector::from_i64(DataType::Long, (0..rows.len()).map(f).collect())
    };
    let doubles = |f: &dyn Fn(usize) -> f64| Vector::from_f64((0..rows.len()).map(f).collect());
    let bools =
        |f: &dyn Fn(usize) -> i8| Vector::from_i8(DataType::Bool, (0..rows.len()).map(f).collect());
    let p = |i: usize| &perfs[i];
    // Configured limits stay visible while a node is down.
    let cfg = |i: usize| &rows[i].perf;
    let columns = vec![
        strs(&|i| rows[i].node.compute_group.clone()),
        strs(&|i| rows[i].node.site.host.clone()),
        ints(&|i| rows[i].node.site.port as i32),
        strs(&|i| rows[i].node.site.to_string()),
        ints(&|i| rows[i].node.mode.node_type()),
        bools(&|i| rows[i].up as i8),
        strs(&|i| rows[i].agent_site.clone()),
        ints(&|i| cfg(i).max_connections),
        doubles(&|i| cfg(i).max_mem_size),
        ints(&|i| cfg(i).worker_num),
        ints(&|i| cfg(i).executor_num),
        ints(&|i| p(i).connection_num),
        strs(&|i| rows[i].node.site.alias.clone()),
        longs(&|i| p(i).memory_used),
        longs(&|i| p(i).memory_alloc),
        doubles(&|i| p(i).cpu_usage),
        doubles(&|i| p(i).avg_load),
        longs(&|i| p(i).med_last10_query_time),
        longs(&|i| p(i).max_last10_query_time),
        longs(&|i| p(i).med_last100_query_time),
        longs(&|i| p(i).max_last100_query_time),
        longs(&|i| p(i).max_running_query_time),
        ints(&|i| p(i).running_jobs),
        ints(&|i| p(i).queued_jobs),
        ints(&|i| p(i).running_tasks),
        ints(&|i| p(i).queued_tasks),
        ints(&|i| p(i).job_load),
        longs(&|i| p(i).disk_capacity),
        longs(&|i| p(i).disk_free_space),
        doubles(&|i| p(i).disk_free_space_ratio),
        longs(&|i| p(i).disk_write_rate),
        longs(&|i| p(i).disk_read_rate),
        longs(&|i| p(i).last_minute_write_volume),
        longs(&|i| p(i).last_minute_read_volume),
        longs(&|i| p(i).network_send_rate),
        longs(&|i| p(i).network_recv_rate),
        longs(&|i| p(i).last_minute_network_send),
        longs(&|i| p(i).last_minute_network_recv),
        strs(&|i| cfg(i).public_name.clone()),
        longs(&|i| p(i).last_msg_latency),
        longs(&|i| p(i).cum_msg_latency),
        bools(&|i| match (rows[i].node.mode, rows[i].is_leader) {
            (NodeMode::Controller, Some(l)) => l as i8,
            (NodeMode::Controller, None) => BOOL_NULL,
            _ => 0,
        }),
        strs(&|i| rows[i].node.zone.clone()),
    ];
    debug_assert_eq!(columns.len(), COLUMNS.len());
    Table::new(COLUMNS.iter().map(|s| s.to_string()).collect(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Site;
    use value::Data;

    fn row(site: &str, mode: NodeMode, up: bool, leader: Option<bool>) -> PerfRow {
        PerfRow {
            node: NodeEntry {
                site: Site::parse(site).unwrap(),
                mode,
                compute_group: String::new(),
                zone: String::new(),
            },
            agent_site: String::new(),
            up,
            is_leader: leader,
            perf: Perf {
                max_connections: 512,
                memory_used: 1000,
                ..Perf::default()
            },
        }
    }

    #[test]
    fn columns_types_and_down_nodes() {
        let t = perf_table(&[
            row(
                "127.0.0.1:8901:controller1",
                NodeMode::Controller,
                true,
                Some(true),
            ),
            row(
                "127.0.0.1:8902:controller2",
                NodeMode::Controller,
                false,
                None,
            ),
            row("127.0.0.1:8711:P1-node1", NodeMode::DataNode, false, None),
        ]);
        assert_eq!(t.rows(), 3);
        assert_eq!(t.cols(), COLUMNS.len());
        let mode = t.column("mode").unwrap();
        assert!(matches!(&mode.data, Data::I32(v) if v == &vec![2, 2, 0]));
        let state = t.column("state").unwrap();
        assert_eq!(state.ty, DataType::Bool);
        assert!(matches!(&state.data, Data::I8(v) if v == &vec![1, 0, 0]));
        let leader = t.column("isLeader").unwrap();
        assert!(matches!(&leader.data, Data::I8(v) if v == &vec![1, BOOL_NULL, 0]));
        // A down node keeps its limits but reports no usage.
        let used = t.column("memoryUsed").unwrap();
        assert!(matches!(&used.data, Data::I64(v) if v == &vec![1000, 0, 0]));
        let maxc = t.column("maxConnections").unwrap();
        assert!(matches!(&maxc.data, Data::I32(v) if v == &vec![512, 512, 512]));
        let site = t.column("site").unwrap();
        assert!(matches!(&site.data, Data::Str(v) if v[2] == "127.0.0.1:8711:P1-node1"));
    }
}
