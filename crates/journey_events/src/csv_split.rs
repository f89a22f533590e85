//! Delimited text (RFC 4180 quoting) split into fields, record by record, within
//! bounds: a quoted field may span lines, but at most [`MAX_QUOTED_LINES`] of them and
//! [`MAX_LINE`] bytes, so a quote left open is an error naming the line where it
//! opened instead of swallowing the rest of the file.
//!
//! The buffers are reused from record to record: no allocation per row once they have
//! grown to the longest record. A record without any quote (nearly every row of a real
//! log) is split where it lies: its fields are ranges of the line as read, found eight
//! bytes at a time, and no byte is copied; only a record with a quote takes the
//! unquoting path.

use crate::input::{LineError, LineReader, MAX_LINE, MAX_QUOTED_LINES};

/// Why a record could not be split.
#[derive(Debug)]
pub enum SplitError {
    Line(LineError),
    /// A quote opened at `line` (1-based), byte `column` (0-based) of that line, and not
    /// closed within the bounds or before the end of the file.
    /// `offset`: where that line starts in the record's raw text.
    Unterminated {
        line: u64,
        column: usize,
        offset: usize,
        at_end: bool,
    },
}

impl From<LineError> for SplitError {
    fn from(e: LineError) -> Self {
        SplitError::Line(e)
    }
}

pub struct CsvSplitter {
    pub lines: LineReader,
    delimiter: u8,
    /// The record as written, its lines joined by `\n`, when it has a quote; a record
    /// without one is the reader's last line, where it lies ([`Self::raw`]).
    owned: Vec<u8>,
    /// The record is the reader's last line (not copied into `owned`).
    in_place: bool,
    /// Field values, unquoted, back to back (records with a quote only).
    data: Vec<u8>,
    /// Per field: its end in `raw` when [`Self::direct`], else in `data`.
    ends: Vec<usize>,
    /// Per field, records with a quote only: its range in `raw`.
    spans: Vec<(usize, usize)>,
    /// The record had no quote: fields are ranges of `raw`, each followed by the
    /// delimiter (`ends[i] + 1` starts field `i + 1`).
    direct: bool,
    /// With `direct`: every byte of the record is ASCII.
    ascii: bool,
    /// 1-based line number of the record's first line, and its byte offset.
    pub line: u64,
    pub byte: u64,
    /// Records that spanned more than one line (quoted line breaks).
    pub multiline: u64,
}

impl CsvSplitter {
    pub fn new(lines: LineReader, delimiter: u8) -> CsvSplitter {
        CsvSplitter {
            lines,
            delimiter,
            owned: Vec::new(),
            in_place: false,
            data: Vec::new(),
            ends: Vec::new(),
            spans: Vec::new(),
            direct: false,
            ascii: false,
            line: 0,
            byte: 0,
            multiline: 0,
        }
    }

