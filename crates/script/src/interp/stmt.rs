//! Statements: assignment, definitions, control flow, print/share/undef, SQL statements.

use std::sync::Arc;
use std::time::Instant;

use value::{Data, DataForm, DataType, Dict, Value, Vector};

use super::{Flow, Interpreter};
use crate::ast::*;
use crate::{Error, Result};

/// Most iterations of `timer(n)`.
const TIMER_RUNS_MAX: i64 = 1_000_000;

impl Interpreter<'_> {
    /// Runs a program; the value of its last statement when that is an expression.
    pub fn run_program(&mut self, prog: &Program) -> Result<Option<Value>> {
        let mut last = None;
        for s in &prog.stmts {
            match self.exec(s)? {
                Flow::Normal(v) => last = v,
                Flow::Return(v) => return Ok(Some(v)),
                Flow::Break | Flow::Continue => last = None,
            }
        }
        Ok(last)
    }

    pub(crate) fn exec_block(&mut self, stmts: &[Stmt]) -> Result<Flow> {
        let mut last = None;
        for s in stmts {
            match self.exec(s)? {
                Flow::Normal(v) => last = v,
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal(last))
    }

    pub(crate) fn exec(&mut self, s: &Stmt) -> Result<Flow> {
        self.line = s.line;
        match &s.kind {
            StmtKind::Expr(e) => {
                let v = self.eval(e)?;
                Ok(Flow::Normal(Some(v)))
            }
            StmtKind::Assign(targets, values) => {
                self.exec_assign(targets, values)?;
                Ok(Flow::Normal(None))
            }
            StmtKind::OpAssign(target, op, e) => {
                let current = self.eval(&target_expr(target))?;
                let rhs = self.eval(e)?;
                let v = self.call_builtin_name(op.function_name(), vec![current, rhs])?;
                self.assign_target(target, v)?;
                Ok(Flow::Normal(None))
            }
            StmtKind::Def(f) => {
                self.state.funcs.insert(f.name.clone(), f.clone());
                Ok(Flow::Normal(None))
            }
            StmtKind::If(cond, then, els) => {
                if self.condition(cond, "if")? {
                    self.exec_body(then)
                } else if let Some(e) = els {
                    self.exec_body(e)
                } else {
                    Ok(Flow::Normal(None))
                }
            }
            StmtKind::ForIn(names, iter, body) => self.exec_for_in(names, iter, body),
            StmtKind::For(init, cond, step, body) => {
                self.exec_c_for(init.as_deref(), cond.as_ref(), step.as_deref(), body)
            }
            StmtKind::While(cond, body) => {
                while self.condition(cond, "while")? {
                    match self.exec_body(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
                Ok(Flow::Normal(None))
            }
            StmtKind::DoWhile(body, cond) => {
                loop {
                    match self.exec_body(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                    if !self.condition(cond, "do-while")? {
                        break;
                    }
                }
                Ok(Flow::Normal(None))
            }
            StmtKind::Try(body, var, handler) => self.exec_try(body, var.as_deref(), handler),
            StmtKind::Throw(e) => {
                let v = self.eval(e)?;
                Err(Error::Thrown(v))
            }
            StmtKind::Break => Ok(Flow::Break),
            StmtKind::Continue => Ok(Flow::Continue),
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e)?,
                    None => Value::void(),
                };
                Ok(Flow::Return(v))
            }
            StmtKind::Block(stmts) => {
                let f = self.exec_block(stmts)?;
                Ok(match f {
                    Flow::Normal(_) => Flow::Normal(None),
                    other => other,
                })
            }
            StmtKind::Print(args) => {
                for a in args {
                    let v = self.eval(a)?;
                    let text = value::display::to_display(&v);
                    self.emit(&text);
                }
                Ok(Flow::Normal(None))
            }
            StmtKind::Share(obj, name) => {
                let obj = self.eval(obj)?;
                let name = self.eval(name)?;
                self.call_builtin_name("share", vec![obj, name])?;
                Ok(Flow::Normal(None))
            }
            StmtKind::Undef(args) => {
                self.exec_undef(args)?;
                Ok(Flow::Normal(None))
            }
            StmtKind::Timer(count, body) => self.exec_timer(count.as_ref(), body),
            StmtKind::Update(u) => {
                crate::sql::execute_update(self, u)?;
                Ok(Flow::Normal(None))
            }
            StmtKind::Delete(d) => {
                crate::sql::execute_delete(self, d)?;
                Ok(Flow::Normal(None))
            }
            StmtKind::Insert(i) => {
                crate::sql::execute_insert(self, i)?;
                Ok(Flow::Normal(None))
            }
            StmtKind::Create(c) => {
                crate::sql::execute_create(self, c)?;
                Ok(Flow::Normal(None))
            }
            StmtKind::Drop(d) => {
                crate::sql::execute_drop(self, d)?;
                Ok(Flow::Normal(None))
            }
            StmtKind::Go | StmtKind::Nop => Ok(Flow::Normal(None)),
        }
    }

    /// A loop or `if` body: its statements run in the same scope; its value is not kept.
    fn exec_body(&mut self, body: &Stmt) -> Result<Flow> {
        Ok(match self.exec(body)? {
            Flow::Normal(_) => Flow::Normal(None),
            other => other,
        })
    }

    /// A condition must be a scalar; null is false.
    fn condition(&mut self, cond: &Expr, what: &str) -> Result<bool> {
        let v = self.eval(cond)?;
        match &v {
            Value::Scalar(s) if s.ty.is_literal() => Ok(!s.is_null(0)),
            Value::Scalar(s) => Ok(s.f64_at(0).map(|x| x != 0.0).unwrap_or(false)),
            _ => Err(Error::new(format!(
                "The condition of the {} statement must be a scalar",
                what
            ))),
        }
    }

    fn exec_assign(&mut self, targets: &[Target], values: &[Expr]) -> Result<()> {
        if targets.len() == values.len() {
            let vals = values
                .iter()
                .map(|e| self.eval(e))
                .collect::<Result<Vec<_>>>()?;
            for (t, v) in targets.iter().zip(vals) {
                self.assign_target(t, v)?;
            }
            return Ok(());
        }
        if values.len() == 1 {
            let v = self.eval(&values[0])?;
            let n = match &v {
                Value::Vector(x) | Value::Pair(x) => x.len(),
                _ => 0,
            };
            if n != targets.len() {
                return Err(Error::new(format!(
                    "The number of variables ({}) doesn't match the number of values",
                    targets.len()
                )));
            }
            let items = match &v {
                Value::Vector(x) | Value::Pair(x) => (0..n).map(|i| x.get(i)).collect(),
                _ => Vec::new(),
            };
            for (t, item) in targets.iter().zip(items) {
                self.assign_target(t, item)?;
            }
            return Ok(());
        }
        Err(Error::new(format!(
            "The number of variables ({}) doesn't match the number of values ({})",
            targets.len(),
            values.len()
        )))
    }

    fn exec_for_in(&mut self, names: &[String], iter: &Expr, body: &Stmt) -> Result<Flow> {
        let seq = self.eval(iter)?;
        let range = pair_range(&seq);
        let n = match &range {
            Some(r) => r.len,
            None => iteration_count(&seq),
        };
        for i in 0..n {
            let item = match &range {
                Some(r) => r.item(i),
                None => iteration_item(&seq, i),
            };
            if names.len() == 1 {
                self.assign_var(&names[0], item)?;
            } else {
                let parts = match &item {
                    Value::Vector(x) | Value::Pair(x) => (0..x.len()).map(|k| x.get(k)).collect(),
                    other => vec![other.clone()],
                };
                for (k, name) in names.iter().enumerate() {
                    let v = parts.get(k).cloned().unwrap_or_else(Value::void);
                    self.assign_var(name, v)?;
                }
            }
            match self.exec_body(body)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                _ => {}
            }
        }
        Ok(Flow::Normal(None))
    }

    fn exec_c_for(
        &mut self,
        init: Option<&Stmt>,
        cond: Option<&Expr>,
        step: Option<&Stmt>,
        body: &Stmt,
    ) -> Result<Flow> {
        if let Some(s) = init {
            self.exec(s)?;
        }
        loop {
            if let Some(c) = cond {
                if !self.condition(c, "for")? {
                    break;
                }
            }
            match self.exec_body(body)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                _ => {}
            }
            if let Some(s) = step {
                self.exec(s)?;
            }
        }
        Ok(Flow::Normal(None))
    }

    fn exec_try(&mut self, body: &Stmt, var: Option<&str>, handler: &Stmt) -> Result<Flow> {
        match self.exec_body(body) {
            Ok(f) => Ok(f),
            Err(e) => {
                if let Some(name) = var {
                    let v = match e {
                        Error::Thrown(v) => v,
                        Error::Msg(m) => Value::string(m),
                    };
                    self.assign_var(name, v)?;
                }
                self.exec_body(handler)
            }
        }
    }

    /// `undef x`, `undef(`x`y)`, `undef all`, `undef(`t, SHARED)`, `undef(`f, DEF)`.
    fn exec_undef(&mut self, args: &[Expr]) -> Result<()> {
        let Some(first) = args.first() else {
            return Err(Error::new("The function [undef] expects 1~2 argument(s), but the actual number of arguments is 0"));
        };
        let names = self.eval(first)?;
        let kind = match args.get(1) {
            Some(e) => self.eval(e)?.as_i64().unwrap_or(0),
            None => 0,
        };
        let names: Vec<String> = match &names {
            Value::Scalar(s) => s.str_at(0).map(|x| vec![x.to_string()]).unwrap_or_default(),
            Value::Vector(v) => (0..v.len())
                .filter_map(|i| v.str_at(i).map(|x| x.to_string()))
                .collect(),
            _ => Vec::new(),
        };
        for name in names {
            match kind {
                1 => {
                    if !self.host.unshare(&name) {
                        return Err(Error::new(format!(
                            "The shared object [{}] doesn't exist",
                            name
                        )));
                    }
                }
                2 => {
                    self.state.funcs.remove(&name);
                }
                _ if name.eq_ignore_ascii_case("all") && args.len() == 1 => {
                    if let Some(f) = self.frames.last_mut() {
                        f.locals.clear();
                    } else {
                        self.state.vars.clear();
                    }
                }
                _ => {
                    self.remove_var(&name);
                }
            }
        }
        Ok(())
    }

    fn exec_timer(&mut self, count: Option<&Expr>, body: &Stmt) -> Result<Flow> {
        let n = match count {
            Some(e) => self.eval(e)?.as_i64().unwrap_or(1).clamp(1, TIMER_RUNS_MAX),
            None => 1,
        };
        let start = Instant::now();
        for _ in 0..n {
            if let Flow::Return(v) = self.exec_body(body)? {
                return Ok(Flow::Return(v));
            }
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        self.emit(&format!(
            "Time elapsed: {} ms",
            value::display::float_string(ms)
        ));
        Ok(Flow::Normal(None))
    }
}

