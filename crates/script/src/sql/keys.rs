//! Row keys: dense group ids from key columns (typed hashing, no per-row allocation), typed
//! row comparisons, and stable sorts.
//!
//! A grouping is computed once per query: each key column gets dense ids (a direct array for
//! small integer ranges and symbol codes, a hash map otherwise), then the columns are combined
//! pairwise into one id per row. Aggregate kernels then run over the ids in one pass.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use value::{Data, Vector};

/// FxHash: enough for group-by tables whose keys come from the data itself.
pub use value::hash::FxHasher;

pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

fn fx_map<K, V>(cap: usize) -> FxMap<K, V> {
    FxMap::with_capacity_and_hasher(cap, Default::default())
}

/// Largest direct-address table used instead of a hash map (entries of 4 bytes).
const DIRECT_SLOTS_MAX: usize = 1 << 22;

/// Rows mapped to dense group ids.
#[derive(Clone, Debug)]
pub struct Grouping {
    /// Group of each row, in `0..n`.
    pub ids: Vec<u32>,
    /// Number of groups.
    pub n: usize,
    /// First row of each group (the row whose key values represent the group).
    pub first: Vec<u32>,
}

impl Grouping {
    /// Every row in one group (no key columns).
    pub fn single(rows: usize) -> Grouping {
        Grouping {
            ids: vec![0; rows],
            n: usize::from(rows > 0),
            first: if rows > 0 { vec![0] } else { Vec::new() },
        }
    }

    /// The number of rows of each group.
    pub fn sizes(&self) -> Vec<u32> {
        let mut s = vec![0u32; self.n];
        for &g in &self.ids {
            s[g as usize] += 1;
        }
        s
    }

    /// Rows listed group after group, each group's rows in row order (a counting sort):
    /// returns `(offsets, rows)` with group `g`'s rows at `rows[offsets[g]..offsets[g+1]]`.
    pub fn members(&self) -> (Vec<usize>, Vec<u32>) {
        let mut offsets = vec![0usize; self.n + 1];
        for &g in &self.ids {
            offsets[g as usize + 1] += 1;
        }
        for g in 0..self.n {
            offsets[g + 1] += offsets[g];
        }
        let mut next = offsets.clone();
        let mut rows = vec![0u32; self.ids.len()];
        for (r, &g) in self.ids.iter().enumerate() {
            let slot = &mut next[g as usize];
            rows[*slot] = r as u32;
            *slot += 1;
        }
        (offsets, rows)
    }
}

/// Assigns ids in order of first appearance: `ids[r]` for each row, returning the count.
struct Densifier {
    ids: Vec<u32>,
    first: Vec<u32>,
}

impl Densifier {
    fn new(rows: usize) -> Densifier {
        Densifier {
            ids: Vec::with_capacity(rows),
            first: Vec::new(),
        }
    }

    #[inline(always)]
    fn slot(&mut self, slot: &mut u32, row: usize) {
        if *slot == u32::MAX {
            *slot = self.first.len() as u32;
            self.first.push(row as u32);
        }
        self.ids.push(*slot);
    }

    fn finish(self) -> Grouping {
        Grouping {
            n: self.first.len(),
            ids: self.ids,
            first: self.first,
        }
    }
}

