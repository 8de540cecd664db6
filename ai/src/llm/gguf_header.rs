//! Reading a GGUF file's header safely: the structure is walked and bounded
//! before candle's reader builds the metadata and tensor table from it.
//!
//! A model file is an input like any other: a truncated download, the wrong
//! file under the right name or a crafted one. [`read_header`] refuses, with
//! a reason naming the entry, anything that would make the reader allocate
//! beyond the file, divide by a zero alignment, overflow a tensor's element
//! count or recurse without end, so loading a bad file is an error and never
//! a panic or an abort.
//!
//! Limits (per file): [`MAX_ENTRIES`] metadata entries and as many tensors,
//! [`MAX_KEY_BYTES`] per key or tensor name, [`MAX_ARRAY_DEPTH`] levels of
//! nested arrays, at most four dimensions per tensor and [`MAX_TENSOR_ELEMENTS`]
//! elements in one tensor; the alignment (`general.alignment`) is a power of
//! two from 1 to [`MAX_ALIGNMENT`].

use std::io::{Read, Seek, SeekFrom};

use candle_core::quantized::gguf_file::Content;

use crate::error::{Error, Result};

/// Metadata entries, and separately tensors, one file may declare.
pub const MAX_ENTRIES: u64 = 1 << 20;
/// Bytes in one metadata key or tensor name.
pub const MAX_KEY_BYTES: u64 = 64 * 1024;
/// Levels of arrays inside arrays.
pub const MAX_ARRAY_DEPTH: usize = 4;
/// Elements in one tensor (2^40: far above any model this crate runs).
pub const MAX_TENSOR_ELEMENTS: u64 = 1 << 40;
/// The largest accepted `general.alignment`.
pub const MAX_ALIGNMENT: u64 = 1 << 16;

const MAGIC_LE: u32 = 0x4655_4747; // "GGUF" read little-endian
const MAGIC_BE: u32 = 0x4747_5546;

fn bad(reason: impl Into<String>) -> Error {
    Error::Model {
        model: "gguf".to_owned(),
        reason: format!("not a readable GGUF file: {}", reason.into()),
    }
}

fn io(e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        bad("it ends inside its header")
    } else {
        bad(format!("reading the header failed: {e}"))
    }
}

/// Reads the header (metadata and tensor table) of the GGUF file `reader`
/// is positioned at the start of, after checking its structure against the
/// module's limits; leaves the reader anywhere.
///
/// # Errors
/// [`Error::Model`] saying what is wrong and where (entry index and key or
/// tensor name) for anything malformed, truncated or beyond the limits.
pub fn read_header<R: Read + Seek>(reader: &mut R) -> Result<Content> {
    let start = reader.stream_position().map_err(|e| io(&e))?;
    {
        let mut scan = Scan::new(&mut *reader)?;
        scan.header()?;
    }
    reader.seek(SeekFrom::Start(start)).map_err(|e| io(&e))?;
    Content::read(reader).map_err(|e| bad(e.to_string()))
}

/// Walks the header without keeping it: lengths are checked against the
/// bytes left, and skipped by seeking.
struct Scan<'r, R> {
    r: &'r mut R,
    pos: u64,
    len: u64,
    /// 4-byte lengths (version 1) or 8-byte ones.
    wide: bool,
}

impl<'r, R: Read + Seek> Scan<'r, R> {
    fn new(r: &'r mut R) -> Result<Self> {
        let pos = r.stream_position().map_err(|e| io(&e))?;
        let len = r.seek(SeekFrom::End(0)).map_err(|e| io(&e))?;
        r.seek(SeekFrom::Start(pos)).map_err(|e| io(&e))?;
        Ok(Self {
            r,
            pos,
            len,
            wide: true,
        })
    }

