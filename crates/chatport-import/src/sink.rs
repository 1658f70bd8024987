//! Where importers put what they read. Messages are written at once to a spool file next to the
//! output, in the source's order; accounts and conversations are kept in memory (they are few, and
//! importers learn about them as they go), and at the end the archive is assembled as header,
//! accounts, conversations, then the spooled messages, written under a temporary name, validated,
//! and renamed into place. Media files are copied and hashed as they are met.

use crate::background::{BackgroundFile, FileSyncer, PROGRESSIVE, SYNC_EVERY, Syncer};
use crate::error::ImportError;
use crate::input::Input;
use crate::report::{self, ImportReport, Validation};
use chatport_model::{
    Account, ArchiveWriter, Attachment, AttachmentKind, Conversation, Coverage, Header,
    MediaStatus, Message, Origin, RecordType, Source, Time, TimeKind,
};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// What kind of output a path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// A single archive file (the name ends in `.jsonl`); media are not copied.
    Jsonl,
    /// A bundle directory: `archive.jsonl` and the media.
    Dir,
    /// A bundle zip (the name ends in `.zip`).
    Zip,
}

impl OutputKind {
    /// The kind of output `path` names, by its ending.
    pub fn for_path(path: &Path) -> OutputKind {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".jsonl") {
            OutputKind::Jsonl
        } else if name.ends_with(".zip") {
            OutputKind::Zip
        } else {
            OutputKind::Dir
        }
    }
}

enum Media {
    None,
    Dir(PathBuf),
    Zip(Box<zip::ZipWriter<ZipOut>>),
}

/// The file under a zip output. Once the output is abandoned (the import failed or was
/// interrupted) or a write to it failed, it stops writing and goes on as a file of nowhere that
/// keeps its position and length: the zip writer, which finishes its archive when dropped, then
/// does so quietly instead of printing the same error again, and nothing more reaches the disk.
struct ZipOut {
    /// The file; `None` once the output is a file of nowhere.
    file: Option<BufWriter<File>>,
    /// The position and the length, counted in both modes.
    pos: u64,
    len: u64,
    /// Set by the sink when it abandons the output.
    abandoned: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl ZipOut {
    /// The file, unless the output was abandoned or failed.
    fn live(&mut self) -> Option<&mut BufWriter<File>> {
        if self.abandoned.load(std::sync::atomic::Ordering::Relaxed) {
            self.file = None;
        }
        self.file.as_mut()
    }

    /// Keeps the result of a call to the file; after an error the output is a file of nowhere.
    fn keep<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if r.is_err() {
            self.file = None;
        }
        r
    }
}

impl Write for ZipOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = match self.live() {
            Some(f) => {
                let r = f.write(buf);
                self.keep(r)?
            }
            None => buf.len(),
        };
        self.pos += n as u64;
        self.len = self.len.max(self.pos);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.live() {
            Some(f) => {
                let r = f.flush();
                self.keep(r)
            }
            None => Ok(()),
        }
    }
}

impl std::io::Seek for ZipOut {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let pos = match self.live() {
            Some(f) => {
                let r = f.seek(to);
                self.keep(r)?
            }
            None => {
                let (base, delta) = match to {
                    std::io::SeekFrom::Start(n) => (n, 0),
                    std::io::SeekFrom::Current(d) => (self.pos, d),
                    std::io::SeekFrom::End(d) => (self.len, d),
                };
                base.checked_add_signed(delta).ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek out of range")
                })?
            }
        };
        self.pos = pos;
        self.len = self.len.max(pos);
        Ok(pos)
    }
}

#[derive(Default)]
struct ConvStats {
    messages: u64,
    first: Option<Time>,
    last: Option<Time>,
    mixed: bool,
}

/// The destination of one import. Create it with [`Sink::create`], feed it, then
/// [`Sink::finish`]; dropped unfinished, it removes its temporary files and leaves no output.
pub struct Sink {
    kind: OutputKind,
    final_path: PathBuf,
    tmp_path: PathBuf,
    spool_path: PathBuf,
    body: Option<ArchiveWriter<BackgroundFile>>,
    header: Header,
    accounts: Vec<Account>,
    account_index: HashMap<String, usize>,
    conversations: Vec<Conversation>,
    conversation_index: HashMap<String, usize>,
    stats: Vec<ConvStats>,
    media: Media,
    copied: HashMap<String, (String, u64, String)>,
    used_paths: std::collections::HashSet<String>,
    source_id: String,
    report: ImportReport,
    finished: bool,
    /// Messages go straight to the output (see [`Sink::begin_messages`]).
    direct: bool,
    /// Accounts and conversations written straight to the output after the messages began.
    direct_counts: (u64, u64),
    /// The conversation of the last message and its index: most messages follow one of theirs.
    last_conversation: Option<(String, usize)>,
    /// Messages written, by kind (indexes of [`KINDS`]).
    kind_counts: [u64; KINDS.len()],
    /// The thread syncing the media copied into a bundle's folder, once there is one.
    media_syncer: Option<FileSyncer>,
    /// Set when the sink is dropped unfinished: a zip output then writes nothing more.
    zip_abandoned: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// The temporary files and folders of the imports running in this process.
/// Its lock is also held while an output is moved into place, so that an interrupt waits for a
/// move begun and a move does not begin after an interrupt.
static TEMPORARY: std::sync::Mutex<Temporary> = std::sync::Mutex::new(Temporary {
    paths: Vec::new(),
    replaced: Vec::new(),
    interrupted: false,
    completed: 0,
});

struct Temporary {
    /// Outputs being written.
    paths: Vec<PathBuf>,
    /// Previous outputs moved aside by a new one, being removed.
    replaced: Vec<PathBuf>,
    /// Set by [`remove_temporary_files`]: no output is moved into place any more.
    interrupted: bool,
    /// Outputs moved into place so far.
    completed: usize,
}

/// What [`remove_temporary_files`] did and found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interruption {
    /// Temporary files and folders of outputs being written that it removed.
    pub removed: usize,
    /// Outputs that imports in this process had already moved into place, whole.
    pub completed: usize,
}

