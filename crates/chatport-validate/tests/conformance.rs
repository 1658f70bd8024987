//! Runs every case of the language-neutral suite in `tests/conformance/` through the library,
//! and checks that the typed models and the JSON Schema agree on every record in it.

use chatport_model::{Record, RecordType};
use chatport_validate::{Code, Options, SchemaSet, validate_path};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn suite() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
}

struct Case {
    folder: &'static str,
    path: PathBuf,
    codes: BTreeSet<String>,
    max_line_bytes: Option<usize>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for folder in ["valid", "invalid"] {
        let dir = suite().join(folder);
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        let mut listed = BTreeSet::new();
        for c in manifest["cases"].as_array().unwrap() {
            let name = c["path"].as_str().unwrap().to_owned();
            assert!(
                c["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{name}: no description"
            );
            listed.insert(name.clone());
            out.push(Case {
                folder,
                path: dir.join(&name),
                codes: c["codes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect(),
                max_line_bytes: c
                    .get("max_line_bytes")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize),
            });
        }
        let present: BTreeSet<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "manifest.json" && !n.starts_with('.'))
            .collect();
        assert_eq!(
            present, listed,
            "{folder}/manifest.json must list exactly the cases in the folder"
        );
    }
    out
}

fn options(c: &Case) -> Options {
    Options {
        max_diagnostics: 0,
        max_line_bytes: c
            .max_line_bytes
            .unwrap_or(Options::default().max_line_bytes),
    }
}

