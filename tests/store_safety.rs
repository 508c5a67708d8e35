//! The store under pressure: the same input gives the same image; many
//! processes changing names at once lose nothing; a `load` or `save` killed
//! at any moment leaves a store that reads; `rmi`/`prune` follow Docker's
//! rules.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::{run, run_ok, scratch};

fn lk(root: &Path) -> Command {
    let mut c = support::layerkit();
    c.env("LAYERKIT_ROOT", root).env_remove("SOURCE_DATE_EPOCH");
    c
}

fn lk_ok(root: &Path, args: &[&str]) -> String {
    run_ok(lk(root).args(args))
}

/// A rootfs tar of `files` (path, bytes), made deterministically.
fn rootfs(dir: &Path, name: &str, files: &[(&str, Vec<u8>)]) -> PathBuf {
    let src = dir.join(format!("{name}-src"));
    for (p, data) in files {
        let path = src.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, data).unwrap();
    }
    let tar = dir.join(format!("{name}.tar"));
    run_ok(Command::new("tar").args([
        "--sort=name",
        "--mtime=@1600000000",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "-C",
        src.to_str().unwrap(),
        "-cf",
        tar.to_str().unwrap(),
        ".",
    ]));
    tar
}

/// Pseudo-random data that does not compress to nothing.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Half noise, half text: realistic compression ratios.
            if (i / 4096) % 2 == 0 {
                (x >> 24) as u8
            } else {
                b"layerkit "[i % 9]
            }
        })
        .collect()
}

/// Every blob index.json needs exists and has its digest; returns them.
fn fsck(root: &Path) -> BTreeSet<String> {
    let mut needed = BTreeSet::new();
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(root.join("index.json")).unwrap()).unwrap();
    let mut blob = |d: &str| {
        let hex = d.strip_prefix("sha256:").unwrap();
        needed.insert(hex.to_string());
        let data = fs::read(root.join("blobs/sha256").join(hex))
            .unwrap_or_else(|e| panic!("blob {d} named by the index is missing: {e}"));
        assert_eq!(layerkit::oci::Digest::sha256(&data).to_string(), d);
        data
    };
    for m in index["manifests"].as_array().unwrap() {
        let manifest: serde_json::Value =
            serde_json::from_slice(&blob(m["digest"].as_str().unwrap())).unwrap();
        blob(manifest["config"]["digest"].as_str().unwrap());
        for l in manifest["layers"].as_array().unwrap() {
            blob(l["digest"].as_str().unwrap());
        }
    }
    needed
}

