//! The ChatGPT importer: `conversations.json` of the OpenAI data export ("Export data" in
//! ChatGPT's settings), alone, in its folder or in its zip.
//!
//! Source format, in short (see the research notes, section 7):
//! - the file is a JSON array of conversations: `{title, create_time, update_time, mapping,
//!   current_node, conversation_id, id, moderation_results, gizmo_id, default_model_slug, ...}`;
//! - `mapping` is the conversation's tree: node id → `{id, message, parent, children}`. The
//!   root has `message: null`. Edits and regenerations give a node several children;
//!   `current_node` is the leaf of the branch the user saw last;
//! - a message: `{id, author: {role, name, metadata}, create_time (Unix seconds as a float, or
//!   null), update_time, content: {content_type, ...}, status, end_turn, weight, metadata,
//!   recipient, channel}`.
//!
//! How it maps:
//! - The top-level array is streamed: one conversation at a time is read into memory (a
//!   conversation is bounded; the file is not) and written before the next is read.
//! - Every ChatGPT conversation becomes one conversation `gpt-c-<conversation_id>` (kind
//!   `direct`). Every node with a message becomes one message `gpt-m-<conversation id>-<node
//!   id>`; nodes with `message: null` (the root) are structure, not messages.
//! - Branches: the visible branch (from `current_node` up to the root, then root to leaf) is
//!   written first, in order. The other branches (earlier versions of edited prompts,
//!   regenerated answers) follow it, walked depth first from the root in `children` order; each
//!   such message has `extensions["com.openai.chatgpt"].branch = "alternative"` and a `reply_to`
//!   naming its parent node (`reply_to.message` set when the parent is a message already
//!   written). Every message records its parent node id under `extensions.parent`, so the tree
//!   can be rebuilt exactly.
//! - A missing or dangling `current_node` falls back to the most recently created leaf (a
//!   warning says so). Every walk is bounded by the number of nodes and keeps a visited set, so
//!   cycles end; nodes whose parent is not in the mapping (orphans) and nodes only reachable
//!   through a cycle are written after the rest, marked `orphan` / `cycle`, with a warning.
//! - Roles become accounts: `gpt-u-user` (the exporting user, `is_self`), `gpt-u-assistant`
//!   ("ChatGPT"), `gpt-u-system`, and `gpt-u-tool-<name>` per tool (`python`, `browser`, ...;
//!   `gpt-u-tool` when unnamed). `user.json`, when beside the file, gives the user's email and
//!   phone.
//! - Content: `text` parts become the text; `code` the text with a `pre` span and its language;
//!   `execution_output` the text; `multimodal_text` its string parts as text, image and audio
//!   asset pointers as attachments (copied when the export holds the `file-…` file, otherwise
//!   `missing` naming the pointer), `audio_transcription` parts as text; `thoughts` the
//!   thoughts' summaries and contents; files listed in `metadata.attachments` (uploads) become
//!   attachments too; `reasoning_recap`, `tether_quote`, `system_error` and
//!   other types with a `text` their text. The content object of every type but plain text is
//!   also kept whole under extensions, so unknown types lose nothing.
//! - Hidden nodes (`metadata.is_visually_hidden_from_conversation`, the custom-instructions
//!   node with `user_context_message_data`, `weight` 0) are written like the others, marked
//!   `hidden: true` in extensions: they are part of the export; a reader may leave them out.
//! - Times: `create_time` floats become UTC instants with millisecond or microsecond precision
//!   as their digits carry (never more); `null` gives no time.
//! - Lenient on minimal files made by other tools: a node without `id` takes its mapping key,
//!   without `children` its children are found from the `parent` links, content without
//!   `content_type` but with `parts` is text. A file that is not an array of objects, or a
//!   conversation without a `mapping` object, is refused with its location.

use crate::input::json_keys;
use crate::{ImportError, ImportOptions, Input, Sink};
use chatport_model::ids::derive_id;
use chatport_model::{
    Account, Attachment, AttachmentKind, Conversation, ConversationKind, Member, Message,
    Precision, Reply, Span, SpanKind, Time,
};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::io::BufReader;

/// The extension namespace for ChatGPT data with no field in the model.
const NS: &str = "com.openai.chatgpt";
/// How much of a file detection reads.
const PEEK: usize = 16 << 10;
/// The export file's name in the data export.
const FILE_NAME: &str = "conversations.json";

/// True once this importer is written: until then it is not offered.
pub(crate) const READY: bool = true;

// ---------------------------------------------------------------------------------------------
// Detection

pub(crate) fn sniff(input: &Input) -> bool {
    let Some(name) = export_file(input) else {
        return false;
    };
    let Ok(head) = input.peek(&name, PEEK) else {
        return false;
    };
    looks_like_export(&head)
}

