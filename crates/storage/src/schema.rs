//! What a tablet stores: its columns (DolphinDB type, decimal scale, compression), the engine,
//! and for TSDB tables the sort columns and the duplicate policy.

use serde::{Deserialize, Serialize};
use value::DataType;

use crate::error::{invalid, Result};

/// Longest table or column name we accept (they become file and directory names).
pub const NAME_BYTES_MAX: usize = 255;
/// The hidden column of every segment holding each row's commit id.
pub(crate) const CID_COLUMN: &str = "__cid";

/// DolphinDB's storage engines.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Engine {
    /// Rows in arrival order.
    #[default]
    Olap,
    /// Rows sorted by `sort_columns`, duplicates resolved by `keep_duplicates`.
    Tsdb,
}

/// TSDB `keepDuplicates`: which rows with equal values in every sort column survive.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum KeepDuplicates {
    #[default]
    All,
    First,
    Last,
}

impl KeepDuplicates {
    /// Parses DolphinDB's spelling (`ALL`, `FIRST`, `LAST`, any case).
    pub fn parse(text: &str) -> Option<KeepDuplicates> {
        match text.to_ascii_uppercase().as_str() {
            "ALL" => Some(KeepDuplicates::All),
            "FIRST" => Some(KeepDuplicates::First),
            "LAST" => Some(KeepDuplicates::Last),
            _ => None,
        }
    }
}

/// `compressMethods` of a column, as Parquet encodings: "lz4" (the default) is dictionary or
/// plain encoding with LZ4 pages; "delta" is DELTA_BINARY_PACKED (integral and temporal
/// columns only) with LZ4 pages.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Compress {
    #[default]
    Lz4,
    Delta,
}

impl Compress {
    /// Parses DolphinDB's `compressMethods` value ("lz4", "delta"; "zstd" maps to lz4, the
    /// only general-purpose codec we build).
    pub fn parse(text: &str) -> Option<Compress> {
        match text.to_ascii_lowercase().as_str() {
            "lz4" | "zstd" => Some(Compress::Lz4),
            "delta" => Some(Compress::Delta),
            _ => None,
        }
    }
}

/// One column of a tablet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(with = "type_code")]
    pub ty: DataType,
    /// Decimal scale; 0 for every other type.
    #[serde(default)]
    pub scale: u8,
    #[serde(default)]
    pub compress: Compress,
    /// An array vector column (`DOUBLE[]`): each row is a variable-length run of `ty` cells.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub array: bool,
}

impl ColumnDef {
    pub fn new(name: impl Into<String>, ty: DataType) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            ty,
            scale: 0,
            compress: Compress::Lz4,
            array: false,
        }
    }

    /// An array vector column whose cells have type `ty`.
    pub fn array(name: impl Into<String>, ty: DataType) -> ColumnDef {
        ColumnDef {
            array: true,
            ..ColumnDef::new(name, ty)
        }
    }

    pub fn decimal(name: impl Into<String>, ty: DataType, scale: u8) -> ColumnDef {
        ColumnDef {
            scale,
            ..ColumnDef::new(name, ty)
        }
    }

    pub fn with_compress(mut self, compress: Compress) -> ColumnDef {
        self.compress = compress;
        self
    }
}

/// The schema of a tablet, as the catalog gives it with every write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TableSchema {
    pub columns: Vec<ColumnDef>,
    #[serde(default)]
    pub engine: Engine,
    /// TSDB only: the columns rows are sorted by (the last one temporal or integral).
    #[serde(default)]
    pub sort_columns: Vec<String>,
    #[serde(default)]
    pub keep_duplicates: KeepDuplicates,
}

impl TableSchema {
    /// An OLAP schema of the given columns.
    pub fn olap(columns: Vec<ColumnDef>) -> TableSchema {
        TableSchema {
            columns,
            ..TableSchema::default()
        }
    }

    /// A TSDB schema.
    pub fn tsdb(columns: Vec<ColumnDef>, sort: &[&str], keep: KeepDuplicates) -> TableSchema {
        TableSchema {
            columns,
            engine: Engine::Tsdb,
            sort_columns: sort.iter().map(|s| s.to_string()).collect(),
            keep_duplicates: keep,
        }
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(name))
            })
    }

    /// Indices of the sort columns (empty for OLAP).
    pub(crate) fn sort_indices(&self) -> Result<Vec<usize>> {
        if self.engine != Engine::Tsdb {
            return Ok(Vec::new());
        }
        self.sort_columns
            .iter()
            .map(|n| match self.column_index(n) {
                Some(i) => Ok(i),
                None => invalid!("sortColumns names an unknown column {n}"),
            })
            .collect()
    }

    /// Checks names, types and the TSDB settings.
    pub fn validate(&self) -> Result<()> {
        if self.columns.is_empty() {
            invalid!("A table must have at least one column");
        }
        for (i, c) in self.columns.iter().enumerate() {
            check_name(&c.name, "column")?;
            if c.name == CID_COLUMN {
                invalid!("The column name {CID_COLUMN} is reserved");
            }
            if self.columns[..i]
                .iter()
                .any(|d| d.name.eq_ignore_ascii_case(&c.name))
            {
                invalid!("Duplicate column name {}", c.name);
            }
            if !storable(c.ty) || (c.array && !array_storable(c.ty)) {
                invalid!(
                    "The column {} has type {}{}, which a DFS table cannot store",
                    c.name,
                    c.ty.name(),
                    if c.array { "[]" } else { "" }
                );
            }
            if c.array && self.engine != Engine::Tsdb {
                invalid!(
                    "The column {} is an array vector, which only the TSDB engine stores",
                    c.name
                );
            }
            if c.compress == Compress::Delta
                && !matches!(
                    c.ty.storage(),
                    value::Storage::I8
                        | value::Storage::I16
                        | value::Storage::I32
                        | value::Storage::I64
                )
            {
                invalid!(
                    "Delta compression applies to integral and temporal columns, not {} ({})",
                    c.name,
                    c.ty.name()
                );
            }
        }
        if self.engine == Engine::Tsdb && self.sort_columns.is_empty() {
            invalid!("A TSDB table needs sortColumns");
        }
        for i in self.sort_indices()? {
            if self.columns[i].array {
                invalid!(
                    "The array vector column {} cannot be a sort column",
                    self.columns[i].name
                );
            }
        }
        Ok(())
    }
}

/// Types a segment can hold.
pub(crate) fn storable(ty: DataType) -> bool {
    use value::Storage::*;
    matches!(
        ty.storage(),
        I8 | I16 | I32 | I64 | I128 | F32 | F64 | Str | Sym | Blob
    ) && !matches!(ty, DataType::Complex | DataType::Point | DataType::Duration)
}

/// Cell types of an array vector column: DolphinDB allows logical, integral (not INT128),
/// floating, DECIMAL and temporal cells; no strings, symbols or 16-byte types.
pub(crate) fn array_storable(ty: DataType) -> bool {
    use value::Storage::*;
    matches!(ty.storage(), I8 | I16 | I32 | I64 | F32 | F64) && storable(ty)
}

/// A name that is safe as a file name: not empty, no path separators, no leading dot.
pub(crate) fn check_name(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= NAME_BYTES_MAX
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '$');
    if !ok {
        invalid!("Invalid {what} name '{name}'");
    }
    Ok(())
}

mod type_code {
    use serde::{Deserialize, Deserializer, Serializer};
    use value::DataType;

    pub fn serialize<S: Serializer>(ty: &DataType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(ty.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DataType, D::Error> {
        let name = String::deserialize(d)?;
        DataType::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown type {name}")))
    }
}
