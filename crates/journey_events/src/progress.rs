//! How far a [`LogReader`] has got through its log, for progress bars on long runs.
//!
//! Nothing here touches the read loop: a progress bar asks for the position every so
//! many events (`journey simulate` asks every 65,536), and each answer is cheap.
//!
//! * **Parquet**: rows. The total is the row count of the file's footer (read once,
//!   without reading any data); the position is the rows read ([`LogReader::rows`]).
//! * **CSV and JSON lines**: bytes. The total is the file's size; the position is the
//!   offset of the reader's open file as the operating system reports it
//!   (`/proc/self/fdinfo`, as `pv -d` and `progress` read it), which runs at most one
//!   read buffer (the line reader's, 256 KiB) ahead of the rows handed out. Where that
//!   is not available (other systems, a pipe), the position is unknown and a bar
//!   should show a count.

use crate::mapping::{Format, Mapping};
use crate::reader::LogReader;
use std::path::{Path, PathBuf};

/// What a position counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    Bytes,
    Rows,
}

/// Watches one open [`LogReader`]; see the module documentation.
#[derive(Debug)]
pub struct ReadProgress {
    unit: ProgressUnit,
    total: Option<u64>,
    /// `/proc/self/fdinfo/N` of the reader's file descriptor (text formats, Linux).
    fdinfo: Option<PathBuf>,
}

impl ReadProgress {
    /// Watch `reader`, which was opened on `path` with `mapping`. Call it right after
    /// [`LogReader::open`], before anything else opens the same file. A reader that
    /// sorts in memory has read everything before its first event, so its position
    /// says nothing: unknown.
    pub fn watch(path: &Path, mapping: &Mapping, reader: &LogReader) -> ReadProgress {
        if reader.sorts() {
            return ReadProgress { unit: ProgressUnit::Rows, total: None, fdinfo: None };
        }
        // a stream is never opened a second time (a FIFO would hang, stdin be empty)
        let rereadable = crate::input::rereadable(path);
        if mapping.format.resolve(crate::input::without_compression(path)) == Some(Format::Parquet) {
            let total = if rereadable { parquet_rows(path) } else { None };
            return ReadProgress { unit: ProgressUnit::Rows, total, fdinfo: None };
        }
        let meta = std::fs::metadata(path).ok().filter(|m| m.is_file());
        let fdinfo = meta.as_ref().and_then(|_| find_fdinfo(path));
        let total = meta.map(|m| m.len()).filter(|_| fdinfo.is_some());
        ReadProgress { unit: ProgressUnit::Bytes, total, fdinfo }
    }

    pub fn unit(&self) -> ProgressUnit {
        self.unit
    }

    /// Rows or bytes in the whole log, when known.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// Rows or bytes read so far, when known (never more than [`Self::total`]).
    /// `rows`: the rows the reader has handed out ([`LogReader::rows`], or
    /// `PipedReader::rows` when the reader runs on its own thread).
    pub fn position(&self, rows: u64) -> Option<u64> {
        let total = self.total?;
        let pos = match self.unit {
            ProgressUnit::Rows => rows,
            ProgressUnit::Bytes => fd_position(self.fdinfo.as_deref()?)?,
        };
        Some(pos.min(total))
    }
}

#[cfg(feature = "parquet")]
fn parquet_rows(path: &Path) -> Option<u64> {
    use parquet::file::reader::FileReader;
    let file = std::fs::File::open(path).ok()?;
    let reader = parquet::file::reader::SerializedFileReader::new(file).ok()?;
    u64::try_from(reader.metadata().file_metadata().num_rows()).ok()
}

#[cfg(not(feature = "parquet"))]
fn parquet_rows(_: &Path) -> Option<u64> {
    None
}

/// The fdinfo file of this process's descriptor open on `path` (the newest, if several).
#[cfg(target_os = "linux")]
fn find_fdinfo(path: &Path) -> Option<PathBuf> {
    let want = std::fs::canonicalize(path).ok()?;
    let mut best: Option<u64> = None;
    for entry in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) else { continue };
        if std::fs::read_link(entry.path()).is_ok_and(|target| target == want) {
            best = best.max(Some(fd));
        }
    }
    let info = PathBuf::from(format!("/proc/self/fdinfo/{}", best?));
    fd_position(&info).map(|_| info)
}

#[cfg(not(target_os = "linux"))]
fn find_fdinfo(_: &Path) -> Option<PathBuf> {
    None
}

/// The `pos:` line of an fdinfo file.
fn fd_position(fdinfo: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(fdinfo).ok()?;
    text.lines().find_map(|l| l.strip_prefix("pos:")).and_then(|v| v.trim().parse().ok())
}

// the tests' program loader, shared with the crate's integration tests
#[cfg(test)]
#[path = "../tests/support/checked.rs"]
mod checked;

#[cfg(test)]
mod tests {
    use super::checked;
    use super::*;
    use crate::generate::{generate_with, GenerateOptions, OutFormat};
    use crate::{ReadOptions, Schema};

    fn schema() -> Schema {
        Schema::from_program(&checked::program(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")))
    }

    /// A generated log of about 40,000 events in `format`.
    fn log(dir: &Path, name: &str, format: OutFormat) -> PathBuf {
        let path = dir.join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        let options = GenerateOptions { seed: 3, customers: 800, days: 60, ..GenerateOptions::default() };
        generate_with(&options, &mut f, format, None).unwrap();
        path
    }

    /// Reads the whole log, checking positions never go back; returns the last one.
    fn read_through(path: &Path, schema: &Schema) -> (ReadProgress, u64, u64) {
        let mapping = Mapping::default();
        let mut reader = LogReader::open(path, &mapping, schema, ReadOptions::default()).unwrap();
        let progress = ReadProgress::watch(path, &mapping, &reader);
        let first = progress.position(reader.rows()).unwrap();
        let mut last = first;
        while let Some(e) = reader.next_event() {
            e.unwrap();
            let p = progress.position(reader.rows()).unwrap();
            assert!(p >= last, "never goes back: {p} after {last}");
            last = p;
        }
        (progress, first, last)
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn csv_position_is_the_byte_offset_of_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = log(dir.path(), "log.csv", OutFormat::Csv);
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size > 4 << 16, "several read buffers: {size}");
        let (progress, first, last) = read_through(&path, &schema());
        assert_eq!(progress.unit(), ProgressUnit::Bytes);
        assert_eq!(progress.total(), Some(size));
        assert!(first <= 1 << 16, "at most one buffer read ahead: {first}");
        assert_eq!(last, size, "the whole file is read at the end");
    }

    #[test]
    #[cfg(feature = "parquet")]
    fn parquet_position_counts_rows_of_the_footer() {
        let dir = tempfile::tempdir().unwrap();
        let path = log(dir.path(), "log.parquet", OutFormat::Parquet);
        let schema = schema();
        let (progress, first, last) = read_through(&path, &schema);
        let rows = crate::parse_only(&path, &Mapping::default(), &schema).unwrap().rows;
        assert_eq!(progress.unit(), ProgressUnit::Rows);
        assert_eq!(progress.total(), Some(rows));
        assert_eq!((first, last), (0, rows));
    }
}
