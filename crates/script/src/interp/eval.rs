//! Expressions and calls.

use std::collections::HashMap;
use std::sync::Arc;

use value::{DataType, Dict, Value, Vector};

use super::func::{as_code, as_function, Callable, CodeValue, FunctionValue};
use super::{Flow, Frame, Interpreter, CALL_DEPTH_MAX};
use crate::ast::*;
use crate::builtins::signature::signature;
use crate::builtins::{lookup, Builtin};
use crate::literal::vector_from_scalars;
use crate::{Error, Result};

/// Type constants, form constants and other named constants of the language.
pub fn constant(name: &str) -> Option<Value> {
    let form = |f: i32| Some(Value::int(f));
    match name {
        "SCALAR" => return form(0),
        "VECTOR" => return form(1),
        "PAIR" => return form(2),
        "MATRIX" => return form(3),
        "SET" => return form(4),
        "DICT" => return form(5),
        "TABLE" => return form(6),
        "VAR" => return form(0),
        "SHARED" => return form(1),
        "DEF" => return form(2),
        "DFLT" => return Some(Value::void()),
        "pi" => return Some(Value::double(std::f64::consts::PI)),
        // Partition types (helper dfs): DolphinDB's codes, as `schema(db).partitionType`.
        "SEQ" => return form(0),
        "VALUE" => return form(1),
        "RANGE" => return form(2),
        "LIST" => return form(3),
        "COMPO" => return form(4),
        "HASH" => return form(5),
        // keepDuplicates of TSDB tables (helper dfs).
        "ALL" | "LAST" | "FIRST" => return Some(Value::string(name)),
        // isDuplicated(X, keep=NONE).
        "NONE" => return Some(Value::string(name)),
        _ => {}
    }
    if name.chars().any(|c| c.is_ascii_lowercase()) {
        return None;
    }
    // Privilege types of grant/deny/revoke.
    if let Some(v) = crate::builtins::acl::privilege_constant(name) {
        return Some(v);
    }
    let ty = match name {
        "COMPRESSED" => DataType::Compress,
        _ => DataType::from_name(name)?,
    };
    Some(Value::int(ty.code() as i32))
}

