//! Benchmarks, each against a baseline measured in the same run. Every measured phase runs in a
//! child process of its own, so that its peak memory (VmHWM) is its own.
//!
//! `chatport-bench validate [--messages N] [--dir DIR]` generates an archive of N messages and
//! compares `chatport_validate` with serde_json skimming the same lines into `IgnoredAny`.
//! `chatport-bench import [--messages N]` does the same for the WhatsApp and Telegram importers
//! (see `import.rs`).

mod import;

use chatport_model::{
    Account, ArchiveWriter, Attachment, AttachmentKind, Conversation, ConversationKind, Header,
    Message, Reaction, Reactor, Reply, Span, SpanKind, Time,
};
use serde::de::IgnoredAny;
use std::io::{BufRead, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const WORDS: &[&str] = &[
    "the",
    "meeting",
    "is",
    "at",
    "noon",
    "tomorrow",
    "ok",
    "see",
    "you",
    "there",
    "thanks",
    "did",
    "anyone",
    "bring",
    "the",
    "charger",
    "lol",
    "😂",
    "sounds",
    "good",
    "running",
    "late",
    "café",
    "at",
    "8?",
    "yes",
    "no",
    "maybe",
    "photo",
    "from",
    "yesterday",
    "🎉",
    "happy",
    "birthday",
    "where",
    "are",
    "we",
    "going",
    "this",
    "weekend",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("validate") => bench_validate(&args[2..]),
        Some("import") => import::bench_import(&args[2..]),
        // The generated inputs alone, for profiling: generate-whatsapp|generate-telegram.
        Some(g @ ("generate-whatsapp" | "generate-telegram" | "generate-chatgpt")) => {
            let n = flag(&args[2..], "--messages").unwrap_or("1000000").parse().unwrap_or(1_000_000);
            let out = PathBuf::from(flag(&args[2..], "--out").unwrap_or("bench-input"));
            match g {
                "generate-whatsapp" => import::generate_whatsapp(&out, n),
                "generate-telegram" => import::generate_telegram(&out, n),
                _ => import::generate_chatgpt(&out, n),
            }
        }
        Some("phase") => run_phase(&args[2..]),
        Some("generate") => {
            let n = flag(&args[2..], "--messages").unwrap_or("1000000").parse().unwrap_or(1_000_000);
            let out = PathBuf::from(flag(&args[2..], "--out").unwrap_or("bench.jsonl"));
            generate(&out, n).map(|_| ())
        }
        _ => Err("usage: chatport-bench validate [--messages N] [--dir DIR] | import [--messages N] [--dir DIR] [--only whatsapp|telegram|chatgpt] | generate [--messages N] [--out FILE]".to_owned()),
    };
    if let Err(e) = result {
        eprintln!("chatport-bench: {e}");
        std::process::exit(2);
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// A deterministic pseudo-random sequence (xorshift), so that every run writes the same archive.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Writes an archive of `messages` messages in 50 conversations among 200 accounts: text of 3 to
/// 20 words, and now and then spans, replies, reactions and missing attachments.
pub fn generate(path: &Path, messages: u64) -> Result<u64, String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut header = Header::new("chatport-bench", None);
    header.title = Some("generated benchmark archive".into());
    let mut w = ArchiveWriter::new(BufWriter::with_capacity(1 << 20, f), &header)
        .map_err(|e| e.to_string())?;
    let accounts = 200u64;
    let conversations = 50u64;
    for a in 0..accounts {
        let mut acc = Account::new(format!("acc-{a}"), "bench");
        acc.display_name = Some(format!("Person {a}"));
        acc.platform_id = Some((10_000_000 + a).to_string());
        w.account(&acc).map_err(|e| e.to_string())?;
    }
    for c in 0..conversations {
        let mut conv = Conversation::new(format!("conv-{c}"), "bench", ConversationKind::Group);
        conv.title = Some(format!("Group {c}"));
        w.conversation(&conv).map_err(|e| e.to_string())?;
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let start = 1_700_000_000i64;
    for i in 0..messages {
        let c = i % conversations;
        let mut m = Message::new(
            format!("msg-{i}"),
            format!("conv-{c}"),
            i / conversations + 1,
        );
        m.platform_id = Some((1_000_000_000 + i).to_string());
        m.sender = Some(format!("acc-{}", rng.below(accounts)));
        let secs = start + i as i64 * 7;
        m.time = Some(Time::instant(format_instant(secs)));
        let n = 3 + rng.below(18) as usize;
        let text: Vec<&str> = (0..n)
            .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
            .collect();
        let text = text.join(" ");
        if rng.below(10) == 0 {
            let len = text.chars().count() as u64;
            m.spans.push(Span {
                conversation: None,
                kind: SpanKind::Bold,
                start: 0,
                end: len.min(5),
                url: None,
                account: None,
                language: None,
                name: None,
            });
        }
        m.text = Some(text);
        if i >= conversations && rng.below(8) == 0 {
            m.reply_to = Some(Box::new(Reply {
                message: Some(format!("msg-{}", i - conversations)),
                platform_id: None,
                quote: None,
                sender_name: None,
            }));
        }
        if rng.below(12) == 0 {
            m.reactions.push(Reaction {
                extensions: Default::default(),
                emoji: "👍".into(),
                custom: None,
                custom_id: None,
                count: Some(1),
                by: vec![Reactor {
                    account: Some(format!("acc-{}", rng.below(accounts))),
                    name: None,
                    time: None,
                }],
            });
        }
        if rng.below(20) == 0 {
            let reason = "<Media omitted>".to_owned();
            m.attachments
                .push(Attachment::missing(AttachmentKind::Image, Some(reason)));
        }
        w.message(&m).map_err(|e| e.to_string())?;
    }
    w.finish().map_err(|e| e.to_string())?;
    Ok(accounts + conversations + messages + 1)
}

fn format_instant(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs one measured phase in this (child) process and prints `seconds peak_kib records cpu_seconds`.
fn run_phase(args: &[String]) -> Result<(), String> {
    let (Some(kind), Some(file)) = (args.first(), args.get(1)) else {
        return Err("usage: chatport-bench phase skim|validate FILE".into());
    };
    let t = Instant::now();
    if let Some(n) = import::phase(kind, file)? {
        println!(
            "{} {} {} {}",
            t.elapsed().as_secs_f64(),
            import::peak(),
            n,
            cpu_seconds()
        );
        return Ok(());
    }
    let records = match kind.as_str() {
        "skim" => {
            let f = std::fs::File::open(file).map_err(|e| e.to_string())?;
            let mut r = BufReader::with_capacity(256 << 10, f);
            let mut buf = Vec::with_capacity(4096);
            let mut n = 0u64;
            loop {
                buf.clear();
                if r.read_until(b'\n', &mut buf).map_err(|e| e.to_string())? == 0 {
                    break;
                }
                let _: IgnoredAny = serde_json::from_slice(&buf).map_err(|e| e.to_string())?;
                n += 1;
            }
            n
        }
        // The typed parse alone, without any check: how much of validation is deserialization.
        "typed" => {
            let f = std::fs::File::open(file).map_err(|e| e.to_string())?;
            let mut r = BufReader::with_capacity(256 << 10, f);
            let mut buf = Vec::with_capacity(4096);
            let mut n = 0u64;
            loop {
                buf.clear();
                if r.read_until(b'\n', &mut buf).map_err(|e| e.to_string())? == 0 {
                    break;
                }
                let _: chatport_model::Record =
                    serde_json::from_slice(&buf).map_err(|e| e.to_string())?;
                n += 1;
            }
            n
        }
        "validate" => {
            let opts = chatport_validate::Options::default();
            let report = chatport_validate::validate_path(Path::new(file), opts)
                .map_err(|e| e.to_string())?;
            valid_records(&report)?
        }
        // The same validation with the fast path for message lines turned off: what every line
        // the fast path hands back (an unusual shape, an escaped id, any diagnostic) costs.
        "validate-full" => {
            let opts = chatport_validate::Options::default();
            let f = std::fs::File::open(file).map_err(|e| e.to_string())?;
            let checker = chatport_validate::Checker::new(file.as_str(), opts, None);
            let report = chatport_validate::validate_reader_with(
                BufReader::with_capacity(256 << 10, f),
                checker.without_fast_path(),
            )
            .map_err(|e| e.to_string())?;
            valid_records(&report)?
        }
        other => return Err(format!("unknown phase {other}")),
    };
    println!(
        "{} {} {} {}",
        t.elapsed().as_secs_f64(),
        peak_rss_kib(),
        records,
        cpu_seconds()
    );
    Ok(())
}

/// The records of a validation report, or an error when the generated archive was invalid.
fn valid_records(report: &chatport_validate::Report) -> Result<u64, String> {
    if report.valid {
        Ok(report.records)
    } else {
        Err(format!(
            "the generated archive is invalid: {:?}",
            report.diagnostics.first()
        ))
    }
}

/// CPU time (user and system) this process has used so far, from `/proc/self/stat` (in clock
/// ticks of 1/100 s, as on every Linux this runs on); NaN where that cannot be read. Unlike the
/// wall-clock time, it leaves out waiting for the disk (an import syncs its output before
/// renaming it into place) and for other processes on a shared machine.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    match (
        f.get(11).and_then(|x| x.parse::<u64>().ok()),
        f.get(12).and_then(|x| x.parse::<u64>().ok()),
    ) {
        (Some(u), Some(s)) => (u + s) as f64 / 100.0,
        _ => f64::NAN,
    }
}

#[derive(Clone, Copy)]
struct Measured {
    /// Wall-clock seconds, the best of the runs.
    secs: f64,
    /// CPU seconds (user and system), the best of the runs.
    cpu: f64,
    peak_kib: u64,
    records: u64,
}

/// Runs one phase once, in a child process.
fn run_once(kind: &str, file: &Path) -> Result<Measured, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    if kind.ends_with("-import") {
        // Each import starts from no output, as a user's first import does: replacing the
        // last run's output would add the freeing of its pages to the time measured.
        let _ = std::fs::remove_file(import::output_of(file));
    }
    let out = Command::new(&exe)
        .arg("phase")
        .arg(kind)
        .arg(file)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = s.split_whitespace().collect();
    Ok(Measured {
        secs: f.first().and_then(|x| x.parse().ok()).unwrap_or(f64::NAN),
        cpu: f.get(3).and_then(|x| x.parse().ok()).unwrap_or(f64::NAN),
        peak_kib: f.get(1).and_then(|x| x.parse().ok()).unwrap_or(0),
        records: f.get(2).and_then(|x| x.parse().ok()).unwrap_or(0),
    })
}

