//! `select` / `exec`: the query pipeline over one table source.
//!
//! Order of execution (DolphinDB's): from (and joins), where (comma-separated conditions one
//! after the other), group by / context by / pivot by, csort, having, the select list,
//! distinct, top/limit per group with context by, order by, then top/limit over the result.

use std::sync::Arc;

use value::{DataType, Table, Value, Vector};

use super::expr::{is_count_star, is_rowwise, rewrite};
use super::frame::{build_table, take_rows, Frame, Needed};
use super::grouped::{Groups, Key};
use super::keys::{
    group_ids, sort_groups, sort_permutation, sort_permutation_top, stable_row_order, Grouping,
};
use super::names::{dedupe, expr_name, item_name};
use super::source::{self, Source};
use crate::ast::*;
use crate::interp::{Interpreter, Scope};
use crate::{Error, Result};

/// Runs `select` / `exec`.
pub fn execute_select(ip: &mut Interpreter, s: &SelectStmt) -> Result<Value> {
    // A DFS table: map/reduce over its pruned partitions, or their rows read whole (helper
    // dfs, sql/distributed.rs).
    if let Some(v) = super::distributed::select(ip, s)? {
        return Ok(v);
    }
    let src = source::resolve(ip, s.from.as_ref())?;
    run(ip, s, src)
}

/// Runs `select` / `exec` over a resolved source.
pub(super) fn run(ip: &mut Interpreter, s: &SelectStmt, src: Source) -> Result<Value> {
    let s = prepare(ip, s, &src)?;
    let mut frame = Frame::new(src.table.clone());
    frame.filter(ip, &s.where_)?;
    match s.group_kind {
        None => ungrouped(ip, &s, frame),
        Some(GroupKind::GroupBy) => group_by(ip, &s, frame),
        Some(GroupKind::ContextBy) => context_by(ip, &s, frame),
        Some(GroupKind::PivotBy) => super::pivot::pivot_by(ip, &s, frame),
        Some(GroupKind::CGroupBy) => super::pivot::cgroup_by(ip, &s, frame),
    }
}

/// Rewrites every clause's expressions for evaluation over the source: qualified column
/// references (`t2.x`) become the source's column names and subqueries become their values.
pub fn prepare(ip: &mut Interpreter, s: &SelectStmt, src: &Source) -> Result<SelectStmt> {
    let mut out = s.clone();
    let fix = |e: &Expr, ip: &mut Interpreter| -> Result<Expr> {
        let e = super::expr::chained_comparisons(&src.qualify(e));
        source::inline_subqueries(ip, &e)
    };
    // A rewritten item keeps the name it was written with (`t2.x` is still `x`).
    let fix_item = |it: &mut SelectItem, ip: &mut Interpreter| -> Result<()> {
        let e = fix(&it.expr, ip)?;
        if it.alias.is_none()
            && !matches!(it.expr, Expr::Star)
            && e.to_string() != it.expr.to_string()
        {
            it.alias = Some(expr_name(&it.expr));
        }
        it.expr = e;
        Ok(())
    };
    for it in out.items.iter_mut() {
        fix_item(it, ip)?;
    }
    for e in out.where_.iter_mut().chain(out.having.iter_mut()) {
        *e = fix(e, ip)?;
    }
    for it in out.group.iter_mut().chain(out.cgroup.iter_mut()) {
        fix_item(it, ip)?;
    }
    for o in out.order.iter_mut().chain(out.csort.iter_mut()) {
        o.expr = fix(&o.expr, ip)?;
    }
    Ok(out)
}

/// The select list with `*` expanded to the columns of `t`.
pub fn expand_star(items: &[SelectItem], t: &Table) -> Vec<SelectItem> {
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        if matches!(it.expr, Expr::Star) {
            out.extend(t.names.iter().map(|n| SelectItem {
                expr: Expr::Var(n.clone()),
                alias: None,
            }));
        } else {
            out.push(it.clone());
        }
    }
    out
}

