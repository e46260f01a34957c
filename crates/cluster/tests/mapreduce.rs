//! Every query shape over a DFS table gives what the same query gives over the same rows in
//! memory. Random rows go into tables of each partition type; each query runs over the DFS
//! table (map/reduce over its partitions) and over an in-memory table holding its rows in the
//! DFS table's order (partition after partition, as a scan reads them), and the results are
//! compared: same columns, types and values (doubles to 1e-9 relative, since sums add up in
//! another order).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cluster::dfs::{DfsConfig, LocalDfs};
use common::fresh_dir;
use script::dfs::{
    ColumnPredicate, ColumnSpec, CreateTable, DatabaseSpec, Dfs, DfsTableInfo, Mapped,
    PartitionSelector, ScanPlan,
};
use script::sql::map_task::MapTask;
use script::sql::pushdown::RowFilter;
use script::Result as SResult;
use script::{Host, LocalHost, Session};
use value::{DataType, Table, Value, Vector};

/// A node with `localExecutors` set: partitions are mapped on that many threads (1: in the
/// session's own interpreter).
struct Executors(LocalHost, usize);

impl Host for Executors {
    fn node_alias(&self) -> String {
        self.0.node_alias()
    }
    fn node_type(&self) -> i32 {
        self.0.node_type()
    }
    fn session_id(&self) -> i64 {
        self.0.session_id()
    }
    fn user(&self) -> String {
        self.0.user()
    }
    fn console_jobs(&self) -> Table {
        self.0.console_jobs()
    }
    fn login(&self, user: &str, password: &str) -> script::Result<()> {
        self.0.login(user, password)
    }
    fn logout(&self) {
        self.0.logout()
    }
    fn share(&self, name: &str, v: Value) -> script::Result<()> {
        self.0.share(name, v)
    }
    fn shared(&self, name: &str) -> Option<Value> {
        self.0.shared(name)
    }
    fn set_shared(&self, name: &str, v: Value) -> script::Result<()> {
        self.0.set_shared(name, v)
    }
    fn unshare(&self, name: &str) -> bool {
        self.0.unshare(name)
    }
    fn dfs(&self) -> Option<Arc<dyn Dfs>> {
        self.0.dfs()
    }
    fn acl(&self) -> Option<Arc<dyn script::acl::AclStore>> {
        self.0.acl()
    }
    fn config(&self, key: &str) -> Option<String> {
        (key == "localExecutors").then(|| self.1.to_string())
    }
}

/// A DFS whose partitions answer the map step where they are, as a cluster's remote replicas
/// do (`Dfs::map_partition`): the pushed task runs over the partition's rows and only its
/// partial states come back. Counts the partitions mapped that way.
struct Replicas(Arc<LocalDfs>, AtomicUsize);

