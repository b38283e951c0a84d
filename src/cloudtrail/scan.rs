//! A minimal JSON scanner for the hot path: find the extent of values
//! without interpreting them.
//!
//! Most of a CloudTrail record's bytes are in values the analysis does not
//! read (`requestParameters`, `responseElements`, `tlsDetails`, ...).
//! serde_json skips a value by parsing it (validating every escape and
//! UTF-8 sequence); this scanner only tracks string boundaries and bracket
//! depth. Containers are crossed 64 bytes at a time with bit masks (see
//! [`Scanner::value`]), strings eight bytes at a time, then with `memchr`;
//! all of it in safe code the compiler vectorises. Skipped content is
//! therefore *not* validated: a malformed escape inside a skipped string, a
//! backslash outside a string, or a mismatched pair such as `[1}`, goes
//! unnoticed; truncation and unbalanced brackets are always caught. The
//! text is checked as UTF-8 once, as a whole ([`utf8`]); values that are
//! read are decoded by [`text`] (escapes through serde_json) or, for
//! `responseElements` and `additionalEventData`, by serde_json on demand.

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

/// A cursor over a JSON text.
///
/// The text is a `str`, checked as UTF-8 once as a whole: the values handed
/// out are slices of it (a value starts and ends at an ASCII delimiter, so
/// always on a character boundary), and none needs checking again. Checking
/// each string read instead cost about 6% of a scan.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    json: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `json`.
    pub fn new(json: &'a str) -> Self {
        Scanner { json, pos: 0 }
    }

    /// The text's bytes, which the scanning reads.
    fn buf(&self) -> &'a [u8] {
        self.json.as_bytes()
    }

    /// The current offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The text from `start` to the current offset.
    pub fn since(&self, start: usize) -> &'a str {
        self.slice(start.min(self.pos), self.pos)
    }

    /// The text between two offsets the scanner stopped at. Each is just
    /// after an ASCII delimiter, or before the first byte of a character
    /// (a scalar ends at the first byte that cannot continue it), or at the
    /// end: always a character boundary.
    fn slice(&self, from: usize, to: usize) -> &'a str {
        let slice = self.json.get(from..to);
        debug_assert!(
            slice.is_some(),
            "{from}..{to} is not on character boundaries"
        );
        slice.unwrap_or_default()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.buf().get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    pub fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.buf().get(self.pos).copied()
    }

    fn unexpected(&self, expected: &'static str) -> ScanError {
        match self.buf().get(self.pos) {
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
            match find_quote_or_backslash(self.buf(), at) {
                Some(found) if self.buf()[found] == b'"' => {
                    self.pos = found + 1;
                    return Ok((start, found, escaped));
                }
                Some(found) => {
                    escaped = true;
                    at = found + 2;
                    if at > self.buf().len() {
                        return Err(ScanError::Eof(self.buf().len()));
                    }
                }
                None => return Err(ScanError::Eof(self.buf().len())),
            }
        }
    }

    /// Skips one value of any kind; returns its text.
    pub fn value(&mut self) -> Result<&'a str, ScanError> {
        let start = match self.peek() {
            Some(_) => self.pos,
            None => return Err(ScanError::Eof(self.pos)),
        };
        match self.buf()[start] {
            b'"' => {
                self.string_body()?;
            }
            b'{' | b'[' => self.skip_container()?,
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => self.skip_scalar(),
            _ => return Err(self.unexpected("a value")),
        }
        Ok(self.slice(start, self.pos))
    }

    /// Skips a number or literal: only bytes that can be part of one.
    fn skip_scalar(&mut self) {
        while let Some(b) = self.buf().get(self.pos) {
            if !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
                break;
            }
            self.pos += 1;
        }
    }

    /// Skips an object or array by bracket depth, 64 bytes at a time: each
    /// block is turned into bit masks of its quotes, backslashes and
    /// brackets ([`classify`]), the bytes inside strings are masked out with
    /// a prefix XOR over the unescaped quotes (the technique of simdjson's
    /// stage 1, Langdale and Lemire, "Parsing Gigabytes of JSON per Second",
    /// 2019), and the brackets left are counted.
    #[inline(never)]
    fn skip_container(&mut self) -> Result<(), ScanError> {
        let mut depth: u32 = 0;
        // All ones while the previous block ended inside a string.
        let mut in_string = 0u64;
        // 1 if the previous block ended with an unescaped backslash.
        let mut escape_carry = 0u64;
        let mut at = self.pos;
        let mut tail = [b' '; 64];
        loop {
            let block: &[u8; 64] = match self.buf().get(at..at + 64) {
                Some(block) => block.try_into().unwrap_or(&tail),
                None => {
                    // The last bytes, padded with spaces, which change
                    // nothing: a string or container left open is still open.
                    let rest = self.buf().get(at..).unwrap_or_default();
                    if rest.is_empty() {
                        return Err(ScanError::Eof(self.buf().len()));
                    }
                    tail[..rest.len()].copy_from_slice(rest);
                    &tail
                }
            };
            let masks = classify(block);
            let escaped = escaped_bytes(masks.backslashes, &mut escape_carry);
            let inside = prefix_xor(masks.quotes & !escaped) ^ in_string;
            in_string = 0u64.wrapping_sub(inside >> 63);
            let opens = masks.opens & !inside;
            let closes = masks.closes & !inside;
            // Walked one by one: baseline x86-64 has no popcount
            // instruction, and brackets are sparse.
            let mut brackets = opens | closes;
            while brackets != 0 {
                let bit = brackets & brackets.wrapping_neg();
                if opens & bit != 0 {
                    depth += 1;
                } else {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.pos = at + bit.trailing_zeros() as usize + 1;
                        return Ok(());
                    }
                }
                brackets ^= bit;
            }
            at += 64;
            if at >= self.buf().len() {
                return Err(ScanError::Eof(self.buf().len()));
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
            each(&self.buf()[from..to], self)?;
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

    /// Calls `each` with the raw key and the value text of every member of
    /// the object starting here.
    pub fn object(&mut self, mut each: impl FnMut(&'a [u8], &'a str)) -> Result<(), ScanError> {
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

    /// Calls `each` with the text of every element of the array starting
    /// here; stops at the first error `each` returns.
    pub fn array<E: From<ScanError>>(
        &mut self,
        mut each: impl FnMut(&'a str) -> Result<(), E>,
    ) -> Result<(), E> {
        self.elements(|scanner| {
            let value = scanner.value()?;
            each(value)
        })
    }
}

/// Bit masks of one 64-byte block: bit `i` stands for byte `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BlockMasks {
    quotes: u64,
    backslashes: u64,
    /// `{` and `[`.
    opens: u64,
    /// `}` and `]`.
    closes: u64,
}

/// Classifies a block. Written as byte comparisons into arrays that are then
/// packed eight at a time, which the compiler turns into vector compares on
/// any target without `unsafe` intrinsics (measured about 8x a bit-by-bit
/// loop). `{`/`[` and `}`/`]` differ only in bit 0x20, so one compare finds
/// each pair.
fn classify(block: &[u8; 64]) -> BlockMasks {
    let mut quotes = [0u8; 64];
    let mut backslashes = [0u8; 64];
    let mut opens = [0u8; 64];
    let mut closes = [0u8; 64];
    for (i, &byte) in block.iter().enumerate() {
        quotes[i] = u8::from(byte == b'"');
        backslashes[i] = u8::from(byte == b'\\');
        opens[i] = u8::from(byte | 0x20 == b'{');
        closes[i] = u8::from(byte | 0x20 == b'}');
    }
    BlockMasks {
        quotes: pack(&quotes),
        backslashes: pack(&backslashes),
        opens: pack(&opens),
        closes: pack(&closes),
    }
}

/// Packs 64 flags (each 0 or 1) into the bits of a `u64`: each group of
/// eight is gathered into one byte by a multiply.
fn pack(flags: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for (i, group) in flags.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(group.try_into().unwrap_or_default());
        mask |= (word.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    mask
}

/// The bytes escaped by a backslash: each unescaped backslash escapes the
/// byte after it. `carry` holds whether the previous block's last byte was
/// such a backslash, and is updated for the next block. Backslashes are
/// rare in CloudTrail, so this walks them one by one.
fn escaped_bytes(backslashes: u64, carry: &mut u64) -> u64 {
    let mut escaped = *carry;
    let mut starts = backslashes & !escaped;
    *carry = 0;
    while starts != 0 {
        let bit = starts & starts.wrapping_neg();
        let next = bit << 1;
        if next == 0 {
            *carry = 1;
        }
        escaped |= next;
        starts &= !(bit | next);
    }
    escaped
}

/// Bit `i` of the result is the XOR of bits `0..=i` of `x`: over the quote
/// mask, the bytes from an opening quote up to (not including) its closing
/// quote.
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// A mask with 0x80 in each byte of `word` equal to `byte`, exact (no
/// carries between bytes).
fn bytes_equal(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let diff = word ^ (0x0101_0101_0101_0101 * u64::from(byte));
    !(((diff & LOW7) + LOW7) | diff | LOW7)
}

/// The offset of the next `"` or `\\` at or after `at`: eight bytes at a
/// time for the short strings that are most of CloudTrail's (keys, ids,
/// names), memchr past 32 bytes.
fn find_quote_or_backslash(buf: &[u8], at: usize) -> Option<usize> {
    const WORDS: usize = 4;
    let mut i = at;
    for _ in 0..WORDS {
        let Some(chunk) = buf.get(i..i + 8) else {
            let rest = buf.get(i..)?;
            return rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .map(|p| i + p);
        };
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let found = bytes_equal(word, b'"') | bytes_equal(word, b'\\');
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(b'"', b'\\', buf.get(i..)?).map(|p| i + p)
}

/// Whether `bytes` holds a backslash: eight bytes at a time, which beats
/// memchr's dispatch on the short strings read from records.
fn has_backslash(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let found = words.by_ref().any(|word| {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        bytes_equal(word, b'\\') != 0
    });
    found || words.remainder().contains(&b'\\')
}

/// Reads a scalar value as text: strings (borrowed when they hold no
/// escapes), numbers and booleans as written; `None` for `null`, objects,
/// arrays, and strings that are not valid JSON strings.
pub fn text(value: &str) -> Option<Cow<'_, str>> {
    match value.as_bytes().first()? {
        b'"' => {
            let inner = value.strip_prefix('"')?.strip_suffix('"')?;
            if !has_backslash(inner.as_bytes()) {
                Some(Cow::Borrowed(inner))
            } else {
                serde_json::from_str::<String>(value).ok().map(Cow::Owned)
            }
        }
        b'n' | b'{' | b'[' => None,
        _ => Some(Cow::Borrowed(value)),
    }
}

/// The JSON text of an object's bytes: borrowed when they are UTF-8, as
/// JSON must be (RFC 8259, section 8.1); otherwise with each invalid
/// sequence replaced by U+FFFD, so a stray byte spoils one value, not the
/// file.
pub fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    // `from_utf8` first: its check of ASCII runs word by word, several
    // times faster than the lossy conversion's.
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(json: &str) -> Result<Vec<(String, String)>, ScanError> {
        let mut out = Vec::new();
        Scanner::new(json)
            .object(|k, v| out.push((String::from_utf8_lossy(k).into_owned(), v.to_owned())))?;
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
        assert_eq!(text("\""), None);
    }

    #[test]
    fn reads_scalars_as_text() {
        assert_eq!(text(r#""plain""#).as_deref(), Some("plain"));
        assert!(matches!(text(r#""plain""#), Some(Cow::Borrowed(_))));
        assert_eq!(text(r#""a\"b\u00e9""#).as_deref(), Some("a\"bé"));
        assert_eq!(text(r#""é""#).as_deref(), Some("é"));
        assert_eq!(text("123").as_deref(), Some("123"));
        assert_eq!(text("true").as_deref(), Some("true"));
        assert_eq!(text("null"), None);
        assert_eq!(text("{}"), None);
        assert!(has_backslash(b"0123456789\\"));
        assert!(has_backslash(b"01234567\\9"));
        assert!(!has_backslash(b"0123456789abcdefg"));
    }

    #[test]
    fn arrays_yield_each_element() {
        let mut seen = Vec::new();
        Scanner::new(r#"[1, "two", {"three":[3]}, []]"#)
            .array::<ScanError>(|v| {
                seen.push(v.to_owned());
                Ok(())
            })
            .expect("scan");
        assert_eq!(seen, ["1", r#""two""#, r#"{"three":[3]}"#, "[]"]);
    }
}

/// The block scanner against a byte-at-a-time reference, on inputs built to
/// put strings, escapes and brackets across 64-byte block boundaries.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// The end of the container at 0, found one byte at a time; `None` if
    /// it is not closed.
    fn reference_end(buf: &[u8]) -> Option<usize> {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        for (i, &b) in buf.iter().enumerate() {
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn reference_masks(block: &[u8; 64]) -> BlockMasks {
        let mask =
            |f: &dyn Fn(u8) -> bool| (0..64).fold(0u64, |m, i| m | (u64::from(f(block[i])) << i));
        BlockMasks {
            quotes: mask(&|b| b == b'"'),
            backslashes: mask(&|b| b == b'\\'),
            opens: mask(&|b| b == b'{' || b == b'['),
            closes: mask(&|b| b == b'}' || b == b']'),
        }
    }

    /// JSON-like text rich in the bytes the scanner cares about: brackets,
    /// filler, and strings holding escapes, brackets and multi-byte UTF-8
    /// (backslashes occur only inside strings, as in any JSON text).
    fn texty() -> impl Strategy<Value = Vec<u8>> {
        let string = proptest::collection::vec(
            prop_oneof![
                Just(&b"\\\""[..]),
                Just(&b"\\\\"[..]),
                Just(&b"{"[..]),
                Just(&b"]"[..]),
                Just(&b"x"[..]),
                Just("é".as_bytes()),
            ],
            0..12,
        )
        .prop_map(|parts| {
            let mut s = vec![b'"'];
            parts.iter().for_each(|p| s.extend_from_slice(p));
            s.push(b'"');
            s
        });
        let token = prop_oneof![
            string,
            Just(b"{".to_vec()),
            Just(b"}".to_vec()),
            Just(b"[".to_vec()),
            Just(b"]".to_vec()),
            Just(b":1,".to_vec()),
            Just(b" null ".to_vec()),
        ];
        (
            proptest::collection::vec(token, 0..60),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(tokens, cut)| {
                let text = tokens.concat();
                // Sometimes cut off, leaving strings and containers open.
                let keep = if text.len() > 1 && cut.index(4) == 0 {
                    cut.index(text.len())
                } else {
                    text.len()
                };
                text[..keep].to_vec()
            })
    }

    proptest! {
        #[test]
        fn skipping_a_container_matches_the_reference(body in texty(), opener in prop_oneof![Just(b'{'), Just(b'[')]) {
            let mut buf = vec![opener];
            buf.extend(&body);
            // A cut may split a character: the scanner reads what a file
            // with one would give it.
            let text = utf8(&buf);
            let buf = text.as_bytes();
            let mut scanner = Scanner::new(&text);
            match (scanner.skip_container(), reference_end(buf)) {
                (Ok(()), Some(end)) => prop_assert_eq!(scanner.position(), end),
                (Err(ScanError::Eof(_)), None) => {}
                (got, want) => prop_assert!(false, "scanner {:?}, reference {:?}", got, want),
            }
        }

        #[test]
        fn block_masks_match_the_reference(block in proptest::collection::vec(any::<u8>(), 64)) {
            let block: [u8; 64] = block.try_into().expect("64 bytes");
            prop_assert_eq!(classify(&block), reference_masks(&block));
        }

        #[test]
        fn quote_search_matches_the_reference(buf in texty(), at in 0usize..300) {
            let want = buf.iter().enumerate().skip(at).find(|(_, b)| matches!(b, b'"' | b'\\')).map(|(i, _)| i);
            prop_assert_eq!(find_quote_or_backslash(&buf, at), want);
        }
    }

    #[test]
    fn escapes_carry_across_blocks() {
        let mut carry = 0;
        // A backslash in the last byte escapes the next block's first byte.
        assert_eq!(escaped_bytes(1 << 63, &mut carry), 0);
        assert_eq!(carry, 1);
        // That first byte is a backslash: escaped, so it escapes nothing.
        assert_eq!(escaped_bytes(0b11, &mut carry), 0b101);
        assert_eq!(carry, 0);
        // Quotes at 1 and 6: bytes 1 to 5 are inside the string.
        assert_eq!(prefix_xor(0b0100_0010), 0b0011_1110);
    }
}