#[test]
fn every_case_gives_exactly_its_codes() {
    let mut failures = Vec::new();
    for c in cases() {
        let report = validate_path(&c.path, options(&c)).unwrap_or_else(|e| panic!("{e}"));
        let got: BTreeSet<String> = report
            .diagnostics
            .iter()
            .map(|d| d.code.to_string())
            .collect();
        let valid_expected = c.folder == "valid";
        if got != c.codes || report.valid != valid_expected {
            failures.push(format!(
                "{}/{}: expected {:?} (valid: {valid_expected}), got {:?} (valid: {})",
                c.folder,
                c.path.file_name().unwrap().to_string_lossy(),
                c.codes,
                got,
                report.valid
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn suite_covers_every_code_and_is_large_enough() {
    let all = cases();
    assert!(
        all.len() >= 60,
        "the suite needs at least 60 cases, has {}",
        all.len()
    );
    let covered: BTreeSet<String> = all.iter().flat_map(|c| c.codes.iter().cloned()).collect();
    for code in Code::ALL {
        assert!(
            covered.contains(code.as_str()),
            "no conformance case produces {code}"
        );
    }
    for c in &all {
        for code in &c.codes {
            assert!(
                Code::parse(code).is_some(),
                "{}: unknown code {code}",
                c.path.display()
            );
        }
    }
}

/// The lines of a case: the archive file itself, or a bundle's archive.jsonl (zips are skipped:
/// their archive is a directory case's twin).
fn lines_of(path: &Path) -> Vec<Vec<u8>> {
    let file = if path.is_dir() {
        path.join("archive.jsonl")
    } else {
        path.to_owned()
    };
    if file.extension().is_some_and(|e| e == "zip") {
        return Vec::new();
    }
    let bytes = std::fs::read(file).unwrap();
    bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
}

// The validator decides by the typed models and asks the schema only for the details, so the two
// must accept and reject the same records. Expected differences, where the schema (a JSON-level
// description) cannot see what the types do: duplicate keys (E104: a parsed JSON value keeps the
// last) and integers written as 1.0 or above 2^64-1 (E219).
const EXPECTED_DIFFERENCES: [&str; 2] = ["E104", "E219"];

#[test]
fn typed_models_and_schema_agree_on_every_record() {
    let schemas = SchemaSet::get();
    let mut compared = 0;
    let mut disagreements = Vec::new();
    for c in cases() {
        if c.codes
            .iter()
            .any(|code| EXPECTED_DIFFERENCES.contains(&code.as_str()))
        {
            continue;
        }
        for line in lines_of(&c.path) {
            let Ok(text) = std::str::from_utf8(&line) else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            let Some(t) = value
                .get("type")
                .and_then(Value::as_str)
                .and_then(RecordType::parse)
            else {
                continue;
            };
            let typed = serde_json::from_str::<Record>(text).is_ok();
            let schema = schemas.is_valid(t, &value);
            compared += 1;
            if typed != schema {
                disagreements.push(format!(
                    "{}: typed {typed}, schema {schema}: {text}",
                    c.path.display()
                ));
            }
        }
    }
    assert!(compared > 300, "too few records compared: {compared}");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn the_expected_differences_really_differ() {
    // Guards the exemption above: each exempted case must hold a record the schema accepts and
    // the types reject, or the exemption is hiding nothing and must go.
    let schemas = SchemaSet::get();
    for c in cases().iter().filter(|c| {
        c.codes
            .iter()
            .any(|k| EXPECTED_DIFFERENCES.contains(&k.as_str()))
    }) {
        let differs = lines_of(&c.path).iter().any(|line| {
            let text = std::str::from_utf8(line).unwrap_or("");
            let value = serde_json::from_str::<Value>(text).ok();
            let t = value
                .as_ref()
                .and_then(|v| v.get("type"))
                .and_then(Value::as_str)
                .and_then(RecordType::parse);
            match (value, t) {
                (Some(v), Some(t)) => {
                    schemas.is_valid(t, &v) && serde_json::from_str::<Record>(text).is_err()
                }
                _ => false,
            }
        });
        assert!(
            differs,
            "{} is exempt but the schema and the types agree on it",
            c.path.display()
        );
    }
}

/// The media of a bundle directory or zip, for running a case through a checker of the test's
/// own (the same store for both paths, so only the paths differ).
enum TestStore {
    Dir(PathBuf),
    Zip(PathBuf),
}

impl chatport_validate::MediaStore for TestStore {
    fn stat(&mut self, rel: &str) -> std::io::Result<(u64, String)> {
        use sha2::{Digest, Sha256};
        use std::io::Read;
        let bytes = match self {
            TestStore::Dir(root) => {
                let p = root.join(rel);
                if !p.is_file() {
                    return Err(std::io::Error::other("not a regular file"));
                }
                std::fs::read(p)?
            }
            TestStore::Zip(zip) => {
                let mut z = zip::ZipArchive::new(std::fs::File::open(zip)?)
                    .map_err(std::io::Error::other)?;
                let mut entry = z.by_name(rel).map_err(std::io::Error::other)?;
                let mut out = Vec::new();
                entry.read_to_end(&mut out)?;
                out
            }
        };
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok((bytes.len() as u64, hex))
    }
}

/// A case's archive bytes and its media store.
fn archive_of(path: &Path) -> (Vec<u8>, Option<TestStore>) {
    use std::io::Read;
    if path.is_dir() {
        let bytes = std::fs::read(path.join("archive.jsonl")).unwrap();
        return (bytes, Some(TestStore::Dir(path.to_owned())));
    }
    let bytes = std::fs::read(path).unwrap();
    if !bytes.starts_with(b"PK\x03\x04") {
        return (bytes, None);
    }
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    z.by_name("archive.jsonl")
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    (out, Some(TestStore::Zip(path.to_owned())))
}

// The fast path for message lines must never change a report: every case, valid and invalid,
// gives exactly the same report (every diagnostic with its message, column and excerpt, and the
// counts) with the fast path as with the full typed path alone.
#[test]
fn fast_and_full_paths_give_identical_reports() {
    use chatport_validate::{Checker, validate_reader_with};
    let mut compared = 0;
    for c in cases() {
        let (bytes, store) = archive_of(&c.path);
        let run = |fast: bool| {
            let mut store = store.as_ref().map(|s| match s {
                TestStore::Dir(p) => TestStore::Dir(p.clone()),
                TestStore::Zip(p) => TestStore::Zip(p.clone()),
            });
            let media = store
                .as_mut()
                .map(|s| s as &mut dyn chatport_validate::MediaStore);
            let mut checker = Checker::new("archive.jsonl", options(&c), media);
            if !fast {
                checker = checker.without_fast_path();
            }
            let report = validate_reader_with(&bytes[..], checker).unwrap();
            serde_json::to_string_pretty(&report).unwrap()
        };
        let (fast, full) = (run(true), run(false));
        assert_eq!(
            fast,
            full,
            "{}: the fast path changed the report",
            c.path.display()
        );
        compared += 1;
    }
    assert!(compared >= 60, "too few cases compared: {compared}");
}
