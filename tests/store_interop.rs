//! The store against real peers: what `layerkit save` writes is loaded by
//! the Docker engine with the same image id and runs; skopeo inspects and
//! copies it, and umoci unpacks exactly the files that went in; archives
//! that Docker and skopeo wrote load into the store and save back with the
//! same image id.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{run_ok, scratch, shared, Docker};

/// `layerkit` on the store at `root`.
fn lk(root: &Path) -> Command {
    let mut c = support::layerkit();
    c.env("LAYERKIT_ROOT", root);
    c
}

fn lk_ok(root: &Path, args: &[&str]) -> String {
    run_ok(lk(root).args(args))
}

/// A busybox root filesystem from Debian's busybox-static binary, plus a
/// few files of our own, as a tar made deterministically.
fn busybox_rootfs(dir: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::create_dir_all(root.join("data/deep/er")).unwrap();
    fs::copy("/bin/busybox", root.join("bin/busybox"))
        .expect("/bin/busybox (apt-get install busybox-static; .ci/setup does)");
    for applet in ["sh", "true", "cat", "ls", "test", "echo"] {
        symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    fs::write(root.join("etc/hello"), "hello from layerkit\n").unwrap();
    fs::write(root.join("data/deep/er/file.bin"), vec![7u8; 100_000]).unwrap();
    fs::write(root.join("data/script"), "#!/bin/sh\necho hi\n").unwrap();
    fs::set_permissions(root.join("data/script"), fs::Permissions::from_mode(0o755)).unwrap();
    let tar = dir.join("rootfs.tar");
    run_ok(Command::new("tar").args([
        "--sort=name",
        "--mtime=@1700000000",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "-C",
        root.to_str().unwrap(),
        "-cf",
        tar.to_str().unwrap(),
        ".",
    ]));
    tar
}

/// Every path under `dir` with its kind, mode and content (or link target).
fn tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            let meta = fs::symlink_metadata(&p).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            let what = if meta.file_type().is_symlink() {
                format!("link {}", fs::read_link(&p).unwrap().display())
            } else if meta.is_dir() {
                format!("dir {mode:o}")
            } else {
                let data = fs::read(&p).unwrap();
                format!("file {mode:o} {}", layerkit::oci::Digest::sha256(&data))
            };
            out.insert(rel, what);
            if meta.is_dir() {
                walk(base, &p, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The shared engine, started from a thread that lives as long as the test
/// process: dockerd is started with PR_SET_PDEATHSIG, which fires when the
/// *thread* that spawned it ends, so starting it from a test's own thread
/// would stop it when that test finishes.
fn engine() -> &'static Docker {
    static STARTED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    STARTED.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = Docker::shared();
            let _ = tx.send(());
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("starting dockerd");
    });
    Docker::shared()
}

fn docker_id(docker: &Docker, name: &str) -> String {
    docker
        .ok(&["image", "inspect", "-f", "{{.Id}}", name])
        .trim()
        .to_string()
}

#[test]
fn docker_loads_what_we_save_with_the_same_id_and_runs_imported_busybox() {
    let dir = scratch("store-docker-run");
    let root = dir.join("store");
    let tar = busybox_rootfs(&dir);
    let id = lk_ok(
        &root,
        &[
            "import",
            tar.to_str().unwrap(),
            "lk-busybox:1",
            "--change",
            "CMD [\"/bin/sh\"]",
            "--change",
            "ENV GREETING=hi",
        ],
    );
    let id = id.trim();
    assert!(id.starts_with("sha256:"), "{id}");
    let archive = dir.join("busybox.tar");
    lk_ok(
        &root,
        &["save", "-o", archive.to_str().unwrap(), "lk-busybox:1"],
    );

    let docker = engine();
    let out = docker.ok(&["load", "-i", archive.to_str().unwrap()]);
    assert!(out.contains("Loaded image: lk-busybox:1"), "{out}");
    assert_eq!(docker_id(docker, "lk-busybox:1"), id);
    let out = docker.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "lk-busybox:1",
        "sh",
        "-c",
        "true && cat /etc/hello && echo $GREETING",
    ]);
    assert_eq!(out, "hello from layerkit\nhi\n");
    docker.ok(&["run", "--rm", "--network", "none", "lk-busybox:1", "true"]);

    // A gzip'd archive, zstd layers: still the same id.
    let root2 = dir.join("store-zstd");
    let zid = lk_ok(
        &root2,
        &[
            "import",
            "--compression",
            "zstd",
            tar.to_str().unwrap(),
            "lk-busybox:zstd",
        ],
    );
    let gz = dir.join("busybox-zstd.tar.gz");
    lk_ok(
        &root2,
        &["save", "-o", gz.to_str().unwrap(), "lk-busybox:zstd"],
    );
    let head = fs::read(&gz).unwrap();
    assert_eq!(&head[..2], &[0x1f, 0x8b], "a .gz name gzips the archive");
    docker.ok(&["load", "-i", gz.to_str().unwrap()]);
    assert_eq!(docker_id(docker, "lk-busybox:zstd"), zid.trim());
    docker.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "lk-busybox:zstd",
        "true",
    ]);
}

