//! The record batches of a Parquet log, decoded on a thread of their own one or two
//! batches ahead of the thread that builds their rows.
//!
//! Why: arrow's decoder is about half the time of reading a Parquet log and the row
//! build the other half; on two cores they overlap. Nothing else changes: the batches
//! come in file order, each exactly as the decoder made it, and an error or a corrupt
//! file is handed over at the place it was met; the rows are built on the reading
//! thread as before, so events, ids, errors and their order are the same.

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReader;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Batches decoded but not yet built: enough to keep the decoder busy while one is
/// built, few enough to stay in the cache (8,192 rows of every mapped column each).
const QUEUED: usize = 2;

/// A file of fewer batches than this is decoded on the reading thread: a thread costs
/// more than it saves on a few batches (and the fuzz run reads millions of tiny files).
const MIN_BATCHES: u64 = 4;

/// What the decoder gave for the next batch.
pub(crate) enum Decoded {
    Batch(RecordBatch),
    /// The decoder's error (the reader stops at it).
    Failed(String),
    /// The decoder panicked: the file is corrupt, nothing more is decoded.
    Corrupt,
    End,
}

/// One step of the decoder. The parquet crate can panic on a corrupt file (an
/// assertion in its decoders, found by the fuzz harness): that is a bad file, not a
/// bug here.
fn decode(reader: &mut ParquetRecordBatchReader) -> Decoded {
    // quietly: the panic's own text would read as a crash before the clear message
    match journey_diagnostics::quiet_panic::catch_quietly(|| reader.next()) {
        Err(_) => Decoded::Corrupt,
        Ok(None) => Decoded::End,
        Ok(Some(Err(e))) => Decoded::Failed(e.to_string()),
        Ok(Some(Ok(batch))) => Decoded::Batch(batch),
    }
}

pub(crate) enum Batches {
    /// Decoded on the reading thread when asked for. `ahead`: move the decoder to a
    /// thread of its own at the first batch.
    Here { reader: Option<ParquetRecordBatchReader>, ahead: bool },
    /// Decoded on the thread `worker`, handed over through `batches`.
    Ahead { batches: Option<Receiver<Decoded>>, worker: Option<JoinHandle<()>> },
}

impl Batches {
    /// The batches of `reader`, `rows` rows in `batch` a batch: decoded ahead on two
    /// or more cores and more than a few batches.
    pub(crate) fn new(reader: ParquetRecordBatchReader, rows: u64, batch: usize) -> Batches {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let ahead = cores > 1 && rows >= MIN_BATCHES * batch as u64;
        Batches::Here { reader: Some(reader), ahead }
    }

    /// Decode ahead or not, whatever the file and the machine (the tests compare both).
    #[cfg(test)]
    pub(crate) fn set_ahead(&mut self, on: bool) {
        if let Batches::Here { ahead, .. } = self {
            *ahead = on;
        }
    }

    pub(crate) fn next(&mut self) -> Decoded {
        if let Batches::Here { reader, ahead: true } = self {
            if let Some(reader) = reader.take() {
                *self = Batches::spawn(reader);
            }
        }
        match self {
            Batches::Here { reader: Some(reader), .. } => decode(reader),
            Batches::Here { reader: None, .. } => Decoded::End,
            // the worker always says how it ended; a channel closed without it means
            // the worker died
            Batches::Ahead { batches, .. } => match batches.as_ref().map(Receiver::recv) {
                Some(Ok(Decoded::End)) => {
                    // the worker is done: asked again, the answer stays `End`
                    *self = Batches::Here { reader: None, ahead: false };
                    Decoded::End
                }
                Some(Ok(d)) => d,
                _ => Decoded::Failed("the Parquet decoder stopped".into()),
            },
        }
    }

    /// Start the worker; if no thread can be started, decode here.
    fn spawn(reader: ParquetRecordBatchReader) -> Batches {
        let (tx, rx) = sync_channel(QUEUED);
        // the worker takes the reader from here; if it cannot start, it is taken back
        let slot = Arc::new(Mutex::new(Some(reader)));
        let theirs = Arc::clone(&slot);
        let worker = std::thread::Builder::new().name("parquet decoder".into()).spawn(move || {
            let taken = theirs.lock().map(|mut r| r.take());
            let Ok(Some(mut reader)) = taken else { return };
            loop {
                let d = decode(&mut reader);
                let last = matches!(d, Decoded::Corrupt | Decoded::End);
                // a send fails once the reading side is gone: stop
                if tx.send(d).is_err() || last {
                    return;
                }
            }
        });
        match worker {
            Ok(worker) => Batches::Ahead { batches: Some(rx), worker: Some(worker) },
            Err(_) => {
                let reader = slot.lock().ok().and_then(|mut r| r.take());
                Batches::Here { reader, ahead: false }
            }
        }
    }
}

impl Drop for Batches {
    /// Stop the worker: with the receiving side gone its next send fails, and it ends
    /// after the batch it is decoding.
    fn drop(&mut self) {
        if let Batches::Ahead { batches, worker } = self {
            drop(batches.take());
            if let Some(w) = worker.take() {
                let _ = w.join();
            }
        }
    }
}
