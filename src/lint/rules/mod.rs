//! The rule catalog: every rule, one file each, registered in [`ALL`] (one
//! line per rule; keep the list sorted by code within each group).

use super::Rule;

mod dl3001;
mod dl3003;
mod dl3004;
mod dl3006;
mod dl3008;
mod dl3009;
mod dl3010;
pub(crate) mod dl3013;
mod dl3014;
mod dl3015;
mod dl3016;
mod dl3018;
mod dl3019;
mod dl3027;
mod dl3028;
mod dl3030;
mod dl3032;
mod dl3033;
mod dl3034;
mod dl3035;
mod dl3036;
mod dl3037;
mod dl3038;
mod dl3040;
mod dl3041;
mod dl3042;
mod dl3046;
mod dl3047;
mod dl3060;
mod dl3062;
mod dl4000;
mod dl4001;
mod dl4005;
mod dl4006;
mod from_as_casing;
mod maintainer_deprecated;
mod run_scripts;

/// Every rule layerkit knows, in catalog order: hadolint's DL rules, then
/// BuildKit's checks.
pub static ALL: &[&Rule] = &[
    // hadolint
    &dl3001::RULE,
    &dl3003::RULE,
    &dl3004::RULE,
    &dl3006::RULE,
    &dl3008::RULE,
    &dl3009::RULE,
    &dl3010::RULE,
    &dl3013::RULE,
    &dl3014::RULE,
    &dl3015::RULE,
    &dl3016::RULE,
    &dl3018::RULE,
    &dl3019::RULE,
    &dl3027::RULE,
    &dl3028::RULE,
    &dl3030::RULE,
    &dl3032::RULE,
    &dl3033::RULE,
    &dl3034::RULE,
    &dl3035::RULE,
    &dl3036::RULE,
    &dl3037::RULE,
    &dl3038::RULE,
    &dl3040::RULE,
    &dl3041::RULE,
    &dl3042::RULE,
    &dl3046::RULE,
    &dl3047::RULE,
    &dl3060::RULE,
    &dl3062::RULE,
    &dl4000::RULE,
    &dl4001::RULE,
    &dl4005::RULE,
    &dl4006::RULE,
    // BuildKit
    &from_as_casing::RULE,
    &maintainer_deprecated::RULE,
];
