//! The rule catalog: every rule, one file each, registered in [`ALL`] (one
//! line per rule; keep the list sorted by code within each group).

use super::Rule;

mod dl3006;
mod dl4000;
mod from_as_casing;
mod maintainer_deprecated;

/// Every rule layerkit knows, in catalog order: hadolint's DL rules, then
/// BuildKit's checks.
pub static ALL: &[&Rule] = &[
    // hadolint
    &dl3006::RULE,
    &dl4000::RULE,
    // BuildKit
    &from_as_casing::RULE,
    &maintainer_deprecated::RULE,
];