fn temporary() -> std::sync::MutexGuard<'static, Temporary> {
    // A panic while the lock was held leaves the list as it was: still good to use.
    TEMPORARY.lock().unwrap_or_else(|e| e.into_inner())
}

fn register(p: &Path) {
    temporary().paths.push(p.to_path_buf());
}

fn unregister(p: &Path) {
    let mut t = temporary();
    t.paths.retain(|x| x != p);
    t.replaced.retain(|x| x != p);
}

/// Removes the temporary files and folders of the imports still running in this process, and
/// stops all of them from moving an output into place from then on; says how many it removed
/// and how many outputs were already in place. For a signal handler, so that an interrupted
/// import leaves nothing behind and no previous output is replaced; the process should exit
/// right after (with code 130: an import that meets the interruption itself fails with an error
/// whose exit code is 130 too). An output already being moved into place is moved first: this
/// waits for it.
pub fn remove_temporary_files() -> Interruption {
    let (paths, replaced, completed) = {
        let mut t = temporary();
        t.interrupted = true;
        (
            std::mem::take(&mut t.paths),
            std::mem::take(&mut t.replaced),
            t.completed,
        )
    };
    let mut removed = 0;
    for (i, p) in paths.iter().chain(&replaced).enumerate() {
        let gone = if p.is_dir() {
            std::fs::remove_dir_all(p)
        } else {
            std::fs::remove_file(p)
        };
        if gone.is_ok() && i < paths.len() {
            removed += 1;
        }
    }
    Interruption { removed, completed }
}

fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.chatport-{tag}-{}", std::process::id()))
}

