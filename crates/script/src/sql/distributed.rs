//! `select` / `exec` over a DFS table: map over its partitions, reduce at this node
//! (DESIGN.md §3).
//!
//! The `where` conditions on partitioning columns prune partitions first (`Dfs::plan_scan`).
//! Then the query runs in one of these shapes, chosen from its clauses; every shape gives
//! exactly what the query gives over the table's rows in memory (up to the last bits of
//! floating-point sums, which add up in another order):
//!
//! - **partial aggregates**: `group by` (or aggregates without it) when every aggregate has a
//!   mergeable state (`count`, `sum`, `avg`, `std`, `first`, ... see `agg::partial`). Each
//!   partition filters its rows, groups them and computes partial states (the map step,
//!   `map_task.rs`; in a cluster a remote replica runs it where the rows are, so only one row
//!   per group crosses the network); the node regroups the states by key, merges them
//!   (`agg::combine`) and evaluates the select list, `having`, `order by` and `top`/`limit`
//!   over one row per group.
//! - **per partition**: `group by` (with an aggregate without partial states) or `context by`
//!   keys that hold every partitioning column (a group never spans partitions), and
//!   `select map`. The whole query runs on each partition; the results are concatenated and
//!   put in key order (with hidden key columns). Any aggregate works here, user-defined ones
//!   included.
//! - **context limit**: `context by` keys without every partitioning column, with `top` or
//!   `limit` and a select list of plain columns (the "last point" query). Each partition keeps
//!   its groups' candidate rows; the query runs again over their concatenation.
//! - **streamed rows**: a select list of row-wise expressions. Partitions are read in order
//!   and their rows filtered and computed; `top`/`limit` without `order by` stops reading once
//!   enough rows are in, `order by ... limit k` keeps each partition's first k rows only.
//! - anything else (joins, `pivot by`, `cgroup by`, `distinct` rows, order-dependent `where`
//!   conditions, aggregates without a mergeable state under a group that spans partitions):
//!   the needed columns of every pruned partition are read and the in-memory pipeline runs
//!   over them.
//!
//! Partitions are processed on up to `localExecutors` threads, at most one partition per
//! thread in memory at a time. A thread evaluates with its own interpreter, which sees the
//! variables the query mentions and the session's functions.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use value::{DataType, Table, Value, Vector};

use super::agg::{self, Fast};
use super::expr::{as_agg_leaf, has_aggregate, has_select, is_count_star, is_rowwise, rewrite};
use super::frame::{build_table, mask_positions, take_rows, Frame, Needed};
use super::grouped::{broadcast, concat};
use super::keys::{group_ids, sort_groups, sort_permutation, Grouping};
use super::map_task::{map_partials, MapSpec, MapTask, Partials};
use super::names::{dedupe, item_name};
use super::select::{
    distinct_rows, expand_star, finish, multi_names, order_by, order_by_range, prepare, row_range,
    run, slice_rows,
};
use super::source::Source;
use crate::ast::*;
use crate::builtins::{Env, Host};
use crate::dfs::{dfs_of, Dfs, Mapped, ScanPlan};
use crate::interp::{Interpreter, Scope, SessionState};
use crate::{Error, Result};

/// Prefix of the hidden columns the reduce step works with; no column or variable can be
/// spelt like this.
const HIDDEN: &str = "__dfs ";

/// Stack of a thread evaluating partitions (the interpreter recurses over the syntax tree).
const WORKER_STACK_BYTES: usize = 64 << 20;

fn hidden(kind: &str, i: usize) -> String {
    format!("{HIDDEN}{kind} {i}")
}

/// Runs `s` when its `from` clause is a DFS table; None otherwise.
pub(super) fn select(ip: &mut Interpreter, s: &SelectStmt) -> Result<Option<Value>> {
    let Some(FromClause::Table(e, alias)) = &s.from else {
        return Ok(None);
    };
    let Some(h) = super::dfs::handle_of(ip, e)? else {
        return Ok(None);
    };
    let dfs = dfs_of(ip.host())?;
    let info = dfs.table(&h.db, &h.table)?;
    let all: Vec<String> = info.columns.iter().map(|c| c.name.clone()).collect();
    let preds = super::dfs::predicates(ip, &s.where_, &all);
    let plan = Arc::new(dfs.plan_scan(&h.db, &h.table, &preds)?);
    let columns = super::dfs::needed_columns(s, &plan);
    let qual = match (alias, e) {
        (Some(a), _) => a.clone(),
        (None, Expr::Var(n)) => n.clone(),
        (None, Expr::Alias(_, n)) => n.clone(),
        _ => h.table.clone(),
    };
    let quals = vec![(
        qual.to_ascii_lowercase(),
        columns
            .iter()
            .map(|n| (n.to_ascii_lowercase(), n.clone()))
            .collect(),
    )];
    let empty = Arc::new(empty_table(&plan, &columns));
    // Qualified names and subqueries are resolved once, here.
    let ps = prepare(
        ip,
        s,
        &Source {
            table: empty.clone(),
            quals: quals.clone(),
        },
    )?;
    let filter = super::pushdown::RowFilter::of(ip, &ps.where_, &empty);
    let q = Query {
        dfs,
        plan,
        columns,
        empty,
        filter,
    };
    if let Some(shape) = classify(ip, &ps, &q) {
        if let Some(v) = execute(ip, &ps, &q, shape)? {
            return Ok(Some(v));
        }
    }
    // Every needed column of every pruned partition, then the in-memory pipeline.
    let table = super::dfs::read_all(ip.host(), &q.dfs, &q.plan, &q.columns, &q.filter)?;
    let src = Source {
        table: Arc::new(table),
        quals,
    };
    Ok(Some(run(ip, &ps, src)?))
}

