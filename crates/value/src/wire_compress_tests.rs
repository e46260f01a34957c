// Proves compressed vectors (type 26) and compressed tables (type 8, §5.13): hand-built
// known-answer bytes for LZ4 and delta-of-delta decode, our encoder writes those same bytes,
// every column type round-trips through both methods and byte orders, bad headers are errors,
// inflation is bounded, and random mutations of compressed objects never panic.

use super::tests::{dec_in as dec, enc as plain, hex, truncations, Rng};
use super::*;
use crate::null;

fn compressed(v: &Value, method: Method, le: bool) -> Vec<u8> {
    let mut out = Vec::new();
    encode_compressed_with(v, method, le, &mut out).unwrap();
    out
}

fn table(cols: Vec<Vector>) -> Value {
    let names = (0..cols.len()).map(|i| format!("c{i}")).collect();
    Value::table(Table::new(names, cols))
}

/// The header of an INT column [1, 2, 3] compressed with `method` into `blocks` bytes.
fn int_header(method: u8, blocks: usize) -> String {
    format!(
        "1A 01 {:08X} 01000000 00 01 FF {method:02X} 04 04 0000 00000000 03000000 FFFFFFFF",
        ((20 + blocks) as u32).swap_bytes()
    )
}

/// An LZ4 block of 12 literals (token C0) holding INT 1, 2, 3: a block too short to match.
const LZ4_INTS: &str = "0D000000 C0 01000000 02000000 03000000";

#[test]
fn lz4_int_vector_known_answer() {
    let b = hex(&(int_header(1, 17) + LZ4_INTS));
    let expect = Value::vector(Vector::from_i32(DataType::Int, vec![1, 2, 3]));
    assert_eq!(plain(&dec(&b, true)), plain(&expect));
    // The same column in a compressed table, which is what our encoder writes byte for byte.
    let mut t = hex("08 06 03000000 01000000 00 6300");
    t.extend(&b);
    let named = Value::table(Table::new(
        vec!["c".into()],
        vec![Vector::from_i32(DataType::Int, vec![1, 2, 3])],
    ));
    assert_eq!(plain(&dec(&t, true)), plain(&named));
    assert_eq!(compressed(&named, Method::Lz4, true), t);
}

/// Bits written most significant first, padded to whole 64-bit words, as little-endian bytes.
fn words(bits: &str) -> Vec<u8> {
    let mut s: String = bits.chars().filter(|c| *c == '0' || *c == '1').collect();
    let total = (s.len() / 64 + 1) * 64;
    s.extend(std::iter::repeat_n('0', total - s.len()));
    (0..total / 64)
        .flat_map(|w| {
            u64::from_str_radix(&s[w * 64..w * 64 + 64], 2)
                .unwrap()
                .to_le_bytes()
        })
        .collect()
}

#[test]
fn delta_of_delta_int_vector_known_answer() {
    // 1, 2, 3: flag, zigzag(1) in 32 bits, flag, zigzag(first delta 1) in 32 bits, `0` (same
    // delta), then the end marker `111110` + 64 ones, then one zero bit: 138 bits, 3 words.
    let bits = format!("1 {:032b} 1 {:032b} 0 111110 {} 0", 2, 2, "1".repeat(64));
    let block = words(&bits);
    assert_eq!(block.len(), 24);
    let mut b = hex(&int_header(2, 4 + block.len()));
    b.extend(hex("18000000"));
    b.extend(&block);
    let expect = Value::vector(Vector::from_i32(DataType::Int, vec![1, 2, 3]));
    assert_eq!(plain(&dec(&b, true)), plain(&expect));
    let t = table(vec![Vector::from_i32(DataType::Int, vec![1, 2, 3])]);
    let ours = compressed(&t, Method::Delta, true);
    assert!(ours.ends_with(&b), "our delta encoding differs");
    // Nulls: leading `0`, `111111` in the middle; a step change costs `10` + 7 bits.
    let bits = format!(
        "0 1 {:032b} 1 {:032b} 111111 10 {:07b} 111110 {} 0",
        20,
        2,
        // deltas 1 then 2 (null skipped): dod 1, zigzag 2, minus 1 = 1
        1,
        "1".repeat(64)
    );
    let block = words(&bits);
    let mut b = hex(&format!(
        "1A 01 {:08X} 01000000 00 01 FF 02 06 04 0000 00000000 05000000 FFFFFFFF {:08X}",
        ((24 + block.len()) as u32).swap_bytes(),
        (block.len() as u32).swap_bytes()
    ));
    b.extend(&block);
    let expect = Vector::from_i32(DataType::Date, vec![null::I32, 10, 11, null::I32, 13]);
    assert_eq!(plain(&dec(&b, true)), plain(&Value::vector(expect)));
}

