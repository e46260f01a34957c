//! Where one serialized object ends, found without decoding it and resumed as more bytes
//! arrive.
//!
//! A server reading a large request (a million-row table from `tableInsert`) gets it in many
//! socket reads. Decoding from the first byte after each read costs the whole prefix every
//! time, and a STRING column only tells how many bytes it needs at least once its last string
//! is in, so the decoder would be re-run many times. `Extent` walks the object's framing instead
//! (headers, counts, NUL-terminated strings) and remembers how far it got, so each byte is
//! looked at about once; the caller decodes once the extent says where the object ends.
//!
//! Only the common shapes are walked: scalars, plain vectors and pairs (fixed-width, STRING,
//! SYMBOL, BLOB, DECIMAL, symbol vectors with their base, compressed vectors) and tables of such
//! columns. For anything else (ANY vectors, array vectors, matrices, sets, dictionaries)
//! `advance` answers `Reach::Unknown` and the caller decodes as before. The decoder stays the
//! judge of validity: the extent never rejects anything, it only says when to try.

use crate::types::{DataForm, DataType};
use crate::wire_compress::{Header as CompressHeader, HEADER_BYTES};

/// What `Extent::advance` found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The object takes exactly this many bytes.
    Ends(usize),
    /// The object needs at least this many bytes in total.
    NeedAtLeast(usize),
    /// Not a shape this walker knows; decode to find out.
    Unknown,
}

/// One step still to walk, innermost last.
#[derive(Debug, Clone, Copy)]
enum Task {
    /// A whole object: header, then by form.
    Object,
    /// `n` table columns (vector objects) still to come.
    Columns(usize),
    /// What follows a vector header with this type byte.
    Body(u8),
    /// Exactly this many bytes.
    Bytes(usize),
    /// This many NUL-terminated strings.
    Cstrs(usize),
    /// This many BLOBs (u32 length, then the bytes).
    Blobs(usize),
}

/// A resumable walk over one object's framing. Feed it the same growing buffer (the object's
/// first byte at index 0) after every read.
#[derive(Debug)]
pub struct Extent {
    le: bool,
    pos: usize,
    tasks: Vec<Task>,
    unknown: bool,
}

/// A step cannot finish: `Some(n)` = it needs n bytes in total, `None` = unknown shape.
type Stop = Option<usize>;

impl Extent {
    pub fn new(little_endian: bool) -> Extent {
        Extent {
            le: little_endian,
            pos: 0,
            tasks: vec![Task::Object],
            unknown: false,
        }
    }

    /// Walks on over `buf` (which must start with what earlier calls saw).
    pub fn advance(&mut self, buf: &[u8]) -> Reach {
        if self.unknown {
            return Reach::Unknown;
        }
        while let Some(task) = self.tasks.pop() {
            if let Err(stop) = self.step(task, buf) {
                return match stop {
                    Some(need) => Reach::NeedAtLeast(need.max(buf.len() + 1)),
                    None => {
                        self.unknown = true;
                        Reach::Unknown
                    }
                };
            }
        }
        Reach::Ends(self.pos)
    }

    fn i32_at(&self, buf: &[u8], at: usize) -> i32 {
        let a = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        if self.le {
            i32::from_le_bytes(a)
        } else {
            i32::from_be_bytes(a)
        }
    }

    /// A non-negative count at `at`; a negative one is for the decoder to report.
    fn count_at(&self, buf: &[u8], at: usize) -> Result<usize, Stop> {
        usize::try_from(self.i32_at(buf, at)).map_err(|_| None)
    }

    /// Fails with "need `self.pos + n` bytes" (and puts `task` back) unless they are there.
    fn have(&mut self, buf: &[u8], n: usize, task: Task) -> Result<(), Stop> {
        let end = self.pos.checked_add(n).ok_or(None)?;
        if end > buf.len() {
            self.tasks.push(task);
            return Err(Some(end));
        }
        Ok(())
    }

    /// (type byte, form byte) at the current position.
    fn header(&self, buf: &[u8]) -> (u8, u8) {
        let (a, b) = (buf[self.pos], buf[self.pos + 1]);
        if self.le {
            (a, b)
        } else {
            (b, a)
        }
    }

