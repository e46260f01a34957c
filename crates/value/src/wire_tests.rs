// Proves the wire codec byte for byte against protocol.md §5/§12, round-trips every type and
// form in both byte orders, and feeds it random and truncated bytes to show it never panics.

use super::*;
use crate::null;

// The helpers marked pub(super) serve the compression tests (wire_compress_tests.rs) too.

pub(super) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub(super) fn enc(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode(v, &mut out).unwrap();
    out
}

fn dec(b: &[u8]) -> Value {
    dec_in(b, true)
}

/// Decodes one whole object in the byte order `le` says.
pub(super) fn dec_in(b: &[u8], le: bool) -> Value {
    let (v, n) = decode(b, le).unwrap().expect("complete");
    assert_eq!(n, b.len(), "decode must consume the whole object");
    v
}

/// Encode, decode and encode again (in both byte orders): the bytes must be identical.
fn round_trip(v: &Value) {
    let le = enc(v);
    let back = dec(&le);
    assert_eq!(enc(&back), le, "LE round trip of {v:?}");
    let mut be = Vec::new();
    encode_with(v, false, &mut be).unwrap();
    let (back, n) = decode(&be, false).unwrap().unwrap();
    assert_eq!(n, be.len());
    assert_eq!(enc(&back), le, "BE round trip of {v:?}");
    truncations(&le, true);
    truncations(&be, false);
}

/// Every strict prefix is incomplete, and the length it asks for never exceeds the real one.
pub(super) fn truncations(b: &[u8], le: bool) {
    for cut in 0..b.len() {
        match decode_partial(&b[..cut], le) {
            Ok(Decoded::NeedAtLeast(n)) => {
                assert!(
                    n > cut && n <= b.len(),
                    "hint {n} for cut {cut} of {}",
                    b.len()
                )
            }
            other => panic!("prefix {cut} of {b:?} gave {other:?}"),
        }
    }
    extent_agrees(b, le, 1);
    extent_agrees(b, le, 7);
}

/// An `Extent` fed ever longer prefixes (`step` bytes more each time) never asks for more
/// than the object's length and ends exactly where the decoder does (or does not know).
fn extent_agrees(b: &[u8], le: bool, step: usize) {
    let mut x = Extent::new(le);
    let mut cut = 0;
    loop {
        match x.advance(&b[..cut]) {
            Reach::Unknown => return,
            Reach::Ends(n) => {
                assert_eq!((n, cut), (b.len(), b.len()), "extent of {b:?}");
                return;
            }
            Reach::NeedAtLeast(n) => {
                assert!(n > cut && n <= b.len(), "extent hint {n} at {cut} of {b:?}")
            }
        }
        cut = (cut + step).min(b.len());
    }
}

fn int_vec(x: Vec<i32>) -> Value {
    Value::vector(Vector::from_i32(DataType::Int, x))
}

fn array_vec(ty: DataType, rows: &[&[i64]]) -> Vector {
    let mut offsets = vec![0u32];
    let mut cells = Vec::new();
    for r in rows {
        cells.extend_from_slice(r);
        offsets.push(cells.len() as u32);
    }
    let values = match ty.storage() {
        Storage::I8 => Vector::from_i8(ty, cells.iter().map(|&x| x as i8).collect()),
        Storage::I16 => Vector::from_i16(cells.iter().map(|&x| x as i16).collect()),
        Storage::I32 => Vector::from_i32(ty, cells.iter().map(|&x| x as i32).collect()),
        Storage::F64 => Vector::from_f64(cells.iter().map(|&x| x as f64).collect()),
        _ => Vector::from_i64(ty, cells),
    };
    Vector::array(values, offsets)
}

#[test]
fn scalars_match_protocol_examples() {
    assert_eq!(enc(&Value::bool(true)), hex("01 00 01"));
    assert_eq!(enc(&Value::int(null::I32)), hex("04 00 00 00 00 80"));
    assert_eq!(enc(&Value::void()), hex("00 00 01"));
    let d = Vector::decimal(DataType::Decimal32, 8, Data::I32(vec![314159265]));
    let mut want = hex("25 00 08 00 00 00");
    want.extend_from_slice(&314159265i32.to_le_bytes());
    assert_eq!(enc(&Value::Scalar(d)), want);
    assert_eq!(
        enc(&Value::double(null::F64)),
        hex("10 00 FF FF FF FF FF FF EF FF")
    );
    assert_eq!(enc(&Value::float(null::F32)), hex("0F 00 FF FF 7F FF"));
}

