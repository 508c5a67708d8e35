//! Natively a big layer is read on two threads (decompression here,
//! hashing and listing on a worker). These tests read the same input both
//! ways — everything on one thread, and on two from the first byte — and
//! check that what comes out is identical: digests, file lists, captured
//! file contents, and the errors for broken input.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use layerkit::image::{Limits, Reader, Selector};
use layerkit::oci::Digest;
use support::{big_layer, docker_archive, gzip, tar, Keep};

/// Everything a read produced, as text: each member's digest, size,
/// content (file lists, diff_ids, layer errors), or the error.
fn read(bytes: &[u8], parallel: Option<u64>, limits: Limits, chunk: usize) -> String {
    let mut r = Reader::new("t.tar", limits);
    r.set_parallel(parallel);
    for c in bytes.chunks(chunk) {
        if let Err(e) = r.push(c) {
            return format!("push error: {e}");
        }
    }
    support::describe(r.finish().map(|(a, _)| a))
}

/// Reads both ways and checks they agree; returns the one-thread result.
/// (The same chunking both ways: where a corrupt stream is noticed, and so
/// how much of it was decoded, depends on the chunk boundaries.)
fn same_both_ways(what: &str, bytes: &[u8], limits: Limits) -> String {
    let mut first = None;
    for chunk in [1 << 20, 4096, 777] {
        let one = read(bytes, None, limits, chunk);
        let two = read(bytes, Some(0), limits, chunk);
        if one != two {
            let at = one
                .bytes()
                .zip(two.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let around = |s: &str| s[at.saturating_sub(200)..(at + 300).min(s.len())].to_string();
            panic!(
                "{what}: two threads differ (chunks of {chunk}) at {at}:\none: …{}\ntwo: …{}",
                around(&one),
                around(&two)
            );
        }
        first.get_or_insert(one);
    }
    first.unwrap_or_default()
}

#[test]
fn every_real_fixture_reads_the_same_on_two_threads() {
    for f in support::REAL_ARCHIVES {
        let bytes = std::fs::read(support::real_fixture(f)).unwrap();
        let one = same_both_ways(f, &bytes, Limits::default());
        assert!(one.contains("sha256:"), "{f}: {one}");
        // Truncated and corrupted copies fail (or not) the same way too.
        same_both_ways(f, &bytes[..bytes.len() * 2 / 3], Limits::default());
        let mut bad = bytes.clone();
        let n = bad.len();
        for i in (n / 3..n * 2 / 3).step_by(997) {
            bad[i] ^= 0x5a;
        }
        same_both_ways(f, &bad, Limits::default());
    }
}

// ---- a generated multi-MiB layer ---------------------------------------

#[test]
fn a_big_layer_gives_the_same_digests_and_files() {
    let (plain, files) = big_layer();
    let gz = gzip(&plain);
    assert!(
        gz.len() > 2 << 20,
        "the layer must pass the default threshold"
    );
    let archive = docker_archive(&gz, &Digest::sha256(&plain));

    // Default settings (two threads past 1 MiB) against one thread.
    let mut r = Reader::new("t.tar", Limits::default());
    for c in archive.chunks(1 << 20) {
        r.push(c).unwrap();
    }
    let a = r.finish().unwrap().0;
    let img = a.image(&Selector::default(), None).unwrap();
    let layer = &img.layers[0];
    assert_eq!(layer.diff_id, Digest::sha256(&plain));
    assert_eq!(layer.info.uncompressed_size, plain.len() as u64);
    assert_eq!(
        a.blob("l/layer.tar.gz").unwrap().digest,
        Digest::sha256(&gz)
    );
    let listed: Vec<_> = layer
        .info
        .files
        .iter()
        .map(|e| (e.path.clone(), e.size))
        .collect();
    let want: Vec<_> = files
        .iter()
        .map(|(n, d)| (n.clone(), d.len() as u64))
        .collect();
    assert_eq!(listed, want);
    same_both_ways("big layer", &archive, Limits::default());

    // Plain (uncompressed) layer and a whole-archive gzip.
    same_both_ways(
        "big plain layer",
        &docker_archive(&plain, &Digest::sha256(&plain)),
        Limits::default(),
    );
    same_both_ways("gzip'd archive", &gzip(&archive), Limits::default());

    // Corrupt deflate data in the middle of the layer: the layer error
    // and the stored digest (hashing goes on) agree.
    let mut bad = gz.clone();
    let mid = bad.len() / 2;
    for b in &mut bad[mid..mid + 64] {
        *b = !*b;
    }
    let out = same_both_ways(
        "corrupt layer",
        &docker_archive(&bad, &Digest::sha256(&plain)),
        Limits::default(),
    );
    assert!(out.contains(&Digest::sha256(&bad).to_string()), "{out}");
    assert!(out.contains("corrupt"), "{out}");
}

#[test]
fn a_bomb_is_refused_the_same_way() {
    let (archive, limits) = support::bomb();
    let out = same_both_ways("bomb", &archive, limits);
    assert!(out.contains("decompression bomb"), "{out}");
}

fn capture(archive: &[u8], parallel: Option<u64>, fail_after: Option<usize>) -> String {
    let got = Arc::new(Mutex::new(Vec::new()));
    let mut r = Reader::new("t.tar", Limits::default());
    r.set_parallel(parallel);
    r.set_capture(Box::new(Keep {
        want: "7.txt",
        fail_after,
        got: got.clone(),
    }));
    let mut result = Ok(());
    for c in archive.chunks(300_000) {
        result = r.push(c);
        if result.is_err() {
            break;
        }
    }
    let outcome = match result {
        Err(e) => format!("push error: {e}"),
        Ok(()) => match r.finish() {
            Ok((_, cap)) => format!("ok, capture back: {}", cap.is_some()),
            Err(e) => format!("finish error: {e}"),
        },
    };
    let got = got.lock().unwrap();
    let sizes: Vec<_> = got.iter().map(|(n, d)| (n.clone(), d.len())).collect();
    format!("{outcome} {sizes:?} {}", got.len())
}

#[test]
fn captured_files_are_the_same_on_two_threads() {
    let (plain, files) = big_layer();
    let archive = docker_archive(&gzip(&plain), &Digest::sha256(&plain));
    let one = capture(&archive, None, None);
    assert_eq!(one, capture(&archive, Some(0), None));
    let wanted = files.iter().filter(|(n, _)| n.ends_with("7.txt")).count();
    assert!(one.starts_with("ok, capture back: true"), "{one}");
    assert!(one.ends_with(&format!(" {wanted}")), "{one}");

    // A capture that fails part-way stops the read with its error (on one
    // thread at once; on two when the worker's failure is noticed) and
    // nothing after the failure is captured.
    let one = capture(&archive, None, Some(3));
    let two = capture(&archive, Some(0), Some(3));
    for out in [&one, &two] {
        assert!(out.contains("disk full"), "{out}");
        assert!(out.ends_with(" 4"), "{out}");
    }
    let files = |s: &str| s[s.find('[').unwrap()..].to_string();
    assert_eq!(files(&one), files(&two));
}

#[test]
fn a_member_failing_its_check_reads_the_same_way() {
    // The gzip CRC-32 and length are checked where the layer is hashed (a
    // worker thread, natively): a member that fails stops the layer there,
    // whatever comes after it, exactly as on one thread.
    let (plain, _) = big_layer();
    let half = plain.len() / 2;
    let first = gzip(&plain[..half]);
    let second = gzip(&plain[half..]);
    let n = first.len();
    for (what, flip, tail, want) in [
        ("crc", n - 8, &second, "CRC-32"),
        ("length", n - 2, &second, "length"),
    ] {
        let mut layer = first.clone();
        layer[flip] ^= 0x10;
        layer.extend_from_slice(tail);
        let out = same_both_ways(
            what,
            &docker_archive(&layer, &Digest::sha256(&plain)),
            Limits::default(),
        );
        assert!(
            out.contains(&format!("corrupt after {n} bytes")) && out.contains(want),
            "{what}: {out}"
        );
        assert!(
            out.contains(&format!("uncompressed_size: {half},")),
            "{what}: {out}"
        );
        assert!(out.contains(&Digest::sha256(&layer).to_string()), "{out}");
    }
    // A bad member followed by a bomb: the bad member is what is reported
    // (two threads may inflate past it before the worker says stop).
    let small = tar(&[("a", &b"hello".repeat(1000))]);
    let mut layer = gzip(&small);
    let n = layer.len();
    layer[n - 5] ^= 1;
    let zeros = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 64 << 20]).unwrap();
        gz.finish().unwrap()
    };
    layer.extend_from_slice(&zeros);
    let limits = Limits {
        bomb_floor: 4 << 20,
        ..Limits::default()
    };
    let out = same_both_ways(
        "crc, then a bomb",
        &docker_archive(&layer, &Digest::sha256(&small)),
        limits,
    );
    assert!(out.contains(&format!("corrupt after {n} bytes")), "{out}");
    let mut without = gzip(&small);
    without.extend_from_slice(&zeros);
    let out = same_both_ways(
        "a bomb",
        &docker_archive(&without, &Digest::sha256(&small)),
        limits,
    );
    assert!(out.contains("decompression bomb"), "{out}");
    // The last member's trailer is checked too.
    let mut layer = gzip(&plain);
    let n = layer.len();
    layer[n - 6] ^= 1;
    let out = same_both_ways(
        "last member",
        &docker_archive(&layer, &Digest::sha256(&plain)),
        Limits::default(),
    );
    assert!(out.contains(&format!("corrupt after {n} bytes")), "{out}");
}
