//! Edge-side verification: decide Allow/Deny for a request the way CloudFront
//! does for a distribution that requires signed URLs or signed cookies.
//!
//! Order of evaluation:
//! 1. Credentials come from the query string if it carries any of `Expires`,
//!    `Policy`, `Signature`, `Key-Pair-Id`; otherwise from the
//!    `CloudFront-*` cookies.
//! 2. The resource URL is `scheme://host/path` plus the query string with the
//!    four signing parameters removed (other parameters keep their order and
//!    raw encoding).
//! 3. The key-pair id must be known; the signature must verify over the
//!    policy bytes (custom) or over the canned policy CloudFront rebuilds from
//!    the resource URL and `Expires` (canned — so a canned URL used for another
//!    resource fails as [`DenyReason::SignatureMismatch`]).
//! 4. Custom policy: resource pattern (`*`, `?` wildcards), `DateLessThan`,
//!    `DateGreaterThan`, `IpAddress`.

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::b64::cloudfront_b64decode;
use crate::keys::VerifyingKey;
use crate::policy::{IpCidr, canned_policy_epoch, resource_matches};
use crate::sign::{COOKIE_EXPIRES, COOKIE_KEY_PAIR_ID, COOKIE_POLICY, COOKIE_SIGNATURE};

/// Public keys by key-pair id (a CloudFront key group).
pub type KeyGroup = HashMap<String, VerifyingKey>;

/// A viewer request as the edge sees it.
#[derive(Clone, Debug)]
pub struct VerifyRequest<'a> {
    /// `https` or `http`.
    pub scheme: &'a str,
    /// The `Host` (distribution domain or CNAME), without port unless the
    /// policy resources include one.
    pub host: &'a str,
    /// Raw request target: path plus optional `?query`.
    pub path_and_query: &'a str,
    /// The raw `Cookie` header, if any (several headers joined with `; `).
    pub cookie_header: Option<&'a str>,
    /// The viewer's IP address.
    pub client_ip: IpAddr,
    /// The current time.
    pub now: DateTime<Utc>,
}

/// Where the accepted credentials came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// `Expires`/`Policy`, `Signature`, `Key-Pair-Id` query parameters.
    QueryString,
    /// `CloudFront-*` cookies.
    Cookies,
}

/// Canned or custom policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// `Expires` + rebuilt canned policy.
    Canned,
    /// Explicit `Policy`.
    Custom,
}

/// Details of an allowed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Query string or cookies.
    pub source: CredentialSource,
    /// Canned or custom.
    pub kind: PolicyKind,
    /// The key-pair id that signed it.
    pub key_pair_id: String,
    /// `DateLessThan` of the policy.
    pub expires: DateTime<Utc>,
}

/// Why a request is refused (CloudFront answers `403` for all of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DenyReason {
    /// Neither signing query parameters nor `CloudFront-*` cookies.
    #[error("missing signed URL parameters or signed cookies")]
    MissingCredentials,
    /// Some but not all required values, or both `Expires` and `Policy`.
    #[error("incomplete or conflicting signing parameters")]
    MalformedCredentials,
    /// The key-pair id is not in the trusted key group.
    #[error("unknown key-pair id")]
    UnknownKeyPairId,
    /// `Expires` is not an integer number of seconds.
    #[error("malformed Expires value")]
    MalformedExpires,
    /// `Policy` is not CloudFront-base64 or not a valid policy document.
    #[error("malformed policy")]
    MalformedPolicy,
    /// `Signature` is not CloudFront-base64.
    #[error("malformed signature")]
    MalformedSignature,
    /// The signature does not verify (tampered policy, tampered signature,
    /// wrong key, or a canned policy used for another resource).
    #[error("signature does not match")]
    SignatureMismatch,
    /// The request URL does not match the policy's `Resource`.
    #[error("resource does not match the policy")]
    ResourceMismatch,
    /// Now is at or after `DateLessThan`.
    #[error("expired")]
    Expired,
    /// Now is before `DateGreaterThan`.
    #[error("not yet valid")]
    NotYetValid,
    /// The viewer IP is outside `AWS:SourceIp`.
    #[error("client IP not allowed by the policy")]
    IpNotAllowed,
}

