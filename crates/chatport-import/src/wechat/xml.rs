//! Just enough XML for what WeChat keeps in a message's content column: the text of an element,
//! an attribute of an element, CDATA and the five entities. WeChat's XML is machine-written and
//! shallow; a missing or odd element gives `None`, never an error, and the raw text is kept
//! beside whatever is read from it.

/// The start of the first `<tag` (followed by `>`, `/` or whitespace) at or after `from`.
fn find_start(xml: &str, tag: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let i = at + xml.get(at..)?.find('<')?;
        let rest = &xml[i + 1..];
        if let Some(after) = rest.strip_prefix(tag)
            && after
                .chars()
                .next()
                .is_some_and(|c| c == '>' || c == '/' || c.is_whitespace())
        {
            return Some(i);
        }
        at = i + 1;
    }
}

/// The raw inside of the first `<tag ...>...</tag>` element (empty for `<tag/>`).
pub(crate) fn inner<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = find_start(xml, tag, 0)?;
    let open_end = start + xml[start..].find('>')?;
    if xml[..open_end].ends_with('/') {
        return Some("");
    }
    let body = &xml[open_end + 1..];
    let close = format!("</{tag}>");
    let end = body.find(&close)?;
    Some(&body[..end])
}

/// The text of the first `<tag>` element: CDATA as is, otherwise with entities decoded.
pub(crate) fn text(xml: &str, tag: &str) -> Option<String> {
    let raw = inner(xml, tag)?.trim();
    let s = if let Some(c) = raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
    {
        c.to_owned()
    } else {
        unescape(raw)
    };
    Some(s)
}

/// Like [`text`], `None` when empty.
pub(crate) fn text_nonempty(xml: &str, tag: &str) -> Option<String> {
    text(xml, tag).filter(|s| !s.trim().is_empty())
}

/// The value of attribute `name` on the first `<tag ...>` element, entities decoded.
pub(crate) fn attr(xml: &str, tag: &str, name: &str) -> Option<String> {
    let start = find_start(xml, tag, 0)?;
    let open = &xml[start..start + xml[start..].find('>')?];
    let mut at = 0;
    while let Some(i) = open[at..].find(name) {
        let i = at + i;
        let before_ok = open[..i].ends_with(|c: char| c.is_whitespace());
        let after = open[i + name.len()..].trim_start();
        if before_ok && let Some(v) = after.strip_prefix('=') {
            let v = v.trim_start();
            let q = v.chars().next()?;
            if q == '"' || q == '\'' {
                let end = v[1..].find(q)?;
                return Some(unescape(&v[1..1 + end]));
            }
        }
        at = i + name.len();
    }
    None
}

/// The text with tags removed (CDATA markers dropped, their content kept) and entities decoded.
pub(crate) fn strip_tags(s: &str) -> String {
    let s = s.replace("<![CDATA[", "").replace("]]>", "");
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out)
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;` and numeric references decoded; anything else
/// kept as written.
pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                n if n.starts_with("#x") || n.starts_with("#X") => {
                    char::from_u32(u32::from_str_radix(&n[2..], 16).ok()?)?
                }
                n if n.starts_with('#') => char::from_u32(n[1..].parse().ok()?)?,
                _ => return None,
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// True when the content looks like XML rather than a person's text.
pub(crate) fn looks_like_xml(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with("<?xml")
        || t.starts_with("<msg")
        || t.starts_with("<sysmsg")
        || t.starts_with("<voipmsg")
        || t.starts_with("<voipinvitemsg")
        || t.starts_with("<revokemsg")
        || t.starts_with("<![CDATA[")
        || (t.starts_with('<') && t.trim_end().ends_with('>') && t.contains("</"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_attributes_and_entities() {
        let x = r#"<msg><appmsg appid="" sdkver="0"><title>A &amp; B</title><des><![CDATA[x<y]]></des><url>https://e.org/?a=1&amp;b=2</url><titles/></appmsg><img md5="abc" length='12'/></msg>"#;
        assert_eq!(text(x, "title").as_deref(), Some("A & B"));
        assert_eq!(text(x, "des").as_deref(), Some("x<y"));
        assert_eq!(text(x, "url").as_deref(), Some("https://e.org/?a=1&b=2"));
        assert_eq!(attr(x, "img", "length").as_deref(), Some("12"));
        assert_eq!(attr(x, "img", "md5").as_deref(), Some("abc"));
        assert_eq!(attr(x, "appmsg", "sdkver").as_deref(), Some("0"));
        assert_eq!(text(x, "missing"), None);
        assert_eq!(unescape("&#20320;&#x597D;&bogus; &"), "你好&bogus; &");
        assert_eq!(
            strip_tags("<![CDATA[你撤回了一条消息 <a href=\"x\">重新编辑</a>]]>"),
            "你撤回了一条消息 重新编辑"
        );
    }
}
