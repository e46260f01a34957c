//! `Value`: one DolphinDB object of any form.
//!
//! Payloads are behind `Arc` so passing values between variables, tables and jobs is cheap;
//! in-place functions (`append!`) use `Arc::make_mut`, which copies only when shared.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::types::{null, DataForm, DataType};
use crate::vector::{Data, Key, Vector};

/// A server-side object the value crate cannot describe: a function definition, metacode,
/// a handle or a data source. The script crate implements it.
pub trait Object: fmt::Debug + Send + Sync {
    /// The DolphinDB type code: FUNCTIONDEF, CODE, HANDLE, DATASOURCE, RESOURCE.
    fn data_type(&self) -> DataType;
    /// The text DolphinDB prints for it (a function prints its name, code prints its source).
    fn describe(&self) -> String;
    /// For downcasting in the crate that owns the concrete type.
    fn as_any(&self) -> &dyn std::any::Any;
}

#[derive(Clone, Debug)]
pub enum Value {
    /// A scalar: a vector of exactly one element.
    Scalar(Vector),
    Vector(Arc<Vector>),
    /// A pair: a vector of exactly two elements.
    Pair(Arc<Vector>),
    Matrix(Arc<Matrix>),
    Set(Arc<Set>),
    Dict(Arc<Dict>),
    Table(Arc<Table>),
    /// Functions, metacode and other server objects (scalar form).
    Object(Arc<dyn Object>),
}

impl Value {
    /// The VOID scalar, what `NULL` evaluates to.
    pub fn void() -> Value {
        Value::Scalar(Vector::nulls(DataType::Void, 1))
    }

    pub fn null(ty: DataType) -> Value {
        Value::Scalar(Vector::nulls(ty, 1))
    }

    pub fn bool(b: bool) -> Value {
        Value::Scalar(Vector::from_i8(DataType::Bool, vec![b as i8]))
    }
    pub fn char(c: i8) -> Value {
        Value::Scalar(Vector::from_i8(DataType::Char, vec![c]))
    }
    pub fn short(x: i16) -> Value {
        Value::Scalar(Vector::from_i16(vec![x]))
    }
    pub fn int(x: i32) -> Value {
        Value::Scalar(Vector::from_i32(DataType::Int, vec![x]))
    }
    pub fn long(x: i64) -> Value {
        Value::Scalar(Vector::from_i64(DataType::Long, vec![x]))
    }
    pub fn float(x: f32) -> Value {
        Value::Scalar(Vector::from_f32(vec![x]))
    }
    pub fn double(x: f64) -> Value {
        Value::Scalar(Vector::from_f64(vec![x]))
    }
    pub fn string(s: impl Into<String>) -> Value {
        Value::Scalar(Vector::from_strings(vec![s.into()]))
    }
    /// A temporal or other 32-bit scalar of type `ty`.
    pub fn i32_of(ty: DataType, x: i32) -> Value {
        Value::Scalar(Vector::from_i32(ty, vec![x]))
    }
    /// A 64-bit scalar of type `ty`.
    pub fn i64_of(ty: DataType, x: i64) -> Value {
        Value::Scalar(Vector::from_i64(ty, vec![x]))
    }

