//! `update`, `delete` and `insert into` on in-memory tables. Each builds the new table from the
//! current one and stores it in the variable it was named by; for a shared table this happens
//! under the table's update lock (`Interpreter::modify_var`), so statements of concurrent
//! sessions apply one after the other and none is lost.

use std::sync::Arc;

use value::{DataType, Table, Value, Vector};

use super::frame::{take_rows, Frame, Needed};
use super::grouped::Groups;
use super::select::{eval_keys, grouping};
use crate::ast::*;
use crate::builtins::joins::{self, JoinSpec, JoinType};
use crate::interp::{Interpreter, Scope};
use crate::literal::vector_from_scalars;
use crate::{bail, Error, Result};

/// The name of the table a statement modifies; fails when it names no table.
fn table_var(ip: &Interpreter, e: &Expr) -> Result<String> {
    let name = match e {
        Expr::Var(n) => n,
        Expr::Const(v) if v.as_str().is_some() => v.as_str().unwrap_or(""),
        _ => bail!("The table to modify must be given by its name."),
    };
    as_table(name, ip.lookup_plain_var(name))?;
    Ok(name.to_string())
}

fn as_table(name: &str, v: Option<Value>) -> Result<Arc<Table>> {
    match v {
        Some(Value::Table(t)) => Ok(t),
        Some(_) => bail!("{} is not a table.", name),
        None => bail!("Can't find the table [{}].", name),
    }
}

/// Stores `change(current table)` in table variable `name` (see the module comment).
fn modify_table(
    ip: &mut Interpreter,
    name: &str,
    mut change: impl FnMut(&mut Interpreter, Arc<Table>) -> Result<Table>,
) -> Result<()> {
    let done = ip.modify_var(name, |ip, cur| {
        let t = as_table(name, Some(cur))?;
        let kind = t.kind.clone();
        let mut new = change(ip, t)?;
        new.kind = kind;
        Ok((Value::table(new), ()))
    })?;
    done.ok_or_else(|| Error::new(format!("Can't find the table [{}].", name)))
}

/// The rows of `table` that the statement's `from` join pairs with rows of a right table:
/// the joined table and, for each of its rows, the row of `table` it came from.
fn join_source(
    ip: &mut Interpreter,
    from: &FromClause,
    table: &Arc<Table>,
) -> Result<(Arc<Table>, Vec<i64>)> {
    let FromClause::Table(Expr::Call(f, args), _) = from else {
        bail!("The from clause of update must be a join of the table, such as ej(t, t2, `id).");
    };
    let kind = match &**f {
        Expr::Var(n) if n == "ej" || n == "equiJoin" => JoinType::Inner,
        Expr::Var(n) if n == "lj" || n == "leftJoin" => JoinType::Left,
        Expr::Var(n) if n == "lsj" => JoinType::LeftSemi,
        _ => bail!("The from clause of update supports ej, lj and lsj."),
    };
    if args.len() < 3 {
        bail!("The join in the from clause needs the two tables and the matching columns.");
    }
    let vals = args
        .iter()
        .map(|a| ip.eval(a))
        .collect::<Result<Vec<_>>>()?;
    let (Value::Table(left), Value::Table(right)) = (&vals[0], &vals[1]) else {
        bail!("The join in the from clause must join two tables.");
    };
    if !Arc::ptr_eq(left, table) && left.rows() != table.rows() {
        bail!("The left table of the join must be the table to update.");
    }
    let names = |v: &Value| -> Result<Vec<String>> {
        let vec = v
            .as_vector()
            .filter(|v| v.ty.is_literal())
            .ok_or_else(|| Error::new("The matching columns must be strings."))?;
        Ok((0..vec.len())
            .map(|i| vec.str_at(i).unwrap_or("").to_string())
            .collect())
    };
    let left_keys = names(&vals[2])?;
    let right_keys = match vals.get(3) {
        Some(v) if !v.is_void() => names(v)?,
        _ => left_keys.clone(),
    };
    let prefix = match &args[1] {
        Expr::Var(n) | Expr::Alias(_, n) => n.clone(),
        _ => right.name.clone(),
    };
    let j = joins::join(&JoinSpec {
        left,
        right,
        left_keys,
        right_keys,
        kind,
        prefix,
        left_mask: None,
        right_mask: None,
    })?;
    Ok((Arc::new(j.table), j.left_rows))
}

