//! A small delimited-text splitter that remembers where every field starts, so
//! an error can point at the exact byte of the file it came from. Quoted fields
//! (RFC 4180 style, `""` for a quote) are supported within one line.

use std::borrow::Cow;

use crate::error::{bad_row, ClvError, Result};

/// How fields are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Comma,
    Tab,
    Semicolon,
    /// Runs of spaces or tabs (fixed-width files such as CDNOW_master.txt).
    Whitespace,
}

impl Delimiter {
    /// Guess from the first non-empty line: the separator that appears most.
    pub fn sniff(first_line: &str) -> Delimiter {
        let count = |c: char| first_line.matches(c).count();
        let candidates =
            [(Delimiter::Comma, count(',')), (Delimiter::Tab, count('\t')), (Delimiter::Semicolon, count(';'))];
        match candidates.iter().max_by_key(|(_, n)| *n) {
            Some((d, n)) if *n > 0 => *d,
            _ => Delimiter::Whitespace,
        }
    }

    fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Tab => b'\t',
            Delimiter::Semicolon => b';',
            Delimiter::Whitespace => b' ',
        }
    }
}

/// One field: its unquoted text and the byte range it occupies in the file.
#[derive(Debug, Clone)]
pub struct Field {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// One non-blank line of the file, split into fields.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line number.
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub fields: Vec<Field>,
}

/// One field as [`for_each_row`] lends it: the text borrowed from the file
/// unless unquoting changed it (a `""` inside quotes), so that reading a
/// million-row summary allocates nothing per field.
#[derive(Debug, Clone)]
pub struct FieldRef<'a> {
    pub text: Cow<'a, str>,
    pub start: usize,
    pub end: usize,
}

/// One non-blank line as [`for_each_row`] lends it.
#[derive(Debug)]
pub struct RowRef<'r, 'a> {
    /// 1-based line number.
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub fields: &'r [FieldRef<'a>],
}

/// Split every non-blank line of `source`.
pub fn split_rows(path: &str, source: &str, delimiter: Delimiter) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for_each_row(path, source, delimiter, |row| {
        let fields = row
            .fields
            .iter()
            .map(|f| Field { text: f.text.clone().into_owned(), start: f.start, end: f.end })
            .collect();
        rows.push(Row { line: row.line, start: row.start, end: row.end, fields });
        Ok(())
    })?;
    Ok(rows)
}

/// Call `each` with every non-blank line of `source`, split into fields, in
/// order, stopping at the first error (a bad line, or one `each` returns). The
/// fields are lent, so nothing is kept between lines: the same splitting as
/// [`split_rows`] without a `String` per field or a `Vec` per row.
pub fn for_each_row<'a>(
    path: &str,
    source: &'a str,
    delimiter: Delimiter,
    mut each: impl FnMut(RowRef<'_, 'a>) -> Result<()>,
) -> Result<()> {
    let mut fields: Vec<FieldRef<'a>> = Vec::new();
    let mut offset = 0;
    for (index, raw) in source.split('\n').enumerate() {
        let mut line_start = offset;
        offset += raw.len() + 1;
        let mut text = raw.strip_suffix('\r').unwrap_or(raw);
        // A UTF-8 byte-order mark (Excel's "CSV UTF-8") is not part of the first
        // column's name; skipping it keeps every later byte offset true.
        if index == 0 {
            if let Some(rest) = text.strip_prefix('\u{feff}') {
                line_start += '\u{feff}'.len_utf8();
                text = rest;
            }
        }
        if text.trim().is_empty() {
            continue;
        }
        fields.clear();
        split_line(path, source, text, line_start, delimiter, &mut fields)?;
        each(RowRef { line: index + 1, start: line_start, end: line_start + text.len(), fields: &fields })?;
    }
    Ok(())
}

