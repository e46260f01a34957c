//! The resolve pass: before a script runs, every plain name it reads must be known, or the
//! whole script is rejected with DolphinDB's parse-time error
//! `Syntax Error: [line #N] Cannot recognize the token x`, and nothing in it runs.
//!
//! A name is known when it is a session variable (including those uploaded by `variable`
//! requests), a shared object, a function, a language constant, or assigned anywhere in the
//! same scope of the script (the check does not follow control flow: `x` assigned on a later
//! line counts). A function body sees its parameters and locals, the locals of the function
//! it was written in (for a lambda), shared objects and functions, never session variables,
//! as the interpreter does. Names the script publishes (`share t as st`,
//! `enableTableShareAndPersistence(..., tableName=`st)`) count as shared.
//!
//! Not checked, because they are only known at run time: names inside SQL clauses (columns),
//! inside metacode `< >`, in call position (an unknown function has its own error), and the
//! keyword of a `name = value` argument.

use std::collections::HashSet;

use value::{Data, Value};

use crate::ast::*;
use crate::{Error, Result};

/// What the session already knows: `true` for a session variable, shared object, function or
/// constant usable at the top level; `in_function` asks for names visible inside a function
/// body (no session variables).
pub trait Known {
    fn top_level(&self, name: &str) -> bool;
    fn in_function(&self, name: &str) -> bool;
}

/// Checks `prog`; the first unknown name (in statement order) is the error.
pub fn check(prog: &Program, known: &dyn Known) -> Result<()> {
    let mut globals = Globals::default();
    for s in &prog.stmts {
        collect_globals(s, &mut globals);
    }
    let mut top = HashSet::new();
    assigned_in(&prog.stmts, &mut top);
    let scope = Scope {
        locals: top,
        parent: None,
        function: false,
    };
    let ctx = Ctx {
        known,
        globals: &globals,
    };
    for s in &prog.stmts {
        ctx.stmt(s, &scope)?;
    }
    Ok(())
}

/// Names the script defines for every scope: its named functions and what it shares.
#[derive(Default)]
struct Globals {
    names: HashSet<String>,
}

struct Scope<'a> {
    locals: HashSet<String>,
    parent: Option<&'a Scope<'a>>,
    /// Inside a function body: session variables are not visible.
    function: bool,
}

impl Scope<'_> {
    fn has(&self, name: &str) -> bool {
        self.locals.contains(name) || self.parent.is_some_and(|p| p.has(name))
    }
}

struct Ctx<'a> {
    known: &'a dyn Known,
    globals: &'a Globals,
}

