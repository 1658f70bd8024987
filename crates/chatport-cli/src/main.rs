//! The `chatport` command: import chat exports, validate archives and print the format's schema. It reads only the
//! files it is given and never opens a network connection.

use chatport_model::RecordType;
use chatport_validate::{ALL_CODES, Diagnostic, OpenError, Options, Report};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status: the input is valid (warnings allowed).
const EXIT_VALID: u8 = 0;
/// Exit status: the input is not a valid archive.
const EXIT_INVALID: u8 = 1;
/// Exit status: the input could not be read, or the command line was wrong.
const EXIT_TROUBLE: u8 = 2;

/// chatport: your chat history in an open format. Reads only local files; never uses the network.
#[derive(Parser)]
#[command(name = "chatport", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an archive file (.jsonl), a bundle directory or a bundle .zip against the format.
    ///
    /// Exit status: 0 valid (warnings allowed), 1 invalid, 2 the input could not be read.
    Validate {
        /// The archive file, bundle directory or bundle zip.
        path: PathBuf,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Keep at most this many diagnostics (0: all). The counts include those left out.
        #[arg(long, default_value_t = 200)]
        max_diagnostics: usize,
        /// The longest line accepted, in bytes; a longer line is an error (E107).
        #[arg(long, default_value_t = 64 << 20)]
        max_line_bytes: usize,
    },
    /// Import a chat export (a file, folder or zip as the platform produced it) into an archive.
    ///
    /// OUT ending in .jsonl is a single archive file (media are not copied); ending in .zip a
    /// bundle zip; anything else a bundle directory, with the media copied in and hashed.
    ///
    /// Exit status: 0 imported, 1 the input is not a valid export (or not recognised), 2 usage
    /// or I/O error or an option is needed, 3 chatport's own bug.
    Import {
        /// The export: a file, folder or zip.
        input: PathBuf,
        /// Where to write the archive or bundle.
        #[arg(short, long)]
        output: PathBuf,
        /// The platform; detected when not given.
        #[arg(long, value_enum)]
        from: Option<FromPlatform>,
        /// Read the export's local times (WhatsApp, LINE, signal-export, ...) in this IANA zone, e.g. Europe/Berlin; without
        /// it they stay local times with no zone.
        #[arg(long, value_name = "ZONE")]
        tz: Option<String>,
        /// The date order of a WhatsApp or LINE file whose dates cannot tell (all days 12 or below).
        #[arg(long, value_enum)]
        date_order: Option<DateOrderArg>,
        /// Your own name as the export shows it, where the format cannot tell who exported.
        #[arg(long, value_name = "NAME")]
        me: Option<String>,
        /// Replace OUT when it exists.
        #[arg(long)]
        force: bool,
        /// Do not validate the output.
        #[arg(long)]
        no_validate: bool,
        /// How to print the import report.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        report: Format,
    },
    /// Print the JSON Schema (draft 2020-12) of a record, or of any record when no type is given.
    Schema {
        /// One record type.
        #[arg(value_enum)]
        record: Option<SchemaType>,
    },
    /// List the validator's diagnostic codes.
    Codes,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Text for people.
    Human,
    /// One JSON document (validate: every diagnostic and a summary; import: the report, with
    /// counts and the first examples of each warning).
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FromPlatform {
    Whatsapp,
    Telegram,
    Discord,
    Slack,
    Line,
    Signal,
    Messenger,
    Instagram,
    Googlechat,
    Matrix,
    Chatlab,
    Chatgpt,
    Wechat,
}