/// The scan a query reads.
struct Query {
    dfs: Arc<dyn Dfs>,
    plan: Arc<ScanPlan>,
    /// The columns read from each partition.
    columns: Vec<String>,
    /// Those columns without rows.
    empty: Arc<Table>,
    /// The leading `where` conditions the partitions' replicas apply (the map step applies
    /// the whole clause again).
    filter: super::pushdown::RowFilter,
}

fn empty_table(plan: &ScanPlan, columns: &[String]) -> Table {
    let cols = columns
        .iter()
        .map(|c| match plan.info.column(c) {
            Some(s) => s.empty_vector(),
            None => Vector::empty(DataType::Int),
        })
        .collect();
    let mut t = Table::new(columns.to_vec(), cols);
    t.name = plan.table.clone();
    t
}

/// How a query runs over the partitions.
enum Shape {
    Partial(PartialPlan),
    /// The query per partition; `keys` hidden key columns put the concatenation in order.
    PerPartition {
        context: bool,
        sort: bool,
    },
    Stream,
    /// `select map`: the query per partition, results concatenated as they come.
    Map,
    /// `context by` + `top`/`limit` over plain columns: each partition keeps its candidate
    /// rows, the query runs again over them.
    ContextLimit,
}

/// An aggregate computed from partial states.
struct Leaf {
    f: Fast,
    /// Empty for `count(*)`.
    args: Vec<Expr>,
    text: String,
}

struct PartialPlan {
    grouped: bool,
    /// `(expression text, name)` of each group key, as `grouped::Groups` matches keys.
    keys: Vec<(String, String)>,
    leaves: Vec<Leaf>,
    /// Select items, having conditions: rewritten to read the reduced table's hidden key and
    /// aggregate columns.
    items: Vec<(String, Expr)>,
    having: Vec<Expr>,
}

/// Picks the shape of a prepared query; None runs it in memory over every pruned partition.
fn classify(ip: &mut Interpreter, s: &SelectStmt, q: &Query) -> Option<Shape> {
    let pcols = &q.plan.info.partition_columns;
    if pcols.is_empty() || q.plan.partitions.len() < 2 {
        return None;
    }
    // Row-wise `where` conditions select the same rows partition by partition.
    // `map`: per partition, even with aggregates or order-dependent `where` conditions.
    if s.map {
        return Some(Shape::Map);
    }
    let t = &q.empty;
    if !s.where_.iter().all(|c| rowwise(ip, c, t) && !has_select(c)) {
        return None;
    }
    let keys_hold_partitioning = || {
        pcols.iter().all(|p| {
            s.group
                .iter()
                .any(|g| matches!(&g.expr, Expr::Var(n) if n.eq_ignore_ascii_case(p)))
        })
    };
    let keys_rowwise = s.group.iter().all(|g| rowwise(ip, &g.expr, t));
    match s.group_kind {
        Some(GroupKind::GroupBy) if keys_rowwise => {
            // Partial states even when no group spans partitions: that map step runs where
            // the rows are in a cluster, so only one row per group crosses the network.
            if let Some(p) = partial_plan(ip, s, q, true) {
                return Some(Shape::Partial(p));
            }
            keys_hold_partitioning().then_some(Shape::PerPartition {
                context: false,
                sort: true,
            })
        }
        Some(GroupKind::ContextBy) if keys_rowwise && keys_hold_partitioning() => {
            Some(Shape::PerPartition {
                context: true,
                // With `limit` and no `csort`, rows keep the table's order.
                sort: !(s.limit.is_some() && s.csort.is_empty()),
            })
        }
        Some(GroupKind::ContextBy) if keys_rowwise && context_limit_fits(ip, s, t) => {
            Some(Shape::ContextLimit)
        }
        None => {
            let items = expand_star(&s.items, &q.empty);
            let aggregated = items
                .iter()
                .any(|i| is_count_star(&i.expr) || has_aggregate(ip, &i.expr));
            if aggregated {
                if !s.having.is_empty() {
                    return None;
                }
                return partial_plan(ip, s, q, false).map(Shape::Partial);
            }
            let streamable = !s.distinct
                && !items.is_empty()
                && items.iter().all(|i| {
                    rowwise(ip, &i.expr, t)
                        && reads_column(&i.expr, t)
                        && !i.alias.as_deref().is_some_and(|a| a.contains('`'))
                })
                && s.order.iter().all(|o| rowwise(ip, &o.expr, t));
            streamable.then_some(Shape::Stream)
        }
        _ => None,
    }
}

