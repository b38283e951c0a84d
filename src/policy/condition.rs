//! Evaluating a statement's `Condition` block against what one CloudTrail
//! event tells us about the request.
//!
//! IAM decides a condition against the whole request context
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>);
//! a log records only part of it. Evaluation is therefore three-valued
//! ([`Tri`]): `True` or `False` when what the log records decides the block,
//! `Unknown` when the outcome hangs on something it does not record. The logic
//! is Kleene's (`False AND Unknown` is `False`, `True OR Unknown` is `True`),
//! so a block is decided as soon as the known part is enough.
//!
//! A [`RequestContext`] says one of three things about each condition key:
//! - *present*, with its values ([`RequestContext::set`]);
//! - *decidable and absent* ([`RequestContext::set_absent`]): the log proves
//!   the request carried no such key, as `aws:MultiFactorAuthPresent` for a
//!   long-term access key. Absence is information: negated operators,
//!   `…IfExists`, `Null` and `ForAllValues` turn it into a definite answer;
//! - *not decidable* (never mentioned): everything about the key is
//!   `Unknown`, including whether it exists.
//!
//! Semantics follow the condition operator reference
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>)
//! and the rules for several keys and values
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html>).
//! Where the documentation is silent the choice is noted where it is made.
//! A policy value this module cannot read (a malformed date, number, address
//! or ARN pattern) yields `Unknown` rather than a guess: IAM would most likely
//! have refused the policy, so the log cannot say what it means.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use super::document::Conditions;

/// Three-valued result: the log decides a condition, or cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tri {
    /// What the log records proves the condition holds.
    True,
    /// What the log records proves the condition fails.
    False,
    /// The outcome depends on something the log does not record.
    Unknown,
}

// `not` is the name the callers use; `std::ops::Not` is implemented too.
#[allow(clippy::should_implement_trait)]
impl Tri {
    /// Kleene conjunction: `False` wins over `Unknown`.
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    /// Kleene disjunction: `True` wins over `Unknown`.
    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }

    /// Negation; `Unknown` stays `Unknown`.
    pub fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// OR over any number of results; `False` when there are none.
    pub fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
        let mut acc = Tri::False;
        for item in items {
            acc = acc.or(item);
            if acc == Tri::True {
                break;
            }
        }
        acc
    }

    /// AND over any number of results; `True` when there are none.
    pub fn all(items: impl IntoIterator<Item = Tri>) -> Tri {
        let mut acc = Tri::True;
        for item in items {
            acc = acc.and(item);
            if acc == Tri::False {
                break;
            }
        }
        acc
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;

    fn not(self) -> Tri {
        Tri::not(self)
    }
}

impl From<bool> for Tri {
    fn from(value: bool) -> Tri {
        if value { Tri::True } else { Tri::False }
    }
}

/// What is known about one request. Keys are compared case-insensitively
/// ("Context key names are not case-sensitive",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>),
/// so they are stored lowercased. A key marked decidable without values
/// ([`RequestContext::set_absent`]) is known to be ABSENT from the request;
/// a key never marked is unknown, presence included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// Lowercased key → `Some(values)` when present, `None` when known absent.
    /// A key missing from the map is not decidable.
    keys: BTreeMap<String, Option<Vec<String>>>,
}

impl RequestContext {
    /// An empty context: nothing is decidable.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a key's values and marks it decidable (multi-valued keys such as
    /// `aws:TagKeys` take several). No values at all is stored as absent: the
    /// IAM guide treats "missing context keys or context keys with empty
    /// values" alike (`ForAllValues` true, `Null: false` failing,
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html>).
    pub fn set(
        &mut self,
        key: &str,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> &mut Self {
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        self.keys
            .insert(key.to_lowercase(), (!values.is_empty()).then_some(values));
        self
    }

    /// Marks a key decidable and absent.
    pub fn set_absent(&mut self, key: &str) -> &mut Self {
        self.keys.insert(key.to_lowercase(), None);
        self
    }

    /// The key's values, when it is present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.presence(key).flatten()
    }

    /// True when the context knows whether the key is present, and with what.
    pub fn is_decidable(&self, key: &str) -> bool {
        self.keys.contains_key(&key.to_lowercase())
    }

    /// `None`: not decidable; `Some(None)`: absent; `Some(Some(v))`: present.
    fn presence(&self, key: &str) -> Option<Option<&[String]>> {
        self.keys.get(&key.to_lowercase()).map(Option::as_deref)
    }
}

/// Evaluates a whole Condition block: AND over operators, AND over keys
/// within an operator, OR over values within a key (negated operators: NOR),
/// per <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html>.
/// An empty block is `True`.
pub fn evaluate(conditions: &Conditions, context: &RequestContext) -> Tri {
    Tri::all(
        conditions
            .iter()
            .map(|(operator, key, values)| evaluate_entry(operator, key, values, context)),
    )
}