impl Ctx<'_> {
    fn defined(&self, name: &str, scope: &Scope) -> bool {
        if scope.has(name) || self.globals.names.contains(name) {
            return true;
        }
        if scope.function {
            self.known.in_function(name)
        } else {
            self.known.top_level(name)
        }
    }

    fn unknown(&self, name: &str, line: u32) -> Error {
        Error::new(format!(
            "Syntax Error: [line #{}] Cannot recognize the token {}",
            line, name
        ))
    }

    fn stmts(&self, stmts: &[Stmt], scope: &Scope) -> Result<()> {
        stmts.iter().try_for_each(|s| self.stmt(s, scope))
    }

    fn stmt(&self, s: &Stmt, scope: &Scope) -> Result<()> {
        let line = s.line;
        let e = |x: &Expr| self.expr(x, scope, line);
        match &s.kind {
            StmtKind::Expr(x) | StmtKind::Throw(x) => e(x),
            StmtKind::Assign(targets, values) => {
                targets
                    .iter()
                    .try_for_each(|t| self.target(t, scope, line))?;
                values.iter().try_for_each(e)
            }
            StmtKind::OpAssign(t, _, x) => {
                self.target(t, scope, line)?;
                e(x)
            }
            StmtKind::Def(def) => self.function(def, None, line),
            StmtKind::If(c, a, b) => {
                e(c)?;
                self.stmt(a, scope)?;
                match b {
                    Some(b) => self.stmt(b, scope),
                    None => Ok(()),
                }
            }
            StmtKind::ForIn(_, x, body) => {
                e(x)?;
                self.stmt(body, scope)
            }
            StmtKind::For(init, cond, step, body) => {
                if let Some(i) = init {
                    self.stmt(i, scope)?;
                }
                if let Some(c) = cond {
                    e(c)?;
                }
                if let Some(st) = step {
                    self.stmt(st, scope)?;
                }
                self.stmt(body, scope)
            }
            StmtKind::While(c, body) => {
                e(c)?;
                self.stmt(body, scope)
            }
            StmtKind::DoWhile(body, c) => {
                self.stmt(body, scope)?;
                e(c)
            }
            StmtKind::Try(body, _, handler) => {
                self.stmt(body, scope)?;
                self.stmt(handler, scope)
            }
            StmtKind::Return(x) => x.as_ref().map_or(Ok(()), e),
            StmtKind::Block(b) => self.stmts(b, scope),
            StmtKind::Print(xs) => xs.iter().try_for_each(e),
            StmtKind::Share(x, name) => {
                e(x)?;
                e(name)
            }
            StmtKind::Timer(n, body) => {
                if let Some(n) = n {
                    e(n)?;
                }
                self.stmt(body, scope)
            }
            StmtKind::Update(u) => e(&u.table),
            StmtKind::Delete(d) => e(&d.table),
            StmtKind::Insert(i) => {
                e(&i.table)?;
                match &i.values {
                    InsertSource::Rows(rows) => rows.iter().flatten().try_for_each(e),
                    InsertSource::Select(_) => Ok(()),
                }
            }
            StmtKind::Undef(_)
            | StmtKind::Create(_)
            | StmtKind::Drop(_)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Go
            | StmtKind::Nop => Ok(()),
        }
    }

    fn target(&self, t: &Target, scope: &Scope, line: u32) -> Result<()> {
        match t {
            Target::Var(_) => Ok(()),
            Target::Index(obj, idx) => {
                self.expr(obj, scope, line)?;
                idx.iter().try_for_each(|x| self.expr(x, scope, line))
            }
            Target::Member(obj, _) => self.expr(obj, scope, line),
        }
    }

    /// A function body: its parameters and locals, plus `enclosing` for a lambda written
    /// inside a function.
    fn function(&self, def: &FuncDef, enclosing: Option<&Scope>, line: u32) -> Result<()> {
        let mut locals: HashSet<String> = def.params.iter().map(|p| p.name.clone()).collect();
        assigned_in(&def.body, &mut locals);
        let scope = Scope {
            locals,
            parent: enclosing.filter(|s| s.function),
            function: true,
        };
        for p in &def.params {
            if let Some(d) = &p.default {
                self.expr(d, &scope, line)?;
            }
        }
        self.stmts(&def.body, &scope)
    }

    /// A name in function position: a variable holding a function, or checked at call time.
    fn callee(&self, f: &Expr, scope: &Scope, line: u32) -> Result<()> {
        match f {
            Expr::Var(_) => Ok(()),
            other => self.expr(other, scope, line),
        }
    }

    fn exprs(&self, xs: &[Expr], scope: &Scope, line: u32) -> Result<()> {
        xs.iter().try_for_each(|x| self.expr(x, scope, line))
    }

    fn expr(&self, e: &Expr, scope: &Scope, line: u32) -> Result<()> {
        match e {
            Expr::Var(n) => {
                if self.defined(n, scope) {
                    Ok(())
                } else {
                    Err(self.unknown(n, line))
                }
            }
            Expr::Const(_) | Expr::OpFunc(_) | Expr::Code(_) | Expr::Star => Ok(()),
            Expr::Unary(_, a) | Expr::Alias(a, _) | Expr::NamedArg(_, a) => {
                self.expr(a, scope, line)
            }
            Expr::Member(a, _) => self.expr(a, scope, line),
            Expr::Binary(_, a, b) => {
                self.expr(a, scope, line)?;
                self.expr(b, scope, line)
            }
            Expr::Call(f, args) | Expr::Template(_, f, args) => {
                self.callee(f, scope, line)?;
                self.exprs(args, scope, line)
            }
            Expr::Method(obj, _, args) => {
                self.expr(obj, scope, line)?;
                self.exprs(args, scope, line)
            }
            Expr::Partial(f, args) => {
                self.callee(f, scope, line)?;
                args.iter()
                    .flatten()
                    .try_for_each(|x| self.expr(x, scope, line))
            }
            Expr::TemplateFunc(_, f) => self.callee(f, scope, line),
            Expr::Index(obj, idx) => {
                self.expr(obj, scope, line)?;
                self.exprs(idx, scope, line)
            }
            Expr::Vector(items) | Expr::Tuple(items) => self.exprs(items, scope, line),
            Expr::Dict(entries) => entries.iter().try_for_each(|(k, v)| {
                self.expr(k, scope, line)?;
                self.expr(v, scope, line)
            }),
            Expr::Lambda(def) => self.function(def, Some(scope), line),
            Expr::Select(s) => match &s.from {
                Some(from) => self.sources(from, scope, line),
                None => Ok(()),
            },
            Expr::Case(arms, other) => {
                for (c, v) in arms {
                    self.expr(c, scope, line)?;
                    self.expr(v, scope, line)?;
                }
                other.as_ref().map_or(Ok(()), |o| self.expr(o, scope, line))
            }
        }
    }

    /// The tables of a `from` clause are ordinary expressions; `on` conditions name columns.
    fn sources(&self, clause: &FromClause, scope: &Scope, line: u32) -> Result<()> {
        match clause {
            FromClause::Table(x, _) => self.expr(x, scope, line),
            FromClause::Join { left, right, .. } => {
                self.sources(left, scope, line)?;
                self.sources(right, scope, line)
            }
        }
    }
}