/// Is `e` row-wise over `t` (`select::is_rowwise`), counting constant pairs, vectors and
/// tuples (`between(x, 1:5)`) as constants?
fn rowwise(ip: &Interpreter, e: &Expr, t: &Table) -> bool {
    let constant = |x: &Expr| {
        let mut ok = true;
        super::expr::visit(x, &mut |y| {
            match y {
                Expr::Var(n) if t.column_index(n).is_some() => ok = false,
                Expr::Call(..)
                | Expr::Method(..)
                | Expr::Partial(..)
                | Expr::Template(..)
                | Expr::Lambda(_)
                | Expr::Select(_)
                | Expr::Star => ok = false,
                _ => {}
            }
            ok
        });
        ok
    };
    let folded = rewrite(e, &mut |x| match x {
        Expr::Binary(..) | Expr::Vector(_) | Expr::Tuple(_) if constant(x) => {
            Some(Expr::Const(Value::void()))
        }
        _ => None,
    });
    is_rowwise(ip, &folded)
}

/// Does `e` read a column of `t`?
fn reads_column(e: &Expr, t: &Table) -> bool {
    let mut found = false;
    super::expr::visit(e, &mut |x| {
        if let Expr::Var(n) = x {
            found |= t.column_index(n).is_some();
        }
        !found
    });
    found
}

/// The partial-aggregate plan of a grouped (or aggregate-only) query, if every aggregate it
/// computes has mergeable partial states for its argument types.
fn partial_plan(
    ip: &mut Interpreter,
    s: &SelectStmt,
    q: &Query,
    grouped: bool,
) -> Option<PartialPlan> {
    let keys: Vec<(String, String)> = s
        .group
        .iter()
        .map(|g| (g.expr.to_string(), item_name(g)))
        .collect();
    let mut leaves: Vec<Leaf> = Vec::new();
    let items = expand_star(&s.items, &q.empty);
    let mut out_items = Vec::with_capacity(items.len());
    for it in &items {
        let name = item_name(it);
        if multi_names(&name).is_some() {
            return None;
        }
        let e = decompose(ip, &it.expr, &keys, &mut leaves, &q.empty)?;
        out_items.push((name, e));
    }
    let mut having = Vec::new();
    for h in &s.having {
        having.push(decompose(ip, h, &keys, &mut leaves, &q.empty)?);
    }
    // Argument types the partial kernels take: evaluated over no rows.
    let empty = q.empty.clone();
    for leaf in &leaves {
        let vals: Vec<Value> = ip
            .with_scope(Scope::Table(empty.clone()), |ip| {
                leaf.args
                    .iter()
                    .map(|a| ip.eval(a))
                    .collect::<Result<Vec<_>>>()
            })
            .ok()?;
        let cols: Vec<&Vector> = vals
            .iter()
            .map(|v| match v {
                Value::Vector(x) if x.is_empty() => Some(&**x),
                _ => None,
            })
            .collect::<Option<_>>()?;
        agg::partial(leaf.f, &cols, &[], 0)?;
    }
    Some(PartialPlan {
        grouped,
        keys,
        leaves,
        items: out_items,
        having,
    })
}