    pub fn vector(v: Vector) -> Value {
        Value::Vector(Arc::new(v))
    }
    pub fn pair(v: Vector) -> Value {
        Value::Pair(Arc::new(v))
    }
    pub fn table(t: Table) -> Value {
        Value::Table(Arc::new(t))
    }
    pub fn dict(d: Dict) -> Value {
        Value::Dict(Arc::new(d))
    }
    pub fn set(s: Set) -> Value {
        Value::Set(Arc::new(s))
    }
    /// An ANY vector (tuple) of `items`.
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::vector(Vector::from_values(items))
    }

    pub fn form(&self) -> DataForm {
        match self {
            Value::Scalar(_) | Value::Object(_) => DataForm::Scalar,
            Value::Vector(_) => DataForm::Vector,
            Value::Pair(_) => DataForm::Pair,
            Value::Matrix(_) => DataForm::Matrix,
            Value::Set(_) => DataForm::Set,
            Value::Dict(_) => DataForm::Dictionary,
            Value::Table(_) => DataForm::Table,
        }
    }

    /// The data type as `type()` reports it (dictionaries report their value type, tables
    /// report DICTIONARY... as DolphinDB does for `type(table)`).
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Scalar(v) => v.ty,
            Value::Matrix(m) => m.data.ty,
            Value::Vector(v) | Value::Pair(v) => v.ty,
            Value::Set(s) => s.keys.ty,
            Value::Dict(d) => d.values.ty,
            Value::Table(_) => DataType::Dictionary,
            Value::Object(o) => o.data_type(),
        }
    }

    /// The type code `type()` returns: array vectors add 64.
    pub fn type_code(&self) -> u8 {
        match self {
            Value::Vector(v) => v.type_code(),
            _ => self.data_type().code(),
        }
    }

    /// True for a null scalar (including VOID); false for every non-scalar.
    pub fn is_null(&self) -> bool {
        match self {
            Value::Scalar(v) => v.is_null(0),
            _ => false,
        }
    }

    pub fn is_void(&self) -> bool {
        matches!(self, Value::Scalar(v) if v.ty == DataType::Void)
    }

    /// The underlying vector of a scalar, vector or pair.
    pub fn as_vector(&self) -> Option<&Vector> {
        match self {
            Value::Scalar(v) => Some(v),
            Value::Vector(v) | Value::Pair(v) => Some(v),
            Value::Matrix(m) => Some(&m.data),
            _ => None,
        }
    }

    /// A scalar as i64 (integral, temporal raw value, or truncated float); None if null or
    /// not a numeric scalar.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Scalar(v) => v.i64_at(0),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Scalar(v) => v.f64_at(0),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Scalar(v) => v.str_at(0),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Scalar(v) => v.i64_at(0).map(|x| x != 0),
            _ => None,
        }
    }

    /// Number of elements (rows for a table, entries for a dictionary or set; 1 for a scalar).
    pub fn len(&self) -> usize {
        match self {
            Value::Scalar(_) | Value::Object(_) => 1,
            Value::Vector(v) | Value::Pair(v) => v.len(),
            Value::Matrix(m) => m.data.len(),
            Value::Set(s) => s.len(),
            Value::Dict(d) => d.len(),
            Value::Table(t) => t.rows(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A matrix: column-major data with optional row and column labels.
#[derive(Clone, Debug)]
pub struct Matrix {
    pub data: Vector,
    pub rows: usize,
    pub cols: usize,
    pub row_labels: Option<Vector>,
    pub col_labels: Option<Vector>,
}

impl Matrix {
    pub fn new(data: Vector, rows: usize, cols: usize) -> Matrix {
        assert_eq!(
            data.len(),
            rows * cols,
            "matrix data must have rows*cols cells"
        );
        Matrix {
            data,
            rows,
            cols,
            row_labels: None,
            col_labels: None,
        }
    }

    pub fn column(&self, j: usize) -> Vector {
        self.data.slice(j * self.rows, (j + 1) * self.rows)
    }
}

/// A set: distinct keys of one type, in insertion order (DolphinDB prints sets unordered).
#[derive(Clone, Debug)]
pub struct Set {
    pub keys: Vector,
    index: HashMap<Key, u32>,
}

impl Set {
    pub fn new(ty: DataType) -> Set {
        Set {
            keys: Vector::empty(ty),
            index: HashMap::new(),
        }
    }

    /// Builds a set from the distinct elements of `v`.
    pub fn from_vector(v: &Vector) -> Set {
        let mut s = Set::new(v.ty);
        s.keys.scale = v.scale;
        s.insert_all(v);
        s
    }

    /// Inserts every element of `v` (same storage as the set's keys).
    pub fn insert_all(&mut self, v: &Vector) {
        let mut fresh: Vec<i64> = Vec::new();
        for i in 0..v.len() {
            let k = v.key_at(i);
            if !self.index.contains_key(&k) {
                self.index.insert(k, (self.keys.len() + fresh.len()) as u32);
                fresh.push(i as i64);
            }
        }
        if !fresh.is_empty() {
            let add = v.take(&fresh);
            self.keys.extend(&add);
        }
    }

    pub fn contains_key(&self, k: &Key) -> bool {
        self.index.contains_key(k)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A dictionary: keys of one type mapped to values (typed, or ANY when mixed).
#[derive(Clone, Debug)]
pub struct Dict {
    pub keys: Vector,
    pub values: Vector,
    /// `dict(..., ordered=true)` keeps insertion order when printing; lookups are the same.
    pub ordered: bool,
    index: HashMap<Key, u32>,
}

impl Dict {
    pub fn new(key_ty: DataType, value_ty: DataType) -> Dict {
        Dict {
            keys: Vector::empty(key_ty),
            values: Vector::empty(value_ty),
            ordered: false,
            index: HashMap::new(),
        }
    }

    /// Builds a dictionary; a later duplicate key overwrites the earlier value.
    pub fn from_vectors(keys: Vector, values: Vector) -> Dict {
        let mut index = HashMap::with_capacity(keys.len());
        let mut keep: Vec<i64> = Vec::with_capacity(keys.len());
        for i in 0..keys.len() {
            let k = keys.key_at(i);
            match index.get(&k) {
                Some(&pos) => keep[pos as usize] = i as i64,
                None => {
                    index.insert(k, keep.len() as u32);
                    keep.push(i as i64);
                }
            }
        }
        let (keys, values) = if keep.len() == keys.len() {
            (keys, values)
        } else {
            (keys.take(&keep), values.take(&keep))
        };
        Dict {
            keys,
            values,
            ordered: false,
            index,
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn position(&self, k: &Key) -> Option<usize> {
        self.index.get(k).map(|p| *p as usize)
    }

    /// Looks up a key given as a string (column-name style access: `schema(t).colDefs`).
    pub fn get_str(&self, key: &str) -> Option<Value> {
        self.position(&Key::Str(key.to_string()))
            .map(|p| self.values.get(p))
    }

    /// Inserts or overwrites one entry. `key` and `value` must match the storages of the
    /// dictionary's keys and values (an ANY-valued dictionary takes any value).
    pub fn insert(&mut self, key: &Vector, value: Value) -> bool {
        let k = key.key_at(0);
        if let Some(&pos) = self.index.get(&k) {
            return self.set_value(pos as usize, value);
        }
        if !self.keys.extend(key) {
            return false;
        }
        self.index.insert(k, (self.keys.len() - 1) as u32);
        match (&mut self.values.data, value) {
            (Data::Any(vals), v) => {
                vals.push(v);
                true
            }
            (_, Value::Scalar(v)) => self.values.extend(&v),
            _ => false,
        }
    }

    fn set_value(&mut self, pos: usize, value: Value) -> bool {
        match (&mut self.values.data, value) {
            (Data::Any(vals), v) => {
                vals[pos] = v;
                true
            }
            (_, Value::Scalar(v)) => {
                let mut idx: Vec<i64> = (0..self.values.len() as i64).collect();
                let n = self.values.len();
                if !self.values.extend(&v) {
                    return false;
                }
                idx[pos] = n as i64;
                self.values = self.values.take(&idx);
                true
            }
            _ => false,
        }
    }
}

/// The kind of an in-memory table, which decides how inserts treat keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableKind {
    Basic,
    /// keyedTable: an insert with an existing key updates that row.
    Keyed(Vec<usize>),
    /// indexedTable: like keyed, with an index for lookups.
    Indexed(Vec<usize>),
    /// streamTable: append-only, publishable.
    Stream,
}

/// A table: named columns of equal length.
#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub names: Vec<String>,
    pub columns: Vec<Arc<Vector>>,
    pub kind: TableKind,
}

impl Table {
    pub fn new(names: Vec<String>, columns: Vec<Vector>) -> Table {
        Table {
            name: String::new(),
            names,
            columns: columns.into_iter().map(Arc::new).collect(),
            kind: TableKind::Basic,
        }
    }

    pub fn rows(&self) -> usize {
        self.columns.first().map(|c| c.len()).unwrap_or(0)
    }

    pub fn cols(&self) -> usize {
        self.columns.len()
    }

    /// Column lookup by name, case-insensitive as DolphinDB's is.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|n| n == name)
            .or_else(|| self.names.iter().position(|n| n.eq_ignore_ascii_case(name)))
    }

    pub fn column(&self, name: &str) -> Option<&Arc<Vector>> {
        self.column_index(name).map(|i| &self.columns[i])
    }
}

impl Default for Table {
    fn default() -> Self {
        Table::new(Vec::new(), Vec::new())
    }
}

/// Null-sentinel checks on raw elements, for kernels that work on slices.
pub trait IsNull {
    fn is_null_value(&self) -> bool;
}

impl IsNull for i8 {
    fn is_null_value(&self) -> bool {
        *self == null::I8
    }
}
impl IsNull for i16 {
    fn is_null_value(&self) -> bool {
        *self == null::I16
    }
}
impl IsNull for i32 {
    fn is_null_value(&self) -> bool {
        *self == null::I32
    }
}
impl IsNull for i64 {
    fn is_null_value(&self) -> bool {
        *self == null::I64
    }
}
impl IsNull for f32 {
    fn is_null_value(&self) -> bool {
        *self == null::F32
    }
}
impl IsNull for f64 {
    fn is_null_value(&self) -> bool {
        *self == null::F64
    }
}
