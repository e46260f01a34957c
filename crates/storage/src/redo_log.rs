//! The redo log: every transaction is one record appended to `REDO/redo-<first lsn>.log`
//! before it becomes visible, fsynced when `dataSync=1`. Concurrent committers share one
//! fsync (group commit).
//!
//! File format: 8 magic bytes `PPREDO01`, then frames:
//! `u32 len | u32 crc32(lsn ++ payload) | u64 lsn | payload[len - 8]`, little endian.
//! A frame that is cut short or fails its checksum ends the file: it was never acknowledged
//! (acknowledgement waits for the fsync that covers it). Payloads are `Record`s, encoded by
//! `encode`/`decode` below; tables inside use `value::wire`.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use parking_lot::{Condvar, Mutex};
use value::{Table, Value};

use crate::chunk::{ChunkId, TabletWrite, WriteKind};
use crate::error::{Error, ErrorKind, Result};
use crate::manifest::sync_dir;
use crate::schema::TableSchema;

const MAGIC: &[u8; 8] = b"PPREDO01";
const FRAME_HEADER_BYTES: usize = 16;
/// Largest record (one transaction's writes) the log accepts.
pub const RECORD_BYTES_MAX: usize = 1 << 31;

/// One redo record.
#[derive(Debug)]
pub(crate) enum Record {
    Commit {
        tid: u64,
        cid: u64,
        writes: Vec<TabletWrite>,
    },
    Prepare {
        tid: u64,
        writes: Vec<TabletWrite>,
    },
    CommitPrepared {
        tid: u64,
        cid: u64,
    },
    Abort {
        tid: u64,
    },
    Drop {
        chunk: ChunkId,
        table: String,
        cid: u64,
    },
}

// ---------------------------------------------------------------------------------------------
// Payload encoding

fn put_u64(out: &mut Vec<u8>, x: u64) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_writes(out: &mut Vec<u8>, writes: &[TabletWrite]) -> Result<()> {
    put_u64(out, writes.len() as u64);
    for w in writes {
        out.push(match w.kind {
            WriteKind::Append => 0,
            WriteKind::Replace => 1,
        });
        put_bytes(out, w.chunk.as_str().as_bytes());
        put_bytes(out, w.table.as_bytes());
        let schema = serde_json::to_vec(&w.schema)
            .map_err(|e| Error::invalid(format!("schema encoding: {e}")))?;
        put_bytes(out, &schema);
        // Straight into the record, its length filled in after (no second copy of the rows).
        let at = out.len();
        put_u64(out, 0);
        out.reserve(wire_bytes(&w.rows));
        value::wire::encode(&Value::Table(std::sync::Arc::new(w.rows.clone())), out)?;
        let len = (out.len() - at - 8) as u64;
        out[at..at + 8].copy_from_slice(&len.to_le_bytes());
    }
    Ok(())
}

/// About how many bytes `value::wire` takes for `t` (so the record grows once, not by
/// doubling: each regrowth copied everything written so far).
fn wire_bytes(t: &Table) -> usize {
    t.columns
        .iter()
        .map(|c| match &c.data {
            value::Data::Str(v) => v.iter().map(|s| s.len() + 1).sum(),
            value::Data::Sym(v) => v.codes.len() * 4 + 64,
            value::Data::Blob(v) => v.iter().map(|b| b.len() + 4).sum(),
            _ => c.len() * c.ty.wire_width().unwrap_or(8),
        })
        .sum::<usize>()
        + 256
}

/// Encodes a record's payload.
pub(crate) fn encode(r: &Record) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    encode_into(r, &mut out)?;
    Ok(out)
}

/// Largest record buffer `RecordBuffer` keeps for the next record.
const KEPT_BUFFER_BYTES: usize = 256 << 20;

/// One record buffer kept between writes. A large batch's record (100 MB for a million rows
/// of a dozen columns) is above the allocator's mmap threshold, so a new buffer each time
/// meant fresh zeroed pages and their faults on every write; keeping one avoids that, at the
/// cost of holding at most `KEPT_BUFFER_BYTES`.
#[derive(Default)]
pub(crate) struct RecordBuffer(Mutex<Option<Vec<u8>>>);

