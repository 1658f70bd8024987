//! The import benchmark: generate a WhatsApp chat and a Telegram result.json of N messages each,
//! then time, each in a child process of its own, the baselines (reading the WhatsApp file's
//! lines; serde_json skimming the Telegram file from a reader into `IgnoredAny`), the imports
//! (parse and write the archive, no validation) and the validation of what they wrote.

use crate::{Rng, WORDS, flag, measure, measure_in_turn, peak_rss_kib};
use serde::de::IgnoredAny;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

const NAMES: &[&str] = &[
    "Ann",
    "Ben",
    "Carla Gómez",
    "Dmitri",
    "Eve 🌸",
    "+49 151 2345678",
    "Fatima",
    "Grégoire",
    "Hana 花子",
    "Ivan",
    "Jo",
    "Kai",
    "~ Lena",
    "Mo",
    "Nils",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
];

fn text(rng: &mut Rng) -> String {
    let n = 3 + rng.below(18) as usize;
    let words: Vec<&str> = (0..n)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect();
    words.join(" ")
}

/// Writes an Android WhatsApp export (`DD/MM/YYYY, HH:MM - `) of `messages` messages: text, now
/// and then a second line, media left out, a deleted message or a system line.
pub fn generate_whatsapp(path: &Path, messages: u64) -> Result<(), String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut minute: u64 = 0;
    for i in 0..messages {
        if rng.below(3) == 0 {
            minute += 1 + rng.below(30);
        }
        // 2015-01-01 plus the minutes so far, as "YYYY-MM-DDTHH:MM:SSZ".
        let iso = crate::format_instant(1_420_070_400 + minute as i64 * 60);
        let head = format!(
            "{}/{}/{}, {} - ",
            &iso[8..10],
            &iso[5..7],
            &iso[0..4],
            &iso[11..16]
        );
        let r = rng.below(100);
        let line = if i > 0 && r < 2 {
            format!(
                "{head}{} added {}\n",
                NAMES[0],
                NAMES[rng.below(20) as usize]
            )
        } else {
            let who = NAMES[rng.below(NAMES.len() as u64) as usize];
            match r {
                2..=6 => format!("{head}{who}: <Media omitted>\n"),
                7 => format!("{head}{who}: This message was deleted\n"),
                8..=12 => format!("{head}{who}: {}\n{}\n", text(&mut rng), text(&mut rng)),
                _ => format!("{head}{who}: {}\n", text(&mut rng)),
            }
        };
        w.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())
}

/// Writes a Telegram Desktop single-chat result.json of `messages` messages: plain and entity
/// text, replies, edits, photos not included, stickers, and service messages.
pub fn generate_telegram(path: &Path, messages: u64) -> Result<(), String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let io = |e: std::io::Error| e.to_string();
    write!(
        w,
        "{{\n \"name\": \"Benchmark group\",\n \"type\": \"private_supergroup\",\n \"id\": 1234567890,\n \"messages\": ["
    )
    .map_err(io)?;
    let start = 1_600_000_000u64;
    for i in 0..messages {
        let id = i + 1;
        let unix = start + i * 7;
        let date = crate::format_instant(unix as i64);
        let date = date.trim_end_matches('Z');
        let who = rng.below(NAMES.len() as u64);
        let name = serde_json::to_string(NAMES[who as usize]).map_err(|e| e.to_string())?;
        let sep = if i == 0 { "\n" } else { ",\n" };
        let r = rng.below(100);
        let body = if r < 2 {
            format!(
                "\"type\": \"service\",\n   \"date\": \"{date}\",\n   \"date_unixtime\": \"{unix}\",\n   \"actor\": {name},\n   \"actor_id\": \"user{}\",\n   \"action\": \"invite_members\",\n   \"members\": [{name}],\n   \"text\": \"\",\n   \"text_entities\": []",
                1000 + who
            )
        } else {
            let t = text(&mut rng);
            let js = serde_json::to_string(&t).map_err(|e| e.to_string())?;
            let mut extra = String::new();
            if r < 10 && id > 1 {
                extra.push_str(&format!(
                    ",\n   \"reply_to_message_id\": {}",
                    id - 1 - rng.below(id - 1).min(20)
                ));
            }
            if r.is_multiple_of(13) {
                extra.push_str(&format!(
                    ",\n   \"edited\": \"{date}\",\n   \"edited_unixtime\": \"{}\"",
                    unix + 30
                ));
            }
            if (10..15).contains(&r) {
                extra.push_str(",\n   \"photo\": \"(File not included. Change data exporting settings to download.)\",\n   \"width\": 1280,\n   \"height\": 960");
            }
            let (text_field, entities) = if r.is_multiple_of(7) {
                let bold = t.split(' ').next().unwrap_or("");
                let rest = &t[bold.len()..];
                let bj = serde_json::to_string(bold).map_err(|e| e.to_string())?;
                let rj = serde_json::to_string(rest).map_err(|e| e.to_string())?;
                (
                    format!("[{{\"type\": \"bold\", \"text\": {bj}}}, {rj}]"),
                    format!(
                        "[{{\"type\": \"bold\", \"text\": {bj}}}, {{\"type\": \"plain\", \"text\": {rj}}}]"
                    ),
                )
            } else {
                (
                    js.clone(),
                    format!("[{{\"type\": \"plain\", \"text\": {js}}}]"),
                )
            };
            format!(
                "\"type\": \"message\",\n   \"date\": \"{date}\",\n   \"date_unixtime\": \"{unix}\",\n   \"from\": {name},\n   \"from_id\": \"user{}\"{extra},\n   \"text\": {text_field},\n   \"text_entities\": {entities}",
                1000 + who
            )
        };
        write!(w, "{sep}  {{\n   \"id\": {id},\n   {body}\n  }}").map_err(io)?;
    }
    write!(w, "\n ]\n}}\n").map_err(io)?;
    w.flush().map_err(io)
}

