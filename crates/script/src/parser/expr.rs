//! Expressions: precedence climbing over DolphinDB's operator table (docs "Operator Summary":
//! `||` 1, `&&` 2, comparisons 3, `|` 4, `^` 5, `&` 6, shifts 7, `+ -` 8, `* / \ % ** $ <-` and
//! functions used as infix operators 10, `:` and `..` 15; unary `-` and `!` bind tighter than
//! all of them; a function name used as a unary operator takes everything to its right).

use std::sync::Arc;

use value::{DataType, Value};

use super::{is_stop_word, Parser, KEYWORDS};
use crate::ast::*;
use crate::lexer::{symbols_value, Tok};
use crate::literal::vector_from_scalars;
use crate::Result;

/// Lowest binary precedence (`||`).
const PREC_MIN: u8 = 1;
/// Precedence of `*` and of functions used as infix operators.
const PREC_MUL: u8 = 10;
/// Precedence of `:` and `..`.
const PREC_PAIR: u8 = 15;

/// What follows an operand in infix position.
enum Infix {
    Bin(BinOp, usize),
    /// `x f y`: a function used as a binary operator.
    Call(String),
    /// `x +:L y` or `x f:E y`: the function expression and its template.
    Template(Expr, TemplateOp, usize),
    /// SQL `x between a and b` / `x not between a and b`.
    Between(bool),
    /// SQL `x not in y`, `x not like y`.
    NotCall(String),
    /// SQL `x is null`, `x is not null`.
    IsNull(bool),
}

fn binop_prec(op: &str) -> Option<(BinOp, u8)> {
    let b = BinOp::from_symbol(op)?;
    let p = match b {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
        BinOp::BitOr => 4,
        BinOp::BitXor => 5,
        BinOp::BitAnd => 6,
        BinOp::Shl | BinOp::Shr => 7,
        BinOp::Add | BinOp::Sub => 8,
        BinOp::Pair | BinOp::Seq => PREC_PAIR,
        BinOp::At => return None,
        _ => PREC_MUL,
    };
    Some((b, p))
}

/// Words that are operators rather than function names when used infix.
fn is_operator_word(name: &str) -> bool {
    ["and", "or", "in", "like", "ilike"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(name))
}

fn operator_function_prec(name: &str) -> Option<u8> {
    use BinOp::*;
    let all = [
        Or, And, Eq, Ne, Lt, Le, Gt, Ge, BitOr, BitXor, BitAnd, Shl, Shr, Add, Sub, Mul, Div,
        Ratio, Mod, Cast, Join, Pair, Seq,
    ];
    let op = all.into_iter().find(|op| op.function_name() == name)?;
    Some(precedence(op))
}

fn infix_prec(i: &Infix) -> u8 {
    match i {
        Infix::Bin(op, _) => binop_prec(op.symbol()).map(|x| x.1).unwrap_or(PREC_MUL),
        Infix::Call(name) if name.eq_ignore_ascii_case("and") => 2,
        Infix::Call(name) if name.eq_ignore_ascii_case("or") => 1,
        // A built-in that implements an operator keeps the operator's precedence when used
        // infix (`2 add 3 sub 5 f1 5` is `2 + 3 - (5 f1 5)`).
        Infix::Call(name) => operator_function_prec(name).unwrap_or(PREC_MUL),
        Infix::Between(_) | Infix::NotCall(_) | Infix::IsNull(_) => 3,
        _ => PREC_MUL,
    }
}

impl<'a> Parser<'a> {
    /// A full expression, with an optional `as name` alias.
    pub(crate) fn expr(&mut self) -> Result<Expr> {
        self.enter()?;
        let r = self.expr_alias();
        self.leave();
        r
    }

    fn expr_alias(&mut self) -> Result<Expr> {
        let e = self.binary(PREC_MIN)?;
        if self.is_kw("as") && !self.ends_here() {
            self.advance();
            let name = match &self.tok().tok {
                Tok::Ident(s) => s.clone(),
                Tok::Sym(v) if v.len() == 1 => v[0].clone(),
                // `as `a`b`c`: one name per result column of a vector-valued item (SQL); the
                // names are kept joined by backticks, which no single name contains.
                Tok::Sym(v) if v.len() > 1 => v.join("`"),
                Tok::Lit(v) if v.as_str().is_some() => v.as_str().unwrap_or("").to_string(),
                _ => return Err(self.error("Expecting a name after 'as'")),
            };
            self.advance();
            return Ok(Expr::Alias(Box::new(e), name));
        }
        Ok(e)
    }

