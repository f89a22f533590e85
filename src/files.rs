//! Writing what a run produces, so that nothing is lost and nothing panics.
//!
//! * Standard output goes through [`out!`]/[`outln!`]: a write error (disk full, quota,
//!   `> /dev/full`) becomes a message and exit 2 instead of the panic of `print!`. A
//!   closed pipe (`| head -1`) ends the process quietly through SIGPIPE, as any Unix
//!   tool does (see `restore_sigpipe` in main.rs).
//! * Files go through [`AtomicFile`]: the bytes are written to a temporary file in the
//!   same directory and renamed over the target only once they are all on disk, so a
//!   failed or interrupted write leaves the old file as it was. A new file gets the
//!   usual permissions (0666 minus the umask); an existing one keeps its mode and
//!   owner, and one with several hard links (or whose owner cannot be kept) is written
//!   through, so every link sees the new content. Read-only files are refused, as an
//!   editor would. Devices and FIFOs (`--trace /dev/stdout`) are written directly.

use std::fs::{File, Metadata};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A write that failed: which output, and why, in the operating system's words.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot write {what}: {cause}")]
#[diagnostic(code(journey::write), help("{help}"))]
pub struct WriteError {
    what: String,
    cause: String,
    help: &'static str,
}

impl WriteError {
    pub fn new(path: &Path, cause: impl std::fmt::Display) -> WriteError {
        WriteError {
            what: path.display().to_string(),
            cause: plain(cause.to_string()),
            help: "check that the directory exists, is writable and has free space",
        }
    }

    fn stdout(cause: io::Error) -> WriteError {
        WriteError {
            what: "to standard output".into(),
            cause: plain(cause.to_string()),
            help: "check the disk or file that standard output is redirected to",
        }
    }

    fn read_only(path: &Path) -> WriteError {
        WriteError {
            what: path.display().to_string(),
            cause: "the file is read-only".into(),
            help: "make it writable first (chmod u+w) if it should be changed",
        }
    }
}

/// `No space left on device (os error 28)` reads better without the number.
fn plain(s: String) -> String {
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Write to standard output (used by [`out!`] and [`outln!`]).
pub fn out(args: std::fmt::Arguments) -> Result<(), WriteError> {
    io::stdout().lock().write_fmt(args).map_err(WriteError::stdout)
}

/// Flush standard output at the end of a run: what is still buffered is part of the
/// output, and a failure here is as real as one in the middle.
pub fn flush_stdout() -> Result<(), WriteError> {
    io::stdout().lock().flush().map_err(WriteError::stdout)
}

/// `print!` that returns an error instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::files::out(format_args!($($arg)*)) };
}

