//! The syntax tree of DolphinDB scripts and SQL statements.
//!
//! Operators are kept as `BinOp`/`UnOp` so the interpreter can map each to its built-in
//! (`+` is `add`, `<-` is `join`...). Literals are already decoded to values by the lexer and
//! parser (`1 2 3` is one INT vector constant).

use std::sync::Arc;

use value::Value;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    BitOr,
    BitXor,
    BitAnd,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Ratio,
    Mod,
    Dot,
    Cast,
    Join,
    Pair,
    Seq,
    /// `x @ y`: eachAt.
    At,
}

impl BinOp {
    /// The built-in function that implements the operator.
    pub fn function_name(self) -> &'static str {
        use BinOp::*;
        match self {
            Or => crate::builtins::arith::OR_OPERATOR,
            And => "and",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
            BitOr => "bitOr",
            BitXor => "bitXor",
            BitAnd => "bitAnd",
            Shl => "lshift",
            Shr => "rshift",
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            Ratio => "ratio",
            Mod => "mod",
            Dot => "dot",
            Cast => "cast",
            Join => "join",
            Pair => "pair",
            Seq => "seq",
            At => "eachAt",
        }
    }

    /// The operator as written in scripts.
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Or => "||",
            And => "&&",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            BitOr => "|",
            BitXor => "^",
            BitAnd => "&",
            Shl => "<<",
            Shr => ">>",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Ratio => "\\",
            Mod => "%",
            Dot => "**",
            Cast => "$",
            Join => "<-",
            Pair => ":",
            Seq => "..",
            At => "@",
        }
    }

    /// The operator for a symbol, as a function name may be given (`+:A`, `each(+, ...)`).
    pub fn from_symbol(s: &str) -> Option<BinOp> {
        use BinOp::*;
        Some(match s {
            "||" => Or,
            "&&" => And,
            "==" | "=" => Eq,
            "!=" | "<>" => Ne,
            "<" => Lt,
            "<=" => Le,
            ">" => Gt,
            ">=" => Ge,
            "|" => BitOr,
            "^" => BitXor,
            "&" => BitAnd,
            "<<" => Shl,
            ">>" => Shr,
            "+" => Add,
            "-" => Sub,
            "*" => Mul,
            "/" => Div,
            "\\" => Ratio,
            "%" => Mod,
            "**" => Dot,
            "$" => Cast,
            "<-" => Join,
            ":" => Pair,
            ".." => Seq,
            "@" => At,
            _ => return None,
        })
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`: neg.
    Neg,
    /// `!x`: not.
    Not,
}

impl UnOp {
    pub fn function_name(self) -> &'static str {
        match self {
            UnOp::Neg => "neg",
            UnOp::Not => "not",
        }
    }
}

/// A higher-order template applied with `:X` syntax: `f:E(x)`, `x +:L y`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TemplateOp {
    pub letter: char,
    /// Assemble rule letter (`D`, `C`, `U`, `K`) when given, e.g. `:LC`.
    pub rule: Option<char>,
}

impl TemplateOp {
    /// The built-in higher-order function the symbol stands for.
    pub fn function_name(self) -> &'static str {
        match self.letter {
            'E' => "each",
            'R' => "eachRight",
            'L' => "eachLeft",
            'P' => "eachPre",
            'O' => "eachPost",
            'A' => "accumulate",
            'T' => "reduce",
            'G' => "groupby",
            'C' | 'X' => "cross",
            _ => "each",
        }
    }
}

/// An expression.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A literal constant (scalar or space-separated vector).
    Const(Value),
    /// A name: local, session or shared variable, or a function.
    Var(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `f(args)`, `f x` (unary call), `x f y` (infix call). `func` is usually `Var(name)`.
    Call(Box<Expr>, Vec<Expr>),
    /// `x.f(args)`: calls `f(x, args...)`.
    Method(Box<Expr>, String, Vec<Expr>),
    /// `f{a, }`: partial application; `None` marks an unfilled argument.
    Partial(Box<Expr>, Vec<Option<Expr>>),
    /// `f:T` applied: calls the template built-in with `func` first.
    Template(TemplateOp, Box<Expr>, Vec<Expr>),
    /// `f:T` as a value, not applied (`each(add:E, ...)` rarely; kept for completeness).
    TemplateFunc(TemplateOp, Box<Expr>),
    /// An operator used as a function value: `+` in `+:A x` or `reduce(+, x)`.
    OpFunc(BinOp),
    /// `x[i]`, `m[i, j]`, `x[1:3]`.
    Index(Box<Expr>, Vec<Expr>),
    /// `t.col`, `d.key`.
    Member(Box<Expr>, String),
    /// `[a, b, c]`.
    Vector(Vec<Expr>),
    /// `(a, b, c)`.
    Tuple(Vec<Expr>),
    /// `{k: v, ...}` dictionary literal.
    Dict(Vec<(Expr, Expr)>),
    /// `expr as name`: names a table column or a select item.
    Alias(Box<Expr>, String),
    /// `name = value` inside a call's argument list (keyword argument).
    NamedArg(String, Box<Expr>),
    /// A function literal: `def (x) {...}`, `def (x): e`, `x -> e`.
    Lambda(Arc<FuncDef>),
    /// `< expr >`: metacode.
    Code(Box<Expr>),
    /// `select` / `exec`.
    Select(Box<SelectStmt>),
    /// SQL `case when c then v ... else e end`.
    Case(Vec<(Expr, Expr)>, Option<Box<Expr>>),
    /// `*` inside SQL (`select *`, `count(*)`).
    Star,
}

/// One parameter of a function definition.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    /// `mutable x`: the function may modify the caller's object in place.
    pub mutable: bool,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug)]
pub struct FuncDef {
    /// Empty for lambdas.
    pub name: String,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
    /// True for `x -> e` and `def (x): e`: the value of the expression is the result.
    pub is_expr: bool,
    /// Source text of the definition, for display.
    pub source: String,
}

/// A place that can be assigned.
#[derive(Clone, Debug)]
pub enum Target {
    Var(String),
    /// `x[i] = v`, `t[`col] = v`, `d[k] = v`.
    Index(Box<Expr>, Vec<Expr>),
    /// `t.col = v`, `d.key = v`.
    Member(Box<Expr>, String),
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub line: u32,
    pub kind: StmtKind,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    Expr(Expr),
    /// `x = e`, `a, b = e1, e2` (values has one entry per target, or one for destructuring).
    Assign(Vec<Target>, Vec<Expr>),
    /// `x += e` etc.
    OpAssign(Target, BinOp, Expr),
    /// `def f(...) {...}`: a named function.
    Def(Arc<FuncDef>),
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    /// `for (x in e) body`; several names iterate pairs of a dictionary or columns.
    ForIn(Vec<String>, Expr, Box<Stmt>),
    /// `for (init; cond; step) body`.
    For(
        Option<Box<Stmt>>,
        Option<Expr>,
        Option<Box<Stmt>>,
        Box<Stmt>,
    ),
    While(Expr, Box<Stmt>),
    DoWhile(Box<Stmt>, Expr),
    /// `try {...} catch (ex) {...}`.
    Try(Box<Stmt>, Option<String>, Box<Stmt>),
    Throw(Expr),
    Break,
    Continue,
    Return(Option<Expr>),
    Block(Vec<Stmt>),
    /// `print x`, `print(a, b)`.
    Print(Vec<Expr>),
    /// `share t as name`, `share(t, name)`.
    Share(Expr, Expr),
    /// `undef x`, ``undef(`x, SHARED)``, `undef all`. Bare names are given as strings.
    Undef(Vec<Expr>),
    /// `timer {...}`, `timer(n) {...}`: runs the body and prints the elapsed time.
    Timer(Option<Expr>, Box<Stmt>),
    Update(Box<UpdateStmt>),
    Delete(Box<DeleteStmt>),
    Insert(Box<InsertStmt>),
    /// `create table` / `create database`: kept as SQL for the SQL module.
    Create(Box<CreateStmt>),
    /// `drop table`/`drop database`... and `alter`: SQL module statements.
    Drop(Box<DropStmt>),
    /// `go` splits a script; at run time it does nothing.
    Go,
    /// `module x`, `use x`: module system, accepted and ignored.
    Nop,
}

/// One item of a select list.
#[derive(Clone, Debug)]
pub struct SelectItem {
    pub expr: Expr,
    /// `as name`.
    pub alias: Option<String>,
}

#[derive(Clone, Debug, Copy, PartialEq, Eq)]
pub enum GroupKind {
    GroupBy,
    ContextBy,
    PivotBy,
    /// `cgroup by`.
    CGroupBy,
}

#[derive(Clone, Debug, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    Cross,
    /// `left semi join`.
    LeftSemi,
}

