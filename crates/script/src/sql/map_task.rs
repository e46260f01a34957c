//! The map step of a partial-aggregate query over a DFS table (`distributed.rs`): one
//! partition's rows filtered by the `where` clause, grouped by the `group by` keys, and each
//! aggregate's partial states per group (`agg::partial`).
//!
//! The entry node runs it over partitions it reads itself. A [`MapTask`] is the same step in a
//! form that travels (the pushdown grammar of `pushdown.rs`), so a cluster's replica holder runs
//! it where the rows are and sends back one row per group instead of the partition's rows.
//! Both run [`map_partials`], so a pushed step gives exactly what a local one gives. A query
//! whose `where`, keys or aggregate arguments need anything of the entry node's session (a
//! variable, a user function, a non-row-wise call) gets no task and is mapped locally.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use value::{Table, Value, Vector};

use super::agg::{self, Fast};
use super::frame::{Frame, Needed};
use super::keys::{group_ids, Grouping};
use super::pushdown::{decode, encode, mentions_column, with_interpreter, Cond};
use super::select::eval_keys;
use crate::ast::{Expr, SelectItem};
use crate::interp::{Interpreter, Scope};
use crate::{Error, Result};

/// What the map step computes, as the entry node planned it.
pub(super) struct MapSpec<'a> {
    pub where_: &'a [Expr],
    pub group: &'a [SelectItem],
    /// False for aggregates without `group by` (one group of every row).
    pub grouped: bool,
    /// Each aggregate and its argument expressions (none for `count(*)`).
    pub leaves: Vec<(Fast, &'a [Expr])>,
}

/// One partition's groups: their key values and each aggregate's partial states.
pub(super) struct Partials {
    pub keys: Vec<Vector>,
    pub states: Vec<Vec<Vector>>,
}

/// The map step over one partition's rows; None when an aggregate has no partial states for
/// these argument types (the caller then aggregates all rows at once).
pub(super) fn map_partials(
    ip: &mut Interpreter,
    spec: &MapSpec,
    t: Table,
) -> Result<Option<Partials>> {
    let mut frame = Frame::new(Arc::new(t));
    frame.filter(ip, spec.where_)?;
    let mut exprs: Vec<&Expr> = spec.group.iter().map(|g| &g.expr).collect();
    exprs.extend(spec.leaves.iter().flat_map(|l| l.1.iter()));
    let t = frame.table(&Needed::of(&exprs));
    let rows = frame.len();
    let (g, keys) = if spec.grouped {
        let keys = eval_keys(ip, spec.group, &t)?;
        let refs: Vec<&Vector> = keys.iter().map(|k| &*k.rows).collect();
        let g = group_ids(&refs, rows);
        let first: Vec<i64> = g.first.iter().map(|&r| r as i64).collect();
        let kv = keys.iter().map(|k| k.rows.take(&first)).collect();
        (g, kv)
    } else {
        (Grouping::single(rows), Vec::new())
    };
    let mut states = Vec::with_capacity(spec.leaves.len());
    for (f, args) in &spec.leaves {
        let vals = ip.with_scope(Scope::Table(t.clone()), |ip| {
            args.iter().map(|a| ip.eval(a)).collect::<Result<Vec<_>>>()
        })?;
        let Some(cols) = agg::row_columns(&vals, rows) else {
            return Ok(None);
        };
        let st = if spec.grouped {
            agg::partial(*f, &cols, &g.ids, g.n)
        } else {
            agg::partial_whole(ip, *f, &cols, rows).or_else(|| agg::partial(*f, &cols, &g.ids, g.n))
        };
        match st {
            Some(st) => states.push(st),
            None => return Ok(None),
        }
    }
    Ok(Some(Partials { keys, states }))
}

impl Partials {
    /// As a table: key columns `k<i>`, then state `j` of aggregate `i` as `s<i>_<j>`.
    pub fn into_table(self) -> Table {
        let mut names = Vec::new();
        let mut cols = Vec::new();
        for (i, k) in self.keys.into_iter().enumerate() {
            names.push(format!("k{i}"));
            cols.push(k);
        }
        for (i, st) in self.states.into_iter().enumerate() {
            for (j, v) in st.into_iter().enumerate() {
                names.push(format!("s{i}_{j}"));
                cols.push(v);
            }
        }
        Table::new(names, cols)
    }

