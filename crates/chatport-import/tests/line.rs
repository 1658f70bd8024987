//! LINE importer: one handwritten fixture per edge case of the research notes' list (items
//! 18-24 and 45), each with a snapshot of the archive, plus detection, bad input and
//! determinism.
//!
//! There is no LINE export in the shared corpus (no public sample exists as a data file; see
//! corpus/line/PROVENANCE.md). The fixtures under tests/fixtures/line/ are written by hand from
//! the grammar in research/messenger-text-formats.md section 2 (title lines, `Saved on:` lines,
//! date lines, times, tab and space separators, quoting, placeholders, system lines), which
//! itself comes from ChatLab's multi-locale LINE parser and other parsers' inline test strings.

mod common;

use chatport_import::{DateOrder, ImportOptions, Input, Platform, Zone, detect};
use common::{fixtures, import_as, snapshot_text};

fn import(case: &str, options: ImportOptions) -> common::Imported {
    let path = fixtures("line").join(case);
    import_as(&path, Platform::Line, "out.jsonl", options)
        .unwrap_or_else(|e| panic!("importing {case}: {e}"))
}

/// Every fixture with the number of messages it must give, counted by hand (its lines that
/// start with a time after a date line).
const CASES: &[(&str, u64)] = &[
    ("en_direct_quoted_multiline.txt", 16),
    ("en_group_12h_system_lines.txt", 10),
    ("ja_direct_unquoted_continuations.txt", 10),
    ("ja_space_separated.txt", 3),
    ("zh_cn_group_full_width_parens.txt", 5),
    ("zh_tw_direct.txt", 4),
    ("th_direct.txt", 3),
    ("month_first_told_by_weekday.txt", 2),
    ("bom_crlf.txt", 2),
    ("utf16le_bom.txt", 2),
];

#[test]
fn every_fixture_imports_validates_and_matches_its_snapshot() {
    for (case, expected) in CASES {
        let imp = import(case, ImportOptions::default());
        assert_eq!(imp.report.messages, *expected, "{case}: messages");
        assert_eq!(imp.report.skipped_total(), 0, "{case}: nothing skipped");
        insta::assert_snapshot!(case.trim_end_matches(".txt"), snapshot_text(&imp.archive));
    }
}

fn message<'a>(msgs: &'a [serde_json::Value], text: &str) -> &'a serde_json::Value {
    msgs.iter()
        .find(|m| m["text"] == text)
        .unwrap_or_else(|| panic!("no message {text:?}"))
}

#[test]
fn quoted_bodies_lose_their_delimiting_quotes_only() {
    let imp = import("en_direct_quoted_multiline.txt", ImportOptions::default());
    let msgs = imp.messages();
    message(&msgs, "First line\nsecond line\n\nafter a blank line");
    message(&msgs, "\"Quoted\" is how she said it");
    message(&msgs, "\"one line in quotes\"");
    // A quote that never closes ends at the next line of a known sender.
    message(&msgs, "\"Not closed on this line");
    message(&msgs, "ok");
    // Placeholders are missing attachments whose reason is the placeholder.
    let photo = msgs
        .iter()
        .find(|m| m["attachments"][0]["missing_reason"] == "[Photo]")
        .unwrap();
    assert_eq!(photo["attachments"][0]["kind"], "image");
    assert_eq!(photo["attachments"][0]["status"], "missing");
    assert!(photo.get("text").is_none());
    // A location placeholder keeps its address line as text of the same message.
    let loc = msgs
        .iter()
        .find(|m| m["attachments"][0]["missing_reason"] == "[Location]")
        .unwrap();
    assert_eq!(
        loc["text"], "Tokyo Tower",
        "the address line stays with its placeholder"
    );
    let calls: Vec<_> = msgs.iter().filter(|m| m.get("call").is_some()).collect();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0]["call"]["duration_seconds"], 32.0);
    assert_eq!(calls[1]["call"]["outcome"], "missed");
    let unsent = msgs.iter().find(|m| m.get("deleted").is_some()).unwrap();
    assert_eq!(unsent["sender_name"], "Ann Lee");
    assert!(
        unsent["sender"].is_string(),
        "the unsender is a known sender"
    );
}

#[test]
fn twelve_hour_times_and_identical_lines_in_one_minute() {
    let imp = import("en_group_12h_system_lines.txt", ImportOptions::default());
    let msgs = imp.messages();
    assert_eq!(msgs[0]["time"]["at"], "2026-04-26T09:30");
    assert_eq!(msgs[3]["time"]["at"], "2026-04-26T15:05");
    assert_eq!(msgs[5]["time"]["at"], "2026-04-26T22:00");
    assert_eq!(
        msgs[6]["time"]["at"], "2026-04-26T00:05",
        "12:05 AM is just after midnight"
    );
    assert_eq!(
        msgs[7]["time"]["at"], "2026-04-26T12:06",
        "12:06 PM is just after noon"
    );
    assert_ne!(
        msgs[0]["id"], msgs[1]["id"],
        "two identical lines stay two messages"
    );
    assert_eq!(msgs[3]["event"]["kind"], "added");
    assert_eq!(msgs[3]["event"]["target_names"][0], "Cleo");
    assert_eq!(msgs[4]["event"]["kind"], "joined");
    assert_eq!(msgs[6]["event"]["kind"], "renamed");
    assert_eq!(msgs[6]["event"]["new_value"], "Book club 2");
    assert_eq!(
        msgs[9]["event"]["kind"], "other",
        "unknown wordings are kept"
    );
    let conv = imp.conversation();
    assert_eq!(conv["kind"], "group");
    assert_eq!(conv["title"], "Book club");
}

