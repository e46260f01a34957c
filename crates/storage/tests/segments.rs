//! Proves every DolphinDB type survives a trip through a Parquet segment (and through the
//! redo log and cache engine) with its exact type, scale and null sentinels.
mod common;

use common::*;
use storage::{ColumnDef, TableSchema, TabletWrite};
use value::{null, Data, DataType, SymbolVec, Table, Vector};

fn all_types() -> (TableSchema, Table) {
    use DataType::*;
    let n = 5;
    let mut defs = Vec::new();
    let mut cols = Vec::new();
    let mut add = |def: ColumnDef, v: Vector| {
        assert_eq!(v.len(), n);
        defs.push(def);
        cols.push(v);
    };
    add(
        ColumnDef::new("b", Bool),
        Vector::from_i8(Bool, vec![1, 0, null::I8, 1, 0]),
    );
    add(
        ColumnDef::new("c", Char),
        Vector::from_i8(Char, vec![65, -3, null::I8, 127, 0]),
    );
    add(
        ColumnDef::new("s", Short),
        Vector::from_i16(vec![1, -2, null::I16, i16::MAX, 0]),
    );
    for (name, ty) in [
        ("i", Int),
        ("d", Date),
        ("mo", Month),
        ("t", Time),
        ("mi", Minute),
        ("se", Second),
        ("dt", DateTime),
        ("dh", DateHour),
    ] {
        let def = ColumnDef::new(name, ty).with_compress(if name == "d" {
            storage::Compress::Delta
        } else {
            storage::Compress::Lz4
        });
        add(
            def,
            Vector::from_i32(ty, vec![1, -7, null::I32, i32::MAX, 19000]),
        );
    }
    for (name, ty) in [
        ("l", Long),
        ("ts", Timestamp),
        ("nt", NanoTime),
        ("nts", NanoTimestamp),
    ] {
        let def = ColumnDef::new(name, ty).with_compress(if name == "ts" {
            storage::Compress::Delta
        } else {
            storage::Compress::Lz4
        });
        add(
            def,
            Vector::from_i64(ty, vec![1, -7, null::I64, i64::MAX, 1_700_000_000_000]),
        );
    }
    add(
        ColumnDef::new("f", Float),
        Vector::from_f32(vec![1.5, -0.25, null::F32, f32::MAX, 0.0]),
    );
    add(
        ColumnDef::new("db", Double),
        Vector::from_f64(vec![1.5, -0.25, null::F64, 1e300, 0.0]),
    );
    add(
        ColumnDef::new("sym", Symbol),
        Vector::new(
            Symbol,
            Data::Sym(SymbolVec::from_strings(&["a", "bb", "", "a", "ccc"])),
        ),
    );
    add(
        ColumnDef::new("str", String),
        Vector::from_strings(vec![
            "x".into(),
            "".into(),
            "héllo".into(),
            "y y".into(),
            "z".into(),
        ]),
    );
    add(
        ColumnDef::new("blob", Blob),
        Vector::new(
            Blob,
            Data::Blob(vec![
                vec![0, 1, 255],
                vec![],
                b"abc".to_vec(),
                vec![9],
                vec![0],
            ]),
        ),
    );
    for (name, ty) in [("u", Uuid), ("ip", IpAddr), ("i128", Int128)] {
        add(
            ColumnDef::new(name, ty),
            Vector::new(
                ty,
                Data::I128(vec![
                    1,
                    -1,
                    0,
                    i128::MAX,
                    0x1234_5678_9abc_def0_1122_3344_5566_7788,
                ]),
            ),
        );
    }
    add(
        ColumnDef::decimal("d32", Decimal32, 2),
        Vector::decimal(Decimal32, 2, Data::I32(vec![12345, -1, null::I32, 0, 99])),
    );
    add(
        ColumnDef::decimal("d64", Decimal64, 8),
        Vector::decimal(Decimal64, 8, Data::I64(vec![12345, -1, null::I64, 0, 99])),
    );
    add(
        ColumnDef::decimal("d128", Decimal128, 20),
        Vector::decimal(
            Decimal128,
            20,
            Data::I128(vec![12345, -1, null::DECIMAL128, 0, i128::MAX]),
        ),
    );
    let schema = TableSchema::olap(defs);
    let table = Table::new(names(&schema), cols);
    (schema, table)
}

fn assert_same(a: &Table, b: &Table) {
    assert_eq!(a.rows(), b.rows());
    assert_eq!(a.names, b.names);
    for (x, y) in a.columns.iter().zip(&b.columns) {
        assert_eq!(x.ty, y.ty, "type of a column");
        assert_eq!(x.scale, y.scale, "scale of {:?}", x.ty);
        for i in 0..x.len() {
            assert_eq!(x.key_at(i), y.key_at(i), "{:?} row {i}", x.ty);
        }
    }
}

#[test]
fn every_type_round_trips_through_cache_segment_and_redo() {
    let dir = TempDir::new("types");
    let (schema, table) = all_types();
    let c = chunk(1);
    let cols = names(&schema);
    {
        let store = open(&dir);
        store
            .commit(
                1,
                1,
                vec![TabletWrite::append(
                    c.clone(),
                    "t",
                    schema.clone(),
                    table.clone(),
                )],
            )
            .unwrap();
        // From the cache engine.
        let got = store
            .scan(&c, "t", 1, &cols)
            .unwrap()
            .collect_table()
            .unwrap();
        assert_same(&table, &got);
        store.flush_all().unwrap();
        assert_eq!(store.tablet_info(&c, "t").unwrap().segments, 1);
        // From the segment.
        let got = store
            .scan(&c, "t", 1, &cols)
            .unwrap()
            .collect_table()
            .unwrap();
        assert_same(&table, &got);
        store
            .commit(
                2,
                2,
                vec![TabletWrite::append(
                    c.clone(),
                    "t",
                    schema.clone(),
                    table.clone(),
                )],
            )
            .unwrap();
        std::mem::forget(store); // a crash: no flush at close
    }
    // Row 2 from the redo log, row 1 from the segment.
    let store = open(&dir);
    let got = store
        .scan(&c, "t", 2, &cols)
        .unwrap()
        .collect_table()
        .unwrap();
    assert_eq!(got.rows(), 2 * table.rows());
    let first = store
        .scan(&c, "t", 1, &cols)
        .unwrap()
        .collect_table()
        .unwrap();
    assert_same(&table, &first);
}
