//! Finds where a JSON pointer's value starts in the text of one line, so that a diagnostic can
//! name a column. Runs only for lines that have a diagnostic.

/// The byte offset in `text` where the value at `pointer` starts, or where the deepest existing
/// parent's value starts when the pointer names something absent (a missing field).
pub(crate) fn locate(text: &str, pointer: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut pos = skip_ws(b, 0);
    let tokens: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    for tok in &tokens {
        match b.get(pos)? {
            b'{' => match find_member(b, pos, tok)? {
                Some(p) => pos = p,
                None => return Some(pos),
            },
            b'[' => {
                let idx: usize = tok.parse().ok()?;
                match find_element(b, pos, idx)? {
                    Some(p) => pos = p,
                    None => return Some(pos),
                }
            }
            _ => return Some(pos),
        }
    }
    Some(pos)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

// Returns the offset just past the string starting at `i` (which is a quote), and its raw content.
fn scan_string(b: &[u8], i: usize) -> Option<(usize, &[u8])> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some((j + 1, &b[i + 1..j])),
            _ => j += 1,
        }
    }
    None
}

// Returns the offset just past the value starting at `i`.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => scan_string(b, i).map(|(e, _)| e),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = scan_string(b, j)?.0;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
            {
                j += 1;
            }
            Some(j)
        }
    }
}

// Within the object at `i`, the offset of the value of member `key` (Ok(None) when absent).
fn find_member(b: &[u8], i: usize, key: &str) -> Option<Option<usize>> {
    let mut j = skip_ws(b, i + 1);
    let mut found = None;
    while j < b.len() && b[j] != b'}' {
        let key_start = j;
        let (end, _) = scan_string(b, j)?;
        let name: Option<String> = serde_json::from_slice(&b[key_start..end]).ok();
        j = skip_ws(b, end);
        if b.get(j) != Some(&b':') {
            return None;
        }
        j = skip_ws(b, j + 1);
        if name.as_deref() == Some(key) {
            // The last occurrence wins, as in the parsed value.
            found = Some(j);
        }
        j = skip_ws(b, skip_value(b, j)?);
        if b.get(j) == Some(&b',') {
            j = skip_ws(b, j + 1);
        }
    }
    Some(found)
}

// Within the array at `i`, the offset of element `idx` (Ok(None) when absent).
fn find_element(b: &[u8], i: usize, idx: usize) -> Option<Option<usize>> {
    let mut j = skip_ws(b, i + 1);
    let mut n = 0;
    while j < b.len() && b[j] != b']' {
        if n == idx {
            return Some(Some(j));
        }
        j = skip_ws(b, skip_value(b, j)?);
        if b.get(j) == Some(&b',') {
            j = skip_ws(b, j + 1);
        }
        n += 1;
    }
    Some(None)
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn finds_nested_values() {
        let t = r#"{"a": {"b\/c": [1, {"x": "y"}]}, "d": "e"}"#;
        assert_eq!(&t[locate(t, "/d").unwrap()..][..3], "\"e\"");
        assert_eq!(&t[locate(t, "/a/b~1c/1/x").unwrap()..][..3], "\"y\"");
        assert_eq!(&t[locate(t, "/a/b~1c/0").unwrap()..][..1], "1");
        // Absent member: the enclosing object.
        assert_eq!(&t[locate(t, "/a/zz").unwrap()..][..1], "{");
        assert_eq!(locate(t, ""), Some(0));
    }
}
