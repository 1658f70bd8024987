//! A review of the fast path for message lines (`engine/fast.rs`): adversarial lines, each run
//! through a small archive with and without the fast path. The two reports must be identical,
//! diagnostic for diagnostic (message, column, excerpt) and count for count, as in
//! `fast_and_full_paths_give_identical_reports` of `conformance.rs`.
//!
//! The probes reach both sides of the fast path's edge: when they were written, about one in six
//! of the distinct probe lines took the fast path (the rest were handed to the full path). This
//! file cannot see which path a line took; the unit tests of `engine/fast.rs` assert that their
//! generated lines reach both.

use chatport_validate::{Checker, Options, validate_reader_with};

const HEADER: &str = r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}]}"#;

/// The records every probe follows: two accounts, a person, two conversations and two messages
/// (no local time among them, so the first local time of a probe is the archive's first).
const BODY: [&str; 7] = [
    r#"{"type":"account","id":"a1","platform":"telegram"}"#,
    r#"{"type":"account","id":"a2","platform":"telegram"}"#,
    r#"{"type":"person","id":"p1","accounts":["a1"]}"#,
    r#"{"type":"conversation","id":"c1","platform":"telegram","kind":"group"}"#,
    r#"{"type":"conversation","id":"c2","platform":"telegram","kind":"group"}"#,
    r#"{"type":"message","id":"m1","conversation":"c1","ordinal":1,"time":{"kind":"instant","at":"2024-01-01T10:00:00Z"}}"#,
    r#"{"type":"message","id":"m2","conversation":"c2","ordinal":5,"text":"hi"}"#,
];

/// A message with a local time, for archives where the first local time is already known (the
/// fast path may then accept other local times).
const LOCAL: &str = r#"{"type":"message","id":"m-local","conversation":"c2","ordinal":6,"time":{"kind":"local","at":"2024-01-01T10:00"}}"#;

fn options() -> Options {
    Options {
        max_diagnostics: 0,
        ..Options::default()
    }
}

fn report(archive: &[u8], fast: bool) -> String {
    let mut checker = Checker::new("archive.jsonl", options(), None);
    if !fast {
        checker = checker.without_fast_path();
    }
    let report = validate_reader_with(archive, checker).unwrap();
    serde_json::to_string_pretty(&report).unwrap()
}

/// The fast and the full report of `lines`, or a description of how they differ.
fn compare(lines: &[&str]) -> Result<String, String> {
    let mut archive = lines.join("\n").into_bytes();
    archive.push(b'\n');
    let (fast, full) = (report(&archive, true), report(&archive, false));
    if fast == full {
        Ok(full)
    } else {
        Err(format!(
            "the paths differ on\n{}\n--- fast:\n{fast}\n--- full:\n{full}",
            lines.join("\n")
        ))
    }
}

