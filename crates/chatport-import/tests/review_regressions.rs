//! Inputs a code review found mishandled, one test each: what they must give now.

mod common;

use chatport_import::{ImportOptions, Platform};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

fn import(path: &Path, platform: Platform) -> common::Imported {
    common::import_as(path, platform, "out.jsonl", ImportOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn telegram_string_and_number_ids_of_one_message_do_not_crash() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "result.json",
        r#"{"name":"T","type":"private_group","id":42,"messages":[
{"id":"5","type":"message","date":"2024-01-01T10:00:00","date_unixtime":"1704103200","from":"A","from_id":"user1","text":"a"},
{"id":5,"type":"message","date":"2024-01-01T10:00:01","date_unixtime":"1704103201","from":"A","from_id":"user1","text":"b"}]}"#,
    );
    let imp = import(&p, Platform::Telegram);
    assert_eq!(imp.report.messages, 2);
    assert_eq!(imp.report.warning_count("duplicate-message-id"), 1);
}

#[test]
fn telegram_long_string_ids_stay_within_the_id_limit() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(150);
    let p = write(
        dir.path(),
        "result.json",
        &format!(
            r#"{{"name":"T","type":"private_group","id":"{long}","messages":[{{"id":"{long}","type":"message","date":"2024-01-01T10:00:00","from":"A","from_id":"user1","text":"a"}}]}}"#
        ),
    );
    let imp = import(&p, Platform::Telegram);
    let id = imp.messages()[0]["id"].as_str().unwrap().to_owned();
    assert!(id.len() <= 256, "{id}");
}

#[test]
fn slack_dates_keep_their_timestamp_and_big_list_numbers_do_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "users.json", r#"[{"id":"U1","name":"ann"}]"#);
    write(
        dir.path(),
        "channels.json",
        r#"[{"id":"C1","name":"general"}]"#,
    );
    write(
        dir.path(),
        "general/2024-01-01.json",
        r#"[{"type":"message","user":"U1","ts":"1704103200.000100","text":"meet <!date^1704200000^{date_short}|Jan 2>",
"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"meet "},{"type":"date","timestamp":1704200000,"format":"{date_short}","fallback":"Jan 2"}]}]}]},
{"type":"message","user":"U1","ts":"1704103201.000100","text":"1. a",
"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_list","style":"ordered","offset":18446744073709551615,"elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"a"}]}]}]}]},
{"type":"message","user":"U1","ts":"1704103202.000100","text":"x","reactions":[{"name":"+1","users":["U1",{"id":"U3"}],"count":2}]}]"#,
    );
    let imp = import(dir.path(), Platform::Slack);
    let m = imp.messages();
    let names: Vec<&str> = m[0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.contains("1704200000") && n.contains("{date_short}")),
        "{names:?}"
    );
    assert_eq!(m.len(), 3);
    // The reaction whose user list holds something that is not a user id is kept whole.
    assert!(
        m[2]["extensions"]["com.slack"]["reactions"].is_array(),
        "{}",
        m[2]
    );
}

#[test]
fn discord_accounts_first_seen_in_a_mention_token_are_filled_in_and_odd_times_kept() {
    let dir = tempfile::tempdir().unwrap();
    let author = |id: &str, name: &str| {
        format!(
            r#"{{"id":"{id}","name":"{name}","discriminator":"1234","nickname":"{name}","isBot":true,"avatarUrl":""}}"#
        )
    };
    let p = write(
        dir.path(),
        "general.json",
        &format!(
            r#"{{"guild":{{"id":"1","name":"G"}},"channel":{{"id":"10","type":"GuildTextChat","name":"general"}},"messages":[
{{"id":"100","type":"Default","timestamp":"2024-01-01T10:00:00+01:00","content":"hi <@777>","author":{a1},"attachments":[],"embeds":[],"reactions":[],"mentions":[]}},
{{"id":"101","type":"Default","timestamp":"2024-01-01T10:01:00+01:00","content":"hello","author":{a2},"attachments":[],"embeds":[],"reactions":[],"mentions":[]}},
{{"id":"102","type":"Call","timestamp":"2024-01-01T10:02:00+01:00","callEndedTimestamp":"not a time","content":"","author":{a2},"attachments":[],"embeds":[],"reactions":[],"mentions":[]}}]}}"#,
            a1 = author("1", "ann"),
            a2 = author("777", "bob"),
        ),
    );
    let imp = import(&p, Platform::Discord);
    let bob = imp
        .records()
        .into_iter()
        .find(|r| r["id"] == "dc-u-777")
        .unwrap();
    assert_eq!(bob["display_name"], "bob");
    assert_eq!(bob["bot"], true);
    let m = imp.messages();
    assert_eq!(
        m[2]["extensions"]["com.discord"]["callEndedTimestamp"],
        "not a time"
    );
}

