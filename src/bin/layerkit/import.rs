//! `layerkit import FILE|- [REPOSITORY[:TAG]]`: a rootfs tarball becomes a
//! one-layer image in the store.

use std::fs::File;
use std::io::{self, Read, Write};

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use layerkit::image::compose::{append_layer, assemble, empty_config, format_rfc3339, Flavour};
use layerkit::image::layer_builder::{TarScanner, TarSink};
use layerkit::image::{apply_changes, TarEntry};
use layerkit::oci::{Descriptor, History, Platform};

use crate::compress::{LayerDigests, LayerWriter, Method};
use crate::export::decompress;
use crate::store::{host_platform, parse_tag, Store};
use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
The tarball (plain, gzip or zstd) becomes the image's only layer as it is:
its bytes are not re-ordered. The layer is compressed on every core
(--compression gzip, the default, as pigz does; zstd is several times
faster). The image is created at the newest modification time inside the
tarball (or $SOURCE_DATE_EPOCH), so importing the same tarball twice gives
the same image id.

Examples:
  layerkit import rootfs.tar busybox:local
  tar -C rootfs -c . | layerkit import - me/app:1 -c 'CMD [\"/bin/sh\"]'
  layerkit import --compression zstd -m 'nightly' rootfs.tar.gz app:nightly")]
pub struct Args {
    /// The rootfs tarball, `-` for standard input, or a directory (made
    /// into a layer with sorted entries).
    pub file: String,
    /// Name the image: [REGISTRY/]REPOSITORY[:TAG].
    pub reference: Option<String>,
    /// Apply a Dockerfile instruction to the config (CMD, ENTRYPOINT, ENV,
    /// EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, HEALTHCHECK,
    /// ONBUILD); repeatable.
    #[arg(short, long = "change", value_name = "CHANGE")]
    pub change: Vec<String>,
    /// Set the commit message (the history comment).
    #[arg(short, long)]
    pub message: Option<String>,
    /// The platform the image is for (default: this machine's).
    #[arg(long)]
    pub platform: Option<String>,
    /// Layer compression.
    #[arg(long, value_enum, default_value_t = Method::Gzip)]
    pub compression: Method,
    /// Compression level (gzip 1-9, default 6; zstd 1-19, default 3).
    #[arg(long)]
    pub level: Option<u32>,
    /// Manifest media types: oci or docker (schema 2).
    #[arg(long, value_enum, default_value_t = FlavourArg::Oci)]
    pub manifest_format: FlavourArg,
    /// No progress on standard error.
    #[arg(short, long)]
    pub quiet: bool,
    /// For a directory: clamp modification times to this many seconds
    /// since the epoch (default $SOURCE_DATE_EPOCH), for reproducible layers.
    #[arg(long, value_name = "SECONDS")]
    pub timestamp: Option<i64>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FlavourArg {
    Oci,
    Docker,
}

impl FlavourArg {
    pub fn flavour(self) -> Flavour {
        match self {
            FlavourArg::Oci => Flavour::Oci,
            FlavourArg::Docker => Flavour::Docker,
        }
    }
}

/// Metadata gathered while a layer streams through.
#[derive(Default)]
pub struct LayerStats {
    pub entries: u64,
    pub newest: Option<i64>,
}

impl TarSink for LayerStats {
    fn entry(&mut self, e: &TarEntry) -> bool {
        self.entries += 1;
        self.newest = Some(self.newest.map_or(e.mtime, |n| n.max(e.mtime)));
        false
    }
}

/// Streams an uncompressed tar from `input` into a new layer blob: checked
/// as a tar, hashed, compressed on all cores.
pub fn ingest_tar(
    store: &Store,
    input: &mut dyn Read,
    method: Method,
    level: Option<u32>,
    what: &str,
    progress: &mut crate::store::Progress,
) -> anyhow::Result<(LayerDigests, LayerStats)> {
    let (pending, file) = crate::store::Pending::create(store)?;
    let ingest = std::io::BufWriter::with_capacity(1 << 20, crate::store::WriteBehind::new(file));
    let mut layer = LayerWriter::new(ingest, method, level)?;
    let mut scanner = TarScanner::new();
    let mut stats = LayerStats::default();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {what}")),
        };
        scanner
            .push(&buf[..n], &mut stats)
            .with_context(|| format!("{what} is not a valid tar archive"))?;
        layer.write_all(&buf[..n]).context("writing the layer")?;
        progress.add(n as u64);
    }
    scanner
        .finish()
        .with_context(|| format!("{what} is not a valid tar archive"))?;
    if stats.entries == 0 && !scanner.ended() {
        bail!("{what} is empty: expected a tar archive of a root filesystem");
    }
    let (ingest, digests) = layer.finish().context("finishing the layer")?;
    ingest
        .into_inner()
        .map_err(|e| e.into_error())
        .context("writing the layer")?;
    pending.commit(store, &digests.digest)?;
    Ok((digests, stats))
}

