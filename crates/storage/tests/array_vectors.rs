//! Array vector columns (`DOUBLE[]`, `INT[]`, `TIMESTAMP[]`, `DECIMAL64(2)[]`, `BOOL[]`) in a
//! TSDB tablet: every row, empty rows and null cells included, comes back the same from the
//! cache engine, from a segment (also one of several row groups), after a crash (redo replay),
//! and after compaction.
mod common;

use common::*;
use storage::{ColumnDef, KeepDuplicates, TableSchema, TabletWrite};
use value::{null, Data, DataType, Key, Table, Vector};

fn schema() -> TableSchema {
    TableSchema::tsdb(
        vec![
            ColumnDef::new("ts", DataType::Timestamp),
            ColumnDef::array("d", DataType::Double),
            ColumnDef::array("i", DataType::Int),
            ColumnDef::array("t", DataType::Timestamp),
            ColumnDef {
                scale: 2,
                ..ColumnDef::array("m", DataType::Decimal64)
            },
            ColumnDef::array("b", DataType::Bool),
        ],
        &["ts"],
        KeepDuplicates::All,
    )
}

/// Row `r` has `r % 4` cells (row 0, 4, ... are empty); every seventh cell is null.
fn array(ty: DataType, scale: u8, rows: std::ops::Range<i64>) -> Vector {
    let mut offsets = vec![0u32];
    let mut cells: Vec<i64> = Vec::new();
    for r in rows {
        for k in 0..r % 4 {
            cells.push(if (r + k) % 7 == 0 {
                i64::MIN
            } else {
                r * 10 + k
            });
        }
        offsets.push(cells.len() as u32);
    }
    let data = match ty.storage() {
        value::Storage::F64 => Data::F64(
            cells
                .iter()
                .map(|&c| {
                    if c == i64::MIN {
                        null::F64
                    } else {
                        c as f64 * 0.5
                    }
                })
                .collect(),
        ),
        value::Storage::I32 => Data::I32(
            cells
                .iter()
                .map(|&c| if c == i64::MIN { null::I32 } else { c as i32 })
                .collect(),
        ),
        value::Storage::I8 => Data::I8(
            cells
                .iter()
                .map(|&c| {
                    if c == i64::MIN {
                        null::I8
                    } else {
                        (c % 2) as i8
                    }
                })
                .collect(),
        ),
        _ => Data::I64(cells),
    };
    Vector::array(Vector { ty, scale, data }, offsets)
}

fn rows(range: std::ops::Range<i64>) -> Table {
    let ts: Vec<i64> = range.clone().map(|r| 1_700_000_000_000 + r).collect();
    Table::new(
        names(&schema()),
        vec![
            Vector::from_i64(DataType::Timestamp, ts),
            array(DataType::Double, 0, range.clone()),
            array(DataType::Int, 0, range.clone()),
            array(DataType::Timestamp, 0, range.clone()),
            array(DataType::Decimal64, 2, range.clone()),
            array(DataType::Bool, 0, range),
        ],
    )
}

/// The cells of row `i` of an array vector.
fn cells(v: &Vector, i: usize) -> Vec<Key> {
    let Data::Array(a) = &v.data else {
        panic!("{:?} is not an array vector", v.ty);
    };
    a.row_range(i).map(|j| a.values.key_at(j)).collect()
}

fn assert_same(want: &Table, got: &Table) {
    assert_eq!(want.rows(), got.rows());
    for (w, g) in want.columns.iter().zip(&got.columns) {
        assert_eq!(w.ty, g.ty);
        assert_eq!(w.scale, g.scale);
        assert_eq!(w.is_array(), g.is_array(), "{:?}", w.ty);
        for i in 0..w.len() {
            if w.is_array() {
                assert_eq!(cells(w, i), cells(g, i), "{:?} row {i}", w.ty);
            } else {
                assert_eq!(w.key_at(i), g.key_at(i), "{:?} row {i}", w.ty);
            }
        }
    }
}

fn concat(a: &Table, b: &Table) -> Table {
    let cols = a
        .columns
        .iter()
        .zip(&b.columns)
        .map(|(x, y)| {
            let mut x = (**x).clone();
            assert!(x.extend(y));
            x
        })
        .collect();
    Table::new(a.names.clone(), cols)
}

#[test]
fn array_columns_survive_segments_crash_and_compaction() {
    let dir = TempDir::new("arrays");
    let schema = schema();
    let cols = names(&schema);
    let c = chunk(1);
    // More rows than one row group (segment::ROW_GROUP_ROWS, 2^17) holds.
    let second_rows = (1 << 17) + 1000;
    let first = rows(0..50);
    let second = rows(50..50 + second_rows);
    let all = concat(&first, &second);
    let scan = |store: &storage::ChunkStore, cid| {
        store
            .scan(&c, "t", cid, &cols)
            .unwrap()
            .collect_table()
            .unwrap()
    };
    {
        let store = open(&dir);
        let write = |t: &Table| {
            vec![TabletWrite::append(
                c.clone(),
                "t",
                schema.clone(),
                t.clone(),
            )]
        };
        store.commit(1, 1, write(&first)).unwrap();
        assert_same(&first, &scan(&store, 1)); // cache engine
        store.flush_all().unwrap();
        assert_same(&first, &scan(&store, 1)); // segment
        store.commit(2, 2, write(&second)).unwrap();
        store.flush_all().unwrap();
        assert_same(&all, &scan(&store, 2));
        store.commit(3, 3, write(&first)).unwrap();
        std::mem::forget(store); // a crash: commit 3 only in the redo log
    }
    let store = open(&dir);
    assert_same(&all, &scan(&store, 2));
    let with_third = scan(&store, 3);
    assert_eq!(with_third.rows(), all.rows() + first.rows());
    store.compact_all().unwrap();
    assert_same(&with_third, &scan(&store, 3));
}

#[test]
fn an_olap_schema_refuses_array_columns() {
    let s = TableSchema::olap(vec![
        ColumnDef::new("id", DataType::Int),
        ColumnDef::array("d", DataType::Double),
    ]);
    assert!(s.validate().is_err());
    let s = TableSchema::tsdb(
        vec![
            ColumnDef::new("ts", DataType::Timestamp),
            ColumnDef::array("s", DataType::String),
        ],
        &["ts"],
        KeepDuplicates::All,
    );
    assert!(s.validate().is_err(), "STRING[] is not storable");
}
