//! SQL over in-memory tables. The interpreter calls these entry points; this first version
//! handles `select <cols> from t where <cond>`, `exec`, and simple `update`, `delete` and
//! `insert into`. The SQL module proper (group by, context by, pivot by, joins, ...) replaces
//! it.

use std::sync::Arc;

use value::{Table, Value, Vector};

use crate::ast::*;
use crate::interp::{Interpreter, Scope};
use crate::{Error, Result};

/// `select ...` / `exec ...`.
pub fn execute_select(interp: &mut Interpreter, s: &SelectStmt) -> Result<Value> {
    if s.group_kind.is_some() || !s.order.is_empty() || s.distinct {
        return Err(Error::new(
            "group by, context by, pivot by, order by and distinct are not supported yet",
        ));
    }
    let table = match &s.from {
        Some(FromClause::Table(e, _)) => match interp.eval(e)? {
            Value::Table(t) => t,
            _ => return Err(Error::new("The from clause must name a table")),
        },
        Some(FromClause::Join { .. }) => return Err(Error::new("SQL joins are not supported yet")),
        None => Arc::new(Table::default()),
    };
    let table = filter(interp, table, &s.where_)?;
    let mut names = Vec::new();
    let mut values = Vec::new();
    for (i, item) in s.items.iter().enumerate() {
        if let Expr::Star = item.expr {
            names.extend(table.names.iter().cloned());
            values.extend(table.columns.iter().map(|c| Value::Vector(c.clone())));
            continue;
        }
        let v = interp.with_scope(Scope::Table(table.clone()), |ip| ip.eval(&item.expr))?;
        names.push(column_name(item, i));
        values.push(v);
    }
    if s.exec {
        return match values.len() {
            1 => Ok(values.remove_first()),
            _ => Ok(Value::table(build_table(names, values)?)),
        };
    }
    let mut t = build_table(names, values)?;
    if let Some(top) = &s.top {
        let n = interp.eval(top)?.as_i64().unwrap_or(0).max(0) as usize;
        let idx: Vec<i64> = (0..n.min(t.rows()) as i64).collect();
        t = Table::new(
            t.names.clone(),
            t.columns.iter().map(|c| c.take(&idx)).collect(),
        );
    }
    Ok(Value::table(t))
}

trait RemoveFirst {
    fn remove_first(&mut self) -> Value;
}

impl RemoveFirst for Vec<Value> {
    fn remove_first(&mut self) -> Value {
        if self.is_empty() {
            Value::void()
        } else {
            self.remove(0)
        }
    }
}

/// The name DolphinDB gives a select item: its alias, its column name, or the function name.
fn column_name(item: &SelectItem, i: usize) -> String {
    if let Some(a) = &item.alias {
        return a.clone();
    }
    match &item.expr {
        Expr::Var(n) | Expr::Member(_, n) => n.clone(),
        Expr::Call(f, args) => match (&**f, args.first()) {
            (Expr::Var(f), Some(Expr::Var(a))) => format!("{}_{}", f, a),
            (Expr::Var(f), _) => f.clone(),
            _ => format!("col{}", i + 1),
        },
        _ => format!("col{}", i + 1),
    }
}

/// Applies `where` conditions in order, each over the rows the previous ones kept.
fn filter(interp: &mut Interpreter, mut t: Arc<Table>, conds: &[Expr]) -> Result<Arc<Table>> {
    for c in conds {
        let mask = interp.with_scope(Scope::Table(t.clone()), |ip| ip.eval(c))?;
        let keep = mask_positions(&mask, t.rows())?;
        t = Arc::new(take_rows(&t, &keep));
    }
    Ok(t)
}

fn mask_positions(mask: &Value, rows: usize) -> Result<Vec<i64>> {
    match mask {
        Value::Vector(m) if m.len() == rows => Ok((0..rows)
            .filter(|&i| m.i64_at(i).map(|x| x != 0).unwrap_or(false))
            .map(|i| i as i64)
            .collect()),
        Value::Scalar(s) => {
            let all = s.i64_at(0).map(|x| x != 0).unwrap_or(false);
            Ok(if all {
                (0..rows as i64).collect()
            } else {
                Vec::new()
            })
        }
        _ => Err(Error::new(
            "The where condition must be a BOOL vector as long as the table",
        )),
    }
}

fn take_rows(t: &Table, idx: &[i64]) -> Table {
    let mut out = Table::new(
        t.names.clone(),
        t.columns.iter().map(|c| c.take(idx)).collect(),
    );
    out.name = t.name.clone();
    out
}

