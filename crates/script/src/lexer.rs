//! Tokens of DolphinDB's script language.
//!
//! Literals are decoded here, to a `Value`, because their end depends on their form
//! (`2022.05.20T13:50:59.123`, `13:50m`, `00i`, `1.5f`, `` `a`b ``). Whitespace matters to the
//! parser (space-separated vectors, statements ended by a newline), so every token records
//! whether a space or a newline came before it.

use value::{DataType, Value, Vector};

use crate::{Error, Result};

/// Longest script the lexer accepts, so a request cannot make it allocate without bound.
pub const SCRIPT_BYTES_MAX: usize = 64 << 20;

#[derive(Clone, Debug)]
pub enum Tok {
    /// A name: variable, function (`append!` keeps its `!`), keyword.
    Ident(String),
    /// A literal scalar (number, temporal, null, bool, char, string).
    Lit(Value),
    /// Backtick symbols: `` `a `` is one string, `` `a`b`c `` a string vector.
    Sym(Vec<String>),
    /// An operator or punctuation, e.g. `+`, `<=`, `..`, `(`.
    Op(&'static str),
    /// A higher-order symbol such as `:E` or `:LC` (letter, optional assemble rule).
    Template(char, Option<char>),
    Eof,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    /// 1-based line of the token's first character.
    pub line: u32,
    /// Byte offsets of the token in the source.
    pub start: usize,
    pub end: usize,
    /// Whitespace (or a comment) came right before this token.
    pub space_before: bool,
    /// A newline came before this token (after the previous token).
    pub newline_before: bool,
}

/// Operators, longest first so that `<=` wins over `<`.
const OPS: [&str; 40] = [
    "<<=", ">>=", "..", "<-", "<=", ">=", "==", "!=", "<>", "&&", "||", "<<", ">>", "**", "->",
    "+=", "-=", "*=", "/=", "%=", "++", "--", "+", "-", "*", "/", "\\", "%", "<", ">", "=", "!",
    "&", "|", "^", "$", ":", "(", ")", ",",
];
const OPS2: [&str; 6] = ["[", "]", "{", "}", ";", "@"];
const OPS3: [&str; 2] = [".", "?"];

/// Template letters after `:`: each, eachRight, eachLeft, eachPre, eachPost, accumulate,
/// reduce, groupby, cross (`:C`, and `:X` as older scripts write it).
const TEMPLATE_LETTERS: &str = "ERLPOATGCX";

pub fn tokenize(src: &str) -> Result<Vec<Token>> {
    if src.len() > SCRIPT_BYTES_MAX {
        return Err(Error::new(format!(
            "The script exceeds the maximum length of {} bytes",
            SCRIPT_BYTES_MAX
        )));
    }
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        line: 1,
        out: Vec::new(),
    };
    lx.run()?;
    Ok(lx.out)
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    line: u32,
    out: Vec<Token>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl<'a> Lexer<'a> {
    fn peek(&self, k: usize) -> u8 {
        *self.b.get(self.pos + k).unwrap_or(&0)
    }

    fn err(&self, msg: &str) -> Error {
        Error::new(format!("Syntax Error: [line #{}] {}", self.line, msg))
    }

    fn run(&mut self) -> Result<()> {
        loop {
            let (space, newline) = self.skip_space()?;
            let start = self.pos;
            let line = self.line;
            if self.pos >= self.b.len() {
                self.push(Tok::Eof, line, start, space, newline);
                return Ok(());
            }
            let tok = self.token()?;
            self.push(tok, line, start, space, newline);
        }
    }

    fn push(&mut self, tok: Tok, line: u32, start: usize, space: bool, newline: bool) {
        self.out.push(Token {
            tok,
            line,
            start,
            end: self.pos,
            space_before: space || newline || start == 0,
            newline_before: newline,
        });
    }

    /// Skips whitespace and comments; reports whether any was seen and whether it had a newline.
    fn skip_space(&mut self) -> Result<(bool, bool)> {
        let (mut space, mut newline) = (false, false);
        loop {
            let c = self.peek(0);
            if c == b'\n' {
                self.line += 1;
                newline = true;
                self.pos += 1;
            } else if c == b' ' || c == b'\t' || c == b'\r' || c == 0x0c {
                space = true;
                self.pos += 1;
            } else if c == b'/' && self.peek(1) == b'/' {
                while self.pos < self.b.len() && self.peek(0) != b'\n' {
                    self.pos += 1;
                }
                space = true;
            } else if c == b'/' && self.peek(1) == b'*' {
                self.pos += 2;
                loop {
                    if self.pos >= self.b.len() {
                        return Err(self.err("The comment is not closed"));
                    }
                    if self.peek(0) == b'*' && self.peek(1) == b'/' {
                        self.pos += 2;
                        break;
                    }
                    if self.peek(0) == b'\n' {
                        self.line += 1;
                        newline = true;
                    }
                    self.pos += 1;
                }
                space = true;
            } else {
                return Ok((space, newline));
            }
        }
    }

    fn token(&mut self) -> Result<Tok> {
        let c = self.peek(0);
        if c.is_ascii_digit() || (c == b'.' && self.peek(1).is_ascii_digit()) {
            return self.number();
        }
        if is_ident_start(c) {
            return Ok(self.ident());
        }
        match c {
            b'"' | b'\'' => return self.string(c),
            b'`' => return self.symbols(),
            b':' if self.is_template() => return Ok(self.template()),
            _ => {}
        }
        for op in OPS.iter().chain(OPS2.iter()).chain(OPS3.iter()) {
            if self.b[self.pos..].starts_with(op.as_bytes()) {
                self.pos += op.len();
                return Ok(Tok::Op(op));
            }
        }
        let ch = self.src[self.pos..].chars().next().unwrap_or('?');
        Err(self.err(&format!("Cannot recognize the token {}", ch)))
    }

    fn ident(&mut self) -> Tok {
        let start = self.pos;
        while is_ident_char(self.peek(0)) {
            self.pos += 1;
        }
        // `append!`, `sortBy!`: a trailing `!` belongs to the name unless it starts `!=`.
        if self.peek(0) == b'!' && self.peek(1) != b'=' {
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        match name {
            "true" => return Tok::Lit(Value::bool(true)),
            "false" => return Tok::Lit(Value::bool(false)),
            "NULL" | "null" => return Tok::Lit(Value::void()),
            _ => {}
        }
        // Array vector types: `INT[]` is the INT constant 64 + 4.
        if self.peek(0) == b'[' && self.peek(1) == b']' {
            if let Some(t) = array_type(name) {
                self.pos += 2;
                return Tok::Lit(Value::int(64 + t as i32));
            }
        }
        Tok::Ident(name.to_string())
    }

    fn is_template(&self) -> bool {
        let l = self.peek(1);
        if !TEMPLATE_LETTERS.as_bytes().contains(&l) {
            return false;
        }
        let mut k = 2;
        if matches!(self.peek(2), b'D' | b'C' | b'U' | b'K') {
            k = 3;
        }
        !is_ident_char(self.peek(k))
    }

    fn template(&mut self) -> Tok {
        let letter = self.peek(1) as char;
        self.pos += 2;
        let mut rule = None;
        if matches!(self.peek(0), b'D' | b'C' | b'U' | b'K') && !is_ident_char(self.peek(1)) {
            rule = Some(self.peek(0) as char);
            self.pos += 1;
        }
        Tok::Template(letter, rule)
    }

    fn string(&mut self, quote: u8) -> Result<Tok> {
        self.pos += 1;
        let mut s: Vec<u8> = Vec::new();
        loop {
            if self.pos >= self.b.len() {
                return Err(self.err("The string is not closed"));
            }
            let c = self.peek(0);
            if c == quote {
                self.pos += 1;
                break;
            }
            if c == b'\n' {
                self.line += 1;
            }
            if c == b'\\' && self.pos + 1 < self.b.len() {
                let e = self.peek(1);
                self.pos += 2;
                match e {
                    b'n' => s.push(b'\n'),
                    b't' => s.push(b'\t'),
                    b'r' => s.push(b'\r'),
                    b'0' => s.push(0),
                    b'\\' => s.push(b'\\'),
                    b'"' => s.push(b'"'),
                    b'\'' => s.push(b'\''),
                    other => {
                        s.push(b'\\');
                        s.push(other);
                    }
                }
                continue;
            }
            s.push(c);
            self.pos += 1;
        }
        let text = String::from_utf8_lossy(&s).into_owned();
        // 'a' is a CHAR; 'abc' and "a" are strings.
        if quote == b'\'' && s.len() == 1 {
            return Ok(Tok::Lit(Value::char(s[0] as i8)));
        }
        Ok(Tok::Lit(Value::string(text)))
    }

    fn symbols(&mut self) -> Result<Tok> {
        let mut items = Vec::new();
        while self.peek(0) == b'`' {
            self.pos += 1;
            let start = self.pos;
            if self.peek(0) == b'"' || self.peek(0) == b'\'' {
                let q = self.peek(0);
                match self.string(q)? {
                    Tok::Lit(v) => items.push(lit_text(&v)),
                    _ => items.push(String::new()),
                }
                continue;
            }
            while is_ident_char(self.peek(0)) || self.peek(0) == b'.' && self.dot_in_symbol() {
                self.pos += 1;
            }
            items.push(self.src[start..self.pos].to_string());
        }
        Ok(Tok::Sym(items))
    }

    /// A `.` continues a backtick symbol when a name character follows (`` `a.b ``), not when it
    /// starts an operator (`` `a..`b `` never occurs, but `` `a.f() `` might).
    fn dot_in_symbol(&self) -> bool {
        let next = self.peek(1);
        next.is_ascii_digit()
            || (is_ident_start(next) && {
                let mut k = 1;
                while is_ident_char(self.peek(k)) {
                    k += 1;
                }
                self.peek(k) != b'('
            })
    }

    fn digits(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek(0).is_ascii_digit() {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    fn number(&mut self) -> Result<Tok> {
        let start = self.pos;
        let int_part = self.digits();
        // Temporal forms start with digits followed by `.digits.` (date) or `:digits:`/`m`.
        if self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
            let save = self.pos;
            self.pos += 1;
            let frac = self.digits();
            if self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
                let day = self.digits_after_dot();
                return self.date_literal(int_part, frac, day);
            }
            if self.peek(0) == b'M' && !is_ident_char(self.peek(1)) && frac.len() == 2 {
                self.pos += 1;
                return self.month_literal(int_part, frac);
            }
            self.pos = save;
        }
        if int_part.len() == 2 && self.peek(0) == b':' && self.is_clock_ahead() {
            return self.time_literal(int_part);
        }
        self.pos = start;
        self.plain_number()
    }

    fn digits_after_dot(&mut self) -> &'a str {
        self.pos += 1;
        self.digits()
    }

    /// After `hh`, a clock literal continues with `:mm` and then `:ss` or a `m` suffix.
    fn is_clock_ahead(&self) -> bool {
        let d = |k: usize| self.peek(k).is_ascii_digit();
        if !(d(1) && d(2)) || d(3) {
            return false;
        }
        match self.peek(3) {
            b':' => d(4) && d(5),
            b'm' => !is_ident_char(self.peek(4)),
            _ => false,
        }
    }

    fn plain_number(&mut self) -> Result<Tok> {
        let start = self.pos;
        self.digits();
        let mut is_float = false;
        if self.peek(0) == b'.' && self.peek(1) != b'.' {
            is_float = true;
            self.pos += 1;
            self.digits();
        }
        if matches!(self.peek(0), b'e' | b'E')
            && (self.peek(1).is_ascii_digit()
                || (matches!(self.peek(1), b'+' | b'-') && self.peek(2).is_ascii_digit()))
        {
            is_float = true;
            self.pos += 2;
            self.digits();
        }
        let text = &self.src[start..self.pos];
        // Null literals: `00i`, `00f`, ...
        if text == "00" && is_ident_start(self.peek(0)) && !is_ident_char(self.peek(1)) {
            let ty = match self.peek(0) {
                b'b' => DataType::Bool,
                b'c' => DataType::Char,
                b'h' => DataType::Short,
                b'i' => DataType::Int,
                b'l' => DataType::Long,
                b'd' => DataType::Date,
                b'M' => DataType::Month,
                b't' => DataType::Time,
                b'm' => DataType::Minute,
                b's' => DataType::Second,
                b'D' => DataType::DateTime,
                b'T' => DataType::Timestamp,
                b'n' => DataType::NanoTime,
                b'N' => DataType::NanoTimestamp,
                b'f' => DataType::Float,
                b'F' => DataType::Double,
                b'S' => DataType::Symbol,
                b'W' => DataType::String,
                b'z' => DataType::DateHour,
                _ => return Err(self.err(&format!("Cannot recognize the token {}", text))),
            };
            self.pos += 1;
            return Ok(Tok::Lit(Value::null(ty)));
        }
        let suffix = self.suffix();
        number_value(text, is_float, suffix.as_deref())
            .ok_or_else(|| self.err(&format!("Invalid numeric literal {}", text)))
            .map(Tok::Lit)
    }

    /// A type or duration unit directly after a number: `c h i l b f F` or `ms us ns s m H d w
    /// M y B`.
    fn suffix(&mut self) -> Option<String> {
        let start = self.pos;
        let mut k = 0;
        while self.peek(k).is_ascii_alphabetic() {
            k += 1;
        }
        if k == 0 || k > 2 || is_ident_char(self.peek(k)) {
            return None;
        }
        let s = &self.src[start..start + k];
        let known = matches!(
            s,
            "c" | "h"
                | "i"
                | "l"
                | "b"
                | "f"
                | "F"
                | "ms"
                | "us"
                | "ns"
                | "s"
                | "m"
                | "H"
                | "d"
                | "w"
                | "M"
                | "y"
                | "B"
        );
        if !known {
            return None;
        }
        self.pos += k;
        Some(s.to_string())
    }

    fn temporal_suffix(&mut self) -> Option<u8> {
        let c = self.peek(0);
        if matches!(
            c,
            b'd' | b'M' | b't' | b'm' | b's' | b'D' | b'T' | b'n' | b'N'
        ) && !is_ident_char(self.peek(1))
        {
            self.pos += 1;
            return Some(c);
        }
        None
    }

    fn month_literal(&mut self, y: &str, m: &str) -> Result<Tok> {
        let (y, m) = (
            y.parse::<i32>().unwrap_or(-1),
            m.parse::<i32>().unwrap_or(-1),
        );
        if !(0..=9999).contains(&y) || !(1..=12).contains(&m) {
            return Err(self.err("Invalid month literal"));
        }
        Ok(Tok::Lit(Value::i32_of(DataType::Month, y * 12 + m - 1)))
    }

    fn date_literal(&mut self, y: &str, m: &str, d: &str) -> Result<Tok> {
        let parse = |s: &str| s.parse::<i64>().unwrap_or(-1);
        let (y, m, d) = (parse(y), parse(m), parse(d));
        let days = ymd_to_days(y, m, d).ok_or_else(|| self.err("Invalid date literal"))?;
        // `2022.05.20T13:50:59`, `2022.05.20 13:50:59`, or `2022.05.20T13` (DATEHOUR).
        let mut clock = None;
        let save = self.pos;
        let t_sep = self.peek(0) == b'T' && self.peek(1).is_ascii_digit();
        let space_sep = self.peek(0) == b' ' && self.space_clock_ahead();
        if t_sep || space_sep {
            self.pos += 1;
            let hh = self.digits();
            if hh.len() == 2 && self.peek(0) == b':' && self.is_clock_ahead() {
                clock = Some(self.clock(hh)?);
            } else if t_sep && hh.len() == 2 && self.peek(0) != b':' {
                let h = parse(hh);
                if h > 23 {
                    return Err(self.err("Invalid datehour literal"));
                }
                let raw = days * 24 + h;
                return Ok(Tok::Lit(Value::i32_of(DataType::DateHour, raw as i32)));
            } else {
                self.pos = save;
            }
        }
        let suffix = self.temporal_suffix();
        let lit = match clock {
            None => Temporal {
                days: Some(days),
                nanos: None,
                frac_digits: 0,
                has_seconds: false,
            },
            Some(mut c) => {
                c.days = Some(days);
                c
            }
        };
        lit.value(suffix)
            .map(Tok::Lit)
            .ok_or_else(|| self.err("Invalid temporal literal"))
    }

    /// `2022.05.20 13:50:59`: a space and then `hh:mm:ss` make one DATETIME literal.
    fn space_clock_ahead(&self) -> bool {
        let d = |k: usize| self.peek(k).is_ascii_digit();
        d(1) && d(2) && self.peek(3) == b':' && d(4) && d(5) && self.peek(6) == b':' && d(7) && d(8)
    }

    fn time_literal(&mut self, hh: &str) -> Result<Tok> {
        let t = self.clock(hh)?;
        let suffix = self.temporal_suffix();
        t.value(suffix)
            .map(Tok::Lit)
            .ok_or_else(|| self.err("Invalid temporal literal"))
    }

    /// Reads `:mm[:ss[.fff...]]` after `hh`, or `:mm` followed by the `m` suffix.
    fn clock(&mut self, hh: &str) -> Result<Temporal> {
        let h = hh.parse::<i64>().unwrap_or(99);
        self.pos += 1;
        let mm = self.digits().parse::<i64>().unwrap_or(99);
        let mut secs = 0;
        let mut has_seconds = false;
        let mut frac_digits = 0;
        let mut frac_ns = 0i64;
        if self.peek(0) == b':' && self.peek(1).is_ascii_digit() {
            self.pos += 1;
            secs = self.digits().parse::<i64>().unwrap_or(99);
            has_seconds = true;
            if self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
                self.pos += 1;
                let f = self.digits();
                frac_digits = f.len();
                if f.len() > 9 {
                    return Err(self.err("Invalid time literal"));
                }
                let padded = format!("{:0<9}", f);
                frac_ns = padded.parse::<i64>().unwrap_or(0);
            }
        }
        if h > 23 || mm > 59 || secs > 59 {
            return Err(self.err("Invalid time literal"));
        }
        Ok(Temporal {
            days: None,
            nanos: Some(((h * 60 + mm) * 60 + secs) * 1_000_000_000 + frac_ns),
            frac_digits,
            has_seconds,
        })
    }
}

