//! The writer: the easy way to produce an archive that a validator accepts. It writes the header
//! first, one record per line, and refuses a record whose id is taken, whose references name no
//! earlier record of the right kind, or whose ordinal does not follow its conversation's last.

use crate::ids::{IdTable, KeyMap, id_key};
use crate::{Account, Conversation, Header, Message, Person, Record, RecordType, RecordView};
use std::io::Write;

/// Why the writer refused a record or could not write it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Writing to the output failed.
    #[error("could not write the archive: {0}")]
    Io(#[from] std::io::Error),
    /// A record could not be serialized.
    #[error("could not serialize a record: {0}")]
    Json(#[from] serde_json::Error),
    /// The id is already taken by an earlier record.
    #[error("id {id:?} is already used by an earlier {existing} record")]
    DuplicateId {
        /// The id.
        id: String,
        /// The kind of the earlier record.
        existing: RecordType,
    },
    /// A reference names no earlier record, or one of the wrong kind.
    #[error(
        "{record} {id:?} refers at {pointer} to {target:?}, which is not an earlier {expected} record"
    )]
    BadReference {
        /// The kind of the referring record.
        record: RecordType,
        /// The referring record's id.
        id: String,
        /// Where the reference is, as a JSON pointer.
        pointer: String,
        /// The id referred to.
        target: String,
        /// The kind of record it must name.
        expected: RecordType,
    },
    /// A message's ordinal does not follow the last one written for its conversation.
    #[error("message {id:?} has ordinal {ordinal}, not above {last}, the last of its conversation")]
    OrdinalOrder {
        /// The message's id.
        id: String,
        /// Its ordinal.
        ordinal: u64,
        /// The last ordinal written for the conversation.
        last: u64,
    },
    /// A second header, passed as a record.
    #[error("the header is written once, first, by ArchiveWriter::new")]
    HeaderRepeated,
}

/// Writes an archive as JSON Lines: the header first, then records in the order given, each
/// checked against those before it. Memory grows with the number of ids, not with the records.
///
/// ```
/// use chatport_model::{ArchiveWriter, Header, Account, Conversation, ConversationKind, Message};
/// let mut w = ArchiveWriter::new(Vec::new(), &Header::new("example", None)).unwrap();
/// w.account(&Account::new("a1", "whatsapp")).unwrap();
/// w.conversation(&Conversation::new("c1", "whatsapp", ConversationKind::Direct)).unwrap();
/// let mut m = Message::new("m1", "c1", 1);
/// m.sender = Some("a1".into());
/// m.text = Some("hello".into());
/// w.message(&m).unwrap();
/// let bytes = w.finish().unwrap();
/// assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 4);
/// ```
pub struct ArchiveWriter<W: Write> {
    /// The output; `None` only once [`ArchiveWriter::finish`] took it.
    out: Option<W>,
    ids: IdTable,
    last_ordinal: KeyMap<u64>,
    buf: Vec<u8>,
    records: u64,
    scope: Option<Vec<String>>,
    /// Recently checked references to accounts, persons and conversations (which are never
    /// forgotten), in slots picked by the id's last bytes: most messages name the same few.
    checked: Vec<Option<(String, RecordType)>>,
    /// The last conversation a message was written to, and its key in `last_ordinal`.
    last_conversation: Option<(String, crate::ids::IdKey)>,
}

/// Slots in [`ArchiveWriter`]'s cache of checked references.
const CHECKED_SLOTS: usize = 64;

fn checked_slot(id: &str) -> usize {
    let b = id.as_bytes();
    let last = b.last().copied().unwrap_or(0) as usize;
    let before = b.len().checked_sub(2).map_or(0, |i| b[i] as usize);
    (last ^ (before << 3) ^ b.len()) % CHECKED_SLOTS
}

impl<W: Write> ArchiveWriter<W> {
    /// Starts an archive on `out` by writing `header`.
    pub fn new(out: W, header: &Header) -> Result<Self, WriteError> {
        let mut w = ArchiveWriter {
            out: Some(out),
            ids: IdTable::new(),
            last_ordinal: KeyMap::default(),
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            records: 0,
            scope: None,
            checked: vec![None; CHECKED_SLOTS],
            last_conversation: None,
        };
        w.emit(RecordView::Header(header))?;
        Ok(w)
    }

