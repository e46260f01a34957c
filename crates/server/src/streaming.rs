//! Streaming publish/subscribe in reverse mode (reference: `protocol.md` §9): a subscriber
//! calls `publishTable` on its own connection, and the node pushes the stream table's rows on
//! that connection from then on.
//!
//! Rows are found, not queued: a subscription remembers the next row it must send, and every
//! change to the shared stream table (`Node::share`/`set_shared`/`update_shared`) wakes its
//! subscribers, which read the table and send what is new. A slow subscriber therefore costs no
//! memory beyond the table itself, and a wake-up can never be lost (`Notify` keeps a permit).
//! Appends are atomic (each runs on the current table under its update lock, `shared.rs`), so
//! every published table extends the one before: each row goes out once, in order.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use value::{wire, Dict, Key, Table, TableKind, Value, Vector};

use crate::node::now_ms;

/// Most rows carried by one pushed message.
pub const MESSAGE_ROWS_MAX: usize = 65_536;
/// Most subscriptions one node serves at once.
pub const SUBSCRIPTIONS_MAX: usize = 4096;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One reverse-mode subscription.
pub struct Subscription {
    pub id: u64,
    pub table: String,
    pub action: String,
    /// `ip:port` of the subscriber, as it gave them to `publishTable`.
    pub subscriber: String,
    pub topic: String,
    /// Keys of the rows to send (by the table's filter column); None = every row.
    pub filter: Option<HashSet<Key>>,
    pub filter_column: Option<String>,
    /// The next row to send; `getStreamingStat().pubTables.msgOffset`.
    pub next_row: AtomicI64,
    pub wake: Notify,
    pub closed: AtomicBool,
}

impl Subscription {
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
pub struct Streaming {
    subs: Mutex<HashMap<u64, Arc<Subscription>>>,
    /// Stream table name -> filter column (`setStreamTableFilterColumn`).
    filter_columns: Mutex<HashMap<String, String>>,
    next_id: AtomicU64,
}

/// What `publishTable` asked for.
pub struct PublishRequest {
    pub host: String,
    pub port: i64,
    pub table: String,
    pub action: String,
    pub offset: i64,
    pub filter: Option<Vector>,
}

impl PublishRequest {
    pub fn parse(args: &[Value]) -> Result<PublishRequest, String> {
        if args.len() < 3 {
            return Err("publishTable expects at least 3 arguments".into());
        }
        let text = |i: usize, what: &str| -> Result<String, String> {
            args.get(i)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("The {what} argument of publishTable must be a string"))
        };
        let filter = match args.get(5) {
            None => None,
            Some(v) if v.is_void() => None,
            Some(Value::Vector(v)) => Some((**v).clone()),
            Some(Value::Scalar(v)) => Some(v.clone()),
            Some(_) => return Err("The filter of publishTable must be a vector".into()),
        };
        Ok(PublishRequest {
            host: text(0, "host")?,
            port: args.get(1).and_then(|v| v.as_i64()).unwrap_or(0),
            table: text(2, "table")?,
            action: match args.get(3) {
                Some(v) if !v.is_null() => text(3, "actionName")?,
                _ => String::new(),
            },
            offset: args.get(4).and_then(|v| v.as_i64()).unwrap_or(-1),
            filter,
        })
    }
}

/// The stream table named `name`, or DolphinDB-style errors.
pub fn stream_table(shared: Option<Value>, name: &str) -> Result<Arc<Table>, String> {
    match shared {
        Some(Value::Table(t)) if t.kind == TableKind::Stream => Ok(t),
        Some(Value::Table(_)) => Err(format!("The table [{name}] is not a stream table")),
        _ => Err(format!("Can't find the shared stream table [{name}]")),
    }
}

pub fn topic(site: &crate::config::Site, table: &str, action: &str) -> String {
    format!(
        "{}:{}:{}/{table}/{action}",
        site.host, site.port, site.alias
    )
}

