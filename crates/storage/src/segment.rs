//! Segments: immutable Apache Parquet files holding a run of a tablet's rows.
//!
//! Every plain column is REQUIRED and keeps DolphinDB's null sentinels as they are; an array
//! vector column (`DOUBLE[]`) is a REPEATED field of its cell type: one record per row, the
//! row's cells its values (null cells as sentinels, an empty row a record without values).
//! Parquet needs every column of a row group to hold the same rows, which rules out separate
//! offsets and values columns. Physical types:
//! BOOL/CHAR/SHORT/INT/32-bit temporals/DECIMAL32 -> INT32, LONG/64-bit temporals/DECIMAL64 ->
//! INT64, FLOAT, DOUBLE, STRING/SYMBOL/BLOB -> BYTE_ARRAY (SYMBOL dictionary encoded),
//! UUID/IPADDR/INT128/DECIMAL128 -> FIXED_LEN_BYTE_ARRAY(16) big endian. Logical annotations
//! (DATE, TIME, TIMESTAMP, DECIMAL, STRING, UUID, INT(8/16)) are added where Parquet has one,
//! so other tools read the values sensibly. The DolphinDB types and scales are kept in the
//! key-value metadata `porpoise.columns`, so a read returns exactly the stored vector types.
//! A hidden last column `__cid` (INT64) holds each row's commit id.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, Encoding, LogicalType, Repetition, TimeUnit, Type as Phys};
use parquet::column::reader::{get_typed_column_reader, ColumnReader};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::{
    ByteArray, ByteArrayType, DoubleType, FixedLenByteArray, FixedLenByteArrayType, FloatType,
    Int32Type, Int64Type,
};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnPath, Type as PType};
use serde::{Deserialize, Serialize};
use value::{ArrayData, Data, DataType, Storage, SymbolBase, SymbolVec, Vector};

use crate::error::{Error, Result};
use crate::schema::{ColumnDef, Compress, CID_COLUMN};

/// Rows per Parquet row group: the unit a scan decodes at once, so it bounds scan memory.
pub const ROW_GROUP_ROWS: usize = 1 << 17;
/// Key of the DolphinDB column definitions in a segment's key-value metadata.
const META_COLUMNS: &str = "porpoise.columns";
/// Longest string kept as a min/max statistic.
const STAT_STRING_BYTES_MAX: usize = 64;

/// A column's min and max over its non-null values, for pruning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Stat {
    Int(i64),
    Float(f64),
    Str(String),
}

/// Min/max of one column of a segment; None when the column is all null or not comparable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct ColumnStats {
    pub min: Option<Stat>,
    pub max: Option<Stat>,
}

/// What writing a segment produced.
pub(crate) struct Written {
    pub bytes: u64,
    pub stats: Vec<ColumnStats>,
}

fn physical(ty: DataType) -> Phys {
    match ty.storage() {
        Storage::I8 | Storage::I16 | Storage::I32 => Phys::INT32,
        Storage::I64 => Phys::INT64,
        Storage::F32 => Phys::FLOAT,
        Storage::F64 => Phys::DOUBLE,
        Storage::I128 => Phys::FIXED_LEN_BYTE_ARRAY,
        _ => Phys::BYTE_ARRAY,
    }
}

fn logical(ty: DataType, scale: u8) -> Option<LogicalType> {
    use DataType::*;
    Some(match ty {
        Bool | Char => LogicalType::integer(8, true),
        Short => LogicalType::integer(16, true),
        Date => LogicalType::Date,
        Time => LogicalType::time(false, TimeUnit::MILLIS),
        NanoTime => LogicalType::time(false, TimeUnit::NANOS),
        Timestamp => LogicalType::timestamp(false, TimeUnit::MILLIS),
        NanoTimestamp => LogicalType::timestamp(false, TimeUnit::NANOS),
        Symbol | String => LogicalType::String,
        Uuid => LogicalType::Uuid,
        Decimal32 | Decimal64 | Decimal128 => LogicalType::decimal(scale as i32, precision(ty)),
        _ => return None,
    })
}

