//! Built-ins: strings. Case and trimming, slicing (`substr`, `left`, `right`), search
//! (`strFind`, `startsWith`, `like`, `regexFind`), replacement, padding, splitting and joining,
//! character classes (`isDigit`, ...), number formatting (`format`) and encoding conversion.
//!
//! Every function is element-wise over a STRING or SYMBOL scalar or vector and keeps the form
//! of its first argument; a null string is the empty string, as in DolphinDB. Byte offsets are
//! used for `strlen`/`substr`/`left`/`right` (DolphinDB counts bytes); `substru` counts
//! characters.

use regex::Regex;
use value::{Data, DataType, Value, Vector};

use super::data_util::{self, int_arg, str_arg, vector_arg};
use super::{builtin, Builtin, Env, Kind};
use crate::{bail, Result};

/// The longest string `repeat` may produce (bytes).
const STRING_LEN_MAX: usize = 1 << 28;

/// The longest string `lpad` and `rpad` produce (characters), as in DolphinDB.
const PAD_LEN_MAX: usize = 65536;

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin("strlen", 1, 1, Kind::Scalar, strlen),
        builtin("upper", 1, 1, Kind::Scalar, upper),
        builtin("lower", 1, 1, Kind::Scalar, lower),
        builtin("initcap", 1, 1, Kind::Scalar, initcap),
        builtin("trim", 1, 1, Kind::Scalar, trim),
        builtin("ltrim", 1, 1, Kind::Scalar, ltrim),
        builtin("rtrim", 1, 1, Kind::Scalar, rtrim),
        builtin("substr", 2, 3, Kind::Scalar, substr),
        builtin("substru", 2, 3, Kind::Scalar, substru),
        builtin("left", 2, 2, Kind::Scalar, left),
        builtin("right", 2, 2, Kind::Scalar, right),
        builtin("charAt", 2, 2, Kind::Scalar, char_at),
        builtin("split", 1, 2, Kind::Other, split),
        builtin("concat", 1, 2, Kind::Other, concat),
        builtin("strReplace", 3, 3, Kind::Scalar, str_replace),
        builtin("like", 2, 2, Kind::Scalar, like),
        builtin("ilike", 2, 2, Kind::Scalar, ilike),
        builtin("regexFind", 2, 3, Kind::Scalar, regex_find),
        builtin("regexReplace", 3, 4, Kind::Scalar, regex_replace),
        builtin("regexCount", 2, 3, Kind::Scalar, regex_count),
        builtin("lpad", 2, 3, Kind::Scalar, lpad),
        builtin("rpad", 2, 3, Kind::Scalar, rpad),
        builtin("startsWith", 2, 2, Kind::Scalar, starts_with),
        builtin("endsWith", 2, 2, Kind::Scalar, ends_with),
        builtin("strFind", 2, 3, Kind::Scalar, str_find),
        builtin("repeat", 2, 2, Kind::Scalar, repeat),
        builtin("isAlpha", 1, 1, Kind::Scalar, is_alpha),
        builtin("isDigit", 1, 1, Kind::Scalar, is_digit),
        builtin("isAlNum", 1, 1, Kind::Scalar, is_alnum),
        builtin("isSpace", 1, 1, Kind::Scalar, is_space),
        builtin("isUpper", 1, 1, Kind::Scalar, is_upper),
        builtin("isLower", 1, 1, Kind::Scalar, is_lower),
        builtin("isTitle", 1, 1, Kind::Scalar, is_title),
        builtin("format", 2, 2, Kind::Scalar, format),
        builtin("convertEncode", 3, 3, Kind::Scalar, convert_encode),
    ]
}

/// The texts of a STRING or SYMBOL argument.
fn texts<'a>(func: &str, v: &'a Value) -> Result<(Vec<&'a str>, &'a Vector)> {
    let vec = vector_arg(func, v, "str")?;
    match &vec.data {
        Data::Str(s) => Ok((s.iter().map(|x| x.as_str()).collect(), vec)),
        Data::Sym(s) => Ok((s.iter().collect(), vec)),
        Data::Void(n) => {
            let _ = n;
            Ok((vec![""; vec.len()], vec))
        }
        _ => bail!("The argument of function [{}] must be a string", func),
    }
}