impl Interpreter<'_> {
    pub fn eval(&mut self, e: &Expr) -> Result<Value> {
        match e {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Var(name) => self.eval_var(name),
            Expr::Unary(op, a) => {
                let v = self.eval(a)?;
                self.call_builtin_name(op.function_name(), vec![v])
            }
            Expr::Binary(op, a, b) => self.eval_binary(*op, a, b),
            Expr::Call(f, args) => self.eval_call(f, args),
            Expr::Method(obj, name, args) => {
                let mut all = Vec::with_capacity(args.len() + 1);
                all.push((**obj).clone());
                all.extend(args.iter().cloned());
                self.eval_call(&Expr::Var(name.clone()), &all)
            }
            Expr::Partial(f, args) => {
                let fv = self.eval_function(f)?;
                let Some(func) = as_function(&fv).cloned() else {
                    return Err(Error::new("Partial application needs a function"));
                };
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(match a {
                        Some(e) => Some(self.eval(e)?),
                        None => None,
                    });
                }
                Ok(FunctionValue::value(Callable::Partial(
                    Arc::new(func),
                    vals,
                )))
            }
            Expr::Template(t, f, args) => {
                let fv = self.eval_function(f)?;
                let mut vals = vec![fv];
                for a in args {
                    vals.push(self.eval(a)?);
                }
                self.call_builtin_name(t.function_name(), vals)
            }
            Expr::TemplateFunc(t, f) => {
                let fv = self.eval_function(f)?;
                let Some(func) = as_function(&fv).cloned() else {
                    return Err(Error::new("A template needs a function"));
                };
                Ok(FunctionValue::value(Callable::Template(*t, Arc::new(func))))
            }
            Expr::OpFunc(op) => self.builtin_value(op.function_name()),
            Expr::Index(obj, idx) => self.eval_index(obj, idx),
            Expr::Member(obj, name) => {
                let v = self.eval(obj)?;
                super::index::member(&v, name)
            }
            Expr::Vector(items) => {
                let vals = items
                    .iter()
                    .map(|x| self.eval(x))
                    .collect::<Result<Vec<_>>>()?;
                Ok(make_vector(vals))
            }
            Expr::Tuple(items) => {
                let vals = items
                    .iter()
                    .map(|x| self.eval(x))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Value::tuple(vals))
            }
            Expr::Dict(entries) => self.eval_dict(entries),
            Expr::Alias(e, _) => self.eval(e),
            Expr::NamedArg(name, e) => {
                // Outside a call's argument list `name = e` is a comparison.
                let l = self.eval_var(name)?;
                let r = self.eval(e)?;
                self.call_builtin_name("eq", vec![l, r])
            }
            Expr::Lambda(def) => {
                let captured = match self.frames.last() {
                    Some(f) => {
                        let mut all = (*f.captured).clone();
                        all.extend(f.locals.iter().map(|(k, v)| (k.clone(), v.clone())));
                        Arc::new(all)
                    }
                    None => Arc::new(HashMap::new()),
                };
                Ok(FunctionValue::value(Callable::User(def.clone(), captured)))
            }
            Expr::Code(e) => Ok(Value::Object(Arc::new(CodeValue {
                expr: (**e).clone(),
            }))),
            Expr::Select(s) => crate::sql::execute_select(self, s),
            Expr::Case(arms, other) => self.eval_case(arms, other.as_deref()),
            Expr::Star => Err(self.syntax_error("Cannot recognize the token *")),
        }
    }

    fn eval_var(&mut self, name: &str) -> Result<Value> {
        if let Some(v) = self.lookup_var(name) {
            return Ok(v);
        }
        if let Some(v) = self.resolve_function(name) {
            return Ok(v);
        }
        if let Some(v) = constant(name) {
            return Ok(v);
        }
        Err(self.syntax_error(&format!("Cannot recognize the token {}", name)))
    }

    /// A named function as a value: user-defined first, then built-in.
    pub fn resolve_function(&self, name: &str) -> Option<Value> {
        if let Some(def) = self.state.funcs.get(name) {
            return Some(FunctionValue::value(Callable::User(
                def.clone(),
                Arc::new(HashMap::new()),
            )));
        }
        lookup(name).map(FunctionValue::builtin)
    }

    fn builtin_value(&self, name: &str) -> Result<Value> {
        match lookup(name) {
            Some(b) => Ok(FunctionValue::builtin(b)),
            None => Err(Error::new(format!(
                "Can't recognize function name {}",
                name
            ))),
        }
    }

    /// Evaluates an expression in function position: a name is looked up as a function first.
    pub(crate) fn eval_function(&mut self, f: &Expr) -> Result<Value> {
        if let Expr::Var(name) = f {
            if let Some(v) = self.lookup_var(name) {
                if as_function(&v).is_some() {
                    return Ok(v);
                }
            }
            return match self.resolve_function(name) {
                Some(v) => Ok(v),
                None => Err(Error::new(format!(
                    "Can't recognize function name {}",
                    name
                ))),
            };
        }
        self.eval(f)
    }

    fn eval_binary(&mut self, op: BinOp, a: &Expr, b: &Expr) -> Result<Value> {
        let l = self.eval(a)?;
        // Scalar `&&`/`||` stop early, so `i < n && x[i] > 0` never reads past the end.
        if matches!(op, BinOp::And | BinOp::Or) {
            if let Value::Scalar(s) = &l {
                if !s.ty.is_literal() && !s.is_null(0) {
                    let truth = s.f64_at(0).map(|x| x != 0.0).unwrap_or(false);
                    if truth == (op == BinOp::Or) {
                        return Ok(Value::bool(truth));
                    }
                }
            }
        }
        let r = self.eval(b)?;
        self.call_builtin_name(op.function_name(), vec![l, r])
    }

    fn eval_case(&mut self, arms: &[(Expr, Expr)], other: Option<&Expr>) -> Result<Value> {
        // Built as nested `iif` so it works on whole columns.
        let mut acc = match other {
            Some(e) => self.eval(e)?,
            None => Value::void(),
        };
        for (c, v) in arms.iter().rev() {
            let cv = self.eval(c)?;
            let vv = self.eval(v)?;
            acc = self.call_builtin_name("iif", vec![cv, vv, acc])?;
        }
        Ok(acc)
    }

    fn eval_dict(&mut self, entries: &[(Expr, Expr)]) -> Result<Value> {
        let mut keys = Vec::with_capacity(entries.len());
        let mut vals = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            keys.push(self.eval(k)?);
            vals.push(self.eval(v)?);
        }
        let Some(kv) = vector_from_scalars(&keys) else {
            return Err(Error::new(
                "The keys of a dictionary must be scalars of one type",
            ));
        };
        let vv = match vector_from_scalars(&vals) {
            Some(v) if v.ty != DataType::Void => v,
            _ => Vector::from_values(vals),
        };
        let mut d = Dict::from_vectors(kv, vv);
        d.ordered = true;
        Ok(Value::dict(d))
    }

    /// Evaluates call arguments. Returns the values, how each was written (alias or variable
    /// name, for `Env::arg_names`), and the keyword of each keyword argument (`name = value`).
    /// `name = v` is a keyword argument when `name` is one of the callee's parameters (or the
    /// callee's parameters are unknown); otherwise, when `name` is a visible variable or
    /// column, it is a comparison, as in `iif(x = 1, ...)` inside SQL.
    fn eval_args(&mut self, args: &[Expr], callee: &Callee) -> Result<EvaluatedArgs> {
        let mut out = EvaluatedArgs::default();
        for a in args {
            let (v, name, keyword) = match a {
                Expr::NamedArg(n, e) if !callee.takes_keyword(n) => {
                    if self.lookup_var(n).is_none() {
                        return Err(Error::new(format!(
                            "The function [{}] has no parameter named {}",
                            callee.name(),
                            n
                        )));
                    }
                    let l = self.eval_var(n)?;
                    let r = self.eval(e)?;
                    (self.call_builtin_name("eq", vec![l, r])?, None, None)
                }
                Expr::NamedArg(n, e) => (self.eval(e)?, Some(n.clone()), Some(n.clone())),
                Expr::Alias(e, n) => (self.eval(e)?, Some(n.clone()), None),
                Expr::Var(n) => (self.eval(a)?, Some(n.clone()), None),
                Expr::Star => (Value::void(), None, None),
                _ => (self.eval(a)?, None, None),
            };
            out.values.push(v);
            out.names.push(name);
            out.keywords.push(keyword);
        }
        Ok(out)
    }

    /// Places keyword arguments at their parameter's position for a user function.
    fn bind_keywords(def: &FuncDef, args: EvaluatedArgs) -> Result<Vec<Option<Value>>> {
        if args.keywords.iter().all(|k| k.is_none()) {
            return Ok(args.values.into_iter().map(Some).collect());
        }
        let params: Vec<&str> = def.params.iter().map(|p| p.name.as_str()).collect();
        let name = if def.name.is_empty() {
            "lambda"
        } else {
            def.name.as_str()
        };
        let (slots, _) = place_keywords(name, &params, false, args)?;
        Ok(slots)
    }

    /// Places keyword arguments of a built-in call at their documented positions; an empty
    /// slot before a later argument is VOID, which built-ins read as "not given".
    fn bind_builtin_keywords(b: &Builtin, args: EvaluatedArgs) -> Result<EvaluatedArgs> {
        if args.keywords.iter().all(|k| k.is_none()) {
            return Ok(args);
        }
        let Some(sig) = signature(b.name) else {
            // Unknown parameters: the built-in sorts them out (`Env::arg_keywords`).
            return Ok(args);
        };
        let (slots, names) = place_keywords(b.name, &sig.params, sig.variadic, args)?;
        Ok(EvaluatedArgs {
            values: slots
                .into_iter()
                .map(|v| v.unwrap_or_else(Value::void))
                .collect(),
            names,
            keywords: Vec::new(),
        })
    }

    fn eval_call(&mut self, f: &Expr, args: &[Expr]) -> Result<Value> {
        let Expr::Var(name) = f else {
            let fv = self.eval(f)?;
            let evaluated = self.eval_args(args, &Callee::of(&fv))?;
            return match as_function(&fv).map(|f| f.callable.clone()) {
                Some(Callable::Builtin(b)) => {
                    let e = Self::bind_builtin_keywords(b, evaluated)?;
                    self.call_builtin_kw(b, e)
                }
                Some(Callable::User(def, cap)) => {
                    let vals = Self::bind_keywords(&def, evaluated)?;
                    Ok(self.call_user(&def, &cap, vals)?.0)
                }
                _ => self.call_value(&fv, evaluated.values),
            };
        };
        // A variable holding a function shadows functions of the same name.
        let var_fn = self.lookup_var(name).filter(|v| as_function(v).is_some());
        if var_fn.is_none() && !self.state.funcs.contains_key(name) {
            if let Some(v) = self.special_call(name, args)? {
                return Ok(v);
            }
        }
        let fv = match var_fn {
            Some(v) => v,
            None => match self.resolve_function(name) {
                Some(v) => v,
                None => {
                    return Err(Error::new(format!(
                        "Can't recognize function name {}",
                        name
                    )))
                }
            },
        };
        let evaluated = self.eval_args(args, &Callee::of(&fv))?;
        match as_function(&fv).map(|f| f.callable.clone()) {
            Some(Callable::Builtin(b)) => {
                let e = Self::bind_builtin_keywords(b, evaluated)?;
                // In-place functions change the variable they were given first.
                match self.in_place_target(name, args, &e.values) {
                    Some(target) => self.call_in_place(b, &target, e),
                    None => self.call_builtin_kw(b, e),
                }
            }
            Some(Callable::User(def, cap)) => {
                let vals = Self::bind_keywords(&def, evaluated)?;
                let aliases = self.shared_mutable_args(&def, args);
                let (r, mutated) = self.call_user_with(&def, &cap, vals, aliases)?;
                for (i, v) in mutated {
                    if let Some(Expr::Var(arg)) = args.get(i) {
                        self.assign_var(arg, v)?;
                    }
                }
                Ok(r)
            }
            Some(_) => self.call_value(&fv, evaluated.values),
            None => Err(Error::new(format!(
                "Can't recognize function name {}",
                name
            ))),
        }
    }

    /// The variable an in-place call (`append!(t, x)`, `t.append!(x)`) changes: its first
    /// argument when written as a variable that exists. A DFS table handle is changed by the
    /// built-in itself (its object is unchanged), so it has none.
    fn in_place_target(&self, func: &str, args: &[Expr], values: &[Value]) -> Option<String> {
        // `tableInsert` too, when it can grow the table where it is (it answers a count, so
        // the general in-place path, which stores the answer, is not for it).
        let table_insert = func == "tableInsert"
            && matches!(values.first(), Some(Value::Table(t)) if crate::builtins::tables::appends_in_place(t));
        if !func.ends_with('!') && !table_insert {
            return None;
        }
        let Some(Expr::Var(target)) = args.first() else {
            return None;
        };
        let first = values.first()?;
        if crate::dfs::as_table_handle(first).is_some() || self.lookup_plain_var(target).is_none() {
            return None;
        }
        Some(target.clone())
    }

    /// Runs in-place built-in `b` on the current value of variable `target` and stores the
    /// updated object: the built-in's result, or what it gave through `Env::set_in_place`
    /// (`pop!`). For a shared object this happens under the object's update lock
    /// (`modify_var`): the first argument is replaced by the object's value at that moment.
    fn call_in_place(
        &mut self,
        b: &'static Builtin,
        target: &str,
        e: EvaluatedArgs,
    ) -> Result<Value> {
        // `append!` / `tableInsert` of rows to a plain table grows the stored table itself:
        // the arguments' copy of it is dropped first, so nothing else refers to it.
        if appends_rows(b, &e) {
            let data = e.values[1..].to_vec();
            drop(e);
            let mut out = None;
            let found = self.change_var_in_place(target, &mut |cur| {
                let Value::Table(t) = cur else {
                    return Err(Error::new(format!(
                        "The object {target} is no longer a table"
                    )));
                };
                let n = if crate::builtins::tables::appends_in_place(t) {
                    crate::builtins::tables::append_in_place(Arc::make_mut(t), &data)?
                } else {
                    // A shared table another session made keyed meanwhile: the general way.
                    let (updated, n) = crate::builtins::tables::insert_rows(t, &data)?;
                    *cur = Value::table(updated);
                    n
                };
                out = Some(match b.name {
                    "tableInsert" => Value::int(n as i32),
                    _ => cur.clone(),
                });
                Ok(())
            })?;
            return match (found, out) {
                (true, Some(v)) => Ok(v),
                _ => Err(Error::new(format!("Cannot recognize the token {}", target))),
            };
        }
        let done = self.modify_var(target, |ip, current| {
            let mut values = e.values.clone();
            values[0] = current;
            let r = ip.call_builtin_with(b, values, e.names.clone(), e.keywords.clone())?;
            let updated = ip.in_place_done.take().unwrap_or_else(|| r.clone());
            Ok((updated, r))
        })?;
        done.ok_or_else(|| Error::new(format!("Cannot recognize the token {}", target)))
    }

    /// The `mutable` parameters of `def` given a shared object by name, with that name: the
    /// function changes the shared object itself (see `Frame::aliases`).
    fn shared_mutable_args(&self, def: &FuncDef, args: &[Expr]) -> HashMap<String, String> {
        let mut aliases = HashMap::new();
        for (p, a) in def.params.iter().zip(args) {
            if let (true, Expr::Var(var)) = (p.mutable, a) {
                if let Some(shared) = self.shared_target(var) {
                    aliases.insert(p.name.clone(), shared);
                }
            }
        }
        aliases
    }

    /// Calls whose arguments the interpreter treats specially.
    fn special_call(&mut self, name: &str, args: &[Expr]) -> Result<Option<Value>> {
        match name {
            "DECIMAL32" | "DECIMAL64" | "DECIMAL128" if args.len() == 1 => {
                let scale = self.eval(&args[0])?.as_i64().unwrap_or(0);
                let ty = DataType::from_name(name).unwrap_or(DataType::Decimal64);
                let code = ty.code() as i64 | ((scale & 0xFF) << 16);
                Ok(Some(Value::int(code as i32)))
            }
            "table" | "keyedTable" | "indexedTable" | "streamTable" | "keyedStreamTable" => {
                let named = format!("__{}_named", name);
                let Some(b) = lookup(&named) else {
                    return Ok(None);
                };
                if !args
                    .iter()
                    .any(|a| matches!(a, Expr::Alias(..) | Expr::Var(_)))
                {
                    return Ok(None);
                }
                let evaluated = self.eval_args(args, &Callee::Builtin(b))?;
                let mut vals = evaluated.values;
                let names: Vec<String> = evaluated
                    .names
                    .into_iter()
                    .map(|n| n.unwrap_or_default())
                    .collect();
                vals.insert(0, Value::vector(Vector::from_strings(names)));
                Ok(Some(self.call_builtin(b, vals, Vec::new())?))
            }
            "eval" if args.len() == 1 => {
                let v = self.eval(&args[0])?;
                match as_code(&v) {
                    Some(e) => {
                        let e = e.clone();
                        Ok(Some(self.eval(&e)?))
                    }
                    None => Ok(Some(v)),
                }
            }
            "objByName" if !args.is_empty() => {
                let n = self.eval(&args[0])?;
                let n = crate::builtins::object_name(&n).unwrap_or_default();
                match self.lookup_var(&n) {
                    Some(v) => Ok(Some(v)),
                    None => Err(Error::new(format!("Can't find the object with name {}", n))),
                }
            }
            "defined" if !args.is_empty() => {
                let n = self.eval(&args[0])?;
                let n = crate::builtins::object_name(&n).unwrap_or_default();
                Ok(Some(Value::bool(self.lookup_var(&n).is_some())))
            }
            _ => Ok(None),
        }
    }

    /// Calls a function value with evaluated arguments.
    pub fn call_value(&mut self, f: &Value, args: Vec<Value>) -> Result<Value> {
        let Some(func) = as_function(f) else {
            if let Some(s) = f.as_str() {
                // A function given by name, as `call("add", 1, 2)` allows.
                if let Some(fv) = self.resolve_function(s) {
                    return self.call_value(&fv, args);
                }
            }
            return Err(Error::new(format!(
                "{} is not a function",
                value::display::to_display(f)
            )));
        };
        let callable = func.callable.clone();
        self.call_callable(&callable, args)
    }

    fn call_callable(&mut self, c: &Callable, args: Vec<Value>) -> Result<Value> {
        match c {
            Callable::Builtin(b) => self.call_builtin(b, args, Vec::new()),
            Callable::User(def, cap) => {
                let args = args.into_iter().map(Some).collect();
                Ok(self.call_user(def, cap, args)?.0)
            }
            Callable::Partial(f, fixed) => {
                if let Some(r) = self.call_partial_in_place(f, fixed, &args) {
                    return r;
                }
                let mut rest = args.into_iter();
                let mut all: Vec<Value> = Vec::with_capacity(fixed.len());
                for slot in fixed {
                    match slot {
                        Some(v) => all.push(v.clone()),
                        None => match rest.next() {
                            Some(v) => all.push(v),
                            None => break,
                        },
                    }
                }
                all.extend(rest);
                let inner = f.callable.clone();
                self.call_callable(&inner, all)
            }
            Callable::Template(t, f) => {
                let mut all = vec![Value::Object(f.clone())];
                all.extend(args);
                self.call_builtin_name(t.function_name(), all)
            }
        }
    }

    /// `append!{t}` called with the rest of its arguments, where `t` is a table held by the
    /// variable (or shared object) it is named after: the call changes that variable, as the
    /// same call written out would. None: not such a call.
    fn call_partial_in_place(
        &mut self,
        f: &FunctionValue,
        fixed: &[Option<Value>],
        args: &[Value],
    ) -> Option<Result<Value>> {
        let Callable::Builtin(b) = &f.callable else {
            return None;
        };
        let Some(Some(Value::Table(t))) = fixed.first() else {
            return None;
        };
        if !b.name.ends_with('!')
            || t.name.is_empty()
            || fixed[1..].iter().any(|v| v.is_none())
            || !matches!(self.lookup_plain_var(&t.name), Some(Value::Table(_)))
        {
            return None;
        }
        let mut values: Vec<Value> = fixed.iter().flatten().cloned().collect();
        values.extend(args.iter().cloned());
        let target = t.name.clone();
        let e = EvaluatedArgs {
            values,
            ..EvaluatedArgs::default()
        };
        Some(self.call_in_place(b, &target, e))
    }

    pub fn call_builtin_name(&mut self, name: &str, args: Vec<Value>) -> Result<Value> {
        match lookup(name) {
            Some(b) => self.call_builtin(b, args, Vec::new()),
            None => Err(Error::new(format!(
                "Can't recognize function name {}",
                name
            ))),
        }
    }

    /// Calls a built-in with arguments from script text: their names and, for keywords the
    /// interpreter could not place, their keywords.
    fn call_builtin_kw(&mut self, b: &'static Builtin, args: EvaluatedArgs) -> Result<Value> {
        self.call_builtin_with(b, args.values, args.names, args.keywords)
    }

    fn call_builtin(
        &mut self,
        b: &'static Builtin,
        args: Vec<Value>,
        names: Vec<Option<String>>,
    ) -> Result<Value> {
        self.call_builtin_with(b, args, names, Vec::new())
    }

    fn call_builtin_with(
        &mut self,
        b: &'static Builtin,
        args: Vec<Value>,
        names: Vec<Option<String>>,
        keywords: Vec<Option<String>>,
    ) -> Result<Value> {
        let n = args.len();
        if n < b.min_args || n > b.max_args {
            let expected = if b.min_args == b.max_args {
                b.min_args.to_string()
            } else {
                format!("{}~{}", b.min_args, b.max_args)
            };
            return Err(Error::new(format!(
                "The function [{}] expects {} argument(s), but the actual number of arguments is {}",
                b.name, expected, n
            )));
        }
        let saved = std::mem::replace(&mut self.arg_names, names);
        let saved_keywords = std::mem::replace(&mut self.arg_keywords, keywords);
        let saved_in_place = self.in_place.take();
        let r = (b.f)(self, &args);
        self.arg_names = saved;
        self.arg_keywords = saved_keywords;
        self.in_place_done = std::mem::replace(&mut self.in_place, saved_in_place);
        r
    }

    /// Runs a user function; also returns the final values of its `mutable` parameters by
    /// argument position, for the caller to write back.
    pub(crate) fn call_user(
        &mut self,
        def: &FuncDef,
        captured: &Arc<HashMap<String, Value>>,
        args: Vec<Option<Value>>,
    ) -> Result<(Value, Vec<(usize, Value)>)> {
        self.call_user_with(def, captured, args, HashMap::new())
    }

    /// `call_user` where the `mutable` parameters in `aliases` are shared objects: they change
    /// the object itself and are not returned for writing back.
    fn call_user_with(
        &mut self,
        def: &FuncDef,
        captured: &Arc<HashMap<String, Value>>,
        args: Vec<Option<Value>>,
        aliases: HashMap<String, String>,
    ) -> Result<(Value, Vec<(usize, Value)>)> {
        let n = args.len();
        let required = def
            .params
            .iter()
            .rposition(|p| p.default.is_none())
            .map_or(0, |i| i + 1);
        if n > def.params.len() || n < required {
            let name = if def.name.is_empty() {
                "lambda"
            } else {
                &def.name
            };
            return Err(Error::new(format!(
                "The function [{}] expects {} argument(s), but the actual number of arguments is {}",
                name,
                def.params.len(),
                n
            )));
        }
        if self.frames.len() as u32 >= CALL_DEPTH_MAX {
            return Err(Error::new(format!(
                "Exceeded the maximum recursive depth of {} function calls",
                CALL_DEPTH_MAX
            )));
        }
        let mut locals = HashMap::with_capacity(def.params.len());
        let mut args = args.into_iter();
        let mut defaults = Vec::new();
        for p in &def.params {
            match args.next().flatten() {
                Some(v) => {
                    locals.insert(p.name.clone(), v);
                }
                None if p.default.is_some() => defaults.push(p),
                None => {
                    locals.insert(p.name.clone(), Value::void());
                }
            }
        }
        self.frames.push(Frame {
            locals,
            captured: captured.clone(),
            aliases,
        });
        let saved_line = self.line;
        let r = self.run_user_body(def, &defaults);
        self.line = saved_line;
        let frame = self.frames.pop();
        let result = r?;
        let mut mutated = Vec::new();
        if let Some(frame) = frame {
            for (i, p) in def.params.iter().enumerate().take(n) {
                if p.mutable && !frame.aliases.contains_key(&p.name) {
                    if let Some(v) = frame.locals.get(&p.name) {
                        mutated.push((i, v.clone()));
                    }
                }
            }
        }
        Ok((result, mutated))
    }

    fn run_user_body(&mut self, def: &FuncDef, defaults: &[&Param]) -> Result<Value> {
        for p in defaults {
            if let Some(e) = &p.default {
                let v = self.eval(e)?;
                self.assign_var(&p.name, v)?;
            }
        }
        match self.exec_block(&def.body)? {
            Flow::Return(v) => Ok(v),
            _ => Ok(Value::void()),
        }
    }
}

