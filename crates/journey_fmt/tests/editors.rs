//! Files as editors write them (issue 13): a UTF-8 byte-order mark and CRLF line
//! endings are accepted and kept as found; only the layout is made canonical.

use journey_diagnostics::FileId;
use journey_fmt::{format_source, FormatOptions};

const CANONICAL: &str = "// the schema\nevent purchase { amount: money }\n\nattribute email_opt_in: bool\n\nchannel email {\n  consent email_opt_in\n  cap 3 per 7d\n}\n";

fn fmt(src: &str) -> String {
    format_source(src, FileId(0), &FormatOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_canonical_crlf_file_is_left_as_it_is() {
    assert_eq!(fmt(CANONICAL), CANONICAL, "the fixture is canonical");
    let crlf = CANONICAL.replace('\n', "\r\n");
    assert_eq!(fmt(&crlf), crlf);
}

#[test]
fn a_crlf_file_is_formatted_with_crlf_line_endings() {
    let messy = "event   purchase {amount: money}\r\nattribute email_opt_in : bool\r\n";
    let out = fmt(messy);
    assert_eq!(out, "event purchase { amount: money }\r\n\r\nattribute email_opt_in: bool\r\n");
}

#[test]
fn a_byte_order_mark_is_accepted_and_kept() {
    let with_bom = format!("\u{feff}{CANONICAL}");
    assert_eq!(fmt(&with_bom), with_bom);
    let both = format!("\u{feff}{}", CANONICAL.replace('\n', "\r\n"));
    assert_eq!(fmt(&both), both);
    let parsed = journey_syntax::parse(&with_bom, FileId(0));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.module.items.len(), 3);
}

#[test]
fn a_broken_crlf_file_is_refused_with_spans_into_the_file_as_it_is() {
    let src = "\u{feff}event purchase {\r\n  amount money\r\n}\r\n";
    let Err(journey_fmt::FormatError::Parse(diags)) = format_source(src, FileId(0), &FormatOptions::default()) else {
        panic!("a broken file is refused")
    };
    let span = diags[0].labels[0].span;
    assert_eq!(&src[span.start as usize..span.end as usize], "money");
}
