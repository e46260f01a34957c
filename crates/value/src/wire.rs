//! DolphinDB's binary object serialization (reference: `protocol.md` §5).
//!
//! `encode` writes little endian, the byte order porpoise always announces. `decode` reads
//! either byte order, and says `Ok(None)` when the buffer ends before the object does, so a
//! server can call it again once more bytes arrived. `decode_partial` also tells how many bytes
//! are needed at least, so that a caller does not retry on every read.
//!
//! Every count that comes off the wire is checked against the bytes actually present before
//! anything is allocated, nesting is bounded by `DEPTH_MAX`, and no input can make this module
//! panic (see the fuzz test at the bottom).

use std::collections::HashMap;
use std::sync::Arc;

use crate::types::{DataForm, DataType, Storage};
use crate::value::{Dict, Matrix, Object, Set, Table, Value};
use crate::vector::{ArrayData, Data, SymbolBase, SymbolVec, Vector};
use crate::wire_compress::{self as compress, Header as CompressHeader, HEADER_BYTES};
use crate::{Error, Result};

pub use crate::wire_compress::{
    Method, BLOCK_RAW_BYTES_MAX, DECOMPRESSED_BYTES_MAX, DELTA_BLOCK_BYTES_MAX, LZ4_BLOCK_BYTES_MAX,
};
pub use crate::wire_extent::{Extent, Reach};

/// Deepest nesting of objects (tuples in tuples, tables in dictionaries...) we read or write.
pub const DEPTH_MAX: usize = 64;
/// Most rows in one vector, pair, matrix or table (the format's own limit: an i32).
pub const ROWS_MAX: usize = i32::MAX as usize;
/// Most columns in one table.
pub const COLUMNS_MAX: usize = 1 << 20;
/// Most rows in one array-vector block (the block header holds a u16).
pub const BLOCK_ROWS_MAX: usize = u16::MAX as usize;
/// Most cells in one array vector (offsets are u32).
pub const ARRAY_CELLS_MAX: usize = u32::MAX as usize;

/// Type byte 145: a SYMBOL vector carrying its symbol base (§5.6).
const SYMBOL_WITH_BASE: u8 = 128 + DataType::Symbol as u8;
/// Array vectors have type byte 64 + element type (§5.7).
const ARRAY_TYPE_OFFSET: u8 = 64;
/// Table header type bytes seen from the SDKs: C++ basic, C++ compressed, Rust/Java.
const TABLE_TYPES: [u8; 3] = [0, 8, 27];
/// The table type byte of a table whose columns may be compressed (COMPRESSTBL).
const COMPRESSED_TABLE: u8 = 8;

/// Writes `v` in little endian, as porpoise sends it to clients.
pub fn encode(v: &Value, out: &mut Vec<u8>) -> Result<()> {
    encode_with(v, true, out)
}

/// Writes `v` in the given byte order.
pub fn encode_with(v: &Value, little_endian: bool, out: &mut Vec<u8>) -> Result<()> {
    let mut enc = Encoder {
        out,
        le: little_endian,
    };
    enc.value(v, 0)
}

/// Writes `v` (little endian) for a request that allowed compression (flag 64): a table goes
/// with type byte 8 and its columns compressed with `method`, as a DolphinDB server answers;
/// anything else as `encode` writes it. SYMBOL, ANY, array-vector, VOID, DURATION and empty
/// columns stay uncompressed, as the C++ SDK sends them; delta-of-delta applies to 2, 4 and
/// 8-byte integral and temporal columns, and the other columns use LZ4.
pub fn encode_compressed(v: &Value, method: Method, out: &mut Vec<u8>) -> Result<()> {
    encode_compressed_with(v, method, true, out)
}

/// `encode_compressed` in the given byte order.
fn encode_compressed_with(v: &Value, method: Method, le: bool, out: &mut Vec<u8>) -> Result<()> {
    let mut enc = Encoder { out, le };
    match v {
        Value::Table(t) => enc.table(t, 0, Some(method)),
        _ => enc.value(v, 0),
    }
}

/// Reads one object from the start of `buf`. `Ok(None)`: the buffer ends too early.
/// On success, also returns the number of bytes the object took.
pub fn decode(buf: &[u8], little_endian: bool) -> Result<Option<(Value, usize)>> {
    match decode_partial(buf, little_endian)? {
        Decoded::Done(v, n) => Ok(Some((v, n))),
        Decoded::NeedAtLeast(_) => Ok(None),
    }
}

/// The outcome of `decode_partial`.
#[derive(Debug)]
pub enum Decoded {
    /// The object and the bytes it took.
    Done(Value, usize),
    /// Incomplete: the object needs at least this many bytes in total.
    NeedAtLeast(usize),
}

/// Like `decode`, but when the buffer is too short, says how long it must be at least.
pub fn decode_partial(buf: &[u8], little_endian: bool) -> Result<Decoded> {
    let mut r = Reader {
        buf,
        pos: 0,
        le: little_endian,
        inflate_budget: DECOMPRESSED_BYTES_MAX,
    };
    match r.value(0, &mut SymbolBases::default()) {
        Ok(v) => Ok(Decoded::Done(v, r.pos)),
        Err(Fail::Short(n)) => Ok(Decoded::NeedAtLeast(n.max(buf.len() + 1))),
        Err(Fail::Bad(e)) => Err(e),
    }
}