#[test]
fn telegram_nested_fields_without_a_home_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "result.json",
        r#"{"name":"T","type":"private_group","id":42,"messages":[
{"id":1,"type":"service","date":"2024-01-01T10:00:00","date_unixtime":"1704103200","actor":"A","actor_id":"user1","action":"invite_members","members":[null,"B"],"text":""},
{"id":2,"type":"message","date":"2024-01-01T10:00:01","date_unixtime":"1704103201","from":"A","from_id":"user1","text":"b",
 "reactions":[{"type":"emoji","count":2,"emoji":"👍","recent":[{"from":"B","from_id":"user2","date":"2024-01-01T10:00:05","extra_field":"X"}]}],
 "poll":{"question":"q","answers":[{"text":"o","voters":1,"extra":"Y"}]}},
{"id":3,"type":"message","date":"2024-01-01T10:00:02","date_unixtime":"1704103202","from":"A","from_id":"user1","text":"c","contact_information":{"first_name":"X","phone_number":5}}]}"#,
    );
    let imp = import(&p, Platform::Telegram);
    let m = imp.messages();
    let ext = |i: usize| m[i]["extensions"]["org.telegram"].clone();
    assert_eq!(ext(0)["members"], serde_json::json!([null, "B"]));
    assert_eq!(m[0]["event"]["target_names"], serde_json::json!(["B"]));
    assert_eq!(ext(1)["reactions"][0]["recent"][0]["extra_field"], "X");
    assert_eq!(ext(1)["poll"]["answers"][0]["extra"], "Y");
    assert_eq!(ext(2)["contact_information"]["phone_number"], 5);
}

#[test]
fn matrix_fallback_edits_relations_on_redactions_and_repeated_events() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "export.json",
        r#"{"room_name": "R", "room_creator": "@a:x", "topic": "", "export_date": "1/1/2024", "exported_by": "@a:x", "messages": [
{"type": "m.room.message", "sender": "@a:x", "origin_server_ts": 1000, "content": {"msgtype": "m.text", "body": "hello"}, "event_id": "$1", "room_id": "!r:x"},
{"type": "m.room.message", "sender": "@a:x", "origin_server_ts": 2000, "content": {"msgtype": "m.text", "body": "* fallback edit text", "m.relates_to": {"rel_type": "m.replace", "event_id": "$1"}}, "event_id": "$2", "room_id": "!r:x"},
{"type": "m.room.message", "sender": "@b:x", "origin_server_ts": 3000, "content": {"msgtype": "m.text", "body": "to be removed"}, "event_id": "$3", "room_id": "!r:x"},
{"type": "m.room.redaction", "sender": "@b:x", "origin_server_ts": 4000, "content": {"reason": "oops"}, "event_id": "$4", "room_id": "!r:x", "redacts": "$3"},
{"type": "m.reaction", "sender": "@a:x", "origin_server_ts": 5000, "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$4", "key": "k"}}, "event_id": "$5", "room_id": "!r:x"},
{"type": "m.room.message", "sender": "@a:x", "origin_server_ts": 7000, "content": {"msgtype": "m.text", "body": "dup A"}, "event_id": "$7", "room_id": "!r:x"},
{"type": "m.room.message", "sender": "@a:x", "origin_server_ts": 7001, "content": {"msgtype": "m.text", "body": "dup B"}, "event_id": "$7", "room_id": "!r:x"},
{"type": "m.reaction", "sender": "@b:x", "origin_server_ts": 8000, "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$7", "key": "x"}}, "event_id": "$8", "room_id": "!r:x"}]}"#,
    );
    let imp = import(&p, Platform::Matrix);
    let m = imp.messages();
    assert_eq!(
        m[0]["text"], "fallback edit text",
        "an edit without m.new_content still edits"
    );
    // The reaction aimed at the (merged) redaction is written as its own record.
    assert!(m.iter().any(|x| x["platform_id"] == "$5"));
    let dups: Vec<_> = m.iter().filter(|x| x["platform_id"] == "$7").collect();
    assert_eq!(dups.len(), 2);
    assert_eq!(dups[0]["reactions"][0]["count"], 1);
    assert!(
        dups[1].get("reactions").is_none(),
        "the reaction counts once"
    );
}

