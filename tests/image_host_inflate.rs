//! A host may inflate gzip layers itself (`Reader::set_host_inflate`): the
//! npm package in Node hands them to Node's zlib, which inflates on
//! another thread. These tests play the host with flate2 and check that
//! the result is what the core finds on its own — digests, sizes, file
//! lists, captured contents — and that broken input, bombs and a host
//! that breaks the protocol get clear errors.

mod support;

use std::io::Write;
use std::sync::Arc;

use flate2::write::MultiGzDecoder;
use layerkit::image::{ImageError, Limits, Reader, Selector};
use layerkit::oci::Digest;
use support::{big_layer, docker_archive, gzip, Captured, Keep};

/// The host's side of one layer: an inflater and why it failed, if it did.
struct Inflating {
    dec: MultiGzDecoder<Vec<u8>>,
    failed: Option<String>,
}

impl Inflating {
    fn write(&mut self, bytes: &[u8], r: &mut Reader) -> Result<(), ImageError> {
        if self.failed.is_none() {
            if let Err(e) = self.dec.write_all(bytes) {
                self.failed = Some(e.to_string());
            }
        }
        self.drain(r)
    }

    fn drain(&mut self, r: &mut Reader) -> Result<(), ImageError> {
        let out = std::mem::take(self.dec.get_mut());
        if self.failed.is_none() && !out.is_empty() {
            r.host_data(&out)?;
        }
        Ok(())
    }

    fn end(mut self, r: &mut Reader) -> Result<(), ImageError> {
        if self.failed.is_none() {
            if let Err(e) = self.dec.try_finish() {
                self.failed = Some(e.to_string());
            }
        }
        self.drain(r)?;
        r.host_end(self.failed)
    }
}

/// Pushes `bytes` in chunks of `chunk` with the host inflating gzip
/// layers of at least `threshold` bytes; returns the reader to finish and
/// how many layers the host inflated.
fn push_all(r: &mut Reader, bytes: &[u8], chunk: usize) -> Result<usize, ImageError> {
    let mut host: Option<Inflating> = None;
    let mut layers = 0;
    for mut c in bytes.chunks(chunk) {
        while !c.is_empty() {
            let n = r.push_some(c)?;
            if let Some(w) = r.host_work() {
                let h = host.get_or_insert_with(|| Inflating {
                    dec: MultiGzDecoder::new(Vec::new()),
                    failed: None,
                });
                h.write(&w.prefix, r)?;
                h.write(&c[n - w.len..n], r)?;
                if w.ended {
                    layers += 1;
                    host.take().map_or(Ok(()), |h| h.end(r))?;
                }
            }
            c = &c[n..];
        }
    }
    Ok(layers)
}

/// Everything a read produced, as text (as tests/image_parallel.rs
/// does), and the number of layers the host inflated.
fn read(bytes: &[u8], host: Option<u64>, limits: Limits, chunk: usize) -> (String, usize) {
    let mut r = Reader::new("t.tar", limits);
    r.set_host_inflate(host);
    let layers = match push_all(&mut r, bytes, chunk) {
        Ok(n) => n,
        Err(e) => return (format!("push error: {e}"), 0),
    };
    let out = support::describe(r.finish().map(|(a, _)| a));
    (out, layers)
}

/// Reads with and without the host in several chunkings, requires the
/// same result, and returns it with the number of layers the host took.
fn same_with_host(what: &str, bytes: &[u8], limits: Limits) -> (String, usize) {
    let mut first = None;
    for chunk in [1 << 20, 4096, 777, 100_000] {
        let (core, _) = read(bytes, None, limits, chunk);
        let (host, layers) = read(bytes, Some(0), limits, chunk);
        assert_eq!(core, host, "{what}, chunks of {chunk}");
        first.get_or_insert((core, layers));
    }
    first.unwrap_or_default()
}

#[test]
fn every_real_fixture_reads_the_same_with_the_host_inflating() {
    let mut inflated = 0;
    for f in support::REAL_ARCHIVES {
        let bytes = std::fs::read(support::real_fixture(f)).unwrap();
        let (out, layers) = same_with_host(f, &bytes, Limits::default());
        assert!(out.contains("sha256:"), "{f}: {out}");
        inflated += layers;
    }
    // Docker's archives hold tar layers; kaniko's, ggcr's and the OCI ones
    // gzip'd layers, which the host must have taken.
    assert!(inflated >= 10, "the host inflated only {inflated} layers");
}

