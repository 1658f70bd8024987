//! The writer refuses what a validator would reject: taken ids, references to records not yet
//! written (or of the wrong kind), and ordinals out of order; it writes nothing for them.

use chatport_model::{
    Account, ArchiveWriter, Conversation, ConversationKind, Header, Message, WriteError,
};

fn start() -> ArchiveWriter<Vec<u8>> {
    let mut w = ArchiveWriter::new(Vec::new(), &Header::new("test", None)).unwrap();
    w.account(&Account::new("a1", "whatsapp")).unwrap();
    w.conversation(&Conversation::new(
        "c1",
        "whatsapp",
        ConversationKind::Group,
    ))
    .unwrap();
    w
}

#[test]
fn refuses_bad_records_and_writes_nothing_for_them() {
    let mut w = start();
    let mut m = Message::new("m1", "c1", 5);
    m.sender = Some("a2".into());
    assert!(matches!(
        w.message(&m),
        Err(WriteError::BadReference { .. })
    ));
    m.sender = Some("c1".into());
    assert!(
        matches!(w.message(&m), Err(WriteError::BadReference { .. })),
        "a conversation is no sender"
    );
    m.sender = Some("a1".into());
    w.message(&m).unwrap();
    assert!(matches!(
        w.message(&Message::new("m2", "c1", 5)),
        Err(WriteError::OrdinalOrder { .. })
    ));
    assert!(matches!(
        w.message(&Message::new("m1", "c1", 6)),
        Err(WriteError::DuplicateId { .. })
    ));
    assert!(matches!(
        w.account(&Account::new("c1", "x")),
        Err(WriteError::DuplicateId { .. })
    ));
    assert_eq!(w.records_written(), 4);
    let out = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(out.lines().count(), 4);
    assert!(
        out.lines().all(|l| l.starts_with("{\"type\":\"")),
        "type comes first on every line"
    );
}

#[test]
fn a_scope_forgets_its_messages_but_not_accounts_or_conversations() {
    use chatport_model::{
        Account, ArchiveWriter, Conversation, ConversationKind, Header, Message, Reply,
    };
    let mut w = ArchiveWriter::new(Vec::new(), &Header::new("t", None)).unwrap();
    w.account(&Account::new("a", "x")).unwrap();
    w.conversation(&Conversation::new("c1", "x", ConversationKind::Direct))
        .unwrap();
    w.begin_scope();
    w.message(&Message::new("m1", "c1", 1)).unwrap();
    let mut reply = Message::new("m2", "c1", 2);
    reply.reply_to = Some(Box::new(Reply {
        message: Some("m1".into()),
        platform_id: None,
        quote: None,
        sender_name: None,
    }));
    w.message(&reply).unwrap();
    w.end_scope();
    assert!(!w.is_defined("m1") && !w.is_defined("m2"));
    assert!(w.is_defined("a") && w.is_defined("c1"));
    // A later record referring to a forgotten message is refused.
    let mut late = Message::new("m3", "c1", 3);
    late.reply_to = Some(Box::new(Reply {
        message: Some("m1".into()),
        platform_id: None,
        quote: None,
        sender_name: None,
    }));
    assert!(w.message(&late).is_err());
    late.reply_to = None;
    w.message(&late).unwrap();
}

/// A vouched message is checked like any other (its conversation, sender and ordinal) but its
/// id is neither looked up nor kept: a reply to it must be vouched for too.
#[test]
fn vouched_messages_are_checked_but_not_remembered() {
    let mut w = start();
    let mut m = Message::new("m1", "c1", 1);
    m.sender = Some("a2".into());
    assert!(
        matches!(w.message_vouched(&m), Err(WriteError::BadReference { .. })),
        "an unknown sender is still refused"
    );
    m.sender = Some("a1".into());
    w.message_vouched(&m).unwrap();
    assert!(!w.is_defined("m1"), "the vouched id is not kept");
    assert!(matches!(
        w.message_vouched(&Message::new("m2", "c1", 1)),
        Err(WriteError::OrdinalOrder { .. })
    ));
    let mut reply = Message::new("m2", "c1", 2);
    reply.reply_to = Some(Box::new(chatport_model::Reply {
        message: Some("m1".into()),
        platform_id: None,
        quote: None,
        sender_name: None,
    }));
    assert!(
        matches!(w.message(&reply), Err(WriteError::BadReference { .. })),
        "a checked reply cannot see the vouched message"
    );
    w.message_vouched(&reply).unwrap();
    let out = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(
        out.lines().count(),
        5,
        "header, account, conversation, two messages"
    );
}

/// Records are gathered in a buffer and written out in large pieces; dropping the writer
/// without `finish` still writes them, as a `BufWriter` does.
#[test]
fn a_dropped_writer_writes_what_it_gathered() {
    let mut out = Vec::new();
    {
        let mut w = ArchiveWriter::new(&mut out, &Header::new("test", None)).unwrap();
        w.account(&Account::new("a1", "whatsapp")).unwrap();
    }
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 2);
}
