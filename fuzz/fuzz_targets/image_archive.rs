//! The archive reader on arbitrary bytes, pushed in uneven chunks: any
//! outcome but a panic (or a hang, or unbounded memory) is fine. When an
//! archive reads, its images are assembled and reported too.
#![no_main]

use layerkit::image::{filetree, history, inspect, Limits, Reader, Selector};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_json: 1 << 20,
        bomb_floor: 16 << 20,
        ..Limits::default()
    };
    let mut r = Reader::new("fuzz", limits);
    // Chunk sizes from the first byte, so short pushes are exercised.
    let step = 1 + data.first().copied().unwrap_or(0) as usize * 7;
    for chunk in data.chunks(step) {
        if r.push(chunk).is_err() {
            return;
        }
    }
    let Ok((archive, _)) = r.finish() else { return };
    let Ok(images) = archive.images() else { return };
    for s in images.iter().take(4) {
        let sel = Selector { index: Some(s.index), ..Selector::default() };
        if let Ok(img) = archive.image(&sel, None) {
            let _ = inspect::inspect(&img);
            let _ = history::history(&img, &[]);
            let _ = filetree::build(&img);
            let _ = filetree::analyze_image(&img);
        }
    }
});
