//! `pivot by` (a two-dimensional rearrangement: the last pivot column's values become
//! columns) and `cgroup by` (cumulative groups).

use std::sync::Arc;

use value::{DataType, Matrix, Table, Value, Vector};

use super::frame::{build_table, take_rows, Frame, Needed};
use super::grouped::{Groups, Key};
use super::keys::{group_ids, sort_groups};
use super::names::{dedupe, item_name};
use super::select::{eval_keys, expand_star, grouping, order_by};
use crate::ast::*;
use crate::interp::{Interpreter, Scope};
use crate::{bail, Result};

/// The text of a pivot value as a column name (`NULL` for null).
fn column_label(v: &Vector, i: usize) -> String {
    if v.is_null(i) {
        "NULL".to_string()
    } else {
        value::display::element_string(v, i)
    }
}

fn needed(s: &SelectStmt, items: &[SelectItem]) -> Needed {
    let mut exprs: Vec<&Expr> = items.iter().map(|i| &i.expr).collect();
    exprs.extend(s.group.iter().map(|g| &g.expr));
    exprs.extend(s.having.iter());
    exprs.extend(s.order.iter().map(|o| &o.expr));
    Needed::of(&exprs)
}

/// `select items from t pivot by r1, ..., rk, c`.
pub fn pivot_by(ip: &mut Interpreter, s: &SelectStmt, frame: Frame) -> Result<Value> {
    if s.group.len() < 2 {
        bail!("The pivot by clause needs at least two columns.");
    }
    if s.top.is_some() {
        bail!("The top clause can't be used together with pivot by.");
    }
    let items = expand_star(&s.items, &frame.base);
    let t = frame.table(&needed(s, &items));
    let keys = eval_keys(ip, &s.group, &t)?;
    let g = grouping(&keys, t.rows());
    let mut gr = Groups::new(t.clone(), g, keys);
    gr.last_value = true;
    let n = gr.g.n;
    let nk = gr.keys.len();
    // Row and column coordinates of each cell (group).
    let row_keys: Vec<Vector> = (0..nk - 1).map(|k| gr.key_values(k)).collect();
    let col_key = gr.key_values(nk - 1);
    let refs: Vec<&Vector> = row_keys.iter().collect();
    let rg = sort_groups(group_ids(&refs, n), &refs);
    let cg = sort_groups(group_ids(&[&col_key], n), &[&col_key]);
    let mut values = Vec::with_capacity(items.len());
    for it in &items {
        let v = gr.per_group(ip, &it.expr)?;
        values.push(match v {
            Value::Vector(x) => Arc::unwrap_or_clone(x),
            Value::Scalar(x) => x.take(&vec![0; n]),
            _ => bail!(
                "The pivot by expression [{}] must give one value per cell.",
                it.expr
            ),
        });
    }
    // cells[c][r]: the group at row r, column c (-1: empty).
    let mut cells = vec![vec![-1i64; rg.n]; cg.n];
    for gi in 0..n {
        cells[cg.ids[gi] as usize][rg.ids[gi] as usize] = gi as i64;
    }
    let labels: Vec<String> = cg
        .first
        .iter()
        .map(|&i| column_label(&col_key, i as usize))
        .collect();
    let first_rows: Vec<i64> = rg.first.iter().map(|&i| i as i64).collect();
    if s.exec {
        let Some(v) = values.first() else {
            bail!("exec with pivot by needs one select item.");
        };
        let mut data = Vector::with_capacity(v.ty, rg.n * cg.n);
        data.scale = v.scale;
        for col in &cells {
            data.extend(&v.take(col));
        }
        let mut m = Matrix::new(data, rg.n, cg.n);
        if let [rk] = row_keys.as_slice() {
            m.row_labels = Some(rk.take(&first_rows));
        }
        m.col_labels = Some(col_key.take(&cg.first.iter().map(|&i| i as i64).collect::<Vec<_>>()));
        return Ok(Value::Matrix(Arc::new(m)));
    }
    let mut names: Vec<String> = gr.keys[..nk - 1].iter().map(|k| k.name.clone()).collect();
    let mut cols: Vec<Vector> = row_keys.iter().map(|k| k.take(&first_rows)).collect();
    let item_names: Vec<String> = items.iter().map(item_name).collect();
    for (v, iname) in values.iter().zip(&item_names) {
        for (c, label) in cells.iter().zip(&labels) {
            names.push(if items.len() == 1 {
                label.clone()
            } else {
                format!("{}_{}", iname, label)
            });
            cols.push(v.take(c));
        }
    }
    dedupe(&mut names);
    let result = Table::new(names, cols);
    let result = order_by(ip, result, &s.order, None)?;
    Ok(Value::table(result))
}

/// `select items from t [group by g] cgroup by c order by ...`: for each value of c, the
/// items over all rows (of the group) whose c is at most that value.
pub fn cgroup_by(ip: &mut Interpreter, s: &SelectStmt, frame: Frame) -> Result<Value> {
    if s.order.is_empty() {
        bail!("The cgroup by clause must be used with an order by clause.");
    }
    let items = expand_star(&s.items, &frame.base);
    let mut exprs: Vec<&Expr> = items.iter().map(|i| &i.expr).collect();
    exprs.extend(s.group.iter().chain(&s.cgroup).map(|g| &g.expr));
    exprs.extend(s.order.iter().map(|o| &o.expr));
    let t = frame.table(&Needed::of(&exprs));
    let rows = t.rows();
    let group_keys: Vec<Key> = eval_keys(ip, &s.group, &t)?;
    let mut keys = eval_keys(ip, &s.group, &t)?;
    keys.extend(eval_keys(ip, &s.cgroup, &t)?);
    // Groups sorted by (group by keys, cgroup by keys); the accumulation restarts when the
    // group by keys change.
    let g = grouping(&keys, rows);
    let outer = grouping(&group_keys, rows);
    let key_vals: Vec<Vector> = {
        let idx: Vec<i64> = g.first.iter().map(|&r| r as i64).collect();
        keys.iter().map(|k| k.rows.take(&idx)).collect()
    };
    let (off, members) = g.members();
    let mut values: Vec<Vec<Value>> = vec![Vec::with_capacity(g.n); items.len()];
    let mut acc: Vec<i64> = Vec::with_capacity(rows);
    let mut current_outer = u32::MAX;
    for gi in 0..g.n {
        let o = outer.ids[g.first[gi] as usize];
        if o != current_outer {
            acc.clear();
            current_outer = o;
        }
        acc.extend(members[off[gi]..off[gi + 1]].iter().map(|&r| r as i64));
        acc.sort_unstable();
        let sub = Arc::new(take_rows(&t, &acc));
        for (k, it) in items.iter().enumerate() {
            let v = ip.with_scope(Scope::Table(sub.clone()), |ip| ip.eval(&it.expr))?;
            values[k].push(match v {
                Value::Vector(x) if x.len() == 1 => x.get(0),
                other => other,
            });
        }
    }
    let mut names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
    let mut out: Vec<Value> = key_vals.into_iter().map(Value::vector).collect();
    for (it, vals) in items.iter().zip(values) {
        names.push(item_name(it));
        out.push(Value::vector(super::grouped::gather_scalars(vals, "")?));
    }
    dedupe(&mut names);
    let result = if g.n == 0 {
        Table::new(
            names.clone(),
            names
                .iter()
                .map(|_| Vector::empty(DataType::Double))
                .collect(),
        )
    } else {
        build_table(names, out)?
    };
    let result = order_by(ip, result, &s.order, None)?;
    Ok(Value::table(result))
}