#[test]
fn decimal_scale_comes_from_the_header() {
    // DECIMAL32(2) [1.00, 2.50] with LZ4: reserved = extra = 2, no scale in the blocks.
    let b = hex(
        "1A 01 21000000 01000000 00 01 FF 01 25 04 0200 02000000 02000000 FFFFFFFF
         09000000 80 64000000 FA000000",
    );
    let v = dec(&b, true);
    let want = Vector::decimal(DataType::Decimal32, 2, Data::I32(vec![100, 250]));
    assert_eq!(plain(&v), plain(&Value::vector(want.clone())));
    let t = table(vec![want]);
    let c = compressed(&t, Method::Lz4, true);
    assert!(c.ends_with(&b));
}

fn every_column(rows: usize) -> Vec<Vector> {
    use DataType::*;
    let i = |k: usize| k as i64 * 7 - 3;
    let nth_null = |k: usize| k % 5 == 3;
    let i8s: Vec<i8> = (0..rows)
        .map(|k| {
            if nth_null(k) {
                null::I8
            } else {
                (k % 100) as i8
            }
        })
        .collect();
    let i16s: Vec<i16> = (0..rows)
        .map(|k| if nth_null(k) { null::I16 } else { i(k) as i16 })
        .collect();
    let i32s: Vec<i32> = (0..rows)
        .map(|k| if nth_null(k) { null::I32 } else { i(k) as i32 })
        .collect();
    let i64s: Vec<i64> = (0..rows)
        .map(|k| {
            if nth_null(k) {
                null::I64
            } else {
                1_650_000_000_000 + i(k) * 1000
            }
        })
        .collect();
    let strs: Vec<std::string::String> = (0..rows)
        .map(|k| {
            if nth_null(k) {
                std::string::String::new()
            } else {
                format!("s{}中", k % 13)
            }
        })
        .collect();
    let mut cols = vec![
        Vector::from_i8(
            Bool,
            i8s.iter()
                .map(|&b| if b == null::I8 { b } else { b & 1 })
                .collect(),
        ),
        Vector::from_i8(Char, i8s.clone()),
        Vector::from_i16(i16s.clone()),
        Vector::from_f32(
            (0..rows)
                .map(|k| {
                    if nth_null(k) {
                        null::F32
                    } else {
                        k as f32 / 4.0
                    }
                })
                .collect(),
        ),
        Vector::from_f64(
            (0..rows)
                .map(|k| {
                    if nth_null(k) {
                        null::F64
                    } else {
                        k as f64 * 1.5
                    }
                })
                .collect(),
        ),
        Vector::from_strings(strs.clone()),
        Vector::from_symbols(&strs),
        Vector::new(
            Blob,
            Data::Blob(strs.iter().map(|s| s.as_bytes().to_vec()).collect()),
        ),
        Vector::decimal(Decimal32, 3, Data::I32(i32s.clone())),
        Vector::decimal(Decimal64, 10, Data::I64(i64s.clone())),
        Vector::decimal(
            Decimal128,
            20,
            Data::I128(
                i64s.iter()
                    .map(|&x| {
                        if x == null::I64 {
                            null::DECIMAL128
                        } else {
                            x as i128 * 7
                        }
                    })
                    .collect(),
            ),
        ),
    ];
    for ty in [Int, Date, Month, Time, Minute, Second, DateTime, DateHour] {
        cols.push(Vector::from_i32(
            ty,
            i32s.iter()
                .map(|&x| {
                    if x == null::I32 {
                        x
                    } else {
                        x.rem_euclid(80_000)
                    }
                })
                .collect(),
        ));
    }
    for ty in [Long, Timestamp, NanoTime, NanoTimestamp] {
        cols.push(Vector::from_i64(ty, i64s.clone()));
    }
    for ty in [Uuid, IpAddr, Int128] {
        let x = (0..rows)
            .map(|k| {
                if nth_null(k) {
                    0
                } else {
                    (k as i128) << 70 | 5
                }
            })
            .collect();
        cols.push(Vector::new(ty, Data::I128(x)));
    }
    let mut offsets = vec![0u32];
    let mut cells = Vec::new();
    for k in 0..rows {
        cells.extend((0..k % 3).map(|j| (k + j) as i32));
        offsets.push(cells.len() as u32);
    }
    cols.push(Vector::array(Vector::from_i32(Int, cells), offsets));
    cols.push(Vector::from_values(
        (0..rows).map(|k| Value::int(k as i32)).collect(),
    ));
    cols
}

