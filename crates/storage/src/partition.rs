//! DolphinDB's partition schemes: which partition each row belongs to, partition names as
//! DolphinDB shows them in paths, and pruning by predicates on the partitioning columns.
//!
//! A `PartitionScheme` has one `Level` (VALUE, RANGE, HASH, LIST) or, for COMPO, two or three.
//! A partition is addressed by a `PartitionKey`: one index per level. Indices are stable:
//! VALUE partitions added later (`newValuePartitionPolicy=add`) get the next index.
//!
//! Names: VALUE and RANGE elements print like `string(x)` without `.`, `:` and `T`, so DATE
//! 2022.01.01 is `20220101`, MONTH 2022.01M is `202201M`, an INT 3 is `3`, a SYMBOL is itself;
//! RANGE partitions are `<low>_<high>`; HASH partitions are `Key0`..`Key<n-1>`; LIST partitions
//! are `List0`..; a COMPO path joins the levels: `/20220101/Key3`. DolphinDB's documentation
//! shows `/testDB/10`, `/200001M`, `/20170807/0_50` and `/20200102/Key94`; `List<i>` follows
//! the same pattern (not shown there). Rows go to HASH partitions as DolphinDB's `hashBucket`
//! puts them (`hash_bucket`).

use std::collections::{HashMap, HashSet};

use value::hash::FxBuild;
use value::{Data, DataType, Key, Vector};

use crate::error::{invalid, Error, Result};

/// Most levels of a COMPO scheme.
pub const LEVELS_MAX: usize = 3;
/// Most partitions one level may have.
pub const PARTITIONS_MAX: usize = 1 << 20;
/// A range predicate over a HASH level of integers is enumerated up to this many values.
const HASH_ENUMERATE_MAX: i64 = 1024;

/// The partition of a row: one index per level (unused levels are 0).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    pub levels: u8,
    pub index: [u32; LEVELS_MAX],
}

impl PartitionKey {
    pub fn single(i: usize) -> PartitionKey {
        PartitionKey {
            levels: 1,
            index: [i as u32, 0, 0],
        }
    }

    pub fn of(indices: &[usize]) -> PartitionKey {
        let mut index = [0u32; LEVELS_MAX];
        for (k, i) in indices.iter().take(LEVELS_MAX).enumerate() {
            index[k] = *i as u32;
        }
        PartitionKey {
            levels: indices.len().min(LEVELS_MAX) as u8,
            index,
        }
    }

    pub fn indices(&self) -> &[u32] {
        &self.index[..self.levels as usize]
    }
}

/// DolphinDB's partition types.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PartitionType {
    Value,
    Range,
    Hash,
    List,
    Compo,
}

impl PartitionType {
    /// DolphinDB's constant name (`VALUE`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PartitionType::Value => "VALUE",
            PartitionType::Range => "RANGE",
            PartitionType::Hash => "HASH",
            PartitionType::List => "LIST",
            PartitionType::Compo => "COMPO",
        }
    }
}

/// What happens to a row whose VALUE partition does not exist (`newValuePartitionPolicy`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum NewValuePolicy {
    #[default]
    Add,
    Skip,
    Fail,
}

/// A comparable element: integral/temporal raw values, or text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Elem {
    Int(i64),
    Str(String),
}

fn elem_at(v: &Vector, i: usize) -> Option<Elem> {
    if v.is_null(i) {
        return None;
    }
    match &v.data {
        Data::Str(_) | Data::Sym(_) => v.str_at(i).map(|s| Elem::Str(s.to_string())),
        _ => v.i64_at(i).map(Elem::Int),
    }
}

fn elems(v: &Vector) -> Vec<Option<Elem>> {
    (0..v.len()).map(|i| elem_at(v, i)).collect()
}

/// A directory name for element `i`: `string(x)` without `.`, `:` and `T`.
fn elem_name(v: &Vector, i: usize) -> String {
    let s = value::display::element_string(v, i);
    if v.ty.is_temporal() {
        s.chars()
            .filter(|c| !matches!(c, '.' | ':' | 'T'))
            .collect()
    } else {
        s
    }
}

fn partition_type_ok(ty: DataType) -> bool {
    use DataType::*;
    matches!(
        ty,
        Char | Short
            | Int
            | Long
            | Date
            | Month
            | Time
            | Minute
            | Second
            | DateTime
            | DateHour
            | Timestamp
            | NanoTime
            | NanoTimestamp
            | Symbol
            | String
    )
}