fn precision(ty: DataType) -> i32 {
    match ty {
        DataType::Decimal32 => 9,
        DataType::Decimal64 => 18,
        _ => 38,
    }
}

fn parquet_field(c: &ColumnDef) -> Result<PType> {
    // An array vector column is a repeated field: one record per row, its cells the
    // repeated values (an empty array is a record with no value).
    let repetition = if c.array {
        Repetition::REPEATED
    } else {
        Repetition::REQUIRED
    };
    let mut b = PType::primitive_type_builder(&c.name, physical(c.ty))
        .with_repetition(repetition)
        .with_logical_type(logical(c.ty, c.scale));
    if c.ty.storage() == Storage::I128 {
        b = b.with_length(16);
    }
    if c.ty.is_decimal() {
        b = b.with_precision(precision(c.ty)).with_scale(c.scale as i32);
    }
    Ok(b.build()?)
}

fn properties(columns: &[ColumnDef]) -> Result<WriterProperties> {
    let meta = serde_json::to_string(columns)
        .map_err(|e| Error::invalid(format!("column definitions: {e}")))?;
    let mut b = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::LZ4_RAW)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by("porpoise".to_string())
        .set_key_value_metadata(Some(vec![KeyValue::new(META_COLUMNS.to_string(), meta)]));
    for c in columns {
        let path = ColumnPath::from(c.name.as_str());
        let dict = match c.ty {
            DataType::Blob => false,
            _ => c.compress == Compress::Lz4,
        };
        b = b.set_column_dictionary_enabled(path.clone(), dict);
        if c.compress == Compress::Delta {
            b = b.set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
        }
    }
    let cid = ColumnPath::from(CID_COLUMN);
    b = b
        .set_column_dictionary_enabled(cid.clone(), false)
        .set_column_encoding(cid, Encoding::DELTA_BINARY_PACKED);
    Ok(b.build())
}

/// Writes `columns` (one vector per definition, all of `cids.len()` rows) to a new file at
/// `path` and fsyncs it. On error the partial file is left for the caller to remove.
pub(crate) fn write(
    path: &Path,
    defs: &[ColumnDef],
    columns: &[&Vector],
    cids: &[i64],
) -> Result<Written> {
    assert_eq!(
        defs.len(),
        columns.len(),
        "one vector per column definition"
    );
    let rows = cids.len();
    for (d, c) in defs.iter().zip(columns) {
        if c.len() != rows || c.ty.storage() != d.ty.storage() || c.is_array() != d.array {
            return Err(Error::invalid(format!(
                "column {} does not match its definition {}",
                d.name,
                d.ty.name()
            )));
        }
    }
    let mut fields = defs
        .iter()
        .map(|c| parquet_field(c).map(Arc::new))
        .collect::<Result<Vec<_>>>()?;
    fields.push(Arc::new(
        PType::primitive_type_builder(CID_COLUMN, Phys::INT64)
            .with_repetition(Repetition::REQUIRED)
            .build()?,
    ));
    let schema = Arc::new(
        PType::group_type_builder("porpoise")
            .with_fields(fields)
            .build()?,
    );
    let file = File::create(path).map_err(|e| Error::io(path.display(), e))?;
    let mut w = SerializedFileWriter::new(file, schema, Arc::new(properties(defs)?))?;
    let mut start = 0;
    while start < rows || (rows == 0 && start == 0) {
        let end = (start + ROW_GROUP_ROWS).min(rows);
        let mut rg = w.next_row_group()?;
        let mut j = 0;
        while let Some(mut col) = rg.next_column()? {
            if j < columns.len() {
                match &columns[j].data {
                    Data::Array(a) => write_array(col.untyped(), a, start, end)?,
                    _ => write_column(col.untyped(), columns[j], start, end, None)?,
                }
            } else {
                col.typed::<Int64Type>()
                    .write_batch(&cids[start..end], None, None)?;
            }
            col.close()?;
            j += 1;
        }
        rg.close()?;
        if rows == 0 {
            break;
        }
        start = end;
    }
    let file = w.into_inner()?;
    file.sync_all().map_err(|e| Error::io(path.display(), e))?;
    let bytes = file
        .metadata()
        .map_err(|e| Error::io(path.display(), e))?
        .len();
    let stats = columns.iter().map(|c| column_stats(c)).collect();
    Ok(Written { bytes, stats })
}

