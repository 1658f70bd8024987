//! The WeChat exporters' importer: WeChatMsg/MemoTrace CSV and TXT, WeFlow JSON.
//!
//! No real export of these tools is public (see `wechat/PROVENANCE.md` in the shared corpus that `CHATPORT_CORPUS` names), so
//! the fixtures are handwritten from the exporters' own sources as the research notes
//! (research/messenger-text-formats.md §3) read them: the CSV as LC044/WeChatMsg's
//! `exporter_csv.py` writes it (Python `csv.writer`, `utf-8-sig`, CRLF, the 12 columns, in 1:1
//! chats the sender columns synthesised from the user and the contact), the TXT as its
//! `exporter_txt.py` writes it (including the 12-space link-card block), and WeFlow's JSON as
//! ChatLab's WeFlow parser reads it (`weflow`, `session`, `avatars`, `messages` with `isSend`,
//! `localType` and Chinese `type` labels). The XML in the content column follows WeChat's
//! message XML as public parsers of the database read it.

mod common;

use chatport_import::{ImportOptions, Input, Platform, detect};
use serde_json::Value;
use std::path::Path;

const P: Platform = Platform::WeChat;

fn fixture(case: &str) -> common::Imported {
    common::import_fixture(P, case)
}

fn message<'a>(msgs: &'a [Value], platform_id: &str) -> &'a Value {
    msgs.iter()
        .find(|m| m["platform_id"] == platform_id)
        .unwrap_or_else(|| panic!("no message {platform_id}"))
}

fn records(imp: &common::Imported, kind: &str) -> Vec<Value> {
    imp.records()
        .into_iter()
        .filter(|r| r["type"] == kind)
        .collect()
}

#[test]
fn csv_direct_chat_with_bom_quotes_and_media() {
    let imp = fixture("csv_direct");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 6);
    let conv = &records(&imp, "conversation")[0];
    assert_eq!(conv["id"], "wx-c-wxid_zhang3");
    assert_eq!(conv["kind"], "direct");
    assert_eq!(conv["title"], "张三");
    let first = message(&msgs, "101");
    assert_eq!(first["id"], "wx-m-wxid_zhang3-101");
    assert_eq!(first["time"]["at"], "2021-08-13T14:11:18Z");
    assert_eq!(first["time"]["original"], "2021-08-13 22:11:18");
    assert_eq!(first["sender"], "wx-u-wxid_zhang3");
    assert_eq!(first["sender_name"], "张三");
    assert_eq!(
        message(&msgs, "102")["text"],
        "Hello, Zhang San, \"quoted\" and a comma"
    );
    assert_eq!(
        message(&msgs, "103")["text"],
        "第一行\n第二行\n\n2021-08-13 22:12:40 not a header"
    );
    // The empty Status column is not kept; a filled one is.
    assert!(
        first["extensions"]["com.tencent.wechat"]
            .get("Status")
            .is_none()
    );
    assert_eq!(
        message(&msgs, "106")["extensions"]["com.tencent.wechat"]["Status"],
        "2"
    );
    // Media by relative path: .jsonl output does not copy.
    assert_eq!(message(&msgs, "104")["attachments"][0]["kind"], "image");
    let me = records(&imp, "account")
        .into_iter()
        .find(|a| a["id"] == "wx-u-wxid_me0001")
        .unwrap();
    assert_eq!(me["is_self"], true);
    assert_eq!(me["display_name"], "Me Myself");
    assert_eq!(me["other_names"][0], "我的备注");
    insta::assert_snapshot!("csv_direct", common::snapshot_text(&imp.archive));
}

#[test]
fn csv_bundle_copies_media_relative_to_the_csv() {
    let path = common::fixtures("wechat").join("csv_direct");
    let imp = common::import_as(&path, P, "bundle", ImportOptions::default()).unwrap();
    let msgs = imp.messages();
    let img = &message(&msgs, "104")["attachments"][0];
    assert_eq!(img["status"], "present");
    let copied = imp.out.join(img["path"].as_str().unwrap());
    assert!(copied.is_file(), "{} copied", copied.display());
    let voice = &message(&msgs, "106")["attachments"][0];
    assert_eq!(voice["kind"], "voice");
    assert_eq!(voice["status"], "present");
    // A path the CSV names but the folder lacks (written with backslashes).
    let gone = &message(&msgs, "105")["attachments"][0];
    assert_eq!(gone["status"], "missing");
    assert_eq!(gone["original_name"], "gone.jpg");
    assert_eq!(imp.report.warning_count("media-not-in-export"), 1);
}

