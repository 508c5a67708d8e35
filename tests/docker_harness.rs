//! The private Docker engine used by interop tests starts, loads a real
//! archive and answers inspect.

mod support;

use support::{shared, Docker};

#[test]
fn private_engine_loads_a_real_archive() {
    let docker = Docker::shared();
    let archive = shared().join("fixtures/real/ggcr/test_link.tar");
    let out = docker.ok(&["load", "-i", archive.to_str().unwrap()]);
    assert!(out.contains("bazel/v1/tarball:test_image_1"), "{out}");
    let id = docker.ok(&[
        "image",
        "inspect",
        "-f",
        "{{.Id}}",
        "bazel/v1/tarball:test_image_1",
    ]);
    assert!(id.trim().starts_with("sha256:"), "{id}");
}
