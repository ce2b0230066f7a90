//! `vod sign`: CloudFront signed URLs and cookies with `vod_signing`; also the signing key and
//! the `Set-Cookie` lines that `vod playback` uses.

use crate::error::{CliError, CliResult};
use crate::{env, exit, print_json};
use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};
use vod_signing::{CookieAttributes, CustomPolicy, SignedCookies, SigningKey};

/// The CloudFront key `sign` and `playback` sign with.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// CloudFront public-key id (key-pair id) of the trusted key group.
    #[arg(long, env = env::SIGNING_KEY_PAIR_ID)]
    pub key_pair_id: String,
    /// PEM file of the matching RSA private key.
    #[arg(long, env = env::SIGNING_PRIVATE_KEY_FILE)]
    pub private_key: PathBuf,
}

impl KeyArgs {
    pub fn load(&self) -> CliResult<SigningKey> {
        load_key(&self.key_pair_id, &self.private_key)
    }
}

#[derive(Debug, Args)]
pub struct SignArgs {
    pub url: String,
    #[command(flatten)]
    pub key: KeyArgs,
    /// 1h, 30m, 2d, epoch seconds or an RFC 3339 time.
    #[arg(long, default_value = "1h")]
    pub expires: String,
    /// Custom policy resource, e.g. 'https://d.example/assets/ID/*'.
    #[arg(long)]
    pub policy_resource: Option<String>,
    /// Viewer IP or CIDR (custom policy).
    #[arg(long)]
    pub ip: Option<String>,
    /// Not valid before (custom policy): RFC 3339, epoch seconds or a duration from now.
    #[arg(long)]
    pub not_before: Option<String>,
    /// Print Set-Cookie lines instead of the URL.
    #[arg(long)]
    pub cookies: bool,
    #[arg(long)]
    pub json: bool,
}

/// Prints the signed URL, or its cookies as `Set-Cookie` lines, or both as JSON.
pub fn run(args: SignArgs) -> CliResult<u8> {
    let signing_key = args.key.load()?;
    let now = Utc::now();
    let request = SignRequest {
        url: args.url,
        expires: vod_signing::parse_expiry(&args.expires, now)
            .map_err(CliError::flag("--expires"))?,
        policy_resource: args.policy_resource,
        ip: args.ip,
        not_before: args.not_before.map(|t| parse_time(&t, now)).transpose()?,
    };
    let signed = sign(&signing_key, &request)?;
    if args.json {
        print_json(&signed)?;
    } else if args.cookies {
        for line in set_cookie_lines(&signed.cookies, &signed.cookie_path, signed.expires_at, now)?
        {
            println!("{line}");
        }
    } else {
        println!("{}", signed.signed_url);
    }
    Ok(exit::OK)
}

pub fn load_key(key_pair_id: &str, pem_path: &Path) -> CliResult<SigningKey> {
    let pem = std::fs::read_to_string(pem_path).map_err(|e| CliError::read(pem_path, e))?;
    SigningKey::from_pem(key_pair_id, &pem).map_err(|e| {
        CliError::bad_input(format!(
            "{} cannot sign: {e}; pass the RSA private key (PKCS#1 or PKCS#8 PEM) of the CloudFront public key {key_pair_id}",
            pem_path.display()
        ))
    })
}

/// `--not-before`: an RFC 3339 time, epoch seconds, or a duration from now (`10m`).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> CliResult<DateTime<Utc>> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or_else(|| CliError::bad_input(format!("{text:?} is not a usable epoch time")));
    }
    if let Ok(d) = vod_signing::parse_duration(t) {
        return Ok(now + d);
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            CliError::bad_input(format!(
                "{text:?} is not a time: use RFC 3339 (2030-01-01T00:00:00Z), epoch seconds or a duration such as 10m"
            ))
        })
}

#[derive(Debug, Clone, Default)]
pub struct SignRequest {
    pub url: String,
    pub expires: DateTime<Utc>,
    pub policy_resource: Option<String>,
    pub ip: Option<String>,
    pub not_before: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Signed {
    /// `canned` or `custom`.
    pub policy: &'static str,
    pub resource: String,
    pub signed_url: String,
    pub expires_at: DateTime<Utc>,
    pub cookies: SignedCookies,
    /// `Path` for the cookies: the resource's path up to its first wildcard.
    pub cookie_path: String,
}

/// Canned when only an expiry is given; custom as soon as a resource, IP or start time is.
pub fn sign(key: &SigningKey, req: &SignRequest) -> CliResult<Signed> {
    let custom = req.policy_resource.is_some() || req.ip.is_some() || req.not_before.is_some();
    if !(req.url.starts_with("https://") || req.url.starts_with("http://")) {
        return Err(CliError::bad_input(format!(
            "{:?} is not a URL: pass the full https:// URL the viewer will request",
            req.url
        )));
    }
    let resource = req
        .policy_resource
        .clone()
        .unwrap_or_else(|| req.url.clone());
    let expires_at = DateTime::from_timestamp(req.expires.timestamp(), 0).unwrap_or(req.expires);
    let (signed_url, cookies) = if custom {
        let mut policy = CustomPolicy::new(resource.clone(), req.expires);
        if let Some(ip) = &req.ip {
            policy = policy.with_source_ip(ip)?;
        }
        if let Some(nb) = req.not_before {
            if nb >= req.expires {
                return Err(CliError::bad_input(
                    "--not-before must be earlier than --expires",
                ));
            }
            policy = policy.with_not_before(nb);
        }
        (
            key.signed_url_custom(&req.url, &policy)?,
            key.signed_cookies_custom(&policy)?,
        )
    } else {
        (
            key.signed_url_canned(&req.url, req.expires)?,
            key.signed_cookies_canned(&req.url, req.expires)?,
        )
    };
    Ok(Signed {
        policy: if custom { "custom" } else { "canned" },
        cookie_path: cookie_path(&resource),
        resource,
        signed_url,
        expires_at,
        cookies,
    })
}

/// The URL path of `resource` up to the first wildcard (`/` when there is none left).
pub fn cookie_path(resource: &str) -> String {
    let after_scheme = resource
        .split_once("://")
        .map_or(resource, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let path = path.split(['*', '?']).next().unwrap_or("/");
    let path = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    }
}

/// `Set-Cookie: …` lines (with the prefix), `Secure; HttpOnly`, `Max-Age` until expiry.
pub fn set_cookie_lines(
    cookies: &SignedCookies,
    path: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> CliResult<Vec<String>> {
    let mut attributes = CookieAttributes::secure(path);
    attributes.max_age = Some((expires_at - now).num_seconds().max(0));
    Ok(cookies
        .set_cookie_headers(&attributes)?
        .into_iter()
        .map(|line| format!("Set-Cookie: {line}"))
        .collect())
}
