//! Script results as the web console's JSON (docs/web.md): a table is columns + rows, a vector
//! a list, a scalar its text; other forms (dictionary, matrix, set, pair, objects) their console
//! text. Elements are DolphinDB's `string(x)` text (exact for LONG and DECIMAL, which JSON numbers
//! are not), a null element is JSON null. Big results are cut to `ROWS_MAX` rows / elements
//! and say so (`truncated`, with the full `rowCount` / `length`).

use serde_json::{json, Value as Json};
use value::display::{element_string, to_display};
use value::{DataType, Value, Vector};

/// Most table rows or vector elements one response carries.
pub const ROWS_MAX: usize = 1000;

fn type_name(v: &Vector) -> String {
    match v.ty {
        DataType::Any if !v.is_array() => "ANY".to_string(),
        t if v.is_array() => format!("{}[]", t.name()),
        t => t.name().to_string(),
    }
}

/// One element as JSON: null, or its text.
pub fn element(v: &Vector, i: usize) -> Json {
    if v.ty != DataType::Any && !v.is_array() && v.is_null(i) {
        return Json::Null;
    }
    Json::String(element_string(v, i))
}

/// A result value; `None` is a script whose last statement has no value.
pub fn result(v: Option<&Value>) -> Json {
    let Some(v) = v else { return Json::Null };
    match v {
        Value::Table(t) => {
            let rows = t.rows();
            let shown = rows.min(ROWS_MAX);
            let columns: Vec<Json> = t
                .names
                .iter()
                .zip(&t.columns)
                .map(|(n, c)| json!({"name": n, "type": type_name(c)}))
                .collect();
            let data: Vec<Json> = (0..shown)
                .map(|r| Json::Array(t.columns.iter().map(|c| element(c, r)).collect()))
                .collect();
            json!({"form": "table", "columns": columns, "rows": data,
                   "rowCount": rows, "truncated": rows > shown})
        }
        Value::Vector(x) => {
            let n = x.len();
            let shown = n.min(ROWS_MAX);
            let values: Vec<Json> = (0..shown).map(|i| element(x, i)).collect();
            json!({"form": "vector", "type": type_name(x), "values": values,
                   "length": n, "truncated": n > shown})
        }
        Value::Scalar(s) => json!({
            "form": "scalar",
            "type": s.ty.name(),
            "value": if s.is_empty() { Json::Null } else { element(s, 0) },
            "text": to_display(v),
        }),
        other => {
            let form = match other {
                Value::Pair(_) => "pair",
                Value::Matrix(_) => "matrix",
                Value::Set(_) => "set",
                Value::Dict(_) => "dict",
                _ => "object",
            };
            json!({"form": form, "text": to_display(other)})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use value::Table;

    #[test]
    fn tables_vectors_and_scalars() {
        let t = Table::new(
            vec!["id".into(), "name".into()],
            vec![
                Vector::from_i32(DataType::Int, vec![1, value::null::I32]),
                Vector::from_strings(vec!["a".into(), "b".into()]),
            ],
        );
        let j = result(Some(&Value::table(t)));
        assert_eq!(j["form"], "table");
        assert_eq!(j["columns"][0], json!({"name": "id", "type": "INT"}));
        assert_eq!(j["rows"], json!([["1", "a"], [null, "b"]]));
        assert_eq!(j["rowCount"], 2);
        assert_eq!(j["truncated"], false);

        let v = Value::vector(Vector::from_i64(DataType::Long, (0..1500).collect()));
        let j = result(Some(&v));
        assert_eq!(j["form"], "vector");
        assert_eq!(j["values"].as_array().unwrap().len(), ROWS_MAX);
        assert_eq!(j["length"], 1500);
        assert_eq!(j["truncated"], true);
        // LONG stays exact: text, not a JSON number.
        assert_eq!(j["values"][1], "1");

        let j = result(Some(&Value::int(42)));
        assert_eq!(
            j,
            json!({"form": "scalar", "type": "INT", "value": "42", "text": "42"})
        );
        assert_eq!(
            result(Some(&Value::null(DataType::Int)))["value"],
            Json::Null
        );
        assert_eq!(result(None), Json::Null);
    }
}
