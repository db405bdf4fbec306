//! The command line (clap derive) and its validation into a `Plan`, before any I/O on targets.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::engine::target::TargetSpec;
use crate::export::Files;
use crate::model::error::Error;
use crate::model::Protocol;
use crate::model::{Mode, Pair, ReferenceRun};
use crate::reduce::ddmin::Budget;
use crate::run::{Plan, ReduceOptions};
use crate::store::expected;
use crate::workload;

const AFTER_HELP: &str = "\
Targets:
  local                 an ephemeral PostgreSQL cluster the harness creates (the default)
  local:/path/to/bin    the same, with the server binaries of that directory
  postgres://user:pw@host:port/db   an existing server (libpq URL rules, PG* variables;
                        ?sslmode=disable|allow|prefer|require|verify-ca|verify-full,
                        sslrootcert=FILE|system, sslcert=FILE, sslkey=FILE)
  exec:'COMMAND {port} {datadir}'   a server command the harness starts and stops
  docker:IMAGE[:TAG][?port=N&env=K=V&cmd=ARG]   a container (testcontainers; needs a Docker engine)
  sqlite[?pragma=V]     SQLite compiled in: a fresh database per workload
  sqlite:PATH[?pragma=V]   a copy of an existing SQLite file per workload (the file is never written)

Examples:
  pgparity run                                        local vs local over workloads/
  pgparity run --candidate postgres://u@h:5433/db workloads/
  pgparity run --candidate local:/opt/pg18/bin workloads/dml
  pgparity record --reference local                   write expected/
  pgparity check --candidate postgres://u@h:5433/db   candidate vs expected/
  pgparity run --candidate sqlite app-queries/         an application's queries, PostgreSQL vs SQLite
  pgparity migrate --candidate sqlite pg/ sqlite/      two migration trees, checked after every version
  pgparity compat --migrations migrations/ --from 12 captured/   may build N-1 run on the newer schemas?
  pgparity data-diff --reference sqlite:app.db --candidate postgres://u@h/app   a copy, by content

Exit codes:
  0  every feature compatible
  1  mismatches found
  2  usage or workload error (nothing was run)
  3  a target failed (could not start, unreachable, crashed)";

