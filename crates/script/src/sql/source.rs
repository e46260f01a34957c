//! The `from` clause: a table from any expression (variable, shared table, function result,
//! subquery), a join function (`ej(t1, t2, `id)`), or SQL join syntax
//! (`t1 left join t2 on t1.id = t2.id`). Table names and aliases qualify columns
//! (`t2.x`); `qualify` rewrites such references to the source's column names.

use std::collections::HashMap;
use std::sync::Arc;

use value::{Table, Value};

use super::expr::{has_select, rewrite};
use crate::ast::{BinOp, Expr, FromClause, JoinKind};
use crate::builtins::joins::{self, JoinSpec, JoinType};
use crate::interp::{Interpreter, Scope};
use crate::{bail, Error, Result};

/// A resolved `from` clause.
pub struct Source {
    pub table: Arc<Table>,
    /// Qualifier (lowercase table name or alias) -> its columns (lowercase) -> the column's
    /// name in `table`.
    pub quals: Vec<(String, HashMap<String, String>)>,
}

impl Source {
    fn plain(table: Arc<Table>, qual: Option<String>) -> Source {
        let mut quals = Vec::new();
        if let Some(q) = qual {
            let cols = table
                .names
                .iter()
                .map(|n| (n.to_ascii_lowercase(), n.clone()))
                .collect();
            quals.push((q.to_ascii_lowercase(), cols));
        }
        Source { table, quals }
    }

    fn qualifier(&self, q: &str) -> Option<&HashMap<String, String>> {
        let q = q.to_ascii_lowercase();
        self.quals.iter().find(|(n, _)| *n == q).map(|(_, m)| m)
    }

    /// `e` with `q.col` references to the source's tables replaced by column names.
    pub fn qualify(&self, e: &Expr) -> Expr {
        if self.quals.is_empty() {
            return e.clone();
        }
        rewrite(e, &mut |x| match x {
            Expr::Member(obj, col) => match &**obj {
                Expr::Var(q) if self.table.column_index(q).is_none() => self
                    .qualifier(q)
                    .and_then(|m| m.get(&col.to_ascii_lowercase()))
                    .map(|name| Expr::Var(name.clone())),
                _ => None,
            },
            _ => None,
        })
    }
}

/// The name a table expression qualifies columns with: its alias, else its variable name.
fn qualifier_of(e: &Expr, alias: &Option<String>) -> Option<String> {
    if let Some(a) = alias {
        return Some(a.clone());
    }
    match e {
        Expr::Var(n) => Some(n.clone()),
        Expr::Alias(_, n) => Some(n.clone()),
        _ => None,
    }
}

/// Join functions whose first two arguments are the left and right tables.
const JOIN_FUNCTIONS: [&str; 14] = [
    "ej",
    "equiJoin",
    "sej",
    "lj",
    "leftJoin",
    "lsj",
    "fj",
    "fullJoin",
    "aj",
    "cj",
    "crossJoin",
    "wj",
    "pwj",
    "join",
];

/// Resolves the `from` clause (an empty table when there is none).
pub fn resolve(ip: &mut Interpreter, from: Option<&FromClause>) -> Result<Source> {
    match from {
        None => Ok(Source::plain(Arc::new(Table::default()), None)),
        Some(FromClause::Table(e, alias)) => resolve_table(ip, e, alias),
        Some(FromClause::Join {
            kind,
            left,
            right,
            on,
        }) => {
            let l = resolve(ip, Some(left))?;
            let r = resolve(ip, Some(right))?;
            let prefix = match &**right {
                FromClause::Table(e, alias) => qualifier_of(e, alias),
                _ => None,
            }
            .unwrap_or_else(|| r.table.name.clone());
            sql_join(ip, *kind, l, r, on.as_ref(), &prefix)
        }
    }
}

fn table_value(v: Value) -> Result<Arc<Table>> {
    match v {
        Value::Table(t) => Ok(t),
        other => bail!(
            "The from clause must be a table, not {}.",
            value::display::to_display(&other)
        ),
    }
}

fn resolve_table(ip: &mut Interpreter, e: &Expr, alias: &Option<String>) -> Result<Source> {
    let (e, alias) = match (e, alias) {
        (Expr::Alias(inner, n), None) => (&**inner, Some(n.clone())),
        (e, a) => (e, a.clone()),
    };
    if let Expr::Call(f, args) = e {
        if let Expr::Var(fname) = &**f {
            if JOIN_FUNCTIONS.contains(&fname.as_str()) && args.len() >= 2 && fname != "join" {
                let table = table_value(ip.eval(e)?)?;
                let quals = join_call_quals(ip, fname, args, &table);
                return Ok(Source { table, quals });
            }
        }
    }
    // A DFS table joined with SQL join syntax: its rows (helper dfs).
    let v = ip.eval(e)?;
    let v = super::dfs::materialize(crate::builtins::Env::host(ip), &v)?;
    let table = table_value(v)?;
    Ok(Source::plain(table, qualifier_of(e, &alias)))
}

