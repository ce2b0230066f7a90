//! CloudFront's URL-safe base64 variant.
//!
//! CloudFront takes standard base64 (with `=` padding) and replaces
//! `+` with `-`, `=` with `_` and `/` with `~`.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const STANDARD: GeneralPurpose = base64::engine::general_purpose::STANDARD;
const LENIENT_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes bytes the way CloudFront expects in `Policy`, `Signature` and the
/// `CloudFront-*` cookies.
///
/// ```
/// assert_eq!(vod_signing::cloudfront_b64encode(&[0xfb, 0xff]), "-~8_");
/// ```
pub fn cloudfront_b64encode(data: &[u8]) -> String {
    STANDARD
        .encode(data)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            other => other,
        })
        .collect()
}

/// Decodes CloudFront's URL-safe base64. Standard base64 characters are
/// accepted too, and padding may be present or absent. Returns `None` for
/// anything that is not base64.
pub fn cloudfront_b64decode(text: &str) -> Option<Vec<u8>> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '=',
            '~' => '/',
            other => other,
        })
        .collect();
    LENIENT_PADDING.decode(standard.as_bytes()).ok()
}