#[derive(Parser, Debug)]
#[command(name = "pgparity", version, about = "How much of a PostgreSQL workload runs unchanged on a PostgreSQL-compatible candidate, with evidence.", after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run workloads on the reference and the candidate, compare, write expected/ and scorecard.md.
    #[command(after_help = AFTER_HELP)]
    Run {
        /// The reference PostgreSQL.
        #[arg(long, default_value = "local", value_parser = parse_target)]
        reference: TargetSpec,
        /// The database under evaluation.
        #[arg(long, default_value = "local", value_parser = parse_target)]
        candidate: TargetSpec,
        #[command(flatten)]
        reduce: ReduceArgs,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        export: ExportArgs,
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Run workloads on the reference only and write its outcomes to expected/.
    #[command(after_help = AFTER_HELP)]
    Record {
        #[arg(long, default_value = "local", value_parser = parse_target)]
        reference: TargetSpec,
        #[command(flatten)]
        common: Common,
    },
    /// Sit between an application and PostgreSQL, forward its traffic unchanged, and write what
    /// it sent as workloads (one YAML file per connection) until Ctrl-C or SIGTERM.
    #[command(after_help = AFTER_HELP)]
    Capture {
        /// Where applications connect (`127.0.0.1:0` picks a free port; the port is printed).
        #[arg(long, default_value = "127.0.0.1:6433")]
        listen: String,
        /// The server traffic goes to (a URL, or `local` for an ephemeral cluster).
        #[arg(long, value_parser = parse_target)]
        upstream: TargetSpec,
        /// The folder the workloads are written to (`conn-N.yaml`; existing files are kept).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Reduce the mismatches of one workload (or of one of its steps) to repros, on demand.
    #[command(after_help = AFTER_HELP)]
    Reduce {
        /// The workload file.
        workload: PathBuf,
        /// Only the mismatch at this step (1-based, as in the scorecard).
        #[arg(long)]
        step: Option<usize>,
        #[arg(long, default_value = "local", value_parser = parse_target)]
        reference: TargetSpec,
        #[arg(long, default_value = "local", value_parser = parse_target)]
        candidate: TargetSpec,
        #[arg(long, default_value_t = 400)]
        reduce_trials: usize,
        #[arg(long, default_value_t = 60.0, value_parser = parse_seconds)]
        reduce_seconds: f64,
        #[arg(long, default_value_t = default_jobs(), value_parser = clap::value_parser!(u16).range(1..=64))]
        reduce_jobs: u16,
        #[command(flatten)]
        options: RunOptions,
        #[command(flatten)]
        export: ExportArgs,
    },
    /// Apply a migration history on two targets and check, after every version, that the two
    /// schemas are still the same (one tree on both sides, or a tree per backend).
    #[command(after_help = MIGRATE_HELP)]
    Migrate {
        /// The migrations folder (the reference's, when a second is given).
        migrations: PathBuf,
        /// The candidate's migrations folder, paired with the first by version.
        candidate_migrations: Option<PathBuf>,
        #[arg(long, default_value = "local", value_parser = parse_target)]
        reference: TargetSpec,
        #[arg(long, default_value = "local", value_parser = parse_target)]
        candidate: TargetSpec,
        /// A file listing the reference tree's migrations in order (overrides the names).
        #[arg(long, value_name = "FILE")]
        order: Option<PathBuf>,
        /// The same for the candidate's tree.
        #[arg(long, value_name = "FILE")]
        candidate_order: Option<PathBuf>,
        /// More type equivalences, one `postgres_type = sqlite_type` per line.
        #[arg(long, value_name = "FILE")]
        types: Option<PathBuf>,
        /// The table the migration tool records versions in: re-running the history must add no row.
        #[arg(long, value_name = "NAME")]
        history_table: Option<String>,
        /// A baseline (squashed) schema for the reference: a fresh install from it must equal the
        /// upgraded schema (and for the candidate, unless --candidate-baseline names its own).
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// The candidate's own baseline file.
        #[arg(long, value_name = "FILE")]
        candidate_baseline: Option<PathBuf>,
        /// Where scorecard.md, results.json and repros/ are written.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Per-statement timeout in seconds.
        #[arg(long, default_value_t = 30.0, value_parser = parse_seconds)]
        timeout: f64,
        /// Do not reduce each drift to a repro (the migrations it needs).
        #[arg(long)]
        no_reduce: bool,
        #[command(flatten)]
        export: ExportArgs,
    },
    /// May an older build run on a newer schema? The old build's traffic on the database
    /// before and after each later migration, compared: a verdict per migration, with evidence.
    #[command(after_help = COMPAT_HELP)]
    Compat {
        /// What the old build sends: captures (`pgparity capture`) or workloads (YAML, .sql),
        /// files or folders.
        #[arg(required = true)]
        traffic: Vec<PathBuf>,
        /// What the new build sends (files or folders): run on the old build's schema, it should
        /// fail loudly, never silently (a reported table, not a verdict).
        #[arg(long, value_name = "PATH")]
        new_traffic: Vec<PathBuf>,
        /// The migrations folder.
        #[arg(long, value_name = "DIR")]
        migrations: PathBuf,
        /// A file listing the migrations in order (overrides the names).
        #[arg(long, value_name = "FILE")]
        order: Option<PathBuf>,
        /// The last migration the old build knows.
        #[arg(long, value_name = "VERSION")]
        from: String,
        /// The newest migration to judge (default: the last).
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
        /// The engine the databases are made on.
        #[arg(long, default_value = "local", value_parser = parse_target)]
        target: TargetSpec,
        /// More type equivalences, one `postgres_type = sqlite_type` per line.
        #[arg(long, value_name = "FILE")]
        types: Option<PathBuf>,
        #[command(flatten)]
        options: RunOptions,
        /// Do not reduce each breaking migration's traffic to a repro.
        #[arg(long)]
        no_reduce: bool,
        #[command(flatten)]
        export: ExportArgs,
    },
    /// Compare the contents of tables on two targets of any engines, as typed values, in
    /// bounded memory; or take a snapshot of one side, or compare a side with a snapshot.
    #[command(after_help = DATA_HELP)]
    DataDiff {
        /// The side data comes from (the side a snapshot is taken of).
        #[arg(long, value_parser = parse_target)]
        reference: Option<TargetSpec>,
        /// The side data went to (the side compared with a snapshot).
        #[arg(long, value_parser = parse_target)]
        candidate: Option<TargetSpec>,
        /// Only this table (repeat for more; default: every user table).
        #[arg(long = "table", value_name = "NAME")]
        tables: Vec<String>,
        /// With --reference only: write the reference's digests to FILE. With --candidate only:
        /// compare the candidate with FILE.
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
        /// Floats (real, double precision) are equal within this relative difference.
        #[arg(long, default_value_t = 1e-12, value_parser = parse_tolerance)]
        float_tolerance: f64,
        /// Examples kept per differing column, and missing or extra keys per table.
        #[arg(long, default_value_t = 5)]
        examples: usize,
        /// Where scorecard.md and results.json are written.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        #[command(flatten)]
        export: ExportArgs,
    },
    /// Compare a candidate against the saved expected/, with no reference server.
    #[command(after_help = AFTER_HELP)]
    Check {
        #[arg(long, default_value = "local", value_parser = parse_target)]
        candidate: TargetSpec,
        /// Where the saved reference outcomes are (default: OUT/expected).
        #[arg(long)]
        expected: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        export: ExportArgs,
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Re-render scorecard.md (and JUnit) from a results.json, running nothing: after editing
    /// the rules, say.
    Scorecard {
        /// A results.json, or the folder that holds it.
        results: PathBuf,
        /// Where scorecard.md and results.json are written (default: beside RESULTS, rewritten).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        export: ExportArgs,
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// What changed between two runs: regressions, progressions, workloads added and removed,
    /// rules that became stale. No database needed.
    #[command(after_help = DIFF_HELP)]
    Diff {
        /// The earlier run: a results.json or the folder that holds it.
        old: PathBuf,
        /// The later run.
        new: PathBuf,
        /// Where diff.md and diff.json are written.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// Known-difference rules (`run`, `check`, `scorecard`).
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// A rules file (default: `pgparity-rules.yaml` beside the first workloads folder, if any).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Exit 1 when a rule matched nothing in the run (a stale rule).
    #[arg(long)]
    pub strict_rules: bool,
}

impl RulesArgs {
    /// The rules file named, or the default one beside `workloads` when it exists.
    fn load(&self, workloads: Option<&std::path::Path>) -> Result<Option<crate::rules::Rules>, Error> {
        let default = workloads.map(|w| {
            let parent = w.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            parent.join("pgparity-rules.yaml")
        });
        match (&self.rules, default) {
            (Some(path), _) => crate::rules::Rules::load(path).map(Some),
            (None, Some(path)) if path.is_file() => crate::rules::Rules::load(&path).map(Some),
            _ => Ok(None),
        }
    }
}

const DIFF_HELP: &str = "\
Exit codes:
  0  no regression
  1  a regression: a workload or statement that matched and does not now, or changed kind
  2  usage or input error";

/// `compat`'s arguments, for its validation.
struct CompatArgs {
    traffic: Vec<PathBuf>,
    new_traffic: Vec<PathBuf>,
    migrations: PathBuf,
    order: Option<PathBuf>,
    from: String,
    to: Option<String>,
    target: TargetSpec,
    types: Option<PathBuf>,
    options: RunOptions,
    no_reduce: bool,
}

/// Validate a `compat`: the target, the tree (every file split as the target splits it), the
/// versions, the traffic.
fn prepare_compat(a: CompatArgs, export: ExportArgs) -> Result<Job, Vec<Error>> {
    let mut errors = Vec::new();
    if let Err(message) = a.target.validate() {
        errors.push(Error::Usage(format!("target {}: {message}", a.target)));
    }
    let equivalence = equivalence(a.types.as_deref(), &mut errors);
    let tree = crate::migrate::tree::read(&a.migrations, a.order.as_deref()).map_err(|e| vec![e])?;
    for m in &tree.migrations {
        if let Err(e) = crate::migrate::statements(dialect(&a.target), m) {
            errors.push(e);
        }
    }
    let known = || {
        let all: Vec<&str> = tree.migrations.iter().map(|m| m.version.as_str()).collect();
        format!("its versions: {}", all.join(", "))
    };
    let position = |flag: &str, v: &str| {
        tree.position(v).ok_or_else(|| {
            vec![Error::Usage(format!("{flag} {v}: {} has no such migration ({})", a.migrations.display(), known()))]
        })
    };
    let from = position("--from", &a.from)?;
    let to = match &a.to {
        Some(v) => position("--to", v)?,
        None => tree.migrations.len() - 1,
    };
    if to <= from {
        return Err(vec![Error::Usage(format!(
            "--to {} is not after --from {}: no migration to judge",
            tree.migrations[to].version, tree.migrations[from].version
        ))]);
    }
    let mut load = |paths: &[PathBuf]| match paths.is_empty() {
        true => Vec::new(),
        false => workload::load_all(paths).unwrap_or_else(|mut e| {
            errors.append(&mut e);
            Vec::new()
        }),
    };
    let traffic = load(&a.traffic);
    let new_traffic = load(&a.new_traffic);
    if !errors.is_empty() {
        return Err(errors);
    }
    let reduce = (!a.no_reduce).then(|| ReduceOptions {
        budget: Budget { trials: 400, time: Duration::from_secs(60) },
        dir: a.options.out.join("repros"),
        only_step: None,
        total: Duration::from_secs(600),
        jobs: 1,
        protocol: a.options.protocol,
        link: "repros".into(),
        replay: None,
    });
    let plan = crate::compat::Plan {
        target: a.target,
        tree,
        from,
        to,
        traffic,
        new_traffic,
        equivalence,
        limits: crate::run::Limits {
            timeout: Duration::from_secs_f64(a.options.timeout),
            wait_bound: Duration::from_secs_f64(a.options.wait_bound),
        },
        protocol: a.options.protocol,
        reduce,
    };
    Ok(Job::Compat { plan: Box::new(plan), files: Files::new(a.options.out, false, export.junit) })
}

const COMPAT_HELP: &str = "\
Examples:
  pgparity compat --migrations migrations/ --from 12 captured/
                      may the build that knows migrations up to 12 run on every later version?
  pgparity compat --target sqlite --migrations migrations/sqlite --from 3 --to 5 traffic.yaml

A migration file may declare `-- backward-compatible: true|false` in its leading comments;
every declaration the evidence contradicts is reported.

Exit codes:
  0  every migration judged is backward-compatible, or declared not to be and breaks
  1  a declaration the evidence contradicts, an undeclared migration that breaks the old
     traffic, or a migration that fails on the target
  2  usage or input error (nothing was run)
  3  a target failed";

const DATA_HELP: &str = "\
Examples:
  pgparity data-diff --reference sqlite:app.db --candidate postgres://u@h/app
                                              a copy from SQLite to PostgreSQL, by content
  pgparity data-diff --reference postgres://u@h/app --snapshot before.json
  pgparity data-diff --candidate postgres://u@h/app --snapshot before.json
                                              after running the migration tool again: nothing changed?

Exit codes:
  0  the contents are equal
  1  a difference: a row missing, extra or changed, a table or column on one side only
  2  usage or input error (nothing was compared)
  3  a target failed";

fn parse_tolerance(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a relative tolerance from 0 up to 1 (like 1e-9)")),
    }
}

const MIGRATE_HELP: &str = "\
Examples:
  pgparity migrate migrations/                                 one tree, local vs local (a self-check)
  pgparity migrate --candidate local:/opt/pg18/bin migrations/ the same history on PostgreSQL 15 and 18
  pgparity migrate --candidate sqlite migrations/postgres migrations/sqlite
                                                               a tree per backend, paired by version

Exit codes:
  0  the schemas are equivalent after every version
  1  a drift, a failed migration, or an invariant that does not hold
  2  usage or input error (nothing was run)
  3  a target failed";

/// Reduction of mismatches to repros (in `run`).
#[derive(Args, Debug)]
pub struct ReduceArgs {
    /// Do not reduce mismatches to repros.
    #[arg(long)]
    pub no_reduce: bool,
    /// Most trials (replays on both sides) per distinct mismatch.
    #[arg(long, default_value_t = 400)]
    pub reduce_trials: usize,
    /// Most seconds per distinct mismatch.
    #[arg(long, default_value_t = 60.0, value_parser = parse_seconds)]
    pub reduce_seconds: f64,
    /// Most seconds of reduction in the whole run; mismatches left are listed, not reduced.
    #[arg(long, default_value_t = 600.0, value_parser = parse_seconds)]
    pub reduce_total_seconds: f64,
    /// Trials run at once, each on its own pair of databases (default: half the cores, since
    /// each trial keeps a server on each side busy). From 2, reduction also starts beside the
    /// run as soon as a workload shows a new mismatch.
    #[arg(long, default_value_t = default_jobs(), value_parser = clap::value_parser!(u16).range(1..=64))]
    pub reduce_jobs: u16,
}

fn default_jobs() -> u16 {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 64) as u16)
}

impl ReduceArgs {
    fn options(&self, run: &RunOptions) -> Option<ReduceOptions> {
        (!self.no_reduce).then(|| ReduceOptions {
            budget: Budget { trials: self.reduce_trials, time: Duration::from_secs_f64(self.reduce_seconds) },
            dir: run.out.join("repros"),
            only_step: None,
            total: Duration::from_secs_f64(self.reduce_total_seconds),
            jobs: self.reduce_jobs.into(),
            protocol: run.protocol,
            link: "repros".into(),
            replay: None,
        })
    }
}

#[derive(Args, Debug)]
pub struct Common {
    /// Workload files or folders (.yaml, .yml, .sql, .spec, .slt), searched recursively; a folder with `sql/`
    /// and a schedule, or a schedule file, runs as a pg_regress suite.
    #[arg(default_value = "workloads")]
    pub workloads: Vec<PathBuf>,
    /// Workloads run at once on each side, each on its own connections and database (default:
    /// half the cores, since each keeps a server on each side busy). The reports are those of
    /// `--jobs 1`: what runs beside others is never timing-sensitive, and what went wrong there
    /// runs again alone.
    #[arg(long, default_value_t = default_run_jobs(), value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    #[command(flatten)]
    pub options: RunOptions,
}

fn default_run_jobs() -> u16 {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 16) as u16)
}

