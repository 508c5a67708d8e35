//! Push-based decompression: compressed bytes go in chunk by chunk, the
//! decompressed bytes go out to a writer as they are produced. The format
//! is told from the first bytes (gzip `1f 8b`, zstd `28 b5 2f fd`), never
//! from a media type or file name.
//!
//! gzip is inflated by zlib-rs (flate2's `Decompress` on the raw deflate
//! stream; the header and trailer are read here, RFC 1952) — or natively,
//! with the `isal` feature, by Intel ISA-L (`isal.rs`), ~1.4x as fast —
//! into a large output buffer, member after member, as `gzip -d` and
//! Docker do; each
//! member's CRC-32 and length are checked here or, for a layer, where it
//! is hashed (off the inflating thread, natively); zstd
//! uses ruzstd (pure Rust, builds for wasm). ruzstd decodes whole blocks
//! (≤ 128 KiB), so the zstd side keeps at most one block of input pending.

use std::io::{self, Write};

use flate2::{Decompress, FlushDecompress, Status};

#[cfg(layerkit_isal)]
use super::isal;
use ruzstd::decoding::FrameDecoder;

use crate::oci::Compression;

/// Enough bytes to recognise any supported format.
pub(crate) const SNIFF: usize = 4;

/// Where decoded bytes go, inside the crate: a writer that may also take
/// a whole buffer of decoded bytes without a copy (to hand it to another
/// thread) and give an empty one back.
pub(crate) trait Output: Write {
    /// `buf[..len]` was decoded: consume it; return a buffer to decode
    /// into next (`buf` itself, or another).
    fn take(&mut self, buf: Vec<u8>, len: usize) -> io::Result<Vec<u8>> {
        self.write_all(&buf[..len])?;
        Ok(buf)
    }

    /// True when this output checks gzip members' content itself: it is
    /// then handed each member's trailer through [`Output::member_end`],
    /// after the member's content, and the decoder computes no CRC.
    fn checks_members(&self) -> bool {
        false
    }

    /// A gzip member ended (see [`Output::checks_members`]).
    fn member_end(&mut self, _trailer: Trailer) -> io::Result<()> {
        Ok(())
    }
}

/// Any writer, as an [`Output`] that copies.
pub(crate) struct Plain<W>(pub W);

impl<W: Write> Write for Plain<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write> Output for Plain<W> {}

/// A decompressor whose format is picked from the data's first bytes.
pub struct Decoder<W: Write>(Decode<Plain<W>>);

impl<W: Write> Decoder<W> {
    pub fn new(out: W) -> Decoder<W> {
        Decoder(Decode::new(Plain(out)))
    }

    /// The format, once enough bytes were seen to tell.
    pub fn compression(&self) -> Option<Compression> {
        self.0.compression()
    }

    /// The writer decompressed bytes go to.
    pub fn get_ref(&self) -> Option<&W> {
        self.0.get_ref().map(|p| &p.0)
    }

    /// The writer, mutably.
    pub fn get_mut(&mut self) -> Option<&mut W> {
        self.0.get_mut().map(|p| &mut p.0)
    }

    /// The writer back, whatever state decoding is in (after an error).
    pub fn into_inner(self) -> Option<W> {
        self.0.into_inner().map(|p| p.0)
    }

    /// Feeds compressed bytes.
    pub fn push(&mut self, data: &[u8]) -> io::Result<()> {
        self.0.push(data)
    }

    /// The input ended: flushes what is left and checks the stream was
    /// complete. Gives the writer back in any case, with the outcome.
    pub fn finish(self) -> (Option<W>, io::Result<()>) {
        let (w, r) = self.0.finish();
        (w.map(|p| p.0), r)
    }
}

enum Inner<W: Output> {
    Sniff { head: Vec<u8>, out: W },
    Plain(W),
    Gzip(Box<Gzip<W>>),
    Zstd(Box<Zstd<W>>),
    Done,
}

/// [`Decoder`] over an [`Output`].
pub(crate) struct Decode<W: Output> {
    inner: Inner<W>,
    compression: Option<Compression>,
    engine: Engine,
}

impl<W: Output> Decode<W> {
    pub fn new(out: W) -> Decode<W> {
        Decode::with_engine(out, Engine::fastest())
    }

    /// Inflating gzip with `engine` (tests compare the engines).
    pub fn with_engine(out: W, engine: Engine) -> Decode<W> {
        Decode {
            inner: Inner::Sniff {
                head: Vec::with_capacity(SNIFF),
                out,
            },
            compression: None,
            engine,
        }
    }

    /// The format, once enough bytes were seen to tell.
    pub fn compression(&self) -> Option<Compression> {
        self.compression
    }

    /// The writer decompressed bytes go to.
    pub fn get_ref(&self) -> Option<&W> {
        match &self.inner {
            Inner::Sniff { out, .. } | Inner::Plain(out) => Some(out),
            Inner::Gzip(g) => Some(&g.out),
            Inner::Zstd(z) => Some(&z.out),
            Inner::Done => None,
        }
    }