#[test]
fn meta_exports_detected_past_an_empty_thread_and_thread_type_means_messenger() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "export/messages/archived_threads/aaa_1x/message_1.json",
        r#"{"participants": [{"name": "A"}], "messages": [], "title": "A", "thread_path": "archived_threads/aaa_1x"}"#,
    );
    write(
        dir.path(),
        "export/messages/inbox/bob_2y/message_1.json",
        r#"{"participants": [{"name": "Bob"}, {"name": "Me"}], "messages": [{"sender_name": "Bob", "timestamp_ms": 1700000000000, "content": "hi"}], "title": "Bob", "thread_path": "inbox/bob_2y"}"#,
    );
    let input = chatport_import::Input::open(&dir.path().join("export")).unwrap();
    assert_eq!(
        chatport_import::detect(&input).unwrap(),
        Platform::Messenger
    );
    let p = write(
        dir.path(),
        "numeric.json",
        r#"{"participants": [{"name": "John Smith"}, {"name": "Me"}], "messages": [{"sender_name": "John Smith", "timestamp_ms": 1700000000000, "content": "hi"}], "title": "John Smith", "is_still_participant": true, "thread_type": "Regular", "thread_path": "inbox/johnsmith_10158123456789012", "magic_words": []}"#,
    );
    let input = chatport_import::Input::open(&p).unwrap();
    assert_eq!(
        chatport_import::detect(&input).unwrap(),
        Platform::Messenger
    );
}

#[test]
fn chatgpt_text_content_with_extra_keys_is_kept_whole() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "conversations.json",
        r#"[{"title": "t", "create_time": 1700000000, "update_time": 1700000001, "conversation_id": "c9", "current_node": "a", "mapping": {"a": {"id": "a", "message": {"id": "a", "author": {"role": "user"}, "create_time": 1700000000.5, "content": {"content_type": "text", "parts": ["hi"], "extra_key": {"important": 1}}, "status": "finished_successfully"}, "parent": null, "children": []}}}]"#,
    );
    let imp = import(&p, Platform::ChatGpt);
    let m = &imp.messages()[0];
    assert_eq!(m["text"], "hi");
    assert_eq!(
        m["extensions"]["com.openai.chatgpt"]["content"]["extra_key"]["important"],
        1
    );
}

#[test]
fn identical_lines_at_alternating_times_get_distinct_ids() {
    let dir = tempfile::tempdir().unwrap();
    let mut wa = String::new();
    let mut line = String::from("2024/01/02(Tue)\n");
    for i in 0..2000 {
        let t = if i % 2 == 0 { "09:00" } else { "10:00" };
        wa.push_str(&format!("14/02/20, {t} - Ann: ok\n"));
        line.push_str(&format!("{t}\tAnn\tok\n"));
    }
    for (name, text, platform) in [
        ("chat.txt", wa, Platform::WhatsApp),
        ("line.txt", line, Platform::Line),
    ] {
        let p = write(dir.path(), name, &text);
        let imp = import(&p, platform);
        let ids: std::collections::BTreeSet<String> = imp
            .messages()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 2000, "{name}");
    }
}

