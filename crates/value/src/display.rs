//! DolphinDB's text forms of values: `element_string` is what `string(x)` gives for one element,
//! `to_display` is what the console (`print`, the last expression of a script) shows.
//!
//! Decisions (DolphinDB documentation examples, and the official C++ API, whose `getString`
//! mirrors the server's console):
//! - a null element is empty text; a null scalar displays as an empty line;
//! - BOOL is `true`/`false`; CHAR is the character when printable, else its code;
//! - FLOAT/DOUBLE: up to 6 decimals with trailing zeros dropped (`3.14`, `1`, `0.333333`);
//!   magnitudes >= 1e6 or <= 1e-6 use `0.0#####E0` scientific form (`1.234568E7`); NaN is `nan`
//!   and infinities `inf` / `-inf`;
//! - DECIMAL keeps its scale (`142.00`); temporal types use `temporal::format`;
//! - in a vector, pair, set or tuple, STRING/SYMBOL elements are quoted (`["a","b"]`), CHAR is
//!   `'c'`, nulls are empty between commas, and a one-element null vector shows the null literal
//!   (`[00i]`);
//! - matrices and tables print as aligned grids (header, a dashed rule, rows); lines carry no
//!   trailing spaces; the result has no trailing newline.

use crate::temporal;
use crate::types::DataType;
use crate::value::{Dict, Matrix, Set, Table, Value};
use crate::vector::{Data, Vector};

/// Elements a vector, pair, set or tuple shows before `...`.
pub const DISPLAY_ELEMENTS_MAX: usize = 1024;
/// Rows a table, matrix or dictionary shows before `...`.
pub const DISPLAY_ROWS_MAX: usize = 1024;
/// Width (characters) a table or matrix may fill before its remaining columns become `...`.
pub const DISPLAY_WIDTH: usize = 120;
/// A table column is at most `DISPLAY_WIDTH / min(columns, DISPLAY_COLS) + 5` wide.
pub const DISPLAY_COLS: usize = 10;
/// A matrix column is at most this wide.
pub const MATRIX_COL_WIDTH_MAX: usize = 25;

/// What `string(x)` gives for element `i` of `v` (null gives "").
pub fn element_string(v: &Vector, i: usize) -> String {
    if v.is_null(i) {
        return String::new();
    }
    match &v.data {
        Data::Void(_) => String::new(),
        Data::I8(x) => match v.ty {
            DataType::Bool => (if x[i] != 0 { "true" } else { "false" }).to_string(),
            DataType::Char if (32..127).contains(&x[i]) => (x[i] as u8 as char).to_string(),
            _ => x[i].to_string(),
        },
        Data::I16(x) => x[i].to_string(),
        Data::I32(x) => int_string(v, x[i] as i64),
        Data::I64(x) => int_string(v, x[i]),
        Data::I128(x) => wide_string(v.ty, v.scale, x[i]),
        Data::F32(x) => float_string(x[i] as f64),
        Data::F64(x) => float_string(x[i]),
        Data::Str(x) => x[i].clone(),
        Data::Sym(x) => x.get(i).to_string(),
        Data::Blob(x) => String::from_utf8_lossy(&x[i]).into_owned(),
        Data::Any(x) => match &x[i] {
            Value::Scalar(s) => element_string(s, 0),
            other => to_display(other),
        },
        Data::Array(a) => {
            let r = a.row_range(i);
            vector_text(&a.values.slice(r.start, r.end), "[", "]")
        }
    }
}

fn int_string(v: &Vector, raw: i64) -> String {
    if v.ty == DataType::Duration {
        duration_string(raw)
    } else if v.ty.is_temporal() {
        temporal::format(v.ty, raw)
    } else if v.ty.is_decimal() {
        decimal_string(raw as i128, v.scale)
    } else {
        raw.to_string()
    }
}

fn wide_string(ty: DataType, scale: u8, x: i128) -> String {
    match ty {
        DataType::Decimal128 => decimal_string(x, scale),
        DataType::Uuid => {
            let h = format!("{:032x}", x as u128);
            format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            )
        }
        DataType::IpAddr => ip_string(x as u128),
        _ => format!("{:032x}", x as u128),
    }
}

