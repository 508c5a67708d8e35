//! A push-based tar reader: bytes go in chunk by chunk, entries come out.
//!
//! ```text
//! ┌──────────────┬───────────────┬─────────┬──────────────┬─────┬──────────────┐
//! │ header (512) │ data, padded  │ header  │ data, padded │ ... │ 2 × 512 zero │
//! │ name, mode,  │ to 512 bytes  │         │              │     │ end marker   │
//! │ size, type…  │               │         │              │     │              │
//! └──────────────┴───────────────┴─────────┴──────────────┴─────┴──────────────┘
//! ```
//!
//! POSIX ustar (<https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html>)
//! with the extensions image tarballs use: GNU long names (`L`, `K`),
//! base-256 numbers, and pax extended headers (`x`: path, linkpath, size,
//! uid, gid, mtime). As in Go's `archive/tar` (what Docker uses), links,
//! directories, devices and FIFOs carry no data whatever their size field says.
//!
//! The reader never holds entry data: it hands each piece to a [`TarSink`]
//! as it passes, so memory stays at one header whatever the archive size.

/// What kind of file a tar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Char,
    Block,
    Fifo,
}

impl EntryKind {
    /// The one-letter type `ls -l` shows.
    pub fn letter(self) -> char {
        match self {
            EntryKind::File | EntryKind::Hardlink => '-',
            EntryKind::Dir => 'd',
            EntryKind::Symlink => 'l',
            EntryKind::Char => 'c',
            EntryKind::Block => 'b',
            EntryKind::Fifo => 'p',
        }
    }

    /// The header's type flag for this kind.
    pub(crate) fn flag(self) -> u8 {
        match self {
            EntryKind::File => b'0',
            EntryKind::Hardlink => b'1',
            EntryKind::Symlink => b'2',
            EntryKind::Char => b'3',
            EntryKind::Block => b'4',
            EntryKind::Dir => b'5',
            EntryKind::Fifo => b'6',
        }
    }

    /// The kind a POSIX type flag names (`0`, NUL and `7` are files).
    pub(crate) fn from_flag(f: u8) -> Option<EntryKind> {
        Some(match f {
            b'0' | 0 | b'7' => EntryKind::File,
            b'1' => EntryKind::Hardlink,
            b'2' => EntryKind::Symlink,
            b'3' => EntryKind::Char,
            b'4' => EntryKind::Block,
            b'5' => EntryKind::Dir,
            b'6' => EntryKind::Fifo,
            _ => return None,
        })
    }
}

/// One entry's header, after long-name and pax records are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name as written (not normalised).
    pub name: String,
    pub kind: EntryKind,
    /// The size field (for links and directories it may be non-zero while
    /// no data follows).
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: i64,
    /// Symlink or hard link target.
    pub link: Option<String>,
    /// Device numbers for `Char`/`Block`.
    pub dev: Option<(u32, u32)>,
}

/// Receives the entries of an archive as they stream past.
pub trait TarSink {
    type Error;
    /// A new entry begins; its data (if any) follows through [`TarSink::data`].
    fn entry(&mut self, header: &Header) -> Result<(), Self::Error>;
    /// A piece of the current entry's data.
    fn data(&mut self, data: &[u8]) -> Result<(), Self::Error>;
    /// The current entry's data is complete.
    fn end(&mut self) -> Result<(), Self::Error>;
    /// Asked after each entry's data ends, by [`TarReader::push_some`]
    /// only: true stops reading there, until the sink's host has done what
    /// the entry needs (a layer inflated outside the core).
    fn pause(&self) -> bool {
        false
    }
}

/// Why bytes are not a tar archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarError {
    /// Offset of the offending header in the uncompressed stream.
    pub offset: u64,
    pub reason: String,
}

/// Either the reader's own error or one from the sink.
#[derive(Debug)]
pub enum PushError<E> {
    Tar(TarError),
    Sink(E),
}

/// How much extended-header text one entry may carry. Real names are at most
/// a few KiB; this bounds memory against crafted input.
const MAX_EXTENDED: u64 = 1 << 20;

