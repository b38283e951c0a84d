//! IAM policies: the AWS action catalog, and (later) policy parsing and
//! evaluation.

pub mod catalog;