    /// Back from [`Partials::into_table`], for a plan of `keys` keys and `leaves` aggregates.
    pub fn from_table(t: Table, keys: usize, leaves: usize) -> Result<Partials> {
        let bad = || Error::new("A replica's partial aggregates are malformed");
        let mut out = Partials {
            keys: Vec::with_capacity(keys),
            states: (0..leaves).map(|_| Vec::new()).collect(),
        };
        for (name, col) in t.names.iter().zip(t.columns) {
            let col = Arc::unwrap_or_clone(col);
            if let Some(i) = name.strip_prefix('k') {
                if i.parse::<usize>().ok() != Some(out.keys.len()) {
                    return Err(bad());
                }
                out.keys.push(col);
            } else if let Some((i, j)) = name.strip_prefix('s').and_then(|x| x.split_once('_')) {
                let (Ok(i), Ok(j)) = (i.parse::<usize>(), j.parse::<usize>()) else {
                    return Err(bad());
                };
                let st = out.states.get_mut(i).ok_or_else(bad)?;
                if st.len() != j {
                    return Err(bad());
                }
                st.push(col);
            } else {
                return Err(bad());
            }
        }
        if out.keys.len() != keys || out.states.iter().any(|s| s.is_empty()) {
            return Err(bad());
        }
        Ok(out)
    }
}

/// The map step in a form a replica holder can run: expressions in the pushdown grammar,
/// their constants sent alongside as values.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MapTask {
    pub where_: Vec<Cond>,
    pub keys: Vec<Cond>,
    pub grouped: bool,
    pub leaves: Vec<(Fast, Vec<Cond>)>,
    #[serde(skip)]
    pub constants: Vec<Value>,
}

impl MapTask {
    /// The task for `spec` over a partition of `t`'s columns; None when a part of it must stay
    /// on the entry node.
    pub(super) fn of(ip: &Interpreter, spec: &MapSpec, t: &Table) -> Option<MapTask> {
        let mut constants = Vec::new();
        let mut all = |xs: &mut dyn Iterator<Item = &Expr>| -> Option<Vec<Cond>> {
            xs.map(|x| encode(ip, x, t, &mut constants)).collect()
        };
        let where_ = all(&mut spec.where_.iter())?;
        // A condition of constants alone may be a scalar: the entry node applies it.
        if !where_.iter().all(mentions_column) {
            return None;
        }
        let keys = all(&mut spec.group.iter().map(|g| &g.expr))?;
        let leaves = spec
            .leaves
            .iter()
            .map(|(f, args)| Some((*f, all(&mut args.iter())?)))
            .collect::<Option<Vec<_>>>()?;
        Some(MapTask {
            where_,
            keys,
            grouped: spec.grouped,
            leaves,
            constants,
        })
    }

    /// Runs the task over a partition's rows: the partial states as
    /// [`Partials::into_table`] lays them out, or None when the states can't be computed
    /// here (the entry node then maps the rows itself).
    pub fn run(&self, t: Table) -> Result<Option<Table>> {
        let c = &self.constants;
        let all = |xs: &[Cond]| xs.iter().map(|x| decode(x, c)).collect::<Result<Vec<_>>>();
        let where_ = all(&self.where_)?;
        let group: Vec<SelectItem> = all(&self.keys)?
            .into_iter()
            .map(|expr| SelectItem { expr, alias: None })
            .collect();
        let args = self
            .leaves
            .iter()
            .map(|(_, a)| all(a))
            .collect::<Result<Vec<_>>>()?;
        let spec = MapSpec {
            where_: &where_,
            group: &group,
            grouped: self.grouped,
            leaves: self
                .leaves
                .iter()
                .zip(&args)
                .map(|((f, _), a)| (*f, a.as_slice()))
                .collect(),
        };
        with_interpreter(|ip| map_partials(ip, &spec, t)).map(|p| p.map(Partials::into_table))
    }
}
