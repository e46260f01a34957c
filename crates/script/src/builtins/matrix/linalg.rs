//! Dense f64 linear algebra on column-major matrices, the layout of `value::Matrix`: products,
//! LU with partial pivoting, inverse, determinant, solve, Cholesky, Householder QR and the
//! symmetric eigen-decomposition (cyclic Jacobi) behind the pseudo-inverse. The matrix and
//! stats families convert their arguments to `Dense` once, run a kernel here, and convert back.
//!
//! Conventions follow LAPACK so results match DolphinDB's (which calls LAPACK): the LU pivot is
//! the first row with the largest magnitude (`idamax`), and a Householder reflector keeps the
//! sign convention of `dlarfg` (R's diagonal is `-sign(alpha) * norm`).

// Index arithmetic is the clearest way to write these kernels.
#![allow(clippy::needless_range_loop)]

/// Jacobi sweeps before the eigen-decomposition gives up converging.
const JACOBI_SWEEPS_MAX: usize = 100;

/// A dense column-major f64 matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Dense {
    pub fn zeros(rows: usize, cols: usize) -> Dense {
        Dense {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    pub fn identity(n: usize) -> Dense {
        let mut m = Dense::zeros(n, n);
        for i in 0..n {
            m.data[i * n + i] = 1.0;
        }
        m
    }

    pub fn from_cols(rows: usize, cols: usize, data: Vec<f64>) -> Dense {
        assert_eq!(
            data.len(),
            rows * cols,
            "dense matrix data must be rows*cols"
        );
        Dense { rows, cols, data }
    }

    #[inline(always)]
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.data[j * self.rows + i]
    }

    #[inline(always)]
    pub fn set(&mut self, i: usize, j: usize, x: f64) {
        self.data[j * self.rows + i] = x;
    }

    pub fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.rows..(j + 1) * self.rows]
    }

    pub fn is_square(&self) -> bool {
        self.rows == self.cols
    }

    pub fn transpose(&self) -> Dense {
        let mut t = Dense::zeros(self.cols, self.rows);
        for j in 0..self.cols {
            for i in 0..self.rows {
                t.data[i * self.cols + j] = self.data[j * self.rows + i];
            }
        }
        t
    }

    /// `self ** other`; the caller has checked `self.cols == other.rows`.
    pub fn mul(&self, other: &Dense) -> Dense {
        assert_eq!(self.cols, other.rows, "matrix product dimensions");
        let mut out = Dense::zeros(self.rows, other.cols);
        for j in 0..other.cols {
            let dst = &mut out.data[j * self.rows..(j + 1) * self.rows];
            for k in 0..self.cols {
                let b = other.data[j * other.rows + k];
                if b == 0.0 {
                    continue;
                }
                let a = &self.data[k * self.rows..(k + 1) * self.rows];
                for (d, x) in dst.iter_mut().zip(a) {
                    *d += x * b;
                }
            }
        }
        out
    }
}

/// `P A = L U` for an m×n matrix, packed: the strict lower part of `lu` holds L (unit
/// diagonal), the upper part U. `perm[i]` is the row of A that became row i.
pub struct Lu {
    pub lu: Dense,
    pub perm: Vec<usize>,
    /// +1 or -1: the parity of the row exchanges.
    pub sign: f64,
    /// A zero pivot was met (the matrix is singular when square).
    pub singular: bool,
}

pub fn lu(a: &Dense) -> Lu {
    let (m, n) = (a.rows, a.cols);
    let mut lu = a.clone();
    let mut perm: Vec<usize> = (0..m).collect();
    let mut sign = 1.0;
    let mut singular = false;
    for k in 0..m.min(n) {
        let mut p = k;
        let mut best = lu.at(k, k).abs();
        for i in k + 1..m {
            let v = lu.at(i, k).abs();
            if v > best {
                best = v;
                p = i;
            }
        }
        if p != k {
            for j in 0..n {
                let (x, y) = (lu.at(k, j), lu.at(p, j));
                lu.set(k, j, y);
                lu.set(p, j, x);
            }
            perm.swap(k, p);
            sign = -sign;
        }
        let pivot = lu.at(k, k);
        if pivot == 0.0 {
            singular = true;
            continue;
        }
        for i in k + 1..m {
            let f = lu.at(i, k) / pivot;
            lu.set(i, k, f);
        }
        for j in k + 1..n {
            let ukj = lu.at(k, j);
            if ukj == 0.0 {
                continue;
            }
            for i in k + 1..m {
                let v = lu.at(i, j) - lu.at(i, k) * ukj;
                lu.set(i, j, v);
            }
        }
    }
    Lu {
        lu,
        perm,
        sign,
        singular,
    }
}

