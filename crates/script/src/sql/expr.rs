//! Syntax-tree helpers for SQL planning: walking and rewriting expressions, the columns an
//! expression reads, and how a call behaves over rows (element-wise, aggregate, window...).

use std::collections::HashSet;

use crate::ast::{BinOp, Expr};
use crate::builtins::{lookup, Builtin, Kind};
use crate::interp::{as_function, Interpreter};

/// Rebuilds `e` with `f` applied top-down: where `f` gives a replacement the subtree is
/// replaced (and not visited further), else the children are rewritten.
pub fn rewrite(e: &Expr, f: &mut dyn FnMut(&Expr) -> Option<Expr>) -> Expr {
    if let Some(r) = f(e) {
        return r;
    }
    let mut go = |x: &Expr| rewrite(x, f);
    match e {
        Expr::Const(_)
        | Expr::Var(_)
        | Expr::OpFunc(_)
        | Expr::Lambda(_)
        | Expr::Code(_)
        | Expr::Star
        | Expr::Select(_) => e.clone(),
        Expr::Unary(op, a) => Expr::Unary(*op, Box::new(go(a))),
        Expr::Binary(op, a, b) => Expr::Binary(*op, Box::new(go(a)), Box::new(go(b))),
        Expr::Call(func, args) => Expr::Call(Box::new(go(func)), args.iter().map(go).collect()),
        Expr::Method(o, n, args) => {
            Expr::Method(Box::new(go(o)), n.clone(), args.iter().map(go).collect())
        }
        Expr::Partial(func, args) => Expr::Partial(
            Box::new(go(func)),
            args.iter().map(|a| a.as_ref().map(&mut go)).collect(),
        ),
        Expr::Template(t, func, args) => {
            Expr::Template(*t, Box::new(go(func)), args.iter().map(go).collect())
        }
        Expr::TemplateFunc(t, func) => Expr::TemplateFunc(*t, Box::new(go(func))),
        Expr::Index(o, idx) => Expr::Index(Box::new(go(o)), idx.iter().map(go).collect()),
        Expr::Member(o, n) => Expr::Member(Box::new(go(o)), n.clone()),
        Expr::Vector(items) => Expr::Vector(items.iter().map(go).collect()),
        Expr::Tuple(items) => Expr::Tuple(items.iter().map(go).collect()),
        Expr::Dict(entries) => Expr::Dict(entries.iter().map(|(k, v)| (go(k), go(v))).collect()),
        Expr::Alias(x, n) => Expr::Alias(Box::new(go(x)), n.clone()),
        Expr::NamedArg(n, x) => Expr::NamedArg(n.clone(), Box::new(go(x))),
        Expr::Case(arms, other) => Expr::Case(
            arms.iter().map(|(c, v)| (go(c), go(v))).collect(),
            other.as_ref().map(|o| Box::new(go(o))),
        ),
    }
}

/// Visits `e` and its subexpressions top-down; `f` returns false to skip a subtree.
pub fn visit(e: &Expr, f: &mut dyn FnMut(&Expr) -> bool) {
    if !f(e) {
        return;
    }
    let mut go = |x: &Expr| visit(x, f);
    match e {
        Expr::Const(_)
        | Expr::Var(_)
        | Expr::OpFunc(_)
        | Expr::Lambda(_)
        | Expr::Code(_)
        | Expr::Star
        | Expr::Select(_) => {}
        Expr::Unary(_, a) | Expr::TemplateFunc(_, a) | Expr::Member(a, _) => go(a),
        Expr::Alias(a, _) | Expr::NamedArg(_, a) => go(a),
        Expr::Binary(_, a, b) => {
            go(a);
            go(b);
        }
        Expr::Call(func, args) | Expr::Template(_, func, args) | Expr::Method(func, _, args) => {
            go(func);
            args.iter().for_each(go);
        }
        Expr::Index(o, idx) => {
            go(o);
            idx.iter().for_each(go);
        }
        Expr::Partial(func, args) => {
            go(func);
            args.iter().flatten().for_each(go);
        }
        Expr::Vector(items) | Expr::Tuple(items) => items.iter().for_each(go),
        Expr::Dict(entries) => entries.iter().for_each(|(k, v)| {
            go(k);
            go(v);
        }),
        Expr::Case(arms, other) => {
            arms.iter().for_each(|(c, v)| {
                go(c);
                go(v);
            });
            if let Some(o) = other {
                go(o);
            }
        }
    }
}

/// The names an expression may read as columns (every plain name it mentions). The name of
/// `x = v` in a call's arguments counts too: it compares column `x` when `x` is not one of
/// the callee's parameters (`iif(x = 2, y, 0)`).
pub fn names_in(e: &Expr, out: &mut HashSet<String>) {
    visit(e, &mut |x| {
        if let Expr::Var(n) | Expr::NamedArg(n, _) = x {
            out.insert(n.to_ascii_lowercase());
        }
        true
    });
}

