//! The registry commands against a real, open, plain-HTTP registry
//! (distribution 2.8), cross-checked with skopeo.

mod support;

use std::process::Command;

use support::registry::{noise, output, umoci_image, Home, Registry};
use support::{run_ok, scratch};

fn sha256_file(path: &std::path::Path) -> String {
    let out = run_ok(Command::new("sha256sum").arg(path));
    format!("sha256:{}", out.split_whitespace().next().unwrap())
}

fn skopeo_inspect(image: &str) -> serde_json::Value {
    let out = run_ok(Command::new("skopeo").args(["inspect", "--tls-verify=false", image]));
    serde_json::from_str(&out).unwrap()
}

#[test]
fn push_from_layout_then_skopeo_reads_and_we_pull_back() {
    let reg = Registry::plain("push-pull");
    let home = Home::new("push-pull");
    let dir = scratch("push-pull-layout");
    let layout = dir.join("app");
    umoci_image(
        &layout,
        "v1",
        &[
            ("/a.bin", noise(1, 300_000)),
            ("/b.txt", b"hello\n".to_vec()),
        ],
    );

    let target = format!("{}/team/app:1.0", reg.host);
    let (ok, out, err) = output(
        home.layerkit()
            .args(["push", "--from"])
            .arg(format!("{}:v1", layout.display()))
            .arg(&target),
    );
    assert!(ok, "push failed: {err}");
    assert!(out.starts_with("1.0: digest: sha256:"), "{out}");
    let pushed_digest = out.split_whitespace().nth(2).unwrap().to_string();

    // skopeo sees the same digest and layers as the layout has.
    let info = skopeo_inspect(&format!("docker://{target}"));
    assert_eq!(info["Digest"], pushed_digest);
    let local =
        run_ok(Command::new("skopeo").args(["inspect", &format!("oci:{}:v1", layout.display())]));
    let local: serde_json::Value = serde_json::from_str(&local).unwrap();
    assert_eq!(info["Layers"], local["Layers"]);

    // skopeo copies it out of the registry too.
    let back = dir.join("skopeo-back");
    run_ok(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{target}"),
        &format!("oci:{}:x", back.display()),
    ]));

    // Pull into the store: every blob is there, named by its digest.
    let (ok, out, err) = output(home.layerkit().args(["pull", &target]));
    assert!(ok, "pull failed: {err}");
    assert_eq!(out.trim(), format!("{target}"));
    assert!(err.contains(&format!("Digest: {pushed_digest}")), "{err}");
    let store = home.store();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("index.json")).unwrap()).unwrap();
    let entry = &index["manifests"][0];
    assert_eq!(entry["digest"], pushed_digest);
    assert_eq!(
        entry["annotations"]["org.opencontainers.image.ref.name"],
        target
    );
    for layer in local["Layers"].as_array().unwrap() {
        let d = layer.as_str().unwrap();
        let p = store.join("blobs/sha256").join(&d[7..]);
        assert_eq!(sha256_file(&p), d);
    }
    // skopeo reads the store as the OCI layout it is.
    let stored = run_ok(
        Command::new("skopeo").args(["inspect", &format!("oci:{}:{target}", store.display())]),
    );
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["Layers"], local["Layers"]);

    // Pulling again downloads nothing.
    let (ok, _, err) = output(home.layerkit().args(["pull", &target]));
    assert!(ok);
    assert!(err.contains("Image is up to date"), "{err}");

    // And the store's image pushes to another tag.
    let retag = format!("{}/team/app:1.0", reg.host);
    let (ok, _, err) = output(home.layerkit().args(["push", &retag]));
    assert!(ok, "{err}");
}

#[test]
fn what_skopeo_pushes_we_pull_and_inspect() {
    let reg = Registry::plain("skopeo-push");
    let home = Home::new("skopeo-push");
    let dir = scratch("skopeo-push-layout");
    let layout = dir.join("img");
    umoci_image(&layout, "t", &[("/data", noise(7, 100_000))]);
    let target = format!("{}/from/skopeo:t", reg.host);
    // Docker schema 2 media types, as `docker push` would write.
    run_ok(Command::new("skopeo").args([
        "copy",
        "--format",
        "v2s2",
        "--dest-tls-verify=false",
        &format!("oci:{}:t", layout.display()),
        &format!("docker://{target}"),
    ]));
    let info = skopeo_inspect(&format!("docker://{target}"));

    let digest = run_ok(home.layerkit().args(["digest", &target]));
    assert_eq!(digest.trim(), info["Digest"]);
    let manifest = run_ok(home.layerkit().args(["manifest", &target]));
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        m["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    // The bytes printed are the bytes the digest is over.
    let file = dir.join("manifest.json");
    std::fs::write(&file, manifest.trim_end_matches('\n')).unwrap();
    assert_eq!(sha256_file(&file), info["Digest"].as_str().unwrap());

    let (ok, _, err) = output(home.layerkit().args(["pull", "-q", &target]));
    assert!(ok, "{err}");
    assert!(err.is_empty(), "--quiet printed: {err}");
    let (ok, out, _) = output(home.layerkit().args([
        "tags",
        &format!("{}/from/skopeo", reg.host),
        "--format",
        "json",
    ]));
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<Vec<String>>(&out).unwrap(),
        vec!["t"]
    );
}