/// The expression that reads an assignment target (for `x += 1`).
pub(crate) fn target_expr(t: &Target) -> Expr {
    match t {
        Target::Var(n) => Expr::Var(n.clone()),
        Target::Index(o, i) => Expr::Index(o.clone(), i.clone()),
        Target::Member(o, n) => Expr::Member(o.clone(), n.clone()),
    }
}

/// How many items `for (x in v)` visits: elements, table rows, matrix columns, dict keys.
pub(crate) fn iteration_count(v: &Value) -> usize {
    match v {
        Value::Matrix(m) => m.cols,
        _ if v.form() == DataForm::Scalar => 1,
        _ => v.len(),
    }
}

/// `for (s in a:b)` loops over the integers from `a` up to `b` exclusive, or from `a - 1`
/// down to `b` when `a > b` (DolphinDB docs: `2:4` gives 2 3, `4:1` gives 3 2 1). Other pairs
/// are iterated element by element. Items are made one at a time: a long range costs nothing.
struct PairRange {
    first: i64,
    step: i64,
    len: usize,
    make: fn(i64) -> Value,
}

impl PairRange {
    fn item(&self, i: usize) -> Value {
        (self.make)(self.first + self.step * i as i64)
    }
}

fn pair_range(v: &Value) -> Option<PairRange> {
    let Value::Pair(x) = v else { return None };
    let (a, b) = (x.get(0).as_i64()?, x.get(1).as_i64()?);
    let make: fn(i64) -> Value = match x.ty {
        DataType::Char => |i| Value::char(i as i8),
        DataType::Short => |i| Value::short(i as i16),
        DataType::Int => |i| Value::int(i as i32),
        DataType::Long => Value::long,
        _ => return None,
    };
    let (first, step) = if a <= b { (a, 1) } else { (a - 1, -1) };
    let len = usize::try_from(a.abs_diff(b)).ok()?;
    Some(PairRange {
        first,
        step,
        len,
        make,
    })
}

/// Item `i` of an iteration: an element, a table row as a dictionary, a matrix column.
pub(crate) fn iteration_item(v: &Value, i: usize) -> Value {
    match v {
        Value::Scalar(_) | Value::Object(_) => v.clone(),
        Value::Vector(x) | Value::Pair(x) => x.get(i),
        Value::Matrix(m) => Value::vector(m.column(i)),
        Value::Set(s) => s.keys.get(i),
        Value::Dict(d) => d.keys.get(i),
        Value::Table(t) => table_row(t, i),
    }
}

/// Row `i` of a table as a dictionary from column name to value.
pub(crate) fn table_row(t: &value::Table, i: usize) -> Value {
    let keys = Vector::from_strings(t.names.clone());
    let vals: Vec<Value> = t.columns.iter().map(|c| c.get(i)).collect();
    let mut d = Dict::from_vectors(keys, Vector::new(DataType::Any, Data::Any(vals)));
    d.ordered = true;
    Value::Dict(Arc::new(d))
}
