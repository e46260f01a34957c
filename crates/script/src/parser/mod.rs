//! Parser: tokens to statements.
//!
//! DolphinDB's grammar leans on whitespace and on knowing which names are functions:
//! `sum x + 1` calls `sum` on `x + 1`, `x add y` calls `add(x, y)`, `1 2 3` is a vector, and a
//! newline ends a statement unless a bracket is open. The parser is therefore given an oracle
//! that says whether a name is a function (built-ins, the session's user functions, and every
//! `def` in the script being parsed).
//!
//! Limits: nesting deeper than `NESTING_MAX` is an error, never a stack overflow, and no input
//! makes the parser panic (see the fuzz test below).

mod expr;
mod sql;

use std::collections::HashSet;
use std::sync::Arc;

use crate::ast::*;
use crate::lexer::{tokenize, Tok, Token};
use crate::{Error, Result};

/// Deepest nesting of brackets, blocks and sub-expressions the parser accepts.
pub const NESTING_MAX: u32 = 256;

/// Parses a whole script. `is_function` tells whether a name is a known function.
pub fn parse_program(src: &str, is_function: &dyn Fn(&str) -> bool) -> Result<Program> {
    let mut p = Parser::new(src, is_function)?;
    let stmts = p.statements_until_eof()?;
    Ok(Program { stmts })
}

/// Parses one expression (the `function` request's function name, e.g. `f{0}`).
pub fn parse_expression(src: &str, is_function: &dyn Fn(&str) -> bool) -> Result<Expr> {
    let mut p = Parser::new(src, is_function)?;
    let e = p.expr()?;
    p.skip_semicolons();
    if !p.at_eof() {
        return Err(p.unexpected());
    }
    Ok(e)
}

/// Parses with only the built-in registry as the function oracle.
pub fn parse(src: &str) -> Result<Program> {
    parse_program(src, &|n| crate::builtins::lookup(n).is_some())
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    is_function: &'a dyn Fn(&str) -> bool,
    /// Names given to `def` anywhere in the script: functions from the first line on.
    defined: HashSet<String>,
    /// A newline ends the current expression (false inside `(`, `[` and partial `{}`).
    newline_ends: bool,
    /// Parsing a statement's left side: a top-level `=` is assignment, not equality.
    assign_lhs: bool,
    /// A `{` after an expression is not partial application (conditions of if/while/for).
    no_brace: bool,
    /// Inside a SQL statement: keywords end expressions, newlines before operators continue.
    in_sql: bool,
    /// Inside `< >` metacode: `>` closes unless an expression follows it.
    in_code: bool,
    /// At the top level of an if/while condition: a name right after a `)` starts the body,
    /// it is not a function used as an infix operator (`if (ok) f(x)` is not `f(ok, x)`).
    in_condition: bool,
    depth: u32,
}

/// Words that never start an infix function call (SQL clauses and statement keywords).
const STOP_WORDS: [&str; 34] = [
    "as",
    "else",
    "from",
    "where",
    "group",
    "context",
    "pivot",
    "cgroup",
    "having",
    "order",
    "limit",
    "top",
    "on",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "cross",
    "outer",
    "semi",
    "set",
    "values",
    "into",
    "then",
    "when",
    "end",
    "asc",
    "desc",
    "csort",
    "by",
    "map",
    "catch",
    "partitioned",
];

/// Statement keywords: never variables, never unary-call operands.
const KEYWORDS: [&str; 17] = [
    "def", "if", "else", "for", "while", "do", "try", "catch", "throw", "return", "break",
    "continue", "print", "share", "undef", "go", "timer",
];