#[derive(Debug)]
enum State {
    /// Collecting a 512-byte header.
    Header,
    /// Passing `left` bytes of entry data to the sink.
    Data { left: u64 },
    /// Collecting a GNU long name/link or a pax record (`kind`).
    Extended { kind: u8, left: u64 },
    /// Skipping padding to the next 512-byte boundary.
    Padding { left: u64 },
    /// After the end-of-archive marker: the rest is ignored.
    End,
}

/// The tar reader. Feed it with [`TarReader::push`], then call
/// [`TarReader::finish`].
#[derive(Debug)]
pub struct TarReader {
    state: State,
    block: Vec<u8>,
    offset: u64,
    header_offset: u64,
    extended: Vec<u8>,
    long_name: Option<String>,
    long_link: Option<String>,
    pax: Vec<(String, String)>,
    entries: u64,
    in_entry: bool,
}

impl Default for TarReader {
    fn default() -> Self {
        TarReader::new()
    }
}

impl TarReader {
    pub fn new() -> TarReader {
        TarReader {
            state: State::Header,
            block: Vec::with_capacity(512),
            offset: 0,
            header_offset: 0,
            extended: Vec::new(),
            long_name: None,
            long_link: None,
            pax: Vec::new(),
            entries: 0,
            in_entry: false,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the end-of-archive marker was seen.
    pub fn at_end(&self) -> bool {
        matches!(self.state, State::End)
    }

    fn err<E>(&self, reason: impl Into<String>) -> PushError<E> {
        PushError::Tar(TarError {
            offset: self.header_offset,
            reason: reason.into(),
        })
    }

    /// Feeds the next bytes of the archive.
    pub fn push<S: TarSink>(
        &mut self,
        input: &[u8],
        sink: &mut S,
    ) -> Result<(), PushError<S::Error>> {
        self.feed(input, sink, false).map(|_| ())
    }

    /// Feeds the next bytes of the archive, stopping right after an
    /// entry's data if the sink asks to ([`TarSink::pause`]); returns how
    /// many bytes were consumed (all of them unless it stopped).
    pub fn push_some<S: TarSink>(
        &mut self,
        input: &[u8],
        sink: &mut S,
    ) -> Result<usize, PushError<S::Error>> {
        self.feed(input, sink, true)
    }

    fn feed<S: TarSink>(
        &mut self,
        mut input: &[u8],
        sink: &mut S,
        may_pause: bool,
    ) -> Result<usize, PushError<S::Error>> {
        let len = input.len();
        while !input.is_empty() {
            match self.state {
                State::End => {
                    self.offset += input.len() as u64;
                    return Ok(len);
                }
                State::Header => {
                    let need = 512 - self.block.len();
                    let take = need.min(input.len());
                    if self.block.is_empty() && input.len() >= 512 {
                        // Whole header in place: no copy.
                        let (h, rest) = input.split_at(512);
                        self.offset += 512;
                        input = rest;
                        self.header_offset = self.offset - 512;
                        self.header(h, sink)?;
                        continue;
                    }
                    self.block.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    self.offset += take as u64;
                    if self.block.len() == 512 {
                        let block = std::mem::take(&mut self.block);
                        self.header_offset = self.offset - 512;
                        let r = self.header(&block, sink);
                        self.block = block;
                        self.block.clear();
                        r?;
                    }
                }
                State::Data { left } => {
                    let take = (left.min(input.len() as u64)) as usize;
                    let (d, rest) = input.split_at(take);
                    input = rest;
                    self.offset += take as u64;
                    sink.data(d).map_err(PushError::Sink)?;
                    let left = left - take as u64;
                    if left == 0 {
                        self.in_entry = false;
                        sink.end().map_err(PushError::Sink)?;
                        self.state = padding_after(self.offset);
                        if may_pause && sink.pause() {
                            return Ok(len - input.len());
                        }
                    } else {
                        self.state = State::Data { left };
                    }
                }
                State::Extended { kind, left } => {
                    let take = (left.min(input.len() as u64)) as usize;
                    self.extended.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    self.offset += take as u64;
                    let left = left - take as u64;
                    if left == 0 {
                        self.apply_extended(kind)?;
                        self.state = padding_after(self.offset);
                    } else {
                        self.state = State::Extended { kind, left };
                    }
                }
                State::Padding { left } => {
                    let take = (left.min(input.len() as u64)) as usize;
                    input = &input[take..];
                    self.offset += take as u64;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::Header
                    } else {
                        State::Padding { left }
                    };
                }
            }
        }
        Ok(len)
    }

    /// The input ended. A missing end-of-archive marker is tolerated (Go's
    /// reader and Docker do too), but ending inside a header or an entry's
    /// data is an error.
    pub fn finish<E>(&self) -> Result<(), PushError<E>> {
        match self.state {
            State::End | State::Padding { .. } => Ok(()),
            State::Header if self.block.is_empty() => {
                if self.long_name.is_some() || self.long_link.is_some() || !self.pax.is_empty() {
                    Err(self.err("archive ends after an extended header, before its entry"))
                } else {
                    Ok(())
                }
            }
            State::Header => Err(PushError::Tar(TarError {
                offset: self.offset - self.block.len() as u64,
                reason: format!(
                    "truncated: archive ends inside a header ({} of 512 bytes)",
                    self.block.len()
                ),
            })),
            State::Data { left } | State::Extended { left, .. } => Err(self.err(format!(
                "truncated: archive ends {left} bytes before the end of an entry"
            ))),
        }
    }

    /// Number of entries seen so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    fn apply_extended<E>(&mut self, kind: u8) -> Result<(), PushError<E>> {
        let data = std::mem::take(&mut self.extended);
        match kind {
            b'L' => self.long_name = Some(cstr(&data)),
            b'K' => self.long_link = Some(cstr(&data)),
            b'x' => {
                let records = parse_pax(&data).ok_or_else(|| self.err("malformed pax header"))?;
                self.pax.extend(records);
            }
            // Global pax headers apply to later entries in theory; no image
            // tool relies on them, and Go's reader ignores them too.
            _ => {}
        }
        Ok(())
    }