#[test]
fn cjk_prefixed_times_and_weekday_dates() {
    let imp = import(
        "zh_cn_group_full_width_parens.txt",
        ImportOptions::default(),
    );
    let msgs = imp.messages();
    assert_eq!(msgs[0]["time"]["at"], "2026-10-01T09:30");
    assert_eq!(msgs[1]["time"]["at"], "2026-10-01T15:05");
    assert_eq!(msgs[3]["time"]["at"], "2026-10-01T12:10");
    assert_eq!(msgs[4]["time"]["at"], "2026-10-02T00:01");
    let imp = import("month_first_told_by_weekday.txt", ImportOptions::default());
    let msgs = imp.messages();
    assert_eq!(msgs[0]["time"]["at"], "2014-08-14T07:33");
    assert_eq!(msgs[1]["time"]["at"], "2025-11-03T07:34");
}

#[test]
fn an_ambiguous_date_without_a_known_weekday_needs_date_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("chat.txt");
    std::fs::write(
        &p,
        "[LINE] Chat history with Ann\n\nLun, 02/03/2024\n09:15\tAnn\tHola\n",
    )
    .unwrap();
    let out = dir.path().join("out.jsonl");
    let options = ImportOptions {
        platform: Some(Platform::Line),
        ..ImportOptions::default()
    };
    let err = chatport_import::import(&p, &out, &options).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("--date-order"), "{err}");
    let imp = import_as(
        &p,
        Platform::Line,
        "out.jsonl",
        ImportOptions {
            date_order: Some(DateOrder::Mdy),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!(imp.messages()[0]["time"]["at"], "2024-02-03T09:15");
}

#[test]
fn tz_makes_times_assumed_and_ids_do_not_change() {
    let plain = import("bom_crlf.txt", ImportOptions::default());
    let tz = import(
        "bom_crlf.txt",
        ImportOptions {
            tz: Some(Zone::new("Asia/Tokyo").unwrap()),
            ..ImportOptions::default()
        },
    );
    let (a, b) = (plain.messages(), tz.messages());
    assert_eq!(b[0]["time"]["kind"], "assumed");
    assert_eq!(b[0]["time"]["at"], "2024-01-02T09:15:00+09:00");
    assert_eq!(a[0]["id"], b[0]["id"]);
}

#[test]
fn utf16_is_converted_and_legacy_encodings_are_refused_naming_the_file() {
    let imp = import("utf16le_bom.txt", ImportOptions::default());
    assert_eq!(imp.messages()[1]["text"], "こんにちは");
    assert_eq!(imp.messages()[0]["text"], "Hello 🙂");

    let dir = tempfile::tempdir().unwrap();
    // The same text in UTF-16 big-endian with its byte order mark: the same messages.
    let text = "[LINE] Chat history with Ann\n\n2024/01/02(Tue)\n09:15\tAnn\tHello 🙂\n";
    let mut be = vec![0xFE, 0xFF];
    for u in text.encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    let p = dir.path().join("utf16be.txt");
    std::fs::write(&p, &be).unwrap();
    assert_eq!(detect(&Input::open(&p).unwrap()).unwrap(), Platform::Line);
    let imp = import_as(&p, Platform::Line, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.messages()[0]["text"], "Hello 🙂");
    // UTF-16 without a byte order mark cannot be told from binary data: refused, naming it.
    let p = dir.path().join("utf16_no_bom.txt");
    std::fs::write(&p, &be[2..]).unwrap();
    let err = import_as(&p, Platform::Line, "out.jsonl", ImportOptions::default())
        .err()
        .expect("refused");
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("utf16_no_bom.txt:1"), "{err}");
    // Thai in cp874 (TIS-620): "สวัสดี" is bytes 0xCA 0xC7 0xD1 0xCA 0xB4 0xD5.
    let mut bytes =
        b"[LINE] Chat history with Somchai\n\n2024/01/15(Mon)\n10:00\tSomchai\t".to_vec();
    bytes.extend_from_slice(&[0xCA, 0xC7, 0xD1, 0xCA, 0xB4, 0xD5, b'\n']);
    let p = dir.path().join("thai_cp874.txt");
    std::fs::write(&p, bytes).unwrap();
    let err = import_as(&p, Platform::Line, "out.jsonl", ImportOptions::default())
        .err()
        .expect("refused");
    assert_eq!(err.exit_code(), 1);
    let text = err.to_string();
    assert!(text.contains("thai_cp874.txt:4"), "{text}");
    assert!(text.contains("UTF-8"), "{text}");
}