#[test]
fn tuple_matches_protocol_example() {
    let t = Value::tuple(vec![Value::int(1), Value::int(2), Value::int(3)]);
    let want = hex("19 01 03000000 01000000 0400 01000000 0400 02000000 0400 03000000");
    assert_eq!(enc(&t), want);
    round_trip(&t);
}

#[test]
fn symbol_table_matches_protocol_example() {
    let a = Vector::from_symbols(&["a"; 10]);
    let b = Vector::from_symbols(&["b"; 10]);
    let t = Value::table(Table::new(vec!["a".into(), "b".into()], vec![a, b]));
    let mut want = hex("00 06 0A000000 02000000 00 61 00 62 00");
    for (id, s) in [(0u8, "61"), (1, "62")] {
        want.extend(hex(&format!(
            "91 01 0A000000 01000000 {id:02x}000000 02000000 00 {s} 00"
        )));
        for _ in 0..10 {
            want.extend(hex("01000000"));
        }
    }
    assert_eq!(enc(&t), want);
    round_trip(&t);
}

#[test]
fn array_vector_matches_protocol_example() {
    let v = array_vec(
        DataType::Int,
        &[&[0, 2147483647, -2147483647, i32::MIN as i64], &[0, 1, 2]],
    );
    let mut want = hex("44 01 02000000 07000000 0200 01 00 04 03");
    for x in [0, 2147483647, -2147483647, i32::MIN, 0, 1, 2] {
        want.extend_from_slice(&x.to_le_bytes());
    }
    let v = Value::vector(v);
    assert_eq!(enc(&v), want);
    round_trip(&v);
    // Rust writes cols = 1 and 4-byte counts; both must read the same.
    let mut rust = hex("44 01 02000000 01000000 0200 04 00 04000000 03000000");
    for x in [0, 2147483647, -2147483647, i32::MIN, 0, 1, 2] {
        rust.extend_from_slice(&x.to_le_bytes());
    }
    assert_eq!(enc(&dec(&rust)), want);
    // An empty array vector is its header alone.
    let empty = Value::vector(Vector::empty_array(DataType::Double));
    assert_eq!(enc(&empty), hex("50 01 00000000 00000000"));
    round_trip(&empty);
}