/// `e` with group keys and aggregates replaced by the reduced table's hidden columns; None
/// when it reads a column outside an aggregate or calls an aggregate without partial states.
fn decompose(
    ip: &Interpreter,
    e: &Expr,
    keys: &[(String, String)],
    leaves: &mut Vec<Leaf>,
    table: &Table,
) -> Option<Expr> {
    let mut ok = true;
    let key_index = |x: &Expr| -> Option<usize> {
        let text = x.to_string();
        keys.iter().position(|k| k.0 == text).or_else(|| match x {
            Expr::Var(n) => keys.iter().position(|k| k.1.eq_ignore_ascii_case(n)),
            _ => None,
        })
    };
    let leaf = |f: Fast, args: &[Expr], leaves: &mut Vec<Leaf>| -> Expr {
        let text = format!(
            "{:?}({})",
            f,
            args.iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let i = match leaves.iter().position(|l| l.text == text) {
            Some(i) => i,
            None => {
                leaves.push(Leaf {
                    f,
                    args: args.to_vec(),
                    text,
                });
                leaves.len() - 1
            }
        };
        Expr::Var(hidden("agg", i))
    };
    let out = rewrite(e, &mut |x| {
        if !ok {
            return Some(x.clone());
        }
        if let Some(k) = key_index(x) {
            return Some(Expr::Var(hidden("key", k)));
        }
        if is_count_star(x) {
            return Some(leaf(Fast::Size, &[], leaves));
        }
        if let Some((b, args)) = as_agg_leaf(ip, x) {
            return match Fast::of(b.name, args.len()) {
                Some(f) if !args.iter().any(|a| matches!(a, Expr::Star)) => {
                    Some(leaf(f, args, leaves))
                }
                _ => {
                    ok = false;
                    Some(x.clone())
                }
            };
        }
        if let Expr::Var(n) = x {
            if table.column_index(n).is_some() {
                ok = false;
            }
        }
        None
    });
    (ok && is_rowwise(ip, &out)).then_some(out)
}

/// Runs a shape; None when the data turned out not to fit it (the caller falls back).
fn execute(ip: &mut Interpreter, s: &SelectStmt, q: &Query, shape: Shape) -> Result<Option<Value>> {
    match shape {
        Shape::Partial(p) => partial_aggregates(ip, s, q, &p),
        Shape::PerPartition { context, sort } => per_partition(ip, s, q, context, sort),
        Shape::Stream => stream(ip, s, q),
        Shape::Map => map_each(ip, s, q),
        Shape::ContextLimit => context_limit(ip, s, q),
    }
}

/// Does `context by ... top/limit` fit `Shape::ContextLimit`? The select list is plain
/// columns under their own names and holds every column the keys and `csort` read, so the
/// rows a partition keeps can be grouped and sorted again; no `having`, `distinct`, `exec`.
fn context_limit_fits(ip: &Interpreter, s: &SelectStmt, t: &Table) -> bool {
    if !s.having.is_empty() || s.distinct || s.exec || (s.top.is_none() && s.limit.is_none()) {
        return false;
    }
    let items = expand_star(&s.items, t);
    let mut names = HashSet::new();
    for it in &items {
        match (&it.expr, &it.alias) {
            (Expr::Var(n), None) if t.column(n).is_some() => {
                names.insert(n.to_ascii_lowercase());
            }
            _ => return false,
        }
    }
    let mut covered = true;
    for e in s
        .group
        .iter()
        .map(|g| &g.expr)
        .chain(s.csort.iter().map(|o| &o.expr))
    {
        if !rowwise(ip, e, t) {
            return false;
        }
        super::expr::visit(e, &mut |x| {
            if let Expr::Var(n) = x {
                if t.column(n).is_some() && !names.contains(&n.to_ascii_lowercase()) {
                    covered = false;
                }
            }
            true
        });
    }
    covered
}

/// Each partition's rows that `context by ... top/limit` may keep, then the query again over
/// their concatenation. A group's kept rows are the first (or last) n of its rows in `csort`
/// order with ties in row order; a partition keeps those of its own rows, in that order and
/// partition after partition, so the second run sees every candidate in the same relative
/// order as the whole table would give and picks the same rows.
fn context_limit(ip: &mut Interpreter, s: &SelectStmt, q: &Query) -> Result<Option<Value>> {
    let mut each = s.clone();
    each.order.clear();
    let parts = each_partition(ip, s, q, None, &|wip, i| {
        as_table(run(wip, &each, partition_source(read_partition(q, i)?))?)
    })?;
    if parts.iter().all(|t| t.rows() == 0) {
        return over_no_rows(ip, s, q);
    }
    let parts: Vec<Table> = parts.into_iter().filter(|t| t.rows() > 0).collect();
    let all = concat_tables(parts)?;
    let mut again = s.clone();
    again.where_.clear();
    run(ip, &again, partition_source(all)).map(Some)
}

// ---------------------------------------------------------------------------------------------
// Running a function over every partition.

/// What a thread evaluating partitions needs: the variables the query mentions and the
/// session's functions.
struct WorkerEnv {
    vars: HashMap<String, Value>,
    funcs: HashMap<String, Arc<FuncDef>>,
    host: Arc<dyn Host>,
}

impl WorkerEnv {
    fn new(ip: &Interpreter, s: &SelectStmt) -> WorkerEnv {
        let mut names = HashSet::new();
        let mut note = |e: &Expr| {
            super::expr::visit(e, &mut |x| {
                if let Expr::Var(n) = x {
                    names.insert(n.clone());
                }
                true
            })
        };
        for it in s.items.iter().chain(&s.group).chain(&s.cgroup) {
            note(&it.expr);
        }
        for e in s.where_.iter().chain(&s.having) {
            note(e);
        }
        for o in s.order.iter().chain(&s.csort) {
            note(&o.expr);
        }
        if let Some(t) = &s.top {
            note(t);
        }
        if let Some((a, b)) = &s.limit {
            note(b);
            if let Some(a) = a {
                note(a);
            }
        }
        let vars = names
            .into_iter()
            .filter_map(|n| ip.lookup_plain_var(&n).map(|v| (n, v)))
            .collect();
        WorkerEnv {
            vars,
            funcs: ip.state.funcs.clone(),
            host: ip.host_arc(),
        }
    }
}

/// Stops reading partitions once the ones read so far, in order, hold `rows` rows.
struct Enough<T> {
    rows: usize,
    count: fn(&T) -> usize,
}

/// One partition's needed columns, filtered at the replica by the pushed conditions.
fn read_partition(q: &Query, i: usize) -> Result<Table> {
    q.dfs
        .read_partition_where(&q.plan, i, &q.columns, &q.filter)
}

/// Runs `f` over every partition of the plan (by index: it reads the partition, usually with
/// [`read_partition`]), on up to `localExecutors` threads, each holding one partition at a
/// time. Results come in partition order; with `enough`, only the leading partitions that
/// reach its row count.
fn each_partition<T: Send>(
    ip: &mut Interpreter,
    s: &SelectStmt,
    q: &Query,
    enough: Option<Enough<T>>,
    f: &(dyn Fn(&mut Interpreter, usize) -> Result<T> + Sync),
) -> Result<Vec<T>> {
    let n = q.plan.partitions.len();
    let threads = super::dfs::scan_threads(ip.host(), n);
    if threads <= 1 {
        let mut out = Vec::with_capacity(n);
        let mut rows = 0usize;
        for i in 0..n {
            let r = f(ip, i)?;
            if let Some(e) = &enough {
                rows += (e.count)(&r);
                out.push(r);
                if rows >= e.rows {
                    break;
                }
            } else {
                out.push(r);
            }
        }
        return Ok(out);
    }
    let env = WorkerEnv::new(ip, s);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let slots: Mutex<Vec<Option<Result<T>>>> = Mutex::new((0..n).map(|_| None).collect());
    // Rows in the leading run of finished partitions, and where that run ends.
    let prefix: Mutex<(usize, usize)> = Mutex::new((0, 0));
    let finished = |i: usize, r: Result<T>| {
        let failed = r.is_err();
        let Ok(mut slots) = slots.lock() else {
            stop.store(true, Ordering::Relaxed);
            return;
        };
        slots[i] = Some(r);
        if failed {
            stop.store(true, Ordering::Relaxed);
            return;
        }
        if let (Some(e), Ok(mut p)) = (&enough, prefix.lock()) {
            while p.1 < n {
                match &slots[p.1] {
                    Some(Ok(t)) => {
                        p.0 += (e.count)(t);
                        p.1 += 1;
                    }
                    _ => break,
                }
            }
            if p.0 >= e.rows {
                stop.store(true, Ordering::Relaxed);
            }
        }
    };
    let joined: Vec<bool> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK_BYTES)
                    .spawn_scoped(scope, || {
                        let mut state = SessionState {
                            vars: env.vars.clone(),
                            funcs: env.funcs.clone(),
                        };
                        let mut sink = |_: &str| {};
                        let mut wip = Interpreter::new(&mut state, env.host.clone(), &mut sink);
                        loop {
                            if stop.load(Ordering::Relaxed) {
                                break;
                            }
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= n {
                                break;
                            }
                            let r = f(&mut wip, i);
                            finished(i, r);
                        }
                    })
            })
            .collect();
        workers
            .into_iter()
            // A thread that could not start read nothing; the others read its share.
            .map(|w| w.map_or(true, |w| w.join().is_ok()))
            .collect()
    });
    if joined.iter().any(|ok| !ok) {
        return Err(Error::new(format!(
            "A task reading a partition of {} failed",
            q.plan.table
        )));
    }
    let slots = slots
        .into_inner()
        .map_err(|_| Error::new("A partition task failed"))?;
    let mut out = Vec::with_capacity(n);
    let mut rows = 0usize;
    for slot in slots {
        match slot {
            Some(Ok(t)) => {
                if let Some(e) = &enough {
                    rows += (e.count)(&t);
                    out.push(t);
                    if rows >= e.rows {
                        break;
                    }
                } else {
                    out.push(t);
                }
            }
            Some(Err(e)) => return Err(e),
            None => {
                if enough.is_some() {
                    // Reading stopped early: every needed partition is in.
                    break;
                }
                return Err(Error::new(format!(
                    "A partition of {} could not be read",
                    q.plan.table
                )));
            }
        }
    }
    Ok(out)
}

