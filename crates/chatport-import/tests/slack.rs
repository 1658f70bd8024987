//! The Slack importer: one handwritten export per edge case (each snapshotted and checked for
//! the behaviour it exists for), the shared corpus counted independently, and inputs that must
//! fail cleanly.

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(case: &str) -> PathBuf {
    common::fixtures("slack").join(case)
}

/// Imports a fixture to .jsonl, snapshots the archive and returns it.
fn snap(case: &str) -> common::Imported {
    let imp = common::import_fixture(Platform::Slack, case);
    insta::assert_snapshot!(case, common::snapshot_text(&imp.archive));
    imp
}

fn by_id<'a>(records: &'a [Value], id: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}

fn import_path(path: &Path) -> Result<common::Imported, chatport_import::ImportError> {
    common::import_as(path, Platform::Slack, "out.jsonl", ImportOptions::default())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn basic_export_users_channels_mrkdwn_edits_reactions() {
    assert_eq!(
        detect(&Input::open(&fixture("basic")).unwrap()).unwrap(),
        Platform::Slack
    );
    let imp = snap("basic");
    let r = imp.records();
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 5);
    assert_eq!(imp.report.source_messages, 5);

    // Accounts from users.json: display name, else real name; deleted, bot and Slackbot.
    assert_eq!(by_id(&r, "sl-u-U01ANN")["display_name"], "Ann");
    assert_eq!(by_id(&r, "sl-u-U01ANN")["handle"], "ann");
    assert_eq!(by_id(&r, "sl-u-U01ANN")["other_names"][0], "Ann Example");
    assert_eq!(by_id(&r, "sl-u-U02BOB")["display_name"], "Bob Builder");
    assert_eq!(by_id(&r, "sl-u-U03CARL")["deleted"], true);
    assert_eq!(by_id(&r, "sl-u-U04HOOK")["bot"], true);
    assert_eq!(by_id(&r, "sl-u-USLACKBOT")["bot"], true);

    // created as a string (2016 exports) and as a number.
    let general = by_id(&r, "sl-c-C01GEN");
    assert_eq!(general["kind"], "channel");
    assert_eq!(general["created"]["at"], "2020-01-01T00:00:00Z");
    assert_eq!(general["description"], "Company-wide & everything");
    assert_eq!(general["members"].as_array().unwrap().len(), 3);
    assert_eq!(
        by_id(&r, "sl-c-C02RND")["created"]["at"],
        "2020-01-01T00:01:40Z"
    );
    assert_eq!(by_id(&r, "sl-c-C02RND")["description"], "Anything goes");

    // Folders in name order (general before random), days in date order.
    let order: Vec<&str> = msgs.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(
        order,
        [
            "sl-m-C01GEN-1577880000.000100",
            "sl-m-C01GEN-1577880060.000200",
            "sl-m-C01GEN-1577880120.000300",
            "sl-m-C01GEN-1577966400.000001",
            "sl-m-C02RND-1577880030.000050",
        ]
    );
    assert_eq!(msgs[3]["ordinal"], 4);
    assert_eq!(msgs[4]["ordinal"], 1);

    // The time keeps ts's microseconds.
    assert_eq!(msgs[0]["time"]["at"], "2020-01-01T12:00:00.000100Z");
    assert_eq!(msgs[0]["time"]["precision"], "microsecond");

    // mrkdwn: mentions, channel mentions, links and entities decoded.
    assert_eq!(
        msgs[0]["text"],
        "Hello @Bob Builder, see #random and #random & the docs <v2> or ann@example.org"
    );
    let spans = msgs[0]["spans"].as_array().unwrap();
    assert_eq!(spans[0]["account"], "sl-u-U02BOB");
    assert_eq!(
        (spans[0]["start"].as_u64(), spans[0]["end"].as_u64()),
        (Some(6), Some(18))
    );
    assert_eq!(spans[1]["conversation"], "sl-c-C02RND");
    assert_eq!(spans[1]["name"], "C02RND");
    assert_eq!(
        msgs[1]["edited"]["by"], "sl-u-U02BOB",
        "the editor is an account"
    );
    assert_eq!(spans[3]["kind"], "link");
    assert_eq!(spans[3]["url"], "https://example.org/a?b=1&c=2");
    assert_eq!(spans[4]["url"], "mailto:ann@example.org");

    // Group mentions; a surrogate-pair emoji counts as one code point; bare < > stay text.
    let text = msgs[1]["text"].as_str().unwrap();
    assert_eq!(
        text,
        "@here @channel @everyone @devs @ann emoji 😀 then 1 < 2 > 0"
    );
    let s = &msgs[1]["spans"];
    assert_eq!(s[0]["name"], "here");
    assert_eq!(s[3]["name"], "subteam^S01DEV");
    assert_eq!(s[4]["account"], "sl-u-U01ANN");
    assert_eq!(s.as_array().unwrap().len(), 5);

    // Edits: the time, and the editor as an account (not left in extensions).
    assert_eq!(
        msgs[1]["edited"]["time"]["at"],
        "2020-01-01T12:02:00.000000Z"
    );
    assert!(msgs[1]["extensions"]["com.slack"].get("edited").is_none());
    // Reactions: shortcodes, counts, who.
    let re = &msgs[1]["reactions"];
    assert_eq!(re[0]["emoji"], ":+1:");
    assert_eq!(re[0]["count"], 2);
    assert_eq!(re[0]["by"][1]["account"], "sl-u-U03CARL");
    assert_eq!(re[1]["emoji"], ":thumbsup::skin-tone-3:");
    // me_message stays a message, its subtype kept.
    assert_eq!(msgs[2]["extensions"]["com.slack"]["subtype"], "me_message");
    assert!(msgs[2].get("event").is_none());
    // Without blocks the mrkdwn style markers stay as written.
    assert!(
        msgs[3]["text"]
            .as_str()
            .unwrap()
            .starts_with("*bold* _italic_")
    );
    assert!(msgs[3].get("spans").is_none());
}

