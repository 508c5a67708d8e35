//! Layer compression on every core: gzip as pigz does it, and zstd.
//!
//! gzip: the input is cut into blocks of [`BLOCK`] bytes; each core
//! deflates whole blocks, each primed with the last 32 KiB of the block
//! before it (the decompressor has those bytes as history anyway, so
//! matches may reach back into them) and ending with a sync flush so the
//! pieces concatenate into one deflate stream. The main thread writes them in
//! order behind a single gzip header, keeps the CRC-32 and size for the
//! trailer, and ends the stream with an empty final block. The result is one
//! ordinary gzip member (`gzip -d`, Go, browsers all read it), and the same
//! input gives the same bytes whatever the number of cores.
//!
//! zstd: libzstd's own worker threads (also deterministic across thread
//! counts).
//!
//! [`LayerWriter`] wraps either: it takes the uncompressed tar, and reports
//! the diff id (digest of what went in) and the blob's digest and size (what
//! came out).

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use flate2::{Compress, FlushCompress};
use layerkit::oci::{Digest, Hasher};

/// Input bytes per parallel gzip block.
pub const BLOCK: usize = 1 << 20;

/// How to compress a layer or an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    Gzip,
    Zstd,
    None,
}

impl Method {
    pub fn compression(self) -> layerkit::oci::Compression {
        match self {
            Method::Gzip => layerkit::oci::Compression::Gzip,
            Method::Zstd => layerkit::oci::Compression::Zstd,
            Method::None => layerkit::oci::Compression::None,
        }
    }
}

/// How many compression threads to use: the cores there are.
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// A compressed block and the input buffer it came from (for reuse).
type Done = io::Result<(Vec<u8>, Vec<u8>)>;
/// A block, the 32 KiB of input before it, where to send the result.
type Job = (Vec<u8>, Vec<u8>, SyncSender<Done>);

/// Deflate's window: how far back a match can reach.
const WINDOW: usize = 32 * 1024;

/// A gzip writer that deflates blocks on `threads` threads.
pub struct ParGzWriter<W: Write> {
    out: Option<W>,
    level: u32,
    block: Vec<u8>,
    /// The last [`WINDOW`] bytes of the previous block.
    dict: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
    jobs: Option<SyncSender<Job>>,
    pending: std::collections::VecDeque<Receiver<Done>>,
    max_pending: usize,
    /// Input buffers back from finished blocks.
    spare: Vec<Vec<u8>>,
    workers: Vec<JoinHandle<()>>,
    header_written: bool,
}

impl<W: Write> ParGzWriter<W> {
    pub fn new(out: W, level: u32, threads: usize) -> ParGzWriter<W> {
        let threads = threads.max(1);
        let (tx, rx) = sync_channel::<Job>(threads);
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let workers = (0..threads)
            .filter_map(|_| {
                let rx = rx.clone();
                let work = move || loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    let Ok((data, dict, reply)) = job else {
                        return;
                    };
                    let done = deflate_block(&data, &dict, level);
                    let _ = reply.send(done.map(|out| (out, data)));
                };
                std::thread::Builder::new()
                    .name("layerkit-gzip".into())
                    .spawn(work)
                    .ok()
            })
            .collect();
        ParGzWriter {
            out: Some(out),
            level,
            block: Vec::with_capacity(BLOCK),
            dict: Vec::new(),
            crc: crc32fast::Hasher::new(),
            len: 0,
            jobs: Some(tx),
            pending: std::collections::VecDeque::new(),
            max_pending: threads * 4,
            spare: Vec::new(),
            workers,
            header_written: false,
        }
    }

    fn out(&mut self) -> io::Result<&mut W> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("gzip stream already finished"))
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            // Magic, deflate, no flags, mtime 0, XFL (2 = best, 4 = fastest), OS unknown.
            let xfl = match self.level {
                9 => 2,
                0..=1 => 4,
                _ => 0,
            };
            self.out()?
                .write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255])?;
        }
        Ok(())
    }

    fn write_oldest(&mut self) -> io::Result<()> {
        if let Some(rx) = self.pending.pop_front() {
            let (data, input) = rx
                .recv()
                .map_err(|_| io::Error::other("a compression thread died"))??;
            self.out()?.write_all(&data)?;
            self.spare.push(input);
        }
        Ok(())
    }

    fn send_block(&mut self) -> io::Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        self.header()?;
        while self.pending.len() >= self.max_pending {
            self.write_oldest()?;
        }
        let mut next = self.spare.pop().unwrap_or_default();
        next.clear();
        next.reserve(BLOCK);
        let data = std::mem::replace(&mut self.block, next);
        let dict = std::mem::replace(
            &mut self.dict,
            data[data.len().saturating_sub(WINDOW)..].to_vec(),
        );
        let (reply, rx) = sync_channel(1);
        self.jobs
            .as_ref()
            .ok_or_else(|| io::Error::other("gzip stream already finished"))?
            .send((data, dict, reply))
            .map_err(|_| io::Error::other("the compression threads stopped"))?;
        self.pending.push_back(rx);
        Ok(())
    }

    /// Writes the rest and the trailer; returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.send_block()?;
        self.header()?;
        while !self.pending.is_empty() {
            self.write_oldest()?;
        }
        let crc = std::mem::replace(&mut self.crc, crc32fast::Hasher::new()).finalize();
        let len = self.len;
        let out = self.out()?;
        // An empty final fixed-Huffman block ends the deflate stream.
        out.write_all(&[0x03, 0x00])?;
        out.write_all(&crc.to_le_bytes())?;
        out.write_all(&((len & 0xffff_ffff) as u32).to_le_bytes())?;
        self.stop();
        self.out
            .take()
            .ok_or_else(|| io::Error::other("gzip stream already finished"))
    }

    fn stop(&mut self) {
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl<W: Write> Drop for ParGzWriter<W> {
    fn drop(&mut self) {
        self.stop();
    }
}

impl<W: Write> Write for ParGzWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = (BLOCK - self.block.len()).min(buf.len());
        self.block.extend_from_slice(&buf[..n]);
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        if self.block.len() == BLOCK {
            self.send_block()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Raw deflate of one block, primed with `dict` (the input just before
/// it), ending byte-aligned with a sync flush so the next block's stream
/// can follow it directly. Everything starts anew for each block (a new
/// compressor, an output buffer of the same size): zlib-rs's reset keeps
/// state, and the room given to each call can change where it flushes —
/// either would make the bytes depend on which thread did what before.
fn deflate_block(data: &[u8], dict: &[u8], level: u32) -> io::Result<Vec<u8>> {
    let mut c = Compress::new(flate2::Compression::new(level), false);
    if !dict.is_empty() && level > 0 {
        c.set_dictionary(dict).map_err(io::Error::other)?;
    }
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    let mut input = data;
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(4096));
        }
        let before_in = c.total_in();
        c.compress_vec(input, &mut out, FlushCompress::Sync)
            .map_err(io::Error::other)?;
        let consumed = (c.total_in() - before_in) as usize;
        input = &input[consumed..];
        // Done when all input is in and the flush had room to complete.
        if input.is_empty() && out.len() < out.capacity() {
            return Ok(out);
        }
    }
}

