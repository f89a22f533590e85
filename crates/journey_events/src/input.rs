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
    compression(&head[..n]).is_some()
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

/// The line reader's own buffer: lines are found and handed out where they lie in it,
/// so a line is never copied before it is split (the copy out of a `BufRead`, with its
/// `memchr` and `memmove`, was a tenth of the time of reading a CSV log). Large enough
/// that a line straddling its end, which is moved to the front, is rare.
const READ_BUFFER: usize = 256 << 10;

/// Reads lines of a text stream, each at most [`MAX_LINE`] bytes, without the line
/// ending (`\n`, `\r\n`, or a bare `\r` when the file uses that throughout): borrowed
/// from its own buffer ([`LineReader::next_line`]) or appended to a caller's
/// ([`LineReader::read_line`]).
pub struct LineReader {
    inner: Box<dyn BufRead + Send>,
    terminator: u8,
    /// Lines read so far (the number of the last line returned).
    pub line: u64,
    /// Byte offset (in the decompressed text) of the start of the last line returned.
    pub byte: u64,
    next_byte: u64,
    /// Bytes read from `inner`: `buf[pos..end]` not handed out yet, `buf[last.0..last.1]`
    /// the last line handed out (valid until the next read). Grows past
    /// [`READ_BUFFER`] only for a longer line, and never past the line bound.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    last: (usize, usize),
    /// `inner` returned no more bytes.
    eof: bool,
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
        Ok(LineReader {
            inner,
            terminator,
            line: 0,
            byte: skip as u64,
            next_byte: skip as u64,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            last: (0, 0),
            eof: false,
        })
    }

    /// Append the next line to `buf` (without its ending). `Ok(false)` at the end.
    pub fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<bool, LineError> {
        match self.next_line()? {
            Some(line) => {
                buf.extend_from_slice(line);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The last line returned by [`Self::next_line`] or [`Self::read_line`] (empty
    /// before the first).
    #[inline]
    pub fn last_line(&self) -> &[u8] {
        &self.buf[self.last.0..self.last.1]
    }

    /// The next line (without its ending), where it lies in the reader's buffer, valid
    /// until the next read. `Ok(None)` at the end.
    ///
    /// The same lines, numbers, offsets and errors as reading chunk by chunk into a
    /// growing buffer would give (the tests' oracle): a line is refused as too long once
    /// more than [`MAX_LINE`] + 1 bytes of it (its ending included) have been read.
    #[inline]
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, LineError> {
        // the common case: a whole line is in the buffer
        if let Some(i) = memchr::memchr(self.terminator, &self.buf[self.pos..self.end]) {
            let stop = self.pos + i;
            if i < MAX_LINE + 1 {
                return Ok(Some(self.hand_out(stop, stop + 1)));
            }
        }
        self.next_line_slow()
    }

    /// [`Self::next_line`] when the buffer ends within the line: read on, moving the
    /// line to the front (or growing the buffer for a long one).
    #[cold]
    fn next_line_slow(&mut self) -> Result<Option<&[u8]>, LineError> {
        // where the search for the terminator goes on (none before it)
        let mut scanned = self.pos;
        loop {
            if let Some(i) = memchr::memchr(self.terminator, &self.buf[scanned..self.end]) {
                let stop = scanned + i;
                if stop + 1 - self.pos > MAX_LINE + 1 {
                    return Err(self.too_long());
                }
                return Ok(Some(self.hand_out(stop, stop + 1)));
            }
            scanned = self.end;
            if self.end - self.pos > MAX_LINE + 1 {
                return Err(self.too_long());
            }
            if self.eof {
                if self.pos == self.end {
                    return Ok(None);
                }
                let end = self.end;
                return Ok(Some(self.hand_out(end, end)));
            }
            // room to read: the partial line to the front, and a larger buffer only
            // when the line fills it
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                scanned -= self.pos;
                self.end -= self.pos;
                self.pos = 0;
                self.last = (0, 0);
            }
            if self.end == self.buf.len() {
                let len = (self.buf.len() * 2).clamp(READ_BUFFER, MAX_LINE + 2);
                self.buf.resize(len, 0);
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Hand out `buf[pos..stop]` as the next line, `next` being where the line after it
    /// starts (past the terminator, if any).
    #[inline]
    fn hand_out(&mut self, stop: usize, next: usize) -> &[u8] {
        let start = self.pos;
        self.pos = next;
        self.line += 1;
        self.byte = self.next_byte;
        self.next_byte += (next - start) as u64;
        let mut end = stop;
        if self.terminator == b'\n' && end > start && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        self.last = (start, end);
        &self.buf[start..end]
    }

    fn too_long(&self) -> LineError {
        LineError::TooLong { line: self.line + 1, byte: self.next_byte }
    }
}

/// The message of a line over the limit.
pub fn too_long_message(line: u64) -> String {
    format!(
        "line {line} is longer than {} MiB without a line break: not a text log, or a quote or bracket left open",
        MAX_LINE >> 20
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// The reader as it was before lines were handed out in place: each line copied
    /// chunk by chunk out of a `BufRead` into the caller's buffer. The oracle.
    struct Simple {
        inner: Box<dyn BufRead + Send>,
        terminator: u8,
        line: u64,
        byte: u64,
        next_byte: u64,
    }

    impl Simple {
        fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<bool, LineError> {
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

    /// Hands out its bytes in chunks of varying sizes, as a pipe or a decompressor does;
    /// the first read whole, so that every reader of the same text sees the same head
    /// (it chooses the line ending).
    struct Chunked {
        data: Cursor<Vec<u8>>,
        seed: u64,
    }

    impl Read for Chunked {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let first = self.data.position() == 0;
            self.seed = self.seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = [1, 7, 4096, 65_536, 300_000, usize::MAX][(self.seed >> 33) as usize % 6];
            let n = if first { usize::MAX } else { n };
            let n = n.min(buf.len());
            self.data.read(&mut buf[..n])
        }
    }

    fn stream(data: &[u8], seed: u64) -> Box<dyn BufRead + Send> {
        let chunked = Chunked { data: Cursor::new(data.to_vec()), seed };
        Box::new(BufReader::with_capacity(1 << 16, chunked))
    }

    /// A line, its number and its byte offset; or the error that stopped the reader.
    type Line = Result<(Vec<u8>, u64, u64), String>;
    type Lines = Vec<Line>;

    fn outcome(r: Result<bool, LineError>, line: Vec<u8>, number: u64, byte: u64) -> Option<Line> {
        match r {
            Ok(true) => Some(Ok((line, number, byte))),
            Ok(false) => None,
            Err(LineError::TooLong { line, byte }) => Some(Err(format!("too long: line {line}, byte {byte}"))),
            Err(LineError::Io(e)) => Some(Err(format!("{e}"))),
        }
    }

    /// Every line (and line number and byte offset) of `data`, up to the first error,
    /// from the in-place reader (borrowing or appending, as `how` picks per line).
    fn in_place(data: &[u8], seed: u64, how: u64) -> Lines {
        let mut r = LineReader::new(Path::new("t.csv"), stream(data, seed)).unwrap();
        let mut out = Vec::new();
        for n in 0u64.. {
            let (res, line) = if (how >> (n % 64)) & 1 == 0 {
                match r.next_line() {
                    Ok(Some(l)) => {
                        let l = l.to_vec();
                        assert_eq!(r.last_line(), &l[..]);
                        (Ok(true), l)
                    }
                    Ok(None) => (Ok(false), Vec::new()),
                    Err(e) => (Err(e), Vec::new()),
                }
            } else {
                let mut buf = b"kept".to_vec();
                let res = r.read_line(&mut buf);
                assert!(buf.starts_with(b"kept"));
                (res, buf[4..].to_vec())
            };
            let failed = res.is_err();
            match outcome(res, line, r.line, r.byte) {
                None => break,
                Some(o) => out.push(o),
            }
            if failed {
                break;
            }
        }
        out
    }

    fn simple(data: &[u8]) -> Lines {
        let r = LineReader::new(Path::new("t.csv"), stream(data, 1)).unwrap();
        let mut inner: Box<dyn BufRead + Send> = Box::new(Cursor::new(data.to_vec()));
        inner.consume(r.byte as usize);
        let mut s = Simple { inner, terminator: r.terminator, line: 0, byte: r.byte, next_byte: r.byte };
        let mut out = Vec::new();
        loop {
            let mut buf = Vec::new();
            let res = s.read_line(&mut buf);
            let failed = res.is_err();
            match outcome(res, buf, s.line, s.byte) {
                None => break,
                Some(o) => out.push(o),
            }
            if failed {
                break;
            }
        }
        out
    }

    fn next(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    /// Generated texts: lines of random lengths, many around the read buffer's size so
    /// that lines straddle its end, with `\n`, `\r\n` or `\r` endings, empty lines,
    /// quoted fields spanning lines, multibyte text, a byte order mark, with or without
    /// a final line ending.
    #[test]
    fn the_in_place_reader_reads_the_lines_of_the_simple_one() {
        // a carriage return inside a line is data in a file of `\n` lines
        const ALPHABET: &[u8] = b"ab,c \"x\xc3\xa9\r";
        let mut seed = 11u64;
        for case in 0..60 {
            let mut data = Vec::new();
            if case % 7 == 3 {
                data.extend_from_slice(&[0xef, 0xbb, 0xbf]);
            }
            let ending: &[u8] = match case % 5 {
                0 | 1 => b"\n",
                2 | 3 => b"\r\n",
                _ => b"\r",
            };
            let lines = 1 + next(&mut seed) % 40;
            for _ in 0..lines {
                let r = next(&mut seed) as usize;
                let len = match next(&mut seed) % 6 {
                    0 => 0,
                    1 => r % 60,
                    2 => READ_BUFFER - 3 + r % 7,
                    3 => READ_BUFFER / 2 + r % 5,
                    4 => 2 * READ_BUFFER + r % 5 - 2,
                    _ => r % 5000,
                };
                let mut line: Vec<u8> = (0..len).map(|i| ALPHABET[(i * 7 + len) % ALPHABET.len()]).collect();
                if next(&mut seed).is_multiple_of(4) {
                    line.extend_from_slice(b"\"quoted\nfield\"");
                }
                data.extend_from_slice(&line);
                data.extend_from_slice(ending);
            }
            if case % 3 == 0 {
                data.truncate(data.len() - ending.len());
            }
            let want = simple(&data);
            assert!(!want.is_empty());
            for (k, how) in [0, u64::MAX, next(&mut seed) << 31 | next(&mut seed)].into_iter().enumerate() {
                let got = in_place(&data, seed + k as u64, how);
                assert_eq!(got.len(), want.len(), "case {case}: line count");
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        g == w,
                        "case {case}, line {i}: {:?} against {:?}",
                        g.as_ref().map(|x| (x.0.len(), x.1, x.2)),
                        w.as_ref().map(|x| (x.0.len(), x.1, x.2))
                    );
                }
            }
        }
    }

    /// Lines at the length bound: accepted up to it, refused past it with the same line
    /// number and offset, whether the line ends in `\n`, `\r\n` or the end of the file.
    #[test]
    fn the_line_bound_is_where_it_was() {
        for extra in [-1i64, 0, 1, 2] {
            for ending in [&b"\n"[..], b"\r\n", b""] {
                let mut data = b"h\nshort\n".to_vec();
                data.resize(data.len() + (MAX_LINE as i64 + extra) as usize, b'x');
                data.extend_from_slice(ending);
                if !ending.is_empty() {
                    data.extend_from_slice(b"after\n");
                }
                let want = simple(&data);
                assert_eq!(in_place(&data, 5, 0), want, "{extra} {ending:?}");
                assert_eq!(in_place(&data, 6, u64::MAX), want, "{extra} {ending:?}");
            }
        }
        // no line break at all: refused after a bounded read
        let data = vec![b'z'; MAX_LINE + 10];
        let got = in_place(&data, 2, 0);
        assert_eq!(got, simple(&data));
        assert!(matches!(&got[..], [Err(m)] if m.starts_with("too long: line 1")), "{got:?}");
    }
}
