//! DL3016: pin versions in `npm install`.

use crate::lint::rules::packages::{report_unpinned, unpinned};
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3016",
    name: "npm-pin-versions",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Pin versions in npm: `npm install <package>@<version>`",
    description: "`npm install -g typescript` installs the latest release at build time, so \
rebuilding changes the image. Name a version or tag (`typescript@5.6.3`), a git URL with a \
commit or semver (`git+https://…#v1.2.3`), a tarball or a local folder. `npm install` \
without packages installs the lockfile's versions and is not reported.",
    bad: "FROM node:22\nRUN npm install -g typescript\n",
    good: "FROM node:22\nRUN npm install -g typescript@5.6.3\n",
    fixable: false,
    check,
};

/// npm options whose value is the next word.
const WITH_VALUE: &[&str] = &["loglevel", "registry"];

fn pinned(package: &str) -> bool {
    const GIT: &[&str] = &["git://", "git+ssh://", "git+http://", "git+https://"];
    if GIT.iter().any(|p| package.starts_with(p)) {
        return package.contains('#');
    }
    if [".tar", ".tar.gz", ".tgz"]
        .iter()
        .any(|s| package.ends_with(s))
        || ["/", "./", "../", "~/"]
            .iter()
            .any(|p| package.starts_with(p))
    {
        return true;
    }
    // A scope's `@` is not a version: `@types/node` vs `@types/node@22`.
    package.strip_prefix('@').unwrap_or(package).contains('@')
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let bad = run
            .named("npm")
            .find_map(|(part, _, cmd)| {
                let words = cmd.positional(WITH_VALUE);
                // `npm install …` only: not `npm run install`, `npm ci`.
                if words.first().map(|w| w.value()) != Some("install") {
                    return None;
                }
                let bad = unpinned(part, words[1..].iter().copied(), &["install"], pinned);
                (!bad.is_empty()).then_some(bad)
            })
            .unwrap_or_default();
        report_unpinned(cx, out, &run, &bad, "npm install", "`<package>@<version>`");
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unpinned_packages() {
        catches(&RULE, "FROM node:22\nRUN npm install -g typescript\n");
        catches(
            &RULE,
            "FROM node:22\nRUN npm install --loglevel warn @types/node express@4\n",
        );
        catches(
            &RULE,
            "FROM node:22\nRUN npm install git+https://github.com/x/y.git\n",
        );
    }

    #[test]
    fn passes_pinned_lockfile_and_local() {
        for ok in [
            "npm install",
            "npm install --production",
            "npm install -g npm@10.9.0 @angular/cli@18",
            "npm install git+https://github.com/x/y.git#v1.0.0",
            "npm install ./pkg /tmp/x.tgz",
            "npm ci",
            "npm run install",
        ] {
            passes(&RULE, &format!("FROM node:22\nRUN {ok}\n"));
        }
    }
}
