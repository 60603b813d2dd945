//! The hot path of claim parsing: the claims verification decides on, read
//! in one pass over the signed payload, borrowing from it.
//!
//! Every member name is checked for repeats ([`SeenKeys`]); the claims in
//! [`Field`] are read and type-checked, every other value is skipped. A
//! claim of the wrong type is reported only once the signature is known to
//! be good. What [`Claims`](crate::Claims) keeps of the result are spans of
//! the payload ([`ClaimText`]).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{ClaimError, Error, MalformedToken, Segment, capped};
use crate::json::{ClaimValue, ObjectError, SeenKeys, Skip, json_error};

/// Largest NumericDate accepted: 9999-12-31T23:59:59Z.
pub(crate) const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// The claims validation needs, read in one pass over the signed payload.
/// Strings borrow from the payload; [`CoreClaims::detach`] turns the ones
/// [`Claims`](crate::Claims) keeps into spans before the payload moves into it.
#[derive(Debug, Default)]
pub(crate) struct CoreClaims<'de> {
    pub(crate) iss: Option<Cow<'de, str>>,
    pub(crate) sub: Option<Cow<'de, str>>,
    pub(crate) token_use: Option<Cow<'de, str>>,
    pub(crate) client_id: Option<Cow<'de, str>>,
    pub(crate) aud: Vec<Cow<'de, str>>,
    pub(crate) scope: Option<Cow<'de, str>>,
    pub(crate) groups: Vec<Cow<'de, str>>,
    pub(crate) username: Option<Cow<'de, str>>,
    pub(crate) cognito_username: Option<Cow<'de, str>>,
    /// The authorized party of an ID token (OpenID Connect Core 2).
    pub(crate) azp: Option<Cow<'de, str>>,
    pub(crate) jti: Option<Cow<'de, str>>,
    pub(crate) origin_jti: Option<Cow<'de, str>>,
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: Option<i64>,
    /// The first claim of the wrong type, reported once the signature is known to be good.
    pub(crate) type_error: Option<ClaimError>,
    /// `iss` is present but not a string (needed before the signature, to route).
    pub(crate) iss_invalid: bool,
}

/// A claim string kept in [`Claims`](crate::Claims): a byte range of the payload when the
/// parser could borrow it, owned when it had escapes.
#[derive(Debug, Clone)]
pub(crate) enum ClaimText {
    Span(usize, usize),
    Owned(Box<str>),
}

impl ClaimText {
    /// A span of `payload` when `value` borrows from it, else an owned copy.
    fn new(value: Cow<'_, str>, payload: &str) -> ClaimText {
        if let Cow::Borrowed(b) = &value {
            let start = (b.as_ptr() as usize).wrapping_sub(payload.as_ptr() as usize);
            let end = start.wrapping_add(b.len());
            if payload
                .get(start..end)
                .is_some_and(|s| std::ptr::eq(s.as_ptr(), b.as_ptr()))
            {
                return ClaimText::Span(start, end);
            }
        }
        ClaimText::Owned(value.into_owned().into_boxed_str())
    }

    /// The string, read from `payload` (the one this was made from) for a span.
    pub(crate) fn as_str<'a>(&'a self, payload: &'a str) -> &'a str {
        match self {
            ClaimText::Span(start, end) => payload.get(*start..*end).unwrap_or_default(),
            ClaimText::Owned(s) => s,
        }
    }
}

/// The validated claims a [`Claims`](crate::Claims) keeps, detached by
/// [`CoreClaims::detach`] from the payload they borrowed: each string is a
/// [`ClaimText`] of the payload that `Claims` owns.
#[derive(Debug, Default, Clone)]
pub(crate) struct DetachedClaims {
    pub(crate) iss: Option<ClaimText>,
    pub(crate) sub: Option<ClaimText>,
    pub(crate) client_id: Option<ClaimText>,
    pub(crate) scope: Option<ClaimText>,
    pub(crate) username: Option<ClaimText>,
    pub(crate) cognito_username: Option<ClaimText>,
    pub(crate) azp: Option<ClaimText>,
    pub(crate) jti: Option<ClaimText>,
    pub(crate) origin_jti: Option<ClaimText>,
    pub(crate) aud: Vec<ClaimText>,
    pub(crate) groups: Vec<ClaimText>,
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: Option<i64>,
}

/// A member name of the payload: one of the core claims, or any other name
/// (borrowed from the input when it has no escapes). Escaped names are
/// matched after unescaping, as the typed views and [`Claims::all`](crate::Claims::all) see them.
enum Member<'de> {
    Core(Field),
    Other(Cow<'de, str>),
}

impl<'de> Deserialize<'de> for Member<'de> {
    #[inline(always)]
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MemberVisitor;
        impl<'de> Visitor<'de> for MemberVisitor {
            type Value = Member<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Member<'de>, E> {
                Ok(Field::of(v).map_or(Member::Other(Cow::Borrowed(v)), Member::Core))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Member<'de>, E> {
                Ok(Field::of(v)
                    .map_or_else(|| Member::Other(Cow::Owned(v.to_owned())), Member::Core))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Member<'de>, E> {
                Ok(Field::of(&v).map_or(Member::Other(Cow::Owned(v)), Member::Core))
            }
        }
        d.deserialize_str(MemberVisitor)
    }
}