#[derive(Clone, Copy, ValueEnum)]
enum DateOrderArg {
    /// Day, month, year.
    Dmy,
    /// Month, day, year.
    Mdy,
    /// Year, month, day.
    Ymd,
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemaType {
    Header,
    Account,
    Person,
    Conversation,
    Message,
}

impl From<SchemaType> for RecordType {
    fn from(t: SchemaType) -> RecordType {
        match t {
            SchemaType::Header => RecordType::Header,
            SchemaType::Account => RecordType::Account,
            SchemaType::Person => RecordType::Person,
            SchemaType::Conversation => RecordType::Conversation,
            SchemaType::Message => RecordType::Message,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate {
            path,
            format,
            max_diagnostics,
            max_line_bytes,
        } => {
            let opts = Options {
                max_diagnostics,
                max_line_bytes,
            };
            validate(&path, format, opts)
        }
        Command::Import {
            input,
            output,
            from,
            tz,
            date_order,
            me,
            force,
            no_validate,
            report,
        } => {
            let plan = ImportPlan {
                input,
                output,
                from,
                tz,
                date_order,
                me,
                force,
                validate: !no_validate,
                report,
            };
            import(plan)
        }
        Command::Schema { record } => {
            let schema = match record {
                Some(t) => chatport_model::schema::record_type_schema(t.into()),
                None => chatport_model::schema::record_schema(),
            };
            print_json(&schema).map(|()| EXIT_VALID)
        }
        Command::Codes => {
            let mut out = std::io::stdout().lock();
            ALL_CODES
                .iter()
                .try_for_each(|c| {
                    writeln!(
                        out,
                        "{}  {:<8} {:<24} {}",
                        c.code,
                        c.severity.to_string(),
                        c.name,
                        c.summary
                    )
                })
                .map(|()| EXIT_VALID)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`chatport schema | head`) is not worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_VALID),
        Err(e) => {
            eprintln!("chatport: {e}");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

/// An import error for `--report json`: the message, the exit code, what kind of problem it is
/// and, where there is one, the location (`file:line[:column]` or `file#/pointer`).
fn error_json(e: &chatport_import::ImportError) -> serde_json::Value {
    use chatport_import::ImportError as E;
    let (kind, location) = match e {
        E::Invalid { location, .. } => ("invalid-input", Some(location.clone())),
        E::Undetected { path, .. } => ("not-recognised", Some(path.clone())),
        E::NeedsOption { location, .. } => ("needs-option", Some(location.clone())),
        E::Usage(_) => ("usage", None),
        E::Io { path, .. } => ("io", Some(path.clone())),
        E::Bug(_) => ("bug", None),
        _ => ("other", None),
    };
    serde_json::json!({
        "error": e.to_string(),
        "kind": kind,
        "location": location,
        "exit": e.exit_code(),
    })
}

/// What `chatport import` was asked, before anything is read.
struct ImportPlan {
    input: PathBuf,
    output: PathBuf,
    from: Option<FromPlatform>,
    tz: Option<String>,
    date_order: Option<DateOrderArg>,
    me: Option<String>,
    force: bool,
    validate: bool,
    report: Format,
}

fn import(plan: ImportPlan) -> std::io::Result<u8> {
    use chatport_import::{DateOrder, ImportError, ImportOptions, Platform, Zone};
    let fail = |e: ImportError, format: Format| -> std::io::Result<u8> {
        match format {
            Format::Human => eprintln!("chatport: {e}"),
            Format::Json => print_json(&error_json(&e))?,
        }
        Ok(e.exit_code())
    };
    let tz = match plan.tz.as_deref().map(Zone::new).transpose() {
        Ok(z) => z,
        Err(msg) => return fail(ImportError::Usage(msg), plan.report),
    };
    let options = ImportOptions {
        platform: plan.from.map(|p| match p {
            FromPlatform::Whatsapp => Platform::WhatsApp,
            FromPlatform::Telegram => Platform::Telegram,
            FromPlatform::Discord => Platform::Discord,
            FromPlatform::Slack => Platform::Slack,
            FromPlatform::Line => Platform::Line,
            FromPlatform::Signal => Platform::Signal,
            FromPlatform::Messenger => Platform::Messenger,
            FromPlatform::Instagram => Platform::Instagram,
            FromPlatform::Googlechat => Platform::GoogleChat,
            FromPlatform::Matrix => Platform::Matrix,
            FromPlatform::Chatlab => Platform::ChatLab,
            FromPlatform::Chatgpt => Platform::ChatGpt,
            FromPlatform::Wechat => Platform::WeChat,
        }),
        tz,
        date_order: plan.date_order.map(|d| match d {
            DateOrderArg::Dmy => DateOrder::Dmy,
            DateOrderArg::Mdy => DateOrder::Mdy,
            DateOrderArg::Ymd => DateOrder::Ymd,
        }),
        me: plan.me,
        force: plan.force,
        validate: plan.validate,
    };
    // Interrupted (Ctrl-C, SIGTERM, SIGHUP): remove the temporary output and say so. An output
    // being moved into place is moved first; otherwise none is, and the output path (a previous
    // output that --force would have replaced included) is untouched.
    let _ = ctrlc::set_handler(|| {
        let i = chatport_import::remove_temporary_files();
        if i.removed > 0 {
            eprintln!("\nchatport: interrupted; no output was written");
        } else if i.completed > 0 {
            eprintln!("\nchatport: interrupted after the output was complete; it is in place");
        } else {
            eprintln!("\nchatport: interrupted; nothing was left half-written");
        }
        std::process::exit(130);
    });
    let input = match chatport_import::Input::open(&plan.input) {
        Ok(i) => i,
        Err(e) => return fail(e, plan.report),
    };
    // Progress on a terminal for inputs over 64 MiB, from a thread that watches the byte counter.
    let total = input.total_size();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = (std::io::stderr().is_terminal() && total > (64 << 20)).then(|| {
        let read = input.progress();
        let passes = input.passes();
        let done = done.clone();
        std::thread::spawn(move || {
            use std::sync::atomic::Ordering;
            while !done.load(Ordering::Relaxed) {
                // Some importers read the input twice: measure against all the reading.
                let all = total * passes.load(Ordering::Relaxed).max(1);
                let r = read.load(Ordering::Relaxed).min(all);
                if r == all {
                    // Read through: what is left is writing the archive and validating it.
                    eprint!(
                        "\rimporting: read {} MiB; writing and validating…\x1b[K",
                        total >> 20
                    );
                } else {
                    eprint!(
                        "\rimporting: {:5.1}% of {} MiB",
                        r as f64 * 100.0 / all as f64,
                        total >> 20
                    );
                }
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
            eprint!("\r\x1b[K");
        })
    });
    let result = chatport_import::import_from(&input, &plan.output, &options);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(w) = watcher {
        let _ = w.join();
    }
    match result {
        Ok(report) => {
            match plan.report {
                Format::Human => write!(std::io::stdout().lock(), "{report}")?,
                Format::Json => {
                    print_json(&serde_json::to_value(&report).map_err(std::io::Error::other)?)?
                }
            }
            Ok(EXIT_VALID)
        }
        Err(e) => fail(e, plan.report),
    }
}

fn print_json(v: &serde_json::Value) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)
}

fn validate(path: &std::path::Path, format: Format, opts: Options) -> std::io::Result<u8> {
    let tty = std::io::stderr().is_terminal();
    let mut last_shown = std::time::Instant::now();
    let mut shown_any = false;
    let mut progress = |read: u64, total: u64| {
        // Only for large inputs on a terminal, at most a few times a second.
        if tty && total > (64 << 20) && last_shown.elapsed().as_millis() > 250 {
            let pct = read as f64 * 100.0 / total as f64;
            eprint!("\rvalidating: {pct:5.1}% of {} MiB", total >> 20);
            last_shown = std::time::Instant::now();
            shown_any = true;
        }
    };
    let result = chatport_validate::validate_path_with_progress(path, opts, &mut progress);
    if shown_any {
        eprint!("\r\x1b[K");
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let msg = match &e {
                OpenError::NoArchive { .. } => format!("{e}"),
                _ => format!("cannot read {e}"),
            };
            match format {
                Format::Human => eprintln!("chatport: {msg}"),
                Format::Json => print_json(&serde_json::json!({
                    "file": path.display().to_string(),
                    "valid": false,
                    "fatal": msg,
                }))?,
            }
            return Ok(EXIT_TROUBLE);
        }
    };
    match format {
        Format::Human => print_human(&report)?,
        Format::Json => print_json(&serde_json::to_value(&report).map_err(std::io::Error::other)?)?,
    }
    Ok(if report.valid {
        EXIT_VALID
    } else {
        EXIT_INVALID
    })
}

fn print_human(r: &Report) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for d in &r.diagnostics {
        print_diagnostic(&mut out, d)?;
    }
    let c = &r.counts;
    let verdict = if r.valid { "valid" } else { "invalid" };
    writeln!(
        out,
        "{}: {verdict}: {} error{}, {} warning{}; {} records ({} conversations, {} accounts, {} messages)",
        r.file,
        r.errors,
        if r.errors == 1 { "" } else { "s" },
        r.warnings,
        if r.warnings == 1 { "" } else { "s" },
        r.records,
        c.conversation,
        c.account,
        c.message,
    )?;
    if r.truncated {
        writeln!(
            out,
            "(only the first {} diagnostics are shown; use --max-diagnostics 0 for all)",
            r.diagnostics.len()
        )?;
    }
    Ok(())
}

fn print_diagnostic(out: &mut impl Write, d: &Diagnostic) -> std::io::Result<()> {
    writeln!(out, "{}[{}]: {}", d.severity, d.code, d.message)?;
    let mut place = d.file.clone();
    if let Some(l) = d.line {
        place.push_str(&format!(":{l}"));
        if let Some(c) = d.column {
            place.push_str(&format!(":{c}"));
        }
    }
    match d.pointer.as_deref() {
        Some(p) if !p.is_empty() => writeln!(out, "  --> {place} at {p}")?,
        _ => writeln!(out, "  --> {place}")?,
    }
    if let (Some(line), Some(ex)) = (d.line, &d.excerpt) {
        let gutter = line.to_string();
        let pad = " ".repeat(gutter.len());
        writeln!(out, "{pad} |")?;
        writeln!(out, "{gutter} | {ex}")?;
        if let Some(col) = d.column {
            // The excerpt starts up to 40 characters before the column, after a '…' if cut.
            let col = col.saturating_sub(1) as usize;
            let offset = if col > 40 { 41 } else { col };
            writeln!(out, "{pad} | {}^", " ".repeat(offset))?;
        }
    }
    writeln!(out)
}
