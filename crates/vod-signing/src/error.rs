//! Errors returned by the signing side of the crate.
//!
//! Verification never errors: it returns a [`crate::Decision`] with a
//! [`crate::DenyReason`] instead, like CloudFront answering `403`.

/// Everything that can go wrong while loading keys, building policies or
/// signing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The private key PEM could not be read (wrong label, encrypted, corrupt).
    #[error("invalid RSA private key PEM: {0}")]
    InvalidPrivateKey(String),
    /// The public key PEM could not be read.
    #[error("invalid RSA public key PEM: {0}")]
    InvalidPublicKey(String),
    /// Key-pair ids are CloudFront public-key ids such as `K2JCJMDEHXQW5F`.
    #[error("invalid CloudFront key-pair id {0:?}: expected 1-128 ASCII letters or digits")]
    InvalidKeyPairId(String),
    /// The RSA operation itself failed.
    #[error("RSA-SHA1 signing failed: {0}")]
    Sign(String),
    /// An `AWS:SourceIp` value that is not an IPv4/IPv6 address or CIDR block.
    #[error("invalid source IP / CIDR {0:?}")]
    InvalidCidr(String),
    /// A CDN base URL, asset prefix or manifest path that cannot be used.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput {
        /// Which input was rejected.
        what: &'static str,
        /// The rejected value.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// An expiry or duration string that could not be understood.
    #[error("invalid expiry {input:?}: {reason}")]
    InvalidExpiry {
        /// The rejected input.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A `Set-Cookie` attribute that would break the header line.
    #[error("invalid cookie attribute {name}: {value:?}")]
    InvalidCookieAttribute {
        /// Attribute name (`Domain`, `Path`).
        name: &'static str,
        /// The rejected value.
        value: String,
    },
}