/// Rows `start..end` of an array vector: their cells with repetition level 0 for a row's first
/// cell and 1 for the others, definition level 1 for a cell and 0 for an empty row.
fn write_array(w: &mut ColumnWriter<'_>, a: &ArrayData, start: usize, end: usize) -> Result<()> {
    let lo = a.offsets[start] as usize;
    let hi = a.offsets[end] as usize;
    let levels = (hi - lo) + (start..end).filter(|&r| a.row_range(r).is_empty()).count();
    let mut def = Vec::with_capacity(levels);
    let mut rep = Vec::with_capacity(levels);
    for r in start..end {
        let n = a.row_range(r).len();
        if n == 0 {
            def.push(0);
            rep.push(0);
            continue;
        }
        def.extend(std::iter::repeat_n(1i16, n));
        rep.push(0);
        rep.extend(std::iter::repeat_n(1i16, n - 1));
    }
    write_column(w, &a.values, lo, hi, Some((&def, &rep)))
}

/// Values `start..end` of `v`; `levels` (definition, repetition) for a repeated column.
fn write_column(
    w: &mut ColumnWriter<'_>,
    v: &Vector,
    start: usize,
    end: usize,
    levels: Option<(&[i16], &[i16])>,
) -> Result<()> {
    let (def, rep) = match levels {
        Some((d, r)) => (Some(d), Some(r)),
        None => (None, None),
    };
    match (w, &v.data) {
        (ColumnWriter::Int32ColumnWriter(w), Data::I8(x)) => {
            let buf: Vec<i32> = x[start..end].iter().map(|&a| a as i32).collect();
            w.write_batch(&buf, def, rep)?;
        }
        (ColumnWriter::Int32ColumnWriter(w), Data::I16(x)) => {
            let buf: Vec<i32> = x[start..end].iter().map(|&a| a as i32).collect();
            w.write_batch(&buf, def, rep)?;
        }
        (ColumnWriter::Int32ColumnWriter(w), Data::I32(x)) => {
            w.write_batch(&x[start..end], def, rep)?;
        }
        (ColumnWriter::Int64ColumnWriter(w), Data::I64(x)) => {
            w.write_batch(&x[start..end], def, rep)?;
        }
        (ColumnWriter::FloatColumnWriter(w), Data::F32(x)) => {
            w.write_batch(&x[start..end], def, rep)?;
        }
        (ColumnWriter::DoubleColumnWriter(w), Data::F64(x)) => {
            w.write_batch(&x[start..end], def, rep)?;
        }
        (ColumnWriter::FixedLenByteArrayColumnWriter(w), Data::I128(x)) => {
            let buf: Vec<FixedLenByteArray> = x[start..end]
                .iter()
                .map(|a| FixedLenByteArray::from(a.to_be_bytes().to_vec()))
                .collect();
            w.write_batch(&buf, def, rep)?;
        }
        (ColumnWriter::ByteArrayColumnWriter(w), Data::Str(x)) => {
            let buf: Vec<ByteArray> = x[start..end]
                .iter()
                .map(|s| ByteArray::from(s.as_bytes().to_vec()))
                .collect();
            w.write_batch(&buf, def, rep)?;
        }
        (ColumnWriter::ByteArrayColumnWriter(w), Data::Sym(x)) => {
            // One ByteArray per distinct code, cloned (a refcount) per row.
            let mut cache: Vec<Option<ByteArray>> = vec![None; x.base.len()];
            let mut buf: Vec<ByteArray> = Vec::with_capacity(end - start);
            for &c in &x.codes[start..end] {
                let b = match cache.get_mut(c as usize) {
                    Some(Some(b)) => b.clone(),
                    Some(slot) => slot
                        .insert(ByteArray::from(x.base.get(c).as_bytes().to_vec()))
                        .clone(),
                    None => ByteArray::from(Vec::new()),
                };
                buf.push(b);
            }
            w.write_batch(&buf, def, rep)?;
        }
        (ColumnWriter::ByteArrayColumnWriter(w), Data::Blob(x)) => {
            let buf: Vec<ByteArray> = x[start..end]
                .iter()
                .map(|b| ByteArray::from(b.clone()))
                .collect();
            w.write_batch(&buf, def, rep)?;
        }
        _ => {
            return Err(Error::invalid(format!(
                "a {} column cannot be stored",
                v.ty.name()
            )))
        }
    }
    Ok(())
}

