//! Rows as they arrive from a server: held whole up to `KEPT_ROWS` rows or `KEPT_BYTES` of
//! values; past that, counted and digested as they stream and spilled to disk by digest
//! (`LargeResult`), so that a result of any size takes bounded memory and two of them can still
//! be compared, and their differing rows found, one bounded piece at a time.

use std::io::{BufReader, BufWriter, Read, Write};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::model::outcome::{LargeResult, Spilled, KEPT_BYTES, KEPT_ROWS, SAMPLE_ROWS};

type Row = Vec<Option<String>>;

/// How many files a spill is cut into (by digest): a piece read back is about 1/64 of the result.
const PIECES: usize = 64;

/// One statement's rows, as they arrive.
#[derive(Default)]
pub struct RowSink {
    rows: Vec<Row>,
    bytes: usize,
    large: Option<Box<Large>>,
    /// Columns of type `oid`: their user-object values are masked before digesting, as
    /// `Outcome::mask_volatile` masks the rows it holds.
    oid_columns: Vec<bool>,
}

/// PostgreSQL's `oid` type and its first user-object OID (FirstNormalObjectId).
const OID_TYPE: u32 = 26;
const FIRST_NORMAL_OID: u64 = 16384;

struct Large {
    count: u64,
    ordered: Sha256,
    sum: u128,
    spill: Option<SpillWriter>,
}

impl RowSink {
    /// The result's column types (from RowDescription), before its rows.
    pub fn columns(&mut self, type_oids: &[u32]) {
        self.oid_columns = type_oids.iter().map(|t| *t == OID_TYPE).collect();
    }

    pub fn push(&mut self, row: Row) {
        if let Some(large) = &mut self.large {
            large.add(&masked(row, &self.oid_columns));
            return;
        }
        self.bytes += row.iter().map(|c| c.as_ref().map_or(1, |v| v.len() + 1)).sum::<usize>();
        self.rows.push(row);
        if self.rows.len() > KEPT_ROWS || self.bytes > KEPT_BYTES {
            let mut large = Large { count: 0, ordered: Sha256::new(), sum: 0, spill: SpillWriter::create().ok() };
            for r in &self.rows {
                large.add(&masked(r.clone(), &self.oid_columns));
            }
            self.rows.truncate(SAMPLE_ROWS);
            self.rows.shrink_to_fit();
            self.large = Some(Box::new(large));
        }
    }

    /// The rows (all of them, or a large result's sample) and the summary; the sink is empty
    /// again.
    pub fn finish(&mut self) -> (Vec<Row>, Option<LargeResult>) {
        let sink = std::mem::take(self);
        let large = sink.large.map(|l| {
            let spill = l.spill.and_then(|w| w.finish().ok()).map(|s| Arc::new(s) as Arc<dyn Spilled>);
            LargeResult {
                rows: l.count,
                ordered: hex(&l.ordered.finalize()),
                multiset: format!("{:032x}", l.sum),
                only_here: Vec::new(),
                spill,
            }
        });
        (sink.rows, large)
    }

    /// Forget what arrived (the statement was cancelled: its rows are not its outcome).
    pub fn discard(&mut self) {
        *self = RowSink::default();
    }
}

impl Large {
    fn add(&mut self, row: &Row) {
        let encoded = encode(row);
        let digest: [u8; 32] = Sha256::digest(&encoded).into();
        self.count += 1;
        self.ordered.update(digest);
        self.sum = self.sum.wrapping_add(u128::from_be_bytes(digest[..16].try_into().expect("16 bytes")));
        if let Some(spill) = &mut self.spill {
            if spill.write(digest[16] as usize % PIECES, &encoded).is_err() {
                // A full disk: the digests still compare; the differing rows will not be shown.
                self.spill = None;
            }
        }
    }
}

fn masked(mut row: Row, oid_columns: &[bool]) -> Row {
    for (cell, _) in row.iter_mut().zip(oid_columns).filter(|(_, oid)| **oid) {
        if cell.as_deref().and_then(|v| v.parse::<u64>().ok()).is_some_and(|n| n >= FIRST_NORMAL_OID) {
            *cell = Some("(object oid)".to_string());
        }
    }
    row
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A row as bytes: its number of values, then each value (0xFF for NULL, else 0 and its length).
fn encode(row: &Row) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + row.iter().map(|c| c.as_ref().map_or(1, |v| v.len() + 5)).sum::<usize>());
    out.extend_from_slice(&(row.len() as u32).to_be_bytes());
    for cell in row {
        match cell {
            None => out.push(0xFF),
            Some(v) => {
                out.push(0);
                out.extend_from_slice(&(v.len() as u32).to_be_bytes());
                out.extend_from_slice(v.as_bytes());
            }
        }
    }
    out
}

fn decode(mut bytes: &[u8]) -> Option<(Row, &[u8])> {
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, rest) = (bytes.get(..n)?, bytes.get(n..)?);
        bytes = rest;
        Some(head)
    };
    let cells = u32::from_be_bytes(take(4)?.try_into().ok()?);
    let mut row = Vec::with_capacity(cells.min(1 << 16) as usize);
    for _ in 0..cells {
        if take(1)?[0] == 0xFF {
            row.push(None);
        } else {
            let len = u32::from_be_bytes(take(4)?.try_into().ok()?) as usize;
            row.push(Some(String::from_utf8_lossy(take(len)?).into_owned()));
        }
    }
    Some((row, bytes))
}

/// The spill being written: one file per piece in a temporary folder (on disk, not in memory).
struct SpillWriter {
    dir: tempfile::TempDir,
    files: Vec<BufWriter<std::fs::File>>,
}

