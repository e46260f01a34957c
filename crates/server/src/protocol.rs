//! The binary API's framing (reference: `protocol.md` §2-§4, §8): request header lines, bodies,
//! options, and response bytes. Pure functions, so every rule is unit-tested without sockets.

use value::{wire, DataType, Value, Vector};

/// Longest request header line (`API2 <sid> <len> / <options>`), newline included.
pub const HEADER_LINE_BYTES_MAX: usize = 4096;
/// Largest request body (the script text or command lines; objects are not counted).
pub const BODY_BYTES_MAX: usize = 256 << 20;
/// Largest total size of the objects that follow one `function` or `variable` body.
pub const OBJECTS_BYTES_MAX: usize = 1 << 30;
/// Most arguments of one `function` request or variables of one `variable` request.
pub const OBJECTS_PER_REQUEST_MAX: usize = 1024;
/// Priorities run 0..=9 on the wire; DolphinDB runs at most 8.
pub const PRIORITY_MAX: u8 = 8;
/// The smallest page size a client may ask for (§8); smaller ones are refused.
pub const FETCH_SIZE_MIN: usize = 8192;

/// Request flag bits (§2).
pub mod flags {
    pub const URGENT: u64 = 1;
    pub const ASYNCHRONOUS: u64 = 4;
    pub const PICKLE: u64 = 8;
    pub const CLEAR_MEMORY: u64 = 16;
    pub const API_CLIENT: u64 = 32;
    pub const COMPRESS: u64 = 64;
    pub const REVERSE_STREAMING: u64 = 1 << 17;
}

/// The options that follow ` / ` in a header: `flag_cancel_priority_parallelism_jobId_fetchSize
/// _offset_clientId_seqNo`, any field possibly empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub flags: u64,
    pub cancellable: bool,
    pub priority: u8,
    pub parallelism: u32,
    pub root_job_id: String,
    pub fetch_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            flags: 0,
            cancellable: true,
            priority: 4,
            parallelism: 64,
            root_job_id: String::new(),
            fetch_size: 0,
        }
    }
}

impl Options {
    pub fn parse(s: &str) -> Result<Options, String> {
        let mut o = Options::default();
        let bad = |what: &str, v: &str| format!("Invalid request option {what} [{v}]");
        for (i, field) in s.trim().split('_').enumerate() {
            if field.is_empty() {
                continue;
            }
            match i {
                0 => o.flags = field.parse().map_err(|_| bad("flag", field))?,
                1 => o.cancellable = field != "0",
                2 => {
                    let p: u32 = field.parse().map_err(|_| bad("priority", field))?;
                    o.priority = p.min(PRIORITY_MAX as u32) as u8;
                }
                3 => {
                    let p: u32 = field.parse().map_err(|_| bad("parallelism", field))?;
                    o.parallelism = p.max(1);
                }
                4 => o.root_job_id = field.to_string(),
                5 => {
                    let f: usize = field.parse().map_err(|_| bad("fetchSize", field))?;
                    if f > 0 && f < FETCH_SIZE_MIN {
                        return Err(format!("fetchSize must be at least {FETCH_SIZE_MIN}"));
                    }
                    o.fetch_size = f;
                }
                _ => {} // offset, clientId, seqNo: accepted and not needed
            }
        }
        Ok(o)
    }

    pub fn has(&self, flag: u64) -> bool {
        self.flags & flag != 0
    }
}

/// A parsed header line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// `API2`: print output goes back as MSG blocks.
    pub api2: bool,
    pub session_id: String,
    pub body_len: usize,
    /// None when the header carries no options (Rust and Go uploads).
    pub options: Option<Options>,
}

