//! gRPC answers: with [`CognitoAuth::grpc`](crate::CognitoAuth::grpc), a
//! refused `application/grpc` call gets a trailers-only response (HTTP 200,
//! `content-type: application/grpc`, `grpc-status`, `grpc-message`), so
//! tonic and other gRPC clients see a proper status. This table is the one
//! place the mapping lives.
//!
//! | refusal | gRPC status |
//! |---|---|
//! | no or invalid credentials (401) | `UNAUTHENTICATED` (16) |
//! | missing scope or group (403) | `PERMISSION_DENIED` (7) |
//! | malformed request (400) | `INVALID_ARGUMENT` (3) |
//! | keys unavailable (503) | `UNAVAILABLE` (14) |
//! | an invalid `Policy` (500) | `INTERNAL` (13) |
//!
//! A route with no `CognitoAuth` in front answers HTTP 500 whatever the
//! content type: nobody opted in to gRPC answers.
//!
//! ```
//! use cognito_jwt::Error;
//! use cognito_jwt_tower::grpc;
//!
//! let response = grpc::response(&Error::InvalidSignature);
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["grpc-status"], "16");
//! assert_eq!(response.headers()["grpc-message"], "the token signature is invalid");
//! ```

use bytes::Bytes;
use cognito_jwt::{Error, ErrorClass};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Response};

/// `INVALID_ARGUMENT`.
pub const INVALID_ARGUMENT: u16 = 3;
/// `PERMISSION_DENIED`.
pub const PERMISSION_DENIED: u16 = 7;
/// `INTERNAL`.
pub const INTERNAL: u16 = 13;
/// `UNAVAILABLE`.
pub const UNAVAILABLE: u16 = 14;
/// `UNAUTHENTICATED`.
pub const UNAUTHENTICATED: u16 = 16;

/// Whether these request headers describe a gRPC call
/// (`content-type` is `application/grpc` or `application/grpc+…`).
pub fn is_grpc(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.get(..16)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"application/grpc"))
            && matches!(v.get(16), None | Some(b'+' | b';'))
    })
}

/// The gRPC status code for a class of refusal.
pub fn status_code(class: ErrorClass) -> u16 {
    match class {
        ErrorClass::InvalidRequest => INVALID_ARGUMENT,
        ErrorClass::InsufficientScope => PERMISSION_DENIED,
        ErrorClass::Unavailable => UNAVAILABLE,
        ErrorClass::Misconfigured => INTERNAL,
        _ => UNAUTHENTICATED,
    }
}

/// The trailers-only gRPC response for `error`; `grpc-message` is the fixed
/// [`Error::client_description`], percent-encoded.
pub fn response(error: &Error) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert("grpc-status", HeaderValue::from(status_code(error.class())));
    if let Ok(message) = HeaderValue::from_str(&percent_encode(error.client_description())) {
        headers.insert("grpc-message", message);
    }
    response
}

/// Percent-encode a `grpc-message`: every byte outside `0x20..=0x7E`, and `%`.
fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for b in message.bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_grpc() {
        let mut h = HeaderMap::new();
        assert!(!is_grpc(&h));
        for (ct, grpc) in [
            ("application/grpc", true),
            ("application/grpc+proto", true),
            ("Application/GRPC", true),
            ("application/grpc-web", false),
            ("application/json", false),
        ] {
            h.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
            assert_eq!(is_grpc(&h), grpc, "{ct}");
        }
    }

    #[test]
    fn encodes_message() {
        assert_eq!(percent_encode("a 100% é"), "a 100%25 %C3%A9");
    }
}