/// Does `e` contain a subquery?
pub fn has_select(e: &Expr) -> bool {
    let mut found = false;
    visit(e, &mut |x| {
        if matches!(x, Expr::Select(_)) {
            found = true;
        }
        !found
    });
    found
}

/// How a called function behaves over the rows of a column.
#[derive(Copy, Clone, Debug)]
pub enum CallKind {
    /// Element-wise built-in (`add`, `abs`, `iif`...).
    Scalar,
    /// Built-in aggregate (`sum`, `wavg`...).
    Aggregate(&'static Builtin),
    /// Anything order- or length-dependent: window built-ins, higher-order and other
    /// built-ins, user functions, function-valued variables.
    Other,
}

/// What calling `name` does, as the interpreter would resolve it (a variable holding a
/// function or a user function shadows a built-in).
pub fn call_kind(ip: &Interpreter, name: &str) -> CallKind {
    if ip.state.funcs.contains_key(name) {
        return CallKind::Other;
    }
    if let Some(v) = ip.lookup_plain_var(name) {
        if as_function(&v).is_some() {
            return CallKind::Other;
        }
    }
    match lookup(name) {
        Some(b) if b.kind == Kind::Scalar => CallKind::Scalar,
        Some(b) if b.kind == Kind::Aggregate => CallKind::Aggregate(b),
        _ => CallKind::Other,
    }
}

/// Operators whose result is element-wise over equal-length operands.
fn elementwise_op(op: BinOp) -> bool {
    !matches!(
        op,
        BinOp::Join | BinOp::Pair | BinOp::Seq | BinOp::At | BinOp::Dot
    )
}

/// Is `e` row-wise: its value on a subset of rows equals its value on all rows restricted to
/// that subset? True for columns, constants, and element-wise operators and built-ins over
/// row-wise arguments.
pub fn is_rowwise(ip: &Interpreter, e: &Expr) -> bool {
    let mut ok = true;
    visit(e, &mut |x| {
        match x {
            Expr::Call(f, _) => match &**f {
                Expr::Var(name) if matches!(call_kind(ip, name), CallKind::Scalar) => {}
                _ => ok = false,
            },
            Expr::Method(_, name, _) if !matches!(call_kind(ip, name), CallKind::Scalar) => {
                ok = false
            }
            Expr::Binary(op, _, _) if !elementwise_op(*op) => ok = false,
            Expr::Partial(..)
            | Expr::Template(..)
            | Expr::TemplateFunc(..)
            | Expr::Index(..)
            | Expr::Select(_)
            | Expr::Lambda(_)
            | Expr::Vector(_)
            | Expr::Tuple(_)
            | Expr::Star => ok = false,
            _ => {}
        }
        ok
    });
    ok
}

/// An aggregate call whose arguments are row-wise: it can be computed by evaluating the
/// arguments once over all rows and reducing per group.
pub fn as_agg_leaf<'e>(ip: &Interpreter, e: &'e Expr) -> Option<(&'static Builtin, &'e [Expr])> {
    let (name, args) = match e {
        Expr::Call(f, args) => match &**f {
            Expr::Var(name) => (name.as_str(), args.as_slice()),
            _ => return None,
        },
        _ => return None,
    };
    let CallKind::Aggregate(b) = call_kind(ip, name) else {
        return None;
    };
    if args
        .iter()
        .all(|a| matches!(a, Expr::Star) || is_rowwise(ip, a))
    {
        Some((b, args))
    } else {
        None
    }
}

/// Does `e` call an aggregate anywhere?
pub fn has_aggregate(ip: &Interpreter, e: &Expr) -> bool {
    let mut found = false;
    visit(e, &mut |x| {
        let name = match x {
            Expr::Call(f, _) => match &**f {
                Expr::Var(n) => Some(n.as_str()),
                _ => None,
            },
            Expr::Method(_, n, _) => Some(n.as_str()),
            _ => None,
        };
        if let Some(n) = name {
            if matches!(call_kind(ip, n), CallKind::Aggregate(_)) {
                found = true;
            }
        }
        !found
    });
    found
}

/// `count(*)`.
pub fn is_count_star(e: &Expr) -> bool {
    matches!(e, Expr::Call(f, args)
        if matches!(&**f, Expr::Var(n) if n == "count") && matches!(args.as_slice(), [Expr::Star]))
}

/// `a <= b <= c` as `a <= b and b <= c`, as SQL conditions read it.
pub fn chained_comparisons(e: &Expr) -> Expr {
    let ordering = |op: &BinOp| matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge);
    rewrite(e, &mut |x| match x {
        Expr::Binary(op2, left, c) if ordering(op2) => match &**left {
            Expr::Binary(op1, a, b) if ordering(op1) => {
                let first = chained_comparisons(&Expr::Binary(*op1, a.clone(), b.clone()));
                let second = Expr::Binary(*op2, b.clone(), Box::new(chained_comparisons(c)));
                Some(Expr::Binary(BinOp::And, Box::new(first), Box::new(second)))
            }
            _ => None,
        },
        _ => None,
    })
}
