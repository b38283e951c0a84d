//! IAM policy documents: the grammar, parsed once into a typed model.
//!
//! Follows the IAM JSON policy grammar
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>):
//! `Statement` is one object or an array; `Action`/`NotAction`,
//! `Resource`/`NotResource` and every condition value are a string or an
//! array of strings; `Principal` is `"*"` or a map of principal type to a
//! string or array. Booleans and numbers in conditions are kept as their
//! text, since IAM compares them as strings. Documents arrive either as JSON
//! (what the AWS CLI prints) or URL-encoded (what the IAM API returns, RFC
//! 3986); [`PolicyDocument::from_value`] accepts both.
//!
//! Action names are compared case-insensitively by IAM, so action patterns
//! are stored lowercased; resources and condition values keep their case.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// What is wrong with a policy document, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", match .statement { Some(i) => format!("statement {i}: "), None => String::new() })]
pub struct DocumentError {
    /// Index of the offending statement in `Statement`, when it is one.
    pub statement: Option<usize>,
    /// What is wrong.
    pub reason: String,
}

impl DocumentError {
    fn document(reason: impl Into<String>) -> Self {
        DocumentError {
            statement: None,
            reason: reason.into(),
        }
    }

    fn statement(index: usize, reason: impl Into<String>) -> Self {
        DocumentError {
            statement: Some(index),
            reason: reason.into(),
        }
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Explicitly refuses; wins over any allow.
    Deny,
}

/// A list of patterns, or its complement (`NotAction`, `NotResource`,
/// `NotPrincipal`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Match<T> {
    /// Matches what any item matches (`Action`, `Resource`, `Principal`).
    Listed(Vec<T>),
    /// Matches what no item matches (`NotAction`, `NotResource`, `NotPrincipal`).
    Not(Vec<T>),
}

impl<T> Match<T> {
    /// The items, whichever way they are used.
    pub fn items(&self) -> &[T] {
        match self {
            Match::Listed(items) | Match::Not(items) => items,
        }
    }

    /// True for the `Not…` form.
    pub fn is_not(&self) -> bool {
        matches!(self, Match::Not(_))
    }
}

/// Principals of a trust or resource policy, by principal type (`AWS`,
/// `Service`, `Federated`, `CanonicalUser`); `"*"` is stored as `AWS: ["*"]`
/// as the grammar defines them equal.
pub type Principals = BTreeMap<String, Vec<String>>;

/// Condition block: operator (`StringEquals`, `ForAnyValue:StringLike`,
/// `IpAddressIfExists`, …) → condition key → values. Kept whole and in
/// order, so it can be shown and copied into a suggestion unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Conditions(pub BTreeMap<String, BTreeMap<String, Vec<String>>>);

impl Conditions {
    /// True when the statement has no condition.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every `(operator, key, values)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &[String])> {
        self.0.iter().flat_map(|(op, keys)| {
            keys.iter()
                .map(move |(key, values)| (op.as_str(), key.as_str(), values.as_slice()))
        })
    }
}

impl fmt::Display for Conditions {
    /// `StringEquals aws:SourceVpc=vpc-1|vpc-2; Bool aws:SecureTransport=true`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (op, key, values)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{op} {key}={}", values.join("|"))?;
        }
        Ok(())
    }
}

impl Serialize for Conditions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (op, keys) in &self.0 {
            let keys: BTreeMap<&str, OneOrMany<'_>> = keys
                .iter()
                .map(|(k, v)| (k.as_str(), OneOrMany(v)))
                .collect();
            map.serialize_entry(op, &keys)?;
        }
        map.end()
    }
}

/// Serializes a one-item list as a plain string, as IAM prints it.
struct OneOrMany<'a>(&'a [String]);

