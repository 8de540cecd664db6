//! Reading input files (or standard input for `-`).

use std::io::Read;
use std::path::Path;

use auravest_core::{PriceFrame, Symbol};

use crate::error::CliError;

/// Reads a whole file, or standard input when `path` is `-`.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    let res = if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut buf).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut buf).map(|_| ()))
    };
    res.map_err(|e| CliError::invalid(format!("{}: cannot read: {e}", path.display())))?;
    Ok(buf)
}

/// Reads a prices CSV.
pub(crate) fn prices(path: &Path) -> Result<PriceFrame, CliError> {
    PriceFrame::from_csv(read(path)?.as_slice())
        .map_err(|e| CliError::from_core(&path.display().to_string(), e))
}

/// Picks one column: the named one, or the only one.
pub(crate) fn pick_column(
    frame: &PriceFrame,
    name: Option<&str>,
    path: &Path,
    flag: &str,
) -> Result<String, CliError> {
    match name {
        Some(n) => frame
            .column_index(n)
            .map(|i| frame.columns()[i].to_string())
            .ok_or_else(|| {
                CliError::invalid(format!(
                    "{}: {flag}: no column {n:?}; columns are {}",
                    path.display(),
                    join(frame.columns())
                ))
            }),
        None if frame.columns().len() == 1 => Ok(frame.columns()[0].to_string()),
        None => Err(CliError::invalid(format!(
            "{}: {flag}: required because the file has {} price columns ({})",
            path.display(),
            frame.columns().len(),
            join(frame.columns())
        ))),
    }
}

fn join(cols: &[Symbol]) -> String {
    cols.iter()
        .map(Symbol::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
