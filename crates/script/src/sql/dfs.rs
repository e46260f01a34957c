//! SQL over DFS tables (helper dfs): `select ... from loadTable(...)` or a variable holding a
//! DFS table handle, and `update`/`delete`/`insert into` such a table.
//!
//! A query's `where` conditions on partitioning columns (`=`, `in`, `between`, `<`, `<=`, `>`,
//! `>=`, joined by `and` or commas) prune partitions (`Dfs::plan_scan`); the remaining
//! partitions are read at one snapshot, only the columns the query mentions, on up to
//! `localExecutors` threads; the in-memory pipeline then runs over their rows, so every query
//! shape gives the same result as on an in-memory table. `update`/`delete` rewrite each
//! affected partition in one transaction.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use value::{Table, Value, Vector};

use super::expr::names_in;
use super::frame::Frame;
use crate::ast::*;
use crate::builtins::Env;
use crate::dfs::{
    as_table_handle, dfs_of, ColumnPredicate, Dfs, DfsTableHandle, PredicateOp, ScanPlan,
};
use crate::interp::Interpreter;
use crate::{bail, Error, Result};

/// Most threads one scan reads partitions with.
pub const SCAN_THREADS_MAX: usize = 64;

/// The variable a partition is bound to while a DML statement runs over it.
const PARTITION_VAR: &str = "__dfs_partition__";

/// The DFS table an expression names without side effects: a variable or `loadTable(...)`.
pub(crate) fn handle_of(ip: &mut Interpreter, e: &Expr) -> Result<Option<DfsTableHandle>> {
    let e = match e {
        Expr::Alias(inner, _) => &**inner,
        e => e,
    };
    let v = match e {
        Expr::Var(n) => match ip.lookup_var(n) {
            Some(v) => v,
            None => return Ok(None),
        },
        Expr::Call(f, _) if matches!(&**f, Expr::Var(n) if n == "loadTable") => ip.eval(e)?,
        _ => return Ok(None),
    };
    Ok(as_table_handle(&v).cloned())
}

/// The columns a select mentions, in table order (all for `*`; one when it mentions none,
/// so `count(*)` still sees the rows).
pub(super) fn needed_columns(s: &SelectStmt, plan: &ScanPlan) -> Vec<String> {
    let mut exprs: Vec<&Expr> = s.items.iter().map(|i| &i.expr).collect();
    exprs.extend(s.where_.iter());
    exprs.extend(s.group.iter().map(|i| &i.expr));
    exprs.extend(s.having.iter());
    exprs.extend(s.order.iter().map(|o| &o.expr));
    exprs.extend(s.csort.iter().map(|o| &o.expr));
    let mut names = HashSet::new();
    let mut star = false;
    for e in exprs {
        // `*` reads every column, but `count(*)` none.
        super::expr::visit(e, &mut |x| {
            if super::expr::is_count_star(x) {
                return false;
            }
            if matches!(x, Expr::Star) {
                star = true;
            }
            true
        });
        names_in(e, &mut names);
    }
    let all: Vec<String> = plan.info.columns.iter().map(|c| c.name.clone()).collect();
    if star {
        return all;
    }
    let picked: Vec<String> = all
        .iter()
        .filter(|c| names.contains(&c.to_ascii_lowercase()))
        .cloned()
        .collect();
    if picked.is_empty() {
        all.into_iter().take(1).collect()
    } else {
        picked
    }
}

/// How many threads read partitions: `localExecutors` (else the machine's cores), bounded.
pub(super) fn scan_threads(host: &dyn crate::builtins::Host, parts: usize) -> usize {
    let configured = host
        .config("localExecutors")
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0);
    let n = configured.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    n.clamp(1, SCAN_THREADS_MAX).min(parts.max(1))
}