#[test]
fn csv_group_senders_system_lines_and_revokes() {
    let imp = fixture("csv_group");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 10);
    let conv = &records(&imp, "conversation")[0];
    assert_eq!(conv["id"], "wx-c-12345678@chatroom");
    assert_eq!(conv["kind"], "group");
    assert_eq!(conv["title"], "周末爬山群");
    let ev = |id: &str| message(&msgs, id)["event"].clone();
    assert_eq!(ev("1")["kind"], "added");
    assert_eq!(
        ev("1")["target_names"],
        serde_json::json!(["Alice", "王五"])
    );
    assert!(message(&msgs, "1").get("sender").is_none());
    assert_eq!(message(&msgs, "3")["sender"], "wx-u-wxid_lisi");
    assert_eq!(message(&msgs, "3")["sender_name"], "老李");
    // Revokes: mine (CDATA with the re-edit link), another's line, another's sysmsg XML.
    let mine = message(&msgs, "5");
    assert_eq!(mine["deleted"]["placeholder"], "你撤回了一条消息");
    assert_eq!(mine["sender"], "wx-u-wxid_me0001");
    assert!(
        mine["extensions"]["com.tencent.wechat"]["StrContent"]
            .as_str()
            .unwrap()
            .contains("revoke_edit_click")
    );
    assert_eq!(
        message(&msgs, "6")["deleted"]["placeholder"],
        "\"老李\" 撤回了一条消息"
    );
    assert_eq!(
        message(&msgs, "7")["deleted"]["placeholder"],
        "\"Alice\" 撤回了一条消息"
    );
    assert_eq!(ev("8")["kind"], "renamed");
    assert_eq!(ev("8")["new_value"], "周末爬山群");
    assert_eq!(ev("9")["platform_kind"], "sysmsg:pat");
    // A renamed member keeps one account with both names.
    let li = records(&imp, "account")
        .into_iter()
        .find(|a| a["id"] == "wx-u-wxid_lisi")
        .unwrap();
    assert_eq!(li["display_name"], "Li Si");
    assert!(
        li["other_names"]
            .as_array()
            .unwrap()
            .contains(&Value::from("Li Si the Second"))
    );
    insta::assert_snapshot!("csv_group", common::snapshot_text(&imp.archive));
}

#[test]
fn csv_xml_content_maps_cards_quotes_and_media() {
    let imp = fixture("csv_xml_content");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 18);
    let link = &message(&msgs, "201")["embeds"][0];
    assert_eq!(link["title"], "Rust 1.80 发布");
    assert_eq!(link["description"], "What's new, in short");
    assert_eq!(
        link["url"],
        "https://blog.rust-lang.org/2024/07/25/Rust-1.80.0.html?a=1&b=2"
    );
    assert_eq!(link["site_name"], "Rust Blog");
    let file = &message(&msgs, "202")["attachments"][0];
    assert_eq!(file["kind"], "file");
    assert_eq!(file["original_name"], "报价单 v2.xlsx");
    let q = message(&msgs, "203");
    assert_eq!(q["text"], "好的，就这么定了");
    assert_eq!(q["reply_to"]["quote"], "周六八点，老地方");
    assert_eq!(q["reply_to"]["sender_name"], "张三");
    assert_eq!(
        q["extensions"]["com.tencent.wechat"]["refermsg"]["svrid"],
        "7788990011223344556"
    );
    assert_eq!(message(&msgs, "204")["reply_to"]["quote"], "旅行攻略");
    assert!(
        message(&msgs, "205")["text"]
            .as_str()
            .unwrap()
            .starts_with("群聊的聊天记录\n")
    );
    let t = &message(&msgs, "206")["event"];
    assert_eq!(t["platform_kind"], "appmsg:transfer");
    assert!(t["text"].as_str().unwrap().contains("￥0.01"));
    assert_eq!(
        message(&msgs, "207")["event"]["platform_kind"],
        "appmsg:red_packet"
    );
    let loc = &message(&msgs, "208")["location"];
    assert_eq!(loc["latitude"], 39.908823);
    assert_eq!(loc["name"], "天安门广场");
    assert_eq!(message(&msgs, "209")["contact"]["name"], "王五");
    assert_eq!(
        message(&msgs, "210")["attachments"][0]["duration_seconds"],
        3.2
    );
    assert_eq!(
        message(&msgs, "211")["attachments"][0]["duration_seconds"],
        12.0
    );
    assert_eq!(message(&msgs, "212")["attachments"][0]["status"], "remote");
    assert_eq!(message(&msgs, "213")["attachments"][0]["size"], 204800);
    assert_eq!(message(&msgs, "214")["call"]["duration_seconds"], 65.0);
    assert_eq!(message(&msgs, "215")["call"]["outcome"], "declined");
    // Unknown type: kept whole.
    let unk = message(&msgs, "217");
    assert_eq!(unk["extensions"]["com.tencent.wechat"]["Type"], "9999");
    assert!(
        unk["extensions"]["com.tencent.wechat"]["StrContent"]
            .as_str()
            .unwrap()
            .contains("newthing")
    );
    assert_eq!(imp.report.warning_count("wechat-unknown-type"), 1);
    assert_eq!(imp.report.warning_count("wechat-card-not-exported"), 1);
    assert_eq!(message(&msgs, "218")["event"]["kind"], "other");
    insta::assert_snapshot!("csv_xml_content", common::snapshot_text(&imp.archive));
}

