//! A decoder's panic on a corrupt file is bad input, not a crash (issue 19: "never a
//! panic"): the parquet crate asserts on some corrupt files; `journey` catches that and
//! says the file is corrupt, and the panic's own text must not reach stderr either.
//! The project is tests/projects/teashop, not journeys/.

mod common;
use common::*;

#[test]
fn a_corrupt_parquet_log_is_a_message_without_panic_text() {
    let project = root().join("tests/projects/teashop");
    let log = root().join("tests/data/corrupt/column-range.parquet");
    let log = log.to_str().unwrap();
    for args in [
        vec!["events", "validate", log],
        vec!["events", "validate", log, "--skip-bad-rows"],
        vec!["simulate", "--events", log, "-q"],
    ] {
        // Wide columns, and whitespace folded: the message must not depend on how long
        // the checkout's path is (CI's is longer than a developer's, and wrapped it).
        let out = journey_in_columns(&args, &project, 1000);
        let err = stderr(&out).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(code(&out) == 1 || code(&out) == 2, "{args:?}: exit {}\n{err}", code(&out));
        assert!(err.contains("the Parquet file is corrupt"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: the panic's text reached stderr:\n{err}");
    }
}
