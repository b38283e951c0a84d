//! Your own organisation's accounts (`--org <FILE>`): never a third party.
//!
//! Accepted formats, told apart by the first character that is not blank:
//!
//! - `{`: the output of `aws organizations list-accounts` (or
//!   `list-accounts-for-parent`): `{"Accounts": [{"Id": "111111111111",
//!   "Name": "prod", ...}, ...]}`. Other keys are ignored, but a non-empty
//!   `NextToken` is an error: the output is one page of several (made with
//!   `--max-items`), and an own account left out would be reported as a
//!   third party;
//! - `[`: a bare JSON array of those account objects, or of id strings;
//! - anything else: plain text, one account per line, `#` starts a
//!   comment; an id (12 digits, or `1111-2222-3333` as the console shows
//!   it) optionally followed by a space or comma and a name.
//!
//! Every account id must be 12 digits; errors name the file and the line
//! (text), or the line and column (invalid JSON), or the entry
//! (`Accounts[3]`). A file naming no account is an error. Suspended or
//! closed accounts count as own too: their old activity is still yours.
//!
//! The other own accounts (log recipients, accounts in IAM exports) are
//! added by the caller with [`OrgAccounts::insert`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Own organisation accounts: account id to name, when the file gives one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OrgAccounts {
    /// Account id -> account name.
    pub accounts: BTreeMap<String, Option<String>>,
}

/// Why an organisation file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrgError {
    /// The file could not be read.
    #[error("cannot read organisation accounts {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file starts like JSON but is not valid JSON.
    #[error("{origin}:{line}:{column}: invalid JSON: {message}")]
    Json {
        /// The file, as given.
        origin: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What the JSON reader objected to.
        message: String,
    },
    /// Valid JSON, but not the shape expected.
    #[error("{origin}: {message}")]
    Shape {
        /// The file, as given.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// One account entry of the JSON is wrong.
    #[error("{origin}: {entry}: {message}")]
    Entry {
        /// The file, as given.
        origin: String,
        /// Which entry: `Accounts[3]`, or `[3]` in a bare array.
        entry: String,
        /// What is wrong.
        message: String,
    },
    /// A line of a text file is wrong.
    #[error("{origin}:{line}: {message}")]
    Line {
        /// The file, as given.
        origin: String,
        /// Line, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The JSON is one page of a paginated listing.
    #[error(
        "{origin}: the listing is incomplete (it has a NextToken); run \
         `aws organizations list-accounts` without --max-items so every account is in the file"
    )]
    Truncated {
        /// The file, as given.
        origin: String,
    },
    /// The file names no account.
    #[error("{origin}: no accounts found")]
    Empty {
        /// The file, as given.
        origin: String,
    },
}

