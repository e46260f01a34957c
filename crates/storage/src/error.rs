//! The storage crate's one error type: a kind (what the caller may do about it) and a message
//! that says where it came from, shown to users as is.

use std::fmt;

/// What went wrong, coarsely: callers branch on this, users read the message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong (bad name, schema mismatch, unknown tablet...).
    Invalid,
    /// An operating-system I/O error; the on-disk state is still valid.
    Io,
    /// The disk is full (ENOSPC / EDQUOT); the on-disk state is still valid.
    DiskFull,
    /// A file does not hold what it should (bad checksum, unreadable segment).
    Corrupt,
    /// A scan asked for a snapshot whose data was already garbage collected.
    SnapshotTooOld,
    /// The store refuses writes after an fsync failure until it is reopened.
    Unavailable,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid, message)
    }

    pub fn corrupt(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Corrupt, message)
    }

    /// An I/O error with what we were doing and on which path.
    pub fn io(what: impl fmt::Display, e: std::io::Error) -> Error {
        // 28 = ENOSPC, 122 = EDQUOT on Linux.
        let full = matches!(e.raw_os_error(), Some(28) | Some(122))
            || e.kind() == std::io::ErrorKind::StorageFull;
        let kind = if full {
            ErrorKind::DiskFull
        } else {
            ErrorKind::Io
        };
        let prefix = if full { "disk full: " } else { "" };
        Error::new(kind, format!("{prefix}{what}: {e}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<value::Error> for Error {
    fn from(e: value::Error) -> Error {
        Error::invalid(e.message)
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(e: parquet::errors::ParquetError) -> Error {
        match e {
            parquet::errors::ParquetError::External(inner) => {
                match inner.downcast::<std::io::Error>() {
                    Ok(io) => Error::io("segment file", *io),
                    Err(other) => Error::corrupt(format!("segment file: {other}")),
                }
            }
            other => Error::corrupt(format!("segment file: {other}")),
        }
    }
}

/// Returns early with an `Invalid` error built like `format!`.
macro_rules! invalid {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::invalid(format!($($arg)*)))
    };
}
pub(crate) use invalid;