/// The verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Serve the object.
    Allow(Grant),
    /// Answer `403`.
    Deny(DenyReason),
}

impl Decision {
    /// `true` for [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow(_))
    }

    /// The deny reason, if denied.
    pub fn deny_reason(&self) -> Option<DenyReason> {
        match self {
            Self::Allow(_) => None,
            Self::Deny(reason) => Some(*reason),
        }
    }
}

const SIGNING_PARAMS: [&str; 4] = ["Expires", "Policy", "Signature", "Key-Pair-Id"];

#[derive(Default)]
struct Credentials {
    expires: Option<String>,
    policy: Option<String>,
    signature: Option<String>,
    key_pair_id: Option<String>,
}

impl Credentials {
    fn is_empty(&self) -> bool {
        self.expires.is_none()
            && self.policy.is_none()
            && self.signature.is_none()
            && self.key_pair_id.is_none()
    }

    /// First occurrence wins.
    fn set(&mut self, slot: usize, value: String) {
        let field = match slot {
            0 => &mut self.expires,
            1 => &mut self.policy,
            2 => &mut self.signature,
            _ => &mut self.key_pair_id,
        };
        if field.is_none() {
            *field = Some(value);
        }
    }
}

fn decode_value(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

/// Splits a query string into (credentials, remaining raw query).
fn split_query(query: &str) -> (Credentials, String) {
    let mut creds = Credentials::default();
    let mut rest: Vec<&str> = Vec::new();
    for part in query.split('&') {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        match SIGNING_PARAMS.iter().position(|p| *p == name) {
            Some(slot) => creds.set(slot, decode_value(value)),
            None => rest.push(part),
        }
    }
    let rest = rest.join("&");
    (creds, rest)
}

fn cookie_credentials(header: &str) -> Credentials {
    let mut creds = Credentials::default();
    for pair in header.split(';') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        let slot = match name.trim() {
            COOKIE_EXPIRES => 0,
            COOKIE_POLICY => 1,
            COOKIE_SIGNATURE => 2,
            COOKIE_KEY_PAIR_ID => 3,
            _ => continue,
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        creds.set(slot, decode_value(value));
    }
    creds
}

struct ParsedPolicy {
    resource: Option<String>,
    date_less_than: i64,
    date_greater_than: Option<i64>,
    source_ip: Option<IpCidr>,
}

fn epoch_condition(
    condition: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<i64>, DenyReason> {
    match condition.get(key) {
        None => Ok(None),
        Some(v) => v
            .get("AWS:EpochTime")
            .and_then(Value::as_i64)
            .map(Some)
            .ok_or(DenyReason::MalformedPolicy),
    }
}

fn parse_policy(bytes: &[u8]) -> Result<ParsedPolicy, DenyReason> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|_| DenyReason::MalformedPolicy)?;
    let statements = doc
        .get("Statement")
        .and_then(Value::as_array)
        .ok_or(DenyReason::MalformedPolicy)?;
    let [statement] = statements.as_slice() else {
        return Err(DenyReason::MalformedPolicy);
    };
    let resource = match statement.get("Resource") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(DenyReason::MalformedPolicy),
    };
    let condition = statement
        .get("Condition")
        .and_then(Value::as_object)
        .ok_or(DenyReason::MalformedPolicy)?;
    let date_less_than =
        epoch_condition(condition, "DateLessThan")?.ok_or(DenyReason::MalformedPolicy)?;
    let date_greater_than = epoch_condition(condition, "DateGreaterThan")?;
    let source_ip = match condition.get("IpAddress") {
        None => None,
        Some(v) => Some(
            v.get("AWS:SourceIp")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<IpCidr>().ok())
                .ok_or(DenyReason::MalformedPolicy)?,
        ),
    };
    Ok(ParsedPolicy {
        resource,
        date_less_than,
        date_greater_than,
        source_ip,
    })
}

