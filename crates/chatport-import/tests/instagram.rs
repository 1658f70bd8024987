//! The Instagram importer against handwritten fixtures (one edge case each, snapshotted), the
//! shared corpus, and inputs that are not Instagram exports.
//!
//! The corpus has only a minimal sample, so the fixtures are written from the research notes
//! (json-export-formats.md section 6: the Messenger schema with Instagram's `share` of posts and
//! reels, `original_content_owner`, display names as `sender_name`, the same `\u00XX`
//! escapes) and from the folder layouts the notes list: `your_instagram_activity/messages/
//! inbox/<username>_<digits>/message_N.json` (2022 on) and `messages/inbox/...` (2020-2021).

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::Value;
use std::path::Path;

const IG: Platform = Platform::Instagram;

fn snapshot(case: &str) -> common::Imported {
    let imp = common::import_fixture(IG, case);
    insta::assert_snapshot!(
        case.trim_end_matches(".json").replace('/', "_"),
        common::snapshot_text(&imp.archive)
    );
    imp
}

#[test]
fn the_current_layout_merges_files_and_repairs_text() {
    let imp = snapshot("export");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 5);
    let texts: Vec<&str> = msgs
        .iter()
        .map(|m| m["text"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        texts,
        [
            "Salut ça va? 😀",
            "",
            "Ann Lée sent an attachment.",
            "Liked a message",
            "Reacted ❤️ to your message ",
        ]
    );
    assert_eq!(msgs[0]["sender_name"], "Ann Lée");
    assert!(msgs[0]["id"].as_str().unwrap().starts_with("ig-m-"));
    let share = &msgs[2];
    assert_eq!(
        share["embeds"][0]["url"],
        "https://www.instagram.com/reel/AbCdEf/"
    );
    assert_eq!(share["embeds"][0]["description"], "Pesto night 🍝");
    assert_eq!(
        share["embeds"][0]["extensions"]["com.instagram"]["original_content_owner"],
        "cookbook.demo"
    );
    assert_eq!(share["reactions"][0]["emoji"], "❤️");
    let conv = &imp.conversation();
    assert_eq!(conv["id"], "ig-c-ann.lee_17841400000000001");
    assert_eq!(conv["platform"], "instagram");
    assert_eq!(conv["title"], "Ann Lée");
    let input = Input::open(&common::fixtures("instagram").join("export")).unwrap();
    assert_eq!(detect(&input).unwrap(), IG);
}

#[test]
fn media_are_copied_into_a_bundle() {
    let path = common::fixtures("instagram").join("export");
    let imp = common::import_as(&path, IG, "bundle", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.attachments.get("present"), Some(&1));
    let photo = &imp.messages()[1]["attachments"][0];
    assert_eq!(photo["status"], "present");
    let copied = imp.out.join(photo["path"].as_str().unwrap());
    assert_eq!(std::fs::read(copied).unwrap(), b"\xff\xd8\xff ig\n");
}

#[test]
fn a_single_file_of_the_older_layout() {
    let imp = snapshot("message_1.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 5);
    // A photo given by its web address stays remote; the video is not in the export.
    let photo = &msgs[0]["attachments"][0];
    assert_eq!(photo["status"], "remote");
    assert_eq!(photo["original_name"], "abc_n.jpg");
    assert_eq!(msgs[0]["attachments"][1]["status"], "missing");
    // Share with only a link (a post), no content.
    assert_eq!(
        msgs[1]["embeds"][0]["url"],
        "https://www.instagram.com/p/XyZ/"
    );
    assert!(msgs[1]["text"].is_null());
    assert_eq!(msgs[2]["attachments"][0]["kind"], "audio");
    assert_eq!(msgs[3]["call"]["duration_seconds"], 95.0);
    assert_eq!(
        msgs[4]["deleted"]["placeholder"],
        "dee_photos unsent a message"
    );
    let input = Input::open(&common::fixtures("instagram").join("message_1.json")).unwrap();
    assert_eq!(detect(&input).unwrap(), IG);
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    common::assert_same_bytes(IG, &["export", "message_1.json"]);
}

#[test]
fn messenger_fixtures_are_not_instagram_and_back() {
    for e in std::fs::read_dir(common::fixtures("messenger")).unwrap() {
        let p = e.unwrap().path();
        let input = Input::open(&p).unwrap();
        assert_ne!(detect(&input).ok(), Some(IG), "{}", p.display());
    }
    for e in std::fs::read_dir(common::fixtures("instagram")).unwrap() {
        let p = e.unwrap().path();
        let input = Input::open(&p).unwrap();
        assert_eq!(detect(&input).ok(), Some(IG), "{}", p.display());
    }
}

#[test]
fn other_inputs_are_refused_with_a_location() {
    let one = std::fs::read(common::fixtures("instagram").join("message_1.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", one[..one.len() / 2].to_vec()),
        ("empty.json", Vec::new()),
        ("garbage.json", common::garbage()),
        ("array.json", b"[1, 2, 3]".to_vec()),
        (
            "chatgpt.json",
            br#"[{"title":"t","mapping":{},"create_time":1}]"#.to_vec(),
        ),
        ("object.json", b"{}".to_vec()),
    ];
    common::assert_refused(IG, &[Platform::Messenger], cases, &["truncated.json"], &[]);
}

/// Counts the messages of a thread file independently of the importer.
fn count_messages(path: &Path) -> u64 {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["messages"].as_array().unwrap().len() as u64
}

#[test]
fn corpus_imports_and_every_message_is_accounted_for() {
    let Some(dir) = common::corpus("instagram") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 1, "the corpus has 1 Instagram file");
    for f in &files {
        let input = Input::open(f).unwrap();
        assert_eq!(detect(&input).unwrap(), IG, "{} is detected", f.display());
        let expected = count_messages(f);
        let imp = common::import_as(f, IG, "out.jsonl", ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(imp.report.messages, expected, "{}", f.display());
        assert_eq!(imp.report.skipped_total(), 0);
        let msgs = imp.messages();
        // Newest first in the file, oldest first in the archive.
        assert_eq!(msgs[0]["text"], "Hello John!");
        assert_eq!(msgs[1]["text"], "Hello Jane!");
        assert_eq!(expected, 2);
    }
}
