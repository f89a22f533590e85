//! `cargo bench --bench simulate`: `journey simulate` over a generated log of 10
//! million events through the bundled journeys/ library, against a parse-only pass
//! (`journey events validate`) over the same file, and parse-only against the limit of
//! the format: the csv crate's raw `ByteRecord` loop over the same CSV file (splitting
//! rows, nothing typed), and the arrow record batches of the same log as Parquet. All
//! measured in the same run, with the peak memory of each process.
//!
//! Targets (issue 16): parse-only CSV at least 4M events/s on one core, Parquet at
//! least 10M; simulate at least 0.8x parse-only, at most 2 KB of peak memory per
//! customer. The same Parquet rows rewritten in tiny row groups ([`TINY_GROUP`] rows
//! each) are read parse-only too (issue 19: near the large-group rate). Parquet
//! batches are decoded on a second thread while the rows of the last are built, so
//! its figures are wall time on two cores; `perf stat -e task-clock` gives the CPU time.
//!
//! `EVENTS=2000000` for a shorter run; `FORMAT=parquet` to replay Parquet instead of
//! CSV (`FORMAT=csv-only` skips the Parquet log); `RUNS=n` repeats the measurements in
//! n rounds, keeps the fastest of each and prints each round's ratios (a round runs
//! everything back to back); `KEEP_TINY=path` keeps the tiny-row-group Parquet log.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Rows per row group of the tiny-row-group copy of the Parquet log (the writer's
/// default is about a million).
const TINY_GROUP: usize = 1024;

/// Events per customer per year the generator produces (measured: 1,719,940 events
/// of 20,000 customers over 365 days).
const EVENTS_PER_CUSTOMER: u64 = 86;

/// Run the binary; its wall time and peak resident memory (VmHWM polled from /proc,
/// which only grows, so the last reading before exit is the peak).
fn run(args: &[&str], dir: &Path) -> (Duration, Option<u64>) {
    let (time, peak, _) = run_with_stderr(args, dir);
    (time, peak)
}

