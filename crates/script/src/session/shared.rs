//! Shared objects (`share t as name`): one store per node, read and updated by every session.
//!
//! Every object has its own update lock. A reader takes a snapshot (a `Value` clone, which is
//! an `Arc` clone) under a brief read lock and never waits for an update in progress. An
//! in-place change (`append!`, `tableInsert`, `insert into`, `update`, `delete`, `t[`c] = v`)
//! runs through `update`: the object's update lock is held while the change is computed from
//! the current value, then the result is published. Updates of one object are therefore
//! serialized and none is computed from a stale read; readers see either the value before an
//! update or the value after it.
//!
//! An update that, while holding one object's lock, waits for another object's lock (a user
//! function inside `update t1 set ...` that appends to `t2`) waits at most
//! `NESTED_WAIT_MS`: two such updates waiting for each other end with an error instead of
//! hanging. Updating the object whose update is running on the same thread is an error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use value::Value;

use crate::{Error, Result};

/// Longest wait for an object's update lock by a thread that already holds another one
/// (`SharedObjects::with_nested_wait` changes it).
pub const NESTED_WAIT_MS: u64 = 10_000;
/// Most times `update` looks an object up again because it was dropped and shared anew while
/// the update waited for its lock.
const RELOOKUPS_MAX: usize = 8;

/// Why `share` refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareError {
    /// An object of that name is already shared.
    Exists,
    /// The store holds its maximum number of objects.
    Full,
}

struct Slot {
    /// The published value: what readers see.
    value: RwLock<Value>,
    /// Whether an update holds this object; `idle` is signalled when it ends.
    busy: Mutex<bool>,
    idle: Condvar,
    /// Set when the object is dropped (`undef`), so a waiting update finds it gone.
    removed: AtomicBool,
}

impl Slot {
    fn new(v: Value) -> Slot {
        Slot {
            value: RwLock::new(v),
            busy: Mutex::new(false),
            idle: Condvar::new(),
            removed: AtomicBool::new(false),
        }
    }

    fn snapshot(&self) -> Value {
        self.value.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn publish(&self, v: Value) {
        *self.value.write().unwrap_or_else(|e| e.into_inner()) = v;
    }

    fn busy(&self) -> MutexGuard<'_, bool> {
        self.busy.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the update lock; `deadline` bounds the wait (None: wait as long as it takes).
    fn acquire(&self, deadline: Option<Instant>) -> bool {
        let mut busy = self.busy();
        while *busy {
            busy = match deadline {
                None => self.idle.wait(busy).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    let r = self.idle.wait_timeout(busy, d - now);
                    r.unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
        *busy = true;
        true
    }

    fn release(&self) {
        *self.busy() = false;
        self.idle.notify_one();
    }
}

thread_local! {
    /// The objects whose update lock this thread holds (by slot address).
    static HELD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Holds a slot's update lock; releases it (and the thread's record of it) when dropped, also
/// when the update fails or panics.
struct Held<'a> {
    slot: &'a Slot,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let addr = self.slot as *const Slot as usize;
        HELD.with(|h| h.borrow_mut().retain(|&a| a != addr));
        self.slot.release();
    }
}

pub struct SharedObjects {
    map: RwLock<HashMap<String, Arc<Slot>>>,
    objects_max: usize,
    nested_wait: Duration,
}

impl SharedObjects {
    /// A store that holds at most `objects_max` objects.
    pub fn new(objects_max: usize) -> SharedObjects {
        SharedObjects {
            map: RwLock::new(HashMap::new()),
            objects_max,
            nested_wait: Duration::from_millis(NESTED_WAIT_MS),
        }
    }