/// Strings out, in the form of `like` (SYMBOL input stays SYMBOL).
fn out_strings(like: &Value, input: &Vector, out: Vec<String>) -> Result<Value> {
    let v = Vector::from_strings(out);
    let v = if input.ty == DataType::Symbol {
        data_util::cast(&v, DataType::Symbol, 0)?
    } else {
        v
    };
    Ok(data_util::same_form(like, v))
}

fn out_ints(like: &Value, out: Vec<i32>) -> Value {
    data_util::same_form(like, Vector::from_i32(DataType::Int, out))
}

fn out_bools(like: &Value, out: Vec<bool>) -> Value {
    data_util::same_form(
        like,
        Vector::from_i8(DataType::Bool, out.into_iter().map(|b| b as i8).collect()),
    )
}

/// Applies `f` to each string of the first argument.
fn map_strings(func: &str, args: &[Value], f: impl Fn(&str) -> String) -> Result<Value> {
    let (xs, vec) = texts(func, &args[0])?;
    let out = xs.iter().map(|s| f(s)).collect();
    out_strings(&args[0], vec, out)
}

/// A second argument that is a scalar or a vector as long as the first: its element `i`.
struct Broadcast<'a> {
    items: Vec<&'a str>,
}

impl<'a> Broadcast<'a> {
    fn new(func: &str, v: &'a Value, n: usize) -> Result<Broadcast<'a>> {
        let (items, _) = texts(func, v)?;
        if items.len() != 1 && items.len() != n {
            bail!(
                "The arguments of function [{}] must have the same length",
                func
            );
        }
        Ok(Broadcast { items })
    }

    fn at(&self, i: usize) -> &'a str {
        if self.items.len() == 1 {
            self.items[0]
        } else {
            self.items[i]
        }
    }
}

fn strlen(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (xs, _) = texts("strlen", &args[0])?;
    Ok(out_ints(
        &args[0],
        xs.iter().map(|s| s.len() as i32).collect(),
    ))
}

fn upper(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_strings("upper", args, |s| s.to_uppercase())
}

fn lower(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_strings("lower", args, |s| s.to_lowercase())
}

/// `initcap(X)`: the first letter of each word upper case, the rest lower case.
fn initcap(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_strings("initcap", args, |s| {
        let mut out = String::with_capacity(s.len());
        let mut start = true;
        for c in s.chars() {
            if c.is_alphanumeric() {
                if start {
                    out.extend(c.to_uppercase());
                } else {
                    out.extend(c.to_lowercase());
                }
                start = false;
            } else {
                out.push(c);
                start = true;
            }
        }
        out
    })
}

fn trim(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_strings("trim", args, |s| s.trim().to_string())
}

fn ltrim(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_strings("ltrim", args, |s| s.trim_start().to_string())
}

fn rtrim(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    map_strings("rtrim", args, |s| s.trim_end().to_string())
}

/// The byte range `[start, start+len)` clipped to `s`, moved to char boundaries.
fn byte_slice(s: &str, start: i64, len: Option<i64>) -> String {
    let n = s.len() as i64;
    let a = start.clamp(0, n) as usize;
    let b = match len {
        Some(l) => (start.saturating_add(l.max(0))).clamp(0, n) as usize,
        None => n as usize,
    };
    if a >= b {
        return String::new();
    }
    String::from_utf8_lossy(&s.as_bytes()[a..b]).into_owned()
}

/// `substr(str, offset, [length])`: bytes from a 0-based offset.
fn substr(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let start = int_arg("substr", &args[1], "offset")?;
    let len = match args.get(2) {
        Some(v) => Some(int_arg("substr", v, "length")?),
        None => None,
    };
    map_strings("substr", args, |s| byte_slice(s, start, len))
}

/// `substru(str, offset, [length])`: like `substr`, counting Unicode characters.
fn substru(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let start = int_arg("substru", &args[1], "offset")?.max(0) as usize;
    let len = match args.get(2) {
        Some(v) => Some(int_arg("substru", v, "length")?.max(0) as usize),
        None => None,
    };
    map_strings("substru", args, |s| {
        let it = s.chars().skip(start);
        match len {
            Some(l) => it.take(l).collect(),
            None => it.collect(),
        }
    })
}

/// `left(X, n)`: the first n bytes.
fn left(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let n = int_arg("left", &args[1], "n")?;
    map_strings("left", args, |s| byte_slice(s, 0, Some(n)))
}

