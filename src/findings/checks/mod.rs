//! The checks, one module each. [`ALL`] is the order they run in (the
//! output is sorted afterwards).

mod contractor_mfa;
mod denied_burst;
mod open_trust;
mod privileged_grants;
mod refused_assume_role;
mod root_activity;
mod shared_external_id;
mod trust_without_external_id;
mod unused_access;
mod vendor_iam_user;

use super::Check;

/// Every check.
pub static ALL: &[&dyn Check] = &[
    &trust_without_external_id::TrustWithoutExternalId,
    &shared_external_id::SharedExternalId,
    &refused_assume_role::RefusedAssumeRole,
    &contractor_mfa::ContractorMfa,
    &vendor_iam_user::VendorIamUser,
    &privileged_grants::PrivilegedGrants,
    &unused_access::UnusedAccess,
    &root_activity::RootActivity,
    &open_trust::OpenTrust,
    &denied_burst::DeniedBurst,
];

/// Whether a condition block text names a key (case-insensitive).
pub(crate) fn mentions(conditions: &str, key: &str) -> bool {
    conditions
        .to_ascii_lowercase()
        .contains(&key.to_ascii_lowercase())
}

/// The `(operator, key, values)` entries of a condition block in its text
/// form (`StringEquals sts:ExternalId=a|b; Bool aws:SecureTransport=true`,
/// see [`crate::policy::document::Conditions`]'s `Display`).
pub(crate) fn entries(conditions: &str) -> Vec<(&str, &str, Vec<&str>)> {
    conditions
        .split("; ")
        .filter_map(|entry| {
            let (op, rest) = entry.split_once(' ')?;
            let (key, values) = rest.split_once('=')?;
            Some((op, key, values.split('|').collect()))
        })
        .collect()
}

/// Whether trust statement actions let the principal assume the role.
pub(crate) fn allows_assume(actions: &[String]) -> bool {
    actions.iter().any(|a| {
        let a = a.to_ascii_lowercase();
        a == "*" || a == "sts:*" || a.starts_with("sts:assumerole")
    })
}
