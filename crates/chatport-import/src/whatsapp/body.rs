//! What a WhatsApp message body means: plain text, a media file (attached or left out), a
//! deleted-message placeholder, an edit marker, a poll, a location, a call, or a system event.
//! The markers are localized; the tables below hold the forms seen in real exports, and anything
//! not recognised stays text, so nothing is lost.

use chatport_model::{
    AttachmentKind, Call, CallMedia, CallOutcome, EventKind, Location, Poll, PollOption,
};

/// Android's "media left out" bodies, compared without case.
const OMITTED: &[&str] = &[
    "<Media omitted>",
    "<Medien ausgelassen>",
    "<Médias omis>",
    "<Archivo omitido>",
    "<Multimedia omitido>",
    "<Mídia oculta>",
    "<Arquivo de mídia oculto>",
    "<Media eliminati>",
    "<Media weggelaten>",
    "<Medien weggelassen>",
    "<メディアなし>",
    "<媒体省略>",
    "<省略多媒體檔案>",
    "<Медиа пропущены>",
    "<Медиафайл пропущен>",
    "<Medya dahil edilmedi>",
    "<Media dihilangkan>",
    "<미디어 파일 생략>",
    "<Pominięto multimedia>",
    "<Média vynechána>",
    "<ไม่รวมสื่อ>",
    "<Media tidak disertakan>",
    "<Medier udeladt>",
    "<Media utelatt>",
    "<Media utelämnad>",
    "<Mediaa ei sisällytetty>",
];

/// iOS's "… omitted" bodies and the kind of media they stand for.
const IOS_OMITTED: &[(&str, AttachmentKind)] = &[
    ("image omitted", AttachmentKind::Image),
    ("video omitted", AttachmentKind::Video),
    ("audio omitted", AttachmentKind::Audio),
    ("sticker omitted", AttachmentKind::Sticker),
    ("GIF omitted", AttachmentKind::Gif),
    ("document omitted", AttachmentKind::File),
    ("Contact card omitted", AttachmentKind::ContactCard),
    ("görüntü dahil edilmedi", AttachmentKind::Image),
    ("video dahil edilmedi", AttachmentKind::Video),
    ("ses dahil edilmedi", AttachmentKind::Audio),
    ("Bild weggelassen", AttachmentKind::Image),
    ("Video weggelassen", AttachmentKind::Video),
    ("Audio weggelassen", AttachmentKind::Audio),
    ("Sticker weggelassen", AttachmentKind::Sticker),
    ("imagen omitida", AttachmentKind::Image),
    ("video omitido", AttachmentKind::Video),
    ("audio omitido", AttachmentKind::Audio),
    ("sticker omitido", AttachmentKind::Sticker),
    ("image absente", AttachmentKind::Image),
    ("vidéo absente", AttachmentKind::Video),
    ("audio omis", AttachmentKind::Audio),
    ("imagem ocultada", AttachmentKind::Image),
    ("vídeo omitido", AttachmentKind::Video),
    ("immagine omessa", AttachmentKind::Image),
    ("video omesso", AttachmentKind::Video),
];

/// Android's "(file attached)" suffixes.
const FILE_ATTACHED: &[&str] = &[
    "(file attached)",
    "(Datei angehängt)",
    "(archivo adjunto)",
    "(fichier joint)",
    "(arquivo anexado)",
    "(file allegato)",
    "(bestand bijgevoegd)",
    "(ファイル添付)",
    "(附件)",
    "(файл прикреплен)",
    "(файл прикреплён)",
    "(dosya ekli)",
    "(plik załączony)",
    "(fil vedhæftet)",
    "(fil bifogad)",
    "(tiedosto liitetty)",
    "(file terlampir)",
    "(파일 첨부됨)",
    "(ไฟล์แนบ)",
];

