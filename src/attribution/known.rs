//! The public known-accounts list: AWS account ids of vendors and AWS
//! services, from `fwdcloudsec/known_aws_accounts` (`accounts.yaml`, which
//! `vendortrail data update` fetches into the cache). It names accounts the
//! vendor registry does not.
//!
//! The file is read by a small parser for exactly the YAML the list uses,
//! not by a YAML library: a top-level block sequence of mappings, one per
//! entry, with
//!
//! - `name:` (required) a quoted or plain scalar;
//! - `accounts:` (required) a flow list (`['…', '…']`, which may span
//!   lines) or a block list (`- '…'`) of 12-digit account ids;
//! - `type:` (optional) `aws` marks an AWS-owned service account;
//! - `enabled:` (optional) `true` or `false`;
//! - `source:`, `deprecated_date:` and any other key: read, then ignored,
//!   as long as the value is a scalar or a list of scalars.
//!
//! Single- and double-quoted scalars, `#` comments (also after values),
//! blank lines, CRLF line ends, a byte-order mark and `---` are accepted.
//! Anything else in an entry (nested mappings, anchors, tags, block
//! scalars, tabs in indentation, duplicate keys, a malformed account id)
//! is an error naming the file and the line, so a changed upstream format
//! fails loudly instead of silently losing names. An empty list is an
//! error too.
//!
//! Entries the list marks `enabled: false` are kept, with
//! [`KnownAccount::enabled`] false; callers decide whether to use them. An
//! account listed by two entries keeps the first enabled one.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};

/// What the list says about one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAccount {
    /// The vendor, or the AWS service for AWS-owned accounts.
    pub name: String,
    /// An AWS-owned service account (`type: aws`).
    pub aws_service: bool,
    /// Not marked `enabled: false`.
    pub enabled: bool,
}

/// The known-accounts list: account id to entry.
#[derive(Debug, Default, Clone)]
pub struct KnownAccounts {
    /// One per list entry, in file order.
    entries: Vec<KnownAccount>,
    /// Account id -> index into `entries`.
    accounts: BTreeMap<String, usize>,
}

/// Why the known-accounts list could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KnownError {
    /// The file could not be read.
    #[error("cannot read known-accounts list {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Something the parser does not understand, or an invalid entry.
    #[error("{origin}:{line}: {message}")]
    Syntax {
        /// The file, as given.
        origin: String,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file holds no entries.
    #[error("{origin}: the known-accounts list has no entries")]
    Empty {
        /// The file, as given.
        origin: String,
    },
}

impl KnownAccounts {
    /// Parses `accounts.yaml`; `origin` (the file name) prefixes errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, KnownError> {
        let error = |line: usize, message: String| KnownError::Syntax {
            origin: origin.to_owned(),
            line,
            message,
        };
        let lines = significant_lines(text).map_err(|(line, m)| error(line, m))?;
        let mut parser = Parser { lines, pos: 0 };
        let mut known = KnownAccounts::default();
        let mut seq_indent = None;
        while let Some(line) = parser.lines.get(parser.pos).copied() {
            if line.indent == 0 && line.text == "---" && known.entries.is_empty() {
                parser.pos += 1;
                continue;
            }
            if line.indent == 0 && line.text == "..." {
                break;
            }
            let indent = *seq_indent.get_or_insert(line.indent);
            if line.indent != indent || !(line.text == "-" || line.text.starts_with("- ")) {
                return Err(error(
                    line.number,
                    "expected a list entry (`- name: ...`) at the top level".to_owned(),
                ));
            }
            let entry = parser.entry().map_err(|(line, m)| error(line, m))?;
            known.add(entry);
        }
        if known.entries.is_empty() {
            return Err(KnownError::Empty {
                origin: origin.to_owned(),
            });
        }
        Ok(known)
    }

    /// Reads and parses a list file.
    pub fn load(path: &Path) -> Result<Self, KnownError> {
        let text = std::fs::read_to_string(path).map_err(|source| KnownError::Read {
            path: path.to_owned(),
            source,
        })?;
        KnownAccounts::parse(&text, &path.display().to_string())
    }

    /// What the list says about an account id (also for disabled entries;
    /// see [`KnownAccount::enabled`]).
    pub fn name_of(&self, account: &str) -> Option<&KnownAccount> {
        self.accounts.get(account).map(|&i| &self.entries[i])
    }

    /// How many distinct account ids the list names.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the list names no account.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The list's entries, in file order (one vendor or service may have
    /// several).
    pub fn entries(&self) -> &[KnownAccount] {
        &self.entries
    }

    /// Account ids and their entries, by account id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &KnownAccount)> {
        self.accounts
            .iter()
            .map(|(id, &i)| (id.as_str(), &self.entries[i]))
    }

    fn add(&mut self, entry: ParsedEntry) {
        let index = self.entries.len();
        let enabled = entry.known.enabled;
        self.entries.push(entry.known);
        for account in entry.accounts {
            match self.accounts.entry(account) {
                Entry::Vacant(slot) => {
                    slot.insert(index);
                }
                Entry::Occupied(mut slot) => {
                    if enabled && !self.entries[*slot.get()].enabled {
                        slot.insert(index);
                    }
                }
            }
        }
    }
}