/// A function definition read off the wire (type 20): its kind byte and source text. The
/// script crate may compile it; the value crate only carries it.
#[derive(Debug, Clone)]
pub struct FunctionText {
    pub kind: i8,
    pub text: String,
}

impl Object for FunctionText {
    fn data_type(&self) -> DataType {
        DataType::FunctionDef
    }
    fn describe(&self) -> String {
        self.text.clone()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn bad<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::new(msg))
}

// ---------------------------------------------------------------------------------------------
// Encoding

struct Encoder<'a> {
    out: &'a mut Vec<u8>,
    le: bool,
}

macro_rules! put_fn {
    ($name:ident, $t:ty) => {
        fn $name(&mut self, x: $t) {
            if self.le {
                self.out.extend_from_slice(&x.to_le_bytes());
            } else {
                self.out.extend_from_slice(&x.to_be_bytes());
            }
        }
    };
}

/// A whole slice of numbers: the output grows once and the loop has no capacity checks, so
/// it compiles to a copy (little endian) or a vectorized byte swap.
macro_rules! put_all_fn {
    ($name:ident, $t:ty) => {
        fn $name(&mut self, x: &[$t]) {
            const W: usize = std::mem::size_of::<$t>();
            let start = self.out.len();
            self.out.resize(start + x.len() * W, 0);
            let dst = self.out[start..].chunks_exact_mut(W).zip(x);
            if self.le {
                dst.for_each(|(d, e)| d.copy_from_slice(&e.to_le_bytes()));
            } else {
                dst.for_each(|(d, e)| d.copy_from_slice(&e.to_be_bytes()));
            }
        }
    };
}

/// Per-table numbering of symbol bases (ids start at 0 in each table, §5.6).
#[derive(Default)]
struct SymbolIds {
    next: i32,
}

impl<'a> Encoder<'a> {
    put_all_fn!(put_all_i16, i16);
    put_all_fn!(put_all_i32, i32);
    put_all_fn!(put_all_i64, i64);
    put_all_fn!(put_all_i128, i128);
    put_all_fn!(put_all_f32, f32);
    put_all_fn!(put_all_f64, f64);
    put_fn!(put_u16, u16);
    put_fn!(put_i32, i32);
    put_fn!(put_u32, u32);

    fn header(&mut self, type_code: u8, form: DataForm) {
        let h = ((form as u16) << 8) | type_code as u16;
        self.put_u16(h);
    }

    fn count(&mut self, n: usize, what: &str) -> Result<()> {
        if n > ROWS_MAX {
            return bad(format!(
                "Can't serialize a {what} of {n} rows: the limit is {ROWS_MAX}"
            ));
        }
        self.put_i32(n as i32);
        Ok(())
    }

    /// A string as DolphinDB sends it: UTF-8 up to the first NUL, then NUL.
    fn put_cstr(&mut self, s: &str) {
        let b = s.as_bytes();
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        self.out.extend_from_slice(&b[..end]);
        self.out.push(0);
    }

    fn put_blob(&mut self, b: &[u8]) -> Result<()> {
        if b.len() > u32::MAX as usize {
            return bad("Can't serialize a BLOB longer than 4 GB");
        }
        self.put_u32(b.len() as u32);
        self.out.extend_from_slice(b);
        Ok(())
    }

    fn value(&mut self, v: &Value, depth: usize) -> Result<()> {
        if depth > DEPTH_MAX {
            return bad(format!(
                "Can't serialize an object nested deeper than {DEPTH_MAX} levels"
            ));
        }
        match v {
            Value::Scalar(s) => self.scalar(s),
            Value::Vector(vec) => self.vector(vec, &mut SymbolIds::default(), depth),
            Value::Pair(p) => self.pair(p),
            Value::Matrix(m) => self.matrix(m, depth),
            Value::Set(s) => {
                self.header(s.keys.type_code(), DataForm::Set);
                self.vector(&s.keys, &mut SymbolIds::default(), depth)
            }
            Value::Dict(d) => {
                self.header(d.values.type_code(), DataForm::Dictionary);
                let mut ids = SymbolIds::default();
                self.vector(&d.keys, &mut ids, depth)?;
                self.vector(&d.values, &mut ids, depth)
            }
            Value::Table(t) => self.table(t, depth, None),
            Value::Object(o) => self.object(o.as_ref()),
        }
    }

    fn object(&mut self, o: &dyn Object) -> Result<()> {
        let ty = o.data_type();
        self.header(ty.code(), DataForm::Scalar);
        if ty == DataType::FunctionDef {
            let kind = o
                .as_any()
                .downcast_ref::<FunctionText>()
                .map(|f| f.kind)
                .unwrap_or(0);
            self.out.push(kind as u8);
        }
        self.put_cstr(&o.describe());
        Ok(())
    }

    fn scalar(&mut self, s: &Vector) -> Result<()> {
        if s.len() != 1 || s.is_array() {
            return bad("Can't serialize a malformed scalar");
        }
        if let Data::Any(items) = &s.data {
            return self.value(&items[0], 1);
        }
        self.header(s.ty.code(), DataForm::Scalar);
        match &s.data {
            // 1 = an explicit NULL, what `NULL` and `DFLT` evaluate to.
            Data::Void(_) => self.out.push(1),
            _ => {
                if s.ty.is_decimal() {
                    self.put_i32(s.scale as i32);
                }
                self.elements(s)?;
            }
        }
        Ok(())
    }

