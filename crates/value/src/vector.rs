//! Typed vectors: the one column representation every form is built from.
//!
//! A vector is a DolphinDB type plus a typed Rust buffer (`Data`). Nulls are sentinels inside the
//! buffer (DESIGN.md §3), so a kernel is a loop over one `&[T]` and serialization is a copy.

use std::collections::HashMap;
use std::sync::Arc;

use crate::types::{null, DataType, Storage};
use crate::Value;

/// The typed buffer behind a vector. Which variant a type uses is `DataType::storage`.
#[derive(Clone, Debug)]
pub enum Data {
    /// VOID vector: only a length; every element is null.
    Void(usize),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I128(Vec<i128>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Str(Vec<String>),
    Sym(SymbolVec),
    Blob(Vec<Vec<u8>>),
    /// ANY vector (tuple): each element is a complete object.
    Any(Vec<Value>),
    /// Array vector: each row is a variable-length run of `values`.
    Array(ArrayData),
}

/// A SYMBOL vector: `u32` codes into a shared, append-only symbol base.
#[derive(Clone, Debug)]
pub struct SymbolVec {
    pub base: Arc<SymbolBase>,
    pub codes: Vec<u32>,
}

/// A symbol base: distinct strings, code 0 is always the null symbol `""`.
#[derive(Clone, Debug)]
pub struct SymbolBase {
    strings: Vec<String>,
    /// Fx-hashed: interning is on the path of every write of a SYMBOL column, and SipHash
    /// took most of it. A crafted set of colliding symbols slows only its own writer.
    index: HashMap<String, u32, crate::hash::FxBuild>,
}

impl Default for SymbolBase {
    fn default() -> Self {
        let mut index = HashMap::default();
        index.insert(String::new(), 0);
        SymbolBase {
            strings: vec![String::new()],
            index,
        }
    }
}

impl SymbolBase {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.len() <= 1
    }

    pub fn get(&self, code: u32) -> &str {
        self.strings
            .get(code as usize)
            .map(|s| s.as_str())
            .unwrap_or("")
    }

    pub fn find(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    /// Returns the code of `s`, adding it to the base if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(c) = self.index.get(s) {
            return *c;
        }
        let code = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.index.insert(s.to_string(), code);
        code
    }

    pub fn strings(&self) -> &[String] {
        &self.strings
    }
}

impl SymbolVec {
    pub fn new() -> Self {
        SymbolVec {
            base: Arc::new(SymbolBase::new()),
            codes: Vec::new(),
        }
    }

    pub fn from_strings<S: AsRef<str>>(items: &[S]) -> Self {
        let mut base = SymbolBase::new();
        let codes = items.iter().map(|s| base.intern(s.as_ref())).collect();
        SymbolVec {
            base: Arc::new(base),
            codes,
        }
    }

    pub fn get(&self, i: usize) -> &str {
        self.base.get(self.codes[i])
    }

    pub fn push(&mut self, s: &str) {
        let code = match self.base.find(s) {
            Some(c) => c,
            None => Arc::make_mut(&mut self.base).intern(s),
        };
        self.codes.push(code);
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.codes.iter().map(move |c| self.base.get(*c))
    }
}

impl Default for SymbolVec {
    fn default() -> Self {
        Self::new()
    }
}

/// Array vector storage: row `i` is `values[offsets[i]..offsets[i+1]]`.
#[derive(Clone, Debug)]
pub struct ArrayData {
    /// `rows + 1` offsets, starting at 0.
    pub offsets: Vec<u32>,
    /// The flattened cells, a plain vector of the element type.
    pub values: Box<Vector>,
}

impl ArrayData {
    pub fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn row_range(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i] as usize..self.offsets[i + 1] as usize
    }
}

/// A typed vector. `scale` is meaningful only for DECIMAL types.
#[derive(Clone, Debug)]
pub struct Vector {
    pub ty: DataType,
    pub scale: u8,
    pub data: Data,
}

