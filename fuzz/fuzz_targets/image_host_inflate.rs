//! The archive reader with the host inflating gzip layers (flate2 plays
//! the host, as Node's zlib does in the npm package), on arbitrary bytes
//! in uneven chunks: no panic, no hang, and where the core alone reads a
//! layer cleanly, the host's way gives the same digests, sizes and files.
#![no_main]

use std::collections::BTreeMap;
use std::io::Write;

use flate2::write::MultiGzDecoder;
use layerkit::image::{BlobContent, ImageError, Limits, Reader};
use libfuzzer_sys::fuzz_target;

fn limits() -> Limits {
    Limits {
        max_json: 1 << 20,
        bomb_floor: 16 << 20,
        ..Limits::default()
    }
}

/// Each blob's stored digest and, for a layer read without error, its
/// diff id, size and file list.
type Outcome = BTreeMap<String, (String, Option<String>)>;

fn outcome(r: Reader) -> Option<Outcome> {
    let (archive, _) = r.finish().ok()?;
    Some(
        archive
            .blobs
            .iter()
            .map(|(path, b)| {
                let layer = match &b.content {
                    BlobContent::Layer(l) if l.error.is_none() => {
                        Some(format!("{} {} {:?}", l.diff_id, l.uncompressed_size, l.files))
                    }
                    _ => None,
                };
                (path.clone(), (b.digest.to_string(), layer))
            })
            .collect(),
    )
}

fn core(data: &[u8], step: usize) -> Option<Outcome> {
    let mut r = Reader::new("fuzz", limits());
    for chunk in data.chunks(step) {
        r.push(chunk).ok()?;
    }
    outcome(r)
}

fn host(data: &[u8], step: usize) -> Result<Option<Outcome>, ImageError> {
    let mut r = Reader::new("fuzz", limits());
    r.set_host_inflate(Some(0));
    let mut dec: Option<(MultiGzDecoder<Vec<u8>>, Option<String>)> = None;
    for mut chunk in data.chunks(step) {
        while !chunk.is_empty() {
            let n = r.push_some(chunk)?;
            if let Some(w) = r.host_work() {
                let (d, failed) = dec.get_or_insert_with(|| (MultiGzDecoder::new(Vec::new()), None));
                for piece in [&w.prefix[..], &chunk[n - w.len..n]] {
                    if failed.is_none() {
                        if let Err(e) = d.write_all(piece) {
                            *failed = Some(e.to_string());
                        }
                    }
                    if failed.is_none() {
                        r.host_data(&std::mem::take(d.get_mut()))?;
                    }
                }
                if w.ended {
                    if let Some((mut d, mut failed)) = dec.take() {
                        if failed.is_none() {
                            if let Err(e) = d.try_finish() {
                                failed = Some(e.to_string());
                            } else {
                                r.host_data(&std::mem::take(d.get_mut()))?;
                            }
                        }
                        r.host_end(failed)?;
                    }
                }
            }
            chunk = &chunk[n..];
        }
    }
    Ok(outcome(r))
}

fuzz_target!(|data: &[u8]| {
    let step = 1 + data.first().copied().unwrap_or(0) as usize * 7;
    let by_host = match host(data, step) {
        Ok(Some(o)) => o,
        _ => return,
    };
    let Some(by_core) = core(data, step) else { return };
    for (path, (digest, layer)) in &by_core {
        let Some((d, l)) = by_host.get(path) else { continue };
        assert_eq!(digest, d, "{path}: stored digest");
        if let (Some(a), Some(b)) = (layer, l) {
            assert_eq!(a, b, "{path}: layer");
        }
    }
});