/// Min and max over the non-null values of `v`.
pub(crate) fn column_stats(v: &Vector) -> ColumnStats {
    fn ints<T: Copy + Into<i64> + PartialEq>(x: &[T], null: T) -> ColumnStats {
        let mut lo = i64::MAX;
        let mut hi = i64::MIN;
        let mut any = false;
        for &a in x {
            if a != null {
                let a: i64 = a.into();
                lo = lo.min(a);
                hi = hi.max(a);
                any = true;
            }
        }
        if any {
            ColumnStats {
                min: Some(Stat::Int(lo)),
                max: Some(Stat::Int(hi)),
            }
        } else {
            ColumnStats::default()
        }
    }
    fn floats(x: impl Iterator<Item = f64>) -> ColumnStats {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for a in x {
            if a.is_finite() && a != -f64::MAX && a != -(f32::MAX as f64) {
                lo = lo.min(a);
                hi = hi.max(a);
            }
        }
        if lo <= hi {
            ColumnStats {
                min: Some(Stat::Float(lo)),
                max: Some(Stat::Float(hi)),
            }
        } else {
            ColumnStats::default()
        }
    }
    fn strs<'a>(x: impl Iterator<Item = &'a str>) -> ColumnStats {
        let mut lo: Option<&str> = None;
        let mut hi: Option<&str> = None;
        for s in x {
            if s.is_empty() {
                continue;
            }
            if lo.is_none_or(|l| s < l) {
                lo = Some(s);
            }
            if hi.is_none_or(|h| s > h) {
                hi = Some(s);
            }
        }
        let keep = |s: Option<&str>| {
            s.filter(|s| s.len() <= STAT_STRING_BYTES_MAX)
                .map(|s| Stat::Str(s.to_string()))
        };
        match (keep(lo), keep(hi)) {
            (Some(a), Some(b)) => ColumnStats {
                min: Some(a),
                max: Some(b),
            },
            _ => ColumnStats::default(),
        }
    }
    match &v.data {
        Data::I8(x) => ints(x, value::null::I8),
        Data::I16(x) => ints(x, value::null::I16),
        Data::I32(x) => ints(x, value::null::I32),
        Data::I64(x) => ints(x, value::null::I64),
        Data::F32(x) => floats(x.iter().map(|&a| a as f64)),
        Data::F64(x) => floats(x.iter().copied()),
        Data::Str(x) => strs(x.iter().map(|s| s.as_str())),
        Data::Sym(x) => {
            // Over the distinct codes used, not every row.
            let mut used = vec![false; x.base.len()];
            for &c in &x.codes {
                if let Some(u) = used.get_mut(c as usize) {
                    *u = true;
                }
            }
            strs(
                used.iter()
                    .enumerate()
                    .filter(|(_, u)| **u)
                    .map(|(c, _)| x.base.get(c as u32)),
            )
        }
        _ => ColumnStats::default(),
    }
}

/// An open segment file: its column definitions and row groups.
pub(crate) struct SegmentReader {
    reader: SerializedFileReader<File>,
    defs: Vec<ColumnDef>,
}