#[test]
fn empty_garbage_wrong_platform_and_truncated_inputs_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| common::write(dir.path(), name, bytes);
    let noise = common::noise(7);
    common::assert_refused(
        Platform::Line,
        &[],
        vec![
            ("empty.txt", Vec::new()),
            ("blank.txt", b"\xEF\xBB\xBF\n\n".to_vec()),
            ("noise.txt", noise),
            (
                "whatsapp.txt",
                b"12/01/2024, 09:15 - Ann: Hello\n12/01/2024, 09:16 - Ben: Hi\n".to_vec(),
            ),
        ],
        &[],
        &[],
    );
    // A file cut in the middle of a line (no final newline, a quote left open) still imports.
    let cut = write(
        "cut.txt",
        b"[LINE] Chat history with Ann\n\n2024/01/15(Mon)\n09:15\tAnn\tHello\n09:16\tAnn\t\"and th",
    );
    let imp = import_as(&cut, Platform::Line, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 2);
    assert_eq!(imp.messages()[1]["text"], "\"and th");
    // A title line alone: no messages, nothing invented.
    let only = write(
        "only.txt",
        b"[LINE] Chat history with Ann\nSaved on: 2024/01/03 09:00\n",
    );
    let imp = import_as(&only, Platform::Line, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 0);
}

#[test]
fn detection_claims_line_files_and_nothing_else() {
    for (case, _) in CASES {
        let input = Input::open(&fixtures("line").join(case)).unwrap();
        assert_eq!(detect(&input).unwrap(), Platform::Line, "{case}");
    }
    for f in ["line_en_chat_history.txt", "line_ja_no_header_line.txt"] {
        let input = Input::open(&fixtures("not-whatsapp").join(f)).unwrap();
        assert_eq!(detect(&input).unwrap(), Platform::Line, "{f}");
    }
    for f in [
        "signal_export_old_chat.md",
        "signal_export_new_chat.md",
        "signal_export_renamed.txt",
    ] {
        let input = Input::open(&fixtures("not-whatsapp").join(f)).unwrap();
        assert_ne!(detect(&input).ok(), Some(Platform::Line), "{f}");
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    for (case, _) in CASES {
        let a = import(case, ImportOptions::default());
        let b = import(case, ImportOptions::default());
        assert_eq!(a.archive, b.archive, "{case}");
    }
}

#[test]
fn every_cut_of_a_fixture_imports_or_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for case in [
        "en_direct_quoted_multiline.txt",
        "ja_direct_unquoted_continuations.txt",
        "utf16le_bom.txt",
    ] {
        let full = std::fs::read(fixtures("line").join(case)).unwrap();
        for cut in (0..full.len()).step_by(5) {
            let p = dir.path().join(format!("cut{cut}.txt"));
            std::fs::write(&p, &full[..cut]).unwrap();
            let out = dir.path().join(format!("cut{cut}.jsonl"));
            let options = ImportOptions {
                platform: Some(Platform::Line),
                ..ImportOptions::default()
            };
            if let Err(e) = chatport_import::import(&p, &out, &options) {
                assert!(matches!(e.exit_code(), 1 | 2), "{case} cut at {cut}: {e}");
            }
        }
    }
}

#[test]
fn a_zip_holding_the_chat_text_imports() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("line.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    z.start_file(
        "[LINE] Chat with Ann Lee.txt",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    let text = std::fs::read(fixtures("line").join("en_direct_quoted_multiline.txt")).unwrap();
    std::io::Write::write_all(&mut z, &text).unwrap();
    z.finish().unwrap();
    assert_eq!(
        detect(&Input::open(&zip_path).unwrap()).unwrap(),
        Platform::Line
    );
    let imp = import_as(
        &zip_path,
        Platform::Line,
        "bundle",
        ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(imp.report.messages, 16);
    let plain = import("en_direct_quoted_multiline.txt", ImportOptions::default());
    let ids = |i: &common::Imported| -> Vec<serde_json::Value> {
        i.messages().iter().map(|m| m["id"].clone()).collect()
    };
    assert_eq!(ids(&imp), ids(&plain), "ids do not depend on the container");
}

#[test]
fn without_its_title_line_the_file_name_gives_the_title() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("[LINE] 花子とのトーク.txt");
    std::fs::copy(
        fixtures("not-whatsapp").join("line_ja_no_header_line.txt"),
        &p,
    )
    .unwrap();
    let imp = import_as(&p, Platform::Line, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 2);
    let conv = imp.conversation();
    assert_eq!(conv["title"], "花子");
    assert_eq!(conv["kind"], "direct");
    let msgs = imp.messages();
    assert_eq!(msgs[1]["attachments"][0]["missing_reason"], "[スタンプ]");
}