#[test]
fn threads_across_days_broadcast_and_tombstone() {
    let imp = snap("threads");
    let msgs = imp.messages();
    let m = |ts: &str| {
        msgs.iter()
            .find(|m| m["platform_id"] == ts)
            .unwrap_or_else(|| panic!("no message {ts}"))
            .clone()
    };
    // A reply whose root is older than the export: the platform id only.
    let orphan = m("1577836900.000010");
    assert!(orphan["thread"].get("root").is_none());
    assert_eq!(orphan["thread"]["platform_id"], "1577000000.000001");
    // Replies on the root's day and on the next day point at the written root.
    let root = "sl-m-C03DEV-1577880000.000100";
    assert_eq!(m("1577880100.000200")["thread"]["root"], root);
    assert_eq!(m("1577970000.000300")["thread"]["root"], root);
    assert_eq!(
        m("1577970000.000300")["extensions"]["com.slack"]["parent_user_id"],
        "U01ANN"
    );
    // The root keeps its thread metadata.
    let r = m("1577880000.000100");
    assert!(r.get("thread").is_none());
    assert_eq!(r["extensions"]["com.slack"]["reply_count"], 2);
    assert_eq!(
        r["extensions"]["com.slack"]["replies"][1]["ts"],
        "1577970000.000300"
    );
    assert_eq!(r["extensions"]["com.slack"]["reply_users"][0], "U02BOB");
    // A broadcast reply: flagged, its embedded root kept.
    let b = m("1577970100.000500");
    assert_eq!(b["thread"]["broadcast"], true);
    assert_eq!(b["thread"]["root"], root);
    assert_eq!(b["extensions"]["com.slack"]["root"]["reply_count"], 3);
    // The tombstoned root is a deleted message; its replies still point at it.
    let t = m("1577890000.000400");
    assert_eq!(t["deleted"]["placeholder"], "This message was deleted.");
    assert!(t.get("text").is_none());
    assert_eq!(imp.report.messages_by_kind["deleted"], 1);
    assert_eq!(
        m("1577970200.000600")["thread"]["root"],
        "sl-m-C03DEV-1577890000.000400"
    );
}

