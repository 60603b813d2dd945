//! The strict JSON reading that the token header and the claims payload share.
//!
//! serde_json alone would accept what a JWT must not carry: a repeated member
//! name (RFC 7515 §5.2, RFC 7519 §4) is rejected here, however it is spelled,
//! and values nobody reads are still walked with serde_json's nesting limit.
//! Claim values are read straight from the JSON, without building a serde_json `Value`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{MalformedToken, Segment, capped};

/// A map key that borrows from the input when it can.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Skips one JSON value of any shape, like [`IgnoredAny`], but through
/// `deserialize_any`, so serde_json's nesting limit (128) applies. serde_json
/// skips `IgnoredAny` iteratively with no depth limit, which would let a
/// payload verify while [`Claims::all`](crate::Claims::all) and the typed views, which parse it
/// again with the limit, silently came back empty.
pub(crate) struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SkipVisitor;
        impl<'de> Visitor<'de> for SkipVisitor {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Skip)
            }
        }
        d.deserialize_any(SkipVisitor)
    }
}

/// Other member names kept inline before [`SeenKeys`] moves to a hash set.
const INLINE_NAMES: usize = 16;

/// Tracks member names of one JSON object and reports the first repeat,
/// without allocating for a normal token. Names the caller knows (the core
/// claims) are one bit each; other names are compared by a cheap fingerprint
/// before any string comparison. Past [`INLINE_NAMES`] of them, or for a name
/// that had escapes, a hash set keeps hostile inputs cheap.
pub(crate) struct SeenKeys<'de> {
    known: u32,
    len: usize,
    fingerprints: [u64; INLINE_NAMES],
    names: [&'de str; INLINE_NAMES],
    large: Option<HashSet<Cow<'de, str>>>,
}

/// Length, first eight bytes and last byte: equal names always match, and
/// different claim names almost never do.
fn fingerprint(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut head = [0u8; 8];
    for (slot, b) in head.iter_mut().zip(bytes) {
        *slot = *b;
    }
    u64::from_le_bytes(head)
        ^ ((bytes.len() as u64) << 56)
        ^ bytes.last().map_or(0, |b| u64::from(*b) << 48)
}

impl<'de> SeenKeys<'de> {
    pub(crate) fn new() -> Self {
        SeenKeys {
            known: 0,
            len: 0,
            fingerprints: [0; INLINE_NAMES],
            names: [""; INLINE_NAMES],
            large: None,
        }
    }

    /// Record the known name number `index` (below 32); `false` if it was already there.
    pub(crate) fn insert_known(&mut self, index: u32) -> bool {
        let bit = 1u32 << (index & 31);
        let fresh = self.known & bit == 0;
        self.known |= bit;
        fresh
    }

    /// Record `key`; `false` if it was already there. Callers never pass a
    /// name they record with [`SeenKeys::insert_known`].
    #[expect(
        clippy::ptr_arg,
        reason = "a borrowed name is kept inline for 'de, an owned one is not"
    )]
    pub(crate) fn insert(&mut self, key: &Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.large {
            return set.insert(key.clone());
        }
        let slot = match key {
            Cow::Borrowed(name) => {
                let fp = fingerprint(name);
                let mut seen = self.fingerprints.iter().zip(&self.names).take(self.len);
                if seen.any(|(f, k)| *f == fp && k == name) {
                    return false;
                }
                self.fingerprints
                    .get_mut(self.len)
                    .zip(self.names.get_mut(self.len))
                    .map(|(f, k)| (f, k, fp, *name))
            }
            Cow::Owned(_) => None,
        };
        match slot {
            Some((f, k, fp, name)) => {
                *f = fp;
                *k = name;
                self.len = self.len.saturating_add(1);
                true
            }
            None => {
                let names = self.names.iter().take(self.len);
                let mut set: HashSet<Cow<'de, str>> =
                    names.map(|name| Cow::Borrowed(*name)).collect();
                let fresh = set.insert(key.clone());
                self.large = Some(set);
                fresh
            }
        }
    }
}

/// The parse failed for a reason that must be reported as such.
pub(crate) enum ObjectError {
    Duplicate(String),
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectError::Duplicate(name) => write!(f, "duplicate member {name}"),
        }
    }
}

/// Visit the members of a JSON object once, rejecting duplicate names.
/// `on_member` reads or skips each value; repeated members are skipped and the
/// first repeat is reported once the whole object has been consumed.
pub(crate) fn visit_object<'de, A, F>(
    mut map: A,
    mut on_member: F,
) -> Result<Result<(), ObjectError>, A::Error>
where
    A: MapAccess<'de>,
    F: FnMut(&str, &mut A) -> Result<(), A::Error>,
{
    let mut seen = SeenKeys::new();
    let mut duplicate = None;
    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
        if seen.insert(&key) {
            on_member(&key, &mut map)?;
        } else {
            map.next_value::<IgnoredAny>()?;
            duplicate.get_or_insert_with(|| capped(&key));
        }
    }
    Ok(match duplicate {
        Some(name) => Err(ObjectError::Duplicate(name)),
        None => Ok(()),
    })
}

