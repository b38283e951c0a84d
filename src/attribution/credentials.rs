//! The IAM credential report (`aws iam generate-credential-report`, then
//! `aws iam get-credential-report --query Content --output text | base64 -d`):
//! per IAM user, whether it has a console password and, per access key,
//! whether it is active, when it was last rotated and last used
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html>).
//! It is what `get-account-authorization-details` lacks for the
//! `vendor-iam-user` check: key ages and console access.

use std::collections::BTreeMap;
use std::path::Path;

use crate::time::Timestamp;

/// One access key of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// `access_key_N_active`.
    pub active: bool,
    /// `access_key_N_last_rotated` (creation or rotation).
    pub last_rotated: Option<Timestamp>,
    /// `access_key_N_last_used_date`.
    pub last_used: Option<Timestamp>,
}

/// One user's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredentials {
    /// `password_enabled`: the user can sign in to the console.
    pub password_enabled: bool,
    /// Its (up to two) access keys.
    pub keys: Vec<KeyState>,
}

/// The report, by user ARN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialReport {
    /// Rows by `arn`.
    pub users: BTreeMap<String, UserCredentials>,
    /// `report_generated`-like reference time: the latest date in the file,
    /// so ages are measured from when the report was made, not from now.
    pub as_of: Option<Timestamp>,
}

/// What is wrong with a credential report file.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The header lacks a needed column.
    #[error("{origin}: not a credential report: no `{column}` column")]
    Column {
        /// The file.
        origin: String,
        /// The column.
        column: &'static str,
    },
}

fn date(field: &str) -> Option<Timestamp> {
    // `N/A`, `no_information`, `not_supported` mean no date.
    crate::time::parse_event_time(field)
}

impl CredentialReport {
    /// Reads a report file.
    pub fn load(path: &Path) -> Result<CredentialReport, CredentialsError> {
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        CredentialReport::parse(&text, &path.display().to_string())
    }

    /// Parses the CSV text (no field of this report contains a comma).
    pub fn parse(text: &str, origin: &str) -> Result<CredentialReport, CredentialsError> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
        let column = |name: &'static str| {
            header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or(CredentialsError::Column {
                    origin: origin.to_owned(),
                    column: name,
                })
        };
        let arn = column("arn")?;
        let password = column("password_enabled")?;
        let mut key_columns = Vec::new();
        for n in 1..=2 {
            let name = |suffix: &str| format!("access_key_{n}_{suffix}");
            let find = |wanted: String| header.iter().position(|h| h.trim() == wanted);
            if let (Some(active), rotated, used) = (
                find(name("active")),
                find(name("last_rotated")),
                find(name("last_used_date")),
            ) {
                key_columns.push((active, rotated, used));
            }
        }
        let mut report = CredentialReport::default();
        for line in lines {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let get = |i: usize| fields.get(i).copied().unwrap_or("");
            let mut keys = Vec::new();
            for &(active, rotated, used) in &key_columns {
                let last_rotated = rotated.and_then(|i| date(get(i)));
                let last_used = used.and_then(|i| date(get(i)));
                for t in [last_rotated, last_used].into_iter().flatten() {
                    report.as_of = Some(report.as_of.map_or(t, |a| a.max(t)));
                }
                let is_active = get(active).eq_ignore_ascii_case("true");
                if is_active || last_rotated.is_some() {
                    keys.push(KeyState {
                        active: is_active,
                        last_rotated,
                        last_used,
                    });
                }
            }
            report.users.insert(
                get(arn).to_owned(),
                UserCredentials {
                    password_enabled: get(password).eq_ignore_ascii_case("true"),
                    keys,
                },
            );
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111111111111:root,2020-01-01T00:00:00+00:00,not_supported,2024-03-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
vendor-ci,arn:aws:iam::111111111111:user/vendor-ci,2021-01-01T00:00:00+00:00,true,2024-02-01T00:00:00+00:00,2021-01-01T00:00:00+00:00,N/A,false,true,2021-01-02T00:00:00+00:00,2024-03-05T00:00:00+00:00,us-east-1,lambda,true,2023-06-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A
";

    #[test]
    fn reads_keys_and_console_access() {
        let r = CredentialReport::parse(SAMPLE, "report.csv").unwrap();
        let user = &r.users["arn:aws:iam::111111111111:user/vendor-ci"];
        assert!(user.password_enabled);
        assert_eq!(user.keys.len(), 2);
        assert!(user.keys.iter().all(|k| k.active));
        assert!(user.keys[1].last_used.is_none());
        assert_eq!(
            r.as_of,
            crate::time::parse_event_time("2024-03-05T00:00:00+00:00")
        );
        assert!(r.users["arn:aws:iam::111111111111:root"].keys.is_empty());
        assert!(matches!(
            CredentialReport::parse("user,foo\n", "x.csv"),
            Err(CredentialsError::Column { column: "arn", .. })
        ));
    }
}
