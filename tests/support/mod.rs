//! Shared helpers for integration tests: real peers started on demand.
//!
//! Use from a test file with `mod support;`. Every server binds 127.0.0.1
//! or a unix socket in a private directory, and dies with the test process.

#![allow(dead_code)]

pub mod registry;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the project.
pub fn shared() -> PathBuf {
    root().join("../shared")
}

/// A fresh directory under target/ for one test's files, removed first if
/// an earlier run left it.
pub fn scratch(name: &str) -> PathBuf {
    let dir = root()
        .join("target/test-scratch")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a scratch directory");
    dir
}

/// A TCP port free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

/// Makes a child die when the test process dies (however it dies).
pub fn die_with_parent(cmd: &mut Command) -> &mut Command {
    unsafe {
        cmd.pre_exec(|| {
            // PR_SET_PDEATHSIG = 1
            if libc::prctl(1, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

/// Runs a command, returning its output; panics with its stderr if it
/// could not start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// Runs a command with `input` on its standard input, returning its
/// output. The input is written from a thread of its own, so a command
/// that writes much before it has read everything cannot block the test.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("waiting for the command");
    writer
        .join()
        .expect("the input writer")
        .expect("writing the input");
    out
}

/// Runs a command that must succeed; returns its stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `layerkit` binary built for this test run.
pub fn layerkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_layerkit"))
}

/// Waits until `ready` says yes, up to `limit`.
pub fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A private Docker engine (Debian's dockerd 20.10): vfs storage, no
/// networking setup, its own data-root and socket. Started once per test
/// process, on first use; it exits when the test process does.
pub struct Docker {
    pub dir: PathBuf,
    pub socket: PathBuf,
}

impl Docker {
    pub fn shared() -> &'static Docker {
        static DOCKER: OnceLock<Docker> = OnceLock::new();
        DOCKER.get_or_init(Docker::start)
    }

    fn start() -> Docker {
        // Short paths: unix socket paths are limited to 108 bytes.
        let base = PathBuf::from("/tmp/layerkit-dockerd");
        std::fs::create_dir_all(&base).unwrap();
        // Leftovers of earlier runs whose process is gone.
        if let Ok(entries) = std::fs::read_dir(&base) {
            for e in entries.flatten() {
                let pid = e.file_name().to_string_lossy().parse::<u32>().unwrap_or(0);
                if pid != 0 && !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = base.join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("docker.sock");
        let config = serde_json::json!({
            "storage-driver": "vfs",
            "bridge": "none",
            "iptables": false,
            "ip6tables": false,
            "ip-forward": false,
            "ip-masq": false,
            "data-root": dir.join("data"),
            "exec-root": dir.join("exec"),
            "pidfile": dir.join("docker.pid"),
            "hosts": [format!("unix://{}", socket.display())],
        });
        std::fs::write(dir.join("daemon.json"), config.to_string()).unwrap();
        let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
        let mut cmd = Command::new("dockerd");
        cmd.arg("--config-file")
            .arg(dir.join("daemon.json"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        die_with_parent(&mut cmd);
        // The parent-death signal fires when the *thread* that spawned the
        // child exits, and each test runs on its own thread: spawn the
        // shared engine from a thread that lives as long as the process.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(cmd.spawn().map(|_| ()));
            loop {
                std::thread::park();
            }
        });
        rx.recv()
            .expect("the dockerd spawner thread")
            .expect("starting dockerd (is docker.io installed? run .ci/setup)");
        let d = Docker { dir, socket };
        wait_for("dockerd", Duration::from_secs(60), || {
            d.socket.exists()
                && d.command()
                    .arg("version")
                    .output()
                    .map(|o| o.status.success())
                    .unwrap_or(false)
        });
        d
    }

    /// A `docker` client command talking to this engine.
    pub fn command(&self) -> Command {
        let client = if Path::new("/usr/bin/docker").exists() {
            "/usr/bin/docker"
        } else {
            "docker"
        };
        let mut c = Command::new(client);
        c.env("DOCKER_HOST", format!("unix://{}", self.socket.display()))
            .env("DOCKER_CONFIG", self.dir.join("client"));
        c
    }

    /// Runs `docker ARGS`, which must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        run_ok(self.command().args(args))
    }
}

/// A ustar archive of (name, data) regular files, every header field
/// written out, for tests that need exact bytes.
pub fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in entries {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// `b` as one gzip member (fast level).
pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b).unwrap();
    gz.finish().unwrap()
}

/// A layer of ~6 MiB of text-like files, different enough not to compress to nothing.
pub fn big_layer() -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut files = Vec::new();
    for i in 0..300 {
        let len = 1000 + (i * 7919) % 40000;
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"abcdefgh ij\n"[(x % 12) as usize]
            })
            .collect();
        files.push((format!("data/{:03}/f{i}.txt", i % 17), data));
    }
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (n.as_str(), &d[..])).collect();
    (tar(&entries), files)
}

