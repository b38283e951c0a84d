//! The command line (clap derive). Flags only parse and validate here; the
//! commands in [`crate::commands`] turn them into work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;
use crate::suggest::{AddedCondition, ResourceScope};

/// Which third parties got into your AWS accounts, what they did, and the
/// least access they need — from CloudTrail logs.
#[derive(Debug, Parser)]
#[command(name = "vendortrail", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read CloudTrail logs and report who called what (with --iam: what
    /// each principal may do, and what of it it used).
    Analyze(AnalyzeArgs),
    /// Suggest a least-privilege policy for one principal from its usage.
    Suggest(SuggestArgs),
    /// List every event that touched a resource (an instance id, a bucket,
    /// a key ARN), with its principal and third party.
    Who(WhoArgs),
    /// Download or inspect the cached AWS reference data.
    Data {
        /// What to do with the data.
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Generate a synthetic CloudTrail corpus with its ground truth (for
    /// tests, demos and benchmarks).
    Generate(GenerateArgs),
}

/// Options shared by commands that map events to IAM actions.
#[derive(Debug, Clone, Args)]
pub struct CatalogArgs {
    /// Read the AWS service reference from this directory (the layout of
    /// <https://servicereference.us-east-1.amazonaws.com/v1/>) instead of the cache.
    #[arg(long, value_name = "DIR", global = true)]
    pub catalog: Option<PathBuf>,
    /// The cache directory (default: the user's cache dir, or $VENDORTRAIL_CACHE_DIR).
    #[arg(long, value_name = "DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
}

/// What to scan and how: shared by `analyze` and `suggest`.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Log files or folders (read recursively): .json.gz, .json, or
    /// `aws cloudtrail lookup-events` output; or s3://bucket[/prefix].
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,
    /// Only these accounts (repeatable).
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// Only these Regions (repeatable).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Only events at or after this time: 2024-01-31, 2024-01-31T12:00:00Z or 90d.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// How long after an event its log file may be delivered, for pruning
    /// files by their delivery time (e.g. 6h).
    #[arg(long, value_name = "DURATION", default_value = "6h")]
    pub delivery_lag: String,
    /// How long to remember event ids for de-duplication (e.g. 24h).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub dedupe_window: String,
    /// Exit with code 2 if any input could not be read.
    #[arg(long)]
    pub strict: bool,
    /// Worker threads (default: one per core). One more thread merges
    /// their results while they read.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print run statistics to stderr: for `analyze`, once the report is
    /// written, the analysis's time and throughput (writing the report not
    /// included), the run's peak memory and the time of each stage; for an
    /// S3 source, its request counts.
    #[arg(long)]
    pub stats: bool,
    /// Where the action catalog comes from.
    #[command(flatten)]
    pub catalog: CatalogArgs,
    /// How to read s3:// sources.
    #[command(flatten)]
    pub s3: S3Args,
}