impl Lu {
    /// The unit lower factor, m×k with k = min(m, n).
    pub fn lower(&self) -> Dense {
        let (m, k) = (self.lu.rows, self.lu.rows.min(self.lu.cols));
        let mut l = Dense::zeros(m, k);
        for j in 0..k {
            l.set(j, j, 1.0);
            for i in j + 1..m {
                l.set(i, j, self.lu.at(i, j));
            }
        }
        l
    }

    /// The upper factor, k×n.
    pub fn upper(&self) -> Dense {
        let (k, n) = (self.lu.rows.min(self.lu.cols), self.lu.cols);
        let mut u = Dense::zeros(k, n);
        for j in 0..n {
            for i in 0..k.min(j + 1) {
                u.set(i, j, self.lu.at(i, j));
            }
        }
        u
    }

    /// The permutation matrix P with A = P L U.
    pub fn permutation(&self) -> Dense {
        let m = self.lu.rows;
        let mut p = Dense::zeros(m, m);
        for (i, &r) in self.perm.iter().enumerate() {
            p.set(r, i, 1.0);
        }
        p
    }

    pub fn det(&self) -> f64 {
        let n = self.lu.rows.min(self.lu.cols);
        (0..n).fold(self.sign, |d, i| d * self.lu.at(i, i))
    }

    /// Solves A X = B for square A (the caller has ruled out a singular A).
    pub fn solve(&self, b: &Dense) -> Dense {
        let n = self.lu.rows;
        let mut x = Dense::zeros(n, b.cols);
        for c in 0..b.cols {
            let mut y: Vec<f64> = self.perm.iter().map(|&r| b.at(r, c)).collect();
            for i in 0..n {
                let mut s = y[i];
                for k in 0..i {
                    s -= self.lu.at(i, k) * y[k];
                }
                y[i] = s;
            }
            for i in (0..n).rev() {
                let mut s = y[i];
                for k in i + 1..n {
                    s -= self.lu.at(i, k) * y[k];
                }
                y[i] = s / self.lu.at(i, i);
            }
            for (i, v) in y.into_iter().enumerate() {
                x.set(i, c, v);
            }
        }
        x
    }
}

/// The inverse of a square matrix; None when it is singular.
pub fn inverse(a: &Dense) -> Option<Dense> {
    let f = lu(a);
    if f.singular {
        return None;
    }
    Some(f.solve(&Dense::identity(a.rows)))
}

/// The lower Cholesky factor L of a symmetric positive definite A (A = L L'), reading only
/// A's lower triangle; None when A is not positive definite.
pub fn cholesky_lower(a: &Dense) -> Option<Dense> {
    let n = a.rows;
    let mut l = Dense::zeros(n, n);
    for j in 0..n {
        let mut d = a.at(j, j);
        for k in 0..j {
            d -= l.at(j, k) * l.at(j, k);
        }
        if d <= 0.0 || d.is_nan() {
            return None;
        }
        let d = d.sqrt();
        l.set(j, j, d);
        for i in j + 1..n {
            let mut s = a.at(i, j);
            for k in 0..j {
                s -= l.at(i, k) * l.at(j, k);
            }
            l.set(i, j, s / d);
        }
    }
    Some(l)
}

/// Householder QR, packed as LAPACK's `dgeqrf`: R on and above the diagonal of `h`, the
/// reflector vectors (implicit unit head) below it, and their scale factors in `tau`.
pub struct Qr {
    pub h: Dense,
    pub tau: Vec<f64>,
}

