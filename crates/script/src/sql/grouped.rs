//! Evaluating expressions over groups of rows: one value per group (`group by`, `having`,
//! `pivot by`) or one value per row computed within its group (`context by`).
//!
//! The plan for an expression, cheapest first:
//! 1. an aggregate over row-wise arguments (`sum(price*qty)`): evaluate the arguments once
//!    over all rows, then reduce per group with a one-pass kernel (`agg.rs`) or, for other
//!    aggregates, by calling the built-in on each group's slice;
//! 2. element-wise arithmetic over such aggregates and the group keys
//!    (`sum(x)/count(x)`, `price - avg(price)`): the aggregates become per-group (or
//!    broadcast per-row) vectors and the rest is evaluated once, vectorized;
//! 3. anything else (window functions, user functions, `ols`...): evaluated on each group's
//!    rows in turn.
//!
//! For a distributed table, step 1 is the map step run per partition with partial aggregates
//! (see `agg.rs`), and steps 2-3 run after the reduce at the entry node.

use std::collections::HashMap;
use std::sync::Arc;

use value::{Table, Value, Vector};

use super::agg::{self, Fast};
use super::expr::{as_agg_leaf, is_count_star, is_rowwise, rewrite};
use super::keys::Grouping;
use crate::ast::Expr;
use crate::builtins::Builtin;
use crate::interp::{FunctionValue, Interpreter, Scope};
use crate::literal::vector_from_scalars;
use crate::{Error, Result};

/// A group key: its expression text (to recognise it in select items), and its values.
pub struct Key {
    pub text: String,
    pub name: String,
    /// One value per row of the grouped table.
    pub rows: Arc<Vector>,
}

/// Rows of a table split into groups.
pub struct Groups {
    /// The grouped rows (only the columns the query reads).
    pub table: Arc<Table>,
    pub g: Grouping,
    pub keys: Vec<Key>,
    /// `(offsets, rows)` of each group, computed on first use.
    members: Option<(Vec<usize>, Vec<u32>)>,
    /// Pivot by: a non-aggregate expression takes the group's last value.
    pub last_value: bool,
}

/// Prefix of the placeholder names that stand for computed aggregates in a rewritten
/// expression; no column or variable can be spelt like this.
const SLOT: &str = "__sql slot ";

impl Groups {
    pub fn new(table: Arc<Table>, g: Grouping, keys: Vec<Key>) -> Groups {
        Groups {
            table,
            g,
            keys,
            members: None,
            last_value: false,
        }
    }

    pub fn rows(&self) -> usize {
        self.g.ids.len()
    }

    pub fn members(&mut self) -> &(Vec<usize>, Vec<u32>) {
        if self.members.is_none() {
            self.members = Some(self.g.members());
        }
        self.members.as_ref().unwrap_or_else(|| unreachable!())
    }

    /// The values of key `k`, one per group.
    pub fn key_values(&self, k: usize) -> Vector {
        let idx: Vec<i64> = self.g.first.iter().map(|&r| r as i64).collect();
        self.keys[k].rows.take(&idx)
    }

    fn key_index(&self, e: &Expr) -> Option<usize> {
        let text = e.to_string();
        self.keys
            .iter()
            .position(|k| k.text == text)
            .or_else(|| match e {
                Expr::Var(n) => self
                    .keys
                    .iter()
                    .position(|k| k.name.eq_ignore_ascii_case(n)),
                _ => None,
            })
    }

    fn is_column(&self, name: &str) -> bool {
        self.table.column_index(name).is_some()
    }

    /// The table restricted to the rows of group `g`.
    fn group_table(&mut self, g: usize) -> Arc<Table> {
        let table = self.table.clone();
        let (off, rows) = self.members();
        let idx: Vec<i64> = rows[off[g]..off[g + 1]].iter().map(|&r| r as i64).collect();
        Arc::new(super::frame::take_rows(&table, &idx))
    }

    /// An aggregate of row-wise arguments, one value per group.
    fn aggregate(
        &mut self,
        ip: &mut Interpreter,
        b: &'static Builtin,
        args: &[Expr],
    ) -> Result<Vector> {
        if matches!(args, [Expr::Star]) {
            return Ok(Vector::from_i32(
                value::DataType::Int,
                self.g.sizes().into_iter().map(|c| c as i32).collect(),
            ));
        }
        let t = self.table.clone();
        let vals = ip.with_scope(Scope::Table(t), |ip| {
            args.iter().map(|a| ip.eval(a)).collect::<Result<Vec<_>>>()
        })?;
        let rows = self.rows();
        if let Some(f) = Fast::of(b.name, vals.len()) {
            if let Some(cols) = agg::row_columns(&vals, rows) {
                if let Some(out) = agg::run(f, &cols, &self.g.ids, self.g.n) {
                    return Ok(out);
                }
            }
        }
        // Generic: the built-in on each group's slice of the arguments.
        let fv = FunctionValue::builtin(b);
        let n = self.g.n;
        let (off, members) = self.members().clone();
        let mut out = Vec::with_capacity(n);
        for g in 0..n {
            let idx: Vec<i64> = members[off[g]..off[g + 1]]
                .iter()
                .map(|&r| r as i64)
                .collect();
            let args: Vec<Value> = vals
                .iter()
                .map(|v| match v {
                    Value::Vector(x) if x.len() == rows => Value::vector(x.take(&idx)),
                    other => other.clone(),
                })
                .collect();
            out.push(ip.call_value(&fv, args)?);
        }
        gather_scalars(out, b.name)
    }

