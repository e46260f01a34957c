//! DolphinDB data types and forms, with their wire codes (protocol.md §5.2-5.3).

/// A DolphinDB data type. The discriminant is the wire code.
///
/// Array vectors are not a separate variant: a vector whose data is `Data::Array` has element
/// type `ty` and wire code `64 + ty` (see `Vector::type_code`). Decimal scale lives beside the
/// type in `Vector::scale`, as DolphinDB prints `DECIMAL32(2)` but `typestr` says `DECIMAL32`.
#[repr(u8)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataType {
    Void = 0,
    Bool = 1,
    Char = 2,
    Short = 3,
    Int = 4,
    Long = 5,
    Date = 6,
    Month = 7,
    Time = 8,
    Minute = 9,
    Second = 10,
    DateTime = 11,
    Timestamp = 12,
    NanoTime = 13,
    NanoTimestamp = 14,
    Float = 15,
    Double = 16,
    Symbol = 17,
    String = 18,
    Uuid = 19,
    FunctionDef = 20,
    Handle = 21,
    Code = 22,
    DataSource = 23,
    Resource = 24,
    Any = 25,
    Compress = 26,
    Dictionary = 27,
    DateHour = 28,
    DateMinute = 29,
    IpAddr = 30,
    Int128 = 31,
    Blob = 32,
    Complex = 34,
    Point = 35,
    Duration = 36,
    Decimal32 = 37,
    Decimal64 = 38,
    Decimal128 = 39,
}

/// How a type's elements are stored in memory (and, for fixed widths, on the wire).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    Void,
    I8,
    I16,
    I32,
    I64,
    I128,
    F32,
    F64,
    Str,
    Sym,
    Blob,
    Any,
}

/// DolphinDB's type categories (`typestr` families), used by conversion and arithmetic rules.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Category {
    Nothing,
    Logical,
    Integral,
    Floating,
    Temporal,
    Literal,
    Binary,
    Denary,
    System,
    Mixed,
}

impl DataType {
    pub const ALL: [DataType; 38] = [
        DataType::Void,
        DataType::Bool,
        DataType::Char,
        DataType::Short,
        DataType::Int,
        DataType::Long,
        DataType::Date,
        DataType::Month,
        DataType::Time,
        DataType::Minute,
        DataType::Second,
        DataType::DateTime,
        DataType::Timestamp,
        DataType::NanoTime,
        DataType::NanoTimestamp,
        DataType::Float,
        DataType::Double,
        DataType::Symbol,
        DataType::String,
        DataType::Uuid,
        DataType::FunctionDef,
        DataType::Handle,
        DataType::Code,
        DataType::DataSource,
        DataType::Resource,
        DataType::Any,
        DataType::Compress,
        DataType::Dictionary,
        DataType::DateHour,
        DataType::DateMinute,
        DataType::IpAddr,
        DataType::Int128,
        DataType::Blob,
        DataType::Complex,
        DataType::Point,
        DataType::Duration,
        DataType::Decimal32,
        DataType::Decimal64,
    ];

    pub fn from_code(code: u8) -> Option<DataType> {
        if code == 39 {
            return Some(DataType::Decimal128);
        }
        DataType::ALL.iter().copied().find(|t| *t as u8 == code)
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    /// DolphinDB's upper-case type name as `typestr` prints it (without decimal scale).
    pub fn name(self) -> &'static str {
        use DataType::*;
        match self {
            Void => "VOID",
            Bool => "BOOL",
            Char => "CHAR",
            Short => "SHORT",
            Int => "INT",
            Long => "LONG",
            Date => "DATE",
            Month => "MONTH",
            Time => "TIME",
            Minute => "MINUTE",
            Second => "SECOND",
            DateTime => "DATETIME",
            Timestamp => "TIMESTAMP",
            NanoTime => "NANOTIME",
            NanoTimestamp => "NANOTIMESTAMP",
            Float => "FLOAT",
            Double => "DOUBLE",
            Symbol => "SYMBOL",
            String => "STRING",
            Uuid => "UUID",
            FunctionDef => "FUNCTIONDEF",
            Handle => "HANDLE",
            Code => "CODE",
            DataSource => "DATASOURCE",
            Resource => "RESOURCE",
            Any => "ANY",
            Compress => "COMPRESSED",
            Dictionary => "DICTIONARY",
            DateHour => "DATEHOUR",
            DateMinute => "DATEMINUTE",
            IpAddr => "IPADDR",
            Int128 => "INT128",
            Blob => "BLOB",
            Complex => "COMPLEX",
            Point => "POINT",
            Duration => "DURATION",
            Decimal32 => "DECIMAL32",
            Decimal64 => "DECIMAL64",
            Decimal128 => "DECIMAL128",
        }
    }