impl Streaming {
    pub fn subscribe(
        &self,
        req: &PublishRequest,
        table: &Table,
        topic: String,
    ) -> Result<Arc<Subscription>, String> {
        let filter_column = lock(&self.filter_columns).get(&req.table).cloned();
        let filter = match (&req.filter, &filter_column) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(format!(
                "The stream table [{}] has no filter column; call setStreamTableFilterColumn first",
                req.table
            ))
            }
            (Some(f), Some(_)) => Some((0..f.len()).map(|i| f.key_at(i)).collect()),
        };
        let rows = table.rows() as i64;
        let start = if req.offset < 0 || req.offset > rows {
            rows
        } else {
            req.offset
        };
        let mut subs = lock(&self.subs);
        if subs.len() >= SUBSCRIPTIONS_MAX {
            return Err(format!(
                "A node serves at most {SUBSCRIPTIONS_MAX} subscriptions"
            ));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let sub = Arc::new(Subscription {
            id,
            table: req.table.clone(),
            action: req.action.clone(),
            subscriber: format!("{}:{}", req.host, req.port),
            topic,
            filter,
            filter_column,
            next_row: AtomicI64::new(start),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
        });
        subs.insert(id, sub.clone());
        Ok(sub)
    }

    pub fn remove(&self, id: u64) {
        lock(&self.subs).remove(&id);
    }

    /// Wakes the subscribers of `table` after it changed.
    pub fn notify(&self, table: &str) {
        for s in lock(&self.subs).values().filter(|s| s.table == table) {
            s.wake.notify_one();
        }
    }

    /// Ends every subscription to `table` (the table was dropped).
    pub fn close_table(&self, table: &str) {
        for s in lock(&self.subs).values().filter(|s| s.table == table) {
            s.close();
        }
        lock(&self.filter_columns).remove(table);
    }

    /// `stopPublishTable(host, port, table, [action])`: ends the matching subscriptions and
    /// closes their connections. No match is not an error (clients call it on cleanup).
    pub fn stop(&self, args: &[Value]) -> Result<Value, String> {
        let host = args.first().and_then(|v| v.as_str()).unwrap_or("");
        let port = args.get(1).and_then(|v| v.as_i64()).unwrap_or(-1);
        let table = args
            .get(2)
            .and_then(|v| v.as_str())
            .ok_or("The table argument of stopPublishTable must be a string")?;
        let action = args.get(3).and_then(|v| v.as_str());
        let who = format!("{host}:{port}");
        for s in lock(&self.subs).values() {
            if s.table == table && s.subscriber == who && action.is_none_or(|a| a == s.action) {
                s.close();
            }
        }
        Ok(Value::void())
    }

    pub fn set_filter_column(&self, args: &[Value]) -> Result<Value, String> {
        let (Some(Value::Table(t)), Some(col)) =
            (args.first(), args.get(1).and_then(|v| v.as_str()))
        else {
            return Err(
                "setStreamTableFilterColumn expects a stream table and a column name".into(),
            );
        };
        if t.kind != TableKind::Stream || t.name.is_empty() {
            return Err("setStreamTableFilterColumn expects a shared stream table".into());
        }
        let Some(i) = t.column_index(col) else {
            return Err(format!(
                "The column [{col}] does not exist in table [{}]",
                t.name
            ));
        };
        lock(&self.filter_columns).insert(t.name.clone(), t.names[i].clone());
        Ok(Value::void())
    }

    /// `getStreamingStat()`: a dictionary of tables; `pubTables` lists the subscriptions.
    pub fn stat(&self) -> Value {
        let mut subs: Vec<Arc<Subscription>> = lock(&self.subs)
            .values()
            .filter(|s| !s.is_closed())
            .cloned()
            .collect();
        subs.sort_by_key(|s| s.id);
        let strs = |f: &dyn Fn(&Subscription) -> String| {
            Vector::from_strings(subs.iter().map(|s| f(s)).collect())
        };
        let pub_tables = Table::new(
            ["tableName", "subscriber", "msgOffset", "actions"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            vec![
                strs(&|s| s.table.clone()),
                strs(&|s| s.subscriber.clone()),
                Vector::from_i64(
                    value::DataType::Long,
                    subs.iter()
                        .map(|s| s.next_row.load(Ordering::Relaxed) - 1)
                        .collect(),
                ),
                strs(&|s| s.action.clone()),
            ],
        );
        let pub_conns = Table::new(
            vec!["client".into(), "tables".into()],
            vec![strs(&|s| s.subscriber.clone()), strs(&|s| s.table.clone())],
        );
        let keys = Vector::from_strings(vec!["pubConns".into(), "pubTables".into()]);
        let values = Vector::from_values(vec![Value::table(pub_conns), Value::table(pub_tables)]);
        Value::dict(Dict::from_vectors(keys, values))
    }
}

/// Appends one pushed message: endian byte, send time, id of its last row, topic, object.
pub fn encode_message(
    topic: &str,
    last_row: i64,
    object: &Value,
    out: &mut Vec<u8>,
) -> value::Result<()> {
    out.push(1);
    out.extend_from_slice(&now_ms().to_le_bytes());
    out.extend_from_slice(&last_row.to_le_bytes());
    out.extend(topic.bytes().filter(|&b| b != 0));
    out.push(0);
    wire::encode(object, out)
}