#[test]
fn files_remote_local_hidden_and_legacy_attachments() {
    let imp = snap("files");
    let msgs = imp.messages();
    // The 2016 single `file`: remote, and its uploader is the sender (no `user` key).
    let old = &msgs[0];
    assert_eq!(old["sender"], "sl-u-U01ANN");
    assert_eq!(old["attachments"][0]["status"], "remote");
    assert_eq!(old["attachments"][0]["original_name"], "notes.txt");
    let a = msgs[1]["attachments"].as_array().unwrap();
    assert_eq!(a.len(), 5);
    // Each withheld file is reported at its own pointer.
    let g = imp
        .report
        .warnings
        .iter()
        .find(|g| g.code == "file-not-in-export")
        .unwrap();
    assert!(
        g.examples[0].ends_with("2020-01-01.json#/1/files/2"),
        "{:?}",
        g.examples
    );
    assert!(g.examples[2].ends_with("#/1/files/4"), "{:?}", g.examples);
    assert_eq!(a[0]["kind"], "image");
    assert_eq!(a[0]["width"], 640);
    assert_eq!(
        a[0]["url"],
        "https://files.slack.com/files-pri/T01-F02REM/cat.jpg"
    );
    // In the export, but a .jsonl output cannot carry it.
    assert_eq!(a[1]["status"], "missing");
    assert_eq!(a[1]["missing_reason"], chatport_import::NOT_COPIED);
    assert_eq!(a[1]["caption"], "A photo");
    assert_eq!(a[2]["missing_reason"], "hidden_by_limit");
    assert_eq!(a[3]["missing_reason"], "tombstone");
    assert_eq!(a[4]["missing_reason"], "file_not_found");
    assert_eq!(a[4]["kind"], "audio");
    assert_eq!(a[4]["duration_seconds"], 2.5);
    // blocks: null is no data.
    assert!(msgs[1]["extensions"]["com.slack"].get("blocks").is_none());
    assert_eq!(imp.report.warning_count("file-not-in-export"), 3);
    // Legacy attachments become embeds, the whole object kept.
    let e = &msgs[2]["embeds"][0];
    assert_eq!(e["title"], "Example & Co");
    assert_eq!(e["url"], "https://example.org/");
    assert_eq!(e["description"], "A page about things");
    assert_eq!(e["site_name"], "Example");
    assert_eq!(e["image"]["status"], "remote");
    assert_eq!(
        e["extensions"]["com.slack"]["fallback"],
        "Example: Example & Co"
    );
    assert!(msgs[2].get("forwarded").is_none());
    // A shared message: forwarded from its author, and its embed.
    let f = &msgs[3]["forwarded"];
    assert_eq!(f["account"], "sl-u-U01ANN");
    assert_eq!(f["from_name"], "Ann");
    assert_eq!(f["platform_id"], "1577880000.000100");
    assert_eq!(f["time"]["at"], "2020-01-01T12:00:00.000100Z");
    assert_eq!(msgs[3]["embeds"][0]["description"], "an older message");
}

#[test]
fn files_in_the_export_are_copied_into_a_bundle() {
    let imp = common::import_as(
        &fixture("files"),
        Platform::Slack,
        "bundle",
        ImportOptions::default(),
    )
    .unwrap();
    let msgs = imp.messages();
    let a = &msgs[1]["attachments"][1];
    assert_eq!(a["status"], "present");
    assert_eq!(a["original_name"], "photo.png");
    let path = a["path"].as_str().unwrap();
    let bytes = std::fs::read(imp.out.join(path)).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(fixture("files/general/attachments/F03LOCAL-photo.png")).unwrap()
    );
    assert_eq!(a["size"], bytes.len() as u64);
    assert_eq!(imp.report.attachments["present"], 1);
}