fn item_exprs(items: &[SelectItem]) -> Vec<&Expr> {
    items.iter().map(|i| &i.expr).collect()
}

/// The column names of an item aliased with several names (`as `a`b`c`).
pub(super) fn multi_names(alias: &str) -> Option<Vec<String>> {
    alias
        .contains('`')
        .then(|| alias.split('`').map(|s| s.to_string()).collect())
}

/// `top` as a row range over `rows` rows.
fn top_range(ip: &mut Interpreter, top: &Expr, rows: usize) -> Result<(usize, usize)> {
    let int = |v: Value| -> Result<i64> {
        v.as_i64()
            .ok_or_else(|| Error::new("integer constant expected after keyword top"))
    };
    let (a, b) = match top {
        Expr::Binary(BinOp::Pair, a, b) => (int(ip.eval(a)?)?, int(ip.eval(b)?)?),
        e => (0, int(ip.eval(e)?)?),
    };
    let clamp = |x: i64| x.clamp(0, rows as i64) as usize;
    Ok((clamp(a), clamp(b).max(clamp(a))))
}

/// `limit n` / `limit offset, n` as a row range; a negative n takes the last rows.
fn limit_range(
    ip: &mut Interpreter,
    limit: &(Option<Expr>, Expr),
    rows: usize,
) -> Result<(usize, usize)> {
    let int = |v: Value| -> Result<i64> {
        v.as_i64()
            .ok_or_else(|| Error::new("The limit clause must be an integer"))
    };
    let n = int(ip.eval(&limit.1)?)?;
    let off = match &limit.0 {
        Some(e) => int(ip.eval(e)?)?.max(0),
        None => 0,
    };
    if n < 0 {
        let start = (rows as i64 + n).max(0) as usize;
        return Ok((start, rows));
    }
    let start = (off as usize).min(rows);
    let end = (off.saturating_add(n) as usize).min(rows);
    Ok((start, end))
}

/// The range of rows `top`/`limit` keep of `rows` rows (all when neither is given).
pub(super) fn row_range(
    ip: &mut Interpreter,
    s: &SelectStmt,
    rows: usize,
) -> Result<(usize, usize)> {
    if let Some(top) = &s.top {
        return top_range(ip, top, rows);
    }
    if let Some(limit) = &s.limit {
        return limit_range(ip, limit, rows);
    }
    Ok((0, rows))
}

pub(super) fn slice_rows(t: Table, range: (usize, usize)) -> Table {
    if range == (0, t.rows()) {
        return t;
    }
    let idx: Vec<i64> = (range.0 as i64..range.1 as i64).collect();
    take_rows(&t, &idx)
}

/// Sorts `result` by `order`; an expression the result cannot evaluate is evaluated over
/// `rows_source` (the query's rows, when they line up with the result's).
pub fn order_by(
    ip: &mut Interpreter,
    result: Table,
    order: &[OrderItem],
    rows_source: Option<Arc<Table>>,
) -> Result<Table> {
    let rows = result.rows();
    order_by_range(ip, result, order, rows_source, (0, rows))
}

/// Sorts `result` by `order` and keeps the rows in `range` of the sorted order (only those
/// are fully sorted).
pub(super) fn order_by_range(
    ip: &mut Interpreter,
    result: Table,
    order: &[OrderItem],
    rows_source: Option<Arc<Table>>,
    range: (usize, usize),
) -> Result<Table> {
    let rows = result.rows();
    if order.is_empty() || rows < 2 {
        return Ok(slice_rows(result, range));
    }
    let res = Arc::new(result);
    let mut keys: Vec<Vector> = Vec::with_capacity(order.len());
    for o in order {
        let v = match ip.with_scope(Scope::Table(res.clone()), |ip| ip.eval(&o.expr)) {
            Ok(v) => v,
            Err(e) => match &rows_source {
                Some(t) if t.rows() == rows => {
                    ip.with_scope(Scope::Table(t.clone()), |ip| ip.eval(&o.expr))?
                }
                _ => return Err(e),
            },
        };
        keys.push(match v {
            Value::Vector(x) if x.len() == rows => Arc::unwrap_or_clone(x),
            Value::Scalar(s) => s.take(&vec![0; rows]),
            _ => {
                return Err(Error::new(format!(
                    "The order by column [{}] must have one value per row.",
                    o.expr
                )))
            }
        });
    }
    let keys: Vec<&Vector> = keys.iter().collect();
    let perm = ordered_rows(&keys, order, rows, range);
    Ok(take_rows(&res, &perm))
}

