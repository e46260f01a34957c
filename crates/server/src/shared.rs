//! Shared objects (`share t as name`): one store per node, read and updated by every session.
//!
//! The store is `script::session::shared::SharedObjects`: each object has its own update
//! lock, in-place changes (`append!`, `tableInsert`, `insert into`, `update`, `delete`) run on
//! the object's current value while holding it (`Host::update_shared`), and readers take an
//! `Arc` snapshot without waiting. This module adds the node's limit and DolphinDB's wording.

use script::session::shared::{self as store, ShareError};
use value::Value;

/// Most shared objects on one node (DolphinDB: "up to 65,535 shared tables").
pub const SHARED_OBJECTS_MAX: usize = 65_535;

pub struct SharedObjects {
    store: store::SharedObjects,
}

impl Default for SharedObjects {
    fn default() -> Self {
        SharedObjects {
            store: store::SharedObjects::new(SHARED_OBJECTS_MAX),
        }
    }
}

impl SharedObjects {
    pub fn share(&self, name: &str, v: Value) -> Result<(), String> {
        self.store.share(name, v).map_err(|e| match e {
            ShareError::Exists => {
                format!("The shared object [{name}] already exists. Please use a different name.")
            }
            ShareError::Full => format!("A node holds at most {SHARED_OBJECTS_MAX} shared objects"),
        })
    }

    /// A snapshot of the object.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.store.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.store.contains(name)
    }

    pub fn names(&self) -> Vec<String> {
        self.store.names()
    }

    /// Runs `f` on the object's current value under its update lock; Ok(false): no object.
    pub fn update(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> script::Result<()>,
    ) -> script::Result<bool> {
        self.store.update(name, f)
    }

    /// `update` changing the stored value itself (readers wait meanwhile).
    pub fn update_in_place(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut Value) -> script::Result<()>,
    ) -> script::Result<bool> {
        self.store.update_in_place(name, f)
    }

    /// Replaces the object (plain assignment).
    pub fn set(&self, name: &str, v: Value) -> Result<(), String> {
        match self.store.replace(name, v) {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!("The shared object [{name}] does not exist")),
            Err(e) => Err(e.message()),
        }
    }

    pub fn remove(&self, name: &str) -> bool {
        self.store.remove(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dolphindb_wording_and_limits() {
        let s = SharedObjects::default();
        s.share("t", Value::int(1)).unwrap();
        assert!(s
            .share("t", Value::int(2))
            .unwrap_err()
            .contains("already exists. Please use a different name."));
        s.set("t", Value::int(3)).unwrap();
        assert_eq!(s.get("t").and_then(|v| v.as_i64()), Some(3));
        assert!(s
            .set("nope", Value::int(1))
            .unwrap_err()
            .contains("does not exist"));
        assert!(s.remove("t"));
        assert!(!s.remove("t"));
    }
}