    /// The writer, mutably.
    pub fn get_mut(&mut self) -> Option<&mut W> {
        match &mut self.inner {
            Inner::Sniff { out, .. } | Inner::Plain(out) => Some(out),
            Inner::Gzip(g) => Some(&mut g.out),
            Inner::Zstd(z) => Some(&mut z.out),
            Inner::Done => None,
        }
    }

    /// The writer back, whatever state decoding is in (after an error).
    pub fn into_inner(mut self) -> Option<W> {
        match std::mem::replace(&mut self.inner, Inner::Done) {
            Inner::Sniff { out, .. } | Inner::Plain(out) => Some(out),
            Inner::Gzip(g) => Some(g.out),
            Inner::Zstd(z) => Some(z.out),
            Inner::Done => None,
        }
    }

    fn start(&mut self, head: Vec<u8>, out: W) -> io::Result<()> {
        let c = Compression::sniff(&head);
        self.compression = Some(c);
        self.inner = match c {
            Compression::None => Inner::Plain(out),
            Compression::Gzip => Inner::Gzip(Box::new(Gzip::new(out, self.engine))),
            Compression::Zstd => Inner::Zstd(Box::new(Zstd::new(out))),
        };
        self.write_inner(&head)
    }

    fn write_inner(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::Plain(w) => w.write_all(data),
            Inner::Gzip(g) => g.push(data),
            Inner::Zstd(z) => z.push(data),
            Inner::Sniff { .. } | Inner::Done => Ok(()),
        }
    }

    /// Feeds compressed bytes.
    pub fn push(&mut self, mut data: &[u8]) -> io::Result<()> {
        if let Inner::Sniff { head, .. } = &mut self.inner {
            let take = (SNIFF - head.len()).min(data.len());
            head.extend_from_slice(&data[..take]);
            data = &data[take..];
            if head.len() < SNIFF {
                return Ok(());
            }
            let Inner::Sniff { head, out } = std::mem::replace(&mut self.inner, Inner::Done) else {
                return Ok(());
            };
            self.start(head, out)?;
        }
        if data.is_empty() {
            return Ok(());
        }
        self.write_inner(data)
    }

    /// The input ended: flushes what is left and checks the stream was
    /// complete. Gives the writer back in any case, with the outcome.
    pub fn finish(mut self) -> (Option<W>, io::Result<()>) {
        if !matches!(self.inner, Inner::Sniff { .. }) {
        } else if let Inner::Sniff { head, out } = std::mem::replace(&mut self.inner, Inner::Done) {
            if let Err(e) = self.start(head, out) {
                return (self.into_inner(), Err(e));
            }
        }
        match std::mem::replace(&mut self.inner, Inner::Done) {
            Inner::Plain(w) => (Some(w), Ok(())),
            Inner::Gzip(g) => g.finish(),
            Inner::Zstd(z) => z.finish(),
            Inner::Sniff { out, .. } => (Some(out), Ok(())),
            Inner::Done => (None, Err(io::Error::other("decoder used after finish"))),
        }
    }
}

/// Decompressed bytes produced per inflate call. Large, so that zlib
/// spends its time in the fast loop and copies little into its window
/// (with 32 KiB, as flate2's writer uses, inflating takes ~15% longer).
const GZIP_OUT: usize = 256 * 1024;

/// What a gzip member's trailer says about its content (RFC 1952 §2.3.1),
/// and where the member ends in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trailer {
    /// CRC-32 of the member's content.
    pub crc: u32,
    /// Its length, modulo 2³².
    pub isize: u32,
    /// Bytes of the stream up to the end of this trailer.
    pub end: u64,
}

/// Checks the content of gzip members against their trailers: fed the
/// decompressed bytes in order, asked at each member's end.
#[derive(Debug, Default)]
pub(crate) struct MemberCheck {
    crc: flate2::Crc,
}

impl MemberCheck {
    pub fn update(&mut self, data: &[u8]) {
        self.crc.update(data);
    }

    /// Compares what was fed since the last member with `t`, and starts
    /// over for the next member. The error is the reason, worded as zlib's.
    pub fn verify(&mut self, t: &Trailer) -> Result<(), &'static str> {
        let (crc, len) = (self.crc.sum(), self.crc.amount());
        self.crc.reset();
        if crc != t.crc {
            return Err("the CRC-32 in a member's trailer does not match its content");
        }
        if len != t.isize {
            return Err("the length in a member's trailer does not match its content");
        }
        Ok(())
    }
}

fn corrupt_gzip(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("corrupt gzip data: {why}"),
    )
}

/// Where in a member the next byte belongs.
enum Part {
    /// Nothing of a next member seen yet.
    Between,
    Header(Box<GzHeader>),
    /// The deflate stream, inflated by zlib.
    Body,
    /// The 8 trailer bytes, as many as have arrived.
    Trailer([u8; 8], usize),
}

