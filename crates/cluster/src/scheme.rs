//! A database's partition scheme at run time: which partition each row goes to, the paths
//! DolphinDB shows for partitions, and pruning by `where` predicates.
//!
//! A partition is one index per level: VALUE -> position in the value list, RANGE -> interval,
//! HASH -> bucket, LIST -> list. Indices are stable: VALUE and RANGE levels only grow at the end.

use std::collections::{HashMap, HashSet};

use script::dfs::{ColumnPredicate, PartitionLevel, PartitionType, PredicateOp};
use script::{Env, Host, LocalHost};
use value::{DataType, Key, Value, Vector};

use crate::{err, Result};

/// One level of a scheme.
pub struct Level {
    pub ptype: PartitionType,
    /// The partitioning type: the scheme's element type (HASH: the given type).
    pub ty: DataType,
    /// VALUE: the values; RANGE: the boundaries.
    values: Vector,
    /// LIST: the lists.
    lists: Vec<Vector>,
    buckets: usize,
    /// VALUE / LIST: element key -> partition index.
    index: HashMap<Key, usize>,
}

fn scheme_vector(v: &Value) -> Result<Vector> {
    match v {
        Value::Vector(x) | Value::Pair(x) => Ok((**x).clone()),
        Value::Scalar(x) => Ok(x.clone()),
        _ => err!("A partition scheme must be a vector"),
    }
}

/// `x` converted to `ty` exactly (None when the conversion would change values' meaning).
fn to_type(x: &Vector, ty: DataType) -> Option<Vector> {
    if x.ty == ty {
        return Some(x.clone());
    }
    let both = |f: fn(DataType) -> bool| f(x.ty) && f(ty);
    let integral = |t: DataType| t.is_integral() && !t.is_temporal();
    if both(|t| t.is_literal()) || both(integral) || x.ty == DataType::Void {
        return value::convert::cast(x, ty, 0).ok();
    }
    None
}

/// The partition-path text of an element: DolphinDB's text without separators
/// (`2017.08.07` -> `20170807`).
fn path_text(v: &Vector, i: usize) -> String {
    value::display::element_string(v, i)
        .chars()
        .filter(|c| !matches!(c, '.' | ':' | ' ' | 'T'))
        .collect()
}

impl Level {
    pub fn new(l: &PartitionLevel) -> Result<Level> {
        let mut level = Level {
            ptype: l.ptype,
            ty: DataType::Void,
            values: Vector::empty(DataType::Int),
            lists: Vec::new(),
            buckets: 0,
            index: HashMap::new(),
        };
        match l.ptype {
            PartitionType::Value | PartitionType::Range => {
                let v = scheme_vector(&l.scheme)?;
                level.ty = v.ty;
                if l.ptype == PartitionType::Value {
                    for i in 0..v.len() {
                        level.index.entry(v.key_at(i)).or_insert(i);
                    }
                } else if !is_sorted(&v) {
                    err!("The boundaries of a RANGE domain must be increasing");
                }
                level.values = v;
            }
            PartitionType::Hash => {
                let v = scheme_vector(&l.scheme)?;
                let code = v.get(0).as_i64().unwrap_or(0);
                level.ty = DataType::from_code((code & 0xFF) as u8).unwrap_or(DataType::Int);
                level.buckets = v.get(1).as_i64().unwrap_or(0).max(1) as usize;
            }
            PartitionType::List => {
                let Value::Vector(items) = &l.scheme else {
                    err!("The partition scheme of a LIST domain must be a tuple");
                };
                for i in 0..items.len() {
                    let v = scheme_vector(&items.get(i))?;
                    if level.ty == DataType::Void {
                        level.ty = v.ty;
                    }
                    let v = match to_type(&v, level.ty) {
                        Some(v) => v,
                        None => err!("The lists of a LIST domain must have one type"),
                    };
                    for k in 0..v.len() {
                        level.index.entry(v.key_at(k)).or_insert(i);
                    }
                    level.lists.push(v);
                }
            }
            PartitionType::Seq | PartitionType::Compo => {
                err!("Unsupported partition level {}", l.ptype.name())
            }
        }
        Ok(level)
    }

    /// How many partitions the level defines now.
    pub fn len(&self) -> usize {
        match self.ptype {
            PartitionType::Value => self.values.len(),
            PartitionType::Range => self.values.len().saturating_sub(1),
            PartitionType::Hash => self.buckets,
            _ => self.lists.len(),
        }
    }

    /// The column converted to the level's type (a TIMESTAMP column under a DATE scheme is
    /// partitioned by its date).
    fn convert(&self, col: &Vector) -> Result<Vector> {
        if col.ty == self.ty {
            return Ok(col.clone());
        }
        match value::convert::cast(col, self.ty, 0) {
            Ok(v) => Ok(v),
            Err(_) => err!(
                "The partitioning column of type {} doesn't match the partition scheme of type {}",
                col.ty.name(),
                self.ty.name()
            ),
        }
    }