    /// Starts a writer that writes no header, for the records that follow a header and records
    /// written elsewhere (an importer spools its messages while it still learns about accounts and
    /// conversations). Ids written elsewhere are made known with [`ArchiveWriter::declare`].
    pub fn without_header(out: W) -> Self {
        ArchiveWriter {
            out: Some(out),
            ids: IdTable::new(),
            last_ordinal: KeyMap::default(),
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            records: 0,
            scope: None,
            checked: vec![None; CHECKED_SLOTS],
            last_conversation: None,
        }
    }

    /// Records that `id` names a record of kind `t` written elsewhere, before this writer's
    /// records, so that references to it are accepted. Refuses an id already taken.
    pub fn declare(&mut self, id: &str, t: RecordType) -> Result<(), WriteError> {
        match self.ids.define(id, t) {
            None => Ok(()),
            Some(existing) => Err(WriteError::DuplicateId {
                id: id.to_owned(),
                existing,
            }),
        }
    }

    /// True when `id` names a record written or declared so far.
    pub fn is_defined(&self, id: &str) -> bool {
        self.ids.get(id).is_some()
    }

    /// Starts a scope: the ids of the messages written from now on are remembered apart, so
    /// that [`ArchiveWriter::end_scope`] can forget them. For writers whose messages never refer
    /// to messages of an earlier scope (one ChatGPT conversation never refers to another): memory
    /// then stays bounded by the ids still referable, not by all the messages written.
    pub fn begin_scope(&mut self) {
        self.scope = Some(Vec::new());
    }

    /// Ends the scope begun by [`ArchiveWriter::begin_scope`]: its messages' ids are forgotten,
    /// and a later record that refers to one of them is refused as referring to nothing.
    /// Accounts, persons and conversations are never forgotten.
    pub fn end_scope(&mut self) {
        if let Some(ids) = self.scope.take() {
            for id in ids {
                self.ids.remove(&id);
            }
        }
    }

    /// The kind of record `id` names, when it was written or declared so far.
    pub fn kind_of(&self, id: &str) -> Option<RecordType> {
        self.ids.get(id)
    }

    /// Writes an account.
    pub fn account(&mut self, a: &Account) -> Result<(), WriteError> {
        self.write_ref(RecordView::Account(a))
    }

    /// Writes a person; its accounts must have been written before.
    pub fn person(&mut self, p: &Person) -> Result<(), WriteError> {
        self.write_ref(RecordView::Person(p))
    }

    /// Writes a conversation; its members and parent must have been written before.
    pub fn conversation(&mut self, c: &Conversation) -> Result<(), WriteError> {
        self.write_ref(RecordView::Conversation(c))
    }

    /// Writes a message; its conversation, sender and every record it refers to must have been
    /// written before, and its ordinal must exceed the last one of its conversation.
    pub fn message(&mut self, m: &Message) -> Result<(), WriteError> {
        self.write_ref(RecordView::Message(m))
    }

    /// Writes a message whose id the caller vouches for: no record written or declared so far,
    /// nor any later one, has it. Its references to other messages are vouched for too (each
    /// names an earlier message). The writer checks everything else as [`ArchiveWriter::message`]
    /// does (its conversation, sender and other references, its ordinal), but neither looks up
    /// nor remembers the message's id, so an importer whose ids are unique by construction
    /// writes any number of messages in memory that does not grow with them. A later record that
    /// refers to a vouched message must itself be vouched for. The validator checks the result
    /// in full.
    pub fn message_vouched(&mut self, m: &Message) -> Result<(), WriteError> {
        self.check_and_write(RecordView::Message(m), false)
    }

    /// Writes any record but a header.
    pub fn record(&mut self, r: &Record) -> Result<(), WriteError> {
        match r {
            Record::Header(_) => Err(WriteError::HeaderRepeated),
            Record::Account(a) => self.account(a),
            Record::Person(p) => self.person(p),
            Record::Conversation(c) => self.conversation(c),
            Record::Message(m) => self.message(m),
        }
    }