/// The messages for rows `from..to` of `t` that pass the subscription's filter: one ANY vector
/// of column slices per run of consecutive rows (so each message's last-row id is exact).
pub fn messages_for(
    sub: &Subscription,
    t: &Table,
    from: usize,
    to: usize,
    out: &mut Vec<u8>,
) -> value::Result<()> {
    if t.columns.iter().any(|c| c.len() < to) || from > to {
        return Err(value::Error::new(
            "The stream table's columns differ in length",
        ));
    }
    let runs = match (&sub.filter, &sub.filter_column) {
        (Some(keys), Some(col)) => match t.column(col) {
            Some(c) => row_runs((from..to).filter(|&i| keys.contains(&c.key_at(i)))),
            None => Vec::new(),
        },
        _ => vec![(from, to)],
    };
    for (a, b) in runs {
        let mut start = a;
        while start < b {
            let end = (start + MESSAGE_ROWS_MAX).min(b);
            let cols = t
                .columns
                .iter()
                .map(|c| Value::vector(c.slice(start, end)))
                .collect();
            encode_message(&sub.topic, end as i64 - 1, &Value::tuple(cols), out)?;
            start = end;
        }
    }
    Ok(())
}

/// Groups ascending row numbers into `[start, end)` runs.
fn row_runs(rows: impl Iterator<Item = usize>) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for r in rows {
        match runs.last_mut() {
            Some((_, end)) if *end == r => *end += 1,
            _ => runs.push((r, r + 1)),
        }
    }
    runs
}

/// The schema message a subscriber gets first: the table with no rows.
pub fn schema_message(sub: &Subscription, t: &Table, out: &mut Vec<u8>) -> value::Result<()> {
    let cols = t.columns.iter().map(|c| c.slice(0, 0)).collect();
    let mut schema = Table::new(t.names.clone(), cols);
    schema.name = t.name.clone();
    encode_message(&sub.topic, -1, &Value::table(schema), out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use value::DataType;

    fn stream(n: i32) -> Table {
        let mut t = Table::new(
            vec!["data".into()],
            vec![Vector::from_i32(DataType::Int, (0..n).collect())],
        );
        t.kind = TableKind::Stream;
        t.name = "s".into();
        t
    }

    #[test]
    fn filtered_rows_go_out_in_runs_with_exact_offsets() {
        let st = Streaming::default();
        let t = stream(10);
        st.set_filter_column(&[Value::table(t.clone()), Value::string("data")])
            .unwrap();
        let req = PublishRequest {
            host: "127.0.0.1".into(),
            port: 5,
            table: "s".into(),
            action: "a".into(),
            offset: 0,
            filter: Some(Vector::from_i32(DataType::Int, vec![1, 2, 5])),
        };
        let sub = st.subscribe(&req, &t, "topic".into()).unwrap();
        let mut out = Vec::new();
        messages_for(&sub, &t, 0, 10, &mut out).unwrap();
        // Two messages: rows 1..3 (last id 2) and row 5 (last id 5).
        let mut pos = 0;
        let mut ids = Vec::new();
        while pos < out.len() {
            assert_eq!(out[pos], 1);
            ids.push(i64::from_le_bytes(
                out[pos + 9..pos + 17].try_into().unwrap(),
            ));
            pos += 17 + "topic".len() + 1;
            let (_, used) = wire::decode(&out[pos..], true).unwrap().unwrap();
            pos += used;
        }
        assert_eq!(ids, vec![2, 5]);
        assert_eq!(row_runs([1, 2, 5].into_iter()), vec![(1, 3), (5, 6)]);
    }

    #[test]
    fn offsets_and_stop_follow_dolphindb() {
        let st = Streaming::default();
        let t = stream(10);
        let mut req = PublishRequest::parse(&[
            Value::string("127.0.0.1"),
            Value::int(5000),
            Value::string("s"),
            Value::string("rust"),
            Value::long(-1),
            Value::void(),
        ])
        .unwrap();
        let a = st.subscribe(&req, &t, "x".into()).unwrap();
        assert_eq!(a.next_row.load(Ordering::Relaxed), 10);
        req.offset = 20; // past the end behaves like -1
        assert_eq!(
            st.subscribe(&req, &t, "x".into())
                .unwrap()
                .next_row
                .load(Ordering::Relaxed),
            10
        );
        req.offset = 3;
        assert_eq!(
            st.subscribe(&req, &t, "x".into())
                .unwrap()
                .next_row
                .load(Ordering::Relaxed),
            3
        );
        // A stop that names another subscriber changes nothing; the right one closes all three.
        st.stop(&[
            Value::string("127.0.0.1"),
            Value::int(1),
            Value::string("s"),
        ])
        .unwrap();
        assert!(!a.is_closed());
        st.stop(&[
            Value::string("127.0.0.1"),
            Value::int(5000),
            Value::string("s"),
            Value::string("rust"),
        ])
        .unwrap();
        assert!(a.is_closed());
        assert!(matches!(st.stat(), Value::Dict(d) if d.get_str("pubTables").is_some()));
        // A filter without a filter column is refused.
        req.filter = Some(Vector::from_i32(DataType::Int, vec![1]));
        assert!(st.subscribe(&req, &t, "x".into()).is_err());
    }
}
