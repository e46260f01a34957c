//! How higher-order functions split an argument into items: vector elements, matrix columns,
//! table rows (as dictionaries), dictionary values. Scalars are not split.

use value::Value;

use super::stmt::table_row;

/// The number of items, or None for a scalar (passed whole to every call).
pub fn item_count(v: &Value) -> Option<usize> {
    match v {
        Value::Scalar(_) | Value::Object(_) => None,
        Value::Matrix(m) => Some(m.cols),
        other => Some(other.len()),
    }
}

/// Item `i` (`i` must be below `item_count`).
pub fn item(v: &Value, i: usize) -> Value {
    match v {
        Value::Scalar(_) | Value::Object(_) => v.clone(),
        Value::Vector(x) | Value::Pair(x) => x.get(i),
        Value::Matrix(m) => Value::vector(m.column(i)),
        Value::Set(s) => s.keys.get(i),
        Value::Dict(d) => d.values.get(i),
        Value::Table(t) => table_row(t, i),
    }
}
