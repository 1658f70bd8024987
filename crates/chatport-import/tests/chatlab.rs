//! The ChatLab importer against handwritten fixtures (one edge case each, snapshotted) and inputs
//! that are not ChatLab files. There is no ChatLab sample in the shared corpus: the fixtures are
//! written from ChatLab's format documentation (docs/en/standard/chatlab-format.md, version
//! 0.0.1: `minimal.json` is its minimal example, `group.json` extends its group example with
//! every message type) and from its parsers (packages/parser/src/formats/chatlab.ts and
//! chatlab-jsonl.ts: `platformMessageId`, `replyToMessageId`, member `roles`, `#` comment lines
//! and skipped unparsable lines).

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::Value;

const CL: Platform = Platform::ChatLab;
const NS: &str = "com.chatlab";

fn snapshot(case: &str) -> common::Imported {
    let imp = common::import_fixture(CL, case);
    insta::assert_snapshot!(
        case.trim_end_matches(".json")
            .trim_end_matches(".jsonl")
            .replace('/', "_"),
        common::snapshot_text(&imp.archive)
    );
    imp
}

fn record<'a>(recs: &'a [Value], id: &str) -> &'a Value {
    recs.iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}

fn by_text<'a>(msgs: &'a [Value], text: &str) -> &'a Value {
    msgs.iter()
        .find(|m| m["text"] == text || m["extensions"][NS]["content"] == text)
        .unwrap_or_else(|| panic!("no message {text:?}"))
}

fn warned(imp: &common::Imported, code: &str) -> bool {
    imp.report.warnings.iter().any(|w| w.code == code)
}

#[test]
fn group_json_with_every_message_type() {
    let imp = snapshot("group.json");
    let recs = imp.records();
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 25);
    let header = &recs[0];
    assert_eq!(header["sources"][0]["platform"], "chatlab");
    assert_eq!(
        header["sources"][0]["extensions"][NS]["files"][0]["platform"],
        "WeChat"
    );
    assert_eq!(
        header["sources"][0]["exported"]["at"],
        "2023-12-19T16:00:00Z"
    );
    let conv = record(&recs, "cl-c-38988428513");
    assert_eq!(conv["platform"], "wechat");
    assert_eq!(conv["kind"], "group");
    assert_eq!(conv["title"], "Tech Exchange Group");
    assert_eq!(
        conv["extensions"][NS]["groupAvatar"],
        "data:image/png;base64,iVBORw0KGgo="
    );
    let john = record(&recs, "cl-u-wechat-abc123");
    assert_eq!(john["platform"], "wechat");
    assert_eq!(john["display_name"], "John");
    assert_eq!(
        john["other_names"],
        serde_json::json!(["Johnny", "John Renamed"])
    );
    assert!(
        john["extensions"][NS]["avatar"]
            .as_str()
            .unwrap()
            .starts_with("data:image/jpeg")
    );
    let member = conv["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["account"] == "cl-u-wechat-abc123")
        .unwrap();
    assert_eq!(member["nickname"], "Admin-John");
    assert_eq!(member["roles"], serde_json::json!(["Owner"]));
    record(&recs, "cl-u-wechat-789");
    record(&recs, "cl-u-wechat-newcomer");

    let image = by_text(&msgs, "[Image: screenshot.jpg]");
    assert_eq!(image["id"], "cl-m-38988428513-m2");
    assert_eq!(image["attachments"][0]["kind"], "image");
    assert_eq!(image["attachments"][0]["status"], "missing");
    assert_eq!(image["attachments"][0]["original_name"], "screenshot.jpg");
    assert!(image.get("text").is_none());
    assert_eq!(by_text(&msgs, "[Voice]")["attachments"][0]["kind"], "voice");
    assert_eq!(by_text(&msgs, "😀")["attachments"][0]["emoji"], "😀");
    let link = by_text(
        &msgs,
        "[Link] Rust 2024 edition https://blog.rust-lang.org/2025/02/20/Rust-1.85.0.html",
    );
    assert_eq!(
        link["embeds"][0]["url"],
        "https://blog.rust-lang.org/2025/02/20/Rust-1.85.0.html"
    );
    assert!(by_text(&msgs, "[Location] Beijing West Railway Station")["location"].is_object());
    assert_eq!(
        by_text(&msgs, "[Red packet] Happy new year")["extensions"][NS]["type"],
        20
    );
    let poke = msgs
        .iter()
        .find(|m| m["event"]["platform_kind"] == "poke")
        .unwrap();
    assert_eq!(poke["event"]["text"], "John poked Jane");
    assert_eq!(
        by_text(&msgs, "[Voice call] 02:15")["call"]["media"],
        "unknown"
    );
    let reply = by_text(&msgs, "Thanks, John!");
    assert_eq!(reply["reply_to"]["message"], "cl-m-38988428513-m1");
    let older = by_text(&msgs, "Replying to something older");
    assert!(older["reply_to"].get("message").is_none());
    assert_eq!(older["reply_to"]["platform_id"], "m0");
    assert!(by_text(&msgs, "[Forwarded chat history]")["forwarded"].is_object());
    assert_eq!(
        by_text(&msgs, "[Contact card] Bob")["contact"]["name"],
        "Bob"
    );
    let system = msgs
        .iter()
        .find(|m| m["event"]["platform_kind"] == "system")
        .unwrap();
    assert_eq!(system["event"]["text"], "Bob joined the group");
    let recalled = msgs.iter().find(|m| m["deleted"].is_object()).unwrap();
    assert_eq!(
        recalled["deleted"]["placeholder"],
        "John recalled a message"
    );
    let unknown = by_text(&msgs, "a type number the format does not define");
    assert_eq!(unknown["extensions"][NS]["type"], 42);
    assert_eq!(unknown["extensions"][NS]["extraKey"]["x"], 1);
    // Two identical messages in one second stay two, with distinct ids.
    let same: Vec<&Value> = msgs
        .iter()
        .filter(|m| m["text"] == "same second, same text")
        .collect();
    assert_eq!(same.len(), 2);
    assert_ne!(same[0]["id"], same[1]["id"]);
}