/// `right(X, n)`: the last n bytes.
fn right(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let n = int_arg("right", &args[1], "n")?.max(0);
    map_strings("right", args, |s| {
        let len = s.len() as i64;
        byte_slice(s, (len - n).max(0), None)
    })
}

/// `charAt(X, index)`: the byte at a 0-based index as a CHAR (null when out of range).
fn char_at(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (xs, _) = texts("charAt", &args[0])?;
    let iv = vector_arg("charAt", &args[1], "index")?;
    if iv.len() != 1 && iv.len() != xs.len() {
        bail!("The arguments of function [charAt] must have the same length");
    }
    let out: Vec<i8> = xs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let k = iv.i64_at(if iv.len() == 1 { 0 } else { i });
            match k {
                Some(k) if k >= 0 && (k as usize) < s.len() => s.as_bytes()[k as usize] as i8,
                _ => i8::MIN,
            }
        })
        .collect();
    Ok(data_util::same_form(
        &args[0],
        Vector::from_i8(DataType::Char, out),
    ))
}

/// Splits one string: into CHARs without a delimiter, else at each occurrence of it.
fn split_one(s: &str, delim: Option<&str>) -> Vector {
    match delim {
        None => Vector::from_i8(DataType::Char, s.bytes().map(|b| b as i8).collect()),
        Some("") => Vector::from_strings(vec![s.to_string()]),
        Some(d) => Vector::from_strings(s.split(d).map(String::from).collect()),
    }
}

/// `split(str, [delimiter])`: a vector per string; a tuple of them for a vector input.
fn split(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let delim: Option<String> = match args.get(1) {
        None => None,
        Some(Value::Scalar(d)) if d.ty == DataType::Char => {
            d.i64_at(0).map(|c| ((c as u8) as char).to_string())
        }
        Some(d) => Some(str_arg("split", d, "delimiter")?.to_string()),
    };
    let (xs, _) = texts("split", &args[0])?;
    match &args[0] {
        Value::Scalar(_) => Ok(Value::vector(split_one(xs[0], delim.as_deref()))),
        _ => Ok(Value::tuple(
            xs.iter()
                .map(|s| Value::vector(split_one(s, delim.as_deref())))
                .collect(),
        )),
    }
}

/// `concat(X, [Y])`: two strings joined, or the elements of a vector joined with Y between.
fn concat(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let sep = match args.get(1) {
        Some(v) if !v.is_void() => text_of(v)?,
        _ => String::new(),
    };
    match &args[0] {
        Value::Vector(v) => {
            let parts: Vec<String> = (0..v.len())
                .map(|i| value::display::element_string(v, i))
                .collect();
            Ok(Value::string(parts.join(&sep)))
        }
        x => Ok(Value::string(format!("{}{}", text_of(x)?, sep))),
    }
}

/// A scalar as text (CHAR as its character, other types as `string()` shows them).
fn text_of(v: &Value) -> Result<String> {
    match v {
        Value::Scalar(s) if s.ty == DataType::Char => Ok(s
            .i64_at(0)
            .map(|c| ((c as u8) as char).to_string())
            .unwrap_or_default()),
        Value::Scalar(s) => Ok(value::display::element_string(s, 0)),
        _ => bail!("The arguments of function [concat] must be strings"),
    }
}

/// `strReplace(str, pattern, replacement)`: replaces every occurrence.
fn str_replace(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let pattern = str_arg("strReplace", &args[1], "pattern")?.to_string();
    let replacement = str_arg("strReplace", &args[2], "replacement")?.to_string();
    map_strings("strReplace", args, |s| {
        if pattern.is_empty() {
            s.to_string()
        } else {
            s.replace(&pattern, &replacement)
        }
    })
}

/// A `like` pattern (`%` matches any run of characters) as an anchored regex.
fn like_regex(pattern: &str, case_insensitive: bool) -> Result<Regex> {
    let mut re = String::from(if case_insensitive { "(?is)^" } else { "(?s)^" });
    for (i, part) in pattern.split('%').enumerate() {
        if i > 0 {
            re.push_str(".*");
        }
        re.push_str(&regex::escape(part));
    }
    re.push('$');
    Regex::new(&re).map_err(|e| crate::Error::new(format!("Invalid pattern: {}", e)))
}

