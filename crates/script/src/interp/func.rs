//! Function values: built-ins, user functions and lambdas, partial applications and templates
//! used as values. They are `Value::Object`s of type FUNCTIONDEF.

use std::collections::HashMap;
use std::sync::Arc;

use value::{DataType, Object, Value};

use crate::ast::{FuncDef, TemplateOp};
use crate::builtins::Builtin;

#[derive(Debug, Clone)]
pub enum Callable {
    Builtin(&'static Builtin),
    /// A user function or lambda; `captured` holds the enclosing function's locals for a lambda
    /// defined inside a function.
    User(Arc<FuncDef>, Arc<HashMap<String, Value>>),
    /// `f{a, }`: `None` slots are filled by the call's arguments, in order.
    Partial(Arc<FunctionValue>, Vec<Option<Value>>),
    /// `f:E` as a value.
    Template(TemplateOp, Arc<FunctionValue>),
}

#[derive(Debug, Clone)]
pub struct FunctionValue {
    pub callable: Callable,
}

impl FunctionValue {
    pub fn builtin(b: &'static Builtin) -> Value {
        Self::value(Callable::Builtin(b))
    }

    pub fn value(callable: Callable) -> Value {
        Value::Object(Arc::new(FunctionValue { callable }))
    }

    /// The function's name as DolphinDB prints it.
    pub fn name(&self) -> String {
        match &self.callable {
            Callable::Builtin(b) => b.name.to_string(),
            Callable::User(f, _) if !f.name.is_empty() => f.name.clone(),
            Callable::User(f, _) => format!("{{{}}}", f.source.trim()),
            Callable::Partial(f, args) => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| match a {
                        Some(v) => value::display::to_display(v),
                        None => String::new(),
                    })
                    .collect();
                format!("{}{{{}}}", f.name(), args.join(", "))
            }
            Callable::Template(t, f) => format!("{}:{}", f.name(), t.letter),
        }
    }
}

impl Object for FunctionValue {
    fn data_type(&self) -> DataType {
        DataType::FunctionDef
    }

    fn describe(&self) -> String {
        self.name()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The function behind a value, if it is one.
pub fn as_function(v: &Value) -> Option<&FunctionValue> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<FunctionValue>(),
        _ => None,
    }
}

/// Metacode: `< expr >`, a CODE object.
#[derive(Debug)]
pub struct CodeValue {
    pub expr: crate::ast::Expr,
}

impl Object for CodeValue {
    fn data_type(&self) -> DataType {
        DataType::Code
    }

    fn describe(&self) -> String {
        format!("< {} >", self.expr)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The expression inside a metacode value.
pub fn as_code(v: &Value) -> Option<&crate::ast::Expr> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<CodeValue>().map(|c| &c.expr),
        _ => None,
    }
}
