//! The names DolphinDB gives result columns: the alias, else the column name, else a name
//! built from the expression (`sum(qty)` is `sum_qty`, `timestamp.minute()` is
//! `minute_timestamp`, a constant is its text).

use value::Value;

use crate::ast::{Expr, SelectItem};

/// The column name of an unaliased expression.
pub fn expr_name(e: &Expr) -> String {
    match e {
        Expr::Var(n) | Expr::Member(_, n) => n.clone(),
        Expr::Alias(_, n) => n.clone(),
        Expr::Call(f, args) => {
            let fname = match &**f {
                Expr::Var(n) => n.clone(),
                other => expr_name(other),
            };
            match args.iter().find_map(arg_name) {
                Some(a) => format!("{}_{}", fname, a),
                None => fname,
            }
        }
        Expr::Method(obj, name, _) => match arg_name(obj) {
            Some(a) => format!("{}_{}", name, a),
            None => name.clone(),
        },
        Expr::Binary(op, _, _) => op.function_name().to_string(),
        Expr::Unary(op, _) => op.function_name().to_string(),
        Expr::Const(v) => const_name(v),
        Expr::Template(t, f, _) => {
            format!("{}", Expr::TemplateFunc(*t, f.clone())).replace(':', "_")
        }
        Expr::Case(..) => "case".to_string(),
        other => {
            let s = other.to_string();
            if s.is_empty() {
                "col".to_string()
            } else {
                s
            }
        }
    }
}

/// The part of an argument that goes into a function's column name.
fn arg_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Var(n) | Expr::Member(_, n) => Some(n.clone()),
        Expr::Call(..) | Expr::Method(..) => Some(expr_name(e)),
        _ => None,
    }
}

fn const_name(v: &Value) -> String {
    match v {
        Value::Scalar(s) if s.ty.is_literal() => v.as_str().unwrap_or("").to_string(),
        _ => value::display::to_display(v),
    }
}

/// The column name of a select item.
pub fn item_name(item: &SelectItem) -> String {
    match &item.alias {
        Some(a) => a.clone(),
        None => expr_name(&item.expr),
    }
}

/// Makes names unique (case-insensitively) by appending `_1`, `_2`... to repeats.
pub fn dedupe(names: &mut [String]) {
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for n in names.iter_mut() {
        let base = n.clone();
        let mut k = 1;
        while !seen.insert(n.to_ascii_lowercase()) {
            *n = format!("{}_{}", base, k);
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_expression;

    fn name(src: &str) -> String {
        let e = parse_expression(src, &|n| crate::builtins::lookup(n).is_some()).unwrap();
        expr_name(&e)
    }

    #[test]
    fn names_follow_dolphindb() {
        // From the group by / context by documentation: sum(qty) -> sum_qty,
        // timestamp.minute() -> minute_timestamp, minute(timestamp) -> minute_timestamp,
        // wavg(bid, volume) -> wavg_bid (window join), cumsum(qty) -> cumsum_qty.
        assert_eq!(name("sum(qty)"), "sum_qty");
        assert_eq!(name("timestamp.minute()"), "minute_timestamp");
        assert_eq!(name("minute(timestamp)"), "minute_timestamp");
        assert_eq!(name("wavg(bid, volume)"), "wavg_bid");
        assert_eq!(name("t2.x"), "x");
        assert_eq!(name("1"), "1");
        let mut n = vec!["a".to_string(), "A".to_string(), "a".to_string()];
        dedupe(&mut n);
        assert_eq!(n, vec!["a", "A_1", "a_2"]);
    }
}
