//! Text taken from a token, made safe to print on a terminal.
//!
//! A token is attacker-controlled: a claim can hold ESC, the C1 CSI
//! (U+009B) or a bidirectional override, which a terminal would obey.
//! Every such character is written as an escape instead.

use std::fmt::Write as _;

/// Whether a terminal could act on `c` instead of just showing it: control
/// characters (C0, DEL, C1), bidirectional marks and overrides, line and
/// paragraph separators, and the byte-order mark.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{feff}'
        )
}

/// `s` with every unsafe character written as `\u{…}` (hexadecimal code
/// point), for one line of human output.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Serialized JSON made safe for a terminal, still valid and equal JSON.
///
/// `serde_json` escapes U+0000 to U+001F inside strings, so a raw one in
/// its output is layout (a newline). It leaves DEL, the C1 controls and the
/// bidirectional characters raw; those can only be inside strings, where
/// `\uXXXX` means the same character. All of them are below U+10000.
pub(crate) fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c >= '\u{7f}' && is_unsafe(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_are_written_out() {
        assert_eq!(escape("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\u{a}");
        assert_eq!(escape("x\u{9b}\u{202e}y"), "x\\u{9b}\\u{202e}y");
        assert_eq!(escape("plain ü"), "plain ü");
    }

    #[test]
    fn json_stays_valid_and_equal() {
        let value = serde_json::json!({ "n": "a\u{9b}b\u{1b}c\u{202e}" });
        let raw = serde_json::to_string_pretty(&value).unwrap_or_default();
        let safe = json_safe(&raw);
        assert!(
            !safe
                .chars()
                .any(|c| c == '\u{9b}' || c == '\u{1b}' || c == '\u{202e}')
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back, value);
    }
}