/// True when a file starts like `[ { ... "mapping": ...` (or, for a first conversation whose
/// keys come in another order, with `title`, `create_time` and `update_time`).
fn looks_like_export(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut it = head.iter().filter(|b| !b.is_ascii_whitespace());
    if it.next() != Some(&b'[') || it.next() != Some(&b'{') {
        return false;
    }
    let keys = json_keys(head);
    let has = |k: &str| keys.iter().any(|x| x == k);
    (has("mapping") && (has("current_node") || has("children") || has("parent")))
        || (has("mapping") && has("title"))
        || (has("title") && has("create_time") && has("update_time") && has("current_node"))
}

/// The export file: the input itself when it is one file, otherwise the `conversations.json`
/// nearest the top of the folder or zip.
fn export_file(input: &Input) -> Option<String> {
    if input.is_single_file() {
        return input.entries().first().map(|e| e.name.clone());
    }
    input
        .entries()
        .iter()
        .filter(|e| {
            e.name.rsplit('/').next() == Some(FILE_NAME) && e.name.matches('/').count() <= 1
        })
        .min_by_key(|e| (e.name.matches('/').count(), e.name.clone()))
        .map(|e| e.name.clone())
}

// ---------------------------------------------------------------------------------------------
// Reading

pub(crate) fn import(
    input: &Input,
    _options: &ImportOptions,
    sink: &mut Sink,
) -> Result<(), ImportError> {
    let Some(file) = export_file(input) else {
        return Err(ImportError::invalid(
            input.path().display().to_string(),
            "no conversations.json in this folder or zip: not a ChatGPT data export",
        ));
    };
    let base = match file.rfind('/') {
        Some(i) => file[..=i].to_owned(),
        None => String::new(),
    };
    let shown = input.display(&file);
    {
        let src = sink.source_mut();
        src.exporter = Some("OpenAI ChatGPT data export".into());
        src.files.push(file.clone());
    }
    // Files of the export beside conversations.json: user.json names the user; the others hold
    // no messages.
    let mut user = None;
    let mut not_imported = Vec::new();
    if !input.is_single_file() {
        for e in input.entries() {
            let Some(rest) = e.name.strip_prefix(&base) else {
                continue;
            };
            if rest.contains('/') || rest == FILE_NAME {
                continue;
            }
            if rest == "user.json" {
                user = input
                    .read_small(&e.name, 1 << 20)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                    .filter(Value::is_object);
                if user.is_some() {
                    sink.source_mut().files.push(e.name.clone());
                }
            } else if rest.ends_with(".json") || rest.ends_with(".html") {
                not_imported.push(rest.to_owned());
            }
        }
    }
    // Asset files of the export (`file-<id>-<name>.png`), by the id before the name.
    let mut assets: HashMap<String, String> = HashMap::new();
    for e in input.entries() {
        let leaf = e.name.rsplit('/').next().unwrap_or(&e.name);
        if leaf.starts_with("file-") || leaf.starts_with("file_") {
            let id = leaf.split(['-', '.']).take(2).collect::<Vec<_>>().join("-");
            let id = if leaf.starts_with("file_") {
                leaf.split(['-', '.']).next().unwrap_or(leaf).to_owned()
            } else {
                id
            };
            assets.entry(id).or_insert_with(|| e.name.clone());
        }
    }
    if !not_imported.is_empty() {
        sink.header_mut().extensions.insert(
            NS.into(),
            json!({ "files_not_imported": not_imported.clone() }),
        );
    }
    // Each conversation is whole in memory while it is written: its accounts, the conversation
    // (with its coverage) and its messages go straight to the output, so memory does not grow
    // with the number of conversations.
    sink.begin_messages()?;
    let mut ctx = Ctx {
        input,
        sink,
        file: file.clone(),
        shown: shown.clone(),
        failure: None,
        index: 0,
        conversation_ids: HashSet::new(),
        accounts: BTreeSet::new(),
        user,
        assets,
    };
    input.read_entry(&file, |r| {
        let reader = BufReader::with_capacity(64 << 10, r);
        let mut de = serde_json::Deserializer::from_reader(reader);
        let result = (&mut de)
            .deserialize_any(RootVisitor { ctx: &mut ctx })
            .and_then(|()| de.end());
        if let Some(f) = ctx.failure.take() {
            return Err(f);
        }
        result.map_err(|e| json_error(&shown, &e))
    })?;
    if !not_imported.is_empty() {
        let list = not_imported.join(", ");
        ctx.sink.warn(
            "section-not-imported",
            "files of the data export that hold no conversations are not imported",
            format!("{}: {list}", input.path().display()),
        );
    }
    Ok(())
}

