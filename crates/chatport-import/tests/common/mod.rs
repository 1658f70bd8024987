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

    /// The first conversation record.
    pub fn conversation(&self) -> serde_json::Value {
        self.of_type("conversation")
            .into_iter()
            .next()
            .expect("the archive has a conversation")
    }

    /// The records of type `t`, in archive order.
    pub fn of_type(&self, t: &str) -> Vec<serde_json::Value> {
        self.records()
            .into_iter()
            .filter(|r| r["type"] == t)
            .collect()
    }

    /// The message records.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.of_type("message")
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

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write a test input");
    p
}

/// 2,000 bytes of binary garbage (a fixed series, the same in every run).
pub fn garbage() -> Vec<u8> {
    (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect()
}

/// 4,096 pseudo-random bytes from `seed` (a linear congruential series).
pub fn noise(seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

/// A DiscordChatExporter channel export of one message, for refusal tests of other platforms.
pub const DISCORD_SAMPLE: &str = r#"{"guild":{"id":"1","name":"G"},"channel":{"id":"2","type":"GuildTextChat","name":"general"},"messages":[{"id":"3","type":"Default","timestamp":"2024-01-01T00:00:00+00:00","content":"hi","author":{"id":"4","name":"a"}}],"messageCount":1}"#;

/// A Telegram Desktop single-chat export of one message, for refusal tests of other platforms.
pub const TELEGRAM_SAMPLE: &str = r#"{"name":"Ann","type":"personal_chat","id":1,"messages":[{"id":1,"type":"message","date":"2023-01-01T00:00:00","text":"hi"}]}"#;

/// Imports each fixture of `platform` in `cases` twice and asserts the archives are the same
/// bytes.
pub fn assert_same_bytes(platform: Platform, cases: &[&str]) {
    for case in cases {
        let a = import_fixture(platform, case);
        let b = import_fixture(platform, case);
        assert_eq!(a.archive, b.archive, "{case}");
    }
}

/// Asserts that detection takes each fixture of `platform` in `cases` for that platform.
pub fn assert_detected(platform: Platform, cases: &[&str]) {
    for case in cases {
        let input = chatport_import::Input::open(&fixtures(platform.name()).join(case))
            .expect("open a fixture");
        assert_eq!(
            chatport_import::detect(&input).expect("detected"),
            platform,
            "{case}"
        );
    }
}

/// Asserts that importing each input of `cases` (a file name and its bytes) as `platform`
/// fails with exit code 1 and an error that names the file with a line or pointer (`name:` or
/// `name#`; the file alone for the names in `no_position`), and that detection takes none of
/// them for `platform` or the platforms in `also_not`, except the names in `looks_like_it`
/// (a cut or malformed export still looks like one: detection reads only its start).
pub fn assert_refused(
    platform: Platform,
    also_not: &[Platform],
    cases: Vec<(&str, Vec<u8>)>,
    looks_like_it: &[&str],
    no_position: &[&str],
) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in cases {
        let p = write(dir.path(), name, &bytes);
        if !looks_like_it.contains(&name) {
            let input = chatport_import::Input::open(&p).expect("open the input");
            if let Ok(detected) = chatport_import::detect(&input) {
                assert!(
                    detected != platform && !also_not.contains(&detected),
                    "{name} must not be detected as {}",
                    detected.name()
                );
            }
        }
        let err = match import_as(&p, platform, "out.jsonl", ImportOptions::default()) {
            Ok(_) => panic!("{name} imported as {}", platform.name()),
            Err(e) => e,
        };
        assert_eq!(err.exit_code(), 1, "{name}: {err}");
        let text = err.to_string();
        assert!(
            text.contains(name),
            "{name}: the error names the file: {text}"
        );
        if !no_position.contains(&name) {
            assert!(
                text.contains(&format!("{name}:")) || text.contains(&format!("{name}#")),
                "{name}: the error gives a line or pointer: {text}"
            );
        }
    }
}

/// Imports `bytes`, written to a file called `name`, as `platform`, which must fail: the error.
pub fn refused(platform: Platform, name: &str, bytes: &[u8]) -> chatport_import::ImportError {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = write(dir.path(), name, bytes);
    match import_as(&p, platform, "out.jsonl", ImportOptions::default()) {
        Ok(_) => panic!("{name} imported as {}", platform.name()),
        Err(e) => e,
    }
}