/// Writes a ChatGPT `conversations.json` of `messages` messages: conversations of 20 nodes each
/// in one chain (a hidden system root, then alternating user and assistant turns), with the keys
/// the data export writes.
pub fn generate_chatgpt(path: &Path, messages: u64) -> Result<(), String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let io = |e: std::io::Error| e.to_string();
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let per = 20u64;
    let conversations = messages.div_ceil(per);
    let mut written = 0u64;
    w.write_all(b"[").map_err(io)?;
    for c in 0..conversations {
        let n = per.min(messages - written);
        written += n;
        let start = 1_700_000_000.0 + c as f64 * 3600.0;
        let node = |i: u64| format!("{c:08x}-0000-4000-8000-{i:012x}");
        let mut mapping = Vec::new();
        let mut last = String::new();
        for i in 0..n {
            let (role, hidden) = match i {
                0 => ("system", true),
                i if i % 2 == 1 => ("user", false),
                _ => ("assistant", false),
            };
            let t = text(&mut rng);
            let id = node(i);
            let parent = if i == 0 {
                "null".to_owned()
            } else {
                format!("\"{}\"", node(i - 1))
            };
            let child = if i + 1 < n {
                format!("[\"{}\"]", node(i + 1))
            } else {
                "[]".into()
            };
            let meta = if hidden {
                r#"{"is_visually_hidden_from_conversation": true}"#
            } else {
                "{}"
            };
            mapping.push(format!(
                "\"{id}\": {{\"id\": \"{id}\", \"message\": {{\"id\": \"{id}\", \"author\": {{\"role\": \"{role}\", \"name\": null, \"metadata\": {{}}}}, \"create_time\": {:.6}, \"update_time\": null, \"content\": {{\"content_type\": \"text\", \"parts\": [{}]}}, \"status\": \"finished_successfully\", \"end_turn\": true, \"weight\": 1.0, \"metadata\": {meta}, \"recipient\": \"all\", \"channel\": null}}, \"parent\": {parent}, \"children\": {child}}}",
                start + i as f64 * 7.25,
                serde_json::to_string(&t).map_err(|e| e.to_string())?
            ));
            last = id;
        }
        let sep = if c == 0 { "\n" } else { ",\n" };
        write!(
            w,
            "{sep}{{\"title\": \"Conversation {c}\", \"create_time\": {start:.6}, \"update_time\": {start:.6}, \"mapping\": {{{}}}, \"moderation_results\": [], \"current_node\": \"{last}\", \"conversation_id\": \"{c:08x}-conv\", \"is_archived\": false}}",
            mapping.join(", ")
        )
        .map_err(io)?;
    }
    w.write_all(b"\n]\n").map_err(io)?;
    w.flush().map_err(io)
}