/// How a run runs: the same for every command that runs workloads, `reduce` included.
#[derive(Args, Debug)]
pub struct RunOptions {
    /// Where expected/, repros/, scorecard.md and results.json are written.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Per-statement timeout in seconds; a statement still running is cancelled and recorded.
    #[arg(long, default_value_t = 30.0, value_parser = parse_seconds)]
    pub timeout: f64,
    /// In a multi-session workload, a statement still running after this many seconds is
    /// waiting (blocked): the schedule goes on with the other sessions.
    #[arg(long, default_value_t = 0.5, value_parser = parse_seconds)]
    pub wait_bound: f64,
    /// The protocol steps are sent with, unless a step says otherwise (`protocol:`, or
    /// `params:`/`statement:`/`fetch:`, which need extended).
    #[arg(long, value_enum, default_value_t = Protocol::Simple)]
    pub protocol: Protocol,
}

/// Exports besides scorecard.md and results.json.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Also write the results as JUnit XML to FILE (a test suite per workload, a test case per
    /// statement).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

fn parse_target(s: &str) -> Result<TargetSpec, String> {
    s.parse()
}

/// The most seconds any duration option takes (a week): more is a typo, and `Duration` cannot
/// hold values like 1e30 at all.
const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= MAX_SECONDS => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds above 0 and at most {MAX_SECONDS} (a week)")),
    }
}

