//! RSA keys: PEM loading, RSA-SHA1 PKCS#1 v1.5 signing and verification.

use std::fmt;

use rsa::pkcs1::{DecodeRsaPrivateKey as _, DecodeRsaPublicKey as _};
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha1::{Digest as _, Sha1};

use crate::error::SigningError;

/// A CloudFront signing key: the RSA private key plus the id CloudFront
/// knows its public key by (`Key-Pair-Id`).
///
/// `Debug` never prints key material.
#[derive(Clone)]
pub struct SigningKey {
    key_pair_id: String,
    private: RsaPrivateKey,
    public: VerifyingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_pair_id", &self.key_pair_id)
            .field("private", &"<redacted>")
            .finish()
    }
}

fn check_key_pair_id(id: &str) -> Result<(), SigningError> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(SigningError::InvalidKeyPairId(id.to_owned()));
    }
    Ok(())
}

impl SigningKey {
    /// Loads an unencrypted RSA private key from PEM, either PKCS#1
    /// (`-----BEGIN RSA PRIVATE KEY-----`, what `openssl genrsa` and the
    /// CloudFront console docs produce) or PKCS#8 (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(key_pair_id: impl Into<String>, pem: &str) -> Result<Self, SigningError> {
        let key_pair_id = key_pair_id.into();
        check_key_pair_id(&key_pair_id)?;
        let pem = pem.trim();
        let private = if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            RsaPrivateKey::from_pkcs1_pem(pem)
                .map_err(|e| SigningError::InvalidPrivateKey(e.to_string()))?
        } else if pem.starts_with("-----BEGIN PRIVATE KEY-----") {
            RsaPrivateKey::from_pkcs8_pem(pem)
                .map_err(|e| SigningError::InvalidPrivateKey(e.to_string()))?
        } else {
            return Err(SigningError::InvalidPrivateKey(
                "expected an unencrypted PEM starting with `-----BEGIN RSA PRIVATE KEY-----` \
                 or `-----BEGIN PRIVATE KEY-----`"
                    .to_owned(),
            ));
        };
        let public = VerifyingKey(private.to_public_key());
        Ok(Self {
            key_pair_id,
            private,
            public,
        })
    }

    /// The CloudFront key-pair id (public key id) this key signs as.
    pub fn key_pair_id(&self) -> &str {
        &self.key_pair_id
    }

    /// The matching public key, for verification.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.public.clone()
    }

    /// Raw RSA-SHA1 PKCS#1 v1.5 signature of `message` (what CloudFront
    /// checks). The private-key operation is blinded; the output is
    /// deterministic.
    pub fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        let digest = Sha1::digest(message);
        let mut rng = rsa::rand_core::OsRng;
        self.private
            .sign_with_rng(&mut rng, Pkcs1v15Sign::new::<Sha1>(), &digest)
            .map_err(|e| SigningError::Sign(e.to_string()))
    }
}

/// An RSA public key that CloudFront (or our local CDN) verifies with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey(RsaPublicKey);

impl VerifyingKey {
    /// Loads a public key from PEM: SPKI (`-----BEGIN PUBLIC KEY-----`, the
    /// format uploaded to CloudFront) or PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`).
    pub fn from_pem(pem: &str) -> Result<Self, SigningError> {
        let pem = pem.trim();
        let key = if pem.starts_with("-----BEGIN PUBLIC KEY-----") {
            RsaPublicKey::from_public_key_pem(pem)
                .map_err(|e| SigningError::InvalidPublicKey(e.to_string()))?
        } else if pem.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
            RsaPublicKey::from_pkcs1_pem(pem)
                .map_err(|e| SigningError::InvalidPublicKey(e.to_string()))?
        } else {
            return Err(SigningError::InvalidPublicKey(
                "expected a PEM starting with `-----BEGIN PUBLIC KEY-----` \
                 or `-----BEGIN RSA PUBLIC KEY-----`"
                    .to_owned(),
            ));
        };
        Ok(Self(key))
    }

    /// `true` when `signature` is a valid RSA-SHA1 PKCS#1 v1.5 signature of
    /// `message` under this key.
    pub fn verify_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        let digest = Sha1::digest(message);
        self.0
            .verify(Pkcs1v15Sign::new::<Sha1>(), &digest, signature)
            .is_ok()
    }
}
