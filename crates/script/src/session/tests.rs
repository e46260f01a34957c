//! Session behaviour: results of statements, variables across requests, errors, limits.

use super::*;

fn session() -> Session {
    Session::new(Arc::new(LocalHost::new()))
}

fn run(s: &mut Session, text: &str) -> (Result<Option<Value>>, Vec<String>) {
    let mut printed = Vec::new();
    let r = s.run_script(text, &mut |t| printed.push(t.to_string()));
    (r, printed)
}

fn show(s: &mut Session, text: &str) -> String {
    match run(s, text).0 {
        Ok(Some(v)) => value::display::to_display(&v),
        Ok(None) => "<none>".into(),
        Err(e) => format!("error: {}", e),
    }
}

#[test]
fn statement_values() {
    let mut s = session();
    assert_eq!(show(&mut s, "x=1;x"), "1");
    assert_eq!(show(&mut s, "y = 2"), "<none>");
    assert_eq!(show(&mut s, "x + y"), "3");
    assert!(matches!(run(&mut s, "NULL").0, Ok(Some(v)) if v.is_void()));
    assert_eq!(show(&mut s, "def f(a) { return a * 2 }"), "<none>");
    assert_eq!(show(&mut s, "f(21)"), "42");
}

#[test]
fn prints_and_errors() {
    let mut s = session();
    let (r, printed) = run(&mut s, "print 1+1\nprint(\"a\")");
    assert!(matches!(r, Ok(None)));
    assert_eq!(printed, vec!["2", "a"]);
    assert_eq!(
        show(&mut s, "foo(1)"),
        "error: Can't recognize function name foo"
    );
    assert_eq!(
        show(&mut s, "nosuchvar"),
        "error: Syntax Error: [line #1] Cannot recognize the token nosuchvar"
    );
}

#[test]
fn recursion_is_bounded() {
    let mut s = session();
    assert_eq!(
        show(
            &mut s,
            "def fib(n) { if (n < 2) return n; return fib(n-1) + fib(n-2) }\nfib(15)"
        ),
        "610"
    );
    let r = show(&mut s, "def down(n) { return down(n + 1) }\ndown(0)");
    assert!(r.contains("maximum recursive depth"), "{}", r);
}

#[test]
fn tables_take_their_variable_name() {
    let mut s = session();
    let r = run(&mut s, "x=table(1..3 as a);x").0;
    match r {
        Ok(Some(Value::Table(t))) => assert_eq!(t.name, "x"),
        other => panic!("{:?}", other),
    }
    match run(&mut s, "table(1..3 as a)").0 {
        Ok(Some(Value::Table(t))) => assert_eq!(t.name, ""),
        other => panic!("{:?}", other),
    }
}

#[test]
fn run_function_with_partial_application() {
    let mut s = session();
    run(&mut s, "def g(a, b) { return a + b }").0.ok();
    let r = s.run_function("g{10}", vec![Value::int(5)], &mut |_| {});
    assert_eq!(r.ok().flatten().and_then(|v| v.as_i64()), Some(15));
    let r = s.run_function("g", vec![Value::int(1), Value::int(2)], &mut |_| {});
    assert_eq!(r.ok().flatten().and_then(|v| v.as_i64()), Some(3));
}

#[test]
fn go_splits_scripts() {
    assert_eq!(split_go("a\ngo\nb"), vec!["a\n", "b"]);
    let mut s = session();
    assert_eq!(show(&mut s, "x = 1\ngo;\nx + 1"), "2");
}

#[test]
fn shared_objects_are_visible_in_functions() {
    let mut s = session();
    let r = show(
        &mut s,
        "t = table(1 2 as a)\nshare t as st\ndef f() { return rows(st) }\nf()",
    );
    assert_eq!(r, "2");
}

#[test]
fn keyword_arguments_and_equality_in_arguments() {
    let mut s = session();
    assert_eq!(
        show(
            &mut s,
            "def f(a, b=2, c=3) { return a*100 + b*10 + c }\nf(1, c=9)"
        ),
        "129"
    );
    // `x = 1` in an argument list is a comparison when x is a variable.
    assert_eq!(show(&mut s, "x = 1\nsum(x = 1)"), "1");
}