    /// A newline before the current token ends the expression here.
    fn ends_here(&self) -> bool {
        self.newline_ends && self.tok().newline_before
    }

    /// Comma-separated expressions up to `close`, which is consumed. A trailing comma is allowed.
    pub(crate) fn expr_list(&mut self, close: &str) -> Result<Vec<Expr>> {
        let mut out = Vec::new();
        if self.eat_op(close) {
            return Ok(out);
        }
        loop {
            out.push(self.argument(close == ")")?);
            if self.eat_op(close) {
                return Ok(out);
            }
            self.expect_op(",")?;
            if self.eat_op(close) {
                return Ok(out);
            }
        }
    }

    /// One call argument: `name = value` is a keyword argument, `*` is SQL's star.
    fn argument(&mut self, call: bool) -> Result<Expr> {
        if call {
            // An omitted argument (`f(a,, b)`) takes its default: a VOID null.
            if self.is_op(",") {
                return Ok(Expr::Const(value::Value::void()));
            }
            if let Tok::Ident(name) = &self.tok().tok {
                if self.is_op_at(1, "=") {
                    let name = name.clone();
                    self.advance();
                    self.advance();
                    return Ok(Expr::NamedArg(name, Box::new(self.expr()?)));
                }
            }
            if self.is_op("*") && (self.is_op_at(1, ")") || self.is_op_at(1, ",")) {
                self.advance();
                return Ok(Expr::Star);
            }
        }
        self.expr()
    }

    pub(crate) fn binary(&mut self, min_prec: u8) -> Result<Expr> {
        let mut lhs = self.unary()?;
        while let Some(infix) = self.infix() {
            let prec = infix_prec(&infix);
            if prec < min_prec {
                break;
            }
            lhs = self.apply_infix(infix, lhs, prec)?;
        }
        Ok(lhs)
    }

    fn apply_infix(&mut self, infix: Infix, lhs: Expr, prec: u8) -> Result<Expr> {
        self.enter()?;
        let r = self.apply_infix_inner(infix, lhs, prec);
        self.leave();
        r
    }

    fn apply_infix_inner(&mut self, infix: Infix, lhs: Expr, prec: u8) -> Result<Expr> {
        match infix {
            Infix::Bin(op, width) => {
                for _ in 0..width {
                    self.advance();
                }
                // `x[1:]`: an open-ended pair.
                if op == BinOp::Pair && (self.is_op("]") || self.is_op(",")) {
                    return Ok(Expr::Binary(
                        op,
                        Box::new(lhs),
                        Box::new(Expr::Const(Value::void())),
                    ));
                }
                let rhs = self.binary(prec + 1)?;
                Ok(Expr::Binary(op, Box::new(lhs), Box::new(rhs)))
            }
            Infix::Call(name) => {
                self.advance();
                let rhs = self.binary(prec + 1)?;
                // `a or b` calls the function `or`, which ignores a null side; `a || b` is
                // the operator, null when a side is null and neither is true.
                Ok(if name.eq_ignore_ascii_case("and") {
                    Expr::Binary(BinOp::And, Box::new(lhs), Box::new(rhs))
                } else if name.eq_ignore_ascii_case("or") {
                    Expr::Call(Box::new(Expr::Var("or".to_string())), vec![lhs, rhs])
                } else {
                    Expr::Call(Box::new(Expr::Var(name)), vec![lhs, rhs])
                })
            }
            Infix::Template(func, t, width) => {
                for _ in 0..width {
                    self.advance();
                }
                let rhs = self.binary(prec + 1)?;
                Ok(Expr::Template(t, Box::new(func), vec![lhs, rhs]))
            }
            Infix::Between(negated) => {
                if negated {
                    self.advance();
                }
                self.advance();
                let lo = self.binary(PREC_MUL)?;
                let range = if self.eat_kw("and") {
                    let hi = self.binary(PREC_MUL)?;
                    Expr::Binary(BinOp::Pair, Box::new(lo), Box::new(hi))
                } else {
                    lo
                };
                let call = Expr::Call(Box::new(Expr::Var("between".into())), vec![lhs, range]);
                Ok(negate_if(call, negated))
            }
            Infix::NotCall(name) => {
                self.advance();
                self.advance();
                let rhs = self.binary(PREC_MUL)?;
                let call = Expr::Call(Box::new(Expr::Var(name)), vec![lhs, rhs]);
                Ok(negate_if(call, true))
            }
            Infix::IsNull(negated) => {
                self.advance();
                if negated {
                    self.advance();
                }
                self.advance();
                let f = if negated { "isValid" } else { "isNull" };
                Ok(Expr::Call(Box::new(Expr::Var(f.into())), vec![lhs]))
            }
        }
    }