    /// Parses a type name as a script constant spells it (`INT`, `DATETIME`, ...).
    pub fn from_name(name: &str) -> Option<DataType> {
        let upper = name.to_ascii_uppercase();
        if upper == "DECIMAL128" {
            return Some(DataType::Decimal128);
        }
        DataType::ALL.iter().copied().find(|t| t.name() == upper)
    }

    pub fn storage(self) -> Storage {
        use DataType::*;
        match self {
            Void => Storage::Void,
            Bool | Char => Storage::I8,
            Short => Storage::I16,
            Int | Date | Month | Time | Minute | Second | DateTime | DateHour | DateMinute
            | Decimal32 => Storage::I32,
            Long | Timestamp | NanoTime | NanoTimestamp | Decimal64 | Duration => Storage::I64,
            Uuid | IpAddr | Int128 | Decimal128 | Complex | Point => Storage::I128,
            Float => Storage::F32,
            Double => Storage::F64,
            Symbol => Storage::Sym,
            String => Storage::Str,
            Blob => Storage::Blob,
            _ => Storage::Any,
        }
    }

    pub fn category(self) -> Category {
        use DataType::*;
        match self {
            Void => Category::Nothing,
            Bool => Category::Logical,
            Char | Short | Int | Long => Category::Integral,
            Float | Double => Category::Floating,
            Date | Month | Time | Minute | Second | DateTime | Timestamp | NanoTime
            | NanoTimestamp | DateHour | DateMinute => Category::Temporal,
            Symbol | String => Category::Literal,
            Uuid | IpAddr | Int128 | Blob => Category::Binary,
            Decimal32 | Decimal64 | Decimal128 => Category::Denary,
            Any | Dictionary => Category::Mixed,
            _ => Category::System,
        }
    }

    pub fn is_temporal(self) -> bool {
        self.category() == Category::Temporal
    }

    pub fn is_integral(self) -> bool {
        matches!(self.category(), Category::Integral | Category::Logical)
    }

    pub fn is_floating(self) -> bool {
        self.category() == Category::Floating
    }

    pub fn is_decimal(self) -> bool {
        self.category() == Category::Denary
    }

    /// Numeric for arithmetic: logical, integral, floating, decimal.
    pub fn is_numeric(self) -> bool {
        matches!(
            self.category(),
            Category::Logical | Category::Integral | Category::Floating | Category::Denary
        )
    }

    pub fn is_literal(self) -> bool {
        self.category() == Category::Literal
    }

    /// Fixed element width on the wire, or None for variable-width types.
    pub fn wire_width(self) -> Option<usize> {
        match self.storage() {
            Storage::Void | Storage::I8 => Some(1),
            Storage::I16 => Some(2),
            Storage::I32 | Storage::F32 => Some(4),
            Storage::I64 | Storage::F64 => Some(8),
            Storage::I128 => Some(16),
            _ => None,
        }
    }
}

/// A data form, with its wire code.
#[repr(u8)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DataForm {
    Scalar = 0,
    Vector = 1,
    Pair = 2,
    Matrix = 3,
    Set = 4,
    Dictionary = 5,
    Table = 6,
    Chart = 7,
    Chunk = 8,
}

impl DataForm {
    pub fn from_code(code: u8) -> Option<DataForm> {
        use DataForm::*;
        Some(match code {
            0 => Scalar,
            1 => Vector,
            2 => Pair,
            3 => Matrix,
            4 => Set,
            5 => Dictionary,
            6 => Table,
            7 => Chart,
            8 => Chunk,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use DataForm::*;
        match self {
            Scalar => "SCALAR",
            Vector => "VECTOR",
            Pair => "PAIR",
            Matrix => "MATRIX",
            Set => "SET",
            Dictionary => "DICTIONARY",
            Table => "TABLE",
            Chart => "CHART",
            Chunk => "CHUNK",
        }
    }
}

/// Null sentinels, exactly as DolphinDB and the wire use them.
pub mod null {
    pub const I8: i8 = i8::MIN;
    pub const I16: i16 = i16::MIN;
    pub const I32: i32 = i32::MIN;
    pub const I64: i64 = i64::MIN;
    pub const I128: i128 = 0;
    pub const F32: f32 = -f32::MAX;
    pub const F64: f64 = -f64::MAX;
    /// DECIMAL128 null is the minimum mantissa, unlike UUID/INT128 whose null is zero.
    pub const DECIMAL128: i128 = i128::MIN;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in DataType::ALL {
            assert_eq!(DataType::from_code(t.code()), Some(t));
            assert_eq!(DataType::from_name(t.name()), Some(t));
        }
        assert_eq!(DataType::from_code(39), Some(DataType::Decimal128));
        assert_eq!(DataType::from_code(33), None);
        assert_eq!(DataType::from_code(200), None);
    }
}
