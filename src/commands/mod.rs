//! Commands: each turns parsed flags into work and returns an exit code.
//! Errors here carry context for the user (`anyhow`); the stages below
//! return typed errors.

pub mod analyze;
pub mod data;
pub mod generate;
pub mod suggest;
pub mod who;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::cli::CatalogArgs;
use crate::policy::catalog::Catalog;
use crate::policy::iam::IamInventory;
use crate::refdata;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings at or above `--fail-on`.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: an error (including unreadable input under `--strict`).
pub const EXIT_ERROR: u8 = 2;

/// Runs the parsed command line.
pub fn run(cli: crate::cli::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        crate::cli::Command::Analyze(args) => analyze::run(&args),
        crate::cli::Command::Suggest(args) => suggest::run(&args),
        crate::cli::Command::Who(args) => who::run(&args),
        crate::cli::Command::Data { command } => match command {
            crate::cli::DataCommand::Update {
                source,
                known_accounts_source,
                cache_dir,
            } => data::update(source, known_accounts_source, cache_dir),
            crate::cli::DataCommand::Status { cache_dir } => data::status(cache_dir),
        },
        crate::cli::Command::Generate(args) => generate::run(&args),
    }
}

/// The catalog directory to use: `--catalog`, else the cache's copy.
pub fn catalog_dir(args: &CatalogArgs) -> Option<PathBuf> {
    if let Some(dir) = &args.catalog {
        return Some(dir.clone());
    }
    let cache = args.cache_dir.clone().or_else(refdata::default_cache_dir)?;
    refdata::cached_catalog_dir(&cache)
}

/// Loads the catalog if one is configured; `Ok(None)` when none is.
pub fn load_catalog(args: &CatalogArgs) -> anyhow::Result<Option<(PathBuf, Arc<Catalog>)>> {
    let Some(dir) = catalog_dir(args) else {
        return Ok(None);
    };
    let catalog = Catalog::load_dir(&dir).with_context(|| {
        format!(
            "cannot load the AWS service reference from {}",
            dir.display()
        )
    })?;
    Ok(Some((dir, Arc::new(catalog))))
}

/// Reads the IAM input; `Ok(None)` when none was given.
pub fn load_iam(args: &crate::cli::IamArgs) -> anyhow::Result<Option<IamInventory>> {
    if args.is_empty() && args.scps.is_empty() {
        return Ok(None);
    }
    let mut iam = IamInventory::new();
    for path in &args.exports {
        iam.add_export(path)?;
    }
    for spec in &args.policies {
        let (arn, file) = spec
            .split_once('=')
            .with_context(|| format!("--policy {spec}: expected ARN=FILE"))?;
        iam.add_policy_file(arn, std::path::Path::new(file))?;
    }
    for path in &args.scps {
        iam.add_scp_file(path)?;
    }
    for warning in iam.warnings() {
        eprintln!("warning: {warning}");
    }
    Ok(Some(iam))
}

/// The mapper's catalog, or an error saying `what` needs one.
pub fn require_catalog<'m>(
    mapper: &'m crate::event::ActionMapper,
    what: &str,
) -> anyhow::Result<&'m Catalog> {
    mapper.catalog().with_context(|| {
        format!(
            "{what} needs the AWS service reference to expand policy wildcards: \
             run `vendortrail data update` or pass --catalog DIR"
        )
    })
}

/// The third-party inputs of a run, loaded.
#[derive(Default)]
pub struct Parties {
    /// `--vendors`.
    pub registry: Option<crate::attribution::registry::Registry>,
    /// `--known-accounts` or the cached list.
    pub known: Option<crate::attribution::known::KnownAccounts>,
    /// `--org`.
    pub org: Option<crate::attribution::org::OrgAccounts>,
    /// `--credential-report`.
    pub credentials: Option<crate::attribution::credentials::CredentialReport>,
}

impl Parties {
    /// The attribution context over these inputs.
    pub fn context<'a>(&'a self, iam: Option<&'a IamInventory>) -> crate::attribution::Context<'a> {
        crate::attribution::Context {
            registry: self.registry.as_ref(),
            known: self.known.as_ref(),
            org: self
                .org
                .as_ref()
                .map(|o| o.accounts.keys().cloned().collect())
                .unwrap_or_default(),
            iam,
        }
    }
}

/// Reads `--vendors`, `--org` and the known-accounts list (flag or cache).
pub fn load_parties(
    args: &crate::cli::PartyArgs,
    catalog: &CatalogArgs,
) -> anyhow::Result<Parties> {
    use crate::attribution::{known::KnownAccounts, org::OrgAccounts, registry::Registry};
    let registry = args.vendors.as_deref().map(Registry::load).transpose()?;
    let org = args.org.as_deref().map(OrgAccounts::load).transpose()?;
    let known_path = args.known_accounts.clone().or_else(|| {
        let cache = catalog
            .cache_dir
            .clone()
            .or_else(refdata::default_cache_dir)?;
        refdata::cached_known_accounts(&cache)
    });
    let known = known_path.as_deref().map(KnownAccounts::load).transpose()?;
    let credentials = args
        .credential_report
        .as_deref()
        .map(crate::attribution::credentials::CredentialReport::load)
        .transpose()?;
    Ok(Parties {
        registry,
        known,
        org,
        credentials,
    })
}
