//! A TAQ-like quote table (time, sym, bid, ask, bidSize, askSize), shared by the size test and
//! the `taq` example.
#![allow(dead_code)]

use storage::{ColumnDef, TableSchema};
use value::{DataType, Table, Vector};

/// Raw bytes per row as DolphinDB holds it in memory: 8 + 4 (symbol code) + 8 + 8 + 4 + 4.
pub const RAW_ROW_BYTES: u64 = 36;

pub fn schema() -> TableSchema {
    TableSchema::olap(vec![
        ColumnDef::new("time", DataType::Timestamp),
        ColumnDef::new("sym", DataType::Symbol),
        ColumnDef::new("bid", DataType::Double),
        ColumnDef::new("ask", DataType::Double),
        ColumnDef::new("bidSize", DataType::Int),
        ColumnDef::new("askSize", DataType::Int),
    ])
}

/// `n` quotes starting at `t0` ms, 500 symbols, prices on a cent grid.
pub fn quotes(n: usize, t0: i64, seed: &mut u64) -> Table {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    let syms: Vec<String> = (0..500).map(|i| format!("S{i:03}")).collect();
    let mut time = Vec::with_capacity(n);
    let mut sym = Vec::with_capacity(n);
    let mut bid = Vec::with_capacity(n);
    let mut ask = Vec::with_capacity(n);
    let mut bs = Vec::with_capacity(n);
    let mut asz = Vec::with_capacity(n);
    let mut t = t0;
    let mut px = [10_000i64; 500];
    for _ in 0..n {
        t += (next() % 3) as i64;
        let s = (next() % 500) as usize;
        px[s] = (px[s] + (next() % 7) as i64 - 3).max(100);
        time.push(t);
        sym.push(syms[s].as_str());
        bid.push(px[s] as f64 / 100.0);
        ask.push((px[s] + 1 + (next() % 3) as i64) as f64 / 100.0);
        bs.push(((next() % 50) as i32 + 1) * 100);
        asz.push(((next() % 50) as i32 + 1) * 100);
    }
    Table::new(
        ["time", "sym", "bid", "ask", "bidSize", "askSize"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        vec![
            Vector::from_i64(DataType::Timestamp, time),
            Vector::from_symbols(&sym),
            Vector::from_f64(bid),
            Vector::from_f64(ask),
            Vector::from_i32(DataType::Int, bs),
            Vector::from_i32(DataType::Int, asz),
        ],
    )
}
