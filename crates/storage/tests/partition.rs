//! Proves each partition type places rows, names partitions as DolphinDB does
//! (`20220101`, `202201M`, `0_5`, `Key3`, `List0`, `/20220101/Key3`) and prunes by predicates.
use storage::partition::{Level, PartitionKey, PartitionScheme, PartitionType, Predicate};
use value::{DataType, Vector};

fn date(s: &str) -> i32 {
    value::temporal::parse(s, DataType::Date).unwrap() as i32
}

fn dates(s: &[&str]) -> Vector {
    Vector::from_i32(DataType::Date, s.iter().map(|d| date(d)).collect())
}

fn ints(v: &[i32]) -> Vector {
    Vector::from_i32(DataType::Int, v.to_vec())
}

fn single(level: Level) -> PartitionScheme {
    PartitionScheme::single(level)
}

fn paths(s: &PartitionScheme) -> Vec<String> {
    s.keys().iter().map(|k| s.path(k)).collect()
}

fn located(s: &PartitionScheme, cols: &[&Vector]) -> Vec<Option<Vec<u32>>> {
    s.locate(cols)
        .unwrap()
        .into_iter()
        .map(|k| k.map(|k| k.indices().to_vec()))
        .collect()
}

#[test]
fn value_of_dates_months_symbols_ints() {
    let s = single(Level::value(dates(&["2022.01.01", "2022.01.02"])).unwrap());
    assert_eq!(s.partition_type(), PartitionType::Value);
    assert_eq!(paths(&s), ["/20220101", "/20220102"]);
    let col = dates(&["2022.01.02", "2022.01.03", "2022.01.01"]);
    assert_eq!(located(&s, &[&col]), [Some(vec![1]), None, Some(vec![0])]);
    // A TIMESTAMP column is located by its date.
    let ts = value::temporal::parse("2022.01.02T10:00:00.000", DataType::Timestamp).unwrap();
    let tcol = Vector::from_i64(DataType::Timestamp, vec![ts]);
    assert_eq!(located(&s, &[&tcol]), [Some(vec![1])]);

    let m = single(
        Level::value(Vector::from_i32(
            DataType::Month,
            vec![value::temporal::parse("2022.01M", DataType::Month).unwrap() as i32],
        ))
        .unwrap(),
    );
    assert_eq!(paths(&m), ["/202201M"]);

    let sym = single(Level::value(Vector::from_symbols(&["AAPL", "IBM"])).unwrap());
    assert_eq!(paths(&sym), ["/AAPL", "/IBM"]);
    let col = Vector::from_strings(vec!["IBM".into(), "MSFT".into()]);
    assert_eq!(located(&sym, &[&col]), [Some(vec![1]), None]);

    let mut i = Level::value(ints(&[1, 2, 3])).unwrap();
    assert_eq!(i.name(2), "3");
    // newValuePartitionPolicy=add: new values get the next indices.
    assert_eq!(i.add_values(&ints(&[5, 2, 4, 5])).unwrap(), 2);
    assert_eq!(i.len(), 5);
    assert_eq!(i.name(3), "5");
    assert_eq!(
        i.locate(&ints(&[4, 1, i32::MIN])).unwrap(),
        [Some(4), Some(0), None]
    );
}

#[test]
fn range_of_ints_and_dates() {
    let s = single(Level::range(ints(&[0, 5, 10])).unwrap());
    assert_eq!(paths(&s), ["/0_5", "/5_10"]);
    let col = ints(&[0, 4, 5, 9, 10, -1, i32::MIN]);
    assert_eq!(
        located(&s, &[&col]),
        [
            Some(vec![0]),
            Some(vec![0]),
            Some(vec![1]),
            Some(vec![1]),
            None,
            None,
            None
        ]
    );
    let d = single(Level::range(dates(&["2022.01.01", "2022.02.01", "2022.03.01"])).unwrap());
    assert_eq!(paths(&d), ["/20220101_20220201", "/20220201_20220301"]);
    assert!(Level::range(ints(&[5, 1])).is_err());
    // Pruning: 3 <= x <= 6 touches both; x in [7] only the second.
    let lvl = &s.levels[0];
    let p = Predicate::Range {
        lo: Some(ints(&[3])),
        hi: Some(ints(&[6])),
    };
    assert_eq!(lvl.prune(&p).unwrap(), [0, 1]);
    assert_eq!(lvl.prune(&Predicate::In(ints(&[7]))).unwrap(), [1]);
    let p = Predicate::Range {
        lo: Some(ints(&[5])),
        hi: None,
    };
    assert_eq!(lvl.prune(&p).unwrap(), [1]);
}

