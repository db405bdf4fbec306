//! Day two: the shipped rules for a major upgrade against PostgreSQL 18 (only what is new is
//! left, stale rules flagged), `pgparity diff` between two real runs (a planted regression and
//! progression), and `pgparity scorecard` re-rendering saved results with other rules.

mod common;

use common::*;

fn rule<'a>(results: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    results["rules"].as_array().expect("rules").iter().find(|r| r["id"] == id).expect("the rule")
}

/// With rules/major-upgrade.yaml, the whole suite against PostgreSQL 18 leaves only a new
/// difference (a workload planted here: `pg_input_is_valid()`, new in 16, a success where 15 fails —
/// which no rule may hide without naming it), and lists the rules that matched nothing.
#[test]
fn shipped_rules_leave_only_what_is_new_against_postgresql_18() {
    let candidate = format!("local:{}", pg18_bindir());
    let extra = scratch();
    let planted = workload(
        extra.path(),
        "new/input_is_valid.sql",
        "-- feature: pg_input_is_valid()\n-- area: New\nSELECT pg_input_is_valid('42', 'integer');\n",
    );
    let dir = scratch();
    let out = pgparity(&[
        "run",
        "--candidate",
        &candidate,
        "--rules",
        "rules/major-upgrade.yaml",
        "--no-reduce",
        "--out",
        dir.path().to_str().unwrap(),
        "workloads",
        planted.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let results = results(dir.path());
    assert_eq!(with_status(&results, "blocked"), vec!["new/input_is_valid"], "only what is new");
    let accepted = with_status(&results, "accepted");
    for id in [
        "syntax/version_syntax",
        "views/views",
        "orm/knex/conn-0001",
        "orm/psql/conn-0001",
        "orm/django/conn-0001",
        "catalog/settings",
    ] {
        assert!(accepted.contains(&id.to_string()), "{id} accepted: {accepted:?}");
    }
    for id in [
        "version-string",
        "not-null-constraints-in-pg-constraint",
        "psql-15-describe-queries",
        "non-decimal-integer-literals",
        "view-definition-text",
        "search-path-reported",
    ] {
        assert!(rule(&results, id)["accepted"].as_u64().unwrap() > 0, "{id}");
    }
    for id in ["explain-plans", "system-oids"] {
        assert_eq!(rule(&results, id)["accepted"], 0, "{id} is stale");
    }
    let scorecard = std::fs::read_to_string(dir.path().join("scorecard.md")).unwrap();
    assert!(scorecard.contains("## Known differences") && scorecard.contains("0 (**stale**)"), "{scorecard}");
    assert!(scorecard.contains("Works with known differences"), "{scorecard}");
    // The statement a rule accepted keeps both outcomes and names the rule.
    let syntax = workload_result(&results, "syntax/version_syntax");
    assert_eq!(syntax["statements"][0]["verdict"], "accepted");
    assert_eq!(syntax["statements"][0]["rule"], "non-decimal-integer-literals");
    assert!(syntax["statements"][0]["outcomes"].is_object());
}

/// `--strict-rules`: a stale rule is exit 1, even when everything else works.
#[test]
fn strict_rules_fail_on_a_stale_rule() {
    let dir = scratch();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, "rules:\n  - id: never\n    reason: matches nothing\n    statement: \"select 42*\"\n")
        .unwrap();
    let w = workload(dir.path(), "t/one.sql", "SELECT 1;\n");
    let args = |strict: bool| {
        let mut a = vec!["--rules", rules.to_str().unwrap(), w.to_str().unwrap()];
        if strict {
            a.insert(0, "--strict-rules");
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    for (strict, expected) in [(false, 0), (true, 1)] {
        let a = args(strict);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let (code, results, out, _d) = with_results("run", &refs);
        assert_eq!(code, expected, "{}", stderr(&out));
        assert_eq!(rule(&results, "never")["accepted"], 0);
    }
    std::fs::write(&rules, "rules:\n  - id: bad\n    reason: x\n    kindz: [rows]\n").unwrap();
    let (code, _, out, _d) = with_results("run", &["--rules", rules.to_str().unwrap(), w.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr(&out).contains(&format!("{}:4:5: not a rules file", rules.display())), "{}", stderr(&out));
}

/// Two real runs: PostgreSQL 15 against 15, then against 18 with one workload more. `diff`
/// finds the regression (a literal 15 refuses and 18 takes) and the added workload; the other
/// way round, the progression.
#[test]
fn diff_shows_a_planted_regression_and_progression() {
    let dir = scratch();
    workload(dir.path(), "w/literal.sql", "-- feature: literal\nSELECT 1_000_000;\n");
    let root = workload(dir.path(), "w/plain.sql", "-- feature: plain\nSELECT 1;\n");
    let (code1, _, _, first) = with_results("run", &["--no-reduce", root.to_str().unwrap()]);
    assert_eq!(code1, 0);
    workload(dir.path(), "w/more.sql", "-- feature: more\nSELECT 2;\n");
    let candidate = format!("local:{}", pg18_bindir());
    let (code2, _, _, second) =
        with_results("run", &["--candidate", &candidate, "--no-reduce", root.to_str().unwrap()]);
    assert_eq!(code2, 1);
    let out_dir = scratch();
    let out = pgparity(&[
        "diff",
        "--out",
        out_dir.path().to_str().unwrap(),
        first.path().to_str().unwrap(),
        second.path().join("results.json").to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "a regression: {}", stderr(&out));
    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.path().join("diff.json")).unwrap()).unwrap();
    assert_eq!(d["regressions"][0]["workload"], "w/literal");
    assert_eq!(d["regressions"][0]["status"], "Works → Blocked");
    assert!(d["regressions"][0]["statements"][0].as_str().unwrap().contains("matched, now mismatch: error vs success"));
    assert_eq!(d["added"], serde_json::json!(["w/more"]));
    assert!(std::fs::read_to_string(out_dir.path().join("diff.md")).unwrap().contains("## Regressions"));
    let out = pgparity(&[
        "diff",
        "--out",
        out_dir.path().to_str().unwrap(),
        second.path().to_str().unwrap(),
        first.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "only a progression");
    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.path().join("diff.json")).unwrap()).unwrap();
    assert_eq!(d["progressions"][0]["workload"], "w/literal");
    assert_eq!(d["removed"], serde_json::json!(["w/more"]));
    // Saved results rendered again with a rule for that literal: accepted, exit 0; and again
    // without it: blocked as it was.
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, "rules:\n  - id: literals\n    reason: 16 takes them\n    sqlstate: \"42601 -> -\"\n    kinds: [error_vs_success]\n").unwrap();
    let out = pgparity(&["scorecard", "--rules", rules.to_str().unwrap(), second.path().to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let again = results(second.path());
    assert_eq!(workload_result(&again, "w/literal")["status"], "accepted");
    assert!(std::fs::read_to_string(second.path().join("scorecard.md")).unwrap().contains("`literals`"));
    std::fs::write(&rules, "rules:\n  - id: other\n    reason: nothing here\n    statement: \"nothing\"\n").unwrap();
    let out = pgparity(&["scorecard", "--rules", rules.to_str().unwrap(), second.path().to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert_eq!(workload_result(&results(second.path()), "w/literal")["status"], "blocked");
}