impl OrgAccounts {
    /// Parses an organisation file; `origin` (the file name) prefixes
    /// errors.
    pub fn parse(text: &str, origin: &str) -> Result<OrgAccounts, OrgError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut org = OrgAccounts::default();
        match text.trim_start().chars().next() {
            Some('{' | '[') => org.parse_json(text, origin)?,
            _ => org.parse_text(text, origin)?,
        }
        if org.accounts.is_empty() {
            return Err(OrgError::Empty {
                origin: origin.to_owned(),
            });
        }
        Ok(org)
    }

    /// Reads and parses an organisation file.
    pub fn load(path: &Path) -> Result<OrgAccounts, OrgError> {
        let text = std::fs::read_to_string(path).map_err(|source| OrgError::Read {
            path: path.to_owned(),
            source,
        })?;
        OrgAccounts::parse(&text, &path.display().to_string())
    }

    /// Whether an account id is one of ours.
    pub fn contains(&self, id: &str) -> bool {
        self.accounts.contains_key(id)
    }

    /// An account's name, if the file gave one.
    pub fn name(&self, id: &str) -> Option<&str> {
        self.accounts.get(id)?.as_deref()
    }

    /// How many accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Adds an own account; a name already known is kept.
    pub fn insert(&mut self, id: String, name: Option<String>) {
        let slot = self.accounts.entry(id).or_default();
        if slot.is_none() {
            *slot = name;
        }
    }

    fn parse_json(&mut self, text: &str, origin: &str) -> Result<(), OrgError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let full = e.to_string();
            // serde_json appends " at line L column C", given separately.
            let message = match full.rfind(" at line ") {
                Some(at) => full[..at].to_owned(),
                None => full,
            };
            OrgError::Json {
                origin: origin.to_owned(),
                line: e.line(),
                column: e.column(),
                message,
            }
        })?;
        let shape = |message: &str| OrgError::Shape {
            origin: origin.to_owned(),
            message: message.to_owned(),
        };
        let (items, prefix) = match &value {
            Value::Array(items) => (items, ""),
            Value::Object(map) => {
                if let Some(token) = map.get("NextToken")
                    && !token.is_null()
                    && token.as_str() != Some("")
                {
                    return Err(OrgError::Truncated {
                        origin: origin.to_owned(),
                    });
                }
                match map.get("Accounts") {
                    Some(Value::Array(items)) => (items, "Accounts"),
                    Some(_) => return Err(shape("`Accounts` is not a list")),
                    None => {
                        return Err(shape(
                            "no `Accounts` list; expected the output of \
                             `aws organizations list-accounts`",
                        ));
                    }
                }
            }
            _ => unreachable!("the text starts with `{{` or `[`"),
        };
        for (index, item) in items.iter().enumerate() {
            let entry_error = |message: String| OrgError::Entry {
                origin: origin.to_owned(),
                entry: format!("{prefix}[{index}]"),
                message,
            };
            let (id, name) = match item {
                Value::String(id) => (id.as_str(), None),
                Value::Object(account) => {
                    let id = match account.get("Id") {
                        Some(Value::String(id)) => id.as_str(),
                        Some(other) => {
                            return Err(entry_error(format!("`Id` is not a string: {other}")));
                        }
                        None => return Err(entry_error("no `Id`".to_owned())),
                    };
                    let name = match account.get("Name") {
                        Some(Value::String(name)) if !name.is_empty() => Some(name.clone()),
                        Some(Value::String(_) | Value::Null) | None => None,
                        Some(other) => {
                            return Err(entry_error(format!("`Name` is not a string: {other}")));
                        }
                    };
                    (id, name)
                }
                other => {
                    return Err(entry_error(format!(
                        "expected an account object or id, found {other}"
                    )));
                }
            };
            let id = account_id(id)
                .ok_or_else(|| entry_error(format!("{id:?} is not a 12-digit AWS account id")))?;
            self.insert(id, name);
        }
        Ok(())
    }

    fn parse_text(&mut self, text: &str, origin: &str) -> Result<(), OrgError> {
        for (i, line) in text.lines().enumerate() {
            let content = line
                .split_once('#')
                .map_or(line, |(before, _)| before)
                .trim();
            if content.is_empty() {
                continue;
            }
            let (id, name) = match content.split_once(|c: char| c.is_whitespace() || c == ',') {
                Some((id, name)) => (id, name.trim()),
                None => (content, ""),
            };
            let id = account_id(id).ok_or_else(|| OrgError::Line {
                origin: origin.to_owned(),
                line: i + 1,
                message: format!(
                    "{id:?} is not a 12-digit AWS account id (expected one id per line, or \
                     the JSON output of `aws organizations list-accounts`)"
                ),
            })?;
            let name = (!name.is_empty()).then(|| name.to_owned());
            self.insert(id, name);
        }
        Ok(())
    }
}