fn like_impl(func: &str, args: &[Value], ci: bool) -> Result<Value> {
    let (xs, _) = texts(func, &args[0])?;
    let re = like_regex(str_arg(func, &args[1], "pattern")?, ci)?;
    Ok(out_bools(
        &args[0],
        xs.iter().map(|s| re.is_match(s)).collect(),
    ))
}

/// `like(X, pattern)`: `%` matches any characters; case-sensitive.
fn like(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    like_impl("like", args, false)
}

/// `ilike(X, pattern)`: case-insensitive `like`.
fn ilike(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    like_impl("ilike", args, true)
}

fn regex_arg(func: &str, v: &Value) -> Result<Regex> {
    let p = str_arg(func, v, "pattern")?;
    Regex::new(p).map_err(|e| crate::Error::new(format!("Invalid regular expression: {}", e)))
}

fn offset_arg(func: &str, v: Option<&Value>) -> Result<usize> {
    match v {
        Some(v) => Ok(int_arg(func, v, "offset")?.max(0) as usize),
        None => Ok(0),
    }
}

/// The part of `s` from byte `offset` (moved to a char boundary).
fn tail_from(s: &str, offset: usize) -> (usize, &str) {
    let mut k = offset.min(s.len());
    while !s.is_char_boundary(k) {
        k += 1;
    }
    (k, &s[k..])
}

/// `regexFind(str, pattern, [offset=0])`: the position of the first match, or -1.
fn regex_find(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (xs, _) = texts("regexFind", &args[0])?;
    let re = regex_arg("regexFind", &args[1])?;
    let off = offset_arg("regexFind", args.get(2))?;
    let out = xs
        .iter()
        .map(|s| {
            let (k, rest) = tail_from(s, off);
            re.find(rest).map(|m| (k + m.start()) as i32).unwrap_or(-1)
        })
        .collect();
    Ok(out_ints(&args[0], out))
}

/// `regexReplace(str, pattern, replacement, [offset=0])`.
fn regex_replace(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let re = regex_arg("regexReplace", &args[1])?;
    let rep = str_arg("regexReplace", &args[2], "replacement")?.to_string();
    let off = offset_arg("regexReplace", args.get(3))?;
    map_strings("regexReplace", args, |s| {
        let (k, rest) = tail_from(s, off);
        format!("{}{}", &s[..k], re.replace_all(rest, rep.as_str()))
    })
}

/// `regexCount(str, pattern, [offset=0])`: how many matches.
fn regex_count(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (xs, _) = texts("regexCount", &args[0])?;
    let re = regex_arg("regexCount", &args[1])?;
    let off = offset_arg("regexCount", args.get(2))?;
    let out = xs
        .iter()
        .map(|s| re.find_iter(tail_from(s, off).1).count() as i32)
        .collect();
    Ok(out_ints(&args[0], out))
}

fn pad(func: &str, args: &[Value], at_left: bool) -> Result<Value> {
    let len = int_arg(func, &args[1], "length")?;
    if len < 0 {
        bail!(
            "The length of function [{}] must be a non-negative integer",
            func
        );
    }
    // DolphinDB caps the padded length at 65536.
    let len = (len as usize).min(PAD_LEN_MAX);
    let fill = match args.get(2) {
        Some(p) => str_arg(func, p, "pattern")?.to_string(),
        None => " ".to_string(),
    };
    map_strings(func, args, |s| {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() >= len {
            return chars[..len].iter().collect();
        }
        if fill.is_empty() {
            return s.to_string();
        }
        let padding: String = fill.chars().cycle().take(len - chars.len()).collect();
        if at_left {
            format!("{}{}", padding, s)
        } else {
            format!("{}{}", s, padding)
        }
    })
}

/// `lpad(str, length, [pattern=" "])`.
fn lpad(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pad("lpad", args, true)
}

/// `rpad(str, length, [pattern=" "])`.
fn rpad(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    pad("rpad", args, false)
}

fn affix(func: &str, args: &[Value], prefix: bool) -> Result<Value> {
    let (xs, _) = texts(func, &args[0])?;
    let ys = Broadcast::new(func, &args[1], xs.len())?;
    let out = xs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let y = ys.at(i);
            if prefix {
                s.starts_with(y)
            } else {
                s.ends_with(y)
            }
        })
        .collect();
    Ok(out_bools(&args[0], out))
}

/// `startsWith(X, str)`.
fn starts_with(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    affix("startsWith", args, true)
}

/// `endsWith(X, str)`.
fn ends_with(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    affix("endsWith", args, false)
}