/// `update t set a = e, ... [from join] [where ...] [context by ... [csort ...]] [having ...]`.
pub fn execute_update(ip: &mut Interpreter, u: &UpdateStmt) -> Result<()> {
    if let Some(h) = super::dfs::target(ip, &u.table)? {
        return super::dfs::update(ip, u, &h); // helper dfs
    }
    let name = table_var(ip, &u.table)?;
    modify_table(ip, &name, |ip, table| update_table(ip, u, table))
}

/// The table `update` makes of `table`.
fn update_table(ip: &mut Interpreter, u: &UpdateStmt, table: Arc<Table>) -> Result<Table> {
    let (work, origin) = match &u.from {
        Some(from) => {
            let (t, rows) = join_source(ip, from, &table)?;
            (t, Some(rows))
        }
        None => (table.clone(), None),
    };
    let mut frame = Frame::new(work.clone());
    frame.filter(ip, &u.where_)?;
    let selected: Vec<i64> = frame
        .rows
        .clone()
        .unwrap_or_else(|| (0..work.rows() as i64).collect());
    let exprs: Vec<&Expr> = u
        .sets
        .iter()
        .map(|(_, e)| e)
        .chain(u.context_by.iter())
        .chain(u.having.iter())
        .collect();
    let t = frame.table(&Needed::of(&exprs));
    let n = t.rows();
    // New values for the selected rows (in selection order) and which of them to write.
    let (values, write): (Vec<Value>, Vec<i64>) = if u.context_by.is_empty() {
        let mut vals = Vec::with_capacity(u.sets.len());
        for (_, e) in &u.sets {
            vals.push(ip.with_scope(Scope::Table(t.clone()), |ip| ip.eval(e))?);
        }
        (vals, (0..n as i64).collect())
    } else {
        update_context(ip, u, &t)?
    };
    let mut target: Vec<i64> = write.iter().map(|&p| selected[p as usize]).collect();
    if let Some(origin) = &origin {
        target = target.iter().map(|&r| origin[r as usize]).collect();
    }
    let rows = table.rows();
    let mut new = (*table).clone();
    for ((col, _), v) in u.sets.iter().zip(values) {
        let vals = match v {
            Value::Scalar(s) => s.take(&vec![0; target.len()]),
            Value::Vector(x) if x.len() == n => x.take(&write),
            Value::Vector(x) if x.len() == target.len() => Arc::unwrap_or_clone(x),
            other => bail!(
                "The value of column [{}] must be a scalar or have one value per updated row, not {}.",
                col,
                value::display::to_display(&other)
            ),
        };
        match new.column_index(col) {
            Some(i) => {
                let base = new.columns[i].clone();
                new.columns[i] = Arc::new(scatter(&base, &target, &vals)?);
            }
            None => {
                let base = Vector::nulls(vals.ty, rows);
                let mut col_vec = scatter(&base, &target, &vals)?;
                col_vec.scale = vals.scale;
                new.names.push(col.clone());
                new.columns.push(Arc::new(col_vec));
            }
        }
    }
    Ok(new)
}

