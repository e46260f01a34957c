//! Writing with `x = v`, `x[i] = v`, `t[`col] = v`, `t.col = v`, `d[k] = v`, `d.k = v`.

use std::sync::Arc;

use value::convert::cast;
use value::{Data, DataType, Table, Value, Vector};

use super::index::{positions, Idx};
use super::Interpreter;
use crate::ast::{Expr, Target};
use crate::{Error, Result};

impl Interpreter<'_> {
    pub(crate) fn assign_target(&mut self, t: &Target, v: Value) -> Result<()> {
        match t {
            Target::Var(n) => self.assign_var(n, v),
            Target::Index(obj, idx) => {
                let name = base_name(obj)?;
                let idx = self.eval_indices(idx)?;
                self.change_element(&name, |cur| set_index(cur, &idx, v.clone()))
            }
            Target::Member(obj, field) => {
                let name = base_name(obj)?;
                self.change_element(&name, |cur| set_key(cur, field, v.clone()))
            }
        }
    }

    /// Stores `change(current value)` in variable `name`; atomically for a shared object.
    fn change_element(
        &mut self,
        name: &str,
        change: impl Fn(Value) -> Result<Value>,
    ) -> Result<()> {
        match self.modify_var(name, |_, cur| Ok((change(cur)?, ())))? {
            Some(()) => Ok(()),
            None => Err(self.syntax_error(&format!("Cannot recognize the token {}", name))),
        }
    }
}

fn base_name(e: &Expr) -> Result<String> {
    match e {
        Expr::Var(n) => Ok(n.clone()),
        _ => Err(Error::new(
            "Only an element of a variable can be assigned: write x[i] = v",
        )),
    }
}

/// `obj[idx] = v`, returning the new object.
fn set_index(obj: Value, idx: &[Idx], v: Value) -> Result<Value> {
    let [i] = idx else {
        return Err(Error::new("Assignment with two indices is not supported"));
    };
    match obj {
        Value::Vector(mut x) => {
            let n = x.len();
            let Some(pos) = positions(i, n) else {
                return Err(Error::new(
                    "The index of a vector must be an integer, a pair or a vector",
                ));
            };
            if pos.iter().any(|&p| p < 0 || p as usize >= n) {
                return Err(Error::new("The index is out of range"));
            }
            set_positions(Arc::make_mut(&mut x), &pos, &v)?;
            Ok(Value::Vector(x))
        }
        Value::Table(mut t) => {
            let Idx::Val(key) = i else {
                return Err(Error::new("A table column must be named by a string"));
            };
            let Some(name) = key.as_str() else {
                return Err(Error::new("A table column must be named by a string"));
            };
            set_column(Arc::make_mut(&mut t), name, v)?;
            Ok(Value::Table(t))
        }
        Value::Dict(mut d) => {
            let Idx::Val(Value::Scalar(k)) = i else {
                return Err(Error::new("A dictionary key must be a scalar"));
            };
            let d2 = Arc::make_mut(&mut d);
            let k = cast(k, d2.keys.ty, d2.keys.scale)?;
            let v = match (&d2.values.data, v) {
                (Data::Any(_), v) => v,
                (_, Value::Scalar(s)) => Value::Scalar(cast(&s, d2.values.ty, d2.values.scale)?),
                _ => {
                    return Err(Error::new(
                        "The value doesn't match the dictionary's value type",
                    ))
                }
            };
            if !d2.insert(&k, v) {
                return Err(Error::new(
                    "The value doesn't match the dictionary's value type",
                ));
            }
            Ok(Value::Dict(d))
        }
        _ => Err(Error::new("The object doesn't support index assignment")),
    }
}

/// `t.col = v` / `d.key = v`.
fn set_key(obj: Value, key: &str, v: Value) -> Result<Value> {
    set_index(obj, &[Idx::Val(Value::string(key))], v)
}

/// Replaces or adds a column; a scalar fills every row.
fn set_column(t: &mut Table, name: &str, v: Value) -> Result<()> {
    let rows = t.rows();
    let col = match v {
        Value::Vector(c) => {
            if !t.columns.is_empty() && c.len() != rows {
                return Err(Error::new(format!(
                    "The length of the new column {} ({}) doesn't match the table's rows ({})",
                    name,
                    c.len(),
                    rows
                )));
            }
            c
        }
        Value::Scalar(s) => {
            let idx = vec![0i64; rows];
            Arc::new(s.take(&idx))
        }
        _ => return Err(Error::new("A table column must be a vector or a scalar")),
    };
    match t.column_index(name) {
        Some(i) => t.columns[i] = col,
        None => {
            t.names.push(name.to_string());
            t.columns.push(col);
        }
    }
    Ok(())
}

/// Writes `v` (a scalar, or one value per position) into `x` at `pos`.
fn set_positions(x: &mut Vector, pos: &[i64], v: &Value) -> Result<()> {
    if let Data::Any(items) = &mut x.data {
        for (k, &p) in pos.iter().enumerate() {
            items[p as usize] = match v {
                Value::Vector(src) if pos.len() > 1 && src.len() == pos.len() => src.get(k),
                other => other.clone(),
            };
        }
        return Ok(());
    }
    let src: &Vector = match v {
        Value::Scalar(s) => s,
        Value::Vector(s) | Value::Pair(s) => s,
        _ => return Err(Error::new("The value can't be stored in a vector")),
    };
    if src.len() != 1 && src.len() != pos.len() {
        return Err(Error::new(format!(
            "The number of values ({}) doesn't match the number of positions ({})",
            src.len(),
            pos.len()
        )));
    }
    let src = if x.ty == DataType::Void {
        return Err(Error::new("Can't assign to an element of a VOID vector"));
    } else {
        cast(src, x.ty, x.scale)?
    };
    let one = src.len() == 1;
    macro_rules! write {
        ($d:expr, $s:expr) => {{
            for (k, &p) in pos.iter().enumerate() {
                $d[p as usize] = $s[if one { 0 } else { k }].clone();
            }
        }};
    }
    match (&mut x.data, &src.data) {
        (Data::I8(d), Data::I8(s)) => write!(d, s),
        (Data::I16(d), Data::I16(s)) => write!(d, s),
        (Data::I32(d), Data::I32(s)) => write!(d, s),
        (Data::I64(d), Data::I64(s)) => write!(d, s),
        (Data::I128(d), Data::I128(s)) => write!(d, s),
        (Data::F32(d), Data::F32(s)) => write!(d, s),
        (Data::F64(d), Data::F64(s)) => write!(d, s),
        (Data::Str(d), Data::Str(s)) => write!(d, s),
        (Data::Blob(d), Data::Blob(s)) => write!(d, s),
        (Data::Sym(d), Data::Sym(_)) => {
            let mut codes = Vec::with_capacity(pos.len());
            for k in 0..pos.len() {
                let text = src.str_at(if one { 0 } else { k }).unwrap_or("");
                codes.push(match d.base.find(text) {
                    Some(c) => c,
                    None => Arc::make_mut(&mut d.base).intern(text),
                });
            }
            for (k, &p) in pos.iter().enumerate() {
                d.codes[p as usize] = codes[k];
            }
        }
        _ => return Err(Error::new("The value can't be stored in this vector")),
    }
    Ok(())
}