/// Runs every archive and fails with all the differences at once.
fn all_same<'a>(archives: impl IntoIterator<Item = Vec<&'a str>>) {
    let mut failures = Vec::new();
    let mut n = 0;
    for lines in archives {
        n += 1;
        if let Err(e) = compare(&lines) {
            failures.push(e);
        }
    }
    assert!(n > 0);
    assert!(
        failures.is_empty(),
        "{} of {n} archives differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// `probe` after the header and the body.
fn after_body(probe: &str) -> Vec<&str> {
    let mut v = vec![HEADER];
    v.extend(BODY);
    v.push(probe);
    v
}

/// `probe` after the header, the body and a message with a local time.
fn after_local(probe: &str) -> Vec<&str> {
    let mut v = after_body(LOCAL);
    v.push(probe);
    v
}

/// Each probe after the body, and again once a local time is known.
fn probes(lines: &[&str]) {
    all_same(lines.iter().flat_map(|p| [after_body(p), after_local(p)]));
}

/// `{"type":"message","id":"m3","conversation":"c1","ordinal":2` followed by `rest`.
fn msg(rest: &str) -> String {
    format!(r#"{{"type":"message","id":"m3","conversation":"c1","ordinal":2{rest}}}"#)
}

fn msgs(rests: &[&str]) -> Vec<String> {
    rests.iter().map(|r| msg(r)).collect()
}

fn probe_msgs(rests: &[&str]) {
    let lines = msgs(rests);
    probes(&lines.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn the_probe_archive_is_valid() {
    let r = compare(&after_body(&msg(""))).unwrap();
    assert!(r.contains("\"valid\": true"), "{r}");
    let r = compare(&after_local(&msg(""))).unwrap();
    assert!(r.contains("W100"), "{r}");
}

#[test]
fn json_syntax_corners() {
    probe_msgs(&[
        // Keys spelt with escapes, duplicating known ones or not.
        r#","\u0069d":"m4""#,
        r#","t\u0065xt":"x""#,
        r#","\u0074ype":"message""#,
        r#","type":"message""#,
        r#","text":"a","text":"a""#,
        r#","id":"m3""#,
        r#","ordinal":2"#,
        // Trailing and doubled commas, missing colons and values.
        ",",
        r#",,"text":"a""#,
        r#","text":"a","#,
        r#","text""a""#,
        r#","text":"#,
        r#","spans":[{"kind":"bold","start":0,"end":1},],"text":"ab""#,
        r#","spans":[,{"kind":"bold","start":0,"end":1}],"text":"ab""#,
        r#","reactions":[{"emoji":"x",}]"#,
        r#","reply_to":{,}"#,
        // Empty objects and arrays where they are allowed and where they are not.
        r#","reply_to":{}"#,
        r#","thread":{}"#,
        r#","forwarded":{}"#,
        r#","edited":{}"#,
        r#","deleted":{}"#,
        r#","origin":{}"#,
        r#","time":{}"#,
        r#","spans":[]"#,
        r#","reactions":[]"#,
        r#","attachments":[]"#,
        r#","reactions":[{"emoji":"x","by":[]}]"#,
        r#","reactions":[{"emoji":"x","by":[{}]}]"#,
        r#","spans":[{}]"#,
        r#","attachments":[{}]"#,
        r#","reactions":[{}]"#,
        r#","text":[]"#,
        r#","text":{}"#,
        r#","extensions":{}"#,
        r#","edited":{"history":[]}"#,
        // Nulls: optional fields (the same as absent) and arrays (E210).
        r#","text":null"#,
        r#","sender":null"#,
        r#","time":null"#,
        r#","spans":null"#,
        r#","reactions":null"#,
        r#","pinned":null"#,
        r#","reply_to":null"#,
        r#","reply_to":{"message":null}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":null}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","local":null,"zone":null}"#,
        r#","attachments":[{"kind":"file","status":"missing","path":null}]"#,
        r#","attachments":[{"kind":"file","status":"remote","url":null}]"#,
        r#","reactions":[{"emoji":"x","by":null}]"#,
        // Literals and their near misses.
        r#","pinned":true"#,
        r#","pinned":True"#,
        r#","pinned":tru"#,
        r#","pinned":truee"#,
        r#","pinned":"true""#,
        r#","pinned":1"#,
        r#","pinned":nul"#,
        // Deep nesting in a field the fast path does not read.
        &format!(
            r#","extensions":{{"org.x":{}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        ),
        &format!(
            r#","extensions":{{"org.x":{}1{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        ),
        // Wrong JSON types for every field the fast path reads.
        r#","platform_id":1"#,
        r#","sender":1"#,
        r#","text":1"#,
        r#","spans":{}"#,
        r#","time":"2024-01-01T10:00:00Z""#,
        r#","origin":{"line":"1"}"#,
        r#","attachments":[{"kind":"file","status":"missing","size":"1"}]"#,
        r#","reactions":[{"emoji":"x","custom":"yes"}]"#,
        r#","thread":{"broadcast":0}"#,
    ]);
    // The whole line: white space of every kind, a BOM, text around the object, the `type` not
    // first or spelt with an escape, other values than an object.
    let lines = [
        r#" {"type":"message","id":"m3","conversation":"c1","ordinal":2} "#,
        "\t{\"type\":\"message\",\"id\":\"m3\",\"conversation\":\"c1\",\"ordinal\":2}\t",
        "{\"type\":\"message\",\r\"id\":\"m3\",\"conversation\":\"c1\",\"ordinal\":2}",
        "{\"type\":\"message\",\"id\":\"m3\",\"conversation\":\"c1\",\"ordinal\":2}\r",
        "{\"type\":\"message\",\"id\":\"m3\",\"conversation\":\"c1\",\"ordinal\":2}\r\r",
        "{\"type\":\"message\",\x0c\"id\":\"m3\",\"conversation\":\"c1\",\"ordinal\":2}",
        "{\"type\":\"message\",\u{a0}\"id\":\"m3\",\"conversation\":\"c1\",\"ordinal\":2}",
        "{\"type\":\"message\",\u{feff}\"id\":\"m3\",\"conversation\":\"c1\",\"ordinal\":2}",
        "\u{feff}{\"type\":\"message\",\"id\":\"m3\",\"conversation\":\"c1\",\"ordinal\":2}",
        "\u{2028}{\"type\":\"message\",\"id\":\"m3\",\"conversation\":\"c1\",\"ordinal\":2}",
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2}}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2}{}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2} x"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2"#,
        r#"{"id":"m3","type":"message","conversation":"c1","ordinal":2}"#,
        r#"{"\u0074ype":"message","id":"m3","conversation":"c1","ordinal":2}"#,
        r#"{"type":"m\u0065ssage","id":"m3","conversation":"c1","ordinal":2}"#,
        r#"{"type":"Message","id":"m3","conversation":"c1","ordinal":2}"#,
        r#"{"type":"message ","id":"m3","conversation":"c1","ordinal":2}"#,
        r#"{"type":"message"}"#,
        r#"{"type":"message","id":"m3","ordinal":2}"#,
        r#"{"type":"message","id":"m3","conversation":"c1"}"#,
        r#"{"type":"message","conversation":"c1","ordinal":2}"#,
        r#"{"type":"message","type":"message","id":"m3","conversation":"c1","ordinal":2}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"type":"account"}"#,
        r#"{"type" : "message" , "id" : "m3" , "conversation" : "c1" , "ordinal" : 2 }"#,
        r#"{"type":"message",
"id":"m3","conversation":"c1","ordinal":2}"#,
        "[]",
        "{}",
        "\"message\"",
        "",
        " ",
        "\r",
    ];
    probes(&lines);
}

#[test]
fn string_escapes_and_control_characters() {
    probe_msgs(&[
        // Escapes in fields whose value matters: ids, references, enums, times, paths, hashes.
        r#","sender":"\u00611""#,
        r#","sender":"a\u0031""#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00\u005a"}"#,
        r#","time":{"kind":"\u0069nstant","at":"2024-01-01T10:00:00Z"}"#,
        r#","spans":[{"kind":"b\u006fld","start":0,"end":1}],"text":"ab""#,
        r#","attachments":[{"kind":"file","status":"missing","path":"a\/b"}]"#,
        r#","attachments":[{"kind":"file","status":"missing","path":"a\\b"}]"#,
        r#","attachments":[{"kind":"file","status":"missing","path":"a\u0000b"}]"#,
        r#","attachments":[{"kind":"file","status":"missing","sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\u0066"}]"#,
        r#","origin":{"source":"src\u002d1"}"#,
        r#","reply_to":{"message":"m\u0031"}"#,
        // Escapes in free text: every kind, surrogate pairs, lone and reversed surrogates, NUL.
        r#","text":"\"\\\/\b\f\n\r\t""#,
        r#","text":"\u0000""#,
        r#","text":"\u001f\u007f\u0080\uffff\ufffe""#,
        r#","text":"\ud83d\ude00""#,
        r#","text":"\uD83D\uDE00""#,
        r#","text":"\udbff\udfff""#,
        r#","text":"\ud800""#,
        r#","text":"\udc00""#,
        r#","text":"\ude00\ud83d""#,
        r#","text":"\ud800\u0041""#,
        r#","text":"\ud800\ud800""#,
        r#","text":"\ud800x""#,
        r#","text":"\ud800\""#,
        r#","text":"\ud800\\""#,
        r#","text":"\u12""#,
        r#","text":"\u12g4""#,
        r#","text":"\U0041""#,
        r#","text":"\x41""#,
        r#","text":"\a""#,
        r#","text":"\'""#,
        r#","text":"\""#,
        r#","text":"\\""#,
        r#","text":"\\\""#,
        r#","text":"\\u0041""#,
        r#","sender_name":"\ud800""#,
        r#","platform_id":"\udc00""#,
        r#","reply_to":{"quote":"\ud800"}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","original":"\ud800"}"#,
        r#","reactions":[{"emoji":"\ud83d"}]"#,
        r#","attachments":[{"kind":"file","status":"missing","missing_reason":"\udfff"}]"#,
    ]);
    // Raw control characters (JSON forbids them in strings), DEL and C1 controls (allowed).
    let with_comma: Vec<String> = [
        "\"text\":\"a\u{1}b\"",
        "\"text\":\"a\u{0}b\"",
        "\"text\":\"a\u{1f}b\"",
        "\"text\":\"a\u{7f}b\"",
        "\"text\":\"a\u{85}b\u{2028}c\u{2029}\"",
        "\"text\":\"a\tb\"",
        "\"sender_name\":\"a\nb\"",
        "\"platform_id\":\"\u{7f}\"",
    ]
    .iter()
    .map(|r| msg(&format!(",{r}")))
    .collect();
    probes(&with_comma.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn numbers() {
    let mut lines = Vec::new();
    for n in [
        "0",
        "2",
        "-0",
        "-1",
        "-2",
        "02",
        "00",
        "2.0",
        "2.",
        ".2",
        "2e0",
        "2E0",
        "2e+0",
        "0.5",
        "1e2",
        "+2",
        "0x2",
        "NaN",
        "Infinity",
        "\"2\"",
        "9999999999999999999",
        "10000000000000000000",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999",
        "184467440737095516150",
        "1844674407370955161500000000000000000000",
        "2 ",
        " 2",
        "2 3",
        "2-",
        "2true",
    ] {
        lines.push(format!(
            r#"{{"type":"message","id":"m3","conversation":"c1","ordinal":{n}}}"#
        ));
        // The same number in every other integer field the fast path reads.
        for f in [
            r#","spans":[{"kind":"bold","start":0,"end":N}],"text":"abc""#,
            r#","spans":[{"kind":"bold","start":N,"end":3}],"text":"abc""#,
            r#","reactions":[{"emoji":"x","count":N}]"#,
            r#","attachments":[{"kind":"file","status":"missing","size":N,"width":N,"height":N}]"#,
            r#","origin":{"line":N}"#,
        ] {
            lines.push(msg(&f.replace('N', n)));
        }
    }
    probes(&lines.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn duplicate_keys_at_every_level() {
    probe_msgs(&[
        r#","text":"a","sender_name":"b","text":"a""#,
        r#","time":{"kind":"instant","kind":"instant","at":"2024-01-01T10:00:00Z"}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","at":"2024-01-01T10:00:00Z"}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"second","precision":"second"}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","original":"a","original":"a"}"#,
        r#","spans":[{"kind":"bold","start":0,"start":0,"end":1}],"text":"ab""#,
        r#","spans":[{"kind":"bold","kind":"bold","start":0,"end":1}],"text":"ab""#,
        r#","spans":[{"kind":"link","start":0,"end":1,"url":"u","url":"u"}],"text":"ab""#,
        r#","spans":[{"kind":"mention","start":0,"end":1,"account":"a1","account":"a1"}],"text":"ab""#,
        r#","reply_to":{"message":"m1","message":"m1"}"#,
        r#","reply_to":{"quote":"q","quote":"q"}"#,
        r#","thread":{"root":"m1","root":"m1"}"#,
        r#","thread":{"broadcast":true,"broadcast":true}"#,
        r#","forwarded":{"account":"a1","account":"a1"}"#,
        r#","forwarded":{"time":{"kind":"instant","at":"2024-01-01T10:00:00Z"},"time":{"kind":"instant","at":"2024-01-01T10:00:00Z"}}"#,
        r#","edited":{"by":"a1","by":"a1"}"#,
        r#","deleted":{"placeholder":"p","placeholder":"p"}"#,
        r#","reactions":[{"emoji":"x","emoji":"x"}]"#,
        r#","reactions":[{"emoji":"x","by":[{"account":"a1","account":"a1"}]}]"#,
        r#","reactions":[{"emoji":"x","by":[{"name":"n","name":"n"}]}]"#,
        r#","attachments":[{"kind":"file","status":"missing","status":"missing"}]"#,
        r#","attachments":[{"kind":"file","status":"missing","caption":"c","caption":"c"}]"#,
        r#","origin":{"source":"src-1","source":"src-1"}"#,
        r#","origin":{"line":1,"line":1}"#,
        r#","extensions":{"org.x":1,"org.x":1}"#,
        r#","extensions":{"org.x":{"a":1,"a":1}}"#,
        r#","pinned":true,"pinned":true"#,
    ]);
}

#[test]
fn unknown_fields_in_every_object() {
    let rests = [
        r#","unknown":1"#,
        r#","Text":"a""#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","x":1}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","zone":"UTC"}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","local":"2024-01-01T10:00"}"#,
        r#","origin":{"source":"src-1","x":1}"#,
        r#","attachments":[{"kind":"file","status":"missing","x":1}]"#,
        r#","attachments":[{"kind":"file","status":"missing","duration_seconds":1.5}]"#,
        r#","attachments":[{"kind":"file","status":"missing","duration_seconds":-1}]"#,
        r#","attachments":[{"kind":"file","status":"missing","extensions":{"org.x":1}}]"#,
        r#","attachments":[{"kind":"file","status":"missing","extensions":{"x":1}}]"#,
        r#","reactions":[{"emoji":"x","x":1}]"#,
        r#","reactions":[{"emoji":"x","extensions":{"bad":1}}]"#,
        r#","reactions":[{"emoji":"x","by":[{"x":1}]}]"#,
        r#","spans":[{"kind":"bold","start":0,"end":1,"x":1}],"text":"ab""#,
        r#","reply_to":{"x":1}"#,
        r#","thread":{"x":1}"#,
        r#","forwarded":{"x":1}"#,
        r#","edited":{"x":1}"#,
        r#","edited":{"history":[{"text":"a","spans":[{"kind":"bold","start":0,"end":2}]}]}"#,
        r#","deleted":{"x":1}"#,
        r#","extensions":{"org.x":1}"#,
        r#","extensions":{"x":1}"#,
        r#","embeds":[]"#,
        r#","location":{"latitude":91}"#,
        r#","event":{"kind":"pinned"}"#,
    ];
    probe_msgs(&rests);
    // In an archive of a newer minor version, unknown fields are warnings (W102) and the rest of
    // the record is checked as if they were absent.
    let newer = r#"{"type":"header","format":"chatport","version":"0.2","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}]}"#;
    let lines = msgs(&rests);
    let more = msgs(&[
        "",
        r#","unknown":1,"ordinal":2"#,
        r#","unknown":1,"sender":"c1""#,
        r#","time":{"kind":"local","at":"2024-01-01T10:00","x":1}"#,
        r#","spans":[{"kind":"blink","start":0,"end":1}],"text":"ab""#,
        r#","attachments":[{"kind":"hologram","status":"missing"}]"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"week"}"#,
    ]);
    all_same(lines.iter().chain(&more).map(|p| {
        let mut v = vec![newer];
        v.extend(BODY);
        v.push(p);
        v
    }));
}

#[test]
fn enum_values() {
    probe_msgs(&[
        r#","spans":[{"kind":"Bold","start":0,"end":1}],"text":"ab""#,
        r#","spans":[{"kind":"BOLD","start":0,"end":1}],"text":"ab""#,
        r#","spans":[{"kind":"bot_command","start":0,"end":1}],"text":"ab""#,
        r#","spans":[{"kind":"botCommand","start":0,"end":1}],"text":"ab""#,
        r#","spans":[{"kind":"custom_emoji","start":0,"end":1}],"text":"ab""#,
        r#","spans":[{"kind":"","start":0,"end":1}],"text":"ab""#,
        r#","attachments":[{"kind":"Image","status":"missing"}]"#,
        r#","attachments":[{"kind":"contact_card","status":"missing"}]"#,
        r#","attachments":[{"kind":"image","status":"Missing"}]"#,
        r#","attachments":[{"kind":"image","status":"present"}]"#,
        r#","attachments":[{"kind":"image","status":"present","path":"a.jpg","size":1,"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]"#,
        r#","attachments":[{"kind":"image","status":"deleted"}]"#,
        r#","time":{"kind":"Instant","at":"2024-01-01T10:00:00Z"}"#,
        r#","time":{"kind":"assumed","at":"2024-01-01T10:00:00+01:00","local":"2024-01-01T10:00","zone":"Europe/Berlin"}"#,
        r#","time":{"kind":"assumed","at":"2024-01-01T10:00:00Z"}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"Second"}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":"hour"}"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z","precision":""}"#,
        r#","time":{"kind":1,"at":"2024-01-01T10:00:00Z"}"#,
    ]);
}

#[test]
fn times() {
    let mut rests = Vec::new();
    for at in [
        "2024-01-01T10:00:00Z",
        "2024-02-29T23:59:59Z",
        "2023-02-29T10:00:00Z",
        "2024-02-30T10:00:00Z",
        "2024-04-31T10:00:00Z",
        "2024-13-01T10:00:00Z",
        "2024-00-01T10:00:00Z",
        "2024-01-00T10:00:00Z",
        "1900-02-29T10:00:00Z",
        "2000-02-29T10:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T23:60:00Z",
        "2024-01-01T23:59:60Z",
        "2016-12-31T23:59:60Z",
        "2024-01-01T10:00:00+24:00",
        "2024-01-01T10:00:00+23:59",
        "2024-01-01T10:00:00+00:60",
        "2024-01-01T10:00:00-00:00",
        "2024-01-01T10:00:00+00:00",
        "2024-01-01T10:00:00+0100",
        "2024-01-01T10:00:00+01",
        "2024-01-01T10:00:00+1:00",
        "2024-01-01t10:00:00Z",
        "2024-01-01T10:00:00z",
        "2024-01-01 10:00:00Z",
        "2024-01-01T10:00Z",
        "2024-01-01T10:00",
        "2024-01-01T10:00:00",
        "2024-01-01T10",
        "2024-01-01",
        "2024-01-01T10:00:00.Z",
        "2024-01-01T10:00:00.1Z",
        "2024-01-01T10:00:00.123456789Z",
        "2024-01-01T10:00:00.1234567891Z",
        "2024-01-01T10:00:00,5Z",
        "2024-01-01T10:00:00.5",
        "2024-01-01T10:00.5",
        "2024-01-01T10:00:5Z",
        "2024-1-01T10:00:00Z",
        "+2024-01-01T10:00:00Z",
        "-2024-01-01T10:00:00Z",
        "20240-01-01T10:00:00Z",
        "2024-01-01T10:00:00ZZ",
        "2024-01-01T10:00:00Z ",
        " 2024-01-01T10:00:00Z",
        "2024-01-01T10:00:00+01:00:00",
        "2024-01-01T10:00:00UTC",
        "2024-01-01T10:00:00+01:0a",
        "2024-01-01T10:00:00+0a:00",
        "2024-01-01T1a:00:00Z",
        "2024-01-01T10:00:0aZ",
        "２０２４-01-01T10:00:00Z",
        "2024-01-01T10:00:00.１Z",
        "",
    ] {
        for kind in ["instant", "local"] {
            rests.push(format!(r#","time":{{"kind":"{kind}","at":"{at}"}}"#));
            // Also in a nested time, where the W100 pointer differs.
            rests.push(format!(
                r#","forwarded":{{"time":{{"kind":"{kind}","at":"{at}"}}}}"#
            ));
        }
        let base = at.trim_end_matches('Z');
        rests.push(format!(r#","time":{{"kind":"local","at":"{base}"}}"#));
    }
    // Precision and original are not compared with `at` (section 8.6).
    for (at, p) in [
        ("2024-01-01T10:00", "second"),
        ("2024-01-01T10:00:00.123Z", "minute"),
        ("2024-01-01T00:00", "day"),
        ("2024-01-01T10:00:00Z", "nanosecond"),
    ] {
        let kind = if at.ends_with('Z') {
            "instant"
        } else {
            "local"
        };
        rests.push(format!(
            r#","time":{{"kind":"{kind}","at":"{at}","precision":"{p}","original":"x"}}"#
        ));
    }
    // The `at` or `kind` missing, or `at` not a string.
    rests.push(r#","time":{"kind":"instant"}"#.into());
    rests.push(r#","time":{"at":"2024-01-01T10:00:00Z"}"#.into());
    rests.push(r#","time":{"kind":"instant","at":1}"#.into());
    rests.push(r#","time":{"at":"2024-01-01T10:00","kind":"local"}"#.into());
    let lines: Vec<String> = rests.iter().map(|r| msg(r)).collect();
    probes(&lines.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn local_times_and_the_zone_hint() {
    // The first local time of the archive (W100, with the pointer of the first one) in every
    // place a message can hold a time, with and without a zone hint in the header, and with the
    // first local time already in the header.
    let places = [
        r#","time":{"kind":"local","at":"2024-01-01T10:00"}"#,
        r#","forwarded":{"time":{"kind":"local","at":"2024-01-01T10:00"}}"#,
        r#","edited":{"time":{"kind":"local","at":"2024-01-01T10:00"}}"#,
        r#","deleted":{"time":{"kind":"local","at":"2024-01-01T10:00"}}"#,
        r#","reactions":[{"emoji":"x","by":[{"time":{"kind":"local","at":"2024-01-01T10:00"}}]}]"#,
        r#","time":{"kind":"instant","at":"2024-01-01T10:00:00Z"},"forwarded":{"time":{"kind":"local","at":"2024-01-01T10:00"}}"#,
        r#","forwarded":{"time":{"kind":"local","at":"2024-01-01T10:00"}},"time":{"kind":"local","at":"2024-01-01T10:00"}"#,
        r#","reactions":[{"emoji":"x","by":[{"time":{"kind":"local","at":"2024-01-01T10:00"}}]}],"deleted":{"time":{"kind":"local","at":"2024-01-01T10:00"}}"#,
    ];
    let headers = [
        HEADER,
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram","zone_hint":"Europe/Berlin"}]}"#,
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram","assumed_zone":"Mars/Base"}]}"#,
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"created":{"kind":"local","at":"2024-01-01T09:00"},"sources":[{"id":"src-1","platform":"telegram"}]}"#,
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram","exported":{"kind":"local","at":"2024-01-01T09:00"}}]}"#,
        r#"{"type":"header","format":"chatport","version":"0.2","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}],"new_field":1}"#,
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram","zone_hint":"Europe/Berlin"}],"x":1}"#,
    ];
    let lines: Vec<String> = places.iter().map(|r| msg(r)).collect();
    let mut archives = Vec::new();
    for h in headers {
        for l in &lines {
            let mut v = vec![h];
            v.extend(BODY);
            v.push(l);
            archives.push(v.clone());
            // Two local messages in a row: the second may take the fast path.
            v.push(r#"{"type":"message","id":"m4","conversation":"c1","ordinal":3,"time":{"kind":"local","at":"2024-01-02T10:00"}}"#);
            archives.push(v);
        }
    }
    // The first local time in a conversation's `created`, or in a line with errors.
    for first in [
        r#"{"type":"conversation","id":"c3","platform":"telegram","kind":"group","created":{"kind":"local","at":"2024-01-01T09:00"}}"#,
        r#"{"type":"message","id":"m-bad","conversation":"c1","ordinal":1,"time":{"kind":"local","at":"2024-01-01T09:00"}}"#,
        r#"{"type":"message","id":"m-bad","conversation":"c1","ordinal":9,"time":{"kind":"local","at":"2024-01-01T09:00"},"x":1}"#,
        r#"{"type":"message","id":"m-bad","conversation":"c1","ordinal":9,"time":{"kind":"local","at":"2024-01-01T09:00+01:00"}}"#,
    ] {
        let mut v = vec![HEADER];
        v.extend(BODY);
        v.push(first);
        v.push(r#"{"type":"message","id":"m9","conversation":"c2","ordinal":10,"time":{"kind":"local","at":"2024-01-02T10:00"}}"#);
        archives.push(v);
    }
    all_same(archives);
}

#[test]
fn spans_against_the_text() {
    probe_msgs(&[
        r#","text":"abc","spans":[{"kind":"bold","start":0,"end":3}]"#,
        r#","text":"abc","spans":[{"kind":"bold","start":0,"end":4}]"#,
        r#","text":"abc","spans":[{"kind":"bold","start":3,"end":3}]"#,
        r#","text":"abc","spans":[{"kind":"bold","start":4,"end":4}]"#,
        r#","text":"abc","spans":[{"kind":"bold","start":2,"end":1}]"#,
        r#","text":"","spans":[{"kind":"bold","start":0,"end":0}]"#,
        r#","spans":[{"kind":"bold","start":0,"end":0}]"#,
        r#","spans":[{"kind":"bold","start":0,"end":1}]"#,
        r#","spans":[{"kind":"bold","start":0,"end":1}],"text":"a""#,
        r#","text":null,"spans":[{"kind":"bold","start":0,"end":1}]"#,
        // Code points, not bytes nor UTF-16 units.
        r#","text":"é🎉","spans":[{"kind":"bold","start":0,"end":2}]"#,
        r#","text":"é🎉","spans":[{"kind":"bold","start":0,"end":3}]"#,
        r#","text":"\ud83c\udf89","spans":[{"kind":"bold","start":0,"end":1}]"#,
        r#","text":"\ud83c\udf89","spans":[{"kind":"bold","start":0,"end":2}]"#,
        r#","text":"\uD83C\uDF89x","spans":[{"kind":"bold","start":0,"end":2}]"#,
        r#","text":"\uD83C\uDF89x","spans":[{"kind":"bold","start":0,"end":3}]"#,
        r#","text":"\u00e9\u0000\n","spans":[{"kind":"bold","start":0,"end":3}]"#,
        r#","text":"\u00e9\u0000\n","spans":[{"kind":"bold","start":0,"end":4}]"#,
        r#","text":"\\u0041","spans":[{"kind":"bold","start":0,"end":6}]"#,
        r#","text":"\\u0041","spans":[{"kind":"bold","start":0,"end":7}]"#,
        r#","text":"\\\ud83d\ude00","spans":[{"kind":"bold","start":0,"end":2}]"#,
        r#","text":"\\\ud83d\ude00","spans":[{"kind":"bold","start":0,"end":3}]"#,
        r#","text":"\\ud83d\\ude00","spans":[{"kind":"bold","start":0,"end":12}]"#,
        r#","text":"\\ud83d\\ude00","spans":[{"kind":"bold","start":0,"end":13}]"#,
        r#","text":"\\\\ud83d","spans":[{"kind":"bold","start":0,"end":7}]"#,
        r#","text":"\\\\ud83d","spans":[{"kind":"bold","start":0,"end":8}]"#,
        r#","text":"\ud83d\ude00\ud83d\ude00","spans":[{"kind":"bold","start":0,"end":2}]"#,
        r#","text":"\ud83d\ude00\ud83d\ude00","spans":[{"kind":"bold","start":0,"end":3}]"#,
        r#","text":"\u0301e\u0301","spans":[{"kind":"bold","start":0,"end":3}]"#,
        r#","text":"e\u0301","spans":[{"kind":"bold","start":0,"end":3}]"#,
        // Many spans, the largest end not the last, one bad among good ones.
        r#","text":"abcdef","spans":[{"kind":"bold","start":0,"end":6},{"kind":"italic","start":1,"end":2}]"#,
        r#","text":"abcdef","spans":[{"kind":"bold","start":0,"end":2},{"kind":"italic","start":1,"end":7},{"kind":"code","start":0,"end":1}]"#,
        r#","text":"abcdef","spans":[{"kind":"bold","start":0,"end":2},{"kind":"italic","start":5,"end":4}]"#,
        // Start or end missing, or the text after the spans.
        r#","text":"abc","spans":[{"kind":"bold","start":0}]"#,
        r#","text":"abc","spans":[{"kind":"bold","end":1}]"#,
        r#","text":"abc","spans":[{"start":0,"end":1}]"#,
        r#","spans":[{"kind":"bold","start":0,"end":3}],"text":"abc""#,
        r#","spans":[{"kind":"bold","start":0,"end":4}],"text":"abc""#,
        // References in spans.
        r#","text":"abc","spans":[{"kind":"mention","start":0,"end":1,"account":"a1","conversation":"c2"}]"#,
        r#","text":"abc","spans":[{"kind":"mention","start":0,"end":1,"account":"c1"}]"#,
        r#","text":"abc","spans":[{"kind":"mention","start":0,"end":1,"conversation":"a1"}]"#,
        r#","text":"abc","spans":[{"kind":"mention","start":0,"end":1,"account":"zz"}]"#,
        r#","text":"abc","spans":[{"kind":"mention","start":0,"end":1,"account":"p1"}]"#,
    ]);
    // A family emoji: three code points joined into one glyph.
    let raw = [
        "\"text\":\"\u{1F468}\u{200D}\u{1F469}\",\"spans\":[{\"kind\":\"bold\",\"start\":0,\"end\":3}]",
        "\"text\":\"\u{1F468}\u{200D}\u{1F469}\",\"spans\":[{\"kind\":\"bold\",\"start\":0,\"end\":4}]",
    ];
    let lines: Vec<String> = raw.iter().map(|r| msg(&format!(",{r}"))).collect();
    probes(&lines.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn attachments() {
    let mut rests = Vec::new();
    for path in [
        "media/a.jpg",
        "a.jpg",
        "/a.jpg",
        "//a.jpg",
        "C:/a.jpg",
        "c:a.jpg",
        "1:/a.jpg",
        "C:",
        "../a.jpg",
        "media/../a.jpg",
        "media/..",
        "..",
        "...",
        "..a/b",
        "./a.jpg",
        "media/./a.jpg",
        "media/.",
        ".",
        "media//a.jpg",
        "media/",
        "",
        "a b.jpg",
        "é/ü.jpg",
        "a\u{7f}.jpg",
        "a\u{85}.jpg",
        "a\u{2028}.jpg",
        "a:b.jpg",
        "~/a.jpg",
    ] {
        for status in ["missing", "remote"] {
            rests.push(format!(
                r#","attachments":[{{"kind":"file","status":"{status}","url":"u","path":"{path}"}}]"#
            ));
        }
    }
    for sha in [
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
        "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "",
    ] {
        rests.push(format!(
            r#","attachments":[{{"kind":"file","status":"missing","sha256":"{sha}"}}]"#
        ));
    }
    rests.extend(
        [
            r#","attachments":[{"kind":"file","status":"remote"}]"#,
            r#","attachments":[{"kind":"file","status":"remote","url":""}]"#,
            r#","attachments":[{"kind":"file","status":"missing","url":"u"}]"#,
            r#","attachments":[{"kind":"file","status":"missing"},{"kind":"file","status":"remote"}]"#,
            r#","attachments":[{"kind":"file"}]"#,
            r#","attachments":[{"status":"missing"}]"#,
            r#","attachments":[{"kind":"file","status":"present","path":"a.jpg"}]"#,
            r#","attachments":[{"kind":"file","status":"present","path":"a.jpg","size":1,"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]"#,
            r#","attachments":[{"kind":"file","status":"missing","size":0,"width":0,"height":0}]"#,
            r#","attachments":{"kind":"file","status":"missing"}"#,
        ]
        .map(String::from),
    );
    let lines: Vec<String> = rests.iter().map(|r| msg(r)).collect();
    probes(&lines.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn references() {
    probe_msgs(&[
        r#","sender":"a1""#,
        r#","sender":"p1""#,
        r#","sender":"c1""#,
        r#","sender":"m1""#,
        r#","sender":"m3""#,
        r#","sender":"zz""#,
        r#","sender":"m4""#,
        r#","sender":"src-1""#,
        r#","sender":"""#,
        r#","sender":"a1 ""#,
        r#","reply_to":{"message":"m1"}"#,
        r#","reply_to":{"message":"m3"}"#,
        r#","reply_to":{"message":"m4"}"#,
        r#","reply_to":{"message":"a1"}"#,
        r#","reply_to":{"message":"c1"}"#,
        r#","thread":{"root":"m2"}"#,
        r#","thread":{"root":"m3"}"#,
        r#","thread":{"root":"p1"}"#,
        r#","forwarded":{"account":"a2"}"#,
        r#","forwarded":{"account":"m1"}"#,
        r#","edited":{"by":"a1"}"#,
        r#","edited":{"by":"c2"}"#,
        r#","deleted":{"by":"a2"}"#,
        r#","deleted":{"by":"nobody"}"#,
        r#","reactions":[{"emoji":"x","by":[{"account":"a1"},{"account":"a2"},{"account":"c1"}]}]"#,
        r#","origin":{"source":"src-1"}"#,
        r#","origin":{"source":"src-2"}"#,
        r#","origin":{"source":"a1"}"#,
        r#","origin":{"source":""}"#,
    ]);
    // The conversation itself: unknown, the wrong kind, defined only later.
    let lines = [
        r#"{"type":"message","id":"m3","conversation":"c9","ordinal":2}"#,
        r#"{"type":"message","id":"m3","conversation":"a1","ordinal":2}"#,
        r#"{"type":"message","id":"m3","conversation":"m1","ordinal":2}"#,
        r#"{"type":"message","id":"m3","conversation":"m3","ordinal":2}"#,
        r#"{"type":"message","id":"m3","conversation":"p1","ordinal":2}"#,
        r#"{"type":"message","id":"m3","conversation":"","ordinal":2}"#,
    ];
    probes(&lines);
    // Many references: the fast path keeps at most 16.
    let mut many = Vec::new();
    for n in [14, 15, 16, 17, 18, 40] {
        let by: Vec<&str> = (0..n)
            .map(|i| {
                if i == n - 1 {
                    r#"{"account":"zz"}"#
                } else {
                    r#"{"account":"a1"}"#
                }
            })
            .collect();
        many.push(msg(&format!(
            r#","reactions":[{{"emoji":"x","by":[{}]}}]"#,
            by.join(",")
        )));
        let by: Vec<&str> = (0..n).map(|_| r#"{"account":"a1"}"#).collect();
        many.push(msg(&format!(
            r#","reactions":[{{"emoji":"x","by":[{}]}}]"#,
            by.join(",")
        )));
    }
    probes(&many.iter().map(String::as_str).collect::<Vec<_>>());
    // References to records defined later, and forward references resolved by a fast line.
    let mut v = vec![HEADER];
    v.extend(BODY);
    v.extend([
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2,"reply_to":{"message":"m4"}}"#,
        r#"{"type":"message","id":"m4","conversation":"c1","ordinal":3,"reply_to":{"message":"m3"}}"#,
        r#"{"type":"message","id":"m5","conversation":"c3","ordinal":1,"sender":"a3"}"#,
        r#"{"type":"account","id":"a3","platform":"telegram"}"#,
        r#"{"type":"conversation","id":"c3","platform":"telegram","kind":"group"}"#,
        r#"{"type":"message","id":"m6","conversation":"c3","ordinal":1,"sender":"a3"}"#,
    ]);
    all_same([v]);
}

#[test]
fn ordinals() {
    let mut archives = Vec::new();
    for (a, b) in [
        ("1", "1"),
        ("1", "0"),
        ("2", "1"),
        ("0", "0"),
        ("0", "1"),
        ("18446744073709551615", "1"),
        ("9999999999999999999", "9999999999999999999"),
        ("9999999999999999998", "9999999999999999999"),
        ("1.0", "2"),
        ("-1", "1"),
        ("\"1\"", "2"),
    ] {
        let first = format!(r#"{{"type":"message","id":"m3","conversation":"c1","ordinal":{a}}}"#);
        let second = format!(r#"{{"type":"message","id":"m4","conversation":"c1","ordinal":{b}}}"#);
        let other = format!(r#"{{"type":"message","id":"m5","conversation":"c2","ordinal":{b}}}"#);
        archives.push((first, second, other));
    }
    all_same(archives.iter().map(|(a, b, c)| {
        let mut v = vec![HEADER];
        v.extend(BODY);
        v.extend([a.as_str(), b.as_str(), c.as_str()]);
        v
    }));
    // A message after one with a bad ordinal, or with a bad reference, in the same conversation.
    let mut v = vec![HEADER];
    v.extend(BODY);
    v.extend([
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":0}"#,
        r#"{"type":"message","id":"m4","conversation":"c1","ordinal":1}"#,
        r#"{"type":"message","id":"m5","conversation":"c1","ordinal":7,"sender":"zz"}"#,
        r#"{"type":"message","id":"m6","conversation":"c1","ordinal":7}"#,
        r#"{"type":"message","id":"m7","conversation":"c1","ordinal":8,"x":1}"#,
        r#"{"type":"message","id":"m8","conversation":"c1","ordinal":8}"#,
        r#"{"type":"message","id":"m9","conversation":"c1","ordinal":9,"text":"\ud800"}"#,
        r#"{"type":"message","id":"m10","conversation":"c1","ordinal":9}"#,
    ]);
    all_same([v]);
}

#[test]
fn ids() {
    let long255 = format!("m{}", "x".repeat(255));
    let long256 = format!("m{}", "x".repeat(256));
    let long_utf8 = format!("m{}", "é".repeat(128));
    let long_utf8_ok = format!("m{}", "é".repeat(127));
    let mut lines: Vec<String> = [
        "m3",
        "",
        " ",
        "m 3",
        "m3 ",
        "\u{a0}m3",
        "m\u{2003}3",
        "m\u{85}3",
        "m\u{7f}3",
        "m\u{200b}3",
        "m\u{feff}3",
        "m\u{2028}3",
        "m\u{e000}3",
        "é",
        "m\"",
        "m1",
        "a1",
        "c1",
        "src-1",
        long255.as_str(),
        long256.as_str(),
        long_utf8.as_str(),
        long_utf8_ok.as_str(),
    ]
    .iter()
    .map(|id| {
        let id = id.replace('"', "\\\"");
        format!(r#"{{"type":"message","id":"{id}","conversation":"c1","ordinal":2}}"#)
    })
    .collect();
    lines.extend(
        [
            r#"{"type":"message","id":"m\u0033","conversation":"c1","ordinal":2}"#,
            r#"{"type":"message","id":"m\u0031","conversation":"c1","ordinal":2}"#,
            r#"{"type":"message","id":"m\t3","conversation":"c1","ordinal":2}"#,
            r#"{"type":"message","id":"m\u00003","conversation":"c1","ordinal":2}"#,
            r#"{"type":"message","id":1,"conversation":"c1","ordinal":2}"#,
            r#"{"type":"message","id":null,"conversation":"c1","ordinal":2}"#,
        ]
        .map(String::from),
    );
    probes(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    // The same id twice, both times on lines the fast path may read.
    let mut v = vec![HEADER];
    v.extend(BODY);
    v.extend([
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2}"#,
        r#"{"type":"message","id":"m3","conversation":"c1","ordinal":3}"#,
        r#"{"type":"message","id":"m3","conversation":"c2","ordinal":9}"#,
        r#"{"type":"account","id":"m3","platform":"telegram"}"#,
    ]);
    all_same([v]);
}

#[test]
fn what_comes_before_the_message() {
    let m3 = r#"{"type":"message","id":"m3","conversation":"c1","ordinal":2}"#;
    let m4 = r#"{"type":"message","id":"m4","conversation":"c1","ordinal":3,"origin":{"source":"src-1"}}"#;
    let headers = [
        // No header, a broken one, one of another version, one with errors.
        "",
        "{",
        "\u{feff}{\"type\":\"header\",\"format\":\"chatport\",\"version\":\"0.1\",\"generator\":{\"name\":\"t\"},\"sources\":[{\"id\":\"src-1\",\"platform\":\"telegram\"}]}",
        r#"{"type":"header","format":"chatport","version":"1.0","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}]}"#,
        r#"{"type":"header","format":"chatport","version":"0.01","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}]}"#,
        r#"{"type":"header","format":"chatport","version":"0.2","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}]}"#,
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}],"x":1}"#,
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}],"version":"0.1"}"#,
        r#"{"type":"header","format":"chatport","version":"0.1","sources":[{"id":"src-1","platform":"telegram"}]}"#,
        r#"{"format":"chatport","version":"0.1","type":"header","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"}]}"#,
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src-1","platform":"telegram"},{"id":"src-1","platform":"x"}]}"#,
        r#"{"type":"header","format":"chatport","version":"0.1","generator":{"name":"t"},"sources":[{"id":"src 1","platform":"telegram"}]}"#,
        r#"{"type":"account","id":"a0","platform":"telegram"}"#,
        m3,
        r#"{"type":"message","id":"m0","conversation":"c1","ordinal":1}"#,
        r#"{"type":"mystery"}"#,
        "[]",
    ];
    let mut archives = Vec::new();
    for h in headers {
        let mut v = vec![h];
        v.extend(BODY);
        v.extend([m3, m4]);
        archives.push(v);
        // The header (or what stands in for it) alone before the messages.
        archives.push(vec![
            h,
            BODY[0],
            BODY[3],
            r#"{"type":"message","id":"m9","conversation":"c1","ordinal":1}"#,
            m4,
        ]);
        // The message as the very first line, and after empty lines.
        archives.push(vec![m3, h]);
        archives.push(vec!["", m3]);
        archives.push(vec!["", "", m3, h]);
        // A second header between the messages.
        let mut v = vec![HEADER];
        v.extend(BODY);
        v.extend([h, m3, m4]);
        archives.push(v);
    }
    all_same(archives);
}
