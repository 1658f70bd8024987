//! The `chatport` binary as scripts use it: exit codes, JSON output, human output.

mod common;

use common::{chatport, repo};
use serde_json::Value;

#[test]
fn every_conformance_case_through_the_cli() {
    for folder in ["valid", "invalid"] {
        let dir = repo().join("tests/conformance").join(folder);
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        for c in manifest["cases"].as_array().unwrap() {
            let path = dir.join(c["path"].as_str().unwrap());
            let limit = c.get("max_line_bytes").map(|v| v.to_string());
            let mut args = vec![
                "validate",
                path.to_str().unwrap(),
                "--format",
                "json",
                "--max-diagnostics",
                "0",
            ];
            if let Some(l) = &limit {
                args.extend(["--max-line-bytes", l]);
            }
            let out = chatport(&args);
            let expected_exit = if folder == "valid" { 0 } else { 1 };
            assert_eq!(out.status.code(), Some(expected_exit), "{}", path.display());
            let report: Value =
                serde_json::from_slice(&out.stdout).expect("--format json prints JSON");
            let mut got: Vec<&str> = report["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["code"].as_str().unwrap())
                .collect();
            got.sort();
            got.dedup();
            let mut want: Vec<&str> = c["codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            want.sort();
            assert_eq!(got, want, "{}", path.display());
            for d in report["diagnostics"].as_array().unwrap() {
                for key in ["code", "severity", "line", "pointer", "message"] {
                    assert!(d.get(key).is_some(), "diagnostic without {key}: {d}");
                }
            }
        }
    }
}

#[test]
fn unreadable_input_and_bad_usage_exit_2() {
    let out = chatport(&["validate", "tests/conformance/no-such-file.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-file.jsonl"), "{err}");
    // A directory without archive.jsonl is not a bundle.
    let out = chatport(&["validate", "crates"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("archive.jsonl"));
    let out = chatport(&["validate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = chatport(&["validate", "x.jsonl", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn human_output_names_file_line_column_and_code() {
    let out = chatport(&[
        "validate",
        "tests/conformance/invalid/E101-E311-checks-continue.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn diagnostic_cap_keeps_counting() {
    let case = "tests/conformance/invalid/E300-E311-E314-many-problems.jsonl";
    let all = chatport(&[
        "validate",
        case,
        "--format",
        "json",
        "--max-diagnostics",
        "0",
    ]);
    let all: Value = serde_json::from_slice(&all.stdout).unwrap();
    let capped = chatport(&[
        "validate",
        case,
        "--format",
        "json",
        "--max-diagnostics",
        "1",
    ]);
    let capped: Value = serde_json::from_slice(&capped.stdout).unwrap();
    assert!(all["diagnostics"].as_array().unwrap().len() > 1);
    assert_eq!(capped["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(capped["truncated"], true);
    assert_eq!(capped["errors"], all["errors"]);
}

#[test]
fn schema_prints_the_committed_schema() {
    let out = chatport(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(repo().join("schema/record.schema.json")).unwrap();
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, serde_json::from_str::<Value>(&committed).unwrap());
    let out = chatport(&["schema", "message"]);
    let one: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(one["$id"], "urn:chatport:schema:0.1:message");
}
