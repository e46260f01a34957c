//! The worker pool: `workerNum` OS threads that run jobs (requests) off the network reactor, as
//! DolphinDB's workers do. Higher priority runs first; equal priorities run in arrival order.
//! The queue is bounded; a job that panics is caught and does not take its worker down.
//! Workers have the stack a script needs (`script::session::STACK_BYTES`, virtual memory used
//! on demand), so a session runs a request on the worker itself instead of on a thread spawned
//! for each request.

use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Most jobs waiting for a worker; more are refused with an error.
pub const QUEUE_JOBS_MAX: usize = 16_384;

type Task = Box<dyn FnOnce() + Send + 'static>;

struct Queued {
    priority: u8,
    seq: u64,
    task: Task,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.priority, self.seq) == (other.priority, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// Max-heap: higher priority first, then the older job (smaller seq).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.priority
            .cmp(&other.priority)
            .then(other.seq.cmp(&self.seq))
    }
}

#[derive(Default)]
struct State {
    heap: BinaryHeap<Queued>,
    seq: u64,
    closed: bool,
    running: usize,
}

struct Shared {
    state: Mutex<State>,
    ready: Condvar,
    idle: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A job never runs under this lock, so poisoning cannot leave bad state behind.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct WorkerPool {
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl WorkerPool {
    pub fn new(threads: usize) -> std::io::Result<WorkerPool> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
            idle: Condvar::new(),
        });
        let mut workers = Vec::new();
        for i in 0..threads.max(1) {
            let s = shared.clone();
            let h = std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .stack_size(script::session::STACK_BYTES)
                .spawn(move || {
                    script::session::declare_big_stack();
                    worker_loop(&s)
                })?;
            workers.push(h);
        }
        Ok(WorkerPool {
            shared,
            workers: Mutex::new(workers),
        })
    }

    /// Queues `task`. Fails when the pool is shutting down or the queue is full.
    pub fn submit(&self, priority: u8, task: impl FnOnce() + Send + 'static) -> Result<(), String> {
        let mut st = self.shared.lock();
        if st.closed {
            return Err("The server is shutting down".into());
        }
        if st.heap.len() >= QUEUE_JOBS_MAX {
            return Err(format!(
                "The job queue is full ({QUEUE_JOBS_MAX} jobs are waiting)"
            ));
        }
        st.seq += 1;
        let seq = st.seq;
        st.heap.push(Queued {
            priority,
            seq,
            task: Box::new(task),
        });
        drop(st);
        self.shared.ready.notify_one();
        Ok(())
    }

    /// Jobs waiting and running.
    pub fn load(&self) -> (usize, usize) {
        let st = self.shared.lock();
        (st.heap.len(), st.running)
    }

    /// Refuses new jobs, waits up to `grace` for queued and running jobs, then stops the
    /// workers that are idle. A job still running after `grace` is left to finish on its own
    /// (its thread is detached); returns false in that case.
    pub fn shutdown(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        let mut st = self.shared.lock();
        st.closed = true;
        self.shared.ready.notify_all();
        while !(st.heap.is_empty() && st.running == 0) {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            st = match self.shared.idle.wait_timeout(st, deadline - now) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        drop(st);
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for w in workers {
            let _ = w.join();
        }
        true
    }
}

fn worker_loop(shared: &Shared) {
    loop {
        let task = {
            let mut st = shared.lock();
            loop {
                if let Some(q) = st.heap.pop() {
                    st.running += 1;
                    break q.task;
                }
                if st.closed {
                    return;
                }
                st = match shared.ready.wait(st) {
                    Ok(g) => g,
                    Err(e) => e.into_inner(),
                };
            }
        };
        if catch_unwind(AssertUnwindSafe(task)).is_err() {
            tracing::error!("a job panicked; its worker goes on");
        }
        let mut st = shared.lock();
        st.running -= 1;
        if st.heap.is_empty() && st.running == 0 {
            shared.idle.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn higher_priority_runs_first_and_panics_are_contained() {
        let pool = WorkerPool::new(1).unwrap();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let (tx, rx) = mpsc::channel();
        // Block the only worker so the next jobs queue up.
        pool.submit(4, move || {
            let _ = gate_rx.recv();
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        for (p, name) in [(1u8, "low"), (8, "high"), (4, "mid1"), (4, "mid2")] {
            let tx = tx.clone();
            pool.submit(p, move || tx.send(name).unwrap()).unwrap();
        }
        pool.submit(9, || panic!("job panic")).unwrap();
        gate_tx.send(()).unwrap();
        let order: Vec<&str> = (0..4).map(|_| rx.recv().unwrap()).collect();
        assert_eq!(order, vec!["high", "mid1", "mid2", "low"]);
        assert!(pool.shutdown(Duration::from_secs(5)));
        assert!(pool.submit(1, || {}).is_err());
    }
}