/// Deleted-message placeholders.
const DELETED: &[&str] = &[
    "This message was deleted",
    "This message was deleted.",
    "You deleted this message",
    "You deleted this message.",
    "Diese Nachricht wurde gelöscht.",
    "Diese Nachricht wurde gelöscht",
    "Du hast diese Nachricht gelöscht.",
    "Se eliminó este mensaje.",
    "Eliminaste este mensaje.",
    "Este mensaje fue eliminado",
    "Ce message a été supprimé",
    "Ce message a été supprimé.",
    "Vous avez supprimé ce message",
    "Esta mensagem foi apagada",
    "Você apagou esta mensagem",
    "Questo messaggio è stato eliminato",
    "Hai eliminato questo messaggio",
    "Dit bericht is verwijderd",
    "Je hebt dit bericht verwijderd",
    "Это сообщение удалено",
    "Вы удалили это сообщение",
    "Bu mesaj silindi",
    "このメッセージは削除されました",
    "此消息已删除",
    "此訊息已刪除",
    "삭제된 메시지입니다",
];

/// Edit markers at the end of a body.
const EDITED: &[&str] = &[
    "<This message was edited>",
    "<Diese Nachricht wurde bearbeitet>",
    "<Se editó este mensaje.>",
    "<Ce message a été modifié>",
    "<Esta mensagem foi editada>",
    "<Questo messaggio è stato modificato>",
    "<Dit bericht is bewerkt>",
    "<Сообщение изменено>",
    "<Bu mesaj düzenlendi>",
    "<メッセージが編集されました>",
    "<已编辑此消息>",
];

/// A body, understood.
#[derive(Debug, Default)]
pub struct Body<'a> {
    /// The text to keep as the message's text (a caption for media), a part of the body.
    pub text: Option<&'a str>,
    /// Media: (kind, a file name the body names if any, the placeholder when left out).
    pub media: Vec<Media>,
    /// The deleted placeholder, when the body is one.
    pub deleted: Option<String>,
    /// True when the body carried an edit marker.
    pub edited: bool,
    /// A location.
    pub location: Option<Box<Location>>,
    /// A poll.
    pub poll: Option<Box<Poll>>,
    /// A call.
    pub call: Option<Box<Call>>,
    /// True when the body's words are not all kept by the fields above (an attachment marker's
    /// wording, an edit marker, a poll's layout): the importer then keeps the body verbatim.
    pub transformed: bool,
}

/// A media item a body names.
#[derive(Debug)]
pub struct Media {
    /// Its kind.
    pub kind: AttachmentKind,
    /// The file name, when the body gives one.
    pub file: Option<String>,
    /// The body's words for media left out, verbatim.
    pub omitted: Option<String>,
}

fn strip_lrm(s: &str) -> &str {
    s.trim_start_matches('\u{200E}')
}

/// The kind of a media file, from WhatsApp's own names (`IMG-`, `PTT-`, `…-PHOTO-…`) or its
/// extension.
pub fn kind_of_file(name: &str) -> AttachmentKind {
    let upper = name.to_ascii_uppercase();
    let ext = upper.rsplit('.').next().unwrap_or("");
    if upper.starts_with("PTT-") || upper.contains("-PTT-") {
        return AttachmentKind::Voice;
    }
    if upper.starts_with("STK-") || upper.contains("-STICKER-") {
        return AttachmentKind::Sticker;
    }
    if upper.contains("-GIF-") || ext == "GIF" {
        return AttachmentKind::Gif;
    }
    if upper.starts_with("IMG-") || upper.contains("-PHOTO-") {
        return AttachmentKind::Image;
    }
    if upper.starts_with("VID-") || upper.contains("-VIDEO-") {
        return AttachmentKind::Video;
    }
    if upper.starts_with("AUD-") || upper.contains("-AUDIO-") {
        return AttachmentKind::Audio;
    }
    match ext {
        "JPG" | "JPEG" | "PNG" | "HEIC" | "WEBP" | "BMP" => AttachmentKind::Image,
        "MP4" | "MOV" | "3GP" | "MKV" | "AVI" => AttachmentKind::Video,
        "OPUS" | "OGG" | "M4A" | "MP3" | "AAC" | "WAV" | "AMR" => AttachmentKind::Audio,
        "VCF" => AttachmentKind::ContactCard,
        _ => AttachmentKind::File,
    }
}