    fn header<S: TarSink>(&mut self, h: &[u8], sink: &mut S) -> Result<(), PushError<S::Error>> {
        if h.iter().all(|&b| b == 0) {
            // End of archive (the second zero block and whatever follows
            // are ignored, as Go's reader does).
            self.state = State::End;
            return Ok(());
        }
        if !checksum_ok(h) {
            return Err(self.err("header checksum mismatch: not a tar archive, or corrupt"));
        }
        let size = number(&h[124..136]).ok_or_else(|| self.err("invalid size field"))?;
        let size = u64::try_from(size).map_err(|_| self.err("negative size field"))?;
        let typeflag = h[156];
        match typeflag {
            b'L' | b'K' | b'x' | b'g' => {
                if size > MAX_EXTENDED {
                    return Err(self.err(format!(
                        "extended header of {size} bytes (limit {MAX_EXTENDED})"
                    )));
                }
                self.extended.clear();
                self.state = if size == 0 {
                    State::Header
                } else {
                    State::Extended {
                        kind: typeflag,
                        left: size,
                    }
                };
                if size == 0 {
                    self.apply_extended(typeflag)?;
                }
                return Ok(());
            }
            _ => {}
        }
        let ustar = &h[257..263] == b"ustar\0";
        let mut name = if ustar && h[345] != 0 {
            let prefix = cstr(&h[345..500]);
            format!("{prefix}/{}", cstr(&h[0..100]))
        } else {
            cstr(&h[0..100])
        };
        let mut link = cstr(&h[157..257]);
        let mut size = size;
        let mut uid = number(&h[108..116]).unwrap_or(0).max(0) as u64;
        let mut gid = number(&h[116..124]).unwrap_or(0).max(0) as u64;
        let mut mtime = number(&h[136..148]).unwrap_or(0);
        let mode = number(&h[100..108]).unwrap_or(0) as u32;
        if let Some(n) = self.long_name.take() {
            name = n;
        }
        if let Some(l) = self.long_link.take() {
            link = l;
        }
        for (k, v) in std::mem::take(&mut self.pax) {
            match k.as_str() {
                "path" => name = v,
                "linkpath" => link = v,
                "size" => {
                    size = v
                        .parse()
                        .map_err(|_| self.err(format!("invalid pax size {v:?}")))?
                }
                "uid" => uid = v.parse().unwrap_or(uid),
                "gid" => gid = v.parse().unwrap_or(gid),
                "mtime" => {
                    mtime = v
                        .split('.')
                        .next()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(mtime)
                }
                _ => {}
            }
        }
        let kind = match EntryKind::from_flag(typeflag) {
            Some(kind) => kind,
            // GNU sparse files and other regular-file variants: treated as
            // files whose stored data is `size` bytes.
            None if typeflag == b'S' => EntryKind::File,
            None => {
                return Err(self.err(format!(
                    "unsupported entry type {:?} for {name:?}",
                    typeflag as char
                )))
            }
        };
        // Old tars mark directories with a trailing slash on a regular entry.
        let kind = if kind == EntryKind::File && typeflag == 0 && name.ends_with('/') {
            EntryKind::Dir
        } else {
            kind
        };
        let dev = matches!(kind, EntryKind::Char | EntryKind::Block).then(|| {
            (
                number(&h[329..337]).unwrap_or(0) as u32,
                number(&h[337..345]).unwrap_or(0) as u32,
            )
        });
        let header = Header {
            name,
            kind,
            size,
            mode,
            uid,
            gid,
            mtime,
            link: matches!(kind, EntryKind::Symlink | EntryKind::Hardlink).then_some(link),
            dev,
        };
        self.entries += 1;
        self.in_entry = true;
        sink.entry(&header).map_err(PushError::Sink)?;
        let data = if kind == EntryKind::File { size } else { 0 };
        if data == 0 {
            self.in_entry = false;
            sink.end().map_err(PushError::Sink)?;
            self.state = State::Header;
        } else {
            self.state = State::Data { left: data };
        }
        Ok(())
    }
}

