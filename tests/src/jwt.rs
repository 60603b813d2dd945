//! Unverified JWT inspection for assertions in tests (never for trust).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

fn segment(token: &str, index: usize) -> Value {
    let part = token
        .split('.')
        .nth(index)
        .unwrap_or_else(|| panic!("token has no segment {index}: {token:.40}…"));
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .unwrap_or_else(|e| panic!("segment {index} is not base64url: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("segment {index} is not JSON: {e}"))
}

/// The JOSE header of a compact JWT, without checking anything.
pub fn decode_header(token: &str) -> Value {
    segment(token, 0)
}

/// The claims of a compact JWT, without checking anything.
pub fn decode_payload(token: &str) -> Value {
    segment(token, 1)
}
