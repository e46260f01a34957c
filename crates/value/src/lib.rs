//! The DolphinDB data model: types, forms, typed vectors with null sentinels, and the objects
//! built from them (scalar, vector, pair, matrix, set, dictionary, table, tuple, array vector).
//!
//! Wire (de)serialization is in `wire`; temporal arithmetic, parsing and formatting in
//! `temporal`; DolphinDB's text rendering of values (what `print` and `string` show) in
//! `display`; type conversion rules in `convert`.

pub mod convert;
pub mod display;
mod error;
pub mod hash;
pub mod temporal;
mod types;
mod value;
mod vector;
pub mod wire;
mod wire_compress;
mod wire_extent;

pub use error::{Error, Result};
pub use types::{null, Category, DataForm, DataType, Storage};
pub use value::{Dict, IsNull, Matrix, Object, Set, Table, TableKind, Value};
pub use vector::{null_i128, ArrayData, Data, Key, SymbolBase, SymbolVec, Vector};