#[test]
fn csv_create_time_wins_over_str_time() {
    let imp = fixture("csv_time_zones");
    let msgs = imp.messages();
    let ny = message(&msgs, "301");
    assert_eq!(ny["time"]["at"], "2021-08-13T14:11:18Z");
    assert_eq!(ny["time"]["original"], "2021-08-13 10:11:18");
    // 17 minutes off a whole offset: a warning, CreateTime still used.
    assert_eq!(message(&msgs, "302")["time"]["at"], "2021-08-13T14:11:40Z");
    assert_eq!(imp.report.warning_count("wechat-time-disagreement"), 1);
    // No CreateTime: StrTime as a local time.
    assert_eq!(message(&msgs, "303")["time"]["kind"], "local");
    assert_eq!(imp.report.warning_count("wechat-no-create-time"), 1);
    let header = &imp.records()[0];
    assert_eq!(
        header["sources"][0]["extensions"]["com.tencent.wechat"]["strtime_offsets"],
        serde_json::json!(["-04:00", "+05:30"])
    );
    insta::assert_snapshot!("csv_time_zones", common::snapshot_text(&imp.archive));
}

#[test]
fn csv_repeated_local_id_gets_a_suffix() {
    let imp = fixture("csv_duplicate_ids");
    let msgs = imp.messages();
    let first = msgs[0]["id"].as_str().unwrap();
    assert!(
        first.starts_with("wx-m-h") && first.ends_with("-7"),
        "{first}"
    );
    assert_eq!(msgs[1]["id"], format!("{first}-2"));
    assert_eq!(imp.report.warning_count("wechat-duplicate-local-id"), 1);
    insta::assert_snapshot!("csv_duplicate_ids", common::snapshot_text(&imp.archive));
}

#[test]
fn txt_bodies_system_lines_and_same_second_messages() {
    let imp = fixture("txt_basic.txt");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 7);
    assert_eq!(msgs[0]["time"]["kind"], "local");
    assert_eq!(msgs[0]["time"]["at"], "2021-08-13T22:11:18");
    assert_eq!(msgs[0]["sender_name"], "张三");
    // A blank line and a date-like line inside a body.
    assert_eq!(
        msgs[2]["text"],
        "第一段\n\n第二段，在空行之后\n2021-08-13 22:12:41 像表头的一行"
    );
    // System lines: no sender.
    assert_eq!(msgs[3]["deleted"]["placeholder"], "你撤回了一条消息");
    assert!(msgs[3].get("sender").is_none());
    assert_eq!(
        msgs[4]["event"]["text"],
        "你已添加了张三，现在可以开始聊天了。"
    );
    // Two identical lines in one second: two messages, two ids.
    assert_ne!(msgs[5]["id"], msgs[6]["id"]);
    // Two names, and the file does not say which is the user's: a 1:1 chat or a group.
    assert_eq!(records(&imp, "conversation")[0]["kind"], "unknown");
    insta::assert_snapshot!("txt_basic", common::snapshot_text(&imp.archive));
}