/// An error while parsing: line number and message.
type Failure = (usize, String);

/// A line with content: its number (from 1), indentation in spaces, and
/// its text without indentation, comment or trailing spaces.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

/// The lines that hold something, comments and blanks left out.
fn significant_lines(text: &str) -> Result<Vec<Line<'_>>, Failure> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let number = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let content = strip_comment(raw).trim_end();
        let indent = content.len() - content.trim_start_matches(' ').len();
        let rest = &content[indent..];
        if rest.is_empty() {
            continue;
        }
        if rest.starts_with('\t') {
            return Err((
                number,
                "tab in indentation (YAML allows spaces only)".to_owned(),
            ));
        }
        lines.push(Line {
            number,
            indent,
            text: rest,
        });
    }
    Ok(lines)
}

/// `line` without its comment: from a `#` that starts the line or follows
/// a space, outside quotes.
fn strip_comment(line: &str) -> &str {
    #[derive(PartialEq)]
    enum State {
        Plain,
        Single,
        Double,
    }
    let blank = |c: char| c == ' ' || c == '\t';
    let mut state = State::Plain;
    // The character before, and the last one that is not blank.
    let mut prev: Option<char> = None;
    let mut last: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match state {
            State::Plain => {
                if c == '#' && prev.is_none_or(blank) {
                    return &line[..i];
                }
                // A quote opens a quoted scalar only where a value starts
                // (`key: '`, `- '`, `['`, `, '`); inside a plain scalar
                // (`Rock 'n roll`) it is a character like any other.
                let value_start = prev.is_none_or(|p| blank(p) || p == '[' || p == ',')
                    && last.is_none_or(|l| matches!(l, ':' | '-' | '[' | ','));
                if c == '\'' && value_start {
                    state = State::Single;
                } else if c == '"' && value_start {
                    state = State::Double;
                }
            }
            State::Single => {
                if c == '\'' {
                    if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                        chars.next();
                    } else {
                        state = State::Plain;
                    }
                }
            }
            State::Double => {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    state = State::Plain;
                }
            }
        }
        prev = Some(c);
        if !blank(c) {
            last = Some(c);
        }
    }
    line
}

/// A scalar as written: its text (quotes resolved), whether it was plain
/// (unquoted), and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scalar {
    text: String,
    plain: bool,
    line: usize,
}

impl Scalar {
    fn is_null(&self) -> bool {
        self.plain && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }
}

/// A value in an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// Nothing after the key.
    Null,
    Scalar(Scalar),
    List(Vec<Scalar>),
}

