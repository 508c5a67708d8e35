//! Logging in and transferring with credentials: a real registry behind
//! TLS (a CA made by the test) with htpasswd Basic auth, and one whose
//! clients need Bearer tokens from a realm. Credentials never appear in
//! what layerkit prints.

mod support;

use std::process::Command;

use support::registry::{noise, output, umoci_image, Home, Registry};
use support::{run_ok, run_with_input, scratch};

const USER: &str = "alice";
const PASSWORD: &str = "s3cr3t-Pa55word";

/// `layerkit login … --password-stdin`.
fn login(
    home: &Home,
    extra: &[(&str, &std::path::Path)],
    host: &str,
    password: &str,
) -> (bool, String, String) {
    let mut cmd = home.layerkit();
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let o = run_with_input(
        cmd.args(["login", host, "-u", USER, "--password-stdin"]),
        format!("{password}\n").as_bytes(),
    );
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn assert_no_secret(text: &str) {
    let b64 = {
        // base64 of user:password and of the password alone
        let enc = |s: &str| {
            let out = run_with_input(Command::new("base64").arg("-w0"), s.as_bytes());
            String::from_utf8(out.stdout).unwrap()
        };
        [enc(&format!("{USER}:{PASSWORD}")), enc(PASSWORD)]
    };
    assert!(!text.contains(PASSWORD), "the password leaked: {text}");
    for b in &b64 {
        assert!(
            !text.contains(b.trim_end_matches('=')),
            "the encoded password leaked: {text}"
        );
    }
}

#[test]
fn tls_basic_auth_login_push_pull() {
    let reg = Registry::tls_basic("tls-basic", USER, PASSWORD);
    let home = Home::new("tls-basic");
    let certs = reg.certs_d();
    let env = [("LAYERKIT_CERTS_D", certs.as_path())];
    let host = reg.host.clone();
    let mut seen = String::new();

    // With another CA in certs.d for the host, the certificate is checked
    // and refused, with a message that says what to do.
    let wrong = scratch("tls-basic-wrong-ca");
    support::registry::make_tls(&wrong);
    std::fs::create_dir_all(wrong.join("certs.d").join(&host)).unwrap();
    std::fs::copy(
        wrong.join("ca.crt"),
        wrong.join("certs.d").join(&host).join("ca.crt"),
    )
    .unwrap();
    let (ok, _, err) = output(
        home.layerkit()
            .env("LAYERKIT_CERTS_D", wrong.join("certs.d"))
            .args(["digest", &format!("{host}/x:1")]),
    );
    assert!(!ok);
    assert!(
        err.contains("TLS with 127.0.0.1") && err.contains("certs.d"),
        "{err}"
    );
    seen += &err;

    // A wrong password is refused, and nothing is saved.
    let (ok, out, err) = login(&home, &env, &host, "wrong-password");
    assert!(!ok, "login with a wrong password succeeded: {out}");
    assert!(
        err.contains("refused the credentials of user \"alice\""),
        "{err}"
    );
    assert!(
        !home.docker_config().exists()
            || !std::fs::read_to_string(home.docker_config())
                .unwrap()
                .contains(&host)
    );
    seen += &out;
    seen += &err;

    // The right one is checked and saved as docker does.
    let (ok, out, err) = login(&home, &env, &host, PASSWORD);
    assert!(ok, "{err}");
    assert!(out.contains("Login Succeeded"), "{out}");
    seen += &out;
    seen += &err;
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.docker_config()).unwrap()).unwrap();
    let auth = config["auths"][&host]["auth"].as_str().unwrap();
    let decoded = run_ok(
        Command::new("sh")
            .arg("-c")
            .arg(format!("echo {auth} | base64 -d")),
    );
    assert_eq!(decoded, format!("{USER}:{PASSWORD}"));

    // Push and pull with the saved credentials over verified TLS.
    let layout = scratch("tls-basic-layout").join("img");
    umoci_image(&layout, "t", &[("/f", noise(5, 120_000))]);
    let target = format!("{host}/private/app:1");
    let mut push = home.layerkit();
    push.env("LAYERKIT_CERTS_D", &certs)
        .args(["push", "--from"])
        .arg(&layout)
        .arg(&target);
    let (ok, out, err) = output(&mut push);
    assert!(ok, "{err}");
    seen += &out;
    seen += &err;
    let mut pull = home.layerkit();
    pull.env("LAYERKIT_CERTS_D", &certs).args(["pull", &target]);
    let (ok, out, err) = output(&mut pull);
    assert!(ok, "{err}");
    seen += &out;
    seen += &err;

    // skopeo with the CA and the same credentials reads what we pushed.
    let info = run_ok(Command::new("skopeo").args([
        "inspect",
        &format!("--cert-dir={}", certs.join(&host).display()),
        &format!("--creds={USER}:{PASSWORD}"),
        &format!("docker://{target}"),
    ]));
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    let ours = run_ok(
        home.layerkit()
            .env("LAYERKIT_CERTS_D", &certs)
            .args(["digest", &target]),
    );
    assert_eq!(info["Digest"], ours.trim());

    // Logged out, the registry asks for credentials again.
    let out = run_ok(home.layerkit().args(["logout", &host]));
    assert!(out.contains("Removing login credentials"), "{out}");
    let (ok, _, err) = output(
        home.layerkit()
            .env("LAYERKIT_CERTS_D", &certs)
            .args(["digest", &target]),
    );
    assert!(!ok);
    assert!(err.contains("authentication required"), "{err}");
    seen += &err;

    assert_no_secret(&seen);
}