#[test]
fn hash_of_ints_strings_dates() {
    let s = single(Level::hash(DataType::Int, 10).unwrap());
    assert_eq!(s.keys().len(), 10);
    assert_eq!(s.path(&PartitionKey::single(3)), "/Key3");
    let col = ints(&[13, 20, -1]);
    // Integers go to x mod n.
    assert_eq!(
        located(&s, &[&col]),
        [Some(vec![3]), Some(vec![0]), Some(vec![9])]
    );
    let st = single(Level::hash(DataType::Symbol, 4).unwrap());
    let col = Vector::from_strings(vec!["AAPL".into(), "AAPL".into(), "IBM".into()]);
    let k = located(&st, &[&col]);
    assert_eq!(k[0], k[1], "equal strings share a bucket");
    assert!(k.iter().all(|x| x.as_ref().is_some_and(|v| v[0] < 4)));
    let dh = single(Level::hash(DataType::Date, 7).unwrap());
    let d = dates(&["2022.01.01"]);
    assert_eq!(
        located(&dh, &[&d]),
        [Some(vec![(date("2022.01.01") % 7) as u32])]
    );
    // A small integer range prunes to the buckets it hashes to.
    let p = Predicate::Range {
        lo: Some(ints(&[21])),
        hi: Some(ints(&[22])),
    };
    assert_eq!(s.levels[0].prune(&p).unwrap(), [1, 2]);
}

#[test]
fn list_partitions() {
    let s = single(
        Level::list(vec![
            Vector::from_symbols(&["AAPL", "IBM"]),
            Vector::from_symbols(&["MSFT"]),
        ])
        .unwrap(),
    );
    assert_eq!(paths(&s), ["/List0", "/List1"]);
    let col = Vector::from_symbols(&["MSFT", "IBM", "GOOG"]);
    assert_eq!(located(&s, &[&col]), [Some(vec![1]), Some(vec![0]), None]);
    assert!(Level::list(vec![ints(&[1, 2]), ints(&[2])]).is_err());
}

#[test]
fn compo_two_and_three_levels() {
    let s = PartitionScheme::compo(vec![
        Level::value(dates(&["2022.01.01", "2022.01.02"])).unwrap(),
        Level::hash(DataType::Int, 4).unwrap(),
    ])
    .unwrap();
    assert_eq!(s.partition_type(), PartitionType::Compo);
    assert_eq!(s.keys().len(), 8);
    assert_eq!(s.path(&PartitionKey::of(&[0, 3])), "/20220101/Key3");
    let d = dates(&["2022.01.02", "2022.01.05"]);
    let i = ints(&[7, 1]);
    assert_eq!(located(&s, &[&d, &i]), [Some(vec![1, 3]), None]);
    let pruned = s
        .prune(&[Some(Predicate::In(dates(&["2022.01.02"]))), None])
        .unwrap();
    assert_eq!(pruned.len(), 4);
    assert!(pruned.iter().all(|k| k.indices()[0] == 1));

    let s3 = PartitionScheme::compo(vec![
        Level::range(dates(&["2022.01.01", "2022.02.01"])).unwrap(),
        Level::value(Vector::from_symbols(&["A", "B"])).unwrap(),
        Level::list(vec![ints(&[1, 2]), ints(&[3])]).unwrap(),
    ])
    .unwrap();
    assert_eq!(s3.keys().len(), 4);
    assert_eq!(
        s3.path(&PartitionKey::of(&[0, 1, 1])),
        "/20220101_20220201/B/List1"
    );
    let c1 = dates(&["2022.01.15"]);
    let c2 = Vector::from_symbols(&["A"]);
    let c3 = ints(&[2]);
    assert_eq!(located(&s3, &[&c1, &c2, &c3]), [Some(vec![0, 0, 0])]);
    assert!(PartitionScheme::compo(vec![Level::hash(DataType::Int, 2).unwrap()]).is_err());
}