#[test]
fn a_big_layer_with_several_members_and_captured_files() {
    let (plain, files) = big_layer();
    // Three gzip members, as parallel compressors write them.
    let third = plain.len() / 3;
    let mut gz = gzip(&plain[..third]);
    gz.extend(gzip(&plain[third..2 * third]));
    gz.extend(gzip(&plain[2 * third..]));
    let archive = docker_archive(&gz, &Digest::sha256(&plain));
    let (out, layers) = same_with_host("three members", &archive, Limits::default());
    assert_eq!(layers, 1);
    assert!(out.contains(&Digest::sha256(&gz).to_string()), "{out}");
    assert!(out.contains(&Digest::sha256(&plain).to_string()), "{out}");

    // The default threshold: a 2+ MiB layer goes to the host.
    let mut r = Reader::new("t.tar", Limits::default());
    r.set_host_inflate(Some(layerkit::image::HOST_INFLATE_THRESHOLD));
    let got: Captured = Arc::default();
    r.set_capture(Box::new(Keep {
        want: "7.txt",
        fail_after: None,
        got: got.clone(),
    }));
    assert_eq!(push_all(&mut r, &archive, 1 << 20).unwrap(), 1);
    let a = r.finish().unwrap().0;
    let img = a.image(&Selector::default(), None).unwrap();
    assert_eq!(img.layers[0].diff_id, Digest::sha256(&plain));
    assert_eq!(img.layers[0].info.uncompressed_size, plain.len() as u64);
    assert_eq!(img.layers[0].info.files.len(), files.len());
    let want: Vec<_> = files
        .iter()
        .filter(|(n, _)| n.ends_with("7.txt"))
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(*got.lock().unwrap(), want);
}

#[test]
fn broken_layers_fail_the_same_way_with_the_host() {
    let (plain, _) = big_layer();
    let gz = gzip(&plain);
    let diff = Digest::sha256(&plain);
    let expect_failure = |what: &str, layer: &[u8]| {
        let archive = docker_archive(layer, &diff);
        for chunk in [1 << 20, 4096] {
            let (core, _) = read(&archive, None, Limits::default(), chunk);
            let (host, _) = read(&archive, Some(0), Limits::default(), chunk);
            // The stored digest is the same; the image is refused by both,
            // naming the layer; the reasons are each inflater's words.
            let stored = Digest::sha256(layer).to_string();
            for (who, out) in [("core", &core), ("host", &host)] {
                assert!(out.contains(&stored), "{what} ({who}): {out}");
                let verdict = out.lines().last().unwrap_or_default();
                assert!(
                    verdict.contains("l/layer.tar.gz"),
                    "{what} ({who}): {verdict}"
                );
                assert!(!verdict.starts_with("sha256:"), "{what} ({who}): {verdict}");
            }
        }
    };
    let mut bad = gz.clone();
    let mid = bad.len() / 2;
    for b in &mut bad[mid..mid + 64] {
        *b = !*b;
    }
    expect_failure("corrupt deflate data", &bad);
    expect_failure("cut short", &gz[..gz.len() - 1000]);
    let mut crc = gz.clone();
    let n = crc.len();
    crc[n - 8] ^= 1;
    expect_failure("wrong CRC-32", &crc);
}

#[test]
fn a_bomb_inflated_by_the_host_is_refused() {
    let (archive, limits) = support::bomb();
    let (out, layers) = read(&archive, Some(0), limits, 1 << 20);
    assert!(out.contains("decompression bomb"), "{out}");
    assert!(out.contains("l/layer.tar.gz"), "{out}");
    assert_eq!(layers, 0);
}

#[test]
fn a_host_that_breaks_the_protocol_is_told_so() {
    let (plain, _) = big_layer();
    let archive = docker_archive(&gzip(&plain), &Digest::sha256(&plain));

    // Pushing on past a layer's end without ending it.
    let mut r = Reader::new("t.tar", Limits::default());
    r.set_host_inflate(Some(0));
    let mut at = 0;
    let err = loop {
        match r.push_some(&archive[at..]) {
            Ok(n) => at += n,
            Err(e) => break e.to_string(),
        }
        assert!(at < archive.len(), "every byte was taken without a pause");
    };
    assert!(err.contains("waits for the host"), "{err}");

    // Finishing while a layer waits.
    let mut r = Reader::new("t.tar", Limits::default());
    r.set_host_inflate(Some(0));
    let mut at = 0;
    while !r.host_work().is_some_and(|w| w.ended) {
        at += r.push_some(&archive[at..]).unwrap();
        assert!(at < archive.len(), "every byte was taken without a pause");
    }
    let err = r.finish().err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("still inflated l/layer.tar.gz"), "{err}");

    // Inflated bytes when no layer is the host's; ending one early.
    let mut r = Reader::new("t.tar", Limits::default());
    r.set_host_inflate(Some(0));
    let err = r.host_data(b"x").unwrap_err().to_string();
    assert!(err.contains("no layer is being inflated"), "{err}");
    let err = r.host_end(None).unwrap_err().to_string();
    assert!(err.contains("before its stored bytes"), "{err}");
}

#[test]
fn a_gzipped_archive_is_inflated_by_the_core() {
    // The whole archive compressed: no offsets into the input to hand out.
    let (plain, _) = big_layer();
    let archive = gzip(&docker_archive(&gzip(&plain), &Digest::sha256(&plain)));
    let (out, layers) = same_with_host("gzip'd archive", &archive, Limits::default());
    assert_eq!(layers, 0);
    assert!(out.contains(&Digest::sha256(&plain).to_string()), "{out}");
}