/// A gzip member header read byte by byte (RFC 1952 §2.3): it may be split
/// across pushes anywhere.
struct GzHeader {
    fixed: [u8; 10],
    got: usize,
    stage: HeaderStage,
    /// Over the header bytes so far, for FHCRC.
    crc: flate2::Crc,
}

#[derive(Clone, Copy)]
enum HeaderStage {
    Fixed,
    /// The 2-byte XLEN of FEXTRA, low byte first; `Some` once the first came.
    ExtraLen(Option<u8>),
    Extra(u16),
    Name,
    Comment,
    /// FHCRC: the low 16 bits of the CRC-32 of everything before it.
    HeaderCrc(Option<u8>),
    Done,
}

const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

impl GzHeader {
    fn new() -> GzHeader {
        GzHeader {
            fixed: [0; 10],
            got: 0,
            stage: HeaderStage::Fixed,
            crc: flate2::Crc::new(),
        }
    }

    fn flags(&self) -> u8 {
        self.fixed[3]
    }

    /// The stage after `from` (the optional fields in the order RFC 1952
    /// lays them out).
    fn next_stage(&self, from: HeaderStage) -> HeaderStage {
        let f = self.flags();
        let order = [
            (FEXTRA, HeaderStage::ExtraLen(None)),
            (FNAME, HeaderStage::Name),
            (FCOMMENT, HeaderStage::Comment),
            (FHCRC, HeaderStage::HeaderCrc(None)),
        ];
        let after = match from {
            HeaderStage::Fixed => 0,
            HeaderStage::ExtraLen(_) | HeaderStage::Extra(_) => 1,
            HeaderStage::Name => 2,
            HeaderStage::Comment => 3,
            HeaderStage::HeaderCrc(_) | HeaderStage::Done => 4,
        };
        order[after..]
            .iter()
            .find(|(flag, _)| f & flag != 0)
            .map_or(HeaderStage::Done, |&(_, s)| s)
    }

    /// Consumes header bytes from `data`; returns how many. The header is
    /// complete when `done()`.
    fn push(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut used = 0;
        while used < data.len() && !self.done() {
            let b = data[used];
            used += 1;
            let stage = match self.stage {
                HeaderStage::Fixed => {
                    self.fixed[self.got] = b;
                    self.got += 1;
                    match self.got {
                        2 if self.fixed[..2] != [0x1f, 0x8b] => {
                            return Err(corrupt_gzip("bytes after a member are not a gzip header"))
                        }
                        3 if b != 8 => return Err(corrupt_gzip("unknown compression method")),
                        4 if b & 0xe0 != 0 => return Err(corrupt_gzip("unknown header flags set")),
                        10 => self.next_stage(HeaderStage::Fixed),
                        _ => HeaderStage::Fixed,
                    }
                }
                HeaderStage::ExtraLen(None) => HeaderStage::ExtraLen(Some(b)),
                HeaderStage::ExtraLen(Some(lo)) => match u16::from_le_bytes([lo, b]) {
                    0 => self.next_stage(HeaderStage::Extra(0)),
                    n => HeaderStage::Extra(n),
                },
                HeaderStage::Extra(n) => match n - 1 {
                    0 => self.next_stage(HeaderStage::Extra(0)),
                    n => HeaderStage::Extra(n),
                },
                s @ (HeaderStage::Name | HeaderStage::Comment) => {
                    if b == 0 {
                        self.next_stage(s)
                    } else {
                        s
                    }
                }
                HeaderStage::HeaderCrc(None) => HeaderStage::HeaderCrc(Some(b)),
                HeaderStage::HeaderCrc(Some(lo)) => {
                    if u16::from_le_bytes([lo, b]) != self.crc.sum() as u16 {
                        return Err(corrupt_gzip("header crc mismatch"));
                    }
                    HeaderStage::Done
                }
                HeaderStage::Done => HeaderStage::Done,
            };
            if !matches!(self.stage, HeaderStage::HeaderCrc(_)) {
                self.crc.update(&[b]);
            }
            self.stage = stage;
        }
        Ok(used)
    }

    fn done(&self) -> bool {
        matches!(self.stage, HeaderStage::Done)
    }
}

/// Which deflate engine inflates gzip members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    /// zlib-rs: pure Rust, everywhere.
    #[cfg_attr(layerkit_isal, allow(dead_code))] // then only tests pick it
    Zlib,
    /// Intel ISA-L, natively with the `isal` feature.
    #[cfg(layerkit_isal)]
    Isal,
}

impl Engine {
    /// The fastest one built in.
    pub fn fastest() -> Engine {
        #[cfg(layerkit_isal)]
        return Engine::Isal;
        #[cfg(not(layerkit_isal))]
        Engine::Zlib
    }
}

