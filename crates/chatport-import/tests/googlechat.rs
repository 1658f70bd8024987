//! The Google Takeout importer (legacy Hangouts.json and Google Chat folders) against
//! handwritten fixtures (one edge case each, snapshotted), the shared corpus, and inputs that
//! are not Google exports.
//!
//! The Hangouts fixtures follow the shape of the corpus file (lmjones81/hangouts_history_parser)
//! and the research notes (section 6.1); the Google Chat fixtures are written from the notes
//! (section 6.2: ChatLab's parser tests, RLEAPP and google-chat-takeout-reader issues), as no
//! public Google Chat Takeout sample exists.

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::Value;
use std::path::Path;

const GC: Platform = Platform::GoogleChat;

fn snapshot(case: &str) -> common::Imported {
    let imp = common::import_fixture(GC, case);
    insta::assert_snapshot!(
        case.trim_end_matches(".json").replace('/', "_"),
        common::snapshot_text(&imp.archive)
    );
    imp
}

fn by_platform_id<'a>(msgs: &'a [Value], id: &str) -> &'a Value {
    msgs.iter()
        .find(|m| m["platform_id"] == id)
        .unwrap_or_else(|| panic!("no message with platform id {id}"))
}

fn covered(m: &Value, kind: &str) -> Vec<String> {
    let text = m["text"].as_str().unwrap_or("");
    m["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["kind"] == kind)
        .map(|s| {
            let start = s["start"].as_u64().unwrap() as usize;
            let end = s["end"].as_u64().unwrap() as usize;
            text.chars().skip(start).take(end - start).collect()
        })
        .collect()
}

fn record<'a>(recs: &'a [Value], id: &str) -> &'a Value {
    recs.iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}