/// Evaluates one `operator: {key: values}` entry of a block. An operator this
/// module does not know is `Unknown`.
///
/// A single-valued operator (no `ForAnyValue:`/`ForAllValues:`) facing a key
/// with several values is `True` when any of them matches (negated operators:
/// when none does). AWS says not to do this
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>)
/// and does not define it; "any" is the reading that keeps `StringEquals`
/// and `StringNotEquals` each other's negation.
pub fn evaluate_entry(
    operator: &str,
    key: &str,
    values: &[String],
    context: &RequestContext,
) -> Tri {
    let Some(op) = Operator::parse(operator) else {
        return Tri::Unknown;
    };
    let Some(presence) = context.presence(key) else {
        return Tri::Unknown;
    };
    if op.kind == Kind::Null {
        // "true": the key must be absent; "false": it must be present.
        return Tri::any(values.iter().map(|v| match parse_bool(v) {
            Some(true) => Tri::from(presence.is_none()),
            Some(false) => Tri::from(presence.is_some()),
            None => Tri::Unknown,
        }));
    }
    let Some(request) = presence else {
        // The operator reference: a missing key makes the condition false,
        // but true for negated operators ("such as StringNotLike or
        // ArnNotLike"), except for ...IfExists (true) and Null (above).
        // ForAllValues is true "if there are no context keys in the request"
        // (reference_policies_condition_examples-multi-valued-context-keys);
        // ForAnyValue needs a value to match, negated or not.
        return if op.if_exists {
            Tri::True
        } else {
            match op.set {
                SetQualifier::Single => Tri::from(op.negated),
                SetQualifier::AnyValue => Tri::False,
                SetQualifier::AllValues => Tri::True,
            }
        };
    };
    // One request value against the policy values: OR over them.
    let matches = |value: &str| Tri::any(values.iter().map(|p| op.kind.compare(value, p, context)));
    let negate = |t: Tri| if op.negated { t.not() } else { t };
    match op.set {
        SetQualifier::Single => negate(Tri::any(request.iter().map(|v| matches(v)))),
        SetQualifier::AnyValue => Tri::any(request.iter().map(|v| negate(matches(v)))),
        SetQualifier::AllValues => Tri::all(request.iter().map(|v| negate(matches(v)))),
    }
}

/// The keys a block uses that this context cannot decide (sorted,
/// deduplicated, original spelling) — for showing a reviewer why a grant
/// stays "conditional". Includes keys named by policy variables (`${key}`)
/// in operators that resolve them.
pub fn undecided_keys<'c>(conditions: &'c Conditions, context: &RequestContext) -> Vec<&'c str> {
    let mut keys = Vec::new();
    for (operator, key, values) in conditions.iter() {
        if !context.is_decidable(key) {
            keys.push(key);
        }
        if Operator::parse(operator).is_some_and(|op| op.kind.takes_variables()) {
            keys.extend(
                values
                    .iter()
                    .flat_map(|v| variable_keys(v))
                    .filter(|k| !context.is_decidable(k)),
            );
        }
    }
    keys.sort_by_cached_key(|k| (k.to_lowercase(), *k));
    keys.dedup_by(|a, b| a.to_lowercase() == b.to_lowercase());
    keys
}

/// Operators of the block this module does not know (sorted); each makes
/// its entries `Unknown`.
pub fn unsupported_operators(conditions: &Conditions) -> Vec<&str> {
    conditions
        .0
        .keys()
        .map(String::as_str)
        .filter(|op| Operator::parse(op).is_none())
        .collect()
}

// ---------------------------------------------------------------------------
// Operators.

/// `ForAnyValue:` / `ForAllValues:` or neither
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    Single,
    AnyValue,
    AllValues,
}

/// Ordering a numeric or date operator asks of `request ⋚ policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds(self, order: Ordering) -> bool {
        match self {
            Cmp::Eq => order.is_eq(),
            Cmp::Lt => order.is_lt(),
            Cmp::Le => order.is_le(),
            Cmp::Gt => order.is_gt(),
            Cmp::Ge => order.is_ge(),
        }
    }
}

/// What a request value is compared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// A parsed operator name such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy)]
struct Operator {
    set: SetQualifier,
    kind: Kind,
    negated: bool,
    if_exists: bool,
}

impl Operator {
    /// `None` for a name IAM does not define. Matched case-insensitively:
    /// being lenient costs nothing, since IAM would have refused a policy
    /// with a misspelt operator.
    fn parse(name: &str) -> Option<Operator> {
        let lower = name.to_ascii_lowercase();
        let (set, rest) = if let Some(rest) = lower.strip_prefix("foranyvalue:") {
            (SetQualifier::AnyValue, rest)
        } else if let Some(rest) = lower.strip_prefix("forallvalues:") {
            (SetQualifier::AllValues, rest)
        } else {
            (SetQualifier::Single, lower.as_str())
        };
        let (if_exists, base) = match rest.strip_suffix("ifexists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let (kind, negated) = match base {
            "stringequals" => (Kind::String, false),
            "stringnotequals" => (Kind::String, true),
            "stringequalsignorecase" => (Kind::StringIgnoreCase, false),
            "stringnotequalsignorecase" => (Kind::StringIgnoreCase, true),
            "stringlike" => (Kind::StringLike, false),
            "stringnotlike" => (Kind::StringLike, true),
            "numericequals" => (Kind::Numeric(Cmp::Eq), false),
            "numericnotequals" => (Kind::Numeric(Cmp::Eq), true),
            "numericlessthan" => (Kind::Numeric(Cmp::Lt), false),
            "numericlessthanequals" => (Kind::Numeric(Cmp::Le), false),
            "numericgreaterthan" => (Kind::Numeric(Cmp::Gt), false),
            "numericgreaterthanequals" => (Kind::Numeric(Cmp::Ge), false),
            "dateequals" => (Kind::Date(Cmp::Eq), false),
            "datenotequals" => (Kind::Date(Cmp::Eq), true),
            "datelessthan" => (Kind::Date(Cmp::Lt), false),
            "datelessthanequals" => (Kind::Date(Cmp::Le), false),
            "dategreaterthan" => (Kind::Date(Cmp::Gt), false),
            "dategreaterthanequals" => (Kind::Date(Cmp::Ge), false),
            "bool" => (Kind::Bool, false),
            "binaryequals" => (Kind::Binary, false),
            "ipaddress" => (Kind::Ip, false),
            "notipaddress" => (Kind::Ip, true),
            // The reference gives ArnEquals and ArnLike the same definition
            // (segment-wise, wildcards allowed), and so their negations.
            "arnequals" | "arnlike" => (Kind::Arn, false),
            "arnnotequals" | "arnnotlike" => (Kind::Arn, true),
            // "You can add IfExists to the end of any condition operator
            // name except the Null condition"; Null takes no set qualifier.
            "null" if !if_exists && set == SetQualifier::Single => (Kind::Null, false),
            _ => return None,
        };
        Some(Operator {
            set,
            kind,
            negated,
            if_exists,
        })
    }
}