/// How to read `s3://` sources.
#[derive(Debug, Clone, Args)]
pub struct S3Args {
    /// The AWS profile for S3 (default: $AWS_PROFILE, then the default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// An S3 endpoint, for S3-compatible stores (path-style addressing);
    /// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_S3 work too.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// S3 requests in flight.
    #[arg(long, value_name = "N", default_value_t = crate::source::s3::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Keep each S3 object's partial usage here, keyed by bucket, key and
    /// ETag, so the next run fetches and decodes only new objects.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

/// IAM state to compare usage with.
#[derive(Debug, Clone, Default, Args)]
pub struct IamArgs {
    /// `aws iam get-account-authorization-details` output (repeatable, one per account).
    #[arg(long = "iam", value_name = "FILE")]
    pub exports: Vec<PathBuf>,
    /// A policy document that applies to a principal, as ARN=FILE (repeatable).
    #[arg(long = "policy", value_name = "ARN=FILE")]
    pub policies: Vec<String>,
    /// A service control policy file (repeatable; each file is one level
    /// of the organization, and every level must allow).
    #[arg(long = "scp", value_name = "FILE")]
    pub scps: Vec<PathBuf>,
}

impl IamArgs {
    /// True when no IAM input was given.
    pub fn is_empty(&self) -> bool {
        self.exports.is_empty() && self.policies.is_empty()
    }
}

/// Who counts as a third party, and who as your own.
#[derive(Debug, Clone, Default, Args)]
pub struct PartyArgs {
    /// The vendor registry (TOML; see docs/vendors.md).
    #[arg(long = "vendors", value_name = "FILE")]
    pub vendors: Option<PathBuf>,
    /// Your organisation's accounts: `aws organizations list-accounts`
    /// output, or account ids one per line.
    #[arg(long = "org", value_name = "FILE")]
    pub org: Option<PathBuf>,
    /// The public known-accounts list (accounts.yaml) to name outside
    /// accounts with (default: the copy `vendortrail data update` cached).
    #[arg(long = "known-accounts", value_name = "FILE")]
    pub known_accounts: Option<PathBuf>,
    /// The IAM credential report (CSV from `aws iam get-credential-report`):
    /// key ages and console access of vendor IAM users.
    #[arg(long = "credential-report", value_name = "FILE")]
    pub credential_report: Option<PathBuf>,
}

/// `vendortrail analyze`.
#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    /// What to scan.
    #[command(flatten)]
    pub scan: ScanArgs,
    /// IAM state: adds used-vs-granted per principal.
    #[command(flatten)]
    pub iam: IamArgs,
    /// Third parties.
    #[command(flatten)]
    pub parties: PartyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the output here instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the per-principal, per-action usage table (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub usage_out: Option<PathBuf>,
    /// Exit with code 1 when a finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<crate::findings::Severity>,
}

/// `vendortrail suggest`.
#[derive(Debug, Clone, Args)]
pub struct SuggestArgs {
    /// What to scan.
    #[command(flatten)]
    pub scan: ScanArgs,
    /// IAM state (required: the suggestion never exceeds today's grant).
    #[command(flatten)]
    pub iam: IamArgs,
    /// The principal: a role or user ARN, its name, or an assumed-role session ARN.
    #[arg(long, value_name = "ARN|NAME")]
    pub principal: String,
    /// How far to narrow resources.
    #[arg(long, value_enum, default_value_t = ResourceScope::Exact)]
    pub resources: ResourceScope,
    /// Add a condition from what was seen (repeatable).
    #[arg(long = "condition", value_enum, value_name = "KIND")]
    pub conditions: Vec<AddedCondition>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PolicyFormat::Json)]
    pub format: PolicyFormat,
    /// Write the policy here instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write the check and the diff here instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub explain: Option<PathBuf>,
    /// Name for the policy in Terraform and CloudFormation output
    /// (default: derived from the principal's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// `vendortrail who`.
#[derive(Debug, Clone, Args)]
pub struct WhoArgs {
    /// The resource: an ARN, or any id the records name (`i-0abc…`, a
    /// bucket name, a key id). Matched as text anywhere in each record.
    #[arg(value_name = "RESOURCE-ID|ARN")]
    pub resource: String,
    /// What to scan.
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Third parties.
    #[command(flatten)]
    pub parties: PartyArgs,
    /// IAM state (for attribution through trust policies).
    #[command(flatten)]
    pub iam: IamArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// How `suggest` writes the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyFormat {
    /// The IAM policy document (an array of documents when split).
    Json,
    /// `aws_iam_policy` resources with `jsonencode`.
    Terraform,
    /// An `AWS::IAM::ManagedPolicy` template (YAML).
    Cloudformation,
}

/// `vendortrail data ...`.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Download the AWS service reference (and the public known-accounts
    /// list) into the cache.
    Update {
        /// Where to download from: a URL in the endpoint's layout or a local directory.
        #[arg(long, value_name = "URL|DIR")]
        source: Option<String>,
        /// Where to download the known-accounts list from (URL or file).
        #[arg(long, value_name = "URL|FILE")]
        known_accounts_source: Option<String>,
        /// The cache directory.
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Show what is cached and how old it is.
    Status {
        /// The cache directory.
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
}

/// `vendortrail generate`.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// The output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// `small` (the committed test corpus) or `bench` (large, see --size).
    #[arg(long, default_value = "small")]
    pub preset: String,
    /// Uncompressed size for the bench preset, e.g. 2GB.
    #[arg(long, default_value = "1GB")]
    pub size: String,
    /// PRNG seed.
    #[arg(long)]
    pub seed: Option<u64>,
}
