//! DL3013: pin versions in `pip install`.

use crate::lint::rules::packages::{report_unpinned, unpinned};
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::shell::Cmd;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3013",
    name: "pip-pin-versions",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Pin versions in pip: `pip install <package>==<version>` or `pip install --requirement <file>`",
    description: "`pip install requests` takes the newest release at build time, so \
rebuilding changes the image. Pin with `==` (or any version specifier: `>=`, `~=`, …), \
install from a requirements or constraints file, or from a versioned VCS URL \
(`git+https://…@v1.2`), a wheel or an sdist. Installing the current project (`.`) is \
not reported.",
    bad: "FROM python:3.13\nRUN pip install --no-cache-dir requests\n",
    good: "FROM python:3.13\nRUN pip install --no-cache-dir requests==2.32.3\n",
    fixable: false,
    check,
};

/// pip options whose value is the next word.
const WITH_VALUE: &[&str] = &[
    "abi",
    "b",
    "build",
    "e",
    "editable",
    "extra-index-url",
    "f",
    "find-links",
    "i",
    "index-url",
    "implementation",
    "no-binary",
    "only-binary",
    "platform",
    "prefix",
    "progress-bar",
    "proxy",
    "python",
    "python-version",
    "root",
    "root-user-action",
    "src",
    "t",
    "target",
    "trusted-host",
    "upgrade-strategy",
];

const VCS: &[&str] = &["git+", "git:", "hg+", "svn+", "svn:", "bzr+"];

/// `pip install …`, `pip3.12 install …`, `python -m pip install …`.
pub(crate) fn is_pip_install(cmd: &Cmd) -> bool {
    let Some(name) = cmd.base_name() else {
        return false;
    };
    let args = cmd.arg_values();
    if name.starts_with("pip") && !name.starts_with("pipenv") && !name.starts_with("pipx") {
        return args.contains(&"install");
    }
    name.starts_with("python") && args.windows(3).any(|w| w == ["-m", "pip", "install"])
}

fn pinned(package: &str) -> bool {
    const SPECIFIERS: &[&str] = &["==", ">=", "<=", ">", "<", "!=", "~=", "==="];
    let vcs = VCS.iter().any(|p| package.starts_with(p));
    SPECIFIERS.iter().any(|s| package.contains(s))
        || (vcs && package.contains('@'))
        || package.ends_with(".whl")
        || package.ends_with(".tar.gz")
        || (!vcs && package.contains('/'))
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let bad = run
            .effective()
            .find_map(|(part, _, cmd)| {
                if !is_pip_install(&cmd)
                    || cmd.has_any_flag(&["c", "constraint", "r", "requirement"])
                    || cmd.has_arg(".")
                {
                    return None;
                }
                let words = cmd.positional(WITH_VALUE);
                let after = words.iter().position(|w| w.value() == "install")?;
                let bad = unpinned(part, words[after..].iter().copied(), &["install"], pinned);
                (!bad.is_empty()).then_some(bad)
            })
            .unwrap_or_default();
        report_unpinned(cx, out, &run, &bad, "pip install", "`<package>==<version>`");
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unpinned_packages() {
        catches(&RULE, "FROM python:3.13\nRUN pip install requests\n");
        catches(
            &RULE,
            "FROM python:3.13\nRUN pip3 install --upgrade pip setuptools==75\n",
        );
        catches(
            &RULE,
            "FROM python:3.13\nRUN python3 -m pip install --no-cache-dir flask\n",
        );
        catches(
            &RULE,
            "FROM python:3.13\nRUN pip install git+https://github.com/x/y\n",
        );
    }

    #[test]
    fn passes_pinned_files_and_projects() {
        for ok in [
            "pip install requests==2.32.3 'flask>=3' \"django~=5.0\"",
            "pip install -r requirements.txt",
            "pip install --requirement=requirements.txt",
            "pip install -c constraints.txt requests",
            "pip install .",
            "pip install -e . ",
            "pip install ./dist/x-1.0-py3-none-any.whl /tmp/y-1.0.tar.gz",
            "pip install git+https://github.com/x/y@v1.0",
            "pip install --index-url https://example.com/simple requests==1",
            "pip download requests",
            "pipenv install requests",
        ] {
            passes(&RULE, &format!("FROM python:3.13\nRUN {ok}\n"));
        }
    }
}
