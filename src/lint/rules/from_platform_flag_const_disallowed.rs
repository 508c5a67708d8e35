//! FromPlatformFlagConstDisallowed: `FROM --platform` takes a variable.

use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "FromPlatformFlagConstDisallowed",
    name: "from-platform-flag-const-disallowed",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "FROM --platform flag should not use a constant value",
    description: "A constant `--platform` pins a stage to one architecture whatever the \
build targets, which breaks multi-platform builds (and emulates on every other host). \
Use `$BUILDPLATFORM` or `$TARGETPLATFORM`. Not reported when the stage's name mentions \
the platform's OS or architecture (`FROM --platform=linux/arm64 … AS build-arm64`), a \
sign it is meant.",
    bad: "FROM --platform=linux/amd64 alpine:3.20 AS build\n",
    good: "FROM --platform=$BUILDPLATFORM alpine:3.20 AS build\n",
    fixable: false,
    check,
};

fn normalize_arch(a: &str) -> &str {
    match a {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "i386" | "i686" => "386",
        a => a,
    }
}

fn check(cx: &Context, out: &mut Report) {
    const OSES: &[&str] = &[
        "linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "android", "ios",
        "illumos", "aix", "plan9", "wasip1", "js",
    ];
    for (stage, item, f) in cx.stage_froms() {
        let Some(p) = &f.platform else { continue };
        if p.contains('$') || p.is_empty() {
            continue;
        }
        let lower = p.to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').collect();
        let (os, arch) = match parts.as_slice() {
            [one] if OSES.contains(one) => (*one, ""),
            [one] => ("linux", normalize_arch(one)),
            [os, arch, ..] => (*os, normalize_arch(arch)),
            [] => continue,
        };
        if !OSES.contains(&os) {
            continue;
        }
        let name = stage.name.as_deref().unwrap_or("");
        if name.contains(os) || (!arch.is_empty() && name.contains(arch)) {
            continue;
        }
        out.add(
            item.find_flag("platform"),
            format!("FROM --platform flag should not use constant value {p:?}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_constant() {
        let f = catches(&RULE, "FROM --platform=linux/amd64 a:1 AS build\n");
        assert_eq!(
            f[0].message,
            "FROM --platform flag should not use constant value \"linux/amd64\""
        );
    }

    #[test]
    fn passes_variables_or_named_stages() {
        passes(&RULE, "FROM --platform=$BUILDPLATFORM a:1\n");
        passes(&RULE, "FROM --platform=linux/arm64 a:1 AS build-arm64\n");
        passes(&RULE, "FROM a:1\n");
    }
}