/// A decimal mantissa with `scale` decimals (`14200`, 2 is `142.00`).
pub fn decimal_string(m: i128, scale: u8) -> String {
    let digits = m.unsigned_abs().to_string();
    let sign = if m < 0 { "-" } else { "" };
    let scale = scale as usize;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int_part, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int_part}.{frac}")
}

/// DolphinDB's IP text: IPv4 dotted when the upper 96 bits are zero; otherwise eight hex groups
/// without leading zeros, where the first run of zero groups that starts at group 1..5 and spans
/// at least two groups (never reaching group 7) is written `::`.
fn ip_string(x: u128) -> String {
    if x >> 32 == 0 {
        let b = (x as u32).to_be_bytes();
        return format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
    }
    let groups: Vec<u16> = (0..8).map(|g| (x >> (112 - 16 * g)) as u16).collect();
    let mut out = String::new();
    let mut g = 0;
    let mut compressed = false;
    while g < 8 {
        if !compressed && (1..6).contains(&g) && groups[g] == 0 && groups[g + 1] == 0 {
            compressed = true;
            g += 2;
            while g < 7 && groups[g] == 0 {
                g += 1;
            }
            out.push(':');
            continue;
        }
        out.push_str(&format!("{:x}", groups[g]));
        if g < 7 {
            out.push(':');
        }
        g += 1;
    }
    out
}