pub(crate) fn is_stop_word(s: &str) -> bool {
    STOP_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, is_function: &'a dyn Fn(&str) -> bool) -> Result<Parser<'a>> {
        let toks = tokenize(src)?;
        let mut defined = HashSet::new();
        for w in toks.windows(2) {
            if let (Tok::Ident(d), Tok::Ident(name)) = (&w[0].tok, &w[1].tok) {
                if d == "def" {
                    defined.insert(name.clone());
                }
            }
        }
        Ok(Parser {
            src,
            toks,
            pos: 0,
            is_function,
            defined,
            newline_ends: true,
            assign_lhs: false,
            no_brace: false,
            in_sql: false,
            in_code: false,
            in_condition: false,
            depth: 0,
        })
    }

    // ---- token helpers ----

    fn tok(&self) -> &Token {
        let i = self.pos.min(self.toks.len() - 1);
        &self.toks[i]
    }

    fn tok_at(&self, k: usize) -> &Token {
        let i = (self.pos + k).min(self.toks.len() - 1);
        &self.toks[i]
    }

    fn advance(&mut self) -> Token {
        let t = self.tok().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn at_eof(&self) -> bool {
        matches!(self.tok().tok, Tok::Eof)
    }

    fn line(&self) -> u32 {
        self.tok().line
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.tok().tok, Tok::Op(o) if o == op)
    }

    fn is_op_at(&self, k: usize, op: &str) -> bool {
        matches!(self.tok_at(k).tok, Tok::Op(o) if o == op)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.error(&format!(
                "Expecting '{}' but got {}",
                op,
                self.describe_tok()
            )))
        }
    }

    /// The current token is the identifier `word` (exact case).
    fn is_word(&self, word: &str) -> bool {
        matches!(&self.tok().tok, Tok::Ident(s) if s == word)
    }

    /// The current token is the keyword `word`, any case (SQL keywords).
    fn is_kw(&self, word: &str) -> bool {
        self.is_kw_at(0, word)
    }

    fn is_kw_at(&self, k: usize, word: &str) -> bool {
        matches!(&self.tok_at(k).tok, Tok::Ident(s) if s.eq_ignore_ascii_case(word))
    }

    fn eat_kw(&mut self, word: &str) -> bool {
        if self.is_kw(word) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Result<String> {
        match &self.tok().tok {
            Tok::Ident(s) => {
                let s = s.clone();
                self.advance();
                Ok(s)
            }
            _ => Err(self.error(&format!("Expecting a name but got {}", self.describe_tok()))),
        }
    }

    fn describe_tok(&self) -> String {
        let t = self.tok();
        match &t.tok {
            Tok::Eof => "the end of the script".to_string(),
            _ => format!("'{}'", &self.src[t.start..t.end]),
        }
    }

    pub(crate) fn error(&self, msg: &str) -> Error {
        Error::new(format!("Syntax Error: [line #{}] {}", self.line(), msg))
    }

    fn unexpected(&self) -> Error {
        let t = self.tok();
        match &t.tok {
            Tok::Eof => self.error("Unexpected end of the script"),
            _ => self.error(&format!(
                "Cannot recognize the token {}",
                &self.src[t.start..t.end]
            )),
        }
    }

    /// Enters one nesting level; errors past `NESTING_MAX`.
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > NESTING_MAX {
            return Err(self.error(&format!(
                "The script is nested too deeply (more than {} levels)",
                NESTING_MAX
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Runs `f` with the bracket context: newlines do not end expressions, `=` is equality,
    /// `{` is partial application again.
    fn bracketed<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let saved = (
            self.in_condition,
            self.newline_ends,
            self.assign_lhs,
            self.no_brace,
            self.in_code,
        );
        self.in_condition = false;
        self.newline_ends = false;
        self.assign_lhs = false;
        self.no_brace = false;
        self.in_code = false;
        self.enter()?;
        let r = f(self);
        self.leave();
        (
            self.in_condition,
            self.newline_ends,
            self.assign_lhs,
            self.no_brace,
            self.in_code,
        ) = saved;
        r
    }

    /// Runs `f` in a statement context (a block or function body inside an expression).
    fn statement_context<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let saved = (
            self.in_condition,
            self.newline_ends,
            self.assign_lhs,
            self.no_brace,
            self.in_sql,
            self.in_code,
        );
        self.in_condition = false;
        self.newline_ends = true;
        self.assign_lhs = false;
        self.no_brace = false;
        self.in_sql = false;
        self.in_code = false;
        self.enter()?;
        let r = f(self);
        self.leave();
        (
            self.in_condition,
            self.newline_ends,
            self.assign_lhs,
            self.no_brace,
            self.in_sql,
            self.in_code,
        ) = saved;
        r
    }

    pub(crate) fn name_is_function(&self, name: &str) -> bool {
        self.defined.contains(name) || (self.is_function)(name)
    }

    // ---- statements ----

    fn skip_semicolons(&mut self) {
        while self.eat_op(";") {}
    }

    fn statements_until_eof(&mut self) -> Result<Vec<Stmt>> {
        let mut out = Vec::new();
        loop {
            self.skip_semicolons();
            if self.at_eof() {
                return Ok(out);
            }
            out.push(self.statement()?);
            self.end_of_statement()?;
        }
    }

    /// After a statement: `;`, a newline, `}` or the end must follow.
    fn end_of_statement(&mut self) -> Result<()> {
        if self.eat_op(";") || self.at_eof() || self.is_op("}") || self.tok().newline_before {
            return Ok(());
        }
        // `if (x) {...} y = 1`: a closing brace also ends a statement.
        if self.pos > 0 && matches!(self.toks[self.pos - 1].tok, Tok::Op("}")) {
            return Ok(());
        }
        Err(self.unexpected())
    }

    fn block_statements(&mut self) -> Result<Vec<Stmt>> {
        self.statement_context(|p| {
            let mut out = Vec::new();
            loop {
                p.skip_semicolons();
                if p.eat_op("}") {
                    return Ok(out);
                }
                if p.at_eof() {
                    return Err(p.error("The block is not closed: expecting '}'"));
                }
                out.push(p.statement()?);
                p.end_of_statement()?;
            }
        })
    }

    /// A statement, or a `{ ... }` block.
    fn body(&mut self) -> Result<Stmt> {
        self.skip_newline_semicolons();
        let line = self.line();
        if self.eat_op("{") {
            let stmts = self.block_statements()?;
            return Ok(Stmt {
                line,
                kind: StmtKind::Block(stmts),
            });
        }
        self.statement_context(|p| p.statement())
    }

    fn skip_newline_semicolons(&mut self) {
        // `if (x)\n{` and `else;` are fine; nothing to do for newlines (the lexer records them).
    }

    pub(crate) fn statement(&mut self) -> Result<Stmt> {
        self.enter()?;
        let line = self.line();
        let r = self.statement_kind().map(|kind| Stmt { line, kind });
        self.leave();
        r
    }

    fn statement_kind(&mut self) -> Result<StmtKind> {
        if self.is_op("{") {
            self.advance();
            return Ok(StmtKind::Block(self.block_statements()?));
        }
        if self.is_op("@") && matches!(self.tok_at(1).tok, Tok::Ident(_)) {
            // Annotations such as `@state` or `@jit` before a definition are ignored.
            self.advance();
            self.advance();
            if self.is_op("(") && !self.tok().space_before {
                self.advance();
                self.bracketed(|p| p.expr_list(")"))?;
            }
            self.skip_semicolons();
            return self.statement_kind();
        }
        let word = match &self.tok().tok {
            Tok::Ident(w) => w.clone(),
            _ => return self.expression_statement(),
        };
        match word.as_str() {
            "def" if matches!(self.tok_at(1).tok, Tok::Ident(_)) => {
                self.advance();
                let f = self.function_def(true)?;
                return Ok(StmtKind::Def(f));
            }
            "if" => return self.if_statement(),
            "for" => return self.for_statement(),
            "while" => {
                self.advance();
                let cond = self.condition()?;
                let body = self.body()?;
                return Ok(StmtKind::While(cond, Box::new(body)));
            }
            "do" => {
                self.advance();
                let body = self.body()?;
                if !self.is_word("while") {
                    return Err(self.error("Expecting 'while' after the body of 'do'"));
                }
                self.advance();
                let cond = self.condition()?;
                return Ok(StmtKind::DoWhile(Box::new(body), cond));
            }
            "try" => return self.try_statement(),
            "throw" => {
                self.advance();
                return Ok(StmtKind::Throw(self.expr()?));
            }
            "break" => {
                self.advance();
                return Ok(StmtKind::Break);
            }
            "continue" => {
                self.advance();
                return Ok(StmtKind::Continue);
            }
            "return" => {
                self.advance();
                if self.statement_ended() {
                    return Ok(StmtKind::Return(None));
                }
                return Ok(StmtKind::Return(Some(self.expr()?)));
            }
            "print" if !self.is_op_at(1, "=") => {
                self.advance();
                return Ok(StmtKind::Print(self.command_args()?));
            }
            "share" if !self.is_op_at(1, "=") => return self.share_statement(),
            "undef" if !self.is_op_at(1, "=") => return self.undef_statement(),
            "go" if self.statement_ended_at(1) => {
                self.advance();
                return Ok(StmtKind::Go);
            }
            "timer" if !self.is_op_at(1, "=") => {
                self.advance();
                let mut count = None;
                if self.is_op("(") {
                    self.advance();
                    count = Some(self.bracketed(|p| p.expr())?);
                    self.expect_op(")")?;
                }
                let body = self.body()?;
                return Ok(StmtKind::Timer(count, Box::new(body)));
            }
            "module" | "use" if matches!(self.tok_at(1).tok, Tok::Ident(_)) => {
                self.advance();
                while !self.statement_ended() {
                    self.advance();
                }
                return Ok(StmtKind::Nop);
            }
            _ => {}
        }
        if let Some(kind) = self.sql_statement()? {
            return Ok(kind);
        }
        self.expression_statement()
    }

    fn statement_ended(&self) -> bool {
        self.statement_ended_at(0)
    }

    fn statement_ended_at(&self, k: usize) -> bool {
        let t = self.tok_at(k);
        matches!(t.tok, Tok::Eof | Tok::Op(";") | Tok::Op("}")) || t.newline_before
    }

    /// Arguments of `print`/`share`/`undef` written either as `cmd(a, b)` or `cmd a, b`.
    fn command_args(&mut self) -> Result<Vec<Expr>> {
        if self.statement_ended() {
            return Ok(Vec::new());
        }
        if self.is_op("(") {
            let close = self.matching_paren(self.pos);
            if let Some(close) = close {
                if self.statement_ended_at(close + 1 - self.pos) {
                    self.advance();
                    let args = self.bracketed(|p| p.expr_list(")"))?;
                    return Ok(args);
                }
            }
        }
        let mut args = vec![self.expr()?];
        while self.eat_op(",") {
            args.push(self.expr()?);
        }
        Ok(args)
    }

    /// Index of the `)` that closes the `(` at token index `open`.
    fn matching_paren(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, t) in self.toks.iter().enumerate().skip(open) {
            match t.tok {
                Tok::Op("(") | Tok::Op("[") | Tok::Op("{") => depth += 1,
                Tok::Op(")") | Tok::Op("]") | Tok::Op("}") => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                Tok::Eof => return None,
                _ => {}
            }
        }
        None
    }

    fn share_statement(&mut self) -> Result<StmtKind> {
        self.advance();
        let mut args = self.command_args()?;
        if args.len() == 1 {
            if let Some(Expr::Alias(e, name)) = args.pop() {
                return Ok(StmtKind::Share(*e, Expr::Const(value::Value::string(name))));
            }
            return Err(self.error("Usage: share table as sharedName"));
        }
        if args.len() != 2 {
            return Err(self.error("Usage: share table as sharedName"));
        }
        let name = args.pop().unwrap_or(Expr::Star);
        let obj = args.pop().unwrap_or(Expr::Star);
        Ok(StmtKind::Share(obj, name))
    }

    fn undef_statement(&mut self) -> Result<StmtKind> {
        self.advance();
        let mut args = self.command_args()?;
        // `undef x` and `undef all` name the object directly.
        if let Some(Expr::Var(name)) = args.first() {
            args[0] = Expr::Const(value::Value::string(name.clone()));
        }
        Ok(StmtKind::Undef(args))
    }

    /// `( expr )` of if/while: any expression, with `{` left for the body. DolphinDB requires
    /// the parentheses, and the body may be a plain call: `if (existsDatabase(p))
    /// dropDatabase(p)` must not read as `(cond) dropDatabase (p)`, an infix call.
    fn condition(&mut self) -> Result<Expr> {
        let saved = (self.no_brace, self.in_condition);
        self.no_brace = true;
        self.in_condition = true;
        let r = self.expr();
        (self.no_brace, self.in_condition) = saved;
        r
    }

    fn if_statement(&mut self) -> Result<StmtKind> {
        self.advance();
        let cond = self.condition()?;
        let then = self.body()?;
        // `else` may follow on the next line, after a `;`, or after the closing brace.
        let save = self.pos;
        self.skip_semicolons();
        if self.is_word("else") {
            self.advance();
            let els = self.body()?;
            return Ok(StmtKind::If(cond, Box::new(then), Some(Box::new(els))));
        }
        self.pos = save;
        Ok(StmtKind::If(cond, Box::new(then), None))
    }

    fn for_statement(&mut self) -> Result<StmtKind> {
        self.advance();
        self.expect_op("(")?;
        // for (x in e), for (k, v in e)
        let mut k = 0;
        let mut names_ok = true;
        loop {
            if !matches!(self.tok_at(k).tok, Tok::Ident(_)) {
                names_ok = false;
                break;
            }
            if self.is_kw_at(k + 1, "in") {
                break;
            }
            if !self.is_op_at(k + 1, ",") {
                names_ok = false;
                break;
            }
            k += 2;
        }
        if names_ok {
            let mut names = Vec::new();
            loop {
                names.push(self.ident()?);
                if self.eat_kw("in") {
                    break;
                }
                self.expect_op(",")?;
            }
            let iter = self.bracketed(|p| p.expr())?;
            self.expect_op(")")?;
            let body = self.body()?;
            return Ok(StmtKind::ForIn(names, iter, Box::new(body)));
        }
        let (init, cond, step) = self.bracketed(|p| {
            let init = if p.is_op(";") {
                None
            } else {
                Some(Box::new(p.simple_statement()?))
            };
            p.expect_op(";")?;
            let cond = if p.is_op(";") { None } else { Some(p.expr()?) };
            p.expect_op(";")?;
            let step = if p.is_op(")") {
                None
            } else {
                Some(Box::new(p.simple_statement()?))
            };
            Ok((init, cond, step))
        })?;
        self.expect_op(")")?;
        let body = self.body()?;
        Ok(StmtKind::For(init, cond, step, Box::new(body)))
    }

    /// An assignment or expression statement inside `for (...;...;...)`.
    fn simple_statement(&mut self) -> Result<Stmt> {
        let line = self.line();
        let kind = self.expression_statement()?;
        Ok(Stmt { line, kind })
    }

    fn try_statement(&mut self) -> Result<StmtKind> {
        self.advance();
        let body = self.body()?;
        self.skip_semicolons();
        if !self.is_word("catch") {
            return Err(self.error("Expecting 'catch' after the body of 'try'"));
        }
        self.advance();
        let mut var = None;
        if self.eat_op("(") {
            if !self.is_op(")") {
                var = Some(self.ident()?);
            }
            self.expect_op(")")?;
        }
        let handler = self.body()?;
        Ok(StmtKind::Try(Box::new(body), var, Box::new(handler)))
    }

    /// `def name(params) {...}` / `def name(params): expr` (after `def`).
    fn function_def(&mut self, named: bool) -> Result<Arc<FuncDef>> {
        let start = self.toks[self.pos.saturating_sub(1)].start;
        let name = if named { self.ident()? } else { String::new() };
        self.expect_op("(")?;
        let params = self.bracketed(|p| p.params())?;
        let (body, is_expr) = if self.eat_op(":") || self.eat_op("->") {
            let line = self.line();
            let e = self.statement_context(|p| p.expr())?;
            (
                vec![Stmt {
                    line,
                    kind: StmtKind::Return(Some(e)),
                }],
                true,
            )
        } else if self.eat_op("{") {
            (self.block_statements()?, false)
        } else {
            return Err(self.error(&format!(
                "Expecting the body of function {} but got {}",
                name,
                self.describe_tok()
            )));
        };
        let end = self.toks[self.pos.saturating_sub(1)].end;
        Ok(Arc::new(FuncDef {
            name,
            params,
            body,
            is_expr,
            source: self.src.get(start..end).unwrap_or("").to_string(),
        }))
    }

    /// Parameter list up to and including `)`.
    fn params(&mut self) -> Result<Vec<Param>> {
        let mut out = Vec::new();
        if self.eat_op(")") {
            return Ok(out);
        }
        loop {
            let mut mutable = false;
            if (self.is_word("mutable") || self.is_word("const"))
                && matches!(self.tok_at(1).tok, Tok::Ident(_))
            {
                mutable = self.is_word("mutable");
                self.advance();
            }
            let name = self.ident()?;
            let default = if self.eat_op("=") {
                Some(self.expr()?)
            } else {
                None
            };
            out.push(Param {
                name,
                mutable,
                default,
            });
            if self.eat_op(")") {
                return Ok(out);
            }
            self.expect_op(",")?;
        }
    }

    /// An expression statement, an assignment (`x = e`, `a, b = e1, e2`, `x[i] = e`), or an
    /// operator assignment (`x += e`, `i++`).
    fn expression_statement(&mut self) -> Result<StmtKind> {
        let saved = self.assign_lhs;
        self.assign_lhs = true;
        let first = self.expr();
        self.assign_lhs = saved;
        let first = first?;
        let mut lhs = vec![first];
        if self.is_op(",") && !self.tok().newline_before {
            while self.eat_op(",") {
                self.assign_lhs = true;
                let e = self.expr();
                self.assign_lhs = saved;
                lhs.push(e?);
            }
            if !self.is_op("=") {
                // `a, b` without `=` is a tuple.
                return Ok(StmtKind::Expr(Expr::Tuple(lhs)));
            }
        }
        if self.eat_op("=") {
            let targets = lhs
                .into_iter()
                .map(|e| self.target(e))
                .collect::<Result<Vec<_>>>()?;
            let mut values = vec![self.expr()?];
            while self.eat_op(",") {
                values.push(self.expr()?);
            }
            return Ok(StmtKind::Assign(targets, values));
        }
        let op = match &self.tok().tok {
            Tok::Op(o) if !self.tok().newline_before => *o,
            _ => "",
        };
        let compound = match op {
            "+=" => Some(BinOp::Add),
            "-=" => Some(BinOp::Sub),
            "*=" => Some(BinOp::Mul),
            "/=" => Some(BinOp::Div),
            "%=" => Some(BinOp::Mod),
            "<<=" => Some(BinOp::Shl),
            ">>=" => Some(BinOp::Shr),
            _ => None,
        };
        if let Some(bin) = compound {
            self.advance();
            let target = self.target(lhs.remove(0))?;
            return Ok(StmtKind::OpAssign(target, bin, self.expr()?));
        }
        if op == "++" || op == "--" {
            self.advance();
            let target = self.target(lhs.remove(0))?;
            let bin = if op == "++" { BinOp::Add } else { BinOp::Sub };
            return Ok(StmtKind::OpAssign(
                target,
                bin,
                Expr::Const(value::Value::int(1)),
            ));
        }
        Ok(StmtKind::Expr(lhs.remove(0)))
    }

    fn target(&self, e: Expr) -> Result<Target> {
        match e {
            Expr::Var(n) => Ok(Target::Var(n)),
            Expr::Index(obj, idx) => Ok(Target::Index(obj, idx)),
            Expr::Member(obj, name) => Ok(Target::Member(obj, name)),
            _ => Err(self.error("The left side of an assignment must be a variable")),
        }
    }
}

#[cfg(test)]
mod tests;