/// The bytes of each column object in a table encoding.
fn column_slices(b: &[u8]) -> Vec<&[u8]> {
    let (v, _) = decode(b, true).unwrap().unwrap();
    let Value::Table(t) = v else {
        panic!("not a table")
    };
    // Past the header, rows, cols, the table name and the column names.
    let mut pos = 10;
    for _ in 0..=t.names.len() {
        pos += b[pos..].iter().position(|&c| c == 0).unwrap() + 1;
    }
    let mut cols = Vec::new();
    for _ in &t.columns {
        let (_, n) = decode(&b[pos..], true).unwrap().unwrap();
        cols.push(&b[pos..pos + n]);
        pos += n;
    }
    assert_eq!(pos, b.len());
    cols
}

/// The type byte of each column object in a table encoding.
fn column_codes(b: &[u8]) -> Vec<u8> {
    column_slices(b).iter().map(|c| c[0]).collect()
}

/// What the official Python client 3.0.6.1 sent for `MultithreadedTableWriter(...,
/// compressMethods=["DELTA", "LZ4", "DELTA", "LZ4", "DELTA"])` writing five rows with nulls
/// into `table(1:0, `i`l`ts`s`d, [INT, LONG, TIMESTAMP, STRING, DATE])` (captured between the
/// client and porpoise).
const PYTHON_MTW_TABLE: &str = "\
    080605000000050000000069006c00747300730064001a0138000000010000000001ff02040400000000000005\
    000000ffffffff200000000000002001000080e801f075841e009effffffffffdf17480000000000e0ffff1a01\
    2f000000010000000001ff01050800000000000005000000ffffffff17000000290a00010023801e0f00132808\
    008032000000000000001a0138000000010000000001ff020c0800000000000005000000ffffffff2000000000\
    9cef127e0100800000000000000040efb7df3229f882bff0ffffffffffffff1a0124000000010000000001ff01\
    12ff00000000000005000000ffffffff0c000000b061000063636300006464001a0130000000010000000001ff\
    02060400000000000005000000ffffffff1800000000000020334a0080fffffffb21032e50000000fcffffffff";

fn python_mtw_rows() -> Value {
    use DataType::*;
    let t0 = 1_640_995_200_000i64; // 2022.01.01T00:00:00.000
    let d0 = 18_995; // 2022.01.03
    let n32 = null::I32;
    let n64 = null::I64;
    Value::table(Table::new(
        ["i", "l", "ts", "s", "d"].map(|n| n.to_string()).to_vec(),
        vec![
            Vector::from_i32(Int, vec![1, n32, 3, 1_000_000, -5]),
            Vector::from_i64(Long, vec![10, n64, 30, 40, 50]),
            Vector::from_i64(Timestamp, vec![t0, t0 + 1, n64, t0 + 5, t0 + 86_400_000]),
            Vector::from_strings(["a", "", "ccc", "", "dd"].map(|s| s.to_string()).to_vec()),
            Vector::from_i32(Date, vec![d0, n32, d0 + 1, d0, d0 + 400]),
        ],
    ))
}

