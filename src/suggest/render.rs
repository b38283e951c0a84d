//! Writing a suggested policy out: split to IAM's size quota, then rendered
//! as JSON, Terraform or CloudFormation.
//!
//! Contract:
//!
//! - [`split_to_limit`] packs statements, in the order given, into as few
//!   documents as fit under a size limit ([`MANAGED_POLICY_LIMIT`] for a
//!   customer managed policy), measured by [`policy_size`]. Concatenating the
//!   documents' statements gives back the input, except that a statement too
//!   large for a document of its own is cut into consecutive pieces (by
//!   `Resource`, else by `Action`) that together grant exactly what it did.
//! - [`json`], [`terraform`] and [`cloudformation`] render documents as they
//!   are. Output is deterministic: statements in the given order, and keys in
//!   the order the model writes them (`Version`, `Statement`; in a statement
//!   `Sid`, `Effect`, `Principal`, `Action`/`NotAction`,
//!   `Resource`/`NotResource`, `Condition`). Both hand-written emitters walk
//!   the document as the model serializes it, keys in the order written, so
//!   they write exactly what [`json`] writes, only in another syntax.
//! - When a policy is split, the first document keeps the plain name and the
//!   others get `_2`, `_3`, … (Terraform labels and IAM policy names) or `2`,
//!   `3`, … (CloudFormation logical IDs), so a policy that grows past the
//!   limit keeps the identity of its first part.
//! - Given no documents, [`json`] writes `[]`, [`terraform`] nothing, and
//!   [`cloudformation`] a template with no resources (which CloudFormation
//!   would refuse): callers are expected to render at least one document.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::policy::document::{Match, PolicyDocument, Statement};

/// IAM quota for a customer managed policy document: 6,144 characters.
///
/// From the IAM quotas page
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>,
/// "IAM and AWS STS character limits"): managed policy size "cannot exceed
/// 6,144 characters", and "IAM doesn't count white space when calculating the
/// size of a policy against this limit". The quota is fixed (not raised
/// through Service Quotas). [`policy_size`] measures a document against it.
pub const MANAGED_POLICY_LIMIT: usize = 6_144;

/// The policy language version every document written here declares
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html>).
const POLICY_VERSION: &str = "2012-10-17";

/// Longest IAM policy name (`CreatePolicy` `PolicyName`, pattern `[\w+=,.@-]+`,
/// 1 to 128 characters; <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html>).
const IAM_NAME_MAX: usize = 128;

/// Longest policy description (`CreatePolicy` `Description` and the
/// `AWS::IAM::ManagedPolicy` `Description` property: maximum 1,000;
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html>).
const IAM_DESCRIPTION_MAX: usize = 1_000;

/// Longest template `Description`: "a literal string that is between 0 and
/// 1024 bytes in length"
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-description-structure.html>).
const TEMPLATE_DESCRIPTION_MAX_BYTES: usize = 1_024;

/// Longest CloudFormation logical ID (255 characters, alphanumeric;
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html>).
const LOGICAL_ID_MAX: usize = 255;

// ---------------------------------------------------------------------------
// Size.

/// Characters IAM counts for `doc`, counted on the safe side.
///
/// IAM counts every character of the document except white space (see
/// [`MANAGED_POLICY_LIMIT`]). This counts the characters (Unicode scalar
/// values, not bytes) of the compact JSON the model serializes to, which has
/// no white space outside strings, and errs upwards where the text IAM
/// receives may differ:
///
/// - white space *inside* strings is counted (IAM may or may not skip it);
/// - escapes count as written (`\"` is two characters, a control character
///   six), not as the one character they stand for;
/// - `<`, `>` and `&` count six each, because Terraform's `jsonencode`
///   writes them as `\u003c`, `\u003e` and `\u0026`
///   (<https://developer.hashicorp.com/terraform/language/functions/jsonencode>),
///   and so does the AWS provider when it normalises the JSON it sends;
///   U+2028 and U+2029 likewise (IAM refuses them anyway: documents may only
///   hold tab, line feed, carriage return and U+0020 to U+00FF).
///
/// So a document this function measures at or under the limit also fits
/// when written by [`json`], [`terraform`] or [`cloudformation`] (which
/// converts YAML to JSON before submitting it to IAM).
pub fn policy_size(doc: &PolicyDocument) -> usize {
    weigh(&compact(doc))
}

/// Compact JSON of a model value. The model's `Serialize` impls only write
/// strings, sequences and string-keyed maps, which cannot fail.
fn compact<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("policy documents always serialize to JSON")
}

/// [`policy_size`]'s measure of a piece of compact JSON text.
fn weigh(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            // Written `\u003c` etc. by Terraform's jsonencode.
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
            _ => 1,
        })
        .sum()
}

/// What one statement adds to a document holding it: its compact JSON,
/// without the comma that separates it from the previous statement.
fn statement_size(statement: &Statement) -> usize {
    weigh(&compact(statement))
}

// ---------------------------------------------------------------------------
// Splitting.

/// A statement that cannot be made to fit the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// Even the smallest piece a statement can be cut into (one resource
    /// and one action, or a `NotResource`/`NotAction` list, which cannot be
    /// cut without widening it) is over the limit in a document of its own.
    #[error(
        "{} needs {size} characters in a policy of its own, over the limit of {limit}, \
         and cannot be split further",
        describe_sid(.sid.as_deref())
    )]
    StatementTooLarge {
        /// `Sid` of the statement as given.
        sid: Option<String>,
        /// [`policy_size`] of a document holding only the piece that does
        /// not fit.
        size: usize,
        /// The limit it was split against.
        limit: usize,
    },
}

