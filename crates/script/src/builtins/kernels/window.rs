//! Window primitives shared by the cumulative and moving families: running moments that
//! values enter and leave, a monotonic deque for window extremes, and an order-statistics
//! tree for window medians and percentiles. Each keeps a whole window pass at O(n) or
//! O(n log n), never O(n * window).

use std::collections::VecDeque;

/// Running sums over the valid values of a window. Values are shifted by the first value
/// seen, which keeps the variance formula accurate for data far from zero.
#[derive(Clone, Debug, Default)]
pub struct Moments {
    pub n: usize,
    shift: Option<f64>,
    s1: f64,
    s2: f64,
    s3: f64,
    s4: f64,
}

impl Moments {
    pub fn add(&mut self, x: f64) {
        let k = *self.shift.get_or_insert(x);
        let d = x - k;
        self.n += 1;
        self.s1 += d;
        self.s2 += d * d;
        self.s3 += d * d * d;
        self.s4 += d * d * d * d;
    }

    pub fn remove(&mut self, x: f64) {
        let k = self.shift.unwrap_or(x);
        let d = x - k;
        self.n -= 1;
        self.s1 -= d;
        self.s2 -= d * d;
        self.s3 -= d * d * d;
        self.s4 -= d * d * d * d;
        if self.n == 0 {
            *self = Moments::default();
        }
    }

    pub fn sum(&self) -> f64 {
        self.s1 + self.shift.unwrap_or(0.0) * self.n as f64
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum() / self.n as f64)
    }

    /// Variance: sample (n-1) or population (n); None without enough values.
    pub fn var(&self, sample: bool) -> Option<f64> {
        let n = self.n as f64;
        let d = if sample { n - 1.0 } else { n };
        if self.n == 0 || d <= 0.0 {
            return None;
        }
        let ss = (self.s2 - self.s1 * self.s1 / n).max(0.0);
        Some(ss / d)
    }

    /// Central moments m2, m3, m4 (divided by n).
    fn central(&self) -> Option<(f64, f64, f64)> {
        if self.n == 0 {
            return None;
        }
        let n = self.n as f64;
        let m = self.s1 / n;
        let (e2, e3, e4) = (self.s2 / n, self.s3 / n, self.s4 / n);
        let m2 = (e2 - m * m).max(0.0);
        let m3 = e3 - 3.0 * m * e2 + 2.0 * m * m * m;
        let m4 = e4 - 4.0 * m * e3 + 6.0 * m * m * e2 - 3.0 * m * m * m * m;
        Some((m2, m3, m4))
    }

    pub fn skew(&self, biased: bool) -> Option<f64> {
        let (m2, m3, _) = self.central()?;
        if m2 <= 0.0 {
            return None;
        }
        let g1 = m3 / m2.powf(1.5);
        let n = self.n as f64;
        if biased {
            Some(g1)
        } else if self.n < 3 {
            None
        } else {
            Some(g1 * (n * (n - 1.0)).sqrt() / (n - 2.0))
        }
    }

    pub fn kurtosis(&self, biased: bool) -> Option<f64> {
        let (m2, _, m4) = self.central()?;
        // A moving kurtosis needs three values (DolphinDB's mkurtosis/tmkurtosis examples).
        if m2 <= 0.0 || self.n < 3 {
            return None;
        }
        let g2 = m4 / (m2 * m2);
        let n = self.n as f64;
        if biased {
            Some(g2)
        } else if self.n < 4 {
            None
        } else {
            Some(((n + 1.0) * g2 - 3.0 * (n - 1.0)) * (n - 1.0) / ((n - 2.0) * (n - 3.0)) + 3.0)
        }
    }
}

/// Running sums over valid (x, y) pairs, for covariance, correlation, beta and weighted
/// averages.
#[derive(Clone, Debug, Default)]
pub struct PairMoments {
    pub n: usize,
    pub sx: f64,
    pub sy: f64,
    pub sxx: f64,
    pub syy: f64,
    pub sxy: f64,
}

impl PairMoments {
    pub fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.syy += y * y;
        self.sxy += x * y;
    }

    pub fn remove(&mut self, x: f64, y: f64) {
        self.n -= 1;
        self.sx -= x;
        self.sy -= y;
        self.sxx -= x * x;
        self.syy -= y * y;
        self.sxy -= x * y;
        if self.n == 0 {
            *self = PairMoments::default();
        }
    }

    pub fn covar(&self, sample: bool) -> Option<f64> {
        let n = self.n as f64;
        let d = if sample { n - 1.0 } else { n };
        if self.n == 0 || d <= 0.0 {
            return None;
        }
        Some((self.sxy - self.sx * self.sy / n) / d)
    }

    fn var_x(&self) -> Option<f64> {
        let n = self.n as f64;
        (self.n > 1).then(|| ((self.sxx - self.sx * self.sx / n) / (n - 1.0)).max(0.0))
    }

    fn var_y(&self) -> Option<f64> {
        let n = self.n as f64;
        (self.n > 1).then(|| ((self.syy - self.sy * self.sy / n) / (n - 1.0)).max(0.0))
    }

    pub fn corr(&self) -> Option<f64> {
        let c = self.covar(true)?;
        let d = (self.var_x()? * self.var_y()?).sqrt();
        (d > 0.0).then(|| (c / d).clamp(-1.0, 1.0))
    }

    /// Slope of y on x.
    pub fn beta(&self) -> Option<f64> {
        let c = self.covar(true)?;
        let v = self.var_x()?;
        (v > 0.0).then(|| c / v)
    }
}