/// Names a list of statements assigns in its own scope (not inside nested functions).
fn assigned_in(stmts: &[Stmt], out: &mut HashSet<String>) {
    for s in stmts {
        assigned_stmt(s, out);
    }
}

fn assigned_stmt(s: &Stmt, out: &mut HashSet<String>) {
    match &s.kind {
        StmtKind::Assign(targets, _) => {
            for t in targets {
                if let Target::Var(n) = t {
                    out.insert(n.clone());
                }
            }
        }
        StmtKind::OpAssign(Target::Var(n), _, _) => {
            out.insert(n.clone());
        }
        StmtKind::If(_, a, b) => {
            assigned_stmt(a, out);
            if let Some(b) = b {
                assigned_stmt(b, out);
            }
        }
        StmtKind::ForIn(names, _, body) => {
            out.extend(names.iter().cloned());
            assigned_stmt(body, out);
        }
        StmtKind::For(init, _, step, body) => {
            for s in [init, step].into_iter().flatten() {
                assigned_stmt(s, out);
            }
            assigned_stmt(body, out);
        }
        StmtKind::While(_, body) | StmtKind::DoWhile(body, _) | StmtKind::Timer(_, body) => {
            assigned_stmt(body, out)
        }
        StmtKind::Try(body, var, handler) => {
            assigned_stmt(body, out);
            if let Some(v) = var {
                out.insert(v.clone());
            }
            assigned_stmt(handler, out);
        }
        StmtKind::Block(b) => assigned_in(b, out),
        _ => {}
    }
}

/// Named functions and published names anywhere in the script.
fn collect_globals(s: &Stmt, g: &mut Globals) {
    match &s.kind {
        StmtKind::Def(def) => {
            g.names.insert(def.name.clone());
            def.body.iter().for_each(|s| collect_globals(s, g));
        }
        StmtKind::Share(x, name) => {
            string_constants(name, &mut g.names);
            visit_calls(x, g);
        }
        _ => {}
    }
    let (mut stmts, mut exprs) = (Vec::new(), Vec::new());
    for_each_child(s, &mut |c| stmts.push(c.clone()), &mut |x| {
        exprs.push(x.clone())
    });
    stmts.iter().for_each(|c| collect_globals(c, g));
    exprs.iter().for_each(|x| visit_calls(x, g));
}

