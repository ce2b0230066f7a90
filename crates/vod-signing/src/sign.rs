//! Signed URLs and signed cookies, byte-compatible with botocore's
//! `CloudFrontSigner`.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::b64::cloudfront_b64encode;
use crate::error::SigningError;
use crate::keys::SigningKey;
use crate::policy::{CustomPolicy, canned_policy_epoch, epoch};

/// Cookie names CloudFront reads.
pub const COOKIE_POLICY: &str = "CloudFront-Policy";
/// Cookie name of the signature.
pub const COOKIE_SIGNATURE: &str = "CloudFront-Signature";
/// Cookie name of the key-pair id.
pub const COOKIE_KEY_PAIR_ID: &str = "CloudFront-Key-Pair-Id";
/// Cookie name of the canned-policy expiry.
pub const COOKIE_EXPIRES: &str = "CloudFront-Expires";

/// Appends signing parameters the way botocore does: `&` when the URL already
/// has a `?`, otherwise `?`.
fn append_params(url: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(url.len() + 512);
    out.push_str(url);
    out.push(if url.contains('?') { '&' } else { '?' });
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

impl SigningKey {
    /// Signs a policy document and returns the CloudFront-base64 signature.
    pub fn sign_policy(&self, policy_json: &str) -> Result<String, SigningError> {
        Ok(cloudfront_b64encode(
            &self.sign_bytes(policy_json.as_bytes())?,
        ))
    }

    /// Canned-policy signed URL: appends `Expires`, `Signature`, `Key-Pair-Id`.
    /// The signed resource is `url` exactly as given (including its query).
    pub fn signed_url_canned(
        &self,
        url: &str,
        expires: DateTime<Utc>,
    ) -> Result<String, SigningError> {
        let expires = epoch(expires);
        let signature = self.sign_policy(&canned_policy_epoch(url, expires))?;
        Ok(append_params(
            url,
            &[
                ("Expires", &expires.to_string()),
                ("Signature", &signature),
                ("Key-Pair-Id", self.key_pair_id()),
            ],
        ))
    }

    /// Custom-policy signed URL: appends `Policy`, `Signature`, `Key-Pair-Id`.
    /// The policy's resource should match `url` (it may use wildcards).
    pub fn signed_url_custom(
        &self,
        url: &str,
        policy: &CustomPolicy,
    ) -> Result<String, SigningError> {
        let json = policy.to_json();
        let signature = self.sign_policy(&json)?;
        Ok(append_params(
            url,
            &[
                ("Policy", &cloudfront_b64encode(json.as_bytes())),
                ("Signature", &signature),
                ("Key-Pair-Id", self.key_pair_id()),
            ],
        ))
    }

    /// Canned-policy signed cookies (`CloudFront-Expires`,
    /// `CloudFront-Signature`, `CloudFront-Key-Pair-Id`). They authorise only
    /// the one URL `resource_url`; use [`Self::signed_cookies_custom`] for a
    /// prefix.
    pub fn signed_cookies_canned(
        &self,
        resource_url: &str,
        expires: DateTime<Utc>,
    ) -> Result<SignedCookies, SigningError> {
        let expires = epoch(expires);
        Ok(SignedCookies {
            policy: None,
            expires: Some(expires),
            signature: self.sign_policy(&canned_policy_epoch(resource_url, expires))?,
            key_pair_id: self.key_pair_id().to_owned(),
        })
    }

    /// Custom-policy signed cookies (`CloudFront-Policy`,
    /// `CloudFront-Signature`, `CloudFront-Key-Pair-Id`).
    pub fn signed_cookies_custom(
        &self,
        policy: &CustomPolicy,
    ) -> Result<SignedCookies, SigningError> {
        let json = policy.to_json();
        Ok(SignedCookies {
            policy: Some(cloudfront_b64encode(json.as_bytes())),
            expires: None,
            signature: self.sign_policy(&json)?,
            key_pair_id: self.key_pair_id().to_owned(),
        })
    }
}

/// The values of CloudFront's signed cookies. Serialises (serde) to an object
/// keyed by the cookie names, e.g.
/// `{"CloudFront-Policy":"…","CloudFront-Signature":"…","CloudFront-Key-Pair-Id":"…"}`
/// (canned cookies carry `"CloudFront-Expires": <epoch seconds>` instead of
/// the policy).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCookies {
    /// `CloudFront-Policy` (custom policy, CloudFront-base64 of the JSON).
    #[serde(
        rename = "CloudFront-Policy",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub policy: Option<String>,
    /// `CloudFront-Expires` (canned policy, epoch seconds).
    #[serde(
        rename = "CloudFront-Expires",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expires: Option<i64>,
    /// `CloudFront-Signature`.
    #[serde(rename = "CloudFront-Signature")]
    pub signature: String,
    /// `CloudFront-Key-Pair-Id`.
    #[serde(rename = "CloudFront-Key-Pair-Id")]
    pub key_pair_id: String,
}