impl Kind {
    /// Operators whose values may hold policy variables: string, ARN and
    /// Boolean ("Policy variables – Supported" in the operator reference);
    /// in the others `${…}` is plain text.
    fn takes_variables(self) -> bool {
        matches!(
            self,
            Kind::String | Kind::StringIgnoreCase | Kind::StringLike | Kind::Arn | Kind::Bool
        )
    }

    /// Does one request value match one policy value?
    fn compare(self, request: &str, policy: &str, context: &RequestContext) -> Tri {
        let resolved = || Pattern::resolve(policy, context);
        match self {
            Kind::String => resolved().map_or(Tri::Unknown, |p| Tri::from(p.literal() == request)),
            Kind::StringIgnoreCase => resolved().map_or(Tri::Unknown, |p| {
                Tri::from(p.literal().to_lowercase() == request.to_lowercase())
            }),
            Kind::StringLike => resolved().map_or(Tri::Unknown, |p| Tri::from(p.matches(request))),
            Kind::Arn => resolved().map_or(Tri::Unknown, |p| arn_matches(&p, request)),
            Kind::Bool => match resolved().and_then(|p| parse_bool(&p.literal())) {
                Some(expected) => {
                    parse_bool(request).map_or(Tri::Unknown, |b| Tri::from(b == expected))
                }
                None => Tri::Unknown,
            },
            Kind::Numeric(cmp) => match (parse_number(request), parse_number(policy)) {
                (Some(r), Some(p)) => r
                    .partial_cmp(&p)
                    .map_or(Tri::Unknown, |o| Tri::from(cmp.holds(o))),
                _ => Tri::Unknown,
            },
            Kind::Date(cmp) => match (parse_instant(request), parse_instant(policy)) {
                (Some(r), Some(p)) => Tri::from(cmp.holds(r.cmp(&p))),
                _ => Tri::Unknown,
            },
            // Both sides are base64 text of the same bytes.
            Kind::Binary => Tri::from(request == policy),
            Kind::Ip => ip_matches(policy, request),
            Kind::Null => Tri::Unknown,
        }
    }
}

/// `true`/`false`, case-insensitively.
fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A decimal number: `[+-]digits[.digits]`. Rust's float parser alone would
/// also take `inf`, `NaN` and exponents, which are not IAM numbers.
fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    text.parse().ok()
}

// ---------------------------------------------------------------------------
// Strings, wildcards and policy variables.

/// One element of a policy value after variables are resolved. Wildcards
/// only come from the policy text itself; `${*}`, `${?}` and resolved
/// variables are literal characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Char(char),
    /// `*`: any run of characters, possibly empty.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
}

/// A policy value with its variables resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern(Vec<Piece>);

impl Pattern {
    /// Resolves the policy variables of `text`
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>):
    /// `${*}`, `${?}` and `${$}` are the literal characters; `${key}` is the
    /// key's value when the context has exactly one; `${key, 'default'}`
    /// falls back to the default when the key is known absent. Anything else
    /// (undecidable, absent without default, several values — "you cannot
    /// use a multivalued context key as a policy variable") is `None`, which
    /// callers turn into `Unknown`: AWS may then treat the statement as
    /// invalid, which the log cannot tell.
    fn resolve(text: &str, context: &RequestContext) -> Option<Pattern> {
        let mut pieces = Vec::with_capacity(text.len());
        let mut rest = text;
        while let Some(ch) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("${")
                && let Some(end) = after.find('}')
            {
                let value = variable_value(&after[..end], context)?;
                pieces.extend(value.chars().map(Piece::Char));
                rest = &after[end + 1..];
                continue;
            }
            pieces.push(match ch {
                '*' => Piece::AnyRun,
                '?' => Piece::AnyOne,
                c => Piece::Char(c),
            });
            rest = &rest[ch.len_utf8()..];
        }
        Some(Pattern(pieces))
    }

    /// The value as text, for operators without wildcards.
    fn literal(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Char(c) => *c,
                Piece::AnyRun => '*',
                Piece::AnyOne => '?',
            })
            .collect()
    }

    fn matches(&self, text: &str) -> bool {
        glob(&self.0, &text.chars().collect::<Vec<_>>())
    }
}