#[test]
fn commit_makes_a_layer_of_a_directorys_changes() {
    let dir = scratch("store-commit");
    let root = dir.join("store");
    let tar = busybox_rootfs(&dir);
    lk_ok(&root, &["import", tar.to_str().unwrap(), "base:1"]);
    // The image's filesystem, changed: one file added, one changed, one
    // directory deleted.
    let fsdir = dir.join("work");
    fs::create_dir_all(&fsdir).unwrap();
    let exported = dir.join("export.tar");
    lk_ok(
        &root,
        &["export", "base:1", "-o", exported.to_str().unwrap()],
    );
    run_ok(Command::new("tar").args([
        "-C",
        fsdir.to_str().unwrap(),
        "-xpf",
        exported.to_str().unwrap(),
    ]));
    assert_eq!(
        tree(&fsdir),
        tree(&dir.join("rootfs")),
        "export gives back the rootfs"
    );
    fs::write(fsdir.join("etc/new"), "new file\n").unwrap();
    fs::write(fsdir.join("etc/hello"), "changed\n").unwrap();
    fs::remove_dir_all(fsdir.join("data/deep")).unwrap();
    let id = lk_ok(
        &root,
        &[
            "commit",
            "-a",
            "Tester <t@example.com>",
            "-m",
            "my change",
            "-c",
            "WORKDIR /etc",
            "base:1",
            fsdir.to_str().unwrap(),
            "derived:1",
        ],
    );

    // Our export of the result is the directory.
    let again = dir.join("again");
    fs::create_dir_all(&again).unwrap();
    let exported = dir.join("export2.tar");
    lk_ok(
        &root,
        &["export", "derived:1", "-o", exported.to_str().unwrap()],
    );
    run_ok(Command::new("tar").args([
        "-C",
        again.to_str().unwrap(),
        "-xpf",
        exported.to_str().unwrap(),
    ]));
    assert_eq!(tree(&again), tree(&fsdir));

    // Docker sees two layers, the author and message, and the files.
    let archive = dir.join("derived.tar");
    lk_ok(
        &root,
        &["save", "-o", archive.to_str().unwrap(), "derived:1"],
    );
    let docker = engine();
    docker.ok(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(docker_id(docker, "derived:1"), id.trim());
    let out = docker.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "derived:1",
        "sh",
        "-c",
        "cat new hello; test -e /data/deep && echo still-there; pwd",
    ]);
    assert_eq!(out, "new file\nchanged\n/etc\n");
    let meta = docker.ok(&[
        "image",
        "inspect",
        "-f",
        "{{.Author}}|{{.Comment}}|{{len .RootFS.Layers}}",
        "derived:1",
    ]);
    assert_eq!(meta.trim(), "Tester <t@example.com>|my change|2");

    // Squashed: one layer, same files.
    lk_ok(
        &root,
        &[
            "commit",
            "--squash",
            "base:1",
            fsdir.to_str().unwrap(),
            "flat:1",
        ],
    );
    let flat = dir.join("flat");
    fs::create_dir_all(&flat).unwrap();
    let exported = dir.join("export3.tar");
    lk_ok(
        &root,
        &["export", "flat:1", "-o", exported.to_str().unwrap()],
    );
    run_ok(Command::new("tar").args([
        "-C",
        flat.to_str().unwrap(),
        "-xpf",
        exported.to_str().unwrap(),
    ]));
    assert_eq!(tree(&flat), tree(&fsdir));
    let archive = dir.join("flat.tar");
    lk_ok(&root, &["save", "-o", archive.to_str().unwrap(), "flat:1"]);
    docker.ok(&["load", "-i", archive.to_str().unwrap()]);
    let layers = docker.ok(&["image", "inspect", "-f", "{{len .RootFS.Layers}}", "flat:1"]);
    assert_eq!(layers.trim(), "1");
}

