//! Helpers shared by the CLI's end-to-end test binaries.
#![allow(dead_code, unreachable_pub)] // each test binary uses its own subset

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// A file of the sample data the project ships (`examples/data/NAME`).
pub fn data(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "examples", "data", name]
        .iter()
        .collect();
    p.to_string_lossy().into_owned()
}

/// A file of the team's shared folder beside the repository; the test fails
/// when it is missing.
pub fn shared(path: &str) -> String {
    let p = format!("{}/../../shared/{path}", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&p).exists(),
        "the shared data is required at {p}"
    );
    p
}

/// Runs `auravest` with `args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auravest"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// Runs `auravest` with `args`, feeding `stdin`.
pub fn run_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auravest"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("binary finishes")
}

/// Asserts success and parses stdout as JSON.
pub fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// The captured stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A temporary file with `contents`, named with `suffix`.
pub fn temp(contents: &str, suffix: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(suffix)
        .tempfile()
        .expect("temp file");
    f.write_all(contents.as_bytes()).expect("write temp file");
    f
}