/// Parses `API <sid> <len> [/ <options>]` (without the line feed).
pub fn parse_header(line: &[u8]) -> Result<Header, String> {
    let line = std::str::from_utf8(line)
        .map_err(|_| "The request header is not valid UTF-8".to_string())?
        .trim_end_matches('\r');
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let api2 = match parts.next() {
        Some("API") => false,
        Some("API2") => true,
        _ => return Err(format!("Invalid request header [{}]", shorten(line))),
    };
    let session_id = match parts.next() {
        Some(s) if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => s.to_string(),
        _ => {
            return Err(format!(
                "Invalid session id in request header [{}]",
                shorten(line)
            ))
        }
    };
    let body_len: usize = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("Invalid body length in request header [{}]", shorten(line)))?;
    if body_len > BODY_BYTES_MAX {
        return Err(format!(
            "The request body of {body_len} bytes exceeds the limit of {BODY_BYTES_MAX} bytes"
        ));
    }
    let options = match parts.next() {
        None => None,
        Some("/") => Some(Options::parse(parts.next().unwrap_or(""))?),
        Some(other) => return Err(format!("Invalid request option [{}]", shorten(other))),
    };
    Ok(Header {
        api2,
        session_id,
        body_len,
        options,
    })
}

fn shorten(s: &str) -> String {
    s.chars().take(80).collect()
}

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `connect`, with inline credentials when the client logs in at once.
    Connect {
        login: Option<(String, String)>,
    },
    Script(String),
    /// `function`: the function expression, then `argc` objects in the given byte order.
    Function {
        name: String,
        argc: usize,
        little_endian: bool,
    },
    /// `variable`: upload `names.len()` objects and bind them to these names.
    Variable {
        names: Vec<String>,
        little_endian: bool,
    },
}

impl Command {
    /// How many serialized objects follow the body.
    pub fn object_count(&self) -> usize {
        match self {
            Command::Function { argc, .. } => *argc,
            Command::Variable { names, .. } => names.len(),
            _ => 0,
        }
    }

    pub fn little_endian(&self) -> bool {
        match self {
            Command::Function { little_endian, .. } | Command::Variable { little_endian, .. } => {
                *little_endian
            }
            _ => true,
        }
    }

    /// The job type `getConsoleJobs()` shows.
    pub fn job_type(&self) -> &'static str {
        match self {
            Command::Connect { .. } => "connect",
            Command::Script(_) => "script",
            Command::Function { .. } => "function",
            Command::Variable { .. } => "variable",
        }
    }
}

/// Parses a request body. The body is delimited by its length; the command is its first line.
pub fn parse_body(body: &[u8]) -> Result<Command, String> {
    let text =
        std::str::from_utf8(body).map_err(|_| "The request is not valid UTF-8".to_string())?;
    let (word, rest) = text.split_once('\n').unwrap_or((text, ""));
    match word.trim_end_matches('\r') {
        "connect" => parse_connect(rest),
        "script" => Ok(Command::Script(rest.to_string())),
        "function" => {
            let f = fields(rest, 3, "function")?;
            if f[0].is_empty() {
                return Err("The function name is empty".into());
            }
            Ok(Command::Function {
                name: f[0].to_string(),
                argc: count(f[1])?,
                little_endian: endian(f[2])?,
            })
        }
        "variable" => {
            let f = fields(rest, 3, "variable")?;
            let names: Vec<String> = if f[0].is_empty() {
                Vec::new()
            } else {
                f[0].split(',').map(|s| s.trim().to_string()).collect()
            };
            if names.len() != count(f[1])? {
                return Err("The number of variable names and objects differ".into());
            }
            if names.iter().any(|n| !is_identifier(n)) {
                return Err(format!("Invalid variable name in [{}]", shorten(f[0])));
            }
            Ok(Command::Variable {
                names,
                little_endian: endian(f[2])?,
            })
        }
        other => Err(format!("Unrecognized request command [{}]", shorten(other))),
    }
}

/// The lines after the command word: exactly `n` fields, ignoring one trailing empty field
/// (Rust and Go end the body with LF, C++ and Java do not).
fn fields<'a>(rest: &'a str, n: usize, what: &str) -> Result<Vec<&'a str>, String> {
    let mut f: Vec<&str> = rest.split('\n').map(|s| s.trim_end_matches('\r')).collect();
    if f.len() == n + 1 && f[n].is_empty() {
        f.pop();
    }
    if f.len() != n {
        return Err(format!("Invalid {what} request"));
    }
    Ok(f)
}

fn count(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("Invalid object count [{}]", shorten(s)))?;
    if n > OBJECTS_PER_REQUEST_MAX {
        return Err(format!(
            "A request may carry at most {OBJECTS_PER_REQUEST_MAX} objects"
        ));
    }
    Ok(n)
}