/// `strFind(str, substr, [offset=0])`: the first position of substr at or after offset, or -1.
fn str_find(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let (xs, _) = texts("strFind", &args[0])?;
    let ys = Broadcast::new("strFind", &args[1], xs.len())?;
    let off = offset_arg("strFind", args.get(2))?;
    let out = xs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (k, rest) = tail_from(s, off);
            rest.find(ys.at(i)).map(|p| (k + p) as i32).unwrap_or(-1)
        })
        .collect();
    Ok(out_ints(&args[0], out))
}

/// `repeat(X, n)`: each string repeated n times.
fn repeat(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let n = int_arg("repeat", &args[1], "n")?.max(0) as usize;
    let (xs, _) = texts("repeat", &args[0])?;
    if xs
        .iter()
        .any(|s| s.len().saturating_mul(n) > STRING_LEN_MAX)
    {
        bail!("The result of function [repeat] is too long");
    }
    map_strings("repeat", args, |s| s.repeat(n))
}

fn classify(func: &str, args: &[Value], f: impl Fn(&str) -> bool) -> Result<Value> {
    let (xs, _) = texts(func, &args[0])?;
    Ok(out_bools(
        &args[0],
        xs.iter().map(|s| !s.is_empty() && f(s)).collect(),
    ))
}

fn is_alpha(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    classify("isAlpha", args, |s| s.chars().all(|c| c.is_alphabetic()))
}

fn is_digit(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    classify("isDigit", args, |s| s.chars().all(|c| c.is_ascii_digit()))
}

fn is_alnum(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    classify("isAlNum", args, |s| s.chars().all(|c| c.is_alphanumeric()))
}

fn is_space(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    classify("isSpace", args, |s| s.chars().all(|c| c.is_whitespace()))
}

/// `isUpper`: has a cased letter and no lower-case letter.
fn is_upper(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    classify("isUpper", args, |s| {
        s.chars().any(|c| c.is_uppercase()) && !s.chars().any(|c| c.is_lowercase())
    })
}

/// `isLower`: has a cased letter and no upper-case letter.
fn is_lower(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    classify("isLower", args, |s| {
        s.chars().any(|c| c.is_lowercase()) && !s.chars().any(|c| c.is_uppercase())
    })
}

/// `isTitle`: every word starts with an upper-case letter followed by lower-case letters.
fn is_title(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    classify("isTitle", args, |s| {
        let mut cased = false;
        let mut prev_cased = false;
        for c in s.chars() {
            if c.is_uppercase() {
                if prev_cased {
                    return false;
                }
                prev_cased = true;
                cased = true;
            } else if c.is_lowercase() {
                if !prev_cased {
                    return false;
                }
                prev_cased = true;
                cased = true;
            } else {
                prev_cased = false;
            }
        }
        cased
    })
}

/// A numeric format such as `0.00`, `#,##0.0`, `0.0%`: digits after the point, grouping and
/// percent, with any literal prefix and suffix kept.
fn format_number(x: f64, pattern: &str) -> String {
    let start = pattern.find(['0', '#']).unwrap_or(pattern.len());
    let end = pattern
        .rfind(['0', '#'])
        .map(|i| i + 1)
        .unwrap_or(start)
        .max(start);
    let (prefix, body, suffix) = (&pattern[..start], &pattern[start..end], &pattern[end..]);
    let percent = suffix.contains('%') || prefix.contains('%');
    let x = if percent { x * 100.0 } else { x };
    let (int_part, frac_part) = match body.find('.') {
        Some(p) => (&body[..p], &body[p + 1..]),
        None => (body, ""),
    };
    let min_frac = frac_part.chars().filter(|c| *c == '0').count();
    let max_frac = frac_part.len();
    let mut text = format!("{:.*}", max_frac, x.abs());
    if max_frac > min_frac {
        while text.ends_with('0')
            && text.len() - text.find('.').unwrap_or(text.len()) - 1 > min_frac
        {
            text.pop();
        }
        if text.ends_with('.') {
            text.pop();
        }
    }
    let (digits, frac) = match text.find('.') {
        Some(p) => (text[..p].to_string(), text[p..].to_string()),
        None => (text.clone(), String::new()),
    };
    let min_int = int_part.chars().filter(|c| *c == '0').count();
    let mut digits = if digits == "0" && min_int == 0 {
        String::new()
    } else {
        digits
    };
    while digits.len() < min_int {
        digits.insert(0, '0');
    }
    if int_part.contains(',') {
        let group = int_part.len() - int_part.rfind(',').unwrap_or(0) - 1;
        if group > 0 {
            let bytes: Vec<char> = digits.chars().collect();
            let mut grouped = String::new();
            for (i, c) in bytes.iter().enumerate() {
                if i > 0 && (bytes.len() - i) % group == 0 {
                    grouped.push(',');
                }
                grouped.push(*c);
            }
            digits = grouped;
        }
    }
    let sign = if x < 0.0
        && (digits
            .chars()
            .chain(frac.chars())
            .any(|c| c.is_ascii_digit() && c != '0'))
    {
        "-"
    } else {
        ""
    };
    format!("{}{}{}{}{}", sign, prefix, digits, frac, suffix)
}