/// The row numbers in `order` (one key per item, `rows` long), positions `range` of the sorted
/// order. `nulls first|last` becomes a null flag sorted before its key.
pub(crate) fn ordered_rows(
    keys: &[&Vector],
    order: &[OrderItem],
    rows: usize,
    range: (usize, usize),
) -> Vec<i64> {
    let flags: Vec<Option<Vector>> = keys
        .iter()
        .zip(order)
        .map(|(k, o)| {
            o.nulls_first.map(|_| {
                let f: Vec<i8> = (0..rows).map(|i| k.is_null(i) as i8).collect();
                Vector::from_i8(DataType::Bool, f)
            })
        })
        .collect();
    let mut refs: Vec<(&Vector, bool)> = Vec::with_capacity(keys.len() * 2);
    for ((k, o), f) in keys.iter().zip(order).zip(&flags) {
        if let (Some(f), Some(first)) = (f, o.nulls_first) {
            refs.push((f, !first));
        }
        refs.push((*k, o.asc));
    }
    let perm = sort_permutation_top(&refs, rows, range.1);
    perm[range.0.min(perm.len())..]
        .iter()
        .map(|&i| i as i64)
        .collect()
}

/// Removes repeated rows, keeping the first of each.
pub fn distinct_rows(t: Table) -> Table {
    let cols: Vec<&Vector> = t.columns.iter().map(|c| &**c).collect();
    let g = group_ids(&cols, t.rows());
    if g.n == t.rows() {
        return t;
    }
    let idx: Vec<i64> = g.first.iter().map(|&r| r as i64).collect();
    take_rows(&t, &idx)
}

/// The final shape: `exec` of one column gives the column itself.
pub(super) fn finish(s: &SelectStmt, t: Table, scalar: bool) -> Value {
    if s.exec && t.cols() == 1 {
        let col = t.columns[0].clone();
        if scalar && col.len() == 1 {
            return Value::Scalar(Arc::unwrap_or_clone(col));
        }
        return Value::Vector(col);
    }
    Value::table(t)
}

/// `select` without grouping.
fn ungrouped(ip: &mut Interpreter, s: &SelectStmt, mut frame: Frame) -> Result<Value> {
    let items = expand_star(&s.items, &frame.base);
    let rowwise = items.iter().all(|i| is_rowwise(ip, &i.expr));
    // Without sorting or aggregation, top/limit can cut the rows before any evaluation.
    let early = s.order.is_empty() && !s.distinct && rowwise && !items.is_empty();
    if early {
        let range = row_range(ip, s, frame.len())?;
        if range != (0, frame.len()) {
            frame.narrow((range.0 as i64..range.1 as i64).collect());
        }
    }
    let mut exprs = item_exprs(&items);
    exprs.extend(s.order.iter().map(|o| &o.expr));
    let t = frame.table(&Needed::of(&exprs));
    let rows = frame.len();
    let mut names: Vec<String> = Vec::with_capacity(items.len());
    let mut values = Vec::with_capacity(items.len());
    let mut all_scalar = true;
    for it in &items {
        let e = rewrite(&it.expr, &mut |x| {
            is_count_star(x).then(|| Expr::Const(Value::int(rows as i32)))
        });
        let v = ip.with_scope(Scope::Table(t.clone()), |ip| ip.eval(&e))?;
        let name = item_name(it);
        if let Some(parts) = multi_names(&name) {
            // `f(x) as `a`b`: one column per value of the result.
            let vals = super::grouped::split_values(&v, parts.len()).ok_or_else(|| {
                Error::new(format!(
                    "The expression [{}] must return {} values.",
                    it.expr,
                    parts.len()
                ))
            })?;
            for (p, v) in parts.into_iter().zip(vals) {
                if !p.is_empty() {
                    names.push(p);
                    values.push(v);
                }
            }
            continue;
        }
        all_scalar &= !matches!(v, Value::Vector(_));
        names.push(name);
        values.push(v);
    }
    dedupe(&mut names);
    let mut result = build_table(names, values)?;
    if s.distinct {
        result = distinct_rows(result);
    }
    let source_rows = (!s.distinct).then(|| t.clone());
    if !early {
        let range = row_range(ip, s, result.rows())?;
        result = order_by_range(ip, result, &s.order, source_rows, range)?;
    }
    Ok(finish(s, result, all_scalar && !s.distinct))
}

