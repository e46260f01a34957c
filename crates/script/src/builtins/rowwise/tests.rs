//! Unit tests of the row-based functions, with expected values from DolphinDB's docs where
//! they give them.

use super::super::kernels::test_env::*;
use super::*;
use value::{Matrix, Table};

fn dmat(rows: usize, cols: usize, v: &[f64]) -> Value {
    Value::Matrix(Arc::new(Matrix::new(
        Vector::from_f64(v.to_vec()),
        rows,
        cols,
    )))
}

fn imat(rows: usize, cols: usize, v: &[i32]) -> Value {
    Value::Matrix(Arc::new(Matrix::new(
        Vector::from_i32(DataType::Int, v.to_vec()),
        rows,
        cols,
    )))
}

fn fixed_array(rows: &[&[i32]]) -> Value {
    let mut offsets = vec![0u32];
    let mut vals = Vec::new();
    for r in rows {
        vals.extend_from_slice(r);
        offsets.push(vals.len() as u32);
    }
    Value::vector(Vector::new(
        DataType::Int,
        Data::Array(ArrayData {
            offsets,
            values: Box::new(Vector::from_i32(DataType::Int, vals)),
        }),
    ))
}

#[test]
fn row_sum_over_vectors_tuples_tables_and_matrices() {
    // DolphinDB docs: rowSum(vec, vec_tuple, tb) = [23,28,33].
    let vec = ints(&[1, 2, 3]);
    let tup = Value::tuple(vec![ints(&[3, 4, 5]), ints(&[4, 5, 6])]);
    let tb = Value::table(Table::new(
        vec!["id".into(), "code".into()],
        vec![
            Vector::from_i32(DataType::Int, vec![7, 8, 9]),
            Vector::from_i32(DataType::Int, vec![8, 9, 10]),
        ],
    ));
    assert_eq!(as_i32(&run("rowSum", &[vec, tup, tb])), vec![23, 28, 33]);
    // DolphinDB docs: rowSum(matrix(...)) = [8,10,9,14,6,14].
    let m = imat(
        6,
        3,
        &[4, 2, 1, 3, 5, 8, 1, 2, 5, 9, 0, 1, 3, 6, 3, 2, 1, 5],
    );
    assert_eq!(as_i32(&run("rowSum", &[m])), vec![8, 10, 9, 14, 6, 14]);
    // Nulls are skipped; a scalar broadcasts.
    let m = dmat(3, 3, &[4.5, 2.6, 1.5, 1.5, 4.8, 5.9, 4.9, 2.0, ND]);
    assert_close(&as_f64(&run("rowSum", &[m])), &[10.9, 9.4, 7.4]);
    assert_eq!(
        as_i32(&run("rowSum", &[ints(&[1, NI]), Value::int(1)])),
        vec![2, 1]
    );
    assert_eq!(
        run("rowSum", &[Value::int(1), Value::int(2)]).as_i64(),
        Some(3)
    );
}

#[test]
fn row_min_max_keep_type_and_imax() {
    let m = dmat(3, 3, &[4.5, 2.6, 1.5, 1.5, 4.8, 5.9, 4.9, 2.0, ND]);
    assert_close(&as_f64(&run("rowMin", &[m.clone()])), &[1.5, 2.0, 1.5]);
    assert_close(&as_f64(&run("rowMax", &[m])), &[4.9, 4.8, 5.9]);
    assert_eq!(
        as_i32(&run(
            "rowMin",
            &[
                ints(&[1, 2, 3, 4, 5]),
                ints(&[5, 4, 3, 2, 1]),
                Value::int(2)
            ]
        )),
        vec![1, 2, 2, 2, 1]
    );
    // DolphinDB docs: rowImax/rowImin of matrix([4.5 2.6 1.5 3.2, 1.5 4.8 5.9 1.7, 4.9 2.0 NULL 5.5]).
    let m = dmat(
        4,
        3,
        &[4.5, 2.6, 1.5, 3.2, 1.5, 4.8, 5.9, 1.7, 4.9, 2.0, ND, 5.5],
    );
    assert_eq!(as_i32(&run("rowImax", &[m.clone()])), vec![2, 1, 1, 2]);
    assert_eq!(as_i32(&run("rowImin", &[m])), vec![1, 2, 0, 1]);
    let x = fixed_array(&[&[1, 5, 5], &[8, 7, 5], &[3, 1, 4], &[8, 3, 3], &[1, 9, 6]]);
    assert_eq!(as_i32(&run("rowImin", &[x])), vec![0, 2, 1, 1, 0]);
    let t = typed_i32(DataType::Date, &[10, 20]);
    let u = typed_i32(DataType::Date, &[15, 5]);
    let mx = run("rowMax", &[t, u]);
    assert_eq!(mx.as_vector().unwrap().ty, DataType::Date);
    assert_eq!(as_i32(&mx), vec![15, 20]);
}

