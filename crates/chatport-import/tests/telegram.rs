//! The Telegram importer against handwritten fixtures (one edge case each, snapshotted), the
//! shared corpus, and inputs that are not Telegram exports.

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::Value;
use std::path::Path;

const TG: Platform = Platform::Telegram;

fn snapshot(case: &str) -> common::Imported {
    let imp = common::import_fixture(TG, case);
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

fn span<'a>(m: &'a Value, kind: &str) -> &'a Value {
    m["spans"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["kind"] == kind))
        .unwrap_or_else(|| panic!("no {kind} span in {m}"))
}

fn covered(m: &Value, s: &Value) -> String {
    let text = m["text"].as_str().unwrap_or("");
    let start = s["start"].as_u64().unwrap() as usize;
    let end = s["end"].as_u64().unwrap() as usize;
    text.chars().skip(start).take(end - start).collect()
}

#[test]
fn single_chat_export() {
    let imp = snapshot("single_chat.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["time"]["at"], "2023-05-01T09:15:00Z");
    assert_eq!(msgs[0]["time"]["kind"], "instant");
    assert_eq!(msgs[1]["reply_to"]["message"], msgs[0]["id"]);
    let conv = &imp.records()[imp
        .records()
        .iter()
        .position(|r| r["type"] == "conversation")
        .unwrap()];
    assert_eq!(conv["kind"], "direct");
    assert_eq!(conv["title"], "Ann");
    // A personal chat's id is the peer's user id: the other writer is the exporting account.
    let recs = imp.records();
    let me = recs.iter().find(|r| r["id"] == "tg-u-1000").unwrap();
    assert_eq!(me["is_self"], true);
    let ann = recs.iter().find(|r| r["id"] == "tg-u-4000000001").unwrap();
    assert!(ann["is_self"].is_null());
}

#[test]
fn me_option_marks_the_exporting_account() {
    let path = common::fixtures("telegram").join("no_personal_information.json");
    let options = ImportOptions {
        me: Some("Mum".into()),
        ..ImportOptions::default()
    };
    let imp = common::import_as(&path, TG, "out.jsonl", options).unwrap();
    let recs = imp.records();
    let mum = recs.iter().find(|r| r["id"] == "tg-u-5151").unwrap();
    assert_eq!(mum["is_self"], true);
}

#[test]
fn full_account_export_with_left_chats_and_self() {
    let imp = snapshot("full_account");
    let recs = imp.records();
    let me = recs
        .iter()
        .find(|r| r["id"] == "tg-u-1000")
        .expect("self account");
    assert_eq!(me["is_self"], true);
    assert_eq!(me["handle"], "memyself");
    let bob = recs.iter().find(|r| r["id"] == "tg-u-2000").expect("bob");
    assert_eq!(
        bob["phone"], "+1 555 0200",
        "the contact completes the sender's account"
    );
    let kinds: Vec<(&str, &str)> = recs
        .iter()
        .filter(|r| r["type"] == "conversation")
        .map(|r| (r["id"].as_str().unwrap(), r["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("tg-c-2000", "direct"),
            ("tg-c-1000", "self_chat"),
            ("tg-c-3000", "direct"),
            ("tg-c-9000", "channel")
        ]
    );
    let left = recs.iter().find(|r| r["id"] == "tg-c-9000").unwrap();
    assert_eq!(left["extensions"]["org.telegram"]["left"], true);
    assert_eq!(imp.report.messages, 4);
    let post = by_platform_id(&imp.messages(), "77").clone();
    assert_eq!(post["extensions"]["org.telegram"]["author"], "Editor Eve");
}

#[test]
fn full_export_without_personal_information() {
    let imp = snapshot("no_personal_information.json");
    assert!(imp.records().iter().all(|r| r["is_self"].is_null()));
    let m = &imp.messages()[0];
    assert_eq!(m["sender"], "tg-u-5151");
    assert_eq!(
        m["time"]["kind"], "local",
        "no date_unixtime: a local time, no invented zone"
    );
}

#[test]
fn empty_messages_array_still_gives_the_conversation() {
    let imp = snapshot("empty_messages.json");
    assert_eq!(imp.report.messages, 0);
    assert_eq!(imp.report.conversations, 1);
}

#[test]
fn chat_metadata_after_the_messages() {
    let imp = snapshot("messages_before_metadata.json");
    let conv = &imp.conversation();
    assert_eq!(conv["kind"], "channel");
    assert_eq!(conv["title"], "Late metadata channel");
    assert_eq!(conv["platform_id"], "1555000000");
    let msgs = imp.messages();
    assert_eq!(msgs[1]["reply_to"]["message"], msgs[0]["id"]);
}

#[test]
fn a_chat_listed_twice_and_a_null_name() {
    let imp = snapshot("chat_listed_twice.json");
    let recs = imp.records();
    let convs: Vec<&Value> = recs
        .iter()
        .filter(|r| r["type"] == "conversation")
        .collect();
    assert_eq!(convs.len(), 2, "both copies are kept, under distinct ids");
    assert_ne!(convs[0]["id"], convs[1]["id"]);
    assert!(convs[0]["title"].is_null(), "a null name gives no title");
    assert!(
        imp.report
            .warnings
            .iter()
            .any(|w| w.code == "duplicate-chat")
    );
    assert_eq!(imp.report.messages, 2);
}

#[test]
fn text_forms_and_every_entity_type() {
    let imp = snapshot("text_entities.json");
    let msgs = imp.messages();
    assert_eq!(by_platform_id(&msgs, "1")["text"], "plain string text");
    let m = by_platform_id(&msgs, "2");
    // The leading emoji is one code point (two UTF-16 units): spans count code points.
    let bold = span(m, "bold");
    assert_eq!(
        (bold["start"].as_u64(), bold["end"].as_u64()),
        (Some(2), Some(3))
    );
    for (kind, text) in [
        ("bold", "b"),
        ("italic", "i"),
        ("underline", "u"),
        ("strikethrough", "s"),
        ("code", "x=1"),
        ("hashtag", "#tag"),
        ("cashtag", "$USD"),
        ("bot_command", "/start"),
        ("email", "a@b.c"),
        ("phone", "+1 555"),
        ("spoiler", "hidden"),
        ("quote", "quoted"),
        ("custom_emoji", "👍"),
    ] {
        assert_eq!(covered(m, span(m, kind)), text, "{kind}");
    }
    let pre = span(m, "pre");
    assert_eq!(pre["language"], "rust");
    let links: Vec<&Value> = m["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "link")
        .collect();
    assert_eq!(links[0]["url"], "https://example.org/a");
    assert!(
        links[1]["url"].is_null(),
        "a bare link's text is its address"
    );
    let mention_name = m["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["account"] == "tg-u-33")
        .expect("mention_name points at the user's account");
    assert_eq!(covered(m, mention_name), "Carol");
    let others: Vec<&str> = m["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "other")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(others, ["bank_card", "future_entity"]);
    assert_eq!(
        m["extensions"]["org.telegram"]["entity_attributes"][0]["colour"], "red",
        "an unknown entity's attributes are kept"
    );
    assert_eq!(
        span(m, "custom_emoji")["name"],
        "stickers/AnimatedEmojies.tgs"
    );
    let m3 = by_platform_id(&msgs, "3");
    assert_eq!(m3["text"], "only entities");
    assert_eq!(covered(m3, span(m3, "italic")), "entities");
    assert_eq!(
        by_platform_id(&msgs, "4")["text"],
        "https://t.me",
        "a trailing empty part adds nothing"
    );
}

#[test]
fn ids_as_numbers_and_strings_deleted_senders_duplicates() {
    let imp = snapshot("ids_and_senders.json");
    let msgs = imp.messages();
    assert_eq!(msgs[0]["sender"], "tg-u-123456");
    assert_eq!(
        msgs[1]["sender"], "tg-u-123456",
        "123456 and user123456 are one account"
    );
    assert_eq!(msgs[2]["sender"], "tg-u-channel777");
    assert_eq!(msgs[3]["sender"], "tg-u-999");
    assert!(msgs[3]["sender_name"].is_null());
    let recs = imp.records();
    let deleted = recs.iter().find(|r| r["id"] == "tg-u-999").unwrap();
    assert_eq!(deleted["deleted"], true);
    let old = recs.iter().find(|r| r["id"] == "tg-u-123456").unwrap();
    assert_eq!(old["other_names"][0], "Renamed Style");
    assert!(msgs[5]["platform_id"].is_null());
    assert_eq!(msgs[5]["sender_name"], "No Id Person");
    assert_ne!(
        msgs[4]["id"], msgs[6]["id"],
        "a repeated message id still gives unique record ids"
    );
    assert!(
        imp.report
            .warnings
            .iter()
            .any(|w| w.code == "duplicate-message-id")
    );
}

#[test]
fn dates_unixtimes_and_edits() {
    let imp = snapshot("times.json");
    let msgs = imp.messages();
    assert_eq!(msgs[0]["time"]["kind"], "local");
    assert_eq!(msgs[0]["time"]["at"], "2019-07-05T16:55:32");
    assert!(msgs[0]["edited"].is_null(), "the epoch means never edited");
    assert_eq!(
        msgs[0]["extensions"]["org.telegram"]["edited"],
        "1970-01-01T05:00:00"
    );
    assert_eq!(msgs[1]["time"]["at"], "2022-05-09T22:23:53Z");
    assert_eq!(msgs[1]["time"]["original"], "2022-05-09T22:23:53");
    assert_eq!(msgs[1]["edited"]["time"]["at"], "2022-05-09T22:30:00Z");
    assert_eq!(msgs[2]["edited"]["time"]["kind"], "local");
    assert!(msgs[3]["time"].is_null());
    assert_eq!(msgs[3]["extensions"]["org.telegram"]["date"], "not a date");
}

#[test]
fn dates_without_unixtime_are_assumed_in_a_named_zone() {
    let path = common::fixtures("telegram").join("times.json");
    let options = ImportOptions {
        tz: Some(chatport_import::Zone::new("Asia/Tashkent").unwrap()),
        ..ImportOptions::default()
    };
    let imp = common::import_as(&path, TG, "out.jsonl", options).unwrap();
    let msgs = imp.messages();
    assert_eq!(msgs[0]["time"]["kind"], "assumed");
    assert_eq!(msgs[0]["time"]["at"], "2019-07-05T16:55:32+05:00");
    assert_eq!(
        msgs[1]["time"]["kind"], "instant",
        "date_unixtime stays the instant"
    );
}

#[test]
fn service_messages_become_events() {
    let imp = snapshot("service_messages.json");
    let msgs = imp.messages();
    let ev = |id: &str| by_platform_id(&msgs, id)["event"].clone();
    assert_eq!(ev("1")["kind"], "created");
    assert_eq!(ev("1")["target_names"], serde_json::json!(["Ann", "Bob"]));
    assert_eq!(ev("2")["kind"], "renamed");
    assert_eq!(ev("2")["new_value"], "Club 2");
    assert_eq!(ev("3")["kind"], "photo_changed");
    assert_eq!(
        by_platform_id(&msgs, "3")["attachments"][0]["status"],
        "missing"
    );
    assert_eq!(ev("5")["kind"], "added");
    assert_eq!(ev("6")["kind"], "joined");
    assert_eq!(ev("7")["kind"], "left");
    assert_eq!(ev("8")["kind"], "removed");
    assert_eq!(ev("9")["kind"], "joined");
    assert_eq!(ev("10")["kind"], "migrated");
    assert_eq!(ev("13")["kind"], "pinned");
    assert_eq!(ev("13")["message"], by_platform_id(&msgs, "12")["id"]);
    assert!(
        ev("14")["message"].is_null(),
        "a pin whose target is not in the export names no record"
    );
    assert_eq!(ev("15")["kind"], "history_cleared");
    assert_eq!(ev("16")["kind"], "screenshot");
    assert_eq!(ev("17")["kind"], "disappearing_timer");
    let call = &by_platform_id(&msgs, "18")["call"];
    assert_eq!(call["outcome"], "answered");
    assert_eq!(call["duration_seconds"], 56.0);
    assert_eq!(by_platform_id(&msgs, "19")["call"]["outcome"], "missed");
    let group_call = by_platform_id(&msgs, "20");
    assert_eq!(group_call["call"]["duration_seconds"], 120.0);
    assert_eq!(
        group_call["extensions"]["org.telegram"]["action"],
        "group_call"
    );
    assert_eq!(ev("21")["kind"], "other");
    assert_eq!(ev("21")["platform_kind"], "topic_created");
    assert_eq!(ev("22")["platform_kind"], "some_future_action");
    assert_eq!(
        by_platform_id(&msgs, "22")["extensions"]["org.telegram"]["answer"],
        42
    );
    assert_eq!(ev("23")["text"], "Ann did something new");
    assert_eq!(ev("24")["platform_kind"], "unsupported");
    assert_eq!(by_platform_id(&msgs, "25")["sender"], "tg-u-77");
    assert_eq!(imp.report.messages, 26);
}

#[test]
fn media_placeholders_locations_contacts_polls() {
    let imp = snapshot("media");
    let msgs = imp.messages();
    let att = |id: &str| by_platform_id(&msgs, id)["attachments"][0].clone();
    // A .jsonl output carries no media: files the export has are "not copied".
    assert_eq!(att("1")["kind"], "image");
    assert_eq!(att("1")["width"], 800);
    assert_eq!(att("2")["kind"], "voice");
    assert_eq!(att("3")["kind"], "video_note");
    assert_eq!(att("4")["kind"], "sticker");
    assert_eq!(att("4")["emoji"], "😆");
    assert_eq!(att("5")["original_name"], "Quarterly report.pdf");
    assert_eq!(att("6")["status"], "missing");
    assert_eq!(
        att("6")["missing_reason"],
        "(File not included. Change data exporting settings to download.)"
    );
    assert_eq!(
        att("7")["missing_reason"],
        "(File exceeds maximum size. Change data exporting settings to download.)"
    );
    assert_eq!(att("8")["kind"], "gif");
    assert!(
        imp.report
            .warnings
            .iter()
            .any(|w| w.code == "media-not-in-export")
    );
    assert_eq!(att("9")["extensions"]["org.telegram"]["performer"], "Band");
    let contact = &by_platform_id(&msgs, "10");
    assert_eq!(contact["contact"]["name"], "Zed Zulu");
    assert_eq!(contact["attachments"][0]["kind"], "contact_card");
    assert_eq!(by_platform_id(&msgs, "11")["location"]["live_seconds"], 900);
    assert_eq!(
        by_platform_id(&msgs, "12")["location"]["name"],
        "Cafe Central"
    );
    let poll = &by_platform_id(&msgs, "13")["poll"];
    assert_eq!(poll["options"][0]["votes"], 2);
    assert_eq!(poll["closed"], true);
    assert!(by_platform_id(&msgs, "14")["location"].is_null());
}

#[test]
fn media_are_copied_into_a_bundle() {
    let path = common::fixtures("telegram").join("media");
    let imp = common::import_as(&path, TG, "bundle", ImportOptions::default()).unwrap();
    let msgs = imp.messages();
    let photo = &by_platform_id(&msgs, "1")["attachments"][0];
    assert_eq!(photo["status"], "present");
    let p = photo["path"].as_str().unwrap();
    assert_eq!(std::fs::read(imp.out.join(p)).unwrap(), b"JPEGDATA");
    let pdf = &by_platform_id(&msgs, "5")["attachments"][0];
    assert_eq!(pdf["status"], "present", "a backslash path resolves");
    assert_eq!(pdf["size"], 13);
    assert_eq!(
        by_platform_id(&msgs, "10")["attachments"][0]["status"],
        "present"
    );
    assert_eq!(
        by_platform_id(&msgs, "8")["attachments"][0]["status"],
        "missing"
    );
    assert_eq!(imp.report.attachments.get("present"), Some(&6));
}

#[test]
fn zipped_export_folder_imports() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("Telegram Desktop.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let src = common::fixtures("telegram").join("media");
    let opts = zip::write::SimpleFileOptions::default();
    for rel in ["result.json", "photos/photo_1@01-05-2023_10-00-00.jpg"] {
        z.start_file(format!("ChatExport_2023-05-01/{rel}"), opts)
            .unwrap();
        std::io::Write::write_all(&mut z, &std::fs::read(src.join(rel)).unwrap()).unwrap();
    }
    z.finish().unwrap();
    let input = Input::open(&zip_path).unwrap();
    assert_eq!(detect(&input).unwrap(), TG);
    let imp = common::import_as(&zip_path, TG, "bundle.zip", ImportOptions::default()).unwrap();
    assert_eq!(
        by_platform_id(&imp.messages(), "1")["attachments"][0]["status"],
        "present"
    );
    assert_eq!(imp.report.messages, 14);
}

#[test]
fn reactions_with_custom_and_paid_and_partial_reactors() {
    let imp = snapshot("reactions.json");
    let m = &imp.messages()[0];
    let r = m["reactions"].as_array().unwrap();
    assert_eq!(r[0]["emoji"], "👍");
    assert_eq!(r[0]["count"], 5);
    assert_eq!(
        r[0]["by"].as_array().unwrap().len(),
        2,
        "recent is a sample, count stays 5"
    );
    assert_eq!(r[0]["by"][0]["account"], "tg-u-22");
    assert_eq!(r[1]["custom"], true);
    assert_eq!(r[1]["custom_id"], "5368324170671202286");
    assert_eq!(r[2]["count"], 25);
    assert_eq!(
        m["extensions"]["org.telegram"]["reactions"][0]["type"], "paid",
        "only the entry with no exact home is kept"
    );
    assert_eq!(
        m["extensions"]["org.telegram"]["reactions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn replies_forwards_bots_and_unknown_keys() {
    let imp = snapshot("replies_forwards_bots.json");
    let msgs = imp.messages();
    assert_eq!(
        by_platform_id(&msgs, "101")["reply_to"]["message"],
        "tg-m-2300000000-100"
    );
    let outside = &by_platform_id(&msgs, "102")["reply_to"];
    assert!(outside["message"].is_null());
    assert_eq!(outside["platform_id"], "5");
    let other_chat = by_platform_id(&msgs, "103");
    assert!(
        other_chat["reply_to"]["message"].is_null(),
        "a reply into another chat is not this chat's 100"
    );
    assert_eq!(
        other_chat["extensions"]["org.telegram"]["reply_to_peer_id"],
        "channel1234"
    );
    let fwd = by_platform_id(&msgs, "104");
    assert_eq!(fwd["forwarded"]["from_name"], "News Channel");
    assert_eq!(
        fwd["extensions"]["org.telegram"]["saved_from"],
        "News Channel"
    );
    assert!(by_platform_id(&msgs, "105")["forwarded"].is_object());
    assert_eq!(
        by_platform_id(&msgs, "106")["extensions"]["org.telegram"]["via_bot"],
        "@gif"
    );
    assert_eq!(
        by_platform_id(&msgs, "107")["extensions"]["org.telegram"]["inline_bot_buttons"][0][1]["data"],
        "https://example.org"
    );
    let post = by_platform_id(&msgs, "108");
    assert_eq!(post["extensions"]["org.telegram"]["author"], "Ann Admin");
    assert_eq!(
        post["extensions"]["org.telegram"]["some_new_key"]["nested"][1],
        2
    );
}

#[test]
fn invalid_json_that_tdesktop_writes_is_repaired() {
    let imp = snapshot("invalid_json_repairs.json");
    let msgs = imp.messages();
    assert_eq!(msgs[0]["text"], "form\u{c}feed and a real backslash \\x");
    assert_eq!(
        msgs[1]["event"]["text"], "second",
        "the last duplicate key wins"
    );
    let codes: Vec<&str> = imp
        .report
        .warnings
        .iter()
        .map(|w| w.code.as_str())
        .collect();
    assert!(codes.contains(&"invalid-escape-repaired"), "{codes:?}");
    assert!(codes.contains(&"duplicate-key"), "{codes:?}");
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    common::assert_same_bytes(TG, &["full_account", "service_messages.json", "media"]);
}

#[test]
fn fixtures_are_detected_as_telegram() {
    common::assert_detected(
        TG,
        &[
            "single_chat.json",
            "full_account",
            "media",
            "messages_before_metadata.json",
        ],
    );
}

#[test]
fn other_inputs_are_refused_with_a_location() {
    let single = std::fs::read(common::fixtures("telegram").join("single_chat.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", single[..single.len() / 2].to_vec()),
        ("empty.json", Vec::new()),
        ("garbage.json", common::garbage()),
        ("discord.json", common::DISCORD_SAMPLE.as_bytes().to_vec()),
        (
            "whatsapp.txt",
            b"12/31/23, 9:15 PM - Ann: Happy new year\n12/31/23, 9:16 PM - Bob: You too\n".to_vec(),
        ),
        (
            "slack_day.json",
            br#"[{"type":"message","user":"U1","text":"hi","ts":"1.2"}]"#.to_vec(),
        ),
        ("object.json", b"{}".to_vec()),
        ("wrong_types.json", br#"{"messages":{"id":1}}"#.to_vec()),
    ];
    common::assert_refused(TG, &[], cases, &["truncated.json"], &["object.json"]);
}

#[test]
fn a_folder_without_result_json_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "notes.txt", b"hello");
    let err = match common::import_as(dir.path(), TG, "out.jsonl", ImportOptions::default()) {
        Ok(_) => panic!("imported a folder without result.json"),
        Err(e) => e,
    };
    assert_eq!(err.exit_code(), 1);
}

/// Counts the messages of a Telegram export independently of the importer, with plain
/// serde_json values.
fn count_messages(path: &Path) -> u64 {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let in_chat = |c: &Value| c["messages"].as_array().map_or(0, |a| a.len() as u64);
    if v.get("messages").is_some() {
        return in_chat(&v);
    }
    ["chats", "left_chats"]
        .iter()
        .flat_map(|k| v[k]["list"].as_array().cloned().unwrap_or_default())
        .map(|c| in_chat(&c))
        .sum()
}

#[test]
fn corpus_imports_and_every_message_is_accounted_for() {
    let Some(dir) = common::corpus("telegram") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 12, "the corpus has 12 Telegram files");
    let mut total = 0;
    for f in &files {
        let input = Input::open(f).unwrap();
        assert_eq!(detect(&input).unwrap(), TG, "{} is detected", f.display());
        let expected = count_messages(f);
        let imp = common::import_as(f, TG, "out.jsonl", ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(
            imp.report.messages + imp.report.skipped_total(),
            expected,
            "{}",
            f.display()
        );
        assert_eq!(
            imp.report.skipped_total(),
            0,
            "{}: nothing skipped",
            f.display()
        );
        eprintln!("{}: {} messages", f.display(), expected);
        total += expected;
    }
    assert_eq!(total, 87);
}
