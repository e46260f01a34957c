//! Row-level helpers shared by writes, flushes, compaction and scans: conforming a table to a
//! schema, concatenating, and the TSDB sort with `keepDuplicates`.

use std::cmp::Ordering;
use std::sync::Arc;

use value::{Data, SymbolVec, Table, Vector};

use crate::error::{invalid, Result};
use crate::schema::{ColumnDef, KeepDuplicates, TableSchema};

/// Converts a written table to the schema: same number of columns, matched by position,
/// converted to the schema's types; the schema's names win.
pub(crate) fn conform_write(rows: &Table, schema: &TableSchema) -> Result<Table> {
    if rows.cols() != schema.columns.len() {
        invalid!(
            "The data to append has {} columns but the table has {}",
            rows.cols(),
            schema.columns.len()
        );
    }
    let n = rows.rows();
    let mut columns = Vec::with_capacity(rows.cols());
    for (c, def) in rows.columns.iter().zip(&schema.columns) {
        if c.len() != n {
            invalid!("The columns of the data to append differ in length");
        }
        columns.push(conform_column(c, def)?);
    }
    Ok(Table {
        name: String::new(),
        names: schema.columns.iter().map(|c| c.name.clone()).collect(),
        columns,
        kind: value::TableKind::Basic,
    })
}

/// One column in the type and scale of `def`.
pub(crate) fn conform_column(c: &Arc<Vector>, def: &ColumnDef) -> Result<Arc<Vector>> {
    if def.array {
        return conform_array(c, def);
    }
    if c.is_array() {
        invalid!(
            "The column {} is an array vector but the table's column is {}",
            def.name,
            def.ty.name()
        );
    }
    if c.ty == def.ty && (c.scale == def.scale || !def.ty.is_decimal()) {
        return Ok(c.clone());
    }
    let v = value::convert::cast(c, def.ty, def.scale).map_err(|e| cast_error(def, e))?;
    Ok(Arc::new(v))
}

fn cast_error(def: &ColumnDef, e: value::Error) -> crate::error::Error {
    crate::error::Error::invalid(format!(
        "The column {} cannot be converted to {}{}: {}",
        def.name,
        def.ty.name(),
        if def.array { "[]" } else { "" },
        e.message
    ))
}

/// An array vector column in the cell type of `def`: an array vector of another cell type is
/// cast cell by cell (offsets kept); a tuple of vectors (what clients upload for a column of
/// arrays) becomes one row per element.
fn conform_array(c: &Arc<Vector>, def: &ColumnDef) -> Result<Arc<Vector>> {
    match &c.data {
        Data::Array(a) => {
            if c.ty == def.ty && (c.scale == def.scale || !def.ty.is_decimal()) {
                return Ok(c.clone());
            }
            let values = value::convert::cast(&a.values, def.ty, def.scale)
                .map_err(|e| cast_error(def, e))?;
            Ok(Arc::new(Vector {
                ty: def.ty,
                scale: def.scale,
                data: Data::Array(value::ArrayData {
                    offsets: a.offsets.clone(),
                    values: Box::new(values),
                }),
            }))
        }
        Data::Any(items) => {
            let mut values = Vector::empty(def.ty);
            values.scale = def.scale;
            let mut offsets = Vec::with_capacity(items.len() + 1);
            offsets.push(0u32);
            for item in items {
                let cells = match item {
                    value::Value::Vector(v) if !v.is_array() => (**v).clone(),
                    value::Value::Scalar(s) => s.clone(),
                    _ => invalid!(
                        "The column {} is an array vector; each row must be a vector",
                        def.name
                    ),
                };
                let cells = if cells.ty == def.ty && cells.scale == values.scale {
                    cells
                } else {
                    value::convert::cast(&cells, def.ty, def.scale)
                        .map_err(|e| cast_error(def, e))?
                };
                if !values.extend(&cells) {
                    invalid!("The column {} cannot hold {}", def.name, cells.ty.name());
                }
                match u32::try_from(values.len()) {
                    Ok(n) => offsets.push(n),
                    Err(_) => invalid!("The array vector column {} is too large", def.name),
                }
            }
            Ok(Arc::new(Vector {
                ty: def.ty,
                scale: def.scale,
                data: Data::Array(value::ArrayData {
                    offsets,
                    values: Box::new(values),
                }),
            }))
        }
        _ => invalid!(
            "The column {} is an array vector ({}[]) but the data is a {} vector",
            def.name,
            def.ty.name(),
            c.ty.name()
        ),
    }
}

/// `defs` columns of `t`, matched by name (case-insensitive); absent ones are nulls.
pub(crate) fn project(t: &Table, defs: &[ColumnDef]) -> Result<Vec<Arc<Vector>>> {
    let n = t.rows();
    defs.iter()
        .map(|d| match t.column_index(&d.name) {
            Some(i) => conform_column(&t.columns[i], d),
            None => Ok(Arc::new(nulls(d, n))),
        })
        .collect()
}

/// `n` null rows of `d`: for an array vector column, `n` empty arrays.
pub(crate) fn nulls(d: &ColumnDef, n: usize) -> Vector {
    if d.array {
        let mut v = empty(d);
        if let Data::Array(a) = &mut v.data {
            a.offsets = vec![0; n + 1];
        }
        return v;
    }
    let mut v = Vector::nulls(d.ty, n);
    v.scale = d.scale;
    v
}

/// An empty column of `d`'s type.
pub(crate) fn empty(d: &ColumnDef) -> Vector {
    let mut v = if d.array {
        Vector::empty_array(d.ty)
    } else {
        Vector::empty(d.ty)
    };
    v.scale = d.scale;
    if let Data::Array(a) = &mut v.data {
        a.values.scale = d.scale;
    }
    v
}

