//! The one place where S3 object keys from events are decoded.
//!
//! S3 notification records URL-encode keys form-style (`+` is a space, `%2B` is a plus). For
//! EventBridge "Object Created" events the documentation is not explicit and emulators differ
//! (moto passes keys raw). So we keep the raw key, compute the decoded one, and let the probe
//! confirm which of the two exists ([`ObjectKey::candidates`]).

use percent_encoding::percent_decode_str;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A key as received in an event, with its decoded form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectKey {
    /// Exactly as the event carried it.
    pub raw: String,
    /// Form-decoded (`+` → space, `%XX` → byte, UTF-8). Equals `raw` when decoding changes
    /// nothing or would not yield valid UTF-8.
    pub decoded: String,
}

impl ObjectKey {
    /// Decodes a key from an S3 event.
    pub fn from_event(raw: &str) -> Self {
        Self {
            raw: raw.to_owned(),
            decoded: decode_event_key(raw),
        }
    }

    /// Keys to try, most likely first: the decoded key, then the raw key when it differs.
    pub fn candidates(&self) -> Vec<&str> {
        if self.decoded == self.raw {
            vec![&self.decoded]
        } else {
            vec![&self.decoded, &self.raw]
        }
    }
}

/// What S3 does to a key in a notification record (form encoding of its UTF-8 bytes: `+` for
/// a space, `%XX` for the rest): the inverse of [`decode_event_key`], for tests and the
/// simulation, which must deliver keys as S3 does.
pub fn encode_event_key(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        match b {
            b' ' => out.push('+'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Form-decodes an S3 event key. Invalid UTF-8 after decoding falls back to the raw text,
/// because then the key cannot have been encoded by S3.
pub fn decode_event_key(raw: &str) -> String {
    let plus_as_space = raw.replace('+', " ");
    match percent_decode_str(&plus_as_space).decode_utf8() {
        Ok(decoded) => decoded.into_owned(),
        Err(_) => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plus_is_space_and_encoded_plus_is_plus() {
        assert_eq!(decode_event_key("my+video%2B1.mp4"), "my video+1.mp4");
    }

    #[test]
    fn unicode_and_percent() {
        assert_eq!(
            decode_event_key("uploads/2026/%C3%A9t%C3%A9+100%25.mov"),
            "uploads/2026/été 100%.mov"
        );
    }

    #[test]
    fn raw_key_with_literal_percent_falls_back() {
        // moto delivers keys raw; "%ZZ" is not an escape and stays as it is.
        let key = ObjectKey::from_event("50%ZZ off.mp4");
        assert_eq!(key.decoded, "50%ZZ off.mp4");
        assert_eq!(key.candidates(), vec!["50%ZZ off.mp4"]);
    }

    #[test]
    fn raw_key_that_looks_encoded_offers_both() {
        // A raw key "a+b.mp4" (moto) decodes to "a b.mp4"; the probe tries both.
        let key = ObjectKey::from_event("a+b.mp4");
        assert_eq!(key.candidates(), vec!["a b.mp4", "a+b.mp4"]);
    }

    #[test]
    fn invalid_utf8_escape_keeps_raw() {
        assert_eq!(decode_event_key("bad%FF.mp4"), "bad%FF.mp4");
    }

    proptest! {
        #[test]
        fn decode_inverts_s3_encoding(key in "[ -~éü日本/+%]{0,60}") {
            prop_assert_eq!(decode_event_key(&encode_event_key(&key)), key);
        }
    }
}
