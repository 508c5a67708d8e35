//! Shared by the package-manager rules: which package arguments name a
//! version, how unpinned packages are reported, and whether an install is
//! followed by a cache clean in the same `RUN`.

use crate::lint::rules::run_scripts::{Part, RunScript};
use crate::lint::shell::{Cmd, SimpleCommand, Word};
use crate::lint::{Context, Report};

/// The package arguments among `words` (of a command in `part`) that name
/// no version: every word except the tool's own words `skip` (`install`,
/// `add`, …) that `pinned` does not accept.
pub(crate) fn unpinned<'c>(
    part: &'c Part,
    words: impl IntoIterator<Item = &'c Word>,
    skip: &[&str],
    pinned: impl Fn(&str) -> bool,
) -> Vec<(&'c Part, &'c Word)> {
    words
        .into_iter()
        .filter(|w| {
            let v = w.value();
            !skip.contains(&v) && !pinned(v)
        })
        .map(|w| (part, w))
        .collect()
}

/// Reports the unpinned `packages` of one `RUN` as one finding at the
/// first: "Pin versions in {what}: `a`, `b` (write {how})".
pub(crate) fn report_unpinned(
    cx: &Context,
    out: &mut Report,
    run: &RunScript,
    packages: &[(&Part, &Word)],
    what: &str,
    how: &str,
) {
    let Some((part, first)) = packages.first() else {
        return;
    };
    let names: Vec<String> = packages
        .iter()
        .map(|(_, w)| format!("`{}`", w.value()))
        .collect();
    out.add(
        run.span(cx, part, first.span.clone()),
        format!("Pin versions in {what}: {} (write {how})", names.join(", ")),
    );
}

/// Reports `package`, the first package of a `RUN` that names no version:
/// "Specify the version of `x`: `{usage}`".
pub(crate) fn report_unversioned(
    cx: &Context,
    out: &mut Report,
    run: &RunScript,
    (part, package): (&Part, &Word),
    usage: &str,
) {
    out.add(
        run.span(cx, part, package.span.clone()),
        format!("Specify the version of `{}`: `{usage}`", package.value()),
    );
}

/// The first package of a yum or dnf `install` (in `part`) that names no
/// version (see [`rpm_pinned`]); under `module install`, the first module
/// without a `:stream`.
pub(crate) fn rpm_unpinned<'c>(part: &'c Part, cmd: &Cmd<'c>) -> Option<(&'c Part, &'c Word)> {
    let module = cmd.has_arg("module");
    let pinned = |v: &str| {
        if module {
            v.contains(':')
        } else {
            rpm_pinned(v)
        }
    };
    unpinned(part, cmd.positional(&[]), &["install", "module"], pinned)
        .first()
        .copied()
}

/// Whether an rpm package argument names a version: `name-version[-release]`
/// (every part after the first `-` made of version characters, one
/// starting with a digit), an `.rpm` file, or a version from a variable
/// (`MariaDB-server-${MARIADB_VERSION}`).
pub(crate) fn rpm_pinned(package: &str) -> bool {
    let parts: Vec<&str> = package.split('-').collect();
    if parts.len() <= 1 {
        return false;
    }
    if package.ends_with(".rpm") {
        return true;
    }
    let rest = &parts[1..];
    if package.contains('$') {
        return rest.iter().any(|p| p.contains('$'));
    }
    let version_char = |c: char| c.is_ascii_alphanumeric() || ".~^_:+".contains(c);
    rest.iter().all(|p| p.chars().all(version_char))
        && rest
            .iter()
            .any(|p| p.starts_with(|c: char| c.is_ascii_digit()))
}

/// The first command of `run` that `is_install` matches, unless the first
/// one `is_clean` matches comes after it: an install whose downloaded
/// packages stay in the layer.
pub(crate) fn install_without_clean<'c>(
    run: &RunScript<'c>,
    is_install: impl FnMut(&Cmd) -> bool,
    is_clean: impl FnMut(&Cmd) -> bool,
) -> Option<(&'c Part, &'c SimpleCommand)> {
    let install = position(run, is_install)?;
    if position(run, is_clean).is_some_and(|clean| clean > install) {
        return None;
    }
    run.commands().nth(install)
}

/// The position of the first command matching `pred`, counting every
/// command of every part in order.
fn position(run: &RunScript, mut pred: impl FnMut(&Cmd) -> bool) -> Option<usize> {
    run.commands()
        .enumerate()
        .find(|(_, (_, c))| c.effective().is_some_and(|e| pred(&e)))
        .map(|(i, _)| i)
}