/// Where the import phases write the archive for `input`.
pub fn output_of(input: &Path) -> PathBuf {
    PathBuf::from(format!("{}.out.jsonl", input.display()))
}

/// The child-process phases of this benchmark; returns the count each phase saw.
pub fn phase(kind: &str, file: &str) -> Result<Option<u64>, String> {
    Ok(Some(match kind {
        // Baseline for WhatsApp: reading the file's lines and nothing else.
        "wa-lines" => {
            let f = std::fs::File::open(file).map_err(|e| e.to_string())?;
            let mut r = BufReader::with_capacity(256 << 10, f);
            let mut buf = Vec::with_capacity(4096);
            let mut n = 0u64;
            while r.read_until(b'\n', &mut buf).map_err(|e| e.to_string())? > 0 {
                n += 1;
                buf.clear();
            }
            n
        }
        // Baseline for Telegram and ChatGPT: serde_json skimming the file from a reader, as jq
        // or any streaming reader would have to.
        "tg-skim" | "gpt-skim" => {
            let f = std::fs::File::open(file).map_err(|e| e.to_string())?;
            let r = BufReader::with_capacity(256 << 10, f);
            let _: IgnoredAny = serde_json::from_reader(r).map_err(|e| e.to_string())?;
            std::fs::metadata(file).map_err(|e| e.to_string())?.len()
        }
        // What the Telegram import does after its last message, approximated alone: its
        // messages, spooled while accounts and conversations were still being learnt, copied
        // behind the records that the format puts first, and the archive synced to disk.
        // Measured on the archive the import wrote (all of it copied to a new file, which is
        // synced and removed; the import copies all but its first records). On a file system
        // that clones on copy (btrfs, XFS) the copy costs next to nothing, here as there.
        "tg-tail" => {
            let out = output_of(Path::new(file));
            let copy = PathBuf::from(format!("{}.tail", out.display()));
            let io = |e: std::io::Error| e.to_string();
            let copied = (|| {
                let mut from = std::fs::File::open(&out)?;
                let mut to = std::fs::File::create(&copy)?;
                let n = std::io::copy(&mut from, &mut to)?;
                to.sync_all()?;
                Ok(n)
            })();
            let _ = std::fs::remove_file(&copy);
            copied.map_err(io)?
        }
        "wa-import" | "tg-import" | "gpt-import" => {
            let platform = match kind {
                "wa-import" => chatport_import::Platform::WhatsApp,
                "tg-import" => chatport_import::Platform::Telegram,
                _ => chatport_import::Platform::ChatGpt,
            };
            let out = output_of(Path::new(file));
            let options = chatport_import::ImportOptions {
                platform: Some(platform),
                force: true,
                validate: false,
                ..Default::default()
            };
            let report = chatport_import::import(Path::new(file), &out, &options)
                .map_err(|e| e.to_string())?;
            report.messages
        }
        _ => return Ok(None),
    }))
}

struct Row<'a> {
    name: &'a str,
    m: crate::Measured,
}

fn print_rows(rows: &[Row<'_>], mb: f64, messages: u64) {
    println!(
        "| phase (best of 3, phases in turn) | wall s | CPU s | MB/s (input, wall) | messages/s (wall) | messages per CPU second | peak memory MiB |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.3} | {:.2} | {:.0} | {:.0} | {:.0} | {:.1} |",
            r.name,
            r.m.secs,
            r.m.cpu,
            mb / r.m.secs,
            messages as f64 / r.m.secs,
            messages as f64 / r.m.cpu,
            r.m.peak_kib as f64 / 1024.0
        );
    }
}