/// `format(X, format)`: numbers by a decimal pattern (`0.00`, `#,##0`, `0.0%`); temporal
/// values by a `temporalFormat` pattern.
fn format(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let pattern = str_arg("format", &args[1], "format")?.to_string();
    let x = vector_arg("format", &args[0], "X")?;
    if x.ty.is_temporal() {
        return super::temporal::temporal_format_value(env, &args[0], &pattern);
    }
    if !x.ty.is_numeric() {
        bail!("The argument X of function [format] must be numeric or temporal");
    }
    let out = (0..x.len())
        .map(|i| match x.f64_at(i) {
            Some(f) => format_number(f, &pattern),
            None => String::new(),
        })
        .collect();
    Ok(data_util::same_form(&args[0], Vector::from_strings(out)))
}

/// `convertEncode(str, srcEncode, destEncode)`: re-encodes text between encodings. Like
/// `fromUTF8`, a result that is not valid UTF-8 is returned as a BLOB.
fn convert_encode(_env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    let enc = |v: &Value| -> Result<&'static encoding_rs::Encoding> {
        let label = str_arg("convertEncode", v, "encoding")?;
        encoding_rs::Encoding::for_label(label.trim().as_bytes())
            .ok_or_else(|| crate::Error::new(format!("Unsupported encoding: {}", label)))
    };
    let (src, dst) = (enc(&args[1])?, enc(&args[2])?);
    let v = vector_arg("convertEncode", &args[0], "str")?;
    let raw: Vec<Vec<u8>> = match &v.data {
        Data::Blob(b) => b.clone(),
        _ => texts("convertEncode", &args[0])?
            .0
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect(),
    };
    let encoded: Vec<Vec<u8>> = raw
        .iter()
        .map(|b| {
            let text = src.decode_without_bom_handling(b).0;
            dst.encode(&text).0.into_owned()
        })
        .collect();
    let out = match encoded
        .iter()
        .map(|b| String::from_utf8(b.clone()).ok())
        .collect::<Option<Vec<String>>>()
    {
        Some(s) => Vector::from_strings(s),
        None => Vector::new(DataType::Blob, Data::Blob(encoded)),
    };
    Ok(data_util::same_form(&args[0], out))
}

#[cfg(test)]
mod tests {
    use super::super::data_util::test_env::*;
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    #[test]
    fn basics() {
        assert_eq!(call("strlen", &[s("hello")]).unwrap().as_i64(), Some(5));
        assert_eq!(call("upper", &[s("abC")]).unwrap().as_str(), Some("ABC"));
        assert_eq!(call("trim", &[s("  a b ")]).unwrap().as_str(), Some("a b"));
        assert_eq!(
            call(
                "substr",
                &[s("This is a test"), Value::int(5), Value::int(2)]
            )
            .unwrap()
            .as_str(),
            Some("is")
        );
        assert_eq!(
            call("substr", &[s("This"), Value::int(2)])
                .unwrap()
                .as_str(),
            Some("is")
        );
        assert_eq!(
            call("substru", &[s("中文字"), Value::int(1), Value::int(1)])
                .unwrap()
                .as_str(),
            Some("文")
        );
        assert_eq!(
            call("left", &[s("abcdef"), Value::int(2)])
                .unwrap()
                .as_str(),
            Some("ab")
        );
        assert_eq!(
            call("right", &[s("abcdef"), Value::int(2)])
                .unwrap()
                .as_str(),
            Some("ef")
        );
        let v = call("upper", &[strs(&["a", ""])]).unwrap();
        assert_eq!(as_strs(&v), vec!["A", ""]);
        assert_eq!(
            call("initcap", &[s("hello WORLD")]).unwrap().as_str(),
            Some("Hello World")
        );
    }