fn measure(kind: &str, file: &Path) -> Result<Measured, String> {
    let mut best: Option<Measured> = None;
    // Best of three: the machine is shared, the minimum is the least disturbed run.
    for _ in 0..3 {
        let m = run_once(kind, file)?;
        best = Some(match best {
            None => m,
            Some(b) => Measured {
                secs: b.secs.min(m.secs),
                cpu: b.cpu.min(m.cpu),
                ..b
            },
        });
    }
    best.ok_or_else(|| "no run".into())
}

/// Best of three of each phase, the phases taken in turn (a, b, c, a, b, c, ...), so that a
/// spell of load on the shared machine falls on all of them rather than on one.
fn measure_in_turn(kinds: &[&str], file: &Path) -> Result<Vec<Measured>, String> {
    let mut best: Vec<Option<Measured>> = kinds.iter().map(|_| None).collect();
    for _ in 0..3 {
        for (kind, best) in kinds.iter().zip(&mut best) {
            let m = run_once(kind, file)?;
            // As in `measure`: the least wall time and the least CPU time over the runs, which
            // need not come from the same run; memory and counts from the fastest run.
            *best = Some(match *best {
                Some(b) if b.secs <= m.secs => Measured {
                    cpu: b.cpu.min(m.cpu),
                    ..b
                },
                Some(b) => Measured {
                    cpu: b.cpu.min(m.cpu),
                    ..m
                },
                None => m,
            });
        }
    }
    best.into_iter()
        .map(|m| m.ok_or_else(|| "no run".to_owned()))
        .collect()
}

