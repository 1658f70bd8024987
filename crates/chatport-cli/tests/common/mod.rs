//! What the command line's test files share: running the binary, and looking for what an
//! import may leave behind.
#![allow(dead_code)] // Each test file uses its own part.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's top folder.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `chatport` with `args` from the repository's top folder.
pub fn chatport(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chatport"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("chatport runs")
}

/// The temporary files and folders of an import (`.chatport-` in the name) left in `dir`.
pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".chatport-"))
        .collect()
}
