//! A small ordered JSON tree for building records.
//!
//! `serde_json::Value` sorts object keys (without the `preserve_order`
//! feature), but real CloudTrail records have a recognisable field order
//! ("CloudTrail record contents"), so records are built as [`J`] trees whose
//! objects keep insertion order, then serialized with `serde_json`. Keys are
//! `Cow<'static, str>` so the common case allocates nothing, and [`J::Shared`]
//! lets every record of one session reuse one `userIdentity` subtree.

use std::borrow::Cow;
use std::rc::Rc;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// Object key: usually a static field name.
pub(crate) type Key = Cow<'static, str>;

/// A JSON value whose objects keep their field order.
#[derive(Debug, Clone)]
pub(crate) enum J {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (Insight statistics, S3 byte counts in some records).
    Float(f64),
    /// A string.
    Str(Cow<'static, str>),
    /// An array.
    Arr(Vec<J>),
    /// An object with fields in insertion order.
    Obj(Vec<(Key, J)>),
    /// A subtree shared between records (identities, constant payloads).
    Shared(Rc<J>),
}

impl J {
    /// Wraps the value so clones are cheap reference-count bumps.
    pub(crate) fn shared(self) -> J {
        J::Shared(Rc::new(self))
    }

    /// Follows [`J::Shared`] links to the underlying value.
    pub(crate) fn resolve(&self) -> &J {
        match self {
            J::Shared(inner) => inner.resolve(),
            other => other,
        }
    }

    /// The field `key` of an object (through shared links), if present.
    pub(crate) fn get(&self, key: &str) -> Option<&J> {
        match self.resolve() {
            J::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string content, if this is a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self.resolve() {
            J::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&'static str> for J {
    fn from(s: &'static str) -> Self {
        J::Str(Cow::Borrowed(s))
    }
}

impl From<String> for J {
    fn from(s: String) -> Self {
        J::Str(Cow::Owned(s))
    }
}

impl From<bool> for J {
    fn from(b: bool) -> Self {
        J::Bool(b)
    }
}

impl From<i64> for J {
    fn from(n: i64) -> Self {
        J::Int(n)
    }
}

impl From<u64> for J {
    fn from(n: u64) -> Self {
        J::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<Vec<J>> for J {
    fn from(items: Vec<J>) -> Self {
        J::Arr(items)
    }
}

impl From<Obj> for J {
    fn from(o: Obj) -> Self {
        J::Obj(o.0)
    }
}

impl<T: Into<J>> From<Option<T>> for J {
    fn from(v: Option<T>) -> Self {
        v.map_or(J::Null, Into::into)
    }
}

/// Builder for an ordered object.
#[derive(Debug, Default, Clone)]
pub(crate) struct Obj(Vec<(Key, J)>);

impl Obj {
    /// An empty object.
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends a field (builder style).
    pub(crate) fn f(mut self, key: impl Into<Key>, value: impl Into<J>) -> Self {
        self.0.push((key.into(), value.into()));
        self
    }

    /// Appends a field only when `value` is `Some`.
    pub(crate) fn opt(self, key: &'static str, value: Option<impl Into<J>>) -> Self {
        match value {
            Some(v) => self.f(key, v),
            None => self,
        }
    }

    /// Appends a field in place.
    pub(crate) fn push(&mut self, key: impl Into<Key>, value: impl Into<J>) {
        self.0.push((key.into(), value.into()));
    }

    /// Appends a field in place only when `value` is `Some`.
    pub(crate) fn push_opt(&mut self, key: &'static str, value: Option<impl Into<J>>) {
        if let Some(v) = value {
            self.push(key, v);
        }
    }

    /// Finishes the object.
    pub(crate) fn j(self) -> J {
        J::Obj(self.0)
    }
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self {
            J::Null => ser.serialize_unit(),
            J::Bool(b) => ser.serialize_bool(*b),
            J::Int(n) => ser.serialize_i64(*n),
            J::Float(x) => ser.serialize_f64(*x),
            J::Str(s) => ser.serialize_str(s),
            J::Arr(items) => {
                let mut seq = ser.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            J::Obj(fields) => {
                let mut map = ser.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
            J::Shared(inner) => inner.serialize(ser),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_field_order() {
        let v = Obj::new().f("z", 1i64).f("a", "x").f("m", J::Null).j();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"z":1,"a":"x","m":null}"#
        );
    }

    #[test]
    fn shared_serializes_inner() {
        let inner = Obj::new().f("type", "Root").j().shared();
        let v = Obj::new().f("userIdentity", inner.clone()).j();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"userIdentity":{"type":"Root"}}"#
        );
        assert_eq!(inner.get("type").and_then(J::as_str), Some("Root"));
    }
}