/// The in-memory pipeline over no rows: what the query gives when no partition has any.
fn over_no_rows(ip: &mut Interpreter, s: &SelectStmt, q: &Query) -> Result<Option<Value>> {
    let src = Source {
        table: q.empty.clone(),
        quals: Vec::new(),
    };
    run(ip, s, src).map(Some)
}

/// One partition's rows as a query source.
fn partition_source(t: Table) -> Source {
    Source {
        table: Arc::new(t),
        quals: Vec::new(),
    }
}

/// Concatenates tables of one layout row-wise.
fn concat_tables(parts: Vec<Table>) -> Result<Table> {
    let Some(first) = parts.first() else {
        return Ok(Table::default());
    };
    let names = first.names.clone();
    let name = first.name.clone();
    let width = names.len();
    let mut cols: Vec<Vec<Vector>> = vec![Vec::with_capacity(parts.len()); width];
    for p in parts {
        if p.cols() != width {
            return Err(Error::new(
                "The partitions gave results of different shapes.",
            ));
        }
        for (c, v) in cols.iter_mut().zip(p.columns) {
            c.push(Arc::unwrap_or_clone(v));
        }
    }
    let cols = cols.into_iter().map(concat).collect::<Result<Vec<_>>>()?;
    let mut t = Table::new(names, cols);
    t.name = name;
    Ok(t)
}

/// The table's columns but the last `k`, and those `k`.
fn split_hidden(t: Table, k: usize) -> (Table, Vec<Arc<Vector>>) {
    let keep = t.cols().saturating_sub(k);
    let mut names = t.names;
    let mut cols = t.columns;
    let tail = cols.split_off(keep);
    names.truncate(keep);
    let mut out = Table::new(names, Vec::new());
    out.columns = cols;
    out.name = t.name;
    (out, tail)
}

fn as_table(v: Value) -> Result<Table> {
    match v {
        Value::Table(t) => Ok(Arc::unwrap_or_clone(t)),
        _ => Err(Error::new("A partition's query did not give a table.")),
    }
}