/// Appends `parts` column by column.
pub(crate) fn concat(defs: &[ColumnDef], parts: &[Vec<Arc<Vector>>]) -> Vec<Vector> {
    let total: usize = parts
        .iter()
        .map(|p| p.first().map(|c| c.len()).unwrap_or(0))
        .sum();
    let mut out: Vec<Vector> = defs
        .iter()
        .map(|d| {
            if d.array {
                return empty(d);
            }
            let mut v = Vector::with_capacity(d.ty, total);
            v.scale = d.scale;
            v
        })
        .collect();
    for p in parts {
        for (o, c) in out.iter_mut().zip(p) {
            if let (Data::Sym(a), Data::Sym(b)) = (&mut o.data, &c.data) {
                extend_symbols(a, b);
                continue;
            }
            let ok = o.extend(c);
            assert!(ok, "conformed columns share their storage");
        }
    }
    out
}

/// Appends symbols of another base by translating each distinct code once.
fn extend_symbols(a: &mut SymbolVec, b: &SymbolVec) {
    if Arc::ptr_eq(&a.base, &b.base) || a.codes.is_empty() {
        if a.codes.is_empty() {
            a.base = b.base.clone();
        }
        a.codes.extend_from_slice(&b.codes);
        return;
    }
    let mut map = vec![u32::MAX; b.base.len()];
    a.codes.reserve(b.codes.len());
    for &c in &b.codes {
        let m = match map.get(c as usize) {
            Some(&m) if m != u32::MAX => m,
            _ => {
                let m = Arc::make_mut(&mut a.base).intern(b.base.get(c));
                if let Some(slot) = map.get_mut(c as usize) {
                    *slot = m;
                }
                m
            }
        };
        a.codes.push(m);
    }
}

type Cmp<'a> = Box<dyn Fn(usize, usize) -> Ordering + 'a>;

fn comparator(v: &Vector) -> Cmp<'_> {
    match &v.data {
        Data::I8(x) => Box::new(move |i, j| x[i].cmp(&x[j])),
        Data::I16(x) => Box::new(move |i, j| x[i].cmp(&x[j])),
        Data::I32(x) => Box::new(move |i, j| x[i].cmp(&x[j])),
        Data::I64(x) => Box::new(move |i, j| x[i].cmp(&x[j])),
        Data::I128(x) => Box::new(move |i, j| x[i].cmp(&x[j])),
        Data::F32(x) => Box::new(move |i, j| x[i].total_cmp(&x[j])),
        Data::F64(x) => Box::new(move |i, j| x[i].total_cmp(&x[j])),
        Data::Str(x) => Box::new(move |i, j| x[i].cmp(&x[j])),
        Data::Blob(x) => Box::new(move |i, j| x[i].cmp(&x[j])),
        Data::Sym(x) => {
            // Rank the symbol base once, then compare ranks.
            let strings = x.base.strings();
            let mut order: Vec<u32> = (0..strings.len() as u32).collect();
            order.sort_by(|a, b| strings[*a as usize].cmp(&strings[*b as usize]));
            let mut rank = vec![0u32; strings.len()];
            for (r, c) in order.iter().enumerate() {
                rank[*c as usize] = r as u32;
            }
            let codes = &x.codes;
            Box::new(move |i, j| {
                let a = rank.get(codes[i] as usize).copied().unwrap_or(0);
                let b = rank.get(codes[j] as usize).copied().unwrap_or(0);
                a.cmp(&b)
            })
        }
        _ => Box::new(|_, _| Ordering::Equal),
    }
}

/// The row order of a TSDB segment: stable sort by the sort columns, then `keep` applied to
/// runs of rows equal in every sort column (arrival order decides FIRST and LAST).
pub(crate) fn tsdb_order(columns: &[Vector], sort_idx: &[usize], keep: KeepDuplicates) -> Vec<i64> {
    let n = columns.first().map(|c| c.len()).unwrap_or(0);
    let cmps: Vec<Cmp<'_>> = sort_idx.iter().map(|&i| comparator(&columns[i])).collect();
    let cmp = |i: usize, j: usize| {
        for c in &cmps {
            let o = c(i, j);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    };
    let mut perm: Vec<usize> = (0..n).collect();
    perm.sort_by(|&a, &b| cmp(a, b));
    let mut out: Vec<i64> = Vec::with_capacity(n);
    match keep {
        KeepDuplicates::All => out.extend(perm.iter().map(|&i| i as i64)),
        KeepDuplicates::First => {
            for (k, &i) in perm.iter().enumerate() {
                if k == 0 || cmp(perm[k - 1], i) != Ordering::Equal {
                    out.push(i as i64);
                }
            }
        }
        KeepDuplicates::Last => {
            for (k, &i) in perm.iter().enumerate() {
                if k + 1 == perm.len() || cmp(i, perm[k + 1]) != Ordering::Equal {
                    out.push(i as i64);
                }
            }
        }
    }
    out
}

/// Sorts and deduplicates `columns` and `cids` in place for a TSDB schema (no-op for OLAP).
pub(crate) fn tsdb_arrange(
    schema: &TableSchema,
    columns: &mut [Vector],
    cids: &mut Vec<i64>,
) -> Result<()> {
    let idx = schema.sort_indices()?;
    if idx.is_empty() {
        return Ok(());
    }
    let order = tsdb_order(columns, &idx, schema.keep_duplicates);
    let sorted = order.windows(2).all(|w| w[0] < w[1]) && order.len() == cids.len();
    if sorted {
        return Ok(());
    }
    for c in columns.iter_mut() {
        *c = c.take(&order);
    }
    *cids = order.iter().map(|&i| cids[i as usize]).collect();
    Ok(())
}
