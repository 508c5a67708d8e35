//! Tar entries for layers and archives: deterministic headers out, a
//! push-fed header scanner in.
//!
//! ```text
//! one entry = [PAX 'x' header + records, padded]  ustar header (512)  data  padding to 512
//! end       = two zero blocks (1024 bytes)
//! ```
//!
//! Writing: [`TarEntry::header_bytes`] gives the bytes that go before an
//! entry's data; the caller streams the data and then [`padding`]. Fields
//! that do not fit ustar (long paths and link targets, sizes of 8 GiB and
//! more, large ids, negative times, xattrs) go in a PAX extended header, as
//! Go's `archive/tar` (Docker, containerd) reads them. Nothing here depends
//! on the host: the same entry gives the same bytes.
//!
//! Reading: [`TarScanner`] is fed chunks in any sizes and reports each
//! entry's metadata (with PAX and GNU long-name records applied) and its
//! data. It never buffers more than one header.
//!
//! Format: POSIX pax / ustar (IEEE 1003.1-2001) and GNU's `L`/`K` records.

use std::collections::BTreeMap;

pub use super::tar::EntryKind;

/// One tar entry's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Slash-separated, relative, without a leading `./`; directories
    /// without a trailing slash (one is added when writing).
    pub path: String,
    pub kind: EntryKind,
    /// Permission bits and setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: String,
    pub gname: String,
    /// Bytes of data that follow (regular files only).
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub mtime: i64,
    /// Target of a symlink or hard link.
    pub link: String,
    pub dev_major: u32,
    pub dev_minor: u32,
    /// Extended attributes (`SCHILY.xattr.*`).
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

impl TarEntry {
    /// An entry with zeroed metadata.
    pub fn new(path: impl Into<String>, kind: EntryKind) -> TarEntry {
        TarEntry {
            path: path.into(),
            kind,
            mode: if kind == EntryKind::Dir { 0o755 } else { 0o644 },
            uid: 0,
            gid: 0,
            uname: String::new(),
            gname: String::new(),
            size: 0,
            mtime: 0,
            link: String::new(),
            dev_major: 0,
            dev_minor: 0,
            xattrs: BTreeMap::new(),
        }
    }

    /// A regular file of `size` bytes, mode 0644, owned by root.
    pub fn file(path: impl Into<String>, size: u64) -> TarEntry {
        TarEntry {
            size,
            ..TarEntry::new(path, EntryKind::File)
        }
    }

