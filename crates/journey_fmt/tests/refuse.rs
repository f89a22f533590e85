//! What the formatter refuses, and what it formats despite a checker-level problem.

use journey_diagnostics::FileId;
use journey_fmt::{format_source, FormatError, FormatOptions};

fn format(src: &str) -> Result<String, FormatError> {
    format_source(src, FileId(7), &FormatOptions::default())
}

#[test]
fn syntax_error_is_refused_with_its_diagnostics() {
    let err = format("journey j {\n  stage a { send email }\n}\n").unwrap_err();
    match err {
        FormatError::Parse(diags) => {
            assert!(!diags.is_empty());
            assert!(diags.iter().all(|d| d.code == "J001"), "{diags:?}");
        }
        other => panic!("expected a parse error, got {other}"),
    }
}

#[test]
fn unterminated_block_comment_is_refused() {
    assert!(matches!(format("event a /* never closed\n"), Err(FormatError::Parse(_))));
}

#[test]
fn out_of_range_literals_are_kept_as_written() {
    // J002 (a 25:00 time) is the checker's business; the file parses and formats.
    let out = format("channel email {quiet_hours 25:00..08:00}").unwrap();
    assert_eq!(out, "channel email {\n  quiet_hours 25:00..08:00\n}\n");
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format("").unwrap(), "");
    assert_eq!(format("  \n\n").unwrap(), "");
    assert_eq!(format("\n\n// only\n\n\n/* comments */  \n").unwrap(), "// only\n\n/* comments */\n");
}

#[test]
fn crlf_input_keeps_its_line_endings() {
    // issue 13: line endings are kept as found (the layout is still made canonical)
    let out = format("event a // x\r\n\r\n\r\nevent b\r\n").unwrap();
    assert_eq!(out, "event a  // x\r\n\r\nevent b\r\n");
}

#[test]
fn narrow_width_breaks_event_properties() {
    let opts = FormatOptions { indent: 4, max_width: 20 };
    let out = format_source("event purchase { amount: money }", FileId(0), &opts).unwrap();
    assert_eq!(out, "event purchase {\n    amount: money,\n}\n");
}
