//! Mirrors from the settings file: tried first for reads, with the
//! registry itself as the fallback; pushes always go to the registry.

mod support;

use support::registry::{noise, output, umoci_image, Home, Registry};
use support::{free_port, run_ok, scratch};

fn settings(home: &Home, origin: &str, mirrors: &[String]) -> std::path::PathBuf {
    let path = home.dir.join("registries.json");
    let v = serde_json::json!({ "mirrors": { origin: mirrors } });
    std::fs::write(&path, v.to_string()).unwrap();
    path
}

#[test]
fn mirrors_first_then_the_registry() {
    let origin = Registry::plain("mirror-origin");
    let mirror = Registry::plain("mirror-mirror");
    let home = Home::new("mirrors");
    let dir = scratch("mirrors");
    umoci_image(&dir.join("a"), "t", &[("/a", noise(61, 40_000))]);
    umoci_image(&dir.join("b"), "t", &[("/b", noise(62, 40_000))]);
    // The origin has app:1 and app:2; the mirror has its own app:1.
    run_ok(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(dir.join("a"))
            .arg(format!("{}/lib/app:1", origin.host)),
    );
    run_ok(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(dir.join("a"))
            .arg(format!("{}/lib/app:2", origin.host)),
    );
    let out = run_ok(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(dir.join("b"))
            .arg(format!("{}/lib/app:1", mirror.host)),
    );
    let mirror_digest = out.split_whitespace().nth(2).unwrap().to_string();

    let dead = format!("http://127.0.0.1:{}", free_port());
    let conf = settings(
        &home,
        &origin.host,
        &[dead, format!("http://{}", mirror.host)],
    );
    let lk = || {
        let mut c = home.layerkit();
        c.env("LAYERKIT_REGISTRIES", &conf);
        c
    };

    // app:1 comes from the mirror (the dead one skipped).
    let d = run_ok(lk().args(["digest", &format!("{}/lib/app:1", origin.host)]));
    assert_eq!(d.trim(), mirror_digest);
    let (ok, _, err) = output(lk().args(["pull", &format!("{}/lib/app:1", origin.host)]));
    assert!(ok, "{err}");
    assert!(err.contains(&format!("Digest: {mirror_digest}")), "{err}");

    // app:2 is not on the mirror: the registry serves it.
    let (ok, _, err) = output(lk().args(["pull", &format!("{}/lib/app:2", origin.host)]));
    assert!(ok, "{err}");
    assert!(
        mirror.log().contains("GET /v2/lib/app/manifests/2"),
        "the mirror was not asked first"
    );

    // Pushes go to the registry, never to a mirror.
    run_ok(
        lk().args(["push", "-q", "--from"])
            .arg(dir.join("b"))
            .arg(format!("{}/lib/pushed:1", origin.host)),
    );
    assert!(
        !mirror.log().contains("/v2/lib/pushed/"),
        "a push went to the mirror"
    );
    assert!(origin.log().contains("PUT /v2/lib/pushed/manifests/1"));

    // A malformed settings file is a clear error naming the file.
    std::fs::write(&conf, "{\"mirors\": {}}").unwrap();
    let (ok, _, err) = output(lk().args(["digest", &format!("{}/lib/app:1", origin.host)]));
    assert!(!ok);
    assert!(
        err.contains("registries.json") && err.contains("mirors"),
        "{err}"
    );
}