#[test]
fn bearer_token_realm() {
    let reg = Registry::token("token", USER, PASSWORD);
    let home = Home::new("token");
    let host = reg.host.clone();
    let mut seen = String::new();

    let (ok, out, err) = login(&home, &[], &host, "nope");
    assert!(!ok, "{out}");
    assert!(err.contains("refused the credentials"), "{err}");
    seen += &err;
    let (ok, out, err) = login(&home, &[], &host, PASSWORD);
    assert!(ok, "{err}");
    seen += &out;
    seen += &err;

    let layout = scratch("token-layout").join("img");
    umoci_image(&layout, "t", &[("/f", noise(9, 80_000))]);
    let target = format!("{host}/team/svc:2");
    let (ok, out, err) = output(
        home.layerkit()
            .args(["push", "--from"])
            .arg(&layout)
            .arg(&target),
    );
    assert!(ok, "{err}");
    seen += &out;
    seen += &err;
    // Tokens were asked for the repository's push scope.
    let reqs = reg.token_requests();
    assert!(
        reqs.iter()
            .any(|r| r.contains("scope=repository%3Ateam%2Fsvc%3Apull%2Cpush")),
        "{reqs:?}"
    );
    let copy_to = format!("{host}/team/copy:3");
    let (ok, out, err) = output(
        home.layerkit()
            .args(["copy", "--format", "json", &target, &copy_to]),
    );
    assert!(ok, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["mounted"], 2, "{out}");
    let (ok, out, err) = output(home.layerkit().args(["pull", &copy_to]));
    assert!(ok, "{err}");
    seen += &out;
    seen += &err;
    let cat = run_ok(home.layerkit().args(["catalog", &host]));
    assert_eq!(
        cat.lines().collect::<Vec<_>>(),
        vec!["team/copy", "team/svc"]
    );

    // Anonymous: the token server gives a token with no access.
    let anon = Home::new("token-anon");
    let (ok, _, err) = output(anon.layerkit().args(["pull", &target]));
    assert!(!ok);
    assert!(
        err.contains("UNAUTHORIZED") || err.contains("authentication required"),
        "{err}"
    );
    seen += &err;
    assert_no_secret(&seen);
}

