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

/// Window joins: the one-pass kernels give what the general path (the aggregate called on
/// each window) gives.
#[test]
fn window_join_kernels_match_the_general_path() {
    let setup = "t1 = table(`A`A`B`B`A as sym, 5 9 4 20 30 as time, 1..5 as k)\n\
                 t2 = table(`A`A`A`B`B`A`A as sym, 1 3 6 2 5 8 9 as time, \
                 1.5 NULL 2.5 4.0 NULL 7.0 8.0 as x, 3 1 NULL 2 5 1 1 as v)\n";
    for (fast, slow) in [
        ("avg(x)", "avg(x + 0)"),
        ("sum(x)", "sum(x + 0)"),
        ("count(x)", "count(x + 0)"),
        ("min(v)", "min(v + 0)"),
        ("max(x)", "max(x + 0)"),
        ("first(x)", "first(x + 0)"),
        ("last(v)", "last(v + 0)"),
        ("wavg(x, v)", "wavg(x + 0, v)"),
    ] {
        for window in ["-3:0", "-5:-1", "0:0", "-100:100"] {
            for f in ["wj", "pwj"] {
                let q = |agg: &str| {
                    format!(
                        "{}exec c from {}(t1, t2, {}, <{} as c>, `sym`time)",
                        setup, f, window, agg
                    )
                };
                assert_eq!(run(&q(fast)), run(&q(slow)), "{} {} {}", f, fast, window);
            }
        }
    }
}
