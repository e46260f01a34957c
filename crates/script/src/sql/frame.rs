//! A table with a row selection: `where` narrows the rows, and only the columns an
//! expression reads are gathered when it is evaluated.

use std::collections::HashSet;
use std::sync::Arc;

use value::{Table, Value, Vector};

use crate::ast::Expr;
use crate::interp::{Interpreter, Scope};
use crate::{Error, Result};

use super::expr::names_in;

/// Which columns a computation needs.
#[derive(Clone, Debug)]
pub enum Needed {
    All,
    /// Lowercased names; names that are not columns are ignored.
    Names(HashSet<String>),
}

impl Needed {
    pub fn of(exprs: &[&Expr]) -> Needed {
        let mut names = HashSet::new();
        for e in exprs {
            if matches!(e, Expr::Star) {
                return Needed::All;
            }
            names_in(e, &mut names);
        }
        Needed::Names(names)
    }

    fn wants(&self, name: &str) -> bool {
        match self {
            Needed::All => true,
            Needed::Names(n) => n.contains(&name.to_ascii_lowercase()),
        }
    }
}

/// Rows `rows` (None: all, in order) of `base`.
#[derive(Clone, Debug)]
pub struct Frame {
    pub base: Arc<Table>,
    pub rows: Option<Vec<i64>>,
}

impl Frame {
    pub fn new(base: Arc<Table>) -> Frame {
        Frame { base, rows: None }
    }

    pub fn len(&self) -> usize {
        match &self.rows {
            Some(r) => r.len(),
            None => self.base.rows(),
        }
    }

    /// The selected rows of the needed columns, as a table for a column scope.
    pub fn table(&self, needed: &Needed) -> Arc<Table> {
        if self.rows.is_none() && matches!(needed, Needed::All) {
            return self.base.clone();
        }
        let mut names = Vec::new();
        let mut cols = Vec::new();
        for (i, n) in self.base.names.iter().enumerate() {
            if needed.wants(n) {
                names.push(n.clone());
                cols.push(match &self.rows {
                    Some(r) => Arc::new(self.base.columns[i].take(r)),
                    None => self.base.columns[i].clone(),
                });
            }
        }
        let mut t = Table::new(names, Vec::new());
        t.columns = cols;
        t.name = self.base.name.clone();
        Arc::new(t)
    }

    /// Keeps the rows at `positions` of the current selection.
    pub fn narrow(&mut self, positions: Vec<i64>) {
        self.rows = Some(match self.rows.take() {
            Some(r) => positions.into_iter().map(|p| r[p as usize]).collect(),
            None => positions,
        });
    }

    /// Applies `where` conditions in order, each over the rows the previous ones kept.
    pub fn filter(&mut self, ip: &mut Interpreter, conds: &[Expr]) -> Result<()> {
        for c in conds {
            let c = &super::expr::chained_comparisons(c);
            let t = self.table(&Needed::of(&[c]));
            let rows = self.len();
            let mask = ip.with_scope(Scope::Table(t), |ip| ip.eval(c))?;
            let keep = mask_positions(&mask, rows)?;
            if keep.len() != rows {
                self.narrow(keep);
            }
        }
        Ok(())
    }
}

/// The positions where a condition over `rows` rows is true.
pub fn mask_positions(mask: &Value, rows: usize) -> Result<Vec<i64>> {
    let truth = |v: &Vector, i: usize| v.i64_at(i).map(|x| x != 0).unwrap_or(false);
    match mask {
        Value::Vector(m) if m.len() == rows && !m.ty.is_literal() => {
            if let value::Data::I8(b) = &m.data {
                return Ok(b
                    .iter()
                    .enumerate()
                    .filter(|(_, &x)| x != 0 && x != value::null::I8)
                    .map(|(i, _)| i as i64)
                    .collect());
            }
            Ok((0..rows)
                .filter(|&i| truth(m, i))
                .map(|i| i as i64)
                .collect())
        }
        Value::Scalar(s) if !s.ty.is_literal() => Ok(if truth(s, 0) {
            (0..rows as i64).collect()
        } else {
            Vec::new()
        }),
        _ => Err(Error::new(
            "The where condition must be a logical expression of the same length as the table.",
        )),
    }
}

/// A table from computed columns; scalars repeat to the length of the vectors (one row when
/// every value is a scalar). Vectors are shared, not copied.
pub fn build_table(names: Vec<String>, values: Vec<Value>) -> Result<Table> {
    let rows = values
        .iter()
        .filter_map(|v| match v {
            Value::Vector(x) => Some(x.len()),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    let mut cols = Vec::with_capacity(values.len());
    for (v, name) in values.into_iter().zip(&names) {
        cols.push(column_of(v, rows, name)?);
    }
    let mut t = Table::new(names, Vec::new());
    t.columns = cols;
    Ok(t)
}

/// `v` as a column of `rows` rows.
pub fn column_of(v: Value, rows: usize, name: &str) -> Result<Arc<Vector>> {
    match v {
        Value::Vector(x) if x.len() == rows => Ok(x),
        Value::Scalar(s) => Ok(Arc::new(s.take(&vec![0; rows]))),
        Value::Vector(x) => Err(Error::new(format!(
            "The column [{}] has {} rows but the result has {} rows.",
            name,
            x.len(),
            rows
        ))),
        other => {
            // A tuple per row (an ANY vector) or another object repeated.
            let one = Vector::from_values(vec![other]);
            Ok(Arc::new(one.take(&vec![0; rows])))
        }
    }
}

/// Rows `idx` of every column of `t`.
pub fn take_rows(t: &Table, idx: &[i64]) -> Table {
    let mut out = Table::new(
        t.names.clone(),
        t.columns.iter().map(|c| c.take(idx)).collect(),
    );
    out.name = t.name.clone();
    out
}