    fn left(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).map_err(|e| io(&e))?;
        self.pos += N as u64;
        Ok(b)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes::<4>()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.bytes::<8>()?))
    }

    fn length(&mut self) -> Result<u64> {
        if self.wide {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }

    fn skip(&mut self, n: u64, what: &dyn Fn() -> String) -> Result<()> {
        if n > self.left() {
            return Err(bad(format!(
                "{} needs {n} bytes but only {} are left",
                what(),
                self.left()
            )));
        }
        let to = i64::try_from(n).map_err(|_| bad(format!("{} is too long", what())))?;
        self.r.seek(SeekFrom::Current(to)).map_err(|e| io(&e))?;
        self.pos += n;
        Ok(())
    }

    /// A string of at most `max` bytes, returned when `keep`.
    fn string(&mut self, max: u64, keep: bool, what: &dyn Fn() -> String) -> Result<String> {
        let n = self.length()?;
        if n > max {
            return Err(bad(format!("{} is {n} bytes long, over {max}", what())));
        }
        if !keep {
            self.skip(n, what)?;
            return Ok(String::new());
        }
        if n > self.left() {
            return Err(bad(format!("{} runs past the end of the file", what())));
        }
        let mut v = vec![0u8; usize::try_from(n).map_err(|_| bad("a string is too long"))?];
        self.r.read_exact(&mut v).map_err(|e| io(&e))?;
        self.pos += n;
        Ok(String::from_utf8_lossy(&v).into_owned())
    }

    fn header(&mut self) -> Result<()> {
        let magic = self.u32()?;
        if magic != MAGIC_LE && magic != MAGIC_BE {
            return Err(bad(format!(
                "it starts with 0x{magic:08x}, not the GGUF magic"
            )));
        }
        let version = self.u32()?;
        self.wide = match version {
            1 => false,
            2 | 3 => true,
            v => return Err(bad(format!("version {v} is not 1, 2 or 3"))),
        };
        let tensors = self.length()?;
        let entries = self.length()?;
        if tensors > MAX_ENTRIES || entries > MAX_ENTRIES {
            return Err(bad(format!(
                "it declares {tensors} tensors and {entries} metadata entries, over {MAX_ENTRIES}"
            )));
        }
        for i in 0..entries {
            let key = self.string(MAX_KEY_BYTES, true, &|| format!("metadata key {i}"))?;
            let kind = self.u32()?;
            let what = || format!("metadata entry {i} ({key:?})");
            if key == "general.alignment" {
                self.alignment(kind, &what)?;
            } else {
                self.value(kind, 0, &what)?;
            }
        }
        for i in 0..tensors {
            let name = self.string(MAX_KEY_BYTES, true, &|| format!("tensor name {i}"))?;
            let what = || format!("tensor {i} ({name:?})");
            let dims = self.u32()?;
            if dims > 4 {
                return Err(bad(format!("{} has {dims} dimensions, over 4", what())));
            }
            let mut elements: u64 = 1;
            for _ in 0..dims {
                let d = self.length()?;
                elements = elements
                    .checked_mul(d)
                    .filter(|&n| n <= MAX_TENSOR_ELEMENTS)
                    .ok_or_else(|| {
                        bad(format!(
                            "{} has more than {MAX_TENSOR_ELEMENTS} elements",
                            what()
                        ))
                    })?;
            }
            let _dtype = self.u32()?;
            let _offset = self.u64()?;
        }
        Ok(())
    }

    fn alignment(&mut self, kind: u32, what: &dyn Fn() -> String) -> Result<()> {
        let value = match kind {
            0 | 1 => u64::from(self.bytes::<1>()?[0]),
            2 | 3 => u64::from(u16::from_le_bytes(self.bytes::<2>()?)),
            4 | 5 => u64::from(self.u32()?),
            _ => {
                return Err(bad(format!("{} is not an 8, 16 or 32-bit integer", what())));
            }
        };
        // Signed types with the top bit set fall back to the default in the
        // reader; they are refused here instead of guessed at.
        if !value.is_power_of_two() || value > MAX_ALIGNMENT {
            return Err(bad(format!(
                "{} is {value}, not a power of two up to {MAX_ALIGNMENT}",
                what()
            )));
        }
        Ok(())
    }

    /// Skips one value of type `kind`.
    fn value(&mut self, kind: u32, depth: usize, what: &dyn Fn() -> String) -> Result<()> {
        match kind {
            0 | 1 => self.skip(1, what),
            7 => match self.bytes::<1>()?[0] {
                0 | 1 => Ok(()),
                b => Err(bad(format!("{} is a boolean stored as {b}", what()))),
            },
            2 | 3 => self.skip(2, what),
            4..=6 => self.skip(4, what),
            10..=12 => self.skip(8, what),
            8 => self.string(u64::MAX, false, what).map(drop),
            9 => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(bad(format!(
                        "{} nests arrays deeper than {MAX_ARRAY_DEPTH}",
                        what()
                    )));
                }
                let inner = self.u32()?;
                let n = self.length()?;
                // Every element takes at least a byte, so a count beyond the
                // bytes left is refused before it is walked.
                if n > self.left() {
                    return Err(bad(format!(
                        "{} declares {n} elements with {} bytes left",
                        what(),
                        self.left()
                    )));
                }
                if let Some(size) = fixed_size(inner) {
                    self.skip(n.saturating_mul(size), what)
                } else {
                    for _ in 0..n {
                        self.value(inner, depth + 1, what)?;
                    }
                    Ok(())
                }
            }
            k => Err(bad(format!("{} has unknown value type {k}", what()))),
        }
    }
}

