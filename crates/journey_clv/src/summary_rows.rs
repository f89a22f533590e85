//! A summary CSV read straight into the distinct (x, t_x, T) rows the count
//! models fit (BG/NBD, Pareto/NBD), for `clv fit` on millions of customers.
//!
//! [`crate::rfm::read_summary`] keeps every customer (an id, a cohort, the
//! spend); a fit needs only how many customers share each (x, t_x, T). Here
//! each line is split where it lies (memchr for the line ends) and each of its
//! three key fields becomes a small index: the position of its text in a
//! table of that field's distinct texts, parsed and checked only the first
//! time the text is seen (a million customers recorded to the day have a few
//! hundred texts per field, so the tables stay in the cache). The three
//! indices pack into one 8-byte key per line, and a radix sort of the keys
//! groups equal rows, where a hash table of the hundred thousand distinct
//! rows would miss the cache on nearly every line. A field with more distinct
//! texts than a key can index sends its part of the file to a hash table of
//! the texts instead. Texts that differ but mean the same number ("1" and
//! "1.0") are merged by value at the end, so the rows are those of
//! [`crate::rfm::compress`] over the customers `read_summary` reads.
//!
//! Anything this reader does not handle the same way as `read_summary` (quoted
//! fields, an id or cohort column, whitespace-separated files) and any line
//! with a problem make it return None; the caller then reads the file with
//! `read_summary`, which reports the problem at its file:line as always. So
//! the fast path changes no output, error messages included.

use std::collections::HashMap;

use crate::radix::bits_for;
use crate::rfm::{frequency_number, non_negative, summary_numbers, summary_row_check, SummaryColumns, WeightedRow};
use crate::table::Delimiter;

/// The distinct rows of a summary and the number of customers (data lines).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRows {
    pub rows: Vec<WeightedRow>,
    pub customers: usize,
}

/// One distinct key text: its numbers and how many lines have it.
struct Seen {
    x: u32,
    t_x: f64,
    t: f64,
    count: u64,
}

/// Read `source` (the text of the summary at `path`) into distinct rows, or
/// None if it needs [`crate::rfm::read_summary`] (see the module comment).
pub fn read_summary_rows(source: &str) -> Option<SummaryRows> {
    read_summary_rows_packing(source, Packing { max_texts: MAX_TEXTS, batch: BATCH })
}

/// How keys are packed and sorted: at most `max_texts` distinct texts per key
/// field, `batch` rows sorted at a time (the tests make both small, to reach
/// the hash-table path and the merging of batches on small files).
#[derive(Clone, Copy)]
struct Packing {
    max_texts: usize,
    batch: usize,
}

/// [`read_summary_rows`] as `packing` says.
fn read_summary_rows_packing(source: &str, packing: Packing) -> Option<SummaryRows> {
    // A quote anywhere may start a quoted field, which splits differently.
    if memchr::memchr(b'"', source.as_bytes()).is_some() {
        return None;
    }
    let mut lines = Lines { source, pos: 0, index: 0 };
    let header_line = lines.next_non_blank()?;
    let first = source.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = Delimiter::sniff(first);
    let sep = match delimiter {
        Delimiter::Comma => b',',
        Delimiter::Tab => b'\t',
        Delimiter::Semicolon => b';',
        Delimiter::Whitespace => return None,
    };
    let header: Vec<String> = header_line.split(sep as char).map(|f| f.trim().to_string()).collect();
    let cols = SummaryColumns::find("", &header, None).ok()?;
    if cols.id.is_some() || cols.cohort.is_some() {
        // Ids are checked for duplicates and kept: read_summary's work.
        return None;
    }
    // The data lines in two parts split at a line end, one per thread: each
    // counts its own texts, and the merge by value below adds the counts, so
    // the rows do not depend on the split.
    let bytes = source.as_bytes();
    let body_start = lines.pos.min(bytes.len());
    let middle = body_start + (bytes.len() - body_start) / 2;
    let split = memchr::memchr(b'\n', &bytes[middle..]).map_or(bytes.len(), |i| middle + i + 1);
    let (first_part, second_part) = if bytes.len() - body_start >= PARALLEL_FROM {
        std::thread::scope(|scope| {
            let second = scope.spawn(|| count_part(source, split, bytes.len(), &cols, sep, packing));
            let first = count_part(source, body_start, split, &cols, sep, packing);
            (first, second.join().unwrap_or(None))
        })
    } else {
        (count_part(source, body_start, bytes.len(), &cols, sep, packing), Some((Vec::new(), 0)))
    };
    let ((mut seen, c1), (seen2, c2)) = (first_part?, second_part?);
    let customers = c1 + c2;
    if customers == 0 {
        return None;
    }
    seen.extend(seen2);
    // Sorted and merged by value as compress() does; texts that read as the
    // same numbers become one row.
    let mut distinct: Vec<((u32, u64, u64), u64)> =
        seen.into_iter().map(|s| ((s.x, s.t_x.to_bits(), s.t.to_bits()), s.count)).collect();
    distinct.sort_unstable();
    let mut rows: Vec<WeightedRow> = Vec::with_capacity(distinct.len());
    let mut prev = None;
    for (k, count) in distinct {
        if prev == Some(k) {
            if let Some(last) = rows.last_mut() {
                last.weight += count as f64;
            }
        } else {
            rows.push(WeightedRow { x: k.0, t_x: f64::from_bits(k.1), t: f64::from_bits(k.2), weight: count as f64 });
            prev = Some(k);
        }
    }
    Some(SummaryRows { rows, customers })
}