/// DolphinDB's text of a float: fixed with up to 6 decimals, scientific beyond 1e6 / below 1e-6.
pub fn float_string(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return (if f > 0.0 { "inf" } else { "-inf" }).to_string();
    }
    let a = f.abs();
    if (a > 0.0 && a <= 1e-6) || a >= 1e6 {
        let s = format!("{f:.6e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = mant.trim_end_matches('0');
        let mant = if mant.ends_with('.') {
            format!("{mant}0")
        } else {
            mant.to_string()
        };
        return format!("{mant}E{exp}");
    }
    let s = format!("{f:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A DURATION as its literal (`20H`, `3M`): the unit index in the high 32 bits (ns, us, ms,
/// s, m, H, d, w, M, y, B), the signed count in the low 32 bits.
fn duration_string(raw: i64) -> String {
    const UNITS: [&str; 11] = ["ns", "us", "ms", "s", "m", "H", "d", "w", "M", "y", "B"];
    let count = raw as u32 as i32;
    match UNITS.get((raw >> 32) as usize) {
        Some(u) => format!("{count}{u}"),
        None => raw.to_string(),
    }
}

/// The null literal of a type, as a one-element null vector shows it (`00i`).
fn null_literal(ty: DataType) -> String {
    let suffix = match ty {
        DataType::Bool => "b",
        DataType::Char => "c",
        DataType::Short => "h",
        DataType::Int => "i",
        DataType::Long => "l",
        DataType::Date => "d",
        DataType::Month => "M",
        DataType::Time => "t",
        DataType::Minute => "m",
        DataType::Second => "s",
        DataType::DateTime => "D",
        DataType::Timestamp => "T",
        DataType::NanoTime => "n",
        DataType::NanoTimestamp => "N",
        DataType::Float => "f",
        DataType::Double => "F",
        DataType::String | DataType::Symbol => return "\"\"".to_string(),
        _ => return "NULL".to_string(),
    };
    format!("00{suffix}")
}

/// An element as it appears inside a vector, pair, set or tuple: strings quoted, CHAR as
/// `'c'`, nested objects displayed, null empty.
fn element_script(v: &Vector, i: usize) -> String {
    if v.is_null(i) {
        return String::new();
    }
    match &v.data {
        Data::Str(_) | Data::Sym(_) => quote(&element_string(v, i)),
        Data::I8(x) if v.ty == DataType::Char && (32..127).contains(&x[i]) => {
            format!("'{}'", x[i] as u8 as char)
        }
        Data::Any(x) => match &x[i] {
            Value::Scalar(s) => element_script(s, 0),
            other => to_display(other),
        },
        _ => element_string(v, i),
    }
}

fn quote(s: &str) -> String {
    if s.contains('"') && !s.contains('\'') {
        format!("'{s}'")
    } else {
        format!("\"{}\"", s.replace('"', "\\\""))
    }
}

fn vector_text(v: &Vector, open: &str, close: &str) -> String {
    let n = v.len();
    if n == 1 && v.is_null(0) && !matches!(v.data, Data::Any(_)) {
        return format!("{open}{}{close}", null_literal(v.ty));
    }
    let shown = n.min(DISPLAY_ELEMENTS_MAX);
    let mut out = String::from(open);
    for i in 0..shown {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&element_script(v, i));
    }
    if n > shown {
        out.push_str("...");
    }
    out.push_str(close);
    out
}

/// What DolphinDB's console shows for `v`.
pub fn to_display(v: &Value) -> String {
    match v {
        Value::Scalar(s) => scalar_display(s),
        Value::Vector(x) if x.ty == DataType::Any && !x.is_array() => vector_text(x, "(", ")"),
        Value::Vector(x) => vector_text(x, "[", "]"),
        Value::Pair(x) => {
            let a = if x.is_empty() {
                String::new()
            } else {
                element_script(x, 0)
            };
            let b = if x.len() < 2 {
                String::new()
            } else {
                element_script(x, 1)
            };
            format!("{a} : {b}")
        }
        Value::Set(s) => set_display(s),
        Value::Dict(d) => dict_display(d),
        Value::Matrix(m) => matrix_display(m),
        Value::Table(t) => table_display(t),
        Value::Object(o) => o.describe(),
    }
}

fn scalar_display(s: &Vector) -> String {
    if s.is_empty() || s.is_null(0) {
        return String::new();
    }
    match &s.data {
        Data::I8(x) if s.ty == DataType::Char && (32..127).contains(&x[0]) => {
            format!("'{}'", x[0] as u8 as char)
        }
        _ => element_string(s, 0),
    }
}

fn set_display(s: &Set) -> String {
    let n = s.keys.len();
    let shown = n.min(DISPLAY_ELEMENTS_MAX);
    let items: Vec<String> = (0..shown).map(|i| element_script(&s.keys, i)).collect();
    let more = if n > shown { "..." } else { "" };
    format!("set({}{more})", items.join(","))
}

fn dict_display(d: &Dict) -> String {
    let n = d.len();
    let shown = n.min(DISPLAY_ROWS_MAX);
    let mut lines: Vec<String> = (0..shown)
        .map(|i| {
            let value = match &d.values.data {
                Data::Any(vals) => match &vals[i] {
                    Value::Scalar(s) => element_string(s, 0),
                    other => to_display(other),
                },
                _ => element_string(&d.values, i),
            };
            format!("{}->{}", element_string(&d.keys, i), value)
        })
        .collect();
    if n > shown {
        lines.push("...".to_string());
    }
    lines.join("\n")
}

/// One grid column: header and cells, already rendered.
struct Column {
    header: String,
    cells: Vec<String>,
}

/// Lays out columns as DolphinDB does: each column as wide as its widest text (capped at
/// `width_max`, longer text cut to `...`), a dashed rule under the header, one space between
/// columns; columns that would pass `DISPLAY_WIDTH` become a trailing `...`.
fn grid(
    label: Option<Column>,
    columns: Vec<Column>,
    total_rows: usize,
    width_max: usize,
) -> String {
    let rows = columns.first().map_or(0, |c| c.cells.len());
    let mut lines: Vec<String> = vec![String::new(); rows + 1];
    let mut rule = String::new();
    let mut length = 0;
    if let Some(l) = label {
        let w = l.cells.iter().map(|c| c.chars().count()).max().unwrap_or(0);
        push_cell(&mut lines[0], &l.header, w);
        lines[0].push(' ');
        for (i, c) in l.cells.iter().enumerate() {
            push_cell(&mut lines[i + 1], c, w);
            lines[i + 1].push('|');
        }
        rule.push_str(&" ".repeat(w + 1));
        length += w + 1;
    }
    let ncols = columns.len();
    let mut shown = 0;
    for (j, col) in columns.iter().enumerate() {
        let content = col
            .cells
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0);
        let mut w = content.min(width_max);
        let hw = col.header.chars().count();
        if hw > w {
            w = hw.min(width_max);
        }
        let last = j + 1 == ncols;
        let step = if last { w } else { w + 1 };
        if length + step > DISPLAY_WIDTH && !last && j > 0 {
            break;
        }
        rule.push_str(&"-".repeat(w));
        if !last {
            rule.push(' ');
        }
        // A cut cell fills its column; the separating space always follows.
        let sep = if last { "" } else { " " };
        push_cell(&mut lines[0], &col.header, w);
        lines[0].push_str(sep);
        for (i, c) in col.cells.iter().enumerate() {
            push_cell(&mut lines[i + 1], c, w);
            lines[i + 1].push_str(sep);
        }
        length += step;
        shown += 1;
    }
    if shown < ncols {
        for l in lines.iter_mut() {
            l.push_str("...");
        }
        rule.push_str("---");
    }
    let mut out: Vec<String> = Vec::with_capacity(rows + 3);
    out.push(lines[0].trim_end().to_string());
    out.push(rule.trim_end().to_string());
    out.extend(lines[1..].iter().map(|l| l.trim_end().to_string()));
    if rows < total_rows {
        out.push("...".to_string());
    }
    out.join("\n")
}