impl Sink {
    /// Prepares an output at `path` for an import from `platform`. Fails when `path` exists and
    /// `force` is false, or when `force` would replace a directory that is not a chatport bundle.
    pub fn create(path: &Path, force: bool, platform: &str) -> Result<Sink, ImportError> {
        let kind = OutputKind::for_path(path);
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !force {
                return Err(ImportError::Usage(format!(
                    "{}: already exists; pass --force to replace it",
                    path.display()
                )));
            }
            // --force replaces only what chatport could have written there: an archive file or
            // bundle zip by a regular file, a bundle folder by a folder holding archive.jsonl.
            let ft = meta.file_type();
            let replaceable = match kind {
                OutputKind::Dir => {
                    ft.is_dir() && path.join(chatport_validate::ARCHIVE_NAME).is_file()
                }
                OutputKind::Jsonl | OutputKind::Zip => ft.is_file(),
            };
            if !replaceable {
                let what = if ft.is_symlink() {
                    "a symbolic link"
                } else if ft.is_dir() {
                    "a folder that is not a chatport bundle"
                } else if ft.is_file() {
                    "a file, and a bundle folder was asked for (name the output .jsonl or .zip for a file)"
                } else {
                    "not a regular file (a pipe, socket or device)"
                };
                return Err(ImportError::Usage(format!(
                    "{}: is {what}; --force does not replace it",
                    path.display()
                )));
            }
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(ImportError::Usage(format!(
                "{}: the folder for the output does not exist",
                parent.display()
            )));
        }
        let tmp_path = sibling(path, "tmp");
        let spool_path = sibling(path, "spool");
        register(&tmp_path);
        register(&spool_path);
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let cannot_write = |e: std::io::Error| {
            ImportError::io_shown(format!("cannot write in {}", folder.display()), e)
        };
        let spool = File::create(&spool_path).map_err(cannot_write)?;
        let spool = BackgroundFile::new(spool, false).map_err(cannot_write)?;
        let body = ArchiveWriter::without_header(spool);
        let zip_abandoned = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let media = match kind {
            OutputKind::Jsonl => Media::None,
            OutputKind::Dir => {
                let _ = std::fs::remove_dir_all(&tmp_path);
                std::fs::create_dir(&tmp_path).map_err(cannot_write)?;
                Media::Dir(tmp_path.clone())
            }
            OutputKind::Zip => {
                let f = File::create(&tmp_path).map_err(cannot_write)?;
                Media::Zip(Box::new(zip::ZipWriter::new(ZipOut {
                    file: Some(BufWriter::new(f)),
                    pos: 0,
                    len: 0,
                    abandoned: std::sync::Arc::clone(&zip_abandoned),
                })))
            }
        };
        let mut header = Header::new("chatport", Some(env!("CARGO_PKG_VERSION").to_owned()));
        header.sources.push(Source {
            id: platform.to_owned(),
            platform: platform.to_owned(),
            exporter: None,
            exporter_version: None,
            files: Vec::new(),
            exported: None,
            zone_hint: None,
            assumed_zone: None,
            extensions: Default::default(),
        });
        Ok(Sink {
            kind,
            final_path: path.into(),
            tmp_path,
            spool_path,
            body: Some(body),
            header,
            accounts: Vec::new(),
            account_index: HashMap::new(),
            conversations: Vec::new(),
            conversation_index: HashMap::new(),
            stats: Vec::new(),
            media,
            copied: HashMap::new(),
            used_paths: Default::default(),
            source_id: platform.to_owned(),
            report: ImportReport {
                platform: platform.to_owned(),
                output: path.display().to_string(),
                ..ImportReport::default()
            },
            finished: false,
            direct: false,
            direct_counts: (0, 0),
            last_conversation: None,
            kind_counts: [0; KINDS.len()],
            media_syncer: None,
            zip_abandoned,
        })
    }

    /// The kind of output being written.
    pub fn kind(&self) -> OutputKind {
        self.kind
    }

    /// The id of the header's source for this import, for `origin.source` and coverage.
    pub fn source_id(&self) -> &str {
        &self.source_id
    }

    /// The header's source for this import, to fill in exporter, files, zones.
    pub fn source_mut(&mut self) -> &mut Source {
        &mut self.header.sources[0]
    }

    /// The header, to set a title or extensions.
    pub fn header_mut(&mut self) -> &mut Header {
        &mut self.header
    }

    /// The report so far, to set fields such as `input` and `detected`.
    pub fn report_mut(&mut self) -> &mut ImportReport {
        &mut self.report
    }

    /// An origin pointing at `file:line` of this import's source.
    pub fn origin_line(&self, file: &str, line: u64) -> Option<Box<Origin>> {
        Some(Box::new(Origin {
            source: Some(self.source_id.clone()),
            file: Some(file.to_owned()),
            line: Some(line),
            pointer: None,
        }))
    }

    /// An origin pointing at a JSON pointer in `file` of this import's source.
    pub fn origin_pointer(&self, file: &str, pointer: String) -> Option<Box<Origin>> {
        Some(Box::new(Origin {
            source: Some(self.source_id.clone()),
            file: Some(file.to_owned()),
            line: None,
            pointer: Some(pointer),
        }))
    }

    /// Adds an account, or when its id is known already, merges the new names into the known
    /// one (a name not seen before goes to `other_names`) and fills fields it lacked.
    pub fn account(&mut self, a: Account) -> Result<(), ImportError> {
        if self.direct {
            // Written at once; an account already written cannot be changed any more.
            if self.body_mut()?.is_defined(&a.id) {
                return Ok(());
            }
            let r = self.body_mut()?.account(&a);
            r.map_err(|e| self.write_error(e))?;
            self.direct_counts.0 += 1;
            return Ok(());
        }
        if let Some(&i) = self.account_index.get(&a.id) {
            let known = &mut self.accounts[i];
            if let Some(name) = a.display_name {
                if known.display_name.is_none() {
                    known.display_name = Some(name);
                } else if known.display_name.as_deref() != Some(&name)
                    && !known.other_names.contains(&name)
                {
                    known.other_names.push(name);
                }
            }
            for n in a.other_names {
                if known.display_name.as_deref() != Some(&n) && !known.other_names.contains(&n) {
                    known.other_names.push(n);
                }
            }
            macro_rules! fill {
                ($($f:ident),*) => { $( if known.$f.is_none() { known.$f = a.$f; } )* };
            }
            fill!(
                platform_id,
                handle,
                phone,
                email,
                bot,
                is_self,
                deleted,
                avatar
            );
            for (k, v) in a.extensions {
                known.extensions.entry(k).or_insert(v);
            }
            return Ok(());
        }
        self.body_mut()?.declare(&a.id, RecordType::Account)?;
        self.account_index.insert(a.id.clone(), self.accounts.len());
        self.accounts.push(a);
        Ok(())
    }

    /// True when an account with `id` has been added.
    pub fn has_account(&self, id: &str) -> bool {
        if self.direct {
            return self.body.as_ref().and_then(|b| b.kind_of(id)) == Some(RecordType::Account);
        }
        self.account_index.contains_key(id)
    }

    /// The account with `id`, to change it before it is written at the end; `None` once the
    /// messages began (see [`Sink::begin_messages`]).
    pub fn account_mut(&mut self, id: &str) -> Option<&mut Account> {
        if self.direct {
            return None;
        }
        self.account_index
            .get(id)
            .copied()
            .map(|i| &mut self.accounts[i])
    }

    /// Adds a conversation. Its members and parent must have been added before. Coverage for
    /// this import's source is filled in at the end from the messages, where not set.
    pub fn conversation(&mut self, c: Conversation) -> Result<(), ImportError> {
        if self.direct {
            // Written at once, before its messages; its coverage is the importer's to give.
            let r = self.body_mut()?.conversation(&c);
            r.map_err(|e| self.write_error(e))?;
            self.direct_counts.1 += 1;
            return Ok(());
        }
        if self.conversation_index.contains_key(&c.id) {
            return Err(ImportError::Bug(format!(
                "conversation {:?} added twice",
                c.id
            )));
        }
        self.body_mut()?.declare(&c.id, RecordType::Conversation)?;
        self.conversation_index
            .insert(c.id.clone(), self.conversations.len());
        self.conversations.push(c);
        self.stats.push(ConvStats::default());
        Ok(())
    }

    /// True when a conversation with `id` has been added.
    pub fn has_conversation(&self, id: &str) -> bool {
        if self.direct {
            return self.body.as_ref().and_then(|b| b.kind_of(id))
                == Some(RecordType::Conversation);
        }
        self.conversation_index.contains_key(id)
    }

    /// The conversation with `id`, to change it before it is written at the end; `None` once
    /// the messages began (see [`Sink::begin_messages`]).
    pub fn conversation_mut(&mut self, id: &str) -> Option<&mut Conversation> {
        if self.direct {
            return None;
        }
        self.conversation_index
            .get(id)
            .copied()
            .map(|i| &mut self.conversations[i])
    }

    /// True when a message with `id` has been written (or any record declared with that id).
    pub fn is_defined(&self, id: &str) -> bool {
        self.body.as_ref().is_some_and(|b| b.is_defined(id))
    }

    /// Counts one message unit read from the source (a line that starts a message, an array
    /// element). Each must end as a message or as a [`Sink::skip`].
    pub fn source_message(&mut self) {
        self.report.source_messages += 1;
    }

    /// Writes a message. Its conversation, sender and every record it refers to must have been
    /// added before, and its ordinal must follow the last of its conversation.
    pub fn message(&mut self, m: &Message) -> Result<(), ImportError> {
        if self.message_or_taken(m)? {
            Ok(())
        } else {
            Err(ImportError::Bug(format!(
                "message id {:?} is used twice",
                m.id
            )))
        }
    }

    /// Like [`Sink::message`], but when the message's id is already taken, writes nothing and
    /// returns `Ok(false)`, so that an importer deriving ids can try the next one.
    pub fn message_or_taken(&mut self, m: &Message) -> Result<bool, ImportError> {
        self.write_message(m, false)
    }

    /// Writes a message whose id the importer vouches is unique, and whose references to other
    /// messages it vouches name earlier ones (see [`ArchiveWriter::message_vouched`]): its id
    /// is neither looked up nor remembered, so memory does not grow with the messages. The
    /// output is validated in full at the end (unless the user said `--no-validate`).
    pub fn message_vouched(&mut self, m: &Message) -> Result<(), ImportError> {
        self.write_message(m, true).map(|_| ())
    }

    fn write_message(&mut self, m: &Message, vouched: bool) -> Result<bool, ImportError> {
        let cached = match &self.last_conversation {
            Some((id, ci)) if *id == m.conversation => Some(*ci),
            _ => None,
        };
        let ci = match cached.or_else(|| self.conversation_index.get(&m.conversation).copied()) {
            Some(ci) => {
                if cached.is_none() {
                    self.last_conversation = Some((m.conversation.clone(), ci));
                }
                ci
            }
            // In direct mode the writer itself refuses a conversation that was not written.
            None if self.direct => usize::MAX,
            None => {
                return Err(ImportError::Bug(format!(
                    "message {:?} names conversation {:?}, which was not added",
                    m.id, m.conversation
                )));
            }
        };
        let body = self.body_mut()?;
        let written = if vouched {
            body.message_vouched(m)
        } else {
            body.message(m)
        };
        match written {
            Ok(()) => {}
            Err(chatport_model::WriteError::DuplicateId { id, .. }) if id == m.id => {
                return Ok(false);
            }
            Err(e) => return Err(self.write_error(e)),
        }
        // Counted here, added to the report's map when the sink finishes.
        self.kind_counts[kind_index(m)] += 1;
        for a in &m.attachments {
            let s = match a.status {
                MediaStatus::Present => "present",
                MediaStatus::Remote => "remote",
                MediaStatus::Missing if a.missing_reason.as_deref() == Some(NOT_COPIED) => {
                    "not_copied"
                }
                MediaStatus::Missing => "missing",
            };
            *self.report.attachments.entry(s.to_owned()).or_insert(0) += 1;
        }
        self.report.messages += 1;
        if self.direct {
            return Ok(true);
        }
        let st = &mut self.stats[ci];
        st.messages += 1;
        if let Some(t) = &m.time
            && !st.mixed
        {
            match (&st.first, &st.last) {
                (None, _) | (_, None) => {
                    st.first = Some(t.clone());
                    st.last = Some(t.clone());
                }
                (Some(f), Some(l)) => match (compare(t, f), compare(t, l)) {
                    (Some(a), Some(b)) => {
                        // `clone_from` reuses the strings of the time it replaces.
                        if a == Ordering::Less
                            && let Some(f) = st.first.as_mut()
                        {
                            f.clone_from(t);
                        }
                        if b == Ordering::Greater
                            && let Some(l) = st.last.as_mut()
                        {
                            l.clone_from(t);
                        }
                    }
                    _ => st.mixed = true,
                },
            }
        }
        Ok(true)
    }

    /// Counts a source message unit that does not become a record, under a reason.
    pub fn skip(&mut self, code: &str, message: &str, location: String) {
        report::add(&mut self.report.skipped, code, message, location);
    }

    /// Adds a warning for the user to the report.
    pub fn warn(&mut self, code: &str, message: &str, location: String) {
        report::add(&mut self.report.warnings, code, message, location);
    }

    /// An attachment for the input's entry `entry`: copied into the bundle and hashed (status
    /// `present`), or, when the output is a single `.jsonl` file, `missing` with a reason that
    /// says it was not copied. The same entry attached twice is copied once.
    pub fn attach_entry(
        &mut self,
        input: &Input,
        entry: &str,
        kind: AttachmentKind,
    ) -> Result<Attachment, ImportError> {
        let original = entry.rsplit('/').next().unwrap_or(entry).to_owned();
        if matches!(self.media, Media::None) {
            let mut a = Attachment::missing(kind, Some(NOT_COPIED.to_owned()));
            a.original_name = Some(original);
            return Ok(a);
        }
        if let Some((path, size, sha)) = self.copied.get(entry) {
            let mut a = Attachment::present(kind, path.clone(), *size, sha.clone());
            a.original_name = Some(original);
            return Ok(a);
        }
        let mut path = format!("media/{}/{}", self.source_id, safe_path(entry));
        // Two entries whose names clean to the same path (`a\x01.jpg`, `a_.jpg`) must not land
        // on one file: the later one gets a short hash of its own name before its extension.
        if !self.used_paths.insert(path.clone()) {
            let tag = &chatport_model::ids::derive_id("", &[entry])[..8];
            path = match path
                .rsplit_once('.')
                .filter(|(stem, _)| !stem.ends_with('/'))
            {
                Some((stem, ext)) if !ext.contains('/') => format!("{stem}-{tag}.{ext}"),
                _ => format!("{path}-{tag}"),
            };
            self.used_paths.insert(path.clone());
        }
        let (size, sha) = match &mut self.media {
            Media::None => unreachable_none(),
            Media::Dir(root) => {
                let dest = root.join(&path);
                if let Some(p) = dest.parent() {
                    std::fs::create_dir_all(p).map_err(|e| ImportError::io(p, e))?;
                }
                let mut out =
                    BufWriter::new(File::create(&dest).map_err(|e| ImportError::io(&dest, e))?);
                let r =
                    input.read_entry(entry, |r| copy_hashed(r, &mut out, &input.display(entry)))?;
                let file = out
                    .into_inner()
                    .map_err(|e| ImportError::io(&dest, e.into_error()))?;
                // Synced on a thread of its own while the import goes on; waited for before
                // the bundle is renamed into place.
                let syncer = match &mut self.media_syncer {
                    Some(s) => s,
                    None => self
                        .media_syncer
                        .insert(FileSyncer::new().map_err(|e| ImportError::io(&dest, e))?),
                };
                syncer.sync(file).map_err(|e| ImportError::io(&dest, e))?;
                r
            }
            Media::Zip(z) => {
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored)
                    .last_modified_time(zip::DateTime::default())
                    .unix_permissions(0o644)
                    .large_file(
                        input
                            .entry(entry)
                            .is_some_and(|e| e.size >= u32::MAX as u64),
                    );
                z.start_file(path.as_str(), opts)
                    .map_err(|e| ImportError::Io {
                        path: self.tmp_path.display().to_string(),
                        source: std::io::Error::other(e),
                    })?;
                input.read_entry(entry, |r| copy_hashed(r, z.as_mut(), &input.display(entry)))?
            }
        };
        self.copied
            .insert(entry.to_owned(), (path.clone(), size, sha.clone()));
        let mut a = Attachment::present(kind, path, size, sha);
        a.original_name = Some(original);
        Ok(a)
    }

    /// An attachment for a file the source names by `relative` path (relative to the folder
    /// `base` of the file that names it): copied when the input holds it; otherwise `missing`,
    /// with a warning `media-not-in-export` at `location`.
    pub fn attach_relative(
        &mut self,
        input: &Input,
        base: &str,
        relative: &str,
        kind: AttachmentKind,
        location: impl FnOnce() -> String,
    ) -> Result<Attachment, ImportError> {
        match input.resolve(base, relative).map(|e| e.name.clone()) {
            Some(name) => self.attach_entry(input, &name, kind),
            None => {
                self.warn(
                    "media-not-in-export",
                    "a media file the export names is not in it; kept as a missing attachment",
                    location(),
                );
                let mut a =
                    Attachment::missing(kind, Some(format!("not in the export: {relative}")));
                a.original_name = Some(relative.rsplit('/').next().unwrap_or(relative).to_owned());
                Ok(a)
            }
        }
    }

    /// Marks the account of the exporting user from `--me NAME`, for exports that do not say who
    /// made them: the one account whose display name, handle or other name is `name`. Does
    /// nothing when an account is already marked (the importer knew); warns when no account or
    /// several match, and then marks none, since guessing would invent a fact.
    pub fn mark_me(&mut self, name: &str, location: String) {
        if self.direct || self.accounts.iter().any(|a| a.is_self == Some(true)) {
            return;
        }
        let matches: Vec<usize> = self
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                a.display_name.as_deref() == Some(name)
                    || a.handle.as_deref() == Some(name)
                    || a.other_names.iter().any(|n| n == name)
            })
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [one] => self.accounts[*one].is_self = Some(true),
            [] => self.warn(
                "me-not-found",
                &format!("--me {name:?} names no account of this export; nobody was marked as you"),
                location,
            ),
            _ => self.warn(
                "me-ambiguous",
                &format!(
                    "--me {name:?} names {} accounts of this export; nobody was marked as you",
                    matches.len()
                ),
                location,
            ),
        }
    }

    /// For importers that know each account and conversation, coverage included, before the
    /// first message that needs it (the WhatsApp importer reads its file twice; the ChatGPT
    /// importer holds one whole conversation at a time): writes the header and the accounts and
    /// conversations added so far now, and every record added afterwards straight to the
    /// output in the order given, with no spool to copy at the end and nothing kept in memory
    /// but ids. From then on an account or conversation cannot be changed once added (adding an
    /// account again does nothing), and coverage is not filled in from the messages. For a zip
    /// output, whose media entries cannot interleave with the archive's, this changes nothing.
    pub fn begin_messages(&mut self) -> Result<(), ImportError> {
        if self.direct || self.kind == OutputKind::Zip || self.report.messages > 0 {
            return Ok(());
        }
        let path = match &self.media {
            Media::Dir(root) => root.join(chatport_validate::ARCHIVE_NAME),
            _ => self.tmp_path.clone(),
        };
        let f = File::create(&path).map_err(|e| ImportError::io(&path, e))?;
        let f = BackgroundFile::new(f, true).map_err(|e| ImportError::io(&path, e))?;
        let io = |e: chatport_model::WriteError| match e {
            chatport_model::WriteError::Io(source) => ImportError::io(&path, source),
            other => other.into(),
        };
        let mut w = ArchiveWriter::new(f, &self.header).map_err(io)?;
        for a in &self.accounts {
            w.account(a).map_err(io)?;
        }
        for c in &self.conversations {
            w.conversation(c).map_err(io)?;
        }
        self.body = Some(w);
        self.direct = true;
        let _ = std::fs::remove_file(&self.spool_path);
        self.report.conversations = self.conversations.len() as u64;
        self.report.participants = self.accounts.len() as u64;
        Ok(())
    }

    /// In direct mode (see [`Sink::begin_messages`]), starts a scope of messages that no later
    /// message refers to (one ChatGPT conversation); [`Sink::end_scope`] then forgets their ids,
    /// so memory stays bounded by one scope. The validation pass still checks every id.
    pub fn begin_scope(&mut self) {
        if self.direct
            && let Some(b) = self.body.as_mut()
        {
            b.begin_scope();
        }
    }

    /// Ends the scope begun by [`Sink::begin_scope`].
    pub fn end_scope(&mut self) {
        if let Some(b) = self.body.as_mut() {
            b.end_scope();
        }
    }

    /// The file the records go to as they are written: the spool, or in direct mode the archive.
    fn body_path(&self) -> PathBuf {
        match &self.media {
            _ if !self.direct => self.spool_path.clone(),
            Media::Dir(root) => root.join(chatport_validate::ARCHIVE_NAME),
            _ => self.tmp_path.clone(),
        }
    }

    /// An error of the archive writer, an I/O error naming the file written.
    fn write_error(&self, e: chatport_model::WriteError) -> ImportError {
        match e {
            chatport_model::WriteError::Io(source) => ImportError::io(&self.body_path(), source),
            other => other.into(),
        }
    }

    fn body_mut(&mut self) -> Result<&mut ArchiveWriter<BackgroundFile>, ImportError> {
        self.body
            .as_mut()
            .ok_or_else(|| ImportError::Bug("sink used after finish".into()))
    }

    /// Assembles the archive, validates it unless `validate` is false, and moves it into place.
    /// A validation failure is chatport's bug: the output is removed and the error says so.
    pub fn finish(mut self, validate: bool) -> Result<ImportReport, ImportError> {
        let body = self
            .body
            .take()
            .ok_or_else(|| ImportError::Bug("sink finished twice".into()))?;
        let written = body
            .finish()
            .map_err(|e| self.write_error(e))?
            .finish()
            .map_err(|e| ImportError::io(&self.body_path(), e))?;
        // The archive file, synced once validated: the validation pass reads it from memory
        // while the disk catches up.
        let mut unsynced = if self.direct {
            let syncer = Syncer::last_sync(written.syncer, &written.file)
                .map_err(|e| ImportError::io(&self.body_path(), e))?;
            Some((written.file, syncer))
        } else {
            drop(written);
            None
        };
        if let Some(s) = self.media_syncer.take() {
            s.finish().map_err(|e| {
                ImportError::io_shown(format!("media in {}", self.tmp_path.display()), e)
            })?;
        }
        // Coverage from the messages, where the importer did not give it.
        let source = self.source_id.clone();
        let stats = if self.direct {
            &[][..]
        } else {
            &self.stats[..]
        };
        for (c, st) in self.conversations.iter_mut().zip(stats) {
            let cov = match c.coverage.iter_mut().find(|v| v.source == source) {
                Some(v) => v,
                None => {
                    c.coverage.push(Coverage {
                        source: source.clone(),
                        from: None,
                        to: None,
                        messages: None,
                        complete: None,
                    });
                    c.coverage.last_mut().expect("just pushed")
                }
            };
            if cov.messages.is_none() {
                cov.messages = Some(st.messages);
            }
            if !st.mixed {
                if cov.from.is_none() {
                    cov.from = st.first.clone().map(strip_original);
                }
                if cov.to.is_none() {
                    cov.to = st.last.clone().map(strip_original);
                }
            }
        }
        for (kind, n) in KINDS.iter().zip(self.kind_counts) {
            if n > 0 {
                *self
                    .report
                    .messages_by_kind
                    .entry((*kind).to_owned())
                    .or_insert(0) += n;
            }
        }
        self.report.conversations = self.conversations.len() as u64 + self.direct_counts.1;
        self.report.participants = self.accounts.len() as u64 + self.direct_counts.0;
        let media = std::mem::replace(&mut self.media, Media::None);
        match media {
            _ if self.direct => {}
            Media::None => {
                let p = self.tmp_path.clone();
                unsynced = Some(self.assemble_file(&p)?);
            }
            Media::Dir(root) => {
                unsynced = Some(self.assemble_file(&root.join(chatport_validate::ARCHIVE_NAME))?);
            }
            Media::Zip(mut z) => {
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .last_modified_time(zip::DateTime::default())
                    .unix_permissions(0o644)
                    .large_file(true);
                let tmp = self.tmp_path.display().to_string();
                let zerr = |e: zip::result::ZipError| ImportError::Io {
                    path: tmp.clone(),
                    source: std::io::Error::other(e),
                };
                z.start_file(chatport_validate::ARCHIVE_NAME, opts)
                    .map_err(zerr)?;
                self.assemble(z.as_mut())?;
                let w = z.finish().map_err(zerr)?;
                let Some(file) = w.file else {
                    return Err(ImportError::Bug("the zip output was closed early".into()));
                };
                file.into_inner()
                    .map_err(|e| ImportError::io(&self.tmp_path, e.into_error()))?
                    .sync_all()
                    .map_err(|e| ImportError::io(&self.tmp_path, e))?;
            }
        }
        let _ = std::fs::remove_file(&self.spool_path);
        if validate {
            let v = chatport_validate::validate_path(
                &self.tmp_path,
                chatport_validate::Options {
                    max_diagnostics: 5,
                    ..Default::default()
                },
            )
            .map_err(|e| {
                // Interrupted meanwhile: the handler removed the file being validated.
                if temporary().interrupted {
                    self.interrupted_error()
                } else {
                    ImportError::Bug(format!("could not validate the output: {e}"))
                }
            })?;
            let mut codes: Vec<String> = v
                .diagnostics
                .iter()
                .map(|d| d.code.as_str().to_owned())
                .collect();
            codes.sort();
            codes.dedup();
            self.report.validation = Some(Validation {
                valid: v.valid,
                errors: v.errors,
                warnings: v.warnings,
                codes,
            });
            if !v.valid {
                let mut first: Vec<String> = v
                    .diagnostics
                    .iter()
                    .map(|d| {
                        format!(
                            "{} line {}: {}",
                            d.code.as_str(),
                            d.line.unwrap_or(0),
                            d.message
                        )
                    })
                    .collect();
                first.dedup();
                return Err(ImportError::Bug(format!(
                    "the archive chatport wrote does not validate ({} errors); nothing was written. First: {}",
                    v.errors,
                    first.join("; ")
                )));
            }
        }
        if let Some((f, syncer)) = unsynced {
            syncer
                .finish()
                .map_err(|e| ImportError::io(&self.tmp_path, e))?;
            f.sync_all()
                .map_err(|e| ImportError::io(&self.tmp_path, e))?;
        }
        let replaced = self.move_into_place()?;
        if let Some(old) = replaced {
            let _ = if old.is_dir() {
                std::fs::remove_dir_all(&old)
            } else {
                std::fs::remove_file(&old)
            };
            unregister(&old);
        }
        // The rename itself reaches the disk with its folder. Where a folder cannot be opened
        // or synced (not on every system), the rename is left to the system's own writeback.
        let folder = match self.final_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(folder) {
            let _ = d.sync_all();
        }
        Ok(std::mem::take(&mut self.report))
    }

    /// Moves the finished output into place, replacing what `--force` allowed to replace, under
    /// the lock that an interrupt takes (see [`remove_temporary_files`]). A file over a file is
    /// one rename, which replaces it at once; anything else moves the old output aside first,
    /// and back if the new one cannot take its place. Returns the old output's new path, for
    /// the caller to remove (registered as temporary meanwhile).
    fn move_into_place(&mut self) -> Result<Option<PathBuf>, ImportError> {
        let mut t = temporary();
        if t.interrupted {
            return Err(self.interrupted_error());
        }
        let fail = |e| ImportError::io(&self.final_path, e);
        let old = std::fs::symlink_metadata(&self.final_path).ok();
        let aside = match old {
            Some(m) if m.is_dir() || self.tmp_path.is_dir() => {
                let aside = sibling(&self.final_path, "old");
                std::fs::rename(&self.final_path, &aside).map_err(fail)?;
                Some(aside)
            }
            _ => None,
        };
        if let Err(e) = std::fs::rename(&self.tmp_path, &self.final_path) {
            if let Some(a) = &aside {
                let _ = std::fs::rename(a, &self.final_path);
            }
            return Err(fail(e));
        }
        self.finished = true;
        t.completed += 1;
        t.paths
            .retain(|x| *x != self.tmp_path && *x != self.spool_path);
        if let Some(a) = &aside {
            t.replaced.push(a.clone());
        }
        Ok(aside)
    }

    /// The error of an import interrupted before its output was moved into place (exit code 130).
    fn interrupted_error(&self) -> ImportError {
        ImportError::io(
            &self.final_path,
            std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "interrupted; no output was moved into place",
            ),
        )
    }

    /// Writes the archive to the file `p`: the records kept in memory, then the spool copied
    /// file to file (in the kernel where the system can), a part at a time, the disk being
    /// asked to write each part while the next is copied. Returns the file, whose final sync
    /// is still to come, with the thread syncing its data.
    fn assemble_file(&mut self, p: &Path) -> Result<(File, Syncer), ImportError> {
        let f = File::create(p).map_err(|e| ImportError::io(p, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        self.write_top(&mut w, p)?;
        let mut f = w
            .into_inner()
            .map_err(|e| ImportError::io(p, e.into_error()))?;
        let spool =
            File::open(&self.spool_path).map_err(|e| ImportError::io(&self.spool_path, e))?;
        let syncer = Syncer::new(&f).map_err(|e| ImportError::io(p, e))?;
        loop {
            let part = std::io::copy(&mut (&spool).take(SYNC_EVERY), &mut f)
                .map_err(|e| ImportError::io(p, e))?;
            if part == 0 {
                break;
            }
            if PROGRESSIVE {
                syncer.kick();
            }
        }
        let syncer = Syncer::last_sync(Some(syncer), &f).map_err(|e| ImportError::io(p, e))?;
        Ok((f, syncer))
    }

    /// Writes the header, accounts and conversations to `out`, the file `p` (for errors).
    fn write_top(&mut self, out: &mut dyn Write, p: &Path) -> Result<(), ImportError> {
        let io = |e: chatport_model::WriteError| match e {
            chatport_model::WriteError::Io(source) => ImportError::io(p, source),
            other => other.into(),
        };
        let mut w = ArchiveWriter::new(&mut *out, &self.header).map_err(io)?;
        for a in &self.accounts {
            w.account(a).map_err(io)?;
        }
        for c in &self.conversations {
            w.conversation(c).map_err(io)?;
        }
        w.finish().map_err(io)?;
        Ok(())
    }

    fn assemble(&mut self, out: &mut dyn Write) -> Result<(), ImportError> {
        let tmp = self.tmp_path.clone();
        self.write_top(out, &tmp)?;
        let mut spool =
            File::open(&self.spool_path).map_err(|e| ImportError::io(&self.spool_path, e))?;
        std::io::copy(&mut spool, out).map_err(|e| ImportError::io(&self.tmp_path, e))?;
        Ok(())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.body = None;
        self.zip_abandoned
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.media = Media::None;
        self.media_syncer = None;
        let _ = std::fs::remove_file(&self.spool_path);
        if self.tmp_path.is_dir() {
            let _ = std::fs::remove_dir_all(&self.tmp_path);
        } else {
            let _ = std::fs::remove_file(&self.tmp_path);
        }
        unregister(&self.tmp_path);
        unregister(&self.spool_path);
    }
}

/// The `missing_reason` of media that the export holds but a `.jsonl` output cannot carry.
pub const NOT_COPIED: &str = "not copied: the archive was written as a single .jsonl file; import into a bundle to keep media";

fn unreachable_none() -> (u64, String) {
    (0, String::new())
}

fn strip_original(mut t: Time) -> Time {
    t.original = None;
    t
}

/// The kind a message is counted under in the report.
pub fn message_kind(m: &Message) -> &'static str {
    KINDS[kind_index(m)]
}

