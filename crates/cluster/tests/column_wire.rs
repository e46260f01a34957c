//! Array vector columns through the replicated write and read path: a column definition as
//! `ColumnWire` inside an RPC blob comes back with its cell type and array flag, and a table of
//! array vector columns (the rows a prepare or a read carries) round-trips the value wire.

use std::sync::Arc;

use cluster::replica::ColumnWire;
use cluster::rpc::{from_blob, to_blob};
use script::dfs::ColumnSpec;
use value::{DataType, Table, Value, Vector};

fn spec(name: &str, ty: DataType, array: bool) -> ColumnSpec {
    ColumnSpec {
        name: name.to_string(),
        ty,
        scale: if ty.is_decimal() { 2 } else { 0 },
        array,
        compress: "lz4".to_string(),
    }
}

#[test]
fn array_column_definitions_survive_the_wire() {
    let specs = vec![
        spec("id", DataType::Int, false),
        spec("bids", DataType::Double, true),
        spec("ts", DataType::Timestamp, true),
        spec("qty", DataType::Long, true),
        spec("px", DataType::Decimal64, true),
        spec("flags", DataType::Bool, true),
    ];
    let wire: Vec<ColumnWire> = specs.iter().map(ColumnWire::of).collect();
    let blob = to_blob(&wire).unwrap();
    let back: Vec<ColumnWire> = from_blob(Some(&blob)).unwrap();
    let back: Vec<ColumnSpec> = back.iter().map(ColumnWire::spec).collect();
    assert_eq!(back, specs);
}

fn array_column(ty: DataType, rows: &[&[f64]]) -> Vector {
    let mut offsets = vec![0u32];
    let mut cells = Vec::new();
    for r in rows {
        cells.extend_from_slice(r);
        offsets.push(cells.len() as u32);
    }
    let values = value::convert::cast(&Vector::from_f64(cells), ty, 0).unwrap();
    Vector::array(values, offsets)
}

#[test]
fn tables_of_array_columns_survive_the_value_wire() {
    let rows: &[&[f64]] = &[&[1.0, 2.5], &[], &[3.0, 4.0, 5.0]];
    let t = Table::new(
        vec!["id".into(), "d".into(), "ts".into(), "i".into()],
        vec![
            Vector::from_i32(DataType::Int, vec![1, 2, 3]),
            array_column(DataType::Double, rows),
            array_column(DataType::Timestamp, rows),
            array_column(DataType::Int, rows),
        ],
    );
    let mut bytes = Vec::new();
    value::wire::encode(&Value::Table(Arc::new(t.clone())), &mut bytes).unwrap();
    let (back, _) = value::wire::decode(&bytes, true).unwrap().unwrap();
    let Value::Table(back) = back else {
        panic!("not a table: {back:?}");
    };
    for (a, b) in t.columns.iter().zip(&back.columns) {
        assert_eq!(a.ty, b.ty);
        assert_eq!(a.is_array(), b.is_array());
        assert_eq!(
            value::display::to_display(&Value::vector((**a).clone())),
            value::display::to_display(&Value::vector((**b).clone()))
        );
    }
}