/// Reads `columns` of every partition of the plan (in parallel) and concatenates them in
/// partition order; with a `filter`, at least the rows that pass it
/// (`Dfs::read_partition_where`).
pub(crate) fn read_all(
    host: &dyn crate::builtins::Host,
    dfs: &Arc<dyn Dfs>,
    plan: &ScanPlan,
    columns: &[String],
    filter: &super::pushdown::RowFilter,
) -> Result<Table> {
    let n = plan.partitions.len();
    let threads = scan_threads(host, n);
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Option<Result<Table>>> = (0..n).map(|_| None).collect();
    if threads <= 1 {
        for (i, slot) in parts.iter_mut().enumerate() {
            *slot = Some(dfs.read_partition_where(plan, i, columns, filter));
        }
    } else {
        let results: Vec<Vec<(usize, Result<Table>)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= n {
                                break;
                            }
                            out.push((i, dfs.read_partition_where(plan, i, columns, filter)));
                        }
                        out
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_default())
                .collect()
        });
        for (i, r) in results.into_iter().flatten() {
            parts[i] = Some(r);
        }
    }
    let mut cols: Option<Vec<Vector>> = None;
    for p in parts {
        let Some(p) = p else {
            bail!("A partition of {} could not be read", plan.table);
        };
        let p = p?;
        match cols.as_mut() {
            // The first partition's columns are taken as they are.
            None => {
                cols = Some(p.columns.into_iter().map(Arc::unwrap_or_clone).collect());
            }
            Some(cols) => {
                for (c, pc) in cols.iter_mut().zip(&p.columns) {
                    if !c.extend(pc) {
                        bail!("A partition of {} has a column of another type", plan.table);
                    }
                }
            }
        }
    }
    let cols = cols.unwrap_or_else(|| {
        columns
            .iter()
            .map(|c| match plan.info.column(c) {
                Some(s) => s.empty_vector(),
                None => Vector::empty(value::DataType::Int),
            })
            .collect()
    });
    let mut t = Table::new(columns.to_vec(), cols);
    t.name = plan.table.clone();
    Ok(t)
}

/// Every row of a DFS table, partition after partition (what joins read of a DFS table).
pub(crate) fn whole_table(host: &dyn crate::builtins::Host, h: &DfsTableHandle) -> Result<Table> {
    let dfs = dfs_of(host)?;
    let plan = dfs.plan_scan(&h.db, &h.table, &[])?;
    let columns: Vec<String> = plan.info.columns.iter().map(|c| c.name.clone()).collect();
    read_all(host, &dfs, &plan, &columns, &Default::default())
}

/// The value itself, or the rows of the DFS table it is a handle of.
pub(crate) fn materialize(host: &dyn crate::builtins::Host, v: &Value) -> Result<Value> {
    match as_table_handle(v) {
        Some(h) => Ok(Value::table(whole_table(host, h)?)),
        None => Ok(v.clone()),
    }
}

/// The most a DFS table sent as a script's result may hold, in (estimated) bytes: a client
/// that asks for a whole table gets its rows, but not more than a query result may hold
/// (DolphinDB's `memLimitOfQueryResult` is a few GB by default).
pub const CLIENT_TABLE_BYTES_MAX: usize = 4 << 30;

/// What a client receives for a script's result: a DFS table handle (`loadTable(...)` as the
/// last statement) becomes the table's rows, as DolphinDB sends them; anything else as is.
pub fn client_value(host: &dyn crate::builtins::Host, v: Value, max_bytes: usize) -> Result<Value> {
    let Some(h) = as_table_handle(&v) else {
        return Ok(v);
    };
    let dfs = dfs_of(host)?;
    let plan = dfs.plan_scan(&h.db, &h.table, &[])?;
    let columns: Vec<String> = plan.info.columns.iter().map(|c| c.name.clone()).collect();
    // Partition by partition, so that a table too large to send fails before it is all read.
    let mut cols: Vec<Vector> = plan.info.columns.iter().map(|c| c.empty_vector()).collect();
    let mut bytes = 0usize;
    for i in 0..plan.partitions.len() {
        let part = dfs.read_partition(&plan, i, &columns)?;
        bytes += part.columns.iter().map(|c| approx_bytes(c)).sum::<usize>();
        if bytes > max_bytes {
            bail!(
                "The DFS table {}/{} is too large to return to the client (more than {} bytes); \
                 query it with select",
                h.db.trim_end_matches('/'),
                h.table,
                max_bytes
            );
        }
        for (c, pc) in cols.iter_mut().zip(&part.columns) {
            if !c.extend(pc) {
                bail!("A partition of {} has a column of another type", plan.table);
            }
        }
    }
    let mut t = Table::new(columns, cols);
    t.name = plan.table.clone();
    Ok(Value::table(t))
}