#[test]
fn importing_the_same_rootfs_twice_gives_the_same_image() {
    let dir = scratch("store-determinism");
    let tar = rootfs(
        &dir,
        "r",
        &[("etc/a", b"a\n".to_vec()), ("usr/big", noise(3 << 20, 7))],
    );
    let mut ids = Vec::new();
    for (store, method) in [("s1", "gzip"), ("s2", "gzip"), ("s1", "gzip")] {
        let root = dir.join(store);
        let id = lk_ok(
            &root,
            &[
                "import",
                "--compression",
                method,
                tar.to_str().unwrap(),
                "same:1",
            ],
        );
        let digest = lk_ok(&root, &["images", "--format", "{{.Digest}}", "same:1"]);
        ids.push((id.trim().to_string(), digest.trim().to_string()));
    }
    assert_eq!(ids[0], ids[1], "two stores, same image");
    assert_eq!(ids[0], ids[2], "again in the same store");
    // Created is the newest mtime in the tarball, not the time of import.
    let listing = lk_ok(&dir.join("s1"), &["images", "--format", "json"]);
    assert!(
        listing.contains("\"CreatedAt\":\"2020-09-13 12:26:40 +0000 UTC\""),
        "{listing}"
    );
    // A gzip'd tarball is the same rootfs.
    let gz = dir.join("r.tar.gz");
    run_ok(Command::new("sh").arg("-c").arg(format!(
        "gzip -c {} > {}",
        tar.display(),
        gz.display()
    )));
    let id = lk_ok(&dir.join("s3"), &["import", gz.to_str().unwrap()]);
    assert_eq!(id.trim(), ids[0].0);
    // zstd layers: deterministic too. The config (the image id) does not
    // depend on compression; the manifest does.
    let mut z = Vec::new();
    for store in ["z1", "z2"] {
        let root = dir.join(store);
        let id = lk_ok(
            &root,
            &[
                "import",
                "--compression",
                "zstd",
                tar.to_str().unwrap(),
                "z:1",
            ],
        );
        let digest = lk_ok(&root, &["images", "--format", "{{.Digest}}", "z:1"]);
        z.push((id.trim().to_string(), digest.trim().to_string()));
    }
    assert_eq!(z[0], z[1]);
    assert_eq!(z[0].0, ids[0].0);
    assert_ne!(z[0].1, ids[0].1);

    // A directory becomes a layer with sorted entries; with a timestamp,
    // the same tree gives the same image whenever it is imported.
    let tree = dir.join("r-src");
    let mut d = Vec::new();
    for store in ["d1", "d2"] {
        let id = lk_ok(
            &dir.join(store),
            &[
                "import",
                "--timestamp",
                "1600000000",
                tree.to_str().unwrap(),
                "d:1",
            ],
        );
        d.push(id);
    }
    assert_eq!(d[0], d[1]);
    let exported = dir.join("d.tar");
    lk_ok(
        &dir.join("d1"),
        &["export", "d:1", "-o", exported.to_str().unwrap()],
    );
    let listing = run_ok(Command::new("tar").args(["-tvf", exported.to_str().unwrap()]));
    let names: Vec<&str> = listing
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(names, ["etc/", "etc/a", "usr/", "usr/big"], "{listing}");
    assert!(listing.contains("2020-09-13"), "{listing}");
}

