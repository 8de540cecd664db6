//! Reading and writing the transactions CSV and JSON formats.
//!
//! Readers take any [`std::io::Read`] and return `(line, row)` pairs for
//! [`Portfolio::import`](crate::Portfolio::import), so every bad row is reported
//! with its line and nothing is imported unless the caller asks for it.

use std::io::{Read, Write};

use crate::{Error, Result, Transaction, TransactionRecord};

/// Columns of the transactions CSV, in the order writers use.
pub const TRANSACTION_COLUMNS: [&str; 7] = [
    "date", "type", "symbol", "quantity", "price", "fee", "currency",
];

/// A parsed row: its line, and the transaction or the problems found in it.
pub type ParsedRow = (usize, std::result::Result<Transaction, Vec<Error>>);

fn csv_error(e: &csv::Error) -> Error {
    Error::Format {
        format: "csv",
        reason: e.to_string(),
    }
}

/// Reads a transactions CSV (`date,type,symbol,quantity,price,fee,currency`;
/// columns in any order, `fee` optional, other columns ignored).
///
/// # Errors
/// [`Error::Format`] when the header lacks a required column or the file is
/// not readable CSV. Bad rows are not errors here: they come back as `Err`
/// rows with their line numbers.
pub fn read_transactions_csv<R: Read>(reader: R) -> Result<Vec<ParsedRow>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = rdr.headers().map_err(|e| csv_error(&e))?.clone();
    let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut idx = [None; 7];
    let mut missing = Vec::new();
    for (i, col) in TRANSACTION_COLUMNS.iter().enumerate() {
        idx[i] = find(col);
        if idx[i].is_none() && *col != "fee" {
            missing.push(*col);
        }
    }
    if !missing.is_empty() {
        return Err(Error::Format {
            format: "csv",
            reason: format!(
                "line 1: header is missing column(s) {}; expected {}",
                missing.join(", "),
                TRANSACTION_COLUMNS.join(",")
            ),
        });
    }
    let mut rows = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| csv_error(&e))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != headers.len() {
            rows.push((
                line,
                Err(vec![Error::field_error(
                    "row",
                    format!("expected {} fields, got {}", headers.len(), record.len()),
                )]),
            ));
            continue;
        }
        let get = |i: usize| idx[i].and_then(|j| record.get(j)).unwrap_or("").to_owned();
        let opt = |i: usize| Some(get(i)).filter(|s| !s.is_empty());
        let rec = TransactionRecord {
            date: get(0),
            kind: get(1),
            symbol: opt(2),
            quantity: opt(3),
            price: opt(4),
            fee: opt(5),
            currency: get(6),
        };
        rows.push((line, rec.validate()));
    }
    Ok(rows)
}

/// Reads the JSON form: an array of objects with the CSV's keys. The "line" of
/// each row is its 1-based position in the array.
///
/// # Errors
/// [`Error::Format`] when the text is not a JSON array of objects.
pub fn read_transactions_json<R: Read>(reader: R) -> Result<Vec<ParsedRow>> {
    let values: Vec<serde_json::Value> =
        serde_json::from_reader(reader).map_err(|e| Error::Format {
            format: "json",
            reason: format!("expected an array of transaction objects: {e}"),
        })?;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let row = serde_json::from_value::<TransactionRecord>(v)
                .map_err(|e| vec![Error::field_error("row", e.to_string())])
                .and_then(|r| r.validate());
            (i + 1, row)
        })
        .collect())
}

/// Writes transactions as CSV with the standard header.
///
/// # Errors
/// [`Error::Format`] when the writer fails.
pub fn write_transactions_csv<W: Write>(writer: W, txs: &[Transaction]) -> Result<()> {
    let records: Vec<TransactionRecord> = txs.iter().map(Transaction::to_record).collect();
    write_records_csv(writer, &records)
}

/// Writes transaction records as they are (valid or not: an export of
/// stored rows that no longer validate) as CSV with the standard header. A
/// cell that a spreadsheet would read as a formula (starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) is written with a leading `'`; a
/// valid record never has one.
///
/// # Errors
/// [`Error::Format`] when the writer fails.
pub fn write_records_csv<W: Write>(writer: W, records: &[TransactionRecord]) -> Result<()> {
    fn cell(text: &str) -> String {
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_owned()
        }
    }
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(TRANSACTION_COLUMNS)
        .map_err(|e| csv_error(&e))?;
    for r in records {
        w.write_record([
            cell(&r.date),
            cell(&r.kind),
            cell(r.symbol.as_deref().unwrap_or("")),
            cell(r.quantity.as_deref().unwrap_or("")),
            cell(r.price.as_deref().unwrap_or("")),
            cell(r.fee.as_deref().unwrap_or("0")),
            cell(&r.currency),
        ])
        .map_err(|e| csv_error(&e))?;
    }
    w.flush().map_err(|e| Error::Format {
        format: "csv",
        reason: e.to_string(),
    })
}

/// Writes transactions as a JSON array.
///
/// # Errors
/// [`Error::Format`] when the writer fails.
pub fn write_transactions_json<W: Write>(writer: W, txs: &[Transaction]) -> Result<()> {
    serde_json::to_writer_pretty(writer, txs).map_err(|e| Error::Format {
        format: "json",
        reason: e.to_string(),
    })
}