/// A raw deflate inflater of either [`Engine`]. Both give the same bytes
/// and fail on the same streams, in the same words but for the reason
/// (ISA-L names three kinds of bad data). Before corrupt data both hand
/// on decoded bytes only, zlib-rs up to a few hundred fewer; at a cut
/// ISA-L may hold back the last one or two literals (it decodes up to
/// three symbols per lookup), depending on where the pushes split.
enum Inflate {
    Zlib(Decompress),
    #[cfg(layerkit_isal)]
    Isal(isal::Inflate),
}

impl Inflate {
    fn new(engine: Engine) -> Inflate {
        match engine {
            Engine::Zlib => Inflate::Zlib(Decompress::new(false)),
            // zlib-rs if ISA-L's state cannot be allocated.
            #[cfg(layerkit_isal)]
            Engine::Isal => isal::Inflate::new()
                .map_or_else(|| Inflate::Zlib(Decompress::new(false)), Inflate::Isal),
        }
    }

    /// One inflate call: (input bytes used, output bytes written, whether
    /// the stream ended). The counts hold on error too: what was decoded
    /// before the corrupt spot is in `out`.
    fn run(&mut self, input: &[u8], out: &mut [u8]) -> (usize, usize, io::Result<bool>) {
        match self {
            Inflate::Zlib(z) => {
                let (in0, out0) = (z.total_in(), z.total_out());
                let status = z.decompress(input, out, FlushDecompress::None);
                let read = (z.total_in() - in0) as usize;
                let wrote = (z.total_out() - out0) as usize;
                let ended = status.map(|s| s == Status::StreamEnd).map_err(|e| {
                    corrupt_gzip(match e.message() {
                        // zlib-rs's word for an error found in its fast loop.
                        Some("repeated call with bad state") | None => "invalid deflate data",
                        Some(m) => m,
                    })
                });
                (read, wrote, ended)
            }
            #[cfg(layerkit_isal)]
            Inflate::Isal(i) => {
                let step = i.inflate(input, out);
                (step.read, step.wrote, step.outcome.map_err(corrupt_gzip))
            }
        }
    }

    /// Ready for the next member's deflate stream.
    fn reset(&mut self) {
        match self {
            Inflate::Zlib(z) => z.reset(false),
            #[cfg(layerkit_isal)]
            Inflate::Isal(i) => i.reset(),
        }
    }

    /// Once a stream ended: bytes after it that the engine took already
    /// (counted as used); they are read again as what follows.
    fn unread(&mut self) -> ([u8; 8], usize) {
        match self {
            // zlib stops at the stream's last byte.
            Inflate::Zlib(_) => ([0; 8], 0),
            #[cfg(layerkit_isal)]
            Inflate::Isal(i) => i.unread(),
        }
    }
}

/// gzip members inflated one after the other (RFC 1952 §2.2: a file may
/// hold several; `gzip -d` and Go's reader concatenate them).
///
/// zlib inflates the raw deflate stream; the header and trailer are read
/// here. The content's CRC-32 is computed here too — unless the output
/// checks members itself ([`Output::checks_members`]): a layer's output
/// does, on the thread that hashes it, which keeps the CRC off the thread
/// that inflates.
struct Gzip<W: Output> {
    inflate: Inflate,
    part: Part,
    /// Bytes of the stream consumed.
    at: u64,
    /// `None` when the output checks members.
    check: Option<MemberCheck>,
    buf: Vec<u8>,
    out: W,
}

impl<W: Output> Gzip<W> {
    fn new(out: W, engine: Engine) -> Gzip<W> {
        Gzip {
            inflate: Inflate::new(engine),
            part: Part::Between,
            at: 0,
            check: (!out.checks_members()).then(MemberCheck::default),
            buf: vec![0; GZIP_OUT],
            out,
        }
    }

    /// One inflate call: returns (input bytes used, output filled, stream ended).
    fn step(&mut self, input: &[u8]) -> io::Result<(usize, bool, bool)> {
        let out_len = self.buf.len();
        let (read, wrote, ended) = self.inflate.run(input, &mut self.buf);
        // What was decoded before an error goes out too: how much that is
        // then depends on the data alone, not on the buffer sizes.
        if wrote > 0 {
            if let Some(c) = &mut self.check {
                c.update(&self.buf[..wrote]);
            }
            let buf = std::mem::take(&mut self.buf);
            self.buf = self.out.take(buf, wrote)?;
            self.buf.resize(GZIP_OUT, 0);
        }
        let ended = ended?;
        if !ended && read == 0 && wrote == 0 && !input.is_empty() {
            return Err(corrupt_gzip("inflate made no progress"));
        }
        Ok((read, wrote > 0 && wrote == out_len, ended))
    }