/// Evaluates the grouping expressions over the frame's rows.
pub fn eval_keys(ip: &mut Interpreter, group: &[SelectItem], t: &Arc<Table>) -> Result<Vec<Key>> {
    let rows = t.rows();
    let mut keys = Vec::with_capacity(group.len());
    for it in group {
        let v = ip.with_scope(Scope::Table(t.clone()), |ip| ip.eval(&it.expr))?;
        let rows_v = match v {
            Value::Vector(x) if x.len() == rows => x,
            Value::Scalar(s) => Arc::new(s.take(&vec![0; rows])),
            _ => {
                return Err(Error::new(format!(
                    "The grouping column [{}] must have one value per row.",
                    it.expr
                )))
            }
        };
        keys.push(Key {
            text: it.expr.to_string(),
            name: item_name(it),
            rows: rows_v,
        });
    }
    Ok(keys)
}

/// The sorted grouping of the key columns.
pub fn grouping(keys: &[Key], rows: usize) -> Grouping {
    let refs: Vec<&Vector> = keys.iter().map(|k| &*k.rows).collect();
    sort_groups(group_ids(&refs, rows), &refs)
}

/// Columns read by a grouped query.
fn grouped_needed(s: &SelectStmt, items: &[SelectItem]) -> Needed {
    let mut exprs = item_exprs(items);
    exprs.extend(s.group.iter().chain(&s.cgroup).map(|g| &g.expr));
    exprs.extend(s.having.iter());
    exprs.extend(s.order.iter().map(|o| &o.expr));
    exprs.extend(s.csort.iter().map(|o| &o.expr));
    Needed::of(&exprs)
}

/// Keeps group positions where a per-group condition holds.
fn having_groups(
    ip: &mut Interpreter,
    gr: &mut Groups,
    having: &[Expr],
) -> Result<Option<Vec<i64>>> {
    if having.is_empty() {
        return Ok(None);
    }
    let n = gr.g.n;
    let mut keep = vec![true; n];
    for h in having {
        let v = gr.per_group(ip, h)?;
        let pos = super::frame::mask_positions(&v, n)?;
        let mut mask = vec![false; n];
        for p in pos {
            mask[p as usize] = true;
        }
        for (k, m) in keep.iter_mut().zip(mask) {
            *k &= m;
        }
    }
    Ok(Some((0..n as i64).filter(|&g| keep[g as usize]).collect()))
}