    fn step(&mut self, task: Task, buf: &[u8]) -> Result<(), Stop> {
        match task {
            Task::Object => {
                self.have(buf, 2, task)?;
                let (code, form) = self.header(buf);
                match DataForm::from_code(form).ok_or(None)? {
                    DataForm::Table => {
                        self.have(buf, 10, task)?;
                        let cols = self.count_at(buf, self.pos + 6)?;
                        self.count_at(buf, self.pos + 2)?;
                        self.pos += 10;
                        self.tasks.push(Task::Columns(cols));
                        // The table's name, then one name per column.
                        self.tasks
                            .push(Task::Cstrs(cols.checked_add(1).ok_or(None)?));
                    }
                    DataForm::Vector | DataForm::Pair => {
                        self.pos += 2;
                        self.tasks.push(Task::Body(code));
                    }
                    DataForm::Scalar => {
                        let ty = DataType::from_code(code).ok_or(None)?;
                        let next = match ty {
                            DataType::String | DataType::Symbol => Task::Cstrs(1),
                            DataType::Blob => Task::Blobs(1),
                            t if t.is_decimal() => Task::Bytes(4 + t.wire_width().ok_or(None)?),
                            DataType::FunctionDef | DataType::Any | DataType::Compress => {
                                return Err(None)
                            }
                            t => Task::Bytes(t.wire_width().ok_or(None)?),
                        };
                        self.pos += 2;
                        self.tasks.push(next);
                    }
                    _ => return Err(None),
                }
            }
            Task::Columns(n) => {
                if n > 0 {
                    self.have(buf, 2, task)?;
                    let (code, form) = self.header(buf);
                    if form != DataForm::Vector as u8 {
                        return Err(None);
                    }
                    self.pos += 2;
                    self.tasks.push(Task::Columns(n - 1));
                    self.tasks.push(Task::Body(code));
                }
            }
            Task::Body(code) => self.body(code, buf)?,
            Task::Bytes(n) => {
                self.have(buf, n, task)?;
                self.pos += n;
            }
            Task::Cstrs(n) => {
                let mut left = n;
                while left > 0 {
                    match memchr::memchr(0, &buf[self.pos..]) {
                        Some(i) => {
                            self.pos += i + 1;
                            left -= 1;
                        }
                        None => {
                            self.pos = buf.len();
                            self.tasks.push(Task::Cstrs(left));
                            // One byte (the NUL) per string still to come, at least.
                            return Err(Some(buf.len().saturating_add(left)));
                        }
                    }
                }
            }
            Task::Blobs(n) => {
                let mut left = n;
                while left > 0 {
                    self.have(buf, 4, Task::Blobs(left))?;
                    let len = self.i32_at(buf, self.pos) as u32 as usize;
                    let need = 4usize.checked_add(len).ok_or(None)?;
                    self.have(buf, need, Task::Blobs(left))?;
                    self.pos += need;
                    left -= 1;
                }
            }
        }
        Ok(())
    }

    /// What follows a vector header of type byte `code`.
    fn body(&mut self, code: u8, buf: &[u8]) -> Result<(), Stop> {
        let task = Task::Body(code);
        if code == DataType::Compress as u8 {
            self.have(buf, HEADER_BYTES, task)?;
            let mut hb = [0u8; HEADER_BYTES];
            hb.copy_from_slice(&buf[self.pos..self.pos + HEADER_BYTES]);
            let region = CompressHeader::parse(&hb, self.le)
                .region_bytes()
                .map_err(|_| None)?;
            self.pos += HEADER_BYTES;
            self.tasks.push(Task::Bytes(region));
            return Ok(());
        }
        if code == 128 + DataType::Symbol as u8 {
            // rows, cols, base id, base size, the base's strings, then one i32 per row.
            self.have(buf, 16, task)?;
            let rows = self.count_at(buf, self.pos)?;
            let size = self.count_at(buf, self.pos + 12)?;
            self.pos += 16;
            self.tasks
                .push(Task::Bytes(rows.checked_mul(4).ok_or(None)?));
            self.tasks.push(Task::Cstrs(size));
            return Ok(());
        }
        let ty = DataType::from_code(code).ok_or(None)?;
        self.have(buf, 8, task)?;
        let rows = self.count_at(buf, self.pos)?;
        let next = match ty {
            DataType::String | DataType::Symbol => Task::Cstrs(rows),
            DataType::Blob => Task::Blobs(rows),
            DataType::Any | DataType::FunctionDef | DataType::Compress => return Err(None),
            t => {
                let w = t.wire_width().ok_or(None)?;
                let bytes = rows.checked_mul(w).ok_or(None)?;
                let scale = if t.is_decimal() { 4 } else { 0 };
                Task::Bytes(bytes.checked_add(scale).ok_or(None)?)
            }
        };
        self.pos += 8;
        self.tasks.push(next);
        Ok(())
    }
}
