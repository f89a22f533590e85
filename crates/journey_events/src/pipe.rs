//! A [`LogReader`] on its own thread. Parsing and simulating are both sequential, but
//! independent: with the reader one batch ahead on a second core, a replay takes as
//! long as the slower of the two instead of their sum.
//!
//! The consumer sees the same stream as from [`LogReader`] itself: the same events in
//! the same order, the same first error (after the events before it), and the same
//! ids, because the key and text interners are append-only and every batch carries the
//! strings interned while it was read, which the consumer appends to its own copies.
//! Memory stays bounded: at most `ahead` batches (and the one being read) are in
//! flight (see [`PipedReader::spawn`]).

use crate::{Event, Interner, LogReader, ReadError, SkipCounts};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// A batch size large enough that the hand-over costs nothing per event.
pub const BATCH: usize = 8192;

struct Batch {
    events: Vec<Event>,
    new_keys: Vec<Box<str>>,
    new_texts: Vec<Box<str>>,
    /// The reader stopped here: its error, if any, and the final skip counts.
    end: Option<(Option<ReadError>, SkipCounts)>,
    /// Rows read so far (events and skipped rows).
    rows: u64,
}

/// Work beside the reading, on the reader's thread: [`Tap::batch`] sees each batch's
/// events just before they are handed over, and [`Tap::end`] runs once the whole log
/// was read and handed over, with the number of customer keys, while the consumer is
/// still busy with the last batches (a replay's engine is the slower side). Neither
/// runs after a read error (the stream ends there), and `end` not once the consumer
/// stopped listening.
pub trait Tap: Send + 'static {
    fn batch(&mut self, events: &[Event]);
    fn end(self, customers: usize);
}

/// No work beside the reading.
impl Tap for () {
    fn batch(&mut self, _: &[Event]) {}
    fn end(self, _: usize) {}
}

/// Reads a log on a background thread; use like [`LogReader`].
pub struct PipedReader {
    rx: Receiver<Batch>,
    /// Emptied batches back to the reader, which fills them again: a batch is too
    /// large to allocate on one thread and free on another at every turn.
    spare: SyncSender<Vec<Event>>,
    /// Events per batch.
    batch: usize,
    current: std::vec::IntoIter<Event>,
    keys: Interner,
    texts: Interner,
    skipped: SkipCounts,
    rows: u64,
    error: Option<ReadError>,
    finished: bool,
    handle: Option<JoinHandle<()>>,
}

impl PipedReader {
    /// Read `reader` on a thread of its own, in batches of `batch` events (at least
    /// [`BATCH`], so the hand-over costs nothing per event), up to `ahead` batches
    /// ahead of the consumer (one is enough when the reader is the faster).
    pub fn spawn(reader: LogReader, batch: usize, ahead: usize) -> PipedReader {
        PipedReader::spawn_tapped(reader, batch, ahead, ())
    }

    /// [`PipedReader::spawn`], with work that needs only the events done on the
    /// reader's thread too, where it costs the consumer nothing (see [`Tap`]).
    pub fn spawn_tapped(mut reader: LogReader, batch: usize, ahead: usize, mut tap: impl Tap) -> PipedReader {
        let (size, ahead) = (batch.max(1), ahead.max(1));
        let (tx, rx) = sync_channel::<Batch>(ahead);
        let (spare, spares) = sync_channel::<Vec<Event>>(ahead + 2);
        let handle = std::thread::Builder::new()
            .name("journey-reader".into())
            .spawn(move || {
                let (mut keys_sent, mut texts_sent) = (0, 0);
                loop {
                    let mut events = spares.try_recv().unwrap_or_else(|_| Vec::with_capacity(size));
                    events.clear();
                    let mut end = None;
                    while events.len() < size {
                        match reader.next_event() {
                            Some(Ok(e)) => events.push(e),
                            Some(Err(e)) => {
                                end = Some((Some(e), reader.skipped().clone()));
                                break;
                            }
                            None => {
                                end = Some((None, reader.skipped().clone()));
                                break;
                            }
                        }
                    }
                    let new_keys = reader.interner().names_from(keys_sent);
                    let new_texts = reader.texts().names_from(texts_sent);
                    keys_sent += new_keys.len();
                    texts_sent += new_texts.len();
                    let last = end.is_some();
                    let failed = matches!(end, Some((Some(_), _)));
                    if !failed {
                        tap.batch(&events);
                    }
                    let batch = Batch { events, new_keys, new_texts, end, rows: reader.rows() };
                    // the consumer stopped listening (it failed or quit): stop reading
                    if tx.send(batch).is_err() {
                        return;
                    }
                    if last {
                        if !failed {
                            tap.end(keys_sent);
                        }
                        return;
                    }
                }
            })
            .expect("spawn the reader thread");
        PipedReader {
            rx,
            spare,
            batch: size,
            current: Vec::new().into_iter(),
            keys: Interner::default(),
            texts: Interner::default(),
            skipped: SkipCounts::default(),
            rows: 0,
            error: None,
            finished: false,
            handle: Some(handle),
        }
    }

