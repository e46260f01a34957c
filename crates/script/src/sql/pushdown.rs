//! `where` conditions a DFS replica applies itself before answering a partition read, so only
//! the rows that can match cross the network (the filter half of the map step, pushed down).
//!
//! Only the leading conditions that are pure row-wise functions of the partition's columns are
//! pushed: column names (not shadowed by a session variable), constants, comparisons, logic,
//! arithmetic and a few row-wise built-ins (`in`, `between`, `like`, ...). Such a condition
//! keeps the same rows of a partition wherever it runs, so the entry node still applies the
//! whole `where` clause to what comes back: a replica that filters nothing (an older node, a
//! failed evaluation) only costs bytes, never changes a result.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use value::{Table, Value};

use super::frame::{Frame, Needed};
use crate::ast::{BinOp, Expr, UnOp};
use crate::interp::{Interpreter, SessionState};
use crate::Result;

/// Operators a pushed condition may use, by their wire name.
const OPERATORS: &[(BinOp, &str)] = &[
    (BinOp::Or, "or"),
    (BinOp::And, "and"),
    (BinOp::Eq, "eq"),
    (BinOp::Ne, "ne"),
    (BinOp::Lt, "lt"),
    (BinOp::Le, "le"),
    (BinOp::Gt, "gt"),
    (BinOp::Ge, "ge"),
    (BinOp::Add, "add"),
    (BinOp::Sub, "sub"),
    (BinOp::Mul, "mul"),
    (BinOp::Div, "div"),
    (BinOp::Mod, "mod"),
    (BinOp::Pair, "pair"),
];

/// Built-ins a pushed condition (or a pushed map step's key or argument) may call: row-wise,
/// deterministic, no session state. A replica that doesn't know one refuses the whole push
/// and the entry node does the work.
const FUNCTIONS: &[&str] = &[
    "and",
    "or",
    "in",
    "notIn",
    "between",
    "like",
    "ilike",
    "isNull",
    "isValid",
    "not",
    "startsWith",
    // Temporal parts and bucketing: the usual group-by keys of time series.
    "date",
    "month",
    "year",
    "hour",
    "minute",
    "second",
    "time",
    "datetime",
    "timestamp",
    "weekday",
    "dayOfWeek",
    "dayOfMonth",
    "dayOfYear",
    "monthOfYear",
    "hourOfDay",
    "quarterOfYear",
    "millisecond",
    "bar",
    // Arithmetic and conversions.
    "abs",
    "iif",
    "log",
    "exp",
    "sqrt",
    "round",
    "floor",
    "ceil",
    "nullFill",
    "upper",
    "lower",
    "substr",
    "left",
    "right",
    "strlen",
    "string",
    "symbol",
    "int",
    "long",
    "double",
];

/// One pushed condition's shape; constants are indices into `RowFilter::constants`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Cond {
    Column(String),
    Constant(usize),
    Binary(String, Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Neg(Box<Cond>),
    Call(String, Vec<Cond>),
    Vector(Vec<Cond>),
    Tuple(Vec<Cond>),
}

/// The leading `where` conditions of a query that a replica can apply to a partition.
#[derive(Clone, Debug, Default)]
pub struct RowFilter {
    pub conds: Vec<Cond>,
    /// The constants the conditions use (sent as values, not text).
    pub constants: Vec<Value>,
}

impl RowFilter {
    pub fn is_empty(&self) -> bool {
        self.conds.is_empty()
    }

    /// The longest leading run of `conds` (a prepared `where` clause over `t`'s columns) that
    /// can be pushed; empty when the first one can't.
    pub(crate) fn of(ip: &Interpreter, conds: &[Expr], t: &Table) -> RowFilter {
        let mut f = RowFilter::default();
        for c in conds {
            let mut constants = f.constants.clone();
            match encode(ip, c, t, &mut constants) {
                Some(c) if mentions_column(&c) => {
                    f.conds.push(c);
                    f.constants = constants;
                }
                _ => break,
            }
        }
        f
    }