/// HASH partitions of strings and symbols are DolphinDB's: `hashBucket` (MurmurHash2, seed 0)
/// gives its documented `hashBucket(`AAPL`TSLA`GS`MS`GE`BA`UAL`WMT, 10)` =
/// `[9,4,1,8,3,7,5,2]`, and integers `hashBucket(34 45 67, 10)` = `[4,5,7]`.
#[test]
fn hash_buckets_are_dolphindbs() {
    let s = single(Level::hash(DataType::Symbol, 10).unwrap());
    let col = Vector::from_symbols(&["AAPL", "TSLA", "GS", "MS", "GE", "BA", "UAL", "WMT"]);
    let got: Vec<u32> = located(&s, &[&col])
        .into_iter()
        .map(|k| k.unwrap()[0])
        .collect();
    assert_eq!(got, [9, 4, 1, 8, 3, 7, 5, 2]);
    assert_eq!(s.path(&PartitionKey::single(9)), "/Key9");
    let s = single(Level::hash(DataType::String, 10).unwrap());
    let col = Vector::from_strings(vec!["AAPL".into(), "WMT".into()]);
    assert_eq!(located(&s, &[&col]), [Some(vec![9]), Some(vec![2])]);
    let s = single(Level::hash(DataType::Int, 10).unwrap());
    assert_eq!(
        located(&s, &[&ints(&[34, 45, 67])]),
        [Some(vec![4]), Some(vec![5]), Some(vec![7])]
    );
    // UUIDs hash too (HASH is the only scheme that takes them).
    let u = single(Level::hash(DataType::Uuid, 5).unwrap());
    let col = Vector {
        ty: DataType::Uuid,
        scale: 0,
        data: value::Data::I128(vec![1, 1, 77]),
    };
    let k = located(&u, &[&col]);
    assert_eq!(k[0], k[1]);
    assert!(Level::value(col).is_err());
}

#[test]
fn new_value_partitions_are_the_unknown_distinct_values() {
    let l = Level::value(ints(&[1, 2, 3])).unwrap();
    let fresh = l.new_values(&ints(&[5, 2, 4, 5, i32::MIN])).unwrap();
    assert_eq!(fresh.i64_at(0), Some(5));
    assert_eq!(fresh.i64_at(1), Some(4));
    assert_eq!(fresh.len(), 2);
}

/// Rows are placed per distinct value (once per symbol, once per run of equal integers):
/// every row still gets its own value's partition, nulls and values in no partition included,
/// and new values come in order of first appearance.
#[test]
fn repeated_values_are_placed_like_single_ones() {
    let syms = ["B", "A", "", "B", "Z", "A", "A", "", "Z", "B"];
    let col = Vector::from_symbols(&syms);
    let l = Level::value(Vector::from_symbols(&["A", "B"])).unwrap();
    let expect: Vec<Option<usize>> = syms
        .iter()
        .map(|s| match *s {
            "A" => Some(0),
            "B" => Some(1),
            _ => None,
        })
        .collect();
    assert_eq!(l.locate(&col).unwrap(), expect);
    let fresh = l.new_values(&col).unwrap();
    assert_eq!((fresh.len(), fresh.str_at(0)), (1, Some("Z")));
    let h = Level::hash(DataType::Symbol, 3).unwrap();
    let each: Vec<Option<usize>> = syms
        .iter()
        .map(|s| h.locate(&Vector::from_symbols(&[*s])).unwrap()[0])
        .collect();
    assert_eq!(h.locate(&col).unwrap(), each);
    // Runs of equal integers, a null run, a value that comes back after another.
    let l = Level::value(ints(&[1, 2, 3])).unwrap();
    let col = ints(&[2, 2, 2, 9, 9, i32::MIN, i32::MIN, 2, 1, 9, 7]);
    assert_eq!(
        l.locate(&col).unwrap(),
        [
            Some(1),
            Some(1),
            Some(1),
            None,
            None,
            None,
            None,
            Some(1),
            Some(0),
            None,
            None
        ]
    );
    let fresh = l.new_values(&col).unwrap();
    assert_eq!(
        (0..fresh.len())
            .map(|i| fresh.i64_at(i))
            .collect::<Vec<_>>(),
        [Some(9), Some(7)]
    );
}
