//! `journey calendar --trace` reads the Parquet trace `journey simulate` writes, and
//! finds in it exactly what it finds in the CSV trace of the same run (examples/cdnow,
//! the real CDNOW purchase log).

mod common;
use common::{code, journey, root, stderr, stdout};

#[test]
fn calendar_reads_the_parquet_trace_of_simulate() {
    let dir = tempfile::tempdir().unwrap();
    let project = root().join("examples/cdnow");
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    for trace in ["tracefile.csv", "trace.parquet"] {
        let out = journey(&["simulate", "--trace", &p(trace), "--format", "json"], &project);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    assert_eq!(&std::fs::read(p("trace.parquet")).unwrap()[..4], b"PAR1", "simulate wrote Parquet");
    for format in ["json", "table", "csv"] {
        let from = |trace: &str| {
            let out = journey(&["calendar", "--trace", &p(trace), "--format", format], &project);
            assert_eq!(code(&out), 0, "{trace} as {format}: {}", stderr(&out));
            stdout(&out)
        };
        // the same report but for the file name it names
        let (csv, parquet) = (from("tracefile.csv").replace("tracefile.csv", "trace.parquet"), from("trace.parquet"));
        let differ = csv.lines().zip(parquet.lines()).find(|(a, b)| a != b);
        assert!(csv == parquet, "{format}: the Parquet trace reads as the CSV trace; first difference: {differ:?}");
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&parquet).unwrap();
            assert!(v["observed"]["sends"].as_u64().unwrap() > 0, "the trace holds sends");
        }
    }
}

#[test]
fn a_damaged_parquet_trace_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let project = root().join("examples/cdnow");
    // a trace cut in half: the magic is there, the footer is not
    let path = dir.path().join("cut.parquet");
    let out = journey(&["simulate", "--trace", path.to_str().unwrap(), "--format", "json"], &project);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let out = journey(&["calendar", "--trace", path.to_str().unwrap()], &project);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot read the Parquet trace") && err.contains("cut.parquet"), "{err}");
    assert!(!err.contains("panicked") && stdout(&out).is_empty(), "{err}");
}