pub fn qr(a: &Dense) -> Qr {
    let (m, n) = (a.rows, a.cols);
    let k = m.min(n);
    let mut h = a.clone();
    let mut tau = vec![0.0; k];
    for j in 0..k {
        let alpha = h.at(j, j);
        let xnorm = (j + 1..m).map(|i| h.at(i, j).powi(2)).sum::<f64>().sqrt();
        if xnorm == 0.0 {
            continue;
        }
        let beta = -alpha.signum() * alpha.hypot(xnorm);
        tau[j] = (beta - alpha) / beta;
        let scale = 1.0 / (alpha - beta);
        for i in j + 1..m {
            let v = h.at(i, j) * scale;
            h.set(i, j, v);
        }
        h.set(j, j, beta);
        // Apply H = I - tau v v' to the trailing columns.
        for c in j + 1..n {
            let mut s = h.at(j, c);
            for i in j + 1..m {
                s += h.at(i, j) * h.at(i, c);
            }
            s *= tau[j];
            let top = h.at(j, c) - s;
            h.set(j, c, top);
            for i in j + 1..m {
                let v = h.at(i, c) - s * h.at(i, j);
                h.set(i, c, v);
            }
        }
    }
    Qr { h, tau }
}

impl Qr {
    /// R with `rows` rows (m for the full factorization, min(m, n) for the economic one).
    pub fn r(&self, rows: usize) -> Dense {
        let n = self.h.cols;
        let mut r = Dense::zeros(rows, n);
        for j in 0..n {
            for i in 0..rows.min(j + 1).min(self.h.rows) {
                r.set(i, j, self.h.at(i, j));
            }
        }
        r
    }

    /// The first `cols` columns of Q = H(0) H(1) ... H(k-1) (m for the full factorization).
    pub fn q(&self, cols: usize) -> Dense {
        let m = self.h.rows;
        let mut q = Dense::zeros(m, cols);
        for i in 0..cols.min(m) {
            q.set(i, i, 1.0);
        }
        for j in (0..self.tau.len()).rev() {
            let t = self.tau[j];
            if t == 0.0 {
                continue;
            }
            for c in 0..cols {
                let mut s = q.at(j, c);
                for i in j + 1..m {
                    s += self.h.at(i, j) * q.at(i, c);
                }
                s *= t;
                let top = q.at(j, c) - s;
                q.set(j, c, top);
                for i in j + 1..m {
                    let v = q.at(i, c) - s * self.h.at(i, j);
                    q.set(i, c, v);
                }
            }
        }
        q
    }
}

/// Eigenvalues and eigenvectors (columns) of a symmetric matrix by cyclic Jacobi rotations.
pub fn symmetric_eigen(a: &Dense) -> (Vec<f64>, Dense) {
    let n = a.rows;
    let mut m = a.clone();
    let mut v = Dense::identity(n);
    for _ in 0..JACOBI_SWEEPS_MAX {
        let off: f64 = (0..n)
            .flat_map(|j| (0..n).filter(move |&i| i != j).map(move |i| (i, j)))
            .map(|(i, j)| m.at(i, j).powi(2))
            .sum();
        let scale: f64 = m.data.iter().map(|x| x * x).sum();
        if off <= f64::EPSILON * f64::EPSILON * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                rotate(&mut m, &mut v, p, q);
            }
        }
    }
    ((0..n).map(|i| m.at(i, i)).collect(), v)
}

/// One Jacobi rotation zeroing m[p,q].
fn rotate(m: &mut Dense, v: &mut Dense, p: usize, q: usize) {
    let apq = m.at(p, q);
    if apq == 0.0 {
        return;
    }
    let n = m.rows;
    let theta = (m.at(q, q) - m.at(p, p)) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let t = if theta == 0.0 { 1.0 } else { t };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for k in 0..n {
        let (mkp, mkq) = (m.at(k, p), m.at(k, q));
        m.set(k, p, c * mkp - s * mkq);
        m.set(k, q, s * mkp + c * mkq);
    }
    for k in 0..n {
        let (mpk, mqk) = (m.at(p, k), m.at(q, k));
        m.set(p, k, c * mpk - s * mqk);
        m.set(q, k, s * mpk + c * mqk);
    }
    for k in 0..n {
        let (vkp, vkq) = (v.at(k, p), v.at(k, q));
        v.set(k, p, c * vkp - s * vkq);
        v.set(k, q, s * vkp + c * vkq);
    }
}