/// Dense ids of integer keys: a direct table when the value range is small, else a hash map.
fn ids_of_ints<T: Copy + Into<i64>>(s: &[T]) -> Grouping {
    let mut d = Densifier::new(s.len());
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for &x in s {
        let x: i64 = x.into();
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let range = (hi as i128 - lo as i128 + 1).max(0) as u128;
    let direct_max = DIRECT_SLOTS_MAX.min(4 * s.len() + 1024) as u128;
    if !s.is_empty() && range <= direct_max {
        let mut table = vec![u32::MAX; range as usize];
        for (r, &x) in s.iter().enumerate() {
            let x: i64 = x.into();
            let slot = &mut table[(x - lo) as usize];
            d.slot(slot, r);
        }
        return d.finish();
    }
    // Time buckets (`bar(time, 1m)`, hours in milliseconds) are multiples of a common step:
    // divided by it, they index a direct table too.
    if !s.is_empty() {
        let step = common_step(s, lo);
        if step > 1 && range / step as u128 + 1 <= direct_max {
            let mut table = vec![u32::MAX; (range / step as u128 + 1) as usize];
            for (r, &x) in s.iter().enumerate() {
                let x: i64 = x.into();
                let slot = &mut table[((x as i128 - lo as i128) as u128 / step as u128) as usize];
                d.slot(slot, r);
            }
            return d.finish();
        }
    }
    let mut map: FxMap<i64, u32> = fx_map(1024);
    for (r, &x) in s.iter().enumerate() {
        let slot = map.entry(x.into()).or_insert(u32::MAX);
        d.slot(slot, r);
    }
    d.finish()
}

/// The greatest common divisor of every `x - lo` (0 when all are equal, 1 as soon as no
/// step is shared).
fn common_step<T: Copy + Into<i64>>(s: &[T], lo: i64) -> u64 {
    fn gcd(mut a: u64, mut b: u64) -> u64 {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    }
    let mut g = 0u64;
    for &x in s {
        let x: i64 = x.into();
        let dx = (x as i128 - lo as i128) as u64;
        if dx % g.max(1) != 0 || g == 0 {
            g = gcd(g, dx);
            if g == 1 {
                return 1;
            }
        }
    }
    g
}

fn ids_by_map<K: std::hash::Hash + Eq>(rows: usize, key: impl Fn(usize) -> K) -> Grouping {
    let mut d = Densifier::new(rows);
    let mut map: FxMap<K, u32> = fx_map(1024);
    for r in 0..rows {
        let slot = map.entry(key(r)).or_insert(u32::MAX);
        d.slot(slot, r);
    }
    d.finish()
}

/// Floats group by value: -0.0 and 0.0 are one key.
#[inline(always)]
fn float_bits(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// Dense ids of one key column, in order of first appearance.
pub fn column_ids(v: &Vector) -> Grouping {
    let rows = v.len();
    match &v.data {
        Data::Void(_) => Grouping::single(rows),
        Data::I8(s) => ids_of_ints(s),
        Data::I16(s) => ids_of_ints(s),
        Data::I32(s) => ids_of_ints(s),
        Data::I64(s) => ids_of_ints(s),
        Data::I128(s) => ids_by_map(rows, |r| s[r]),
        Data::F32(s) => ids_by_map(rows, |r| float_bits(s[r] as f64)),
        Data::F64(s) => ids_by_map(rows, |r| float_bits(s[r])),
        Data::Str(s) => ids_by_map(rows, |r| s[r].as_str()),
        Data::Sym(s) => {
            // Codes index the symbol base directly.
            let mut d = Densifier::new(rows);
            let mut table = vec![u32::MAX; s.base.len().max(1)];
            for (r, &c) in s.codes.iter().enumerate() {
                match table.get_mut(c as usize) {
                    Some(slot) => d.slot(slot, r),
                    None => {
                        let mut tmp = u32::MAX;
                        d.slot(&mut tmp, r)
                    }
                }
            }
            d.finish()
        }
        Data::Blob(s) => ids_by_map(rows, |r| s[r].as_slice()),
        Data::Any(_) | Data::Array(_) => ids_by_map(rows, |r| v.key_at(r)),
    }
}

/// Combines two groupings of the same rows into one id per distinct pair.
fn combine(a: &Grouping, b: &Grouping) -> Grouping {
    let rows = a.ids.len();
    let mut d = Densifier::new(rows);
    let card = b.n.max(1) as u64;
    let slots = a.n as u64 * card;
    if slots <= DIRECT_SLOTS_MAX.min(16 * rows + 1024) as u64 {
        let mut table = vec![u32::MAX; slots as usize];
        for r in 0..rows {
            let k = a.ids[r] as u64 * card + b.ids[r] as u64;
            d.slot(&mut table[k as usize], r);
        }
        return d.finish();
    }
    // There are at least as many pairs as groups of either side.
    let mut map: FxMap<u64, u32> = fx_map(a.n.max(b.n).max(1024));
    for r in 0..rows {
        let k = a.ids[r] as u64 * card + b.ids[r] as u64;
        d.slot(map.entry(k).or_insert(u32::MAX), r);
    }
    d.finish()
}

/// Dense group ids of the rows of `keys` (all of one length), in order of first appearance.
pub fn group_ids(keys: &[&Vector], rows: usize) -> Grouping {
    let mut it = keys.iter();
    let Some(first) = it.next() else {
        return Grouping::single(rows);
    };
    let mut g = column_ids(first);
    for k in it {
        g = combine(&g, &column_ids(k));
    }
    g
}

/// Renumbers groups so that ids follow the order of their key values (ascending, nulls
/// first), as DolphinDB orders `group by` and `context by` results.
pub fn sort_groups(mut g: Grouping, keys: &[&Vector]) -> Grouping {
    if keys.is_empty() || g.n < 2 {
        return g;
    }
    let sub: Vec<Vector> = keys
        .iter()
        .map(|k| {
            let idx: Vec<i64> = g.first.iter().map(|&r| r as i64).collect();
            k.take(&idx)
        })
        .collect();
    let refs: Vec<(&Vector, bool)> = sub.iter().map(|v| (v, true)).collect();
    let order = sort_permutation(&refs, g.n);
    let mut rank = vec![0u32; g.n];
    for (new, &old) in order.iter().enumerate() {
        rank[old as usize] = new as u32;
    }
    for id in g.ids.iter_mut() {
        *id = rank[*id as usize];
    }
    g.first = order.iter().map(|&old| g.first[old as usize]).collect();
    g
}

/// Symbol codes ranked by their strings, so symbols compare as integers.
fn symbol_ranks(s: &value::SymbolVec) -> Vec<u32> {
    let strings = s.base.strings();
    let mut order: Vec<u32> = (0..strings.len() as u32).collect();
    order.sort_by(|&a, &b| strings[a as usize].cmp(&strings[b as usize]));
    let mut rank = vec![0u32; strings.len()];
    for (i, &c) in order.iter().enumerate() {
        rank[c as usize] = i as u32;
    }
    rank
}

/// An order-preserving u64 image of each element, when the storage allows one.
fn ordinal_keys(v: &Vector) -> Option<Vec<u64>> {
    const FLIP: u64 = 1 << 63;
    Some(match &v.data {
        Data::I8(s) => s.iter().map(|&x| (x as i64 as u64) ^ FLIP).collect(),
        Data::I16(s) => s.iter().map(|&x| (x as i64 as u64) ^ FLIP).collect(),
        Data::I32(s) => s.iter().map(|&x| (x as i64 as u64) ^ FLIP).collect(),
        Data::I64(s) => s.iter().map(|&x| (x as u64) ^ FLIP).collect(),
        Data::F32(s) => s.iter().map(|&x| float_ordinal(x as f64)).collect(),
        Data::F64(s) => s.iter().map(|&x| float_ordinal(x)).collect(),
        Data::Sym(s) => {
            let rank = symbol_ranks(s);
            s.codes
                .iter()
                .map(|&c| rank.get(c as usize).copied().unwrap_or(0) as u64)
                .collect()
        }
        Data::Void(n) => vec![0; *n],
        _ => return None,
    })
}

/// Total order on doubles as DolphinDB sorts them: the null sentinel (the most negative
/// finite double) is the smallest value.
#[inline(always)]
fn float_ordinal(x: f64) -> u64 {
    let x = if x == 0.0 { 0.0 } else { x };
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// A comparator of two rows of one column.
type RowCmp<'a> = Box<dyn Fn(usize, usize) -> Ordering + 'a>;

fn row_comparator(v: &Vector) -> RowCmp<'_> {
    if let Some(k) = ordinal_keys(v) {
        return Box::new(move |a, b| k[a].cmp(&k[b]));
    }
    match &v.data {
        Data::I128(s) => Box::new(move |a, b| s[a].cmp(&s[b])),
        Data::Str(s) => Box::new(move |a, b| s[a].cmp(&s[b])),
        Data::Blob(s) => Box::new(move |a, b| s[a].cmp(&s[b])),
        _ => Box::new(move |a, b| v.key_at(a).cmp(&v.key_at(b))),
    }
}

/// One u64 per row that orders the rows as `keys` do, when every key has an ordinal image:
/// each key becomes its offset from its minimum (from its maximum when descending), or its
/// dense rank when the product of the spans would not fit, and several keys combine as a
/// mixed-radix number. Sorting these plain integers (a radix sort) is several times faster
/// than comparing rows key by key through comparators.
fn combined_ordinals(keys: &[(&Vector, bool)], rows: usize) -> Option<Vec<u64>> {
    if keys.is_empty() {
        return None;
    }
    let mut combined = vec![0u64; rows];
    let mut card: u64 = 1;
    for (v, asc) in keys {
        let ord = ordinal_keys(v)?;
        let lo = ord.iter().copied().min().unwrap_or(0);
        let hi = ord.iter().copied().max().unwrap_or(0);
        let span = (hi - lo)
            .checked_add(1)
            .filter(|c| card.checked_mul(*c).is_some());
        let (digits, radix) = match span {
            Some(c) => {
                let d: Vec<u64> = if *asc {
                    ord.iter().map(|&x| x - lo).collect()
                } else {
                    ord.iter().map(|&x| hi - x).collect()
                };
                (d, c)
            }
            None => dense_ranks(&ord, *asc),
        };
        card = card.checked_mul(radix)?;
        for (c, d) in combined.iter_mut().zip(&digits) {
            *c = *c * radix + d;
        }
    }
    Some(combined)
}

/// Dense ranks of `ord` (descending when not `asc`) and how many distinct values there are.
fn dense_ranks(ord: &[u64], asc: bool) -> (Vec<u64>, u64) {
    let mut pairs: Vec<(u64, u32)> = ord
        .iter()
        .enumerate()
        .map(|(i, &x)| (if asc { x } else { !x }, i as u32))
        .collect();
    pairs.sort_unstable();
    let mut ranks = vec![0u64; ord.len()];
    let mut rank = 0u64;
    for (j, &(x, i)) in pairs.iter().enumerate() {
        if j > 0 && pairs[j - 1].0 != x {
            rank += 1;
        }
        ranks[i as usize] = rank;
    }
    (ranks, rank + 1)
}

/// Sorts (key, row) pairs given in row order by key, ties in row order: an LSD radix sort
/// over the key's significant bits (stable, so ties keep their order).
fn radix_sort_pairs(pairs: &mut Vec<(u64, u32)>) {
    const DIGIT: u32 = 11;
    const BUCKETS: usize = 1 << DIGIT;
    let max = pairs.iter().map(|p| p.0).max().unwrap_or(0);
    let bits = 64 - max.leading_zeros();
    let mut tmp = vec![(0u64, 0u32); pairs.len()];
    let mut count = vec![0usize; BUCKETS + 1];
    let mut shift = 0;
    while shift < bits {
        count.iter_mut().for_each(|c| *c = 0);
        for p in pairs.iter() {
            count[((p.0 >> shift) as usize & (BUCKETS - 1)) + 1] += 1;
        }
        for i in 0..BUCKETS {
            count[i + 1] += count[i];
        }
        for p in pairs.iter() {
            let b = (p.0 >> shift) as usize & (BUCKETS - 1);
            tmp[count[b]] = *p;
            count[b] += 1;
        }
        std::mem::swap(pairs, &mut tmp);
        shift += DIGIT;
    }
}

/// The order of a stable sort of rows by `keys` (each ascending or not) as a total order:
/// ties go by row number. The smallest row under it is the first of the sorted rows.
pub fn stable_row_order<'a>(keys: &'a [(&'a Vector, bool)]) -> impl Fn(u32, u32) -> Ordering + 'a {
    let cmps: Vec<(RowCmp<'a>, bool)> = keys
        .iter()
        .map(|(v, asc)| (row_comparator(v), *asc))
        .collect();
    move |a: u32, b: u32| {
        for (c, asc) in &cmps {
            let o = c(a as usize, b as usize);
            if o != Ordering::Equal {
                return if *asc { o } else { o.reverse() };
            }
        }
        a.cmp(&b)
    }
}

/// The stable permutation that sorts `rows` rows by `keys` (each ascending or not). Nulls
/// are the smallest values, so they come first ascending and last descending.
pub fn sort_permutation(keys: &[(&Vector, bool)], rows: usize) -> Vec<u32> {
    sort_permutation_top(keys, rows, rows)
}

/// The first `k` entries of the stable sorting permutation (a partial sort when `k` is small,
/// as `order by ... limit k` needs).
pub fn sort_permutation_top(keys: &[(&Vector, bool)], rows: usize, k: usize) -> Vec<u32> {
    let k = k.min(rows);
    let partial = k < rows / 2;
    if let Some(combined) = combined_ordinals(keys, rows) {
        // (key, row) pairs are distinct, so an unstable sort of them is stable by row.
        let mut pairs: Vec<(u64, u32)> = combined
            .into_iter()
            .enumerate()
            .map(|(i, x)| (x, i as u32))
            .collect();
        if partial && k > 0 {
            pairs.select_nth_unstable(k - 1);
            pairs.truncate(k);
            pairs.sort_unstable();
        } else if pairs.len() > 4096 {
            radix_sort_pairs(&mut pairs);
        } else {
            pairs.sort_unstable();
        }
        pairs.truncate(k);
        return pairs.into_iter().map(|(_, i)| i).collect();
    }
    let cmps: Vec<(RowCmp<'_>, bool)> = keys
        .iter()
        .map(|(v, asc)| (row_comparator(v), *asc))
        .collect();
    // Ties fall back to the row number, which makes the unstable selection stable.
    let cmp = |a: &u32, b: &u32| {
        for (c, asc) in &cmps {
            let o = c(*a as usize, *b as usize);
            if o != Ordering::Equal {
                return if *asc { o } else { o.reverse() };
            }
        }
        a.cmp(b)
    };
    let mut perm: Vec<u32> = (0..rows as u32).collect();
    if partial && k > 0 {
        perm.select_nth_unstable_by(k - 1, cmp);
        perm.truncate(k);
    }
    perm.sort_by(cmp);
    perm.truncate(k);
    perm
}

#[cfg(test)]
mod tests {
    use super::*;
    use value::{null, DataType};

    #[test]
    fn ids_follow_first_appearance_then_sort_by_key() {
        let k = Vector::from_symbols(&["C", "MS", "MS", "IBM", "C"]);
        let g = group_ids(&[&k], 5);
        assert_eq!(g.ids, vec![0, 1, 1, 2, 0]);
        assert_eq!(g.first, vec![0, 1, 3]);
        let g = sort_groups(g, &[&k]);
        assert_eq!(g.ids, vec![0, 2, 2, 1, 0]);
        assert_eq!(g.first, vec![0, 3, 1]);
        let (off, rows) = g.members();
        assert_eq!(off, vec![0, 2, 3, 5]);
        assert_eq!(rows, vec![0, 4, 3, 1, 2]);
    }

    #[test]
    fn wide_ints_strings_and_pairs() {
        let a = Vector::from_i64(DataType::Long, vec![5, 1 << 40, 5, null::I64]);
        let b = Vector::from_strings(vec!["x".into(), "y".into(), "y".into(), "x".into()]);
        let g = group_ids(&[&a, &b], 4);
        assert_eq!(g.n, 4);
        let g = group_ids(&[&a], 4);
        assert_eq!(g.ids, vec![0, 1, 0, 2]);
        let g = sort_groups(g, &[&a]);
        // The null (i64::MIN) sorts first.
        assert_eq!(g.ids, vec![1, 2, 1, 0]);
        // Multiples of a common step (time buckets) index a direct table.
        let t = Vector::from_i64(
            DataType::Timestamp,
            vec![60_000, 1 << 40, 60_000, 0, 1 << 40],
        );
        assert_eq!(group_ids(&[&t], 5).ids, vec![0, 1, 0, 2, 1]);
    }

    /// The integer-key sorts (offsets, dense ranks, radix) agree with comparing rows key by
    /// key, on enough rows for the radix sort, with descending keys, nulls, wide spans.
    #[test]
    fn integer_key_sorts_agree_with_row_comparisons() {
        let n = 9000;
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let syms: Vec<String> = (0..n).map(|_| format!("s{}", next() % 37)).collect();
        let sym = Vector::from_symbols(&syms);
        let small = Vector::from_i32(
            DataType::Int,
            (0..n)
                .map(|_| match next() % 50 {
                    0 => null::I32,
                    v => v as i32 - 20,
                })
                .collect(),
        );
        let wide = Vector::from_i64(DataType::Long, (0..n).map(|_| next() as i64).collect());
        let dbl = Vector::from_f64(
            (0..n)
                .map(|_| match next() % 9 {
                    0 => null::F64,
                    v => v as f64 * -0.5,
                })
                .collect(),
        );
        let cases: Vec<Vec<(&Vector, bool)>> = vec![
            vec![(&sym, true)],
            vec![(&wide, false)],
            vec![(&sym, true), (&small, false)],
            vec![(&small, true), (&dbl, false), (&sym, true)],
            vec![(&wide, true), (&wide, false), (&small, true)],
        ];
        for keys in cases {
            let order = stable_row_order(&keys);
            let mut want: Vec<u32> = (0..n as u32).collect();
            want.sort_by(|&a, &b| order(a, b));
            assert_eq!(sort_permutation(&keys, n), want);
            assert_eq!(sort_permutation_top(&keys, n, 10), want[..10].to_vec());
        }
    }

    #[test]
    fn sorts_are_stable_with_nulls_first() {
        let v = Vector::from_f64(vec![2.0, null::F64, 1.0, 2.0, -0.0]);
        assert_eq!(sort_permutation(&[(&v, true)], 5), vec![1, 4, 2, 0, 3]);
        assert_eq!(sort_permutation(&[(&v, false)], 5), vec![0, 3, 2, 4, 1]);
        let s = Vector::from_strings(vec!["b".into(), "a".into(), "b".into()]);
        let i = Vector::from_i32(DataType::Int, vec![1, 2, 0]);
        assert_eq!(
            sort_permutation(&[(&s, true), (&i, false)], 3),
            vec![1, 0, 2]
        );
        // Partial sorts agree with the full sort's prefix.
        let many = Vector::from_i32(DataType::Int, (0..100).map(|x| (x * 37) % 11).collect());
        let full = sort_permutation(&[(&many, false)], 100);
        assert_eq!(
            sort_permutation_top(&[(&many, false)], 100, 7),
            full[..7].to_vec()
        );
        let full2 = sort_permutation(&[(&many, true), (&s.take(&vec![0; 100]), true)], 100);
        assert_eq!(
            sort_permutation_top(&[(&many, true), (&s.take(&vec![0; 100]), true)], 100, 9),
            full2[..9].to_vec()
        );
    }
}