/// A `from` clause.
#[derive(Clone, Debug)]
pub enum FromClause {
    /// A table expression: a variable, `loadTable(...)`, `ej(t1, t2, `id)`, a subquery.
    Table(Expr, Option<String>),
    /// SQL-92 join: `left [join kind] right on cond`.
    Join {
        kind: JoinKind,
        left: Box<FromClause>,
        right: Box<FromClause>,
        on: Option<Expr>,
    },
}

#[derive(Clone, Debug)]
pub struct OrderItem {
    pub expr: Expr,
    pub asc: bool,
    /// `nulls first` (Some(true)) / `nulls last` (Some(false)); None: nulls sort as the
    /// smallest values.
    pub nulls_first: Option<bool>,
}

/// `select` or `exec`.
#[derive(Clone, Debug)]
pub struct SelectStmt {
    pub exec: bool,
    pub distinct: bool,
    /// `top n` or `top a:b`.
    pub top: Option<Expr>,
    pub items: Vec<SelectItem>,
    pub from: Option<FromClause>,
    /// Comma-separated `where` conditions, applied in order.
    pub where_: Vec<Expr>,
    pub group: Vec<SelectItem>,
    pub group_kind: Option<GroupKind>,
    /// `cgroup by` items. With `cgroup by`, `group_kind` is `CGroupBy` and `group` holds the
    /// `group by` items, if any.
    pub cgroup: Vec<SelectItem>,
    pub having: Vec<Expr>,
    pub order: Vec<OrderItem>,
    /// `csort` items (context by sorting).
    pub csort: Vec<OrderItem>,
    /// `limit n` or `limit offset, n` (offset first).
    pub limit: Option<(Option<Expr>, Expr)>,
    /// `map` keyword (distributed): executed as is.
    pub map: bool,
}