/// Window maximum (or minimum) in amortized O(1): indices of candidates, best at the front.
/// Among equal values the earliest stays in front (`mimax` reports the first maximum).
pub struct MonoDeque {
    idx: VecDeque<usize>,
    want_max: bool,
}

impl MonoDeque {
    pub fn new(want_max: bool) -> Self {
        MonoDeque {
            idx: VecDeque::new(),
            want_max,
        }
    }

    /// Pushes index `i` whose value is `x`; `value(j)` gives the value at an earlier index.
    pub fn push<T: PartialOrd>(&mut self, i: usize, x: T, value: impl Fn(usize) -> T) {
        while let Some(&b) = self.idx.back() {
            let v = value(b);
            let worse = if self.want_max { v < x } else { v > x };
            if worse {
                self.idx.pop_back();
            } else {
                break;
            }
        }
        self.idx.push_back(i);
    }

    /// Drops indices before `start`.
    pub fn expire(&mut self, start: usize) {
        while matches!(self.idx.front(), Some(&f) if f < start) {
            self.idx.pop_front();
        }
    }

    pub fn best(&self) -> Option<usize> {
        self.idx.front().copied()
    }
}

/// A multiset of values supporting insert, remove and k-th smallest in O(log m), over the
/// distinct values known up front (a Fenwick tree of counts).
pub struct RankTree {
    keys: Vec<f64>,
    tree: Vec<u32>,
    len: usize,
}

impl RankTree {
    /// A tree able to hold any of `values` (NaN entries are ignored).
    pub fn new(values: &[f64]) -> Self {
        let mut keys: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        keys.sort_by(f64::total_cmp);
        keys.dedup();
        let m = keys.len();
        RankTree {
            keys,
            tree: vec![0; m + 1],
            len: 0,
        }
    }

    fn slot(&self, x: f64) -> Option<usize> {
        self.keys.binary_search_by(|k| k.total_cmp(&x)).ok()
    }

    fn update(&mut self, slot: usize, add: bool) {
        let mut i = slot + 1;
        while i < self.tree.len() {
            if add {
                self.tree[i] += 1;
            } else {
                self.tree[i] -= 1;
            }
            i += i & i.wrapping_neg();
        }
    }

    pub fn insert(&mut self, x: f64) {
        if let Some(s) = self.slot(x) {
            self.update(s, true);
            self.len += 1;
        }
    }

    pub fn remove(&mut self, x: f64) {
        if let Some(s) = self.slot(x) {
            self.update(s, false);
            self.len -= 1;
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The k-th smallest value (0-based); k must be below `len()`.
    pub fn kth(&self, k: usize) -> f64 {
        let m = self.tree.len() - 1;
        let mut pos = 0usize;
        let mut rest = k as u32;
        let mut step = m.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= m && self.tree[next] <= rest {
                pos = next;
                rest -= self.tree[next];
            }
            step >>= 1;
        }
        self.keys[pos.min(m.saturating_sub(1))]
    }

    pub fn median(&self) -> Option<f64> {
        let n = self.len;
        if n == 0 {
            return None;
        }
        if n % 2 == 1 {
            Some(self.kth(n / 2))
        } else {
            Some((self.kth(n / 2 - 1) + self.kth(n / 2)) / 2.0)
        }
    }

    /// Number of held values strictly below `x` and equal to `x`.
    pub fn rank_of(&self, x: f64) -> (usize, usize) {
        let prefix = |mut i: usize| {
            let mut s = 0u32;
            while i > 0 {
                s += self.tree[i];
                i -= i & i.wrapping_neg();
            }
            s as usize
        };
        match self.slot(x) {
            Some(s) => {
                let below = prefix(s);
                (below, prefix(s + 1) - below)
            }
            None => {
                let s = self.keys.partition_point(|k| *k < x);
                (prefix(s), 0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_tree_orders_a_multiset() {
        let vals = [5.0, 1.0, 3.0, 3.0, 9.0];
        let mut t = RankTree::new(&vals);
        for v in vals {
            t.insert(v);
        }
        assert_eq!(
            (0..5).map(|k| t.kth(k)).collect::<Vec<_>>(),
            vec![1.0, 3.0, 3.0, 5.0, 9.0]
        );
        assert_eq!(t.median(), Some(3.0));
        t.remove(3.0);
        t.remove(9.0);
        assert_eq!(t.median(), Some(3.0));
        assert_eq!(t.rank_of(5.0), (2, 1));
    }

    #[test]
    fn moments_add_and_remove() {
        let mut m = Moments::default();
        for x in [1.0, 2.0, 4.0, 8.0] {
            m.add(x);
        }
        m.remove(1.0);
        let var = m.var(true).unwrap();
        assert!((var - 9.333333333333334).abs() < 1e-12);
        assert_eq!(m.mean(), Some(14.0 / 3.0));
    }

    #[test]
    fn deque_keeps_first_maximum() {
        let x = [1.0, 6.0, 2.0, 6.0, 3.0];
        let mut d = MonoDeque::new(true);
        for (i, &v) in x.iter().enumerate() {
            d.push(i, v, |j| x[j]);
            d.expire(i.saturating_sub(2));
        }
        assert_eq!(d.best(), Some(3));
    }
}