    /// The rows of `t` the conditions keep, in order (`where` semantics: each condition over
    /// the rows the previous ones kept).
    pub fn apply(&self, t: Table) -> Result<Table> {
        let conds = self
            .conds
            .iter()
            .map(|c| decode(c, &self.constants))
            .collect::<Result<Vec<_>>>()?;
        with_interpreter(|ip| {
            let mut frame = Frame::new(Arc::new(t));
            frame.filter(ip, &conds)?;
            let out = frame.table(&Needed::All);
            Ok(Arc::try_unwrap(out).unwrap_or_else(|a| (*a).clone()))
        })
    }
}

/// Runs `f` with an interpreter of an empty session: what a replica evaluates pushed work
/// with (it mentions no variable or user function).
pub(super) fn with_interpreter<R>(f: impl FnOnce(&mut Interpreter) -> R) -> R {
    static HOST: OnceLock<Arc<crate::LocalHost>> = OnceLock::new();
    let host = HOST
        .get_or_init(|| Arc::new(crate::LocalHost::new()))
        .clone();
    let mut state = SessionState::default();
    let mut sink = |_: &str| {};
    let mut ip = Interpreter::new(&mut state, host, &mut sink);
    f(&mut ip)
}

/// The expression a pushed condition stands for, with its constants.
pub(super) fn decode(c: &Cond, constants: &[Value]) -> Result<Expr> {
    let bad = || crate::Error::new("A pushed-down condition is malformed");
    let all = |xs: &[Cond]| {
        xs.iter()
            .map(|x| decode(x, constants))
            .collect::<Result<Vec<_>>>()
    };
    Ok(match c {
        Cond::Column(n) => Expr::Var(n.clone()),
        Cond::Constant(i) => Expr::Const(constants.get(*i).ok_or_else(bad)?.clone()),
        Cond::Binary(op, a, b) => {
            let op = OPERATORS
                .iter()
                .find(|(_, n)| n == op)
                .map(|(o, _)| *o)
                .ok_or_else(bad)?;
            Expr::Binary(
                op,
                Box::new(decode(a, constants)?),
                Box::new(decode(b, constants)?),
            )
        }
        Cond::Not(a) => Expr::Unary(UnOp::Not, Box::new(decode(a, constants)?)),
        Cond::Neg(a) => Expr::Unary(UnOp::Neg, Box::new(decode(a, constants)?)),
        Cond::Call(f, args) if FUNCTIONS.contains(&f.as_str()) => {
            Expr::Call(Box::new(Expr::Var(f.clone())), all(args)?)
        }
        Cond::Call(..) => return Err(bad()),
        Cond::Vector(xs) => Expr::Vector(all(xs)?),
        Cond::Tuple(xs) => Expr::Tuple(all(xs)?),
    })
}

/// `e` as a pushed expression over `t`'s columns, its constants added to `constants`; None
/// when something in it must stay on the entry node.
pub(super) fn encode(
    ip: &Interpreter,
    e: &Expr,
    t: &Table,
    constants: &mut Vec<Value>,
) -> Option<Cond> {
    let all = |xs: &[Expr], constants: &mut Vec<Value>| {
        xs.iter()
            .map(|x| encode(ip, x, t, constants))
            .collect::<Option<Vec<_>>>()
    };
    Some(match e {
        // A name the entry node might resolve to something else than the column stays there.
        Expr::Var(n) if t.column_index(n).is_some() && ip.lookup_plain_var(n).is_none() => {
            Cond::Column(n.clone())
        }
        // Plain data only: they travel in the replica call's arguments.
        Expr::Const(v @ (Value::Scalar(_) | Value::Pair(_))) => {
            constants.push(v.clone());
            Cond::Constant(constants.len() - 1)
        }
        Expr::Const(v @ Value::Vector(x)) if x.ty != value::DataType::Any => {
            constants.push(v.clone());
            Cond::Constant(constants.len() - 1)
        }
        Expr::Binary(op, a, b) => {
            let name = OPERATORS.iter().find(|(o, _)| o == op)?.1;
            Cond::Binary(
                name.to_string(),
                Box::new(encode(ip, a, t, constants)?),
                Box::new(encode(ip, b, t, constants)?),
            )
        }
        Expr::Unary(UnOp::Not, a) => Cond::Not(Box::new(encode(ip, a, t, constants)?)),
        Expr::Unary(UnOp::Neg, a) => Cond::Neg(Box::new(encode(ip, a, t, constants)?)),
        Expr::Call(f, args) => match &**f {
            Expr::Var(n)
                if FUNCTIONS.contains(&n.as_str())
                    && !ip.state.funcs.contains_key(n)
                    && ip.lookup_plain_var(n).is_none() =>
            {
                Cond::Call(n.clone(), all(args, constants)?)
            }
            _ => return None,
        },
        Expr::Vector(xs) => Cond::Vector(all(xs, constants)?),
        Expr::Tuple(xs) => Cond::Tuple(all(xs, constants)?),
        _ => return None,
    })
}

