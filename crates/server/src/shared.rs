//! Shared objects (`share t as name`): one map per node, read and replaced by every session.
//!
//! Scripts update a shared table by reading it, computing the new table, and writing it back.
//! Two sessions appending at once would each write back their own copy and one append would be
//! lost. So every object carries a version, and a session remembers the versions (and row
//! counts) it read during the current job. A write-back when the object has changed since is
//! rebased: the base is the latest version read that has fewer rows than the written table and
//! whose rows are still the prefix of both the current table and the written one; the written
//! rows past that base are appended to the current table. A write that appended nothing and
//! changed nothing keeps the current table. Any other conflicting write (an update or delete
//! that raced with another write) replaces the object, as the last writer.
//!
//! Known limit: when identical rows were appended by others between the read a job computed
//! from and a later re-read of the same table in that job, a multi-row append may be matched
//! against the later read and lose those rows. Built-ins should test existence with
//! `Host::is_shared`, which is not a read.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use value::{Data, Table, Value, Vector};

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

    /// Writes `v` back. `reads` are the versions the writer read in this job (empty: a blind
    /// replace).
    pub fn set(&self, name: &str, v: Value, reads: &[ReadMark]) -> Result<(), String> {
        let mut m = self.write();
        let Some(entry) = m.get_mut(name) else {
            return Err(format!("The shared object [{name}] does not exist"));
        };
        let stale = reads.iter().any(|r| r.version != entry.version);
        let rebased = if stale {
            rebase(&entry.value, &v, reads)
        } else {
            None
        };
        entry.value = named(name, rebased.unwrap_or(v));
        entry.version += 1;
        Ok(())
    }

    pub fn remove(&self, name: &str) -> bool {
        self.write().remove(name).is_some()
    }
}

/// `current` with the rows `mine` added past the base it was computed from (see the module
/// comment); None when no version read fits, so the caller replaces.
fn rebase(current: &Value, mine: &Value, reads: &[ReadMark]) -> Option<Value> {
    let (Value::Table(cur), Value::Table(new)) = (current, mine) else {
        return None;
    };
    if new.names != cur.names
        || new.columns.len() != cur.columns.len()
        || cur
            .columns
            .iter()
            .zip(&new.columns)
            .any(|(c, n)| c.ty != n.ty || c.is_array() != n.is_array())
    {
        return None;
    }
    let mut rows: Vec<usize> = reads.iter().map(|r| r.rows).collect();
    rows.sort_unstable_by(|a, b| b.cmp(a));
    rows.dedup();
    let fits = |base: usize| base <= cur.rows() && prefix_equal(cur, new, base);
    // An append from the latest version read that it extends...
    for &base in rows.iter().filter(|&&r| r < new.rows()) {
        if fits(base) {
            let mut out: Table = (**cur).clone();
            for (col, add) in out.columns.iter_mut().zip(&new.columns) {
                let tail = add.slice(base, add.len());
                if !Arc::make_mut(col).extend(&tail) {
                    return None;
                }
            }
            return Some(Value::table(out));
        }
    }
    // ...else a write that appended nothing and changed nothing (a 0-row insert).
    if rows.contains(&new.rows()) && fits(new.rows()) {
        return Some(current.clone());
    }
    None
}

/// Whether the first `n` rows of `a` and `b` hold the same values (columns already match in
/// type and both have at least `n` rows).
fn prefix_equal(a: &Table, b: &Table, n: usize) -> bool {
    a.columns
        .iter()
        .zip(&b.columns)
        .all(|(x, y)| Arc::ptr_eq(x, y) || column_prefix_equal(x, y, n))
}