fn padding_after(offset: u64) -> State {
    let rem = offset % 512;
    if rem == 0 {
        State::Header
    } else {
        State::Padding { left: 512 - rem }
    }
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// An octal field (NUL/space padded) or a GNU base-256 number.
fn number(field: &[u8]) -> Option<i64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // Base-256: the first byte's high bit is the marker, the next one
        // the sign.
        let negative = field[0] & 0x40 != 0;
        let mut v: i128 = (field[0] & 0x3f) as i128;
        if negative {
            v -= 0x40;
        }
        for &b in &field[1..] {
            v = v.checked_mul(256)? + b as i128;
        }
        return i64::try_from(v).ok();
    }
    let s = field
        .iter()
        .skip_while(|&&b| b == b' ' || b == 0)
        .take_while(|&&b| b != b' ' && b != 0);
    let mut v: i64 = 0;
    let mut any = false;
    for &b in s {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add((b - b'0') as i64)?;
        any = true;
    }
    if !any && field.iter().any(|&b| b != 0 && b != b' ') {
        return None;
    }
    Some(v)
}

fn checksum_ok(h: &[u8]) -> bool {
    let Some(want) = number(&h[148..156]) else {
        return false;
    };
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in h.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += b as i64;
        signed += (b as i8) as i64;
    }
    want == unsigned || want == signed
}

/// Whether `block` (at least 512 bytes) starts with a valid tar header or
/// is an end-of-archive block: used to tell a tar layer from other blobs.
pub fn looks_like_tar(block: &[u8]) -> bool {
    block.len() >= 512 && (block[..512].iter().all(|&b| b == 0) || checksum_ok(&block[..512]))
}

