//! The hand-written message writer gives the bytes serde_json gives, on every message of every
//! conformance archive (valid and invalid ones that still parse as typed messages).

use chatport_model::{Record, RecordView};
use std::path::Path;

#[test]
fn every_conformance_message_is_written_as_serde_json_writes_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance");
    let mut compared = 0;
    for dir in ["valid", "invalid"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let archive = if f.is_dir() {
                f.join("archive.jsonl")
            } else {
                f.clone()
            };
            let Ok(text) = std::fs::read_to_string(&archive) else {
                continue;
            };
            for line in text.lines() {
                let Ok(Record::Message(m)) = serde_json::from_str::<Record>(line) else {
                    continue;
                };
                let mut fast = Vec::new();
                chatport_model::json::write_message(&mut fast, &m).unwrap();
                let slow = serde_json::to_vec(&RecordView::Message(&m)).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&slow),
                    "{}",
                    archive.display()
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "only {compared} messages compared");
}