fn column_prefix_equal(x: &Vector, y: &Vector, n: usize) -> bool {
    match (&x.data, &y.data) {
        (Data::I8(p), Data::I8(q)) => p[..n] == q[..n],
        (Data::I16(p), Data::I16(q)) => p[..n] == q[..n],
        (Data::I32(p), Data::I32(q)) => p[..n] == q[..n],
        (Data::I64(p), Data::I64(q)) => p[..n] == q[..n],
        (Data::I128(p), Data::I128(q)) => p[..n] == q[..n],
        (Data::F32(p), Data::F32(q)) => p[..n]
            .iter()
            .zip(&q[..n])
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        (Data::F64(p), Data::F64(q)) => p[..n]
            .iter()
            .zip(&q[..n])
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        (Data::Str(p), Data::Str(q)) => p[..n] == q[..n],
        (Data::Blob(p), Data::Blob(q)) => p[..n] == q[..n],
        (Data::Sym(p), Data::Sym(q)) if Arc::ptr_eq(&p.base, &q.base) => {
            p.codes[..n] == q.codes[..n]
        }
        _ => (0..n).all(|i| x.key_at(i) == y.key_at(i)),
    }
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
        s.set("t", table(vec![1, 2]), &[a]).unwrap();
        s.set("t", table(vec![1, 3]), &[b]).unwrap();
        let (v, mark) = s.get("t").unwrap();
        assert_eq!(mark.rows, 3);
        let Value::Table(t) = v else { panic!() };
        assert_eq!(t.name, "t");
        assert!(matches!(&t.columns[0].data, value::Data::I32(x) if x == &vec![1, 2, 3]));
    }

    #[test]
    fn the_base_is_the_latest_read_that_still_fits() {
        let s = SharedObjects::default();
        s.share("t", table(vec![1])).unwrap();
        let (_, probe) = s.get("t").unwrap();
        s.set("t", table(vec![1, 2]), &[]).unwrap(); // another session appends 2
        let (_, real) = s.get("t").unwrap();
        s.set("t", table(vec![1, 2, 3]), &[]).unwrap(); // and then 3
                                                        // This session probed [1], then computed from [1, 2] and appended 9.
        s.set("t", table(vec![1, 2, 9]), &[probe, real]).unwrap();
        assert!(ints(&s) == vec![1, 2, 3, 9], "{:?}", ints(&s));
        // A re-read after the real read does not confuse it either.
        let (_, a) = s.get("t").unwrap();
        s.set("t", table(vec![1, 2, 3, 9, 4]), &[]).unwrap();
        let (_, again) = s.get("t").unwrap();
        s.set("t", table(vec![1, 2, 3, 9, 8]), &[a, again]).unwrap();
        assert_eq!(ints(&s), vec![1, 2, 3, 9, 4, 8]);
    }

    #[test]
    fn identical_single_row_appends_are_all_kept() {
        let s = SharedObjects::default();
        s.share("t", table(vec![1])).unwrap();
        let (_, real) = s.get("t").unwrap();
        s.set("t", table(vec![1, 1]), &[]).unwrap(); // another session appends 1
        let (_, reread) = s.get("t").unwrap(); // this one re-reads before writing
        s.set("t", table(vec![1, 1]), &[real, reread]).unwrap();
        assert_eq!(ints(&s), vec![1, 1, 1]);
    }

    fn ints(s: &SharedObjects) -> Vec<i32> {
        match s.get("t").unwrap().0 {
            Value::Table(t) => match &t.columns[0].data {
                value::Data::I32(x) => x.clone(),
                _ => panic!(),
            },
            _ => panic!(),
        }
    }

    #[test]
    fn other_conflicts_and_blind_writes_replace() {
        let s = SharedObjects::default();
        s.share("t", table(vec![1, 2])).unwrap();
        let (_, a) = s.get("t").unwrap();
        s.set("t", table(vec![1, 2, 3]), &[]).unwrap();
        // A delete that raced with an append: the last writer wins.
        s.set("t", table(vec![1]), &[a]).unwrap();
        assert_eq!(s.get("t").unwrap().1.rows, 1);
        // A 0-row insert that raced with an append keeps the append.
        let (_, b) = s.get("t").unwrap();
        s.set("t", table(vec![1, 5]), &[]).unwrap();
        s.set("t", table(vec![1]), &[b]).unwrap();
        assert_eq!(s.get("t").unwrap().1.rows, 2);
        assert!(s.set("nope", table(vec![]), &[]).is_err());
        assert!(s
            .share("t", table(vec![]))
            .unwrap_err()
            .contains("already exists"));
        assert!(s.remove("t"));
        assert!(!s.remove("t"));
    }
}
