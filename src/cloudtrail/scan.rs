//! A minimal JSON scanner for the hot path: find the extent of values
//! without interpreting them.
//!
//! Most of a CloudTrail record's bytes are in values the analysis does not
//! read (`requestParameters`, `responseElements`, `tlsDetails`, ...).
//! serde_json skips a value by parsing it (validating every escape and
//! UTF-8 sequence); this scanner only tracks string boundaries and bracket
//! depth: a lookup table finds the next quote or bracket, and strings are
//! crossed with a short loop or `memchr`. Skipped content is therefore *not*
//! validated: a malformed escape inside a skipped string, or a mismatched
//! pair such as `[1}`, goes unnoticed; truncation and unbalanced brackets are
//! always caught. Values that are read are decoded by [`text`] (UTF-8
//! checked, escapes through serde_json) or, for `responseElements` and
//! `additionalEventData`, by serde_json on demand.

use std::borrow::Cow;

/// A structural error: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// The input ended inside a value.
    #[error("unexpected end of input at byte {0}")]
    Eof(usize),
    /// A byte that cannot start or continue a value here.
    #[error("unexpected {found:?} at byte {at}, expected {expected}")]
    Unexpected {
        /// Offset.
        at: usize,
        /// The byte found, as a char.
        found: char,
        /// What the grammar allows there.
        expected: &'static str,
    },
}

/// The bytes that matter when skipping a container: quotes and brackets.
static STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

/// A cursor over a JSON text.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Scanner { buf, pos: 0 }
    }

    /// The current offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes from `start` to the current offset.
    pub fn since(&self, start: usize) -> &'a [u8] {
        &self.buf[start.min(self.pos)..self.pos]
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.buf.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    pub fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.buf.get(self.pos).copied()
    }

    fn unexpected(&self, expected: &'static str) -> ScanError {
        match self.buf.get(self.pos) {
            Some(&b) => ScanError::Unexpected {
                at: self.pos,
                found: b as char,
                expected,
            },
            None => ScanError::Eof(self.pos),
        }
    }

    /// Consumes `byte` (after whitespace).
    pub fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), ScanError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// Skips a string whose opening quote is at `self.pos`; returns the
    /// span of its content and whether it holds escapes.
    fn string_body(&mut self) -> Result<(usize, usize, bool), ScanError> {
        let start = self.pos + 1;
        let mut at = start;
        let mut escaped = false;
        loop {
            match self.find_quote_or_backslash(at) {
                Some(found) if self.buf[found] == b'"' => {
                    self.pos = found + 1;
                    return Ok((start, found, escaped));
                }
                Some(found) => {
                    escaped = true;
                    at = found + 2;
                    if at > self.buf.len() {
                        return Err(ScanError::Eof(self.buf.len()));
                    }
                }
                None => return Err(ScanError::Eof(self.buf.len())),
            }
        }
    }

    /// The offset of the next `"` or `\\` from `at`. Most JSON strings are
    /// short (keys, ids), where a plain loop beats memchr's setup; longer
    /// ones go to memchr.
    #[inline]
    fn find_quote_or_backslash(&self, at: usize) -> Option<usize> {
        const SHORT: usize = 24;
        let rest = self.buf.get(at..)?;
        let head = &rest[..rest.len().min(SHORT)];
        if let Some(i) = head.iter().position(|&b| b == b'"' || b == b'\\') {
            return Some(at + i);
        }
        if rest.len() <= SHORT {
            return None;
        }
        memchr::memchr2(b'"', b'\\', &rest[SHORT..]).map(|i| at + SHORT + i)
    }

    /// Skips one value of any kind; returns its bytes.
    pub fn value(&mut self) -> Result<&'a [u8], ScanError> {
        let start = match self.peek() {
            Some(_) => self.pos,
            None => return Err(ScanError::Eof(self.pos)),
        };
        match self.buf[start] {
            b'"' => {
                self.string_body()?;
            }
            b'{' | b'[' => self.skip_container()?,
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => self.skip_scalar(),
            _ => return Err(self.unexpected("a value")),
        }
        Ok(&self.buf[start..self.pos])
    }

    /// Skips a number or literal: only bytes that can be part of one.
    fn skip_scalar(&mut self) {
        while let Some(b) = self.buf.get(self.pos) {
            if !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
                break;
            }
            self.pos += 1;
        }
    }

    /// Skips an object or array by bracket depth, jumping over strings.
    fn skip_container(&mut self) -> Result<(), ScanError> {
        let mut depth = 0usize;
        loop {
            let rest = &self.buf[self.pos..];
            let Some(offset) = rest.iter().position(|&b| STRUCTURAL[usize::from(b)]) else {
                return Err(ScanError::Eof(self.buf.len()));
            };
            self.pos += offset;
            match self.buf[self.pos] {
                b'"' => {
                    self.string_body()?;
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                _ => {
                    self.pos += 1;
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Walks the object starting here, calling `each` with every raw key
    /// and the scanner positioned at its value; `each` must consume the value
    /// (with [`Scanner::value`], [`Scanner::members`] or
    /// [`Scanner::elements`]). Keys are compared raw: CloudTrail's keys hold
    /// no escapes.
    pub fn members<E: From<ScanError>>(
        &mut self,
        mut each: impl FnMut(&'a [u8], &mut Scanner<'a>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.expect(b'{', "an object")?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a key").into());
            }
            let (from, to, _) = self.string_body()?;
            self.expect(b':', "`:`")?;
            each(&self.buf[from..to], self)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected("`,` or `}`").into()),
            }
        }
    }

    /// Calls `each` with the raw key and the value bytes of every member of
    /// the object starting here.
    pub fn object(&mut self, mut each: impl FnMut(&'a [u8], &'a [u8])) -> Result<(), ScanError> {
        self.members(|key, scanner| {
            let value = scanner.value()?;
            each(key, value);
            Ok::<(), ScanError>(())
        })
    }

    /// Walks the array starting here, calling `each` with the scanner
    /// positioned at every element, which `each` must consume; stops at the
    /// first error `each` returns.
    pub fn elements<E: From<ScanError>>(
        &mut self,
        mut each: impl FnMut(&mut Scanner<'a>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.expect(b'[', "an array")?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            each(self)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected("`,` or `]`").into()),
            }
        }
    }

    /// Calls `each` with the bytes of every element of the array starting
    /// here; stops at the first error `each` returns.
    pub fn array<E: From<ScanError>>(
        &mut self,
        mut each: impl FnMut(&'a [u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.elements(|scanner| {
            let value = scanner.value()?;
            each(value)
        })
    }
}