fn describe_sid(sid: Option<&str>) -> String {
    match sid {
        Some(sid) => format!("statement {sid:?}"),
        None => "a statement without Sid".to_owned(),
    }
}

/// Packs statements, in the given order, into as few documents as fit under
/// `limit` (first-fit in order, deterministic).
///
/// Each document declares `Version` `2012-10-17` and has no `Id`. Documents
/// are filled in turn: a statement goes into the current document if the
/// document stays within `limit` ([`policy_size`]), else it starts the next
/// one. Keeping statements in order and contiguous, this greedy packing
/// gives the fewest documents. An empty input gives no documents.
///
/// A statement that alone exceeds the limit is split by its `Resource` list
/// when it has several resources, else by its `Action` list, into
/// consecutive pieces each as large as fits; the pieces keep the statement's
/// effect, principals, conditions and the other list, so together they
/// allow (or deny) exactly what it did. The first piece keeps the `Sid`, the
/// others get the `Sid` with the suffix `2`, `3`, … (skipping any `Sid`
/// already in use; IAM wants `Sid`s unique within a policy and
/// alphanumeric:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html>);
/// statements without `Sid` stay without. A resource that alone with every
/// action is still too large is in turn split by actions. `NotResource` and
/// `NotAction` lists are never cut: each piece would match more than the
/// whole. What cannot be cut to fit is [`SplitError::StatementTooLarge`].
pub fn split_to_limit(
    statements: Vec<Statement>,
    limit: usize,
) -> Result<Vec<PolicyDocument>, SplitError> {
    let overhead = policy_size(&document(Vec::new()));
    let budget = Budget { limit, overhead };
    let mut taken: HashSet<String> = statements.iter().filter_map(|s| s.sid.clone()).collect();

    let mut pieces = Vec::with_capacity(statements.len());
    for statement in statements {
        let size = statement_size(&statement);
        if size <= budget.room() {
            pieces.push((statement, size));
        } else {
            for piece in split_statement(&statement, &budget, &mut taken)? {
                let size = statement_size(&piece);
                pieces.push((piece, size));
            }
        }
    }

    let mut documents = Vec::new();
    let mut current: Vec<Statement> = Vec::new();
    let mut used = overhead;
    for (statement, size) in pieces {
        // A statement after the first also brings its separating comma.
        if !current.is_empty() && used + 1 + size > limit {
            documents.push(document(std::mem::take(&mut current)));
            used = overhead;
        }
        used += if current.is_empty() { size } else { size + 1 };
        current.push(statement);
    }
    if !current.is_empty() {
        documents.push(document(current));
    }
    Ok(documents)
}

/// A document with the given statements, as this module writes them.
fn document(statements: Vec<Statement>) -> PolicyDocument {
    PolicyDocument {
        version: Some(POLICY_VERSION.to_owned()),
        statements,
        ..PolicyDocument::default()
    }
}

/// The limit, and what an empty document already uses of it.
struct Budget {
    limit: usize,
    overhead: usize,
}

impl Budget {
    /// The most one statement may measure to fit in a document alone.
    fn room(&self) -> usize {
        self.limit.saturating_sub(self.overhead)
    }

    fn too_large(&self, original: &Statement, piece: &Statement) -> SplitError {
        SplitError::StatementTooLarge {
            sid: original.sid.clone(),
            size: self.overhead + statement_size(piece),
            limit: self.limit,
        }
    }
}

/// Which list of a statement is being cut.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cut {
    Resources,
    Actions,
}

impl Cut {
    /// The items of the list, if it is an `Action`/`Resource` list (never
    /// the `Not…` form).
    fn listed(self, statement: &Statement) -> Option<&[String]> {
        match self {
            Cut::Resources => match &statement.resources {
                Some(Match::Listed(items)) => Some(items),
                _ => None,
            },
            Cut::Actions => match &statement.actions {
                Match::Listed(items) => Some(items),
                Match::Not(_) => None,
            },
        }
    }

    fn set(self, statement: &mut Statement, items: Vec<String>) {
        match self {
            Cut::Resources => statement.resources = Some(Match::Listed(items)),
            Cut::Actions => statement.actions = Match::Listed(items),
        }
    }
}

/// Cuts a statement too large for a document of its own into pieces that
/// each fit.
fn split_statement(
    statement: &Statement,
    budget: &Budget,
    taken: &mut HashSet<String>,
) -> Result<Vec<Statement>, SplitError> {
    let several = |cut: Cut| cut.listed(statement).is_some_and(|items| items.len() > 1);
    let cut = if several(Cut::Resources) {
        Cut::Resources
    } else if several(Cut::Actions) {
        Cut::Actions
    } else {
        return Err(budget.too_large(statement, statement));
    };
    let mut sids = SidNamer::new(statement.sid.clone());
    let mut pieces = Vec::new();
    cut_list(
        statement,
        statement,
        cut,
        budget,
        &mut sids,
        taken,
        &mut pieces,
    )?;
    Ok(pieces)
}