#[test]
fn moments_counts_and_logic() {
    let a = doubles(&[1.0, 2.0, ND]);
    let b = doubles(&[3.0, ND, ND]);
    assert_close(
        &as_f64(&run("rowAvg", &[a.clone(), b.clone()])),
        &[2.0, 2.0, ND],
    );
    assert_close(
        &as_f64(&run("rowStd", &[a.clone(), b.clone()])),
        &[1.4142135623730951, ND, ND],
    );
    assert_close(
        &as_f64(&run("rowVarp", &[a.clone(), b.clone()])),
        &[1.0, 0.0, ND],
    );
    assert_close(
        &as_f64(&run("rowSum2", &[a.clone(), b.clone()])),
        &[10.0, 4.0, ND],
    );
    assert_eq!(
        as_i32(&run("rowCount", &[a.clone(), b.clone()])),
        vec![2, 1, 0]
    );
    assert_eq!(as_i32(&run("rowSize", &[a, b])), vec![2, 2, 2]);
    let t = bools(&[1, 1, 0]);
    let f = bools(&[1, 0, 0]);
    assert_eq!(
        as_i8(&run("rowAnd", &[t.clone(), f.clone()])),
        vec![1, 0, 0]
    );
    assert_eq!(as_i8(&run("rowOr", &[t.clone(), f.clone()])), vec![1, 1, 0]);
    assert_eq!(as_i8(&run("rowXor", &[t, f])), vec![0, 1, 0]);
    assert_eq!(
        as_i64(&run("rowProd", &[ints(&[2, 3]), ints(&[4, NI])])),
        vec![8, 3]
    );
}

#[test]
fn row_rank_follows_the_docs() {
    // DolphinDB docs: m=matrix(3 1 2 4 7 6 9 8 5, 9 NULL 2 3 5 6 3 2 8).transpose().
    let r0 = [3, 1, 2, 4, 7, 6, 9, 8, 5];
    let r1 = [9, NI, 2, 3, 5, 6, 3, 2, 8];
    let mut cells = Vec::new();
    for j in 0..9 {
        cells.push(r0[j]);
        cells.push(r1[j]);
    }
    let m = imat(2, 9, &cells);
    let rows_of = |v: &Value| {
        let x = as_i32(v);
        let r0: Vec<i32> = (0..9).map(|j| x[2 * j]).collect();
        let r1: Vec<i32> = (0..9).map(|j| x[2 * j + 1]).collect();
        (r0, r1)
    };
    let (a, b) = rows_of(&run("rowRank", &[m.clone()]));
    assert_eq!(a, vec![2, 0, 1, 3, 6, 5, 8, 7, 4]);
    assert_eq!(b, vec![7, NI, 0, 2, 4, 5, 2, 0, 6]);
    let (a, b) = rows_of(&run("rowRank", &[m.clone(), Value::bool(false)]));
    assert_eq!(a, vec![6, 8, 7, 5, 2, 3, 0, 1, 4]);
    assert_eq!(b, vec![0, NI, 6, 4, 3, 2, 4, 6, 1]);
    let (a, b) = rows_of(&run("rowRank", &[m.clone(), Value::void(), Value::int(3)]));
    assert_eq!(a, vec![0, 0, 0, 1, 2, 1, 2, 2, 1]);
    assert_eq!(b, vec![2, NI, 0, 0, 1, 1, 0, 0, 2]);
    let p = run(
        "rowRank",
        &[
            m,
            Value::void(),
            Value::void(),
            Value::void(),
            Value::void(),
            Value::bool(true),
        ],
    );
    assert_close(&as_f64(&p)[..4], &[3.0 / 9.0, 1.0, 1.0 / 9.0, ND]);
    let d = run("rowDenseRank", &[fixed_array(&[&[5, 1, 5, 3]])]);
    let Value::Vector(v) = d else { panic!() };
    let Data::Array(a) = &v.data else { panic!() };
    assert_eq!(
        as_i32(&Value::vector((*a.values).clone())),
        vec![2, 0, 2, 1]
    );
}