impl SegmentReader {
    pub fn open(path: &Path) -> Result<SegmentReader> {
        let file = File::open(path).map_err(|e| Error::io(path.display(), e))?;
        let reader = SerializedFileReader::new(file)?;
        let meta = reader.metadata().file_metadata();
        let text = meta
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == META_COLUMNS))
            .and_then(|k| k.value.clone())
            .ok_or_else(|| {
                Error::corrupt(format!("{}: no porpoise column metadata", path.display()))
            })?;
        let defs: Vec<ColumnDef> = serde_json::from_str(&text)
            .map_err(|e| Error::corrupt(format!("{}: {e}", path.display())))?;
        if meta.schema_descr().num_columns() != defs.len() + 1 {
            return Err(Error::corrupt(format!(
                "{}: column count does not match its metadata",
                path.display()
            )));
        }
        Ok(SegmentReader { reader, defs })
    }

    pub fn defs(&self) -> &[ColumnDef] {
        &self.defs
    }

    pub fn row_groups(&self) -> usize {
        self.reader.metadata().num_row_groups()
    }

    pub fn row_group_rows(&self, rg: usize) -> usize {
        self.reader.metadata().row_group(rg).num_rows().max(0) as usize
    }

    /// Decodes column `j` (an index into `defs`) of row group `rg`.
    pub fn read_column(&self, rg: usize, j: usize) -> Result<Vector> {
        let def = self
            .defs
            .get(j)
            .ok_or_else(|| Error::invalid(format!("no column {j} in segment")))?;
        let rows = self.row_group_rows(rg);
        let col = self.reader.get_row_group(rg)?.get_column_reader(j)?;
        decode(col, def, rows)
    }

    /// The commit ids of the rows of row group `rg`.
    pub fn read_cids(&self, rg: usize) -> Result<Vec<i64>> {
        let rows = self.row_group_rows(rg);
        let col = self
            .reader
            .get_row_group(rg)?
            .get_column_reader(self.defs.len())?;
        match col {
            ColumnReader::Int64ColumnReader(_) => read_all::<Int64Type>(col, rows),
            _ => Err(Error::corrupt("segment commit-id column is not INT64")),
        }
    }
}

fn read_all<T: parquet::data_type::DataType>(col: ColumnReader, rows: usize) -> Result<Vec<T::T>> {
    read_levels::<T>(col, rows, None)
}

/// Reads `rows` records; for a repeated column also their (definition, repetition) levels.
fn read_levels<T: parquet::data_type::DataType>(
    col: ColumnReader,
    rows: usize,
    mut levels: Option<&mut (Vec<i16>, Vec<i16>)>,
) -> Result<Vec<T::T>> {
    let mut r = get_typed_column_reader::<T>(col);
    let mut out = Vec::with_capacity(rows);
    let mut done = 0;
    while done < rows {
        let (records, _, _) = match levels.as_deref_mut() {
            Some((def, rep)) => r.read_records(rows - done, Some(def), Some(rep), &mut out)?,
            None => r.read_records(rows - done, None, None, &mut out)?,
        };
        if records == 0 {
            return Err(Error::corrupt("segment column ends early"));
        }
        done += records;
    }
    Ok(out)
}

/// Row offsets of an array vector from its levels: a repetition level 0 starts a row, a
/// definition level 1 is a cell (0: the row is empty).
fn array_offsets(def: &[i16], rep: &[i16], rows: usize) -> Result<Vec<u32>> {
    let mut offsets = Vec::with_capacity(rows + 1);
    let mut cells: u32 = 0;
    for (&d, &r) in def.iter().zip(rep) {
        if r == 0 {
            offsets.push(cells);
        }
        if d > 0 {
            cells += 1;
        }
    }
    offsets.push(cells);
    if offsets.len() != rows + 1 || def.len() != rep.len() {
        return Err(Error::corrupt(
            "array vector column has inconsistent levels",
        ));
    }
    Ok(offsets)
}

