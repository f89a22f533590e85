//! Opening a log or snapshot once, as a stream, and reading it line by line within
//! bounds.
//!
//! Every reader goes through here so that the data path has one contract (DESIGN.md
//! §9): `-` is standard input; a FIFO, `/dev/stdin` or `<(zcat …)` is read once and
//! never reopened; gzip and zstd are recognised by their magic bytes and decompressed
//! as they stream; a UTF-8 byte order mark is dropped; UTF-16 is named as such; a file
//! whose lines end in a bare carriage return (classic Mac) is read with that ending.
//! No line may be longer than [`MAX_LINE`]: a file without line breaks (`/dev/zero`, a
//! binary file) is an error after a bounded amount of memory, never an abort.

use crate::error::ReadError;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The longest line (or CSV record) a reader accepts. Far above any real event row,
/// and small enough that a file without line breaks fails fast.
pub const MAX_LINE: usize = 8 << 20;

/// The most lines one quoted CSV field may span. Quoted line breaks are legal CSV (an
/// address, a note), but a quote left open by mistake would otherwise swallow the rest
/// of the file as one field.
pub const MAX_QUOTED_LINES: u64 = 100;

/// Where the bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A regular file, read as it is (seekable, could be read again).
    File,
    /// Standard input, a pipe, a device, or a compressed file: read once.
    Stream,
}

/// Whether `path` names standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How messages name `path`: "standard input" for `-`, else the path as given.
pub fn display_name(path: &Path) -> String {
    if is_stdin(path) {
        "standard input".to_string()
    } else {
        path.display().to_string()
    }
}

/// Whether the log at `path` can be read twice (a plain regular file). Standard input,
/// FIFOs, `/dev/fd/N` and compressed files cannot, or only at a cost.
pub fn rereadable(path: &Path) -> bool {
    !is_stdin(path)
        && std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && compression_by_name(path).is_none()
        && !sniff_compressed(path)
}

fn sniff_compressed(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    let n = read_up_to(&mut f, &mut head);
    matches!(compression(&head[..n]), Some(_))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    n
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zstd,
}

fn compression(head: &[u8]) -> Option<Compression> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Compression::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Compression::Zstd)
    } else {
        None
    }
}

fn compression_by_name(path: &Path) -> Option<Compression> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "gz" | "gzip" => Some(Compression::Gzip),
        "zst" | "zstd" => Some(Compression::Zstd),
        _ => None,
    }
}

/// The path without a compression extension (`log.csv.gz` → `log.csv`), to tell the
/// format by the extension that is left.
pub fn without_compression(path: &Path) -> &Path {
    match compression_by_name(path) {
        Some(_) => path.file_stem().map(Path::new).filter(|s| s.extension().is_some()).unwrap_or(path),
        None => path,
    }
}

/// An opened input: a buffered byte stream, decompressed.
pub struct Opened {
    pub reader: Box<dyn BufRead + Send>,
    pub origin: Origin,
}

/// Open `path` (`-`: standard input) once, decompressing gzip and zstd.
pub fn open(path: &Path) -> Result<Opened, ReadError> {
    let (raw, mut origin): (Box<dyn Read + Send>, Origin) = if is_stdin(path) {
        (Box::new(std::io::stdin()), Origin::Stream)
    } else {
        let f = std::fs::File::open(path).map_err(|e| ReadError::io(path, e))?;
        let meta = f.metadata().map_err(|e| ReadError::io(path, e))?;
        if meta.is_dir() {
            return Err(ReadError::Mapping {
                path: path.display().to_string(),
                message: "is a directory, not a log file".into(),
                help: Some("name the log file itself".into()),
            });
        }
        (Box::new(f), if meta.is_file() { Origin::File } else { Origin::Stream })
    };
    let mut buffered = BufReader::with_capacity(1 << 16, raw);
    let head = buffered.fill_buf().map_err(|e| ReadError::io(path, e))?;
    let reader: Box<dyn BufRead + Send> = match compression(head) {
        None => Box::new(buffered),
        Some(Compression::Gzip) => {
            origin = Origin::Stream;
            Box::new(BufReader::with_capacity(1 << 16, flate2::bufread::MultiGzDecoder::new(buffered)))
        }
        Some(Compression::Zstd) => {
            origin = Origin::Stream;
            let d = zstd::stream::read::Decoder::with_buffer(buffered).map_err(|e| ReadError::io(path, e))?;
            Box::new(BufReader::with_capacity(1 << 16, d))
        }
    };
    Ok(Opened { reader, origin })
}

