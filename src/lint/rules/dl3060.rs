//! DL3060: `yarn cache clean` after `yarn install`.

use crate::lint::rules::packages::install_without_clean;
use crate::lint::rules::run_scripts::{run_scripts, stage_is_kept};
use crate::lint::shell::Cmd;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3060",
    name: "yarn-cache-clean",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "`yarn cache clean` missing after `yarn install`",
    description: "`yarn install` keeps a copy of every package in its cache directory; \
unless the same `RUN` runs `yarn cache clean` afterwards, the copies stay in the layer. \
Alternatively keep the cache out of the image with a cache mount \
(`RUN --mount=type=cache,target=/usr/local/share/.cache/yarn …`). Only stages whose files \
reach an image count: the final stage and stages other stages are built `FROM`.",
    bad: "FROM node:22\nRUN yarn install --frozen-lockfile\n",
    good: "FROM node:22\nRUN yarn install --frozen-lockfile && yarn cache clean\n",
    fixable: false,
    check,
};

fn is_install(cmd: &Cmd) -> bool {
    cmd.is("yarn") && cmd.has_arg("install")
}

fn is_clean(cmd: &Cmd) -> bool {
    cmd.is("yarn") && cmd.has_arg("cache") && cmd.has_arg("clean")
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        if !stage_is_kept(cx, run.stage)
            || run.has_cache_mount_with(".cache/yarn")
            || run.has_cache_mount_with(".yarn")
        {
            continue;
        }
        let Some((part, c)) = install_without_clean(&run, is_install, is_clean) else {
            continue;
        };
        out.add(
            run.command_span(cx, part, c),
            "Run `yarn cache clean` after `yarn install` in the same RUN",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_cache_left_behind() {
        catches(&RULE, "FROM node:22\nRUN yarn install\n");
        catches(
            &RULE,
            "FROM node:22\nRUN yarn cache clean && yarn install\n",
        );
        catches(&RULE, "FROM node:22 AS deps\nRUN yarn install\nFROM deps\n");
    }

    #[test]
    fn passes_clean_mount_and_build_stage() {
        passes(
            &RULE,
            "FROM node:22\nRUN yarn install && yarn cache clean\n",
        );
        passes(&RULE, "FROM node:22\nRUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install\n");
        passes(
            &RULE,
            "FROM node:22\nRUN --mount=type=cache,target=/root/.yarn/berry/cache yarn install\n",
        );
        passes(&RULE, "FROM node:22 AS build\nRUN yarn install\nFROM nginx:1\nCOPY --from=build /app/dist /usr/share/nginx/html\n");
        passes(&RULE, "FROM node:22\nRUN npm install -g yarn@1.22.22\n");
    }
}