/// Appends to `pieces` the pieces of `template` cut along `cut`, each with
/// as many consecutive items as fit.
///
/// The size of a piece follows from the size of the template with an empty
/// list (`[]`): each item adds its JSON and, after the first, a comma; a
/// single item is written as a plain string, without the brackets.
fn cut_list(
    original: &Statement,
    template: &Statement,
    cut: Cut,
    budget: &Budget,
    sids: &mut SidNamer,
    taken: &mut HashSet<String>,
    pieces: &mut Vec<Statement>,
) -> Result<(), SplitError> {
    let items = cut.listed(template).unwrap_or_default();
    let room = budget.room();
    let mut rest = items;
    while let Some(first) = rest.first() {
        let mut piece = template.clone();
        piece.sid = sids.next(taken);
        cut.set(&mut piece, Vec::new());
        let empty = statement_size(&piece);
        let mut fit = 0;
        let mut sum = 0;
        for item in rest {
            let len = weigh(&compact(item));
            let size = if fit == 0 {
                (empty + len).saturating_sub(2)
            } else {
                empty + sum + len + fit
            };
            if size > room {
                break;
            }
            sum += len;
            fit += 1;
        }
        if fit == 0 {
            // This one item is too large even alone: cut by actions, if
            // this was a cut by resources and there are several actions.
            cut.set(&mut piece, vec![first.clone()]);
            let by_actions = cut == Cut::Resources
                && Cut::Actions
                    .listed(&piece)
                    .is_some_and(|actions| actions.len() > 1);
            if !by_actions {
                return Err(budget.too_large(original, &piece));
            }
            sids.put_back(piece.sid.take());
            cut_list(original, &piece, Cut::Actions, budget, sids, taken, pieces)?;
            rest = &rest[1..];
            continue;
        }
        cut.set(&mut piece, rest[..fit].to_vec());
        debug_assert!(statement_size(&piece) <= room);
        pieces.push(piece);
        rest = &rest[fit..];
    }
    Ok(())
}

/// Hands out `Sid`s for the pieces of one statement: its own first, then
/// with suffix 2, 3, … skipping those in use.
struct SidNamer {
    base: Option<String>,
    next_suffix: usize,
    returned: Option<Option<String>>,
}

impl SidNamer {
    fn new(base: Option<String>) -> Self {
        SidNamer {
            base,
            next_suffix: 1,
            returned: None,
        }
    }

    fn next(&mut self, taken: &mut HashSet<String>) -> Option<String> {
        if let Some(sid) = self.returned.take() {
            return sid;
        }
        let base = self.base.as_ref()?;
        if self.next_suffix == 1 {
            self.next_suffix = 2;
            return Some(base.clone());
        }
        loop {
            let sid = format!("{base}{}", self.next_suffix);
            self.next_suffix += 1;
            if taken.insert(sid.clone()) {
                return Some(sid);
            }
        }
    }

    /// Gives back the last `Sid` handed out, unused, to be handed out next.
    fn put_back(&mut self, sid: Option<String>) {
        self.returned = Some(sid);
    }
}

// ---------------------------------------------------------------------------
// JSON.

/// `--format json`: one document → the document itself, pretty-printed
/// (2-space indent, trailing newline); several → a JSON array of documents.
///
/// This is the text `aws iam create-policy --policy-document file://…`
/// takes (one document) and that [`PolicyDocument::from_text`] reads back.
pub fn json(docs: &[PolicyDocument]) -> String {
    let mut text = match docs {
        [one] => serde_json::to_string_pretty(one),
        many => serde_json::to_string_pretty(many),
    }
    .expect("policy documents always serialize to JSON");
    text.push('\n');
    text
}

// ---------------------------------------------------------------------------
// The document as written, with its keys in order.

/// A JSON value whose objects keep their keys in the order they were
/// written. `serde_json::Value` sorts keys unless its `preserve_order`
/// feature is on somewhere in the build, so the emitters read the model's
/// own serialization into this instead.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(String),
    Text(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// Written on one line: scalars, and empty lists and maps.
    fn is_inline(&self) -> bool {
        match self {
            Node::List(items) => items.is_empty(),
            Node::Map(entries) => entries.is_empty(),
            _ => true,
        }
    }

    fn text(text: impl Into<String>) -> Node {
        Node::Text(text.into())
    }

    fn map<const N: usize>(entries: [(&str, Node); N]) -> Node {
        Node::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }
}

/// The document as the model serializes it, keys in the order written.
fn tree(doc: &PolicyDocument) -> Node {
    serde_json::from_str(&compact(doc)).expect("compact JSON of a document reads back")
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Text(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Node>()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

// ---------------------------------------------------------------------------
// Names.

/// The suffix of the `index`th (0-based) of several parts: none for the
/// first, then `{separator}2`, `{separator}3`, …
fn part_suffix(index: usize, separator: &str) -> String {
    if index == 0 {
        String::new()
    } else {
        format!("{separator}{}", index + 1)
    }
}

/// A Terraform resource name: "must start with a letter or underscore and
/// may contain only letters, digits, underscores, and dashes"
/// (<https://developer.hashicorp.com/terraform/language/resources/syntax>).
/// Other characters become `_`; a name that would start with a digit or
/// dash gets `policy_` in front.
fn terraform_label(name: &str) -> String {
    let mut label: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if label.is_empty() {
        label.push_str("policy");
    } else if !label.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        label.insert_str(0, "policy_");
    }
    label
}

/// An IAM policy name: alphanumerics and `+=,.@_-`, at most 128 characters
/// with `suffix` (IAM name requirements,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>).
/// Other characters become `_`.
fn iam_policy_name(name: &str, suffix: &str) -> String {
    let mut base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if base.is_empty() {
        base.push_str("policy");
    }
    base.truncate(IAM_NAME_MAX.saturating_sub(suffix.len()));
    base + suffix
}

/// A CloudFormation logical ID: "alphanumeric (A-Za-z0-9) and unique within
/// the template" (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html>).
/// The name's alphanumeric runs in CamelCase (`acme-prod` → `AcmeProd`),
/// `Policy` in front when that would be empty or start with a digit.
fn logical_id(name: &str, suffix: &str) -> String {
    let mut id = String::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.insert_str(0, "Policy");
    }
    id.truncate(LOGICAL_ID_MAX.saturating_sub(suffix.len()));
    id + suffix
}

