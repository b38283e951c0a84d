//! Decoding CloudTrail log objects into borrowed records.
//!
//! [`decode::decompress`] turns an object's bytes into JSON text and
//! [`decode::parse`] hands each [`record::Record`] in it to a callback. Nothing
//! here interprets a record: that is [`crate::event`]'s job.

pub mod decode;
pub mod lenient;
pub mod record;
pub mod scan;

pub use decode::{DecodeError, ParseOutcome};
pub use record::Record;