/// The parts of a temporal literal before its type is decided.
struct Temporal {
    days: Option<i64>,
    nanos: Option<i64>,
    frac_digits: usize,
    has_seconds: bool,
}

const NS_PER_DAY: i64 = 86_400_000_000_000;

impl Temporal {
    fn default_type(&self) -> DataType {
        match (self.days.is_some(), self.nanos.is_some()) {
            (true, false) => DataType::Date,
            (false, _) if !self.has_seconds => DataType::Minute,
            (false, _) => match self.frac_digits {
                0 => DataType::Second,
                1..=3 => DataType::Time,
                _ => DataType::NanoTime,
            },
            (true, true) => match self.frac_digits {
                0 => DataType::DateTime,
                1..=3 => DataType::Timestamp,
                _ => DataType::NanoTimestamp,
            },
        }
    }

    fn value(&self, suffix: Option<u8>) -> Option<Value> {
        let ty = match suffix {
            None => self.default_type(),
            Some(b'd') => DataType::Date,
            Some(b'M') => DataType::Month,
            Some(b't') => DataType::Time,
            Some(b'm') => DataType::Minute,
            Some(b's') => DataType::Second,
            Some(b'D') => DataType::DateTime,
            Some(b'T') => DataType::Timestamp,
            Some(b'n') => DataType::NanoTime,
            Some(b'N') => DataType::NanoTimestamp,
            _ => return None,
        };
        let days = self.days;
        let tod = self.nanos.unwrap_or(0);
        // Since the epoch, in `unit` nanoseconds; None on overflow.
        let since_epoch = |unit: i64| -> Option<i64> {
            days?
                .checked_mul(NS_PER_DAY / unit)?
                .checked_add(tod / unit)
        };
        let v = match ty {
            DataType::Date => Value::i32_of(ty, days? as i32),
            DataType::Month => {
                let (y, m, _) = days_to_ymd(days?);
                Value::i32_of(ty, (y * 12 + m - 1) as i32)
            }
            DataType::Time => Value::i32_of(ty, (self.nanos? / 1_000_000) as i32),
            DataType::Minute => Value::i32_of(ty, (self.nanos? / 60_000_000_000) as i32),
            DataType::Second => Value::i32_of(ty, (self.nanos? / 1_000_000_000) as i32),
            DataType::NanoTime => Value::i64_of(ty, self.nanos?),
            DataType::DateTime => {
                let s = since_epoch(1_000_000_000)?;
                if s < i32::MIN as i64 + 1 || s > i32::MAX as i64 {
                    return None;
                }
                Value::i32_of(ty, s as i32)
            }
            DataType::Timestamp => Value::i64_of(ty, since_epoch(1_000_000)?),
            DataType::NanoTimestamp => Value::i64_of(ty, since_epoch(1)?),
            _ => return None,
        };
        Some(v)
    }
}