#[test]
fn jsonl_with_comments_members_and_a_bad_line() {
    let imp = snapshot("private.jsonl");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 3);
    assert_eq!(imp.report.source_messages, 5);
    let codes: Vec<&str> = imp.report.skipped.iter().map(|s| s.code.as_str()).collect();
    assert!(codes.contains(&"line-not-json"), "{codes:?}");
    assert!(codes.contains(&"line-kind-unknown"), "{codes:?}");
    assert_eq!(msgs[0]["origin"]["line"], 6);
    let recs = imp.records();
    let conv = &imp.conversation();
    assert_eq!(conv["kind"], "direct");
    assert_eq!(conv["platform"], "qq");
    record(&recs, "cl-u-qq-987654321");
}

#[test]
fn the_minimal_example_of_the_documentation() {
    let imp = snapshot("minimal.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["text"], "Hello everyone!");
    assert_eq!(msgs[0]["time"]["at"], "2023-12-19T16:00:00Z");
    assert_eq!(msgs[0]["sender"], "cl-u-qq-123456");
}

#[test]
fn keys_in_another_order_odd_timestamps_and_a_newer_version() {
    let imp = snapshot("messages_first.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0]["time"]["at"], "2023-12-19T16:00:00.250Z");
    assert!(msgs[1].get("time").is_none());
    assert!(warned(&imp, "timestamp-invalid"));
    assert!(warned(&imp, "chatlab-version"));
    let conv = &imp.conversation();
    // The meta came after the messages: it still names the conversation.
    assert_eq!(conv["title"], "Keys in another order");
    assert_eq!(conv["kind"], "group");
}

#[test]
fn a_folder_of_chatlab_files_gives_one_conversation_each() {
    let imp = common::import_fixture(CL, "two_chats");
    insta::assert_snapshot!("two_chats", common::snapshot_text(&imp.archive));
    let recs = imp.records();
    let convs: Vec<&Value> = recs
        .iter()
        .filter(|r| r["type"] == "conversation")
        .collect();
    assert_eq!(convs.len(), 2);
    assert_eq!(imp.report.messages, 3);
    assert_eq!(recs[0]["sources"][0]["files"].as_array().unwrap().len(), 2);
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    common::assert_same_bytes(CL, &["group.json", "private.jsonl", "two_chats"]);
}

#[test]
fn fixtures_are_detected_as_chatlab() {
    common::assert_detected(
        CL,
        &[
            "group.json",
            "private.jsonl",
            "minimal.json",
            "messages_first.json",
            "two_chats",
        ],
    );
}

#[test]
fn other_inputs_are_refused_with_a_location() {
    let full = std::fs::read(common::fixtures("chatlab").join("group.json")).unwrap();
    let jsonl = std::fs::read(common::fixtures("chatlab").join("private.jsonl")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", full[..full.len() / 2].to_vec()),
        ("truncated.jsonl", jsonl[..jsonl.len() - 20].to_vec()),
        ("empty.json", Vec::new()),
        ("garbage.json", common::garbage()),
        (
            "telegram.json",
            common::TELEGRAM_SAMPLE.as_bytes().to_vec(),
        ),
        (
            "chatgpt.json",
            br#"[{"title":"t","create_time":1.5,"mapping":{},"current_node":null}]"#.to_vec(),
        ),
        (
            "whatsapp.txt",
            b"12/31/23, 9:15 PM - Ann: Happy new year\n".to_vec(),
        ),
        (
            "no_header.jsonl",
            b"{\"_type\":\"message\",\"sender\":\"1\",\"timestamp\":1,\"type\":0,\"content\":\"x\"}\n"
                .to_vec(),
        ),
        (
            "chatlab_not_object.json",
            br#"{"chatlab":"0.0.1","meta":{},"messages":[]}"#.to_vec(),
        ),
        (
            "messages_not_array.json",
            br#"{"chatlab":{"version":"0.0.1","exportedAt":1},"meta":{"name":"x","platform":"qq","type":"group"},"messages":{"a":1}}"#
                .to_vec(),
        ),
    ];
    common::assert_refused(
        CL,
        &[],
        cases,
        &[
            "truncated.json",
            "truncated.jsonl",
            "messages_not_array.json",
        ],
        &[],
    );
}

#[test]
fn a_folder_without_chatlab_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "notes.json", b"{\"a\":1}");
    let err = match common::import_as(dir.path(), CL, "out.jsonl", ImportOptions::default()) {
        Ok(_) => panic!("imported a folder without ChatLab files"),
        Err(e) => e,
    };
    assert_eq!(err.exit_code(), 1);
}