    /// The bytes to write before this entry's data: a PAX header when
    /// needed, then the ustar header.
    pub fn header_bytes(&self) -> Vec<u8> {
        let mut name = self.path.trim_start_matches("./").to_string();
        if self.kind == EntryKind::Dir && !name.ends_with('/') {
            name.push('/');
        }
        let size = if self.kind == EntryKind::File {
            self.size
        } else {
            0
        };
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        let (prefix, short) = match split_ustar_name(&name) {
            Some(p) => p,
            None => {
                pax.push(("path".into(), name.clone().into_bytes()));
                (String::new(), truncate(&name, 100))
            }
        };
        if self.link.len() > 100 {
            pax.push(("linkpath".into(), self.link.clone().into_bytes()));
        }
        const MAX_OCTAL_11: u64 = 0o77777777777;
        const MAX_OCTAL_7: u64 = 0o7777777;
        if size > MAX_OCTAL_11 {
            pax.push(("size".into(), size.to_string().into_bytes()));
        }
        if self.mtime < 0 || self.mtime as u64 > MAX_OCTAL_11 {
            pax.push(("mtime".into(), self.mtime.to_string().into_bytes()));
        }
        if self.uid > MAX_OCTAL_7 {
            pax.push(("uid".into(), self.uid.to_string().into_bytes()));
        }
        if self.gid > MAX_OCTAL_7 {
            pax.push(("gid".into(), self.gid.to_string().into_bytes()));
        }
        if self.uname.len() > 32 {
            pax.push(("uname".into(), self.uname.clone().into_bytes()));
        }
        if self.gname.len() > 32 {
            pax.push(("gname".into(), self.gname.clone().into_bytes()));
        }
        for (k, v) in &self.xattrs {
            pax.push((format!("SCHILY.xattr.{k}"), v.clone()));
        }

        let mut out = Vec::with_capacity(if pax.is_empty() { 512 } else { 2048 });
        if !pax.is_empty() {
            let mut records = Vec::new();
            for (k, v) in &pax {
                records.extend_from_slice(&pax_record(k, v));
            }
            let mut h = [0u8; 512];
            put_str(&mut h[0..100], "././@PaxHeader");
            put_octal(&mut h[100..108], 0o644);
            put_octal(&mut h[108..116], 0);
            put_octal(&mut h[116..124], 0);
            put_octal(&mut h[124..136], records.len() as u64);
            put_octal(&mut h[136..148], 0);
            h[156] = b'x';
            finish_header(&mut h);
            out.extend_from_slice(&h);
            out.extend_from_slice(&records);
            out.extend_from_slice(padding(records.len() as u64));
        }

        let mut h = [0u8; 512];
        put_str(&mut h[0..100], &short);
        put_octal(&mut h[100..108], u64::from(self.mode & 0o7777));
        put_octal(&mut h[108..116], self.uid.min(MAX_OCTAL_7));
        put_octal(&mut h[116..124], self.gid.min(MAX_OCTAL_7));
        put_octal(&mut h[124..136], size.min(MAX_OCTAL_11));
        put_octal(
            &mut h[136..148],
            self.mtime.clamp(0, MAX_OCTAL_11 as i64) as u64,
        );
        h[156] = self.kind.flag();
        put_str(&mut h[157..257], &truncate(&self.link, 100));
        if matches!(self.kind, EntryKind::Char | EntryKind::Block) {
            put_octal(&mut h[329..337], u64::from(self.dev_major));
            put_octal(&mut h[337..345], u64::from(self.dev_minor));
        }
        put_str(&mut h[265..297], &truncate(&self.uname, 32));
        put_str(&mut h[297..329], &truncate(&self.gname, 32));
        put_str(&mut h[345..500], &prefix);
        finish_header(&mut h);
        out.extend_from_slice(&h);
        out
    }
}

/// The zero bytes that pad `size` bytes of data to a 512-byte block.
pub fn padding(size: u64) -> &'static [u8] {
    static ZEROS: [u8; 512] = [0; 512];
    let rem = (size % 512) as usize;
    if rem == 0 {
        &[]
    } else {
        &ZEROS[..512 - rem]
    }
}

/// The end-of-archive marker: two zero blocks.
pub const END_OF_ARCHIVE: [u8; 1024] = [0; 1024];

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Splits a name into ustar's prefix (≤155) and name (≤100) at a slash, or
/// `None` when it cannot be.
fn split_ustar_name(name: &str) -> Option<(String, String)> {
    if name.len() <= 100 {
        return Some((String::new(), name.to_string()));
    }
    if name.len() > 256 {
        return None;
    }
    // The prefix must end at a slash; the rest (without that slash) ≤ 100.
    let bytes = name.as_bytes();
    let mut i = name.len().saturating_sub(101);
    while i < bytes.len() && i <= 155 {
        if bytes[i] == b'/' && i > 0 && name.len() - i - 1 <= 100 && name.len() - i - 1 > 0 {
            return Some((name[..i].to_string(), name[i + 1..].to_string()));
        }
        i += 1;
    }
    None
}

fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    // "%d %s=%s\n", where the length counts its own digits.
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    let mut r = format!("{len} {key}=").into_bytes();
    r.extend_from_slice(value);
    r.push(b'\n');
    r
}

fn put_str(field: &mut [u8], s: &str) {
    let n = s.len().min(field.len());
    field[..n].copy_from_slice(&s.as_bytes()[..n]);
}

fn put_octal(field: &mut [u8], v: u64) {
    let digits = field.len() - 1;
    let s = format!("{v:0digits$o}");
    put_str(field, &s[s.len().saturating_sub(digits)..]);
    field[digits] = 0;
}

fn finish_header(h: &mut [u8; 512]) {
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
}