/// The description of part `index` of `count`, within IAM's 1,000
/// characters.
fn part_description(description: &str, index: usize, count: usize) -> String {
    let part = if count > 1 {
        format!(" (part {} of {count})", index + 1)
    } else {
        String::new()
    };
    let keep = IAM_DESCRIPTION_MAX.saturating_sub(part.chars().count());
    description.chars().take(keep).collect::<String>() + &part
}

/// The longest prefix of `text` of at most `max` bytes that ends on a
/// character boundary.
fn truncate_bytes(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

// ---------------------------------------------------------------------------
// Terraform.

/// `--format terraform`: one `resource "aws_iam_policy" "<name>"` per
/// document (suffix `_2`, `_3` when split), with `name`, `description`, and
/// `policy = jsonencode({...})` written as HCL object syntax.
///
/// The resource label is `name` sanitised to a Terraform identifier
/// (`[a-zA-Z_][a-zA-Z0-9_-]*`); the IAM policy name is `name` sanitised to
/// IAM's `[\w+=,.@-]`, up to 128 characters. When split, each description
/// ends with `(part i of n)`. Keys are as in IAM (`Version`, `Statement`,
/// …) and bare where HCL allows, lists are HCL tuples, and strings are HCL
/// quoted templates with `\`, `"` and control characters escaped and `${`,
/// `%{` written `$${`, `%%{`, so IAM policy variables such as
/// `${aws:username}` reach IAM literally instead of being interpolated by
/// Terraform
/// (<https://developer.hashicorp.com/terraform/language/expressions/strings>).
/// The layout is what `terraform fmt` writes (aligned `=` in runs of
/// one-line attributes).
pub fn terraform(docs: &[PolicyDocument], name: &str, description: &str) -> String {
    let label = terraform_label(name);
    let mut out = String::new();
    for (index, doc) in docs.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let suffix = part_suffix(index, "_");
        out.push_str(&format!(
            "resource \"aws_iam_policy\" \"{label}{suffix}\" {{\n"
        ));
        let attributes = [
            (
                "name".to_owned(),
                Node::text(iam_policy_name(name, &suffix)),
            ),
            (
                "description".to_owned(),
                Node::text(part_description(description, index, docs.len())),
            ),
        ];
        hcl_body(&attributes, 1, &mut out);
        out.push_str("  policy = jsonencode(");
        hcl_value(&tree(doc), 1, &mut out);
        out.push_str(")\n}\n");
    }
    out
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// The attributes of an object (or block) body at `depth`. Runs of
/// consecutive one-line attributes have their `=` aligned, as `terraform
/// fmt` does; an attribute whose value spans lines stands alone.
fn hcl_body(entries: &[(String, Node)], depth: usize, out: &mut String) {
    let mut rest = entries;
    while let Some((key, value)) = rest.first() {
        if !value.is_inline() {
            indent(depth, out);
            out.push_str(&hcl_key(key));
            out.push_str(" = ");
            hcl_value(value, depth, out);
            out.push('\n');
            rest = &rest[1..];
            continue;
        }
        let run = rest.iter().take_while(|(_, v)| v.is_inline()).count();
        let keys: Vec<String> = rest[..run].iter().map(|(k, _)| hcl_key(k)).collect();
        let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
        for (key, (_, value)) in keys.iter().zip(&rest[..run]) {
            indent(depth, out);
            out.push_str(&format!("{key:<width$} = "));
            hcl_value(value, depth, out);
            out.push('\n');
        }
        rest = &rest[run..];
    }
}

/// A value whose first line continues the current line and whose closing
/// bracket, if it spans lines, is indented to `depth`.
fn hcl_value(node: &Node, depth: usize, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Number(n) => out.push_str(n),
        Node::Text(s) => out.push_str(&hcl_string(s)),
        Node::List(items) if items.is_empty() => out.push_str("[]"),
        Node::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Node::List(items) => {
            out.push_str("[\n");
            for item in items {
                indent(depth + 1, out);
                hcl_value(item, depth + 1, out);
                out.push_str(",\n");
            }
            indent(depth, out);
            out.push(']');
        }
        Node::Map(entries) => {
            out.push_str("{\n");
            hcl_body(entries, depth + 1, out);
            indent(depth, out);
            out.push('}');
        }
    }
}

/// An object key: bare when it is an HCL identifier (then taken literally
/// as the key's name), quoted otherwise. Identifiers HCL reads as keywords
/// inside an object constructor are quoted too.
fn hcl_key(key: &str) -> String {
    let identifier = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let keyword = matches!(key, "true" | "false" | "null" | "for" | "in" | "if");
    if identifier && !keyword {
        key.to_owned()
    } else {
        hcl_string(key)
    }
}

/// A quoted HCL string that evaluates to `text` exactly: `\n`, `\r`, `\t`,
/// `\"`, `\\`, `\uNNNN` for other control characters, and `$${` / `%%{` for
/// a literal `${` / `%{` (<https://developer.hashicorp.com/terraform/language/expressions/strings>).
/// Only the `$` or `%` right before `{` is doubled, so `$${` in the text
/// becomes `$$${`, which Terraform reads back as `$${`.
fn hcl_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            // Line and paragraph separators and the byte-order mark are
            // valid but invisible; escaped so the file reads plainly.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------