fn json_error(shown: &str, e: &serde_json::Error) -> ImportError {
    let message = match e.classify() {
        serde_json::error::Category::Eof => format!("the file ends too early: {e}"),
        serde_json::error::Category::Io => format!("cannot read: {e}"),
        _ => format!("not a valid ChatGPT conversations.json: {e}"),
    };
    ImportError::invalid(format!("{shown}:{}:{}", e.line(), e.column()), message)
}

/// What the visitors share while walking the file.
struct Ctx<'a> {
    input: &'a Input,
    sink: &'a mut Sink,
    /// The export file's entry name, for origins.
    file: String,
    /// The export file as shown to the user, for locations.
    shown: String,
    /// An error from the sink, carried out of the visitors.
    failure: Option<ImportError>,
    /// The index of the conversation being read in the top-level array.
    index: usize,
    /// Conversation ids given so far.
    conversation_ids: HashSet<String>,
    /// Account ids added so far.
    accounts: BTreeSet<String>,
    /// `user.json`, when the export has it.
    user: Option<Value>,
    /// Asset files of the export by their `file-…` id.
    assets: HashMap<String, String>,
}

struct RootVisitor<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
}

impl<'de> Visitor<'de> for RootVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of ChatGPT conversations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element_seed(ConversationSeed)? {
            let index = self.ctx.index;
            if let Err(e) = conversation(self.ctx, raw, index) {
                self.ctx.failure = Some(e);
                return Err(de::Error::custom("import stopped"));
            }
            self.ctx.index += 1;
        }
        Ok(())
    }
}

/// One conversation as read: its keys in the file's order, the mapping's nodes too.
struct RawConversation {
    fields: Vec<(String, Value)>,
    mapping: Option<Vec<(String, Value)>>,
    /// `mapping` was there but not an object.
    mapping_invalid: bool,
}

struct ConversationSeed;

impl<'de> DeserializeSeed<'de> for ConversationSeed {
    type Value = RawConversation;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawConversation, D::Error> {
        d.deserialize_map(ConversationVisitor)
    }
}

struct ConversationVisitor;

impl<'de> Visitor<'de> for ConversationVisitor {
    type Value = RawConversation;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a ChatGPT conversation object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawConversation, A::Error> {
        let mut c = RawConversation {
            fields: Vec::new(),
            mapping: None,
            mapping_invalid: false,
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == "mapping" {
                match map.next_value_seed(MappingSeed)? {
                    Some(m) => c.mapping = Some(m),
                    None => c.mapping_invalid = true,
                }
            } else {
                let v: Value = map.next_value()?;
                c.fields.push((key, v));
            }
        }
        Ok(c)
    }
}

/// The mapping as a list of (node id, node) in the file's order; `None` when it is not an
/// object.
struct MappingSeed;

impl<'de> DeserializeSeed<'de> for MappingSeed {
    type Value = Option<Vec<(String, Value)>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(MappingVisitor)
    }
}

struct MappingVisitor;

