//! The plain data every layer shares: workloads, outcomes, recordings, verdicts and results,
//! target reports, events, errors. It depends on nothing else in the crate.

pub mod compat;
pub mod data;
pub mod error;
pub mod event;
pub mod expect;
pub mod migration;
pub mod outcome;
pub mod result;
pub mod secrets;
pub mod target;
pub mod workload;

pub use compat::{Change, CompatReport, CompatResult, Evidence, Reverse, ReverseStep, StaticClass};
pub use data::{ColumnDiff, DataReport, Pairing, TableDiff, ValueExample};
pub use error::{Error, Location, Result};
pub use event::{Event, Mode, Observer, ReproSummary};
pub use migration::{
    Dialect, Drift, DriftKind, Invariant, MigrationReport, MigrationResult, MigrationStatus, TreeInfo,
};
pub use outcome::{Column, Fault, LargeResult, Notification, Outcome, Pair, Parameter, ServerMessage, TxStatus, Wait};
pub use result::{
    Cell, IsolationResult, MismatchKind, Normaliser, Phase, Recording, ReferenceRun, RuleUse, Status, StepResult,
    Verdict, WorkloadResult,
};
pub use target::{Connections, RestartCause, Strategy, TargetEvent, TargetReport};
pub use workload::{
    slate_name, Bind, Guard, Hole, HoleStyle, Order, Param, Protocol, Requirement, Rewrite, Runtime, Step, SuitePlace,
    Workload,
};
