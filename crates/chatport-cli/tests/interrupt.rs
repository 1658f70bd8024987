//! `chatport import --force` interrupted (SIGINT) at many moments, from the first read to the
//! move into place: whatever the moment, either the import completed (exit 0, or 130 with a
//! message saying so, the new output in place, whole) or it did not (exit 130, the previous
//! output untouched), and no temporary file or folder is left behind.
#![cfg(unix)]

mod common;

use common::leftovers;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A WhatsApp export of `n` messages.
fn export(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        let (day, minute) = (1 + (i / 1440) % 28, i % 1440);
        writeln!(
            f,
            "{day:02}/03/2024, {:02}:{:02} - Person {}: message number {i} with a few words",
            minute / 60,
            minute % 60,
            i % 7
        )
        .unwrap();
    }
    f.flush().unwrap();
}

/// Runs the import and interrupts it after `delay` (if given, and if it is still running);
/// returns its exit code and its stderr.
fn interrupted(input: &Path, output: &Path, delay: Option<Duration>) -> (i32, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_chatport"))
        .args(["import", "--force", "--from", "whatsapp"])
        .arg(input)
        .arg("-o")
        .arg(output)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chatport runs");
    if let Some(delay) = delay {
        std::thread::sleep(delay);
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .stderr(Stdio::null())
            .status();
    }
    let out = child.wait_with_output().unwrap();
    // Before its handler is in place (the first milliseconds), the signal ends the process as
    // it ends any: that counts as interrupted too, with nothing written.
    use std::os::unix::process::ExitStatusExt;
    let code = match (out.status.code(), out.status.signal()) {
        (Some(c), _) => c,
        (None, Some(2)) => 130,
        _ => -1,
    };
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn an_interrupt_at_any_moment_leaves_the_old_output_or_the_whole_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("chat.txt");
    export(&input, 40_000);
    for bundle in [false, true] {
        let output = dir
            .path()
            .join(if bundle { "out-bundle" } else { "out.jsonl" });
        // How long an uninterrupted import takes here, to spread the interrupts over it.
        let started = Instant::now();
        let (code, err) = interrupted(&input, &output, None);
        let whole = started.elapsed();
        assert_eq!(code, 0, "{err}");
        let archive = if bundle {
            output.join("archive.jsonl")
        } else {
            output.clone()
        };
        let complete = std::fs::read(&archive).unwrap();
        let (mut done, mut kept) = (0, 0);
        for step in 0..12u32 {
            // The previous output, which --force may replace.
            let _ = std::fs::remove_dir_all(&output);
            let _ = std::fs::remove_file(&output);
            if bundle {
                std::fs::create_dir(&output).unwrap();
                std::fs::write(output.join("archive.jsonl"), "OLD").unwrap();
            } else {
                std::fs::write(&output, "OLD").unwrap();
            }
            // Over the import's run, then once well after its end.
            let delay = if step == 11 {
                whole * 3
            } else {
                whole * step / 10
            };
            let (code, err) = interrupted(&input, &output, Some(delay));
            let now = std::fs::read(&archive).unwrap_or_default();
            match code {
                0 => {
                    assert_eq!(now, complete, "{delay:?}: exit 0 but not the whole archive");
                    done += 1;
                }
                // The interrupt came after the move into place (while its folder was synced).
                130 if err.contains("after the output was complete") => {
                    assert_eq!(now, complete, "{delay:?}: said complete, but is not");
                    done += 1;
                }
                130 => {
                    assert_eq!(
                        now, b"OLD",
                        "{delay:?}: interrupted, yet the old output changed"
                    );
                    assert!(err.is_empty() || err.contains("interrupted"), "{err}");
                    kept += 1;
                }
                other => panic!("{delay:?}: exit {other}: {err}"),
            }
            assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "{delay:?}");
        }
        // The delays reach past the import's end, and start before it.
        assert!(done > 0 && kept > 0, "completed {done}, interrupted {kept}");
    }
}
