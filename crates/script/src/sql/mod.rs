//! SQL over in-memory tables: `select`/`exec` (with `where`, `group by`, `context by`,
//! `pivot by`, `cgroup by`, `having`, `order by`, `top`, `limit`, `distinct`, joins and
//! subqueries), `update`, `delete` and `insert into`. The interpreter calls these entry points.
//!
//! Layout: `source` resolves the `from` clause (tables, join functions, SQL joins), `frame`
//! applies `where` as a row selection, `keys` turns key columns into dense group ids and sorts
//! rows, `agg` holds the one-pass per-group aggregate kernels, `grouped` evaluates
//! expressions per group or per row within groups, `select` and `pivot` run the query
//! shapes, `dml` modifies tables.
//!
//! Plan and execution are split so a distributed layer can reuse them: the `where` filter,
//! the grouping and the aggregate kernels run per partition (the map step, with partial
//! aggregates such as `avg` -> `sum` + `count`, see `agg::Fast::partials`), and the
//! reassembly of groups, `having`, `order by` and `top`/`limit` run once on the merged
//! partial results (the reduce step).

pub mod agg;
pub(crate) mod dfs;
mod distributed;
mod dml;
pub mod expr;
mod frame;
mod grouped;
pub mod keys;
pub mod map_task;
pub mod names;
mod pivot;
pub mod pushdown;
mod select;
mod source;

use value::Value;

use crate::ast::*;
use crate::interp::Interpreter;
use crate::Result;

/// `select ...` / `exec ...`.
pub fn execute_select(interp: &mut Interpreter, s: &SelectStmt) -> Result<Value> {
    select::execute_select(interp, s)
}

/// `update t set ... [from ...] [where ...] [context by ...]`.
pub fn execute_update(interp: &mut Interpreter, u: &UpdateStmt) -> Result<()> {
    dml::execute_update(interp, u)
}

/// `delete from t [where ...]`.
pub fn execute_delete(interp: &mut Interpreter, d: &DeleteStmt) -> Result<()> {
    dml::execute_delete(interp, d)
}

/// `insert into t [(cols)] values (...)` / `insert into t select ...`.
pub fn execute_insert(interp: &mut Interpreter, ins: &InsertStmt) -> Result<()> {
    dml::execute_insert(interp, ins)
}

pub fn execute_create(_interp: &mut Interpreter, _c: &CreateStmt) -> Result<()> {
    Err(crate::Error::new(
        "create table/database is not supported yet",
    ))
}

pub fn execute_drop(_interp: &mut Interpreter, _d: &DropStmt) -> Result<()> {
    Err(crate::Error::new(
        "drop table/database is not supported yet",
    ))
}

#[cfg(test)]
mod tests;