#[test]
fn txt_placeholders_quotes_and_indented_link_cards() {
    let imp = fixture("txt_cards.txt");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 10);
    let kinds: Vec<&str> = msgs[..5]
        .iter()
        .map(|m| m["attachments"][0]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["image", "voice", "video", "sticker", "file"]);
    assert_eq!(msgs[5]["text"], "[音乐分享]");
    assert_eq!(msgs[6]["text"], "好的，就这么定了");
    assert_eq!(msgs[6]["reply_to"]["sender_name"], "张三");
    assert_eq!(msgs[6]["reply_to"]["quote"], "周六八点，老地方");
    assert_eq!(msgs[7]["text"], "这是什么？");
    assert_eq!(
        msgs[7]["extensions"]["com.tencent.wechat"]["quote_unknown"],
        true
    );
    let card = &msgs[8]["embeds"][0];
    assert_eq!(card["title"], "Rust 1.80 发布");
    assert_eq!(card["description"], "What's new\nin short");
    assert_eq!(
        card["url"],
        "https://blog.rust-lang.org/2024/07/25/Rust-1.80.0.html"
    );
    assert_eq!(card["site_name"], "Rust Blog");
    // Python's None where the card had nothing: no fields, the block kept.
    assert!(msgs[9]["embeds"][0].get("url").is_none());
    insta::assert_snapshot!("txt_cards", common::snapshot_text(&imp.archive));
}

#[test]
fn txt_group_names_with_spaces_and_system_lines() {
    let imp = fixture("txt_group.txt");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 6);
    assert_eq!(msgs[0]["event"]["kind"], "added");
    assert_eq!(msgs[2]["sender_name"], "老 李");
    assert_eq!(
        msgs[4]["deleted"]["placeholder"],
        "\"老 李\" 撤回了一条消息"
    );
    assert_eq!(msgs[5]["event"]["kind"], "renamed");
    assert_eq!(records(&imp, "conversation")[0]["kind"], "group");
    // --me names the user, whom the TXT does not mark.
    let path = common::fixtures("wechat").join("txt_group.txt");
    let opts = ImportOptions {
        me: Some("Me Myself".into()),
        ..ImportOptions::default()
    };
    let me = common::import_as(&path, P, "out.jsonl", opts).unwrap();
    let selves: Vec<Value> = records(&me, "account")
        .into_iter()
        .filter(|a| a["is_self"] == true)
        .collect();
    assert_eq!(selves.len(), 1);
    assert_eq!(selves[0]["display_name"], "Me Myself");
    insta::assert_snapshot!("txt_group", common::snapshot_text(&imp.archive));
}