// ---------------------------------------------------------------------------------------------
// Partial aggregates.

fn partial_aggregates(
    ip: &mut Interpreter,
    s: &SelectStmt,
    q: &Query,
    p: &PartialPlan,
) -> Result<Option<Value>> {
    let spec = MapSpec {
        where_: &s.where_,
        group: &s.group,
        grouped: p.grouped,
        leaves: p.leaves.iter().map(|l| (l.f, l.args.as_slice())).collect(),
    };
    // The replicas holding the partitions run the map step themselves when it travels.
    let task = MapTask::of(ip, &spec, &q.empty);
    let nk = p.keys.len();
    let parts = each_partition(ip, s, q, None, &|wip, i| {
        let rows = match &task {
            Some(task) => match q
                .dfs
                .map_partition(&q.plan, i, &q.columns, &q.filter, task)?
            {
                Mapped::Partials(t) => {
                    return Partials::from_table(t, nk, p.leaves.len()).map(Some)
                }
                Mapped::Rows(t) => t,
            },
            None => read_partition(q, i)?,
        };
        map_partials(wip, &spec, rows)
    })?;
    let Some(parts) = parts.into_iter().collect::<Option<Vec<_>>>() else {
        return Ok(None);
    };
    // Put the partitions' groups together, in partition order.
    let mut keys: Vec<Vec<Vector>> = vec![Vec::new(); nk];
    let mut states: Vec<Vec<Vec<Vector>>> = p.leaves.iter().map(|_| Vec::new()).collect::<Vec<_>>();
    let mut rows = 0usize;
    for part in parts {
        rows += part
            .states
            .first()
            .and_then(|s| s.first())
            .map_or(0, |v| v.len());
        if p.leaves.is_empty() {
            rows += part.keys.first().map_or(0, |v| v.len());
        }
        for (k, v) in keys.iter_mut().zip(part.keys) {
            k.push(v);
        }
        for (l, st) in states.iter_mut().zip(part.states) {
            if l.is_empty() {
                l.extend(st.into_iter().map(|v| vec![v]));
            } else {
                for (a, b) in l.iter_mut().zip(st) {
                    a.push(b);
                }
            }
        }
    }
    if rows == 0 {
        return over_no_rows(ip, s, q);
    }
    let keys: Vec<Vector> = keys.into_iter().map(concat).collect::<Result<_>>()?;
    let states: Vec<Vec<Vector>> = states
        .into_iter()
        .map(|l| l.into_iter().map(concat).collect::<Result<Vec<_>>>())
        .collect::<Result<_>>()?;
    // Regroup: groups in key order, as `group by` gives them. When no two partitions can hold
    // the same key, every partition's group is a group of the whole table: only the order is
    // left to find.
    let g = if p.grouped {
        let refs: Vec<&Vector> = keys.iter().collect();
        let g = if partitions_disjoint_on_keys(s, q) {
            Grouping {
                ids: (0..rows as u32).collect(),
                n: rows,
                first: (0..rows as u32).collect(),
            }
        } else {
            group_ids(&refs, rows)
        };
        sort_groups(g, &refs)
    } else {
        Grouping::single(rows)
    };
    let first: Vec<i64> = g.first.iter().map(|&r| r as i64).collect();
    let mut names = Vec::new();
    let mut cols = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        names.push(hidden("key", i));
        cols.push(k.take(&first));
    }
    for (i, (leaf, st)) in p.leaves.iter().zip(&states).enumerate() {
        let refs: Vec<&Vector> = st.iter().collect();
        let Some(v) = agg::combine(leaf.f, &refs, &g.ids, g.n) else {
            return Ok(None);
        };
        names.push(hidden("agg", i));
        cols.push(v);
    }
    let reduced = Arc::new(Table::new(names, cols));
    let n = g.n;
    let eval = |ip: &mut Interpreter, e: &Expr| -> Result<Value> {
        ip.with_scope(Scope::Table(reduced.clone()), |ip| ip.eval(e))
    };
    if !p.grouped {
        // One row, as the aggregates of the whole table give it.
        let mut names = Vec::with_capacity(p.items.len());
        let mut values = Vec::with_capacity(p.items.len());
        let mut all_scalar = true;
        for (name, e) in &p.items {
            let v = match eval(ip, e)? {
                Value::Vector(x) if x.len() == 1 => Value::Scalar(x.slice(0, 1)),
                v => v,
            };
            all_scalar &= !matches!(v, Value::Vector(_));
            names.push(name.clone());
            values.push(v);
        }
        dedupe(&mut names);
        let mut result = build_table(names, values)?;
        if s.distinct {
            result = distinct_rows(result);
        }
        let range = row_range(ip, s, result.rows())?;
        result = order_by_range(ip, result, &s.order, None, range)?;
        return Ok(Some(finish(s, result, all_scalar && !s.distinct)));
    }
    let mut keep: Option<Vec<bool>> = None;
    for h in &p.having {
        let v = eval(ip, h)?;
        let mut mask = vec![false; n];
        for i in mask_positions(&v, n)? {
            mask[i as usize] = true;
        }
        keep = Some(match keep {
            Some(k) => k.into_iter().zip(mask).map(|(a, b)| a && b).collect(),
            None => mask,
        });
    }
    let item_names: Vec<&String> = p.items.iter().map(|(n, _)| n).collect();
    let mut names = Vec::new();
    let mut values = Vec::new();
    if !s.exec {
        for (k, (_, kname)) in p.keys.iter().enumerate() {
            if !item_names.iter().any(|n| n.eq_ignore_ascii_case(kname)) {
                names.push(kname.clone());
                values.push(Value::Vector(reduced.columns[k].clone()));
            }
        }
    }
    for (name, e) in &p.items {
        names.push(name.clone());
        values.push(broadcast(eval(ip, e)?, n));
    }
    dedupe(&mut names);
    let mut result = build_table(names, values)?;
    if let Some(keep) = keep {
        let idx: Vec<i64> = (0..n as i64).filter(|&g| keep[g as usize]).collect();
        result = take_rows(&result, &idx);
    }
    if s.distinct {
        result = distinct_rows(result);
    }
    let range = row_range(ip, s, result.rows())?;
    result = order_by_range(ip, result, &s.order, None, range)?;
    Ok(Some(finish(s, result, false)))
}