/// Converts a column (or predicate values) to a level's type; text types stay text.
fn to_type(v: &Vector, ty: DataType) -> Result<Vector> {
    if v.ty == ty || (v.ty.is_literal() && ty.is_literal()) {
        return Ok(v.clone());
    }
    Ok(value::convert::cast(v, ty, 0)?)
}

/// One level of a scheme.
#[derive(Clone, Debug)]
pub enum Level {
    /// One partition per distinct value.
    Value {
        values: Vector,
        index: HashMap<Key, usize>,
    },
    /// Partition i holds `[bounds[i], bounds[i+1])`.
    Range { bounds: Vector, elems: Vec<Elem> },
    /// `buckets` partitions by hash of the value.
    Hash { ty: DataType, buckets: usize },
    /// Partition i holds the values of `lists[i]`.
    List {
        lists: Vec<Vector>,
        index: HashMap<Key, usize>,
    },
}

impl Level {
    pub fn value(values: Vector) -> Result<Level> {
        if !partition_type_ok(values.ty) {
            invalid!(
                "A VALUE partition scheme cannot be of type {}",
                values.ty.name()
            );
        }
        let mut index = HashMap::new();
        let mut keep = Vec::new();
        for i in 0..values.len() {
            if values.is_null(i) {
                invalid!("A partition scheme cannot contain NULL");
            }
            if let std::collections::hash_map::Entry::Vacant(e) = index.entry(values.key_at(i)) {
                e.insert(keep.len());
                keep.push(i as i64);
            }
        }
        if keep.is_empty() || keep.len() > PARTITIONS_MAX {
            invalid!("A VALUE partition scheme needs 1 to {PARTITIONS_MAX} values");
        }
        Ok(Level::Value {
            values: values.take(&keep),
            index,
        })
    }

    pub fn range(bounds: Vector) -> Result<Level> {
        if !partition_type_ok(bounds.ty) {
            invalid!(
                "A RANGE partition scheme cannot be of type {}",
                bounds.ty.name()
            );
        }
        let es = elems(&bounds);
        if es.len() < 2 || es.len() > PARTITIONS_MAX {
            invalid!("A RANGE partition scheme needs at least 2 boundaries");
        }
        let mut out = Vec::with_capacity(es.len());
        for e in es {
            match e {
                Some(e) => out.push(e),
                None => invalid!("A partition scheme cannot contain NULL"),
            }
        }
        if out.windows(2).any(|w| w[0] >= w[1]) {
            invalid!("The boundaries of a RANGE partition scheme must be increasing");
        }
        Ok(Level::Range { bounds, elems: out })
    }

    pub fn hash(ty: DataType, buckets: usize) -> Result<Level> {
        let wide = matches!(ty, DataType::Uuid | DataType::IpAddr | DataType::Int128);
        if !partition_type_ok(ty) && !wide {
            invalid!("A HASH partition scheme cannot be of type {}", ty.name());
        }
        if buckets == 0 || buckets > PARTITIONS_MAX {
            invalid!("The number of HASH partitions must be between 1 and {PARTITIONS_MAX}");
        }
        Ok(Level::Hash { ty, buckets })
    }

    pub fn list(lists: Vec<Vector>) -> Result<Level> {
        if lists.is_empty() || lists.len() > PARTITIONS_MAX {
            invalid!("A LIST partition scheme needs at least one list");
        }
        let ty = lists[0].ty;
        let mut index = HashMap::new();
        for (p, l) in lists.iter().enumerate() {
            if !(l.ty == ty || (l.ty.is_literal() && ty.is_literal())) || !partition_type_ok(l.ty) {
                invalid!("The lists of a LIST partition scheme must share one supported type");
            }
            for i in 0..l.len() {
                if index.insert(l.key_at(i), p).is_some() {
                    invalid!("A value appears in two lists of a LIST partition scheme");
                }
            }
        }
        Ok(Level::List { lists, index })
    }

    pub fn partition_type(&self) -> PartitionType {
        match self {
            Level::Value { .. } => PartitionType::Value,
            Level::Range { .. } => PartitionType::Range,
            Level::Hash { .. } => PartitionType::Hash,
            Level::List { .. } => PartitionType::List,
        }
    }

