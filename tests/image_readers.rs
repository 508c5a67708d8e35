//! The image readers on every real archive in ../shared/fixtures/real, on
//! broken input, and through readers that return short reads.

mod support;

use std::io::{Read, Write};

use layerkit::image::{self, filetree, history, inspect, ImageError, Limits, Selector};
use support::{shared, tar};

fn fixture(p: &str) -> std::path::PathBuf {
    shared().join("fixtures/real").join(p)
}

/// A reader returning at most a few bytes per call.
struct Short<R> {
    inner: R,
    n: usize,
}

impl<R: Read> Read for Short<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.n = self.n % 7 + 1;
        let k = self.n.min(buf.len());
        self.inner.read(&mut buf[..k])
    }
}

fn read_file(p: &std::path::Path) -> Result<image::Archive, ImageError> {
    image::read(
        std::fs::File::open(p).unwrap(),
        &p.display().to_string(),
        Limits::default(),
    )
}

fn open(p: &str, sel: Selector) -> Result<image::Image, ImageError> {
    read_file(&fixture(p))?.image(&sel, None)
}

fn by_index(i: usize) -> Selector {
    Selector {
        index: Some(i),
        ..Selector::default()
    }
}

#[test]
fn every_real_archive_reads_or_fails_clearly() {
    // (fixture, images, expected ids of each, or the error text)
    let ok: &[(&str, &[&str])] = &[
        (
            "dive/test-docker-image.tar",
            &["75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a"],
        ),
        (
            "dive/test-kaniko-image.tar",
            &["ae16a51058a758c7963b2f9b23d1acfa201ce9cbefc8cb93845f8cd934fb144d"],
        ),
        (
            "dive/test-oci-gzip-image.tar",
            &["3eaccc100f866490f00ae82727b459a737af031dcf44c791d8aa714a70f24959"],
        ),
        (
            "dive/test-oci-zstd-image.tar",
            &["3eaccc100f866490f00ae82727b459a737af031dcf44c791d8aa714a70f24959"],
        ),
        (
            "dive/test-oci-uncompressed-image.tar",
            &["3eaccc100f866490f00ae82727b459a737af031dcf44c791d8aa714a70f24959"],
        ),
        (
            "dive/test-oci-estargz-image.tar",
            &["5c153971f5feeb018fab88c379f94ef9171ba1990163d32852fd27bf55ed5b74"],
        ),
        (
            "ggcr/hello-world-v25.tar",
            &["ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44"],
        ),
        (
            "ggcr/test_link.tar",
            &[
                "6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e",
                "d4c9adacde69c3d92446e0484cea29493e9fd573cf0c8febfc700d80c46697a4",
            ],
        ),
        ("ggcr/test_bundle.tar", &[]),
        (
            "ggcr/test_image_1.tar",
            &["6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e"],
        ),
        ("ggcr/test_image_2.tar", &[]),
        ("ggcr/whiteout_image.tar", &[]),
        ("ggcr/overwritten_file.tar", &[]),
        ("ggcr/whiteout_dir.tar", &[]),
        ("ggcr/source_image_with_empty_layer_history.tar", &[]),
    ];
    for (f, ids) in ok {
        let a = read_file(&fixture(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        let summaries = a.images().unwrap();
        for s in &summaries {
            let img = a
                .image(&by_index(s.index), None)
                .unwrap_or_else(|e| panic!("{f}@{}: {e}", s.index));
            // Every layer checked against the config, and reported.
            assert_eq!(img.layers.len(), img.config.rootfs.diff_ids.len(), "{f}");
            for (l, d) in img.layers.iter().zip(&img.config.rootfs.diff_ids) {
                assert_eq!(&l.diff_id, d, "{f}");
            }
            let _ = inspect::inspect(&img);
            history::history(&img, &[]).unwrap_or_else(|e| panic!("{f}: {e}"));
            if let Some(id) = ids.get(s.index) {
                assert_eq!(img.id.hex(), *id, "{f}@{}", s.index);
            }
        }
        assert!(!summaries.is_empty());
    }
    for (f, msg) in [
        ("ggcr/no_manifest.tar", "neither manifest.json"),
        ("ggcr/null_manifest.tar", "lists no images"),
    ] {
        let e = read_file(&fixture(f)).and_then(|a| a.images()).unwrap_err();
        assert!(e.to_string().contains(msg), "{f}: {e}");
    }
}

#[test]
fn short_reads_give_the_same_picture() {
    for f in [
        "dive/test-docker-image.tar",
        "dive/test-oci-zstd-image.tar",
        "ggcr/whiteout_dir.tar",
    ] {
        let p = fixture(f);
        let whole = read_file(&p)
            .unwrap()
            .image(&Selector::default(), None)
            .unwrap();
        let short = image::read(
            Short {
                inner: std::fs::File::open(&p).unwrap(),
                n: 0,
            },
            f,
            Limits::default(),
        )
        .unwrap()
        .image(&Selector::default(), None)
        .unwrap();
        assert_eq!(whole.id, short.id);
        for (a, b) in whole.layers.iter().zip(&short.layers) {
            assert_eq!(a.info.files, b.info.files);
            assert_eq!(a.diff_id, b.diff_id);
        }
    }
}

/// dive's own test (cmd/dive/cli/internal/command/export/testdata/
/// snapshots/export_test.snap at wagoodman/dive d6c6919) reports for
/// .data/test-docker-image.tar: efficiencyScore 0.9844212134184309,
/// inefficientBytes 32025, sizeBytes 1220598, first layer 1154361 (so the
/// user size is 66237) and three inefficient files.
#[test]
fn tree_matches_dive_on_its_test_image() {
    let img = open("dive/test-docker-image.tar", Selector::default()).unwrap();
    let a = filetree::analyze_image(&img);
    assert_eq!(a.efficiency_score, 0.9844212134184309);
    assert_eq!(a.inefficient_bytes, 32025);
    assert_eq!(a.size_bytes, 1220598);
    assert_eq!(a.user_size_bytes, 1220598 - 1154361);
    let mut refs: Vec<_> = a
        .file_reference
        .iter()
        .map(|f| (f.path.as_str(), f.count, f.size_bytes))
        .collect();
    refs.sort();
    assert_eq!(
        refs,
        [
            ("/root/example/somefile1.txt", 2, 12810),
            ("/root/example/somefile3.txt", 2, 6405),
            ("/root/saved.txt", 2, 12810)
        ]
    );
}

#[test]
fn whiteouts_resolve_in_the_merged_view() {
    let img = open("ggcr/whiteout_image.tar", Selector::default()).unwrap();
    let t = filetree::build(&img);
    assert!(
        !t.merged.keys().any(|k| k.ends_with("foo.txt")),
        "{:?}",
        t.merged.keys()
    );
    let removed: Vec<_> = t
        .changes
        .iter()
        .flatten()
        .filter(|c| c.change == filetree::ChangeKind::Removed)
        .map(|c| c.path.clone())
        .collect();
    assert_eq!(removed, ["foo.txt"]);
}

// ---- broken input -------------------------------------------------------

fn sha(b: &[u8]) -> String {
    layerkit::oci::Digest::sha256(b).to_string()
}

/// A docker-archive with one layer whose bytes are `layer`; the config
/// claims `diff_id`.
fn docker_archive(layer: &[u8], diff_id: &str, layer_path: &str) -> Vec<u8> {
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}},"history":[{{"created_by":"test"}}]}}"#
    );
    let cfg_name = format!("{}.json", &sha(config.as_bytes())[7..]);
    let manifest =
        format!(r#"[{{"Config":"{cfg_name}","RepoTags":["t:1"],"Layers":["{layer_path}"]}}]"#);
    tar(&[
        ("l/layer.tar", layer),
        (&cfg_name, config.as_bytes()),
        ("manifest.json", manifest.as_bytes()),
    ])
}