#[test]
fn weflow_group_labels_is_send_and_system_messages() {
    let imp = fixture("weflow_group.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 9);
    let conv = &records(&imp, "conversation")[0];
    assert_eq!(conv["id"], "wx-c-12345678@chatroom");
    assert_eq!(conv["kind"], "group");
    assert_eq!(conv["title"], "周末爬山群");
    assert_eq!(conv["extensions"]["com.tencent.wechat"]["messageCount"], 9);
    let header = &imp.records()[0];
    assert_eq!(header["sources"][0]["exporter"], "WeFlow");
    assert_eq!(header["sources"][0]["exporter_version"], "1.2.0");
    assert_eq!(
        header["sources"][0]["exported"]["at"],
        "2023-11-16T02:00:00Z"
    );
    // isSend null: a system message, no sender.
    assert_eq!(msgs[0]["event"]["kind"], "added");
    assert!(msgs[0].get("sender").is_none());
    assert_eq!(msgs[1]["text"], "大家好，\n周六见");
    assert_eq!(msgs[1]["time"]["at"], "2023-11-14T22:13:30Z");
    assert_eq!(msgs[1]["time"]["original"], "2023-11-15 06:13:30");
    // isSend 1: the user's own account.
    assert_eq!(msgs[2]["attachments"][0]["kind"], "image");
    assert_eq!(
        msgs[2]["extensions"]["com.tencent.wechat"]["content"],
        "[图片]"
    );
    let me = records(&imp, "account")
        .into_iter()
        .find(|a| a["id"] == "wx-u-wxid_me0001")
        .unwrap();
    assert_eq!(me["is_self"], true);
    assert_eq!(msgs[3]["text"], "好的");
    assert_eq!(msgs[4]["text"], "[链接] Rust 1.80 发布");
    assert_eq!(msgs[5]["deleted"]["placeholder"], "你撤回了一条消息");
    assert_eq!(
        msgs[6]["extensions"]["com.tencent.wechat"]["type"],
        "转账卡片"
    );
    assert_eq!(msgs[6]["event"]["platform_kind"], "appmsg:transfer");
    assert_eq!(msgs[6]["event"]["text"], "[转账]");
    // An unknown label: localType, content and extra keys kept.
    let unk = &msgs[7]["extensions"]["com.tencent.wechat"];
    assert_eq!(unk["type"], "未知类型(99)");
    assert_eq!(unk["localType"], 99);
    assert_eq!(unk["extraKey"]["a"], 1);
    // formattedTime an hour off the others' offset is still a whole offset: no warning.
    assert_eq!(imp.report.warning_count("wechat-time-disagreement"), 0);
    assert_eq!(imp.report.warning_count("wechat-avatars-not-kept"), 1);
    insta::assert_snapshot!("weflow_group", common::snapshot_text(&imp.archive));
}

#[test]
fn weflow_direct_chat() {
    let imp = fixture("weflow_direct.json");
    let msgs = imp.messages();
    assert_eq!(msgs.len(), 2);
    let conv = &records(&imp, "conversation")[0];
    assert_eq!(conv["kind"], "direct");
    assert_eq!(conv["id"], "wx-c-wxid_zhang3");
    assert_eq!(msgs[0]["id"], "wx-m-wxid_zhang3-101");
    insta::assert_snapshot!("weflow_direct", common::snapshot_text(&imp.archive));
}

#[test]
fn zip_of_an_export_folder_imports_like_the_folder() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let zpath = dir.path().join("export.zip");
    let src = common::fixtures("wechat").join("csv_direct");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
    fn add(z: &mut zip::ZipWriter<std::fs::File>, root: &Path, rel: &str) {
        let p = root.join(rel);
        if p.is_dir() {
            let mut names: Vec<String> = std::fs::read_dir(&p)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            for n in names {
                let r = if rel.is_empty() {
                    n
                } else {
                    format!("{rel}/{n}")
                };
                add(z, root, &r);
            }
        } else {
            z.start_file(rel, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
    }
    add(&mut z, &src, "");
    z.finish().unwrap();
    let zipped = common::import_as(&zpath, P, "bundle", ImportOptions::default()).unwrap();
    let folder = common::import_as(&src, P, "bundle", ImportOptions::default()).unwrap();
    assert_eq!(zipped.archive, folder.archive);
    assert_eq!(
        message(&zipped.messages(), "104")["attachments"][0]["status"],
        "present"
    );
}

#[test]
fn a_txt_beside_its_csv_is_not_read_twice() {
    let dir = tempfile::tempdir().unwrap();
    let chat = dir.path().join("张三(wxid_zhang3)");
    std::fs::create_dir(&chat).unwrap();
    let csv = common::fixtures("wechat").join("csv_direct/张三(wxid_zhang3)/张三_utf8.csv");
    std::fs::copy(&csv, chat.join("张三_utf8.csv")).unwrap();
    std::fs::copy(
        common::fixtures("wechat").join("txt_basic.txt"),
        chat.join("张三.txt"),
    )
    .unwrap();
    let imp = common::import_as(dir.path(), P, "out.jsonl", ImportOptions::default()).unwrap();
    assert_eq!(imp.report.messages, 6);
    assert_eq!(imp.report.warning_count("wechat-txt-beside-csv"), 1);
    assert_eq!(detect(&Input::open(dir.path()).unwrap()).unwrap(), P);
}

#[test]
fn same_input_gives_identical_bytes() {
    common::assert_same_bytes(
        P,
        &[
            "csv_direct",
            "csv_group",
            "csv_xml_content",
            "txt_basic.txt",
            "txt_cards.txt",
            "weflow_group.json",
        ],
    );
}

fn bad(name: &str, bytes: &[u8]) -> chatport_import::ImportError {
    common::refused(P, name, bytes)
}

#[test]
fn bad_inputs_fail_with_a_location() {
    let csv = std::fs::read(
        common::fixtures("wechat")
            .join("csv_group/周末爬山群(12345678@chatroom)/周末爬山群_utf8.csv"),
    )
    .unwrap();
    let json = std::fs::read(common::fixtures("wechat").join("weflow_group.json")).unwrap();
    let txt = std::fs::read(common::fixtures("wechat").join("txt_basic.txt")).unwrap();
    // Cut inside a multi-byte character of the TXT's first body line.
    let txt_cut = {
        let at = txt.iter().position(|&b| b == b'\n').unwrap() + 2;
        let mut v = txt[..at].to_vec();
        v.extend_from_slice(b"\n\n");
        v
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        // Cut inside a row: fewer fields than the header.
        (
            "cut_utf8.csv",
            csv[..csv.len() - 60].to_vec(),
            "cut_utf8.csv:11:1",
        ),
        (
            "cut_row_utf8.csv",
            csv[..csv.len() - 30].to_vec(),
            "cut_row_utf8.csv:11:1",
        ),
        ("cut.json", json[..json.len() / 2].to_vec(), "cut.json:"),
        ("cut.txt", txt_cut, "cut.txt:2:1"),
        ("empty.csv", Vec::new(), "empty.csv:1:1"),
        (
            "garbage.csv",
            vec![0xff, 0x00, 0x13, 0x37, 0xfe, 0x80],
            "garbage.csv:1:1",
        ),
        (
            "header_only_bad.csv",
            b"localId,Type,CreateTime,StrContent\n1,1,\xff\xfe,x\n".to_vec(),
            "header_only_bad.csv:2:1",
        ),
        (
            "chat.txt",
            b"12/31/24, 10:00 - Ann: hi\n".to_vec(),
            "chat.txt:1:1",
        ),
        (
            "result.json",
            br#"{"name": "Ann", "type": "personal_chat", "id": 1, "messages": []}"#.to_vec(),
            "result.json:1:1",
        ),
        (
            "no_messages.json",
            br#"{"weflow": {"version": "1"}, "session": {}}"#.to_vec(),
            "no_messages.json#/messages",
        ),
    ];
    for (name, bytes, want) in cases {
        let e = bad(name, &bytes);
        assert_eq!(e.exit_code(), 1, "{name}: {e}");
        let shown = e.to_string();
        assert!(shown.contains(want), "{name}: {shown}");
    }
}

#[test]
fn sniff_claims_the_exporters_files_only() {
    let fx = common::fixtures("wechat");
    for case in [
        "csv_direct",
        "csv_xml_content/张三_utf8.csv",
        "txt_basic.txt",
        "txt_group.txt",
        "weflow_direct.json",
    ] {
        let input = Input::open(&fx.join(case)).unwrap();
        assert_eq!(detect(&input).unwrap(), P, "{case}");
    }
    let dir = tempfile::tempdir().unwrap();
    let others: [(&str, &[u8]); 7] = [
        ("chat.txt", b"12/31/24, 10:00 - Ann: hi\n"),
        (
            "ymd.txt",
            b"2024-12-31 10:00:00 - Ann: hi\n2024-12-31 10:01:00 - Bob: yo\n",
        ),
        (
            "bracket.txt",
            b"[2024-12-31 10:00:00] Ann: hi\n[2024-12-31 10:01:00] Bob: yo\n",
        ),
        // Consecutive date lines without blank lines between them: a log, not the TXT export.
        (
            "log.txt",
            b"2024-12-31 10:00:00 started\n2024-12-31 10:00:01 running\n2024-12-31 10:00:02 done\n",
        ),
        (
            "result.json",
            br#"{"name": "weflow", "type": "personal_chat", "id": 1, "messages": []}"#,
        ),
        ("data.csv", b"id,name,value\n1,a,2\n"),
        ("notes.md", b"# WeChat\nlocalId,TalkerId,Type\n"),
    ];
    for (name, bytes) in others {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let input = Input::open(&p).unwrap();
        assert!(
            detect(&input).map_or(true, |p| p != P),
            "wechat claimed {name}"
        );
    }
}

#[test]
fn corpus_holds_notes_only_and_none_is_claimed() {
    let Some(dir) = common::corpus("wechat") else {
        return;
    };
    // No public export of these tools exists (PROVENANCE.md); whatever is there must either be
    // a notes file nobody claims, or an export that imports with every message accounted for.
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in &files {
        let input = Input::open(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            assert!(detect(&input).map_or(true, |p| p != P), "{name} claimed");
            continue;
        }
        let imp = common::import_as(f, P, "out.jsonl", ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(imp.report.messages > 0, "{name}");
    }
}
