//! Field types that accept what CloudTrail (and re-exports of it) actually
//! write, not only what the schema promises.
//!
//! The CloudTrail User Guide's own examples write `mfaAuthenticated` as the
//! string `"true"`, and fixtures in the wild put numbers where account ids
//! belong or objects where a string is expected. One odd field must not cost
//! the whole file, so these types take any JSON value: the expected shape is
//! kept, anything else is skipped and read as absent.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A string field, borrowed from the input when it holds no escapes.
/// Numbers and booleans are kept as their text; objects, arrays and `null`
/// read as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// The text, if present and non-empty (CloudTrail writes `""` for some
    /// absent values, for example `accessKeyId`).
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty())
    }

    /// The text as a `Cow` borrowing from the input when it can.
    pub fn cow(&self) -> Option<Cow<'a, str>> {
        self.0.clone().filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor(PhantomData))
    }
}

struct TextVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

/// A boolean written as `true` or as the string `"true"` (both forms occur;
/// CloudTrail userIdentity element, `mfaAuthenticated`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub Option<bool>);

impl Flag {
    /// Reads `true`/`false` in any case; anything else is absent.
    pub fn from_text(text: &Text<'_>) -> Flag {
        Flag(match text.get() {
            Some(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Some(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        })
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Flag::from_text(&Text::deserialize(d)?))
    }
}

/// Whether a field holds a value other than `null` (its content is skipped).
/// Set by the hand-written request-parameter reader.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Present(pub bool);

/// An object (or array) field of type `T`; any other JSON value, such as the
/// `null` of `responseElements` for read-only calls, reads as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lenient<T>(pub Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<T> Lenient<T> {
    /// The value, if it had the expected shape.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|v| Lenient(Some(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::deserialize(SeqAccessDeserializer::new(seq)).map(|v| Lenient(Some(v)))
    }
    fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_takes_any_scalar_and_skips_containers() {
        let t: Vec<Text> =
            serde_json::from_str(r#"["a", 12, true, null, {"x":[1]}, [1,2], ""]"#).expect("parse");
        let got: Vec<Option<&str>> = t.iter().map(Text::get).collect();
        assert_eq!(
            got,
            [Some("a"), Some("12"), Some("true"), None, None, None, None]
        );
    }

    #[test]
    fn text_borrows_unescaped_strings() {
        let t: Text = serde_json::from_str(r#""plain""#).expect("parse");
        assert!(matches!(t.0, Some(Cow::Borrowed("plain"))));
        let t: Text = serde_json::from_str(r#""with \"quote\"""#).expect("parse");
        assert_eq!(t.get(), Some("with \"quote\""));
    }

    #[test]
    fn flag_reads_booleans_and_their_strings() {
        let f: Vec<Flag> =
            serde_json::from_str(r#"[true, "true", "FALSE", false, "yes", null]"#).expect("parse");
        let got: Vec<Option<bool>> = f.iter().map(|f| f.0).collect();
        assert_eq!(
            got,
            [Some(true), Some(true), Some(false), Some(false), None, None]
        );
    }

    #[test]
    fn lenient_keeps_objects_and_drops_other_shapes() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Inner {
            a: u32,
        }
        let v: Vec<Lenient<Inner>> =
            serde_json::from_str(r#"[{"a":1,"b":2}, null, "s", 3]"#).expect("parse");
        assert_eq!(v[0].get(), Some(&Inner { a: 1 }));
        assert!(v[1..].iter().all(|l| l.get().is_none()));
    }
}