#[test]
fn uploaded_tables_from_rust_client_decode() {
    // §12: `variable` upload of two one-column tables, type byte 27, name "", column "a".
    let b = hex(
        "1B 06 03000000 01000000 00 61 00 01 01 03000000 01000000 01 00 80
         1B 06 00000000 01000000 00 61 00 01 01 00000000 01000000",
    );
    let (t1, n) = decode(&b, true).unwrap().unwrap();
    let (t2, m) = decode(&b[n..], true).unwrap().unwrap();
    assert_eq!(n + m, b.len());
    match (&t1, &t2) {
        (Value::Table(a), Value::Table(b)) => {
            assert_eq!((a.rows(), b.rows()), (3, 0));
            assert_eq!(a.names, vec!["a".to_string()]);
            assert_eq!(a.name, "");
            assert!(matches!(&a.columns[0].data, Data::I8(x) if x == &vec![1, 0, -128]));
        }
        _ => panic!("expected tables"),
    }
    // §12: the table writer's INT table.
    let w = hex("1B 06 04000000 01000000 00 64617461 00
         04 01 04000000 01000000 00000000 FFFFFF7F 01000080 00000080");
    let t = dec(&w);
    let Value::Table(t) = t else { panic!() };
    assert_eq!(t.names, vec!["data".to_string()]);
    assert!(
        matches!(&t.columns[0].data, Data::I32(x) if x == &vec![0, i32::MAX, -i32::MAX, i32::MIN])
    );
}

#[test]
fn publish_table_arguments_decode() {
    // §12: publishTable's arguments: STRING, INT, STRING, STRING, LONG, VOID.
    let b = hex(
        "12 00 3132372E302E302E3100 04 00 56E60000 12 00 7400 12 00 7275737400
         05 00 0000000000000000 00 00 00",
    );
    let mut pos = 0;
    let mut got = Vec::new();
    while pos < b.len() {
        let (v, n) = decode(&b[pos..], true).unwrap().unwrap();
        got.push(v);
        pos += n;
    }
    assert_eq!(got.len(), 6);
    assert_eq!(got[0].as_str(), Some("127.0.0.1"));
    assert_eq!(got[1].as_i64(), Some(0xE656));
    assert!(got[5].is_void());
}

#[test]
fn symbol_scalar_decodes_to_string() {
    let v = dec(&hex("11 00 61 62 63 00"));
    let Value::Scalar(s) = &v else { panic!() };
    assert_eq!(s.ty, DataType::String);
    assert_eq!(v.as_str(), Some("abc"));
}

#[test]
fn symbol_pair_is_plain_and_plain_symbol_vector_reads() {
    let p = Value::pair(Vector::from_symbols(&["a", "b"]));
    assert_eq!(enc(&p), hex("11 02 02000000 01000000 6100 6200"));
    round_trip(&p);
    // Rust uploads symbol vectors as plain 17.
    let v = dec(&hex("11 01 03000000 01000000 6100 00 6100"));
    let Value::Vector(v) = v else { panic!() };
    assert_eq!(v.ty, DataType::Symbol);
    assert_eq!(v.str_at(0), Some("a"));
    assert!(v.is_null(1));
    // Empty symbol vectors stay plain 17.
    let e = Value::vector(Vector::empty(DataType::Symbol));
    assert_eq!(enc(&e), hex("11 01 00000000 01000000"));
}

#[test]
fn symbol_base_reuse_within_a_table() {
    // Column b repeats base id 0 with size 0.
    let b = hex("00 06 02000000 02000000 00 6100 6200
         91 01 02000000 01000000 00000000 03000000 00 7800 7900 01000000 02000000
         91 01 02000000 01000000 00000000 00000000 02000000 00000000");
    let Value::Table(t) = dec(&b) else { panic!() };
    assert_eq!(t.columns[1].str_at(0), Some("y"));
    assert_eq!(t.columns[1].str_at(1), Some(""));
    // An unknown id is an error, not a panic.
    let mut bad_id = b.clone();
    let n = bad_id.len();
    bad_id[n - 16] = 7;
    assert!(decode(&bad_id, true).is_err());
}

#[test]
fn table_type_bytes_and_big_endian() {
    for ty in ["00", "1B", "08"] {
        let b = hex(&format!(
            "{ty} 06 01000000 01000000 00 6100 04 01 01000000 01000000 05000000"
        ));
        assert!(matches!(dec(&b), Value::Table(_)));
    }
    assert!(decode(&hex("04 06 00000000 00000000 00"), true).is_err());
    // Big endian: the header u16 puts the form first.
    let (v, _) = decode(&hex("00 04 00000007"), false).unwrap().unwrap();
    assert_eq!(v.as_i64(), Some(7));
}

#[test]
fn every_scalar_type_round_trips() {
    use DataType::*;
    let mut vals = vec![
        Value::bool(true),
        Value::bool(false),
        Value::null(Bool),
        Value::char(-5),
        Value::short(300),
        Value::int(-7),
        Value::long(1 << 40),
        Value::float(3.5),
        Value::float(f32::NAN),
        Value::double(2.25),
        Value::double(f64::INFINITY),
        Value::string("abc!@#中文 123"),
        Value::string(""),
        Value::void(),
        Value::Scalar(Vector::new(Blob, Data::Blob(vec![vec![0, 1, 2, 0xff]]))),
        Value::Scalar(Vector::decimal(Decimal32, 2, Data::I32(vec![314]))),
        Value::Scalar(Vector::decimal(Decimal64, 18, Data::I64(vec![i64::MIN]))),
        Value::Scalar(Vector::decimal(
            Decimal128,
            28,
            Data::I128(vec![31415926535897932384626433833]),
        )),
    ];
    for ty in [
        Date, Month, Time, Minute, Second, DateTime, DateHour, DateMinute,
    ] {
        vals.push(Value::i32_of(ty, 1234));
        vals.push(Value::null(ty));
    }
    for ty in [Timestamp, NanoTime, NanoTimestamp] {
        vals.push(Value::i64_of(ty, 1_653_054_659_123));
        vals.push(Value::null(ty));
    }
    for ty in [Uuid, IpAddr, Int128, Complex, Point] {
        vals.push(Value::Scalar(Vector::new(
            ty,
            Data::I128(vec![0x0102_0304 << 64 | 99]),
        )));
        vals.push(Value::null(ty));
    }
    vals.push(Value::Scalar(Vector::new(
        Duration,
        Data::I64(vec![(3i64 << 32) | 5]),
    )));
    for v in &vals {
        round_trip(v);
    }
    // NaN stays NaN, and is not the null sentinel.
    let back = dec(&enc(&Value::float(f32::NAN)));
    assert!(back.as_f64().is_some_and(|x| x.is_nan()));
}

#[test]
fn every_vector_and_pair_type_round_trips() {
    use DataType::*;
    let mut vecs = vec![
        Vector::from_i8(Bool, vec![1, 0, null::I8]),
        Vector::from_i8(Char, vec![0, 127, -127, null::I8]),
        Vector::from_i16(vec![0, 32767, null::I16]),
        Vector::from_i64(Long, vec![0, i64::MAX, null::I64]),
        Vector::from_f32(vec![0.0, 2.5, null::F32]),
        Vector::from_f64(vec![0.0, 2.5, null::F64]),
        Vector::from_strings(vec!["a".into(), "".into(), "中文".into()]),
        Vector::from_symbols(&["x", "", "y", "x"]),
        Vector::new(Blob, Data::Blob(vec![b"ab".to_vec(), vec![]])),
        Vector::decimal(Decimal32, 3, Data::I32(vec![3140, 3142, null::I32])),
        Vector::decimal(Decimal64, 17, Data::I64(vec![1, null::I64])),
        Vector::decimal(Decimal128, 3, Data::I128(vec![5, null::DECIMAL128])),
        Vector::new(Uuid, Data::I128(vec![1, 0])),
        Vector::nulls(Void, 3),
    ];
    for ty in [Int, Date, Month, Time, Minute, Second, DateTime, DateHour] {
        vecs.push(Vector::from_i32(ty, vec![0, 100, null::I32]));
    }
    for ty in [Timestamp, NanoTime, NanoTimestamp] {
        vecs.push(Vector::from_i64(ty, vec![0, 100, null::I64]));
    }
    for ty in DataType::ALL {
        if ty.wire_width().is_some() || matches!(ty, String | Symbol | Blob | Any) {
            vecs.push(Vector::empty(ty));
        }
    }
    for v in vecs {
        round_trip(&Value::vector(v.clone()));
        if v.len() >= 2 && v.ty != Void && v.ty != Blob {
            round_trip(&Value::pair(v.slice(0, 2)));
        }
        if v.ty != Void && v.ty != Blob && v.ty != Any {
            round_trip(&Value::set(Set::from_vector(&v)));
        }
    }
}

#[test]
fn array_vectors_of_every_width_round_trip() {
    use DataType::*;
    for ty in [Char, Short, Int, Long, Double, Date, Timestamp] {
        round_trip(&Value::vector(array_vec(ty, &[&[1, 2], &[], &[3]])));
        round_trip(&Value::vector(Vector::empty_array(ty)));
    }
    // Count widths 2 and 4, and more rows than one block holds.
    let long_row: Vec<i64> = (0..70_000).collect();
    round_trip_no_truncations(&Value::vector(array_vec(Int, &[&long_row[..300], &[7]])));
    round_trip_no_truncations(&Value::vector(array_vec(Int, &[&long_row, &[7]])));
    let many: Vec<&[i64]> = (0..70_000).map(|i| &long_row[i % 3..i % 3 + 1]).collect();
    round_trip_no_truncations(&Value::vector(array_vec(Long, &many)));
}

fn round_trip_no_truncations(v: &Value) {
    let le = enc(v);
    assert_eq!(enc(&dec(&le)), le);
}

#[test]
fn containers_round_trip() {
    let keys = Vector::from_symbols(&["a", "b", ""]);
    let vals = Vector::from_i8(DataType::Bool, vec![1, 0, null::I8]);
    let d = Value::dict(Dict::from_vectors(keys.clone(), vals));
    round_trip(&d);
    let any = Value::dict(Dict::from_vectors(
        Vector::from_strings(vec!["x".into(), "y".into()]),
        Vector::from_values(vec![
            Value::int(1),
            Value::tuple(vec![Value::string("z"), int_vec(vec![1, 2])]),
        ]),
    ));
    round_trip(&any);
    let empty = Value::dict(Dict::new(DataType::String, DataType::Any));
    round_trip(&empty);
    let nested_table = Value::table(Table::new(
        vec!["a".into()],
        vec![Vector::from_i32(DataType::Int, vec![1])],
    ));
    let tuple = Value::tuple(vec![
        Value::int(1),
        int_vec(vec![1]),
        Value::set(Set::from_vector(&Vector::from_i32(DataType::Int, vec![1]))),
        Value::dict(Dict::from_vectors(
            Vector::from_i32(DataType::Int, vec![1]),
            Vector::from_i32(DataType::Int, vec![1]),
        )),
        nested_table,
    ]);
    round_trip(&tuple);
    let mut m = Matrix::new(Vector::from_i32(DataType::Int, vec![1, 2, 3, 4]), 2, 2);
    round_trip(&Value::Matrix(Arc::new(m.clone())));
    m.col_labels = Some(Vector::from_symbols(&["a", "b"]));
    round_trip(&Value::Matrix(Arc::new(m)));
}

#[test]
fn tables_of_every_column_kind_round_trip() {
    let cols = vec![
        Vector::from_i32(DataType::Int, vec![1, 2]),
        Vector::from_symbols(&["a", "b"]),
        Vector::from_symbols(&["c", ""]),
        Vector::from_strings(vec!["s".into(), "".into()]),
        array_vec(DataType::Double, &[&[1, 2], &[]]),
        Vector::from_values(vec![Value::int(1), Value::string("x")]),
        Vector::decimal(DataType::Decimal64, 4, Data::I64(vec![1, 2])),
    ];
    let names = (0..cols.len()).map(|i| format!("c{i}")).collect();
    let mut t = Table::new(names, cols);
    t.name = "x".into();
    round_trip(&Value::table(t));
    round_trip(&Value::table(Table::new(
        vec!["a".into()],
        vec![Vector::empty(DataType::Symbol)],
    )));
}

#[test]
fn objects_encode_as_type_codes() {
    let f = Value::Object(Arc::new(FunctionText {
        kind: 0,
        text: "def f(x){return x}".into(),
    }));
    let b = enc(&f);
    assert_eq!(&b[..3], &hex("14 00 00")[..]);
    let back = dec(&b);
    assert!(matches!(back, Value::Object(o) if o.describe() == "def f(x){return x}"));
}

#[test]
fn limits_give_errors() {
    // Nesting deeper than DEPTH_MAX.
    let mut b = Vec::new();
    for _ in 0..=DEPTH_MAX + 1 {
        b.extend(hex("19 01 01000000 01000000"));
    }
    b.extend(hex("04 00 01000000"));
    let e = decode(&b, true).unwrap_err();
    assert!(e.message.contains("nested"), "{e}");
    // Negative sizes, bad forms, bad types, bad scales.
    for bad in [
        "04 01 FFFFFFFF 01000000",
        "04 09",
        "21 00 00",
        "25 00 0A000000 00000000",
        "44 01 01000000 01000000 0000 01 00",
        "44 01 01000000 01000000 0100 03 00 01",
        "91 01 01000000 01000000 00000000 01000000 00 05000000",
    ] {
        assert!(decode(&hex(bad), true).is_err(), "{bad}");
    }
}

/// A small deterministic generator (xorshift), so the fuzz test needs no dependency.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let compressed_table = Value::table(Table::new(
        vec!["i".into(), "s".into(), "y".into()],
        vec![
            Vector::from_i32(DataType::Date, vec![1, null::I32, 3, 7]),
            Vector::from_strings(vec!["a".into(), "".into(), "bc".into(), "d".into()]),
            Vector::from_symbols(&["x", "y", "x", ""]),
        ],
    ));
    let mut lz4 = Vec::new();
    encode_compressed(&compressed_table, Method::Lz4, &mut lz4).unwrap();
    let mut delta = Vec::new();
    encode_compressed(&compressed_table, Method::Delta, &mut delta).unwrap();
    let seeds: Vec<Vec<u8>> = vec![
        lz4,
        delta,
        enc(&Value::tuple(vec![Value::int(1), Value::string("ab")])),
        enc(&Value::vector(array_vec(DataType::Int, &[&[1, 2], &[3]]))),
        enc(&Value::table(Table::new(
            vec!["a".into(), "b".into()],
            vec![
                Vector::from_symbols(&["x", "y"]),
                Vector::from_f64(vec![1.0, 2.0]),
            ],
        ))),
        enc(&Value::dict(Dict::from_vectors(
            Vector::from_i32(DataType::Int, vec![1]),
            Vector::from_strings(vec!["v".into()]),
        ))),
        enc(&Value::Matrix(Arc::new(Matrix::new(
            Vector::from_i32(DataType::Int, vec![1, 2]),
            1,
            2,
        )))),
    ];
    for round in 0..20_000 {
        let mut b: Vec<u8> = if round % 2 == 0 {
            let n = (rng.next() % 64) as usize;
            (0..n).map(|_| rng.next() as u8).collect()
        } else {
            seeds[round % seeds.len()].clone()
        };
        if !b.is_empty() {
            for _ in 0..(rng.next() % 4) {
                let i = (rng.next() as usize) % b.len();
                b[i] = rng.next() as u8;
            }
        }
        for le in [true, false] {
            let _ = decode_partial(&b, le);
            let _ = Extent::new(le).advance(&b);
        }
    }
}