/// Appends `text` padded to `width` characters, or cut to `width - 3` plus `...`.
fn push_cell(line: &mut String, text: &str, width: usize) {
    let n = text.chars().count();
    if n <= width {
        line.push_str(text);
        line.push_str(&" ".repeat(width - n));
    } else {
        if width > 3 {
            line.extend(text.chars().take(width - 3));
        }
        line.push_str("...");
    }
}

fn matrix_display(m: &Matrix) -> String {
    let rows = m.rows.min(DISPLAY_ROWS_MAX);
    let label = m.row_labels.as_ref().map(|l| Column {
        header: String::new(),
        cells: (0..rows.min(l.len()))
            .map(|i| element_string(l, i))
            .collect(),
    });
    let columns = (0..m.cols)
        .map(|j| Column {
            header: match &m.col_labels {
                Some(l) if j < l.len() => element_string(l, j),
                _ => format!("#{j}"),
            },
            cells: (0..rows)
                .map(|i| element_string(&m.data, j * m.rows + i))
                .collect(),
        })
        .collect();
    grid(label, columns, m.rows, MATRIX_COL_WIDTH_MAX)
}

fn table_display(t: &Table) -> String {
    let total = t.rows();
    let rows = total.min(DISPLAY_ROWS_MAX);
    let width_max = DISPLAY_WIDTH / t.cols().clamp(1, DISPLAY_COLS) + 5;
    let columns = t
        .names
        .iter()
        .zip(&t.columns)
        .map(|(name, col)| Column {
            header: name.clone(),
            cells: (0..rows.min(col.len()))
                .map(|i| element_string(col, i))
                .collect(),
        })
        .collect();
    grid(None, columns, total, width_max)
}