impl SignedCookies {
    /// `(name, value)` pairs in the order policy/expires, signature, key-pair id.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(3);
        if let Some(policy) = &self.policy {
            out.push((COOKIE_POLICY, policy.clone()));
        }
        if let Some(expires) = self.expires {
            out.push((COOKIE_EXPIRES, expires.to_string()));
        }
        out.push((COOKIE_SIGNATURE, self.signature.clone()));
        out.push((COOKIE_KEY_PAIR_ID, self.key_pair_id.clone()));
        out
    }

    /// The request-side `Cookie:` header value (`a=1; b=2; c=3`), as a browser
    /// would send these cookies.
    pub fn cookie_header(&self) -> String {
        self.pairs()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// One `Set-Cookie` header value per cookie (without the `Set-Cookie: `
    /// prefix), with the given attributes.
    pub fn set_cookie_headers(
        &self,
        attributes: &CookieAttributes,
    ) -> Result<Vec<String>, SigningError> {
        let suffix = attributes.render()?;
        Ok(self
            .pairs()
            .into_iter()
            .map(|(name, value)| format!("{name}={value}{suffix}"))
            .collect())
    }
}

/// `SameSite` cookie attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SameSite {
    /// `SameSite=Strict`
    Strict,
    /// `SameSite=Lax`
    Lax,
    /// `SameSite=None` (browsers require `Secure` with it; rendering adds it).
    None,
}

/// Attributes of the `Set-Cookie` lines. `Default` is no attributes at all;
/// [`CookieAttributes::secure`] is the usual starting point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CookieAttributes {
    /// `Domain=` (e.g. `.example.com` when the CDN is `cdn.example.com`).
    pub domain: Option<String>,
    /// `Path=` (e.g. `/assets/<assetId>/`).
    pub path: Option<String>,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `SameSite=`.
    pub same_site: Option<SameSite>,
    /// `Max-Age=` in seconds.
    pub max_age: Option<i64>,
    /// `Expires=` (rendered as an IMF-fixdate).
    pub expires: Option<DateTime<Utc>>,
}

impl CookieAttributes {
    /// `Secure; HttpOnly` with the given path and no domain.
    pub fn secure(path: impl Into<String>) -> Self {
        Self {
            path: Some(path.into()),
            secure: true,
            http_only: true,
            ..Self::default()
        }
    }

    fn render(&self) -> Result<String, SigningError> {
        fn check(name: &'static str, value: &str) -> Result<(), SigningError> {
            if value.is_empty()
                || value
                    .chars()
                    .any(|c| c == ';' || c == ',' || c.is_whitespace() || c.is_control())
            {
                return Err(SigningError::InvalidCookieAttribute {
                    name,
                    value: value.to_owned(),
                });
            }
            Ok(())
        }
        let mut out = String::new();
        if let Some(domain) = &self.domain {
            check("Domain", domain)?;
            let _ = write!(out, "; Domain={domain}");
        }
        if let Some(path) = &self.path {
            check("Path", path)?;
            let _ = write!(out, "; Path={path}");
        }
        if let Some(expires) = self.expires {
            let _ = write!(
                out,
                "; Expires={}",
                expires.format("%a, %d %b %Y %H:%M:%S GMT")
            );
        }
        if let Some(max_age) = self.max_age {
            let _ = write!(out, "; Max-Age={max_age}");
        }
        if self.secure || self.same_site == Some(SameSite::None) {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        match self.same_site {
            Some(SameSite::Strict) => out.push_str("; SameSite=Strict"),
            Some(SameSite::Lax) => out.push_str("; SameSite=Lax"),
            Some(SameSite::None) => out.push_str("; SameSite=None"),
            None => {}
        }
        Ok(out)
    }
}