/// Splits `key, 'default'` into the key and its default.
fn split_variable(inner: &str) -> (&str, Option<&str>) {
    match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let unquoted = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''));
            (key.trim(), unquoted)
        }
        None => (inner.trim(), None),
    }
}

/// The text a `${inner}` stands for, or `None` when the log cannot say.
fn variable_value(inner: &str, context: &RequestContext) -> Option<String> {
    if let special @ ("*" | "?" | "$") = inner.trim() {
        return Some(special.to_owned());
    }
    let (key, default) = split_variable(inner);
    match context.presence(key)? {
        Some([one]) => Some(one.clone()),
        Some(_) => None,
        None => default.map(str::to_owned),
    }
}

/// The context keys named by the variables in a policy value.
fn variable_keys(text: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let (key, _) = split_variable(&after[..end]);
        if !matches!(key, "*" | "?" | "$") {
            keys.push(key);
        }
        rest = &after[end + 1..];
    }
    keys
}

/// Wildcard match: `*` any run, `?` one character, anything else itself.
/// Linear-time with one backtrack point, as `*` never needs more.
fn glob(pattern: &[Piece], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Piece::AnyRun) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Piece::AnyOne) => {
                p += 1;
                t += 1;
            }
            Some(Piece::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|x| *x == Piece::AnyRun)
}

/// ARN match: "Each of the six colon-delimited components of the ARN is
/// checked separately and each can include multi-character match wildcards
/// (*) or single-character match wildcards (?)" (operator reference). The
/// sixth component is the rest, colons included (`log-group:x:log-stream:y`).
/// A policy value that is not a six-part ARN is `Unknown`; a request value
/// that is not one matches nothing.
fn arn_matches(pattern: &Pattern, request: &str) -> Tri {
    let segments: Vec<&[Piece]> = pattern.0.splitn(6, |p| *p == Piece::Char(':')).collect();
    if segments.len() != 6 {
        return Tri::Unknown;
    }
    let parts: Vec<&str> = request.splitn(6, ':').collect();
    if parts.len() != 6 {
        return Tri::False;
    }
    Tri::from(
        segments
            .iter()
            .zip(parts)
            .all(|(seg, part)| glob(seg, &part.chars().collect::<Vec<_>>())),
    )
}

// ---------------------------------------------------------------------------
// IP addresses.

/// Is `request` inside `network` (a CIDR block or a single address, IPv4 or
/// IPv6; "The value must be in the standard CIDR format", operator
/// reference)? A request value that is not an address (CloudTrail's
/// `AWS Internal`, a service name) is `Unknown`: the log did not record the
/// address. IPv4-mapped IPv6 request addresses compare as IPv4.
fn ip_matches(network: &str, request: &str) -> Tri {
    let Some((net, prefix)) = parse_network(network) else {
        return Tri::Unknown;
    };
    let Ok(addr) = request.trim().parse::<IpAddr>() else {
        return Tri::Unknown;
    };
    Tri::from(match (net, addr.to_canonical()) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    })
}

/// `address[/prefix]`; a bare address is a host (/32 or /128).
fn parse_network(text: &str) -> Option<(IpAddr, u32)> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (text, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p.parse::<u32>().ok().filter(|p| *p <= max)?,
        None => max,
    };
    Some((addr, prefix))
}

// ---------------------------------------------------------------------------
// Dates.

/// An instant as (seconds, nanoseconds) since the Unix epoch, from either
/// form the date operators take: "W3C implementations of the ISO 8601 date
/// formats" or "epoch (UNIX) time" (operator reference). All-digit text is
/// epoch seconds (optionally with a fraction); ISO text needs at least
/// `YYYY-MM-DD`, then optionally `Thh:mm[:ss[.fff]]` and `Z` or `±hh[:mm]`.
/// Without a zone, UTC is assumed.
fn parse_instant(text: &str) -> Option<(i64, u32)> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
        return Some((secs.parse().ok()?, nanos(frac)?));
    }
    let mut c = Cursor(text.as_bytes());
    let year = c.digits(4)?;
    c.expect(b'-')?;
    let month = c.digits(2)?;
    c.expect(b'-')?;
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let (mut secs_of_day, mut nano, mut offset) = (0i64, 0u32, 0i64);
    if c.eat(b'T') || c.eat(b't') {
        let hour = c.digits(2)?;
        c.expect(b':')?;
        let minute = c.digits(2)?;
        let mut second = 0;
        if c.eat(b':') {
            second = c.digits(2)?;
            if c.eat(b'.') {
                let len = c.0.iter().take_while(|b| b.is_ascii_digit()).count();
                let (frac, rest) = c.0.split_at(len);
                nano = nanos(std::str::from_utf8(frac).ok()?)?;
                c.0 = rest;
            }
        }
        // 60 admits a leap second; it lands on the next second.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        secs_of_day = i64::from(hour * 3600 + minute * 60 + second);
        if !(c.eat(b'Z') || c.eat(b'z')) {
            let sign = if c.eat(b'+') {
                1
            } else if c.eat(b'-') {
                -1
            } else {
                0
            };
            if sign != 0 {
                let oh = c.digits(2)?;
                c.eat(b':');
                let om = if c.0.is_empty() { 0 } else { c.digits(2)? };
                if oh > 23 || om > 59 {
                    return None;
                }
                offset = sign * i64::from(oh * 3600 + om * 60);
            }
        }
    }
    if !c.0.is_empty() {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    Some((days * 86_400 + secs_of_day - offset, nano))
}

