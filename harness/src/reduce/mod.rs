//! Reduction of mismatches to minimal standalone repros (pure parts): delta debugging behind
//! an oracle trait, the mismatch signature a reduction must keep, lists and syntax trees to
//! shorten within a statement, clustering by root cause, and the repro files. The oracle that
//! replays trials on live targets is in `run::reduce`.

pub mod ddmin;
pub mod lists;
pub mod repro;
pub mod signature;
pub mod tree;