impl Dfs for Replicas {
    fn create_database(&self, path: &str, spec: &DatabaseSpec) -> SResult<()> {
        self.0.create_database(path, spec)
    }
    fn database(&self, path: &str) -> SResult<DatabaseSpec> {
        self.0.database(path)
    }
    fn database_exists(&self, path: &str) -> bool {
        self.0.database_exists(path)
    }
    fn drop_database(&self, path: &str) -> SResult<()> {
        self.0.drop_database(path)
    }
    fn databases(&self) -> Vec<String> {
        self.0.databases()
    }
    fn add_partitions(&self, path: &str, values: &Vector, level: usize) -> SResult<usize> {
        self.0.add_partitions(path, values, level)
    }
    fn create_table(&self, req: &CreateTable) -> SResult<()> {
        self.0.create_table(req)
    }
    fn table(&self, db: &str, name: &str) -> SResult<DfsTableInfo> {
        self.0.table(db, name)
    }
    fn table_exists(&self, db: &str, name: &str) -> bool {
        self.0.table_exists(db, name)
    }
    fn tables(&self, db: &str) -> SResult<Vec<String>> {
        self.0.tables(db)
    }
    fn drop_table(&self, db: &str, name: &str) -> SResult<()> {
        self.0.drop_table(db, name)
    }
    fn rename_table(&self, db: &str, old: &str, new: &str) -> SResult<()> {
        self.0.rename_table(db, old, new)
    }
    fn add_columns(&self, db: &str, name: &str, columns: &[ColumnSpec]) -> SResult<()> {
        self.0.add_columns(db, name, columns)
    }
    fn truncate(&self, db: &str, name: &str) -> SResult<()> {
        self.0.truncate(db, name)
    }
    fn drop_partitions(
        &self,
        db: &str,
        table: Option<&str>,
        which: &PartitionSelector,
    ) -> SResult<usize> {
        self.0.drop_partitions(db, table, which)
    }
    fn append(&self, db: &str, name: &str, rows: &Table) -> SResult<usize> {
        self.0.append(db, name, rows)
    }
    fn upsert(
        &self,
        db: &str,
        name: &str,
        rows: &Table,
        key_columns: &[String],
        ignore_null: bool,
    ) -> SResult<usize> {
        self.0.upsert(db, name, rows, key_columns, ignore_null)
    }
    fn replace_partitions(&self, plan: &ScanPlan, parts: Vec<(usize, Table)>) -> SResult<()> {
        self.0.replace_partitions(plan, parts)
    }
    fn plan_scan(&self, db: &str, name: &str, preds: &[ColumnPredicate]) -> SResult<ScanPlan> {
        self.0.plan_scan(db, name, preds)
    }
    fn read_partition(&self, plan: &ScanPlan, part: usize, columns: &[String]) -> SResult<Table> {
        self.0.read_partition(plan, part, columns)
    }
    fn map_partition(
        &self,
        plan: &ScanPlan,
        part: usize,
        columns: &[String],
        _filter: &RowFilter,
        task: &MapTask,
    ) -> SResult<Mapped> {
        let rows = self.0.read_partition(plan, part, columns)?;
        // Through the wire form, as a replica receives it (constants travel as values).
        let mut sent: MapTask =
            serde_json::from_str(&serde_json::to_string(task).unwrap()).unwrap();
        sent.constants = task.constants.clone();
        Ok(match sent.run(rows.clone()) {
            Ok(Some(partials)) => {
                self.1.fetch_add(1, Ordering::Relaxed);
                Mapped::Partials(partials)
            }
            _ => Mapped::Rows(rows),
        })
    }
    fn chunks(&self) -> SResult<Table> {
        self.0.chunks()
    }
    fn tablets(&self, db: &str) -> SResult<Table> {
        self.0.tablets(db)
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SYMS: [&str; 12] = [
    "AAPL", "IBM", "MSFT", "GOOG", "TSLA", "GS", "MS", "GE", "BA", "UAL", "WMT", "C",
];

/// A batch of random rows: date, sym, id, ts, price (some null), qty (some null).
fn batch(rng: &mut Rng, rows: usize) -> Table {
    let day0 = value::temporal::parse("2022.01.03", DataType::Date).unwrap() as i32;
    let mut date = Vec::with_capacity(rows);
    let mut sym = Vec::with_capacity(rows);
    let mut id = Vec::with_capacity(rows);
    let mut ts = Vec::with_capacity(rows);
    let mut price = Vec::with_capacity(rows);
    let mut qty = Vec::with_capacity(rows);
    for _ in 0..rows {
        let d = day0 + rng.below(6) as i32;
        date.push(d);
        sym.push(SYMS[rng.below(SYMS.len() as u64) as usize]);
        id.push(rng.below(100) as i32);
        ts.push(d as i64 * 86_400_000 + rng.below(86_400_000) as i64);
        price.push(if rng.below(20) == 0 {
            value::null::F64
        } else {
            (rng.below(100_000) as f64) / 1000.0 + 1.0
        });
        qty.push(if rng.below(25) == 0 {
            value::null::I32
        } else {
            rng.below(1000) as i32
        });
    }
    Table::new(
        ["date", "sym", "id", "ts", "price", "qty"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        vec![
            Vector::from_i32(DataType::Date, date),
            Vector::from_symbols(&sym),
            Vector::from_i32(DataType::Int, id),
            Vector::from_i64(DataType::Timestamp, ts),
            Vector::from_f64(price),
            Vector::from_i32(DataType::Int, qty),
        ],
    )
}

/// The queries, with `{T}` for the table.
const QUERIES: &[&str] = &[
    // partial aggregates (or per partition when grouped by the partitioning column)
    "select count(*), sum(qty), avg(price), min(price), max(qty), first(price), last(qty), \
     std(price), var(qty), stdp(price), varp(qty), wsum(price, qty), wavg(price, qty), \
     sum2(qty), count(price), size(price) from {T} group by sym",
    "select sum(qty) as s, avg(price * qty) as a, first(ts), last(ts) from {T} \
     where date >= 2022.01.05 group by date",
    "select count(*) from {T} group by sym, date",
    "select max(price) - min(price) as spread, sum(qty) \\ count(qty) as q from {T} \
     where price > 50 group by sym having count(*) > 10 order by spread desc limit 5",
    "exec sum(qty) from {T} group by id % 7",
    "select sum(qty) from {T} group by bar(id, 10) as bucket, sym order by bucket desc, sym",
    "select med(price) as m, mode(qty) as mo from {T} group by sym",
    "select last(price) as lastPrice, last(ts) as lastTs from {T} group by sym",
    "select count(*) from {T} where date = 2022.01.04",
    "select sum(qty), avg(price), first(ts), last(ts), count(*) from {T}",
    "select count(*), sum(qty), avg(price), min(price), max(qty), first(price), last(qty), \
     std(price), var(qty), stdp(price), varp(qty), wsum(price, qty), wavg(price, qty), \
     sum2(qty), count(price), size(price), min(ts), max(date) from {T} where id > 20",
    "exec count(*) from {T} where sym in `AAPL`IBM",
    "select count(*) from {T} where id between 10 : 30",
    "select sum(qty) from {T} where date > 2030.01.01",
    "select sum(qty) from {T} where date > 2030.01.01 group by sym",
    "select sym, count(*) as n from {T} group by sym order by n desc, sym",
    "select avg(price) as ap, sum(qty) from {T} where qty > 500, price < 20 group by date, sym",
    "select distinct sym from {T}",
    "select nunique(sym) from {T} group by date",
    // map steps with computed keys and arguments, and a session variable (stays local)
    "select count(*), avg(price) from {T} group by hour(ts) as h, sym",
    "select sum(qty) from {T} where sym like \"%A%\" or qty > 900 group by month(date) as m",
    "select max(price), count(*) from {T} where isNull(qty) group by sym",
    "select sum(iif(qty > 500, 1, 0)) as big, count(*) as n from {T} group by sym",
    "x = 500; select count(*) from {T} where qty > x group by sym",
    "select sum(price * qty) as v, wavg(price, qty) from {T} where date != 2022.01.05, \
     price between 10:60 group by date(ts) as d, id % 3 as r",
    // streamed rows
    "select top 10 * from {T}",
    "select * from {T} where price > 90 limit 5, 7",
    "select sym, price, qty * price as v from {T} where qty > 50 order by v desc, sym limit 20",
    "select top 3 sym, price from {T} order by price",
    "exec price from {T} where sym = `AAPL limit -5",
    "select id, qty from {T} where qty < 10 order by qty, id",
    "select ts, price from {T} where date = 2022.01.06 order by ts limit 3",
    "exec ts from {T} where id = 42",
    "select sym, price from {T} order by price asc nulls last, sym desc limit 7",
    "select sym, qty from {T} where qty < 30 order by qty desc nulls first limit 4, 6",
    "select top 2:5 date, price from {T} where price > 95",
    // context by
    "select date, sym, cumsum(qty) as c from {T} context by sym",
    "select sym, date, price from {T} context by sym, date csort price limit 2",
    "select date, sym, qty from {T} context by date having qty = max(qty)",
    "select sym, price - avg(price) as d from {T} context by sym order by d limit 10",
];

fn same_vector(a: &Vector, b: &Vector, what: &str) -> Result<(), String> {
    if a.ty != b.ty || a.len() != b.len() {
        return Err(format!(
            "{what}: {:?}[{}] vs {:?}[{}]",
            a.ty,
            a.len(),
            b.ty,
            b.len()
        ));
    }
    let float = matches!(a.ty, DataType::Double | DataType::Float);
    for i in 0..a.len() {
        let ok = if float {
            match (a.f64_at(i), b.f64_at(i)) {
                (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                (x, y) => x == y,
            }
        } else {
            value::display::element_string(a, i) == value::display::element_string(b, i)
        };
        if !ok {
            return Err(format!(
                "{what} row {i}: {} vs {}",
                value::display::element_string(a, i),
                value::display::element_string(b, i)
            ));
        }
    }
    Ok(())
}

fn same(a: &Value, b: &Value) -> Result<(), String> {
    match (a, b) {
        (Value::Table(x), Value::Table(y)) => {
            if x.names != y.names {
                return Err(format!("columns {:?} vs {:?}", x.names, y.names));
            }
            for (n, (c, d)) in x.names.iter().zip(x.columns.iter().zip(&y.columns)) {
                same_vector(c, d, n)?;
            }
            Ok(())
        }
        (Value::Vector(x), Value::Vector(y)) => same_vector(x, y, "vector"),
        (Value::Scalar(x), Value::Scalar(y)) => same_vector(x, y, "scalar"),
        _ => Err(format!("{:?} vs {:?}", a, b)),
    }
}

#[test]
fn every_query_shape_matches_memory() {
    let dir = fresh_dir("mapreduce");
    let cfg = storage::StoreConfig {
        background: false,
        data_sync: false,
        ..storage::StoreConfig::default()
    };
    let dfs = Arc::new(LocalDfs::open_dir(&dir, DfsConfig::default(), cfg).unwrap());
    // One thread for the first partition schemes, three for the others.
    let session = |threads: usize| {
        Session::new(Arc::new(Executors(
            LocalHost::with_dfs(dfs.clone()),
            threads,
        )))
    };
    // The same DFS, its map steps run where the partitions are (as a cluster's replicas do).
    let replicas = Arc::new(Replicas(dfs.clone(), AtomicUsize::new(0)));
    let pushing = |threads: usize| {
        Session::new(Arc::new(Executors(
            LocalHost::with_dfs(replicas.clone()),
            threads,
        )))
    };
    let mut s = session(1);
    let run = |s: &mut Session, text: &str| s.run_script(text, &mut |_| {});
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let batches: Vec<Table> = (0..3).map(|i| batch(&mut rng, 1500 + i * 700)).collect();
    let schemes = [
        ("value", "database(\"dfs://mr_value\", VALUE, 2022.01.03..2022.01.08)", "`date"),
        ("hash", "database(\"dfs://mr_hash\", HASH, [SYMBOL, 5])", "`sym"),
        ("range", "database(\"dfs://mr_range\", RANGE, 0 25 50 75 100)", "`id"),
        (
            "compo",
            "database(\"dfs://mr_compo\", COMPO, [database(, VALUE, 2022.01.03..2022.01.08), \
             database(, HASH, [SYMBOL, 3])])",
            "`date`sym",
        ),
        (
            "tsdb",
            "database(\"dfs://mr_tsdb\", VALUE, 2022.01.03..2022.01.08, engine=\"TSDB\")",
            "`date, sortColumns=`sym`ts",
        ),
        (
            "list",
            "database(\"dfs://mr_list\", LIST, [`AAPL`IBM`MSFT, `GOOG`TSLA`GS`MS, `GE`BA`UAL`WMT`C])",
            "`sym",
        ),
    ];
    let mut failures = Vec::new();
    let mut checked = 0;
    for (k, (name, db, cols)) in schemes.into_iter().enumerate() {
        if k == 2 {
            s = session(3);
        }
        s.set_variable("b0", Value::table(batches[0].clone()));
        run(
            &mut s,
            &format!("db = {db}\npt = db.createPartitionedTable(b0, `pt, {cols})"),
        )
        .unwrap();
        for b in &batches {
            s.set_variable("b", Value::table(b.clone()));
            run(&mut s, "pt.append!(b)").unwrap();
        }
        // The same rows in memory, in the order a scan of the DFS table reads them.
        let path = format!("dfs://mr_{name}");
        let plan = dfs.plan_scan(&path, "pt", &[]).unwrap();
        assert!(
            plan.partitions.len() >= 3,
            "{name}: {} partitions",
            plan.partitions.len()
        );
        let mut mem: Option<Table> = None;
        for i in 0..plan.partitions.len() {
            let p = dfs.read_partition(&plan, i, &[]).unwrap();
            mem = Some(match mem {
                None => p,
                Some(mut m) => {
                    for (c, pc) in m.columns.iter_mut().zip(&p.columns) {
                        assert!(Arc::make_mut(c).extend(pc));
                    }
                    m
                }
            });
        }
        let mem = mem.unwrap();
        assert_eq!(mem.rows(), batches.iter().map(|b| b.rows()).sum::<usize>());
        s.set_variable("mem", Value::table(mem));
        let mut p = pushing(if k < 2 { 1 } else { 3 });
        // A user with read access only: its DFS is the privilege-checking one, which must hand
        // the map step to the partitions too.
        run(
            &mut p,
            &format!(
                "createUser(`reader, \"123456\"); grant(`reader, TABLE_READ, \"{path}/pt\"); \
                 logout(); login(`reader, \"123456\"); pt = loadTable(\"{path}\", `pt)"
            ),
        )
        .unwrap();
        for q in QUERIES {
            checked += 1;
            let on_mem = run(&mut s, &q.replace("{T}", "mem"));
            for (how, session) in [("", &mut s), (" pushed", &mut p)] {
                let on_dfs = run(session, &q.replace("{T}", "pt"));
                let outcome = match (on_dfs, &on_mem) {
                    (Ok(Some(a)), Ok(Some(b))) => same(&a, b),
                    // Every query is valid: an error on both sides is a failure too.
                    (a, b) => Err(format!(
                        "{:?}\nvs\n{:?}",
                        a.map(|_| ()),
                        b.as_ref().map(|_| ())
                    )),
                };
                if let Err(e) = outcome {
                    failures.push(format!("[{name}{how}] {q}\n  {e}"));
                }
            }
        }
    }
    let pushed = replicas.1.load(Ordering::Relaxed);
    println!("{pushed} partitions mapped where they are");
    assert!(pushed > 0, "no map step ran where the partitions are");
    drop(s);
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        failures.is_empty(),
        "{} of {checked} queries differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
