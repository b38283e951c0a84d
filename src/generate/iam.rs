//! IAM exports in `aws iam get-account-authorization-details` CLI shape.
//!
//! One file per own account, `iam/<acct>.json`, with `UserDetailList`,
//! `GroupDetailList`, `RoleDetailList` and `Policies` as the AWS CLI prints
//! them (4-space indentation, `+00:00` timestamps, policy documents decoded
//! to JSON objects), except that one managed policy version keeps the
//! URL-encoded string the raw API returns. `RoleLastUsed` comes from the
//! generated activity.

use std::path::Path;

use serde::Serialize;

use super::GenerateError;
use super::json::{J, Obj};
use super::layout::{io_err, write_raw};
use super::manifest::Tally;
use super::policies as pol;
use super::rng::{fnv1a, stable_id};
use super::scenario::*;
use super::time::{DAY, cli_time, days_from_civil};

/// A managed policy and its versions (`(document, URL-encoded?)`, last is default).
struct Managed {
    /// Policy name.
    name: &'static str,
    /// Policy ARN.
    arn: String,
    /// Versions, oldest first; the last one is the default.
    versions: Vec<(J, bool)>,
    /// Entities it is attached to.
    attachments: u64,
    /// Roles using it as permissions boundary.
    boundary_uses: u64,
}

/// A deterministic creation date for an IAM entity.
fn created(name: &str) -> String {
    let day = days_from_civil(2021, 1, 4) + (fnv1a(name.as_bytes()) % 800) as i64;
    cli_time(day * DAY + 9 * 3600 + (fnv1a(name.as_bytes()) % 3600) as i64)
}