/// What a header parser reads a JOSE header's members into: one call per
/// member, each name seen once ([`read_object`] refuses repeats).
pub(crate) trait ReadMembers<'de>: Default {
    /// Read (or skip) the value of member `name`.
    fn read<A: MapAccess<'de>>(&mut self, name: &str, map: &mut A) -> Result<(), A::Error>;
}

/// Read the JSON object `text` of `segment` into `R`, refusing a repeated
/// member name, with the structural error each failure gets.
pub(crate) fn read_object<'de, R: ReadMembers<'de>>(
    text: &'de str,
    segment: Segment,
) -> Result<R, MalformedToken> {
    struct ObjectVisitor<R>(std::marker::PhantomData<R>);
    impl<'de, R: ReadMembers<'de>> Visitor<'de> for ObjectVisitor<R> {
        type Value = Result<R, ObjectError>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let mut members = R::default();
            let outcome = visit_object(map, |name, map| members.read(name, map))?;
            Ok(outcome.map(|()| members))
        }
    }
    struct Wrapper<R>(Result<R, ObjectError>);
    impl<'de, R: ReadMembers<'de>> Deserialize<'de> for Wrapper<R> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_map(ObjectVisitor(std::marker::PhantomData))
                .map(Wrapper)
        }
    }
    match serde_json::from_str::<Wrapper<R>>(text) {
        Ok(Wrapper(Ok(members))) => Ok(members),
        Ok(Wrapper(Err(ObjectError::Duplicate(name)))) => {
            Err(MalformedToken::DuplicateMember { segment, name })
        }
        Err(e) => Err(json_error(segment, &e)),
    }
}

/// Map a serde_json failure on an object segment to the right structural error.
pub(crate) fn json_error(segment: Segment, err: &serde_json::Error) -> MalformedToken {
    if err.is_data() {
        MalformedToken::NotAnObject(segment)
    } else {
        MalformedToken::Json(segment)
    }
}

/// One core claim's value, read straight from the JSON without building a
/// [`serde_json::Value`]: only strings, numbers and lists of strings are ever acceptable.
pub(crate) enum ClaimValue<'de> {
    Str(Cow<'de, str>),
    Int(i64),
    Float(f64),
    List(Vec<Cow<'de, str>>),
    /// Anything else (bool, null, object, a list with a non-string).
    Other,
}

impl<'de> Deserialize<'de> for ClaimValue<'de> {
    #[inline]
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ClaimVisitor;
        impl<'de> Visitor<'de> for ClaimVisitor {
            type Value = ClaimValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Other)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ClaimValue<'de>, E> {
                Ok(i64::try_from(v).map_or(ClaimValue::Float(v as f64), ClaimValue::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Float(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ClaimValue<'de>, E> {
                Ok(ClaimValue::Str(Cow::Owned(v)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ClaimValue<'de>, A::Error> {
                let mut items = Vec::new();
                let mut all_strings = true;
                while let Some(item) = seq.next_element::<ClaimValue<'de>>()? {
                    match item {
                        ClaimValue::Str(s) if all_strings => items.push(s),
                        _ => all_strings = false,
                    }
                }
                Ok(if all_strings {
                    ClaimValue::List(items)
                } else {
                    ClaimValue::Other
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClaimValue<'de>, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(ClaimValue::Other)
            }
        }
        d.deserialize_any(ClaimVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_keys_reports_repeats_inline_spilled_and_escaped() {
        let names: Vec<String> = (0..40).map(|i| format!("claim_{i}")).collect();
        let mut seen = SeenKeys::new();
        for (i, name) in names.iter().enumerate() {
            assert!(seen.insert(&Cow::Borrowed(name.as_str())), "first {name}");
            // Every earlier name is still known, before and after the spill.
            for earlier in names.iter().take(i + 1) {
                assert!(
                    !seen.insert(&Cow::Borrowed(earlier.as_str())),
                    "repeat {earlier}"
                );
            }
        }

        // A name that had escapes (owned) matches an inline borrowed one.
        let mut seen = SeenKeys::new();
        assert!(seen.insert(&Cow::Borrowed("event_id")));
        assert!(!seen.insert(&Cow::Owned("event_id".to_owned())));
        assert!(seen.insert(&Cow::Owned("jti".to_owned())));
        assert!(!seen.insert(&Cow::Borrowed("jti")));

        // Known names are one bit each.
        let mut seen = SeenKeys::new();
        assert!(seen.insert_known(0));
        assert!(seen.insert_known(31));
        assert!(!seen.insert_known(0));
        assert!(!seen.insert_known(31));
    }
}