impl Serialize for OneOrMany<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Statement {
    /// `Sid`, when given.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action` or `NotAction`, lowercased patterns (`s3:get*`).
    pub actions: Match<String>,
    /// `Resource` or `NotResource`; `None` in trust policies, which have none.
    pub resources: Option<Match<String>>,
    /// `Principal` or `NotPrincipal` (trust and resource policies).
    pub principals: Option<Match<Principals>>,
    /// `Condition`.
    pub conditions: Conditions,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyDocument {
    /// `Version` (`2012-10-17` for every current policy).
    pub version: Option<String>,
    /// `Id`.
    pub id: Option<String>,
    /// `Statement`, in document order.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Parses a policy document given as a JSON object or as a string that
    /// holds one, URL-encoded or not.
    pub fn from_value(value: &Value) -> Result<PolicyDocument, DocumentError> {
        match value {
            Value::String(text) => PolicyDocument::from_text(text),
            Value::Object(_) => parse_document(value),
            other => Err(DocumentError::document(format!(
                "expected a policy document, found {}",
                kind_of(other)
            ))),
        }
    }

    /// Parses the text of a policy document, URL-encoded or plain JSON.
    pub fn from_text(text: &str) -> Result<PolicyDocument, DocumentError> {
        let trimmed = text.trim_start();
        let decoded;
        let json = if trimmed.starts_with('{') {
            trimmed
        } else {
            decoded = percent_encoding::percent_decode_str(trimmed)
                .decode_utf8()
                .map_err(|e| {
                    DocumentError::document(format!("URL-encoded document is not UTF-8: {e}"))
                })?;
            &decoded
        };
        let value: Value = serde_json::from_str(json)
            .map_err(|e| DocumentError::document(format!("not JSON: {e}")))?;
        parse_document(&value)
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_document(value: &Value) -> Result<PolicyDocument, DocumentError> {
    let Value::Object(map) = value else {
        return Err(DocumentError::document(format!(
            "expected an object, found {}",
            kind_of(value)
        )));
    };
    let text = |key: &str| -> Result<Option<String>, DocumentError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(DocumentError::document(format!(
                "{key} must be a string, found {}",
                kind_of(other)
            ))),
        }
    };
    let version = text("Version")?;
    let id = text("Id")?;
    let statements = match map.get("Statement") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| parse_statement(i, s))
            .collect::<Result<Vec<_>, _>>()?,
        Some(one @ Value::Object(_)) => vec![parse_statement(0, one)?],
        Some(other) => {
            return Err(DocumentError::document(format!(
                "Statement must be an object or an array, found {}",
                kind_of(other)
            )));
        }
        None => return Err(DocumentError::document("no Statement")),
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement"))
    {
        return Err(DocumentError::document(format!(
            "unknown top-level element {unknown:?}"
        )));
    }
    Ok(PolicyDocument {
        version,
        id,
        statements,
    })
}

fn parse_statement(index: usize, value: &Value) -> Result<Statement, DocumentError> {
    let err = |reason: String| DocumentError::statement(index, reason);
    let Value::Object(map) = value else {
        return Err(err(format!("expected an object, found {}", kind_of(value))));
    };
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Principal"
                | "NotPrincipal"
                | "Condition"
        ) {
            return Err(err(format!("unknown element {key:?}")));
        }
    }
    let sid = match map.get("Sid") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(err(format!(
                "Sid must be a string, found {}",
                kind_of(other)
            )));
        }
    };
    let effect = match map.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(Value::String(s)) => {
            return Err(err(format!("Effect must be Allow or Deny, found {s:?}")));
        }
        Some(other) => {
            return Err(err(format!(
                "Effect must be a string, found {}",
                kind_of(other)
            )));
        }
        None => return Err(err("no Effect".to_owned())),
    };
    let actions = match either(map, "Action", "NotAction").map_err(&err)? {
        Some((not, value)) => {
            let items = strings(value)
                .map_err(|e| err(format!("{}: {e}", if not { "NotAction" } else { "Action" })))?
                .into_iter()
                .map(|a| a.to_ascii_lowercase())
                .collect();
            if not {
                Match::Not(items)
            } else {
                Match::Listed(items)
            }
        }
        None => return Err(err("no Action or NotAction".to_owned())),
    };
    let resources = match either(map, "Resource", "NotResource").map_err(&err)? {
        Some((not, value)) => {
            let items = strings(value).map_err(|e| {
                err(format!(
                    "{}: {e}",
                    if not { "NotResource" } else { "Resource" }
                ))
            })?;
            Some(if not {
                Match::Not(items)
            } else {
                Match::Listed(items)
            })
        }
        None => None,
    };
    let principals = match either(map, "Principal", "NotPrincipal").map_err(&err)? {
        Some((not, value)) => {
            let p = principal_map(value).map_err(|e| {
                err(format!(
                    "{}: {e}",
                    if not { "NotPrincipal" } else { "Principal" }
                ))
            })?;
            Some(if not {
                Match::Not(vec![p])
            } else {
                Match::Listed(vec![p])
            })
        }
        None => None,
    };
    let conditions = match map.get("Condition") {
        None | Some(Value::Null) => Conditions::default(),
        Some(value) => conditions(value).map_err(|e| err(format!("Condition: {e}")))?,
    };
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
        principals,
        conditions,
    })
}