fn to_time(epoch: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(epoch, 0).unwrap_or_default()
}

/// Decides whether CloudFront would serve `request` given the trusted `keys`.
pub fn verify(request: &VerifyRequest<'_>, keys: &KeyGroup) -> Decision {
    match evaluate(request, keys) {
        Ok(grant) => Decision::Allow(grant),
        Err(reason) => Decision::Deny(reason),
    }
}

fn evaluate(request: &VerifyRequest<'_>, keys: &KeyGroup) -> Result<Grant, DenyReason> {
    let (path, query) = match request.path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.path_and_query, None),
    };
    let (query_creds, rest) = query.map(split_query).unwrap_or_default();
    let mut resource_url = format!(
        "{}://{}{}",
        request.scheme.to_ascii_lowercase(),
        request.host.to_ascii_lowercase(),
        path
    );
    if !rest.is_empty() {
        resource_url.push('?');
        resource_url.push_str(&rest);
    }

    let (creds, source) = if query_creds.is_empty() {
        let creds = request
            .cookie_header
            .map(cookie_credentials)
            .unwrap_or_default();
        if creds.is_empty() {
            return Err(DenyReason::MissingCredentials);
        }
        (creds, CredentialSource::Cookies)
    } else {
        (query_creds, CredentialSource::QueryString)
    };

    let (Some(key_pair_id), Some(signature)) = (creds.key_pair_id, creds.signature) else {
        return Err(DenyReason::MalformedCredentials);
    };
    let key = keys.get(&key_pair_id).ok_or(DenyReason::UnknownKeyPairId)?;

    let now = request.now.timestamp();
    match (creds.expires, creds.policy) {
        (Some(expires), None) => {
            if expires.is_empty() || !expires.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DenyReason::MalformedExpires);
            }
            let expires: i64 = expires.parse().map_err(|_| DenyReason::MalformedExpires)?;
            let signature =
                cloudfront_b64decode(&signature).ok_or(DenyReason::MalformedSignature)?;
            let policy = canned_policy_epoch(&resource_url, expires);
            if !key.verify_bytes(policy.as_bytes(), &signature) {
                return Err(DenyReason::SignatureMismatch);
            }
            if now >= expires {
                return Err(DenyReason::Expired);
            }
            Ok(Grant {
                source,
                kind: PolicyKind::Canned,
                key_pair_id,
                expires: to_time(expires),
            })
        }
        (None, Some(policy)) => {
            let policy_bytes = cloudfront_b64decode(&policy).ok_or(DenyReason::MalformedPolicy)?;
            let signature =
                cloudfront_b64decode(&signature).ok_or(DenyReason::MalformedSignature)?;
            if !key.verify_bytes(&policy_bytes, &signature) {
                return Err(DenyReason::SignatureMismatch);
            }
            let policy = parse_policy(&policy_bytes)?;
            if policy
                .resource
                .as_deref()
                .is_some_and(|pattern| !resource_matches(pattern, &resource_url))
            {
                return Err(DenyReason::ResourceMismatch);
            }
            if now >= policy.date_less_than {
                return Err(DenyReason::Expired);
            }
            if policy.date_greater_than.is_some_and(|t| now < t) {
                return Err(DenyReason::NotYetValid);
            }
            if policy
                .source_ip
                .is_some_and(|cidr| !cidr.contains(request.client_ip))
            {
                return Err(DenyReason::IpNotAllowed);
            }
            Ok(Grant {
                source,
                kind: PolicyKind::Custom,
                key_pair_id,
                expires: to_time(policy.date_less_than),
            })
        }
        _ => Err(DenyReason::MalformedCredentials),
    }
}
