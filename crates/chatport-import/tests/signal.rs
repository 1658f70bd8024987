//! Signal importer: one handwritten fixture per edge case of the research notes' list (items
//! 28-32 and 45), each with a snapshot of the archive, the shared corpus, detection, bad input,
//! bundles with media and determinism.
//!
//! The corpus holds one signal-export chat.md (old form, from chat-miner) and no sigtop or
//! data.json output at all (see corpus/signal/PROVENANCE.md). The fixtures under
//! tests/fixtures/signal/ are written by hand from the formats as the tools' sources write
//! them (research/messenger-text-formats.md section 4: carderne/signal-export `models.py`
//! `Message.to_md` and `create.py`, tbvdm/sigtop `cmd/sigtop/fmt_text.go` and `fmt_json.go`);
//! sigtop's JSON objects follow the keys Signal Desktop stores and sigtop reads.

mod common;

use chatport_import::{ImportOptions, Input, Platform, Zone, detect};
use common::{fixtures, import_as, snapshot_text};

fn import(case: &str, out: &str, options: ImportOptions) -> common::Imported {
    let path = fixtures("signal").join(case);
    import_as(&path, Platform::Signal, out, options)
        .unwrap_or_else(|e| panic!("importing {case}: {e}"))
}

/// Every fixture with the number of messages it must give, counted by hand (chat.md lines that
/// start with a date, data.json lines, sigtop text blocks, sigtop JSON array elements).
const CASES: &[(&str, u64)] = &[
    ("export_folder", 13),
    ("old_form_chat.md", 5),
    ("data_json", 7),
    ("sigtop_text.txt", 6),
    ("sigtop.json", 9),
    ("sigtop_short.txt", 8),
];

#[test]
fn every_fixture_imports_validates_and_matches_its_snapshot() {
    for (case, expected) in CASES {
        let imp = import(case, "out.jsonl", ImportOptions::default());
        assert_eq!(imp.report.messages, *expected, "{case}: messages");
        assert_eq!(imp.report.skipped_total(), 0, "{case}: nothing skipped");
        let name = case
            .trim_end_matches(".txt")
            .trim_end_matches(".md")
            .replace('.', "_");
        insta::assert_snapshot!(name, snapshot_text(&imp.archive));
    }
}

fn find<'a>(msgs: &'a [serde_json::Value], text: &str) -> &'a serde_json::Value {
    msgs.iter()
        .find(|m| m["text"] == text)
        .unwrap_or_else(|| panic!("no message {text:?}"))
}

