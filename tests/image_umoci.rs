//! Images built with umoci (tests/fixtures/image/make.sh): `tree --merged`
//! and `extract` agree with what `umoci unpack` makes, for the layout, the
//! docker-archive, the gzip'd archive and the oci-archive skopeo writes.

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{layerkit, root, run_ok};

fn fixtures() -> PathBuf {
    static MADE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    MADE.get_or_init(|| {
        let out = root().join("target/image-fixtures");
        run_ok(
            Command::new("bash")
                .arg(root().join("tests/fixtures/image/make.sh"))
                .arg(&out),
        );
        out
    })
    .clone()
}

/// path → (kind, size for files, link target)
fn walk(dir: &Path) -> BTreeMap<String, (char, u64, String)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let v = if m.file_type().is_symlink() {
                (
                    'l',
                    0,
                    std::fs::read_link(&p).unwrap().display().to_string(),
                )
            } else if m.is_dir() {
                stack.push(p.clone());
                ('d', 0, String::new())
            } else {
                ('-', m.size(), String::new())
            };
            out.insert(rel, v);
        }
    }
    out
}

fn merged(target: &str) -> BTreeMap<String, (char, u64, String)> {
    let out = run_ok(layerkit().args(["tree", "-q", "--merged", "--format", "json", target]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut map = BTreeMap::new();
    let entries = v["merged"].as_array().unwrap();
    let by_path: BTreeMap<&str, &serde_json::Value> = entries
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e))
        .collect();
    for e in entries {
        let path = e["path"].as_str().unwrap().to_string();
        let v = match e["kind"].as_str().unwrap() {
            "dir" => ('d', 0, String::new()),
            "symlink" => ('l', 0, e["link"].as_str().unwrap().to_string()),
            // A hard link has the size of what it links to.
            "hardlink" => (
                '-',
                by_path[e["link"].as_str().unwrap()]["size"]
                    .as_u64()
                    .unwrap(),
                String::new(),
            ),
            _ => ('-', e["size"].as_u64().unwrap(), String::new()),
        };
        map.insert(path, v);
    }
    map
}

#[test]
fn merged_view_and_extract_match_umoci_unpack() {
    let fx = fixtures();
    let rootfs = fx.join("unpacked/rootfs");
    let want = walk(&rootfs);
    assert!(want.contains_key("data/opaque/c") && !want.contains_key("data/opaque/a"));
    for t in [
        "layout:v1",
        "docker.tar",
        "docker.tar.gz",
        "oci.tar",
        "docker.tar:fixture/layers:v1",
        "oci.tar@0",
    ] {
        let target = format!("{}/{t}", fx.display());
        assert_eq!(merged(&target), want, "{t}");
    }
    // Everything out, from a file and from standard input; contents equal.
    for (i, t) in ["docker.tar", "oci.tar"].iter().enumerate() {
        let dest = support::scratch(&format!("extract-{i}"));
        run_ok(layerkit().args([
            "extract",
            "-q",
            &format!("{}/{t}", fx.display()),
            "/",
            dest.to_str().unwrap(),
        ]));
        assert_eq!(walk(&dest), want, "{t}");
        for f in [
            "data/big",
            "etc/greeting",
            "usr/bin/tool-hardlink",
            "data/opaque/c",
        ] {
            assert_eq!(
                std::fs::read(dest.join(f)).unwrap(),
                std::fs::read(rootfs.join(f)).unwrap(),
                "{t}: {f}"
            );
        }
    }
    let dest = support::scratch("extract-stdin");
    let out = layerkit()
        .args(["extract", "-q", "-", "/etc", dest.to_str().unwrap()])
        .stdin(std::fs::File::open(fx.join("docker.tar.gz")).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(dest.join("etc/added")).unwrap(), b"new\n");
    assert!(!dest.join("etc/todelete").exists());
    // cat follows the symlink inside the image.
    let out = run_ok(layerkit().args([
        "cat",
        "-q",
        &format!("{}/oci.tar", fx.display()),
        "/usr/bin/greet-link",
    ]));
    assert_eq!(out, "hello\n");
    let big = run_ok(layerkit().args([
        "cat",
        "-q",
        &format!("{}/layout:v1", fx.display()),
        "data/big",
    ]));
    assert_eq!(
        big.as_bytes(),
        std::fs::read(rootfs.join("data/big")).unwrap()
    );
}

#[test]
fn extract_refuses_to_leave_dest() {
    let fx = fixtures();
    let dest = support::scratch("extract-escape");
    // `..` in the path asked for.
    let out = layerkit()
        .args([
            "extract",
            "-q",
            &format!("{}/docker.tar", fx.display()),
            "/etc/../../x",
            dest.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(".."));
    // The absolute symlink is created as a link, never followed: writing
    // /etc leaves the host's /etc/greeting alone.
    run_ok(layerkit().args([
        "extract",
        "-q",
        &format!("{}/docker.tar", fx.display()),
        "/etc",
        dest.to_str().unwrap(),
    ]));
    let link = std::fs::read_link(dest.join("etc/absolute-link")).unwrap();
    assert_eq!(link, Path::new("/etc/greeting"));
    assert!(!Path::new("/etc/greeting").exists());
}

#[test]
fn inspect_agrees_with_skopeo_on_umoci_images() {
    let fx = fixtures();
    for (ours, theirs) in [
        ("oci.tar", "oci-archive:{}/oci.tar"),
        ("layout:v1", "oci:{}/layout:v1"),
    ] {
        let r = theirs.replace("{}", &fx.display().to_string());
        let raw: serde_json::Value = serde_json::from_str(&run_ok(
            Command::new("skopeo").args(["inspect", "--raw", &r]),
        ))
        .unwrap();
        let mine: serde_json::Value = serde_json::from_str(&run_ok(layerkit().args([
            "inspect",
            "-q",
            &format!("{}/{ours}", fx.display()),
        ])))
        .unwrap();
        assert_eq!(mine[0]["Manifest"]["Manifest"], raw, "{ours}");
        let cfg: serde_json::Value = serde_json::from_str(&run_ok(
            Command::new("skopeo").args(["inspect", "--config", &r]),
        ))
        .unwrap();
        assert_eq!(
            mine[0]["RootFS"]["Layers"], cfg["rootfs"]["diff_ids"],
            "{ours}"
        );
        assert_eq!(mine[0]["Author"], cfg["author"], "{ours}");
    }
}
