// Proves that in-place changes of a shared table from concurrent sessions are atomic: 8 sessions
// on one host append identical and distinct rows by every in-place path (`append!`, `t.append!`,
// `tableInsert` by value, by name and as a partial, `append!{t}`, `insert into`, a `mutable`
// parameter), update a counter and delete their own rows, many rounds at once; the final rows
// are exactly those expected, as a multiset.

use std::collections::HashMap;
use std::sync::Arc;

use script::{Host, LocalHost, Session};
use value::{DataType, Table, Value, Vector};

const SESSIONS: i32 = 8;
const ROUNDS: i32 = 40;

fn run(s: &mut Session, text: &str) -> Value {
    match s.run_script(text, &mut |_| {}) {
        Ok(v) => v.unwrap_or_else(Value::void),
        Err(e) => panic!("{text}: {e}"),
    }
}

fn call(s: &mut Session, func: &str, args: Vec<Value>) {
    if let Err(e) = s.run_function(func, args, &mut |_| {}) {
        panic!("{func}: {e}");
    }
}

fn one_row(k: i32, i: i32) -> Value {
    Value::table(Table::new(
        vec!["k".into(), "i".into()],
        vec![
            Vector::from_i32(DataType::Int, vec![k]),
            Vector::from_i32(DataType::Int, vec![i]),
        ],
    ))
}

/// A host of its own and a session on it.
fn host_and_session() -> (Arc<dyn Host>, Session) {
    let host: Arc<dyn Host> = Arc::new(LocalHost::new());
    let s = Session::new(host.clone());
    (host, s)
}

/// The shared table `name` as the host holds it now.
fn shared_table(host: &Arc<dyn Host>, name: &str) -> Arc<Table> {
    match host.shared(name) {
        Some(Value::Table(t)) => t,
        _ => panic!("{name} is gone"),
    }
}

/// Even sessions all write k = 0, so their rows are identical to each other's.
fn key(session: i32) -> i32 {
    if session % 2 == 0 {
        0
    } else {
        session
    }
}

fn int_column(t: &Table, name: &str) -> Vec<i32> {
    match t.column(name).map(|c| &c.data) {
        Some(value::Data::I32(x)) => x.clone(),
        _ => panic!("no INT column {name}"),
    }
}

/// The rows one session appends in one round: 9 paths, each one row (k, i * 10 + path).
fn round(s: &mut Session, k: i32, i: i32) {
    let v = |p: i32| i * 10 + p;
    run(
        s,
        &format!(
            "append!(race, table({k} as k, {} as i))\n\
             race.append!(table({k} as k, {} as i))\n\
             tableInsert(race, {k}, {})\n\
             tableInsert(\"race\", {k}, {})\n\
             insert into race values({k}, {})\n\
             addRow(race, {k}, {})\n\
             insert into race values({k}, -1)\n\
             delete from race where k = {k} and i = -1\n\
             update counter set n = n + 1",
            v(0),
            v(1),
            v(2),
            v(3),
            v(4),
            v(5)
        ),
    );
    call(s, "tableInsert{race}", vec![one_row(k, v(6))]);
    call(s, "append!{race}", vec![one_row(k, v(7))]);
    call(s, "append!{\"race\"}", vec![one_row(k, v(8))]);
}

#[test]
fn concurrent_sessions_never_lose_rows_of_a_shared_table() {
    let (host, mut setup) = host_and_session();
    run(
        &mut setup,
        "share table(100:0, `k`i, [INT,INT]) as race\nshare table(0 as n) as counter",
    );
    let threads: Vec<_> = (0..SESSIONS)
        .map(|id| {
            let host = host.clone();
            std::thread::spawn(move || {
                let mut s = Session::new(host);
                run(
                    &mut s,
                    "def addRow(mutable t, k, i) { t.append!(table(k as k, i as i)) }",
                );
                for i in 0..ROUNDS {
                    round(&mut s, key(id), i);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let t = shared_table(&host, "race");
    let mut got: HashMap<(i32, i32), usize> = HashMap::new();
    for (k, i) in int_column(&t, "k").into_iter().zip(int_column(&t, "i")) {
        *got.entry((k, i)).or_default() += 1;
    }
    let mut want: HashMap<(i32, i32), usize> = HashMap::new();
    for id in 0..SESSIONS {
        for i in 0..ROUNDS {
            for p in 0..9 {
                *want.entry((key(id), i * 10 + p)).or_default() += 1;
            }
        }
    }
    assert_eq!(t.rows(), (SESSIONS * ROUNDS * 9) as usize);
    assert_eq!(got, want);
    assert_eq!(
        int_column(&shared_table(&host, "counter"), "n"),
        vec![SESSIONS * ROUNDS]
    );
}

#[test]
fn a_mutable_parameter_changes_the_shared_object_itself() {
    let (host, mut s) = host_and_session();
    let v = run(
        &mut s,
        "share table(1 2 as x) as mutShared\n\
         def grow(mutable t, v) { t.append!(table(v as x)); return rows(t) }\n\
         grow(mutShared, 3)",
    );
    assert_eq!(v.as_i64(), Some(3));
    let t = shared_table(&host, "mutShared");
    assert_eq!(t.name, "mutShared");
    assert_eq!(int_column(&t, "x"), vec![1, 2, 3]);
}