#[test]
fn eight_processes_tagging_and_removing_at_once_lose_nothing() {
    let dir = scratch("store-concurrency");
    let root = dir.join("store");
    let tar = rootfs(&dir, "base", &[("hello", b"hi\n".to_vec())]);
    lk_ok(&root, &["import", tar.to_str().unwrap(), "base:1"]);
    const PROCS: usize = 8;
    const TAGS: usize = 12;
    // Each worker is a shell loop of layerkit commands: tag 12 names, then
    // remove the odd ones, while the seven others do the same.
    let bin = env!("CARGO_BIN_EXE_layerkit");
    let children: Vec<_> = (0..PROCS)
        .map(|p| {
            let mut script = String::from("set -e\n");
            for t in 0..TAGS {
                script.push_str(&format!("\"$LK\" tag base:1 w{p}/img:t{t}\n"));
                if t % 3 == 2 {
                    script.push_str("\"$LK\" images -q >/dev/null\n");
                }
            }
            for t in (1..TAGS).step_by(2) {
                script.push_str(&format!("\"$LK\" rmi w{p}/img:t{t} >/dev/null\n"));
            }
            Command::new("sh")
                .arg("-c")
                .arg(script)
                .env("LK", bin)
                .env("LAYERKIT_ROOT", &root)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a worker failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let names: BTreeSet<String> = lk_ok(&root, &["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .lines()
        .map(str::to_string)
        .collect();
    let mut expected: BTreeSet<String> = BTreeSet::new();
    expected.insert("base:1".into());
    for p in 0..PROCS {
        for t in (0..TAGS).step_by(2) {
            expected.insert(format!("w{p}/img:t{t}"));
        }
    }
    assert_eq!(names, expected);
    // One image, many names; its blobs intact.
    let ids: BTreeSet<String> = lk_ok(&root, &["images", "-q"])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 1);
    fsck(&root);
}

/// A small xorshift generator seeded from the clock: kill times differ
/// from run to run, and the seed is printed to reproduce a failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[test]
fn sigkill_during_load_or_save_never_breaks_the_store() {
    let dir = scratch("store-crash");
    let root = dir.join("store");
    // An archive big enough that load and save take a while.
    let src = dir.join("src");
    let tar = rootfs(
        &dir,
        "big",
        &[
            ("a/one", noise(12 << 20, 1)),
            ("b/two", noise(12 << 20, 2)),
            ("c/three", b"small".to_vec()),
        ],
    );
    let _ = src;
    let staging = dir.join("staging");
    lk_ok(&staging, &["import", tar.to_str().unwrap(), "big:1"]);
    let tar2 = rootfs(&dir, "big2", &[("d/four", noise(8 << 20, 3))]);
    lk_ok(
        &staging,
        &[
            "import",
            "--compression",
            "zstd",
            tar2.to_str().unwrap(),
            "big:zstd",
        ],
    );
    let archive = dir.join("big.tar");
    lk_ok(
        &staging,
        &["save", "-o", archive.to_str().unwrap(), "big:1", "big:zstd"],
    );
    // The store already holds one image, which must survive everything.
    let small = rootfs(&dir, "small", &[("x", b"x".to_vec())]);
    let keep_id = lk_ok(&root, &["import", small.to_str().unwrap(), "keep:1"]);

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    // How long a whole load takes here: kills land anywhere inside it.
    let started = std::time::Instant::now();
    lk_ok(
        &dir.join("timing"),
        &["load", "-i", archive.to_str().unwrap()],
    );
    let full = (started.elapsed().as_millis() as u64).max(20);
    println!("a full load takes {full} ms");
    let mut loaded = false;
    for round in 0..12 {
        let save = loaded && round % 2 == 1;
        let mut cmd = lk(&root);
        if save {
            cmd.args(["save", "-o", dir.join("out.tar").to_str().unwrap(), "big:1"]);
        } else {
            cmd.args(["load", "-i", archive.to_str().unwrap()]);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.next(full)));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if !save && status.success() {
            loaded = true;
        }
        // Whatever happened, the store reads, and what it names is whole.
        let out = run(lk(&root).args(["images", "--no-trunc"]));
        assert!(
            out.status.success(),
            "round {round} (seed {seed}): images failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listing = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(listing.contains(keep_id.trim()), "round {round}: {listing}");
        fsck(&root);
        // A killed save leaves no partial output under the final name.
        let out_tar = dir.join("out.tar");
        if out_tar.exists() {
            run_ok(Command::new("tar").args(["-tf", out_tar.to_str().unwrap()]));
        }
    }
    // A load that runs to the end still works, and prune clears the debris.
    lk_ok(&root, &["load", "-i", archive.to_str().unwrap()]);
    lk_ok(&root, &["image", "prune", "-f"]);
    assert_eq!(fs::read_dir(root.join("ingest")).unwrap().count(), 0);
    let needed = fsck(&root);
    let names = lk_ok(&root, &["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    for n in ["keep:1", "big:1", "big:zstd"] {
        assert!(names.lines().any(|l| l == n), "{n} missing: {names}");
    }
    // Every blob left is one an image needs.
    let blobs: BTreeSet<String> = fs::read_dir(root.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(blobs, needed);
}

#[test]
fn big_blobs_land_whole_through_direct_io_and_without_it() {
    // Blobs of 8 MiB and more are written with O_DIRECT, in 4 MiB steps,
    // the last partial block through the page cache. Into a store on the
    // disk and one on tmpfs (which takes direct I/O from Linux 6.6 on, and
    // before that gets buffered writes). Sizes around block and step edges.
    let dir = scratch("store-direct");
    let staging = dir.join("staging");
    let mut refs = Vec::new();
    for (i, len) in [(8 << 20) + 1, (12 << 20) - 4096, (9 << 20) + 4095]
        .into_iter()
        .enumerate()
    {
        let tar = rootfs(
            &dir,
            &format!("d{i}"),
            &[("data", noise(len, 7 + i as u64))],
        );
        let r = format!("direct:{i}");
        lk_ok(
            &staging,
            &["import", "--compression", "none", tar.to_str().unwrap(), &r],
        );
        refs.push(r);
    }
    let archive = dir.join("direct.tar");
    let mut save = vec!["save", "-o", archive.to_str().unwrap()];
    save.extend(refs.iter().map(String::as_str));
    lk_ok(&staging, &save);
    let ids = |root: &Path| lk_ok(root, &["images", "-q", "--no-trunc"]);
    let want = ids(&staging);
    let mut roots = vec![dir.join("on-disk")];
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        let on_shm = shm.join(format!("layerkit-direct-{}", std::process::id()));
        let _ = fs::remove_dir_all(&on_shm);
        roots.push(on_shm);
    }
    for root in &roots {
        lk_ok(root, &["load", "-i", archive.to_str().unwrap()]);
        // Every blob is whole and named by its digest; the images are
        // the saved ones, and save back the same bytes.
        assert_eq!(fsck(root).len(), fsck(&staging).len());
        assert_eq!(ids(root), want, "{}", root.display());
        for hex in fsck(&staging) {
            assert_eq!(
                fs::read(root.join("blobs/sha256").join(&hex)).unwrap(),
                fs::read(staging.join("blobs/sha256").join(&hex)).unwrap(),
                "{hex} in {}",
                root.display()
            );
        }
        assert_eq!(fs::read_dir(root.join("ingest")).unwrap().count(), 0);
    }
    if let Some(on_shm) = roots.get(1) {
        let _ = fs::remove_dir_all(on_shm);
    }
}

#[test]
fn rmi_and_prune_follow_dockers_rules() {
    let dir = scratch("store-rmi");
    let root = dir.join("store");
    let a = rootfs(&dir, "a", &[("a", b"a".to_vec())]);
    let b = rootfs(&dir, "b", &[("b", b"b".to_vec())]);
    let id_a = lk_ok(&root, &["import", a.to_str().unwrap(), "app:1"]);
    let id_a = id_a.trim().to_string();
    lk_ok(&root, &["tag", "app:1", "app:2"]);
    lk_ok(&root, &["tag", &id_a[7..19], "other/app"]);

    // Removing one name of several only untags.
    let out = lk_ok(&root, &["rmi", "app:2"]);
    assert_eq!(out, "Untagged: app:2\n");
    // An id with several names needs -f.
    let out = run(lk(&root).args(["rmi", &id_a[7..19]]));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("must be forced"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Moving a name away leaves the old image dangling.
    let id_b = lk_ok(&root, &["import", b.to_str().unwrap(), "app:1"]);
    let dangling = lk_ok(
        &root,
        &["images", "-q", "--no-trunc", "-f", "dangling=true"],
    );
    assert_eq!(dangling, "");
    let names = lk_ok(
        &root,
        &["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"],
    );
    assert!(
        names.contains(&format!("other/app:latest {}", &id_a[7..19])),
        "{names}"
    );
    assert!(
        names.contains(&format!("app:1 {}", &id_b.trim()[7..19])),
        "{names}"
    );
    let out = lk_ok(&root, &["rmi", "-f", &id_a[7..19]]);
    assert!(out.contains("Untagged: other/app:latest"), "{out}");
    assert!(out.contains(&format!("Deleted: {id_a}")), "{out}");

    // An untagged import is dangling; prune removes it and nothing else.
    let id_c = lk_ok(&root, &["import", a.to_str().unwrap()]);
    let dangling = lk_ok(
        &root,
        &["images", "-q", "--no-trunc", "-f", "dangling=true"],
    );
    assert_eq!(dangling.trim(), id_c.trim());
    let table = lk_ok(&root, &["images"]);
    assert!(
        table.starts_with("REPOSITORY   TAG       IMAGE ID       CREATED"),
        "{table}"
    );
    assert!(table.contains("<none>       <none>    "), "{table}");
    let out = lk_ok(&root, &["image", "prune", "-f"]);
    assert!(out.contains(&format!("deleted: {}", id_c.trim())), "{out}");
    assert!(out.contains("Total reclaimed space: "), "{out}");
    let left = lk_ok(&root, &["images", "-q", "--no-trunc"]);
    assert_eq!(left.trim(), id_b.trim());
    fsck(&root);
    let df = lk_ok(&root, &["system", "df"]);
    assert!(
        df.starts_with(
            "TYPE      TOTAL     ACTIVE    SIZE      RECLAIMABLE\nImages    1         1         "
        ),
        "{df}"
    );
    // prune -a: everything goes, blobs too.
    lk_ok(&root, &["image", "prune", "-a", "-f"]);
    assert_eq!(lk_ok(&root, &["images", "-q"]), "");
    assert_eq!(fs::read_dir(root.join("blobs/sha256")).unwrap().count(), 0);
    // Bad names are errors that say so.
    let out = run(lk(&root).args(["rmi", "nope:1"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No such image: nope:1"));
}

#[test]
fn inspect_history_and_tree_read_images_in_the_store() {
    let dir = scratch("store-targets");
    let root = dir.join("store");
    let tar = rootfs(&dir, "t", &[("etc/motd", b"welcome\n".to_vec())]);
    let id = lk_ok(
        &root,
        &["import", "-m", "first", tar.to_str().unwrap(), "me/app:1"],
    );
    let out = lk_ok(&root, &["inspect", "me/app:1"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["Id"], id.trim());
    assert_eq!(v[0]["RepoTags"][0], "me/app:1");
    // By id prefix too, and --root instead of the environment.
    let out = run_ok(support::layerkit().env_remove("LAYERKIT_ROOT").args([
        "--root",
        root.to_str().unwrap(),
        "history",
        &id.trim()[7..19],
    ]));
    assert!(out.contains("first"), "{out}");
    let out = lk_ok(&root, &["tree", "me/app:1"]);
    assert!(out.contains("efficiency"), "{out}");
    let out = run(lk(&root).args(["inspect", "no/such:image"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such image in the store"));
}

#[test]
fn one_archive_holds_the_same_image_compressed_two_ways() {
    // Same config (so the same image id), different layer blobs: the
    // archive's manifest.json and index.json must be paired by layers too.
    let dir = scratch("store-two-ways");
    let root = dir.join("store");
    let tar = rootfs(&dir, "r", &[("f", noise(200_000, 9))]);
    let gz = lk_ok(
        &root,
        &[
            "import",
            "--compression",
            "gzip",
            tar.to_str().unwrap(),
            "two:gzip",
        ],
    );
    let zs = lk_ok(
        &root,
        &[
            "import",
            "--compression",
            "zstd",
            tar.to_str().unwrap(),
            "two:zstd",
        ],
    );
    assert_eq!(gz, zs);
    let digests = lk_ok(&root, &["images", "--format", "{{.Tag}} {{.Digest}}"]);
    let archive = dir.join("both.tar");
    lk_ok(
        &root,
        &[
            "save",
            "-o",
            archive.to_str().unwrap(),
            "two:gzip",
            "two:zstd",
        ],
    );
    let root2 = dir.join("store2");
    lk_ok(&root2, &["load", "-i", archive.to_str().unwrap()]);
    let again = lk_ok(&root2, &["images", "--format", "{{.Tag}} {{.Digest}}"]);
    let sorted = |s: &str| s.lines().map(str::to_string).collect::<BTreeSet<_>>();
    assert_eq!(sorted(&again), sorted(&digests));
    fsck(&root2);
    // One image id, two manifests: rmi of the id removes the image, both
    // manifests and both names (with -f, since it has two names).
    let out = run(lk(&root2).args(["rmi", gz.trim()]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be forced"));
    let out = lk_ok(&root2, &["rmi", "-f", gz.trim()]);
    assert!(
        out.contains("Untagged: two:gzip") && out.contains("Untagged: two:zstd"),
        "{out}"
    );
    assert_eq!(lk_ok(&root2, &["images", "-q"]), "");
    assert_eq!(fs::read_dir(root2.join("blobs/sha256")).unwrap().count(), 0);
}