impl<'de> Visitor<'de> for MappingVisitor {
    type Value = Option<Vec<(String, Value)>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.push((k, v));
        }
        Ok(Some(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

// ---------------------------------------------------------------------------------------------
// Conversations

/// A JSON pointer token: `~` and `/` escaped.
fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// True when `s` can be part of an archive id (no white space or control characters).
fn id_safe(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `prefix` + `raw` when that is a valid id, otherwise an id derived from `raw`.
fn make_id(prefix: &str, raw: &str) -> String {
    let id = format!("{prefix}{raw}");
    if id_safe(raw) && id.len() <= 256 {
        id
    } else {
        derive_id(prefix, &[raw])
    }
}

/// A Unix time in seconds (a float) as a UTC instant with the precision its shortest decimal
/// form carries: whole seconds, milliseconds or microseconds; finer digits are rounded to
/// microseconds and the number's text kept in `original`.
fn float_time(v: &Value) -> Option<Time> {
    let n = v.as_f64()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let text = match v {
        Value::Number(num) if num.is_f64() => format!("{n}"),
        Value::Number(num) => num.to_string(),
        _ => return None,
    };
    let digits = text.split_once('.').map_or(0, |(_, f)| f.len());
    let micros = (n * 1e6).round();
    if micros > 253_402_300_799e6 {
        return None;
    }
    let micros = micros as i64;
    let ts = jiff::Timestamp::from_microsecond(micros).ok()?;
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    let (width, precision) = match digits {
        0 => (0, Precision::Second),
        1..=3 => (3, Precision::Millisecond),
        _ => (6, Precision::Microsecond),
    };
    let frac = micros.rem_euclid(1_000_000);
    let shown = match width {
        0 => String::new(),
        3 => format!(".{:03}", frac / 1000),
        _ => format!(".{frac:06}"),
    };
    let at = format!("{}{shown}Z", crate::times::civil_text(dt, true));
    let t = Time::instant(at).with_precision(precision);
    Some(if digits > 6 { t.with_original(text) } else { t })
}

fn field<'v>(fields: &'v [(String, Value)], key: &str) -> Option<&'v Value> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The role account of a message's author, added to the sink when new.
fn author_account(ctx: &mut Ctx, msg: &Map<String, Value>) -> Result<String, ImportError> {
    let author = msg.get("author").and_then(Value::as_object);
    let role = author
        .and_then(|a| a.get("role"))
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .unwrap_or("unknown");
    let name = author.and_then(|a| a.get("name")).and_then(Value::as_str);
    let (id, display) = match (role, name) {
        ("tool", Some(n)) if !n.is_empty() => (make_id("gpt-u-tool-", n), Some(n.to_owned())),
        ("assistant", _) => ("gpt-u-assistant".to_owned(), Some("ChatGPT".to_owned())),
        _ => (make_id("gpt-u-", role), None),
    };
    if ctx.accounts.insert(id.clone()) {
        let mut a = Account {
            handle: Some(match (role, name) {
                ("tool", Some(n)) if !n.is_empty() => n.to_owned(),
                _ => role.to_owned(),
            }),
            display_name: display,
            ..Account::new(id.clone(), "chatgpt")
        };
        a.extensions.insert(NS.into(), json!({ "role": role }));
        if role == "user" {
            a.is_self = Some(true);
            if let Some(u) = &ctx.user {
                a.platform_id = u.get("id").and_then(Value::as_str).map(str::to_owned);
                a.email = u.get("email").and_then(Value::as_str).map(str::to_owned);
                a.phone = u
                    .get("phone_number")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let mut rest = u.as_object().cloned().unwrap_or_default();
                for k in ["id", "email", "phone_number"] {
                    rest.remove(k);
                }
                if !rest.is_empty() {
                    a.extensions
                        .insert(NS.into(), json!({ "role": role, "user": rest }));
                }
            }
        } else {
            a.bot = Some(true);
        }
        ctx.sink.account(a)?;
    }
    Ok(id)
}

/// Where a node stands in the tree, for its extensions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Main,
    Alternative,
    Orphan,
    Cycle,
}

fn conversation(ctx: &mut Ctx, raw: RawConversation, index: usize) -> Result<(), ImportError> {
    let r = conversation_inner(ctx, raw, index);
    ctx.sink.end_scope();
    r
}

fn conversation_inner(
    ctx: &mut Ctx,
    raw: RawConversation,
    index: usize,
) -> Result<(), ImportError> {
    let at = format!("{}#/{index}", ctx.shown);
    let Some(nodes) = raw.mapping else {
        let what = if raw.mapping_invalid {
            "`mapping` is not an object"
        } else {
            "the conversation has no `mapping`"
        };
        return Err(ImportError::invalid(
            format!("{at}/mapping"),
            format!("{what}: not a ChatGPT conversations.json"),
        ));
    };
    let fields = raw.fields;
    let str_field = |k: &str| field(&fields, k).and_then(Value::as_str).map(str::to_owned);
    let title = str_field("title");
    let created = field(&fields, "create_time").and_then(float_time);
    let platform_id = str_field("conversation_id").or_else(|| str_field("id"));
    let mut cid = match &platform_id {
        Some(p) => make_id("gpt-c-", p),
        None => derive_id(
            "gpt-c-",
            &[
                title.as_deref().unwrap_or(""),
                &field(&fields, "create_time")
                    .map(Value::to_string)
                    .unwrap_or_default(),
                &index.to_string(),
            ],
        ),
    };
    if !ctx.conversation_ids.insert(cid.clone()) {
        ctx.sink.warn(
            "conversation-repeated",
            "two conversations of the file have the same id; the later one gets a derived id",
            at.clone(),
        );
        cid = derive_id("gpt-c-", &[&cid, &index.to_string()]);
        ctx.conversation_ids.insert(cid.clone());
    }
    // The id messages are named after: the source's, or the archive's when the source has none.
    let conv_key = cid.strip_prefix("gpt-c-").unwrap_or(&cid).to_owned();

    // The tree.
    let n = nodes.len();
    let mut index_of: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, (k, _)) in nodes.iter().enumerate() {
        index_of.entry(k.as_str()).or_insert(i);
    }
    let parent_key = |i: usize| nodes[i].1.get("parent").and_then(Value::as_str);
    let parent: Vec<Option<usize>> = (0..n)
        .map(|i| {
            parent_key(i)
                .and_then(|p| index_of.get(p).copied())
                .filter(|&p| p != i)
        })
        .collect();
    let mut kids: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, (_, node)) in nodes.iter().enumerate() {
        if let Some(cs) = node.get("children").and_then(Value::as_array) {
            for c in cs.iter().filter_map(Value::as_str) {
                if let Some(&j) = index_of.get(c)
                    && j != i
                    && !kids[i].contains(&j)
                {
                    kids[i].push(j);
                }
            }
        }
    }
    for (j, &p) in parent.iter().enumerate() {
        if let Some(p) = p
            && !kids[p].contains(&j)
        {
            kids[p].push(j);
        }
    }
    let message_of = |i: usize| nodes[i].1.get("message").and_then(Value::as_object);
    let node_time = |i: usize| {
        message_of(i)
            .and_then(|m| m.get("create_time"))
            .and_then(Value::as_f64)
            .unwrap_or(f64::NEG_INFINITY)
    };

    // The visible branch's leaf.
    let current = field(&fields, "current_node");
    let leaf = match current.and_then(Value::as_str) {
        Some(c) if index_of.contains_key(c) => Some(index_of[c]),
        other => {
            let (code, what) = match other {
                Some(_) => (
                    "current-node-dangling",
                    "current_node names no node of the mapping",
                ),
                None => (
                    "current-node-missing",
                    "the conversation has no current_node",
                ),
            };
            let newest = (0..n)
                .filter(|&i| kids[i].is_empty())
                .max_by(|&a, &b| node_time(a).total_cmp(&node_time(b)).then(a.cmp(&b)));
            if n > 0 {
                ctx.sink.warn(
                    code,
                    &format!(
                        "{what}; the most recently created leaf is taken as the visible branch"
                    ),
                    format!("{at}/current_node"),
                );
            }
            newest
        }
    };
    let mut main = Vec::new();
    let mut on_main = vec![false; n];
    if let Some(mut i) = leaf {
        loop {
            if on_main[i] {
                ctx.sink.warn(
                    "tree-cycle",
                    "the parent links of the visible branch form a cycle; the walk stops there",
                    format!("{at}/mapping/{}", pointer_token(&nodes[i].0)),
                );
                break;
            }
            on_main[i] = true;
            main.push(i);
            match parent[i] {
                Some(p) => i = p,
                None => break,
            }
        }
    }
    main.reverse();

    // The order of writing: the visible branch, then the rest depth first from the roots, then
    // whatever only a cycle reaches.
    let mut order: Vec<(usize, Place)> = main.iter().map(|&i| (i, Place::Main)).collect();
    let mut seen = vec![false; n];
    let mut roots: Vec<usize> = main.first().copied().into_iter().collect();
    roots.extend((0..n).filter(|&i| parent[i].is_none() && main.first() != Some(&i)));
    let mut orphans = 0usize;
    let mut cyclic = 0usize;
    let walk = |start: usize,
                first: Place,
                order: &mut Vec<(usize, Place)>,
                seen: &mut Vec<bool>,
                count: &mut usize| {
        let mut stack = vec![(start, first)];
        while let Some((i, place)) = stack.pop() {
            if seen[i] {
                continue;
            }
            seen[i] = true;
            if !on_main[i] {
                order.push((i, place));
                if place != Place::Alternative && message_of(i).is_some() {
                    *count += 1;
                }
            }
            let below = if place == Place::Main || place == Place::Alternative {
                Place::Alternative
            } else {
                place
            };
            for &c in kids[i].iter().rev() {
                if !seen[c] {
                    stack.push((c, if on_main[c] { Place::Main } else { below }));
                }
            }
        }
    };
    for &r in &roots {
        let dangling = parent_key(r).is_some() && !on_main[r];
        let place = if on_main[r] {
            Place::Main
        } else if dangling {
            Place::Orphan
        } else {
            Place::Alternative
        };
        walk(r, place, &mut order, &mut seen, &mut orphans);
    }
    for i in 0..n {
        if !seen[i] {
            walk(i, Place::Cycle, &mut order, &mut seen, &mut cyclic);
        }
    }
    if orphans > 0 {
        ctx.sink.warn(
            "orphan-node",
            "nodes whose parent is not in the mapping are written after the tree, marked orphan",
            format!("{at}/mapping ({orphans} messages)"),
        );
    }
    if cyclic > 0 {
        ctx.sink.warn(
            "tree-cycle",
            "nodes that only a cycle of parent links reaches are written last, marked cycle",
            format!("{at}/mapping ({cyclic} messages)"),
        );
    }

    // Accounts first, then the conversation with its members.
    let mut members = BTreeSet::new();
    for &(i, _) in &order {
        if let Some(m) = message_of(i) {
            members.insert(author_account(ctx, m)?);
        }
    }
    let mut conv = Conversation::new(cid.clone(), "chatgpt", ConversationKind::Direct);
    conv.platform_id = platform_id.clone();
    conv.title = title;
    conv.created = created;
    conv.members = members
        .into_iter()
        .map(|account| Member {
            account,
            roles: Vec::new(),
            nickname: None,
        })
        .collect();
    let mut rest = Map::new();
    for (k, v) in &fields {
        let mapped = match k.as_str() {
            "title" | "conversation_id" => true,
            "create_time" => conv.created.is_some(),
            "id" => Some(v.as_str()) == Some(platform_id.as_deref()),
            _ => false,
        };
        if !mapped && !rest.contains_key(k) {
            rest.insert(k.clone(), v.clone());
        }
    }
    if !rest.is_empty() {
        conv.extensions.insert(NS.into(), Value::Object(rest));
    }
    // Coverage from the messages' own times: the conversation is written before them.
    let mut count = 0u64;
    let mut span: Option<((f64, Time), (f64, Time))> = None;
    for &(i, _) in &order {
        let Some(m) = message_of(i) else { continue };
        count += 1;
        let Some(v) = m.get("create_time") else {
            continue;
        };
        let (Some(x), Some(t)) = (v.as_f64(), float_time(v)) else {
            continue;
        };
        span = Some(match span.take() {
            None => ((x, t.clone()), (x, t)),
            Some((lo, hi)) => (
                if x < lo.0 { (x, t.clone()) } else { lo },
                if x > hi.0 { (x, t) } else { hi },
            ),
        });
    }
    conv.coverage.push(chatport_model::Coverage {
        source: ctx.sink.source_id().to_owned(),
        from: span.as_ref().map(|(lo, _)| lo.1.clone()),
        to: span.map(|(_, hi)| hi.1),
        messages: Some(count),
        complete: None,
    });
    ctx.sink.conversation(conv)?;

    // Messages. No message of one conversation refers to another conversation's: once written,
    // their ids need not be remembered by the import (the validation pass still checks them).
    ctx.sink.begin_scope();
    let mut ordinal = 0u64;
    let mut ids: Vec<Option<String>> = vec![None; n];
    for (i, place) in order {
        let (key, node) = &nodes[i];
        let pointer = format!("/{index}/mapping/{}", pointer_token(key));
        if !node.is_object() {
            // Not a node at all: it may have been a message, so it counts as one, skipped.
            ctx.sink.source_message();
            ctx.sink.skip(
                "malformed-node",
                "a mapping entry that is not a node object",
                format!("{}#{pointer}", ctx.shown),
            );
            continue;
        }
        let msg = match node.get("message") {
            None | Some(Value::Null) => continue,
            Some(Value::Object(m)) => m,
            Some(_) => {
                ctx.sink.source_message();
                ctx.sink.skip(
                    "malformed-node",
                    "a mapping node whose message is not an object",
                    format!("{}#{pointer}/message", ctx.shown),
                );
                continue;
            }
        };
        ctx.sink.source_message();
        ordinal += 1;
        let mut id = make_id(&format!("gpt-m-{conv_key}-"), key);
        let sender = author_account(ctx, msg)?;
        let mut m = Message::new(id.clone(), cid.clone(), ordinal);
        m.platform_id = Some(
            msg.get("id")
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_owned(),
        );
        m.time = msg.get("create_time").and_then(float_time);
        m.sender = Some(sender);
        m.origin = ctx.sink.origin_pointer(&ctx.file, pointer.clone());
        let mut ext = Map::new();
        if let Some(p) = parent_key(i) {
            ext.insert("parent".into(), Value::String(p.to_owned()));
        }
        match place {
            Place::Main => {}
            Place::Alternative => {
                ext.insert("branch".into(), json!("alternative"));
            }
            Place::Orphan => {
                ext.insert("branch".into(), json!("alternative"));
                ext.insert("orphan".into(), json!(true));
            }
            Place::Cycle => {
                ext.insert("branch".into(), json!("alternative"));
                ext.insert("cycle".into(), json!(true));
            }
        }
        if place != Place::Main
            && let Some(p) = parent[i]
            && message_of(p).is_some()
        {
            let target = ids[p].clone().filter(|t| ctx.sink.is_defined(t));
            m.reply_to = Some(Box::new(Reply {
                message: target,
                platform_id: Some(
                    message_of(p)
                        .and_then(|pm| pm.get("id"))
                        .and_then(Value::as_str)
                        .unwrap_or(&nodes[p].0)
                        .to_owned(),
                ),
                quote: None,
                sender_name: None,
            }));
        }
        let meta = msg.get("metadata").and_then(Value::as_object);
        let hidden = meta.is_some_and(|md| {
            md.get("is_visually_hidden_from_conversation") == Some(&Value::Bool(true))
                || md.contains_key("user_context_message_data")
        }) || msg.get("weight").and_then(Value::as_f64) == Some(0.0);
        if hidden {
            ext.insert("hidden".into(), json!(true));
        }
        content(ctx, msg.get("content"), &mut m, &mut ext, &pointer)?;
        uploads(ctx, meta, &mut m, &pointer)?;
        // Every other key of the message, verbatim.
        for (k, v) in msg {
            match k.as_str() {
                "id" | "content" => {}
                "create_time" if m.time.is_some() || v.is_null() => {}
                "author" => {
                    let a = v.as_object();
                    let extra = a.is_none_or(|a| {
                        a.iter().any(|(k, v)| {
                            k != "role"
                                && !v.is_null()
                                && v.as_object().is_none_or(|o| !o.is_empty())
                        })
                    });
                    if extra {
                        ext.insert(k.clone(), v.clone());
                    }
                }
                _ if v.is_null() => {}
                _ => {
                    ext.insert(k.clone(), v.clone());
                }
            }
        }
        for (k, v) in node.as_object().into_iter().flatten() {
            if !matches!(k.as_str(), "id" | "message" | "parent" | "children") {
                ext.insert(format!("node_{k}"), v.clone());
            }
        }
        m.extensions.insert(NS.into(), Value::Object(ext));
        let mut occurrence = 0u32;
        loop {
            if ctx.sink.message_or_taken(&m)? {
                break;
            }
            occurrence += 1;
            id = derive_id(
                &format!("gpt-m-{conv_key}-"),
                &[key, &occurrence.to_string()],
            );
            m.id = id.clone();
        }
        ids[i] = Some(id);
    }
    Ok(())
}