/// The Moore-Penrose pseudo-inverse of a symmetric matrix (eigenvalues below a relative
/// tolerance count as zero), as `ols` uses for a singular X'X.
pub fn pinv_symmetric(a: &Dense) -> Dense {
    let n = a.rows;
    let (vals, vecs) = symmetric_eigen(a);
    let top = vals.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let tol = top * n as f64 * f64::EPSILON;
    let mut out = Dense::zeros(n, n);
    for (k, &lambda) in vals.iter().enumerate() {
        if lambda.abs() <= tol {
            continue;
        }
        let inv = 1.0 / lambda;
        for j in 0..n {
            let vj = vecs.at(j, k) * inv;
            for i in 0..n {
                out.data[j * n + i] += vecs.at(i, k) * vj;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
    }

    #[test]
    fn product_and_transpose() {
        // DolphinDB docs: (1..6$2:3) ** (6..1$3:2) = [41 14; 56 20].
        let x = Dense::from_cols(2, 3, vec![1., 2., 3., 4., 5., 6.]);
        let y = Dense::from_cols(3, 2, vec![6., 5., 4., 3., 2., 1.]);
        assert_eq!(x.mul(&y).data, vec![41., 56., 14., 20.]);
        assert_eq!(x.transpose().data, vec![1., 3., 5., 2., 4., 6.]);
    }

    #[test]
    fn lu_matches_lapack_pivoting() {
        // DolphinDB tutorial: lu of matrix([2 5 7 5, 5 2 5 4, 8 2 6 4, 7 8 6 8]).
        let m = Dense::from_cols(
            4,
            4,
            vec![
                2., 5., 7., 5., 5., 2., 5., 4., 8., 2., 6., 4., 7., 8., 6., 8.,
            ],
        );
        let f = lu(&m);
        assert_eq!(f.perm, vec![2, 0, 3, 1]);
        let u = f.upper();
        assert!(close(
            &[u.at(1, 1), u.at(2, 2), u.at(3, 3)],
            &[3.571429, -1.04, 7.461538]
        ));
        let back = f.permutation().mul(&f.lower()).mul(&u);
        assert!(close(&back.data, &m.data));
    }

    #[test]
    fn inverse_det_and_singular() {
        let x = Dense::from_cols(2, 2, vec![1., 2., 3., 4.]);
        assert!(close(&inverse(&x).unwrap().data, &[-2., 1., 1.5, -0.5]));
        assert!((lu(&x).det() + 2.0).abs() < 1e-12);
        let s = Dense::from_cols(2, 2, vec![1., 2., 2., 4.]);
        assert!(inverse(&s).is_none());
    }

    #[test]
    fn qr_signs_follow_dgeqrf() {
        // DolphinDB tutorial: qr of matrix([2 5 5, 5 5 4, 8 6 4, 7 6 8]).
        let m = Dense::from_cols(3, 4, vec![2., 5., 5., 5., 5., 4., 8., 6., 4., 7., 6., 8.]);
        let f = qr(&m);
        assert!(close(&f.tau, &[1.272166, 1.530908, 0.0]));
        let r = f.r(3);
        assert!(close(
            &[r.at(0, 0), r.at(1, 1), r.at(2, 2)],
            &[-7.348469, 3.159348, -0.086146]
        ));
        let q = f.q(3);
        assert!(close(q.col(0), &[-0.272166, -0.680414, -0.680414]));
        assert!(close(&q.mul(&r).data, &m.data));
    }

    #[test]
    fn cholesky_and_pinv() {
        let m = Dense::from_cols(3, 3, vec![1., 0., 1., 0., 2., 0., 1., 0., 3.]);
        let l = cholesky_lower(&m).unwrap();
        assert!(close(&l.mul(&l.transpose()).data, &m.data));
        assert!(cholesky_lower(&Dense::from_cols(1, 1, vec![-1.0])).is_none());
        let s = Dense::from_cols(2, 2, vec![1., 1., 1., 1.]);
        assert!(close(&pinv_symmetric(&s).data, &[0.25, 0.25, 0.25, 0.25]));
    }
}