/// `update ... context by`: each set expression evaluated within the groups, and the rows
/// (positions in `t`) that pass `having`.
fn update_context(
    ip: &mut Interpreter,
    u: &UpdateStmt,
    t: &Arc<Table>,
) -> Result<(Vec<Value>, Vec<i64>)> {
    let rows = t.rows();
    let group: Vec<SelectItem> = u
        .context_by
        .iter()
        .map(|e| SelectItem {
            expr: e.clone(),
            alias: None,
        })
        .collect();
    let keys = eval_keys(ip, &group, t)?;
    let g = grouping(&keys, rows);
    let (_, members) = g.members();
    let perm: Vec<i64> = members.into_iter().map(|r| r as i64).collect();
    let pt = Arc::new(take_rows(t, &perm));
    let pids: Vec<u32> = perm.iter().map(|&r| g.ids[r as usize]).collect();
    let pg = super::keys::Grouping {
        first: {
            let mut f = vec![u32::MAX; g.n];
            for (i, &id) in pids.iter().enumerate() {
                if f[id as usize] == u32::MAX {
                    f[id as usize] = i as u32;
                }
            }
            f
        },
        ids: pids,
        n: g.n,
    };
    let pkeys = keys
        .into_iter()
        .map(|k| super::grouped::Key {
            rows: Arc::new(k.rows.take(&perm)),
            ..k
        })
        .collect();
    let mut gr = Groups::new(pt, pg, pkeys);
    // Back from group order to table order.
    let mut inverse = vec![0i64; rows];
    for (i, &r) in perm.iter().enumerate() {
        inverse[r as usize] = i as i64;
    }
    let mut values = Vec::with_capacity(u.sets.len());
    for (_, e) in &u.sets {
        let v = gr.per_row(ip, e)?;
        values.push(match v {
            Value::Vector(x) if x.len() == rows => Value::vector(x.take(&inverse)),
            other => other,
        });
    }
    let mut write: Vec<i64> = (0..rows as i64).collect();
    for h in &u.having {
        let v = gr.per_row(ip, h)?;
        let mask = match v {
            Value::Vector(x) if x.len() == rows => Value::vector(x.take(&inverse)),
            other => other,
        };
        let pos = super::frame::mask_positions(&mask, rows)?;
        let set: std::collections::HashSet<i64> = pos.into_iter().collect();
        write.retain(|r| set.contains(r));
    }
    Ok((values, write))
}

/// `base` with `vals` written at `pos`, converted to the column's type (an update can't
/// change a column's type).
fn scatter(base: &Vector, pos: &[i64], vals: &Vector) -> Result<Vector> {
    let vals = if base.ty == DataType::Any || (vals.ty == base.ty && vals.scale == base.scale) {
        vals.clone()
    } else {
        value::convert::cast(vals, base.ty, base.scale)?
    };
    let n = base.len() as i64;
    let mut src: Vec<i64> = (0..n).collect();
    for (k, &p) in pos.iter().enumerate() {
        if p >= 0 && p < n {
            src[p as usize] = n + k as i64;
        }
    }
    let mut all = base.clone();
    if !all.extend(&vals) {
        bail!(
            "The new values don't match the column type {}.",
            base.ty.name()
        );
    }
    Ok(all.take(&src))
}

/// `delete from t [where ...]`.
pub fn execute_delete(ip: &mut Interpreter, d: &DeleteStmt) -> Result<()> {
    if let Some(h) = super::dfs::target(ip, &d.table)? {
        return super::dfs::delete(ip, d, &h); // helper dfs
    }
    let name = table_var(ip, &d.table)?;
    modify_table(ip, &name, |ip, table| {
        let rows = table.rows();
        let mut frame = Frame::new(table.clone());
        frame.filter(ip, &d.where_)?;
        let mut removed = vec![false; rows];
        match &frame.rows {
            Some(r) => r.iter().for_each(|&i| removed[i as usize] = true),
            None => removed.iter_mut().for_each(|x| *x = true),
        }
        let rest: Vec<i64> = (0..rows as i64).filter(|&i| !removed[i as usize]).collect();
        Ok(take_rows(&table, &rest))
    })
}

/// A value to insert into a column: a tuple of scalars becomes a typed vector.
fn insert_value(v: Value) -> Value {
    if let Value::Vector(x) = &v {
        if let value::Data::Any(items) = &x.data {
            if let Some(t) = vector_from_scalars(items) {
                return Value::vector(t);
            }
        }
    }
    v
}