/// Calls that publish objects by name (`share`, `enableTableShareAndPersistence`, stream
/// engines): their string arguments become known names.
fn visit_calls(e: &Expr, g: &mut Globals) {
    if let Expr::Call(f, args) = e {
        if let Expr::Var(name) = &**f {
            let lower = name.to_ascii_lowercase();
            if ["share", "stream", "persist", "engine"]
                .iter()
                .any(|w| lower.contains(w))
            {
                args.iter().for_each(|a| string_constants(a, &mut g.names));
            }
        }
    }
    for_each_expr_child(e, &mut |c| visit_calls(c, g));
}

fn string_constants(e: &Expr, out: &mut HashSet<String>) {
    match e {
        Expr::Const(v @ Value::Scalar(_)) => {
            if let Some(name) = crate::builtins::object_name(v) {
                out.insert(name);
            }
        }
        Expr::Const(Value::Vector(v)) if v.ty.is_literal() => {
            out.extend((0..v.len()).filter_map(|i| v.str_at(i).map(str::to_string)))
        }
        Expr::Const(Value::Vector(v)) => {
            if let Data::Any(items) = &v.data {
                out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string)));
            }
        }
        Expr::NamedArg(_, x) | Expr::Alias(x, _) => string_constants(x, out),
        _ => {}
    }
}

/// Calls `stmt` on each nested statement and `expr` on each expression of `s`.
fn for_each_child(s: &Stmt, stmt: &mut dyn FnMut(&Stmt), expr: &mut dyn FnMut(&Expr)) {
    match &s.kind {
        StmtKind::Expr(x) | StmtKind::Throw(x) => expr(x),
        StmtKind::Assign(_, values) => values.iter().for_each(expr),
        StmtKind::OpAssign(_, _, x) => expr(x),
        StmtKind::If(c, a, b) => {
            expr(c);
            stmt(a);
            if let Some(b) = b {
                stmt(b);
            }
        }
        StmtKind::ForIn(_, x, body) => {
            expr(x);
            stmt(body);
        }
        StmtKind::For(init, cond, step, body) => {
            if let Some(c) = cond {
                expr(c);
            }
            for s in [init, step].into_iter().flatten() {
                stmt(s);
            }
            stmt(body);
        }
        StmtKind::While(c, body) | StmtKind::DoWhile(body, c) => {
            expr(c);
            stmt(body);
        }
        StmtKind::Try(body, _, handler) => {
            stmt(body);
            stmt(handler);
        }
        StmtKind::Return(Some(x)) => expr(x),
        StmtKind::Block(b) => b.iter().for_each(stmt),
        StmtKind::Print(xs) => xs.iter().for_each(expr),
        StmtKind::Timer(_, body) => stmt(body),
        _ => {}
    }
}

/// Calls `f` on each direct subexpression of `e` (lambda bodies included).
fn for_each_expr_child(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    match e {
        Expr::Unary(_, a)
        | Expr::Alias(a, _)
        | Expr::NamedArg(_, a)
        | Expr::Member(a, _)
        | Expr::TemplateFunc(_, a) => f(a),
        Expr::Binary(_, a, b) => {
            f(a);
            f(b);
        }
        Expr::Call(g, args) | Expr::Template(_, g, args) | Expr::Method(g, _, args) => {
            f(g);
            args.iter().for_each(f);
        }
        Expr::Partial(g, args) => {
            f(g);
            args.iter().flatten().for_each(f);
        }
        Expr::Index(o, idx) => {
            f(o);
            idx.iter().for_each(f);
        }
        Expr::Vector(items) | Expr::Tuple(items) => items.iter().for_each(f),
        Expr::Dict(entries) => entries.iter().for_each(|(k, v)| {
            f(k);
            f(v);
        }),
        Expr::Case(arms, other) => {
            arms.iter().for_each(|(c, v)| {
                f(c);
                f(v);
            });
            if let Some(o) = other {
                f(o);
            }
        }
        Expr::Lambda(def) => {
            for s in &def.body {
                for_each_child(s, &mut |_| {}, f);
            }
        }
        _ => {}
    }
}
