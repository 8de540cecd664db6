//! The generator must be the UniFFI version the library is built with
//! (generated code and scaffolding only fit each other at one version).
//! This also makes the workspace's test build produce the binary that
//! `bindings/uniffi/scripts/ci.sh` runs.

use std::process::Command;

#[test]
fn the_generator_is_the_librarys_uniffi_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .arg("--version")
        .output()
        .expect("uniffi-bindgen runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let manifest = include_str!("../../Cargo.toml");
    let pinned = manifest
        .lines()
        .find_map(|l| l.strip_prefix("uniffi = { version = \"="))
        .and_then(|rest| rest.split('"').next())
        .expect("the library pins uniffi exactly");
    assert!(
        text.contains(pinned),
        "generator says {text:?}, the library pins {pinned}"
    );
}