/// `chatport-bench import [--messages N] [--dir DIR] [--only whatsapp|telegram|chatgpt]`
pub fn bench_import(args: &[String]) -> Result<(), String> {
    let messages: u64 = flag(args, "--messages")
        .unwrap_or("1000000")
        .parse()
        .map_err(|_| "--messages takes a number")?;
    let dir = flag(args, "--dir")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let only = flag(args, "--only");
    if only.is_none_or(|o| o == "whatsapp") {
        let file = dir.join(format!("chatport-bench-wa-{messages}.txt"));
        generate_whatsapp(&file, messages)?;
        let mb = std::fs::metadata(&file).map_err(|e| e.to_string())?.len() as f64 / 1e6;
        println!("## WhatsApp: {messages} messages, {mb:.1} MB");
        let [lines, import]: [crate::Measured; 2] =
            measure_in_turn(&["wa-lines", "wa-import"], &file)?
                .try_into()
                .map_err(|_| "a phase is missing")?;
        let out = output_of(&file);
        let validate = measure("validate", &out)?;
        if import.records != messages {
            return Err(format!(
                "WhatsApp import wrote {} of {messages} messages",
                import.records
            ));
        }
        print_rows(
            &[
                Row {
                    name: "read the lines (baseline)",
                    m: lines,
                },
                Row {
                    name: "chatport import (parse + write archive)",
                    m: import,
                },
                Row {
                    name: "validation of the archive written (separate pass)",
                    m: validate,
                },
            ],
            mb,
            messages,
        );
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_file(&out);
        println!();
    }
    if only.is_none_or(|o| o == "chatgpt") {
        // Memory must not follow the input's size: the same generator at two sizes.
        println!("## ChatGPT: conversations of 20 messages, at two sizes");
        println!(
            "| messages | input MB | skim s | import s | import peak MiB | input MB per peak MiB |"
        );
        println!("|---|---|---|---|---|---|");
        for n in [messages / 2, messages] {
            let file = dir.join(format!("chatport-bench-gpt-{n}.json"));
            generate_chatgpt(&file, n)?;
            let mb = std::fs::metadata(&file).map_err(|e| e.to_string())?.len() as f64 / 1e6;
            let skim = measure("gpt-skim", &file)?;
            let import = measure("gpt-import", &file)?;
            if import.records != n {
                return Err(format!(
                    "ChatGPT import wrote {} of {n} messages",
                    import.records
                ));
            }
            let peak = import.peak_kib as f64 / 1024.0;
            println!(
                "| {n} | {mb:.1} | {:.3} | {:.3} | {peak:.1} | {:.1} |",
                skim.secs,
                import.secs,
                mb / peak
            );
            let _ = std::fs::remove_file(&file);
            let _ = std::fs::remove_file(format!("{}.out.jsonl", file.display()));
        }
        println!();
    }
    if only.is_none_or(|o| o == "telegram") {
        let file = dir.join(format!("chatport-bench-tg-{messages}.json"));
        generate_telegram(&file, messages)?;
        let mb = std::fs::metadata(&file).map_err(|e| e.to_string())?.len() as f64 / 1e6;
        println!("## Telegram: {messages} messages, {mb:.1} MB");
        let [skim, import, tail]: [crate::Measured; 3] =
            measure_in_turn(&["tg-skim", "tg-import", "tg-tail"], &file)?
                .try_into()
                .map_err(|_| "a phase is missing")?;
        let out = output_of(&file);
        let validate = measure("validate", &out)?;
        if import.records != messages {
            return Err(format!(
                "Telegram import wrote {} of {messages} messages",
                import.records
            ));
        }
        let ratio = import.secs / skim.secs;
        print_rows(
            &[
                Row {
                    name: "serde_json from_reader → IgnoredAny (baseline)",
                    m: skim,
                },
                Row {
                    name: "chatport import (parse + write archive)",
                    m: import,
                },
                Row {
                    name: "validation of the archive written (separate pass)",
                    m: validate,
                },
            ],
            mb,
            messages,
        );
        println!();
        println!("Telegram import time / baseline time = {ratio:.2}x (target ≤ 2x)");
        let budget = 2.0 * skim.secs;
        println!(
            "Of the import, the part after its last message (the spooled messages copied behind \
             the records the format puts first, and the archive synced), measured alone on the \
             archive written: {:.3} s wall, {:.2} CPU s, {:.0}% of the 2x budget of {budget:.3} s.",
            tail.secs,
            tail.cpu,
            100.0 * tail.secs / budget
        );
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_file(&out);
    }
    Ok(())
}

/// Peak memory of this process, for the phase runner.
pub fn peak() -> u64 {
    peak_rss_kib()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_whatsapp_imports_whole_and_valid() {
        let dir = tempfile_dir();
        let file = dir.join("wa.txt");
        generate_whatsapp(&file, 20_000).unwrap();
        let out = dir.join("wa.jsonl");
        let report = chatport_import::import(
            &file,
            &out,
            &chatport_import::ImportOptions {
                platform: Some(chatport_import::Platform::WhatsApp),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(report.messages, 20_000);
        assert!(report.validation.unwrap().valid);
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("chatport-bench-import-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