/// `group by`: one row per group, group columns first (those the select list does not name),
/// rows in the order of the group keys.
fn group_by(ip: &mut Interpreter, s: &SelectStmt, frame: Frame) -> Result<Value> {
    let items = expand_star(&s.items, &frame.base);
    let t = frame.table(&grouped_needed(s, &items));
    let keys = eval_keys(ip, &s.group, &t)?;
    let g = grouping(&keys, t.rows());
    let mut gr = Groups::new(t.clone(), g, keys);
    let kept = having_groups(ip, &mut gr, &s.having)?;
    let mut names = Vec::new();
    let mut values = Vec::new();
    let item_names: Vec<String> = items.iter().map(item_name).collect();
    if !s.exec {
        for (k, key) in gr.keys.iter().enumerate() {
            if !item_names.iter().any(|n| n.eq_ignore_ascii_case(&key.name)) {
                names.push(key.name.clone());
                values.push(Value::vector(gr.key_values(k)));
            }
        }
    }
    let mut multi = false;
    for (it, name) in items.iter().zip(item_names) {
        if let Some(parts) = multi_names(&name) {
            multi = true;
            let cols = gr.per_group_multi(ip, &it.expr, parts.len())?;
            for (p, c) in parts.into_iter().zip(cols) {
                if !p.is_empty() {
                    names.push(p);
                    values.push(Value::vector(c));
                }
            }
            continue;
        }
        names.push(name);
        values.push(gr.per_group(ip, &it.expr)?);
    }
    dedupe(&mut names);
    let mut result = if gr.g.n == 0 && !multi {
        empty_result(ip, names, &values, &items, &t)?
    } else {
        build_table(names, values)?
    };
    if let Some(kept) = kept {
        result = take_rows(&result, &kept);
    }
    if s.distinct {
        result = distinct_rows(result);
    }
    let range = row_range(ip, s, result.rows())?;
    result = order_by_range(ip, result, &s.order, None, range)?;
    Ok(finish(s, result, false))
}

/// A grouped result with no groups: every column empty, typed as the expressions would be.
fn empty_result(
    ip: &mut Interpreter,
    names: Vec<String>,
    values: &[Value],
    items: &[SelectItem],
    t: &Arc<Table>,
) -> Result<Table> {
    let keys = values.len() - items.len();
    let mut cols = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let ty = match v {
            Value::Vector(x) if x.ty != DataType::Void => (x.ty, x.scale),
            _ if i >= keys => {
                let e = &items[i - keys].expr;
                match ip.with_scope(Scope::Table(t.clone()), |ip| ip.eval(e)) {
                    Ok(v) => (v.data_type(), 0),
                    Err(_) => (DataType::Double, 0),
                }
            }
            _ => (DataType::Double, 0),
        };
        let mut c = Vector::empty(ty.0);
        c.scale = ty.1;
        cols.push(c);
    }
    Ok(Table::new(names, cols))
}

