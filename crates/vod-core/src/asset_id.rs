//! Deterministic asset ids: the same S3 object always maps to the same asset.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// Identifies one uploaded object (one version of it) through the whole pipeline.
///
/// Derived from (bucket, decoded key, version id or etag), so a duplicate delivery of the same
/// "Object Created" event yields the same id and the conditional claim rejects it; a new upload
/// over the same key (new etag/version) is a new asset.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct AssetId(String);

/// An id read from JSON (a record, an event, a Lambda payload) is checked like any other
/// input: 32 lowercase hex characters.
impl TryFrom<String> for AssetId {
    type Error = InvalidAssetId;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<AssetId> for String {
    fn from(id: AssetId) -> Self {
        id.0
    }
}

/// Number of hex characters kept from the SHA-256 digest (128 bits).
const ID_HEX_LEN: usize = 32;

impl AssetId {
    /// Derives the id of an object version. `revision` is the version id when the bucket is
    /// versioned, otherwise the etag (quotes are ignored so `"abc"` and `abc` agree).
    pub fn derive(bucket: &str, decoded_key: &str, revision: &str) -> Self {
        let revision = revision.trim_matches('"');
        let mut hasher = Sha256::new();
        // Length-prefix every part so ("a","bc") and ("ab","c") cannot collide.
        for part in [bucket, decoded_key, revision] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hex::encode(hasher.finalize());
        Self(digest[..ID_HEX_LEN].to_owned())
    }

    /// Accepts an id received from outside (API, CLI, event), checking its shape.
    pub fn parse(text: &str) -> Result<Self, InvalidAssetId> {
        let ok = text.len() == ID_HEX_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidAssetId(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The revision that identifies an object's content, as [`AssetId::derive`] takes it: the
/// version id when the bucket is versioned, else the ETag. An empty version id and S3's literal
/// `"null"` (unversioned bucket, or an object written while versioning was off) count as none,
/// so the uploader's PutObject response and the "Object Created" event agree on the id.
pub fn object_revision<'a>(version_id: Option<&'a str>, etag: Option<&'a str>) -> Option<&'a str> {
    version_id
        .filter(|v| !v.is_empty() && *v != "null")
        .or(etag)
        .filter(|r| !r.trim_matches('"').is_empty())
}

/// An asset id that is not 32 lowercase hex characters.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not an asset id (expected 32 lowercase hex characters)")]
pub struct InvalidAssetId(pub String);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quoted_and_bare_etags_agree() {
        assert_eq!(
            AssetId::derive("b", "k", "\"abc\""),
            AssetId::derive("b", "k", "abc")
        );
    }

    #[test]
    fn a_null_or_empty_version_id_falls_back_to_the_etag() {
        for version in [None, Some(""), Some("null")] {
            assert_eq!(object_revision(version, Some("\"e\"")), Some("\"e\""));
        }
        assert_eq!(
            object_revision(Some("3HL4kq"), Some("\"e\"")),
            Some("3HL4kq")
        );
        assert_eq!(object_revision(Some("null"), None), None);
        assert_eq!(object_revision(None, Some("\"\"")), None);
    }

    #[test]
    fn deserializing_checks_the_shape() {
        let ok: Result<AssetId, _> = serde_json::from_str("\"0123456789abcdef0123456789abcdef\"");
        assert!(ok.is_ok());
        let err = serde_json::from_str::<AssetId>("\"../../etc/passwd\"")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("is not an asset id"), "{err}");
    }

    #[test]
    fn parse_rejects_foreign_text() {
        assert!(AssetId::parse("../etc/passwd").is_err());
        assert!(AssetId::parse("ABCDEF0123456789ABCDEF0123456789").is_err());
    }

    proptest! {
        #[test]
        fn same_object_same_id(b in ".{0,20}", k in ".{0,40}", r in "[a-f0-9]{0,32}") {
            let id = AssetId::derive(&b, &k, &r);
            prop_assert_eq!(&id, &AssetId::derive(&b, &k, &r));
            prop_assert_eq!(AssetId::parse(id.as_str()), Ok(id));
        }

        #[test]
        fn any_part_changes_the_id(b in "[a-z]{1,10}", k in ".{1,40}", r in "[a-f0-9]{1,32}", extra in "[a-z0-9]{1,4}") {
            let id = AssetId::derive(&b, &k, &r);
            prop_assert_ne!(&id, &AssetId::derive(&format!("{b}{extra}"), &k, &r));
            prop_assert_ne!(&id, &AssetId::derive(&b, &format!("{k}{extra}"), &r));
            prop_assert_ne!(&id, &AssetId::derive(&b, &k, &format!("{r}{extra}")));
        }

        #[test]
        fn boundaries_between_parts_matter(a in "[a-z]{1,8}", b in "[a-z]{1,8}") {
            let joined = format!("{a}{b}");
            prop_assert_ne!(AssetId::derive(&a, &b, "e"), AssetId::derive(&joined, "", "e"));
        }
    }
}