// CloudFormation.

/// `--format cloudformation`: a YAML template with
/// `AWSTemplateFormatVersion: "2010-09-09"`, `Description`, and `Resources`
/// holding one `AWS::IAM::ManagedPolicy` per document, its `Properties`
/// being `ManagedPolicyName`, `Description` and `PolicyDocument` as block
/// YAML.
///
/// Logical IDs are `name` in CamelCase alphanumerics, with `2`, `3`, … on
/// the second and later parts; `ManagedPolicyName` is as in [`terraform`]
/// (naming the policy means deploying with `CAPABILITY_NAMED_IAM`). The
/// template `Description` is cut to CloudFormation's 1,024 bytes, policy
/// descriptions to IAM's 1,000 characters.
///
/// Every string scalar, keys included unless they are plain identifiers, is
/// double-quoted and escaped, so nothing in a policy is read as another
/// type or as YAML syntax (`*` alias, `yes`/`no`/`on` booleans, `: `,
/// leading `!` tag, `&` anchor, `{`/`[` flow, `#` comment, …). Strings need
/// no escaping for CloudFormation itself: it interprets `${…}` only inside
/// `Fn::Sub`
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html>),
/// which is never written here, so `${aws:username}` reaches IAM as is;
/// CloudFormation converts the YAML policy to JSON before submitting it
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html>).
pub fn cloudformation(docs: &[PolicyDocument], name: &str, description: &str) -> String {
    let resources = docs
        .iter()
        .enumerate()
        .map(|(index, doc)| {
            let policy = Node::map([
                ("Type", Node::text("AWS::IAM::ManagedPolicy")),
                (
                    "Properties",
                    Node::map([
                        (
                            "ManagedPolicyName",
                            Node::text(iam_policy_name(name, &part_suffix(index, "_"))),
                        ),
                        (
                            "Description",
                            Node::text(part_description(description, index, docs.len())),
                        ),
                        ("PolicyDocument", tree(doc)),
                    ]),
                ),
            ]);
            (logical_id(name, &part_suffix(index, "")), policy)
        })
        .collect();
    let template = [
        (
            "AWSTemplateFormatVersion".to_owned(),
            Node::text("2010-09-09"),
        ),
        (
            "Description".to_owned(),
            Node::text(truncate_bytes(description, TEMPLATE_DESCRIPTION_MAX_BYTES)),
        ),
        ("Resources".to_owned(), Node::Map(resources)),
    ];
    let mut out = String::new();
    yaml_entries(&template, 0, false, &mut out);
    out
}

fn spaces(count: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', count));
}

/// Block mapping entries at `indent`; with `inline_first` the first entry
/// continues the current line (after a sequence's `- `).
fn yaml_entries(entries: &[(String, Node)], indent: usize, inline_first: bool, out: &mut String) {
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 || !inline_first {
            spaces(indent, out);
        }
        out.push_str(&yaml_key(key));
        out.push(':');
        match value {
            Node::List(items) if !items.is_empty() => {
                out.push('\n');
                yaml_items(items, indent + 2, false, out);
            }
            Node::Map(entries) if !entries.is_empty() => {
                out.push('\n');
                yaml_entries(entries, indent + 2, false, out);
            }
            scalar => {
                out.push(' ');
                out.push_str(&yaml_scalar(scalar));
                out.push('\n');
            }
        }
    }
}

/// Block sequence items at `indent`; with `inline_first` the first item
/// continues the current line (a sequence in a sequence).
fn yaml_items(items: &[Node], indent: usize, inline_first: bool, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            spaces(indent, out);
        }
        out.push_str("- ");
        match item {
            Node::List(items) if !items.is_empty() => yaml_items(items, indent + 2, true, out),
            Node::Map(entries) if !entries.is_empty() => {
                yaml_entries(entries, indent + 2, true, out);
            }
            scalar => {
                out.push_str(&yaml_scalar(scalar));
                out.push('\n');
            }
        }
    }
}

/// A one-line value: strings double-quoted, the rest as YAML reads them.
fn yaml_scalar(node: &Node) -> String {
    match node {
        Node::Null => "null".to_owned(),
        Node::Bool(b) => b.to_string(),
        Node::Number(n) => n.clone(),
        Node::Text(s) => yaml_string(s),
        Node::List(_) => "[]".to_owned(),
        Node::Map(_) => "{}".to_owned(),
    }
}

/// A mapping key: plain when it is a letter followed by letters, digits and
/// `_` and is not one of the words YAML 1.1 reads as a boolean or null
/// (<https://yaml.org/type/bool.html>, <https://yaml.org/type/null.html>);
/// double-quoted otherwise (`"aws:SourceIp"`, `"ForAnyValue:StringLike"`).
fn yaml_key(key: &str) -> String {
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let special = ["y", "yes", "n", "no", "true", "false", "on", "off", "null"]
        .iter()
        .any(|word| key.eq_ignore_ascii_case(word));
    if plain && !special {
        key.to_owned()
    } else {
        yaml_string(key)
    }
}

