//! Row comparison: exact, as a multiset, and with float tolerance.

use crate::model::Normaliser;

type Row = Vec<Option<String>>;

/// Relative tolerance for `real` / `double precision` values.
pub const FLOAT_TOLERANCE: f64 = 1e-12;

pub fn is_float_type(type_name: &str) -> bool {
    matches!(type_name, "real" | "double precision" | "float4" | "float8")
}

#[derive(Debug, PartialEq, Eq)]
pub enum RowComparison {
    /// Equal, possibly after the named normalisers.
    Equal(Vec<Normaliser>),
    /// Same multiset, different order, where order matters.
    OrderDiffers,
    Differ,
}

pub fn compare_rows(reference: &[Row], candidate: &[Row], ordered: bool, float_cols: &[bool]) -> RowComparison {
    if reference == candidate {
        return RowComparison::Equal(Vec::new());
    }
    if reference.len() != candidate.len() {
        return RowComparison::Differ;
    }
    let has_floats = float_cols.iter().any(|f| *f);
    if ordered {
        if has_floats && rows_close(reference, candidate, float_cols) {
            return RowComparison::Equal(vec![Normaliser::FloatTolerance]);
        }
        return if sorted(reference) == sorted(candidate) {
            RowComparison::OrderDiffers
        } else {
            RowComparison::Differ
        };
    }
    let (r, c) = (sorted(reference), sorted(candidate));
    if r == c {
        return RowComparison::Equal(vec![Normaliser::MultisetOrder]);
    }
    if has_floats && rows_close(&r, &c, float_cols) {
        let mut n = vec![Normaliser::FloatTolerance];
        if !rows_close(reference, candidate, float_cols) {
            n.insert(0, Normaliser::MultisetOrder);
        }
        return RowComparison::Equal(n);
    }
    RowComparison::Differ
}

/// Results too large to hold, by their digests (exact text: no float tolerance). A large result
/// and a small one differ in their number of rows.
pub fn compare_large(
    reference: Option<&crate::model::LargeResult>,
    candidate: Option<&crate::model::LargeResult>,
    ordered: bool,
) -> RowComparison {
    let (Some(r), Some(c)) = (reference, candidate) else { return RowComparison::Differ };
    if r.rows != c.rows || r.multiset != c.multiset {
        RowComparison::Differ
    } else if r.ordered == c.ordered {
        RowComparison::Equal(Vec::new())
    } else if ordered {
        RowComparison::OrderDiffers
    } else {
        RowComparison::Equal(vec![Normaliser::MultisetOrder])
    }
}

fn sorted(rows: &[Row]) -> Vec<Row> {
    let mut v = rows.to_vec();
    v.sort();
    v
}

fn rows_close(a: &[Row], b: &[Row], float_cols: &[bool]) -> bool {
    a.iter().zip(b).all(|(ra, rb)| {
        ra.len() == rb.len()
            && ra.iter().zip(rb).enumerate().all(|(i, (x, y))| match (x, y) {
                (Some(x), Some(y)) if float_cols.get(i).copied().unwrap_or(false) => floats_close(x, y),
                _ => x == y,
            })
    })
}

fn floats_close(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) if x.is_finite() && y.is_finite() => (x - y).abs() <= FLOAT_TOLERANCE * x.abs().max(y.abs()),
        _ => false,
    }
}