/// Which way a fractional NumericDate is rounded: toward the stricter side
/// of the check it is used in, so no fraction of a second is ever granted.
#[derive(Clone, Copy)]
pub(crate) enum Round {
    /// `exp`: a token valid until 10.5 is expired from 10 on.
    Down,
    /// `nbf`, `iat`: a token valid from 10.1 is valid from 11 on.
    Up,
}

pub(crate) fn numeric_date(
    claim: &'static str,
    v: ClaimValue<'_>,
    round: Round,
) -> Result<i64, ClaimError> {
    let invalid = ClaimError::Invalid {
        claim,
        expected: "a NumericDate: seconds since 1970 between 0 and 253402300799",
    };
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the value is checked to lie in 0..=MAX_NUMERIC_DATE first"
    )]
    let secs = match v {
        ClaimValue::Int(i) => i,
        ClaimValue::Float(f) if (0.0..=MAX_NUMERIC_DATE as f64).contains(&f) => match round {
            Round::Down => f.floor() as i64,
            Round::Up => f.ceil() as i64,
        },
        _ => return Err(invalid),
    };
    if (0..=MAX_NUMERIC_DATE).contains(&secs) {
        Ok(secs)
    } else {
        Err(invalid)
    }
}

fn borrowed_claim<'de>(
    claim: &'static str,
    v: ClaimValue<'de>,
) -> Result<Cow<'de, str>, ClaimError> {
    match v {
        ClaimValue::Str(s) => Ok(s),
        _ => Err(ClaimError::Invalid {
            claim,
            expected: "a string",
        }),
    }
}

fn string_list<'de>(
    claim: &'static str,
    v: ClaimValue<'de>,
    allow_single: bool,
) -> Result<Vec<Cow<'de, str>>, ClaimError> {
    match v {
        ClaimValue::Str(s) if allow_single => Ok(vec![s]),
        ClaimValue::List(items) => Ok(items),
        _ => Err(ClaimError::Invalid {
            claim,
            expected: if allow_single {
                "a string or an array of strings"
            } else {
                "an array of strings"
            },
        }),
    }
}

impl<'de> CoreClaims<'de> {
    /// The claims kept in [`Claims`](crate::Claims). Strings become spans of `payload` (the
    /// string this was parsed from), so keeping them allocates nothing.
    pub(crate) fn detach(self, payload: &str) -> DetachedClaims {
        let text = |c: Option<Cow<'_, str>>| c.map(|c| ClaimText::new(c, payload));
        DetachedClaims {
            iss: text(self.iss),
            sub: text(self.sub),
            client_id: text(self.client_id),
            scope: text(self.scope),
            username: text(self.username),
            cognito_username: text(self.cognito_username),
            azp: text(self.azp),
            jti: text(self.jti),
            origin_jti: text(self.origin_jti),
            aud: self
                .aud
                .into_iter()
                .map(|c| ClaimText::new(c, payload))
                .collect(),
            groups: self
                .groups
                .into_iter()
                .map(|c| ClaimText::new(c, payload))
                .collect(),
            exp: self.exp,
            nbf: self.nbf,
            iat: self.iat,
        }
    }

    #[inline(always)]
    fn set(&mut self, field: Field, value: ClaimValue<'de>) {
        let name = field.name();
        let result = match field {
            Field::Iss => borrowed_claim(name, value)
                .map(|s| self.iss = Some(s))
                .inspect_err(|_| self.iss_invalid = true),
            Field::Sub => borrowed_claim(name, value).map(|s| self.sub = Some(s)),
            Field::TokenUse => borrowed_claim(name, value).map(|s| self.token_use = Some(s)),
            Field::ClientId => borrowed_claim(name, value).map(|s| self.client_id = Some(s)),
            Field::Scope => borrowed_claim(name, value).map(|s| self.scope = Some(s)),
            Field::Username => borrowed_claim(name, value).map(|s| self.username = Some(s)),
            Field::CognitoUsername => {
                borrowed_claim(name, value).map(|s| self.cognito_username = Some(s))
            }
            Field::Aud => string_list(name, value, true).map(|l| self.aud = l),
            Field::Groups => string_list(name, value, false).map(|l| self.groups = l),
            Field::Azp => borrowed_claim(name, value).map(|s| self.azp = Some(s)),
            Field::Jti => borrowed_claim(name, value).map(|s| self.jti = Some(s)),
            Field::OriginJti => borrowed_claim(name, value).map(|s| self.origin_jti = Some(s)),
            // Read only for its type: a number or an object where Cognito
            // sends a string is a token nobody issued.
            Field::EventId => borrowed_claim(name, value).map(|_| ()),
            Field::Exp => numeric_date(name, value, Round::Down).map(|t| self.exp = Some(t)),
            Field::Nbf => numeric_date(name, value, Round::Up).map(|t| self.nbf = Some(t)),
            Field::Iat => numeric_date(name, value, Round::Up).map(|t| self.iat = Some(t)),
        };
        if let Err(e) = result {
            self.type_error.get_or_insert(e);
        }
    }