    #[test]
    fn split_and_concat() {
        let v = call("split", &[s("xyz 1"), s(" ")]).unwrap();
        assert_eq!(as_strs(&v), vec!["xyz", "1"]);
        let v = call("split", &[s("xyz1"), s("xyz")]).unwrap();
        assert_eq!(as_strs(&v), vec!["", "1"]);
        let v = call("split", &[s("ab")]).unwrap();
        assert_eq!(v.data_type(), DataType::Char);
        let t = call("split", &[strs(&["a b", "c d"]), s(" ")]).unwrap();
        assert_eq!(t.data_type(), DataType::Any);
        assert_eq!(
            call("concat", &[strs(&["IBM", "GOOG"]), s(",")])
                .unwrap()
                .as_str(),
            Some("IBM,GOOG")
        );
        assert_eq!(
            call("concat", &[s("hello"), s("world")]).unwrap().as_str(),
            Some("helloworld")
        );
    }

    #[test]
    fn search_and_regex() {
        let v = call("like", &[strs(&["ABCD", "XBC"]), s("%BC%")]).unwrap();
        assert_eq!(as_i64s(&v), vec![1, 1]);
        let v = call("like", &[s("abc"), s("A%")]).unwrap();
        assert_eq!(v.as_bool(), Some(false));
        assert_eq!(
            call("ilike", &[s("abc"), s("A%")]).unwrap().as_bool(),
            Some(true)
        );
        assert_eq!(
            call("strFind", &[s("abcabc"), s("c"), Value::int(3)])
                .unwrap()
                .as_i64(),
            Some(5)
        );
        assert_eq!(
            call("strFind", &[s("abc"), s("z")]).unwrap().as_i64(),
            Some(-1)
        );
        assert_eq!(
            call("regexFind", &[s("abc123"), s("[0-9]+")])
                .unwrap()
                .as_i64(),
            Some(3)
        );
        assert_eq!(
            call("regexCount", &[s("a1b22c333"), s("[0-9]+")])
                .unwrap()
                .as_i64(),
            Some(3)
        );
        assert_eq!(
            call("regexReplace", &[s("a1b2"), s("[0-9]"), s("#")])
                .unwrap()
                .as_str(),
            Some("a#b#")
        );
        assert!(call("regexFind", &[s("a"), s("(")]).is_err());
        assert_eq!(
            call("startsWith", &[s("abc"), s("ab")]).unwrap().as_bool(),
            Some(true)
        );
        assert_eq!(
            call("strReplace", &[s("aXbX"), s("X"), s("--")])
                .unwrap()
                .as_str(),
            Some("a--b--")
        );
    }

    #[test]
    fn pads_and_classes() {
        assert_eq!(
            call("lpad", &[s("abc"), Value::int(5)]).unwrap().as_str(),
            Some("  abc")
        );
        assert_eq!(
            call("rpad", &[s("abc"), Value::int(6), s("xy")])
                .unwrap()
                .as_str(),
            Some("abcxyx")
        );
        assert_eq!(
            call("lpad", &[s("abcdef"), Value::int(3)])
                .unwrap()
                .as_str(),
            Some("abc")
        );
        assert_eq!(
            call("repeat", &[s("ab"), Value::int(3)]).unwrap().as_str(),
            Some("ababab")
        );
        assert_eq!(call("isDigit", &[s("123")]).unwrap().as_bool(), Some(true));
        assert_eq!(call("isDigit", &[s("")]).unwrap().as_bool(), Some(false));
        assert_eq!(
            call("isTitle", &[s("Hello World")]).unwrap().as_bool(),
            Some(true)
        );
        assert_eq!(call("isUpper", &[s("ABC1")]).unwrap().as_bool(), Some(true));
    }

    #[test]
    fn number_formats() {
        assert_eq!(format_number(3.14159, "0.00"), "3.14");
        assert_eq!(format_number(1234567.891, "#,##0.0"), "1,234,567.9");
        assert_eq!(format_number(0.256, "0.0%"), "25.6%");
        assert_eq!(format_number(-2.5, "0.00"), "-2.50");
        assert_eq!(format_number(5.0, "000"), "005");
    }
}