#[test]
fn chat_md_parts_map_to_fields() {
    let imp = import("export_folder", "bundle", ImportOptions::default());
    let msgs = imp.messages();
    assert_eq!(msgs[0]["time"]["at"], "2024-03-05T10:00:00");
    assert_eq!(msgs[0]["time"]["kind"], "local");
    find(&msgs, "Hi!\nSecond line, and a blank one follows\n\nthird");
    let reply = find(&msgs, "Replying to you");
    assert_eq!(reply["reply_to"]["quote"], "Hi!\nSecond line");
    assert_eq!(reply["reactions"][0]["emoji"], "👍");
    assert_eq!(reply["reactions"][0]["count"], 2);
    assert_eq!(reply["reactions"][1]["emoji"], "❤️");
    // `%20` is decoded and the file copied; a file the folder lacks is missing, with a warning.
    let look = find(&msgs, "Look");
    assert_eq!(look["attachments"][0]["status"], "present");
    assert_eq!(look["attachments"][0]["kind"], "image");
    assert_eq!(look["attachments"][0]["original_name"], "photo one.jpg");
    let path = look["attachments"][0]["path"].as_str().unwrap();
    assert!(imp.out.join(path).is_file(), "{path} is in the bundle");
    assert_eq!(look["attachments"][1]["status"], "missing");
    assert_eq!(imp.report.warning_count("media-not-in-export"), 1);
    let sticker = msgs
        .iter()
        .find(|m| m["attachments"][0]["emoji"] == "😀" && m["sender_name"] == "Me")
        .unwrap();
    assert_eq!(sticker["attachments"][0]["status"], "present");
    let deleted = msgs.iter().find(|m| m.get("deleted").is_some()).unwrap();
    assert_eq!(deleted["sender_name"], "Ann Lee");
    let calls: Vec<_> = msgs.iter().filter(|m| m.get("call").is_some()).collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["call"]["duration_seconds"], 65.0);
    assert_eq!(calls[1]["call"]["outcome"], "missed");
    assert_eq!(calls[1]["call"]["media"], "video");
    let anon = find(&msgs, "who wrote this?");
    assert!(anon.get("sender").is_none());
    let voice: Vec<_> = msgs.iter().filter(|m| m["text"] == "voice note").collect();
    assert_eq!(voice.len(), 2);
    assert_ne!(
        voice[0]["id"], voice[1]["id"],
        "identical messages stay two"
    );
    assert_eq!(
        voice[0]["attachments"][0]["missing_reason"],
        "media not exported"
    );
    // A Markdown link in the text is text, not an attachment.
    let link = find(
        &msgs,
        "a [link](https://example.org) in the text, and code without its backticks",
    );
    assert!(link.get("attachments").is_none());
    let me = imp
        .records()
        .into_iter()
        .find(|r| r["type"] == "account" && r["display_name"] == "Me")
        .unwrap();
    assert_eq!(me["is_self"], true);
    let conv = imp.conversation();
    assert_eq!(conv["title"], "Ann Lee");
    assert_eq!(conv["kind"], "direct");
}

#[test]
fn data_json_is_read_rather_than_chat_md() {
    let imp = import("data_json", "bundle", ImportOptions::default());
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 7, "data.json's seven lines, not chat.md's one");
    assert_eq!(msgs[1]["time"]["at"], "2024-03-05T10:01:00.250");
    assert_eq!(msgs[1]["time"]["precision"], "millisecond");
    assert_eq!(msgs[1]["reply_to"]["quote"], "Welcome");
    assert_eq!(msgs[1]["reactions"][0]["count"], 2);
    assert_eq!(msgs[2]["attachments"][0]["status"], "present");
    assert_eq!(msgs[2]["attachments"][1]["status"], "missing");
    assert_eq!(msgs[3]["attachments"][0]["emoji"], "🎉");
    assert!(msgs[4].get("deleted").is_some());
    assert_eq!(msgs[5]["call"]["outcome"], "missed");
    assert_eq!(
        msgs[6]["extensions"]["org.signal"]["edited"], true,
        "unknown keys kept"
    );
    let conv = imp.conversation();
    assert_eq!(conv["kind"], "group");
    assert_eq!(conv["title"], "Book club");
}

