//! Embeds the migrations: writes `$OUT_DIR/migrations.rs` with one list per
//! backend of `(version, description, SQL)`, the SQL taken by
//! `include_str!` from `migrations/<backend>/<VERSION>_<DESCRIPTION>.sql`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    // Read when the script runs, not baked in when it is compiled: a target
    // folder shared by several checkouts may reuse the compiled script.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("migrations");
    let mut out = String::new();
    for (backend, name) in [("sqlite", "SQLITE"), ("postgres", "POSTGRES")] {
        let dir = root.join(backend);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<(i64, String, String)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let file = path.file_name()?.to_str()?.to_owned();
                let stem = file.strip_suffix(".sql")?;
                let (version, description) = stem.split_once('_')?;
                Some((
                    version.parse().ok()?,
                    description.replace('_', " "),
                    path.display().to_string(),
                ))
            })
            .collect();
        files.sort();
        writeln!(
            out,
            "/// The {backend} migrations: (version, description, SQL)."
        )
        .unwrap();
        writeln!(
            out,
            "pub(crate) const {name}_MIGRATIONS: &[(i64, &str, &str)] = &["
        )
        .unwrap();
        for (version, description, path) in files {
            writeln!(
                out,
                "    ({version}, {description:?}, include_str!({path:?})),"
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("migrations.rs");
    std::fs::write(dest, out).expect("write migrations.rs");
}