fn decode(col: ColumnReader, def: &ColumnDef, rows: usize) -> Result<Vector> {
    let ty = def.ty;
    let mut levels = (Vec::new(), Vec::new());
    let lv = if def.array { Some(&mut levels) } else { None };
    let data = match (&col, ty.storage()) {
        (ColumnReader::Int32ColumnReader(_), Storage::I8) => Data::I8(
            read_levels::<Int32Type>(col, rows, lv)?
                .into_iter()
                .map(|a| a as i8)
                .collect(),
        ),
        (ColumnReader::Int32ColumnReader(_), Storage::I16) => Data::I16(
            read_levels::<Int32Type>(col, rows, lv)?
                .into_iter()
                .map(|a| a as i16)
                .collect(),
        ),
        (ColumnReader::Int32ColumnReader(_), Storage::I32) => {
            Data::I32(read_levels::<Int32Type>(col, rows, lv)?)
        }
        (ColumnReader::Int64ColumnReader(_), Storage::I64) => {
            Data::I64(read_levels::<Int64Type>(col, rows, lv)?)
        }
        (ColumnReader::FloatColumnReader(_), Storage::F32) => {
            Data::F32(read_levels::<FloatType>(col, rows, lv)?)
        }
        (ColumnReader::DoubleColumnReader(_), Storage::F64) => {
            Data::F64(read_levels::<DoubleType>(col, rows, lv)?)
        }
        (ColumnReader::FixedLenByteArrayColumnReader(_), Storage::I128) => {
            let raw = read_levels::<FixedLenByteArrayType>(col, rows, lv)?;
            let mut out = Vec::with_capacity(raw.len());
            for b in &raw {
                let bytes: [u8; 16] = b
                    .data()
                    .try_into()
                    .map_err(|_| Error::corrupt("16-byte column holds another width"))?;
                out.push(i128::from_be_bytes(bytes));
            }
            Data::I128(out)
        }
        (ColumnReader::ByteArrayColumnReader(_), Storage::Str) => Data::Str(
            read_levels::<ByteArrayType>(col, rows, lv)?
                .iter()
                .map(|b| String::from_utf8_lossy(b.data()).into_owned())
                .collect(),
        ),
        (ColumnReader::ByteArrayColumnReader(_), Storage::Blob) => Data::Blob(
            read_levels::<ByteArrayType>(col, rows, lv)?
                .iter()
                .map(|b| b.data().to_vec())
                .collect(),
        ),
        (ColumnReader::ByteArrayColumnReader(_), Storage::Sym) => {
            Data::Sym(symbols(&read_levels::<ByteArrayType>(col, rows, lv)?))
        }
        _ => {
            return Err(Error::corrupt(format!(
                "segment column {} does not hold {}",
                def.name,
                ty.name()
            )))
        }
    };
    let values = Vector {
        ty,
        scale: def.scale,
        data,
    };
    if !def.array {
        return Ok(values);
    }
    let offsets = array_offsets(&levels.0, &levels.1, rows)?;
    if *offsets.last().unwrap_or(&0) as usize != values.len() {
        return Err(Error::corrupt(format!(
            "array vector column {} has more cells than levels",
            def.name
        )));
    }
    Ok(Vector::array(values, offsets))
}

/// Builds a SYMBOL vector. Dictionary-decoded values share the dictionary page's buffer, so
/// equal strings usually have equal addresses: look those up first, the text only when new.
fn symbols(raw: &[ByteArray]) -> SymbolVec {
    let mut base = SymbolBase::new();
    let mut by_addr: HashMap<(usize, usize), u32> = HashMap::new();
    let mut codes = Vec::with_capacity(raw.len());
    for b in raw {
        let d = b.data();
        let key = (d.as_ptr() as usize, d.len());
        let code = match by_addr.get(&key) {
            Some(&c) => c,
            None => {
                let c = base.intern(&String::from_utf8_lossy(d));
                by_addr.insert(key, c);
                c
            }
        };
        codes.push(code);
    }
    SymbolVec {
        base: Arc::new(base),
        codes,
    }
}