/// The value of `key` or of its `Not` form; both at once is an error.
fn either<'v>(
    map: &'v serde_json::Map<String, Value>,
    key: &str,
    not_key: &str,
) -> Result<Option<(bool, &'v Value)>, String> {
    match (map.get(key), map.get(not_key)) {
        (Some(_), Some(_)) => Err(format!("both {key} and {not_key}")),
        (Some(v), None) => Ok(Some((false, v))),
        (None, Some(v)) => Ok(Some((true, v))),
        (None, None) => Ok(None),
    }
}

/// A string or a non-empty array of strings. Numbers and booleans are
/// accepted as their text (condition values such as `true` or `3600`).
fn strings(value: &Value) -> Result<Vec<String>, String> {
    fn scalar(value: &Value) -> Result<String, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(format!("expected a string, found {}", kind_of(other))),
        }
    }
    match value {
        Value::Array(items) if items.is_empty() => Err("empty list".to_owned()),
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

fn principal_map(value: &Value) -> Result<Principals, String> {
    match value {
        Value::String(s) if s == "*" => {
            Ok(BTreeMap::from([("AWS".to_owned(), vec!["*".to_owned()])]))
        }
        Value::Object(map) => map
            .iter()
            .map(|(kind, v)| Ok((kind.clone(), strings(v)?)))
            .collect(),
        other => Err(format!(
            "expected \"*\" or an object, found {}",
            kind_of(other)
        )),
    }
}

fn conditions(value: &Value) -> Result<Conditions, String> {
    let Value::Object(ops) = value else {
        return Err(format!("expected an object, found {}", kind_of(value)));
    };
    let mut out = BTreeMap::new();
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            return Err(format!("{op}: expected an object, found {}", kind_of(keys)));
        };
        let mut parsed = BTreeMap::new();
        for (key, values) in keys {
            let values = match values {
                // `"aws:TagKeys": []` is legal in a condition (it matches nothing).
                Value::Array(items) if items.is_empty() => Vec::new(),
                other => strings(other).map_err(|e| format!("{op} {key}: {e}"))?,
            };
            parsed.insert(key.clone(), values);
        }
        out.insert(op.clone(), parsed);
    }
    Ok(Conditions(out))
}