impl SpillWriter {
    fn create() -> std::io::Result<SpillWriter> {
        let dir = tempfile::Builder::new().prefix("pgparity-rows-").tempdir_in(std::env::temp_dir())?;
        let files = (0..PIECES)
            .map(|i| {
                std::fs::File::create(dir.path().join(i.to_string())).map(|f| BufWriter::with_capacity(1 << 16, f))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(SpillWriter { dir, files })
    }

    fn write(&mut self, piece: usize, encoded: &[u8]) -> std::io::Result<()> {
        self.files[piece].write_all(encoded)
    }

    fn finish(self) -> std::io::Result<SpillFiles> {
        for mut f in self.files {
            f.flush()?;
        }
        Ok(SpillFiles { dir: self.dir })
    }
}

/// A finished spill; its folder goes when the last copy of the result does.
#[derive(Debug)]
struct SpillFiles {
    dir: tempfile::TempDir,
}

impl Spilled for SpillFiles {
    fn pieces(&self) -> usize {
        PIECES
    }

    fn piece(&self, i: usize) -> std::io::Result<Vec<Row>> {
        let mut bytes = Vec::new();
        BufReader::new(std::fs::File::open(self.dir.path().join(i.to_string()))?).read_to_end(&mut bytes)?;
        let mut rows = Vec::new();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let (row, after) =
                decode(rest).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "a spilled row"))?;
            rows.push(row);
            rest = after;
        }
        Ok(rows)
    }
}

/// Two large results whose digests differ: the rows each has that the other has not (their
/// first `SAMPLE_ROWS` on each side), read back piece by piece (one piece of each in memory).
pub fn differing_rows(a: &dyn Spilled, b: &dyn Spilled) -> std::io::Result<(Vec<Row>, Vec<Row>)> {
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    for i in 0..a.pieces().min(b.pieces()) {
        let mut counts: std::collections::HashMap<Row, i64> = std::collections::HashMap::new();
        for row in a.piece(i)? {
            *counts.entry(row).or_default() += 1;
        }
        for row in b.piece(i)? {
            *counts.entry(row).or_default() -= 1;
        }
        let mut left: Vec<(Row, i64)> = counts.into_iter().filter(|(_, n)| *n != 0).collect();
        left.sort();
        for (row, n) in left {
            let (side, n) = if n > 0 { (&mut only_a, n) } else { (&mut only_b, -n) };
            for _ in 0..n {
                if side.len() < SAMPLE_ROWS {
                    side.push(row.clone());
                }
            }
        }
        if only_a.len() >= SAMPLE_ROWS && only_b.len() >= SAMPLE_ROWS {
            break;
        }
    }
    Ok((only_a, only_b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rows: impl Iterator<Item = Row>) -> (Vec<Row>, Option<LargeResult>) {
        let mut sink = RowSink::default();
        for r in rows {
            sink.push(r);
        }
        sink.finish()
    }

    fn row(i: u64) -> Row {
        vec![Some(i.to_string()), if i.is_multiple_of(7) { None } else { Some(format!("v{i}")) }]
    }

    #[test]
    fn small_results_are_held_whole() {
        let (rows, large) = result((0..KEPT_ROWS as u64).map(row));
        assert_eq!((rows.len(), large.is_none()), (KEPT_ROWS, true));
    }

    #[test]
    fn large_results_are_summarised_and_compare_by_digest() {
        let n = KEPT_ROWS as u64 * 3;
        let (rows, a) = result((0..n).map(row));
        let a = a.expect("large");
        assert_eq!((rows.len(), a.rows), (SAMPLE_ROWS, n));
        assert_eq!(rows[1], row(1));
        // The same rows in another order: the same multiset, another order.
        let (_, b) = result((0..n).rev().map(row));
        let b = b.expect("large");
        assert_eq!(a.multiset, b.multiset);
        assert_ne!(a.ordered, b.ordered);
        // NULL is not the empty string, and one changed value changes both digests.
        let (_, c) =
            result((0..n).map(|i| if i == 20_000 { vec![Some("20000".into()), Some(String::new())] } else { row(i) }));
        let c = c.expect("large");
        assert_ne!(a.multiset, c.multiset);
        let (only_a, only_c) = differing_rows(a.spill.as_deref().unwrap(), c.spill.as_deref().unwrap()).unwrap();
        assert_eq!(only_a, vec![row(20_000)]);
        assert_eq!(only_c, vec![vec![Some("20000".to_string()), Some(String::new())]]);
        let (none_a, none_b) = differing_rows(a.spill.as_deref().unwrap(), b.spill.as_deref().unwrap()).unwrap();
        assert!(none_a.is_empty() && none_b.is_empty());
    }

    #[test]
    fn user_object_oids_are_masked_before_digesting() {
        let digest = |first: u64| {
            let mut sink = RowSink::default();
            sink.columns(&[OID_TYPE, 25]);
            for i in 0..=KEPT_ROWS as u64 {
                sink.push(vec![Some((first + i).to_string()), Some("t".into())]);
            }
            sink.finish().1.expect("large").multiset
        };
        assert_eq!(digest(20_000), digest(90_000), "user OIDs differ from server to server");
        assert_ne!(digest(1_000), digest(2_000), "system OIDs are compared");
    }

    #[test]
    fn a_null_and_an_empty_string_and_a_shifted_boundary_differ() {
        let enc = |r: Row| encode(&r);
        assert_ne!(enc(vec![None]), enc(vec![Some(String::new())]));
        assert_ne!(enc(vec![Some("ab".into()), Some("c".into())]), enc(vec![Some("a".into()), Some("bc".into())]));
        let row = vec![Some("é\u{0}x".to_string()), None, Some(String::new())];
        assert_eq!(decode(&encode(&row)).map(|(r, rest)| (r, rest.len())), Some((row, 0)));
    }
}
