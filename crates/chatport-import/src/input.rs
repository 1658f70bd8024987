//! What the user hands to an importer: one file, a folder, or a zip, seen the same way as a list
//! of entries with relative `/`-separated names. Inputs are only ever read.

use crate::error::ImportError;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// An export as the user has it: a single file, a directory or a zip file.
#[derive(Debug)]
pub struct Input {
    path: PathBuf,
    shown: String,
    kind: Kind,
    entries: Vec<Entry>,
    progress: Arc<AtomicU64>,
    passes: Arc<AtomicU64>,
}

#[derive(Debug)]
enum Kind {
    File,
    Dir,
    Zip(zip::ZipArchive<SharedFile>),
}

/// One file of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name relative to the input, `/`-separated; for a single-file input, its file name.
    pub name: String,
    /// The size in bytes.
    pub size: u64,
}

impl Input {
    /// Opens `path`: a directory is walked (symbolic links are not followed), a file starting with
    /// a zip signature is read as a zip, anything else is a single file.
    pub fn open(path: &Path) -> Result<Input, ImportError> {
        let shown = path.display().to_string();
        if path.as_os_str() == "-" {
            return Err(ImportError::Usage(
                "reading an export from standard input is not supported (chatport reads some exports twice): save it to a file and name that".into(),
            ));
        }
        let meta = std::fs::metadata(path).map_err(|e| ImportError::io(path, e))?;
        if !meta.is_dir() && !meta.is_file() {
            return Err(ImportError::Usage(format!(
                "{shown}: not a regular file or folder (a pipe, socket or device); chatport reads some exports twice: save it to a file and name that"
            )));
        }
        let progress = Arc::new(AtomicU64::new(0));
        if meta.is_dir() {
            let mut entries = Vec::new();
            walk(path, "", &mut entries).map_err(|e| ImportError::io(path, e))?;
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            return Ok(Input {
                path: path.into(),
                shown,
                kind: Kind::Dir,
                entries,
                progress,
                passes: Arc::new(AtomicU64::new(1)),
            });
        }
        let mut f = File::open(path).map_err(|e| ImportError::io(path, e))?;
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut f, &mut magic).map_err(|e| ImportError::io(path, e))?;
        if n == 4 && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06") {
            let shared = SharedFile {
                file: Arc::new(f),
                pos: 0,
            };
            let zip = zip::ZipArchive::new(shared).map_err(|e| ImportError::Invalid {
                location: shown.clone(),
                message: format!("not a readable zip file: {e}"),
            })?;
            let mut entries = Vec::new();
            for i in 0..zip.len() {
                let Some(name) = zip.name_for_index(i).and_then(|r| r.ok()) else {
                    continue;
                };
                if name.ends_with('/') {
                    continue;
                }
                let name = name.into_owned();
                let size = zip
                    .clone()
                    .by_index_raw(i)
                    .map(|e| e.size())
                    .unwrap_or_default();
                entries.push(Entry { name, size });
            }
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            return Ok(Input {
                path: path.into(),
                shown,
                kind: Kind::Zip(zip),
                entries,
                progress,
                passes: Arc::new(AtomicU64::new(1)),
            });
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        Ok(Input {
            path: path.into(),
            shown,
            kind: Kind::File,
            entries: vec![Entry {
                name,
                size: meta.len(),
            }],
            progress,
            passes: Arc::new(AtomicU64::new(1)),
        })
    }

    /// The path the input was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the input is a single file (not a folder or zip).
    pub fn is_single_file(&self) -> bool {
        matches!(self.kind, Kind::File)
    }

    /// True when the input is a zip file.
    pub fn is_zip(&self) -> bool {
        matches!(self.kind, Kind::Zip(_))
    }

    /// Every file of the input, sorted by name.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The names of the `.txt` entries that are not macOS metadata ([`is_macos_metadata`]).
    pub(crate) fn text_files(&self) -> Vec<&str> {
        self.entries
            .iter()
            .map(|e| e.name.as_str())
            .filter(|n| !is_macos_metadata(n) && n.to_ascii_lowercase().ends_with(".txt"))
            .collect()
    }

    /// The entry called `name`, if there is one.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Finds an entry by a name relative to `base` (an entry name's folder, `""` for the top),
    /// normalising `./` and `\` as exporters write them. Returns the entry's canonical name.
    pub fn resolve(&self, base: &str, relative: &str) -> Option<&Entry> {
        let rel = relative.replace('\\', "/");
        let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
        for p in rel.split('/') {
            match p {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                p => parts.push(p),
            }
        }
        self.entry(&parts.join("/"))
    }

    /// How `name` is shown in messages: the input path, and inside a folder or zip the entry too.
    pub fn display(&self, name: &str) -> String {
        match self.kind {
            Kind::File => self.shown.clone(),
            Kind::Dir => Path::new(&self.shown).join(name).display().to_string(),
            Kind::Zip(_) => format!("{}!{}", self.shown, name),
        }
    }

    /// A counter of the bytes read so far through [`Input::read_entry`], for progress display.
    pub fn progress(&self) -> Arc<AtomicU64> {
        self.progress.clone()
    }

    /// The total size of the input's entries in bytes.
    pub fn total_size(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }

    /// Says that the import reads the input `n` times (WhatsApp reads its chat twice), so that
    /// progress is measured against all the reading to do.
    pub fn expect_passes(&self, n: u64) {
        self.passes.store(n.max(1), Ordering::Relaxed);
    }

    /// A counter of how many times the import reads the input (see [`Input::expect_passes`]),
    /// for progress display: the bytes to read are `total_size()` times this.
    pub fn passes(&self) -> Arc<AtomicU64> {
        self.passes.clone()
    }

    /// Calls `f` with a reader over the entry called `name`. Entries may be opened while another
    /// is open (an importer reading a message file copies media as it goes).
    pub fn read_entry<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut dyn Read) -> Result<T, ImportError>,
    ) -> Result<T, ImportError> {
        let shown = || self.display(name);
        match &self.kind {
            Kind::File => {
                let file = File::open(&self.path).map_err(|e| ImportError::io(&self.path, e))?;
                let mut r = Counting {
                    inner: file,
                    progress: &self.progress,
                };
                f(&mut r)
            }
            Kind::Dir => {
                let p = self.path.join(name);
                let file = File::open(&p).map_err(|e| ImportError::io(&p, e))?;
                let mut r = Counting {
                    inner: file,
                    progress: &self.progress,
                };
                f(&mut r)
            }
            Kind::Zip(zip) => {
                let mut zip = zip.clone();
                let entry = zip.by_name(name).map_err(|e| ImportError::Invalid {
                    location: shown(),
                    message: format!("cannot read this zip entry: {e}"),
                })?;
                let mut r = Counting {
                    inner: entry,
                    progress: &self.progress,
                };
                f(&mut r)
            }
        }
    }

    /// Reads a whole entry into memory. Only for entries that are small by nature (metadata
    /// files such as Slack's users.json), never for message streams.
    pub fn read_small(&self, name: &str, limit: u64) -> Result<Vec<u8>, ImportError> {
        self.read_entry(name, |r| {
            let mut buf = Vec::new();
            r.take(limit + 1)
                .read_to_end(&mut buf)
                .map_err(|e| ImportError::io_shown(self.display(name), e))?;
            if buf.len() as u64 > limit {
                return Err(ImportError::Invalid {
                    location: self.display(name),
                    message: format!("larger than the {limit} bytes expected of this file"),
                });
            }
            Ok(buf)
        })
    }

    /// Reads the first `n` bytes of an entry (fewer when it is shorter), for detection.
    pub fn peek(&self, name: &str, n: usize) -> Result<Vec<u8>, ImportError> {
        self.read_entry(name, |r| {
            let mut buf = vec![0u8; n];
            let got = read_up_to(r, &mut buf)
                .map_err(|e| ImportError::io_shown(self.display(name), e))?;
            buf.truncate(got);
            Ok(buf)
        })
    }

    /// Opens a buffered reader on an entry, for parsers that need `BufRead`.
    pub fn read_entry_buffered<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut BufReader<&mut dyn Read>) -> Result<T, ImportError>,
    ) -> Result<T, ImportError> {
        self.read_entry(name, |r| {
            let mut b = BufReader::with_capacity(256 << 10, r);
            f(&mut b)
        })
    }
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn walk(root: &Path, prefix: &str, out: &mut Vec<Entry>) -> io::Result<()> {
    let dir = if prefix.is_empty() {
        root.to_path_buf()
    } else {
        root.join(prefix)
    };
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let ft = e.file_type()?;
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if ft.is_dir() {
            walk(root, &rel, out)?;
        } else if ft.is_file() {
            out.push(Entry {
                name: rel,
                size: e.metadata()?.len(),
            });
        }
    }
    Ok(())
}

