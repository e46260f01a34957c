//! Tablet manifests: the list of a tablet's segment files and what the redo log no longer
//! needs to hold for it. A manifest is a small JSON file replaced atomically (write
//! `manifest.tmp`, fsync, rename over `manifest`, fsync the directory), so a crash leaves
//! either the old or the new one in force, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::TableSchema;
use crate::segment::ColumnStats;

pub(crate) const MANIFEST_FILE: &str = "manifest";
const MANIFEST_TMP: &str = "manifest.tmp";
const FORMAT_VERSION: u32 = 1;

/// One segment file of a tablet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SegmentMeta {
    /// File name inside the tablet directory (`seg-<n>.parquet`).
    pub file: String,
    pub rows: u64,
    pub bytes: u64,
    /// Smallest and largest commit id of its rows.
    pub min_cid: u64,
    pub max_cid: u64,
    /// Per column (in the order of the segment's own schema), min and max.
    pub stats: Vec<ColumnStats>,
    /// Column names in the segment, in file order (the schema may have grown since).
    pub columns: Vec<String>,
}

/// The durable state of one tablet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// Bumped at every replacement.
    pub seq: u64,
    /// Every redo record up to this log sequence number is in the segments.
    pub flushed_lsn: u64,
    /// Transactions that touched the tablet, up to `flushed_lsn`.
    pub version: u64,
    /// Largest commit id up to `flushed_lsn`.
    pub last_cid: u64,
    /// The next segment file number.
    pub next_segment: u64,
    /// Scans below this commit id are refused: older data was garbage collected.
    pub gc_cid: u64,
    /// Commit ids of `Replace` writes still relevant to some segment (ascending).
    pub replaces: Vec<u64>,
    pub schema: TableSchema,
    pub segments: Vec<SegmentMeta>,
}

impl Manifest {
    pub fn new(schema: TableSchema) -> Manifest {
        Manifest {
            format: FORMAT_VERSION,
            seq: 0,
            flushed_lsn: 0,
            version: 0,
            last_cid: 0,
            next_segment: 1,
            gc_cid: 0,
            replaces: Vec::new(),
            schema,
            segments: Vec::new(),
        }
    }

    /// Reads the manifest of the tablet directory `dir`, None when there is none.
    pub fn load(dir: &Path) -> Result<Option<Manifest>> {
        let path = dir.join(MANIFEST_FILE);
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path.display(), e)),
        };
        let m: Manifest = serde_json::from_slice(&text)
            .map_err(|e| Error::corrupt(format!("{}: {e}", path.display())))?;
        if m.format != FORMAT_VERSION {
            return Err(Error::corrupt(format!(
                "{}: unknown manifest format {}",
                path.display(),
                m.format
            )));
        }
        Ok(Some(m))
    }

    /// Replaces the manifest of `dir` atomically. On error the previous one stays in force.
    pub fn store(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_vec(self)
            .map_err(|e| Error::invalid(format!("manifest encoding: {e}")))?;
        let tmp = dir.join(MANIFEST_TMP);
        let written = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io(tmp.display(), e));
        }
        let path = dir.join(MANIFEST_FILE);
        fs::rename(&tmp, &path).map_err(|e| Error::io(path.display(), e))?;
        sync_dir(dir)
    }
}

/// fsyncs a directory, making renames and new entries in it durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir.display(), e))
}