    /// How many records, the header included, have been written.
    pub fn records_written(&self) -> u64 {
        self.records
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> Result<W, WriteError> {
        self.write_buffered()?;
        let mut out = self.out.take().ok_or_else(taken)?;
        out.flush()?;
        Ok(out)
    }

    /// Writes the records gathered in the buffer to the output.
    fn write_buffered(&mut self) -> Result<(), WriteError> {
        if !self.buf.is_empty() {
            let out = self.out.as_mut().ok_or_else(taken)?;
            let written = out.write_all(&self.buf);
            self.buf.clear();
            written?;
        }
        Ok(())
    }

    fn write_ref(&mut self, rec: RecordView<'_>) -> Result<(), WriteError> {
        self.check_and_write(rec, true)
    }

    /// Checks `rec` against the records before it and writes it. With `remember` false (a
    /// vouched message) its id and its references to messages are taken on trust.
    fn check_and_write(&mut self, rec: RecordView<'_>, remember: bool) -> Result<(), WriteError> {
        let t = rec.record_type();
        let id = rec.id().unwrap_or_default();
        let mut bad = None;
        rec.each_reference(|reference| {
            if bad.is_some() || !remember && reference.expected == RecordType::Message {
                return;
            }
            let cacheable = reference.expected != RecordType::Message;
            let slot = checked_slot(reference.id);
            if cacheable
                && let Some((id, t)) = &self.checked[slot]
                && id == reference.id
                && *t == reference.expected
            {
                return;
            }
            if self.ids.get(reference.id) == Some(reference.expected) {
                if cacheable {
                    self.checked[slot] = Some((reference.id.to_owned(), reference.expected));
                }
            } else {
                bad = Some(WriteError::BadReference {
                    record: t,
                    id: id.to_owned(),
                    pointer: reference.path.to_string(),
                    target: reference.id.to_owned(),
                    expected: reference.expected,
                });
            }
        });
        if let Some(e) = bad {
            return Err(e);
        }
        let conversation = match rec {
            RecordView::Message(m) => {
                let key = match &self.last_conversation {
                    Some((c, key)) if *c == m.conversation => *key,
                    _ => {
                        let key = id_key(&m.conversation);
                        self.last_conversation = Some((m.conversation.clone(), key));
                        key
                    }
                };
                if let Some(&last) = self.last_ordinal.get(&key).filter(|l| m.ordinal <= **l) {
                    return Err(WriteError::OrdinalOrder {
                        id: m.id.clone(),
                        ordinal: m.ordinal,
                        last,
                    });
                }
                Some((key, m.ordinal))
            }
            _ => None,
        };
        // One lookup both checks and defines the id; a failed write leaves the archive broken
        // anyway, so defining before writing loses nothing.
        if remember && let Some(existing) = self.ids.define(id, t) {
            return Err(WriteError::DuplicateId {
                id: id.to_owned(),
                existing,
            });
        }
        self.emit(rec)?;
        if let (true, Some(scope), RecordView::Message(_)) = (remember, self.scope.as_mut(), rec) {
            scope.push(id.to_owned());
        }
        if let Some((key, ordinal)) = conversation {
            self.last_ordinal.insert(key, ordinal);
        }
        Ok(())
    }

    /// Adds a record to the buffer, and writes the buffer out once it holds [`FLUSH_AT`] bytes:
    /// records are serialized straight into the buffer that is written, not copied again.
    fn emit(&mut self, r: RecordView<'_>) -> Result<(), WriteError> {
        let start = self.buf.len();
        let serialized = match r {
            RecordView::Message(m) => crate::json::write_message(&mut self.buf, m),
            _ => serde_json::to_writer(&mut self.buf, &r),
        };
        if let Err(e) = serialized {
            self.buf.truncate(start);
            return Err(e.into());
        }
        self.buf.push(b'\n');
        self.records += 1;
        if self.buf.len() >= FLUSH_AT {
            self.write_buffered()?;
        }
        Ok(())
    }
}

/// Bytes of records gathered before they are written to the output (as much as the buffer of
/// a `BufWriter` the importers write through, which then passes them on without a copy).
const FLUSH_AT: usize = 1 << 20;

fn taken() -> WriteError {
    WriteError::Io(std::io::Error::other("the archive writer was finished"))
}

impl<W: Write> Drop for ArchiveWriter<W> {
    /// Writes the records still buffered, as `BufWriter` does when dropped; errors are lost
    /// here, so call [`ArchiveWriter::finish`] to see them.
    fn drop(&mut self) {
        let _ = self.write_buffered();
    }
}