#[test]
fn python_client_compressed_upload_known_answer() {
    let b = hex(PYTHON_MTW_TABLE);
    let want = python_mtw_rows();
    assert_eq!(plain(&dec(&b, true)), plain(&want));
    // Our encoder writes the client's bytes exactly: delta-of-delta for the INT, TIMESTAMP and
    // DATE columns, LZ4 for the LONG and STRING columns.
    let theirs = column_slices(&b);
    let delta = compressed(&want, Method::Delta, true);
    let ours = column_slices(&delta);
    for k in [0, 2, 4] {
        assert_eq!(ours[k], theirs[k], "column {k}");
    }
    let lz4 = compressed(&want, Method::Lz4, true);
    assert_eq!(plain(&dec(&lz4, true)), plain(&want));
    let ours = column_slices(&lz4);
    for k in [1, 3] {
        assert_eq!(ours[k], theirs[k], "column {k}");
    }
}

#[test]
fn every_column_type_round_trips_compressed() {
    for rows in [1usize, 7, 40_000] {
        let t = table(every_column(rows));
        let want = plain(&t);
        for method in [Method::Lz4, Method::Delta] {
            for le in [true, false] {
                let b = compressed(&t, method, le);
                assert_eq!(b[if le { 0 } else { 1 }], 8, "table type byte");
                let back = dec(&b, le);
                assert_eq!(plain(&back), want, "rows {rows} {method:?} le {le}");
            }
            if rows == 40_000 {
                // Big columns span several blocks and shrink.
                let b = compressed(&t, method, true);
                assert!(
                    b.len() * 5 < want.len() * 3,
                    "{method:?}: {} vs {}",
                    b.len(),
                    want.len()
                );
            }
        }
        // Which columns go compressed: everything but SYMBOL, array vectors and ANY.
        let codes = column_codes(&compressed(&t, Method::Lz4, true));
        let n = codes.len();
        assert_eq!(codes[6], 0x91, "symbol columns stay plain (145)");
        assert_eq!(&codes[n - 2..], &[64 + 4, 25]);
        let rest: Vec<u8> = codes[..n - 2]
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != 6)
            .map(|(_, c)| *c)
            .collect();
        assert!(rest.iter().all(|&c| c == 26), "{codes:?}");
    }
}

#[test]
fn empty_and_plain_tables_compress_as_the_sdk_sends_them() {
    let t = table(every_column(0));
    let b = compressed(&t, Method::Lz4, true);
    assert_eq!(b[0], 8);
    assert!(
        column_codes(&b).iter().all(|&c| c != 26),
        "empty columns stay plain"
    );
    assert_eq!(plain(&dec(&b, true)), plain(&t));
    // Not a table: written as `encode` writes it.
    let v = Value::vector(Vector::from_i32(DataType::Int, vec![1, 2]));
    assert_eq!(compressed(&v, Method::Lz4, true), plain(&v));
    // The Python client's compress=True upload: type 8, plain columns.
    let b = hex("08 06 02000000 01000000 00 6900 04 01 02000000 01000000 01000000 02000000");
    let back = dec(&b, true);
    assert_eq!(plain(&back)[2..], b[2..]);
}

#[test]
fn truncated_compressed_objects_ask_for_more() {
    let t = table(every_column(6));
    for method in [Method::Lz4, Method::Delta] {
        // Every prefix is incomplete and asks for no more than the object (the extent too).
        truncations(&compressed(&t, method, true), true);
    }
}