/// `context by`: the select list is evaluated within each group, one value per row; rows
/// come group after group (groups in key order, rows in table order or `csort` order).
fn context_by(ip: &mut Interpreter, s: &SelectStmt, frame: Frame) -> Result<Value> {
    if let (Some(Expr::Binary(BinOp::Pair, ..)), _) = (&s.top, ()) {
        return Err(Error::new(
            "When top clause uses together with context clause in SQL query, can't specify a range in top clause",
        ));
    }
    let items = expand_star(&s.items, &frame.base);
    let t = frame.table(&grouped_needed(s, &items));
    let rows = t.rows();
    let keys = eval_keys(ip, &s.group, &t)?;
    let g = grouping(&keys, rows);
    if let Some(result) = context_limit_columns(ip, s, &items, &t, &g)? {
        let result = order_by(ip, result, &s.order, None)?;
        return Ok(finish(s, result, false));
    }
    // Row order: group after group, then csort within the group.
    let perm: Vec<i64> = if s.csort.is_empty() {
        let (_, members) = g.members();
        members.into_iter().map(|r| r as i64).collect()
    } else {
        let ids = Vector::from_i32(DataType::Int, g.ids.iter().map(|&x| x as i32).collect());
        let mut sort_keys: Vec<Vector> = vec![ids];
        for o in &s.csort {
            let v = ip.with_scope(Scope::Table(t.clone()), |ip| ip.eval(&o.expr))?;
            sort_keys.push(
                super::grouped::broadcast(v, rows)
                    .as_vector()
                    .cloned()
                    .ok_or_else(|| Error::new("The csort column must have one value per row."))?,
            );
        }
        let mut refs: Vec<(&Vector, bool)> = vec![(&sort_keys[0], true)];
        for (k, o) in sort_keys[1..].iter().zip(&s.csort) {
            refs.push((k, o.asc));
        }
        sort_permutation(&refs, rows)
            .into_iter()
            .map(|i| i as i64)
            .collect()
    };
    let pt = Arc::new(take_rows(&t, &perm));
    let pkeys: Vec<Key> = keys
        .into_iter()
        .map(|k| Key {
            rows: Arc::new(k.rows.take(&perm)),
            ..k
        })
        .collect();
    let pids: Vec<u32> = perm.iter().map(|&r| g.ids[r as usize]).collect();
    let first = first_rows(&pids, g.n);
    let pg = Grouping {
        ids: pids,
        n: g.n,
        first,
    };
    let mut gr = Groups::new(pt.clone(), pg, pkeys);
    let mut names: Vec<String> = items.iter().map(item_name).collect();
    dedupe(&mut names);
    let mut values = Vec::with_capacity(items.len());
    for it in &items {
        values.push(gr.per_row(ip, &it.expr)?);
    }
    let mut result = build_table(names, values)?;
    if result.rows() != rows && rows > 0 {
        return Err(Error::new(
            "The select list of a context by query must give one value per row.",
        ));
    }
    if rows == 0 {
        result = take_rows(&result, &[]);
    }
    // having: keep the rows (or whole groups) where the condition holds.
    let mut keep: Vec<i64> = (0..rows as i64).collect();
    for h in &s.having {
        let v = gr.per_row(ip, h)?;
        let pos = super::frame::mask_positions(&v, rows)?;
        let set: std::collections::HashSet<i64> = pos.into_iter().collect();
        keep.retain(|r| set.contains(r));
    }
    // top/limit per group.
    let per_group = s.top.is_some() || s.limit.is_some();
    if per_group {
        keep = limit_per_group(ip, s, &keep, &gr.g.ids)?;
    }
    // With limit and no csort, DolphinDB keeps the table's row order.
    if s.limit.is_some() && s.csort.is_empty() {
        keep.sort_by_key(|&r| perm[r as usize]);
    }
    if keep.len() != rows {
        result = take_rows(&result, &keep);
    }
    result = order_by(ip, result, &s.order, None)?;
    Ok(finish(s, result, false))
}

