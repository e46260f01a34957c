//! LocalDfs over the real chunk store: data and metadata come back after the node reopens its
//! directory, and the store and catalog are reconciled on open.

mod common;

use std::path::Path;
use std::sync::Arc;

use cluster::dfs::{DfsConfig, LocalDfs};
use common::fresh_dir;
use script::{LocalHost, Session};
use value::Value;

fn session(dir: &Path) -> Session {
    let cfg = storage::StoreConfig {
        background: false,
        ..storage::StoreConfig::default()
    };
    let dfs = LocalDfs::open_dir(dir, DfsConfig::default(), cfg).unwrap();
    Session::new(Arc::new(LocalHost::with_dfs(Arc::new(dfs))))
}

fn run(s: &mut Session, script: &str) -> Option<Value> {
    s.run_script(script, &mut |_| {}).unwrap()
}

#[test]
fn data_survives_reopen() {
    let dir = fresh_dir("localdfs");
    {
        let mut s = session(&dir);
        run(
            &mut s,
            "t = table(take(2022.01.01..2022.01.05, 100) as d, 0..99 as x, take(`a`b`c, 100) as s)
             db = database(\"dfs://r\", VALUE, 2022.01.01..2022.01.03)
             pt = db.createPartitionedTable(t, `pt, `d)
             pt.append!(t)
             update pt set x = x + 1000 where d = 2022.01.02
             delete from pt where d = 2022.01.05",
        );
    }
    let mut s = session(&dir);
    let n = run(&mut s, "exec count(*) from loadTable(\"dfs://r\", `pt)").unwrap();
    assert_eq!(n.as_i64(), Some(80));
    let sum = run(&mut s, "exec sum(x) from loadTable(\"dfs://r\", `pt)").unwrap();
    // 0..99 minus rows with d = 01.05 (x % 5 == 4), plus 1000 for each of the 20 rows of 01.02.
    let expected: i64 = (0..100).filter(|x| x % 5 != 4).sum::<i64>() + 20 * 1000;
    assert_eq!(sum.as_i64(), Some(expected));
    let parts = run(&mut s, "schema(database(\"dfs://r\")).partitionSchema").unwrap();
    assert_eq!(parts.len(), 5);
    drop(s);
    std::fs::remove_dir_all(&dir).ok();
}

/// A DFS table handle as a client result: the table's rows (what the server sends), an error
/// past the size bound, other values untouched.
#[test]
fn a_table_handle_reaches_a_client_as_its_rows_within_a_bound() {
    let dir = fresh_dir("localdfs-client");
    let mut s = session(&dir);
    run(
        &mut s,
        "t = table(take(1..3, 1000) as id, 0..999 as x, take(`a`b, 1000) as s)
         db = database(\"dfs://cv\", VALUE, 1..3)
         db.createPartitionedTable(t, `pt, `id).append!(t)",
    );
    let handle = run(&mut s, "loadTable(\"dfs://cv\", `pt)").unwrap();
    assert!(
        matches!(handle, Value::Object(_)),
        "a handle inside scripts"
    );
    let Value::Table(t) = s
        .client_value(handle.clone(), script::CLIENT_TABLE_BYTES_MAX)
        .unwrap()
    else {
        panic!("not a table");
    };
    assert_eq!(t.rows(), 1000);
    assert_eq!(t.names, ["id", "x", "s"]);
    let mut xs: Vec<i64> = (0..t.rows())
        .map(|i| t.columns[1].get(i).as_i64().unwrap())
        .collect();
    xs.sort_unstable();
    assert_eq!(xs, (0..1000).collect::<Vec<i64>>());
    // 1000 rows are several KB: a 1 KB bound refuses them.
    let e = s.client_value(handle, 1024).unwrap_err();
    assert!(e.message().contains("too large"), "{}", e.message());
    // Anything else passes through.
    let v = s.client_value(Value::int(7), 1).unwrap();
    assert_eq!(v.as_i64(), Some(7));
    drop(s);
    std::fs::remove_dir_all(&dir).ok();
}