#[test]
fn copy_between_repositories_mounts_and_retags() {
    let reg = Registry::plain("copy");
    let other = Registry::plain("copy-other");
    let home = Home::new("copy");
    let layout = scratch("copy-layout").join("img");
    umoci_image(
        &layout,
        "t",
        &[("/x", noise(3, 200_000)), ("/y", noise(4, 50_000))],
    );
    let src = format!("{}/a/src:1", reg.host);
    run_ok(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(&src),
    );

    // Same registry, another repository: blobs are mounted, not sent.
    let dst = format!("{}/b/dst:retagged", reg.host);
    let (ok, out, err) = output(
        home.layerkit()
            .args(["copy", &src, &dst, "--format", "json"]),
    );
    assert!(ok, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["mounted"], 3, "{out}");
    assert_eq!(r["bytes"], 0);
    assert!(
        reg.log()
            .contains("POST /v2/b/dst/blobs/uploads/?mount=sha256%3A"),
        "no mount request in the registry log"
    );
    assert_eq!(
        skopeo_inspect(&format!("docker://{dst}"))["Digest"],
        skopeo_inspect(&format!("docker://{src}"))["Digest"]
    );

    // Another registry: streamed across.
    let far = format!("{}/c/far:2", other.host);
    let (ok, out, err) = output(home.layerkit().args([
        "copy",
        &src,
        &format!("docker://{far}"),
        "--format",
        "json",
    ]));
    assert!(ok, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["blobs"], 3);
    assert!(r["bytes"].as_u64().unwrap() > 250_000);
    assert_eq!(
        skopeo_inspect(&format!("docker://{far}"))["Digest"],
        skopeo_inspect(&format!("docker://{src}"))["Digest"]
    );

    // The catalog lists the repositories.
    let cat = run_ok(home.layerkit().args(["catalog", &reg.host]));
    assert_eq!(cat.lines().collect::<Vec<_>>(), vec!["a/src", "b/dst"]);
}

#[test]
fn large_blobs_go_up_in_chunks() {
    let reg = Registry::plain("chunks");
    let home = Home::new("chunks");
    let layout = scratch("chunks-layout").join("img");
    // umoci gzips; noise stays ~3.1 MB.
    umoci_image(&layout, "t", &[("/big", noise(11, 3 << 20))]);
    let target = format!("{}/chunked/img:1", reg.host);
    let (ok, _, err) = output(
        home.layerkit()
            .args(["push", "--chunk-size", "1MiB", "--from"])
            .arg(&layout)
            .arg(&target),
    );
    assert!(ok, "{err}");
    let patches = reg
        .log()
        .lines()
        .filter(|l| l.contains("\"PATCH /v2/chunked/img/blobs/uploads/") && l.contains("layerkit/"))
        .count();
    assert!(
        patches >= 4,
        "expected at least 4 PATCH chunks, the registry saw {patches}"
    );
    // What went up in pieces is whole: skopeo copies it and its layers verify.
    let out = scratch("chunks-out").join("o");
    run_ok(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{target}"),
        &format!("oci:{}:o", out.display()),
    ]));
    let (ok, _, err) = output(
        home.layerkit()
            .args(["copy", &target])
            .arg(format!("oci:{}:again", out.display())),
    );
    assert!(ok, "{err}");
}

#[test]
fn missing_images_and_repositories_are_clear_errors() {
    let reg = Registry::plain("missing");
    let home = Home::new("missing");
    let (ok, _, err) = output(
        home.layerkit()
            .args(["pull", &format!("{}/no/such:tag", reg.host)]),
    );
    assert!(!ok);
    assert!(err.contains("no/such:tag"), "{err}");
    assert!(
        err.contains("MANIFEST_UNKNOWN") || err.contains("NAME_UNKNOWN"),
        "{err}"
    );
    let index = std::fs::read_to_string(home.store().join("index.json")).unwrap_or_default();
    assert!(
        !index.contains("no/such"),
        "a failed pull named the image: {index}"
    );

    let (ok, _, err) = output(
        home.layerkit()
            .args(["manifest", &format!("{}/no/such:tag", reg.host)]),
    );
    assert!(!ok);
    assert!(err.contains("[HTTP 404]"), "{err}");

    // A registry that is not there.
    let port = support::free_port();
    let (ok, _, err) = output(
        home.layerkit()
            .args(["digest", &format!("127.0.0.1:{port}/x:1")]),
    );
    assert!(!ok);
    assert!(err.contains("cannot connect to 127.0.0.1"), "{err}");
}

