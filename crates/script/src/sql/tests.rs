//! Unit tests of SQL execution through a session: each runs a script and checks the value.

use std::sync::Arc;

use crate::{LocalHost, Session};

fn run(script: &str) -> String {
    let mut s = Session::new(Arc::new(LocalHost::new()));
    match s.run_script(script, &mut |_| {}) {
        Ok(Some(v)) => value::display::to_display(&v),
        Ok(None) => String::new(),
        Err(e) => format!("ERROR: {}", e),
    }
}

#[test]
fn select_where_group() {
    let out = run(
        "t = table(1 2 3 1 as k, 10 20 30 40 as v)\nselect sum(v) from t where v > 10 group by k",
    );
    assert_eq!(out, "k sum_v\n- -----\n1 40\n2 20\n3 30");
}