/// A YAML double-quoted scalar that reads back as `text`
/// (<https://yaml.org/spec/1.2.2/#731-double-quoted-style>): `"` and `\`
/// escaped, and every character that is not printable in YAML, or is a line
/// break there (U+0085, U+2028, U+2029), or is a byte-order mark, written as
/// an escape; the YAML 1.1 parsers CloudFormation tools use read the same
/// escapes.
fn yaml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn doc(value: Value) -> PolicyDocument {
        PolicyDocument::from_value(&value).unwrap()
    }

    fn statement(value: Value) -> Statement {
        doc(json!({"Version": "2012-10-17", "Statement": [value]}))
            .statements
            .remove(0)
    }

    /// Non-whitespace characters of a text, as IAM counts them.
    fn non_white(text: &str) -> usize {
        text.chars().filter(|c| !c.is_whitespace()).count()
    }

    #[test]
    fn policy_size_matches_a_hand_count() {
        let d = doc(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ]}));
        // {"Version":"2012-10-17",                 24
        // "Statement":[                            13
        // {"Sid":"A",                              11
        // "Effect":"Allow",                        17
        // "Action":"s3:getobject",                 24
        // "Resource":"arn:aws:s3:::b/*"            29
        // }]}                                       3
        assert_eq!(policy_size(&d), 121);
        assert_eq!(policy_size(&d), non_white(&json(std::slice::from_ref(&d))));

        // `*` becomes ` &`: the space counts, and `&` counts as `\u0026`.
        let spaced = doc(json!({"Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/ &"}
        ]}));
        assert_eq!(policy_size(&spaced), 121 - 1 + 1 + 6);
    }

    fn numbered(i: usize) -> Statement {
        statement(json!({
            "Sid": format!("S{i}"),
            "Effect": if i.is_multiple_of(7) { "Deny" } else { "Allow" },
            "Action": (0..=(i % 5)).map(|a| format!("svc{i}:action{a}")).collect::<Vec<_>>(),
            "Resource": (0..=(i % 3)).map(|r| format!("arn:aws:s3:::bucket-{i}-{r}/*")).collect::<Vec<_>>(),
            "Condition": if i.is_multiple_of(4) {
                json!({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}})
            } else {
                json!({})
            },
        }))
    }

    #[test]
    fn split_packs_in_order_under_the_limit() {
        let input: Vec<Statement> = (0..300).map(numbered).collect();
        let docs = split_to_limit(input.clone(), MANAGED_POLICY_LIMIT).unwrap();
        assert!(docs.len() > 1);
        for d in &docs {
            assert!(policy_size(d) <= MANAGED_POLICY_LIMIT, "{}", policy_size(d));
            assert_eq!(d.version.as_deref(), Some("2012-10-17"));
        }
        // As few as fit: the next document's first statement would not have fit.
        for pair in docs.windows(2) {
            let mut grown = pair[0].clone();
            grown.statements.push(pair[1].statements[0].clone());
            assert!(policy_size(&grown) > MANAGED_POLICY_LIMIT);
        }
        let output: Vec<Statement> = docs.into_iter().flat_map(|d| d.statements).collect();
        assert_eq!(output, input);
        assert!(
            split_to_limit(Vec::new(), MANAGED_POLICY_LIMIT)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn oversized_statement_is_split_by_resource() {
        let resources: Vec<String> = (0..400)
            .map(|i| format!("arn:aws:dynamodb:eu-west-1:111122223333:table/orders-{i:04}"))
            .collect();
        let big = statement(json!({
            "Sid": "Big", "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        }));
        // A statement already called Big2 makes the pieces skip that Sid.
        let other = statement(
            json!({"Sid": "Big2", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}),
        );
        let docs = split_to_limit(vec![big.clone(), other.clone()], MANAGED_POLICY_LIMIT).unwrap();
        assert!(docs.len() >= 3);
        let statements: Vec<Statement> = docs.iter().flat_map(|d| d.statements.clone()).collect();
        let (pieces, last) = statements.split_at(statements.len() - 1);
        assert_eq!(last, [other]);
        let sids: Vec<&str> = pieces.iter().map(|s| s.sid.as_deref().unwrap()).collect();
        assert_eq!(sids[..3], ["Big", "Big3", "Big4"]);
        let mut seen = Vec::new();
        for piece in pieces {
            assert_eq!((piece.effect, &piece.actions), (big.effect, &big.actions));
            assert_eq!(piece.conditions, big.conditions);
            seen.extend_from_slice(piece.resources.as_ref().unwrap().items());
        }
        assert_eq!(Some(Match::Listed(seen)), big.resources);
        for d in &docs {
            assert!(policy_size(d) <= MANAGED_POLICY_LIMIT);
        }
    }

    #[test]
    fn oversized_statement_is_split_by_action_when_resources_cannot_be() {
        let actions: Vec<String> = (0..40)
            .map(|i| format!("ec2:describesomething{i:02}"))
            .collect();
        let limit = 400;

        // One resource: cut by actions.
        let one = statement(json!({"Effect": "Allow", "Action": actions, "Resource": "*"}));
        let docs = split_to_limit(vec![one.clone()], limit).unwrap();
        let pieces: Vec<Statement> = docs.iter().flat_map(|d| d.statements.clone()).collect();
        assert!(pieces.len() > 1);
        assert!(
            pieces
                .iter()
                .all(|p| p.sid.is_none() && p.resources == one.resources)
        );
        let joined: Vec<String> = pieces
            .iter()
            .flat_map(|p| p.actions.items().to_vec())
            .collect();
        assert_eq!(Match::Listed(joined), one.actions);
        assert!(docs.iter().all(|d| policy_size(d) <= limit));

        // Several resources, each too large with every action: cut by
        // resources, then each resource by actions; every pair is kept once.
        let two = statement(json!({"Sid": "Two", "Effect": "Allow", "Action": actions,
            "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*"]}));
        let docs = split_to_limit(vec![two.clone()], limit).unwrap();
        let pieces: Vec<Statement> = docs.iter().flat_map(|d| d.statements.clone()).collect();
        let mut pairs = Vec::new();
        for p in &pieces {
            for r in p.resources.as_ref().unwrap().items() {
                for a in p.actions.items() {
                    pairs.push((r.clone(), a.clone()));
                }
            }
        }
        let mut expected = Vec::new();
        for r in two.resources.as_ref().unwrap().items() {
            for a in two.actions.items() {
                expected.push((r.clone(), a.clone()));
            }
        }
        assert_eq!(pairs, expected);
        let sids: Vec<String> = pieces.iter().map(|p| p.sid.clone().unwrap()).collect();
        let expected_sids: Vec<String> = std::iter::once("Two".to_owned())
            .chain((2..=pieces.len()).map(|n| format!("Two{n}")))
            .collect();
        assert_eq!(sids, expected_sids);
        assert!(docs.iter().all(|d| policy_size(d) <= limit));
    }

    #[test]
    fn statement_that_cannot_be_cut_is_an_error() {
        let long = format!("arn:aws:s3:::{}", "x".repeat(200));
        let single = statement(
            json!({"Sid": "Huge", "Effect": "Allow", "Action": "s3:GetObject", "Resource": long}),
        );
        let e = split_to_limit(vec![single.clone()], 150).unwrap_err();
        let size = policy_size(&document(vec![single]));
        assert_eq!(
            e,
            SplitError::StatementTooLarge {
                sid: Some("Huge".to_owned()),
                size,
                limit: 150
            }
        );
        assert_eq!(
            e.to_string(),
            format!(
                "statement \"Huge\" needs {size} characters in a policy of its own, over the limit of 150, and cannot be split further"
            )
        );

        // NotResource and NotAction lists are never cut: a piece would grant more.
        let not = statement(
            json!({"Effect": "Deny", "NotAction": ["iam:a", "iam:b", "iam:c"],
            "NotResource": ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]}),
        );
        assert!(matches!(
            split_to_limit(vec![not], 100),
            Err(SplitError::StatementTooLarge { sid: None, .. })
        ));
    }

    fn sample() -> PolicyDocument {
        doc(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadOwnPrefix", "Effect": "Allow",
             "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": "arn:aws:s3:::home/${aws:username}/*",
             "Condition": {
                 "StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"], "s3:prefix": "%{x}"},
                 "Bool": {"aws:SecureTransport": true}
             }},
            {"Effect": "Deny", "Action": "s3:*", "NotResource": ["*", "yes"]}
        ]}))
    }

    #[test]
    fn json_one_document_round_trips() {
        let d = sample();
        let text = json(std::slice::from_ref(&d));
        assert!(text.starts_with("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"ReadOwnPrefix\",\n      \"Effect\": \"Allow\","));
        assert!(text.ends_with("}\n"));
        assert_eq!(PolicyDocument::from_text(&text).unwrap(), d);
    }

    #[test]
    fn json_several_documents_are_an_array() {
        let docs = split_to_limit((0..300).map(numbered).collect(), MANAGED_POLICY_LIMIT).unwrap();
        let text = json(&docs);
        assert!(text.starts_with("[\n  {\n    \"Version\": \"2012-10-17\","));
        assert!(text.ends_with("]\n"));
        let Value::Array(items) = serde_json::from_str::<Value>(&text).unwrap() else {
            panic!("not an array");
        };
        let back: Vec<PolicyDocument> = items
            .iter()
            .map(|v| PolicyDocument::from_value(v).unwrap())
            .collect();
        assert_eq!(back, docs);
        assert_eq!(json(&[]), "[]\n");
    }

    #[test]
    fn node_keeps_the_written_key_order() {
        let Node::Map(entries) = tree(&sample()) else {
            panic!("not a map");
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["Version", "Statement"]);
        let Node::List(statements) = &entries[1].1 else {
            panic!("not a list");
        };
        let Node::Map(first) = &statements[0] else {
            panic!("not a map");
        };
        let keys: Vec<&str> = first.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["Sid", "Effect", "Action", "Resource", "Condition"]);
    }

    const TERRAFORM: &str = r#"resource "aws_iam_policy" "acme_corp_prod" {
  name        = "acme_corp_prod"
  description = "Least privilege for \"acme\" (${var.x})"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "ReadOwnPrefix"
        Effect = "Allow"
        Action = [
          "s3:getobject",
          "s3:putobject",
        ]
        Resource = "arn:aws:s3:::home/$${aws:username}/*"
        Condition = {
          Bool = {
            "aws:SecureTransport" = "true"
          }
          StringEquals = {
            "aws:RequestedRegion" = [
              "eu-west-1",
              "us-east-1",
            ]
            "s3:prefix" = "%%{x}"
          }
        }
      },
      {
        Effect = "Deny"
        Action = "s3:*"
        NotResource = [
          "*",
          "yes",
        ]
      },
    ]
  })
}
"#;

    #[test]
    fn terraform_snapshot() {
        let text = terraform(
            &[sample()],
            "acme corp/prod",
            "Least privilege for \"acme\" (${var.x})",
        );
        assert_eq!(text, TERRAFORM.replace("(${var.x})", "($${var.x})"));
    }

    #[test]
    fn terraform_names_split_parts() {
        let docs = split_to_limit((0..300).map(numbered).collect(), MANAGED_POLICY_LIMIT).unwrap();
        let n = docs.len();
        let text = terraform(&docs, "9lives", "d");
        assert!(text.starts_with("resource \"aws_iam_policy\" \"policy_9lives\" {\n  name        = \"9lives\"\n  description = \"d (part 1 of"));
        assert!(text.contains(&format!(
            "resource \"aws_iam_policy\" \"policy_9lives_2\" {{\n  name        = \"9lives_2\"\n  description = \"d (part 2 of {n})\"\n"
        )));
        assert_eq!(text.matches("resource \"aws_iam_policy\"").count(), n);
        assert_eq!(terraform_label("ok-name_1"), "ok-name_1");
        assert_eq!(terraform_label(""), "policy");
        assert_eq!(terraform_label("-x"), "policy_-x");
        assert_eq!(terraform_label("Vendor Ü"), "Vendor__");
        assert_eq!(iam_policy_name("a+b=c,d.e@f g/h", ""), "a+b=c,d.e@f_g_h");
        assert_eq!(iam_policy_name(&"n".repeat(200), "_2").len(), 128);
    }

    #[test]
    fn hcl_strings_escape_templates_and_controls() {
        assert_eq!(hcl_string("${a}"), r#""$${a}""#);
        assert_eq!(hcl_string("$${a}"), r#""$$${a}""#);
        assert_eq!(hcl_string("%{if}"), r#""%%{if}""#);
        assert_eq!(hcl_string("$ % {}"), r#""$ % {}""#);
        assert_eq!(
            hcl_string("a\"b\\c\nd\te\u{1}\u{2028}"),
            r#""a\"b\\c\nd\te\u0001\u2028""#
        );
        assert_eq!(hcl_key("StringEquals"), "StringEquals");
        assert_eq!(
            hcl_key("ForAnyValue:StringLike"),
            r#""ForAnyValue:StringLike""#
        );
        assert_eq!(hcl_key("null"), r#""null""#);
    }

    const CLOUDFORMATION: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Description: "Least privilege for \"acme\": yes"
Resources:
  AcmeCorpProd:
    Type: "AWS::IAM::ManagedPolicy"
    Properties:
      ManagedPolicyName: "acme-corp_prod"
      Description: "Least privilege for \"acme\": yes"
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: "ReadOwnPrefix"
            Effect: "Allow"
            Action:
              - "s3:getobject"
              - "s3:putobject"
            Resource: "arn:aws:s3:::home/${aws:username}/*"
            Condition:
              Bool:
                "aws:SecureTransport": "true"
              StringEquals:
                "aws:RequestedRegion":
                  - "eu-west-1"
                  - "us-east-1"
                "s3:prefix": "%{x}"
          - Effect: "Deny"
            Action: "s3:*"
            NotResource:
              - "*"
              - "yes"
"#;

    #[test]
    fn cloudformation_snapshot() {
        let text = cloudformation(
            &[sample()],
            "acme-corp prod",
            "Least privilege for \"acme\": yes",
        );
        assert_eq!(text, CLOUDFORMATION);
    }

    #[test]
    fn cloudformation_names_split_parts() {
        let docs = split_to_limit((0..300).map(numbered).collect(), MANAGED_POLICY_LIMIT).unwrap();
        let text = cloudformation(&docs, "acme", "d");
        assert!(text.contains("\n  Acme:\n    Type: \"AWS::IAM::ManagedPolicy\"\n    Properties:\n      ManagedPolicyName: \"acme\"\n"));
        assert!(text.contains("\n  Acme2:\n    Type: \"AWS::IAM::ManagedPolicy\"\n    Properties:\n      ManagedPolicyName: \"acme_2\"\n      Description: \"d (part 2 of"));
        assert_eq!(logical_id("9 lives", ""), "Policy9Lives");
        assert_eq!(logical_id("", "2"), "Policy2");
        assert_eq!(logical_id("vendor.x-prod", ""), "VendorXProd");
        assert_eq!(
            cloudformation(&[], "a", "b"),
            "AWSTemplateFormatVersion: \"2010-09-09\"\nDescription: \"b\"\nResources: {}\n"
        );
    }

    #[test]
    fn yaml_strings_quote_the_traps() {
        for (text, quoted) in [
            ("*", r#""*""#),
            ("s3:*", r#""s3:*""#),
            ("yes", r#""yes""#),
            ("\"quoted\"", r#""\"quoted\"""#),
            ("!Ref x", r#""!Ref x""#),
            ("& # {a: [b]}", r#""& # {a: [b]}""#),
            ("back\\slash", r#""back\\slash""#),
            (
                "tab\tnl\nnel\u{85}ls\u{2028}bom\u{feff}",
                r#""tab\tnl\nnel\u0085ls\u2028bom\uFEFF""#,
            ),
            ("café", "\"café\""),
        ] {
            assert_eq!(yaml_string(text), quoted, "{text}");
        }
        assert_eq!(yaml_key("Version"), "Version");
        assert_eq!(yaml_key("On"), r#""On""#);
        assert_eq!(yaml_key("aws:SourceIp"), r#""aws:SourceIp""#);
    }

    #[test]
    fn descriptions_are_cut_to_the_limits() {
        let long = "é".repeat(2_000);
        let d = part_description(&long, 1, 3);
        assert_eq!(d.chars().count(), IAM_DESCRIPTION_MAX);
        assert!(d.ends_with(" (part 2 of 3)"));
        assert_eq!(truncate_bytes(&long, 1_024).len(), 1_024);
        assert_eq!(truncate_bytes(&long, 1_023).len(), 1_022);
    }
}