    fn pair(&mut self, p: &Vector) -> Result<()> {
        if p.is_array() {
            return bad("Can't serialize a pair of array vectors");
        }
        // Symbol pairs go as plain type 17: the Rust client reads 145 only as a vector.
        self.header(p.ty.code(), DataForm::Pair);
        self.count(p.len(), "pair")?;
        self.put_i32(1);
        if p.ty.is_decimal() {
            self.put_i32(p.scale as i32);
        }
        self.elements(p)
    }

    fn matrix(&mut self, m: &Matrix, depth: usize) -> Result<()> {
        if m.rows.checked_mul(m.cols) != Some(m.data.len()) || m.data.is_array() {
            return bad("Can't serialize a malformed matrix");
        }
        let code = m.data.type_code();
        self.header(code, DataForm::Matrix);
        let flags = m.row_labels.is_some() as u8 | (m.col_labels.is_some() as u8) << 1;
        self.out.push(flags);
        for labels in [&m.row_labels, &m.col_labels].into_iter().flatten() {
            self.vector(labels, &mut SymbolIds::default(), depth + 1)?;
        }
        self.header(code, DataForm::Matrix);
        self.count(m.rows, "matrix")?;
        self.count(m.cols, "matrix")?;
        if m.data.ty.is_decimal() {
            self.put_i32(m.data.scale as i32);
        }
        self.elements(&m.data)
    }

    fn table(&mut self, t: &Table, depth: usize, compress: Option<Method>) -> Result<()> {
        let rows = t.rows();
        if t.names.len() != t.columns.len() {
            return bad("Can't serialize a table whose names and columns differ in number");
        }
        if t.columns.len() > COLUMNS_MAX {
            return bad(format!(
                "Can't serialize a table of more than {COLUMNS_MAX} columns"
            ));
        }
        let type_byte = if compress.is_some() {
            COMPRESSED_TABLE
        } else {
            0
        };
        self.header(type_byte, DataForm::Table);
        self.count(rows, "table")?;
        self.put_i32(t.columns.len() as i32);
        self.put_cstr(&t.name);
        for n in &t.names {
            self.put_cstr(n);
        }
        let mut ids = SymbolIds::default();
        for c in &t.columns {
            if c.len() != rows {
                return bad("Can't serialize a table whose columns differ in length");
            }
            let done = match compress {
                Some(m) => self.compressed_vector(c, m)?,
                None => false,
            };
            if !done {
                self.vector(c, &mut ids, depth)?;
            }
        }
        Ok(())
    }

    /// Writes `v` as a compressed vector (type 26), or returns false (writing nothing) when
    /// this column goes uncompressed.
    fn compressed_vector(&mut self, v: &Vector, method: Method) -> Result<bool> {
        let compressible = matches!(
            v.data,
            Data::I8(_)
                | Data::I16(_)
                | Data::I32(_)
                | Data::I64(_)
                | Data::I128(_)
                | Data::F32(_)
                | Data::F64(_)
                | Data::Str(_)
                | Data::Blob(_)
        );
        if !compressible || v.is_empty() || v.ty == DataType::Duration {
            return Ok(false);
        }
        let le = self.le;
        let width = v.ty.wire_width();
        let mut blocks = Vec::new();
        let delta = match (method, delta_values(v)) {
            (Method::Delta, Some((values, w))) => {
                compress::deflate_delta(&values, w, le, &mut blocks).is_some()
            }
            _ => false,
        };
        if !delta {
            let mut raw = Vec::new();
            let cuts = raw_elements(v, le, &mut raw)?;
            compress::deflate_lz4(&raw, cuts.as_deref(), le, &mut blocks);
        }
        let byte_size = match i32::try_from(blocks.len() + 20) {
            Ok(n) => n,
            Err(_) => return Ok(false), // too large to describe: send it as it is
        };
        let scale = if v.ty.is_decimal() { v.scale } else { 0 };
        let h = CompressHeader {
            byte_size,
            col_count: 1,
            version: 0,
            flag: le as i8,
            char_code: -1,
            method: if delta { Method::Delta } else { Method::Lz4 } as u8,
            data_type: v.ty.code(),
            unit_length: width.map_or(-1, |w| w as i8),
            reserved: scale as i16,
            extra: scale as i32,
            element_count: v.len() as i32,
            check_sum: -1,
        };
        self.header(DataType::Compress.code(), DataForm::Vector);
        h.write(self.out, le);
        self.out.extend_from_slice(&blocks);
        Ok(true)
    }

    fn vector(&mut self, v: &Vector, ids: &mut SymbolIds, depth: usize) -> Result<()> {
        match &v.data {
            Data::Array(a) => return self.array_vector(v, a),
            Data::Sym(s) if !s.codes.is_empty() => return self.symbol_vector(s, ids),
            _ => {}
        }
        self.header(v.ty.code(), DataForm::Vector);
        self.count(v.len(), "vector")?;
        self.put_i32(1);
        if let Data::Any(items) = &v.data {
            for item in items {
                self.value(item, depth + 1)?;
            }
            return Ok(());
        }
        if v.ty.is_decimal() {
            self.put_i32(v.scale as i32);
        }
        self.elements(v)
    }

