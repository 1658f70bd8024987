//! Detection across every platform's corpus: a file is claimed only by its own platform's
//! importer, and the exports of platforms chatport does not import yet (LINE, Signal, Matrix,
//! ...) are claimed by none, so they are never read as something they are not.

mod common;

use chatport_import::{Input, detect};

#[test]
fn every_corpus_file_is_claimed_by_its_own_platform_or_by_none() {
    let Some(any) = common::corpus("whatsapp") else {
        return;
    };
    let root = any.parent().unwrap().to_path_buf();
    let mut platforms: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    platforms.sort();
    let mut claimed = 0;
    for platform in &platforms {
        let mut files: Vec<_> = std::fs::read_dir(root.join(platform))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let input = Input::open(&f).unwrap();
            match detect(&input) {
                Ok(p) => {
                    assert_eq!(
                        p.name(),
                        platform.as_str(),
                        "{} was claimed by {}",
                        f.display(),
                        p.name()
                    );
                    claimed += 1;
                }
                Err(e) => assert_eq!(e.exit_code(), 1, "{}: {e}", f.display()),
            }
        }
    }
    // WhatsApp 22, Telegram 12, Discord 7, Slack 8, Messenger 2, Instagram 1, ChatGPT 1,
    // Google Chat 1, Signal 1: every export in the corpus (its notes are claimed by none).
    assert_eq!(claimed, 55, "corpus files recognised");
}