/// Joins text pieces with blank lines, leaving out empty ones.
fn push_text(text: &mut String, piece: &str) {
    if piece.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(piece);
}

/// Maps a message's `content` onto `m`; keeps what has no field under `ext`.
fn content(
    ctx: &mut Ctx,
    content: Option<&Value>,
    m: &mut Message,
    ext: &mut Map<String, Value>,
    pointer: &str,
) -> Result<(), ImportError> {
    let Some(c) = content else {
        return Ok(());
    };
    let Some(obj) = c.as_object() else {
        if let Some(s) = c.as_str() {
            m.text = Some(s.to_owned()).filter(|s| !s.is_empty());
        }
        ext.insert("content".into(), c.clone());
        return Ok(());
    };
    let parts = obj.get("parts").and_then(Value::as_array);
    let kind = obj
        .get("content_type")
        .and_then(Value::as_str)
        .unwrap_or(if parts.is_some() { "text" } else { "" });
    let mut text = String::new();
    let mut keep_raw = true;
    match kind {
        "text" | "multimodal_text" => {
            let only_strings = parts.is_some_and(|p| p.iter().all(Value::is_string));
            for (pi, part) in parts.into_iter().flatten().enumerate() {
                match part {
                    Value::String(s) => push_text(&mut text, s),
                    Value::Object(o) => {
                        let ptype = o.get("content_type").and_then(Value::as_str).unwrap_or("");
                        let transcript = ptype == "audio_transcription"
                            || (ptype.is_empty() && o.contains_key("text"));
                        if transcript && let Some(t) = o.get("text").and_then(Value::as_str) {
                            push_text(&mut text, t);
                        }
                        if let Some(ap) = o.get("asset_pointer").and_then(Value::as_str) {
                            let kind = if ptype.contains("audio") {
                                AttachmentKind::Audio
                            } else if ptype.contains("video") {
                                AttachmentKind::Video
                            } else if ptype.contains("image") {
                                AttachmentKind::Image
                            } else {
                                AttachmentKind::Other
                            };
                            let a = asset(
                                ctx,
                                ap,
                                kind,
                                o,
                                &format!("{pointer}/message/content/parts/{pi}"),
                            )?;
                            m.attachments.push(a);
                        }
                    }
                    _ => {}
                }
            }
            // Plain text with its one or more string parts is wholly in `text` (parts joined by
            // blank lines; several parts keep the content whole too).
            // Plain text needs no raw copy, unless the content carries more than its parts.
            let only_parts = obj
                .keys()
                .all(|k| matches!(k.as_str(), "content_type" | "parts"));
            keep_raw = !(kind == "text"
                && only_strings
                && only_parts
                && parts.is_some_and(|p| p.len() <= 1));
        }
        "code" => {
            let t = obj.get("text").and_then(Value::as_str).unwrap_or("");
            text.push_str(t);
            if !t.is_empty() {
                let language = obj
                    .get("language")
                    .and_then(Value::as_str)
                    .filter(|l| !l.is_empty() && *l != "unknown")
                    .map(str::to_owned);
                m.spans.push(Span {
                    kind: SpanKind::Pre,
                    start: 0,
                    end: t.chars().count() as u64,
                    url: None,
                    account: None,
                    conversation: None,
                    language,
                    name: None,
                });
            }
        }
        "thoughts" => {
            for th in obj
                .get("thoughts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(s) = th.get("summary").and_then(Value::as_str) {
                    push_text(&mut text, s);
                }
                if let Some(s) = th.get("content").and_then(Value::as_str) {
                    push_text(&mut text, s);
                }
            }
        }
        "reasoning_recap" => {
            if let Some(s) = obj.get("content").and_then(Value::as_str) {
                text.push_str(s);
            }
        }
        _ => {
            // execution_output, system_error, tether_quote, tether_browsing_display and types
            // chatport does not know: their text, if any.
            if let Some(s) = obj.get("text").and_then(Value::as_str) {
                text.push_str(s);
            } else if let Some(s) = obj.get("result").and_then(Value::as_str) {
                text.push_str(s);
            }
        }
    }
    if !text.is_empty() {
        m.text = Some(text);
    }
    // Only the source's own content type: a minimal file's missing one stays missing.
    if obj.contains_key("content_type") {
        ext.insert("content_type".into(), Value::String(kind.to_owned()));
    }
    if keep_raw {
        ext.insert("content".into(), c.clone());
    }
    Ok(())
}

