// Proves the shared-object store's guarantees with threads: updates of one object are
// serialized and computed from the current value, readers never wait for an update, and a
// failed, re-entrant or deadlocked update errs without changing or hanging anything.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use value::{DataType, Table, Value, Vector};

use super::*;

fn table(x: Vec<i32>) -> Value {
    Value::table(Table::new(
        vec!["i".into()],
        vec![Vector::from_i32(DataType::Int, x)],
    ))
}

fn ints(v: &Value) -> Vec<i32> {
    match v {
        Value::Table(t) => match &t.columns[0].data {
            value::Data::I32(x) => x.clone(),
            _ => panic!("not an INT column"),
        },
        _ => panic!("not a table"),
    }
}

/// Appends `x` to the one-column table in `v`.
fn push(v: &mut Value, x: i32) -> crate::Result<()> {
    let mut all = ints(v);
    all.push(x);
    *v = table(all);
    Ok(())
}

#[test]
fn concurrent_identical_and_distinct_appends_are_all_kept() {
    let s = Arc::new(SharedObjects::new(16));
    s.share("t", table(vec![])).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|k| {
            let s = s.clone();
            std::thread::spawn(move || {
                for i in 0..300 {
                    // Half the threads append the same row, the others their own rows.
                    let x = if k % 2 == 0 { 7 } else { k * 1000 + i };
                    assert!(s.update("t", &mut |v| push(v, x)).unwrap());
                    let _ = s.get("t");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let got = s.get("t").unwrap();
    let Value::Table(t) = &got else { panic!() };
    assert_eq!(t.name, "t");
    let mut rows = ints(&got);
    assert_eq!(rows.len(), 8 * 300);
    assert_eq!(rows.iter().filter(|&&x| x == 7).count(), 4 * 300);
    rows.retain(|&x| x != 7);
    rows.sort_unstable();
    let mut want: Vec<i32> = [1, 3, 5, 7]
        .iter()
        .flat_map(|k| (0..300).map(move |i| k * 1000 + i))
        .collect();
    want.sort_unstable();
    assert_eq!(rows, want);
}

#[test]
fn readers_see_a_snapshot_without_waiting_for_an_update() {
    let s = Arc::new(SharedObjects::new(16));
    s.share("t", table(vec![1])).unwrap();
    let (entered_tx, entered_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let writer = {
        let s = s.clone();
        std::thread::spawn(move || {
            s.update("t", &mut |v| {
                entered_tx.send(()).unwrap();
                go_rx.recv().unwrap();
                push(v, 2)
            })
            .unwrap()
        })
    };
    entered_rx.recv().unwrap();
    let started = Instant::now();
    assert_eq!(ints(&s.get("t").unwrap()), vec![1]);
    assert!(s.contains("t"));
    assert!(started.elapsed() < Duration::from_secs(1));
    go_tx.send(()).unwrap();
    assert!(writer.join().unwrap());
    assert_eq!(ints(&s.get("t").unwrap()), vec![1, 2]);
}

#[test]
fn a_failed_update_changes_nothing_and_releases_the_lock() {
    let s = SharedObjects::new(16);
    s.share("t", table(vec![1])).unwrap();
    let r = s.update("t", &mut |v| {
        push(v, 2)?;
        Err(crate::Error::new("boom"))
    });
    assert_eq!(r.unwrap_err().message(), "boom");
    assert_eq!(ints(&s.get("t").unwrap()), vec![1]);
    assert!(s.update("t", &mut |v| push(v, 3)).unwrap());
    assert_eq!(ints(&s.get("t").unwrap()), vec![1, 3]);
    assert!(!s.update("nope", &mut |_| Ok(())).unwrap());
    assert!(s.replace("t", table(vec![9])).unwrap());
    assert_eq!(ints(&s.get("t").unwrap()), vec![9]);
    assert!(!s.replace("nope", table(vec![])).unwrap());
}

#[test]
fn share_limits_and_remove() {
    let s = SharedObjects::new(1);
    s.share("a", Value::int(1)).unwrap();
    assert_eq!(s.share("a", Value::int(2)), Err(ShareError::Exists));
    assert_eq!(s.share("b", Value::int(2)), Err(ShareError::Full));
    assert_eq!(s.names(), vec!["a".to_string()]);
    assert!(s.remove("a"));
    assert!(!s.remove("a"));
    assert!(s.get("a").is_none());
    s.share("b", Value::int(2)).unwrap();
}

#[test]
fn updating_an_object_inside_its_own_update_is_an_error() {
    let s = SharedObjects::new(16);
    s.share("t", table(vec![1])).unwrap();
    s.share("u", table(vec![])).unwrap();
    let r = s.update("t", &mut |v| {
        // Another object may be updated inside; the same one may not.
        assert!(s.update("u", &mut |u| push(u, 5)).unwrap());
        let inner = s.update("t", &mut |w| push(w, 9));
        assert!(inner.unwrap_err().message().contains("[t]"));
        push(v, 2)
    });
    assert!(r.unwrap());
    assert_eq!(ints(&s.get("t").unwrap()), vec![1, 2]);
    assert_eq!(ints(&s.get("u").unwrap()), vec![5]);
}

#[test]
fn crossed_nested_updates_end_with_an_error_not_a_hang() {
    let s = Arc::new(SharedObjects::new(16).with_nested_wait(Duration::from_millis(200)));
    s.share("a", table(vec![])).unwrap();
    s.share("b", table(vec![])).unwrap();
    let (tx, rx) = mpsc::channel();
    let run = |first: &'static str, second: &'static str, tx: mpsc::Sender<bool>| {
        let s = s.clone();
        std::thread::spawn(move || {
            let r = s.update(first, &mut |v| {
                std::thread::sleep(Duration::from_millis(50));
                s.update(second, &mut |w| push(w, 1))?;
                push(v, 1)
            });
            tx.send(r.is_ok()).unwrap();
        })
    };
    let a = run("a", "b", tx.clone());
    let b = run("b", "a", tx);
    a.join().unwrap();
    b.join().unwrap();
    let oks: Vec<bool> = rx.iter().collect();
    // At least one of the two gave up; whatever succeeded is complete.
    assert!(oks.iter().any(|ok| !ok));
    let total = ints(&s.get("a").unwrap()).len() + ints(&s.get("b").unwrap()).len();
    assert_eq!(total, 2 * oks.iter().filter(|&&ok| ok).count());
}

#[test]
fn an_update_waiting_on_a_dropped_object_finds_it_gone_or_renewed() {
    let s = Arc::new(SharedObjects::new(16));
    s.share("t", table(vec![1])).unwrap();
    let (entered_tx, entered_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let holder = {
        let s = s.clone();
        std::thread::spawn(move || {
            s.update("t", &mut |v| {
                entered_tx.send(()).unwrap();
                go_rx.recv().unwrap();
                push(v, 2)
            })
            .unwrap()
        })
    };
    entered_rx.recv().unwrap();
    let waiter = {
        let s = s.clone();
        std::thread::spawn(move || s.update("t", &mut |v| push(v, 3)).unwrap())
    };
    std::thread::sleep(Duration::from_millis(50));
    assert!(s.remove("t"));
    s.share("t", table(vec![10])).unwrap();
    go_tx.send(()).unwrap();
    assert!(holder.join().unwrap());
    // The waiter looked the name up again and appended to the new object.
    assert!(waiter.join().unwrap());
    assert_eq!(ints(&s.get("t").unwrap()), vec![10, 3]);
}

/// An in-place update grows the stored table itself when nothing else refers to it, and a
/// reader's earlier snapshot keeps the rows it had (the update copies the table then).
#[test]
fn in_place_updates_grow_the_stored_table_and_keep_snapshots() {
    let s = SharedObjects::new(16);
    s.share("t", table(vec![1])).unwrap();
    let column_at = |v: &Value| match v {
        Value::Table(t) => Arc::as_ptr(&t.columns[0]) as usize,
        _ => panic!("not a table"),
    };
    // Appends where the column is (copying it only when something else refers to it).
    let grow = |v: &mut Value, x: i32| -> crate::Result<()> {
        let Value::Table(t) = v else {
            panic!("not a table")
        };
        let col = &mut Arc::make_mut(t).columns[0];
        assert!(Arc::make_mut(col).extend(&Vector::from_i32(DataType::Int, vec![x])));
        Ok(())
    };
    let before = column_at(&s.get("t").unwrap());
    assert!(s.update_in_place("t", &mut |v| grow(v, 2)).unwrap());
    assert_eq!(
        column_at(&s.get("t").unwrap()),
        before,
        "the column was copied"
    );
    let snapshot = s.get("t").unwrap();
    assert!(s.update_in_place("t", &mut |v| grow(v, 3)).unwrap());
    assert_eq!(ints(&snapshot), vec![1, 2]);
    assert_eq!(ints(&s.get("t").unwrap()), vec![1, 2, 3]);
    assert!(!s.update_in_place("nope", &mut |_| Ok(())).unwrap());
}