    /// The next event, exactly as [`LogReader::next_event`] would return it.
    pub fn next_event(&mut self) -> Option<Result<Event, ReadError>> {
        loop {
            if let Some(e) = self.current.next() {
                return Some(Ok(e));
            }
            if self.finished {
                return self.error.take().map(Err);
            }
            self.current = self.receive().into_iter();
        }
    }

    /// The next events as the reader thread batched them (up to its batch size; never
    /// empty), then the error if reading failed: the same stream as
    /// [`PipedReader::next_event`] without moving each event once more.
    pub fn next_batch(&mut self) -> Option<Result<Vec<Event>, ReadError>> {
        let rest: Vec<Event> = self.current.by_ref().collect();
        if !rest.is_empty() {
            return Some(Ok(rest));
        }
        loop {
            if self.finished {
                return self.error.take().map(Err);
            }
            let events = self.receive();
            if !events.is_empty() {
                return Some(Ok(events));
            }
        }
    }

    /// Give an emptied batch from [`PipedReader::next_batch`] back for reuse.
    pub fn recycle(&mut self, batch: Vec<Event>) {
        if batch.capacity() >= self.batch {
            // a full return channel drops it: nothing is lost but the allocation
            let _ = self.spare.try_send(batch);
        }
    }

    /// The next batch's events (empty at the end), with its strings interned.
    fn receive(&mut self) -> Vec<Event> {
        let Ok(batch) = self.rx.recv() else {
            // the reader thread ended without an end marker: it panicked, and a
            // panic is a bug to surface as it is, as on one thread
            self.finished = true;
            if let Some(Err(payload)) = self.handle.take().map(JoinHandle::join) {
                std::panic::resume_unwind(payload);
            }
            return Vec::new();
        };
        for k in &batch.new_keys {
            self.keys.intern(k);
        }
        for t in &batch.new_texts {
            self.texts.intern(t);
        }
        self.rows = batch.rows;
        if let Some((error, skipped)) = batch.end {
            self.finished = true;
            self.error = error;
            self.skipped = skipped;
        }
        batch.events
    }

    /// Customer keys of the events returned so far (see [`LogReader::interner`]).
    pub fn interner(&self) -> &Interner {
        &self.keys
    }
    /// Text property values of the events returned so far.
    pub fn texts(&self) -> &Interner {
        &self.texts
    }
    /// Rows skipped; complete once the stream has ended.
    pub fn skipped(&self) -> &SkipCounts {
        &self.skipped
    }
    /// Rows read by the reader thread so far (it runs up to `ahead` batches ahead).
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

impl Iterator for PipedReader {
    type Item = Result<Event, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

impl Drop for PipedReader {
    fn drop(&mut self) {
        // Stopped early (an error, or the consumer quit): the receiver must go before
        // the join, so the reader's next send fails and it stops after at most one
        // more batch instead of reading the rest of the log.
        if let Some(h) = self.handle.take() {
            let (tx, rx) = sync_channel::<Batch>(0);
            drop(tx);
            drop(std::mem::replace(&mut self.rx, rx));
            let _ = h.join();
        }
    }
}