    /// A non-empty SYMBOL vector as type 145, with only the strings it uses in its base.
    fn symbol_vector(&mut self, s: &SymbolVec, ids: &mut SymbolIds) -> Result<()> {
        let (strings, codes) = compact_symbols(s);
        self.header(SYMBOL_WITH_BASE, DataForm::Vector);
        self.count(codes.len(), "vector")?;
        self.put_i32(1);
        self.put_i32(ids.next);
        ids.next += 1;
        self.put_i32(strings.len() as i32);
        for st in &strings {
            self.put_cstr(st);
        }
        for c in codes {
            self.put_i32(c as i32);
        }
        Ok(())
    }

    fn array_vector(&mut self, v: &Vector, a: &ArrayData) -> Result<()> {
        let rows = a.rows();
        let cells = a.values.len();
        if a.values.ty.wire_width().is_none() || a.values.is_array() {
            return bad(format!(
                "Can't serialize an array vector of {}",
                v.ty.name()
            ));
        }
        let monotonic = a.offsets.windows(2).all(|w| w[0] <= w[1]);
        if !monotonic
            || a.offsets.first() != Some(&0)
            || a.offsets.last().map(|&o| o as usize) != Some(cells)
        {
            return bad("Can't serialize a malformed array vector");
        }
        self.header(v.type_code(), DataForm::Vector);
        self.count(rows, "array vector")?;
        // C++ writes the total cell count here; the Rust client ignores it.
        self.count(cells, "array vector")?;
        if v.ty.is_decimal() {
            self.put_i32(v.scale as i32);
        }
        let mut start = 0;
        while start < rows {
            let end = (start + BLOCK_ROWS_MAX).min(rows);
            self.array_block(a, start, end)?;
            start = end;
        }
        Ok(())
    }

    fn array_block(&mut self, a: &ArrayData, start: usize, end: usize) -> Result<()> {
        let counts: Vec<u32> = (start..end)
            .map(|i| a.offsets[i + 1].saturating_sub(a.offsets[i]))
            .collect();
        let widest = counts.iter().copied().max().unwrap_or(0);
        let width: u8 = if widest <= u8::MAX as u32 {
            1
        } else if widest <= u16::MAX as u32 {
            2
        } else {
            4
        };
        self.put_u16((end - start) as u16);
        self.out.push(width);
        self.out.push(0);
        for c in counts {
            match width {
                1 => self.out.push(c as u8),
                2 => self.put_u16(c as u16),
                _ => self.put_u32(c),
            }
        }
        let lo = a.offsets[start] as usize;
        let hi = a.offsets[end] as usize;
        self.elements(&a.values.slice(lo, hi))
    }

    /// The elements of a plain vector, back to back, in the vector's wire encoding.
    fn elements(&mut self, v: &Vector) -> Result<()> {
        match &v.data {
            Data::Void(n) => self.out.extend(std::iter::repeat_n(0u8, *n)),
            Data::I8(x) => self.out.extend(x.iter().map(|&b| b as u8)),
            Data::I16(x) => self.put_all_i16(x),
            Data::I32(x) => self.put_all_i32(x),
            Data::I64(x) if v.ty == DataType::Duration => {
                for &e in x {
                    self.put_i32(e as i32);
                    self.put_i32((e >> 32) as i32);
                }
            }
            Data::I64(x) => self.put_all_i64(x),
            Data::I128(x) => self.put_all_i128(x),
            Data::F32(x) => self.put_all_f32(x),
            Data::F64(x) => self.put_all_f64(x),
            Data::Str(x) => x.iter().for_each(|s| self.put_cstr(s)),
            Data::Sym(s) => {
                for st in s.iter() {
                    self.put_cstr(st);
                }
            }
            Data::Blob(x) => {
                for b in x {
                    self.put_blob(b)?;
                }
            }
            Data::Any(_) | Data::Array(_) => {
                return bad("Can't serialize nested vectors in this position");
            }
        }
        Ok(())
    }
}

/// The elements of a 2, 4 or 8-byte integral column, sign-extended, with their width: what
/// delta-of-delta encodes. None for other columns.
fn delta_values(v: &Vector) -> Option<(Vec<i64>, usize)> {
    match &v.data {
        Data::I16(x) => Some((x.iter().map(|&e| e as i64).collect(), 2)),
        Data::I32(x) => Some((x.iter().map(|&e| e as i64).collect(), 4)),
        Data::I64(x) if v.ty != DataType::Duration => Some((x.clone(), 8)),
        _ => None,
    }
}

/// Writes the elements of `v` as an uncompressed vector has them after its rows and cols
/// (no decimal scale), and for strings and blobs returns where each element ends.
fn raw_elements(v: &Vector, le: bool, raw: &mut Vec<u8>) -> Result<Option<Vec<usize>>> {
    let mut e = Encoder { out: raw, le };
    match &v.data {
        Data::Str(x) => {
            let mut ends = Vec::with_capacity(x.len());
            for s in x {
                e.put_cstr(s);
                ends.push(e.out.len());
            }
            Ok(Some(ends))
        }
        Data::Blob(x) => {
            let mut ends = Vec::with_capacity(x.len());
            for b in x {
                e.put_blob(b)?;
                ends.push(e.out.len());
            }
            Ok(Some(ends))
        }
        _ => {
            e.elements(v)?;
            Ok(None)
        }
    }
}

