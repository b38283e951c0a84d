//! IAM policies: the AWS action catalog, the policy grammar, IAM input,
//! wildcard patterns, condition evaluation, and the evaluator that decides
//! what a principal may do.

pub mod catalog;
pub mod condition;
pub mod document;
pub mod evaluate;
pub mod iam;
pub mod pattern;
