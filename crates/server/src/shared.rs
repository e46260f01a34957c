//! Shared objects (`share t as name`): one map per node, read and replaced by every session.
//!
//! Scripts update a shared table by reading it, computing the new table, and writing it back.
//! Two sessions appending at once would each write back their own copy and one append would be
//! lost. So every object carries a version, each session remembers the version and row count it
//! read, and a write-back based on an older version is rebased: when the writer only appended
//! (its table still starts with the rows it read), its new rows are appended to the current
//! table. Any other kind of conflicting write (an update or delete that raced with another
//! write) replaces the object, as the last writer.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use value::{Table, Value};

/// Most shared objects on one node (DolphinDB: "up to 65,535 shared tables").
pub const SHARED_OBJECTS_MAX: usize = 65_535;

struct Entry {
    value: Value,
    version: u64,
}

/// What a session read: the object's version and, for a table, its row count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadMark {
    pub version: u64,
    pub rows: usize,
}

#[derive(Default)]
pub struct SharedObjects {
    map: RwLock<HashMap<String, Entry>>,
}

impl SharedObjects {
    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, Entry>> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<String, Entry>> {
        self.map.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn share(&self, name: &str, v: Value) -> Result<(), String> {
        let mut m = self.write();
        if m.contains_key(name) {
            return Err(format!(
                "The shared object [{name}] already exists. Please use a different name."
            ));
        }
        if m.len() >= SHARED_OBJECTS_MAX {
            return Err(format!(
                "A node holds at most {SHARED_OBJECTS_MAX} shared objects"
            ));
        }
        let value = named(name, v);
        m.insert(name.to_string(), Entry { value, version: 1 });
        Ok(())
    }

    /// The object and what to remember about this read.
    pub fn get(&self, name: &str) -> Option<(Value, ReadMark)> {
        self.read().get(name).map(|e| {
            let mark = ReadMark {
                version: e.version,
                rows: e.value.len(),
            };
            (e.value.clone(), mark)
        })
    }

    /// Writes `v` back. `base` is what the writer read (None: a blind replace).
    pub fn set(&self, name: &str, v: Value, base: Option<ReadMark>) -> Result<(), String> {
        let mut m = self.write();
        let Some(entry) = m.get_mut(name) else {
            return Err(format!("The shared object [{name}] does not exist"));
        };
        let stale = base.is_some_and(|b| b.version != entry.version);
        let rebased = match (stale, base) {
            (true, Some(b)) => append_rebase(&entry.value, &v, b.rows),
            _ => None,
        };
        entry.value = named(name, rebased.unwrap_or(v));
        entry.version += 1;
        Ok(())
    }

    pub fn remove(&self, name: &str) -> bool {
        self.write().remove(name).is_some()
    }
}

/// When `mine` is the `base_rows` rows it read plus appended rows, and `current` has the same
/// columns, returns `current` with those appended rows. When `mine` appended nothing and
/// changed nothing (a 0-row insert), returns `current` as it is. None otherwise.
fn append_rebase(current: &Value, mine: &Value, base_rows: usize) -> Option<Value> {
    let (Value::Table(cur), Value::Table(new)) = (current, mine) else {
        return None;
    };
    if new.rows() < base_rows || new.names != cur.names || cur.rows() < base_rows {
        return None;
    }
    if new.rows() == base_rows {
        // Not an append: keep the current table only if the writer changed nothing.
        let same = cur
            .columns
            .iter()
            .zip(&new.columns)
            .all(|(c, n)| (0..base_rows).all(|i| c.key_at(i) == n.key_at(i)));
        return same.then(|| current.clone());
    }
    let mut out: Table = (**cur).clone();
    for (col, add) in out.columns.iter_mut().zip(&new.columns) {
        if col.ty != add.ty || col.is_array() != add.is_array() {
            return None;
        }
        let tail = add.slice(base_rows, add.len());
        if !Arc::make_mut(col).extend(&tail) {
            return None;
        }
    }
    Some(Value::table(out))
}

/// A shared table carries its shared name, as DolphinDB prints it.
fn named(name: &str, v: Value) -> Value {
    match v {
        Value::Table(t) if t.name != name => {
            let mut t = (*t).clone();
            t.name = name.to_string();
            Value::table(t)
        }
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use value::{DataType, Vector};

    fn table(x: Vec<i32>) -> Value {
        Value::table(Table::new(
            vec!["i".into()],
            vec![Vector::from_i32(DataType::Int, x)],
        ))
    }

    #[test]
    fn racing_appends_are_both_kept() {
        let s = SharedObjects::default();
        s.share("t", table(vec![1])).unwrap();
        let (_, a) = s.get("t").unwrap();
        let (_, b) = s.get("t").unwrap();
        // Both sessions read [1]; each appends its own row.
        s.set("t", table(vec![1, 2]), Some(a)).unwrap();
        s.set("t", table(vec![1, 3]), Some(b)).unwrap();
        let (v, mark) = s.get("t").unwrap();
        assert_eq!(mark.rows, 3);
        let Value::Table(t) = v else { panic!() };
        assert_eq!(t.name, "t");
        assert!(matches!(&t.columns[0].data, value::Data::I32(x) if x == &vec![1, 2, 3]));
    }

    #[test]
    fn other_conflicts_and_blind_writes_replace() {
        let s = SharedObjects::default();
        s.share("t", table(vec![1, 2])).unwrap();
        let (_, a) = s.get("t").unwrap();
        s.set("t", table(vec![1, 2, 3]), None).unwrap();
        // A delete that raced with an append: the last writer wins.
        s.set("t", table(vec![1]), Some(a)).unwrap();
        assert_eq!(s.get("t").unwrap().1.rows, 1);
        // A 0-row insert that raced with an append keeps the append.
        let (_, b) = s.get("t").unwrap();
        s.set("t", table(vec![1, 5]), None).unwrap();
        s.set("t", table(vec![1]), Some(b)).unwrap();
        assert_eq!(s.get("t").unwrap().1.rows, 2);
        assert!(s.set("nope", table(vec![]), None).is_err());
        assert!(s
            .share("t", table(vec![]))
            .unwrap_err()
            .contains("already exists"));
        assert!(s.remove("t"));
        assert!(!s.remove("t"));
    }
}