/// `update t set a = e, ... [from ...] [where ...] [context by ...]`.
#[derive(Clone, Debug)]
pub struct UpdateStmt {
    pub table: Expr,
    pub sets: Vec<(String, Expr)>,
    pub from: Option<FromClause>,
    pub where_: Vec<Expr>,
    pub context_by: Vec<Expr>,
    pub having: Vec<Expr>,
}

/// `delete from t [where ...]`.
#[derive(Clone, Debug)]
pub struct DeleteStmt {
    pub table: Expr,
    pub where_: Vec<Expr>,
}

/// `insert into t [(cols)] values (...)` or `insert into t select ...`.
#[derive(Clone, Debug)]
pub struct InsertStmt {
    pub table: Expr,
    pub columns: Vec<String>,
    /// One expression per column (each a scalar or a vector), or a select.
    pub values: InsertSource,
}

#[derive(Clone, Debug)]
pub enum InsertSource {
    /// `values (a, b), (c, d)`: rows as written.
    Rows(Vec<Vec<Expr>>),
    Select(Box<SelectStmt>),
}

/// `create table "dfs://db"."t" (col TYPE, ...) [partitioned by ...]` or
/// `create database "dfs://db" partitioned by ...`. Kept as parsed text parts.
#[derive(Clone, Debug)]
pub struct CreateStmt {
    /// "table" or "database".
    pub object: String,
    /// Database path or table name expression(s).
    pub names: Vec<Expr>,
    /// Column definitions: name and type expression.
    pub columns: Vec<(String, Expr)>,
    /// `partitioned by` items.
    pub partitioned_by: Vec<Expr>,
    /// Other trailing clauses by keyword (`engine`, `sortColumns`, ...).
    pub options: Vec<(String, Expr)>,
}

/// `drop table x` / `drop database "dfs://db"`.
#[derive(Clone, Debug)]
pub struct DropStmt {
    pub object: String,
    pub names: Vec<Expr>,
}

/// A parsed script: statements, with the source they came from.
#[derive(Clone, Debug)]
pub struct Program {
    pub stmts: Vec<Stmt>,
}