/// The function being called, as far as keyword arguments are concerned.
enum Callee {
    Builtin(&'static Builtin),
    User(Arc<FuncDef>),
    /// A partial application, template or non-function: parameters unknown.
    Other,
}

impl Callee {
    fn of(f: &Value) -> Callee {
        match as_function(f).map(|f| &f.callable) {
            Some(Callable::Builtin(b)) => Callee::Builtin(b),
            Some(Callable::User(def, _)) => Callee::User(def.clone()),
            _ => Callee::Other,
        }
    }

    fn name(&self) -> &str {
        match self {
            Callee::Builtin(b) => b.name,
            Callee::User(def) if !def.name.is_empty() => &def.name,
            Callee::User(_) => "lambda",
            Callee::Other => "function",
        }
    }

    /// Is `name = v` a keyword argument of this callee?
    fn takes_keyword(&self, name: &str) -> bool {
        match self {
            Callee::Builtin(b) => match signature(b.name) {
                Some(sig) => sig.params.contains(&name),
                None => true,
            },
            Callee::User(def) => def.params.iter().any(|p| p.name == name),
            Callee::Other => false,
        }
    }
}

/// Argument slots (None: not given) and the name each slot's argument was written with.
type PlacedArgs = (Vec<Option<Value>>, Vec<Option<String>>);

/// Places positional arguments in order and keyword arguments at their parameter: returns the
/// slots (trailing empty slots dropped) and the name of each slot's argument. A variadic
/// function keeps extra positional arguments after its named parameters.
fn place_keywords(
    func: &str,
    params: &[&str],
    variadic: bool,
    args: EvaluatedArgs,
) -> Result<PlacedArgs> {
    let mut slots: Vec<Option<Value>> = vec![None; params.len()];
    let mut names: Vec<Option<String>> = vec![None; params.len()];
    let mut next = 0;
    let items = args.values.into_iter().zip(args.names).zip(args.keywords);
    for ((v, name), keyword) in items {
        let pos = match keyword {
            Some(k) => match params.iter().position(|p| *p == k) {
                Some(p) => p,
                None => {
                    return Err(Error::new(format!(
                        "The function [{}] has no parameter named {}",
                        func, k
                    )))
                }
            },
            None => {
                next += 1;
                next - 1
            }
        };
        if pos >= slots.len() {
            if !variadic {
                return Err(Error::new(format!(
                    "The function [{}] expects {} argument(s)",
                    func,
                    params.len()
                )));
            }
            slots.resize(pos + 1, None);
            names.resize(pos + 1, None);
        }
        if slots[pos].is_some() {
            return Err(Error::new(format!(
                "The argument {} of function [{}] is given more than once",
                params.get(pos).copied().unwrap_or("?"),
                func
            )));
        }
        slots[pos] = Some(v);
        names[pos] = name;
    }
    while matches!(slots.last(), Some(None)) {
        slots.pop();
        names.pop();
    }
    Ok((slots, names))
}

/// Evaluated call arguments (see `eval_args`).
#[derive(Default)]
struct EvaluatedArgs {
    values: Vec<Value>,
    names: Vec<Option<String>>,
    keywords: Vec<Option<String>>,
}

/// Is this call `append!(table, data)` or `tableInsert(table, data...)` on a plain table, which
/// `call_in_place` does where the table is stored?
fn appends_rows(b: &Builtin, e: &EvaluatedArgs) -> bool {
    let arity = match b.name {
        "append!" => e.values.len() == 2,
        "tableInsert" => e.values.len() >= 2,
        _ => false,
    };
    arity
        && e.keywords.iter().all(Option::is_none)
        && matches!(&e.values[0], Value::Table(t) if crate::builtins::tables::appends_in_place(t))
}

/// `[a, b, c]`: a typed vector when the items are scalars of one type, else a tuple.
pub fn make_vector(vals: Vec<Value>) -> Value {
    if vals.is_empty() {
        return Value::tuple(vals);
    }
    if vals.iter().all(|v| matches!(v, Value::Scalar(_))) {
        if let Some(v) = vector_from_scalars(&vals) {
            return Value::vector(v);
        }
    }
    Value::tuple(vals)
}
