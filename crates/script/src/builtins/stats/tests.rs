//! Unit tests of the statistics built-ins in stats.rs, with expected values from DolphinDB's
//! documentation where it gives them.

use super::super::kernels::test_env::*;
use super::*;
use value::Matrix;

#[test]
fn zscore_vector_and_matrix() {
    // DolphinDB docs: zscore(1 2 3 4 5) = [-1.264911,-0.632456,0,0.632456,1.264911].
    let z = as_f64(&run("zscore", &[ints(&[1, 2, 3, 4, 5])]));
    assert_close(
        &z,
        &[
            -1.2649110640673518,
            -0.6324555320336759,
            0.0,
            0.6324555320336759,
            1.2649110640673518,
        ],
    );
    let m = Value::Matrix(Arc::new(Matrix::new(
        Vector::from_i32(DataType::Int, vec![1, 2, 3, 4, 5, 6]),
        3,
        2,
    )));
    assert_close(&as_f64(&run("zscore", &[m])), &[-1., 0., 1., -1., 0., 1.]);
    assert_close(
        &as_f64(&run("zscore", &[ints(&[1, NI, 3])])),
        &[-0.7071067811865475, ND, 0.7071067811865475],
    );
}

#[test]
fn mad_mean_and_median() {
    // DolphinDB docs: mad([85, 90, 95, NULL]) = 3.333333333333333.
    let v = run("mad", &[ints(&[85, 90, 95, NI])]);
    assert!((v.as_f64().unwrap() - 3.333333333333333).abs() < 1e-12);
    let v = run("mad", &[ints(&[1, 1, 2, 2, 4, 6, 9]), Value::bool(true)]);
    assert_eq!(v.as_f64(), Some(1.0));
}

#[test]
fn bucket_and_count() {
    // DolphinDB docs: bucket(9 23 54 36 46 12, 12:54, 2) = [,0,,1,1,0].
    let x = ints(&[9, 23, 54, 36, 46, 12]);
    let range = Value::pair(Vector::from_i32(DataType::Int, vec![12, 54]));
    let b = run("bucket", &[x.clone(), range.clone(), Value::int(2)]);
    assert_eq!(as_i32(&b), vec![NI, 0, NI, 1, 1, 0]);
    let b = run(
        "bucket",
        &[x.clone(), range.clone(), Value::int(2), Value::bool(true)],
    );
    assert_eq!(as_i32(&b), vec![0, 1, 3, 2, 2, 1]);
    let c = run("bucketCount", &[x.clone(), range.clone(), Value::int(2)]);
    assert_eq!(as_i32(&c), vec![2, 2]);
    let c = run(
        "bucketCount",
        &[x.clone(), range, Value::int(2), Value::bool(true)],
    );
    assert_eq!(as_i32(&c), vec![1, 2, 2, 1]);
    let odd = Value::pair(Vector::from_i32(DataType::Int, vec![12, 53]));
    assert_eq!(
        run_err("bucket", &[x, odd, Value::int(2)]),
        "dataRange must be the mutltiplier of bucketNum."
    );
}

#[test]
fn cut_points_follow_the_docs() {
    // DolphinDB docs: cutPoints(2 3 1 4, 2) = [1,3,5]; with freq 1 1 1 3: [1,4,5].
    assert_eq!(
        as_i32(&run("cutPoints", &[ints(&[2, 3, 1, 4]), Value::int(2)])),
        vec![1, 3, 5]
    );
    assert_eq!(
        as_i32(&run(
            "cutPoints",
            &[ints(&[1, 2, 3, 4]), Value::int(2), ints(&[1, 1, 1, 3])]
        )),
        vec![1, 4, 5]
    );
    let heavy = run(
        "cutPoints",
        &[ints(&[1, 2, 3, 3, 3, 3, 3, 3]), Value::int(3)],
    );
    assert_eq!(as_i32(&heavy), vec![1, 2, 3, 4]);
}

#[test]
fn digitize_follows_numpy() {
    // DolphinDB docs: x = [-1,0,1,2,3,4,5,6], bins = [1,3,5].
    let x = ints(&[-1, 0, 1, 2, 3, 4, 5, 6]);
    let bins = ints(&[1, 3, 5]);
    assert_eq!(
        as_i32(&run("digitize", &[x.clone(), bins.clone()])),
        vec![0, 0, 1, 1, 2, 2, 3, 3]
    );
    assert_eq!(
        as_i32(&run("digitize", &[x.clone(), bins, Value::bool(true)])),
        vec![0, 0, 0, 1, 1, 2, 2, 3]
    );
    let rev = ints(&[5, 3, 1]);
    assert_eq!(
        as_i32(&run("digitize", &[x.clone(), rev.clone()])),
        vec![3, 3, 2, 2, 1, 1, 0, 0]
    );
    assert_eq!(
        as_i32(&run("digitize", &[x, rev, Value::bool(true)])),
        vec![3, 3, 3, 2, 2, 1, 1, 0]
    );
    let bins = ints(&[1, 3, 3, 5, 5]);
    assert_eq!(
        run("digitize", &[Value::int(3), bins.clone()]).as_i64(),
        Some(3)
    );
    assert_eq!(
        run("digitize", &[Value::int(5), bins.clone()]).as_i64(),
        Some(5)
    );
    assert_eq!(
        run("digitize", &[Value::int(5), bins, Value::bool(true)]).as_i64(),
        Some(3)
    );
}

