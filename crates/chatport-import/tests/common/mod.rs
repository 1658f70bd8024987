//! Shared by the importer tests: import a fixture into a temporary archive, check the report's
//! accounting, and find the shared corpus.
#![allow(dead_code)]

use chatport_import::{ImportOptions, ImportReport, Platform, import};
use std::path::{Path, PathBuf};

/// The folder of handwritten fixtures for `platform`.
pub fn fixtures(platform: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(platform)
}

/// The shared corpus folder of `platform`, from CHATPORT_CORPUS. When the variable is unset the
/// corpus tests say so on stderr and return `None`; `.ci/run` always sets it.
pub fn corpus(platform: &str) -> Option<PathBuf> {
    match std::env::var_os("CHATPORT_CORPUS") {
        Some(root) => {
            let mut root = PathBuf::from(root);
            if root.is_relative() {
                // Relative to the workspace root, as .ci/run sets it.
                root = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../..")
                    .join(root);
            }
            let dir = root.join(platform);
            assert!(
                dir.is_dir(),
                "CHATPORT_CORPUS is set but {} is not a folder",
                dir.display()
            );
            Some(dir)
        }
        None => {
            eprintln!(
                "CHATPORT_CORPUS is not set: skipping the {platform} corpus test (set it to the shared corpus folder, as .ci/run does)"
            );
            None
        }
    }
}

/// The result of importing one input.
pub struct Imported {
    /// The report.
    pub report: ImportReport,
    /// The archive's text (archive.jsonl of a bundle).
    pub archive: String,
    /// The temporary folder holding the output, kept alive for inspection.
    pub dir: tempfile::TempDir,
    /// The output path.
    pub out: PathBuf,
}

impl Imported {
    /// The archive's records, parsed.
    pub fn records(&self) -> Vec<serde_json::Value> {
        self.archive
            .lines()
            .map(|l| serde_json::from_str(l).expect("archive line is JSON"))
            .collect()
    }

    /// The message records.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.records()
            .into_iter()
            .filter(|r| r["type"] == "message")
            .collect()
    }
}

/// Imports `input` as `platform` into a temporary output named `out_name` (`x.jsonl`, `x.zip` or
/// a folder name), with validation on, and checks that every source message is accounted for.
pub fn import_as(
    input: &Path,
    platform: Platform,
    out_name: &str,
    mut options: ImportOptions,
) -> Result<Imported, chatport_import::ImportError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join(out_name);
    options.platform = Some(platform);
    options.validate = true;
    let report = import(input, &out, &options)?;
    let v = report.validation.as_ref().expect("validation ran");
    assert!(v.valid, "output of {} does not validate", input.display());
    assert_eq!(
        report.source_messages,
        report.messages + report.skipped_total(),
        "every source message is written or skipped with a reason"
    );
    let archive_path = if out.is_dir() {
        out.join("archive.jsonl")
    } else {
        out.clone()
    };
    let archive = if out_name.ends_with(".zip") {
        let f = std::fs::File::open(&out).expect("open zip");
        let mut z = zip::ZipArchive::new(f).expect("output zip reads");
        let mut e = z.by_name("archive.jsonl").expect("zip holds archive.jsonl");
        let mut s = String::new();
        std::io::Read::read_to_string(&mut e, &mut s).expect("archive is UTF-8");
        s
    } else {
        std::fs::read_to_string(&archive_path).expect("read archive")
    };
    Ok(Imported {
        report,
        archive,
        dir,
        out,
    })
}

/// Imports a fixture to a .jsonl archive with default options and returns it.
pub fn import_fixture(platform: Platform, case: &str) -> Imported {
    let path = fixtures(platform.name()).join(case);
    import_as(&path, platform, "out.jsonl", ImportOptions::default())
        .unwrap_or_else(|e| panic!("importing {}: {e}", path.display()))
}

/// The archive text with the generator version replaced, for snapshots that survive releases.
pub fn snapshot_text(archive: &str) -> String {
    archive.replace(
        &format!("\"version\":\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\":\"[version]\"",
    )
}
