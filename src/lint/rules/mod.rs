//! The rule catalog: every rule, one file each, registered in [`ALL`] (one
//! line per rule; hadolint's codes in numeric order, then BuildKit's checks
//! in the order of its ruleset).

use super::Rule;

mod common;
mod expose;
mod labels;
mod packages;
pub(crate) mod run_scripts;

mod consistent_instruction_casing;
mod copy_ignored_file;
mod dl1001;
mod dl3000;
mod dl3001;
mod dl3002;
mod dl3003;
mod dl3004;
mod dl3006;
mod dl3007;
mod dl3008;
mod dl3009;
mod dl3010;
mod dl3011;
mod dl3012;
pub(crate) mod dl3013;
mod dl3014;
mod dl3015;
mod dl3016;
mod dl3018;
mod dl3019;
mod dl3020;
mod dl3021;
mod dl3022;
mod dl3023;
mod dl3024;
mod dl3025;
mod dl3026;
mod dl3027;
mod dl3028;
mod dl3029;
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
mod dl3043;
mod dl3044;
mod dl3045;
mod dl3046;
mod dl3047;
mod dl3048;
mod dl3049;
mod dl3050;
mod dl3051;
mod dl3052;
mod dl3053;
mod dl3054;
mod dl3055;
mod dl3056;
mod dl3057;
mod dl3058;
mod dl3059;
mod dl3060;
mod dl3061;
mod dl3062;
mod dl3063;
mod dl3064;
mod dl3065;
mod dl3066;
mod dl3067;
mod dl4000;
mod dl4001;
mod dl4003;
mod dl4004;
mod dl4005;
mod dl4006;
mod duplicate_stage_name;
mod expose_invalid_format;
mod expose_proto_casing;
mod from_as_casing;
mod from_platform_flag_const_disallowed;
mod invalid_default_arg_in_from;
mod json_args_recommended;
mod legacy_key_value_format;
mod maintainer_deprecated;
mod multiple_instructions_disallowed;
mod no_empty_continuation;
mod redundant_target_platform;
mod reserved_stage_name;
mod secrets_used_in_arg_or_env;
mod stage_name_casing;
mod undefined_arg_in_from;
mod undefined_var;
mod workdir_relative_path;

/// Every rule layerkit knows, in catalog order.
pub static ALL: &[&Rule] = &[
    // hadolint
    &dl1001::RULE,
    &dl3000::RULE,
    &dl3001::RULE,
    &dl3002::RULE,
    &dl3003::RULE,
    &dl3004::RULE,
    &dl3006::RULE,
    &dl3007::RULE,
    &dl3008::RULE,
    &dl3009::RULE,
    &dl3010::RULE,
    &dl3011::RULE,
    &dl3012::RULE,
    &dl3013::RULE,
    &dl3014::RULE,
    &dl3015::RULE,
    &dl3016::RULE,
    &dl3018::RULE,
    &dl3019::RULE,
    &dl3020::RULE,
    &dl3021::RULE,
    &dl3022::RULE,
    &dl3023::RULE,
    &dl3024::RULE,
    &dl3025::RULE,
    &dl3026::RULE,
    &dl3027::RULE,
    &dl3028::RULE,
    &dl3029::RULE,
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
    &dl3043::RULE,
    &dl3044::RULE,
    &dl3045::RULE,
    &dl3046::RULE,
    &dl3047::RULE,
    &dl3048::RULE,
    &dl3049::RULE,
    &dl3050::RULE,
    &dl3051::RULE,
    &dl3052::RULE,
    &dl3053::RULE,
    &dl3054::RULE,
    &dl3055::RULE,
    &dl3056::RULE,
    &dl3057::RULE,
    &dl3058::RULE,
    &dl3059::RULE,
    &dl3060::RULE,
    &dl3061::RULE,
    &dl3062::RULE,
    &dl3063::RULE,
    &dl3064::RULE,
    &dl3065::RULE,
    &dl3066::RULE,
    &dl3067::RULE,
    &dl4000::RULE,
    &dl4001::RULE,
    &dl4003::RULE,
    &dl4004::RULE,
    &dl4005::RULE,
    &dl4006::RULE,
    // BuildKit
    &stage_name_casing::RULE,
    &from_as_casing::RULE,
    &no_empty_continuation::RULE,
    &consistent_instruction_casing::RULE,
    &duplicate_stage_name::RULE,
    &reserved_stage_name::RULE,
    &json_args_recommended::RULE,
    &maintainer_deprecated::RULE,
    &undefined_arg_in_from::RULE,
    &workdir_relative_path::RULE,
    &undefined_var::RULE,
    &multiple_instructions_disallowed::RULE,
    &legacy_key_value_format::RULE,
    &redundant_target_platform::RULE,
    &secrets_used_in_arg_or_env::RULE,
    &invalid_default_arg_in_from::RULE,
    &from_platform_flag_const_disallowed::RULE,
    &copy_ignored_file::RULE,
    &expose_proto_casing::RULE,
    &expose_invalid_format::RULE,
];