#[test]
fn a_jsonl_header_longer_than_detection_reads_is_still_detected() {
    let dir = tempfile::tempdir().unwrap();
    let avatar = format!("data:image/png;base64,{}", "A".repeat(100_000));
    let text = format!(
        "{{\"_type\":\"header\",\"chatlab\":{{\"version\":\"0.0.1\",\"exportedAt\":1703001600}},\"meta\":{{\"name\":\"Big\",\"platform\":\"qq\",\"type\":\"group\",\"groupAvatar\":\"{avatar}\"}}}}\n{{\"_type\":\"message\",\"sender\":\"1\",\"accountName\":\"A\",\"timestamp\":1703001600,\"type\":0,\"content\":\"hi\"}}\n"
    );
    let p = common::write(dir.path(), "big.jsonl", text.as_bytes());
    let input = Input::open(&p).unwrap();
    assert_eq!(detect(&input).unwrap(), CL);
    let imp = common::import_as(&p, CL, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 1);
}

#[test]
fn a_large_jsonl_file_streams() {
    // 20,000 messages: read line by line, each written before the next is read.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "{\"_type\":\"header\",\"chatlab\":{\"version\":\"0.0.1\",\"exportedAt\":1703001600},\"meta\":{\"name\":\"Many\",\"platform\":\"qq\",\"type\":\"group\"}}\n",
    );
    for i in 0..20_000u64 {
        text.push_str(&format!(
            "{{\"_type\":\"message\",\"sender\":\"{}\",\"accountName\":\"A\",\"timestamp\":{},\"type\":0,\"content\":\"message {i}\"}}\n",
            i % 7,
            1703001600 + i / 3
        ));
    }
    let p = common::write(dir.path(), "many.jsonl", text.as_bytes());
    let imp = common::import_as(&p, CL, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 20_000);
}
