//! What happens when things go wrong: a registry that dies in the middle
//! of a pull or a push, and a registry serving a blob whose bytes do not
//! match its digest.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::registry::{noise, output, umoci_image, Home, Registry, Relay};
use support::{run_ok, scratch, wait_for};

/// Files under `dir` (recursively).
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn layer_digests(layout: &std::path::Path, tag: &str) -> Vec<String> {
    let out = run_ok(
        Command::new("skopeo").args(["inspect", &format!("oci:{}:{tag}", layout.display())]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn registry_dying_mid_pull_then_retry_finishes() {
    let reg = Registry::plain("die-pull");
    let home = Home::new("die-pull");
    let layout = scratch("die-pull-layout").join("img");
    umoci_image(&layout, "t", &[("/big", noise(21, 24 << 20))]);
    let big = layer_digests(&layout, "t").remove(0);
    run_ok(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(format!("{}/slow/img:1", reg.host)),
    );

    // Pull through a relay that passes 4 MB/s, and kill the registry once
    // some of the layer is down.
    let relay = Relay::start(reg.port, 4 << 20);
    let target = format!("{}/slow/img:1", relay.host);
    let child = home
        .layerkit()
        .args(["pull", &target])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let partial = home
        .store()
        .join("ingest")
        .join(format!("sha256-{}.partial", &big[7..]));
    wait_for("part of the layer on disk", Duration::from_secs(60), || {
        partial.metadata().is_ok_and(|m| m.len() > 2 << 20)
    });
    reg.kill();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the pull succeeded with the registry dead: {err}"
    );
    assert!(err.contains("pulling"), "{err}");
    assert!(
        err.contains("cannot connect to")
            || err.contains("dropped")
            || err.contains("closed the download"),
        "{err}"
    );

    // Nothing half-downloaded is visible: no index entry, no blob for the
    // layer; the partial download waits in ingest/.
    let store = home.store();
    let index = std::fs::read_to_string(store.join("index.json")).unwrap_or_default();
    assert!(!index.contains("slow/img"), "{index}");
    assert!(!store.join("blobs/sha256").join(&big[7..]).exists());
    for f in files(&store.join("blobs")) {
        let digest = support::run_ok(Command::new("sha256sum").arg(&f));
        assert_eq!(
            digest.split_whitespace().next().unwrap(),
            f.file_name().unwrap().to_str().unwrap(),
            "a blob does not match its name"
        );
    }
    let kept = partial.metadata().map(|m| m.len()).unwrap_or(0);
    assert!(kept > 0, "the partial download was lost");

    // The registry comes back; the same pull resumes and finishes.
    reg.start();
    let (ok, _, err) = output(
        home.layerkit()
            .args(["pull", &format!("{}/slow/img:1", reg.host)]),
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("Downloading (resumed)"),
        "the download started over: {err}"
    );
    let blob = store.join("blobs/sha256").join(&big[7..]);
    let got = run_ok(Command::new("sha256sum").arg(&blob));
    assert_eq!(
        format!("sha256:{}", got.split_whitespace().next().unwrap()),
        big
    );
    assert!(!partial.exists());
    drop(relay);
}

#[test]
fn registry_dying_mid_push_then_retry_finishes() {
    let reg = Registry::plain("die-push");
    let home = Home::new("die-push");
    let layout = scratch("die-push-layout").join("img");
    umoci_image(&layout, "t", &[("/big", noise(22, 16 << 20))]);
    // Answers trickle back at 2 kB/s, so the push stalls on its first
    // response long enough to kill the registry under it.
    let relay = Relay::start(reg.port, 2 << 10);
    let target = format!("{}/push/img:1", relay.host);
    let child = home
        .layerkit()
        .args(["push", "--from"])
        .arg(&layout)
        .arg(&target)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(
        "the push to start uploading",
        Duration::from_secs(60),
        || reg.log().contains("POST /v2/push/img/blobs/uploads/"),
    );
    reg.kill();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("pushing"), "{err}");
    // Nothing was tagged.
    reg.start();
    let (ok, _, _) = output(
        home.layerkit()
            .args(["digest", &format!("{}/push/img:1", reg.host)]),
    );
    assert!(!ok, "the tag exists after a failed push");
    // The retry finishes, and skopeo reads the result.
    let (ok, _, err) = output(
        home.layerkit()
            .args(["push", "--from"])
            .arg(&layout)
            .arg(format!("{}/push/img:1", reg.host)),
    );
    assert!(ok, "{err}");
    run_ok(Command::new("skopeo").args([
        "inspect",
        "--tls-verify=false",
        &format!("docker://{}/push/img:1", reg.host),
    ]));
}

#[test]
fn a_blob_with_the_wrong_digest_is_rejected_naming_both() {
    let reg = Registry::plain("bad-digest");
    let home = Home::new("bad-digest");
    let layout = scratch("bad-digest-layout").join("img");
    umoci_image(&layout, "t", &[("/f", noise(31, 64 << 10))]);
    let layer = layer_digests(&layout, "t").remove(0);
    let target = format!("{}/bad/img:1", reg.host);
    run_ok(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(&target),
    );

    // Damage the layer in the registry's storage: same size, other bytes.
    let data = reg.blob_data(&layer);
    let mut bytes = std::fs::read(&data).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&data, &bytes).unwrap();
    let actual = {
        let out = run_ok(Command::new("sha256sum").arg(&data));
        format!("sha256:{}", out.split_whitespace().next().unwrap())
    };

    let (ok, _, err) = output(home.layerkit().args(["pull", &target]));
    assert!(!ok, "a damaged blob was accepted");
    assert!(err.contains(&format!("expected {layer}")), "{err}");
    assert!(err.contains(&format!("got {actual}")), "{err}");
    let store = home.store();
    assert!(
        !store.join("blobs/sha256").join(&layer[7..]).exists(),
        "the damaged blob entered the store"
    );
    assert!(!std::fs::read_to_string(store.join("index.json"))
        .unwrap_or_default()
        .contains("bad/img"));

    // Copying it to another registry fails the same way and leaves no blob there.
    let other = Registry::plain("bad-digest-dst");
    let dst = format!("{}/copy/img:1", other.host);
    let (ok, _, err) = output(home.layerkit().args(["copy", &target, &dst]));
    assert!(!ok);
    assert!(
        err.contains(&format!("expected {layer}")) && err.contains(&actual),
        "{err}"
    );
    assert!(
        !other.blob_data(&layer).exists(),
        "the destination registry kept the bad blob"
    );
}

#[test]
fn a_dropped_download_resumes_with_a_range_request() {
    let reg = Registry::plain("range");
    let home = Home::new("range");
    let layout = scratch("range-layout").join("img");
    umoci_image(&layout, "t", &[("/big", noise(23, 8 << 20))]);
    let big = layer_digests(&layout, "t").remove(0);
    run_ok(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(format!("{}/range/img:1", reg.host)),
    );
    // The connection carrying the layer is cut after 3 MB; the registry
    // stays up, and the same pull picks up from there.
    let relay = Relay::cutting(reg.port, 3 << 20);
    let (ok, _, err) =
        output(
            home.layerkit()
                .args(["pull", "-j", "1", &format!("{}/range/img:1", relay.host)]),
        );
    assert!(ok, "{err}");
    assert!(err.contains("Downloading (resumed)"), "{err}");
    let blob = home.store().join("blobs/sha256").join(&big[7..]);
    let got = run_ok(Command::new("sha256sum").arg(&blob));
    assert_eq!(
        format!("sha256:{}", got.split_whitespace().next().unwrap()),
        big
    );
}