/// Files from this size on are read on two threads.
const PARALLEL_FROM: usize = 1 << 20;

/// The distinct key texts of the data lines in `source[start..end]` (whole
/// lines, after the header) with their numbers and counts, and the number of
/// lines; None at the first line this reader does not take. Packed keys
/// sorted by radix where they fit ([`count_part_packed`]), else a hash table.
fn count_part(
    source: &str,
    start: usize,
    end: usize,
    cols: &SummaryColumns,
    sep: u8,
    packing: Packing,
) -> Option<(Vec<Seen>, usize)> {
    match count_part_packed(source, start, end, cols, sep, packing) {
        Ok(counted) => counted,
        Err(TooManyTexts) => count_part_hashed(source, start, end, cols, sep),
    }
}

/// Distinct texts per key field a packed key holds: 21 bits each, three in 63.
const MAX_TEXTS: usize = 1 << INDEX_BITS;
const INDEX_BITS: u32 = 21;

/// Rows sorted at a time: 32 MiB of keys (and as much scratch) however long
/// the file, the counts of each batch merged after.
const BATCH: usize = 1 << 22;

/// A field has more distinct texts than a packed key can index.
struct TooManyTexts;

/// Each distinct text of one key field, numbered in order of appearance,
/// with its number (parsed and checked once).
struct TextIndex<'a, V> {
    index: HashMap<&'a str, u32, foldhash::fast::RandomState>,
    values: Vec<V>,
}

impl<'a, V: Copy> TextIndex<'a, V> {
    fn new() -> Self {
        TextIndex { index: HashMap::with_capacity_and_hasher(1 << 10, Default::default()), values: Vec::new() }
    }

    /// The index of `text`; Ok(None) if it does not parse, Err past `max`.
    fn get(
        &mut self,
        text: &'a str,
        max: usize,
        parse: impl FnOnce(&str) -> Option<V>,
    ) -> Result<Option<u64>, TooManyTexts> {
        if let Some(&i) = self.index.get(text) {
            return Ok(Some(u64::from(i)));
        }
        if self.values.len() >= max {
            return Err(TooManyTexts);
        }
        let Some(v) = parse(text) else { return Ok(None) };
        let i = self.values.len() as u32;
        self.values.push(v);
        self.index.insert(text, i);
        Ok(Some(u64::from(i)))
    }
}

