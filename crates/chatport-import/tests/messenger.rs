//! The Messenger importer against handwritten fixtures (one edge case each, snapshotted), the
//! shared corpus, and inputs that are not Messenger exports.
//!
//! The fixtures are written from the research notes (json-export-formats.md section 5) and the
//! corpus files: Meta's `\u00XX` escapes of UTF-8 bytes, newest-first order, `message_N.json`
//! files, `type` values and media `uri`s relative to the export's root.

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::Value;
use std::path::Path;

const FB: Platform = Platform::Messenger;

fn snapshot(case: &str) -> common::Imported {
    let imp = common::import_fixture(FB, case);
    insta::assert_snapshot!(
        case.trim_end_matches(".json").replace('/', "_"),
        common::snapshot_text(&imp.archive)
    );
    imp
}

fn texts(imp: &common::Imported) -> Vec<String> {
    imp.messages()
        .iter()
        .map(|m| m["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn record<'a>(recs: &'a [Value], kind: &str) -> &'a Value {
    recs.iter()
        .find(|r| r["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} record"))
}

#[test]
fn mojibake_is_repaired_only_where_it_is_mis_encoded() {
    let imp = snapshot("mojibake.json");
    assert_eq!(
        texts(&imp),
        [
            "Tager også først metro 👏",
            "日本語 and 中文",
            // Typed by the user: Meta escaped it twice over; one repair gives it back.
            "I typed Â° on purpose",
            "a lone Ã and Â typed as is",
            "already correct: café naïve 👍 日本語 “quotes”",
        ]
    );
    let msgs = imp.messages();
    assert_eq!(msgs[0]["sender_name"], "Søren Ærø");
    assert_eq!(msgs[0]["reactions"][0]["emoji"], "👍");
    assert_eq!(msgs[0]["reactions"][1]["emoji"], "❤");
    assert_eq!(msgs[0]["reactions"][1]["by"][0]["name"], "Søren Ærø");
    assert_eq!(
        msgs[0]["reactions"][1]["by"][0]["account"],
        msgs[0]["sender"]
    );
    let recs = imp.records();
    assert_eq!(record(&recs, "conversation")["title"], "Søren Ærø");
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let imp = snapshot("bom.json");
    assert_eq!(texts(&imp), ["first", "second"]);
    let input = Input::open(&common::fixtures("messenger").join("bom.json")).unwrap();
    assert_eq!(detect(&input).unwrap(), FB);
}

#[test]
fn thread_files_merge_oldest_first_with_media() {
    let imp = snapshot("multi_file");
    assert_eq!(imp.report.messages, 6);
    let msgs = imp.messages();
    let ordinals: Vec<u64> = msgs
        .iter()
        .map(|m| m["ordinal"].as_u64().unwrap())
        .collect();
    assert_eq!(ordinals, [1, 2, 3, 4, 5, 6]);
    assert_eq!(msgs[0]["text"], "1 oldest");
    assert_eq!(msgs[5]["text"], "6 newest");
    let times: Vec<&str> = msgs
        .iter()
        .map(|m| m["time"]["at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "chronological");
    assert_eq!(times[0], "2023-11-14T22:15:00.000Z");
    // Media in a .jsonl archive are not copied: missing (not copied) or missing (not in the
    // export) for the video and voice clip the fixture leaves out.
    let kinds: Vec<&str> = msgs[0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["gif", "file"]);
    assert_eq!(msgs[4]["attachments"][0]["kind"], "sticker");
    assert_eq!(imp.report.attachments.get("missing"), Some(&2));
}

#[test]
fn media_are_copied_into_a_bundle() {
    let path = common::fixtures("messenger").join("multi_file");
    let imp = common::import_as(&path, FB, "bundle", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.attachments.get("present"), Some(&4));
    assert_eq!(imp.report.attachments.get("missing"), Some(&2));
    let msgs = imp.messages();
    let sticker = &msgs[4]["attachments"][0];
    assert_eq!(sticker["status"], "present");
    let copied = imp.out.join(sticker["path"].as_str().unwrap());
    assert_eq!(std::fs::read(copied).unwrap(), b"\x89PNG fake\n");
    let video = &msgs[1]["attachments"][0];
    assert_eq!(video["kind"], "video");
    assert_eq!(video["status"], "missing");
    // The thumbnail and creation time are kept with the attachment.
    assert_eq!(
        video["extensions"]["com.facebook.messenger"]["creation_timestamp"],
        1700000199
    );
}

#[test]
fn a_zipped_export_with_a_top_folder_imports() {
    let dir = tempfile::tempdir().unwrap();
    let zpath = dir.path().join("facebook-me.zip");
    let src = common::fixtures("messenger").join("multi_file");
    {
        let f = std::fs::File::create(&zpath).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let mut stack = vec![src.clone()];
        let mut files = Vec::new();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        for p in files {
            let rel = p.strip_prefix(&src).unwrap().to_str().unwrap().to_owned();
            z.start_file(
                format!("facebook-me-2024/{rel}"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            std::io::Write::write_all(&mut z, &std::fs::read(&p).unwrap()).unwrap();
        }
        z.finish().unwrap();
    }
    let input = Input::open(&zpath).unwrap();
    assert_eq!(detect(&input).unwrap(), FB);
    let imp = common::import_as(&zpath, FB, "bundle", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 6);
    assert_eq!(imp.report.attachments.get("present"), Some(&4));
}

#[test]
fn the_thread_folder_alone_finds_its_media() {
    let path = common::fixtures("messenger").join("multi_file/messages/inbox/annalee_q1w2e3r4t5");
    let imp = common::import_as(&path, FB, "bundle", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 6);
    // Photo, gif and file are in the folder; the sticker lives outside it.
    assert_eq!(imp.report.attachments.get("present"), Some(&3));
}

#[test]
fn unsent_calls_shares_reactions_joins_and_renames() {
    let imp = snapshot("kinds.json");
    let msgs = imp.messages();
    let by_text = |t: &str| {
        msgs.iter()
            .find(|m| m["text"] == t || m["event"]["text"] == t)
            .unwrap_or_else(|| panic!("no message {t:?}"))
    };
    // Oldest first: the poll (last in the file) is ordinal 1.
    assert_eq!(msgs[0]["text"], "Bob sent a poll.");
    assert_eq!(
        msgs[0]["extensions"]["com.facebook.messenger"]["type"],
        "Poll"
    );
    let extras = &by_text("with extras")["extensions"]["com.facebook.messenger"];
    assert_eq!(extras["ip"], "192.0.2.1");
    assert_eq!(extras["is_geoblocked_for_viewer"], false);
    assert_eq!(extras["bumped_message_metadata"]["is_bumped"], false);
    let look = by_text("look");
    assert_eq!(look["reactions"].as_array().unwrap().len(), 1);
    assert_eq!(look["reactions"][0]["emoji"], "😆");
    assert_eq!(look["reactions"][0]["count"], 2);
    assert_eq!(
        look["reactions"][0]["by"][0]["time"]["at"],
        "2022-04-15T05:20:03Z"
    );
    assert!(look["reactions"][0]["by"][1]["time"].is_null());
    let share = &msgs[3];
    assert_eq!(share["embeds"][0]["url"], "https://example.com/article");
    assert_eq!(share["embeds"][0]["description"], "An article");
    assert!(share["text"].is_null());
    let missed = by_text("You missed a call from Ann.");
    assert_eq!(missed["call"]["outcome"], "missed");
    let call = by_text("Bob called you.");
    assert_eq!(call["call"]["outcome"], "answered");
    assert_eq!(call["call"]["duration_seconds"], 754.0);
    let added = by_text("Ann added Cid and Dee to the group.");
    assert_eq!(added["event"]["kind"], "added");
    assert_eq!(
        added["event"]["target_names"],
        serde_json::json!(["Cid", "Dee"])
    );
    assert_eq!(by_text("Cid left the group.")["event"]["kind"], "left");
    assert_eq!(
        by_text("Ann removed Dee from the group.")["event"]["kind"],
        "removed"
    );
    let renamed = by_text("Ann named the group Trip 2022.");
    assert_eq!(renamed["event"]["kind"], "renamed");
    assert_eq!(renamed["event"]["new_value"], "Trip 2022");
    // A localized line stays text: the importer does not guess at other languages.
    assert!(by_text("Bob hat die Gruppe Reise genannt.")["event"].is_null());
    let unsent = msgs.last().unwrap();
    assert!(unsent["text"].is_null());
    assert_eq!(unsent["deleted"]["placeholder"], "Ann a retiré un message");
    let recs = imp.records();
    let conv = record(&recs, "conversation");
    assert_eq!(conv["kind"], "group");
    let ext = &conv["extensions"]["com.facebook.messenger"];
    assert_eq!(ext["magic_words"][0]["animation_emoji"], "🎂");
    assert_eq!(ext["joinable_mode"]["mode"], 1);
    assert_eq!(ext["thread_type"], "RegularGroup");
}

#[test]
fn a_group_left_with_senders_no_longer_in_it() {
    let imp = snapshot("left_group.json");
    let recs = imp.records();
    let conv = record(&recs, "conversation");
    assert_eq!(
        conv["extensions"]["com.facebook.messenger"]["is_still_participant"],
        false
    );
    assert_eq!(
        conv["platform_id"],
        "archived_threads/oldfriends_a1b2c3d4e5"
    );
    assert_eq!(conv["members"].as_array().unwrap().len(), 3);
    assert_eq!(conv["avatar"]["status"], "missing");
    let names: Vec<&str> = recs
        .iter()
        .filter(|r| r["type"] == "account")
        .map(|r| r["display_name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Eve"),
        "a former member who wrote has an account"
    );
    let msgs = imp.messages();
    assert!(
        msgs[0]["sender"].is_null(),
        "an empty sender_name is no sender"
    );
    assert_eq!(msgs[0]["text"], "no sender");
}

#[test]
fn the_newer_layout_with_numeric_thread_ids() {
    let path = common::fixtures("messenger").join("new_layout");
    let input = Input::open(&path).unwrap();
    assert_eq!(detect(&input).unwrap(), FB);
    let imp = snapshot("new_layout");
    assert_eq!(imp.report.messages, 2);
    let imp = common::import_as(&path, FB, "bundle", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.attachments.get("present"), Some(&1));
}

#[test]
fn a_file_already_in_chronological_order_keeps_it() {
    let imp = snapshot("chronological.json");
    assert_eq!(texts(&imp), ["first", "second", "same millisecond"]);
    let msgs = imp.messages();
    assert_ne!(msgs[1]["id"], msgs[2]["id"]);
    assert!(msgs[2]["id"].as_str().unwrap().ends_with("-2"));
}

#[test]
fn several_threads_in_every_folder_kind() {
    let imp = snapshot("several_threads");
    let recs = imp.records();
    let convs: Vec<&Value> = recs
        .iter()
        .filter(|r| r["type"] == "conversation")
        .collect();
    let ids: Vec<&str> = convs.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(convs.len(), 4);
    // One slug in two folders: the second gets an id of its own.
    assert!(ids.contains(&"fb-c-dup_eeee3333ff"));
    assert!(ids.contains(&"fb-c-ann_aaaa1111bb"));
    assert!(ids.contains(&"fb-c-zed_cccc2222dd"));
    let platform_ids: Vec<&str> = convs
        .iter()
        .map(|c| c["platform_id"].as_str().unwrap())
        .collect();
    assert!(platform_ids.contains(&"archived_threads/dup_eeee3333ff"));
    assert!(platform_ids.contains(&"filtered_threads/dup_eeee3333ff"));
    // Message ids stay apart too, though the two messages share their millisecond.
    let msgs = imp.messages();
    let mut mids: Vec<&str> = msgs.iter().map(|m| m["id"].as_str().unwrap()).collect();
    mids.sort();
    mids.dedup();
    assert_eq!(mids.len(), msgs.len());
    // The files of one thread disagree on is_still_participant: warned, the oldest kept.
    assert!(
        imp.report
            .warnings
            .iter()
            .any(|g| g.code == "thread-files-disagree")
    );
    let ann = convs
        .iter()
        .find(|c| c["id"] == "fb-c-ann_aaaa1111bb")
        .unwrap();
    assert_eq!(
        ann["extensions"]["com.facebook.messenger"]["is_still_participant"],
        true
    );
    let inbox: Vec<&str> = msgs
        .iter()
        .filter(|m| m["conversation"] == "fb-c-ann_aaaa1111bb")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(inbox, ["inbox oldest", "inbox newest"]);
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    common::assert_same_bytes(FB, &["multi_file", "kinds.json", "mojibake.json"]);
}

#[test]
fn fixtures_are_detected_as_messenger() {
    let dir = common::fixtures("messenger");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let input = Input::open(&p).unwrap();
        assert_eq!(detect(&input).unwrap(), FB, "{}", p.display());
    }
}

#[test]
fn other_inputs_are_refused_with_a_location() {
    let kinds = std::fs::read(common::fixtures("messenger").join("kinds.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", kinds[..kinds.len() / 2].to_vec()),
        ("empty.json", Vec::new()),
        ("bom_only.json", b"\xEF\xBB\xBF".to_vec()),
        ("garbage.json", common::garbage()),
        (
            "discord.json",
            br#"{"guild":{"id":"1","name":"G"},"channel":{"id":"2","type":"GuildTextChat","name":"general"},"messages":[{"id":"3","type":"Default","timestamp":"2024-01-01T00:00:00+00:00","content":"hi","author":{"id":"4","name":"a"}}],"messageCount":1}"#.to_vec(),
        ),
        (
            "telegram.json",
            br#"{"name":"Ann","type":"personal_chat","id":1,"messages":[{"id":1,"type":"message","date":"2023-01-01T10:00:00","from":"Ann","text":"hi"}]}"#.to_vec(),
        ),
        (
            "whatsapp.txt",
            b"12/31/23, 9:15 PM - Ann: Happy new year\n12/31/23, 9:16 PM - Bob: You too\n".to_vec(),
        ),
        (
            "slack_day.json",
            br#"[{"type":"message","user":"U1","text":"hi","ts":"1.2"}]"#.to_vec(),
        ),
        ("object.json", b"{}".to_vec()),
        ("wrong_types.json", br#"{"messages":{"sender_name":"a"}}"#.to_vec()),
    ];
    common::assert_refused(FB, &[Platform::Instagram], cases, &["truncated.json"], &[]);
}

#[test]
fn a_folder_without_thread_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "notes.txt", b"hello");
    let input = Input::open(dir.path()).unwrap();
    assert!(detect(&input).is_err());
    let err = match common::import_as(dir.path(), FB, "out.jsonl", ImportOptions::default()) {
        Ok(_) => panic!("imported a folder without thread files"),
        Err(e) => e,
    };
    assert_eq!(err.exit_code(), 1);
}

/// Counts the messages of a thread file independently of the importer.
fn count_messages(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let v: Value = serde_json::from_slice(bytes).unwrap();
    v["messages"].as_array().unwrap().len() as u64
}

#[test]
fn corpus_imports_and_every_message_is_accounted_for() {
    let Some(dir) = common::corpus("messenger") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "the corpus has 2 Messenger files");
    let mut total = 0;
    for f in &files {
        let input = Input::open(f).unwrap();
        assert_eq!(detect(&input).unwrap(), FB, "{} is detected", f.display());
        let expected = count_messages(f);
        let imp = common::import_as(f, FB, "out.jsonl", ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(imp.report.messages, expected, "{}", f.display());
        assert_eq!(imp.report.skipped_total(), 0, "{}", f.display());
        // Chronological: times never go back.
        let times: Vec<String> = imp
            .messages()
            .iter()
            .map(|m| m["time"]["at"].as_str().unwrap().to_owned())
            .collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "{}", f.display());
        total += expected;
    }
    assert_eq!(total, 14);
    // The real Danish chat: mojibake repaired, emoji reactions decoded.
    let imp = common::import_as(
        &dir.join("waultar_message_1.json"),
        FB,
        "out.jsonl",
        ImportOptions::default(),
    )
    .unwrap();
    let all = imp.archive.clone();
    assert!(all.contains("havde alligevel tænkt mig"));
    assert!(all.contains("Tjek 👏"));
    assert!(all.contains("\"emoji\":\"👍\""));
    assert!(!all.contains("Ã"));
}