/// `insert into t [(cols)] values (...), ...` or `insert into t [(cols)] select ...`.
pub fn execute_insert(ip: &mut Interpreter, ins: &InsertStmt) -> Result<()> {
    if let Some(h) = super::dfs::target(ip, &ins.table)? {
        return super::dfs::insert(ip, ins, &h); // helper dfs
    }
    let name = table_var(ip, &ins.table)?;
    let batches: Vec<Vec<Value>> = match &ins.values {
        InsertSource::Rows(rows) => {
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let vals = row
                    .iter()
                    .map(|e| ip.eval(e).map(insert_value))
                    .collect::<Result<Vec<_>>>()?;
                out.push(vals);
            }
            out
        }
        InsertSource::Select(s) => match super::select::execute_select(ip, s)? {
            Value::Table(t) => vec![t.columns.iter().map(|c| Value::Vector(c.clone())).collect()],
            other => vec![vec![other]],
        },
    };
    // One batch into a plain or stream table: appended where the table is stored (no copy
    // of it; an error leaves it unchanged).
    if let [vals] = batches.as_slice() {
        let mut done = false;
        let found = ip.change_var_in_place(&name, &mut |cur| {
            let Value::Table(t) = cur else {
                return Ok(());
            };
            if !crate::builtins::tables::appends_in_place(t) {
                return Ok(());
            }
            let cols = insert_values(t, &ins.columns, vals)?;
            crate::builtins::tables::append_in_place(Arc::make_mut(t), &cols)?;
            done = true;
            Ok(())
        })?;
        if found && done {
            return Ok(());
        }
    }
    // The values are computed first; only the insert itself holds a shared table's lock.
    modify_table(ip, &name, |_, table| {
        let mut current = table;
        for vals in &batches {
            let cols = insert_values(&current, &ins.columns, vals)?;
            let (out, _) = crate::builtins::tables::insert_rows(&current, &cols)?;
            current = Arc::new(out);
        }
        Ok(Arc::unwrap_or_clone(current))
    })
}

/// The values of one `insert into` batch in `t`'s column order: as given when the statement
/// names no columns (one per column), else arranged by `names`.
fn insert_values(t: &Table, names: &[String], vals: &[Value]) -> Result<Vec<Value>> {
    if names.is_empty() {
        if vals.len() != t.cols() {
            bail!(
                "The number of columns of the table to insert must be the same as that of the original table ({} vs {})",
                vals.len(),
                t.cols()
            );
        }
        return Ok(vals.to_vec());
    }
    order_columns(t, names, vals.to_vec())
}

/// Values given for `names` arranged in the table's column order, nulls for the others.
fn order_columns(t: &Table, names: &[String], vals: Vec<Value>) -> Result<Vec<Value>> {
    if names.len() != vals.len() {
        bail!(
            "The number of values ({}) doesn't match the number of columns ({}).",
            vals.len(),
            names.len()
        );
    }
    let rows = vals
        .iter()
        .map(|v| match v {
            Value::Vector(x) => x.len(),
            _ => 1,
        })
        .max()
        .unwrap_or(1);
    let mut pos = Vec::with_capacity(names.len());
    for n in names {
        let n = n.trim_start_matches('_').trim_matches('"');
        match t.column_index(n) {
            Some(i) => pos.push(i),
            None => bail!("The column [{}] doesn't exist in table {}.", n, t.name),
        }
    }
    let mut out = Vec::with_capacity(t.cols());
    for (i, c) in t.columns.iter().enumerate() {
        match pos.iter().position(|&p| p == i) {
            Some(k) => out.push(vals[k].clone()),
            None => {
                let mut nulls = Vector::nulls(c.ty, rows);
                nulls.scale = c.scale;
                out.push(Value::vector(nulls));
            }
        }
    }
    Ok(out)
}
