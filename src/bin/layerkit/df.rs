//! `layerkit system df [-v]`: disk usage of the store, as `docker system df`.

use std::collections::BTreeMap;

use clap::Args as ClapArgs;
use serde::Serialize;

use crate::images::{human_duration, human_size, now, Table};
use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
Images: TOTAL images, ACTIVE ones with a name, SIZE of all their blobs
(each shared blob counted once), RECLAIMABLE what `image prune` frees
(dangling images and blobs no image needs). -v lists each image with the
bytes it shares with others and the bytes only it uses.")]
pub struct Args {
    /// Show detailed information on space usage.
    #[arg(short, long)]
    pub verbose: bool,
    /// Output format: table or json.
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonRow {
    active: String,
    reclaimable: String,
    size: String,
    total_count: String,
    #[serde(rename = "Type")]
    kind: String,
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let store = ctx.store()?;
    let _lock = store.lock_shared()?;
    let images = store.images()?;
    // How many images use each blob.
    let mut users: BTreeMap<layerkit::oci::Digest, (u64, usize, bool)> = BTreeMap::new();
    for img in &images {
        for (d, size) in img.blobs() {
            let e = users.entry(d).or_insert((size, 0, false));
            e.1 += 1;
            if !img.tags.is_empty() {
                e.2 = true;
            }
        }
    }
    let total: u64 = users.values().map(|u| u.0).sum();
    let mut on_disk = 0u64;
    if let Ok(entries) = std::fs::read_dir(store.root.join("blobs/sha256")) {
        for e in entries.flatten() {
            on_disk += e.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    let unreferenced = on_disk.saturating_sub(total);
    let dangling: u64 = users.values().filter(|u| !u.2).map(|u| u.0).sum();
    let reclaimable = dangling + unreferenced;
    let size = total + unreferenced;
    let active = images.iter().filter(|i| !i.tags.is_empty()).count();
    let pct = (reclaimable * 100).checked_div(size).unwrap_or(0);
    if args.format.as_deref() == Some("json") {
        let row = JsonRow {
            active: active.to_string(),
            reclaimable: format!("{} ({pct}%)", human_size(reclaimable)),
            size: human_size(size),
            total_count: images.len().to_string(),
            kind: "Images".into(),
        };
        println!("{}", serde_json::to_string(&row)?);
        return Ok(Outcome::Ok);
    }
    let out = std::io::stdout();
    let mut out = out.lock();
    if !args.verbose {
        let mut t = Table::new(
            ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
                .map(String::from)
                .to_vec(),
        );
        t.row(vec![
            "Images".into(),
            images.len().to_string(),
            active.to_string(),
            human_size(size),
            format!("{} ({pct}%)", human_size(reclaimable)),
        ]);
        t.print(&mut out)?;
        return Ok(Outcome::Ok);
    }
    use std::io::Write;
    writeln!(out, "Images space usage:\n")?;
    let mut t = Table::new(
        [
            "REPOSITORY",
            "TAG",
            "IMAGE ID",
            "CREATED",
            "SIZE",
            "SHARED SIZE",
            "UNIQUE SIZE",
            "CONTAINERS",
        ]
        .map(String::from)
        .to_vec(),
    );
    let now = now();
    for img in &images {
        let (mut shared, mut unique) = (0u64, 0u64);
        for (d, s) in img.blobs() {
            if users.get(&d).is_some_and(|u| u.1 > 1) {
                shared += s;
            } else {
                unique += s;
            }
        }
        let created = img
            .created()
            .map(|c| format!("{} ago", human_duration(now - c)))
            .unwrap_or_else(|| "N/A".into());
        let names: Vec<(String, String)> = if img.tags.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            img.tags
                .iter()
                .map(|t| (t.familiar_name(), t.tag.clone().unwrap_or_default()))
                .collect()
        };
        for (repo, tag) in names {
            t.row(vec![
                repo,
                tag,
                img.id().short().to_string(),
                created.clone(),
                human_size(img.size()),
                human_size(shared),
                human_size(unique),
                "0".into(),
            ]);
        }
    }
    t.print(&mut out)?;
    if unreferenced > 0 {
        writeln!(
            out,
            "\nBlobs no image uses: {} (removed by `layerkit image prune`)",
            human_size(unreferenced)
        )?;
    }
    Ok(Outcome::Ok)
}