#[test]
fn credential_helpers_are_used_as_docker_uses_them() {
    let reg = Registry::tls_basic("helper", USER, PASSWORD);
    let home = Home::new("helper");
    let certs = reg.certs_d();
    // A docker-credential-<name> program keeping secrets in a file, as the
    // protocol says: `store` reads JSON, `get` reads the server URL.
    let bin = home.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let store = home.dir.join("helper-store.json");
    let script = format!(
        "#!/bin/sh\nset -e\nf={store}\ncase \"$1\" in\n  store) cat > \"$f\" ;;\n  get) url=$(cat); if [ -f \"$f\" ] && grep -q \"\\\"ServerURL\\\":\\\"$url\\\"\" \"$f\"; then cat \"$f\"; else echo 'credentials not found in native keychain'; exit 1; fi ;;\n  erase) cat >/dev/null; rm -f \"$f\" ;;\nesac\n",
        store = store.display()
    );
    let helper = bin.join("docker-credential-testfile");
    std::fs::write(&helper, script).unwrap();
    run_ok(Command::new("chmod").arg("+x").arg(&helper));
    std::fs::create_dir_all(home.docker_config().parent().unwrap()).unwrap();
    std::fs::write(
        home.docker_config(),
        r#"{"credsStore":"testfile","experimental":"enabled"}"#,
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let env_path = std::path::PathBuf::from(&path);

    let mut cmd = home.layerkit();
    cmd.env("PATH", &env_path).env("LAYERKIT_CERTS_D", &certs);
    let (ok, out, err) = login(
        &home,
        &[
            ("PATH", env_path.as_path()),
            ("LAYERKIT_CERTS_D", certs.as_path()),
        ],
        &reg.host,
        PASSWORD,
    );
    assert!(ok, "{err}");
    assert!(!err.contains("unencrypted"), "{err}");
    assert_no_secret(&(out + &err));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
    assert_eq!(saved["ServerURL"], reg.host);
    assert_eq!(saved["Username"], USER);
    let config = std::fs::read_to_string(home.docker_config()).unwrap();
    assert!(!config.contains(PASSWORD), "{config}");
    assert!(
        config.contains("experimental"),
        "other settings were dropped: {config}"
    );

    // Commands get the credentials from the helper.
    let layout = scratch("helper-layout").join("img");
    umoci_image(&layout, "t", &[("/f", b"helper".to_vec())]);
    let (ok, _, err) = output(
        home.layerkit()
            .env("PATH", &env_path)
            .env("LAYERKIT_CERTS_D", &certs)
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(format!("{}/h/x:1", reg.host)),
    );
    assert!(ok, "{err}");

    run_ok(
        home.layerkit()
            .env("PATH", &env_path)
            .args(["logout", &reg.host]),
    );
    assert!(!store.exists(), "logout did not erase the helper's entry");
}

#[test]
fn identity_tokens_use_the_oauth2_refresh_grant() {
    let reg = Registry::token("identity", USER, PASSWORD);
    let home = Home::new("identity");
    let write_config = |token: &str| {
        std::fs::create_dir_all(home.docker_config().parent().unwrap()).unwrap();
        let v =
            serde_json::json!({"auths": {reg.host.clone(): {"auth": "", "identitytoken": token}}});
        std::fs::write(home.docker_config(), v.to_string()).unwrap();
    };
    write_config(&format!("refresh-{USER}"));
    let layout = scratch("identity-layout").join("img");
    umoci_image(&layout, "t", &[("/f", noise(13, 20_000))]);
    let target = format!("{}/id/app:1", reg.host);
    let (ok, _, err) = output(
        home.layerkit()
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(&target),
    );
    assert!(ok, "{err}");
    assert!(
        reg.token_requests()
            .iter()
            .any(|r| r.starts_with("POST /token")),
        "{:?}",
        reg.token_requests()
    );

    write_config("refresh-mallory");
    let (ok, _, err) = output(home.layerkit().args(["digest", &target]));
    assert!(!ok);
    assert!(err.contains("refused the stored identity token"), "{err}");
    assert!(!err.contains("refresh-mallory"), "{err}");
}

#[test]
fn mutual_tls_with_a_client_certificate_from_certs_d() {
    let reg = Registry::mutual_tls("mtls");
    let home = Home::new("mtls");
    let target = format!("{}/mtls/app:1", reg.host);
    // The CA alone: the registry refuses the handshake.
    let ca_only = reg.certs_d();
    let (ok, _, err) = output(
        home.layerkit()
            .env("LAYERKIT_CERTS_D", &ca_only)
            .args(["digest", &target]),
    );
    assert!(!ok);
    assert!(err.contains("TLS with 127.0.0.1"), "{err}");
    // With client.cert and client.key beside ca.crt, as docker reads them.
    let certs = reg.certs_d_with_client_cert();
    let layout = scratch("mtls-layout").join("img");
    umoci_image(&layout, "t", &[("/f", noise(17, 10_000))]);
    let (ok, _, err) = output(
        home.layerkit()
            .env("LAYERKIT_CERTS_D", &certs)
            .args(["push", "-q", "--from"])
            .arg(&layout)
            .arg(&target),
    );
    assert!(ok, "{err}");
    let (ok, out, err) = output(
        home.layerkit()
            .env("LAYERKIT_CERTS_D", &certs)
            .args(["tags", &format!("{}/mtls/app", reg.host)]),
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "1");
}
