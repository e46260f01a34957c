//! The decoded-column cache: (segment, row group, column) -> decoded vector, least recently
//! used first out, bounded in bytes (a share of `maxMemSize`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;
use value::{Data, Vector};

/// (segment uid, row group, column index in the segment).
pub(crate) type ColumnKey = (u64, u32, u32);

struct Entry {
    vector: Arc<Vector>,
    bytes: u64,
    tick: u64,
}

struct Lru {
    map: HashMap<ColumnKey, Entry>,
    order: BTreeMap<u64, ColumnKey>,
    tick: u64,
    bytes: u64,
}

pub(crate) struct ColumnCache {
    bytes_max: u64,
    lru: Mutex<Lru>,
}

impl ColumnCache {
    pub fn new(bytes_max: u64) -> ColumnCache {
        ColumnCache {
            bytes_max,
            lru: Mutex::new(Lru {
                map: HashMap::new(),
                order: BTreeMap::new(),
                tick: 0,
                bytes: 0,
            }),
        }
    }

    pub fn get(&self, key: &ColumnKey) -> Option<Arc<Vector>> {
        let mut l = self.lru.lock();
        l.tick += 1;
        let tick = l.tick;
        let e = l.map.get_mut(key)?;
        let old = std::mem::replace(&mut e.tick, tick);
        let v = e.vector.clone();
        l.order.remove(&old);
        l.order.insert(tick, *key);
        Some(v)
    }

    pub fn insert(&self, key: ColumnKey, vector: Arc<Vector>) {
        let bytes = vector_bytes(&vector);
        if bytes > self.bytes_max / 4 {
            return; // one column may not flush the whole cache
        }
        let mut l = self.lru.lock();
        l.tick += 1;
        let tick = l.tick;
        if let Some(old) = l.map.insert(
            key,
            Entry {
                vector,
                bytes,
                tick,
            },
        ) {
            l.order.remove(&old.tick);
            l.bytes -= old.bytes;
        }
        l.order.insert(tick, key);
        l.bytes += bytes;
        while l.bytes > self.bytes_max {
            let Some((_, k)) = l.order.pop_first() else {
                break;
            };
            if let Some(e) = l.map.remove(&k) {
                l.bytes -= e.bytes;
            }
        }
    }

    pub fn bytes(&self) -> u64 {
        self.lru.lock().bytes
    }
}

/// Approximate memory held by a vector.
pub(crate) fn vector_bytes(v: &Vector) -> u64 {
    let n = v.len() as u64;
    match &v.data {
        Data::Void(_) => 0,
        Data::I8(_) => n,
        Data::I16(_) => 2 * n,
        Data::I32(_) | Data::F32(_) => 4 * n,
        Data::I64(_) | Data::F64(_) => 8 * n,
        Data::I128(_) => 16 * n,
        Data::Str(x) => x.iter().map(|s| s.len() as u64 + 24).sum(),
        Data::Blob(x) => x.iter().map(|s| s.len() as u64 + 24).sum(),
        Data::Sym(x) => {
            4 * n
                + x.base
                    .strings()
                    .iter()
                    .map(|s| s.len() as u64 + 48)
                    .sum::<u64>()
        }
        Data::Any(x) => 64 * x.len() as u64,
        Data::Array(a) => 4 * a.offsets.len() as u64 + vector_bytes(&a.values),
    }
}
