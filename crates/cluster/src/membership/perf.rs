//! A node's performance counters, as `getPerf()` names them and `getClusterPerf()` shows them,
//! and the sampler that measures the process (cpu and memory from /proc, disk from statvfs).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// One sample of a node's counters. Times in ns, sizes in bytes, rates per second.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Perf {
    pub max_connections: i32,
    /// GB.
    pub max_mem_size: f64,
    pub worker_num: i32,
    pub executor_num: i32,
    pub connection_num: i32,
    pub memory_used: i64,
    pub memory_alloc: i64,
    /// Percent of one core.
    pub cpu_usage: f64,
    pub avg_load: f64,
    pub med_last10_query_time: i64,
    pub max_last10_query_time: i64,
    pub med_last100_query_time: i64,
    pub max_last100_query_time: i64,
    pub max_running_query_time: i64,
    pub running_jobs: i32,
    pub queued_jobs: i32,
    pub running_tasks: i32,
    pub queued_tasks: i32,
    pub job_load: i32,
    pub disk_capacity: i64,
    pub disk_free_space: i64,
    pub disk_free_space_ratio: f64,
    pub disk_write_rate: i64,
    pub disk_read_rate: i64,
    pub last_minute_write_volume: i64,
    pub last_minute_read_volume: i64,
    pub network_send_rate: i64,
    pub network_recv_rate: i64,
    pub last_minute_network_send: i64,
    pub last_minute_network_recv: i64,
    pub public_name: String,
    pub last_msg_latency: i64,
    pub cum_msg_latency: i64,
}

/// What the server knows about its own load; the sampler adds the process measurements.
#[derive(Clone, Debug, Default)]
pub struct NodeLoad {
    pub max_connections: i32,
    pub max_mem_size_gb: f64,
    pub worker_num: i32,
    pub executor_num: i32,
    pub connections: i32,
    pub running_jobs: i32,
    pub queued_jobs: i32,
    pub public_name: String,
}

/// Measures cpu (between two samples), memory and disk of this process.
pub struct Sampler {
    disk_path: PathBuf,
    last_cpu: Mutex<Option<(Instant, u64)>>,
}

impl Sampler {
    /// `disk_path`: where the node keeps its data (its home), for the disk counters.
    pub fn new(disk_path: PathBuf) -> Sampler {
        Sampler {
            disk_path,
            last_cpu: Mutex::new(None),
        }
    }

    /// The counters now.
    pub fn sample(&self, load: &NodeLoad) -> Perf {
        let (used, alloc) = memory_bytes();
        let (capacity, free) = disk_bytes(&self.disk_path);
        Perf {
            max_connections: load.max_connections,
            max_mem_size: load.max_mem_size_gb,
            worker_num: load.worker_num,
            executor_num: load.executor_num,
            connection_num: load.connections,
            memory_used: used,
            memory_alloc: alloc,
            cpu_usage: self.cpu_percent(),
            avg_load: load_average(),
            running_jobs: load.running_jobs,
            queued_jobs: load.queued_jobs,
            job_load: load.running_jobs + load.queued_jobs,
            disk_capacity: capacity,
            disk_free_space: free,
            disk_free_space_ratio: if capacity > 0 {
                free as f64 / capacity as f64
            } else {
                0.0
            },
            public_name: load.public_name.clone(),
            ..Perf::default()
        }
    }

    fn cpu_percent(&self) -> f64 {
        let Some(ticks) = cpu_ticks() else {
            return 0.0;
        };
        let now = Instant::now();
        let mut last = self.last_cpu.lock().unwrap_or_else(|e| e.into_inner());
        let pct = match *last {
            Some((t, prev)) => {
                let secs = now.saturating_duration_since(t).as_secs_f64();
                let hz = clock_ticks_per_second();
                if secs > 0.0 && hz > 0.0 {
                    (ticks.saturating_sub(prev) as f64 / hz) / secs * 100.0
                } else {
                    0.0
                }
            }
            None => 0.0,
        };
        *last = Some((now, ticks));
        pct
    }
}

/// utime + stime of this process, in clock ticks (Linux).
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14, stime 15.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// (resident, virtual) bytes of this process (Linux; zeros elsewhere).
fn memory_bytes() -> (i64, i64) {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return (0, 0);
    };
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as i64;
    let mut f = statm
        .split_whitespace()
        .map(|x| x.parse::<i64>().unwrap_or(0));
    let size = f.next().unwrap_or(0);
    let resident = f.next().unwrap_or(0);
    (resident * page, size * page)
}

fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// (capacity, free) bytes of the file system holding `path` (or its nearest existing parent).
fn disk_bytes(path: &std::path::Path) -> (i64, i64) {
    let mut p = path.to_path_buf();
    while !p.exists() {
        if !p.pop() {
            p = PathBuf::from(".");
            break;
        }
    }
    if p.as_os_str().is_empty() {
        p = PathBuf::from(".");
    }
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) else {
        return (0, 0);
    };
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a valid out pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return (0, 0);
    }
    let frsize = st.f_frsize as i64;
    (
        (st.f_blocks as i64).saturating_mul(frsize),
        (st.f_bavail as i64).saturating_mul(frsize),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampler_measures_this_process() {
        let s = Sampler::new(std::env::temp_dir().join("does/not/exist"));
        let load = NodeLoad {
            max_connections: 512,
            worker_num: 4,
            running_jobs: 1,
            queued_jobs: 2,
            ..NodeLoad::default()
        };
        let p = s.sample(&load);
        assert_eq!(p.max_connections, 512);
        assert_eq!(p.job_load, 3);
        if cfg!(target_os = "linux") {
            assert!(p.memory_used > 0, "{p:?}");
            assert!(p.disk_capacity > 0 && p.disk_free_space <= p.disk_capacity);
        }
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0);
        assert!(s.sample(&load).cpu_usage >= 0.0);
    }
}