/// Why a tar stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TarError {
    #[error("not a tar archive: bad header checksum in the block at byte {offset}")]
    Checksum { offset: u64 },
    #[error("tar entry {path:?} has an invalid {field} field at byte {offset}")]
    Field {
        path: String,
        field: &'static str,
        offset: u64,
    },
    #[error("tar entry {path:?} has unsupported type {flag:?} at byte {offset}")]
    Type {
        path: String,
        flag: char,
        offset: u64,
    },
    #[error(
        "tar archive ends in the middle of {what} (after {offset} bytes): the file is truncated"
    )]
    Truncated { what: String, offset: u64 },
    #[error("tar entry {path:?}: extended header larger than 1 MiB at byte {offset}")]
    HugeMeta { path: String, offset: u64 },
}

/// What a [`TarScanner`] reports.
pub trait TarSink {
    /// A new entry; return `true` to receive its data through
    /// [`TarSink::data`].
    fn entry(&mut self, entry: &TarEntry) -> bool;
    /// A piece of the current entry's data.
    fn data(&mut self, _chunk: &[u8]) {}
}

enum State {
    Header,
    /// Data of a normal entry: bytes left, padding after, deliver?
    Data {
        left: u64,
        pad: u64,
        deliver: bool,
    },
    /// Body of a PAX or GNU long-name record being collected.
    Meta {
        flag: u8,
        left: u64,
        pad: u64,
        body: Vec<u8>,
    },
    Padding {
        left: u64,
    },
    /// After the end-of-archive marker: the rest is ignored.
    Ended,
}

/// A push-fed tar reader: [`TarScanner::push`] chunks, then
/// [`TarScanner::finish`].
pub struct TarScanner {
    state: State,
    block: [u8; 512],
    filled: usize,
    offset: u64,
    pax: BTreeMap<String, Vec<u8>>,
    global_pax: BTreeMap<String, Vec<u8>>,
    long_name: Option<String>,
    long_link: Option<String>,
    zero_blocks: u8,
    entries: u64,
}

impl Default for TarScanner {
    fn default() -> Self {
        TarScanner::new()
    }
}

impl TarScanner {
    pub fn new() -> TarScanner {
        TarScanner {
            state: State::Header,
            block: [0; 512],
            filled: 0,
            offset: 0,
            pax: BTreeMap::new(),
            global_pax: BTreeMap::new(),
            long_name: None,
            long_link: None,
            zero_blocks: 0,
            entries: 0,
        }
    }

    /// How many entries have been reported.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Whether the end-of-archive marker was seen.
    pub fn ended(&self) -> bool {
        matches!(self.state, State::Ended)
    }

    /// Feeds the next bytes of the stream.
    pub fn push(&mut self, mut chunk: &[u8], sink: &mut dyn TarSink) -> Result<(), TarError> {
        while !chunk.is_empty() {
            match &mut self.state {
                State::Ended => {
                    self.offset += chunk.len() as u64;
                    return Ok(());
                }
                State::Header => {
                    let n = (512 - self.filled).min(chunk.len());
                    self.block[self.filled..self.filled + n].copy_from_slice(&chunk[..n]);
                    self.filled += n;
                    chunk = &chunk[n..];
                    if self.filled == 512 {
                        self.filled = 0;
                        self.header(sink)?;
                        self.offset += 512;
                    }
                }
                State::Data { left, pad, deliver } => {
                    let n = (*left).min(chunk.len() as u64) as usize;
                    if *deliver {
                        sink.data(&chunk[..n]);
                    }
                    *left -= n as u64;
                    self.offset += n as u64;
                    chunk = &chunk[n..];
                    if *left == 0 {
                        self.state = State::Padding { left: *pad };
                    }
                }
                State::Meta {
                    flag,
                    left,
                    pad,
                    body,
                } => {
                    let n = (*left).min(chunk.len() as u64) as usize;
                    body.extend_from_slice(&chunk[..n]);
                    *left -= n as u64;
                    self.offset += n as u64;
                    chunk = &chunk[n..];
                    if *left == 0 {
                        let (flag, pad, body) = (*flag, *pad, std::mem::take(body));
                        self.meta(flag, &body);
                        self.state = State::Padding { left: pad };
                    }
                }
                State::Padding { left } => {
                    let n = (*left).min(chunk.len() as u64) as usize;
                    *left -= n as u64;
                    self.offset += n as u64;
                    chunk = &chunk[n..];
                    if *left == 0 {
                        self.state = State::Header;
                    }
                }
            }
            if let State::Padding { left: 0 } = self.state {
                self.state = State::Header;
            }
        }
        Ok(())
    }