#[cfg(test)]
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;
    use crate::types::null;
    use crate::vector::{ArrayData, SymbolVec};
    use DataType::*;

    fn show_vec(v: Vector) -> std::string::String {
        to_display(&Value::vector(v))
    }

    #[test]
    fn floats_use_six_decimals_then_scientific() {
        // DolphinDB docs print avg(sin(abs(-100..100))) as -0.001265 and sin(10)+cos(10) as
        // -1.383093; string(3.14) is 3.14 and 1.0 shows as 1.
        assert_eq!(float_string(-0.0012650398), "-0.001265");
        assert_eq!(float_string(-1.383093117), "-1.383093");
        assert_eq!(float_string(3.14), "3.14");
        assert_eq!(float_string(1.0), "1");
        assert_eq!(float_string(1.0 / 3.0), "0.333333");
        assert_eq!(float_string(0.0), "0");
        assert_eq!(float_string(-0.0), "0");
        assert_eq!(float_string(1e6), "1.0E6");
        assert_eq!(float_string(12345678.0), "1.234568E7");
        assert_eq!(float_string(5.297834e11), "5.297834E11");
        assert_eq!(float_string(1e-7), "1.0E-7");
        assert_eq!(float_string(999999.9999999), "1000000");
        assert_eq!(float_string(f64::NAN), "nan");
        assert_eq!(float_string(f64::NEG_INFINITY), "-inf");
        assert_eq!(float_string(3.14f32 as f64), "3.14");
    }

    #[test]
    fn element_strings() {
        assert_eq!(
            element_string(&Vector::from_i8(Bool, vec![1, 0]), 0),
            "true"
        );
        assert_eq!(element_string(&Vector::from_i8(Char, vec![99]), 0), "c");
        assert_eq!(
            element_string(&Vector::from_i32(Int, vec![null::I32]), 0),
            ""
        );
        assert_eq!(
            element_string(&Vector::from_i32(Date, vec![15504]), 0),
            "2012.06.13"
        );
        let d = Vector::decimal(Decimal32, 2, Data::I32(vec![14200, -5, 314]));
        assert_eq!(element_string(&d, 0), "142.00");
        assert_eq!(element_string(&d, 1), "-0.05");
        assert_eq!(element_string(&d, 2), "3.14");
        let d0 = Vector::decimal(Decimal64, 0, Data::I64(vec![-7]));
        assert_eq!(element_string(&d0, 0), "-7");
        assert_eq!(element_string(&Vector::from_f64(vec![null::F64]), 0), "");
    }

    #[test]
    fn ip_text() {
        assert_eq!(ip_string(0xC0A8010D), "192.168.1.13");
        let v6 = |s: &str| {
            u128::from(
                s.parse::<std::net::Ipv6Addr>()
                    .unwrap_or(std::net::Ipv6Addr::UNSPECIFIED),
            )
        };
        assert_eq!(ip_string(v6("2001:db8::1")), "2001:db8::1");
        assert_eq!(ip_string(v6("::1:0:0:1")), "0::1:0:0:1");
        assert_eq!(ip_string(v6("1:2:3:4:5:6:7:8")), "1:2:3:4:5:6:7:8");
        assert_eq!(ip_string(v6("1:0:0:0:0:0:0:0")), "1::0");
    }

    #[test]
    fn scalars() {
        assert_eq!(to_display(&Value::int(3)), "3");
        assert_eq!(to_display(&Value::double(3.5)), "3.5");
        assert_eq!(to_display(&Value::string("abc")), "abc");
        assert_eq!(to_display(&Value::bool(true)), "true");
        assert_eq!(to_display(&Value::i32_of(Date, 19132)), "2022.05.20");
        assert_eq!(to_display(&Value::null(Int)), "");
        assert_eq!(to_display(&Value::void()), "");
        // DolphinDB docs: a=char(99); a shows 'c'.
        assert_eq!(to_display(&Value::char(99)), "'c'");
        // DolphinDB docs: decimal32(142, 2) shows 142.00.
        let d = Vector::decimal(Decimal32, 2, Data::I32(vec![14200]));
        assert_eq!(to_display(&Value::Scalar(d)), "142.00");
    }

    #[test]
    fn vectors_pairs_tuples_sets() {
        assert_eq!(show_vec(Vector::from_i32(Int, vec![1, 2, 3])), "[1,2,3]");
        // DolphinDB docs: x/-5 with every element null shows [,,].
        assert_eq!(show_vec(Vector::from_i32(Int, vec![null::I32; 3])), "[,,]");
        assert_eq!(show_vec(Vector::from_i32(Int, vec![null::I32])), "[00i]");
        assert_eq!(show_vec(Vector::from_i32(Int, vec![])), "[]");
        assert_eq!(
            show_vec(Vector::from_strings(vec![
                "a".into(),
                "".into(),
                "b".into()
            ])),
            "[\"a\",,\"b\"]"
        );
        let sym = Vector::new(Symbol, Data::Sym(SymbolVec::from_strings(&["x", "y"])));
        assert_eq!(show_vec(sym), "[\"x\",\"y\"]");
        // DolphinDB docs: datehour([...]) shows [2012.06.15T15,2012.06.15T17].
        let dh = Vector::from_i32(DateHour, vec![15506 * 24 + 15, 15506 * 24 + 17]);
        assert_eq!(show_vec(dh), "[2012.06.15T15,2012.06.15T17]");
        // DolphinDB docs: isNanInf(...) shows [false,true,false,true,false,false].
        assert_eq!(show_vec(Vector::from_i8(Bool, vec![0, 1])), "[false,true]");
        let d = Vector::decimal(Decimal32, 4, Data::I32(vec![12300, 30000, 31400]));
        assert_eq!(show_vec(d), "[1.2300,3.0000,3.1400]");
        // DolphinDB docs: 9/2:5 shows 4 : 1.
        let p = Value::pair(Vector::from_i32(Int, vec![4, 1]));
        assert_eq!(to_display(&p), "4 : 1");
        let t = Value::tuple(vec![
            Value::int(1),
            Value::string("a"),
            Value::vector(Vector::from_i32(Int, vec![2, 3])),
        ]);
        assert_eq!(to_display(&t), "(1,\"a\",[2,3])");
        let s = Value::set(Set::from_vector(&Vector::from_i32(Int, vec![3, 2, 1])));
        assert_eq!(to_display(&s), "set(3,2,1)");
        let long = Vector::from_i32(Int, (0..2000).collect());
        let text = show_vec(long);
        assert!(text.ends_with("1023...]"));
        let arr = Vector {
            ty: Int,
            scale: 0,
            data: Data::Array(ArrayData {
                offsets: vec![0, 2, 3],
                values: Box::new(Vector::from_i32(Int, vec![1, 2, 3])),
            }),
        };
        assert_eq!(show_vec(arr), "[[1,2],[3]]");
    }

    #[test]
    fn dictionaries() {
        let d = Dict::from_vectors(
            Vector::from_strings(vec!["a".into(), "b".into()]),
            Vector::from_i32(Int, vec![1, 2]),
        );
        assert_eq!(to_display(&Value::dict(d)), "a->1\nb->2");
    }

    #[test]
    fn matrices() {
        // DolphinDB docs: m1=1..6$2:3 shows headers #0 #1 #2 and rows 1 3 5 / 2 4 6.
        let m = Matrix::new(Vector::from_i32(Int, (1..=6).collect()), 2, 3);
        assert_eq!(
            to_display(&Value::Matrix(std::sync::Arc::new(m))),
            "#0 #1 #2\n-- -- --\n1  3  5\n2  4  6"
        );
    }

    #[test]
    fn tables() {
        let t = Table::new(
            vec!["id".into(), "name".into(), "price".into()],
            vec![
                Vector::from_i32(Int, vec![1, 2, null::I32]),
                Vector::from_strings(vec!["apple".into(), "kiwi".into(), "".into()]),
                Vector::from_f64(vec![3.5, 10.25, 1.0]),
            ],
        );
        assert_eq!(
            to_display(&Value::table(t)),
            "id name  price\n-- ----- -----\n1  apple 3.5\n2  kiwi  10.25\n         1"
        );
    }

    #[test]
    fn a_cut_cell_keeps_the_space_before_the_next_column() {
        let long = "x".repeat(80);
        let t = Table::new(
            vec!["s".into(), "n".into()],
            vec![
                Vector::from_strings(vec![long]),
                Vector::from_i32(Int, vec![7]),
            ],
        );
        let text = to_display(&Value::table(t));
        let row = text.lines().nth(2).unwrap_or("");
        // Two columns: each is at most 120 / 2 + 5 = 65 characters wide.
        assert_eq!(row, format!("{}... 7", "x".repeat(62)));
        let rule = text.lines().nth(1).unwrap_or("");
        assert_eq!(rule, format!("{} -", "-".repeat(65)));
    }
}