fn split_line<'a>(
    path: &str,
    source: &str,
    text: &'a str,
    base: usize,
    delimiter: Delimiter,
    fields: &mut Vec<FieldRef<'a>>,
) -> Result<()> {
    let bytes = text.as_bytes();
    if delimiter == Delimiter::Whitespace {
        let mut i = 0;
        while i < bytes.len() {
            while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
                i += 1;
            }
            if i >= bytes.len() {
                break;
            }
            let start = i;
            while i < bytes.len() && bytes[i] != b' ' && bytes[i] != b'\t' {
                i += 1;
            }
            fields.push(FieldRef { text: Cow::Borrowed(&text[start..i]), start: base + start, end: base + i });
        }
        return Ok(());
    }
    let sep = delimiter.byte();
    let mut i = 0;
    loop {
        let start = i;
        if i < bytes.len() && bytes[i] == b'"' {
            let mut value = Cow::Borrowed("");
            let mut j = i + 1;
            let mut closed = false;
            let mut chunk_start = j;
            while j < bytes.len() {
                if bytes[j] == b'"' {
                    let chunk = &text[chunk_start..j];
                    // Borrowed while the field is one run of text; an escaped
                    // quote makes it owned.
                    if value.is_empty() {
                        value = Cow::Borrowed(chunk);
                    } else {
                        value.to_mut().push_str(chunk);
                    }
                    if j + 1 < bytes.len() && bytes[j + 1] == b'"' {
                        value.to_mut().push('"');
                        j += 2;
                        chunk_start = j;
                        continue;
                    }
                    closed = true;
                    j += 1;
                    break;
                }
                j += 1;
            }
            if !closed {
                return Err(unterminated(path, source, base + start, base + text.len()));
            }
            if j < bytes.len() && bytes[j] != sep {
                return Err(bad_row(
                    path,
                    source,
                    base + j,
                    base + j + 1,
                    "unexpected text after a closing quote",
                    "expected a delimiter here",
                    None,
                ));
            }
            fields.push(FieldRef { text: value, start: base + start, end: base + j });
            i = j;
        } else {
            let j = bytes[i..].iter().position(|&b| b == sep).map_or(bytes.len(), |k| i + k);
            fields.push(FieldRef { text: Cow::Borrowed(text[i..j].trim()), start: base + i, end: base + j });
            i = j;
        }
        if i >= bytes.len() {
            break;
        }
        i += 1; // skip the separator
        if i == bytes.len() {
            fields.push(FieldRef { text: Cow::Borrowed(""), start: base + i, end: base + i });
            break;
        }
    }
    Ok(())
}

fn unterminated(path: &str, source: &str, start: usize, end: usize) -> ClvError {
    bad_row(
        path,
        source,
        start,
        end,
        "unterminated quoted field",
        "this quote is never closed on the same line",
        Some("quoted fields may not span lines in transaction logs".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quotes_and_tracks_offsets() {
        let src = "a,b,c\n1,\"x, \"\"y\"\"\",3\n\n 4 ,5,\n";
        let rows = split_rows("t.csv", src, Delimiter::Comma).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].fields[1].text, "x, \"y\"");
        assert_eq!(rows[1].line, 2);
        assert_eq!(rows[2].line, 4);
        assert_eq!(rows[2].fields[0].text, "4");
        assert_eq!(rows[2].fields[2].text, "");
        assert_eq!(&src[rows[1].fields[2].start..rows[1].fields[2].end], "3");
    }

    #[test]
    fn whitespace_and_sniffing() {
        let src = " 00004 0001 19970101  2   29.33\n";
        assert_eq!(Delimiter::sniff(src), Delimiter::Whitespace);
        let rows = split_rows("s.txt", src, Delimiter::Whitespace).unwrap();
        assert_eq!(rows[0].fields.len(), 5);
        assert_eq!(rows[0].fields[4].text, "29.33");
    }

    #[test]
    fn rows_are_lent_borrowed_unless_unescaped() {
        let src = "id,x\n\"a\"\"b\",\"plain\"\n c ,2\n";
        let mut seen = Vec::new();
        for_each_row("t.csv", src, Delimiter::Comma, |row| {
            for f in row.fields {
                seen.push((row.line, f.text.to_string(), matches!(f.text, Cow::Borrowed(_)), &src[f.start..f.end]));
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(seen[2], (2, "a\"b".to_string(), false, "\"a\"\"b\""));
        assert_eq!(seen[3], (2, "plain".to_string(), true, "\"plain\""));
        assert_eq!(seen[4], (3, "c".to_string(), true, " c "));
        // split_rows is the same splitting, owned
        let rows = split_rows("t.csv", src, Delimiter::Comma).unwrap();
        let owned: Vec<String> = rows.iter().flat_map(|r| r.fields.iter().map(|f| f.text.clone())).collect();
        assert_eq!(owned, seen.iter().map(|s| s.1.clone()).collect::<Vec<_>>());
    }

    #[test]
    fn an_error_from_the_caller_stops_the_walk() {
        let mut lines = Vec::new();
        let err = for_each_row("t.csv", "a\nb\nc\n", Delimiter::Comma, |row| {
            lines.push(row.line);
            if row.line == 2 {
                return Err(ClvError::InvalidArgument("stop".into()));
            }
            Ok(())
        });
        assert!(err.is_err());
        assert_eq!(lines, vec![1, 2]);
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let err = split_rows("t.csv", "a,\"b\n", Delimiter::Comma).unwrap_err();
        assert!(err.to_string().starts_with("t.csv:1:3:"), "{err}");
    }
}