/// A validated command, ready to run.
pub enum Job {
    /// Workloads on targets (run, record, check, reduce), and where the results go; with
    /// `strict_rules`, a stale rule is exit 1.
    Compare { plan: Box<Plan>, files: Files, strict_rules: bool },
    /// Saved results rendered again (with the rules, when given).
    Scorecard { saved: Box<crate::export::json::Saved>, rules: Option<crate::rules::Rules>, files: Files },
    /// Two saved runs compared.
    Diff {
        runs: Box<(crate::export::json::Saved, crate::export::json::Saved)>,
        names: (PathBuf, PathBuf),
        out: PathBuf,
    },
    /// A migration history on two targets, and where the report goes.
    Migrate { plan: Box<crate::migrate::Plan>, files: Files },
    /// Two tables' contents compared, and where the report goes.
    DataDiff { plan: Box<crate::datadiff::Plan>, files: Files },
    /// Old traffic on newer schemas, and where the report goes.
    Compat { plan: Box<crate::compat::Plan>, files: Files },
    /// The capture proxy.
    Capture(crate::capture::Options),
}

/// The type-equivalence table, with the user's file's additions; an error is collected.
fn equivalence(types: Option<&std::path::Path>, errors: &mut Vec<Error>) -> crate::schema::types::Equivalence {
    let Some(path) = types else { return Default::default() };
    match std::fs::read_to_string(path) {
        Ok(text) => crate::schema::types::Equivalence::parse(&text).unwrap_or_else(|(line, message)| {
            errors.push(Error::Workload {
                location: crate::model::Location { file: path.to_path_buf(), line, column: 1 },
                message,
            });
            Default::default()
        }),
        Err(e) => {
            errors.push(Error::io(path, e));
            Default::default()
        }
    }
}