/// A rough size of a column: fixed-width cells, string bytes, array cells.
fn approx_bytes(v: &Vector) -> usize {
    match &v.data {
        value::Data::Str(x) => x.iter().map(|s| s.len() + 1).sum(),
        value::Data::Blob(x) => x.iter().map(|s| s.len() + 4).sum(),
        value::Data::Array(a) => approx_bytes(&a.values) + 4 * a.offsets.len(),
        value::Data::Any(x) => 16 * x.len(),
        _ => v.ty.wire_width().unwrap_or(8) * v.len(),
    }
}

/// `where` conditions that pruning understands: `col op constant` on a table column.
pub(crate) fn predicates(
    ip: &mut Interpreter,
    conds: &[Expr],
    columns: &[String],
) -> Vec<ColumnPredicate> {
    predicates_with(&mut |e| ip.eval(e).ok(), conds, columns)
}

/// `predicates` with `eval` evaluating the constants.
pub fn predicates_with(
    eval: &mut dyn FnMut(&Expr) -> Option<Value>,
    conds: &[Expr],
    columns: &[String],
) -> Vec<ColumnPredicate> {
    let mut out = Vec::new();
    for c in conds {
        collect(
            eval,
            &super::expr::chained_comparisons(c),
            columns,
            &mut out,
        );
    }
    out
}

fn column_name(e: &Expr, columns: &[String]) -> Option<String> {
    match e {
        Expr::Var(n) => columns.iter().find(|c| c.eq_ignore_ascii_case(n)).cloned(),
        _ => None,
    }
}

/// Evaluates an expression that mentions no column.
fn constant(
    eval: &mut dyn FnMut(&Expr) -> Option<Value>,
    e: &Expr,
    columns: &[String],
) -> Option<Value> {
    let mut names = HashSet::new();
    names_in(e, &mut names);
    if columns
        .iter()
        .any(|c| names.contains(&c.to_ascii_lowercase()))
    {
        return None;
    }
    if super::expr::has_select(e) {
        return None;
    }
    eval(e)
}