/// The kinds [`message_kind`] tells apart, in the order it tests them.
const KINDS: [&str; 9] = [
    "event", "deleted", "call", "poll", "location", "contact", "media", "text", "empty",
];

/// The index in [`KINDS`] of a message's kind.
fn kind_index(m: &Message) -> usize {
    if m.event.is_some() {
        0
    } else if m.deleted.is_some() {
        1
    } else if m.call.is_some() {
        2
    } else if m.poll.is_some() {
        3
    } else if m.location.is_some() {
        4
    } else if m.contact.is_some() {
        5
    } else if !m.attachments.is_empty() {
        6
    } else if m.text.as_deref().is_some_and(|t| !t.is_empty()) || !m.embeds.is_empty() {
        7
    } else {
        8
    }
}

fn compare(a: &Time, b: &Time) -> Option<Ordering> {
    let local = |t: &Time| t.kind == TimeKind::Local;
    if local(a) != local(b) {
        return None;
    }
    if a.at.len() == b.at.len() && a.at.get(19..) == b.at.get(19..) {
        return Some(a.at.cmp(&b.at));
    }
    if local(a) {
        let pa: jiff::civil::DateTime = a.at.parse().ok()?;
        let pb: jiff::civil::DateTime = b.at.parse().ok()?;
        Some(pa.cmp(&pb))
    } else {
        let pa: jiff::Timestamp = a.at.parse().ok()?;
        let pb: jiff::Timestamp = b.at.parse().ok()?;
        Some(pa.cmp(&pb))
    }
}

