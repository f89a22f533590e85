//! `cargo bench --bench clv_fit`: `journey clv fit --model bg-nbd` on a summary of
//! one million customers against the Python `lifetimes` package fitting the same
//! file with its `weights` option (benches/clv_fit_lifetimes.py), both END TO END as
//! commands: the process starting, reading the file, compressing it to distinct
//! (x, t_x, T) rows, fitting and printing. Measured side by side in each round.
//!
//! Target (issue 16): at least 10x lifetimes weighted.
//!
//! The summary is generated deterministically (seed 2005) from r=0.243, α=4.414,
//! a=0.793, b=2.426 (the CDNOW estimates), customers acquired over 12 weeks and
//! observed for 39, purchases recorded to the day, numbers written as their
//! shortest round-trip decimals (as pandas' `to_csv` writes them).
//!
//! `CUSTOMERS=n` (default 1,000,000), `CLV_BENCH_CSV=dir` keeps the summary file, `RUNS=n` rounds (default 3; the fastest of
//! each side is kept and each round's ratio printed), `LIFETIMES_PYTHON=path` the
//! Python with `lifetimes` installed (default `python3`; without it only journey's
//! side is measured, and the bench says why), `JOURNEY_BIN=path` another build of
//! `journey` to time instead of this one (a before/after of a change, same run):
//!
//!     python3 -m venv /tmp/lifetimes-venv && /tmp/lifetimes-venv/bin/pip install lifetimes
//!     LIFETIMES_PYTHON=/tmp/lifetimes-venv/bin/python cargo bench --bench clv_fit

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use journey_clv::bgnbd::BgNbd;
use journey_clv::simulate::simulate_bgnbd;

/// Run a command to completion; its wall time and standard output.
fn timed(cmd: &mut Command) -> (Duration, String) {
    let start = Instant::now();
    let out = cmd.output().expect("run the command");
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (elapsed, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn params(v: &serde_json::Value) -> [f64; 4] {
    ["r", "alpha", "a", "b"].map(|k| v[k].as_f64().unwrap_or(f64::NAN))
}

fn main() {
    let n: usize = std::env::var("CUSTOMERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let python = std::env::var("LIFETIMES_PYTHON").unwrap_or_else(|_| "python3".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("benches/clv_fit_lifetimes.py");

    let truth = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    let customers = simulate_bgnbd(&truth, n, 84, 273, 2005).expect("simulate customers");
    let dir = tempfile::tempdir().expect("temp dir");
    // CLV_BENCH_CSV=dir keeps the summary there, to time or profile either side alone
    let path = match std::env::var("CLV_BENCH_CSV") {
        Ok(keep) => Path::new(&keep).join("summary_1m.csv"),
        Err(_) => dir.path().join("summary_1m.csv"),
    };
    let mut csv = String::with_capacity(n * 40);
    csv.push_str("frequency,recency,T\n");
    for (x, tx, t) in &customers {
        let _ = writeln!(csv, "{x},{tx},{t}");
    }
    std::fs::write(&path, &csv).expect("write the summary");
    let file = path.to_str().expect("utf-8 path");
    println!("summary: {n} customers, {:.1} MiB ({})", csv.len() as f64 / 1048576.0, path.display());

    let have_lifetimes = match Command::new(&python).args(["-c", "import lifetimes, pandas"]).output() {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            println!(
                "lifetimes is not importable by {python} ({}): measuring journey only; set LIFETIMES_PYTHON",
                String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("no message")
            );
            false
        }
        Err(e) => {
            println!("cannot run {python} ({e}): measuring journey only; set LIFETIMES_PYTHON");
            false
        }
    };

    let exe = std::env::var("JOURNEY_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_journey").to_string());
    let journey =
        || timed(Command::new(&exe).args(["clv", "fit", "--model", "bg-nbd", "--format", "json", "--input", file]));
    let lifetimes = || timed(Command::new(&python).arg(&script).arg(file));

    let (mut best_j, mut best_l) = (Duration::MAX, Duration::MAX);
    let (mut out_j, mut out_l) = (String::new(), String::new());
    let mut ratios = Vec::new();
    for _ in 0..runs {
        let (tj, oj) = journey();
        if tj < best_j {
            best_j = tj;
        }
        out_j = oj;
        if have_lifetimes {
            let (tl, ol) = lifetimes();
            if tl < best_l {
                best_l = tl;
            }
            out_l = ol;
            ratios.push(tl.as_secs_f64() / tj.as_secs_f64());
        }
    }

    let j: serde_json::Value = serde_json::from_str(&out_j).expect("journey's JSON");
    let pj = params(&j["params"]);
    println!("fastest of {runs} round(s), wall time of the whole command:");
    println!(
        "  journey clv fit --model bg-nbd   {:>6.2} s   {} distinct rows, r {:.4}, alpha {:.4}, a {:.4}, b {:.4}",
        best_j.as_secs_f64(),
        j["distinct_rows"],
        pj[0],
        pj[1],
        pj[2],
        pj[3]
    );
    if have_lifetimes {
        let l: serde_json::Value = serde_json::from_str(out_l.trim()).expect("the script's JSON");
        let pl = params(&l["params"]);
        let s = &l["seconds"];
        println!(
            "  lifetimes, weights=              {:>6.2} s   {} distinct rows, r {:.4}, alpha {:.4}, a {:.4}, b {:.4}",
            best_l.as_secs_f64(),
            l["distinct_rows"],
            pl[0],
            pl[1],
            pl[2],
            pl[3]
        );
        println!(
            "    (its last round inside the process: import {:.2} s, read_csv {:.2} s, groupby {:.2} s, fit {:.2} s)",
            s["import"].as_f64().unwrap_or(f64::NAN),
            s["read"].as_f64().unwrap_or(f64::NAN),
            s["compress"].as_f64().unwrap_or(f64::NAN),
            s["fit"].as_f64().unwrap_or(f64::NAN)
        );
        // The comparison means something only if both found the same optimum.
        for (a, b) in pj.iter().zip(&pl) {
            assert!((a - b).abs() <= 0.01 * b.abs(), "journey {pj:?} and lifetimes {pl:?} disagree");
        }
        let show = ratios.iter().map(|r| format!("{r:.1}x")).collect::<Vec<_>>().join(", ");
        let mut sorted = ratios.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "  journey is {:.1}x lifetimes weighted (fastest against fastest; target >= 10x); rounds: {show} (median {:.1}x)",
            best_l.as_secs_f64() / best_j.as_secs_f64(),
            sorted[sorted.len() / 2]
        );
    }
}