    /// The record as written (its lines joined by `\n`), valid until the next read.
    #[inline]
    pub fn raw(&self) -> &[u8] {
        if self.in_place {
            self.lines.last_line()
        } else {
            &self.owned
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th field's bytes (unquoted).
    #[inline]
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        if self.direct {
            let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
            return Some(&self.raw()[start..end]);
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.data[start..end])
    }

    /// Whether the record was split in place (it has no quote) on an ASCII delimiter:
    /// then its fields are ranges of [`Self::raw`] cut at delimiter bytes
    /// ([`Self::direct_range`]).
    #[inline]
    pub fn direct(&self) -> bool {
        self.direct && self.delimiter.is_ascii()
    }

    /// The record as text when it was split in place ([`Self::direct`]) and every byte
    /// of it is ASCII, which the split saw on its way: no second pass to validate it.
    #[inline]
    pub fn ascii_text(&self) -> Option<&str> {
        if !(self.direct() && self.ascii) {
            return None;
        }
        // SAFETY: the splitter found every byte of the record below 0x80, and ASCII is
        // UTF-8 (the word splitters' test checks the flag against `is_ascii`).
        Some(unsafe { std::str::from_utf8_unchecked(self.raw()) })
    }

    /// The `i`-th field's range `start..end` in [`Self::raw`], for a record split in
    /// place ([`Self::direct`]); `None` past the last field or for any other record.
    #[inline]
    pub fn direct_range(&self, i: usize) -> Option<(usize, usize)> {
        if !self.direct() {
            return None;
        }
        let end = *self.ends.get(i)?;
        Some((if i == 0 { 0 } else { self.ends[i - 1] + 1 }, end))
    }

    /// The `i`-th field's byte range in [`Self::raw`] (quotes included).
    pub fn span(&self, i: usize) -> Option<(usize, usize)> {
        if self.direct {
            let end = *self.ends.get(i)?;
            let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
            return Some((start, end - start));
        }
        self.spans.get(i).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(move |i| self.get(i))
    }

    /// Whether the record is one empty field (a blank line).
    pub fn is_blank(&self) -> bool {
        self.ends.len() == 1 && self.ends[0] == 0 && self.raw().iter().all(|b| *b == b' ' || *b == b'\t')
    }

    /// Read and split the next record. `Ok(false)` at the end of the input.
    pub fn read(&mut self) -> Result<bool, SplitError> {
        self.data.clear();
        self.ends.clear();
        self.spans.clear();
        self.owned.clear();
        self.in_place = false;
        let Some(line) = self.lines.next_line()? else { return Ok(false) };
        let split = split_unquoted(line, self.delimiter, &mut self.ends);
        self.direct = split.is_some();
        self.ascii = split == Some(true);
        if !self.direct {
            // a quote: the record is unquoted into `data`, and may take more lines
            self.owned.extend_from_slice(line);
        }
        self.line = self.lines.line;
        self.byte = self.lines.byte;
        if self.direct {
            self.in_place = true;
            return Ok(true);
        }
        self.ends.clear();
        self.split_quoted()
    }

    /// The unquoting path, for a record with a quote somewhere: fields are copied into
    /// `data`, a quoted field may continue on the next lines (within the bounds).
    fn split_quoted(&mut self) -> Result<bool, SplitError> {
        let d = self.delimiter;
        let mut i = 0;
        // A quote can only open on the line read last (more lines are read only inside
        // a quote), so its line is the reader's, and its column is counted from there.
        // (Not from `\n` bytes in `raw`: a file whose lines end in `\r` may hold them.)
        let mut line_start = 0;
        loop {
            let field_start = i;
            if self.owned.get(i) == Some(&b'"') {
                let (open_line, open_column, open_offset) = (self.lines.line, i - line_start, line_start);
                i += 1;
                loop {
                    match memchr::memchr(b'"', &self.owned[i..]) {
                        Some(k) => {
                            self.data.extend_from_slice(&self.owned[i..i + k]);
                            i += k + 1;
                            if self.owned.get(i) == Some(&b'"') {
                                self.data.push(b'"');
                                i += 1;
                            } else {
                                break;
                            }
                        }
                        None => {
                            self.data.extend_from_slice(&self.owned[i..]);
                            let unterminated = |at_end| SplitError::Unterminated {
                                line: open_line,
                                column: open_column,
                                offset: open_offset,
                                at_end,
                            };
                            if self.lines.line.saturating_sub(open_line) + 1 >= MAX_QUOTED_LINES
                                || self.owned.len() > MAX_LINE
                            {
                                return Err(unterminated(false));
                            }
                            self.owned.push(b'\n');
                            i = self.owned.len() - 1;
                            line_start = self.owned.len();
                            match self.lines.read_line(&mut self.owned) {
                                Ok(true) => {}
                                Ok(false) => return Err(unterminated(true)),
                                Err(LineError::TooLong { .. }) => return Err(unterminated(false)),
                                Err(e) => return Err(e.into()),
                            }
                        }
                    }
                }
                // text after the closing quote (`"a"b`) belongs to the field, as in
                // the csv crate
                let k = memchr::memchr(d, &self.owned[i..]).unwrap_or(self.owned.len() - i);
                self.data.extend_from_slice(&self.owned[i..i + k]);
                i += k;
            } else {
                let k = memchr::memchr(d, &self.owned[i..]).unwrap_or(self.owned.len() - i);
                self.data.extend_from_slice(&self.owned[i..i + k]);
                i += k;
            }
            self.ends.push(self.data.len());
            self.spans.push((field_start, i - field_start));
            if i >= self.owned.len() {
                break;
            }
            i += 1; // the delimiter
        }
        if self.lines.line > self.line {
            self.multiline += 1;
        }
        Ok(true)
    }
}

/// Split a record without quotes at every `d`, pushing each field's end, and tell
/// whether every byte is ASCII (`Some(true)`: the record is UTF-8 text without a
/// second look). `None` (and `ends` left partial) as soon as a quote shows: that record
/// needs the unquoting path. Sixteen bytes at a time with SSE2 (part of every x86-64
/// CPU), else eight at a time.
#[inline]
fn split_unquoted(raw: &[u8], d: u8, ends: &mut Vec<usize>) -> Option<bool> {
    #[cfg(target_arch = "x86_64")]
    {
        split_unquoted_sse2(raw, d, ends)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        split_unquoted_swar(raw, d, ends)
    }
}

/// The delimiters and quotes of sixteen bytes as two bit masks (one compare and one
/// move-mask each); the tail goes byte by byte.
#[cfg(target_arch = "x86_64")]
fn split_unquoted_sse2(raw: &[u8], d: u8, ends: &mut Vec<usize>) -> Option<bool> {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let mut chunks = raw.chunks_exact(16);
    let mut base = 0;
    // the high bits of every byte so far: any set, a byte that is not ASCII
    let mut high = 0;
    // SAFETY: SSE2 is part of the x86-64 baseline; each load reads the 16 bytes of a
    // chunk that `chunks_exact` guarantees, unaligned.
    unsafe {
        let (delims, quotes) = (_mm_set1_epi8(d as i8), _mm_set1_epi8(b'"' as i8));
        for chunk in &mut chunks {
            let v = _mm_loadu_si128(chunk.as_ptr() as *const __m128i);
            if _mm_movemask_epi8(_mm_cmpeq_epi8(v, quotes)) != 0 {
                return None;
            }
            high |= _mm_movemask_epi8(v);
            let mut m = _mm_movemask_epi8(_mm_cmpeq_epi8(v, delims)) as u32;
            while m != 0 {
                ends.push(base + m.trailing_zeros() as usize);
                m &= m - 1;
            }
            base += 16;
        }
    }
    split_tail(chunks.remainder(), base, d, ends).map(|ascii| ascii && high == 0)
}

/// The bytes after the last whole word, one at a time; then the record's end.
#[inline]
fn split_tail(tail: &[u8], base: usize, d: u8, ends: &mut Vec<usize>) -> Option<bool> {
    let mut high = 0;
    for (k, &b) in tail.iter().enumerate() {
        if b == b'"' {
            return None;
        }
        if b == d {
            ends.push(base + k);
        }
        high |= b;
    }
    ends.push(base + tail.len());
    Some(high < 0x80)
}

/// Eight bytes at a time, the delimiters and quotes of a word found by a carry-free
/// zero-byte test: the portable path (and the oracle of the SSE2 one in the tests).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn split_unquoted_swar(raw: &[u8], d: u8, ends: &mut Vec<usize>) -> Option<bool> {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // the high bit of each byte of `x` that is zero, and of no other byte
    #[inline(always)]
    fn zero_bytes(x: u64) -> u64 {
        !(((x & LOW).wrapping_add(LOW)) | x | LOW)
    }
    let (delims, quotes) = (u64::from_ne_bytes([d; 8]), u64::from_ne_bytes([b'"'; 8]));
    let mut chunks = raw.chunks_exact(8);
    let mut base = 0;
    let mut high = 0;
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        if zero_bytes(w ^ quotes) != 0 {
            return None;
        }
        high |= w & !LOW;
        let mut m = zero_bytes(w ^ delims);
        while m != 0 {
            ends.push(base + (m.trailing_zeros() / 8) as usize);
            m &= m - 1;
        }
        base += 8;
    }
    split_tail(chunks.remainder(), base, d, ends).map(|ascii| ascii && high == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn splitter(text: &str) -> CsvSplitter {
        let lines =
            LineReader::new(std::path::Path::new("t.csv"), Box::new(Cursor::new(text.as_bytes().to_vec()))).unwrap();
        CsvSplitter::new(lines, b',')
    }

    fn records(text: &str) -> Result<Vec<Vec<String>>, String> {
        let mut s = splitter(text);
        let mut out = Vec::new();
        loop {
            match s.read() {
                Ok(false) => return Ok(out),
                Ok(true) => out.push(s.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()),
                Err(e) => return Err(format!("{e:?}")),
            }
        }
    }

    #[test]
    fn quoting_as_rfc_4180() {
        assert_eq!(records("a,b\n\"x,y\",\"q\"\"q\"\n").unwrap(), vec![vec!["a", "b"], vec!["x,y", "q\"q"]]);
        assert_eq!(
            records("a,\"two\nlines\",c\r\nd,,\n").unwrap(),
            vec![vec!["a", "two\nlines", "c"], vec!["d", "", ""]]
        );
        assert_eq!(records("a\rb\rc").unwrap(), vec![vec!["a"], vec!["b"], vec!["c"]]);
    }

    /// Found by the fuzz harness: a `\n` inside a line of a file whose lines end in
    /// `\r`, before a quote that never closes.
    #[test]
    fn a_line_feed_in_a_carriage_return_file_is_data() {
        let e = records("h\rx\ny,\"open\r").unwrap_err();
        assert!(e.contains("Unterminated { line: 2, column: 4, offset: 0, at_end: true }"), "{e}");
    }

    #[test]
    fn an_open_quote_names_its_line() {
        let e = records("h\nok\n\"open,x\nmore\n").unwrap_err();
        assert!(e.contains("Unterminated { line: 3, column: 0, offset: 0, at_end: true }"), "{e}");
        let mut text = String::from("h\nx,\"open\n");
        for _ in 0..500 {
            text.push_str("row,row\n");
        }
        let e = records(&text).unwrap_err();
        assert!(e.contains("Unterminated { line: 2, column: 2, offset: 0, at_end: false }"), "{e}");
    }

    /// A row without quotes is split where it lies: the same fields and spans as the
    /// unquoting path gives the same row with one field quoted, across word boundaries.
    #[test]
    fn a_row_without_quotes_is_split_in_place() {
        let row = "c001,2025-01-01T08:00:00Z,purchase,,12.50,,,beans,x";
        let mut s = splitter(&format!("{row}\n"));
        assert!(s.read().unwrap());
        assert!(s.direct);
        let fields: Vec<&[u8]> = s.iter().collect();
        let want: Vec<&[u8]> = row.split(',').map(str::as_bytes).collect();
        assert_eq!(fields, want);
        let mut start = 0;
        for (i, f) in row.split(',').enumerate() {
            assert_eq!(s.span(i), Some((start, f.len())), "field {i}");
            start += f.len() + 1;
        }
        assert_eq!(s.span(want.len()), None);
        let mut q = splitter(&format!("\"c001\"{}\n", &row[4..]));
        assert!(q.read().unwrap());
        assert!(!q.direct);
        assert_eq!(q.iter().collect::<Vec<_>>(), want);
        assert_eq!(s.span(3), q.span(3).map(|(a, n)| (a - 2, n)));
        // an empty line is one empty field, and blank
        let mut e = splitter("\n");
        assert!(e.read().unwrap() && e.is_blank());
    }

    /// Against the csv crate on well-formed generated records.
    #[test]
    fn agrees_with_the_csv_crate() {
        let cells = ["", "a", "b c", "x,y", "q\"q", "two\nlines", " s "];
        let mut seed = 7u64;
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..4 {
                let mut fields = Vec::new();
                for _ in 0..3 {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let c = cells[(seed >> 33) as usize % cells.len()];
                    let quote = c.contains([',', '"', '\n']) || (seed >> 20) & 1 == 1;
                    fields.push(if quote { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.to_string() });
                }
                text.push_str(&fields.join(","));
                text.push('\n');
            }
            let mut expected = Vec::new();
            let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
            for rec in r.records() {
                expected.push(rec.unwrap().iter().map(String::from).collect::<Vec<_>>());
            }
            assert_eq!(records(&text).unwrap(), expected, "{text:?}");
        }
    }

    /// The split used on this machine agrees with the portable one and with a plain
    /// byte loop, on generated records of every length around the word sizes, with
    /// delimiters (any byte, high bytes included), quotes and multibyte text anywhere.
    #[test]
    fn the_word_splitters_agree_with_a_byte_loop() {
        let bytes = [b'a', b',', b';', b'"', b' ', 0xc3, 0xa9, b'\t', 0xff, b'0'];
        let mut seed = 3u64;
        for n in 0..2000 {
            let len = n % 70;
            let d = [b',', b';', b'\t', 0xff][n % 4];
            let raw: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    // quotes are rare, so that most records split through
                    let b = bytes[(seed >> 33) as usize % bytes.len()];
                    if b == b'"' && !(seed >> 20).is_multiple_of(8) {
                        b'x'
                    } else {
                        b
                    }
                })
                .collect();
            let mut want = Vec::new();
            let ok = !raw.contains(&b'"');
            if ok {
                want.extend(raw.iter().enumerate().filter(|(_, b)| **b == d).map(|(i, _)| i));
                want.push(raw.len());
            }
            let (mut used, mut swar) = (Vec::new(), Vec::new());
            let want_split = ok.then(|| raw.is_ascii());
            assert_eq!(split_unquoted(&raw, d, &mut used), want_split, "{raw:?}");
            assert_eq!(split_unquoted_swar(&raw, d, &mut swar), want_split, "{raw:?}");
            if ok {
                assert_eq!(used, want, "{raw:?}");
                assert_eq!(swar, want, "{raw:?}");
            }
        }
    }
}
