// Shared helpers for the integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use vod_signing::{SigningKey, VerifyingKey};

pub const KEY_PAIR_ID: &str = "K2TESTONLYEXAMPLE";
pub const PKCS1_PEM: &str = include_str!("../data/TEST-ONLY-DO-NOT-USE.rsa-private.pkcs1.pem");
pub const PKCS8_PEM: &str = include_str!("../data/TEST-ONLY-DO-NOT-USE.rsa-private.pkcs8.pem");
pub const PUBLIC_PEM: &str = include_str!("../data/TEST-ONLY-DO-NOT-USE.rsa-public.spki.pem");
pub const OTHER_PKCS8_PEM: &str =
    include_str!("../data/TEST-ONLY-DO-NOT-USE.other-rsa-private.pkcs8.pem");

pub fn key() -> SigningKey {
    SigningKey::from_pem(KEY_PAIR_ID, PKCS1_PEM).expect("test key loads")
}

pub fn keys() -> HashMap<String, VerifyingKey> {
    HashMap::from([(
        KEY_PAIR_ID.to_owned(),
        VerifyingKey::from_pem(PUBLIC_PEM).expect("test public key loads"),
    )])
}

pub fn at(epoch: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(epoch, 0).expect("valid epoch")
}
