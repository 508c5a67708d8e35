//! With the `isal` feature, natively: compiles the small C shim over Intel
//! ISA-L's inflate (src/image/isal.c) and links the system's libisal
//! (Debian: libisal-dev). Sets `cfg(layerkit_isal)` when it did, so the
//! Rust side follows exactly what was built. Without ISA-L's headers it
//! warns and builds with zlib-rs. Nothing happens without the feature: the
//! library and the wasm build need no C library.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(layerkit_isal)");
    println!("cargo::rerun-if-changed=build.rs");
    let isal = std::env::var_os("CARGO_FEATURE_ISAL").is_some();
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    if !isal || wasm {
        return;
    }
    #[cfg(feature = "isal")]
    {
        println!("cargo::rerun-if-changed=src/image/isal.c");
        let built = cc::Build::new()
            .file("src/image/isal.c")
            .warnings(true)
            .extra_warnings(true)
            .try_compile("layerkit_isal");
        match built {
            Ok(()) => {
                println!("cargo::rustc-link-lib=isal");
                println!("cargo::rustc-cfg=layerkit_isal");
            }
            // Without ISA-L's headers the build goes on with zlib-rs
            // (same results, ~1.4x slower inflating), and says so.
            Err(e) => println!(
                "cargo::warning=ISA-L not found ({e}); gzip layers inflate with zlib-rs. \
                 Install it (Debian: apt-get install libisal-dev) for faster inflating."
            ),
        }
    }
}