    fn push(&mut self, mut data: &[u8]) -> io::Result<()> {
        loop {
            let used = match &mut self.part {
                Part::Between if data.is_empty() => return Ok(()),
                Part::Between => {
                    self.part = Part::Header(Box::new(GzHeader::new()));
                    0
                }
                Part::Header(h) => {
                    let used = h.push(data)?;
                    if h.done() {
                        self.part = Part::Body;
                    }
                    used
                }
                Part::Body => {
                    let (read, full, ended) = self.step(data)?;
                    if ended {
                        self.part = Part::Trailer([0; 8], 0);
                        let (tail, n) = self.inflate.unread();
                        if n > 0 {
                            // Taken past the stream's end: the trailer's
                            // first bytes (or more), read again from here.
                            self.at = (self.at + read as u64).saturating_sub(n as u64);
                            data = &data[read..];
                            self.push(&tail[..n])?;
                            continue;
                        }
                    } else if read == data.len() && !full {
                        // All input taken and nothing more pending in zlib
                        // (the output did not fill up).
                        self.at += read as u64;
                        return Ok(());
                    }
                    read
                }
                Part::Trailer(t, got) => {
                    let take = (8 - *got).min(data.len());
                    t[*got..*got + take].copy_from_slice(&data[..take]);
                    *got += take;
                    if *got == 8 {
                        let t = *t;
                        self.at += take as u64;
                        self.member_end(t)?;
                        data = &data[take..];
                        continue;
                    }
                    take
                }
            };
            self.at += used as u64;
            data = &data[used..];
            if data.is_empty() && !matches!(self.part, Part::Body | Part::Between) {
                return Ok(());
            }
        }
    }

    fn member_end(&mut self, t: [u8; 8]) -> io::Result<()> {
        let trailer = Trailer {
            crc: u32::from_le_bytes([t[0], t[1], t[2], t[3]]),
            isize: u32::from_le_bytes([t[4], t[5], t[6], t[7]]),
            end: self.at,
        };
        self.part = Part::Between;
        self.inflate.reset();
        match &mut self.check {
            Some(c) => c.verify(&trailer).map_err(corrupt_gzip),
            None => self.out.member_end(trailer),
        }
    }

    fn finish(mut self) -> (Option<W>, io::Result<()>) {
        let r = match self.part {
            Part::Between => Ok(()),
            _ => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "gzip stream is truncated: it ends inside a member",
            )),
        };
        if matches!(self.part, Part::Body) {
            // Whatever zlib still holds goes out (the content up to the cut).
            while let Ok((_, true, false)) = self.step(&[]) {}
        }
        (Some(self.out), r)
    }
}

/// zstd frames decoded as their blocks arrive.
struct Zstd<W: Write> {
    dec: FrameDecoder,
    pending: Vec<u8>,
    in_frame: bool,
    /// Bytes of a skippable frame still to skip.
    skip: u64,
    scratch: Vec<u8>,
    out: W,
}

/// The largest zstd frame header: magic, descriptor, window, dictionary
/// id and content size.
const ZSTD_MAX_HEADER: usize = 18;

impl<W: Write> Zstd<W> {
    fn new(out: W) -> Zstd<W> {
        Zstd {
            dec: FrameDecoder::new(),
            pending: Vec::new(),
            in_frame: false,
            skip: 0,
            scratch: vec![0; 256 * 1024],
            out,
        }
    }

    fn push(&mut self, data: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(data);
        self.run(false)
    }

    fn finish(mut self) -> (Option<W>, io::Result<()>) {
        let mut r = self.run(true);
        if r.is_ok() && (self.in_frame || !self.pending.is_empty() || self.skip > 0) {
            r = Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "zstd stream is truncated: it ends inside a frame",
            ));
        }
        (Some(self.out), r)
    }

    fn run(&mut self, last: bool) -> io::Result<()> {
        let mut pos = 0;
        let r = self.decode(&mut pos, last);
        self.pending.drain(..pos);
        r
    }

    fn decode(&mut self, pos: &mut usize, last: bool) -> io::Result<()> {
        let bad = |e: &dyn std::fmt::Display| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("corrupt zstd data: {e}"),
            )
        };
        loop {
            let avail = &self.pending[*pos..];
            if self.skip > 0 {
                let n = (self.skip.min(avail.len() as u64)) as usize;
                self.skip -= n as u64;
                *pos += n;
                if self.skip > 0 {
                    return Ok(());
                }
                continue;
            }
            if !self.in_frame {
                if avail.is_empty() || (avail.len() < ZSTD_MAX_HEADER && !last) {
                    return Ok(());
                }
                if avail.len() >= 8 && avail[0] & 0xf0 == 0x50 && avail[1..4] == [0x2a, 0x4d, 0x18]
                {
                    // Skippable frame: magic 0x184D2A5?, then a 4-byte length.
                    let len = u32::from_le_bytes([avail[4], avail[5], avail[6], avail[7]]);
                    *pos += 8;
                    self.skip = len as u64;
                    continue;
                }
                let mut src = avail;
                self.dec.reset(&mut src).map_err(|e| bad(&e))?;
                *pos += avail.len() - src.len();
                self.in_frame = true;
                continue;
            }
            // Below 4 bytes mid-frame nothing useful can be decoded, and
            // ruzstd would take the 4 checksum bytes as read even if they
            // are not there: wait for more input unless this is the end.
            if avail.len() < 4 && !self.dec.is_finished() && !last {
                return Ok(());
            }
            let (read, written) = self
                .dec
                .decode_from_to(avail, &mut self.scratch)
                .map_err(|e| bad(&e))?;
            if read > avail.len() {
                return Err(bad(&"the stream ends before the frame's checksum"));
            }
            *pos += read;
            if written > 0 {
                self.out.write_all(&self.scratch[..written])?;
            }
            if read == 0 && written == 0 {
                if self.dec.is_finished() {
                    if let (Some(want), Some(got)) = (
                        self.dec.get_checksum_from_data(),
                        self.dec.get_calculated_checksum(),
                    ) {
                        if want != got {
                            return Err(bad(&format_args!(
                                "frame checksum {want:08x} does not match the content ({got:08x})"
                            )));
                        }
                    }
                    self.in_frame = false;
                    continue;
                }
                // Not a whole block yet.
                return Ok(());
            }
        }
    }
}