struct Counting<'a, R> {
    inner: R,
    progress: &'a AtomicU64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A file handle that can be cloned, each clone with its own position, so a zip's directory is
/// read once and any number of its entries can be open at the same time.
#[derive(Debug, Clone)]
struct SharedFile {
    file: Arc<File>,
    pos: u64,
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let len = self.file.metadata()?.len();
        let new = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match new {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

/// True for what macOS adds to the folders and zips it makes: anything inside a `__MACOSX`
/// folder, and AppleDouble files (`._NAME`), which hold metadata, not the file's content.
pub(crate) fn is_macos_metadata(name: &str) -> bool {
    name.split('/')
        .any(|s| s.eq_ignore_ascii_case("__MACOSX") || s.starts_with("._"))
}

/// What [`read_lines`] does with a line that is not UTF-8.
pub(crate) enum NotUtf8 {
    /// Replace the bad bytes with U+FFFD and say so to the callback.
    Replace,
    /// Fail at the line (and column) with this message.
    Refuse(&'static str),
}

/// Reads the lines of a text entry and calls `f` with each: its 1-based number, its text
/// without `\n` or `\r\n` (the first also without a byte order mark), and whether bad bytes
/// were replaced. A NUL byte means binary data: the import fails at that line with
/// `nul_message`. Memory holds one line at a time.
pub(crate) fn read_lines(
    r: &mut dyn BufRead,
    shown: &str,
    nul_message: &str,
    not_utf8: NotUtf8,
    mut f: impl FnMut(u64, &str, bool) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    // Lines are handed out as slices of the reader's buffer; only a line cut by the end of a
    // buffer is copied (into `carry`). The whole lines of a buffer are checked for NUL bytes
    // and UTF-8 at once, and line by line only when that finds something.
    let mut carry: Vec<u8> = Vec::new();
    let mut n = 0u64;
    loop {
        let avail = r
            .fill_buf()
            .map_err(|e| ImportError::io_shown(shown.to_owned(), e))?;
        if avail.is_empty() {
            if !carry.is_empty() {
                n += 1;
                raw_line(n, &carry, shown, nul_message, &not_utf8, &mut f)?;
            }
            return Ok(());
        }
        let len = avail.len();
        let Some(last_nl) = memchr::memrchr(b'\n', avail) else {
            carry.extend_from_slice(avail);
            r.consume(len);
            continue;
        };
        let mut start = 0;
        if !carry.is_empty() {
            let first_nl = memchr::memchr(b'\n', avail).unwrap_or(last_nl);
            carry.extend_from_slice(&avail[..=first_nl]);
            n += 1;
            raw_line(n, &carry, shown, nul_message, &not_utf8, &mut f)?;
            carry.clear();
            start = first_nl + 1;
        }
        let whole = &avail[start..=last_nl];
        let text = match memchr::memchr(0, whole) {
            None => simdutf8::basic::from_utf8(whole).ok(),
            Some(_) => None,
        };
        let mut from = 0;
        for nl in memchr::memchr_iter(b'\n', whole) {
            n += 1;
            match text {
                // A line ends at an ASCII byte, so valid text splits into valid lines.
                Some(t) => text_line(n, &t[from..=nl], &mut f)?,
                None => raw_line(n, &whole[from..=nl], shown, nul_message, &not_utf8, &mut f)?,
            }
            from = nl + 1;
        }
        carry.extend_from_slice(&avail[last_nl + 1..]);
        r.consume(len);
    }
}

/// Hands line `n` (valid UTF-8, with its line end) to `f` without the line end and, on the
/// first line, without a byte order mark.
fn text_line(
    n: u64,
    l: &str,
    f: &mut impl FnMut(u64, &str, bool) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let l = l.strip_suffix('\n').unwrap_or(l);
    let mut l = l.strip_suffix('\r').unwrap_or(l);
    if n == 1 {
        l = l.strip_prefix('\u{FEFF}').unwrap_or(l);
    }
    f(n, l, false)
}

/// Hands line `n` (bytes not yet checked, with its line end) to `f`: refused at a NUL byte,
/// and with bytes that are not UTF-8 replaced or refused as `not_utf8` says.
fn raw_line(
    n: u64,
    raw: &[u8],
    shown: &str,
    nul_message: &str,
    not_utf8: &NotUtf8,
    f: &mut impl FnMut(u64, &str, bool) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    if memchr::memchr(0, raw).is_some() {
        return Err(ImportError::invalid(format!("{shown}:{n}"), nul_message));
    }
    let mut l = raw.strip_suffix(b"\n").unwrap_or(raw);
    l = l.strip_suffix(b"\r").unwrap_or(l);
    if n == 1 {
        l = l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l);
    }
    match simdutf8::compat::from_utf8(l) {
        Ok(s) => f(n, s, false),
        Err(e) => match not_utf8 {
            NotUtf8::Replace => f(n, &String::from_utf8_lossy(l), true),
            NotUtf8::Refuse(message) => Err(ImportError::invalid(
                format!("{shown}:{n}:{}", e.valid_up_to() + 1),
                *message,
            )),
        },
    }
}

/// The object keys in a (possibly cut) JSON text: strings followed by `:`. For sniffing the
/// first kilobytes of a file without parsing it.
pub(crate) fn json_keys(text: &[u8]) -> Vec<String> {
    let mut keys = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut j = start;
        while j < text.len() && text[j] != b'"' {
            j += if text[j] == b'\\' { 2 } else { 1 };
        }
        if j >= text.len() {
            break;
        }
        let mut k = j + 1;
        while k < text.len() && text[k].is_ascii_whitespace() {
            k += 1;
        }
        if k < text.len() && text[k] == b':' && j - start <= 64 {
            keys.push(String::from_utf8_lossy(&text[start..j]).into_owned());
        }
        i = j + 1;
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines `read_lines` gives for `bytes` read through a buffer of `capacity` bytes.
    fn lines(bytes: &[u8], capacity: usize, not_utf8: NotUtf8) -> Result<Vec<String>, String> {
        let mut inner: &[u8] = bytes;
        let mut r = io::BufReader::with_capacity(capacity, &mut inner as &mut dyn Read);
        let mut out = Vec::new();
        read_lines(&mut r, "f.txt", "binary", not_utf8, |n, l, lossy| {
            out.push(format!("{n}:{l}{}", if lossy { " (lossy)" } else { "" }));
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn macos_metadata_is_recognised_in_any_folder() {
        for name in [
            "__MACOSX/chat.txt",
            "export/__MACOSX/chat.txt",
            "__macosx/x",
            "._chat.txt",
            "export/._chat.txt",
        ] {
            assert!(is_macos_metadata(name), "{name}");
        }
        for name in [
            "chat.txt",
            "export/_chat.txt",
            "MACOSX/chat.txt",
            "a._b.txt",
        ] {
            assert!(!is_macos_metadata(name), "{name}");
        }
    }

    #[test]
    fn lines_are_the_same_whatever_the_buffer_size() {
        let text = "\u{FEFF}first line\r\nsecond é line\n\nfourth 😀 with a long tail\nlast";
        let expected = [
            "1:first line",
            "2:second é line",
            "3:",
            "4:fourth 😀 with a long tail",
            "5:last",
        ];
        for capacity in [1, 2, 3, 5, 7, 16, 64, 4096] {
            assert_eq!(
                lines(text.as_bytes(), capacity, NotUtf8::Replace).unwrap(),
                expected,
                "buffer of {capacity}"
            );
        }
        assert_eq!(
            lines(b"", 8, NotUtf8::Replace).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(lines(b"\n", 8, NotUtf8::Replace).unwrap(), ["1:"]);
    }

    #[test]
    fn bad_bytes_are_found_on_their_line_whatever_the_buffer_size() {
        for capacity in [1, 4, 9, 4096] {
            let got = lines(b"ok\nbad \xFF here\nok\n", capacity, NotUtf8::Replace).unwrap();
            assert_eq!(got, ["1:ok", "2:bad \u{FFFD} here (lossy)", "3:ok"]);
            let err = lines(
                b"ok\nbad \xFF here\n",
                capacity,
                NotUtf8::Refuse("not text"),
            )
            .unwrap_err();
            assert!(err.contains("f.txt:2:5"), "{err}");
            let err = lines(b"ok\nok\nnul \0 here\n", capacity, NotUtf8::Replace).unwrap_err();
            assert!(err.contains("f.txt:3"), "{err}");
        }
    }
}