    /// Replaces aggregates and keys in `e` by placeholders bound in `slots` (per-group
    /// vectors). None when `e` reads a non-key column outside an aggregate.
    fn decompose_grouped(
        &mut self,
        ip: &mut Interpreter,
        e: &Expr,
        slots: &mut HashMap<String, Value>,
    ) -> Result<Option<Expr>> {
        let mut failed: Option<Error> = None;
        let mut reads_rows = false;
        let out = rewrite(e, &mut |x| {
            if failed.is_some() {
                return Some(x.clone());
            }
            if let Some(k) = self.key_index(x) {
                let name = format!("{}{}", SLOT, slots.len());
                slots.insert(name.clone(), Value::vector(self.key_values(k)));
                return Some(Expr::Var(name));
            }
            if let Some((b, args)) = as_agg_leaf(ip, x) {
                return match self.aggregate(ip, b, args) {
                    Ok(v) => {
                        let name = format!("{}{}", SLOT, slots.len());
                        slots.insert(name.clone(), Value::vector(v));
                        Some(Expr::Var(name))
                    }
                    Err(err) => {
                        failed = Some(err);
                        Some(x.clone())
                    }
                };
            }
            if let Expr::Var(n) = x {
                if self.is_column(n) {
                    reads_rows = true;
                }
            }
            None
        });
        if let Some(err) = failed {
            return Err(err);
        }
        if reads_rows || !is_rowwise(ip, &out) {
            return Ok(None);
        }
        Ok(Some(out))
    }

    /// `e` evaluated once per group: a vector with one value per group.
    pub fn per_group(&mut self, ip: &mut Interpreter, e: &Expr) -> Result<Value> {
        let n = self.g.n;
        if let Some(k) = self.key_index(e) {
            return Ok(Value::vector(self.key_values(k)));
        }
        if is_count_star(e) {
            let sizes = self.g.sizes().into_iter().map(|c| c as i32).collect();
            return Ok(Value::vector(Vector::from_i32(value::DataType::Int, sizes)));
        }
        let mut slots = HashMap::new();
        if let Some(r) = self.decompose_grouped(ip, e, &mut slots)? {
            let v = ip.with_scope(Scope::Values(slots), |ip| ip.eval(&r))?;
            return match v {
                Value::Scalar(s) => Ok(Value::vector(s.take(&vec![0; n]))),
                Value::Vector(x) if x.len() == n => Ok(Value::Vector(x)),
                _ => self.per_group_each(ip, e),
            };
        }
        self.per_group_each(ip, e)
    }

    /// `e` (giving `k` values per group, as `f(x) as `a`b` does) evaluated on each group's
    /// rows: one vector per output column.
    pub fn per_group_multi(
        &mut self,
        ip: &mut Interpreter,
        e: &Expr,
        k: usize,
    ) -> Result<Vec<Vector>> {
        let n = self.g.n;
        let mut cols: Vec<Vec<Value>> = vec![Vec::with_capacity(n); k];
        for g in 0..n {
            let t = self.group_table(g);
            let v = ip.with_scope(Scope::Table(t), |ip| ip.eval(e))?;
            let parts = split_values(&v, k).ok_or_else(|| {
                Error::new(format!(
                    "The expression [{}] must return {} values per group.",
                    e, k
                ))
            })?;
            for (c, p) in cols.iter_mut().zip(parts) {
                c.push(p);
            }
        }
        cols.into_iter().map(|c| gather_scalars(c, "")).collect()
    }

    /// `e` evaluated on each group's rows in turn.
    fn per_group_each(&mut self, ip: &mut Interpreter, e: &Expr) -> Result<Value> {
        let n = self.g.n;
        let mut out = Vec::with_capacity(n);
        for g in 0..n {
            let t = self.group_table(g);
            let v = ip.with_scope(Scope::Table(t), |ip| ip.eval(e))?;
            out.push(match v {
                Value::Vector(x) if x.len() == 1 => x.get(0),
                Value::Vector(x) if self.last_value && !x.is_empty() => x.get(x.len() - 1),
                Value::Vector(_) => {
                    return Err(Error::new(format!(
                        "The expression [{}] must return one value per group.",
                        e
                    )))
                }
                other => other,
            });
        }
        Ok(Value::vector(gather_scalars(out, "")?))
    }

