//! Chunk identifiers and the writes a transaction makes to tablets.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use value::Table;

use crate::error::{invalid, Result};
use crate::schema::TableSchema;

/// Longest chunk id we accept (it is a directory name).
pub const CHUNK_ID_BYTES_MAX: usize = 64;

/// A chunk's id: UUID text as `getAllChunks` shows it (any file-name-safe text is accepted).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkId(String);

impl ChunkId {
    /// Checks that `text` is safe as a directory name: `[A-Za-z0-9_.-]`, no leading dot.
    pub fn new(text: impl Into<String>) -> Result<ChunkId> {
        let text = text.into();
        let ok = !text.is_empty()
            && text.len() <= CHUNK_ID_BYTES_MAX
            && !text.starts_with('.')
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !ok {
            invalid!("Invalid chunk id '{text}'");
        }
        Ok(ChunkId(text))
    }

    /// A fresh random id in UUID form (`8-4-4-4-12` lower-case hex digits).
    pub fn generate() -> ChunkId {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut words = [0u64; 2];
        for w in &mut words {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            h.write_u128(now);
            *w = h.finish();
        }
        let x = ((words[0] as u128) << 64) | words[1] as u128;
        let hex = format!("{x:032x}");
        ChunkId(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a write changes its tablet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WriteKind {
    /// New rows after the existing ones.
    Append,
    /// update/delete: the rows are the tablet's full new content; every older row is hidden
    /// from snapshots at or after the write's commit id.
    Replace,
}

/// One tablet's part of a transaction.
#[derive(Clone, Debug)]
pub struct TabletWrite {
    pub kind: WriteKind,
    pub chunk: ChunkId,
    pub table: String,
    /// The table's schema as of this write (the newest write's schema is the tablet's).
    pub schema: TableSchema,
    /// Columns in schema order; a column of another type is converted to the schema's.
    pub rows: Table,
}

impl TabletWrite {
    pub fn append(chunk: ChunkId, table: &str, schema: TableSchema, rows: Table) -> TabletWrite {
        TabletWrite {
            kind: WriteKind::Append,
            chunk,
            table: table.to_string(),
            schema,
            rows,
        }
    }

    pub fn replace(chunk: ChunkId, table: &str, schema: TableSchema, rows: Table) -> TabletWrite {
        TabletWrite {
            kind: WriteKind::Replace,
            ..TabletWrite::append(chunk, table, schema, rows)
        }
    }
}