fn collect(
    ip: &mut dyn FnMut(&Expr) -> Option<Value>,
    e: &Expr,
    columns: &[String],
    out: &mut Vec<ColumnPredicate>,
) {
    match e {
        Expr::Binary(BinOp::And, a, b) => {
            collect(ip, a, columns, out);
            collect(ip, b, columns, out);
        }
        Expr::Binary(op @ (BinOp::Eq | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), a, b) => {
            // `col op c` or `c op col` (flipped).
            let (col, val, op) = match (column_name(a, columns), column_name(b, columns)) {
                (Some(c), None) => (c, &**b, *op),
                (None, Some(c)) => (
                    c,
                    &**a,
                    match op {
                        BinOp::Lt => BinOp::Gt,
                        BinOp::Le => BinOp::Ge,
                        BinOp::Gt => BinOp::Lt,
                        BinOp::Ge => BinOp::Le,
                        o => *o,
                    },
                ),
                _ => return,
            };
            let Some(v) = constant(ip, val, columns) else {
                return;
            };
            if !matches!(v, Value::Scalar(_)) {
                return;
            }
            let op = match op {
                BinOp::Eq => PredicateOp::Eq(v),
                BinOp::Lt => PredicateOp::Lt(v),
                BinOp::Le => PredicateOp::Le(v),
                BinOp::Gt => PredicateOp::Gt(v),
                _ => PredicateOp::Ge(v),
            };
            out.push(ColumnPredicate { column: col, op });
        }
        Expr::Call(f, args) if args.len() == 2 => {
            let Expr::Var(fname) = &**f else {
                return;
            };
            let Some(col) = column_name(&args[0], columns) else {
                return;
            };
            let Some(v) = constant(ip, &args[1], columns) else {
                return;
            };
            match fname.as_str() {
                "in" => {
                    let vec = match &v {
                        Value::Scalar(x) => x.clone(),
                        Value::Vector(x) | Value::Pair(x) if x.ty != value::DataType::Any => {
                            (**x).clone()
                        }
                        Value::Set(s) => s.keys.clone(),
                        _ => return,
                    };
                    out.push(ColumnPredicate {
                        column: col,
                        op: PredicateOp::In(vec),
                    });
                }
                "between" => {
                    let Value::Pair(p) = &v else {
                        return;
                    };
                    out.push(ColumnPredicate {
                        column: col,
                        op: PredicateOp::Between(p.get(0), p.get(1)),
                    });
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// The DFS table a DML statement targets, if it is one.
pub(crate) fn target(ip: &mut Interpreter, e: &Expr) -> Result<Option<DfsTableHandle>> {
    handle_of(ip, e)
}

/// Runs `f` with `t` bound to the partition variable; returns the variable's new table.
fn over_partition(
    ip: &mut Interpreter,
    t: Table,
    f: impl FnOnce(&mut Interpreter) -> Result<()>,
) -> Result<Arc<Table>> {
    ip.assign_var(PARTITION_VAR, Value::table(t))?;
    let r = f(ip);
    let out = ip.lookup_plain_var(PARTITION_VAR);
    ip.remove_var(PARTITION_VAR);
    r?;
    match out {
        Some(Value::Table(t)) => Ok(t),
        _ => Err(Error::new("The statement lost its table")),
    }
}

/// Reads every pruned partition whole, lets `rewrite` change it, and replaces the changed
/// ones in one transaction.
fn rewrite_partitions(
    ip: &mut Interpreter,
    h: &DfsTableHandle,
    where_: &[Expr],
    mut rewrite: impl FnMut(&mut Interpreter, Table) -> Result<Option<Table>>,
) -> Result<()> {
    let dfs = dfs_of(ip.host())?;
    let info = dfs.table(&h.db, &h.table)?;
    let names: Vec<String> = info.columns.iter().map(|c| c.name.clone()).collect();
    let preds = predicates(ip, where_, &names);
    let plan = dfs.plan_scan(&h.db, &h.table, &preds)?;
    let mut changed = Vec::new();
    for i in 0..plan.partitions.len() {
        let t = dfs.read_partition(&plan, i, &[])?;
        if let Some(new) = rewrite(ip, t)? {
            changed.push((i, new));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    dfs.replace_partitions(&plan, changed)
}

/// Whether any row of `t` meets the `where` conditions.
fn any_selected(ip: &mut Interpreter, t: &Table, where_: &[Expr]) -> Result<bool> {
    let mut frame = Frame::new(Arc::new(t.clone()));
    frame.filter(ip, where_)?;
    Ok(frame.len() > 0)
}

/// `update dfsTable set ... where ...`.
pub(crate) fn update(ip: &mut Interpreter, u: &UpdateStmt, h: &DfsTableHandle) -> Result<()> {
    let mut stmt = u.clone();
    stmt.table = Expr::Var(PARTITION_VAR.to_string());
    rewrite_partitions(ip, h, &u.where_, |ip, t| {
        if !any_selected(ip, &t, &u.where_)? {
            return Ok(None);
        }
        let out = over_partition(ip, t, |ip| super::dml::execute_update(ip, &stmt))?;
        Ok(Some(Arc::unwrap_or_clone(out)))
    })
}

/// `delete from dfsTable where ...`.
pub(crate) fn delete(ip: &mut Interpreter, d: &DeleteStmt, h: &DfsTableHandle) -> Result<()> {
    let mut stmt = d.clone();
    stmt.table = Expr::Var(PARTITION_VAR.to_string());
    rewrite_partitions(ip, h, &d.where_, |ip, t| {
        let before = t.rows();
        let out = over_partition(ip, t, |ip| super::dml::execute_delete(ip, &stmt))?;
        Ok(if out.rows() == before {
            None
        } else {
            Some(Arc::unwrap_or_clone(out))
        })
    })
}

/// `insert into dfsTable ...`: the rows the in-memory insert gives an empty table of the
/// schema, appended in one transaction.
pub(crate) fn insert(ip: &mut Interpreter, ins: &InsertStmt, h: &DfsTableHandle) -> Result<()> {
    let dfs = dfs_of(ip.host())?;
    let info = dfs.table(&h.db, &h.table)?;
    let mut stmt = ins.clone();
    stmt.table = Expr::Var(PARTITION_VAR.to_string());
    let rows = over_partition(ip, info.empty_table(), |ip| {
        super::dml::execute_insert(ip, &stmt)
    })?;
    if rows.rows() > 0 {
        dfs.append(&h.db, &h.table, &rows)?;
    }
    Ok(())
}