/// Days since 1970.01.01 of a civil date, or None when the date does not exist.
pub fn ymd_to_days(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || d < 1 || !(-9999..=9999).contains(&y) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > mdays[(m - 1) as usize] {
        return None;
    }
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146097 + doe - 719468)
}

/// The civil date (year, month 1-12, day) of a day count since 1970.01.01.
pub fn days_to_ymd(days: i64) -> (i64, i64, i64) {
    let z = days + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// DURATION units in wire order (protocol.md: NS, US, MS, SECOND, MINUTE, HOUR, DAY, WEEK,
/// MONTH, YEAR, BDAY).
pub const DURATION_UNITS: [&str; 11] = ["ns", "us", "ms", "s", "m", "H", "d", "w", "M", "y", "B"];

/// A DURATION scalar's raw i64: the value in the low 32 bits and the unit code in the high 32
/// bits, which is exactly the wire layout (i32 value, then i32 unit, little endian).
pub fn duration_raw(value: i32, unit: u32) -> i64 {
    ((unit as i64) << 32) | (value as u32 as i64)
}

fn number_value(text: &str, is_float: bool, suffix: Option<&str>) -> Option<Value> {
    let int = || text.parse::<i128>().ok();
    let v = match suffix {
        None if is_float => Value::double(text.parse::<f64>().ok()?),
        None => {
            let x = int()?;
            if x <= i32::MAX as i128 {
                Value::int(x as i32)
            } else if x <= i64::MAX as i128 {
                Value::long(x as i64)
            } else {
                Value::double(text.parse::<f64>().ok()?)
            }
        }
        Some("f") => Value::float(text.parse::<f32>().ok()?),
        Some("F") => Value::double(text.parse::<f64>().ok()?),
        Some(_) if is_float => return None,
        Some("c") => Value::char(i8::try_from(int()?).ok()?),
        Some("h") => Value::short(i16::try_from(int()?).ok()?),
        Some("i") => Value::int(i32::try_from(int()?).ok()?),
        Some("l") => Value::long(i64::try_from(int()?).ok()?),
        Some("b") => Value::bool(int()? != 0),
        Some(unit) => {
            let code = DURATION_UNITS.iter().position(|u| *u == unit)?;
            let x = i32::try_from(int()?).ok()?;
            Value::i64_of(DataType::Duration, duration_raw(x, code as u32))
        }
    };
    Some(v)
}

fn array_type(name: &str) -> Option<DataType> {
    let t = DataType::from_name(name)?;
    if name.chars().any(|c| c.is_ascii_lowercase()) {
        return None;
    }
    Some(t)
}

/// The text of a string literal value (for `` `"a b" ``).
fn lit_text(v: &Value) -> String {
    match v {
        Value::Scalar(vec) => match vec.str_at(0) {
            Some(s) => s.to_string(),
            None => vec
                .i64_at(0)
                .map(|c| (c as u8 as char).to_string())
                .unwrap_or_default(),
        },
        _ => String::new(),
    }
}

/// A STRING vector of backtick symbols (or a scalar for one symbol).
pub fn symbols_value(items: &[String]) -> Value {
    if items.len() == 1 {
        Value::string(items[0].clone())
    } else {
        Value::vector(Vector::from_strings(items.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    fn lit(s: &str) -> Value {
        match &toks(s)[0] {
            Tok::Lit(v) => v.clone(),
            other => panic!("{:?}", other),
        }
    }

    fn raw(v: &Value) -> (DataType, i64) {
        (v.data_type(), v.as_i64().unwrap_or(i64::MIN))
    }

    #[test]
    fn numbers_and_suffixes() {
        assert_eq!(raw(&lit("1")), (DataType::Int, 1));
        assert_eq!(raw(&lit("3000000000")), (DataType::Long, 3000000000));
        assert_eq!(raw(&lit("127c")), (DataType::Char, 127));
        assert_eq!(raw(&lit("12h")), (DataType::Short, 12));
        assert_eq!(raw(&lit("12i")), (DataType::Int, 12));
        assert_eq!(raw(&lit("12l")), (DataType::Long, 12));
        assert_eq!(raw(&lit("1b")), (DataType::Bool, 1));
        assert_eq!(lit("1.5f").data_type(), DataType::Float);
        assert_eq!(lit("1.5F").data_type(), DataType::Double);
        assert_eq!(lit("1.5").as_f64(), Some(1.5));
        assert_eq!(lit("1e3").as_f64(), Some(1000.0));
        assert_eq!(lit("00i").data_type(), DataType::Int);
        assert!(lit("00F").is_null());
        assert!(tokenize("128c").is_err());
    }

    #[test]
    fn temporal_literals() {
        assert_eq!(raw(&lit("1970.01.02")), (DataType::Date, 1));
        assert_eq!(raw(&lit("2012.06M")), (DataType::Month, 2012 * 12 + 5));
        assert_eq!(raw(&lit("13:30m")), (DataType::Minute, 13 * 60 + 30));
        assert_eq!(raw(&lit("00:00:01")), (DataType::Second, 1));
        assert_eq!(raw(&lit("00:00:01.5")), (DataType::Time, 1500));
        assert_eq!(raw(&lit("00:00:00.000000001")), (DataType::NanoTime, 1));
        assert_eq!(raw(&lit("1970.01.01T00:00:10")), (DataType::DateTime, 10));
        assert_eq!(raw(&lit("1970.01.01 00:00:10")), (DataType::DateTime, 10));
        assert_eq!(
            raw(&lit("1970.01.01T00:00:00.010")),
            (DataType::Timestamp, 10)
        );
        assert_eq!(
            raw(&lit("1970.01.01T00:00:00.000000010")),
            (DataType::NanoTimestamp, 10)
        );
        assert_eq!(raw(&lit("1970.01.02T01")), (DataType::DateHour, 25));
        assert_eq!(raw(&lit("1970.01.01T00:00:10D")), (DataType::DateTime, 10));
        assert_eq!(
            raw(&lit("1970.01.01T00:00:10T")),
            (DataType::Timestamp, 10000)
        );
        assert_eq!(raw(&lit("2022.05.20d")), (DataType::Date, 19132));
        assert_eq!(raw(&lit("13:50:59.123t")), (DataType::Time, 49859123));
        assert_eq!(raw(&lit("00:00:00s")), (DataType::Second, 0));
        assert!(tokenize("2022.02.30").is_err());
        assert_eq!(days_to_ymd(19132), (2022, 5, 20));
    }

    #[test]
    fn pairs_are_not_times() {
        assert!(matches!(toks("1:3")[1], Tok::Op(":")));
        assert!(matches!(toks("10:20")[1], Tok::Op(":")));
        assert!(matches!(toks("1..3")[1], Tok::Op("..")));
    }

    #[test]
    fn names_strings_symbols() {
        assert!(matches!(&toks("x.append!(1)")[2], Tok::Ident(n) if n == "append!"));
        assert!(matches!(toks("x!=1")[1], Tok::Op("!=")));
        assert_eq!(raw(&lit("'a'")), (DataType::Char, 97));
        assert_eq!(lit("'ab'").as_str(), Some("ab"));
        assert_eq!(lit("\"a\\nb\"").as_str(), Some("a\nb"));
        assert!(matches!(&toks("`a`b")[0], Tok::Sym(v) if v == &["a", "b"]));
        assert_eq!(raw(&lit("INT[]")), (DataType::Int, 68));
        assert!(matches!(toks("f:E")[1], Tok::Template('E', None)));
        assert!(matches!(toks("+:LC")[1], Tok::Template('L', Some('C'))));
        assert!(matches!(toks("x[0:n]")[3], Tok::Op(":")));
        let t = tokenize("a // c\n/* x\n */ b").unwrap();
        assert!(t[1].newline_before);
        assert_eq!(t[1].line, 3);
    }
}