/// One parsed entry with its account ids.
struct ParsedEntry {
    known: KnownAccount,
    accounts: Vec<String>,
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

impl Parser<'_> {
    /// Reads the entry whose `- ` line is at `self.pos`.
    fn entry(&mut self) -> Result<ParsedEntry, Failure> {
        let first = self.lines[self.pos];
        let after_dash = &first.text[1..];
        let rest = after_dash.trim_start_matches(' ');
        if rest.is_empty() {
            return Err((
                first.number,
                "an entry must start with a key on its `- ` line (`- name: ...`)".to_owned(),
            ));
        }
        let key_indent = first.indent + 1 + (after_dash.len() - rest.len());
        let mut fields: Vec<(&str, Value, usize)> = Vec::new();
        let mut line = Line {
            number: first.number,
            indent: key_indent,
            text: rest,
        };
        loop {
            let (key, inline) = split_key(line.text).map_err(|m| (line.number, m))?;
            if fields.iter().any(|(k, _, _)| *k == key) {
                return Err((line.number, format!("duplicate key `{key}` in one entry")));
            }
            self.pos += 1;
            let value = self.value(inline, key_indent, line.number)?;
            fields.push((key, value, line.number));
            match self.lines.get(self.pos) {
                Some(next) if next.indent == key_indent => line = *next,
                Some(next) if next.indent > key_indent => {
                    return Err((
                        next.number,
                        "unexpected indented line (nested mappings and multi-line plain \
                         scalars are not supported)"
                            .to_owned(),
                    ));
                }
                _ => break,
            }
        }
        build_entry(first.number, fields)
    }

    /// The value of a key: `inline` is what follows `key:` on its line;
    /// block and multi-line flow lists take the lines after it.
    fn value(&mut self, inline: &str, key_indent: usize, number: usize) -> Result<Value, Failure> {
        let v = inline.trim();
        if v.is_empty() {
            let Some(next) = self.lines.get(self.pos).copied() else {
                return Ok(Value::Null);
            };
            if next.indent >= key_indent && is_list_item(next.text) {
                return self.block_list(next.indent);
            }
            return Ok(Value::Null);
        }
        if v.starts_with('[') {
            return self.flow_list(v, number);
        }
        Ok(Value::Scalar(scalar(v, number)?))
    }