#[test]
fn bots_deleted_users_slackbot_and_unknown_users() {
    let imp = snap("bots");
    let r = imp.records();
    let msgs = imp.messages();
    assert_eq!(msgs[0]["sender"], "sl-b-B01CI");
    assert_eq!(msgs[0]["sender_name"], "ci");
    assert_eq!(by_id(&r, "sl-b-B01CI")["bot"], true);
    assert_eq!(by_id(&r, "sl-b-B01CI")["display_name"], "ci");
    assert_eq!(by_id(&r, "sl-b-B02DEP")["display_name"], "Deployer");
    assert_eq!(
        by_id(&r, "sl-b-B02DEP")["extensions"]["com.slack"]["bot_profile"]["app_id"],
        "A01"
    );
    // No bot id and no user: the name only.
    assert!(msgs[2].get("sender").is_none());
    assert_eq!(msgs[2]["sender_name"], "legacy-hook");
    // A user id wins over the bot id, which is kept.
    assert_eq!(msgs[3]["sender"], "sl-u-U04HOOK");
    assert_eq!(msgs[3]["extensions"]["com.slack"]["bot_id"], "B04HOOK");
    assert_eq!(msgs[4]["sender"], "sl-u-U03CARL");
    assert_eq!(msgs[4]["sender_name"], "Carl Gone");
    assert_eq!(msgs[5]["sender"], "sl-u-USLACKBOT");
    // Someone users.json does not list gets a bare account and a warning.
    assert_eq!(msgs[6]["sender"], "sl-u-U09NEW");
    assert_eq!(by_id(&r, "sl-u-U09NEW")["platform_id"], "U09NEW");
    assert_eq!(imp.report.warning_count("user-not-listed"), 1);
}

