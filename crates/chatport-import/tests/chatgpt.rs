//! The ChatGPT importer against handwritten fixtures (one edge case each, snapshotted), the
//! shared corpus, and inputs that are not ChatGPT exports. The fixtures follow the shape of the
//! corpus file (realazthat/chatgpt2graph) and of the research notes, section 7; `minimal.json`
//! follows the minimal files other tools write (mikegraham/looselips, alyssafuward/chatgpt-explorer).

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::Value;
use std::path::Path;

const GPT: Platform = Platform::ChatGpt;
const NS: &str = "com.openai.chatgpt";

fn snapshot(case: &str) -> common::Imported {
    let imp = common::import_fixture(GPT, case);
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

fn warned(imp: &common::Imported, code: &str) -> bool {
    imp.report.warnings.iter().any(|w| w.code == code)
}

#[test]
fn branches_keep_the_visible_one_first_and_the_others_after() {
    let imp = snapshot("branches.json");
    let msgs = imp.messages();
    let order: Vec<&str> = msgs
        .iter()
        .map(|m| m["platform_id"].as_str().unwrap())
        .collect();
    // The visible branch root to leaf, then the earlier prompt and its answer, then the first
    // answer to the edited prompt.
    assert_eq!(
        order,
        [
            "sys-hidden",
            "custom",
            "q1-edit",
            "a2-regen",
            "q1",
            "a1",
            "a2"
        ]
    );
    let ordinals: Vec<u64> = msgs
        .iter()
        .map(|m| m["ordinal"].as_u64().unwrap())
        .collect();
    assert_eq!(ordinals, [1, 2, 3, 4, 5, 6, 7]);
    let q1 = by_platform_id(&msgs, "q1");
    assert_eq!(q1["extensions"][NS]["branch"], "alternative");
    assert_eq!(
        q1["reply_to"]["message"],
        by_platform_id(&msgs, "custom")["id"]
    );
    let a2 = by_platform_id(&msgs, "a2");
    assert_eq!(
        a2["reply_to"]["message"],
        by_platform_id(&msgs, "q1-edit")["id"]
    );
    let main = by_platform_id(&msgs, "a2-regen");
    assert!(main["extensions"][NS].get("branch").is_none());
    assert!(main.get("reply_to").is_none());
    assert_eq!(
        main["text"],
        "Early autumn, before the ground freezes: \n\nSeptember or October."
    );
    // Hidden nodes are kept and marked.
    for id in ["sys-hidden", "custom"] {
        let m = by_platform_id(&msgs, id);
        assert_eq!(m["extensions"][NS]["hidden"], true, "{id}");
        assert!(
            m.get("time").is_none(),
            "{id}: null create_time gives no time"
        );
    }
    assert_eq!(
        by_platform_id(&msgs, "q1")["time"]["at"],
        "2023-11-14T22:13:30.500Z"
    );
    let recs = imp.records();
    let conv = &imp.conversation();
    assert_eq!(conv["id"], "gpt-c-11111111-2222-3333-4444-555555555555");
    assert_eq!(conv["created"]["at"], "2023-11-14T22:13:20.123456Z");
    assert_eq!(conv["created"]["precision"], "microsecond");
    assert_eq!(conv["extensions"][NS]["current_node"], "a2-regen");
    let user = recs.iter().find(|r| r["id"] == "gpt-u-user").unwrap();
    assert_eq!(user["is_self"], true);
}

#[test]
fn content_types_map_and_unknown_ones_are_kept() {
    let imp = snapshot("content_types.json");
    let msgs = imp.messages();
    let u1 = by_platform_id(&msgs, "u1");
    assert_eq!(
        u1["text"],
        "what is in this picture\n\nPlot the numbers on it"
    );
    assert_eq!(u1["attachments"][0]["kind"], "image");
    assert_eq!(u1["attachments"][0]["status"], "missing");
    assert_eq!(u1["attachments"][0]["width"], 1024);
    assert!(
        u1["attachments"][0]["missing_reason"]
            .as_str()
            .unwrap()
            .contains("file-service://file-Ab12Cd34")
    );
    let code = by_platform_id(&msgs, "c1");
    assert_eq!(code["spans"][0]["kind"], "pre");
    assert_eq!(code["spans"][0]["language"], "python");
    let out = by_platform_id(&msgs, "x1");
    assert_eq!(out["sender"], "gpt-u-tool-python");
    assert_eq!(out["text"], "[<matplotlib.lines.Line2D at 0x7f>]");
    assert_eq!(
        by_platform_id(&msgs, "t1")["text"],
        "Reading the image\n\nThe picture shows a table of numbers."
    );
    assert_eq!(by_platform_id(&msgs, "rr")["text"], "Thought for 4 seconds");
    let quote = by_platform_id(&msgs, "q1");
    assert_eq!(quote["sender"], "gpt-u-tool-browser");
    assert_eq!(
        quote["extensions"][NS]["content"]["url"],
        "https://example.org/tulips"
    );
    let unknown = by_platform_id(&msgs, "z1");
    assert!(unknown.get("text").is_none());
    assert_eq!(
        unknown["extensions"][NS]["content_type"],
        "some_future_type"
    );
    assert_eq!(unknown["extensions"][NS]["content"]["payload"]["a"][1], 2);
    assert!(warned(&imp, "media-not-in-export"));
}

#[test]
fn a_missing_or_dangling_current_node_falls_back_and_cycles_end() {
    let imp = snapshot("current_node_fallback.json");
    let msgs = imp.messages();
    assert!(warned(&imp, "current-node-missing"));
    assert!(warned(&imp, "current-node-dangling"));
    assert!(warned(&imp, "orphan-node"));
    assert!(warned(&imp, "tree-cycle"));
    // The newest leaf is the visible branch.
    let first: Vec<&str> = msgs
        .iter()
        .filter(|m| m["conversation"] == "gpt-c-conv-missing-current")
        .map(|m| m["platform_id"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["b", "a"]);
    assert_eq!(
        by_platform_id(&msgs, "lost")["extensions"][NS]["orphan"],
        true
    );
    assert_eq!(by_platform_id(&msgs, "c1")["extensions"][NS]["cycle"], true);
    assert_eq!(imp.report.messages, 9);
}

#[test]
fn minimal_files_are_read_leniently() {
    let imp = snapshot("minimal.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0]["text"], "no id, no children, no content_type");
    assert_eq!(msgs[1]["platform_id"], "n2");
    assert!(msgs[1].get("time").is_none());
    // Conversations without ids get derived ones, and differ.
    assert_ne!(msgs[0]["conversation"], msgs[2]["conversation"]);
    // Malformed nodes are counted and skipped with a reason, not dropped silently.
    assert_eq!(imp.report.source_messages, 5);
    assert_eq!(imp.report.skipped_total(), 2);
    assert!(
        imp.report
            .skipped
            .iter()
            .all(|s| s.code == "malformed-node")
    );
}

#[test]
fn export_folder_copies_media_and_reads_user_json() {
    let path = common::fixtures("chatgpt").join("export");
    let imp = common::import_as(&path, GPT, "bundle", ImportOptions::default()).unwrap();
    insta::assert_snapshot!("export_bundle", common::snapshot_text(&imp.archive));
    let msgs = imp.messages();
    let p = by_platform_id(&msgs, "p");
    assert_eq!(p["attachments"][0]["status"], "present");
    let rel = p["attachments"][0]["path"].as_str().unwrap();
    assert!(imp.out.join(rel).is_file(), "{rel} copied");
    assert_eq!(p["attachments"][0]["original_name"], "square.png");
    assert_eq!(p["attachments"][0]["mime_type"], "image/png");
    assert_eq!(p["attachments"][1]["status"], "missing");
    // An upload listed in metadata.attachments and absent from the content.
    assert_eq!(p["attachments"][2]["kind"], "file");
    assert_eq!(p["attachments"][2]["original_name"], "numbers.csv");
    assert_eq!(p["attachments"].as_array().unwrap().len(), 3);
    let recs = imp.records();
    let user = recs.iter().find(|r| r["id"] == "gpt-u-user").unwrap();
    assert_eq!(user["email"], "ann@example.org");
    assert!(warned(&imp, "section-not-imported"));
}

#[test]
fn zipped_export_imports() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("export.zip");
    let src = common::fixtures("chatgpt").join("export");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let mut names: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for n in names {
        z.start_file(n.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut z, &std::fs::read(src.join(&n)).unwrap()).unwrap();
    }
    z.finish().unwrap();
    let input = Input::open(&zip_path).unwrap();
    assert_eq!(detect(&input).unwrap(), GPT);
    let imp = common::import_as(&zip_path, GPT, "out.zip", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 2);
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    common::assert_same_bytes(
        GPT,
        &["branches.json", "current_node_fallback.json", "export"],
    );
}

#[test]
fn fixtures_are_detected_as_chatgpt() {
    common::assert_detected(
        GPT,
        &[
            "branches.json",
            "content_types.json",
            "current_node_fallback.json",
            "minimal.json",
            "export",
        ],
    );
}

#[test]
fn other_inputs_are_refused_with_a_location() {
    let full = std::fs::read(common::fixtures("chatgpt").join("branches.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", full[..full.len() / 2].to_vec()),
        ("empty.json", Vec::new()),
        ("garbage.json", common::garbage()),
        ("telegram.json", common::TELEGRAM_SAMPLE.as_bytes().to_vec()),
        (
            "slack_day.json",
            br#"[{"type":"message","user":"U1","text":"hi","ts":"1.2"}]"#.to_vec(),
        ),
        (
            "whatsapp.txt",
            b"12/31/23, 9:15 PM - Ann: Happy new year\n".to_vec(),
        ),
        (
            "no_mapping.json",
            br#"[{"title":"x","create_time":1.5}]"#.to_vec(),
        ),
        (
            "bad_mapping.json",
            br#"[{"title":"x","mapping":[1,2]}]"#.to_vec(),
        ),
        ("numbers.json", b"[1, 2]".to_vec()),
    ];
    common::assert_refused(
        GPT,
        &[],
        cases,
        &["truncated.json", "bad_mapping.json"],
        &[],
    );
}

#[test]
fn a_folder_without_conversations_json_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "notes.txt", b"hello");
    let err = match common::import_as(dir.path(), GPT, "out.jsonl", ImportOptions::default()) {
        Ok(_) => panic!("imported a folder without conversations.json"),
        Err(e) => e,
    };
    assert_eq!(err.exit_code(), 1);
}

/// Counts the messages of a conversations.json independently of the importer: mapping nodes
/// whose message is not null.
fn count_messages(path: &Path) -> u64 {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["mapping"].as_object().unwrap().values())
        .filter(|n| !n["message"].is_null())
        .count() as u64
}

#[test]
fn corpus_imports_and_every_message_is_accounted_for() {
    let Some(dir) = common::corpus("chatgpt") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 1, "the corpus has 1 ChatGPT file");
    for f in &files {
        let input = Input::open(f).unwrap();
        assert_eq!(detect(&input).unwrap(), GPT, "{} is detected", f.display());
        let expected = count_messages(f);
        let imp = common::import_as(f, GPT, "out.jsonl", ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(imp.report.messages, expected, "{}", f.display());
        assert_eq!(imp.report.skipped_total(), 0, "{}", f.display());
        assert_eq!(expected, 44);
        let msgs = imp.messages();
        // No branching in this file: everything is on the visible branch.
        assert!(
            msgs.iter()
                .all(|m| m["extensions"][NS].get("branch").is_none())
        );
        assert!(msgs.iter().any(|m| m["sender"] == "gpt-u-tool-python"));
    }
}