/// `"%d %s=%s\n"` records.
fn parse_pax(mut data: &[u8]) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        if data.iter().all(|&b| b == 0) {
            break;
        }
        let sp = data.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&data[..sp]).ok()?.parse().ok()?;
        if len <= sp + 1 || len > data.len() {
            return None;
        }
        let rec = &data[sp + 1..len];
        let rec = rec.strip_suffix(b"\n")?;
        let eq = rec.iter().position(|&b| b == b'=')?;
        out.push((
            String::from_utf8_lossy(&rec[..eq]).into_owned(),
            String::from_utf8_lossy(&rec[eq + 1..]).into_owned(),
        ));
        data = &data[len..];
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a ustar header (test helper shared with other modules' tests).
    pub fn header(name: &str, typeflag: u8, size: u64, link: &str) -> [u8; 512] {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = typeflag;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    /// A tar of `(name, typeflag, data, link)`.
    pub fn tar(entries: &[(&str, u8, &[u8], &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, t, data, link) in entries {
            out.extend_from_slice(&header(name, *t, data.len() as u64, link));
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.resize(out.len() + 1024, 0);
        out
    }

    #[derive(Default)]
    struct Collect {
        entries: Vec<(Header, Vec<u8>)>,
        ended: usize,
    }

    impl TarSink for Collect {
        type Error = ();
        fn entry(&mut self, h: &Header) -> Result<(), ()> {
            self.entries.push((h.clone(), Vec::new()));
            Ok(())
        }
        fn data(&mut self, d: &[u8]) -> Result<(), ()> {
            self.entries.last_mut().unwrap().1.extend_from_slice(d);
            Ok(())
        }
        fn end(&mut self) -> Result<(), ()> {
            self.ended += 1;
            Ok(())
        }
    }

    fn read_in_chunks(data: &[u8], chunk: usize) -> Result<Collect, PushError<()>> {
        let mut r = TarReader::new();
        let mut c = Collect::default();
        for piece in data.chunks(chunk) {
            r.push(piece, &mut c)?;
        }
        r.finish()?;
        Ok(c)
    }

    #[test]
    fn reads_entries_whatever_the_chunking() {
        let long = "d/".repeat(80) + "file";
        let pax = format!("{} path={long}\n", long.len() + 7 + 3);
        let data = tar(&[
            ("etc/", b'5', b"", ""),
            ("etc/hosts", b'0', b"127.0.0.1 localhost\n", ""),
            ("etc/link", b'2', b"", "hosts"),
            ("././@LongLink", b'L', format!("{long}\0").as_bytes(), ""),
            ("short", b'0', b"x", ""),
            ("pax", b'x', pax.as_bytes(), ""),
            ("short2", b'0', &[7u8; 1000], ""),
        ]);
        for chunk in [1, 7, 511, 512, 513, 4096, data.len()] {
            let c = read_in_chunks(&data, chunk).unwrap();
            let names: Vec<_> = c.entries.iter().map(|e| e.0.name.as_str()).collect();
            assert_eq!(
                names,
                ["etc/", "etc/hosts", "etc/link", &long, &long],
                "{chunk}"
            );
            assert_eq!(c.entries[1].1, b"127.0.0.1 localhost\n");
            assert_eq!(c.entries[2].0.link.as_deref(), Some("hosts"));
            assert_eq!(c.entries[4].1, vec![7u8; 1000]);
            assert_eq!(c.ended, 5);
        }
    }

    #[test]
    fn truncation_and_garbage_are_errors() {
        let data = tar(&[("a", b'0', &[1u8; 600], "")]);
        for cut in [100, 512, 700] {
            let e = read_in_chunks(&data[..cut], 64).err().unwrap();
            assert!(
                matches!(&e, PushError::Tar(t) if t.reason.contains("truncated")),
                "{cut}: {e:?}"
            );
        }
        let e = read_in_chunks(&[b'x'; 1024], 100).err().unwrap();
        assert!(matches!(&e, PushError::Tar(t) if t.reason.contains("checksum")));
    }

    #[test]
    fn numbers() {
        assert_eq!(number(b"0000644\0"), Some(0o644));
        assert_eq!(number(b"   12 \0"), Some(0o12));
        assert_eq!(number(&[0x80, 0, 0, 0, 0, 0, 1, 0]), Some(256));
        assert_eq!(number(b"\0\0\0\0"), Some(0));
        assert_eq!(number(b"12x"), None);
    }
}