impl RecordBuffer {
    /// An empty buffer (the kept one when no other write has it).
    pub fn take(&self) -> Vec<u8> {
        self.0.lock().take().unwrap_or_default()
    }

    /// Returns a buffer for the next write.
    pub fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() <= KEPT_BUFFER_BYTES {
            buf.clear();
            *self.0.lock() = Some(buf);
        }
    }
}

/// Encodes a record's payload into `out` (cleared first).
pub(crate) fn encode_into(r: &Record, out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    match r {
        Record::Commit { tid, cid, writes } => {
            out.push(1);
            put_u64(out, *tid);
            put_u64(out, *cid);
            put_writes(out, writes)?;
        }
        Record::Prepare { tid, writes } => {
            out.push(2);
            put_u64(out, *tid);
            put_writes(out, writes)?;
        }
        Record::CommitPrepared { tid, cid } => {
            out.push(3);
            put_u64(out, *tid);
            put_u64(out, *cid);
        }
        Record::Abort { tid } => {
            out.push(4);
            put_u64(out, *tid);
        }
        Record::Drop { chunk, table, cid } => {
            out.push(5);
            put_bytes(out, chunk.as_str().as_bytes());
            put_bytes(out, table.as_bytes());
            put_u64(out, *cid);
        }
    }
    if out.len() > RECORD_BYTES_MAX {
        return Err(Error::invalid(format!(
            "A transaction of {} bytes exceeds the redo record limit of {RECORD_BYTES_MAX} bytes",
            out.len()
        )));
    }
    Ok(())
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(|| Error::corrupt("redo record ends early"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.u64()?;
        let n = usize::try_from(n).map_err(|_| Error::corrupt("redo length overflow"))?;
        self.take(n)
    }
    fn string(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| Error::corrupt("redo: bad text"))
    }
    fn writes(&mut self) -> Result<Vec<TabletWrite>> {
        let n = self.u64()?;
        let mut out = Vec::new();
        for _ in 0..n {
            let kind = match self.u8()? {
                0 => WriteKind::Append,
                1 => WriteKind::Replace,
                k => return Err(Error::corrupt(format!("redo: bad write kind {k}"))),
            };
            let chunk = ChunkId::new(self.string()?)?;
            let table = self.string()?;
            let schema: TableSchema = serde_json::from_slice(self.bytes()?)
                .map_err(|e| Error::corrupt(format!("redo schema: {e}")))?;
            let rows = match value::wire::decode(self.bytes()?, true)? {
                Some((Value::Table(t), _)) => Table::clone(&t),
                _ => return Err(Error::corrupt("redo: bad table")),
            };
            out.push(TabletWrite {
                kind,
                chunk,
                table,
                schema,
                rows,
            });
        }
        Ok(out)
    }
}

