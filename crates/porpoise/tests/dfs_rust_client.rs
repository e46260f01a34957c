//! A DFS database on one node driven end to end through the official Rust client (`dolphindb`
//! 3.3.1), as an application would: create a COMPO (VALUE + HASH) database and table by
//! script, append client-built tables with `tableInsert{loadTable(...)}` function requests and
//! with an uploaded variable and `tableInsert`, read them back and compare every figure with the
//! same computation done here in Rust; a missing table and a table of the wrong shape are
//! errors that leave the data as it was.

mod common;

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::time::Duration;

use common::*;
use dolphindb::types::{
    ArrayVectorImpl, ConstantImpl, DoubleArrayVector, DoubleVector, IntArrayVector, IntVector,
    SymbolVector, TableBuilder, VectorImpl,
};

const UP: Duration = Duration::from_secs(60);
const SYMS: [&str; 5] = ["AAPL", "IBM", "MSFT", "GOOG", "C"];

/// Rows `from..to` of the test data: (k, sym, price, qty).
fn rows(from: usize, to: usize) -> Vec<(i32, &'static str, f64, i32)> {
    (from..to)
        .map(|i| {
            (
                (i % 3) as i32 + 1,
                SYMS[i % SYMS.len()],
                i as f64 * 0.25,
                (i * 7 % 101) as i32,
            )
        })
        .collect()
}