/// Reads a scalar value as text: strings (borrowed when they hold no
/// escapes), numbers and booleans as written; `None` for `null`, objects,
/// arrays, and strings that are not valid JSON strings.
pub fn text(value: &[u8]) -> Option<Cow<'_, str>> {
    match value.first()? {
        b'"' => {
            let inner = value.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
            if memchr::memchr(b'\\', inner).is_none() {
                std::str::from_utf8(inner).ok().map(Cow::Borrowed)
            } else {
                serde_json::from_slice::<String>(value).ok().map(Cow::Owned)
            }
        }
        b'n' | b'{' | b'[' => None,
        _ => std::str::from_utf8(value).ok().map(Cow::Borrowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(json: &str) -> Result<Vec<(String, String)>, ScanError> {
        let mut out = Vec::new();
        Scanner::new(json.as_bytes()).object(|k, v| {
            out.push((
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ))
        })?;
        Ok(out)
    }

    #[test]
    fn finds_members_and_skips_nested_values_with_tricky_strings() {
        let json = r#" { "a" : "x\"}]" , "b":{"c":[1,{"d":"]}"}],"e":null}, "f":-1.5e3,"g":true,"h":[] } "#;
        let got = members(json).expect("scan");
        let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "f", "g", "h"]);
        assert_eq!(got[1].1, r#"{"c":[1,{"d":"]}"}],"e":null}"#);
        assert_eq!(got[2].1, "-1.5e3");
    }

    #[test]
    fn reports_truncation_and_garbage() {
        assert!(matches!(members(r#"{"a":{"b":"#), Err(ScanError::Eof(_))));
        assert!(matches!(
            members(r#"{"a":"unterminated"#),
            Err(ScanError::Eof(_))
        ));
        assert!(matches!(
            members(r#"{"a" 1}"#),
            Err(ScanError::Unexpected { .. })
        ));
        assert!(matches!(
            members(r#"{"a":1 "b":2}"#),
            Err(ScanError::Unexpected { .. })
        ));
        assert!(matches!(members("{\"a\":\"x\\"), Err(ScanError::Eof(_))));
        assert!(matches!(
            members(r#"{"a":1"b":2}"#),
            Err(ScanError::Unexpected { .. })
        ));
        assert_eq!(text(b"\""), None);
    }

    #[test]
    fn reads_scalars_as_text() {
        assert_eq!(text(br#""plain""#).as_deref(), Some("plain"));
        assert!(matches!(text(br#""plain""#), Some(Cow::Borrowed(_))));
        assert_eq!(text(br#""a\"b\u00e9""#).as_deref(), Some("a\"bé"));
        assert_eq!(text(b"123").as_deref(), Some("123"));
        assert_eq!(text(b"true").as_deref(), Some("true"));
        assert_eq!(text(b"null"), None);
        assert_eq!(text(b"{}"), None);
    }

    #[test]
    fn arrays_yield_each_element() {
        let mut seen = Vec::new();
        Scanner::new(br#"[1, "two", {"three":[3]}, []]"#)
            .array::<ScanError>(|v| {
                seen.push(String::from_utf8_lossy(v).into_owned());
                Ok(())
            })
            .expect("scan");
        assert_eq!(seen, ["1", r#""two""#, r#"{"three":[3]}"#, "[]"]);
    }
}
