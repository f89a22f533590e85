//! Catching a panic that stands for bad input, without its text on stderr.
//!
//! A few third-party decoders (the parquet crate on a corrupt file) assert instead of
//! returning an error. Their callers catch the unwind and report the file as corrupt,
//! but Rust's default hook has already printed `thread 'main' panicked at …` by then:
//! a user would read a crash where there is a clear message. [`catch_quietly`] keeps
//! the hook quiet for panics inside it only; every other panic prints as before.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many [`catch_quietly`] calls are running on this thread (they may nest).
    static QUIET: Cell<u32> = const { Cell::new(0) };
}

static HOOK: Once = Once::new();

/// Run `f`, turning a panic into `Err` without printing it.
///
/// The process-wide hook is wrapped once: it delegates to whatever hook was set
/// before (Rust's default, a host program's own) unless the panicking thread is
/// inside `catch_quietly`, so other threads and later panics are untouched.
pub fn catch_quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(q.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get() - 1));
    result
}

#[cfg(test)]
mod tests {
    use super::catch_quietly;

    #[test]
    fn a_panic_inside_is_an_err_and_the_value_otherwise() {
        assert_eq!(catch_quietly(|| 7).ok(), Some(7));
        let caught = catch_quietly(|| -> u8 { panic!("a decoder's assertion") });
        let message = caught.unwrap_err();
        assert_eq!(message.downcast_ref::<&str>(), Some(&"a decoder's assertion"));
        // nested calls keep the count right: after both end, the hook is loud again
        let nested = catch_quietly(|| catch_quietly(|| -> u8 { panic!("inner") }).is_err());
        assert_eq!(nested.ok(), Some(true));
        assert_eq!(super::QUIET.with(std::cell::Cell::get), 0);
    }
}