fn looks_like_file(name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() || name.len() > 255 || name.contains(['/', '\n', '<', '>']) {
        return false;
    }
    match name.rsplit_once('.') {
        Some((_, ext)) => {
            (1..=5).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// Understands `body` (the text after the author, continuation lines joined with `\n`).
pub fn parse(body: &str) -> Body<'_> {
    let mut b = Body::default();
    let mut rest: &str = strip_lrm(body);
    // A trailing edit marker.
    let trimmed = rest.trim_end();
    // Markers are rare: cheap tests of the body's ends and length rule most bodies out before
    // the tables are searched.
    let edits = if trimmed.ends_with('>') { EDITED } else { &[] };
    for m in edits {
        if let Some(before) = trimmed.strip_suffix(m) {
            b.edited = true;
            b.transformed = true;
            rest = before.trim_end_matches([' ', '\u{200E}']);
            break;
        }
    }
    let whole = rest.trim();
    let short = whole.len() <= 64;
    if short && OMITTED.iter().any(|o| o.eq_ignore_ascii_case(whole)) {
        b.media.push(Media {
            kind: AttachmentKind::Other,
            file: None,
            omitted: Some(whole.to_owned()),
        });
        return b;
    }
    if let Some((word, kind)) = IOS_OMITTED
        .iter()
        .filter(|_| short)
        .find(|(w, _)| w.eq_ignore_ascii_case(whole))
    {
        let _ = word;
        b.media.push(Media {
            kind: *kind,
            file: None,
            omitted: Some(whole.to_owned()),
        });
        return b;
    }
    if short && DELETED.contains(&whole) {
        b.deleted = Some(whole.to_owned());
        return b;
    }
    if whole == "null" {
        // View-once media: the export writes the word null in its place.
        b.media.push(Media {
            kind: AttachmentKind::Other,
            file: None,
            omitted: Some("null".into()),
        });
        return b;
    }
    if short && let Some(call) = call(whole) {
        b.call = Some(Box::new(call));
        b.text = Some(whole);
        return b;
    }
    // iOS: "[caption ]<attached: NAME>" (the word is localized; CJK may use a full-width colon).
    if whole.ends_with('>')
        && let Some(open) = whole.rfind('<')
    {
        let tail = &whole[open..];
        if let Some(inner) = tail.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
            let sep = inner
                .find(": ")
                .map(|i| (i, 2))
                .or_else(|| inner.find('：').map(|i| (i, '：'.len_utf8())));
            if let Some((i, n)) = sep {
                let word = &inner[..i];
                let file = inner[i + n..].trim();
                if word.chars().count() <= 24 && !word.contains('<') && looks_like_file(file) {
                    b.media.push(Media {
                        kind: kind_of_file(file),
                        file: Some(file.to_owned()),
                        omitted: None,
                    });
                    let caption = whole[..open].trim_end_matches([' ', '\u{200E}']);
                    b.text = (!caption.is_empty()).then_some(caption);
                    b.transformed = true;
                    return b;
                }
            }
        }
    }
    // Android: "NAME (file attached)" on the first line, caption on the following lines.
    let (first, more) = match whole.split_once('\n') {
        Some((f, m)) => (f, Some(m)),
        None => (whole, None),
    };
    let suffixes = if first.trim_end().ends_with(')') {
        FILE_ATTACHED
    } else {
        &[]
    };
    for suffix in suffixes {
        if let Some(name) = first.trim_end().strip_suffix(suffix) {
            let name = name.trim_end();
            if looks_like_file(name) {
                b.media.push(Media {
                    kind: kind_of_file(name),
                    file: Some(name.to_owned()),
                    omitted: None,
                });
                b.text = more.filter(|m| !m.is_empty());
                b.transformed = true;
                return b;
            }
        }
    }
    if whole.starts_with(['l', 'L'])
        && let Some(loc) = location(whole)
    {
        b.location = Some(Box::new(loc));
        b.text = Some(whole);
        return b;
    }
    if whole.starts_with("POLL:")
        && let Some(poll) = poll(whole)
    {
        b.poll = Some(Box::new(poll));
        b.transformed = true;
        return b;
    }
    b.text = (!rest.is_empty()).then_some(rest);
    b
}

fn call(s: &str) -> Option<Call> {
    let (media, outcome) = match s {
        "Missed voice call" => (CallMedia::Voice, Some(CallOutcome::Missed)),
        "Missed video call" => (CallMedia::Video, Some(CallOutcome::Missed)),
        "Missed group voice call" => (CallMedia::Voice, Some(CallOutcome::Missed)),
        "Missed group video call" => (CallMedia::Video, Some(CallOutcome::Missed)),
        "Voice call" | "Group voice call" => (CallMedia::Voice, None),
        "Video call" | "Group video call" => (CallMedia::Video, None),
        "Silenced voice call" => (CallMedia::Voice, Some(CallOutcome::Missed)),
        _ => return None,
    };
    Some(Call {
        media,
        outcome,
        duration_seconds: None,
        ended: None,
        participants: Vec::new(),
    })
}

fn location(s: &str) -> Option<Location> {
    let lower = s.get(..9)?.to_ascii_lowercase();
    let url = if lower.starts_with("location:") {
        s[9..].trim()
    } else if s.starts_with("live location shared") {
        return Some(Location {
            latitude: None,
            longitude: None,
            name: None,
            address: None,
            url: None,
            live_seconds: None,
        });
    } else {
        return None;
    };
    if !url.starts_with("https://") || url.contains(char::is_whitespace) {
        return None;
    }
    let mut loc = Location {
        latitude: None,
        longitude: None,
        name: None,
        address: None,
        url: Some(url.to_owned()),
        live_seconds: None,
    };
    if let Some(q) = url
        .split_once("q=")
        .map(|(_, q)| q.split('&').next().unwrap_or(q))
        && let Some((la, lo)) = q.split_once(',')
        && let (Ok(la), Ok(lo)) = (la.parse::<f64>(), lo.parse::<f64>())
        && (-90.0..=90.0).contains(&la)
        && (-180.0..=180.0).contains(&lo)
    {
        loc.latitude = Some(la);
        loc.longitude = Some(lo);
    }
    Some(loc)
}

fn poll(s: &str) -> Option<Poll> {
    let mut lines = s.lines();
    let first = lines.next()?.trim();
    let question = if first == "POLL:" {
        lines.next()?.trim().to_owned()
    } else {
        first.strip_prefix("POLL:")?.trim().to_owned()
    };
    let mut options = Vec::new();
    for l in lines {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        let o = l.strip_prefix("OPTION:")?.trim();
        // "text (3 votes)" / "(1 vote)"
        let (text, votes) = match o.rsplit_once(" (") {
            Some((t, v)) if v.ends_with(" votes)") || v.ends_with(" vote)") => {
                let n = v.split(' ').next().and_then(|n| n.parse::<u64>().ok());
                (t, n)
            }
            _ => (o, None),
        };
        options.push(PollOption {
            text: text.to_owned(),
            votes,
            voters: Vec::new(),
            chosen: None,
        });
    }
    (!options.is_empty()).then_some(Poll {
        question,
        options,
        multiple: None,
        closed: None,
        total_voters: None,
    })
}

/// A system line understood: its kind, and the names it mentions where the wording is known.
#[derive(Debug, PartialEq)]
pub struct System {
    /// What happened.
    pub kind: EventKind,
    /// A short name for the wording matched (kept as the event's `platform_kind`).
    pub platform_kind: &'static str,
    /// The acting person's name, where the wording gives it (`You` included).
    pub actor: Option<String>,
    /// The names it happened to.
    pub targets: Vec<String>,
    /// The new value (a group name).
    pub new_value: Option<String>,
    /// The old value.
    pub old_value: Option<String>,
}

fn quoted(s: &str) -> Option<String> {
    let open = s.find(['"', '“'])?;
    let q = s[open..].chars().next()?;
    let close = if q == '“' { '”' } else { '"' };
    let inner = &s[open + q.len_utf8()..];
    let end = inner.rfind(close)?;
    Some(inner[..end].to_owned())
}

fn names(s: &str) -> Vec<String> {
    s.split([','])
        .flat_map(|p| p.split(" and "))
        .map(|p| p.trim().trim_end_matches('.').to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Classifies a system line. Unknown wording gives `EventKind::Other`; the caller keeps the text.
pub fn system(line: &str) -> System {
    let s = strip_lrm(line).trim();
    let mut sys = System {
        kind: EventKind::Other,
        platform_kind: "other",
        actor: None,
        targets: Vec::new(),
        new_value: None,
        old_value: None,
    };
    let set = |sys: &mut System, kind, pk| {
        sys.kind = kind;
        sys.platform_kind = pk;
    };
    if s.starts_with("Messages and calls are end-to-end encrypted")
        || s.starts_with("Messages to this group are now secured")
        || s.starts_with("Messages you send to this group are now secured")
        || s.starts_with("Messages to this chat and calls are now secured")
        || s.starts_with("Messages you send to this chat and calls are now secured")
        || s.starts_with("This business uses a secure service")
        || s.starts_with("This chat is with a business account")
        || s.starts_with("Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt")
        || s.starts_with("Los mensajes y las llamadas están cifrados de extremo a extremo")
        || s.starts_with("Les messages et les appels sont chiffrés de bout en bout")
    {
        set(&mut sys, EventKind::EncryptionNotice, "encryption");
    } else if let Some((who, rest)) = s.split_once(" created group ") {
        set(&mut sys, EventKind::Created, "created_group");
        sys.actor = Some(who.to_owned());
        sys.new_value = quoted(rest).or_else(|| Some(rest.to_owned()));
    } else if let Some(who) = s.strip_suffix(" created this group") {
        set(&mut sys, EventKind::Created, "created_group");
        sys.actor = Some(who.to_owned());
    } else if let Some(who) = s.strip_suffix(" joined using this group's invite link") {
        set(&mut sys, EventKind::Joined, "joined_by_link");
        sys.targets = vec![who.to_owned()];
    } else if let Some(who) = s.strip_suffix(" joined using your invite link") {
        set(&mut sys, EventKind::Joined, "joined_by_link");
        sys.targets = vec![who.to_owned()];
    } else if let Some(who) = s.strip_suffix(" joined") {
        set(&mut sys, EventKind::Joined, "joined");
        sys.targets = vec![who.to_owned()];
    } else if let Some(who) = s.strip_suffix(" left") {
        set(&mut sys, EventKind::Left, "left");
        sys.targets = vec![who.to_owned()];
    } else if s == "You were added" {
        set(&mut sys, EventKind::Added, "added");
        sys.targets = vec!["You".into()];
    } else if let Some(who) = s.strip_suffix(" added you") {
        set(&mut sys, EventKind::Added, "added");
        sys.actor = Some(who.to_owned());
        sys.targets = vec!["You".into()];
    } else if let Some((who, rest)) = s.split_once(" changed the subject from ") {
        set(&mut sys, EventKind::Renamed, "changed_subject");
        sys.actor = Some(who.to_owned());
        if let Some((old, new)) = rest.split_once(" to ") {
            sys.old_value = quoted(old);
            sys.new_value = quoted(new);
        }
    } else if let Some((who, rest)) = s
        .split_once(" changed the group name to ")
        .or_else(|| s.split_once(" changed the subject to "))
        .or_else(|| s.split_once(" changed this group's name to "))
    {
        set(&mut sys, EventKind::Renamed, "changed_subject");
        sys.actor = Some(who.to_owned());
        sys.new_value = quoted(rest).or_else(|| Some(rest.to_owned()));
    } else if let Some(who) = s
        .strip_suffix(" changed this group's icon")
        .or_else(|| s.strip_suffix(" changed the group icon"))
        .or_else(|| s.strip_suffix(" deleted this group's icon"))
        .or_else(|| s.strip_suffix(" changed the group photo"))
    {
        set(&mut sys, EventKind::PhotoChanged, "changed_icon");
        sys.actor = Some(who.to_owned());
    } else if let Some(who) = s
        .strip_suffix(" changed the group description")
        .or_else(|| s.strip_suffix(" deleted the group description"))
    {
        set(
            &mut sys,
            EventKind::DescriptionChanged,
            "changed_description",
        );
        sys.actor = Some(who.to_owned());
    } else if s.contains("security code") && s.contains("changed") {
        set(
            &mut sys,
            EventKind::SecurityCodeChanged,
            "security_code_changed",
        );
    } else if s.contains("changed their phone number") || s.contains(" changed to +") {
        set(&mut sys, EventKind::NumberChanged, "number_changed");
    } else if s.contains("disappearing messages") || s.contains("Disappearing messages") {
        set(
            &mut sys,
            EventKind::DisappearingTimer,
            "disappearing_messages",
        );
    } else if let Some(who) = s.strip_suffix(" pinned a message") {
        set(&mut sys, EventKind::Pinned, "pinned");
        sys.actor = Some(who.to_owned());
    } else if let Some((who, whom)) = s.split_once(" removed ") {
        set(&mut sys, EventKind::Removed, "removed");
        sys.actor = Some(who.to_owned());
        sys.targets = names(whom);
    } else if let Some((who, whom)) = s.split_once(" added ") {
        set(&mut sys, EventKind::Added, "added");
        sys.actor = Some(who.to_owned());
        sys.targets = names(whom);
    } else if let Some((who, _)) = s
        .split_once(" hat die Gruppe ")
        .filter(|_| s.ends_with(" erstellt"))
    {
        set(&mut sys, EventKind::Created, "created_group");
        sys.actor = Some(who.to_owned());
    } else if let Some((who, _)) = s.split_once(" creó el grupo") {
        set(&mut sys, EventKind::Created, "created_group");
        sys.actor = Some(who.to_owned());
    }
    sys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_markers() {
        let b = parse("\u{200E}<attached: 00000001-PHOTO-2019-06-20-16-00-15.jpg>");
        assert_eq!(b.media[0].kind, AttachmentKind::Image);
        assert_eq!(b.text, None);
        let b = parse("Look \u{200E}<Anhang: 00000002-VIDEO-2019.mp4>");
        assert_eq!(
            (b.media[0].kind, b.text),
            (AttachmentKind::Video, Some("Look"))
        );
        let b = parse("PTT-20241202-WA0002.opus (file attached)\nlisten");
        assert_eq!(
            (b.media[0].kind, b.text),
            (AttachmentKind::Voice, Some("listen"))
        );
        let b = parse(".jpg (ファイル添付)");
        assert_eq!(b.media[0].file.as_deref(), Some(".jpg"));
        let b = parse("<media omitted>");
        assert_eq!(b.media[0].omitted.as_deref(), Some("<media omitted>"));
        let b = parse("\u{200E}sticker omitted");
        assert_eq!(b.media[0].kind, AttachmentKind::Sticker);
        // Text that only mentions a marker stays text.
        let b = parse("they wrote <attached: nothing> here");
        assert!(b.media.is_empty());
    }

    #[test]
    fn deleted_edited_poll_location() {
        assert_eq!(
            parse("This message was deleted").deleted.as_deref(),
            Some("This message was deleted")
        );
        let b = parse("see you \u{200E}<This message was edited>");
        assert!(b.edited);
        assert_eq!(b.text, Some("see you"));
        let b = parse("POLL:\nLunch?\nOPTION: Pizza (2 votes)\nOPTION: Sushi (0 votes)");
        let p = b.poll.unwrap();
        assert_eq!(
            (p.question.as_str(), p.options.len(), p.options[0].votes),
            ("Lunch?", 2, Some(2))
        );
        let b = parse("location: https://maps.google.com/?q=52.52,13.405");
        let l = b.location.unwrap();
        assert_eq!((l.latitude, l.longitude), (Some(52.52), Some(13.405)));
    }

    #[test]
    fn system_lines() {
        let s = system("Loris created group “WhatsApp Chat Parser Example”");
        assert_eq!(
            (s.kind, s.actor.as_deref(), s.new_value.as_deref()),
            (
                EventKind::Created,
                Some("Loris"),
                Some("WhatsApp Chat Parser Example")
            )
        );
        let s = system("Sarah added Mom, Dad, Jake");
        assert_eq!(s.targets, vec!["Mom", "Dad", "Jake"]);
        assert_eq!(system("Bob left").kind, EventKind::Left);
        assert_eq!(
            system("Alice's security code with Bob changed. Tap to learn more.").kind,
            EventKind::SecurityCodeChanged
        );
        assert_eq!(system("Something new happened").kind, EventKind::Other);
    }
}