/// A docker-archive of one gzip'd layer (`l/layer.tar.gz`) tagged `t:1`.
pub fn docker_archive(layer: &[u8], diff_id: &layerkit::oci::Digest) -> Vec<u8> {
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}},"history":[{{"created_by":"test"}}]}}"#
    );
    let cfg_name = format!(
        "{}.json",
        layerkit::oci::Digest::sha256(config.as_bytes()).hex()
    );
    let manifest =
        format!(r#"[{{"Config":"{cfg_name}","RepoTags":["t:1"],"Layers":["l/layer.tar.gz"]}}]"#);
    tar(&[
        ("l/layer.tar.gz", layer),
        (&cfg_name, config.as_bytes()),
        ("manifest.json", manifest.as_bytes()),
    ])
}

/// The image archives of `../shared/fixtures/real` that the readers must
/// read (see its SOURCES.md): Docker, kaniko, go-containerregistry and OCI
/// archives with every layer compression.
pub const REAL_ARCHIVES: &[&str] = &[
    "dive/test-docker-image.tar",
    "dive/test-kaniko-image.tar",
    "dive/test-oci-gzip-image.tar",
    "dive/test-oci-zstd-image.tar",
    "dive/test-oci-uncompressed-image.tar",
    "dive/test-oci-estargz-image.tar",
    "ggcr/hello-world-v25.tar",
    "ggcr/test_bundle.tar",
    "ggcr/test_image_1.tar",
    "ggcr/test_image_2.tar",
    "ggcr/test_link.tar",
    "ggcr/whiteout_image.tar",
    "ggcr/whiteout_dir.tar",
    "ggcr/overwritten_file.tar",
    "ggcr/source_image_with_empty_layer_history.tar",
    "ggcr/no_manifest.tar",
    "ggcr/null_manifest.tar",
];

/// A file of `../shared/fixtures/real`.
pub fn real_fixture(p: &str) -> PathBuf {
    shared().join("fixtures/real").join(p)
}

/// Everything one read of an archive produced, as text to compare: each
/// member's digest, size and content (file lists, diff ids, layer errors),
/// then each image's id or error — or the error that ended the read.
pub fn describe(read: Result<layerkit::image::Archive, layerkit::image::ImageError>) -> String {
    let a = match read {
        Ok(a) => a,
        Err(e) => return format!("finish error: {e}"),
    };
    let images = match a.images() {
        Ok(s) => s
            .iter()
            .map(|s| {
                let sel = layerkit::image::Selector {
                    index: Some(s.index),
                    ..Default::default()
                };
                match a.image(&sel, None) {
                    Ok(i) => i.id.to_string(),
                    Err(e) => e.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        Err(e) => e.to_string(),
    };
    format!("{:?}\n{images}", a.blobs)
}

/// Captured files: (path, data), shared with the reader's worker thread.
pub type Captured = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

/// Keeps the data of files whose name ends in `want`; fails on the data
/// of the file after the first `fail_after` ones, if set.
pub struct Keep {
    pub want: &'static str,
    pub fail_after: Option<usize>,
    pub got: Captured,
}

impl layerkit::image::Capture for Keep {
    fn wants(&mut self, _blob: &str, entry: &layerkit::image::Entry) -> bool {
        let yes = entry.path.ends_with(self.want);
        if yes {
            self.got
                .lock()
                .unwrap()
                .push((entry.path.clone(), Vec::new()));
        }
        yes
    }
    fn data(&mut self, data: &[u8]) -> Result<(), String> {
        let mut got = self.got.lock().unwrap();
        if self.fail_after.is_some_and(|n| got.len() > n) {
            return Err("disk full".into());
        }
        if let Some((_, d)) = got.last_mut() {
            d.extend_from_slice(data);
        }
        Ok(())
    }
    fn end(&mut self) -> Result<(), String> {
        Ok(())
    }
}

/// A docker-archive whose gzip'd layer inflates to 64 MiB of zeros, and
/// limits under which it is a decompression bomb (a 4 MiB floor).
pub fn bomb() -> (Vec<u8>, layerkit::image::ReadLimits) {
    let zeros = tar(&[("zero", &vec![0u8; 64 << 20])]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &zeros).unwrap();
    let archive = docker_archive(
        &gz.finish().unwrap(),
        &layerkit::oci::Digest::sha256(&zeros),
    );
    let limits = layerkit::image::ReadLimits {
        bomb_floor: 4 << 20,
        ..Default::default()
    };
    (archive, limits)
}
