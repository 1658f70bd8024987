//! `chatport import` as users and scripts meet it: detection, exit codes, the report in both
//! forms, outputs that exist, and nothing left behind on failure.

mod common;

use common::{chatport, leftovers, repo};
use serde_json::Value;
use std::process::Command;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sample() -> String {
    repo()
        .join("examples/whatsapp-export")
        .display()
        .to_string()
}

#[test]
fn the_sample_imports_detected_with_a_readable_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let o = chatport(&["import", &sample(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let report = text(&o.stdout);
    assert!(report.contains("detected as whatsapp"), "{report}");
    assert!(report.contains("messages:      14"), "{report}");
    assert!(
        report.contains("attachments:   missing 2, present 1"),
        "{report}"
    );
    assert!(report.contains("[media-not-in-export] x1"), "{report}");
    assert!(
        report.contains("WhatsApp Chat with Book club 📚.txt:11"),
        "{report}"
    );
    assert!(out.join("archive.jsonl").is_file());
    let v = chatport(&["validate", out.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0));
    // The output exists now: refused without --force, replaced with it.
    let again = chatport(&["import", &sample(), "-o", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("--force"),
        "{}",
        text(&again.stderr)
    );
    let forced = chatport(&["import", &sample(), "-o", out.to_str().unwrap(), "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn report_json_is_one_json_document_with_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("chat.jsonl");
    let o = chatport(&[
        "import",
        &sample(),
        "-o",
        out.to_str().unwrap(),
        "--from",
        "whatsapp",
        "--report",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).expect("--report json prints JSON");
    assert_eq!(r["platform"], "whatsapp");
    assert_eq!(r["detected"], false);
    assert_eq!(r["messages"], 14);
    assert_eq!(r["source_messages"], 14);
    assert_eq!(r["messages_by_kind"]["event"], 4);
    // A .jsonl archive carries no media: the photo that came along is counted as not copied.
    assert_eq!(r["attachments"]["not_copied"], 1);
    assert_eq!(r["validation"]["valid"], true);
    assert_eq!(r["warnings"][0]["code"], "media-not-in-export");
}

#[test]
fn exit_codes_for_bad_input_usage_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let garbage = d.join("garbage.bin");
    std::fs::write(&garbage, [0u8, 159, 146, 150, 255, 0, 1, 2]).unwrap();
    let ambiguous = d.join("WhatsApp Chat with Ann.txt");
    std::fs::write(
        &ambiguous,
        "01/02/21, 10:00 - Ann: hi\n03/04/21, 10:05 - Ben: ho\n",
    )
    .unwrap();
    let out = d.join("out.jsonl");
    let o = out.to_str().unwrap();

    // Not recognised: 1, and the message lists what is supported.
    let r = chatport(&["import", garbage.to_str().unwrap(), "-o", o]);
    assert_eq!(r.status.code(), Some(1));
    let e = text(&r.stderr);
    for p in ["whatsapp", "telegram", "discord", "slack"] {
        assert!(e.contains(p), "{e}");
    }
    // Forced onto a platform it is not: 1, naming the file and line.
    let r = chatport(&[
        "import",
        garbage.to_str().unwrap(),
        "-o",
        o,
        "--from",
        "whatsapp",
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains("garbage.bin:1"),
        "{}",
        text(&r.stderr)
    );
    // Day and month cannot be told apart: 2, naming the option; then it works with it.
    let r = chatport(&["import", ambiguous.to_str().unwrap(), "-o", o]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("--date-order"),
        "{}",
        text(&r.stderr)
    );
    let r = chatport(&[
        "import",
        ambiguous.to_str().unwrap(),
        "-o",
        o,
        "--date-order",
        "mdy",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    // A zone that does not exist, an input that does not exist, a folder that does not exist.
    let r = chatport(&[
        "import",
        &sample(),
        "-o",
        d.join("x.jsonl").to_str().unwrap(),
        "--tz",
        "Mars/Olympus",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("Mars/Olympus"));
    let r = chatport(&[
        "import",
        d.join("nope.txt").to_str().unwrap(),
        "-o",
        d.join("y.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("nope.txt"));
    let r = chatport(&[
        "import",
        &sample(),
        "-o",
        d.join("no/such/dir/z.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    // --force does not replace a folder that is not a chatport bundle.
    let precious = d.join("precious");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("notes.txt"), "mine").unwrap();
    let r = chatport(&[
        "import",
        &sample(),
        "-o",
        precious.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(precious.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
}

#[test]
fn tz_makes_assumed_times_and_output_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.zip");
    let b = dir.path().join("b.zip");
    for out in [&a, &b] {
        let r = chatport(&[
            "import",
            &sample(),
            "-o",
            out.to_str().unwrap(),
            "--tz",
            "Europe/Berlin",
        ]);
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let mut z = zip::ZipArchive::new(std::fs::File::open(&a).unwrap()).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name("archive.jsonl").unwrap(), &mut s).unwrap();
    assert!(s.contains(r#""kind":"assumed","at":"2024-03-14T19:02:00+01:00","local":"2024-03-14T19:02","zone":"Europe/Berlin""#), "{s}");
}

#[test]
fn force_never_replaces_the_input_links_or_special_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let chat = d.join("chat.txt");
    let body = "26/01/20, 10:00 - Ann: hi\n27/01/20, 10:00 - Ben: ho\n";
    std::fs::write(&chat, body).unwrap();
    // The input as its own output, as a bundle or as a file.
    for out in [
        chat.clone(),
        d.to_path_buf(),
        d.join("chat.txt/../chat.txt"),
    ] {
        let r = chatport(&[
            "import",
            chat.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--force",
        ]);
        assert_eq!(
            r.status.code(),
            Some(2),
            "{}: {}",
            out.display(),
            text(&r.stderr)
        );
    }
    assert_eq!(std::fs::read_to_string(&chat).unwrap(), body);
    // A symbolic link and a regular file where a bundle folder was asked for.
    let target = d.join("target.jsonl");
    std::fs::write(&target, "keep").unwrap();
    let link = d.join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let r = chatport(&[
        "import",
        chat.to_str().unwrap(),
        "-o",
        link.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("symbolic link"),
        "{}",
        text(&r.stderr)
    );
    let notes = d.join("notes");
    std::fs::write(&notes, "keep").unwrap();
    let r = chatport(&[
        "import",
        chat.to_str().unwrap(),
        "-o",
        notes.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "keep");
    // A regular file output is replaced with --force.
    let out = d.join("out.jsonl");
    std::fs::write(&out, "old").unwrap();
    let r = chatport(&[
        "import",
        chat.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("{\"type\":\"header\"")
    );
}

#[test]
fn pipes_and_standard_input_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.txt");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let r = chatport(&[
            "import",
            fifo.to_str().unwrap(),
            "-o",
            dir.path().join("o.jsonl").to_str().unwrap(),
        ]);
        assert_eq!(r.status.code(), Some(2));
        assert!(
            text(&r.stderr).contains("not a regular file"),
            "{}",
            text(&r.stderr)
        );
    }
    let r = chatport(&[
        "import",
        "-",
        "-o",
        dir.path().join("o.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("standard input"),
        "{}",
        text(&r.stderr)
    );
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chatport"))
        .args(["import", &sample(), "-o", out.to_str().unwrap()])
        .current_dir(repo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("panicked"));
}