    /// The partition of each row; None for a row no partition holds (a new VALUE, out of a
    /// RANGE or LIST, or null).
    pub fn locate(&self, col: &Vector) -> Result<Vec<Option<usize>>> {
        let v = self.convert(col)?;
        let n = v.len();
        Ok(match self.ptype {
            PartitionType::Value | PartitionType::List => (0..n)
                .map(|i| {
                    if v.is_null(i) {
                        None
                    } else {
                        self.index.get(&v.key_at(i)).copied()
                    }
                })
                .collect(),
            PartitionType::Range => (0..n)
                .map(|i| {
                    if v.is_null(i) {
                        None
                    } else {
                        self.interval(&v, i)
                    }
                })
                .collect(),
            PartitionType::Hash => hash_buckets(&v, self.buckets)?
                .into_iter()
                .map(Some)
                .collect(),
            _ => vec![None; n],
        })
    }

    /// The RANGE interval holding element `i` of `v` (same type as the boundaries).
    fn interval(&self, v: &Vector, i: usize) -> Option<usize> {
        let b = &self.values;
        let nb = b.len();
        if nb < 2 {
            return None;
        }
        let (mut lo, mut hi) = (0usize, nb);
        // The last boundary <= x.
        while lo < hi {
            let mid = (lo + hi) / 2;
            if compare(b, mid, v, i) != std::cmp::Ordering::Greater {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == 0 || lo >= nb {
            return None;
        }
        Some(lo - 1)
    }

    /// The path segment of partition `i` (without the leading `/`).
    pub fn name(&self, i: usize) -> String {
        match self.ptype {
            PartitionType::Value => path_text(&self.values, i),
            PartitionType::Range => format!(
                "{}_{}",
                path_text(&self.values, i),
                path_text(&self.values, i + 1)
            ),
            PartitionType::Hash => format!("Key{}", i),
            _ => format!("List{}", i),
        }
    }

    /// Values of `col` that no VALUE partition holds yet, distinct, in first-seen order.
    pub fn new_values(&self, col: &Vector) -> Result<Vector> {
        let v = self.convert(col)?;
        let mut seen = HashSet::new();
        let mut idx = Vec::new();
        for i in 0..v.len() {
            if v.is_null(i) {
                continue;
            }
            let k = v.key_at(i);
            if !self.index.contains_key(&k) && seen.insert(k) {
                idx.push(i as i64);
            }
        }
        Ok(v.take(&idx))
    }

    /// The partitions that may hold rows matching every predicate on this level's column;
    /// None when the predicates don't narrow it.
    pub fn prune(&self, preds: &[&PredicateOp]) -> Option<HashSet<usize>> {
        let mut out: Option<HashSet<usize>> = None;
        for p in preds {
            if let Some(set) = self.prune_one(p) {
                out = Some(match out {
                    Some(o) => o.intersection(&set).copied().collect(),
                    None => set,
                });
            }
        }
        out
    }

    fn constant(&self, v: &Value) -> Option<Vector> {
        let x = match v {
            Value::Scalar(x) => x.clone(),
            Value::Vector(x) | Value::Pair(x) => (**x).clone(),
            _ => return None,
        };
        to_type(&x, self.ty)
    }

    fn prune_one(&self, p: &PredicateOp) -> Option<HashSet<usize>> {
        use std::cmp::Ordering::*;
        let members = |c: &Vector| -> Option<HashSet<usize>> {
            match self.ptype {
                PartitionType::Value | PartitionType::List => Some(
                    (0..c.len())
                        .filter_map(|i| self.index.get(&c.key_at(i)).copied())
                        .collect(),
                ),
                PartitionType::Range => {
                    Some((0..c.len()).filter_map(|i| self.interval(c, i)).collect())
                }
                PartitionType::Hash => hash_buckets(c, self.buckets)
                    .ok()
                    .map(|b| b.into_iter().collect()),
                _ => None,
            }
        };
        match p {
            PredicateOp::Eq(v) => members(&self.constant(v)?),
            PredicateOp::In(v) => members(&to_type(v, self.ty)?),
            _ if !matches!(self.ptype, PartitionType::Value | PartitionType::Range) => None,
            _ => {
                // Bounds: (value, inclusive) below and above.
                let (lo, hi) = match p {
                    PredicateOp::Lt(v) => (None, Some((self.constant(v)?, false))),
                    PredicateOp::Le(v) => (None, Some((self.constant(v)?, true))),
                    PredicateOp::Gt(v) => (Some((self.constant(v)?, false)), None),
                    PredicateOp::Ge(v) => (Some((self.constant(v)?, true)), None),
                    PredicateOp::Between(a, b) => (
                        Some((self.constant(a)?, true)),
                        Some((self.constant(b)?, true)),
                    ),
                    _ => return None,
                };
                let keep = |first: usize, last: usize| -> bool {
                    // Partition covering [values[first], values[last]] (RANGE: last exclusive).
                    let lo_ok = match &lo {
                        Some((c, _)) if self.ptype == PartitionType::Range => {
                            compare(&self.values, last, c, 0) == Greater
                        }
                        Some((c, inc)) => match compare(&self.values, last, c, 0) {
                            Greater => true,
                            Equal => *inc,
                            Less => false,
                        },
                        None => true,
                    };
                    let hi_ok = match &hi {
                        Some((c, inc)) => match compare(&self.values, first, c, 0) {
                            Less => true,
                            Equal => *inc,
                            Greater => false,
                        },
                        None => true,
                    };
                    lo_ok && hi_ok
                };
                Some(match self.ptype {
                    PartitionType::Value => (0..self.len()).filter(|&i| keep(i, i)).collect(),
                    _ => (0..self.len()).filter(|&i| keep(i, i + 1)).collect(),
                })
            }
        }
    }
}

fn is_sorted(v: &Vector) -> bool {
    (1..v.len()).all(|i| compare(v, i - 1, v, i) == std::cmp::Ordering::Less)
}

/// Compares element `i` of `a` with element `j` of `b` (same type).
fn compare(a: &Vector, i: usize, b: &Vector, j: usize) -> std::cmp::Ordering {
    if let (Some(x), Some(y)) = (a.str_at(i), b.str_at(j)) {
        return x.cmp(y);
    }
    match (a.i64_at(i), b.i64_at(j)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// DolphinDB's `hashBucket`, from the built-in library.
fn hash_buckets(v: &Vector, buckets: usize) -> Result<Vec<usize>> {
    let Some(f) = script::builtins::lookup("hashBucket") else {
        err!("hashBucket is not available");
    };
    let mut env = QuietEnv::default();
    let out = (f.f)(
        &mut env,
        &[Value::vector(v.clone()), Value::int(buckets as i32)],
    )
    .map_err(|e| crate::Error(e.message()))?;
    let Some(b) = out.as_vector() else {
        err!("hashBucket returned no vector");
    };
    Ok((0..b.len())
        .map(|i| b.i64_at(i).unwrap_or(0).max(0) as usize)
        .collect())
}

/// An environment for calling pure built-ins from Rust.
#[derive(Default)]
pub(crate) struct QuietEnv {
    host: LocalHost,
}

impl Env for QuietEnv {
    fn call(&mut self, f: &Value, args: &[Value]) -> script::Result<Value> {
        match f {
            Value::Object(o) => match script::builtins::lookup(&o.describe()) {
                Some(b) => (b.f)(self, args),
                None => Err(script::Error::new("Can't call a function here")),
            },
            _ => Err(script::Error::new("Can't call a function here")),
        }
    }
    fn print(&mut self, _text: &str) {}
    fn get_var(&self, _name: &str) -> Option<Value> {
        None
    }
    fn set_var(&mut self, _name: &str, _v: Value) -> script::Result<()> {
        Ok(())
    }
    fn host(&self) -> &dyn Host {
        &self.host
    }
}

/// A whole scheme: one level, or 2-3 for COMPO.
pub struct Scheme {
    pub levels: Vec<Level>,
}

impl Scheme {
    pub fn new(levels: &[PartitionLevel]) -> Result<Scheme> {
        Ok(Scheme {
            levels: levels.iter().map(Level::new).collect::<Result<_>>()?,
        })
    }

    /// DolphinDB's path of a partition: `/20170807/Key3`.
    pub fn path(&self, keys: &[u32]) -> String {
        let mut p = String::new();
        for (l, k) in self.levels.iter().zip(keys) {
            p.push('/');
            p.push_str(&l.name(*k as usize));
        }
        p
    }

    /// Whether a partition may hold rows matching `preds` (on `columns`, one per level).
    pub fn matches(&self, keys: &[u32], allowed: &[Option<HashSet<usize>>]) -> bool {
        keys.iter().zip(allowed).all(|(k, a)| {
            a.as_ref()
                .map(|s| s.contains(&(*k as usize)))
                .unwrap_or(true)
        })
    }

    /// Per level, the partitions the predicates allow (None = all).
    pub fn allowed(
        &self,
        columns: &[String],
        preds: &[ColumnPredicate],
    ) -> Vec<Option<HashSet<usize>>> {
        self.levels
            .iter()
            .zip(columns)
            .map(|(l, c)| {
                let ops: Vec<&PredicateOp> = preds
                    .iter()
                    .filter(|p| p.column.eq_ignore_ascii_case(c))
                    .map(|p| &p.op)
                    .collect();
                l.prune(&ops)
            })
            .collect()
    }
}
