//! A big layer on two cores (native builds only; wasm has one thread).
//!
//! ```text
//! calling thread                              worker thread
//! stored bytes ──┬──── Stored(copy) ────────▶ sha256 → blob digest
//!                └─▶ gunzip/unzstd ─ Plain(buffer) ─▶ sha256 → diff_id, tar listing, capture,
//!                                  └ MemberEnd(trailer) ▶ gzip CRC-32 and length check
//!                     ◀──────────── empty buffers back ───────┘
//! ```
//!
//! Inflating is the longest single task and cannot be split; both sha256
//! passes (≈ as long together), the gzip CRC and the listing go to the
//! worker, so the calling thread does nothing but inflate. gzip inflates straight into the
//! buffers that cross over ([`Worker::take`]); other formats are copied
//! into [`CHUNK`]s. The queue is bounded ([`QUEUE`] buffers of at most a
//! MiB) and buffers are recycled, so memory stays at a few MiB whatever the
//! layer size. Results are the same as on one thread: the worker sees every
//! byte in order, and its state comes back at the end.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::decode::Trailer;
use super::layer::{check_failed, LayerSink};
use crate::oci::Hasher;

/// Decompressed bytes handed over at a time.
const CHUNK: usize = 1 << 20;
/// Buffers in flight between the threads.
const QUEUE: usize = 16;

// `Start` is sent once per layer; boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Msg {
    /// The state to work on; always the first message.
    Start(Box<LayerSink>, Hasher),
    /// Bytes of the blob as stored.
    Stored(Vec<u8>),
    /// Decompressed bytes of the layer: the first `len` of the buffer.
    Plain(Vec<u8>, usize),
    /// A gzip member ended, after its last `Plain` bytes.
    MemberEnd(Trailer),
}

/// The worker's state, given back when it is done.
type Done = (Box<LayerSink>, Hasher);

/// The calling thread's end of the pipeline.
pub(crate) struct Worker {
    tx: Option<SyncSender<Msg>>,
    free: Receiver<Vec<u8>>,
    plain: Vec<u8>,
    /// Set by the worker when a gzip member failed its check: what is
    /// decoded after it would be ignored, so decoding can stop.
    failed: Arc<AtomicBool>,
    handle: Option<JoinHandle<Option<Done>>>,
}

impl Worker {
    /// Moves `sink` (the decompressed side) and `stored` (the hash of the
    /// stored bytes so far) to a new thread. When no thread can be started
    /// both come back and the caller goes on alone.
    #[allow(clippy::result_large_err)] // once per layer
    pub fn start(sink: Box<LayerSink>, stored: Hasher) -> Result<Worker, Done> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let (free_tx, free) = mpsc::channel();
        let failed = Arc::new(AtomicBool::new(false));
        let flag = failed.clone();
        let spawned = std::thread::Builder::new()
            .name("layerkit-layer".into())
            .spawn(move || work(rx, free_tx, flag));
        let Ok(handle) = spawned else {
            return Err((sink, stored));
        };
        if let Err(mpsc::SendError(Msg::Start(sink, stored))) = tx.send(Msg::Start(sink, stored)) {
            return Err((sink, stored));
        }
        Ok(Worker {
            tx: Some(tx),
            free,
            plain: Vec::new(),
            failed,
            handle: Some(handle),
        })
    }

    /// A recycled buffer (its old content still in it), or an empty one.
    fn recycled(&mut self) -> Vec<u8> {
        self.free.try_recv().unwrap_or_default()
    }

    fn buffer(&mut self) -> Vec<u8> {
        let mut b = self.recycled();
        b.clear();
        b.reserve(CHUNK);
        b
    }

    /// Decoded bytes are wanted still (see `failed`).
    fn wanted(&self) -> io::Result<()> {
        match self.failed.load(Ordering::Relaxed) {
            true => Err(check_failed()),
            false => Ok(()),
        }
    }

    fn send(&mut self, msg: Msg) -> io::Result<()> {
        let Some(tx) = &self.tx else {
            return Err(io::Error::other("worker finished"));
        };
        match tx.try_send(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(msg)) => tx.send(msg).map_err(|_| stopped()),
            Err(TrySendError::Disconnected(_)) => Err(stopped()),
        }
    }

    /// Bytes of the blob as stored, for its digest. A worker that stopped
    /// (a capture failed) is noticed on the next [`Worker::plain`] or at
    /// [`Worker::finish`].
    pub fn stored(&mut self, data: &[u8]) {
        let mut b = self.buffer();
        b.extend_from_slice(data);
        let _ = self.send(Msg::Stored(b));
    }

    /// Decompressed bytes, sent on in [`CHUNK`]s.
    pub fn plain(&mut self, mut data: &[u8]) -> io::Result<()> {
        self.wanted()?;
        while !data.is_empty() {
            if self.plain.capacity() == 0 {
                self.plain = self.buffer();
            }
            let take = (CHUNK - self.plain.len()).min(data.len());
            self.plain.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.plain.len() == CHUNK {
                let full = std::mem::take(&mut self.plain);
                self.send(Msg::Plain(full, CHUNK))?;
            }
        }
        Ok(())
    }

    /// Decompressed bytes `buf[..len]`, handed over whole; gives back a
    /// buffer to decode into next (recycled, or empty: the caller sizes it).
    pub fn take(&mut self, buf: Vec<u8>, len: usize) -> io::Result<Vec<u8>> {
        self.wanted()?;
        if !self.plain.is_empty() {
            let pending = std::mem::take(&mut self.plain);
            let n = pending.len();
            self.send(Msg::Plain(pending, n))?;
        }
        self.send(Msg::Plain(buf, len))?;
        Ok(self.recycled())
    }

    /// A gzip member ended: the worker checks it against its content.
    pub fn member_end(&mut self, trailer: Trailer) -> io::Result<()> {
        self.wanted()?;
        if !self.plain.is_empty() {
            let pending = std::mem::take(&mut self.plain);
            let n = pending.len();
            self.send(Msg::Plain(pending, n))?;
        }
        self.send(Msg::MemberEnd(trailer))
    }

    /// Sends what is left, waits for the worker and takes its state back.
    /// `None` only if the worker never received its state (it cannot
    /// happen: the state is the first message, sent by `start`).
    pub fn finish(mut self) -> Option<Done> {
        if !self.plain.is_empty() {
            let rest = std::mem::take(&mut self.plain);
            let n = rest.len();
            let _ = self.send(Msg::Plain(rest, n));
        }
        self.tx = None;
        let handle = self.handle.take()?;
        match handle.join() {
            Ok(done) => done,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

fn stopped() -> io::Error {
    io::Error::other("capture failed")
}

fn work(rx: Receiver<Msg>, free: Sender<Vec<u8>>, failed: Arc<AtomicBool>) -> Option<Done> {
    let Ok(Msg::Start(mut sink, mut stored)) = rx.recv() else {
        return None;
    };
    for msg in rx.iter() {
        let buf = match msg {
            Msg::Start(..) => continue,
            Msg::Stored(b) => {
                stored.update(&b);
                b
            }
            Msg::Plain(b, len) => {
                if sink.consume(&b[..len]).is_err() {
                    // Fatal (a capture failed): dropping the receiver
                    // stops the sender at its next message.
                    break;
                }
                b
            }
            Msg::MemberEnd(t) => {
                if sink.member_end(&t).is_err() {
                    // The stored bytes are still hashed: go on.
                    failed.store(true, Ordering::Relaxed);
                }
                continue;
            }
        };
        let _ = free.send(buf);
    }
    Some((sink, stored))
}
