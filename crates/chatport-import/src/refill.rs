//! Refilling the fields of a record that is reused from message to message (the WhatsApp and
//! Telegram importers keep one [`chatport_model::Message`] and refill it), so that a message's
//! strings reuse the last one's allocations.

/// `field` set to `value`, reusing its string.
pub fn set(field: &mut Option<String>, value: &str) {
    match field {
        Some(s) => {
            s.clear();
            s.push_str(value);
        }
        None => *field = Some(value.to_owned()),
    }
}

/// `field` set to `value` or to `None`, reusing its string.
pub fn set_opt(field: &mut Option<String>, value: Option<&str>) {
    match value {
        Some(v) => set(field, v),
        None => *field = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_refilled_in_its_own_allocation() {
        let mut f = Some(String::with_capacity(64));
        let before = f.as_ref().unwrap().as_ptr();
        set(&mut f, "hello");
        assert_eq!(f.as_deref(), Some("hello"));
        assert_eq!(f.as_ref().unwrap().as_ptr(), before);
        set_opt(&mut f, None);
        assert_eq!(f, None);
        set_opt(&mut f, Some("again"));
        assert_eq!(f.as_deref(), Some("again"));
    }
}