    /// `- item` lines at `indent`.
    fn block_list(&mut self, indent: usize) -> Result<Value, Failure> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos).copied() {
            if line.indent != indent || !is_list_item(line.text) {
                if line.indent > indent {
                    return Err((
                        line.number,
                        "unexpected indented line in a list (only one scalar per item is \
                         supported)"
                            .to_owned(),
                    ));
                }
                break;
            }
            let item = line.text[1..].trim_start();
            if item.is_empty() {
                return Err((line.number, "empty list item".to_owned()));
            }
            if item.starts_with('[') || item.starts_with("- ") || item == "-" {
                return Err((line.number, "nested lists are not supported".to_owned()));
            }
            items.push(scalar(item, line.number)?);
            self.pos += 1;
        }
        Ok(Value::List(items))
    }

    /// A flow list starting with `text` (from its `[`), continued on the
    /// following lines until its `]`.
    fn flow_list(&mut self, text: &str, number: usize) -> Result<Value, Failure> {
        let mut buffer = text.to_owned();
        // (offset in buffer, line number) where each line's text starts.
        let mut starts = vec![(0, number)];
        loop {
            match parse_flow(&buffer) {
                Flow::Done(items) => {
                    let line_at = |offset: usize| {
                        starts
                            .iter()
                            .rev()
                            .find(|(start, _)| *start <= offset)
                            .map_or(number, |&(_, line)| line)
                    };
                    return items
                        .into_iter()
                        .map(|(offset, item)| {
                            let line = line_at(offset);
                            item.map(|(text, plain)| Scalar { text, plain, line })
                                .map_err(|m| (line, m))
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(Value::List);
                }
                Flow::Error(offset, message) => {
                    let line = starts
                        .iter()
                        .rev()
                        .find(|(start, _)| *start <= offset)
                        .map_or(number, |&(_, line)| line);
                    return Err((line, message));
                }
                Flow::More => {
                    let Some(next) = self.lines.get(self.pos).copied() else {
                        return Err((number, "`[` is never closed with `]`".to_owned()));
                    };
                    self.pos += 1;
                    buffer.push(' ');
                    starts.push((buffer.len(), next.number));
                    buffer.push_str(next.text);
                }
            }
        }
    }
}

/// An item of a flow list: its offset, and its text and plainness or
/// what is wrong with it.
type FlowItem = (usize, Result<(String, bool), String>);

/// What reading a flow list found.
enum Flow {
    /// The list, closed, with nothing after it.
    Done(Vec<FlowItem>),
    /// Not closed yet: more lines are needed.
    More,
    /// Broken at this offset.
    Error(usize, String),
}

/// Reads `[a, 'b', "c"]` (the buffer starts with `[`).
fn parse_flow(buffer: &str) -> Flow {
    let bytes = buffer.as_bytes();
    let mut items = Vec::new();
    let mut i = 1;
    let skip_spaces = |mut i: usize| {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        i
    };
    loop {
        i = skip_spaces(i);
        let Some(&b) = bytes.get(i) else {
            return Flow::More;
        };
        match b {
            b']' => break,
            b',' => return Flow::Error(i, "empty item in a list".to_owned()),
            b'[' | b'{' => {
                return Flow::Error(i, "nested lists and mappings are not supported".to_owned());
            }
            b'\'' | b'"' => {
                let Some(len) = quoted_len(&buffer[i..]) else {
                    return Flow::More;
                };
                items.push((i, unquote(&buffer[i..i + len])));
                i += len;
            }
            _ => {
                let end = buffer[i..]
                    .find([',', ']', '[', '{', '}'])
                    .map_or(buffer.len(), |n| i + n);
                if end == buffer.len() {
                    return Flow::More;
                }
                if matches!(bytes[end], b'[' | b'{' | b'}') {
                    return Flow::Error(
                        end,
                        "nested lists and mappings are not supported".to_owned(),
                    );
                }
                let text = buffer[i..end].trim_end();
                items.push((i, plain(text).map(|t| (t.to_owned(), true))));
                i = end;
            }
        }
        i = skip_spaces(i);
        match bytes.get(i) {
            None => return Flow::More,
            Some(b',') => i += 1,
            Some(b']') => break,
            Some(_) => return Flow::Error(i, "expected `,` or `]` after a list item".to_owned()),
        }
    }
    // `i` is at the closing `]`.
    if !buffer[i + 1..].trim().is_empty() {
        return Flow::Error(i + 1, "unexpected text after `]`".to_owned());
    }
    Flow::Done(items)
}

/// Whether a line is a block list item (`- x` or `-`).
fn is_list_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Splits `key: value` into key and the rest.
fn split_key(text: &str) -> Result<(&str, &str), String> {
    let colon = text
        .find(": ")
        .or_else(|| text.ends_with(':').then(|| text.len() - 1));
    let Some(colon) = colon else {
        return Err(format!("expected `key: value`, found {text:?}"));
    };
    let key = &text[..colon];
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "unsupported key {key:?} (keys are plain words such as `name`)"
        ));
    }
    Ok((key, &text[colon + 1..]))
}

/// A scalar written alone on a line (after `key:` or `- `).
fn scalar(text: &str, line: usize) -> Result<Scalar, Failure> {
    let text = text.trim();
    if text.starts_with(['\'', '"']) {
        let len =
            quoted_len(text).ok_or_else(|| (line, "unterminated quoted string".to_owned()))?;
        if !text[len..].trim().is_empty() {
            return Err((
                line,
                format!("unexpected text after a quoted string: {:?}", &text[len..]),
            ));
        }
        let (text, plain) = unquote(&text[..len]).map_err(|m| (line, m))?;
        return Ok(Scalar { text, plain, line });
    }
    let text = plain(text).map_err(|m| (line, m))?;
    Ok(Scalar {
        text: text.to_owned(),
        plain: true,
        line,
    })
}

/// Checks a plain (unquoted) scalar.
fn plain(text: &str) -> Result<&str, String> {
    let unsupported = match text.chars().next() {
        Some('&') => Some("anchors"),
        Some('*') => Some("aliases"),
        Some('!') => Some("tags"),
        Some('|' | '>') => Some("block scalars"),
        Some('{') => Some("flow mappings"),
        Some('@' | '`' | '%') => Some("reserved indicators"),
        _ => None,
    };
    if let Some(what) = unsupported {
        return Err(format!("unsupported YAML ({what}) in {text:?}"));
    }
    if text.contains(": ") || text.ends_with(':') {
        return Err(format!(
            "a mapping where a single value is expected: {text:?}"
        ));
    }
    if text.is_empty() {
        return Err("empty value".to_owned());
    }
    Ok(text)
}