/// Compression of `head`, or `None` when too few bytes to tell.
pub fn sniff(head: &[u8]) -> Option<Compression> {
    if head.len() < SNIFF {
        return None;
    }
    Some(Compression::sniff(head))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    fn decode(data: &[u8], chunk: usize) -> io::Result<(Vec<u8>, Option<Compression>)> {
        let mut d = Decoder::new(Vec::new());
        for piece in data.chunks(chunk) {
            d.push(piece)?;
        }
        let c = d.compression();
        let (w, r) = d.finish();
        r?;
        Ok((w.unwrap(), c))
    }

    fn sample() -> Vec<u8> {
        (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    #[test]
    fn decodes_every_format_in_any_chunking() {
        let plain = sample();
        let mut two_members = gzip(&plain[..1000]);
        two_members.extend(gzip(&plain[1000..]));
        let mut two_frames = zstd(&plain[..5000]);
        two_frames.extend(zstd(&plain[5000..]));
        for (input, want) in [
            (plain.clone(), Compression::None),
            (gzip(&plain), Compression::Gzip),
            (two_members, Compression::Gzip),
            (zstd(&plain), Compression::Zstd),
            (two_frames, Compression::Zstd),
        ] {
            for chunk in [1usize, 3, 1000, 65536, input.len()] {
                if chunk == 1 && input.len() > 200_000 && want != Compression::None {
                    continue; // slow and adds nothing over 3
                }
                let (out, c) = decode(&input, chunk).unwrap();
                assert_eq!(c, Some(want));
                assert!(out == plain, "{want:?} chunk {chunk}");
            }
        }
    }

    #[test]
    fn truncated_streams_are_errors() {
        let plain = sample();
        for input in [gzip(&plain), zstd(&plain)] {
            let cut = &input[..input.len() / 2];
            assert!(decode(cut, 4096).is_err());
            let cut = &input[..input.len() - 2];
            assert!(decode(cut, 4096).is_err());
        }
        let mut corrupt = zstd(&plain);
        let n = corrupt.len();
        corrupt[n / 2] ^= 0xff;
        corrupt[n / 2 + 1] ^= 0x55;
        assert!(decode(&corrupt, 4096).is_err());
    }

    #[test]
    fn gzip_members_headers_and_checks() {
        let plain = sample();
        // Header fields (name, comment, extra, header CRC) are skipped.
        let mut e = flate2::GzBuilder::new()
            .filename("layer.tar")
            .comment("made by a test")
            .extra(vec![1, 2, 3, 4])
            .write(Vec::new(), flate2::Compression::default());
        e.write_all(&plain).unwrap();
        let mut rich = e.finish().unwrap();
        rich.extend(gzip(b""));
        rich.extend(gzip(b"tail"));
        let mut want = plain.clone();
        want.extend_from_slice(b"tail");
        for chunk in [1, 7, 4096, rich.len()] {
            assert!(decode(&rich, chunk).unwrap().0 == want, "chunk {chunk}");
        }
        // Whatever follows a member must be another member.
        for junk in [&b"\0\0\0\0\0\0\0\0"[..], b"not gzip", &[0x1f, 0x8b, 8]] {
            let mut bad = gzip(&plain);
            bad.extend_from_slice(junk);
            assert!(decode(&bad, 4096).is_err(), "{junk:?}");
        }
        // CRC-32 and length in the trailer are checked.
        for back in [5, 1] {
            let mut bad = gzip(&plain);
            let n = bad.len();
            bad[n - back] ^= 1;
            let e = decode(&bad, 4096).unwrap_err();
            assert!(e.to_string().contains("corrupt gzip data"), "{e}");
        }
        let e = decode(&gzip(&plain)[..1000], 4096).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
    }

    /// A member written by hand: `flags` with their fields, the header
    /// CRC if `hcrc` is set (`bad_hcrc` spoils it), then `data` deflated.
    fn member(flags: u8, method: u8, hcrc: bool, bad_hcrc: bool, data: &[u8]) -> Vec<u8> {
        let mut m = vec![
            0x1f,
            0x8b,
            method,
            flags | if hcrc { 2 } else { 0 },
            1,
            2,
            3,
            4,
            0,
            255,
        ];
        if flags & 4 != 0 {
            m.extend_from_slice(&[3, 0, 7, 8, 9]);
        }
        if flags & 8 != 0 {
            m.extend_from_slice(b"name\0");
        }
        if flags & 16 != 0 {
            m.extend_from_slice(b"comment\0");
        }
        if hcrc {
            let mut c = flate2::Crc::new();
            c.update(&m);
            let v = c.sum() as u16 ^ u16::from(bad_hcrc);
            m.extend_from_slice(&v.to_le_bytes());
        }
        let mut e = flate2::write::DeflateEncoder::new(m, flate2::Compression::fast());
        e.write_all(data).unwrap();
        let mut m = e.finish().unwrap();
        let mut c = flate2::Crc::new();
        c.update(data);
        m.extend_from_slice(&c.sum().to_le_bytes());
        m.extend_from_slice(&(data.len() as u32).to_le_bytes());
        m
    }

    #[test]
    fn gzip_header_fields_are_read_and_checked() {
        let plain = sample();
        for flags in [0u8, 4, 8, 16, 4 | 8 | 16] {
            for hcrc in [false, true] {
                let m = member(flags, 8, hcrc, false, &plain);
                for chunk in [1, 5, 4096, m.len()] {
                    let got = decode(&m, chunk).unwrap().0;
                    assert!(got == plain, "flags {flags} hcrc {hcrc} chunk {chunk}");
                }
            }
        }
        for (bad, why) in [
            (member(8, 8, true, true, &plain), "header crc mismatch"),
            (
                member(0, 7, false, false, &plain),
                "unknown compression method",
            ),
            (
                member(0x20, 8, false, false, &plain),
                "unknown header flags set",
            ),
        ] {
            let e = decode(&bad, 3).unwrap_err();
            assert!(e.to_string().contains(why), "{e}");
        }
        // Corrupt deflate data: an error, with what was decoded before it
        // handed on whatever the chunking.
        let mut bad = gzip(&plain);
        let n = bad.len();
        for b in &mut bad[n / 2..n / 2 + 32] {
            *b = !*b;
        }
        let mut got = Vec::new();
        for chunk in [1usize, 4096, bad.len()] {
            let mut d = Decoder::new(Vec::new());
            let mut r = Ok(());
            for piece in bad.chunks(chunk) {
                r = d.push(piece);
                if r.is_err() {
                    break;
                }
            }
            let r = match r {
                Err(e) => (d.into_inner(), Err(e)),
                Ok(()) => d.finish(),
            };
            let e = r.1.unwrap_err();
            assert!(e.to_string().contains("corrupt gzip data"), "{e}");
            got.push(r.0.unwrap().len());
        }
        assert!(got[0] > 0 && got.iter().all(|&n| n == got[0]), "{got:?}");
    }

    /// What a layer's output sees: the bytes, and each member's trailer
    /// (where it ends in the stream).
    #[derive(Default)]
    struct Members {
        data: Vec<u8>,
        trailers: Vec<Trailer>,
    }

    impl Write for Members {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.data.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Output for Members {
        fn checks_members(&self) -> bool {
            true
        }
        fn member_end(&mut self, t: Trailer) -> io::Result<()> {
            self.trailers.push(t);
            Ok(())
        }
    }

    /// What a user of the decoder sees of `data` pushed in `chunk`s, with
    /// the CRC checked here (`members` false) or handed on: the bytes out,
    /// the trailers, and the error's kind and what it says before the
    /// reason (the reasons are each engine's own words).
    type Seen = (Vec<u8>, Vec<Trailer>, Result<(), (io::ErrorKind, String)>);

    fn seen(engine: Engine, data: &[u8], chunk: usize, members: bool) -> Seen {
        fn run<W: Output>(mut d: Decode<W>, data: &[u8], chunk: usize) -> (W, io::Result<()>) {
            for piece in data.chunks(chunk) {
                if let Err(e) = d.push(piece) {
                    return (d.into_inner().unwrap(), Err(e));
                }
            }
            let (w, r) = d.finish();
            (w.unwrap(), r)
        }
        let what = |r: io::Result<()>| {
            r.map_err(|e| {
                let m = e.to_string();
                let head = m.split(':').next().unwrap_or_default().to_string();
                (e.kind(), head)
            })
        };
        if members {
            let (w, r) = run(Decode::with_engine(Members::default(), engine), data, chunk);
            (w.data, w.trailers, what(r))
        } else {
            let (w, r) = run(Decode::with_engine(Plain(Vec::new()), engine), data, chunk);
            (w.0, Vec::new(), what(r))
        }
    }

    /// A layer's output is told where each member ends in the stream and
    /// what its trailer says, whatever the engine and the chunking (ISA-L
    /// reads past a stream's end, into the trailer and the next member).
    #[test]
    fn member_trailers_say_where_members_end() {
        let plain = sample();
        let mut stream = Vec::new();
        let mut want = Vec::new();
        for part in [&plain[..5], b"", &plain[5..1000], &plain[1000..]] {
            stream.extend(gzip(part));
            let mut c = flate2::Crc::new();
            c.update(part);
            want.push(Trailer {
                crc: c.sum(),
                isize: part.len() as u32,
                end: stream.len() as u64,
            });
        }
        for chunk in [1, 2, 9, 4096, stream.len()] {
            let (data, trailers, r) = seen(Engine::fastest(), &stream, chunk, true);
            assert!(r.is_ok() && data == plain, "chunk {chunk}: {r:?}");
            assert_eq!(trailers, want, "chunk {chunk}");
        }
    }

    /// ISA-L (natively, with the `isal` feature) and zlib-rs give the same
    /// bytes, trailers and errors on the same streams, whole, cut short,
    /// corrupt or several members long, however they are chunked.
    #[cfg(layerkit_isal)]
    #[test]
    fn isal_and_zlib_agree() {
        let plain = sample();
        let text: Vec<u8> = (0..40_000u32)
            .flat_map(|i| format!("line {} of {}\n", i % 977, i % 13).into_bytes())
            .collect();
        let level = |data: &[u8], l: u32| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(l));
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let mut inputs = vec![
            gzip(&plain),
            level(&text, 9),
            level(&text, 0), // stored blocks
            gzip(b""),
            member(4 | 8 | 16, 8, true, false, &text),
        ];
        // Members of every small size, back to back: ISA-L reads up to 8
        // bytes past a stream's end, into the trailer and the next member.
        let mut tiny = Vec::new();
        for n in 0..40 {
            tiny.extend(gzip(&text[..n]));
        }
        inputs.push(tiny);
        let mut several = gzip(&plain[..1000]);
        several.extend(level(&text, 9));
        several.extend(gzip(b""));
        several.extend(level(&plain[1000..], 0));
        inputs.push(several.clone());
        // Junk after the last member.
        for junk in [
            &b"\0\0\0\0\0\0\0\0"[..],
            b"not gzip",
            &[0x1f, 0x8b, 8],
            &[0x1f],
        ] {
            let mut bad = gzip(&plain);
            bad.extend_from_slice(junk);
            inputs.push(bad);
        }
        // Cut anywhere: inside headers, deflate data, trailers.
        for cut in [1, 5, 10, 11, 12, 100, several.len() / 2, several.len() - 9] {
            inputs.push(several[..cut].to_vec());
        }
        for back in 1..=8 {
            inputs.push(several[..several.len() - back].to_vec());
        }
        // Corrupt bytes in compressed members: a deterministic spread of
        // positions and patterns, most of them bad deflate data.
        let mut compressed = gzip(&plain);
        compressed.extend(level(&text, 9));
        let mut x = 0x9e37_79b9u32;
        for i in 0..256 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let mut bad = compressed.clone();
            let at = 10 + x as usize % (bad.len() - 10);
            let span = 1 + i % 4;
            for b in bad.iter_mut().skip(at).take(span) {
                *b ^= (x >> 8) as u8 | 1;
            }
            inputs.push(bad);
        }
        let mut checked = (0, 0, 0);
        for (i, input) in inputs.iter().enumerate() {
            for chunk in [1usize, 7, 4096, input.len().max(1)] {
                // Byte by byte is slow in a debug build: for the small
                // inputs and some of the corrupt ones.
                if chunk < 10 && input.len() > 100_000 && i % (chunk * 4) != 0 {
                    continue;
                }
                for members in [false, true] {
                    let zlib = seen(Engine::Zlib, input, chunk, members);
                    let isal = seen(Engine::Isal, input, chunk, members);
                    // Both hand on what they decoded before corrupt deflate
                    // data, but zlib-rs's fast loop gives up to a few
                    // hundred bytes fewer: one is a prefix of the other.
                    let n = zlib.0.len().min(isal.0.len());
                    let same_bytes = match zlib.2 {
                        Ok(()) => zlib.0 == isal.0,
                        Err(_) => zlib.0[..n] == isal.0[..n],
                    };
                    assert!(
                        same_bytes && zlib.1 == isal.1 && zlib.2 == isal.2,
                        "input {i}, chunk {chunk}, members {members}: zlib {} bytes {:?} {:?}, isal {} bytes {:?} {:?}",
                        zlib.0.len(), zlib.1, zlib.2, isal.0.len(), isal.1, isal.2,
                    );
                    match zlib.2 {
                        Ok(()) => checked.0 += 1,
                        // Not a CRC: the deflate data (or a header) is bad.
                        Err((io::ErrorKind::InvalidData, _)) if members => checked.1 += 1,
                        Err(_) => checked.2 += 1,
                    }
                }
            }
        }
        // Every kind of outcome was compared, many times.
        assert!(
            checked.0 > 50 && checked.1 > 50 && checked.2 > 100,
            "{checked:?}"
        );
    }
}