fn bench_validate(args: &[String]) -> Result<(), String> {
    let messages: u64 = flag(args, "--messages")
        .unwrap_or("1000000")
        .parse()
        .map_err(|_| "--messages takes a number")?;
    let dir = flag(args, "--dir")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let file = dir.join(format!("chatport-bench-{messages}.jsonl"));
    let t = Instant::now();
    let records = generate(&file, messages)?;
    let bytes = std::fs::metadata(&file).map_err(|e| e.to_string())?.len();
    let mb = bytes as f64 / 1e6;
    println!(
        "generated {} records ({messages} messages, {mb:.1} MB) in {:.2} s",
        records,
        t.elapsed().as_secs_f64()
    );
    let phases = ["skim", "typed", "validate", "validate-full"];
    let [skim, typed, val, full]: [Measured; 4] = measure_in_turn(&phases, &file)?
        .try_into()
        .map_err(|_| "a phase is missing")?;
    let _ = std::fs::remove_file(&file);
    if [&skim, &typed, &val, &full]
        .iter()
        .any(|m| m.records != records)
    {
        return Err(format!(
            "record counts differ: wrote {records}, skim {}, typed {}, validate {}, full {}",
            skim.records, typed.records, val.records, full.records
        ));
    }
    println!();
    println!(
        "| phase (one thread, best of 3, phases in turn) | time s | MB/s | messages/s | peak memory MiB |"
    );
    println!("|---|---|---|---|---|");
    for (name, m) in [
        ("serde_json → IgnoredAny (baseline)", &skim),
        ("serde_json → typed Record, no checks (breakdown)", &typed),
        ("chatport validate", &val),
        ("chatport validate, full typed path only (breakdown)", &full),
    ] {
        println!(
            "| {name} | {:.3} | {:.0} | {:.0} | {:.1} |",
            m.secs,
            mb / m.secs,
            messages as f64 / m.secs,
            m.peak_kib as f64 / 1024.0
        );
    }
    println!();
    println!(
        "validation throughput / parse-only throughput = {:.2}x (target ≥ 0.40x)",
        skim.secs / val.secs
    );
    println!(
        "typed parse alone / parse-only throughput = {:.2}x",
        skim.secs / typed.secs
    );
    println!(
        "validation on the full typed path only / parse-only throughput = {:.2}x",
        skim.secs / full.secs
    );
    println!(
        "validation peak memory = {:.1} MiB (target < 150 MiB)",
        val.peak_kib as f64 / 1024.0
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_rfc3339() {
        assert_eq!(format_instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_instant(1_709_210_096), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn generated_archive_is_valid_and_deterministic() {
        let dir = std::env::temp_dir();
        let a = dir.join(format!(
            "chatport-bench-test-a-{}.jsonl",
            std::process::id()
        ));
        let b = dir.join(format!(
            "chatport-bench-test-b-{}.jsonl",
            std::process::id()
        ));
        let records = generate(&a, 2_000).unwrap();
        generate(&b, 2_000).unwrap();
        let report = chatport_validate::validate_path(&a, Default::default()).unwrap();
        assert!(report.valid, "{:?}", report.diagnostics);
        assert_eq!(report.records, records);
        assert_eq!(report.counts.message, 2_000);
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let _ = std::fs::remove_file(a);
        let _ = std::fs::remove_file(b);
    }
}
