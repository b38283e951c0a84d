//! vendortrail: which third parties got into your AWS accounts, what they
//! did, and the least access they need — from CloudTrail logs.
//!
//! The data flows through the modules in this order; only [`pipeline`]
//! wires the stages together:
//!
//! - [`source`]: find log objects (local folders; the CloudTrail key layout
//!   and pruning by account, Region and time);
//! - [`cloudtrail`]: decompress and decode records, borrowing from the buffer;
//! - [`event`]: normalise a record (principal, IAM actions, outcome, session);
//! - [`dedupe`]: count each eventID once, in bounded memory;
//! - [`usage`]: the mergeable per-principal, per-action aggregate;
//! - [`report`]: the sorted result every renderer in [`output`] reads;
//! - [`attribution`]: every event a third party caused, to that party;
//! - with IAM input: [`compare`] (used vs granted per principal) and
//!   [`suggest`] (the least-privilege policy, checked before it is printed).
//!
//! [`policy`] holds the AWS action catalog, the policy grammar, IAM input
//! and the evaluator; [`refdata`] downloads and caches
//! it, and [`generate`] writes synthetic corpora with their ground truth.

pub mod attribution;
pub mod cache;
pub mod cli;
pub mod cloudtrail;
pub mod commands;
pub mod compare;
pub mod dedupe;
pub mod event;
pub mod findings;
pub mod generate;
pub mod hash;
pub mod output;
pub mod pipeline;
pub mod policy;
pub mod progress;
pub mod refdata;
pub mod report;
pub mod source;
pub mod suggest;
pub mod time;
pub mod usage;

#[cfg(test)]
pub(crate) mod testutil;