/// A table from computed columns; scalars are repeated to the length of the vectors.
fn build_table(names: Vec<String>, values: Vec<Value>) -> Result<Table> {
    let rows = values
        .iter()
        .filter_map(|v| match v {
            Value::Vector(x) => Some(x.len()),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    let mut cols = Vec::with_capacity(values.len());
    for v in values {
        cols.push(match v {
            Value::Vector(x) if x.len() == rows => (*x).clone(),
            Value::Scalar(s) => s.take(&vec![0; rows]),
            _ => return Err(Error::new("The select items must have the same length")),
        });
    }
    Ok(Table::new(names, cols))
}

fn table_var(interp: &Interpreter, e: &Expr) -> Result<(String, Arc<Table>)> {
    let Expr::Var(name) = e else {
        return Err(Error::new("The table must be given by name"));
    };
    match interp.lookup_plain_var(name) {
        Some(Value::Table(t)) => Ok((name.clone(), t)),
        _ => Err(Error::new(format!("{} is not a table", name))),
    }
}

/// `update t set ... where ...`.
pub fn execute_update(interp: &mut Interpreter, u: &UpdateStmt) -> Result<()> {
    if u.from.is_some() || !u.context_by.is_empty() {
        return Err(Error::new(
            "update with from or context by is not supported yet",
        ));
    }
    let (name, table) = table_var(interp, &u.table)?;
    let rows = table.rows();
    let mut keep: Vec<i64> = (0..rows as i64).collect();
    let mut sub = table.clone();
    for c in &u.where_ {
        let mask = interp.with_scope(Scope::Table(sub.clone()), |ip| ip.eval(c))?;
        let local = mask_positions(&mask, sub.rows())?;
        keep = local.iter().map(|&i| keep[i as usize]).collect();
        sub = Arc::new(take_rows(&sub, &local));
    }
    let mut new = (*table).clone();
    for (col, e) in &u.sets {
        let v = interp.with_scope(Scope::Table(sub.clone()), |ip| ip.eval(e))?;
        let v = match v {
            Value::Scalar(s) => s.take(&vec![0; keep.len()]),
            Value::Vector(x) if x.len() == keep.len() => (*x).clone(),
            _ => {
                return Err(Error::new(
                    "The new values must match the rows being updated",
                ))
            }
        };
        let base = match new.column_index(col) {
            Some(i) => (*new.columns[i]).clone(),
            None => Vector::nulls(v.ty, rows),
        };
        let updated = scatter(&base, &keep, &v)?;
        match new.column_index(col) {
            Some(i) => new.columns[i] = Arc::new(updated),
            None => {
                new.names.push(col.clone());
                new.columns.push(Arc::new(updated));
            }
        }
    }
    interp.assign_var(&name, Value::table(new))
}

/// `base` with `vals` written at `pos` (converted to the column's type).
fn scatter(base: &Vector, pos: &[i64], vals: &Vector) -> Result<Vector> {
    let vals = value::convert::cast(vals, base.ty, base.scale)?;
    let mut src: Vec<i64> = (0..base.len() as i64).collect();
    let n = base.len() as i64;
    for (k, &p) in pos.iter().enumerate() {
        src[p as usize] = n + k as i64;
    }
    let mut all = base.clone();
    if !all.extend(&vals) {
        return Err(Error::new("The new values don't match the column type"));
    }
    Ok(all.take(&src))
}

/// `delete from t where ...`.
pub fn execute_delete(interp: &mut Interpreter, d: &DeleteStmt) -> Result<()> {
    let (name, table) = table_var(interp, &d.table)?;
    let mut removed = vec![false; table.rows()];
    if d.where_.is_empty() {
        removed.iter_mut().for_each(|r| *r = true);
    } else {
        let mut keep: Vec<i64> = (0..table.rows() as i64).collect();
        let mut sub = table.clone();
        for c in &d.where_ {
            let mask = interp.with_scope(Scope::Table(sub.clone()), |ip| ip.eval(c))?;
            let local = mask_positions(&mask, sub.rows())?;
            keep = local.iter().map(|&i| keep[i as usize]).collect();
            sub = Arc::new(take_rows(&sub, &local));
        }
        for p in keep {
            removed[p as usize] = true;
        }
    }
    let rest: Vec<i64> = (0..table.rows())
        .filter(|&i| !removed[i])
        .map(|i| i as i64)
        .collect();
    interp.assign_var(&name, Value::table(take_rows(&table, &rest)))
}

/// `insert into t [(cols)] values (...)`.
pub fn execute_insert(interp: &mut Interpreter, ins: &InsertStmt) -> Result<()> {
    let (name, table) = table_var(interp, &ins.table)?;
    let InsertSource::Rows(rows) = &ins.values else {
        return Err(Error::new("insert into ... select is not supported yet"));
    };
    let targets: Vec<String> = if ins.columns.is_empty() {
        table.names.clone()
    } else {
        ins.columns.clone()
    };
    let mut new = (*table).clone();
    for row in rows {
        if row.len() != targets.len() {
            return Err(Error::new(format!(
                "The number of values ({}) doesn't match the number of columns ({})",
                row.len(),
                targets.len()
            )));
        }
        let vals = row
            .iter()
            .map(|e| interp.eval(e))
            .collect::<Result<Vec<_>>>()?;
        let n = vals
            .iter()
            .map(|v| match v {
                Value::Vector(x) => x.len(),
                _ => 1,
            })
            .max()
            .unwrap_or(1);
        for (ci, col) in new.columns.iter_mut().enumerate() {
            let pos = targets
                .iter()
                .position(|t| t.eq_ignore_ascii_case(&table.names[ci]));
            let add = match pos.map(|p| &vals[p]) {
                Some(Value::Scalar(s)) => s.take(&vec![0; n]),
                Some(Value::Vector(x)) if x.len() == n => (**x).clone(),
                Some(_) => return Err(Error::new("The inserted values must have one length")),
                None => Vector::nulls(col.ty, n),
            };
            let add = value::convert::cast(&add, col.ty, col.scale)?;
            if !Arc::make_mut(col).extend(&add) {
                return Err(Error::new(
                    "The inserted values don't match the column types",
                ));
            }
        }
    }
    interp.assign_var(&name, Value::table(new))
}

pub fn execute_create(_interp: &mut Interpreter, _c: &CreateStmt) -> Result<()> {
    Err(Error::new("create table/database is not supported yet"))
}

pub fn execute_drop(_interp: &mut Interpreter, _d: &DropStmt) -> Result<()> {
    Err(Error::new("drop table/database is not supported yet"))
}