/// `context by` with `top`/`limit` and a select list of plain columns, such as the "last
/// point" query `select * from t context by k csort time limit -1`: each group's kept rows
/// are picked from its members (the smallest or largest under the csort order, ties by row)
/// and only those rows are gathered, instead of sorting and gathering every row first. Gives
/// exactly what the general path gives; None when the query is not of this shape.
fn context_limit_columns(
    ip: &mut Interpreter,
    s: &SelectStmt,
    items: &[SelectItem],
    t: &Arc<Table>,
    g: &Grouping,
) -> Result<Option<Table>> {
    let rows = t.rows();
    let plain = items
        .iter()
        .all(|it| matches!(&it.expr, Expr::Var(n) if t.column(n).is_some()));
    if !plain || rows == 0 || !s.having.is_empty() || (s.top.is_none() && s.limit.is_none()) {
        return Ok(None);
    }
    let Some((n, from_end)) = per_group_count(ip, s)? else {
        return Ok(None);
    };
    let mut csort: Vec<Vector> = Vec::with_capacity(s.csort.len());
    for o in &s.csort {
        let v = ip.with_scope(Scope::Table(t.clone()), |ip| ip.eval(&o.expr))?;
        match super::grouped::broadcast(v, rows).as_vector() {
            Some(v) if v.len() == rows => csort.push(v.clone()),
            _ => return Ok(None),
        }
    }
    let refs: Vec<(&Vector, bool)> = csort
        .iter()
        .zip(&s.csort)
        .map(|(v, o)| (v, o.asc))
        .collect();
    let order = stable_row_order(&refs);
    let (offsets, members) = g.members();
    let mut keep: Vec<i64> = Vec::new();
    for gi in 0..g.n {
        let seg = &members[offsets[gi]..offsets[gi + 1]];
        let take = n.min(seg.len());
        if take == 0 {
            continue;
        }
        if refs.is_empty() {
            // Members are in row order already.
            let part = if from_end {
                &seg[seg.len() - take..]
            } else {
                &seg[..take]
            };
            keep.extend(part.iter().map(|&r| r as i64));
        } else if take == 1 {
            let pick = |best: u32, r: u32| {
                let o = order(r, best);
                if (from_end && o.is_gt()) || (!from_end && o.is_lt()) {
                    r
                } else {
                    best
                }
            };
            let r = seg[1..].iter().fold(seg[0], |best, &r| pick(best, r));
            keep.push(r as i64);
        } else {
            let mut sorted = seg.to_vec();
            sorted.sort_unstable_by(|&a, &b| order(a, b));
            let part = if from_end {
                &sorted[sorted.len() - take..]
            } else {
                &sorted[..take]
            };
            keep.extend(part.iter().map(|&r| r as i64));
        }
    }
    // With limit and no csort, DolphinDB keeps the table's row order.
    if s.limit.is_some() && s.csort.is_empty() {
        keep.sort_unstable();
    }
    let mut names: Vec<String> = items.iter().map(item_name).collect();
    dedupe(&mut names);
    let cols: Vec<Vector> = items
        .iter()
        .map(|it| match &it.expr {
            Expr::Var(name) => t.column(name).map(|c| c.take(&keep)),
            _ => None,
        })
        .collect::<Option<_>>()
        .ok_or_else(|| Error::new("context by: a column vanished"))?;
    Ok(Some(Table::new(names, cols)))
}

/// The rows `top n` / `limit n` keeps of each group: (n, from the end).
fn per_group_count(ip: &mut Interpreter, s: &SelectStmt) -> Result<Option<(usize, bool)>> {
    Ok(match (&s.top, &s.limit) {
        (Some(top), _) => {
            let n = ip
                .eval(top)?
                .as_i64()
                .ok_or_else(|| Error::new("integer constant expected after keyword top"))?;
            Some((n.max(0) as usize, false))
        }
        (None, Some((_, e))) => {
            let n = ip
                .eval(e)?
                .as_i64()
                .ok_or_else(|| Error::new("The limit clause must be an integer"))?;
            Some((n.unsigned_abs() as usize, n < 0))
        }
        _ => None,
    })
}

/// First position of each group in an id sequence.
fn first_rows(ids: &[u32], n: usize) -> Vec<u32> {
    let mut first = vec![u32::MAX; n];
    for (r, &g) in ids.iter().enumerate() {
        if first[g as usize] == u32::MAX {
            first[g as usize] = r as u32;
        }
    }
    first
}

/// The first n (or last -n) of the kept rows of each group.
fn limit_per_group(
    ip: &mut Interpreter,
    s: &SelectStmt,
    keep: &[i64],
    ids: &[u32],
) -> Result<Vec<i64>> {
    let Some((n, from_end)) = per_group_count(ip, s)? else {
        return Ok(keep.to_vec());
    };
    let mut out = Vec::with_capacity(keep.len());
    let mut i = 0;
    while i < keep.len() {
        let g = ids[keep[i] as usize];
        let mut j = i;
        while j < keep.len() && ids[keep[j] as usize] == g {
            j += 1;
        }
        let seg = &keep[i..j];
        let take = n.min(seg.len());
        if from_end {
            out.extend_from_slice(&seg[seg.len() - take..]);
        } else {
            out.extend_from_slice(&seg[..take]);
        }
        i = j;
    }
    Ok(out)
}