#[test]
fn winsorize_follows_the_docs() {
    let x: Vec<i32> = (1..=10).collect();
    assert_eq!(
        as_i32(&run("winsorize", &[ints(&x), Value::double(0.1)])),
        vec![2, 2, 3, 4, 5, 6, 7, 8, 9, 9]
    );
    let lim = doubles(&[0.12, 0.17]);
    assert_eq!(
        as_i32(&run("winsorize", &[ints(&x), lim.clone()])),
        vec![2, 2, 3, 4, 5, 6, 7, 8, 9, 9]
    );
    assert_eq!(
        as_i32(&run("winsorize", &[ints(&x), lim, Value::bool(false)])),
        vec![2, 2, 3, 4, 5, 6, 7, 8, 8, 8]
    );
    let mut y: Vec<i32> = (1..=20).collect();
    y[19] = NI;
    let up = run("winsorize", &[ints(&y), Value::double(0.1)]);
    let mut want: Vec<i32> = (1..=20).collect();
    want[0] = 3;
    want[1] = 3;
    want[18] = 18;
    want[19] = 18;
    assert_eq!(as_i32(&up), want);
    let low = run(
        "winsorize",
        &[
            ints(&y),
            Value::double(0.1),
            Value::void(),
            Value::string("lower"),
        ],
    );
    let mut want: Vec<i32> = (1..=20).collect();
    want[0] = 2;
    want[17] = 17;
    want[18] = 17;
    want[19] = 2;
    assert_eq!(as_i32(&low), want);
}

#[test]
fn hash_bucket_matches_dolphindb() {
    // DolphinDB docs: hashBucket(34 45 67, 10) = [4,5,7];
    // hashBucket(`AAPL`TSLA`GS`MS`GE`BA`UAL`WMT, 10) = [9,4,1,8,3,7,5,2].
    assert_eq!(
        as_i32(&run("hashBucket", &[ints(&[34, 45, 67]), Value::int(10)])),
        vec![4, 5, 7]
    );
    let syms = Value::vector(Vector::from_symbols(&[
        "AAPL", "TSLA", "GS", "MS", "GE", "BA", "UAL", "WMT",
    ]));
    assert_eq!(
        as_i32(&run("hashBucket", &[syms, Value::int(10)])),
        vec![9, 4, 1, 8, 3, 7, 5, 2]
    );
}

#[test]
fn random_draws_have_the_requested_shape() {
    let v = as_f64(&run(
        "randUniform",
        &[Value::double(0.61), Value::double(2.31), Value::int(1000)],
    ));
    assert_eq!(v.len(), 1000);
    assert!(v.iter().all(|x| (0.61..2.31).contains(x)));
    let v = as_f64(&run(
        "randNormal",
        &[Value::double(2.31), Value::double(0.671), Value::int(2000)],
    ));
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    assert!((mean - 2.31).abs() < 0.1);
    assert!(
        run_err("randNormal", &[Value::int(0), Value::int(1), Value::int(0)]).contains("count")
    );
}

#[test]
fn distribution_builtins() {
    // DolphinDB docs: cdfNormal(0,1,-2.33) = 0.009903; cdfNormal(10, 20, -30) = 0.02275.
    let v = run(
        "cdfNormal",
        &[Value::int(0), Value::int(1), Value::double(-2.33)],
    );
    assert!((v.as_f64().unwrap() - 0.009903).abs() < 1e-6);
    let v = run(
        "cdfNormal",
        &[Value::int(10), Value::int(20), Value::int(-30)],
    );
    assert!((v.as_f64().unwrap() - 0.02275).abs() < 1e-5);
    let v = run(
        "invNormal",
        &[Value::int(0), Value::int(1), doubles(&[0.5, ND])],
    );
    assert_close(&as_f64(&v), &[0.0, ND]);
    let v = run("cdfStudent", &[Value::int(5), Value::double(2.0)]);
    assert!((v.as_f64().unwrap() - 0.949030260585071).abs() < 1e-12);
}