/// Whose SQL a target speaks.
fn dialect(spec: &TargetSpec) -> crate::model::Dialect {
    match spec {
        TargetSpec::Sqlite(_) => crate::model::Dialect::Sqlite,
        _ => crate::model::Dialect::Postgres,
    }
}

/// The folder a command writes into.
fn out_folder(command: &Command) -> Option<&std::path::Path> {
    Some(match command {
        Command::Run { common, .. } | Command::Record { common, .. } | Command::Check { common, .. } => {
            &common.options.out
        }
        Command::Reduce { options, .. } | Command::Compat { options, .. } => &options.out,
        Command::Migrate { out, .. } | Command::DataDiff { out, .. } | Command::Diff { out, .. } => out,
        Command::Capture { out, .. } => out,
        Command::Scorecard { out, .. } => out.as_deref()?,
    })
}

/// An output folder that cannot be one (a file, or under a file) is refused before anything
/// starts, not after both servers did.
fn check_folder(out: &std::path::Path) -> Result<(), Error> {
    let existing = out.ancestors().find(|p| p.as_os_str().is_empty() || p.exists());
    match existing {
        Some(p) if !p.as_os_str().is_empty() && !p.is_dir() => {
            Err(Error::Usage(format!("--out {}: {} is a file, not a folder", out.display(), p.display())))
        }
        _ => Ok(()),
    }
}