/// Why a text input cannot be read as lines.
#[derive(Debug)]
pub enum LineError {
    Io(std::io::Error),
    /// A line longer than [`MAX_LINE`] bytes: 1-based line number, byte offset.
    TooLong {
        line: u64,
        byte: u64,
    },
}

impl From<std::io::Error> for LineError {
    fn from(e: std::io::Error) -> Self {
        LineError::Io(e)
    }
}

/// Reads lines of a text stream into a caller's buffer, each at most [`MAX_LINE`]
/// bytes, without the line ending (`\n`, `\r\n`, or a bare `\r` when the file uses
/// that throughout).
pub struct LineReader {
    inner: Box<dyn BufRead + Send>,
    terminator: u8,
    /// Lines read so far (the number of the last line returned).
    pub line: u64,
    /// Byte offset (in the decompressed text) of the start of the last line returned.
    pub byte: u64,
    next_byte: u64,
}

/// Refusals of the text as a whole (checked on its first bytes).
fn refuse_encoding(path: &Path, head: &[u8]) -> Result<(), ReadError> {
    let utf16 = |which: &str| ReadError::Mapping {
        path: path.display().to_string(),
        message: format!("the file is UTF-16 text ({which}); journey reads UTF-8"),
        help: Some(format!(
            "convert it to UTF-8, e.g. `iconv -f UTF-16 -t UTF-8 {0} > utf8-{0}`, or save it as \"CSV UTF-8\"",
            path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned())
        )),
    };
    if head.starts_with(&[0xff, 0xfe]) {
        return Err(utf16("little-endian, with a byte order mark"));
    }
    if head.starts_with(&[0xfe, 0xff]) {
        return Err(utf16("big-endian, with a byte order mark"));
    }
    // Without a mark: ASCII text in UTF-16 has a NUL byte in every other position.
    let pairs = head.len().min(64) / 2;
    if pairs >= 2 {
        let (mut even, mut odd) = (0, 0);
        for i in 0..pairs {
            let (a, b) = (head[2 * i], head[2 * i + 1]);
            even += usize::from(a == 0 && b != 0);
            odd += usize::from(b == 0 && a != 0);
        }
        if odd == pairs {
            return Err(utf16("little-endian"));
        }
        if even == pairs {
            return Err(utf16("big-endian"));
        }
    }
    Ok(())
}

impl LineReader {
    /// Wrap an opened input: refuse UTF-16, drop a UTF-8 byte order mark, and choose the
    /// line ending from the first line.
    pub fn new(path: &Path, mut inner: Box<dyn BufRead + Send>) -> Result<LineReader, ReadError> {
        let head = inner.fill_buf().map_err(|e| ReadError::io(path, e))?;
        refuse_encoding(path, head)?;
        let mut skip = 0;
        if head.starts_with(&[0xef, 0xbb, 0xbf]) {
            skip = 3;
        }
        let head = &head[skip..];
        // A bare `\r` before any `\n`: the file's lines end in `\r` (old Mac, some
        // exports). A `\r` at the very end of the buffer is taken as `\r\n` split.
        let terminator = match (memchr::memchr(b'\r', head), memchr::memchr(b'\n', head)) {
            (Some(r), n) if n.is_none_or(|n| r < n) && r + 1 < head.len() && head[r + 1] != b'\n' => b'\r',
            _ => b'\n',
        };
        inner.consume(skip);
        Ok(LineReader { inner, terminator, line: 0, byte: skip as u64, next_byte: skip as u64 })
    }

    /// Append the next line to `buf` (without its ending). `Ok(false)` at the end.
    pub fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<bool, LineError> {
        let start = buf.len();
        let mut any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match memchr::memchr(self.terminator, available) {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if buf.len() - start + take > MAX_LINE + 1 {
                let line = self.line + 1;
                return Err(LineError::TooLong { line, byte: self.next_byte });
            }
            buf.extend_from_slice(&available[..take]);
            self.inner.consume(take);
            if done {
                break;
            }
        }
        if !any {
            return Ok(false);
        }
        self.line += 1;
        self.byte = self.next_byte;
        self.next_byte += (buf.len() - start) as u64;
        if buf.last() == Some(&self.terminator) {
            buf.pop();
        }
        if self.terminator == b'\n' && buf.len() > start && buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(true)
    }
}

/// The message of a line over the limit.
pub fn too_long_message(line: u64) -> String {
    format!(
        "line {line} is longer than {} MiB without a line break: not a text log, or a quote or bracket left open",
        MAX_LINE >> 20
    )
}