/// Can no two partitions of the plan give the same `group by` key? True when some keys are
/// partitioning columns themselves (a value lies in one partition of its level) and the
/// partitions all differ at those levels (their paths name one partition per level).
fn partitions_disjoint_on_keys(s: &SelectStmt, q: &Query) -> bool {
    let levels: Vec<usize> = q
        .plan
        .info
        .partition_columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            s.group
                .iter()
                .any(|g| matches!(&g.expr, Expr::Var(n) if n.eq_ignore_ascii_case(c)))
        })
        .map(|(l, _)| l)
        .collect();
    if levels.is_empty() {
        return false;
    }
    let mut seen = HashSet::new();
    q.plan.partitions.iter().all(|p| {
        let parts: Vec<&str> = p.path.split('/').filter(|x| !x.is_empty()).collect();
        let key: Option<Vec<&str>> = levels.iter().map(|&l| parts.get(l).copied()).collect();
        key.is_some_and(|k| seen.insert(k))
    })
}

// ---------------------------------------------------------------------------------------------
// The whole query per partition.

fn per_partition(
    ip: &mut Interpreter,
    s: &SelectStmt,
    q: &Query,
    context: bool,
    sort: bool,
) -> Result<Option<Value>> {
    let mut each = s.clone();
    each.order.clear();
    each.distinct = false;
    if !context {
        each.top = None;
        each.limit = None;
    }
    let nk = s.group.len();
    for (i, g) in s.group.iter().enumerate() {
        each.items.push(SelectItem {
            expr: g.expr.clone(),
            alias: Some(hidden("key", i)),
        });
    }
    let parts = each_partition(ip, s, q, None, &|wip, i| {
        as_table(run(wip, &each, partition_source(read_partition(q, i)?))?)
    })?;
    if parts.iter().all(|t| t.rows() == 0) {
        return over_no_rows(ip, s, q);
    }
    let parts: Vec<Table> = parts.into_iter().filter(|t| t.rows() > 0).collect();
    let mut all = concat_tables(parts)?;
    if sort && all.rows() > 1 {
        let keys: Vec<Arc<Vector>> = all.columns[all.cols().saturating_sub(nk)..].to_vec();
        let refs: Vec<(&Vector, bool)> = keys.iter().map(|k| (&**k, true)).collect();
        let perm: Vec<i64> = sort_permutation(&refs, all.rows())
            .into_iter()
            .map(|i| i as i64)
            .collect();
        all = take_rows(&all, &perm);
    }
    let (mut result, _) = split_hidden(all, nk);
    if context {
        result = order_by(ip, result, &s.order, None)?;
        return Ok(Some(finish(s, result, false)));
    }
    if s.distinct {
        result = distinct_rows(result);
    }
    let range = row_range(ip, s, result.rows())?;
    result = order_by_range(ip, result, &s.order, None, range)?;
    Ok(Some(finish(s, result, false)))
}

/// `select map ...`: the query on each partition, the results one after the other.
fn map_each(ip: &mut Interpreter, s: &SelectStmt, q: &Query) -> Result<Option<Value>> {
    let mut each = s.clone();
    each.map = false;
    let parts = each_partition(ip, s, q, None, &|wip, i| {
        run(wip, &each, partition_source(read_partition(q, i)?))
    })?;
    if parts.iter().all(|v| matches!(v, Value::Table(_))) {
        let tables = parts
            .into_iter()
            .map(as_table)
            .collect::<Result<Vec<_>>>()?;
        return Ok(Some(Value::table(concat_tables(tables)?)));
    }
    let mut pieces = Vec::with_capacity(parts.len());
    for v in parts {
        pieces.push(match v {
            Value::Vector(x) => Arc::unwrap_or_clone(x),
            Value::Scalar(x) => x,
            _ => return Ok(None),
        });
    }
    Ok(Some(Value::vector(concat(pieces)?)))
}

// ---------------------------------------------------------------------------------------------
// Streamed rows.