/// `$SOURCE_DATE_EPOCH`, when set.
pub fn source_date_epoch() -> anyhow::Result<Option<i64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.is_empty() => {
            Ok(Some(v.trim().parse().with_context(|| {
                format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds")
            })?))
        }
        _ => Ok(None),
    }
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    if args.file.contains("://") {
        bail!("importing from a URL is not supported: download it first, then import the file");
    }
    let tag = args.reference.as_deref().map(parse_tag).transpose()?;
    let platform: Platform = match &args.platform {
        Some(p) => p.parse()?,
        None => host_platform(),
    };
    // Check the changes before reading anything.
    let mut config = empty_config(&platform);
    apply_changes(&mut config, &args.change)?;

    let store = ctx.store()?;
    let _lock = store.lock_shared()?;
    let what = crate::input::display_name(&args.file).to_string();
    let timestamp = match args.timestamp {
        Some(t) => Some(t),
        None => source_date_epoch()?,
    };
    if std::path::Path::new(&args.file).is_dir() {
        // A directory: its tree as one deterministic layer, streamed
        // through the same checks and compression as a tarball.
        let (reader, writer) = pipe().context("creating a pipe")?;
        let dir = std::path::PathBuf::from(&args.file);
        let producer = std::thread::spawn(move || -> anyhow::Result<()> {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, writer);
            crate::commit::write_dir_layer(&dir, &Default::default(), &mut w, timestamp)?;
            w.flush()?;
            Ok(())
        });
        let mut progress = crate::store::Progress::new("importing", None, args.quiet);
        let mut input = reader;
        let ingested = ingest_tar(
            &store,
            &mut input,
            args.compression,
            args.level,
            &what,
            &mut progress,
        );
        drop(input);
        let produced = producer
            .join()
            .map_err(|_| anyhow::anyhow!("the directory walker crashed"))?;
        // The walker's own error says more than the truncated tar it left,
        // unless it only stopped because the reading side gave up first.
        let broken_pipe = |e: &anyhow::Error| {
            e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            })
        };
        let (layer, stats) = match (ingested, produced) {
            (Ok(x), Ok(())) => x,
            (Err(e), Err(p)) if broken_pipe(&p) => return Err(e),
            (_, Err(p)) => return Err(p.context(format!("reading {what}"))),
            (Err(e), Ok(())) => return Err(e),
        };
        progress.finish();
        return finish_import(&args, &store, config, tag, layer, stats, timestamp);
    }
    let (raw, total): (Box<dyn Read>, Option<u64>) = if args.file == "-" {
        (Box::new(io::stdin().lock()), None)
    } else {
        let f = File::open(&args.file).with_context(|| format!("opening {}", args.file))?;
        let total = f.metadata().ok().map(|m| m.len());
        (Box::new(f), total)
    };
    // The total is the file's size; a compressed file expands past it.
    let compressed = total.is_some() && args.file.ends_with("gz") || args.file.ends_with("zst");
    let mut progress =
        crate::store::Progress::new("importing", total.filter(|_| !compressed), args.quiet);
    let mut input = decompress(raw).with_context(|| format!("reading {what}"))?;
    let (layer, stats) = ingest_tar(
        &store,
        &mut input,
        args.compression,
        args.level,
        &what,
        &mut progress,
    )?;
    progress.finish();
    finish_import(&args, &store, config, tag, layer, stats, timestamp)
}

/// An OS pipe: (read end, write end).
fn pipe() -> io::Result<(File, File)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills two new descriptors that nothing else owns.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: each descriptor is owned by exactly one File from here on.
    Ok(unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) })
}

/// The config and manifest for an imported layer; names the image.
fn finish_import(
    args: &Args,
    store: &Store,
    mut config: layerkit::oci::ImageConfig,
    tag: Option<layerkit::oci::Reference>,
    layer: LayerDigests,
    stats: LayerStats,
    timestamp: Option<i64>,
) -> anyhow::Result<Outcome> {
    let created = match timestamp {
        Some(t) => t,
        None => stats.newest.unwrap_or(0),
    };
    let created = format_rfc3339(created);
    let comment = args
        .message
        .clone()
        // Docker's words: its client uploads files, so the daemon always
        // imports from "-". Keeping them keeps the id independent of paths.
        .unwrap_or_else(|| "Imported from -".to_string());
    config.created = Some(created.clone());
    append_layer(
        &mut config,
        layer.diff_id.clone(),
        History {
            created: Some(created),
            comment: Some(comment.clone()),
            ..History::default()
        },
    );
    config
        .extra
        .insert("comment".into(), serde_json::Value::String(comment));
    let flavour = args.manifest_format.flavour();
    let media_type = args
        .compression
        .compression()
        .layer_media_type(flavour.is_docker());
    let desc = Descriptor::new(media_type, layer.digest.clone(), layer.size);
    let image = assemble(&config, &[desc], flavour)?;
    store.put_bytes(&image.config)?;
    store.put_bytes(&image.manifest)?;
    store.add_image(&image.manifest_descriptor, tag.as_slice())?;
    let mut out = io::stdout().lock();
    writeln!(out, "{}", image.id())?;
    Ok(Outcome::Ok)
}