/// [`count_part`] by packing: each key text becomes a small index (looked up
/// in a table of a few hundred texts, which stays in the cache), the three
/// indices of a line one 8-byte key, and the keys are grouped by a radix sort
/// ([`crate::radix`]). Err if a field has more distinct texts than fit.
fn count_part_packed(
    source: &str,
    start: usize,
    end: usize,
    cols: &SummaryColumns,
    sep: u8,
    packing: Packing,
) -> Result<Option<(Vec<Seen>, usize)>, TooManyTexts> {
    let max_texts = packing.max_texts.min(MAX_TEXTS);
    let batch = packing.batch.max(1);
    let mut xs: TextIndex<u32> = TextIndex::new();
    let mut recencies: TextIndex<f64> = TextIndex::new();
    let mut ts: TextIndex<f64> = TextIndex::new();
    let mut keys: Vec<u64> = Vec::with_capacity(batch.min((end - start) / 16 + 1));
    let mut scratch: Vec<u64> = Vec::new();
    let mut counted: Vec<(u64, u64)> = Vec::new();
    let mut batches = 0usize;
    let mut customers = 0usize;
    let mut flush = |keys: &mut Vec<u64>, n: [usize; 3]| {
        let fields = [(0, bits_for(n[2])), (INDEX_BITS, bits_for(n[1])), (2 * INDEX_BITS, bits_for(n[0]))];
        crate::radix::sort_packed(keys, &mut scratch, &fields);
        crate::radix::count_runs(keys, &mut counted);
        keys.clear();
        batches += 1;
    };
    for line in (KeyLines { lines: Lines { source: &source[..end], pos: start, index: 1 }, cols, sep }) {
        let Ok((fields, monetary)) = line else { return Ok(None) };
        let ix = xs.get(fields[0], max_texts, |t| frequency_number(t).ok())?;
        let itx = recencies.get(fields[1], max_texts, |t| non_negative(t, "recency").ok())?;
        let it = ts.get(fields[2], max_texts, |t| non_negative(t, "T").ok())?;
        let (Some(ix), Some(itx), Some(it)) = (ix, itx, it) else { return Ok(None) };
        if cols.monetary.is_some() && xs.values[ix as usize] > 0 && non_negative(monetary, "monetary value").is_err() {
            return Ok(None);
        }
        customers += 1;
        keys.push(ix << (2 * INDEX_BITS) | itx << INDEX_BITS | it);
        if keys.len() == batch {
            flush(&mut keys, [xs.values.len(), recencies.values.len(), ts.values.len()]);
        }
    }
    if !keys.is_empty() {
        flush(&mut keys, [xs.values.len(), recencies.values.len(), ts.values.len()]);
    }
    if batches > 1 {
        crate::radix::merge_counts(&mut counted);
    }
    let mask = (1u64 << INDEX_BITS) - 1;
    let mut seen = Vec::with_capacity(counted.len());
    for (key, count) in counted {
        let x = xs.values[(key >> (2 * INDEX_BITS)) as usize];
        let t_x = recencies.values[(key >> INDEX_BITS & mask) as usize];
        let t = ts.values[(key & mask) as usize];
        // What must hold between a row's fields, checked once per distinct row.
        if summary_row_check(x, t_x, t).is_err() {
            return Ok(None);
        }
        seen.push(Seen { x, t_x, t, count });
    }
    Ok(Some((seen, customers)))
}

/// The key fields (frequency, recency, T) and the monetary text of each data
/// line; Err for a line with the wrong number of fields.
struct KeyLines<'a, 'c> {
    lines: Lines<'a>,
    cols: &'c SummaryColumns,
    sep: u8,
}

impl<'a> Iterator for KeyLines<'a, '_> {
    type Item = Result<([&'a str; 3], &'a str), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let cols = self.cols;
        let line = self.lines.next_non_blank()?;
        let keys = [cols.frequency, cols.recency, cols.t];
        let last_key = cols.frequency.max(cols.recency).max(cols.t).max(cols.monetary.unwrap_or(0));
        let mut fields: [&str; 3] = [""; 3];
        let mut monetary = "";
        // The unquoted fields of split_line: between separators, trimmed.
        let mut count = 0usize;
        let mut start = 0usize;
        let bytes = line.as_bytes();
        for end in memchr::memchr_iter(self.sep, bytes).chain(std::iter::once(bytes.len())) {
            if count <= last_key {
                let text = line[start..end].trim();
                for (field, &k) in fields.iter_mut().zip(&keys) {
                    if k == count {
                        *field = text;
                    }
                }
                if cols.monetary == Some(count) {
                    monetary = text;
                }
            }
            count += 1;
            start = end + 1;
        }
        Some(if count == cols.width { Ok((fields, monetary)) } else { Err(()) })
    }
}