/// Precedence of a binary operator, as the parser uses it (higher binds tighter).
pub fn precedence(op: BinOp) -> u8 {
    use BinOp::*;
    match op {
        Or => 1,
        And => 2,
        Eq | Ne | Lt | Le | Gt | Ge => 3,
        BitOr => 4,
        BitXor => 5,
        BitAnd => 6,
        Shl | Shr => 7,
        Add | Sub => 8,
        Pair | Seq => 15,
        _ => 10,
    }
}

fn write_list(f: &mut std::fmt::Formatter<'_>, items: &[Expr]) -> std::fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{}", e)?;
    }
    Ok(())
}

fn write_operand(f: &mut std::fmt::Formatter<'_>, e: &Expr, min: u8) -> std::fmt::Result {
    match e {
        Expr::Binary(op, ..) if precedence(*op) < min => write!(f, "({})", e),
        _ => write!(f, "{}", e),
    }
}

/// Script text for an expression, as metacode prints it (`< x + 1 >`) and as SQL names
/// computed columns.
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Const(v) => match v {
                Value::Scalar(s) if s.ty.is_literal() && !s.is_null(0) => {
                    write!(f, "\"{}\"", v.as_str().unwrap_or(""))
                }
                Value::Scalar(s) if s.is_null(0) => f.write_str("NULL"),
                _ => f.write_str(&value::display::to_display(v)),
            },
            Expr::Var(n) => f.write_str(n),
            Expr::Unary(UnOp::Neg, e) => {
                f.write_str("-")?;
                write_operand(f, e, 16)
            }
            Expr::Unary(UnOp::Not, e) => {
                f.write_str("!")?;
                write_operand(f, e, 16)
            }
            Expr::Binary(op, a, b) => {
                let p = precedence(*op);
                write_operand(f, a, p)?;
                write!(f, " {} ", op.symbol())?;
                write_operand(f, b, p + 1)
            }
            Expr::Call(func, args) => {
                write!(f, "{}(", func)?;
                write_list(f, args)?;
                f.write_str(")")
            }
            Expr::Method(o, n, args) => {
                write!(f, "{}.{}(", o, n)?;
                write_list(f, args)?;
                f.write_str(")")
            }
            Expr::Partial(func, args) => {
                write!(f, "{}{{", func)?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if let Some(a) = a {
                        write!(f, "{}", a)?;
                    }
                }
                f.write_str("}")
            }
            Expr::Template(t, func, args) => {
                write!(f, "{}:{}(", func, t.letter)?;
                write_list(f, args)?;
                f.write_str(")")
            }
            Expr::TemplateFunc(t, func) => write!(f, "{}:{}", func, t.letter),
            Expr::OpFunc(op) => f.write_str(op.symbol()),
            Expr::Index(o, idx) => {
                write!(f, "{}[", o)?;
                write_list(f, idx)?;
                f.write_str("]")
            }
            Expr::Member(o, n) => write!(f, "{}.{}", o, n),
            Expr::Vector(items) => {
                f.write_str("[")?;
                write_list(f, items)?;
                f.write_str("]")
            }
            Expr::Tuple(items) => {
                f.write_str("(")?;
                write_list(f, items)?;
                f.write_str(")")
            }
            Expr::Dict(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {}", k, v)?;
                }
                f.write_str("}")
            }
            Expr::Alias(e, n) => write!(f, "{} as {}", e, n),
            Expr::NamedArg(n, e) => write!(f, "{}={}", n, e),
            Expr::Lambda(d) => f.write_str(d.source.trim()),
            Expr::Code(e) => write!(f, "<{}>", e),
            Expr::Select(s) => {
                f.write_str(if s.exec { "exec " } else { "select " })?;
                for (i, it) in s.items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", it.expr)?;
                    if let Some(a) = &it.alias {
                        write!(f, " as {}", a)?;
                    }
                }
                if let Some(FromClause::Table(t, _)) = &s.from {
                    write!(f, " from {}", t)?;
                }
                if !s.where_.is_empty() {
                    f.write_str(" where ")?;
                    write_list(f, &s.where_)?;
                }
                Ok(())
            }
            Expr::Case(arms, other) => {
                f.write_str("case")?;
                for (c, v) in arms {
                    write!(f, " when {} then {}", c, v)?;
                }
                if let Some(o) = other {
                    write!(f, " else {}", o)?;
                }
                f.write_str(" end")
            }
            Expr::Star => f.write_str("*"),
        }
    }
}