    /// The type column values are converted to before locating.
    pub fn data_type(&self) -> DataType {
        match self {
            Level::Value { values, .. } => values.ty,
            Level::Range { bounds, .. } => bounds.ty,
            Level::Hash { ty, .. } => *ty,
            Level::List { lists, .. } => lists[0].ty,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Level::Value { values, .. } => values.len(),
            Level::Range { elems, .. } => elems.len() - 1,
            Level::Hash { buckets, .. } => *buckets,
            Level::List { lists, .. } => lists.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The directory name of partition `i`.
    pub fn name(&self, i: usize) -> String {
        match self {
            Level::Value { values, .. } => elem_name(values, i),
            Level::Range { bounds, .. } => {
                format!("{}_{}", elem_name(bounds, i), elem_name(bounds, i + 1))
            }
            Level::Hash { .. } => format!("Key{i}"),
            Level::List { .. } => format!("List{i}"),
        }
    }

    /// The partition of every element of `column` (None: no partition holds it).
    pub fn locate(&self, column: &Vector) -> Result<Vec<Option<usize>>> {
        let col = to_type(column, self.data_type())?;
        let one = |i: usize| -> Option<usize> {
            match self {
                Level::Value { index, .. } | Level::List { index, .. } => {
                    if col.is_null(i) {
                        None
                    } else {
                        index.get(&col.key_at(i)).copied()
                    }
                }
                Level::Range { elems, .. } => {
                    let e = elem_at(&col, i)?;
                    let p = elems.partition_point(|b| *b <= e);
                    (p > 0 && p < elems.len()).then(|| p - 1)
                }
                Level::Hash { buckets, .. } => Some(hash_bucket(&col, i, *buckets)),
            }
        };
        Ok(each_distinct(&col, one))
    }

    /// The distinct values of `column` (converted to the level's type) that no VALUE
    /// partition holds yet, in order of first appearance; nulls are left out.
    pub fn new_values(&self, column: &Vector) -> Result<Vector> {
        let col = to_type(column, self.data_type())?;
        let Level::Value { index, .. } = self else {
            return Ok(col.take(&[]));
        };
        // Rows whose value has no partition; each value's first such row is kept.
        let fresh = each_distinct(&col, |i| {
            (!col.is_null(i) && !index.contains_key(&col.key_at(i))).then_some(i)
        });
        let mut seen = HashSet::<Key, FxBuild>::default();
        let idx: Vec<i64> = fresh
            .into_iter()
            .flatten()
            .filter(|&i| seen.insert(col.key_at(i)))
            .map(|i| i as i64)
            .collect();
        Ok(col.take(&idx))
    }

    /// Adds VALUE partitions for the distinct values of `column` that have none; returns
    /// how many were added. Other levels cannot grow this way.
    pub fn add_values(&mut self, column: &Vector) -> Result<usize> {
        let ty = self.data_type();
        let Level::Value { values, index } = self else {
            invalid!("Only a VALUE partition scheme grows with new values");
        };
        let col = to_type(column, ty)?;
        let mut added = 0;
        for i in 0..col.len() {
            if col.is_null(i) || index.contains_key(&col.key_at(i)) {
                continue;
            }
            if values.len() >= PARTITIONS_MAX {
                invalid!("A VALUE partition scheme cannot exceed {PARTITIONS_MAX} partitions");
            }
            index.insert(col.key_at(i), values.len());
            if !values.extend(&col.slice(i, i + 1)) {
                invalid!("The new partition value does not match the scheme's type");
            }
            added += 1;
        }
        Ok(added)
    }

    /// Partitions that may hold rows matching `pred`, ascending.
    pub fn prune(&self, pred: &Predicate) -> Result<Vec<usize>> {
        let all = || (0..self.len()).collect::<Vec<_>>();
        let mut out = match pred {
            Predicate::In(v) => self.locate(v)?.into_iter().flatten().collect(),
            Predicate::Range { lo, hi } => {
                let ty = self.data_type();
                let bound = |b: &Option<Vector>| -> Result<Option<Elem>> {
                    match b {
                        Some(v) if !v.is_empty() => Ok(elem_at(&to_type(v, ty)?, 0)),
                        _ => Ok(None),
                    }
                };
                let (lo, hi) = (bound(lo)?, bound(hi)?);
                let inside = |e: &Elem| {
                    lo.as_ref().is_none_or(|l| e >= l) && hi.as_ref().is_none_or(|h| e <= h)
                };
                match self {
                    Level::Value { values, .. } => (0..values.len())
                        .filter(|&i| elem_at(values, i).is_some_and(|e| inside(&e)))
                        .collect(),
                    Level::List { lists, .. } => (0..lists.len())
                        .filter(|&p| {
                            (0..lists[p].len())
                                .any(|i| elem_at(&lists[p], i).is_some_and(|e| inside(&e)))
                        })
                        .collect(),
                    Level::Range { elems, .. } => (0..elems.len() - 1)
                        .filter(|&i| {
                            // [b_i, b_{i+1}) meets [lo, hi]
                            lo.as_ref().is_none_or(|l| &elems[i + 1] > l)
                                && hi.as_ref().is_none_or(|h| &elems[i] <= h)
                        })
                        .collect(),
                    Level::Hash { buckets, .. } => match (&lo, &hi) {
                        (Some(Elem::Int(a)), Some(Elem::Int(b)))
                            if b >= a && b - a < HASH_ENUMERATE_MAX =>
                        {
                            let mut v = Vector::from_i64(DataType::Long, (*a..=*b).collect());
                            v = to_type(&v, ty)?;
                            (0..v.len()).map(|i| hash_bucket(&v, i, *buckets)).collect()
                        }
                        _ => all(),
                    },
                }
            }
        };
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// A predicate on a partitioning column, for pruning.
#[derive(Clone, Debug)]
pub enum Predicate {
    /// The column equals one of these values (`=`, `in`).
    In(Vector),
    /// `lo <= column <= hi` (either side optional; scalars as one-element vectors). Strict
    /// comparisons may be given as inclusive: pruning only needs to keep every partition that
    /// might match.
    Range {
        lo: Option<Vector>,
        hi: Option<Vector>,
    },
}

/// DolphinDB's `hashBucket`, which places rows in HASH partitions: integral and temporal
/// values by their raw value modulo the bucket count; strings and symbols by the 32-bit
/// MurmurHash2 (seed 0) of their bytes modulo the count (this reproduces DolphinDB's documented
/// `hashBucket(`AAPL`TSLA`GS`MS`GE`BA`UAL`WMT, 10)`); UUID, IPADDR and INT128 by the hash
/// of their 16 little-endian bytes. `script`'s `hashBucket` built-in computes the same.
pub fn hash_bucket(v: &Vector, i: usize, buckets: usize) -> usize {
    let b = buckets.max(1) as i64;
    let by_hash = |h: u32| (h as u64 % b as u64) as usize;
    match &v.data {
        Data::Str(_) | Data::Sym(_) => by_hash(murmur2(v.str_at(i).unwrap_or("").as_bytes())),
        Data::I128(x) => by_hash(murmur2(&x[i].to_le_bytes())),
        Data::I8(x) => (x[i] as i64).rem_euclid(b) as usize,
        Data::I16(x) => (x[i] as i64).rem_euclid(b) as usize,
        Data::I32(x) => (x[i] as i64).rem_euclid(b) as usize,
        Data::I64(x) => x[i].rem_euclid(b) as usize,
        _ => 0,
    }
}

pub use value::hash::murmur2;

/// `f` of every row of `col`, where `f` depends on the row's value alone: computed once per
/// distinct symbol of a SYMBOL column and once per run of equal values of an integer or
/// temporal one (partitioning columns are mostly a few symbols, or sorted dates), and row by
/// row otherwise. Every row gets the answer of the first row of its value, as `f` gave it.
fn each_distinct<T: Copy>(col: &Vector, f: impl Fn(usize) -> T) -> Vec<T> {
    fn runs<V: PartialEq + Copy, T: Copy>(x: &[V], f: impl Fn(usize) -> T) -> Vec<T> {
        let mut out = Vec::with_capacity(x.len());
        let mut last: Option<(V, T)> = None;
        for (i, &v) in x.iter().enumerate() {
            let t = match last {
                Some((l, t)) if l == v => t,
                _ => {
                    let t = f(i);
                    last = Some((v, t));
                    t
                }
            };
            out.push(t);
        }
        out
    }
    match &col.data {
        // Not for a symbol base much larger than the column (a shared one): per row then.
        Data::Sym(sv) if sv.base.len() <= sv.codes.len().saturating_mul(2).max(1024) => {
            let mut memo: Vec<Option<T>> = vec![None; sv.base.len()];
            sv.codes
                .iter()
                .enumerate()
                .map(|(i, &c)| match memo.get_mut(c as usize) {
                    Some(m) => *m.get_or_insert_with(|| f(i)),
                    None => f(i),
                })
                .collect()
        }
        Data::I32(x) => runs(x, f),
        Data::I64(x) => runs(x, f),
        Data::I16(x) => runs(x, f),
        Data::I8(x) => runs(x, f),
        _ => (0..col.len()).map(f).collect(),
    }
}

/// A database's partition scheme: one level, or two or three for COMPO.
#[derive(Clone, Debug)]
pub struct PartitionScheme {
    pub levels: Vec<Level>,
}

impl PartitionScheme {
    pub fn single(level: Level) -> PartitionScheme {
        PartitionScheme {
            levels: vec![level],
        }
    }

    pub fn compo(levels: Vec<Level>) -> Result<PartitionScheme> {
        if levels.len() < 2 || levels.len() > LEVELS_MAX {
            invalid!("A COMPO partition scheme has 2 or 3 levels");
        }
        Ok(PartitionScheme { levels })
    }

    pub fn partition_type(&self) -> PartitionType {
        if self.levels.len() > 1 {
            PartitionType::Compo
        } else {
            self.levels[0].partition_type()
        }
    }

    /// Every partition, in order (the last level varies fastest).
    pub fn keys(&self) -> Vec<PartitionKey> {
        let mut out = vec![Vec::new()];
        for l in &self.levels {
            let mut next = Vec::with_capacity(out.len() * l.len());
            for prefix in &out {
                for i in 0..l.len() {
                    let mut k = prefix.clone();
                    k.push(i);
                    next.push(k);
                }
            }
            out = next;
        }
        out.iter().map(|k| PartitionKey::of(k)).collect()
    }

    /// DolphinDB's path of a partition inside its database: `/20220101/Key3`.
    pub fn path(&self, key: &PartitionKey) -> String {
        let mut s = String::new();
        for (l, i) in self.levels.iter().zip(key.indices()) {
            s.push('/');
            s.push_str(&l.name(*i as usize));
        }
        s
    }

    /// The partition of every row; `columns` holds one partitioning column per level.
    pub fn locate(&self, columns: &[&Vector]) -> Result<Vec<Option<PartitionKey>>> {
        if columns.len() != self.levels.len() {
            return Err(Error::invalid(format!(
                "The partition scheme has {} levels but {} partitioning columns were given",
                self.levels.len(),
                columns.len()
            )));
        }
        let per_level = self
            .levels
            .iter()
            .zip(columns)
            .map(|(l, c)| l.locate(c))
            .collect::<Result<Vec<_>>>()?;
        let n = columns.first().map(|c| c.len()).unwrap_or(0);
        Ok((0..n)
            .map(|r| {
                let mut k = PartitionKey {
                    levels: self.levels.len() as u8,
                    index: [0; LEVELS_MAX],
                };
                for (lvl, idx) in per_level.iter().enumerate() {
                    k.index[lvl] = idx[r]? as u32;
                }
                Some(k)
            })
            .collect())
    }

    /// Partitions that may hold rows matching every given predicate (None: no predicate on
    /// that level's column).
    pub fn prune(&self, preds: &[Option<Predicate>]) -> Result<Vec<PartitionKey>> {
        let mut choice: Vec<Vec<usize>> = Vec::new();
        for (k, l) in self.levels.iter().enumerate() {
            choice.push(match preds.get(k).and_then(|p| p.as_ref()) {
                Some(p) => l.prune(p)?,
                None => (0..l.len()).collect(),
            });
        }
        let mut out = vec![Vec::new()];
        for c in &choice {
            let mut next = Vec::new();
            for prefix in &out {
                for i in c {
                    let mut k = prefix.clone();
                    k.push(*i);
                    next.push(k);
                }
            }
            out = next;
        }
        Ok(out.iter().map(|k| PartitionKey::of(k)).collect())
    }
}