/// The strings a symbol vector uses (with `""` first) and its codes renumbered into them.
fn compact_symbols<'s>(s: &'s SymbolVec) -> (Vec<&'s str>, Vec<u32>) {
    let base_len = s.base.len();
    let mut strings: Vec<&'s str> = vec![""];
    let mut codes = Vec::with_capacity(s.codes.len());
    let add = |c: u32, strings: &mut Vec<&'s str>| -> u32 {
        let st = s.base.get(c);
        if st.is_empty() {
            return 0;
        }
        strings.push(st);
        (strings.len() - 1) as u32
    };
    if base_len <= 4 * s.codes.len() + 64 {
        let mut remap = vec![u32::MAX; base_len];
        for &c in &s.codes {
            let slot = remap.get_mut(c as usize);
            let code = match slot {
                Some(r) if *r != u32::MAX => *r,
                Some(r) => {
                    *r = add(c, &mut strings);
                    *r
                }
                None => 0,
            };
            codes.push(code);
        }
    } else {
        let mut remap: HashMap<u32, u32> = HashMap::new();
        for &c in &s.codes {
            let code = match remap.get(&c) {
                Some(r) => *r,
                None => {
                    let r = add(c, &mut strings);
                    remap.insert(c, r);
                    r
                }
            };
            codes.push(code);
        }
    }
    (strings, codes)
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Why a read stopped: too few bytes (with the total length needed at least), or bad input.
enum Fail {
    Short(usize),
    Bad(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Bad(e)
    }
}

type Step<T> = std::result::Result<T, Fail>;

fn fail<T>(msg: impl Into<String>) -> Step<T> {
    Err(Fail::Bad(Error::new(msg)))
}

/// Symbol bases seen so far in one table (or one standalone vector), by wire id, each with the
/// mapping from wire index to our code.
#[derive(Default)]
struct SymbolBases {
    bases: HashMap<i32, (Arc<SymbolBase>, Vec<u32>)>,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    le: bool,
    /// What compressed vectors may still inflate to in this object (`DECOMPRESSED_BYTES_MAX`).
    inflate_budget: usize,
}

macro_rules! get_fn {
    ($name:ident, $t:ty) => {
        fn $name(&mut self) -> Step<$t> {
            const N: usize = std::mem::size_of::<$t>();
            let b = self.take(N)?;
            let mut a = [0u8; N];
            a.copy_from_slice(b);
            Ok(if self.le {
                <$t>::from_le_bytes(a)
            } else {
                <$t>::from_be_bytes(a)
            })
        }
    };
}