/// [`count_part`] by a hash table of the three texts: for files whose key
/// fields have too many distinct texts to pack.
fn count_part_hashed(
    source: &str,
    start: usize,
    end: usize,
    cols: &SummaryColumns,
    sep: u8,
) -> Option<(Vec<Seen>, usize)> {
    // Keyed by the three texts packed into a few words (see `pack`), so a
    // look-up is one hash of 48 bytes and six integer compares; texts too
    // long to pack go to a map of the texts themselves.
    let mut seen: HashMap<Packed, Seen, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(1 << 14, foldhash::fast::RandomState::default());
    let mut seen_long: HashMap<[&str; 3], Seen, foldhash::fast::RandomState> = HashMap::default();
    let mut customers = 0usize;
    for line in (KeyLines { lines: Lines { source: &source[..end], pos: start, index: 1 }, cols, sep }) {
        let (fields, monetary) = line.ok()?;
        customers += 1;
        let packed = pack(fields);
        let found = match &packed {
            Some(p) => seen.get_mut(p),
            None => seen_long.get_mut(&fields),
        };
        let entry = match found {
            Some(e) => e,
            None => {
                let (x, t_x, t) = summary_numbers(fields).ok()?;
                let new = Seen { x, t_x, t, count: 0 };
                match packed {
                    Some(p) => seen.entry(p).or_insert(new),
                    None => seen_long.entry(fields).or_insert(new),
                }
            }
        };
        entry.count += 1;
        if entry.x > 0 && cols.monetary.is_some() {
            non_negative(monetary, "monetary value").ok()?;
        }
    }
    Some((seen.into_values().chain(seen_long.into_values()).collect(), customers))
}

/// Three field texts in 48 bytes: the texts separated by 0xFF (a byte no
/// UTF-8 text holds), zero-padded, the total length in the last byte; so two
/// triples pack alike only if they are the same texts.
type Packed = [u64; 6];

fn pack(fields: [&str; 3]) -> Option<Packed> {
    let total = fields.iter().map(|f| f.len()).sum::<usize>() + 2;
    if total > 47 {
        return None;
    }
    let mut bytes = [0u8; 48];
    let mut at = 0;
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            bytes[at] = 0xFF;
            at += 1;
        }
        bytes[at..at + f.len()].copy_from_slice(f.as_bytes());
        at += f.len();
    }
    bytes[47] = total as u8;
    let mut out = [0u64; 6];
    for (word, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        *word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
    }
    Some(out)
}

/// The lines of a file as [`crate::table::for_each_row`] sees them: split at
/// '\n', a trailing '\r' dropped, a byte-order mark before the first dropped.
struct Lines<'a> {
    source: &'a str,
    pos: usize,
    index: usize,
}