/// A fraction of a second given as its digits, in nanoseconds (beyond 9
/// digits truncated).
fn nanos(frac: &str) -> Option<u32> {
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: String = frac.chars().take(9).collect();
    while digits.len() < 9 {
        digits.push('0');
    }
    digits.parse().ok()
}

/// Reads fixed-width fields off the front of a byte string.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let field = self.0.get(..n)?;
        if !field.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.0 = &self.0[n..];
        Some(
            field
                .iter()
                .fold(0, |acc, b| acc * 10 + u32::from(b - b'0')),
        )
    }

    fn eat(&mut self, byte: u8) -> bool {
        match self.0.split_first() {
            Some((first, rest)) if *first == byte => {
                self.0 = rest;
                true
            }
            _ => false,
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (the well-known
/// era/day-of-era computation: years start in March so leap days fall last).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * i64::from((month + 9) % 12) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::Tri::{False, True, Unknown};
    use super::*;
    use crate::policy::document::PolicyDocument;
    use serde_json::{Value, json};

    /// A Condition block, parsed the way policies are.
    fn block(condition: Value) -> Conditions {
        let doc = PolicyDocument::from_value(&json!({"Statement": {
            "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition
        }}))
        .unwrap();
        doc.statements[0].conditions.clone()
    }

    /// A block under test; each `.is(context, want)` asserts one outcome.
    struct Check(Conditions);

    fn check(condition: Value) -> Check {
        Check(block(condition))
    }

    impl Check {
        #[track_caller]
        fn is(&self, context: RequestContext, want: Tri) -> &Self {
            let got = evaluate(&self.0, &context);
            assert_eq!(got, want, "{} with {context:?}", self.0);
            self
        }
    }

    /// A context where only `key` is decidable, present with `values`.
    fn has(key: &str, values: &[&str]) -> RequestContext {
        let mut c = RequestContext::new();
        c.set(key, values.iter().copied());
        c
    }

    /// A context where only `key` is decidable, and absent.
    fn without(key: &str) -> RequestContext {
        let mut c = RequestContext::new();
        c.set_absent(key);
        c
    }

    /// A context where nothing is decidable.
    fn nothing() -> RequestContext {
        RequestContext::new()
    }

    #[test]
    fn kleene_logic() {
        assert_eq!(False.and(Unknown), False);
        assert_eq!(True.and(Unknown), Unknown);
        assert_eq!(True.or(Unknown), True);
        assert_eq!(False.or(Unknown), Unknown);
        assert_eq!(Unknown.not(), Unknown);
        assert_eq!(!True, False);
        assert_eq!(Tri::any([]), False);
        assert_eq!(Tri::all([]), True);
        assert_eq!(serde_json::to_value(Unknown).unwrap(), json!("unknown"));
    }

    #[test]
    fn context_keys_are_case_insensitive_and_three_state() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
        // "Context key names are not case-sensitive".
        let mut c = RequestContext::new();
        c.set("aws:SourceIP", ["203.0.113.5"])
            .set_absent("aws:MultiFactorAuthPresent")
            .set("aws:TagKeys", Vec::<String>::new());
        assert_eq!(c.get("AWS:sourceip"), Some(&["203.0.113.5".to_owned()][..]));
        assert!(c.is_decidable("aws:multifactorauthpresent"));
        assert_eq!(c.get("aws:MultiFactorAuthPresent"), None);
        // No values is absent, not unknown.
        assert!(c.is_decidable("aws:TagKeys"));
        assert_eq!(c.get("aws:TagKeys"), None);
        assert!(!c.is_decidable("aws:PrincipalArn"));
        check(json!({"StringEquals": {"AWS:SOURCEIP": "203.0.113.5"}})).is(c.clone(), True);
        check(json!({})).is(c, True);
    }

    #[test]
    fn values_or_keys_and_operators_and() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
        // The page's example: departments OR-ed, roles OR-ed, ARNs OR-ed; all AND-ed.
        let mut ana = has("aws:PrincipalArn", &["arn:aws:iam::222222222222:user/Ana"]);
        let arn_only = ana.clone();
        ana.set("aws:PrincipalTag/department", ["hr"])
            .set("aws:PrincipalTag/role", ["audit"]);
        let mut wrong_role = ana.clone();
        wrong_role.set("aws:PrincipalTag/role", ["dev"]);
        let bob = has("aws:PrincipalArn", &["arn:aws:iam::222222222222:user/Bob"]);
        check(json!({
            "StringEquals": {"aws:PrincipalTag/department": ["finance", "hr", "legal"],
                             "aws:PrincipalTag/role": ["audit", "security"]},
            "ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::222222222222:user/Ana",
                                            "arn:aws:iam::222222222222:user/Mary"]}
        }))
        .is(ana, True)
        .is(wrong_role, False)
        // Tags not in the log: the ARN alone cannot decide…
        .is(arn_only, Unknown)
        // …unless it already fails: False AND Unknown is False.
        .is(bob, False);
    }

    #[test]
    fn negated_operators_are_nor_over_values() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
        // "If a single negated matching condition operator includes multiple values for a
        // context key, those values are evaluated using a logical NOR."
        let k = "aws:PrincipalTag/department";
        check(json!({"StringNotEquals": {k: ["finance", "hr", "legal"]}}))
            .is(has(k, &["finance"]), False)
            .is(has(k, &["marketing"]), True)
            .is(nothing(), Unknown);
    }

    #[test]
    fn absent_key_false_but_true_for_negated_operators() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
        // "If the key that you specify in a policy condition is not present in the request
        // context, the values do not match and the condition is false. If the policy condition
        // requires that the key is not matched, such as StringNotLike or ArnNotLike, and the
        // right key is not present, the condition is true."
        let (arn, ip, role) = ("aws:PrincipalArn", "aws:SourceIp", "arn:aws:iam::*:role/*");
        check(json!({"ArnLike": {arn: role}})).is(without(arn), False);
        check(json!({"ArnNotLike": {arn: role}}))
            .is(without(arn), True)
            .is(nothing(), Unknown);
        check(json!({"StringNotLike": {arn: "x*"}})).is(without(arn), True);
        check(json!({"NotIpAddress": {ip: "10.0.0.0/8"}})).is(without(ip), True);
        check(json!({"IpAddress": {ip: "10.0.0.0/8"}})).is(without(ip), False);
    }

    #[test]
    fn if_exists_is_true_when_the_key_is_absent() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
        // The page's example: "StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}.
        let k = "ec2:InstanceType";
        check(json!({"StringLikeIfExists": {k: ["t1.*", "t2.*", "m3.*"]}}))
            .is(without(k), True)
            .is(has(k, &["t2.micro"]), True)
            .is(has(k, &["c5.large"]), False)
            .is(nothing(), Unknown);
        // The page's MFA pattern: BoolIfExists false holds for access keys (key absent).
        let mfa = "aws:MultiFactorAuthPresent";
        check(json!({"BoolIfExists": {mfa: "false"}}))
            .is(without(mfa), True)
            .is(has(mfa, &["true"]), False);
    }

    #[test]
    fn null_checks_presence() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
        // The page's example: "Null": {"aws:TokenIssueTime": "true"}: long-term keys only.
        let k = "aws:TokenIssueTime";
        let temporary = has(k, &["2024-01-01T00:00:00Z"]);
        check(json!({"Null": {k: "true"}}))
            .is(without(k), True)
            .is(temporary.clone(), False)
            .is(nothing(), Unknown);
        check(json!({"Null": {k: "FALSE"}}))
            .is(temporary, True)
            .is(without(k), False);
        // "You can add IfExists to the end of any condition operator name except the Null
        // condition": NullIfExists is not an operator.
        check(json!({"NullIfExists": {k: "true"}})).is(without(k), Unknown);
    }

    #[test]
    fn for_all_values_with_absent_or_empty_key_is_true() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
        // "The ForAllValues set operator also returns true if there are no context keys in the
        // request"; the page's example restricts aws:TagKeys to the prefix key1.
        let k = "aws:TagKeys";
        check(json!({"ForAllValues:StringLike": {k: ["key1*"]}}))
            .is(without(k), True)
            .is(has(k, &[]), True)
            .is(has(k, &["key1a", "key1b"]), True)
            .is(has(k, &["key1a", "other"]), False)
            .is(nothing(), Unknown);
    }

    #[test]
    fn for_any_value_needs_a_matching_value() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
        // ForAnyValue: at least one request value matches a policy value; none, no match.
        let k = "aws:TagKeys";
        let both = || has(k, &["DataClass", "Owner"]);
        let mixed = || has(k, &["Dept", "DataClass"]);
        let other = || has(k, &["Dept", "SIC"]);
        check(json!({"ForAnyValue:StringEquals": {k: ["DataClass", "Owner"]}}))
            .is(without(k), False)
            .is(mixed(), True)
            .is(other(), False);
        // Negated inside a set operator: negate per request value, then ANY / ALL.
        check(json!({"ForAnyValue:StringNotEquals": {k: ["DataClass", "Owner"]}}))
            .is(without(k), False)
            .is(both(), False)
            .is(mixed(), True);
        check(json!({"ForAllValues:StringNotEquals": {k: ["DataClass", "Owner"]}}))
            .is(without(k), True)
            .is(other(), True)
            .is(mixed(), False);
    }

    #[test]
    fn single_valued_operator_on_several_values_matches_any() {
        // AWS leaves this undefined (use a set operator:
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html);
        // this module's choice: any value matching is a match, so Not… stays its negation.
        let k = "aws:TagKeys";
        let tags = || has(k, &["a", "b"]);
        check(json!({"StringEquals": {k: "b"}})).is(tags(), True);
        check(json!({"StringNotEquals": {k: "b"}})).is(tags(), False);
        check(json!({"StringNotEquals": {k: "c"}})).is(tags(), True);
    }

    #[test]
    fn string_operators_case_and_wildcards() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
        // StringEquals on aws:username "john" does not match "John"; StringEqualsIgnoreCase does.
        let (user, john) = ("aws:username", || has("aws:username", &["John"]));
        check(json!({"StringEquals": {user: "john"}})).is(john(), False);
        check(json!({"StringEqualsIgnoreCase": {user: "john"}})).is(john(), True);
        check(json!({"StringNotEqualsIgnoreCase": {user: "JOHN"}})).is(john(), False);
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
        // StringLike: "*" any run, "?" one character, case-sensitive; StringEquals: literal.
        let k = "s3:prefix";
        let notes = || has(k, &["home/ana/notes.txt"]);
        check(json!({"StringLike": {k: "home/*/notes.???"}})).is(notes(), True);
        check(json!({"StringLike": {k: "home/*/notes.??"}})).is(notes(), False);
        check(json!({"StringLike": {k: "HOME/*"}})).is(notes(), False);
        check(json!({"StringNotLike": {k: ["tmp/*", "home/*"]}})).is(notes(), False);
        check(json!({"StringEquals": {k: "home/*"}}))
            .is(notes(), False)
            .is(has(k, &["home/*"]), True);
    }

    #[test]
    fn numeric_operators() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric
        // The page's example: "NumericLessThanEquals": {"s3:max-keys": "10"}.
        let k = "s3:max-keys";
        check(json!({"NumericLessThanEquals": {k: "10"}}))
            .is(has(k, &["10"]), True)
            .is(has(k, &["11"]), False)
            .is(has(k, &["lots"]), Unknown);
        let (age, at) = ("aws:MultiFactorAuthAge", || {
            has("aws:MultiFactorAuthAge", &["3599.5"])
        });
        check(json!({"NumericLessThan": {age: 3600}})).is(at(), True);
        check(json!({"NumericGreaterThan": {age: 3600}})).is(at(), False);
        check(json!({"NumericGreaterThanEquals": {age: "3599.5"}})).is(at(), True);
        check(json!({"NumericNotEquals": {age: ["1", "2"]}})).is(at(), True);
        check(json!({"NumericEquals": {age: "inf"}})).is(at(), Unknown);
    }

    #[test]
    fn date_operators_take_iso_8601_and_epoch() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
        // The page's example: "DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"};
        // values are W3C ISO 8601 dates or epoch (UNIX) time, compared as instants.
        let k = "aws:TokenIssueTime";
        for value in ["2020-01-01T00:00:01Z", "1577836801"] {
            check(json!({"DateGreaterThan": {k: value}}))
                .is(has(k, &["2020-01-01T00:00:02Z"]), True)
                .is(has(k, &["2020-01-01T01:00:01+01:00"]), False);
        }
        let now = "aws:CurrentTime";
        check(json!({"DateEquals": {now: "2019-12-31T19:00:01.000-05:00"}}))
            .is(has(now, &["1577836801"]), True)
            .is(has(now, &["yesterday"]), Unknown);
        check(json!({"DateNotEquals": {now: ["2020-01-01", "2021-01-01"]}}))
            .is(has(now, &["2020-01-01T00:00:00Z"]), False);
        check(json!({"DateLessThanEquals": {now: "2024-02-29T23:59:59Z"}}))
            .is(has(now, &["2024-03-01T00:00:00Z"]), False);
    }

    #[test]
    fn instant_parser() {
        let cases = [
            ("1970-01-01T00:00:00Z", Some((0, 0))),
            ("2000-03-01", Some((951_868_800, 0))),
            (
                "2020-01-01T00:00:00.25Z",
                Some((1_577_836_800, 250_000_000)),
            ),
            ("2020-01-01T05:30+0530", Some((1_577_836_800, 0))),
            ("1577836800.5", Some((1_577_836_800, 500_000_000))),
            ("1969-12-31T23:59:59Z", Some((-1, 0))),
            ("2023-02-29", None),
            ("2020-13-01", None),
            ("2020-01-01T24:00:00Z", None),
            ("2020-01-01Tnoon", None),
            (".", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_instant(text), want, "{text}");
        }
    }

    #[test]
    fn bool_and_binary() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Boolean
        // The page's example: "Bool": {"aws:SecureTransport": "false"}; case-insensitive values.
        let k = "aws:SecureTransport";
        check(json!({"Bool": {k: "false"}}))
            .is(has(k, &["False"]), True)
            .is(has(k, &["TRUE"]), False)
            .is(without(k), False);
        check(json!({"Bool": {k: true}})).is(has(k, &["true"]), True);
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_BinaryEquals
        // The page's example value, compared as base64 text.
        let value = "QmluYXJ5VmFsdWVJbkJhc2U2NA==";
        check(json!({"BinaryEquals": {"key": value}}))
            .is(has("key", &[value]), True)
            .is(has("key", &["cW1sdQ=="]), False);
    }

    #[test]
    fn ip_address_ranges_v4_and_v6() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
        // The page's examples: "203.0.113.0/24" and the IPv6 range "2001:DB8:1234:5678::/64".
        let k = "aws:SourceIp";
        check(json!({"IpAddress": {k: ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}))
            .is(has(k, &["203.0.113.77"]), True)
            .is(has(k, &["203.0.114.1"]), False)
            .is(has(k, &["2001:db8:1234:5678:abcd::1"]), True)
            .is(has(k, &["2001:db8:1234:5679::1"]), False)
            .is(has(k, &["::ffff:203.0.113.9"]), True)
            // CloudTrail's sourceIPAddress is not always an address.
            .is(has(k, &["AWS Internal"]), Unknown);
        check(json!({"NotIpAddress": {k: "198.51.100.7"}}))
            .is(has(k, &["198.51.100.7"]), False)
            .is(has(k, &["198.51.100.8"]), True);
        check(json!({"IpAddress": {k: "0.0.0.0/0"}})).is(has(k, &["192.0.2.1"]), True);
        check(json!({"IpAddress": {k: "10.0.0.0/33"}})).is(has(k, &["10.0.0.1"]), Unknown);
    }

    #[test]
    fn arn_operators_match_segment_by_segment() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
        // "Each of the six colon-delimited components of the ARN is checked separately and each
        // can include multi-character match wildcards (*) or single-character match wildcards (?)."
        let k = "aws:SourceArn";
        let arn = |s: &str| has(k, &[s]);
        check(json!({"ArnLike": {k: "arn:aws:sns:*:123456789012:topic-?"}}))
            .is(arn("arn:aws:sns:eu-west-1:123456789012:topic-a"), True)
            .is(arn("arn:aws:sns:eu-west-1:123456789012:topic-ab"), False)
            .is(arn("arn:aws:sns:eu-west-1:999999999999:topic-a"), False)
            .is(arn("not-an-arn"), False);
        // A wildcard cannot span segments, so a five-part pattern is no ARN pattern at all:
        // IAM would refuse it, and the log cannot say what it means.
        check(json!({"ArnLike": {k: "arn:aws:sns:*:topic-a"}}))
            .is(arn("arn:aws:sns:eu-west-1:123456789012:topic-a"), Unknown);
        // The resource segment keeps its colons; ArnEquals takes wildcards as ArnLike does.
        check(json!({"ArnEquals": {k: "arn:aws:logs:*:*:log-group:app*"}})).is(
            arn("arn:aws:logs:eu-west-1:1:log-group:app-prod:log-stream:x"),
            True,
        );
        let topic = "arn:aws:sns:us-east-1:123456789012:t";
        check(json!({"ArnNotEquals": {k: topic}})).is(arn(topic), False);
    }

    #[test]
    fn policy_variables() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
        // The page's example: "StringLike": {"s3:prefix": ["${aws:username}/*"]}.
        let prefix_only = has("s3:prefix", &["ana/docs"]);
        let user = |name: Option<&str>| {
            let mut c = prefix_only.clone();
            match name {
                Some(name) => c.set("aws:username", [name]),
                None => c.set_absent("aws:username"),
            };
            c
        };
        let cond = json!({"StringLike": {"s3:prefix": ["${aws:username}/*"]}});
        check(cond.clone())
            .is(user(Some("ana")), True)
            .is(user(Some("bob")), False)
            // Not resolvable from the log: Unknown, and reported as undecided.
            .is(prefix_only.clone(), Unknown)
            // Known absent without a default (AWS may invalidate the statement).
            .is(user(None), Unknown);
        let cond = block(cond);
        assert_eq!(undecided_keys(&cond, &prefix_only), vec!["aws:username"]);
        // A default stands in for a key known absent.
        check(json!({"StringEquals": {"s3:prefix": "${aws:username, 'ana'}/docs"}}))
            .is(user(None), True);
        // "You cannot use a multivalued context key as a policy variable."
        let mut tags = has("aws:TagKeys", &["a", "b"]);
        tags.set("k", ["a"]);
        check(json!({"StringEquals": {"k": "${aws:TagKeys}"}})).is(tags, Unknown);
        // ${*}, ${?} and ${$} are the literal characters, not wildcards.
        check(json!({"StringLike": {"k": "a${*}b${?}${$}"}}))
            .is(has("k", &["a*b?$"]), True)
            .is(has("k", &["axxb!$"]), False);
        // Operators without variable support take "${…}" as text.
        let numeric = block(json!({"NumericEquals": {"k": "${aws:username}"}}));
        assert!(undecided_keys(&numeric, &has("k", &["1"])).is_empty());
    }

    #[test]
    fn unknown_operators_are_unknown() {
        let kv = || has("k", &["v"]);
        for op in [
            "StringMatches",
            "ForSomeValues:StringEquals",
            "ForAllValues:Null",
        ] {
            check(json!({op: {"k": "v"}})).is(kv(), Unknown);
        }
        // False AND Unknown is still False.
        let mixed = json!({"StringEquals": {"k": "x"}, "Frobnicate": {"k": "v"}});
        check(mixed.clone()).is(kv(), False);
        assert_eq!(unsupported_operators(&block(mixed)), vec!["Frobnicate"]);
        // Operator names are matched case-insensitively.
        check(json!({"forallvalues:stringequalsifexists": {"k": "v"}})).is(kv(), True);
    }

    #[test]
    fn undecided_keys_sorted_deduplicated_original_spelling() {
        let cond = json!({
            "StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/Team}",
                             "aws:SourceVpc": "vpc-1"},
            "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
            "Bool": {"aws:SecureTransport": "true"},
            "NotIpAddress": {"AWS:SourceIp": "192.0.2.0/24"}
        });
        let c = has("aws:SecureTransport", &["true"]);
        assert_eq!(
            undecided_keys(&block(cond.clone()), &c),
            vec!["aws:PrincipalTag/Team", "AWS:SourceIp", "aws:SourceVpc"]
        );
        check(cond).is(c, Unknown);
    }
}