/// Calls `$body` with `$v` bound to the inner `Vec` of every fixed-width numeric storage.
/// The `$other` arm handles VOID, strings, symbols, blobs, ANY and array vectors.
#[macro_export]
macro_rules! with_numeric {
    ($data:expr, $v:ident => $body:expr, $other:pat => $otherbody:expr) => {
        match $data {
            $crate::Data::I8($v) => $body,
            $crate::Data::I16($v) => $body,
            $crate::Data::I32($v) => $body,
            $crate::Data::I64($v) => $body,
            $crate::Data::I128($v) => $body,
            $crate::Data::F32($v) => $body,
            $crate::Data::F64($v) => $body,
            $other => $otherbody,
        }
    };
}

impl Vector {
    /// An empty vector of `ty`.
    pub fn empty(ty: DataType) -> Vector {
        Vector::with_capacity(ty, 0)
    }

    pub fn with_capacity(ty: DataType, cap: usize) -> Vector {
        let data = match ty.storage() {
            Storage::Void => Data::Void(0),
            Storage::I8 => Data::I8(Vec::with_capacity(cap)),
            Storage::I16 => Data::I16(Vec::with_capacity(cap)),
            Storage::I32 => Data::I32(Vec::with_capacity(cap)),
            Storage::I64 => Data::I64(Vec::with_capacity(cap)),
            Storage::I128 => Data::I128(Vec::with_capacity(cap)),
            Storage::F32 => Data::F32(Vec::with_capacity(cap)),
            Storage::F64 => Data::F64(Vec::with_capacity(cap)),
            Storage::Str => Data::Str(Vec::with_capacity(cap)),
            Storage::Sym => Data::Sym(SymbolVec {
                base: Arc::new(SymbolBase::new()),
                codes: Vec::with_capacity(cap),
            }),
            Storage::Blob => Data::Blob(Vec::with_capacity(cap)),
            Storage::Any => Data::Any(Vec::with_capacity(cap)),
        };
        Vector { ty, scale: 0, data }
    }

    /// An empty array vector whose cells have type `elem`.
    pub fn empty_array(elem: DataType) -> Vector {
        Vector::array(Vector::empty(elem), vec![0])
    }

    /// The array vector whose row `i` is `values[offsets[i]..offsets[i + 1]]` (`offsets` starts
    /// at 0; the cells' type and scale are the vector's).
    pub fn array(values: Vector, offsets: Vec<u32>) -> Vector {
        Vector {
            ty: values.ty,
            scale: values.scale,
            data: Data::Array(ArrayData {
                offsets,
                values: Box::new(values),
            }),
        }
    }

    /// `n` nulls of `ty`.
    pub fn nulls(ty: DataType, n: usize) -> Vector {
        let data = match ty.storage() {
            Storage::Void => Data::Void(n),
            Storage::I8 => Data::I8(vec![null::I8; n]),
            Storage::I16 => Data::I16(vec![null::I16; n]),
            Storage::I32 => Data::I32(vec![null::I32; n]),
            Storage::I64 => Data::I64(vec![null::I64; n]),
            Storage::I128 => Data::I128(vec![null_i128(ty); n]),
            Storage::F32 => Data::F32(vec![null::F32; n]),
            Storage::F64 => Data::F64(vec![null::F64; n]),
            Storage::Str => Data::Str(vec![String::new(); n]),
            Storage::Sym => Data::Sym(SymbolVec {
                base: Arc::new(SymbolBase::new()),
                codes: vec![0; n],
            }),
            Storage::Blob => Data::Blob(vec![Vec::new(); n]),
            Storage::Any => Data::Any(vec![Value::void(); n]),
        };
        Vector { ty, scale: 0, data }
    }

    pub fn new(ty: DataType, data: Data) -> Vector {
        Vector { ty, scale: 0, data }
    }

    pub fn decimal(ty: DataType, scale: u8, data: Data) -> Vector {
        Vector { ty, scale, data }
    }

