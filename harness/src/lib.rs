//! pgparity: runs PostgreSQL workloads on a reference and a candidate, compares what a driver
//! sees statement by statement, and reports Works / Works with rewrite / Blocked / Not tested.
//!
//! Data flow: `cli` (plan) → `workload` (parse) → `run` (targets via `target`, sessions via
//! `wire`) → `compare` (verdicts) → `report` (expected/, scorecard.md, results.json, console).

pub mod capture;
pub mod cli;
pub mod compare;
pub mod compat;
pub mod console;
pub mod datadiff;
pub mod engine;
pub mod export;
pub mod migrate;
pub mod model;
pub mod reduce;
pub mod render;
pub mod rules;
pub mod run;
pub mod rundiff;
pub mod schema;
pub mod store;
pub mod workload;