/// A condition of constants alone is left to the entry node (it may be a scalar).
pub(super) fn mentions_column(c: &Cond) -> bool {
    match c {
        Cond::Column(_) => true,
        Cond::Constant(_) => false,
        Cond::Binary(_, a, b) => mentions_column(a) || mentions_column(b),
        Cond::Not(a) | Cond::Neg(a) => mentions_column(a),
        Cond::Call(_, xs) | Cond::Vector(xs) | Cond::Tuple(xs) => xs.iter().any(mentions_column),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::StmtKind;

    fn table() -> Table {
        let mut s = crate::Session::new(Arc::new(crate::LocalHost::new()));
        match s.run_script("table(`A`B`A`C`A as sym, 1 2 3 4 5 as qty)", &mut |_| {}) {
            Ok(Some(Value::Table(t))) => (*t).clone(),
            other => panic!("{other:?}"),
        }
    }

    fn conditions(select: &str) -> Vec<Expr> {
        let p = crate::parser::parse(select).unwrap();
        match &p.stmts[0].kind {
            StmtKind::Expr(Expr::Select(s)) => s.where_.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn pushed(vars: &[&str], select: &str) -> RowFilter {
        let mut state = SessionState::default();
        for v in vars {
            state.vars.insert(v.to_string(), Value::long(1));
        }
        let mut sink = |_: &str| {};
        let ip = Interpreter::new(&mut state, Arc::new(crate::LocalHost::new()), &mut sink);
        RowFilter::of(&ip, &conditions(select), &table())
    }

    /// The leading row-wise conditions are pushed, up to the first that isn't (`cumsum`
    /// depends on the rows before); applied, they keep what `where` keeps.
    #[test]
    fn the_leading_rowwise_conditions_are_pushed() {
        let f = pushed(
            &[],
            "select * from t where sym = `A, qty between 2:9, cumsum(qty) > 0, qty < 9",
        );
        assert_eq!(f.conds.len(), 2, "{f:?}");
        let kept = f.apply(table()).unwrap();
        assert_eq!(
            value::display::to_display(&Value::table(kept)),
            "sym qty\n--- ---\nA   3\nA   5"
        );
        let f = pushed(
            &[],
            "select * from t where qty in [1, 4] or not(sym like \"%A%\")",
        );
        assert_eq!(f.conds.len(), 1, "{f:?}");
        assert_eq!(f.apply(table()).unwrap().rows(), 3);
    }

    /// A session variable, or a column name a variable shadows, stays on the entry node; so
    /// does a condition of constants only.
    #[test]
    fn names_the_entry_node_resolves_stay_there() {
        assert!(pushed(&["x"], "select * from t where qty > x").is_empty());
        assert!(pushed(&["qty"], "select * from t where qty > 1").is_empty());
        assert!(pushed(&[], "select * from t where 1 < 2, qty > 1").is_empty());
        assert_eq!(
            pushed(&["x"], "select * from t where qty > 1, qty > x")
                .conds
                .len(),
            1
        );
    }
}