/// Sort keys of `order` over a partition's result `res`, or else over its rows that meet
/// the `where` conditions (as `select::order_by_range` finds them).
fn order_keys(
    ip: &mut Interpreter,
    s: &SelectStmt,
    res: &Arc<Table>,
    rows_of: &dyn Fn(&mut Interpreter) -> Result<Arc<Table>>,
) -> Result<Vec<Vector>> {
    let rows = res.rows();
    let mut source: Option<Arc<Table>> = None;
    let mut keys = Vec::with_capacity(s.order.len());
    for o in &s.order {
        // Over the result first; over the rows when it names something the result lacks (a
        // name that is also a function, such as `seq`, gives no column over the result).
        let on_result = match ip.with_scope(Scope::Table(res.clone()), |ip| ip.eval(&o.expr)) {
            Ok(v @ (Value::Vector(_) | Value::Scalar(_))) => Ok(v),
            Ok(_) => Err(Error::new(format!(
                "The order by column [{}] must have one value per row.",
                o.expr
            ))),
            Err(e) => Err(e),
        };
        let v = match on_result {
            Ok(v) => v,
            Err(e) => {
                if source.is_none() {
                    source = Some(rows_of(ip)?);
                }
                match &source {
                    Some(t) if t.rows() == rows => {
                        ip.with_scope(Scope::Table(t.clone()), |ip| ip.eval(&o.expr))?
                    }
                    _ => return Err(e),
                }
            }
        };
        keys.push(match v {
            Value::Vector(x) if x.len() == rows => Arc::unwrap_or_clone(x),
            Value::Scalar(x) => x.take(&vec![0; rows]),
            _ => {
                return Err(Error::new(format!(
                    "The order by column [{}] must have one value per row.",
                    o.expr
                )))
            }
        });
    }
    Ok(keys)
}

/// Sorts `t` by its last `order.len()` columns (the keys, as `order_by_range` does) and
/// keeps the rows in `range` of the sorted order.
fn sort_by_hidden(t: Table, order: &[OrderItem], range: (usize, usize)) -> Table {
    let rows = t.rows();
    if rows < 2 {
        return slice_rows(t, (range.0.min(rows), range.1.min(rows)));
    }
    let keys: Vec<&Vector> = t.columns[t.cols().saturating_sub(order.len())..]
        .iter()
        .map(|c| &**c)
        .collect();
    let perm = super::select::ordered_rows(&keys, order, rows, range);
    take_rows(&t, &perm)
}

fn stream(ip: &mut Interpreter, s: &SelectStmt, q: &Query) -> Result<Option<Value>> {
    // The rows wanted: `top`/`limit` counted from the start (a negative limit counts from
    // the end: every row is needed).
    let end: Option<usize> = if s.top.is_some() || s.limit.is_some() {
        let r = row_range(ip, s, usize::MAX >> 1)?;
        let negative = match &s.limit {
            Some((_, e)) if s.top.is_none() => ip.eval(e)?.as_i64().is_some_and(|n| n < 0),
            _ => false,
        };
        (!negative).then_some(r.1)
    } else {
        None
    };
    let mut each = s.clone();
    each.exec = false;
    each.order.clear();
    each.top = None;
    each.limit = None;
    let ordered = !s.order.is_empty();
    if let (false, Some(end)) = (ordered, end) {
        each.limit = Some((None, Expr::Const(Value::long(end as i64))));
    }
    let rows_of = |ip: &mut Interpreter, t: &Arc<Table>| -> Result<Arc<Table>> {
        let mut frame = Frame::new(t.clone());
        frame.filter(ip, &s.where_)?;
        let exprs: Vec<&Expr> = s.order.iter().map(|o| &o.expr).collect();
        Ok(frame.table(&Needed::of(&exprs)))
    };
    let map = |wip: &mut Interpreter, i: usize| -> Result<Table> {
        let t = Arc::new(read_partition(q, i)?);
        let res = as_table(run(
            wip,
            &each,
            Source {
                table: t.clone(),
                quals: Vec::new(),
            },
        )?)?;
        if !ordered {
            return Ok(res);
        }
        let res = Arc::new(res);
        let keys = order_keys(wip, s, &res, &|ip| rows_of(ip, &t))?;
        let mut out = Arc::unwrap_or_clone(res);
        for (i, k) in keys.into_iter().enumerate() {
            out.names.push(hidden("order", i));
            out.columns.push(Arc::new(k));
        }
        Ok(match end {
            Some(end) => sort_by_hidden(out, &s.order, (0, end)),
            None => out,
        })
    };
    let enough = match (ordered, end) {
        (false, Some(rows)) => Some(Enough {
            rows,
            count: Table::rows,
        }),
        _ => None,
    };
    let parts = each_partition(ip, s, q, enough, &map)?;
    let mut all = concat_tables(parts)?;
    if all.cols() == 0 {
        return over_no_rows(ip, s, q);
    }
    let range = row_range(ip, s, all.rows())?;
    if ordered {
        all = sort_by_hidden(all, &s.order, range);
        let (t, _) = split_hidden(all, s.order.len());
        all = t;
    } else {
        all = slice_rows(all, range);
    }
    Ok(Some(finish(s, all, false)))
}