    /// Ends the stream: an error if it stopped inside an entry. A stream
    /// without the end-of-archive marker is accepted, as Go's reader does.
    pub fn finish(&self) -> Result<(), TarError> {
        let what = match &self.state {
            State::Header if self.filled == 0 => return Ok(()),
            State::Ended | State::Padding { .. } => return Ok(()),
            State::Header => "a header".to_string(),
            State::Data { .. } => "an entry's data".to_string(),
            State::Meta { .. } => "an extended header".to_string(),
        };
        Err(TarError::Truncated {
            what,
            offset: self.offset,
        })
    }

    fn meta(&mut self, flag: u8, body: &[u8]) {
        match flag {
            b'L' => self.long_name = Some(c_string(body)),
            b'K' => self.long_link = Some(c_string(body)),
            b'g' => parse_pax(body, &mut self.global_pax),
            _ => parse_pax(body, &mut self.pax),
        }
    }

    fn header(&mut self, sink: &mut dyn TarSink) -> Result<(), TarError> {
        let h = self.block;
        if h.iter().all(|&b| b == 0) {
            self.zero_blocks += 1;
            if self.zero_blocks == 2 {
                self.state = State::Ended;
            }
            return Ok(());
        }
        self.zero_blocks = 0;
        let offset = self.offset;
        let stored = parse_octal(&h[148..156]);
        let unsigned: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| u64::from(if (148..156).contains(&i) { b' ' } else { b }))
            .sum();
        let signed: i64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                i64::from(if (148..156).contains(&i) {
                    b' ' as i8
                } else {
                    b as i8
                })
            })
            .sum();
        if stored.is_none_or(|s| s != unsigned && s as i64 != signed) {
            return Err(TarError::Checksum { offset });
        }
        let mut path = c_string(&h[0..100]);
        let ustar = &h[257..262] == b"ustar";
        if ustar && h[345] != 0 && &h[257..263] == b"ustar\0" {
            let prefix = c_string(&h[345..500]);
            if !prefix.is_empty() {
                path = format!("{prefix}/{path}");
            }
        }
        let flag = h[156];
        let size = parse_number(&h[124..136]).ok_or_else(|| TarError::Field {
            path: path.clone(),
            field: "size",
            offset,
        })?;
        let pad = padding(size).len() as u64;
        match flag {
            b'x' | b'g' | b'L' | b'K' => {
                if size > 1 << 20 {
                    return Err(TarError::HugeMeta { path, offset });
                }
                self.state = if size == 0 {
                    State::Header
                } else {
                    State::Meta {
                        flag,
                        left: size,
                        pad,
                        body: Vec::with_capacity(size as usize),
                    }
                };
                return Ok(());
            }
            _ => {}
        }
        let pax = std::mem::take(&mut self.pax);
        let get = |k: &str| {
            pax.get(k)
                .or_else(|| self.global_pax.get(k))
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        if let Some(p) = self.long_name.take() {
            path = p;
        }
        if let Some(p) = get("path") {
            path = p;
        }
        let mut link = c_string(&h[157..257]);
        if let Some(l) = self.long_link.take() {
            link = l;
        }
        if let Some(l) = get("linkpath") {
            link = l;
        }
        let Some(mut kind) = EntryKind::from_flag(flag) else {
            // Unknown types (GNU sparse, volume labels…): skip their data.
            self.state = State::Data {
                left: size,
                pad,
                deliver: false,
            };
            if size == 0 {
                self.state = State::Header;
            }
            return Err(TarError::Type {
                path,
                flag: flag as char,
                offset,
            });
        };
        if kind == EntryKind::File && path.ends_with('/') {
            kind = EntryKind::Dir;
        }
        let num = |name: &'static str, range: std::ops::Range<usize>| {
            parse_number(&h[range]).ok_or_else(|| TarError::Field {
                path: path.clone(),
                field: name,
                offset,
            })
        };
        let mut entry = TarEntry {
            path: String::new(),
            kind,
            mode: (num("mode", 100..108)? & 0o7777) as u32,
            uid: num("uid", 108..116)?,
            gid: num("gid", 116..124)?,
            uname: c_string(&h[265..297]),
            gname: c_string(&h[297..329]),
            size: if kind == EntryKind::File { size } else { 0 },
            mtime: num("mtime", 136..148)? as i64,
            link,
            dev_major: parse_number(&h[329..337]).unwrap_or(0) as u32,
            dev_minor: parse_number(&h[337..345]).unwrap_or(0) as u32,
            xattrs: BTreeMap::new(),
        };
        let field = |name: &'static str| TarError::Field {
            path: path.clone(),
            field: name,
            offset,
        };
        let mut size = size;
        if let Some(s) = get("size") {
            size = s.trim().parse().map_err(|_| field("size"))?;
            if kind == EntryKind::File {
                entry.size = size;
            }
        }
        if let Some(t) = get("mtime") {
            let secs = t.split('.').next().unwrap_or("0");
            entry.mtime = secs.trim().parse().map_err(|_| field("mtime"))?;
        }
        if let Some(u) = get("uid") {
            entry.uid = u.trim().parse().map_err(|_| field("uid"))?;
        }
        if let Some(g) = get("gid") {
            entry.gid = g.trim().parse().map_err(|_| field("gid"))?;
        }
        if let Some(u) = get("uname") {
            entry.uname = u;
        }
        if let Some(g) = get("gname") {
            entry.gname = g;
        }
        for (k, v) in &pax {
            if let Some(name) = k.strip_prefix("SCHILY.xattr.") {
                entry.xattrs.insert(name.to_string(), v.clone());
            }
        }
        entry.path = clean_path(&path);
        // Hard links carry no data even when a size is set.
        let data = if matches!(kind, EntryKind::File) {
            size
        } else {
            0
        };
        let pad = padding(data).len() as u64;
        self.entries += 1;
        let deliver = sink.entry(&entry);
        self.state = if data == 0 {
            State::Header
        } else {
            State::Data {
                left: data,
                pad,
                deliver,
            }
        };
        Ok(())
    }
}