impl<'a> Reader<'a> {
    get_fn!(get_u16, u16);
    get_fn!(get_i32, i32);
    get_fn!(get_u32, u32);

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next `n` bytes, or `Short` with the total length they need.
    fn take(&mut self, n: usize) -> Step<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Fail::Short(usize::MAX))?;
        if end > self.buf.len() {
            return Err(Fail::Short(end));
        }
        let b = &self.buf[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    fn get_u8(&mut self) -> Step<u8> {
        Ok(self.take(1)?[0])
    }

    /// Checks that `n` elements of `width` bytes are present, before allocating for them.
    fn ensure(&self, n: usize, width: usize) -> Step<()> {
        let bytes = n.checked_mul(width).ok_or(Fail::Short(usize::MAX))?;
        if bytes > self.remaining() {
            return Err(Fail::Short(self.pos.saturating_add(bytes)));
        }
        Ok(())
    }

    /// A NUL-terminated UTF-8 string. `more` = how many more strings follow at least, so an
    /// incomplete read can say how much is still needed (one byte per string at least).
    fn get_cstr(&mut self, more: usize) -> Step<String> {
        Ok(String::from_utf8_lossy(self.get_cbytes(more)?).into_owned())
    }

    /// The bytes of a NUL-terminated string, without the NUL (`get_cstr`).
    fn get_cbytes(&mut self, more: usize) -> Step<&'a [u8]> {
        let buf: &'a [u8] = self.buf;
        let rest = &buf[self.pos..];
        match memchr::memchr(0, rest) {
            Some(n) => {
                self.pos += n + 1;
                Ok(&rest[..n])
            }
            None => Err(Fail::Short(
                self.buf.len().saturating_add(1).saturating_add(more),
            )),
        }
    }

    fn get_blob(&mut self, more: usize) -> Step<Vec<u8>> {
        let len = self.get_u32()? as usize;
        let need = len.saturating_add(more.saturating_mul(4));
        if need > self.remaining() {
            return Err(Fail::Short(self.pos.saturating_add(need)));
        }
        Ok(self.take(len)?.to_vec())
    }

    fn get_rows(&mut self, what: &str) -> Step<usize> {
        let n = self.get_i32()?;
        if n < 0 {
            return fail(format!("Invalid {what} size {n}"));
        }
        Ok(n as usize)
    }

    fn get_scale(&mut self, ty: DataType) -> Step<u8> {
        let s = self.get_i32()?;
        let max = match ty {
            DataType::Decimal32 => 9,
            DataType::Decimal64 => 18,
            _ => 38,
        };
        if !(0..=max).contains(&s) {
            return fail(format!(
                "Scale out of bound (valid range: [0, {max}], but get: {s})"
            ));
        }
        Ok(s as u8)
    }

    /// The 2-byte header: (type byte, form byte).
    fn get_header(&mut self) -> Step<(u8, u8)> {
        let b = self.take(2)?;
        Ok(if self.le { (b[0], b[1]) } else { (b[1], b[0]) })
    }

    fn value(&mut self, depth: usize, syms: &mut SymbolBases) -> Step<Value> {
        if depth > DEPTH_MAX {
            return fail(format!(
                "The object is nested deeper than {DEPTH_MAX} levels"
            ));
        }
        let (code, form_code) = self.get_header()?;
        let form = DataForm::from_code(form_code)
            .ok_or_else(|| Fail::Bad(Error::new(format!("Invalid data form {form_code}"))))?;
        if form == DataForm::Table {
            if !TABLE_TYPES.contains(&code) {
                return fail(format!("Invalid table type {code}"));
            }
            return self.table(depth);
        }
        match form {
            DataForm::Scalar => self.scalar(code),
            DataForm::Vector => Ok(Value::vector(self.vector_body(code, depth, syms)?)),
            DataForm::Pair => {
                let v = self.vector_body(code, depth, syms)?;
                if v.len() != 2 || v.is_array() || v.ty == DataType::Any {
                    return fail("A pair must have exactly two elements");
                }
                Ok(Value::pair(v))
            }
            DataForm::Matrix => self.matrix(code, depth),
            DataForm::Set => {
                let keys = self.inner_vector(depth, syms)?;
                if keys.is_array() || keys.ty == DataType::Any {
                    return fail("Invalid set key type");
                }
                Ok(Value::set(Set::from_vector(&keys)))
            }
            DataForm::Dictionary => {
                let keys = self.inner_vector(depth, syms)?;
                let values = self.inner_vector(depth, syms)?;
                if keys.len() != values.len() || keys.is_array() || keys.ty == DataType::Any {
                    return fail("Invalid dictionary: keys and values differ in size");
                }
                Ok(Value::dict(Dict::from_vectors(keys, values)))
            }
            _ => fail(format!("Unsupported data form {}", form.name())),
        }
    }

    /// A complete vector object inside a set, dictionary or table.
    fn inner_vector(&mut self, depth: usize, syms: &mut SymbolBases) -> Step<Vector> {
        let (code, form) = self.get_header()?;
        if form != DataForm::Vector as u8 {
            return fail(format!("Expected a vector, got data form {form}"));
        }
        self.vector_body(code, depth, syms)
    }

    fn data_type(code: u8) -> Step<DataType> {
        DataType::from_code(code)
            .ok_or_else(|| Fail::Bad(Error::new(format!("Unsupported data type {code}"))))
    }

    fn scalar(&mut self, code: u8) -> Step<Value> {
        let ty = Self::data_type(code)?;
        let v = match ty {
            DataType::Void => {
                self.get_u8()?;
                return Ok(Value::void());
            }
            DataType::FunctionDef => {
                let kind = self.get_u8()? as i8;
                let text = self.get_cstr(0)?;
                return Ok(Value::Object(Arc::new(FunctionText { kind, text })));
            }
            // DolphinDB has no symbol scalars: the Rust client's Symbol is a STRING.
            DataType::Symbol | DataType::String => Vector::from_strings(vec![self.get_cstr(0)?]),
            DataType::Blob => Vector::new(DataType::Blob, Data::Blob(vec![self.get_blob(0)?])),
            t if t.is_decimal() => {
                let scale = self.get_scale(t)?;
                let mut v = self.fixed(t, 1)?;
                v.scale = scale;
                v
            }
            t if t.wire_width().is_some() => self.fixed(t, 1)?,
            t => return fail(format!("Unsupported data type {}", t.name())),
        };
        Ok(Value::Scalar(v))
    }

    /// `n` fixed-width elements of `ty`.
    fn fixed(&mut self, ty: DataType, n: usize) -> Step<Vector> {
        let width = match ty.wire_width() {
            Some(w) => w,
            None => return fail(format!("Unsupported data type {}", ty.name())),
        };
        self.ensure(n, width)?;
        // A whole column at once: one bounds check, then a loop the compiler vectorizes.
        macro_rules! read_n {
            ($t:ty) => {{
                const W: usize = std::mem::size_of::<$t>();
                let b = self.take(n * W)?;
                let le = self.le;
                b.chunks_exact(W)
                    .map(|c| {
                        let mut a = [0u8; W];
                        a.copy_from_slice(c);
                        if le {
                            <$t>::from_le_bytes(a)
                        } else {
                            <$t>::from_be_bytes(a)
                        }
                    })
                    .collect::<Vec<$t>>()
            }};
        }
        let data = match ty.storage() {
            Storage::Void => {
                self.take(n)?;
                Data::Void(n)
            }
            Storage::I8 => Data::I8(self.take(n)?.iter().map(|&b| b as i8).collect()),
            Storage::I16 => Data::I16(read_n!(i16)),
            Storage::I32 => Data::I32(read_n!(i32)),
            Storage::I64 if ty == DataType::Duration => {
                let mut x = Vec::with_capacity(n);
                for _ in 0..n {
                    let value = self.get_i32()? as u32 as i64;
                    let unit = self.get_i32()? as i64;
                    x.push(unit << 32 | value);
                }
                Data::I64(x)
            }
            Storage::I64 => Data::I64(read_n!(i64)),
            Storage::I128 => Data::I128(read_n!(i128)),
            Storage::F32 => Data::F32(read_n!(f32)),
            Storage::F64 => Data::F64(read_n!(f64)),
            _ => return fail(format!("Unsupported data type {}", ty.name())),
        };
        Ok(Vector::new(ty, data))
    }

    /// What follows a vector or pair header: rows, cols, then the data.
    fn vector_body(&mut self, code: u8, depth: usize, syms: &mut SymbolBases) -> Step<Vector> {
        if code == DataType::Compress as u8 {
            return self.compressed_vector(depth, syms);
        }
        if code == SYMBOL_WITH_BASE {
            let rows = self.get_rows("vector")?;
            self.get_i32()?;
            return self.symbol_with_base(rows, syms);
        }
        if (ARRAY_TYPE_OFFSET..128).contains(&code) {
            return self.array_vector(code - ARRAY_TYPE_OFFSET);
        }
        let ty = Self::data_type(code)?;
        let rows = self.get_rows("vector")?;
        self.get_i32()?; // cols: 1 for vectors, ignored as the clients do
        self.elements(ty, rows, depth)
    }

    /// A compressed vector (type 26) after its object header: the 28-byte header, the blocks,
    /// then the vector they inflate to, read as an uncompressed vector body (§5.13).
    fn compressed_vector(&mut self, depth: usize, syms: &mut SymbolBases) -> Step<Vector> {
        let mut hb = [0u8; HEADER_BYTES];
        hb.copy_from_slice(self.take(HEADER_BYTES)?);
        let h = CompressHeader::parse(&hb, self.le);
        let region = self.take(h.region_bytes()?)?;
        let code = h.data_type;
        let elem = if code == SYMBOL_WITH_BASE {
            DataType::Symbol
        } else if (ARRAY_TYPE_OFFSET..128).contains(&code) {
            Self::data_type(code - ARRAY_TYPE_OFFSET)?
        } else {
            Self::data_type(code)?
        };
        if matches!(elem, DataType::Compress | DataType::Any | DataType::Void) {
            return fail(format!("Unsupported compressed data type {}", elem.name()));
        }
        if h.element_count < 0 {
            return fail(format!("Invalid vector size {}", h.element_count));
        }
        // What an uncompressed vector has before its data; the header carries the scale.
        let mut payload = Vec::new();
        for x in [h.element_count, 1] {
            payload.extend_from_slice(&if self.le {
                x.to_le_bytes()
            } else {
                x.to_be_bytes()
            });
        }
        if elem.is_decimal() {
            let scale = h.reserved as i32;
            payload.extend_from_slice(&if self.le {
                scale.to_le_bytes()
            } else {
                scale.to_be_bytes()
            });
        }
        let plain = code == elem.code();
        let width = if plain { elem.wire_width() } else { None };
        compress::inflate(
            &h,
            region,
            width,
            self.le,
            &mut self.inflate_budget,
            &mut payload,
        )?;
        let mut inner = Reader {
            buf: &payload,
            pos: 0,
            le: self.le,
            inflate_budget: 0,
        };
        match inner.vector_body(code, depth, syms) {
            Err(Fail::Short(_)) => fail(format!(
                "A compressed vector inflates to fewer than the {} elements its header says",
                h.element_count
            )),
            r => r,
        }
    }

    /// `rows` elements of a plain (not array, not 145) vector of `ty`.
    fn elements(&mut self, ty: DataType, rows: usize, depth: usize) -> Step<Vector> {
        match ty {
            DataType::Symbol => {
                // Interned as read: no String per row.
                let mut base = SymbolBase::new();
                let mut codes = Vec::with_capacity(rows.min(self.remaining()));
                for i in 0..rows {
                    let b = self.get_cbytes(rows - i - 1)?;
                    codes.push(base.intern(&String::from_utf8_lossy(b)));
                }
                let sv = SymbolVec {
                    base: Arc::new(base),
                    codes,
                };
                Ok(Vector::new(ty, Data::Sym(sv)))
            }
            DataType::String => {
                let mut x = Vec::with_capacity(rows.min(self.remaining()));
                for i in 0..rows {
                    x.push(self.get_cstr(rows - i - 1)?);
                }
                Ok(Vector::from_strings(x))
            }
            DataType::Blob => {
                let mut x = Vec::with_capacity(rows.min(self.remaining() / 4));
                for i in 0..rows {
                    x.push(self.get_blob(rows - i - 1)?);
                }
                Ok(Vector::new(ty, Data::Blob(x)))
            }
            DataType::Any => {
                // Every element is an object of at least 3 bytes.
                self.ensure(rows, 3)?;
                let mut x = Vec::with_capacity(rows);
                for _ in 0..rows {
                    x.push(self.value(depth + 1, &mut SymbolBases::default())?);
                }
                Ok(Vector::from_values(x))
            }
            t if t.is_decimal() => {
                let scale = self.get_scale(t)?;
                let mut v = self.fixed(t, rows)?;
                v.scale = scale;
                Ok(v)
            }
            t => self.fixed(t, rows),
        }
    }

    /// A 145 vector after rows/cols: base id, base size, base strings, then indexes.
    fn symbol_with_base(&mut self, rows: usize, syms: &mut SymbolBases) -> Step<Vector> {
        let id = self.get_i32()?;
        let size = self.get_rows("symbol base")?;
        if size > 0 {
            let mut base = SymbolBase::new();
            let mut remap = Vec::with_capacity(size.min(self.remaining()));
            for i in 0..size {
                let s = self.get_cstr(size - i - 1 + rows * 4)?;
                remap.push(base.intern(&s));
            }
            syms.bases.insert(id, (Arc::new(base), remap));
        }
        let (base, remap) = match syms.bases.get(&id) {
            Some(b) => b,
            None => return fail(format!("Unknown symbol base id {id}")),
        };
        self.ensure(rows, 4)?;
        let mut codes = Vec::with_capacity(rows);
        for _ in 0..rows {
            let i = self.get_i32()?;
            match usize::try_from(i).ok().and_then(|i| remap.get(i)) {
                Some(&c) => codes.push(c),
                None => return fail(format!("Symbol index {i} is out of the symbol base")),
            }
        }
        let sv = SymbolVec {
            base: base.clone(),
            codes,
        };
        Ok(Vector::new(DataType::Symbol, Data::Sym(sv)))
    }

    fn array_vector(&mut self, elem: u8) -> Step<Vector> {
        let ty = Self::data_type(elem)?;
        let width = match ty.wire_width() {
            Some(w) if ty != DataType::Void => w,
            _ => return fail(format!("Unsupported array vector type {}[]", ty.name())),
        };
        let rows = self.get_rows("array vector")?;
        self.get_i32()?; // cols: C++ writes the cell count, Rust 1; neither is needed
        let scale = if ty.is_decimal() {
            self.get_scale(ty)?
        } else {
            0
        };
        let mut offsets = Vec::with_capacity(rows.min(self.remaining()) + 1);
        offsets.push(0u32);
        let mut values = Vector::empty(ty);
        while offsets.len() <= rows {
            let block = self.get_u16()? as usize;
            let count_width = self.get_u8()? as usize;
            self.get_u8()?;
            if block == 0 || block > rows + 1 - offsets.len() {
                return fail("Invalid array vector block size");
            }
            if !matches!(count_width, 1 | 2 | 4) {
                return fail(format!("Invalid array vector count width {count_width}"));
            }
            self.ensure(block, count_width)?;
            let mut cells = 0usize;
            for _ in 0..block {
                let c = match count_width {
                    1 => self.get_u8()? as usize,
                    2 => self.get_u16()? as usize,
                    _ => self.get_u32()? as usize,
                };
                cells += c;
                let total = *offsets.last().unwrap_or(&0) as usize + c;
                if total > ARRAY_CELLS_MAX {
                    return fail("Too many cells in an array vector");
                }
                offsets.push(total as u32);
            }
            self.ensure(cells, width)?;
            let chunk = self.fixed(ty, cells)?;
            values.extend(&chunk);
        }
        values.scale = scale;
        Ok(Vector {
            ty,
            scale,
            data: Data::Array(ArrayData {
                offsets,
                values: Box::new(values),
            }),
        })
    }

    fn matrix(&mut self, code: u8, depth: usize) -> Step<Value> {
        let flags = self.get_u8()?;
        let mut labels = [None, None];
        for (bit, slot) in labels.iter_mut().enumerate() {
            if flags & (1 << bit) != 0 {
                *slot = Some(self.inner_vector(depth + 1, &mut SymbolBases::default())?);
            }
        }
        let (code2, form) = self.get_header()?;
        if code2 != code || form != DataForm::Matrix as u8 {
            return fail("Invalid matrix header");
        }
        let ty = Self::data_type(code)?;
        let rows = self.get_rows("matrix")?;
        let cols = self.get_rows("matrix")?;
        let n = rows
            .checked_mul(cols)
            .filter(|&n| n <= ROWS_MAX)
            .ok_or_else(|| Fail::Bad(Error::new("The matrix is too large")))?;
        if ty == DataType::Any {
            return fail("Unsupported matrix type ANY");
        }
        let data = self.elements(ty, n, depth)?;
        let [row_labels, col_labels] = labels;
        if row_labels.as_ref().is_some_and(|l| l.len() != rows)
            || col_labels.as_ref().is_some_and(|l| l.len() != cols)
        {
            return fail("Matrix labels differ in size from the matrix");
        }
        let mut m = Matrix::new(data, rows, cols);
        m.row_labels = row_labels;
        m.col_labels = col_labels;
        Ok(Value::Matrix(Arc::new(m)))
    }

    fn table(&mut self, depth: usize) -> Step<Value> {
        let rows = self.get_rows("table")?;
        let cols = self.get_rows("table column")?;
        if cols > COLUMNS_MAX {
            return fail(format!("A table may have at most {COLUMNS_MAX} columns"));
        }
        let name = self.get_cstr(cols)?;
        let mut names = Vec::with_capacity(cols.min(self.remaining()));
        for i in 0..cols {
            names.push(self.get_cstr(cols - i - 1)?);
        }
        let mut syms = SymbolBases::default();
        let mut columns = Vec::with_capacity(cols);
        for n in &names {
            let c = self.inner_vector(depth + 1, &mut syms)?;
            if c.len() != rows {
                return fail(format!(
                    "The length of column {n} is {}, not the table's {rows}",
                    c.len()
                ));
            }
            columns.push(c);
        }
        let mut t = Table::new(names, columns);
        t.name = name;
        Ok(Value::table(t))
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "wire_compress_tests.rs"]
mod compress_tests;