    pub fn from_i8(ty: DataType, v: Vec<i8>) -> Vector {
        Vector::new(ty, Data::I8(v))
    }
    pub fn from_i16(v: Vec<i16>) -> Vector {
        Vector::new(DataType::Short, Data::I16(v))
    }
    pub fn from_i32(ty: DataType, v: Vec<i32>) -> Vector {
        Vector::new(ty, Data::I32(v))
    }
    pub fn from_i64(ty: DataType, v: Vec<i64>) -> Vector {
        Vector::new(ty, Data::I64(v))
    }
    pub fn from_f32(v: Vec<f32>) -> Vector {
        Vector::new(DataType::Float, Data::F32(v))
    }
    pub fn from_f64(v: Vec<f64>) -> Vector {
        Vector::new(DataType::Double, Data::F64(v))
    }
    pub fn from_strings(v: Vec<String>) -> Vector {
        Vector::new(DataType::String, Data::Str(v))
    }
    pub fn from_symbols<S: AsRef<str>>(v: &[S]) -> Vector {
        Vector::new(DataType::Symbol, Data::Sym(SymbolVec::from_strings(v)))
    }
    pub fn from_values(v: Vec<Value>) -> Vector {
        Vector::new(DataType::Any, Data::Any(v))
    }

    pub fn len(&self) -> usize {
        match &self.data {
            Data::Void(n) => *n,
            Data::I8(v) => v.len(),
            Data::I16(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::I128(v) => v.len(),
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::Str(v) => v.len(),
            Data::Sym(v) => v.codes.len(),
            Data::Blob(v) => v.len(),
            Data::Any(v) => v.len(),
            Data::Array(a) => a.rows(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_array(&self) -> bool {
        matches!(self.data, Data::Array(_))
    }

    /// The wire type code: `64 + ty` for array vectors.
    pub fn type_code(&self) -> u8 {
        if self.is_array() {
            64 + self.ty.code()
        } else {
            self.ty.code()
        }
    }

    /// True when element `i` is DolphinDB null. `i` must be in range.
    pub fn is_null(&self, i: usize) -> bool {
        match &self.data {
            Data::Void(_) => true,
            Data::I8(v) => v[i] == null::I8,
            Data::I16(v) => v[i] == null::I16,
            Data::I32(v) => v[i] == null::I32,
            Data::I64(v) => v[i] == null::I64,
            Data::I128(v) => v[i] == null_i128(self.ty),
            Data::F32(v) => v[i] == null::F32,
            Data::F64(v) => v[i] == null::F64,
            Data::Str(v) => v[i].is_empty(),
            Data::Sym(v) => v.get(i).is_empty(),
            Data::Blob(v) => v[i].is_empty(),
            Data::Any(v) => v[i].is_null(),
            Data::Array(a) => a.row_range(i).is_empty(),
        }
    }

    /// Element `i` as a scalar value (a row of an array vector is a plain vector; an ANY
    /// element is the object itself).
    pub fn get(&self, i: usize) -> Value {
        match &self.data {
            Data::Any(v) => v[i].clone(),
            Data::Array(a) => {
                let r = a.row_range(i);
                Value::vector(a.values.slice(r.start, r.end))
            }
            _ => Value::Scalar(self.slice(i, i + 1)),
        }
    }

    /// Elements `start..end` as a new vector of the same type.
    pub fn slice(&self, start: usize, end: usize) -> Vector {
        let data = match &self.data {
            Data::Void(_) => Data::Void(end - start),
            Data::I8(v) => Data::I8(v[start..end].to_vec()),
            Data::I16(v) => Data::I16(v[start..end].to_vec()),
            Data::I32(v) => Data::I32(v[start..end].to_vec()),
            Data::I64(v) => Data::I64(v[start..end].to_vec()),
            Data::I128(v) => Data::I128(v[start..end].to_vec()),
            Data::F32(v) => Data::F32(v[start..end].to_vec()),
            Data::F64(v) => Data::F64(v[start..end].to_vec()),
            Data::Str(v) => Data::Str(v[start..end].to_vec()),
            Data::Sym(v) => Data::Sym(SymbolVec {
                base: v.base.clone(),
                codes: v.codes[start..end].to_vec(),
            }),
            Data::Blob(v) => Data::Blob(v[start..end].to_vec()),
            Data::Any(v) => Data::Any(v[start..end].to_vec()),
            Data::Array(a) => {
                let lo = a.offsets[start];
                let hi = a.offsets[end];
                Data::Array(ArrayData {
                    offsets: a.offsets[start..=end].iter().map(|o| o - lo).collect(),
                    values: Box::new(a.values.slice(lo as usize, hi as usize)),
                })
            }
        };
        Vector {
            ty: self.ty,
            scale: self.scale,
            data,
        }
    }

    /// Gathers the elements at `idx`; an index that is out of range (or negative, as i64 null
    /// indices are) gives a null, as DolphinDB indexing does.
    pub fn take(&self, idx: &[i64]) -> Vector {
        let n = self.len() as i64;
        let ok = |i: i64| i >= 0 && i < n;
        macro_rules! gather {
            ($v:expr, $nul:expr) => {
                idx.iter()
                    .map(|&i| if ok(i) { $v[i as usize].clone() } else { $nul })
                    .collect()
            };
        }
        let data = match &self.data {
            Data::Void(_) => Data::Void(idx.len()),
            Data::I8(v) => Data::I8(gather!(v, null::I8)),
            Data::I16(v) => Data::I16(gather!(v, null::I16)),
            Data::I32(v) => Data::I32(gather!(v, null::I32)),
            Data::I64(v) => Data::I64(gather!(v, null::I64)),
            Data::I128(v) => Data::I128(gather!(v, null_i128(self.ty))),
            Data::F32(v) => Data::F32(gather!(v, null::F32)),
            Data::F64(v) => Data::F64(gather!(v, null::F64)),
            Data::Str(v) => Data::Str(gather!(v, String::new())),
            Data::Sym(v) => Data::Sym(SymbolVec {
                base: v.base.clone(),
                codes: gather!(v.codes, 0),
            }),
            Data::Blob(v) => Data::Blob(gather!(v, Vec::new())),
            Data::Any(v) => Data::Any(gather!(v, Value::void())),
            Data::Array(a) => {
                let mut offsets = Vec::with_capacity(idx.len() + 1);
                offsets.push(0u32);
                let mut cells: Vec<i64> = Vec::new();
                for &i in idx {
                    if ok(i) {
                        cells.extend(a.row_range(i as usize).map(|c| c as i64));
                    }
                    offsets.push(cells.len() as u32);
                }
                Data::Array(ArrayData {
                    offsets,
                    values: Box::new(a.values.take(&cells)),
                })
            }
        };
        Vector {
            ty: self.ty,
            scale: self.scale,
            data,
        }
    }

    /// Appends `other` in place. Both must have the same storage (convert first); returns false
    /// when they do not.
    pub fn extend(&mut self, other: &Vector) -> bool {
        match (&mut self.data, &other.data) {
            (Data::Void(n), Data::Void(m)) => *n += m,
            (Data::I8(a), Data::I8(b)) => a.extend_from_slice(b),
            (Data::I16(a), Data::I16(b)) => a.extend_from_slice(b),
            (Data::I32(a), Data::I32(b)) => a.extend_from_slice(b),
            (Data::I64(a), Data::I64(b)) => a.extend_from_slice(b),
            (Data::I128(a), Data::I128(b)) => a.extend_from_slice(b),
            (Data::F32(a), Data::F32(b)) => a.extend_from_slice(b),
            (Data::F64(a), Data::F64(b)) => a.extend_from_slice(b),
            (Data::Str(a), Data::Str(b)) => a.extend_from_slice(b),
            (Data::Blob(a), Data::Blob(b)) => a.extend_from_slice(b),
            (Data::Any(a), Data::Any(b)) => a.extend_from_slice(b),
            (Data::Sym(a), Data::Sym(b)) => {
                if Arc::ptr_eq(&a.base, &b.base) {
                    a.codes.extend_from_slice(&b.codes);
                } else if a.codes.is_empty() && a.base.is_empty() {
                    *a = b.clone();
                } else {
                    // Each of b's symbols is looked up (or added) once, not once per row.
                    let mut code_of = vec![u32::MAX; b.base.len()];
                    a.codes.reserve(b.codes.len());
                    for &c in &b.codes {
                        let Some(slot) = code_of.get_mut(c as usize) else {
                            a.codes.push(0);
                            continue;
                        };
                        if *slot == u32::MAX {
                            let s = b.base.get(c);
                            *slot = match a.base.find(s) {
                                Some(x) => x,
                                None => Arc::make_mut(&mut a.base).intern(s),
                            };
                        }
                        a.codes.push(*slot);
                    }
                }
            }
            (Data::Array(a), Data::Array(b)) => {
                let base = *a.offsets.last().unwrap_or(&0);
                a.offsets.extend(b.offsets.iter().skip(1).map(|o| o + base));
                return a.values.extend(&b.values);
            }
            _ => return false,
        }
        true
    }

    /// Element `i` as i64 if the storage is integral, None when null or not integral.
    pub fn i64_at(&self, i: usize) -> Option<i64> {
        match &self.data {
            Data::I8(v) if v[i] != null::I8 => Some(v[i] as i64),
            Data::I16(v) if v[i] != null::I16 => Some(v[i] as i64),
            Data::I32(v) if v[i] != null::I32 => Some(v[i] as i64),
            Data::I64(v) if v[i] != null::I64 => Some(v[i]),
            Data::F32(v) if v[i] != null::F32 => Some(v[i] as i64),
            Data::F64(v) if v[i] != null::F64 => Some(v[i] as i64),
            _ => None,
        }
    }

    /// Element `i` as f64 for numeric storages (decimals are scaled), None when null.
    pub fn f64_at(&self, i: usize) -> Option<f64> {
        let div = 10f64.powi(self.scale as i32);
        let dec = self.ty.is_decimal();
        let x = match &self.data {
            Data::I8(v) if v[i] != null::I8 => v[i] as f64,
            Data::I16(v) if v[i] != null::I16 => v[i] as f64,
            Data::I32(v) if v[i] != null::I32 => v[i] as f64,
            Data::I64(v) if v[i] != null::I64 => v[i] as f64,
            Data::I128(v) if dec && v[i] != null::DECIMAL128 => v[i] as f64,
            Data::F32(v) if v[i] != null::F32 => v[i] as f64,
            Data::F64(v) if v[i] != null::F64 => v[i],
            _ => return None,
        };
        Some(if dec { x / div } else { x })
    }

    /// Element `i` as text for STRING/SYMBOL (None for other types).
    pub fn str_at(&self, i: usize) -> Option<&str> {
        match &self.data {
            Data::Str(v) => Some(&v[i]),
            Data::Sym(v) => Some(v.get(i)),
            _ => None,
        }
    }

    /// A hashable key for element `i`, used by sets, dictionaries and group-by.
    pub fn key_at(&self, i: usize) -> Key {
        match &self.data {
            Data::Void(_) => Key::Int(i64::MIN),
            Data::I8(v) => Key::Int(v[i] as i64),
            Data::I16(v) => Key::Int(v[i] as i64),
            Data::I32(v) => Key::Int(v[i] as i64),
            Data::I64(v) => Key::Int(v[i]),
            Data::I128(v) => Key::Wide(v[i]),
            Data::F32(v) => Key::Float((v[i] as f64).to_bits()),
            Data::F64(v) => Key::Float(v[i].to_bits()),
            Data::Str(v) => Key::Str(v[i].clone()),
            Data::Sym(v) => Key::Str(v.get(i).to_string()),
            Data::Blob(v) => Key::Bytes(v[i].clone()),
            Data::Any(v) => Key::Str(format!("{:?}", v[i])),
            Data::Array(a) => {
                let r = a.row_range(i);
                Key::Str(format!("{:?}", a.values.slice(r.start, r.end).data))
            }
        }
    }

    /// Storage-class name for error messages and debugging.
    pub fn storage(&self) -> Storage {
        match &self.data {
            Data::Array(_) => Storage::Any,
            _ => self.ty.storage(),
        }
    }
}

/// A hashable element identity, for sets, dictionary keys and grouping.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Int(i64),
    Wide(i128),
    Float(u64),
    Str(String),
    Bytes(Vec<u8>),
}

/// The null of a 16-byte type: zero for UUID/IPADDR/INT128, the minimum for DECIMAL128.
pub fn null_i128(ty: DataType) -> i128 {
    if ty == DataType::Decimal128 {
        null::DECIMAL128
    } else {
        null::I128
    }
}