fn table_of(r: &[(i32, &str, f64, i32)]) -> ConstantImpl {
    let k: Vec<i32> = r.iter().map(|x| x.0).collect();
    let sym: Vec<&str> = r.iter().map(|x| x.1).collect();
    let price: Vec<f64> = r.iter().map(|x| x.2).collect();
    let qty: Vec<i32> = r.iter().map(|x| x.3).collect();
    let mut tb = TableBuilder::new();
    tb.with_contents(
        vec![
            VectorImpl::from(IntVector::from_raw(&k)),
            VectorImpl::from(SymbolVector::from_raw(&sym)),
            VectorImpl::from(DoubleVector::from_raw(&price)),
            VectorImpl::from(IntVector::from_raw(&qty)),
        ],
        ["k", "sym", "price", "qty"].map(String::from).to_vec(),
    );
    tb.build().unwrap().into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dfs_database_through_the_rust_client() {
    let dir = temp_dir("dfs-rust-client");
    let port = 21_000 + free_offset(&[21_000], 23);
    let _node = single_node(&dir, "node1", port, &[("-dataSync", "1")]);
    wait_serving(port, UP).await;
    let mut c = client(port).await.unwrap();

    c.run_script(
        r#"db = database("dfs://rust_client", COMPO, [database("", VALUE, 1..3), database("", HASH, [SYMBOL, 4])])
           t = table(1:0, `k`sym`price`qty, [INT, SYMBOL, DOUBLE, INT])
           pt = db.createPartitionedTable(t, `pt, `k`sym)"#,
    )
    .await
    .unwrap();

    // Two appends as function requests, one through an uploaded variable.
    let all = rows(0, 1500);
    let insert = r#"tableInsert{loadTable("dfs://rust_client", "pt")}"#;
    let n = c
        .run_function(insert, &[table_of(&all[..1000])])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.to_string(), "1000");
    c.run_function(insert, &[table_of(&all[1000..1200])])
        .await
        .unwrap();
    let mut vars = HashMap::new();
    vars.insert("batch".to_string(), table_of(&all[1200..]));
    c.upload(&vars).await.unwrap();
    assert_eq!(
        text(
            &mut c,
            r#"tableInsert(loadTable("dfs://rust_client", "pt"), batch)"#
        )
        .await
        .unwrap(),
        "300"
    );

    // Read back: counts, sums per symbol, one partition's rows in order.
    let pt = r#"loadTable("dfs://rust_client", "pt")"#;
    assert_eq!(
        text(&mut c, &format!("exec count(*) from {pt}"))
            .await
            .unwrap(),
        "1500"
    );
    let mut want: BTreeMap<&str, (i64, f64)> = BTreeMap::new();
    for r in &all {
        let e = want.entry(r.1).or_default();
        e.0 += r.3 as i64;
        e.1 += r.2;
    }
    let got = c
        .run_script(&format!(
            "select sum(qty) as q, sum(price) as p from {pt} group by sym order by sym"
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        column(&got, "sym"),
        want.keys().map(|s| s.to_string()).collect::<Vec<_>>()
    );
    let q: Vec<i64> = column(&got, "q")
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(q, want.values().map(|v| v.0).collect::<Vec<_>>());
    let p: Vec<f64> = column(&got, "p")
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    for (g, w) in p.iter().zip(want.values()) {
        assert!(
            (g - w.1).abs() < 1e-6 * w.1.abs().max(1.0),
            "sum(price) {g} != {}",
            w.1
        );
    }
    let got = c
        .run_script(&format!(
            "select qty from {pt} where k = 2, sym = `IBM order by price"
        ))
        .await
        .unwrap()
        .unwrap();
    let want_qty: Vec<String> = all
        .iter()
        .filter(|r| r.0 == 2 && r.1 == "IBM")
        .map(|r| r.3.to_string())
        .collect();
    assert!(!want_qty.is_empty());
    assert_eq!(column(&got, "qty"), want_qty);

    // Errors: a missing table, then a table with a column too few; nothing is written.
    let e = c
        .run_script(r#"loadTable("dfs://rust_client", "nope")"#)
        .await
        .expect_err("a missing table is an error");
    assert!(e.to_string().contains("nope"), "{e}");
    let e = c
        .run_function(
            r#"tableInsert{loadTable("dfs://rust_client", "nope")}"#,
            &[table_of(&all[..3])],
        )
        .await
        .expect_err("inserting into a missing table is an error");
    assert!(e.to_string().contains("nope"), "{e}");
    let mut tb = TableBuilder::new();
    tb.with_contents(
        vec![VectorImpl::from(IntVector::from_raw(&[1, 2]))],
        vec!["k".to_string()],
    );
    let narrow: ConstantImpl = tb.build().unwrap().into();
    c.run_function(insert, &[narrow])
        .await
        .expect_err("a table of the wrong shape is refused");
    assert_eq!(
        text(&mut c, &format!("exec count(*) from {pt}"))
            .await
            .unwrap(),
        "1500"
    );
    // The connection is still usable after the errors.
    assert_eq!(text(&mut c, "1 + 1").await.unwrap(), "2");

    // A table handle as the script's value comes back as the table's rows (DolphinDB sends a
    // DFS table as a TABLE form), which the client reads; so does `append!`'s value.
    let whole = c.run_script(pt).await.unwrap().unwrap();
    let mut qty: Vec<i64> = column(&whole, "qty")
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    let mut want_qty: Vec<i64> = all.iter().map(|r| r.3 as i64).collect();
    qty.sort_unstable();
    want_qty.sort_unstable();
    assert_eq!(qty, want_qty);
    let appended = c
        .run_script(&format!(
            "{pt}.append!(table(1 as k, `IBM as sym, 0.5 as price, 9 as qty))"
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(column(&appended, "qty").len(), 1501);

    array_vector_columns(&mut c).await;
}

/// A TSDB table with DOUBLE[] and INT[] columns: appended from client-built array vectors
/// (empty rows included), read back by select and as a `loadTable` result, rowSum checked.
async fn array_vector_columns(c: &mut dolphindb::client::Client) {
    c.run_script(
        r#"db = database("dfs://rust_arrays", VALUE, 1..3, engine="TSDB")
           t = table(1:0, `k`seq`bids`sizes, [INT, INT, DOUBLE[], INT[]])
           pt = db.createPartitionedTable(t, `pt, `k, sortColumns=`seq)"#,
    )
    .await
    .unwrap();
    let n = 300;
    let mut bids = DoubleArrayVector::new();
    let mut sizes = IntArrayVector::new();
    let mut sums = Vec::new();
    for i in 0..n {
        let len = i % 4;
        bids.push((0..len).map(|j| i as f64 * 0.5 + j as f64).collect());
        let row: Vec<i32> = (0..len).map(|j| (i * 3 + j) as i32).collect();
        sums.push(row.iter().map(|&x| x as i64).sum::<i64>());
        sizes.push(row);
    }
    let bids = VectorImpl::ArrayVector(ArrayVectorImpl::Double(bids));
    let sizes = VectorImpl::ArrayVector(ArrayVectorImpl::Int(sizes));
    let mut tb = TableBuilder::new();
    tb.with_contents(
        vec![
            VectorImpl::from(IntVector::from_raw(&vec![1; n])),
            VectorImpl::from(IntVector::from_raw(&(0..n as i32).collect::<Vec<_>>())),
            bids.clone(),
            sizes.clone(),
        ],
        ["k", "seq", "bids", "sizes"].map(String::from).to_vec(),
    );
    let rows: ConstantImpl = tb.build().unwrap().into();
    let inserted = c
        .run_function(
            r#"tableInsert{loadTable("dfs://rust_arrays", "pt")}"#,
            &[rows],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inserted.to_string(), n.to_string());
    let col = |t: &ConstantImpl, name: &str| -> String {
        let ConstantImpl::Table(t) = t else {
            panic!("not a table: {t}")
        };
        t.get_columns_by_name(name).unwrap().to_string()
    };
    let got = c
        .run_script(
            r#"select seq, bids, sizes, rowSum(sizes) as s from loadTable("dfs://rust_arrays", "pt") order by seq"#,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(col(&got, "bids"), bids.to_string());
    assert_eq!(col(&got, "sizes"), sizes.to_string());
    let s: Vec<i64> = column(&got, "s")
        .iter()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    assert_eq!(s, sums);
    // One partition, sorted by seq: the handle's rows come in the same order.
    let whole = c
        .run_script(r#"loadTable("dfs://rust_arrays", "pt")"#)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(col(&whole, "bids"), bids.to_string());
}
