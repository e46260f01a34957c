//! The script crate's error: DolphinDB's error text, shown to clients on the status line.

use std::fmt;

#[derive(Clone, Debug)]
pub enum Error {
    /// An ordinary error with DolphinDB's message text.
    Msg(String),
    /// `throw x`: carries the thrown value to a `catch`.
    Thrown(value::Value),
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error::Msg(message.into())
    }

    pub fn message(&self) -> String {
        match self {
            Error::Msg(m) => m.clone(),
            Error::Thrown(v) => match v.as_str() {
                Some(s) => s.to_string(),
                None => format!("{:?}", v),
            },
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

impl From<value::Error> for Error {
    fn from(e: value::Error) -> Self {
        Error::Msg(e.message)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand for returning a DolphinDB-style error.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::Error::new(format!($($arg)*))) };
}