/// Qualifiers of a join function's result: the left table's columns keep their names; the
/// right table's are found under their own name or renamed `<right>_<col>`.
fn join_call_quals(
    ip: &mut Interpreter,
    fname: &str,
    args: &[Expr],
    result: &Table,
) -> Vec<(String, HashMap<String, String>)> {
    let side = |e: &Expr| -> Option<(String, Arc<Table>)> {
        let (name, inner) = match e {
            Expr::Alias(inner, n) => (n.clone(), &**inner),
            Expr::Var(n) => (n.clone(), e),
            _ => return None,
        };
        match inner {
            Expr::Var(v) => match ip.lookup_plain_var(v) {
                Some(Value::Table(t)) => Some((name, t)),
                _ => None,
            },
            _ => None,
        }
    };
    let mut quals = Vec::new();
    let left = side(&args[0]);
    let right = side(&args[1]);
    let has = |n: &str| result.column_index(n).map(|i| result.names[i].clone());
    if let Some((lq, lt)) = &left {
        let cols = lt
            .names
            .iter()
            .filter_map(|n| has(n).map(|r| (n.to_ascii_lowercase(), r)))
            .collect();
        quals.push((lq.to_ascii_lowercase(), cols));
    }
    if let Some((rq, rt)) = &right {
        let left_names: Vec<String> = left
            .as_ref()
            .map(|(_, t)| t.names.iter().map(|n| n.to_ascii_lowercase()).collect())
            .unwrap_or_default();
        let cols = rt
            .names
            .iter()
            .filter_map(|n| {
                let renamed = format!("{}_{}", rq, n);
                let found = if left_names.contains(&n.to_ascii_lowercase()) || fname == "fj" {
                    has(&renamed).or_else(|| has(n))
                } else {
                    has(n)
                };
                found.map(|r| (n.to_ascii_lowercase(), r))
            })
            .collect();
        quals.push((rq.to_ascii_lowercase(), cols));
    }
    quals
}

/// Splits `a && b && c` into its conjuncts.
fn conjuncts(e: &Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Binary(BinOp::And, a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        other => out.push(other.clone()),
    }
}

/// The column a `q.col` (or bare `col`) reference names in `s`, if it is one of its columns.
fn column_in(s: &Source, e: &Expr) -> Option<String> {
    match e {
        Expr::Member(obj, col) => match &**obj {
            Expr::Var(q) => s.qualifier(q)?.get(&col.to_ascii_lowercase()).cloned(),
            _ => None,
        },
        Expr::Var(n) => s.table.column_index(n).map(|i| s.table.names[i].clone()),
        _ => None,
    }
}

/// Does `e` only read columns of `s` (qualified with one of its names, or bare)?
fn reads_only(s: &Source, other: &Source, e: &Expr) -> bool {
    let mut ok = true;
    super::expr::visit(e, &mut |x| {
        match x {
            Expr::Member(obj, _) => {
                if let Expr::Var(q) = &**obj {
                    if other.qualifier(q).is_some() && s.qualifier(q).is_none() {
                        ok = false;
                    }
                }
                return false;
            }
            Expr::Var(n)
                if other.table.column_index(n).is_some() && s.table.column_index(n).is_none() =>
            {
                ok = false;
            }
            _ => {}
        }
        ok
    });
    ok
}

/// A condition over one side of a join, as a row mask of that side.
fn side_mask(ip: &mut Interpreter, s: &Source, conds: &[Expr]) -> Result<Option<Vec<bool>>> {
    if conds.is_empty() {
        return Ok(None);
    }
    let rows = s.table.rows();
    let mut mask = vec![true; rows];
    for c in conds {
        let e = s.qualify(c);
        let v = ip.with_scope(Scope::Table(s.table.clone()), |ip| ip.eval(&e))?;
        let pos = super::frame::mask_positions(&v, rows)?;
        let mut m = vec![false; rows];
        for p in pos {
            m[p as usize] = true;
        }
        for (a, b) in mask.iter_mut().zip(m) {
            *a &= b;
        }
    }
    Ok(Some(mask))
}