/// Bytes of one element of a fixed-size value type (booleans excepted: each
/// is checked).
fn fixed_size(kind: u32) -> Option<u64> {
    match kind {
        0 | 1 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn header(entries: &[(&str, u32, Vec<u8>)], tensors: &[(&str, &[u64])]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"GGUF");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
        b.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        for (k, t, v) in entries {
            b.extend_from_slice(&(k.len() as u64).to_le_bytes());
            b.extend_from_slice(k.as_bytes());
            b.extend_from_slice(&t.to_le_bytes());
            b.extend_from_slice(v);
        }
        for (name, dims) in tensors {
            b.extend_from_slice(&(name.len() as u64).to_le_bytes());
            b.extend_from_slice(name.as_bytes());
            b.extend_from_slice(&(dims.len() as u32).to_le_bytes());
            for d in *dims {
                b.extend_from_slice(&d.to_le_bytes());
            }
            b.extend_from_slice(&0u32.to_le_bytes()); // F32
            b.extend_from_slice(&0u64.to_le_bytes());
        }
        b
    }

    fn string(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v
    }

    fn read(bytes: Vec<u8>) -> Result<Content> {
        read_header(&mut Cursor::new(bytes))
    }

    fn reason(bytes: Vec<u8>) -> String {
        read(bytes).unwrap_err().to_string()
    }

    #[test]
    fn reads_a_well_formed_header() {
        let c = read(header(
            &[
                ("general.name", 8, string("tiny")),
                ("general.alignment", 4, 64u32.to_le_bytes().to_vec()),
            ],
            &[("w", &[2, 3])],
        ))
        .unwrap();
        assert_eq!(c.tensor_infos["w"].shape.dims(), &[3, 2]);
        assert_eq!(c.tensor_data_offset % 64, 0);
    }

    #[test]
    fn a_zero_alignment_is_refused_before_the_reader_divides_by_it() {
        let r = reason(header(
            &[("general.alignment", 4, 0u32.to_le_bytes().to_vec())],
            &[],
        ));
        assert!(
            r.contains("general.alignment") && r.contains("power of two"),
            "{r}"
        );
    }

    #[test]
    fn lengths_beyond_the_file_are_refused_with_the_entry_named() {
        let mut long = 1u64 << 40;
        let r = reason(header(
            &[("general.name", 8, long.to_le_bytes().to_vec())],
            &[],
        ));
        assert!(r.contains("metadata entry 0 (\"general.name\")"), "{r}");
        long = u64::MAX;
        let mut arr = 8u32.to_le_bytes().to_vec();
        arr.extend_from_slice(&long.to_le_bytes());
        let r = reason(header(&[("tokenizer.ggml.tokens", 9, arr)], &[]));
        assert!(r.contains("declares") && r.contains("elements"), "{r}");
    }

    #[test]
    fn tensor_element_counts_that_overflow_are_refused() {
        let r = reason(header(&[], &[("w", &[u64::MAX, 2])]));
        assert!(
            r.contains("tensor 0 (\"w\")") && r.contains("elements"),
            "{r}"
        );
        let r = reason(header(&[], &[("w", &[1, 1, 1, 1, 1])]));
        assert!(r.contains("5 dimensions"), "{r}");
    }

    #[test]
    fn deep_arrays_truncation_and_bad_magic_are_refused() {
        // An array of arrays of arrays ... deeper than the limit.
        let mut v = Vec::new();
        for _ in 0..=MAX_ARRAY_DEPTH {
            v.extend_from_slice(&9u32.to_le_bytes());
            v.extend_from_slice(&1u64.to_le_bytes());
        }
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&0u64.to_le_bytes());
        let r = reason(header(&[("deep", 9, v)], &[]));
        assert!(r.contains("deeper"), "{r}");

        let mut b = header(&[("general.name", 8, string("tiny"))], &[]);
        b.truncate(b.len() - 2);
        let r = reason(b);
        assert!(
            r.contains("(\"general.name\") needs 4 bytes but only 2 are left"),
            "{r}"
        );
        assert!(reason(b"GGUF\x03\0".to_vec()).contains("ends inside its header"));
        assert!(reason(b"GGML\x03\0\0\0".to_vec()).contains("magic"));
        assert!(reason(Vec::new()).contains("ends inside"));
    }
}