/// A 12-digit account id, also from the console's `1111-2222-3333` form.
fn account_id(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let dashed = bytes.len() == 14 && bytes[4] == b'-' && bytes[9] == b'-';
    let id: String = if dashed {
        text.chars().filter(|&c| c != '-').collect()
    } else {
        text.to_owned()
    };
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> OrgAccounts {
        OrgAccounts::parse(text, "org.json").expect("parses")
    }

    fn error(text: &str) -> String {
        OrgAccounts::parse(text, "org.json")
            .expect_err("refused")
            .to_string()
    }

    const LIST_ACCOUNTS: &str = r#"{
    "Accounts": [
        {
            "Id": "111111111111",
            "Arn": "arn:aws:organizations::111111111111:account/o-exampleorgid/111111111111",
            "Email": "prod@example.com",
            "Name": "prod",
            "Status": "ACTIVE",
            "JoinedMethod": "INVITED",
            "JoinedTimestamp": "2020-01-01T00:00:00.000000+00:00"
        },
        {
            "Id": "222222222222",
            "Arn": "arn:aws:organizations::111111111111:account/o-exampleorgid/222222222222",
            "Email": "old@example.com",
            "Name": "old",
            "Status": "SUSPENDED",
            "State": "SUSPENDED"
        },
        {"Id": "333333333333"}
    ]
}"#;

    #[test]
    fn list_accounts_output() {
        let org = parse(LIST_ACCOUNTS);
        assert_eq!(org.len(), 3);
        assert!(org.contains("111111111111"));
        assert!(org.contains("222222222222"));
        assert!(!org.contains("444444444444"));
        assert_eq!(org.name("111111111111"), Some("prod"));
        assert_eq!(org.name("222222222222"), Some("old"));
        assert_eq!(org.name("333333333333"), None);
        assert_eq!(
            org.accounts.keys().map(String::as_str).collect::<Vec<_>>(),
            ["111111111111", "222222222222", "333333333333"]
        );
    }

    #[test]
    fn empty_or_null_next_token_is_complete_and_a_real_one_is_refused() {
        let org = parse(r#"{"Accounts": [{"Id": "111111111111"}], "NextToken": null}"#);
        assert_eq!(org.len(), 1);
        let org = parse(r#"{"Accounts": [{"Id": "111111111111"}], "NextToken": ""}"#);
        assert_eq!(org.len(), 1);
        let e = error(r#"{"Accounts": [{"Id": "111111111111"}], "NextToken": "eyJ..."}"#);
        assert!(
            e.starts_with("org.json: the listing is incomplete (it has a NextToken)"),
            "{e}"
        );
    }

    #[test]
    fn bare_arrays_of_objects_or_ids() {
        let org = parse(r#"[{"Id": "111111111111", "Name": "prod"}, "222222222222"]"#);
        assert_eq!(org.name("111111111111"), Some("prod"));
        assert!(org.contains("222222222222"));
        assert_eq!(org.len(), 2);
    }

    #[test]
    fn plain_text_with_comments_names_and_console_form() {
        let org = parse(
            "\u{feff}# our accounts\n111111111111\n\n222222222222 prod account # the big one\n\
             3333-4444-5555,staging\r\n  666666666666  \n",
        );
        assert_eq!(org.len(), 4);
        assert_eq!(org.name("111111111111"), None);
        assert_eq!(org.name("222222222222"), Some("prod account"));
        assert_eq!(org.name("333344445555"), Some("staging"));
        assert!(org.contains("666666666666"));
    }

    #[test]
    fn repeated_ids_keep_the_first_name() {
        let org = parse("111111111111\n111111111111 prod\n111111111111 other\n");
        assert_eq!(org.len(), 1);
        assert_eq!(org.name("111111111111"), Some("prod"));
    }

    #[test]
    fn errors_name_the_file_and_place() {
        assert_eq!(
            error("111111111111\n12345 short\n"),
            "org.json:2: \"12345\" is not a 12-digit AWS account id (expected one id per \
             line, or the JSON output of `aws organizations list-accounts`)"
        );
        assert_eq!(
            error(r#"{"Accounts": [{"Id": "111111111111"}, {"Id": "1111"}]}"#),
            "org.json: Accounts[1]: \"1111\" is not a 12-digit AWS account id"
        );
        assert_eq!(
            error(r#"{"Accounts": [{"Name": "x"}]}"#),
            "org.json: Accounts[0]: no `Id`"
        );
        assert_eq!(
            error(r#"{"Accounts": [{"Id": 111111111111}]}"#),
            "org.json: Accounts[0]: `Id` is not a string: 111111111111"
        );
        assert_eq!(
            error(r#"[{"Id": "111111111111", "Name": 5}]"#),
            "org.json: [0]: `Name` is not a string: 5"
        );
        assert_eq!(
            error("[true]"),
            "org.json: [0]: expected an account object or id, found true"
        );
        assert_eq!(
            error(r#"{"Organization": {}}"#),
            "org.json: no `Accounts` list; expected the output of `aws organizations list-accounts`"
        );
        assert_eq!(
            error(r#"{"Accounts": {}}"#),
            "org.json: `Accounts` is not a list"
        );
        assert_eq!(
            error("{\n  \"Accounts\": [\n    {\"Id\": \"111111111111\",}\n  ]\n}"),
            "org.json:3:27: invalid JSON: trailing comma"
        );
    }

    #[test]
    fn a_file_without_accounts_is_an_error() {
        assert_eq!(error("# nobody\n\n"), "org.json: no accounts found");
        assert_eq!(error(r#"{"Accounts": []}"#), "org.json: no accounts found");
        assert_eq!(error(""), "org.json: no accounts found");
    }

    #[test]
    fn load_and_insert() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("org.json");
        std::fs::write(&path, LIST_ACCOUNTS).unwrap();
        let mut org = OrgAccounts::load(&path).unwrap();
        org.insert("444444444444".to_owned(), None);
        org.insert("111111111111".to_owned(), Some("renamed".to_owned()));
        assert_eq!(org.len(), 4);
        assert_eq!(org.name("111111111111"), Some("prod"));
        org.insert("444444444444".to_owned(), Some("logs".to_owned()));
        assert_eq!(org.name("444444444444"), Some("logs"));

        let missing = dir.path().join("missing.txt");
        let e = OrgAccounts::load(&missing).unwrap_err();
        assert!(matches!(e, OrgError::Read { .. }));
        assert_eq!(
            e.to_string(),
            format!("cannot read organisation accounts {}", missing.display())
        );
    }

    #[test]
    fn account_id_forms() {
        assert_eq!(account_id("111111111111").as_deref(), Some("111111111111"));
        assert_eq!(
            account_id("1111-2222-3333").as_deref(),
            Some("111122223333")
        );
        assert_eq!(account_id("11112-222-3333"), None);
        assert_eq!(account_id("1111111111111"), None);
        assert_eq!(account_id("11111111111a"), None);
        assert_eq!(account_id(""), None);
    }
}
