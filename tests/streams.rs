//! Logs that can be read only once (issue 19): standard input (`-`), a named pipe,
//! `/dev/stdin`, and gzip/zstd files are read in one pass by `journey simulate` and
//! `journey events validate`, and give the same results as the plain file. A small
//! shop of its own, not journeys/.

mod common;
use common::{code, stderr, stdout};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const SHOP: &str = "event signup { plan: text }\nevent order { amount: money }\n\
channel email { kind email }\n\
journey welcome {\n  entry on signup\n  stage hello {\n    send email \"welcome\"\n    wait 2d\n    send email \"tips\"\n    end\n  }\n}\n";

fn shop() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journey.yaml"), "timezone: UTC\ncurrency: EUR\n").unwrap();
    std::fs::write(dir.path().join("shop.journey"), SHOP).unwrap();
    let mut log = String::from("customer_id,timestamp,event,plan,amount\n");
    for i in 0..40 {
        log.push_str(&format!("c{i},2026-03-{:02}T09:00:00Z,signup,free,\n", 1 + i % 20));
        log.push_str(&format!("c{i},2026-03-{:02}T12:00:00Z,order,,{}.50\n", 2 + i % 20, 10 + i));
    }
    std::fs::write(dir.path().join("log.csv"), &log).unwrap();
    (dir, log)
}

/// `journey ARGS` in `dir` with `input` on standard input.
fn with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_journey"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sink = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sink.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// The report without its first line (which names the log).
fn body(out: &std::process::Output) -> String {
    stdout(out).lines().skip(1).collect::<Vec<_>>().join("\n")
}

#[test]
fn simulate_reads_standard_input_once_with_the_same_result() {
    let (dir, log) = shop();
    let file = common::journey(&["simulate", "--events", "log.csv"], dir.path());
    assert_eq!(code(&file), 0, "{}", stderr(&file));
    assert!(stdout(&file).contains("80"), "{}", stdout(&file));
    let piped = with_stdin(dir.path(), &["simulate", "--events", "-"], log.as_bytes());
    assert_eq!(code(&piped), 0, "{}", stderr(&piped));
    assert_eq!(body(&piped), body(&file));
    // /dev/stdin is a pipe here: before, the second pass found it empty
    #[cfg(target_os = "linux")]
    {
        let dev = with_stdin(dir.path(), &["simulate", "--events", "/dev/stdin"], log.as_bytes());
        assert_eq!(code(&dev), 0, "{}", stderr(&dev));
        assert_eq!(body(&dev), body(&file));
    }
    let piped = with_stdin(dir.path(), &["events", "validate", "-"], log.as_bytes());
    assert_eq!(code(&piped), 0, "{}", stderr(&piped));
    assert!(stdout(&piped).starts_with("standard input: 80 rows, 80 events, 40 customers"), "{}", stdout(&piped));
}

#[test]
fn simulate_reads_compressed_logs_directly() {
    let (dir, log) = shop();
    let file = common::journey(&["simulate", "--events", "log.csv"], dir.path());
    let gz = dir.path().join("log.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(log.as_bytes()).unwrap();
    enc.finish().unwrap();
    std::fs::write(dir.path().join("log.csv.zst"), zstd::encode_all(log.as_bytes(), 3).unwrap()).unwrap();
    for name in ["log.csv.gz", "log.csv.zst"] {
        let out = common::journey(&["simulate", "--events", name], dir.path());
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert_eq!(body(&out), body(&file), "{name}");
        let out = common::journey(&["events", "validate", name], dir.path());
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert!(stdout(&out).contains(": 80 rows, 80 events, 40 customers"), "{}", stdout(&out));
    }
}

#[cfg(unix)]
#[test]
fn simulate_reads_a_named_pipe_without_hanging() {
    let (dir, log) = shop();
    let file = common::journey(&["simulate", "--events", "log.csv"], dir.path());
    let fifo = dir.path().join("log.fifo.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
    if !made {
        eprintln!("note: mkfifo is not available; skipping");
        return;
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // a writer that opens the pipe once: a second open by the reader would hang
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let _ = f.write_all(log.as_bytes());
        })
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_journey"))
        .args(["simulate", "--events", "log.fifo.csv"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            // unblock the writer thread, if it still waits for a reader
            let _ = std::fs::File::open(&fifo);
            panic!("simulate hangs on a named pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    // a writer still waiting for a reader (journey failed before opening the pipe)
    // is released by a reader that opens without blocking
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&fifo);
    }
    writer.join().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(body(&out), body(&file));
}

/// `events validate` tells rows from lines when quoted fields span lines, so a person
/// can see that no quote swallowed rows.
#[test]
fn validate_tells_rows_from_lines() {
    let (dir, _) = shop();
    let log = "customer_id,timestamp,event,plan,amount\nc1,2026-03-01T09:00:00Z,signup,\"free\nplan\",\n";
    std::fs::write(dir.path().join("m.csv"), log).unwrap();
    let out = common::journey(&["events", "validate", "m.csv"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("note: 1 row spans several lines (quoted line breaks): 1 row from 3 lines"),
        "{}",
        stdout(&out)
    );
}