/// Mutated scripts (no loops, so every run ends) must never panic the interpreter: they
/// return a value or an error.
#[test]
fn mutated_scripts_never_panic() {
    let corpus = [
        "x = 1 2 3; y = x[1:2] + 1; x[0] = 5; x.append!(4); sum(x) * 2",
        "t = table(1 2 3 as a, `x`y`z as b); t[`c] = t.a * 2; select a, c from t where a > 1",
        "d = dict(`a`b, 1 2); d[`c] = 3; d.a + d[`b]",
        "def f(a, b=1) { return a + b }; g = f{1}; each(g, 1 2 3); accumulate(+, 1..5)",
        "m = 1..6$2:3; m[1]; m[0, 1]; cross(+, 1 2, 3 4); eachPre(-, 1 3 6)",
        "s = `a`b; (1, 2.5, \"c\"); [1, NULL]; 2022.05.20 + 1; 13:30m; <1 + 2>",
    ];
    let mut seed: u64 = 0x2545f4914f6cdd1d;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let soup = b"()[]{}:;,.`'\"-+*/!=<> 01x";
    for src in corpus {
        for _ in 0..300 {
            let mut b = src.as_bytes().to_vec();
            for _ in 0..(rand() % 4) {
                let i = (rand() as usize) % b.len();
                b[i] = soup[(rand() as usize) % soup.len()];
            }
            let text = String::from_utf8_lossy(&b).into_owned();
            let mut s = session();
            let r = s.run_script(&text, &mut |_| {});
            if let Err(e) = r {
                assert!(
                    !e.message().contains("Internal error"),
                    "panic on: {}",
                    text
                );
            }
        }
    }
}

#[test]
fn an_undefined_variable_rejects_the_whole_script() {
    let mut s = session();
    let (r, printed) = run(&mut s, "print(\"before\")\nx = 1\ny = undefinedVar + 1");
    let e = r.expect_err("the script must fail");
    assert_eq!(
        e.message(),
        "Syntax Error: [line #3] Cannot recognize the token undefinedVar"
    );
    assert!(printed.is_empty(), "nothing runs: {:?}", printed);
    assert_eq!(show(&mut s, "defined(\"x\")"), "false");
}

#[test]
fn names_known_before_a_script_runs() {
    let mut s = session();
    // An uploaded variable (`variable` request) and a shared table.
    s.set_variable("uploaded", Value::int(5));
    assert_eq!(show(&mut s, "uploaded + 1"), "6");
    assert_eq!(
        show(
            &mut s,
            "t = table(1 2 as a)\nshare t as st\nexec sum(a) from st"
        ),
        "3"
    );
    assert_eq!(
        show(&mut s, "def g() { return exec sum(a) from st }\ng()"),
        "3"
    );
    // Assigned on a later line, in a branch, or as a loop variable.
    assert_eq!(
        show(
            &mut s,
            "for (i in 1..2) { z = i }\nif (false) { w = 1 } else { w = 2 }\nz + w"
        ),
        "4"
    );
}

/// `tableInsert{t}` and `append!{t}` called by a client with rows change the session's table
/// `t` (where it is stored: its column is not copied) and answer as the written-out call does.
#[test]
fn client_partial_inserts_change_the_named_table() {
    let mut s = session();
    show(&mut s, "t = table(1:0, `x`y, [INT, DOUBLE])");
    let column = |s: &Session| match s.variable("t") {
        Some(Value::Table(t)) => Arc::as_ptr(&t.columns[0]) as usize,
        other => panic!("{other:?}"),
    };
    let r = s.run_function(
        "tableInsert{t}",
        vec![
            Value::vector(Vector::from_i32(DataType::Int, vec![1, 2])),
            Value::vector(Vector::from_f64(vec![0.5, 0.5])),
        ],
        &mut |_| {},
    );
    assert_eq!(r.unwrap().and_then(|v| v.as_i64()), Some(2));
    let at = column(&s);
    let rows = Table::new(
        vec!["x".into(), "y".into()],
        vec![
            Vector::from_i32(DataType::Int, vec![3]),
            Vector::from_f64(vec![1.5]),
        ],
    );
    s.run_function("append!{t}", vec![Value::table(rows)], &mut |_| {})
        .unwrap();
    assert_eq!(column(&s), at, "the column was copied");
    assert_eq!(show(&mut s, "exec x from t"), "[1,2,3]");
    assert_eq!(show(&mut s, "exec y from t"), "[0.5,0.5,1.5]");
}