/// `{"PolicyName", "PolicyArn"}` list.
fn attached(list: &[(&'static str, String)]) -> J {
    J::Arr(
        list.iter()
            .map(|(n, a)| Obj::new().f("PolicyName", *n).f("PolicyArn", a.clone()).j())
            .collect(),
    )
}

/// Inline policy list under `key_name` (`PolicyName`) / `PolicyDocument`.
fn inline(list: Vec<(&'static str, J)>) -> J {
    J::Arr(
        list.into_iter()
            .map(|(n, d)| Obj::new().f("PolicyName", n).f("PolicyDocument", d).j())
            .collect(),
    )
}

/// Customer-managed policy ARN in `account`.
fn local_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy/{name}")
}

/// AWS-managed policy ARN.
fn aws_arn(path: &str, name: &str) -> String {
    format!("arn:aws:iam::aws:policy/{path}{name}")
}

/// How a role is set up.
struct RoleSpec {
    /// The role.
    role: Role,
    /// Inline policies.
    inline: Vec<(&'static str, J)>,
    /// Attached managed policies.
    attached: Vec<(&'static str, String)>,
    /// Permissions boundary ARN.
    boundary: Option<String>,
    /// Tags.
    tags: Vec<(&'static str, &'static str)>,
}

/// A role spec with only inline policies.
fn spec(
    role: Role,
    inline: Vec<(&'static str, J)>,
    attached: Vec<(&'static str, String)>,
) -> RoleSpec {
    RoleSpec {
        role,
        inline,
        attached,
        boundary: None,
        tags: Vec::new(),
    }
}

/// `Tags` list.
fn tag_list(tags: &[(&'static str, &'static str)]) -> J {
    J::Arr(
        tags.iter()
            .map(|(k, v)| Obj::new().f("Key", *k).f("Value", *v).j())
            .collect(),
    )
}

/// One `RoleDetailList` entry.
fn role_detail(s: &RoleSpec, tally: &Tally) -> J {
    let r = &s.role;
    let last_used = match tally.last_use(&r.arn()) {
        Some((t, region)) => Obj::new()
            .f("LastUsedDate", cli_time(t))
            .f("Region", region),
        None => Obj::new(),
    };
    let profiles = if r.name == "app-server" {
        vec![instance_profile(r)]
    } else {
        Vec::new()
    };
    Obj::new()
        .f("Path", r.path)
        .f("RoleName", r.name)
        .f("RoleId", r.id())
        .f("Arn", r.arn())
        .f("CreateDate", created(&r.arn()))
        .f("AssumeRolePolicyDocument", super::trust::trust_policy(r))
        .f("InstanceProfileList", profiles)
        .f("RolePolicyList", inline(s.inline.clone()))
        .f("AttachedManagedPolicies", attached(&s.attached))
        .opt(
            "PermissionsBoundary",
            s.boundary.clone().map(|a| {
                Obj::new()
                    .f("PermissionsBoundaryType", "Policy")
                    .f("PermissionsBoundaryArn", a)
            }),
        )
        .f("Tags", tag_list(&s.tags))
        .f("RoleLastUsed", last_used)
        .j()
}

/// The instance profile wrapping `app-server`.
fn instance_profile(r: &Role) -> J {
    let arn = format!("arn:aws:iam::{}:instance-profile/{}", r.account, r.name);
    let role = Obj::new()
        .f("Path", r.path)
        .f("RoleName", r.name)
        .f("RoleId", r.id())
        .f("Arn", r.arn())
        .f("CreateDate", created(&r.arn()))
        .f("AssumeRolePolicyDocument", super::trust::trust_policy(r));
    Obj::new()
        .f("Path", "/")
        .f("InstanceProfileName", r.name)
        .f("InstanceProfileId", stable_id("AIPA", &arn, 17))
        .f("Arn", arn.clone())
        .f("CreateDate", created(&arn))
        .f("Roles", vec![role.j()])
        .j()
}

/// One `UserDetailList` entry.
fn user_detail(
    u: &User,
    policies: Vec<(&'static str, J)>,
    groups: &[&'static str],
    tags: &[(&'static str, &'static str)],
) -> J {
    Obj::new()
        .f("Path", "/")
        .f("UserName", u.name)
        .f("UserId", u.id())
        .f("Arn", u.arn())
        .f("CreateDate", created(&u.arn()))
        .f("UserPolicyList", inline(policies))
        .f(
            "GroupList",
            J::Arr(groups.iter().map(|g| J::from(*g)).collect()),
        )
        .f("AttachedManagedPolicies", Vec::new())
        .f("Tags", tag_list(tags))
        .j()
}

/// One `GroupDetailList` entry.
fn group_detail(
    account: &str,
    name: &'static str,
    policies: Vec<(&'static str, J)>,
    managed: &[(&'static str, String)],
) -> J {
    let arn = format!("arn:aws:iam::{account}:group/{name}");
    Obj::new()
        .f("Path", "/")
        .f("GroupName", name)
        .f("GroupId", stable_id("AGPA", &arn, 17))
        .f("Arn", arn.clone())
        .f("CreateDate", created(&arn))
        .f("GroupPolicyList", inline(policies))
        .f("AttachedManagedPolicies", attached(managed))
        .j()
}

/// One `Policies` entry with its version list.
fn policy_detail(m: &Managed) -> J {
    let n = m.versions.len();
    let versions = m
        .versions
        .iter()
        .enumerate()
        .map(|(i, (doc, encoded))| {
            let document = if *encoded {
                J::from(pol::url_encode(
                    &serde_json::to_string_pretty(doc).unwrap_or_default(),
                ))
            } else {
                doc.clone()
            };
            Obj::new()
                .f("Document", document)
                .f("VersionId", format!("v{}", i + 1))
                .f("IsDefaultVersion", i + 1 == n)
                .f("CreateDate", created(&format!("{}#v{i}", m.arn)))
                .j()
        })
        .collect::<Vec<_>>();
    let path = if m.arn.contains(":aws:policy/aws-service-role/") {
        "/aws-service-role/"
    } else {
        "/"
    };
    Obj::new()
        .f("PolicyName", m.name)
        .f("PolicyId", stable_id("ANPA", &m.arn, 17))
        .f("Arn", m.arn.clone())
        .f("Path", path)
        .f("DefaultVersionId", format!("v{n}"))
        .f("AttachmentCount", m.attachments)
        .f("PermissionsBoundaryUsageCount", m.boundary_uses)
        .f("IsAttachable", true)
        .f("CreateDate", created(&m.arn))
        .f("UpdateDate", created(&format!("{}#v{}", m.arn, n - 1)))
        .f("PolicyVersionList", versions)
        .j()
}

/// A managed policy with one plain version.
fn managed(name: &'static str, arn: String, doc: J, attachments: u64) -> Managed {
    Managed {
        name,
        arn,
        versions: vec![(doc, false)],
        attachments,
        boundary_uses: 0,
    }
}

/// The whole export of one account.
fn export(users: Vec<J>, groups: Vec<J>, roles: Vec<J>, policies: &[Managed]) -> J {
    Obj::new()
        .f("UserDetailList", users)
        .f("GroupDetailList", groups)
        .f("RoleDetailList", roles)
        .f(
            "Policies",
            policies.iter().map(policy_detail).collect::<Vec<_>>(),
        )
        .j()
}

/// `(name, ARN)` of an attached managed policy.
type Attached = (&'static str, String);

/// AWS managed `AdministratorAccess`.
fn admin() -> Attached {
    ("AdministratorAccess", aws_arn("", "AdministratorAccess"))
}

/// AWS managed `AmazonEC2ReadOnlyAccess`.
fn ec2_read_only() -> Attached {
    (
        "AmazonEC2ReadOnlyAccess",
        aws_arn("", "AmazonEC2ReadOnlyAccess"),
    )
}

/// AWS managed service-linked role policy of API Gateway.
fn apigw_policy() -> Attached {
    (
        "APIGatewayServiceRolePolicy",
        aws_arn("aws-service-role/", "APIGatewayServiceRolePolicy"),
    )
}

/// Customer-managed policy `name` in production.
fn prod_local(name: &'static str) -> Attached {
    (name, local_arn(PROD, name))
}

/// Roles of the production account.
fn prod_roles(tally: &Tally) -> Vec<J> {
    let mut specs = vec![
        spec(
            DATADOG_ROLE,
            vec![],
            vec![prod_local("DatadogIntegrationPolicy")],
        ),
        spec(
            ACME_ROLE,
            vec![("backup-access", pol::acme_backup())],
            vec![],
        ),
        spec(
            CHAINER_ENTRY_ROLE,
            vec![("chain-to-data", pol::chainer_entry())],
            vec![],
        ),
        spec(
            DORMANT_ROLE,
            vec![],
            vec![prod_local("DormantVendorReadOnly")],
        ),
        spec(
            CONTRACTOR_ROLE,
            vec![("contractor", pol::contractor())],
            vec![],
        ),
        spec(
            CONTRACTOR_BREAKGLASS_ROLE,
            vec![("breakglass", pol::contractor_breakglass())],
            vec![],
        ),
        spec(GITHUB_ROLE, vec![("deploy", pol::github_deploy())], vec![]),
        spec(OKTA_ROLE, vec![], vec![admin()]),
        spec(
            APP_ROLE,
            vec![("app-data", pol::app_server())],
            vec![ec2_read_only()],
        ),
        spec(APIGW_SLR, vec![], vec![apigw_policy()]),
        spec(sso_admin_role(PROD), vec![], vec![admin()]),
    ];
    // Vendor roles are managed as code and tagged for ownership.
    for s in specs.iter_mut().filter(|s| {
        VENDORS
            .iter()
            .any(|v| v.roles.iter().any(|r| r.name == s.role.name))
    }) {
        s.tags = vec![("owner", "security"), ("managed-by", "terraform")];
    }
    specs.iter().map(|s| role_detail(s, tally)).collect()
}

/// Managed policies of the production account. Datadog's has two versions;
/// the default one keeps the raw API's URL-encoded document.
fn prod_policies() -> Vec<Managed> {
    let (dd_name, dd_arn) = prod_local("DatadogIntegrationPolicy");
    let mut dd = managed(dd_name, dd_arn, pol::datadog_v1(), 1);
    dd.versions.push((pol::datadog_v2(), true));
    let (dormant_name, dormant_arn) = prod_local("DormantVendorReadOnly");
    let [a, e, g] = [admin(), ec2_read_only(), apigw_policy()];
    vec![
        managed(a.0, a.1, pol::administrator_access(), 3),
        managed(e.0, e.1, pol::ec2_read_only(), 1),
        managed(g.0, g.1, pol::apigw_service_role(), 1),
        dd,
        managed(dormant_name, dormant_arn, pol::dormant(), 1),
    ]
}

/// Production account export.
fn prod(tally: &Tally) -> J {
    let users = vec![
        user_detail(
            &ALICE,
            vec![],
            &["Admins", "Developers"],
            &[("team", "platform")],
        ),
        user_detail(
            &CI_USER,
            vec![("ci-deploy", pol::ci_user())],
            &[],
            &[("vendor", "ci-vendor")],
        ),
    ];
    let groups = vec![
        group_detail(PROD, "Admins", vec![], &[admin()]),
        group_detail(
            PROD,
            "Developers",
            vec![("developer-read", pol::developers())],
            &[],
        ),
    ];
    export(users, groups, prod_roles(tally), &prod_policies())
}

/// Data account export.
fn data(tally: &Tally) -> J {
    let boundary_arn = local_arn(DATA, "VendorDataBoundary");
    let mut chainer = spec(
        CHAINER_DATA_ROLE,
        vec![("all-but-admin", pol::chainer_data())],
        vec![],
    );
    chainer.boundary = Some(boundary_arn.clone());
    chainer.tags = vec![("vendor", "chainer")];
    let specs = [
        chainer,
        spec(
            OPEN_TRUST_ROLE,
            vec![("read-lake", pol::shared_read())],
            vec![],
        ),
        spec(sso_admin_role(DATA), vec![], vec![admin()]),
    ];
    let roles = specs.iter().map(|s| role_detail(s, tally)).collect();
    let mut boundary = managed(
        "VendorDataBoundary",
        boundary_arn,
        pol::vendor_boundary(),
        0,
    );
    boundary.boundary_uses = 1;
    let (admin_name, admin_arn) = admin();
    let policies = [
        managed(admin_name, admin_arn, pol::administrator_access(), 1),
        boundary,
    ];
    export(Vec::new(), Vec::new(), roles, &policies)
}

/// Standalone account export.
fn solo() -> J {
    let users = vec![user_detail(
        &OPS_BOT,
        vec![("monitor", pol::ops_bot())],
        &[],
        &[],
    )];
    export(users, Vec::new(), Vec::new(), &[])
}

/// Writes `iam/<acct>.json` for every own account; returns the relative paths.
pub(crate) fn write_exports(out: &Path, tally: &Tally) -> Result<Vec<String>, GenerateError> {
    let mut written = Vec::new();
    for account in OWN_ACCOUNTS {
        let doc = match account {
            PROD => prod(tally),
            DATA => data(tally),
            _ => solo(),
        };
        let rel = format!("iam/{account}.json");
        let path = out.join(&rel);
        write_raw(&path, &pretty(&doc).map_err(io_err(&path))?)?;
        written.push(rel);
    }
    Ok(written)
}

/// JSON with the AWS CLI's 4-space indentation.
pub(crate) fn pretty(value: &impl Serialize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    value.serialize(&mut ser).map_err(std::io::Error::other)?;
    buf.push(b'\n');
    Ok(buf)
}