/// `println!` that returns an error instead of panicking.
#[macro_export]
macro_rules! outln {
    () => { $crate::files::out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::files::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Standard output as a `Write` whose errors name it (for writers that stream).
pub fn stdout_err(e: io::Error) -> WriteError {
    WriteError::stdout(e)
}

/// Write `bytes` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|e| WriteError::new(path, e))?;
    f.commit()
}

/// Fail early, before a long run, when `path` could not be written: its directory is
/// missing, it is a directory, or it is read-only.
pub fn check_writable(path: &Path) -> Result<(), WriteError> {
    let dir = parent(path);
    if !dir.is_dir() {
        return Err(WriteError::new(path, format_args!("{} is not a directory", dir.display())));
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(WriteError::new(path, "it is a directory")),
        Ok(m) if m.is_file() && m.permissions().readonly() => Err(WriteError::read_only(path)),
        _ => Ok(()),
    }
}

fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// A file being written: all of it or none of it reaches `path` (see the module's
/// comment). Dropped without [`AtomicFile::commit`], it leaves the old file untouched.
pub struct AtomicFile {
    /// Where the bytes end up (a symbolic link resolved to its target).
    path: PathBuf,
    /// The name the user gave, for messages.
    shown: PathBuf,
    sink: Sink,
}

enum Sink {
    /// A regular file (new or replaced): a temporary file next to it.
    Temp { out: BufWriter<tempfile::NamedTempFile>, existing: Option<Metadata> },
    /// A device or FIFO: there is nothing to replace, so the bytes go straight there.
    Direct(BufWriter<File>),
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile, WriteError> {
        check_writable(path)?;
        let err = |e: io::Error| WriteError::new(path, e);
        // a symbolic link stays a link: the file it points to is what changes
        let target = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            _ => path.to_path_buf(),
        };
        let existing = std::fs::metadata(&target).ok();
        if let Some(m) = &existing {
            if !m.is_file() {
                let f = std::fs::OpenOptions::new().write(true).truncate(true).open(&target).map_err(err)?;
                return Ok(AtomicFile {
                    path: target,
                    shown: path.to_path_buf(),
                    sink: Sink::Direct(BufWriter::with_capacity(1 << 16, f)),
                });
            }
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(".journey-").suffix(".tmp");
        // 0666: the operating system takes the umask off when the file is created
        // (tempfile's own default, 0600, suits secrets, not reports)
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder.tempfile_in(parent(&target)).map_err(err)?;
        Ok(AtomicFile {
            path: target,
            shown: path.to_path_buf(),
            sink: Sink::Temp { out: BufWriter::with_capacity(1 << 16, tmp), existing },
        })
    }

    /// Put the whole content in place; an error leaves the old file as it was.
    pub fn commit(self) -> Result<(), WriteError> {
        let shown = self.shown;
        let err = |e: io::Error| WriteError::new(&shown, e);
        match self.sink {
            Sink::Direct(mut out) => out.flush().map_err(err),
            Sink::Temp { out, existing } => {
                let tmp = out.into_inner().map_err(|e| err(e.into_error()))?;
                tmp.as_file().sync_all().map_err(err)?;
                if let Some(m) = existing {
                    if !keep_metadata(tmp.as_file(), &m) {
                        return write_through(tmp, &self.path).map_err(err);
                    }
                }
                tmp.persist(&self.path).map_err(|e| err(e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Temp { out, .. } => out.write(buf),
            Sink::Direct(out) => out.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Temp { out, .. } => out.write_all(buf),
            Sink::Direct(out) => out.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Temp { out, .. } => out.flush(),
            Sink::Direct(out) => out.flush(),
        }
    }
}

/// Give the replacement the old file's mode and owner. `false` when the rename would
/// lose something (several hard links, an owner that cannot be given back): then the
/// content is written through the existing file instead.
fn keep_metadata(tmp: &File, old: &Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if old.nlink() > 1 {
            return false;
        }
        if tmp.set_permissions(old.permissions()).is_err() {
            return false;
        }
        let Ok(new) = tmp.metadata() else { return false };
        if (new.uid(), new.gid()) != (old.uid(), old.gid())
            && std::os::unix::fs::fchown(tmp, Some(old.uid()), Some(old.gid())).is_err()
        {
            return false;
        }
        true
    }
    #[cfg(not(unix))]
    {
        tmp.set_permissions(old.permissions()).is_ok()
    }
}

/// Copy the finished temporary file into the existing one (which keeps its inode:
/// links, owner, mode). The temporary file is removed when `tmp` is dropped.
fn write_through(tmp: tempfile::NamedTempFile, target: &Path) -> io::Result<()> {
    let mut from = tmp.reopen()?;
    let mut to = std::fs::OpenOptions::new().write(true).truncate(true).open(target)?;
    io::copy(&mut from, &mut to)?;
    to.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        std::fs::write(&p, "old").unwrap();
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"new, half written").unwrap();
            // dropped without commit: as if the run had failed
        }
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left behind");
        write_atomically(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
    }

    #[test]
    fn os_error_numbers_are_left_out() {
        assert_eq!(plain("No space left on device (os error 28)".into()), "No space left on device");
    }
}