#[test]
fn binary_row_functions() {
    let x = dmat(2, 3, &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let y = dmat(2, 3, &[1.0, 1.0, 1.0, 2.0, 2.0, 3.0]);
    assert_close(
        &as_f64(&run("rowWsum", &[x.clone(), y.clone()])),
        &[9.0, 32.0],
    );
    assert_close(
        &as_f64(&run("rowWavg", &[x.clone(), y.clone()])),
        &[2.25, 32.0 / 6.0],
    );
    assert_close(
        &as_f64(&run("rowDot", &[x.clone(), y.clone()])),
        &[9.0, 32.0],
    );
    assert_close(
        &as_f64(&run("rowCorr", &[x.clone(), x.clone()])),
        &[1.0, 1.0],
    );
    assert_close(
        &as_f64(&run("rowCovar", &[x.clone(), x.clone()])),
        &[1.0, 1.0],
    );
    assert_close(
        &as_f64(&run("rowBeta", &[x.clone(), x.clone()])),
        &[1.0, 1.0],
    );
    assert_close(
        &as_f64(&run("rowEuclidean", &[x.clone(), x.clone()])),
        &[0.0, 0.0],
    );
    assert!(run_err("rowWsum", &[x, doubles(&[1.0])]).contains("same shape"));
}

#[test]
fn cumulative_at_and_shifts() {
    let m = imat(2, 3, &[1, 4, NI, 5, 3, 6]);
    assert_close(
        &as_f64(&run("rowCumsum", &[m.clone()])),
        &[1.0, 4.0, 1.0, 9.0, 4.0, 15.0],
    );
    assert_close(
        &as_f64(&run("rowCummax", &[m.clone()])),
        &[1.0, 4.0, 1.0, 5.0, 3.0, 6.0],
    );
    assert_eq!(
        as_i32(&run("rowAt", &[m.clone(), ints(&[2, 0])])),
        vec![3, 4]
    );
    assert_eq!(
        as_i32(&run("rowAt", &[m.clone(), ints(&[5, NI])])),
        vec![NI, NI]
    );
    assert_eq!(
        as_i32(&run("rowPrev", &[m.clone()])),
        vec![NI, NI, 1, 4, NI, 5]
    );
    assert_eq!(as_i32(&run("rowNext", &[m])), vec![NI, 5, 3, 6, NI, NI]);
    let a = fixed_array(&[&[1, 2, 3], &[4]]);
    let Value::Vector(v) = run("rowMove", &[a, Value::int(1)]) else {
        panic!()
    };
    let Data::Array(a) = &v.data else { panic!() };
    assert_eq!(
        as_i32(&Value::vector((*a.values).clone())),
        vec![NI, 1, 2, NI]
    );
}

#[test]
fn errors() {
    assert!(run_err("rowSum", &[strs(&["a"]), ints(&[1])]).contains("numeric"));
    assert!(run_err("rowSum", &[ints(&[1, 2]), ints(&[1, 2, 3])]).contains("same number of rows"));
    assert!(run_err("rowRank", &[ints(&[1, 2])]).contains("matrix"));
}

#[test]
fn skew_and_kurtosis_per_row() {
    let m = dmat(2, 4, &[1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 10.0, 1.0]);
    let s = as_f64(&run("rowSkew", &[m.clone()]));
    // Row 0 is 1 2 3 10: biased skew m3/m2^1.5.
    let xs = [1.0, 2.0, 3.0, 10.0];
    let mean = 4.0;
    let m2: f64 = xs.iter().map(|x: &f64| (x - mean).powi(2)).sum::<f64>() / 4.0;
    let m3: f64 = xs.iter().map(|x: &f64| (x - mean).powi(3)).sum::<f64>() / 4.0;
    assert_close(&s[..1], &[m3 / m2.powf(1.5)]);
    // Row 1 is constant: no spread, null.
    assert_eq!(s[1], ND);
    let k = as_f64(&run("rowKurtosis", &[m]));
    let m4: f64 = xs.iter().map(|x: &f64| (x - mean).powi(4)).sum::<f64>() / 4.0;
    assert_close(&k[..1], &[m4 / (m2 * m2)]);
}