/// A path as layers compare them: no leading `./` or `/`, no trailing `/`,
/// `.` segments removed.
pub fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn parse_octal(b: &[u8]) -> Option<u64> {
    let s: Vec<u8> = b
        .iter()
        .copied()
        .skip_while(|&c| c == b' ' || c == 0)
        .take_while(|&c| c != b' ' && c != 0)
        .collect();
    if s.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for c in s {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Octal, or GNU base-256 when the high bit of the first byte is set.
fn parse_number(b: &[u8]) -> Option<u64> {
    if b.first().is_some_and(|&c| c & 0x80 != 0) {
        if b[0] & 0x40 != 0 {
            return None; // negative
        }
        let mut v: u64 = u64::from(b[0] & 0x3f);
        for &c in &b[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(c))?;
        }
        return Some(v);
    }
    parse_octal(b)
}

fn parse_pax(body: &[u8], into: &mut BTreeMap<String, Vec<u8>>) {
    let mut rest = body;
    while !rest.is_empty() {
        let Some(sp) = rest.iter().position(|&c| c == b' ') else {
            return;
        };
        let Some(len) = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            return;
        };
        if len <= sp + 1 || len > rest.len() {
            return;
        }
        let record = &rest[sp + 1..len - 1]; // without the newline
        if let Some(eq) = record.iter().position(|&c| c == b'=') {
            let key = String::from_utf8_lossy(&record[..eq]).into_owned();
            into.insert(key, record[eq + 1..].to_vec());
        }
        rest = &rest[len..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        entries: Vec<TarEntry>,
        data: Vec<u8>,
    }

    impl TarSink for Collect {
        fn entry(&mut self, e: &TarEntry) -> bool {
            self.entries.push(e.clone());
            true
        }
        fn data(&mut self, chunk: &[u8]) {
            self.data.extend_from_slice(chunk);
        }
    }

    fn archive(entries: &[(TarEntry, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (e, d) in entries {
            out.extend(e.header_bytes());
            out.extend_from_slice(d);
            out.extend_from_slice(padding(d.len() as u64));
        }
        out.extend_from_slice(&END_OF_ARCHIVE);
        out
    }

    #[test]
    fn round_trips_through_the_scanner_in_any_chunk_size() {
        let long = format!("{}/file", "d".repeat(300));
        let mut x = TarEntry::file("etc/hello", 3);
        x.xattrs
            .insert("security.capability".into(), vec![1, 0, 0, 2]);
        x.mtime = 1_700_000_000;
        let mut link = TarEntry::new("l", EntryKind::Symlink);
        link.link = "t".repeat(150);
        let big = TarEntry {
            uid: 10_000_000,
            ..TarEntry::file(long.clone(), 2)
        };
        let tar = archive(&[
            (TarEntry::new("etc", EntryKind::Dir), b""),
            (x.clone(), b"hi\n"),
            (link.clone(), b""),
            (big.clone(), b"ab"),
        ]);
        for chunk in [1, 7, 512, 100_000] {
            let mut c = Collect::default();
            let mut s = TarScanner::new();
            for piece in tar.chunks(chunk) {
                s.push(piece, &mut c).unwrap();
            }
            s.finish().unwrap();
            assert!(s.ended());
            assert_eq!(c.entries.len(), 4);
            assert_eq!(c.entries[0].kind, EntryKind::Dir);
            assert_eq!(c.entries[0].path, "etc");
            assert_eq!(c.entries[1], x);
            assert_eq!(c.entries[2].link, link.link);
            assert_eq!(c.entries[3].path, long);
            assert_eq!(c.entries[3].uid, 10_000_000);
            assert_eq!(c.data, b"hi\nab");
        }
    }

    #[test]
    fn headers_are_what_gnu_tar_writes_for_ustar() {
        // A 512-byte header with a valid checksum and octal fields.
        let h = TarEntry::file("a.txt", 5).header_bytes();
        assert_eq!(h.len(), 512);
        assert_eq!(&h[0..6], b"a.txt\0");
        assert_eq!(&h[124..136], b"00000000005\0");
        assert_eq!(&h[257..265], b"ustar\x0000");
        let sum: u32 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(b)
                }
            })
            .sum();
        assert_eq!(parse_octal(&h[148..156]), Some(u64::from(sum)));
    }

    #[test]
    fn names_up_to_256_bytes_use_the_ustar_prefix() {
        let name = format!("{}/{}", "p".repeat(150), "n".repeat(90));
        let h = TarEntry::file(name.clone(), 0).header_bytes();
        assert_eq!(h.len(), 512, "no PAX header needed");
        let mut c = Collect::default();
        let mut s = TarScanner::new();
        s.push(&h, &mut c).unwrap();
        assert_eq!(c.entries[0].path, name);
    }

    #[test]
    fn truncated_and_corrupt_streams_are_errors() {
        let tar = archive(&[(TarEntry::file("a", 1000), &[7u8; 1000])]);
        let mut s = TarScanner::new();
        s.push(&tar[..700], &mut Collect::default()).unwrap();
        assert!(matches!(s.finish(), Err(TarError::Truncated { .. })));
        let mut bad = tar.clone();
        bad[0] = b'X';
        let e = TarScanner::new()
            .push(&bad, &mut Collect::default())
            .unwrap_err();
        assert!(matches!(e, TarError::Checksum { offset: 0 }), "{e}");
    }

    #[test]
    fn pax_record_lengths_count_themselves() {
        assert_eq!(pax_record("path", b"abc"), b"12 path=abc\n");
        let r = pax_record("k", &[b'v'; 95]);
        assert_eq!(r.len(), 102);
        assert!(r.starts_with(b"102 k="));
    }

    #[test]
    fn clean_paths() {
        assert_eq!(clean_path("./a/b/"), "a/b");
        assert_eq!(clean_path("/a/./b"), "a/b");
        assert_eq!(clean_path("a/../../b"), "b");
        assert_eq!(clean_path("./"), "");
    }
}