#[test]
fn bad_compressed_vectors_are_errors() {
    let lz4 = int_header(1, 17) + LZ4_INTS;
    let cases = [
        // byteSize below 20.
        "1A 01 10000000 01000000 00 01 FF 01 04 04 0000 00000000 03000000 FFFFFFFF".to_string(),
        // Unknown method 3.
        lz4.replacen("FF 01 04", "FF 03 04", 1),
        // Block size 0, and larger than the LZ4 bound.
        int_header(1, 4) + "00000000",
        int_header(1, 4) + "FFFF0100",
        // A block running past byteSize.
        int_header(1, 17) + "0E000000 C0 01000000 02000000 03000000",
        // More elements than the blocks hold.
        lz4.replacen("03000000 FFFFFFFF", "04000000 FFFFFFFF", 1),
        // Negative element count.
        lz4.replacen("03000000 FFFFFFFF", "FFFFFFFF FFFFFFFF", 1),
        // Not LZ4 at all.
        int_header(1, 17) + "0D000000 F0 01000000 02000000 03000000",
        // Delta on a STRING column, and on a mismatched unit length.
        lz4.replacen("FF 01 04 04", "FF 02 12 04", 1),
        lz4.replacen("FF 01 04 04", "FF 02 04 08", 1),
        // Data types that cannot be compressed: ANY, COMPRESS, VOID, unknown.
        lz4.replacen("FF 01 04 04", "FF 01 19 04", 1),
        lz4.replacen("FF 01 04 04", "FF 01 1A 04", 1),
        lz4.replacen("FF 01 04 04", "FF 01 00 04", 1),
        lz4.replacen("FF 01 04 04", "FF 01 21 04", 1),
        // A decimal with a scale out of range.
        "1A 01 21000000 01000000 00 01 FF 01 25 04 0A00 0A000000 02000000 FFFFFFFF
         09000000 80 64000000 FA000000"
            .to_string(),
    ];
    for c in &cases {
        let r = decode(&hex(c), true);
        assert!(r.is_err(), "{c} gave {r:?}");
    }
}

#[test]
fn inflation_is_bounded() {
    // 64 KiB of zeros compress to a few hundred bytes; a budget of 1000 refuses them.
    let raw = vec![0u8; BLOCK_RAW_BYTES_MAX];
    let mut blocks = Vec::new();
    compress::deflate_lz4(&raw, None, true, &mut blocks);
    assert!(blocks.len() < 1000);
    let h = CompressHeader {
        byte_size: (20 + blocks.len()) as i32,
        col_count: 1,
        version: 0,
        flag: 1,
        char_code: -1,
        method: 1,
        data_type: DataType::Long as u8,
        unit_length: 8,
        reserved: 0,
        extra: 0,
        element_count: (BLOCK_RAW_BYTES_MAX / 8) as i32,
        check_sum: -1,
    };
    let mut out = Vec::new();
    let mut budget = 1000;
    assert!(compress::inflate(&h, &blocks, Some(8), true, &mut budget, &mut out).is_err());
    let mut budget = BLOCK_RAW_BYTES_MAX;
    out.clear();
    compress::inflate(&h, &blocks, Some(8), true, &mut budget, &mut out).unwrap();
    assert_eq!((out.len(), budget), (BLOCK_RAW_BYTES_MAX, 0));
    // A header that claims 2^31-1 elements allocates only what its blocks inflate to.
    let mut b = hex(&(int_header(1, 17) + LZ4_INTS));
    b[24..28].copy_from_slice(&i32::MAX.to_le_bytes());
    assert!(decode(&b, true).is_err());
}

#[test]
fn mutated_compressed_objects_never_panic() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let small = table(every_column(9));
    let seeds = [
        compressed(&small, Method::Lz4, true),
        compressed(&small, Method::Delta, true),
        compressed(&small, Method::Delta, false),
        hex(&(int_header(1, 17) + LZ4_INTS)),
    ];
    for round in 0..6_000 {
        let mut b = seeds[round % seeds.len()].clone();
        for _ in 0..1 + rng.next() % 4 {
            let i = (rng.next() as usize) % b.len();
            b[i] = rng.next() as u8;
        }
        if round % 5 == 0 {
            let cut = (rng.next() as usize) % b.len();
            b.truncate(cut);
        }
        for le in [true, false] {
            let _ = decode_partial(&b, le);
        }
    }
}