/// Validate everything (targets, workloads, saved outcomes) into a job, before any I/O on a
/// target. All workload errors at once.
pub fn prepare(command: Command) -> Result<Job, Vec<Error>> {
    if let Some(out) = out_folder(&command) {
        check_folder(out).map_err(|e| vec![e])?;
    }
    let no_rules = RulesArgs { rules: None, strict_rules: false };
    let (mode, reference, candidate, common, expected_dir, reduce, junit, rules) = match command {
        Command::Run { reference, candidate, reduce, common, export, rules } => {
            let options = reduce.options(&common.options);
            (Mode::Run, reference, candidate, common, None, options, export.junit, rules)
        }
        Command::Record { reference, common } => {
            (Mode::Record, reference.clone(), reference, common, None, None, None, no_rules)
        }
        Command::Check { candidate, expected, common, export, rules } => {
            (Mode::Check, candidate.clone(), candidate, common, expected, None, export.junit, rules)
        }
        Command::Scorecard { results, out, export, rules } => {
            let saved = crate::export::json::load(&results).map_err(|e| vec![e])?;
            let rules = rules.load(None).map_err(|e| vec![e])?;
            let out = out.unwrap_or_else(|| {
                if results.is_dir() {
                    results.clone()
                } else {
                    results.parent().map(std::path::Path::to_path_buf).unwrap_or_else(|| ".".into())
                }
            });
            return Ok(Job::Scorecard { saved: Box::new(saved), rules, files: Files::new(out, false, export.junit) });
        }
        Command::Diff { old, new, out } => {
            let load = |p: &PathBuf| crate::export::json::load(p);
            let (old_saved, new_saved) = match (load(&old), load(&new)) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => return Err(a.err().into_iter().chain(b.err()).collect()),
            };
            return Ok(Job::Diff { runs: Box::new((old_saved, new_saved)), names: (old, new), out });
        }
        Command::Migrate {
            migrations,
            candidate_migrations,
            reference,
            candidate,
            order,
            candidate_order,
            types,
            history_table,
            baseline,
            candidate_baseline,
            out,
            timeout,
            no_reduce,
            export,
        } => {
            let mut errors = Vec::new();
            for spec in [&reference, &candidate] {
                if let Err(message) = spec.validate() {
                    errors.push(Error::Usage(format!("target {spec}: {message}")));
                }
            }
            let equivalence = equivalence(types.as_deref(), &mut errors);
            let reference_tree = crate::migrate::tree::read(&migrations, order.as_deref());
            let candidate_tree = match &candidate_migrations {
                Some(dir) => crate::migrate::tree::read(dir, candidate_order.as_deref().or(order.as_deref())),
                None => crate::migrate::tree::read(&migrations, order.as_deref()),
            };
            if let Some(name) = history_table
                .as_deref()
                .filter(|n| !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            {
                errors
                    .push(Error::Usage(format!("--history-table `{name}`: a table name (letters, digits, `_`, `.`)")));
            }
            let (reference_tree, candidate_tree) = match (reference_tree, candidate_tree) {
                (Ok(r), Ok(c)) if errors.is_empty() => (r, c),
                (r, c) => {
                    errors.extend(r.err());
                    errors.extend(c.err());
                    return Err(errors);
                }
            };
            // Every file split as its engine will split it: a broken one is refused now.
            for (tree, spec) in [(&reference_tree, &reference), (&candidate_tree, &candidate)] {
                for m in &tree.migrations {
                    match crate::migrate::statements(dialect(spec), m) {
                        // One tree on both sides: each error once.
                        Err(e) if !errors.iter().any(|x| x.to_string() == e.to_string()) => errors.push(e),
                        _ => {}
                    }
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            let candidate_baseline = candidate_baseline.or_else(|| baseline.clone());
            let plan = crate::migrate::Plan {
                reference,
                candidate,
                trees: Pair::new(reference_tree, candidate_tree),
                equivalence,
                timeout: Duration::from_secs_f64(timeout),
                history_table,
                baseline: Pair::new(baseline, candidate_baseline),
                repros: (!no_reduce).then(|| out.join("repros")),
            };
            return Ok(Job::Migrate { plan: Box::new(plan), files: Files::new(out, false, export.junit) });
        }
        Command::Compat {
            traffic,
            new_traffic,
            migrations,
            order,
            from,
            to,
            target,
            types,
            options,
            no_reduce,
            export,
        } => {
            let args =
                CompatArgs { traffic, new_traffic, migrations, order, from, to, target, types, options, no_reduce };
            return prepare_compat(args, export);
        }
        Command::DataDiff { reference, candidate, tables, snapshot, float_tolerance, examples, out, export } => {
            let mut errors = Vec::new();
            for spec in [&reference, &candidate].into_iter().flatten() {
                if let Err(message) = spec.validate() {
                    errors.push(Error::Usage(format!("target {spec}: {message}")));
                }
            }
            if !matches!(
                (&reference, &candidate, &snapshot),
                (Some(_), Some(_), None) | (Some(_), None, Some(_)) | (None, Some(_), Some(_))
            ) {
                errors.push(Error::Usage(
                    "data-diff takes --reference and --candidate; or --reference and --snapshot FILE (to write it); \
                     or --candidate and --snapshot FILE (to compare with it)"
                        .into(),
                ));
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            let plan = crate::datadiff::Plan { reference, candidate, snapshot, tables, float_tolerance, examples };
            return Ok(Job::DataDiff { plan: Box::new(plan), files: Files::new(out, false, export.junit) });
        }
        Command::Capture { listen, upstream, out } => {
            if let Err(message) = upstream.validate() {
                return Err(vec![Error::Usage(format!("--upstream {upstream}: {message}"))]);
            }
            if let TargetSpec::Sqlite(_) = upstream {
                return Err(vec![Error::Usage(format!("capture: the upstream {upstream} is not a PostgreSQL server"))]);
            }
            return Ok(Job::Capture(crate::capture::Options { listen, upstream, out }));
        }
        Command::Reduce {
            workload,
            step,
            reference,
            candidate,
            reduce_trials,
            reduce_seconds,
            reduce_jobs,
            options,
            export,
        } => {
            let args = ReduceArgs {
                no_reduce: false,
                reduce_trials,
                reduce_seconds,
                reduce_total_seconds: reduce_seconds,
                reduce_jobs,
            };
            let mut reduce = args.options(&options).expect("reduction is on");
            reduce.only_step = step;
            let common = Common { workloads: vec![workload], jobs: 1, options };
            (Mode::Reduce, reference, candidate, common, None, Some(reduce), export.junit, no_rules)
        }
    };
    let mut errors: Vec<Error> = Vec::new();
    for spec in [&reference, &candidate] {
        if let Err(message) = spec.validate() {
            errors.push(Error::Usage(format!("target {spec}: {message}")));
        }
    }
    let strict_rules = rules.strict_rules;
    let rules = match rules.load(common.workloads.first().map(PathBuf::as_path)) {
        Ok(r) => r,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let workloads = workload::load_all(&common.workloads).map_err(|mut e| {
        errors.append(&mut e);
        std::mem::take(&mut errors)
    })?;
    if !errors.is_empty() {
        return Err(errors);
    }
    if let (Mode::Reduce, Some(step)) = (mode, reduce.as_ref().and_then(|r| r.only_step)) {
        let w = &workloads[0];
        if workloads.len() != 1 || step == 0 || step > w.steps.len() {
            return Err(vec![Error::Usage(format!(
                "{}: has no step {step} (it has {})",
                w.path.display(),
                w.steps.len()
            ))]);
        }
    }
    let expected_dir = expected_dir.unwrap_or_else(|| Files::expected_dir(&common.options.out));
    let mut saved = Vec::new();
    let mut expected_version = None;
    if mode == Mode::Check {
        let mut errors = Vec::new();
        let mut by_file = false;
        for w in &workloads {
            // Not recorded: a file that says what each step gives is judged by that, and one
            // that cannot run is not tested.
            let recorded = expected::path_for(&expected_dir, w).exists();
            match expected::load(&expected_dir, w) {
                Ok((run, version)) => {
                    expected_version.get_or_insert(version);
                    saved.push(run);
                }
                Err(_) if !recorded && w.unsupported.is_some() => {
                    saved.push(ReferenceRun { not_tested: w.unsupported.clone(), ..Default::default() });
                }
                Err(_) if !recorded && !w.file_expected.is_empty() => {
                    by_file = true;
                    saved.push(crate::compare::file::reference());
                }
                Err(e) => errors.push(e),
            }
        }
        if by_file && expected_version.is_none() {
            expected_version = Some("the files' own expected results".into());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
    }
    let plan = Plan {
        mode,
        reference,
        candidate,
        workloads,
        expected: saved,
        expected_version,
        timeout: Duration::from_secs_f64(common.options.timeout),
        wait_bound: Duration::from_secs_f64(common.options.wait_bound),
        protocol: common.options.protocol,
        reduce,
        rules,
        jobs: common.jobs.into(),
    };
    let files = Files::new(common.options.out, matches!(mode, Mode::Run | Mode::Record), junit);
    Ok(Job::Compare { plan: Box::new(plan), files, strict_rules })
}