    /// The infix operator at the current token, if the expression continues.
    fn infix(&self) -> Option<Infix> {
        let t = self.tok();
        if t.newline_before && self.newline_ends && !self.continues_sql_line() {
            return None;
        }
        match &t.tok {
            Tok::Op(op) => self.infix_op(op),
            // In an if/while condition, a name after a `)` starts the body; only the operator
            // words (`and`, `or`, `in`, `between`, ...) continue the condition.
            Tok::Ident(name) if self.in_condition && self.after_close_paren() => {
                match self.infix_word(name) {
                    Some(Infix::Call(_) | Infix::Template(..)) if !is_operator_word(name) => None,
                    other => other,
                }
            }
            Tok::Ident(name) => self.infix_word(name),
            _ => None,
        }
    }

    fn after_close_paren(&self) -> bool {
        self.pos > 0 && matches!(self.toks[self.pos - 1].tok, Tok::Op(")"))
    }

    /// Inside SQL, a line that starts with an operator or `and`/`or` continues the statement.
    fn continues_sql_line(&self) -> bool {
        if !self.in_sql {
            return false;
        }
        match &self.tok().tok {
            Tok::Op(op) => binop_prec(op).is_some() && *op != "-",
            Tok::Ident(w) => ["and", "or"].iter().any(|k| k.eq_ignore_ascii_case(w)),
            _ => false,
        }
    }

    fn infix_op(&self, op: &'static str) -> Option<Infix> {
        if op == "=" {
            if self.assign_lhs {
                return None;
            }
            return Some(Infix::Bin(BinOp::Eq, 1));
        }
        // Inside `< >`, a `>` closes the metacode unless an operand follows on its line.
        if self.in_code
            && (op == ">" || op == ">=")
            && (!self.operand_starts(1) || self.tok_at(1).newline_before)
        {
            return None;
        }
        let (b, _) = binop_prec(op)?;
        if let Tok::Template(l, r) = self.tok_at(1).tok {
            let t = TemplateOp { letter: l, rule: r };
            return Some(Infix::Template(Expr::OpFunc(b), t, 2));
        }
        Some(Infix::Bin(b, 1))
    }