fn copy_hashed(
    r: &mut dyn Read,
    out: &mut dyn Write,
    shown: &str,
) -> Result<(u64, String), ImportError> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut size = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ImportError::io_shown(shown.to_owned(), e)),
        };
        h.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| ImportError::io_shown(format!("writing {shown} into the output"), e))?;
        size += n as u64;
    }
    let digest = h.finalize();
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    Ok((size, hex))
}

/// A bundle path for an input entry name that follows the format's path rules: no empty, `.`
/// or `..` segments, no backslashes or control characters.
fn safe_path(entry: &str) -> String {
    let segs: Vec<String> = entry
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(|s| {
            s.chars()
                .map(|c| if c.is_control() || c == '\\' { '_' } else { c })
                .collect()
        })
        .collect();
    if segs.is_empty() {
        "file".into()
    } else {
        segs.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Seek;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    fn zip_out(file: File) -> (ZipOut, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        let out = ZipOut {
            file: Some(BufWriter::new(file)),
            pos: 0,
            len: 0,
            abandoned: Arc::clone(&flag),
        };
        (out, flag)
    }

    #[test]
    fn an_abandoned_zip_output_writes_nothing_more_and_its_zip_finishes_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.zip");
        let (out, flag) = zip_out(File::create(&p).unwrap());
        let mut z = zip::ZipWriter::new(out);
        z.start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&[b'x'; 100_000]).unwrap();
        z.flush().unwrap();
        let before = std::fs::metadata(&p).unwrap().len();
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
        // Finishing writes the central directory: to nowhere, with consistent positions.
        let out = z.finish().unwrap();
        assert!(out.file.is_none());
        assert!(out.len > before, "{} {before}", out.len);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), before);
    }

    #[test]
    fn a_zip_output_whose_write_failed_becomes_a_file_of_nowhere() {
        // /dev/full takes the open and fails every write with ENOSPC.
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            eprintln!("no /dev/full on this system: test skipped");
            return;
        };
        let (mut out, _flag) = zip_out(full);
        // The buffer takes the first bytes; the flush reaches the file and fails.
        out.write_all(&[1; 10]).unwrap();
        assert_eq!(out.flush().unwrap_err().raw_os_error(), Some(28));
        assert!(out.file.is_none());
        // From then on: writes go nowhere, positions stay consistent.
        out.write_all(&[2; 5]).unwrap();
        assert_eq!(out.stream_position().unwrap(), 15);
        assert_eq!(out.seek(std::io::SeekFrom::End(-3)).unwrap(), 12);
        assert_eq!(out.seek(std::io::SeekFrom::Start(4)).unwrap(), 4);
        assert!(out.seek(std::io::SeekFrom::Current(-5)).is_err());
    }
}
