//! DL3028: pin versions in `gem install`.

use crate::lint::rules::packages::{report_unpinned, unpinned};
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3028",
    name: "gem-pin-versions",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Pin versions in gem install: `gem install <gem>:<version>`",
    description: "`gem install rails` installs the newest release at build time. Pin it \
with `gem install rails:7.2.1` or `gem install rails -v 7.2.1`. Options and their values \
are not gems: `gem install --no-document bundler` is reported for `bundler` (hadolint \
takes the word after any option as that option's value and misses it).",
    bad: "FROM ruby:3.3\nRUN gem install bundler\n",
    good: "FROM ruby:3.3\nRUN gem install bundler:2.5.22\n",
    fixable: false,
    check,
};

/// `gem install` options whose value is the next word.
const WITH_VALUE: &[&str] = &[
    "v",
    "version",
    "i",
    "install-dir",
    "n",
    "bindir",
    "s",
    "source",
    "p",
    "http-proxy",
    "platform",
    "g",
    "file",
    "build-root",
    "P",
    "trust-policy",
    "without",
    "document",
];

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let bad = run
            .named("gem")
            .find_map(|(part, _, cmd)| {
                if !cmd.has_any_arg(&["install", "i"]) || cmd.has_any_flag(&["v", "version"]) {
                    return None;
                }
                // Words after `--` go to the gem's build, not to gem.
                let end = cmd.args().iter().position(|w| w.value() == "--");
                let words = cmd
                    .positional(WITH_VALUE)
                    .into_iter()
                    .filter(|w| end.is_none_or(|e| w.span.start < cmd.args()[e].span.start));
                let bad = unpinned(part, words, &["install", "i", "--"], |v| v.contains(':'));
                (!bad.is_empty()).then_some(bad)
            })
            .unwrap_or_default();
        report_unpinned(
            cx,
            out,
            &run,
            &bad,
            "gem install",
            "`<gem>:<version>` or `-v <version>`",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unpinned_gems() {
        catches(&RULE, "FROM ruby:3.3\nRUN gem install bundler jekyll\n");
        catches(&RULE, "FROM ruby:3.3\nRUN gem i rake\n");
        // hadolint reads `bundler` as the value of `--no-document`.
        catches(
            &RULE,
            "FROM ruby:3.3\nRUN gem install --no-document bundler\n",
        );
    }

    #[test]
    fn passes_pinned_gems() {
        for ok in [
            "gem install bundler:2.5.22",
            "gem install jekyll -v 4.3.4",
            "gem install jekyll --version=4.3.4",
            "gem install -N --install-dir /gems rails:7.2.1",
            "gem update --system",
            "gem install nokogiri:1.16 -- --use-system-libraries",
        ] {
            passes(&RULE, &format!("FROM ruby:3.3\nRUN {ok}\n"));
        }
    }
}