    /// Parse the decoded payload into `self` (a default value): written in
    /// place, never moved through the parser's layers. Structural problems
    /// are errors now; claims of the wrong type are kept in `type_error` for
    /// after the signature check.
    pub(crate) fn parse_into(&mut self, payload: &'de str) -> Result<(), Error> {
        struct CoreSeed<'a, 'de>(&'a mut CoreClaims<'de>);
        impl<'de> DeserializeSeed<'de> for CoreSeed<'_, 'de> {
            type Value = Result<(), ObjectError>;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_map(self)
            }
        }
        impl<'de> Visitor<'de> for CoreSeed<'_, 'de> {
            type Value = Result<(), ObjectError>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut seen = SeenKeys::new();
                let mut duplicate = None;
                while let Some(member) = map.next_key::<Member<'de>>()? {
                    let fresh = match &member {
                        Member::Core(field) => seen.insert_known(*field as u32),
                        Member::Other(name) => seen.insert(name),
                    };
                    match member {
                        Member::Core(field) if fresh => {
                            let value = map.next_value::<ClaimValue<'de>>()?;
                            self.0.set(field, value);
                        }
                        // Depth-limited, so every payload that verifies can be read again.
                        Member::Other(_) if fresh => map.next_value::<Skip>().map(|_| ())?,
                        member => {
                            map.next_value::<IgnoredAny>()?;
                            duplicate.get_or_insert_with(|| match &member {
                                Member::Core(field) => field.name().to_owned(),
                                Member::Other(name) => capped(name),
                            });
                        }
                    }
                }
                Ok(duplicate.map_or(Ok(()), |name| Err(ObjectError::Duplicate(name))))
            }
        }
        // From a `str`: serde_json does not validate UTF-8 again string by
        // string. The same steps as `serde_json::from_str`, with a seed.
        let mut de = serde_json::Deserializer::from_str(payload);
        let outcome = CoreSeed(self)
            .deserialize(&mut de)
            .and_then(|outcome| de.end().map(|()| outcome));
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(ObjectError::Duplicate(name))) => Err(MalformedToken::DuplicateMember {
                segment: Segment::Payload,
                name,
            }
            .into()),
            Err(e) => Err(json_error(Segment::Payload, &e).into()),
        }
    }
}

/// The claims validation reads; every other member is skipped.
#[derive(Debug, Clone, Copy)]
enum Field {
    Iss,
    Sub,
    TokenUse,
    ClientId,
    Scope,
    Username,
    CognitoUsername,
    Aud,
    Groups,
    Azp,
    Jti,
    OriginJti,
    EventId,
    Exp,
    Nbf,
    Iat,
}

impl Field {
    fn of(name: &str) -> Option<Field> {
        Some(match name {
            "iss" => Field::Iss,
            "sub" => Field::Sub,
            "token_use" => Field::TokenUse,
            "client_id" => Field::ClientId,
            "scope" => Field::Scope,
            "username" => Field::Username,
            "cognito:username" => Field::CognitoUsername,
            "aud" => Field::Aud,
            "cognito:groups" => Field::Groups,
            "azp" => Field::Azp,
            "jti" => Field::Jti,
            "origin_jti" => Field::OriginJti,
            "event_id" => Field::EventId,
            "exp" => Field::Exp,
            "nbf" => Field::Nbf,
            "iat" => Field::Iat,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Field::Iss => "iss",
            Field::Sub => "sub",
            Field::TokenUse => "token_use",
            Field::ClientId => "client_id",
            Field::Scope => "scope",
            Field::Username => "username",
            Field::CognitoUsername => "cognito:username",
            Field::Aud => "aud",
            Field::Groups => "cognito:groups",
            Field::Azp => "azp",
            Field::Jti => "jti",
            Field::OriginJti => "origin_jti",
            Field::EventId => "event_id",
            Field::Exp => "exp",
            Field::Nbf => "nbf",
            Field::Iat => "iat",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_members_are_rejected_however_spelled() {
        for payload in [
            r#"{"exp":1,"sub":"a","exp":2}"#,
            r#"{"exp":1,"\u0065xp":2}"#,
            r#"{"jti":"a","sub":"b","jti":"c"}"#,
            r#"{"jti":"a","\u006ati":"c"}"#,
            r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"a":19}"#,
        ] {
            let mut core = CoreClaims::default();
            let err = core.parse_into(payload).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Malformed(MalformedToken::DuplicateMember {
                        segment: Segment::Payload,
                        ..
                    })
                ),
                "{payload}: {err:?}"
            );
        }
        let mut core = CoreClaims::default();
        core.parse_into(r#"{"exp":1,"sub":"s","jti":"a","x":[1,{"y":2}]}"#)
            .unwrap();
        assert_eq!(core.exp, Some(1));
        assert_eq!(core.sub.as_deref(), Some("s"));
    }
}