#[test]
fn line_quotes_in_text_and_dates_in_text_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "[LINE] Chat with Ann.txt",
        "2024/01/02(Tue)\n10:02\tAnn\t\"Dune\" is great\n10:03\t\tCarol joined the group\n10:04\tCarol\thello all\n10:05\tAnn\t\"first\n\n2024/03/01 deadline\nbring laptops\"\n10:06\tBob\tyes\n",
    );
    let imp = import(&p, Platform::Line);
    let m = imp.messages();
    assert_eq!(m.len(), 5);
    assert_eq!(m[0]["text"], "\"Dune\" is great");
    assert_eq!(m[2]["sender_name"], "Carol");
    assert!(
        m[3]["text"]
            .as_str()
            .unwrap()
            .contains("2024/03/01 deadline"),
        "{}",
        m[3]
    );
    assert_eq!(m[4]["time"]["at"], "2024-01-02T10:06");
    assert_eq!(imp.report.warning_count("text-before-first-message"), 0);
}

#[test]
fn whatsapp_year_first_files_and_logs_are_not_taken_for_signal() {
    let dir = tempfile::tempdir().unwrap();
    let wa = write(
        dir.path(),
        "wa.txt",
        "2024-01-15 10:00 - Ann: hello\n2024-01-15 10:01 - Bob: hi\n",
    );
    let log = write(
        dir.path(),
        "app.log",
        "2024-01-15 10:00 INFO: started\n2024-01-15 10:01 WARN: disk low\n",
    );
    let det = |p: &Path| chatport_import::detect(&chatport_import::Input::open(p).unwrap());
    assert_eq!(det(&wa).unwrap(), Platform::WhatsApp);
    assert!(det(&log).is_err());
}

#[test]
fn sigtop_text_edited_replies_keep_every_version_and_body_paragraphs_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    let edited = write(
        dir.path(),
        "edited.txt",
        "Conversation: Ann (+15551234567)\n\nFrom: Ann (+15551234567)\nType: incoming\nSent: Mon, 2 Jan 2006 15:04:05 -0700\nReceived: Mon, 2 Jan 2006 15:04:06 -0700\n\noriginal question\n\nFrom: You\nType: outgoing\nSent: Mon, 2 Jan 2006 15:05:05 -0700\nEdited: 2 versions\n\n| Version: 2\n| Sent: Mon, 2 Jan 2006 15:07:05 -0700\n|\n| > From: Ann (+15551234567)\n| > Sent: Mon, 2 Jan 2006 15:04:05 -0700\n| >\n| > original question\n|\n| second answer\n|\n| Version: 1\n| Sent: Mon, 2 Jan 2006 15:05:05 -0700\n|\n| > From: Ann (+15551234567)\n| > Sent: Mon, 2 Jan 2006 15:04:05 -0700\n| >\n| > original question\n|\n| first answer\n\n",
    );
    let imp = import(&edited, Platform::Signal);
    let m = imp.messages();
    assert_eq!(m.len(), 2);
    assert_eq!(m[1]["text"], "second answer");
    assert_eq!(m[1]["edited"]["history"][0]["text"], "first answer");
    let fields = write(
        dir.path(),
        "fields.txt",
        "Conversation: Ann (+15551234567)\n\nFrom: Ann (+15551234567)\nType: incoming\nSent: Mon, 2 Jan 2006 15:04:05 -0700\nReceived: Mon, 2 Jan 2006 15:04:06 -0700\n\nHere is the form:\n\nType: individual\nName: Ann\n\nFrom: You\nType: outgoing\nSent: Mon, 2 Jan 2006 15:05:05 -0700\n\nthanks\n\nFrom: You\nType: outgoing\nSent: Mon, 2 Jan 2006 15:06:05 -0700\nExpires: 1 day\n\ndisappearing text\n\n",
    );
    let imp = import(&fields, Platform::Signal);
    let m = imp.messages();
    assert_eq!(
        imp.report.source_messages, 3,
        "a body paragraph `Type: …` starts no message"
    );
    assert!(m[0]["text"].as_str().unwrap().contains("Name: Ann"));
    assert_eq!(m[2]["text"], "disappearing text");
    assert_eq!(m[2]["extensions"]["org.signal"]["Expires"], "1 day");
}