    fn infix_word(&self, name: &str) -> Option<Infix> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "and" | "or" => return Some(Infix::Call(name.to_string())),
            "between" => return Some(Infix::Between(false)),
            "not" => {
                if self.is_kw_at(1, "between") {
                    return Some(Infix::Between(true));
                }
                if self.is_kw_at(1, "in") || self.is_kw_at(1, "like") {
                    let f = self.tok_at(1);
                    if let Tok::Ident(f) = &f.tok {
                        return Some(Infix::NotCall(f.to_ascii_lowercase()));
                    }
                }
                return None;
            }
            "is" if self.in_sql => {
                if self.is_kw_at(1, "null") {
                    return Some(Infix::IsNull(false));
                }
                if self.is_kw_at(1, "not") && self.is_kw_at(2, "null") {
                    return Some(Infix::IsNull(true));
                }
                return None;
            }
            _ => {}
        }
        if is_stop_word(name) || KEYWORDS.contains(&name) {
            return None;
        }
        if let Tok::Template(l, r) = self.tok_at(1).tok {
            let t = TemplateOp { letter: l, rule: r };
            return Some(Infix::Template(Expr::Var(name.to_string()), t, 2));
        }
        if lower == "in" || lower == "like" || lower == "ilike" {
            return Some(Infix::Call(lower));
        }
        if self.operand_starts(1) {
            return Some(Infix::Call(name.to_string()));
        }
        None
    }

    /// The token `k` ahead can start an operand on the same line.
    fn operand_starts(&self, k: usize) -> bool {
        let t = self.tok_at(k);
        if t.newline_before && self.newline_ends {
            return false;
        }
        match &t.tok {
            Tok::Lit(_) | Tok::Sym(_) => true,
            Tok::Ident(w) => !is_stop_word(w) && !KEYWORDS.contains(&w.as_str()) || w == "def",
            Tok::Op("(") | Tok::Op("[") | Tok::Op("!") => true,
            Tok::Op("-") => {
                let n = self.tok_at(k + 1);
                !n.space_before && matches!(n.tok, Tok::Lit(_))
            }
            _ => false,
        }
    }

    pub(crate) fn unary(&mut self) -> Result<Expr> {
        self.enter()?;
        let r = self.unary_inner();
        self.leave();
        r
    }

    fn unary_inner(&mut self) -> Result<Expr> {
        let t = self.tok().clone();
        if let Tok::Op(op) = &t.tok {
            // An operator alone as an argument is the function: `reduce(+, x)`, `eachPre(-, x)`.
            if self.is_op_at(1, ")") || self.is_op_at(1, ",") {
                if let Some((b, _)) = binop_prec(op) {
                    self.advance();
                    return Ok(Expr::OpFunc(b));
                }
            }
        }
        match &t.tok {
            Tok::Op("-") => {
                let next = self.tok_at(1);
                if !next.space_before && matches!(next.tok, Tok::Lit(_)) {
                    return self.postfix_of_literal();
                }
                self.advance();
                let e = self.unary()?;
                Ok(fold_neg(e))
            }
            Tok::Op("!") => {
                self.advance();
                let e = self.unary()?;
                Ok(Expr::Unary(UnOp::Not, Box::new(e)))
            }
            Tok::Op("<") => {
                self.advance();
                let saved = (
                    self.in_code,
                    self.newline_ends,
                    self.assign_lhs,
                    self.no_brace,
                );
                self.in_code = true;
                self.newline_ends = false;
                self.assign_lhs = false;
                self.no_brace = false;
                let e = self.expr();
                (
                    self.in_code,
                    self.newline_ends,
                    self.assign_lhs,
                    self.no_brace,
                ) = saved;
                let e = e?;
                self.expect_op(">")?;
                Ok(Expr::Code(Box::new(e)))
            }
            Tok::Op(op) if matches!(self.tok_at(1).tok, Tok::Template(..)) => {
                let Some((b, _)) = binop_prec(op) else {
                    return Err(self.unexpected());
                };
                self.advance();
                let func = Expr::OpFunc(b);
                self.postfix(func)
            }
            _ => {
                let p = self.primary()?;
                self.postfix(p)
            }
        }
    }

    fn postfix_of_literal(&mut self) -> Result<Expr> {
        let p = self.literal_vector()?;
        self.postfix(p)
    }

    fn postfix(&mut self, mut e: Expr) -> Result<Expr> {
        loop {
            let t = self.tok().clone();
            let broken_line = t.newline_before && self.newline_ends;
            match &t.tok {
                Tok::Op("(") if !broken_line && (!t.space_before || self.is_function_expr(&e)) => {
                    self.advance();
                    let args = self.bracketed(|p| p.expr_list(")"))?;
                    e = Expr::Call(Box::new(e), args);
                }
                Tok::Op("[") if !t.space_before => {
                    self.advance();
                    let idx = self.bracketed(|p| p.index_list())?;
                    e = Expr::Index(Box::new(e), idx);
                }
                Tok::Op("{") if !self.no_brace && !broken_line => {
                    self.advance();
                    let args = self.bracketed(|p| p.partial_args())?;
                    e = Expr::Partial(Box::new(e), args);
                }
                Tok::Op(".") if !broken_line && matches!(self.tok_at(1).tok, Tok::Ident(_)) => {
                    self.advance();
                    let name = self.ident()?;
                    if self.is_op("(") && !self.tok().space_before {
                        self.advance();
                        let args = self.bracketed(|p| p.expr_list(")"))?;
                        e = Expr::Method(Box::new(e), name, args);
                    } else {
                        e = Expr::Member(Box::new(e), name);
                    }
                }
                Tok::Template(l, r) if !broken_line => {
                    let op = TemplateOp {
                        letter: *l,
                        rule: *r,
                    };
                    self.advance();
                    if self.is_op("(") && !self.tok().space_before {
                        self.advance();
                        let args = self.bracketed(|p| p.expr_list(")"))?;
                        e = Expr::Template(op, Box::new(e), args);
                    } else if self.operand_starts(0) || self.is_op("<") {
                        let arg = self.binary(PREC_MIN)?;
                        return Ok(Expr::Template(op, Box::new(e), vec![arg]));
                    } else {
                        e = Expr::TemplateFunc(op, Box::new(e));
                    }
                }
                _ => return Ok(e),
            }
        }
    }

    fn is_function_expr(&self, e: &Expr) -> bool {
        match e {
            Expr::Var(n) => self.name_is_function(n),
            Expr::Partial(..) | Expr::Lambda(_) | Expr::TemplateFunc(..) => true,
            _ => false,
        }
    }

    /// `x[i]`, `x[i, j]`, `x[1:3]`, `x[:3]`, `x[2:]`.
    fn index_list(&mut self) -> Result<Vec<Expr>> {
        let mut out = Vec::new();
        if self.eat_op("]") {
            return Ok(out);
        }
        loop {
            if self.is_op(":") {
                self.advance();
                let hi = if self.is_op("]") || self.is_op(",") {
                    Expr::Const(Value::void())
                } else {
                    self.binary(PREC_PAIR + 1)?
                };
                out.push(Expr::Binary(
                    BinOp::Pair,
                    Box::new(Expr::Const(Value::void())),
                    Box::new(hi),
                ));
            } else if self.is_op(",") {
                out.push(Expr::Const(Value::void()));
            } else {
                out.push(self.expr()?);
            }
            if self.eat_op("]") {
                return Ok(out);
            }
            self.expect_op(",")?;
        }
    }

    /// `f{a, }`, `f{, b}`, `f{0}`: the arguments of a partial application.
    fn partial_args(&mut self) -> Result<Vec<Option<Expr>>> {
        let mut out = Vec::new();
        if self.eat_op("}") {
            return Ok(out);
        }
        loop {
            if self.is_op(",") || self.is_op("}") {
                out.push(None);
            } else {
                out.push(Some(self.expr()?));
            }
            if self.eat_op("}") {
                return Ok(out);
            }
            self.expect_op(",")?;
        }
    }

    fn primary(&mut self) -> Result<Expr> {
        let t = self.tok().clone();
        match &t.tok {
            Tok::Lit(_) | Tok::Sym(_) => self.literal_vector(),
            Tok::Op("(") => self.paren(),
            Tok::Op("[") => {
                self.advance();
                let items = self.bracketed(|p| p.expr_list("]"))?;
                Ok(fold_vector(items))
            }
            Tok::Op("{") => {
                self.advance();
                self.bracketed(|p| p.dict_literal())
            }
            Tok::Op(op) if self.is_op_at(1, ")") || self.is_op_at(1, ",") => match binop_prec(op) {
                Some((b, _)) => {
                    self.advance();
                    Ok(Expr::OpFunc(b))
                }
                None => Err(self.unexpected()),
            },
            Tok::Ident(name) => self.name_primary(name.clone()),
            _ => Err(self.unexpected()),
        }
    }

    fn name_primary(&mut self, name: String) -> Result<Expr> {
        if name == "def" {
            self.advance();
            let named = matches!(self.tok().tok, Tok::Ident(_));
            let f = self.function_def(named)?;
            return Ok(Expr::Lambda(f));
        }
        if name.eq_ignore_ascii_case("select") || name.eq_ignore_ascii_case("exec") {
            return Ok(Expr::Select(Box::new(self.select_stmt()?)));
        }
        if name.eq_ignore_ascii_case("case") && self.is_kw_at(1, "when") {
            return self.case_expr();
        }
        if self.is_op_at(1, "->") {
            self.advance();
            self.advance();
            return self.lambda_body(vec![name]);
        }
        if KEYWORDS.contains(&name.as_str()) {
            return Err(self.unexpected());
        }
        self.advance();
        // A function name followed by an operand is a unary call: `sum x + 1` is `sum(x + 1)`.
        if self.name_is_function(&name) && self.tok().space_before && self.unary_operand_follows() {
            let arg = self.binary(PREC_MIN)?;
            return Ok(Expr::Call(Box::new(Expr::Var(name)), vec![arg]));
        }
        Ok(Expr::Var(name))
    }

    /// After a function name: does an operand follow that it takes as a unary operator? A name
    /// that can itself be a binary function and is followed by an operand is taken as infix
    /// instead (`date between a and b`, `x in y`).
    fn unary_operand_follows(&self) -> bool {
        if self.is_op("[") {
            return !self.ends_here();
        }
        if !self.operand_starts(0) || self.is_op("(") || self.is_op("!") {
            return false;
        }
        if let Tok::Ident(next) = &self.tok().tok {
            let lower = next.to_ascii_lowercase();
            if ["in", "like", "between", "and", "or", "not", "is"].contains(&lower.as_str()) {
                return false;
            }
            if let Some(b) = crate::builtins::lookup(next) {
                if b.min_args <= 2 && b.max_args >= 2 && self.operand_starts(1) {
                    return false;
                }
            }
        }
        true
    }

    fn lambda_body(&mut self, params: Vec<String>) -> Result<Expr> {
        let start = self.tok().start;
        let line = self.line();
        let body = self.expr()?;
        let end = self.toks[self.pos.saturating_sub(1)].end;
        let src = self.src.get(start..end).unwrap_or("");
        let source = format!("{} -> {}", params.join(", "), src);
        Ok(Expr::Lambda(Arc::new(FuncDef {
            name: String::new(),
            params: params
                .into_iter()
                .map(|name| Param {
                    name,
                    mutable: false,
                    default: None,
                })
                .collect(),
            body: vec![Stmt {
                line,
                kind: StmtKind::Return(Some(body)),
            }],
            is_expr: true,
            source,
        })))
    }

    /// `(e)`, `(a, b)`, `()`, `(1,)` and `(x, y) -> e`.
    fn paren(&mut self) -> Result<Expr> {
        if let Some(close) = self.matching_paren(self.pos) {
            let after = close + 1 - self.pos;
            if self.is_op_at(after, "->") && self.lambda_params_between(self.pos + 1, close) {
                self.advance();
                let mut params = Vec::new();
                while !self.eat_op(")") {
                    params.push(self.ident()?);
                    self.eat_op(",");
                }
                self.expect_op("->")?;
                return self.lambda_body(params);
            }
        }
        self.advance();
        self.bracketed(|p| {
            if p.eat_op(")") {
                return Ok(Expr::Tuple(Vec::new()));
            }
            let first = p.expr()?;
            if p.eat_op(")") {
                return Ok(first);
            }
            p.expect_op(",")?;
            let mut items = vec![first];
            if p.eat_op(")") {
                return Ok(Expr::Tuple(items));
            }
            items.extend(p.expr_list(")")?);
            Ok(Expr::Tuple(items))
        })
    }

    fn lambda_params_between(&self, from: usize, to: usize) -> bool {
        self.toks[from..to].iter().enumerate().all(|(i, t)| {
            if i % 2 == 0 {
                matches!(t.tok, Tok::Ident(_))
            } else {
                matches!(t.tok, Tok::Op(","))
            }
        })
    }

    fn dict_literal(&mut self) -> Result<Expr> {
        let mut entries = Vec::new();
        if self.eat_op("}") {
            return Ok(Expr::Dict(entries));
        }
        loop {
            let key = match self.binary(PREC_PAIR + 1)? {
                Expr::Var(name) => Expr::Const(Value::string(name)),
                k => k,
            };
            self.expect_op(":")?;
            let v = self.expr()?;
            entries.push((key, v));
            if self.eat_op("}") {
                return Ok(Expr::Dict(entries));
            }
            self.expect_op(",")?;
        }
    }

    fn case_expr(&mut self) -> Result<Expr> {
        self.advance();
        let mut arms = Vec::new();
        let mut other = None;
        loop {
            if self.eat_kw("when") {
                let c = self.expr()?;
                if !self.eat_kw("then") {
                    return Err(self.error("Expecting 'then' in a case expression"));
                }
                let v = self.expr()?;
                arms.push((c, v));
            } else if self.eat_kw("else") {
                other = Some(Box::new(self.expr()?));
            } else if self.eat_kw("end") {
                return Ok(Expr::Case(arms, other));
            } else {
                return Err(self.error("Expecting 'when', 'else' or 'end' in a case expression"));
            }
        }
    }

    /// Literals separated by spaces form one vector: `1 2 3`, `` `a`b ``, `1.5 NULL 2`.
    fn literal_vector(&mut self) -> Result<Expr> {
        let mut items: Vec<Value> = Vec::new();
        let mut vector_syntax = false;
        loop {
            let t = self.tok().clone();
            if !items.is_empty() && (!t.space_before || self.ends_here()) {
                break;
            }
            match &t.tok {
                Tok::Lit(v) => {
                    items.push(v.clone());
                    self.advance();
                }
                Tok::Sym(names) => {
                    if names.len() > 1 {
                        vector_syntax = true;
                    }
                    items.extend(names.iter().map(|n| Value::string(n.clone())));
                    self.advance();
                }
                Tok::Op("-") => {
                    let next = self.tok_at(1).clone();
                    let neg = match &next.tok {
                        Tok::Lit(v) if !next.space_before => negate_literal(v),
                        _ => None,
                    };
                    match neg {
                        Some(v) => {
                            items.push(v);
                            self.advance();
                            self.advance();
                        }
                        None if items.is_empty() => return Err(self.unexpected()),
                        None => break,
                    }
                }
                _ if items.is_empty() => return Err(self.unexpected()),
                _ => break,
            }
        }
        if items.len() == 1 && !vector_syntax {
            return Ok(Expr::Const(items.pop().unwrap_or_else(Value::void)));
        }
        match vector_from_scalars(&items) {
            Some(v) if v.ty == DataType::String && vector_syntax => {
                let names: Vec<String> = items
                    .iter()
                    .map(|x| x.as_str().unwrap_or("").to_string())
                    .collect();
                Ok(Expr::Const(symbols_value(&names)))
            }
            Some(v) => Ok(Expr::Const(Value::vector(v))),
            None => Ok(Expr::Const(Value::tuple(items))),
        }
    }
}