#[test]
fn skopeo_reads_our_archives_and_store_and_umoci_unpacks_exactly_our_files() {
    let dir = scratch("store-skopeo");
    let root = dir.join("store");
    let tar = busybox_rootfs(&dir);
    let id = lk_ok(
        &root,
        &["import", tar.to_str().unwrap(), "example.com/team/app:1"],
    );
    let id = id.trim();
    lk_ok(&root, &["tag", "example.com/team/app:1", "app:2"]);

    for (format, transport) in [
        ("docker-archive", "docker-archive"),
        ("oci-archive", "oci-archive"),
    ] {
        let archive = dir.join(format!("{format}.tar"));
        lk_ok(
            &root,
            &[
                "save",
                "--format",
                format,
                "-o",
                archive.to_str().unwrap(),
                "example.com/team/app:1",
            ],
        );
        let raw = run_ok(Command::new("skopeo").args([
            "inspect",
            "--config",
            "--raw",
            &format!("{transport}:{}", archive.display()),
        ]));
        assert_eq!(
            layerkit::oci::Digest::sha256(raw.as_bytes()).to_string(),
            id,
            "{format}: skopeo sees our config"
        );
    }

    // The docker-archive is also an OCI layout once extracted.
    let archive = dir.join("docker-archive.tar");
    let layout = dir.join("extracted");
    fs::create_dir_all(&layout).unwrap();
    run_ok(Command::new("tar").args([
        "-C",
        layout.to_str().unwrap(),
        "-xf",
        archive.to_str().unwrap(),
    ]));
    let out =
        run_ok(Command::new("skopeo").args(["inspect", &format!("oci:{}:1", layout.display())]));
    assert!(out.contains("\"Architecture\": \"amd64\""), "{out}");

    // The store itself is an OCI layout that skopeo reads by full name.
    let out = run_ok(Command::new("skopeo").args([
        "inspect",
        "--config",
        "--raw",
        &format!("oci:{}:docker.io/library/app:2", root.display()),
    ]));
    assert_eq!(
        layerkit::oci::Digest::sha256(out.as_bytes()).to_string(),
        id
    );

    // skopeo copy → OCI layout → umoci unpack: exactly the files we put in.
    let copied = dir.join("copied");
    run_ok(Command::new("skopeo").args([
        "copy",
        &format!("docker-archive:{}", archive.display()),
        &format!("oci:{}:app", copied.display()),
    ]));
    let bundle = dir.join("bundle");
    run_ok(Command::new("umoci").args([
        "unpack",
        "--image",
        &format!("{}:app", copied.display()),
        bundle.to_str().unwrap(),
    ]));
    assert_eq!(tree(&bundle.join("rootfs")), tree(&dir.join("rootfs")));

    // --format oci writes a layout directory skopeo reads.
    let oci_dir = dir.join("oci-dir");
    lk_ok(
        &root,
        &[
            "save",
            "--format",
            "oci",
            "-o",
            oci_dir.to_str().unwrap(),
            "app:2",
        ],
    );
    let raw = run_ok(Command::new("skopeo").args([
        "inspect",
        "--config",
        "--raw",
        &format!("oci:{}:docker.io/library/app:2", oci_dir.display()),
    ]));
    assert_eq!(
        layerkit::oci::Digest::sha256(raw.as_bytes()).to_string(),
        id
    );
    assert!(!oci_dir.join("ingest").exists() && !oci_dir.join("lock").exists());
}