    /// `e` evaluated within each group, one value per row (`context by`). The table must be
    /// ordered group after group.
    pub fn per_row(&mut self, ip: &mut Interpreter, e: &Expr) -> Result<Value> {
        let rows = self.rows();
        let t = self.table.clone();
        if is_rowwise(ip, e) {
            let v = ip.with_scope(Scope::Table(t), |ip| ip.eval(e))?;
            return Ok(broadcast(v, rows));
        }
        let mut slots: HashMap<String, Value> = HashMap::new();
        let mut failed: Option<Error> = None;
        let ids: Vec<i64> = self.g.ids.iter().map(|&g| g as i64).collect();
        let r = rewrite(e, &mut |x| {
            if failed.is_some() {
                return Some(x.clone());
            }
            let (b, args) = as_agg_leaf(ip, x)?;
            match self.aggregate(ip, b, args) {
                Ok(v) => {
                    let name = format!("{}{}", SLOT, slots.len());
                    slots.insert(name.clone(), Value::vector(v.take(&ids)));
                    Some(Expr::Var(name))
                }
                Err(err) => {
                    failed = Some(err);
                    Some(x.clone())
                }
            }
        });
        if let Some(err) = failed {
            return Err(err);
        }
        if !slots.is_empty() && is_rowwise(ip, &r) {
            let v = ip.with_scope(Scope::Table(t), |ip| {
                ip.with_scope(Scope::Values(slots), |ip| ip.eval(&r))
            })?;
            return Ok(broadcast(v, rows));
        }
        self.per_row_each(ip, e)
    }

    /// `e` evaluated on each group's rows (contiguous) in turn.
    fn per_row_each(&mut self, ip: &mut Interpreter, e: &Expr) -> Result<Value> {
        let rows = self.rows();
        let mut pieces: Vec<Vector> = Vec::with_capacity(self.g.n);
        let mut start = 0usize;
        while start < rows {
            let g = self.g.ids[start];
            let mut end = start + 1;
            while end < rows && self.g.ids[end] == g {
                end += 1;
            }
            let sub = slice_table(&self.table, start, end);
            let v = ip.with_scope(Scope::Table(sub), |ip| ip.eval(e))?;
            let len = end - start;
            pieces.push(match v {
                Value::Scalar(s) => s.take(&vec![0; len]),
                Value::Vector(x) if x.len() == len => Arc::unwrap_or_clone(x),
                other => {
                    return Err(Error::new(format!(
                        "The expression [{}] must return a scalar or a vector as long as its group, but returned {}.",
                        e,
                        value::display::to_display(&other)
                    )))
                }
            });
            start = end;
        }
        if pieces.is_empty() {
            let v = ip.with_scope(Scope::Table(self.table.clone()), |ip| ip.eval(e))?;
            return Ok(broadcast(v, 0));
        }
        Ok(Value::vector(concat(pieces)?))
    }
}

/// The `k` elements of a vector or tuple value.
pub fn split_values(v: &Value, k: usize) -> Option<Vec<Value>> {
    match v {
        Value::Vector(x) | Value::Pair(x) if x.len() == k => {
            Some((0..k).map(|i| x.get(i)).collect())
        }
        _ => None,
    }
}

/// Rows `start..end` of every column.
pub fn slice_table(t: &Table, start: usize, end: usize) -> Arc<Table> {
    let mut out = Table::new(
        t.names.clone(),
        t.columns.iter().map(|c| c.slice(start, end)).collect(),
    );
    out.name = t.name.clone();
    Arc::new(out)
}

/// A scalar repeated `rows` times; a vector as is.
pub fn broadcast(v: Value, rows: usize) -> Value {
    match v {
        Value::Scalar(s) => Value::vector(s.take(&vec![0; rows])),
        other => other,
    }
}

/// One vector from per-group scalar results.
pub fn gather_scalars(items: Vec<Value>, name: &str) -> Result<Vector> {
    if items.iter().all(|v| matches!(v, Value::Scalar(_))) {
        if let Some(v) = vector_from_scalars(&items) {
            return Ok(v);
        }
    }
    if items.iter().any(|v| matches!(v, Value::Table(_))) {
        return Err(Error::new(format!(
            "The function [{}] must return a scalar per group.",
            name
        )));
    }
    Ok(Vector::from_values(items))
}

/// Concatenates pieces of one column, converting to the first piece's type when they differ.
pub fn concat(pieces: Vec<Vector>) -> Result<Vector> {
    let mut it = pieces.into_iter();
    let Some(mut out) = it.next() else {
        return Ok(Vector::empty(value::DataType::Void));
    };
    for p in it {
        if out.ty == value::DataType::Void && p.ty != value::DataType::Void {
            out = value::convert::cast(&out, p.ty, p.scale)?;
        }
        let p = if p.ty == out.ty {
            p
        } else {
            value::convert::cast(&p, out.ty, out.scale)?
        };
        if !out.extend(&p) {
            return Err(Error::new("The groups returned values of different types."));
        }
    }
    Ok(out)
}
