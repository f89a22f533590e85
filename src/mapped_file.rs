//! A file's text read in place through a memory map, for the million-line
//! summaries `journey clv fit` reads: no copy of 25 MiB into a `String` first,
//! and the pages are read as the parser reaches them.
//!
//! A map shows the file as it is while it is read. If another process
//! truncates the file meanwhile, touching the lost pages ends this process
//! with SIGBUS (killed, no error message); if it rewrites it, the text may be
//! read half old, half new. So a file still being written must not be fitted
//! (copy it first). Anything that is not a non-empty regular file (a pipe,
//! /dev/stdin, a terminal), a file that cannot be mapped and a file that is
//! not UTF-8 are read as before, with the errors `std::fs::read_to_string`
//! gives.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Call `f` with the text of the file at `path`, mapped where it can be.
pub fn with_file_text<R>(path: &Path, f: impl FnOnce(&str) -> R) -> std::io::Result<R> {
    let mut file = File::open(path)?;
    let regular = file.metadata().is_ok_and(|m| m.is_file() && m.len() > 0);
    if regular {
        // SAFETY: the map is read-only and private to this call; the only
        // hazard is another process changing the file while it is read, which
        // the module comment documents (SIGBUS on truncation).
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            if let Ok(text) = std::str::from_utf8(&map) {
                return Ok(f(text));
            }
        }
    }
    // As std::fs::read_to_string reads (the map left the position at 0).
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(f(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_read_and_refused_files_give_what_read_to_string_gives() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8]); 4] = [
            ("plain.csv", b"frequency,recency,T\n1,2,3\n"),
            ("empty.csv", b""),
            ("bad.csv", b"ab\xffcd"),
            ("bom.csv", "\u{feff}x".as_bytes()),
        ];
        for (name, bytes) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let mapped = with_file_text(&path, |t| t.to_string()).map_err(|e| e.to_string());
            let read = std::fs::read_to_string(&path).map_err(|e| e.to_string());
            assert_eq!(mapped, read, "{name}");
        }
        let missing = dir.path().join("missing.csv");
        assert_eq!(
            with_file_text(&missing, |t| t.len()).map_err(|e| e.to_string()),
            std::fs::read_to_string(&missing).map(|t| t.len()).map_err(|e| e.to_string())
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_pipe_is_read_not_mapped() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "printf 'frequency,recency,T\\n1,2,3\\n'"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let fd = child.stdout.take().unwrap();
        use std::os::fd::AsRawFd;
        let path = format!("/dev/fd/{}", fd.as_raw_fd());
        let text = with_file_text(Path::new(&path), |t| t.to_string()).unwrap();
        assert_eq!(text, "frequency,recency,T\n1,2,3\n");
        drop(fd);
        child.wait().unwrap();
    }
}