/// Decodes a record's payload.
pub(crate) fn decode(buf: &[u8]) -> Result<Record> {
    let mut c = Cursor { buf, pos: 0 };
    let r = match c.u8()? {
        1 => Record::Commit {
            tid: c.u64()?,
            cid: c.u64()?,
            writes: c.writes()?,
        },
        2 => Record::Prepare {
            tid: c.u64()?,
            writes: c.writes()?,
        },
        3 => Record::CommitPrepared {
            tid: c.u64()?,
            cid: c.u64()?,
        },
        4 => Record::Abort { tid: c.u64()? },
        5 => Record::Drop {
            chunk: ChunkId::new(c.string()?)?,
            table: c.string()?,
            cid: c.u64()?,
        },
        k => return Err(Error::corrupt(format!("redo: bad record kind {k}"))),
    };
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// Files

fn file_name(first_lsn: u64) -> String {
    format!("redo-{first_lsn:020}.log")
}

/// The redo files of `dir`, ascending by first LSN.
fn list_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let rd = fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))?;
    for ent in rd {
        let ent = ent.map_err(|e| Error::io(dir.display(), e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix("redo-")
            .and_then(|s| s.strip_suffix(".log"))
            .and_then(|s| s.parse::<u64>().ok())
        {
            out.push((n, ent.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every valid record of `dir` in LSN order. A torn or corrupt frame ends its file;
/// the file is cut there so that nothing after it is ever mistaken for data.
pub(crate) fn replay(dir: &Path) -> Result<Vec<(u64, Record)>> {
    let mut out = Vec::new();
    for (_, path) in list_files(dir)? {
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| Error::io(path.display(), e))?;
        let mut pos = MAGIC.len();
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            // A file cut before its header was written holds nothing.
            continue;
        }
        while let Some((lsn, payload, next)) = frame_at(&bytes, pos) {
            let rec = decode(payload)
                .map_err(|e| Error::corrupt(format!("{}: lsn {lsn}: {e}", path.display())))?;
            out.push((lsn, rec));
            pos = next;
        }
        if pos < bytes.len() {
            let cut = OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_len(pos as u64).and_then(|_| f.sync_all()));
            cut.map_err(|e| Error::io(path.display(), e))?;
        }
    }
    out.sort_by_key(|(lsn, _)| *lsn);
    Ok(out)
}

/// The frame at `pos`: (lsn, payload, next position), None when torn or corrupt.
fn frame_at(bytes: &[u8], pos: usize) -> Option<(u64, &[u8], usize)> {
    let head = bytes.get(pos..pos + FRAME_HEADER_BYTES)?;
    let len = u32::from_le_bytes(head[0..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(head[4..8].try_into().ok()?);
    if len < 8 {
        return None;
    }
    let body = bytes.get(pos + 8..pos + 8 + len)?;
    if crc32fast::hash(body) != crc {
        return None;
    }
    let lsn = u64::from_le_bytes(body[0..8].try_into().ok()?);
    Some((lsn, &body[8..], pos + 8 + len))
}

// ---------------------------------------------------------------------------------------------
// The live log

struct LogState {
    file: File,
    file_bytes: u64,
    /// Redo files, ascending by first LSN; the last one is `file`.
    files: Vec<(u64, PathBuf)>,
    next_lsn: u64,
    written_lsn: u64,
    synced_lsn: u64,
    syncing: bool,
    poisoned: Option<String>,
}

pub(crate) struct RedoLog {
    dir: PathBuf,
    data_sync: bool,
    file_bytes_max: u64,
    state: Mutex<LogState>,
    synced: Condvar,
}

impl RedoLog {
    /// Opens the log for appending at `next_lsn` in a fresh file (older files stay until
    /// `truncate_before` finds them fully flushed).
    pub fn open(dir: &Path, next_lsn: u64, data_sync: bool, file_bytes_max: u64) -> Result<Self> {
        let mut files = list_files(dir)?;
        let (file, path) = new_file(dir, next_lsn)?;
        files.retain(|(n, _)| *n != next_lsn);
        files.push((next_lsn, path));
        Ok(RedoLog {
            dir: dir.to_path_buf(),
            data_sync,
            file_bytes_max,
            state: Mutex::new(LogState {
                file,
                file_bytes: MAGIC.len() as u64,
                files,
                next_lsn,
                written_lsn: next_lsn - 1,
                synced_lsn: next_lsn - 1,
                syncing: false,
                poisoned: None,
            }),
            synced: Condvar::new(),
        })
    }

    fn check(st: &LogState) -> Result<()> {
        match &st.poisoned {
            Some(why) => Err(Error::new(
                ErrorKind::Unavailable,
                format!("The redo log refuses writes until the node restarts: {why}"),
            )),
            None => Ok(()),
        }
    }

    /// Appends one record and returns its LSN. Not durable until `sync(lsn)` returns.
    pub fn append(&self, payload: &[u8]) -> Result<u64> {
        let mut body_crc = crc32fast::Hasher::new();
        body_crc.update(payload);
        let mut st = self.state.lock();
        Self::check(&st)?;
        if st.file_bytes >= self.file_bytes_max {
            self.rotate(&mut st)?;
        }
        let lsn = st.next_lsn;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&lsn.to_le_bytes());
        crc.combine(&body_crc);
        let len = (payload.len() + 8) as u32;
        let mut head = [0u8; FRAME_HEADER_BYTES];
        head[0..4].copy_from_slice(&len.to_le_bytes());
        head[4..8].copy_from_slice(&crc.finalize().to_le_bytes());
        head[8..16].copy_from_slice(&lsn.to_le_bytes());
        let before = st.file_bytes;
        let wrote = st
            .file
            .write_all(&head)
            .and_then(|_| st.file.write_all(payload));
        if let Err(e) = wrote {
            // Cut the partial frame so the next record starts on a clean boundary.
            let undo = st
                .file
                .set_len(before)
                .and_then(|_| st.file.seek(SeekFrom::End(0)).map(|_| ()));
            if let Err(u) = undo {
                st.poisoned = Some(format!("cannot undo a failed append: {u}"));
            }
            return Err(Error::io("redo log append", e));
        }
        st.file_bytes = before + (FRAME_HEADER_BYTES + payload.len()) as u64;
        st.next_lsn += 1;
        st.written_lsn = lsn;
        Ok(lsn)
    }

    fn rotate(&self, st: &mut LogState) -> Result<()> {
        if self.data_sync {
            if let Err(e) = st.file.sync_data() {
                st.poisoned = Some(format!("fsync failed: {e}"));
                return Err(Error::io("redo log fsync", e));
            }
        }
        let (file, path) = new_file(&self.dir, st.next_lsn)?;
        st.file = file;
        st.file_bytes = MAGIC.len() as u64;
        st.files.push((st.next_lsn, path));
        st.synced_lsn = st.written_lsn;
        Ok(())
    }

    /// Waits until `lsn` is on stable storage (no-op when `dataSync=0`). One caller fsyncs
    /// for everyone waiting; an fsync failure poisons the log.
    pub fn sync(&self, lsn: u64) -> Result<()> {
        if !self.data_sync {
            return Ok(());
        }
        let mut st = self.state.lock();
        loop {
            Self::check(&st)?;
            if st.synced_lsn >= lsn {
                return Ok(());
            }
            if st.syncing {
                self.synced.wait(&mut st);
                continue;
            }
            st.syncing = true;
            let target = st.written_lsn;
            let file = st.file.try_clone();
            drop(st);
            let r = file.and_then(|f| f.sync_data());
            st = self.state.lock();
            st.syncing = false;
            match r {
                Ok(()) => st.synced_lsn = st.synced_lsn.max(target),
                Err(e) => st.poisoned = Some(format!("fsync failed: {e}")),
            }
            self.synced.notify_all();
        }
    }

    /// Deletes redo files all of whose records have LSN < `needed_lsn`.
    pub fn truncate_before(&self, needed_lsn: u64) -> Result<()> {
        let doomed: Vec<PathBuf> = {
            let mut st = self.state.lock();
            let mut doomed = Vec::new();
            // File i holds [first_i, first_{i+1}); the last (current) file is never deleted.
            while st.files.len() > 1 && st.files[1].0 <= needed_lsn {
                doomed.push(st.files.remove(0).1);
            }
            doomed
        };
        for p in &doomed {
            fs::remove_file(p).map_err(|e| Error::io(p.display(), e))?;
        }
        Ok(())
    }

    /// Number of redo files (for tests and metrics).
    pub fn file_count(&self) -> usize {
        self.state.lock().files.len()
    }
}

fn new_file(dir: &Path, first_lsn: u64) -> Result<(File, PathBuf)> {
    let path = dir.join(file_name(first_lsn));
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(path.display(), e))?;
    f.write_all(MAGIC)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(path.display(), e))?;
    sync_dir(dir)?;
    Ok((f, path))
}