/// Where compressed bytes go while their digest and size are counted.
pub struct Counting<W> {
    pub inner: W,
    pub hasher: Hasher,
    pub size: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Encoder<W: Write> {
    Gzip(ParGzWriter<Counting<W>>),
    Zstd(zstd::stream::write::Encoder<'static, Counting<W>>),
    None(Counting<W>),
}

/// What a finished layer is.
#[derive(Debug, Clone)]
pub struct LayerDigests {
    /// Digest of the uncompressed tar.
    pub diff_id: Digest,
    /// Digest and size of the blob as written.
    pub digest: Digest,
    pub size: u64,
}

/// Takes an uncompressed layer tar, writes it compressed, and counts both
/// sides.
pub struct LayerWriter<W: Write> {
    enc: Encoder<W>,
    diff: Hasher,
}

impl<W: Write> LayerWriter<W> {
    pub fn new(out: W, method: Method, level: Option<u32>) -> io::Result<LayerWriter<W>> {
        let counting = Counting {
            inner: out,
            hasher: Hasher::sha256(),
            size: 0,
        };
        let enc = match method {
            Method::Gzip => Encoder::Gzip(ParGzWriter::new(
                counting,
                level.unwrap_or(DEFAULT_GZIP_LEVEL).min(9),
                threads(),
            )),
            Method::Zstd => {
                let mut e =
                    zstd::stream::write::Encoder::new(counting, level.unwrap_or(3).min(19) as i32)?;
                e.multithread(threads() as u32)?;
                Encoder::Zstd(e)
            }
            Method::None => Encoder::None(counting),
        };
        Ok(LayerWriter {
            enc,
            diff: Hasher::sha256(),
        })
    }

    pub fn finish(self) -> io::Result<(W, LayerDigests)> {
        let counting = match self.enc {
            Encoder::Gzip(g) => g.finish()?,
            Encoder::Zstd(z) => z.finish()?,
            Encoder::None(c) => c,
        };
        Ok((
            counting.inner,
            LayerDigests {
                diff_id: self.diff.finish(),
                digest: counting.hasher.finish(),
                size: counting.size,
            },
        ))
    }
}

/// gzip level when none is asked for. Level 6 is gzip's and Docker's default.
pub const DEFAULT_GZIP_LEVEL: u32 = 6;

impl<W: Write> Write for LayerWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.enc {
            Encoder::Gzip(g) => g.write(buf)?,
            Encoder::Zstd(z) => z.write(buf)?,
            Encoder::None(c) => c.write(buf)?,
        };
        self.diff.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn parallel_gzip_is_one_member_that_decompresses_to_the_input() {
        let data: Vec<u8> = (0..(3 * BLOCK + 12345))
            .map(|i| (i % 251) as u8 ^ (i / 7919) as u8)
            .collect();
        let mut outs = Vec::new();
        for threads in [1, 3] {
            let mut w = ParGzWriter::new(Vec::new(), 6, threads);
            for chunk in data.chunks(70_000) {
                w.write_all(chunk).unwrap();
            }
            let gz = w.finish().unwrap();
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut back)
                .unwrap();
            assert!(back == data);
            outs.push(gz);
        }
        assert!(
            outs[0] == outs[1],
            "the thread count does not change the bytes"
        );
        let empty = ParGzWriter::new(Vec::new(), 6, 2).finish().unwrap();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&empty[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.is_empty());
    }
}