#[test]
fn dm_exports_with_id_folders_mpims_and_private_channels() {
    let imp = snap("dms");
    let r = imp.records();
    assert_eq!(by_id(&r, "sl-c-D01AB")["kind"], "direct");
    assert_eq!(by_id(&r, "sl-c-DSELF1")["kind"], "self_chat");
    assert_eq!(
        by_id(&r, "sl-c-DSELF1")["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(by_id(&r, "sl-c-G01MP")["kind"], "group");
    assert_eq!(by_id(&r, "sl-c-G02PRIV")["kind"], "channel");
    assert_eq!(
        by_id(&r, "sl-c-G02PRIV")["extensions"]["com.slack"]["is_archived"],
        true
    );
    let convs: Vec<String> = imp
        .messages()
        .iter()
        .map(|m| m["conversation"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        convs,
        [
            "sl-c-D01AB",
            "sl-c-D01AB",
            "sl-c-DSELF1",
            "sl-c-G01MP",
            "sl-c-G02PRIV"
        ]
    );
    assert_eq!(imp.report.warning_count("folder-not-listed"), 0);
}

#[test]
fn subtypes_become_events_and_unknown_ones_are_kept() {
    let imp = snap("subtypes");
    let msgs = imp.messages();
    let kinds: Vec<(String, String)> = msgs
        .iter()
        .map(|m| {
            (
                m["event"]["kind"].as_str().unwrap_or("-").to_owned(),
                m["event"]["platform_kind"]
                    .as_str()
                    .unwrap_or("-")
                    .to_owned(),
            )
        })
        .collect();
    let expected = [
        ("joined", "channel_join"),
        ("added", "channel_join"),
        ("description_changed", "channel_topic"),
        ("description_changed", "channel_purpose"),
        ("renamed", "channel_name"),
        ("-", "-"),
        ("pinned", "pinned_item"),
        ("unpinned", "unpinned_item"),
        ("other", "bot_add"),
        ("-", "-"),
        ("other", "huddle_thread"),
        ("left", "channel_leave"),
        ("other", "channel_archive"),
        ("joined", "group_join"),
        ("-", "-"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(kinds, expected);
    assert_eq!(msgs[1]["event"]["actor"], "sl-u-U01ANN");
    assert_eq!(msgs[1]["event"]["targets"][0], "sl-u-U02BOB");
    assert_eq!(msgs[2]["event"]["new_value"], "New topic");
    assert_eq!(msgs[4]["event"]["old_value"], "general-old");
    assert_eq!(msgs[4]["event"]["new_value"], "general");
    assert_eq!(msgs[5]["pinned"], true);
    assert_eq!(msgs[6]["event"]["message"], msgs[5]["id"]);
    assert_eq!(
        msgs[9]["extensions"]["com.slack"]["comment"]["comment"],
        "nice"
    );
    assert_eq!(msgs[9]["sender"], "sl-u-U02BOB");
    assert_eq!(msgs[10]["extensions"]["com.slack"]["room"]["id"], "R01");
    // A non-message `type` is kept as it came.
    assert_eq!(msgs[14]["extensions"]["com.slack"]["type"], "reminder");
    assert_eq!(imp.report.messages, 15);
}

#[test]
fn rich_text_blocks_give_spans_and_unmappable_blocks_are_kept() {
    let imp = snap("blocks");
    let msgs = imp.messages();
    let m = &msgs[0];
    let text = m["text"].as_str().unwrap();
    assert_eq!(
        text,
        "Hi there old x() @Bob in #random @here :party_parrot: :smile: site\n• one\n• two\n1. first\nquoted\nlet a = 1;"
    );
    let span = |kind: &str| {
        m["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} span"))
            .clone()
    };
    let cut = |s: &Value| -> String {
        let (a, b) = (
            s["start"].as_u64().unwrap() as usize,
            s["end"].as_u64().unwrap() as usize,
        );
        text.chars().skip(a).take(b - a).collect()
    };
    assert_eq!(cut(&span("bold")), "Hi");
    assert_eq!(cut(&span("italic")), "there");
    assert_eq!(cut(&span("strikethrough")), "old");
    assert_eq!(cut(&span("code")), "x()");
    assert_eq!(cut(&span("mention")), "@Bob");
    assert_eq!(span("mention")["account"], "sl-u-U02BOB");
    assert_eq!(cut(&span("custom_emoji")), ":party_parrot:");
    assert_eq!(span("link")["url"], "https://example.org");
    assert_eq!(cut(&span("quote")), "quoted");
    assert_eq!(cut(&span("pre")), "let a = 1;");
    // Blocks used: they are not kept, the raw mrkdwn text is.
    let ext = &m["extensions"]["com.slack"];
    assert!(ext.get("blocks").is_none());
    assert!(ext["text"].as_str().unwrap().starts_with("*Hi*"));
    // A custom emoji seen in blocks marks the reaction custom; a standard one is not.
    assert_eq!(m["reactions"][0]["custom"], true);
    assert!(m["reactions"][1].get("custom").is_none());
    // Stale blocks, section blocks and unknown elements: mrkdwn text, blocks kept verbatim.
    for m in &msgs[1..] {
        assert!(m["extensions"]["com.slack"]["blocks"].is_array(), "{m}");
    }
    assert_eq!(
        msgs[1]["text"],
        "edited text that the stale blocks do not match"
    );
}

#[test]
fn messy_exports_account_for_every_element() {
    let imp = snap("messy");
    let rep = &imp.report;
    assert_eq!(rep.source_messages, 7);
    assert_eq!(rep.messages, 5);
    let skipped: Vec<(&str, u64)> = rep
        .skipped
        .iter()
        .map(|g| (g.code.as_str(), g.count))
        .collect();
    assert_eq!(skipped, [("not-a-message", 1), ("duplicate-message", 1)]);
    assert_eq!(rep.warning_count("message-without-ts"), 2);
    assert_eq!(rep.warning_count("conversation-listed-twice"), 1);
    assert_eq!(rep.warning_count("list-entry-unreadable"), 1);
    assert_eq!(rep.warning_count("file-not-imported"), 2);
    assert_eq!(rep.warning_count("folder-not-listed"), 1);
    let r = imp.records();
    assert_eq!(by_id(&r, "sl-c-orphan")["kind"], "unknown");
    assert_eq!(by_id(&r, "sl-c-C01GEN")["title"], "general");
    // The float ts is kept as it came.
    let msgs = imp.messages();
    assert_eq!(msgs[2]["extensions"]["com.slack"]["ts"], 1577880001.5);
    assert!(msgs[2].get("time").is_none());
}

#[test]
fn single_message_array_imports_as_one_conversation() {
    let path = fixture("single/dev-channel.json");
    assert_eq!(
        detect(&Input::open(&path).unwrap()).unwrap(),
        Platform::Slack
    );
    let imp = import_path(&path).unwrap();
    insta::assert_snapshot!("single_array", common::snapshot_text(&imp.archive));
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["conversation"], "sl-c-dev-channel");
    assert_eq!(msgs[1]["thread"]["root"], msgs[0]["id"]);
    assert_eq!(msgs[1]["spans"][0]["account"], "sl-u-U01ANN");
}

#[test]
fn single_message_object_imports() {
    let path = fixture("single/one-message.json");
    assert_eq!(
        detect(&Input::open(&path).unwrap()).unwrap(),
        Platform::Slack
    );
    let imp = import_path(&path).unwrap();
    insta::assert_snapshot!("single_object", common::snapshot_text(&imp.archive));
    assert_eq!(imp.messages()[0]["sender"], "sl-b-B01CI");
}

#[test]
fn a_lone_users_json_imports_its_accounts_and_says_the_messages_are_elsewhere() {
    let path = fixture("single/users.json");
    assert_eq!(
        detect(&Input::open(&path).unwrap()).unwrap(),
        Platform::Slack
    );
    let imp = import_path(&path).unwrap();
    assert_eq!(imp.report.messages, 0);
    assert!(imp.report.participants > 0);
    assert_eq!(imp.report.warning_count("no-messages"), 1);
    let w = &imp
        .report
        .warnings
        .iter()
        .find(|g| g.code == "no-messages")
        .unwrap()
        .message;
    assert!(
        w.contains("users.json") && w.contains("holds no messages"),
        "{w}"
    );
}

/// Zips the `basic` fixture under one top folder, as users often re-zip an unpacked export.
fn zip_with_top_folder(dest: &Path) {
    use std::io::Write;
    let f = std::fs::File::create(dest).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    let base = fixture("basic");
    let mut files = Vec::new();
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    walk(&base, &base, &mut files);
    files.sort();
    for rel in files {
        let name = format!("Acme Slack export Jan 1 2020/{}", rel.to_string_lossy());
        z.start_file(name, opts).unwrap();
        z.write_all(&std::fs::read(base.join(&rel)).unwrap())
            .unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn zip_with_one_top_folder_imports_like_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("export.zip");
    zip_with_top_folder(&zip);
    assert_eq!(
        detect(&Input::open(&zip).unwrap()).unwrap(),
        Platform::Slack
    );
    let from_zip = import_path(&zip).unwrap();
    let from_dir = import_path(&fixture("basic")).unwrap();
    let ids = |i: &common::Imported| -> Vec<String> {
        i.messages().iter().map(|m| m["id"].to_string()).collect()
    };
    assert_eq!(ids(&from_zip), ids(&from_dir));
    assert_eq!(
        from_zip.messages()[0]["origin"]["file"],
        "Acme Slack export Jan 1 2020/general/2020-01-01.json"
    );
}

#[test]
fn same_input_same_bytes() {
    let a = import_path(&fixture("blocks")).unwrap();
    let b = import_path(&fixture("blocks")).unwrap();
    assert_eq!(a.archive, b.archive);
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("export.zip");
    zip_with_top_folder(&zip);
    assert_eq!(
        import_path(&zip).unwrap().archive,
        import_path(&zip).unwrap().archive
    );
}

fn assert_invalid(path: &Path, names: &str) {
    match import_path(path) {
        Ok(_) => panic!("{} imported", path.display()),
        Err(e) => {
            assert_eq!(e.exit_code(), 1, "{e}");
            assert!(e.to_string().contains(names), "{e} does not name {names}");
        }
    }
}

#[test]
fn truncated_empty_and_garbage_day_files_fail_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    copy_dir(&fixture("basic"), &export);
    let day = export.join("general/2020-01-01.json");
    let full = std::fs::read(&day).unwrap();
    std::fs::write(&day, &full[..full.len() / 2]).unwrap();
    assert_invalid(&export, "2020-01-01.json:");
    std::fs::write(&day, b"").unwrap();
    assert_invalid(&export, "2020-01-01.json:1:0");
    std::fs::write(&day, [0u8, 159, 146, 150, 255, 1, 2]).unwrap();
    assert_invalid(&export, "2020-01-01.json:1:");
    std::fs::write(&day, br#"{"not": "an array"}"#).unwrap();
    assert_invalid(&export, "2020-01-01.json:1:");
    std::fs::write(&day, &full).unwrap();
    std::fs::write(export.join("users.json"), [0xffu8, 0xfe, 0, 1]).unwrap();
    assert_invalid(&export, "users.json:1:");
}

#[test]
fn other_inputs_are_not_slack_and_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // An array of another tool's objects, the first too large for detection to read whole.
    let big_first = format!(r#"[{{"title":"{}","mapping":{{}}}}]"#, "x".repeat(70_000));
    let cases: [(&str, &[u8]); 8] = [
        ("empty.json", b""),
        ("garbage.bin", &[0, 1, 2, 0xff, 0xfe, b'[', b'{']),
        (
            "result.json",
            br#"{"name":"Ann","type":"personal_chat","id":1,"messages":[{"id":1,"type":"message","date":"2024-01-01T10:00:00","text":"hi"}]}"#,
        ),
        (
            "discord.json",
            br#"{"guild":{"id":"1","name":"G"},"channel":{"id":"2","type":"GuildTextChat"},"messages":[{"id":"3","type":"Default","timestamp":"2024-01-01T10:00:00+00:00","content":"hi"}]}"#,
        ),
        ("chat.txt", b"12/31/24, 10:00 - Ann: hi\n"),
        ("empty-array.json", b"[]"),
        ("truncated.json", br#"[{"type":"message","ts":"1577880000.000100","text":"a"},{"ty"#),
        ("big-first.json", big_first.as_bytes()),
    ];
    for (name, bytes) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let input = Input::open(&p).unwrap();
        if name != "truncated.json" {
            assert!(
                !detect(&input).is_ok_and(|p| p == Platform::Slack),
                "{name} detected as Slack"
            );
        }
        if name == "empty-array.json" {
            // An empty array is an empty channel: nothing to refuse.
            let imp = import_path(&p).unwrap();
            assert_eq!(imp.report.messages, 0);
            continue;
        }
        assert_invalid(&p, name);
    }
}

/// The number of messages a corpus file holds, counted without the importer; `None` for files
/// that hold none (metadata lists on their own).
fn count_messages(path: &Path) -> Option<u64> {
    if path.extension().is_some_and(|e| e == "zip") {
        let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut n = 0;
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            let name = e.name().unwrap().to_string();
            let file = name.rsplit('/').next().unwrap();
            let depth = name.matches('/').count();
            let is_day = file.len() == 15
                && file.ends_with(".json")
                && file[..4].chars().all(|c| c.is_ascii_digit())
                && (depth == 1 || depth == 2);
            if is_day {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut e, &mut s).unwrap();
                let v: Value = serde_json::from_str(&s).unwrap();
                n += v.as_array().unwrap().len() as u64;
            }
        }
        return Some(n);
    }
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    match &v {
        Value::Object(o) if o.contains_key("ts") => Some(1),
        Value::Array(a) if a.first().is_some_and(|m| m.get("ts").is_some()) => Some(a.len() as u64),
        _ => None,
    }
}

#[test]
fn corpus_imports_and_counts_match() {
    let Some(dir) = common::corpus("slack") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip" || e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "the Slack corpus has 8 files");
    let mut imported = 0;
    for path in &files {
        assert_eq!(
            detect(&Input::open(path).unwrap()).unwrap(),
            Platform::Slack,
            "{}",
            path.display()
        );
        match count_messages(path) {
            Some(n) => {
                let imp = import_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(imp.report.source_messages, n, "{}", path.display());
                assert_eq!(imp.report.messages, n, "{}", path.display());
                assert_eq!(imp.messages().len() as u64, n);
            }
            None => {
                // A list of the export on its own: what it holds comes over, and the report
                // says the messages are in the whole export.
                let imp = import_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(imp.report.messages, 0);
                assert_eq!(
                    imp.report.warning_count("no-messages"),
                    1,
                    "{}",
                    path.display()
                );
                assert!(imp.report.participants + imp.report.conversations > 0);
            }
        }
        imported += 1;
    }
    assert_eq!(imported, 8);
}

#[test]
fn corpus_export_zip_details() {
    let Some(dir) = common::corpus("slack") else {
        return;
    };
    let imp = common::import_as(
        &dir.join("slack-export-viewer_testarchive.zip"),
        Platform::Slack,
        "out.zip",
        ImportOptions::default(),
    )
    .unwrap();
    let r = imp.records();
    assert_eq!(by_id(&r, "sl-c-C0JGLMMNX")["title"], "enrique");
    assert_eq!(
        by_id(&r, "sl-c-C0JGLMMNX")["created"]["at"],
        "2016-01-15T05:55:18Z"
    );
    let header = &r[0];
    assert_eq!(
        header["sources"][0]["extensions"]["com.slack"]["integration_logs"]
            .as_array()
            .unwrap()
            .len(),
        serde_json::from_slice::<Value>(&{
            let mut z = zip::ZipArchive::new(
                std::fs::File::open(dir.join("slack-export-viewer_testarchive.zip")).unwrap(),
            )
            .unwrap();
            let mut e = z.by_name("integration_logs.json").unwrap();
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut b).unwrap();
            b
        })
        .unwrap()
        .as_array()
        .unwrap()
        .len()
    );
    let msgs = imp.messages();
    let reacted = msgs.iter().find(|m| m.get("reactions").is_some()).unwrap();
    assert_eq!(reacted["reactions"][0]["emoji"], ":botman:");
    assert_eq!(reacted["sender"], "sl-b-B0JL6RASU");
    assert_eq!(imp.report.attachments["remote"], 4);
    assert_eq!(imp.report.messages_by_kind["event"], 11);
}

#[test]
fn other_platforms_corpus_files_are_not_detected_as_slack() {
    let Some(dir) = common::corpus("slack") else {
        return;
    };
    let root = dir.parent().unwrap();
    let mut checked = 0;
    for platform in std::fs::read_dir(root).unwrap() {
        let platform = platform.unwrap().path();
        if !platform.is_dir() || platform.ends_with("slack") {
            continue;
        }
        for f in std::fs::read_dir(&platform).unwrap() {
            let f = f.unwrap().path();
            let Ok(input) = Input::open(&f) else {
                continue;
            };
            assert!(
                !detect(&input).is_ok_and(|p| p == Platform::Slack),
                "{} detected as Slack",
                f.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}