impl<'a> Lines<'a> {
    fn next_non_blank(&mut self) -> Option<&'a str> {
        let bytes = self.source.as_bytes();
        while self.pos <= bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[self.pos..]).map_or(bytes.len(), |i| self.pos + i);
            let raw = &self.source[self.pos..end];
            self.pos = end + 1;
            let mut text = raw.strip_suffix('\r').unwrap_or(raw);
            if self.index == 0 {
                text = text.strip_prefix('\u{feff}').unwrap_or(text);
            }
            self.index += 1;
            // Most lines start with a digit: no need to trim them to know.
            let plainly_not_blank = text.as_bytes().first().is_some_and(|b| b.is_ascii_alphanumeric());
            if plainly_not_blank || !text.trim().is_empty() {
                return Some(text);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfm::{read_summary, TimeUnit};

    /// The oracle: read_summary, then compress.
    fn slow(source: &str) -> Option<SummaryRows> {
        let s = read_summary("s.csv", source, TimeUnit::Weeks, None).ok()?;
        Some(SummaryRows { rows: s.compressed(), customers: s.customers.len() })
    }

    #[test]
    fn the_same_rows_as_read_summary_then_compress() {
        let src = "\u{feff}frequency,recency,T,monetary_value\r\n2,3.5,10,7\n\n0,0,4,\n2,3.50,10.0,1\n 2 , 3.5 ,10,3\n0,0,4,x\n";
        let fast = read_summary_rows(src).unwrap();
        assert_eq!(Some(fast.clone()), slow(src));
        assert_eq!(fast.customers, 5);
        assert_eq!(fast.rows.len(), 2);
        assert_eq!(fast.rows[1].weight, 3.0);
    }

    #[test]
    fn a_file_read_on_two_threads_gives_the_same_rows() {
        let mut src = String::from("\u{feff}frequency,recency,T\r\n");
        let mut i = 0u64;
        while src.len() < PARALLEL_FROM + 4096 {
            let x = i % 7;
            let t = 20 + i % 13;
            let recency = if x == 0 { 0.0 } else { (i % 17) as f64 * t as f64 / 17.0 };
            src.push_str(&format!("{x},{recency},{t}.0\r\n"));
            if i.is_multiple_of(1000) {
                src.push('\n');
            }
            i += 1;
        }
        let fast = read_summary_rows(&src).unwrap();
        assert_eq!(Some(fast.clone()), slow(&src));
        assert!(fast.customers > 40_000, "{}", fast.customers);
        // a bad line in the second half is still found
        src.push_str("1,2\n");
        assert_eq!(read_summary_rows(&src), None);
    }

    #[test]
    fn texts_too_long_to_pack_are_counted_alike() {
        let long = "frequency,recency,T\n2,30.428571428571427000000,38.857142857142854000000\n2,30.428571428571427,38.857142857142854\n2,30.428571428571427000000,38.857142857142854000000\n1,1,2\n";
        let fast = read_summary_rows(long).unwrap();
        assert_eq!(Some(fast.clone()), slow(long));
        assert_eq!(fast.rows.iter().map(|r| r.weight).collect::<Vec<_>>(), [1.0, 3.0]);
        assert_ne!(pack(["1", "2", "3"]), pack(["1", "2", "3\0"]));
        assert_ne!(pack(["1", "23", ""]), pack(["1", "2", "3"]));
        assert_eq!(pack(["1", "2", "x".repeat(44).as_str()]), None);
    }

    #[test]
    fn what_it_does_not_handle_is_left_to_read_summary() {
        for src in [
            "id,frequency,recency,T\na,1,1,2\n",              // ids are read_summary's
            "frequency,recency,T\n\"1\",1,2\n",               // quotes
            "frequency recency T\n1 1 2\n",                   // whitespace-separated
            "frequency,recency,T\n1,1\n",                     // a bad line ...
            "frequency,recency,T\n1,3,2\n",                   // ... of any kind
            "frequency,recency,T\n",                          // no rows
            "frequency,recency,T,monetary_value\n1,1,2,-1\n", // bad spend
            "frequency,recency\n1,1\n",                       // no T
        ] {
            assert_eq!(read_summary_rows(src), None, "{src:?}");
        }
    }

    /// Small generated files, well and badly formed: wherever the fast reader
    /// answers, read_summary + compress answers the same.
    #[test]
    fn agrees_with_read_summary_on_generated_files() {
        use rand::{rngs::StdRng, Rng, SeedableRng};
        let pieces = [
            "0",
            "1",
            "2",
            "1.0",
            "2.5",
            "3",
            "10",
            " 2",
            "2 ",
            "-1",
            "x",
            "",
            "1e1",
            "0.50",
            "inf",
            "NaN",
            "\t3",
            "\u{a0}4",
            "4294967296",
            "1.5",
        ];
        let headers = [
            "frequency,recency,T",
            "x,t_x,T,monetary_value",
            "T;recency;frequency",
            "frequency\trecency\tT\tother",
            "recency,frequency,zbar,T",
        ];
        let mut rng = StdRng::seed_from_u64(16);
        let (mut answered, mut declined) = (0, 0);
        for _ in 0..3_000 {
            let header = headers[rng.random_range(0..headers.len())];
            let sep = if header.contains(';') {
                ";"
            } else if header.contains('\t') {
                "\t"
            } else {
                ","
            };
            let mut src = String::from(header);
            src.push_str(if rng.random_bool(0.2) { "\r\n" } else { "\n" });
            for _ in 0..rng.random_range(0..8) {
                if rng.random_bool(0.1) {
                    src.push_str(if rng.random_bool(0.5) { "  \n" } else { "\n" });
                    continue;
                }
                // A valid row, then perhaps one field replaced by anything.
                let names: Vec<&str> = header.split(sep).collect();
                let x = ["0", "1", "2", "3", "2.0", "10"][rng.random_range(0..6)];
                let t = ["3", "10", "10.0", "3.0", "1e1"][rng.random_range(0..5)];
                let zero = x == "0";
                let recency = if zero {
                    ["0", "0.0"][rng.random_range(0..2)]
                } else {
                    ["0", "1", "2.5", "3"][rng.random_range(0..4)]
                };
                let mut fields: Vec<&str> = names
                    .iter()
                    .map(|n| match *n {
                        "frequency" | "x" => x,
                        "recency" | "t_x" => recency,
                        "T" => t,
                        _ => ["7", "0", "", "1.25"][rng.random_range(0..4)],
                    })
                    .collect();
                if rng.random_bool(0.08) {
                    let i = rng.random_range(0..fields.len());
                    fields[i] = pieces[rng.random_range(0..pieces.len())];
                }
                if rng.random_bool(0.02) {
                    fields.push("1");
                }
                src.push_str(&fields.join(sep));
                src.push('\n');
            }
            // Without ids or quotes the fast reader declines exactly the
            // files read_summary refuses.
            let fast = read_summary_rows(&src);
            assert_eq!(fast, slow(&src), "{src:?}");
            // Packed in batches of a few rows, or sent to the hash table.
            for packing in [Packing { max_texts: MAX_TEXTS, batch: 2 }, Packing { max_texts: 2, batch: 3 }] {
                assert_eq!(read_summary_rows_packing(&src, packing), fast, "{src:?}");
            }
            if fast.is_some() {
                answered += 1;
            } else {
                declined += 1;
            }
        }
        // The generator makes both kinds.
        assert!(answered > 300 && declined > 300, "{answered} answered, {declined} declined");
    }

    /// Larger generated files (duplicates, odd spacing, texts that mean the
    /// same number, many distinct values): the packed keys sorted in one
    /// batch or many, and the hash table every field overflows into, all give
    /// the rows read_summary + compress gives.
    #[test]
    fn packed_sorted_and_hashed_rows_equal_the_simple_path() {
        use rand::{rngs::StdRng, Rng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(2005);
        for case in 0..60 {
            let n = rng.random_range(1..4_000);
            // few distinct values (a log recorded to the day) or many
            let spread: u32 = if case % 2 == 0 { 40 } else { 100_000 };
            let mut src = String::from(if case % 3 == 0 {
                "frequency,recency,T,monetary_value\n"
            } else {
                "frequency;recency;T\n"
            });
            let sep = if case % 3 == 0 { "," } else { ";" };
            for _ in 0..n {
                let x: u32 = if rng.random_bool(0.4) { 0 } else { rng.random_range(1..30) };
                let t = f64::from(rng.random_range(1..=spread)) / 7.0;
                let t_x = if x == 0 { 0.0 } else { t * f64::from(rng.random_range(0..=spread)) / f64::from(spread) };
                let (xs, txs, ts) = (x.to_string(), t_x.to_string(), t.to_string());
                // the same numbers written differently now and then
                let xs = if rng.random_bool(0.05) { format!("{x}.0") } else { xs };
                let txs = if rng.random_bool(0.05) { format!(" {txs}") } else { txs };
                let ts = if rng.random_bool(0.05) { format!("{ts}0 ") } else { ts };
                src.push_str(&[xs, txs, ts].join(sep));
                if sep == "," {
                    src.push_str(if x == 0 { "," } else { ",12.5" });
                }
                src.push_str(if rng.random_bool(0.1) { "\r\n" } else { "\n" });
                if rng.random_bool(0.01) {
                    src.push_str("\n  \n");
                }
            }
            let expected = slow(&src);
            assert!(expected.is_some(), "case {case}");
            for packing in [
                Packing { max_texts: MAX_TEXTS, batch: BATCH },
                Packing { max_texts: MAX_TEXTS, batch: 1 + n / 5 },
                Packing { max_texts: 50, batch: 97 },
                Packing { max_texts: 0, batch: BATCH },
            ] {
                assert_eq!(read_summary_rows_packing(&src, packing), expected, "case {case}");
            }
        }
    }
}
