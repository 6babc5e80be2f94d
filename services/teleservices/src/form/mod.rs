//! The form generator's pure core: teleservice definitions (pages of typed fields
//! with conditions), the checks that refuse an unusable definition, prefill from a
//! resident's profile, and the one validator that judges every channel's submission
//! against the exact version filled. No I/O: the gRPC layer stores definitions as
//! JSONB, serves them as JSON, and calls [`validate()`].
//!
//! - [`Definition`]: one version of a teleservice; [`Definition::from_json`] reads and
//!   checks what a designer sends, each fault with its JSON path.
//! - [`Field`] / [`FieldKind`]: the field types and their rules.
//! - [`Condition`]: `and`, `or`, `not`, `eq`, `neq`, `lt`, `lte`, `gt`, `gte`, `in`,
//!   `empty` over other fields' answers.
//! - [`validate()`]: answers in, [`CleanData`] or field violations out.
//! - [`catalog::FILES`]: the city's starting catalogue, one definition file per
//!   teleservice (`catalogue/*.json`), seeded through the designers' save.
//!
//! Dependencies go one way: `condition`, `iban` at the bottom; `field` on `condition`;
//! `definition` on both; `check`, `input`, `prefill` above them; `validate` on top.

pub mod catalog;
mod check;
pub mod condition;
pub mod definition;
pub mod field;
pub mod iban;
mod input;
pub mod prefill;
pub mod validate;

#[cfg(test)]
mod tests;

pub use condition::Condition;
pub use definition::{
    Admission, Audience, Channel, Definition, DemandStatus, Level, MissingLevel, Page,
    ProfileAttribute, SubStatus,
};
pub use field::{DateBound, Field, FieldKind};
pub use input::AttachmentMeta;
pub use prefill::Prefill;
pub use validate::{AttachmentRef, CleanData, validate};