    /// The same store with another bound on nested waits (see the module comment).
    pub fn with_nested_wait(mut self, wait: Duration) -> SharedObjects {
        self.nested_wait = wait;
        self
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, Arc<Slot>>> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<String, Arc<Slot>>> {
        self.map.write().unwrap_or_else(|e| e.into_inner())
    }

    fn slot(&self, name: &str) -> Option<Arc<Slot>> {
        self.read().get(name).cloned()
    }

    pub fn share(&self, name: &str, v: Value) -> std::result::Result<(), ShareError> {
        let mut m = self.write();
        if m.contains_key(name) {
            return Err(ShareError::Exists);
        }
        if m.len() >= self.objects_max {
            return Err(ShareError::Full);
        }
        m.insert(name.to_string(), Arc::new(Slot::new(named(name, v))));
        Ok(())
    }

    /// A snapshot of the object; never waits for an update in progress.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.slot(name).map(|s| s.snapshot())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.read().contains_key(name)
    }

    pub fn names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// Runs `f` on the current value of `name` while holding its update lock, then publishes
    /// what `f` left (unless `f` failed: then the object is unchanged). Ok(false) when no
    /// object of that name exists.
    pub fn update(&self, name: &str, f: &mut dyn FnMut(&mut Value) -> Result<()>) -> Result<bool> {
        self.locked(name, &mut |slot| {
            let mut v = slot.snapshot();
            f(&mut v)?;
            slot.publish(named(name, v));
            Ok(())
        })
    }

    /// `update` where `f` changes the published value itself, readers waiting meanwhile: a
    /// table nothing else refers to grows without a copy (`append!`, `tableInsert`). `f` must
    /// leave the value as it was when it fails.
    pub fn update_in_place(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> Result<()>,
    ) -> Result<bool> {
        self.locked(name, &mut |slot| {
            let mut v = slot.value.write().unwrap_or_else(|e| e.into_inner());
            f(&mut v)
        })
    }

    /// Runs `f` on the slot of `name` while holding its update lock (see the module doc for
    /// nested waits). Ok(false) when no object of that name exists.
    fn locked(&self, name: &str, f: &mut dyn FnMut(&Slot) -> Result<()>) -> Result<bool> {
        for _ in 0..RELOOKUPS_MAX {
            let Some(slot) = self.slot(name) else {
                return Ok(false);
            };
            let addr = &*slot as *const Slot as usize;
            let (reentered, nested) = HELD.with(|h| {
                let h = h.borrow();
                (h.contains(&addr), !h.is_empty())
            });
            if reentered {
                return Err(Error::new(format!(
                    "The shared object [{name}] can't be updated while its own update is running"
                )));
            }
            let deadline = nested.then(|| Instant::now() + self.nested_wait);
            if !slot.acquire(deadline) {
                return Err(Error::new(format!(
                    "Timed out waiting to update the shared object [{name}] while updating \
                     another shared object"
                )));
            }
            HELD.with(|h| h.borrow_mut().push(addr));
            let held = Held { slot: &slot };
            if slot.removed.load(Ordering::SeqCst) {
                // Dropped (and perhaps shared anew) while this update waited.
                drop(held);
                continue;
            }
            f(&slot)?;
            drop(held);
            return Ok(true);
        }
        Ok(false)
    }

    /// Replaces the object (plain assignment `t = v`); false when it does not exist.
    pub fn replace(&self, name: &str, v: Value) -> Result<bool> {
        let mut v = Some(v);
        self.update(name, &mut |cur| {
            if let Some(v) = v.take() {
                *cur = v;
            }
            Ok(())
        })
    }

    /// Drops the object; false when it did not exist. An update running on it finishes on
    /// the dropped value.
    pub fn remove(&self, name: &str) -> bool {
        match self.write().remove(name) {
            Some(slot) => {
                slot.removed.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }
}

/// A shared table carries its shared name, as DolphinDB prints it.
fn named(name: &str, v: Value) -> Value {
    match v {
        Value::Table(mut t) => {
            if t.name != name {
                Arc::make_mut(&mut t).name = name.to_string();
            }
            Value::Table(t)
        }
        v => v,
    }
}

#[cfg(test)]
#[path = "shared_tests.rs"]
mod tests;