#[test]
fn hangouts_direct_chat_segments_photos_and_calls() {
    let imp = snapshot("hangouts_direct.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 4);
    let first = by_platform_id(&msgs, "ev-1");
    assert_eq!(first["time"]["at"], "2019-09-21T13:43:34.201730Z");
    assert_eq!(first["time"]["kind"], "instant");
    assert_eq!(first["time"]["precision"], "microsecond");
    assert_eq!(
        first["text"],
        "Hi there\nold\nexample.org https://example.com/".replace(" https", "https")
    );
    assert_eq!(covered(first, "bold"), ["there"]);
    assert_eq!(covered(first, "italic"), ["there"]);
    assert_eq!(covered(first, "strikethrough"), ["old"]);
    assert_eq!(covered(first, "underline"), ["old"]);
    assert_eq!(
        covered(first, "link"),
        ["example.org", "https://example.com/"]
    );
    let links: Vec<&Value> = first["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "link")
        .collect();
    assert_eq!(
        links[0]["url"],
        "http://www.google.com/url?q=http://example.org"
    );
    assert!(
        links[1]["url"].is_null(),
        "a link to its own text has no url"
    );
    // Calls: the start has no duration, the end has it; audio only is a voice call.
    let start = by_platform_id(&msgs, "ev-2");
    assert_eq!(start["call"]["media"], "video");
    assert!(start["call"]["duration_seconds"].is_null());
    let end = by_platform_id(&msgs, "ev-3");
    assert_eq!(end["call"]["media"], "voice");
    assert_eq!(end["call"]["duration_seconds"], 24.0);
    assert_eq!(end["call"]["participants"].as_array().unwrap().len(), 2);
    assert_eq!(
        end["extensions"]["com.google.chat"]["hangout_event"]["event_type"],
        "END_HANGOUT"
    );
    // Photos: remote with their address, or missing when the archive gives none.
    let photos = by_platform_id(&msgs, "ev-4");
    let atts = photos["attachments"].as_array().unwrap();
    assert_eq!(atts[0]["status"], "remote");
    assert_eq!(atts[0]["kind"], "image");
    assert_eq!(atts[0]["url"], "https://lh3.example/photo.png");
    assert_eq!(atts[1]["status"], "missing");
    assert_eq!(atts[1]["kind"], "video");
    // The participant without a fallback_name is the exporting user, with no name.
    let recs = imp.records();
    let me = record(&recs, "gc-u-200");
    assert_eq!(me["is_self"], true);
    assert!(me["display_name"].is_null());
    assert_eq!(record(&recs, "gc-u-100")["display_name"], "Ann Example");
    let conv = record(&recs, "gc-c-UgxDirect0001");
    assert_eq!(conv["kind"], "direct");
    assert_eq!(conv["members"].as_array().unwrap().len(), 2);
}

#[test]
fn hangouts_group_renames_membership_unknown_events_and_an_empty_conversation() {
    let imp = snapshot("hangouts_group.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 5);
    let rename = by_platform_id(&msgs, "g-1");
    assert_eq!(rename["event"]["kind"], "renamed");
    assert_eq!(rename["event"]["new_value"], "Climbing");
    assert_eq!(rename["event"]["platform_kind"], "RENAME_CONVERSATION");
    let add = by_platform_id(&msgs, "g-2");
    assert_eq!(add["event"]["kind"], "added");
    assert_eq!(add["event"]["actor"], "gc-u-100");
    assert_eq!(
        add["event"]["targets"],
        serde_json::json!(["gc-u-300", "gc-u-400"])
    );
    assert_eq!(by_platform_id(&msgs, "g-3")["event"]["kind"], "left");
    // Fallback names that are only a phone number or an address fill those fields too.
    let recs = imp.records();
    assert_eq!(record(&recs, "gc-u-300")["phone"], "+15550100");
    assert_eq!(record(&recs, "gc-u-400")["email"], "cy@example.org");
    // A sender missing from participant_data still gets an account.
    assert_eq!(by_platform_id(&msgs, "g-4")["sender"], "gc-u-500");
    let otr = by_platform_id(&msgs, "g-5");
    assert_eq!(otr["event"]["kind"], "other");
    assert_eq!(otr["event"]["platform_kind"], "OTR_MODIFICATION");
    assert_eq!(
        otr["extensions"]["com.google.chat"]["otr_modification"]["new_otr_status"],
        "OFF_THE_RECORD"
    );
    let recs = imp.records();
    let group = record(&recs, "gc-c-UgxGroup0002");
    assert_eq!(group["kind"], "group");
    assert_eq!(group["title"], "Climbing");
    // The conversation with an empty events list is still there.
    let empty = record(&recs, "gc-c-UgxEmpty0003");
    assert_eq!(empty["type"], "conversation");
}

#[test]
fn hangouts_events_before_their_conversation_metadata() {
    let imp = snapshot("hangouts_events_first.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 3);
    assert_eq!(
        imp.report.skipped_total(),
        1,
        "the element that is not an object"
    );
    // A repeated event id gets an id of its own.
    assert_eq!(msgs[2]["platform_id"], "late-1");
    assert_ne!(msgs[2]["id"], msgs[0]["id"]);
    let recs = imp.records();
    let conv = record(&recs, "gc-c-UgxLate0004");
    assert_eq!(conv["kind"], "direct");
    assert_eq!(record(&recs, "gc-u-100")["display_name"], "Ann Example");
    // An unknown segment type is an `other` span naming it.
    let first = by_platform_id(&msgs, "late-1");
    assert_eq!(covered(first, "other"), ["#odd"]);
    assert_eq!(first["spans"][0]["name"], "HASHTAG");
    // A chat message with no content stays visible as an event.
    assert_eq!(by_platform_id(&msgs, "late-2")["event"]["kind"], "other");
}

#[test]
fn a_zipped_takeout_with_hangouts_and_google_chat() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("takeout-20240401.zip");
    {
        let f = std::fs::File::create(&zip_path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default();
        let mut add = |name: &str, from: &Path| {
            z.start_file(name, opts).unwrap();
            std::io::Write::write_all(&mut z, &std::fs::read(from).unwrap()).unwrap();
        };
        let fx = common::fixtures("googlechat");
        add(
            "Takeout/Hangouts/Hangouts.json",
            &fx.join("hangouts_direct.json"),
        );
        let groups = fx.join("takeout/Takeout/Google Chat/Groups");
        for (group, file) in [
            ("DM 5Q1cAAAAE", "messages.json"),
            ("DM 5Q1cAAAAE", "group_info.json"),
            ("DM 5Q1cAAAAE", "File-IMG_0001.jpg"),
        ] {
            add(
                &format!("Takeout/Google Chat/Groups/{group}/{file}"),
                &groups.join(group).join(file),
            );
        }
        z.finish().unwrap();
    }
    let input = Input::open(&zip_path).unwrap();
    assert_eq!(detect(&input).unwrap(), GC);
    let imp = common::import_as(&zip_path, GC, "out.zip", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 4 + 4);
    assert_eq!(imp.report.conversations, 2);
    let msgs = imp.messages();
    let photo = by_platform_id(&msgs, "5Q1cAAAAE/kT1aAAAA/kT1aAAAA");
    assert_eq!(photo["attachments"][0]["status"], "present");
}

#[test]
fn hangouts_before_2015_is_refused_clearly() {
    let path = common::fixtures("googlechat").join("hangouts_before_2015.json");
    let input = Input::open(&path).unwrap();
    assert_eq!(detect(&input).unwrap(), GC);
    let err = match common::import_as(&path, GC, "out.jsonl", ImportOptions::default()) {
        Ok(_) => panic!("the pre-2015 layout was imported"),
        Err(e) => e,
    };
    assert_eq!(err.exit_code(), 1);
    let text = err.to_string();
    assert!(
        text.contains("hangouts_before_2015.json#/conversation_state"),
        "{text}"
    );
    assert!(text.contains("before 2015"), "{text}");
}

fn import_takeout(out: &str) -> common::Imported {
    let path = common::fixtures("googlechat").join("takeout");
    common::import_as(&path, GC, out, ImportOptions::default())
        .unwrap_or_else(|e| panic!("importing the Takeout folder: {e}"))
}

#[test]
fn google_chat_takeout_folders() {
    let imp = import_takeout("out.jsonl");
    insta::assert_snapshot!("takeout", common::snapshot_text(&imp.archive));
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 9);
    let recs = imp.records();
    // The DM: two members, direct; the Space: named, a group.
    let dm = record(&recs, "gc-c-5Q1cAAAAE");
    assert_eq!(dm["kind"], "direct");
    assert_eq!(dm["platform_id"], "DM 5Q1cAAAAE");
    let space = record(&recs, "gc-c-AAAAxyz123");
    assert_eq!(space["kind"], "group");
    assert_eq!(space["title"], "Team trips");
    // user_info.json names the exporting user; a Bot user_type is a bot.
    assert_eq!(record(&recs, "gc-u-bob@example.com")["is_self"], true);
    let bot = recs
        .iter()
        .find(|r| r["display_name"] == "Poll Bot")
        .unwrap();
    assert_eq!(bot["bot"], true);
    // Localized dates with UTC are instants that keep their text.
    let first = by_platform_id(&msgs, "5Q1cAAAAE/kT1aAAAA/kT1aAAAA");
    assert_eq!(first["time"]["at"], "2024-03-05T10:00:00Z");
    assert_eq!(first["time"]["kind"], "instant");
    assert_eq!(
        first["time"]["original"],
        "Tuesday, March 5, 2024 at 10:00:00 AM UTC"
    );
    // An attached file absent from the folder of a .jsonl output is not copied.
    assert_eq!(first["attachments"][0]["status"], "missing");
    assert_eq!(first["attachments"][0]["original_name"], "IMG_0001.jpg");
    // Annotations: bold and a link over the text; updated_date is the edit time.
    let second = by_platform_id(&msgs, "5Q1cAAAAE/pQ2bAAAA/pQ2bAAAA");
    assert_eq!(covered(second, "bold"), ["bold"]);
    assert_eq!(covered(second, "link"), ["https://example.org"]);
    assert_eq!(second["edited"]["time"]["at"], "2024-03-05T10:03:00Z");
    // An attachment the folder does not hold is missing, with a warning.
    let pdf = by_platform_id(&msgs, "5Q1cAAAAE/zZ3cAAAA/zZ3cAAAA");
    assert_eq!(pdf["attachments"][0]["status"], "missing");
    assert!(pdf["text"].is_null());
    // A deleted message has no created_date: no time, but the deletion's.
    let deleted = by_platform_id(&msgs, "5Q1cAAAAE/dD4dAAAA/dD4dAAAA");
    assert!(deleted["time"].is_null());
    assert_eq!(deleted["deleted"]["time"]["at"], "2024-03-05T10:06:00Z");
    assert_eq!(
        deleted["extensions"]["com.google.chat"]["deletion_metadata"]["deletion_type"],
        "CREATOR"
    );
    // Topics are threads: later messages of a topic refer to its first one.
    let root = by_platform_id(&msgs, "AAAAxyz123/T1/T1");
    assert_eq!(covered(root, "mention"), ["@Ann Example"]);
    assert_eq!(root["spans"][0]["account"], "gc-u-ann@example.com");
    assert!(root["thread"].is_null());
    for id in ["AAAAxyz123/T1/M2", "AAAAxyz123/T1/M3"] {
        let m = by_platform_id(&msgs, id);
        assert_eq!(m["thread"]["root"], root["id"], "{id}");
        assert_eq!(m["thread"]["platform_id"], "T1");
    }
    // A quote carries its creator and text, no id.
    let quote = by_platform_id(&msgs, "AAAAxyz123/T2/T2");
    assert_eq!(quote["reply_to"]["quote"], "The coast");
    assert_eq!(quote["reply_to"]["sender_name"], "Ann Example");
    assert!(quote["reply_to"]["message"].is_null());
}

#[test]
fn google_chat_bundle_copies_the_attached_files() {
    let imp = import_takeout("bundle");
    let msgs = imp.messages();
    let first = by_platform_id(&msgs, "5Q1cAAAAE/kT1aAAAA/kT1aAAAA");
    let att = &first["attachments"][0];
    assert_eq!(att["status"], "present");
    let path = imp.out.join(att["path"].as_str().unwrap());
    assert!(path.is_file(), "{} is copied", path.display());
    assert_eq!(att["size"], 19);
    // The files the folder lacks are missing either way.
    let map = by_platform_id(&msgs, "AAAAxyz123/T3/T3");
    assert_eq!(map["attachments"][0]["status"], "missing");
    assert_eq!(imp.report.warning_count("media-not-in-export"), 2);
}

#[test]
fn a_single_group_folder_imports() {
    let path =
        common::fixtures("googlechat").join("takeout/Takeout/Google Chat/Groups/Space AAAAxyz123");
    let input = Input::open(&path).unwrap();
    assert_eq!(detect(&input).unwrap(), GC);
    let imp = common::import_as(&path, GC, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 5);
    let recs = imp.records();
    let space = record(&recs, "gc-c-AAAAxyz123");
    assert_eq!(space["title"], "Team trips");
    assert_eq!(space["kind"], "group");
}

#[test]
fn google_chat_dates_in_several_languages() {
    let imp = snapshot("dates_messages.json");
    let msgs = imp.messages();
    let at = |i: usize| msgs[i]["time"]["at"].as_str().map(str::to_owned);
    assert_eq!(at(0).as_deref(), Some("2026-05-29T17:13:43Z"));
    assert_eq!(at(1).as_deref(), Some("2015-02-15T21:54:36Z"));
    assert_eq!(at(2).as_deref(), Some("2026-05-29T03:00:29Z"));
    // Without a zone: a local time, never an invented offset.
    assert_eq!(at(3).as_deref(), Some("2024-03-05T10:00:00"));
    assert_eq!(msgs[3]["time"]["kind"], "local");
    // An unreadable date: no time, its text kept, and a warning.
    assert!(msgs[4]["time"].is_null());
    assert_eq!(
        msgs[4]["extensions"]["com.google.chat"]["created_date"],
        "last Tuesday"
    );
    assert_eq!(imp.report.warning_count("date-not-read"), 1);
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    common::assert_same_bytes(
        GC,
        &["hangouts_direct.json", "hangouts_group.json", "takeout"],
    );
}

#[test]
fn fixtures_are_detected_as_google_chat() {
    common::assert_detected(
        GC,
        &[
            "hangouts_direct.json",
            "hangouts_group.json",
            "takeout",
            "dates_messages.json",
        ],
    );
}

#[test]
fn other_inputs_are_refused_with_a_location() {
    let good = std::fs::read(common::fixtures("googlechat").join("hangouts_direct.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", good[..good.len() / 2].to_vec()),
        ("empty.json", Vec::new()),
        ("garbage.json", common::garbage()),
        ("discord.json", common::DISCORD_SAMPLE.as_bytes().to_vec()),
        ("telegram.json", common::TELEGRAM_SAMPLE.as_bytes().to_vec()),
        (
            "whatsapp.txt",
            b"12/31/23, 9:15 PM - Ann: Happy new year\n12/31/23, 9:16 PM - Bob: You too\n".to_vec(),
        ),
        ("object.json", b"{}".to_vec()),
        (
            "wrong_types.json",
            br#"{"conversations":{"id":1}}"#.to_vec(),
        ),
    ];
    common::assert_refused(GC, &[], cases, &["truncated.json"], &[]);
}

/// Counts the events of a Hangouts.json independently of the importer.
fn count_hangouts_events(path: &Path) -> u64 {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["events"].as_array().map_or(0, |a| a.len() as u64))
        .sum()
}

#[test]
fn corpus_imports_and_every_message_is_accounted_for() {
    let Some(dir) = common::corpus("googlechat") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 1, "the corpus has one Hangouts.json");
    for f in &files {
        let input = Input::open(f).unwrap();
        assert_eq!(detect(&input).unwrap(), GC, "{} is detected", f.display());
        let expected = count_hangouts_events(f);
        let imp = common::import_as(f, GC, "out.jsonl", ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(imp.report.messages, expected, "{}", f.display());
        assert_eq!(imp.report.skipped_total(), 0);
        assert_eq!(expected, 4);
        let msgs = imp.messages();
        assert_eq!(msgs[0]["text"], "Hi");
        assert_eq!(msgs[2]["call"]["duration_seconds"], 24.0);
        assert_eq!(msgs[3]["attachments"][0]["status"], "remote");
    }
}
