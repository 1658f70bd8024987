//! Opening what the user names: an archive file, a bundle directory or a bundle zip, each with
//! the media store its attachments are checked against.

use crate::{MediaStore, Options, Report, validate_reader};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// The archive's file name inside a bundle.
pub const ARCHIVE_NAME: &str = "archive.jsonl";

/// Why an input could not be validated at all (as opposed to being invalid).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The input could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The zip could not be read as a zip.
    #[error("{path}: not a readable zip file: {source}")]
    Zip {
        /// The zip file.
        path: PathBuf,
        /// What went wrong.
        source: zip::result::ZipError,
    },
    /// The bundle lacks its archive file.
    #[error("{path}: not a chatport bundle: it has no {ARCHIVE_NAME} at its top level")]
    NoArchive {
        /// The bundle.
        path: PathBuf,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OpenError + '_ {
    move |source| OpenError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Hashes everything `r` yields.
fn hash_reader(mut r: impl Read) -> std::io::Result<(u64, String)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..k]);
        n += k as u64;
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((n, hex))
}

/// The files of a bundle directory.
struct DirStore {
    root: PathBuf,
}

impl MediaStore for DirStore {
    fn stat(&mut self, rel: &str) -> std::io::Result<(u64, String)> {
        let p = self.root.join(rel);
        // A symbolic link (of the file or of a folder on its way) could lead outside the bundle:
        // only regular files that really lie inside it count.
        let meta = std::fs::symlink_metadata(&p)?;
        let inside = std::fs::canonicalize(&p)?.starts_with(std::fs::canonicalize(&self.root)?);
        if !meta.is_file() || !inside {
            return Err(std::io::Error::other(
                "not a regular file inside the bundle",
            ));
        }
        hash_reader(File::open(&p)?)
    }
}

/// The files of a bundle zip, read through a second handle on the zip.
struct ZipStore {
    zip: zip::ZipArchive<BufReader<File>>,
}

impl MediaStore for ZipStore {
    fn stat(&mut self, rel: &str) -> std::io::Result<(u64, String)> {
        let entry = self
            .zip
            .by_name(rel)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string()))?;
        if !entry.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        hash_reader(entry)
    }
}

/// Validates the archive file, bundle directory or bundle zip at `path`.
pub fn validate_path(path: &Path, opts: Options) -> Result<Report, OpenError> {
    validate_path_with_progress(path, opts, &mut |_, _| {})
}

/// Counts the bytes read and tells `progress` (bytes read so far, total bytes) now and then.
struct Progress<'p, R> {
    inner: R,
    read: u64,
    total: u64,
    next_report: u64,
    progress: &'p mut dyn FnMut(u64, u64),
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read >= self.next_report || n == 0 {
            (self.progress)(self.read, self.total);
            self.next_report = self.read + (8 << 20);
        }
        Ok(n)
    }
}

/// Like [`validate_path`], calling `progress(bytes_read, total_bytes)` every few megabytes of
/// the archive file.
pub fn validate_path_with_progress(
    path: &Path,
    opts: Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, OpenError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    let shown = path.display().to_string();
    if meta.is_dir() {
        let archive = path.join(ARCHIVE_NAME);
        if !archive.is_file() {
            return Err(OpenError::NoArchive { path: path.into() });
        }
        let f = File::open(&archive).map_err(io(&archive))?;
        let total = f.metadata().map_err(io(&archive))?.len();
        let f = Progress {
            inner: f,
            read: 0,
            total,
            next_report: 0,
            progress,
        };
        let mut store = DirStore { root: path.into() };
        let name = archive.display().to_string();
        return validate_reader(
            BufReader::with_capacity(256 << 10, f),
            &name,
            Some(&mut store),
            opts,
        )
        .map_err(io(&archive));
    }
    let is_zip = {
        let mut magic = [0u8; 4];
        let mut f = File::open(path).map_err(io(path))?;
        f.read(&mut magic).map_err(io(path))? == 4 && magic == *b"PK\x03\x04"
    };
    if is_zip {
        let open = || -> Result<zip::ZipArchive<BufReader<File>>, OpenError> {
            let f = File::open(path).map_err(io(path))?;
            zip::ZipArchive::new(BufReader::new(f)).map_err(|source| OpenError::Zip {
                path: path.into(),
                source,
            })
        };
        let mut archive_zip = open()?;
        let mut store = ZipStore { zip: open()? };
        let entry = archive_zip
            .by_name(ARCHIVE_NAME)
            .map_err(|_| OpenError::NoArchive { path: path.into() })?;
        let name = format!("{shown}!{ARCHIVE_NAME}");
        let total = entry.size();
        let entry = Progress {
            inner: entry,
            read: 0,
            total,
            next_report: 0,
            progress,
        };
        return validate_reader(
            BufReader::with_capacity(256 << 10, entry),
            &name,
            Some(&mut store),
            opts,
        )
        .map_err(io(path));
    }
    let f = File::open(path).map_err(io(path))?;
    let f = Progress {
        inner: f,
        read: 0,
        total: meta.len(),
        next_report: 0,
        progress,
    };
    validate_reader(BufReader::with_capacity(256 << 10, f), &shown, None, opts).map_err(io(path))
}