fn endian(s: &str) -> Result<bool, String> {
    match s.trim() {
        "1" => Ok(true),
        "0" => Ok(false),
        other => Err(format!("Invalid byte order flag [{}]", shorten(other))),
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn parse_connect(rest: &str) -> Result<Command, String> {
    let lines: Vec<&str> = rest.split('\n').map(|s| s.trim_end_matches('\r')).collect();
    if lines.first() == Some(&"login") {
        if lines.len() < 3 {
            return Err("Invalid login request".into());
        }
        return Ok(Command::Connect {
            login: Some((lines[1].to_string(), lines[2].to_string())),
        });
    }
    Ok(Command::Connect { login: None })
}

/// The bytes of one response: MSG blocks (API2 only), header, status, objects.
pub struct Response;

impl Response {
    /// `print` output blocks, sent before the header.
    pub fn messages(out: &mut Vec<u8>, messages: &[String]) {
        for m in messages {
            out.extend_from_slice(b"MSG\n");
            out.extend(m.bytes().filter(|&b| b != 0));
            out.push(0);
        }
    }

    /// `<sid> 0 1\nOK\n`.
    pub fn ok_empty(out: &mut Vec<u8>, sid: &str) {
        out.extend_from_slice(format!("{sid} 0 1\nOK\n").as_bytes());
    }

    /// `<sid> 0 1\n<message>\n`, the message on one line.
    pub fn error(out: &mut Vec<u8>, sid: &str, message: &str) {
        out.extend_from_slice(format!("{sid} 0 1\n{}\n", one_line(message)).as_bytes());
    }

    /// `<sid> 1 1\nOK\n<object>`, or paged (§8) when `fetch_size` > 0 and the value is a table.
    /// An encoding failure becomes an error response.
    pub fn ok_value(out: &mut Vec<u8>, sid: &str, v: &Value, fetch_size: usize) {
        Self::ok_value_with(out, sid, v, fetch_size, false)
    }

    /// `ok_value`, with table columns compressed (§5.13) when the request allowed it (flag 64):
    /// LZ4, what a DolphinDB server uses by default.
    pub fn ok_value_with(
        out: &mut Vec<u8>,
        sid: &str,
        v: &Value,
        fetch_size: usize,
        compress: bool,
    ) {
        let start = out.len();
        out.extend_from_slice(format!("{sid} 1 1\nOK\n").as_bytes());
        let encoded = match v {
            Value::Table(t) if fetch_size > 0 => encode_paged(t, fetch_size, compress, out),
            Value::Table(_) if compress => wire::encode_compressed(v, wire::Method::Lz4, out),
            _ => wire::encode(v, out),
        };
        if let Err(e) = encoded {
            out.truncate(start);
            Self::error(out, sid, &e.message);
        }
    }
}

/// A table sent in pages: an ANY vector header, `blocks` and 1, then each block as a table.
fn encode_paged(
    t: &value::Table,
    fetch_size: usize,
    compress: bool,
    out: &mut Vec<u8>,
) -> value::Result<()> {
    let rows = t.rows();
    let blocks = rows.div_ceil(fetch_size).max(1);
    out.extend_from_slice(&[DataType::Any as u8, 1]);
    out.extend_from_slice(&(blocks as i32).to_le_bytes());
    out.extend_from_slice(&1i32.to_le_bytes());
    for b in 0..blocks {
        let lo = b * fetch_size;
        let hi = (lo + fetch_size).min(rows);
        let cols: Vec<Vector> = t.columns.iter().map(|c| c.slice(lo, hi)).collect();
        let mut page = value::Table::new(t.names.clone(), cols);
        page.name = t.name.clone();
        let page = Value::table(page);
        if compress {
            wire::encode_compressed(&page, wire::Method::Lz4, out)?;
        } else {
            wire::encode(&page, out)?;
        }
    }
    Ok(())
}

/// An error message as a status line: no line breaks, never empty.
pub fn one_line(message: &str) -> String {
    let s: String = message
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let s = s.trim().to_string();
    if s.is_empty() {
        "Unknown error".to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_from_the_clients_parse() {
        let h = parse_header(b"API 0 32 / 0_1_4_64").unwrap();
        assert!(!h.api2);
        assert_eq!((h.session_id.as_str(), h.body_len), ("0", 32));
        assert_eq!(h.options, Some(Options::default()));
        let h = parse_header(b"API2 1000000001 41").unwrap();
        assert!(h.api2 && h.options.is_none());
        let h = parse_header(b"API 0 32 / 0_1_4_64__8192").unwrap();
        assert_eq!(h.options.unwrap().fetch_size, 8192);
        // C++ always sends fetchSize (even 0) and HA fields.
        let o = parse_header(b"API2 5 10 / 32_1_9_2__0_0_7_3")
            .unwrap()
            .options
            .unwrap();
        assert_eq!((o.flags, o.priority, o.parallelism), (32, 8, 2));
        let o = Options::parse("131072_1_4_64").unwrap();
        assert!(o.has(flags::REVERSE_STREAMING));
    }

    #[test]
    fn bad_headers_are_errors() {
        for bad in [
            &b"GET / HTTP/1.1"[..],
            b"API",
            b"API 0",
            b"API 0 x",
            b"API 0 -1",
            b"API 0 5 ? 0",
            b"API 0 5 / a_1",
            b"API 0 5 / 0_1_4_64__100",
            b"API 0 99999999999",
            b"API a\xffb 5",
        ] {
            assert!(
                parse_header(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bodies_of_every_command_parse() {
        let c = parse_body(b"connect\nlogin\nadmin\n123456\nfalse").unwrap();
        assert_eq!(
            c,
            Command::Connect {
                login: Some(("admin".into(), "123456".into()))
            }
        );
        // JS sends no `false`.
        assert!(matches!(
            parse_body(b"connect\nlogin\nu\np").unwrap(),
            Command::Connect { login: Some(_) }
        ));
        assert_eq!(
            parse_body(b"connect\n").unwrap(),
            Command::Connect { login: None }
        );
        assert_eq!(
            parse_body(b"script\nx=1;\nx").unwrap(),
            Command::Script("x=1;\nx".into())
        );
        // Rust/Go end with LF, C++/Java do not.
        for b in [&b"function\nf{0}\n1\n1\n"[..], b"function\nf{0}\n1\n1"] {
            assert_eq!(
                parse_body(b).unwrap(),
                Command::Function {
                    name: "f{0}".into(),
                    argc: 1,
                    little_endian: true
                }
            );
        }
        let v = parse_body(b"variable\ntest_upload_0,test_upload_1\n2\n1\n").unwrap();
        assert_eq!(v.object_count(), 2);
        assert!(parse_body(b"variable\na,b\n3\n1\n").is_err());
        assert!(parse_body(b"variable\na b\n1\n1\n").is_err());
        assert!(parse_body(b"function\nf\n1\n2\n").is_err());
        assert!(parse_body(b"function\nf\n100000\n1\n").is_err());
        assert!(parse_body(b"dance\n").is_err());
    }

    #[test]
    fn responses_are_framed_as_clients_read_them() {
        let mut out = Vec::new();
        Response::messages(&mut out, &["2".to_string()]);
        Response::ok_value(&mut out, "7", &Value::bool(true), 0);
        assert_eq!(out, b"MSG\n2\x007 1 1\nOK\n\x01\x00\x01");
        let mut out = Vec::new();
        Response::error(&mut out, "7", "line one\nline two\n");
        assert_eq!(out, b"7 0 1\nline one line two\n");
        let mut out = Vec::new();
        Response::ok_empty(&mut out, "7");
        assert_eq!(out, b"7 0 1\nOK\n");
    }

    #[test]
    fn paged_tables_are_an_any_vector_of_blocks() {
        let n = 20_000;
        let col = Vector::from_i32(DataType::Int, (0..n).collect());
        let t = Value::table(value::Table::new(vec!["a".into()], vec![col]));
        let mut out = Vec::new();
        Response::ok_value(&mut out, "1", &t, 8192);
        let body = &out[b"1 1 1\nOK\n".len()..];
        assert_eq!(&body[..10], &[25, 1, 3, 0, 0, 0, 1, 0, 0, 0]);
        let mut pos = 10;
        let mut rows = 0;
        while pos < body.len() {
            let (v, used) = wire::decode(&body[pos..], true).unwrap().unwrap();
            rows += v.len();
            pos += used;
        }
        assert_eq!(rows, n as usize);
    }
}
