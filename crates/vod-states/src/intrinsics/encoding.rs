//! Encoding and hashing intrinsics: `States.Base64Encode`, `States.Base64Decode`, `States.Hash`.

use base64::Engine as _;
use serde_json::Value;
use sha2::Digest as _;

use super::args::{arity, want_str};
use crate::error::Failure;

/// The one string argument of a Base64 function: AWS takes at most 10,000 characters.
fn base64_input<'a>(name: &str, args: &'a [Value]) -> Result<&'a str, Failure> {
    arity(name, args, 1, 1)?;
    let s = want_str(name, &args[0])?;
    if s.len() > 10_000 {
        return Err(Failure::intrinsic(format!(
            "Invalid arguments in {name}: input must not exceed 10000 characters"
        )));
    }
    Ok(s)
}

/// `States.Base64Encode`.
pub(super) fn base64_encode(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    let s = base64_input(name, &args)?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
    ))
}

/// `States.Base64Decode`.
pub(super) fn base64_decode(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    let s = base64_input(name, &args)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|e| {
            Failure::intrinsic(format!(
                "Invalid arguments in States.Base64Decode: '{s}' is not valid base64: {e}"
            ))
        })?;
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

/// `States.Hash`.
pub(super) fn hash(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 2, 2)?;
    let data = match &args[0] {
        Value::String(s) => s.clone(),
        Value::Null => {
            return Err(Failure::intrinsic(
                "Invalid arguments in States.Hash: the input data must not be null",
            ));
        }
        other => other.to_string(),
    };
    let alg = want_str(name, &args[1])?;
    let digest = match alg {
        "MD5" => hex::encode(md5::Md5::digest(data.as_bytes())),
        "SHA-1" => hex::encode(sha1::Sha1::digest(data.as_bytes())),
        "SHA-256" => hex::encode(sha2::Sha256::digest(data.as_bytes())),
        "SHA-384" => hex::encode(sha2::Sha384::digest(data.as_bytes())),
        "SHA-512" => hex::encode(sha2::Sha512::digest(data.as_bytes())),
        other => {
            return Err(Failure::intrinsic(format!(
                "Invalid arguments in States.Hash: unsupported hash algorithm '{other}', expected one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
            )));
        }
    };
    Ok(Value::String(digest))
}