#[test]
fn sigtop_text_blocks() {
    let imp = import("sigtop_text.txt", "out.jsonl", ImportOptions::default());
    let msgs = imp.messages();
    assert_eq!(msgs[0]["time"]["kind"], "instant");
    assert_eq!(msgs[0]["time"]["at"], "2024-03-05T10:00:00+01:00");
    let hi = &msgs[1];
    assert_eq!(
        hi["text"],
        "Hi!\n\nTwo paragraphs, the second after a blank line.\n\nFrom: a paragraph that looks like a field"
    );
    assert_eq!(hi["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(hi["attachments"][0]["mime_type"], "image/jpeg");
    assert_eq!(hi["reactions"].as_array().unwrap().len(), 2);
    assert_eq!(msgs[2]["reply_to"]["quote"], "Hi!");
    assert_eq!(
        msgs[2]["reply_to"]["message"], hi["id"],
        "the quote finds its message"
    );
    let edited = &msgs[3];
    assert_eq!(edited["text"], "See you at 8");
    assert_eq!(edited["edited"]["history"][0]["text"], "See you at 6");
    assert_eq!(edited["edited"]["history"][1]["text"], "See you at 7");
    assert_eq!(msgs[4]["event"]["platform_kind"], "group-v2-change");
    assert_eq!(msgs[5]["event"]["platform_kind"], "unknown");
    let conv = imp.conversation();
    assert_eq!(conv["title"], "Ann Lee (+15551234567)");
}

#[test]
fn sigtop_text_short_lines() {
    let imp = import("sigtop_short.txt", "out.jsonl", ImportOptions::default());
    let msgs = imp.messages();
    assert_eq!(msgs[0]["time"]["at"], "2024-03-05T10:00");
    assert_eq!(msgs[0]["time"]["kind"], "local");
    assert_eq!(msgs[1]["text"], "Hi!\nA second line");
    assert_eq!(msgs[2]["text"], "Nice photos");
    assert_eq!(msgs[2]["reply_to"]["sender_name"], "Ann Lee");
    assert!(msgs[2].get("edited").is_some());
    assert_eq!(msgs[2]["attachments"].as_array().unwrap().len(), 2);
    assert!(msgs[3].get("text").is_none());
    assert_eq!(msgs[3]["attachments"].as_array().unwrap().len(), 1);
    assert_eq!(msgs[4]["event"]["platform_kind"], "group-v2-change");
    assert_eq!(msgs[5]["text"], "[not a detail list] but text");
    assert!(msgs[6].get("time").is_none());
    assert_eq!(msgs[6]["sender_name"], "Ben");
    assert_eq!(msgs[7]["text"], "a name: with a colon stays in the text");
    assert_eq!(msgs[0]["sender"], "sg-a-me");
}

#[test]
fn sigtop_json_objects() {
    let imp = import("sigtop.json", "out.jsonl", ImportOptions::default());
    let msgs = imp.messages();
    assert_eq!(msgs[0]["id"], "sg-m-6f1c0a52-0000-4000-8000-000000000001");
    assert_eq!(msgs[0]["time"]["at"], "2024-03-05T09:00:00.000Z");
    assert_eq!(msgs[0]["spans"][0]["kind"], "mention");
    assert_eq!(msgs[1]["time"]["at"], "2024-03-05T09:00:05.123Z");
    // UTF-16 offsets become code points: `😀` is two units but one code point.
    assert_eq!(msgs[1]["spans"][0]["kind"], "bold");
    assert_eq!(msgs[1]["spans"][0]["start"], 2);
    assert_eq!(msgs[1]["spans"][0]["end"], 6);
    assert_eq!(
        msgs[1]["reactions"][0]["by"][0]["time"]["at"],
        "2024-03-05T09:00:10.000Z"
    );
    assert_eq!(
        msgs[1]["extensions"]["org.signal"]["unknownFutureKey"]["a"],
        1
    );
    assert_eq!(msgs[1]["attachments"][0]["status"], "missing");
    for m in &msgs[2..4] {
        assert_eq!(
            m["reply_to"]["message"], msgs[1]["id"],
            "number and string quote ids"
        );
        assert_eq!(m["reply_to"]["platform_id"], "1709629205123");
    }
    assert_eq!(msgs[4]["text"], "See you at 8");
    assert_eq!(msgs[4]["edited"]["history"][0]["text"], "See you at 6");
    assert_eq!(msgs[4]["edited"]["history"][1]["text"], "See you at 7");
    assert_eq!(
        msgs[4]["sender"], msgs[1]["sender"],
        "sourceUuid is the same account"
    );
    assert_eq!(msgs[5]["attachments"][0]["kind"], "sticker");
    assert!(msgs[6].get("deleted").is_some());
    assert_eq!(msgs[7]["call"]["outcome"], "missed");
    assert_eq!(msgs[7]["extensions"]["org.signal"]["type"], "call-history");
    let conv = imp.conversation();
    assert_eq!(conv["platform_id"], "c0ffee00-0000-4000-8000-0000000000aa");
}

#[test]
fn tz_makes_export_times_assumed_and_leaves_sigtop_instants() {
    let tz = || ImportOptions {
        tz: Some(Zone::new("Europe/Berlin").unwrap()),
        ..ImportOptions::default()
    };
    let a = import("old_form_chat.md", "out.jsonl", ImportOptions::default());
    let b = import("old_form_chat.md", "out.jsonl", tz());
    assert_eq!(b.messages()[0]["time"]["kind"], "assumed");
    assert_eq!(b.messages()[0]["time"]["at"], "2019-12-24T12:23:00+01:00");
    assert_eq!(a.messages()[0]["id"], b.messages()[0]["id"]);
    let s = import("sigtop_text.txt", "out.jsonl", tz());
    assert_eq!(s.messages()[0]["time"]["kind"], "instant");
}

#[test]
fn corpus_files_import_with_independent_counts() {
    let Some(dir) = common::corpus("signal") else {
        return;
    };
    let md = dir.join("chatminer_signal-export-md_test_export.txt");
    let text = std::fs::read_to_string(&md).unwrap();
    // An independent count: lines that open with `[YYYY-MM-DD`.
    let expected = text
        .lines()
        .filter(|l| {
            let b = l.as_bytes();
            b.len() > 11 && b[0] == b'[' && b[1..5].iter().all(u8::is_ascii_digit) && b[5] == b'-'
        })
        .count() as u64;
    let imp = import_as(&md, Platform::Signal, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages + imp.report.skipped_total(), expected);
    assert_eq!(imp.report.messages, 2);
    assert_eq!(imp.messages()[1]["text"], "Hello\nJane!");
    assert_eq!(
        detect(&Input::open(&md).unwrap()).unwrap(),
        Platform::Signal
    );
    // chat-miner's expected parse is not an export: claimed by nobody.
    let target = dir.join("chatminer_signal_expected-parse_target.json");
    assert!(detect(&Input::open(&target).unwrap()).is_err());
}

#[test]
fn detection_claims_signal_files_and_nothing_else() {
    for (case, _) in CASES {
        let input = Input::open(&fixtures("signal").join(case)).unwrap();
        assert_eq!(detect(&input).unwrap(), Platform::Signal, "{case}");
    }
    let chat = fixtures("signal").join("export_folder/Ann Lee/chat.md");
    assert_eq!(
        detect(&Input::open(&chat).unwrap()).unwrap(),
        Platform::Signal
    );
    for f in ["line_en_chat_history.txt", "line_ja_no_header_line.txt"] {
        let input = Input::open(&fixtures("not-whatsapp").join(f)).unwrap();
        assert_ne!(detect(&input).ok(), Some(Platform::Signal), "{f}");
    }
    for f in [
        "signal_export_old_chat.md",
        "signal_export_new_chat.md",
        "signal_export_renamed.txt",
    ] {
        let input = Input::open(&fixtures("not-whatsapp").join(f)).unwrap();
        assert_eq!(detect(&input).unwrap(), Platform::Signal, "{f}");
    }
    // Every other platform's fixtures stay theirs.
    for platform in ["whatsapp", "telegram", "discord", "slack", "line"] {
        for e in std::fs::read_dir(fixtures(platform)).unwrap() {
            let p = e.unwrap().path();
            if let Ok(input) = Input::open(&p) {
                assert_ne!(
                    detect(&input).ok(),
                    Some(Platform::Signal),
                    "{}",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn empty_garbage_wrong_platform_and_truncated_inputs_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| common::write(dir.path(), name, bytes);
    let noise = common::noise(99);
    common::assert_refused(
        Platform::Signal,
        &[],
        vec![
            ("empty.md", Vec::new()),
            ("noise.json", noise),
            (
                "whatsapp.txt",
                b"[12/01/2024, 09:15:00] Ann: Hello\n[12/01/2024, 09:16:00] Ben: Hi\n".to_vec(),
            ),
            (
                "line.txt",
                b"[LINE] Chat history with Ann\n\n2024/01/15(Mon)\n09:15\tAnn\tHi\n".to_vec(),
            ),
        ],
        &[],
        &[],
    );
    // Truncated JSON: an error naming file, line and column.
    let full = std::fs::read(fixtures("signal").join("sigtop.json")).unwrap();
    let cut = write("cut.json", &full[..full.len() / 2]);
    let err = import_as(
        &cut,
        Platform::Signal,
        "out.jsonl",
        ImportOptions::default(),
    )
    .err()
    .expect("refused");
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("cut.json:"), "{err}");
    let full = std::fs::read(fixtures("signal").join("data_json/Book club/data.json")).unwrap();
    let cut = write("data.json", &full[..full.len() - 20]);
    let err = import_as(
        &cut,
        Platform::Signal,
        "out.jsonl",
        ImportOptions::default(),
    )
    .err()
    .expect("refused");
    assert!(err.to_string().contains("data.json:7"), "{err}");
    // A chat.md cut in the middle of a line, with no final newline, still imports.
    let p = write(
        "chat.md",
        b"[2024-03-05 10:00:00] Me: hi  \n[2024-03-05 10:00:05] Ann: hel",
    );
    let imp = import_as(&p, Platform::Signal, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 2);
    assert_eq!(imp.messages()[1]["text"], "hel");
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    for (case, _) in CASES {
        let a = import(case, "out.jsonl", ImportOptions::default());
        let b = import(case, "out.jsonl", ImportOptions::default());
        assert_eq!(a.archive, b.archive, "{case}");
    }
    let a = import("export_folder", "out.zip", ImportOptions::default());
    let b = import("export_folder", "out.zip", ImportOptions::default());
    assert_eq!(
        std::fs::read(&a.out).unwrap(),
        std::fs::read(&b.out).unwrap()
    );
}

#[test]
fn every_cut_of_a_fixture_imports_or_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for (case, name) in [
        ("export_folder/Ann Lee/chat.md", "chat.md"),
        ("data_json/Book club/data.json", "data.json"),
        ("sigtop_text.txt", "sigtop.txt"),
        ("sigtop.json", "sigtop.json"),
        ("sigtop_short.txt", "short.txt"),
    ] {
        let full = std::fs::read(fixtures("signal").join(case)).unwrap();
        for cut in (0..full.len()).step_by(7) {
            let sub = dir.path().join(format!("cut{cut}"));
            std::fs::create_dir_all(&sub).unwrap();
            let p = sub.join(name);
            std::fs::write(&p, &full[..cut]).unwrap();
            let out = dir.path().join(format!("{name}-cut{cut}.jsonl"));
            let options = ImportOptions {
                platform: Some(Platform::Signal),
                ..ImportOptions::default()
            };
            if let Err(e) = chatport_import::import(&p, &out, &options) {
                assert_eq!(e.exit_code(), 1, "{case} cut at {cut}: {e}");
            }
            let _ = std::fs::remove_dir_all(&sub);
        }
    }
}

#[test]
fn a_zipped_export_folder_with_a_top_folder_imports_with_its_media() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("signal-chats.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let root = fixtures("signal").join("export_folder");
    for rel in [
        "Ann Lee/chat.md",
        "Ann Lee/media/photo one.jpg",
        "exported_stickers/pack1/3.webp",
    ] {
        z.start_file(
            format!("signal-chats/{rel}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(&mut z, &std::fs::read(root.join(rel)).unwrap()).unwrap();
    }
    z.finish().unwrap();
    assert_eq!(
        detect(&Input::open(&zip_path).unwrap()).unwrap(),
        Platform::Signal
    );
    let imp = import_as(
        &zip_path,
        Platform::Signal,
        "bundle",
        ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(imp.report.messages, 13);
    let look = find(&imp.messages(), "Look").clone();
    assert_eq!(look["attachments"][0]["status"], "present");
    let conv = imp.conversation();
    assert_eq!(conv["title"], "Ann Lee");
}
