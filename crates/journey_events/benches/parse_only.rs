//! Parse-only pass over a generated 10-million-event log, in CSV, JSON lines and
//! Parquet: events per second and peak memory (VmHWM, reset between passes).
//!
//!     cargo bench -p journey_events --bench parse_only
//!
//! JOURNEY_BENCH_CUSTOMERS / JOURNEY_BENCH_DAYS change the size (default 250,000
//! customers over 100 days ≈ 10M events); JOURNEY_BENCH_FORMATS=csv,parquet picks
//! formats. The logs are generated once into target/bench-data/.

use journey_events::generate::{generate_with, GenerateOptions, OutFormat};
use journey_events::{parse_only, Mapping, Schema};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "../tests/support/checked.rs"]
mod checked;

fn env(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn reset_peak() {
    // Linux: writing 5 resets the peak resident set size
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn program() -> journey_ir::Program {
    checked::program(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("parse_only: bench");
        return;
    }
    let customers = env("JOURNEY_BENCH_CUSTOMERS", 250_000);
    let days = env("JOURNEY_BENCH_DAYS", 100);
    let formats = std::env::var("JOURNEY_BENCH_FORMATS").unwrap_or_else(|_| "csv,jsonl,parquet".into());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data directory");
    let schema = Schema::from_program(&program());
    let mapping = Mapping::default();
    for name in formats.split(',') {
        let (format, ext) = match name {
            "csv" => (OutFormat::Csv, "csv"),
            "jsonl" => (OutFormat::Jsonl, "jsonl"),
            "parquet" => (OutFormat::Parquet, "parquet"),
            other => panic!("unknown format {other}"),
        };
        let path = dir.join(format!("events-{customers}x{days}.{ext}"));
        if !path.exists() {
            let t = Instant::now();
            let tmp = path.with_extension("tmp");
            let mut f = std::fs::File::create(&tmp).expect("create log");
            let opts = GenerateOptions { seed: 42, customers, days, ..Default::default() };
            let stats = generate_with(&opts, &mut f, format, None).expect("generate");
            drop(f);
            std::fs::rename(&tmp, &path).expect("rename");
            eprintln!("generated {} events in {:.1}s: {}", stats.events, t.elapsed().as_secs_f64(), path.display());
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / (1024.0 * 1024.0);
        reset_peak();
        let t = Instant::now();
        let stats = parse_only(&path, &mapping, &schema).expect("the generated log reads");
        let secs = t.elapsed().as_secs_f64();
        println!(
            "parse_only {name:<8} {:>11} events {:>8} customers  {size:>7.0} MiB  {secs:>6.2} s  {:>6.2} M events/s  peak RSS {:.0} MiB",
            stats.events,
            stats.customers,
            stats.events as f64 / secs / 1e6,
            peak_rss_mib().unwrap_or(f64::NAN),
        );
    }
}
