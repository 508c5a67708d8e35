//! Multi-platform images: an index pushed whole with `copy --all`, and one
//! platform picked from it by pull, manifest and digest.

mod support;

use std::process::Command;

use support::registry::{noise, output, umoci_image, Home, Registry};
use support::{run_ok, scratch};

/// Adds an OCI index named `name` over the layout's images `tags`, each
/// with the platform given, as buildx would write it.
fn add_index(layout: &std::path::Path, name: &str, entries: &[(&str, &str)]) -> String {
    let index_path = layout.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let mut manifests = Vec::new();
    for (tag, platform) in entries {
        let d = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == *tag)
            .unwrap()
            .clone();
        let (os, arch) = platform.split_once('/').unwrap();
        manifests.push(serde_json::json!({
            "mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"],
            "platform": {"os": os, "architecture": arch}
        }));
    }
    let blob = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }))
    .unwrap();
    let file = layout.join("blob.tmp");
    std::fs::write(&file, &blob).unwrap();
    let hex = run_ok(Command::new("sha256sum").arg(&file))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    std::fs::rename(&file, layout.join("blobs/sha256").join(&hex)).unwrap();
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": format!("sha256:{hex}"), "size": blob.len(),
            "annotations": {"org.opencontainers.image.ref.name": name}
        }));
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    format!("sha256:{hex}")
}

fn manifest_digest(layout: &std::path::Path, tag: &str) -> String {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_index_goes_up_whole_and_one_platform_comes_down() {
    let reg = Registry::plain("platforms");
    let home = Home::new("platforms");
    let layout = scratch("platforms").join("multi");
    umoci_image(
        &layout,
        "amd",
        &[("/arch", b"amd64\n".to_vec()), ("/x", noise(71, 30_000))],
    );
    umoci_image(
        &layout,
        "arm",
        &[("/arch", b"arm64\n".to_vec()), ("/y", noise(72, 30_000))],
    );
    let index_digest = add_index(
        &layout,
        "multi",
        &[("amd", "linux/amd64"), ("arm", "linux/arm64")],
    );
    let arm = manifest_digest(&layout, "arm");
    let amd = manifest_digest(&layout, "amd");

    let target = format!("{}/multi/app:1", reg.host);
    let (ok, out, err) = output(
        home.layerkit()
            .args(["copy", "--all", "--format", "json"])
            .arg(format!("oci:{}:multi", layout.display()))
            .arg(&target),
    );
    assert!(ok, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["digest"], index_digest);
    // skopeo sees the index and can read each platform.
    let raw = run_ok(Command::new("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--raw",
        &format!("docker://{target}"),
    ]));
    assert!(raw.contains(&arm) && raw.contains(&amd), "{raw}");
    run_ok(Command::new("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--override-arch",
        "arm64",
        &format!("docker://{target}"),
    ]));

    assert_eq!(
        run_ok(home.layerkit().args(["digest", &target])).trim(),
        index_digest
    );
    assert_eq!(
        run_ok(
            home.layerkit()
                .args(["digest", "--platform", "linux/arm64", &target])
        )
        .trim(),
        arm
    );
    let m = run_ok(
        home.layerkit()
            .args(["manifest", "--platform", "linux/amd64", &target]),
    );
    // The bytes as served (a newline is added only when they lack one).
    let dir = scratch("platforms-m");
    let hash = |text: &str| {
        let file = dir.join("m.json");
        std::fs::write(&file, text).unwrap();
        let got = run_ok(Command::new("sha256sum").arg(&file));
        format!("sha256:{}", got.split_whitespace().next().unwrap())
    };
    assert!(hash(&m) == amd || hash(m.strip_suffix('\n').unwrap()) == amd);

    // pull picks the platform asked for.
    let (ok, _, err) = output(
        home.layerkit()
            .args(["pull", "--platform", "linux/arm64", &target]),
    );
    assert!(ok, "{err}");
    assert!(err.contains(&format!("Digest: {arm}")), "{err}");
    // A platform the index lacks: a clear error listing what it has.
    let (ok, _, err) = output(
        home.layerkit()
            .args(["pull", "--platform", "linux/s390x", &target]),
    );
    assert!(!ok);
    assert!(
        err.contains("no image for platform linux/s390x")
            && err.contains("linux/amd64, linux/arm64"),
        "{err}"
    );

    // pull -a: every tag of the repository.
    run_ok(
        home.layerkit()
            .args(["copy", "-q"])
            .arg(format!("oci:{}:amd", layout.display()))
            .arg(format!("{}/multi/app:amd-only", reg.host)),
    );
    let (ok, out, err) = output(home.layerkit().args([
        "pull",
        "-a",
        "--platform",
        "linux/amd64",
        &format!("{}/multi/app", reg.host),
    ]));
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    let (ok, _, err) = output(home.layerkit().args(["pull", "-a", &target]));
    assert!(!ok);
    assert!(err.contains("--all-tags"), "{err}");
}