/// Length in bytes of the quoted scalar `text` starts with, quotes
/// included; `None` if it is not closed.
fn quoted_len(text: &str) -> Option<usize> {
    let quote = text.chars().next()?;
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            ('\'', '\'') => {
                if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                    chars.next();
                } else {
                    return Some(i + 1);
                }
            }
            ('"', '\\') => {
                chars.next();
            }
            ('"', '"') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The text of a complete quoted scalar (quotes included in `text`), and
/// `false` for "not plain".
fn unquote(text: &str) -> Result<(String, bool), String> {
    let inner = &text[1..text.len() - 1];
    if text.starts_with('\'') {
        return Ok((inner.replace("''", "'"), false));
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next() {
            Some('\\') => '\\',
            Some('"') => '"',
            Some('/') => '/',
            Some(' ') => ' ',
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('0') => '\0',
            Some(kind @ ('x' | 'u' | 'U')) => {
                let digits = match kind {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(digits).collect();
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == digits)
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("invalid escape \\{kind}{hex} in {text}"))?
            }
            other => {
                return Err(format!(
                    "unsupported escape \\{} in {text}",
                    other.map(String::from).unwrap_or_default()
                ));
            }
        };
        out.push(escaped);
    }
    Ok((out, false))
}

/// Whether `s` is a 12-digit AWS account id.
fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Turns an entry's fields into the entry, checking what it needs.
fn build_entry(line: usize, fields: Vec<(&str, Value, usize)>) -> Result<ParsedEntry, Failure> {
    let mut name = None;
    let mut accounts = None;
    let mut aws_service = false;
    let mut enabled = true;
    for (key, value, key_line) in &fields {
        let single = |what: &str| match value {
            Value::Scalar(s) if !s.is_null() => Ok(Some(s)),
            Value::Null => Ok(None),
            Value::Scalar(_) => Ok(None),
            Value::List(_) => Err((*key_line, format!("`{key}` must be {what}, not a list"))),
        };
        match *key {
            "name" => {
                let s = single("a single name")?
                    .filter(|s| !s.text.trim().is_empty())
                    .ok_or_else(|| (*key_line, "`name` is empty".to_owned()))?;
                name = Some(s.text.trim().to_owned());
            }
            "accounts" => {
                let items: Vec<&Scalar> = match value {
                    Value::List(items) => items.iter().collect(),
                    Value::Scalar(s) if !s.is_null() => vec![s],
                    _ => return Err((*key_line, "`accounts` is empty".to_owned())),
                };
                let mut ids = Vec::with_capacity(items.len());
                for item in items {
                    if !is_account_id(&item.text) {
                        return Err((
                            item.line,
                            format!("{:?} is not a 12-digit AWS account id", item.text),
                        ));
                    }
                    ids.push(item.text.clone());
                }
                accounts = Some(ids);
            }
            "type" => {
                aws_service =
                    single("a single word")?.is_some_and(|s| s.text.eq_ignore_ascii_case("aws"));
            }
            "enabled" => {
                let s = single("true or false")?;
                enabled = match s.map(|s| s.text.to_ascii_lowercase()).as_deref() {
                    Some("true") => true,
                    Some("false") => false,
                    _ => {
                        return Err((*key_line, "`enabled` must be true or false".to_owned()));
                    }
                };
            }
            "deprecated_date" => {
                single("a single date")?;
            }
            // `source` and keys added upstream later: any scalar or list.
            _ => {}
        }
    }
    let Some(name) = name else {
        return Err((line, "entry has no `name`".to_owned()));
    };
    let Some(accounts) = accounts else {
        return Err((line, format!("entry {name:?} has no `accounts`")));
    };
    Ok(ParsedEntry {
        known: KnownAccount {
            name,
            aws_service,
            enabled,
        },
        accounts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> KnownAccounts {
        KnownAccounts::parse(text, "accounts.yaml").expect("parses")
    }

    fn error(text: &str) -> String {
        KnownAccounts::parse(text, "accounts.yaml")
            .expect_err("refused")
            .to_string()
    }

    fn shared_dir() -> PathBuf {
        let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/known_accounts");
        if beside.is_dir() {
            beside
        } else {
            PathBuf::from("/work/shared/data/known_accounts")
        }
    }

    #[test]
    fn upstream_file_matches_its_readme_and_the_json_twin() {
        let dir = shared_dir();
        let known = KnownAccounts::load(&dir.join("accounts.yaml")).unwrap();
        // The counts data/README.md states.
        assert_eq!(known.entries().len(), 238);
        assert_eq!(known.len(), 498);
        assert_eq!(known.entries().iter().filter(|e| e.aws_service).count(), 11);
        assert_eq!(known.entries().iter().filter(|e| !e.enabled).count(), 2);

        // Entry by entry and account by account against the JSON twin.
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("known_aws_accounts.json")).unwrap(),
        )
        .unwrap();
        let vendors = json["vendors"].as_array().unwrap();
        assert_eq!(vendors.len(), known.entries().len());
        let mut ids = 0;
        for (vendor, entry) in vendors.iter().zip(known.entries()) {
            let expected = KnownAccount {
                name: vendor["name"].as_str().unwrap().to_owned(),
                aws_service: vendor.get("type").and_then(|t| t.as_str()) == Some("aws"),
                enabled: vendor
                    .get("enabled")
                    .and_then(|e| e.as_bool())
                    .unwrap_or(true),
            };
            assert_eq!(entry, &expected);
            for account in vendor["accounts"].as_array().unwrap() {
                let account = account.as_str().unwrap();
                assert_eq!(known.name_of(account), Some(&expected), "{account}");
                ids += 1;
            }
        }
        assert_eq!(ids, 498);
        assert_eq!(known.iter().count(), 498);

        let datadog = known.name_of("464622532012").unwrap();
        assert_eq!(datadog.name, "Datadog");
        assert!(datadog.enabled && !datadog.aws_service);
        let elb = known.name_of("127311923021").unwrap();
        assert_eq!((elb.name.as_str(), elb.aws_service), ("ELB logs", true));
        let doit = known.name_of("068664126052").unwrap();
        assert_eq!((doit.name.as_str(), doit.enabled), ("DoIt", false));
        assert!(known.name_of("000000000000").is_none());
    }

    #[test]
    fn quoting_styles_comments_and_blank_lines() {
        let known = parse(
            "# header comment\n\
             ---\n\
             - name: 'It''s # not a comment'   # a comment\n\
             \n\
             \x20 source: ['https://example.com/#anchor', \"https://x.test/a#b\"]  # trailing\n\
             \x20 accounts: ['111111111111', \"222222222222\", 333333333333]\n\
             - name: \"Double \\\"quoted\\\" \\u00e9\"\n\
             \x20 accounts: ['444444444444']\n\
             - name: Plain Name with 'apostrophes' and a#hash # comment\n\
             \x20 accounts: ['555555555555']\n",
        );
        assert_eq!(known.entries().len(), 3);
        assert_eq!(
            known.name_of("111111111111").unwrap().name,
            "It's # not a comment"
        );
        assert_eq!(
            known.name_of("333333333333").unwrap().name,
            "It's # not a comment"
        );
        assert_eq!(
            known.name_of("444444444444").unwrap().name,
            "Double \"quoted\" é"
        );
        assert_eq!(
            known.name_of("555555555555").unwrap().name,
            "Plain Name with 'apostrophes' and a#hash"
        );
    }

    #[test]
    fn block_lists_multiline_flow_lists_and_optional_fields() {
        let known = parse(
            "- name: 'Spot'\n\
             \x20 source:\n\
             \x20   - 'https://a.example/'\n\
             \x20   - https://b.example/   # plain\n\
             \x20 accounts:\n\
             \x20 - '111111111111'\n\
             \x20 - 222222222222\n\
             - name: 'Fortinet'\n\
             \x20 source: [\n\
             \x20   'https://c.example/',\n\
             \x20   'https://d.example/'\n\
             \x20 ]\n\
             \x20 accounts: ['333333333333',\n\
             \x20   '444444444444', ]\n\
             \x20 type: 'aws'\n\
             \x20 enabled: False\n\
             \x20 deprecated_date: 2024-01-01\n\
             \x20 notes: ['added upstream later']\n\
             - name: 'No source'\n\
             \x20 accounts: []\n",
        );
        assert_eq!(known.entries().len(), 3);
        assert_eq!(known.len(), 4);
        assert_eq!(known.name_of("222222222222").unwrap().name, "Spot");
        let f = known.name_of("444444444444").unwrap();
        assert_eq!(
            f,
            &KnownAccount {
                name: "Fortinet".to_owned(),
                aws_service: true,
                enabled: false
            }
        );
        assert_eq!(known.entries()[2].name, "No source");
    }

    #[test]
    fn crlf_bom_and_indented_sequence() {
        let known = parse(
            "\u{feff}  - name: A\r\n    accounts: ['111111111111']\r\n  - name: B\r\n    accounts: ['222222222222']\r\n",
        );
        assert_eq!(known.name_of("222222222222").unwrap().name, "B");
        assert_eq!(known.len(), 2);
    }

    #[test]
    fn an_account_in_two_entries_keeps_the_first_enabled_one() {
        let known = parse(
            "- name: Old\n  accounts: ['111111111111', '222222222222']\n  enabled: false\n\
             - name: New\n  accounts: ['111111111111']\n\
             - name: Newer\n  accounts: ['111111111111', '222222222222']\n",
        );
        assert_eq!(known.name_of("111111111111").unwrap().name, "New");
        assert_eq!(known.name_of("222222222222").unwrap().name, "Newer");
        assert_eq!(known.len(), 2);
        assert_eq!(known.entries().len(), 3);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases = [
            (
                "- name: A\n  accounts: ['12345']\n",
                "accounts.yaml:2: \"12345\" is not a 12-digit AWS account id",
            ),
            (
                "- name: A\n  accounts: [\n    '111111111111',\n    '1111'\n  ]\n",
                "accounts.yaml:4: \"1111\" is not a 12-digit AWS account id",
            ),
            (
                "- name: A\n  accounts:\n    - '111111111111'\n    - 'x'\n",
                "accounts.yaml:4: \"x\" is not a 12-digit",
            ),
            (
                "- source: ['x']\n  accounts: ['111111111111']\n",
                "accounts.yaml:1: entry has no `name`",
            ),
            (
                "- name: A\n  source: ['x']\n",
                "accounts.yaml:1: entry \"A\" has no `accounts`",
            ),
            (
                "- name: ''\n  accounts: ['111111111111']\n",
                "accounts.yaml:1: `name` is empty",
            ),
            (
                "- name:\n  accounts: ['111111111111']\n",
                "accounts.yaml:1: `name` is empty",
            ),
            (
                "- name: ['A']\n  accounts: ['111111111111']\n",
                "accounts.yaml:1: `name` must be a single name, not a list",
            ),
            (
                "- name: A\n  accounts:\n",
                "accounts.yaml:2: `accounts` is empty",
            ),
            (
                "- name: A\n  name: B\n  accounts: ['111111111111']\n",
                "accounts.yaml:2: duplicate key `name` in one entry",
            ),
            (
                "- name: A\n  accounts: ['111111111111']\n  enabled: maybe\n",
                "accounts.yaml:3: `enabled` must be true or false",
            ),
            (
                "- name: A\n  accounts: ['111111111111'\n",
                "accounts.yaml:2: `[` is never closed with `]`",
            ),
            (
                "- name: A\n  accounts: ['111111111111',, '2']\n",
                "accounts.yaml:2: empty item in a list",
            ),
            (
                "- name: A\n  accounts: ['111111111111'] x\n",
                "accounts.yaml:2: unexpected text after `]`",
            ),
            (
                "- name: A\n  accounts: [['111111111111']]\n",
                "accounts.yaml:2: nested lists and mappings are not supported",
            ),
            (
                "- name: A\n  accounts: {a: 1}\n",
                "accounts.yaml:2: unsupported YAML (flow mappings)",
            ),
            (
                "- name: &anchor A\n  accounts: ['111111111111']\n",
                "accounts.yaml:1: unsupported YAML (anchors)",
            ),
            (
                "- name: |\n    A\n  accounts: ['111111111111']\n",
                "accounts.yaml:1: unsupported YAML (block scalars)",
            ),
            (
                "- name: A\n  meta:\n    nested: 1\n  accounts: ['111111111111']\n",
                "accounts.yaml:3: unexpected indented line",
            ),
            (
                "- name: A\n\taccounts: ['111111111111']\n",
                "accounts.yaml:2: tab in indentation",
            ),
            (
                "- name: 'A\n  accounts: ['111111111111']\n",
                "accounts.yaml:1: unterminated quoted string",
            ),
            (
                "- name: 'A' B\n  accounts: ['111111111111']\n",
                "accounts.yaml:1: unexpected text after a quoted string",
            ),
            (
                "- name: \"A\\q\"\n  accounts: ['111111111111']\n",
                "accounts.yaml:1: unsupported escape \\q",
            ),
            (
                "vendors:\n  - name: A\n",
                "accounts.yaml:1: expected a list entry (`- name: ...`) at the top level",
            ),
            (
                "- name: A\n  accounts: ['111111111111']\n name: B\n",
                "accounts.yaml:3: expected a list entry",
            ),
            (
                "- name: A\n  accounts: ['111111111111']\n  just text\n",
                "accounts.yaml:3: expected `key: value`, found \"just text\"",
            ),
            ("- 'A'\n", "accounts.yaml:1: expected `key: value`"),
            (
                "-\n  name: A\n",
                "accounts.yaml:1: an entry must start with a key",
            ),
            (
                "- name: A\n  accounts:\n    - - '111111111111'\n",
                "accounts.yaml:3: nested lists are not supported",
            ),
            (
                "- name: A\n  accounts:\n    - id: '111111111111'\n",
                "accounts.yaml:3: a mapping where a single value is expected",
            ),
            (
                "- name: A\n  accounts:\n    - '111111111111'\n      '2'\n",
                "accounts.yaml:4: unexpected indented line in a list",
            ),
            (
                "- name: A\n  'accounts': ['111111111111']\n",
                "accounts.yaml:2: unsupported key \"'accounts'\"",
            ),
        ];
        for (text, expected) in cases {
            let e = error(text);
            assert!(
                e.starts_with(expected),
                "{text:?}\n  got: {e}\n  expected: {expected}"
            );
        }
    }

    #[test]
    fn an_empty_list_is_an_error() {
        assert_eq!(
            error(""),
            "accounts.yaml: the known-accounts list has no entries"
        );
        assert_eq!(
            error("# only comments\n---\n"),
            "accounts.yaml: the known-accounts list has no entries"
        );
    }

    #[test]
    fn load_names_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("accounts.yaml");
        let e = KnownAccounts::load(&missing).unwrap_err();
        assert!(matches!(e, KnownError::Read { .. }));
        assert_eq!(
            e.to_string(),
            format!("cannot read known-accounts list {}", missing.display())
        );
        std::fs::write(&missing, "- name: A\n  accounts: ['111111111111']\n").unwrap();
        let known = KnownAccounts::load(&missing).unwrap();
        assert_eq!(known.name_of("111111111111").unwrap().name, "A");
        assert!(!known.is_empty());
        assert!(KnownAccounts::default().is_empty());
    }

    #[test]
    fn comment_stripping_respects_quotes() {
        assert_eq!(strip_comment("a: 'x # y' # z"), "a: 'x # y' ");
        assert_eq!(strip_comment("a: \"x \\\" # y\" # z"), "a: \"x \\\" # y\" ");
        assert_eq!(strip_comment("a: b#c"), "a: b#c");
        assert_eq!(strip_comment("# all"), "");
        assert_eq!(strip_comment("a: it's # c"), "a: it's ");
        assert_eq!(strip_comment("a: Rock 'n roll # c"), "a: Rock 'n roll ");
        assert_eq!(strip_comment("- 'x # y' # c"), "- 'x # y' ");
        assert_eq!(
            strip_comment("a: ['it''s #1', x] # c"),
            "a: ['it''s #1', x] "
        );
    }
}