#[test]
fn archives_docker_and_skopeo_wrote_load_and_save_back_with_the_same_id() {
    let dir = scratch("store-roundtrip");
    let root = dir.join("store");
    let docker = engine();

    // Docker 20.10's own `docker save` (legacy layout, layer symlinks).
    let tar = busybox_rootfs(&dir);
    let out = docker.ok(&["import", tar.to_str().unwrap(), "rt-docker:1"]);
    let docker_image_id = out.trim().to_string();
    let saved = dir.join("docker-saved.tar");
    docker.ok(&["save", "-o", saved.to_str().unwrap(), "rt-docker:1"]);

    // skopeo's docker-archive and oci-archive of a real fixture.
    let fixture = shared().join("fixtures/real/ggcr/test_link.tar");
    let sk_docker = dir.join("skopeo-docker.tar");
    let sk_oci = dir.join("skopeo-oci.tar");
    run_ok(Command::new("skopeo").args([
        "copy",
        &format!(
            "docker-archive:{}:bazel/v1/tarball:test_image_1",
            fixture.display()
        ),
        &format!("docker-archive:{}:skopeo/img:1", sk_docker.display()),
    ]));
    run_ok(Command::new("skopeo").args([
        "copy",
        &format!(
            "docker-archive:{}:bazel/v1/tarball:test_image_3",
            fixture.display()
        ),
        &format!("oci-archive:{}:skopeo-oci", sk_oci.display()),
    ]));
    let sk_oci_config = run_ok(Command::new("skopeo").args([
        "inspect",
        "--config",
        "--raw",
        &format!("oci-archive:{}", sk_oci.display()),
    ]));
    let sk_oci_id = layerkit::oci::Digest::sha256(sk_oci_config.as_bytes()).to_string();

    let mut cases: Vec<(PathBuf, Vec<(String, String)>)> = vec![
        (saved, vec![("rt-docker:1".into(), docker_image_id)]),
        (
            sk_docker,
            vec![(
                "skopeo/img:1".into(),
                docker_id_of_archive(&fixture, "bazel/v1/tarball:test_image_1"),
            )],
        ),
        (sk_oci.clone(), vec![]),
    ];
    // Real archives from other producers (Docker 18.09, Docker 25, kaniko,
    // ggcr, BuildKit's oci-archives with gzip, zstd and estargz layers).
    for f in [
        "dive/test-docker-image.tar",
        "dive/test-kaniko-image.tar",
        "dive/test-oci-gzip-image.tar",
        "dive/test-oci-zstd-image.tar",
        "dive/test-oci-estargz-image.tar",
        "ggcr/hello-world-v25.tar",
        "ggcr/test_link.tar",
        "ggcr/whiteout_dir.tar",
    ] {
        cases.push((shared().join("fixtures/real").join(f), vec![]));
    }
    for (archive, expected) in &cases {
        let out = lk_ok(&root, &["load", "-i", archive.to_str().unwrap()]);
        assert!(
            out.starts_with("Loaded image"),
            "{}: {out}",
            archive.display()
        );
        for (name, id) in expected {
            let ours = lk_ok(&root, &["images", "-q", "--no-trunc", name]);
            assert_eq!(ours.trim(), id, "{}", archive.display());
        }
    }
    let sk_oci_loaded = lk_ok(
        &root,
        &["images", "-q", "--no-trunc", "-f", "dangling=true"],
    );
    assert!(sk_oci_loaded.contains(&sk_oci_id), "{sk_oci_loaded}");

    // Save everything back; Docker loads it and agrees on every id.
    let listing = lk_ok(
        &root,
        &[
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.ID}}",
            "--no-trunc",
        ],
    );
    let named: Vec<(String, String)> = listing
        .lines()
        .filter(|l| !l.starts_with("<none>"))
        .map(|l| {
            let (n, id) = l.split_once(' ').unwrap();
            (n.to_string(), id.to_string())
        })
        .collect();
    assert!(named.len() >= 6, "{listing}");
    let all = dir.join("all.tar");
    let mut args = vec!["save", "-o", all.to_str().unwrap()];
    args.extend(named.iter().map(|(n, _)| n.as_str()));
    lk_ok(&root, &args);
    for (n, _) in &named {
        let _ = docker.command().args(["rmi", "-f", n]).output();
    }
    docker.ok(&["load", "-i", all.to_str().unwrap()]);
    for (n, id) in &named {
        assert_eq!(&docker_id(docker, n), id, "{n}");
    }
    // And our store reads its own archive back to the same ids.
    let root2 = dir.join("store2");
    lk_ok(&root2, &["load", "-i", all.to_str().unwrap()]);
    for (n, id) in &named {
        assert_eq!(lk_ok(&root2, &["images", "-q", "--no-trunc", n]).trim(), id);
    }
    // Images without a name (the OCI archives, Docker 25's hello-world)
    // save by id; Docker loads each under that id.
    let dangling = lk_ok(
        &root,
        &["images", "-q", "--no-trunc", "-f", "dangling=true"],
    );
    let ids: std::collections::BTreeSet<&str> = dangling.lines().collect();
    assert!(ids.len() >= 3, "{dangling}");
    for id in ids {
        let one = dir.join(format!("{}.tar", &id[7..19]));
        lk_ok(&root, &["save", "-o", one.to_str().unwrap(), id]);
        let out = docker.ok(&["load", "-i", one.to_str().unwrap()]);
        assert_eq!(out.trim(), format!("Loaded image ID: {id}"));
    }
}

/// The image id Docker computes for an image in an archive: the config
/// digest, from skopeo.
fn docker_id_of_archive(archive: &Path, name: &str) -> String {
    let raw = run_ok(Command::new("skopeo").args([
        "inspect",
        "--config",
        "--raw",
        &format!("docker-archive:{}:{name}", archive.display()),
    ]));
    layerkit::oci::Digest::sha256(raw.as_bytes()).to_string()
}