fn negate_if(e: Expr, negated: bool) -> Expr {
    if negated {
        Expr::Unary(UnOp::Not, Box::new(e))
    } else {
        e
    }
}

/// `-` applied to a constant number folds into the constant (`-127c` stays CHAR).
fn fold_neg(e: Expr) -> Expr {
    if let Expr::Const(v) = &e {
        if let Some(n) = negate_literal(v) {
            return Expr::Const(n);
        }
    }
    Expr::Unary(UnOp::Neg, Box::new(e))
}

/// The negation of a numeric literal scalar, keeping its type; None for anything else.
pub(crate) fn negate_literal(v: &Value) -> Option<Value> {
    let Value::Scalar(s) = v else { return None };
    if s.is_null(0) {
        return None;
    }
    Some(match s.ty {
        DataType::Char => Value::char(-(s.i64_at(0)? as i8)),
        DataType::Short => Value::short(-(s.i64_at(0)? as i16)),
        DataType::Int => Value::int(-(s.i64_at(0)? as i32)),
        DataType::Long => Value::long(-s.i64_at(0)?),
        DataType::Float => Value::float(-(s.f64_at(0)? as f32)),
        DataType::Double => Value::double(-s.f64_at(0)?),
        DataType::Duration => {
            // Raw layout: unit code in the high 32 bits, signed count in the low 32 bits.
            let raw = s.i64_at(0)?;
            let count = (raw as u32 as i32).checked_neg()?;
            Value::i64_of(
                DataType::Duration,
                crate::lexer::duration_raw(count, (raw >> 32) as u32),
            )
        }
        _ => return None,
    })
}

/// `[1, 2, 3]` of constant scalars becomes one constant vector.
fn fold_vector(items: Vec<Expr>) -> Expr {
    let consts: Option<Vec<Value>> = items
        .iter()
        .map(|e| match e {
            Expr::Const(v @ Value::Scalar(_)) => Some(v.clone()),
            _ => None,
        })
        .collect();
    if let Some(vals) = consts {
        if !vals.is_empty() && vals.iter().all(|v| !v.is_void()) {
            if let Some(v) = vector_from_scalars(&vals) {
                return Expr::Const(Value::vector(v));
            }
        }
    }
    Expr::Vector(items)
}
