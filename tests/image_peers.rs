//! inspect/history cross-checked with the real Docker engine and skopeo
//! on the same files, field by field.

mod support;

use serde_json::Value;
use support::{layerkit, run_ok, shared, Docker};

fn fixture(p: &str) -> String {
    shared().join("fixtures/real").join(p).display().to_string()
}

fn ours(args: &[&str]) -> String {
    run_ok(layerkit().args(args).env("TZ", "UTC"))
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// (archive, image name in it) pairs Docker 20.10 loads.
const LOADABLE: &[(&str, &str)] = &[
    ("dive/test-docker-image.tar", "dive-test:latest"),
    ("dive/test-kaniko-image.tar", "dive-test:kaniko-latest"),
    ("ggcr/test_link.tar", "bazel/v1/tarball:test_image_1"),
    ("ggcr/test_link.tar", "bazel/v1/tarball:test_image_3"),
    ("ggcr/test_image_2.tar", "bazel/v1/tarball:test_image_2"),
    (
        "ggcr/whiteout_image.tar",
        "bazel/pkg/v1/mutate:whiteout_image",
    ),
    (
        "ggcr/overwritten_file.tar",
        "bazel/pkg/v1/mutate:overwritten_file",
    ),
    ("ggcr/whiteout_dir.tar", "localhost:5000/whiteout:latest"),
];

fn compare_with_docker(docker: &Docker, archive: &str, name: &str) {
    let target = format!("{archive}:{name}");
    let theirs = json(&docker.ok(&["image", "inspect", name]));
    let theirs = &theirs[0];
    let mine = json(&ours(&["inspect", "-q", &target]));
    let mine = &mine[0];
    for field in [
        "Id",
        "Parent",
        "Comment",
        "Created",
        "Container",
        "ContainerConfig",
        "DockerVersion",
        "Author",
        "Config",
        "Architecture",
        "Os",
        "Size",
        "RootFS",
    ] {
        assert_eq!(mine[field], theirs[field], "{target}: {field}");
    }
    let tags = mine["RepoTags"].as_array().unwrap();
    assert!(
        tags.contains(&Value::String(name.to_string())),
        "{target}: {tags:?}"
    );
    for t in tags {
        assert!(
            theirs["RepoTags"].as_array().unwrap().contains(t),
            "{target}: {t}"
        );
    }
    // docker history --no-trunc, every column but the relative time.
    let fmt = "{{.ID}}\t{{.CreatedBy}}\t{{.Size}}\t{{.CreatedAt}}\t{{.Comment}}";
    let theirs = run_ok(docker.command().env("TZ", "UTC").args([
        "history",
        "--no-trunc",
        "--human=false",
        "--format",
        fmt,
        name,
    ]));
    let mine: Vec<String> = ours(&[
        "history",
        "--no-trunc",
        "--human=false",
        "--format",
        "json",
        &target,
    ])
    .lines()
    .map(|l| {
        let r = json(l);
        let s = |k: &str| r[k].as_str().unwrap().to_string();
        [
            s("ID"),
            s("CreatedBy"),
            s("Size"),
            s("CreatedAt"),
            s("Comment"),
        ]
        .join("\t")
    })
    .collect();
    let theirs: Vec<&str> = theirs.lines().collect();
    assert_eq!(mine, theirs, "{target}: history");
    // And the default (truncated, human) JSON lines, except the relative time.
    let theirs =
        run_ok(
            docker
                .command()
                .env("TZ", "UTC")
                .args(["history", "--format", "{{json .}}", name]),
        );
    let mine = ours(&["history", "--format", "json", &target]);
    for (a, b) in mine.lines().zip(theirs.lines()) {
        let (mut a, mut b) = (json(a), json(b));
        a["CreatedSince"] = Value::Null;
        b["CreatedSince"] = Value::Null;
        assert_eq!(a, b, "{target}");
    }
}

#[test]
fn inspect_and_history_agree_with_docker() {
    let docker = Docker::shared();
    for (f, name) in LOADABLE {
        docker.ok(&["load", "-i", &fixture(f)]);
        compare_with_docker(docker, &fixture(f), name);
    }
    // An archive this Docker saves, with several images in it.
    let dir = support::scratch("docker-save");
    let multi = dir.join("multi.tar").display().to_string();
    docker.ok(&[
        "save",
        "-o",
        &multi,
        "dive-test:latest",
        "bazel/v1/tarball:test_image_3",
        "bazel/v1/tarball:test_image_1",
    ]);
    for name in [
        "dive-test:latest",
        "bazel/v1/tarball:test_image_3",
        "bazel/v1/tarball:test_image_1",
    ] {
        compare_with_docker(docker, &multi, name);
    }
}

fn skopeo(args: &[&str]) -> Value {
    json(&run_ok(std::process::Command::new("skopeo").args(args)))
}

#[test]
fn inspect_agrees_with_skopeo() {
    // docker-archive: skopeo reports the uncompressed digests and sizes.
    for (f, name) in LOADABLE {
        let r = format!("docker-archive:{}:{name}", fixture(f));
        let cfg = skopeo(&["inspect", "--config", &r]);
        let raw = skopeo(&["inspect", "--raw", &r]);
        let mine = json(&ours(&["inspect", "-q", &format!("{}:{name}", fixture(f))]));
        let mine = &mine[0];
        assert_eq!(mine["Id"], raw["config"]["digest"], "{r}");
        assert_eq!(mine["Architecture"], cfg["architecture"], "{r}");
        assert_eq!(mine["RootFS"]["Layers"], cfg["rootfs"]["diff_ids"], "{r}");
        for (l, s) in mine["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .zip(raw["layers"].as_array().unwrap())
        {
            assert_eq!(l["DiffID"], s["digest"], "{r}");
            // skopeo takes the size from the tar header, 0 for a layer.tar
            // that is a symlink to another image's layer.
            if s["size"] != 0 {
                assert_eq!(l["UncompressedSize"], s["size"], "{r}");
            }
        }
    }
    // oci-archive: the manifest's own descriptors.
    for f in ["gzip", "zstd", "uncompressed", "estargz"] {
        let path = fixture(&format!("dive/test-oci-{f}-image.tar"));
        let r = format!("oci-archive:{path}");
        let raw = skopeo(&["inspect", "--raw", &r]);
        let cfg = skopeo(&["inspect", "--config", &r]);
        let mine = json(&ours(&["inspect", "-q", &path]));
        let mine = &mine[0];
        assert_eq!(mine["Manifest"]["Manifest"], raw, "{r}");
        assert_eq!(mine["Id"], raw["config"]["digest"], "{r}");
        assert_eq!(mine["RootFS"]["Layers"], cfg["rootfs"]["diff_ids"], "{r}");
        assert_eq!(mine["Os"], cfg["os"], "{r}");
        for (l, s) in mine["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .zip(raw["layers"].as_array().unwrap())
        {
            assert_eq!(l["Digest"], s["digest"], "{r}");
            assert_eq!(l["Size"], s["size"], "{r}");
            assert_eq!(l["MediaType"], s["mediaType"], "{r}");
        }
    }
}
