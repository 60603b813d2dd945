//! The HTTP event shapes a Lambda function gets from API Gateway and ALB,
//! built from AWS's published samples (`tests/fixtures/lambda/`, see its
//! README), and the answers read back from the function's responses.
//!
//! [`Shape::event`] changes only what a request needs on a copy of the
//! sample: the method, the path and the `Authorization` header, carried the
//! way that service carries it. The rest of the sample (its other headers,
//! query string, body, request context) is sent as AWS wrote it.
//!
//! | shape | `Authorization` in the event | answer read from |
//! |---|---|---|
//! | [`Shape::HttpApiV2`] | `headers`, repeated values joined with `,` | `headers` |
//! | [`Shape::RestApiV1`] | `headers` (the last value) and `multiValueHeaders` (all) | `multiValueHeaders` |
//! | [`Shape::AlbMultiValue`] | `multiValueHeaders` (all) | `multiValueHeaders` |
//! | [`Shape::AlbHeaders`] | `headers` (the last value) | `headers` |
//!
//! ```
//! use cognito_jwt_e2e::lambda_events::Shape;
//! let event = Shape::HttpApiV2.event("GET", "/me", &["Bearer abc.def.ghi".into()]);
//! assert_eq!(event["rawPath"], "/me");
//! assert_eq!(event["headers"]["authorization"], "Bearer abc.def.ghi");
//! assert_eq!(event["requestContext"]["authorizer"]["jwt"]["scopes"][0], "scope1"); // AWS's sample
//! ```

use base64::Engine;
use serde_json::{Value, json};

use crate::contract::Answer;

/// One kind of HTTP event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// API Gateway HTTP API, payload format 2.0 (behind a JWT authorizer).
    HttpApiV2,
    /// API Gateway REST API, proxy integration (payload format 1.0).
    RestApiV1,
    /// ALB target group with multi-value headers on.
    AlbMultiValue,
    /// ALB target group with multi-value headers off.
    AlbHeaders,
}

impl Shape {
    /// Every shape.
    pub const ALL: [Shape; 4] = [
        Shape::HttpApiV2,
        Shape::RestApiV1,
        Shape::AlbMultiValue,
        Shape::AlbHeaders,
    ];

    /// The sample's file in `tests/fixtures/lambda/`.
    pub fn fixture(self) -> &'static str {
        match self {
            Shape::HttpApiV2 => "example-apigw-v2-request-jwt-authorizer.json",
            Shape::RestApiV1 => "example-apigw-request.json",
            Shape::AlbMultiValue => "example-alb-lambda-target-request-multivalue-headers.json",
            Shape::AlbHeaders => "example-alb-lambda-target-request-headers-only.json",
        }
    }

    /// AWS's sample event, as published.
    pub fn sample(self) -> Value {
        let path = crate::repo_root()
            .join("tests/fixtures/lambda")
            .join(self.fixture());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    }

    /// The sample with this request's method, path and `Authorization`
    /// lines (none, one or several, as the client sent them).
    pub fn event(self, method: &str, path: &str, authorization: &[String]) -> Value {
        let mut event = self.sample();
        let last = authorization.last().cloned();
        match self {
            Shape::HttpApiV2 => {
                event["rawPath"] = json!(path);
                event["requestContext"]["http"]["method"] = json!(method);
                event["requestContext"]["http"]["path"] = json!(path);
                // HTTP APIs join a repeated header's values with commas.
                if !authorization.is_empty() {
                    event["headers"]["authorization"] = json!(authorization.join(","));
                }
            }
            Shape::RestApiV1 => {
                event["path"] = json!(path);
                event["httpMethod"] = json!(method);
                event["requestContext"]["path"] = json!(path);
                event["requestContext"]["httpMethod"] = json!(method);
                event["pathParameters"]["proxy"] = json!(path.trim_start_matches('/'));
                // REST APIs keep the last value in `headers`, all of them
                // in `multiValueHeaders`.
                if let Some(last) = last {
                    event["headers"]["Authorization"] = json!(last);
                    event["multiValueHeaders"]["Authorization"] = json!(authorization);
                }
            }
            Shape::AlbMultiValue => {
                event["path"] = json!(path);
                event["httpMethod"] = json!(method);
                if !authorization.is_empty() {
                    event["multiValueHeaders"]["authorization"] = json!(authorization);
                }
            }
            Shape::AlbHeaders => {
                event["path"] = json!(path);
                event["httpMethod"] = json!(method);
                // Without multi-value headers, an ALB passes the last value.
                if let Some(last) = last {
                    event["headers"]["authorization"] = json!(last);
                }
            }
        }
        event
    }

    /// The `Authorization` lines the function's HTTP request gets for
    /// `sent` (what the service and `lambda_http` make of them): all of
    /// them through an ALB with multi-value headers, one joined line
    /// through an HTTP API, the last one otherwise. `lambda_http` reads a
    /// REST API event's `multiValueHeaders` and then lets `headers`
    /// replace each name it holds, so the function sees the last value
    /// there too.
    pub fn delivers(self, sent: &[String]) -> Vec<String> {
        match self {
            _ if sent.len() < 2 => sent.to_vec(),
            Shape::AlbMultiValue => sent.to_vec(),
            Shape::HttpApiV2 => vec![sent.join(",")],
            Shape::RestApiV1 | Shape::AlbHeaders => sent.last().cloned().into_iter().collect(),
        }
    }

    /// The answer in a function `response` to an event of this shape: its
    /// status, body and headers, read from the header map that service
    /// reads (see the module docs). A header in both maps must agree.
    pub fn answer(self, response: &Value) -> Result<Answer, String> {
        let status = response["statusCode"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| format!("no statusCode in {response}"))?;
        let body = match &response["body"] {
            Value::Null => String::new(),
            Value::String(text) if response["isBase64Encoded"] == json!(true) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|e| format!("body is not base64 ({e}): {response}"))?;
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Value::String(text) => text.clone(),
            other => return Err(format!("body {other} is not a string")),
        };
        let header = |name: &str| self.header(response, name);
        Ok(Answer {
            status,
            www_authenticate: header("www-authenticate")?,
            content_type: header("content-type")?,
            allow: header("allow")?,
            body,
        })
    }

    /// Header `name` (lower case) of a function `response`, from the map
    /// that this shape's service reads; `Err` when the other map holds
    /// another value. Several values are joined with `, `.
    pub fn header(self, response: &Value, name: &str) -> Result<Option<String>, String> {
        let single = response["headers"][name].as_str().map(str::to_owned);
        let multi = response["multiValueHeaders"][name]
            .as_array()
            .map(|values| {
                values
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            });
        let (read, other) = match self {
            Shape::HttpApiV2 | Shape::AlbHeaders => (single, multi),
            Shape::RestApiV1 | Shape::AlbMultiValue => (multi, single),
        };
        match other {
            Some(other) if Some(&other) != read.as_ref() => Err(format!(
                "{name}: {read:?} in one header map, {other:?} in the other"
            )),
            _ => Ok(read),
        }
    }
}