/// `left <kind> join right on cond`.
fn sql_join(
    ip: &mut Interpreter,
    kind: JoinKind,
    l: Source,
    r: Source,
    on: Option<&Expr>,
    prefix: &str,
) -> Result<Source> {
    let prefix = if prefix.is_empty() { "rhs" } else { prefix };
    if kind == JoinKind::Cross || on.is_none() {
        if kind != JoinKind::Cross {
            bail!("A join needs an on clause with the matching columns.");
        }
        let j = joins::cross(&l.table, &r.table, prefix);
        return Ok(joined_source(j, l, r));
    }
    let mut parts = Vec::new();
    if let Some(on) = on {
        conjuncts(on, &mut parts);
    }
    let mut lkeys = Vec::new();
    let mut rkeys = Vec::new();
    let mut lconds = Vec::new();
    let mut rconds = Vec::new();
    for p in parts {
        if let Expr::Binary(BinOp::Eq, a, b) = &p {
            match (
                column_in(&l, a),
                column_in(&r, b),
                column_in(&l, b),
                column_in(&r, a),
            ) {
                (Some(x), Some(y), _, _) if is_qualified(a) || is_qualified(b) => {
                    lkeys.push(x);
                    rkeys.push(y);
                    continue;
                }
                (_, _, Some(x), Some(y)) if is_qualified(a) || is_qualified(b) => {
                    lkeys.push(x);
                    rkeys.push(y);
                    continue;
                }
                _ => {}
            }
        }
        if reads_only(&r, &l, &p) && !reads_only(&l, &r, &p) {
            rconds.push(p);
        } else if reads_only(&l, &r, &p) {
            lconds.push(p);
        } else {
            bail!("The join condition [{}] is not supported.", p);
        }
    }
    if lkeys.is_empty() {
        bail!("A join needs at least one matching condition such as t1.id = t2.id.");
    }
    let (left_t, right_t, lk, rk, lmask, rmask, jt) = match kind {
        JoinKind::Right => {
            let lm = side_mask(ip, &r, &rconds)?;
            let rm = side_mask(ip, &l, &lconds)?;
            (
                r.table.clone(),
                l.table.clone(),
                rkeys,
                lkeys,
                lm,
                rm,
                JoinType::Left,
            )
        }
        _ => {
            let jt = match kind {
                JoinKind::Left => JoinType::Left,
                JoinKind::LeftSemi => JoinType::LeftSemi,
                JoinKind::Full => JoinType::Full,
                _ => JoinType::Inner,
            };
            (
                l.table.clone(),
                r.table.clone(),
                lkeys,
                rkeys,
                side_mask(ip, &l, &lconds)?,
                side_mask(ip, &r, &rconds)?,
                jt,
            )
        }
    };
    let spec = JoinSpec {
        left: &left_t,
        right: &right_t,
        left_keys: lk,
        right_keys: rk,
        kind: jt,
        prefix: prefix.to_string(),
        left_mask: lmask,
        right_mask: rmask,
    };
    let j = joins::join(&spec).map_err(|e| Error::new(e.message()))?;
    if kind == JoinKind::Right {
        let (lq, rq) = (r.quals.clone(), l.quals.clone());
        let mut s = joined_source(
            j,
            Source {
                table: r.table,
                quals: lq,
            },
            Source {
                table: l.table,
                quals: rq,
            },
        );
        s.quals.reverse();
        return Ok(s);
    }
    Ok(joined_source(j, l, r))
}

fn is_qualified(e: &Expr) -> bool {
    matches!(e, Expr::Member(..))
}

/// The joined table with the left side's qualifiers as they were and the right side's
/// pointing at the renamed columns.
fn joined_source(j: joins::Joined, l: Source, r: Source) -> Source {
    let renamed: HashMap<String, String> = j
        .right_names
        .iter()
        .map(|(orig, new)| (orig.to_ascii_lowercase(), new.clone()))
        .collect();
    let mut quals = l.quals;
    for (q, cols) in r.quals {
        let mapped = cols
            .into_iter()
            .filter_map(|(k, orig)| {
                renamed
                    .get(&orig.to_ascii_lowercase())
                    .cloned()
                    .or_else(|| {
                        // A matching column dropped from the right side reads the left's.
                        j.table
                            .column_index(&orig)
                            .map(|i| j.table.names[i].clone())
                    })
                    .map(|n| (k, n))
            })
            .collect();
        quals.push((q, mapped));
    }
    Source {
        table: Arc::new(j.table),
        quals,
    }
}

/// Replaces subqueries inside an expression by their values: a one-column result is a
/// vector (for `in`), a one-row one-column result a scalar (for comparisons).
pub fn inline_subqueries(ip: &mut Interpreter, e: &Expr) -> Result<Expr> {
    if !has_select(e) {
        return Ok(e.clone());
    }
    let mut failed: Option<Error> = None;
    let out = rewrite(e, &mut |x| {
        let Expr::Select(s) = x else {
            return None;
        };
        if failed.is_some() {
            return Some(x.clone());
        }
        match super::select::execute_select(ip, s) {
            Ok(v) => Some(Expr::Const(subquery_value(v))),
            Err(err) => {
                failed = Some(err);
                Some(x.clone())
            }
        }
    });
    match failed {
        Some(err) => Err(err),
        None => Ok(out),
    }
}

fn subquery_value(v: Value) -> Value {
    match &v {
        Value::Table(t) if t.cols() == 1 => {
            let col = t.columns[0].clone();
            if col.len() == 1 {
                Value::Scalar((*col).clone())
            } else {
                Value::Vector(col)
            }
        }
        _ => v,
    }
}
