//! CloudFront policy documents, byte-compatible with botocore's
//! `CloudFrontSigner.build_policy`.
//!
//! botocore serialises with `json.dumps(policy, separators=(',', ':'))`:
//! no whitespace, keys in the order `Statement` → `Resource`, `Condition` →
//! `DateLessThan`, `IpAddress`, `DateGreaterThan`, and (Python's default
//! `ensure_ascii=True`) every character outside printable ASCII escaped as
//! lower-case `\uXXXX` (UTF-16 surrogate pairs above U+FFFF). The canned
//! policy is the same document with only `DateLessThan`, which is the exact
//! format CloudFront rebuilds when it checks a canned signature.

use std::fmt;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::error::SigningError;

/// Seconds since the Unix epoch, as written in `AWS:EpochTime`
/// (sub-second precision is dropped, as botocore does).
pub(crate) fn epoch(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// Appends `s` as a JSON string literal, escaped exactly like Python's
/// `json.dumps(..., ensure_ascii=True)`.
pub(crate) fn push_python_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

fn policy_json(
    resource: &str,
    date_less_than: i64,
    source_ip: Option<&str>,
    date_greater_than: Option<i64>,
) -> String {
    let mut out = String::with_capacity(160 + resource.len());
    out.push_str("{\"Statement\":[{\"Resource\":");
    push_python_json_str(&mut out, resource);
    let _ = write!(
        out,
        ",\"Condition\":{{\"DateLessThan\":{{\"AWS:EpochTime\":{date_less_than}}}"
    );
    if let Some(ip) = source_ip {
        out.push_str(",\"IpAddress\":{\"AWS:SourceIp\":");
        push_python_json_str(&mut out, ip);
        out.push('}');
    }
    if let Some(t) = date_greater_than {
        let _ = write!(out, ",\"DateGreaterThan\":{{\"AWS:EpochTime\":{t}}}");
    }
    out.push_str("}}]}");
    out
}

/// The canned policy CloudFront signs and rebuilds for `resource` (the full
/// URL including any query string, without the signing parameters):
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let expires = Utc.timestamp_opt(1_893_456_000, 0).unwrap();
/// assert_eq!(
///     vod_signing::canned_policy("https://d111111abcdef8.cloudfront.net/a.m3u8", expires),
///     r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/a.m3u8","Condition":{"DateLessThan":{"AWS:EpochTime":1893456000}}}]}"#
/// );
/// ```
pub fn canned_policy(resource: &str, expires: DateTime<Utc>) -> String {
    canned_policy_epoch(resource, epoch(expires))
}

pub(crate) fn canned_policy_epoch(resource: &str, expires: i64) -> String {
    policy_json(resource, expires, None, None)
}

/// A custom policy: one statement with a (possibly wildcarded) resource,
/// `DateLessThan`, and optionally `DateGreaterThan` and `IpAddress`.
///
/// `*` in the resource matches any run of characters (including none), `?`
/// exactly one character; the resource is matched against the full request
/// URL (`https://host/path?query`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomPolicy {
    resource: String,
    date_less_than: i64,
    date_greater_than: Option<i64>,
    source_ip: Option<String>,
}

impl CustomPolicy {
    /// A policy for `resource` that expires (`DateLessThan`) at `expires`.
    pub fn new(resource: impl Into<String>, expires: DateTime<Utc>) -> Self {
        Self {
            resource: resource.into(),
            date_less_than: epoch(expires),
            date_greater_than: None,
            source_ip: None,
        }
    }

    /// Adds `DateGreaterThan`: the policy is valid only on or after `t`.
    #[must_use]
    pub fn with_not_before(mut self, t: DateTime<Utc>) -> Self {
        self.date_greater_than = Some(epoch(t));
        self
    }

    /// Adds `IpAddress`/`AWS:SourceIp`: an IPv4 or IPv6 CIDR block, or a single
    /// address. Like botocore, a bare IPv4 address becomes `a.b.c.d/32` (a bare
    /// IPv6 address becomes `addr/128`). The text is kept as given otherwise.
    pub fn with_source_ip(mut self, cidr: &str) -> Result<Self, SigningError> {
        let parsed: IpCidr = cidr.parse()?;
        let text = if cidr.contains('/') {
            cidr.to_owned()
        } else {
            match parsed.network {
                IpAddr::V4(_) => format!("{cidr}/32"),
                IpAddr::V6(_) => format!("{cidr}/128"),
            }
        };
        self.source_ip = Some(text);
        Ok(self)
    }

    /// The `Resource` value.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// `DateLessThan`, as a time.
    pub fn expires(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.date_less_than, 0).unwrap_or_default()
    }

    /// `DateGreaterThan`, if set.
    pub fn not_before(&self) -> Option<DateTime<Utc>> {
        self.date_greater_than
            .map(|t| DateTime::from_timestamp(t, 0).unwrap_or_default())
    }

    /// `AWS:SourceIp`, if set (always with a `/prefix`).
    pub fn source_ip(&self) -> Option<&str> {
        self.source_ip.as_deref()
    }

    /// The policy document, byte-identical to botocore's `build_policy`.
    pub fn to_json(&self) -> String {
        policy_json(
            &self.resource,
            self.date_less_than,
            self.source_ip.as_deref(),
            self.date_greater_than,
        )
    }
}

/// An IPv4 or IPv6 CIDR block (`203.0.113.0/24`, `2001:db8::/32`). A bare
/// address parses as a single-host block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpCidr {
    network: IpAddr,
    prefix_len: u8,
}

impl IpCidr {
    /// The address part as written (host bits are ignored when matching).
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether `ip` lies inside the block. IPv4-mapped IPv6 addresses
    /// (`::ffff:a.b.c.d`) are treated as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                (u32::from(net) & mask) == (u32::from(ip) & mask)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                (u128::from(net) & mask) == (u128::from(ip) & mask)
            }
            _ => false,
        }
    }
}

impl FromStr for IpCidr {
    type Err = SigningError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SigningError::InvalidCidr(s.to_owned());
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = match network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let prefix_len = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
        };
        if prefix_len > max {
            return Err(bad());
        }
        Ok(Self {
            network,
            prefix_len,
        })
    }
}

impl fmt::Display for IpCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

/// CloudFront's resource wildcard match: `*` matches any run of characters
/// (including none), `?` exactly one character; everything else literally and
/// case-sensitively.
pub fn resource_matches(pattern: &str, url: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = url.chars().collect();
    let (mut pi, mut si) = (0usize, 0usize);
    // Position of the last `*` seen in the pattern, and where in `s` it started.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == '?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}
