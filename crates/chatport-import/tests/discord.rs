//! The DiscordChatExporter importer: one handwritten fixture per edge case (snapshotted), the
//! shared corpus with independently counted messages, bad inputs, determinism and media.

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::Value;
use std::io::Write;
use std::path::Path;

const P: Platform = Platform::Discord;

fn fixture(case: &str) -> common::Imported {
    common::import_fixture(P, case)
}

fn message<'a>(msgs: &'a [Value], platform_id: &str) -> &'a Value {
    msgs.iter()
        .find(|m| m["platform_id"] == platform_id)
        .unwrap_or_else(|| panic!("no message {platform_id}"))
}

fn conversations(imp: &common::Imported) -> Vec<Value> {
    imp.records()
        .into_iter()
        .filter(|r| r["type"] == "conversation")
        .collect()
}

#[test]
fn old_schema_without_newer_keys() {
    let imp = fixture("old_schema.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 2);
    // No stickers, roles, exportedAt, reference.type or reaction users: still a reply and a reaction.
    let reply = message(&msgs, "901");
    assert_eq!(reply["reply_to"]["message"], "dc-m-800-900");
    assert_eq!(msgs[0]["reactions"][0]["emoji"], "👍");
    assert_eq!(msgs[0]["reactions"][0]["count"], 2);
    assert_eq!(msgs[0]["time"]["at"], "2020-09-24T16:03:45Z");
    insta::assert_snapshot!("old_schema", common::snapshot_text(&imp.archive));
}

#[test]
fn current_schema_with_every_part() {
    let imp = fixture("current_schema.json");
    let msgs = imp.messages();
    let first = message(&msgs, "1001");
    // Mentions: @Ann by nickname, @everyone, a raw <@3> token, and Eve (mentioned, not shown).
    let spans = first["spans"].as_array().unwrap();
    let text: Vec<char> = first["text"].as_str().unwrap().chars().collect();
    let shown = |s: &Value| -> String {
        text[s["start"].as_u64().unwrap() as usize..s["end"].as_u64().unwrap() as usize]
            .iter()
            .collect()
    };
    let kinds: Vec<(String, String)> = spans
        .iter()
        .map(|s| (s["kind"].as_str().unwrap().to_owned(), shown(s)))
        .collect();
    assert_eq!(
        kinds,
        [
            ("mention".into(), "@Ann".into()),
            ("mention".into(), "@everyone".into()),
            ("mention".into(), "<@3>".into()),
            ("custom_emoji".into(), ":partyblob:".into()),
        ]
    );
    assert_eq!(spans[0]["account"], "dc-u-1");
    assert_eq!(spans[2]["account"], "dc-u-3");
    assert_eq!(
        first["extensions"]["com.discord"]["mentionsNotInText"][0],
        "dc-u-5"
    );
    assert_eq!(first["pinned"], true);
    assert_eq!(
        first["edited"]["time"]["at"],
        "2026-06-24T19:20:00.500+07:00"
    );
    // Reactions with users, a custom one with its id.
    assert_eq!(first["reactions"][0]["by"][1]["account"], "dc-u-4");
    assert_eq!(first["reactions"][1]["custom"], true);
    assert_eq!(first["reactions"][1]["custom_id"], "9001");
    // A voice message, a sticker, an embed whose image is the image, not the thumbnail.
    assert_eq!(first["attachments"][0]["kind"], "voice");
    assert_eq!(first["attachments"][0]["status"], "remote");
    assert_eq!(first["attachments"][1]["kind"], "sticker");
    assert_eq!(
        first["embeds"][0]["image"]["url"],
        "https://example.org/i.png"
    );
    assert_eq!(first["embeds"][0]["image"]["width"], 800);
    let reply = message(&msgs, "1002");
    assert_eq!(reply["reply_to"]["message"], first["id"]);
    let fwd = message(&msgs, "1003");
    assert_eq!(fwd["forwarded"]["platform_id"], "4444");
    assert_eq!(fwd["text"], "Forwarded words");
    assert_eq!(fwd["attachments"][0]["kind"], "video");
    // Roles and nickname on the member; the bot flag on the account.
    let conv = &conversations(&imp)[0];
    assert_eq!(conv["kind"], "channel");
    let bob = conv["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["account"] == "dc-u-2")
        .unwrap();
    assert_eq!(bob["roles"], serde_json::json!(["Moderator", "Reader"]));
    assert_eq!(bob["nickname"], "Bobby");
    assert!(imp.archive.contains(r#""id":"dc-u-6","platform":"discord","platform_id":"6","handle":"helper-bot#4242","display_name":"helper-bot","other_names":["Helper"],"bot":true"#));
    insta::assert_snapshot!("current_schema", common::snapshot_text(&imp.archive));
}

#[test]
fn system_kinds_and_unknown_ones() {
    let imp = fixture("system_kinds.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 13, "nothing dropped");
    let ev = |id: &str| message(&msgs, id)["event"].clone();
    assert_eq!(ev("10")["kind"], "added");
    assert_eq!(ev("10")["targets"][0], "dc-u-3");
    assert_eq!(ev("11")["kind"], "renamed");
    assert_eq!(ev("11")["new_value"], "Trip 2023");
    assert_eq!(ev("12")["kind"], "photo_changed");
    assert_eq!(ev("14")["kind"], "pinned");
    assert_eq!(ev("14")["message"], "dc-m-500-13");
    // A pin of a message outside the export keeps only the reference.
    assert!(ev("22").get("message").is_none());
    assert_eq!(
        message(&msgs, "22")["extensions"]["com.discord"]["reference"]["messageId"],
        "3"
    );
    let call = &message(&msgs, "15")["call"];
    assert_eq!(call["duration_seconds"], 5430.5);
    assert_eq!(ev("16")["kind"], "left");
    assert_eq!(ev("17")["kind"], "removed");
    assert_eq!(ev("17")["targets"][0], "dc-u-4");
    assert_eq!(ev("18")["kind"], "joined");
    assert_eq!(ev("19")["kind"], "other");
    assert_eq!(ev("19")["platform_kind"], "ThreadCreated");
    assert_eq!(
        ev("19")["text"],
        "Started a thread.",
        "DCE's own words are the event's"
    );
    assert_eq!(ev("20")["kind"], "other");
    assert_eq!(ev("20")["platform_kind"], "20");
    assert_eq!(message(&msgs, "20")["text"], "Rolled a 6 for @Ann");
    assert_eq!(ev("21")["platform_kind"], "PollResult");
    assert_eq!(conversations(&imp)[0]["kind"], "group");
    insta::assert_snapshot!("system_kinds", common::snapshot_text(&imp.archive));
}

#[test]
fn offsets_fractions_and_local_times() {
    let imp = fixture("offsets.json");
    let msgs = imp.messages();
    let at = |id: &str| message(&msgs, id)["time"]["at"].clone();
    assert_eq!(at("30"), "2024-03-01T18:04:05-04:00");
    assert_eq!(at("31"), "2024-03-01T18:04:06.500Z");
    assert_eq!(at("32"), "2024-03-02T05:04:07.920+07:00");
    assert_eq!(at("33"), "2024-03-01T22:04:08.123456700Z");
    assert_eq!(message(&msgs, "34")["time"]["kind"], "local");
    assert!(message(&msgs, "35").get("time").is_none());
    assert_eq!(
        message(&msgs, "35")["extensions"]["com.discord"]["timestamp"],
        "yesterday"
    );
    assert_eq!(imp.report.warnings[0].code, "unreadable-time");
    assert_eq!(conversations(&imp)[0]["kind"], "direct");
    insta::assert_snapshot!("offsets", common::snapshot_text(&imp.archive));
}

#[test]
fn date_range_makes_coverage_partial() {
    let imp = fixture("date_range.json");
    let cov = &conversations(&imp)[0]["coverage"][0];
    assert_eq!(cov["complete"], false);
    assert_eq!(cov["from"]["at"], "2024-04-01T00:00:00+02:00");
    assert_eq!(cov["to"]["at"], "2024-06-01T00:00:00+02:00");
    assert_eq!(cov["messages"], 1);
    insta::assert_snapshot!("date_range", common::snapshot_text(&imp.archive));
}

#[test]
fn hand_made_key_order_and_raw_tokens() {
    // `messages` before `channel`, a message without id, a numeric type, raw <@id> tokens.
    let imp = fixture("hand_made.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 2);
    assert!(msgs[0]["id"].as_str().unwrap().starts_with("dc-m-"));
    assert!(msgs[0].get("platform_id").is_none());
    assert!(msgs[0].get("event").is_none(), "type 0 is Default");
    let kinds: Vec<&str> = msgs[1]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["mention", "mention", "mention", "custom_emoji"]);
    assert_eq!(msgs[1]["spans"][0]["account"], "dc-u-42");
    insta::assert_snapshot!("hand_made", common::snapshot_text(&imp.archive));
}

#[test]
fn empty_messages_array() {
    let imp = fixture("empty_messages.json");
    assert_eq!(imp.report.messages, 0);
    assert_eq!(conversations(&imp).len(), 1);
    insta::assert_snapshot!("empty_messages", common::snapshot_text(&imp.archive));
}

#[test]
fn partitions_join_in_part_order() {
    let imp = fixture("partitioned");
    let msgs = imp.messages();
    assert_eq!(conversations(&imp).len(), 1);
    let order: Vec<(u64, String)> = msgs
        .iter()
        .map(|m| {
            (
                m["ordinal"].as_u64().unwrap(),
                m["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(u64, String)> = (1..=10)
        .map(|p| (p, format!("message of part {p}")))
        .collect();
    assert_eq!(order, want, "part 10 comes after part 9, not after part 1");
    insta::assert_snapshot!("partitioned", common::snapshot_text(&imp.archive));
}

#[test]
fn reexport_of_a_channel_is_deduplicated() {
    let imp = fixture("reexport");
    let msgs = imp.messages();
    let texts: Vec<&str> = msgs.iter().map(|m| m["text"].as_str().unwrap()).collect();
    // "general again.json" sorts before "general.json".
    assert_eq!(texts, ["one", "three", "four", "deleted later"]);
    assert_eq!(imp.report.skipped[0].code, "duplicate-message");
    assert_eq!(imp.report.skipped[0].count, 2);
    insta::assert_snapshot!("reexport", common::snapshot_text(&imp.archive));
}

#[test]
fn reexports_join_oldest_first_by_export_time() {
    let imp = fixture("reexport_dated");
    let msgs = imp.messages();
    let files: Vec<&str> = msgs
        .iter()
        .map(|m| m["origin"]["file"].as_str().unwrap())
        .collect();
    // b-older.json was exported first, though a-newer.json sorts first by name.
    assert_eq!(files, ["b-older.json", "b-older.json", "a-newer.json"]);
    let texts: Vec<&str> = msgs.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["first", "second", "third"]);
    assert_eq!(imp.report.skipped_total(), 2);
}

#[test]
fn guild_folder_with_threads_and_media() {
    let imp = fixture("guild_folder");
    let convs = conversations(&imp);
    let ids: Vec<&str> = convs.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["dc-c-800", "dc-c-801", "dc-c-803"],
        "channels before threads"
    );
    assert_eq!(convs[1]["kind"], "thread");
    assert_eq!(convs[1]["parent"], "dc-c-800");
    assert!(convs[2].get("parent").is_none());
    assert_eq!(convs[2]["extensions"]["com.discord"]["categoryId"], "899");
    let msgs = imp.messages();
    // The thread's starter refers to the parent channel's message, written before it.
    assert_eq!(
        message(&msgs, "2101")["reply_to"]["message"],
        "dc-m-800-2001"
    );
    assert_eq!(message(&msgs, "2101")["event"]["platform_kind"], "21");
    // The Lottie sticker .json in the media folder and notes.json are not channel exports.
    assert_eq!(
        imp.report
            .warnings
            .iter()
            .filter(|w| w.code == "not-a-channel-export")
            .count(),
        1
    );
    // A .jsonl output cannot carry media: not copied; the absent file is missing with a warning.
    let att = &message(&msgs, "2001")["attachments"];
    assert_eq!(att[0]["status"], "missing");
    assert_eq!(att[0]["original_name"], "photo.png");
    assert!(
        imp.report
            .warnings
            .iter()
            .any(|w| w.code == "media-not-in-export")
    );
    insta::assert_snapshot!("guild_folder", common::snapshot_text(&imp.archive));
}

#[test]
fn bundle_copies_local_media() {
    let path = common::fixtures("discord").join("guild_folder");
    let imp = common::import_as(&path, P, "bundle", ImportOptions::default()).expect("imports");
    let msgs = imp.messages();
    let m = message(&msgs, "2001");
    let photo = &m["attachments"][0];
    assert_eq!(photo["status"], "present");
    assert_eq!(photo["size"], 73);
    let copied = imp.out.join(photo["path"].as_str().unwrap());
    assert_eq!(std::fs::read(copied).unwrap().len(), 73);
    assert_eq!(
        m["attachments"][1]["status"], "missing",
        "gone.pdf is not in the export"
    );
    assert_eq!(m["attachments"][2]["kind"], "sticker");
    assert_eq!(m["attachments"][2]["status"], "present");
    assert_eq!(m["embeds"][0]["image"]["status"], "present");
    let ann = imp
        .records()
        .into_iter()
        .find(|r| r["id"] == "dc-u-1")
        .unwrap();
    assert_eq!(ann["avatar"]["status"], "present");
}

#[test]
fn zip_of_a_folder_imports_like_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zpath = dir.path().join("export.zip");
    let src = common::fixtures("discord").join("partitioned");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
    let mut names: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names.reverse(); // the zip's own order must not matter
    for n in names {
        z.start_file(
            format!("export/{n}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(&std::fs::read(src.join(&n)).unwrap()).unwrap();
    }
    z.finish().unwrap();
    let imp = common::import_as(&zpath, P, "out.jsonl", ImportOptions::default()).unwrap();
    let texts: Vec<String> = imp
        .messages()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts.len(), 10);
    assert_eq!(texts[9], "message of part 10");
}

#[test]
fn same_input_gives_identical_bytes() {
    common::assert_same_bytes(P, &["current_schema.json", "guild_folder", "partitioned"]);
}

fn bad(name: &str, bytes: &[u8]) -> chatport_import::ImportError {
    common::refused(P, name, bytes)
}

#[test]
fn bad_inputs_fail_with_a_location() {
    let full = std::fs::read(common::fixtures("discord").join("current_schema.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.json", full[..full.len() / 2].to_vec(), "truncated.json:"),
        ("empty.json", Vec::new(), "empty.json:1:0"),
        ("garbage.json", vec![0xff, 0x00, 0x13, 0x37, 0xfe, 0x80], "garbage.json:1:"),
        (
            "result.json",
            br#"{"name": "Ann", "type": "personal_chat", "id": 1, "messages": [{"id": 1, "type": "message", "date": "2024-01-01T10:00:00", "text": "hi"}]}"#.to_vec(),
            "result.json#/channel",
        ),
        (
            "chat.txt",
            b"12/31/24, 10:00 - Ann: hi\n".to_vec(),
            "chat.txt:1:",
        ),
        (
            "array.json",
            b"[1, 2, 3]".to_vec(),
            "array.json:1:",
        ),
    ];
    for (name, bytes, want) in cases {
        let e = bad(name, &bytes);
        assert_eq!(e.exit_code(), 1, "{name}: {e}");
        let shown = e.to_string();
        assert!(shown.contains(want), "{name}: {shown}");
    }
}

/// One message element of the wrong shape is skipped with its reason and pointer; the messages
/// around it are imported (it used to fail the whole file).
#[test]
fn a_malformed_message_is_skipped_with_its_pointer_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("channel.json");
    std::fs::write(
        &p,
        br#"{"guild": {"id": "1", "name": "G"}, "channel": {"id": "2", "type": "GuildTextChat", "name": "general"},
"messages": [
 {"id": "3", "type": "Default", "timestamp": "2024-01-01T10:00:00+00:00", "content": "first", "author": {"id": "9", "name": "ann"}},
 {"id": "4", "reactions": 5},
 {"id": "5", "type": "Default", "timestamp": "2024-01-01T10:01:00+00:00", "content": "third", "author": {"id": "9", "name": "ann"}}
]}"#,
    )
    .unwrap();
    let imp = common::import_as(&p, P, "out.jsonl", ImportOptions::default()).unwrap();
    let texts: Vec<String> = imp
        .messages()
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(texts, ["first", "third"]);
    assert_eq!(imp.report.source_messages, 3);
    let skipped = &imp.report.skipped;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].code, "malformed-message");
    assert_eq!(skipped[0].count, 1);
    assert!(
        skipped[0].examples[0].starts_with(&format!("{}#/messages/1 (", p.display())),
        "{:?}",
        skipped[0].examples
    );
}

#[test]
fn sniff_claims_dce_only() {
    let dce = common::fixtures("discord").join("old_schema.json");
    assert_eq!(detect(&Input::open(&dce).unwrap()).unwrap(), P);
    let folder = common::fixtures("discord").join("guild_folder");
    assert_eq!(detect(&Input::open(&folder).unwrap()).unwrap(), P);
    let dir = tempfile::tempdir().unwrap();
    let others: [(&str, &[u8]); 4] = [
        (
            "result.json",
            br#"{"name": "the \"guild\" and \"channel\"", "type": "personal_chat", "id": 1, "messages": []}"#,
        ),
        ("chat.txt", b"12/31/24, 10:00 - Ann: hi\n"),
        ("channels.json", br#"[{"id": "C1", "name": "general"}]"#),
        ("users.json", br#"[{"id": "U1", "name": "ann"}]"#),
    ];
    for (name, bytes) in others {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let input = Input::open(&p).unwrap();
        assert!(
            detect(&input).map_or(true, |p| p != P),
            "discord claimed {name}"
        );
    }
    // A Slack-like folder.
    let input = Input::open(dir.path()).unwrap();
    assert!(detect(&input).map_or(true, |p| p != P));
}

/// Counts the elements of every `messages` array in the corpus file independently of the
/// importer, with serde_json::Value.
fn count_messages(path: &Path) -> u64 {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["messages"].as_array().map_or(0, |a| a.len() as u64)
}

#[test]
fn corpus_imports_with_every_message_accounted() {
    let Some(dir) = common::corpus("discord") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 7);
    let mut total = 0;
    for f in &files {
        let counted = count_messages(f);
        total += counted;
        let imp = common::import_as(f, P, "out.jsonl", ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let r = &imp.report;
        assert_eq!(r.source_messages, counted, "{}", f.display());
        assert_eq!(r.messages + r.skipped_total(), counted, "{}", f.display());
        // Within one export, the only skips are repeated message ids.
        assert!(
            r.skipped.iter().all(|s| s.code == "duplicate-message"),
            "{}",
            f.display()
        );
        assert_eq!(imp.messages().len() as u64, r.messages);
        // chill talk says 35 (it was cut from a larger export), GC_3A_5M says 5 of 6.
        let says =
            serde_json::from_slice::<Value>(&std::fs::read(f).unwrap()).unwrap()["messageCount"]
                .as_u64();
        assert_eq!(
            r.warnings
                .iter()
                .any(|w| w.code == "message-count-mismatch"),
            says != Some(counted),
            "{}",
            f.display()
        );
        eprintln!(
            "{}: {counted} counted, {} written, {} skipped",
            f.file_name().unwrap().to_string_lossy(),
            r.messages,
            r.skipped_total()
        );
    }
    // The whole folder: the two "chill talk" exports are one channel.
    let imp = common::import_as(&dir, P, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.source_messages, total);
    assert_eq!(imp.report.conversations, 6);
}