// ---------------------------------------------------------------------------
// Writing documents back out (suggestions), in the IAM grammar.

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Version", self.version.as_deref().unwrap_or("2012-10-17"))?;
        if let Some(id) = &self.id {
            map.serialize_entry("Id", id)?;
        }
        map.serialize_entry("Statement", &self.statements)?;
        map.end()
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(sid) = &self.sid {
            map.serialize_entry("Sid", sid)?;
        }
        map.serialize_entry(
            "Effect",
            match self.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            },
        )?;
        if let Some(principals) = &self.principals {
            let key = if principals.is_not() {
                "NotPrincipal"
            } else {
                "Principal"
            };
            let merged: BTreeMap<&str, OneOrMany<'_>> = principals
                .items()
                .iter()
                .flat_map(|p| p.iter())
                .map(|(k, v)| (k.as_str(), OneOrMany(v)))
                .collect();
            map.serialize_entry(key, &merged)?;
        }
        let key = if self.actions.is_not() {
            "NotAction"
        } else {
            "Action"
        };
        map.serialize_entry(key, &OneOrMany(self.actions.items()))?;
        if let Some(resources) = &self.resources {
            let key = if resources.is_not() {
                "NotResource"
            } else {
                "Resource"
            };
            map.serialize_entry(key, &OneOrMany(resources.items()))?;
        }
        if !self.conditions.is_empty() {
            map.serialize_entry("Condition", &self.conditions)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_statement_and_scalar_fields() {
        let doc = PolicyDocument::from_value(&json!({
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "S3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        }))
        .unwrap();
        assert_eq!(doc.statements.len(), 1);
        let s = &doc.statements[0];
        assert_eq!(s.effect, Effect::Allow);
        assert_eq!(s.actions, Match::Listed(vec!["s3:getobject".to_owned()]));
        assert_eq!(
            s.resources,
            Some(Match::Listed(vec!["arn:aws:s3:::b/*".to_owned()]))
        );
    }

    #[test]
    fn url_encoded_document_as_the_api_returns_it() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Deny%22%2C%22NotAction%22%3A%5B%22iam%3A*%22%5D%2C%22NotResource%22%3A%22*%22%7D%5D%7D";
        let doc = PolicyDocument::from_value(&Value::String(encoded.to_owned())).unwrap();
        let s = &doc.statements[0];
        assert_eq!(s.effect, Effect::Deny);
        assert_eq!(s.actions, Match::Not(vec!["iam:*".to_owned()]));
        assert_eq!(s.resources, Some(Match::Not(vec!["*".to_owned()])));
    }

    #[test]
    fn conditions_keep_booleans_and_numbers_as_text() {
        let doc = PolicyDocument::from_value(&json!({"Statement": [{
            "Effect": "Allow", "Action": ["ec2:*"], "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": true},
                          "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                          "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.7/32"]}}
        }]}))
        .unwrap();
        let c = &doc.statements[0].conditions;
        assert_eq!(c.0["Bool"]["aws:MultiFactorAuthPresent"], vec!["true"]);
        assert_eq!(
            c.0["NumericLessThan"]["aws:MultiFactorAuthAge"],
            vec!["3600"]
        );
        assert_eq!(c.0["IpAddress"]["aws:SourceIp"].len(), 2);
        assert_eq!(
            c.to_string(),
            "Bool aws:MultiFactorAuthPresent=true; IpAddress aws:SourceIp=203.0.113.0/24|198.51.100.7/32; NumericLessThan aws:MultiFactorAuthAge=3600"
        );
    }

    #[test]
    fn trust_policy_principals() {
        let doc = PolicyDocument::from_value(&json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
             "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}},
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}
        ]}))
        .unwrap();
        let p = doc.statements[0].principals.as_ref().unwrap();
        assert_eq!(p.items()[0]["AWS"], vec!["arn:aws:iam::999988887777:root"]);
        assert_eq!(doc.statements[0].resources, None);
        assert_eq!(
            doc.statements[1].principals.as_ref().unwrap().items()[0]["AWS"],
            vec!["*"]
        );
    }

    #[test]
    fn errors_name_the_statement() {
        let cases = [
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "s3:*"}, {"Effect": "Permit", "Action": "*"}]}),
                Some(1),
                "Effect must be Allow or Deny",
            ),
            (
                json!({"Statement": [{"Effect": "Allow"}]}),
                Some(0),
                "no Action",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "NotAction": "c:d"}]}),
                Some(0),
                "both Action and NotAction",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": []}]}),
                Some(0),
                "empty list",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "Resources": "*"}]}),
                Some(0),
                "unknown element \"Resources\"",
            ),
            (json!({"Version": "2012-10-17"}), None, "no Statement"),
            (json!(["x"]), None, "expected a policy document"),
        ];
        for (value, statement, reason) in cases {
            let e = PolicyDocument::from_value(&value).unwrap_err();
            assert_eq!(e.statement, statement, "{value}");
            assert!(e.reason.contains(reason), "{value}: {}", e.reason);
        }
        assert!(
            PolicyDocument::from_text("%7Bnot")
                .unwrap_err()
                .reason
                .starts_with("not JSON")
        );
    }

    #[test]
    fn writes_back_in_iam_grammar() {
        let value = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": ["s3:getobject", "s3:listbucket"],
             "Resource": "arn:aws:s3:::b", "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}
        ]});
        let doc = PolicyDocument::from_value(&value).unwrap();
        let written = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            written,
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "A", "Effect": "Allow", "Action": ["s3:getobject", "s3:listbucket"],
                 "Resource": "arn:aws:s3:::b", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}
            ]})
        );
        assert_eq!(PolicyDocument::from_value(&written).unwrap(), doc);
    }
}
