//! Writes the optimisation bench universes (`shared20`, `syn100`, `syn500`)
//! as CSV for the PyPortfolioOpt peer script: `gen_optimize_data DIR`.

use std::path::Path;
use std::process::ExitCode;

use auravest_benches::optimize_fixtures::{shared20, synthetic, write_universe};

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: gen_optimize_data DIR");
        return ExitCode::from(2);
    };
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let mut universes = match shared20(&shared) {
        Ok(u) => vec![u],
        Err(e) => {
            eprintln!("{}: {e}", shared.display());
            return ExitCode::from(1);
        }
    };
    for n in [100, 500] {
        match synthetic(n, 1000) {
            Ok(u) => universes.push(u),
            Err(e) => {
                eprintln!("synthetic {n}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    for u in &universes {
        if let Err(e) = write_universe(Path::new(&dir), u) {
            eprintln!("{dir}: {e}");
            return ExitCode::from(1);
        }
        println!("wrote {dir}/{} ({} assets)", u.name, u.mu.len());
    }
    ExitCode::SUCCESS
}
