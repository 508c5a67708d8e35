//! The real Docker engine (Debian's dockerd 20.10, a private instance)
//! pulls what layerkit pushes, over plain HTTP and over TLS with Basic
//! auth, and layerkit pulls what `docker push` writes.
//!
//! dockerd treats registries on 127.0.0.0/8 as insecure: it speaks TLS to
//! the TLS registry without verifying the certificate (its CA would have
//! to go in the system-wide /etc/docker/certs.d, which a test must not
//! touch), and plain HTTP to the plain one.

mod support;

use support::registry::{noise, output, umoci_image, Home, Registry};
use support::{run_ok, run_with_input, scratch, Docker};

/// The engine is shared by the tests of this file; dockerd 20.10 has
/// been seen to fail a pull when another client logs in meanwhile, so the
/// tests take turns.
static ENGINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn config_digest(home: &Home, reference: &str) -> String {
    let m = run_ok(home.layerkit().args(["manifest", reference]));
    let m: serde_json::Value = serde_json::from_str(&m).unwrap();
    m["config"]["digest"].as_str().unwrap().to_string()
}

#[test]
fn docker_pulls_what_we_push_and_we_pull_what_docker_pushes() {
    let _turn = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    let docker = Docker::shared();
    let reg = Registry::plain("docker-plain");
    let home = Home::new("docker-plain");
    let layout = scratch("docker-plain-layout").join("img");
    umoci_image(
        &layout,
        "t",
        &[
            ("/etc/greeting", b"hello from layerkit\n".to_vec()),
            ("/data.bin", noise(41, 200_000)),
        ],
    );
    let target = format!("{}/lk/pushed:1", reg.host);
    let out = run_ok(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(&target),
    );
    let digest = out.split_whitespace().nth(2).unwrap().to_string();

    docker.ok(&["pull", &target]);
    let id = docker.ok(&["image", "inspect", "--format", "{{.Id}}", &target]);
    assert_eq!(id.trim(), config_digest(&home, &target));
    let repo_digests = docker.ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .RepoDigests}}",
        &target,
    ]);
    assert!(
        repo_digests.contains(&digest),
        "{repo_digests} lacks {digest}"
    );

    // docker push of the same image to another name: we pull it back.
    let theirs = format!("{}/docker/pushed:2", reg.host);
    docker.ok(&["tag", &target, &theirs]);
    docker.ok(&["push", &theirs]);
    let (ok, _, err) = output(home.layerkit().args(["pull", &theirs]));
    assert!(ok, "{err}");
    let m = run_ok(home.layerkit().args(["manifest", &theirs]));
    assert!(
        m.contains("application/vnd.docker.distribution.manifest.v2+json"),
        "{m}"
    );
    assert_eq!(config_digest(&home, &theirs), id.trim());
}

#[test]
fn docker_logs_in_and_pulls_over_tls_with_basic_auth() {
    let _turn = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    let docker = Docker::shared();
    let reg = Registry::tls_basic("docker-tls", "bob", "pw-for-bob");
    let home = Home::new("docker-tls");
    let certs = reg.certs_d();
    let login = run_with_input(
        home.layerkit().env("LAYERKIT_CERTS_D", &certs).args([
            "login",
            &reg.host,
            "-u",
            "bob",
            "--password-stdin",
        ]),
        b"pw-for-bob\n",
    );
    assert!(login.status.success());

    let layout = scratch("docker-tls-layout").join("img");
    umoci_image(&layout, "t", &[("/f", noise(43, 50_000))]);
    let target = format!("{}/secure/img:1", reg.host);
    run_ok(
        home.layerkit()
            .env("LAYERKIT_CERTS_D", &certs)
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(&target),
    );

    let o = run_with_input(
        docker
            .command()
            .args(["login", &reg.host, "-u", "bob", "--password-stdin"]),
        b"pw-for-bob\n",
    );
    assert!(
        o.status.success(),
        "docker login: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    docker.ok(&["pull", &target]);
    let id = docker.ok(&["image", "inspect", "--format", "{{.Id}}", &target]);
    let m = run_ok(
        home.layerkit()
            .env("LAYERKIT_CERTS_D", &certs)
            .args(["manifest", &target]),
    );
    let m: serde_json::Value = serde_json::from_str(&m).unwrap();
    assert_eq!(id.trim(), m["config"]["digest"]);
}
