//! SQL statements: `select`/`exec` (an expression), `update`, `delete`, `insert into`,
//! `create`, `drop`. Keywords are case-insensitive; clauses may span lines.

use super::Parser;
use crate::ast::*;
use crate::lexer::Tok;
use crate::Result;

impl<'a> Parser<'a> {
    /// Runs `f` in SQL context: keywords end expressions, `=` is equality. Inside metacode
    /// (`<select * from t>`) a `>` with no operand after it still closes the metacode.
    fn sql_context<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let saved = (self.in_sql, self.assign_lhs, self.no_brace, self.in_code);
        self.in_sql = true;
        self.assign_lhs = false;
        self.no_brace = false;
        self.enter()?;
        let r = f(self);
        self.leave();
        (self.in_sql, self.assign_lhs, self.no_brace, self.in_code) = saved;
        r
    }

    /// `select ...` / `exec ...`, at the `select` keyword.
    pub(crate) fn select_stmt(&mut self) -> Result<SelectStmt> {
        let kw = self.ident()?;
        let exec = kw.eq_ignore_ascii_case("exec");
        self.sql_context(|p| p.select_body(exec))
    }

    fn select_body(&mut self, exec: bool) -> Result<SelectStmt> {
        let mut s = SelectStmt {
            exec,
            distinct: false,
            top: None,
            items: Vec::new(),
            from: None,
            where_: Vec::new(),
            group: Vec::new(),
            group_kind: None,
            cgroup: Vec::new(),
            having: Vec::new(),
            order: Vec::new(),
            csort: Vec::new(),
            limit: None,
            map: false,
        };
        if self.eat_kw("distinct") {
            s.distinct = true;
        }
        if self.eat_kw("top") {
            s.top = Some(self.top_expr()?);
        }
        s.items = self.select_items()?;
        loop {
            if self.eat_kw("from") {
                s.from = Some(self.parse_from()?);
            } else if self.eat_kw("where") {
                s.where_ = self.condition_list()?;
            } else if let Some(kind) = self.group_keyword() {
                if kind == GroupKind::CGroupBy {
                    s.cgroup = self.item_list()?;
                } else {
                    s.group = self.item_list()?;
                }
                if s.group_kind != Some(GroupKind::CGroupBy) {
                    s.group_kind = Some(kind);
                }
            } else if self.eat_kw("having") {
                s.having = self.condition_list()?;
            } else if self.is_kw("order") && self.is_kw_at(1, "by") {
                self.advance();
                self.advance();
                s.order = self.order_items()?;
            } else if self.eat_kw("csort") {
                s.csort = self.order_items()?;
            } else if self.eat_kw("limit") {
                let a = self.binary(1)?;
                s.limit = Some(if self.eat_op(",") {
                    (Some(a), self.binary(1)?)
                } else {
                    (None, a)
                });
            } else if self.eat_kw("map") {
                s.map = true;
            } else {
                return Ok(s);
            }
        }
    }

    fn top_expr(&mut self) -> Result<Expr> {
        let a = self.unary()?;
        if self.eat_op(":") {
            let b = self.unary()?;
            return Ok(Expr::Binary(BinOp::Pair, Box::new(a), Box::new(b)));
        }
        Ok(a)
    }

    fn group_keyword(&mut self) -> Option<GroupKind> {
        let kind = if self.is_kw("group") {
            GroupKind::GroupBy
        } else if self.is_kw("context") {
            GroupKind::ContextBy
        } else if self.is_kw("pivot") {
            GroupKind::PivotBy
        } else if self.is_kw("cgroup") {
            GroupKind::CGroupBy
        } else {
            return None;
        };
        if !self.is_kw_at(1, "by") {
            return None;
        }
        self.advance();
        self.advance();
        Some(kind)
    }

    fn select_items(&mut self) -> Result<Vec<SelectItem>> {
        let mut items = Vec::new();
        loop {
            if self.is_op("*") {
                self.advance();
                items.push(SelectItem {
                    expr: Expr::Star,
                    alias: None,
                });
            } else {
                items.push(split_alias(self.expr()?));
            }
            if !self.eat_op(",") {
                return Ok(items);
            }
        }
    }

    fn item_list(&mut self) -> Result<Vec<SelectItem>> {
        let mut items = vec![split_alias(self.expr()?)];
        while self.eat_op(",") {
            items.push(split_alias(self.expr()?));
        }
        Ok(items)
    }

    fn condition_list(&mut self) -> Result<Vec<Expr>> {
        let mut items = vec![self.expr()?];
        while self.eat_op(",") {
            items.push(self.expr()?);
        }
        Ok(items)
    }

    fn order_items(&mut self) -> Result<Vec<OrderItem>> {
        let mut items = Vec::new();
        loop {
            let expr = self.binary(1)?;
            let mut asc = true;
            if self.eat_kw("desc") {
                asc = false;
            } else {
                self.eat_kw("asc");
            }
            let mut nulls_first = None;
            if self.is_kw("nulls") && (self.is_kw_at(1, "first") || self.is_kw_at(1, "last")) {
                self.advance();
                nulls_first = Some(self.is_kw("first"));
                self.advance();
            }
            items.push(OrderItem {
                expr,
                asc,
                nulls_first,
            });
            if !self.eat_op(",") {
                return Ok(items);
            }
        }
    }

    fn parse_from(&mut self) -> Result<FromClause> {
        let mut left = self.table_ref()?;
        loop {
            let kind = if self.is_kw("join") {
                self.advance();
                JoinKind::Inner
            } else if self.is_kw("inner") && self.is_kw_at(1, "join") {
                self.advance();
                self.advance();
                JoinKind::Inner
            } else if self.is_kw("cross") && self.is_kw_at(1, "join") {
                self.advance();
                self.advance();
                JoinKind::Cross
            } else if let Some(kind) = self.outer_join_keyword() {
                kind
            } else {
                return Ok(left);
            };
            let right = self.table_ref()?;
            let on = if self.eat_kw("on") {
                Some(self.expr()?)
            } else {
                None
            };
            left = FromClause::Join {
                kind,
                left: Box::new(left),
                right: Box::new(right),
                on,
            };
        }
    }

    /// `left [outer|semi] join`, `right [outer] join`, `full [outer] join`.
    fn outer_join_keyword(&mut self) -> Option<JoinKind> {
        let kind = if self.is_kw("left") {
            JoinKind::Left
        } else if self.is_kw("right") {
            JoinKind::Right
        } else if self.is_kw("full") {
            JoinKind::Full
        } else {
            return None;
        };
        let (kind, width) = if self.is_kw_at(1, "join") {
            (kind, 2)
        } else if self.is_kw_at(1, "outer") && self.is_kw_at(2, "join") {
            (kind, 3)
        } else if kind == JoinKind::Left && self.is_kw_at(1, "semi") && self.is_kw_at(2, "join") {
            (JoinKind::LeftSemi, 3)
        } else {
            return None;
        };
        for _ in 0..width {
            self.advance();
        }
        Some(kind)
    }

    fn table_ref(&mut self) -> Result<FromClause> {
        let e = self.expr()?;
        let (e, mut alias) = match e {
            Expr::Alias(e, name) => (*e, Some(name)),
            e => (e, None),
        };
        if alias.is_none() {
            if let Tok::Ident(name) = &self.tok().tok {
                if !super::is_stop_word(name) && !self.ends_alias_line() {
                    alias = Some(name.clone());
                    self.advance();
                }
            }
        }
        Ok(FromClause::Table(e, alias))
    }

    /// An alias must be on the same line as its table.
    fn ends_alias_line(&self) -> bool {
        self.tok().newline_before
            || [
                "where", "group", "context", "pivot", "order", "limit", "having", "map",
            ]
            .iter()
            .any(|k| self.is_kw(k))
    }

    /// `update`, `delete`, `insert into`, `create`, `drop` at the start of a statement.
    pub(crate) fn sql_statement(&mut self) -> Result<Option<StmtKind>> {
        if self.is_kw("update") && self.is_kw_at(2, "set") {
            self.advance();
            return self.sql_context(|p| p.update_body()).map(Some);
        }
        if self.is_kw("delete") && self.is_kw_at(1, "from") {
            self.advance();
            self.advance();
            return self
                .sql_context(|p| {
                    let table = p.unary()?;
                    let where_ = if p.eat_kw("where") {
                        p.condition_list()?
                    } else {
                        Vec::new()
                    };
                    Ok(StmtKind::Delete(Box::new(DeleteStmt { table, where_ })))
                })
                .map(Some);
        }
        if self.is_kw("insert") && self.is_kw_at(1, "into") {
            self.advance();
            self.advance();
            return self.sql_context(|p| p.insert_body()).map(Some);
        }
        if self.is_kw("create") && self.create_object_at(1) {
            self.advance();
            return self.sql_context(|p| p.create_body()).map(Some);
        }
        if self.is_kw("drop") && (self.is_kw_at(1, "table") || self.is_kw_at(1, "database")) {
            self.advance();
            let object = self.ident()?.to_ascii_lowercase();
            if self.is_kw("if") && self.is_kw_at(1, "exists") {
                self.advance();
                self.advance();
            }
            let names = self.sql_context(|p| p.dotted_names())?;
            return Ok(Some(StmtKind::Drop(Box::new(DropStmt { object, names }))));
        }
        Ok(None)
    }

    fn create_object_at(&self, k: usize) -> bool {
        self.is_kw_at(k, "table") || self.is_kw_at(k, "database")
    }

    fn update_body(&mut self) -> Result<StmtKind> {
        let table = self.unary()?;
        if !self.eat_kw("set") {
            return Err(self.error("Expecting 'set' in an update statement"));
        }
        let mut sets = Vec::new();
        loop {
            let name = self.ident()?;
            self.expect_op("=")?;
            sets.push((name, self.expr()?));
            if !self.eat_op(",") {
                break;
            }
        }
        let mut u = UpdateStmt {
            table,
            sets,
            from: None,
            where_: Vec::new(),
            context_by: Vec::new(),
            having: Vec::new(),
        };
        loop {
            if self.eat_kw("from") {
                u.from = Some(self.parse_from()?);
            } else if self.eat_kw("where") {
                u.where_ = self.condition_list()?;
            } else if self.is_kw("context") && self.is_kw_at(1, "by") {
                self.advance();
                self.advance();
                u.context_by = self.condition_list()?;
            } else if self.eat_kw("having") {
                u.having = self.condition_list()?;
            } else {
                return Ok(StmtKind::Update(Box::new(u)));
            }
        }
    }

    fn insert_body(&mut self) -> Result<StmtKind> {
        let table = match self.tok().tok.clone() {
            Tok::Ident(name) => {
                self.advance();
                Expr::Var(name)
            }
            _ => self.unary()?,
        };
        let mut columns = Vec::new();
        if self.eat_op("(") {
            loop {
                columns.push(self.ident()?);
                if self.eat_op(")") {
                    break;
                }
                self.expect_op(",")?;
            }
        }
        if self.is_kw("select") || self.is_kw("exec") {
            let s = self.select_stmt()?;
            return Ok(StmtKind::Insert(Box::new(InsertStmt {
                table,
                columns,
                values: InsertSource::Select(Box::new(s)),
            })));
        }
        if !self.eat_kw("values") {
            return Err(self.error("Expecting 'values' in an insert statement"));
        }
        let mut rows = Vec::new();
        loop {
            self.expect_op("(")?;
            rows.push(self.bracketed(|p| p.expr_list(")"))?);
            if !self.eat_op(",") {
                break;
            }
        }
        Ok(StmtKind::Insert(Box::new(InsertStmt {
            table,
            columns,
            values: InsertSource::Rows(rows),
        })))
    }

    /// `"dfs://db"."pt"` or `t`.
    fn dotted_names(&mut self) -> Result<Vec<Expr>> {
        let mut names = vec![self.name_or_literal()?];
        while self.eat_op(".") {
            names.push(self.name_or_literal()?);
        }
        Ok(names)
    }

    fn name_or_literal(&mut self) -> Result<Expr> {
        match self.tok().tok.clone() {
            Tok::Ident(name) => {
                self.advance();
                Ok(Expr::Var(name))
            }
            Tok::Lit(v) => {
                self.advance();
                Ok(Expr::Const(v))
            }
            Tok::Sym(v) if v.len() == 1 => {
                self.advance();
                Ok(Expr::Const(value::Value::string(v[0].clone())))
            }
            _ => Err(self.unexpected()),
        }
    }

    fn create_body(&mut self) -> Result<StmtKind> {
        let object = self.ident()?.to_ascii_lowercase();
        let names = self.dotted_names()?;
        let mut columns = Vec::new();
        if self.eat_op("(") {
            loop {
                let name = self.ident()?;
                let ty = self.bracketed(|p| p.unary())?;
                // Column options (`[compress="delta"]`, `comment "x"`) are skipped.
                let mut depth = 0usize;
                while !(depth == 0 && (self.is_op(",") || self.is_op(")"))) && !self.at_eof() {
                    if self.is_op("[") || self.is_op("(") {
                        depth += 1;
                    } else if (self.is_op("]") || self.is_op(")")) && depth > 0 {
                        depth -= 1;
                    }
                    self.advance();
                }
                columns.push((name, ty));
                if self.eat_op(")") {
                    break;
                }
                self.expect_op(",")?;
            }
        }
        let mut partitioned_by = Vec::new();
        let mut options = Vec::new();
        if self.is_kw("partitioned") && self.is_kw_at(1, "by") {
            self.advance();
            self.advance();
            loop {
                match self.expr()? {
                    Expr::Binary(BinOp::Eq, k, v) => match *k {
                        Expr::Var(name) => options.push((name, *v)),
                        k => partitioned_by.push(Expr::Binary(BinOp::Eq, Box::new(k), v)),
                    },
                    e => partitioned_by.push(e),
                }
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        Ok(StmtKind::Create(Box::new(CreateStmt {
            object,
            names,
            columns,
            partitioned_by,
            options,
        })))
    }
}

fn split_alias(e: Expr) -> SelectItem {
    match e {
        Expr::Alias(e, name) => SelectItem {
            expr: *e,
            alias: Some(name),
        },
        expr => SelectItem { expr, alias: None },
    }
}