fn read_bytes(b: &[u8], limits: Limits) -> Result<image::Image, ImageError> {
    image::read(b, "test.tar", limits)?.image(&Selector::default(), None)
}

#[test]
fn broken_inputs_give_clear_errors() {
    let layer = tar(&[("etc/hosts", b"127.0.0.1 localhost\n")]);
    let good = docker_archive(&layer, &sha(&layer), "l/layer.tar");
    read_bytes(&good, Limits::default()).unwrap();

    // Truncated archive: names the member it ends in.
    let e = read_bytes(&good[..700], Limits::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("truncated") && e.contains("l/layer.tar"), "{e}");
    let real = std::fs::read(fixture("dive/test-docker-image.tar")).unwrap();
    let e = read_bytes(&real[..real.len() / 2], Limits::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("truncated"), "{e}");

    // Wrong diff_id: both digests and the file named.
    let wrong = sha(b"something else");
    let e = read_bytes(
        &docker_archive(&layer, &wrong, "l/layer.tar"),
        Limits::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(&wrong) && e.contains(&sha(&layer)) && e.contains("l/layer.tar"),
        "{e}"
    );

    // A layer that is not a tar.
    let junk = b"this is not a tar archive, just text".repeat(20);
    let e = read_bytes(
        &docker_archive(&junk, &sha(&junk), "l/layer.tar"),
        Limits::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("not a tar") && e.contains("l/layer.tar") && e.contains(&sha(&junk)),
        "{e}"
    );

    // A path traversal entry inside a layer.
    let evil = tar(&[("../../etc/passwd", b"root::0:0::/:/bin/sh\n")]);
    let e = read_bytes(
        &docker_archive(&evil, &sha(&evil), "l/layer.tar"),
        Limits::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("unsafe path") && e.contains("../../etc/passwd"),
        "{e}"
    );

    // A manifest pointing at a missing blob.
    let e = read_bytes(
        &docker_archive(&layer, &sha(&layer), "gone/layer.tar"),
        Limits::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("gone/layer.tar") && e.contains("missing"), "{e}");

    // A gzip bomb: 8 MiB of zeros in a tar, ~8 KiB compressed; with a
    // 1 MiB floor and the default ratio (200:1) it is refused.
    let mut zeros = tar(&[("zero", &vec![0u8; 8 << 20])]);
    zeros.truncate(zeros.len() - 1024);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&zeros).unwrap();
    let bomb = gz.finish().unwrap();
    let limits = Limits {
        bomb_floor: 1 << 20,
        ..Limits::default()
    };
    let e = read_bytes(&docker_archive(&bomb, &sha(&zeros), "l/layer.tar"), limits)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("decompression bomb") && e.contains("l/layer.tar"),
        "{e}"
    );
}

#[test]
fn oci_blob_digest_mismatch_is_reported() {
    // Corrupt one byte of the config blob inside dive's OCI archive.
    let mut bytes = std::fs::read(fixture("dive/test-oci-uncompressed-image.tar")).unwrap();
    let a = image::read(&bytes[..], "t", Limits::default()).unwrap();
    let img = a.image(&Selector::default(), None).unwrap();
    let cfg = img.manifest.config.digest.clone();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let needle = "\"architecture\"";
    let pos = text.find(needle).unwrap();
    bytes[pos + 1] = b'A';
    let e = image::read(&bytes[..], "t.tar", Limits::default())
        .unwrap()
        .image(&Selector::default(), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("digest mismatch") && e.contains(&cfg.to_string()),
        "{e}"
    );
}

#[test]
fn whole_archive_gzip_is_read() {
    let raw = std::fs::read(fixture("ggcr/test_image_1.tar")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let gz = gz.finish().unwrap();
    let a = image::read(&gz[..], "t.tar.gz", Limits::default()).unwrap();
    assert_eq!(a.compression, layerkit::oci::Compression::Gzip);
    let img = a.image(&Selector::default(), None).unwrap();
    assert_eq!(
        img.id.hex(),
        "6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e"
    );
}
