//! The Matrix importer (Element's "Export chat" JSON) against handwritten fixtures (one edge
//! case each, snapshotted) and inputs that are not Element exports.
//!
//! No public Element export file exists (see the corpus' matrix/PROVENANCE.md): the fixtures
//! are written from the research notes (json-export-formats.md section 4: Element's
//! JSONExport.ts writes the room's metadata and each event's `toJSON()`) and the Matrix client-
//! server specification's event shapes (m.room.message msgtypes, m.relates_to, redactions,
//! state events).

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::{Value, json};

const MX: Platform = Platform::Matrix;

fn snapshot(case: &str) -> common::Imported {
    let imp = common::import_fixture(MX, case);
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

fn record<'a>(recs: &'a [Value], id: &str) -> &'a Value {
    recs.iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}

#[test]
fn messages_media_membership_and_state_events() {
    let imp = snapshot("room_events.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 23);
    assert_eq!(imp.report.skipped_total(), 0);
    let recs = imp.records();
    let conv = record(&recs, "mx-c-!hike:example.org");
    assert_eq!(conv["title"], "Hiking club");
    assert_eq!(conv["description"], "Weekend trips");
    assert_eq!(conv["created"]["at"], "2024-03-05T00:53:20.000Z");
    assert_eq!(conv["extensions"]["org.matrix"]["exported_by"], "Bob");
    // exported_by names Bob's display name: his account is the exporting user's.
    let bob = record(&recs, "mx-u-@bob:example.org");
    assert_eq!(bob["is_self"], true);
    assert_eq!(bob["display_name"], "Bob");
    assert_eq!(bob["handle"], "@bob:example.org");
    // Text: the plain body, the HTML kept beside it; ms timestamps are instants.
    let t1 = by_platform_id(&msgs, "$t1");
    assert_eq!(t1["text"], "Saturday: **Ben Nevis**");
    assert_eq!(t1["time"]["at"], "2024-03-05T00:55:00.123Z");
    assert_eq!(t1["time"]["precision"], "millisecond");
    assert_eq!(
        t1["extensions"]["org.matrix"]["content"]["formatted_body"],
        "Saturday: <strong>Ben Nevis</strong>"
    );
    // A reply: its quoted fallback goes to the quote.
    let t2 = by_platform_id(&msgs, "$t2");
    assert_eq!(t2["text"], "I'm in");
    assert_eq!(t2["reply_to"]["message"], t1["id"]);
    assert_eq!(
        t2["reply_to"]["quote"],
        "<@alice:example.org> Saturday: **Ben Nevis**"
    );
    assert_eq!(
        by_platform_id(&msgs, "$t3")["extensions"]["org.matrix"]["content"]["msgtype"],
        "m.notice"
    );
    // A thread reply with the falling-back reply is in the thread, not a reply.
    let th = by_platform_id(&msgs, "$th1");
    assert_eq!(th["thread"]["root"], t1["id"]);
    assert!(th["reply_to"].is_null());
    // Media: remote at their mxc:// address, never downloaded.
    let img = &by_platform_id(&msgs, "$img")["attachments"][0];
    assert_eq!(img["status"], "remote");
    assert_eq!(img["url"], "mxc://example.org/summit");
    assert_eq!(img["width"], 1024);
    assert_eq!(img["original_name"], "summit.jpg");
    let file = by_platform_id(&msgs, "$file");
    assert_eq!(file["text"], "Route for Saturday");
    assert_eq!(file["attachments"][0]["original_name"], "route.gpx");
    let voice = &by_platform_id(&msgs, "$voice")["attachments"][0];
    assert_eq!(voice["kind"], "voice");
    assert_eq!(voice["url"], "mxc://example.org/voice");
    assert_eq!(voice["duration_seconds"], 4.5);
    assert_eq!(
        by_platform_id(&msgs, "$video")["attachments"][0]["kind"],
        "video"
    );
    let loc = by_platform_id(&msgs, "$loc");
    assert_eq!(loc["location"]["latitude"], 56.7969);
    assert_eq!(loc["location"]["name"], "Car park");
    assert_eq!(
        by_platform_id(&msgs, "$sticker")["attachments"][0]["kind"],
        "sticker"
    );
    // Events.
    let kind = |id: &str| by_platform_id(&msgs, id)["event"]["kind"].clone();
    assert_eq!(kind("$create"), "created");
    assert_eq!(kind("$m1"), "joined");
    assert_eq!(kind("$enc"), "encryption_notice");
    let name = by_platform_id(&msgs, "$name");
    assert_eq!(name["event"]["kind"], "renamed");
    assert_eq!(name["event"]["old_value"], "Hiking");
    assert_eq!(kind("$topic"), "description_changed");
    assert_eq!(kind("$avatar"), "photo_changed");
    assert_eq!(kind("$m2"), "other");
    assert_eq!(
        by_platform_id(&msgs, "$m2")["event"]["platform_kind"],
        "m.room.member:invite"
    );
    assert_eq!(kind("$m3"), "joined");
    assert_eq!(kind("$m4"), "removed");
    assert_eq!(kind("$m5"), "left");
    let enc = by_platform_id(&msgs, "$undecryptable");
    assert_eq!(enc["event"]["platform_kind"], "m.room.encrypted");
    assert_eq!(
        enc["extensions"]["org.matrix"]["content"]["session_id"],
        "SESS"
    );
    let poll = by_platform_id(&msgs, "$poll");
    assert_eq!(poll["event"]["platform_kind"], "m.poll.start");
    assert_eq!(
        poll["extensions"]["org.matrix"]["content"]["m.poll"]["question"]["m.text"],
        "Start time?"
    );
}

#[test]
fn edits_reactions_and_redactions_are_applied_to_their_target() {
    let imp = snapshot("relations.json");
    let msgs = imp.messages();
    let r = &imp.report;
    // 15 events: 2 edits, 2 reactions and 2 redactions merged; 1 redacted reaction.
    assert_eq!(r.source_messages, 15);
    assert_eq!(r.messages, 8);
    assert_eq!(r.skipped_total(), 7);
    let orig = by_platform_id(&msgs, "$orig");
    assert_eq!(orig["text"], "Meet at 10:30");
    assert_eq!(orig["edited"]["time"]["at"], "2024-03-05T00:58:20.000Z");
    assert_eq!(orig["edited"]["by"], "mx-u-@alice:example.org");
    let history: Vec<&str> = orig["edited"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["text"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["Meet at 9", "Meet at 10"]);
    // Reactions grouped by key with who and when; the redacted one is gone.
    let reactions = orig["reactions"].as_array().unwrap();
    assert_eq!(reactions.len(), 1);
    assert_eq!(reactions[0]["emoji"], "👍");
    assert_eq!(reactions[0]["count"], 2);
    assert_eq!(reactions[0]["by"][1]["account"], "mx-u-@carol:example.org");
    // An edit by someone else than the sender is not applied: it stays a message of its own.
    let hijack = by_platform_id(&msgs, "$e-bob");
    assert_eq!(hijack["text"], "hijack");
    assert_eq!(hijack["edited"]["by"], "mx-u-@bob:example.org");
    // Relations whose target is not in the export are kept as messages.
    let orphan = by_platform_id(&msgs, "$e-orphan");
    assert_eq!(orphan["text"], "fixed typo");
    assert_eq!(
        orphan["extensions"]["org.matrix"]["content"]["edit"]["replaces"],
        "$before-export"
    );
    let r_orphan = by_platform_id(&msgs, "$r-orphan");
    assert_eq!(r_orphan["event"]["platform_kind"], "m.reaction");
    assert_eq!(r_orphan["event"]["new_value"], "❤️");
    // Redactions: by a redaction event, by redacted_because, and of an event not exported.
    let gone = by_platform_id(&msgs, "$gone");
    assert_eq!(gone["deleted"]["by"], "mx-u-@bob:example.org");
    assert_eq!(
        gone["extensions"]["org.matrix"]["relations"]["redaction"]["reason"],
        "wrong room"
    );
    let stripped = by_platform_id(&msgs, "$stripped");
    assert_eq!(stripped["deleted"]["by"], "mx-u-@alice:example.org");
    assert_eq!(
        stripped["deleted"]["time"]["at"],
        "2024-03-05T01:10:00.000Z"
    );
    assert_eq!(
        by_platform_id(&msgs, "$red-orphan")["event"]["platform_kind"],
        "m.room.redaction"
    );
    let recs = imp.records();
    assert_eq!(record(&recs, "mx-u-@alice:example.org")["is_self"], true);
}

#[test]
fn an_empty_room_still_gives_the_conversation() {
    let imp = snapshot("empty_room.json");
    assert_eq!(imp.report.messages, 0);
    let conv = &imp.conversation();
    assert_eq!(conv["title"], "Quiet");
}

#[test]
fn a_zip_with_export_json_and_media_imports() {
    // Element's zip: export.json and the media it fetched, named
    // `<folder>/<body stem>-<localized date><ext>`.
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("matrix-export-Mar 5 2024.zip");
    {
        let f = std::fs::File::create(&zip_path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default();
        let body = std::fs::read(common::fixtures("matrix").join("room_events.json")).unwrap();
        for (name, bytes) in [
            ("export.json", body.as_slice()),
            (
                "images/summit-Tue, Mar 5 2024, 01:10:00.jpg",
                b"jpeg".as_slice(),
            ),
            (
                "stickers/thumbs up-Tue, Mar 5 2024, 01:18:20.png",
                b"png1".as_slice(),
            ),
            (
                "stickers/thumbs up-Wed, Mar 6 2024, 09:00:00.png",
                b"png2".as_slice(),
            ),
        ] {
            z.start_file(name, opts).unwrap();
            std::io::Write::write_all(&mut z, bytes).unwrap();
        }
        z.finish().unwrap();
    }
    let input = Input::open(&zip_path).unwrap();
    assert_eq!(detect(&input).unwrap(), MX);
    let imp = common::import_as(&zip_path, MX, "bundle", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 23);
    let msgs = imp.messages();
    let img = &by_platform_id(&msgs, "$img")["attachments"][0];
    assert_eq!(img["status"], "present");
    assert_eq!(img["size"], 4);
    assert_eq!(img["url"], "mxc://example.org/summit");
    assert_eq!(img["original_name"], "summit.jpg");
    assert!(imp.out.join(img["path"].as_str().unwrap()).is_file());
    // Two files fit the sticker: none is taken, and the report says so.
    let sticker = &by_platform_id(&msgs, "$sticker")["attachments"][0];
    assert_eq!(sticker["status"], "remote");
    assert_eq!(imp.report.warning_count("media-ambiguous"), 1);
    // Into a single .jsonl file nothing is copied: the attachment stays remote.
    let imp = common::import_as(&zip_path, MX, "out.jsonl", ImportOptions::default()).unwrap();
    let msgs = imp.messages();
    let img = &by_platform_id(&msgs, "$img")["attachments"][0];
    assert_eq!(img["status"], "remote");
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    common::assert_same_bytes(MX, &["room_events.json", "relations.json"]);
}

#[test]
fn fixtures_are_detected_as_matrix() {
    common::assert_detected(
        MX,
        &["room_events.json", "relations.json", "empty_room.json"],
    );
}

#[test]
fn other_inputs_are_refused_with_a_location() {
    let good = std::fs::read(common::fixtures("matrix").join("room_events.json")).unwrap();
    let discord = json!({"guild":{"id":"1","name":"G"},"channel":{"id":"2","type":"GuildTextChat","name":"general"},"messages":[{"id":"3","type":"Default","timestamp":"2024-01-01T00:00:00+00:00","content":"hi","author":{"id":"4","name":"a"}}]});
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", good[..good.len() / 2].to_vec()),
        ("empty.json", Vec::new()),
        ("garbage.json", common::garbage()),
        ("discord.json", discord.to_string().into_bytes()),
        ("telegram.json", common::TELEGRAM_SAMPLE.as_bytes().to_vec()),
        (
            "whatsapp.txt",
            b"12/31/23, 9:15 PM - Ann: Happy new year\n12/31/23, 9:16 PM - Bob: You too\n".to_vec(),
        ),
        ("object.json", b"{}".to_vec()),
        (
            "wrong_types.json",
            br#"{"room_name":"x","messages":{"id":1}}"#.to_vec(),
        ),
    ];
    common::assert_refused(MX, &[], cases, &["truncated.json"], &[]);
}

#[test]
fn the_corpus_has_no_matrix_export_to_import() {
    // The corpus folder holds only PROVENANCE.md (no public Element export was found); when
    // files are added, they must import and be accounted for.
    let Some(dir) = common::corpus("matrix") else {
        return;
    };
    for f in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
        if f.extension().is_some_and(|e| e == "json") {
            let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
            let expected = v["messages"].as_array().map_or(0, |a| a.len() as u64);
            let imp = common::import_as(&f, MX, "out.jsonl", ImportOptions::default()).unwrap();
            assert_eq!(imp.report.source_messages, expected, "{}", f.display());
        }
    }
}