/// Files the user uploaded, listed in `metadata.attachments` (`{id, name, size, mimeType}`):
/// attachments, unless an asset pointer of the content named the same file already. The list
/// itself stays in the message's extensions with the rest of the metadata.
fn uploads(
    ctx: &mut Ctx,
    meta: Option<&Map<String, Value>>,
    m: &mut Message,
    pointer: &str,
) -> Result<(), ImportError> {
    let Some(list) = meta
        .and_then(|md| md.get("attachments"))
        .and_then(Value::as_array)
    else {
        return Ok(());
    };
    for (i, up) in list.iter().enumerate() {
        let Some(id) = up
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let mime = up
            .get("mimeType")
            .or_else(|| up.get("mime_type"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let name = up.get("name").and_then(Value::as_str).map(str::to_owned);
        let named = m.attachments.iter_mut().find(|a| {
            a.extensions
                .get(NS)
                .and_then(|e| e.get("asset_pointer"))
                .and_then(Value::as_str)
                .is_some_and(|p| p.rsplit_once("://").map_or(p, |(_, r)| r) == id)
        });
        if let Some(a) = named {
            // The pointer's file, with the name the user uploaded it under.
            if name.is_some() {
                a.original_name = name;
            }
            if a.mime_type.is_none() {
                a.mime_type = mime;
            }
            continue;
        }
        let kind = match mime.as_deref() {
            Some(t) if t.starts_with("image/") => AttachmentKind::Image,
            Some(t) if t.starts_with("audio/") => AttachmentKind::Audio,
            Some(t) if t.starts_with("video/") => AttachmentKind::Video,
            _ => AttachmentKind::File,
        };
        let mut a = match ctx.assets.get(id).cloned() {
            Some(entry) => ctx.sink.attach_entry(ctx.input, &entry, kind)?,
            None => {
                ctx.sink.warn(
                    "media-not-in-export",
                    "a file the conversation points to is not in the export; kept as a missing attachment",
                    format!("{}#{pointer}/message/metadata/attachments/{i}", ctx.shown),
                );
                Attachment::missing(kind, Some(format!("not in the export: {id}")))
            }
        };
        if name.is_some() {
            a.original_name = name;
        }
        a.mime_type = mime;
        a.width = up.get("width").and_then(Value::as_u64);
        a.height = up.get("height").and_then(Value::as_u64);
        a.extensions
            .insert(NS.into(), json!({ "uploaded": true, "id": id }));
        m.attachments.push(a);
    }
    Ok(())
}

/// An attachment for an asset pointer (`file-service://file-abc`, `sediment://file_abc`):
/// copied when the export holds the file, otherwise missing with the pointer as the reason.
fn asset(
    ctx: &mut Ctx,
    pointer_url: &str,
    kind: AttachmentKind,
    part: &Map<String, Value>,
    at: &str,
) -> Result<Attachment, ImportError> {
    let id = pointer_url
        .rsplit_once("://")
        .map_or(pointer_url, |(_, rest)| rest);
    let mut a = match ctx.assets.get(id).cloned() {
        Some(entry) => ctx.sink.attach_entry(ctx.input, &entry, kind)?,
        None => {
            ctx.sink.warn(
                "media-not-in-export",
                "a file the conversation points to is not in the export; kept as a missing attachment",
                format!("{}#{at}", ctx.shown),
            );
            Attachment::missing(kind, Some(format!("not in the export: {pointer_url}")))
        }
    };
    a.width = part.get("width").and_then(Value::as_u64);
    a.height = part.get("height").and_then(Value::as_u64);
    if let Some(d) = part
        .get("metadata")
        .and_then(|md| md.get("duration"))
        .and_then(Value::as_f64)
    {
        a.duration_seconds = Some(d);
    }
    let mut rest = part.clone();
    rest.remove("width");
    rest.remove("height");
    a.extensions.insert(NS.into(), Value::Object(rest));
    Ok(a)
}