#[test]
fn delete_removes_the_manifest() {
    let reg = Registry::plain("delete");
    let home = Home::new("delete");
    let layout = scratch("delete-layout").join("img");
    umoci_image(&layout, "t", &[("/f", b"x".to_vec())]);
    let target = format!("{}/del/me:1", reg.host);
    run_ok(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(&target),
    );
    let digest = run_ok(home.layerkit().args(["digest", &target]));
    let out = run_ok(home.layerkit().args(["delete", &target]));
    assert!(out.contains(digest.trim()), "{out}");
    let (ok, _, err) = output(home.layerkit().args(["digest", &target]));
    assert!(!ok, "the tag still resolves after delete");
    assert!(err.contains("404"), "{err}");
}

#[test]
fn push_from_archives_and_from_the_store() {
    let reg = Registry::plain("archives");
    let home = Home::new("archives");
    let dir = scratch("archives");
    let layout = dir.join("img");
    umoci_image(
        &layout,
        "t",
        &[
            ("/etc/motd", b"archive\n".to_vec()),
            ("/n", noise(51, 90_000)),
        ],
    );
    let want =
        run_ok(Command::new("skopeo").args(["inspect", &format!("oci:{}:t", layout.display())]));
    let want: serde_json::Value = serde_json::from_str(&want).unwrap();

    // A docker-archive as skopeo writes it (Docker's legacy shape), and
    // an oci-archive, gzip'd as a whole.
    let docker_tar = dir.join("img.docker.tar");
    run_ok(Command::new("skopeo").args([
        "copy",
        &format!("oci:{}:t", layout.display()),
        &format!("docker-archive:{}:arch/img:1", docker_tar.display()),
    ]));
    let oci_tar = dir.join("img.oci.tar");
    run_ok(Command::new("skopeo").args([
        "copy",
        &format!("oci:{}:t", layout.display()),
        &format!("oci-archive:{}:t", oci_tar.display()),
    ]));
    run_ok(Command::new("gzip").arg("-k").arg(&oci_tar));

    for (file, repo) in [
        (docker_tar.clone(), "from/docker-archive"),
        (dir.join("img.oci.tar.gz"), "from/oci-archive"),
    ] {
        let target = format!("{}/{repo}:1", reg.host);
        let (ok, _, err) = output(
            home.layerkit()
                .args(["push", "--from"])
                .arg(&file)
                .arg(&target),
        );
        assert!(ok, "push --from {}: {err}", file.display());
        let got = skopeo_inspect(&format!("docker://{target}"));
        // The same config (image id) and the same files, whatever the
        // archive did to the layer compression.
        assert_eq!(got["Architecture"], want["Architecture"]);
        let cfg = |r: &str| -> serde_json::Value {
            let out = run_ok(Command::new("skopeo").args([
                "inspect",
                "--tls-verify=false",
                "--config",
                r,
            ]));
            serde_json::from_str(&out).unwrap()
        };
        assert_eq!(
            cfg(&format!("docker://{target}"))["rootfs"],
            cfg(&format!("oci:{}:t", layout.display()))["rootfs"]
        );
    }
    // copy reads archives too, and writes into the store.
    let copied = format!("{}/from/copy:1", reg.host);
    let (ok, _, err) = output(home.layerkit().args([
        "copy",
        &format!("docker-archive:{}", docker_tar.display()),
        &copied,
    ]));
    assert!(ok, "{err}");
    let (ok, _, err) = output(
        home.layerkit()
            .args(["copy", &copied, "store:copied/img:3"]),
    );
    assert!(ok, "{err}");
    let images = run_ok(home.layerkit().args(["images", "--format", "json"]));
    assert!(images.contains("copied/img"), "{images}");
    // The staging copies are gone.
    let leftovers: Vec<_> = std::fs::read_dir(home.store().join("ingest"))
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Loaded into the store and pushed by name, as `docker push` does.
    run_ok(home.layerkit().args(["load", "-q", "-i"]).arg(&docker_tar));
    run_ok(
        home.layerkit()
            .args(["tag", "arch/img:1", &format!("{}/from/store:7", reg.host)]),
    );
    let (ok, out, err) = output(home.layerkit().args([
        "push",
        "--format",
        "json",
        &format!("{}/from/store:7", reg.host),
    ]));
    assert!(ok, "{err}");
    // Its blobs went up from the same docker-archive before: they are
    // mounted from that repository, as docker does, not sent again.
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["mounted"], r["blobs"], "{out}");
    assert!(reg
        .log()
        .contains("POST /v2/from/store/blobs/uploads/?mount=sha256%3A"));
    assert!(reg.log().contains("from=from%2Fdocker-archive"));
    let (ok, _, err) = output(
        home.layerkit()
            .args(["push", &format!("{}/not/in-store:1", reg.host)]),
    );
    assert!(!ok);
    assert!(err.contains("No such image"), "{err}");
}