/// [`run`], with what the binary wrote on stderr.
fn run_with_stderr(args: &[&str], dir: &Path) -> (Duration, Option<u64>, String) {
    let exe = env!("CARGO_BIN_EXE_journey");
    let start = Instant::now();
    let mut child = Command::new(exe)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run journey");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = None;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = s.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                peak = kb.trim().trim_end_matches(" kB").trim().parse::<u64>().ok().map(|k| k * 1024).or(peak);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            let elapsed = start.elapsed();
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().map(|mut e| e.read_to_string(&mut err));
            assert!(status.success(), "journey {} failed: {err}", args.join(" "));
            return (elapsed, peak, err);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn main() {
    let events: u64 = std::env::var("EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let format = std::env::var("FORMAT").unwrap_or_else(|_| "csv".into());
    let with_parquet = format != "csv-only";
    let replay = if format == "parquet" { "parquet" } else { "csv" };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let csv_log = dir.path().join("events.csv");
    let pq_log = dir.path().join("events.parquet");
    let pq_tiny = dir.path().join("events-tiny.parquet");
    let attrs = dir.path().join("attributes.csv");
    let customers = (events / EVENTS_PER_CUSTOMER).max(1).to_string();
    let (csv_s, pq_s, attrs_s) = (
        csv_log.to_str().expect("utf-8 path"),
        pq_log.to_str().expect("utf-8 path"),
        attrs.to_str().expect("utf-8 path"),
    );
    let generate = |out: &str| {
        run(
            &[
                "events",
                "generate",
                "--quiet",
                "--customers",
                &customers,
                "--days",
                "365",
                "-o",
                out,
                "--attributes",
                attrs_s,
            ],
            root,
        )
        .0
    };
    // the same seed, customers and days: the same events in both formats
    let gen = generate(csv_s);
    if with_parquet {
        generate(pq_s);
        tiny_row_groups(&pq_log, &pq_tiny);
        // to profile the reader on it afterwards
        if let Ok(keep) = std::env::var("KEEP_TINY") {
            std::fs::copy(&pq_tiny, keep).expect("copy the tiny-row-group log");
        }
    }
    let pq_tiny_s = pq_tiny.to_str().expect("utf-8 path");
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;

    let log_s = if replay == "parquet" { pq_s } else { csv_s };
    // the generated period, given as users do: without dates the span of the log
    // would cost one more parse-only pass first
    // `--state-memory` (on stderr): the customers' states in bytes per customer, at
    // the largest of a few measures (a walk over the states after groups 1, 2, 4, …)
    let sim_args = [
        "simulate",
        "--state-memory",
        "--quiet",
        "--format",
        "json",
        "--events",
        log_s,
        "--attributes",
        attrs_s,
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
    ];
    let mut one_thread_args = sim_args.to_vec();
    one_thread_args.extend(["--reader-threads=0", "--threads=1"]);
    // Each round runs everything back to back, so a slow spell of a shared machine
    // weighs on a round's measurements alike: the ratios of each round are printed
    // beside the fastest times.
    let keep = |best: &mut (Duration, Option<u64>), r: (Duration, Option<u64>)| {
        if r.0 < best.0 {
            *best = r;
        }
        r.0
    };
    let none = || (Duration::MAX, None);
    let (mut csv_raw_best, mut csv_best, mut pq_raw_best, mut pq_best) = (none(), none(), none(), none());
    let (mut sim_best, mut sim1_best, mut tiny_best) = (none(), none(), none());
    let (mut raw_rows, mut batch_rows) = (0, 0);
    let mut rounds = Vec::new();
    let mut state_line: Option<String> = None;
    for _ in 0..runs {
        let t = Instant::now();
        raw_rows = csv_byte_records(&csv_log);
        let raw = keep(&mut csv_raw_best, (t.elapsed(), None));
        let p = keep(&mut csv_best, run(&["events", "validate", "--quiet", csv_s], root));
        let (mut pq_raw, mut pq, mut tiny) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        if with_parquet {
            let t = Instant::now();
            batch_rows = parquet_batches(&pq_log);
            pq_raw = keep(&mut pq_raw_best, (t.elapsed(), None));
            pq = keep(&mut pq_best, run(&["events", "validate", "--quiet", pq_s], root));
            tiny = keep(&mut tiny_best, run(&["events", "validate", "--quiet", pq_tiny_s], root));
        }
        let (time, peak, err) = run_with_stderr(&sim_args, root);
        state_line = err.lines().find(|l| l.starts_with("state memory:")).map(String::from).or(state_line);
        let s = keep(&mut sim_best, (time, peak));
        keep(&mut sim1_best, run(&one_thread_args, root));
        let parse = if replay == "parquet" { pq } else { p };
        rounds.push((
            raw.as_secs_f64() / p.as_secs_f64(),
            pq_raw.as_secs_f64() / pq.as_secs_f64(),
            parse.as_secs_f64() / s.as_secs_f64(),
            pq.as_secs_f64() / tiny.as_secs_f64(),
        ));
    }

    // the event count, from the reader itself
    let out = Command::new(env!("CARGO_BIN_EXE_journey"))
        .args(["events", "validate", "--format", "json", csv_s])
        .current_dir(root)
        .output()
        .expect("count events");
    let counted: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let n = counted["events"].as_u64().unwrap_or(events) as f64;
    let people = counted["customers"].as_u64().unwrap_or(1).max(1) as f64;
    assert_eq!(raw_rows as f64, n, "the csv crate and journey read the same rows");
    if with_parquet {
        assert_eq!(batch_rows as f64, n, "the Parquet log holds the same rows");
    }

    let mib = |m: Option<u64>| m.map_or("n/a".to_string(), |b| format!("{:.0} MiB", b as f64 / 1048576.0));
    let rate = |d: Duration| n / d.as_secs_f64();
    let secs = |d: Duration| d.as_secs_f64();
    println!(
        "log: {n:.0} events of {people:.0} customers over 365 days: CSV {:.0} MiB{} (generated in {:.1} s)",
        size(&csv_log),
        if with_parquet { format!(", Parquet {:.0} MiB", size(&pq_log)) } else { String::new() },
        gen.as_secs_f64()
    );
    println!("fastest of {runs} run(s), wall time; CSV is read on one core, Parquet decoded on a second one:");
    let (csv_raw, csv) = (csv_raw_best.0, csv_best.0);
    println!(
        "  csv crate, ByteRecord loop  {:>7.2} s  {:>10.0} events/s              the limit: rows split, nothing typed",
        secs(csv_raw),
        rate(csv_raw)
    );
    println!(
        "  parse only, CSV             {:>7.2} s  {:>10.0} events/s  peak {:>7}  {:.2}x the csv crate's loop (target >= 4M events/s)",
        secs(csv),
        rate(csv),
        mib(csv_best.1),
        secs(csv_raw) / secs(csv)
    );
    if with_parquet {
        let (pq_raw, pq) = (pq_raw_best.0, pq_best.0);
        println!(
            "  arrow batches, Parquet      {:>7.2} s  {:>10.0} events/s              the limit: every column decoded, nothing typed",
            secs(pq_raw),
            rate(pq_raw)
        );
        println!(
            "  parse only, Parquet         {:>7.2} s  {:>10.0} events/s  peak {:>7}  {:.2}x the arrow batches (target >= 10M events/s)",
            secs(pq),
            rate(pq),
            mib(pq_best.1),
            secs(pq_raw) / secs(pq)
        );
        let tiny = tiny_best.0;
        println!(
            "  parse only, Parquet, tiny   {:>7.2} s  {:>10.0} events/s  peak {:>7}  {:.2}x the large row groups ({TINY_GROUP} rows a group, {:.0} MiB)",
            secs(tiny),
            rate(tiny),
            mib(tiny_best.1),
            secs(pq) / secs(tiny),
            size(&pq_tiny)
        );
    }
    let parse = if replay == "parquet" { pq_best.0 } else { csv };
    let ((sim, sim_mem), (sim1, sim1_mem)) = (sim_best, sim1_best);
    println!(
        "  simulate ({replay:<7})          {:>7.2} s  {:>10.0} events/s  peak {:>7}  {:.2}x the speed of parsing (target >= 0.8)",
        secs(sim),
        rate(sim),
        mib(sim_mem),
        secs(parse) / secs(sim)
    );
    println!(
        "  simulate, 1 thread          {:>7.2} s  {:>10.0} events/s  peak {:>7}  {:.2}x",
        secs(sim1),
        rate(sim1),
        mib(sim1_mem),
        secs(parse) / secs(sim1)
    );
    // what the engine's states hold (CustomerState::footprint summed at their largest)
    let state = state_line
        .as_deref()
        .and_then(|l| l.strip_prefix("state memory: "))
        .and_then(|l| l.split_once(" bytes per customer"));
    match state {
        Some((bytes, rest)) => println!("  state per customer: {bytes} bytes{rest} (target <= 2 KB)"),
        None => println!("  state per customer: not reported"),
    }
    if let Some(peak) = sim_mem {
        // the whole process, reader buffers and report included: an upper bound of the
        // state a customer costs
        println!(
            "  simulate's peak memory per customer: {:.0} bytes ({} / {people:.0} customers)",
            peak as f64 / people,
            mib(Some(peak))
        );
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let show = |v: &[f64]| v.iter().map(|r| format!("{r:.2}x")).collect::<Vec<_>>().join(", ");
    let csv_r: Vec<f64> = rounds.iter().map(|r| r.0).collect();
    let sim_r: Vec<f64> = rounds.iter().map(|r| r.2).collect();
    println!("  round by round:");
    println!("    parse only CSV vs the csv crate:   {} (median {:.2}x)", show(&csv_r), median(csv_r.clone()));
    if with_parquet {
        let pq_r: Vec<f64> = rounds.iter().map(|r| r.1).collect();
        println!("    parse only Parquet vs arrow:       {} (median {:.2}x)", show(&pq_r), median(pq_r.clone()));
        let tiny_r: Vec<f64> = rounds.iter().map(|r| r.3).collect();
        println!("    tiny row groups vs large ones:     {} (median {:.2}x)", show(&tiny_r), median(tiny_r.clone()));
    }
    println!("    simulate vs parse only:            {} (median {:.2}x)", show(&sim_r), median(sim_r.clone()));
}

/// The limit of CSV reading: the csv crate's fastest loop, records as bytes, reused.
fn csv_byte_records(path: &Path) -> u64 {
    let mut reader = csv::ReaderBuilder::new().buffer_capacity(1 << 16).from_path(path).expect("open the CSV log");
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while reader.read_byte_record(&mut record).expect("a CSV record") {
        rows += 1;
    }
    rows
}

/// The limit of Parquet reading: every column decoded into arrow record batches.
fn parquet_batches(path: &Path) -> u64 {
    let file = std::fs::File::open(path).expect("open the Parquet log");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .with_batch_size(8192)
        .build()
        .expect("a batch reader");
    reader.map(|b| b.expect("a record batch").num_rows() as u64).sum()
}

/// The Parquet log again, its rows in groups of [`TINY_GROUP`] (same columns, same
/// compression as the generator's).
fn tiny_row_groups(from: &Path, to: &Path) {
    use arrow_array::RecordBatchReader;
    let file = std::fs::File::open(from).expect("open the Parquet log");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .with_batch_size(TINY_GROUP)
        .build()
        .expect("a batch reader");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(TINY_GROUP))
        .build();
    let out = std::fs::File::create(to).expect("create the tiny-row-group copy");
    let mut writer = parquet::arrow::ArrowWriter::try_new(out, reader.schema(), Some(props)).expect("a writer");
    for batch in reader {
        writer.write(&batch.expect("a record batch")).expect("write a batch");
        // one batch, one row group
        writer.flush().expect("close the row group");
    }
    writer.close().expect("finish the file");
}
